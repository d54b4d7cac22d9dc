/*
 * cmd-stat.c - `numaplace stat [--pid PID | NAME]`: the kernel's allocation counters per node,
 * as numastat(8) shows them, and a process's or a workload's memory per node.
 *
 * With --watch the command works as vmstat does: the first table counts since boot, every
 * later one what changed in the interval (a counter that went backwards, after a node was
 * offlined and onlined again, shows the new value). The memory rows are always what is
 * resident now.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB (1024.0 * 1024.0)
#define NCOUNTERS 6

static const char stat_help[] =
    "usage: numaplace stat [--pid PID | NAME] [--watch SECONDS [--count N]] [--json]\n"
    "                      [--sysfs-root DIR] [--state-dir DIR]\n\n"
    "Show the kernel's allocation counters of every node, in pages, as numastat(8) does:\n"
    "  numa_hit        allocated on the node as the memory policy intended\n"
    "  numa_miss       allocated on the node although intended for another (it was full)\n"
    "  numa_foreign    intended for the node, allocated on another\n"
    "  interleave_hit  interleaved allocations that got the node as intended\n"
    "  local_node      allocated on the node by a task running on it\n"
    "  other_node      allocated on the node by a task running on another node\n"
    "With --pid or the NAME of a workload of the ledger ('numaplace list'), also its\n"
    "memory per node in MiB: resident (/proc/PID/numa_maps) and, for a workload, claimed.\n\n"
    "  --pid PID             also this process's memory per node\n"
    "  NAME                  also this workload's memory per node\n"
    "  --watch SECONDS       print again every SECONDS (1-3600); the counters then show\n"
    "                        what changed in the interval, the memory what is resident now\n"
    "  --count N             with --watch: stop after N tables (default: until interrupted)\n"
    "  --json                a JSON document ({\"version\":1,...}; counters since boot); with\n"
    "                        --watch one document per line\n"
    "  --sysfs-root DIR      read the counters of a captured tree (DIR/sys/devices/...)\n"
    "  -h, --help            show this help\n\n";

static const char *const counter_names[NCOUNTERS] = {"numa_hit",       "numa_miss",  "numa_foreign",
                                                     "interleave_hit", "local_node", "other_node"};

static uint64_t counter(const struct np_numastat *s, unsigned k)
{
	const uint64_t v[NCOUNTERS] = {s->numa_hit,       s->numa_miss,  s->numa_foreign,
	                               s->interleave_hit, s->local_node, s->other_node};

	return v[k];
}

struct stat_opts {
	const char *root;      /* --sysfs-root, NULL: this host */
	const char *state_dir; /* --state-dir */
	const char *name;      /* NAME */
	unsigned pid;          /* --pid, 0: none */
	unsigned watch;        /* --watch SECONDS, 0: once */
	unsigned count;        /* --count N, 0: until interrupted */
	bool json;
};

/* The process whose memory is shown. */
struct stat_target {
	pid_t pid;
	char what[160];                /* "pid 4242 (sleep)", "workload web (pid 4242)" */
	char *name;                    /* the workload's name, NULL for --pid */
	struct np_node_bytes *claimed; /* the workload's claim, NULL for --pid */
	unsigned nclaimed;
};

/* Returns -1 to go on, else the exit status (--help, a usage error). */
static int parse_args(int argc, char **argv, struct stat_opts *o)
{
	struct cli_host_opts ho = {{NP_SOURCE_LIVE, NULL, 0}, false};
	bool count_given = false;
	const char *v;
	int r, err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(stat_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if ((v = cli_opt_value("stat", "--pid", argc, argv, &i, &err))) {
			if (cli_parse_uint("stat", "--pid", v, 1, 0x7fffffff, &o->pid))
				return EXIT_USAGE;
		} else if (!err && (v = cli_opt_value("stat", "--watch", argc, argv, &i, &err))) {
			if (cli_parse_uint("stat", "--watch", v, 1, 3600, &o->watch))
				return EXIT_USAGE;
		} else if (!err && (v = cli_opt_value("stat", "--count", argc, argv, &i, &err))) {
			if (cli_parse_uint("stat", "--count", v, 1, 1000000, &o->count))
				return EXIT_USAGE;
			count_given = true;
		} else if (err) {
			return err;
		} else if ((r = cli_host_option("stat", argc, argv, &i, &ho)) != 0 ||
		           (r = cli_state_option("stat", argc, argv, &i, &o->state_dir)) != 0) {
			if (r < 0)
				return -r;
		} else if (a[0] == '-' || o->name) {
			return cli_usage_error("stat", "unknown argument '%s'", a);
		} else {
			o->name = a;
		}
	}
	if (ho.source_given && ho.src.kind != NP_SOURCE_SYSFS)
		return cli_usage_error("stat", "the counters are the kernel's: only --sysfs-root "
		                               "names another host");
	if (ho.src.flags)
		return cli_usage_error("stat", "stat shows every node: --whole-system and "
		                               "--memfree-only do not apply");
	if (o->pid && o->name)
		return cli_usage_error("stat", "give --pid or a workload's name, not both");
	if (count_given && !o->watch)
		return cli_usage_error("stat", "--count needs --watch");
	o->root = ho.source_given ? ho.src.arg : NULL;
	return -1;
}

/* Every node of the host or the tree, with neither CPUs nor memory too. */
static int nodes_load(const struct stat_opts *o, np_host **ret_host)
{
	struct cli_host_opts ho = {{o->root ? NP_SOURCE_SYSFS : NP_SOURCE_LIVE, o->root,
	                            NP_HOST_FAST | NP_HOST_WHOLE_SYSTEM},
	                           o->root != NULL};

	return cli_host_load(&ho, ret_host);
}

/* The workload NAME of the ledger: its pid and its claim. */
static int target_workload(const struct stat_opts *o, struct stat_target *t)
{
	struct np_workload *list;
	int n, r = EXIT_FAIL;

	if (cli_ledger_workloads(o->state_dir, &list, &n))
		return EXIT_FAIL;
	for (int i = 0; i < n; i++) {
		struct np_workload *w = &list[i];

		if (strcmp(w->name, o->name) != 0)
			continue;
		t->pid = w->pid;
		t->name = w->name;
		t->claimed = w->claimed;
		t->nclaimed = w->nclaimed;
		w->name = NULL;
		w->claimed = NULL;
		w->nclaimed = 0;
		snprintf(t->what, sizeof(t->what), "workload %s (pid %d)", t->name, (int)t->pid);
		r = EXIT_OK;
		break;
	}
	if (r)
		cli_error("no live workload named '%s' in the ledger (see 'numaplace list')",
		          o->name);
	np_workloads_free(list, (unsigned)n);
	return r;
}

static int target_find(const struct stat_opts *o, struct stat_target *t)
{
	struct np_process p;
	int r;

	if (o->name)
		return target_workload(o, t);
	r = np_process_read((pid_t)o->pid, &p);
	if (r == -ESRCH) {
		cli_error("no process with pid %u", o->pid);
		return EXIT_FAIL;
	} else if (r < 0) {
		cli_error("cannot read process %u: %s", o->pid, strerror(-r));
		return EXIT_FAIL;
	}
	t->pid = p.pid;
	snprintf(t->what, sizeof(t->what), "pid %d (%s)", (int)p.pid, p.comm);
	return EXIT_OK;
}

/* Resident memory of the target now. Returns the count, or -1 after printing why. */
static int target_memory(const struct stat_target *t, struct np_node_bytes **ret)
{
	int n = np_process_memory(t->pid, ret);

	if (n == -ESRCH)
		cli_error("%s has exited", t->what);
	else if (n == -EACCES)
		cli_error("cannot read the memory of %s: permission denied (/proc/%d/numa_maps)",
		          t->what, (int)t->pid);
	else if (n < 0)
		cli_error("cannot read the memory of %s: %s", t->what, strerror(-n));
	return n < 0 ? -1 : n;
}

/* One table: counters since boot (prev NULL) or since prev, and the target's memory. */
static void print_text(const struct np_numastat *s, const struct np_numastat *prev, unsigned n,
                       unsigned interval, const struct stat_target *t,
                       const struct np_node_bytes *res, unsigned nres)
{
	char corner[64], head[32];
	/* the widest corner, so that the tables of --watch line up */
	int w = 12, lw = (int)strlen("pages since boot");

	snprintf(corner, sizeof(corner), prev ? "pages in %u s" : "pages since boot", interval);
	if ((int)strlen(corner) > lw)
		lw = (int)strlen(corner); /* --watch 1000 and above */
	/* as wide as the largest total since boot, so that the tables of --watch line up */
	for (unsigned k = 0; k < NCOUNTERS; k++) {
		uint64_t sum = 0;
		int len;

		for (unsigned i = 0; i < n; i++)
			sum += counter(&s[i], k);
		len = snprintf(head, sizeof(head), "%" PRIu64, sum);
		if (len + 2 > w)
			w = len + 2;
	}
	printf("%-*s", lw, corner);
	for (unsigned i = 0; i < n; i++) {
		snprintf(head, sizeof(head), "node%u", s[i].node);
		printf(" %*s", w, head);
	}
	printf(" %*s\n", w, "total");
	for (unsigned k = 0; k < NCOUNTERS; k++) {
		uint64_t sum = 0;

		printf("%-*s", lw, counter_names[k]);
		for (unsigned i = 0; i < n; i++) {
			uint64_t v = counter(&s[i], k), p = prev ? counter(&prev[i], k) : 0;
			uint64_t d = v >= p ? v - p : v;

			sum += d;
			printf(" %*" PRIu64, w, d);
		}
		printf(" %*" PRIu64 "\n", w, sum);
	}
	if (!t)
		return;
	printf("\nMiB of %s\n", t->what);
	printf("%-*s", lw, "resident");
	for (unsigned i = 0; i < n; i++)
		printf(" %*.2f", w, (double)np_node_bytes_get(res, nres, s[i].node) / MIB);
	printf(" %*.2f\n", w, (double)np_node_bytes_sum(res, nres) / MIB);
	if (!t->name)
		return;
	printf("%-*s", lw, "claimed");
	for (unsigned i = 0; i < n; i++)
		printf(" %*.2f", w,
		       (double)np_node_bytes_get(t->claimed, t->nclaimed, s[i].node) / MIB);
	printf(" %*.2f\n", w, (double)np_node_bytes_sum(t->claimed, t->nclaimed) / MIB);
}

static json_t *stat_json(const struct np_numastat *s, unsigned n, const struct stat_target *t,
                         const struct np_node_bytes *res, unsigned nres, bool watch)
{
	json_t *root = json_pack("{s:i}", "version", 1), *nodes = json_array(), *proc, *mem;

	if (!root || !nodes) {
		json_decref(root);
		json_decref(nodes);
		return NULL;
	}
	if (watch)
		json_object_set_new(root, "time", json_integer((json_int_t)time(NULL)));
	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_pack("{s:i}", "node", (int)s[i].node);

		for (unsigned k = 0; k < NCOUNTERS; k++)
			json_object_set_new(o, counter_names[k],
			                    json_integer((json_int_t)counter(&s[i], k)));
		json_array_append_new(nodes, o);
	}
	json_object_set_new(root, "nodes", nodes);
	if (!t)
		return root;
	mem = json_array();
	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_pack("{s:i,s:I}", "node", (int)s[i].node, "resident_bytes",
		                      (json_int_t)np_node_bytes_get(res, nres, s[i].node));

		if (t->name)
			json_object_set_new(o, "claimed_bytes",
			                    json_integer((json_int_t)np_node_bytes_get(
			                        t->claimed, t->nclaimed, s[i].node)));
		json_array_append_new(mem, o);
	}
	proc = json_pack("{s:i,s:o,s:o,s:I}", "pid", (int)t->pid, "name",
	                 t->name ? json_string(t->name) : json_null(), "memory", mem,
	                 "resident_bytes", (json_int_t)np_node_bytes_sum(res, nres));
	json_object_set_new(root, "process", proc);
	return root;
}

/* Read and print one table. *prev holds the last counters (replaced). */
static int one_round(const struct stat_opts *o, const np_host *h, const struct stat_target *t,
                     struct np_numastat **prev)
{
	struct np_numastat *s = NULL;
	struct np_node_bytes *res = NULL;
	int n, nres = 0, r = EXIT_OK;

	n = np_numastat_read(o->root, np_host_nodeset(h), &s);
	if (n < 0) {
		const char *why = np_last_error();

		cli_error("%s", *why ? why : strerror(-n));
		return EXIT_FAIL;
	}
	if (t && (nres = target_memory(t, &res)) < 0) {
		free(s);
		return EXIT_FAIL;
	}
	if (o->json)
		r = cli_json_print(stat_json(s, (unsigned)n, t, res, (unsigned)nres, o->watch),
		                   o->watch != 0);
	else
		print_text(s, *prev, (unsigned)n, o->watch, t, res, (unsigned)nres);
	fflush(stdout);
	free(res);
	free(*prev);
	*prev = s;
	return r;
}

int cmd_stat(int argc, char **argv)
{
	struct stat_opts o = {0};
	struct stat_target target = {0}, *t = NULL;
	struct np_numastat *prev = NULL;
	np_host *h = NULL;
	int r = parse_args(argc, argv, &o);

	if (r >= 0)
		return r;
	r = nodes_load(&o, &h);
	if (r)
		return r;
	if (o.pid || o.name) {
		t = &target;
		r = target_find(&o, t);
		if (r)
			goto out;
	}
	for (unsigned round = 1;; round++) {
		struct timespec gap = {(time_t)o.watch, 0};

		r = one_round(&o, h, t, &prev);
		if (r || !o.watch || (o.count && round >= o.count))
			break;
		while (nanosleep(&gap, &gap) < 0 && errno == EINTR)
			;
		if (!o.json)
			putchar('\n');
	}
out:
	free(prev);
	free(target.name);
	free(target.claimed);
	np_host_free(h);
	return r;
}
