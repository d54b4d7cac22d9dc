/*
 * cgroup-names.c - the group of a name users know, found in the hierarchy (never guessed from
 * a naming scheme alone): a systemd unit, a container, a libvirt VM.
 *
 *   unit web.service     a directory named web.service below system.slice or user.slice
 *                        (system.slice/web.service, user.slice/user-1000.slice/
 *                        user@1000.service/app.slice/web.service); "web" means web.service
 *   container 3f2a       libpod-ID.scope (podman), docker-ID.scope, cri-containerd-ID.scope,
 *                        crio-ID.scope, with ID starting with the prefix given
 *   vm db1               libvirt's machine-qemu\x2dN\x2ddb1.scope: "machine-" and the machine
 *                        name "qemu-N-db1" in systemd's escaping ('-' is \x2d)
 *
 * The whole hierarchy is walked (at most MAX_DEPTH deep, symlinks not followed): a unit can sit
 * in any slice. More than one group for a name is an error that lists them. The same walk
 * lists every group whose path matches a pattern (np_cgroup_glob(), the daemon's
 * --adopt-cgroups).
 */
#include "cgroup.h"
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 16
#define MAX_SHOWN 8

static const char *const container_prefixes[] = {"libpod-", "docker-", "cri-containerd-", "crio-"};

struct finder {
	enum np__cgroup_name kind;
	const char *name; /* the unit with its suffix, the ID prefix, the VM's escaped name */
	char **found;
	unsigned nfound;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Whether `base` is a container's group ("libpod-ID.scope") whose ID starts with `prefix`. */
static bool is_container(const char *base, const char *prefix)
{
	size_t n;

	if (!has_suffix(base, ".scope"))
		return false;
	for (unsigned i = 0; i < sizeof(container_prefixes) / sizeof(*container_prefixes); i++) {
		size_t p = strlen(container_prefixes[i]);

		if (strncmp(base, container_prefixes[i], p) ||
		    strncmp(base + p, prefix, strlen(prefix)))
			continue;
		n = strlen(base) - p - strlen(".scope");
		for (size_t k = 0; k < n; k++)
			if (!isxdigit((unsigned char)base[p + k]))
				return false;
		return true;
	}
	return false;
}

/* "machine-qemu\x2d<digits>\x2d<name>.scope" */
static bool is_vm(const char *base, const char *escaped)
{
	static const char head[] = "machine-qemu\\x2d";
	const char *p = base + sizeof(head) - 1;

	if (strncmp(base, head, sizeof(head) - 1) || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (strncmp(p, "\\x2d", 4))
		return false;
	p += 4;
	return strncmp(p, escaped, strlen(escaped)) == 0 &&
	       strcmp(p + strlen(escaped), ".scope") == 0;
}

static int add(struct finder *f, const char *path)
{
	char **a = realloc(f->found, (f->nfound + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	f->found = a;
	if (!(a[f->nfound] = strdup(path)))
		return -ENOMEM;
	f->nfound++;
	return 0;
}

static int match(struct finder *f, const char *path, const char *base)
{
	switch (f->kind) {
	case NP__CGROUP_UNIT:
		if (strcmp(base, f->name) == 0 &&
		    (!strncmp(path, "system.slice/", 13) || !strncmp(path, "user.slice/", 11)))
			return add(f, path);
		return 0;
	case NP__CGROUP_CONTAINER:
		return is_container(base, f->name) ? add(f, path) : 0;
	case NP__CGROUP_VM:
		return is_vm(base, f->name) ? add(f, path) : 0;
	case NP__CGROUP_GLOB:
		return fnmatch(f->name, path, FNM_PATHNAME) == 0 ? add(f, path) : 0;
	}
	return 0;
}

static int walk(struct finder *f, int dirfd, const char *path, unsigned depth)
{
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	if (depth > MAX_DEPTH)
		return 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (r == 0 && (de = readdir(dir))) {
		struct stat st;
		char *sub;
		int sfd;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (asprintf(&sub, "%s%s%s", path, *path ? "/" : "", de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = match(f, sub, de->d_name);
		sfd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (r == 0 && sfd >= 0)
			r = walk(f, sfd, sub, depth + 1);
		if (r == -ENOENT || r == -EACCES)
			r = 0; /* a group removed meanwhile, or one this user may not list */
		if (sfd >= 0)
			close(sfd);
		free(sub);
	}
	closedir(dir);
	return r;
}

/* systemd's escaping of a unit name part: '-' and what is not [A-Za-z0-9_.:] as \xNN. */
static char *escape(const char *name)
{
	char *out = malloc(strlen(name) * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (isalnum(*p) || *p == '_' || *p == '.' || *p == ':')
			*o++ = (char)*p;
		else
			o += sprintf(o, "\\x%02x", *p);
	}
	*o = '\0';
	return out;
}

static const char *const what[] = {"unit", "container", "VM"};

/* The search key for `name`, or NULL with the error set (-EINVAL or -ENOMEM in *err). */
static char *key_of(enum np__cgroup_name kind, const char *name, int *err)
{
	char *key = NULL;

	*err = -EINVAL;
	if (!name || !*name || strchr(name, '/')) {
		np__set_error("'%s' is not a %s name", name ? name : "", what[kind]);
		return NULL;
	}
	if (kind == NP__CGROUP_CONTAINER) {
		for (const char *p = name; *p; p++)
			if (!isxdigit((unsigned char)*p)) {
				np__set_error("'%s' is not a container ID or prefix (hexadecimal)",
				              name);
				return NULL;
			}
		key = strdup(name);
	} else if (kind == NP__CGROUP_UNIT) {
		key = strchr(name, '.') ? strdup(name)
		                        : (asprintf(&key, "%s.service", name) < 0 ? NULL : key);
	} else {
		key = escape(name);
	}
	if (!key)
		*err = -ENOMEM;
	return key;
}

/* "'a', 'b' and 3 more" */
static void matches_error(const struct finder *f, const char *name, enum np__cgroup_name kind)
{
	char list[1024];
	size_t k = 0;

	list[0] = '\0';
	for (unsigned i = 0; i < f->nfound && i < MAX_SHOWN && k < sizeof(list); i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? ", " : "",
		                      f->found[i]);
	if (f->nfound > MAX_SHOWN && k < sizeof(list))
		snprintf(list + k, sizeof(list) - k, " and %u more", f->nfound - MAX_SHOWN);
	np__set_error("%s '%s' is ambiguous: %u groups match (%s)", what[kind], name, f->nfound,
	              list);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int np__cgroup_find(int mountfd, enum np__cgroup_name kind, const char *name, char **ret_path)
{
	struct finder f = {kind, NULL, NULL, 0};
	int r;

	f.name = key_of(kind, name, &r);
	if (!f.name)
		return r;
	r = walk(&f, mountfd, "", 0);
	if (r < 0)
		np__set_error("cannot search the cgroup hierarchy: %s", strerror(-r));
	else if (f.nfound == 0) {
		np__set_error("no %s group for '%s'%s", what[kind], name,
		              kind == NP__CGROUP_UNIT ? " (below system.slice or user.slice)"
		              : kind == NP__CGROUP_CONTAINER
		                  ? " (libpod-, docker-, cri-containerd- or crio-ID.scope)"
		                  : " (machine-qemu\\x2dN\\x2dNAME.scope)");
		r = -ENOENT;
	} else if (f.nfound > 1) {
		if (f.nfound)
		qsort(f.found, f.nfound, sizeof(*f.found), cmp_str);
		matches_error(&f, name, kind);
		r = -ENOTUNIQ;
	} else {
		*ret_path = f.found[0];
		f.found[0] = NULL;
	}
	for (unsigned i = 0; i < f.nfound; i++)
		free(f.found[i]);
	free(f.found);
	free((char *)f.name);
	return r;
}

int np_cgroup_glob(const char *root, const char *glob, char ***ret_paths)
{
	struct finder f = {NP__CGROUP_GLOB, glob, NULL, 0};
	char *mount = NULL;
	int rootfd = -1, fd = -1, r;

	np__clear_error();
	if (!glob || !*glob || !ret_paths) {
		np__set_error("no group pattern given");
		return -EINVAL;
	}
	rootfd = np__proc_root_open(root);
	if (rootfd < 0) {
		np__set_error("cannot open '%s': %s", root ? root : "/", strerror(-rootfd));
		return rootfd;
	}
	r = np__cgroup_mount_find(rootfd, &mount);
	if (r < 0)
		goto out;
	fd = openat(rootfd, *mount ? mount : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		np__set_error("cannot open the cgroup mount '/%s': %s", mount, strerror(-r));
		goto out;
	}
	r = walk(&f, fd, "", 0);
	if (r < 0) {
		np__set_error("cannot search the cgroup hierarchy: %s", strerror(-r));
		goto out;
	}
	if (f.nfound)
		qsort(f.found, f.nfound, sizeof(*f.found), cmp_str);
	*ret_paths = f.found;
	f.found = NULL;
	r = (int)f.nfound;
out:
	np_cgroup_paths_free(f.found, f.nfound);
	if (fd >= 0)
		close(fd);
	close(rootfd);
	free(mount);
	return r;
}

void np_cgroup_paths_free(char **paths, unsigned n)
{
	for (unsigned i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}
