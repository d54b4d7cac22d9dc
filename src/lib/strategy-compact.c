/*
 * strategy-compact.c - the default strategy. docs/placement.md gives the design and worked
 * examples; in short:
 *
 * Sets are ranked by np__cmp_compact(): (1) fewer nodes, (2) not over-committed (load vCPUs +
 * request vCPUs <= CPUs) before over-committed, (3) smaller distance sum, (4) lower (load +
 * request vCPUs) / CPUs, exactly, (5) more free memory, (6) lowest node ids.
 *
 * Sizes are tried from the smallest that the largest nodes could hold, and the search stops
 * at the first size with a fit, as (1) says. At a size k with at most NP__COMPACT_BUDGET
 * k-sets every set is evaluated. Above that, each node seeds a set that grows to k nodes,
 * each time by the node closest to the set (least summed distance to its members) among the
 * nodes that leave the set completable, ties going by load per CPU, free memory, then id.
 * That is m seeds x k steps x m nodes: O(m^2 k) per size.
 */
#include "search.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* C(m, k), or budget + 1 once it is above the budget. */
static uint64_t choose_capped(unsigned m, unsigned k, uint64_t budget)
{
	uint64_t c = 1;

	if (k > m)
		return 0;
	if (k > m - k)
		k = m - k;
	for (unsigned i = 0; i < k; i++) {
		/* C(m, i) * (m - i) / (i + 1) = C(m, i + 1): the division is exact. */
		c = c * (m - i) / (i + 1);
		if (c > budget)
			return budget + 1;
	}
	return c;
}

/*
 * The greedy step depends on the growing set only, not on the seed it grew from: once two
 * seeds reach the same partial set they end in the same k-set. Partial sets are remembered
 * (hashed by XOR of a fixed key per position, compared member by member) and a seed that
 * reaches a known one stops there. On a host of equal groups most seeds stop after a step.
 */
struct memo {
	uint64_t hash;
	uint32_t off; /* into the arena */
	uint32_t n;   /* 0: empty entry */
};

#define MEMO_MAX_RECORDS (1u << 16)
#define MEMO_MAX_ARENA (1u << 20)

struct grow {
	bool *in;       /* member of the growing set */
	uint64_t *dinc; /* what a node would add to the distance sum */
	uint64_t *dsym; /* m x m by position: d(i,j) + d(j,i) */
	unsigned *mark; /* per resource and position: stamp of the current top list */
	unsigned stamp;
	uint64_t *zkey; /* per position */
	struct memo *tab;
	size_t tabmask;
	size_t records;
	unsigned *arena;
	size_t arena_len;
	size_t arena_cap;
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Whether the current set (g->in, members pos[0..n)) was reached before; remembers it if not. */
static int memo_seen(struct grow *g, const unsigned *pos, unsigned n, uint64_t hash, bool *ret_seen)
{
	size_t i = hash & g->tabmask;

	*ret_seen = false;
	if (!g->tab)
		return 0;
	for (; g->tab[i].n; i = (i + 1) & g->tabmask) {
		const struct memo *e = &g->tab[i];
		bool same = e->hash == hash && e->n == n;

		for (unsigned j = 0; same && j < n; j++)
			same = g->in[g->arena[e->off + j]];
		if (same) {
			*ret_seen = true;
			return 0;
		}
	}
	if (g->records >= MEMO_MAX_RECORDS || g->arena_len + n > MEMO_MAX_ARENA)
		return 0;
	if (g->arena_len + n > g->arena_cap) {
		size_t cap = g->arena_cap ? g->arena_cap * 2 : 1024;
		unsigned *a;

		while (cap < g->arena_len + n)
			cap *= 2;
		a = realloc(g->arena, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		g->arena = a;
		g->arena_cap = cap;
	}
	memcpy(&g->arena[g->arena_len], pos, n * sizeof(*pos));
	g->tab[i] = (struct memo){hash, (uint32_t)g->arena_len, n};
	g->arena_len += n;
	g->records++;
	return 0;
}

/*
 * Whether a node can join and still leave a completable set is decided per resource against
 * the best t nodes outside the set (t = k - n - 1 slots left after it). With top0 the sum of
 * the best t outside and top1 of the best t + 1 (those are marked): a marked node y leaves
 * top1 - y for the rest, so the test is have + top1 >= need whatever y holds; an unmarked y
 * leaves top0, so y must hold need - have - top0. Per step that is one flag and one threshold
 * per resource, and a test per node is a comparison.
 */
struct step {
	unsigned nact;
	unsigned act[NP__NRES];
	bool marked_ok[NP__NRES];
	uint64_t thr[NP__NRES];
};

static void step_prepare(const struct np__search *s, struct grow *g, const struct np__sums *have,
                         unsigned t, struct step *st)
{
	g->stamp++;
	st->nact = 0;
	for (unsigned r = 0; r < NP__NRES; r++) {
		uint64_t sum = 0, top0 = 0, base = np__sum_of(have, (enum np__res)r);
		unsigned taken = 0;

		if (base >= s->need[r])
			continue;
		for (unsigned i = 0; i < s->m && taken < t + 1; i++) {
			unsigned p = s->order[r][i];

			if (g->in[p])
				continue;
			if (taken == t)
				top0 = sum;
			sum = np__add_sat(sum, np__res_of(&s->nodes[p], (enum np__res)r));
			g->mark[(size_t)r * s->m + p] = g->stamp;
			taken++;
		}
		if (taken <= t)
			top0 = sum;
		st->marked_ok[st->nact] = np__add_sat(base, sum) >= s->need[r];
		st->thr[st->nact] = np__add_sat(base, top0) >= s->need[r]
		                        ? 0
		                        : s->need[r] - np__add_sat(base, top0);
		st->act[st->nact++] = r;
	}
}

static bool step_ok(const struct np__search *s, const struct grow *g, const struct step *st,
                    unsigned y)
{
	for (unsigned i = 0; i < st->nact; i++) {
		unsigned r = st->act[i];

		if (g->mark[(size_t)r * s->m + y] == g->stamp) {
			if (!st->marked_ok[i])
				return false;
		} else if (np__res_of(&s->nodes[y], (enum np__res)r) < st->thr[i]) {
			return false;
		}
	}
	return true;
}

/* Among equally close nodes: lower load per CPU of the grown set, more free memory. */
static int grow_tie(const struct np__search *s, const struct np__sums *have, unsigned a, unsigned b)
{
	const struct np__enode *x = &s->nodes[a], *y = &s->nodes[b];
	uint64_t r = s->req->vcpus;
	uint64_t la = np__add_sat(np__add_sat(have->vcpus, x->vcpus), r);
	uint64_t lb = np__add_sat(np__add_sat(have->vcpus, y->vcpus), r);
	int v = np__ratio_cmp(la, np__add_sat(have->ncpus, x->ncpus), lb,
	                      np__add_sat(have->ncpus, y->ncpus));

	if (v)
		return v;
	return (x->free < y->free) - (x->free > y->free);
}

/* The next node for the set: the closest that keeps it completable; s->m if none. */
static unsigned step_pick(const struct np__search *s, const struct grow *g,
                          const struct np__sums *have, const struct step *st)
{
	uint64_t min = UINT64_MAX;
	unsigned best = s->m;

	for (unsigned y = 0; y < s->m; y++)
		if (!g->in[y] && g->dinc[y] < min && step_ok(s, g, st, y)) {
			min = g->dinc[y];
			best = y;
		}
	if (best == s->m)
		return best;
	for (unsigned y = best + 1; y < s->m; y++)
		if (!g->in[y] && g->dinc[y] == min && step_ok(s, g, st, y) &&
		    grow_tie(s, have, y, best) < 0)
			best = y;
	return best;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

static void grow_release(struct grow *g)
{
	free(g->in);
	free(g->dinc);
	free(g->dsym);
	free(g->mark);
	free(g->zkey);
	free(g->tab);
	free(g->arena);
}

static int grow_init(const struct np__search *s, unsigned k, struct grow *g)
{
	size_t m = s->m, want = m * (k - 1), size = 16;

	g->in = calloc(m, sizeof(*g->in));
	g->dinc = calloc(m, sizeof(*g->dinc));
	g->dsym = malloc(m * m * sizeof(*g->dsym));
	g->mark = calloc(m * NP__NRES, sizeof(*g->mark));
	g->zkey = malloc(m * sizeof(*g->zkey));
	if (want > MEMO_MAX_RECORDS)
		want = MEMO_MAX_RECORDS;
	while (size < 2 * want)
		size *= 2;
	g->tab = calloc(size, sizeof(*g->tab));
	g->tabmask = size - 1;
	if (!g->in || !g->dinc || !g->dsym || !g->mark || !g->zkey || !g->tab)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++) {
		const unsigned *row = &s->host->dist[(size_t)s->nodes[i].idx * s->host->nnodes];
		uint64_t *out = &g->dsym[i * m];

		g->zkey[i] = mix64(i);
		for (size_t j = 0; j < m; j++)
			out[j] = row[s->nodes[j].idx];
	}
	/* Add the transpose, square block by block so that both stay in cache. */
	for (size_t i0 = 0; i0 < m; i0 += 32)
		for (size_t j0 = i0; j0 < m; j0 += 32)
			for (size_t i = i0; i < i0 + 32 && i < m; i++)
				for (size_t j = j0 > i ? j0 : i + 1; j < j0 + 32 && j < m; j++) {
					uint64_t d = g->dsym[i * m + j] + g->dsym[j * m + i];

					g->dsym[i * m + j] = d;
					g->dsym[j * m + i] = d;
				}
	for (size_t i = 0; i < m; i++)
		g->dsym[i * m + i] *= 2;
	return 0;
}

/* Grow a k-set from every seed; offer those that fit. Returns the number offered. */
static int64_t grow_all(struct np__search *s, unsigned k)
{
	struct grow g = {0};
	unsigned *pos = s->scratch.pos;
	int64_t found = 0, r;

	r = grow_init(s, k, &g);
	if (r < 0)
		goto out;
	s->dedupe = true;
	for (unsigned seed = 0; seed < s->m; seed++) {
		struct np__sums have = {0};
		uint64_t hash = 0;
		unsigned n = 0;
		bool seen = false;

		memset(g.in, 0, s->m * sizeof(*g.in));
		for (unsigned y = 0; y < s->m; y++)
			g.dinc[y] = s->nodes[y].diag;
		while (n < k && !seen) {
			struct step st;
			unsigned best;
			const uint64_t *row;

			step_prepare(s, &g, &have, k - n - 1, &st);
			if (n == 0)
				best = step_ok(s, &g, &st, seed) ? seed : s->m;
			else
				best = step_pick(s, &g, &have, &st);
			if (best == s->m)
				break;
			np__sums_add(s, &have, pos, n, best, &have);
			pos[n++] = best;
			g.in[best] = true;
			hash ^= g.zkey[best];
			row = &g.dsym[(size_t)best * s->m];
			for (unsigned y = 0; y < s->m; y++)
				g.dinc[y] += row[y];
			if (n >= 2 && n < k) {
				r = memo_seen(&g, pos, n, hash, &seen);
				if (r < 0)
					goto out;
			}
		}
		if (n < k)
			continue;
		s->examined++;
		if (!np__fits(s, &have, n))
			continue;
		qsort(pos, n, sizeof(*pos), cmp_unsigned);
		s->scratch.n = n;
		s->scratch.s = have;
		r = np__offer(s);
		if (r < 0)
			goto out;
		found++;
	}
	r = found;
out:
	s->dedupe = false;
	grow_release(&g);
	return r;
}

int np__strategy_compact(struct np__search *s)
{
	unsigned k = np__size_bound(s);

	s->cmp = np__cmp_compact;
	for (; k <= s->max_nodes; k++) {
		int64_t found;

		if (choose_capped(s->m, k, NP__COMPACT_BUDGET) <= NP__COMPACT_BUDGET)
			found = np__enumerate(s, k, true);
		else
			found = grow_all(s, k);
		if (found < 0)
			return (int)found;
		if (found > 0)
			break;
	}
	return 0;
}
