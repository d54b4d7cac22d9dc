/* cmd-info.c - `numaplace info [-n] [--json]`: the host as numaplace sees it. */
#include "cli.h"
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024 * 1024)

static const char info_help[] =
    "usage: numaplace info [-n] [--json] [--svg FILE] [--png FILE] [HOST SOURCE]\n\n"
    "Show the NUMA topology numaplace places on: a summary, and with -n the tables\n"
    "of 'xl info -n' (cpu_topology; numa_info in MiB with the distance rows) followed\n"
    "by what xl lacks: the CPU list and huge pages of every node. On this host (no host\n"
    "source given), -n also shows what the ledger holds per node: memory claimed, of\n"
    "it not yet resident, and the vCPUs and workloads placed.\n\n"
    "  -n, --numa      print the CPU topology and per-node tables\n"
    "  --json          print everything as one JSON document\n"
    "  --svg FILE      draw the nodes (CPUs, memory, free, claims per workload) and the\n"
    "                  distances as a heat map to FILE ('-': standard output)\n"
    "  --png FILE      the same picture as PNG\n"
    "  -h, --help      show this help\n\n";

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
			                                    (json_int_t)p->size_bytes, "total",
			                                    (json_int_t)p->total, "free",
			                                    (json_int_t)p->free));
		}
		json_object_set_new(o, "id", json_integer(nd->id));
		json_object_set_new(o, "cpus", json_string(list ? list : ""));
		json_object_set_new(o, "memory_bytes", json_integer((json_int_t)nd->memory_bytes));
		json_object_set_new(o, "free_bytes", json_integer((json_int_t)nd->free_bytes));
		json_object_set_new(o, "distances", d);
		json_object_set_new(o, "hugepages", hp);
		json_object_set_new(o, "free_assumed", json_boolean(nd->free_assumed));
		free(list);
		list = cli_list_string(nd->shared_cpuset);
		json_object_set_new(o, "shared_cpus", json_string(list ? list : ""));
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
	json_object_set_new(root, "cpus", cpus);
	json_object_set_new(root, "distances_assumed", json_boolean(np_host_distances_assumed(h)));
	json_object_set_new(root, "free_assumed", json_boolean(np_host_free_assumed(h)));
	{
		char *shared = cli_list_string(np_host_shared_cpuset(h));

		json_object_set_new(root, "shared_cpus", json_string(shared ? shared : ""));
		free(shared);
	}
	return root;
}

static void print_id(int v)
{
	if (v < 0)
		printf(" %8s", "-");
	else
		printf(" %8d", v);
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
}

static void print_tables(const np_host *h)
{
	unsigned n = np_host_nnodes(h);
	bool any_hp = false;

	printf("cpu_topology           :\n");
	printf("cpu:    core    socket     node\n");
	for (unsigned i = 0; i < np_host_ncpus(h); i++) {
		const struct np_cpu *c = np_host_cpu(h, i);

		printf("%3u:", c->cpu);
		print_id(c->core);
		print_id(c->socket);
		printf(" %8u\n", c->node);
	}
	printf("numa_info              :\n");
	printf("node:    memsize    memfree    distances\n");
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);

		printf("%4u:   %8" PRIu64 "   %8" PRIu64 "      ", nd->id, nd->memory_bytes / MIB,
		       nd->free_bytes / MIB);
		for (unsigned j = 0; j < n; j++)
			printf("%s%u", j ? "," : "", np_host_distance(h, i, j));
		putchar('\n');
	}
	if (np_host_distances_assumed(h))
		printf("(no distances given by the firmware: 10 local, 20 remote assumed)\n");
	if (np_host_free_assumed(h))
		printf("(no free memory given by the source: memfree = memsize assumed)\n");
	printf("node_cpus              :\n");
	printf("node:   ncpus  cpus\n");
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *nd = np_host_node(h, i);
		char *list = cli_list_string(nd->cpuset);

		printf("%4u:   %5u  %s\n", nd->id, nd->ncpus,
		       list && *list ? list : "(none: memory only)");
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

/* What the ledger holds per node, in MiB like numa_info. */
static void print_claims(const np_host *h, const struct cli_node_claims *c)
{
	printf("numa_placement         :\n");
	printf("node:    claimed  outstanding   vcpus  workloads\n");
	for (unsigned i = 0; i < np_host_nnodes(h); i++)
		printf("%4u:   %8" PRIu64 "     %8" PRIu64 "  %6" PRIu64 "  %9u\n",
		       np_host_node(h, i)->id, c[i].claimed / MIB, c[i].outstanding / MIB,
		       c[i].vcpus, c[i].workloads);
}

static json_t *claims_json(const np_host *h, const struct cli_node_claims *c)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < np_host_nnodes(h); i++)
		json_array_append_new(
		    a, json_pack("{s:i,s:I,s:I,s:I,s:i}", "node", (int)np_host_node(h, i)->id,
		                 "claimed_bytes", (json_int_t)c[i].claimed, "outstanding_bytes",
		                 (json_int_t)c[i].outstanding, "vcpus", (json_int_t)c[i].vcpus,
		                 "workloads", (int)c[i].workloads));
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

int cmd_info(int argc, char **argv)
{
	struct cli_host_opts ho = {{NP_SOURCE_LIVE, NULL, 0}, false};
	bool numa = false, json = false;
	const char *draw[2] = {NULL, NULL}; /* --svg, --png */
	struct cli_node_claims *claims = NULL;
	const char *state_dir = NULL;
	np_load *load = NULL;
	np_host *h = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(info_help, stdout);
			fputs(cli_host_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--numa") == 0) {
			numa = true;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if ((r = info_draw_option(argc, argv, &i, draw)) != 0) {
			if (r < 0)
				return -r;
		} else if ((r = cli_host_option("info", argc, argv, &i, &ho)) != 0 ||
		           (r = cli_state_option("info", argc, argv, &i, &state_dir)) != 0) {
			if (r < 0)
				return -r;
		} else {
			return cli_usage_error("info", "unknown argument '%s'", a);
		}
	}
	r = cli_host_load(&ho, &h);
	if (r)
		return r;
	if (!ho.source_given && (numa || json)) {
		r = cli_ledger_load(state_dir, h, &load, &claims);
		if (r)
			goto out;
	}
	for (unsigned k = 0; k < 2 && !r; k++)
		if (draw[k])
			r = cli_info_draw(h, &ho, state_dir, draw[k],
			                  k ? CLI_RENDER_PNG : CLI_RENDER_SVG);
	if (r || ((draw[0] || draw[1]) && !numa && !json))
		goto out; /* a picture alone replaces the summary */
	if (json) {
		json_t *j = host_json(h);

		if (j && claims)
			json_object_set_new(j, "placement", claims_json(h, claims));
		r = cli_json_print(j, false);
	} else {
		print_summary(h);
		if (numa)
			print_tables(h);
		if (numa && claims)
			print_claims(h, claims);
	}
out:
	free(claims);
	np_load_free(load);
	np_host_free(h);
	return r;
}
