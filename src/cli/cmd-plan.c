/* cmd-plan.c - `numaplace plan`: choose nodes for a workload without running it. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char plan_help[] =
    "usage: numaplace plan --memory SIZE [--vcpus N] [--strategy NAME] [--explain]\n"
    "                      [--keep N] [--cpu-binding strict|none|exclusive] [--json]\n"
    "                      [HOST SOURCE]\n\n"
    "Choose the nodes a workload would be placed on, and say why. Nothing is run and\n"
    "nothing is recorded. On this host (no host source given) the workloads in the\n"
    "ledger are taken into account as 'numaplace run' does, so plan and run agree.\n"
    "Exit status 3 when no placement fits.\n\n"
    "  --explain             list the best candidates, ranked, with their figures\n"
    "  --keep N              how many candidates --explain lists (default 5)\n"
    "  --cpu-binding MODE    exclusive: whole cores for the workload alone, as 'run\n"
    "                        --cpu-binding exclusive' grants them (strict, none: shared)\n"
    "  --json                print a JSON document\n"
    "  -h, --help            show this help\n\n";

json_t *cli_candidate_json(const struct np_candidate *c)
{
	char *cpus = cli_list_string(c->cpus);
	json_t *j = json_pack("{s:o,s:s,s:i,s:I,s:I,s:f}", "nodes", cli_json_int_array(c->nodes),
	                      "cpus", cpus ? cpus : "", "ncpus", (int)c->ncpus, "free_bytes",
	                      (json_int_t)c->free_bytes, "placed_vcpus", (json_int_t)c->vcpus,
	                      "mean_distance", c->mean_distance);

	free(cpus);
	if (j)
		cli_json_exclusive(j, c->exclusive);
	return j;
}

static json_t *plan_json(const np_plan *plan, bool explain)
{
	const struct np_candidate *best = np_plan_best(plan);
	json_t *root = json_object(), *placement = json_null();

	if (best) {
		char *cpus = cli_list_string(best->cpus);

		placement = json_pack("{s:o,s:s}", "nodes", cli_json_int_array(best->nodes), "cpus",
		                      cpus ? cpus : "");
		free(cpus);
		if (placement)
			cli_json_exclusive(placement, best->exclusive);
	}
	json_object_set_new(root, "placement", placement);
	json_object_set_new(root, "reason", json_string(np_plan_reason(plan)));
	if (explain) {
		json_t *cands = json_array();

		for (unsigned i = 0; i < np_plan_ncandidates(plan); i++)
			json_array_append_new(cands,
			                      cli_candidate_json(np_plan_candidate(plan, i)));
		json_object_set_new(root, "candidates", cands);
		json_object_set_new(root, "examined",
		                    json_integer((json_int_t)np_plan_examined(plan)));
	}
	return root;
}

static void print_plan(const np_plan *plan, bool explain)
{
	const struct np_candidate *best = np_plan_best(plan);

	if (best) {
		char *nodes = cli_list_string(best->nodes), *cpus = cli_list_string(best->cpus);

		printf("nodes %s (%scpus %s)\n", nodes ? nodes : "?",
		       best->exclusive ? "exclusive " : "", cpus ? cpus : "?");
		printf("why: %s\n", np_plan_reason(plan));
		free(nodes);
		free(cpus);
	}
	if (!explain)
		return;
	if (np_plan_ncandidates(plan) == 0) {
		printf("%" PRIu64 " candidate sets examined; none fits\n", np_plan_examined(plan));
		return;
	}
	printf("%" PRIu64 " candidate sets examined; the best %u:\n", np_plan_examined(plan),
	       np_plan_ncandidates(plan));
	printf("rank  %-16s %12s %6s %7s %9s\n", "nodes", "free", "cpus", "placed", "distance");
	for (unsigned i = 0; i < np_plan_ncandidates(plan); i++) {
		const struct np_candidate *c = np_plan_candidate(plan, i);
		char *nodes = cli_list_string(c->nodes), fr[32];

		printf("%4u  %-16s %12s %6u %7" PRIu64 " %9.2f\n", i + 1, nodes ? nodes : "?",
		       np_size_format(c->free_bytes, fr, sizeof(fr)), c->ncpus, c->vcpus,
		       c->mean_distance);
		free(nodes);
	}
	printf(
	    "placed: vCPUs already placed on the set; distance: the mean SLIT distance between\n"
	    "the set's nodes (each with itself included) over the local distance, 1.00 = local\n");
}

struct plan_opts {
	struct cli_host_opts ho;
	struct cli_request_opts ro;
	enum np_cpu_binding binding;
	bool explain, json;
	const char *state_dir;
};

/* Returns -1 to go on, else the exit status (--help, a usage error). */
static int plan_parse(int argc, char **argv, struct plan_opts *o)
{
	const char *v;
	int r, err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(plan_help, stdout);
			fputs(cli_request_options_help, stdout);
			fputs(cli_host_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--explain") == 0) {
			o->explain = true;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if ((v = cli_opt_value("plan", "--cpu-binding", argc, argv, &i, &err)) !=
		           NULL) {
			if (np_cpu_binding_parse(v, &o->binding) < 0)
				return cli_usage_error("plan",
				                       "--cpu-binding '%s': expected strict, none "
				                       "or exclusive",
				                       v);
		} else if (err) {
			return err;
		} else if ((r = cli_request_option("plan", argc, argv, &i, &o->ro)) != 0 ||
		           (r = cli_host_option("plan", argc, argv, &i, &o->ho)) != 0 ||
		           (r = cli_state_option("plan", argc, argv, &i, &o->state_dir)) != 0) {
			if (r < 0)
				return -r;
		} else {
			return cli_usage_error("plan", "unknown argument '%s'", a);
		}
	}
	if (!o->ro.memory_given)
		return cli_usage_error("plan", "--memory is required");
	return -1;
}

/* The plan for the options' request on h, printed; the exit status. */
static int plan_show(struct plan_opts *o, np_host *h)
{
	hwloc_bitmap_t sets[2] = {NULL, NULL};
	struct np_request req;
	np_load *load = NULL;
	np_plan *plan = NULL;
	int r;

	o->ro.src = &o->ho.src;
	r = cli_request_build("plan", h, &o->ro, &req, sets);
	if (r)
		goto out;
	req.exclusive = o->binding == NP_CPU_BINDING_EXCLUSIVE;
	if (!o->ho.source_given) {
		r = cli_ledger_load(o->state_dir, h, &load, NULL, NULL);
		if (r)
			goto out;
	}
	o->ro.search.keep = o->explain ? o->ro.keep : 1;
	r = np_search(h, load, &req, &o->ro.search, &plan);
	if (r < 0) {
		cli_error("cannot plan: %s", strerror(-r));
		r = EXIT_FAIL;
		goto out;
	}
	if (o->json) {
		json_t *j = plan_json(plan, o->explain);

		if (j && o->ro.near.n)
			json_object_set_new(j, "near", cli_near_json(&o->ro.near));
		if (j && req.memory_nodes && np_plan_best(plan))
			json_object_set_new(json_object_get(j, "placement"), "memory_nodes",
			                    cli_memory_nodes_json(&req, np_plan_best(plan)));
		r = cli_json_print(j, false);
	} else {
		print_plan(plan, o->explain);
		if (o->explain)
			cli_near_explain(&o->ro.near, stdout);
		if (o->explain)
			cli_memory_explain(&req, np_plan_best(plan), stdout);
		if (o->explain && req.costs)
			printf("distances: HMAT read latencies where the firmware gives them (10 = "
			       "local), SLIT elsewhere\n");
	}
	if (r == EXIT_OK && !np_plan_best(plan)) {
		if (!o->json)
			cli_error("no placement fits: %s", np_plan_reason(plan));
		r = EXIT_NOFIT;
	}
out:
	np_load_free(load);
	np_plan_free(plan);
	hwloc_bitmap_free(sets[0]);
	hwloc_bitmap_free(sets[1]);
	return r;
}

int cmd_plan(int argc, char **argv)
{
	struct plan_opts o = {.ho = {{NP_SOURCE_LIVE, NULL, 0}, false}};
	np_host *h = NULL;
	int r;

	cli_request_opts_init(&o.ro);
	/* the configuration's binding, as run takes it: plan and run agree */
	o.binding = cli_config()->cpu_binding;
	r = plan_parse(argc, argv, &o);
	if (r < 0) {
		r = cli_host_load(&o.ho, &h);
		if (r == 0)
			r = plan_show(&o, h);
	}
	cli_request_opts_release(&o.ro);
	np_host_free(h);
	return r;
}
