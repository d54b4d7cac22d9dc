/*
 * simulate.h - the state of `numaplace simulate` and its one-line step, apart from the command
 * so that the trace fuzzer (tests/fuzz/fuzz-trace.c) drives exactly what the command runs.
 */
#ifndef NUMAPLACE_SIMULATE_H
#define NUMAPLACE_SIMULATE_H

#include "cli.h"

struct guest {
	char *name;
	struct np_claim claim;
	bool placed;
};

struct report {
	uint64_t placed, unplaced, rejected, single_node, nodes_total;
	double weighted_distance, weight; /* memory-weighted access distance */
	double peak_load, spread_sum;
	uint64_t samples, examined, search_ns, searches;
};

struct sim {
	const np_host *host;
	const struct np_search_opts *search;
	np_load *load;
	struct guest *guests;
	size_t nguests, cap;
	struct report rep;
};

/* Start a simulation on `host` (which must outlive it). Returns 0 or -ENOMEM. */
int sim_init(struct sim *s, const np_host *host, const struct np_search_opts *search);
/*
 * Apply one trace line (`len` bytes, a final "\n" or "\r\n" allowed; modified in place): print
 * the decision of a place op, or apply a remove. Returns 0, or EXIT_FAIL after printing why.
 */
int sim_line(struct sim *s, char *line, size_t len, unsigned long lineno);
/* Free what the simulation holds; idempotent. */
void sim_release(struct sim *s);

#endif /* NUMAPLACE_SIMULATE_H */
