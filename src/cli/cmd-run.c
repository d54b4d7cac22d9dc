/*
 * cmd-run.c - `numaplace run`: choose a placement, record the claim, apply it, exec CMD.
 *
 * The order is what makes it crash-safe and never over-committing:
 *   begin (write lock; dead workloads pruned) -> load (free minus outstanding claims) ->
 *   search -> apply affinity and memory policy to this process -> insert the claim under this
 *   process's pid and start time -> commit -> exec CMD in place (same pid, same start time).
 * A failure before the commit rolls everything back; a death between commit and exec leaves a
 * claim whose pid is gone, pruned by the next transaction; an exec that fails deletes it.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char run_help[] =
    "usage: numaplace run [--name NAME] --memory SIZE [--vcpus N] [--strategy S]\n"
    "                     [--nodes LIST | --cpus LIST] [--cpu-binding strict|none]\n"
    "                     [--mem-policy preferred|bind|interleave|none]\n"
    "                     [--require-placement] [--state-dir DIR] -- CMD [ARGS...]\n\n"
    "Place a workload on the nodes the strategy chooses, given what is already placed,\n"
    "record its claim in the ledger, bind it there and execute CMD in place (CMD keeps\n"
    "numaplace's pid; no shell is involved). --nodes or --cpus place it there instead.\n"
    "When nothing fits it runs unplaced with a warning, or with --require-placement exits\n"
    "with status 3 without running anything. For a qemu-system-* or qemu-kvm command,\n"
    "--vcpus and --memory default to its -smp and -m.\n\n"
    "  --name NAME           the workload's name in the ledger (default: CMD-PID)\n"
    "  --cpu-binding MODE    strict: CPU affinity to the chosen nodes' CPUs (default);\n"
    "                        none: leave it\n"
    "  --mem-policy MODE     preferred: allocate on the chosen nodes, fall back elsewhere\n"
    "                        when they are full (default where the kernel has\n"
    "                        MPOL_PREFERRED_MANY, 5.15 and later; else bind);\n"
    "                        bind: only there; interleave: round-robin over them;\n"
    "                        none: leave the policy alone\n"
    "  --require-placement   exit 3 instead of running unplaced when nothing fits\n"
    "  --sysfs-root DIR      read the node facts from DIR/sys instead of /sys (tests, or a\n"
    "                        sysfs mounted elsewhere); its nodes and CPUs must exist here\n"
    "  --memfree-only        free memory = MemFree (default: MemFree + Inactive(file))\n"
    "  -h, --help            show this help\n\n";

struct run_opts {
	struct cli_host_opts host;
	struct cli_request_opts req;
	const char *name;
	const char *state_dir;
	enum np_cpu_binding binding;
	enum np_mem_policy policy;
	bool require;
	char **cmd;
};

/*
 * execvp() without its fallback of running a file the kernel cannot execute (ENOEXEC) through
 * /bin/sh: CMD runs as itself or not at all. Returns only on failure, with errno set as the
 * most telling failure along PATH (EACCES over ENOENT, as execvp does).
 */
static void exec_path(char **argv)
{
	/* set-uid or with capabilities, a caller's PATH must not choose what runs */
	const char *path = secure_getenv("PATH"), *p;
	bool denied = false;
	char *buf;
	size_t n = strlen(argv[0]);

	if (strchr(argv[0], '/')) {
		execv(argv[0], argv);
		return;
	}
	if (!path)
		path = "/bin:/usr/bin";
	buf = malloc(strlen(path) + n + 2);
	if (!buf)
		return;
	for (p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t len = (size_t)(end - p);

		/* an empty entry is the current directory */
		memcpy(buf, len ? p : ".", len ? len : 1);
		len = len ? len : 1;
		buf[len] = '/';
		memcpy(buf + len + 1, argv[0], n + 1);
		execv(buf, argv);
		if (errno == EACCES)
			denied = true;
		else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE &&
		         errno != ENODEV && errno != ETIMEDOUT)
			break;
		if (!*end)
			break;
		p = end;
	}
	if (denied && (errno == ENOENT || errno == ENOTDIR))
		errno = EACCES;
	free(buf);
}

/*
 * QEMU says what it needs on its command line: a qemu-system-* or qemu-kvm command without
 * --vcpus or --memory takes them from its -smp and -m (QEMU's defaults when absent). Returns 0
 * or -EXIT_USAGE.
 */
static int from_qemu(struct run_opts *o)
{
	struct np_qemu_sizes q;
	bool took_vcpus = !o->req.vcpus, took_memory = !o->req.memory_given;
	char v[48] = "", m[48] = "", sz[32];
	int r = np_qemu_sizes(o->cmd, &q);

	if (r == 0)
		return 0;
	if (r < 0)
		return -cli_usage_error("run",
		                        "cannot read the -smp or -m of '%s' as QEMU would; "
		                        "give --vcpus and --memory",
		                        o->cmd[0]);
	if (took_vcpus) {
		o->req.vcpus = q.vcpus;
		snprintf(v, sizeof(v), "%u vCPU%s%s", q.vcpus, q.vcpus == 1 ? "" : "s",
		         q.vcpus_given ? "" : " (no -smp: qemu's default)");
	}
	if (took_memory) {
		o->req.memory = q.memory_bytes;
		o->req.memory_given = true;
		snprintf(m, sizeof(m), "%s%s", np_size_format(q.memory_bytes, sz, sizeof(sz)),
		         q.memory_given ? "" : " (no -m: qemu's default)");
	}
	fprintf(stderr, "numaplace: from qemu's %s%s%s: %s%s%s\n", took_vcpus ? "-smp" : "",
	        took_vcpus && took_memory ? "/" : "", took_memory ? "-m" : "", v,
	        *v && *m ? ", " : "", m);
	return 0;
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	int r, err, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (strcmp(a, "--") == 0) {
			o->cmd = &argv[i + 1];
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(run_help, stdout);
			fputs(cli_request_options_help, stdout);
			fputs(cli_state_options_help, stdout);
			return 1; /* help shown: nothing to run */
		}
		if (strcmp(a, "--require-placement") == 0) {
			o->require = true;
			continue;
		}
		if ((v = cli_opt_value("run", "--name", argc, argv, &i, &err)) != NULL) {
			o->name = v;
			continue;
		}
		if (err)
			return -err;
		if ((v = cli_opt_value("run", "--cpu-binding", argc, argv, &i, &err)) != NULL) {
			if (strcmp(v, "strict") == 0)
				o->binding = NP_CPU_BINDING_STRICT;
			else if (strcmp(v, "none") == 0)
				o->binding = NP_CPU_BINDING_NONE;
			else
				return -cli_usage_error("run",
				                        "--cpu-binding '%s': expected strict "
				                        "or none",
				                        v);
			continue;
		}
		if (err)
			return -err;
		if ((v = cli_opt_value("run", "--mem-policy", argc, argv, &i, &err)) != NULL) {
			if (np_mem_policy_parse(v, &o->policy) < 0)
				return -cli_usage_error("run",
				                        "--mem-policy '%s': expected "
				                        "preferred, bind, interleave or none",
				                        v);
			continue;
		}
		if (err)
			return -err;
		if ((r = cli_request_option("run", argc, argv, &i, &o->req)) != 0 ||
		    (r = cli_host_option("run", argc, argv, &i, &o->host)) != 0 ||
		    (r = cli_state_option("run", argc, argv, &i, &o->state_dir)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		if (a[0] == '-')
			return -cli_usage_error("run", "unknown option '%s'", a);
		return -cli_usage_error("run",
		                        "'%s': put '--' before the command "
		                        "(numaplace run [OPTIONS] -- CMD [ARGS...])",
		                        a);
	}
	if (!o->cmd)
		return -cli_usage_error("run",
		                        "no command: numaplace run [OPTIONS] -- CMD [ARGS...]");
	if (!o->cmd[0])
		return -cli_usage_error("run", "no command after '--'");
	if (!o->req.vcpus || !o->req.memory_given) {
		int r2 = from_qemu(o);

		if (r2)
			return r2;
	}
	if (!o->req.memory_given)
		return -cli_usage_error("run", "--memory is required");
	if (o->req.nodes && o->req.cpus)
		return -cli_usage_error("run", "give --nodes or --cpus, not both");
	if (o->host.source_given && o->host.src.kind != NP_SOURCE_SYSFS)
		/* the placement is bound here: only facts about this host's own nodes make sense */
		return -cli_usage_error("run", "--topology and --synthetic describe another host; "
		                               "run places on this one");
	return 0;
}

/*
 * Memory per node when the nodes were chosen by hand and cannot hold the request: split evenly
 * over the nodes that have memory, the leftover bytes to the lowest ids.
 */
static int even_split(const np_host *h, hwloc_const_nodeset_t nodes, uint64_t bytes,
                      struct np_workload *w)
{
	unsigned n = 0, k = 0;
	int id;

	hwloc_bitmap_foreach_begin(id, nodes)
	{
		int idx = np_host_node_idx(h, (unsigned)id);

		n += idx >= 0 && np_host_node(h, (unsigned)idx)->memory_bytes > 0;
	}
	hwloc_bitmap_foreach_end();
	if (n == 0 || bytes == 0)
		return 0;
	w->claimed = calloc(n, sizeof(*w->claimed));
	if (!w->claimed)
		return -ENOMEM;
	hwloc_bitmap_foreach_begin(id, nodes)
	{
		int idx = np_host_node_idx(h, (unsigned)id);

		if (idx < 0 || np_host_node(h, (unsigned)idx)->memory_bytes == 0)
			continue;
		w->claimed[k].node = (unsigned)id;
		w->claimed[k].bytes = bytes / n + (k < bytes % n);
		k++;
	}
	hwloc_bitmap_foreach_end();
	w->nclaimed = n;
	return 0;
}

/* The claim np_load_charge() computed, as the ledger's per-node list. */
static int claim_to_workload(const np_host *h, const struct np_claim *c, struct np_workload *w)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nbytes; i++)
		n += c->bytes[i] > 0;
	if (n == 0)
		return 0;
	w->claimed = calloc(n, sizeof(*w->claimed));
	if (!w->claimed)
		return -ENOMEM;
	n = 0;
	for (unsigned i = 0; i < c->nbytes; i++)
		if (c->bytes[i] > 0) {
			w->claimed[n].node = np_host_node(h, i)->id;
			w->claimed[n].bytes = c->bytes[i];
			n++;
		}
	w->nclaimed = n;
	return 0;
}

int cli_fill_claim(const np_host *h, np_load *load, hwloc_const_nodeset_t nodes, uint64_t bytes,
                   unsigned vcpus, struct np_workload *w, bool *ret_fits)
{
	struct np_claim c;
	int r;

	memset(&c, 0, sizeof(c));
	r = np_load_charge(load, nodes, bytes, vcpus, &c);
	*ret_fits = r == 0;
	if (r == 0) {
		r = claim_to_workload(h, &c, w);
		np_claim_release(&c);
		return r;
	}
	if (r == -ENOSPC || r == -EINVAL)
		return even_split(h, nodes, bytes, w);
	return r;
}

uint64_t cli_load_free_of(const np_host *h, const np_load *load, hwloc_const_nodeset_t nodes)
{
	uint64_t sum = 0;
	int id;

	hwloc_bitmap_foreach_begin(id, nodes)
	{
		int idx = np_host_node_idx(h, (unsigned)id);

		if (idx >= 0)
			sum += np_load_free_bytes(load, (unsigned)idx);
	}
	hwloc_bitmap_foreach_end();
	return sum;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {.host = {{NP_SOURCE_LIVE, NULL, NP_HOST_FAST}, false}};
	hwloc_bitmap_t sets[2] = {NULL, NULL}, nodes = NULL, cpus = NULL;
	const struct np_candidate *best;
	enum np_mem_policy eff = NP_MEM_POLICY_NONE;
	struct np_apply_req ap;
	struct np_workload w;
	struct np_request req;
	uint64_t start_time = 0;
	np_ledger *ledger = NULL;
	np_load *load = NULL;
	np_plan *plan = NULL;
	np_host *h = NULL;
	char *name = NULL;
	bool fits = true;
	int r, e;

	np_workload_init(&w);
	cli_request_opts_init(&o.req);
	r = parse(argc, argv, &o);
	if (r < 0)
		return -r;
	if (r == 1)
		return EXIT_OK;

	r = np_process_start_time(0, &start_time);
	if (r < 0) {
		cli_error("cannot read this process's start time: %s", strerror(-r));
		return EXIT_FAIL;
	}
	r = cli_host_load(&o.host, &h);
	if (r)
		return r;
	o.req.src = &o.host.src; /* --near: devices of the same host */
	r = cli_request_build("run", h, &o.req, &req, sets);
	if (r)
		goto out;
	nodes = hwloc_bitmap_alloc();
	cpus = hwloc_bitmap_alloc();
	if (!nodes || !cpus) {
		r = -ENOMEM;
		goto fail;
	}
	r = cli_ledger_open(o.state_dir, 0, &ledger);
	if (r)
		goto out;
	r = np_ledger_begin(ledger);
	if (r < 0)
		goto ledger_fail;
	r = np_ledger_load(ledger, h, &load);
	if (r < 0)
		goto ledger_fail;

	if (o.req.nodes || o.req.cpus) {
		r = cli_claim_by_hand(h, load, sets, &req, nodes, cpus, &w, o.require,
		                      "running there anyway");
		if (r < 0)
			goto fail;
		if (r > 0)
			goto out;
	} else {
		o.req.search.keep = 1;
		r = np_search(h, load, &req, &o.req.search, &plan);
		if (r < 0) {
			cli_error("cannot place: %s", strerror(-r));
			r = EXIT_FAIL;
			goto out;
		}
		best = np_plan_best(plan);
		if (best) {
			hwloc_bitmap_copy(nodes, best->nodes);
			hwloc_bitmap_copy(cpus, best->cpus);
			w.strategy = strdup(np_strategy_name(o.req.search.strategy));
			r = cli_fill_claim(h, load, nodes, req.memory_bytes, req.vcpus, &w, &fits);
			if (r < 0)
				goto fail;
		} else if (o.require) {
			cli_error("no NUMA placement fits: %s", np_plan_reason(plan));
			r = EXIT_NOFIT;
			goto out;
		} else {
			cli_warn("no NUMA placement fits: %s; running unplaced",
			         np_plan_reason(plan));
			w.strategy = strdup("unplaced");
			o.binding = NP_CPU_BINDING_NONE;
			o.policy = NP_MEM_POLICY_NONE;
		}
	}
	if (!w.strategy) {
		r = -ENOMEM;
		goto fail;
	}

	ap.cpus = hwloc_bitmap_iszero(cpus) ? NULL : cpus;
	ap.nodes = nodes;
	ap.binding = o.binding;
	ap.policy = o.policy;
	r = np_apply(h, 0, &ap, &eff);
	if (r < 0) {
		char *c = cli_list_string(cpus), *n = cli_list_string(nodes);

		cli_error("cannot bind to cpus %s, nodes %s (%s policy): %s", c ? c : "?",
		          n ? n : "?", np_mem_policy_name(o.policy), strerror(-r));
		free(c);
		free(n);
		r = EXIT_FAIL;
		goto out;
	}

	w.name = o.name ? strdup(o.name) : NULL;
	w.pid = getpid();
	w.start_time = start_time;
	w.nodes = nodes;
	w.cpus = o.binding == NP_CPU_BINDING_STRICT ? cpus : NULL;
	w.vcpus = req.vcpus;
	w.policy = strdup(np_mem_policy_name(eff));
	w.cmdline = cli_cmdline_text(o.cmd);
	if ((o.name && !w.name) || !w.policy || !w.cmdline) {
		r = -ENOMEM;
		goto fail;
	}
	r = cli_ledger_insert("run", ledger, &w, &name);
	if (r > 0)
		goto out;
	if (r < 0)
		goto ledger_fail;
	r = np_ledger_commit(ledger);
	if (r < 0)
		goto ledger_fail;

	/*
	 * Closed before exec: the last connection to close checkpoints the WAL into the database
	 * and removes it; left open (the files are close-on-exec), the WAL would only grow and
	 * every later `run` would replay it.
	 */
	np_ledger_close(ledger);
	ledger = NULL;
	fflush(stdout);
	exec_path(o.cmd);
	e = errno;
	cli_error("cannot run '%s': %s", o.cmd[0], strerror(e));
	r = cli_ledger_open(o.state_dir, 0, &ledger);
	if (r == 0) {
		r = np_ledger_delete(ledger, getpid(), start_time);
		if (r < 0)
			cli_error("cannot take back the claim of '%s': %s", name ? name : "?",
			          cli_ledger_why(-r));
	}
	r = EXIT_FAIL;
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
	free(name);
	return r;
}
