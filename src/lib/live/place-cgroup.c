/*
 * place-cgroup.c - a cgroup v2 group as a target of the placement step (docs/cgroups.md):
 * how it is read and measured, how its placement is applied (its cpuset), put back, and how
 * the pages that moved are counted (memory.numa_stat before and after).
 */
#include "cgroup.h"
#include "place.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a group target holds behind target->group. */
struct group {
	struct np__cgroup cg;
	struct np__cgroup_undo undo;
	int rootfd;
};

void np__target_group_free(struct np_target *t)
{
	struct group *g = t->group;

	if (!g)
		return;
	np__cgroup_undo_release(&g->undo);
	np__cgroup_release(&g->cg);
	if (g->rootfd >= 0)
		close(g->rootfd);
	free(g);
	t->group = NULL;
	np__target_group_fields_clear(t);
	t->memory_current = 0;
	t->cpu_max_vcpus = 0;
	t->cpu_usage_usec = 0;
	t->threads = 0;
	t->nprocs = 0;
}

/*
 * A file of an open group that is not there (-ENOENT), or one opened before the group was
 * removed (-ENODEV: kernfs refuses reads and writes on a removed node): the group was removed
 * after it was opened (rmdir takes its files with it). Said so, with the file the reader
 * named, as -ENOENT.
 */
static int removed(int r, const char *while_)
{
	char why[256];

	if (r != -ENOENT && r != -ENODEV)
		return r;
	r = -ENOENT;
	snprintf(why, sizeof(why), "%s", np_last_error() ? np_last_error() : "");
	np__set_error("the group was removed while being %s (%s)", while_,
	              *why ? why : strerror(ENOENT));
	return r;
}

/* The measurements of an open, checked group. */
static int measure_group(struct np_target *t, struct group *g)
{
	pid_t *pids = NULL;
	int r;

	r = np__cgroup_memory_current(&g->cg, &t->memory_current);
	if (r < 0)
		return r;
	r = np__cgroup_numa_stat(&g->cg, &t->resident);
	if (r < 0) {
		t->resident = NULL;
		return r;
	}
	t->nresident = r;
	r = np__cgroup_cpu_max(&g->cg, &t->cpu_max_vcpus);
	if (r < 0)
		return r;
	r = np__cgroup_cpu_usage(&g->cg, &t->cpu_usage_usec);
	if (r < 0)
		return r;
	r = np__cgroup_threads(&g->cg);
	if (r < 0)
		return r;
	t->threads = (unsigned)r;
	r = np__cgroup_procs(&g->cg, &pids);
	free(pids);
	if (r < 0)
		return r;
	t->nprocs = (unsigned)r;
	return 0;
}

/* Open the group t->cgroup names: a path, or a name found in the hierarchy. */
static int open_group(struct np_target *t, struct group *g)
{
	static const enum np__cgroup_name kinds[] = {
	    [NP_GROUP_UNIT] = NP__CGROUP_UNIT,
	    [NP_GROUP_CONTAINER] = NP__CGROUP_CONTAINER,
	    [NP_GROUP_VM] = NP__CGROUP_VM,
	};
	char *mount = NULL, *path = NULL;
	int fd = -1, r;

	if (t->cgroup_name == NP_GROUP_PATH)
		return np__cgroup_open(g->rootfd, NULL, t->cgroup, &g->cg);
	if ((unsigned)t->cgroup_name > NP_GROUP_VM)
		return -EINVAL;
	r = np__cgroup_mount_find(g->rootfd, &mount);
	if (r < 0)
		return r;
	fd = openat(g->rootfd, *mount ? mount : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		np__set_error("cannot open the cgroup mount '/%s': %s", mount, strerror(-r));
		goto out;
	}
	r = np__cgroup_find(fd, kinds[t->cgroup_name], t->cgroup, &path);
	if (r == 0)
		r = np__cgroup_open(g->rootfd, mount, path, &g->cg);
out:
	if (fd >= 0)
		close(fd);
	free(mount);
	free(path);
	return r;
}

int np__target_group_read(struct np_target *t)
{
	struct group *g;
	int r;

	if (!t->cgroup || !*t->cgroup) {
		np__set_error("no group given");
		return -EINVAL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	np__cgroup_init(&g->cg);
	t->group = g;
	g->rootfd = np__proc_root_open(t->root);
	if (g->rootfd < 0) {
		r = g->rootfd;
		np__set_error("cannot open '%s': %s", t->root ? t->root : "/", strerror(-r));
		return r;
	}
	r = open_group(t, g);
	if (r < 0)
		return r;
	t->cgroup_path = strdup(g->cg.path);
	if (!t->cgroup_path || asprintf(&t->cgroup_mount, "/%s", g->cg.mount) < 0) {
		t->cgroup_mount = NULL;
		return -ENOMEM;
	}
	t->cgroup_id = g->cg.id;
	r = np__cgroup_check(&g->cg);
	if (r == 0)
		r = measure_group(t, g);
	return removed(r, "read");
}

int np__group_mems(const np_host *h, hwloc_const_nodeset_t nodes, char **ret)
{
	hwloc_bitmap_t mems = hwloc_bitmap_alloc();
	int r = mems ? np_host_memory_nodes(h, nodes, mems) : -ENOMEM;

	if (r == 0 && hwloc_bitmap_list_asprintf(ret, mems) < 0)
		r = -ENOMEM;
	hwloc_bitmap_free(mems);
	return r;
}

int np__target_group_bind(const np_host *h, struct np_target *t, hwloc_const_nodeset_t nodes,
                          hwloc_const_cpuset_t cpus)
{
	struct group *g = t->group;
	char *c = NULL, *m = NULL;
	int r = -ENOMEM;

	if (!g)
		return -EINVAL;
	if (hwloc_bitmap_list_asprintf(&c, cpus) >= 0 && np__group_mems(h, nodes, &m) == 0)
		r = removed(np__cgroup_apply(&g->cg, c, m, &g->undo), "placed");
	free(c);
	free(m);
	return r;
}

void np__target_group_unbind(struct np_target *t)
{
	struct group *g = t->group;

	if (!g)
		return;
	np__cgroup_revert(&g->cg, &g->undo);
	np__cgroup_undo_release(&g->undo);
}

void np__target_group_migration(const np_host *h, const struct np_target *t,
                                hwloc_const_nodeset_t nodes, struct np_migration *m)
{
	struct group *g = t->group;
	hwloc_bitmap_t to = hwloc_bitmap_alloc(), from = hwloc_bitmap_alloc();
	char *mems = NULL;

	m->done = 1;
	if (!to || !from || !g || np__group_mems(h, nodes, &mems) < 0 ||
	    hwloc_bitmap_list_sscanf(to, mems) < 0) {
		m->err = -ENOMEM;
		goto out;
	}
	m->to_move = np__bytes_off(t->resident, t->nresident, to);
	for (int i = 0; i < t->nresident; i++)
		if (t->resident[i].bytes && !hwloc_bitmap_isset(to, t->resident[i].node))
			hwloc_bitmap_set(from, t->resident[i].node);
	if (!hwloc_bitmap_iszero(from) &&
	    (m->err = removed(np__cgroup_migrate(&g->cg, from, to, &m->kernel_failed), "placed")) <
	        0)
		goto out;
	np__migration_after(m, removed(np__cgroup_numa_stat(&g->cg, &m->after), "placed"), to);
out:
	free(mems);
	hwloc_bitmap_free(to);
	hwloc_bitmap_free(from);
}
