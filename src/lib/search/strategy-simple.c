/*
 * strategy-simple.c - the strategies that are simple to state: exhaustive (compact's ranking
 * over every set), first-fit, spread, and numad's node selection.
 */
#include "search.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int np__strategy_exhaustive(struct np__search *s)
{
	s->cmp = np__cmp_compact;
	if (s->m > NP__EXHAUSTIVE_MAX_NODES) {
		np__reason(s, "exhaustive strategy: %u nodes to search, more than %u", s->m,
		           NP__EXHAUSTIVE_MAX_NODES);
		return 0;
	}
	for (unsigned k = np__size_bound(s); k <= s->max_nodes; k++) {
		int64_t found = np__enumerate(s, k, true);

		if (found < 0)
			return (int)found;
		if (found > 0)
			break;
	}
	return 0;
}

/* The set of the first n positions into the scratch candidate, offered if it fits. */
static int offer_prefix(struct np__search *s, const unsigned *order, unsigned n,
                        const struct np__sums *sums, bool *ret_fits)
{
	*ret_fits = np__fits(s, sums, n);
	if (!*ret_fits)
		return 0;
	for (unsigned i = 0; i < n; i++)
		s->scratch.pos[i] = order ? order[i] : i;
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && s->scratch.pos[j - 1] > s->scratch.pos[j]; j--) {
			unsigned t = s->scratch.pos[j];

			s->scratch.pos[j] = s->scratch.pos[j - 1];
			s->scratch.pos[j - 1] = t;
		}
	s->scratch.n = n;
	s->scratch.s = *sums;
	return np__offer(s);
}

/* Nodes in id order until the set holds the request. */
int np__strategy_first_fit(struct np__search *s)
{
	struct np__sums sums = {0};
	unsigned *pos = s->scratch.pos;
	bool fits = false;

	snprintf(s->why, sizeof(s->why), "lowest node ids that fit");
	for (unsigned n = 0; n < s->m && n < s->max_nodes && !fits; n++) {
		int r;

		np__sums_add(s, &sums, pos, n, n, &sums);
		pos[n] = n;
		s->examined++;
		r = offer_prefix(s, NULL, n + 1, &sums, &fits);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every eligible node, if together they hold the request. */
int np__strategy_spread(struct np__search *s)
{
	struct np__sums sums = {0};
	unsigned *pos = s->scratch.pos;
	bool fits;

	snprintf(s->why, sizeof(s->why), "all allowed nodes");
	if (s->m == 0)
		return 0;
	if (s->req->max_nodes && s->m > s->req->max_nodes) {
		np__reason(s, "spread strategy: %u allowed nodes, more than the maximum of %u",
		           s->m, s->req->max_nodes);
		return 0;
	}
	for (unsigned n = 0; n < s->m; n++) {
		np__sums_add(s, &sums, pos, n, n, &sums);
		pos[n] = n;
	}
	s->examined = 1;
	return offer_prefix(s, NULL, s->m, &sums, &fits);
}

/* ------------------------------------------------------------------------------------------ */
/* numad                                                                                         */
/* ------------------------------------------------------------------------------------------ */

#define MiB (1024ull * 1024)
/* numad leaves 100 MB on every node it counts memory from. */
#define NUMAD_KEEP (100 * MiB)

struct nd {
	unsigned pos;
	unsigned dist;
	double score;
};

static int cmp_nd(const void *a, const void *b)
{
	const struct nd *x = a, *y = b;

	if (x->dist != y->dist)
		return (x->dist > y->dist) - (x->dist < y->dist);
	if (x->score != y->score)
		return (x->score < y->score) - (x->score > y->score);
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static double free_cpus(const struct np__enode *e)
{
	return e->ncpus > e->vcpus ? (double)(e->ncpus - e->vcpus) : 0.0;
}

/* The other nodes seen from `start`: by distance, then larger score, then position. */
static void neighbours(const struct np__search *s, const double *score, unsigned start,
                       struct nd *out)
{
	for (unsigned p = 0; p < s->m; p++) {
		out[p].pos = p;
		out[p].dist = np__dist(s, s->nodes[p].idx, s->nodes[start].idx);
		out[p].score = score[p];
	}
	qsort(out, s->m, sizeof(*out), cmp_nd);
}

/*
 * numad's pick_numa_nodes(), on the load instead of sampled idle time: a node's score is its
 * free CPUs (CPUs - load vCPUs, at least 0) x its free MiB. The node count to look at comes
 * from the first node's size (numad's node 0; here the lowest-id eligible node with CPUs and
 * memory, as numad divides by zero on a CPU-less or memory-less node 0). For every start
 * node, the nodes in distance order give score / distance^2 over that many nodes; the best
 * start wins (the first on a tie), and nodes are added in its distance order until their free
 * memory (less 100 MiB each) and free CPUs hold the request, every node if they never do.
 */
int np__strategy_numad(struct np__search *s)
{
	const struct np__enode *ref = NULL;
	struct nd *nb = NULL;
	double *score = NULL, best_mag = 0.0;
	struct np__sums sums = {0};
	uint64_t mem = 0, cpus = 0;
	unsigned count = 1, best = 0, n = 0;
	bool fits;
	int r = -ENOMEM;

	if (s->m == 0)
		return 0;
	score = calloc(s->m, sizeof(*score));
	nb = calloc(s->m, sizeof(*nb));
	if (!score || !nb)
		goto out;
	for (unsigned p = 0; p < s->m; p++) {
		const struct np__enode *e = &s->nodes[p];

		score[p] = free_cpus(e) * (double)(e->free / MiB);
		if (!ref && e->ncpus && e->memory)
			ref = e;
	}
	if (ref) {
		uint64_t by_mem = (s->req->memory_bytes + ref->memory - 1) / ref->memory;
		uint64_t by_cpu = (s->req->vcpus + ref->ncpus - 1) / ref->ncpus;
		uint64_t c = by_mem > by_cpu ? by_mem : by_cpu;

		count = c > s->m ? s->m : (unsigned)c;
	}
	if (count < s->min_nodes)
		count = s->min_nodes > s->m ? s->m : s->min_nodes;
	if (count == 0)
		count = 1;

	for (unsigned start = 0; start < s->m; start++) {
		double mag = 0.0;

		neighbours(s, score, start, nb);
		for (unsigned i = 0; i < count; i++)
			mag += nb[i].score / ((double)nb[i].dist * nb[i].dist);
		s->examined++;
		if (mag > best_mag) {
			best_mag = mag;
			best = start;
		}
	}

	neighbours(s, score, best, nb);
	for (n = 0; n < s->m; n++) {
		const struct np__enode *e = &s->nodes[nb[n].pos];
		unsigned *order = s->scratch.pos;

		if (n >= count && mem >= s->req->memory_bytes && cpus >= s->req->vcpus &&
		    sums.hp >= s->need[NP__RES_HP] && sums.near >= s->need[NP__RES_NEAR] &&
		    sums.mem >= s->need[NP__RES_MEMNODE])
			break;
		np__sums_add(s, &sums, order, n, nb[n].pos, &sums);
		order[n] = nb[n].pos;
		mem += e->free > NUMAD_KEEP ? e->free - NUMAD_KEEP : 0;
		cpus += e->ncpus > e->vcpus ? e->ncpus - e->vcpus : 0;
	}
	snprintf(s->why, sizeof(s->why), "numad's pick around node %u",
	         s->host->nodes[s->nodes[best].idx].id);
	if (n > s->max_nodes) {
		np__reason(s, "numad strategy: its pick has %u nodes, more than the maximum of %u",
		           n, s->max_nodes);
		r = 0;
		goto out;
	}
	r = offer_prefix(s, s->scratch.pos, n, &sums, &fits);
out:
	free(score);
	free(nb);
	return r;
}
