/* test-compact.c - the compact strategy: the properties its design promises. */
#include "search.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GiB (1024ull * 1024 * 1024)

struct hn {
	unsigned ncpus;
	uint64_t mem;
	uint64_t free;
};

/* Nodes 0..n-1 with consecutive CPUs. dist may be NULL (10/20). */
static np_host *host_make(unsigned n, const struct hn *nodes, const unsigned *dist)
{
	struct np_node_spec *spec = calloc(n, sizeof(*spec));
	hwloc_bitmap_t *cpus = calloc(n, sizeof(*cpus));
	np_host *h = NULL;
	unsigned cpu = 0;

	assert_non_null(spec);
	assert_non_null(cpus);
	for (unsigned i = 0; i < n; i++) {
		cpus[i] = hwloc_bitmap_alloc();
		if (nodes[i].ncpus)
			hwloc_bitmap_set_range(cpus[i], (int)cpu, (int)(cpu + nodes[i].ncpus - 1));
		cpu += nodes[i].ncpus;
		spec[i].id = i;
		spec[i].cpus = cpus[i];
		spec[i].memory_bytes = nodes[i].mem;
		spec[i].free_bytes = nodes[i].free;
	}
	assert_int_equal(np_host_build(n, spec, dist, &h), 0);
	for (unsigned i = 0; i < n; i++)
		hwloc_bitmap_free(cpus[i]);
	free(cpus);
	free(spec);
	return h;
}

static np_host *host_uniform(unsigned n, unsigned ncpus, uint64_t bytes, const unsigned *dist)
{
	struct hn *nodes = calloc(n, sizeof(*nodes));
	np_host *h;

	assert_non_null(nodes);
	for (unsigned i = 0; i < n; i++)
		nodes[i] = (struct hn){ncpus, bytes, bytes};
	h = host_make(n, nodes, dist);
	free(nodes);
	return h;
}

/*
 * A large machine's distances: 10 local, 12 within a group of 8 nodes, 20 within a block of
 * 64, 30 across blocks. Caller frees.
 */
static unsigned *dist_groups(unsigned n)
{
	unsigned *d = calloc((size_t)n * n, sizeof(*d));

	assert_non_null(d);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			d[(size_t)i * n + j] = i == j             ? 10
			                       : i / 8 == j / 8   ? 12
			                       : i / 64 == j / 64 ? 20
			                                          : 30;
	return d;
}

static np_plan *run_with(const np_host *h, const np_load *l, const struct np_request *req,
                         enum np_strategy st, unsigned keep)
{
	struct np_search_opts o;
	np_plan *p = NULL;

	np_search_opts_init(&o);
	o.strategy = st;
	o.keep = keep;
	assert_int_equal(np_search(h, l, req, &o, &p), 0);
	assert_non_null(p);
	return p;
}

static np_plan *run(const np_host *h, const np_load *l, const struct np_request *req)
{
	return run_with(h, l, req, NP_STRATEGY_COMPACT, 1);
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

/* A loaded node that holds the request alone beats an idle pair. */
static void test_fewest_nodes(void **state)
{
	const struct hn nodes[] = {
	    {8, 16 * GiB, 16 * GiB}, {8, 16 * GiB, 8 * GiB}, {8, 16 * GiB, 8 * GiB}};
	np_host *h = host_make(3, nodes, NULL);
	struct np_request req;
	np_load *l = NULL;
	np_plan *p;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_add_vcpus(l, 0, 4), 0);
	request(&req, 12 * GiB, 2);
	p = run(h, l, &req);
	assert_string_equal(nodes_of(p, 0), "0");
	assert_int_equal(np_plan_best(p)->nnodes, 1);
	assert_string_equal(np_plan_reason(p), "1 node, the only fit; 16 GiB free, 8 CPUs, "
	                                       "4 vCPUs already placed");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
}

/*
 * Nodes 0 and 2 have the most free memory but are far apart (30); 0-1 and 2-3 are close
 * (12/13 and 12/14: the matrix is asymmetric). 30 GiB needs two nodes. xen ranks by load,
 * then free memory, and takes the far pair {0,2}; compact takes {0,1}, distance sum 45
 * against {2,3}'s 46.
 */
static void test_close_pair_beats_far_pair(void **state)
{
	const struct hn nodes[] = {{4, 20 * GiB, 20 * GiB},
	                           {4, 14 * GiB, 14 * GiB},
	                           {4, 20 * GiB, 20 * GiB},
	                           {4, 14 * GiB, 14 * GiB}};
	/* clang-format off */
	const unsigned dist[] = {
		10, 12, 30, 30,
		13, 10, 30, 30,
		30, 30, 10, 12,
		30, 30, 14, 10,
	};
	/* clang-format on */
	np_host *h = host_make(4, nodes, dist);
	struct np_request req;
	np_plan *p;

	request(&req, 30 * GiB, 2);
	p = run_with(h, NULL, &req, NP_STRATEGY_XEN, 1);
	assert_string_equal(nodes_of(p, 0), "0,2");
	np_plan_free(p);

	p = run_with(h, NULL, &req, NP_STRATEGY_COMPACT, 2);
	assert_string_equal(nodes_of(p, 0), "0-1");
	assert_string_equal(nodes_of(p, 1), "2-3");
	assert_int_equal(np_plan_best(p)->distance_sum, 45);
	assert_string_equal(np_plan_reason(p), "2 nodes, closest (mean distance 1.12 against 1.15 "
	                                       "for 2-3); 34 GiB free, 8 CPUs, 0 vCPUs already "
	                                       "placed, mean distance 1.12");
	np_plan_free(p);
	np_host_free(h);
}

/* 8 vCPUs on 16 CPUs is lighter than 6 on 8: compact takes node 1, xen node 0. */
static void test_load_per_cpu(void **state)
{
	const struct hn nodes[] = {{8, 16 * GiB, 16 * GiB}, {16, 16 * GiB, 16 * GiB}};
	np_host *h = host_make(2, nodes, NULL);
	struct np_request req;
	np_load *l = NULL;
	np_plan *p;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_add_vcpus(l, 0, 6), 0);
	assert_int_equal(np_load_add_vcpus(l, 1, 8), 0);
	request(&req, 1 * GiB, 1);
	p = run(h, l, &req);
	assert_string_equal(nodes_of(p, 0), "1");
	assert_string_equal(np_plan_reason(p), "1 node, least loaded (0.56 against 0.88 vCPUs per "
	                                       "CPU for 0, this request included); 16 GiB free, "
	                                       "16 CPUs, 8 vCPUs already placed");
	np_plan_free(p);
	p = run_with(h, l, &req, NP_STRATEGY_XEN, 1);
	assert_string_equal(nodes_of(p, 0), "0");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
}

/* Load per CPU is compared exactly, where doubles would round. */
static void test_load_ratio_exact(void **state)
{
	/* 2/3 against 666666667/1000000000: they differ in the 10th digit. */
	assert_int_equal(np__ratio_cmp(2, 3, 666666667, 1000000000), -1);
	assert_int_equal(np__ratio_cmp(666666667, 1000000000, 2, 3), 1);
	assert_int_equal(np__ratio_cmp(4, 6, 2, 3), 0);
	/* Products above 2^64: (2^64 - 1) / (2^32 - 1) against (2^64 - 2) / (2^32 - 1). */
	assert_int_equal(np__ratio_cmp(UINT64_MAX, UINT32_MAX, UINT64_MAX - 1, UINT32_MAX), 1);
	assert_int_equal(np__ratio_cmp(UINT64_MAX - 1, UINT32_MAX, UINT64_MAX, UINT32_MAX), -1);
	/* No CPU at all counts as an infinite load. */
	assert_int_equal(np__ratio_cmp(1, 0, 1000, 1), 1);
	assert_int_equal(np__ratio_cmp(1, 0, 5, 0), 0);
}

/* The closest pair is over-committed: a farther pair that is not wins. */
static void test_overcommit_before_distance(void **state)
{
	/* clang-format off */
	const unsigned dist[] = {
		10, 11, 20, 20,
		11, 10, 20, 20,
		20, 20, 10, 20,
		20, 20, 20, 10,
	};
	/* clang-format on */
	np_host *h = host_uniform(4, 4, 8 * GiB, dist);
	struct np_request req;
	np_load *l = NULL;
	np_plan *p;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_add_vcpus(l, 0, 3), 0);
	assert_int_equal(np_load_add_vcpus(l, 1, 3), 0);
	request(&req, 12 * GiB, 4);
	p = run_with(h, l, &req, NP_STRATEGY_COMPACT, 2);
	assert_string_equal(nodes_of(p, 0), "2-3");
	/* The runner-up, {0,2} at 3 + 4 vCPUs on 8 CPUs, lost on load. */
	assert_string_equal(nodes_of(p, 1), "0,2");
	assert_string_equal(np_plan_reason(p),
	                    "2 nodes, least loaded (0.50 against 0.88 vCPUs per "
	                    "CPU for 0,2, this request included); 16 GiB free, "
	                    "8 CPUs, 0 vCPUs already placed, mean distance 1.50");
	np_plan_free(p);

	/* With room on 0-1 (6 + 2 <= 8), the close pair wins. */
	req.vcpus = 2;
	p = run(h, l, &req);
	assert_string_equal(nodes_of(p, 0), "0-1");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
}

/* The 4node-pairs capture (data/topologies/4node-pairs): pairs 0-1 and 2-3 at 16, others 32. */
/* clang-format off */
static const unsigned pairs_dist[] = {
	10, 16, 32, 32,
	16, 10, 32, 32,
	32, 32, 10, 16,
	32, 32, 16, 10,
};
/* clang-format on */

/*
 * The reason names what beat the runner-up, and what set aside a set further down that
 * would have won on it: 2-3 (52 GiB) has more free memory than 0-1 (48 GiB), and 0,2 (58 GiB)
 * more than both but lost on distance. The reason is the same whatever the caller keeps.
 */
static void test_reason_free_of_closest(void **state)
{
	const struct hn nodes[] = {{8, 32 * GiB, 28 * GiB},
	                           {8, 32 * GiB, 20 * GiB},
	                           {8, 32 * GiB, 30 * GiB},
	                           {8, 32 * GiB, 22 * GiB}};
	const char *want = "2 nodes, most free memory of the closest (52 GiB against 48 GiB free "
	                   "for 0-1); 52 GiB free, 16 CPUs, 0 vCPUs already placed, mean "
	                   "distance 1.30";
	np_host *h = host_make(4, nodes, pairs_dist);
	struct np_request req;
	np_plan *p;

	request(&req, 40 * GiB, 12);
	for (unsigned keep = 1; keep <= 6; keep++) {
		p = run_with(h, NULL, &req, NP_STRATEGY_COMPACT, keep);
		assert_string_equal(nodes_of(p, 0), "2-3");
		assert_string_equal(np_plan_reason(p), want);
		np_plan_free(p);
	}
	/* Alone, free memory needs no qualifier: one node each, the same distance. */
	request(&req, 10 * GiB, 2);
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "2");
	assert_string_equal(np_plan_reason(p), "1 node, most free memory (30 GiB against 28 GiB "
	                                       "free for 0); 30 GiB free, 8 CPUs, 0 vCPUs "
	                                       "already placed");
	np_plan_free(p);
	np_host_free(h);
}

/* Load decides against the runner-up; a lighter far pair lost on distance. */
static void test_reason_load_of_closest(void **state)
{
	np_host *h = host_uniform(4, 8, 20 * GiB, pairs_dist);
	const unsigned load[] = {2, 2, 0, 6};
	struct np_request req;
	np_load *l = NULL;
	np_plan *p;

	assert_int_equal(np_load_new(h, &l), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(np_load_add_vcpus(l, i, load[i]), 0);
	request(&req, 30 * GiB, 2);
	p = run_with(h, l, &req, NP_STRATEGY_COMPACT, 4);
	assert_string_equal(nodes_of(p, 0), "0-1");
	assert_string_equal(nodes_of(p, 1), "2-3");
	assert_string_equal(nodes_of(p, 2), "0,2");
	assert_string_equal(np_plan_reason(p),
	                    "2 nodes, least loaded of the closest (0.38 against 0.50 vCPUs per CPU "
	                    "for 2-3, this request included); 40 GiB free, 16 CPUs, 4 vCPUs "
	                    "already placed, mean distance 1.30");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
}

/*
 * Over-commitment decides: node 0 holds 4 vCPUs on 4 CPUs. With pairs, the closest pair 0-1
 * is over-committed and the reason says the winner is the closest of those that are not.
 */
static void test_reason_overcommit(void **state)
{
	const struct hn one[] = {{4, 16 * GiB, 16 * GiB}, {4, 16 * GiB, 8 * GiB}};
	const struct hn three[] = {
	    {4, 8 * GiB, 8 * GiB}, {4, 8 * GiB, 8 * GiB}, {8, 8 * GiB, 8 * GiB}};
	/* clang-format off */
	const unsigned dist[] = {
		10, 11, 12,
		11, 10, 20,
		12, 20, 10,
	};
	/* clang-format on */
	np_host *h = host_make(2, one, NULL);
	struct np_request req;
	np_load *l = NULL;
	np_plan *p;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_add_vcpus(l, 0, 4), 0);
	request(&req, 1 * GiB, 2);
	p = run(h, l, &req);
	assert_string_equal(nodes_of(p, 0), "1");
	assert_string_equal(np_plan_reason(p), "1 node, not over-committed (0 would hold 6 vCPUs "
	                                       "on 4 CPUs); 8 GiB free, 4 CPUs, 0 vCPUs already "
	                                       "placed");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);

	h = host_make(3, three, dist);
	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_add_vcpus(l, 0, 2), 0);
	assert_int_equal(np_load_add_vcpus(l, 1, 5), 0);
	request(&req, 12 * GiB, 4);
	p = run_with(h, l, &req, NP_STRATEGY_COMPACT, 3);
	assert_string_equal(nodes_of(p, 0), "0,2");
	assert_string_equal(nodes_of(p, 1), "1-2");
	assert_string_equal(nodes_of(p, 2), "0-1");
	assert_string_equal(np_plan_reason(p), "2 nodes, closest of the sets not over-committed "
	                                       "(mean distance 1.10 against 1.50 for 1-2); 16 GiB "
	                                       "free, 12 CPUs, 2 vCPUs already placed, mean "
	                                       "distance 1.10");
	np_plan_free(p);
	np_load_free(l);
	np_host_free(h);
}

/* Equal in everything: the lowest ids, and the set they beat. */
static void test_reason_ids(void **state)
{
	np_host *h = host_uniform(3, 4, 8 * GiB, NULL);
	struct np_request req;
	np_plan *p;

	request(&req, 1 * GiB, 1);
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0");
	assert_string_equal(np_plan_reason(p), "1 node, lowest node ids of equals (before 1); "
	                                       "8 GiB free, 4 CPUs, 0 vCPUs already placed");
	np_plan_free(p);
	np_host_free(h);
}

/*
 * The last resort qualified: node 1 beats node 2 by its id, and node 0, whose id is lower
 * still, lost on free memory. xen's choice is the same, by order of enumeration.
 */
static void test_reason_ids_of_most_free(void **state)
{
	const struct hn nodes[] = {
	    {4, 8 * GiB, 6 * GiB}, {4, 8 * GiB, 8 * GiB}, {4, 8 * GiB, 8 * GiB}};
	np_host *h = host_make(3, nodes, NULL);
	struct np_request req;
	np_plan *p;

	request(&req, 1 * GiB, 1);
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "1");
	assert_string_equal(np_plan_reason(p), "1 node, lowest node ids of those with most free "
	                                       "memory (before 2); 8 GiB free, 4 CPUs, 0 vCPUs "
	                                       "already placed");
	np_plan_free(p);
	p = run_with(h, NULL, &req, NP_STRATEGY_XEN, 1);
	assert_string_equal(nodes_of(p, 0), "1");
	assert_string_equal(np_plan_reason(p), "1 node, first enumerated of those with most free "
	                                       "memory (before 2); 8 GiB free, 4 CPUs, 0 vCPUs "
	                                       "already placed");
	np_plan_free(p);
	np_host_free(h);
}

/* Guests placed one after the other on an idle symmetric host take turns over the nodes. */
static void test_successive_placements_spread(void **state)
{
	np_host *h = host_uniform(4, 4, 16 * GiB, NULL);
	const char *want[] = {"0", "1", "2", "3", "0", "1"};
	struct np_claim claims[6];
	struct np_request req;
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	request(&req, 4 * GiB, 2);
	for (unsigned i = 0; i < 6; i++) {
		np_plan *p = run(h, l, &req);

		assert_string_equal(nodes_of(p, 0), want[i]);
		assert_int_equal(np_load_charge(l, np_plan_best(p)->nodes, req.memory_bytes,
		                                req.vcpus, &claims[i]),
		                 0);
		np_plan_free(p);
	}
	for (unsigned i = 0; i < 6; i++) {
		np_load_uncharge(l, &claims[i]);
		np_claim_release(&claims[i]);
	}
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(np_load_free_bytes(l, i), 16 * GiB);
		assert_int_equal(np_load_vcpus(l, i), 0);
	}
	np_load_free(l);
	np_host_free(h);
}

/* A 64-node host where the greedy generator runs: two runs give the same ranking. */
static void test_deterministic(void **state)
{
	unsigned *d = dist_groups(64);
	np_host *h = host_uniform(64, 8, 4 * GiB, d);
	struct np_request req;
	np_load *l = NULL;
	np_plan *a, *b;

	assert_int_equal(np_load_new(h, &l), 0);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(np_load_add_vcpus(l, i, (i * 7) % 5), 0);
	request(&req, 11 * GiB, 6);
	a = run_with(h, l, &req, NP_STRATEGY_COMPACT, 5);
	b = run_with(h, l, &req, NP_STRATEGY_COMPACT, 5);
	assert_int_equal(np_plan_ncandidates(a), 5);
	assert_int_equal(np_plan_ncandidates(b), 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_true(hwloc_bitmap_isequal(np_plan_candidate(a, i)->nodes,
		                                 np_plan_candidate(b, i)->nodes));
		assert_int_equal(np_plan_candidate(a, i)->nnodes, 3);
	}
	assert_string_equal(np_plan_reason(a), np_plan_reason(b));
	assert_int_equal(np_plan_examined(a), np_plan_examined(b));
	/* Three nodes of one group of 8, the least loaded ones: load (i * 7) % 5 is 0 at 0, 5. */
	assert_int_equal(np_plan_best(a)->distance_sum, 3 * 10 + 6 * 12);
	np_plan_free(a);
	np_plan_free(b);
	np_load_free(l);
	np_host_free(h);
	free(d);
}

/* 256 nodes: sizes 1 (exact), 2 and 3 (greedy) decide, and the sets are within a group. */
static void test_256_nodes(void **state)
{
	unsigned *d = dist_groups(256);
	np_host *h = host_uniform(256, 8, 4 * GiB, d);
	struct np_request req;
	np_plan *p;

	request(&req, 2 * GiB, 4);
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0");
	assert_int_equal(np_plan_examined(p), 256);
	np_plan_free(p);

	request(&req, 6 * GiB, 4);
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0-1");
	assert_int_equal(np_plan_best(p)->distance_sum, 2 * 10 + 2 * 12);
	/* 256 grown pairs, then the 4 best tried with 2 x 254 swaps each, none better. */
	assert_int_equal(np_plan_examined(p), 256 + 4 * 2 * 254);
	np_plan_free(p);

	request(&req, 10 * GiB, 20);
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0-2");
	assert_int_equal(np_plan_best(p)->distance_sum, 3 * 10 + 6 * 12);
	np_plan_free(p);

	/* 9 nodes: a group of 8 and its nearest neighbour in the block. */
	request(&req, 33 * GiB, 4);
	p = run(h, NULL, &req);
	assert_int_equal(np_plan_best(p)->nnodes, 9);
	assert_int_equal(np_plan_best(p)->distance_sum, 9 * 10 + 8 * 7 * 12 + 2 * 8 * 20);
	assert_string_equal(nodes_of(p, 0), "0-8");
	np_plan_free(p);
	np_host_free(h);
	free(d);
}

/* A memory-only node joins a set for its memory; a memory-less node for its CPUs. */
static void test_memory_only_and_memoryless(void **state)
{
	const struct hn a[] = {
	    {4, 8 * GiB, 8 * GiB}, {0, 64 * GiB, 64 * GiB}, {4, 8 * GiB, 8 * GiB}};
	const struct hn b[] = {{4, 16 * GiB, 16 * GiB}, {8, 0, 0}, {2, 16 * GiB, 16 * GiB}};
	np_host *ha = host_make(3, a, NULL), *hb = host_make(3, b, NULL);
	struct np_request req;
	np_plan *p;

	request(&req, 20 * GiB, 2);
	p = run(ha, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0-1");
	assert_int_equal(np_plan_best(p)->ncpus, 4);
	np_plan_free(p);
	/* xen never looks at the memory-only node: nothing fits. */
	p = run_with(ha, NULL, &req, NP_STRATEGY_XEN, 1);
	assert_null(np_plan_best(p));
	np_plan_free(p);
	/* A memory-only node alone has no CPU: never a set on its own. */
	request(&req, 40 * GiB, 1);
	p = run(ha, NULL, &req);
	assert_int_equal(np_plan_best(p)->nnodes, 2);
	np_plan_free(p);

	/* 10 vCPUs: node 0 (4 CPUs, the memory) and node 1 (8 CPUs, no memory). */
	request(&req, 8 * GiB, 10);
	p = run(hb, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0-1");
	np_plan_free(p);
	np_host_free(ha);
	np_host_free(hb);
}

static void test_allowed_nodes_and_cpus(void **state)
{
	const struct hn nodes[] = {{4, 32 * GiB, 32 * GiB},
	                           {4, 16 * GiB, 16 * GiB},
	                           {4, 16 * GiB, 8 * GiB},
	                           {4, 16 * GiB, 16 * GiB}};
	np_host *h = host_make(4, nodes, NULL);
	hwloc_bitmap_t an = hwloc_bitmap_alloc(), ac = hwloc_bitmap_alloc();
	struct np_request req;
	np_plan *p;

	request(&req, 4 * GiB, 2);
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0");
	np_plan_free(p);

	hwloc_bitmap_set_range(an, 2, 3);
	req.allowed_nodes = an;
	p = run_with(h, NULL, &req, NP_STRATEGY_COMPACT, 4);
	assert_int_equal(np_plan_ncandidates(p), 2);
	assert_string_equal(nodes_of(p, 0), "3");
	assert_string_equal(nodes_of(p, 1), "2");
	np_plan_free(p);

	/* Node 3's CPUs not allowed: it may only lend memory, and 20 GiB needs it. */
	hwloc_bitmap_set_range(ac, 8, 11);
	req.allowed_cpus = ac;
	req.memory_bytes = 20 * GiB;
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "2-3");
	assert_int_equal(np_plan_best(p)->ncpus, 4);
	assert_int_equal(hwloc_bitmap_first(np_plan_best(p)->cpus), 8);
	assert_int_equal(hwloc_bitmap_last(np_plan_best(p)->cpus), 11);
	np_plan_free(p);

	/* 5 vCPUs on 4 allowed CPUs: nothing. */
	req.vcpus = 5;
	p = run(h, NULL, &req);
	assert_null(np_plan_best(p));
	assert_string_equal(np_plan_reason(p), "no set of nodes has 20 GiB free and 5 CPUs");
	np_plan_free(p);
	hwloc_bitmap_free(an);
	hwloc_bitmap_free(ac);
	np_host_free(h);
}

static void test_node_bounds(void **state)
{
	np_host *h = host_uniform(4, 4, 8 * GiB, NULL);
	struct np_request req;
	np_plan *p;

	/* 20 GiB needs 3 nodes; at most 2 allowed. */
	request(&req, 20 * GiB, 1);
	req.max_nodes = 2;
	p = run(h, NULL, &req);
	assert_null(np_plan_best(p));
	assert_string_equal(np_plan_reason(p),
	                    "no set of at most 2 nodes has 20 GiB free and 1 CPU");
	np_plan_free(p);

	/* At least 2 nodes although one would do. */
	request(&req, 1 * GiB, 1);
	req.min_nodes = 2;
	p = run(h, NULL, &req);
	assert_string_equal(nodes_of(p, 0), "0-1");
	np_plan_free(p);

	/* More than all the host has. */
	request(&req, 1 * GiB, 17);
	p = run(h, NULL, &req);
	assert_null(np_plan_best(p));
	assert_int_equal(np_plan_examined(p), 0);
	np_plan_free(p);
	np_host_free(h);
}

/*
 * A loaded host where growth by distance only yields over-committed sets. 20 nodes of 4 CPUs
 * and 8 GiB in close pairs (2i, 2i+1 at 12, others 21); in every pair the even node carries
 * 8 vCPUs, the odd one none. 28 GiB and 4 vCPUs need 4 nodes; two close pairs would carry
 * 16 + 4 vCPUs on 16 CPUs. The strict phase keeps the spare CPUs reachable at every step and
 * finds one pair plus two odd nodes: 8 + 4 <= 16, distance 40 + 24 + 210 = 274, as
 * exhaustive does.
 */
static void test_growth_avoids_overcommit(void **state)
{
	unsigned *d = calloc(400, sizeof(*d));
	np_host *h;
	np_load *l = NULL;
	struct np_request req;
	np_plan *p, *q;

	assert_non_null(d);
	for (unsigned i = 0; i < 20; i++)
		for (unsigned j = 0; j < 20; j++)
			d[i * 20 + j] = i == j ? 10 : i / 2 == j / 2 ? 12 : 21;
	h = host_uniform(20, 4, 8 * GiB, d);
	assert_int_equal(np_load_new(h, &l), 0);
	for (unsigned i = 0; i < 20; i += 2)
		assert_int_equal(np_load_add_vcpus(l, i, 8), 0);
	request(&req, 28 * GiB, 4);
	p = run(h, l, &req);
	q = run_with(h, l, &req, NP_STRATEGY_EXHAUSTIVE, 1);
	assert_string_equal(nodes_of(p, 0), "0-1,3,5");
	assert_string_equal(nodes_of(q, 0), "0-1,3,5");
	assert_int_equal(np_plan_best(p)->vcpus, 8);
	assert_int_equal(np_plan_best(p)->distance_sum, 274);
	np_plan_free(p);
	np_plan_free(q);
	np_load_free(l);
	np_host_free(h);
	free(d);
}

/*
 * Growth alone ends in {1,4,6,11} (distance 360, 9 vCPUs) on this host; swaps lead to the
 * optimum that exhaustive finds: {4,5,10,11}, two close pairs, distance 328, 8 vCPUs.
 * 20 nodes of 4 CPUs: close pairs at 12, groups of 6 at 20, 30 beyond; 43 GiB, 7 vCPUs.
 */
static void test_swaps_improve_growth(void **state)
{
	const unsigned free_gib[20] = {7, 8,  5, 5, 11, 11, 12, 9, 9, 6,
	                               9, 12, 4, 9, 4,  11, 8,  8, 9, 8};
	const unsigned load[20] = {5, 3, 1, 4, 1, 1, 3, 5, 4, 0, 4, 2, 5, 0, 3, 3, 2, 2, 0, 5};
	unsigned *d = calloc(400, sizeof(*d));
	struct hn nodes[20];
	np_host *h;
	np_load *l = NULL;
	struct np_request req;
	np_plan *p, *q;

	assert_non_null(d);
	for (unsigned i = 0; i < 20; i++) {
		nodes[i] = (struct hn){4, 16 * GiB, free_gib[i] * GiB};
		for (unsigned j = 0; j < 20; j++)
			d[i * 20 + j] = i == j           ? 10
			                : i / 2 == j / 2 ? 12
			                : i / 6 == j / 6 ? 20
			                                 : 30;
	}
	h = host_make(20, nodes, d);
	assert_int_equal(np_load_new(h, &l), 0);
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(np_load_add_vcpus(l, i, load[i]), 0);
	request(&req, 43 * GiB, 7);
	p = run(h, l, &req);
	q = run_with(h, l, &req, NP_STRATEGY_EXHAUSTIVE, 1);
	assert_string_equal(nodes_of(q, 0), "4-5,10-11");
	assert_string_equal(nodes_of(p, 0), "4-5,10-11");
	assert_int_equal(np_plan_best(p)->distance_sum, 328);
	assert_int_equal(np_plan_best(p)->vcpus, 8);
	np_plan_free(p);
	np_plan_free(q);
	np_load_free(l);
	np_host_free(h);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fewest_nodes),
	    cmocka_unit_test(test_close_pair_beats_far_pair),
	    cmocka_unit_test(test_load_per_cpu),
	    cmocka_unit_test(test_load_ratio_exact),
	    cmocka_unit_test(test_overcommit_before_distance),
	    cmocka_unit_test(test_reason_free_of_closest),
	    cmocka_unit_test(test_reason_load_of_closest),
	    cmocka_unit_test(test_reason_overcommit),
	    cmocka_unit_test(test_reason_ids),
	    cmocka_unit_test(test_reason_ids_of_most_free),
	    cmocka_unit_test(test_successive_placements_spread),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_256_nodes),
	    cmocka_unit_test(test_memory_only_and_memoryless),
	    cmocka_unit_test(test_allowed_nodes_and_cpus),
	    cmocka_unit_test(test_node_bounds),
	    cmocka_unit_test(test_growth_avoids_overcommit),
	    cmocka_unit_test(test_swaps_improve_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
