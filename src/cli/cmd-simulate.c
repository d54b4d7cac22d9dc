/*
 * cmd-simulate.c - `numaplace simulate`: replay a trace of placements and removals on a
 * topology with simulated accounting, printing one decision per placement.
 *
 * The accounting is the library's np_load: a placed guest's memory is charged to its nodes by
 * water-filling and its vCPUs count once on each of its nodes; a guest that gets no placement
 * runs unplaced over every node (as Xen runs it) if the host has its memory in total, and is
 * rejected otherwise.
 */
#include "simulate.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char simulate_help[] =
    "usage: numaplace simulate [--strategy NAME] [--report] [--json] [HOST SOURCE]\n"
    "                          < trace.jsonl\n\n"
    "Replay a trace on a topology: this host's when no host source is given, with\n"
    "nothing of its ledger (the simulation starts empty). Each input line is one JSON\n"
    "object:\n"
    "  {\"op\":\"place\",\"name\":\"vm1\",\"memory\":4294967296,\"vcpus\":4}\n"
    "      (memory in bytes or as a size string such as \"4G\"; vcpus default 1)\n"
    "      optional: \"exclusive\":true (whole cores alone, as --cpu-binding exclusive),\n"
    "      \"memory_kind\":\"dram\"|\"hbm\"|\"any\" (as --memory-kind)\n"
    "  {\"op\":\"remove\",\"name\":\"vm1\"}\n"
    "Each place prints one line: {\"version\":1,\"name\":\"vm1\",\"nodes\":[2]}, or\n"
    "{\"version\":1,\"name\":\"vm1\",\"nodes\":null,\"reason\":\"...\"} when it runs\n"
    "unplaced, with \"rejected\":true when the host does not have its memory at all\n"
    "(docs/json.md). A request for whole cores or for one memory kind that no set fits\n"
    "is rejected, as run refuses it.\n\n"
    "  --strategy NAME       compact (default), xen, numad, first-fit, spread, exhaustive\n"
    "  --report              after the decisions, print figures for the whole trace\n"
    "  --json                with --report: the figures as one JSON line\n"
    "  -h, --help            show this help\n\n";

static void guest_release(struct guest *g)
{
	free(g->name);
	np_claim_release(&g->claim);
	np_claim_release(&g->vclaim);
	hwloc_bitmap_free(g->held);
	g->held = NULL;
}

static double set_mean_distance(const np_host *h, hwloc_const_nodeset_t set)
{
	unsigned n = np_host_nnodes(h), local = UINT32_MAX;
	uint64_t sum = 0, k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!hwloc_bitmap_isset(set, np_host_node(h, i)->id))
			continue;
		k++;
		if (np_host_distance(h, i, i) < local)
			local = np_host_distance(h, i, i);
		for (unsigned j = 0; j < n; j++)
			if (hwloc_bitmap_isset(set, np_host_node(h, j)->id))
				sum += np_host_distance(h, i, j);
	}
	return k ? (double)sum / (double)(k * k) / local : 0.0;
}

/* Sample the per-node vCPUs per CPU after an event. */
static void sample_load(const np_host *h, const np_load *load, struct report *rep)
{
	double lo = INFINITY, hi = 0;

	for (unsigned i = 0; i < np_host_nnodes(h); i++) {
		unsigned ncpus = np_host_node(h, i)->ncpus;
		double v;

		if (!ncpus)
			continue;
		v = (double)np_load_vcpus(load, i) / ncpus;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	if (hi > rep->peak_load)
		rep->peak_load = hi;
	if (lo != INFINITY)
		rep->spread_sum += hi - lo;
	rep->samples++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int trace_error(unsigned long line, const char *fmt, const char *arg)
{
	fflush(stdout);
	fprintf(stderr, "numaplace: trace line %lu: ", line);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/* trace_error() with `arg` (a name or an op from the trace) quoted and cut: fmt has %s. */
static int trace_error_quoted(unsigned long line, const char *fmt, const char *arg)
{
	char *q = cli_quote(arg, 64);
	int r = trace_error(line, fmt, q ? q : "?");

	free(q);
	return r;
}

/* "an array": what a JSON value is, for a message. */
static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "an object";
	}
}

/*
 * jansson's message, in the trace's terms: its text for a string with a NUL names a flag of
 * its API (JSON_ALLOW_NUL), which means nothing to whoever wrote the trace.
 */
static const char *json_why(const json_error_t *e, char *buf, size_t len)
{

	if (strstr(e->text, "JSON_ALLOW_NUL"))
		snprintf(buf, len,
		         "a string holds \\u0000 (a NUL character), which no field takes, at "
		         "column %d",
		         e->column);
	else
		snprintf(buf, len, "not JSON: %s, at column %d", e->text, e->column);
	return buf;
}

static int read_memory(json_t *m, uint64_t *ret)
{
	if (json_is_integer(m) && json_integer_value(m) >= 0) {
		*ret = (uint64_t)json_integer_value(m);
		return 0;
	}
	if (json_is_string(m))
		return np_size_parse(json_string_value(m), ret);
	return -EINVAL;
}

static int find_guest(struct guest *g, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(g[i].name, name) == 0)
			return (int)i;
	return -1;
}

static json_t *report_json(const struct report *rep)
{
	uint64_t decisions = rep->placed + rep->unplaced + rep->rejected;
	double d = decisions ? (double)decisions : 1.0, p = rep->placed ? (double)rep->placed : 1.0;

	return json_pack("{s:{s:f,s:f,s:f},s:{s:f,s:f},s:{s:I,s:I,s:I,s:I},s:{s:I,s:f,s:I,s:f}}",
	                 "locality", "single_node_share", rep->single_node / p, "mean_nodes",
	                 rep->nodes_total / p, "mean_access_distance",
	                 rep->weight > 0 ? rep->weighted_distance / rep->weight : 0.0, "load",
	                 "peak_vcpus_per_cpu", rep->peak_load, "mean_spread",
	                 rep->samples ? rep->spread_sum / rep->samples : 0.0, "admission", "placed",
	                 (json_int_t)rep->placed, "unplaced", (json_int_t)rep->unplaced, "rejected",
	                 (json_int_t)rep->rejected, "peak_exclusive_cpus",
	                 (json_int_t)rep->exclusive_cpus, "cost", "search_ns", (json_int_t)rep->search_ns,
	                 "ns_per_decision", rep->search_ns / d, "examined",
	                 (json_int_t)rep->examined, "examined_per_decision", rep->examined / d);
}

static void print_report(const struct report *rep)
{
	uint64_t decisions = rep->placed + rep->unplaced + rep->rejected;
	double d = decisions ? (double)decisions : 1.0, p = rep->placed ? (double)rep->placed : 1.0;

	printf("report:\n");
	printf("  locality:  %.1f%% of placed guests on one node, %.2f nodes per guest,\n"
	       "             memory-weighted access distance %.3f (1.0 = all local)\n",
	       100.0 * rep->single_node / p, rep->nodes_total / p,
	       rep->weight > 0 ? rep->weighted_distance / rep->weight : 0.0);
	printf("  load:      peak %.2f vCPUs per CPU on a node, mean spread across nodes %.2f\n",
	       rep->peak_load, rep->samples ? rep->spread_sum / rep->samples : 0.0);
	printf("  admission: %" PRIu64 " placed, %" PRIu64 " unplaced (ran on all nodes), %" PRIu64
	       " rejected\n",
	       rep->placed, rep->unplaced, rep->rejected);
	if (rep->exclusive_cpus)
		printf("  exclusive: at most %" PRIu64 " CPUs held as whole cores at once\n",
		       rep->exclusive_cpus);
	printf("  cost:      %" PRIu64 " decisions, search %.1f us in total, %.2f us per decision, "
	       "%.1f candidate sets examined per decision\n",
	       decisions, rep->search_ns / 1000.0, rep->search_ns / 1000.0 / d, rep->examined / d);
}

/* One place op of the trace: what it asks for. */
struct place_op {
	const char *name;
	uint64_t memory;
	unsigned vcpus;
	bool exclusive;
	enum np_memory_kind kind; /* NP_MEMORY_DRAM, NP_MEMORY_HBM, or UNKNOWN for any */
};

/* Grant the best set's exclusive CPUs to g in the load. Returns 0 or -ENOMEM. */
static int hold(np_load *load, const struct np_candidate *best, struct guest *g,
                struct report *rep)
{
	if (!best->exclusive || hwloc_bitmap_iszero(best->exclusive))
		return 0;
	g->held = hwloc_bitmap_dup(best->exclusive);
	if (!g->held || np_load_hold_cpus(load, g->held) < 0)
		return -ENOMEM;
	if ((uint64_t)hwloc_bitmap_weight(np_load_held_cpus(load)) > rep->exclusive_cpus)
		rep->exclusive_cpus = (uint64_t)hwloc_bitmap_weight(np_load_held_cpus(load));
	return 0;
}

/*
 * Charge a placed guest as the ledger counts it: its memory on the set's nodes that may hold
 * it (an HBM request's HBM nodes; every node of the set otherwise), its vCPUs on every node of
 * the set. Returns 0, or -ENOSPC (nothing charged), -ENOMEM.
 */
static int charge(np_load *load, const struct np_request *req, const struct np_candidate *best,
                  struct guest *g)
{
	hwloc_bitmap_t mem;
	int r;

	if (!req->memory_nodes)
		return np_load_charge(load, best->nodes, req->memory_bytes, req->vcpus, &g->claim);
	mem = hwloc_bitmap_alloc();
	if (!mem)
		return -ENOMEM;
	hwloc_bitmap_and(mem, best->nodes, req->memory_nodes);
	r = np_load_charge(load, mem, req->memory_bytes, 0, &g->claim);
	if (r == 0 && (r = np_load_charge(load, best->nodes, 0, req->vcpus, &g->vclaim)) < 0)
		np_load_uncharge(load, &g->claim);
	hwloc_bitmap_free(mem);
	return r;
}

/* Handle one place op. Returns 0 or EXIT_FAIL (after printing why). */
static int do_place(struct sim *s, const struct place_op *op, struct guest *g)
{
	const np_host *h = s->host;
	np_load *load = s->load;
	struct report *rep = &s->rep;
	const char *name = op->name;
	uint64_t memory = op->memory;
	unsigned vcpus = op->vcpus;
	struct np_request req;
	np_plan *plan = NULL;
	const struct np_candidate *best;
	json_t *out = json_object();
	uint64_t t0;
	int r;

	np_request_init(&req);
	req.memory_bytes = memory;
	req.vcpus = vcpus;
	req.exclusive = op->exclusive;
	req.costs = s->costs;
	if (op->kind == NP_MEMORY_DRAM) {
		req.allowed_nodes = s->dram;
	} else if (op->kind == NP_MEMORY_HBM) {
		req.memory_nodes = s->hbm;
		req.memory_label = "HBM";
	}
	t0 = now_ns();
	r = np_search(h, load, &req, s->search, &plan);
	rep->search_ns += now_ns() - t0;
	rep->searches++;
	if (r < 0) {
		cli_error("search failed for '%s': %s", name, strerror(-r));
		json_decref(out);
		return EXIT_FAIL;
	}
	rep->examined += np_plan_examined(plan);
	best = np_plan_best(plan);
	json_object_set_new(out, "name", json_string(name));
	if (best && charge(load, &req, best, g) == 0) {
		if (hold(load, best, g, rep) < 0) {
			np_plan_free(plan);
			json_decref(out);
			cli_error("out of memory");
			return EXIT_FAIL;
		}
		g->placed = true;
		rep->placed++;
		rep->nodes_total += best->nnodes;
		rep->single_node += best->nnodes == 1;
		rep->weighted_distance += (double)memory * best->mean_distance;
		rep->weight += (double)memory;
		json_object_set_new(out, "nodes", cli_json_int_array(best->nodes));
		if (g->held)
			cli_json_exclusive(out, g->held);
	} else {
		json_object_set_new(out, "nodes", json_null());
		json_object_set_new(out, "reason", json_string(np_plan_reason(plan)));
		/*
		 * Whole cores alone, or memory of one kind, or nothing: as run refuses them, such
		 * a request does not run unplaced.
		 */
		r = op->exclusive || op->kind != NP_MEMORY_UNKNOWN ? -ENOSPC
		                  : np_load_charge(load, np_host_nodeset(h), memory, vcpus, &g->claim);
		if (r == 0) {
			rep->unplaced++;
			rep->weighted_distance +=
			    (double)memory * set_mean_distance(h, np_host_nodeset(h));
			rep->weight += (double)memory;
		} else {
			rep->rejected++;
			json_object_set_new(out, "rejected", json_true());
		}
	}
	np_plan_free(plan);
	return cli_json_print(out, true) ? EXIT_FAIL : (r == -ENOMEM ? EXIT_FAIL : 0);
}

int sim_init(struct sim *s, const np_host *host, const struct np_search_opts *search)
{
	memset(s, 0, sizeof(*s));
	s->host = host;
	s->search = search;
	/* every node DRAM and none HBM until sim_memory() reads the host's kinds */
	s->dram = hwloc_bitmap_dup(np_host_nodeset(host));
	s->hbm = hwloc_bitmap_alloc();
	if (!s->dram || !s->hbm) {
		hwloc_bitmap_free(s->dram);
		hwloc_bitmap_free(s->hbm);
		return -ENOMEM;
	}
	return np_load_new(host, &s->load);
}

int sim_memory(struct sim *s, const struct np_source *src)
{
	if (np_memory_load(src, s->host, &s->memory) == -ENOMEM)
		return -ENOMEM;
	cli_memory_kind_nodes(s->memory, NP_MEMORY_HBM, s->hbm);
	cli_memory_kind_nodes(s->memory, NP_MEMORY_DRAM, s->dram);
	if (s->memory && np_memory_costs(s->memory, s->host, &s->costs) == -ENOMEM)
		return -ENOMEM;
	return 0;
}

void sim_release(struct sim *s)
{
	for (size_t i = 0; i < s->nguests; i++)
		guest_release(&s->guests[i]);
	free(s->guests);
	s->guests = NULL;
	s->nguests = s->cap = 0;
	np_load_free(s->load);
	s->load = NULL;
	np_memory_free(s->memory);
	s->memory = NULL;
	free(s->costs);
	s->costs = NULL;
	hwloc_bitmap_free(s->dram);
	hwloc_bitmap_free(s->hbm);
	s->dram = s->hbm = NULL;
}

int sim_line(struct sim *s, char *line, size_t len, unsigned long lineno)
{
	json_t *ev, *jname, *jop;
	json_error_t jerr;
	char why[sizeof(jerr.text) + 80];
	const char *op, *name;
	int gi, r = 0;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len == 0)
		return 0;
	ev = json_loads(line, 0, &jerr);
	if (!ev || !json_is_object(ev)) {
		r = ev ? trace_error(lineno, "not a JSON object but %s", json_kind(ev))
		       : trace_error(lineno, "%s", json_why(&jerr, why, sizeof(why)));
		json_decref(ev);
		return r;
	}
	jop = json_object_get(ev, "op");
	jname = json_object_get(ev, "name");
	op = json_string_value(jop);
	name = json_string_value(jname);
	if (!op || !name || !*name) {
		r = trace_error(lineno, "%s", "needs \"op\" and a non-empty \"name\" string");
		json_decref(ev);
		return r;
	}
	gi = find_guest(s->guests, s->nguests, name);
	if (strcmp(op, "place") == 0) {
		json_t *jv = json_object_get(ev, "vcpus"), *jm = json_object_get(ev, "memory");
		json_t *jx = json_object_get(ev, "exclusive"), *jk = json_object_get(ev, "memory_kind");
		const char *kind = json_string_value(jk);
		struct place_op po = {name, 0, 1, jx && json_is_true(jx), NP_MEMORY_UNKNOWN};

		if (kind && strcmp(kind, "dram") == 0)
			po.kind = NP_MEMORY_DRAM;
		else if (kind && strcmp(kind, "hbm") == 0)
			po.kind = NP_MEMORY_HBM;
		if (gi >= 0) {
			r = trace_error_quoted(lineno, "%s is already placed", name);
		} else if (!jm || read_memory(jm, &po.memory) < 0) {
			r = trace_error_quoted(
			    lineno, "%s: \"memory\" must be bytes or a size such as \"4G\"", name);
		} else if (jv && (!json_is_integer(jv) || json_integer_value(jv) < 1 ||
		                  json_integer_value(jv) > (1 << 20))) {
			r = trace_error_quoted(lineno, "%s: \"vcpus\" must be a whole number >= 1",
			                       name);
		} else if (jx && !json_is_boolean(jx)) {
			r = trace_error_quoted(lineno, "%s: \"exclusive\" must be true or false",
			                       name);
		} else if (jk && (!kind || (strcmp(kind, "any") && po.kind == NP_MEMORY_UNKNOWN))) {
			r = trace_error_quoted(lineno,
			                       "%s: \"memory_kind\" must be \"dram\", \"hbm\" or "
			                       "\"any\"",
			                       name);
		} else {
			if (jv)
				po.vcpus = (unsigned)json_integer_value(jv);
			if (s->nguests == s->cap) {
				size_t nc = s->cap ? s->cap * 2 : 64;
				struct guest *ng = realloc(s->guests, nc * sizeof(*ng));

				if (!ng) {
					json_decref(ev);
					cli_error("out of memory");
					return EXIT_FAIL;
				}
				s->guests = ng;
				s->cap = nc;
			}
			memset(&s->guests[s->nguests], 0, sizeof(s->guests[s->nguests]));
			s->guests[s->nguests].name = strdup(name);
			r = s->guests[s->nguests].name
			        ? do_place(s, &po, &s->guests[s->nguests])
			        : EXIT_FAIL;
			s->nguests++;
		}
	} else if (strcmp(op, "remove") == 0) {
		if (gi < 0) {
			r = trace_error_quoted(lineno, "%s is not placed", name);
		} else {
			np_load_uncharge(s->load, &s->guests[gi].claim);
			np_load_uncharge(s->load, &s->guests[gi].vclaim);
			if (s->guests[gi].held)
				np_load_unhold_cpus(s->load, s->guests[gi].held);
			guest_release(&s->guests[gi]);
			s->guests[gi] = s->guests[--s->nguests];
		}
	} else {
		r = trace_error_quoted(lineno, "unknown op %s (place, remove)", op);
	}
	json_decref(ev);
	if (r)
		return r;
	sample_load(s->host, s->load, &s->rep);
	return 0;
}

int cmd_simulate(int argc, char **argv)
{
	struct cli_host_opts ho = {{NP_SOURCE_LIVE, NULL, 0}, false};
	struct cli_request_opts ro;
	struct sim sim = {0};
	bool report = false, json = false;
	char *line = NULL;
	size_t linecap = 0;
	unsigned long lineno = 0;
	np_host *h = NULL;
	int r;

	cli_request_opts_init(&ro);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(simulate_help, stdout);
			fputs(cli_host_options_help, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--report") == 0) {
			report = true;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if ((r = cli_host_option("simulate", argc, argv, &i, &ho)) != 0) {
			if (r < 0)
				return -r;
		} else if (strncmp(a, "--strategy", 10) == 0 &&
		           (r = cli_request_option("simulate", argc, argv, &i, &ro)) != 0) {
			if (r < 0)
				return -r;
		} else {
			return cli_usage_error("simulate", "unknown argument '%s'", a);
		}
	}
	r = cli_host_load(&ho, &h);
	if (r)
		return r;
	if (sim_init(&sim, h, &ro.search) < 0 || sim_memory(&sim, &ho.src) < 0) {
		cli_error("out of memory");
		r = EXIT_FAIL;
		goto out;
	}
	for (ssize_t len; (len = getline(&line, &linecap, stdin)) >= 0;) {
		r = sim_line(&sim, line, (size_t)len, ++lineno);
		if (r)
			goto out;
	}
	if (ferror(stdin)) {
		cli_error("cannot read the trace: %s", strerror(errno));
		r = EXIT_FAIL;
		goto out;
	}
	if (report) {
		if (json) {
			json_t *o = json_object();

			json_object_set_new(o, "report", report_json(&sim.rep));
			r = cli_json_print(o, true);
		} else {
			print_report(&sim.rep);
		}
	}
out:
	sim_release(&sim);
	free(line);
	np_host_free(h);
	return r;
}
