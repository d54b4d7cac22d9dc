/*
 * hosts.h - the benchmark's host catalogue: node counts, node sizes and distance matrices of
 * real machine shapes, from a 2-socket server to a 256-node hierarchical machine.
 * Pure data and arithmetic (np-tracegen uses it without the library).
 */
#ifndef NP_BENCH_HOSTS_H
#define NP_BENCH_HOSTS_H

#include <stdint.h>

struct bench_host {
	const char *name;  /* short name used in tables and by np-tracegen --host */
	const char *shape; /* one line: what machine it stands for */
	unsigned nnodes;
	unsigned node_cpus;
	uint64_t node_memory; /* bytes */
	unsigned (*distance)(const struct bench_host *h, unsigned a, unsigned b);
};

extern const struct bench_host bench_hosts[];
extern const unsigned bench_nhosts;

/* The catalogue entry called `name`, or NULL. */
const struct bench_host *bench_host_find(const char *name);

/* The distances written like a SLIT row for node 0 ("10 21"), into buf. */
void bench_host_distinct(const struct bench_host *h, char *buf, unsigned len);

#endif /* NP_BENCH_HOSTS_H */
