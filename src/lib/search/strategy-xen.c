/*
 * strategy-xen.c - Xen's xl/libxl automatic placement, reproduced (libxl__get_numa_candidate
 * and xl's numa_cmpf). What is reproduced, including the limits, is in docs/placement.md.
 * Only the two flaws of the original are left out: the comparison is exact (libxl returns a
 * 64-bit free-memory difference as int) and every sum is 64-bit.
 */
#include "search.h"

/*
 * libxl starts at ceil(vcpus / cpus_per_node) nodes when every node has the same number of
 * CPUs, else at 1 node. Here the CPUs counted are the allowed CPUs of the suitable nodes, the
 * same count a candidate is judged on; without an allowed_cpus restriction that is libxl's.
 */
static unsigned auto_min_nodes(const struct np__search *s)
{
	uint64_t per = s->nodes[0].ncpus;

	for (unsigned p = 1; p < s->m; p++)
		if (s->nodes[p].ncpus != per)
			return 1;
	return (unsigned)((s->req->vcpus + per - 1) / per);
}

int np__strategy_xen(struct np__search *s)
{
	unsigned nn = s->host->nnodes, min, max;

	s->cmp = np__cmp_xen;
	if (nn <= 1) {
		np__reason(s, "xen strategy: host has only 1 node");
		return 0;
	}
	if (nn > NP__XEN_MAX_NODES) {
		np__reason(s, "xen strategy: host has %u nodes, more than %u", nn,
		           NP__XEN_MAX_NODES);
		return 0;
	}
	if (s->m == 0) {
		np__reason(s, "xen strategy: no allowed node has an allowed CPU");
		return 0;
	}
	min = s->req->min_nodes ? s->req->min_nodes : auto_min_nodes(s);
	if (min > s->m)
		min = s->m;
	max = s->req->max_nodes && s->req->max_nodes < s->m ? s->req->max_nodes : s->m;
	if (min > max) {
		np__reason(s, "xen strategy: %u vCPUs need at least %u nodes, at most %u allowed",
		           s->req->vcpus, min, max);
		return 0;
	}
	s->min_nodes = min;
	s->max_nodes = max;
	/* Every k-set is looked at, as libxl does, so that examined counts libxl's work. */
	for (unsigned k = min; k <= max; k++) {
		int64_t found = np__enumerate(s, k, false);

		if (found < 0)
			return (int)found;
		if (found > 0)
			break;
	}
	return 0;
}
