/*
 * search.c - the candidate search: request checks, eligible nodes, set sums, enumeration,
 * ranking, and the plan (its reason text is reason.c's). Pure: it reads nothing but its
 * arguments.
 */
#include "search.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct np_plan {
	unsigned n;
	struct np_candidate *cands;
	hwloc_bitmap_t *maps; /* 2 per candidate: nodes, cpus */
	uint64_t examined;
	char reason[512];
};

static const char *const strategy_names[NP_STRATEGY_COUNT_] = {
    [NP_STRATEGY_COMPACT] = "compact", [NP_STRATEGY_XEN] = "xen",
    [NP_STRATEGY_NUMAD] = "numad",     [NP_STRATEGY_FIRST_FIT] = "first-fit",
    [NP_STRATEGY_SPREAD] = "spread",   [NP_STRATEGY_EXHAUSTIVE] = "exhaustive",
};

void np_request_init(struct np_request *req)
{
	memset(req, 0, sizeof(*req));
	req->vcpus = 1;
}

void np_search_opts_init(struct np_search_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->strategy = NP_STRATEGY_COMPACT;
	opts->keep = 1;
}

const char *np_strategy_name(enum np_strategy s)
{
	if ((unsigned)s >= NP_STRATEGY_COUNT_)
		return NULL;
	return strategy_names[s];
}

int np_strategy_parse(const char *name, enum np_strategy *ret_strategy)
{
	if (!name || !ret_strategy)
		return -EINVAL;
	for (unsigned i = 0; i < NP_STRATEGY_COUNT_; i++)
		if (strcmp(name, strategy_names[i]) == 0) {
			*ret_strategy = (enum np_strategy)i;
			return 0;
		}
	return -EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* Sets                                                                                          */
/* ------------------------------------------------------------------------------------------ */

void np__sums_add(const struct np__search *s, const struct np__sums *in, const unsigned *pos,
                  unsigned n, unsigned p, struct np__sums *ret)
{
	const struct np__enode *e = &s->nodes[p];
	struct np__sums o = *in;
	uint64_t d = e->diag;

	for (unsigned q = 0; q < n; q++) {
		unsigned other = s->nodes[pos[q]].idx;

		d += (uint64_t)np__dist(s, e->idx, other) + np__dist(s, other, e->idx);
	}
	o.free = np__add_sat(o.free, e->free);
	o.ncpus = np__add_sat(o.ncpus, e->ncpus);
	o.vcpus = np__add_sat(o.vcpus, e->vcpus);
	o.hp = np__add_sat(o.hp, e->hp);
	o.near = np__add_sat(o.near, e->near);
	o.spill = np__add_sat(o.spill, e->spill);
	o.mem = np__add_sat(o.mem, e->mem);
	o.dist = np__add_sat(o.dist, d);
	if (n == 0 || e->diag < o.min_diag)
		o.min_diag = e->diag;
	*ret = o;
}

bool np__fits(const struct np__search *s, const struct np__sums *sums, unsigned n)
{
	if (n < s->min_nodes || n > s->max_nodes)
		return false;
	for (unsigned r = 0; r < NP__NRES; r++)
		if (np__sum_of(sums, (enum np__res)r) < s->need[r])
			return false;
	return true;
}

unsigned np__size_bound(const struct np__search *s)
{
	unsigned k = s->min_nodes ? s->min_nodes : 1;

	for (unsigned r = 0; r < NP__NRES; r++) {
		uint64_t sum = 0;
		unsigned i = 0;

		if (!s->need[r])
			continue;
		while (i < s->m && sum < s->need[r])
			sum = np__add_sat(sum,
			                  np__res_of(&s->nodes[s->order[r][i++]], (enum np__res)r));
		if (sum < s->need[r])
			return s->m + 1;
		if (i > k)
			k = i;
	}
	return k;
}

/* Fill the public view of a set: node ids, allowed CPUs and the figures. */
static int cand_pub(const struct np__search *s, struct np__cand *c)
{
	const struct np_host *h = s->host;

	if (c->pub_ok)
		return 0;
	if (!c->nodes)
		c->nodes = hwloc_bitmap_alloc();
	if (!c->cpus)
		c->cpus = hwloc_bitmap_alloc();
	if (!c->nodes || !c->cpus)
		return -ENOMEM;
	hwloc_bitmap_zero(c->nodes);
	hwloc_bitmap_zero(c->cpus);
	for (unsigned i = 0; i < c->n; i++) {
		const struct np_node *node = &h->nodes[s->nodes[c->pos[i]].idx];

		hwloc_bitmap_set(c->nodes, node->id);
		hwloc_bitmap_or(c->cpus, c->cpus, node->cpuset);
	}
	if (s->allowed_cpus)
		hwloc_bitmap_and(c->cpus, c->cpus, s->allowed_cpus);
	c->pub.nodes = c->nodes;
	c->pub.cpus = c->cpus;
	c->pub.nnodes = c->n;
	c->pub.free_bytes = c->s.free;
	c->pub.ncpus = c->s.ncpus > UINT_MAX ? UINT_MAX : (unsigned)c->s.ncpus;
	c->pub.vcpus = c->s.vcpus;
	c->pub.distance_sum = c->s.dist;
	c->pub.mean_distance = c->n ? (double)c->s.dist / ((double)c->n * c->n) /
	                                  (c->s.min_diag ? c->s.min_diag : NP__LOCAL_DISTANCE)
	                            : 0.0;
	c->pub_ok = true;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Comparisons                                                                                   */
/* ------------------------------------------------------------------------------------------ */

#define CMP3(x, y) (((x) > (y)) - ((x) < (y)))

#ifdef __SIZEOF_INT128__
int np__ratio_cmp(uint64_t a1, uint64_t b1, uint64_t a2, uint64_t b2)
{
	unsigned __int128 x, y;

	if (!b1 || !b2)
		return CMP3(!b1, !b2);
	x = (unsigned __int128)a1 * b2;
	y = (unsigned __int128)a2 * b1;
	return CMP3(x, y);
}
#else
static void mul128(uint64_t a, uint64_t b, uint64_t *ret_hi, uint64_t *ret_lo)
{
	uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);

	*ret_lo = (mid << 32) | (ll & 0xffffffffu);
	*ret_hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

int np__ratio_cmp(uint64_t a1, uint64_t b1, uint64_t a2, uint64_t b2)
{
	uint64_t h1, l1, h2, l2;

	if (!b1 || !b2)
		return CMP3(!b1, !b2);
	mul128(a1, b2, &h1, &l1);
	mul128(a2, b1, &h2, &l2);
	return h1 != h2 ? CMP3(h1, h2) : CMP3(l1, l2);
}
#endif

static int set_crit(enum np__crit *ret_crit, enum np__crit c, int v)
{
	if (ret_crit)
		*ret_crit = v ? c : NP__CRIT_EQUAL;
	return v;
}

int np__cmp_xen(const struct np__search *s, const struct np__cand *a, const struct np__cand *b,
                enum np__crit *ret_crit)
{
	int v = np__cmp_prefer(s, a, b);

	if (v)
		return set_crit(ret_crit, NP__CRIT_PREFER, v);
	if (a->s.vcpus != b->s.vcpus)
		return set_crit(ret_crit, NP__CRIT_LOAD, CMP3(a->s.vcpus, b->s.vcpus));
	return set_crit(ret_crit, NP__CRIT_FREE, CMP3(b->s.free, a->s.free));
}

int np__cmp_compact(const struct np__search *s, const struct np__cand *a, const struct np__cand *b,
                    enum np__crit *ret_crit)
{
	uint64_t r = s->req->vcpus, la = np__add_sat(a->s.vcpus, r),
	         lb = np__add_sat(b->s.vcpus, r);
	int v;

	/* Spill nodes (memory a workload may overflow onto) do not count as nodes. */
	if (a->n - a->s.spill != b->n - b->s.spill)
		return set_crit(ret_crit, NP__CRIT_NODES,
		                CMP3(a->n - a->s.spill, b->n - b->s.spill));
	if (a->n != b->n)
		return set_crit(ret_crit, NP__CRIT_NODES, CMP3(a->n, b->n));
	v = CMP3(la > a->s.ncpus, lb > b->s.ncpus);
	if (v)
		return set_crit(ret_crit, NP__CRIT_OVERCOMMIT, v);
	v = np__cmp_prefer(s, a, b);
	if (v)
		return set_crit(ret_crit, NP__CRIT_PREFER, v);
	if (a->s.dist != b->s.dist)
		return set_crit(ret_crit, NP__CRIT_DISTANCE, CMP3(a->s.dist, b->s.dist));
	v = np__ratio_cmp(la, a->s.ncpus, lb, b->s.ncpus);
	if (v)
		return set_crit(ret_crit, NP__CRIT_LOAD, v);
	if (a->s.free != b->s.free)
		return set_crit(ret_crit, NP__CRIT_FREE, CMP3(b->s.free, a->s.free));
	for (unsigned i = 0; i < a->n; i++)
		if (a->pos[i] != b->pos[i])
			return set_crit(ret_crit, NP__CRIT_IDS, CMP3(a->pos[i], b->pos[i]));
	return set_crit(ret_crit, NP__CRIT_EQUAL, 0);
}

/* The ranking's comparison: the caller's when given (both public views are filled). */
int np__rank_cmp(const struct np__search *s, const struct np__cand *a, const struct np__cand *b,
                 enum np__crit *ret_crit)
{
	int v;

	if (!s->user_cmp)
		return s->cmp(s, a, b, ret_crit);
	v = s->user_cmp(&a->pub, &b->pub, s->user_arg);
	v = (v > 0) - (v < 0);
	return set_crit(ret_crit, NP__CRIT_CALLER, v);
}

/* ------------------------------------------------------------------------------------------ */
/* Ranking                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void cand_free(struct np__cand *c)
{
	if (!c)
		return;
	free(c->pos);
	hwloc_bitmap_free(c->nodes);
	hwloc_bitmap_free(c->cpus);
	free(c);
}

static bool same_set(const struct np__cand *a, const struct np__cand *b)
{
	return a->n == b->n && a->s.free == b->s.free &&
	       memcmp(a->pos, b->pos, a->n * sizeof(*a->pos)) == 0;
}

/* A slot for a new entry: a fresh one while the ranking grows, else the evicted worst. */
static struct np__cand *take_slot(struct np__search *s)
{
	struct np__cand *c;

	if (s->nkept == s->cap)
		return s->kept[--s->nkept];
	if (s->nkept == s->nslots) {
		unsigned n = s->nslots ? s->nslots * 2 : 4;
		struct np__cand **k;

		if (n > s->cap)
			n = s->cap;
		k = realloc(s->kept, n * sizeof(*k));
		if (!k)
			return NULL;
		s->kept = k;
		s->nslots = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pos = malloc((s->m ? s->m : 1) * sizeof(*c->pos));
	if (!c->pos) {
		free(c);
		return NULL;
	}
	return c;
}

int np__offer(struct np__search *s)
{
	struct np__cand *c = &s->scratch, *slot;
	unsigned i;
	int r;

	c->seq = s->seq++;
	c->pub_ok = false;
	if (s->user_cmp) {
		r = cand_pub(s, c);
		if (r < 0)
			return r;
	}
	if (s->dedupe)
		for (i = 0; i < s->nkept; i++)
			if (same_set(c, s->kept[i]))
				return 0;
	if (s->nkept == s->cap && np__rank_cmp(s, c, s->kept[s->nkept - 1], NULL) >= 0)
		return 0;
	slot = take_slot(s);
	if (!slot)
		return -ENOMEM;
	slot->n = c->n;
	memcpy(slot->pos, c->pos, c->n * sizeof(*c->pos));
	slot->s = c->s;
	slot->seq = c->seq;
	slot->pub_ok = false;
	if (s->user_cmp) {
		r = cand_pub(s, slot);
		if (r < 0) {
			cand_free(slot);
			return r;
		}
	}
	/* Stable: the new set goes after every kept set it does not beat. */
	for (i = s->nkept; i > 0 && np__rank_cmp(s, slot, s->kept[i - 1], NULL) < 0; i--)
		s->kept[i] = s->kept[i - 1];
	s->kept[i] = slot;
	s->nkept++;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Enumeration                                                                                   */
/* ------------------------------------------------------------------------------------------ */

struct walk {
	unsigned k;
	bool prune;
	struct np__sums *stack; /* sums of the first d positions at depth d */
	uint64_t *suffix;       /* NP__NRES per position: what positions >= p hold together */
	int64_t found;
};

/*
 * Depth-first in lexicographic order: with m = 5, k = 3 the sets come as 012 013 014 023 024
 * 034 123 124 134 234, each extending the sums of its prefix, so a set costs O(k) to sum.
 */
static int walk(struct np__search *s, struct walk *w, unsigned depth, unsigned start)
{
	unsigned *pos = s->scratch.pos;
	int r;

	if (depth == w->k) {
		s->examined++;
		if (!np__fits(s, &w->stack[depth], depth))
			return 0;
		s->scratch.n = depth;
		s->scratch.s = w->stack[depth];
		r = np__offer(s);
		if (r < 0)
			return r;
		w->found++;
		return 0;
	}
	for (unsigned p = start; p + (w->k - depth) <= s->m; p++) {
		if (w->prune) {
			bool short_of = false;

			for (unsigned q = 0; q < NP__NRES; q++)
				if (np__add_sat(np__sum_of(&w->stack[depth], (enum np__res)q),
				                w->suffix[(size_t)p * NP__NRES + q]) < s->need[q])
					short_of = true;
			/* Later starts see even less: the branch is done. */
			if (short_of)
				break;
		}
		pos[depth] = p;
		np__sums_add(s, &w->stack[depth], pos, depth, p, &w->stack[depth + 1]);
		r = walk(s, w, depth + 1, p + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int64_t np__enumerate(struct np__search *s, unsigned k, bool prune)
{
	struct walk w = {.k = k, .prune = prune};
	int64_t r = -ENOMEM;

	if (k == 0 || k > s->m)
		return 0;
	w.stack = calloc(k + 1, sizeof(*w.stack));
	w.suffix = calloc(((size_t)s->m + 1) * NP__NRES, sizeof(*w.suffix));
	if (!w.stack || !w.suffix)
		goto out;
	for (unsigned p = s->m; p-- > 0;)
		for (unsigned q = 0; q < NP__NRES; q++)
			w.suffix[(size_t)p * NP__NRES + q] =
			    np__add_sat(w.suffix[(size_t)(p + 1) * NP__NRES + q],
			                np__res_of(&s->nodes[p], (enum np__res)q));
	r = walk(s, &w, 0, 0);
	if (r == 0)
		r = w.found;
out:
	free(w.stack);
	free(w.suffix);
	return r;
}

/* ------------------------------------------------------------------------------------------ */
/* The search                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static int check(const np_host *host, const np_load *load, const struct np_request *req,
                 const struct np_search_opts *opts)
{
	if (!host || !req || req->vcpus == 0)
		return -EINVAL;
	if (req->max_nodes && req->min_nodes > req->max_nodes)
		return -EINVAL;
	if (req->allowed_nodes && !hwloc_bitmap_isincluded(req->allowed_nodes, host->nodeset))
		return -EINVAL;
	if (req->allowed_cpus && !hwloc_bitmap_isincluded(req->allowed_cpus, host->cpuset))
		return -EINVAL;
	if (req->hugepage_count && !req->hugepage_size)
		return -EINVAL;
	if (req->near_nodes && !hwloc_bitmap_isincluded(req->near_nodes, host->nodeset))
		return -EINVAL;
	if (req->prefer_nodes && !hwloc_bitmap_isincluded(req->prefer_nodes, host->nodeset))
		return -EINVAL;
	if (req->spill_nodes && !hwloc_bitmap_isincluded(req->spill_nodes, host->nodeset))
		return -EINVAL;
	if (req->memory_nodes && !hwloc_bitmap_isincluded(req->memory_nodes, host->nodeset))
		return -EINVAL;
	for (size_t i = 0; req->costs && i < (size_t)host->nnodes * host->nnodes; i++)
		if (req->costs[i] == 0 || req->costs[i] > 65535)
			return -EINVAL;
	if (load && load->host != host)
		return -EINVAL;
	if (opts && (unsigned)opts->strategy >= NP_STRATEGY_COUNT_)
		return -EINVAL;
	return 0;
}

static uint64_t hugepages_free(const struct np_node *node, uint64_t size)
{
	for (unsigned i = 0; i < node->nhugepages; i++)
		if (node->hugepages[i].size_bytes == size)
			return node->hugepages[i].free;
	return 0;
}

struct keyed {
	uint64_t v;
	unsigned pos;
};

static int cmp_keyed_desc(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->v != y->v)
		return (x->v < y->v) - (x->v > y->v);
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * The eligible nodes: the allowed nodes that can give something. The xen strategy only knows
 * nodes with an allowed CPU ("suitable" nodes in libxl).
 */
static int eligible(struct np__search *s, const np_load *load)
{
	const np_host *h = s->host;
	const struct np_request *req = s->req;
	hwloc_bitmap_t tmp = hwloc_bitmap_alloc();
	struct keyed *kv = NULL;
	int r = -ENOMEM;

	s->nodes = calloc(h->nnodes, sizeof(*s->nodes));
	kv = calloc(h->nnodes, sizeof(*kv));
	if (!tmp || !s->nodes || !kv)
		goto out;
	for (unsigned i = 0; i < h->nnodes; i++) {
		const struct np_node *node = &h->nodes[i];
		struct np__enode *e = &s->nodes[s->m];

		if (req->allowed_nodes && !hwloc_bitmap_isset(req->allowed_nodes, node->id))
			continue;
		e->idx = i;
		if (req->allowed_cpus) {
			hwloc_bitmap_and(tmp, node->cpuset, req->allowed_cpus);
			e->ncpus = (uint64_t)hwloc_bitmap_weight(tmp);
		} else {
			e->ncpus = node->ncpus;
		}
		e->free = load ? load->free[i] : node->free_bytes;
		if (node->memory_bytes == 0)
			e->free = 0;
		e->vcpus = load ? load->vcpus[i] : 0;
		e->hp = req->hugepage_size ? hugepages_free(node, req->hugepage_size) : 0;
		e->memory = node->memory_bytes;
		e->near = req->near_nodes && hwloc_bitmap_isset(req->near_nodes, node->id);
		e->spill = req->spill_nodes && node->ncpus == 0 &&
		           hwloc_bitmap_isset(req->spill_nodes, node->id);
		if (req->memory_nodes) {
			/* Memory counts on the memory and spill nodes only; the others join for
			 * their CPUs. A memory node without CPUs does not count as a node. */
			e->mem = hwloc_bitmap_isset(req->memory_nodes, node->id);
			if (!e->mem && !e->spill)
				e->free = 0;
			if (e->mem && node->ncpus == 0)
				e->spill = 1;
		}
		e->diag = s->dist[(size_t)i * h->nnodes + i];
		if (s->strategy == NP_STRATEGY_XEN ? e->ncpus == 0
		                                   : e->ncpus == 0 && e->free == 0 && e->hp == 0)
			continue;
		s->m++;
	}
	for (unsigned q = 0; q < NP__NRES; q++) {
		s->order[q] = malloc((s->m ? s->m : 1) * sizeof(*s->order[q]));
		if (!s->order[q])
			goto out;
		/* Only what the request needs is ever looked at in order. */
		if (!s->need[q])
			continue;
		for (unsigned p = 0; p < s->m; p++) {
			kv[p].v = np__res_of(&s->nodes[p], (enum np__res)q);
			kv[p].pos = p;
		}
		qsort(kv, s->m, sizeof(*kv), cmp_keyed_desc);
		for (unsigned p = 0; p < s->m; p++)
			s->order[q][p] = kv[p].pos;
	}
	s->scratch.pos = malloc((s->m ? s->m : 1) * sizeof(*s->scratch.pos));
	if (!s->scratch.pos)
		goto out;
	r = 0;
out:
	hwloc_bitmap_free(tmp);
	free(kv);
	return r;
}

static void search_release(struct np__search *s)
{
	for (unsigned i = 0; i < s->nkept; i++)
		cand_free(s->kept[i]);
	free(s->kept);
	free(s->nodes);
	for (unsigned q = 0; q < NP__NRES; q++)
		free(s->order[q]);
	free(s->scratch.pos);
	free(s->prefer);
	hwloc_bitmap_free(s->scratch.nodes);
	hwloc_bitmap_free(s->scratch.cpus);
}

static int plan_build(struct np__search *s, np_plan **ret_plan)
{
	np_plan *p = NULL;
	unsigned n = s->nkept < s->keep ? s->nkept : s->keep;
	int r = -ENOMEM;

	p = calloc(1, sizeof(*p));
	if (!p)
		goto out;
	p->examined = s->examined;
	if (n) {
		p->cands = calloc(n, sizeof(*p->cands));
		p->maps = calloc((size_t)n * 2, sizeof(*p->maps));
		if (!p->cands || !p->maps)
			goto out;
	}
	for (unsigned i = 0; i < s->nkept; i++) {
		r = cand_pub(s, s->kept[i]);
		if (r < 0)
			goto out;
		r = -ENOMEM;
	}
	/* Before the sets give their bitmaps away: the reason names the runner-up's nodes. */
	if (n)
		np__reason_best(s, s->kept[0], p->reason, sizeof(p->reason));
	else if (s->reason[0])
		snprintf(p->reason, sizeof(p->reason), "%s", s->reason);
	else
		np__reason_none(s, p->reason, sizeof(p->reason));
	for (unsigned i = 0; i < n; i++) {
		struct np__cand *c = s->kept[i];

		p->cands[i] = c->pub;
		p->maps[2 * i] = c->nodes;
		p->maps[2 * i + 1] = c->cpus;
		c->nodes = NULL;
		c->cpus = NULL;
		p->n++;
	}
	*ret_plan = p;
	p = NULL;
	r = 0;
out:
	np_plan_free(p);
	return r;
}

int np_search(const np_host *host, const np_load *load, const struct np_request *req,
              const struct np_search_opts *opts, np_plan **ret_plan)
{
	struct np_search_opts defaults;
	struct np__search s = {0};
	int r;

	if (!ret_plan)
		return -EINVAL;
	r = check(host, load, req, opts);
	if (r < 0)
		return r;
	if (!opts) {
		np_search_opts_init(&defaults);
		opts = &defaults;
	}
	s.host = host;
	s.req = req;
	s.strategy = opts->strategy;
	s.user_cmp = opts->compare;
	s.user_arg = opts->compare_arg;
	s.allowed_cpus = req->allowed_cpus;
	s.dist = req->costs ? req->costs : host->dist;
	s.keep = opts->keep ? opts->keep : 1;
	/* The reason reads the first few sets; compact improves its best few grown sets. */
	s.cap = s.keep < NP__REASON_WINDOW ? NP__REASON_WINDOW : s.keep;
	s.cmp = s.strategy == NP_STRATEGY_XEN ? np__cmp_xen : np__cmp_compact;
	s.need[NP__RES_MEM] = req->memory_bytes;
	s.need[NP__RES_CPU] = req->vcpus;
	s.need[NP__RES_HP] = req->hugepage_size ? req->hugepage_count : 0;
	s.need[NP__RES_NEAR] = req->near_nodes ? (uint64_t)hwloc_bitmap_weight(req->near_nodes) : 0;
	s.need[NP__RES_MEMNODE] = req->memory_nodes ? 1 : 0;
	r = eligible(&s, load);
	if (r == 0)
		r = np__prefer_init(&s);
	if (r < 0)
		goto out;
	s.min_nodes = req->min_nodes ? req->min_nodes : 1;
	s.max_nodes = req->max_nodes && req->max_nodes < s.m ? req->max_nodes : s.m;

	switch (s.strategy) {
	case NP_STRATEGY_COMPACT:
		r = np__strategy_compact(&s);
		break;
	case NP_STRATEGY_XEN:
		r = np__strategy_xen(&s);
		break;
	case NP_STRATEGY_NUMAD:
		r = np__strategy_numad(&s);
		break;
	case NP_STRATEGY_FIRST_FIT:
		r = np__strategy_first_fit(&s);
		break;
	case NP_STRATEGY_SPREAD:
		r = np__strategy_spread(&s);
		break;
	case NP_STRATEGY_EXHAUSTIVE:
	default:
		r = np__strategy_exhaustive(&s);
		break;
	}
	if (r < 0)
		goto out;
	r = plan_build(&s, ret_plan);
out:
	search_release(&s);
	return r;
}

void np_plan_free(np_plan *plan)
{
	if (!plan)
		return;
	for (unsigned i = 0; i < plan->n * 2; i++)
		hwloc_bitmap_free(plan->maps[i]);
	free(plan->maps);
	free(plan->cands);
	free(plan);
}

unsigned np_plan_ncandidates(const np_plan *plan)
{
	return plan->n;
}

const struct np_candidate *np_plan_candidate(const np_plan *plan, unsigned i)
{
	return i < plan->n ? &plan->cands[i] : NULL;
}

const struct np_candidate *np_plan_best(const np_plan *plan)
{
	return plan->n ? &plan->cands[0] : NULL;
}

const char *np_plan_reason(const np_plan *plan)
{
	return plan->reason;
}

uint64_t np_plan_examined(const np_plan *plan)
{
	return plan->examined;
}
