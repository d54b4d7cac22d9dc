/*
 * test-parse.c - the strict parsers: sizes, lists, and the kernel files the loaders read.
 */
#include "internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- np_size_parse ------------------------------------------------------------------------ */

static void assert_size(const char *s, uint64_t expected)
{
	uint64_t v = 12345;
	int r = np_size_parse(s, &v);

	if (r != 0)
		fail_msg("np_size_parse(\"%s\") = %d", s, r);
	if (v != expected)
		fail_msg("np_size_parse(\"%s\") = %llu, expected %llu", s, (unsigned long long)v,
		         (unsigned long long)expected);
}

static void assert_size_fails(const char *s, int expected)
{
	uint64_t v = 777;

	assert_int_equal(np_size_parse(s, &v), expected);
	assert_int_equal(v, 777); /* untouched */
}

static void test_size_units(void **state)
{
	(void)state;
	assert_size("512M", 512ull << 20);
	assert_size("4G", 4ull << 30);
	assert_size("64GiB", 64ull << 30);
	assert_size("64GB", 64ull << 30);
	assert_size("100KiB", 100ull << 10);
	assert_size("100K", 102400);
	assert_size("10B", 10);
	assert_size("0B", 0);
	assert_size("0G", 0);
	assert_size("2T", 2ull << 40);
	assert_size("3P", 3ull << 50);
	assert_size("1PiB", 1ull << 50);
	/* Leading zeros are plain decimal, not octal. */
	assert_size("010M", 10ull << 20);
	/* One space between number and unit, as np_size_format() prints. */
	assert_size("1.5 GiB", 3ull << 29);
	assert_size("512 MiB", 512ull << 20);
	assert_size("0 B", 0);
}

static void test_size_case(void **state)
{
	(void)state;
	/* Units are case-insensitive (documented in numaplace.h). */
	assert_size("4g", 4ull << 30);
	assert_size("4gb", 4ull << 30);
	assert_size("64gib", 64ull << 30);
	assert_size("64GIB", 64ull << 30);
	assert_size("1k", 1024);
	assert_size("7b", 7);
	assert_size("2t", 2ull << 40);
}

static void test_size_fractions(void **state)
{
	(void)state;
	assert_size("1.5T", 3ull << 39);
	assert_size("1.5G", 3ull << 29);
	assert_size("0.5K", 512);
	assert_size("0.25M", 256 << 10);
	/* Fractional bytes are rounded down: 0.1 KiB = 102.4 bytes. */
	assert_size("0.1K", 102);
	assert_size("0.1M", 104857);
	assert_size("1.9B", 1);
	assert_size("0.999B", 0);
	assert_size("1.000000000000000000000001G", 1ull << 30);
	/* 1/3 of a GiB = 357913941.33 bytes. */
	assert_size("0.333333333333333333G", 357913941);
	assert_size("16383.999P", (16383ull << 50) + ((999ull << 50) / 1000));
}

static void test_size_malformed(void **state)
{
	(void)state;
	assert_size_fails("", -EINVAL);
	assert_size_fails("G", -EINVAL);
	assert_size_fails("12", -EINVAL); /* no unit */
	assert_size_fails("1.5", -EINVAL);
	assert_size_fails("-1G", -EINVAL);
	assert_size_fails("+1G", -EINVAL);
	assert_size_fails(" 1G", -EINVAL);
	assert_size_fails("1G ", -EINVAL);
	assert_size_fails("1  G", -EINVAL);
	assert_size_fails("1G\n", -EINVAL);
	assert_size_fails("1.G", -EINVAL);
	assert_size_fails(".5G", -EINVAL);
	assert_size_fails("1..5G", -EINVAL);
	assert_size_fails("1,5G", -EINVAL);
	assert_size_fails("1X", -EINVAL);
	assert_size_fails("1X", -EINVAL);
	assert_size_fails("1EE", -EINVAL);
	assert_size_fails("1GiBs", -EINVAL);
	assert_size_fails("1Gi", -EINVAL);
	assert_size_fails("1iB", -EINVAL);
	assert_size_fails("1BB", -EINVAL);
	assert_size_fails("0x10M", -EINVAL);
	assert_size_fails("1e3M", -EINVAL);
	assert_size_fails("1G1", -EINVAL);
	assert_size_fails("1.5.5G", -EINVAL);
	assert_int_equal(np_size_parse(NULL, &(uint64_t){0}), -EINVAL);
	assert_int_equal(np_size_parse("1G", NULL), -EINVAL);
}

static void test_size_overflow(void **state)
{
	(void)state;
	assert_size("18446744073709551615B", UINT64_MAX);
	assert_size_fails("18446744073709551616B", -ERANGE);
	assert_size_fails("99999999999999999999999999K", -ERANGE);
	assert_size("16383P", 16383ull << 50);
	assert_size_fails("16384P", -ERANGE);
	/* E (exbibytes) is a binary unit like the others; 16 EiB is 2^64, one byte too many. */
	assert_size("1E", 1ull << 60);
	assert_size("15EiB", 15ull << 60);
	assert_size("1.5e", 3ull << 59);
	assert_size("15.5E", 31ull << 59);
	assert_size_fails("16E", -ERANGE);
	assert_size_fails("16EiB", -ERANGE);
	assert_size_fails("17179869184G", -ERANGE); /* 2^34 GiB = 2^64 */
	assert_size("17179869183G", 17179869183ull << 30);
	/* Below the next whole unit, a fraction never overflows: it ends at 2^64 - 1. */
	assert_size("16383.99999999999999999999P", UINT64_MAX);
	assert_size("18014398509481983.9999K", UINT64_MAX);
	assert_size_fails("18446744073709551615.5K", -ERANGE);
}

/* ---- np_size_format ----------------------------------------------------------------------- */

static void assert_format(uint64_t bytes, const char *expected)
{
	char buf[32];

	assert_ptr_equal(np_size_format(bytes, buf, sizeof(buf)), buf);
	assert_string_equal(buf, expected);
}

static void test_size_format(void **state)
{
	char small[4];

	(void)state;
	assert_format(0, "0 B");
	assert_format(1, "1 B");
	assert_format(1023, "1023 B");
	assert_format(1024, "1 KiB");
	assert_format(1536, "1.5 KiB");
	assert_format(512ull << 20, "512 MiB");
	assert_format(3ull << 29, "1.5 GiB");
	assert_format(64ull << 30, "64 GiB");
	assert_format(5463289856ull, "5.1 GiB");
	assert_format((1ull << 30) + (1ull << 30) / 4, "1.3 GiB"); /* 1.25 rounds to nearest */
	assert_format((1ull << 30) - 1, "1 GiB");                  /* 1023.99 MiB */
	assert_format((1023ull << 20) + (1ull << 20) / 2, "1023.5 MiB");
	assert_format(2ull << 40, "2 TiB");
	assert_format(1ull << 50, "1 PiB");
	assert_format(1023ull << 50, "1023 PiB");
	assert_format(1ull << 60, "1 EiB");
	assert_format(15ull << 60, "15 EiB");
	assert_format(UINT64_MAX, "16 EiB");
	/* Truncated to the buffer, still terminated. */
	assert_ptr_equal(np_size_format(3ull << 29, small, sizeof(small)), small);
	assert_string_equal(small, "1.5");
}

static void test_size_roundtrip(void **state)
{
	static const uint64_t values[] = {
	    0, 1, 1023, 1024, 3ull << 29, 512ull << 20, 7ull << 40, 1ull << 50};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		assert_size(np_size_format(values[i], buf, sizeof(buf)), values[i]);
}

/* ---- np_list_parse ------------------------------------------------------------------------ */

static void assert_list(const char *s, unsigned max_id, const char *expected)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	char *got = NULL;
	int r;

	hwloc_bitmap_set(set, 999); /* replaced, not merged */
	r = np_list_parse(s, max_id, set);
	if (r != 0)
		fail_msg("np_list_parse(\"%s\") = %d", s, r);
	hwloc_bitmap_list_asprintf(&got, set);
	if (strcmp(got, expected) != 0)
		fail_msg("np_list_parse(\"%s\") = \"%s\", expected \"%s\"", s, got, expected);
	free(got);
	hwloc_bitmap_free(set);
}

static void assert_list_fails(const char *s, unsigned max_id, int expected)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int r;

	hwloc_bitmap_set(set, 7);
	r = np_list_parse(s, max_id, set);
	if (r != expected)
		fail_msg("np_list_parse(\"%s\") = %d, expected %d", s, r, expected);
	/* Untouched on failure. */
	assert_int_equal(hwloc_bitmap_weight(set), 1);
	assert_true(hwloc_bitmap_isset(set, 7));
	hwloc_bitmap_free(set);
}

static void test_list_good(void **state)
{
	(void)state;
	assert_list("0", 65535, "0");
	assert_list("0-3", 65535, "0-3");
	assert_list("0-3,8,10-11", 65535, "0-3,8,10-11");
	assert_list("3-3", 65535, "3");
	assert_list("0,1,4,5,8,9", 65535, "0-1,4-5,8-9");
	assert_list("0,8,250-255", 65535, "0,8,250-255");
	/* Overlaps and disorder are fine, as the kernel's bitmap_parselist accepts them. */
	assert_list("0-5,2-7", 65535, "0-7");
	assert_list("9,1,5", 65535, "1,5,9");
	assert_list("4,4,4", 65535, "4");
	/* Leading zeros. */
	assert_list("007,0010-0012", 65535, "7,10-12");
	/* One trailing newline, as sysfs prints. */
	assert_list("0-1\n", 65535, "0-1");
	/* Bounds are inclusive. */
	assert_list("63", 63, "63");
	assert_list("0-65535", 65535, "0-65535");
	assert_list("64-71", 71, "64-71");
}

static void test_list_bad(void **state)
{
	(void)state;
	assert_list_fails("", 65535, -EINVAL);
	assert_list_fails("\n", 65535, -EINVAL);
	assert_list_fails("3-0", 65535, -EINVAL);
	assert_list_fails("0,", 65535, -EINVAL);
	assert_list_fails(",0", 65535, -EINVAL);
	assert_list_fails("0,,1", 65535, -EINVAL);
	assert_list_fails("0-", 65535, -EINVAL);
	assert_list_fails("-1", 65535, -EINVAL);
	assert_list_fails("0--3", 65535, -EINVAL);
	assert_list_fails("0-1-2", 65535, -EINVAL);
	assert_list_fails(" 0", 65535, -EINVAL);
	assert_list_fails("0 ", 65535, -EINVAL);
	assert_list_fails("0, 1", 65535, -EINVAL);
	assert_list_fails("0 - 3", 65535, -EINVAL);
	assert_list_fails("0\t", 65535, -EINVAL);
	assert_list_fails("0\n\n", 65535, -EINVAL);
	assert_list_fails("0\n1", 65535, -EINVAL);
	assert_list_fails("a", 65535, -EINVAL);
	assert_list_fails("0x3", 65535, -EINVAL);
	assert_list_fails("0-31:2", 65535,
	                  -EINVAL); /* the kernel's stride syntax is not sysfs output */
	assert_list_fails("1;2", 65535, -EINVAL);
	assert_list_fails("+1", 65535, -EINVAL);
}

static void test_list_range(void **state)
{
	(void)state;
	assert_list_fails("64", 63, -ERANGE);
	assert_list_fails("0-64", 63, -ERANGE);
	assert_list_fails("0-4294967295", 65535, -ERANGE);
	assert_list_fails("4294967296", 65535, -ERANGE);
	assert_list_fails("99999999999999999999999", 65535, -ERANGE);
	assert_list_fails("0,1,65536", 65535, -ERANGE);
	assert_list_fails("1", 0, -ERANGE);
	assert_list("0", 0, "0");
}

static void test_list_args(void **state)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();

	(void)state;
	assert_int_equal(np_list_parse(NULL, 10, set), -EINVAL);
	assert_int_equal(np_list_parse("1", 10, NULL), -EINVAL);
	hwloc_bitmap_free(set);
}

static void test_kernel_list(void **state)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	struct np__parse_error err = {NULL, 0};

	(void)state;
	/* A CPU-less node's cpulist is an empty line. */
	hwloc_bitmap_set(set, 3);
	assert_int_equal(np__kernel_list_parse("\n", NP__MAX_CPU_ID, set, &err), 0);
	assert_true(hwloc_bitmap_iszero(set));
	assert_int_equal(np__kernel_list_parse("", NP__MAX_CPU_ID, set, &err), 0);
	assert_int_equal(np__kernel_list_parse("0-87\n", NP__MAX_CPU_ID, set, &err), 0);
	assert_int_equal(hwloc_bitmap_weight(set), 88);
	assert_int_equal(np__kernel_list_parse("0-3,\n", NP__MAX_CPU_ID, set, &err), -EBADMSG);
	assert_string_equal(err.what, "not a list");
	assert_int_equal(hwloc_bitmap_weight(set), 88);
	assert_int_equal(np__kernel_list_parse("65536\n", NP__MAX_NODE_ID, set, &err), -ERANGE);
	assert_string_equal(err.what, "number out of range");
	hwloc_bitmap_free(set);
}

/* ---- meminfo ------------------------------------------------------------------------------ */

static const char meminfo_node3[] = "Node 3 MemTotal:       129839104 kB\n"
                                    "Node 3 MemFree:        100000000 kB\n"
                                    "Node 3 MemUsed:         29839104 kB\n"
                                    "Node 3 Active:            123456 kB\n"
                                    "Node 3 Inactive(anon):       100 kB\n"
                                    "Node 3 Inactive(file):   2000000 kB\n"
                                    "Node 3 HugePages_Total:     0\n"
                                    "Node 3 HugePages_Free:      0\n";

static void test_meminfo_good(void **state)
{
	struct np__meminfo mi;
	struct np__parse_error err = {NULL, 0};

	(void)state;
	assert_int_equal(np__meminfo_parse(meminfo_node3, 3, &mi, &err), 0);
	assert_int_equal(mi.total, 129839104ull * 1024);
	assert_int_equal(mi.free, 100000000ull * 1024);
	assert_int_equal(mi.inactive_file, 2000000ull * 1024);
	assert_true(mi.has_inactive_file);

	/* Old kernels: a leading blank line, no Inactive(file), no final newline. */
	assert_int_equal(np__meminfo_parse("\nNode 0 MemTotal:      8386704 kB\n"
	                                   "Node 0 MemFree:       6895672 kB\n"
	                                   "Node 0 Inactive:       242896 kB",
	                                   0, &mi, &err),
	                 0);
	assert_int_equal(mi.total, 8386704ull * 1024);
	assert_int_equal(mi.free, 6895672ull * 1024);
	assert_false(mi.has_inactive_file);
	assert_int_equal(mi.inactive_file, 0);

	/* Large sparse ids. */
	assert_int_equal(np__meminfo_parse("Node 250 MemTotal: 15728640 kB\n"
	                                   "Node 250 MemFree: 15728576 kB\n",
	                                   250, &mi, &err),
	                 0);
	assert_int_equal(mi.total, 15728640ull * 1024);

	/* A memory-less node. */
	assert_int_equal(
	    np__meminfo_parse("Node 1 MemTotal: 0 kB\nNode 1 MemFree: 0 kB\n", 1, &mi, &err), 0);
	assert_int_equal(mi.total, 0);

	/* /proc/meminfo form. */
	assert_int_equal(np__meminfo_parse("MemTotal:        5335244 kB\n"
	                                   "MemFree:         4808012 kB\n"
	                                   "MemAvailable:    4900000 kB\n"
	                                   "Inactive(file):   162356 kB\n"
	                                   "HugePages_Total:       0\n"
	                                   "Hugepagesize:       2048 kB\n",
	                                   -1, &mi, &err),
	                 0);
	assert_int_equal(mi.total, 5335244ull * 1024);
	assert_int_equal(mi.inactive_file, 162356ull * 1024);

	/* MemTotal alone (Xeon Phi, fake NUMA test machines): free memory is unknown. */
	mi.has_free = true;
	mi.free = 7;
	assert_int_equal(np__meminfo_parse("Node 2 MemTotal:        2097152 kB\n", 2, &mi, &err), 0);
	assert_int_equal(mi.total, 2147483648ull);
	assert_false(mi.has_free);
	assert_int_equal(mi.free, 0);
	assert_false(mi.has_inactive_file);
	assert_int_equal(np__meminfo_parse("Node 0 MemTotal: 4 kB\nNode 0 MemFree: 1 kB\n", 0, &mi,
	                                   &err),
	                 0);
	assert_true(mi.has_free);

	/* The largest value that fits in bytes. */
	assert_int_equal(np__meminfo_parse("Node 0 MemTotal: 18014398509481983 kB\n"
	                                   "Node 0 MemFree: 0 kB\n",
	                                   0, &mi, &err),
	                 0);
	assert_int_equal(mi.total, 18014398509481983ull * 1024);
}

/* Parse `text` as node 0's meminfo, expecting failure `expected` with message `what`. */
static void assert_meminfo_fails(const char *text, int expected, const char *what, unsigned line)
{
	struct np__meminfo mi = {1, 2, 3, true, true};
	struct np__parse_error err = {NULL, 0};
	int r = np__meminfo_parse(text, 0, &mi, &err);

	if (r != expected)
		fail_msg("meminfo \"%s\": %d, expected %d", text, r, expected);
	assert_string_equal(err.what, what);
	assert_int_equal(err.line, line);
	assert_int_equal(mi.total, 1);
	assert_int_equal(mi.free, 2);
	assert_int_equal(mi.inactive_file, 3);
}

static void test_meminfo_bad(void **state)
{
	(void)state;
	assert_meminfo_fails("", -EBADMSG, "no MemTotal line", 0);
	assert_meminfo_fails("Node 0 MemFree: 1 kB\n", -EBADMSG, "no MemTotal line", 0);
	assert_meminfo_fails("Node 0 MemTotal: 1 kB\nNode 0 MemTotal: 1 kB\nNode 0 MemFree: 1 kB\n",
	                     -EBADMSG, "repeated line", 2);
	assert_meminfo_fails("Node 1 MemTotal: 1 kB\nNode 1 MemFree: 1 kB\n", -EBADMSG,
	                     "line of another node", 1);
	assert_meminfo_fails("Node 0 MemTotal: 1 kB\nNode 00 MemFree: 1 kB\ngarbage\n", -EBADMSG,
	                     "line does not start with 'Node'", 3);
	assert_meminfo_fails("Node 0 MemTotal: 1 kB junk\nNode 0 MemFree: 1 kB\n", -EBADMSG,
	                     "trailing junk", 1);
	assert_meminfo_fails("Node 0 MemTotal: 1 MB\nNode 0 MemFree: 1 kB\n", -EBADMSG,
	                     "trailing junk", 1);
	assert_meminfo_fails("Node 0 MemTotal: 1\nNode 0 MemFree: 1 kB\n", -EBADMSG,
	                     "value without 'kB'", 1);
	assert_meminfo_fails("Node 0 MemTotal: -1 kB\nNode 0 MemFree: 1 kB\n", -EBADMSG,
	                     "malformed value", 1);
	assert_meminfo_fails("Node 0 MemTotal: kB\n", -EBADMSG, "malformed value", 1);
	assert_meminfo_fails("Node 0 MemTotal 1 kB\n", -EBADMSG, "malformed line", 1);
	assert_meminfo_fails("Node 0 : 1 kB\n", -EBADMSG, "malformed line", 1);
	assert_meminfo_fails("Node 0  MemTotal: 1 kB\n", -EBADMSG, "malformed line", 1);
	assert_meminfo_fails("Node x MemTotal: 1 kB\n", -EBADMSG, "bad node id", 1);
	assert_meminfo_fails("Node 0 MemTotal: 0x10 kB\n", -EBADMSG, "trailing junk", 1);
	assert_meminfo_fails("MemTotal: 1 kB\nMemFree: 1 kB\n", -EBADMSG,
	                     "line does not start with 'Node'", 1);
	/* Overflow: of the number itself and of kB -> bytes. */
	assert_meminfo_fails("Node 0 MemTotal: 18446744073709551616 kB\n", -ERANGE,
	                     "number out of range", 1);
	assert_meminfo_fails("Node 0 MemTotal: 18014398509481984 kB\nNode 0 MemFree: 1 kB\n",
	                     -ERANGE, "number out of range", 1);
	/* An overflowing value of a line numaplace does not use is still garbage. */
	assert_meminfo_fails("Node 0 MemTotal: 1 kB\nNode 0 MemFree: 1 kB\n"
	                     "Node 0 Active: 99999999999999999999999 kB\n",
	                     -ERANGE, "number out of range", 3);
}

/* ---- distance rows ------------------------------------------------------------------------ */

static void test_distance(void **state)
{
	unsigned row[8] = {0};
	struct np__parse_error err = {NULL, 0};

	(void)state;
	assert_int_equal(np__distance_parse("10 21 21 10\n", 4, row, &err), 0);
	assert_int_equal(row[0], 10);
	assert_int_equal(row[1], 21);
	assert_int_equal(row[3], 10);
	assert_int_equal(np__distance_parse("80 80 10 80 80 80 80 80\n", 8, row, &err), 0);
	assert_int_equal(row[2], 10);
	assert_int_equal(row[7], 80);
	assert_int_equal(np__distance_parse("10", 1, row, &err), 0);
	assert_int_equal(np__distance_parse("010 65535\n", 2, row, &err), 0);
	assert_int_equal(row[1], 65535);

	row[0] = 42;
	assert_int_equal(np__distance_parse("10 20\n", 3, row, &err), -EBADMSG);
	assert_string_equal(err.what, "fewer distances than nodes");
	assert_int_equal(np__distance_parse("10 20 30 40\n", 3, row, &err), -EBADMSG);
	assert_string_equal(err.what, "more distances than nodes");
	assert_int_equal(np__distance_parse("10  20\n", 2, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse("10 20 \n", 2, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse(" 10 20\n", 2, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse("10,20\n", 2, row, &err), -EBADMSG);
	assert_string_equal(err.what, "trailing junk");
	assert_int_equal(np__distance_parse("10 20\n\n", 2, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse("", 1, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse("\n", 1, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse("10 -20\n", 2, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse("10 0\n", 2, row, &err), -EBADMSG);
	assert_string_equal(err.what, "distance 0");
	assert_int_equal(np__distance_parse("10 x\n", 2, row, &err), -EBADMSG);
	assert_int_equal(np__distance_parse("10 65536\n", 2, row, &err), -ERANGE);
	assert_int_equal(np__distance_parse("10 99999999999999999999999\n", 2, row, &err), -ERANGE);
	assert_int_equal(np__distance_parse("10\n", 0, row, &err), -EBADMSG);
	assert_int_equal(row[0], 42); /* untouched */
}

/* ---- cpumap ------------------------------------------------------------------------------- */

static void assert_cpumap(const char *text, const char *expected)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	struct np__parse_error err = {NULL, 0};
	char *got = NULL;
	int r;

	hwloc_bitmap_set(set, 500);
	r = np__cpumap_parse(text, set, &err);
	if (r != 0)
		fail_msg("cpumap \"%s\": %d", text, r);
	hwloc_bitmap_list_asprintf(&got, set);
	if (strcmp(got, expected) != 0)
		fail_msg("cpumap \"%s\" = \"%s\", expected \"%s\"", text, got, expected);
	free(got);
	hwloc_bitmap_free(set);
}

static void assert_cpumap_fails(const char *text, int expected)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	struct np__parse_error err = {NULL, 0};
	int r;

	hwloc_bitmap_set(set, 5);
	r = np__cpumap_parse(text, set, &err);
	if (r != expected)
		fail_msg("cpumap \"%s\": %d, expected %d", text, r, expected);
	assert_non_null(err.what);
	assert_int_equal(hwloc_bitmap_weight(set), 1);
	assert_true(hwloc_bitmap_isset(set, 5));
	hwloc_bitmap_free(set);
}

static void test_cpumap(void **state)
{
	(void)state;
	assert_cpumap("00000003\n", "0-1");
	assert_cpumap("0000000f", "0-3");
	assert_cpumap("00000000,00000000,00000000,0000000f\n", "0-3");
	assert_cpumap("0000,00000011,11111111\n", "0,4,8,12,16,20,24,28,32,36");
	assert_cpumap("ffff\n", "0-15");
	assert_cpumap("80000000,00000000\n", "63");
	assert_cpumap("1,00000000,00000000\n", "64");
	assert_cpumap("FFFFFFFF,ffffffff\n", "0-63");
	assert_cpumap("00000000\n", "");
	assert_cpumap("0\n", "");

	assert_cpumap_fails("", -EBADMSG);
	assert_cpumap_fails("\n", -EBADMSG);
	assert_cpumap_fails("0000000f,", -EBADMSG);
	assert_cpumap_fails(",0000000f", -EBADMSG);
	assert_cpumap_fails("0000000f,f\n", -EBADMSG); /* inner words have 8 digits */
	assert_cpumap_fails("000000000\n", -EBADMSG);  /* 9 digits */
	assert_cpumap_fails("0x0000000f\n", -EBADMSG);
	assert_cpumap_fails("0000000g\n", -EBADMSG);
	assert_cpumap_fails("0000000f \n", -EBADMSG);
	assert_cpumap_fails(" 0000000f\n", -EBADMSG);
	assert_cpumap_fails("0000000f\n\n", -EBADMSG);
	assert_cpumap_fails("0-3\n", -EBADMSG);
}

static void test_cpumap_huge(void **state)
{
	/* 32769 words: CPU 32768 * 32 = 1048576 is one past NP__MAX_CPU_ID. */
	size_t words = NP__MAX_CPU_ID / 32 + 2, len = words * 9;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	for (size_t w = 0; w < words; w++)
		memcpy(text + w * 9, "00000000,", 9);
	text[len - 1] = '\n';
	text[len] = '\0';
	/* All zero: fine, whatever the length. */
	assert_cpumap(text, "");
	/* The highest CPU allowed is NP__MAX_CPU_ID: bit 31 of word 32767. */
	text[9] = '8';
	assert_cpumap(text, "1048575");
	text[9] = '0';
	text[7] = '1';
	assert_cpumap_fails(text, -ERANGE);
	free(text);
}

/* ---- counts ------------------------------------------------------------------------------- */

static void test_count(void **state)
{
	uint64_t v = 99;
	struct np__parse_error err = {NULL, 0};

	(void)state;
	assert_int_equal(np__count_parse("512\n", &v, &err), 0);
	assert_int_equal(v, 512);
	assert_int_equal(np__count_parse("0", &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(np__count_parse("18446744073709551615\n", &v, &err), 0);
	assert_int_equal(v, UINT64_MAX);
	v = 99;
	assert_int_equal(np__count_parse("18446744073709551616\n", &v, &err), -ERANGE);
	assert_int_equal(np__count_parse("", &v, &err), -EBADMSG);
	assert_int_equal(np__count_parse("\n", &v, &err), -EBADMSG);
	assert_int_equal(np__count_parse("-1\n", &v, &err), -EBADMSG);
	assert_int_equal(np__count_parse("1 2\n", &v, &err), -EBADMSG);
	assert_string_equal(err.what, "trailing junk");
	assert_int_equal(np__count_parse(" 1\n", &v, &err), -EBADMSG);
	assert_int_equal(np__count_parse("1\n\n", &v, &err), -EBADMSG);
	assert_int_equal(np__count_parse("12abc", &v, &err), -EBADMSG);
	assert_int_equal(v, 99);
	/* err may be NULL. */
	assert_int_equal(np__count_parse("x", &v, NULL), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_units),     cmocka_unit_test(test_size_case),
	    cmocka_unit_test(test_size_fractions), cmocka_unit_test(test_size_malformed),
	    cmocka_unit_test(test_size_overflow),  cmocka_unit_test(test_size_format),
	    cmocka_unit_test(test_size_roundtrip), cmocka_unit_test(test_list_good),
	    cmocka_unit_test(test_list_bad),       cmocka_unit_test(test_list_range),
	    cmocka_unit_test(test_list_args),      cmocka_unit_test(test_kernel_list),
	    cmocka_unit_test(test_meminfo_good),   cmocka_unit_test(test_meminfo_bad),
	    cmocka_unit_test(test_distance),       cmocka_unit_test(test_cpumap),
	    cmocka_unit_test(test_cpumap_huge),    cmocka_unit_test(test_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
