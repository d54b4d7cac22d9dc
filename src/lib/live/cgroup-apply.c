/*
 * cgroup-apply.c - giving a group its cpuset, and taking it back.
 *
 * The kernel offers a controller's files in a group only when its parent lists the controller
 * in cgroup.subtree_control, and a parent can list only what its own parent does: for group
 * a/b/c, "+cpuset" goes into the subtree_control of the mount's root, of a and of a/b, top
 * first, wherever it is missing. Then cpuset.cpus and cpuset.mems are written; in cgroup v2
 * the second migrates the members' pages. Whatever was changed is remembered, so that a
 * failure half-way (or a caller's own, later) puts the hierarchy back as it was: mems, cpus,
 * then the ancestors bottom up (a parent cannot drop a controller its child still hands on).
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void np__cgroup_undo_release(struct np__cgroup_undo *undo)
{
	unsigned i;

	for (i = 0; i < undo->nenabled; i++)
		free(undo->enabled[i]);
	free(undo->enabled);
	for (i = 0; i < undo->nmemory; i++)
		free(undo->memory[i]);
	free(undo->memory);
	free(undo->old_cpus);
	free(undo->old_mems);
	memset(undo, 0, sizeof(*undo));
}

/*
 * Write `text` to `name` of dirfd in one write. An empty value is written as "\n" (the kernel
 * strips it: the group inherits its parent's set again), since a write of no bytes may never
 * reach the kernel's handler.
 */
int np__cgroup_write(int dirfd, const char *name, const char *text, bool create)
{
	const char *t = *text ? text : "\n";
	size_t len = strlen(t);
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, name,
	            O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0644);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, t, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int write_in(int dirfd, const char *name, const char *text)
{
	return np__cgroup_write(dirfd, name, text, false);
}

/* The value of a cpuset file without its newline. */
static int read_value(const struct np__cgroup *cg, const char *name, char **ret_value)
{
	char *text = NULL;
	size_t len;
	int r;

	r = np__cgroup_file(cg, name, &text);
	if (r < 0)
		return r;
	len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	*ret_value = text;
	return 0;
}

/* Where np__cgroup_enable() notes the ancestors it enabled `controller` in. */
static void undo_list(struct np__cgroup_undo *undo, const char *controller, char ****ret_list,
                      unsigned **ret_n)
{
	bool memory = !strcmp(controller, "memory");

	*ret_list = memory ? &undo->memory : &undo->enabled;
	*ret_n = memory ? &undo->nmemory : &undo->nenabled;
}

/*
 * Ancestor `dir` ("" the mount's root) hands `controller` on; enabled here when it did not.
 * Returns 0, 1 when it is not offered here and not `required` (nothing written), or -errno.
 */
static int enable_in(const struct np__cgroup *cg, const char *dir, const char *controller,
                     bool required, struct np__cgroup_undo *undo)
{
	const char *shown = *dir ? dir : "/";
	char *text = NULL, *copy = NULL, **a, ***list, word[32];
	unsigned *n;
	int fd, r;

	undo_list(undo, controller, &list, &n);
	fd = *dir ? openat(cg->mountfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
	          : fcntl(cg->mountfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		np__set_error("cannot open group '%s': %s", shown, strerror(-r));
		return r;
	}
	r = np__cgroup_read(fd, "cgroup.subtree_control", &text);
	if (r < 0) {
		np__set_error("cannot read '%s/cgroup.subtree_control': %s", shown, strerror(-r));
		goto out;
	}
	if (np__word_in(text, controller))
		goto out;
	free(text);
	text = NULL;
	r = np__cgroup_read(fd, "cgroup.controllers", &text);
	if (r < 0 || !np__word_in(text, controller)) {
		r = 1;
		if (required) {
			np__set_error("the %s controller is not available in group '%s' (not in "
			              "its cgroup.controllers)",
			              controller, shown);
			r = -EOPNOTSUPP;
		}
		goto out;
	}
	copy = strdup(dir);
	a = realloc(*list, (*n + 1) * sizeof(*a));
	if (!copy || !a) {
		if (a)
			*list = a;
		r = -ENOMEM;
		goto out;
	}
	*list = a;
	snprintf(word, sizeof(word), "+%s", controller);
	r = write_in(fd, "cgroup.subtree_control", word);
	if (r < 0) {
		np__set_error("cannot enable %s in '%s/cgroup.subtree_control': %s", controller,
		              shown, strerror(-r));
		goto out;
	}
	a[(*n)++] = copy;
	copy = NULL;
out:
	free(copy);
	free(text);
	close(fd);
	return r;
}

int np__cgroup_enable(const struct np__cgroup *cg, const char *controller, bool required,
                      struct np__cgroup_undo *undo)
{
	char *dir = strdup(cg->path), *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	r = enable_in(cg, "", controller, required, undo);
	for (slash = strchr(dir, '/'); r == 0 && slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		r = enable_in(cg, dir, controller, required, undo);
		*slash = '/';
	}
	free(dir);
	return r < 0 ? r : 0;
}

/* Write one cpuset file, keeping its value before in *ret_old. */
static int set_value(const struct np__cgroup *cg, const char *name, const char *value,
                     char **ret_old)
{
	char *old = NULL;
	int r;

	r = read_value(cg, name, &old);
	if (r < 0)
		return r;
	r = write_in(cg->fd, name, value);
	if (r < 0) {
		np__set_error("cannot write '%s' to '%s/%s': %s", value, cg->path, name,
		              strerror(-r));
		free(old);
		return r;
	}
	*ret_old = old;
	return 0;
}

int np__cgroup_apply(const struct np__cgroup *cg, const char *cpus, const char *mems,
                     struct np__cgroup_undo *ret_undo)
{
	struct np__cgroup_undo undo = {0};
	int r;

	if (!*cg->path) {
		np__set_error("the root group cannot be placed");
		return -EINVAL;
	}
	r = np__cgroup_enable(cg, "cpuset", true, &undo);
	if (r == 0)
		r = set_value(cg, "cpuset.cpus", cpus, &undo.old_cpus);
	if (r == 0)
		r = set_value(cg, "cpuset.mems", mems, &undo.old_mems);
	if (r < 0) {
		np__cgroup_revert(cg, &undo);
		np__cgroup_undo_release(&undo);
		return r;
	}
	/* the cpuset's part: what np__cgroup_enable() noted of memory stays */
	ret_undo->nenabled = undo.nenabled;
	ret_undo->enabled = undo.enabled;
	ret_undo->old_cpus = undo.old_cpus;
	ret_undo->old_mems = undo.old_mems;
	return 0;
}

/* Write "-controller" to the subtree_control of the ancestors in `dirs`, bottom up. */
static int disable_in(const struct np__cgroup *cg, char **dirs, unsigned n, const char *word)
{
	int r = 0, e;

	for (unsigned i = n; i-- > 0;) {
		const char *dir = dirs[i];
		int fd =
		    *dir ? openat(cg->mountfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		         : fcntl(cg->mountfd, F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			r = r ? r : -errno;
			continue;
		}
		if ((e = write_in(fd, "cgroup.subtree_control", word)) < 0)
			r = r ? r : e;
		close(fd);
	}
	return r;
}

int np__cgroup_revert(const struct np__cgroup *cg, struct np__cgroup_undo *undo)
{
	int r = 0, e;

	if (undo->old_mems && (e = write_in(cg->fd, "cpuset.mems", undo->old_mems)) < 0)
		r = r ? r : e;
	if (undo->old_cpus && (e = write_in(cg->fd, "cpuset.cpus", undo->old_cpus)) < 0)
		r = r ? r : e;
	if ((e = disable_in(cg, undo->enabled, undo->nenabled, "-cpuset")) < 0)
		r = r ? r : e;
	if ((e = disable_in(cg, undo->memory, undo->nmemory, "-memory")) < 0)
		r = r ? r : e;
	return r;
}

/*
 * On cgroupfs a group's directory is removed with its files (the kernel's, which cannot be
 * unlinked); rmdir(2) fails with EBUSY while it holds a process or a group. ENOTEMPTY comes
 * only from an ordinary directory, a plain-file tree standing for the hierarchy: its files are
 * removed, then the directory.
 */
int np__cgroup_remove(int mountfd, const char *path)
{
	struct dirent *de;
	DIR *dir;
	int fd, r;

	if (unlinkat(mountfd, path, AT_REMOVEDIR) == 0)
		return 0;
	if (errno != ENOTEMPTY)
		return -errno;
	fd = openat(mountfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fd, de->d_name, 0); /* a directory stays, and so does this one */
	closedir(dir);
	return unlinkat(mountfd, path, AT_REMOVEDIR) == 0 ? 0 : -errno;
}

/*
 * Writing cpuset.mems keeps every new page on the group's nodes, but whether the kernel moves
 * the pages already elsewhere cannot be relied on: in the vm suite's guests (Debian's cloud
 * kernel, a freshly enabled cpuset) the write moved all of 96 MiB on node 0 to node 6 of one
 * topology and none of 96 MiB on nodes 0 and 1 to node 3 of another. So the pages of every
 * member outside `to` are moved here with migrate_pages(2), as place --pid moves a process's;
 * what the kernel moved already is not moved twice.
 */
int np__cgroup_migrate(const struct np__cgroup *cg, hwloc_const_nodeset_t from,
                       hwloc_const_nodeset_t to, long *ret_failed)
{
	pid_t *pids = NULL;
	long failed = 0;
	int n, r = 0;

	n = np__cgroup_procs(cg, &pids);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		long k = np_migrate(pids[i], from, to);

		if (k == -ESRCH)
			continue; /* exited meanwhile */
		if (k < 0) {
			np__set_error("cannot move the pages of pid %d of '%s': %s", (int)pids[i],
			              cg->path, strerror((int)-k));
			r = (int)k;
			break;
		}
		failed += k;
	}
	free(pids);
	if (r == 0)
		*ret_failed = failed;
	return r;
}
