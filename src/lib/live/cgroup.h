/*
 * cgroup.h - readers and writers of a cgroup v2 hierarchy, relative to a root directory fd (the
 * live "/" or a tree of plain files holding proc/self/mountinfo and the mount). Private to the
 * library; tests may include it. docs/cgroups.md.
 *
 * Every function returns 0 (or a count) or a negative errno and records a message naming the
 * file or the group (np_last_error()). The errno values a caller words differently:
 * -ENODEV no cgroup2 mount, -EMEDIUMTYPE cgroup v1 only, -EXDEV a path outside the mount (".."
 * or another filesystem), -ELOOP a symlink on the way, -ENOENT a group that is not there (or
 * vanished), -EINVAL the root group or a threaded one, -EOPNOTSUPP the cpuset controller not
 * offered, -EACCES / -EPERM a group this user may not write.
 */
#ifndef NUMAPLACE_CGROUP_H
#define NUMAPLACE_CGROUP_H

#include "internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The mount point of the first cgroup2 line of a mountinfo text, without its leading '/'
 * ("sys/fs/cgroup"; "" when mounted on "/"), octal escapes (\040) undone. Returns 0 and
 * *ret_mount (free()); -ENODEV when there is none, -EMEDIUMTYPE when there are only v1 (cgroup)
 * mounts, -EBADMSG for a line without its " - " separator.
 */
int np__mountinfo_cgroup2(const char *text, char **ret_mount);

/* The same from proc/self/mountinfo under rootfd. */
int np__cgroup_mount_find(int rootfd, char **ret_mount);

/* An open group. np__cgroup_init() / np__cgroup_release(). */
struct np__cgroup {
	int mountfd; /* the mount's directory (-1: closed) */
	int fd;      /* the group's directory (-1: closed) */
	char *mount; /* the mount relative to the root ("sys/fs/cgroup") */
	char *path;  /* the group relative to the mount ("system.slice/x.service"; "" root) */
	uint64_t id; /* the cgroup id: the inode of its directory */
};

void np__cgroup_init(struct np__cgroup *cg);
void np__cgroup_release(struct np__cgroup *cg);

/*
 * Open group `path` below the cgroup2 mount of rootfd: absolute under the mount
 * ("/sys/fs/cgroup/a/b") or relative to it ("a/b", "/a/b" is not: it is outside the mount).
 * Walked one component at a time without following symlinks; ".." and components on another
 * device are refused. Empty components and "." are skipped. `mount`: the mount (NULL: found
 * from mountinfo). Returns 0 with *ret (np__cgroup_init()ed by the caller) filled, else -errno
 * (see above) with *ret untouched.
 */
int np__cgroup_open(int rootfd, const char *mount, const char *path, struct np__cgroup *ret);

/* The group's cgroup.type: 0 domain (or the root), 1 threaded / domain invalid, or -errno. */
int np__cgroup_is_threaded(const struct np__cgroup *cg);

/*
 * Whether the group can be given a cpuset: not the root, not threaded, cpuset offered (in the
 * cgroup.controllers of the first ancestor from the top that does not hand it on), and this caller
 * (real uid) may write the group's cpuset files or, while they do not exist yet, the parent's
 * cgroup.subtree_control. Returns 0 or -errno (see above).
 */
int np__cgroup_check(const struct np__cgroup *cg);

/* memory.current in bytes. */
int np__cgroup_memory_current(const struct np__cgroup *cg, uint64_t *ret_bytes);

/*
 * Parse memory.numa_stat: anon + file per node ("anon N0=4096 N1=0\nfile N0=..."), the other
 * lines checked and skipped. Returns the number of nodes with bytes and *ret_nodes (sorted by
 * node, free()); -EBADMSG / -ERANGE for a malformed text or one without an anon line.
 */
int np__numa_stat_parse(const char *text, struct np_node_bytes **ret_nodes);
int np__cgroup_numa_stat(const struct np__cgroup *cg, struct np_node_bytes **ret_nodes);

/*
 * Parse cpu.max ("QUOTA PERIOD" or "max PERIOD"): the CPUs the quota allows, rounded up
 * (150000 100000 -> 2); 0 for "max". Returns 0 or -EBADMSG / -ERANGE.
 */
int np__cpu_max_parse(const char *text, unsigned *ret_vcpus);
/* cpu.max of the group; 0 also when there is none (the cpu controller not enabled). */
int np__cgroup_cpu_max(const struct np__cgroup *cg, unsigned *ret_vcpus);

/*
 * Parse cpu.stat ("usage_usec N\nuser_usec N\n..."): the CPU time the group and the groups
 * below it used, usage_usec, in microseconds. Returns 0 or -EBADMSG / -ERANGE (a malformed
 * line, no usage_usec or two).
 */
int np__cpu_stat_usage_parse(const char *text, uint64_t *ret_usec);
/* usage_usec of the group's cpu.stat: 1; 0 with 0 when there is none; or -errno. */
int np__cgroup_cpu_usage(const struct np__cgroup *cg, uint64_t *ret_usec);

/* Threads of the group and its descendants (cgroup.threads lines). Returns the count. */
int np__cgroup_threads(const struct np__cgroup *cg);

/* Processes of the group and its descendants (cgroup.procs). Returns the count, *ret_pids. */
int np__cgroup_procs(const struct np__cgroup *cg, pid_t **ret_pids);

/* Read all of file `name` of a group's directory (shared by cgroup.c and cgroup-apply.c). */
int np__cgroup_read(int dirfd, const char *name, char **ret_text);
/*
 * np__cgroup_read() of the open group's file `name`; a failure names it ("cannot read
 * 'PATH/NAME': why", np_last_error()).
 */
int np__cgroup_file(const struct np__cgroup *cg, const char *name, char **ret_text);
/* Whether the space-separated `list` ("cpuset memory pids\n") holds `word`. */
bool np__word_in(const char *list, const char *word);

/* The names users know a group by (cgroup-names.c). */
enum np__cgroup_name {
	NP__CGROUP_UNIT,      /* a systemd unit: NAME (".service" when it has no suffix) */
	NP__CGROUP_CONTAINER, /* a container's ID or a prefix of it */
	NP__CGROUP_VM,        /* a libvirt domain's name */
	NP__CGROUP_GLOB,      /* every group whose path matches an fnmatch(3) pattern */
};

/*
 * The group of `name` below mountfd (relative to it, *ret_path to free()): found by walking
 * the hierarchy (docs/cgroups.md). Returns 0; -ENOENT none, -ENOTUNIQ more than one (the
 * message lists them), -EINVAL a name that cannot be one (a '/', a container ID not in hex).
 */
int np__cgroup_find(int mountfd, enum np__cgroup_name kind, const char *name, char **ret_path);

/* What np__cgroup_apply() changed, so that np__cgroup_revert() can put it back. */
struct np__cgroup_undo {
	unsigned nenabled;
	char **enabled; /* ancestors (relative to the mount) where +cpuset was written, top first */
	unsigned nmemory;
	char **memory;  /* those where +memory was written (np__cgroup_enable()), top first */
	char *old_cpus; /* cpuset.cpus before (NULL: not written) */
	char *old_mems; /* cpuset.mems before (NULL: not written) */
};

void np__cgroup_undo_release(struct np__cgroup_undo *undo);

/*
 * "+controller" in cgroup.subtree_control of every ancestor of the group (the mount's root
 * down to its parent) that lacks it, top first, each noted in *undo (cpuset and memory; the
 * caller reverts). Not offered (not in an ancestor's cgroup.controllers): -EOPNOTSUPP when
 * `required`, else 0 with nothing more written. Returns 0 or -errno.
 */
int np__cgroup_enable(const struct np__cgroup *cg, const char *controller, bool required,
                      struct np__cgroup_undo *undo);

/*
 * Write `text` to file `name` of dirfd in one write ("" as "\n"); `create`: make the file when
 * missing (the files of a group run --scope made in a plain-file tree: on cgroupfs
 * the kernel made them). Returns 0 or -errno; no message.
 */
int np__cgroup_write(int dirfd, const char *name, const char *text, bool create);

/*
 * Remove group `path` (relative to mountfd): rmdir(2); a plain-file tree's directory with its
 * files. Returns 0 or -errno (-EBUSY: it holds a process or a group).
 */
int np__cgroup_remove(int mountfd, const char *path);

/*
 * Give the group a cpuset: +cpuset in cgroup.subtree_control of every ancestor (the mount's
 * root down to the parent) that lacks it, then cpuset.cpus and cpuset.mems (kernel lists). On
 * failure what was changed is put back and -errno returned; on success the cpuset's part of
 * *ret_undo (zeroed by the caller, or holding np__cgroup_enable()'s memory) holds what changed.
 */
int np__cgroup_apply(const struct np__cgroup *cg, const char *cpus, const char *mems,
                     struct np__cgroup_undo *ret_undo);

/*
 * Move the pages of every member (the group and the groups below it) on `from` to `to`
 * (migrate_pages(2)). Returns 0 with *ret_failed the pages the kernel could not move, or -errno
 * (a member gone meanwhile is skipped).
 */
int np__cgroup_migrate(const struct np__cgroup *cg, hwloc_const_nodeset_t from,
                       hwloc_const_nodeset_t to, long *ret_failed);

/*
 * Put back what np__cgroup_apply() and np__cgroup_enable() changed (mems, cpus, then the
 * ancestors bottom up: cpuset, then memory).
 */
int np__cgroup_revert(const struct np__cgroup *cg, struct np__cgroup_undo *undo);

#endif /* NUMAPLACE_CGROUP_H */
