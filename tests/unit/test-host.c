/*
 * test-host.c - np_host_load() from every source: the sysfs fixtures (through hwloc and with
 * NP_HOST_FAST), the XML fixtures, synthetic descriptions, the live host, and broken trees.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define GIB (1ull << 30)
#define MIB (1ull << 20)

static const char *const sysfs_fixtures[] = {
    "two-node",  "sparse",     "cpuless", "memless",       "nodistance", "old-kernel",
    "hugepages", "many-nodes", "cgroup",  "memtotal-only", "same-cpus",  "no-node-dirs",
};

static char *fixture(const char *kind, const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", FIXTURES, kind, name);
	return path;
}

static np_host *load(enum np_source_kind kind, const char *arg, unsigned flags)
{
	struct np_source src = {kind, arg, flags};
	np_host *h = NULL;
	int r = np_host_load(&src, &h);

	if (r != 0)
		fail_msg("np_host_load(%d, %s, %#x) = %d: %s", (int)kind, arg ? arg : "NULL", flags,
		         r, np_last_error());
	assert_non_null(h);
	assert_string_equal(np_last_error(), "");
	return h;
}

static np_host *load_sysfs(const char *name, unsigned flags)
{
	return load(NP_SOURCE_SYSFS, fixture("sysfs", name), flags);
}

static void assert_cpus(hwloc_const_bitmap_t set, const char *expected)
{
	char *got = NULL;

	hwloc_bitmap_list_asprintf(&got, set);
	if (strcmp(got, expected) != 0)
		fail_msg("CPUs \"%s\", expected \"%s\"", got, expected);
	free(got);
}

/* Node at index idx: its id, CPUs, total and free bytes. */
static void assert_node(const np_host *h, unsigned idx, unsigned id, const char *cpus,
                        uint64_t memory, uint64_t free_bytes)
{
	const struct np_node *n = np_host_node(h, idx);

	assert_non_null(n);
	assert_int_equal(n->id, id);
	assert_cpus(n->cpuset, cpus);
	assert_int_equal(n->ncpus, hwloc_bitmap_weight(n->cpuset));
	assert_int_equal(n->memory_bytes, memory);
	assert_int_equal(n->free_bytes, free_bytes);
	assert_int_equal(np_host_node_idx(h, id), (int)idx);
}

static void assert_distances(const np_host *h, const unsigned *expected)
{
	unsigned n = np_host_nnodes(h);

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			if (np_host_distance(h, i, j) != expected[i * n + j])
				fail_msg("distance(%u, %u) = %u, expected %u", i, j,
				         np_host_distance(h, i, j), expected[i * n + j]);
}

static void assert_hugepages(const struct np_node *n, unsigned idx, uint64_t size, uint64_t total,
                             uint64_t free_pages)
{
	assert_true(idx < n->nhugepages);
	assert_int_equal(n->hugepages[idx].size_bytes, size);
	assert_int_equal(n->hugepages[idx].total, total);
	assert_int_equal(n->hugepages[idx].free, free_pages);
}

static void assert_cpu(const np_host *h, unsigned idx, unsigned cpu, int core, int socket,
                       unsigned node)
{
	const struct np_cpu *c = np_host_cpu(h, idx);

	assert_non_null(c);
	assert_int_equal(c->cpu, cpu);
	assert_int_equal(c->core, core);
	assert_int_equal(c->socket, socket);
	assert_int_equal(c->node, node);
}

/* ---- sysfs fixtures, through hwloc and with NP_HOST_FAST ---------------------------------- */

static void test_sysfs_two_node(void **state)
{
	static const unsigned dist[] = {10, 21, 21, 10};

	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load_sysfs("two-node", fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_nnodes(h), 2);
		assert_node(h, 0, 0, "0-3", 8 * GIB, 5 * GIB); /* MemFree 4 + Inactive(file) 1 */
		assert_node(h, 1, 1, "4-7", 8 * GIB, 6 * GIB + 512 * MIB);
		assert_distances(h, dist);
		assert_false(np_host_distances_assumed(h));
		assert_int_equal(np_host_node(h, 0)->nhugepages, 1);
		assert_hugepages(np_host_node(h, 0), 0, 2 * MIB, 0, 0);
		assert_int_equal(np_host_ncpus(h), 8);
		assert_cpus(np_host_cpuset(h), "0-7");
		assert_cpus(np_host_nodeset(h), "0-1");
		if (fast) {
			assert_null(np_host_topology(h));
			assert_cpu(h, 5, 5, -1, -1, 1);
		} else {
			assert_non_null(np_host_topology(h));
			/* Two threads per core; package = node. */
			assert_cpu(h, 0, 0, 0, 0, 0);
			assert_cpu(h, 3, 3, 1, 0, 0);
			assert_cpu(h, 4, 4, 0, 1, 1);
			assert_cpu(h, 7, 7, 1, 1, 1);
		}
		np_host_free(h);
	}
}

static void test_sysfs_memfree_only(void **state)
{
	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h =
		    load_sysfs("two-node", NP_HOST_MEMFREE_ONLY | (fast ? NP_HOST_FAST : 0));

		assert_node(h, 0, 0, "0-3", 8 * GIB, 4 * GIB);
		assert_node(h, 1, 1, "4-7", 8 * GIB, 6 * GIB);
		np_host_free(h);
	}
}

static void test_sysfs_sparse(void **state)
{
	static const unsigned dist[] = {10, 12, 20, 20, 12, 10, 20, 20,
	                                20, 20, 10, 12, 20, 20, 12, 10};

	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load_sysfs("sparse", fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_nnodes(h), 4);
		assert_node(h, 0, 0, "0-1", 4 * GIB, 3 * GIB + 256 * MIB);
		assert_node(h, 1, 1, "2-3", 4 * GIB, 2 * GIB);
		assert_node(h, 2, 4, "4-5", 4 * GIB, 2 * GIB);
		assert_node(h, 3, 5, "6-7", 4 * GIB, 4 * GIB);
		assert_int_equal(np_host_node_idx(h, 2), -ENOENT);
		assert_int_equal(np_host_node_idx(h, 3), -ENOENT);
		assert_int_equal(np_host_node_idx(h, 6), -ENOENT);
		assert_int_equal(np_host_node_idx(h, 1000), -ENOENT);
		assert_distances(h, dist);
		assert_cpus(np_host_nodeset(h), "0-1,4-5");
		assert_hugepages(np_host_node(h, 0), 0, 2 * MIB, 64, 32);
		assert_int_equal(np_host_node(h, 1)->nhugepages, 0);
		assert_hugepages(np_host_node(h, 2), 0, 2 * MIB, 128, 128);
		assert_int_equal(np_host_cpu(h, 6)->node, 5);
		if (!fast) {
			/* Nodes 0 and 1 share package 0; cores are numbered per package. */
			assert_cpu(h, 2, 2, 1, 0, 1);
			assert_cpu(h, 6, 6, 1, 1, 5);
		}
		np_host_free(h);
	}
}

static void test_sysfs_cpuless(void **state)
{
	static const unsigned dist[] = {10, 20, 30, 20, 10, 40, 30, 40, 10};

	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load_sysfs("cpuless", fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_nnodes(h), 3);
		assert_node(h, 0, 0, "0-3", 8 * GIB, 7 * GIB);
		assert_node(h, 1, 1, "4-7", 8 * GIB, 7 * GIB);
		assert_node(h, 2, 252, "", 16 * GIB, 16 * GIB);
		assert_int_equal(np_host_node(h, 2)->ncpus, 0);
		assert_distances(h, dist);
		assert_int_equal(np_host_ncpus(h), 8);
		np_host_free(h);
	}
}

static void test_sysfs_memless(void **state)
{
	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load_sysfs("memless", fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_nnodes(h), 2);
		assert_node(h, 0, 0, "0-3", 8 * GIB, 6 * GIB);
		assert_node(h, 1, 1, "4-7", 0, 0);
		assert_int_equal(np_host_distance(h, 0, 1), 20);
		np_host_free(h);
	}
}

static void test_sysfs_nodistance(void **state)
{
	static const unsigned dist[] = {10, 20, 20, 10};

	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load_sysfs("nodistance", fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_nnodes(h), 2);
		assert_node(h, 0, 0, "0-3", 2 * GIB, 1 * GIB);
		assert_node(h, 1, 1, "4-7", 2 * GIB, GIB + 512 * MIB);
		assert_true(np_host_distances_assumed(h));
		assert_distances(h, dist);
		np_host_free(h);
	}
}

static void test_sysfs_old_kernel(void **state)
{
	static const char *const cpus[] = {"0,4", "1,5", "2,6", "3,7"};

	(void)state;
	/* cpumap only, no node/online, no Inactive(file): free is MemFree with or without
	 * NP_HOST_MEMFREE_ONLY. */
	for (unsigned flags = 0; flags < 8; flags += 2) {
		np_host *h =
		    load_sysfs("old-kernel", flags & (NP_HOST_FAST | NP_HOST_MEMFREE_ONLY));

		assert_int_equal(np_host_nnodes(h), 4);
		for (unsigned i = 0; i < 4; i++) {
			assert_node(h, i, i, cpus[i], 4 * GIB, 3 * GIB - i * 512 * MIB);
			assert_int_equal(np_host_node(h, i)->nhugepages, 0);
			assert_int_equal(np_host_distance(h, i, (i + 1) % 4), 20);
			assert_int_equal(np_host_distance(h, i, i), 10);
		}
		assert_false(np_host_distances_assumed(h));
		np_host_free(h);
	}
}

static void test_sysfs_hugepages(void **state)
{
	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load_sysfs("hugepages", fast ? NP_HOST_FAST : 0);
		const struct np_node *n0 = np_host_node(h, 0), *n1 = np_host_node(h, 1);

		assert_node(h, 0, 0, "0-3", 16 * GIB, 8 * GIB);
		assert_node(h, 1, 1, "4-7", 16 * GIB, 12 * GIB);
		/* Sorted by size. */
		assert_int_equal(n0->nhugepages, 2);
		assert_hugepages(n0, 0, 2 * MIB, 512, 100);
		assert_hugepages(n0, 1, GIB, 4, 2);
		assert_int_equal(n1->nhugepages, 2);
		assert_hugepages(n1, 0, 2 * MIB, 256, 256);
		assert_hugepages(n1, 1, GIB, 0, 0);
		np_host_free(h);
	}
}

static void test_sysfs_many_nodes(void **state)
{
	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load_sysfs("many-nodes", fast ? NP_HOST_FAST : 0);
		char cpus[32];

		assert_int_equal(np_host_nnodes(h), 72);
		assert_int_equal(np_host_ncpus(h), 144);
		for (unsigned i = 0; i < 72; i++) {
			snprintf(cpus, sizeof(cpus), "%u-%u", 2 * i, 2 * i + 1);
			assert_node(h, i, i, cpus, GIB, 640 * MIB);
		}
		assert_cpus(np_host_nodeset(h), "0-71");
		/* 16 within a package of 8 nodes, 32 across. */
		assert_int_equal(np_host_distance(h, 0, 7), 16);
		assert_int_equal(np_host_distance(h, 0, 8), 32);
		assert_int_equal(np_host_distance(h, 64, 71), 16);
		assert_int_equal(np_host_distance(h, 71, 0), 32);
		assert_int_equal(np_host_distance(h, 70, 70), 10);
		assert_int_equal(np_host_cpu(h, 143)->node, 71);
		if (!fast)
			assert_int_equal(np_host_cpu(h, 143)->socket, 8);
		np_host_free(h);
	}
}

static void test_sysfs_cgroup(void **state)
{
	np_host *h;

	(void)state;
	/* The capture's process may use CPUs 0-5 and memory nodes 0,1,3: node 2 is not usable,
	 * node 3 keeps its memory only. */
	h = load_sysfs("cgroup", 0);
	assert_int_equal(np_host_nnodes(h), 3);
	assert_node(h, 0, 0, "0-3", 4 * GIB, 3 * GIB);
	assert_node(h, 1, 1, "4-5", 4 * GIB, 3 * GIB);
	assert_node(h, 2, 3, "", 4 * GIB, 3 * GIB);
	assert_int_equal(np_host_node_idx(h, 2), -ENOENT);
	assert_cpus(np_host_cpuset(h), "0-5");
	assert_int_equal(np_host_ncpus(h), 6);
	assert_int_equal(np_host_distance(h, 1, 2), 20);
	np_host_free(h);

	/* The whole machine, and NP_HOST_FAST (which does not interpret the capture's cgroup). */
	for (unsigned fast = 0; fast < 2; fast++) {
		h = load_sysfs("cgroup", NP_HOST_WHOLE_SYSTEM | (fast ? NP_HOST_FAST : 0));
		assert_int_equal(np_host_nnodes(h), 4);
		assert_node(h, 2, 2, "8-11", 4 * GIB, 3 * GIB);
		assert_cpus(np_host_cpuset(h), "0-15");
		np_host_free(h);
	}
	h = load_sysfs("cgroup", NP_HOST_FAST);
	assert_int_equal(np_host_nnodes(h), 4);
	np_host_free(h);
}

/* Every fact but core/socket, which NP_HOST_FAST does not know. */
static void assert_same_host(const np_host *a, const np_host *b, const char *what)
{
	unsigned n = np_host_nnodes(a);

	if (np_host_nnodes(b) != n)
		fail_msg("%s: %u nodes against %u", what, n, np_host_nnodes(b));
	assert_int_equal(np_host_distances_assumed(a), np_host_distances_assumed(b));
	assert_int_equal(np_host_free_assumed(a), np_host_free_assumed(b));
	assert_true(hwloc_bitmap_isequal(np_host_shared_cpuset(a), np_host_shared_cpuset(b)));
	assert_true(hwloc_bitmap_isequal(np_host_cpuset(a), np_host_cpuset(b)));
	assert_int_equal(np_host_ncpus(a), np_host_ncpus(b));
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *x = np_host_node(a, i), *y = np_host_node(b, i);

		if (x->id != y->id || !hwloc_bitmap_isequal(x->cpuset, y->cpuset) ||
		    x->memory_bytes != y->memory_bytes || x->free_bytes != y->free_bytes ||
		    x->free_assumed != y->free_assumed ||
		    !hwloc_bitmap_isequal(x->shared_cpuset, y->shared_cpuset))
			fail_msg("%s: node index %u differs", what, i);
		assert_int_equal(x->nhugepages, y->nhugepages);
		for (unsigned k = 0; k < x->nhugepages; k++)
			assert_memory_equal(&x->hugepages[k], &y->hugepages[k],
			                    sizeof(x->hugepages[k]));
		for (unsigned j = 0; j < n; j++)
			if (np_host_distance(a, i, j) != np_host_distance(b, i, j))
				fail_msg("%s: distance(%u, %u) differs", what, i, j);
	}
	for (unsigned i = 0; i < np_host_ncpus(a); i++)
		assert_int_equal(np_host_cpu(a, i)->node, np_host_cpu(b, i)->node);
}

static void test_sysfs_fast_agrees(void **state)
{
	static const unsigned flag_sets[] = {0, NP_HOST_MEMFREE_ONLY, NP_HOST_WHOLE_SYSTEM};

	(void)state;
	for (size_t f = 0; f < sizeof(sysfs_fixtures) / sizeof(sysfs_fixtures[0]); f++) {
		if (strcmp(sysfs_fixtures[f], "cgroup") == 0)
			continue; /* NP_HOST_FAST does not read the capture's cgroup */
		for (size_t k = 0; k < sizeof(flag_sets) / sizeof(flag_sets[0]); k++) {
			np_host *a = load_sysfs(sysfs_fixtures[f], flag_sets[k]);
			np_host *b = load_sysfs(sysfs_fixtures[f], flag_sets[k] | NP_HOST_FAST);

			assert_same_host(a, b, sysfs_fixtures[f]);
			np_host_free(a);
			np_host_free(b);
		}
	}
}

/* ---- XML and synthetic -------------------------------------------------------------------- */

static void test_xml_sparse(void **state)
{
	static const unsigned dist[] = {10, 12, 20, 20, 12, 10, 20, 20,
	                                20, 20, 10, 12, 20, 20, 12, 10};
	np_host *h;

	(void)state;
	/* An export of the sparse sysfs tree: free = total on XML, huge pages from hwloc's page
	 * types (pages free = pages). */
	h = load(NP_SOURCE_XML, fixture("xml", "sparse.xml"), 0);
	assert_int_equal(np_host_nnodes(h), 4);
	assert_node(h, 0, 0, "0-1", 4 * GIB, 4 * GIB);
	assert_node(h, 1, 1, "2-3", 4 * GIB, 4 * GIB);
	assert_node(h, 2, 4, "4-5", 4 * GIB, 4 * GIB);
	assert_node(h, 3, 5, "6-7", 4 * GIB, 4 * GIB);
	assert_distances(h, dist);
	assert_false(np_host_distances_assumed(h));
	assert_int_equal(np_host_node(h, 0)->nhugepages, 1);
	assert_hugepages(np_host_node(h, 0), 0, 2 * MIB, 64, 64);
	assert_int_equal(np_host_node(h, 1)->nhugepages, 0);
	assert_hugepages(np_host_node(h, 2), 0, 2 * MIB, 128, 128);
	assert_cpu(h, 2, 2, 1, 0, 1);
	assert_cpu(h, 7, 7, 1, 1, 5);
	assert_non_null(np_host_topology(h));
	np_host_free(h);
}

static void test_xml_cpuless(void **state)
{
	np_host *h;

	(void)state;
	/* hwloc gives node 252 the cpuset of node 0's package: the CPUs stay with node 0. */
	h = load(NP_SOURCE_XML, fixture("xml", "cpuless.xml"), 0);
	assert_int_equal(np_host_nnodes(h), 3);
	assert_node(h, 0, 0, "0-3", 8 * GIB, 8 * GIB);
	assert_node(h, 1, 1, "4-7", 8 * GIB, 8 * GIB);
	assert_node(h, 2, 252, "", 16 * GIB, 16 * GIB);
	assert_int_equal(np_host_distance(h, 0, 2), 30);
	assert_int_equal(np_host_distance(h, 1, 2), 40);
	np_host_free(h);
}

static void test_xml_no_distances(void **state)
{
	static const unsigned dist[] = {10, 20, 20, 10};
	np_host *h;

	(void)state;
	h = load(NP_SOURCE_XML, fixture("xml", "synthetic-2n.xml"), 0);
	assert_int_equal(np_host_nnodes(h), 2);
	assert_node(h, 0, 0, "0-3", 32 * GIB, 32 * GIB);
	assert_node(h, 1, 1, "4-7", 32 * GIB, 32 * GIB);
	assert_true(np_host_distances_assumed(h));
	assert_distances(h, dist);
	assert_int_equal(np_host_node(h, 0)->nhugepages, 0);
	np_host_free(h);
}

static void test_synthetic(void **state)
{
	np_host *h;

	(void)state;
	h = load(NP_SOURCE_SYNTHETIC, "pack:2 [numa(memory=64GiB)] core:16 pu:2", 0);
	assert_int_equal(np_host_nnodes(h), 2);
	assert_node(h, 0, 0, "0-31", 64 * GIB, 64 * GIB);
	assert_node(h, 1, 1, "32-63", 64 * GIB, 64 * GIB);
	assert_true(np_host_distances_assumed(h));
	assert_int_equal(np_host_ncpus(h), 64);
	/* Synthetic cores are numbered across the machine. */
	assert_cpu(h, 0, 0, 0, 0, 0);
	assert_cpu(h, 33, 33, 16, 1, 1);
	np_host_free(h);

	/* One node: nothing remote to assume. */
	h = load(NP_SOURCE_SYNTHETIC, "[numa(memory=2GiB)] core:2 pu:1", 0);
	assert_int_equal(np_host_nnodes(h), 1);
	assert_node(h, 0, 0, "0-1", 2 * GIB, 2 * GIB);
	assert_false(np_host_distances_assumed(h));
	assert_int_equal(np_host_distance(h, 0, 0), 10);
	np_host_free(h);

	/* Nodes under groups, several per package. */
	h = load(NP_SOURCE_SYNTHETIC, "pack:2 group:2 [numa(memory=1GiB)] core:2 pu:1", 0);
	assert_int_equal(np_host_nnodes(h), 4);
	assert_node(h, 3, 3, "6-7", GIB, GIB);
	np_host_free(h);
}

/* ---- the live host ------------------------------------------------------------------------ */

static void test_live(void **state)
{
	np_host *a, *b;

	(void)state;
	if (access("/sys/devices/system/cpu", F_OK) < 0) {
		print_message("no /sys/devices/system/cpu on this host: skipped\n");
		skip();
	}
	a = load(NP_SOURCE_LIVE, NULL, 0);
	b = load(NP_SOURCE_LIVE, NULL, NP_HOST_FAST);
	assert_true(np_host_nnodes(a) >= 1);
	assert_true(np_host_ncpus(a) >= 1);
	assert_non_null(np_host_topology(a));
	assert_null(np_host_topology(b));
	/* hwloc's allowed CPUs come from the cgroup, NP_HOST_FAST's from the affinity mask, which
	 * a launcher may narrow: compare what does not depend on that. */
	assert_int_equal(np_host_nnodes(a), np_host_nnodes(b));
	assert_int_equal(np_host_distances_assumed(a), np_host_distances_assumed(b));
	for (unsigned i = 0; i < np_host_nnodes(a); i++) {
		assert_int_equal(np_host_node(a, i)->id, np_host_node(b, i)->id);
		assert_int_equal(np_host_node(a, i)->memory_bytes,
		                 np_host_node(b, i)->memory_bytes);
		assert_true(np_host_node(a, i)->free_bytes <= np_host_node(a, i)->memory_bytes);
	}
	np_host_free(a);
	np_host_free(b);

	/* A NULL source is the live host. */
	assert_int_equal(np_host_load(NULL, &a), 0);
	np_host_free(a);
}

/* ---- errors ------------------------------------------------------------------------------- */

static void assert_load_fails(enum np_source_kind kind, const char *arg, unsigned flags,
                              int expected, const char *message_part)
{
	struct np_source src = {kind, arg, flags};
	np_host *h = (np_host *)0x1;
	int r = np_host_load(&src, &h);

	if (r != expected)
		fail_msg("np_host_load(%d, %s, %#x) = %d, expected %d (%s)", (int)kind,
		         arg ? arg : "NULL", flags, r, expected, np_last_error());
	assert_ptr_equal(h, (np_host *)0x1); /* untouched */
	if (message_part && !strstr(np_last_error(), message_part))
		fail_msg("error \"%s\" does not name \"%s\"", np_last_error(), message_part);
}

static void test_bad_sources(void **state)
{
	char bad[PATH_MAX];

	(void)state;
	assert_load_fails(NP_SOURCE_XML, NULL, 0, -EINVAL, NULL);
	assert_load_fails(NP_SOURCE_SYNTHETIC, NULL, 0, -EINVAL, NULL);
	assert_load_fails(NP_SOURCE_SYSFS, NULL, 0, -EINVAL, NULL);
	assert_load_fails((enum np_source_kind)42, "x", 0, -EINVAL, NULL);
	assert_load_fails(NP_SOURCE_LIVE, NULL, 1u << 9, -EINVAL, NULL);
	assert_load_fails(NP_SOURCE_XML, fixture("xml", "sparse.xml"), NP_HOST_FAST, -EINVAL, NULL);
	assert_load_fails(NP_SOURCE_SYNTHETIC, "pack:2 pu:2", NP_HOST_FAST, -EINVAL, NULL);
	assert_int_equal(np_host_load(NULL, NULL), -EINVAL);

	assert_load_fails(NP_SOURCE_XML, "/nonexistent/topology.xml", 0, -ENOENT,
	                  "/nonexistent/topology.xml");
	snprintf(bad, sizeof(bad), "%s/bad/malformed.xml", FIXTURES);
	assert_load_fails(NP_SOURCE_XML, bad, 0, -EBADMSG, "bad/malformed.xml");
	snprintf(bad, sizeof(bad), "%s/bad/not-a-topology.xml", FIXTURES);
	assert_load_fails(NP_SOURCE_XML, bad, 0, -EBADMSG, "bad/not-a-topology.xml");
	/* hwloc 2.9 would crash on these (found by tests/fuzz/fuzz-xml.c) */
	snprintf(bad, sizeof(bad), "%s/bad/no-complete-cpuset.xml", FIXTURES);
	assert_load_fails(NP_SOURCE_XML, bad, 0, -EBADMSG, "but no complete_cpuset");
	snprintf(bad, sizeof(bad), "%s/bad/no-complete-nodeset.xml", FIXTURES);
	assert_load_fails(NP_SOURCE_XML, bad, 0, -EBADMSG, "but no complete_nodeset");
	snprintf(bad, sizeof(bad), "%s/bad/bad-nodeset.xml", FIXTURES);
	assert_load_fails(NP_SOURCE_XML, bad, 0, -EBADMSG, "a set not in hwloc's format");
	assert_load_fails(NP_SOURCE_SYNTHETIC, "garbage", 0, -EBADMSG, "garbage");
	assert_load_fails(NP_SOURCE_SYNTHETIC, "pack:2 [numa(memory=64GiB) core:16", 0, -EBADMSG,
	                  NULL);
	assert_load_fails(NP_SOURCE_SYNTHETIC, "", 0, -EBADMSG, NULL);
	for (unsigned fast = 0; fast < 2; fast++)
		assert_load_fails(NP_SOURCE_SYSFS, "/nonexistent/capture", fast ? NP_HOST_FAST : 0,
		                  -ENOENT, "/nonexistent/capture");

	/* A failure's text is replaced by "" on the next success. */
	np_host_free(load_sysfs("two-node", NP_HOST_FAST));
}

/* A scratch sysfs tree: node 0 (CPUs 0-1) and node 1 (CPUs 2-3), 1 GiB each. */
struct scratch {
	char root[64];
};

static void put(const struct scratch *s, const char *rel, const char *text)
{
	char path[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s->root, rel);
	for (slash = strchr(path + strlen(s->root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void drop(const struct scratch *s, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", s->root, rel);
	assert_int_equal(unlink(path), 0);
}

static void scratch_new(struct scratch *s)
{
	snprintf(s->root, sizeof(s->root), "/tmp/numaplace-test-XXXXXX");
	assert_non_null(mkdtemp(s->root));
	put(s, "sys/devices/system/node/online", "0-1\n");
	put(s, "sys/devices/system/cpu/online", "0-3\n");
	/* What hwloc needs to see the CPUs: one package per node, one thread per core. */
	for (unsigned c = 0; c < 4; c++) {
		char rel[128], text[32];

		snprintf(rel, sizeof(rel),
		         "sys/devices/system/cpu/cpu%u/topology/physical_package_id", c);
		snprintf(text, sizeof(text), "%u\n", c / 2);
		put(s, rel, text);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/topology/core_id", c);
		snprintf(text, sizeof(text), "%u\n", c % 2);
		put(s, rel, text);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/topology/thread_siblings",
		         c);
		snprintf(text, sizeof(text), "%08x\n", 1u << c);
		put(s, rel, text);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/topology/core_siblings",
		         c);
		snprintf(text, sizeof(text), "%08x\n", c < 2 ? 3u : 12u);
		put(s, rel, text);
	}
	for (unsigned n = 0; n < 2; n++) {
		char rel[128], text[256];

		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/cpulist", n);
		snprintf(text, sizeof(text), "%u-%u\n", 2 * n, 2 * n + 1);
		put(s, rel, text);
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/cpumap", n);
		put(s, rel, n ? "0000000c\n" : "00000003\n");
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/meminfo", n);
		snprintf(
		    text, sizeof(text),
		    "Node %u MemTotal:        1048576 kB\nNode %u MemFree:          524288 kB\n"
		    "Node %u Inactive(file):      1024 kB\n",
		    n, n, n);
		put(s, rel, text);
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/distance", n);
		put(s, rel, n ? "20 10\n" : "10 20\n");
	}
}

static void scratch_free(struct scratch *s)
{
	char cmd[128];

	/* The tree is ours, under a name mkdtemp() made. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->root);
	assert_int_equal(system(cmd), 0);
}

/* Both loaders must fail the same way on the scratch tree. */
static void assert_scratch_fails(const struct scratch *s, int expected, const char *message_part)
{
	assert_load_fails(NP_SOURCE_SYSFS, s->root, NP_HOST_FAST, expected, message_part);
	assert_load_fails(NP_SOURCE_SYSFS, s->root, 0, expected, message_part);
}

static void test_scratch_good(void **state)
{
	struct scratch s;
	np_host *h;

	(void)state;
	scratch_new(&s);
	for (unsigned fast = 0; fast < 2; fast++) {
		h = load(NP_SOURCE_SYSFS, s.root, fast ? NP_HOST_FAST : 0);
		assert_int_equal(np_host_nnodes(h), 2);
		assert_node(h, 1, 1, "2-3", GIB, 513 * MIB);
		np_host_free(h);
	}
	scratch_free(&s);
}

static void test_broken_meminfo(void **state)
{
	struct scratch s;

	(void)state;
	scratch_new(&s);
	put(&s, "sys/devices/system/node/node1/meminfo", "Node 1 MemFree: 524288 kB\n");
	assert_scratch_fails(&s, -EBADMSG,
	                     "sys/devices/system/node/node1/meminfo': no MemTotal line");
	put(&s, "sys/devices/system/node/node1/meminfo",
	    "Node 1 MemTotal: 1048576 kB\nNode 1 MemFree: 12x kB\n");
	assert_scratch_fails(&s, -EBADMSG, "sys/devices/system/node/node1/meminfo' line 2");
	put(&s, "sys/devices/system/node/node1/meminfo",
	    "Node 0 MemTotal: 1048576 kB\nNode 0 MemFree: 1 kB\n");
	assert_scratch_fails(&s, -EBADMSG, "line of another node");
	put(&s, "sys/devices/system/node/node1/meminfo",
	    "Node 1 MemTotal: 99999999999999999999 kB\nNode 1 MemFree: 1 kB\n");
	assert_scratch_fails(&s, -EBADMSG, "number out of range");
	drop(&s, "sys/devices/system/node/node1/meminfo");
	assert_scratch_fails(&s, -ENOENT, "sys/devices/system/node/node1/meminfo");
	scratch_free(&s);
}

static void test_broken_cpus(void **state)
{
	struct scratch s;

	(void)state;
	scratch_new(&s);
	put(&s, "sys/devices/system/node/node0/cpulist", "0-1,\n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -EBADMSG,
	                  "sys/devices/system/node/node0/cpulist': not a list");
	/* Without cpulist, cpumap is read. */
	drop(&s, "sys/devices/system/node/node0/cpulist");
	put(&s, "sys/devices/system/node/node0/cpumap", "0000003\n,");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -EBADMSG,
	                  "sys/devices/system/node/node0/cpumap': not a CPU mask");
	/* Neither: hwloc leaves such a node out, NP_HOST_FAST cannot. */
	drop(&s, "sys/devices/system/node/node0/cpumap");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -ENOENT,
	                  "sys/devices/system/node/node0/cpumap");
	scratch_free(&s);
}

static void test_broken_distance(void **state)
{
	struct scratch s;
	np_host *h;

	(void)state;
	scratch_new(&s);
	put(&s, "sys/devices/system/node/node1/distance", "20 10 30\n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -EBADMSG,
	                  "sys/devices/system/node/node1/distance': more distances than nodes");
	put(&s, "sys/devices/system/node/node1/distance", "20 x\n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -EBADMSG,
	                  "sys/devices/system/node/node1/distance");
	/* One row missing: the matrix is unknown, 10/20 assumed. */
	drop(&s, "sys/devices/system/node/node1/distance");
	h = load(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST);
	assert_true(np_host_distances_assumed(h));
	np_host_free(h);
	scratch_free(&s);
}

static void test_broken_hugepages(void **state)
{
	struct scratch s;
	np_host *h;

	(void)state;
	scratch_new(&s);
	put(&s, "sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "8\n");
	put(&s, "sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages",
	    "eight\n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -EBADMSG,
	                  "node0/hugepages/hugepages-2048kB/free_hugepages': not a number");
	put(&s, "sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "3\n");
	/* Entries that are not hugepages-<N>kB are not huge page sizes. */
	put(&s, "sys/devices/system/node/node0/hugepages/README", "x\n");
	h = load(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST);
	assert_int_equal(np_host_node(h, 0)->nhugepages, 1);
	assert_hugepages(np_host_node(h, 0), 0, 2 * MIB, 8, 3);
	np_host_free(h);
	scratch_free(&s);
}

static void test_broken_node_list(void **state)
{
	struct scratch s;

	(void)state;
	scratch_new(&s);
	put(&s, "sys/devices/system/node/online", "0-1 \n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -EBADMSG,
	                  "sys/devices/system/node/online': not a list");
	/* A node listed online whose directory is missing (rows of 3 distances would be
	 * needed: without distance files the first missing file is its cpumap). */
	drop(&s, "sys/devices/system/node/node0/distance");
	drop(&s, "sys/devices/system/node/node1/distance");
	put(&s, "sys/devices/system/node/online", "0-2\n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -ENOENT,
	                  "sys/devices/system/node/node2/cpumap");
	scratch_free(&s);
}

static void test_no_cpu_node(void **state)
{
	struct scratch s;

	(void)state;
	scratch_new(&s);
	put(&s, "sys/devices/system/node/node0/cpulist", "\n");
	put(&s, "sys/devices/system/node/node1/cpulist", "\n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -ENODEV, "no usable NUMA node");
	/* Offline CPUs do not count. */
	put(&s, "sys/devices/system/node/node1/cpulist", "2-3\n");
	put(&s, "sys/devices/system/cpu/online", "0-1\n");
	assert_load_fails(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST, -ENODEV, "no usable NUMA node");
	scratch_free(&s);
}

static void test_empty_node_dropped(void **state)
{
	struct scratch s;
	np_host *h;

	(void)state;
	/* Node 1 has neither CPUs nor memory: nothing can use it, unless the whole machine is
	 * asked for. */
	scratch_new(&s);
	put(&s, "sys/devices/system/node/node1/cpulist", "\n");
	put(&s, "sys/devices/system/node/node1/cpumap", "00000000\n");
	put(&s, "sys/devices/system/node/node1/meminfo",
	    "Node 1 MemTotal: 0 kB\nNode 1 MemFree: 0 kB\n");
	put(&s, "sys/devices/system/cpu/online", "0-1\n");
	for (unsigned fast = 0; fast < 2; fast++) {
		h = load(NP_SOURCE_SYSFS, s.root, fast ? NP_HOST_FAST : 0);
		assert_int_equal(np_host_nnodes(h), 1);
		assert_node(h, 0, 0, "0-1", GIB, 513 * MIB);
		assert_false(np_host_distances_assumed(h));
		assert_int_equal(np_host_distance(h, 0, 0), 10);
		np_host_free(h);
		h = load(NP_SOURCE_SYSFS, s.root, NP_HOST_WHOLE_SYSTEM | (fast ? NP_HOST_FAST : 0));
		assert_int_equal(np_host_nnodes(h), 2);
		assert_node(h, 1, 1, "", 0, 0);
		assert_int_equal(np_host_distance(h, 0, 1), 20);
		np_host_free(h);
	}
	scratch_free(&s);
}

static void test_flat_kernel(void **state)
{
	struct scratch s;
	char cmd[160];
	np_host *h;

	(void)state;
	/* A kernel without NUMA: no node/ directory; node 0 holds everything. */
	scratch_new(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys/devices/system/node'", s.root);
	assert_int_equal(system(cmd), 0);
	put(&s, "proc/meminfo",
	    "MemTotal: 2097152 kB\nMemFree: 1048576 kB\nInactive(file): 0 kB\n");
	h = load(NP_SOURCE_SYSFS, s.root, NP_HOST_FAST);
	assert_int_equal(np_host_nnodes(h), 1);
	assert_node(h, 0, 0, "0-3", 2 * GIB, GIB);
	np_host_free(h);
	scratch_free(&s);
}

/* ---- real captures, when they are around -------------------------------------------------- */

static void test_captures(void **state)
{
	static const struct {
		const char *name;
		unsigned nnodes_fast;
	} caps[] = {
	    {"16amd64-8n2c", 8},
	    {"8amd64-4n2c", 4},
	    {"40intel64-4n10c+pci-conflicts", 4},
	    {"nvidiagpunumanodes", 8},
	    {"16amd64-4n4c-cgroup-distance-merge", 4},
	};
	const char *dir =
	    getenv("NUMAPLACE_TOPOLOGIES") ? getenv("NUMAPLACE_TOPOLOGIES") : "/tmp/topo";
	unsigned found = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char path[PATH_MAX];
		struct stat st;
		np_host *a, *b;

		snprintf(path, sizeof(path), "%s/%s", dir, caps[i].name);
		if (stat(path, &st) < 0)
			continue;
		found++;
		b = load(NP_SOURCE_SYSFS, path, NP_HOST_FAST | NP_HOST_WHOLE_SYSTEM);
		assert_int_equal(np_host_nnodes(b), caps[i].nnodes_fast);
		if (i < 4) {
			/* No cgroup: both loaders see the same, GPU memory nodes included. */
			a = load(NP_SOURCE_SYSFS, path, NP_HOST_WHOLE_SYSTEM);
			assert_same_host(a, b, caps[i].name);
			np_host_free(a);
		}
		if (i == 3) {
			/* Nodes 250-255 are GPU memory: no CPU, 15 GiB each. */
			assert_int_equal(np_host_node_idx(b, 255), 7);
			assert_int_equal(np_host_node(b, 7)->ncpus, 0);
			assert_int_equal(np_host_node(b, 7)->memory_bytes, 15 * GIB);
			assert_int_equal(np_host_distance(b, 0, 2), 80);
		}
		if (i == 4) {
			/* The cgroup allows CPUs 0-3 (node 0) and memory on nodes 2-3: node 0
			 * stays, for its CPUs, as a node without memory; nodes 2-3 are memory only.
			 */
			hwloc_bitmap_t want = hwloc_bitmap_alloc();

			a = load(NP_SOURCE_SYSFS, path, 0);
			assert_int_equal(np_host_nnodes(a), 3);
			assert_int_equal(np_host_node(a, 0)->id, 0);
			assert_int_equal(np_host_node(a, 0)->memory_bytes, 0);
			assert_int_equal(np_host_node(a, 0)->free_bytes, 0);
			hwloc_bitmap_set_range(want, 0, 3);
			assert_true(hwloc_bitmap_isequal(np_host_node(a, 0)->cpuset, want));
			assert_int_equal(np_host_node(a, 1)->id, 2);
			assert_int_equal(np_host_node(a, 1)->ncpus, 0);
			assert_int_equal(np_host_node(a, 1)->memory_bytes, 8192ull << 20);
			assert_int_equal(np_host_node(a, 2)->id, 3);
			hwloc_bitmap_free(want);
			np_host_free(a);
		}
		np_host_free(b);
	}
	if (!found) {
		print_message("no captured topologies under %s: skipped\n", dir);
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sysfs_two_node),     cmocka_unit_test(test_sysfs_memfree_only),
	    cmocka_unit_test(test_sysfs_sparse),       cmocka_unit_test(test_sysfs_cpuless),
	    cmocka_unit_test(test_sysfs_memless),      cmocka_unit_test(test_sysfs_nodistance),
	    cmocka_unit_test(test_sysfs_old_kernel),   cmocka_unit_test(test_sysfs_hugepages),
	    cmocka_unit_test(test_sysfs_many_nodes),   cmocka_unit_test(test_sysfs_cgroup),
	    cmocka_unit_test(test_sysfs_fast_agrees),  cmocka_unit_test(test_xml_sparse),
	    cmocka_unit_test(test_xml_cpuless),        cmocka_unit_test(test_xml_no_distances),
	    cmocka_unit_test(test_synthetic),          cmocka_unit_test(test_live),
	    cmocka_unit_test(test_bad_sources),        cmocka_unit_test(test_scratch_good),
	    cmocka_unit_test(test_broken_meminfo),     cmocka_unit_test(test_broken_cpus),
	    cmocka_unit_test(test_broken_distance),    cmocka_unit_test(test_broken_hugepages),
	    cmocka_unit_test(test_broken_node_list),   cmocka_unit_test(test_no_cpu_node),
	    cmocka_unit_test(test_empty_node_dropped), cmocka_unit_test(test_flat_kernel),
	    cmocka_unit_test(test_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
