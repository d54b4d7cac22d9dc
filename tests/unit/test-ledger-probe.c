/*
 * test-ledger-probe.c - the ledger on its own: opened with a fake probe (a table of processes)
 * through np__ledger_open(), so that nothing here reads /proc. The pids are chosen so that
 * /proc could not agree with the table: this process's own pid is said to have exited, and
 * pids above any kernel's pid_max are said to run. Every decision must follow the table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* Above PID_MAX_LIMIT (4194304): no such process can exist on Linux. */
#define BIG_PID 1000000000

static char base[PATH_MAX / 2];
static char sdir[PATH_MAX];

/* One process as the fake probe tells it. */
struct fake_proc {
	pid_t pid;
	uint64_t start_time; /* of the process that has the pid now */
	char state;          /* 'S' running, 'Z' zombie, 0 gone */
	int resident_err;    /* < 0: what reading its resident memory returns */
	unsigned nresident;
	struct np_node_bytes resident[2];
	uid_t owner;
};

#define NFAKE 8

struct fake {
	struct fake_proc procs[NFAKE];
	unsigned nprocs;
	int liveness_err; /* < 0: every liveness call fails so */
	unsigned liveness_calls, resident_calls, manage_calls, releases;
	pid_t last_pid;
	uint64_t last_start;
};

static struct fake fk;

static struct fake_proc *fake_find(pid_t pid)
{
	for (unsigned i = 0; i < fk.nprocs; i++)
		if (fk.procs[i].pid == pid && fk.procs[i].state)
			return &fk.procs[i];
	return NULL;
}

static struct fake_proc *fake_add(pid_t pid, uint64_t start_time)
{
	struct fake_proc *p = fake_find(pid);

	if (!p) {
		assert_true(fk.nprocs < NFAKE);
		p = &fk.procs[fk.nprocs++];
	}
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->start_time = start_time;
	p->state = 'S';
	p->owner = getuid();
	return p;
}

static int fake_liveness(void *arg, pid_t pid, uint64_t start_time)
{
	struct fake_proc *p;

	assert_ptr_equal(arg, &fk);
	fk.liveness_calls++;
	fk.last_pid = pid;
	fk.last_start = start_time;
	if (fk.liveness_err < 0)
		return fk.liveness_err;
	p = fake_find(pid);
	if (!p || p->state == 'Z')
		return NP__EXITED;
	return p->start_time == start_time ? NP__ALIVE : NP__PID_REUSED;
}

static int fake_resident(void *arg, pid_t pid, struct np_node_bytes **ret_nodes)
{
	struct fake_proc *p = fake_find(pid);
	struct np_node_bytes *copy;

	assert_ptr_equal(arg, &fk);
	fk.resident_calls++;
	if (!p)
		return -ESRCH;
	if (p->resident_err < 0)
		return p->resident_err;
	copy = calloc(2, sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, p->resident, sizeof(p->resident));
	*ret_nodes = copy;
	return (int)p->nresident;
}

static int fake_may_manage(void *arg, pid_t pid, uid_t *ret_uid)
{
	struct fake_proc *p = fake_find(pid);

	assert_ptr_equal(arg, &fk);
	fk.manage_calls++;
	if (!p)
		return -ENOENT;
	if (p->owner != getuid()) {
		*ret_uid = p->owner;
		return -EPERM;
	}
	return 0;
}

static void fake_release(void *arg)
{
	assert_ptr_equal(arg, &fk);
	fk.releases++;
}

static const struct np__ledger_probe fake_probe = {.liveness = fake_liveness,
                                                   .resident = fake_resident,
                                                   .may_manage = fake_may_manage,
                                                   .release = fake_release,
                                                   .arg = &fk};

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	snprintf(base, sizeof(base), "%s/np-ledger-probe-XXXXXX",
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
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static np_ledger *open_fake(void)
{
	np_ledger *l = NULL;

	assert_int_equal(np__ledger_open(sdir, NULL, &fake_probe, &l), 0);
	assert_non_null(l);
	return l;
}

static int insert(np_ledger *l, const char *name, pid_t pid, uint64_t start, unsigned node,
                  uint64_t bytes, unsigned vcpus)
{
	struct np_node_bytes claim = {node, bytes};
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
	struct np_workload w;
	int r;

	hwloc_bitmap_set(nodes, node);
	np_workload_init(&w);
	w.name = (char *)name;
	w.pid = pid;
	w.start_time = start;
	w.nodes = nodes;
	w.nclaimed = 1;
	w.claimed = &claim;
	w.vcpus = vcpus;
	w.cmdline = "sleep 100";
	r = np_ledger_insert(l, &w, NULL);
	hwloc_bitmap_free(nodes);
	return r;
}

/* Two nodes, ids 0 and 1, 16 GiB each (all free: a synthetic host). */
static np_host *host2(void)
{
	struct np_source src = {NP_SOURCE_SYNTHETIC, "pack:2 [numa(memory=16GiB)] core:2 pu:1", 0};
	np_host *h = NULL;

	assert_int_equal(np_host_load(&src, &h), 0);
	assert_int_equal(np_host_nnodes(h), 2);
	return h;
}

/* The end reason of the (only) row named `name`, "" while it is live. */
static const char *reason_of(np_ledger *l, const char *name, char *buf, size_t len)
{
	struct np_workload *list = NULL;
	int n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &list);

	assert_true(n >= 0);
	snprintf(buf, len, "(none)");
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			snprintf(buf, len, "%s", list[i].end_reason ? list[i].end_reason : "");
	np_workloads_free(list, (unsigned)n);
	return buf;
}

/*
 * Pruning follows the probe alone: this process (alive in /proc) is pruned because the probe
 * says it exited, a pid no kernel can have stays because the probe says it runs.
 */
static void test_prune_by_probe(void **state)
{
	char buf[64];
	np_ledger *l;

	(void)state;
	fake_add(BIG_PID, 500);
	fake_add(BIG_PID + 1, 600);
	l = open_fake();
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "self", getpid(), 42, 0, GiB, 1), 0);
	assert_int_equal(insert(l, "big", BIG_PID, 500, 0, GiB, 1), 0);
	assert_int_equal(insert(l, "zombie", BIG_PID + 1, 600, 0, GiB, 1), 0);
	assert_int_equal(np_ledger_commit(l), 0);
	assert_int_equal(fk.liveness_calls, 0); /* nothing was live before the first begin */

	fk.procs[1].state = 'Z';
	assert_int_equal(np_ledger_begin(l), 2); /* self (not in the table) and the zombie */
	assert_int_equal(fk.liveness_calls, 3);  /* each live row asked once */
	assert_int_equal(np_ledger_commit(l), 0);
	assert_string_equal(reason_of(l, "self", buf, sizeof(buf)), "exited");
	assert_string_equal(reason_of(l, "zombie", buf, sizeof(buf)), "exited");
	assert_string_equal(reason_of(l, "big", buf, sizeof(buf)), "");
	np_ledger_close(l);
	assert_int_equal(fk.releases, 1);
}

/*
 * A pid given to another process (another start time) is not the old workload: its row is
 * pruned as "pid reused", the probe is asked with the start time the row recorded, and the
 * new process may claim under the same pid.
 */
static void test_pid_reused(void **state)
{
	char buf[64];
	np_ledger *l;

	(void)state;
	fake_add(BIG_PID, 500);
	l = open_fake();
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "old", BIG_PID, 500, 0, GiB, 1), 0);
	assert_int_equal(np_ledger_commit(l), 0);

	fake_add(BIG_PID, 501); /* the same pid, a later process */
	assert_int_equal(np_ledger_begin(l), 1);
	assert_int_equal(fk.last_pid, BIG_PID);
	assert_true(fk.last_start == 500);
	assert_int_equal(insert(l, "new", BIG_PID, 501, 0, GiB, 1), 0);
	assert_int_equal(np_ledger_commit(l), 0);
	assert_string_equal(reason_of(l, "old", buf, sizeof(buf)), "pid reused");
	assert_string_equal(reason_of(l, "new", buf, sizeof(buf)), "");
	/* the new one is alive under the start time it recorded */
	assert_int_equal(np_ledger_begin(l), 0);
	assert_true(fk.last_start == 501);
	np_ledger_rollback(l);
	np_ledger_close(l);
}

/* A probe that cannot tell (out of memory) fails the transaction, which prunes nothing. */
static void test_liveness_failure(void **state)
{
	char buf[64];
	np_ledger *l;

	(void)state;
	l = open_fake();
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "a", BIG_PID, 500, 0, GiB, 1), 0); /* not in the table */
	assert_int_equal(np_ledger_commit(l), 0);
	fk.liveness_err = -ENOMEM;
	assert_int_equal(np_ledger_begin(l), -ENOMEM);
	assert_int_equal(np_ledger_commit(l), -EINVAL); /* rolled back: no transaction */
	fk.liveness_err = 0;
	fake_add(BIG_PID, 500);
	assert_string_equal(reason_of(l, "a", buf, sizeof(buf)), "");
	np_ledger_close(l);
}

/*
 * Outstanding claims from the probe's resident memory: a claims 3 GiB on node 0 and has 1 GiB
 * there (owes 2 GiB); b claims 1 GiB on node 1 and its memory cannot be read (owes it all); c
 * claims 1 GiB on node 1 and is gone since the prune (owes nothing). Free: node 0 = 16 - 2 =
 * 14 GiB, node 1 = 16 - 1 = 15 GiB.
 */
static void test_load_by_probe(void **state)
{
	np_host *h = host2();
	np_load *load = NULL;
	struct fake_proc *a, *b;
	struct np_workload *list = NULL;
	np_ledger *l;
	int n;

	(void)state;
	a = fake_add(BIG_PID, 500);
	a->nresident = 2;
	a->resident[0] = (struct np_node_bytes){0, GiB};
	a->resident[1] = (struct np_node_bytes){1, 256 * MiB};
	b = fake_add(BIG_PID + 1, 600);
	b->resident_err = -EACCES;
	fake_add(BIG_PID + 2, 700);
	l = open_fake();
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "a", BIG_PID, 500, 0, 3 * GiB, 2), 0);
	assert_int_equal(insert(l, "b", BIG_PID + 1, 600, 1, GiB, 1), 0);
	assert_int_equal(insert(l, "c", BIG_PID + 2, 700, 1, GiB, 1), 0);
	fk.procs[2].state = 0; /* c exits between the prune and the load */
	assert_int_equal(np_ledger_load(l, h, &load), 0);
	assert_int_equal(fk.resident_calls, 3);
	assert_true(np_load_free_bytes(load, 0) == 14 * GiB);
	assert_true(np_load_free_bytes(load, 1) == 15 * GiB);
	assert_int_equal(np_load_vcpus(load, 0), 2);
	assert_int_equal(np_load_vcpus(load, 1), 2);
	np_load_free(load);
	assert_int_equal(np_ledger_commit(l), 0);

	/* list's resident memory is the probe's too (c is pruned now) */
	n = np_ledger_list(l, NP_LEDGER_LIST_RESIDENT, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "a");
	assert_int_equal(list[0].nresident, 2);
	assert_true(list[0].resident[1].bytes == 256 * MiB);
	assert_string_equal(list[1].name, "b");
	assert_int_equal(list[1].nresident, 0);
	np_workloads_free(list, (unsigned)n);
	np_ledger_close(l);
	np_host_free(h);
}

/* Forgetting asks the probe whose the process is. */
static void test_forget_by_probe(void **state)
{
	struct fake_proc *p;
	np_ledger *l;

	(void)state;
	p = fake_add(BIG_PID, 500);
	p->owner = getuid() + 1;
	fake_add(BIG_PID + 1, 600);
	l = open_fake();
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "theirs", BIG_PID, 500, 0, GiB, 1), 0);
	assert_int_equal(insert(l, "mine", BIG_PID + 1, 600, 0, GiB, 1), 0);
	assert_int_equal(np_ledger_commit(l), 0);
	assert_int_equal(np_ledger_forget(l, "theirs", 0), -EPERM);
	assert_non_null(strstr(np_last_error(), "belongs to uid"));
	assert_int_equal(np_ledger_forget(l, NULL, BIG_PID + 1), 0);
	assert_int_equal(fk.manage_calls, 2);
	np_ledger_close(l);
}

/* The probe is checked, owned only once the ledger is open, and released once. */
static void test_probe_ownership(void **state)
{
	struct np__ledger_probe half = fake_probe;
	np_ledger *l = (np_ledger *)0x1;

	(void)state;
	half.resident = NULL;
	assert_int_equal(np__ledger_open(sdir, NULL, &half, &l), -EINVAL);
	assert_int_equal(np__ledger_open(sdir, NULL, NULL, &l), -EINVAL);
	assert_ptr_equal(l, (np_ledger *)0x1);
	/* a failed open leaves the probe to the caller */
	assert_int_equal(mkdir(sdir, 0777), 0);
	assert_int_equal(chmod(sdir, 0777), 0);
	assert_int_equal(np__ledger_open(sdir, NULL, &fake_probe, &l), -EACCES);
	assert_int_equal(fk.releases, 0);
	assert_int_equal(chmod(sdir, 0700), 0);
	l = open_fake();
	assert_int_equal(fk.releases, 0);
	np_ledger_close(l);
	assert_int_equal(fk.releases, 1);
}

/* A group row (pid 0) as np_place() records one. */
static int insert_group(np_ledger *l, const char *name, enum np_workload_kind kind,
                        const char *path, uint64_t id, pid_t pid, char **ret_name)
{
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc(), excl = hwloc_bitmap_alloc();
	struct np_workload w;
	int r;

	hwloc_bitmap_set(nodes, 1);
	hwloc_bitmap_set_range(excl, 2, 3);
	np_workload_init(&w);
	w.name = (char *)name;
	w.kind = kind;
	w.pid = pid;
	w.start_time = pid ? 5 : 0;
	w.nodes = nodes;
	w.vcpus = 2;
	w.cgroup = (char *)path;
	w.cgroup_id = id;
	w.exclusive = excl;
	r = np_ledger_insert(l, &w, ret_name);
	hwloc_bitmap_free(nodes);
	hwloc_bitmap_free(excl);
	return r;
}

/*
 * Group rows: a path and an id and no pid (run --scope's both); a group placed again (same id)
 * replaces its row; names come from the path (systemd's \x2d unescaped, digits prefixed);
 * what is not a group of its kind is refused; the exclusive CPUs are held in the load.
 * Without group callbacks a probe leaves every group alive.
 */
static void test_group_rows(void **state)
{
	np_host *h = host2();
	np_ledger *l = open_fake();
	struct np_workload *list = NULL;
	np_load *load = NULL;
	char *name = NULL;
	int n;

	(void)state;
	assert_true(np_ledger_begin(l) >= 0);
	assert_int_equal(insert_group(l, NULL, NP_WORKLOAD_VM,
	                              "machine.slice/machine-qemu\\x2d4\\x2ddb.scope", 100, 0,
	                              &name),
	                 0);
	assert_string_equal(name, "machine-qemu-4-db.scope");
	free(name);
	assert_int_equal(insert_group(l, NULL, NP_WORKLOAD_GROUP, "a/1234", 101, 0, &name), 0);
	assert_string_equal(name, "group-1234");
	free(name);
	/* the same group again (its id): replaced, not a second claim */
	assert_int_equal(insert_group(l, "again", NP_WORKLOAD_GROUP, "a/1234", 101, 0, NULL), 0);
	/* a scope has both; a group with a pid, a process with a group, no id: refused */
	assert_int_equal(insert_group(l, "s", NP_WORKLOAD_SCOPE, "numaplace.slice/s.scope", 102,
	                              BIG_PID, NULL),
	                 0);
	assert_int_equal(insert_group(l, "bad1", NP_WORKLOAD_UNIT, "x.service", 103, 77, NULL),
	                 -EINVAL);
	assert_int_equal(insert_group(l, "bad2", NP_WORKLOAD_PROCESS, "x", 104, 78, NULL),
	                 -EINVAL);
	assert_int_equal(insert_group(l, "bad3", NP_WORKLOAD_UNIT, "x.service", 0, 0, NULL),
	                 -EINVAL);
	assert_int_equal(insert_group(l, "bad4", NP_WORKLOAD_KIND_COUNT_, "x", 105, 0, NULL),
	                 -EINVAL);
	assert_int_equal(np_ledger_load(l, h, &load), 0);
	assert_int_equal(hwloc_bitmap_weight(np_load_held_cpus(load)), 2);
	assert_true(hwloc_bitmap_isset(np_load_held_cpus(load), 3));
	np_load_free(load);
	assert_int_equal(np_ledger_commit(l), 0);

	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &list);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].name, "machine-qemu-4-db.scope");
	assert_int_equal(list[0].kind, NP_WORKLOAD_VM);
	assert_int_equal(list[0].cgroup_id, 100);
	assert_string_equal(list[1].name, "again");
	assert_string_equal(list[2].name, "s");
	assert_int_equal(list[2].kind, NP_WORKLOAD_SCOPE);
	assert_int_equal(list[2].pid, BIG_PID);
	assert_string_equal(list[3].name, "group-1234");
	assert_string_equal(list[3].end_reason, "replaced");
	np_workloads_free(list, (unsigned)n);
	assert_string_equal(np_workload_kind_name(NP_WORKLOAD_CONTAINER), "container");
	assert_null(np_workload_kind_name(NP_WORKLOAD_KIND_COUNT_));
	np_ledger_close(l);
	np_host_free(h);
}

static void test_node_bytes(void **state)
{
	static const struct np_node_bytes a[] = {{0, 3}, {2, 5}, {7, UINT64_MAX - 1}};

	(void)state;
	assert_true(np_node_bytes_get(a, 3, 2) == 5);
	assert_true(np_node_bytes_get(a, 3, 1) == 0);
	assert_true(np_node_bytes_get(a, 2, 7) == 0); /* only the first n */
	assert_true(np_node_bytes_get(NULL, 0, 0) == 0);
	assert_true(np_node_bytes_sum(a, 2) == 8);
	assert_true(np_node_bytes_sum(a, 3) == UINT64_MAX); /* saturates */
	assert_true(np_node_bytes_sum(NULL, 0) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_prune_by_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pid_reused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_liveness_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_by_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forget_by_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_probe_ownership, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_rows, setup, teardown),
	    cmocka_unit_test(test_node_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
