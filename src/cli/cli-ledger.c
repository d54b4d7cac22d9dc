/* cli-ledger.c - finding and opening the claims ledger for run, list, forget, plan and info. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cli_state_options_help[] =
    "State:\n"
    "  --state-dir DIR       the ledger's directory (default: $NUMAPLACE_STATE_DIR, else\n"
    "                        the configuration's state-dir, else /run/numaplace for root,\n"
    "                        $XDG_RUNTIME_DIR/numaplace for others)\n";

int cli_state_option(const char *cmd, int argc, char **argv, int *i, const char **dir)
{
	int err;
	const char *v = cli_opt_value(cmd, "--state-dir", argc, argv, i, &err);

	if (err)
		return -err;
	if (!v)
		return 0;
	if (*v == '\0')
		return -cli_usage_error(cmd, "option '--state-dir' needs a non-empty value");
	*dir = v;
	return 1;
}

static const char *cgroup_root;

void cli_ledger_cgroup_root(const char *root)
{
	cgroup_root = root;
}

const char *cli_cgroup_root(void)
{
	return cgroup_root ? cgroup_root : secure_getenv("NUMAPLACE_CGROUP_ROOT");
}

int cli_ledger_open(const char *dir, unsigned flags, np_ledger **ret_ledger)
{
	struct np_ledger_opts o;
	char *path = NULL;
	const char *env;
	int r;

	if (!dir) {
		env = secure_getenv("NUMAPLACE_STATE_DIR");
		if (env && *env) {
			dir = env;
		} else if (cli_config()->state_dir) {
			dir = cli_config()->state_dir;
		} else if (geteuid() == 0) {
			dir = "/run/numaplace";
		} else {
			env = secure_getenv("XDG_RUNTIME_DIR");
			if (!env || *env != '/') {
				cli_error("cannot find the state directory: XDG_RUNTIME_DIR is not "
				          "set; give --state-dir or NUMAPLACE_STATE_DIR");
				return EXIT_FAIL;
			}
			if (asprintf(&path, "%s/numaplace", env) < 0) {
				cli_error("out of memory");
				return EXIT_FAIL;
			}
			dir = path;
		}
	}
	np_ledger_opts_init(&o);
	o.flags = flags;
	/* a plain-file tree stands for the hierarchy in tests (place --cgroup-root says the same) */
	o.cgroup_root = cli_cgroup_root();
	r = np_ledger_open(dir, &o, ret_ledger);
	if (r == -ENOENT && (flags & NP_LEDGER_NO_CREATE)) {
		*ret_ledger = NULL;
		r = 0;
	} else if (r < 0) {
		const char *why = np_last_error();

		cli_error("cannot open the ledger in '%s': %s", dir, *why ? why : strerror(-r));
	}
	free(path);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

int cli_ledger_workloads(const char *dir, struct np_workload **ret_list, int *ret_n)
{
	np_ledger *ledger = NULL;
	int n = 0;

	*ret_list = NULL;
	*ret_n = 0;
	if (cli_ledger_open(dir, NP_LEDGER_NO_CREATE, &ledger))
		return EXIT_FAIL;
	if (ledger)
		n = np_ledger_list(ledger, 0, ret_list);
	np_ledger_close(ledger);
	if (n < 0) {
		cli_error("cannot read the ledger: %s", cli_ledger_why(-n));
		return EXIT_FAIL;
	}
	*ret_n = n;
	return EXIT_OK;
}

int cli_ledger_load(const char *dir, const np_host *host, np_load **ret_load,
                    struct cli_node_claims **ret_claims, unsigned *ret_kinds)
{
	struct cli_node_claims *claims = NULL;
	struct np_workload *list = NULL;
	unsigned nn = np_host_nnodes(host);
	np_ledger *ledger = NULL;
	np_load *load = NULL;
	int n = 0, r;

	if (ret_claims) {
		claims = calloc(nn ? nn : 1, sizeof(*claims));
		if (!claims) {
			cli_error("out of memory");
			return EXIT_FAIL;
		}
	}
	r = cli_ledger_open(dir, NP_LEDGER_NO_CREATE, &ledger);
	if (r || !ledger)
		goto out;
	/* a transaction for a consistent view; rolled back, so even the pruning is not kept */
	r = np_ledger_begin(ledger);
	if (r >= 0)
		r = np_ledger_load(ledger, host, &load);
	if (r >= 0 && (claims || ret_kinds))
		r = n = np_ledger_list(ledger, 0, &list);
	if (r < 0) {
		cli_error("cannot read the ledger: %s", cli_ledger_why(-r));
		r = EXIT_FAIL;
		goto out;
	}
	r = EXIT_OK;
	for (int i = 0; ret_kinds && i < n; i++)
		if ((unsigned)list[i].kind < NP_WORKLOAD_KIND_COUNT_)
			ret_kinds[list[i].kind]++;
	for (int i = 0; claims && i < n; i++) {
		const struct np_workload *w = &list[i];
		int id;

		for (unsigned k = 0; k < w->nclaimed; k++) {
			int idx = np_host_node_idx(host, w->claimed[k].node);

			if (idx >= 0)
				claims[idx].claimed += w->claimed[k].bytes;
		}
		hwloc_bitmap_foreach_begin(id, w->nodes)
		{
			int idx = np_host_node_idx(host, (unsigned)id);

			if (idx >= 0)
				claims[idx].workloads++;
		}
		hwloc_bitmap_foreach_end();
	}
	for (unsigned i = 0; claims && i < nn; i++) {
		uint64_t f = np_host_node(host, i)->free_bytes, lf = np_load_free_bytes(load, i);

		claims[i].outstanding = f > lf ? f - lf : 0;
		/* as placement counts them: an exclusive workload's vCPUs are no shared load */
		claims[i].vcpus = np_load_vcpus(load, i);
	}
out:
	np_workloads_free(list, n > 0 ? (unsigned)n : 0);
	np_ledger_close(ledger);
	if (r == EXIT_OK) {
		*ret_load = load;
		if (ret_claims)
			*ret_claims = claims;
		return EXIT_OK;
	}
	np_load_free(load);
	free(claims);
	return r;
}

const char *cli_ledger_why(int err)
{
	const char *why = np_last_error();

	return *why ? why : strerror(-err);
}

bool cli_short_said(const struct np_placement *p, bool require, const char *anyway)
{
	char *list = cli_list_string(p->nodes), need[32], have[32];

	np_size_format(p->memory_bytes, need, sizeof(need));
	np_size_format(p->free_bytes, have, sizeof(have));
	if (require)
		cli_error("no NUMA placement fits: nodes %s have %s free, %s needed",
		          list ? list : "?", have, need);
	else
		cli_warn("nodes %s have %s free, %s needed: %s", list ? list : "?", have, need,
		         anyway);
	free(list);
	return !require;
}

/*
 * The ledger says "invalid workload name '<name>': <rule>". The name is the user's and may be
 * anything (5000 bytes, a newline): it is shown quoted and cut, the rule after it.
 */
static int name_refused(const char *cmd, const char *name)
{
	static const char head[] = "invalid workload name '";
	const char *why = np_last_error(), *rule = NULL;
	char *q;
	int r;

	for (const char *p = why; (p = strstr(p, "': ")) != NULL; p++)
		rule = p + 1;
	if (strncmp(why, head, sizeof(head) - 1) != 0 || !rule)
		return cli_usage_error(cmd, "%s", why);
	q = cli_quote(name, 64);
	r = cli_usage_error(cmd, "invalid workload name %s%s", q ? q : "?", rule);
	free(q);
	return r;
}

int cli_place_failed(const char *cmd, const char *name, const struct np_placement *p, int r)
{
	switch (p->failed) {
	case NP_PLACE_STEP_RECORD:
		if (r == -EINVAL && name)
			return name_refused(cmd, name);
		if (r == -EEXIST) {
			cli_error("%s", np_last_error());
			return EXIT_FAIL;
		}
		/* fall through */
	case NP_PLACE_STEP_LEDGER:
	case NP_PLACE_STEP_COMMIT:
		cli_error("cannot update the ledger: %s", cli_ledger_why(r));
		break;
	default:
		cli_error("cannot place: %s", strerror(-r));
	}
	return EXIT_FAIL;
}

void cli_placing_init(struct cli_placing *c)
{
	memset(c, 0, sizeof(*c));
	np_place_req_init(&c->req);
	np_target_init(&c->target);
	np_placement_init(&c->placement);
}

int cli_placing_prepare(struct cli_placing *c, const char *cmd, const struct cli_host_opts *ho,
                        struct cli_request_opts *ro, const char *state_dir, unsigned ledger_flags)
{
	int r = cli_host_load(ho, &c->host);

	ro->src = &ho->src; /* --near, --memory-spill: devices and tiers of the same host */
	c->ro = ro;
	if (r == 0)
		r = cli_request_build(cmd, c->host, ro, &c->req.request, c->sets);
	if (r)
		return r;
	c->req.request.vcpus = ro->vcpus; /* 0: the target's own (run: 1) */
	c->req.search = ro->search;
	c->req.search.keep = 1;
	c->req.nodes = c->sets[0];
	c->req.cpus = c->sets[1];
	c->req.near_devices = ro->near.required; /* recorded with the near nodes */
	return cli_ledger_open(state_dir, ledger_flags, &c->ledger);
}

void cli_placing_release(struct cli_placing *c)
{
	np_ledger_close(c->ledger);
	np_placement_release(&c->placement);
	np_target_release(&c->target);
	hwloc_bitmap_free(c->sets[0]);
	hwloc_bitmap_free(c->sets[1]);
	if (c->ro)
		cli_request_opts_release(c->ro);
	np_host_free(c->host);
	cli_placing_init(c);
}
