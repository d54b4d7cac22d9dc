/*
 * constraints.c - what devices and memory tiers add to the search (docs/devices.md): the
 * ranking key of the preferred nodes, their indexes, and the reason when a set must hold a
 * near node or a memory node it cannot. Pure, as the rest of the search.
 */
#include "search.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define CMP3(x, y) (((x) > (y)) - ((x) < (y)))

/*
 * How far a set is from the preferred nodes: for each, the distance from the set's nearest
 * node to it, summed. A set holding every preferred node has nprefer x the local distance.
 */
static uint64_t prefer_cost(const struct np__search *s, const struct np__cand *c)
{
	uint64_t sum = 0;

	for (unsigned p = 0; p < s->nprefer; p++) {
		unsigned best = UINT_MAX;

		for (unsigned i = 0; i < c->n; i++) {
			unsigned d = np__dist(s, s->nodes[c->pos[i]].idx, s->prefer[p]);

			if (d < best)
				best = d;
		}
		sum += best;
	}
	return sum;
}

int np__cmp_prefer(const struct np__search *s, const struct np__cand *a, const struct np__cand *b)
{
	uint64_t pa, pb;

	if (!s->nprefer)
		return 0;
	pa = prefer_cost(s, a);
	pb = prefer_cost(s, b);
	return CMP3(pa, pb);
}

/*
 * Why nothing fits a request with near nodes: one of them cannot be in any set (not allowed,
 * nothing to give: true, with the reason in buf); otherwise " holding node(s) N,M" for the
 * general reason (false).
 */
bool np__reason_near(const struct np__search *s, char *buf, size_t len, char *near, size_t nlen)
{
	hwloc_const_nodeset_t set = s->req->near_nodes;
	char *list = NULL;
	int id;

	hwloc_bitmap_foreach_begin(id, set)
	{
		bool eligible = false;

		for (unsigned p = 0; p < s->m; p++)
			eligible |= s->host->nodes[s->nodes[p].idx].id == (unsigned)id;
		if (!eligible) {
			bool allowed =
			    !s->req->allowed_nodes || hwloc_bitmap_isset(s->req->allowed_nodes, id);

			snprintf(buf, len, "node %d, which the set must hold, %s", id,
			         allowed ? "has no usable CPUs or free memory" : "is not allowed");
			return true;
		}
	}
	hwloc_bitmap_foreach_end();
	if (hwloc_bitmap_list_asprintf(&list, set) >= 0)
		snprintf(near, nlen, " holding node%s %s", hwloc_bitmap_weight(set) > 1 ? "s" : "",
		         list);
	free(list);
	return false;
}

const char *np__memory_label(const struct np__search *s)
{
	return s->req->memory_label ? s->req->memory_label : "memory";
}

/*
 * Why nothing fits a request with memory nodes: the host has none ("this host has no HBM
 * node"), or none of them is allowed or has free memory (true, with the reason in buf);
 * otherwise " on HBM nodes" (with the spill nodes: " on HBM or spill nodes") for the general
 * reason (false).
 */
bool np__reason_memory(const struct np__search *s, char *buf, size_t len, char *on, size_t olen)
{
	const struct np_request *req = s->req;
	const char *what = np__memory_label(s);
	bool any = false;

	if (hwloc_bitmap_iszero(req->memory_nodes)) {
		snprintf(buf, len, "this host has no %s node", what);
		return true;
	}
	for (unsigned p = 0; p < s->m; p++)
		any |= s->nodes[p].mem && s->nodes[p].free > 0;
	if (!any) {
		char *list = NULL;

		if (hwloc_bitmap_list_asprintf(&list, req->memory_nodes) < 0)
			list = NULL;
		snprintf(buf, len, "no %s node (%s) is allowed and has free memory", what,
		         list ? list : "?");
		free(list);
		return true;
	}
	snprintf(on, olen, " on %s%s nodes", what,
	         req->spill_nodes && !hwloc_bitmap_iszero(req->spill_nodes) ? " or spill" : "");
	return false;
}

/* The host indexes of the preferred nodes. */
int np__prefer_init(struct np__search *s)
{
	hwloc_const_nodeset_t set = s->req->prefer_nodes;
	int id;

	if (!set || hwloc_bitmap_iszero(set))
		return 0;
	s->prefer = malloc((size_t)hwloc_bitmap_weight(set) * sizeof(*s->prefer));
	if (!s->prefer)
		return -ENOMEM;
	hwloc_bitmap_foreach_begin(id, set)
	{
		s->prefer[s->nprefer++] = (unsigned)s->host->idx_of_id[id];
	}
	hwloc_bitmap_foreach_end();
	return 0;
}
