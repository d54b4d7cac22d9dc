/*
 * moves.c - the moves of placed workloads (schema version 2): `numaplace daemon` and `place
 * --pid` (or --cgroup) of a workload already in the ledger update its row in place and add a
 * move row, so it keeps its name, its creation time and its history.
 */
#include "ledger.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct move_arg {
	const struct np_workload *w;
	const char *reason;
};

static int do_move(np_ledger *l, void *arg)
{
	const struct move_arg *a = arg;
	const struct np_workload *w = a->w;
	char *nodes = NULL, *cpus = NULL, *claimed = NULL, *exclusive = NULL;
	sqlite3_stmt *st = NULL;
	struct np__live *row = NULL;
	int r;

	/* a process by its pid and start time; a group (pid 0) by its cgroup id */
	for (unsigned i = 0; i < l->nlive; i++)
		if (w->pid > 0 ? l->live[i].pid == w->pid && l->live[i].start_time == w->start_time
		               : l->live[i].cgroup_id == w->cgroup_id)
			row = &l->live[i];
	if (!row) {
		if (w->pid > 0)
			np__set_error("no live workload with pid %d", (int)w->pid);
		else
			np__set_error("no live workload of the group '%s'",
			              w->cgroup ? w->cgroup : "?");
		return -ENOENT;
	}
	r = np__placement_text(w, &claimed, &nodes, &cpus);
	if (r < 0)
		return r;
	if (w->exclusive && !(exclusive = np__set_text(w->exclusive))) {
		r = -ENOMEM;
		goto out;
	}
	r = np__ledger_prepare(l,
	                       "INSERT INTO move (workload, time, from_nodes, to_nodes, reason)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5)",
	                       &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, row->id);
	sqlite3_bind_int64(st, 2, np__ledger_now());
	sqlite3_bind_text(st, 3, row->nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->reason ? a->reason : "", -1, SQLITE_STATIC);
	r = np__ledger_step(l, st, "insert move");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		goto out;
	r = np__ledger_prepare(
	    l,
	    "UPDATE workload SET nodes = ?1, cpus = ?2, claimed = ?3, vcpus = ?4,"
	    " strategy = coalesce(?5, strategy), policy = coalesce(?6, policy),"
	    " exclusive = coalesce(?8, exclusive), flags = flags | ?9 WHERE id = ?7",
	    &st);
	if (r < 0)
		goto out;
	sqlite3_bind_text(st, 1, nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cpus, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, claimed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, w->vcpus);
	if (w->strategy)
		sqlite3_bind_text(st, 5, w->strategy, -1, SQLITE_STATIC);
	if (w->policy)
		sqlite3_bind_text(st, 6, w->policy, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, row->id);
	if (exclusive)
		sqlite3_bind_text(st, 8, exclusive, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, w->flags);
	r = np__ledger_step(l, st, "update workload");
	if (r < 0)
		goto out;
	/* later loads of this transaction see the new placement */
	free(row->nodes);
	free(row->claimed);
	row->nodes = nodes;
	row->claimed = claimed;
	row->vcpus = w->vcpus;
	if (exclusive) {
		free(row->exclusive);
		row->exclusive = exclusive;
	}
	nodes = claimed = exclusive = NULL;
	r = 0;
out:
	sqlite3_finalize(st);
	free(nodes);
	free(cpus);
	free(claimed);
	free(exclusive);
	return r;
}

int np_ledger_move(np_ledger *l, const struct np_workload *w, const char *reason)
{
	struct move_arg a = {w, reason};

	if (!np__workload_writable(l, w))
		return -EINVAL;
	return do_move(l, &a);
}

void np_moves_free(struct np_move *moves, unsigned n)
{
	if (!moves)
		return;
	for (unsigned i = 0; i < n; i++) {
		free(moves[i].name);
		free(moves[i].reason);
		hwloc_bitmap_free(moves[i].from);
		hwloc_bitmap_free(moves[i].to);
	}
	free(moves);
}

struct moves_arg {
	struct np_move *list;
	unsigned n, cap;
};

static int move_row(np_ledger *l, sqlite3_stmt *st, void *arg)
{
	struct moves_arg *a = arg;
	const char *from = (const char *)sqlite3_column_text(st, 3);
	const char *to = (const char *)sqlite3_column_text(st, 4);
	struct np_move *m, *nl = np__grow(a->list, a->n, &a->cap, sizeof(*nl), 8);

	if (!nl)
		return -ENOMEM;
	a->list = nl;
	m = &a->list[a->n++];
	memset(m, 0, sizeof(*m));
	m->name = np__column_dup(st, 0);
	m->pid = (pid_t)sqlite3_column_int64(st, 1);
	m->time = sqlite3_column_int64(st, 2);
	m->from = hwloc_bitmap_alloc();
	m->to = hwloc_bitmap_alloc();
	m->reason = np__column_dup(st, 5);
	if (!m->name || !m->from || !m->to || !m->reason)
		return -ENOMEM;
	if (!from || !to || (*from && hwloc_bitmap_list_sscanf(m->from, from) < 0) ||
	    (*to && hwloc_bitmap_list_sscanf(m->to, to) < 0))
		return np__ledger_fail(l, SQLITE_CORRUPT, "move node list");
	return 0;
}

static int do_moves(np_ledger *l, void *arg)
{
	return np__ledger_rows(
	    l,
	    "SELECT w.name, w.pid, m.time, m.from_nodes, m.to_nodes, m.reason"
	    " FROM move m JOIN workload w ON w.id = m.workload ORDER BY m.time, m.id",
	    "read moves", move_row, arg);
}

int np_ledger_moves(np_ledger *l, struct np_move **ret_moves)
{
	struct moves_arg a = {NULL, 0, 0};
	int r;

	if (!l || !ret_moves)
		return -EINVAL;
	r = np__ledger_with_tx(l, do_moves, &a);
	if (r >= 0 && a.n > INT_MAX)
		r = -ERANGE;
	if (r < 0) {
		np_moves_free(a.list, a.n);
		return r;
	}
	*ret_moves = a.list;
	return (int)a.n;
}
