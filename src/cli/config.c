/*
 * config.c - the host configuration file, read with libinih (docs/config.md).
 *
 * inih calls on_key() for every "key = value" with its section; the lines come through
 * read_line(), which counts them (so that every message names its line), strips leading
 * blanks (an indented key is a key, never inih's continuation of the previous value) and
 * refuses lines longer than inih's buffer. Every value is checked as it is read, into a copy
 * of the settings: the settings in force change only when the whole file is good.
 */
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *section, *name;
} keys[CLI_KEY_COUNT_] = {
    [CLI_KEY_STRATEGY] = {"placement", "strategy"},
    [CLI_KEY_MEM_POLICY] = {"placement", "mem-policy"},
    [CLI_KEY_CPU_BINDING] = {"placement", "cpu-binding"},
    [CLI_KEY_RESERVED_CPUS] = {"placement", "reserved-cpus"},
    [CLI_KEY_STATE_DIR] = {"ledger", "state-dir"},
    [CLI_KEY_INTERVAL] = {"daemon", "interval"},
    [CLI_KEY_MIN_GAP] = {"daemon", "min-gap"},
    [CLI_KEY_MIN_IMPROVEMENT] = {"daemon", "min-improvement"},
    [CLI_KEY_ADOPT_THRESHOLD] = {"daemon", "adopt-threshold"},
    [CLI_KEY_EXCLUDE] = {"daemon", "exclude"},
    [CLI_KEY_ADOPT_ONLY] = {"daemon", "adopt-only"},
    [CLI_KEY_ADOPT_CGROUPS] = {"daemon", "adopt-cgroups"},
};

static struct cli_config current;
static bool current_set;

void cli_config_defaults(struct cli_config *c)
{
	struct np_search_opts so;
	struct np_rebalance_params rp;

	memset(c, 0, sizeof(*c));
	np_search_opts_init(&so);
	np_rebalance_params_init(&rp);
	c->named_by = "built-in";
	c->strategy = so.strategy;
	c->mem_policy = NP_MEM_POLICY_DEFAULT;
	c->cpu_binding = NP_CPU_BINDING_STRICT;
	c->interval = 15;
	c->min_gap = rp.min_gap;
	c->min_improvement = rp.min_improvement;
}

void cli_config_release(struct cli_config *c)
{
	hwloc_bitmap_free(c->reserved_cpus);
	free(c->state_dir);
	free(c->exclude);
	free(c->adopt_only);
	free(c->adopt_cgroups);
	memset(c, 0, sizeof(*c));
}

const struct cli_config *cli_config(void)
{
	if (!current_set) {
		cli_config_defaults(&current);
		current_set = true;
	}
	return &current;
}

const char *cli_config_section(enum cli_config_key k)
{
	return keys[k].section;
}

const char *cli_config_name(enum cli_config_key k)
{
	return keys[k].name;
}

int cli_parse_seconds(const char *s, double min, double *ret)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (*s < '0' || *s > '9' || *end || errno || !(d >= min && d <= 86400))
		return -EINVAL;
	*ret = d;
	return 0;
}

int cli_parse_threshold(const char *s, uint64_t *ret_rss, double *ret_cpu)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	char rss[64], *end;
	uint64_t bytes;
	double cpu = 0;

	if (n == 0 || n >= sizeof(rss))
		return -EINVAL;
	memcpy(rss, s, n);
	rss[n] = '\0';
	if (np_size_parse(rss, &bytes) < 0)
		return -EINVAL;
	if (colon) {
		errno = 0;
		cpu = strtod(colon + 1, &end);
		if (colon[1] < '0' || colon[1] > '9' || (*end && strcmp(end, "%")) || errno ||
		    !(cpu <= 100000))
			return -EINVAL;
	}
	*ret_rss = bytes;
	*ret_cpu = cpu;
	return 0;
}

/* A comma-separated list of names without empty ones. */
static bool names_ok(const char *s)
{
	return *s && *s != ',' && s[strlen(s) - 1] != ',' && !strstr(s, ",,");
}

static int set_string(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * Check `v` for key `k` and store it in `c`. Returns 0, -ENOMEM, or -EINVAL with what a
 * valid value looks like in `why`.
 */
static int set_value(struct cli_config *c, enum cli_config_key k, const char *v, const char **why)
{
	char **dst;
	double d;

	*why = NULL;
	/* an empty list or threshold is "none"; every other key needs a value */
	if (*v == '\0' && k != CLI_KEY_RESERVED_CPUS && k != CLI_KEY_ADOPT_THRESHOLD &&
	    k != CLI_KEY_EXCLUDE && k != CLI_KEY_ADOPT_ONLY && k != CLI_KEY_ADOPT_CGROUPS) {
		*why = "needs a value";
		return -EINVAL;
	}
	switch (k) {
	case CLI_KEY_STRATEGY:
		*why = "unknown (compact, xen, numad, first-fit, spread, exhaustive)";
		return np_strategy_parse(v, &c->strategy) < 0 ? -EINVAL : 0;
	case CLI_KEY_MEM_POLICY:
		*why = "expected default, preferred, bind, interleave or none";
		return np_mem_policy_parse(v, &c->mem_policy) < 0 ? -EINVAL : 0;
	case CLI_KEY_CPU_BINDING:
		*why = "expected strict, none or exclusive";
		return np_cpu_binding_parse(v, &c->cpu_binding) < 0 ? -EINVAL : 0;
	case CLI_KEY_RESERVED_CPUS:
		*why = "not a CPU list (e.g. 0-1,48-49)";
		if (!c->reserved_cpus && !(c->reserved_cpus = hwloc_bitmap_alloc()))
			return -ENOMEM;
		if (*v == '\0') {
			hwloc_bitmap_zero(c->reserved_cpus);
			return 0;
		}
		return np_list_parse(v, 1u << 20, c->reserved_cpus) < 0 ? -EINVAL : 0;
	case CLI_KEY_STATE_DIR:
		*why = "must be an absolute path";
		return *v != '/' ? -EINVAL : set_string(&c->state_dir, v);
	case CLI_KEY_INTERVAL:
		*why = "a number of seconds from 0.05 to 86400";
		return cli_parse_seconds(v, 0.05, &c->interval);
	case CLI_KEY_MIN_GAP:
		*why = "a number of seconds from 0 to 86400";
		if (cli_parse_seconds(v, 0, &d) < 0)
			return -EINVAL;
		c->min_gap = (int64_t)d;
		return 0;
	case CLI_KEY_MIN_IMPROVEMENT:
		*why = "a number from 0 to 1";
		return cli_parse_seconds(v, 0, &d) < 0 || d > 1 ? -EINVAL
		                                                : (c->min_improvement = d, 0);
	case CLI_KEY_ADOPT_THRESHOLD:
		*why = "expected RSS[:CPU%], e.g. 1G:50 (empty: adopt nothing)";
		c->adopt = *v != '\0';
		return c->adopt ? cli_parse_threshold(v, &c->adopt_rss, &c->adopt_cpu) : 0;
	case CLI_KEY_EXCLUDE:
	case CLI_KEY_ADOPT_ONLY:
		*why = "expected NAME,... (process names as ps -o comm shows them)";
		dst = k == CLI_KEY_EXCLUDE ? &c->exclude : &c->adopt_only;
		if (*v == '\0') {
			free(*dst);
			*dst = NULL;
			return 0;
		}
		return names_ok(v) ? set_string(dst, v) : -EINVAL;
	case CLI_KEY_ADOPT_CGROUPS:
		*why = "expected GLOB,... (group paths relative to the cgroup2 mount, e.g. "
		       "machine.slice/*)";
		if (*v == '\0') {
			free(c->adopt_cgroups);
			c->adopt_cgroups = NULL;
			return 0;
		}
		return names_ok(v) && *v != '/' && !strstr(v, ",/")
		           ? set_string(&c->adopt_cgroups, v)
		           : -EINVAL;
	default:
		return -EINVAL;
	}
}

struct parse_state {
	struct cli_config *c;
	const char *path;
	FILE *f;
	char *buf;
	size_t cap;
	unsigned lineno;
	unsigned err_line; /* line of the first error found (0: none) */
	char err[512];
	bool oom;
};

static void parse_error(struct parse_state *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void parse_error(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err_line)
		return;
	ps->err_line = ps->lineno;
	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof(ps->err), fmt, ap);
	va_end(ap);
}

static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	ssize_t n = getline(&ps->buf, &ps->cap, ps->f);
	const char *p;
	size_t len;

	if (n < 0)
		return NULL;
	ps->lineno++;
	p = ps->buf + strspn(ps->buf, " \t");
	len = (size_t)n - (size_t)(p - ps->buf);
	str[0] = '\0';
	if (memchr(p, '\0', len))
		parse_error(ps, "a NUL byte: not a text file");
	else if (len + 2 > (size_t)num)
		parse_error(ps, "line too long (at most %d characters)", num - 3);
	else
		memcpy(str, p, len + 1);
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	bool section_known = false;
	const char *why;
	int r;

	for (unsigned k = 0; k < CLI_KEY_COUNT_; k++) {
		section_known |= strcmp(section, keys[k].section) == 0;
		if (strcmp(section, keys[k].section) || strcmp(name, keys[k].name))
			continue;
		if (ps->c->line[k]) {
			parse_error(ps, "%s: already set on line %u", name, ps->c->line[k]);
			return 0;
		}
		r = set_value(ps->c, (enum cli_config_key)k, value, &why);
		if (r == -ENOMEM)
			ps->oom = true;
		if (r < 0) {
			parse_error(ps, "%s '%s': %s", name, value, why ? why : strerror(-r));
			return 0;
		}
		ps->c->line[k] = ps->lineno;
		return 1;
	}
	if (!*section)
		parse_error(ps,
		            "'%s' before any section: put it under [placement], [ledger] or "
		            "[daemon]",
		            name);
	else if (section_known)
		parse_error(ps, "unknown key '%s' in [%s]", name, section);
	else
		parse_error(ps,
		            "unknown section [%s] (key '%s'): expected [placement], [ledger] "
		            "or [daemon]",
		            section, name);
	return 0;
}

/*
 * Run as root, numaplace takes its policy only from a file that root alone could have
 * written, as sudo and sshd do: the file and its directory owned by root and not writable by
 * group or others. `dir` names the directory when `st` is its, NULL for the file itself.
 */
static int check_owner(const struct stat *st, const char *dir, const char *path)
{
	char what[PATH_MAX + 32] = "";

	if (dir)
		snprintf(what, sizeof(what), ": its directory '%s'", dir);
	if (st->st_uid != 0) {
		cli_error("the configuration '%s'%s is owned by uid %u, not root: refused when "
		          "running as root",
		          path, what, (unsigned)st->st_uid);
		return EXIT_FAIL;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		cli_error("the configuration '%s'%s is writable by group or others (mode %04o): "
		          "refused when running as root",
		          path, what, (unsigned)(st->st_mode & 07777));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Open `path` for reading and check it. *ret_f = NULL and 0 for a missing optional file. */
static int open_checked(const char *path, bool must_exist, FILE **ret_f)
{
	char *dir = NULL, *slash;
	struct stat st;
	int fd, r = EXIT_FAIL;

	*ret_f = NULL;
	/* O_NONBLOCK: a FIFO named as the file must not hang the command (refused below) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return EXIT_OK;
		cli_error("cannot read the configuration '%s': %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (fstat(fd, &st) < 0) {
		cli_error("cannot read the configuration '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_error("cannot read the configuration '%s': %s", path,
		          S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		goto out;
	}
	if (geteuid() == 0) {
		if (check_owner(&st, NULL, path))
			goto out;
		dir = strdup(path);
		if (!dir) {
			cli_error("out of memory");
			goto out;
		}
		slash = strrchr(dir, '/');
		if (!slash)
			strcpy(dir, ".");
		else
			slash[slash == dir] = '\0';
		if (stat(dir, &st) < 0) {
			cli_error("cannot read the directory '%s' of the configuration '%s': %s",
			          dir, path, strerror(errno));
			goto out;
		}
		if (check_owner(&st, dir, path))
			goto out;
	}
	*ret_f = fdopen(fd, "r");
	if (!*ret_f) {
		cli_error("cannot read the configuration '%s': %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	r = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return r;
}

int cli_config_parse(FILE *f, const char *path, struct cli_config *c)
{
	struct parse_state ps = {.c = c, .path = path, .f = f};
	int r = ini_parse_stream(read_line, &ps, on_key, &ps);

	if (ferror(f)) {
		cli_error("cannot read the configuration '%s': %s", path, strerror(EIO));
		r = EXIT_FAIL;
	} else if (ps.oom || r == -2) {
		cli_error("out of memory");
		r = EXIT_FAIL;
	} else if (r > 0 && (!ps.err_line || (unsigned)r < ps.err_line)) {
		cli_error("%s:%d: not 'key = value', a [section] or a comment", path, r);
		r = EXIT_FAIL;
	} else if (r != 0 || ps.err_line) {
		cli_error("%s:%u: %s", path, ps.err_line, ps.err);
		r = EXIT_FAIL;
	}
	free(ps.buf);
	return r;
}

int cli_config_load(const char *flag_path)
{
	struct cli_config c;
	const char *path = flag_path, *env;
	bool must_exist = true;
	FILE *f = NULL;
	int r;

	cli_config_defaults(&c);
	if (flag_path) {
		/* set-uid, the caller must not choose a file for numaplace to read (and quote) */
		if (getauxval(AT_SECURE)) {
			cli_error("--config is not taken from the caller of a set-uid numaplace");
			return EXIT_FAIL;
		}
		c.named_by = "--config";
	} else if ((env = secure_getenv("NUMAPLACE_CONFIG")) != NULL) {
		path = *env ? env : NULL;
		c.named_by = "NUMAPLACE_CONFIG";
	} else {
		path = CLI_CONFIG_DEFAULT_PATH;
		must_exist = false;
	}
	c.path = path;
	if (!path)
		goto done;
	r = open_checked(path, must_exist, &f);
	if (r)
		return r;
	if (!f)
		goto done;
	r = cli_config_parse(f, path, &c);
	fclose(f);
	if (r) {
		cli_config_release(&c);
		return r;
	}
	c.read = true;
done:
	if (current_set)
		cli_config_release(&current);
	current = c;
	current_set = true;
	return EXIT_OK;
}

enum cli_config_origin cli_config_origin_of(const struct cli_config *c, enum cli_config_key k)
{
	const char *env;

	if (k == CLI_KEY_STATE_DIR && (env = secure_getenv("NUMAPLACE_STATE_DIR")) && *env)
		return CLI_ORIGIN_ENVIRONMENT;
	return c->line[k] ? CLI_ORIGIN_FILE : CLI_ORIGIN_BUILTIN;
}

/* The state directory a command uses when no --state-dir is given (docs/ledger.md). */
static char *state_dir_value(const struct cli_config *c)
{
	const char *env = secure_getenv("NUMAPLACE_STATE_DIR");
	char *s = NULL;

	if (env && *env)
		return strdup(env);
	if (c->state_dir)
		return strdup(c->state_dir);
	if (geteuid() == 0)
		return strdup("/run/numaplace");
	env = secure_getenv("XDG_RUNTIME_DIR");
	if (!env || *env != '/')
		return strdup("");
	return asprintf(&s, "%s/numaplace", env) < 0 ? NULL : s;
}

char *cli_config_value(const struct cli_config *c, enum cli_config_key k)
{
	char *s = NULL, sz[32];
	int n = 0;

	switch (k) {
	case CLI_KEY_STRATEGY:
		return strdup(np_strategy_name(c->strategy));
	case CLI_KEY_MEM_POLICY:
		return strdup(np_mem_policy_name(c->mem_policy));
	case CLI_KEY_CPU_BINDING:
		return strdup(np_cpu_binding_name(c->cpu_binding));
	case CLI_KEY_RESERVED_CPUS:
		return c->reserved_cpus ? cli_list_string(c->reserved_cpus) : strdup("");
	case CLI_KEY_STATE_DIR:
		return state_dir_value(c);
	case CLI_KEY_INTERVAL:
		n = asprintf(&s, "%g", c->interval);
		break;
	case CLI_KEY_MIN_GAP:
		n = asprintf(&s, "%lld", (long long)c->min_gap);
		break;
	case CLI_KEY_MIN_IMPROVEMENT:
		n = asprintf(&s, "%g", c->min_improvement);
		break;
	case CLI_KEY_ADOPT_THRESHOLD:
		if (!c->adopt)
			return strdup("");
		n = asprintf(&s, "%s:%g", np_size_format(c->adopt_rss, sz, sizeof(sz)),
		             c->adopt_cpu);
		break;
	case CLI_KEY_EXCLUDE:
		return strdup(c->exclude ? c->exclude : "");
	case CLI_KEY_ADOPT_ONLY:
		return strdup(c->adopt_only ? c->adopt_only : "");
	case CLI_KEY_ADOPT_CGROUPS:
		return strdup(c->adopt_cgroups ? c->adopt_cgroups : "");
	default:
		return NULL;
	}
	return n < 0 ? NULL : s;
}
