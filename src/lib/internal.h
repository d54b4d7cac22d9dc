/*
 * internal.h - what the library's modules share and the public header does not show.
 * Tests may include it; the CLI and other toolstacks must not.
 */
#ifndef NUMAPLACE_INTERNAL_H
#define NUMAPLACE_INTERNAL_H

#include "numaplace.h"

#include <stdbool.h>

#define NP__LOCAL_DISTANCE 10
#define NP__REMOTE_DISTANCE 20
#define NP__MAX_NODE_ID 65535u

struct np_host {
	hwloc_topology_t topo;      /* NULL for built and NP_HOST_FAST snapshots */
	unsigned nnodes;
	struct np_node *nodes;      /* sorted by id */
	hwloc_bitmap_t *node_cpus;  /* owned storage behind nodes[i].cpuset */
	struct np_hugepages *hp;    /* owned storage behind nodes[i].hugepages */
	unsigned *dist;             /* nnodes * nnodes, row-major by index */
	bool dist_assumed;
	unsigned ncpus;
	struct np_cpu *cpus;        /* sorted by cpu */
	hwloc_bitmap_t cpuset;      /* union of node cpusets */
	hwloc_bitmap_t nodeset;     /* all node ids */
	int *idx_of_id;             /* max_id + 1 entries, -1 where no node */
	unsigned max_id;
};

struct np_load {
	const struct np_host *host;
	uint64_t *free;   /* per node index */
	uint64_t *vcpus;  /* per node index */
};

/*
 * Build a host from node specs and per-CPU facts (core/socket; may be NULL: unknown).
 * Used by every loader; np_host_build() is this with cpus = NULL.
 * On success takes ownership of `topo` (may be NULL).
 */
int np__host_build(unsigned nnodes, const struct np_node_spec *nodes, const unsigned *distances,
		   const struct np_cpu *cpus, unsigned ncpus, hwloc_topology_t topo,
		   np_host **ret_host);

/* Record the text np_host_last_error() returns (printf-like). Thread-local. */
void np__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void np__clear_error(void);

#endif /* NUMAPLACE_INTERNAL_H */
