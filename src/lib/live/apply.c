/*
 * apply.c - making a placement real: CPU affinity and memory policy.
 *
 * Raw system calls rather than hwloc's binding: a `numaplace run` snapshot comes from
 * NP_HOST_FAST and has no hwloc topology, and the calls below are all hwloc would make.
 * The memory policy system calls are made through syscall(2) and not libnuma's wrappers so
 * that nothing of libnuma (whose constructor reads /proc and /sys) runs on the launch path.
 * Migration (place --pid, the daemon) is off that path: migrate_pages(2).
 */
#include "proc.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif

#define ULONG_BITS (8 * sizeof(unsigned long))

static const char *const policy_names[NP_MEM_POLICY_COUNT_] = {
    [NP_MEM_POLICY_DEFAULT] = "default", [NP_MEM_POLICY_PREFERRED] = "preferred",
    [NP_MEM_POLICY_BIND] = "bind",       [NP_MEM_POLICY_INTERLEAVE] = "interleave",
    [NP_MEM_POLICY_NONE] = "none",
};

const char *np_mem_policy_name(enum np_mem_policy p)
{
	return (unsigned)p < NP_MEM_POLICY_COUNT_ ? policy_names[p] : NULL;
}

int np_mem_policy_parse(const char *name, enum np_mem_policy *ret_policy)
{
	if (!name || !ret_policy)
		return -EINVAL;
	for (unsigned i = 0; i < NP_MEM_POLICY_COUNT_; i++)
		if (!strcmp(name, policy_names[i])) {
			*ret_policy = (enum np_mem_policy)i;
			return 0;
		}
	return -EINVAL;
}

int np__set_affinity(pid_t tid, hwloc_const_cpuset_t cpus)
{
	int last = hwloc_bitmap_last(cpus), cpu, r = 0;
	cpu_set_t *set;
	size_t size;

	if (last < 0)
		return -EINVAL; /* empty or infinite */
	set = CPU_ALLOC((size_t)last + 1);
	if (!set)
		return -ENOMEM;
	size = CPU_ALLOC_SIZE((size_t)last + 1);
	CPU_ZERO_S(size, set);
	hwloc_bitmap_foreach_begin(cpu, cpus)
	{
		CPU_SET_S((size_t)cpu, size, set);
	}
	hwloc_bitmap_foreach_end();
	if (sched_setaffinity(tid, size, set) < 0)
		r = -errno;
	CPU_FREE(set);
	return r;
}

static bool tid_seen(const pid_t *done, unsigned n, pid_t tid)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (done[mid] == tid)
			return true;
		if (done[mid] < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* A process that keeps starting threads faster than they can be bound is refused after this. */
#define MAX_AFFINITY_PASSES 100

/*
 * Every thread of a running process. A thread started while this runs inherits the affinity of
 * the thread that created it, which may not be bound yet: the task list is read again until a
 * pass finds no thread it has not bound. A thread that exits meanwhile is no failure.
 */
static int apply_affinity(pid_t pid, hwloc_const_cpuset_t cpus)
{
	pid_t *tids = NULL, *done = NULL, *nd;
	unsigned ndone = 0;
	int n, r, rootfd = -1;

	if (pid == 0)
		return np__set_affinity(0, cpus);
	rootfd = np__proc_root_open(NULL);
	if (rootfd < 0)
		return rootfd;
	for (unsigned pass = 0;; pass++) {
		unsigned fresh = 0;

		if (pass == MAX_AFFINITY_PASSES) {
			r = -EAGAIN;
			goto out;
		}
		free(tids);
		tids = NULL;
		n = np__proc_threads(rootfd, pid, &tids);
		if (n < 0) {
			r = n == -ENOENT ? -ESRCH : n;
			goto out;
		}
		nd = realloc(done, (ndone + (unsigned)n) * sizeof(*done));
		if (!nd) {
			r = -ENOMEM;
			goto out;
		}
		done = nd;
		for (int i = 0; i < n; i++) {
			if (tid_seen(done, ndone, tids[i]))
				continue;
			r = np__set_affinity(tids[i], cpus);
			if (r == -ESRCH && tids[i] != pid)
				r = 0;
			if (r < 0)
				goto out;
			done[ndone + fresh++] = tids[i];
		}
		if (!fresh)
			break;
		ndone += fresh;
		qsort(done, ndone, sizeof(*done), cmp_tid);
	}
	r = 0;
out:
	free(tids);
	free(done);
	close(rootfd);
	return r;
}

long np_migrate(pid_t pid, hwloc_const_nodeset_t from, hwloc_const_nodeset_t to)
{
	unsigned long *fmask = NULL, *tmask = NULL;
	int lf, lt, node;
	size_t nlongs;
	long r;

	if (pid <= 0 || !from || !to || hwloc_bitmap_iszero(to) || hwloc_bitmap_weight(to) < 0 ||
	    hwloc_bitmap_weight(from) < 0)
		return -EINVAL;
	if (hwloc_bitmap_iszero(from))
		return 0;
	lf = hwloc_bitmap_last(from);
	lt = hwloc_bitmap_last(to);
	nlongs = (size_t)(lf > lt ? lf : lt) / ULONG_BITS + 1;
	fmask = calloc(nlongs, sizeof(*fmask));
	tmask = calloc(nlongs, sizeof(*tmask));
	if (!fmask || !tmask) {
		r = -ENOMEM;
		goto out;
	}
	hwloc_bitmap_foreach_begin(node, from)
	{
		fmask[(unsigned)node / ULONG_BITS] |= 1ul << ((unsigned)node % ULONG_BITS);
	}
	hwloc_bitmap_foreach_end();
	hwloc_bitmap_foreach_begin(node, to)
	{
		tmask[(unsigned)node / ULONG_BITS] |= 1ul << ((unsigned)node % ULONG_BITS);
	}
	hwloc_bitmap_foreach_end();
	/* maxnode = bits + 1: the kernel reads one bit less, as for set_mempolicy() */
	r = (int)syscall(SYS_migrate_pages, pid, nlongs * ULONG_BITS + 1, fmask, tmask);
	if (r < 0)
		r = -errno;
out:
	free(fmask);
	free(tmask);
	return r;
}

/*
 * Raw set_mempolicy(): the kernel reads maxnode - 1 bits (it decrements maxnode first, a
 * historical off-by-one libnuma also works around), so maxnode = bits in the mask + 1.
 */
static int set_policy(int mode, const unsigned long *mask, size_t nlongs)
{
	unsigned long maxnode = mask ? nlongs * ULONG_BITS + 1 : 0;

	if (syscall(SYS_set_mempolicy, mode, mask, maxnode) < 0)
		return -errno;
	return 0;
}

static int apply_policy(const np_host *host, hwloc_const_nodeset_t nodes, enum np_mem_policy policy,
                        enum np_mem_policy *ret_policy)
{
	unsigned long *mask = NULL;
	size_t nlongs;
	int last = -1, node, r;

	/* nodes without memory cannot hold a page: a policy naming only them is refused */
	hwloc_bitmap_foreach_begin(node, nodes)
	{
		int idx = np_host_node_idx(host, (unsigned)node);

		if (idx < 0)
			return -EINVAL;
		if (np_host_node(host, (unsigned)idx)->memory_bytes)
			last = node;
	}
	hwloc_bitmap_foreach_end();
	if (last < 0) {
		*ret_policy = NP_MEM_POLICY_NONE;
		return 0;
	}
	nlongs = (size_t)last / ULONG_BITS + 1;
	mask = calloc(nlongs, sizeof(*mask));
	if (!mask)
		return -ENOMEM;
	hwloc_bitmap_foreach_begin(node, nodes)
	{
		int idx = np_host_node_idx(host, (unsigned)node);

		if (np_host_node(host, (unsigned)idx)->memory_bytes)
			mask[(unsigned)node / ULONG_BITS] |= 1ul << ((unsigned)node % ULONG_BITS);
	}
	hwloc_bitmap_foreach_end();

	switch (policy) {
	case NP_MEM_POLICY_DEFAULT:
		r = set_policy(MPOL_PREFERRED_MANY, mask, nlongs);
		if (r == -EINVAL) {
			/* a kernel before 5.15 does not know the mode: bind, as numactl -m does */
			r = set_policy(MPOL_BIND, mask, nlongs);
			policy = NP_MEM_POLICY_BIND;
		} else {
			policy = NP_MEM_POLICY_PREFERRED;
		}
		break;
	case NP_MEM_POLICY_PREFERRED:
		r = set_policy(MPOL_PREFERRED_MANY, mask, nlongs);
		break;
	case NP_MEM_POLICY_BIND:
		r = set_policy(MPOL_BIND, mask, nlongs);
		break;
	case NP_MEM_POLICY_INTERLEAVE:
		r = set_policy(MPOL_INTERLEAVE, mask, nlongs);
		break;
	default:
		r = -EINVAL;
	}
	free(mask);
	if (r == 0)
		*ret_policy = policy;
	return r;
}

int np_apply(const np_host *host, pid_t pid, const struct np_apply_req *req,
             enum np_mem_policy *ret_policy)
{
	enum np_mem_policy effective = NP_MEM_POLICY_NONE;
	bool want_policy;
	int r;

	if (!host || !req || pid < 0 || (unsigned)req->policy >= NP_MEM_POLICY_COUNT_)
		return -EINVAL;
	if (req->binding != NP_CPU_BINDING_STRICT && req->binding != NP_CPU_BINDING_NONE)
		return -EINVAL;
	want_policy =
	    req->policy != NP_MEM_POLICY_NONE && req->nodes && !hwloc_bitmap_iszero(req->nodes);
	if (want_policy && hwloc_bitmap_weight(req->nodes) < 0)
		return -EINVAL;
	/* set_mempolicy() only acts on the calling thread */
	if (want_policy && pid != 0)
		return -EOPNOTSUPP;
	if (want_policy && !hwloc_bitmap_isincluded(req->nodes, np_host_nodeset(host)))
		return -EINVAL;
	if (req->binding == NP_CPU_BINDING_STRICT && req->cpus) {
		if (hwloc_bitmap_iszero(req->cpus))
			return -EINVAL;
		r = apply_affinity(pid, req->cpus);
		if (r < 0)
			return r;
	}
	if (want_policy) {
		r = apply_policy(host, req->nodes, req->policy, &effective);
		if (r < 0)
			return r;
	}
	if (ret_policy)
		*ret_policy = effective;
	return 0;
}
