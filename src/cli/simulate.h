/*
 * simulate.h - the state of `numaplace simulate` and its one-line step, apart from the command
 * so that the trace fuzzer (tests/fuzz/fuzz-trace.c) drives exactly what the command runs.
 */
#ifndef NUMAPLACE_SIMULATE_H
#define NUMAPLACE_SIMULATE_H

#include "cli.h"

struct guest {
	char *name;
	struct np_claim claim;  /* memory and vCPUs; memory alone with a memory kind's nodes */
	struct np_claim vclaim; /* the vCPUs on every node of the set, with a memory kind's nodes */
	hwloc_bitmap_t held; /* CPUs granted exclusively ("exclusive": true), or NULL */
	bool placed;
};

struct report {
	uint64_t placed, unplaced, rejected, single_node, nodes_total;
	double weighted_distance, weight; /* memory-weighted access distance */
	double peak_load, spread_sum;
	uint64_t samples, examined, search_ns, searches;
	uint64_t exclusive_cpus; /* CPUs held exclusively at the most, over the trace */
};

struct sim {
	const np_host *host;
	const struct np_search_opts *search;
	np_load *load;
	/*
	 * The host's memory kinds and HMAT costs (sim_memory()), for "memory_kind"; without them
	 * every node is DRAM and the search ranks by the distances.
	 */
	np_memory *memory;
	unsigned *costs;
	hwloc_bitmap_t dram, hbm; /* the DRAM nodes, the HBM nodes */
	struct guest *guests;
	size_t nguests, cap;
	struct report rep;
};

/*
 * Start a simulation on `host` (which must outlive it), every node DRAM until sim_memory().
 * Returns 0 or -ENOMEM.
 */
int sim_init(struct sim *s, const np_host *host, const struct np_search_opts *search);
/*
 * Read the memory kinds and HMAT costs of the simulation's host from `src` (best effort: a
 * host whose tiers cannot be read keeps every node DRAM). Returns 0 or -ENOMEM.
 */
int sim_memory(struct sim *s, const struct np_source *src);
/*
 * Apply one trace line (`len` bytes, a final "\n" or "\r\n" allowed; modified in place): print
 * the decision of a place op, or apply a remove. Returns 0, or EXIT_FAIL after printing why.
 */
int sim_line(struct sim *s, char *line, size_t len, unsigned long lineno);
/* Free what the simulation holds; idempotent. */
void sim_release(struct sim *s);

#endif /* NUMAPLACE_SIMULATE_H */
