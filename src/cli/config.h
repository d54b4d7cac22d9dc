/*
 * config.h - the host configuration file (/etc/numaplace/numaplace.conf, docs/config.md): the
 * defaults every command and the daemon start from. Read once per invocation, before the
 * command runs; command-line flags then override what it says.
 */
#ifndef NUMAPLACE_CONFIG_H
#define NUMAPLACE_CONFIG_H

#include "numaplace.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_CONFIG_DEFAULT_PATH "/etc/numaplace/numaplace.conf"

/* Every key of the file, in the order `numaplace config` prints them. */
enum cli_config_key {
	CLI_KEY_STRATEGY,
	CLI_KEY_MEM_POLICY,
	CLI_KEY_CPU_BINDING,
	CLI_KEY_RESERVED_CPUS,
	CLI_KEY_STATE_DIR,
	CLI_KEY_INTERVAL,
	CLI_KEY_MIN_GAP,
	CLI_KEY_MIN_IMPROVEMENT,
	CLI_KEY_ADOPT_THRESHOLD,
	CLI_KEY_EXCLUDE,
	CLI_KEY_ADOPT_ONLY,
	CLI_KEY_ADOPT_CGROUPS,
	CLI_KEY_COUNT_
};

/* Where a setting in force came from. */
enum cli_config_origin {
	CLI_ORIGIN_BUILTIN = 0,
	CLI_ORIGIN_FILE,        /* the file, at line[key] */
	CLI_ORIGIN_ENVIRONMENT, /* state-dir from NUMAPLACE_STATE_DIR */
};

struct cli_config {
	const char *path; /* the file named (default, --config or NUMAPLACE_CONFIG); NULL: none */
	const char *named_by; /* "built-in", "--config" or "NUMAPLACE_CONFIG" */
	bool read;            /* the file existed and was read */
	/* [placement] */
	enum np_strategy strategy;
	enum np_mem_policy mem_policy;
	enum np_cpu_binding cpu_binding;
	hwloc_bitmap_t reserved_cpus; /* NULL or empty: none */
	/* [ledger] */
	char *state_dir; /* NULL: the built-in choice (docs/ledger.md) */
	/* [daemon] */
	double interval; /* seconds */
	int64_t min_gap; /* seconds */
	double min_improvement;
	bool adopt; /* adopt-threshold given */
	uint64_t adopt_rss;
	double adopt_cpu;              /* percent of one CPU */
	char *exclude, *adopt_only;    /* comma-separated names as written; NULL: none */
	char *adopt_cgroups;           /* comma-separated group patterns as written; NULL: none */
	unsigned line[CLI_KEY_COUNT_]; /* line of each key in the file; 0: not in it */
};

/*
 * Read the configuration for this invocation: `flag_path` (--config FILE, NULL when not
 * given), else $NUMAPLACE_CONFIG (empty: no file at all), else CLI_CONFIG_DEFAULT_PATH, which
 * may be missing (the built-in defaults). A file named by --config or the environment must
 * exist. Prints the error ("FILE:LINE: ..." for a bad line); returns 0 or EXIT_FAIL, and on
 * failure the settings in force stay the built-in ones.
 */
int cli_config_load(const char *flag_path);

/*
 * The pieces of cli_config_load(), for the fuzz target: the built-in settings into `c`; the
 * text of `f` (named `path` in the messages) into `c`, which holds the settings the file
 * starts from (printing the first error; returns 0 or EXIT_FAIL, `c` then partly changed);
 * and freeing what `c` holds.
 */
void cli_config_defaults(struct cli_config *c);
int cli_config_parse(FILE *f, const char *path, struct cli_config *c);
void cli_config_release(struct cli_config *c);

/* The settings in force: the built-in defaults until cli_config_load() succeeds. */
const struct cli_config *cli_config(void);

/* Section and name of a key ("placement", "strategy"). */
const char *cli_config_section(enum cli_config_key k);
const char *cli_config_name(enum cli_config_key k);
/* The value of a key in force as the file would spell it; caller frees. NULL: no memory. */
char *cli_config_value(const struct cli_config *c, enum cli_config_key k);
/* Where key `k` came from (state-dir: the environment when NUMAPLACE_STATE_DIR is set). */
enum cli_config_origin cli_config_origin_of(const struct cli_config *c, enum cli_config_key k);

/* The shared value parsers, for the daemon's flags and the file. Return 0 or -EINVAL. */
int cli_parse_seconds(const char *s, double min, double *ret);
int cli_parse_threshold(const char *s, uint64_t *ret_rss, double *ret_cpu);

#endif /* NUMAPLACE_CONFIG_H */
