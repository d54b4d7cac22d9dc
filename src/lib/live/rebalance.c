/*
 * rebalance.c - the daemon's decision: which placed workload, if any, to move this interval.
 *
 * Pure, like the search it calls: a host snapshot, the load, CPU use per node and the
 * workloads in; a decision out. docs/daemon.md describes the model with worked examples.
 *
 * A workload's cost where it is:
 *   remote   = its resident memory off its nodes / its resident memory      (0 .. 1)
 *   overload = max(0, busy CPUs of its nodes / their CPUs - params.overload) (0 .. 0.15)
 *   cost     = remote + overload
 * It needs a move when it is spilled (remote >= params.spill and at least min_spill_bytes off
 * its nodes) or overloaded (busy fraction above params.overload). A candidate set found by the
 * strategy (with the workload's own memory and vCPUs given back to the load) costs its
 * overload after the move (its memory is migrated there, so remote is 0); the workload's own
 * CPU use leaves its nodes and joins the candidate's. Of equal costs the candidate already
 * holding most of its memory wins (least to migrate). A workload whose memory policy names its
 * nodes (policy_pinned) is searched on those nodes only, one placed near devices (near) on
 * sets that hold their nodes. CPUs the others hold exclusively are left out of every
 * candidate's CPUs; a workload holding whole cores of its own is searched whole free cores
 * (its own given back), so a candidate is a set where its grant fits and its CPUs are that
 * grant. The move is worth it when the cost drops
 * by min_improvement; of all such moves only the one with the largest drop is made.
 *
 * Example: nodes 0 and 1, 4 CPUs each; W placed on node 0 has 2 GiB there and 2 GiB on node 1
 * (node 0 was full when it grew). remote = 0.5, node 0 is 50% busy: cost 0.5. Node 1 has room
 * for its 4 GiB (2 of which it already holds) and is 25% busy: after the move cost 0. The drop,
 * 0.5, is above 0.1: W moves to node 1, unless it moved less than min_gap ago.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Candidates of the strategy judged by cost: the best few by its own ranking. */
#define KEEP_CANDIDATES 8

static const char *const verdict_names[] = {
    [NP_REBALANCE_FINE] = "fine",         [NP_REBALANCE_MOVE] = "move",
    [NP_REBALANCE_HELD] = "held",         [NP_REBALANCE_NO_BETTER] = "no better",
    [NP_REBALANCE_DEFERRED] = "deferred", [NP_REBALANCE_UNPLACED] = "unplaced",
};

const char *np_rebalance_verdict_name(enum np_rebalance_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v]
	                                                                      : NULL;
}

void np_rebalance_params_init(struct np_rebalance_params *p)
{
	memset(p, 0, sizeof(*p));
	p->strategy = NP_STRATEGY_COMPACT;
	p->spill = 0.10;
	p->min_spill_bytes = 64ull << 20;
	p->overload = 0.85;
	p->min_gap = 300;
	p->min_improvement = 0.10;
}

void np_rebalance_decision_release(struct np_rebalance_decision *d)
{
	if (!d)
		return;
	for (unsigned i = 0; d->reasons && i < d->n; i++)
		free(d->reasons[i]);
	free(d->reasons);
	free(d->verdicts);
	free(d->cost);
	hwloc_bitmap_free(d->nodes);
	hwloc_bitmap_free(d->cpus);
	memset(d, 0, sizeof(*d));
	d->move = -1;
}

/* CPUs and busy CPUs of a set of nodes. */
static void set_cpus(const np_host *h, hwloc_const_nodeset_t nodes, const double *busy,
                     unsigned *ret_cpus, double *ret_busy)
{
	unsigned cpus = 0;
	double b = 0;
	int id;

	hwloc_bitmap_foreach_begin(id, nodes)
	{
		int idx = np_host_node_idx(h, (unsigned)id);

		if (idx < 0)
			continue;
		cpus += h->nodes[idx].ncpus;
		if (busy)
			b += busy[idx];
	}
	hwloc_bitmap_foreach_end();
	*ret_cpus = cpus;
	*ret_busy = b;
}

static double over(double util, double limit)
{
	return util > limit ? util - limit : 0;
}

/* Whether `w` holds whole cores of its own (--cpu-binding exclusive). */
static bool held(const struct np_rebalance_workload *w)
{
	return w->exclusive && !hwloc_bitmap_iszero(w->exclusive);
}

/*
 * The load a move of workload `self` is searched on: the base (the kernel's free memory), minus
 * what the other workloads' claims still reserve (claimed minus resident, per node, as
 * np_ledger_load() counts them) with their vCPUs or the CPUs they hold exclusively (which
 * the search keeps shared sets off and grants no one else), plus `self`'s own resident memory
 * where it lies: it holds those pages already, wherever it goes (they move with it); its own
 * grant is not held. Built from the
 * base and not by giving back to a charged load, because a charged load is clamped at 0 on an
 * over-committed node and giving back would invent free memory there.
 */
static int load_for(const np_host *h, const np_load *base, const struct np_rebalance_workload *ws,
                    unsigned n, unsigned self, np_load **ret)
{
	uint64_t *owed = NULL, *own = NULL;
	np_load *l = NULL;
	int r, id;

	r = np_load_dup(base, &l);
	if (r < 0)
		return r;
	owed = calloc(h->nnodes, sizeof(*owed));
	own = calloc(h->nnodes, sizeof(*own));
	if (!owed || !own) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned k = 0; k < n; k++) {
		const struct np_rebalance_workload *o = &ws[k];

		if (k == self)
			continue;
		for (unsigned i = 0; i < o->nclaimed; i++) {
			int idx = np_host_node_idx(h, o->claimed[i].node);
			uint64_t res =
			    np_node_bytes_get(o->resident, o->nresident, o->claimed[i].node);

			if (idx >= 0 && o->claimed[i].bytes > res)
				owed[idx] += o->claimed[i].bytes - res;
		}
		/* whole cores of its own: held, its vCPUs no shared load (as np_ledger_load()) */
		if (held(o)) {
			r = np_load_hold_cpus(l, o->exclusive);
			if (r < 0)
				goto out;
			continue;
		}
		hwloc_bitmap_foreach_begin(id, o->nodes)
		{
			int idx = np_host_node_idx(h, (unsigned)id);

			if (idx >= 0 && o->vcpus) {
				r = np_load_add_vcpus(l, (unsigned)idx, o->vcpus);
				if (r < 0)
					goto out;
			}
		}
		hwloc_bitmap_foreach_end();
	}
	/* its own grant is its to keep or give back */
	if (held(&ws[self]))
		np_load_unhold_cpus(l, ws[self].exclusive);
	for (unsigned i = 0; i < ws[self].nresident; i++) {
		int idx = np_host_node_idx(h, ws[self].resident[i].node);

		if (idx >= 0)
			own[idx] += ws[self].resident[i].bytes;
	}
	for (unsigned i = 0; i < h->nnodes; i++) {
		uint64_t f = np_load_free_bytes(l, i);

		f = f > owed[i] ? f - owed[i] : 0;
		f = f > UINT64_MAX - own[i] ? UINT64_MAX : f + own[i];
		/* never more than the node has */
		if (f > h->nodes[i].memory_bytes)
			f = h->nodes[i].memory_bytes;
		r = np_load_set_free(l, i, f);
		if (r < 0)
			goto out;
	}
	*ret = l;
	l = NULL;
	r = 0;
out:
	free(owed);
	free(own);
	np_load_free(l);
	return r;
}

/* What one workload's judgement found. */
struct judged {
	enum np_rebalance_verdict verdict;
	double cost, gain;
	hwloc_bitmap_t nodes, cpus; /* the best candidate (MOVE or DEFERRED) */
	char reason[512];
};

/* What judge() finds of a workload where it is now. */
struct look {
	uint64_t total; /* bytes resident */
	unsigned ncpus; /* CPUs of its nodes */
	bool spilled, overloaded;
	int pos; /* length of the reason so far */
};

/*
 * Where `w` stands on its nodes: memory off them, their CPUs' use, its cost (j->cost) and the
 * start of j->reason. Returns 0 or -ENOMEM.
 */
static int look_at(const np_host *h, const double *busy, const struct np_rebalance_workload *w,
                   const struct np_rebalance_params *p, struct judged *j, struct look *lk)
{
	uint64_t off = 0;
	double cur_busy, util, remote;
	char *list = NULL, sz[32];

	lk->total = np_node_bytes_sum(w->resident, w->nresident);
	for (unsigned i = 0; i < w->nresident; i++)
		if (!hwloc_bitmap_isset(w->nodes, w->resident[i].node))
			off += w->resident[i].bytes;
	set_cpus(h, w->nodes, busy, &lk->ncpus, &cur_busy);
	util = lk->ncpus ? cur_busy / lk->ncpus : 0;
	remote = lk->total ? (double)off / (double)lk->total : 0;
	lk->spilled = off >= p->min_spill_bytes && remote >= p->spill;
	lk->overloaded = busy && util > p->overload;
	j->cost = remote + (busy ? over(util, p->overload) : 0);
	if (hwloc_bitmap_list_asprintf(&list, w->nodes) < 0)
		return -ENOMEM;
	lk->pos = snprintf(j->reason, sizeof(j->reason), "%.0f%% (%s) of its memory off node%s %s",
	                   remote * 100, np_size_format(off, sz, sizeof(sz)),
	                   hwloc_bitmap_weight(w->nodes) > 1 ? "s" : "", list);
	if (busy && lk->pos > 0 && (size_t)lk->pos < sizeof(j->reason))
		lk->pos += snprintf(j->reason + lk->pos, sizeof(j->reason) - (size_t)lk->pos,
		                    ", CPUs %.0f%% busy", util * 100);
	free(list);
	return 0;
}

/*
 * The candidate of `plan` with the least cost for `w` (*ret_best, *ret_cost), its CPU use
 * moved there from its nodes (of `ncpus` CPUs). Returns 1, 0 when the plan has none, or
 * -ENOMEM.
 */
static int best_candidate(const np_host *h, const np_plan *plan, const double *busy,
                          const struct np_rebalance_workload *w, unsigned ncpus, double overload,
                          unsigned *ret_best, double *ret_cost)
{
	uint64_t best_there = 0;
	double best_cost = 0, *excl;
	unsigned best = 0;
	bool found = false;

	/* busy CPUs per node without this workload: its use leaves its nodes, spread by CPUs */
	excl = calloc(h->nnodes, sizeof(*excl));
	if (!excl)
		return -ENOMEM;
	for (unsigned i = 0; busy && i < h->nnodes; i++) {
		excl[i] = busy[i];
		if (hwloc_bitmap_isset(w->nodes, h->nodes[i].id) && ncpus)
			excl[i] -= w->cpu * h->nodes[i].ncpus / ncpus;
		if (excl[i] < 0)
			excl[i] = 0;
	}
	for (unsigned k = 0; k < np_plan_ncandidates(plan); k++) {
		const struct np_candidate *c = np_plan_candidate(plan, k);
		unsigned cn = 0;
		double cb = 0, cc;

		for (unsigned i = 0; i < h->nnodes; i++)
			if (hwloc_bitmap_isset(c->nodes, h->nodes[i].id)) {
				cn += h->nodes[i].ncpus;
				cb += excl[i];
			}
		cc = busy && cn ? over((cb + w->cpu) / cn, overload) : 0;
		uint64_t there = 0;

		for (unsigned i = 0; i < w->nresident; i++)
			if (hwloc_bitmap_isset(c->nodes, w->resident[i].node))
				there += w->resident[i].bytes;
		/*
		 * Equal costs: the set that already holds most of its memory (least to migrate),
		 * then its own nodes (no change of CPUs), then the strategy's order.
		 */
		if (!found || cc < best_cost ||
		    (cc == best_cost &&
		     (there > best_there ||
		      (there == best_there && hwloc_bitmap_isequal(c->nodes, w->nodes))))) {
			best = k;
			best_cost = cc;
			best_there = there;
			found = true;
		}
	}
	free(excl);
	*ret_best = best;
	*ret_cost = best_cost;
	return found;
}

/*
 * The candidates for ws[self] (*ret_plan) on the load without it (*ret_load), both for the
 * caller to free. Returns 0, 1 when its memory policy holds it to nodes the host no longer
 * has (nothing searched), or -errno.
 */
static int search_for(const np_host *h, const np_load *load, const struct np_rebalance_workload *ws,
                      unsigned n, unsigned self, const struct np_rebalance_params *p,
                      uint64_t total, np_load **ret_load, np_plan **ret_plan)
{
	const struct np_rebalance_workload *w = &ws[self];
	uint64_t need;
	struct np_search_opts so;
	struct np_request req;
	hwloc_bitmap_t own = NULL;
	int r;

	r = load_for(h, load, ws, n, self, ret_load);
	if (r < 0)
		return r;
	need = np_node_bytes_sum(w->claimed, w->nclaimed);
	np_request_init(&req);
	req.memory_bytes = need > total ? need : total;
	req.vcpus = w->vcpus ? w->vcpus : 1;
	/* whole free cores again, as its grant was (the candidate's CPUs are the new grant) */
	req.exclusive = held(w);
	/* its devices' nodes stay in its set wherever it goes */
	if (w->near && !hwloc_bitmap_iszero(w->near))
		req.near_nodes = w->near;
	/* its policy keeps sending new pages to its nodes: only they are a remedy */
	if (w->policy_pinned) {
		own = hwloc_bitmap_alloc();
		if (!own)
			return -ENOMEM;
		hwloc_bitmap_and(own, w->nodes, np_host_nodeset(h));
		if (hwloc_bitmap_iszero(own)) {
			hwloc_bitmap_free(own);
			return 1;
		}
		req.allowed_nodes = own;
		req.min_nodes = req.max_nodes = (unsigned)hwloc_bitmap_weight(own);
	}
	np_search_opts_init(&so);
	so.strategy = p->strategy;
	so.keep = KEEP_CANDIDATES;
	r = np_search(h, *ret_load, &req, &so, ret_plan);
	hwloc_bitmap_free(own);
	return r;
}

/*
 * The verdict on the cheapest candidate (plan's number best): a move when it lowers the cost by
 * at least p->min_improvement, else no better. Returns 0 or -ENOMEM.
 */
static int offer(const np_plan *plan, unsigned best, double cost, double best_cost, const char *why,
                 int pos, const struct np_rebalance_params *p, struct judged *j)
{
	char *cand = NULL;
	int r = 0;

	j->gain = cost - best_cost;
	if (hwloc_bitmap_list_asprintf(&cand, np_plan_candidate(plan, best)->nodes) < 0) {
		cand = NULL;
		r = -ENOMEM;
		goto out;
	}
	if (j->gain < p->min_improvement) {
		j->verdict = NP_REBALANCE_NO_BETTER;
		snprintf(j->reason + pos, sizeof(j->reason) - (size_t)pos,
		         ": %s, but the best nodes (%s) lower its cost only from %.2f to %.2f"
		         " (min improvement %.2f)",
		         why, cand, cost, best_cost, p->min_improvement);
		goto out;
	}
	j->nodes = hwloc_bitmap_dup(np_plan_candidate(plan, best)->nodes);
	j->cpus = hwloc_bitmap_dup(np_plan_candidate(plan, best)->cpus);
	if (!j->nodes || !j->cpus) {
		r = -ENOMEM;
		goto out;
	}
	j->verdict = NP_REBALANCE_MOVE;
	snprintf(j->reason + pos, sizeof(j->reason) - (size_t)pos,
	         ": %s; node%s %s: cost %.2f -> %.2f", why,
	         hwloc_bitmap_weight(j->nodes) > 1 ? "s" : "", cand, cost, best_cost);
out:
	free(cand);
	return r;
}

static int judge(const np_host *h, const np_load *load, const double *busy,
                 const struct np_rebalance_workload *ws, unsigned n, unsigned self,
                 const struct np_rebalance_params *p, struct judged *j)
{
	const struct np_rebalance_workload *w = &ws[self];
	unsigned best = 0;
	double cost, best_cost = 0;
	struct look lk;
	const char *why;
	np_load *l = NULL;
	np_plan *plan = NULL;
	int r = 0, pos;

	if (hwloc_bitmap_iszero(w->nodes)) {
		j->verdict = NP_REBALANCE_UNPLACED;
		snprintf(j->reason, sizeof(j->reason), "placed on no node: nothing to keep");
		return 0;
	}
	r = look_at(h, busy, w, p, j, &lk);
	if (r < 0)
		return r;
	cost = j->cost;
	pos = lk.pos;
	if (!lk.spilled && !lk.overloaded) {
		j->verdict = NP_REBALANCE_FINE;
		return 0;
	}
	why = lk.spilled && lk.overloaded ? "spilled and overloaded"
	      : lk.spilled                ? "spilled"
	                                  : "overloaded";
	if (p->now - w->last_move < p->min_gap) {
		j->verdict = NP_REBALANCE_HELD;
		snprintf(j->reason + pos, sizeof(j->reason) - (size_t)pos,
		         ": %s, but placed or moved %" PRId64 " s ago (min gap %" PRId64 " s)", why,
		         p->now - w->last_move, p->min_gap);
		goto out;
	}

	r = search_for(h, load, ws, n, self, p, lk.total, &l, &plan);
	if (r < 0)
		goto out;
	if (r) {
		j->verdict = NP_REBALANCE_NO_BETTER;
		snprintf(j->reason + pos, sizeof(j->reason) - (size_t)pos,
		         ": %s, but its memory policy holds it to nodes this host no longer has",
		         why);
		r = 0;
		goto out;
	}
	r = best_candidate(h, plan, busy, w, lk.ncpus, p->overload, &best, &best_cost);
	if (r < 0)
		goto out;
	if (!r) {
		j->verdict = NP_REBALANCE_NO_BETTER;
		snprintf(j->reason + pos, sizeof(j->reason) - (size_t)pos, ": %s, but %s", why,
		         np_plan_reason(plan));
		goto out;
	}
	r = offer(plan, best, cost, best_cost, why, pos, p, j);
out:
	np_plan_free(plan);
	np_load_free(l);
	return r;
}

int np_rebalance_decide(const np_host *host, const np_load *load, const double *node_busy,
                        const struct np_rebalance_workload *workloads, unsigned n,
                        const struct np_rebalance_params *params,
                        struct np_rebalance_decision *ret_decision)
{
	struct np_rebalance_decision d;
	struct judged *j = NULL;
	const struct np_rebalance_params *p = params;
	int r, move = -1;

	if (!host || !load || !p || !ret_decision || (n && !workloads) || load->host != host ||
	    !(p->spill >= 0 && p->spill <= 1) || !(p->overload > 0 && p->overload <= 1) ||
	    !(p->min_improvement >= 0) || p->min_gap < 0 || !np_strategy_name(p->strategy))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!workloads[i].nodes || (workloads[i].nresident && !workloads[i].resident) ||
		    (workloads[i].nclaimed && !workloads[i].claimed) ||
		    hwloc_bitmap_weight(workloads[i].nodes) < 0 || !(workloads[i].cpu >= 0))
			return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.move = -1;
	d.n = n;
	d.verdicts = calloc(n ? n : 1, sizeof(*d.verdicts));
	d.cost = calloc(n ? n : 1, sizeof(*d.cost));
	d.reasons = calloc(n ? n : 1, sizeof(*d.reasons));
	d.nodes = hwloc_bitmap_alloc();
	d.cpus = hwloc_bitmap_alloc();
	j = calloc(n ? n : 1, sizeof(*j));
	if (!d.verdicts || !d.cost || !d.reasons || !d.nodes || !d.cpus || !j) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		r = judge(host, load, node_busy, workloads, n, i, p, &j[i]);
		if (r < 0)
			goto out;
		/* one move per interval: the largest drop in cost, the first of equals */
		if (j[i].verdict == NP_REBALANCE_MOVE && (move < 0 || j[i].gain > j[move].gain))
			move = (int)i;
	}
	for (unsigned i = 0; i < n; i++) {
		char *reason = j[i].reason;

		d.verdicts[i] = j[i].verdict;
		d.cost[i] = j[i].cost;
		if (j[i].verdict == NP_REBALANCE_MOVE && (int)i != move) {
			char buf[sizeof(j[i].reason) + 96];

			d.verdicts[i] = NP_REBALANCE_DEFERRED;
			snprintf(buf, sizeof(buf), "%s; deferred: %s gains more this interval",
			         j[i].reason,
			         workloads[move].name ? workloads[move].name : "another");
			d.reasons[i] = strdup(buf);
		} else {
			d.reasons[i] = strdup(reason);
		}
		if (!d.reasons[i]) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (move >= 0) {
		d.move = move;
		hwloc_bitmap_copy(d.nodes, j[move].nodes);
		hwloc_bitmap_copy(d.cpus, j[move].cpus);
	}
	*ret_decision = d;
	memset(&d, 0, sizeof(d));
	r = 0;
out:
	for (unsigned i = 0; j && i < n; i++) {
		hwloc_bitmap_free(j[i].nodes);
		hwloc_bitmap_free(j[i].cpus);
	}
	free(j);
	np_rebalance_decision_release(&d);
	return r;
}
