/*
 * test-scope.c - run --scope's group (NP_PLACE_SCOPE) on a copy of the plain-file tree
 * tests/fixtures/cgroup, with numaplace.slice added to it: the group made, its cpuset and
 * cgroup.procs written, the row recorded and pruned with its directory once empty; and every
 * failure, before or after the process entered the group, leaving the tree as it was.
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
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREE FIXTURES "/cgroup"
#define ORIGIN "user.slice/user-1000.slice/session-1.scope"

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s", copy, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int setup_copy(void **state)
{
	char dir[PATH_MAX + 64];

	(void)state;
	if (cgtree_copy(TREE, "np-scope") < 0)
		return -1;
	/* the slice as the kernel shows it once made: what its parent hands on, nothing on */
	snprintf(dir, sizeof(dir), "%s/sys/fs/cgroup/numaplace.slice", copy);
	if (mkdir(dir, 0755) < 0)
		return -1;
	put("numaplace.slice/cgroup.controllers", "cpuset cpu memory pids\n");
	put("numaplace.slice/cgroup.subtree_control", "memory\n");
	put("numaplace.slice/cgroup.type", "domain\n");
	return 0;
}

static int teardown_copy(void **state)
{
	(void)state;
	return cgtree_remove();
}

static bool exists(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s", copy, rel);
	return stat(path, &st) == 0;
}

static uint64_t inode_of(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s", copy, rel);
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

/* This process's pid as it writes it to a cgroup.procs. */
static const char *my_pid(void)
{
	static char pid[24];

	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	return pid;
}

/*
 * Node 0: the CPUs this process may run on (so that its affinity can really be set there);
 * node 1: CPUs 4000-4003, which no machine running the tests has.
 */
static np_host *host2(hwloc_bitmap_t ret_cpus0)
{
	hwloc_bitmap_t far = hwloc_bitmap_alloc();
	struct np_node_spec n[2];
	np_host *h = NULL;
	cpu_set_t mask;

	assert_int_equal(sched_getaffinity(0, sizeof(mask), &mask), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mask))
			hwloc_bitmap_set(ret_cpus0, (unsigned)c);
	hwloc_bitmap_set_range(far, 4000, 4003);
	n[0] = (struct np_node_spec){
	    .id = 0, .cpus = ret_cpus0, .memory_bytes = 8ull << 30, .free_bytes = 4ull << 30};
	n[1] = (struct np_node_spec){
	    .id = 1, .cpus = far, .memory_bytes = 8ull << 30, .free_bytes = 4ull << 30};
	assert_int_equal(np_host_build(2, n, NULL, &h), 0);
	hwloc_bitmap_free(far);
	return h;
}

/* What one scope placement holds. */
struct run {
	np_host *h;
	hwloc_bitmap_t cpus0, nodes;
	np_ledger *l;
	struct np_target t;
	struct np_place_req req;
	struct np_placement p;
};

static void run_init(struct run *u, unsigned node, const char *name)
{
	static char *const argv[] = {"sleep", "60", NULL};
	struct np_ledger_opts o;
	char dir[PATH_MAX + 16];

	u->cpus0 = hwloc_bitmap_alloc();
	u->nodes = hwloc_bitmap_alloc();
	u->h = host2(u->cpus0);
	hwloc_bitmap_set(u->nodes, node);
	snprintf(dir, sizeof(dir), "%s/state", copy);
	np_ledger_opts_init(&o);
	o.cgroup_root = copy;
	u->l = NULL;
	assert_int_equal(np_ledger_open(dir, &o, &u->l), 0);
	np_target_init(&u->t);
	u->t.kind = NP_TARGET_SELF;
	u->t.argv = argv;
	u->t.root = copy;
	np_place_req_init(&u->req);
	u->req.request.memory_bytes = 64ull << 20;
	u->req.nodes = u->nodes;
	u->req.policy = NP_MEM_POLICY_NONE;
	u->req.name = name;
	u->req.flags = NP_PLACE_SCOPE;
	np_placement_init(&u->p);
}

static void run_release(struct run *u)
{
	np_placement_release(&u->p);
	np_target_release(&u->t);
	np_ledger_close(u->l);
	np_host_free(u->h);
	hwloc_bitmap_free(u->cpus0);
	hwloc_bitmap_free(u->nodes);
}

/* The live workloads (*n of them). */
static struct np_workload *live(np_ledger *l, int *n)
{
	struct np_workload *list = NULL;

	*n = np_ledger_list(l, 0, &list);
	assert_true(*n >= 0);
	return list;
}

/*
 * Made, filled, entered, recorded; alive while the group is populated, pruned with its
 * directory once it is not.
 */
static void test_scope_made(void **state)
{
	struct run u;
	struct np_workload *list, *all = NULL;
	char *cpus = NULL;
	int n;

	(void)state;
	run_init(&u, 0, "web");
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), 0);
	assert_int_equal(u.p.applied, 1);
	assert_string_equal(u.p.name, "web");
	assert_string_equal(u.t.cgroup_path, "numaplace.slice/web.scope");
	assert_string_equal(u.t.cgroup_mount, "/sys/fs/cgroup");
	assert_int_equal(u.t.cgroup_id, inode_of("numaplace.slice/web.scope"));
	assert_true(hwloc_bitmap_list_asprintf(&cpus, u.cpus0) >= 0);
	file_is("numaplace.slice/web.scope/cpuset.cpus", cpus);
	file_is("numaplace.slice/web.scope/cpuset.mems", "0");
	file_is("numaplace.slice/web.scope/cgroup.procs", my_pid());
	/* memory was handed on already; cpuset enabled in the slice, the root had it */
	file_is("numaplace.slice/cgroup.subtree_control", "+cpuset");
	file_is("cgroup.subtree_control", "cpuset cpu memory pids\n");

	list = live(u.l, &n);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].kind, NP_WORKLOAD_SCOPE);
	assert_int_equal(list[0].pid, getpid());
	assert_string_equal(list[0].cgroup, "numaplace.slice/web.scope");
	assert_int_equal(list[0].cgroup_id, u.t.cgroup_id);
	assert_true(hwloc_bitmap_isequal(list[0].cpus, u.cpus0));
	assert_int_equal(np_node_bytes_sum(list[0].claimed, list[0].nclaimed), 64ull << 20);
	np_workloads_free(list, (unsigned)n);

	/* the kernel says the group holds a process: the claim stands */
	put("numaplace.slice/web.scope/cgroup.events", "populated 1\nfrozen 0\n");
	list = live(u.l, &n);
	assert_int_equal(n, 1);
	np_workloads_free(list, (unsigned)n);
	put("numaplace.slice/web.scope/cgroup.events", "populated 0\nfrozen 0\n");
	list = live(u.l, &n);
	assert_int_equal(n, 0);
	np_workloads_free(list, (unsigned)n);
	n = np_ledger_list(u.l, NP_LEDGER_LIST_ALL, &all);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].end_reason, "group empty");
	np_workloads_free(all, (unsigned)n);
	assert_false(exists("numaplace.slice/web.scope"));
	assert_true(exists("numaplace.slice"));
	free(cpus);
	run_release(&u);
}

/* np_target_scope_leave() after an exec that failed: back home, the group gone, not its parent. */
static void test_scope_leave(void **state)
{
	char want[64];
	struct run u;

	(void)state;
	run_init(&u, 0, NULL);
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), 0);
	/* no name given: run-PID.scope */
	snprintf(want, sizeof(want), "numaplace.slice/run-%d.scope", (int)getpid());
	assert_string_equal(u.t.cgroup_path, want);
	assert_true(exists(want));
	assert_int_equal(np_target_scope_leave(&u.t), 0);
	assert_false(exists(want));
	assert_null(u.t.cgroup_path);
	file_is(ORIGIN "/cgroup.procs", my_pid());
	/* the slice and its controllers stay: another scope may rely on them by now */
	assert_true(exists("numaplace.slice"));
	file_is("numaplace.slice/cgroup.subtree_control", "+cpuset");
	assert_int_equal(np_target_scope_leave(&u.t), 0);
	run_release(&u);
}

/*
 * Nothing recorded, and the process moved back, the group removed, cpuset disabled again (a
 * plain file holds the last word written: "-cpuset" where the kernel would drop it).
 */
static void undone(struct run *u, const char *group)
{
	struct np_workload *list;
	int n;

	assert_false(exists(group));
	assert_null(u->t.cgroup_path);
	file_is(ORIGIN "/cgroup.procs", my_pid());
	file_is("numaplace.slice/cgroup.subtree_control", "-cpuset");
	file_is("cgroup.subtree_control", "cpuset cpu memory pids\n");
	list = live(u->l, &n);
	assert_int_equal(n, 0);
	np_workloads_free(list, (unsigned)n);
}

/* A failure after the process entered its group: the record (a name the ledger refuses). */
static void test_scope_record_fails(void **state)
{
	char group[64];
	struct run u;

	(void)state;
	run_init(&u, 0, "1234");
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), -EINVAL);
	assert_int_equal(u.p.failed, NP_PLACE_STEP_RECORD);
	assert_int_equal(u.p.applied, 0);
	undone(&u, "numaplace.slice/1234.scope");
	run_release(&u);
	/* a name that is no directory name is never one: the group is run-PID.scope */
	put("numaplace.slice/cgroup.subtree_control", "memory\n");
	run_init(&u, 0, "a/b");
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), -EINVAL);
	assert_int_equal(u.p.failed, NP_PLACE_STEP_RECORD);
	snprintf(group, sizeof(group), "numaplace.slice/run-%d.scope", (int)getpid());
	undone(&u, group);
	assert_false(exists("numaplace.slice/a"));
	run_release(&u);
}

/* A failure after the process entered its group: its affinity refused (CPUs it cannot have). */
static void test_scope_bind_fails(void **state)
{
	struct run u;

	(void)state;
	run_init(&u, 1, "far");
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), -EINVAL);
	assert_int_equal(u.p.failed, NP_PLACE_STEP_BIND);
	undone(&u, "numaplace.slice/far.scope");
	run_release(&u);
}

/* Refused before the process entered: the group removed, or never made; the tree as it was. */
static void refused(const char *name, const char *parent, int err, const char *why)
{
	struct run u;
	struct np_workload *list;
	int n;

	run_init(&u, 0, name);
	u.req.scope_parent = parent;
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), err);
	assert_int_equal(u.p.failed, NP_PLACE_STEP_SCOPE);
	assert_string_equal(np_last_error(), why);
	assert_null(u.t.cgroup_path);
	assert_null(u.t.group);
	file_is(ORIGIN "/cgroup.procs", "");
	file_is("numaplace.slice/cgroup.subtree_control", "memory\n");
	assert_false(exists("numaplace.slice/new.scope"));
	list = live(u.l, &n);
	assert_int_equal(n, 0);
	np_workloads_free(list, (unsigned)n);
	run_release(&u);
}

static void test_scope_refused(void **state)
{
	char dir[PATH_MAX + 64];
	struct run u;

	(void)state;
	/* a group of that name exists: it is not ours to remove */
	snprintf(dir, sizeof(dir), "%s/sys/fs/cgroup/numaplace.slice/web.scope", copy);
	assert_int_equal(mkdir(dir, 0755), 0);
	put("numaplace.slice/web.scope/cgroup.procs", "77\n");
	refused("web", NULL, -EEXIST, "group 'numaplace.slice/web.scope' already exists");
	file_is("numaplace.slice/web.scope/cgroup.procs", "77\n");
	/* a parent made here is removed again (a plain directory has no cgroup.type) */
	refused("new", "made.slice", -ENOENT,
	        "cannot read 'made.slice/cgroup.type': No such file or directory");
	assert_false(exists("made.slice"));
	refused("new", "/sys/fs/cgroup/none/x.slice", -ENOENT,
	        "no such group '/sys/fs/cgroup/none' to make 'x.slice' in");
	refused("new", "threaded", -EINVAL,
	        "'threaded' is a threaded group: it cannot hold a group of processes");
	refused("new", "../x", -EXDEV, "'..' is not allowed (outside the cgroup mount)");
	/* cpuset not offered by the root: the group made is removed */
	put("cgroup.controllers", "cpu io memory pids\n");
	put("cgroup.subtree_control", "cpu memory pids\n");
	refused("new", NULL, -EOPNOTSUPP,
	        "the cpuset controller is not available in group '/' (not in its "
	        "cgroup.controllers)");
	file_is("cgroup.subtree_control", "cpu memory pids\n");

	/* no cgroup2 hierarchy there */
	run_init(&u, 0, "new");
	u.t.root = FIXTURES "/sysfs/two-node";
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), -ENOENT);
	assert_int_equal(u.p.failed, NP_PLACE_STEP_SCOPE);
	assert_string_equal(np_last_error(),
	                    "cannot read 'proc/self/mountinfo': No such file or directory");
	run_release(&u);
	/* a scope is a SELF target's */
	run_init(&u, 0, "new");
	u.t.kind = NP_TARGET_PID;
	u.t.pid = getpid();
	assert_int_equal(np_place(u.h, u.l, &u.t, &u.req, &u.p), -EINVAL);
	run_release(&u);
}

/* +memory where offered, noted and disabled again; where not, nothing (or -EOPNOTSUPP). */
static void test_enable_memory(void **state)
{
	int fd = np__proc_root_open(copy);
	struct np__cgroup cg;
	struct np__cgroup_undo undo = {0};

	(void)state;
	np__cgroup_init(&cg);
	assert_int_equal(np__cgroup_open(fd, NULL, "machine.slice/libpod-3f2a9c0e1d.scope", &cg),
	                 0);
	assert_int_equal(np__cgroup_enable(&cg, "memory", false, &undo), 0);
	assert_int_equal(undo.nmemory, 1);
	assert_string_equal(undo.memory[0], "machine.slice");
	assert_int_equal(undo.nenabled, 0);
	file_is("machine.slice/cgroup.subtree_control", "+memory");
	assert_int_equal(np__cgroup_revert(&cg, &undo), 0);
	file_is("machine.slice/cgroup.subtree_control", "-memory");
	np__cgroup_undo_release(&undo);
	assert_int_equal(undo.nmemory, 0);

	put("machine.slice/cgroup.subtree_control", "");
	put("cgroup.controllers", "cpuset cpu\n");
	put("cgroup.subtree_control", "cpuset cpu\n");
	assert_int_equal(np__cgroup_enable(&cg, "memory", false, &undo), 0);
	assert_int_equal(undo.nmemory, 0);
	file_is("machine.slice/cgroup.subtree_control", "");
	assert_int_equal(np__cgroup_enable(&cg, "memory", true, &undo), -EOPNOTSUPP);
	assert_string_equal(np_last_error(), "the memory controller is not available in group "
	                                     "'/' (not in its cgroup.controllers)");
	np__cgroup_release(&cg);
	close(fd);
}

/* The ledger's prune of an empty scope removes a plain directory with its files. */
static void test_remove(void **state)
{
	char dir[PATH_MAX + 64];
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sys/fs/cgroup/numaplace.slice/x.scope", copy);
	assert_int_equal(mkdir(dir, 0755), 0);
	put("numaplace.slice/x.scope/cgroup.procs", "");
	put("numaplace.slice/x.scope/cpuset.mems", "1\n");
	snprintf(dir, sizeof(dir), "%s/sys/fs/cgroup", copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(np__cgroup_remove(fd, "numaplace.slice/x.scope"), 0);
	assert_false(exists("numaplace.slice/x.scope"));
	assert_int_equal(np__cgroup_remove(fd, "numaplace.slice/x.scope"), -ENOENT);
	/* a group that holds a group stays (EBUSY on cgroupfs, ENOTEMPTY here) */
	assert_int_equal(np__cgroup_remove(fd, "system.slice/web.service"), -ENOTEMPTY);
	assert_true(exists("system.slice/web.service/worker/cgroup.type"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_scope_made, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_scope_leave, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_scope_record_fails, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_scope_bind_fails, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_scope_refused, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_enable_memory, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_remove, setup_copy, teardown_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
