/*
 * list.c - the workloads read back from the ledger: np_ledger_list() and the np_workload
 * lifecycle.
 */
#include "ledger.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void np_workload_init(struct np_workload *w)
{
	memset(w, 0, sizeof(*w));
}

void np_workload_release(struct np_workload *w)
{
	if (!w)
		return;
	free(w->name);
	hwloc_bitmap_free(w->nodes);
	hwloc_bitmap_free(w->cpus);
	free(w->claimed);
	free(w->resident);
	free(w->strategy);
	free(w->policy);
	free(w->cmdline);
	free(w->end_reason);
	free(w->cgroup);
	hwloc_bitmap_free(w->exclusive);
	hwloc_bitmap_free(w->near);
	free(w->near_devices);
	memset(w, 0, sizeof(*w));
}

static const char *const kind_names[NP_WORKLOAD_KIND_COUNT_] = {
    "process", "group", "unit", "container", "vm", "scope"};

const char *np_workload_kind_name(enum np_workload_kind kind)
{
	return (unsigned)kind < NP_WORKLOAD_KIND_COUNT_ ? kind_names[kind] : NULL;
}

int np_workload_kind_parse(const char *name, enum np_workload_kind *ret_kind)
{
	for (unsigned i = 0; name && i < NP_WORKLOAD_KIND_COUNT_; i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*ret_kind = (enum np_workload_kind)i;
			return 0;
		}
	return -EINVAL;
}

void np_workloads_free(struct np_workload *list, unsigned n)
{
	if (!list)
		return;
	for (unsigned i = 0; i < n; i++)
		np_workload_release(&list[i]);
	free(list);
}

/* Fill one workload from a row of the list query. */
static int read_workload(np_ledger *l, sqlite3_stmt *st, unsigned flags, struct np_workload *w)
{
	const char *nodes = (const char *)sqlite3_column_text(st, 3);
	const char *cpus = (const char *)sqlite3_column_text(st, 4);
	const char *claimed = (const char *)sqlite3_column_text(st, 5);
	int n;

	w->name = np__column_dup(st, 0);
	w->pid = (pid_t)sqlite3_column_int64(st, 1);
	w->start_time = (uint64_t)sqlite3_column_int64(st, 2);
	w->nodes = hwloc_bitmap_alloc();
	w->cpus = hwloc_bitmap_alloc();
	w->vcpus = (unsigned)sqlite3_column_int64(st, 6);
	w->strategy = np__column_dup(st, 7);
	w->policy = np__column_dup(st, 8);
	w->created = sqlite3_column_int64(st, 9);
	w->cmdline = np__column_dup(st, 10);
	w->ended = sqlite3_column_int64(st, 11);
	if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
		w->end_reason = np__column_dup(st, 12);
		if (!w->end_reason)
			return -ENOMEM;
	}
	if (!w->name || !w->nodes || !w->cpus || !w->strategy || !w->policy || !w->cmdline)
		return -ENOMEM;
	if (!nodes || !cpus || !claimed ||
	    (*nodes && hwloc_bitmap_list_sscanf(w->nodes, nodes) < 0) ||
	    (*cpus && hwloc_bitmap_list_sscanf(w->cpus, cpus) < 0))
		return np__ledger_fail(l, SQLITE_CORRUPT, "node or CPU list");
	n = np__claimed_parse(claimed, &w->claimed);
	if (n < 0)
		return n == -ENOMEM ? n : np__ledger_fail(l, SQLITE_CORRUPT, "claimed");
	w->nclaimed = (unsigned)n;
	w->moves = (unsigned)sqlite3_column_int64(st, 13);
	w->last_move = sqlite3_column_int64(st, 14);
	n = np__kind_parse(l, (const char *)sqlite3_column_text(st, 15), &w->kind);
	if (n < 0)
		return n;
	if (sqlite3_column_type(st, 16) != SQLITE_NULL && !(w->cgroup = np__column_dup(st, 16)))
		return -ENOMEM;
	w->cgroup_id = (uint64_t)sqlite3_column_int64(st, 17);
	w->exclusive = hwloc_bitmap_alloc();
	w->near = hwloc_bitmap_alloc();
	if (!w->exclusive || !w->near)
		return -ENOMEM;
	n = np__set_parse(l, (const char *)sqlite3_column_text(st, 18), w->exclusive);
	if (n == 0)
		n = np__set_parse(l, (const char *)sqlite3_column_text(st, 19), w->near);
	if (n < 0)
		return n;
	if (sqlite3_column_type(st, 20) != SQLITE_NULL &&
	    !(w->near_devices = np__column_dup(st, 20)))
		return -ENOMEM;
	w->flags = (unsigned)sqlite3_column_int64(st, 21);
	if ((flags & NP_LEDGER_LIST_RESIDENT) && !w->ended) {
		struct np_node_bytes *res = NULL;
		int nres = np__live_resident(l, w->kind, w->pid, w->cgroup, &res);

		if (nres == -ENOMEM)
			return nres;
		if (nres > 0) {
			w->resident = res;
			w->nresident = (unsigned)nres;
		} else {
			free(res);
		}
	}
	return 0;
}

struct list_arg {
	unsigned flags;
	struct np_workload *list;
	unsigned n, cap;
};

static int list_row(np_ledger *l, sqlite3_stmt *st, void *arg)
{
	struct list_arg *a = arg;
	struct np_workload *nl = np__grow(a->list, a->n, &a->cap, sizeof(*nl), 8);

	if (!nl)
		return -ENOMEM;
	a->list = nl;
	np_workload_init(&a->list[a->n]);
	a->n++;
	return read_workload(l, st, a->flags, &a->list[a->n - 1]);
}

static int do_list(np_ledger *l, void *arg)
{
	const struct list_arg *a = arg;

#define LIST_COLUMNS                                                                               \
	"SELECT name, pid, start_time, nodes, cpus, claimed, vcpus, strategy, policy, created,"    \
	" cmdline, ended, end_reason,"                                                             \
	" (SELECT count(*) FROM move m WHERE m.workload = workload.id),"                           \
	" (SELECT max(time) FROM move m WHERE m.workload = workload.id),"                          \
	" kind, cgroup, cgroup_id, exclusive, near, near_devices, flags FROM workload"
	return np__ledger_rows(l,
	                       (a->flags & NP_LEDGER_LIST_ALL)
	                           ? LIST_COLUMNS " ORDER BY ended IS NOT NULL, created, id"
	                           : LIST_COLUMNS " WHERE ended IS NULL ORDER BY created, id",
	                       "read workloads", list_row, arg);
#undef LIST_COLUMNS
}

int np_ledger_list(np_ledger *l, unsigned flags, struct np_workload **ret_list)
{
	struct list_arg a = {flags, NULL, 0, 0};
	int r;

	if (!l || !ret_list)
		return -EINVAL;
	r = np__ledger_with_tx(l, do_list, &a);
	if (r < 0) {
		np_workloads_free(a.list, a.n);
		return r;
	}
	if (a.n > INT_MAX) {
		np_workloads_free(a.list, a.n);
		return -ERANGE;
	}
	*ret_list = a.list;
	return (int)a.n;
}
