/*
 * cmd-daemon-groups.c - the daemon's adoption of cgroup v2 groups (--adopt-cgroups GLOB): in an
 * interval without a move or a process adopted, the largest group below the patterns that the
 * ledger does not hold yet, with memory.current at least the RSS of --adopt-threshold and
 * CPU use (cpu.stat's usage_usec between two looks) at least its CPU%, is
 * placed as `place --cgroup` places one (its cpuset written, its members' pages migrated),
 * then managed like any other workload. docs/daemon.md, "Groups".
 */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Whether the ledger holds the group of `path` (its id checked once the group is read): a
 * group's row, or a run --scope command's, whose group is numaplace's own.
 */
static bool held(const struct np_workload *live, int nlive, const char *path, uint64_t id)
{
	for (int k = 0; k < nlive; k++)
		if (live[k].kind != NP_WORKLOAD_PROCESS &&
		    ((path && live[k].cgroup && strcmp(live[k].cgroup, path) == 0) ||
		     (id && live[k].cgroup_id == id)))
			return true;
	return false;
}

double daemon_group_cpus(struct daemon_group_cpu *g, uint64_t id, uint64_t usec)
{
	struct timespec now;
	double cpus = 0;
	unsigned i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < g->n && g->v[i].id != id; i++)
		;
	if (i == g->n) {
		void *n = realloc(g->v, (g->n + 1) * sizeof(*g->v));

		if (!n)
			return 0;
		g->v = n;
		g->v[i].id = id;
		g->n++;
	} else if (usec > g->v[i].usec) {
		double secs = (double)(now.tv_sec - g->v[i].at.tv_sec) +
		              (double)(now.tv_nsec - g->v[i].at.tv_nsec) / 1e9;

		if (secs > 0)
			cpus = (double)(usec - g->v[i].usec) / 1e6 / secs;
	}
	g->v[i].usec = usec;
	g->v[i].at = now;
	return cpus;
}

void daemon_group_cpu_prune(struct daemon_group_cpu *g, double secs)
{
	struct timespec now;
	unsigned k = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (unsigned i = 0; i < g->n; i++) {
		double age = (double)(now.tv_sec - g->v[i].at.tv_sec) +
		             (double)(now.tv_nsec - g->v[i].at.tv_nsec) / 1e9;

		if (age <= secs)
			g->v[k++] = g->v[i];
	}
	g->n = k;
}

/*
 * CPUs a group workload kept busy since its last look: cpu.stat's usage_usec (0 when it has
 * none); -1 when the group cannot be read (the next look prunes a group gone).
 */
double daemon_group_cpus_used(struct daemon_group_cpu *g, const struct np_workload *w)
{
	struct np_target t;
	double cpus = -1;

	if (!w->cgroup)
		return 0;
	np_target_init(&t);
	t.kind = NP_TARGET_CGROUP;
	t.cgroup = w->cgroup;
	t.root = cli_cgroup_root();
	if (np_target_read(&t) == 0 && (!w->cgroup_id || t.cgroup_id == w->cgroup_id))
		cpus = daemon_group_cpus(g, t.cgroup_id, t.cpu_usage_usec);
	np_target_release(&t);
	return cpus;
}

static bool is_refused(const struct daemon_refused *rf, uint64_t id)
{
	for (unsigned i = 0; i < rf->n; i++)
		if (rf->ids[i] == id)
			return true;
	return false;
}

/*
 * The largest group to adopt into *best (read; *best_path owns its path), or none. Groups that
 * cannot be read or given a cpuset (threaded, the root, not delegated, gone meanwhile) are left
 * out: a pattern may cover some that are no workload of their own.
 */
static void find_best(const struct daemon_opts *o, const struct daemon_refused *rf,
                      struct daemon_group_cpu *cpu, const struct np_workload *live, int nlive,
                      struct np_target *best, char **best_path, double *best_cpu)
{
	for (unsigned g = 0; g < o->ncgroups; g++) {
		char **paths = NULL;
		int n = np_cgroup_glob(cli_cgroup_root(), o->cgroups[g], &paths);

		if (n < 0) {
			daemon_log("cannot list the groups of '%s': %s", o->cgroups[g],
			           *np_last_error() ? np_last_error() : strerror(-n));
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct np_target t;
			double used;

			if (held(live, nlive, paths[i], 0) ||
			    (*best_path && strcmp(*best_path, paths[i]) == 0))
				continue;
			np_target_init(&t);
			t.kind = NP_TARGET_CGROUP;
			t.cgroup = paths[i];
			t.root = cli_cgroup_root();
			if (np_target_read(&t) < 0 || held(live, nlive, NULL, t.cgroup_id)) {
				np_target_release(&t);
				continue;
			}
			used = daemon_group_cpus(cpu, t.cgroup_id, t.cpu_usage_usec);
			if (is_refused(rf, t.cgroup_id) || t.memory_current < o->adopt_rss ||
			    used * 100 < o->adopt_cpu ||
			    (*best_path && t.memory_current <= best->memory_current)) {
				np_target_release(&t);
				continue;
			}
			np_target_release(best);
			free(*best_path);
			*best = t;
			*best_path = paths[i];
			*best_cpu = used;
			best->cgroup = *best_path;
			paths[i] = NULL;
		}
		np_cgroup_paths_free(paths, (unsigned)n);
	}
}

void daemon_groups_first_look(const struct daemon_opts *o, struct daemon_group_cpu *cpu)
{
	for (unsigned g = 0; g < o->ncgroups; g++) {
		char **paths = NULL;
		int n = np_cgroup_glob(cli_cgroup_root(), o->cgroups[g], &paths);

		for (int i = 0; i < n; i++) {
			struct np_target t;

			np_target_init(&t);
			t.kind = NP_TARGET_CGROUP;
			t.cgroup = paths[i];
			t.root = cli_cgroup_root();
			if (np_target_read(&t) == 0)
				daemon_group_cpus(cpu, t.cgroup_id, t.cpu_usage_usec);
			np_target_release(&t);
		}
		if (n > 0)
			np_cgroup_paths_free(paths, (unsigned)n);
	}
}

int daemon_adopt_group(const struct daemon_opts *o, struct daemon_refused *refused,
                       struct daemon_group_cpu *cpu, np_ledger *ledger, const np_host *h,
                       const struct np_workload *live, int nlive)
{
	struct np_place_req pr;
	struct np_placement p;
	struct np_target t;
	char *path = NULL, *n = NULL, who[320], sz[32];
	double used = 0;
	int r;

	np_target_init(&t);
	find_best(o, refused, cpu, live, nlive, &t, &path, &used);
	if (!path)
		return 0;
	snprintf(who, sizeof(who), "%s", path);
	np_place_req_init(&pr);
	pr.request.vcpus = 0; /* cpu.max's CPUs, else its threads */
	pr.search.strategy = o->params.strategy;
	pr.origin = "daemon";
	/* its memory.current */
	pr.flags = NP_PLACE_MEASURE_MEMORY | (o->dry_run ? NP_PLACE_DRY_RUN : 0);
	np_placement_init(&p);
	r = np_place(h, ledger, &t, &pr, &p);
	if (p.name)
		snprintf(who, sizeof(who), "%s (group %s)", p.name, t.cgroup_path);
	else
		snprintf(who, sizeof(who), "group %s", t.cgroup_path);
	n = cli_list_string(p.nodes);
	if (r < 0) {
		/* a cpuset the kernel refuses is refused again next time; the ledger may recover */
		uint64_t *ids = p.failed == NP_PLACE_STEP_BIND
		                    ? realloc(refused->ids, (refused->n + 1) * sizeof(*ids))
		                    : NULL;

		daemon_log("%s: not adopted%s: %s", who, ids ? " (not tried again)" : "",
		           p.failed >= NP_PLACE_STEP_BIND && *np_last_error() ? np_last_error()
		                                                              : strerror(-r));
		if (ids) {
			refused->ids = ids;
			refused->ids[refused->n++] = t.cgroup_id;
		}
	} else if (p.fit == NP_PLACE_NO_FIT)
		daemon_log("%s: not adopted: %s", who, p.reason);
	else if (!p.applied)
		daemon_log("%s: would adopt on node%s %s (--dry-run)", who,
		           hwloc_bitmap_weight(p.nodes) > 1 ? "s" : "", n ? n : "?");
	else
		daemon_log(
		    "%s: adopted on node%s %s: %s (memory.current), %.1f CPUs used, %u vCPU%s: "
		    "%s",
		    who, hwloc_bitmap_weight(p.nodes) > 1 ? "s" : "", n ? n : "?",
		    np_size_format(p.memory_bytes, sz, sizeof(sz)), used, p.vcpus,
		    p.vcpus == 1 ? "" : "s", p.reason);
	if (r == 0 && p.applied)
		daemon_report_migration(who, &p.migration, p.nodes);
	free(n);
	np_placement_release(&p);
	np_target_release(&t);
	free(path);
	return 1;
}
