/* cmd-info.c - `numaplace info [-n] [--json]`: the host as numaplace sees it. */
#include "cli.h"
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024 * 1024)

static const char info_help[] =
    "usage: numaplace info [--short | -n] [--cpus] [--devices] [--json] [--svg FILE]\n"
    "                      [--png FILE] [HOST SOURCE]\n\n"
    "Show the NUMA topology numaplace places on. Without -n (or with --short): one\n"
    "screen, as 'numactl --hardware' gives it: every node with its CPU list, size and\n"
    "free memory, and the distance matrix. With -n: the tables of 'xl info -n'\n"
    "(numa_info in MiB with the distance rows) followed by what xl lacks: the CPU list\n"
    "and huge pages of every node; on this host (no host source given) also what the\n"
    "ledger holds per node: memory claimed, of it not yet resident, the vCPUs of shared\n"
    "workloads, the workloads placed and the CPUs held exclusively ('-': none; their\n"
    "workloads' vCPUs are no shared load). xl's cpu_topology table (one line per CPU)\n"
    "comes last, with --cpus. Distances are the firmware's (SLIT) figures, 10 for a\n"
    "node to itself.\n\n"
    "  --short         the one-screen view (the default)\n"
    "  -n, --numa      print the per-node tables of 'xl info -n'\n"
    "                  (then the PCI devices by node and the memory tiers: each node's\n"
    "                  kind, kernel tier, HMAT bandwidth and latency; docs/devices.md)\n"
    "  --devices       list every PCI device: node, kind, class, local CPUs, names and\n"
    "                  the vendor and device from pci.ids\n"
    "  --cpus          also print the cpu_topology table (one line per CPU)\n"
    "  --json          print everything as one JSON document (docs/json.md)\n"
    "  --svg FILE      draw the nodes (CPUs, memory, free, claims per workload) and the\n"
    "                  distances as a heat map to FILE ('-': standard output)\n"
    "  --png FILE      the same picture as PNG\n"
    "  -h, --help      show this help\n\n";

/* A CPU set as a JSON string in list syntax ("0-1,48"). */
static json_t *list_json(hwloc_const_bitmap_t set)
{
	char *s = cli_list_string(set);
	json_t *j = json_string(s ? s : "");

	free(s);
	return j;
}

static json_t *host_json(const np_host *h)
{
	json_t *root = json_object(), *nodes = json_array(), *cpus = json_array();
	unsigned n = np_host_nnodes(h);

	if (!root || !nodes || !cpus) {
		json_decref(root);
		json_decref(nodes);
		json_decref(cpus);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);
		json_t *o = json_object(), *d = json_array(), *hp = json_array();
		char *list = cli_list_string(nd->cpuset);

		for (unsigned j = 0; j < n; j++)
			json_array_append_new(d, json_integer(np_host_distance(h, i, j)));
		for (unsigned k = 0; k < nd->nhugepages; k++) {
			const struct np_hugepages *p = &nd->hugepages[k];

			json_array_append_new(hp, json_pack("{s:I,s:I,s:I}", "size_bytes",
			                                    (json_int_t)p->size_bytes,
			                                    "total_pages", (json_int_t)p->total,
			                                    "free_pages", (json_int_t)p->free));
		}
		json_object_set_new(o, "node", json_integer(nd->id));
		json_object_set_new(o, "cpus", json_string(list ? list : ""));
		json_object_set_new(o, "memory_bytes", json_integer((json_int_t)nd->memory_bytes));
		json_object_set_new(o, "free_bytes", json_integer((json_int_t)nd->free_bytes));
		json_object_set_new(o, "distances", d);
		json_object_set_new(o, "hugepages", hp);
		json_object_set_new(o, "free_assumed", json_boolean(nd->free_assumed));
		free(list);
		list = cli_list_string(nd->shared_cpuset);
		json_object_set_new(o, "shared_cpus", json_string(list ? list : ""));
		if (nd->reserved)
			json_object_set_new(o, "reserved_cpus", list_json(nd->reserved));
		json_array_append_new(nodes, o);
		free(list);
	}
	for (unsigned i = 0; i < np_host_ncpus(h); i++) {
		const struct np_cpu *c = np_host_cpu(h, i);

		json_array_append_new(
		    cpus, json_pack("{s:i,s:o,s:o,s:i}", "cpu", c->cpu, "core",
		                    c->core < 0 ? json_null() : json_integer(c->core), "socket",
		                    c->socket < 0 ? json_null() : json_integer(c->socket), "node",
		                    c->node));
	}
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "cpu_topology", cpus);
	json_object_set_new(root, "distances_assumed", json_boolean(np_host_distances_assumed(h)));
	json_object_set_new(root, "free_assumed", json_boolean(np_host_free_assumed(h)));
	{
		char *shared = cli_list_string(np_host_shared_cpuset(h));

		json_object_set_new(root, "shared_cpus", json_string(shared ? shared : ""));
		free(shared);
	}
	if (cli_config()->reserved_cpus && !hwloc_bitmap_iszero(cli_config()->reserved_cpus))
		json_object_set_new(root, "reserved_cpus",
		                    list_json(np_host_reserved_cpuset(h)
		                                  ? np_host_reserved_cpuset(h)
		                                  : cli_config()->reserved_cpus));
	return root;
}

static void print_id(int v)
{
	if (v < 0)
		printf(" %8s", "-");
	else
		printf(" %8d", v);
}

/*
 * The configuration's reserved CPUs: those the snapshot had (no placement uses them) and
 * where the setting is; configured CPUs this host lacks are named apart.
 */
static void print_reserved(const np_host *h)
{
	const struct cli_config *c = cli_config();
	hwloc_const_cpuset_t have = np_host_reserved_cpuset(h);
	hwloc_bitmap_t absent = hwloc_bitmap_alloc();
	char *r = NULL, *a = NULL;

	if (!c->reserved_cpus || hwloc_bitmap_iszero(c->reserved_cpus) || !absent)
		goto out;
	hwloc_bitmap_copy(absent, c->reserved_cpus);
	if (have)
		hwloc_bitmap_andnot(absent, absent, have);
	r = have ? cli_list_string(have) : strdup("none");
	a = cli_list_string(absent);
	if (!r || !a)
		goto out;
	printf("reserved cpus          : %s (reserved-cpus, %s:%u)", r, c->path,
	       c->line[CLI_KEY_RESERVED_CPUS]);
	if (*a)
		printf("; %s not usable here", a);
	putchar('\n');
out:
	free(r);
	free(a);
	hwloc_bitmap_free(absent);
}

static void print_summary(const np_host *h)
{
	uint64_t mem = 0, fr = 0;
	unsigned n = np_host_nnodes(h), with_cpus = 0, with_mem = 0;
	char a[32], b[32];

	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);

		mem += nd->memory_bytes;
		fr += nd->free_bytes;
		with_cpus += nd->ncpus > 0;
		with_mem += nd->memory_bytes > 0;
	}
	printf("nodes                  : %u (%u with CPUs, %u with memory)\n", n, with_cpus,
	       with_mem);
	printf("cpus                   : %u\n", np_host_ncpus(h));
	printf("memory                 : %s (%s free)\n", np_size_format(mem, a, sizeof(a)),
	       np_size_format(fr, b, sizeof(b)));
	print_reserved(h);
}

/* One line per CPU, xl's cpu_topology. */
static void print_cpu_topology(const np_host *h)
{
	printf("cpu_topology           :\n");
	printf("cpu:    core    socket     node\n");
	for (unsigned i = 0; i < np_host_ncpus(h); i++) {
		const struct np_cpu *c = np_host_cpu(h, i);

		printf("%3u:", c->cpu);
		print_id(c->core);
		print_id(c->socket);
		printf(" %8u\n", c->node);
	}
}

static void print_assumed(const np_host *h)
{
	if (np_host_distances_assumed(h))
		printf("(no distances given by the firmware: 10 local, 20 remote assumed)\n");
	if (np_host_free_assumed(h))
		printf("(no free memory given by the source: memfree = memsize assumed)\n");
}

/*
 * xl's numa_info, in MiB as xl prints it, the units said. A distance row lists the distances
 * to every node in id order; the header names those nodes in the same order, one by one, so
 * that with ids 0,2,3 the second value is plainly node 2's.
 */
static void print_numa_info(const np_host *h)
{
	unsigned n = np_host_nnodes(h);

	printf("numa_info              :\n");
	printf("node:    memsize    memfree    distances (SLIT) to nodes ");
	for (unsigned j = 0; j < n; j++)
		printf("%s%u", j ? "," : "", np_host_node(h, j)->id);
	printf("\n%16s%11s\n", "(MiB)", "(MiB)");
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);

		printf("%4u:   %8" PRIu64 "   %8" PRIu64 "      ", nd->id, nd->memory_bytes / MIB,
		       nd->free_bytes / MIB);
		for (unsigned j = 0; j < n; j++)
			printf("%s%u", j ? "," : "", np_host_distance(h, i, j));
		putchar('\n');
	}
	print_assumed(h);
}

static void print_tables(const np_host *h)
{
	unsigned n = np_host_nnodes(h);
	bool any_hp = false;

	print_numa_info(h);
	printf("node_cpus              :\n");
	printf("node:   ncpus  cpus\n");
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);
		char *list = cli_list_string(nd->cpuset);

		printf("%4u:   %5u  %s", nd->id, nd->ncpus,
		       list && *list ? list : "(none: memory only)");
		free(list);
		list = nd->reserved ? cli_list_string(nd->reserved) : NULL;
		if (list && *list)
			printf("  (reserved: %s)", list);
		putchar('\n');
		free(list);
		any_hp |= nd->nhugepages > 0;
	}
	if (!any_hp)
		return;
	printf("hugepages              :\n");
	printf("node:       size      total       free\n");
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);

		for (unsigned k = 0; k < nd->nhugepages; k++) {
			char sz[32];

			printf("%4u: %10s %10" PRIu64 " %10" PRIu64 "\n", nd->id,
			       np_size_format(nd->hugepages[k].size_bytes, sz, sizeof(sz)),
			       nd->hugepages[k].total, nd->hugepages[k].free);
		}
	}
}

/* Free huge pages of a node, "512 x 2 MiB, 1 x 1 GiB", or "-". */
static void hugepages_text(const struct np_node *nd, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "-");
	for (unsigned k = 0; k < nd->nhugepages && used < len; k++) {
		char sz[32];

		used +=
		    (size_t)snprintf(buf + used, len - used, "%s%" PRIu64 " x %s", k ? ", " : "",
		                     nd->hugepages[k].free,
		                     np_size_format(nd->hugepages[k].size_bytes, sz, sizeof(sz)));
	}
}

static int width_max(int w, unsigned v)
{
	int d = snprintf(NULL, 0, "%u", v);

	return d > w ? d : w;
}

/*
 * The one-screen view, numactl --hardware's: a line per node (CPU list, size, free, free huge
 * pages when there are any) and the distance matrix with the node ids as headers.
 */
static void print_short(const np_host *h)
{
	unsigned n = np_host_nnodes(h), wcpus = 4;
	int wdist = 3; /* the widest node id or distance, at least 3 */
	bool any_hp = false;

	for (unsigned i = 0; i < n; i++) {
		char *list = cli_list_string(np_host_node(h, i)->cpuset);

		wdist = width_max(wdist, np_host_node(h, i)->id);
		for (unsigned j = 0; j < n; j++)
			wdist = width_max(wdist, np_host_distance(h, i, j));
		if (list && strlen(list) > wcpus)
			wcpus = (unsigned)strlen(list);
		free(list);
		any_hp |= np_host_node(h, i)->nhugepages > 0;
	}
	printf("node  %-*s  %10s  %10s%s\n", (int)wcpus, "cpus", "size", "free",
	       any_hp ? "  free huge pages" : "");
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);
		char *list = cli_list_string(nd->cpuset), a[32], b[32], hp[160];

		printf("%4u  %-*s  %10s  %10s", nd->id, (int)wcpus, list && *list ? list : "-",
		       np_size_format(nd->memory_bytes, a, sizeof(a)),
		       np_size_format(nd->free_bytes, b, sizeof(b)));
		hugepages_text(nd, hp, sizeof(hp));
		printf(any_hp ? "  %s\n" : "\n", hp);
		free(list);
	}
	printf("node distances (SLIT, 10 = local):\n");
	printf("node");
	for (unsigned j = 0; j < n; j++)
		printf(" %*u", wdist, np_host_node(h, j)->id);
	putchar('\n');
	for (unsigned i = 0; i < n; i++) {
		printf("%4u", np_host_node(h, i)->id);
		for (unsigned j = 0; j < n; j++)
			printf(" %*u", wdist, np_host_distance(h, i, j));
		putchar('\n');
	}
	print_assumed(h);
}

/*
 * The CPUs of node `i` held exclusively by live workloads (np_load_held_cpus()), as a list
 * ("" when none; NULL without memory; free()).
 */
static char *held_on(const np_host *h, const np_load *load, unsigned i)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	char *s = NULL;

	if (!b)
		return NULL;
	if (load)
		hwloc_bitmap_and(b, np_load_held_cpus(load), np_host_node(h, i)->cpuset);
	s = cli_list_string(b);
	hwloc_bitmap_free(b);
	return s;
}

/*
 * What the ledger holds per node, in MiB like numa_info, then its workloads by kind. The vCPUs
 * are those of shared workloads (np_ledger_load()'s); the CPUs held exclusively are listed.
 */
static void print_claims(const np_host *h, const np_load *load, const struct cli_node_claims *c,
                         const unsigned *kinds)
{
	unsigned total = 0;

	printf("numa_placement         :\n");
	printf("node:    claimed  outstanding   vcpus  workloads  exclusive\n");
	printf("%16s%13s\n", "(MiB)", "(MiB)");
	for (unsigned i = 0; i < np_host_nnodes(h); i++) {
		char *held = held_on(h, load, i);

		printf("%4u:   %8" PRIu64 "     %8" PRIu64 "  %6" PRIu64 "  %9u  %s\n",
		       np_host_node(h, i)->id, c[i].claimed / MIB, c[i].outstanding / MIB,
		       c[i].vcpus, c[i].workloads, held && *held ? held : "-");
		free(held);
	}
	for (unsigned k = 0; k < NP_WORKLOAD_KIND_COUNT_; k++)
		total += kinds[k];
	/* "workloads: 3 (process 2, scope 1)": the kinds that have some */
	printf("workloads: %u", total);
	for (unsigned k = 0, said = 0; k < NP_WORKLOAD_KIND_COUNT_; k++)
		if (kinds[k])
			printf("%s%s %u", said++ ? ", " : " (",
			       np_workload_kind_name((enum np_workload_kind)k), kinds[k]);
	printf("%s\n", total ? ")" : "");
}

/* The live workloads of each kind: {"total": 3, "process": 2, "group": 0, ...}. */
static json_t *kinds_json(const unsigned *kinds)
{
	json_t *o = json_object();
	unsigned total = 0;

	for (unsigned k = 0; k < NP_WORKLOAD_KIND_COUNT_; k++)
		total += kinds[k];
	json_object_set_new(o, "total", json_integer(total));
	for (unsigned k = 0; k < NP_WORKLOAD_KIND_COUNT_; k++)
		json_object_set_new(o, np_workload_kind_name((enum np_workload_kind)k),
		                    json_integer(kinds[k]));
	return o;
}

static json_t *claims_json(const np_host *h, const np_load *load, const struct cli_node_claims *c)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < np_host_nnodes(h); i++) {
		char *held = held_on(h, load, i);

		json_array_append_new(
		    a, json_pack("{s:i,s:I,s:I,s:I,s:i,s:s}", "node", (int)np_host_node(h, i)->id,
		                 "claimed_bytes", (json_int_t)c[i].claimed, "outstanding_bytes",
		                 (json_int_t)c[i].outstanding, "vcpus", (json_int_t)c[i].vcpus,
		                 "workloads", (int)c[i].workloads, "exclusive_cpus",
		                 held ? held : ""));
		free(held);
	}
	return a;
}

/* --svg FILE, --png FILE: 1 consumed, 0 not one of them, -EXIT_USAGE after a usage error. */
static int info_draw_option(int argc, char **argv, int *i, const char *draw[2])
{
	static const char *const names[2] = {"--svg", "--png"};
	int err;

	for (unsigned k = 0; k < 2; k++) {
		const char *v = cli_opt_value("info", names[k], argc, argv, i, &err);

		if (err)
			return -err;
		if (!v)
			continue;
		if (!*v)
			return -cli_usage_error("info", "option '%s' needs a file name", names[k]);
		draw[k] = v;
		return 1;
	}
	return 0;
}

struct info_opts {
	struct cli_host_opts ho;
	bool numa, json, cpus, devices;
	const char *draw[2]; /* --svg, --png */
	const char *state_dir;
};

/* Returns -1 to go on, else the exit status (--help, a usage error). */
static int info_parse(int argc, char **argv, struct info_opts *o)
{
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(info_help, stdout);
			fputs(cli_host_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--numa") == 0) {
			o->numa = true;
		} else if (strcmp(a, "--short") == 0) {
			o->numa = false;
		} else if (strcmp(a, "--cpus") == 0) {
			o->cpus = true;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--devices") == 0) {
			o->devices = true;
		} else if ((r = info_draw_option(argc, argv, &i, o->draw)) != 0) {
			if (r < 0)
				return -r;
		} else if ((r = cli_host_option("info", argc, argv, &i, &o->ho)) != 0 ||
		           (r = cli_state_option("info", argc, argv, &i, &o->state_dir)) != 0) {
			if (r < 0)
				return -r;
		} else {
			return cli_usage_error("info", "unknown argument '%s'", a);
		}
	}
	return -1;
}

/* The host's facts as the options ask for them: JSON, the device list, or the tables. */
static int info_print(const struct info_opts *o, const np_host *h, const np_load *load,
                      const struct cli_node_claims *claims, const unsigned *kinds,
                      const np_devices *devs, const np_memory *mem)
{
	if (o->json) {
		json_t *j = host_json(h);

		if (j && claims)
			json_object_set_new(j, "placement", claims_json(h, load, claims));
		if (j && claims)
			json_object_set_new(j, "workloads", kinds_json(kinds));
		if (j)
			json_object_set_new(j, "devices", cli_devices_json(devs));
		if (j)
			json_object_set_new(j, "memory", cli_memory_json(mem));
		return cli_json_print(j, false);
	}
	if (o->devices && !o->numa) {
		cli_devices_table(devs, true);
		return 0;
	}
	print_summary(h);
	if (o->numa)
		print_tables(h);
	else
		print_short(h);
	if (o->numa && claims)
		print_claims(h, load, claims, kinds);
	if (o->numa)
		cli_devices_table(devs, o->devices);
	if (o->numa)
		cli_memory_table(mem);
	if (o->cpus)
		print_cpu_topology(h);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	struct info_opts o = {
	    {{NP_SOURCE_LIVE, NULL, 0}, false}, false, false, false, false, {NULL, NULL}, NULL};
	np_devices *devs = NULL;
	np_memory *mem = NULL;
	struct cli_node_claims *claims = NULL;
	unsigned kinds[NP_WORKLOAD_KIND_COUNT_] = {0};
	np_load *load = NULL;
	np_host *h = NULL;
	int r = info_parse(argc, argv, &o);

	if (r >= 0)
		return r;
	r = cli_host_load(&o.ho, &h);
	if (r)
		return r;
	if (!o.ho.source_given && (o.numa || o.json)) {
		r = cli_ledger_load(o.state_dir, h, &load, &claims, kinds);
		if (r)
			goto out;
	}
	for (unsigned k = 0; k < 2 && !r; k++)
		if (o.draw[k])
			r = cli_info_draw(h, &o.ho, o.state_dir, o.draw[k],
			                  k ? CLI_RENDER_PNG : CLI_RENDER_SVG);
	if (r || ((o.draw[0] || o.draw[1]) && !o.numa && !o.json))
		goto out; /* a picture alone replaces the summary */
	/* Devices are read only when asked for; pci.ids only for the full list and JSON. */
	if (o.numa || o.json || o.devices) {
		r = cli_devices_load(&o.ho.src, o.json || o.devices ? NP_DEVICES_DESCRIBE : 0,
		                     &devs);
		if (r == 0 && (o.numa || o.json))
			r = cli_memory_load(&o.ho.src, h, &mem);
		if (r)
			goto out;
	}
	r = info_print(&o, h, load, claims, kinds, devs, mem);
out:
	np_devices_free(devs);
	np_memory_free(mem);
	free(claims);
	np_load_free(load);
	np_host_free(h);
	return r;
}
