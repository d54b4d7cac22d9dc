/*
 * tracegen.h - seeded, reproducible traces of VM-like placements and removals.
 *
 * The same parameters give the same events, and np-tracegen the same bytes, on every machine:
 * the generator uses only integer arithmetic and its own pseudo-random generator (splitmix64).
 * Used by np-tracegen (which prints a trace for `numaplace simulate`) and by np-bench.
 */
#ifndef NP_BENCH_TRACEGEN_H
#define NP_BENCH_TRACEGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tg_params {
	uint64_t seed;
	unsigned nnodes;      /* nodes of the host the mix is scaled to (>= 1) */
	unsigned node_cpus;   /* CPUs of one node (>= 1) */
	uint64_t node_memory; /* bytes of one node (>= 1 GiB) */
	unsigned events;   /* 0: enough to fill the host about twice over, see tg_default_events */
	unsigned fill_pct; /* share of the host's memory arrivals aim to keep in use; 0: 90 */
	unsigned arrivals_only; /* 1: no removals (a host filled once) */
};

enum tg_kind {
	TG_SMALL = 0, /* 1-2 vCPUs, 0.5-4 GiB */
	TG_MEDIUM,    /* 2-8 vCPUs, 4-32 GiB */
	TG_LARGE,     /* a quarter to a whole node's CPUs, a third to 85% of a node's memory */
	TG_MULTI,     /* 1.1 to 3.8 nodes' memory: needs several nodes */
	TG_KIND_COUNT_
};

struct tg_event {
	unsigned place; /* 1: place guest `id`; 0: remove it */
	unsigned id;    /* guests are named g<id>, ids 1, 2, ... in arrival order */
	enum tg_kind kind;
	uint64_t memory; /* bytes (place only) */
	unsigned vcpus;  /* place only */
};

struct tg_trace {
	struct tg_event *ev;
	size_t n;
};

/* Events for the default trace length on a host of these parameters. */
unsigned tg_default_events(const struct tg_params *p);

/*
 * Generate a trace. Returns 0 and fills *ret (free with tg_trace_release()), -EINVAL for
 * impossible parameters, -ENOMEM.
 */
int tg_generate(const struct tg_params *p, struct tg_trace *ret);
void tg_trace_release(struct tg_trace *t);

/* One guest drawn from the mix, with no trace around it (for latency requests). */
struct tg_rng {
	uint64_t state;
};
void tg_rng_init(struct tg_rng *r, uint64_t seed);
uint64_t tg_rng_next(struct tg_rng *r);
void tg_draw_guest(struct tg_rng *r, const struct tg_params *p, struct tg_event *ret);

/* Write the trace as JSON lines for `numaplace simulate`. Returns 0 or -EIO. */
int tg_write_jsonl(const struct tg_trace *t, FILE *f);

const char *tg_kind_name(enum tg_kind k);

#endif /* NP_BENCH_TRACEGEN_H */
