/*
 * daemon.h - the options of `numaplace daemon`, parsed in cmd-daemon-opts.c apart from the
 * command's loop in cmd-daemon.c.
 */
#ifndef NUMAPLACE_DAEMON_H
#define NUMAPLACE_DAEMON_H

#include "cli.h"

#include <time.h>

struct daemon_opts {
	struct cli_host_opts host;
	double interval;
	uint64_t adopt_rss;
	double adopt_cpu; /* percent of one CPU */
	bool adopt;
	char **exclude, **only;
	unsigned nexclude, nonly;
	char *exclude_buf, *only_buf;
	/* --adopt-cgroups GLOB (repeatable; the file's list until the first flag) */
	const char **cgroups;
	unsigned ncgroups;
	char *cgroups_buf;
	bool cgroups_flagged;
	struct np_rebalance_params params;
	const char *state_dir;
	bool once, dry_run;
};

/* A line of the log on stderr: "numaplace daemon: ..." (cmd-daemon.c). */
void daemon_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How the log names a workload: "web-1 (pid 4242)", "db.scope (group machine.slice/db.scope)". */
const char *daemon_who(const struct np_workload *w, char *buf, size_t len);
/* A migration's outcome, as the log says it, for the workload named `who`. */
void daemon_report_migration(const char *who, const struct np_migration *m,
                             hwloc_const_nodeset_t to);
/* The cgroup ids of groups whose adoption failed (a cpuset refused): not tried again. */
struct daemon_refused {
	uint64_t *ids;
	unsigned n;
};
/* Each group's cpu.stat usage_usec at its last look, to turn it into CPUs used. */
struct daemon_group_cpu {
	struct {
		uint64_t id, usec;
		struct timespec at;
	} * v;
	unsigned n;
};
/*
 * The CPUs group `id` kept busy since its last look (`usec` its usage_usec now): 0 at its
 * first look, or when it has no cpu.stat (usec 0). Remembers usec for the next look.
 */
double daemon_group_cpus(struct daemon_group_cpu *g, uint64_t id, uint64_t usec);
/*
 * Forget the groups not looked at for more than `secs` (gone, or no longer adopted or placed):
 * the table holds the groups of the last few intervals, not every group ever seen.
 */
void daemon_group_cpu_prune(struct daemon_group_cpu *g, double secs);
/* The same for a group workload of the ledger, its group read by its path; -1: not readable. */
double daemon_group_cpus_used(struct daemon_group_cpu *g, const struct np_workload *w);
/* The first look at the groups below the patterns: their CPU time to measure against. */
void daemon_groups_first_look(const struct daemon_opts *o, struct daemon_group_cpu *cpu);

/*
 * Adopt the largest group below the patterns of --adopt-cgroups that the ledger (`live`) does
 * not hold and `refused` does not name, with memory.current at least the adoption threshold's
 * RSS and CPU use (cpu.stat's usage_usec since its last look, `cpu`) at least its CPU%, as `place
 * --cgroup` places one (cmd-daemon-groups.c). The ledger's transaction is open; np_place() closes
 * it. Returns 1 when one was adopted (or tried), else 0 (the transaction still open).
 */
int daemon_adopt_group(const struct daemon_opts *o, struct daemon_refused *refused,
                       struct daemon_group_cpu *cpu, np_ledger *ledger, const np_host *h,
                       const struct np_workload *live, int nlive);

/* The defaults of the configuration file (docs/config.md), before the flags. */
int daemon_config_defaults(struct daemon_opts *o);
/* The flags into `o`: 0, 1 after --help, or -(exit status) after an error. */
int daemon_parse(int argc, char **argv, struct daemon_opts *o);

#endif
