/*
 * schema.c - opening the ledger's database: the schema, its versions and the migration between
 * them; the SQL helpers every file of the ledger uses; the text form of the columns.
 *
 * Why SQLite: several `numaplace run` start at once and must never both take the last free
 * room of a node. BEGIN IMMEDIATE takes the database's write lock before anything is read, so
 * "read the load, choose, insert" is serialised across processes, and a process killed in the
 * middle leaves no half-written claim (the journal rolls it back). docs/ledger.md describes
 * the schema and the transaction.
 */
#include "ledger.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* PRAGMA application_id: "NPLG", so that another program's database is never taken for ours */
#define APP_ID 0x4e504c47
#define SCHEMA_VERSION 3
#define DEFAULT_BUSY_MS 10000u
#define DEFAULT_HISTORY 1000u

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

/*
 * Version 3 adds what a workload is besides a process: its kind, and for a cgroup v2 group its
 * path and cgroup id (the directory's inode: a group removed and made again under the same
 * name is another); the CPUs granted exclusively; the nodes of its --near devices and the
 * devices as given; its flags (enum np_workload_flags). Group rows other than run --scope's
 * have no process (pid 0), so the live-pid index skips them and a live group is unique by id.
 * A version 2 row is a process with none of these: the defaults say exactly that.
 */
static const char schema_v3[] =
    "ALTER TABLE workload ADD COLUMN kind TEXT NOT NULL DEFAULT 'process';"
    "ALTER TABLE workload ADD COLUMN cgroup TEXT;"
    "ALTER TABLE workload ADD COLUMN cgroup_id INTEGER;"
    "ALTER TABLE workload ADD COLUMN exclusive TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE workload ADD COLUMN near TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE workload ADD COLUMN near_devices TEXT;"
    "ALTER TABLE workload ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX workload_live_pid;"
    "CREATE UNIQUE INDEX workload_live_pid ON workload(pid) WHERE ended IS NULL AND pid > 0;"
    "CREATE UNIQUE INDEX workload_live_cgroup ON workload(cgroup_id)"
    " WHERE ended IS NULL AND cgroup_id IS NOT NULL;";

void np_ledger_opts_init(struct np_ledger_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->busy_timeout_ms = DEFAULT_BUSY_MS;
	opts->history = DEFAULT_HISTORY;
}

int np__ledger_fail(np_ledger *l, int rc, const char *what)
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
	l->fail_rc = rc;
	np__set_error("ledger '%s': %s: %s%s%s%s", l->path, what,
	              l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc), sys > 0 ? " (" : "",
	              sys > 0 ? strerror(sys) : "", sys > 0 ? ")" : "");
	return r;
}

int np__ledger_exec(np_ledger *l, const char *sql)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : np__ledger_fail(l, rc, sql);
}

int np__ledger_prepare(np_ledger *l, const char *sql, sqlite3_stmt **ret_stmt)
{
	int rc = sqlite3_prepare_v2(l->db, sql, -1, ret_stmt, NULL);

	return rc == SQLITE_OK ? 0 : np__ledger_fail(l, rc, "np__ledger_prepare");
}

/* Run a statement that returns one row of n integers. */
static int query_ints(np_ledger *l, const char *sql, int n, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = np__ledger_prepare(l, sql, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			ret[i] = sqlite3_column_int64(st, i);
		r = 0;
	} else {
		r = np__ledger_fail(l, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, sql);
	}
	sqlite3_finalize(st);
	return r;
}

int np__ledger_rows(np_ledger *l, const char *sql, const char *what,
                    int (*row)(np_ledger *l, sqlite3_stmt *st, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = np__ledger_prepare(l, sql, &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = row(l, st, arg);
		if (r < 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : np__ledger_fail(l, rc, what);
out:
	sqlite3_finalize(st);
	return r;
}

int np__ledger_step(np_ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		return np__ledger_fail(l, rc, what);
	sqlite3_reset(st);
	return 0;
}

int64_t np__ledger_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

char *np__column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

/*
 * The claimed column: memory per node as text, "node:bytes" pairs by node id
 * ("0:1073741824,2:536870912"; "" for none).
 */
int np__claimed_parse(const char *s, struct np_node_bytes **ret_arr)
{
	struct np_node_bytes *arr = NULL;
	unsigned n = 0, cap = 0;
	const char *p = s;
	int r = -EBADMSG;

	*ret_arr = NULL;
	if (!*p)
		return 0;
	for (;;) {
		struct np_node_bytes *na;
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
		na = np__grow(arr, n, &cap, sizeof(*na), 4);
		if (!na) {
			r = -ENOMEM;
			goto out;
		}
		arr = na;
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

/* Format the claimed column; NULL on a bad list (unsorted, too large: -EINVAL) or no memory. */
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

char *np__set_text(hwloc_const_bitmap_t set)
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

int np__placement_text(const struct np_workload *w, char **ret_claimed, char **ret_nodes,
                       char **ret_cpus)
{
	char *claimed = NULL, *nodes = NULL, *cpus = NULL;
	int r;

	claimed = claimed_format(w->claimed, w->nclaimed, &r);
	if (!claimed) {
		if (r == -EINVAL)
			np__set_error("claimed memory: node ids not ascending, or too large");
		return r;
	}
	nodes = np__set_text(w->nodes);
	cpus = np__set_text(w->cpus);
	if (!nodes || !cpus) {
		r = (w->nodes && hwloc_bitmap_weight(w->nodes) < 0) ||
		            (w->cpus && hwloc_bitmap_weight(w->cpus) < 0)
		        ? -EINVAL
		        : -ENOMEM;
		free(claimed);
		free(nodes);
		free(cpus);
		return r;
	}
	*ret_claimed = claimed;
	*ret_nodes = nodes;
	*ret_cpus = cpus;
	return 0;
}

int np__set_parse(np_ledger *l, const char *text, hwloc_bitmap_t set)
{
	hwloc_bitmap_zero(set);
	if (!text)
		return np__ledger_fail(l, SQLITE_CORRUPT, "node or CPU list");
	if (*text && hwloc_bitmap_list_sscanf(set, text) < 0)
		return np__ledger_fail(l, SQLITE_CORRUPT, "node or CPU list");
	return 0;
}

int np__kind_parse(np_ledger *l, const char *text, enum np_workload_kind *ret_kind)
{
	if (np_workload_kind_parse(text, ret_kind) < 0)
		return np__ledger_fail(l, SQLITE_CORRUPT, "workload kind");
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
		r = np__ledger_exec(l, "BEGIN");
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
				r = np__ledger_fail(l, rc, "COMMIT");
		}
	}
	/* said from the code of the failure: the COMMIT or ROLLBACK since reset SQLite's message */
	if (r == -EBADMSG)
		np__set_error("'%s' is not a numaplace ledger: %s (left untouched)", l->path,
		              (l->fail_rc & 0xff) == SQLITE_NOTADB ? "not an SQLite database"
		                                                   : "a corrupt SQLite database");
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
 * Create the schema in an empty database, or migrate an older ledger step by step, inside
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
			return np__ledger_fail(l, rc, "PRAGMA journal_mode=WAL");
		usleep(1000);
	}
	r = np__ledger_exec(l, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = check_schema(l, &version);
	if (r < 0 || version == SCHEMA_VERSION)
		goto out;
	if (version == 0) {
		r = np__ledger_exec(l, schema_v1);
		if (r < 0)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", APP_ID);
		r = np__ledger_exec(l, sql);
		if (r < 0)
			goto out;
	}
	if (version < 2) {
		r = np__ledger_exec(l, schema_v2_moves);
		if (r < 0)
			goto out;
	}
	r = np__ledger_exec(l, schema_v3);
	if (r < 0)
		goto out;
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", SCHEMA_VERSION);
	r = np__ledger_exec(l, sql);
out:
	if (r < 0) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return np__ledger_exec(l, "COMMIT");
}

/* Open the database of l->path and set the connection up for the ledger. */
static int db_open(np_ledger *l, unsigned busy_timeout_ms)
{
	int persist = 1, rc;

	rc = sqlite3_open_v2(l->path, &l->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK)
		return np__ledger_fail(l, rc, "open");
	sqlite3_extended_result_codes(l->db, 1);
	/*
	 * Keep the -wal and -shm files when the last connection closes: every `run` opens and
	 * closes the ledger, and re-creating both files each time costs more than the whole
	 * transaction. The checkpoint on close still empties the WAL into the database.
	 */
	sqlite3_file_control(l->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	l->busy_ms = busy_timeout_ms > INT_MAX ? INT_MAX : busy_timeout_ms;
	sqlite3_busy_timeout(l->db, (int)l->busy_ms);
	return 0;
}

int np__ledger_open(const char *dir, const struct np_ledger_opts *opts,
                    const struct np__ledger_probe *probe, np_ledger **ret_ledger)
{
	struct np_ledger_opts o;
	np_ledger *l = NULL;
	int dirfd = -1, r;
	int version = 0;
	bool create;
	size_t len;

	np__clear_error();
	if (!dir || !*dir || !ret_ledger || !probe || !probe->liveness || !probe->resident ||
	    !probe->may_manage)
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
	len = strlen(dir) + sizeof("/" NP__LEDGER_DB);
	if (!l || !(l->path = malloc(len))) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(l->path, len, "%s/%s", dir, NP__LEDGER_DB);
	l->history = o.history;

	dirfd = np__ledger_dir_open(dir, create);
	if (dirfd < 0) {
		r = dirfd;
		goto out;
	}
	r = np__ledger_files_check(dirfd, dir, create);
	if (r < 0)
		goto out;
	r = db_open(l, o.busy_timeout_ms);
	if (r < 0)
		goto out;
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
	r = np__ledger_exec(l, "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=0");
	if (r < 0)
		goto out;
	l->probe = *probe; /* the ledger's from here on: np_ledger_close() releases it */
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
	np__live_clear(l);
	free(l->live);
	sqlite3_close_v2(l->db);
	if (l->probe.release)
		l->probe.release(l->probe.arg);
	free(l->path);
	free(l);
}
