/*
 * test-near.c - the search with device constraints (docs/devices.md): near_nodes a set must
 * hold, with every strategy and through the compact growth; prefer_nodes as a ranking key;
 * spill_nodes (memory-only nodes that do not count as nodes); memory_nodes (HBM: where the
 * memory is counted, the CPUs from the nodes beside them); the reasons when nothing fits.
 */
#include "internal.h"
#include "hosts.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GiB (1024ull * 1024 * 1024)

/* n nodes of 4 CPUs and 8 GiB; 10 local, 12 within a pair (0-1, 2-3...), 21 otherwise. */
static np_host *host_pairs(unsigned n)
{
	struct hn *nodes = calloc(n, sizeof(*nodes));
	unsigned *d = calloc((size_t)n * n, sizeof(*d));
	np_host *h;

	assert_non_null(nodes);
	assert_non_null(d);
	for (unsigned i = 0; i < n; i++) {
		nodes[i] = (struct hn){4, 8 * GiB};
		for (unsigned j = 0; j < n; j++)
			d[(size_t)i * n + j] = i == j ? 10 : i / 2 == j / 2 ? 12 : 21;
	}
	h = host_make(n, nodes, d);
	free(nodes);
	free(d);
	return h;
}

static hwloc_bitmap_t set_of(const char *list)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();

	assert_int_equal(np_list_parse(list, NP__MAX_NODE_ID, b), 0);
	return b;
}

/* The best set of a search as a list ("" when nothing fits); the reason into `why`. */
static char *best_of(const np_host *h, const struct np_request *req, enum np_strategy st, char *why,
                     size_t len)
{
	struct np_search_opts o;
	np_plan *p = NULL;
	char *list = NULL;

	np_search_opts_init(&o);
	o.strategy = st;
	assert_int_equal(np_search(h, NULL, req, &o, &p), 0);
	if (np_plan_best(p))
		hwloc_bitmap_list_asprintf(&list, np_plan_best(p)->nodes);
	else
		list = strdup("");
	if (why)
		snprintf(why, len, "%s", np_plan_reason(p));
	np_plan_free(p);
	return list;
}

static void assert_best(const np_host *h, const struct np_request *req, enum np_strategy st,
                        const char *expected, const char *why_part)
{
	char why[256];
	char *got = best_of(h, req, st, why, sizeof(why));

	if (strcmp(got, expected) != 0)
		fail_msg("strategy %s: nodes '%s', expected '%s' (%s)", np_strategy_name(st), got,
		         expected, why);
	if (why_part && !strstr(why, why_part))
		fail_msg("strategy %s: reason '%s' lacks '%s'", np_strategy_name(st), why,
		         why_part);
	free(got);
}

/* The device's node cannot hold the workload alone: a clear reason, or the nearest pair. */
static void test_near_too_small(void **state)
{
	np_host *h = host_pairs(4);
	hwloc_bitmap_t near = set_of("3");
	struct np_request req;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 12 * GiB;
	req.vcpus = 2;
	req.near_nodes = near;
	req.max_nodes = 1;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "",
	            "no set of at most 1 nodes holding node 3 has 12 GiB free and 2 CPUs");
	req.max_nodes = 0;
	/* Two nodes: the pair of node 3, not the lowest ids 0-1. */
	assert_best(h, &req, NP_STRATEGY_COMPACT, "2-3", NULL);
	assert_best(h, &req, NP_STRATEGY_EXHAUSTIVE, "2-3", NULL);
	req.memory_bytes = 40 * GiB; /* more than the host */
	assert_best(h, &req, NP_STRATEGY_COMPACT, "",
	            "no set of nodes holding node 3 has 40 GiB free and 2 CPUs");
	hwloc_bitmap_free(near);
	np_host_free(h);
}

/* Two devices on two far nodes: every strategy's set holds both. */
static void test_near_two_far(void **state)
{
	np_host *h = host_pairs(8);
	hwloc_bitmap_t near = set_of("1,6");
	struct np_request req;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 1 * GiB;
	req.vcpus = 1;
	req.near_nodes = near;
	for (unsigned st = 0; st < NP_STRATEGY_COUNT_; st++) {
		char *got = best_of(h, &req, (enum np_strategy)st, NULL, 0);
		hwloc_bitmap_t b = set_of(*got ? got : "0");

		if (!*got || !hwloc_bitmap_isincluded(near, b))
			fail_msg("strategy %s chose '%s', not holding 1,6",
			         np_strategy_name((enum np_strategy)st), got);
		hwloc_bitmap_free(b);
		free(got);
	}
	/* The smallest sets that hold both are the two nodes themselves. */
	assert_best(h, &req, NP_STRATEGY_COMPACT, "1,6", NULL);
	assert_best(h, &req, NP_STRATEGY_XEN, "1,6", NULL);
	assert_best(h, &req, NP_STRATEGY_FIRST_FIT, "0-6", NULL);
	hwloc_bitmap_free(near);
	np_host_free(h);
}

/* A host too large to enumerate: the compact growth keeps the near nodes reachable. */
static void test_near_growth(void **state)
{
	np_host *h = host_pairs(64);
	hwloc_bitmap_t near = set_of("5,60"), b;
	struct np_request req;
	char *got;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 30 * GiB; /* 4 nodes: C(64, 4) is above the enumeration budget */
	req.vcpus = 4;
	req.near_nodes = near;
	got = best_of(h, &req, NP_STRATEGY_COMPACT, NULL, 0);
	b = set_of(*got ? got : "0");
	assert_true(hwloc_bitmap_isincluded(near, b));
	assert_int_equal(hwloc_bitmap_weight(b), 4);
	/* Each near node comes with its pair: 4-5 and 60-61 are the closest sets holding both. */
	assert_string_equal(got, "4-5,60-61");
	free(got);
	hwloc_bitmap_free(b);
	hwloc_bitmap_free(near);
	np_host_free(h);
}

/* A near node no set can hold: not allowed, or with nothing to give. */
static void test_near_unusable(void **state)
{
	const struct hn nodes[] = {{4, 8 * GiB}, {4, 8 * GiB}, {0, 0}};
	np_host *h = host_make(3, nodes, NULL);
	hwloc_bitmap_t near = set_of("1"), allowed = set_of("0"), empty = set_of("2"),
	               outside = set_of("7");
	struct np_request req;
	np_plan *p = NULL;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 1 * GiB;
	req.near_nodes = near;
	req.allowed_nodes = allowed;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "",
	            "node 1, which the set must hold, is not allowed");
	req.allowed_nodes = NULL;
	req.near_nodes = empty;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "",
	            "node 2, which the set must hold, has no usable CPUs or free memory");
	req.near_nodes = outside;
	assert_int_equal(np_search(h, NULL, &req, NULL, &p), -EINVAL);
	req.near_nodes = NULL;
	req.prefer_nodes = outside;
	assert_int_equal(np_search(h, NULL, &req, NULL, &p), -EINVAL);
	assert_null(p);
	hwloc_bitmap_free(near);
	hwloc_bitmap_free(allowed);
	hwloc_bitmap_free(empty);
	hwloc_bitmap_free(outside);
	np_host_free(h);
}

/* --near-prefer: the device's node when it fits, else the nearest node to it. */
static void test_prefer(void **state)
{
	np_host *h = host_pairs(4);
	hwloc_bitmap_t p3 = set_of("3"), p0 = set_of("0");
	np_load *load = NULL;
	struct np_search_opts o;
	struct np_request req;
	np_plan *p = NULL;
	char *list = NULL;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 1 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0", NULL);
	req.prefer_nodes = p3;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "3", "nearest the preferred nodes");
	assert_best(h, &req, NP_STRATEGY_XEN, "3", "nearest the preferred nodes");
	req.memory_bytes = 12 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "2-3", NULL);
	/* Node 0 full: its pair node 1 (12) beats nodes 2 and 3 (21). */
	req.memory_bytes = 4 * GiB;
	req.prefer_nodes = p0;
	assert_int_equal(np_load_new(h, &load), 0);
	assert_int_equal(np_load_set_free(load, 0, 1 * GiB), 0);
	np_search_opts_init(&o);
	assert_int_equal(np_search(h, load, &req, &o, &p), 0);
	hwloc_bitmap_list_asprintf(&list, np_plan_best(p)->nodes);
	assert_string_equal(list, "1");
	assert_non_null(strstr(np_plan_reason(p), "nearest the preferred nodes"));
	free(list);
	np_plan_free(p);
	np_load_free(load);
	hwloc_bitmap_free(p3);
	hwloc_bitmap_free(p0);
	np_host_free(h);
}

/* --memory-spill: a CPU-less far node takes the overflow before a remote DRAM node. */
static void test_spill(void **state)
{
	const struct hn nodes[] = {{4, 8 * GiB}, {4, 8 * GiB}, {4, 8 * GiB}, {0, 16 * GiB}};
	const unsigned dist[] = {10, 20, 20, 30, 20, 10, 20, 30, 20, 20, 10, 25, 30, 30, 25, 10};
	np_host *h = host_make(4, nodes, dist);
	hwloc_bitmap_t near = set_of("2"), spill = set_of("3"), spill_cpu = set_of("1");
	struct np_request req;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 12 * GiB;
	req.near_nodes = near;
	/* Without it: two DRAM nodes, 20 apart, beat DRAM and far memory 25 apart. */
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,2", NULL);
	req.spill_nodes = spill;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "2-3", "2 nodes (1 for spill), fewest nodes");
	assert_best(h, &req, NP_STRATEGY_EXHAUSTIVE, "2-3", NULL);
	/* What fits in the DRAM node alone stays there. */
	req.memory_bytes = 4 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "2", NULL);
	/* A node with CPUs is never a spill node. */
	req.memory_bytes = 12 * GiB;
	req.spill_nodes = spill_cpu;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,2", NULL);
	hwloc_bitmap_free(near);
	hwloc_bitmap_free(spill);
	hwloc_bitmap_free(spill_cpu);
	np_host_free(h);
}

/* Costs (HMAT) replace the distances: the far node by SLIT becomes the near one. */
static void test_costs(void **state)
{
	np_host *h = host_pairs(4);
	unsigned costs[16], bad[16];
	struct np_request req;
	np_plan *p = NULL;

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = 0; j < 4; j++) {
			costs[i * 4 + j] = i == j                                     ? 10
			                   : (i == 0 && j == 3) || (i == 3 && j == 0) ? 11
			                                                              : 40;
			bad[i * 4 + j] = i == j ? 0 : 20;
		}
	np_request_init(&req);
	req.memory_bytes = 12 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0-1", NULL); /* SLIT: the pair at 12 */
	req.costs = costs;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,3", "closest");
	assert_best(h, &req, NP_STRATEGY_EXHAUSTIVE, "0,3", NULL);
	req.costs = bad; /* a 0 cost */
	assert_int_equal(np_search(h, NULL, &req, NULL, &p), -EINVAL);
	np_host_free(h);
}

/*
 * Memory nodes (--memory-kind hbm): two DRAM nodes 0-1 with the CPUs (4 each, 16 GiB), HBM
 * nodes 2 (beside 0, 13) and 3 (beside 1) of 4 GiB without CPUs, far memory node 4 (32 GiB,
 * 30 from the DRAM nodes, 35 from the HBM ones). The memory goes on the HBM node nearest the
 * CPUs; a workload the HBM nodes cannot hold fits only with a spill node.
 */
static np_host *host_hbm(void)
{
	const struct hn nodes[] = {
	    {4, 16 * GiB}, {4, 16 * GiB}, {0, 4 * GiB}, {0, 4 * GiB}, {0, 32 * GiB},
	};
	const unsigned dist[] = {
	    10, 21, 13, 23, 30, /* */ 21, 10, 23, 13, 30, /* */ 13, 23, 10, 23, 35,
	    23, 13, 23, 10, 35, /* */ 30, 30, 35, 35, 10,
	};

	return host_make(5, nodes, dist);
}

static void test_memory_nodes(void **state)
{
	np_host *h = host_hbm();
	hwloc_bitmap_t hbm = set_of("2-3"), only1 = set_of("1-3");
	struct np_request req;
	np_plan *p = NULL;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 2 * GiB;
	/* Without memory nodes: DRAM node 0 alone. */
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0", "1 node");
	req.memory_nodes = hbm;
	req.memory_label = "HBM";
	/* The CPUs of node 0, the memory on its HBM node: 2 is not counted as a node. */
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,2", "2 nodes (1 for HBM)");
	assert_best(h, &req, NP_STRATEGY_EXHAUSTIVE, "0,2", "2 nodes (1 for HBM)");
	/* first-fit takes nodes in id order until a memory node holds the request */
	assert_best(h, &req, NP_STRATEGY_FIRST_FIT, "0-2", NULL);
	assert_best(h, &req, NP_STRATEGY_NUMAD, "0,2", NULL);
	/* The free memory of the set is the HBM node's, not the DRAM node's. */
	assert_int_equal(np_search(h, NULL, &req, NULL, &p), 0);
	assert_int_equal(np_plan_best(p)->free_bytes, 4 * GiB);
	assert_int_equal(np_plan_best(p)->ncpus, 4);
	np_plan_free(p);
	/* CPUs only on node 1: its own HBM node 3, not node 2 (23 away). */
	req.allowed_nodes = only1;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "1,3", NULL);
	req.allowed_nodes = NULL;
	/* Six GiB: both HBM nodes, the CPUs of one DRAM node. */
	req.memory_bytes = 6 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,2-3", "3 nodes (2 for HBM)");
	/* xen knows only nodes with CPUs: no HBM node can be in its sets. */
	assert_best(h, &req, NP_STRATEGY_XEN, "",
	            "no HBM node (2-3) is allowed and has free memory");
	hwloc_bitmap_free(hbm);
	hwloc_bitmap_free(only1);
	np_host_free(h);
}

/* HMAT costs decide which HBM node is nearest where the firmware gives them. */
static void test_memory_nodes_costs(void **state)
{
	np_host *h = host_hbm();
	hwloc_bitmap_t hbm = set_of("2-3");
	unsigned costs[25];
	struct np_request req;

	(void)state;
	for (unsigned i = 0; i < 25; i++)
		costs[i] = np_host_distance(h, i / 5, i % 5);
	/* node 3 is the nearer from node 0 by HMAT; node 2 the farther */
	costs[0 * 5 + 3] = costs[3 * 5 + 0] = 11;
	costs[0 * 5 + 2] = costs[2 * 5 + 0] = 40;
	np_request_init(&req);
	req.memory_bytes = 2 * GiB;
	req.memory_nodes = hbm;
	req.costs = costs;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,3", "2 nodes (1 for memory)");
	hwloc_bitmap_free(hbm);
	np_host_free(h);
}

/* More than the HBM nodes hold: no fit with the reason, unless a spill node takes the rest. */
static void test_memory_nodes_full(void **state)
{
	np_host *h = host_hbm();
	hwloc_bitmap_t hbm = set_of("2-3"), far = set_of("4"), none = hwloc_bitmap_alloc(),
	               dram = set_of("0-1");
	struct np_request req;

	(void)state;
	np_request_init(&req);
	req.memory_bytes = 9 * GiB;
	req.vcpus = 2;
	req.memory_nodes = hbm;
	req.memory_label = "HBM";
	assert_best(h, &req, NP_STRATEGY_COMPACT, "",
	            "no set of nodes has 9 GiB free on HBM nodes and 2 CPUs");
	assert_best(h, &req, NP_STRATEGY_EXHAUSTIVE, "", "on HBM nodes");
	/* The far node takes the overflow; the CPUs and first memory stay on 0 and its HBM. */
	req.spill_nodes = far;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,2,4", "3 nodes (1 for HBM, 1 for spill)");
	/* A spill node alone is not enough: one HBM node at least. */
	req.memory_bytes = 20 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,2,4", NULL);
	req.memory_bytes = 40 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "0,2-4", NULL);
	req.memory_bytes = 41 * GiB;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "",
	            "no set of nodes has 41 GiB free on HBM or spill nodes and 2 CPUs");
	/* No HBM node on the host, or none allowed. */
	req.spill_nodes = NULL;
	req.memory_bytes = GiB;
	req.memory_nodes = none;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "", "this host has no HBM node");
	assert_best(h, &req, NP_STRATEGY_FIRST_FIT, "", "this host has no HBM node");
	req.memory_nodes = hbm;
	req.allowed_nodes = dram;
	assert_best(h, &req, NP_STRATEGY_COMPACT, "",
	            "no HBM node (2-3) is allowed and has free memory");
	hwloc_bitmap_free(hbm);
	hwloc_bitmap_free(far);
	hwloc_bitmap_free(none);
	hwloc_bitmap_free(dram);
	np_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_near_too_small), cmocka_unit_test(test_near_two_far),
	    cmocka_unit_test(test_near_growth),    cmocka_unit_test(test_near_unusable),
	    cmocka_unit_test(test_prefer),         cmocka_unit_test(test_spill),
	    cmocka_unit_test(test_costs),          cmocka_unit_test(test_memory_nodes),
	    cmocka_unit_test(test_memory_nodes_costs), cmocka_unit_test(test_memory_nodes_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
