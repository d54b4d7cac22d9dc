/*
 * test-exclusive.c - exclusive whole cores (np_request.exclusive): grants are whole cores of
 * the host model, disjoint across successive grants held in a load, never reserved, under
 * one last-level cache where they can be; the no-fit reason; shared placements avoid held
 * CPUs; np_place() records the grant.
 */
#include "internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GiB (1024ull * 1024 * 1024)
#define SMT "pack:2 [numa(memory=16GiB)] core:4 pu:2"
#define SMT_L3 "pack:2 [numa(memory=16GiB)] l3:2 core:2 pu:2"

static np_host *load_host(enum np_source_kind kind, const char *arg)
{
	struct np_source src = {kind, arg, 0};
	np_host *h = NULL;

	assert_int_equal(np_host_load(&src, &h), 0);
	return h;
}

static hwloc_bitmap_t list(const char *s)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();

	assert_non_null(b);
	assert_int_equal(np_list_parse(s, 1u << 20, b), 0);
	return b;
}

static void assert_set(hwloc_const_bitmap_t set, const char *expected)
{
	char *got = NULL;

	assert_non_null(set);
	assert_true(hwloc_bitmap_list_asprintf(&got, set) >= 0);
	assert_string_equal(got, expected);
	free(got);
}

static void hold(np_load *load, const char *cpus)
{
	hwloc_bitmap_t b = list(cpus);

	assert_int_equal(np_load_hold_cpus(load, b), 0);
	hwloc_bitmap_free(b);
}

/* Search an exclusive request of `vcpus` on `nodes` (NULL: any); the plan (np_plan_free()). */
static np_plan *grant_on(const np_host *h, const np_load *load, unsigned vcpus,
                         enum np_strategy strategy, hwloc_const_nodeset_t nodes)
{
	struct np_request req;
	struct np_search_opts opts;
	np_plan *plan = NULL;

	np_request_init(&req);
	req.vcpus = vcpus;
	req.memory_bytes = GiB;
	req.exclusive = 1;
	req.allowed_nodes = nodes;
	np_search_opts_init(&opts);
	opts.strategy = strategy;
	assert_int_equal(np_search(h, load, &req, &opts, &plan), 0);
	return plan;
}

static np_plan *grant(const np_host *h, const np_load *load, unsigned vcpus,
                      enum np_strategy strategy)
{
	return grant_on(h, load, vcpus, strategy, NULL);
}

/* Every CPU of `set` comes with every CPU of its core (same socket and core id). */
static void assert_whole_cores(const np_host *h, hwloc_const_bitmap_t set)
{
	for (unsigned i = 0; i < np_host_ncpus(h); i++) {
		const struct np_cpu *a = np_host_cpu(h, i);

		if (!hwloc_bitmap_isset(set, (int)a->cpu))
			continue;
		for (unsigned j = 0; j < np_host_ncpus(h); j++) {
			const struct np_cpu *b = np_host_cpu(h, j);

			if (b->core == a->core && b->socket == a->socket)
				assert_true(hwloc_bitmap_isset(set, (int)b->cpu));
		}
	}
}

static void test_first_grant(void **state)
{
	np_host *h = load_host(NP_SOURCE_SYNTHETIC, SMT);
	np_plan *plan = grant(h, NULL, 4, NP_STRATEGY_COMPACT);
	const struct np_candidate *c = np_plan_best(plan);

	(void)state;
	assert_non_null(c);
	assert_set(c->nodes, "0");
	/* 4 vCPUs on 2 threads per core: 2 whole cores, the lowest */
	assert_set(c->exclusive, "0-3");
	assert_set(c->cpus, "0-3");
	assert_non_null(strstr(np_plan_reason(plan), "; exclusive CPUs 0-3 (2 whole cores)"));
	np_plan_free(plan);
	/* an odd count rounds up to whole cores */
	plan = grant(h, NULL, 3, NP_STRATEGY_COMPACT);
	assert_set(np_plan_best(plan)->exclusive, "0-3");
	np_plan_free(plan);
	np_host_free(h);
}

/*
 * Grants held one after the other never share a CPU, until no whole core is left. Held CPUs
 * are no capacity: the second grant finds node 1 the less loaded.
 */
static void test_successive_disjoint(void **state)
{
	static const char *const expect[] = {"0-3", "8-11", "4-7", "12-15"};
	np_host *h = load_host(NP_SOURCE_SYNTHETIC, SMT);
	hwloc_bitmap_t all = hwloc_bitmap_alloc();
	np_load *load = NULL;
	np_plan *plan;

	(void)state;
	assert_int_equal(np_load_new(h, &load), 0);
	for (unsigned i = 0; i < 4; i++) {
		const struct np_candidate *c;

		plan = grant(h, load, 3, NP_STRATEGY_COMPACT);
		c = np_plan_best(plan);
		assert_non_null(c);
		assert_set(c->exclusive, expect[i]);
		assert_whole_cores(h, c->exclusive);
		assert_false(hwloc_bitmap_intersects(c->exclusive, all));
		hwloc_bitmap_or(all, all, c->exclusive);
		assert_int_equal(np_load_hold_cpus(load, c->exclusive), 0);
		np_plan_free(plan);
	}
	assert_true(hwloc_bitmap_isequal(np_load_held_cpus(load), all));
	plan = grant(h, load, 1, NP_STRATEGY_COMPACT);
	assert_null(np_plan_best(plan));
	assert_string_equal(np_plan_reason(plan),
	                    "no set of nodes has 1 free whole core for 1 vCPU (none is free)");
	np_plan_free(plan);
	/* a grant given back is granted again */
	hwloc_bitmap_t back = list("4-7");
	np_load_unhold_cpus(load, back);
	plan = grant(h, load, 4, NP_STRATEGY_COMPACT);
	assert_set(np_plan_best(plan)->exclusive, "4-7");
	np_plan_free(plan);
	hwloc_bitmap_free(back);
	hwloc_bitmap_free(all);
	np_load_free(load);
	np_host_free(h);
}

static void test_no_fit_reason(void **state)
{
	np_host *h = load_host(NP_SOURCE_SYNTHETIC, SMT);
	np_load *load = NULL;
	np_plan *plan;
	struct np_request req;

	(void)state;
	assert_int_equal(np_load_new(h, &load), 0);
	/* node 0 wholly held, half of node 1: 2 whole cores left */
	hold(load, "0-11");
	plan = grant(h, load, 8, NP_STRATEGY_COMPACT);
	assert_null(np_plan_best(plan));
	assert_string_equal(
	    np_plan_reason(plan),
	    "no set of nodes has 4 free whole cores for 8 vCPUs (most: 2 on node 1)");
	np_plan_free(plan);
	/* a CPU of a core held: that core is not whole (CPU 12 held leaves 14-15) */
	hold(load, "12");
	plan = grant(h, load, 4, NP_STRATEGY_COMPACT);
	assert_string_equal(
	    np_plan_reason(plan),
	    "no set of nodes has 2 free whole cores for 4 vCPUs (most: 1 on node 1)");
	np_plan_free(plan);
	plan = grant(h, load, 2, NP_STRATEGY_COMPACT);
	assert_set(np_plan_best(plan)->exclusive, "14-15");
	np_plan_free(plan);
	np_load_free(load);
	/* at most one node: the most is one node's */
	np_request_init(&req);
	req.vcpus = 10;
	req.exclusive = 1;
	req.max_nodes = 1;
	assert_int_equal(np_search(h, NULL, &req, NULL, &plan), 0);
	assert_string_equal(np_plan_reason(plan),
	                    "no set of at most 1 nodes has 5 free whole cores "
	                    "for 10 vCPUs (most: 4 on node 0)");
	np_plan_free(plan);
	/* without the limit, two nodes hold it */
	req.max_nodes = 0;
	assert_int_equal(np_search(h, NULL, &req, NULL, &plan), 0);
	assert_set(np_plan_best(plan)->nodes, "0-1");
	assert_int_equal(hwloc_bitmap_weight(np_plan_best(plan)->exclusive), 10);
	assert_whole_cores(h, np_plan_best(plan)->exclusive);
	np_plan_free(plan);
	np_host_free(h);
}

/* A core with a reserved CPU is no whole core; reserved CPUs are never granted. */
static void test_reserved(void **state)
{
	np_host *h = load_host(NP_SOURCE_SYNTHETIC, SMT);
	hwloc_bitmap_t r = list("1,9");
	np_load *load = NULL;
	np_plan *plan;

	(void)state;
	assert_int_equal(np_host_reserve(h, r), 0);
	assert_int_equal(np_load_new(h, &load), 0);
	plan = grant(h, load, 2, NP_STRATEGY_COMPACT);
	assert_set(np_plan_best(plan)->exclusive, "2-3");
	np_plan_free(plan);
	/* 3 whole cores per node now: 8 vCPUs need two nodes' worth (3 + 1 cores) */
	plan = grant(h, load, 8, NP_STRATEGY_COMPACT);
	assert_set(np_plan_best(plan)->exclusive, "2-7,10-11");
	np_plan_free(plan);
	for (unsigned v = 1; v <= 12; v++) {
		plan = grant(h, load, v, NP_STRATEGY_COMPACT);
		assert_non_null(np_plan_best(plan));
		assert_false(hwloc_bitmap_isset(np_plan_best(plan)->exclusive, 0));
		assert_false(hwloc_bitmap_isset(np_plan_best(plan)->exclusive, 1));
		assert_false(hwloc_bitmap_isset(np_plan_best(plan)->exclusive, 8));
		assert_false(hwloc_bitmap_isset(np_plan_best(plan)->exclusive, 9));
		np_plan_free(plan);
	}
	plan = grant(h, load, 13, NP_STRATEGY_COMPACT);
	assert_string_equal(
	    np_plan_reason(plan),
	    "no set of nodes has 7 free whole cores for 13 vCPUs (most: 6 on nodes 0-1)");
	np_plan_free(plan);
	hwloc_bitmap_free(r);
	np_load_free(load);
	np_host_free(h);
}

/* Cores under one L3 first: the smallest cache group that holds the request. */
static void check_llc(np_host *h)
{
	hwloc_bitmap_t n0 = list("0");
	np_load *load = NULL;
	np_plan *plan;

	assert_int_equal(np_load_new(h, &load), 0);
	assert_true(np_host_cpu(h, 0)->llc >= 0);
	assert_int_equal(np_host_cpu(h, 3)->llc, np_host_cpu(h, 0)->llc);
	assert_true(np_host_cpu(h, 4)->llc != np_host_cpu(h, 0)->llc);
	hold(load, "0-1");
	/* 2-3 and 4-5 are the lowest free cores, but under two L3s: 4-7 shares one */
	plan = grant_on(h, load, 4, NP_STRATEGY_COMPACT, n0);
	assert_set(np_plan_best(plan)->exclusive, "4-7");
	np_plan_free(plan);
	/* the L3 with 2 free CPUs holds 2 vCPUs, and the whole L3 stays free */
	plan = grant_on(h, load, 2, NP_STRATEGY_COMPACT, n0);
	assert_set(np_plan_best(plan)->exclusive, "2-3");
	np_plan_free(plan);
	/* 6 vCPUs: the free L3 whole, then the rest */
	plan = grant_on(h, load, 6, NP_STRATEGY_COMPACT, n0);
	assert_set(np_plan_best(plan)->exclusive, "2-7");
	np_plan_free(plan);
	hwloc_bitmap_free(n0);
	np_load_free(load);
	np_host_free(h);
}

static void test_llc_synthetic(void **state)
{
	(void)state;
	check_llc(load_host(NP_SOURCE_SYNTHETIC, SMT_L3));
}

static void test_llc_xml(void **state)
{
	(void)state;
	check_llc(load_host(NP_SOURCE_XML, FIXTURES "/xml/smt-l3.xml"));
}

/* A host whose cores are unknown: every CPU is a core of its own. */
static void test_unknown_cores(void **state)
{
	hwloc_bitmap_t c0 = list("0-3"), c1 = list("4-7");
	struct np_node_spec spec[2] = {{0, c0, 16 * GiB, 16 * GiB, 0, NULL},
	                               {1, c1, 16 * GiB, 16 * GiB, 0, NULL}};
	np_host *h = NULL;
	np_plan *plan;

	(void)state;
	assert_int_equal(np_host_build(2, spec, NULL, &h), 0);
	assert_int_equal(np_host_cpu(h, 0)->llc, -1);
	plan = grant(h, NULL, 3, NP_STRATEGY_COMPACT);
	assert_set(np_plan_best(plan)->exclusive, "0-2");
	np_plan_free(plan);
	hwloc_bitmap_free(c0);
	hwloc_bitmap_free(c1);
	np_host_free(h);
}

/* Every strategy grants whole cores of the set it chose, none held. */
static void test_strategies(void **state)
{
	np_host *h = load_host(NP_SOURCE_SYNTHETIC, SMT);
	np_load *load = NULL;

	(void)state;
	assert_int_equal(np_load_new(h, &load), 0);
	hold(load, "0-1,8-9");
	for (unsigned st = 0; st < NP_STRATEGY_COUNT_; st++) {
		np_plan *plan = grant(h, load, 4, (enum np_strategy)st);
		const struct np_candidate *c = np_plan_best(plan);
		hwloc_bitmap_t cpus = hwloc_bitmap_alloc();

		assert_non_null(c);
		assert_int_equal(hwloc_bitmap_weight(c->exclusive), 4);
		assert_whole_cores(h, c->exclusive);
		assert_false(hwloc_bitmap_intersects(c->exclusive, np_load_held_cpus(load)));
		np_host_nodeset_to_cpuset(h, c->nodes, cpus);
		assert_true(hwloc_bitmap_isincluded(c->exclusive, cpus));
		hwloc_bitmap_free(cpus);
		np_plan_free(plan);
	}
	np_load_free(load);
	np_host_free(h);
}

/* A shared placement's CPUs leave the held ones out, and they count as no capacity. */
static void test_shared_avoids_held(void **state)
{
	np_host *h = load_host(NP_SOURCE_SYNTHETIC, SMT);
	hwloc_bitmap_t n0 = list("0");
	struct np_request req;
	np_load *load = NULL;
	np_plan *plan;

	(void)state;
	assert_int_equal(np_load_new(h, &load), 0);
	hold(load, "0-3");
	np_request_init(&req);
	req.vcpus = 2;
	req.allowed_nodes = n0;
	assert_int_equal(np_search(h, load, &req, NULL, &plan), 0);
	assert_set(np_plan_best(plan)->cpus, "4-7");
	assert_null(np_plan_best(plan)->exclusive);
	assert_int_equal(np_plan_best(plan)->ncpus, 4);
	assert_non_null(strstr(np_plan_reason(plan), "; 4 CPUs held exclusively left out"));
	np_plan_free(plan);
	/* with every node allowed, the node with no CPU held is the less loaded */
	req.allowed_nodes = NULL;
	req.vcpus = 4;
	hold(load, "4-5");
	assert_int_equal(np_search(h, load, &req, NULL, &plan), 0);
	assert_set(np_plan_best(plan)->nodes, "1");
	assert_set(np_plan_best(plan)->cpus, "8-15");
	np_plan_free(plan);
	/* every allowed CPU held: used as before, and said */
	req.allowed_nodes = n0;
	req.vcpus = 1;
	hold(load, "6-7");
	assert_int_equal(np_search(h, load, &req, NULL, &plan), 0);
	assert_set(np_plan_best(plan)->cpus, "0-7");
	assert_non_null(
	    strstr(np_plan_reason(plan), "every allowed CPU is held exclusively: shared with"));
	np_plan_free(plan);
	hwloc_bitmap_free(n0);
	np_load_free(load);
	np_host_free(h);
}

/* np_place() (a dry run of this process) reports the grant; nodes given narrow the search. */
static void test_place_dry_run(void **state)
{
	np_host *h = load_host(NP_SOURCE_SYNTHETIC, SMT);
	hwloc_bitmap_t n1 = list("1");
	struct np_target t;
	struct np_place_req req;
	struct np_placement p;

	(void)state;
	np_target_init(&t);
	np_place_req_init(&req);
	np_placement_init(&p);
	req.request.vcpus = 4;
	req.request.memory_bytes = GiB;
	req.binding = NP_CPU_BINDING_EXCLUSIVE;
	req.flags = NP_PLACE_DRY_RUN;
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.fit, NP_PLACE_FITS);
	assert_set(p.exclusive, "0-3");
	assert_set(p.cpus, "0-3");
	np_placement_release(&p);
	np_placement_init(&p);
	req.nodes = n1;
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_set(p.nodes, "1");
	assert_set(p.exclusive, "8-11");
	np_placement_release(&p);
	np_placement_init(&p);
	req.nodes = NULL;
	req.binding = NP_CPU_BINDING_STRICT;
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_true(hwloc_bitmap_iszero(p.exclusive));
	assert_set(p.cpus, "0-7");
	np_placement_release(&p);
	np_target_release(&t);
	hwloc_bitmap_free(n1);
	np_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_grant),        cmocka_unit_test(test_successive_disjoint),
	    cmocka_unit_test(test_no_fit_reason),      cmocka_unit_test(test_reserved),
	    cmocka_unit_test(test_llc_synthetic),      cmocka_unit_test(test_llc_xml),
	    cmocka_unit_test(test_unknown_cores),      cmocka_unit_test(test_strategies),
	    cmocka_unit_test(test_shared_avoids_held), cmocka_unit_test(test_place_dry_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
