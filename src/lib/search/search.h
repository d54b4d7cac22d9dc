/*
 * search.h - what the candidate search (search.c) shares with the strategies (strategy-*.c).
 *
 * A search works on the "eligible" nodes of a request: the allowed nodes that can contribute
 * something (CPUs or free memory; the xen strategy narrows this to nodes with an allowed CPU).
 * They are numbered by position 0..m-1 in ascending host index, which is ascending node id, so
 * "lexicographic order of positions" is "lexicographic order of node ids".
 *
 * A strategy generates sets, sums them with np__sums_add(), filters them with np__fits() and
 * hands survivors to np__offer(), which keeps the best `keep` in comparator order. The plan,
 * including the reason text, is built from what np__offer() kept.
 */
#ifndef NUMAPLACE_SEARCH_H
#define NUMAPLACE_SEARCH_H

#include "internal.h"

/* One eligible node, with the figures the search reads (from the load or the snapshot). */
struct np__enode {
	unsigned idx;    /* host index */
	uint64_t free;   /* free bytes */
	uint64_t ncpus;  /* allowed CPUs */
	uint64_t vcpus;  /* load */
	uint64_t hp;     /* free huge pages of the requested size */
	uint64_t memory; /* MemTotal of the node */
	uint64_t near;   /* 1 for a node of the request's near_nodes */
	uint64_t spill;  /* 1 for a node that does not count as one: a spill node, or a memory
	                    node without CPUs */
	uint64_t mem;    /* 1 for a node of the request's memory_nodes */
	unsigned diag;   /* distance to itself */
};

/* Sums over a set; 64-bit and saturating, so that no sum can wrap. */
struct np__sums {
	uint64_t free;
	uint64_t ncpus;
	uint64_t vcpus;
	uint64_t hp;
	uint64_t near;     /* nodes of near_nodes in the set */
	uint64_t spill;    /* nodes of the set not counted as nodes (spill, memory without CPUs) */
	uint64_t mem;      /* nodes of memory_nodes in the set */
	uint64_t dist;     /* sum of distance(i,j) over ordered pairs, i = j included */
	unsigned min_diag; /* smallest distance(i,i) in the set */
};

struct np__cand {
	unsigned n;
	unsigned *pos; /* n positions, ascending; capacity m */
	struct np__sums s;
	uint64_t seq; /* order of generation: ties go to the earlier */
	bool pub_ok;  /* pub, nodes and cpus describe this set */
	struct np_candidate pub;
	hwloc_bitmap_t nodes;
	hwloc_bitmap_t cpus;
};

/* Which criterion decided a comparison, for the reason text. */
enum np__crit {
	NP__CRIT_EQUAL = 0,
	NP__CRIT_NODES,
	NP__CRIT_OVERCOMMIT,
	NP__CRIT_PREFER,
	NP__CRIT_DISTANCE,
	NP__CRIT_LOAD,
	NP__CRIT_FREE,
	NP__CRIT_IDS,
	NP__CRIT_CALLER,
};

/*
 * The resources a set must hold. The request's near_nodes are one: each of its nodes holds 1,
 * the request needs them all, so the size bound, the pruning and the compact growth keep a
 * set able to reach them as they do for memory (docs/devices.md). The request's memory_nodes
 * are another: a set needs one of them at least.
 */
enum np__res {
	NP__RES_MEM = 0,
	NP__RES_CPU,
	NP__RES_HP,
	NP__RES_NEAR,
	NP__RES_MEMNODE,
	NP__NRES,
};

static inline uint64_t np__res_of(const struct np__enode *e, enum np__res r)
{
	switch (r) {
	case NP__RES_MEM:
		return e->free;
	case NP__RES_CPU:
		return e->ncpus;
	case NP__RES_HP:
		return e->hp;
	case NP__RES_NEAR:
		return e->near;
	default:
		return e->mem;
	}
}

static inline uint64_t np__sum_of(const struct np__sums *x, enum np__res r)
{
	switch (r) {
	case NP__RES_MEM:
		return x->free;
	case NP__RES_CPU:
		return x->ncpus;
	case NP__RES_HP:
		return x->hp;
	case NP__RES_NEAR:
		return x->near;
	default:
		return x->mem;
	}
}

static inline uint64_t np__add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct np__search;

/* < 0 when a is better; sets *ret_crit (may be NULL) to the criterion that decided. */
typedef int (*np__cmp_fn)(const struct np__search *s, const struct np__cand *a,
                          const struct np__cand *b, enum np__crit *ret_crit);

struct np__search {
	const np_host *host;
	const struct np_request *req;
	enum np_strategy strategy;
	np_compare_fn user_cmp;
	void *user_arg;
	hwloc_const_cpuset_t allowed_cpus; /* NULL: every CPU */
	const unsigned *dist; /* the request's costs, else the host's distances */
	unsigned *prefer;                  /* host indexes of the request's prefer_nodes */
	unsigned nprefer;

	unsigned m;              /* eligible nodes */
	struct np__enode *nodes; /* m entries */
	uint64_t need[NP__NRES]; /* what the request needs of each resource */
	unsigned
	    *order[NP__NRES]; /* positions by the resource, largest first (ties: lower first) */
	unsigned min_nodes;   /* effective bounds, set by the strategy */
	unsigned max_nodes;

	np__cmp_fn cmp; /* the strategy's comparison */
	bool dedupe;    /* a generator may produce the same set twice */
	unsigned keep;  /* what the caller keeps */
	unsigned cap;   /* what is ranked: at least 4 (the runner-up, improvement starts) */
	unsigned nkept;
	unsigned nslots;
	struct np__cand **kept;
	struct np__cand scratch;
	uint64_t seq;
	uint64_t examined;

	char reason[256]; /* set by a strategy when nothing fits for a reason of its own */
	char why[128];    /* set by a strategy that picks without ranking (first-fit ...) */
};

/* Generic set handling (search.c). */
void np__sums_add(const struct np__search *s, const struct np__sums *in, const unsigned *pos,
                  unsigned n, unsigned p, struct np__sums *ret);
bool np__fits(const struct np__search *s, const struct np__sums *sums, unsigned n);
/* Offer s->scratch (pos, n and s filled) to the ranking. 0 or -ENOMEM. */
int np__offer(struct np__search *s);
/*
 * Evaluate every k-set of eligible nodes in lexicographic order and offer those that fit.
 * With `prune`, branches that cannot reach the request are cut (fewer sets examined, same
 * result). Returns the number of sets that fit, or -ENOMEM.
 */
int64_t np__enumerate(struct np__search *s, unsigned k, bool prune);
/*
 * Smallest set size whose largest nodes could hold the request, each resource on its own, and
 * at least s->min_nodes (m + 1 if not even every node can hold it).
 */
unsigned np__size_bound(const struct np__search *s);
/* Distance from host index a to host index b. */
static inline unsigned np__dist(const struct np__search *s, unsigned a, unsigned b)
{
	return s->dist[(size_t)a * s->host->nnodes + b];
}
/* Exact three-way comparison of a1/b1 with a2/b2 (b = 0 counts as infinite). */
int np__ratio_cmp(uint64_t a1, uint64_t b1, uint64_t a2, uint64_t b2);
void np__reason(struct np__search *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The ranking's comparison: the strategy's, or the caller's when given (search.c). */
int np__rank_cmp(const struct np__search *s, const struct np__cand *a, const struct np__cand *b,
                 enum np__crit *ret_crit);
/*
 * The reason text (reason.c). It reads the first NP__REASON_WINDOW ranked sets, which every
 * ranking holds (s->cap is at least that), so it does not depend on what the caller keeps.
 */
#define NP__REASON_WINDOW 4
/* Why `best` (s->kept[0], its public view filled) won: "2 nodes, closest (...); ...". */
void np__reason_best(const struct np__search *s, const struct np__cand *best, char *buf,
                     size_t len);
/* Why nothing fits: "no set of nodes has 20 GiB free and 2 CPUs". */
void np__reason_none(const struct np__search *s, char *buf, size_t len);
/* Devices and memory tiers (constraints.c). */
/* The request's prefer_nodes as host indexes into s->prefer. 0 or -ENOMEM. */
int np__prefer_init(struct np__search *s);
/* Nearer the preferred nodes first (0 when the request prefers none). */
int np__cmp_prefer(const struct np__search *s, const struct np__cand *a, const struct np__cand *b);
/*
 * Why nothing fits a request with near nodes: true with the reason in buf when one of them
 * can be in no set (not allowed, nothing to give); false with " holding node(s) N" in near.
 */
bool np__reason_near(const struct np__search *s, char *buf, size_t len, char *near, size_t nlen);
/*
 * Why nothing fits a request with memory nodes: true with the reason in buf when none of them
 * can be in a set ("this host has no HBM node"); false with " on HBM nodes" in on.
 */
bool np__reason_memory(const struct np__search *s, char *buf, size_t len, char *on, size_t olen);
/* "HBM" or "memory": what the request's memory nodes are. */
const char *np__memory_label(const struct np__search *s);

/* The comparisons. */
int np__cmp_compact(const struct np__search *s, const struct np__cand *a, const struct np__cand *b,
                    enum np__crit *ret_crit);
int np__cmp_xen(const struct np__search *s, const struct np__cand *a, const struct np__cand *b,
                enum np__crit *ret_crit);

/* The strategies: 0 or -ENOMEM; what fits is offered, s->reason says why when it is special. */
int np__strategy_xen(struct np__search *s);
int np__strategy_compact(struct np__search *s);
int np__strategy_exhaustive(struct np__search *s);
int np__strategy_first_fit(struct np__search *s);
int np__strategy_spread(struct np__search *s);
int np__strategy_numad(struct np__search *s);

#define NP__XEN_MAX_NODES 16
#define NP__EXHAUSTIVE_MAX_NODES 24
/* Largest number of k-sets the compact strategy enumerates exactly before it prunes. */
#define NP__COMPACT_BUDGET 4096

#endif /* NUMAPLACE_SEARCH_H */
