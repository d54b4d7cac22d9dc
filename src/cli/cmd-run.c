/*
 * cmd-run.c - `numaplace run`: choose a placement, record the claim, apply it, exec CMD.
 *
 * np_place() (live/place.c) makes the placement; its order is what makes it crash-safe and
 * never over-committing:
 *   begin (write lock; dead workloads pruned) -> load (free minus outstanding claims) ->
 *   search -> apply affinity and memory policy to this process -> insert the claim under this
 *   process's pid and start time -> commit -> exec CMD in place (same pid, same start time).
 * A failure before the commit rolls everything back; a death between commit and exec leaves a
 * claim whose pid is gone, pruned by the next transaction; an exec that fails deletes it.
 * With --scope the process first enters a group of its own (docs/cgroups.md), made in the bind
 * step and removed by any failure; an exec that fails leaves it and removes it too.
 * With --pin-vcpus a short-lived watcher is left just before the exec, to pin QEMU's vCPU
 * threads once QEMU has made them (cli-pin.c says why).
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char run_help[] =
    "usage: numaplace run [--name NAME] --memory SIZE [--vcpus N] [--strategy S]\n"
    "                     [--nodes LIST | --cpus LIST]\n"
    "                     [--cpu-binding strict|none|exclusive]\n"
    "                     [--mem-policy preferred|bind|interleave|none]\n"
    "                     [--require-placement] [--pin-vcpus]\n"
    "                     [--scope [--parent PATH]] [--state-dir DIR]\n"
    "                     -- CMD [ARGS...]\n\n"
    "Place a workload on the nodes the strategy chooses, given what is already placed,\n"
    "record its claim in the ledger, bind it there and execute CMD in place (CMD keeps\n"
    "numaplace's pid; no shell is involved). --nodes or --cpus place it there instead.\n"
    "When nothing fits it runs unplaced with a warning, or with --require-placement exits\n"
    "with status 3 without running anything. For a qemu-system-* or qemu-kvm command,\n"
    "--vcpus and --memory default to its -smp and -m.\n\n"
    "  --name NAME           the workload's name in the ledger (default: CMD-PID)\n"
    "  --cpu-binding MODE    strict: CPU affinity to the chosen nodes' CPUs (default);\n"
    "                        none: leave it; exclusive: whole cores of the chosen nodes\n"
    "                        for it alone (enough for --vcpus), which no other exclusive\n"
    "                        workload gets and shared ones avoid\n"
    "  --mem-policy MODE     preferred: allocate on the chosen nodes, fall back elsewhere\n"
    "                        when they are full (default where the kernel has\n"
    "                        MPOL_PREFERRED_MANY, 5.15 and later; else bind);\n"
    "                        bind: only there; interleave: round-robin over them;\n"
    "                        none: leave the policy alone\n"
    "  --require-placement   exit 3 instead of running unplaced when nothing fits\n"
    "  --pin-vcpus           QEMU only: pin each vCPU thread to a CPU of its own of the\n"
    "                        placement (vCPU n on its n-th CPU, wrapping around when\n"
    "                        they are fewer) and QEMU's other threads to the rest, as\n"
    "                        QEMU starts them (-name debug-threads=on is added when\n"
    "                        not given); recorded, so the daemon keeps them pinned\n"
    "  --scope               start CMD in a cgroup v2 group of its own\n"
    "                        (NAME.scope, or run-PID.scope) whose cpuset holds the\n"
    "                        placement: nothing CMD starts or calls can leave it;\n"
    "                        removed with its claim once it holds no process\n"
    "  --parent PATH         where to make it: a group below the cgroup2 mount\n"
    "                        (default: numaplace.slice, made when missing)\n"
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
	bool pin;        /* --pin-vcpus */
	unsigned nvcpus; /* --pin-vcpus: the vCPUs of QEMU's -smp */
	char **named;    /* --pin-vcpus: the command with -name debug-threads=on (free()) */
	bool scope;
	const char *parent; /* --parent */
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

/*
 * --pin-vcpus: the command must be QEMU, with its vCPU threads named (-name debug-threads=on,
 * added after the program when it is not said), and bound. Returns 0 or -EXIT_USAGE.
 */
static int pin_check(struct run_opts *o)
{
	struct np_qemu_sizes q;
	int r = np_qemu_sizes(o->cmd, &q), named;
	size_t n = 0;

	if (r == 0)
		return -cli_usage_error(
		    "run",
		    "--pin-vcpus: '%s' is not QEMU (qemu-system-* or qemu-kvm): "
		    "only QEMU's vCPU threads can be pinned",
		    o->cmd[0]);
	if (r < 0)
		return -cli_usage_error("run",
		                        "--pin-vcpus: cannot read the -smp or -m of '%s' as QEMU "
		                        "would",
		                        o->cmd[0]);
	if (o->binding != NP_CPU_BINDING_STRICT)
		return -cli_usage_error("run", "--pin-vcpus needs --cpu-binding strict");
	o->nvcpus = q.vcpus;
	named = np_qemu_names_threads(o->cmd);
	if (named < 0)
		return -cli_usage_error("run",
		                        "--pin-vcpus: the -name of '%s' leaves its threads unnamed "
		                        "or cannot be read: give -name debug-threads=on",
		                        o->cmd[0]);
	if (named)
		return 0;
	while (o->cmd[n])
		n++;
	o->named = malloc((n + 3) * sizeof(*o->named));
	if (!o->named) {
		cli_error("out of memory");
		return -EXIT_FAIL;
	}
	o->named[0] = o->cmd[0];
	o->named[1] = "-name";
	o->named[2] = "debug-threads=on";
	memcpy(&o->named[3], &o->cmd[1], n * sizeof(*o->named)); /* the NULL too */
	o->cmd = o->named;
	return 0;
}

/* What the options say together. Returns 0 or -EXIT_USAGE. */
static int check(struct run_opts *o)
{
	if (!o->cmd)
		return -cli_usage_error("run",
		                        "no command: numaplace run [OPTIONS] -- CMD [ARGS...]");
	if (!o->cmd[0])
		return -cli_usage_error("run", "no command after '--'");
	if (o->pin) {
		int r2 = pin_check(o);

		if (r2)
			return r2;
	}
	if (!o->req.vcpus || !o->req.memory_given) {
		int r2 = from_qemu(o);

		if (r2)
			return r2;
	}
	if (!o->req.memory_given)
		return -cli_usage_error("run", "--memory is required");
	if (o->req.nodes && o->req.cpus)
		return -cli_usage_error("run", "give --nodes or --cpus, not both");
	if (o->parent && !o->scope)
		return -cli_usage_error("run", "--parent names where --scope makes its group: "
		                               "give --scope");
	if (o->parent && !*o->parent)
		return -cli_usage_error("run", "--parent needs a group");
	if (o->host.source_given && o->host.src.kind != NP_SOURCE_SYSFS)
		/* the placement is bound here: only facts about this host's own nodes make sense */
		return -cli_usage_error("run", "--topology and --synthetic describe another host; "
		                               "run places on this one");
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
		if (strcmp(a, "--pin-vcpus") == 0) {
			o->pin = true;
			continue;
		}
		if (strcmp(a, "--scope") == 0) {
			o->scope = true;
			continue;
		}
		if ((v = cli_opt_value("run", "--parent", argc, argv, &i, &err)) != NULL) {
			o->parent = v;
			continue;
		}
		if (err)
			return -err;
		if ((v = cli_opt_value("run", "--name", argc, argv, &i, &err)) != NULL) {
			o->name = v;
			continue;
		}
		if (err)
			return -err;
		if ((v = cli_opt_value("run", "--cpu-binding", argc, argv, &i, &err)) != NULL) {
			if (np_cpu_binding_parse(v, &o->binding) < 0)
				return -cli_usage_error("run",
				                        "--cpu-binding '%s': expected strict, "
				                        "none or exclusive",
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
	return check(o);
}

/*
 * What a placement that stopped says (before the exec). The warnings come first, as the
 * placement meets them: nodes given short of memory, nothing fitting. Returns the exit code,
 * or 0 to go on and exec.
 */
static int placed(const struct run_opts *o, const struct np_placement *p, int r)
{
	bool chosen = r == 0 || p->failed >= NP_PLACE_STEP_BIND;

	if (chosen && p->fit == NP_PLACE_SHORT &&
	    !cli_short_said(p, o->require, "running there anyway"))
		return EXIT_NOFIT;
	if (chosen && p->fit == NP_PLACE_NO_FIT) {
		if (o->require) {
			cli_error("no NUMA placement fits: %s", p->reason);
			return EXIT_NOFIT;
		}
		cli_warn("no NUMA placement fits: %s; running unplaced", p->reason);
	}
	if (r == 0)
		return 0;
	if (p->failed == NP_PLACE_STEP_TARGET) {
		cli_error("cannot read this process's start time: %s", strerror(-r));
	} else if (p->failed == NP_PLACE_STEP_SCOPE) {
		const char *why = np_last_error();

		cli_error("cannot start '%s' in a group of its own: %s", o->cmd[0],
		          why && *why ? why : strerror(-r));
	} else if (p->failed == NP_PLACE_STEP_BIND) {
		char *c = cli_list_string(p->cpus), *n = cli_list_string(p->nodes);

		cli_error("cannot bind to cpus %s, nodes %s (%s policy): %s", c ? c : "?",
		          n ? n : "?", np_mem_policy_name(o->policy), strerror(-r));
		free(c);
		free(n);
	} else {
		return cli_place_failed("run", o->name, p, r);
	}
	return EXIT_FAIL;
}

/*
 * Exec CMD in place. The ledger is closed first: the last connection to close checkpoints the
 * WAL into the database and removes it; left open (the files are close-on-exec), the WAL would
 * only grow and every later `run` would replay it. Returns only when the exec failed, after
 * taking the claim back.
 */
static int exec_placed(const struct run_opts *o, np_ledger *ledger, struct np_target *t,
                       const struct np_placement *p)
{
	int r, e;

	np_ledger_close(ledger);
	if (o->pin && !hwloc_bitmap_iszero(p->cpus)) {
		cli_pin_wrap_said(o->nvcpus, p->cpus);
		r = cli_pin_watch(t->pid, t->start_time, p->cpus, o->nvcpus);
		if (r < 0)
			cli_warn(
			    "--pin-vcpus: cannot start watching for the vCPU threads: %s; they "
			    "stay on all of its CPUs",
			    strerror(-r));
	} else if (o->pin) {
		cli_warn("--pin-vcpus: running unplaced, its vCPU threads are not pinned");
	}
	fflush(stdout);
	exec_path(o->cmd);
	e = errno;
	cli_error("cannot run '%s': %s", o->cmd[0], strerror(e));
	r = cli_ledger_open(o->state_dir, 0, &ledger);
	if (r == 0) {
		r = np_ledger_delete(ledger, t->pid, t->start_time);
		if (r < 0)
			cli_error("cannot take back the claim of '%s': %s", p->name ? p->name : "?",
			          cli_ledger_why(-r));
		np_ledger_close(ledger);
	}
	/* --scope: back to the group it came from, and the group made for CMD removed */
	if (np_target_scope_leave(t) < 0)
		cli_error("%s", np_last_error());
	return EXIT_FAIL;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {.host = {{NP_SOURCE_LIVE, NULL, NP_HOST_FAST}, false}};
	struct cli_placing c;
	int r;

	cli_placing_init(&c);
	cli_request_opts_init(&o.req);
	o.binding = cli_config()->cpu_binding;
	o.policy = cli_config()->mem_policy;
	r = parse(argc, argv, &o);
	if (r < 0) {
		free(o.named);
		return -r;
	}
	if (r == 1)
		return EXIT_OK;

	/* whole cores need the host's cores: hwloc's discovery, not the node facts alone */
	if (o.binding == NP_CPU_BINDING_EXCLUSIVE)
		o.host.src.flags &= ~(unsigned)NP_HOST_FAST;
	r = cli_placing_prepare(&c, "run", &o.host, &o.req, o.state_dir, 0);
	if (r)
		goto out;
	c.target.kind = NP_TARGET_SELF;
	c.target.argv = o.cmd;
	c.req.binding = o.binding;
	c.req.policy = o.policy;
	c.req.name = o.name;
	c.req.flags = (o.require ? NP_PLACE_REQUIRE : 0) | (o.pin ? NP_PLACE_PIN_VCPUS : 0);
	if (o.scope) {
		/* a plain-file tree stands for the hierarchy in tests (as for place --cgroup) */
		c.target.root = secure_getenv("NUMAPLACE_CGROUP_ROOT");
		c.req.flags |= NP_PLACE_SCOPE;
		c.req.scope_parent = o.parent;
	}
	r = placed(&o, &c.placement, np_place(c.host, c.ledger, &c.target, &c.req, &c.placement));
	if (r == 0) {
		r = exec_placed(&o, c.ledger, &c.target, &c.placement);
		c.ledger = NULL;
	}
out:
	cli_placing_release(&c);
	free(o.named);
	return r;
}
