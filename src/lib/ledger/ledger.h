/*
 * ledger.h - what the files of the claims ledger share. Private to src/lib/ledger/ (tests may
 * include it); the rest of the library sees the ledger through numaplace.h and the seam of
 * internal.h.
 *
 *   dir.c     the state directory and the database files: where the ledger lives, whose it is
 *   schema.c  opening the database: the schema, its versions and migrations, the SQL helpers
 *             and the text form of the columns
 *   claims.c  the placement transaction: live rows, pruning, the load, inserting, forgetting
 *   list.c    the workloads read back (np_ledger_list())
 *   moves.c   the moves (np_ledger_move(), np_ledger_moves())
 */
#ifndef NUMAPLACE_LEDGER_H
#define NUMAPLACE_LEDGER_H

#include "internal.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define NP__LEDGER_DB "ledger.db"

/* A live workload as np_ledger_begin() read it: what the rest of the transaction needs. */
struct np__live {
	int64_t id;
	enum np_workload_kind kind;
	pid_t pid;     /* 0 for the group kinds but SCOPE */
	uint64_t start_time;
	char *name;
	char *nodes;   /* kernel list */
	char *claimed; /* "node:bytes,..." */
	char *cgroup;  /* the group kinds: path relative to the mount (NULL for a process) */
	uint64_t cgroup_id;
	char *exclusive; /* CPUs granted exclusively, kernel list ("" none) */
	unsigned vcpus;
};

/* A group kind: identified by its cgroup, its memory read from memory.numa_stat. */
static inline bool np__kind_is_group(enum np_workload_kind kind)
{
	return kind != NP_WORKLOAD_PROCESS;
}

struct np_ledger {
	sqlite3 *db;
	char *path;                    /* of the database, for messages */
	struct np__ledger_probe probe; /* what became of the processes (owned: released at close) */
	unsigned history;
	unsigned busy_ms; /* how long to wait for another connection's lock */
	bool in_tx;
	int fail_rc;           /* SQLite's code behind the last np__ledger_fail() */
	struct np__live *live; /* live workloads of the open transaction */
	unsigned nlive, caplive;
};

/* ---- dir.c ---- */

/*
 * Open the state directory `dir` without following a symlink, creating it (0700) when
 * `create`; it must be the user's own and writable. Returns the directory fd or -errno
 * (-ELOOP, -EPERM, -EACCES, -ENOTDIR, -ENOENT...), with the error recorded.
 */
int np__ledger_dir_open(const char *dir, bool create);

/*
 * Check the database and its -wal and -shm files in the directory `dirfd` (named `dir` in
 * messages): regular files of the user's own, not symlinks. The database is created (0600)
 * when missing and `create`; -ENOENT when missing otherwise.
 */
int np__ledger_files_check(int dirfd, const char *dir, bool create);

/* ---- schema.c ---- */

/* Map an SQLite result to -errno and record what failed (`what`, SQLite's message). */
int np__ledger_fail(np_ledger *l, int rc, const char *what);
/* Run SQL without results. Returns 0 or np__ledger_fail()'s -errno. */
int np__ledger_exec(np_ledger *l, const char *sql);
int np__ledger_prepare(np_ledger *l, const char *sql, sqlite3_stmt **ret_stmt);
/*
 * Run a query and hand each of its rows to row(); stops at row()'s first -errno. Returns 0,
 * row()'s error or np__ledger_fail()'s -errno (`what` failed).
 */
int np__ledger_rows(np_ledger *l, const char *sql, const char *what,
                    int (*row)(np_ledger *l, sqlite3_stmt *st, void *arg), void *arg);
/* Step a statement expected to finish without rows, and reset it. */
int np__ledger_step(np_ledger *l, sqlite3_stmt *st, const char *what);
/* Unix time, in seconds. */
int64_t np__ledger_now(void);

/* A copy of a text column; NULL for an SQL NULL or no memory. */
char *np__column_dup(sqlite3_stmt *st, int col);

/*
 * Parse the claimed column: "node:bytes" pairs, comma-separated, node ids ascending. Returns
 * the count and *ret_arr (NULL for none), -EBADMSG or -ENOMEM.
 */
int np__claimed_parse(const char *s, struct np_node_bytes **ret_arr);
/*
 * The text columns of a workload's placement: claimed ("node:bytes,..."), nodes and cpus
 * (kernel lists, "" for none), each to free(). Returns 0; -EINVAL for claimed node ids not
 * ascending or bytes too large (recorded) or an infinite set; -ENOMEM.
 */
int np__placement_text(const struct np_workload *w, char **ret_claimed, char **ret_nodes,
                       char **ret_cpus);
/* A set as a kernel list ("" for NULL or empty; free()); NULL for no memory or an infinite set. */
char *np__set_text(hwloc_const_bitmap_t set);
/* Parse a kernel list column into `set` ("" empty); -EBADMSG (recorded) for a bad one. */
int np__set_parse(np_ledger *l, const char *text, hwloc_bitmap_t set);
/* The kind column's text; -EBADMSG (recorded) for an unknown kind. */
int np__kind_parse(np_ledger *l, const char *text, enum np_workload_kind *ret_kind);
/* Resident memory per node of a live row (its process's numa_maps, its group's numa_stat). */
int np__live_resident(np_ledger *l, enum np_workload_kind kind, pid_t pid, const char *cgroup,
                      struct np_node_bytes **ret_nodes);

/* ---- claims.c ---- */

/* The checks np_ledger_insert() and np_ledger_move() share: an open transaction, a pid, a start
 * time SQLite holds and claimed bytes when it counts some. */
bool np__workload_writable(const np_ledger *l, const struct np_workload *w);

void np__live_clear(np_ledger *l);
/* Run fn inside the open transaction, or inside one of its own (committed on success). */
int np__ledger_with_tx(np_ledger *l, int (*fn)(np_ledger *l, void *arg), void *arg);

#endif /* NUMAPLACE_LEDGER_H */
