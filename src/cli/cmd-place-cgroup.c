/*
 * cmd-place-cgroup.c - `numaplace place --cgroup PATH`: a cgroup v2 group, placed by its
 * cpuset (docs/cgroups.md). np_place() makes the placement; this file words the refusals and
 * prints what it did.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *what(const struct cli_place_opts *o)
{
	return o->cgroup_name == NP_GROUP_UNIT        ? "unit"
	       : o->cgroup_name == NP_GROUP_CONTAINER ? "container"
	       : o->cgroup_name == NP_GROUP_VM        ? "VM"
	                                              : "group";
}

/* Why the group cannot be placed: the library's message names the group and the file. */
static int refused(const struct cli_place_opts *o, const struct np_target *t, int r)
{
	const char *why = np_last_error();

	if (!why || !*why)
		why = strerror(-r);
	if (o->cgroup_name == NP_GROUP_PATH)
		cli_error("cannot place group '%s': %s", o->cgroup, why);
	else if (t->cgroup_path)
		cli_error("cannot place %s '%s' (group %s): %s", what(o), o->cgroup, t->cgroup_path,
		          why);
	else
		cli_error("cannot place %s '%s': %s", what(o), o->cgroup, why);
	return EXIT_FAIL;
}

/* Where the vCPUs came from. */
static const char *vcpus_from(const struct cli_place_opts *o, const struct np_target *t,
                              const struct np_placement *p)
{
	if (o->req.vcpus)
		return "";
	if (p->vcpus_capped)
		return " (its threads, at most the host's CPUs)";
	return t->cpu_max_vcpus ? " (cpu.max)" : " (its threads)";
}

static int print_json(const struct cli_place_opts *o, const struct np_target *t,
                      const struct np_placement *p)
{
	char *c = cli_list_string(p->cpus);
	json_t *j = json_object();

	json_object_set_new(j, "cgroup", json_string(t->cgroup_path));
	json_object_set_new(j, "cgroup_id", json_integer((json_int_t)t->cgroup_id));
	json_object_set_new(j, "kind", json_string(o->cgroup_name ? what(o) : "group"));
	json_object_set_new(j, "name", p->name ? json_string(p->name) : json_null());
	json_object_set_new(j, "dry_run", json_boolean(o->dry_run));
	json_object_set_new(j, "nodes", cli_json_int_array(p->nodes));
	cli_placement_memory(p, j, NULL, 0);
	json_object_set_new(j, "cpus", json_string(c ? c : ""));
	json_object_set_new(j, "memory_bytes", json_integer((json_int_t)p->memory_bytes));
	json_object_set_new(j, "memory_current", json_integer((json_int_t)t->memory_current));
	json_object_set_new(j, "vcpus", json_integer(p->vcpus));
	json_object_set_new(j, "cpu_max_vcpus", json_integer(t->cpu_max_vcpus));
	json_object_set_new(j, "processes", json_integer(t->nprocs));
	json_object_set_new(j, "threads", json_integer(t->threads));
	json_object_set_new(j, "resident", cli_node_bytes_json(t->resident, t->nresident));
	json_object_set_new(j, "reason", json_string(p->reason));
	json_object_set_new(j, "migrate", cli_migration_json(&p->migration, t, o->dry_run));
	free(c);
	return cli_json_print(j, false);
}

static void print_text(const struct cli_place_opts *o, const struct np_target *t,
                       const struct np_placement *p)
{
	char *n = cli_list_string(p->nodes), *c = cli_list_string(p->cpus), where[256], sz[32];
	char named[320] = "", mem[96];

	cli_node_bytes_text(t->resident, t->nresident, where, sizeof(where));
	if (o->cgroup_name)
		snprintf(named, sizeof(named), " (%s %s)", what(o), o->cgroup);
	cli_placement_memory(p, NULL, mem, sizeof(mem));
	printf("%s group %s%s on node%s %s%s, cpus %s: %s\n", o->dry_run ? "would place" : "placed",
	       t->cgroup_path, named, hwloc_bitmap_weight(p->nodes) > 1 ? "s" : "", n ? n : "?",
	       mem, c ? c : "?", p->reason);
	printf("memory %s (memory.numa_stat per node: %s), %u vCPU%s%s; %u process%s, %u "
	       "thread%s\n",
	       np_size_format(p->memory_bytes, sz, sizeof(sz)), where, p->vcpus,
	       p->vcpus == 1 ? "" : "s", vcpus_from(o, t, p), t->nprocs, t->nprocs == 1 ? "" : "es",
	       t->threads, t->threads == 1 ? "" : "s");
	cli_migration_text(&p->migration, t, p->memory_nodes, o->dry_run);
	free(n);
	free(c);
}

int cli_place_group(struct cli_place_opts *o, struct cli_placing *c)
{
	struct np_placement *p = &c->placement;
	int r;

	c->target.kind = NP_TARGET_CGROUP;
	c->target.cgroup = o->cgroup;
	c->target.root = o->cgroup_root;
	c->target.cgroup_name = o->cgroup_name;
	r = np_target_read(&c->target);
	if (r < 0)
		return refused(o, &c->target, r);
	/* a dry run creates no ledger: without one nothing is placed yet */
	cli_ledger_cgroup_root(o->cgroup_root);
	r = cli_placing_prepare(c, "place", &o->host, &o->req, o->state_dir,
	                        o->dry_run ? NP_LEDGER_NO_CREATE : 0);
	if (r)
		return r;
	c->req.name = o->name;
	c->req.origin = "place --cgroup";
	c->req.flags = (o->dry_run ? NP_PLACE_DRY_RUN : 0) |
	               (o->req.memory_given ? 0 : NP_PLACE_MEASURE_MEMORY);
	r = np_place(c->host, c->ledger, &c->target, &c->req, p);
	if (r < 0)
		return cli_place_failed("place", o->name, p, r);
	if (p->fit == NP_PLACE_NO_FIT) {
		char need[32];

		cli_error("no NUMA placement fits group '%s' (%s, %u vCPU%s): %s",
		          c->target.cgroup_path,
		          np_size_format(p->memory_bytes, need, sizeof(need)), p->vcpus,
		          p->vcpus == 1 ? "" : "s", p->reason);
		return EXIT_NOFIT;
	}
	if (p->fit == NP_PLACE_SHORT)
		cli_short_said(p, false, "placing there anyway");
	if (o->json)
		return print_json(o, &c->target, p);
	print_text(o, &c->target, p);
	return EXIT_OK;
}
