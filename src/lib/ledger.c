/*
 * ledger.c - the claims ledger: one SQLite database in a state directory, holding a row per
 * workload numaplace placed and the memory it claimed per node.
 *
 * Why SQLite: several `numaplace run` start at once and must never both take the last free
 * room of a node. BEGIN IMMEDIATE takes the database's write lock before anything is read, so
 * "read the load, choose, insert" is serialised across processes, and a process killed in the
 * middle leaves no half-written claim (the journal rolls it back). docs/ledger.md describes
 * the schema and the transaction.
 *
 * A claim is tied to a process by (pid, start time): field 22 of /proc/PID/stat does not
 * change across exec, so `run` records its own pid and start time, then execs the workload in
 * place; a pid reused by another program has another start time and is pruned.
 */
#include "proc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DB_NAME "ledger.db"
/* PRAGMA application_id: "NPLG", so that another program's database is never taken for ours */
#define APP_ID 0x4e504c47
#define SCHEMA_VERSION 1
#define DEFAULT_BUSY_MS 10000u
#define DEFAULT_HISTORY 1000u
#define NAME_MAX_LEN 64

struct np_ledger {
	sqlite3 *db;
	char *path; /* of the database, for messages */
	int rootfd; /* holds proc/ */
	unsigned history;
	bool in_tx;
};

static const char schema_v1[] =
    "CREATE TABLE workload ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " pid INTEGER NOT NULL,"
    " start_time INTEGER NOT NULL,"
    " nodes TEXT NOT NULL,"
    " cpus TEXT NOT NULL,"
    " vcpus INTEGER NOT NULL,"
    " strategy TEXT NOT NULL,"
    " policy TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " cmdline TEXT NOT NULL,"
    " ended INTEGER,"
    " end_reason TEXT);"
    "CREATE UNIQUE INDEX workload_live_name ON workload(name) WHERE ended IS NULL;"
    "CREATE UNIQUE INDEX workload_live_pid ON workload(pid) WHERE ended IS NULL;"
    "CREATE TABLE claim ("
    " workload INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
    " node INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL CHECK (bytes >= 0),"
    " PRIMARY KEY (workload, node)) WITHOUT ROWID;";

const char *np_ledger_last_error(void)
{
	return np_host_last_error();
}

void np_ledger_opts_init(struct np_ledger_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->busy_timeout_ms = DEFAULT_BUSY_MS;
	opts->history = DEFAULT_HISTORY;
}

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
	memset(w, 0, sizeof(*w));
}

void np_workloads_free(struct np_workload *list, unsigned n)
{
	if (!list)
		return;
	for (unsigned i = 0; i < n; i++)
		np_workload_release(&list[i]);
	free(list);
}

/* Map an SQLite result to -errno and record what failed. */
static int sql_fail(np_ledger *l, int rc, const char *what)
{
	int r;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		r = -EBUSY;
		break;
	case SQLITE_NOMEM:
		r = -ENOMEM;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		r = -EBADMSG;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN:
		r = -EACCES;
		break;
	case SQLITE_FULL:
		r = -ENOSPC;
		break;
	case SQLITE_CONSTRAINT:
		r = -EEXIST;
		break;
	default:
		r = -EIO;
	}
	np__set_error("ledger '%s': %s: %s", l->path, what,
	              l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
	return r;
}

static int exec_sql(np_ledger *l, const char *sql)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(l, rc, sql);
}

static int prepare(np_ledger *l, const char *sql, sqlite3_stmt **ret_stmt)
{
	int rc = sqlite3_prepare_v2(l->db, sql, -1, ret_stmt, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(l, rc, "prepare");
}

/* Run a statement that returns one integer (a PRAGMA or a count). */
static int query_int(np_ledger *l, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(l, sql, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		r = 0;
	} else {
		r = sql_fail(l, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, sql);
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * The state directory and the database files must be the user's own: another user who can
 * write them could plant claims, or a symlink could send the writes elsewhere.
 */
static int check_owner(const struct stat *st, const char *what, const char *path)
{
	uid_t uid = geteuid();

	if (st->st_uid != uid) {
		np__set_error("%s '%s' is owned by uid %u, not by uid %u", what, path,
		              (unsigned)st->st_uid, (unsigned)uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		np__set_error("%s '%s' is writable by group or others (mode %04o)", what, path,
		              (unsigned)(st->st_mode & 07777));
		return -EACCES;
	}
	return 0;
}

/* Open the state directory without following a symlink; create it (0700) when allowed. */
static int open_state_dir(const char *dir, bool create)
{
	struct stat st, fst;
	int fd = -1, r;

	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT || !create) {
			r = -errno;
			np__set_error("cannot access state directory '%s': %s", dir,
			              strerror(errno));
			return r;
		}
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			np__set_error("cannot create state directory '%s': %s", dir,
			              strerror(errno));
			return r;
		}
		if (lstat(dir, &st) < 0) {
			r = -errno;
			np__set_error("cannot access state directory '%s': %s", dir,
			              strerror(errno));
			return r;
		}
	}
	if (S_ISLNK(st.st_mode)) {
		np__set_error("state directory '%s' is a symlink", dir);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		np__set_error("state directory '%s' is not a directory", dir);
		return -ENOTDIR;
	}
	r = check_owner(&st, "state directory", dir);
	if (r < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		np__set_error("cannot open state directory '%s': %s", dir, strerror(errno));
		return r == -ENOTDIR ? -ELOOP : r;
	}
	/* the directory checked is the one opened (not swapped for a symlink in between) */
	if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		np__set_error("state directory '%s' changed while being opened", dir);
		close(fd);
		return -ELOOP;
	}
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		r = -errno;
		np__set_error("state directory '%s' is not writable: %s", dir, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

/* Check the database and its WAL files, creating the database (0600) when missing. */
static int check_db_files(int dirfd, const char *dir, bool create)
{
	static const char *const names[] = {DB_NAME, DB_NAME "-wal", DB_NAME "-shm"};
	char path[PATH_MAX];
	struct stat st;
	int fd, r;

	if (!create && fstatat(dirfd, DB_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		np__set_error("no ledger database in '%s'", dir);
		return -ENOENT;
	}
	if (create) {
		/* created here so that its mode (which SQLite gives the WAL files too) is 0600 */
		fd = openat(dirfd, DB_NAME, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            0600);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST) {
			r = -errno;
			np__set_error("cannot create '%s/%s': %s", dir, DB_NAME, strerror(errno));
			return r;
		}
	}
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			r = -errno;
			np__set_error("cannot access '%s': %s", path, strerror(errno));
			return r;
		}
		if (S_ISLNK(st.st_mode)) {
			np__set_error("ledger file '%s' is a symlink", path);
			return -ELOOP;
		}
		if (!S_ISREG(st.st_mode)) {
			np__set_error("ledger file '%s' is not a regular file", path);
			return -EINVAL;
		}
		r = check_owner(&st, "ledger file", path);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Read the application id and schema version. Nothing is written before they are known:
 * a corrupt file or another program's database is left exactly as it is.
 */
static int check_schema(np_ledger *l, bool *ret_empty)
{
	int64_t app, ver, ntables;
	int r;

	r = query_int(l, "PRAGMA application_id", &app);
	if (r == -EBADMSG)
		np__set_error("'%s' is not a numaplace ledger: %s (left untouched)", l->path,
		              sqlite3_errmsg(l->db));
	if (r < 0)
		return r;
	r = query_int(l, "PRAGMA user_version", &ver);
	if (r < 0)
		return r;
	if (app == APP_ID && ver == SCHEMA_VERSION) {
		*ret_empty = false;
		return 0;
	}
	if (app == APP_ID) {
		np__set_error(
		    "ledger '%s' has schema version %lld; this numaplace knows version %d", l->path,
		    (long long)ver, SCHEMA_VERSION);
		return -EPROTO;
	}
	if (app != 0 || ver != 0) {
		np__set_error(
		    "'%s' is not a numaplace ledger (application id 0x%llx, version %lld)", l->path,
		    (unsigned long long)app, (long long)ver);
		return -EPROTO;
	}
	r = query_int(l, "SELECT count(*) FROM sqlite_master", &ntables);
	if (r < 0)
		return r;
	if (ntables) {
		np__set_error("'%s' is not a numaplace ledger (it holds another program's tables)",
		              l->path);
		return -EPROTO;
	}
	*ret_empty = true;
	return 0;
}

static int create_schema(np_ledger *l)
{
	char sql[64];
	bool empty;
	int r;

	/* in WAL mode readers never wait for the writer; set before the first write */
	r = exec_sql(l, "PRAGMA journal_mode=WAL");
	if (r < 0)
		return r;
	r = exec_sql(l, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	/* another process may have created it while this one waited for the lock */
	r = check_schema(l, &empty);
	if (r < 0 || !empty)
		goto out;
	r = exec_sql(l, schema_v1);
	if (r < 0)
		goto out;
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", APP_ID);
	r = exec_sql(l, sql);
	if (r < 0)
		goto out;
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", SCHEMA_VERSION);
	r = exec_sql(l, sql);
out:
	if (r < 0) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return exec_sql(l, "COMMIT");
}

int np_ledger_open(const char *dir, const struct np_ledger_opts *opts, np_ledger **ret_ledger)
{
	struct np_ledger_opts o;
	np_ledger *l = NULL;
	int dirfd = -1, r, rc;
	bool create, empty;
	size_t len;

	np__clear_error();
	if (!dir || !*dir || !ret_ledger)
		return -EINVAL;
	if (opts)
		o = *opts;
	else
		np_ledger_opts_init(&o);
	if (!o.busy_timeout_ms)
		o.busy_timeout_ms = DEFAULT_BUSY_MS;
	if (!o.history)
		o.history = DEFAULT_HISTORY;
	create = !(o.flags & NP_LEDGER_NO_CREATE);

	l = calloc(1, sizeof(*l));
	len = strlen(dir) + sizeof("/" DB_NAME);
	if (!l || !(l->path = malloc(len))) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(l->path, len, "%s/%s", dir, DB_NAME);
	l->rootfd = -1;
	l->history = o.history;

	dirfd = open_state_dir(dir, create);
	if (dirfd < 0) {
		r = dirfd;
		goto out;
	}
	r = check_db_files(dirfd, dir, create);
	if (r < 0)
		goto out;
	r = np__proc_root_open(o.proc_root);
	if (r < 0) {
		np__set_error("cannot open '%s': %s", o.proc_root ? o.proc_root : "/",
		              strerror(-r));
		goto out;
	}
	l->rootfd = r;

	rc = sqlite3_open_v2(l->path, &l->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		r = sql_fail(l, rc, "open");
		goto out;
	}
	sqlite3_extended_result_codes(l->db, 1);
	sqlite3_busy_timeout(l->db,
	                     (int)(o.busy_timeout_ms > INT_MAX ? INT_MAX : o.busy_timeout_ms));

	r = check_schema(l, &empty);
	if (r < 0)
		goto out;
	if (empty) {
		r = create_schema(l);
		if (r < 0)
			goto out;
	}
	/* the tmpfs of /run makes fsync cheap, but WAL needs it only at checkpoints */
	r = exec_sql(l, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
	if (r < 0)
		goto out;
	*ret_ledger = l;
	l = NULL;
	r = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	np_ledger_close(l);
	return r;
}

void np_ledger_close(np_ledger *l)
{
	if (!l)
		return;
	if (l->in_tx)
		np_ledger_rollback(l);
	sqlite3_close_v2(l->db);
	if (l->rootfd >= 0)
		close(l->rootfd);
	free(l->path);
	free(l);
}

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Step a statement expected to finish without rows. */
static int step_done(np_ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		return sql_fail(l, rc, what);
	sqlite3_reset(st);
	return 0;
}

/* Why a live row's process is no longer the workload, or NULL while it is. */
static const char *dead_reason(np_ledger *l, pid_t pid, uint64_t start_time)
{
	struct np__proc_stat ps;
	int r = np__proc_stat(l->rootfd, pid, &ps);

	if (r == -ENOENT || r == -ESRCH)
		return "exited";
	if (r < 0)
		return NULL; /* unreadable: no evidence, the claim stays */
	if (ps.start_time != start_time)
		return "pid reused";
	if (ps.state == 'Z' || ps.state == 'X')
		return "exited"; /* its memory is already given back */
	return NULL;
}

struct live_row {
	int64_t id;
	pid_t pid;
	uint64_t start_time;
};

static int prune(np_ledger *l)
{
	sqlite3_stmt *sel = NULL, *upd = NULL, *trim = NULL;
	struct live_row *rows = NULL, *nrows;
	unsigned n = 0, cap = 0, pruned = 0;
	int64_t now = now_s();
	int r, rc;

	r = prepare(l, "SELECT id, pid, start_time FROM workload WHERE ended IS NULL", &sel);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nrows = realloc(rows, cap * sizeof(*rows));
			if (!nrows) {
				r = -ENOMEM;
				goto out;
			}
			rows = nrows;
		}
		rows[n].id = sqlite3_column_int64(sel, 0);
		rows[n].pid = (pid_t)sqlite3_column_int64(sel, 1);
		rows[n].start_time = (uint64_t)sqlite3_column_int64(sel, 2);
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = sql_fail(l, rc, "read workloads");
		goto out;
	}
	r = prepare(l, "UPDATE workload SET ended = ?1, end_reason = ?2 WHERE id = ?3", &upd);
	if (r < 0)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		const char *why = dead_reason(l, rows[i].pid, rows[i].start_time);

		if (!why)
			continue;
		sqlite3_bind_int64(upd, 1, now);
		sqlite3_bind_text(upd, 2, why, -1, SQLITE_STATIC);
		sqlite3_bind_int64(upd, 3, rows[i].id);
		r = step_done(l, upd, "prune");
		if (r < 0)
			goto out;
		pruned++;
	}
	if (pruned) {
		r = prepare(
		    l,
		    "DELETE FROM workload WHERE id IN (SELECT id FROM workload"
		    " WHERE ended IS NOT NULL ORDER BY ended DESC, id DESC LIMIT -1 OFFSET ?1)",
		    &trim);
		if (r < 0)
			goto out;
		sqlite3_bind_int64(trim, 1, l->history);
		r = step_done(l, trim, "trim history");
		if (r < 0)
			goto out;
	}
	r = (int)pruned;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_finalize(trim);
	free(rows);
	return r;
}

int np_ledger_begin(np_ledger *l)
{
	int r;

	if (!l)
		return -EINVAL;
	if (l->in_tx)
		return -EALREADY;
	r = exec_sql(l, "BEGIN IMMEDIATE");
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
	r = exec_sql(l, "COMMIT");
	if (r < 0) {
		np_ledger_rollback(l);
		return r;
	}
	l->in_tx = false;
	return 0;
}

void np_ledger_rollback(np_ledger *l)
{
	if (!l || !l->in_tx)
		return;
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_tx = false;
}

/* Resident bytes of pid on node, from the cached numa_maps of the current workload. */
static uint64_t resident_on(const struct np_node_bytes *res, int nres, unsigned node)
{
	for (int i = 0; i < nres; i++)
		if (res[i].node == node)
			return res[i].bytes;
	return 0;
}

int np_ledger_load(np_ledger *l, const np_host *host, np_load **ret_load)
{
	sqlite3_stmt *st = NULL;
	struct np_node_bytes *res = NULL;
	hwloc_bitmap_t nodes = NULL;
	uint64_t *outstanding = NULL;
	unsigned nn = host ? np_host_nnodes(host) : 0;
	np_load *load = NULL;
	int64_t cur = -1;
	int nres = 0, r, rc, node;
	bool gone = false;

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

	/* vCPUs: once on every node of each live workload's set */
	r = prepare(l, "SELECT nodes, vcpus FROM workload WHERE ended IS NULL", &st);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *list = (const char *)sqlite3_column_text(st, 0);
		int64_t vcpus = sqlite3_column_int64(st, 1);

		if (!list || hwloc_bitmap_list_sscanf(nodes, list) < 0) {
			r = sql_fail(l, SQLITE_CORRUPT, "node list");
			goto out;
		}
		hwloc_bitmap_foreach_begin(node, nodes)
		{
			int idx = np_host_node_idx(host, (unsigned)node);

			if (idx >= 0 && vcpus > 0) {
				r = np_load_add_vcpus(load, (unsigned)idx, (uint64_t)vcpus);
				if (r < 0)
					goto out;
			}
		}
		hwloc_bitmap_foreach_end();
	}
	if (rc != SQLITE_DONE) {
		r = sql_fail(l, rc, "read workloads");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	/* memory: claimed minus already resident, per node; numa_maps read once per workload */
	r = prepare(l,
	            "SELECT w.id, w.pid, c.node, c.bytes FROM claim c JOIN workload w"
	            " ON w.id = c.workload WHERE w.ended IS NULL AND c.bytes > 0 ORDER BY w.id",
	            &st);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		pid_t pid = (pid_t)sqlite3_column_int64(st, 1);
		int64_t cnode = sqlite3_column_int64(st, 2);
		uint64_t bytes = (uint64_t)sqlite3_column_int64(st, 3), resident, owe;
		int idx;

		if (id != cur) {
			free(res);
			res = NULL;
			nres = np__proc_numa_maps(l->rootfd, pid, &res);
			/* gone since np_ledger_begin(): its memory is free, it owes nothing */
			gone = nres == -ENOENT || nres == -ESRCH;
			/* unreadable: nothing counted as resident, the whole claim stands */
			if (nres < 0)
				nres = 0;
			cur = id;
		}
		if (gone || cnode < 0 || cnode > NP__MAX_NODE_ID)
			continue;
		idx = np_host_node_idx(host, (unsigned)cnode);
		if (idx < 0)
			continue;
		resident = resident_on(res, nres, (unsigned)cnode);
		owe = bytes > resident ? bytes - resident : 0;
		outstanding[idx] =
		    outstanding[idx] > UINT64_MAX - owe ? UINT64_MAX : outstanding[idx] + owe;
	}
	if (rc != SQLITE_DONE) {
		r = sql_fail(l, rc, "read claims");
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
	sqlite3_finalize(st);
	np_load_free(load);
	hwloc_bitmap_free(nodes);
	free(outstanding);
	free(res);
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

/* "<first word of cmdline without its directory>-<pid>", in the name alphabet. */
static void name_generate(const char *cmdline, pid_t pid, unsigned suffix, char *buf, size_t len)
{
	char base[41];
	const char *p = cmdline ? cmdline : "", *start = p;
	size_t k = 0;

	for (; *p && *p != ' '; p++)
		if (*p == '/')
			start = p + 1;
	for (p = start; *p && *p != ' ' && k < sizeof(base) - 1; p++) {
		if (*p == '\'' || *p == '"' || *p == '\\')
			continue;
		base[k++] =
		    isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-' ? *p : '_';
	}
	base[k] = '\0';
	if (suffix > 1)
		snprintf(buf, len, "%s-%d-%u", k ? base : "workload", (int)pid, suffix);
	else
		snprintf(buf, len, "%s-%d", k ? base : "workload", (int)pid);
}

static int name_taken(np_ledger *l, const char *name)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(l, "SELECT 1 FROM workload WHERE name = ?1 AND ended IS NULL", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = 1;
	else if (rc == SQLITE_DONE)
		r = 0;
	else
		r = sql_fail(l, rc, "read names");
	sqlite3_finalize(st);
	return r;
}

/* A set as a kernel list ("" for NULL or empty); NULL on failure or an infinite set. */
static char *set_to_list(hwloc_const_bitmap_t set)
{
	char *s = NULL;

	if (!set || hwloc_bitmap_iszero(set))
		return strdup("");
	if (hwloc_bitmap_weight(set) < 0)
		return NULL;
	if (hwloc_bitmap_list_asprintf(&s, set) < 0)
		return NULL;
	return s;
}

int np_ledger_insert(np_ledger *l, const struct np_workload *w, char **ret_name)
{
	sqlite3_stmt *st = NULL, *cl = NULL;
	char name[NAME_MAX_LEN + 32], *nodes = NULL, *cpus = NULL, *copy = NULL;
	int64_t id, now = now_s();
	int r;

	if (!l || !w || !l->in_tx || w->pid <= 0 || w->start_time > INT64_MAX ||
	    (w->nclaimed && !w->claimed))
		return -EINVAL;
	for (unsigned i = 0; i < w->nclaimed; i++)
		if (w->claimed[i].bytes > INT64_MAX)
			return -EINVAL;
	if (w->name && !name_valid(w->name)) {
		np__set_error(
		    "invalid workload name '%s': 1 to %d letters, digits, '.', '_' or '-',"
		    " not all digits",
		    w->name, NAME_MAX_LEN);
		return -EINVAL;
	}
	nodes = set_to_list(w->nodes);
	cpus = set_to_list(w->cpus);
	if (!nodes || !cpus) {
		r = w->nodes && hwloc_bitmap_weight(w->nodes) < 0 ? -EINVAL : -ENOMEM;
		goto out;
	}

	/* the same process placed again (e.g. `numaplace run` running itself) replaces its row */
	r = prepare(l,
	            "UPDATE workload SET ended = ?1, end_reason = 'replaced'"
	            " WHERE pid = ?2 AND ended IS NULL",
	            &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, w->pid);
	r = step_done(l, st, "replace");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		goto out;

	if (w->name) {
		snprintf(name, sizeof(name), "%s", w->name);
		r = name_taken(l, name);
		if (r > 0) {
			np__set_error("a live workload is already named '%s'", name);
			r = -EEXIST;
		}
		if (r < 0)
			goto out;
	} else {
		for (unsigned suffix = 1;; suffix++) {
			if (suffix > 1000) {
				r = -EEXIST;
				goto out;
			}
			name_generate(w->cmdline, w->pid, suffix, name, sizeof(name));
			r = name_taken(l, name);
			if (r < 0)
				goto out;
			if (r == 0)
				break;
		}
	}

	r = prepare(l,
	            "INSERT INTO workload (name, pid, start_time, nodes, cpus, vcpus, strategy,"
	            " policy, created, cmdline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	            &st);
	if (r < 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->pid);
	sqlite3_bind_int64(st, 3, (int64_t)w->start_time);
	sqlite3_bind_text(st, 4, nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, cpus, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, w->vcpus);
	sqlite3_bind_text(st, 7, w->strategy ? w->strategy : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, w->policy ? w->policy : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, w->created ? w->created : now);
	sqlite3_bind_text(st, 10, w->cmdline ? w->cmdline : "", -1, SQLITE_STATIC);
	r = step_done(l, st, "insert workload");
	if (r < 0)
		goto out;
	id = sqlite3_last_insert_rowid(l->db);

	r = prepare(l, "INSERT INTO claim (workload, node, bytes) VALUES (?1, ?2, ?3)", &cl);
	if (r < 0)
		goto out;
	for (unsigned i = 0; i < w->nclaimed; i++) {
		sqlite3_bind_int64(cl, 1, id);
		sqlite3_bind_int64(cl, 2, w->claimed[i].node);
		sqlite3_bind_int64(cl, 3, (int64_t)w->claimed[i].bytes);
		r = step_done(l, cl, "insert claim");
		if (r == -EEXIST) {
			np__set_error("node %u claimed twice", w->claimed[i].node);
			r = -EINVAL;
		}
		if (r < 0)
			goto out;
	}
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
	sqlite3_finalize(st);
	sqlite3_finalize(cl);
	free(nodes);
	free(cpus);
	return r;
}

/* Run fn inside the open transaction, or inside one of its own (committed on success). */
static int with_tx(np_ledger *l, int (*fn)(np_ledger *l, void *arg), void *arg)
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

struct delete_arg {
	pid_t pid;
	uint64_t start_time;
};

static int do_delete(np_ledger *l, void *arg)
{
	const struct delete_arg *a = arg;
	sqlite3_stmt *st = NULL;
	int r;

	r = prepare(l, "DELETE FROM workload WHERE pid = ?1 AND start_time = ?2 AND ended IS NULL",
	            &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, a->pid);
	sqlite3_bind_int64(st, 2, (int64_t)a->start_time);
	r = step_done(l, st, "delete");
	sqlite3_finalize(st);
	return r < 0 ? r : sqlite3_changes(l->db);
}

int np_ledger_delete(np_ledger *l, pid_t pid, uint64_t start_time)
{
	struct delete_arg a = {pid, start_time};

	if (!l || pid <= 0 || start_time > INT64_MAX)
		return -EINVAL;
	return with_tx(l, do_delete, &a);
}

struct forget_arg {
	const char *name;
	pid_t pid;
};

static int do_forget(np_ledger *l, void *arg)
{
	const struct forget_arg *a = arg;
	sqlite3_stmt *st = NULL;
	int r;

	r = prepare(l,
	            a->name ? "UPDATE workload SET ended = ?1, end_reason = 'forgotten'"
	                      " WHERE name = ?2 AND ended IS NULL"
	                    : "UPDATE workload SET ended = ?1, end_reason = 'forgotten'"
	                      " WHERE pid = ?2 AND ended IS NULL",
	            &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, now_s());
	if (a->name)
		sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, a->pid);
	r = step_done(l, st, "forget");
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	if (sqlite3_changes(l->db) == 0) {
		if (a->name)
			np__set_error("no live workload named '%s'", a->name);
		else
			np__set_error("no live workload with pid %d", (int)a->pid);
		return -ENOENT;
	}
	return 0;
}

int np_ledger_forget(np_ledger *l, const char *name, pid_t pid)
{
	struct forget_arg a = {name, pid};

	if (!l || (!name && pid <= 0))
		return -EINVAL;
	return with_tx(l, do_forget, &a);
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

/* Fill one workload from a row of the list query. */
static int read_workload(np_ledger *l, sqlite3_stmt *st, sqlite3_stmt *cl, unsigned flags,
                         struct np_workload *w)
{
	const char *nodes = (const char *)sqlite3_column_text(st, 4);
	const char *cpus = (const char *)sqlite3_column_text(st, 5);
	unsigned n = 0, cap = 0;
	int rc;

	w->name = dup_col(st, 1);
	w->pid = (pid_t)sqlite3_column_int64(st, 2);
	w->start_time = (uint64_t)sqlite3_column_int64(st, 3);
	w->nodes = hwloc_bitmap_alloc();
	w->cpus = hwloc_bitmap_alloc();
	w->vcpus = (unsigned)sqlite3_column_int64(st, 6);
	w->strategy = dup_col(st, 7);
	w->policy = dup_col(st, 8);
	w->created = sqlite3_column_int64(st, 9);
	w->cmdline = dup_col(st, 10);
	w->ended = sqlite3_column_int64(st, 11);
	if (sqlite3_column_type(st, 12) != SQLITE_NULL)
		w->end_reason = dup_col(st, 12);
	if (!w->name || !w->nodes || !w->cpus || !w->strategy || !w->policy || !w->cmdline)
		return -ENOMEM;
	if (!nodes || !cpus || (*nodes && hwloc_bitmap_list_sscanf(w->nodes, nodes) < 0) ||
	    (*cpus && hwloc_bitmap_list_sscanf(w->cpus, cpus) < 0))
		return sql_fail(l, SQLITE_CORRUPT, "node or CPU list");

	sqlite3_reset(cl);
	sqlite3_bind_int64(cl, 1, sqlite3_column_int64(st, 0));
	while ((rc = sqlite3_step(cl)) == SQLITE_ROW) {
		if (n == cap) {
			struct np_node_bytes *nc;

			cap = cap ? cap * 2 : 4;
			nc = realloc(w->claimed, cap * sizeof(*nc));
			if (!nc)
				return -ENOMEM;
			w->claimed = nc;
		}
		w->claimed[n].node = (unsigned)sqlite3_column_int64(cl, 0);
		w->claimed[n].bytes = (uint64_t)sqlite3_column_int64(cl, 1);
		w->nclaimed = ++n;
	}
	if (rc != SQLITE_DONE)
		return sql_fail(l, rc, "read claims");
	if ((flags & NP_LEDGER_LIST_RESIDENT) && !w->ended) {
		struct np_node_bytes *res = NULL;
		int nres = np__proc_numa_maps(l->rootfd, w->pid, &res);

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
	unsigned n;
};

static int do_list(np_ledger *l, void *arg)
{
	struct list_arg *a = arg;
	sqlite3_stmt *st = NULL, *cl = NULL;
	unsigned cap = 0;
	int r, rc;

	r = prepare(l,
	            (a->flags & NP_LEDGER_LIST_ALL)
	                ? "SELECT id, name, pid, start_time, nodes, cpus, vcpus, strategy, policy,"
	                  " created, cmdline, ended, end_reason FROM workload"
	                  " ORDER BY ended IS NOT NULL, created, id"
	                : "SELECT id, name, pid, start_time, nodes, cpus, vcpus, strategy, policy,"
	                  " created, cmdline, ended, end_reason FROM workload"
	                  " WHERE ended IS NULL ORDER BY created, id",
	            &st);
	if (r < 0)
		goto out;
	r = prepare(l, "SELECT node, bytes FROM claim WHERE workload = ?1 ORDER BY node", &cl);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (a->n == cap) {
			struct np_workload *nl;

			cap = cap ? cap * 2 : 8;
			nl = realloc(a->list, cap * sizeof(*nl));
			if (!nl) {
				r = -ENOMEM;
				goto out;
			}
			a->list = nl;
		}
		np_workload_init(&a->list[a->n]);
		a->n++;
		r = read_workload(l, st, cl, a->flags, &a->list[a->n - 1]);
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sql_fail(l, rc, "read workloads");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(cl);
	return r;
}

int np_ledger_list(np_ledger *l, unsigned flags, struct np_workload **ret_list)
{
	struct list_arg a = {flags, NULL, 0};
	int r;

	if (!l || !ret_list)
		return -EINVAL;
	r = with_tx(l, do_list, &a);
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
