/*
 * place-scope.c - run --scope: the command starts in a cgroup v2 group of its own
 * (docs/cgroups.md, "run --scope").
 *
 * The placement step binds a SELF target here before its affinity and memory policy: the group
 * `<name>.scope` is made below its parent (numaplace.slice by default, made when missing), the
 * ancestors are given +memory (where offered, for memory.numa_stat) and +cpuset, the group its
 * cpuset.cpus and cpuset.mems, and this process is moved into it by writing its pid to the
 * group's cgroup.procs. What follows the exec (every thread, every child) stays inside: a
 * sched_setaffinity() or set_mempolicy() is confined to the cpuset. Everything made is noted,
 * so that a failure before the commit moves the process back to the group it came from
 * (/proc/self/cgroup), removes the group and its parent if made here, and disables what was
 * enabled: the hierarchy is as it was. The ledger removes the group once it holds no process
 * (ledger-probe.c).
 */
#include "cgroup.h"
#include "place.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PARENT "numaplace.slice"
#define NAME_MAX_LEN 64

/* What a SELF target with NP_PLACE_SCOPE holds behind target->group. */
struct scope {
	int rootfd;
	char *mount;  /* the cgroup2 mount below the root ("sys/fs/cgroup") */
	char *origin; /* the group this process was in, relative to the mount ("" the root) */
	char *path;   /* the group made, relative to the mount */
	struct np__cgroup parent;
	struct np__cgroup cg; /* the group made */
	struct np__cgroup_undo undo;
	bool made_parent, made, entered;
};

void np__target_scope_free(struct np_target *t)
{
	struct scope *s = t->group;

	if (s) {
		np__cgroup_undo_release(&s->undo);
		np__cgroup_release(&s->cg);
		np__cgroup_release(&s->parent);
		if (s->rootfd >= 0)
			close(s->rootfd);
		free(s->mount);
		free(s->origin);
		free(s->path);
		free(s);
	}
	t->group = NULL;
	np__target_group_fields_clear(t);
}

/* This process's group from proc/self/cgroup: its "0::/PATH" line, PATH without the '/'. */
static int origin_read(struct scope *s)
{
	char *text = NULL, *line, *end;
	int r = np__cgroup_read(s->rootfd, "proc/self/cgroup", &text);

	if (r < 0) {
		np__set_error("cannot read 'proc/self/cgroup': %s", strerror(-r));
		return r;
	}
	line = strncmp(text, "0::/", 4) == 0 ? text : strstr(text, "\n0::/");
	if (line && *line == '\n')
		line++;
	if (!line) {
		np__set_error("this process is in no cgroup v2 group ('proc/self/cgroup' has no "
		              "0:: line)");
		free(text);
		return -ENODEV;
	}
	line += 4;
	end = strchr(line, '\n');
	s->origin = end ? strndup(line, (size_t)(end - line)) : strdup(line);
	free(text);
	return s->origin ? 0 : -ENOMEM;
}

/* A message for a refused write or mkdir, with what permission it lacked. */
static const char *denied(int r)
{
	return r == -EACCES || r == -EPERM ? " (not root, and not delegated to this user)" : "";
}

/*
 * Open the parent `path`; make it when missing (only its last component: the group it is in
 * must exist).
 */
static int parent_open(struct scope *s, const char *path)
{
	struct np__cgroup above;
	char *copy = NULL, *slash;
	const char *dir = ".", *base;
	int r = np__cgroup_open(s->rootfd, s->mount, path, &s->parent);

	if (r != -ENOENT)
		return r;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = '\0';
	slash = strrchr(copy, '/');
	base = copy;
	if (slash) {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		base = slash + 1;
	}
	np__cgroup_init(&above);
	r = np__cgroup_open(s->rootfd, s->mount, dir, &above);
	if (r == 0 && mkdirat(above.fd, base, 0755) == 0)
		s->made_parent = true;
	else if (r == 0 && errno != EEXIST) /* EEXIST: another launch made it meanwhile */
		r = -errno;
	if (r == 0)
		r = np__cgroup_open(s->rootfd, s->mount, path, &s->parent);
	else if (r == -ENOENT)
		np__set_error("no such group '%s' to make '%s' in", dir, base);
	else if (above.fd >= 0)
		np__set_error("cannot create group '%s%s%s': %s%s", above.path,
		              *above.path ? "/" : "", base, strerror(-r), denied(r));
	np__cgroup_release(&above);
	free(copy);
	return r;
}

/* 1 to 64 characters of [A-Za-z0-9._-], as the ledger's names: safe as a directory name. */
static bool name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       len;
}

/* Make the group below the open parent and open it. */
static int group_make(struct scope *s, const char *name)
{
	char leaf[NAME_MAX_LEN + 32], *path = NULL;

	if (name_ok(name))
		snprintf(leaf, sizeof(leaf), "%s.scope", name);
	else
		snprintf(leaf, sizeof(leaf), "run-%d.scope", (int)getpid());
	if (asprintf(&path, "%s%s%s", s->parent.path, *s->parent.path ? "/" : "", leaf) < 0)
		return -ENOMEM;
	s->path = path;
	if (mkdirat(s->parent.fd, leaf, 0755) < 0) {
		int r = -errno;

		if (r == -EEXIST)
			np__set_error("group '%s' already exists", path);
		else
			np__set_error("cannot create group '%s': %s%s", path, strerror(-r),
			              denied(r));
		return r;
	}
	s->made = true;
	return np__cgroup_open(s->rootfd, s->mount, path, &s->cg);
}

/* Write one file of the new group (made in a plain-file tree, where the kernel made none). */
static int group_write(struct scope *s, const char *file, const char *text)
{
	int r = np__cgroup_write(s->cg.fd, file, text, true);

	if (r < 0)
		np__set_error("cannot write '%s' to '%s/%s': %s%s", text, s->cg.path, file,
		              strerror(-r), denied(r));
	return r;
}

/* The controllers, the cpuset, and this process moved in. */
static int group_fill(struct scope *s, const np_host *h, hwloc_const_nodeset_t nodes,
                      hwloc_const_cpuset_t cpus)
{
	bool has_cpus = cpus && !hwloc_bitmap_iszero(cpus), has_mems = !hwloc_bitmap_iszero(nodes);
	char *c = NULL, *m = NULL, pid[24];
	int r;

	r = np__cgroup_enable(&s->cg, "memory", false, &s->undo);
	if (r == 0 && (has_cpus || has_mems))
		r = np__cgroup_enable(&s->cg, "cpuset", true, &s->undo);
	if (r == 0 && has_cpus)
		r = hwloc_bitmap_list_asprintf(&c, cpus) < 0 ? -ENOMEM
		                                             : group_write(s, "cpuset.cpus", c);
	if (r == 0 && has_mems)
		r = np__group_mems(h, nodes, &m) < 0 ? -ENOMEM : group_write(s, "cpuset.mems", m);
	free(c);
	free(m);
	if (r < 0)
		return r;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	r = np__cgroup_write(s->cg.fd, "cgroup.procs", pid, true);
	if (r < 0) {
		np__set_error("cannot move pid %d into '%s': %s%s", (int)getpid(), s->cg.path,
		              strerror(-r), denied(r));
		return r;
	}
	s->entered = true;
	return 0;
}

int np__target_scope_bind(const np_host *h, struct np_target *t, const struct np_place_req *req,
                          const struct np_apply_req *ap)
{
	hwloc_const_cpuset_t cpus = ap->binding == NP_CPU_BINDING_STRICT ? ap->cpus : NULL;
	struct scope *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	np__cgroup_init(&s->parent);
	np__cgroup_init(&s->cg);
	t->group = s;
	s->rootfd = np__proc_root_open(t->root);
	if (s->rootfd < 0) {
		r = s->rootfd;
		np__set_error("cannot open '%s': %s", t->root ? t->root : "/", strerror(-r));
		goto fail;
	}
	r = np__cgroup_mount_find(s->rootfd, &s->mount);
	if (r == 0)
		r = origin_read(s);
	if (r == 0)
		r = parent_open(s, req->scope_parent ? req->scope_parent : DEFAULT_PARENT);
	if (r == 0 && (r = np__cgroup_is_threaded(&s->parent)) > 0) {
		np__set_error("'%s' is a threaded group: it cannot hold a group of processes",
		              s->parent.path);
		r = -EINVAL;
	}
	if (r == 0)
		r = group_make(s, req->name);
	if (r == 0)
		r = group_fill(s, h, ap->nodes, cpus);
	if (r == 0) {
		t->cgroup_path = strdup(s->cg.path);
		if (!t->cgroup_path || asprintf(&t->cgroup_mount, "/%s", s->mount) < 0) {
			t->cgroup_mount = NULL;
			r = -ENOMEM;
		}
		t->cgroup_id = s->cg.id;
	}
	if (r == 0)
		return 0;
fail:
	np__target_scope_unbind(t);
	return r;
}

int np__target_scope_record(const struct np_target *t, struct np_workload *w)
{
	w->kind = NP_WORKLOAD_SCOPE;
	w->cgroup_id = t->cgroup_id;
	w->cgroup = strdup(t->cgroup_path);
	return w->cgroup ? 0 : -ENOMEM;
}

/* Move this process back to the group it came from. */
static int go_back(struct scope *s)
{
	struct np__cgroup o;
	char pid[24];
	int r;

	if (!s->entered)
		return 0;
	np__cgroup_init(&o);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	r = np__cgroup_open(s->rootfd, s->mount, *s->origin ? s->origin : ".", &o);
	if (r == 0)
		r = np__cgroup_write(o.fd, "cgroup.procs", pid, false);
	np__cgroup_release(&o);
	if (r < 0)
		np__set_error("cannot move pid %d back to '/%s': %s", (int)getpid(), s->origin,
		              strerror(-r));
	else
		s->entered = false;
	return r;
}

/* Remove the group made (this process out of it first). */
static int group_remove(struct scope *s)
{
	int r = go_back(s);

	if (r == 0 && s->made) {
		r = np__cgroup_remove(s->parent.mountfd, s->path);
		if (r < 0)
			np__set_error("cannot remove group '%s': %s", s->path, strerror(-r));
		else
			s->made = false;
	}
	return r;
}

void np__target_scope_unbind(struct np_target *t)
{
	struct scope *s = t->group;

	if (!s)
		return;
	if (group_remove(s) == 0) {
		if (s->cg.mountfd >= 0)
			np__cgroup_revert(&s->cg, &s->undo);
		if (s->made_parent && np__cgroup_remove(s->parent.mountfd, s->parent.path) == 0)
			s->made_parent = false;
	}
	np__target_scope_free(t);
}

int np_target_scope_leave(struct np_target *target)
{
	struct scope *s;
	int r;

	if (!target || target->kind != NP_TARGET_SELF || !target->group)
		return 0;
	s = target->group;
	r = group_remove(s);
	if (r == 0)
		np__target_scope_free(target);
	return r;
}
