/*
 * test-cgroup-place.c - a cgroup v2 group as a placement's target, on a copy of the tree of
 * plain files (tests/fixtures/cgroup): read as a target, placed (dry run, recorded, removed
 * meanwhile), and found by the names users know (units, containers, VMs). The readers and
 * writers themselves are test-cgroup.c's.
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

/* A copy of the fixture tree (cgtree.h: copy). */
static int setup_copy(void **state)
{
	(void)state;
	return cgtree_copy(TREE, "np-cgroup-place");
}

static int teardown_copy(void **state)
{
	(void)state;
	return cgtree_remove();
}

/* Four nodes of 4 CPUs and 8 GiB; node 2 has the most free. */
static np_host *host4(void)
{
	hwloc_bitmap_t c[4];
	struct np_node_spec n[4];
	np_host *h = NULL;
	uint64_t gib = 1ull << 30, free_gib[4] = {1, 1, 6, 2};

	for (unsigned i = 0; i < 4; i++) {
		c[i] = hwloc_bitmap_alloc();
		hwloc_bitmap_set_range(c[i], (int)(4 * i), (int)(4 * i + 3));
		n[i] = (struct np_node_spec){.id = i,
		                             .cpus = c[i],
		                             .memory_bytes = 8 * gib,
		                             .free_bytes = free_gib[i] * gib};
	}
	assert_int_equal(np_host_build(4, n, NULL, &h), 0);
	for (unsigned i = 0; i < 4; i++)
		hwloc_bitmap_free(c[i]);
	return h;
}

static void group_target(struct np_target *t, const char *path)
{
	np_target_init(t);
	t->kind = NP_TARGET_CGROUP;
	t->cgroup = path;
	t->root = copy;
}

/* A group read as a target: its identity and measurements; refusals named. */
static void test_target_read(void **state)
{
	struct np_target t;
	char full[PATH_MAX * 2];
	struct stat st;

	(void)state;
	group_target(&t, "/sys/fs/cgroup/system.slice/web.service");
	assert_int_equal(np_target_read(&t), 0);
	assert_string_equal(t.cgroup_path, "system.slice/web.service");
	assert_string_equal(t.cgroup_mount, "/sys/fs/cgroup");
	snprintf(full, sizeof(full), "%s/sys/fs/cgroup/system.slice/web.service", copy);
	assert_int_equal(stat(full, &st), 0);
	assert_int_equal(t.cgroup_id, (uint64_t)st.st_ino);
	assert_int_equal(t.memory_current, 14680064);
	assert_int_equal(t.nresident, 3);
	assert_int_equal(t.resident[2].node, 3);
	assert_int_equal(t.cpu_max_vcpus, 2);
	assert_int_equal(t.threads, 5);
	assert_int_equal(t.nprocs, 3);
	np_target_release(&t);
	assert_null(t.cgroup_path);
	assert_null(t.group);
	assert_string_equal(t.cgroup, "/sys/fs/cgroup/system.slice/web.service");

	group_target(&t, "threaded");
	assert_int_equal(np_target_read(&t), -EINVAL);
	np_target_release(&t);
	group_target(&t, "link/web.service");
	assert_int_equal(np_target_read(&t), -ELOOP);
	np_target_release(&t);
	group_target(&t, "system.slice/gone.service");
	assert_int_equal(np_target_read(&t), -ENOENT);
	assert_string_equal(np_last_error(), "no such group");
	np_target_release(&t);
	group_target(&t, "machine.slice");
	t.root = FIXTURES "/sysfs/two-node"; /* no proc/self/mountinfo */
	assert_int_equal(np_target_read(&t), -ENOENT);
	np_target_release(&t);
}

/* A dry run measures and chooses, and writes nothing. */
static void test_place_dry_run(void **state)
{
	np_host *h = host4();
	struct np_target t;
	struct np_place_req req;
	struct np_placement p;
	hwloc_bitmap_t two = hwloc_bitmap_alloc();

	(void)state;
	group_target(&t, "system.slice/web.service");
	np_place_req_init(&req);
	req.request.vcpus = 0; /* measured */
	req.flags = NP_PLACE_DRY_RUN | NP_PLACE_MEASURE_MEMORY;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.fit, NP_PLACE_FITS);
	assert_int_equal(p.applied, 0);
	assert_int_equal(p.memory_bytes, 14680064); /* memory.current */
	assert_int_equal(p.vcpus, 2);               /* cpu.max 150000 100000 */
	assert_int_equal(p.threads, 5);
	assert_int_equal(hwloc_bitmap_weight(p.nodes), 1);
	/* what would move: all of it but what is on the chosen node already */
	assert_true(p.migration.to_move == 14680064 - (hwloc_bitmap_isset(p.nodes, 0)   ? 9437184
	                                               : hwloc_bitmap_isset(p.nodes, 1) ? 2097152
	                                               : hwloc_bitmap_isset(p.nodes, 3) ? 3145728
	                                                                                : 0));
	np_placement_release(&p);
	/* nodes given: node 2, nothing of the group there */
	hwloc_bitmap_set(two, 2);
	req.nodes = two;
	np_placement_init(&p);
	assert_int_equal(np_place(h, NULL, &t, &req, &p), 0);
	assert_int_equal(p.migration.to_move, 14680064);
	assert_int_equal(hwloc_bitmap_first(p.cpus), 8);
	assert_int_equal(hwloc_bitmap_last(p.cpus), 11);
	np_placement_release(&p);
	file_is("system.slice/cgroup.subtree_control", "cpu memory pids\n");
	file_is("system.slice/web.service/cpuset.cpus", "");
	file_is("system.slice/web.service/cpuset.mems", "");
	np_target_release(&t);
	hwloc_bitmap_free(two);
	np_host_free(h);
}

/* The live workloads of the ledger, and the one named `name` (NULL when none). */
static const struct np_workload *live_named(np_ledger *l, const char *name,
                                            struct np_workload **list, int *n)
{
	*n = np_ledger_list(l, 0, list);
	assert_true(*n >= 0);
	for (int i = 0; i < *n; i++)
		if (!strcmp((*list)[i].name, name))
			return &(*list)[i];
	return NULL;
}

/*
 * The copy's groups hold no process: a placement applied on the copy then moves no pages of
 * a process of this machine that happens to have a pid the fixture names.
 */
static void no_members(void)
{
	char cmd[PATH_MAX * 2 + 64];

	snprintf(cmd, sizeof(cmd), "find '%s' -name cgroup.procs -exec sh -c ': >\"$1\"' _ {} ';'",
	         copy);
	assert_int_equal(system(cmd), 0);
}

/*
 * Applied and recorded: the group's row holds its kind, path and cgroup id; placed again it is
 * a move of the same row; a group removed is pruned ("group removed"), and one made again
 * under the same path is another group ("group recreated"), never the old claim.
 */
static void test_place_records(void **state)
{
	np_host *h = host4();
	struct np_target t;
	struct np_place_req req;
	struct np_placement p;
	struct np_ledger_opts o;
	struct np_workload *list = NULL, *all = NULL;
	const struct np_workload *w;
	np_ledger *l = NULL;
	char dir[PATH_MAX * 2], from[PATH_MAX + 64], to[PATH_MAX + 72], cmd[PATH_MAX * 6];
	uint64_t id;
	int n;

	(void)state;
	no_members();
	snprintf(dir, sizeof(dir), "%s/state", copy);
	np_ledger_opts_init(&o);
	o.cgroup_root = copy;
	assert_int_equal(np_ledger_open(dir, &o, &l), 0);
	group_target(&t, "web.service");
	t.cgroup_name = NP_GROUP_UNIT;
	np_place_req_init(&req);
	req.request.vcpus = 0; /* cpu.max's */
	req.flags = NP_PLACE_MEASURE_MEMORY;
	np_placement_init(&p);
	assert_int_equal(np_place(h, l, &t, &req, &p), 0);
	assert_int_equal(p.applied, 1);
	assert_int_equal(p.moved, 0);
	assert_string_equal(p.name, "web.service");
	id = t.cgroup_id;
	assert_true(id > 0);
	np_placement_release(&p);
	w = live_named(l, "web.service", &list, &n);
	assert_non_null(w);
	assert_int_equal(w->kind, NP_WORKLOAD_UNIT);
	assert_int_equal(w->pid, 0);
	assert_string_equal(w->cgroup, "system.slice/web.service");
	assert_int_equal(w->cgroup_id, id);
	assert_int_equal(w->vcpus, 2);
	assert_true(np_node_bytes_sum(w->claimed, w->nclaimed) == 14680064);
	np_workloads_free(list, (unsigned)n);

	/* again: a move of the same row, which keeps its name */
	np_target_release(&t);
	group_target(&t, "system.slice/web.service");
	np_placement_init(&p);
	assert_int_equal(np_place(h, l, &t, &req, &p), 0);
	assert_int_equal(p.moved, 1);
	np_placement_release(&p);
	w = live_named(l, "web.service", &list, &n);
	assert_non_null(w);
	assert_int_equal(n, 1);
	assert_int_equal(w->moves, 1);
	np_workloads_free(list, (unsigned)n);

	/* made again under the same path: another inode, another group */
	snprintf(from, sizeof(from), "%s/sys/fs/cgroup/system.slice/web.service", copy);
	snprintf(to, sizeof(to), "%s.old", from);
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s' && rm -rf '%s' && cp -a '%s' '%s'", from, to,
	         from, to, from);
	assert_int_equal(system(cmd), 0);
	w = live_named(l, "web.service", &list, &n);
	assert_null(w);
	np_workloads_free(list, (unsigned)n);
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &all);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].end_reason, "group recreated");
	np_workloads_free(all, (unsigned)n);

	/* placed again: a new claim; then removed: pruned */
	np_target_release(&t);
	group_target(&t, "system.slice/web.service");
	np_placement_init(&p);
	assert_int_equal(np_place(h, l, &t, &req, &p), 0);
	assert_int_equal(p.moved, 0);
	np_placement_release(&p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", from);
	assert_int_equal(system(cmd), 0);
	w = live_named(l, "web.service", &list, &n);
	assert_null(w);
	np_workloads_free(list, (unsigned)n);
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &all);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].end_reason, "group recreated");
	assert_string_equal(all[1].end_reason, "group removed");
	np_workloads_free(all, (unsigned)n);
	np_target_release(&t);
	np_ledger_close(l);
	np_host_free(h);
}

/*
 * The group removed between its read and the cpuset write (rmdir by another process): the
 * placement fails at the bind step naming why, records nothing, and leaves the ancestors as
 * they were (cpuset handed on already: nothing to enable or put back).
 */
static void test_place_vanished(void **state)
{
	np_host *h = host4();
	struct np_target t;
	struct np_place_req req;
	struct np_placement p;
	struct np_ledger_opts o;
	struct np_workload *all = NULL;
	np_ledger *l = NULL;
	char dir[PATH_MAX * 2], cmd[PATH_MAX * 2 + 16];
	int n;

	(void)state;
	no_members();
	cgtree_put("system.slice/cgroup.subtree_control", "cpuset cpu memory pids\n");
	snprintf(dir, sizeof(dir), "%s/state", copy);
	np_ledger_opts_init(&o);
	o.cgroup_root = copy;
	assert_int_equal(np_ledger_open(dir, &o, &l), 0);
	group_target(&t, "system.slice/web.service");
	assert_int_equal(np_target_read(&t), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys/fs/cgroup/system.slice/web.service'", copy);
	assert_int_equal(system(cmd), 0);
	np_place_req_init(&req);
	req.request.vcpus = 0;
	req.flags = NP_PLACE_MEASURE_MEMORY;
	np_placement_init(&p);
	assert_int_equal(np_place(h, l, &t, &req, &p), -ENOENT);
	assert_int_equal(p.failed, NP_PLACE_STEP_BIND);
	assert_int_equal(p.applied, 0);
	assert_string_equal(np_last_error(),
	                    "the group was removed while being placed (cannot read "
	                    "'system.slice/web.service/cpuset.cpus': No such file or directory)");
	np_placement_release(&p);
	file_is("cgroup.subtree_control", "cpuset cpu memory pids\n");
	file_is("system.slice/cgroup.subtree_control", "cpuset cpu memory pids\n");
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &all);
	assert_int_equal(n, 0);
	np_workloads_free(all, 0);
	np_target_release(&t);
	np_ledger_close(l);
	np_host_free(h);
}

/* Find `name` of `kind` in the fixture; expect `err`, or the path `want`. */
static void finds(enum np__cgroup_name kind, const char *name, int err, const char *want)
{
	int fd = open(TREE "/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
	char *path = NULL;

	assert_true(fd >= 0);
	assert_int_equal(np__cgroup_find(fd, kind, name, &path), err);
	if (want)
		assert_string_equal(path, want);
	else
		assert_null(path);
	free(path);
	close(fd);
}

static void test_find_names(void **state)
{
	(void)state;
	finds(NP__CGROUP_UNIT, "web.service", 0, "system.slice/web.service");
	finds(NP__CGROUP_UNIT, "web", 0, "system.slice/web.service");
	finds(NP__CGROUP_UNIT, "editor.service", 0,
	      "user.slice/user-1000.slice/user@1000.service/app.slice/editor.service");
	finds(NP__CGROUP_UNIT, "user@1000.service", 0,
	      "user.slice/user-1000.slice/user@1000.service");
	finds(NP__CGROUP_UNIT, "nope.service", -ENOENT, NULL);
	assert_string_equal(np_last_error(), "no unit group for 'nope.service' (below "
	                                     "system.slice or user.slice)");
	finds(NP__CGROUP_UNIT, "machine.slice", -ENOENT, NULL); /* not below the two slices */
	finds(NP__CGROUP_UNIT, "system.slice/web.service", -EINVAL, NULL);
	finds(NP__CGROUP_UNIT, "", -EINVAL, NULL);
	/* podman, docker, containerd (in a kubepods slice), CRI-O; conmon's scope is not one */
	finds(NP__CGROUP_CONTAINER, "3f2a", 0, "machine.slice/libpod-3f2a9c0e1d.scope");
	finds(NP__CGROUP_CONTAINER, "3f2a9c0e1d", 0, "machine.slice/libpod-3f2a9c0e1d.scope");
	finds(NP__CGROUP_CONTAINER, "abc", 0, "system.slice/docker-abcdef0123.scope");
	finds(NP__CGROUP_CONTAINER, "0bad", 0,
	      "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
	      "cri-containerd-0badc0de.scope");
	finds(NP__CGROUP_CONTAINER, "dead", 0, "system.slice/crio-deadbeef.scope");
	finds(NP__CGROUP_CONTAINER, "3f2", -ENOTUNIQ, NULL);
	assert_string_equal(np_last_error(), "container '3f2' is ambiguous: 2 groups match "
	                                     "(machine.slice/libpod-3f2a9c0e1d.scope, "
	                                     "machine.slice/libpod-3f2b77aa00.scope)");
	finds(NP__CGROUP_CONTAINER, "ffff", -ENOENT, NULL);
	finds(NP__CGROUP_CONTAINER, "conmon", -EINVAL, NULL);
	assert_string_equal(np_last_error(),
	                    "'conmon' is not a container ID or prefix (hexadecimal)");
	/* a VM named with a '-' is escaped; "db" is not "db-1" */
	finds(NP__CGROUP_VM, "db-1", 0, "machine.slice/machine-qemu\\x2d3\\x2ddb\\x2d1.scope");
	finds(NP__CGROUP_VM, "db", 0, "machine.slice/machine-qemu\\x2d4\\x2ddb.scope");
	finds(NP__CGROUP_VM, "d", -ENOENT, NULL);
	assert_string_equal(np_last_error(),
	                    "no VM group for 'd' (machine-qemu\\x2dN\\x2dNAME.scope)");
}

/* A target named by its unit, container or VM. */
static void test_target_names(void **state)
{
	struct np_target t;

	(void)state;
	group_target(&t, "web");
	t.cgroup_name = NP_GROUP_UNIT;
	assert_int_equal(np_target_read(&t), 0);
	assert_string_equal(t.cgroup_path, "system.slice/web.service");
	assert_int_equal(t.memory_current, 14680064);
	np_target_release(&t);
	group_target(&t, "3f2");
	t.cgroup_name = NP_GROUP_CONTAINER;
	assert_int_equal(np_target_read(&t), -ENOTUNIQ);
	np_target_release(&t);
	group_target(&t, "web");
	t.cgroup_name = NP_GROUP_VM;
	assert_int_equal(np_target_read(&t), -ENOENT);
	np_target_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_target_read, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_place_dry_run, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_place_records, setup_copy, teardown_copy),
	    cmocka_unit_test_setup_teardown(test_place_vanished, setup_copy, teardown_copy),
	    cmocka_unit_test(test_find_names),
	    cmocka_unit_test_setup_teardown(test_target_names, setup_copy, teardown_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
