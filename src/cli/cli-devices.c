/*
 * cli-devices.c - the host's PCI devices for info (tables, JSON) and --near DEVICE for the
 * commands that place (docs/devices.md).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_devices_load(const struct np_source *src, unsigned flags, np_devices **ret)
{
	int r = np_devices_load(src, flags, ret);
	const char *detail;

	if (r == 0)
		return EXIT_OK;
	detail = np_last_error();
	if (*detail)
		cli_error("cannot read the devices: %s", detail);
	else
		cli_error("cannot read the devices of %s: %s",
		          src->kind == NP_SOURCE_LIVE ? "this host" : src->arg, strerror(-r));
	return EXIT_FAIL;
}

/* The names of a device joined by commas ("-" for none), into buf. */
static const char *names_text(const struct np_device *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < d->nnames && used + 1 < len; k++) {
		int n = snprintf(buf + used, len - used, "%s%s", k ? "," : "", d->names[k]);

		if (n < 0)
			break;
		used += (size_t)n < len - used ? (size_t)n : len - used - 1;
	}
	return buf[0] ? buf : "-";
}

/* Devices by node (unattached last), then by address. */
static int cmp_by_node(const void *a, const void *b)
{
	const struct np_device *x = *(const struct np_device *const *)a;
	const struct np_device *y = *(const struct np_device *const *)b;
	unsigned nx = (unsigned)x->node, ny = (unsigned)y->node; /* -1: the largest */

	if (nx != ny)
		return (nx > ny) - (nx < ny);
	return (x < y) ? -1 : x > y;
}

static const struct np_device **by_node(const np_devices *devs)
{
	unsigned n = np_devices_count(devs);
	const struct np_device **order = calloc(n ? n : 1, sizeof(*order));

	if (!order)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		order[i] = np_devices_get(devs, i);
	qsort(order, n, sizeof(*order), cmp_by_node);
	return order;
}

static void print_node(int node)
{
	if (node < 0)
		printf("%4s:", "-");
	else
		printf("%4d:", node);
}

void cli_devices_table(const np_devices *devs, bool full)
{
	const struct np_device **order = by_node(devs);
	unsigned n = np_devices_count(devs);
	char names[256];

	if (!order)
		return;
	if (n == 0 && !full) {
		free(order); /* info -n leaves out an empty table, as it does huge pages */
		return;
	}
	printf("devices                :\n");
	if (n == 0)
		printf("(no PCI devices in this source)\n");
	else if (full)
		printf("node:  device         kind         class   cpus        names               "
		       "    "
		       "description\n");
	else
		printf("node:  device         kind         names\n");
	for (unsigned i = 0; i < n; i++) {
		const struct np_device *d = order[i];

		print_node(d->node);
		printf("  %-13s  %-11s", d->address, np_device_kind_name(d->kind));
		if (full) {
			char *cpus = cli_list_string(d->local_cpus);

			printf("  %06x  %-10s  %-22s  %s\n", d->pci_class,
			       cpus && *cpus ? cpus : "-", names_text(d, names, sizeof(names)),
			       d->description ? d->description : "-");
			free(cpus);
		} else {
			printf("  %s\n", names_text(d, names, sizeof(names)));
		}
	}
	free(order);
}

json_t *cli_devices_json(const np_devices *devs)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < np_devices_count(devs); i++) {
		const struct np_device *d = np_devices_get(devs, i);
		json_t *o = json_object(), *names = json_array();
		char *cpus = cli_list_string(d->local_cpus);

		for (unsigned k = 0; k < d->nnames; k++)
			json_array_append_new(names, json_string(d->names[k]));
		json_object_set_new(o, "address", json_string(d->address));
		json_object_set_new(o, "kind", json_string(np_device_kind_name(d->kind)));
		char hex[3][16];

		snprintf(hex[0], sizeof(hex[0]), "0x%06x", d->pci_class);
		snprintf(hex[1], sizeof(hex[1]), "0x%04x", d->vendor);
		snprintf(hex[2], sizeof(hex[2]), "0x%04x", d->device);
		json_object_set_new(o, "class", json_string(hex[0]));
		json_object_set_new(o, "vendor", json_string(hex[1]));
		json_object_set_new(o, "device", json_string(hex[2]));
		json_object_set_new(o, "node", d->node < 0 ? json_null() : json_integer(d->node));
		json_object_set_new(o, "local_cpus", json_string(cpus ? cpus : ""));
		json_object_set_new(o, "names", names);
		json_object_set_new(o, "description",
		                    d->description ? json_string(d->description) : json_null());
		json_array_append_new(a, o);
		free(cpus);
	}
	return a;
}

/* ------------------------------------------------------------------------------------------ */
/* --near DEVICE, --near-prefer DEVICE                                                          */
/* ------------------------------------------------------------------------------------------ */

int cli_near_option(const char *cmd, int argc, char **argv, int *i, struct cli_near *o)
{
	static const char *const names[] = {"--near", "--near-prefer"};

	for (unsigned k = 0; k < 2; k++) {
		int err = 0;
		const char *v = cli_opt_value(cmd, names[k], argc, argv, i, &err);

		if (err)
			return -err;
		if (!v)
			continue;
		if (o->n == CLI_NEAR_MAX)
			return -cli_usage_error(cmd, "%s '%s': at most %d devices", names[k], v,
			                        CLI_NEAR_MAX);
		o->text[o->n] = v;
		o->prefer[o->n] = k == 1;
		o->n++;
		return 1;
	}
	return 0;
}

/* One --near value to its device and node, with a clear error when it has none. */
static int near_one(const char *cmd, const np_devices *devs, const np_host *h, struct cli_near *o,
                    unsigned k)
{
	const char *opt = o->prefer[k] ? "--near-prefer" : "--near";
	const struct np_device *d = NULL;
	int r = np_devices_find(devs, o->text[k], &d);

	if (r == -ENOTUNIQ)
		return cli_usage_error(cmd,
		                       "%s '%s': names more than one device; give the whole PCI "
		                       "address (numaplace info --devices)",
		                       opt, o->text[k]);
	if (r < 0)
		return cli_usage_error(cmd,
		                       "%s '%s': no such device (a PCI address, interface, block "
		                       "device, /dev path or GPU index; numaplace info --devices)",
		                       opt, o->text[k]);
	if (d->node < 0)
		return cli_usage_error(cmd,
		                       "%s '%s': device %s is attached to no NUMA node (its "
		                       "numa_node is -1 or unknown), so it cannot place anything",
		                       opt, o->text[k], d->address);
	if (np_host_node_idx(h, (unsigned)d->node) < 0)
		return cli_usage_error(cmd,
		                       "%s '%s': device %s is on node %d, which is not usable "
		                       "here",
		                       opt, o->text[k], d->address, d->node);
	o->dev[k] = d;
	hwloc_bitmap_set(o->prefer[k] ? o->prefer_nodes : o->near_nodes, (unsigned)d->node);
	return EXIT_OK;
}

int cli_near_resolve(const char *cmd, const struct np_source *src, const np_host *h,
                     struct cli_near *o, struct np_request *req)
{
	static const struct np_source live = {NP_SOURCE_LIVE, NULL, 0};
	int r;

	if (o->n == 0)
		return EXIT_OK; /* no device named: none is read */
	r = cli_devices_load(src ? src : &live, 0, &o->devices);
	if (r)
		return r;
	o->near_nodes = hwloc_bitmap_alloc();
	o->prefer_nodes = hwloc_bitmap_alloc();
	if (!o->near_nodes || !o->prefer_nodes) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (unsigned k = 0; k < o->n; k++) {
		r = near_one(cmd, o->devices, h, o, k);
		if (r)
			return r;
	}
	/* the --near devices as given, for the ledger: "eth1,0000:3b:00.0" */
	for (unsigned k = 0; k < o->n; k++) {
		char *t;

		if (o->prefer[k])
			continue;
		if (asprintf(&t, "%s%s%s", o->required ? o->required : "", o->required ? "," : "",
		             o->text[k]) < 0) {
			cli_error("out of memory");
			return EXIT_FAIL;
		}
		free(o->required);
		o->required = t;
	}
	if (!hwloc_bitmap_iszero(o->near_nodes))
		req->near_nodes = o->near_nodes;
	if (!hwloc_bitmap_iszero(o->prefer_nodes))
		req->prefer_nodes = o->prefer_nodes;
	return EXIT_OK;
}

void cli_near_explain(const struct cli_near *o, FILE *f)
{
	for (unsigned k = 0; k < o->n; k++)
		if (o->dev[k])
			fprintf(f, "near: %s (%s, %s) on node %d, %s\n", o->text[k],
			        o->dev[k]->address, np_device_kind_name(o->dev[k]->kind),
			        o->dev[k]->node, o->prefer[k] ? "preferred" : "required");
}

json_t *cli_near_json(const struct cli_near *o)
{
	json_t *a = json_array();

	for (unsigned k = 0; a && k < o->n; k++)
		if (o->dev[k])
			json_array_append_new(
			    a, json_pack("{s:s,s:s,s:i,s:b}", "device", o->text[k], "address",
			                 o->dev[k]->address, "node", o->dev[k]->node, "required",
			                 !o->prefer[k]));
	return a;
}

void cli_near_release(struct cli_near *o)
{
	np_devices_free(o->devices);
	hwloc_bitmap_free(o->near_nodes);
	hwloc_bitmap_free(o->prefer_nodes);
	o->devices = NULL;
	o->near_nodes = o->prefer_nodes = NULL;
	free(o->required);
	o->required = NULL;
	memset(o->dev, 0, sizeof(o->dev));
}

/* ------------------------------------------------------------------------------------------ */
/* Memory kinds, tiers, HMAT                                                                     */
/* ------------------------------------------------------------------------------------------ */

int cli_memory_load(const struct np_source *src, const np_host *h, np_memory **ret)
{
	int r = np_memory_load(src, h, ret);

	if (r == 0)
		return EXIT_OK;
	cli_error("cannot read the memory tiers: %s",
	          *np_last_error() ? np_last_error() : strerror(-r));
	return EXIT_FAIL;
}

static void print_u64(uint64_t v, int width)
{
	if (v)
		printf("  %*llu", width, (unsigned long long)v);
	else
		printf("  %*s", width, "-");
}

static void memory_row(const struct np_memory_node *n, const struct np_memory_access *a)
{
	printf("%4u:  %-7s", n->node, np_memory_kind_name(n->kind));
	if (n->tier >= 0)
		printf("  %4d", n->tier);
	else
		printf("  %4s", "-");
	if (!a) {
		printf("  %9s  %9s  %10s  %7s  %8s\n", "-", "-", "-", "-", "-");
		return;
	}
	if (a->initiator >= 0)
		printf("  %9d", a->initiator);
	else
		printf("  %9s", "(cpus)");
	print_u64(a->read_bandwidth, 9);
	print_u64(a->write_bandwidth, 10);
	print_u64(a->read_latency, 7);
	print_u64(a->write_latency, 8);
	putchar('\n');
}

void cli_memory_table(const np_memory *m)
{
	bool any = false;

	/* Only when there is more to say than "DRAM everywhere" (as for huge pages). */
	for (unsigned i = 0; i < np_memory_count(m); i++) {
		const struct np_memory_node *n = np_memory_get(m, i);

		any |= n->kind != NP_MEMORY_DRAM || n->tier >= 0 || n->naccess > 0;
	}
	if (!any)
		return;
	printf("memory_tiers           :\n");
	printf("node:  kind     tier  initiator  read MB/s  write MB/s  read ns  write ns\n");
	for (unsigned i = 0; i < np_memory_count(m); i++) {
		const struct np_memory_node *n = np_memory_get(m, i);

		if (n->naccess == 0)
			memory_row(n, NULL);
		for (unsigned a = 0; a < n->naccess; a++)
			memory_row(n, &n->access[a]);
	}
}

json_t *cli_memory_json(const np_memory *m)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && i < np_memory_count(m); i++) {
		const struct np_memory_node *n = np_memory_get(m, i);
		json_t *acc = json_array();

		for (unsigned k = 0; k < n->naccess; k++) {
			const struct np_memory_access *a = &n->access[k];

			json_array_append_new(
			    acc,
			    json_pack("{s:o,s:I,s:I,s:I,s:I}", "initiator",
			              a->initiator < 0 ? json_null() : json_integer(a->initiator),
			              "read_bandwidth_mbs", (json_int_t)a->read_bandwidth,
			              "write_bandwidth_mbs", (json_int_t)a->write_bandwidth,
			              "read_latency_ns", (json_int_t)a->read_latency,
			              "write_latency_ns", (json_int_t)a->write_latency));
		}
		json_array_append_new(arr,
		                      json_pack("{s:i,s:s,s:o,s:o}", "node", (int)n->node, "kind",
		                                np_memory_kind_name(n->kind), "tier",
		                                n->tier < 0 ? json_null() : json_integer(n->tier),
		                                "access", acc));
	}
	return arr;
}

/* ------------------------------------------------------------------------------------------ */
/* --memory-spill TIER, --memory-kind KIND                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Whether node n matches a --memory-spill value: a kind name, or a tier ("22", "tier22"). */
static bool spill_match(const struct np_memory_node *n, const char *tier)
{
	enum np_memory_kind k;
	const char *num = strncmp(tier, "tier", 4) == 0 ? tier + 4 : tier;
	char *end;
	unsigned long t;

	if (strcmp(tier, "cxl") == 0)
		tier = "far";
	if (np_memory_kind_parse(tier, &k) == 0)
		return n->kind == k;
	t = strtoul(num, &end, 10);
	return *num && !*end && n->tier >= 0 && (unsigned long)n->tier == t;
}

static int memory_spill(const char *cmd, const np_host *h, struct cli_memory *o,
                        struct np_request *req)
{
	o->spill_nodes = hwloc_bitmap_alloc();
	if (!o->spill_nodes) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (unsigned i = 0; i < np_memory_count(o->memory); i++) {
		const struct np_memory_node *n = np_memory_get(o->memory, i);

		if (np_host_node(h, i)->ncpus == 0 && spill_match(n, o->spill))
			hwloc_bitmap_set(o->spill_nodes, n->node);
	}
	if (hwloc_bitmap_iszero(o->spill_nodes))
		return cli_usage_error(cmd,
		                       "--memory-spill '%s': no node without CPUs is of that kind "
		                       "or tier (far, cxl, hbm, gpu, or a tier number; numaplace "
		                       "info -n shows the memory tiers)",
		                       o->spill);
	req->spill_nodes = o->spill_nodes;
	return EXIT_OK;
}

/*
 * --memory-kind dram: only DRAM nodes are allowed (nodes with CPUs are DRAM). --memory-kind
 * hbm: the memory goes on the HBM nodes (the request's memory nodes, none on a host without
 * them: the search then says "this host has no HBM node"), the CPUs come from the nodes with
 * CPUs closest to them.
 */
void cli_memory_kind_nodes(const np_memory *memory, enum np_memory_kind kind,
                           hwloc_bitmap_t nodes)
{
	for (unsigned i = 0; memory && i < np_memory_count(memory); i++) {
		const struct np_memory_node *n = np_memory_get(memory, i);

		if (kind == NP_MEMORY_HBM && n->kind == NP_MEMORY_HBM)
			hwloc_bitmap_set(nodes, n->node);
		else if (kind == NP_MEMORY_DRAM && n->kind != NP_MEMORY_DRAM)
			hwloc_bitmap_clr(nodes, n->node);
	}
}

static int memory_kind(const char *cmd, const np_host *h, struct cli_memory *o,
                       struct np_request *req)
{
	bool hbm = strcmp(o->kind, "hbm") == 0;

	if (strcmp(o->kind, "any") == 0)
		return EXIT_OK;
	o->kind_nodes = hbm                  ? hwloc_bitmap_alloc()
	                : req->allowed_nodes ? hwloc_bitmap_dup(req->allowed_nodes)
	                                     : hwloc_bitmap_dup(np_host_nodeset(h));
	if (!o->kind_nodes) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	cli_memory_kind_nodes(o->memory, hbm ? NP_MEMORY_HBM : NP_MEMORY_DRAM, o->kind_nodes);
	if (hbm) {
		req->memory_nodes = o->kind_nodes;
		req->memory_label = "HBM";
	} else {
		req->allowed_nodes = o->kind_nodes;
	}
	return EXIT_OK;
}

/*
 * HMAT latencies, where the firmware gives them, in place of SLIT distances. Best effort: a
 * host whose memory tiers cannot be read is placed by its distances, as before.
 */
static void memory_costs(const struct np_source *src, const np_host *h, struct cli_memory *o,
                         struct np_request *req)
{
	if (!o->memory && np_memory_load(src, h, &o->memory) < 0)
		return;
	if (np_memory_costs(o->memory, h, &o->costs) > 0)
		req->costs = o->costs;
}

int cli_memory_resolve(const char *cmd, const struct np_source *src, const np_host *h,
                       struct cli_memory *o, struct np_request *req)
{
	static const struct np_source live = {NP_SOURCE_LIVE, NULL, 0};
	int r = EXIT_OK;

	src = src ? src : &live;
	if (o->kind && strcmp(o->kind, "any") && strcmp(o->kind, "dram") && strcmp(o->kind, "hbm"))
		return cli_usage_error(cmd, "--memory-kind '%s': dram, hbm or any", o->kind);
	if (o->spill || o->kind)
		r = cli_memory_load(src, h, &o->memory);
	if (r == 0 && o->kind)
		r = memory_kind(cmd, h, o, req);
	if (r == 0 && o->spill)
		r = memory_spill(cmd, h, o, req);
	if (r == 0)
		memory_costs(src, h, o, req);
	return r;
}

int cli_memory_option(const char *cmd, int argc, char **argv, int *i, struct cli_memory *o)
{
	static const char *const names[] = {"--memory-spill", "--memory-kind"};

	for (unsigned k = 0; k < 2; k++) {
		int err = 0;
		const char *v = cli_opt_value(cmd, names[k], argc, argv, i, &err);

		if (err)
			return -err;
		if (!v)
			continue;
		if (k == 0)
			o->spill = v;
		else
			o->kind = v;
		return 1;
	}
	return 0;
}

/* The chosen set's nodes of the request's memory nodes (and spill nodes): where it goes. */
static hwloc_bitmap_t memory_of(const struct np_request *req, const struct np_candidate *c)
{
	hwloc_bitmap_t set = hwloc_bitmap_dup(req->memory_nodes);

	if (set && req->spill_nodes)
		hwloc_bitmap_or(set, set, req->spill_nodes);
	if (set)
		hwloc_bitmap_and(set, set, c->nodes);
	return set;
}

void cli_memory_explain(const struct np_request *req, const struct np_candidate *best, FILE *f)
{
	const char *what = req->memory_label ? req->memory_label : "memory";
	hwloc_bitmap_t mem, others;
	char *m = NULL, *all = NULL, *c = NULL;

	if (!req->memory_nodes || !best)
		return;
	mem = memory_of(req, best);
	others = hwloc_bitmap_dup(best->nodes);
	if (mem && others) {
		hwloc_bitmap_andnot(others, others, mem);
		m = cli_list_string(mem);
		all = cli_list_string(req->memory_nodes);
		c = cli_list_string(others);
	}
	/* "memory: on HBM node 3 (this host's HBM nodes: 2-3), CPUs of node 1" */
	if (m && all && c)
		fprintf(f, "memory: on %s node%s %s (this host's %s nodes: %s), CPUs of %s%s\n",
		        what, hwloc_bitmap_weight(mem) > 1 ? "s" : "", m, what, all,
		        hwloc_bitmap_iszero(others)       ? "the same node"
		        : hwloc_bitmap_weight(others) > 1 ? "nodes "
		                                          : "node ",
		        hwloc_bitmap_iszero(others) ? (hwloc_bitmap_weight(mem) > 1 ? "s" : "")
		                                    : c);
	free(m);
	free(all);
	free(c);
	hwloc_bitmap_free(mem);
	hwloc_bitmap_free(others);
}

json_t *cli_memory_nodes_json(const struct np_request *req, const struct np_candidate *best)
{
	hwloc_bitmap_t mem = memory_of(req, best);
	json_t *j = mem ? cli_json_int_array(mem) : NULL;

	hwloc_bitmap_free(mem);
	return j;
}

void cli_placement_memory(const struct np_placement *p, json_t *j, char *buf, size_t len)
{
	char *m;

	if (buf && len)
		buf[0] = '\0';
	if (!p->memory_nodes || hwloc_bitmap_isequal(p->memory_nodes, p->nodes))
		return;
	if (j)
		json_object_set_new(j, "memory_nodes", cli_json_int_array(p->memory_nodes));
	m = cli_list_string(p->memory_nodes);
	if (buf && m)
		snprintf(buf, len, " (memory on node%s %s)",
		         hwloc_bitmap_weight(p->memory_nodes) > 1 ? "s" : "", m);
	free(m);
}

void cli_memory_release(struct cli_memory *o)
{
	np_memory_free(o->memory);
	hwloc_bitmap_free(o->spill_nodes);
	hwloc_bitmap_free(o->kind_nodes);
	free(o->costs);
	o->costs = NULL;
	o->memory = NULL;
	o->spill_nodes = o->kind_nodes = NULL;
}
