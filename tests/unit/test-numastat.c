/*
 * test-numastat.c - the kernel's per-node allocation counters: the strict numastat parser, the
 * reader on fixture trees and on this host.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char good[] = "numa_hit 2423446\nnuma_miss 3\nnuma_foreign 4\n"
                           "interleave_hit 1228\nlocal_node 2423440\nother_node 9\n";

static void test_parse_good(void **state)
{
	struct np_numastat s;

	(void)state;
	assert_int_equal(np__numastat_parse(good, 7, &s, NULL), 0);
	assert_int_equal(s.node, 7);
	assert_int_equal(s.numa_hit, 2423446);
	assert_int_equal(s.numa_miss, 3);
	assert_int_equal(s.numa_foreign, 4);
	assert_int_equal(s.interleave_hit, 1228);
	assert_int_equal(s.local_node, 2423440);
	assert_int_equal(s.other_node, 9);
	/* Another order, no final newline, a key of a later kernel, 2^64 - 1. */
	assert_int_equal(np__numastat_parse("other_node 1\nlocal_node 2\ninterleave_hit 3\n"
	                                    "numa_foreign 4\nnuma_miss 5\nnuma_new_counter 6\n"
	                                    "numa_hit 18446744073709551615",
	                                    0, &s, NULL),
	                 0);
	assert_int_equal(s.other_node, 1);
	assert_int_equal(s.numa_miss, 5);
	assert_true(s.numa_hit == UINT64_MAX);
}

static void assert_parse_fails(const char *text, int expected, const char *what, unsigned line)
{
	struct np__parse_error err = {NULL, 0};
	struct np_numastat s = {.node = 99, .numa_hit = 77};

	assert_int_equal(np__numastat_parse(text, 1, &s, &err), expected);
	assert_string_equal(err.what, what);
	assert_int_equal(err.line, line);
	/* untouched */
	assert_int_equal(s.node, 99);
	assert_int_equal(s.numa_hit, 77);
}

static void test_parse_bad(void **state)
{
	char text[512];

	(void)state;
	assert_parse_fails("", -EBADMSG, "a counter is missing", 0);
	assert_parse_fails("\n", -EBADMSG, "malformed line", 1);
	/* one counter left out */
	assert_parse_fails("numa_hit 1\nnuma_miss 0\nnuma_foreign 0\ninterleave_hit 0\n"
	                   "local_node 1\n",
	                   -EBADMSG, "a counter is missing", 0);
	snprintf(text, sizeof(text), "%snuma_miss 1\n", good);
	assert_parse_fails(text, -EBADMSG, "repeated line", 7);
	snprintf(text, sizeof(text), "%sjunk\n", good);
	assert_parse_fails(text, -EBADMSG, "malformed line", 7);
	assert_parse_fails("numa_hit  1\n", -EBADMSG, "malformed value", 1);
	assert_parse_fails(" numa_hit 1\n", -EBADMSG, "malformed line", 1);
	assert_parse_fails("numa_hit -1\n", -EBADMSG, "malformed value", 1);
	assert_parse_fails("numa_hit +1\n", -EBADMSG, "malformed value", 1);
	assert_parse_fails("numa_hit 1 \n", -EBADMSG, "trailing junk", 1);
	assert_parse_fails("numa_hit 1kB\n", -EBADMSG, "trailing junk", 1);
	assert_parse_fails("numa_hit 0x10\n", -EBADMSG, "trailing junk", 1);
	assert_parse_fails("numa_hit\t1\n", -EBADMSG, "malformed line", 1);
	assert_parse_fails("NUMA_HIT 1\n", -EBADMSG, "malformed line", 1);
	assert_parse_fails("numa_hit 1\n\n", -EBADMSG, "malformed line", 2);
	assert_parse_fails("numa_hit 1\r\n", -EBADMSG, "trailing junk", 1);
	assert_parse_fails("numa_hit 18446744073709551616\n", -ERANGE, "number out of range", 1);
}

static void sysfs_root(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/sysfs/%s", FIXTURES, name);
}

/* The sparse fixture's nodes 0, 1, 4, 5 (tests/fixtures/make-sysfs.py's numastat()). */
static void test_read_fixture(void **state)
{
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
	struct np_numastat *s = NULL;
	char root[PATH_MAX];

	(void)state;
	sysfs_root("sparse", root, sizeof(root));
	assert_int_equal(hwloc_bitmap_list_sscanf(nodes, "0-1,4-5"), 0);
	if (np_numastat_read(root, nodes, &s) != 4)
		fail_msg("%s", np_last_error());
	assert_int_equal(s[0].node, 0);
	assert_int_equal(s[0].numa_hit, 262144); /* (4 GiB - 3 GiB) / 4 KiB + 100 x node id */
	assert_int_equal(s[0].numa_miss, 0);
	assert_int_equal(s[2].node, 4);
	assert_int_equal(s[2].numa_hit, 786832);
	assert_int_equal(s[2].numa_miss, 4000);
	assert_int_equal(s[2].numa_foreign, 2000);
	assert_int_equal(s[2].interleave_hit, 104);
	assert_int_equal(s[2].local_node, 786684);
	assert_int_equal(s[2].other_node, 4148);
	assert_int_equal(s[3].node, 5);
	assert_int_equal(s[3].local_node, 315);
	free(s);
	hwloc_bitmap_free(nodes);
}

static void test_read_errors(void **state)
{
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
	struct np_numastat *s = (void *)&s;
	char root[PATH_MAX];

	(void)state;
	sysfs_root("sparse", root, sizeof(root));
	assert_int_equal(np_numastat_read(root, nodes, &s), -EINVAL); /* empty */
	assert_int_equal(np_numastat_read(root, NULL, &s), -EINVAL);
	hwloc_bitmap_fill(nodes);
	assert_int_equal(np_numastat_read(root, nodes, &s), -EINVAL); /* infinite */
	hwloc_bitmap_only(nodes, 65536);
	assert_int_equal(np_numastat_read(root, nodes, &s), -EINVAL);
	/* node 2 is not in the tree: the file is named */
	hwloc_bitmap_only(nodes, 0);
	hwloc_bitmap_set(nodes, 2);
	assert_int_equal(np_numastat_read(root, nodes, &s), -ENOENT);
	assert_non_null(
	    strstr(np_last_error(),
	           "sysfs/sparse/sys/devices/system/node/node2/numastat': No such file"));
	assert_int_equal(np_numastat_read("/nonexistent-root", nodes, &s), -ENOENT);
	assert_ptr_equal(s, (void *)&s); /* untouched */
	hwloc_bitmap_free(nodes);
}

/* A numastat file that is not one: the reader names the file and the line. */
static void test_read_bad_file(void **state)
{
	char dir[] = "/tmp/np-numastat-XXXXXX", path[PATH_MAX + 64];
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
	struct np_numastat *s = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "mkdir -p %s/sys/devices/system/node/node3", dir);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/sys/devices/system/node/node3/numastat", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("numa_hit 1\nnuma_miss x\n", f);
	fclose(f);
	hwloc_bitmap_only(nodes, 3);
	assert_int_equal(np_numastat_read(dir, nodes, &s), -EBADMSG);
	assert_non_null(strstr(np_last_error(), "node3/numastat' line 2: malformed value"));
	assert_null(s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	hwloc_bitmap_free(nodes);
}

/* This host: node 0 has counted allocations (this process's own, at least). */
static void test_read_live(void **state)
{
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
	struct np_numastat *s = NULL;

	(void)state;
	if (access("/sys/devices/system/node/node0/numastat", R_OK) != 0) {
		hwloc_bitmap_free(nodes);
		skip();
	}
	hwloc_bitmap_only(nodes, 0);
	assert_int_equal(np_numastat_read(NULL, nodes, &s), 1);
	assert_int_equal(s[0].node, 0);
	assert_true(s[0].numa_hit > 0);
	free(s);
	hwloc_bitmap_free(nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_read_fixture),  cmocka_unit_test(test_read_errors),
	    cmocka_unit_test(test_read_bad_file), cmocka_unit_test(test_read_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
