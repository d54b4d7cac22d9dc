/*
 * place-cpus.c - the CPUs a placement on nodes given by hand binds (place.c): the nodes' CPUs,
 * less those other workloads hold exclusively (docs/placement.md, "Exclusive cores").
 */
#include "place.h"

/*
 * The CPUs of nodes given by hand. Nodes whose every CPU np_host_reserve() took have none
 * left: the host's usable CPUs then, never the reserved ones the process may be running on.
 */
static void nodes_cpus(const np_host *h, hwloc_const_nodeset_t nodes, hwloc_bitmap_t ret_cpus)
{
	np_host_nodeset_to_cpuset(h, nodes, ret_cpus);
	if (!hwloc_bitmap_iszero(ret_cpus))
		return;
	for (unsigned i = 0; i < h->nnodes; i++)
		if (hwloc_bitmap_isset(nodes, h->nodes[i].id) && h->nodes[i].reserved &&
		    !hwloc_bitmap_iszero(h->nodes[i].reserved)) {
			hwloc_bitmap_copy(ret_cpus, h->cpuset);
			return;
		}
}

const char *np__given_cpus(const np_host *h, hwloc_const_nodeset_t nodes, hwloc_const_cpuset_t held,
                           hwloc_bitmap_t ret_cpus)
{
	nodes_cpus(h, nodes, ret_cpus);
	if (hwloc_bitmap_iszero(held) || !hwloc_bitmap_intersects(ret_cpus, held))
		return "nodes given by hand";
	if (hwloc_bitmap_isincluded(ret_cpus, held))
		return "nodes given by hand; every CPU of them is held exclusively: shared with "
		       "the "
		       "holders";
	hwloc_bitmap_andnot(ret_cpus, ret_cpus, held);
	return "nodes given by hand; the CPUs held exclusively left out";
}
