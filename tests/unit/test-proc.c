/* test-proc.c - the /proc readers: strict stat and numa_maps parsers, live and fixture reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proc.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char stat_sleep[] =
    "4242 (sleep) S 4200 4242 4200 34816 4242 4194304 98 0 0 0 0 0 0 0 20 0 1 0 35274 3133440"
    " 391 18446744073709551615 94223884615680 94223884635561 140725004784240 0 0 0 0 0 0 0 0 0"
    " 17 0 0 0 0 0 0 94223884651568 94223884653184 94224635994112 140725004790409"
    " 140725004790429 140725004790429 140725004791787 0\n";

static void test_stat_parse(void **state)
{
	struct np__proc_stat st;

	(void)state;
	assert_int_equal(np__proc_stat_parse(stat_sleep, &st), 0);
	assert_int_equal(st.pid, 4242);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 4200);
	assert_int_equal(st.flags, 4194304);
	assert_int_equal(st.start_time, 35274);
	assert_string_equal(st.comm, "sleep");
	assert_int_equal(st.utime, 0);
	assert_int_equal(st.nthreads, 1);
	assert_int_equal(st.rss_pages, 391); /* field 24 */
}

static void test_stat_parse_fields(void **state)
{
	struct np__proc_stat st;

	(void)state;
	/* utime 7, stime 3, 12 threads, vsize and rss present */
	assert_int_equal(
	    np__proc_stat_parse("9 (qemu-system-x86) S 1 9 9 0 -1 4194560 10 0 0 0 7 3 "
	                        "-1 -2 20 0 12 0 500 123456 2048 184467\n",
	                        &st),
	    0);
	assert_string_equal(st.comm, "qemu-system-x86");
	assert_int_equal(st.utime, 7);
	assert_int_equal(st.stime, 3);
	assert_int_equal(st.nthreads, 12);
	assert_int_equal(st.start_time, 500);
	assert_int_equal(st.rss_pages, 2048);
	/* vsize without rss */
	assert_int_equal(
	    np__proc_stat_parse("9 (a) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 77\n", &st), 0);
	assert_int_equal(st.rss_pages, 0);
	/* junk after rss, a negative utime, a negative rss */
	assert_int_equal(
	    np__proc_stat_parse("9 (a) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 7 8x", &st),
	    -EBADMSG);
	assert_int_equal(
	    np__proc_stat_parse("9 (a) S 1 9 9 0 -1 0 0 0 0 -7 0 0 0 0 20 0 1 0 5", &st), -EBADMSG);
	assert_int_equal(
	    np__proc_stat_parse("9 (a) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 7 -8", &st),
	    -EBADMSG);
}

static void test_cpu_stat_parse(void **state)
{
	struct np_cpu_time *t = NULL;

	(void)state;
	assert_int_equal(np__cpu_stat_parse("cpu  30 0 20 900 10 1 2 3 0 0\n"
	                                    "cpu0 10 0 10 450 5 1 1 2 0 0\n"
	                                    "cpu2 20 0 10 450 5 0 1 1 0 0\n"
	                                    "intr 1 2 3\nctxt 5\n",
	                                    &t),
	                 2);
	assert_int_equal(t[0].cpu, 0);
	assert_int_equal(t[0].busy, 10 + 10 + 1 + 1 + 2);
	assert_int_equal(t[0].total, 24 + 450 + 5);
	assert_int_equal(t[1].cpu, 2);
	assert_int_equal(t[1].busy, 20 + 10 + 1 + 1);
	free(t);
	/* four numbers, as kernels before 2.6 wrote */
	assert_int_equal(np__cpu_stat_parse("cpu0 1 2 3 4\n", &t), 1);
	assert_int_equal(t[0].busy, 6);
	assert_int_equal(t[0].total, 10);
	free(t);
	t = NULL;
	assert_int_equal(np__cpu_stat_parse("cpu0 1 2 3\n", &t), -EBADMSG);
	assert_int_equal(np__cpu_stat_parse("cpu0 1 2 3 x\n", &t), -EBADMSG);
	assert_int_equal(np__cpu_stat_parse("cpu0 1 2 3 4 \n", &t), -EBADMSG);
	assert_int_equal(np__cpu_stat_parse("cpu1 1 2 3 4\ncpu0 1 2 3 4\n", &t), -EBADMSG);
	assert_int_equal(np__cpu_stat_parse("cpu  1 2 3 4\nintr 0\n", &t), -EBADMSG); /* no CPU */
	assert_null(t);
}

static void test_process_live(void **state)
{
	struct np_process p, *list = NULL;
	struct np_cpu_time *t = NULL;
	struct np_node_bytes *nb = NULL;
	bool self = false, init = false;
	pid_t child;
	int n, status;

	(void)state;
	assert_int_equal(np_process_read(getpid(), &p), 0);
	assert_int_equal(p.pid, getpid());
	assert_int_equal(p.kernel_thread, 0);
	assert_int_equal(p.nthreads, 1);
	assert_int_equal(p.uid, geteuid());
	assert_true(p.rss_bytes > 0);
	{
		/* under valgrind the name is valgrind's: compare with what the kernel shows */
		char comm[64] = "";
		FILE *f = fopen("/proc/self/comm", "r");

		assert_non_null(f);
		assert_non_null(fgets(comm, sizeof(comm), f));
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		assert_string_equal(p.comm, comm);
	}
	n = np_process_list(&list);
	assert_true(n >= 2);
	for (int i = 0; i < n; i++) {
		if (i)
			assert_true(list[i - 1].pid < list[i].pid);
		self |= list[i].pid == getpid();
		init |= list[i].pid == 1 && !list[i].kernel_thread;
	}
	assert_true(self && init);
	free(list);
	n = np_cpu_times(&t);
	assert_true(n >= 1);
	assert_true(t[0].total >= t[0].busy);
	free(t);
	/* a process that is gone */
	child = fork();
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(np_process_read(child, &p), -ESRCH);
	assert_int_equal(np_process_memory(child, &nb), -ESRCH);
	assert_int_equal(np_process_read(0, &p), -EINVAL);
	n = np_process_memory(getpid(), &nb);
	if (n != -ESRCH) {
		assert_true(n >= 1);
		free(nb);
	}
}

static void test_stat_parse_comm(void **state)
{
	struct np__proc_stat st;

	(void)state;
	/* comm with spaces and parentheses: the last ')' ends it */
	assert_int_equal(np__proc_stat_parse("7 (a) b (c)) R 1 7 7 0 -1 2129984 0 0 0 0 0 0 0 0 "
	                                     "20 0 1 0 99 0 0 18446744073709551615 0\n",
	                                     &st),
	                 0);
	assert_int_equal(st.pid, 7);
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.flags, 2129984);
	assert_true(st.flags & NP__PF_KTHREAD);
	assert_int_equal(st.start_time, 99);
	/* empty comm, negative priority and nice, fields ending at 22 */
	assert_int_equal(np__proc_stat_parse("8 () Z 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 -2 -20 1 0 "
	                                     "18446744073709551615",
	                                     &st),
	                 0);
	assert_int_equal(st.state, 'Z');
	assert_true(st.start_time == UINT64_MAX);
}

static void test_stat_parse_bad(void **state)
{
	struct np__proc_stat st = {.pid = 1234, .start_time = 5};
	static const char *const bad[] = {
	    "",
	    "4242",
	    "x (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
	    "0 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
	    "4242 a S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
	    "4242 (a S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
	    "4242 (a)S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
	    "4242 (a) 1 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
	    "4242 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",    /* 21 fields */
	    "4242 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5x", /* junk */
	    "4242 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5", /* negative start */
	    "4242 (a) S -1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", /* negative ppid */
	    "4242 (a) S 1 1 1 0 -1 -3 0 0 0 0 0 0 0 0 20 0 1 0 5", /* negative flags */
	    "4242 (a) S 1  1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", /* two spaces */
	    "4242 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551616", /* overflow */
	    "99999999999 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(np__proc_stat_parse(bad[i], &st), -EBADMSG);
		assert_int_equal(st.pid, 1234); /* untouched */
		assert_int_equal(st.start_time, 5);
	}
}

static const char maps_mixed[] =
    "55b645eeb000 default file=/usr/bin/head mapped=2 N0=2 kernelpagesize_kB=4\n"
    "55b64840e000 default heap anon=4 dirty=4 active=0 N0=3 N1=1 kernelpagesize_kB=4\n"
    "7f0000000000 bind:1 file=/dev/hugepages/x\\040y huge dirty=2 N1=2 kernelpagesize_kB=2048\n"
    "7f1000000000 interleave:0-1 anon=3 N3=3 kernelpagesize_kB=1048576\n"
    "7ffd1c9c4000 default stack anon=0\n"
    "7ffd1c9ff000 default\n"
    "7ffd1ca00000 prefer:0 file=/x N0=1 kernelpagesize_kB=64";

static void test_numa_maps_parse(void **state)
{
	struct np_node_bytes *nb = NULL;

	(void)state;
	assert_int_equal(np__numa_maps_parse(maps_mixed, &nb), 3);
	assert_int_equal(nb[0].node, 0);
	assert_int_equal(nb[0].bytes, (2 + 3) * 4096ull + 65536);
	assert_int_equal(nb[1].node, 1);
	assert_int_equal(nb[1].bytes, 4096ull + 2 * (2ull << 20));
	assert_int_equal(nb[2].node, 3);
	assert_int_equal(nb[2].bytes, 3ull << 30);
	free(nb);

	nb = NULL;
	assert_int_equal(np__numa_maps_parse("", &nb), 0);
	free(nb);
	nb = NULL;
	assert_int_equal(np__numa_maps_parse("7f00 default\n", &nb), 0);
	free(nb);
}

static void test_numa_maps_parse_bad(void **state)
{
	struct np_node_bytes *nb = (struct np_node_bytes *)0x1;
	static const char *const bad[] = {
	    "zz00 default N0=1 kernelpagesize_kB=4\n",
	    "7f00default N0=1 kernelpagesize_kB=4\n",
	    "7f00 default N0=1\n", /* pages without a page size */
	    "7f00 default N0=x kernelpagesize_kB=4\n",
	    "7f00 default N0=1x kernelpagesize_kB=4\n",
	    "7f00 default N0= kernelpagesize_kB=4\n",
	    "7f00 default N0=1 kernelpagesize_kB=0\n",
	    "7f00 default N0=1 kernelpagesize_kB=4k\n",
	    "7f00 default N0=1 kernelpagesize_kB=4 kernelpagesize_kB=4\n",
	    "7f00 default N65536=1 kernelpagesize_kB=4\n", /* node id beyond the kernel's */
	    "7f00 default  N0=1 kernelpagesize_kB=4\n",    /* two spaces */
	    "7f00 default N0=1 kernelpagesize_kB=4 \n",    /* trailing space */
	    "\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(np__numa_maps_parse(bad[i], &nb), -EBADMSG);
		assert_ptr_equal(nb, (struct np_node_bytes *)0x1);
	}
	/* pages x page size beyond 64 bits */
	assert_int_equal(
	    np__numa_maps_parse("7f00 default N0=18014398509481984 kernelpagesize_kB=1024\n", &nb),
	    -ERANGE);
	assert_int_equal(
	    np__numa_maps_parse("7f00 default N0=99999999999999999999 kernelpagesize_kB=4\n", &nb),
	    -ERANGE);
}

/* A fixture tree: root/proc/PID/{stat,numa_maps,cmdline,task/TID}. */
static char root[PATH_MAX];

static void put(const char *rel, const char *text, size_t len)
{
	char path[PATH_MAX * 2], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void puts_at(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

static int setup_root(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s/np-proc-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown_root(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_fixture_reads(void **state)
{
	struct np__proc_stat st;
	struct np_node_bytes *nb = NULL;
	pid_t *tids = NULL;
	char *cmd = NULL;
	int fd;

	(void)state;
	put("proc/4242/stat", stat_sleep, sizeof(stat_sleep) - 1);
	put("proc/4242/numa_maps", maps_mixed, sizeof(maps_mixed) - 1);
	put("proc/4242/cmdline",
	    "sleep\0"
	    "3\0",
	    8);
	put("proc/4242/task/4242/stat", "", 0);
	put("proc/4242/task/4250/stat", "", 0);
	put("proc/4242/task/4243/stat", "", 0);
	puts_at("proc/2/stat", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0\n");
	puts_at("proc/2/cmdline", "");
	puts_at("proc/77/stat", "77 (k) S 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 24 0\n");
	puts_at("proc/77/cmdline", "");
	puts_at("proc/78/stat", "77 (k) S 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 24 0\n");

	fd = np__proc_root_open(root);
	assert_true(fd >= 0);
	assert_int_equal(np__proc_stat(fd, 4242, &st), 0);
	assert_int_equal(st.start_time, 35274);
	assert_int_equal(np__proc_stat(fd, 4243, &st), -ENOENT);
	assert_int_equal(np__proc_stat(fd, 78, &st), -EBADMSG); /* pid field is not 78 */
	assert_int_equal(np__proc_numa_maps(fd, 4242, &nb), 3);
	assert_int_equal(nb[2].bytes, 3ull << 30);
	free(nb);
	assert_int_equal(np__proc_threads(fd, 4242, &tids), 3);
	assert_int_equal(tids[0], 4242);
	assert_int_equal(tids[1], 4243);
	assert_int_equal(tids[2], 4250);
	free(tids);
	assert_int_equal(np__proc_cmdline(fd, 4242, &cmd), 8);
	assert_string_equal(cmd, "sleep");
	assert_string_equal(cmd + 6, "3");
	free(cmd);
	assert_int_equal(np__proc_is_kthread(fd, 4242), 0);
	assert_int_equal(np__proc_is_kthread(fd, 2), 1);  /* PF_KTHREAD */
	assert_int_equal(np__proc_is_kthread(fd, 77), 1); /* no flag, empty command line */
	assert_int_equal(np__proc_is_kthread(fd, 9), -ENOENT);
	close(fd);
}

static void test_live_self(void **state)
{
	struct np__proc_stat st, st2;
	struct np_node_bytes *nb = NULL;
	pid_t *tids = NULL;
	char *cmd = NULL;
	int fd, n;

	(void)state;
	fd = np__proc_root_open(NULL);
	assert_true(fd >= 0);
	assert_int_equal(np__proc_stat(fd, getpid(), &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');
	assert_true(st.start_time > 0);
	assert_int_equal(np__proc_stat(fd, getpid(), &st2), 0);
	assert_true(st2.start_time == st.start_time);
	n = np__proc_numa_maps(fd, getpid(), &nb);
	if (n == -ENOENT) {
		/* a kernel without CONFIG_NUMA has no numa_maps */
		close(fd);
		skip();
	}
	assert_true(n >= 1);
	assert_true(nb[0].bytes >= 4096);
	free(nb);
	assert_int_equal(np__proc_threads(fd, getpid(), &tids), 1);
	assert_int_equal(tids[0], getpid());
	free(tids);
	/* arguments separated and ended by NUL (the program may run under valgrind: no name) */
	n = np__proc_cmdline(fd, getpid(), &cmd);
	assert_true(n > 0);
	assert_int_equal(cmd[n - 1], '\0');
	assert_true(strlen(cmd) > 0);
	free(cmd);
	assert_int_equal(np__proc_is_kthread(fd, getpid()), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stat_parse),          cmocka_unit_test(test_stat_parse_comm),
	    cmocka_unit_test(test_stat_parse_bad),      cmocka_unit_test(test_numa_maps_parse),
	    cmocka_unit_test(test_numa_maps_parse_bad), cmocka_unit_test(test_fixture_reads),
	    cmocka_unit_test(test_live_self),           cmocka_unit_test(test_stat_parse_fields),
	    cmocka_unit_test(test_cpu_stat_parse),      cmocka_unit_test(test_process_live),
	};

	return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
