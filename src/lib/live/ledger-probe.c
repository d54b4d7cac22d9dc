/*
 * ledger-probe.c - np_ledger_open(): the ledger with a probe that reads /proc below the
 * options' proc_root. The ledger stores claims; whether a claim's process still runs (its
 * start time, field 22 of /proc/PID/stat), how much it has resident (numa_maps) and whose it
 * is (status) are read here, in the live layer; for a claim on a cgroup v2 group, whether the
 * group is still the one recorded (its directory's inode), its memory.numa_stat and whose it
 * is, below the options' cgroup_root.
 */
#include "cgroup.h"
#include "proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct proc_probe {
	int rootfd;   /* holds proc/ */
	int cgrootfd; /* holds proc/self/mountinfo and the cgroup2 mount (-1: not opened yet) */
	char *cgroot; /* its path (NULL: "/") */
	char *mount;  /* the cgroup2 mount below it, once found */
};

/*
 * A process that is gone or a zombie has exited; one with another start time is another
 * process that was given the same pid. A stat that cannot be read is no evidence: the claim
 * stays.
 */
static int proc_liveness(void *arg, pid_t pid, uint64_t start_time)
{
	const struct proc_probe *p = arg;
	struct np__proc_stat ps;
	int r = np__proc_stat(p->rootfd, pid, &ps);

	if (r == -ENOENT || r == -ESRCH)
		return NP__EXITED;
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return NP__ALIVE;
	if (ps.start_time != start_time)
		return NP__PID_REUSED;
	if (ps.state == 'Z' || ps.state == 'X')
		return NP__EXITED; /* its memory is already given back */
	return NP__ALIVE;
}

static int proc_resident(void *arg, pid_t pid, struct np_node_bytes **ret_nodes)
{
	const struct proc_probe *p = arg;

	return np__proc_numa_maps(p->rootfd, pid, ret_nodes);
}

static int proc_may_manage(void *arg, pid_t pid, uid_t *ret_uid)
{
	const struct proc_probe *p = arg;

	return np__proc_may_manage(p->rootfd, pid, ret_uid);
}

/*
 * Open a recorded group. Returns 0; -ENOENT when it is gone (or the hierarchy is: no cgroup2
 * mount any more); other -errno: no evidence either way.
 */
static int group_open(struct proc_probe *p, const char *path, struct np__cgroup *cg)
{
	int r;

	if (p->cgrootfd < 0) {
		p->cgrootfd = np__proc_root_open(p->cgroot);
		if (p->cgrootfd < 0)
			return p->cgrootfd == -ENOENT ? -EIO : p->cgrootfd;
	}
	if (!p->mount) {
		r = np__cgroup_mount_find(p->cgrootfd, &p->mount);
		if (r < 0)
			return r == -ENODEV || r == -EMEDIUMTYPE ? -ENOENT : r;
	}
	np__cgroup_init(cg);
	return np__cgroup_open(p->cgrootfd, p->mount, path, cg);
}

/*
 * A group that is gone has ended; one of another id was made again under the same path. A run
 * --scope group with no process left has ended too, and its directory is removed here (the
 * kernel refuses while it holds a process or a child group: then it stays, and so does the
 * claim).
 */
static int group_liveness(void *arg, const char *path, uint64_t id, bool scope)
{
	struct proc_probe *p = arg;
	struct np__cgroup cg;
	char *events = NULL;
	int r = group_open(p, path, &cg);

	if (r == -ENOENT)
		return NP__EXITED;
	if (r < 0)
		return r == -ENOMEM ? r : NP__ALIVE;
	if (cg.id != id) {
		r = NP__GROUP_RECREATED;
	} else if (scope && np__cgroup_read(cg.fd, "cgroup.events", &events) == 0 &&
	           (!strncmp(events, "populated 0", 11) || strstr(events, "\npopulated 0"))) {
		int e = np__cgroup_remove(cg.mountfd, cg.path);

		r = e == 0 || e == -ENOENT ? NP__EXITED : NP__ALIVE;
	} else {
		r = NP__ALIVE;
	}
	free(events);
	np__cgroup_release(&cg);
	return r;
}

static int group_resident(void *arg, const char *path, struct np_node_bytes **ret_nodes)
{
	struct np__cgroup cg;
	int r = group_open(arg, path, &cg);

	if (r < 0)
		return r;
	r = np__cgroup_numa_stat(&cg, ret_nodes);
	np__cgroup_release(&cg);
	return r;
}

/* Root, or the user the group's directory belongs to (a delegated group). */
static int group_may_manage(void *arg, const char *path, uid_t *ret_uid)
{
	struct np__cgroup cg;
	struct stat st;
	int r = group_open(arg, path, &cg);

	*ret_uid = (uid_t)-1;
	if (r < 0)
		return r == -ENOMEM || r == -ENOENT ? r : -EPERM;
	r = fstat(cg.fd, &st) < 0 ? -EPERM : 0;
	if (r == 0 && getuid() != 0 && st.st_uid != getuid()) {
		*ret_uid = st.st_uid;
		r = -EPERM;
	}
	np__cgroup_release(&cg);
	return r;
}

/* A run --scope group forgotten: removed unless a process is still in it (or below it). */
static int group_remove(void *arg, const char *path, uint64_t id)
{
	struct np__cgroup cg;
	pid_t *pids = NULL;
	int r = group_open(arg, path, &cg);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (cg.id != id)
		r = 0; /* another group made under its path since: not the scope's */
	else if ((r = np__cgroup_procs(&cg, &pids)) > 0)
		r = -EBUSY;
	else if (r == 0 && (r = np__cgroup_remove(cg.mountfd, cg.path)) == -ENOENT)
		r = 0;
	free(pids);
	np__cgroup_release(&cg);
	return r;
}

static void proc_release(void *arg)
{
	struct proc_probe *p = arg;

	if (!p)
		return;
	if (p->rootfd >= 0)
		close(p->rootfd);
	if (p->cgrootfd >= 0)
		close(p->cgrootfd);
	free(p->cgroot);
	free(p->mount);
	free(p);
}

int np_ledger_open(const char *dir, const struct np_ledger_opts *opts, np_ledger **ret_ledger)
{
	struct np__ledger_probe probe = {
	    .liveness = proc_liveness,
	    .resident = proc_resident,
	    .may_manage = proc_may_manage,
	    .group_liveness = group_liveness,
	    .group_resident = group_resident,
	    .group_may_manage = group_may_manage,
	    .group_remove = group_remove,
	    .release = proc_release,
	};
	const char *root = opts ? opts->proc_root : NULL;
	const char *cgroot = opts ? opts->cgroup_root : NULL;
	struct proc_probe *p;
	int r;

	np__clear_error();
	if (!dir || !*dir || !ret_ledger)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cgrootfd = -1;
	if (cgroot && !(p->cgroot = strdup(cgroot))) {
		free(p);
		return -ENOMEM;
	}
	p->rootfd = np__proc_root_open(root);
	if (p->rootfd < 0) {
		r = p->rootfd;
		np__set_error("cannot open '%s': %s", root ? root : "/", strerror(-r));
		free(p->cgroot);
		free(p);
		return r;
	}
	probe.arg = p;
	r = np__ledger_open(dir, opts, &probe, ret_ledger);
	if (r < 0)
		proc_release(p);
	return r;
}
