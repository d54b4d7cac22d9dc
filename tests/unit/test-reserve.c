/*
 * test-reserve.c - np_host_reserve(): reserved CPUs leave the snapshot's usable CPUs, so that
 * no strategy places on them, on a built host and on a sysfs fixture loaded both ways.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#define GiB (1024ull * 1024 * 1024)

static void assert_set(hwloc_const_bitmap_t set, const char *expected)
{
	char *got = NULL;

	assert_non_null(set);
	assert_true(hwloc_bitmap_list_asprintf(&got, set) >= 0);
	assert_string_equal(got, expected);
	free(got);
}

static hwloc_bitmap_t list(const char *s)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();

	assert_non_null(b);
	assert_int_equal(np_list_parse(s, 1u << 20, b), 0);
	return b;
}

/* Node 0: CPUs 0-3, 16 GiB free; node 1: CPUs 4-7, 8 GiB free. */
static np_host *two_nodes(void)
{
	hwloc_bitmap_t c0 = list("0-3"), c1 = list("4-7");
	struct np_node_spec spec[2] = {{0, c0, 16 * GiB, 16 * GiB, 0, NULL},
	                               {1, c1, 8 * GiB, 8 * GiB, 0, NULL}};
	np_host *h = NULL;

	assert_int_equal(np_host_build(2, spec, NULL, &h), 0);
	hwloc_bitmap_free(c0);
	hwloc_bitmap_free(c1);
	return h;
}

static void test_reserve_removes(void **state)
{
	np_host *h = two_nodes();
	hwloc_bitmap_t r = list("0-3,5,100");

	assert_null(np_host_reserved_cpuset(h));
	assert_null(np_host_node(h, 0)->reserved);
	assert_int_equal(np_host_reserve(h, r), 0);
	/* node 0 keeps its memory and loses every CPU; CPU 100 is not on the host */
	assert_int_equal(np_host_nnodes(h), 2);
	assert_int_equal(np_host_node(h, 0)->ncpus, 0);
	assert_true(hwloc_bitmap_iszero(np_host_node(h, 0)->cpuset));
	assert_int_equal(np_host_node(h, 0)->memory_bytes, 16 * GiB);
	assert_set(np_host_node(h, 0)->reserved, "0-3");
	assert_int_equal(np_host_node(h, 1)->ncpus, 3);
	assert_set(np_host_node(h, 1)->cpuset, "4,6-7");
	assert_set(np_host_node(h, 1)->reserved, "5");
	assert_set(np_host_cpuset(h), "4,6-7");
	assert_set(np_host_reserved_cpuset(h), "0-3,5");
	assert_int_equal(np_host_ncpus(h), 3);
	assert_int_equal(np_host_cpu(h, 0)->cpu, 4);
	assert_int_equal(np_host_cpu(h, 1)->cpu, 6);
	assert_int_equal(np_host_cpu(h, 2)->cpu, 7);
	assert_int_equal(np_host_cpu(h, 2)->node, 1);
	/* cumulative; a set the host does not have changes nothing */
	hwloc_bitmap_free(r);
	r = list("7,200");
	assert_int_equal(np_host_reserve(h, r), 0);
	assert_set(np_host_reserved_cpuset(h), "0-3,5,7");
	assert_set(np_host_node(h, 1)->cpuset, "4,6");
	assert_int_equal(np_host_ncpus(h), 2);
	hwloc_bitmap_free(r);
	r = list("300");
	assert_int_equal(np_host_reserve(h, r), 0);
	assert_set(np_host_reserved_cpuset(h), "0-3,5,7");
	assert_int_equal(np_host_reserve(NULL, r), -EINVAL);
	assert_int_equal(np_host_reserve(h, NULL), -EINVAL);
	hwloc_bitmap_free(r);
	np_host_free(h);
}

/*
 * Node 0 is the better node for every strategy (more free memory, same CPUs): with its CPUs
 * reserved, every strategy's vCPUs go to node 1; a workload larger than node 1's memory still
 * takes node 0's memory, with node 1's CPUs only (not with xen, which ignores CPU-less nodes).
 */
static void test_reserved_node_holds_no_vcpus(void **state)
{
	hwloc_bitmap_t r = list("0-3");

	for (int s = 0; s < NP_STRATEGY_COUNT_; s++) {
		struct np_search_opts so;
		struct np_request req;
		const struct np_candidate *best;
		np_plan *plan = NULL;
		np_host *h = two_nodes();

		assert_int_equal(np_host_reserve(h, r), 0);
		np_search_opts_init(&so);
		so.strategy = (enum np_strategy)s;
		np_request_init(&req);
		req.vcpus = 2;
		req.memory_bytes = 1 * GiB;
		assert_int_equal(np_search(h, NULL, &req, &so, &plan), 0);
		best = np_plan_best(plan);
		assert_non_null(best);
		assert_false(hwloc_bitmap_intersects(best->cpus, r));
		/* first-fit takes the lowest ids that fit, and node 0 alone has no CPU */
		assert_set(best->nodes,
		           s == NP_STRATEGY_SPREAD || s == NP_STRATEGY_FIRST_FIT ? "0-1" : "1");
		assert_set(best->cpus, "4-7");
		np_plan_free(plan);

		req.memory_bytes = 12 * GiB;
		assert_int_equal(np_search(h, NULL, &req, &so, &plan), 0);
		best = np_plan_best(plan);
		if (s == NP_STRATEGY_XEN) {
			/* xen, as libxl, knows only nodes with CPUs: node 0 is gone for it */
			assert_null(best);
			assert_string_equal(np_plan_reason(plan),
			                    "no set of nodes has 12 GiB free and 2 CPUs");
			np_plan_free(plan);
			np_host_free(h);
			continue;
		}
		if (!best)
			fail_msg("strategy %s: %s", np_strategy_name(so.strategy),
			         np_plan_reason(plan));
		assert_set(best->nodes, "0-1");
		assert_set(best->cpus, "4-7");
		assert_int_equal(best->ncpus, 4);
		np_plan_free(plan);
		np_host_free(h);
	}
	hwloc_bitmap_free(r);
}

/* A sysfs fixture, through hwloc and NP_HOST_FAST: the same CPUs removed. */
static void test_reserve_fixture(void **state)
{
	static const unsigned flags[] = {0, NP_HOST_FAST};
	char path[PATH_MAX];
	hwloc_bitmap_t r = list("0-1,6");

	snprintf(path, sizeof(path), "%s/sysfs/two-node", FIXTURES);
	for (unsigned f = 0; f < 2; f++) {
		struct np_source src = {NP_SOURCE_SYSFS, path, flags[f]};
		np_host *h = NULL;

		assert_int_equal(np_host_load(&src, &h), 0);
		assert_int_equal(np_host_reserve(h, r), 0);
		assert_set(np_host_cpuset(h), "2-5,7");
		assert_set(np_host_node(h, 0)->cpuset, "2-3");
		assert_set(np_host_node(h, 1)->reserved, "6");
		assert_int_equal(np_host_ncpus(h), 5);
		np_host_free(h);
	}
	hwloc_bitmap_free(r);
}

/*
 * np_place() with nodes given by hand (a dry run: nothing bound): a node whose every CPU is
 * reserved gives the host's usable CPUs, not none (which would leave the process where it
 * runs, reserved CPUs included); a node with CPUs left gives those.
 */
static void test_place_nodes_reserved(void **state)
{
	hwloc_bitmap_t r = list("0-3,5"), n0 = list("0"), n1 = list("1");
	const hwloc_const_bitmap_t given[2] = {n0, n1};
	const char *const want[2] = {"4,6-7", "4,6-7"};
	np_host *h = two_nodes();

	if (access("/proc/self/numa_maps", R_OK) < 0)
		skip(); /* np_place() reads this process's memory per node */
	assert_int_equal(np_host_reserve(h, r), 0);
	for (unsigned k = 0; k < 2; k++) {
		struct np_place_req req;
		struct np_placement p;
		struct np_target t;

		np_target_init(&t);
		np_place_req_init(&req);
		req.flags = NP_PLACE_DRY_RUN;
		req.nodes = given[k];
		req.request.memory_bytes = GiB;
		np_placement_init(&p);
		assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
		assert_set(p.nodes, k ? "1" : "0");
		assert_set(p.cpus, want[k]);
		np_placement_release(&p);
		np_target_release(&t);
	}
	hwloc_bitmap_free(r);
	hwloc_bitmap_free(n0);
	hwloc_bitmap_free(n1);
	np_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reserve_removes),
	    cmocka_unit_test(test_reserved_node_holds_no_vcpus),
	    cmocka_unit_test(test_reserve_fixture),
	    cmocka_unit_test(test_place_nodes_reserved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
