/*
 * tracegen.c - the VM-like trace generator behind np-tracegen and np-bench.
 *
 * The mix, per 1000 arrivals (sizes scaled to the node, so every host sees the same shapes):
 *   550 small   1-2 vCPUs, 0.5-4 GiB (at most a quarter of a node)
 *   250 medium  2-8 vCPUs (at most half a node's CPUs), 4-32 GiB (at most half a node)
 *   140 large   a quarter to all of a node's CPUs, a third to 85% of a node's memory
 *    60 multi   1.1 to 3.8 nodes' memory (at most 60% of the host), CPUs in proportion
 *               times 0.5-1.0: these need several nodes.
 * Arrivals and departures: a departure removes a guest chosen uniformly among the live ones.
 * While the guests' memory is below the fill target (90% of the host by default) an event is a
 * departure with probability 0.25, above it with probability 0.7, so the host fills and then
 * churns around the target; the large guests then meet a fragmented host.
 */
#include "tracegen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#define GIB (UINT64_C(1) << 30)
#define MEM_UNIT (UINT64_C(256) << 20)

void tg_rng_init(struct tg_rng *r, uint64_t seed)
{
	r->state = seed;
}

/* splitmix64 (Steele, Lea, Flood 2014): small, fast, and fully specified. */
uint64_t tg_rng_next(struct tg_rng *r)
{
	uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (hi >= lo). The modulo bias is below 2^-40 for these ranges. */
static uint64_t uniform(struct tg_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + tg_rng_next(r) % (hi - lo + 1);
}

static uint64_t round_mem(uint64_t bytes)
{
	bytes -= bytes % MEM_UNIT;
	return bytes ? bytes : MEM_UNIT;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

const char *tg_kind_name(enum tg_kind k)
{
	static const char *const names[] = {"small", "medium", "large", "multi"};

	return k < TG_KIND_COUNT_ ? names[k] : "?";
}

void tg_draw_guest(struct tg_rng *r, const struct tg_params *p, struct tg_event *ret)
{
	uint64_t m = p->node_memory, c = p->node_cpus, roll = uniform(r, 0, 999);
	struct tg_event g = {.place = 1};

	if (roll < 550)
		g.kind = TG_SMALL;
	else if (roll < 800)
		g.kind = TG_MEDIUM;
	else if (roll < 940 || p->nnodes < 2)
		g.kind = TG_LARGE;
	else
		g.kind = TG_MULTI;

	switch (g.kind) {
	case TG_SMALL:
		g.vcpus = (unsigned)uniform(r, 1, 2);
		g.memory = min_u64(uniform(r, 1, 8) * (GIB / 2), m / 4);
		break;
	case TG_MEDIUM: {
		uint64_t vmax = max_u64(2, min_u64(8, c / 2));
		uint64_t gmax = max_u64(4, min_u64(32, m / 2 / GIB));

		g.vcpus = (unsigned)uniform(r, 2, vmax);
		g.memory = min_u64(uniform(r, 4, gmax) * GIB, m / 2);
		break;
	}
	case TG_LARGE: {
		uint64_t vmin = max_u64(1, c / 4);

		g.vcpus = (unsigned)uniform(r, vmin, max_u64(vmin, c));
		g.memory = uniform(r, m / 3, m / 100 * 85);
		break;
	}
	default: {
		uint64_t pct = min_u64(uniform(r, 110, 380), (uint64_t)p->nnodes * 60);

		g.vcpus = (unsigned)max_u64(1, c * pct / 100 * uniform(r, 50, 100) / 100);
		g.memory = m / 100 * pct;
		break;
	}
	}
	g.memory = round_mem(g.memory);
	*ret = g;
}

static int params_valid(const struct tg_params *p)
{
	return p->nnodes >= 1 && p->node_cpus >= 1 && p->node_memory >= GIB && p->fill_pct <= 100;
}

unsigned tg_default_events(const struct tg_params *p)
{
	struct tg_rng r;
	struct tg_event g;
	uint64_t sum = 0, fill = p->fill_pct ? p->fill_pct : 90, guests;

	if (!params_valid(p))
		return 0;
	/* The mean guest of this host's mix, from a fixed sample (not the trace's seed). */
	tg_rng_init(&r, 1);
	for (unsigned i = 0; i < 1024; i++) {
		tg_draw_guest(&r, p, &g);
		sum += g.memory;
	}
	guests = (uint64_t)p->nnodes * p->node_memory / 100 * fill / (sum / 1024);
	return (unsigned)min_u64(20000, 2 * guests + 200);
}

struct live {
	unsigned id;
	uint64_t memory;
};

int tg_generate(const struct tg_params *p, struct tg_trace *ret)
{
	struct tg_rng r;
	struct tg_event *ev = NULL;
	struct live *live = NULL;
	size_t nlive = 0, n;
	uint64_t used = 0, target;
	unsigned next_id = 1;
	int err = -EINVAL;

	if (!p || !ret || !params_valid(p))
		goto out;
	n = p->events ? p->events : tg_default_events(p);
	target = (uint64_t)p->nnodes * p->node_memory / 100 * (p->fill_pct ? p->fill_pct : 90);
	ev = calloc(n ? n : 1, sizeof(*ev));
	live = calloc(n ? n : 1, sizeof(*live));
	err = -ENOMEM;
	if (!ev || !live)
		goto out;
	tg_rng_init(&r, p->seed);
	for (size_t e = 0; e < n; e++) {
		uint64_t depart_pm = used < target ? 250 : 700;

		if (nlive && !p->arrivals_only && uniform(&r, 0, 999) < depart_pm) {
			size_t k = (size_t)uniform(&r, 0, nlive - 1);

			ev[e] = (struct tg_event){.place = 0, .id = live[k].id};
			used -= live[k].memory;
			live[k] = live[--nlive];
			continue;
		}
		tg_draw_guest(&r, p, &ev[e]);
		ev[e].id = next_id++;
		live[nlive++] = (struct live){ev[e].id, ev[e].memory};
		used += ev[e].memory;
	}
	ret->ev = ev;
	ret->n = n;
	ev = NULL;
	err = 0;
out:
	free(ev);
	free(live);
	return err;
}

void tg_trace_release(struct tg_trace *t)
{
	if (!t)
		return;
	free(t->ev);
	t->ev = NULL;
	t->n = 0;
}

int tg_write_jsonl(const struct tg_trace *t, FILE *f)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tg_event *e = &t->ev[i];
		int r;

		if (e->place)
			r = fprintf(f,
			            "{\"op\":\"place\",\"name\":\"g%u\",\"memory\":%" PRIu64
			            ",\"vcpus\":%u}\n",
			            e->id, e->memory, e->vcpus);
		else
			r = fprintf(f, "{\"op\":\"remove\",\"name\":\"g%u\"}\n", e->id);
		if (r < 0)
			return -EIO;
	}
	return 0;
}
