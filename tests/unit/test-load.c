/* test-load.c - load accounting: water-filling charges with exact bytes, and np_load_uncharge(). */
#include "internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

struct hn {
	unsigned id;
	unsigned ncpus;
	uint64_t mem;
	uint64_t free;
};

static np_host *host_make(unsigned n, const struct hn *nodes)
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
		spec[i].id = nodes[i].id;
		spec[i].cpus = cpus[i];
		spec[i].memory_bytes = nodes[i].mem;
		spec[i].free_bytes = nodes[i].free;
	}
	assert_int_equal(np_host_build(n, spec, NULL, &h), 0);
	for (unsigned i = 0; i < n; i++)
		hwloc_bitmap_free(cpus[i]);
	free(cpus);
	free(spec);
	return h;
}

static hwloc_bitmap_t set_of(const char *list)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();

	assert_int_equal(hwloc_bitmap_list_sscanf(b, list), 0);
	return b;
}

static void expect_free(const np_load *l, unsigned n, const uint64_t *want)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(np_load_free_bytes(l, i), want[i]);
}

static void test_new_and_accessors(void **state)
{
	const struct hn nodes[] = {{0, 4, 1000, 900}, {1, 4, 2000, 1500}};
	np_host *h = host_make(2, nodes);
	np_load *l = NULL, *d = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_free_bytes(l, 0), 900);
	assert_int_equal(np_load_free_bytes(l, 1), 1500);
	assert_int_equal(np_load_vcpus(l, 1), 0);
	assert_int_equal(np_load_free_bytes(l, 2), 0);
	assert_int_equal(np_load_set_free(l, 2, 5), -ERANGE);
	assert_int_equal(np_load_add_vcpus(l, 2, 5), -ERANGE);
	assert_int_equal(np_load_set_free(l, 1, 77), 0);
	assert_int_equal(np_load_add_vcpus(l, 1, 3), 0);
	assert_int_equal(np_load_add_vcpus(l, 1, 2), 0);
	assert_int_equal(np_load_vcpus(l, 1), 5);

	/* A copy is independent. */
	assert_int_equal(np_load_dup(l, &d), 0);
	assert_int_equal(np_load_set_free(d, 1, 1), 0);
	assert_int_equal(np_load_free_bytes(l, 1), 77);
	assert_int_equal(np_load_free_bytes(d, 1), 1);
	assert_int_equal(np_load_vcpus(d, 1), 5);
	np_load_free(d);
	np_load_free(l);
	np_load_free(NULL);
	np_host_free(h);
}

/* 1001 bytes over three equal nodes: 334, 334, 333 (the odd bytes to the lowest ids). */
static void test_even_split_odd_bytes(void **state)
{
	const struct hn nodes[] = {{0, 2, 1000, 1000}, {1, 2, 1000, 1000}, {2, 2, 1000, 1000}};
	const uint64_t want[] = {666, 666, 667};
	np_host *h = host_make(3, nodes);
	hwloc_bitmap_t all = set_of("0-2");
	struct np_claim c = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, all, 1001, 4, &c), 0);
	expect_free(l, 3, want);
	assert_int_equal(c.nbytes, 3);
	assert_int_equal(c.bytes[0], 334);
	assert_int_equal(c.bytes[1], 334);
	assert_int_equal(c.bytes[2], 333);
	assert_int_equal(c.vcpus, 4);
	assert_true(hwloc_bitmap_isequal(c.nodes, all));
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(np_load_vcpus(l, i), 4);
	np_claim_release(&c);
	np_claim_release(&c); /* idempotent */
	assert_null(c.nodes);
	hwloc_bitmap_free(all);
	np_load_free(l);
	np_host_free(h);
}

/* The worked example of load.c: 100 / 1000 / 1000 free, 1001 bytes -> 100, 451, 450. */
static void test_water_fill_saturates(void **state)
{
	const struct hn nodes[] = {{0, 2, 1000, 100}, {1, 2, 1000, 1000}, {2, 2, 1000, 1000}};
	const uint64_t want[] = {0, 549, 550};
	np_host *h = host_make(3, nodes);
	hwloc_bitmap_t all = set_of("0-2");
	struct np_claim c = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, all, 1001, 1, &c), 0);
	assert_int_equal(c.bytes[0], 100);
	assert_int_equal(c.bytes[1], 451);
	assert_int_equal(c.bytes[2], 450);
	expect_free(l, 3, want);
	np_claim_release(&c);
	hwloc_bitmap_free(all);
	np_load_free(l);
	np_host_free(h);
}

/*
 * Two small nodes saturate one after the other: 2000 bytes over 10 / 20 / 1000 / 1000.
 * 10 <= 2000/4 gives 10; 20 <= 1990/3 gives 20; 1970/2 = 985 each to the big ones.
 */
static void test_water_fill_cascade(void **state)
{
	const struct hn nodes[] = {
	    {0, 1, 1000, 10}, {1, 1, 1000, 20}, {2, 1, 1000, 1000}, {3, 1, 1000, 1000}};
	const uint64_t want[] = {0, 0, 15, 15};
	np_host *h = host_make(4, nodes);
	hwloc_bitmap_t all = set_of("0-3");
	struct np_claim c = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, all, 2000, 1, &c), 0);
	expect_free(l, 4, want);
	assert_int_equal(c.bytes[0], 10);
	assert_int_equal(c.bytes[1], 20);
	assert_int_equal(c.bytes[2], 985);
	assert_int_equal(c.bytes[3], 985);
	np_claim_release(&c);
	hwloc_bitmap_free(all);
	np_load_free(l);
	np_host_free(h);
}

/*
 * The leftover bytes go to the lowest ids whatever their free memory: 11 bytes over nodes
 * with 500 (id 0), 100 (id 1) and 300 (id 2) free -> 4, 4, 3.
 */
static void test_leftover_by_id(void **state)
{
	const struct hn nodes[] = {{0, 1, 500, 500}, {1, 1, 500, 100}, {2, 1, 500, 300}};
	np_host *h = host_make(3, nodes);
	hwloc_bitmap_t all = set_of("0-2");
	struct np_claim c = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, all, 11, 1, &c), 0);
	assert_int_equal(c.bytes[0], 4);
	assert_int_equal(c.bytes[1], 4);
	assert_int_equal(c.bytes[2], 3);
	np_claim_release(&c);
	hwloc_bitmap_free(all);
	np_load_free(l);
	np_host_free(h);
}

/* Sparse ids: the claim is per host index, the set is by id. */
static void test_sparse_ids_and_subset(void **state)
{
	const struct hn nodes[] = {{0, 2, 4096, 4096}, {4, 2, 4096, 4096}, {9, 2, 4096, 3000}};
	const uint64_t want[] = {4096, 4096 - 2501, 3000 - 2500};
	np_host *h = host_make(3, nodes);
	hwloc_bitmap_t set = set_of("4,9");
	struct np_claim c = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, set, 5001, 3, &c), 0);
	expect_free(l, 3, want);
	assert_int_equal(np_load_vcpus(l, 0), 0);
	assert_int_equal(np_load_vcpus(l, 1), 3);
	assert_int_equal(np_load_vcpus(l, 2), 3);
	assert_int_equal(c.bytes[0], 0);
	np_claim_release(&c);
	hwloc_bitmap_free(set);
	np_load_free(l);
	np_host_free(h);
}

/* A node without memory takes vCPUs only; a memory-only node takes memory and vCPUs. */
static void test_memoryless_and_cpuless(void **state)
{
	const struct hn nodes[] = {{0, 4, 0, 0}, {1, 0, 1000, 1000}, {2, 4, 1000, 1000}};
	const uint64_t want[] = {0, 749, 750};
	np_host *h = host_make(3, nodes);
	hwloc_bitmap_t all = set_of("0-2");
	struct np_claim c = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, all, 501, 2, &c), 0);
	expect_free(l, 3, want);
	assert_int_equal(c.bytes[0], 0);
	assert_int_equal(c.bytes[1], 251);
	assert_int_equal(c.bytes[2], 250);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(np_load_vcpus(l, i), 2);
	np_claim_release(&c);
	hwloc_bitmap_free(all);
	np_load_free(l);
	np_host_free(h);
}

/* Exactly the free total fits and empties every node; one byte more is -ENOSPC. */
static void test_exact_total_and_enospc(void **state)
{
	const struct hn nodes[] = {{0, 1, 1000, 7}, {1, 1, 1000, 13}};
	const uint64_t before[] = {7, 13}, empty[] = {0, 0};
	np_host *h = host_make(2, nodes);
	hwloc_bitmap_t all = set_of("0-1");
	struct np_claim c = {0}, untouched = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, all, 21, 1, &c), -ENOSPC);
	expect_free(l, 2, before);
	assert_int_equal(np_load_vcpus(l, 0), 0);
	assert_memory_equal(&c, &untouched, sizeof(c));
	assert_int_equal(np_load_charge(l, all, 20, 1, &c), 0);
	expect_free(l, 2, empty);
	np_load_uncharge(l, &c);
	expect_free(l, 2, before);
	assert_int_equal(np_load_vcpus(l, 1), 0);
	np_claim_release(&c);
	hwloc_bitmap_free(all);
	np_load_free(l);
	np_host_free(h);
}

static void test_bad_sets(void **state)
{
	const struct hn nodes[] = {{0, 1, 1000, 1000}, {1, 1, 1000, 1000}};
	np_host *h = host_make(2, nodes);
	hwloc_bitmap_t empty = hwloc_bitmap_alloc(), unknown = set_of("1-2");
	struct np_claim c = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, empty, 1, 1, &c), -EINVAL);
	assert_int_equal(np_load_charge(l, unknown, 1, 1, &c), -EINVAL);
	assert_int_equal(np_load_charge(l, NULL, 1, 1, &c), -EINVAL);
	assert_null(c.nodes);
	hwloc_bitmap_free(empty);
	hwloc_bitmap_free(unknown);
	np_load_free(l);
	np_host_free(h);
}

/* Claims released in another order than taken leave the load exactly as it was. */
static void test_release_restores(void **state)
{
	const struct hn nodes[] = {
	    {0, 4, 1 << 20, 1000003}, {1, 4, 1 << 20, 999999}, {2, 4, 1 << 20, 12345}};
	const uint64_t before[] = {1000003, 999999, 12345};
	np_host *h = host_make(3, nodes);
	hwloc_bitmap_t a = set_of("0-2"), b = set_of("1-2"), c0 = set_of("0");
	struct np_claim ca = {0}, cb = {0}, cc = {0};
	np_load *l = NULL;

	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_charge(l, a, 777777, 3, &ca), 0);
	assert_int_equal(np_load_charge(l, b, 333333, 5, &cb), 0);
	assert_int_equal(np_load_charge(l, c0, 1, 1, &cc), 0);
	/* 777777 / 3: node 2 saturates at 12345, 765432 / 2 = 382716 each. */
	assert_int_equal(ca.bytes[0], 382716);
	assert_int_equal(ca.bytes[1], 382716);
	assert_int_equal(ca.bytes[2], 12345);
	/* Node 2 is empty now: all of it on node 1. */
	assert_int_equal(cb.bytes[1], 333333);
	assert_int_equal(cb.bytes[2], 0);
	assert_int_equal(np_load_vcpus(l, 0), 4);
	assert_int_equal(np_load_vcpus(l, 1), 8);
	np_load_uncharge(l, &ca);
	np_load_uncharge(l, &cc);
	np_load_uncharge(l, &cb);
	expect_free(l, 3, before);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(np_load_vcpus(l, i), 0);
	np_claim_release(&ca);
	np_claim_release(&cb);
	np_claim_release(&cc);
	hwloc_bitmap_free(a);
	hwloc_bitmap_free(b);
	hwloc_bitmap_free(c0);
	np_load_free(l);
	np_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_and_accessors),
	    cmocka_unit_test(test_even_split_odd_bytes),
	    cmocka_unit_test(test_water_fill_saturates),
	    cmocka_unit_test(test_water_fill_cascade),
	    cmocka_unit_test(test_leftover_by_id),
	    cmocka_unit_test(test_sparse_ids_and_subset),
	    cmocka_unit_test(test_memoryless_and_cpuless),
	    cmocka_unit_test(test_exact_total_and_enospc),
	    cmocka_unit_test(test_bad_sets),
	    cmocka_unit_test(test_release_restores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
