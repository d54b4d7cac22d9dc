/*
 * crash.c - crash points for numaplace-crash, a test-only build of numaplace(1) (never
 * installed; the numaplace that is installed has no such hook).
 *
 * numaplace-crash is linked from the same objects as numaplace with -Wl,--wrap for
 * sqlite3_exec, sqlite3_step, sqlite3_close_v2 and execv: every SQL statement the library runs,
 * the close that checkpoints the WAL, and the exec of the workload pass a crash point first
 * (exec) or afterwards (the rest). Neither the library nor the CLI sources know about it.
 *
 * NUMAPLACE_TEST_CRASH_AT=N raises SIGKILL at the Nth crash point (1 = the first); a word
 * instead of a number kills at the first point whose name contains it.
 * NUMAPLACE_TEST_CRASH_LOG=FILE appends the name of every point passed, one a line.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg);
int __real_sqlite3_step(sqlite3_stmt *st);
int __real_sqlite3_close_v2(sqlite3 *db);
int __real_execv(const char *path, char *const argv[]);

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg);
int __wrap_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_close_v2(sqlite3 *db);
int __wrap_execv(const char *path, char *const argv[]);

static void crash_point(const char *kind, const char *what)
{
	static unsigned long passed;
	const char *at = secure_getenv("NUMAPLACE_TEST_CRASH_AT");
	const char *log = secure_getenv("NUMAPLACE_TEST_CRASH_LOG");
	char name[96];
	char *end;
	unsigned long n;

	/* "step:SELECT id, pid, ...": the kind and the statement's first words */
	snprintf(name, sizeof(name), "%s:%s", kind, what ? what : "");
	passed++;
	if (log) {
		FILE *f = fopen(log, "a");

		if (f) {
			fprintf(f, "%lu %s\n", passed, name);
			fclose(f);
		}
	}
	if (!at || !*at)
		return;
	n = strtoul(at, &end, 10);
	if ((*end == '\0' && n == passed) || (*end != '\0' && strstr(name, at)))
		raise(SIGKILL);
}

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg)
{
	int rc = __real_sqlite3_exec(db, sql, cb, arg, errmsg);

	crash_point("exec", sql);
	return rc;
}

int __wrap_sqlite3_step(sqlite3_stmt *st)
{
	int rc = __real_sqlite3_step(st);

	/* a SELECT is stepped once per row: each is a point */
	crash_point("step", sqlite3_sql(st));
	return rc;
}

int __wrap_sqlite3_close_v2(sqlite3 *db)
{
	int rc = __real_sqlite3_close_v2(db);

	crash_point("close", NULL);
	return rc;
}

int __wrap_execv(const char *path, char *const argv[])
{
	crash_point("execv", path);
	return __real_execv(path, argv);
}
