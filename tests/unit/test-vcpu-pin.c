/*
 * test-vcpu-pin.c - np_qemu_pin_vcpus() and np_qemu_threads_read(): which CPU each vCPU thread
 * gets, the emulator's set, wrap-around, what changes, on trees of plain files; then the
 * affinities really set, on threads of this process named as QEMU names its vCPU threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "numaplace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX * 2], *slash;
	size_t len = strlen(text);
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

/* A thread of process 100 in the tree: its comm and the Cpus_allowed_list of its status. */
static void thread(int tid, const char *comm, const char *allowed)
{
	char rel[128], text[512];

	snprintf(rel, sizeof(rel), "proc/100/task/%d/comm", tid);
	snprintf(text, sizeof(text), "%s\n", comm);
	put(rel, text);
	snprintf(rel, sizeof(rel), "proc/100/task/%d/status", tid);
	snprintf(text, sizeof(text),
	         "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t100\nPid:\t%d\n"
	         "Cpus_allowed:\tff\nCpus_allowed_list:\t%s\nMems_allowed_list:\t0\n",
	         comm, tid, allowed);
	put(rel, text);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s/np-vcpu-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* The list text of a set (static buffer). */
static const char *list(hwloc_const_bitmap_t set)
{
	static char buf[4][64];
	static unsigned k;
	char *b = buf[k++ % 4];

	hwloc_bitmap_list_snprintf(b, 64, set);
	return b;
}

/* Pin (dry run) process 100 of the tree on `cpus`. */
static int pin_dry(const char *cpus, struct np_vcpu_pinning *p)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int r;

	assert_int_equal(hwloc_bitmap_list_sscanf(set, cpus), 0);
	np_vcpu_pinning_init(p);
	r = np_qemu_pin_vcpus(root, 100, set, NP_VCPU_PIN_DRY_RUN, p);
	hwloc_bitmap_free(set);
	return r;
}

static void test_one_to_one(void **state)
{
	struct np_vcpu_pinning p;

	(void)state;
	thread(100, "qemu-system-x86", "0-7");
	thread(101, "qemu-system-x86", "0-7");
	thread(102, "CPU 0/KVM", "0-7");
	thread(103, "CPU 1/KVM", "0-7");
	thread(104, "worker", "0-7");
	assert_int_equal(pin_dry("2-7", &p), 2);
	assert_int_equal(p.nthreads, 5);
	assert_int_equal(p.nvcpus, 2);
	assert_false(p.wrapped);
	/* the vCPUs first, by vCPU, then the emulator's threads by tid */
	assert_int_equal(p.threads[0].tid, 102);
	assert_int_equal(p.threads[0].vcpu, 0);
	assert_string_equal(list(p.threads[0].cpus), "2");
	assert_int_equal(p.threads[1].tid, 103);
	assert_int_equal(p.threads[1].vcpu, 1);
	assert_string_equal(list(p.threads[1].cpus), "3");
	assert_string_equal(list(p.emulator), "4-7");
	for (unsigned i = 2; i < 5; i++) {
		assert_int_equal(p.threads[i].vcpu, -1);
		assert_string_equal(list(p.threads[i].cpus), "4-7");
		assert_true(p.threads[i].changed);
	}
	assert_int_equal(p.threads[2].tid, 100);
	assert_int_equal(p.threads[4].tid, 104);
	assert_int_equal(p.changed, 5);
	np_vcpu_pinning_release(&p);
	np_vcpu_pinning_release(&p); /* idempotent */
	assert_null(p.threads);
}

static void test_order_not_rank(void **state)
{
	struct np_vcpu_pinning p;

	(void)state;
	/* the tids do not follow the vCPUs; a sparse set is taken in increasing order */
	thread(100, "qemu-system-x86", "0-15");
	thread(110, "CPU 2/TCG", "0-15");
	thread(111, "CPU 0/TCG", "0-15");
	thread(112, "CPU 1/TCG", "0-15");
	assert_int_equal(pin_dry("1,3,8-9", &p), 3);
	assert_int_equal(p.threads[0].tid, 111);
	assert_string_equal(list(p.threads[0].cpus), "1");
	assert_int_equal(p.threads[1].tid, 112);
	assert_string_equal(list(p.threads[1].cpus), "3");
	assert_int_equal(p.threads[2].tid, 110);
	assert_string_equal(list(p.threads[2].cpus), "8");
	assert_string_equal(list(p.emulator), "9");
	np_vcpu_pinning_release(&p);
}

static void test_hotplug_gap(void **state)
{
	struct np_vcpu_pinning p;

	(void)state;
	/* vCPUs 0 and 3 (1 and 2 not plugged): 3 gets the 4th CPU, where a full boot puts it */
	thread(100, "qemu-system-x86", "0-7");
	thread(101, "CPU 0/KVM", "0");
	thread(102, "CPU 3/KVM", "0-7");
	assert_int_equal(pin_dry("0-7", &p), 2);
	assert_string_equal(list(p.threads[0].cpus), "0");
	assert_false(p.threads[0].changed); /* already there */
	assert_string_equal(list(p.threads[1].cpus), "3");
	assert_true(p.threads[1].changed);
	assert_string_equal(list(p.emulator), "1-2,4-7");
	assert_int_equal(p.changed, 2);
	np_vcpu_pinning_release(&p);
}

static void test_wrap(void **state)
{
	struct np_vcpu_pinning p;

	(void)state;
	thread(100, "qemu-system-x86", "0-3");
	thread(101, "CPU 0/KVM", "0-3");
	thread(102, "CPU 1/KVM", "0-3");
	thread(103, "CPU 2/KVM", "0-3");
	thread(104, "CPU 3/KVM", "0-3");
	assert_int_equal(pin_dry("0-1", &p), 4);
	assert_true(p.wrapped);
	assert_string_equal(list(p.threads[0].cpus), "0");
	assert_string_equal(list(p.threads[1].cpus), "1");
	assert_string_equal(list(p.threads[2].cpus), "0");
	assert_string_equal(list(p.threads[3].cpus), "1");
	/* nothing left for the emulator: the whole set */
	assert_string_equal(list(p.emulator), "0-1");
	assert_string_equal(list(p.threads[4].cpus), "0-1");
	np_vcpu_pinning_release(&p);
	/* as many CPUs as vCPUs: no wrap, the emulator shares the whole set */
	assert_int_equal(pin_dry("4-7", &p), 4);
	assert_false(p.wrapped);
	assert_string_equal(list(p.threads[3].cpus), "7");
	assert_string_equal(list(p.emulator), "4-7");
	np_vcpu_pinning_release(&p);
}

static void test_pinned_already(void **state)
{
	struct np_vcpu_pinning p;

	(void)state;
	/* pinned as it should be: nothing to change, the second call of a daemon */
	thread(100, "qemu-system-x86", "2-3");
	thread(101, "CPU 0/KVM", "0");
	thread(102, "CPU 1/KVM", "1");
	assert_int_equal(pin_dry("0-3", &p), 2);
	assert_int_equal(p.changed, 0);
	np_vcpu_pinning_release(&p);
	/* a thread started since, with the affinity of its creator: only it changes */
	thread(103, "CPU 2/KVM", "2-3");
	assert_int_equal(pin_dry("0-3", &p), 3);
	assert_int_equal(p.changed, 2); /* vCPU 2 to CPU 2, the emulator from 2-3 to 3 */
	assert_true(p.threads[2].changed);
	assert_string_equal(list(p.threads[2].cpus), "2");
	assert_string_equal(list(p.emulator), "3");
	np_vcpu_pinning_release(&p);
}

static void test_read(void **state)
{
	struct np_vcpu_pinning p;

	(void)state;
	thread(100, "qemu-system-x86", "4");
	thread(101, "CPU 0/TCG", "2");
	thread(102, "CPU 1/TCG", "3");
	thread(103, "qemu-system-x86", "5");
	np_vcpu_pinning_init(&p);
	assert_int_equal(np_qemu_threads_read(root, 100, &p), 2);
	assert_int_equal(p.nthreads, 4);
	assert_string_equal(list(p.threads[0].cpus), "2");
	assert_string_equal(list(p.threads[1].cpus), "3");
	assert_string_equal(list(p.emulator), "4-5"); /* the union of the emulator's */
	assert_int_equal(p.changed, 0);
	np_vcpu_pinning_release(&p);
}

static void test_names(void **state)
{
	static const struct {
		const char *comm;
		int vcpu;
	} names[] = {
	    {"CPU 0/KVM", 0},        {"CPU 17/TCG", 17}, {"CPU 3/HVF", 3},     {"CPU 1/", -1},
	    {"CPU /KVM", -1},        {"CPU x/KVM", -1},  {"CPU 1/KVM/x", -1},  {"CPU 1 /KVM", -1},
	    {"cpu 1/KVM", -1},       {"CPU1/KVM", -1},   {"ALL CPUs/TCG", -1}, {"CPU 1/K V", -1},
	    {"qemu-system-x86", -1},
	};
	struct np_vcpu_pinning p;

	(void)state;
	for (unsigned i = 0; i < sizeof(names) / sizeof(*names); i++) {
		teardown(NULL);
		assert_int_equal(mkdir(root, 0700), 0);
		thread(100, names[i].comm, "0-1");
		np_vcpu_pinning_init(&p);
		assert_int_equal(np_qemu_threads_read(root, 100, &p), names[i].vcpu >= 0);
		assert_int_equal(p.threads[0].vcpu, names[i].vcpu);
		np_vcpu_pinning_release(&p);
	}
}

static void test_refused(void **state)
{
	struct np_vcpu_pinning p;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();

	(void)state;
	/* QEMU without -name debug-threads=on: every thread is "qemu-system-x86" */
	thread(100, "qemu-system-x86", "0-7");
	thread(101, "qemu-system-x86", "0-7");
	assert_int_equal(pin_dry("0-1", &p), -ENOENT);
	assert_non_null(strstr(np_last_error(), "debug-threads=on"));
	assert_null(p.threads); /* untouched */
	thread(102, "ALL CPUs/TCG", "0-7");
	assert_int_equal(pin_dry("0-1", &p), -ENOENT);
	assert_non_null(strstr(np_last_error(), "single-threaded TCG"));
	/* no such process */
	np_vcpu_pinning_init(&p);
	assert_int_equal(np_qemu_threads_read(root, 999, &p), -ESRCH);
	/* a status without its list, or with garbage there */
	put("proc/100/task/102/status", "Name:\tx\nCpus_allowed:\tff\n");
	assert_int_equal(np_qemu_threads_read(root, 100, &p), -EBADMSG);
	thread(102, "CPU 0/KVM", "0-x");
	assert_int_equal(np_qemu_threads_read(root, 100, &p), -EBADMSG);
	assert_null(p.threads);
	/* an empty set; another root than the live one without the dry run */
	thread(102, "CPU 0/KVM", "0-7");
	assert_int_equal(np_qemu_pin_vcpus(root, 100, set, NP_VCPU_PIN_DRY_RUN, &p), -EINVAL);
	hwloc_bitmap_set(set, 0);
	assert_int_equal(np_qemu_pin_vcpus(root, 100, set, 0, &p), -EINVAL);
	assert_int_equal(np_qemu_pin_vcpus(root, 100, set, NP_VCPU_PIN_DRY_RUN, &p), 1);
	np_vcpu_pinning_release(&p);
	hwloc_bitmap_free(set);
}

static void test_names_threads(void **state)
{
	char *on[] = {"qemu-system-x86_64", "-m", "64", "-name", "debug-threads=on", NULL};
	char *guest[] = {"qemu-kvm", "--name", "web,debug-threads=yes,process=q", NULL};
	char *merged[] = {"qemu-system-x86_64", "-name", "debug-threads=on", "-name", "web", NULL};
	char *off[] = {"qemu-system-x86_64", "-name", "debug-threads=on", "-name",
	               "debug-threads=off",  NULL};
	char *none[] = {"qemu-system-x86_64", "-smp", "2", NULL};
	char *bad[] = {"qemu-system-x86_64", "-name", "debug-threads=maybe", NULL};
	char *badkey[] = {"qemu-system-x86_64", "-name", "web,colour=red", NULL};
	char *last[] = {"qemu-system-x86_64", "-name", NULL};
	char *notqemu[] = {"sleep", "-name", "debug-threads=on", NULL};

	(void)state;
	assert_int_equal(np_qemu_names_threads(on), 1);
	assert_int_equal(np_qemu_names_threads(guest), 1);
	assert_int_equal(np_qemu_names_threads(merged), 1);
	assert_int_equal(np_qemu_names_threads(off), -EINVAL);
	assert_int_equal(np_qemu_names_threads(none), 0);
	assert_int_equal(np_qemu_names_threads(bad), -EINVAL);
	assert_int_equal(np_qemu_names_threads(badkey), -EINVAL);
	assert_int_equal(np_qemu_names_threads(last), -EINVAL);
	assert_int_equal(np_qemu_names_threads(notqemu), -EINVAL);
}

/* Threads of this process named as QEMU's are: they wait until told to go. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int go;

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void test_live(void **state)
{
	pthread_t th[3];
	cpu_set_t mask, got;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	struct np_vcpu_pinning p, now;
	int first = -1;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(mask), &mask), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mask)) {
			hwloc_bitmap_set(set, (unsigned)c);
			if (first < 0)
				first = c;
		}
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sleeper, NULL), 0);
	assert_int_equal(pthread_setname_np(th[0], "CPU 0/TCG"), 0);
	assert_int_equal(pthread_setname_np(th[1], "CPU 1/TCG"), 0);
	assert_int_equal(pthread_setname_np(th[2], "worker"), 0);

	np_vcpu_pinning_init(&p);
	assert_int_equal(np_qemu_pin_vcpus(NULL, getpid(), set, 0, &p), 2);
	/* what the kernel holds now is what was assigned, thread by thread */
	for (unsigned i = 0; i < p.nthreads; i++) {
		CPU_ZERO(&got);
		assert_int_equal(sched_getaffinity(p.threads[i].tid, sizeof(got), &got), 0);
		for (int c = 0; c < CPU_SETSIZE; c++)
			assert_int_equal(!!CPU_ISSET(c, &got),
			                 hwloc_bitmap_isset(p.threads[i].cpus, (unsigned)c));
	}
	assert_int_equal(hwloc_bitmap_weight(p.threads[0].cpus), 1);
	assert_int_equal(hwloc_bitmap_first(p.threads[0].cpus), first);
	/* read back from /proc, and pinned again: nothing changes */
	np_vcpu_pinning_init(&now);
	assert_int_equal(np_qemu_threads_read(NULL, getpid(), &now), 2);
	assert_true(hwloc_bitmap_isequal(now.threads[1].cpus, p.threads[1].cpus));
	assert_true(hwloc_bitmap_isequal(now.emulator, p.emulator));
	np_vcpu_pinning_release(&now);
	assert_int_equal(np_qemu_pin_vcpus(NULL, getpid(), set, 0, &now), 2);
	assert_int_equal(now.changed, 0);
	np_vcpu_pinning_release(&now);
	np_vcpu_pinning_release(&p);

	pthread_mutex_lock(&lock);
	go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(sched_setaffinity(0, sizeof(mask), &mask), 0);
	hwloc_bitmap_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_to_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_not_rank, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hotplug_gap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pinned_already, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test(test_names_threads),
	    cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
