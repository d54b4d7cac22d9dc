/*
 * cgroup.c - readers and writers of a cgroup v2 hierarchy relative to a root directory fd, so
 * that the same code works on the live host and on a tree of plain files (the unit tests).
 *
 * A group is opened once, one path component at a time from the mount's directory, and every
 * later read and write goes through that directory fd: a group renamed or replaced after it was
 * opened is not silently swapped for another, and a symlink or ".." cannot lead outside the
 * mount. The cgroup id is the inode of the group's directory (what the kernel reports as the
 * cgroup id on cgroup2), so a group removed and created again under its name is a new one.
 */
#include "cgroup.h"
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES (4u << 20)
#define MAX_DEPTH 64
#define MAX_NODES 65536

int np__cgroup_read(int dirfd, const char *name, char **ret_text)
{
	ssize_t r = np__read_at(dirfd, name, MAX_FILE_BYTES, ret_text);

	return r < 0 ? (int)r : 0;
}

int np__cgroup_file(const struct np__cgroup *cg, const char *name, char **ret_text)
{
	int r = np__cgroup_read(cg->fd, name, ret_text);

	if (r < 0)
		np__set_error("cannot read '%s/%s': %s", cg->path, name, strerror(-r));
	return r;
}

/* Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ =
			    (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/*
 * One mountinfo line: "36 35 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw".
 * Field 5 is the mount point; the filesystem type is the first word after " - ".
 */
static int mountinfo_line(const char *line, size_t len, const char **ret_point, size_t *ret_plen,
                          const char **ret_type, size_t *ret_tlen)
{
	const char *p = line, *end = line + len, *sep, *t;
	int field;

	for (field = 1; field < 5; field++) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (!p)
			return -EBADMSG;
		p++;
	}
	t = memchr(p, ' ', (size_t)(end - p));
	if (!t || t == p)
		return -EBADMSG;
	*ret_point = p;
	*ret_plen = (size_t)(t - p);
	for (sep = t; sep + 3 <= end; sep++)
		if (sep[0] == ' ' && sep[1] == '-' && sep[2] == ' ')
			break;
	if (sep + 3 > end)
		return -EBADMSG;
	p = sep + 3;
	t = memchr(p, ' ', (size_t)(end - p));
	*ret_type = p;
	*ret_tlen = t ? (size_t)(t - p) : (size_t)(end - p);
	return 0;
}

int np__mountinfo_cgroup2(const char *text, char **ret_mount)
{
	const char *line = text, *point, *type;
	size_t plen, tlen;
	bool v1 = false;
	char *m;
	int r;

	if (!text)
		return -EINVAL;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len) {
			r = mountinfo_line(line, len, &point, &plen, &type, &tlen);
			if (r < 0)
				return r;
			if (tlen == 7 && !memcmp(type, "cgroup2", 7)) {
				while (plen && *point == '/')
					point++, plen--;
				m = unescape(point, plen);
				if (!m)
					return -ENOMEM;
				*ret_mount = m;
				return 0;
			}
			if (tlen == 6 && !memcmp(type, "cgroup", 6))
				v1 = true;
		}
		line += len + (nl ? 1 : 0);
	}
	return v1 ? -EMEDIUMTYPE : -ENODEV;
}

int np__cgroup_mount_find(int rootfd, char **ret_mount)
{
	char *text = NULL;
	int r;

	r = np__cgroup_read(rootfd, "proc/self/mountinfo", &text);
	if (r < 0) {
		np__set_error("cannot read 'proc/self/mountinfo': %s", strerror(-r));
		return r;
	}
	r = np__mountinfo_cgroup2(text, ret_mount);
	if (r == -ENODEV)
		np__set_error("no cgroup2 filesystem is mounted (proc/self/mountinfo)");
	else if (r == -EMEDIUMTYPE)
		np__set_error("only cgroup v1 is mounted: placing a group needs the cgroup2 "
		              "hierarchy");
	else if (r == -EBADMSG)
		np__set_error("cannot parse 'proc/self/mountinfo'");
	free(text);
	return r;
}

void np__cgroup_init(struct np__cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->mountfd = -1;
	cg->fd = -1;
}

void np__cgroup_release(struct np__cgroup *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	if (cg->mountfd >= 0)
		close(cg->mountfd);
	free(cg->mount);
	free(cg->path);
	np__cgroup_init(cg);
}

/* The part of `path` below the mount, or NULL when an absolute path is not under it. */
static const char *below_mount(const char *path, const char *mount)
{
	size_t mlen = strlen(mount);

	if (path[0] != '/')
		return path;
	while (*path == '/')
		path++;
	if (!mlen)
		return path;
	if (strncmp(path, mount, mlen) || (path[mlen] && path[mlen] != '/'))
		return NULL;
	return path + mlen;
}

/* Open one component below dirfd, refusing symlinks and other filesystems. */
static int step(int dirfd, const char *comp, dev_t dev)
{
	struct stat st;
	int fd, e;

	fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP ||
		    (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))) {
			np__set_error("'%s' is a symlink", comp);
			return -ELOOP;
		}
		if (e == ENOENT)
			np__set_error("no such group");
		else
			np__set_error("'%s': %s", comp, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || st.st_dev != dev) {
		close(fd);
		np__set_error("'%s' is outside the cgroup mount (another filesystem)", comp);
		return -EXDEV;
	}
	return fd;
}

/* Walk `rel` below mountfd. Returns the group's fd and *ret_path (canonical), or -errno. */
static int walk(int mountfd, const char *rel, char **ret_path)
{
	char *copy = strdup(rel), *canon = calloc(1, strlen(rel) + 1), *save = NULL, *comp;
	struct stat st;
	int fd = -1, nfd, r;

	if (!copy || !canon) {
		r = -ENOMEM;
		goto out;
	}
	fd = dup(mountfd);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			np__set_error("'..' is not allowed (outside the cgroup mount)");
			r = -EXDEV;
			goto out;
		}
		nfd = step(fd, comp, st.st_dev);
		if (nfd < 0) {
			r = nfd;
			goto out;
		}
		close(fd);
		fd = nfd;
		if (*canon)
			strcat(canon, "/");
		strcat(canon, comp);
	}
	*ret_path = canon;
	canon = NULL;
	r = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	free(canon);
	return r;
}

int np__cgroup_open(int rootfd, const char *mount, const char *path, struct np__cgroup *ret)
{
	struct np__cgroup cg;
	const char *rel;
	struct stat st;
	int r;

	if (!path || !*path)
		return -EINVAL;
	np__cgroup_init(&cg);
	if (mount)
		cg.mount = strdup(mount);
	else if ((r = np__cgroup_mount_find(rootfd, &cg.mount)) < 0)
		goto fail;
	if (!cg.mount) {
		r = -ENOMEM;
		goto fail;
	}
	rel = below_mount(path, cg.mount);
	if (!rel) {
		np__set_error("outside the cgroup mount /%s", cg.mount);
		r = -EXDEV;
		goto fail;
	}
	cg.mountfd = openat(rootfd, *cg.mount ? cg.mount : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg.mountfd < 0) {
		r = -errno;
		np__set_error("cannot open the cgroup mount '/%s': %s", cg.mount, strerror(-r));
		goto fail;
	}
	r = walk(cg.mountfd, rel, &cg.path);
	if (r < 0)
		goto fail;
	cg.fd = r;
	if (fstat(cg.fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	cg.id = (uint64_t)st.st_ino;
	*ret = cg;
	return 0;
fail:
	np__cgroup_release(&cg);
	return r;
}

/* Whether the space-separated `list` holds `word`. */
bool np__word_in(const char *list, const char *word)
{
	size_t wlen = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		bool start = p == list || isspace((unsigned char)p[-1]);
		bool end = !p[wlen] || isspace((unsigned char)p[wlen]);

		if (start && end)
			return true;
		p += wlen;
	}
	return false;
}

int np__cgroup_is_threaded(const struct np__cgroup *cg)
{
	char *text = NULL;
	int r;

	if (!*cg->path)
		return 0;
	r = np__cgroup_file(cg, "cgroup.type", &text);
	if (r < 0)
		return r;
	r = strncmp(text, "domain", 6) || !strncmp(text, "domain invalid", 14) ? 1 : 0;
	free(text);
	return r;
}

/* The parent's directory: the mount's for a top-level group. */
static int parent_open(const struct np__cgroup *cg)
{
	const char *slash = strrchr(cg->path, '/');
	char *dir;
	int fd;

	if (!slash) {
		fd = fcntl(cg->mountfd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	dir = strndup(cg->path, (size_t)(slash - cg->path));
	if (!dir)
		return -ENOMEM;
	fd = openat(cg->mountfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(dir);
	return fd < 0 ? -errno : fd;
}

/*
 * Whether ancestor `dir` ("" the mount's root) leads cpuset on: 1 it hands it on already, 0 it
 * offers it (in cgroup.controllers: np__cgroup_apply() enables it here and below), or
 * -EOPNOTSUPP. A child offers what its parent hands on, so the first ancestor from the top
 * that does not hand cpuset on decides.
 */
static int offers_cpuset(const struct np__cgroup *cg, const char *dir)
{
	char *text = NULL;
	int fd, r;

	fd = openat(cg->mountfd, *dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = np__cgroup_read(fd, "cgroup.subtree_control", &text);
	if (r == 0 && np__word_in(text, "cpuset"))
		r = 1;
	free(text);
	text = NULL;
	if (r == 0) {
		r = np__cgroup_read(fd, "cgroup.controllers", &text);
		if (r == 0 && !np__word_in(text, "cpuset"))
			r = -EOPNOTSUPP;
		free(text);
	}
	close(fd);
	if (r == -EOPNOTSUPP)
		np__set_error("the cpuset controller is not available (not in the "
		              "cgroup.controllers of %s%s)",
		              *dir ? "group " : "the root group", dir);
	else if (r < 0)
		np__set_error("cannot read the controllers of '%s': %s", *dir ? dir : "/",
		              strerror(-r));
	return r;
}

static int check_cpuset(const struct np__cgroup *cg)
{
	char *dir = strdup(cg->path), *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	r = offers_cpuset(cg, "");
	for (slash = strchr(dir, '/'); r == 1 && slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		r = offers_cpuset(cg, dir);
		*slash = '/';
	}
	free(dir);
	return r < 0 ? r : 0;
}

/* This caller may write what np__cgroup_apply() writes. */
static int check_parent(const struct np__cgroup *cg, int pfd)
{
	int r = check_cpuset(cg);

	if (r < 0)
		return r;
	if (faccessat(cg->fd, "cpuset.cpus", F_OK, 0) == 0)
		r = faccessat(cg->fd, "cpuset.cpus", W_OK, 0) ||
		            faccessat(cg->fd, "cpuset.mems", W_OK, 0)
		        ? -errno
		        : 0;
	else
		r = faccessat(pfd, "cgroup.subtree_control", W_OK, 0) ? -errno : 0;
	if (r < 0)
		np__set_error("permission denied (not root, and not delegated to this user)");
	return r;
}

int np__cgroup_check(const struct np__cgroup *cg)
{
	int pfd, r;

	if (!*cg->path) {
		np__set_error("the root group cannot be placed");
		return -EINVAL;
	}
	r = np__cgroup_is_threaded(cg);
	if (r < 0)
		return r;
	if (r) {
		np__set_error(
		    "it is a threaded group (a cpuset is set on the domain group above it)");
		return -EINVAL;
	}
	pfd = parent_open(cg);
	if (pfd < 0) {
		np__set_error("cannot open its parent: %s", strerror(-pfd));
		return pfd;
	}
	r = check_parent(cg, pfd);
	close(pfd);
	return r;
}

/* A number alone on the text ("123\n"). */
static int parse_only(const char *text, uint64_t *ret)
{
	const char *p = text;
	uint64_t v;
	int r = np__parse_u64(&p, UINT64_MAX, &v);

	if (r < 0)
		return r;
	if (*p == '\n')
		p++;
	if (*p)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int np__cgroup_memory_current(const struct np__cgroup *cg, uint64_t *ret_bytes)
{
	char *text = NULL;
	uint64_t v;
	int r;

	r = np__cgroup_file(cg, "memory.current", &text);
	if (r < 0)
		return r;
	r = parse_only(text, &v);
	free(text);
	if (r < 0) {
		np__set_error("cannot parse '%s/memory.current'", cg->path);
		return r;
	}
	*ret_bytes = v;
	return 0;
}

/* Add `bytes` to node `node` of the sorted array (*nodes, *n). */
static int add_node(struct np_node_bytes **nodes, unsigned *n, unsigned node, uint64_t bytes)
{
	struct np_node_bytes *a;
	unsigned i;

	for (i = 0; i < *n && (*nodes)[i].node < node; i++)
		;
	if (i < *n && (*nodes)[i].node == node) {
		if ((*nodes)[i].bytes > UINT64_MAX - bytes)
			return -ERANGE;
		(*nodes)[i].bytes += bytes;
		return 0;
	}
	a = realloc(*nodes, (*n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	memmove(a + i + 1, a + i, (*n - i) * sizeof(*a));
	a[i].node = node;
	a[i].bytes = bytes;
	*nodes = a;
	(*n)++;
	return 0;
}

/* One numa_stat line after its key: " N0=4096 N1=0"; counted into nodes when `keep`. */
static int stat_line(const char *p, const char *end, bool keep, struct np_node_bytes **nodes,
                     unsigned *n)
{
	uint64_t node, bytes;
	int r;

	while (p < end) {
		if (p[0] != ' ' || p[1] != 'N')
			return -EBADMSG;
		p += 2;
		if ((r = np__parse_u64(&p, MAX_NODES - 1, &node)) < 0)
			return r;
		if (*p++ != '=')
			return -EBADMSG;
		if ((r = np__parse_u64(&p, UINT64_MAX, &bytes)) < 0)
			return r;
		if (p < end && *p != ' ')
			return -EBADMSG;
		if (keep && bytes && (r = add_node(nodes, n, (unsigned)node, bytes)) < 0)
			return r;
	}
	return 0;
}

int np__numa_stat_parse(const char *text, struct np_node_bytes **ret_nodes)
{
	struct np_node_bytes *nodes = NULL;
	const char *line = text;
	bool anon = false;
	unsigned n = 0;
	int r = 0;

	if (!text)
		return -EINVAL;
	while (*line) {
		const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
		const char *key = line;
		bool keep;

		while (line < end && (isalnum((unsigned char)*line) || *line == '_'))
			line++;
		if (line == key) {
			r = -EBADMSG;
			goto out;
		}
		keep = (line - key == 4 && (!memcmp(key, "anon", 4) || !memcmp(key, "file", 4)));
		anon |= line - key == 4 && !memcmp(key, "anon", 4);
		r = stat_line(line, end, keep, &nodes, &n);
		if (r < 0)
			goto out;
		line = nl ? nl + 1 : end;
	}
	if (!anon) {
		r = -EBADMSG;
		goto out;
	}
	*ret_nodes = nodes;
	nodes = NULL;
	r = (int)n;
out:
	free(nodes);
	return r;
}

int np__cgroup_numa_stat(const struct np__cgroup *cg, struct np_node_bytes **ret_nodes)
{
	char *text = NULL;
	int r;

	r = np__cgroup_file(cg, "memory.numa_stat", &text);
	if (r < 0)
		return r;
	r = np__numa_stat_parse(text, ret_nodes);
	free(text);
	if (r < 0 && r != -ENOMEM)
		np__set_error("cannot parse '%s/memory.numa_stat'", cg->path);
	return r;
}

/* Ids listed one a line in `name` of dirfd and of every group below it, appended to ids. */
static int collect(int dirfd, const char *name, unsigned depth, pid_t **ids, unsigned *n)
{
	char *text = NULL, *line;
	struct dirent *de;
	DIR *dir = NULL;
	int r, fd;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	if ((r = np__cgroup_read(dirfd, name, &text)) < 0)
		return r;
	for (line = text; *line;) {
		const char *p = line;
		uint64_t v;
		pid_t *a;

		if ((r = np__parse_u64(&p, INT_MAX, &v)) < 0 || *p != '\n' || v == 0) {
			r = r < 0 ? r : -EBADMSG;
			goto out;
		}
		if (!(a = realloc(*ids, (*n + 1) * sizeof(*a)))) {
			r = -ENOMEM;
			goto out;
		}
		*ids = a;
		a[(*n)++] = (pid_t)v;
		line = (char *)p + 1;
	}
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	r = 0;
	while (r == 0 && (de = readdir(dir))) {
		struct stat st;
		int sub;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		r = collect(sub, name, depth + 1, ids, n);
		if (r == -ENOENT)
			r = 0;
		close(sub);
	}
out:
	if (dir)
		closedir(dir);
	free(text);
	return r;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int list_ids(const struct np__cgroup *cg, const char *name, pid_t **ret_ids)
{
	pid_t *ids = NULL;
	unsigned n = 0;
	int r;

	r = collect(cg->fd, name, 0, &ids, &n);
	if (r < 0) {
		free(ids);
		np__set_error("cannot read '%s/%s': %s", cg->path, name, strerror(-r));
		return r;
	}
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_pid);
	*ret_ids = ids;
	return (int)n;
}

int np__cgroup_threads(const struct np__cgroup *cg)
{
	pid_t *ids = NULL;
	int r = list_ids(cg, "cgroup.threads", &ids);

	free(ids);
	return r;
}

int np__cgroup_procs(const struct np__cgroup *cg, pid_t **ret_pids)
{
	return list_ids(cg, "cgroup.procs", ret_pids);
}
