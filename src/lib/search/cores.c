/*
 * cores.c - exclusive whole cores (np_request.exclusive, `--cpu-binding exclusive`), as
 * Kubernetes' CPU manager static policy grants them. Pure, as the search is.
 *
 * A core is the CPUs the host model gives one (socket, core) pair; a CPU whose core is
 * unknown (-1: NP_HOST_FAST, np_host_build()) is a core of its own. A core is whole and free
 * for a request when every one of its CPUs is on one allowed node, in the request's allowed
 * CPUs, not held by the load (np_load_held_cpus()) and not reserved (np_host_reserve(): the
 * snapshot keeps the reserved CPUs' facts after its usable ones for this). Each node then
 * offers the CPUs of its whole free cores as one more resource of the search (NP__RES_CORE),
 * which a set must hold `vcpus` of: the size bound, the pruning and the compact growth treat
 * it as they treat memory.
 *
 * Inside the chosen set the cores are picked by last-level cache: the smallest cache group
 * that holds what is still needed takes it, its cores in ascending CPU order; when none can,
 * the largest group is taken whole and the rest is picked again. Where the host model knows
 * no cache (llc -1) each node is one group, so the lowest cores of the fewest nodes are taken.
 *
 * Example: "pack:2 [numa] l3:2 core:2 pu:2" has per node two L3s of two cores (4 CPUs each).
 * Node 0's L3s are CPUs 0-3 and 4-7. A grant of 2 vCPUs takes core 0 (CPUs 0-1); with 0-1
 * held, a grant of 4 vCPUs finds 2 free in the first L3 and 4 in the second: the second holds
 * it alone and is taken (4-7), rather than 2-5 across both.
 */
#include "search.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct cpu_ref {
	int socket;
	long core; /* (socket, core), or -1 - cpu for a core of its own */
	unsigned cpu;
	unsigned i; /* index into host->cpus */
};

static int cmp_ref(const void *a, const void *b)
{
	const struct cpu_ref *x = a, *y = b;

	if (x->socket != y->socket)
		return (x->socket > y->socket) - (x->socket < y->socket);
	if (x->core != y->core)
		return (x->core > y->core) - (x->core < y->core);
	return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

/* Cores by their lowest CPU: the order they are granted in. */
static int cmp_first(const void *a, const void *b)
{
	unsigned x = ((const struct np__core *)a)->first, y = ((const struct np__core *)b)->first;

	return (x > y) - (x < y);
}

/* Whether the core of refs [lo, hi) is whole and free for the request; its node into *idx. */
static bool core_free(const struct np__search *s, const struct cpu_ref *refs, unsigned lo,
                      unsigned hi, unsigned *ret_idx)
{
	const np_host *h = s->host;
	const struct np_request *req = s->req;
	unsigned node = h->cpus[refs[lo].i].node;

	for (unsigned j = lo; j < hi; j++) {
		const struct np_cpu *c = &h->cpus[refs[j].i];

		if (refs[j].i >= h->ncpus || c->node != node)
			return false;
		if (req->allowed_cpus && !hwloc_bitmap_isset(req->allowed_cpus, (int)c->cpu))
			return false;
		if (s->held && hwloc_bitmap_isset(s->held, (int)c->cpu))
			return false;
	}
	if (node > h->max_id || h->idx_of_id[node] < 0)
		return false;
	if (req->allowed_nodes && !hwloc_bitmap_isset(req->allowed_nodes, node))
		return false;
	*ret_idx = (unsigned)h->idx_of_id[node];
	return true;
}

int np__cores_init(struct np__search *s)
{
	const np_host *h = s->host;
	unsigned total = h->ncpus + h->nreserved_cpus, n = 0;
	struct cpu_ref *refs = NULL;
	int r = -ENOMEM;

	s->core_width = 1;
	s->core_pus = calloc(h->nnodes, sizeof(*s->core_pus));
	s->core_count = calloc(h->nnodes, sizeof(*s->core_count));
	refs = calloc(total ? total : 1, sizeof(*refs));
	s->cores = calloc(total ? total : 1, sizeof(*s->cores));
	s->core_nodes = hwloc_bitmap_alloc();
	if (!s->core_pus || !s->core_count || !refs || !s->cores || !s->core_nodes)
		goto out;
	for (unsigned i = 0; i < total; i++) {
		const struct np_cpu *c = &h->cpus[i];

		refs[i].socket = c->core >= 0 ? c->socket : -1;
		refs[i].core = c->core >= 0 ? c->core : -1 - (long)c->cpu;
		refs[i].cpu = c->cpu;
		refs[i].i = i;
	}
	qsort(refs, total, sizeof(*refs), cmp_ref);
	for (unsigned lo = 0, hi; lo < total; lo = hi) {
		struct np__core *k = &s->cores[n];
		unsigned idx;

		for (hi = lo + 1; hi < total && refs[hi].socket == refs[lo].socket &&
		                  refs[hi].core == refs[lo].core;
		     hi++)
			;
		if (hi - lo > s->core_width)
			s->core_width = hi - lo;
		if (!core_free(s, refs, lo, hi, &idx))
			continue;
		k->pus = hwloc_bitmap_alloc();
		if (!k->pus)
			goto out;
		for (unsigned j = lo; j < hi; j++)
			hwloc_bitmap_set(k->pus, refs[j].cpu);
		k->idx = idx;
		k->llc = h->cpus[refs[lo].i].llc;
		k->first = refs[lo].cpu;
		k->npus = hi - lo;
		s->core_pus[idx] += k->npus;
		s->core_count[idx]++;
		s->ncores = ++n; /* so that np__cores_release() frees it if a later one fails */
	}
	s->ncores = n;
	qsort(s->cores, n, sizeof(*s->cores), cmp_first);
	r = 0;
out:
	free(refs);
	return r;
}

void np__cores_release(struct np__search *s)
{
	for (unsigned i = 0; s->cores && i < s->ncores; i++)
		hwloc_bitmap_free(s->cores[i].pus);
	free(s->cores);
	free(s->core_pus);
	free(s->core_count);
	hwloc_bitmap_free(s->core_nodes);
	s->core_nodes = NULL;
	s->cores = NULL;
	s->core_pus = NULL;
	s->core_count = NULL;
	s->ncores = 0;
}

uint64_t np__cores_needed(const struct np__search *s)
{
	unsigned w = s->core_width ? s->core_width : 1;

	return ((uint64_t)s->req->vcpus + w - 1) / w;
}

unsigned np__cores_in(const struct np__search *s, hwloc_const_cpuset_t set)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->ncores; i++)
		n += hwloc_bitmap_isincluded(s->cores[i].pus, set);
	return n;
}

/* One cache group of the chosen set's cores. */
struct group {
	long key;       /* llc, or -2 - node index where the cache is unknown */
	uint64_t pus;   /* CPUs of its cores */
	unsigned first; /* lowest CPU */
	bool used;
};

static long group_key(const struct np__core *k)
{
	return k->llc >= 0 ? k->llc : -2 - (long)k->idx;
}

/* Take the cores of group `key` in ascending CPU order until `need` CPUs are taken. */
static uint64_t take(const struct np__search *s, const bool *in, long key, uint64_t need,
                     hwloc_bitmap_t ret)
{
	uint64_t got = 0;

	for (unsigned i = 0; i < s->ncores && got < need; i++) {
		const struct np__core *k = &s->cores[i];

		if (!in[k->idx] || group_key(k) != key)
			continue;
		hwloc_bitmap_or(ret, ret, k->pus);
		got += k->npus;
	}
	return got;
}

int np__cores_pick(const struct np__search *s, const struct np__cand *c, hwloc_bitmap_t ret)
{
	struct group *g = NULL;
	bool *in = NULL;
	unsigned ng = 0;
	uint64_t need = s->req->vcpus;
	int r = -ENOMEM;

	hwloc_bitmap_zero(ret);
	in = calloc(s->host->nnodes, sizeof(*in));
	g = calloc(s->ncores ? s->ncores : 1, sizeof(*g));
	if (!in || !g)
		goto out;
	for (unsigned i = 0; i < c->n; i++)
		in[s->nodes[c->pos[i]].idx] = true;
	for (unsigned i = 0; i < s->ncores; i++) {
		const struct np__core *k = &s->cores[i];
		unsigned j = 0;

		if (!in[k->idx])
			continue;
		while (j < ng && g[j].key != group_key(k))
			j++;
		if (j == ng) {
			g[ng].key = group_key(k);
			g[ng].first = k->first;
			ng++;
		}
		g[j].pus += k->npus;
		if (k->first < g[j].first)
			g[j].first = k->first;
	}
	while (need > 0) {
		struct group *fit = NULL, *big = NULL;

		for (unsigned j = 0; j < ng; j++) {
			struct group *x = &g[j];

			if (x->used)
				continue;
			if (x->pus >= need && (!fit || x->pus < fit->pus ||
			                       (x->pus == fit->pus && x->first < fit->first)))
				fit = x;
			if (!big || x->pus > big->pus ||
			    (x->pus == big->pus && x->first < big->first))
				big = x;
		}
		if (!fit && !big)
			break; /* the set fits, so this is not reached */
		if (fit) {
			take(s, in, fit->key, need, ret);
			break;
		}
		big->used = true;
		need -= take(s, in, big->key, big->pus, ret);
	}
	r = 0;
out:
	free(in);
	free(g);
	return r;
}

bool np__reason_cores(const struct np__search *s, char *buf, size_t len)
{
	const np_host *h = s->host;
	unsigned k = s->max_nodes && s->max_nodes < s->m ? s->max_nodes : s->m;
	unsigned *order = s->scratch.pos; /* free once the strategy is done */
	uint64_t pus = 0, cores = 0, need = np__cores_needed(s);
	char nodes[96] = "none is free", list[48], most[32] = "";

	if (!s->req->exclusive || !s->core_nodes)
		return false;
	/* the most any allowed set has: its k nodes with most free whole cores (lowest first) */
	for (unsigned p = 0; p < s->m; p++)
		order[p] = p;
	hwloc_bitmap_zero(s->core_nodes);
	for (unsigned j = 0; j < k; j++) {
		unsigned best = j, idx;

		for (unsigned p = j + 1; p < s->m; p++)
			if (s->core_count[s->nodes[order[p]].idx] >
			    s->core_count[s->nodes[order[best]].idx])
				best = p;
		idx = s->nodes[order[best]].idx;
		order[best] = order[j];
		if (!s->core_count[idx])
			break;
		pus += s->core_pus[idx];
		cores += s->core_count[idx];
		hwloc_bitmap_set(s->core_nodes, h->nodes[idx].id);
	}
	if (pus >= s->req->vcpus)
		return false;
	if (s->req->max_nodes && s->req->max_nodes < s->m)
		snprintf(most, sizeof(most), "at most %u ", s->req->max_nodes);
	if (cores) {
		hwloc_bitmap_list_snprintf(list, sizeof(list), s->core_nodes);
		snprintf(nodes, sizeof(nodes), "most: %llu on node%s %s", (unsigned long long)cores,
		         hwloc_bitmap_weight(s->core_nodes) == 1 ? "" : "s", list);
	}
	snprintf(buf, len, "no set of %snodes has %llu free whole core%s for %u vCPU%s (%s)", most,
	         (unsigned long long)need, need == 1 ? "" : "s", s->req->vcpus,
	         s->req->vcpus == 1 ? "" : "s", nodes);
	return true;
}
