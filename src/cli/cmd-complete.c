/*
 * cmd-complete.c - `numaplace complete names|nodes`: the words the shell completions
 * (data/completion/) cannot know by themselves, one a line. Left out of `numaplace --help`'s
 * list of commands (it is for the completions, not for people); numaplace(1) describes it.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char complete_help[] =
    "usage: numaplace complete names [--state-dir DIR]\n"
    "       numaplace complete nodes [HOST SOURCE]\n\n"
    "Print, one a line, the names of the live workloads of the ledger (nothing when there\n"
    "is no ledger yet), or the node ids of the host. For the shell completions.\n\n";

static int names(const char *state_dir)
{
	struct np_workload *list;
	int n;

	if (cli_ledger_workloads(state_dir, &list, &n))
		return EXIT_FAIL;
	for (int i = 0; i < n; i++)
		printf("%s\n", list[i].name);
	np_workloads_free(list, (unsigned)n);
	return EXIT_OK;
}

static int nodes(struct cli_host_opts *ho)
{
	np_host *h = NULL;
	int r;

	/* node ids only: no hwloc discovery where sysfs answers */
	if (ho->src.kind == NP_SOURCE_LIVE || ho->src.kind == NP_SOURCE_SYSFS)
		ho->src.flags |= NP_HOST_FAST;
	r = cli_host_load(ho, &h);
	if (r)
		return r;
	for (unsigned i = 0; i < np_host_nnodes(h); i++)
		printf("%u\n", np_host_node(h, i)->id);
	np_host_free(h);
	return EXIT_OK;
}

int cmd_complete(int argc, char **argv)
{
	struct cli_host_opts ho = {{NP_SOURCE_LIVE, NULL, 0}, false};
	const char *state_dir = NULL, *what = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(complete_help, stdout);
			fputs(cli_host_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		} else if ((r = cli_host_option("complete", argc, argv, &i, &ho)) != 0 ||
		           (r = cli_state_option("complete", argc, argv, &i, &state_dir)) != 0) {
			if (r < 0)
				return -r;
		} else if (!what && (strcmp(a, "names") == 0 || strcmp(a, "nodes") == 0)) {
			what = a;
		} else {
			return cli_usage_error("complete", "unknown argument '%s'", a);
		}
	}
	if (!what)
		return cli_usage_error("complete", "say what to complete: names or nodes");
	return strcmp(what, "names") == 0 ? names(state_dir) : nodes(&ho);
}
