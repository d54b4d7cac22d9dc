/* cmd-forget.c - `numaplace forget NAME|PID`: drop a claim; the workload keeps running. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char forget_help[] =
    "usage: numaplace forget [--state-dir DIR] NAME|PID\n\n"
    "Drop the claim of a live workload, by name or by pid (a name is never all digits).\n"
    "The process keeps running where it is, bound as it was; its memory and vCPUs are no\n"
    "longer counted for new placements. Workloads that exit are dropped automatically.\n"
    "A run --scope workload's group goes too, unless a process is still in it.\n\n"
    "  -h, --help            show this help\n\n";

int cmd_forget(int argc, char **argv)
{
	const char *state_dir = NULL, *target = NULL;
	np_ledger *ledger = NULL;
	pid_t pid = 0;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(forget_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		} else if ((r = cli_state_option("forget", argc, argv, &i, &state_dir)) != 0) {
			if (r < 0)
				return -r;
		} else if (a[0] == '-' && a[1] != '\0') {
			return cli_usage_error("forget", "unknown option '%s'", a);
		} else if (target) {
			return cli_usage_error("forget", "one workload at a time ('%s', '%s')",
			                       target, a);
		} else {
			target = a;
		}
	}
	if (!target)
		return cli_usage_error("forget", "which workload? give its name or pid");
	if (strspn(target, "0123456789") == strlen(target)) {
		unsigned v;

		if (cli_parse_uint("forget", "pid", target, 1, INT_MAX, &v))
			return EXIT_USAGE;
		pid = (pid_t)v;
	}
	r = cli_ledger_open(state_dir, NP_LEDGER_NO_CREATE, &ledger);
	if (r)
		return r;
	if (!ledger) {
		cli_error("no live workload %s '%s' (nothing was placed)",
		          pid ? "with pid" : "named", target);
		return EXIT_FAIL;
	}
	r = np_ledger_forget(ledger, pid ? NULL : target, pid);
	if (r == 1) /* forgotten; the workload keeps running in its group */
		fprintf(stderr, "numaplace: forgot '%s'; %s\n", target, np_last_error());
	np_ledger_close(ledger);
	if (r == -ENOENT) {
		cli_error("no live workload %s '%s'", pid ? "with pid" : "named", target);
		return EXIT_FAIL;
	}
	if (r < 0) {
		cli_error("cannot forget '%s': %s", target, cli_ledger_why(-r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
