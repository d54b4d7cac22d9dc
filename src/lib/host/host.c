/*
 * host.c - the host snapshot: construction from node facts, accessors, set conversions.
 * Every loader (hwloc, sysfs, a caller's own facts) ends in np__host_build().
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void np_host_free(np_host *host)
{
	if (!host)
		return;
	for (unsigned i = 0; i < host->nnodes; i++) {
		if (host->node_cpus)
			hwloc_bitmap_free(host->node_cpus[i]);
		if (host->node_shared)
			hwloc_bitmap_free(host->node_shared[i]);
	}
	free(host->node_cpus);
	free(host->node_shared);
	if (host->node_reserved)
		for (unsigned i = 0; i < host->nnodes; i++)
			hwloc_bitmap_free(host->node_reserved[i]);
	free(host->node_reserved);
	hwloc_bitmap_free(host->reserved);
	free(host->nodes);
	free(host->hp);
	free(host->dist);
	free(host->cpus);
	free(host->idx_of_id);
	hwloc_bitmap_free(host->cpuset);
	hwloc_bitmap_free(host->shared);
	hwloc_bitmap_free(host->nodeset);
	if (host->topo)
		hwloc_topology_destroy(host->topo);
	free(host);
}

static int cmp_spec_id(const void *a, const void *b)
{
	unsigned x = (*(const struct np_node_spec *const *)a)->id;
	unsigned y = (*(const struct np_node_spec *const *)b)->id;

	return (x > y) - (x < y);
}

static int cmp_cpu(const void *a, const void *b)
{
	unsigned x = ((const struct np_cpu *)a)->cpu, y = ((const struct np_cpu *)b)->cpu;

	return (x > y) - (x < y);
}

static int cmp_hp(const void *a, const void *b)
{
	uint64_t x = ((const struct np_hugepages *)a)->size_bytes;
	uint64_t y = ((const struct np_hugepages *)b)->size_bytes;

	return (x > y) - (x < y);
}

/* Fill host->cpus from the node cpusets; core/socket from `facts` when given. */
static int build_cpus(np_host *h, const struct np_cpu *facts, unsigned nfacts)
{
	unsigned n = (unsigned)hwloc_bitmap_weight(h->cpuset), k = 0;
	int cpu;

	h->cpus = calloc(n ? n : 1, sizeof(*h->cpus));
	if (!h->cpus)
		return -ENOMEM;
	for (unsigned i = 0; i < h->nnodes; i++)
		hwloc_bitmap_foreach_begin(cpu, h->nodes[i].cpuset)
		{
			h->cpus[k].cpu = (unsigned)cpu;
			h->cpus[k].core = -1;
			h->cpus[k].socket = -1;
			h->cpus[k].llc = -1;
			h->cpus[k].node = h->nodes[i].id;
			k++;
		}
	hwloc_bitmap_foreach_end();
	h->ncpus = k;
	qsort(h->cpus, k, sizeof(*h->cpus), cmp_cpu);
	/* Facts for CPUs outside every node (disallowed, offline) are ignored; the first fact
	 * given for a CPU wins. A search per fact: hosts have thousands of CPUs. */
	for (unsigned f = nfacts; f-- > 0;) {
		struct np_cpu *c = bsearch(&facts[f], h->cpus, k, sizeof(*h->cpus), cmp_cpu);

		if (c) {
			c->core = facts[f].core;
			c->socket = facts[f].socket;
			c->llc = facts[f].llc;
		}
	}
	return 0;
}

/*
 * Node i (in id order) from its spec. A CPU an earlier (lower id) node took stays there and
 * goes to this node's shared_cpuset: firmware that gives every node the same CPUs leaves one
 * node with them and the others memory-only, all with their memory.
 */
static int fill_node(np_host *h, unsigned i, const struct np_node_spec *s, bool free_assumed,
                     unsigned *hpk)
{
	struct np_node *n = &h->nodes[i];

	h->node_cpus[i] = s->cpus ? hwloc_bitmap_dup(s->cpus) : hwloc_bitmap_alloc();
	h->node_shared[i] = hwloc_bitmap_alloc();
	if (!h->node_cpus[i] || !h->node_shared[i])
		return -ENOMEM;
	hwloc_bitmap_and(h->node_shared[i], h->node_cpus[i], h->cpuset);
	hwloc_bitmap_andnot(h->node_cpus[i], h->node_cpus[i], h->cpuset);
	hwloc_bitmap_or(h->shared, h->shared, h->node_shared[i]);
	hwloc_bitmap_or(h->cpuset, h->cpuset, h->node_cpus[i]);
	if (hwloc_bitmap_weight(h->cpuset) > (int)NP_HOST_MAX_PUS)
		return -E2BIG;
	hwloc_bitmap_set(h->nodeset, s->id);
	h->idx_of_id[s->id] = (int)i;
	n->id = s->id;
	n->cpuset = h->node_cpus[i];
	n->shared_cpuset = h->node_shared[i];
	n->ncpus = (unsigned)hwloc_bitmap_weight(h->node_cpus[i]);
	n->memory_bytes = s->memory_bytes;
	n->free_bytes = s->free_bytes;
	n->free_assumed = free_assumed;
	h->free_assumed |= free_assumed;
	n->nhugepages = s->nhugepages;
	n->hugepages = &h->hp[*hpk];
	if (s->nhugepages) {
		memcpy(&h->hp[*hpk], s->hugepages, s->nhugepages * sizeof(*h->hp));
		qsort(&h->hp[*hpk], s->nhugepages, sizeof(*h->hp), cmp_hp);
	}
	*hpk += s->nhugepages;
	return 0;
}

/* The distance matrix in id order; 0 or -EINVAL (a distance of 0). */
static int fill_distances(np_host *h, const unsigned *distances, const unsigned *pos)
{
	unsigned n = h->nnodes;

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			unsigned d;

			if (distances) {
				d = distances[(size_t)pos[i] * n + pos[j]];
				if (d == 0)
					return -EINVAL;
			} else {
				d = i == j ? NP__LOCAL_DISTANCE : NP__REMOTE_DISTANCE;
			}
			h->dist[(size_t)i * n + j] = d;
		}
	h->dist_assumed = distances == NULL && n > 1; /* one node: nothing remote to assume */
	return 0;
}

/* Check the specs and sort them by id into order[] (pos[]: their index in `nodes`). */
static int sort_specs(unsigned nnodes, const struct np_node_spec *nodes,
                      const struct np_node_spec **order, unsigned *pos, unsigned *ret_nhp)
{
	unsigned nhp = 0;

	for (unsigned i = 0; i < nnodes; i++) {
		order[i] = &nodes[i];
		nhp += nodes[i].nhugepages;
		if (nodes[i].id > NP__MAX_NODE_ID || nodes[i].free_bytes > nodes[i].memory_bytes)
			return -EINVAL;
		if (nodes[i].nhugepages && !nodes[i].hugepages)
			return -EINVAL;
	}
	qsort(order, nnodes, sizeof(*order), cmp_spec_id);
	for (unsigned i = 0; i < nnodes; i++) {
		if (i && order[i]->id == order[i - 1]->id)
			return -EINVAL;
		pos[i] = (unsigned)(order[i] - nodes);
	}
	*ret_nhp = nhp;
	return 0;
}

int np__host_build(unsigned nnodes, const struct np_node_spec *nodes, const unsigned *distances,
                   const struct np__build_extra *extra, np_host **ret_host)
{
	static const struct np__build_extra none = {NULL, 0, NULL, NULL};
	const struct np_node_spec **order = NULL;
	unsigned *pos = NULL, nhp = 0, hpk = 0;
	np_host *h = NULL;
	int r = -EINVAL;

	if (nnodes == 0 || !nodes || !ret_host)
		return -EINVAL;
	if (nnodes > NP_HOST_MAX_NODES)
		return -E2BIG;
	if (!extra)
		extra = &none;
	order = malloc(nnodes * sizeof(*order));
	pos = malloc(nnodes * sizeof(*pos));
	h = calloc(1, sizeof(*h));
	if (!order || !pos || !h) {
		r = -ENOMEM;
		goto out;
	}
	r = sort_specs(nnodes, nodes, order, pos, &nhp);
	if (r < 0)
		goto out;

	h->nnodes = nnodes;
	h->max_id = order[nnodes - 1]->id;
	h->nodes = calloc(nnodes, sizeof(*h->nodes));
	h->node_cpus = calloc(nnodes, sizeof(*h->node_cpus));
	h->node_shared = calloc(nnodes, sizeof(*h->node_shared));
	h->hp = calloc(nhp ? nhp : 1, sizeof(*h->hp));
	h->dist = malloc((size_t)nnodes * nnodes * sizeof(*h->dist));
	h->idx_of_id = malloc((h->max_id + 1) * sizeof(*h->idx_of_id));
	h->cpuset = hwloc_bitmap_alloc();
	h->shared = hwloc_bitmap_alloc();
	h->nodeset = hwloc_bitmap_alloc();
	if (!h->nodes || !h->node_cpus || !h->node_shared || !h->hp || !h->dist || !h->idx_of_id ||
	    !h->cpuset || !h->shared || !h->nodeset) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned id = 0; id <= h->max_id; id++)
		h->idx_of_id[id] = -1;
	for (unsigned i = 0; i < nnodes; i++) {
		r = fill_node(h, i, order[i], extra->free_assumed && extra->free_assumed[pos[i]],
		              &hpk);
		if (r < 0)
			goto out;
	}
	r = fill_distances(h, distances, pos);
	if (r < 0)
		goto out;
	r = build_cpus(h, extra->cpus, extra->ncpus);
	if (r < 0)
		goto out;
	h->topo = extra->topo;
	*ret_host = h;
	h = NULL;
	r = 0;
out:
	if (h)
		h->topo = NULL; /* the caller keeps the topology on failure */
	np_host_free(h);
	free(order);
	free(pos);
	return r;
}

int np_host_build(unsigned nnodes, const struct np_node_spec *nodes, const unsigned *distances,
                  np_host **ret_host)
{
	hwloc_bitmap_t seen;
	int r = 0;

	if (nnodes == 0 || !nodes || !ret_host)
		return -EINVAL;
	/* A caller's own facts must be consistent: a CPU in two nodes is an error here. */
	seen = hwloc_bitmap_alloc();
	if (!seen)
		return -ENOMEM;
	for (unsigned i = 0; i < nnodes && r == 0; i++) {
		if (nodes[i].cpus && hwloc_bitmap_intersects(seen, nodes[i].cpus))
			r = -EINVAL;
		else if (nodes[i].cpus)
			hwloc_bitmap_or(seen, seen, nodes[i].cpus);
	}
	hwloc_bitmap_free(seen);
	return r < 0 ? r : np__host_build(nnodes, nodes, distances, NULL, ret_host);
}

unsigned np_host_nnodes(const np_host *host)
{
	return host->nnodes;
}

const struct np_node *np_host_node(const np_host *host, unsigned idx)
{
	return idx < host->nnodes ? &host->nodes[idx] : NULL;
}

int np_host_node_idx(const np_host *host, unsigned id)
{
	if (id > host->max_id || host->idx_of_id[id] < 0)
		return -ENOENT;
	return host->idx_of_id[id];
}

int np_host_memory_nodes(const np_host *host, hwloc_const_nodeset_t nodes, hwloc_nodeset_t ret)
{
	int id;

	hwloc_bitmap_zero(ret);
	hwloc_bitmap_foreach_begin(id, nodes)
	{
		int idx = np_host_node_idx(host, (unsigned)id);

		if (idx >= 0 && host->nodes[idx].memory_bytes && hwloc_bitmap_set(ret, (unsigned)id) < 0)
			return -ENOMEM;
	}
	hwloc_bitmap_foreach_end();
	if (hwloc_bitmap_iszero(ret) && hwloc_bitmap_copy(ret, nodes) < 0)
		return -ENOMEM;
	return 0;
}

unsigned np_host_ncpus(const np_host *host)
{
	return host->ncpus;
}

const struct np_cpu *np_host_cpu(const np_host *host, unsigned idx)
{
	return idx < host->ncpus ? &host->cpus[idx] : NULL;
}

unsigned np_host_distance(const np_host *host, unsigned a, unsigned b)
{
	if (a >= host->nnodes || b >= host->nnodes)
		return 0;
	return host->dist[(size_t)a * host->nnodes + b];
}

int np_host_distances_assumed(const np_host *host)
{
	return host->dist_assumed;
}

int np_host_free_assumed(const np_host *host)
{
	return host->free_assumed;
}

hwloc_const_cpuset_t np_host_shared_cpuset(const np_host *host)
{
	return host->shared;
}

hwloc_const_cpuset_t np_host_cpuset(const np_host *host)
{
	return host->cpuset;
}

hwloc_const_nodeset_t np_host_nodeset(const np_host *host)
{
	return host->nodeset;
}

hwloc_topology_t np_host_topology(const np_host *host)
{
	return host->topo;
}

int np_host_cpuset_to_nodeset(const np_host *host, hwloc_const_cpuset_t cpus,
                              hwloc_nodeset_t ret_nodes)
{
	if (!cpus || !ret_nodes)
		return -EINVAL;
	hwloc_bitmap_zero(ret_nodes);
	for (unsigned i = 0; i < host->nnodes; i++)
		if (hwloc_bitmap_intersects(host->nodes[i].cpuset, cpus))
			hwloc_bitmap_set(ret_nodes, host->nodes[i].id);
	return 0;
}

int np_host_nodeset_to_cpuset(const np_host *host, hwloc_const_nodeset_t nodes,
                              hwloc_cpuset_t ret_cpus)
{
	if (!nodes || !ret_cpus)
		return -EINVAL;
	hwloc_bitmap_zero(ret_cpus);
	for (unsigned i = 0; i < host->nnodes; i++)
		if (hwloc_bitmap_isset(nodes, host->nodes[i].id))
			hwloc_bitmap_or(ret_cpus, ret_cpus, host->nodes[i].cpuset);
	return 0;
}

/* The bitmaps np_host_reserve() fills, allocated once; empty ones change nothing. */
static int reserve_storage(np_host *h)
{
	if (!h->reserved && !(h->reserved = hwloc_bitmap_alloc()))
		return -ENOMEM;
	if (!h->node_reserved && !(h->node_reserved = calloc(h->nnodes, sizeof(*h->node_reserved))))
		return -ENOMEM;
	for (unsigned i = 0; i < h->nnodes; i++) {
		if (!h->node_reserved[i] && !(h->node_reserved[i] = hwloc_bitmap_alloc()))
			return -ENOMEM;
		h->nodes[i].reserved = h->node_reserved[i];
	}
	return 0;
}

int np_host_reserve(np_host *host, hwloc_const_cpuset_t cpus)
{
	hwloc_bitmap_t taken = NULL;
	unsigned k = 0;
	int r;

	if (!host || !cpus)
		return -EINVAL;
	if (!hwloc_bitmap_intersects(host->cpuset, cpus))
		return 0;
	r = reserve_storage(host);
	if (r < 0)
		return r;
	taken = hwloc_bitmap_alloc();
	if (!taken)
		return -ENOMEM;
	for (unsigned i = 0; i < host->nnodes; i++) {
		struct np_node *n = &host->nodes[i];

		if (hwloc_bitmap_and(taken, host->node_cpus[i], cpus) < 0 ||
		    hwloc_bitmap_or(host->node_reserved[i], host->node_reserved[i], taken) < 0 ||
		    hwloc_bitmap_or(host->reserved, host->reserved, taken) < 0 ||
		    hwloc_bitmap_andnot(host->node_cpus[i], host->node_cpus[i], cpus) < 0) {
			r = -ENOMEM;
			goto out;
		}
		n->ncpus = (unsigned)hwloc_bitmap_weight(host->node_cpus[i]);
	}
	if (hwloc_bitmap_andnot(host->cpuset, host->cpuset, cpus) < 0) {
		r = -ENOMEM;
		goto out;
	}
	/*
	 * A stable partition: the usable CPUs first, the reserved ones after them, kept for the
	 * exclusive-core search (a core with a reserved CPU is no whole free core).
	 */
	{
		unsigned total = host->ncpus + host->nreserved_cpus, nres = 0;
		struct np_cpu *res = calloc(total ? total : 1, sizeof(*res));

		if (!res) {
			r = -ENOMEM;
			goto out;
		}
		for (unsigned i = 0; i < total; i++) {
			if (i < host->ncpus && !hwloc_bitmap_isset(cpus, (int)host->cpus[i].cpu))
				host->cpus[k++] = host->cpus[i];
			else
				res[nres++] = host->cpus[i];
		}
		memcpy(&host->cpus[k], res, nres * sizeof(*res));
		free(res);
		host->ncpus = k;
		host->nreserved_cpus = nres;
	}
out:
	hwloc_bitmap_free(taken);
	return r;
}

hwloc_const_cpuset_t np_host_reserved_cpuset(const np_host *host)
{
	return host->reserved;
}
