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
	{"complete", cmd_complete, NULL}, /* for the shell completions: not listed */
};

static void usage(FILE *f)
{
	fputs("usage: numaplace [--version] [--help] COMMAND [ARGS]\n\n"
	      "Place workloads on the NUMA nodes of a Linux host.\n\nCommands:\n",
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

	drop_hwloc_environment();
	/* installed as numad (a link in libexec) for libvirt: `numad -w NCPUS[:MB]` */
	base = base ? base + 1 : (argc > 0 && argv[0] ? argv[0] : "");
	if (strcmp(base, "numad") == 0)
		return numad_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("numaplace %s\n", NP_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	cli_error("'%s' is not a numaplace command; see 'numaplace --help'", argv[1]);
	return EXIT_USAGE;
}
