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
#define SCHEMA_VERSION 2
#define DEFAULT_BUSY_MS 10000u
#define DEFAULT_HISTORY 1000u
#define NAME_MAX_LEN 64

/* A live workload as np_ledger_begin() read it: what the rest of the transaction needs. */
struct live {
	int64_t id;
	pid_t pid;
	uint64_t start_time;
	char *name;
	char *nodes;   /* kernel list */
	char *claimed; /* "node:bytes,..." */
	unsigned vcpus;
};

struct np_ledger {
	sqlite3 *db;
	char *path; /* of the database, for messages */
	int rootfd; /* holds proc/ */
	unsigned history;
	unsigned busy_ms; /* how long to wait for another connection's lock */
	bool in_tx;
	struct live *live; /* live workloads of the open transaction */
	unsigned nlive, caplive;
};

/*
 * Version 1. `claimed` is the memory claimed per node as text, "node:bytes" pairs by node id
 * ("0:1073741824,2:536870912"; "" for none): one row per workload keeps a launch to one
 * INSERT, and the live rows are read whole at every transaction anyway.
 */
static const char schema_v1[] =
    "CREATE TABLE workload ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " pid INTEGER NOT NULL,"
    " start_time INTEGER NOT NULL,"
    " nodes TEXT NOT NULL,"
    " cpus TEXT NOT NULL,"
    " claimed TEXT NOT NULL,"
    " vcpus INTEGER NOT NULL,"
    " strategy TEXT NOT NULL,"
    " policy TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " cmdline TEXT NOT NULL,"
    " ended INTEGER,"
    " end_reason TEXT);"
    "CREATE UNIQUE INDEX workload_live_name ON workload(name) WHERE ended IS NULL;"
    "CREATE UNIQUE INDEX workload_live_pid ON workload(pid) WHERE ended IS NULL;";

/*
 * Version 2 adds the moves (`numaplace daemon`, `place --pid` of a placed workload): one row
 * per move, kept while its workload's row is. A version 1 ledger is migrated in place at open
 * (nothing of version 1 changes, so the migration is this statement and the version number).
 */
static const char schema_v2_moves[] = "CREATE TABLE move ("
                                      " id INTEGER PRIMARY KEY,"
                                      " workload INTEGER NOT NULL,"
                                      " time INTEGER NOT NULL,"
                                      " from_nodes TEXT NOT NULL,"
                                      " to_nodes TEXT NOT NULL,"
                                      " reason TEXT NOT NULL);"
                                      "CREATE INDEX move_workload ON move(workload);";

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
	/* the system's reason behind an I/O error: "disk I/O error" alone does not say "full" */
	int sys = l->db && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	                    (rc & 0xff) == SQLITE_CANTOPEN)
	              ? sqlite3_system_errno(l->db)
	              : 0;
	int r;

	switch (rc == SQLITE_IOERR_NOMEM ? SQLITE_NOMEM : rc & 0xff) {
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
	if (sys == ENOSPC)
		r = -ENOSPC;
	np__set_error("ledger '%s': %s: %s%s%s%s", l->path, what,
	              l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc), sys > 0 ? " (" : "",
	              sys > 0 ? strerror(sys) : "", sys > 0 ? ")" : "");
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

/* Run a statement that returns one row of n integers. */
static int query_ints(np_ledger *l, const char *sql, int n, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(l, sql, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			ret[i] = sqlite3_column_int64(st, i);
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
static int check_schema(np_ledger *l, int *ret_version)
{
	int64_t v[3] = {0, 0, 0}, app, ver;
	int r, own_tx;

	/*
	 * One read transaction, so that a ledger being created meanwhile is seen whole. Plain
	 * pragmas read the file header; the schema is counted only for a file that has no id,
	 * since that costs parsing it (every `run` opens the ledger).
	 */
	own_tx = sqlite3_get_autocommit(l->db);
	if (own_tx) {
		r = exec_sql(l, "BEGIN");
		if (r < 0)
			return r;
	}
	r = query_ints(l, "PRAGMA application_id", 1, &v[0]);
	if (r == 0)
		r = query_ints(l, "PRAGMA user_version", 1, &v[1]);
	if (r == 0 && v[0] == 0 && v[1] == 0)
		r = query_ints(l, "SELECT count(*) FROM sqlite_master", 1, &v[2]);
	if (own_tx) {
		int rc = sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);

		if (rc != SQLITE_OK) {
			/* a read transaction left open would refuse the pragmas that follow */
			sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
			if (r == 0)
				r = sql_fail(l, rc, "COMMIT");
		}
	}
	if (r == -EBADMSG)
		np__set_error("'%s' is not a numaplace ledger: %s (left untouched)", l->path,
		              sqlite3_errmsg(l->db));
	if (r < 0)
		return r;
	app = v[0];
	ver = v[1];
	if (app == APP_ID && ver >= 1 && ver <= SCHEMA_VERSION) {
		*ret_version = (int)ver;
		return 0;
	}
	if (app == APP_ID) {
		np__set_error(
		    "ledger '%s' has schema version %lld; this numaplace knows versions 1 to %d",
		    l->path, (long long)ver, SCHEMA_VERSION);
		return -EPROTO;
	}
	if (app != 0 || ver != 0) {
		np__set_error(
		    "'%s' is not a numaplace ledger (application id 0x%llx, version %lld)", l->path,
		    (unsigned long long)app, (long long)ver);
		return -EPROTO;
	}
	if (v[2]) {
		np__set_error("'%s' is not a numaplace ledger (it holds another program's tables)",
		              l->path);
		return -EPROTO;
	}
	*ret_version = 0;
	return 0;
}

/*
 * Create the schema in an empty database, or migrate a version 1 ledger to version 2, inside
 * BEGIN IMMEDIATE after checking again: another process may have done it while this one waited
 * for the lock.
 */
static int create_schema(np_ledger *l)
{
	char sql[64];
	int r, version;

	/*
	 * In WAL mode readers never wait for the writer; set before the first write. Switching
	 * takes an exclusive lock, and when another connection is creating the ledger at the same
	 * moment SQLite answers SQLITE_BUSY at once instead of calling the busy handler (it
	 * would deadlock otherwise): retry for as long as the busy timeout allows.
	 */
	for (unsigned waited = 0;; waited++) {
		int rc = sqlite3_exec(l->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);

		if (rc == SQLITE_OK)
			break;
		if ((rc & 0xff) != SQLITE_BUSY || waited >= l->busy_ms)
			return sql_fail(l, rc, "PRAGMA journal_mode=WAL");
		usleep(1000);
	}
	r = exec_sql(l, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = check_schema(l, &version);
	if (r < 0 || version == SCHEMA_VERSION)
		goto out;
	if (version == 0) {
		r = exec_sql(l, schema_v1);
		if (r < 0)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", APP_ID);
		r = exec_sql(l, sql);
		if (r < 0)
			goto out;
	}
	r = exec_sql(l, schema_v2_moves);
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
	int version = 0;
	bool create;
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
	/*
	 * Keep the -wal and -shm files when the last connection closes: every `run` opens and
	 * closes the ledger, and re-creating both files each time costs more than the whole
	 * transaction. The checkpoint on close still empties the WAL into the database.
	 */
	{
		int persist = 1;

		sqlite3_file_control(l->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	}
	l->busy_ms = o.busy_timeout_ms > INT_MAX ? INT_MAX : o.busy_timeout_ms;
	sqlite3_busy_timeout(l->db, (int)l->busy_ms);

	r = check_schema(l, &version);
	if (r < 0)
		goto out;
	if (version < SCHEMA_VERSION) {
		r = create_schema(l);
		if (r < 0)
			goto out;
	}
	/* the tmpfs of /run makes fsync cheap, but WAL needs it only at checkpoints */
	/* with the persistent WAL above: empty the WAL file at close instead of leaving it */
	r = exec_sql(l, "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=0");
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

static void live_clear(np_ledger *l)
{
	for (unsigned i = 0; i < l->nlive; i++) {
		free(l->live[i].name);
		free(l->live[i].nodes);
		free(l->live[i].claimed);
	}
	l->nlive = 0;
}

static void live_remove(np_ledger *l, unsigned i)
{
	free(l->live[i].name);
	free(l->live[i].nodes);
	free(l->live[i].claimed);
	l->live[i] = l->live[--l->nlive];
}

/* Append a row; takes the strings (freed on failure too). */
static int live_add(np_ledger *l, const struct live *row)
{
	if (l->nlive == l->caplive) {
		unsigned cap = l->caplive ? l->caplive * 2 : 16;
		struct live *n = realloc(l->live, cap * sizeof(*n));

		if (!n) {
			free(row->name);
			free(row->nodes);
			free(row->claimed);
			return -ENOMEM;
		}
		l->live = n;
		l->caplive = cap;
	}
	l->live[l->nlive++] = *row;
	return 0;
}

void np_ledger_close(np_ledger *l)
{
	if (!l)
		return;
	if (l->in_tx)
		np_ledger_rollback(l);
	live_clear(l);
	free(l->live);
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

/*
 * Parse the claimed column: "node:bytes" pairs, comma-separated, node ids ascending. Returns
 * the count and *ret_arr (NULL for none), -EBADMSG or -ENOMEM.
 */
static int claimed_parse(const char *s, struct np_node_bytes **ret_arr)
{
	struct np_node_bytes *arr = NULL;
	unsigned n = 0, cap = 0;
	const char *p = s;
	int r = -EBADMSG;

	*ret_arr = NULL;
	if (!*p)
		return 0;
	for (;;) {
		char *end;
		unsigned long long node, bytes;

		if (*p < '0' || *p > '9')
			goto out;
		errno = 0;
		node = strtoull(p, &end, 10);
		if (errno || *end != ':' || node > NP__MAX_NODE_ID ||
		    (n && node <= arr[n - 1].node))
			goto out;
		p = end + 1;
		if (*p < '0' || *p > '9')
			goto out;
		bytes = strtoull(p, &end, 10);
		if (errno || bytes > INT64_MAX || (*end != ',' && *end))
			goto out;
		if (n == cap) {
			struct np_node_bytes *na;

			cap = cap ? cap * 2 : 4;
			na = realloc(arr, cap * sizeof(*na));
			if (!na) {
				r = -ENOMEM;
				goto out;
			}
			arr = na;
		}
		arr[n].node = (unsigned)node;
		arr[n].bytes = bytes;
		n++;
		if (!*end)
			break;
		p = end + 1;
	}
	*ret_arr = arr;
	arr = NULL;
	r = (int)n;
out:
	free(arr);
	return r;
}

/* Format the claimed column; NULL on a bad list (unsorted, too large) or no memory. */
static char *claimed_format(const struct np_node_bytes *a, unsigned n, int *ret_err)
{
	size_t len = (size_t)n * 28 + 1, k = 0;
	char *s = malloc(len);

	*ret_err = -ENOMEM;
	if (!s)
		return NULL;
	s[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		if (a[i].bytes > INT64_MAX || a[i].node > NP__MAX_NODE_ID ||
		    (i && a[i].node <= a[i - 1].node)) {
			*ret_err = -EINVAL;
			free(s);
			return NULL;
		}
		k += (size_t)snprintf(s + k, len - k, "%s%u:%llu", i ? "," : "", a[i].node,
		                      (unsigned long long)a[i].bytes);
	}
	return s;
}

/*
 * Why a live row's process is no longer the workload, or NULL while it is (or when it cannot
 * tell: *ret_err is then -ENOMEM; it is left alone otherwise).
 */
static const char *dead_reason(np_ledger *l, pid_t pid, uint64_t start_time, int *ret_err)
{
	struct np__proc_stat ps;
	int r = np__proc_stat(l->rootfd, pid, &ps);

	if (r == -ENOENT || r == -ESRCH)
		return "exited";
	if (r == -ENOMEM)
		*ret_err = r;
	if (r < 0)
		return NULL; /* unreadable: no evidence, the claim stays */
	if (ps.start_time != start_time)
		return "pid reused";
	if (ps.state == 'Z' || ps.state == 'X')
		return "exited"; /* its memory is already given back */
	return NULL;
}

static char *col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

/* Mark a row ended (pruned, forgotten, replaced). */
static int end_row(np_ledger *l, int64_t id, const char *why)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prepare(l, "UPDATE workload SET ended = ?1, end_reason = ?2 WHERE id = ?3", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, now_s());
	sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	r = step_done(l, st, "end workload");
	sqlite3_finalize(st);
	return r;
}

/* Read the live rows into l->live, pruning the dead ones. Returns the number pruned. */
static int prune(np_ledger *l)
{
	sqlite3_stmt *sel = NULL, *trim = NULL;
	unsigned pruned = 0;
	int r, rc;

	live_clear(l);
	r = prepare(l,
	            "SELECT id, pid, start_time, name, nodes, claimed, vcpus FROM workload"
	            " WHERE ended IS NULL",
	            &sel);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct live row = {
		    .id = sqlite3_column_int64(sel, 0),
		    .pid = (pid_t)sqlite3_column_int64(sel, 1),
		    .start_time = (uint64_t)sqlite3_column_int64(sel, 2),
		    .name = col_dup(sel, 3),
		    .nodes = col_dup(sel, 4),
		    .claimed = col_dup(sel, 5),
		    .vcpus = (unsigned)sqlite3_column_int64(sel, 6),
		};

		if (!row.name || !row.nodes || !row.claimed) {
			free(row.name);
			free(row.nodes);
			free(row.claimed);
			r = -ENOMEM;
			goto out;
		}
		r = live_add(l, &row);
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sql_fail(l, rc, "read workloads");
		goto out;
	}
	for (unsigned i = 0; i < l->nlive;) {
		const char *why = dead_reason(l, l->live[i].pid, l->live[i].start_time, &r);

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
		r = prepare(l,
		            "DELETE FROM workload WHERE ended IS NOT NULL"
		            " AND id <= (SELECT max(id) FROM workload) - ?1",
		            &trim);
		if (r < 0)
			goto out;
		sqlite3_bind_int64(trim, 1, l->history);
		r = step_done(l, trim, "trim history");
		if (r < 0)
			goto out;
		r = exec_sql(l, "DELETE FROM move WHERE workload NOT IN (SELECT id FROM workload)");
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
	live_clear(l);
	return 0;
}

void np_ledger_rollback(np_ledger *l)
{
	if (!l || !l->in_tx)
		return;
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_tx = false;
	live_clear(l);
}

static uint64_t bytes_on(const struct np_node_bytes *a, int n, unsigned node)
{
	for (int i = 0; i < n; i++)
		if (a[i].node == node)
			return a[i].bytes;
	return 0;
}

int np_ledger_load(np_ledger *l, const np_host *host, np_load **ret_load)
{
	struct np_node_bytes *res = NULL, *claimed = NULL;
	hwloc_bitmap_t nodes = NULL;
	uint64_t *outstanding = NULL;
	unsigned nn = host ? np_host_nnodes(host) : 0;
	np_load *load = NULL;
	int r, node;

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
		const struct live *w = &l->live[i];
		int nclaimed, nres = 0;
		bool gone = false;

		/* vCPUs: once on every node of the workload's set (Xen's accounting) */
		if (*w->nodes && hwloc_bitmap_list_sscanf(nodes, w->nodes) < 0) {
			r = sql_fail(l, SQLITE_CORRUPT, "node list");
			goto out;
		}
		if (!*w->nodes)
			hwloc_bitmap_zero(nodes);
		hwloc_bitmap_foreach_begin(node, nodes)
		{
			int idx = np_host_node_idx(host, (unsigned)node);

			if (idx >= 0 && w->vcpus > 0) {
				r = np_load_add_vcpus(load, (unsigned)idx, w->vcpus);
				if (r < 0)
					goto out;
			}
		}
		hwloc_bitmap_foreach_end();

		/* memory: what it claimed minus what it already has, per node */
		nclaimed = claimed_parse(w->claimed, &claimed);
		if (nclaimed < 0) {
			r = nclaimed == -ENOMEM ? -ENOMEM : sql_fail(l, SQLITE_CORRUPT, "claimed");
			goto out;
		}
		if (nclaimed > 0) {
			nres = np__proc_numa_maps(l->rootfd, w->pid, &res);
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
			resident = bytes_on(res, nres, claimed[k].node);
			owe = claimed[k].bytes > resident ? claimed[k].bytes - resident : 0;
			outstanding[idx] = outstanding[idx] > UINT64_MAX - owe
			                       ? UINT64_MAX
			                       : outstanding[idx] + owe;
		}
		free(claimed);
		claimed = NULL;
		free(res);
		res = NULL;
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
	free(claimed);
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

static bool name_taken(const np_ledger *l, const char *name)
{
	for (unsigned i = 0; i < l->nlive; i++)
		if (!strcmp(l->live[i].name, name))
			return true;
	return false;
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
	struct live row = {0};
	sqlite3_stmt *st = NULL;
	char name[NAME_MAX_LEN + 32], *nodes = NULL, *cpus = NULL, *claimed = NULL, *copy = NULL;
	int64_t now = now_s();
	int r;

	if (!l || !w || !l->in_tx || w->pid <= 0 || w->start_time > INT64_MAX ||
	    (w->nclaimed && !w->claimed))
		return -EINVAL;
	if (w->name && !name_valid(w->name)) {
		/* The name cut at 64 bytes, so that the rule always fits the message. */
		np__set_error(
		    "invalid workload name '%.64s%s': 1 to %d letters, digits, '.', '_' or '-',"
		    " not all digits",
		    w->name, strlen(w->name) > 64 ? "..." : "", NAME_MAX_LEN);
		return -EINVAL;
	}
	claimed = claimed_format(w->claimed, w->nclaimed, &r);
	if (!claimed) {
		if (r == -EINVAL)
			np__set_error("claimed memory: node ids not ascending, or too large");
		return r;
	}
	nodes = set_to_list(w->nodes);
	cpus = set_to_list(w->cpus);
	if (!nodes || !cpus) {
		r = (w->nodes && hwloc_bitmap_weight(w->nodes) < 0) ||
		            (w->cpus && hwloc_bitmap_weight(w->cpus) < 0)
		        ? -EINVAL
		        : -ENOMEM;
		goto out;
	}

	/* the same process placed again (e.g. `numaplace run` running itself) replaces its row */
	for (unsigned i = 0; i < l->nlive; i++)
		if (l->live[i].pid == w->pid) {
			r = end_row(l, l->live[i].id, "replaced");
			if (r < 0)
				goto out;
			live_remove(l, i);
			break;
		}

	if (w->name) {
		snprintf(name, sizeof(name), "%s", w->name);
		if (name_taken(l, name)) {
			np__set_error("a live workload is already named '%s'", name);
			r = -EEXIST;
			goto out;
		}
	} else {
		for (unsigned suffix = 1;; suffix++) {
			if (suffix > 1000) {
				r = -EEXIST;
				goto out;
			}
			name_generate(w->cmdline, w->pid, suffix, name, sizeof(name));
			if (!name_taken(l, name))
				break;
		}
	}

	r = prepare(l,
	            "INSERT INTO workload (name, pid, start_time, nodes, cpus, claimed, vcpus,"
	            " strategy, policy, created, cmdline)"
	            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	            &st);
	if (r < 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->pid);
	sqlite3_bind_int64(st, 3, (int64_t)w->start_time);
	sqlite3_bind_text(st, 4, nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, cpus, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, claimed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, w->vcpus);
	sqlite3_bind_text(st, 8, w->strategy ? w->strategy : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, w->policy ? w->policy : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, w->created ? w->created : now);
	sqlite3_bind_text(st, 11, w->cmdline ? w->cmdline : "", -1, SQLITE_STATIC);
	r = step_done(l, st, "insert workload");
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
	nodes = claimed = NULL;
	if (!row.name) {
		free(row.nodes);
		free(row.claimed);
		r = -ENOMEM;
		goto out;
	}
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
	sqlite3_finalize(st);
	free(nodes);
	free(cpus);
	free(claimed);
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

struct match_arg {
	const char *name; /* forget by name */
	pid_t pid;        /* else by pid */
	uint64_t start_time;
	bool by_start; /* delete: pid and start time */
};

static bool matches(const struct live *w, const struct match_arg *a)
{
	if (a->name)
		return !strcmp(w->name, a->name);
	return w->pid == a->pid && (!a->by_start || w->start_time == a->start_time);
}

static int do_delete(np_ledger *l, void *arg)
{
	sqlite3_stmt *st = NULL;
	int r;

	for (unsigned i = 0; i < l->nlive; i++) {
		if (!matches(&l->live[i], arg))
			continue;
		r = prepare(l, "DELETE FROM workload WHERE id = ?1;", &st);
		if (r < 0)
			return r;
		sqlite3_bind_int64(st, 1, l->live[i].id);
		r = step_done(l, st, "delete");
		sqlite3_finalize(st);
		if (r < 0)
			return r;
		r = prepare(l, "DELETE FROM move WHERE workload = ?1", &st);
		if (r < 0)
			return r;
		sqlite3_bind_int64(st, 1, l->live[i].id);
		r = step_done(l, st, "delete moves");
		sqlite3_finalize(st);
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
	return with_tx(l, do_delete, &a);
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
		r = np__proc_may_manage(l->rootfd, l->live[i].pid, &owner);
		if (r == -EPERM) {
			if (owner == (uid_t)-1)
				np__set_error("workload '%s' (pid %d) cannot be shown to be yours: "
				              "only root may forget it",
				              l->live[i].name, (int)l->live[i].pid);
			else
				np__set_error("workload '%s' (pid %d) belongs to uid %u: only root "
				              "or its owner may forget it",
				              l->live[i].name, (int)l->live[i].pid, (unsigned)owner);
			return r;
		}
		if (r == -ENOMEM)
			return r;
		r = end_row(l, l->live[i].id, "forgotten");
		if (r < 0)
			return r;
		live_remove(l, i);
		return 0;
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
	return with_tx(l, do_forget, &a);
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

/* Fill one workload from a row of the list query. */
static int read_workload(np_ledger *l, sqlite3_stmt *st, unsigned flags, struct np_workload *w)
{
	const char *nodes = (const char *)sqlite3_column_text(st, 3);
	const char *cpus = (const char *)sqlite3_column_text(st, 4);
	const char *claimed = (const char *)sqlite3_column_text(st, 5);
	int n;

	w->name = dup_col(st, 0);
	w->pid = (pid_t)sqlite3_column_int64(st, 1);
	w->start_time = (uint64_t)sqlite3_column_int64(st, 2);
	w->nodes = hwloc_bitmap_alloc();
	w->cpus = hwloc_bitmap_alloc();
	w->vcpus = (unsigned)sqlite3_column_int64(st, 6);
	w->strategy = dup_col(st, 7);
	w->policy = dup_col(st, 8);
	w->created = sqlite3_column_int64(st, 9);
	w->cmdline = dup_col(st, 10);
	w->ended = sqlite3_column_int64(st, 11);
	if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
		w->end_reason = dup_col(st, 12);
		if (!w->end_reason)
			return -ENOMEM;
	}
	if (!w->name || !w->nodes || !w->cpus || !w->strategy || !w->policy || !w->cmdline)
		return -ENOMEM;
	if (!nodes || !cpus || !claimed ||
	    (*nodes && hwloc_bitmap_list_sscanf(w->nodes, nodes) < 0) ||
	    (*cpus && hwloc_bitmap_list_sscanf(w->cpus, cpus) < 0))
		return sql_fail(l, SQLITE_CORRUPT, "node or CPU list");
	n = claimed_parse(claimed, &w->claimed);
	if (n < 0)
		return n == -ENOMEM ? n : sql_fail(l, SQLITE_CORRUPT, "claimed");
	w->nclaimed = (unsigned)n;
	w->moves = (unsigned)sqlite3_column_int64(st, 13);
	w->last_move = sqlite3_column_int64(st, 14);
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
	sqlite3_stmt *st = NULL;
	unsigned cap = 0;
	int r, rc;

#define LIST_COLUMNS                                                                               \
	"SELECT name, pid, start_time, nodes, cpus, claimed, vcpus, strategy, policy, created,"    \
	" cmdline, ended, end_reason,"                                                             \
	" (SELECT count(*) FROM move m WHERE m.workload = workload.id),"                           \
	" (SELECT max(time) FROM move m WHERE m.workload = workload.id) FROM workload"
	r = prepare(l,
	            (a->flags & NP_LEDGER_LIST_ALL)
	                ? LIST_COLUMNS " ORDER BY ended IS NOT NULL, created, id"
	                : LIST_COLUMNS " WHERE ended IS NULL ORDER BY created, id",
	            &st);
#undef LIST_COLUMNS
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
		r = read_workload(l, st, a->flags, &a->list[a->n - 1]);
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

struct move_arg {
	const struct np_workload *w;
	const char *reason;
};

static int do_move(np_ledger *l, void *arg)
{
	const struct move_arg *a = arg;
	const struct np_workload *w = a->w;
	char *nodes = NULL, *cpus = NULL, *claimed = NULL;
	sqlite3_stmt *st = NULL;
	struct live *row = NULL;
	int r;

	for (unsigned i = 0; i < l->nlive; i++)
		if (l->live[i].pid == w->pid && l->live[i].start_time == w->start_time)
			row = &l->live[i];
	if (!row) {
		np__set_error("no live workload with pid %d", (int)w->pid);
		return -ENOENT;
	}
	claimed = claimed_format(w->claimed, w->nclaimed, &r);
	if (!claimed)
		return r;
	nodes = set_to_list(w->nodes);
	cpus = set_to_list(w->cpus);
	if (!nodes || !cpus) {
		r = (w->nodes && hwloc_bitmap_weight(w->nodes) < 0) ||
		            (w->cpus && hwloc_bitmap_weight(w->cpus) < 0)
		        ? -EINVAL
		        : -ENOMEM;
		goto out;
	}
	r = prepare(l,
	            "INSERT INTO move (workload, time, from_nodes, to_nodes, reason)"
	            " VALUES (?1, ?2, ?3, ?4, ?5)",
	            &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, row->id);
	sqlite3_bind_int64(st, 2, now_s());
	sqlite3_bind_text(st, 3, row->nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, nodes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->reason ? a->reason : "", -1, SQLITE_STATIC);
	r = step_done(l, st, "insert move");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		goto out;
	r = prepare(l,
	            "UPDATE workload SET nodes = ?1, cpus = ?2, claimed = ?3, vcpus = ?4,"
	            " strategy = coalesce(?5, strategy), policy = coalesce(?6, policy)"
	            " WHERE id = ?7",
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
	r = step_done(l, st, "update workload");
	if (r < 0)
		goto out;
	/* later loads of this transaction see the new placement */
	free(row->nodes);
	free(row->claimed);
	row->nodes = nodes;
	row->claimed = claimed;
	row->vcpus = w->vcpus;
	nodes = claimed = NULL;
	r = 0;
out:
	sqlite3_finalize(st);
	free(nodes);
	free(cpus);
	free(claimed);
	return r;
}

int np_ledger_move(np_ledger *l, const struct np_workload *w, const char *reason)
{
	struct move_arg a = {w, reason};

	if (!l || !w || !l->in_tx || w->pid <= 0 || w->start_time > INT64_MAX ||
	    (w->nclaimed && !w->claimed))
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
	unsigned n;
};

static int do_moves(np_ledger *l, void *arg)
{
	struct moves_arg *a = arg;
	sqlite3_stmt *st = NULL;
	unsigned cap = 0;
	int r, rc;

	r = prepare(l,
	            "SELECT w.name, w.pid, m.time, m.from_nodes, m.to_nodes, m.reason"
	            " FROM move m JOIN workload w ON w.id = m.workload ORDER BY m.time, m.id",
	            &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *from = (const char *)sqlite3_column_text(st, 3);
		const char *to = (const char *)sqlite3_column_text(st, 4);
		struct np_move *m;

		if (a->n == cap) {
			struct np_move *nl;

			cap = cap ? cap * 2 : 8;
			nl = realloc(a->list, cap * sizeof(*nl));
			if (!nl) {
				r = -ENOMEM;
				goto out;
			}
			a->list = nl;
		}
		m = &a->list[a->n++];
		memset(m, 0, sizeof(*m));
		m->name = dup_col(st, 0);
		m->pid = (pid_t)sqlite3_column_int64(st, 1);
		m->time = sqlite3_column_int64(st, 2);
		m->from = hwloc_bitmap_alloc();
		m->to = hwloc_bitmap_alloc();
		m->reason = dup_col(st, 5);
		if (!m->name || !m->from || !m->to || !m->reason) {
			r = -ENOMEM;
			goto out;
		}
		if (!from || !to || (*from && hwloc_bitmap_list_sscanf(m->from, from) < 0) ||
		    (*to && hwloc_bitmap_list_sscanf(m->to, to) < 0)) {
			r = sql_fail(l, SQLITE_CORRUPT, "move node list");
			goto out;
		}
	}
	r = rc == SQLITE_DONE ? 0 : sql_fail(l, rc, "read moves");
out:
	sqlite3_finalize(st);
	return r;
}

int np_ledger_moves(np_ledger *l, struct np_move **ret_moves)
{
	struct moves_arg a = {NULL, 0};
	int r;

	if (!l || !ret_moves)
		return -EINVAL;
	r = with_tx(l, do_moves, &a);
	if (r >= 0 && a.n > INT_MAX)
		r = -ERANGE;
	if (r < 0) {
		np_moves_free(a.list, a.n);
		return r;
	}
	*ret_moves = a.list;
	return (int)a.n;
}
