/* test-strategies.c - first-fit, spread, numad, exhaustive, and a caller's comparison. */
#include "internal.h"
#include "hosts.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

static np_host *host_uniform(unsigned n, unsigned ncpus, uint64_t bytes, const unsigned *dist)
{
	struct hn *nodes = calloc(n, sizeof(*nodes));
	np_host *h;

	assert_non_null(nodes);
	for (unsigned i = 0; i < n; i++)
		nodes[i] = (struct hn){ncpus, bytes};
	h = host_make(n, nodes, dist);
	free(nodes);
	return h;
}

/* 10 local, 12 within a pair of nodes (0-1, 2-3, ...), 21 otherwise. */
static unsigned *dist_pairs(unsigned n)
{
	unsigned *d = calloc((size_t)n * n, sizeof(*d));

	assert_non_null(d);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			d[(size_t)i * n + j] = i == j ? 10 : i / 2 == j / 2 ? 12 : 21;
	return d;
}

static np_plan *run_opts(const np_host *h, const np_load *l, const struct np_request *req,
                         const struct np_search_opts *o)
{
	np_plan *p = NULL;

	assert_int_equal(np_search(h, l, req, o, &p), 0);
	assert_non_null(p);
	return p;
}

static np_plan *run(const np_host *h, const np_load *l, const struct np_request *req,
                    enum np_strategy st)
{
	struct np_search_opts o;

	np_search_opts_init(&o);
	o.strategy = st;
	return run_opts(h, l, req, &o);
}

static const char *nodes_of(const np_plan *p, unsigned i)
{
	static char buf[2][256];
	static unsigned k;
	const struct np_candidate *c = np_plan_candidate(p, i);
	char *b = buf[k++ % 2];

	b[0] = '\0';
	if (c)
		hwloc_bitmap_list_snprintf(b, sizeof(buf[0]), c->nodes);
	return b;
}

static void request(struct np_request *req, uint64_t bytes, unsigned vcpus)
{
	np_request_init(req);
	req->memory_bytes = bytes;
	req->vcpus = vcpus;
}

static np_load *load_of(const np_host *h, const unsigned *vcpus)
{
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	for (unsigned i = 0; i < np_host_nnodes(h); i++)
		assert_int_equal(np_load_add_vcpus(l, i, vcpus[i]), 0);
	return l;
}

/* First-fit takes the lowest ids, loaded or not, until memory and CPUs fit. */
static void test_first_fit(void **state)
{
	const struct hn nodes[] = {{4, 8 * GiB}, {0, 8 * GiB}, {4, 8 * GiB}, {4, 8 * GiB}};
	const unsigned vcpus[] = {40, 0, 0, 0};
	np_host *h = host_make(4, nodes, NULL);
	np_load *l = load_of(h, vcpus);
	struct np_request req;
	np_plan *p;

	request(&req, 4 * GiB, 2);
	p = run(h, l, &req, NP_STRATEGY_FIRST_FIT);
	assert_string_equal(nodes_of(p, 0), "0");
	assert_string_equal(np_plan_reason(p),
	                    "1 node, lowest node ids that fit; 8 GiB free, 4 CPUs, 40 vCPUs "
	                    "already placed");
	assert_int_equal(np_plan_examined(p), 1);
	np_plan_free(p);

	/* Nodes 0 and 1 have 16 GiB but 4 CPUs: node 2 joins for the CPUs. */
	request(&req, 12 * GiB, 6);
	p = run(h, l, &req, NP_STRATEGY_FIRST_FIT);
	assert_string_equal(nodes_of(p, 0), "0-2");
	assert_int_equal(np_plan_examined(p), 3);
	np_plan_free(p);

	req.max_nodes = 2;
	p = run(h, l, &req, NP_STRATEGY_FIRST_FIT);
	assert_null(np_plan_best(p));
	assert_string_equal(np_plan_reason(p),
	                    "no set of at most 2 nodes has 12 GiB free and 6 CPUs");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
}

static void test_spread(void **state)
{
	np_host *h = host_uniform(4, 4, 8 * GiB, NULL);
	hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
	struct np_request req;
	np_plan *p;

	request(&req, 1 * GiB, 1);
	p = run(h, NULL, &req, NP_STRATEGY_SPREAD);
	assert_string_equal(nodes_of(p, 0), "0-3");
	assert_int_equal(np_plan_best(p)->ncpus, 16);
	assert_int_equal(np_plan_best(p)->free_bytes, 32 * GiB);
	assert_string_equal(np_plan_reason(p), "4 nodes, all allowed nodes; 32 GiB free, 16 CPUs, "
	                                       "0 vCPUs already placed, mean distance 1.75");
	np_plan_free(p);

	hwloc_bitmap_set(allowed, 1);
	hwloc_bitmap_set(allowed, 3);
	req.allowed_nodes = allowed;
	p = run(h, NULL, &req, NP_STRATEGY_SPREAD);
	assert_string_equal(nodes_of(p, 0), "1,3");
	np_plan_free(p);

	req.memory_bytes = 17 * GiB;
	p = run(h, NULL, &req, NP_STRATEGY_SPREAD);
	assert_null(np_plan_best(p));
	assert_string_equal(np_plan_reason(p), "no set of nodes has 17 GiB free and 1 CPU");
	np_plan_free(p);

	request(&req, 1 * GiB, 1);
	req.max_nodes = 2;
	p = run(h, NULL, &req, NP_STRATEGY_SPREAD);
	assert_null(np_plan_best(p));
	assert_string_equal(np_plan_reason(p),
	                    "spread strategy: 4 allowed nodes, more than the maximum of 2");
	np_plan_free(p);
	hwloc_bitmap_free(allowed);
	np_host_free(h);
}

/*
 * numad on 4 nodes of 4 CPUs and 16 GiB, pairs 0-1 and 2-3 at distance 12, others 21; load
 * 4, 2, 0, 1 vCPUs. Scores (free CPUs x free MiB): 0, 32768, 65536, 49152.
 * 8 GiB: one node to look at (16 GiB / 4 CPUs per node); node 2 scores best.
 * 20 GiB: two nodes; from node 2: 65536/100 + 49152/144 = 996.7; from node 3:
 * 49152/100 + 65536/144 = 946.6; from node 1: 327.7 + 0; from node 0: 0 + 227.6. Node 2
 * wins, and node 3 is its nearest.
 */
static void test_numad(void **state)
{
	unsigned *d = dist_pairs(4);
	const unsigned vcpus[] = {4, 2, 0, 1};
	np_host *h = host_uniform(4, 4, 16 * GiB, d);
	np_load *l = load_of(h, vcpus);
	struct np_request req;
	np_plan *p;

	request(&req, 8 * GiB, 2);
	p = run(h, l, &req, NP_STRATEGY_NUMAD);
	assert_string_equal(nodes_of(p, 0), "2");
	assert_string_equal(np_plan_reason(p), "1 node, numad's pick around node 2; 16 GiB free, "
	                                       "4 CPUs, 0 vCPUs already placed");
	assert_int_equal(np_plan_examined(p), 4);
	np_plan_free(p);

	request(&req, 20 * GiB, 2);
	p = run(h, l, &req, NP_STRATEGY_NUMAD);
	assert_string_equal(nodes_of(p, 0), "2-3");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
	free(d);
}

/* numad keeps 100 MiB per node: 16 GiB - 50 MiB does not fit one 16 GiB node for it. */
static void test_numad_keeps_100mib(void **state)
{
	unsigned *d = dist_pairs(4);
	np_host *h = host_uniform(4, 4, 16 * GiB, d);
	struct np_request req;
	np_plan *p;

	request(&req, 16 * GiB - 50 * MiB, 2);
	p = run(h, NULL, &req, NP_STRATEGY_NUMAD);
	assert_string_equal(nodes_of(p, 0), "0-1");
	np_plan_free(p);
	p = run(h, NULL, &req, NP_STRATEGY_COMPACT);
	assert_string_equal(nodes_of(p, 0), "0");
	np_plan_free(p);
	np_host_free(h);
	free(d);
}

/* numad counts free CPUs: on a loaded pair it keeps adding nodes in distance order. */
static void test_numad_free_cpus(void **state)
{
	unsigned *d = dist_pairs(4);
	const unsigned vcpus[] = {3, 3, 0, 0};
	np_host *h = host_uniform(4, 4, 16 * GiB, d);
	np_load *l = load_of(h, vcpus);
	struct np_request req;
	np_plan *p;

	/* Free CPUs 1, 1, 4, 4; 6 vCPUs -> 2 nodes to look at; start 2 wins; 2+3 hold it. */
	request(&req, 1 * GiB, 6);
	p = run(h, l, &req, NP_STRATEGY_NUMAD);
	assert_string_equal(nodes_of(p, 0), "2-3");
	np_plan_free(p);
	/* 9 vCPUs: 4 + 4 + 1 free CPUs: three nodes. */
	request(&req, 1 * GiB, 9);
	p = run(h, l, &req, NP_STRATEGY_NUMAD);
	assert_int_equal(np_plan_best(p)->nnodes, 3);
	assert_true(hwloc_bitmap_isset(np_plan_best(p)->nodes, 2));
	assert_true(hwloc_bitmap_isset(np_plan_best(p)->nodes, 3));
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
	free(d);
}

/* numad sizes by node 0; a memory-only node 0 is passed over rather than divided by. */
static void test_numad_cpuless_node0(void **state)
{
	const struct hn nodes[] = {{0, 64 * GiB}, {4, 16 * GiB}, {4, 16 * GiB}};
	np_host *h = host_make(3, nodes, NULL);
	struct np_request req;
	np_plan *p;

	request(&req, 8 * GiB, 2);
	p = run(h, NULL, &req, NP_STRATEGY_NUMAD);
	assert_string_equal(nodes_of(p, 0), "1");
	np_plan_free(p);
	np_host_free(h);
}

/* exhaustive agrees with compact where compact is exact, and refuses above 24 nodes. */
static void test_exhaustive(void **state)
{
	unsigned *d = dist_pairs(8);
	const unsigned vcpus[] = {0, 5, 0, 0, 1, 1, 2, 0};
	np_host *h = host_uniform(8, 4, 8 * GiB, d), *big = host_uniform(25, 2, 8 * GiB, NULL);
	np_load *l = load_of(h, vcpus);
	struct np_request req;
	np_plan *p, *q;

	request(&req, 12 * GiB, 2);
	p = run(h, l, &req, NP_STRATEGY_EXHAUSTIVE);
	q = run(h, l, &req, NP_STRATEGY_COMPACT);
	/* Pairs 2-3 (0 vCPUs) and 4-5 (2) are close; 2-3 is the lighter. */
	assert_string_equal(nodes_of(p, 0), "2-3");
	assert_string_equal(nodes_of(q, 0), "2-3");
	assert_int_equal(np_plan_examined(p), 28);
	np_plan_free(p);
	np_plan_free(q);

	p = run(big, NULL, &req, NP_STRATEGY_EXHAUSTIVE);
	assert_null(np_plan_best(p));
	assert_string_equal(np_plan_reason(p),
	                    "exhaustive strategy: 25 nodes to search, more than 24");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
	np_host_free(big);
	free(d);
}

/*
 * 20 nodes in pairs (0-1, 2-3, ... at 12, else 21), load (i * 5) % 7 vCPUs. 28 GiB needs 4
 * nodes, best as two close pairs: distance sum 4 x 10 + 4 x 12 + 8 x 21 = 256. Pair loads:
 * 0-1: 5, 2-3: 4, 6-7: 2, 16-17: 4, ... so exhaustive (all 4845 sets) takes 2-3 with 6-7,
 * 6 vCPUs. C(20, 4) is above compact's budget: it grows sets, and the growth picks the third
 * node by its own load (node 0, 0 vCPUs), which brings its partner node 1 (5 vCPUs): 0-1 with
 * 6-7, 7 vCPUs. No single swap helps (it would split a pair). Same distance, one vCPU more:
 * the price of a polynomial search, documented in docs/placement.md.
 */
static void test_exhaustive_against_greedy(void **state)
{
	unsigned *d = dist_pairs(20);
	unsigned vcpus[20];
	np_host *h = host_uniform(20, 4, 8 * GiB, d);
	np_load *l;
	struct np_request req;
	np_plan *p, *q;

	for (unsigned i = 0; i < 20; i++)
		vcpus[i] = (i * 5) % 7;
	l = load_of(h, vcpus);
	request(&req, 28 * GiB, 4);
	p = run(h, l, &req, NP_STRATEGY_EXHAUSTIVE);
	q = run(h, l, &req, NP_STRATEGY_COMPACT);
	assert_int_equal(np_plan_examined(p), 4845);
	/* 10 grown sets, then 4 starts x 4 members x 16 others tried as swaps, none better. */
	assert_int_equal(np_plan_examined(q), 10 + 4 * 4 * 16);
	assert_string_equal(nodes_of(p, 0), "2-3,6-7");
	assert_int_equal(np_plan_best(p)->vcpus, 6);
	assert_int_equal(np_plan_best(p)->distance_sum, 4 * 10 + 2 * 2 * 12 + 8 * 21);
	assert_string_equal(nodes_of(q, 0), "0-1,6-7");
	assert_int_equal(np_plan_best(q)->vcpus, 7);
	assert_int_equal(np_plan_best(q)->distance_sum, np_plan_best(p)->distance_sum);
	np_plan_free(p);
	np_plan_free(q);
	np_load_free(l);
	np_host_free(h);
	free(d);
}

/* The caller's comparison: most free memory first, counting its calls. */
static int by_free(const struct np_candidate *a, const struct np_candidate *b, void *arg)
{
	(*(unsigned *)arg)++;
	return (a->free_bytes < b->free_bytes) - (a->free_bytes > b->free_bytes);
}

static int all_equal(const struct np_candidate *a, const struct np_candidate *b, void *arg)
{
	return 0;
}

static void test_caller_compare(void **state)
{
	const struct hn nodes[] = {{4, 8 * GiB}, {4, 12 * GiB}, {4, 16 * GiB}, {4, 10 * GiB}};
	const unsigned vcpus[] = {0, 1, 6, 2};
	np_host *h = host_make(4, nodes, NULL);
	np_load *l = load_of(h, vcpus);
	struct np_search_opts o;
	struct np_request req;
	unsigned calls = 0;
	np_plan *p;

	request(&req, 1 * GiB, 1);
	/* Without it, xen takes the least loaded (node 0), compact too. */
	p = run(h, l, &req, NP_STRATEGY_XEN);
	assert_string_equal(nodes_of(p, 0), "0");
	np_plan_free(p);

	np_search_opts_init(&o);
	o.strategy = NP_STRATEGY_XEN;
	o.compare = by_free;
	o.compare_arg = &calls;
	o.keep = 3;
	p = run_opts(h, l, &req, &o);
	assert_int_equal(np_plan_ncandidates(p), 3);
	assert_string_equal(nodes_of(p, 0), "2");
	assert_string_equal(nodes_of(p, 1), "1");
	assert_string_equal(nodes_of(p, 2), "3");
	assert_null(np_plan_candidate(p, 3));
	assert_true(calls > 0);
	assert_string_equal(np_plan_reason(p), "1 node, preferred by the caller's comparison (over "
	                                       "1); 16 GiB free, 4 CPUs, 6 vCPUs already placed");
	np_plan_free(p);

	/* The same comparison ranks compact's sets. */
	o.strategy = NP_STRATEGY_COMPACT;
	p = run_opts(h, l, &req, &o);
	assert_string_equal(nodes_of(p, 0), "2");
	np_plan_free(p);

	/* Everything equal: the first enumerated wins. */
	o.compare = all_equal;
	o.strategy = NP_STRATEGY_XEN;
	p = run_opts(h, l, &req, &o);
	assert_string_equal(nodes_of(p, 0), "0");
	assert_string_equal(nodes_of(p, 1), "1");
	assert_string_equal(np_plan_reason(p), "1 node, first enumerated of equals (before 1); 8 "
	                                       "GiB free, 4 CPUs, 0 vCPUs already placed");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
}

/* The caller's comparison on compact's grown sets (64 nodes, 3-node sets). */
static void test_caller_compare_greedy(void **state)
{
	unsigned *d = dist_pairs(64);
	np_host *h = host_uniform(64, 4, 8 * GiB, d);
	struct np_search_opts o;
	struct np_request req;
	unsigned calls = 0;
	np_plan *p;

	request(&req, 20 * GiB, 1);
	np_search_opts_init(&o);
	p = run_opts(h, NULL, &req, &o);
	assert_string_equal(nodes_of(p, 0), "0-2");
	np_plan_free(p);
	/* Free memory is equal everywhere: the caller's tie leaves the first generated set. */
	o.compare = by_free;
	o.compare_arg = &calls;
	o.keep = 2;
	p = run_opts(h, NULL, &req, &o);
	assert_int_equal(np_plan_ncandidates(p), 2);
	assert_string_equal(nodes_of(p, 0), "0-2");
	/* Seed 1 reaches {0,1} again and stops; seed 2 grows {2,3} and then node 0. */
	assert_string_equal(nodes_of(p, 1), "0,2-3");
	assert_true(calls > 0);
	np_plan_free(p);
	np_host_free(h);
	free(d);
}

static void test_defaults(void **state)
{
	np_host *h = host_uniform(2, 2, 4 * GiB, NULL);
	struct np_search_opts o;
	struct np_request req;
	np_plan *p;

	np_request_init(&req);
	assert_int_equal(req.vcpus, 1);
	assert_int_equal(req.memory_bytes, 0);
	assert_null(req.allowed_nodes);
	np_search_opts_init(&o);
	assert_int_equal(o.strategy, NP_STRATEGY_COMPACT);
	assert_int_equal(o.keep, 1);
	o.keep = 0;
	p = run_opts(h, NULL, &req, &o);
	assert_int_equal(np_plan_ncandidates(p), 1);
	np_plan_free(p);
	p = run_opts(h, NULL, &req, NULL);
	assert_string_equal(nodes_of(p, 0), "0");
	np_plan_free(p);
	np_plan_free(NULL);
	np_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_fit),
	    cmocka_unit_test(test_spread),
	    cmocka_unit_test(test_numad),
	    cmocka_unit_test(test_numad_keeps_100mib),
	    cmocka_unit_test(test_numad_free_cpus),
	    cmocka_unit_test(test_numad_cpuless_node0),
	    cmocka_unit_test(test_exhaustive),
	    cmocka_unit_test(test_exhaustive_against_greedy),
	    cmocka_unit_test(test_caller_compare),
	    cmocka_unit_test(test_caller_compare_greedy),
	    cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
