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
#include <limits.h>
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

/*
 * What a set must reach during growth: the request's resources and, in the strict phase, the
 * spare CPUs that keep it from being over-committed. Load vCPUs + request vCPUs <= CPUs is
 * sum over the set of (CPUs - vCPUs) >= request vCPUs; a node's CPUs - vCPUs may be negative,
 * so it is stored plus SPARE_BIAS, and a k-set needs request vCPUs + k x SPARE_BIAS. Every
 * completable test sums exactly k nodes (the set, the candidate, the best t others), so the
 * biases cancel. A spare figure is clamped to +-SPARE_BIAS / 2, far beyond real loads.
 */
#define NRES_GROW (NP__NRES + 1)
#define RES_SPARE NP__NRES
#define SPARE_BIAS (1ull << 40)

struct gres {
	uint64_t need;
	uint64_t *val;   /* per position */
	unsigned *order; /* positions by val, largest first */
	bool owned;      /* val and order are this growth's own */
};

struct grow {
	bool *in;       /* member of the growing set */
	uint64_t *dinc; /* what a node would add to the distance sum */
	uint64_t *dsym; /* m x m by position: d(i,j) + d(j,i) */
	unsigned *mark; /* per resource and position: stamp of the current top list */
	unsigned stamp;
	unsigned nres; /* NP__NRES, or NRES_GROW in the strict phase */
	struct gres res[NRES_GROW];
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
	unsigned act[NRES_GROW];
	bool marked_ok[NRES_GROW];
	uint64_t thr[NRES_GROW];
};

static void step_prepare(const struct np__search *s, struct grow *g, const uint64_t *have,
                         unsigned t, struct step *st)
{
	g->stamp++;
	st->nact = 0;
	for (unsigned r = 0; r < g->nres; r++) {
		const struct gres *R = &g->res[r];
		uint64_t sum = 0, top0 = 0, base = have[r];
		unsigned taken = 0;

		if (base >= R->need)
			continue;
		for (unsigned i = 0; i < s->m && taken < t + 1; i++) {
			unsigned p = R->order[i];

			if (g->in[p])
				continue;
			if (taken == t)
				top0 = sum;
			sum = np__add_sat(sum, R->val[p]);
			g->mark[(size_t)r * s->m + p] = g->stamp;
			taken++;
		}
		if (taken <= t)
			top0 = sum;
		st->marked_ok[st->nact] = np__add_sat(base, sum) >= R->need;
		st->thr[st->nact] =
		    np__add_sat(base, top0) >= R->need ? 0 : R->need - np__add_sat(base, top0);
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
		} else if (g->res[r].val[y] < st->thr[i]) {
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

	/* Two passes: the least distance first, then the ties at that distance only. */
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
	for (unsigned r = 0; r < NRES_GROW; r++) {
		free(g->res[r].val);
		if (g->res[r].owned)
			free(g->res[r].order);
	}
}

static int cmp_spare(const void *a, const void *b, void *arg)
{
	const uint64_t *val = arg;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	if (val[x] != val[y])
		return (val[x] < val[y]) - (val[x] > val[y]);
	return (x > y) - (x < y);
}

/* The spare CPUs resource, for the strict phase only. */
static int spare_init(const struct np__search *s, unsigned k, struct grow *g)
{
	struct gres *sp = &g->res[RES_SPARE];

	if (sp->owned)
		return 0;
	sp->owned = true;
	sp->order = malloc(s->m * sizeof(*sp->order));
	if (!sp->order)
		return -ENOMEM;
	sp->need = (uint64_t)s->req->vcpus + k * SPARE_BIAS;
	for (unsigned p = 0; p < s->m; p++) {
		const struct np__enode *e = &s->nodes[p];
		uint64_t lim = SPARE_BIAS / 2, c = e->ncpus < lim ? e->ncpus : lim,
		         v = e->vcpus < lim ? e->vcpus : lim;

		sp->val[p] = SPARE_BIAS + c - v;
		sp->order[p] = p;
	}
	qsort_r(sp->order, s->m, sizeof(*sp->order), cmp_spare, sp->val);
	return 0;
}

static int grow_init(const struct np__search *s, unsigned k, struct grow *g)
{
	size_t m = s->m, want = m * (k - 1), size = 16;

	g->in = calloc(m, sizeof(*g->in));
	g->dinc = calloc(m, sizeof(*g->dinc));
	g->dsym = malloc(m * m * sizeof(*g->dsym));
	g->mark = calloc(m * NRES_GROW, sizeof(*g->mark));
	g->zkey = malloc(m * sizeof(*g->zkey));
	if (want > MEMO_MAX_RECORDS)
		want = MEMO_MAX_RECORDS;
	while (size < 2 * want)
		size *= 2;
	g->tab = calloc(size, sizeof(*g->tab));
	g->tabmask = size - 1;
	if (!g->in || !g->dinc || !g->dsym || !g->mark || !g->zkey || !g->tab)
		return -ENOMEM;
	for (unsigned r = 0; r < NRES_GROW; r++) {
		g->res[r].val = malloc(m * sizeof(*g->res[r].val));
		if (!g->res[r].val)
			return -ENOMEM;
		if (r < NP__NRES) {
			g->res[r].need = s->need[r];
			g->res[r].order = s->order[r];
			for (size_t p = 0; p < m; p++)
				g->res[r].val[p] = np__res_of(&s->nodes[p], (enum np__res)r);
		}
	}
	for (size_t i = 0; i < m; i++) {
		const unsigned *row = &s->dist[(size_t)s->nodes[i].idx * s->host->nnodes];
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

/*
 * Grow a k-set from every seed and offer those that fit. Returns the number of sets offered
 * that are not over-committed, or -ENOMEM; *ret_found counts all offered.
 */
static int64_t grow_phase(struct np__search *s, struct grow *g, unsigned k, bool strict,
                          int64_t *ret_found)
{
	unsigned *pos = s->scratch.pos;
	int64_t roomy = 0;
	int r;

	if (strict) {
		r = spare_init(s, k, g);
		if (r < 0)
			return r;
	}
	g->nres = strict ? NRES_GROW : NP__NRES;
	memset(g->tab, 0, (g->tabmask + 1) * sizeof(*g->tab));
	g->records = 0;
	g->arena_len = 0;
	for (unsigned seed = 0; seed < s->m; seed++) {
		struct np__sums have = {0};
		uint64_t hv[NRES_GROW] = {0}, hash = 0;
		unsigned n = 0;
		bool seen = false;

		for (unsigned y = 0; y < s->m; y++) {
			g->in[y] = false;
			g->dinc[y] = s->nodes[y].diag;
		}
		while (n < k && !seen) {
			struct step st;
			unsigned best;
			const uint64_t *row;

			step_prepare(s, g, hv, k - n - 1, &st);
			if (n == 0)
				best = step_ok(s, g, &st, seed) ? seed : s->m;
			else
				best = step_pick(s, g, &have, &st);
			if (best == s->m)
				break;
			np__sums_add(s, &have, pos, n, best, &have);
			for (unsigned q = 0; q < g->nres; q++)
				hv[q] = np__add_sat(hv[q], g->res[q].val[best]);
			pos[n++] = best;
			g->in[best] = true;
			hash ^= g->zkey[best];
			row = &g->dsym[(size_t)best * s->m];
			for (unsigned y = 0; y < s->m; y++)
				g->dinc[y] += row[y];
			if (n >= 2 && n < k) {
				r = memo_seen(g, pos, n, hash, &seen);
				if (r < 0)
					return r;
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
			return r;
		(*ret_found)++;
		if (np__add_sat(have.vcpus, s->req->vcpus) <= have.ncpus)
			roomy++;
	}
	return roomy;
}

/*
 * Whether a swap makes a set strictly better for the local search: keys 2 to 5 of the
 * ranking, with key 2 graded: an over-committed set gets better by carrying fewer vCPUs
 * beyond its CPUs, so that a walk of swaps can lead out of over-commitment.
 */
static bool better(const struct np__search *s, const struct np__sums *a, const struct np__sums *b)
{
	uint64_t r = s->req->vcpus, la = np__add_sat(a->vcpus, r), lb = np__add_sat(b->vcpus, r);
	uint64_t xa = la > a->ncpus ? la - a->ncpus : 0, xb = lb > b->ncpus ? lb - b->ncpus : 0;
	int v;

	if (xa != xb)
		return xa < xb;
	if (a->dist != b->dist)
		return a->dist < b->dist;
	v = np__ratio_cmp(la, a->ncpus, lb, b->ncpus);
	if (v)
		return v < 0;
	return a->free > b->free;
}

/*
 * Local search from a grown set: swap a member for a non-member while that makes the set
 * strictly better (see better(); first improvement, members and candidates in position
 * order), then offer the result. The growth decides each node once; a swap can undo an early choice
 * that the later ones made costly. With din[z] = sum over members x of d(z,x) + d(x,z), removing u
 * takes d(u,u) + din[u] - 2 d(u,u) from the distance sum and adding w puts back
 * d(w,w) + din[w] - (d(w,u) + d(u,w)): O(1) per swap, O(k m) per pass.
 */
static int improve(struct np__search *s, struct grow *g, const unsigned *start, unsigned k,
                   const struct np__sums *sums, uint64_t *budget)
{
	unsigned *pos = s->scratch.pos, m = s->m;
	uint64_t *din = g->dinc;
	struct np__sums cur = *sums;

	memcpy(pos, start, k * sizeof(*pos));
	for (unsigned y = 0; y < m; y++) {
		g->in[y] = false;
		din[y] = 0;
	}
	for (unsigned i = 0; i < k; i++) {
		const uint64_t *row = &g->dsym[(size_t)pos[i] * m];

		g->in[pos[i]] = true;
		for (unsigned y = 0; y < m; y++)
			din[y] += row[y];
	}
	for (unsigned pass = 0; pass < 4 * k; pass++) {
		bool moved = false;

		for (unsigned i = 0; i < k && !moved; i++) {
			unsigned u = pos[i];
			const struct np__enode *eu = &s->nodes[u];
			const uint64_t *urow = &g->dsym[(size_t)u * m];
			uint64_t out = eu->diag + din[u] - urow[u];

			for (unsigned w = 0; w < m; w++) {
				const struct np__enode *ew = &s->nodes[w];
				struct np__sums t = cur;

				if (g->in[w])
					continue;
				if (*budget == 0)
					goto stop;
				--*budget;
				t.free = cur.free - eu->free + ew->free;
				t.ncpus = cur.ncpus - eu->ncpus + ew->ncpus;
				t.vcpus = cur.vcpus - eu->vcpus + ew->vcpus;
				t.hp = cur.hp - eu->hp + ew->hp;
				t.near = cur.near - eu->near + ew->near;
				t.spill = cur.spill - eu->spill + ew->spill;
				t.mem = cur.mem - eu->mem + ew->mem;
				t.dist = cur.dist - out + ew->diag + din[w] - urow[w];
				s->examined++;
				if (!np__fits(s, &t, k) || !better(s, &t, &cur))
					continue;
				pos[i] = w;
				g->in[u] = false;
				g->in[w] = true;
				for (unsigned y = 0; y < m; y++)
					din[y] = din[y] - urow[y] + g->dsym[(size_t)w * m + y];
				cur = t;
				moved = true;
				break;
			}
		}
		if (!moved)
			break;
	}
stop:
	cur.min_diag = UINT_MAX;
	for (unsigned i = 0; i < k; i++)
		if (s->nodes[pos[i]].diag < cur.min_diag)
			cur.min_diag = s->nodes[pos[i]].diag;
	qsort(pos, k, sizeof(*pos), cmp_unsigned);
	s->scratch.n = k;
	s->scratch.s = cur;
	return np__offer(s);
}

/* How many of the best grown sets the local search starts from. */
#ifndef IMPROVE_STARTS
#define IMPROVE_STARTS 4
#endif

/*
 * Swaps the local search may try in one search, over all its starts. Most searches converge
 * far below it (a 64-node host: at most 4 k passes of k x 64 tries); it bounds the few that
 * would not, such as a guest needing half of a 256-node host (k = 128: a pass alone is 16384
 * tries), to a fraction of a millisecond. A search stopped by it keeps the best set so far.
 */
#define IMPROVE_BUDGET 32768

/*
 * The growth goes for distance and takes any node that keeps the set completable, so on a
 * loaded host all it grows may be over-committed while a set that is not exists. Only then a
 * second, strict phase also requires the spare CPUs (see RES_SPARE) at every step. Then the
 * best sets grown are improved by swaps.
 */
static int64_t grow_all(struct np__search *s, unsigned k)
{
	struct grow g = {0};
	unsigned *starts = NULL, nstarts = 0;
	struct np__sums ssums[IMPROVE_STARTS];
	uint64_t budget;
	int64_t found = 0, r;

	r = grow_init(s, k, &g);
	if (r < 0)
		goto out;
	s->dedupe = true;
	r = grow_phase(s, &g, k, false, &found);
	if (r == 0)
		r = grow_phase(s, &g, k, true, &found);
	if (r < 0 || !found)
		goto done;
	/* The ranking holds sets of size k only: sizes stop at the first with a fit. */
	starts = malloc((size_t)IMPROVE_STARTS * k * sizeof(*starts));
	if (!starts) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < s->nkept && nstarts < IMPROVE_STARTS; i++) {
		memcpy(&starts[(size_t)nstarts * k], s->kept[i]->pos, k * sizeof(*starts));
		ssums[nstarts++] = s->kept[i]->s;
	}
	budget = IMPROVE_BUDGET;
	for (unsigned i = 0; i < nstarts && r >= 0; i++)
		r = improve(s, &g, &starts[(size_t)i * k], k, &ssums[i], &budget);
done:
	if (r >= 0)
		r = found;
out:
	s->dedupe = false;
	free(starts);
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
