/*
 * test-rebalance.c - np_rebalance_decide() on synthetic hosts: a spilled workload moves, one
 * within the hysteresis bounds does not, never two in one interval, overload moves, small
 * gains do not, a workload placed near a device keeps its node, an exclusive workload moves
 * to free whole cores and a shared one off the CPUs others hold. A cgroup v2 group judged and
 * moved: test-rebalance-group.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "numaplace.h"
#include "rebalance.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A workload placed on `node`, claiming `claim` there, with res0/res1 resident on 0 and 1. */
struct wl {
	struct np_rebalance_workload w;
	hwloc_bitmap_t nodes;
	struct np_node_bytes claimed[1], resident[2];
};

static void wl_init(struct wl *x, const char *name, unsigned node, uint64_t claim, uint64_t res0,
                    uint64_t res1, int64_t last_move)
{
	memset(x, 0, sizeof(*x));
	x->nodes = hwloc_bitmap_alloc();
	hwloc_bitmap_set(x->nodes, node);
	x->claimed[0].node = node;
	x->claimed[0].bytes = claim;
	x->resident[0].node = 0;
	x->resident[0].bytes = res0;
	x->resident[1].node = 1;
	x->resident[1].bytes = res1;
	x->w.name = name;
	x->w.nodes = x->nodes;
	x->w.vcpus = 2;
	x->w.claimed = x->claimed;
	x->w.nclaimed = 1;
	x->w.resident = x->resident;
	x->w.nresident = 2;
	x->w.last_move = last_move;
}

static void test_defaults(void **state)
{
	struct np_rebalance_params p;

	(void)state;
	np_rebalance_params_init(&p);
	assert_int_equal(p.strategy, NP_STRATEGY_COMPACT);
	assert_true(p.spill == 0.10);
	assert_true(p.min_spill_bytes == 64 * MiB);
	assert_true(p.overload == 0.85);
	assert_int_equal(p.min_gap, 300);
	assert_true(p.min_improvement == 0.10);
	assert_string_equal(np_rebalance_verdict_name(NP_REBALANCE_HELD), "held");
	assert_null(np_rebalance_verdict_name((enum np_rebalance_verdict)99));
}

/*
 * Placed on node 0 with 4 GiB claimed; node 0 filled up, so 2 GiB of it landed on node 1.
 * Node 0 has 512 MiB free, node 1 8 GiB: it moves to node 1 (half its memory is there
 * already, and node 1 has room for the rest).
 */
static void test_spilled_moves(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(512 * MiB, 8 * GiB);
	struct wl a;

	(void)state;
	wl_init(&a, "spilled", 0, 4 * GiB, 2 * GiB, 2 * GiB, NOW - 3600);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_MOVE);
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 1);
	assert_true(hwloc_bitmap_isset(d.nodes, 1));
	assert_int_equal(hwloc_bitmap_first(d.cpus), 4);
	assert_int_equal(hwloc_bitmap_last(d.cpus), 7);
	assert_true(d.cost[0] == 0.5);
	assert_string_equal(d.reasons[0], "50% (2 GiB) of its memory off node 0: spilled; node 1: "
	                                  "cost 0.50 -> 0.00");
	np_rebalance_decision_release(&d);
	assert_int_equal(d.move, -1);
	np_rebalance_decision_release(&d); /* idempotent */
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/* The same workload moved 100 s ago: held (the minimum gap is 300 s), nothing moves. */
static void test_hysteresis_gap(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(512 * MiB, 8 * GiB);
	struct wl a;

	(void)state;
	wl_init(&a, "recent", 0, 4 * GiB, 2 * GiB, 2 * GiB, NOW - 100);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_HELD);
	assert_true(hwloc_bitmap_iszero(d.nodes));
	assert_string_equal(d.reasons[0],
	                    "50% (2 GiB) of its memory off node 0: spilled, but placed or "
	                    "moved 100 s ago (min gap 300 s)");
	np_rebalance_decision_release(&d);
	/* at exactly the gap it may move */
	a.w.last_move = NOW - 300;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/*
 * Within the spill bounds: 32 MiB off its node is below min_spill_bytes (64 MiB), 5% off is
 * below the spill fraction (10%): fine, nothing moves.
 */
static void test_hysteresis_bounds(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(512 * MiB, 8 * GiB);
	struct np_rebalance_workload ws[2];
	struct wl w[2];

	(void)state;
	wl_init(&w[0], "small", 0, 64 * MiB, 32 * MiB, 32 * MiB, 0);
	wl_init(&w[1], "mostly-local", 0, 4 * GiB, 3891 * MiB, 205 * MiB, 0);
	ws[0] = w[0].w;
	ws[1] = w[1].w;
	assert_int_equal(np_rebalance_decide(host, l, NULL, ws, 2, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_FINE);
	assert_int_equal(d.verdicts[1], NP_REBALANCE_FINE);
	assert_string_equal(d.reasons[1], "5% (205 MiB) of its memory off node 0");
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(w[0].nodes);
	hwloc_bitmap_free(w[1].nodes);
	np_load_free(l);
}

/*
 * A small gain: 15% off node 0 is spilled, but with min_improvement 0.2 the move (cost 0.15 ->
 * 0) is not worth it.
 */
static void test_small_gain(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(512 * MiB, 8 * GiB);
	struct wl a;

	(void)state;
	wl_init(&a, "small-gain", 0, 4 * GiB, 3482 * MiB, 614 * MiB, 0);
	p.min_improvement = 0.2;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_NO_BETTER);
	assert_non_null(strstr(d.reasons[0], "lower its cost only from 0.15 to 0.00"));
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/*
 * Three workloads need a move and could make it: only one moves this interval, the one whose
 * cost drops most (b: 75% off its node); a and c are deferred, and d, fine, stays fine.
 */
static void test_never_two(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(256 * MiB, 12 * GiB);
	struct np_rebalance_workload ws[4];
	struct wl w[4];

	(void)state;
	wl_init(&w[0], "a", 0, 2 * GiB, 1 * GiB, 1 * GiB, 0);
	wl_init(&w[1], "b", 0, 2 * GiB, 512 * MiB, 1536 * MiB, 0);
	wl_init(&w[2], "c", 0, 2 * GiB, 1 * GiB, 1 * GiB, 0);
	wl_init(&w[3], "d", 1, 1 * GiB, 0, 1 * GiB, 0);
	for (int i = 0; i < 4; i++)
		ws[i] = w[i].w;
	assert_int_equal(np_rebalance_decide(host, l, NULL, ws, 4, &p, &d), 0);
	assert_int_equal(d.move, 1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_DEFERRED);
	assert_int_equal(d.verdicts[1], NP_REBALANCE_MOVE);
	assert_int_equal(d.verdicts[2], NP_REBALANCE_DEFERRED);
	assert_int_equal(d.verdicts[3], NP_REBALANCE_FINE);
	assert_non_null(strstr(d.reasons[0], "deferred: b gains more this interval"));
	assert_true(hwloc_bitmap_isset(d.nodes, 1) && hwloc_bitmap_weight(d.nodes) == 1);
	np_rebalance_decision_release(&d);
	/* equal gains: the first */
	ws[1] = w[0].w;
	assert_int_equal(np_rebalance_decide(host, l, NULL, ws, 4, &p, &d), 0);
	assert_int_equal(d.move, 0);
	np_rebalance_decision_release(&d);
	for (int i = 0; i < 4; i++)
		hwloc_bitmap_free(w[i].nodes);
	np_load_free(l);
}

/*
 * Node 0's CPUs are 97.5% busy (3.9 of 4), node 1's 12.5%. A local workload on node 0 using
 * 1 CPU: overloaded, cost 0.975 - 0.85 = 0.125; on node 1 (0.5 + 1) / 4 = 37.5% busy, cost 0.
 * It moves to node 1. Without CPU figures, the same workload is fine.
 */
static void test_overloaded_moves(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	double busy[2] = {3.9, 0.5};
	np_load *l = load_with(8 * GiB, 8 * GiB);
	struct wl a;

	(void)state;
	wl_init(&a, "busy", 0, 1 * GiB, 1 * GiB, 0, 0);
	a.w.cpu = 1.0;
	assert_int_equal(np_rebalance_decide(host, l, busy, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	assert_true(hwloc_bitmap_isset(d.nodes, 1) && hwloc_bitmap_weight(d.nodes) == 1);
	assert_string_equal(d.reasons[0], "0% (0 B) of its memory off node 0, CPUs 98% busy: "
	                                  "overloaded; node 1: cost 0.12 -> 0.00");
	np_rebalance_decision_release(&d);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_FINE);
	np_rebalance_decision_release(&d);
	/* both nodes busy: no candidate is better */
	busy[1] = 3.9;
	assert_int_equal(np_rebalance_decide(host, l, busy, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_NO_BETTER);
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/*
 * Spilled while its own node was full; now node 0 has room again and node 1 is full: the best
 * place is where it is, and the move gathers its memory home (same nodes).
 */
static void test_gather_home(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(8 * GiB, 256 * MiB);
	struct wl a;

	(void)state;
	wl_init(&a, "home", 0, 4 * GiB, 2 * GiB, 2 * GiB, 0);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	assert_true(hwloc_bitmap_isequal(d.nodes, a.nodes));
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/* Nowhere has room for its 6 GiB: no better place, nothing moves. */
static void test_no_room(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(256 * MiB, 1 * GiB);
	struct wl a;

	(void)state;
	wl_init(&a, "big", 0, 6 * GiB, 1 * GiB, 2 * GiB, 0);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_NO_BETTER);
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/*
 * A workload whose memory policy names node 0 (started by numaplace run): moving it to node 1
 * would not last (its new pages keep going to node 0), so with no room on node 0 nothing
 * moves; once node 0 has room, its memory is gathered there.
 */
static void test_policy_pinned(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(512 * MiB, 8 * GiB);
	struct wl a;

	(void)state;
	wl_init(&a, "pinned", 0, 4 * GiB, 2 * GiB, 2 * GiB, 0);
	a.w.policy_pinned = 1;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, -1);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_NO_BETTER);
	np_rebalance_decision_release(&d);
	np_load_free(l);
	l = load_with(3 * GiB, 8 * GiB);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	assert_true(hwloc_bitmap_isequal(d.nodes, a.nodes));
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

static void test_unplaced_and_errors(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d, keep;
	np_load *l = load_with(8 * GiB, 8 * GiB), *other = NULL;
	np_host *h2 = NULL;
	hwloc_bitmap_t c = hwloc_bitmap_alloc();
	struct np_node_spec n = {.id = 0, .cpus = c, .memory_bytes = GiB, .free_bytes = GiB};
	struct wl a;

	(void)state;
	wl_init(&a, "unplaced", 0, GiB, GiB, 0, 0);
	hwloc_bitmap_zero(a.nodes);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_UNPLACED);
	assert_int_equal(d.move, -1);
	np_rebalance_decision_release(&d);
	/* no workloads at all */
	assert_int_equal(np_rebalance_decide(host, l, NULL, NULL, 0, &p, &d), 0);
	assert_int_equal(d.move, -1);
	np_rebalance_decision_release(&d);

	memset(&keep, 0x5a, sizeof(keep));
	d = keep;
	hwloc_bitmap_set(c, 0);
	assert_int_equal(np_host_build(1, &n, NULL, &h2), 0);
	assert_int_equal(np_load_new(h2, &other), 0);
	assert_int_equal(np_rebalance_decide(host, other, NULL, &a.w, 1, &p, &d), -EINVAL);
	p.overload = 0;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), -EINVAL);
	p = params();
	p.spill = 1.5;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), -EINVAL);
	p = params();
	a.w.cpu = -1;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), -EINVAL);
	assert_memory_equal(&d, &keep, sizeof(d)); /* untouched on failure */
	np_load_free(other);
	np_host_free(h2);
	hwloc_bitmap_free(c);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/*
 * The workload of test_spilled_moves placed near a device of node 0: node 1 alone would not
 * hold the device's node, node 0 alone has no room (512 MiB free and its own 2 GiB for 4 GiB),
 * so the move is to nodes 0-1, which hold both its memory and the device's node.
 */
static void test_near_kept(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(512 * MiB, 8 * GiB);
	hwloc_bitmap_t near = hwloc_bitmap_alloc();
	struct wl a;

	(void)state;
	wl_init(&a, "near", 0, 4 * GiB, 2 * GiB, 2 * GiB, NOW - 3600);
	hwloc_bitmap_set(near, 0);
	a.w.near = near;
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 2);
	assert_true(hwloc_bitmap_isset(d.nodes, 0) && hwloc_bitmap_isset(d.nodes, 1));
	assert_string_equal(d.reasons[0], "50% (2 GiB) of its memory off node 0: spilled; nodes "
	                                  "0-1: cost 0.50 -> 0.00");
	np_rebalance_decision_release(&d);
	/* a device on node 1: node 1 alone again */
	hwloc_bitmap_only(near, 1);
	assert_int_equal(np_rebalance_decide(host, l, NULL, &a.w, 1, &p, &d), 0);
	assert_int_equal(d.move, 0);
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 1);
	assert_true(hwloc_bitmap_isset(d.nodes, 1));
	np_rebalance_decision_release(&d);
	hwloc_bitmap_free(near);
	hwloc_bitmap_free(a.nodes);
	np_load_free(l);
}

/* Three nodes, 0, 1 and 2, CPUs 0-3, 4-7 and 8-11 (each CPU a core of its own), 16 GiB each. */
static np_host *host3(void)
{
	struct np_node_spec n[3];
	hwloc_bitmap_t c[3];
	np_host *h = NULL;

	for (unsigned i = 0; i < 3; i++) {
		c[i] = hwloc_bitmap_alloc();
		hwloc_bitmap_set_range(c[i], (int)(4 * i), (int)(4 * i + 3));
		n[i] = (struct np_node_spec){
		    .id = i, .cpus = c[i], .memory_bytes = 16 * GiB, .free_bytes = 16 * GiB};
	}
	assert_int_equal(np_host_build(3, n, NULL, &h), 0);
	for (unsigned i = 0; i < 3; i++)
		hwloc_bitmap_free(c[i]);
	return h;
}

/*
 * Exclusive W holds CPUs 0-1 of node 0 and spilled 2 GiB to node 1, whose cores X holds all
 * (4-7). Nodes 0 and 2 are full but for 512 MiB; node 1 has 8 GiB free. A shared W would go to
 * node 1 (half its memory is there); this one finds no free whole core there: its best set is
 * nodes 0-1, where all its memory already is, and its new grant is on node 0, its own cores
 * given back: CPUs 0-1, none of X's.
 */
static void test_exclusive_spilled(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_host *h = host3();
	np_load *l = NULL;
	hwloc_bitmap_t grant = hwloc_bitmap_alloc(), held = hwloc_bitmap_alloc();
	struct np_rebalance_workload ws[2];
	struct wl w[2];

	(void)state;
	assert_int_equal(np_load_new(h, &l), 0);
	assert_int_equal(np_load_set_free(l, 0, 512 * MiB), 0);
	assert_int_equal(np_load_set_free(l, 1, 8 * GiB), 0);
	assert_int_equal(np_load_set_free(l, 2, 512 * MiB), 0);
	hwloc_bitmap_set_range(grant, 0, 1);
	hwloc_bitmap_set_range(held, 4, 7);
	wl_init(&w[0], "excl", 0, 4 * GiB, 2 * GiB, 2 * GiB, NOW - 3600);
	w[0].w.exclusive = grant;
	wl_init(&w[1], "holder", 1, 1 * GiB, 0, 1 * GiB, NOW - 3600);
	w[1].w.vcpus = 4;
	w[1].w.exclusive = held;
	assert_int_equal(
	    (ws[0] = w[0].w, ws[1] = w[1].w, np_rebalance_decide(h, l, NULL, ws, 2, &p, &d)), 0);
	assert_int_equal(d.move, 0);
	assert_int_equal(d.verdicts[0], NP_REBALANCE_MOVE);
	assert_int_equal(d.verdicts[1], NP_REBALANCE_FINE);
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 2);
	assert_true(hwloc_bitmap_isset(d.nodes, 0) && hwloc_bitmap_isset(d.nodes, 1));
	assert_true(hwloc_bitmap_isequal(d.cpus, grant));
	assert_false(hwloc_bitmap_intersects(d.cpus, held));
	assert_string_equal(d.reasons[0], "50% (2 GiB) of its memory off node 0: spilled; nodes "
	                                  "0-1: cost 0.50 -> 0.00");
	np_rebalance_decision_release(&d);

	/*
	 * Claiming 5 GiB, node 1 full and node 2 with 8 GiB free: nodes 0-1 hold too little now;
	 * of the sets with room, those with node 2 have free cores: the grant is 8-9.
	 */
	w[0].claimed[0].bytes = 5 * GiB;
	assert_int_equal(np_load_set_free(l, 1, 0), 0);
	assert_int_equal(np_load_set_free(l, 2, 8 * GiB), 0);
	assert_int_equal(
	    (ws[0] = w[0].w, ws[1] = w[1].w, np_rebalance_decide(h, l, NULL, ws, 2, &p, &d)), 0);
	assert_int_equal(d.move, 0);
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 1);
	assert_true(hwloc_bitmap_isset(d.nodes, 2));
	assert_int_equal(hwloc_bitmap_weight(d.cpus), 2);
	assert_int_equal(hwloc_bitmap_first(d.cpus), 8);
	assert_int_equal(hwloc_bitmap_last(d.cpus), 9);
	np_rebalance_decision_release(&d);

	/* X holds node 2's cores too: node 2 has the room but no core; nodes 0 and 2, grant 0-1 */
	hwloc_bitmap_set_range(held, 8, 11);
	assert_int_equal(
	    (ws[0] = w[0].w, ws[1] = w[1].w, np_rebalance_decide(h, l, NULL, ws, 2, &p, &d)), 0);
	assert_int_equal(d.move, 0);
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 2);
	assert_true(hwloc_bitmap_isset(d.nodes, 0) && hwloc_bitmap_isset(d.nodes, 2));
	assert_true(hwloc_bitmap_isequal(d.cpus, grant));
	np_rebalance_decision_release(&d);

	for (unsigned i = 0; i < 2; i++)
		hwloc_bitmap_free(w[i].nodes);
	hwloc_bitmap_free(grant);
	hwloc_bitmap_free(held);
	np_load_free(l);
	np_host_free(h);
}

/*
 * The spilled workload of test_spilled_moves, shared, with X holding CPUs 4-5 of node 1
 * exclusively: it still moves to node 1, but its CPUs leave X's out: 6-7.
 */
static void test_shared_avoids_held(void **state)
{
	struct np_rebalance_params p = params();
	struct np_rebalance_decision d;
	np_load *l = load_with(512 * MiB, 8 * GiB);
	hwloc_bitmap_t held = hwloc_bitmap_alloc(), want = hwloc_bitmap_alloc();
	struct np_rebalance_workload ws[2];
	struct wl w[2];

	(void)state;
	hwloc_bitmap_set_range(held, 4, 5);
	hwloc_bitmap_set_range(want, 6, 7);
	wl_init(&w[0], "shared", 0, 4 * GiB, 2 * GiB, 2 * GiB, NOW - 3600);
	wl_init(&w[1], "holder", 1, 1 * GiB, 0, 1 * GiB, NOW - 3600);
	w[1].w.exclusive = held;
	assert_int_equal(
	    (ws[0] = w[0].w, ws[1] = w[1].w, np_rebalance_decide(host, l, NULL, ws, 2, &p, &d)), 0);
	assert_int_equal(d.move, 0);
	assert_int_equal(hwloc_bitmap_weight(d.nodes), 1);
	assert_true(hwloc_bitmap_isset(d.nodes, 1));
	assert_true(hwloc_bitmap_isequal(d.cpus, want));
	np_rebalance_decision_release(&d);
	for (unsigned i = 0; i < 2; i++)
		hwloc_bitmap_free(w[i].nodes);
	hwloc_bitmap_free(held);
	hwloc_bitmap_free(want);
	np_load_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),          cmocka_unit_test(test_spilled_moves),
	    cmocka_unit_test(test_hysteresis_gap),    cmocka_unit_test(test_hysteresis_bounds),
	    cmocka_unit_test(test_small_gain),        cmocka_unit_test(test_never_two),
	    cmocka_unit_test(test_overloaded_moves),  cmocka_unit_test(test_gather_home),
	    cmocka_unit_test(test_no_room),           cmocka_unit_test(test_unplaced_and_errors),
	    cmocka_unit_test(test_policy_pinned),     cmocka_unit_test(test_near_kept),
	    cmocka_unit_test(test_exclusive_spilled), cmocka_unit_test(test_shared_avoids_held),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
