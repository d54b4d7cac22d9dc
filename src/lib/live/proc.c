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
#include <sys/stat.h>
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
	ssize_t r = np__read_at(rootfd, path, MAX_FILE_BYTES, ret_buf);

	return r < 0 ? (int)r : (int)(r > INT_MAX ? INT_MAX : r);
}

int np__parse_u64(const char **p, uint64_t max, uint64_t *ret)
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
	size_t clen;
	uint64_t v;
	int field;

	if (!buf)
		return -EINVAL;
	if (np__parse_u64(&p, INT_MAX, &v) < 0 || v == 0 || p[0] != ' ' || p[1] != '(')
		return -EBADMSG;
	st.pid = (pid_t)v;
	/* comm is whatever the process named itself, ')' and spaces included: the last ')' ends it
	 */
	rparen = strrchr(p, ')');
	if (!rparen || rparen < p + 2 || rparen[1] != ' ')
		return -EBADMSG;
	clen = (size_t)(rparen - (p + 2));
	if (clen >= sizeof(st.comm))
		clen = sizeof(st.comm) - 1;
	memcpy(st.comm, p + 2, clen);
	st.comm[clen] = '\0';
	p = rparen + 2;
	if (!isalpha((unsigned char)p[0]) || p[1] != ' ')
		return -EBADMSG;
	st.state = p[0];
	p += 2;
	/*
	 * Fields 4 .. 22 must be there; 23 (vsize) and 24 (rss) are read when present (every
	 * kernel since 2.6 writes them). Those numaplace does not use are still checked to be
	 * integers.
	 */
	for (field = 4; field <= 24; field++) {
		if (field > 22 && *p != ' ')
			break;
		if (field > 22)
			p++;
		if (*p == '-' && (field == 5 || field == 6 || field == 7 || field == 8 ||
		                  (field >= 16 && field <= 19)))
			p++; /* tty_nr, tpgid, the children's times, priority and nice can be
			        negative */
		if (np__parse_u64(&p, UINT64_MAX, &v) < 0)
			return -EBADMSG;
		switch (field) {
		case 4:
			if (v > INT_MAX)
				return -EBADMSG;
			st.ppid = (pid_t)v;
			break;
		case 9:
			if (v > UINT_MAX)
				return -EBADMSG;
			st.flags = (unsigned)v;
			break;
		case 14:
			st.utime = v;
			break;
		case 15:
			st.stime = v;
			break;
		case 20:
			st.nthreads = v;
			break;
		case 22:
			st.start_time = v;
			break;
		case 24:
			st.rss_pages = v;
			break;
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
	struct np_node_bytes *na;

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
	na = np__grow(*arr, *n, cap, sizeof(**arr), 4);
	if (!na)
		return -ENOMEM;
	*arr = na;
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

			if (np__parse_u64(&q, NP__MAX_NODE_ID, &node) < 0 || *q++ != '=')
				return -EBADMSG;
			r = np__parse_u64(&q, UINT64_MAX, &v);
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

			if (page_kb || np__parse_u64(&q, UINT32_MAX, &page_kb) < 0 || q != p ||
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
	if (np__parse_u64(&p, UINT32_MAX, &uid) < 0)
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
		if (np__parse_u64(&q, INT_MAX, &v) < 0 || *q || v == 0) {
			r = -EBADMSG;
			goto out;
		}
		ntids = np__grow(tids, n, &cap, sizeof(*tids), 16);
		if (!ntids) {
			r = -ENOMEM;
			goto out;
		}
		tids = ntids;
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

/* Fill a public process from its stat line and the owner of its /proc directory. */
static int process_fill(int rootfd, const struct np__proc_stat *st, bool check_cmdline,
                        struct np_process *ret)
{
	struct np_process p;
	struct stat sb;
	char path[64];
	long page = sysconf(_SC_PAGESIZE);
	int k;

	memset(&p, 0, sizeof(p));
	snprintf(path, sizeof(path), "proc/%d", (int)st->pid);
	if (fstatat(rootfd, path, &sb, 0) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	p.pid = st->pid;
	snprintf(p.comm, sizeof(p.comm), "%s", st->comm);
	p.state = st->state;
	p.uid = sb.st_uid;
	p.nthreads = st->nthreads > UINT_MAX ? UINT_MAX : (unsigned)st->nthreads;
	p.start_time = st->start_time;
	p.cpu_ticks = st->utime + st->stime;
	p.rss_bytes = st->rss_pages * (uint64_t)(page > 0 ? page : 4096);
	/* kthreadd (pid 2) and its children are the kernel's, whatever their flags say */
	p.kernel_thread = (st->flags & NP__PF_KTHREAD) || st->pid == 2 || st->ppid == 2;
	if (!p.kernel_thread && check_cmdline) {
		k = np__proc_is_kthread(rootfd, st->pid);
		if (k < 0)
			return k == -ENOENT ? -ESRCH : k;
		p.kernel_thread = k;
	}
	*ret = p;
	return 0;
}

int np_process_read(pid_t pid, struct np_process *ret_process)
{
	struct np__proc_stat st;
	int fd, r;

	if (pid <= 0 || !ret_process)
		return -EINVAL;
	fd = np__proc_root_open(NULL);
	if (fd < 0)
		return fd;
	r = np__proc_stat(fd, pid, &st);
	if (r == -ENOENT)
		r = -ESRCH;
	if (r == 0)
		r = process_fill(fd, &st, true, ret_process);
	close(fd);
	return r;
}

static int cmp_process(const void *a, const void *b)
{
	pid_t x = ((const struct np_process *)a)->pid, y = ((const struct np_process *)b)->pid;

	return (x > y) - (x < y);
}

int np_process_list(struct np_process **ret_list)
{
	struct np_process *list = NULL, *nl;
	unsigned n = 0, cap = 0;
	struct dirent *de;
	DIR *dir = NULL;
	int fd = -1, dfd, r;

	if (!ret_list)
		return -EINVAL;
	fd = np__proc_root_open(NULL);
	if (fd < 0)
		return fd;
	dfd = openat(fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		goto out;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		r = -errno;
		close(dfd);
		goto out;
	}
	while ((errno = 0, de = readdir(dir))) {
		struct np__proc_stat st;
		const char *q = de->d_name;
		uint64_t v;

		if (np__parse_u64(&q, INT_MAX, &v) < 0 || *q || v == 0)
			continue; /* not a process: self, sys, meminfo, ... */
		r = np__proc_stat(fd, (pid_t)v, &st);
		if (r == -ENOENT || r == -ESRCH)
			continue; /* exited since the directory was read */
		if (r < 0)
			goto out;
		nl = np__grow(list, n, &cap, sizeof(*nl), 256);
		if (!nl) {
			r = -ENOMEM;
			goto out;
		}
		list = nl;
		r = process_fill(fd, &st, false, &list[n]);
		if (r == -ESRCH)
			continue;
		if (r < 0)
			goto out;
		n++;
	}
	if (errno) {
		r = -errno;
		goto out;
	}
	if (n > INT_MAX) {
		r = -ERANGE;
		goto out;
	}
	qsort(list, n, sizeof(*list), cmp_process);
	*ret_list = list;
	list = NULL;
	r = (int)n;
out:
	free(list);
	if (dir)
		closedir(dir);
	close(fd);
	return r;
}

int np_process_memory(pid_t pid, struct np_node_bytes **ret_nodes)
{
	int fd, r;

	if (pid <= 0 || !ret_nodes)
		return -EINVAL;
	fd = np__proc_root_open(NULL);
	if (fd < 0)
		return fd;
	r = np__proc_numa_maps(fd, pid, ret_nodes);
	close(fd);
	return r == -ENOENT ? -ESRCH : r;
}

/* Add one "cpuN ..." line to the array. */
static int cpu_line(const char *p, const char *end, struct np_cpu_time **arr, unsigned *n,
                    unsigned *cap)
{
	uint64_t cpu, v[10] = {0}, busy, total;
	struct np_cpu_time *na;
	unsigned k = 0;

	if (np__parse_u64(&p, NP__MAX_CPU_ID, &cpu) < 0)
		return -EBADMSG;
	while (p < end && k < 10) {
		if (*p++ != ' ')
			return -EBADMSG;
		if (np__parse_u64(&p, UINT64_MAX / 16, &v[k]) < 0)
			return -EBADMSG;
		k++;
	}
	if (p != end || k < 4)
		return -EBADMSG;
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	total = busy + v[3] + v[4];
	if (*n && (*arr)[*n - 1].cpu >= cpu)
		return -EBADMSG;
	na = np__grow(*arr, *n, cap, sizeof(**arr), 64);
	if (!na)
		return -ENOMEM;
	*arr = na;
	(*arr)[*n].cpu = (unsigned)cpu;
	(*arr)[*n].busy = busy;
	(*arr)[*n].total = total;
	(*n)++;
	return 0;
}

int np__cpu_stat_parse(const char *buf, struct np_cpu_time **ret_times)
{
	struct np_cpu_time *arr = NULL;
	unsigned n = 0, cap = 0;
	const char *p = buf;
	int r = 0;

	if (!buf || !ret_times)
		return -EINVAL;
	while (*p) {
		const char *end = strchrnul(p, '\n');

		/* "cpu  ..." is the sum of all CPUs; "cpu0 ..." one of them */
		if (!strncmp(p, "cpu", 3) && isdigit((unsigned char)p[3])) {
			r = cpu_line(p + 3, end, &arr, &n, &cap);
			if (r < 0)
				goto out;
		}
		p = *end ? end + 1 : end;
	}
	if (n == 0 || n > INT_MAX) {
		r = -EBADMSG;
		goto out;
	}
	*ret_times = arr;
	arr = NULL;
	r = (int)n;
out:
	free(arr);
	return r;
}

int np_cpu_times(struct np_cpu_time **ret_times)
{
	char *buf = NULL;
	int fd, r;

	if (!ret_times)
		return -EINVAL;
	fd = np__proc_root_open(NULL);
	if (fd < 0)
		return fd;
	r = np__proc_read_file(fd, "proc/stat", &buf);
	close(fd);
	if (r >= 0)
		r = np__cpu_stat_parse(buf, ret_times);
	free(buf);
	return r;
}

int np_process_argv(pid_t pid, char ***ret_argv)
{
	char *buf = NULL, **argv = NULL, *copy;
	size_t argc = 0, k = 0;
	int fd, n, r;

	if (pid <= 0 || !ret_argv)
		return -EINVAL;
	fd = np__proc_root_open(NULL);
	if (fd < 0)
		return fd;
	n = np__proc_cmdline(fd, pid, &buf);
	close(fd);
	if (n < 0)
		return n == -ENOENT ? -ESRCH : n;
	/* a process may rewrite its arguments without the final NUL: count the last one too */
	for (int i = 0; i < n; i++)
		if (buf[i] == '\0' || i == n - 1)
			argc++;
	/* one allocation: the pointers, then the strings */
	argv = malloc((argc + 1) * sizeof(*argv) + (size_t)n + 1);
	if (!argv) {
		r = -ENOMEM;
		goto out;
	}
	copy = (char *)(argv + argc + 1);
	memcpy(copy, buf, (size_t)n);
	copy[n] = '\0';
	for (int i = 0; i < n; i++)
		if (i == 0 || copy[i - 1] == '\0')
			argv[k++] = copy + i;
	argv[k] = NULL;
	*ret_argv = argv;
	argv = NULL;
	r = (int)k;
out:
	free(argv);
	free(buf);
	return r;
}
