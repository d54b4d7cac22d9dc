/*
 * test-ledger.c - the claims ledger in a temporary state directory, with the processes it
 * tracks described by a fixture proc/ tree (or, for concurrency, the live one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static char base[PATH_MAX / 2]; /* temporary directory of the test */
static char sdir[PATH_MAX];     /* state directory below it */
static char proot[PATH_MAX];    /* fixture root holding proc/ */
static char dbpath[PATH_MAX + 16];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX * 2], *slash;
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", proot, rel);
	for (slash = strchr(path + strlen(proot) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* A fixture process: stat with `start` as field 22 and state `st`. */
static void fake_proc(pid_t pid, char st, uint64_t start, const char *numa_maps)
{
	char rel[64], text[256];

	snprintf(rel, sizeof(rel), "proc/%d/stat", (int)pid);
	snprintf(text, sizeof(text),
	         "%d (w) %c 1 %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 %llu 1000 10\n", (int)pid,
	         st, (int)pid, (int)pid, (unsigned long long)start);
	put(rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/numa_maps", (int)pid);
	put(rel, numa_maps ? numa_maps : "");
}

static void kill_proc(pid_t pid)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/proc/%d'", proot, (int)pid);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "%s/np-ledger-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base))
		return -1;
	chmod(base, 0755); /* so that "nobody" may look inside in the ownership tests */
	snprintf(sdir, sizeof(sdir), "%s/state", base);
	snprintf(proot, sizeof(proot), "%s/root", base);
	snprintf(dbpath, sizeof(dbpath), "%s/ledger.db", sdir);
	if (mkdir(proot, 0755) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static np_ledger *open_ok(void)
{
	struct np_ledger_opts o;
	np_ledger *l = NULL;

	np_ledger_opts_init(&o);
	o.proc_root = proot;
	assert_int_equal(np_ledger_open(sdir, &o, &l), 0);
	assert_non_null(l);
	return l;
}

static int open_err(const char *dir, unsigned flags)
{
	struct np_ledger_opts o;
	np_ledger *l = (np_ledger *)0x1;
	int r;

	np_ledger_opts_init(&o);
	o.proc_root = proot;
	o.flags = flags;
	r = np_ledger_open(dir, &o, &l);
	assert_ptr_equal(l, (np_ledger *)0x1); /* untouched on failure */
	assert_true(*np_last_error() != '\0');
	return r;
}

/* Two nodes, ids 0 and 2, 16 GiB each with 8 GiB free, 4 CPUs each. */
static np_host *host2(void)
{
	hwloc_bitmap_t c0 = hwloc_bitmap_alloc(), c2 = hwloc_bitmap_alloc();
	struct np_node_spec n[2] = {
	    {.id = 0, .cpus = c0, .memory_bytes = 16 * GiB, .free_bytes = 8 * GiB},
	    {.id = 2, .cpus = c2, .memory_bytes = 16 * GiB, .free_bytes = 8 * GiB},
	};
	np_host *h = NULL;

	hwloc_bitmap_set_range(c0, 0, 3);
	hwloc_bitmap_set_range(c2, 4, 7);
	assert_int_equal(np_host_build(2, n, NULL, &h), 0);
	hwloc_bitmap_free(c0);
	hwloc_bitmap_free(c2);
	return h;
}

/* Fill w as a workload of pid on `nodes` claiming claimed[i] bytes on node ids[i]. */
static void wl(struct np_workload *w, const char *name, pid_t pid, uint64_t start,
               const char *nodes, unsigned n, const unsigned *ids, const uint64_t *bytes,
               unsigned vcpus)
{
	np_workload_init(w);
	w->name = name ? strdup(name) : NULL;
	w->pid = pid;
	w->start_time = start;
	w->nodes = hwloc_bitmap_alloc();
	assert_int_equal(hwloc_bitmap_list_sscanf(w->nodes, nodes), 0);
	w->cpus = hwloc_bitmap_alloc();
	hwloc_bitmap_set_range(w->cpus, 0, 3);
	w->nclaimed = n;
	w->claimed = calloc(n ? n : 1, sizeof(*w->claimed));
	for (unsigned i = 0; i < n; i++) {
		w->claimed[i].node = ids[i];
		w->claimed[i].bytes = bytes[i];
	}
	w->vcpus = vcpus;
	w->strategy = strdup("compact");
	w->policy = strdup("preferred");
	w->cmdline = strdup("/usr/bin/sleep 100");
}

static int insert(np_ledger *l, const char *name, pid_t pid, uint64_t start, const char *nodes,
                  unsigned n, const unsigned *ids, const uint64_t *bytes, unsigned vcpus,
                  char **ret_name)
{
	struct np_workload w;
	int r;

	wl(&w, name, pid, start, nodes, n, ids, bytes, vcpus);
	r = np_ledger_insert(l, &w, ret_name);
	np_workload_release(&w);
	return r;
}

static void test_create_and_schema(void **state)
{
	struct stat st;
	sqlite3 *db;
	sqlite3_stmt *s;
	np_ledger *l;

	(void)state;
	assert_int_equal(open_err(sdir, NP_LEDGER_NO_CREATE), -ENOENT);
	assert_int_equal(lstat(sdir, &st), -1);

	l = open_ok();
	assert_int_equal(lstat(sdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(dbpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	np_ledger_close(l);

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);

	/* reopened as it is */
	np_ledger_close(open_ok());
}

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	*ret_len = n;
	return buf;
}

static void set_pragma(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_unknown_version(void **state)
{
	size_t n1, n2;
	char *before, *after;

	(void)state;
	np_ledger_close(open_ok());
	set_pragma("PRAGMA user_version=4");
	before = slurp(dbpath, &n1);
	assert_int_equal(open_err(sdir, 0), -EPROTO);
	assert_non_null(strstr(np_last_error(), "schema version 4"));
	after = slurp(dbpath, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);

	/* another program's database: never turned into a ledger */
	unlink(dbpath);
	set_pragma("CREATE TABLE t (x)");
	assert_int_equal(open_err(sdir, 0), -EPROTO);
	set_pragma("PRAGMA application_id=42");
	assert_int_equal(open_err(sdir, 0), -EPROTO);
}

static int64_t query_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/*
 * A ledger as versions 1 and 2 wrote it: their tables, word for word, and rows in them (a live
 * workload with a move in version 2, one pruned). The file is created where open_ok() looks.
 */
static void old_ledger(int version)
{
	static const char v1[] =
	    "CREATE TABLE workload (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	    " pid INTEGER NOT NULL, start_time INTEGER NOT NULL, nodes TEXT NOT NULL,"
	    " cpus TEXT NOT NULL, claimed TEXT NOT NULL, vcpus INTEGER NOT NULL,"
	    " strategy TEXT NOT NULL, policy TEXT NOT NULL, created INTEGER NOT NULL,"
	    " cmdline TEXT NOT NULL, ended INTEGER, end_reason TEXT);"
	    "CREATE UNIQUE INDEX workload_live_name ON workload(name) WHERE ended IS NULL;"
	    "CREATE UNIQUE INDEX workload_live_pid ON workload(pid) WHERE ended IS NULL;"
	    "INSERT INTO workload VALUES (1, 'old', 4100, 77, '0', '0-3', '0:1073741824', 2,"
	    " 'compact', 'preferred', 1700000000, 'sleep 600', NULL, NULL);"
	    "INSERT INTO workload VALUES (2, 'gone', 4101, 78, '2', '4-7', '2:536870912', 1,"
	    " 'xen', 'bind', 1700000001, 'sleep 1', 1700000100, 'exited');"
	    "PRAGMA application_id=1313885255;";
	static const char v2[] =
	    "CREATE TABLE move (id INTEGER PRIMARY KEY, workload INTEGER NOT NULL,"
	    " time INTEGER NOT NULL, from_nodes TEXT NOT NULL, to_nodes TEXT NOT NULL,"
	    " reason TEXT NOT NULL);"
	    "CREATE INDEX move_workload ON move(workload);"
	    "INSERT INTO move VALUES (1, 1, 1700000050, '2', '0', 'daemon: memory spilled');";
	char sql[64];

	mkdir(sdir, 0700);
	set_pragma(v1);
	if (version >= 2)
		set_pragma(v2);
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", version);
	set_pragma(sql);
	chmod(dbpath, 0600);
}

/*
 * Versions 1 and 2 are migrated at open, in place: every claim stays as it was (live and
 * history, their moves), and what version 3 adds says "a process, shared CPUs, no devices".
 */
static void migrate_from(int version)
{
	static const unsigned ids[] = {2};
	static const uint64_t bytes[] = {GiB};
	struct np_workload *list = NULL;
	struct np_move *moves = NULL;
	np_ledger *l;
	int n;

	fake_proc(4100, 'S', 77, NULL);
	fake_proc(4102, 'S', 79, NULL);
	old_ledger(version);
	l = open_ok();
	assert_int_equal(query_int("PRAGMA user_version"), 3);
	assert_int_equal(query_int("SELECT count(*) FROM sqlite_master WHERE name = 'move'"), 1);
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL | NP_LEDGER_LIST_RESIDENT, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "old");
	assert_int_equal(list[0].pid, 4100);
	assert_int_equal(list[0].start_time, 77);
	assert_int_equal(list[0].kind, NP_WORKLOAD_PROCESS);
	assert_null(list[0].cgroup);
	assert_int_equal(list[0].cgroup_id, 0);
	assert_true(hwloc_bitmap_iszero(list[0].exclusive));
	assert_true(hwloc_bitmap_iszero(list[0].near));
	assert_null(list[0].near_devices);
	assert_int_equal(list[0].flags, 0);
	assert_int_equal(hwloc_bitmap_first(list[0].nodes), 0);
	assert_int_equal(hwloc_bitmap_last(list[0].cpus), 3);
	assert_int_equal(list[0].nclaimed, 1);
	assert_true(list[0].claimed[0].bytes == GiB);
	assert_int_equal(list[0].vcpus, 2);
	assert_string_equal(list[0].strategy, "compact");
	assert_string_equal(list[0].policy, "preferred");
	assert_int_equal(list[0].created, 1700000000);
	assert_string_equal(list[0].cmdline, "sleep 600");
	assert_int_equal(list[0].moves, version >= 2 ? 1 : 0);
	assert_string_equal(list[1].name, "gone");
	assert_string_equal(list[1].end_reason, "exited");
	assert_string_equal(list[1].strategy, "xen");
	np_workloads_free(list, (unsigned)n);
	n = np_ledger_moves(l, &moves);
	assert_int_equal(n, version >= 2 ? 1 : 0);
	if (n == 1)
		assert_string_equal(moves[0].reason, "daemon: memory spilled");
	np_moves_free(moves, (unsigned)n);

	/* and it takes new claims as version 3 does */
	assert_true(np_ledger_begin(l) >= 0);
	assert_int_equal(insert(l, "new", 4102, 79, "2", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(np_ledger_commit(l), 0);
	np_ledger_close(l);
	l = open_ok();
	n = np_ledger_list(l, 0, &list);
	assert_int_equal(n, 2);
	np_workloads_free(list, (unsigned)n);
	np_ledger_close(l);
	kill_proc(4100);
	kill_proc(4102);
}

static void test_migrate_v1(void **state)
{
	(void)state;
	migrate_from(1);
}

static void test_migrate_v2(void **state)
{
	(void)state;
	migrate_from(2);
}

static void test_move(void **state)
{
	static const unsigned ids[] = {0}, ids2[] = {2};
	static const uint64_t bytes[] = {GiB}, bytes2[] = {2 * GiB};
	struct np_workload *list = NULL, w;
	struct np_move *moves = NULL;
	np_host *h = host2();
	np_load *load = NULL;
	np_ledger *l;
	int n;

	(void)state;
	fake_proc(4200, 'S', 50, NULL);
	fake_proc(4201, 'S', 51, NULL);
	l = open_ok();
	assert_true(np_ledger_begin(l) >= 0);
	assert_int_equal(insert(l, "mover", 4200, 50, "0", 1, ids, bytes, 2, NULL), 0);
	assert_int_equal(insert(l, "stayer", 4201, 51, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(np_ledger_commit(l), 0);

	/* no open transaction; a pid whose start time differs; a pid not in the ledger */
	wl(&w, NULL, 4200, 50, "2", 1, ids2, bytes2, 4);
	assert_int_equal(np_ledger_move(l, &w, "spilled"), -EINVAL);
	assert_true(np_ledger_begin(l) >= 0);
	w.start_time = 49;
	assert_int_equal(np_ledger_move(l, &w, "spilled"), -ENOENT);
	w.pid = 4300;
	w.start_time = 50;
	assert_int_equal(np_ledger_move(l, &w, "spilled"), -ENOENT);
	w.pid = 4200;
	free(w.strategy);
	w.strategy = NULL; /* kept as recorded */
	assert_int_equal(np_ledger_move(l, &w, "memory spilled: 40% off node 0"), 0);
	/* the same transaction's load sees the new claim: 2 GiB and 4 vCPUs on node 2 */
	assert_int_equal(np_ledger_load(l, h, &load), 0);
	assert_true(np_load_free_bytes(load, 0) == 7 * GiB);
	assert_true(np_load_free_bytes(load, 1) == 6 * GiB);
	assert_int_equal(np_load_vcpus(load, 1), 4);
	assert_int_equal(np_load_vcpus(load, 0), 1);
	np_load_free(load);
	assert_int_equal(np_ledger_commit(l), 0);
	np_workload_release(&w);

	n = np_ledger_list(l, 0, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "mover");
	assert_int_equal(list[0].moves, 1);
	assert_true(list[0].last_move > 0);
	assert_int_equal(hwloc_bitmap_first(list[0].nodes), 2);
	assert_int_equal(list[0].claimed[0].node, 2);
	assert_true(list[0].claimed[0].bytes == 2 * GiB);
	assert_int_equal(list[0].vcpus, 4);
	assert_string_equal(list[0].strategy, "compact");
	assert_int_equal(list[1].moves, 0);
	np_workloads_free(list, (unsigned)n);

	n = np_ledger_moves(l, &moves);
	assert_int_equal(n, 1);
	assert_string_equal(moves[0].name, "mover");
	assert_int_equal(moves[0].pid, 4200);
	assert_int_equal(hwloc_bitmap_first(moves[0].from), 0);
	assert_int_equal(hwloc_bitmap_first(moves[0].to), 2);
	assert_string_equal(moves[0].reason, "memory spilled: 40% off node 0");
	np_moves_free(moves, (unsigned)n);

	/* a deleted workload takes its moves along */
	assert_int_equal(np_ledger_delete(l, 4200, 50), 1);
	assert_int_equal(np_ledger_moves(l, &moves), 0);
	np_moves_free(moves, 0);
	assert_int_equal(query_int("SELECT count(*) FROM move"), 0);
	np_ledger_close(l);
	np_host_free(h);
	kill_proc(4200);
	kill_proc(4201);
}

static void test_corrupt_db(void **state)
{
	char garbage[8192], *after, path[PATH_MAX + 32];
	struct stat st;
	size_t n;
	int fd;

	(void)state;
	assert_int_equal(mkdir(sdir, 0700), 0);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)("not a database "[i % 15] ^ (i / 15));
	fd = open(dbpath, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, garbage, sizeof(garbage)), (ssize_t)sizeof(garbage));
	close(fd);
	assert_int_equal(open_err(sdir, 0), -EBADMSG);
	assert_non_null(strstr(np_last_error(), "untouched"));
	/* what is wrong with the file, not SQLite's "not an error" of the rollback since */
	assert_non_null(
	    strstr(np_last_error(),
	           "is not a numaplace ledger: not an SQLite database (left untouched)"));
	assert_null(strstr(np_last_error(), "not an error"));
	after = slurp(dbpath, &n);
	assert_int_equal(n, sizeof(garbage));
	assert_memory_equal(after, garbage, n);
	free(after);
	snprintf(path, sizeof(path), "%s-wal", dbpath);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s-journal", dbpath);
	assert_int_equal(stat(path, &st), -1);
}

/* An SQLite database whose first page (the schema's) is damaged: corrupt, not another format. */
static void test_corrupt_sqlite(void **state)
{
	char *before, *after;
	size_t n, m;
	sqlite3 *db;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir(sdir, 0700), 0);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(chmod(dbpath, 0600), 0);
	/* the b-tree page header of page 1, right after the 100-byte file header */
	f = fopen(dbpath, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 100, SEEK_SET), 0);
	assert_int_equal(fwrite("\xff\xff\xff\xff\xff\xff\xff\xff", 1, 8, f), 8);
	fclose(f);
	before = slurp(dbpath, &n);
	assert_int_equal(open_err(sdir, 0), -EBADMSG);
	assert_non_null(
	    strstr(np_last_error(),
	           "is not a numaplace ledger: a corrupt SQLite database (left untouched)"));
	after = slurp(dbpath, &m);
	assert_int_equal(m, n);
	assert_memory_equal(after, before, n);
	free(before);
	free(after);
}

static void test_permissions(void **state)
{
	char link[PATH_MAX + 16], file[PATH_MAX + 16];
	struct passwd *nobody = getpwnam("nobody");
	int fd;

	(void)state;
	/* group- or world-writable directory */
	assert_int_equal(mkdir(sdir, 0700), 0);
	assert_int_equal(chmod(sdir, 0770), 0);
	assert_int_equal(open_err(sdir, 0), -EACCES);
	assert_non_null(strstr(np_last_error(), "writable by group or others"));
	assert_int_equal(chmod(sdir, 0702), 0);
	assert_int_equal(open_err(sdir, 0), -EACCES);
	assert_int_equal(chmod(sdir, 0700), 0);

	/* a symlink to a good directory is still refused */
	snprintf(link, sizeof(link), "%s/link", base);
	assert_int_equal(symlink(sdir, link), 0);
	assert_int_equal(open_err(link, 0), -ELOOP);

	/* not a directory */
	snprintf(file, sizeof(file), "%s/file", base);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(open_err(file, 0), -ENOTDIR);

	/* database files: symlink, not regular, group-writable */
	np_ledger_close(open_ok());
	assert_int_equal(chmod(dbpath, 0620), 0);
	assert_int_equal(open_err(sdir, 0), -EACCES);
	assert_int_equal(chmod(dbpath, 0600), 0);
	assert_int_equal(rename(dbpath, file), 0);
	assert_int_equal(symlink(file, dbpath), 0);
	assert_int_equal(open_err(sdir, 0), -ELOOP);
	unlink(dbpath);
	assert_int_equal(mkdir(dbpath, 0700), 0);
	assert_int_equal(open_err(sdir, 0), -EINVAL);
	rmdir(dbpath);
	assert_int_equal(rename(file, dbpath), 0);
	np_ledger_close(open_ok());

	/* owned by another user */
	if (geteuid() != 0) {
		/* "/" belongs to root, and is not writable by others */
		assert_int_equal(open_err("/", 0), -EPERM);
		return;
	}
	assert_non_null(nobody);
	assert_int_equal(chown(dbpath, nobody->pw_uid, nobody->pw_gid), 0);
	assert_int_equal(open_err(sdir, 0), -EPERM);
	assert_non_null(strstr(np_last_error(), "owned by uid"));
	assert_int_equal(chown(dbpath, 0, 0), 0);
	assert_int_equal(chown(sdir, nobody->pw_uid, nobody->pw_gid), 0);
	assert_int_equal(open_err(sdir, 0), -EPERM);
	assert_int_equal(chown(sdir, 0, 0), 0);
	np_ledger_close(open_ok());
}

/* proc/PID/status of a fixture process owned by uid */
static void fake_owner(pid_t pid, unsigned uid)
{
	char rel[64], text[128];

	snprintf(rel, sizeof(rel), "proc/%d/status", (int)pid);
	snprintf(text, sizeof(text),
	         "Name:\tw\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t%u\t%u\t%u\t%u\n", uid, uid,
	         uid, uid);
	put(rel, text);
}

/* As nobody, in nobody's own ledger: forget root's workload (refused) and its own. */
static int forget_as_nobody(uid_t uid, gid_t gid)
{
	np_ledger *l = NULL;
	struct np_ledger_opts o;
	int r;

	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return 1;
	np_ledger_opts_init(&o);
	o.proc_root = proot;
	if (np_ledger_open(sdir, &o, &l) < 0 || np_ledger_begin(l) < 0)
		return 2;
	if (insert(l, "roots", 3000, 500, "0", 0, NULL, NULL, 1, NULL) < 0 ||
	    insert(l, "mine", 3001, 600, "0", 0, NULL, NULL, 1, NULL) < 0 ||
	    np_ledger_commit(l) < 0)
		return 3;
	r = np_ledger_forget(l, "roots", 0);
	if (r != -EPERM || !strstr(np_last_error(), "belongs to uid 0: only root"))
		return 4;
	if (np_ledger_forget(l, NULL, 3000) != -EPERM)
		return 5;
	if (np_ledger_forget(l, "mine", 0) != 0)
		return 6;
	np_ledger_close(l);
	return 0;
}

static void test_forget_foreign(void **state)
{
	struct passwd *nobody = getpwnam("nobody");
	np_ledger *l;
	pid_t child;
	int status;

	(void)state;
	if (geteuid() != 0) {
		/* the caller's own workloads only: a status owned by root is refused */
		fake_proc(3000, 'S', 500, NULL);
		fake_owner(3000, 0);
		l = open_ok();
		assert_int_equal(np_ledger_begin(l), 0);
		assert_int_equal(insert(l, "roots", 3000, 500, "0", 0, NULL, NULL, 1, NULL), 0);
		assert_int_equal(np_ledger_commit(l), 0);
		assert_int_equal(np_ledger_forget(l, "roots", 0), -EPERM);
		np_ledger_close(l);
		return;
	}
	assert_non_null(nobody);
	fake_proc(3000, 'S', 500, NULL);
	fake_owner(3000, 0);
	fake_proc(3001, 'S', 600, NULL);
	fake_owner(3001, (unsigned)nobody->pw_uid);
	assert_int_equal(mkdir(sdir, 0700), 0);
	assert_int_equal(chown(sdir, nobody->pw_uid, nobody->pw_gid), 0);
	child = fork();
	if (child == 0)
		_exit(forget_as_nobody(nobody->pw_uid, nobody->pw_gid));
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* root may forget anyone's: in root's own ledger, nobody's workload */
	snprintf(sdir, sizeof(sdir), "%s/root-state", base);
	snprintf(dbpath, sizeof(dbpath), "%s/ledger.db", sdir);
	l = open_ok();
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "nobodys", 3001, 600, "0", 0, NULL, NULL, 1, NULL), 0);
	assert_int_equal(np_ledger_commit(l), 0);
	assert_int_equal(np_ledger_forget(l, "nobodys", 0), 0);
	np_ledger_close(l);
}

static void test_insert_list_forget(void **state)
{
	static const unsigned ids[] = {0, 2};
	static const uint64_t bytes[] = {GiB, 512 * MiB};
	struct np_workload *list = NULL;
	np_ledger *l;
	char *name = NULL;
	int n;

	(void)state;
	fake_proc(1000, 'S', 500, NULL);
	fake_proc(1001, 'S', 600, NULL);
	fake_proc(1002, 'S', 700, NULL);
	l = open_ok();

	/* no transaction: refused */
	assert_int_equal(insert(l, NULL, 1000, 500, "0", 1, ids, bytes, 2, NULL), -EINVAL);
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(np_ledger_begin(l), -EALREADY);
	assert_int_equal(insert(l, NULL, 1000, 500, "0,2", 2, ids, bytes, 2, &name), 0);
	assert_string_equal(name, "sleep-1000");
	free(name);
	assert_int_equal(insert(l, "web", 1001, 600, "2", 1, ids + 1, bytes + 1, 1, NULL), 0);
	assert_int_equal(insert(l, "web", 1002, 700, "2", 1, ids + 1, bytes + 1, 1, NULL), -EEXIST);
	assert_int_equal(insert(l, "1234", 1002, 700, "2", 1, ids, bytes, 1, NULL), -EINVAL);
	assert_int_equal(insert(l, "a b", 1002, 700, "2", 1, ids, bytes, 1, NULL), -EINVAL);
	assert_int_equal(insert(l, "", 1002, 700, "2", 1, ids, bytes, 1, NULL), -EINVAL);
	assert_int_equal(np_ledger_commit(l), 0);
	assert_int_equal(np_ledger_commit(l), -EINVAL);

	/* a rolled-back insert leaves nothing */
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "gone", 1002, 700, "0", 1, ids, bytes, 1, NULL), 0);
	np_ledger_rollback(l);

	n = np_ledger_list(l, 0, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "sleep-1000");
	assert_int_equal(list[0].pid, 1000);
	assert_int_equal(list[0].start_time, 500);
	assert_int_equal(hwloc_bitmap_first(list[0].nodes), 0);
	assert_int_equal(hwloc_bitmap_next(list[0].nodes, 0), 2);
	assert_int_equal(hwloc_bitmap_weight(list[0].cpus), 4);
	assert_int_equal(list[0].nclaimed, 2);
	assert_int_equal(list[0].claimed[0].node, 0);
	assert_int_equal(list[0].claimed[0].bytes, GiB);
	assert_int_equal(list[0].claimed[1].node, 2);
	assert_int_equal(list[0].claimed[1].bytes, 512 * MiB);
	assert_int_equal(list[0].vcpus, 2);
	assert_string_equal(list[0].strategy, "compact");
	assert_string_equal(list[0].policy, "preferred");
	assert_string_equal(list[0].cmdline, "/usr/bin/sleep 100");
	assert_true(list[0].created > 1600000000);
	assert_int_equal(list[0].ended, 0);
	assert_null(list[0].end_reason);
	assert_string_equal(list[1].name, "web");
	np_workloads_free(list, (unsigned)n);

	/* the same name again once "web" is forgotten; forget by pid */
	assert_int_equal(np_ledger_forget(l, "web", 0), 0);
	assert_int_equal(np_ledger_forget(l, "web", 0), -ENOENT);
	assert_int_equal(np_ledger_forget(l, NULL, 4321), -ENOENT);
	assert_int_equal(np_ledger_forget(l, NULL, 1000), 0);
	assert_int_equal(np_ledger_list(l, 0, &list), 0);
	np_workloads_free(list, 0);
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].end_reason, "forgotten");
	assert_true(list[0].ended > 0);
	assert_string_equal(list[1].end_reason, "forgotten");
	np_workloads_free(list, (unsigned)n);

	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "web", 1002, 700, "2", 1, ids + 1, bytes + 1, 1, NULL), 0);
	/* the same pid placed again replaces its row */
	assert_int_equal(insert(l, "web2", 1002, 700, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(np_ledger_commit(l), 0);
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &list);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].name, "web2");
	assert_null(list[0].end_reason);
	assert_string_equal(list[3].name, "web");
	assert_string_equal(list[3].end_reason, "replaced");
	np_workloads_free(list, (unsigned)n);

	/* a claim whose command could not run: gone without history */
	assert_int_equal(np_ledger_delete(l, 1002, 699), 0);
	assert_int_equal(np_ledger_delete(l, 1002, 700), 1);
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &list);
	assert_int_equal(n, 3);
	np_workloads_free(list, (unsigned)n);
	np_ledger_close(l);
}

static void test_generated_names(void **state)
{
	static const unsigned ids[] = {0};
	static const uint64_t bytes[] = {MiB};
	struct np_workload w;
	np_ledger *l;
	char *name = NULL;

	(void)state;
	fake_proc(1000, 'S', 500, NULL);
	fake_proc(1001, 'S', 600, NULL);
	l = open_ok();
	assert_int_equal(np_ledger_begin(l), 0);
	/* a user took the name the generator would give */
	assert_int_equal(insert(l, "sleep-1001", 1000, 500, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(insert(l, NULL, 1001, 600, "0", 1, ids, bytes, 1, &name), 0);
	assert_string_equal(name, "sleep-1001-2");
	free(name);
	np_ledger_rollback(l);

	assert_int_equal(np_ledger_begin(l), 0);
	wl(&w, NULL, 1000, 500, "0", 1, ids, bytes, 1);
	free(w.cmdline);
	w.cmdline = strdup("'/opt/my app/r un' --x");
	assert_int_equal(np_ledger_insert(l, &w, &name), 0);
	assert_string_equal(name, "my-1000");
	free(name);
	free(w.cmdline);
	w.cmdline = NULL;
	w.pid = 1001;
	w.start_time = 600;
	assert_int_equal(np_ledger_insert(l, &w, &name), 0);
	assert_string_equal(name, "workload-1001");
	free(name);
	np_workload_release(&w);
	np_ledger_rollback(l);
	np_ledger_close(l);
}

static void test_prune(void **state)
{
	static const unsigned ids[] = {0};
	static const uint64_t bytes[] = {GiB};
	struct np_workload *list = NULL;
	np_ledger *l;
	int n;

	(void)state;
	fake_proc(1000, 'S', 500, NULL);
	fake_proc(1001, 'S', 600, NULL);
	fake_proc(1002, 'S', 700, NULL);
	fake_proc(1003, 'S', 800, NULL);
	l = open_ok();
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "a", 1000, 500, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(insert(l, "b", 1001, 600, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(insert(l, "c", 1002, 700, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(insert(l, "d", 1003, 800, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(np_ledger_commit(l), 0);

	kill_proc(1000);                 /* gone */
	fake_proc(1001, 'S', 601, NULL); /* pid reused by another program */
	fake_proc(1002, 'Z', 700, NULL); /* exited, not yet reaped */
	assert_int_equal(np_ledger_begin(l), 3);
	np_ledger_rollback(l); /* the prune is part of the transaction */
	assert_int_equal(np_ledger_begin(l), 3);
	assert_int_equal(np_ledger_commit(l), 0);
	assert_int_equal(np_ledger_begin(l), 0);
	np_ledger_rollback(l);

	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &list);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].name, "d");
	assert_null(list[0].end_reason);
	assert_string_equal(list[1].name, "a");
	assert_string_equal(list[1].end_reason, "exited");
	assert_string_equal(list[2].name, "b");
	assert_string_equal(list[2].end_reason, "pid reused");
	assert_string_equal(list[3].name, "c");
	assert_string_equal(list[3].end_reason, "exited");
	/* history keeps what was claimed */
	assert_int_equal(list[1].nclaimed, 1);
	assert_int_equal(list[1].claimed[0].bytes, GiB);
	np_workloads_free(list, (unsigned)n);

	/* a pruned name is free again */
	assert_int_equal(np_ledger_begin(l), 0);
	fake_proc(1001, 'S', 601, NULL);
	assert_int_equal(insert(l, "b", 1001, 601, "0", 1, ids, bytes, 1, NULL), 0);
	assert_int_equal(np_ledger_commit(l), 0);
	np_ledger_close(l);
}

static void test_history_limit(void **state)
{
	static const unsigned ids[] = {0};
	static const uint64_t bytes[] = {GiB};
	struct np_ledger_opts o;
	struct np_workload *list = NULL;
	np_ledger *l = NULL;
	int n;

	(void)state;
	np_ledger_opts_init(&o);
	o.proc_root = proot;
	o.history = 2;
	assert_int_equal(np_ledger_open(sdir, &o, &l), 0);
	for (pid_t p = 2000; p < 2005; p++) {
		fake_proc(p, 'S', 5, NULL);
		assert_int_equal(np_ledger_begin(l), p == 2000 ? 0 : 1);
		assert_int_equal(insert(l, NULL, p, 5, "0", 1, ids, bytes, 1, NULL), 0);
		assert_int_equal(np_ledger_commit(l), 0);
		kill_proc(p);
	}
	n = np_ledger_list(l, NP_LEDGER_LIST_ALL, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "sleep-2003");
	assert_string_equal(list[1].name, "sleep-2004");
	np_workloads_free(list, (unsigned)n);
	np_ledger_close(l);
}

/*
 * Outstanding claims: node 0 and 2 have 8 GiB free each.
 * a (vCPUs 4 on 0,2) claims 3 GiB on 0 and 1 GiB on 2; it has 512 MiB of 4 KiB pages and
 * 512 MiB of 2 MiB huge pages on node 0 (1 GiB) and 2 GiB on node 2 (more than it claimed):
 * it still owes 2 GiB on node 0 and nothing on node 2.
 * b (2 vCPUs on 0) claims 1 GiB on node 0 and has touched nothing: owes 1 GiB.
 * Free: node 0 = 8 - 2 - 1 = 5 GiB; node 2 = 8 GiB. vCPUs: node 0 = 6, node 2 = 4.
 */
static void test_load_outstanding(void **state)
{
	static const unsigned ids_a[] = {0, 2}, ids_b[] = {0};
	static const uint64_t bytes_a[] = {3 * GiB, GiB}, bytes_b[] = {GiB};
	np_host *h = host2();
	np_load *load = NULL;
	np_ledger *l;

	(void)state;
	fake_proc(1000, 'S', 500,
	          "7f0000000000 default anon=131072 N0=131072 kernelpagesize_kB=4\n"
	          "7f2000000000 default file=/dev/hugepages/a huge N0=256 kernelpagesize_kB=2048\n"
	          "7f4000000000 default anon=524288 N2=524288 kernelpagesize_kB=4\n"
	          "7ffd00000000 default stack\n");
	fake_proc(1001, 'S', 600, NULL);
	l = open_ok();
	assert_int_equal(np_ledger_load(l, h, &load), -EINVAL); /* needs a transaction */
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(insert(l, "a", 1000, 500, "0,2", 2, ids_a, bytes_a, 4, NULL), 0);
	assert_int_equal(insert(l, "b", 1001, 600, "0", 1, ids_b, bytes_b, 2, NULL), 0);
	assert_int_equal(np_ledger_load(l, h, &load), 0);
	assert_true(np_load_free_bytes(load, 0) == 5 * GiB);
	assert_true(np_load_free_bytes(load, 1) == 8 * GiB);
	assert_int_equal(np_load_vcpus(load, 0), 6);
	assert_int_equal(np_load_vcpus(load, 1), 4);
	np_load_free(load);
	assert_int_equal(np_ledger_commit(l), 0);

	/* b touches 768 MiB on node 2 (not on its node): still owes its whole 1 GiB on node 0 */
	fake_proc(1001, 'S', 600, "7f00 default N2=196608 kernelpagesize_kB=4\n");
	/* a claims more than node 2 has free: never below 0 */
	fake_proc(1002, 'S', 700, NULL);
	assert_int_equal(np_ledger_begin(l), 0);
	assert_int_equal(
	    insert(l, "c", 1002, 700, "2", 1, ids_a + 1, (uint64_t[]){20 * GiB}, 1, NULL), 0);
	assert_int_equal(np_ledger_load(l, h, &load), 0);
	assert_true(np_load_free_bytes(load, 0) == 5 * GiB);
	assert_true(np_load_free_bytes(load, 1) == 0);
	assert_int_equal(np_load_vcpus(load, 1), 5);
	np_load_free(load);
	np_ledger_rollback(l);

	/* a process gone since the prune owes nothing; resident lists come from numa_maps */
	assert_int_equal(np_ledger_begin(l), 0);
	kill_proc(1001);
	assert_int_equal(np_ledger_load(l, h, &load), 0);
	assert_true(np_load_free_bytes(load, 0) == 6 * GiB);
	np_load_free(load);
	np_ledger_rollback(l);
	{
		struct np_workload *list = NULL;
		int n = np_ledger_list(l, NP_LEDGER_LIST_RESIDENT, &list);

		assert_int_equal(n, 1); /* b pruned */
		assert_string_equal(list[0].name, "a");
		assert_int_equal(list[0].nresident, 2);
		assert_int_equal(list[0].resident[0].node, 0);
		assert_true(list[0].resident[0].bytes == GiB);
		assert_int_equal(list[0].resident[1].node, 2);
		assert_true(list[0].resident[1].bytes == 2 * GiB);
		np_workloads_free(list, (unsigned)n);
	}
	np_ledger_close(l);
	np_host_free(h);
}

/*
 * Concurrency: 16 processes each claim 1 GiB on a node with 5 GiB free (node id 7, which no
 * live process has pages on, so the arithmetic is exact). Each stays alive until all have
 * tried; exactly 5 must have inserted.
 */
#define NCHILD 16

static int child_claim(int result_fd, int release_fd)
{
	hwloc_bitmap_t c = hwloc_bitmap_alloc(), nodes = hwloc_bitmap_alloc();
	struct np_node_spec spec = {
	    .id = 7, .cpus = c, .memory_bytes = 8 * GiB, .free_bytes = 5 * GiB};
	struct np__proc_stat ps;
	struct np_workload w;
	np_ledger *l = NULL;
	np_load *load = NULL;
	np_host *h = NULL;
	char verdict = 'E', dummy;
	int fd;

	hwloc_bitmap_set(c, 0);
	hwloc_bitmap_set(nodes, 7);
	fd = np__proc_root_open(NULL);
	if (np_host_build(1, &spec, NULL, &h) < 0 || fd < 0 ||
	    np__proc_stat(fd, getpid(), &ps) < 0 || np_ledger_open(sdir, NULL, &l) < 0 ||
	    np_ledger_begin(l) < 0 || np_ledger_load(l, h, &load) < 0)
		goto report;
	verdict = 'N';
	if (np_load_free_bytes(load, 0) >= GiB) {
		np_workload_init(&w);
		w.pid = getpid();
		w.start_time = ps.start_time;
		w.nodes = nodes;
		w.nclaimed = 1;
		w.claimed = &(struct np_node_bytes){.node = 7, .bytes = GiB};
		w.vcpus = 1;
		w.cmdline = "child";
		verdict = np_ledger_insert(l, &w, NULL) == 0 ? 'Y' : 'E';
	}
	if (np_ledger_commit(l) < 0)
		verdict = 'E';
report:
	np_load_free(load);
	np_ledger_close(l);
	np_host_free(h);
	hwloc_bitmap_free(c);
	hwloc_bitmap_free(nodes);
	if (write(result_fd, &verdict, 1) != 1)
		return 1;
	/* stay alive, holding the claim, until the parent has counted */
	while (read(release_fd, &dummy, 1) > 0)
		;
	return 0;
}

static void test_concurrent_claims(void **state)
{
	int res[2], rel[2], yes = 0, no = 0, n;
	struct np_workload *list = NULL;
	pid_t kids[NCHILD];
	np_ledger *l;

	(void)state;
	np_ledger_close(open_ok()); /* the children open the live proc root */
	assert_int_equal(pipe(res), 0);
	assert_int_equal(pipe(rel), 0);
	for (int i = 0; i < NCHILD; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			close(res[0]);
			close(rel[1]);
			_exit(child_claim(res[1], rel[0]));
		}
	}
	close(res[1]);
	close(rel[0]);
	for (int i = 0; i < NCHILD; i++) {
		char v = 0;

		assert_int_equal(read(res[0], &v, 1), 1);
		if (v == 'Y')
			yes++;
		else if (v == 'N')
			no++;
	}
	assert_int_equal(yes, 5);
	assert_int_equal(no, NCHILD - 5);
	{
		struct np_ledger_opts o;

		np_ledger_opts_init(&o);
		assert_int_equal(np_ledger_open(sdir, &o, &l), 0);
	}
	n = np_ledger_list(l, 0, &list);
	assert_int_equal(n, 5);
	np_workloads_free(list, (unsigned)n);
	close(rel[1]);
	for (int i = 0; i < NCHILD; i++) {
		int status;

		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* no claim outlives its process */
	assert_int_equal(np_ledger_begin(l), 5);
	assert_int_equal(np_ledger_commit(l), 0);
	assert_int_equal(np_ledger_list(l, 0, &list), 0);
	np_ledger_close(l);
	close(res[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_db, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_sqlite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_list_forget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forget_foreign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generated_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_outstanding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_claims, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
