/*
 * test-apply.c - np_apply() on this machine: each case runs in a child process (the policy and
 * affinity stay there) and checks with sched_getaffinity() and get_mempolicy().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proc.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif

/* The system call itself, as the library makes it: the tests need no libnuma either. */
static long sys_get_mempolicy(int *mode, unsigned long *mask, unsigned long maxnode, void *addr,
                              unsigned long flags)
{
	return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}

/* The live node 0 and the CPUs this process may use on it, as a host of one or two nodes. */
static np_host *host;
static int first_cpu = -1;

static int setup(void **state)
{
	cpu_set_t set;
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc(), none = hwloc_bitmap_alloc();
	struct np_node_spec n[2] = {
	    {.id = 0, .cpus = cpus, .memory_bytes = 1ull << 30, .free_bytes = 1ull << 30},
	    /* a node without memory (and without CPUs): never in a policy mask */
	    {.id = 1, .cpus = none, .memory_bytes = 0, .free_bytes = 0},
	};
	int mode;

	(void)state;
	if (sys_get_mempolicy(&mode, NULL, 0, NULL, 0) < 0 && errno == ENOSYS) {
		fprintf(stderr, "test-apply: the kernel has no NUMA memory policy (CONFIG_NUMA)\n");
		exit(77);
	}
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set)) {
			hwloc_bitmap_set(cpus, (unsigned)c);
			if (first_cpu < 0)
				first_cpu = c;
		}
	if (np_host_build(2, n, NULL, &host) < 0)
		return -1;
	hwloc_bitmap_free(cpus);
	hwloc_bitmap_free(none);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	np_host_free(host);
	return 0;
}

/* Run fn in a child; its exit status is the number of the first check that failed. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int policy_now(unsigned long *ret_mask)
{
	unsigned long mask[4] = {0};
	int mode = -1;

	if (sys_get_mempolicy(&mode, mask, sizeof(mask) * 8, NULL, 0) < 0)
		return -1;
	*ret_mask = mask[0];
	return mode;
}

static int only_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	return CPU_COUNT(&set) == 1 && CPU_ISSET(first_cpu, &set);
}

static int apply_with(enum np_mem_policy p, enum np_mem_policy *ret_policy)
{
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc(), nodes = hwloc_bitmap_alloc();
	struct np_apply_req req = {.cpus = cpus, .nodes = nodes, .policy = p};
	int r;

	hwloc_bitmap_set(cpus, (unsigned)first_cpu);
	hwloc_bitmap_set_range(nodes, 0, 1);
	r = np_apply(host, 0, &req, ret_policy);
	hwloc_bitmap_free(cpus);
	hwloc_bitmap_free(nodes);
	return r;
}

static int case_default(void)
{
	enum np_mem_policy eff = NP_MEM_POLICY_DEFAULT;
	unsigned long mask;
	int mode;

	if (apply_with(NP_MEM_POLICY_DEFAULT, &eff) != 0)
		return 1;
	if (!only_first_cpu())
		return 2;
	mode = policy_now(&mask);
	/* preferred where the kernel has MPOL_PREFERRED_MANY, else bind; node 1 left out */
	if (eff == NP_MEM_POLICY_PREFERRED && mode != MPOL_PREFERRED_MANY)
		return 3;
	if (eff == NP_MEM_POLICY_BIND && mode != MPOL_BIND)
		return 4;
	if (eff != NP_MEM_POLICY_PREFERRED && eff != NP_MEM_POLICY_BIND)
		return 5;
	if (mask != 1ul)
		return 6;
	return 0;
}

static void test_default(void **state)
{
	(void)state;
	assert_int_equal(in_child(case_default), 0);
}

static int case_bind(void)
{
	enum np_mem_policy eff = NP_MEM_POLICY_DEFAULT;
	unsigned long mask;

	if (apply_with(NP_MEM_POLICY_BIND, &eff) != 0 || eff != NP_MEM_POLICY_BIND)
		return 1;
	if (policy_now(&mask) != MPOL_BIND || mask != 1ul)
		return 2;
	return only_first_cpu() ? 0 : 3;
}

static int case_interleave(void)
{
	enum np_mem_policy eff = NP_MEM_POLICY_DEFAULT;
	unsigned long mask;

	if (apply_with(NP_MEM_POLICY_INTERLEAVE, &eff) != 0 || eff != NP_MEM_POLICY_INTERLEAVE)
		return 1;
	if (policy_now(&mask) != MPOL_INTERLEAVE || mask != 1ul)
		return 2;
	return 0;
}

static int case_none(void)
{
	enum np_mem_policy eff = NP_MEM_POLICY_DEFAULT;
	unsigned long mask;

	if (apply_with(NP_MEM_POLICY_NONE, &eff) != 0 || eff != NP_MEM_POLICY_NONE)
		return 1;
	if (policy_now(&mask) != MPOL_DEFAULT)
		return 2;
	return only_first_cpu() ? 0 : 3;
}

/* Only memory-less nodes: the policy is left alone; binding none: affinity left alone. */
static int case_memoryless(void)
{
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc(), cpus = hwloc_bitmap_alloc();
	struct np_apply_req req = {.cpus = cpus,
	                           .nodes = nodes,
	                           .binding = NP_CPU_BINDING_NONE,
	                           .policy = NP_MEM_POLICY_BIND};
	enum np_mem_policy eff = NP_MEM_POLICY_DEFAULT;
	cpu_set_t before, after;
	unsigned long mask;
	int fail = 0;

	hwloc_bitmap_set(nodes, 1);
	hwloc_bitmap_set(cpus, (unsigned)first_cpu);
	sched_getaffinity(0, sizeof(before), &before);
	if (np_apply(host, 0, &req, &eff) != 0 || eff != NP_MEM_POLICY_NONE)
		fail = 1;
	else if (policy_now(&mask) != MPOL_DEFAULT)
		fail = 2;
	else if (sched_getaffinity(0, sizeof(after), &after) < 0 || !CPU_EQUAL(&before, &after))
		fail = 3;
	hwloc_bitmap_free(nodes);
	hwloc_bitmap_free(cpus);
	return fail;
}

static void test_policies(void **state)
{
	(void)state;
	assert_int_equal(in_child(case_bind), 0);
	assert_int_equal(in_child(case_interleave), 0);
	assert_int_equal(in_child(case_none), 0);
	assert_int_equal(in_child(case_memoryless), 0);
}

static void *spin(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/* Another pid: the affinity of every one of its threads; no memory policy. */
static int case_other_pid(void)
{
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc(), nodes = hwloc_bitmap_alloc();
	struct np_apply_req req = {.cpus = cpus, .nodes = nodes, .policy = NP_MEM_POLICY_BIND};
	pthread_t t;
	cpu_set_t set;
	int fail = 0;

	hwloc_bitmap_set(cpus, (unsigned)first_cpu);
	hwloc_bitmap_set(nodes, 0);
	if (pthread_create(&t, NULL, spin, NULL) != 0) {
		fail = 1;
		goto out;
	}
	if (np_apply(host, getpid(), &req, NULL) != -EOPNOTSUPP)
		fail = 2;
	req.policy = NP_MEM_POLICY_NONE;
	if (!fail && np_apply(host, getpid(), &req, NULL) != 0)
		fail = 3;
	if (!fail && !only_first_cpu())
		fail = 4;
	if (!fail && (pthread_getaffinity_np(t, sizeof(set), &set) != 0 || CPU_COUNT(&set) != 1 ||
	              !CPU_ISSET(first_cpu, &set)))
		fail = 5;
	/* pause() is a cancellation point: the thread ends and its stack is freed */
	pthread_cancel(t);
	pthread_join(t, NULL);
out:
	hwloc_bitmap_free(cpus);
	hwloc_bitmap_free(nodes);
	return fail;
}

static void test_other_pid(void **state)
{
	(void)state;
	assert_int_equal(in_child(case_other_pid), 0);
}

static void test_bad_requests(void **state)
{
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc(), nodes = hwloc_bitmap_alloc();
	struct np_apply_req req = {.cpus = cpus, .nodes = nodes, .policy = NP_MEM_POLICY_NONE};
	enum np_mem_policy eff = NP_MEM_POLICY_COUNT_;

	(void)state;
	/* an empty CPU set */
	assert_int_equal(np_apply(host, 0, &req, &eff), -EINVAL);
	/* a node the host does not have, checked before anything is set */
	hwloc_bitmap_set(cpus, (unsigned)first_cpu);
	hwloc_bitmap_set(nodes, 5);
	req.binding = NP_CPU_BINDING_NONE;
	req.policy = NP_MEM_POLICY_BIND;
	assert_int_equal(np_apply(host, 0, &req, &eff), -EINVAL);
	req.policy = NP_MEM_POLICY_COUNT_;
	assert_int_equal(np_apply(host, 0, &req, &eff), -EINVAL);
	req.policy = NP_MEM_POLICY_NONE;
	assert_int_equal(np_apply(host, -1, &req, &eff), -EINVAL);
	assert_int_equal(eff, NP_MEM_POLICY_COUNT_); /* untouched */
	hwloc_bitmap_free(cpus);
	hwloc_bitmap_free(nodes);
}

static void test_names(void **state)
{
	enum np_mem_policy p = NP_MEM_POLICY_COUNT_;

	(void)state;
	assert_string_equal(np_mem_policy_name(NP_MEM_POLICY_PREFERRED), "preferred");
	assert_null(np_mem_policy_name(NP_MEM_POLICY_COUNT_));
	assert_int_equal(np_mem_policy_parse("interleave", &p), 0);
	assert_int_equal(p, NP_MEM_POLICY_INTERLEAVE);
	assert_int_equal(np_mem_policy_parse("Bind", &p), -EINVAL);
	assert_int_equal(p, NP_MEM_POLICY_INTERLEAVE);
}

/* A child whose spawner thread keeps starting sleeping threads, up to 64. */
static void *sleeper(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void *spawner(void *arg)
{
	(void)arg;
	for (int i = 0; i < 64; i++) {
		pthread_t t;

		pthread_create(&t, NULL, sleeper, NULL);
		usleep(2000);
	}
	pause();
	return NULL;
}

static int thread_count(pid_t pid)
{
	pid_t *tids = NULL;
	int fd = np__proc_root_open(NULL), n;

	n = np__proc_threads(fd, pid, &tids);
	free(tids);
	close(fd);
	return n;
}

static void test_other_pid_threads(void **state)
{
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
	struct np_apply_req req = {.cpus = cpus, .policy = NP_MEM_POLICY_NONE};
	pid_t *tids = NULL, child;
	cpu_set_t set;
	int n, fd, status;

	(void)state;
	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) < 2) {
		/* binding to one CPU of one is no change to check */
		fprintf(stderr, "test_other_pid_threads: needs 2 CPUs, not checked\n");
		hwloc_bitmap_free(cpus);
		return;
	}
	child = fork();
	if (child == 0) {
		pthread_t t;

		pthread_create(&t, NULL, spawner, NULL);
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	while (thread_count(child) < 8)
		usleep(1000);
	/* threads keep starting while the affinity is set: every one is bound when it returns */
	hwloc_bitmap_set(cpus, (unsigned)first_cpu);
	assert_int_equal(np_apply(host, child, &req, NULL), 0);
	fd = np__proc_root_open(NULL);
	n = np__proc_threads(fd, child, &tids);
	assert_true(n >= 8);
	for (int i = 0; i < n; i++) {
		assert_int_equal(sched_getaffinity(tids[i], sizeof(set), &set), 0);
		assert_int_equal(CPU_COUNT(&set), 1);
		assert_true(CPU_ISSET(first_cpu, &set));
	}
	free(tids);
	close(fd);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	/* a process that is gone */
	assert_int_equal(np_apply(host, child, &req, NULL), -ESRCH);
	hwloc_bitmap_free(cpus);
}

static void test_migrate(void **state)
{
	hwloc_bitmap_t from = hwloc_bitmap_alloc(), to = hwloc_bitmap_alloc();
	pid_t child;
	int status;

	(void)state;
	/* nothing to move: from and to are the same node, or from is empty */
	hwloc_bitmap_set(from, 0);
	hwloc_bitmap_set(to, 0);
	if (np_migrate(getpid(), from, to) == -ENOSYS) {
		/* valgrind does not pass migrate_pages() through */
		fprintf(stderr,
		        "test_migrate: migrate_pages() is not available here, not checked\n");
		hwloc_bitmap_free(from);
		hwloc_bitmap_free(to);
		return;
	}
	assert_int_equal(np_migrate(getpid(), from, to), 0);
	hwloc_bitmap_zero(from);
	assert_int_equal(np_migrate(getpid(), from, to), 0);
	/* bad arguments */
	hwloc_bitmap_zero(to);
	assert_int_equal(np_migrate(getpid(), from, to), -EINVAL);
	assert_int_equal(np_migrate(0, from, to), -EINVAL);
	hwloc_bitmap_set(to, 0);
	hwloc_bitmap_fill(from);
	assert_int_equal(np_migrate(getpid(), from, to), -EINVAL);
	/* a process that is gone */
	child = fork();
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	hwloc_bitmap_only(from, 0);
	assert_int_equal(np_migrate(child, from, to), -ESRCH);
	hwloc_bitmap_free(from);
	hwloc_bitmap_free(to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default),   cmocka_unit_test(test_policies),
	    cmocka_unit_test(test_other_pid), cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_names),     cmocka_unit_test(test_other_pid_threads),
	    cmocka_unit_test(test_migrate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
