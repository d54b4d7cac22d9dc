/* main.c - numaplace(1): the command table. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

/*
 * Set-uid, set-gid or with file capabilities (AT_SECURE), numaplace does not take orders from
 * the caller's environment: its own variables are read with secure_getenv(), and hwloc's
 * (HWLOC_*: another topology, plugins loaded from any directory) are removed before hwloc can
 * read them. docs/security.md.
 */
static void drop_hwloc_environment(void)
{
	if (!getauxval(AT_SECURE))
		return;
	for (size_t i = 0; environ && environ[i];) {
		char name[256];
		size_t len = strcspn(environ[i], "=");

		if (strncmp(environ[i], "HWLOC_", 6) == 0 && len < sizeof(name)) {
			memcpy(name, environ[i], len);
			name[len] = '\0';
			unsetenv(name);
			continue; /* the next variable moved into slot i */
		}
		i++;
	}
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"info", cmd_info, "show the host's NUMA topology (-n: like 'xl info -n')"},
	{"plan", cmd_plan, "choose nodes for a workload without running it"},
	{"simulate", cmd_simulate, "replay a trace of placements on a topology"},
	{"run", cmd_run, "place a command's workload, record its claim and execute it"},
	{"list", cmd_list, "list the placed workloads and what they hold"},
	{"forget", cmd_forget, "drop a workload's claim (it keeps running)"},
	{"place", cmd_place, "adopt a running process: place, bind and record it (--migrate)"},
	{"daemon", cmd_daemon, "keep workloads placed well: move spilled or overloaded ones"},
	{"stat", cmd_stat, "show the kernel's NUMA counters per node and a workload's memory"},
	{"advise", cmd_advise, "print the nodes for NCPUS[:MB] in one line, as 'numad -w'"},
	{"config", cmd_config, "show the settings in force and where each came from"},
	{"complete", cmd_complete, NULL}, /* for the shell completions: not listed */
};

static void usage(FILE *f)
{
	fputs("usage: numaplace [--version] [--help] [--config FILE] COMMAND [ARGS]\n\n"
	      "Place workloads on the NUMA nodes of a Linux host.\n\n"
	      "  --config FILE  the host configuration (default: $NUMAPLACE_CONFIG, else\n"
	      "                 " CLI_CONFIG_DEFAULT_PATH ")\n\nCommands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].summary)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'numaplace COMMAND --help' describes a command; numaplace(1) describes all.\n"
	      "Exit status: 0 success, 1 failure, 2 usage error, 3 no placement fits.\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	const char *config = NULL;
	int i = 1;

	drop_hwloc_environment();
	/* installed as numad (a link in libexec) for libvirt: `numad -w NCPUS[:MB]` */
	base = base ? base + 1 : (argc > 0 && argv[0] ? argv[0] : "");
	if (strcmp(base, "numad") == 0)
		return cli_config_load(NULL) ? EXIT_FAIL : numad_main(argc, argv);
	if (argc >= 2 && strncmp(argv[1], "--config", 8) == 0 &&
	    (argv[1][8] == '=' || argv[1][8] == '\0')) {
		config = argv[1][8] == '=' ? argv[1] + 9 : argc > 2 ? argv[++i] : "";
		if (!*config) {
			cli_error("option '--config' needs a file; see 'numaplace --help'");
			return EXIT_USAGE;
		}
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[i], "--version") == 0) {
		printf("numaplace %s\n", NP_VERSION);
		return EXIT_OK;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return cli_config_load(config) ? EXIT_FAIL
			                               : commands[k].fn(argc - i, argv + i);
	cli_error("'%s' is not a numaplace command; see 'numaplace --help'", argv[i]);
	return EXIT_USAGE;
}
