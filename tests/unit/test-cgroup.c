/*
 * test-cgroup.c - the cgroup v2 readers and writers on a tree of plain files
 * (tests/fixtures/cgroup: proc/self/mountinfo and sys/fs/cgroup), as the sysfs readers are
 * tested. The writers work on a copy of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgtree.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TREE FIXTURES "/cgroup"

static void test_mountinfo(void **state)
{
	char *m = NULL;

	(void)state;
	assert_int_equal(np__mountinfo_cgroup2("22 1 0:21 / /sys rw shared:7 - sysfs sysfs rw\n"
	                                       "25 22 0:23 / /sys/fs/cgroup rw,nosuid shared:9 - "
	                                       "cgroup2 cgroup2 rw,nsdelegate\n",
	                                       &m),
	                 0);
	assert_string_equal(m, "sys/fs/cgroup");
	free(m);
	/* no optional fields, an escaped space, no newline at the end */
	assert_int_equal(
	    np__mountinfo_cgroup2("30 1 0:40 / /mnt/cg\\040two rw - cgroup2 none rw", &m), 0);
	assert_string_equal(m, "mnt/cg two");
	free(m);
	assert_int_equal(np__mountinfo_cgroup2("30 1 0:40 / / rw - cgroup2 none rw\n", &m), 0);
	assert_string_equal(m, "");
	free(m);
	m = NULL;
	/* hybrid: v1 controllers and a cgroup2 at unified, the cgroup2 one is taken */
	assert_int_equal(np__mountinfo_cgroup2("31 25 0:27 / /sys/fs/cgroup/cpuset rw - cgroup "
	                                       "cgroup rw,cpuset\n"
	                                       "32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 "
	                                       "cgroup2 rw\n",
	                                       &m),
	                 0);
	assert_string_equal(m, "sys/fs/cgroup/unified");
	free(m);
	m = NULL;
	assert_int_equal(np__mountinfo_cgroup2("31 25 0:27 / /sys/fs/cgroup/cpuset rw - cgroup "
	                                       "cgroup rw,cpuset\n",
	                                       &m),
	                 -EMEDIUMTYPE);
	assert_int_equal(np__mountinfo_cgroup2("22 1 0:21 / /sys rw - sysfs sysfs rw\n", &m),
	                 -ENODEV);
	assert_int_equal(np__mountinfo_cgroup2("", &m), -ENODEV);
	assert_int_equal(np__mountinfo_cgroup2("22 1 0:21 / /sys rw sysfs sysfs rw\n", &m),
	                 -EBADMSG);
	assert_int_equal(np__mountinfo_cgroup2("22 1\n", &m), -EBADMSG);
	assert_null(m);
}

static int open_root(void)
{
	int fd = np__proc_root_open(TREE);

	assert_true(fd >= 0);
	return fd;
}

static void test_mount_find(void **state)
{
	char *m = NULL;
	int fd = open_root(), none = np__proc_root_open(FIXTURES "/sysfs/two-node");

	(void)state;
	assert_int_equal(np__cgroup_mount_find(fd, &m), 0);
	assert_string_equal(m, "sys/fs/cgroup");
	free(m);
	m = NULL;
	assert_int_equal(np__cgroup_mount_find(none, &m), -ENOENT);
	assert_string_equal(np_last_error(),
	                    "cannot read 'proc/self/mountinfo': No such file or directory");
	assert_null(m);
	close(fd);
	close(none);
}

/* Open `path`, expecting `err`; on success the canonical path must be `canon`. */
static void opens(int fd, const char *path, int err, const char *canon)
{
	struct np__cgroup cg;
	struct stat st;
	char full[PATH_MAX];

	np__cgroup_init(&cg);
	assert_int_equal(np__cgroup_open(fd, NULL, path, &cg), err);
	if (err) {
		assert_int_equal(cg.fd, -1);
		assert_null(cg.path);
		return;
	}
	assert_string_equal(cg.path, canon);
	assert_string_equal(cg.mount, "sys/fs/cgroup");
	snprintf(full, sizeof(full), "%s/sys/fs/cgroup/%s", TREE, canon);
	assert_int_equal(stat(full, &st), 0);
	assert_int_equal(cg.id, (uint64_t)st.st_ino);
	np__cgroup_release(&cg);
	assert_int_equal(cg.fd, -1);
}

static void test_open(void **state)
{
	int fd = open_root();

	(void)state;
	opens(fd, "system.slice/web.service", 0, "system.slice/web.service");
	opens(fd, "/sys/fs/cgroup/system.slice/web.service/", 0, "system.slice/web.service");
	opens(fd, "./system.slice//web.service/.", 0, "system.slice/web.service");
	opens(fd, "/sys/fs/cgroup", 0, "");
	opens(fd, "/sys/fs/cgroup/", 0, "");
	opens(fd, "", -EINVAL, NULL);
	opens(fd, "nope.slice", -ENOENT, NULL);
	assert_string_equal(np_last_error(), "no such group");
	opens(fd, "system.slice/web.service/cpu.max", -ENOTDIR, NULL);
	/* outside the mount: "..", an absolute path elsewhere, a symlink */
	opens(fd, "..", -EXDEV, NULL);
	assert_string_equal(np_last_error(), "'..' is not allowed (outside the cgroup mount)");
	opens(fd, "system.slice/../../..", -EXDEV, NULL);
	opens(fd, "/etc", -EXDEV, NULL);
	assert_string_equal(np_last_error(), "outside the cgroup mount /sys/fs/cgroup");
	opens(fd, "/sys/fs/cgroupx/a", -EXDEV, NULL);
	opens(fd, "link/web.service", -ELOOP, NULL);
	assert_string_equal(np_last_error(), "'link' is a symlink");
	opens(fd, "/sys/fs/cgroup/link", -ELOOP, NULL);
	close(fd);
}

static struct np__cgroup open_ok(int fd, const char *path)
{
	struct np__cgroup cg;

	np__cgroup_init(&cg);
	assert_int_equal(np__cgroup_open(fd, "sys/fs/cgroup", path, &cg), 0);
	return cg;
}

static void test_readers(void **state)
{
	int fd = open_root();
	struct np__cgroup cg = open_ok(fd, "system.slice/web.service");
	struct np__cgroup worker = open_ok(fd, "system.slice/web.service/worker");
	struct np_node_bytes *nb = NULL;
	pid_t *pids = NULL;
	uint64_t bytes = 0;
	unsigned vcpus = 99;

	(void)state;
	assert_int_equal(np__cgroup_memory_current(&cg, &bytes), 0);
	assert_int_equal(bytes, 14680064);
	/* anon + file: node 0 8 MiB + 1 MiB, node 1 2 MiB, node 3 3 MiB; kernel_stack left out */
	assert_int_equal(np__cgroup_numa_stat(&cg, &nb), 3);
	assert_int_equal(nb[0].node, 0);
	assert_int_equal(nb[0].bytes, 9437184);
	assert_int_equal(nb[1].node, 1);
	assert_int_equal(nb[1].bytes, 2097152);
	assert_int_equal(nb[2].node, 3);
	assert_int_equal(nb[2].bytes, 3145728);
	free(nb);
	assert_int_equal(np__cgroup_cpu_max(&cg, &vcpus), 0);
	assert_int_equal(vcpus, 2); /* 150000 / 100000 rounded up */
	assert_int_equal(np__cgroup_cpu_max(&worker, &vcpus), 0);
	assert_int_equal(vcpus, 0); /* max */
	assert_int_equal(np__cgroup_cpu_usage(&cg, &bytes), 1);
	assert_int_equal(bytes, 7500000);
	bytes = 99;
	assert_int_equal(np__cgroup_cpu_usage(&worker, &bytes), 0); /* no cpu.stat */
	assert_int_equal(bytes, 0);
	/* the group's threads and its child's */
	assert_int_equal(np__cgroup_threads(&cg), 5);
	assert_int_equal(np__cgroup_threads(&worker), 2);
	assert_int_equal(np__cgroup_procs(&cg, &pids), 3);
	assert_int_equal(pids[0], 4100);
	assert_int_equal(pids[1], 4101);
	assert_int_equal(pids[2], 4200);
	free(pids);
	assert_int_equal(np__cgroup_is_threaded(&cg), 0);
	np__cgroup_release(&worker);
	/* a group without cpu.max (the cpu controller off) has no limit; without memory, error */
	worker = open_ok(fd, "machine.slice");
	vcpus = 99;
	assert_int_equal(np__cgroup_cpu_max(&worker, &vcpus), 0);
	assert_int_equal(vcpus, 0);
	assert_int_equal(np__cgroup_memory_current(&worker, &bytes), -ENOENT);
	assert_string_equal(
	    np_last_error(),
	    "cannot read 'machine.slice/memory.current': No such file or directory");
	np__cgroup_release(&worker);
	np__cgroup_release(&cg);
	close(fd);
}

static void test_numa_stat_parse(void **state)
{
	struct np_node_bytes *nb = NULL;

	(void)state;
	assert_int_equal(np__numa_stat_parse("anon N0=4096 N1=0\nfile N0=0 N1=8192\n", &nb), 2);
	assert_int_equal(nb[0].bytes, 4096);
	assert_int_equal(nb[1].node, 1);
	assert_int_equal(nb[1].bytes, 8192);
	free(nb);
	nb = NULL;
	assert_int_equal(np__numa_stat_parse("anon N0=0\nfile N0=0\n", &nb), 0);
	free(nb);
	nb = NULL;
	assert_int_equal(np__numa_stat_parse("anon\n", &nb), 0); /* no nodes listed */
	free(nb);
	nb = NULL;
	assert_int_equal(np__numa_stat_parse("", &nb), -EBADMSG);
	assert_int_equal(np__numa_stat_parse("file N0=4096\n", &nb), -EBADMSG); /* no anon */
	assert_int_equal(np__numa_stat_parse("anon N0=x\n", &nb), -EBADMSG);
	assert_int_equal(np__numa_stat_parse("anon N0=1 junk\n", &nb), -EBADMSG);
	assert_int_equal(np__numa_stat_parse("anon N0=1  N1=2\n", &nb), -EBADMSG);
	assert_int_equal(np__numa_stat_parse("anon N0=1 \n", &nb), -EBADMSG);
	assert_int_equal(np__numa_stat_parse("anon N0=-1\n", &nb), -EBADMSG);
	assert_int_equal(np__numa_stat_parse("anon N0 =1\n", &nb), -EBADMSG);
	assert_int_equal(np__numa_stat_parse("anon N65536=1\n", &nb), -ERANGE);
	assert_int_equal(np__numa_stat_parse("anon N0=18446744073709551616\n", &nb), -ERANGE);
	assert_int_equal(np__numa_stat_parse("anon N0=18446744073709551615\nfile N0=1\n", &nb),
	                 -ERANGE);
	assert_int_equal(np__numa_stat_parse(" anon N0=1\n", &nb), -EBADMSG);
	assert_null(nb);
}

static void test_cpu_max_parse(void **state)
{
	unsigned v = 99;

	(void)state;
	assert_int_equal(np__cpu_max_parse("max 100000\n", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(np__cpu_max_parse("100000 100000\n", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(np__cpu_max_parse("100001 100000\n", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(np__cpu_max_parse("50000 100000", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(np__cpu_max_parse("400000 100000\n", &v), 0);
	assert_int_equal(v, 4);
	v = 99;
	assert_int_equal(np__cpu_max_parse("", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("max\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("0 100000\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("10 0\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("abc 1\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("1 2 3\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("-1 100000\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("1 100000\n\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_max_parse("18446744073709551615 1\n", &v), -ERANGE);
	assert_int_equal(np__cpu_max_parse("99999999999999999999 1\n", &v), -ERANGE);
	assert_int_equal(v, 99);
}

static void test_cpu_stat_usage_parse(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(np__cpu_stat_usage_parse("usage_usec 1234\nuser_usec 1000\n"
	                                          "system_usec 234\n",
	                                          &v),
	                 0);
	assert_int_equal(v, 1234);
	/* not first, no final newline */
	assert_int_equal(np__cpu_stat_usage_parse("user_usec 1\nusage_usec 5", &v), 0);
	assert_int_equal(v, 5);
	v = 99;
	assert_int_equal(np__cpu_stat_usage_parse("", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("user_usec 1\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("usage_usec\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("usage_usec x\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("usage_usec 1 2\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse(" usage_usec 1\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("usage_usecs 1\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("usage_usec 1\nusage_usec 2\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("usage_usec 1\n\n", &v), -EBADMSG);
	assert_int_equal(np__cpu_stat_usage_parse("usage_usec 99999999999999999999\n", &v),
	                 -ERANGE);
	assert_int_equal(v, 99);
}

/* A copy of the fixture tree for the writers (cgtree.h: copy). */
static int setup_copy(void **state)
{
	(void)state;
	return cgtree_copy(TREE, "np-cgroup");
}

static int teardown_copy(void **state)
{
	(void)state;
	return cgtree_remove();
}

static void put_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* On a copy: the check wants write access, which the source tree may not give. */
static void test_check(void **state)
{
	char path[PATH_MAX * 2];
	int fd = np__proc_root_open(copy);
	struct np__cgroup cg = open_ok(fd, "system.slice/web.service");

	(void)state;
	assert_int_equal(np__cgroup_check(&cg), 0);
	np__cgroup_release(&cg);
	cg = open_ok(fd, "machine.slice");
	assert_int_equal(np__cgroup_check(&cg), 0);
	np__cgroup_release(&cg);
	cg = open_ok(fd, "/sys/fs/cgroup");
	assert_int_equal(np__cgroup_check(&cg), -EINVAL);
	assert_string_equal(np_last_error(), "the root group cannot be placed");
	np__cgroup_release(&cg);
	cg = open_ok(fd, "threaded");
	assert_int_equal(np__cgroup_is_threaded(&cg), 1);
	assert_int_equal(np__cgroup_check(&cg), -EINVAL);
	assert_string_equal(
	    np_last_error(),
	    "it is a threaded group (a cpuset is set on the domain group above it)");
	np__cgroup_release(&cg);
	/* system.slice offers cpuset: it would be enabled there, then in web.service */
	cg = open_ok(fd, "system.slice/web.service/worker");
	assert_int_equal(np__cgroup_check(&cg), 0);
	np__cgroup_release(&cg);
	/* a root that does not offer it: nothing below can have it */
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/cgroup.controllers", copy);
	put_text(path, "cpu io memory pids\n");
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/cgroup.subtree_control", copy);
	put_text(path, "cpu memory pids\n");
	cg = open_ok(fd, "system.slice/web.service");
	assert_int_equal(np__cgroup_check(&cg), -EOPNOTSUPP);
	assert_string_equal(np_last_error(), "the cpuset controller is not available (not in "
	                                     "the cgroup.controllers of the root group)");
	np__cgroup_release(&cg);
	close(fd);
}

static void test_apply_revert(void **state)
{
	int fd = np__proc_root_open(copy);
	struct np__cgroup cg = open_ok(fd, "system.slice/web.service");
	struct np__cgroup_undo undo = {0};

	(void)state;
	assert_int_equal(np__cgroup_apply(&cg, "4-7", "2", &undo), 0);
	/* the root hands cpuset on already; system.slice did not */
	file_is("cgroup.subtree_control", "cpuset cpu memory pids\n");
	file_is("system.slice/cgroup.subtree_control", "+cpuset");
	file_is("system.slice/web.service/cpuset.cpus", "4-7");
	file_is("system.slice/web.service/cpuset.mems", "2");
	assert_int_equal(undo.nenabled, 1);
	assert_string_equal(undo.enabled[0], "system.slice");
	assert_string_equal(undo.old_cpus, "");
	assert_string_equal(undo.old_mems, "");
	assert_int_equal(np__cgroup_revert(&cg, &undo), 0);
	file_is("system.slice/web.service/cpuset.cpus", "\n");
	file_is("system.slice/web.service/cpuset.mems", "\n");
	file_is("system.slice/cgroup.subtree_control", "-cpuset");
	np__cgroup_undo_release(&undo);
	assert_int_equal(undo.nenabled, 0);
	np__cgroup_release(&cg);
	close(fd);
}

/* A failure half-way puts back what was written: cpuset.mems gone (the group vanishing). */
static void test_apply_fails(void **state)
{
	int fd = np__proc_root_open(copy);
	struct np__cgroup cg = open_ok(fd, "system.slice/web.service");
	struct np__cgroup_undo undo = {0};
	char path[PATH_MAX * 2];

	(void)state;
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/system.slice/cgroup.subtree_control", copy);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(unlinkat(cg.fd, "cpuset.mems", 0), 0);
	assert_int_equal(np__cgroup_apply(&cg, "4-7", "2", &undo), -ENOENT);
	assert_string_equal(np_last_error(), "cannot read 'system.slice/web.service/cpuset.mems': "
	                                     "No such file or directory");
	assert_int_equal(undo.nenabled, 0);
	file_is("system.slice/web.service/cpuset.cpus", "\n");
	file_is("system.slice/cgroup.subtree_control", "-cpuset");
	file_is("cgroup.subtree_control", "cpuset cpu memory pids\n");
	/* the root group is refused before anything is written */
	np__cgroup_release(&cg);
	cg = open_ok(fd, "/sys/fs/cgroup");
	assert_int_equal(np__cgroup_apply(&cg, "0", "0", &undo), -EINVAL);
	np__cgroup_release(&cg);
	close(fd);
}

/* No ancestor offers cpuset: nothing is written. */
static void test_apply_unavailable(void **state)
{
	int fd = np__proc_root_open(copy);
	struct np__cgroup cg = open_ok(fd, "system.slice/web.service/worker");
	struct np__cgroup_undo undo = {0};
	char path[PATH_MAX * 2];

	(void)state;
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/system.slice/cgroup.subtree_control", copy);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(np__cgroup_apply(&cg, "0", "0", &undo), -EOPNOTSUPP);
	assert_string_equal(np_last_error(),
	                    "the cpuset controller is not available in group "
	                    "'system.slice/web.service' (not in its cgroup.controllers)");
	/* system.slice was enabled on the way down, then put back */
	file_is("system.slice/cgroup.subtree_control", "-cpuset");
	file_is("system.slice/web.service/cgroup.subtree_control", "memory\n");
	file_is("system.slice/web.service/worker/cgroup.subtree_control", "");
	np__cgroup_release(&cg);
	close(fd);
}

/* A vanished group: its files are gone after it was opened. */
static void test_vanished(void **state)
{
	int fd = np__proc_root_open(copy);
	struct np__cgroup cg = open_ok(fd, "system.slice/web.service");
	struct np_node_bytes *nb = NULL;
	uint64_t bytes = 7;

	(void)state;
	assert_int_equal(unlinkat(cg.fd, "memory.current", 0), 0);
	assert_int_equal(unlinkat(cg.fd, "memory.numa_stat", 0), 0);
	assert_int_equal(np__cgroup_memory_current(&cg, &bytes), -ENOENT);
	assert_int_equal(bytes, 7);
	assert_int_equal(np__cgroup_numa_stat(&cg, &nb), -ENOENT);
	assert_null(nb);
	np__cgroup_release(&cg);
	close(fd);
}

/*
 * Not root and not delegated: files owned by root, checked as nobody (a child that drops to
 * uid 65534 when the test runs as root; as another user, the caller itself).
 */
static int check_as_nobody(void)
{
	struct np__cgroup cg;
	int fd, r;

	if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
		return 100;
	fd = np__proc_root_open(copy);
	np__cgroup_init(&cg);
	if (fd < 0 || np__cgroup_open(fd, NULL, "system.slice/web.service", &cg) < 0)
		return 101;
	r = np__cgroup_check(&cg);
	if (r != -EACCES || strcmp(np_last_error(), "permission denied (not root, and not "
	                                            "delegated to this user)"))
		return 102;
	np__cgroup_release(&cg);
	close(fd);
	return 0;
}

static void test_permission(void **state)
{
	char path[PATH_MAX * 2];
	int status;
	pid_t pid;

	(void)state;
	if (getuid() != 0) {
		/* the copy is this user's own: make the files another's by making them read-only */
		snprintf(path, sizeof(path),
		         "%s/sys/fs/cgroup/system.slice/web.service/cpuset.cpus", copy);
		assert_int_equal(chmod(path, 0444), 0);
		assert_int_equal(check_as_nobody(), 0);
		return;
	}
	assert_int_equal(chmod(copy, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(check_as_nobody());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mountinfo),
	    cmocka_unit_test(test_mount_find),
	    cmocka_unit_test(test_open),
	    cmocka_unit_test(test_readers),
	    cmocka_unit_test(test_numa_stat_parse),
	    cmocka_unit_test(test_cpu_max_parse),
	    cmocka_unit_test(test_cpu_stat_usage_parse),
	    cmocka_unit_test_setup_teardown(test_check, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_apply_revert, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_apply_fails, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_apply_unavailable, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_vanished, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_permission, setup_copy, teardown_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
