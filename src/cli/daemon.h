/*
 * daemon.h - the options of `numaplace daemon`, parsed in cmd-daemon-opts.c apart from the
 * command's loop in cmd-daemon.c.
 */
#ifndef NUMAPLACE_DAEMON_H
#define NUMAPLACE_DAEMON_H

#include "cli.h"

struct daemon_opts {
	struct cli_host_opts host;
	double interval;
	uint64_t adopt_rss;
	double adopt_cpu; /* percent of one CPU */
	bool adopt;
	char **exclude, **only;
	unsigned nexclude, nonly;
	char *exclude_buf, *only_buf;
	struct np_rebalance_params params;
	const char *state_dir;
	bool once, dry_run;
};

/* The defaults of the configuration file (docs/config.md), before the flags. */
int daemon_config_defaults(struct daemon_opts *o);
/* The flags into `o`: 0, 1 after --help, or -(exit status) after an error. */
int daemon_parse(int argc, char **argv, struct daemon_opts *o);

#endif
