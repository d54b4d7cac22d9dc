/*
 * test-place.c - np_place(), the placement step: a synthetic host built around this machine's
 * CPUs and the node this process's memory is on, a temporary ledger, and this test process as
 * the target (dry runs in the process itself, real placements in a child).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static char base[PATH_MAX - 16], sdir[PATH_MAX];
static unsigned home;       /* the node this process's memory is on */
static hwloc_bitmap_t cpus; /* the CPUs it may use */
static char *ballast;       /* touched, so that its resident memory is well above 1 MiB */

/*
 * Host: `home` with this process's CPUs, `home` + 1 without CPUs (memory only), free memory as
 * given.
 */
static np_host *host_with(uint64_t home_free, uint64_t other_free)
{
	hwloc_bitmap_t none = hwloc_bitmap_alloc();
	struct np_node_spec n[2] = {
	    {.id = home, .cpus = cpus, .memory_bytes = 64 * GIB, .free_bytes = home_free},
	    {.id = home + 1, .cpus = none, .memory_bytes = 64 * GIB, .free_bytes = other_free},
	};
	np_host *h = NULL;

	assert_int_equal(np_host_build(2, n, NULL, &h), 0);
	hwloc_bitmap_free(none);
	return h;
}

static np_ledger *ledger_open(void)
{
	np_ledger *l = NULL;

	assert_int_equal(np_ledger_open(sdir, NULL, &l), 0);
	return l;
}

static int setup(void **state)
{
	struct np_node_bytes *res = NULL;
	cpu_set_t set;
	int n;

	(void)state;
	if (access("/proc/self/numa_maps", R_OK) < 0) {
		fprintf(stderr, "test-place: this kernel has no NUMA support (no numa_maps)\n");
		exit(77);
	}
	ballast = malloc(16 * MIB);
	if (!ballast)
		return -1;
	memset(ballast, 1, 16 * MIB);
	n = np_process_memory(getpid(), &res);
	if (n <= 0)
		return -1;
	home = res[0].node;
	for (int i = 1; i < n; i++)
		if (res[i].bytes > res[0].bytes)
			home = res[i].node;
	free(res);
	cpus = hwloc_bitmap_alloc();
	if (!cpus || sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			hwloc_bitmap_set(cpus, (unsigned)c);
	snprintf(base, sizeof(base), "%s/np-place-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base))
		return -1;
	snprintf(sdir, sizeof(sdir), "%s/state", base);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	free(ballast);
	hwloc_bitmap_free(cpus);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void target_pid(struct np_target *t)
{
	np_target_init(t);
	t->kind = NP_TARGET_PID;
	t->pid = getpid();
}

/*
 * Home has 1 MiB free: not enough for this process's resident memory, unless its own pages
 * count as free where they are. Given back, home alone holds it, as a search with nothing given
 * back does not find.
 */
static void test_own_memory_given_back(void **state)
{
	np_host *h = host_with(MIB, 0);
	struct np_place_req req;
	struct np_placement p;
	struct np_target t;
	struct np_request r;
	np_plan *plan = NULL;

	(void)state;
	target_pid(&t);
	np_place_req_init(&req);
	req.flags = NP_PLACE_DRY_RUN | NP_PLACE_MEASURE_MEMORY;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(t.start_time != 0, 1);
	assert_true(p.memory_bytes >= 16 * MIB);
	assert_int_equal(p.fit, NP_PLACE_FITS);
	assert_int_equal(p.applied, 0);
	assert_int_equal(hwloc_bitmap_weight(p.nodes), 1);
	assert_true(hwloc_bitmap_isset(p.nodes, home));
	assert_true(hwloc_bitmap_isequal(p.cpus, cpus));
	assert_int_equal(p.vcpus, 1); /* its one thread */
	assert_int_equal(p.vcpus_capped, 0);
	assert_int_equal(p.threads, 1);
	assert_null(p.name);
	assert_int_equal(p.nclaimed, 1);
	assert_int_equal(p.claimed[0].node, home);
	assert_int_equal(p.claimed[0].bytes, p.memory_bytes);

	/* the control: the same request on the host as it is */
	np_request_init(&r);
	r.memory_bytes = p.memory_bytes;
	assert_int_equal(np_search(h, NULL, &r, NULL, &plan), 0);
	assert_null(np_plan_best(plan));
	np_plan_free(plan);
	np_placement_release(&p);
	np_target_release(&t);
	np_host_free(h);
}

/* Nodes given by hand: the load's split when they have the memory, else an even split. */
static void test_nodes_by_hand(void **state)
{
	np_host *h = host_with(GIB, GIB);
	hwloc_bitmap_t both = hwloc_bitmap_alloc();
	struct np_place_req req;
	struct np_placement p;
	struct np_target t;

	(void)state;
	hwloc_bitmap_set_range(both, home, home + 1);
	np_target_init(&t); /* self: nothing of its own to give back */
	np_place_req_init(&req);
	req.flags = NP_PLACE_DRY_RUN;
	req.nodes = both;
	req.request.memory_bytes = 3 * GIB + 1;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(t.pid, getpid());
	assert_int_equal(p.fit, NP_PLACE_SHORT);
	assert_int_equal(p.free_bytes, 2 * GIB);
	assert_string_equal(p.reason, "nodes given by hand");
	assert_true(hwloc_bitmap_isequal(p.nodes, both));
	assert_true(hwloc_bitmap_isequal(p.cpus, cpus));
	assert_int_equal(p.nclaimed, 2);
	assert_int_equal(p.claimed[0].node, home);
	assert_int_equal(p.claimed[0].bytes, 3 * GIB / 2 + 1); /* the odd byte to the lower id */
	assert_int_equal(p.claimed[1].node, home + 1);
	assert_int_equal(p.claimed[1].bytes, 3 * GIB / 2);
	np_placement_release(&p);

	/* NP_PLACE_REQUIRE: the same nodes short of memory are refused (nothing done) */
	req.flags |= NP_PLACE_REQUIRE;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.fit, NP_PLACE_SHORT);
	assert_int_equal(p.applied, 0);
	np_placement_release(&p);

	/* room enough: the load's water-filling, half on each */
	req.request.memory_bytes = GIB;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.fit, NP_PLACE_FITS);
	assert_int_equal(p.nclaimed, 2);
	assert_int_equal(p.claimed[0].bytes, GIB / 2);
	assert_int_equal(p.claimed[1].bytes, GIB / 2);
	np_placement_release(&p);
	np_target_release(&t);
	hwloc_bitmap_free(both);
	np_host_free(h);
}

/*
 * Memory nodes (--memory-kind hbm): the CPU-less node holds the memory, the home node gives
 * the CPUs; the claim and the memory policy's nodes are the memory node alone.
 */
static void test_memory_nodes(void **state)
{
	np_host *h = host_with(8 * GIB, 4 * GIB);
	hwloc_bitmap_t mem = hwloc_bitmap_alloc(), both = hwloc_bitmap_alloc();
	struct np_place_req req;
	struct np_placement p;
	struct np_target t;

	(void)state;
	hwloc_bitmap_set(mem, home + 1);
	hwloc_bitmap_set_range(both, home, home + 1);
	np_target_init(&t);
	np_place_req_init(&req);
	req.flags = NP_PLACE_DRY_RUN;
	req.request.memory_bytes = 2 * GIB;
	/* without: the home node alone, memory and CPUs */
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(hwloc_bitmap_weight(p.nodes), 1);
	assert_true(hwloc_bitmap_isequal(p.memory_nodes, p.nodes));
	np_placement_release(&p);
	req.request.memory_nodes = mem;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.fit, NP_PLACE_FITS);
	assert_true(hwloc_bitmap_isequal(p.nodes, both));
	assert_true(hwloc_bitmap_isequal(p.cpus, cpus));
	assert_true(hwloc_bitmap_isequal(p.memory_nodes, mem));
	assert_int_equal(p.nclaimed, 1);
	assert_int_equal(p.claimed[0].node, home + 1);
	assert_int_equal(p.claimed[0].bytes, 2 * GIB);
	np_placement_release(&p);
	/* more than the memory node has: nothing fits, though the home node has room */
	req.request.memory_bytes = 5 * GIB;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.fit, NP_PLACE_NO_FIT);
	assert_non_null(strstr(p.reason, "free on memory nodes"));
	np_placement_release(&p);
	np_target_release(&t);
	hwloc_bitmap_free(mem);
	hwloc_bitmap_free(both);
	np_host_free(h);
}

/* A dry run with a ledger: the search runs on the ledger's load, nothing is written. */
static void test_dry_run_ledger(void **state)
{
	np_host *h = host_with(8 * GIB, 8 * GIB);
	np_ledger *l = ledger_open();
	struct np_workload *list = NULL;
	struct np_place_req req;
	struct np_placement p;
	struct np_target t;

	(void)state;
	target_pid(&t);
	np_place_req_init(&req);
	req.flags = NP_PLACE_DRY_RUN | NP_PLACE_MIGRATE;
	req.request.memory_bytes = GIB;
	np_placement_init(&p);
	assert_int_equal(np_place(h, l, &t, &req, &p), 0);
	assert_int_equal(p.applied, 0);
	assert_int_equal(p.moved, 0);
	assert_true(hwloc_bitmap_isset(p.nodes, home));
	assert_int_equal(p.migration.done, 0);
	assert_non_null(p.reason);
	/* the transaction is closed: another one begins */
	assert_true(np_ledger_begin(l) >= 0);
	np_ledger_rollback(l);
	assert_int_equal(np_ledger_list(l, 0, &list), 0);
	np_workloads_free(list, 0);
	np_placement_release(&p);
	np_target_release(&t);
	np_ledger_close(l);
	np_host_free(h);
}

/* Refusals: a kernel thread, no ledger for a real placement, nothing fits. */
static void test_refusals(void **state)
{
	np_host *h = host_with(GIB, GIB);
	struct np_place_req req;
	struct np_placement p;
	struct np_target t;

	(void)state;
	np_target_init(&t);
	t.kind = NP_TARGET_PID;
	t.pid = 2; /* kthreadd */
	np_place_req_init(&req);
	req.flags = NP_PLACE_DRY_RUN;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), -EINVAL);
	assert_int_equal(p.failed, NP_PLACE_STEP_TARGET);
	assert_int_equal(t.process.kernel_thread, 1);
	np_placement_release(&p);
	np_target_release(&t);

	target_pid(&t);
	req.flags = 0;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), -EINVAL);
	np_placement_release(&p);

	/* no set has 1 TiB: a result, not an error, and nothing placed */
	req.flags = NP_PLACE_DRY_RUN;
	req.request.memory_bytes = 1ull << 40;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.fit, NP_PLACE_NO_FIT);
	assert_true(strlen(p.reason) > 0);
	assert_int_equal(hwloc_bitmap_iszero(p.nodes), 1);
	np_placement_release(&p);
	np_target_release(&t);
	np_host_free(h);
}

/*
 * The program name the ledger gives this process: the base name of its first argument, read
 * as np_target_read() reads it, relative to a /proc directory (valgrind shows a process its
 * own command line at the paths /proc/self/cmdline and /proc/PID/cmdline, and valgrind's
 * program to a read relative to /proc).
 */
static bool program_of_self(char *buf, size_t size)
{
	char line[256] = "", rel[32];
	const char *prog;
	ssize_t n = -1;
	int dir, fd;

	snprintf(rel, sizeof(rel), "%d/cmdline", (int)getpid());
	dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = dir >= 0 ? openat(dir, rel, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0)
		n = read(fd, line, sizeof(line) - 1);
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	if (n <= 0)
		return false;
	line[n] = '\0';
	prog = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
	snprintf(buf, size, "%s", prog);
	return *buf != '\0';
}

/* In a child: placed, recorded, moved, then a dry run names the recorded row. */
static int placed_and_moved(void)
{
	np_host *h = host_with(8 * GIB, 8 * GIB);
	np_ledger *l = ledger_open();
	struct np_place_req req;
	struct np_placement p;
	struct np_target t;
	char name[300], prog[256];

	target_pid(&t);
	np_place_req_init(&req);
	req.request.memory_bytes = GIB;
	req.flags = NP_PLACE_MIGRATE;
	np_placement_init(&p);
	if (np_place(h, l, &t, &req, &p) != 0 || !p.applied || p.moved)
		return 1;
	/* the name is the program's and the pid */
	if (!program_of_self(prog, sizeof(prog)))
		return 8;
	snprintf(name, sizeof(name), "%s-%d", prog, (int)getpid());
	if (!p.name || strcmp(p.name, name) != 0)
		return 2;
	if (!p.migration.done || p.migration.err || p.migration.stuck > p.migration.to_move)
		return 3;
	np_placement_release(&p);

	/* again: a move of the recorded row, which keeps its name */
	req.origin = "test";
	np_placement_init(&p);
	if (np_place(h, l, &t, &req, &p) != 0 || !p.applied || !p.moved)
		return 4;
	if (!p.name || strcmp(p.name, name) != 0 || strcmp(p.was.name, name) != 0)
		return 5;
	if (p.policy_stale || p.was.nclaimed != 1 || p.was.claimed[0].bytes != GIB)
		return 6;
	np_placement_release(&p);

	req.flags = NP_PLACE_DRY_RUN;
	np_placement_init(&p);
	if (np_place(h, l, &t, &req, &p) != 0 || p.applied || !p.moved || !p.name ||
	    strcmp(p.name, name) != 0)
		return 7;
	np_placement_release(&p);
	np_target_release(&t);
	np_ledger_close(l);
	np_host_free(h);
	return 0;
}

static void test_placed_and_moved(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	if (pid == 0)
		_exit(placed_and_moved());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_memory_given_back), cmocka_unit_test(test_nodes_by_hand),
	    cmocka_unit_test(test_memory_nodes),
	    cmocka_unit_test(test_dry_run_ledger),        cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_placed_and_moved),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
