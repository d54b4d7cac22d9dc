/*
 * test-host-quirks.c - np_host_load() on what real machines and their firmware get wrong, and on
 * sources too large to build: node meminfo with MemTotal alone, every node listing the same
 * CPUs, captures without nodeN folders, and the NP_HOST_MAX_* limits.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define GIB (1ull << 30)
#define MIB (1ull << 20)

static const char *sysfs(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sysfs/%s", FIXTURES, name);
	return path;
}

static np_host *load(enum np_source_kind kind, const char *arg, unsigned flags)
{
	struct np_source src = {kind, arg, flags};
	np_host *h = NULL;

	if (np_host_load(&src, &h) != 0)
		fail_msg("np_host_load(%s, %#x): %s", arg, flags, np_last_error());
	return h;
}

static void assert_load_fails(enum np_source_kind kind, const char *arg, unsigned flags,
                              int expected, const char *message_part)
{
	struct np_source src = {kind, arg, flags};
	np_host *h = (np_host *)0x1;
	int r = np_host_load(&src, &h);

	if (r != expected)
		fail_msg("np_host_load(%s, %#x) = %d, expected %d (%s)", arg, flags, r, expected,
		         np_last_error());
	assert_ptr_equal(h, (np_host *)0x1);
	if (!strstr(np_last_error(), message_part))
		fail_msg("error \"%s\" does not name \"%s\"", np_last_error(), message_part);
}

static void assert_cpus(hwloc_const_bitmap_t set, const char *expected)
{
	char *got = NULL;

	if (hwloc_bitmap_iszero(set))
		got = strdup("");
	else
		hwloc_bitmap_list_asprintf(&got, set);
	if (strcmp(got, expected) != 0)
		fail_msg("CPUs \"%s\", expected \"%s\"", got, expected);
	free(got);
}

/* ---- a node meminfo with MemTotal alone --------------------------------------------------- */

static void test_memtotal_only(void **state)
{
	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load(NP_SOURCE_SYSFS, sysfs("memtotal-only"), fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_nnodes(h), 4);
		assert_true(np_host_free_assumed(h));
		assert_false(np_host_distances_assumed(h));
		for (unsigned i = 0; i < 4; i++) {
			const struct np_node *n = np_host_node(h, i);

			assert_int_equal(n->memory_bytes, (i < 2 ? 8 : 2) * GIB);
			assert_int_equal(n->free_bytes,
			                 n->memory_bytes); /* all of it assumed free */
			assert_true(n->free_assumed);
		}
		assert_cpus(np_host_node(h, 1)->cpuset, "4-7");
		assert_cpus(np_host_node(h, 2)->cpuset, "");
		assert_int_equal(np_host_distance(h, 0, 2), 31);
		np_host_free(h);
	}
}

static void test_free_known(void **state)
{
	np_host *h;

	(void)state;
	/* A full meminfo: nothing assumed. */
	h = load(NP_SOURCE_SYSFS, sysfs("two-node"), NP_HOST_FAST);
	assert_false(np_host_free_assumed(h));
	assert_false(np_host_node(h, 0)->free_assumed);
	assert_true(hwloc_bitmap_iszero(np_host_shared_cpuset(h)));
	assert_true(hwloc_bitmap_iszero(np_host_node(h, 1)->shared_cpuset));
	np_host_free(h);
	/* XML and synthetic topologies record no free memory either. */
	h = load(NP_SOURCE_SYNTHETIC, "pack:2 [numa(memory=1GiB)] core:2 pu:1", 0);
	assert_true(np_host_free_assumed(h));
	assert_true(np_host_node(h, 1)->free_assumed);
	np_host_free(h);
}

/* ---- every node listing the same CPUs ----------------------------------------------------- */

static void test_same_cpus(void **state)
{
	(void)state;
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load(NP_SOURCE_SYSFS, sysfs("same-cpus"), fast ? NP_HOST_FAST : 0);

		/* Every node and its memory kept; the CPUs go to node 0, the lowest id. */
		assert_int_equal(np_host_nnodes(h), 4);
		assert_cpus(np_host_shared_cpuset(h), "0-3");
		assert_cpus(np_host_node(h, 0)->cpuset, "0-3");
		assert_cpus(np_host_node(h, 0)->shared_cpuset, "");
		for (unsigned i = 1; i < 4; i++) {
			const struct np_node *n = np_host_node(h, i);

			assert_int_equal(n->id, i);
			assert_int_equal(n->ncpus, 0);
			assert_cpus(n->cpuset, "");
			assert_cpus(n->shared_cpuset, "0-3");
			assert_int_equal(n->memory_bytes, 2 * GIB);
			assert_int_equal(n->free_bytes, (uint64_t)(1.5 * 1024 - 256 * i) * MIB);
		}
		for (unsigned c = 0; c < np_host_ncpus(h); c++)
			assert_int_equal(np_host_cpu(h, c)->node, 0);
		assert_int_equal(np_host_distance(h, 1, 2), 20);
		assert_false(np_host_free_assumed(h));
		np_host_free(h);
	}
}

static void test_same_cpus_search(void **state)
{
	struct np_request req;
	np_plan *plan = NULL;
	np_host *h;
	char *nodes = NULL;

	(void)state;
	/* 3 GiB needs node 0 (its CPUs, 1.5 GiB free) and the memory of the two nearest CPU-less
	 * nodes besides (1.25 and 1 GiB free): the nodes that lost their CPUs are memory. */
	h = load(NP_SOURCE_SYSFS, sysfs("same-cpus"), NP_HOST_FAST);
	np_request_init(&req);
	req.memory_bytes = 3 * GIB;
	req.vcpus = 2;
	assert_int_equal(np_search(h, NULL, &req, NULL, &plan), 0);
	assert_non_null(np_plan_best(plan));
	hwloc_bitmap_list_asprintf(&nodes, np_plan_best(plan)->nodes);
	assert_string_equal(nodes, "0-2");
	assert_cpus(np_plan_best(plan)->cpus, "0-3");
	free(nodes);
	np_plan_free(plan);
	np_host_free(h);
}

static void test_build_still_strict(void **state)
{
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
	struct np_node_spec n[2] = {{.id = 0, .cpus = cpus, .memory_bytes = GIB},
	                            {.id = 1, .cpus = cpus, .memory_bytes = GIB}};
	np_host *h = (np_host *)0x1;

	(void)state;
	/* A caller's own facts are not firmware: a CPU in two nodes is still refused. */
	hwloc_bitmap_set(cpus, 0);
	assert_int_equal(np_host_build(2, n, NULL, &h), -EINVAL);
	assert_ptr_equal(h, (np_host *)0x1);
	hwloc_bitmap_free(cpus);
}

/* ---- captures without nodeN folders ------------------------------------------------------- */

static void test_no_node_dirs(void **state)
{
	(void)state;
	/* node/online and node/possible say "0", no node0 folder: one node, proc/meminfo. */
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load(NP_SOURCE_SYSFS, sysfs("no-node-dirs"), fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_nnodes(h), 1);
		assert_int_equal(np_host_node(h, 0)->id, 0);
		assert_cpus(np_host_node(h, 0)->cpuset, "0-3");
		assert_int_equal(np_host_node(h, 0)->memory_bytes, 4 * GIB);
		assert_int_equal(np_host_node(h, 0)->free_bytes, 3 * GIB + GIB / 2);
		assert_false(np_host_distances_assumed(h));
		assert_int_equal(np_host_distance(h, 0, 0), 10);
		if (!fast)
			assert_int_equal(np_host_cpu(h, 2)->core, 1);
		np_host_free(h);
	}
}

/* Copy the no-node-dirs fixture to a scratch folder and run `edit` (sh) inside it. */
static void scratch_copy(char *root, size_t len, const char *edit)
{
	char cmd[PATH_MAX * 2 + 128];

	snprintf(root, len, "/tmp/numaplace-quirks-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd), "cp -r '%s'/. '%s' && cd '%s' && %s", sysfs("no-node-dirs"),
	         root, root, edit);
	assert_int_equal(system(cmd), 0);
}

static void scratch_remove(const char *root)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_empty_node_folder(void **state)
{
	static const char *const edits[] = {
	    /* an empty node/ folder: hwloc 2.9 aborts on it, so hwloc must not see it */
	    "rm sys/devices/system/node/online sys/devices/system/node/possible",
	    /* no node/ folder at all: a kernel without NUMA */
	    "rm -r sys/devices/system/node",
	};
	char root[64];

	(void)state;
	for (size_t e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
		scratch_copy(root, sizeof(root), edits[e]);
		for (unsigned fast = 0; fast < 2; fast++) {
			np_host *h = load(NP_SOURCE_SYSFS, root, fast ? NP_HOST_FAST : 0);

			assert_int_equal(np_host_nnodes(h), 1);
			assert_cpus(np_host_node(h, 0)->cpuset, "0-3");
			assert_int_equal(np_host_node(h, 0)->memory_bytes, 4 * GIB);
			/* The empty folder is read without hwloc: no topology, core unknown. */
			if (!fast && e == 0)
				assert_null(np_host_topology(h));
			if (!fast && e == 1)
				assert_int_equal(np_host_cpu(h, 2)->core, 1);
			np_host_free(h);
		}
		scratch_remove(root);
	}
	/* proc/meminfo with MemTotal alone: free memory assumed there too. */
	scratch_copy(root, sizeof(root), "echo 'MemTotal: 1048576 kB' > proc/meminfo");
	for (unsigned fast = 0; fast < 2; fast++) {
		np_host *h = load(NP_SOURCE_SYSFS, root, fast ? NP_HOST_FAST : 0);

		assert_int_equal(np_host_node(h, 0)->free_bytes, GIB);
		assert_true(np_host_free_assumed(h));
		np_host_free(h);
	}
	scratch_remove(root);
}

/* ---- limits ------------------------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_synthetic_limits(void **state)
{
	double t0 = now();

	(void)state;
	/* Refused before hwloc builds anything: hwloc would run out of memory on this. */
	assert_load_fails(NP_SOURCE_SYNTHETIC, "pack:100000 core:100000 pu:100", 0, -E2BIG,
	                  "cannot load synthetic topology 'pack:100000 core:100000 pu:100': "
	                  "1000000000000 PUs, more than the limit of 16384");
	assert_load_fails(NP_SOURCE_SYNTHETIC,
	                  "pack:4294967295 core:4294967295 pu:4294967295(indexes=0)", 0, -E2BIG,
	                  "over 2^64 PUs, more than the limit of 16384");
	assert_load_fails(NP_SOURCE_SYNTHETIC, "99999999999999999999999 2", 0, -E2BIG,
	                  "over 2^64 PUs");
	assert_load_fails(NP_SOURCE_SYNTHETIC, "pack:2 [numa(memory=1GB)] core:4096 pu:4", 0,
	                  -E2BIG, "32768 PUs, more than the limit of 16384");
	assert_load_fails(NP_SOURCE_SYNTHETIC, "pack:4097 [numa] pu:1", 0, -E2BIG,
	                  "4097 NUMA nodes, more than the limit of 4096");
	assert_load_fails(NP_SOURCE_SYNTHETIC,
	                  "pack:16384 group:1 group:1 group:1 group:1 group:1 group:1 group:1 "
	                  "group:1 group:1 group:1 group:1 group:1 group:1 group:1 group:1 pu:1",
	                  0, -E2BIG, "278529 objects, more than the limit of 262144");
	assert_true(now() - t0 < 1.0);

	/* At the limits, and what the counting skips: attributes, memory groups. */
	assert_int_equal(np__synthetic_check("pack:2 core:4096 pu:2"), 0);
	assert_int_equal(np__synthetic_check("pack:4096 [numa] pu:4"), 0);
	assert_int_equal(np__synthetic_check("pack:2 [numa(memory=99999999999GB)] core:2 "
	                                     "pu:2(indexes=0,1,2,3,4,5,6,7)"),
	                 0);
	assert_int_equal(np__synthetic_check("garbage"), 0); /* hwloc refuses it */
	assert_int_equal(np__synthetic_check(""), 0);
	assert_int_equal(np__synthetic_check("pack:2 [numa:4097]"), -E2BIG);
	np_host_free(load(NP_SOURCE_SYNTHETIC, "pack:2 [numa(memory=1GB)] core:2 pu:2", 0));
}

/* Write an XML topology of `n` objects of `type` under the Machine. */
static void write_xml(const char *path, const char *type, unsigned n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<topology version=\"2.0\">\n"
	      "<object type=\"Machine\" os_index=\"0\">\n",
	      f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "<object type=\"%s\" os_index=\"%u\"/>\n", type, i);
	fputs("</object>\n</topology>\n", f);
	assert_int_equal(fclose(f), 0);
}

static void test_xml_limits(void **state)
{
	char path[] = "/tmp/numaplace-quirks-XXXXXX";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_xml(path, "PU", NP_HOST_MAX_PUS + 1);
	assert_load_fails(NP_SOURCE_XML, path, 0, -E2BIG,
	                  "16385 PUs, more than the limit of 16384");
	write_xml(path, "NUMANode", NP_HOST_MAX_NODES + 1);
	assert_load_fails(NP_SOURCE_XML, path, 0, -E2BIG,
	                  "4097 NUMA nodes, more than the limit of 4096");
	write_xml(path, "Core", NP_HOST_MAX_OBJECTS);
	assert_load_fails(NP_SOURCE_XML, path, 0, -E2BIG,
	                  "262145 objects, more than the limit of 262144");
	/* Larger than 64 MiB: refused from its size, before reading it. */
	assert_int_equal(truncate(path, (off_t)NP_HOST_MAX_XML_BYTES + 1), 0);
	assert_load_fails(NP_SOURCE_XML, path, 0, -E2BIG, "larger than the limit of 64 MiB");
	unlink(path);
}

static void test_sysfs_limits(void **state)
{
	char root[64];

	(void)state;
	/* 4097 nodes listed: refused before any is read (their rows would take 64 MiB). */
	scratch_copy(root, sizeof(root),
	             "echo 0-4096 > sys/devices/system/node/online && "
	             "mkdir sys/devices/system/node/node0");
	for (unsigned fast = 0; fast < 2; fast++)
		assert_load_fails(NP_SOURCE_SYSFS, root, fast ? NP_HOST_FAST : 0, -E2BIG,
		                  "4097 NUMA nodes, more than the limit of 4096");
	scratch_remove(root);
	/* 16385 CPUs in one node. */
	scratch_copy(root, sizeof(root),
	             "echo 0-16384 > sys/devices/system/cpu/online && "
	             "d=sys/devices/system/node/node0 && mkdir $d && echo 0-16384 > $d/cpulist && "
	             "printf 'Node 0 MemTotal: 1024 kB\\n' > $d/meminfo");
	assert_load_fails(NP_SOURCE_SYSFS, root, NP_HOST_FAST, -E2BIG,
	                  "more than the limit of 16384 CPUs");
	scratch_remove(root);
}

static void test_build_limits(void **state)
{
	struct np_node_spec *n = calloc(NP_HOST_MAX_NODES + 1, sizeof(*n));
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
	np_host *h = NULL;

	(void)state;
	assert_non_null(n);
	for (unsigned i = 0; i <= NP_HOST_MAX_NODES; i++) {
		n[i].id = i;
		n[i].memory_bytes = GIB;
	}
	n[0].cpus = cpus;
	hwloc_bitmap_set(cpus, 0);
	assert_int_equal(np_host_build(NP_HOST_MAX_NODES + 1, n, NULL, &h), -E2BIG);
	assert_int_equal(np_host_build(NP_HOST_MAX_NODES, n, NULL, &h), 0);
	np_host_free(h);
	hwloc_bitmap_set_range(cpus, 0, (int)NP_HOST_MAX_PUS);
	assert_int_equal(np_host_build(1, n, NULL, &h), -E2BIG);
	hwloc_bitmap_free(cpus);
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memtotal_only),      cmocka_unit_test(test_free_known),
	    cmocka_unit_test(test_same_cpus),          cmocka_unit_test(test_same_cpus_search),
	    cmocka_unit_test(test_build_still_strict), cmocka_unit_test(test_no_node_dirs),
	    cmocka_unit_test(test_empty_node_folder),  cmocka_unit_test(test_synthetic_limits),
	    cmocka_unit_test(test_xml_limits),         cmocka_unit_test(test_sysfs_limits),
	    cmocka_unit_test(test_build_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
