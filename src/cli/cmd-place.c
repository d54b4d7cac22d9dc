/*
 * cmd-place.c - `numaplace place --pid PID`: adopt a process that is already running.
 *
 * np_place() (live/place.c) makes the placement; its order keeps the ledger consistent whatever
 * the process does meanwhile:
 *   read the process (refuse a kernel thread, a zombie, another user's process) ->
 *   begin (write lock) -> load, with the process's own memory given back to the nodes it is
 *   on (and its own claim when it is already in the ledger) -> search -> bind every thread ->
 *   record (insert, or a move of the recorded workload) -> commit -> migrate its pages.
 * A process that exits before the commit leaves nothing; one that exits after it is pruned by
 * the next transaction. Migration runs after the commit so that the write lock is not held
 * while the kernel copies gigabytes.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char place_help[] =
    "usage: numaplace place --pid PID | --cgroup PATH | --unit NAME | --container ID |\n"
    "                       --vm NAME [--memory SIZE] [--vcpus N] [--strategy S]\n"
    "                       [--cgroup-root DIR]\n"
    "                       [--nodes LIST | --cpus LIST] [--name NAME] [--migrate]\n"
    "                       [--pin-vcpus] [--dry-run] [--json] [--state-dir DIR]\n\n"
    "Adopt a running process: choose nodes for it as 'numaplace run' would, counting its\n"
    "own memory as already present where it lies, record its claim in the ledger and bind\n"
    "every thread to the chosen nodes' CPUs. A process already in the ledger is moved (its\n"
    "row keeps its name; 'numaplace list' counts the move). Exit status 3 when no placement\n"
    "fits (nothing is changed). A cgroup v2 group is placed by its cpuset (cpuset.cpus,\n"
    "cpuset.mems), which covers every member and child and moves its pages.\n\n"
    "  --pid PID             the process (not a kernel thread; another user's only as root)\n"
    "  --cgroup PATH         a cgroup v2 group, absolute under the cgroup mount or relative\n"
    "                        to it (memory: its memory.current; vCPUs: cpu.max, else its\n"
    "                        threads); --dry-run only until the ledger records groups\n"
    "  --unit NAME           the group of a systemd unit (NAME.service when NAME has no\n"
    "                        suffix), found below system.slice or user.slice\n"
    "  --container ID        the group of a podman, docker, containerd or CRI-O container\n"
    "                        (an ID or a prefix matching one container)\n"
    "  --vm NAME             the group of a libvirt VM (machine-qemu\\x2dN\\x2dNAME.scope)\n"
    "  --cgroup-root DIR     read the cgroup mount below DIR (DIR/proc/self/mountinfo)\n"
    "  --memory SIZE         memory it needs (default: its resident memory, from\n"
    "                        /proc/PID/numa_maps, huge pages included)\n"
    "  --vcpus N             CPUs it needs (default: its number of threads)\n"
    "  --name NAME           its name in the ledger (default: COMMAND-PID)\n"
    "  --migrate             also move its pages to the chosen nodes (migrate_pages) and\n"
    "                        report what moved and what could not\n"
    "  --pin-vcpus           a QEMU process: pin each vCPU thread ('CPU n/KVM', 'CPU\n"
    "                        n/TCG') to a CPU of its own of the placement (vCPU n on its\n"
    "                        n-th CPU, wrapping around when they are fewer) and its other\n"
    "                        threads to the rest; recorded, so the daemon keeps them\n"
    "                        pinned (a pinned workload placed again is pinned again)\n"
    "  --dry-run             show what would be done; change nothing\n"
    "  --json                print a JSON document\n"
    "  -h, --help            show this help\n\n";

/* --cgroup PATH, --unit NAME, --container ID, --vm NAME: 1 consumed, 0 not one, -EXIT_USAGE. */
static int group_option(int argc, char **argv, int *i, struct cli_place_opts *o)
{
	static const struct {
		const char *opt;
		enum np_group_name kind;
	} opts[] = {{"--cgroup", NP_GROUP_PATH},
	            {"--unit", NP_GROUP_UNIT},
	            {"--container", NP_GROUP_CONTAINER},
	            {"--vm", NP_GROUP_VM}};
	const char *v;
	int err;

	for (unsigned k = 0; k < sizeof(opts) / sizeof(*opts); k++) {
		if ((v = cli_opt_value("place", opts[k].opt, argc, argv, i, &err)) == NULL) {
			if (err)
				return -err;
			continue;
		}
		if (o->cgroup)
			return -cli_usage_error("place",
			                        "give one of --cgroup, --unit, --container "
			                        "and --vm");
		o->cgroup = v;
		o->cgroup_name = opts[k].kind;
		o->cgroup_opt = opts[k].opt;
		return 1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct cli_place_opts *o)
{
	unsigned pid = 0;
	int r, err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(place_help, stdout);
			fputs(cli_request_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return 1;
		}
		if (strcmp(a, "--migrate") == 0) {
			o->migrate = true;
			continue;
		}
		if (strcmp(a, "--dry-run") == 0) {
			o->dry_run = true;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		}
		if (strcmp(a, "--pin-vcpus") == 0) {
			o->pin = true;
			continue;
		}
		if ((v = cli_opt_value("place", "--pid", argc, argv, &i, &err)) != NULL) {
			if (cli_parse_uint("place", "--pid", v, 1, 0x7fffffff, &pid))
				return -EXIT_USAGE;
			o->pid = (pid_t)pid;
			continue;
		}
		if (err)
			return -err;
		if ((v = cli_opt_value("place", "--name", argc, argv, &i, &err)) != NULL) {
			o->name = v;
			continue;
		}
		if (err)
			return -err;
		if ((r = group_option(argc, argv, &i, o)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		if ((v = cli_opt_value("place", "--cgroup-root", argc, argv, &i, &err)) != NULL) {
			o->cgroup_root = v;
			continue;
		}
		if (err)
			return -err;
		if ((r = cli_request_option("place", argc, argv, &i, &o->req)) != 0 ||
		    (r = cli_host_option("place", argc, argv, &i, &o->host)) != 0 ||
		    (r = cli_state_option("place", argc, argv, &i, &o->state_dir)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		return -cli_usage_error("place", "unknown argument '%s'", a);
	}
	if (o->pid && o->cgroup)
		return -cli_usage_error("place", "give --pid or %s, not both", o->cgroup_opt);
	if (!o->pid && !o->cgroup)
		return -cli_usage_error(
		    "place", "--pid or --cgroup (--unit, --container, --vm) is required");
	if (o->pin && o->cgroup)
		return -cli_usage_error("place",
		                        "--pin-vcpus pins the threads of a process (--pid), "
		                        "not of a group");
	if (o->cgroup_root && !o->cgroup)
		return -cli_usage_error("place", "--cgroup-root needs a group (--cgroup, --unit, "
		                                 "--container, --vm)");
	if (o->cgroup && !o->cgroup_root)
		o->cgroup_root = secure_getenv("NUMAPLACE_CGROUP_ROOT");
	if (o->req.nodes && o->req.cpus)
		return -cli_usage_error("place", "give --nodes or --cpus, not both");
	if (o->host.source_given && o->host.src.kind != NP_SOURCE_SYSFS)
		return -cli_usage_error("place",
		                        "--topology and --synthetic describe another host; "
		                        "place binds processes on this one");
	return 0;
}

json_t *cli_node_bytes_json(const struct np_node_bytes *a, int n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:i,s:I}", "node", (int)a[i].node, "bytes",
		                                     (json_int_t)a[i].bytes));
	return arr;
}

/* "0: 1.2 GiB, 1: 300 MiB" ("none" for no memory). */
void cli_node_bytes_text(const struct np_node_bytes *a, int n, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && k < len; i++) {
		char sz[32];

		k += (size_t)snprintf(buf + k, len - k, "%s%u: %s", i ? ", " : "", a[i].node,
		                      np_size_format(a[i].bytes, sz, sizeof(sz)));
	}
	if (n <= 0)
		snprintf(buf, len, "none");
}

uint64_t cli_pages(uint64_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);

	return bytes / (uint64_t)(page > 0 ? page : 4096);
}

json_t *cli_migration_json(const struct np_migration *m, const struct np_target *t, bool dry_run)
{
	uint64_t moved = m->to_move > m->stuck ? m->to_move - m->stuck : 0;
	json_t *j =
	    json_pack("{s:o,s:I,s:I}", "before", cli_node_bytes_json(t->resident, t->nresident),
	              "to_move_bytes", (json_int_t)m->to_move, "to_move_pages",
	              (json_int_t)cli_pages(m->to_move));

	if (!dry_run) {
		json_object_set_new(j, "after", cli_node_bytes_json(m->after, m->nafter));
		json_object_set_new(j, "moved_bytes", json_integer((json_int_t)moved));
		json_object_set_new(j, "moved_pages", json_integer((json_int_t)cli_pages(moved)));
		json_object_set_new(j, "not_moved_bytes", json_integer((json_int_t)m->stuck));
		json_object_set_new(j, "not_moved_pages",
		                    json_integer((json_int_t)cli_pages(m->stuck)));
		json_object_set_new(j, "kernel_not_moved_pages", json_integer(m->kernel_failed));
	}
	return j;
}

void cli_migration_text(const struct np_migration *m, const struct np_target *t,
                        hwloc_const_nodeset_t target, bool dry_run)
{
	uint64_t moved = m->to_move > m->stuck ? m->to_move - m->stuck : 0;
	char *nodes = cli_list_string(target), a[32], b[32];

	if (m->to_move == 0) {
		printf("migrate: 0 pages to move (%s already on node%s %s)\n",
		       np_size_format(np_node_bytes_sum(t->resident, (unsigned)t->nresident), a,
		                      sizeof(a)),
		       hwloc_bitmap_weight(target) > 1 ? "s" : "", nodes ? nodes : "?");
	} else if (dry_run) {
		printf("migrate: would move %" PRIu64 " pages (%s) to node%s %s\n",
		       cli_pages(m->to_move), np_size_format(m->to_move, a, sizeof(a)),
		       hwloc_bitmap_weight(target) > 1 ? "s" : "", nodes ? nodes : "?");
	} else {
		printf("migrate: moved %" PRIu64 " pages (%s) to node%s %s; %" PRIu64
		       " pages (%s) could not move\n",
		       cli_pages(moved), np_size_format(moved, a, sizeof(a)),
		       hwloc_bitmap_weight(target) > 1 ? "s" : "", nodes ? nodes : "?",
		       cli_pages(m->stuck), np_size_format(m->stuck, b, sizeof(b)));
	}
	free(nodes);
}

/* Why the process cannot be placed, as np_target_read() found. Returns EXIT_FAIL. */
static int refused(pid_t pid, const struct np_target *t, int r)
{
	const struct np_process *p = &t->process;

	if (!p->pid && r == -ESRCH)
		cli_error("no process with pid %d", (int)pid);
	else if (!p->pid)
		cli_error("cannot read process %d: %s", (int)pid, strerror(-r));
	else if (p->kernel_thread)
		cli_error("pid %d is a kernel thread ('%s'): the kernel places its own threads",
		          (int)pid, p->comm);
	else if (p->state == 'Z' || p->state == 'X')
		cli_error("pid %d ('%s') has exited (a zombie)", (int)pid, p->comm);
	else if (r == -EPERM)
		cli_error(
		    "cannot place pid %d ('%s'): permission denied (it belongs to uid %u; only "
		    "root places another user's process)",
		    (int)pid, p->comm, (unsigned)p->uid);
	else if (r == -ESRCH)
		cli_error("pid %d exited before it could be placed", (int)pid);
	else if (r == -EACCES)
		cli_error(
		    "cannot place pid %d ('%s'): permission denied reading /proc/%d/numa_maps",
		    (int)pid, p->comm, (int)pid);
	else
		cli_error("cannot read the memory of pid %d: %s", (int)pid, strerror(-r));
	return EXIT_FAIL;
}

/*
 * The warnings and errors of np_place()'s result `r`, in the order the placement met them.
 * Returns the exit code, or -1 when the placement is to be printed.
 */
static int said(const struct cli_place_opts *o, const struct np_target *t,
                const struct np_placement *p, int r)
{
	bool chosen = r == 0 || p->failed >= NP_PLACE_STEP_BIND;

	if (chosen && p->fit == NP_PLACE_SHORT)
		cli_short_said(p, false, "placing there anyway");
	if (p->policy_stale) {
		char *was = cli_list_string(p->was.nodes);

		cli_warn("its memory policy (%s, set when it started) still names node%s %s: "
		         "new pages go there",
		         p->was.policy, hwloc_bitmap_weight(p->was.nodes) > 1 ? "s" : "",
		         was ? was : "?");
		free(was);
	}
	if (r == 0 && p->fit == NP_PLACE_NO_FIT) {
		char need[32];

		cli_error("no NUMA placement fits pid %d ('%s': %s, %u vCPU%s): %s", (int)o->pid,
		          t->process.comm, np_size_format(p->memory_bytes, need, sizeof(need)),
		          p->vcpus, p->vcpus == 1 ? "" : "s", p->reason);
		return EXIT_NOFIT;
	}
	if (r == 0)
		return -1;
	if (p->failed == NP_PLACE_STEP_BIND && r == -ESRCH) {
		cli_error("pid %d exited while being placed: nothing recorded", (int)o->pid);
	} else if (p->failed == NP_PLACE_STEP_BIND) {
		char *c = cli_list_string(p->cpus);

		cli_error("cannot bind pid %d to cpus %s: %s%s", (int)o->pid, c ? c : "?",
		          strerror(-r),
		          r == -EINVAL ? " (CPUs outside the process's cpuset?)" : "");
		free(c);
	} else {
		return cli_place_failed("place", o->name, p, r);
	}
	return EXIT_FAIL;
}

static int print_json(const struct cli_place_opts *o, const struct np_target *t,
                      const struct np_placement *p, const struct np_vcpu_pinning *pin)
{
	char *c = cli_list_string(p->cpus);
	json_t *j = json_object();

	json_object_set_new(j, "pid", json_integer(o->pid));
	json_object_set_new(j, "name", p->name ? json_string(p->name) : json_null());
	json_object_set_new(j, "dry_run", json_boolean(o->dry_run));
	json_object_set_new(j, "moved", json_boolean(p->moved));
	json_object_set_new(j, "nodes", cli_json_int_array(p->nodes));
	cli_placement_memory(p, j, NULL, 0);
	json_object_set_new(j, "cpus", json_string(c ? c : ""));
	json_object_set_new(j, "memory_bytes", json_integer((json_int_t)p->memory_bytes));
	json_object_set_new(j, "vcpus", json_integer(p->vcpus));
	json_object_set_new(j, "threads", json_integer(p->threads));
	json_object_set_new(j, "resident", cli_node_bytes_json(t->resident, t->nresident));
	json_object_set_new(j, "reason", json_string(p->reason));
	if (o->migrate)
		json_object_set_new(j, "migrate", cli_migration_json(&p->migration, t, o->dry_run));
	json_object_set_new(j, "pinning", pin->threads ? cli_pin_json(pin, true) : json_null());
	free(c);
	return cli_json_print(j, false);
}

static void print_text(const struct cli_place_opts *o, const struct np_target *t,
                       const struct np_placement *p, const struct np_vcpu_pinning *pin)
{
	char *n = cli_list_string(p->nodes), *c = cli_list_string(p->cpus), where[256], sz[32];
	char mem[96];

	cli_node_bytes_text(t->resident, t->nresident, where, sizeof(where));
	cli_placement_memory(p, NULL, mem, sizeof(mem));
	printf("%s pid %d (%s) on node%s %s%s, cpus %s: %s\n",
	       o->dry_run ? "would place" : (p->moved ? "moved" : "placed"), (int)o->pid,
	       p->name ? p->name : t->process.comm, hwloc_bitmap_weight(p->nodes) > 1 ? "s" : "",
	       n ? n : "?", mem, c ? c : "?", p->reason);
	printf("memory %s (resident per node: %s), %u vCPU%s%s; %u thread%s %s\n",
	       np_size_format(p->memory_bytes, sz, sizeof(sz)), where, p->vcpus,
	       p->vcpus == 1 ? "" : "s", p->vcpus_capped ? " (the host's CPUs)" : "", p->threads,
	       p->threads == 1 ? "" : "s", o->dry_run ? "would be bound" : "bound");
	if (o->migrate)
		cli_migration_text(&p->migration, t, p->memory_nodes, o->dry_run);
	if (pin->threads) {
		char *text = cli_pin_text(pin);

		printf("%s %s\n", o->dry_run ? "would pin" : "pinned", text ? text : "?");
		free(text);
	}
	free(n);
	free(c);
}

/*
 * --pin-vcpus, before anything changes: the process must have vCPU threads to pin (their
 * number into *ret_vcpus). Returns 0 or EXIT_FAIL.
 */
static int pin_check(const struct cli_place_opts *o, const struct np_target *t, unsigned *ret_vcpus)
{
	hwloc_bitmap_t any = hwloc_bitmap_alloc();
	struct np_vcpu_pinning p;
	int r = -ENOMEM;

	np_vcpu_pinning_init(&p);
	if (any) {
		hwloc_bitmap_only(any, 0);
		r = np_qemu_pin_vcpus(NULL, o->pid, any, NP_VCPU_PIN_DRY_RUN, &p);
	}
	np_vcpu_pinning_release(&p);
	hwloc_bitmap_free(any);
	if (r >= 0) {
		*ret_vcpus = (unsigned)r;
		return 0;
	}
	cli_error("cannot pin the vCPUs of pid %d ('%s'): %s", (int)o->pid, t->process.comm,
	          cli_pin_why(r));
	return EXIT_FAIL;
}

/*
 * Pin the vCPU threads to the placement's CPUs when asked (--pin-vcpus) or when the workload
 * moved was pinned; work it out only in a dry run. Returns 0 (ret filled, or left empty when
 * there is nothing to pin) or EXIT_FAIL.
 */
static int pin_placed(const struct cli_place_opts *o, const struct np_placement *p,
                      struct np_vcpu_pinning *ret)
{
	bool pinned = p->moved && (p->was.flags & NP_WORKLOAD_PIN_VCPUS);
	int r;

	if ((!o->pin && !pinned) || hwloc_bitmap_iszero(p->cpus))
		return 0;
	r = np_qemu_pin_vcpus(NULL, o->pid, p->cpus, o->dry_run ? NP_VCPU_PIN_DRY_RUN : 0, ret);
	if (r == -ESRCH) {
		cli_error("pid %d exited before its vCPU threads were pinned", (int)o->pid);
		return EXIT_FAIL;
	}
	if (r < 0) {
		cli_error("cannot pin the vCPUs of pid %d: %s", (int)o->pid, cli_pin_why(r));
		return EXIT_FAIL;
	}
	if (ret->wrapped)
		cli_pin_wrap_said(ret->nvcpus, p->cpus);
	return 0;
}

int cmd_place(int argc, char **argv)
{
	struct cli_place_opts o = {.host = {{NP_SOURCE_LIVE, NULL, NP_HOST_FAST}, false}};
	struct cli_placing c;
	struct np_placement *p = &c.placement;
	struct np_vcpu_pinning pin;
	unsigned vcpus = 0;
	int r, rp;

	cli_placing_init(&c);
	np_vcpu_pinning_init(&pin);
	cli_request_opts_init(&o.req);
	r = parse(argc, argv, &o);
	if (r < 0)
		return -r;
	if (r == 1)
		return EXIT_OK;
	if (o.cgroup) {
		r = cli_place_group(&o, &c);
		goto out;
	}

	/* the process first: a refusal needs no host and no ledger */
	c.target.kind = NP_TARGET_PID;
	c.target.pid = o.pid;
	r = np_target_read(&c.target);
	if (r < 0) {
		r = refused(o.pid, &c.target, r);
		goto out;
	}
	if (o.pin && (r = pin_check(&o, &c.target, &vcpus)) != 0)
		goto out;
	/* a dry run creates no ledger: without one nothing is placed yet */
	r = cli_placing_prepare(&c, "place", &o.host, &o.req, o.state_dir,
	                        o.dry_run ? NP_LEDGER_NO_CREATE : 0);
	if (r)
		goto out;
	/* a guest needs its vCPUs, not a CPU per thread of QEMU's (at most the host's CPUs) */
	if (o.pin && !c.req.request.vcpus)
		c.req.request.vcpus = vcpus < np_host_ncpus(c.host) ? vcpus : np_host_ncpus(c.host);
	c.req.name = o.name;
	c.req.origin = "place --pid";
	c.req.flags = (o.dry_run ? NP_PLACE_DRY_RUN : 0) | (o.migrate ? NP_PLACE_MIGRATE : 0) |
	              (o.req.memory_given ? 0 : NP_PLACE_MEASURE_MEMORY) |
	              (o.pin ? NP_PLACE_PIN_VCPUS : 0);
	r = said(&o, &c.target, p, np_place(c.host, c.ledger, &c.target, &c.req, p));
	if (r >= 0)
		goto out;
	rp = pin_placed(&o, p, &pin);
	r = EXIT_OK;
	if (o.json)
		r = print_json(&o, &c.target, p, &pin);
	else
		print_text(&o, &c.target, p, &pin);
	if (rp)
		r = rp;
	if (p->migration.err == -ESRCH) {
		cli_error("pid %d exited before its pages were moved", (int)o.pid);
		r = EXIT_FAIL;
	} else if (p->migration.err < 0) {
		cli_error("cannot move the pages of pid %d: %s", (int)o.pid,
		          strerror(-p->migration.err));
		r = EXIT_FAIL;
	}
out:
	np_vcpu_pinning_release(&pin);
	cli_placing_release(&c);
	return r;
}
