/*
 * cmd-daemon-opts.c - the options of `numaplace daemon`: its help, the configuration file's
 * defaults and the flags.
 */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char daemon_help[] =
    "usage: numaplace daemon [--interval SECONDS] [--adopt-threshold RSS[:CPU%]]\n"
    "                        [--exclude NAME,...] [--adopt-only NAME,...]\n"
    "                        [--adopt-cgroups GLOB]...\n"
    "                        [--min-gap SECONDS]\n"
    "                        [--min-improvement X] [--strategy NAME] [--dry-run] [--once]\n"
    "                        [--sysfs-root DIR | --topology FILE | --synthetic DESC]\n"
    "                        [--state-dir DIR]\n\n"
    "Rebalance the workloads of the ledger, in the foreground, until SIGTERM or SIGINT.\n"
    "Every interval it reads free memory and CPU use per node and where each workload's\n"
    "memory is, and moves at most one workload whose memory spilled off its nodes or whose\n"
    "nodes are overloaded, when a better place exists (see docs/daemon.md). Each decision\n"
    "is logged on stderr with its reason; 'numaplace list' shows the moves. Given another\n"
    "host (a host source below) it is a dry run: it decides for that host's nodes with\n"
    "this machine's processes and ledger, logs, and moves or adopts nothing.\n\n"
    "  --interval SECONDS    time between two looks (default 15; fractions allowed)\n"
    "  --adopt-threshold RSS[:CPU%]\n"
    "                        also adopt unmanaged processes with at least RSS resident\n"
    "                        (e.g. 1G) and CPU% of one CPU (e.g. 50), largest first, one\n"
    "                        per interval; never kernel threads\n"
    "  --exclude NAME,...    never adopt processes with these names (as ps -o comm shows)\n"
    "  --adopt-only NAME,... adopt only processes with these names\n"
    "  --adopt-cgroups GLOB  also adopt cgroup v2 groups whose path below the cgroup2\n"
    "                        mount matches GLOB (e.g. 'machine.slice/*'; repeatable),\n"
    "                        largest memory.current first, at least the RSS and CPU%\n"
    "                        of --adopt-threshold (CPU from cpu.stat), one per interval;\n"
    "                        placed by their cpuset\n"
    "  --min-gap SECONDS     least time between two moves of one workload (default 300)\n"
    "  --min-improvement X   least drop in cost for a move, 0 to 1 (default 0.1)\n"
    "  --strategy NAME       how candidates are found (default compact)\n"
    "  --dry-run             decide and log, move nothing\n"
    "  --once                one interval, then exit\n"
    "  -h, --help            show this help\n\n";

static int parse_seconds(const char *opt, const char *v, double min, double *ret)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (*v < '0' || *v > '9' || *end || errno || !(d >= min && d <= 86400))
		return cli_usage_error("daemon", "%s '%s': a number of seconds from %g to 86400",
		                       opt, v, min);
	*ret = d;
	return EXIT_OK;
}

static int parse_threshold(const char *v, struct daemon_opts *o)
{
	const char *colon = strchr(v, ':');
	char rss[64];
	char *end;

	if ((colon ? (size_t)(colon - v) : strlen(v)) >= sizeof(rss) || colon == v)
		return cli_usage_error("daemon",
		                       "--adopt-threshold '%s': expected RSS[:CPU%%], e.g. "
		                       "1G:50",
		                       v);
	snprintf(rss, sizeof(rss), "%.*s", (int)(colon ? colon - v : (long)strlen(v)), v);
	if (cli_parse_size("daemon", "--adopt-threshold", rss, &o->adopt_rss))
		return EXIT_USAGE;
	o->adopt_cpu = 0;
	if (colon) {
		errno = 0;
		o->adopt_cpu = strtod(colon + 1, &end);
		if (colon[1] < '0' || colon[1] > '9' || (*end && strcmp(end, "%")) || errno ||
		    !(o->adopt_cpu <= 100000))
			return cli_usage_error(
			    "daemon",
			    "--adopt-threshold '%s': CPU%% must be a number, e.g. "
			    "1G:50 (half a CPU)",
			    v);
	}
	o->adopt = true;
	return EXIT_OK;
}

/* A comma-separated list of names into *list (pointing into *buf). */
static int parse_names(const char *v, char ***list, unsigned *n, char **buf)
{
	unsigned cap = 1;

	free(*buf);
	free(*list);
	*buf = strdup(v);
	for (const char *p = v; *p; p++)
		cap += *p == ',';
	*list = calloc(cap, sizeof(**list));
	*n = 0;
	if (!*buf || !*list) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (char *tok = strtok(*buf, ","); tok; tok = strtok(NULL, ","))
		(*list)[(*n)++] = tok;
	return EXIT_OK;
}

/* A group pattern: relative to the cgroup2 mount, as np_cgroup_glob() matches it. */
static bool pattern_ok(const char *v)
{
	return *v && *v != '/';
}

/* The file's comma-separated patterns into o->cgroups (pointing into o->cgroups_buf). */
static int config_patterns(const char *v, struct daemon_opts *o)
{
	unsigned cap = 1;

	o->cgroups_buf = strdup(v);
	for (const char *p = v; *p; p++)
		cap += *p == ',';
	o->cgroups = calloc(cap, sizeof(*o->cgroups));
	if (!o->cgroups_buf || !o->cgroups) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (char *tok = strtok(o->cgroups_buf, ","); tok; tok = strtok(NULL, ","))
		o->cgroups[o->ncgroups++] = tok;
	return EXIT_OK;
}

/* --adopt-cgroups GLOB: the first one replaces the file's patterns, the next ones add. */
static int add_pattern(const char *v, struct daemon_opts *o)
{
	const char **a;

	if (!pattern_ok(v))
		return cli_usage_error("daemon",
		                       "--adopt-cgroups '%s': a pattern of group paths relative to "
		                       "the cgroup2 mount, e.g. 'machine.slice/*'",
		                       v);
	if (!o->cgroups_flagged) {
		free(o->cgroups);
		free(o->cgroups_buf);
		o->cgroups = NULL;
		o->cgroups_buf = NULL;
		o->ncgroups = 0;
		o->cgroups_flagged = true;
	}
	a = realloc(o->cgroups, (o->ncgroups + 1) * sizeof(*a));
	if (!a) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	o->cgroups = a;
	o->cgroups[o->ncgroups++] = v;
	return EXIT_OK;
}

int daemon_config_defaults(struct daemon_opts *o)
{
	const struct cli_config *c = cli_config();

	o->interval = c->interval;
	o->params.strategy = c->strategy;
	o->params.min_gap = c->min_gap;
	o->params.min_improvement = c->min_improvement;
	o->adopt = c->adopt;
	o->adopt_rss = c->adopt_rss;
	o->adopt_cpu = c->adopt_cpu;
	if (c->exclude && parse_names(c->exclude, &o->exclude, &o->nexclude, &o->exclude_buf))
		return EXIT_FAIL;
	if (c->adopt_only && parse_names(c->adopt_only, &o->only, &o->nonly, &o->only_buf))
		return EXIT_FAIL;
	if (c->adopt_cgroups && config_patterns(c->adopt_cgroups, o))
		return EXIT_FAIL;
	return EXIT_OK;
}

int daemon_parse(int argc, char **argv, struct daemon_opts *o)
{
	int r, err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		double d;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(daemon_help, stdout);
			fputs(cli_host_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return 1;
		}
		if (strcmp(a, "--once") == 0) {
			o->once = true;
			continue;
		}
		if (strcmp(a, "--dry-run") == 0) {
			o->dry_run = true;
			continue;
		}
#define VALUE(name) ((v = cli_opt_value("daemon", name, argc, argv, &i, &err)) != NULL)
		if (VALUE("--interval")) {
			if (parse_seconds("--interval", v, 0.05, &o->interval))
				return -EXIT_USAGE;
			continue;
		}
		if (!err && VALUE("--min-gap")) {
			if (parse_seconds("--min-gap", v, 0, &d))
				return -EXIT_USAGE;
			o->params.min_gap = (int64_t)d;
			continue;
		}
		if (!err && VALUE("--min-improvement")) {
			char *end;

			o->params.min_improvement = strtod(v, &end);
			if (*v < '0' || *v > '9' || *end || !(o->params.min_improvement <= 1))
				return -cli_usage_error(
				    "daemon", "--min-improvement '%s': a number from 0 to 1", v);
			continue;
		}
		if (!err && VALUE("--adopt-threshold")) {
			if (parse_threshold(v, o))
				return -EXIT_USAGE;
			continue;
		}
		if (!err && VALUE("--exclude")) {
			r = parse_names(v, &o->exclude, &o->nexclude, &o->exclude_buf);
			if (r)
				return -r;
			continue;
		}
		if (!err && VALUE("--adopt-only")) {
			r = parse_names(v, &o->only, &o->nonly, &o->only_buf);
			if (r)
				return -r;
			continue;
		}
		if (!err && VALUE("--adopt-cgroups")) {
			r = add_pattern(v, o);
			if (r)
				return -r;
			continue;
		}
		if (!err && VALUE("--strategy")) {
			if (np_strategy_parse(v, &o->params.strategy) < 0)
				return -cli_usage_error(
				    "daemon",
				    "--strategy '%s': unknown (compact, xen, numad, "
				    "first-fit, spread, exhaustive)",
				    v);
			continue;
		}
#undef VALUE
		if (err)
			return -err;
		if ((r = cli_state_option("daemon", argc, argv, &i, &o->state_dir)) != 0 ||
		    (r = cli_host_option("daemon", argc, argv, &i, &o->host)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		return -cli_usage_error("daemon", "unknown argument '%s'", a);
	}
	return 0;
}
