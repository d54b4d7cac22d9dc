/*
 * proc.c - readers of /proc/PID relative to a root directory fd, so that the same code reads
 * the live host and a captured or hand-written tree (the tests' fixtures).
 *
 * Parsers are strict: a field that is not what the kernel writes is -EBADMSG, never a guess.
 */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* numa_maps of a process with a very large address space runs to megabytes; refuse beyond. */
#define MAX_FILE_BYTES (256u << 20)

int np__proc_root_open(const char *root)
{
	int fd;

	if (!root || !*root)
		root = "/";
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int np__proc_read_file(int rootfd, const char *path, char **ret_buf)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nbuf;
	int fd = -1, r;

	fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			if (cap >= MAX_FILE_BYTES) {
				r = -EFBIG;
				goto out;
			}
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				r = -ENOMEM;
				goto out;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	buf = NULL;
	r = (int)len;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Parse an unsigned decimal of [*p, end of token) with no sign, bounded by max. */
static int parse_u64(const char **p, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EBADMSG;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

int np__proc_stat_parse(const char *buf, struct np__proc_stat *ret_stat)
{
	struct np__proc_stat st = {0};
	const char *p = buf, *rparen;
	uint64_t v;
	int field;

	if (!buf)
		return -EINVAL;
	if (parse_u64(&p, INT_MAX, &v) < 0 || v == 0 || p[0] != ' ' || p[1] != '(')
		return -EBADMSG;
	st.pid = (pid_t)v;
	/* comm is whatever the process named itself, ')' and spaces included: the last ')' ends it
	 */
	rparen = strrchr(p, ')');
	if (!rparen || rparen < p + 2 || rparen[1] != ' ')
		return -EBADMSG;
	p = rparen + 2;
	if (!isalpha((unsigned char)p[0]) || p[1] != ' ')
		return -EBADMSG;
	st.state = p[0];
	p += 2;
	/* fields 4 .. 22; those numaplace does not use are still checked to be integers */
	for (field = 4; field <= 22; field++) {
		if (*p == '-' && field != 4 && field != 22 && field != 9)
			p++; /* tty_nr, tpgid, priority and nice can be negative */
		if (parse_u64(&p, UINT64_MAX, &v) < 0)
			return -EBADMSG;
		if (field == 4) {
			if (v > INT_MAX)
				return -EBADMSG;
			st.ppid = (pid_t)v;
		} else if (field == 9) {
			if (v > UINT_MAX)
				return -EBADMSG;
			st.flags = (unsigned)v;
		} else if (field == 22) {
			st.start_time = v;
		}
		if (field < 22 && *p++ != ' ')
			return -EBADMSG;
	}
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return -EBADMSG;
	*ret_stat = st;
	return 0;
}

int np__proc_stat(int rootfd, pid_t pid, struct np__proc_stat *ret_stat)
{
	struct np__proc_stat st;
	char path[64], *buf = NULL;
	int r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "proc/%d/stat", (int)pid);
	r = np__proc_read_file(rootfd, path, &buf);
	if (r < 0)
		goto out;
	r = np__proc_stat_parse(buf, &st);
	if (r < 0)
		goto out;
	if (st.pid != pid) {
		r = -EBADMSG;
		goto out;
	}
	*ret_stat = st;
	r = 0;
out:
	free(buf);
	return r;
}

/* Add `bytes` on `node` to the sorted array (*arr, *n, *cap). */
static int add_node_bytes(struct np_node_bytes **arr, unsigned *n, unsigned *cap, unsigned node,
                          uint64_t bytes)
{
	unsigned lo = 0, hi = *n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if ((*arr)[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < *n && (*arr)[lo].node == node) {
		if ((*arr)[lo].bytes > UINT64_MAX - bytes)
			return -ERANGE;
		(*arr)[lo].bytes += bytes;
		return 0;
	}
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 4;
		struct np_node_bytes *na = realloc(*arr, ncap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		*arr = na;
		*cap = ncap;
	}
	memmove(&(*arr)[lo + 1], &(*arr)[lo], (*n - lo) * sizeof(**arr));
	(*arr)[lo].node = node;
	(*arr)[lo].bytes = bytes;
	(*n)++;
	return 0;
}

/*
 * One line of numa_maps: "<hex start> <policy> [token ...]". Tokens are key=value or bare
 * words (heap, stack, huge); file names are escaped by the kernel, so no token holds a space.
 * The page counts N<node>=<pages> come before kernelpagesize_kB=<size>, so a line's counts are
 * held until its page size is known. A line without pages has no page size either.
 */
#define LINE_MAX_NODES 64

static int parse_numa_maps_line(const char *line, const char *end, struct np_node_bytes **arr,
                                unsigned *n, unsigned *cap)
{
	struct np_node_bytes counts[LINE_MAX_NODES];
	unsigned ncounts = 0;
	uint64_t page_kb = 0, v;
	const char *p = line;
	int r;

	if (!isxdigit((unsigned char)*p))
		return -EBADMSG;
	while (p < end && isxdigit((unsigned char)*p))
		p++;
	if (p == end || *p != ' ')
		return -EBADMSG;
	p++;
	if (p == end || *p == ' ')
		return -EBADMSG; /* the policy */
	while (p < end && *p != ' ')
		p++;
	while (p < end) {
		const char *tok;

		if (*p++ != ' ' || p == end || *p == ' ')
			return -EBADMSG;
		tok = p;
		while (p < end && *p != ' ')
			p++;
		if (tok[0] == 'N' && tok + 1 < p && isdigit((unsigned char)tok[1])) {
			const char *q = tok + 1;
			uint64_t node;

			if (parse_u64(&q, NP__MAX_NODE_ID, &node) < 0 || *q++ != '=')
				return -EBADMSG;
			r = parse_u64(&q, UINT64_MAX, &v);
			if (r < 0)
				return r == -ERANGE ? -ERANGE : -EBADMSG;
			if (q != p)
				return -EBADMSG;
			if (ncounts == LINE_MAX_NODES)
				return -EBADMSG;
			counts[ncounts].node = (unsigned)node;
			counts[ncounts].bytes = v;
			ncounts++;
		} else if ((size_t)(p - tok) > 18 && !strncmp(tok, "kernelpagesize_kB=", 18)) {
			const char *q = tok + 18;

			if (page_kb || parse_u64(&q, UINT32_MAX, &page_kb) < 0 || q != p ||
			    page_kb == 0)
				return -EBADMSG;
		}
	}
	if (ncounts && !page_kb)
		return -EBADMSG;
	for (unsigned i = 0; i < ncounts; i++) {
		uint64_t page = page_kb * 1024;

		if (counts[i].bytes > UINT64_MAX / page)
			return -ERANGE;
		r = add_node_bytes(arr, n, cap, counts[i].node, counts[i].bytes * page);
		if (r < 0)
			return r;
	}
	return 0;
}

int np__numa_maps_parse(const char *buf, struct np_node_bytes **ret_nodes)
{
	struct np_node_bytes *arr = NULL;
	unsigned n = 0, cap = 0;
	const char *p = buf;
	int r;

	if (!buf || !ret_nodes)
		return -EINVAL;
	while (*p) {
		const char *end = strchr(p, '\n');

		if (!end)
			end = p + strlen(p); /* a last line without its newline */
		r = parse_numa_maps_line(p, end, &arr, &n, &cap);
		if (r < 0)
			goto out;
		p = *end ? end + 1 : end;
	}
	if (n > INT_MAX) {
		r = -ERANGE;
		goto out;
	}
	*ret_nodes = arr;
	arr = NULL;
	r = (int)n;
out:
	free(arr);
	return r;
}

int np__proc_numa_maps(int rootfd, pid_t pid, struct np_node_bytes **ret_nodes)
{
	char path[64], *buf = NULL;
	int r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "proc/%d/numa_maps", (int)pid);
	r = np__proc_read_file(rootfd, path, &buf);
	if (r >= 0)
		r = np__numa_maps_parse(buf, ret_nodes);
	free(buf);
	return r;
}

int np__proc_may_manage(int rootfd, pid_t pid, uid_t *ret_uid)
{
	char path[64], *buf = NULL;
	const char *p;
	uint64_t uid;
	uid_t me = getuid();
	int r;

	*ret_uid = (uid_t)-1;
	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "proc/%d/status", (int)pid);
	r = np__proc_read_file(rootfd, path, &buf);
	if (r == -ENOENT || r == -ESRCH || r == -ENOMEM)
		goto out;
	if (me == 0) {
		r = 0;
		goto out;
	}
	/* unreadable (hidepid=2 hides other users' processes): not shown to be the caller's */
	r = -EPERM;
	if (!buf)
		goto out;
	p = strstr(buf, "\nUid:\t");
	if (!p)
		goto out;
	p += 6;
	if (parse_u64(&p, UINT32_MAX, &uid) < 0)
		goto out;
	*ret_uid = (uid_t)uid;
	r = (uid_t)uid == me ? 0 : -EPERM;
out:
	free(buf);
	return r;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int np__proc_threads(int rootfd, pid_t pid, pid_t **ret_tids)
{
	pid_t *tids = NULL, *ntids;
	unsigned n = 0, cap = 0;
	struct dirent *de;
	char path[64];
	DIR *dir = NULL;
	int fd, r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "proc/%d/task", (int)pid);
	fd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		goto out;
	}
	while ((errno = 0, de = readdir(dir))) {
		const char *q = de->d_name;
		uint64_t v;

		if (q[0] == '.')
			continue;
		if (parse_u64(&q, INT_MAX, &v) < 0 || *q || v == 0) {
			r = -EBADMSG;
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ntids = realloc(tids, cap * sizeof(*tids));
			if (!ntids) {
				r = -ENOMEM;
				goto out;
			}
			tids = ntids;
		}
		tids[n++] = (pid_t)v;
	}
	if (errno) {
		r = -errno;
		goto out;
	}
	if (n == 0) {
		r = -ENOENT; /* a task directory is never empty while its process lives */
		goto out;
	}
	qsort(tids, n, sizeof(*tids), cmp_pid);
	*ret_tids = tids;
	tids = NULL;
	r = (int)n;
out:
	free(tids);
	if (dir)
		closedir(dir);
	return r;
}

int np__proc_cmdline(int rootfd, pid_t pid, char **ret_buf)
{
	char path[64];

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "proc/%d/cmdline", (int)pid);
	return np__proc_read_file(rootfd, path, ret_buf);
}

int np__proc_is_kthread(int rootfd, pid_t pid)
{
	struct np__proc_stat st;
	char *buf = NULL;
	int r;

	r = np__proc_stat(rootfd, pid, &st);
	if (r < 0)
		return r;
	if (st.flags & NP__PF_KTHREAD)
		return 1;
	/* kernels that do not show PF_KTHREAD: a live task without a command line is the kernel's
	 */
	if (st.state == 'Z' || st.state == 'X')
		return 0;
	r = np__proc_cmdline(rootfd, pid, &buf);
	free(buf);
	if (r < 0)
		return r;
	return r == 0;
}

int np_process_start_time(pid_t pid, uint64_t *ret_start_time)
{
	struct np__proc_stat st;
	int fd, r;

	if (pid < 0 || !ret_start_time)
		return -EINVAL;
	fd = np__proc_root_open(NULL);
	if (fd < 0)
		return fd;
	r = np__proc_stat(fd, pid ? pid : getpid(), &st);
	close(fd);
	if (r == -ENOENT)
		r = -ESRCH;
	if (r == 0)
		*ret_start_time = st.start_time;
	return r;
}
