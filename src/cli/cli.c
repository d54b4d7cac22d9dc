/* cli.c - helpers shared by the numaplace(1) commands. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "numaplace: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "numaplace %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'numaplace %s --help'\n", cmd);
	return EXIT_USAGE;
}

const char *cli_opt_value(const char *cmd, const char *name, int argc, char **argv, int *i,
			  int *ret_err)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	*ret_err = 0;
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*ret_err = cli_usage_error(cmd, "option '%s' needs a value", name);
		return NULL;
	}
	*i += 1;
	return argv[*i];
}

const char cli_host_options_help[] =
	"Host source (default: this machine):\n"
	"  --topology FILE.xml   an hwloc XML topology (what 'lstopo FILE.xml' exports)\n"
	"  --synthetic DESC      an hwloc synthetic topology, e.g.\n"
	"                        \"pack:2 [numa(memory=64GiB)] core:16 pu:2\"\n"
	"  --sysfs-root DIR      a captured sysfs tree (DIR/sys/devices/system/node/...)\n"
	"  --whole-system        include CPUs and nodes this process may not use (cgroup)\n"
	"  --memfree-only        free memory = MemFree (default: MemFree + Inactive(file))\n";

int cli_host_option(const char *cmd, int argc, char **argv, int *i, struct cli_host_opts *o)
{
	static const struct {
		const char *name;
		enum np_source_kind kind;
	} sources[] = {
		{"--topology", NP_SOURCE_XML},
		{"--synthetic", NP_SOURCE_SYNTHETIC},
		{"--sysfs-root", NP_SOURCE_SYSFS},
	};
	const char *a = argv[*i];
	int err;

	if (strcmp(a, "--whole-system") == 0) {
		o->src.flags |= NP_HOST_WHOLE_SYSTEM;
		return 1;
	}
	if (strcmp(a, "--memfree-only") == 0) {
		o->src.flags |= NP_HOST_MEMFREE_ONLY;
		return 1;
	}
	for (size_t k = 0; k < sizeof(sources) / sizeof(sources[0]); k++) {
		const char *v = cli_opt_value(cmd, sources[k].name, argc, argv, i, &err);

		if (err)
			return -err;
		if (!v)
			continue;
		if (o->source_given)
			return -cli_usage_error(cmd, "give at most one of --topology, "
						     "--synthetic and --sysfs-root");
		if (*v == '\0')
			return -cli_usage_error(cmd, "option '%s' needs a non-empty value",
						sources[k].name);
		o->src.kind = sources[k].kind;
		o->src.arg = v;
		o->source_given = true;
		return 1;
	}
	return 0;
}

int cli_host_read(const struct np_source *src, np_host **ret_host)
{
	hwloc_const_cpuset_t reserved = cli_config()->reserved_cpus;
	np_host *h = NULL;
	int r = np_host_load(src, &h);

	if (r == 0 && reserved && (r = np_host_reserve(h, reserved)) == 0 && !np_host_ncpus(h))
		r = -ENODEV; /* every usable CPU reserved: nothing could run placed */
	if (r == 0)
		*ret_host = h;
	else
		np_host_free(h);
	return r;
}

/*
 * Say what the library assumed about CPUs that several nodes list (firmware that gives every
 * node the same CPUs): the data is in the snapshot, the words are the CLI's.
 */
static void warn_shared_cpus(const np_host *h)
{
	hwloc_const_cpuset_t shared = np_host_shared_cpuset(h);
	hwloc_bitmap_t listing = hwloc_bitmap_alloc(), losing = hwloc_bitmap_alloc();
	char *cpus = NULL, *all = NULL, *lost = NULL;

	if (hwloc_bitmap_iszero(shared) || !listing || !losing)
		goto out;
	for (unsigned i = 0; i < np_host_nnodes(h); i++) {
		const struct np_node *n = np_host_node(h, i);

		if (hwloc_bitmap_intersects(n->cpuset, shared))
			hwloc_bitmap_set(listing, n->id);
		if (!hwloc_bitmap_iszero(n->shared_cpuset)) {
			hwloc_bitmap_set(listing, n->id);
			hwloc_bitmap_set(losing, n->id);
		}
	}
	cpus = cli_list_string(shared);
	all = cli_list_string(listing);
	lost = cli_list_string(losing);
	if (cpus && all && lost)
		cli_warn("CPUs %s are listed by more than one node (nodes %s); assumed: each "
			 "belongs to the lowest node listing it, nodes %s keep their memory without "
			 "them",
			 cpus, all, lost);
out:
	free(cpus);
	free(all);
	free(lost);
	hwloc_bitmap_free(listing);
	hwloc_bitmap_free(losing);
}

int cli_host_load(const struct cli_host_opts *o, np_host **ret_host)
{
	static const char *const what[] = {"this host", "topology", "synthetic topology",
					   "sysfs root"};
	int r = cli_host_read(&o->src, ret_host);
	const char *detail;

	if (r == 0) {
		warn_shared_cpus(*ret_host);
		return EXIT_OK;
	}
	detail = np_last_error();
	if (r == -ENODEV && !*detail) {
		cli_error("every usable CPU of %s is reserved (reserved-cpus, %s:%u)",
			  o->src.kind == NP_SOURCE_LIVE ? what[0] : o->src.arg, cli_config()->path,
			  cli_config()->line[CLI_KEY_RESERVED_CPUS]);
		return EXIT_FAIL;
	}
	/* The library's message names the file or description and what is wrong with it. */
	if (o->src.kind == NP_SOURCE_LIVE)
		cli_error("cannot read %s: %s", what[0], *detail ? detail : strerror(-r));
	else if (*detail)
		cli_error("%s", detail);
	else
		cli_error("cannot load %s '%s': %s", what[o->src.kind], o->src.arg, strerror(-r));
	return EXIT_FAIL;
}

int cli_parse_size(const char *cmd, const char *opt, const char *s, uint64_t *ret)
{
	int r = np_size_parse(s, ret);

	if (r == -ERANGE)
		return cli_usage_error(cmd, "%s '%s': size too large (at most 16 EiB less one byte)",
				       opt, s);
	if (r < 0)
		return cli_usage_error(cmd,
				       "%s '%s': not a size (a number and a binary unit: "
				       "512M, 4G, 1.5T, 64GiB)",
				       opt, s);
	return EXIT_OK;
}

int cli_parse_uint(const char *cmd, const char *opt, const char *s, unsigned min, unsigned max,
		   unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return cli_usage_error(cmd, "%s '%s': not a whole number", opt, s);
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		return cli_usage_error(cmd, "%s '%s': not a whole number", opt, s);
	if (errno == ERANGE || v < min || v > max)
		return cli_usage_error(cmd, "%s '%s': must be between %u and %u", opt, s, min, max);
	*ret = (unsigned)v;
	return EXIT_OK;
}

char *cli_list_string(hwloc_const_bitmap_t set)
{
	char *s = NULL;

	if (hwloc_bitmap_iszero(set))
		return strdup("");
	if (hwloc_bitmap_list_asprintf(&s, set) < 0)
		return NULL;
	return s;
}

char *cli_quote(const char *s, size_t max)
{
	size_t n = strlen(s), shown = n > max ? max : n, cap = 4 * shown + 48, len = 0;
	char *q = malloc(cap);

	if (!q)
		return NULL;
	/* Not in the middle of a UTF-8 sequence. */
	while (shown < n && shown > 0 && ((unsigned char)s[shown] & 0xc0) == 0x80)
		shown--;
	q[len++] = '\'';
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			len += (size_t)snprintf(q + len, cap - len, "\\n");
		else if (c == '\t')
			len += (size_t)snprintf(q + len, cap - len, "\\t");
		else if (c == '\'' || c == '\\')
			len += (size_t)snprintf(q + len, cap - len, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			len += (size_t)snprintf(q + len, cap - len, "\\x%02x", c);
		else
			q[len++] = (char)c;
	}
	q[len++] = '\'';
	q[len] = '\0';
	if (shown < n)
		snprintf(q + len, cap - len, "... (%zu bytes)", n);
	return q;
}

void cli_json_exclusive(json_t *j, hwloc_const_cpuset_t exclusive)
{
	char *cpus;

	if (!exclusive || hwloc_bitmap_iszero(exclusive))
		return;
	cpus = cli_list_string(exclusive);
	json_object_set_new(j, "exclusive_cpus", json_string(cpus ? cpus : ""));
	free(cpus);
}

json_t *cli_json_int_array(hwloc_const_bitmap_t set)
{
	json_t *a = json_array();
	int id;

	if (!a)
		return NULL;
	hwloc_bitmap_foreach_begin(id, set)
	{
		json_array_append_new(a, json_integer(id));
	}
	hwloc_bitmap_foreach_end();
	return a;
}

/* The document with "version" first, then the keys of `j` in their order; NULL on ENOMEM. */
static json_t *json_versioned(json_t *j)
{
	json_t *doc = json_object();

	if (doc && json_object_set_new(doc, "version", json_integer(CLI_JSON_VERSION)) == 0 &&
	    json_object_update(doc, j) == 0)
		return doc;
	json_decref(doc);
	return NULL;
}

int cli_json_print(json_t *j, bool compact)
{
	json_t *doc = j && json_is_object(j) ? json_versioned(j) : NULL;
	char *s;

	json_decref(j);
	j = doc;
	if (!j) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	s = json_dumps(j, (compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER |
				  JSON_REAL_PRECISION(6));
	json_decref(j);
	if (!s) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	puts(s);
	free(s);
	return EXIT_OK;
}

void cli_request_opts_init(struct cli_request_opts *o)
{
	memset(o, 0, sizeof(*o));
	np_search_opts_init(&o->search);
	o->search.strategy = cli_config()->strategy;
	o->keep = 5;
}

const char cli_request_options_help[] =
	"Request:\n"
	"  --memory SIZE         memory the workload needs: 512M, 4G, 1.5T, 64GiB\n"
	"                        (binary units K to E; a number without a unit is an error)\n"
	"  --vcpus N             CPUs the workload runs on (default 1)\n"
	"  --strategy NAME       compact (default), xen, numad, first-fit, spread, exhaustive\n"
	"                        (another default: strategy in numaplace.conf, docs/config.md)\n"
	"  --min-nodes N         at least N nodes (default: automatic)\n"
	"  --max-nodes N         at most N nodes (default: no limit)\n"
	"  --nodes LIST          only these nodes, kernel list syntax (0-3,8)\n"
	"  --cpus LIST           only these CPUs\n"
	"  --hugepages COUNTxSIZE  huge pages the nodes must have free, e.g. 512x2M\n"
	"  --near DEVICE         the nodes chosen must hold DEVICE's node (repeatable): a PCI\n"
	"                        address, an interface or block device name, a /dev path or a\n"
	"                        GPU index (gpu0, 0); numaplace info --devices lists them\n"
	"  --near-prefer DEVICE  prefer nodes close to DEVICE's node (repeatable)\n"
	"  --memory-spill TIER   let the memory overflow onto nodes without CPUs of this kind\n"
	"                        or tier (far, cxl, hbm, gpu, or a tier number) before a\n"
	"                        remote DRAM node\n"
	"  --memory-kind KIND    dram: memory on DRAM nodes only; hbm: memory on the HBM\n"
	"                        nodes closest to the CPUs chosen (none on this host: no\n"
	"                        placement fits); any (default): every kind\n";

static int parse_hugepages(const char *cmd, const char *v, struct cli_request_opts *o)
{
	const char *x = strchr(v, 'x');
	char num[32];
	unsigned count;

	if (!x || x == v || (size_t)(x - v) >= sizeof(num))
		return cli_usage_error(cmd, "--hugepages '%s': expected COUNTxSIZE, e.g. 512x2M", v);
	memcpy(num, v, (size_t)(x - v));
	num[x - v] = '\0';
	if (cli_parse_uint(cmd, "--hugepages", num, 1, UINT_MAX, &count))
		return EXIT_USAGE;
	if (cli_parse_size(cmd, "--hugepages", x + 1, &o->hugepage_size))
		return EXIT_USAGE;
	o->hugepage_count = count;
	return EXIT_OK;
}

/* "0", "00", "0.0": a zero written without a unit. */
static bool is_zero(const char *s)
{
	bool digit = *s == '0';

	while (*s == '0')
		s++;
	if (*s == '.' && digit)
		for (s++; *s == '0'; s++)
			;
	return digit && *s == '\0';
}

int cli_request_option(const char *cmd, int argc, char **argv, int *i, struct cli_request_opts *o)
{
	const char *v;
	int err;

#define VALUE(name) (v = cli_opt_value(cmd, name, argc, argv, i, &err), err ? -err : v != NULL)
	if ((err = VALUE("--memory")) != 0) {
		if (err < 0)
			return -EXIT_USAGE;
		if (is_zero(v) || (np_size_parse(v, &o->memory) == 0 && o->memory == 0))
			return -cli_usage_error(cmd, "--memory '%s': must be greater than 0", v);
		if (cli_parse_size(cmd, "--memory", v, &o->memory))
			return -EXIT_USAGE;
		o->memory_given = true;
		return 1;
	}
	if ((err = VALUE("--vcpus")) != 0)
		return err < 0 || cli_parse_uint(cmd, "--vcpus", v, 1, 1u << 20, &o->vcpus)
			       ? -EXIT_USAGE
			       : 1;
	if ((err = VALUE("--min-nodes")) != 0)
		return err < 0 || cli_parse_uint(cmd, "--min-nodes", v, 1, 1u << 16, &o->min_nodes)
			       ? -EXIT_USAGE
			       : 1;
	if ((err = VALUE("--max-nodes")) != 0)
		return err < 0 || cli_parse_uint(cmd, "--max-nodes", v, 1, 1u << 16, &o->max_nodes)
			       ? -EXIT_USAGE
			       : 1;
	if ((err = VALUE("--keep")) != 0)
		return err < 0 || cli_parse_uint(cmd, "--keep", v, 1, 1000, &o->keep) ? -EXIT_USAGE
										      : 1;
	if ((err = VALUE("--strategy")) != 0) {
		if (err < 0)
			return -EXIT_USAGE;
		if (np_strategy_parse(v, &o->search.strategy) < 0)
			return -cli_usage_error(cmd,
						"--strategy '%s': unknown (compact, xen, numad, "
						"first-fit, spread, exhaustive)",
						v);
		return 1;
	}
	if ((err = VALUE("--nodes")) != 0) {
		if (err < 0)
			return -EXIT_USAGE;
		o->nodes = v;
		return 1;
	}
	if ((err = VALUE("--cpus")) != 0) {
		if (err < 0)
			return -EXIT_USAGE;
		o->cpus = v;
		return 1;
	}
	if ((err = VALUE("--hugepages")) != 0)
		return err < 0 || parse_hugepages(cmd, v, o) ? -EXIT_USAGE : 1;
#undef VALUE
	err = cli_memory_option(cmd, argc, argv, i, &o->mem);
	return err ? err : cli_near_option(cmd, argc, argv, i, &o->near);
}

/* Whether the CPUs `bad` asked for are all among the configuration's reserved ones. */
static bool reserved_only(hwloc_const_bitmap_t bad, const char *what)
{
	hwloc_const_cpuset_t r = cli_config()->reserved_cpus;

	return strcmp(what, "CPU") == 0 && r && hwloc_bitmap_isincluded(bad, r);
}

/* Parse `list` for option `opt` and check it against what the host has. */
static int parse_host_list(const char *cmd, const char *opt, const char *list,
			   hwloc_const_bitmap_t have, const char *what, hwloc_bitmap_t set)
{
	int r;

	r = np_list_parse(list, 1u << 20, set);
	if (r < 0)
		return cli_usage_error(cmd, "%s '%s': not a %s list (e.g. 0-3,8)", opt, list, what);
	if (!hwloc_bitmap_isincluded(set, have)) {
		hwloc_bitmap_t bad = hwloc_bitmap_alloc();
		char *b = NULL, *h = NULL;

		if (bad) {
			hwloc_bitmap_andnot(bad, set, have);
			b = cli_list_string(bad);
		}
		h = cli_list_string(have);
		if (bad && reserved_only(bad, what))
			cli_usage_error(cmd, "%s '%s': %s %s reserved (reserved-cpus, %s:%u; usable: %s)",
					opt, list, what, b ? b : "?", cli_config()->path,
					cli_config()->line[CLI_KEY_RESERVED_CPUS], h ? h : "?");
		else
			cli_usage_error(cmd,
					"%s '%s': %s %s not on this host or not usable (usable: %s)",
					opt, list, what, b ? b : "?", h ? h : "?");
		free(b);
		free(h);
		hwloc_bitmap_free(bad);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cli_request_build(const char *cmd, const np_host *host, struct cli_request_opts *o,
		      struct np_request *req, hwloc_bitmap_t sets[2])
{
	int r;

	sets[0] = sets[1] = NULL;
	np_request_init(req);
	req->memory_bytes = o->memory;
	req->vcpus = o->vcpus ? o->vcpus : 1;
	req->min_nodes = o->min_nodes;
	req->max_nodes = o->max_nodes;
	req->hugepage_size = o->hugepage_size;
	req->hugepage_count = o->hugepage_count;
	if (o->min_nodes && o->max_nodes && o->min_nodes > o->max_nodes)
		return cli_usage_error(cmd, "--min-nodes %u is more than --max-nodes %u",
				       o->min_nodes, o->max_nodes);
	if (o->nodes) {
		sets[0] = hwloc_bitmap_alloc();
		if (!sets[0] || parse_host_list(cmd, "--nodes", o->nodes, np_host_nodeset(host),
						"node", sets[0]))
			return EXIT_USAGE;
		req->allowed_nodes = sets[0];
	}
	if (o->cpus) {
		sets[1] = hwloc_bitmap_alloc();
		if (!sets[1] ||
		    parse_host_list(cmd, "--cpus", o->cpus, np_host_cpuset(host), "CPU", sets[1]))
			return EXIT_USAGE;
		req->allowed_cpus = sets[1];
	}
	r = cli_near_resolve(cmd, o->src, host, &o->near, req);
	if (r == 0)
		r = cli_memory_resolve(cmd, o->src, host, &o->mem, req);
	return r;
}

void cli_request_opts_release(struct cli_request_opts *o)
{
	cli_near_release(&o->near);
	cli_memory_release(&o->mem);
}
