/*
 * test-rebalance-group.c - a cgroup v2 group on a copy of the plain-file tree
 * tests/fixtures/cgroup: recorded, judged by np_rebalance_decide() from its memory.numa_stat,
 * and moved as the daemon moves it (np_place() with the decision's nodes); the groups below a
 * pattern.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "numaplace.h"
#include "rebalance.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A copy of the plain-file cgroup tree, its members this test's own process. */
static char tree[PATH_MAX];

static void put_text(const char *rel, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s", tree, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void file_is(const char *rel, const char *want)
{
	char path[PATH_MAX * 2], buf[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s", tree, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void tree_copy(void)
{
	char cmd[PATH_MAX * 2 + 32], pid[32];

	snprintf(tree, sizeof(tree), "%s/np-rebalance-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tree));
	snprintf(cmd, sizeof(cmd), "cp -a '%s/cgroup/.' '%s'", FIXTURES, tree);
	assert_int_equal(system(cmd), 0);
	/* the members are this process: the migration of a move touches no other */
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	put_text("system.slice/web.service/cgroup.procs", pid);
	put_text("system.slice/web.service/cgroup.threads", pid);
	put_text("system.slice/web.service/worker/cgroup.procs", "");
	put_text("system.slice/web.service/worker/cgroup.threads", "");
}

static void group_target(struct np_target *t)
{
	np_target_init(t);
	t->kind = NP_TARGET_CGROUP;
	t->cgroup = "system.slice/web.service";
	t->root = tree;
}

/* The ledger's one live workload as the daemon hands it to np_rebalance_decide(). */
static void as_judged(const struct np_workload *w, struct np_rebalance_workload *rw)
{
	memset(rw, 0, sizeof(*rw));
	rw->name = w->name;
	rw->nodes = w->nodes;
	rw->vcpus = w->vcpus;
	rw->claimed = w->claimed;
	rw->nclaimed = w->nclaimed;
	rw->resident = w->resident;
	rw->nresident = w->nresident;
	rw->last_move = w->created - 3600;
	rw->near = w->near;
}

/*
 * A group placed on node 0 near a device there, claiming 4 GiB. The fixture's numa_stat has
 * 2 MiB on node 1 (and 3 MiB on node 3, which this host lacks): within the bounds, fine. Once
 * memory.numa_stat says 2 GiB on each node it is spilled, and the move keeps the device's node:
 * nodes 0-1. Made as the daemon makes it, the move rewrites cpuset.cpus and cpuset.mems, is a
 * move of the same row with the decision's reason, and the row keeps its near nodes and
 * devices.
 */
static void test_group_spilled(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	struct np_rebalance_workload rw;
	struct np_ledger_opts o;
	struct np_place_req req;
	struct np_placement pl;
	struct np_target t;
	struct np_workload *list = NULL;
	struct np_move *moves = NULL;
	hwloc_bitmap_t n0 = hwloc_bitmap_alloc();
	np_load *l = load_with(512 * MiB, 8 * GiB);
	np_ledger *led = NULL;
	char dir[PATH_MAX + 16], cmd[PATH_MAX + 16];
	int n;

	(void)state;
	tree_copy();
	snprintf(dir, sizeof(dir), "%s/state", tree);
	np_ledger_opts_init(&o);
	o.cgroup_root = tree;
	assert_int_equal(np_ledger_open(dir, &o, &led), 0);
	hwloc_bitmap_set(n0, 0);
	group_target(&t);
	np_place_req_init(&req);
	req.request.memory_bytes = 4 * GiB;
	req.request.vcpus = 2;
	req.request.near_nodes = n0;
	req.near_devices = "eth0";
	req.nodes = n0;
	np_placement_init(&pl);
	assert_int_equal(np_place(host, led, &t, &req, &pl), 0);
	assert_int_equal(pl.applied, 1);
	np_placement_release(&pl);
	np_target_release(&t);
	file_is("system.slice/web.service/cpuset.mems", "0");

	n = np_ledger_list(led, NP_LEDGER_LIST_RESIDENT, &list);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].kind, NP_WORKLOAD_GROUP);
	assert_true(hwloc_bitmap_isequal(list[0].near, n0));
	assert_string_equal(list[0].near_devices, "eth0");
	assert_true(np_node_bytes_get(list[0].resident, list[0].nresident, 1) == 2 * MiB);
	as_judged(&list[0], &rw);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &rw, 1, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_FINE);
	np_rebalance_decision_release(&d);
	np_workloads_free(list, (unsigned)n);

	put_text("system.slice/web.service/memory.numa_stat",
	         "anon N0=2147483648 N1=1073741824\nfile N0=0 N1=1073741824\n");
	n = np_ledger_list(led, NP_LEDGER_LIST_RESIDENT, &list);
	assert_int_equal(n, 1);
	as_judged(&list[0], &rw);
	p.now = list[0].created;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &rw, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	assert_true(hwloc_bitmap_isset(d.nodes, 0) && hwloc_bitmap_isset(d.nodes, 1));
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 2);
	assert_string_equal(d.reasons[0], "50% (2 GiB) of its memory off node 0: spilled; nodes "
	                                  "0-1: cost 0.50 -> 0.00");

	/* the move, as the daemon makes it */
	group_target(&t);
	np_place_req_init(&req);
	req.request.memory_bytes = 4 * GiB;
	req.request.vcpus = list[0].vcpus;
	req.request.near_nodes = list[0].near;
	req.near_devices = list[0].near_devices;
	req.nodes = d.nodes;
	req.cpus = d.cpus;
	req.origin = "daemon";
	req.reason = d.reasons[0];
	req.flags = NP_PLACE_MIGRATE | NP_PLACE_KEEP_STRATEGY;
	np_placement_init(&pl);
	assert_int_equal(np_place(host, led, &t, &req, &pl), 0);
	assert_int_equal(pl.applied, 1);
	assert_int_equal(pl.moved, 1);
	assert_true(pl.migration.done);
	assert_true(pl.migration.to_move == 0); /* all of it on nodes 0-1 */
	np_placement_release(&pl);
	np_target_release(&t);
	np_rebalance_decision_release(&d);
	np_workloads_free(list, (unsigned)n);
	file_is("system.slice/web.service/cpuset.mems", "0-1");
	file_is("system.slice/web.service/cpuset.cpus", "0-7");

	n = np_ledger_list(led, 0, &list);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].moves, 1);
	assert_int_equal(hwloc_bitmap_weight(list[0].nodes), 2);
	assert_true(hwloc_bitmap_isequal(list[0].near, n0));
	assert_string_equal(list[0].near_devices, "eth0");
	assert_string_equal(list[0].strategy, "explicit");
	np_workloads_free(list, (unsigned)n);
	/* placed again by hand without --near: the recorded near nodes and devices stay */
	group_target(&t);
	np_place_req_init(&req);
	req.request.memory_bytes = 4 * GiB;
	req.nodes = n0;
	np_placement_init(&pl);
	assert_int_equal(np_place(host, led, &t, &req, &pl), 0);
	assert_int_equal(pl.moved, 1);
	np_placement_release(&pl);
	np_target_release(&t);
	n = np_ledger_list(led, 0, &list);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].moves, 2);
	assert_true(hwloc_bitmap_isequal(list[0].nodes, n0));
	assert_true(hwloc_bitmap_isequal(list[0].near, n0));
	assert_string_equal(list[0].near_devices, "eth0");
	np_workloads_free(list, (unsigned)n);
	n = np_ledger_moves(led, &moves);
	assert_int_equal(n, 2);
	assert_string_equal(moves[0].reason, "daemon: 50% (2 GiB) of its memory off node 0: "
	                                     "spilled; nodes 0-1: cost 0.50 -> 0.00");
	assert_int_equal(moves[0].pid, 0);
	np_moves_free(moves, (unsigned)n);

	np_ledger_close(led);
	np_load_free(l);
	hwloc_bitmap_free(n0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	assert_int_equal(system(cmd), 0);
}

/* The groups below a pattern, from the whole hierarchy, sorted; refusals. */
static void test_cgroup_glob(void **state)
{
	char root[PATH_MAX], **paths = NULL;
	int n;

	(void)state;
	snprintf(root, sizeof(root), "%s/cgroup", FIXTURES);
	n = np_cgroup_glob(root, "machine.slice/*", &paths);
	assert_int_equal(n, 5);
	assert_string_equal(paths[0], "machine.slice/libpod-3f2a9c0e1d.scope");
	assert_string_equal(paths[1], "machine.slice/libpod-3f2b77aa00.scope");
	assert_string_equal(paths[2], "machine.slice/libpod-conmon-3f2a9c0e1d.scope");
	assert_string_equal(paths[3], "machine.slice/machine-qemu\\x2d3\\x2ddb\\x2d1.scope");
	assert_string_equal(paths[4], "machine.slice/machine-qemu\\x2d4\\x2ddb.scope");
	np_cgroup_paths_free(paths, (unsigned)n);
	/* a star does not cross a slash; deeper levels are walked */
	n = np_cgroup_glob(root, "*/web.service", &paths);
	assert_int_equal(n, 1);
	assert_string_equal(paths[0], "system.slice/web.service");
	np_cgroup_paths_free(paths, (unsigned)n);
	n = np_cgroup_glob(root, "*/*/*/*/editor.service", &paths);
	assert_int_equal(n, 1);
	np_cgroup_paths_free(paths, (unsigned)n);
	paths = NULL;
	assert_int_equal(np_cgroup_glob(root, "nothing/*", &paths), 0);
	assert_null(paths);
	assert_int_equal(np_cgroup_glob(root, "", &paths), -EINVAL);
	snprintf(root, sizeof(root), "%s/sysfs/two-node", FIXTURES);
	assert_true(np_cgroup_glob(root, "*", &paths) < 0);
	np_cgroup_paths_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_spilled),
	    cmocka_unit_test(test_cgroup_glob),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
