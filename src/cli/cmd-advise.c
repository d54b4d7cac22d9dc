/*
 * cmd-advise.c - `numaplace advise NCPUS[:MB]` and the numad-compatible entry point
 * (`numad -w NCPUS[:MB]`, numaplace run under the name numad).
 *
 * libvirt asks numad where to put a guest with placement='auto': it runs `numad -w
 * VCPUS:MIB` and reads one line, a node list in kernel list syntax ("0-1,4\n"). numad samples
 * the host for about two seconds first; the answer here comes from the ledger and the
 * kernel's free memory at once. docs/libvirt.md has the setup and the differences.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char advise_help[] =
    "usage: numaplace advise NCPUS[:MB] [--strategy NAME] [--near DEVICE]\n"
    "                        [--memory-kind KIND] [--memory-spill TIER] [--state-dir DIR]\n"
    "                        [--sysfs-root DIR | --topology FILE | --synthetic DESC]\n\n"
    "Print the nodes a workload of NCPUS CPUs and MB mebibytes of memory should go to, in\n"
    "kernel list syntax on one line (e.g. 0-1,4), as 'numad -w NCPUS:MB' does, given the\n"
    "workloads in the ledger and the free memory now. Nothing is recorded. When nothing\n"
    "fits it says so on stderr and exits with status 3 (numad answers node 0). With a\n"
    "host source it answers for that host, with nothing placed on it (the ledger is this\n"
    "machine's).\n\n"
    "  --strategy NAME       compact (default), xen, numad, first-fit, spread, exhaustive\n"
    "  --near DEVICE         the nodes must hold DEVICE's node (repeatable; see plan)\n"
    "  --near-prefer DEVICE  prefer nodes close to DEVICE's node (repeatable)\n"
    "  --memory-spill TIER   let the memory overflow onto nodes without CPUs of this\n"
    "                        kind or tier (see plan)\n"
    "  --memory-kind KIND    dram, hbm or any (default; see plan): with hbm the list\n"
    "                        holds the HBM nodes and the nodes whose CPUs go with them\n"
    "  -h, --help            show this help\n\n";

/*
 * NCPUS[:MB] as numad reads it: a CPU count (a fraction rounds up: numad counts in hundredths
 * of a CPU) and optionally ':' and mebibytes. Returns 0 or -EINVAL.
 */
static int parse_request(const char *s, unsigned *ret_cpus, uint64_t *ret_mb)
{
	uint64_t cpus = 0, mb = 0;
	bool frac = false;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		cpus = cpus * 10 + (uint64_t)(*p - '0');
		if (cpus > (1u << 20))
			return -EINVAL;
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++)
			frac |= *p != '0';
	}
	if (*p == ':') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			mb = mb * 10 + (uint64_t)(*p - '0');
			if (mb > (UINT64_MAX >> 20) / 10)
				return -EINVAL;
		}
	}
	if (*p)
		return -EINVAL;
	cpus += frac;
	/* numad answers a request for 0 CPUs too; the smallest workload is one CPU */
	*ret_cpus = cpus ? (unsigned)cpus : 1;
	*ret_mb = mb;
	return 0;
}

/* Answer one request on stdout: the node list and a newline. Returns an exit status. */
static int advise(const struct cli_host_opts *ho, unsigned cpus, uint64_t mb,
                  enum np_strategy strategy, const char *state_dir, struct cli_near *near,
                  struct cli_memory *mem)
{
	struct np_search_opts so;
	struct np_request req;
	const struct np_candidate *best;
	np_load *load = NULL;
	np_plan *plan = NULL;
	np_host *h = NULL;
	char *list = NULL;
	int r;

	r = cli_host_load(ho, &h);
	if (r)
		return r;
	/* the ledger places on this machine: another host has nothing placed yet */
	if (!ho->source_given)
		r = cli_ledger_load(state_dir, h, &load, NULL, NULL);
	if (r)
		goto out;
	np_request_init(&req);
	req.vcpus = cpus;
	req.memory_bytes = mb << 20;
	r = cli_near_resolve("advise", &ho->src, h, near, &req);
	if (r == 0)
		r = cli_memory_resolve("advise", &ho->src, h, mem, &req);
	if (r)
		goto out;
	np_search_opts_init(&so);
	so.strategy = strategy;
	r = np_search(h, load, &req, &so, &plan);
	if (r < 0) {
		cli_error("cannot place: %s", strerror(-r));
		r = EXIT_FAIL;
		goto out;
	}
	best = np_plan_best(plan);
	if (!best) {
		cli_error("no NUMA placement fits %u CPU%s and %" PRIu64 " MiB: %s", cpus,
		          cpus == 1 ? "" : "s", mb, np_plan_reason(plan));
		r = EXIT_NOFIT;
		goto out;
	}
	list = cli_list_string(best->nodes);
	if (!list) {
		cli_error("out of memory");
		r = EXIT_FAIL;
		goto out;
	}
	printf("%s\n", list);
	r = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
	free(list);
	cli_near_release(near);
	cli_memory_release(mem);
	np_plan_free(plan);
	np_load_free(load);
	np_host_free(h);
	return r;
}

int cmd_advise(int argc, char **argv)
{
	struct cli_host_opts ho = {{NP_SOURCE_LIVE, NULL, NP_HOST_FAST}, false};
	enum np_strategy strategy = cli_config()->strategy;
	const char *state_dir = NULL, *request = NULL, *v;
	struct cli_near near = {0};
	struct cli_memory mem = {0};
	unsigned cpus;
	uint64_t mb;
	int r, err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(advise_help, stdout);
			fputs(cli_host_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		}
		if ((v = cli_opt_value("advise", "--strategy", argc, argv, &i, &err)) != NULL) {
			if (np_strategy_parse(v, &strategy) < 0)
				return cli_usage_error(
				    "advise",
				    "--strategy '%s': unknown (compact, xen, numad, "
				    "first-fit, spread, exhaustive)",
				    v);
			continue;
		}
		if (err)
			return err;
		if ((r = cli_state_option("advise", argc, argv, &i, &state_dir)) != 0 ||
		    (r = cli_host_option("advise", argc, argv, &i, &ho)) != 0 ||
		    (r = cli_near_option("advise", argc, argv, &i, &near)) != 0 ||
		    (r = cli_memory_option("advise", argc, argv, &i, &mem)) != 0) {
			if (r < 0)
				return -r;
			continue;
		}
		if (a[0] == '-' || request)
			return cli_usage_error("advise", "unknown argument '%s'", a);
		request = a;
	}
	if (!request)
		return cli_usage_error("advise", "no request: numaplace advise NCPUS[:MB]");
	if (parse_request(request, &cpus, &mb) < 0)
		return cli_usage_error(
		    "advise", "'%s': expected NCPUS[:MB], e.g. 4:8192 (4 CPUs, 8 GiB)", request);
	if (ho.source_given && ho.src.kind != NP_SOURCE_SYSFS)
		ho.src.flags &= ~(unsigned)NP_HOST_FAST; /* hwloc reads XML and synthetic hosts */
	return advise(&ho, cpus, mb, strategy, state_dir, &near, &mem);
}

/*
 * numad's command line: only -w is answered (libvirt uses nothing else). The daemon's options
 * (-i, -u, -p, -x, -S, ...) belong to `numaplace daemon`, which is configured differently:
 * refusing them says so instead of pretending.
 */
int numad_main(int argc, char **argv)
{
	struct cli_host_opts ho = {{NP_SOURCE_LIVE, NULL, NP_HOST_FAST}, false};
	struct cli_near none = {0};
	struct cli_memory any = {0};
	const char *request = NULL;
	unsigned cpus;
	uint64_t mb;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0) {
			printf("usage: numad -w NCPUS[:MB]\n\n"
			       "numaplace's numad-compatible advisor: prints the nodes a workload\n"
			       "of NCPUS CPUs and MB mebibytes should use (see numaplace(1), "
			       "advise).\n");
			return EXIT_OK;
		}
		if (strncmp(a, "-w", 2) == 0) {
			if (a[2])
				request = a + 2;
			else if (i + 1 < argc)
				request = argv[++i];
			else {
				fputs("numad: option -w needs NCPUS[:MB]\n", stderr);
				return EXIT_FAIL;
			}
			continue;
		}
		fprintf(stderr,
		        "numad: '%s': this numad is numaplace's advisor and answers only "
		        "-w NCPUS[:MB]; use 'numaplace daemon' for the rest\n",
		        a);
		return EXIT_FAIL;
	}
	if (!request) {
		fputs("numad: this numad is numaplace's advisor: give -w NCPUS[:MB]\n", stderr);
		return EXIT_FAIL;
	}
	if (parse_request(request, &cpus, &mb) < 0) {
		/* numad's own wording */
		fprintf(stderr, "Can't parse arg value(s): %s\n", request);
		return EXIT_FAIL;
	}
	return advise(&ho, cpus, mb, cli_config()->strategy, NULL, &none, &any);
}
