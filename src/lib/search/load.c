/*
 * load.c - what is already placed on a host: free memory and vCPUs per node, and the claims
 * that move them.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int np_load_new(const np_host *host, np_load **ret_load)
{
	np_load *l = NULL;
	int r = -ENOMEM;

	if (!host || !ret_load)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		goto out;
	l->host = host;
	l->free = calloc(host->nnodes, sizeof(*l->free));
	l->vcpus = calloc(host->nnodes, sizeof(*l->vcpus));
	l->held = hwloc_bitmap_alloc();
	if (!l->free || !l->vcpus || !l->held)
		goto out;
	for (unsigned i = 0; i < host->nnodes; i++)
		l->free[i] = host->nodes[i].free_bytes;
	*ret_load = l;
	l = NULL;
	r = 0;
out:
	np_load_free(l);
	return r;
}

void np_load_free(np_load *load)
{
	if (!load)
		return;
	free(load->free);
	free(load->vcpus);
	hwloc_bitmap_free(load->held);
	free(load);
}

int np_load_dup(const np_load *load, np_load **ret_load)
{
	np_load *l = NULL;
	unsigned n;
	int r;

	if (!load || !ret_load)
		return -EINVAL;
	r = np_load_new(load->host, &l);
	if (r < 0)
		return r;
	n = load->host->nnodes;
	memcpy(l->free, load->free, n * sizeof(*l->free));
	memcpy(l->vcpus, load->vcpus, n * sizeof(*l->vcpus));
	if (hwloc_bitmap_copy(l->held, load->held) < 0) {
		np_load_free(l);
		return -ENOMEM;
	}
	*ret_load = l;
	return 0;
}

int np_load_hold_cpus(np_load *load, hwloc_const_cpuset_t cpus)
{
	if (!load || !cpus)
		return -EINVAL;
	return hwloc_bitmap_or(load->held, load->held, cpus) < 0 ? -ENOMEM : 0;
}

void np_load_unhold_cpus(np_load *load, hwloc_const_cpuset_t cpus)
{
	if (load && cpus)
		hwloc_bitmap_andnot(load->held, load->held, cpus);
}

hwloc_const_cpuset_t np_load_held_cpus(const np_load *load)
{
	return load->held;
}

uint64_t np_load_free_bytes(const np_load *load, unsigned idx)
{
	return idx < load->host->nnodes ? load->free[idx] : 0;
}

uint64_t np_load_vcpus(const np_load *load, unsigned idx)
{
	return idx < load->host->nnodes ? load->vcpus[idx] : 0;
}

int np_load_set_free(np_load *load, unsigned idx, uint64_t bytes)
{
	if (idx >= load->host->nnodes)
		return -ERANGE;
	load->free[idx] = bytes;
	return 0;
}

int np_load_add_vcpus(np_load *load, unsigned idx, uint64_t vcpus)
{
	if (idx >= load->host->nnodes)
		return -ERANGE;
	load->vcpus[idx] = add_sat(load->vcpus[idx], vcpus);
	return 0;
}

struct share {
	unsigned idx;
	uint64_t cap;
};

static int cmp_share(const void *a, const void *b)
{
	const struct share *x = a, *y = b;

	if (x->cap != y->cap)
		return (x->cap > y->cap) - (x->cap < y->cap);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_idx(const void *a, const void *b)
{
	unsigned x = ((const struct share *)a)->idx, y = ((const struct share *)b)->idx;

	return (x > y) - (x < y);
}

/*
 * Water-filling. Nodes are visited by ascending free memory. While the smallest free memory
 * is at most an equal share of what is left, that node gives all it has and drops out; the
 * first node that can take its share shows that every later node can too, so what is left is
 * split evenly over them, the remainder one byte each to the lowest ids.
 *
 * Example: 1001 bytes over nodes 0, 1, 2 with 100, 1000 and 1000 bytes free. Node 0 has less
 * than 1001 / 3 = 333: it gives 100, 901 remain. 901 / 2 = 450 fits nodes 1 and 2, and the
 * leftover byte goes to node 1: 100, 451, 450.
 */
static void water_fill(struct share *sh, unsigned n, uint64_t bytes, uint64_t *out)
{
	unsigned i = 0;

	qsort(sh, n, sizeof(*sh), cmp_share);
	for (; i < n && bytes; i++) {
		uint64_t share = bytes / (n - i);

		if (sh[i].cap > share)
			break;
		out[sh[i].idx] = sh[i].cap;
		bytes -= sh[i].cap;
	}
	if (i < n && bytes) {
		uint64_t share = bytes / (n - i), rest = bytes % (n - i);
		unsigned lo = i;

		/* The remainder goes by id, and the host's indexes are in id order. */
		qsort(&sh[lo], n - lo, sizeof(*sh), cmp_idx);
		for (unsigned j = lo; j < n; j++)
			out[sh[j].idx] = share + (j - lo < rest ? 1 : 0);
	}
}

int np_load_charge(np_load *load, hwloc_const_nodeset_t nodes, uint64_t bytes, unsigned vcpus,
                   struct np_claim *ret_claim)
{
	const np_host *h;
	struct share *sh = NULL;
	uint64_t *out = NULL, total = 0;
	hwloc_bitmap_t set = NULL;
	unsigned n = 0;
	int id, r = -EINVAL;

	if (!load || !nodes || !ret_claim || hwloc_bitmap_iszero(nodes) ||
	    !hwloc_bitmap_isincluded(nodes, load->host->nodeset))
		return -EINVAL;
	h = load->host;
	r = -ENOMEM;
	sh = calloc(h->nnodes, sizeof(*sh));
	out = calloc(h->nnodes, sizeof(*out));
	set = hwloc_bitmap_dup(nodes);
	if (!sh || !out || !set)
		goto out;
	hwloc_bitmap_foreach_begin(id, nodes)
	{
		unsigned idx = (unsigned)h->idx_of_id[id];

		/* A node without memory takes none, whatever its free figure says. */
		if (h->nodes[idx].memory_bytes == 0 || load->free[idx] == 0)
			continue;
		sh[n].idx = idx;
		sh[n].cap = load->free[idx];
		total = add_sat(total, sh[n].cap);
		n++;
	}
	hwloc_bitmap_foreach_end();
	if (total < bytes) {
		r = -ENOSPC;
		goto out;
	}
	water_fill(sh, n, bytes, out);
	for (unsigned i = 0; i < h->nnodes; i++) {
		load->free[i] -= out[i];
		if (hwloc_bitmap_isset(set, h->nodes[i].id))
			load->vcpus[i] = add_sat(load->vcpus[i], vcpus);
	}
	ret_claim->nodes = set;
	ret_claim->bytes = out;
	ret_claim->nbytes = h->nnodes;
	ret_claim->vcpus = vcpus;
	set = NULL;
	out = NULL;
	r = 0;
out:
	hwloc_bitmap_free(set);
	free(out);
	free(sh);
	return r;
}

void np_load_uncharge(np_load *load, const struct np_claim *claim)
{
	const np_host *h;

	if (!load || !claim || !claim->nodes)
		return;
	h = load->host;
	for (unsigned i = 0; i < h->nnodes; i++) {
		if (claim->bytes && i < claim->nbytes)
			load->free[i] = add_sat(load->free[i], claim->bytes[i]);
		if (hwloc_bitmap_isset(claim->nodes, h->nodes[i].id))
			load->vcpus[i] -=
			    load->vcpus[i] < claim->vcpus ? load->vcpus[i] : claim->vcpus;
	}
}

void np_claim_release(struct np_claim *claim)
{
	if (!claim)
		return;
	hwloc_bitmap_free(claim->nodes);
	free(claim->bytes);
	claim->nodes = NULL;
	claim->bytes = NULL;
	claim->nbytes = 0;
	claim->vcpus = 0;
}
