/*
 * claims.c - the placement transaction: the live rows read at its start, the pruning of those
 * whose process is no longer the workload, the load they leave, the insert of a claim, and
 * forgetting or deleting one.
 *
 * A claim is tied to a process by (pid, start time): field 22 of /proc/PID/stat does not
 * change across exec, so `run` records its own pid and start time, then execs the workload in
 * place; a pid reused by another program has another start time and is pruned. The ledger
 * does not look at processes itself: the probe it was opened with says what became of each
 * (live/ledger-probe.c reads /proc; the unit tests give a table).
 */
#include "ledger.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 64

static void live_row_free(const struct np__live *row)
{
	free(row->name);
	free(row->nodes);
	free(row->claimed);
	free(row->cgroup);
	free(row->exclusive);
}

void np__live_clear(np_ledger *l)
{
	for (unsigned i = 0; i < l->nlive; i++)
		live_row_free(&l->live[i]);
	l->nlive = 0;
}

static void live_remove(np_ledger *l, unsigned i)
{
	live_row_free(&l->live[i]);
	l->live[i] = l->live[--l->nlive];
}

/*
 * Append a row; takes its strings (freed on failure too). -ENOMEM also when one of them is NULL
 * (a copy that failed).
 */
static int live_add(np_ledger *l, const struct np__live *row)
{
	struct np__live *n = NULL;

	if (row->name && row->nodes && row->claimed && row->exclusive &&
	    (!np__kind_is_group(row->kind) || row->cgroup))
		n = np__grow(l->live, l->nlive, &l->caplive, sizeof(*n), 16);
	if (!n) {
		live_row_free(row);
		return -ENOMEM;
	}
	l->live = n;
	l->live[l->nlive++] = *row;
	return 0;
}

/*
 * Why a live row's process (its group, for the group kinds) is no longer the workload (the
 * end_reason), or NULL while it is. A run --scope group lives as long as it holds a process,
 * whatever became of the one launched first.
 */
static const char *dead_reason(np_ledger *l, const struct np__live *w, int *ret_err)
{
	bool group = np__kind_is_group(w->kind);
	int r;

	if (!group)
		r = l->probe.liveness(l->probe.arg, w->pid, w->start_time);
	else if (l->probe.group_liveness)
		r = l->probe.group_liveness(l->probe.arg, w->cgroup, w->cgroup_id,
		                            w->kind == NP_WORKLOAD_SCOPE);
	else
		r = NP__ALIVE;
	switch (r) {
	case NP__EXITED:
		return !group ? "exited" : w->kind == NP_WORKLOAD_SCOPE ? "group empty" : "group removed";
	case NP__PID_REUSED:
		return "pid reused";
	case NP__GROUP_RECREATED:
		return "group recreated";
	default:
		if (r < 0)
			*ret_err = r;
		return NULL;
	}
}

/* Mark a row ended (pruned, forgotten, replaced). */
static int end_row(np_ledger *l, int64_t id, const char *why)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = np__ledger_prepare(l, "UPDATE workload SET ended = ?1, end_reason = ?2 WHERE id = ?3",
	                       &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, np__ledger_now());
	sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	r = np__ledger_step(l, st, "end workload");
	sqlite3_finalize(st);
	return r;
}

/* Read the live rows into l->live, pruning the dead ones. Returns the number pruned. */
static int prune(np_ledger *l)
{
	sqlite3_stmt *sel = NULL, *trim = NULL;
	unsigned pruned = 0;
	int r, rc;

	np__live_clear(l);
	r = np__ledger_prepare(
	    l,
	    "SELECT id, pid, start_time, name, nodes, claimed, vcpus, kind, cgroup, cgroup_id,"
	    " exclusive FROM workload WHERE ended IS NULL",
	    &sel);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct np__live row = {
		    .id = sqlite3_column_int64(sel, 0),
		    .pid = (pid_t)sqlite3_column_int64(sel, 1),
		    .start_time = (uint64_t)sqlite3_column_int64(sel, 2),
		    .name = np__column_dup(sel, 3),
		    .nodes = np__column_dup(sel, 4),
		    .claimed = np__column_dup(sel, 5),
		    .vcpus = (unsigned)sqlite3_column_int64(sel, 6),
		    .cgroup = np__column_dup(sel, 8),
		    .cgroup_id = (uint64_t)sqlite3_column_int64(sel, 9),
		    .exclusive = np__column_dup(sel, 10),
		};

		r = np__kind_parse(l, (const char *)sqlite3_column_text(sel, 7), &row.kind);
		if (r < 0) {
			live_row_free(&row);
			goto out;
		}
		r = live_add(l, &row);
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = np__ledger_fail(l, rc, "read workloads");
		goto out;
	}
	for (unsigned i = 0; i < l->nlive;) {
		const char *why = dead_reason(l, &l->live[i], &r);

		if (r < 0)
			goto out;
		if (!why) {
			i++;
			continue;
		}
		r = end_row(l, l->live[i].id, why);
		if (r < 0)
			goto out;
		live_remove(l, i);
		pruned++;
	}
	if (pruned) {
		/*
		 * History: the pruned workloads among the `history` most recently created. Ids only
		 * grow, so this is a range at the start of the table's own order, not a sort of the
		 * whole history at every transaction.
		 */
		r = np__ledger_prepare(l,
		                       "DELETE FROM workload WHERE ended IS NOT NULL"
		                       " AND id <= (SELECT max(id) FROM workload) - ?1",
		                       &trim);
		if (r < 0)
			goto out;
		sqlite3_bind_int64(trim, 1, l->history);
		r = np__ledger_step(l, trim, "trim history");
		if (r < 0)
			goto out;
		r = np__ledger_exec(
		    l, "DELETE FROM move WHERE workload NOT IN (SELECT id FROM workload)");
		if (r < 0)
			goto out;
	}
	r = (int)pruned;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(trim);
	return r;
}

int np_ledger_begin(np_ledger *l)
{
	int r;

	if (!l)
		return -EINVAL;
	if (l->in_tx)
		return -EALREADY;
	r = np__ledger_exec(l, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	l->in_tx = true;
	r = prune(l);
	if (r < 0)
		np_ledger_rollback(l);
	return r;
}

int np_ledger_commit(np_ledger *l)
{
	int r;

	if (!l || !l->in_tx)
		return -EINVAL;
	r = np__ledger_exec(l, "COMMIT");
	if (r < 0) {
		np_ledger_rollback(l);
		return r;
	}
	l->in_tx = false;
	np__live_clear(l);
	return 0;
}

void np_ledger_rollback(np_ledger *l)
{
	if (!l || !l->in_tx)
		return;
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_tx = false;
	np__live_clear(l);
}

uint64_t np_node_bytes_get(const struct np_node_bytes *a, unsigned n, unsigned node)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].node == node)
			return a[i].bytes;
	return 0;
}

uint64_t np_node_bytes_sum(const struct np_node_bytes *a, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum = sum > UINT64_MAX - a[i].bytes ? UINT64_MAX : sum + a[i].bytes;
	return sum;
}

int np__live_resident(np_ledger *l, enum np_workload_kind kind, pid_t pid, const char *cgroup,
                      struct np_node_bytes **ret_nodes)
{
	int r;

	*ret_nodes = NULL;
	if (!np__kind_is_group(kind))
		return l->probe.resident(l->probe.arg, pid, ret_nodes);
	if (!l->probe.group_resident)
		return 0;
	/*
	 * A group without memory.numa_stat (no memory controller handed down to it) tells nothing
	 * resident: its whole claim stands. Whether it is gone is the liveness check's to say.
	 */
	r = l->probe.group_resident(l->probe.arg, cgroup, ret_nodes);
	return r == -ENOENT || r == -ESRCH ? 0 : r;
}

/*
 * Count one live workload into `load` (its vCPUs, the CPUs it holds exclusively) and `outstanding` (per node index: what it
 * claimed minus what it has resident there). `nodes` is scratch space.
 */
static int count_workload(np_ledger *l, const np_host *host, const struct np__live *w,
                          hwloc_bitmap_t nodes, np_load *load, uint64_t *outstanding)
{
	struct np_node_bytes *res = NULL, *claimed = NULL;
	int r = 0, node, nclaimed, nres = 0;
	bool gone = false;

	/*
	 * vCPUs: once on every node of the workload's set (Xen's accounting); those of a
	 * workload on whole cores of its own are not: its held CPUs leave the capacity instead
	 */
	if (*w->nodes && hwloc_bitmap_list_sscanf(nodes, w->nodes) < 0)
		return np__ledger_fail(l, SQLITE_CORRUPT, "node list");
	if (!*w->nodes)
		hwloc_bitmap_zero(nodes);
	hwloc_bitmap_foreach_begin(node, nodes)
	{
		int idx = np_host_node_idx(host, (unsigned)node);

		if (idx >= 0 && w->vcpus > 0 && !*w->exclusive) {
			r = np_load_add_vcpus(load, (unsigned)idx, w->vcpus);
			if (r < 0)
				return r;
		}
	}
	hwloc_bitmap_foreach_end();
	if (*w->exclusive) {
		r = np__set_parse(l, w->exclusive, nodes);
		if (r == 0)
			r = np_load_hold_cpus(load, nodes);
		if (r < 0)
			return r;
	}

	/* memory: what it claimed minus what it already has, per node */
	nclaimed = np__claimed_parse(w->claimed, &claimed);
	if (nclaimed < 0)
		return nclaimed == -ENOMEM ? -ENOMEM
		                           : np__ledger_fail(l, SQLITE_CORRUPT, "claimed");
	if (nclaimed > 0) {
		nres = np__live_resident(l, w->kind, w->pid, w->cgroup, &res);
		if (nres == -ENOMEM) {
			r = nres;
			goto out;
		}
		/* gone since np_ledger_begin(): its memory is free, it owes nothing */
		gone = nres == -ENOENT || nres == -ESRCH;
		/* unreadable: nothing counted as resident, the whole claim stands */
		if (nres < 0)
			nres = 0;
	}
	for (int k = 0; k < nclaimed && !gone; k++) {
		int idx = np_host_node_idx(host, claimed[k].node);
		uint64_t resident, owe;

		if (idx < 0)
			continue;
		resident = np_node_bytes_get(res, (unsigned)nres, claimed[k].node);
		owe = claimed[k].bytes > resident ? claimed[k].bytes - resident : 0;
		outstanding[idx] =
		    outstanding[idx] > UINT64_MAX - owe ? UINT64_MAX : outstanding[idx] + owe;
	}
	r = 0;
out:
	free(claimed);
	free(res);
	return r;
}

int np_ledger_load(np_ledger *l, const np_host *host, np_load **ret_load)
{
	hwloc_bitmap_t nodes = NULL;
	uint64_t *outstanding = NULL;
	unsigned nn = host ? np_host_nnodes(host) : 0;
	np_load *load = NULL;
	int r;

	if (!l || !host || !ret_load || !l->in_tx)
		return -EINVAL;
	outstanding = calloc(nn, sizeof(*outstanding));
	nodes = hwloc_bitmap_alloc();
	if (!outstanding || !nodes) {
		r = -ENOMEM;
		goto out;
	}
	r = np_load_new(host, &load);
	if (r < 0)
		goto out;
	for (unsigned i = 0; i < l->nlive; i++) {
		r = count_workload(l, host, &l->live[i], nodes, load, outstanding);
		if (r < 0)
			goto out;
	}
	for (unsigned i = 0; i < nn; i++) {
		uint64_t f = np_load_free_bytes(load, i);

		r = np_load_set_free(load, i, f > outstanding[i] ? f - outstanding[i] : 0);
		if (r < 0)
			goto out;
	}
	*ret_load = load;
	load = NULL;
	r = 0;
out:
	np_load_free(load);
	hwloc_bitmap_free(nodes);
	free(outstanding);
	return r;
}

static bool name_valid(const char *name)
{
	size_t len = strlen(name);
	bool digits = true;

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return false;
		if (!isdigit((unsigned char)*p))
			digits = false;
	}
	return !digits;
}

/*
 * "<first word of cmdline without its directory>-<pid>", in the name alphabet; a group without
 * a process: the last component of its path ("web.service"), "-2", "-3"... when taken.
 */
static void name_generate(const struct np_workload *w, unsigned suffix, char *buf, size_t len)
{
	char base[61];
	bool group = w->pid == 0 && w->cgroup;
	const char *p = group ? w->cgroup : w->cmdline ? w->cmdline : "", *start = p;
	size_t k = 0, max = group ? sizeof(base) - 1 : 40;
	const char *pre;

	for (; *p && (group || *p != ' '); p++)
		if (*p == '/')
			start = p + 1;
	for (p = start; *p && (group || *p != ' ') && k < max; p++) {
		/* systemd's escape of '-' in unit names ("machine-qemu\x2d4\x2ddb.scope") */
		if (group && !strncmp(p, "\\x2d", 4)) {
			base[k++] = '-';
			p += 3;
			continue;
		}
		if (*p == '\'' || *p == '"' || *p == '\\')
			continue;
		base[k++] =
		    isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-' ? *p : '_';
	}
	base[k] = '\0';
	/* a name of digits only would read as a pid */
	pre = !group ? "" : !k ? "group" : strspn(base, "0123456789") == k ? "group-" : "";
	if (group && suffix > 1)
		snprintf(buf, len, "%s%s-%u", pre, base, suffix);
	else if (group)
		snprintf(buf, len, "%s%s", pre, base);
	else if (suffix > 1)
		snprintf(buf, len, "%s-%d-%u", k ? base : "workload", (int)w->pid, suffix);
	else
		snprintf(buf, len, "%s-%d", k ? base : "workload", (int)w->pid);
}

static bool name_taken(const np_ledger *l, const char *name)
{
	for (unsigned i = 0; i < l->nlive; i++)
		if (!strcmp(l->live[i].name, name))
			return true;
	return false;
}

/* The workload's name, or one generated from its command; -EEXIST when taken. */
static int name_choose(const np_ledger *l, const struct np_workload *w, char *name, size_t len)
{
	if (w->name) {
		snprintf(name, len, "%s", w->name);
		if (name_taken(l, name)) {
			np__set_error("a live workload is already named '%s'", name);
			return -EEXIST;
		}
		return 0;
	}
	for (unsigned suffix = 1; suffix <= 1000; suffix++) {
		name_generate(w, suffix, name, len);
		if (!name_taken(l, name))
			return 0;
	}
	return -EEXIST;
}

bool np__workload_writable(const np_ledger *l, const struct np_workload *w)
{
	bool group, pid;

	if (!l || !w || !l->in_tx || w->start_time > INT64_MAX || (w->nclaimed && !w->claimed) ||
	    !np_workload_kind_name(w->kind) || w->cgroup_id > INT64_MAX)
		return false;
	/* a process has a pid; a group its path and id; run --scope's group both */
	group = np__kind_is_group(w->kind);
	pid = !group || w->kind == NP_WORKLOAD_SCOPE;
	return (pid ? w->pid > 0 : w->pid == 0) &&
	       (group ? w->cgroup && *w->cgroup && w->cgroup_id > 0 : !w->cgroup);
}

/*
 * The same process placed again (e.g. `numaplace run` running itself) or the same group (by
 * its id) replaces its row.
 */
static int replace_same(np_ledger *l, const struct np_workload *w)
{
	int r;

	for (unsigned i = 0; i < l->nlive; i++)
		if ((w->pid > 0 && l->live[i].pid == w->pid) ||
		    (w->cgroup_id && l->live[i].cgroup_id == w->cgroup_id)) {
			r = end_row(l, l->live[i].id, "replaced");
			if (r < 0)
				return r;
			live_remove(l, i);
			break;
		}
	return 0;
}

static int insert_row(np_ledger *l, const struct np_workload *w, const char *name,
                      const char *nodes, const char *cpus, const char *claimed,
                      const char *exclusive, const char *near)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = np__ledger_prepare(
	    l,
	    "INSERT INTO workload (name, pid, start_time, nodes, cpus, claimed, vcpus,"
	    " strategy, policy, created, cmdline, kind, cgroup, cgroup_id, exclusive, near,"
	    " near_devices, flags)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18)",
	    &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->pid);
	sqlite3_bind_int64(st, 3, (int64_t)w->start_time);
	sqlite3_bind_text(st, 4, nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, cpus, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, claimed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, w->vcpus);
	sqlite3_bind_text(st, 8, w->strategy ? w->strategy : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, w->policy ? w->policy : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, w->created ? w->created : np__ledger_now());
	sqlite3_bind_text(st, 11, w->cmdline ? w->cmdline : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, np_workload_kind_name(w->kind), -1, SQLITE_STATIC);
	if (w->cgroup) {
		sqlite3_bind_text(st, 13, w->cgroup, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 14, (int64_t)w->cgroup_id);
	}
	sqlite3_bind_text(st, 15, exclusive, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, near, -1, SQLITE_STATIC);
	if (w->near_devices)
		sqlite3_bind_text(st, 17, w->near_devices, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 18, w->flags);
	r = np__ledger_step(l, st, "insert workload");
	sqlite3_finalize(st);
	return r;
}

int np_ledger_insert(np_ledger *l, const struct np_workload *w, char **ret_name)
{
	struct np__live row = {0};
	char name[NAME_MAX_LEN + 32], *nodes = NULL, *cpus = NULL, *claimed = NULL, *copy = NULL;
	char *exclusive = NULL, *near = NULL, *cgroup = NULL;
	int r;

	if (!np__workload_writable(l, w))
		return -EINVAL;
	if (w->name && !name_valid(w->name)) {
		/* The name cut at 64 bytes, so that the rule always fits the message. */
		np__set_error(
		    "invalid workload name '%.64s%s': 1 to %d letters, digits, '.', '_' or '-',"
		    " not all digits",
		    w->name, strlen(w->name) > 64 ? "..." : "", NAME_MAX_LEN);
		return -EINVAL;
	}
	r = np__placement_text(w, &claimed, &nodes, &cpus);
	if (r < 0)
		return r;
	exclusive = np__set_text(w->exclusive);
	near = np__set_text(w->near);
	if (!exclusive || !near || (w->cgroup && !(cgroup = strdup(w->cgroup)))) {
		r = -ENOMEM;
		goto out;
	}
	r = replace_same(l, w);
	if (r < 0)
		goto out;
	r = name_choose(l, w, name, sizeof(name));
	if (r < 0)
		goto out;
	r = insert_row(l, w, name, nodes, cpus, claimed, exclusive, near);
	if (r < 0)
		goto out;

	/* later inserts and loads of this transaction see it */
	row.id = sqlite3_last_insert_rowid(l->db);
	row.pid = w->pid;
	row.start_time = w->start_time;
	row.name = strdup(name);
	row.nodes = nodes;
	row.claimed = claimed;
	row.vcpus = w->vcpus;
	row.kind = w->kind;
	row.cgroup = cgroup;
	row.cgroup_id = w->cgroup_id;
	row.exclusive = exclusive;
	nodes = claimed = exclusive = cgroup = NULL;
	r = live_add(l, &row);
	if (r < 0)
		goto out;
	if (ret_name) {
		copy = strdup(name);
		if (!copy) {
			r = -ENOMEM;
			goto out;
		}
		*ret_name = copy;
	}
	r = 0;
out:
	free(nodes);
	free(cpus);
	free(claimed);
	free(exclusive);
	free(near);
	free(cgroup);
	return r;
}

int np__ledger_with_tx(np_ledger *l, int (*fn)(np_ledger *l, void *arg), void *arg)
{
	bool own = !l->in_tx;
	int r;

	if (own) {
		r = np_ledger_begin(l);
		if (r < 0)
			return r;
	}
	r = fn(l, arg);
	if (own) {
		if (r < 0) {
			np_ledger_rollback(l);
		} else {
			int c = np_ledger_commit(l);

			if (c < 0)
				r = c;
		}
	}
	return r;
}

struct match_arg {
	const char *name; /* forget by name */
	pid_t pid;        /* else by pid */
	uint64_t start_time;
	bool by_start; /* delete: pid and start time */
};

static bool matches(const struct np__live *w, const struct match_arg *a)
{
	if (a->name)
		return !strcmp(w->name, a->name);
	return w->pid == a->pid && (!a->by_start || w->start_time == a->start_time);
}

/* The workload's row and its moves. */
static int delete_rows(np_ledger *l, int64_t id)
{
	static const char *const sql[][2] = {
	    {"DELETE FROM workload WHERE id = ?1;", "delete"},
	    {"DELETE FROM move WHERE workload = ?1", "delete moves"},
	};

	for (unsigned k = 0; k < sizeof(sql) / sizeof(sql[0]); k++) {
		sqlite3_stmt *st = NULL;
		int r = np__ledger_prepare(l, sql[k][0], &st);

		if (r < 0)
			return r;
		sqlite3_bind_int64(st, 1, id);
		r = np__ledger_step(l, st, sql[k][1]);
		sqlite3_finalize(st);
		if (r < 0)
			return r;
	}
	return 0;
}

static int do_delete(np_ledger *l, void *arg)
{
	for (unsigned i = 0; i < l->nlive; i++) {
		int r;

		if (!matches(&l->live[i], arg))
			continue;
		r = delete_rows(l, l->live[i].id);
		if (r < 0)
			return r;
		live_remove(l, i);
		return 1;
	}
	return 0;
}

int np_ledger_delete(np_ledger *l, pid_t pid, uint64_t start_time)
{
	struct match_arg a = {NULL, pid, start_time, true};

	if (!l || pid <= 0 || start_time > INT64_MAX)
		return -EINVAL;
	return np__ledger_with_tx(l, do_delete, &a);
}

static int do_forget(np_ledger *l, void *arg)
{
	const struct match_arg *a = arg;
	int r;

	for (unsigned i = 0; i < l->nlive; i++) {
		uid_t owner;

		if (!matches(&l->live[i], a))
			continue;
		/* another user's workload: only root may drop its claim (docs/security.md) */
		if (!np__kind_is_group(l->live[i].kind))
			r = l->probe.may_manage(l->probe.arg, l->live[i].pid, &owner);
		else if (l->probe.group_may_manage)
			r = l->probe.group_may_manage(l->probe.arg, l->live[i].cgroup, &owner);
		else
			r = 0;
		if (r == -EPERM) {
			if (owner == (uid_t)-1)
				np__set_error("workload '%s' (pid %d) cannot be shown to be yours: "
				              "only root may forget it",
				              l->live[i].name, (int)l->live[i].pid);
			else
				np__set_error("workload '%s' (pid %d) belongs to uid %u: only root "
				              "or its owner may forget it",
				              l->live[i].name, (int)l->live[i].pid,
				              (unsigned)owner);
			return r;
		}
		if (r == -ENOMEM)
			return r;
		r = end_row(l, l->live[i].id, "forgotten");
		if (r < 0)
			return r;
		/* a run --scope group is numaplace's own: it goes with its claim when empty */
		r = 0;
		if (l->live[i].kind == NP_WORKLOAD_SCOPE && l->live[i].cgroup &&
		    l->probe.group_remove)
			r = l->probe.group_remove(l->probe.arg, l->live[i].cgroup,
			                          l->live[i].cgroup_id);
		if (r == -EBUSY)
			np__set_error("its group '%s' still holds processes: it stays",
			              l->live[i].cgroup);
		else if (r < 0)
			np__set_error("cannot remove its group '%s': %s", l->live[i].cgroup,
			              strerror(-r));
		live_remove(l, i);
		return r < 0 ? 1 : 0;
	}
	if (a->name)
		np__set_error("no live workload named '%s'", a->name);
	else
		np__set_error("no live workload with pid %d", (int)a->pid);
	return -ENOENT;
}

int np_ledger_forget(np_ledger *l, const char *name, pid_t pid)
{
	struct match_arg a = {name, pid, 0, false};

	if (!l || (!name && pid <= 0))
		return -EINVAL;
	return np__ledger_with_tx(l, do_forget, &a);
}
