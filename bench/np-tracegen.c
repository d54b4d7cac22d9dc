/*
 * np-tracegen - print a seeded VM-like trace for `numaplace simulate`.
 *
 *   np-tracegen --host 16snc --seed 7 | numaplace simulate ... --report
 *
 * The same arguments print the same bytes on every machine (see tracegen.h).
 */
#include "hosts.h"
#include "tracegen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: np-tracegen (--host NAME | --nodes N --node-cpus N --node-memory-gib N)\n"
    "                   [--seed N] [--events N] [--fill PCT] [--arrivals-only]\n"
    "       np-tracegen --list-hosts\n\n"
    "Print a trace of guest placements and removals as JSON lines, scaled to the host:\n"
    "many small guests, some that need a whole node, a few that need several nodes.\n\n"
    "  --host NAME          take the node count and sizes from the benchmark's catalogue\n"
    "  --seed N             pseudo-random seed (default 1)\n"
    "  --events N           trace length (default: enough to fill the host twice)\n"
    "  --fill PCT           share of the host's memory arrivals aim to keep in use (90)\n"
    "  --arrivals-only      no removals\n";

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s || *s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		goto bad;
	*ret = v;
	return 0;
bad:
	fprintf(stderr, "np-tracegen: %s '%s': not a whole number up to %" PRIu64 "\n", opt,
	        s ? s : "", max);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct tg_params p = {.seed = 1};
	struct tg_trace t = {0};
	uint64_t v;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(a, "--list-hosts") == 0) {
			for (unsigned k = 0; k < bench_nhosts; k++)
				printf("%-6s %3u nodes x %2u CPUs x %3" PRIu64 " GiB  %s\n",
				       bench_hosts[k].name, bench_hosts[k].nnodes,
				       bench_hosts[k].node_cpus, bench_hosts[k].node_memory >> 30,
				       bench_hosts[k].shape);
			return 0;
		} else if (strcmp(a, "--arrivals-only") == 0) {
			p.arrivals_only = 1;
			continue;
		} else if (strcmp(a, "--host") == 0) {
			const struct bench_host *h = val ? bench_host_find(val) : NULL;

			if (!h) {
				fprintf(stderr,
				        "np-tracegen: unknown host '%s' (see --list-hosts)\n",
				        val ? val : "");
				return 2;
			}
			p.nnodes = h->nnodes;
			p.node_cpus = h->node_cpus;
			p.node_memory = h->node_memory;
		} else if (strcmp(a, "--seed") == 0) {
			if (parse_u64(a, val, UINT64_MAX, &p.seed))
				return 2;
		} else if (strcmp(a, "--nodes") == 0) {
			if (parse_u64(a, val, 65536, &v))
				return 2;
			p.nnodes = (unsigned)v;
		} else if (strcmp(a, "--node-cpus") == 0) {
			if (parse_u64(a, val, 65536, &v))
				return 2;
			p.node_cpus = (unsigned)v;
		} else if (strcmp(a, "--events") == 0) {
			if (parse_u64(a, val, 10000000, &v))
				return 2;
			p.events = (unsigned)v;
		} else if (strcmp(a, "--node-memory-gib") == 0) {
			if (parse_u64(a, val, 1u << 20, &v))
				return 2;
			p.node_memory = v << 30;
		} else if (strcmp(a, "--fill") == 0) {
			if (parse_u64(a, val, 100, &v))
				return 2;
			p.fill_pct = (unsigned)v;
		} else {
			fprintf(stderr, "np-tracegen: unknown argument '%s'\n%s", a, usage_text);
			return 2;
		}
		i++;
	}
	r = tg_generate(&p, &t);
	if (r == -EINVAL) {
		fprintf(stderr, "np-tracegen: give --host, or --nodes, --node-cpus and "
		                "--node-memory-gib (at least 1 each)\n");
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "np-tracegen: %s\n", strerror(-r));
		return 1;
	}
	r = tg_write_jsonl(&t, stdout);
	tg_trace_release(&t);
	if (r < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "np-tracegen: cannot write the trace: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
