/*
 * cmd-place.c - `numaplace place --pid PID`: adopt a process that is already running.
 *
 * The order keeps the ledger consistent whatever the process does meanwhile:
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
    "usage: numaplace place --pid PID [--memory SIZE] [--vcpus N] [--strategy S]\n"
    "                       [--nodes LIST | --cpus LIST] [--name NAME] [--migrate]\n"
    "                       [--dry-run] [--json] [--state-dir DIR]\n\n"
    "Adopt a running process: choose nodes for it as 'numaplace run' would, counting its\n"
    "own memory as already present where it lies, record its claim in the ledger and bind\n"
    "every thread to the chosen nodes' CPUs. A process already in the ledger is moved (its\n"
    "row keeps its name; 'numaplace list' counts the move). Exit status 3 when no placement\n"
    "fits (nothing is changed).\n\n"
    "  --pid PID             the process (not a kernel thread; another user's only as root)\n"
    "  --memory SIZE         memory it needs (default: its resident memory, from\n"
    "                        /proc/PID/numa_maps, huge pages included)\n"
    "  --vcpus N             CPUs it needs (default: its number of threads)\n"
    "  --name NAME           its name in the ledger (default: COMMAND-PID)\n"
    "  --migrate             also move its pages to the chosen nodes (migrate_pages) and\n"
    "                        report what moved and what could not\n"
    "  --dry-run             show what would be done; change nothing\n"
    "  --json                print a JSON document\n"
    "  -h, --help            show this help\n\n";

struct place_opts {
	struct cli_host_opts host;
	struct cli_request_opts req;
	const char *name;
	const char *state_dir;
	pid_t pid;
	bool migrate, dry_run, json;
};

static int parse(int argc, char **argv, struct place_opts *o)
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
		if ((r = cli_request_option("place", argc, argv, &i, &o->req)) != 0 ||
		    (r = cli_host_option("place", argc, argv, &i, &o->host)) != 0 ||
		    (r = cli_state_option("place", argc, argv, &i, &o->state_dir)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		return -cli_usage_error("place", "unknown argument '%s'", a);
	}
	if (!o->pid)
		return -cli_usage_error("place", "--pid is required");
	if (o->req.nodes && o->req.cpus)
		return -cli_usage_error("place", "give --nodes or --cpus, not both");
	if (o->host.source_given && o->host.src.kind != NP_SOURCE_SYSFS)
		return -cli_usage_error("place",
		                        "--topology and --synthetic describe another host; "
		                        "place binds processes on this one");
	return 0;
}

static uint64_t bytes_total(const struct np_node_bytes *a, int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += a[i].bytes;
	return sum;
}

/* Memory of `a` on nodes outside `nodes`. */
static uint64_t bytes_off(const struct np_node_bytes *a, int n, hwloc_const_nodeset_t nodes)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		if (!hwloc_bitmap_isset(nodes, a[i].node))
			sum += a[i].bytes;
	return sum;
}

static json_t *node_bytes_json(const struct np_node_bytes *a, int n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:i,s:I}", "node", (int)a[i].node, "bytes",
		                                     (json_int_t)a[i].bytes));
	return arr;
}

/* "0: 1.2 GiB, 1: 300 MiB" ("none" for no memory). */
static void node_bytes_text(const struct np_node_bytes *a, int n, char *buf, size_t len)
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

/*
 * Give the process's own memory back to the load: its resident pages count as free on the
 * nodes they are on (it takes them along wherever it goes), and when the ledger holds it, what
 * its claim still reserves and its vCPUs. The search then sees the host as if it were not there.
 */
int cli_give_back(const np_host *h, np_load *load, const struct np_node_bytes *res, int nres,
                  const struct np_workload *own)
{
	struct np_claim c;
	unsigned nn = np_host_nnodes(h);
	int r = 0;

	memset(&c, 0, sizeof(c));
	c.nodes = hwloc_bitmap_alloc();
	c.bytes = calloc(nn ? nn : 1, sizeof(*c.bytes));
	c.nbytes = nn;
	if (!c.nodes || !c.bytes) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < nres; i++) {
		int idx = np_host_node_idx(h, res[i].node);

		if (idx >= 0)
			c.bytes[idx] += res[i].bytes;
	}
	if (own) {
		for (unsigned k = 0; k < own->nclaimed; k++) {
			int idx = np_host_node_idx(h, own->claimed[k].node);
			uint64_t resident = 0;

			for (int i = 0; i < nres; i++)
				if (res[i].node == own->claimed[k].node)
					resident = res[i].bytes;
			if (idx >= 0 && own->claimed[k].bytes > resident)
				c.bytes[idx] += own->claimed[k].bytes - resident;
		}
		hwloc_bitmap_copy(c.nodes, own->nodes);
		c.vcpus = own->vcpus;
	}
	np_load_release(load, &c);
out:
	np_claim_release(&c);
	return r;
}

/* The live ledger row of this process, if any (copied into *ret). Returns 1, 0 or -errno. */
static int find_own(np_ledger *ledger, pid_t pid, uint64_t start, struct np_workload *ret)
{
	struct np_workload *list = NULL;
	int n = np_ledger_list(ledger, 0, &list), found = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (list[i].pid == pid && list[i].start_time == start) {
			*ret = list[i];
			np_workload_init(&list[i]);
			found = 1;
			break;
		}
	np_workloads_free(list, (unsigned)n);
	return found;
}

void cli_migrate(pid_t pid, const np_host *h, hwloc_const_nodeset_t target, struct cli_migration *m)
{
	hwloc_bitmap_t from = hwloc_bitmap_alloc(), to = hwloc_bitmap_alloc();
	int id;

	if (!from || !to) {
		m->err = -ENOMEM;
		goto out;
	}
	/* pages go to the target's nodes that have memory */
	hwloc_bitmap_foreach_begin(id, target)
	{
		int idx = np_host_node_idx(h, (unsigned)id);

		if (idx >= 0 && np_host_node(h, (unsigned)idx)->memory_bytes)
			hwloc_bitmap_set(to, (unsigned)id);
	}
	hwloc_bitmap_foreach_end();
	for (int i = 0; i < m->nbefore; i++)
		if (m->before[i].bytes && !hwloc_bitmap_isset(to, m->before[i].node))
			hwloc_bitmap_set(from, m->before[i].node);
	m->to_move = bytes_off(m->before, m->nbefore, to);
	if (!hwloc_bitmap_iszero(from) && !hwloc_bitmap_iszero(to)) {
		m->kernel_failed = np_migrate(pid, from, to);
		if (m->kernel_failed < 0) {
			m->err = (int)m->kernel_failed;
			m->kernel_failed = 0;
			goto out;
		}
	}
	m->nafter = np_process_memory(pid, &m->after);
	if (m->nafter < 0) {
		m->err = m->nafter;
		m->nafter = 0;
		goto out;
	}
	m->stuck = bytes_off(m->after, m->nafter, to);
out:
	hwloc_bitmap_free(from);
	hwloc_bitmap_free(to);
}

uint64_t cli_pages(uint64_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);

	return bytes / (uint64_t)(page > 0 ? page : 4096);
}

static json_t *migration_json(const struct cli_migration *m, bool dry_run)
{
	uint64_t moved = m->to_move > m->stuck ? m->to_move - m->stuck : 0;
	json_t *j = json_pack("{s:o,s:I,s:I}", "before", node_bytes_json(m->before, m->nbefore),
	                      "to_move_bytes", (json_int_t)m->to_move, "to_move_pages",
	                      (json_int_t)cli_pages(m->to_move));

	if (!dry_run) {
		json_object_set_new(j, "after", node_bytes_json(m->after, m->nafter));
		json_object_set_new(j, "moved_bytes", json_integer((json_int_t)moved));
		json_object_set_new(j, "moved_pages", json_integer((json_int_t)cli_pages(moved)));
		json_object_set_new(j, "not_moved_bytes", json_integer((json_int_t)m->stuck));
		json_object_set_new(j, "not_moved_pages",
		                    json_integer((json_int_t)cli_pages(m->stuck)));
		json_object_set_new(j, "kernel_not_moved_pages", json_integer(m->kernel_failed));
	}
	return j;
}

static void migration_text(const struct cli_migration *m, hwloc_const_nodeset_t target,
                           bool dry_run)
{
	uint64_t moved = m->to_move > m->stuck ? m->to_move - m->stuck : 0;
	char *nodes = cli_list_string(target), a[32], b[32];

	if (m->to_move == 0) {
		printf("migrate: 0 pages to move (%s already on node%s %s)\n",
		       np_size_format(bytes_total(m->before, m->nbefore), a, sizeof(a)),
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

int cmd_place(int argc, char **argv)
{
	struct place_opts o = {.host = {{NP_SOURCE_LIVE, NULL, NP_HOST_FAST}, false}};
	hwloc_bitmap_t sets[2] = {NULL, NULL}, nodes = NULL, cpus = NULL;
	struct np_workload w, own;
	struct cli_migration mig;
	struct np_apply_req ap;
	struct np_request req;
	struct np_process p, after;
	struct np_node_bytes *res = NULL;
	const struct np_candidate *best;
	char **pargv = NULL, *name = NULL, *reason = NULL;
	np_ledger *ledger = NULL;
	np_load *load = NULL;
	np_plan *plan = NULL;
	np_host *h = NULL;
	bool fits = true, recorded = false, capped = false;
	int nres = 0, r;

	np_workload_init(&w);
	np_workload_init(&own);
	memset(&mig, 0, sizeof(mig));
	cli_request_opts_init(&o.req);
	r = parse(argc, argv, &o);
	if (r < 0)
		return -r;
	if (r == 1)
		return EXIT_OK;

	r = np_process_read(o.pid, &p);
	if (r == -ESRCH) {
		cli_error("no process with pid %d", (int)o.pid);
		return EXIT_FAIL;
	}
	if (r < 0) {
		cli_error("cannot read process %d: %s", (int)o.pid, strerror(-r));
		return EXIT_FAIL;
	}
	if (p.kernel_thread) {
		cli_error("pid %d is a kernel thread ('%s'): the kernel places its own threads",
		          (int)o.pid, p.comm);
		return EXIT_FAIL;
	}
	if (p.state == 'Z' || p.state == 'X') {
		cli_error("pid %d ('%s') has exited (a zombie)", (int)o.pid, p.comm);
		return EXIT_FAIL;
	}
	/* the real uid: a set-uid numaplace does not lend its owner's power (docs/security.md) */
	if (getuid() != 0 && p.uid != getuid()) {
		cli_error(
		    "cannot place pid %d ('%s'): permission denied (it belongs to uid %u; only "
		    "root places another user's process)",
		    (int)o.pid, p.comm, (unsigned)p.uid);
		return EXIT_FAIL;
	}
	nres = np_process_memory(o.pid, &res);
	if (nres < 0) {
		if (nres == -ESRCH)
			cli_error("pid %d exited before it could be placed", (int)o.pid);
		else if (nres == -EACCES || nres == -EPERM)
			cli_error("cannot place pid %d ('%s'): permission denied reading "
			          "/proc/%d/numa_maps",
			          (int)o.pid, p.comm, (int)o.pid);
		else
			cli_error("cannot read the memory of pid %d: %s", (int)o.pid,
			          strerror(-nres));
		return EXIT_FAIL;
	}
	if (!o.req.memory_given)
		o.req.memory = bytes_total(res, nres);
	if (np_process_argv(o.pid, &pargv) < 0)
		pargv = NULL;

	r = cli_host_load(&o.host, &h);
	if (r)
		goto out;
	if (!o.req.vcpus) {
		/*
		 * A thread is not a CPU's worth of demand: more threads than the host has CPUs
		 * would fit nowhere, so the default stops at the host's CPUs.
		 */
		o.req.vcpus = p.nthreads ? p.nthreads : 1;
		if (o.req.vcpus > np_host_ncpus(h)) {
			capped = true;
			o.req.vcpus = np_host_ncpus(h);
		}
	}
	o.req.src = &o.host.src; /* --near: devices of the same host */
	r = cli_request_build("place", h, &o.req, &req, sets);
	if (r)
		goto out;
	nodes = hwloc_bitmap_alloc();
	cpus = hwloc_bitmap_alloc();
	if (!nodes || !cpus) {
		r = -ENOMEM;
		goto fail;
	}
	/* a dry run creates no ledger: without one nothing is placed yet */
	r = cli_ledger_open(o.state_dir, o.dry_run ? NP_LEDGER_NO_CREATE : 0, &ledger);
	if (r)
		goto out;
	if (ledger) {
		r = np_ledger_begin(ledger);
		if (r < 0)
			goto ledger_fail;
		r = np_ledger_load(ledger, h, &load);
		if (r < 0)
			goto ledger_fail;
		r = find_own(ledger, o.pid, p.start_time, &own);
		if (r < 0)
			goto ledger_fail;
		recorded = r == 1;
	} else {
		r = np_load_new(h, &load);
		if (r < 0)
			goto fail;
	}
	r = cli_give_back(h, load, res, nres, recorded ? &own : NULL);
	if (r < 0)
		goto fail;

	if (o.req.nodes || o.req.cpus) {
		r = cli_claim_by_hand(h, load, sets, &req, nodes, cpus, &w, false,
		                      "placing there anyway");
		if (r < 0)
			goto fail;
		reason = strdup("nodes given by hand");
	} else {
		o.req.search.keep = 1;
		r = np_search(h, load, &req, &o.req.search, &plan);
		if (r < 0) {
			cli_error("cannot place: %s", strerror(-r));
			r = EXIT_FAIL;
			goto out;
		}
		best = np_plan_best(plan);
		if (!best) {
			char need[32];

			cli_error("no NUMA placement fits pid %d ('%s': %s, %u vCPU%s): %s",
			          (int)o.pid, p.comm,
			          np_size_format(req.memory_bytes, need, sizeof(need)), req.vcpus,
			          req.vcpus == 1 ? "" : "s", np_plan_reason(plan));
			r = EXIT_NOFIT;
			goto out;
		}
		hwloc_bitmap_copy(nodes, best->nodes);
		hwloc_bitmap_copy(cpus, best->cpus);
		w.strategy = strdup(np_strategy_name(o.req.search.strategy));
		r = cli_fill_claim(h, load, nodes, req.memory_bytes, req.vcpus, &w, &fits);
		if (r < 0)
			goto fail;
		reason = strdup(np_plan_reason(plan));
	}
	if (!w.strategy || !reason) {
		r = -ENOMEM;
		goto fail;
	}
	mig.before = res;
	mig.nbefore = nres;

	if (!o.dry_run) {
		ap.cpus = cpus;
		ap.nodes = NULL;
		ap.binding = NP_CPU_BINDING_STRICT;
		ap.policy = NP_MEM_POLICY_NONE;
		r = np_apply(h, o.pid, &ap, NULL);
		if (r == -ESRCH) {
			cli_error("pid %d exited while being placed: nothing recorded", (int)o.pid);
			r = EXIT_FAIL;
			goto out;
		}
		if (r < 0) {
			char *c = cli_list_string(cpus);

			cli_error("cannot bind pid %d to cpus %s: %s%s", (int)o.pid, c ? c : "?",
			          strerror(-r),
			          r == -EINVAL ? " (CPUs outside the process's cpuset?)" : "");
			free(c);
			r = EXIT_FAIL;
			goto out;
		}
		w.name = o.name ? strdup(o.name) : NULL;
		w.pid = o.pid;
		w.start_time = p.start_time;
		w.nodes = nodes;
		w.cpus = cpus;
		w.vcpus = req.vcpus;
		/*
		 * Another process's memory policy cannot be set: it keeps its own. A new record
		 * says "none" (numaplace set none); a recorded one keeps the policy run set.
		 */
		w.policy = recorded ? NULL : strdup(np_mem_policy_name(NP_MEM_POLICY_NONE));
		if (recorded && strcmp(own.policy, "none") != 0 &&
		    !hwloc_bitmap_isequal(own.nodes, nodes)) {
			char *was = cli_list_string(own.nodes);

			cli_warn(
			    "its memory policy (%s, set when it started) still names node%s %s: "
			    "new pages go there",
			    own.policy, hwloc_bitmap_weight(own.nodes) > 1 ? "s" : "",
			    was ? was : "?");
			free(was);
		}
		w.cmdline = pargv && pargv[0] ? cli_cmdline_text(pargv) : strdup(p.comm);
		if ((o.name && !w.name) || (!recorded && !w.policy) || !w.cmdline) {
			r = -ENOMEM;
			goto fail;
		}
		if (recorded) {
			char *from = cli_list_string(own.nodes), *to = cli_list_string(nodes);
			char *cfrom = cli_list_string(own.cpus), *cto = cli_list_string(cpus), *why;

			if (asprintf(&why, "place --pid: nodes %s -> %s, cpus %s -> %s",
			             from && *from ? from : "-", to ? to : "?",
			             cfrom && *cfrom ? cfrom : "-", cto ? cto : "?") < 0)
				why = NULL;
			free(cfrom);
			free(cto);
			r = why ? np_ledger_move(ledger, &w, why) : -ENOMEM;
			free(why);
			free(from);
			free(to);
			name = strdup(own.name);
		} else {
			r = cli_ledger_insert("place", ledger, &w, &name);
			if (r > 0)
				goto out;
		}
		if (r < 0)
			goto ledger_fail;
		r = np_ledger_commit(ledger);
		if (r < 0)
			goto ledger_fail;
		np_ledger_close(ledger);
		ledger = NULL;
		if (o.migrate)
			cli_migrate(o.pid, h, nodes, &mig);
	} else if (o.migrate) {
		mig.to_move = bytes_off(res, nres, nodes);
	}

	/* threads now, for the report (it may have started some while it was bound) */
	if (np_process_read(o.pid, &after) == 0)
		p.nthreads = after.nthreads;
	if (o.json) {
		char *c = cli_list_string(cpus);
		json_t *j = json_object();

		json_object_set_new(j, "pid", json_integer(o.pid));
		json_object_set_new(j, "name",
		                    name ? json_string(name)
		                         : (o.name ? json_string(o.name) : json_null()));
		json_object_set_new(j, "dry_run", json_boolean(o.dry_run));
		json_object_set_new(j, "moved", json_boolean(recorded));
		json_object_set_new(j, "nodes", cli_json_int_array(nodes));
		json_object_set_new(j, "cpus", json_string(c ? c : ""));
		json_object_set_new(j, "memory_bytes", json_integer((json_int_t)req.memory_bytes));
		json_object_set_new(j, "vcpus", json_integer(req.vcpus));
		json_object_set_new(j, "threads", json_integer(p.nthreads));
		json_object_set_new(j, "resident", node_bytes_json(res, nres));
		json_object_set_new(j, "reason", json_string(reason));
		if (o.migrate)
			json_object_set_new(j, "migrate", migration_json(&mig, o.dry_run));
		free(c);
		r = cli_json_print(j, false);
	} else {
		char *n = cli_list_string(nodes), *c = cli_list_string(cpus), where[256], sz[32];

		node_bytes_text(res, nres, where, sizeof(where));
		printf("%s pid %d (%s) on node%s %s, cpus %s: %s\n",
		       o.dry_run ? "would place" : (recorded ? "moved" : "placed"), (int)o.pid,
		       name ? name : p.comm, hwloc_bitmap_weight(nodes) > 1 ? "s" : "", n ? n : "?",
		       c ? c : "?", reason);
		printf("memory %s (resident per node: %s), %u vCPU%s%s; %u thread%s %s\n",
		       np_size_format(req.memory_bytes, sz, sizeof(sz)), where, req.vcpus,
		       req.vcpus == 1 ? "" : "s", capped ? " (the host's CPUs)" : "", p.nthreads,
		       p.nthreads == 1 ? "" : "s", o.dry_run ? "would be bound" : "bound");
		if (o.migrate)
			migration_text(&mig, nodes, o.dry_run);
		free(n);
		free(c);
		r = EXIT_OK;
	}
	if (mig.err == -ESRCH) {
		cli_error("pid %d exited before its pages were moved", (int)o.pid);
		r = EXIT_FAIL;
	} else if (mig.err < 0) {
		cli_error("cannot move the pages of pid %d: %s", (int)o.pid, strerror(-mig.err));
		r = EXIT_FAIL;
	}
	goto out;

ledger_fail:
	cli_error("cannot update the ledger: %s", cli_ledger_why(-r));
	r = EXIT_FAIL;
	goto out;
fail:
	cli_error("cannot place: %s", strerror(-r));
	r = EXIT_FAIL;
out:
	/* w.nodes and w.cpus are borrowed */
	w.nodes = NULL;
	w.cpus = NULL;
	np_workload_release(&w);
	np_workload_release(&own);
	np_ledger_rollback(ledger);
	np_ledger_close(ledger);
	np_plan_free(plan);
	np_load_free(load);
	hwloc_bitmap_free(nodes);
	hwloc_bitmap_free(cpus);
	hwloc_bitmap_free(sets[0]);
	hwloc_bitmap_free(sets[1]);
	cli_request_opts_release(&o.req);
	np_host_free(h);
	free(mig.after);
	free(res);
	free(pargv);
	free(name);
	free(reason);
	return r;
}
