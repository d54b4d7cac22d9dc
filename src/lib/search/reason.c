/*
 * reason.c - the plan's reason text: why the best set won, or why nothing fits. Pure, as the
 * search is: it reads the ranking the search kept and nothing else.
 */
#include "search.h"

#include <stdarg.h>
#include <stdio.h>

/* Huge page sizes read best in the unit that makes them whole: 2 MiB, 1 GiB. */
static char *size_short(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)bytes, units[u]);
	return buf;
}

void np__reason(struct np__search *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

void np__reason_none(const struct np__search *s, char *buf, size_t len)
{
	const struct np_request *req = s->req;
	char mem[32], hp[32], most[32] = "", near[96] = "", on[64] = "";

	if (s->m == 0) {
		snprintf(buf, len, "no allowed node has CPUs or free memory");
		return;
	}
	if (req->max_nodes && req->max_nodes < s->m)
		snprintf(most, sizeof(most), "at most %u ", req->max_nodes);
	if (s->need[NP__RES_NEAR] && np__reason_near(s, buf, len, near, sizeof(near)))
		return;
	if (s->need[NP__RES_MEMNODE] && np__reason_memory(s, buf, len, on, sizeof(on)))
		return;
	np_size_format(req->memory_bytes, mem, sizeof(mem));
	if (s->need[NP__RES_HP])
		snprintf(buf, len,
		         "no set of %snodes%s has %s free%s, %u CPU%s and %llu free %s huge pages",
		         most, near, mem, on, req->vcpus, plural(req->vcpus),
		         (unsigned long long)req->hugepage_count,
		         size_short(req->hugepage_size, hp, sizeof(hp)));
	else
		snprintf(buf, len, "no set of %snodes%s has %s free%s and %u CPU%s", most, near,
		         mem, on, req->vcpus, plural(req->vcpus));
}

/*
 * The reason names the criterion on which the best set beat the runner-up: the first, in the
 * strategy's own order (np__cmp_compact(), np__cmp_xen()), on which the two differ, with both
 * figures. A criterion named alone can mislead: on 4node-pairs (docs/placement.md) compact
 * takes 2-3 (52 GiB free) over the runner-up 0-1 (48 GiB) by free memory, while 0,2 has 58
 * GiB and lost earlier, by distance. So when a set further down the ranking beats the best on
 * the named criterion, the criterion that set it aside is named too: "most free memory of the
 * closest". The same holds for the last resort: node 1 wins over node 2 by its lower id while
 * node 0 lost on free memory, "lowest node ids of those with most free memory". Only the first
 * NP__REASON_WINDOW sets are looked at, which every ranking holds (s->cap is at least that), so the
 * reason does not depend on how many sets the caller keeps. It is computed once per search, after
 * the ranking, from what it kept.
 */
static const char *crit_text(enum np__crit c, enum np_strategy st, bool qualified)
{
	if (qualified && (c == NP__CRIT_IDS || c == NP__CRIT_EQUAL))
		return c == NP__CRIT_IDS       ? "lowest node ids"
		       : st == NP_STRATEGY_XEN ? "first enumerated"
		                               : "first";
	switch (c) {
	case NP__CRIT_NODES:
		return "fewest nodes";
	case NP__CRIT_OVERCOMMIT:
		return "not over-committed";
	case NP__CRIT_PREFER:
		return "nearest the preferred nodes";
	case NP__CRIT_DISTANCE:
		return "closest";
	case NP__CRIT_LOAD:
		return "least loaded";
	case NP__CRIT_FREE:
		return "most free memory";
	case NP__CRIT_IDS:
		return "lowest node ids of equals";
	case NP__CRIT_CALLER:
		return "preferred by the caller's comparison";
	case NP__CRIT_EQUAL:
		break;
	}
	return st == NP_STRATEGY_XEN ? "first enumerated of equals" : "first of equals";
}

/* "among the closest": the sets a criterion leaves in the running. */
static const char *crit_among(enum np__crit c)
{
	switch (c) {
	case NP__CRIT_NODES:
		return "of the smallest sets";
	case NP__CRIT_OVERCOMMIT:
		return "of the sets not over-committed";
	case NP__CRIT_PREFER:
		return "of the sets nearest the preferred nodes";
	case NP__CRIT_DISTANCE:
		return "of the closest";
	case NP__CRIT_LOAD:
		return "of the least loaded";
	case NP__CRIT_FREE:
		return "of those with most free memory";
	default:
		return NULL;
	}
}

/* Whether `x` is better than `best` on criterion `c` alone (any but the caller's). */
static bool better_on(const struct np__search *s, enum np__crit c, const struct np__cand *x,
                      const struct np__cand *best)
{
	uint64_t r = s->strategy == NP_STRATEGY_XEN ? 0 : s->req->vcpus;

	switch (c) {
	case NP__CRIT_NODES:
		/* spill nodes do not count (docs/devices.md) */
		return x->n - x->s.spill < best->n - best->s.spill ||
		       (x->n - x->s.spill == best->n - best->s.spill && x->n < best->n);
	case NP__CRIT_PREFER:
		return np__cmp_prefer(s, x, best) < 0;
	case NP__CRIT_OVERCOMMIT:
		return np__add_sat(x->s.vcpus, r) <= x->s.ncpus &&
		       np__add_sat(best->s.vcpus, r) > best->s.ncpus;
	case NP__CRIT_DISTANCE:
		return x->s.dist < best->s.dist;
	case NP__CRIT_LOAD:
		if (s->strategy == NP_STRATEGY_XEN)
			return x->s.vcpus < best->s.vcpus;
		return np__ratio_cmp(np__add_sat(x->s.vcpus, r), x->s.ncpus,
		                     np__add_sat(best->s.vcpus, r), best->s.ncpus) < 0;
	case NP__CRIT_FREE:
		return x->s.free > best->s.free;
	case NP__CRIT_IDS:
		for (unsigned i = 0; i < x->n && i < best->n; i++)
			if (x->pos[i] != best->pos[i])
				return x->pos[i] < best->pos[i];
		return false;
	case NP__CRIT_EQUAL:
		return x->seq < best->seq;
	default:
		return false;
	}
}

static double per_cpu(uint64_t vcpus, uint64_t ncpus)
{
	return ncpus ? (double)vcpus / (double)ncpus : 0.0;
}

/* "(52 GiB against 48 GiB free for 0-1)": both figures of the deciding criterion. */
static void crit_figures(const struct np__search *s, enum np__crit c, const struct np__cand *a,
                         const struct np__cand *b, char *buf, size_t len)
{
	uint64_t r = s->req->vcpus;
	char who[64] = "?", x[32], y[32];

	if (b->nodes)
		hwloc_bitmap_list_snprintf(who, sizeof(who), b->nodes);
	switch (c) {
	case NP__CRIT_NODES:
		/* spill nodes do not count */
		snprintf(buf, len, " (%llu against %llu nodes for %s)",
		         (unsigned long long)(a->n - a->s.spill),
		         (unsigned long long)(b->n - b->s.spill), who);
		break;
	case NP__CRIT_OVERCOMMIT:
		snprintf(buf, len, " (%s would hold %llu vCPUs on %llu CPUs)", who,
		         (unsigned long long)np__add_sat(b->s.vcpus, r),
		         (unsigned long long)b->s.ncpus);
		break;
	case NP__CRIT_DISTANCE:
		snprintf(buf, len, " (mean distance %.2f against %.2f for %s)",
		         a->pub.mean_distance, b->pub.mean_distance, who);
		break;
	case NP__CRIT_LOAD:
		if (s->strategy == NP_STRATEGY_XEN)
			snprintf(buf, len, " (%llu against %llu vCPUs already placed for %s)",
			         (unsigned long long)a->s.vcpus, (unsigned long long)b->s.vcpus,
			         who);
		else
			snprintf(buf, len,
			         " (%.2f against %.2f vCPUs per CPU for %s, this request included)",
			         per_cpu(np__add_sat(a->s.vcpus, r), a->s.ncpus),
			         per_cpu(np__add_sat(b->s.vcpus, r), b->s.ncpus), who);
		break;
	case NP__CRIT_FREE:
		snprintf(buf, len, " (%s against %s free for %s)",
		         np_size_format(a->s.free, x, sizeof(x)),
		         np_size_format(b->s.free, y, sizeof(y)), who);
		break;
	case NP__CRIT_CALLER:
		snprintf(buf, len, " (over %s)", who);
		break;
	default:
		snprintf(buf, len, " (before %s)", who);
		break;
	}
}

/* Why the best beat the runner-up, and what an earlier criterion set aside. */
static void reason_decision(const struct np__search *s, const struct np__cand *best, char *buf,
                            size_t len)
{
	enum np__crit crit = NP__CRIT_EQUAL, before = NP__CRIT_EQUAL;
	unsigned window = s->nkept < NP__REASON_WINDOW ? s->nkept : NP__REASON_WINDOW;
	char figures[160];

	np__rank_cmp(s, best, s->kept[1], &crit);
	for (unsigned i = 2; i < window && crit != NP__CRIT_CALLER; i++)
		if (better_on(s, crit, s->kept[i], best)) {
			np__rank_cmp(s, best, s->kept[i], &before);
			break;
		}
	crit_figures(s, crit, best, s->kept[1], figures, sizeof(figures));
	if (crit_among(before))
		snprintf(buf, len, "%s %s%s", crit_text(crit, s->strategy, true),
		         crit_among(before), figures);
	else
		snprintf(buf, len, "%s%s", crit_text(crit, s->strategy, false), figures);
}

void np__reason_best(const struct np__search *s, const struct np__cand *best, char *buf, size_t len)
{
	char why[256], mem[32], dist[40] = "", spill[96] = "";

	if (s->why[0])
		snprintf(why, sizeof(why), "%s", s->why);
	else if (s->nkept < 2)
		snprintf(why, sizeof(why), "the only fit");
	else
		reason_decision(s, best, why, sizeof(why));
	if (best->n > 1)
		snprintf(dist, sizeof(dist), ", mean distance %.2f", best->pub.mean_distance);
	if (best->s.spill) {
		unsigned memory = 0;

		/* memory nodes without CPUs do not count either, and are named for what they are */
		for (unsigned i = 0; i < best->n; i++)
			memory += s->nodes[best->pos[i]].mem && s->nodes[best->pos[i]].spill;
		if (memory && memory < best->s.spill)
			snprintf(spill, sizeof(spill), " (%u for %s, %llu for spill)", memory,
			         np__memory_label(s), (unsigned long long)best->s.spill - memory);
		else if (memory)
			snprintf(spill, sizeof(spill), " (%u for %s)", memory, np__memory_label(s));
		else
			snprintf(spill, sizeof(spill), " (%llu for spill)",
			         (unsigned long long)best->s.spill);
	}
	snprintf(buf, len, "%u node%s%s, %s; %s free, %llu CPU%s, %llu vCPU%s already placed%s",
	         best->n, plural(best->n), spill, why,
	         np_size_format(best->s.free, mem, sizeof(mem)), (unsigned long long)best->s.ncpus,
	         plural(best->s.ncpus), (unsigned long long)best->s.vcpus, plural(best->s.vcpus),
	         dist);
}
