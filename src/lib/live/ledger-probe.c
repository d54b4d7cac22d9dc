/*
 * ledger-probe.c - np_ledger_open(): the ledger with a probe that reads /proc below the
 * options' proc_root. The ledger stores claims; whether a claim's process still runs (its
 * start time, field 22 of /proc/PID/stat), how much it has resident (numa_maps) and whose it
 * is (status) are read here, in the live layer.
 */
#include "proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc_probe {
	int rootfd; /* holds proc/ */
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

static void proc_release(void *arg)
{
	struct proc_probe *p = arg;

	if (!p)
		return;
	if (p->rootfd >= 0)
		close(p->rootfd);
	free(p);
}

int np_ledger_open(const char *dir, const struct np_ledger_opts *opts, np_ledger **ret_ledger)
{
	struct np__ledger_probe probe = {proc_liveness, proc_resident, proc_may_manage,
	                                 proc_release, NULL};
	const char *root = opts ? opts->proc_root : NULL;
	struct proc_probe *p;
	int r;

	np__clear_error();
	if (!dir || !*dir || !ret_ledger)
		return -EINVAL;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->rootfd = np__proc_root_open(root);
	if (p->rootfd < 0) {
		r = p->rootfd;
		np__set_error("cannot open '%s': %s", root ? root : "/", strerror(-r));
		free(p);
		return r;
	}
	probe.arg = p;
	r = np__ledger_open(dir, opts, &probe, ret_ledger);
	if (r < 0)
		proc_release(p);
	return r;
}
