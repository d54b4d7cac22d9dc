/*
 * host-objects.c - hosts from hwloc's objects: XML and synthetic topologies. The nodes are
 * hwloc's NUMA objects; a node's CPUs come from where hwloc attaches it (locality_cpus()),
 * its memory and huge pages from its attributes, the distances from hwloc's matrices. Neither
 * source records free memory: all of it is assumed free, and the snapshot says so.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Huge pages from hwloc's page types (XML and synthetic sources, where free = total). The
 * smallest page type is the normal page size; the larger ones are huge pages.
 */
static int hugepages_from_obj(hwloc_obj_t node, struct np_hugepages **ret_hp, unsigned *ret_n)
{
	const struct hwloc_numanode_attr_s *a = &node->attr->numanode;
	struct np_hugepages *hp = NULL;
	uint64_t smallest = UINT64_MAX;
	unsigned n = 0;

	for (unsigned i = 0; i < a->page_types_len; i++)
		if (a->page_types[i].size && a->page_types[i].size < smallest)
			smallest = a->page_types[i].size;
	if (a->page_types_len > 1) {
		hp = calloc(a->page_types_len, sizeof(*hp));
		if (!hp)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < a->page_types_len; i++) {
		if (a->page_types[i].size <= smallest)
			continue;
		hp[n].size_bytes = a->page_types[i].size;
		hp[n].total = a->page_types[i].count;
		hp[n].free = a->page_types[i].count;
		n++;
	}
	*ret_hp = hp;
	*ret_n = n;
	return 0;
}

/* 1 when `kind` is a distance numaplace can use: from the OS, or any latency. */
static bool usable_kind(unsigned long kind, bool os_only)
{
	if (kind & HWLOC_DISTANCES_KIND_MEANS_BANDWIDTH)
		return false;
	return !os_only || (kind & HWLOC_DISTANCES_KIND_FROM_OS);
}

/*
 * The distance matrix over the kept nodes (specs[] order) from hwloc: the first matrix from the
 * OS that covers them all, else the first latency matrix that does. 0 and *ret_dist (heap), or
 * 0 and *ret_dist = NULL when hwloc has none (10/20 is then assumed).
 */
static int distances_get(hwloc_topology_t topo, const struct np_node_spec *specs, unsigned n,
                         unsigned **ret_dist)
{
	struct hwloc_distances_s **all = NULL;
	unsigned nr = 0, *dist = NULL, *pos = NULL;
	int r;

	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, NULL, 0, 0) < 0 || nr == 0) {
		*ret_dist = NULL;
		return 0;
	}
	all = calloc(nr, sizeof(*all));
	dist = malloc((size_t)n * n * sizeof(*dist));
	pos = malloc(n * sizeof(*pos));
	if (!all || !dist || !pos) {
		r = -ENOMEM;
		goto out;
	}
	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, all, 0, 0) < 0) {
		nr = 0;
		r = -ENOMEM;
		goto out;
	}
	for (int pass = 0; pass < 2; pass++)
		for (unsigned m = 0; m < nr; m++) {
			struct hwloc_distances_s *d = all[m];
			bool ok = usable_kind(d->kind, pass == 0);

			for (unsigned i = 0; ok && i < n; i++) {
				ok = false;
				for (unsigned o = 0; o < d->nbobjs; o++)
					if (d->objs[o]->os_index == specs[i].id) {
						pos[i] = o;
						ok = true;
						break;
					}
			}
			for (unsigned i = 0; ok && i < n; i++)
				for (unsigned j = 0; ok && j < n; j++) {
					hwloc_uint64_t v =
					    d->values[(size_t)pos[i] * d->nbobjs + pos[j]];

					ok = v > 0 && v <= 65535;
					dist[(size_t)i * n + j] = (unsigned)v;
				}
			if (ok) {
				*ret_dist = dist;
				dist = NULL;
				r = 0;
				goto out;
			}
		}
	*ret_dist = NULL;
	r = 0;
out:
	for (unsigned m = 0; all && m < nr; m++)
		if (all[m])
			hwloc_distances_release(topo, all[m]);
	free(all);
	free(dist);
	free(pos);
	return r;
}

/* Order for locality_cpus(): smaller locality first, then plain memory, then lower id. */
static int cmp_locality(const void *a, const void *b)
{
	hwloc_obj_t x = *(hwloc_obj_t const *)a, y = *(hwloc_obj_t const *)b;
	int wx = hwloc_bitmap_weight(x->cpuset), wy = hwloc_bitmap_weight(y->cpuset);
	int sx = x->subtype != NULL, sy = y->subtype != NULL;

	if (wx != wy)
		return (wx > wy) - (wx < wy);
	if (sx != sy)
		return (sx > sy) - (sx < sy);
	return (x->os_index > y->os_index) - (x->os_index < y->os_index);
}

/*
 * The CPUs of each node of an XML or synthetic topology. hwloc gives a NUMA node the cpuset of
 * where it is attached, so a CPU-less node (HBM, GPU or CXL memory) shares the cpuset of its
 * neighbour: the kernel's cpulist is not recorded. Each CPU goes to the node with the smallest
 * cpuset holding it; among equal cpusets, to plain memory before special memory (hwloc gives
 * MCDRAM, GPUMemory... a subtype), then to the lowest id. Live hosts and sysfs trees use the
 * kernel's cpulist instead.
 */
static int locality_cpus(hwloc_obj_t *objs, unsigned n, hwloc_bitmap_t *sets)
{
	hwloc_obj_t *order = NULL;
	hwloc_bitmap_t taken = NULL;
	int r = -ENOMEM;

	order = malloc(n * sizeof(*order));
	taken = hwloc_bitmap_alloc();
	if (!order || !taken)
		goto out;
	memcpy(order, objs, n * sizeof(*order));
	qsort(order, n, sizeof(*order), cmp_locality);
	for (unsigned k = 0; k < n; k++) {
		unsigned i = 0;

		while (objs[i] != order[k])
			i++;
		hwloc_bitmap_andnot(sets[i], order[k]->cpuset, taken);
		hwloc_bitmap_or(taken, taken, order[k]->cpuset);
	}
	r = 0;
out:
	free(order);
	hwloc_bitmap_free(taken);
	return r;
}

static const char *source_name(const struct np_source *src)
{
	return src->arg;
}

/* The message for a host past NP_HOST_MAX_NODES or NP_HOST_MAX_PUS, found when building it. */
static void too_big(const struct np_source *src)
{
	np__set_error("cannot load '%s': more than the limit of %u NUMA nodes or %u CPUs",
	              source_name(src), NP_HOST_MAX_NODES, NP_HOST_MAX_PUS);
}

/* Node i of an XML or synthetic topology: memory and huge pages from hwloc, free = total. */
static int node_from_obj(hwloc_obj_t obj, struct np_node_spec *s, struct np_hugepages **ret_hp)
{
	s->id = obj->os_index;
	s->memory_bytes = obj->attr->numanode.local_memory;
	s->free_bytes = s->memory_bytes;
	return hugepages_from_obj(obj, ret_hp, &s->nhugepages);
}

/*
 * The node specs (specs[0..*ret_n)) of the NUMA objects, with their CPUs sets[i]. Without
 * `whole` the allowed sets apply and a node left with neither CPUs nor memory is dropped.
 */
static int specs_from_objs(hwloc_topology_t topo, hwloc_obj_t *objs, hwloc_bitmap_t *sets,
                           unsigned nobjs, bool whole, struct np_node_spec *specs,
                           struct np_hugepages **hps, unsigned *ret_n, unsigned *ret_withcpus)
{
	unsigned n = 0, withcpus = 0;

	for (unsigned i = 0; i < nobjs; i++) {
		struct np_node_spec *s = &specs[n];
		int r;

		if (!whole)
			hwloc_bitmap_and(sets[i], sets[i], hwloc_topology_get_allowed_cpuset(topo));
		s->cpus = sets[i];
		r = node_from_obj(objs[i], s, &hps[i]);
		if (r < 0)
			return r;
		s->hugepages = hps[i];
		if (!whole &&
		    !hwloc_bitmap_isset(hwloc_topology_get_allowed_nodeset(topo), s->id)) {
			/* CPUs usable, memory not: to this process a node without memory */
			s->memory_bytes = s->free_bytes = 0;
			s->nhugepages = 0;
		}
		if (!whole && hwloc_bitmap_iszero(sets[i]) && s->memory_bytes == 0) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		withcpus += !hwloc_bitmap_iszero(sets[i]);
		n++;
	}
	*ret_n = n;
	*ret_withcpus = withcpus;
	return 0;
}

/* The NUMA objects of `topo` and an empty CPU set for each. */
static int objs_get(const struct np_source *src, hwloc_topology_t topo, unsigned nobjs,
                    hwloc_obj_t *objs, hwloc_bitmap_t *sets)
{
	for (unsigned i = 0; i < nobjs; i++) {
		hwloc_obj_t obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);

		if (!obj || obj->os_index == HWLOC_UNKNOWN_INDEX ||
		    obj->os_index > NP__MAX_NODE_ID) {
			np__set_error("cannot use '%s': a NUMA node has no valid OS index",
			              source_name(src));
			return -EBADMSG;
		}
		objs[i] = obj;
		sets[i] = hwloc_bitmap_alloc();
		if (!sets[i])
			return -ENOMEM;
	}
	return 0;
}

/*
 * An XML or synthetic topology: the nodes are hwloc's, each CPU in the node of smallest
 * locality (locality_cpus()); free memory is unknown and assumed to be all of it.
 */
/* The per-node arrays np__host_load_objects() fills, one entry per hwloc NUMA node. */
struct objs_arrays {
	unsigned nobjs;
	hwloc_obj_t *objs;
	hwloc_bitmap_t *sets;
	struct np_node_spec *specs;
	struct np_hugepages **hps;
	bool *assumed;
};

/* Allocate a's arrays for topo's NUMA nodes: 0 or -ENOMEM (then free with arrays_free()). */
static int arrays_alloc(hwloc_topology_t topo, struct objs_arrays *a)
{
	int nb = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);

	a->nobjs = nb > 0 ? (unsigned)nb : 0;
	a->objs = calloc(a->nobjs ? a->nobjs : 1, sizeof(*a->objs));
	a->sets = calloc(a->nobjs ? a->nobjs : 1, sizeof(*a->sets));
	a->specs = calloc(a->nobjs ? a->nobjs : 1, sizeof(*a->specs));
	a->hps = calloc(a->nobjs ? a->nobjs : 1, sizeof(*a->hps));
	a->assumed = calloc(a->nobjs ? a->nobjs : 1, sizeof(*a->assumed));
	return a->objs && a->sets && a->specs && a->hps && a->assumed ? 0 : -ENOMEM;
}

static void arrays_free(struct objs_arrays *a)
{
	for (unsigned i = 0; a->sets && i < a->nobjs; i++)
		hwloc_bitmap_free(a->sets[i]);
	for (unsigned i = 0; a->hps && i < a->nobjs; i++)
		free(a->hps[i]);
	free(a->objs);
	free(a->sets);
	free(a->specs);
	free(a->hps);
	free(a->assumed);
}

/*
 * The usable nodes of topo as specs (*ret_n of them), each with its free memory assumed: 0, or a
 * negative errno with the error recorded (-ENODEV when no usable node has CPUs).
 */
static int nodes_get(const struct np_source *src, hwloc_topology_t topo, struct objs_arrays *a,
                     unsigned *ret_n)
{
	bool whole = src->flags & NP_HOST_WHOLE_SYSTEM;
	unsigned n = 0, withcpus = 0;
	int r;

	r = objs_get(src, topo, a->nobjs, a->objs, a->sets);
	if (r < 0)
		return r;
	r = locality_cpus(a->objs, a->nobjs, a->sets);
	if (r < 0)
		return r;
	r = specs_from_objs(topo, a->objs, a->sets, a->nobjs, whole, a->specs, a->hps, &n,
	                    &withcpus);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++)
		a->assumed[i] = true; /* hwloc records no free memory */
	if (withcpus == 0) {
		np__set_error("no usable NUMA node with CPUs in '%s'", source_name(src));
		return -ENODEV;
	}
	*ret_n = n;
	return 0;
}

/* distances_get(), with the local distance alone for one node, for which hwloc has no matrix. */
static int distances_or_local(hwloc_topology_t topo, const struct np_node_spec *specs, unsigned n,
                              unsigned **ret_dist)
{
	int r = distances_get(topo, specs, n, ret_dist);

	if (r < 0)
		return r;
	if (!*ret_dist && n == 1) {
		/* hwloc gives no matrix for one node; nothing remote is assumed. */
		*ret_dist = malloc(sizeof(**ret_dist));
		if (!*ret_dist)
			return -ENOMEM;
		(*ret_dist)[0] = NP__LOCAL_DISTANCE;
	}
	return 0;
}

int np__host_load_objects(const struct np_source *src, np_host **ret_host)
{
	struct np__build_extra extra = {NULL, 0, NULL, NULL};
	struct objs_arrays a = {0, NULL, NULL, NULL, NULL, NULL};
	hwloc_topology_t topo = NULL;
	unsigned *dist = NULL, n = 0;
	int r;

	r = np__topology_load(src, &topo);
	if (r < 0)
		goto out;
	r = arrays_alloc(topo, &a);
	if (r < 0)
		goto out;
	r = nodes_get(src, topo, &a, &n);
	if (r < 0)
		goto out;
	r = distances_or_local(topo, a.specs, n, &dist);
	if (r < 0)
		goto out;
	r = np__cpu_facts(topo, (struct np_cpu **)&extra.cpus, &extra.ncpus);
	if (r < 0)
		goto out;
	extra.free_assumed = a.assumed;
	extra.topo = topo;
	r = np__host_build(n, a.specs, dist, &extra, ret_host);
	if (r == -EINVAL) {
		np__set_error("inconsistent topology in '%s'", source_name(src));
		r = -EBADMSG;
	}
	if (r == -E2BIG)
		too_big(src);
	if (r == 0)
		topo = NULL; /* owned by the snapshot */
out:
	arrays_free(&a);
	free(dist);
	free((void *)extra.cpus);
	if (topo)
		hwloc_topology_destroy(topo);
	return r;
}
