/*
 * np-bench - numaplace's placement benchmark: decision latency per strategy on hosts of 2 to
 * 256 nodes, and the quality of the placements each strategy makes on generated traces.
 *
 * Latency: for each host, the load is first filled with 0, 100 or 1000 workloads placed by
 * the compact strategy (their memory scaled down when 1000 would not fit in 70% of the host);
 * then each strategy answers a fixed set of 64 requests drawn from the trace mix, in turn,
 * each call timed alone with CLOCK_MONOTONIC, until the cell's sample or time budget is used.
 * The search is pure, so every strategy sees the same load.
 *
 * Quality: every strategy replays the same traces (np-tracegen's mix, several seeds per host)
 * with the accounting of `numaplace simulate --report`: a placed guest's memory is charged to
 * its nodes, a guest with no placement runs unplaced over all nodes if the host has its memory,
 * and is rejected otherwise; the figures are the report's.
 *
 * Output: tables on stdout; with --data DIR, gnuplot data files in DIR.
 */
#include "hosts.h"
#include "tracegen.h"

#include <numaplace.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef NP_BENCH_BUILDTYPE
#define NP_BENCH_BUILDTYPE "unknown"
#endif

#define NSTRAT NP_STRATEGY_COUNT_
#define NPRELOAD 3
#define NREQ 64
#define MAX_HOSTS 16
/* Full enumeration: 2^n sets per decision; above this it is not run. */
#define EXHAUSTIVE_MAX_NODES 24

static const unsigned preloads[NPRELOAD] = {0, 100, 1000};

struct config {
	bool quick;
	unsigned max_nodes;
	unsigned seeds;
	const char *data_dir;
	double cell_budget_ns; /* per latency cell */
	unsigned cell_max_samples;
};

struct lat {
	bool ran;
	unsigned n;
	double med, p99; /* ns */
	double examined; /* candidate sets per decision, mean */
};

struct quality {
	bool ran;
	uint64_t placed, unplaced, rejected, single_node, nodes_total;
	double wdist, weight, peak, spread_sum;
	uint64_t samples, examined, search_ns;
};

/*
 * Same-state comparison: at each of compact's decisions in its replay, another strategy is
 * asked too, on the same load, so the two answers differ only by the strategy (in the replays
 * of the quality table each strategy's earlier choices also change what later guests meet).
 */
struct shadow {
	bool ran;
	uint64_t both;                   /* decisions where both found a placement */
	uint64_t fewer, same, more;      /* compact's node count against the other's */
	uint64_t shorter, equal, longer; /* compact's mean access distance against the other's */
	uint64_t only_compact, only_other;
	double dist_c, dist_o, weight; /* memory-weighted mean distance over `both` */
};

struct results {
	const struct bench_host *host[MAX_HOSTS];
	unsigned nhosts;
	struct lat lat[MAX_HOSTS][NSTRAT][NPRELOAD];
	unsigned preloaded[MAX_HOSTS][NPRELOAD]; /* workloads actually placed */
	struct lat half[MAX_HOSTS][NSTRAT];
	struct quality q[MAX_HOSTS][NSTRAT];
	struct shadow sh[MAX_HOSTS][NSTRAT];
	unsigned traces[MAX_HOSTS], events[MAX_HOSTS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Time one search two ways: wall time (CLOCK_MONOTONIC, 30 ns to read here) inside, this
 * thread's CPU time (a system call, about 0.8 us here) outside. Both bound the search's own
 * cost from above: wall time also counts time when another process held the CPU, CPU time
 * counts the slow clock read. The smaller is kept, so that short searches are timed by the
 * precise clock and long ones are not inflated by the other processes of a busy machine.
 */
struct stopwatch {
	uint64_t c0, w0;
};

static void sw_start(struct stopwatch *sw)
{
	sw->c0 = cpu_ns();
	sw->w0 = now_ns();
}

static uint64_t sw_stop(const struct stopwatch *sw)
{
	uint64_t w = now_ns() - sw->w0, c = cpu_ns() - sw->c0;

	return w < c ? w : c;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "np-bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static bool strategy_runs(enum np_strategy s, unsigned nnodes)
{
	return s != NP_STRATEGY_EXHAUSTIVE || nnodes <= EXHAUSTIVE_MAX_NODES;
}

static struct tg_params host_params(const struct bench_host *bh, uint64_t seed)
{
	return (struct tg_params){.seed = seed,
	                          .nnodes = bh->nnodes,
	                          .node_cpus = bh->node_cpus,
	                          .node_memory = bh->node_memory};
}

/* A fresh node: all its memory is free, as numaplace counts it on XML topologies. */
static uint64_t node_free(const struct bench_host *bh)
{
	return bh->node_memory;
}

static np_host *build_host(const struct bench_host *bh)
{
	struct np_node_spec *spec = calloc(bh->nnodes, sizeof(*spec));
	unsigned *dist = malloc((size_t)bh->nnodes * bh->nnodes * sizeof(*dist));
	np_host *h = NULL;
	int r = -ENOMEM;

	if (!spec || !dist)
		die("build host", r);
	for (unsigned i = 0; i < bh->nnodes; i++) {
		hwloc_bitmap_t cpus = hwloc_bitmap_alloc();

		if (!cpus)
			die("build host", r);
		hwloc_bitmap_set_range(cpus, (int)(i * bh->node_cpus),
		                       (int)((i + 1) * bh->node_cpus - 1));
		spec[i].id = i;
		spec[i].cpus = cpus;
		spec[i].memory_bytes = bh->node_memory;
		spec[i].free_bytes = node_free(bh);
		for (unsigned j = 0; j < bh->nnodes; j++)
			dist[(size_t)i * bh->nnodes + j] = bh->distance(bh, i, j);
	}
	r = np_host_build(bh->nnodes, spec, dist, &h);
	if (r < 0)
		die("np_host_build", r);
	for (unsigned i = 0; i < bh->nnodes; i++)
		hwloc_bitmap_free((hwloc_bitmap_t)spec[i].cpus);
	free(spec);
	free(dist);
	return h;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static double percentile(const double *s, unsigned n, unsigned pct)
{
	unsigned rank = (n * pct + 99) / 100;

	return n ? s[rank ? rank - 1 : 0] : 0.0;
}

/*
 * Fill `load` with `n` workloads from the mix placed by compact. Their memory is scaled so that
 * together they take at most 70% of the host's free memory. Returns how many were placed.
 */
static unsigned preload(const np_host *h, const struct bench_host *bh, np_load *load, unsigned n)
{
	struct tg_params p = host_params(bh, 2);
	struct tg_rng rng;
	struct tg_event *g = calloc(n ? n : 1, sizeof(*g));
	double sum = 0, cap = 0.7 * (double)node_free(bh) * bh->nnodes, scale;
	struct np_search_opts so;
	unsigned placed = 0;

	if (!g)
		die("preload", -ENOMEM);
	np_search_opts_init(&so);
	so.strategy = NP_STRATEGY_COMPACT;
	tg_rng_init(&rng, p.seed);
	for (unsigned i = 0; i < n; i++) {
		tg_draw_guest(&rng, &p, &g[i]);
		sum += (double)g[i].memory;
	}
	scale = sum > cap ? cap / sum : 1.0;
	for (unsigned i = 0; i < n; i++) {
		struct np_request req;
		struct np_claim claim = {0};
		np_plan *plan = NULL;
		const struct np_candidate *best;
		int r;

		np_request_init(&req);
		req.memory_bytes = (uint64_t)((double)g[i].memory * scale);
		req.vcpus = g[i].vcpus;
		r = np_search(h, load, &req, &so, &plan);
		if (r < 0)
			die("np_search (preload)", r);
		best = np_plan_best(plan);
		if (best &&
		    np_load_charge(load, best->nodes, req.memory_bytes, req.vcpus, &claim) == 0) {
			placed++;
			np_claim_release(&claim);
		}
		np_plan_free(plan);
	}
	free(g);
	return placed;
}

/* Time `nreq` requests in turn until the budget is used; at least `min` samples. */
static void measure(const np_host *h, const np_load *load, const struct np_request *reqs,
                    unsigned nreq, enum np_strategy s, double budget_ns, unsigned max_samples,
                    unsigned min_samples, struct lat *ret)
{
	double *t = calloc(max_samples, sizeof(*t));
	struct np_search_opts so;
	uint64_t start = now_ns(), examined = 0;
	unsigned n = 0;

	if (!t)
		die("measure", -ENOMEM);
	np_search_opts_init(&so);
	so.strategy = s;
	while (n < max_samples && (n < min_samples || (double)(now_ns() - start) < budget_ns)) {
		np_plan *plan = NULL;
		struct stopwatch sw;
		uint64_t dt;
		int r;

		sw_start(&sw);
		r = np_search(h, load, &reqs[n % nreq], &so, &plan);
		dt = sw_stop(&sw);
		if (r < 0)
			die("np_search", r);
		examined += np_plan_examined(plan);
		np_plan_free(plan);
		t[n++] = (double)dt;
	}
	qsort(t, n, sizeof(*t), cmp_double);
	ret->ran = true;
	ret->n = n;
	ret->med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	ret->p99 = percentile(t, n, 99);
	ret->examined = (double)examined / n;
	free(t);
}

static void run_latency(const struct config *cfg, struct results *res, unsigned hi)
{
	const struct bench_host *bh = res->host[hi];
	np_host *h = build_host(bh);
	struct tg_params p = host_params(bh, 3);
	struct np_request reqs[NREQ], half;
	struct tg_rng rng;

	tg_rng_init(&rng, p.seed);
	for (unsigned i = 0; i < NREQ; i++) {
		struct tg_event g;

		tg_draw_guest(&rng, &p, &g);
		np_request_init(&reqs[i]);
		reqs[i].memory_bytes = g.memory;
		reqs[i].vcpus = g.vcpus;
	}
	for (unsigned pi = 0; pi < NPRELOAD; pi++) {
		np_load *load = NULL;
		int r = np_load_new(h, &load);

		if (r < 0)
			die("np_load_new", r);
		res->preloaded[hi][pi] = preload(h, bh, load, preloads[pi]);
		for (unsigned s = 0; s < NSTRAT; s++)
			if (strategy_runs(s, bh->nnodes))
				measure(h, load, reqs, NREQ, s, cfg->cell_budget_ns,
				        cfg->cell_max_samples, 5, &res->lat[hi][s][pi]);
		np_load_free(load);
	}

	/*
	 * One request for 45% of the host's memory and CPUs: the guest needs about half the
	 * nodes, where enumerating node sets costs the most (C(n, n/2) sets of that size).
	 */
	np_request_init(&half);
	half.memory_bytes = (uint64_t)(0.45 * (double)node_free(bh) * bh->nnodes);
	half.vcpus = (unsigned)(0.45 * bh->node_cpus * bh->nnodes);
	for (unsigned s = 0; s < NSTRAT; s++)
		if (strategy_runs(s, bh->nnodes))
			measure(h, NULL, &half, 1, s, cfg->cell_budget_ns, cfg->cell_max_samples, 3,
			        &res->half[hi][s]);
	np_host_free(h);
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

/* As `numaplace simulate` samples after every event. */
static void sample_load(const np_host *h, const np_load *load, struct quality *q)
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
	if (hi > q->peak)
		q->peak = hi;
	if (lo != INFINITY)
		q->spread_sum += hi - lo;
	q->samples++;
}

/* Ask strategy `o` what it would do in the state compact's decision `best` was made in. */
static void shadow_ask(const np_host *h, const np_load *load, const struct np_request *req,
                       enum np_strategy o, const struct np_candidate *best, struct shadow *sh)
{
	struct np_search_opts so;
	const struct np_candidate *ob;
	np_plan *plan = NULL;
	int r;

	np_search_opts_init(&so);
	so.strategy = o;
	r = np_search(h, load, req, &so, &plan);
	if (r < 0)
		die("np_search (same state)", r);
	ob = np_plan_best(plan);
	if (best && ob) {
		double w = (double)req->memory_bytes;

		sh->both++;
		sh->fewer += best->nnodes < ob->nnodes;
		sh->same += best->nnodes == ob->nnodes;
		sh->more += best->nnodes > ob->nnodes;
		/* Means of small integers: equal sets give bit-equal doubles. */
		sh->shorter += best->mean_distance < ob->mean_distance;
		sh->equal += best->mean_distance == ob->mean_distance;
		sh->longer += best->mean_distance > ob->mean_distance;
		sh->dist_c += w * best->mean_distance;
		sh->dist_o += w * ob->mean_distance;
		sh->weight += w;
	} else if (best) {
		sh->only_compact++;
	} else if (ob) {
		sh->only_other++;
	}
	np_plan_free(plan);
}

/*
 * Replay `t` with strategy `s` into `q`; with `sets`, record each guest's nodes by id; with
 * `sh`, ask every strategy whose sh[o].ran is set at each decision too (see struct shadow).
 */
static void replay(const np_host *h, const struct tg_trace *t, enum np_strategy s,
                   struct quality *q, char **sets, struct shadow *sh)
{
	struct np_claim *claims = calloc(t->n + 2, sizeof(*claims));
	bool *charged = calloc(t->n + 2, sizeof(*charged));
	double all_dist = set_mean_distance(h, np_host_nodeset(h));
	struct np_search_opts so;
	np_load *load = NULL;
	int r;

	if (!claims || !charged)
		die("replay", -ENOMEM);
	r = np_load_new(h, &load);
	if (r < 0)
		die("np_load_new", r);
	np_search_opts_init(&so);
	so.strategy = s;
	q->ran = true;
	for (size_t e = 0; e < t->n; e++) {
		const struct tg_event *ev = &t->ev[e];

		if (ev->place) {
			struct np_request req;
			struct np_claim *c = &claims[ev->id];
			const struct np_candidate *best;
			np_plan *plan = NULL;
			struct stopwatch sw;

			np_request_init(&req);
			req.memory_bytes = ev->memory;
			req.vcpus = ev->vcpus;
			sw_start(&sw);
			r = np_search(h, load, &req, &so, &plan);
			q->search_ns += sw_stop(&sw);
			if (r < 0)
				die("np_search (replay)", r);
			q->examined += np_plan_examined(plan);
			best = np_plan_best(plan);
			for (unsigned o = 0; sh && o < NSTRAT; o++)
				if (sh[o].ran)
					shadow_ask(h, load, &req, o, best, &sh[o]);
			if (best &&
			    np_load_charge(load, best->nodes, ev->memory, ev->vcpus, c) == 0) {
				charged[ev->id] = true;
				q->placed++;
				q->nodes_total += best->nnodes;
				if (sets &&
				    hwloc_bitmap_list_asprintf(&sets[ev->id], best->nodes) < 0)
					die("replay", -ENOMEM);
				q->single_node += best->nnodes == 1;
				q->wdist += (double)ev->memory * best->mean_distance;
				q->weight += (double)ev->memory;
			} else if (np_load_charge(load, np_host_nodeset(h), ev->memory, ev->vcpus,
			                          c) == 0) {
				charged[ev->id] = true;
				q->unplaced++;
				q->wdist += (double)ev->memory * all_dist;
				q->weight += (double)ev->memory;
			} else {
				q->rejected++;
			}
			np_plan_free(plan);
		} else if (charged[ev->id]) {
			np_load_uncharge(load, &claims[ev->id]);
			np_claim_release(&claims[ev->id]);
			charged[ev->id] = false;
		}
		sample_load(h, load, q);
	}
	for (size_t i = 0; i < t->n + 2; i++)
		np_claim_release(&claims[i]);
	free(claims);
	free(charged);
	np_load_free(load);
}

static void run_quality(const struct config *cfg, struct results *res, unsigned hi)
{
	const struct bench_host *bh = res->host[hi];
	np_host *h = build_host(bh);

	res->sh[hi][NP_STRATEGY_XEN].ran = bh->nnodes <= 16;
	res->sh[hi][NP_STRATEGY_EXHAUSTIVE].ran = strategy_runs(NP_STRATEGY_EXHAUSTIVE, bh->nnodes);
	for (unsigned seed = 1; seed <= cfg->seeds; seed++) {
		struct tg_params p = host_params(bh, seed);
		struct tg_trace t = {0};
		int r = tg_generate(&p, &t);

		if (r < 0)
			die("tg_generate", r);
		res->traces[hi]++;
		res->events[hi] += (unsigned)t.n;
		for (unsigned s = 0; s < NSTRAT; s++)
			if (strategy_runs(s, bh->nnodes))
				replay(h, &t, s, &res->q[hi][s], NULL,
				       s == NP_STRATEGY_COMPACT ? res->sh[hi] : NULL);
		tg_trace_release(&t);
	}
	np_host_free(h);
}

/* ---------------------------------------------------------------------------------------- */
/* Figures and tables                                                                         */
/* ---------------------------------------------------------------------------------------- */

static double q_single(const struct quality *q)
{
	return q->placed ? 100.0 * q->single_node / q->placed : 0.0;
}

static double q_nodes(const struct quality *q)
{
	return q->placed ? (double)q->nodes_total / q->placed : 0.0;
}

static double q_dist(const struct quality *q)
{
	return q->weight > 0 ? q->wdist / q->weight : 0.0;
}

static double q_spread(const struct quality *q)
{
	return q->samples ? q->spread_sum / q->samples : 0.0;
}

static uint64_t q_decisions(const struct quality *q)
{
	return q->placed + q->unplaced + q->rejected;
}

/* Other processes on the machine show in the figures; say how busy it was. */
static void print_loadavg(const char *prefix)
{
	double la[3];

	if (getloadavg(la, 3) == 3)
		printf("%sload average %.2f %.2f %.2f (1, 5, 15 min)\n", prefix, la[0], la[1],
		       la[2]);
}

static void print_machine(const struct config *cfg)
{
	char model[256] = "unknown", line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	struct utsname u;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0) {
			char *v = strchr(line, ':');

			if (v) {
				v += v[1] == ' ' ? 2 : 1;
				v[strcspn(v, "\n")] = '\0';
				snprintf(model, sizeof(model), "%s", v);
			}
			break;
		}
	if (f)
		fclose(f);
	printf("machine: %s, %ld CPUs online", model, sysconf(_SC_NPROCESSORS_ONLN));
	if (uname(&u) == 0)
		printf(", %s %s %s", u.sysname, u.release, u.machine);
	printf("\nbuild:   numaplace %s, %s, compiler %s\n", NP_VERSION, NP_BENCH_BUILDTYPE,
	       __VERSION__);
	print_loadavg("load:    ");
	printf("mode:    %s, %u trace seed(s) per host, latency cells of up to %u samples or "
	       "%.0f ms\n",
	       cfg->quick ? "quick" : "full", cfg->seeds, cfg->cell_max_samples,
	       cfg->cell_budget_ns / 1e6);
	printf("timing:  each search timed alone, the smaller of its wall time and this thread's "
	       "CPU time\n\n");
}

static void print_hosts(const struct results *res)
{
	printf("== Hosts\n");
	printf("%-6s %5s %6s %9s  %-22s  %s\n", "host", "nodes", "CPUs", "memory", "distances",
	       "shape");
	for (unsigned i = 0; i < res->nhosts; i++) {
		const struct bench_host *bh = res->host[i];
		char d[128];

		bench_host_distinct(bh, d, sizeof(d));
		printf("%-6s %5u %6u %5" PRIu64 " GiB  %-22s  %s\n", bh->name, bh->nnodes,
		       bh->nnodes * bh->node_cpus, (bh->node_memory >> 30) * bh->nnodes, d,
		       bh->shape);
	}
	printf("Every node starts with all its memory free. CPUs numbered node by node.\n\n");
}

static void print_strategy_header(const char *first, int width)
{
	printf("%-6s %5s", first, "nodes");
	for (unsigned s = 0; s < NSTRAT; s++)
		printf(" %*s", width, np_strategy_name(s));
	printf("\n");
}

static void print_latency(const struct results *res)
{
	for (unsigned pi = 0; pi < NPRELOAD; pi++) {
		printf("== Decision latency, %u workloads placed: median / p99 in ns\n",
		       preloads[pi]);
		print_strategy_header("host", 17);
		for (unsigned i = 0; i < res->nhosts; i++) {
			printf("%-6s %5u", res->host[i]->name, res->host[i]->nnodes);
			for (unsigned s = 0; s < NSTRAT; s++) {
				const struct lat *l = &res->lat[i][s][pi];
				char cell[64];

				if (l->ran)
					snprintf(cell, sizeof(cell), "%.0f / %.0f", l->med, l->p99);
				else
					snprintf(cell, sizeof(cell), "-");
				printf(" %17s", cell);
			}
			if (pi)
				printf("  (%u placed)", res->preloaded[i][pi]);
			printf("\n");
		}
		printf("\n");
	}
	printf(
	    "Samples per cell: 64 requests from the trace mix, in turn; p99 is the largest\n"
	    "sample when a cell has fewer than 100. '-': not run (exhaustive above %u nodes).\n"
	    "xen gives no placement above 16 nodes (its latency there is that of saying so).\n\n",
	    EXHAUSTIVE_MAX_NODES);

	printf("== Candidate sets examined per decision (same requests, 1000 workloads placed)\n");
	print_strategy_header("host", 12);
	for (unsigned i = 0; i < res->nhosts; i++) {
		printf("%-6s %5u", res->host[i]->name, res->host[i]->nnodes);
		for (unsigned s = 0; s < NSTRAT; s++)
			if (res->lat[i][s][2].ran)
				printf(" %12.1f", res->lat[i][s][2].examined);
			else
				printf(" %12s", "-");
		printf("\n");
	}
	printf("\n");

	printf("== One guest needing about half the host (45%% of its memory and CPUs), empty "
	       "host:\n   median ns (candidate sets examined)\n");
	print_strategy_header("host", 19);
	for (unsigned i = 0; i < res->nhosts; i++) {
		printf("%-6s %5u", res->host[i]->name, res->host[i]->nnodes);
		for (unsigned s = 0; s < NSTRAT; s++) {
			const struct lat *l = &res->half[i][s];
			char cell[64];

			if (l->ran)
				snprintf(cell, sizeof(cell), "%.0f (%.0f)", l->med, l->examined);
			else
				snprintf(cell, sizeof(cell), "-");
			printf(" %19s", cell);
		}
		printf("\n");
	}
	printf("\n");
}

/* Least-squares slope of log(y) against log(x) over the hosts where y was measured. */
static double loglog_slope(const struct results *res,
                           const struct lat *(*get)(const struct results *, unsigned),
                           unsigned min_nodes)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < res->nhosts; i++) {
		const struct lat *l = get(res, i);
		double x, y;

		if (!l->ran || res->host[i]->nnodes < min_nodes || l->med <= 0)
			continue;
		x = log((double)res->host[i]->nnodes);
		y = log(l->med);
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		n++;
	}
	if (n < 2)
		return NAN;
	return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static const struct lat *get_compact_1000(const struct results *res, unsigned i)
{
	return &res->lat[i][NP_STRATEGY_COMPACT][2];
}

static const struct lat *get_compact_half(const struct results *res, unsigned i)
{
	return &res->half[i][NP_STRATEGY_COMPACT];
}

static void print_growth(const struct results *res)
{
	printf("== Growth of compact's cost with the node count\n");
	printf("%-6s %5s %14s %14s %14s\n", "host", "nodes", "mix, 1000 pl.", "x prev. host",
	       "half-host");
	for (unsigned i = 0; i < res->nhosts; i++) {
		const struct lat *l = get_compact_1000(res, i), *hl = get_compact_half(res, i);

		printf("%-6s %5u %14.0f", res->host[i]->name, res->host[i]->nnodes, l->med);
		if (i)
			printf(" %14.2f", l->med / get_compact_1000(res, i - 1)->med);
		else
			printf(" %14s", "");
		printf(" %14.0f\n", hl->med);
	}
	printf("log-log slope (latency ~ nodes^k), hosts of >= 8 nodes: mix k = %.2f, half-host "
	       "k = %.2f\n",
	       loglog_slope(res, get_compact_1000, 8), loglog_slope(res, get_compact_half, 8));
	printf("(an exponential cost would show a slope that keeps rising with n; a constant k is "
	       "a polynomial)\n\n");
}

static void print_quality(const struct results *res)
{
	printf("== Placement quality on generated traces (all seeds of a host summed)\n");
	printf("one-node: share of placed guests on one node; nodes: mean nodes per placed guest;\n"
	       "distance: memory-weighted mean access distance (1.0 = all local; unplaced guests\n"
	       "count with the all-nodes distance); peak: highest vCPUs per CPU on a node at any\n"
	       "time; spread: mean (max - min) vCPUs per CPU across nodes; cost per decision.\n\n");
	for (unsigned i = 0; i < res->nhosts; i++) {
		const struct bench_host *bh = res->host[i];

		printf("host %s (%u nodes): %u traces, %u events; np-tracegen --host %s --seed "
		       "1..%u\n",
		       bh->name, bh->nnodes, res->traces[i], res->events[i], bh->name,
		       res->traces[i]);
		printf("  %-10s %8s %6s %8s %6s %6s %7s %8s %8s %11s %10s\n", "strategy",
		       "one-node", "nodes", "distance", "peak", "spread", "placed", "unplaced",
		       "rejected", "ns/decision", "examined");
		for (unsigned s = 0; s < NSTRAT; s++) {
			const struct quality *q = &res->q[i][s];
			uint64_t d = q_decisions(q);

			if (!q->ran) {
				printf("  %-10s (not run)\n", np_strategy_name(s));
				continue;
			}
			printf("  %-10s %7.1f%% %6.2f %8.3f %6.2f %6.2f %7" PRIu64 " %8" PRIu64
			       " %8" PRIu64 " %11.0f %10.1f\n",
			       np_strategy_name(s), q_single(q), q_nodes(q), q_dist(q), q->peak,
			       q_spread(q), q->placed, q->unplaced, q->rejected,
			       d ? (double)q->search_ns / d : 0.0,
			       d ? (double)q->examined / d : 0.0);
		}
		printf("\n");
	}
}

static double sh_ratio(const struct shadow *x)
{
	return x->dist_o > 0 ? x->dist_c / x->dist_o : 1.0;
}

static void print_same_state(const struct results *res)
{
	printf(
	    "== Same state: at each decision of compact's replay, xen and exhaustive answer too\n");
	printf("nodes: decisions where compact used fewer / as many / more nodes than the other;\n"
	       "distance: compact's set shorter / equal / longer in mean access distance;\n"
	       "only: a placement found by compact alone / by the other alone; mean distance of\n"
	       "both over the decisions where both placed, memory-weighted.\n");
	printf("%-6s %-10s %6s %17s %17s %11s %15s %8s\n", "host", "other", "both", "nodes -/=/+",
	       "distance -/=/+", "only c/o", "mean c / o", "c vs o");
	for (unsigned i = 0; i < res->nhosts; i++)
		for (unsigned o = 0; o < NSTRAT; o++) {
			const struct shadow *x = &res->sh[i][o];
			char a[32], b[32], c[32], d[32];

			if (!x->ran)
				continue;
			snprintf(a, sizeof(a), "%" PRIu64 "/%" PRIu64 "/%" PRIu64, x->fewer,
			         x->same, x->more);
			snprintf(b, sizeof(b), "%" PRIu64 "/%" PRIu64 "/%" PRIu64, x->shorter,
			         x->equal, x->longer);
			snprintf(c, sizeof(c), "%" PRIu64 "/%" PRIu64, x->only_compact,
			         x->only_other);
			snprintf(d, sizeof(d), "%.4f/%.4f",
			         x->weight > 0 ? x->dist_c / x->weight : 0,
			         x->weight > 0 ? x->dist_o / x->weight : 0);
			printf("%-6s %-10s %6" PRIu64 " %17s %17s %11s %15s %+7.2f%%\n",
			       res->host[i]->name, np_strategy_name(o), x->both, a, b, c, d,
			       100.0 * (sh_ratio(x) - 1.0));
		}
	printf("\n");
}

static int host_index(const struct results *res, unsigned nnodes)
{
	for (unsigned i = 0; i < res->nhosts; i++)
		if (res->host[i]->nnodes == nnodes)
			return (int)i;
	return -1;
}

static const char *verdict(bool ok)
{
	return ok ? "MET " : "MISS";
}

static unsigned print_targets(const struct results *res)
{
	const struct quality *c, *x, *e;
	unsigned misses = 0;
	int i64 = host_index(res, 64), i256 = host_index(res, 256), i16 = host_index(res, 16);

	printf("== Targets\n");
	if (i64 >= 0) {
		double m = res->lat[i64][NP_STRATEGY_COMPACT][2].med;

		printf("%s compact median at 64 nodes, 1000 placed: %.1f us (target < 100 us)\n",
		       verdict(m < 100e3), m / 1e3);
		misses += m >= 100e3;
	}
	if (i256 >= 0) {
		double m = res->lat[i256][NP_STRATEGY_COMPACT][2].med;

		printf("%s compact median at 256 nodes, 1000 placed: %.1f us (target < 1000 us)\n",
		       verdict(m < 1e6), m / 1e3);
		misses += m >= 1e6;
	}
	for (unsigned i = 0; i < res->nhosts; i++) {
		bool loc, adm, w1, w2, w3;

		c = &res->q[i][NP_STRATEGY_COMPACT];
		x = &res->q[i][NP_STRATEGY_XEN];
		if (!x->ran || x->placed == 0)
			continue;
		/* Never worse: as many or more on one node, no more nodes, no longer distance. */
		w1 = q_single(c) < q_single(x) - 1e-9;
		w2 = q_nodes(c) > q_nodes(x) + 1e-9;
		w3 = q_dist(c) > q_dist(x) + 1e-9;
		loc = !w1 && !w2 && !w3;
		adm = c->placed >= x->placed && c->rejected <= x->rejected;
		printf("%s compact vs xen on %-5s locality: one-node %.1f%% vs %.1f%%, nodes %.3f "
		       "vs %.3f, distance %.4f vs %.4f%s%s%s%s%s\n",
		       verdict(loc), res->host[i]->name, q_single(c), q_single(x), q_nodes(c),
		       q_nodes(x), q_dist(c), q_dist(x),
		       loc ? "" : " (worse:", w1 ? " one-node share" : "",
		       w2 ? " nodes per guest" : "", w3 ? " distance" : "", loc ? "" : ")");
		printf("%s compact vs xen on %-5s admission: placed %" PRIu64 " vs %" PRIu64
		       ", unplaced %" PRIu64 " vs %" PRIu64 ", rejected %" PRIu64 " vs %" PRIu64
		       "\n",
		       verdict(adm), res->host[i]->name, c->placed, x->placed, c->unplaced,
		       x->unplaced, c->rejected, x->rejected);
		misses += !loc + !adm;
	}
	for (unsigned i = 0; i < res->nhosts; i++) {
		const struct shadow *sx = &res->sh[i][NP_STRATEGY_XEN];
		bool ok;

		if (!sx->ran)
			continue;
		ok = sx->more == 0 && sx->only_other == 0;
		printf("%s compact vs xen on %-5s same state: more nodes in %" PRIu64 " of %" PRIu64
		       " decisions, xen alone placed %" PRIu64 ", longer distance in %" PRIu64
		       " (shorter in %" PRIu64 ")\n",
		       verdict(ok), res->host[i]->name, sx->more, sx->both, sx->only_other,
		       sx->longer, sx->shorter);
		misses += !ok;
	}
	for (unsigned i = 0; i < res->nhosts; i++) {
		const struct shadow *se = &res->sh[i][NP_STRATEGY_EXHAUSTIVE];
		double ratio;

		if (se->ran && se->weight > 0) {
			ratio = sh_ratio(se);
			printf(
			    "%s compact vs exhaustive on %-5s same state: access distance %+.2f%% "
			    "(target within 2%%)\n",
			    verdict(ratio <= 1.02), res->host[i]->name, 100.0 * (ratio - 1.0));
			misses += ratio > 1.02;
		}
		c = &res->q[i][NP_STRATEGY_COMPACT];
		e = &res->q[i][NP_STRATEGY_EXHAUSTIVE];
		if (!e->ran || q_dist(e) <= 0)
			continue;
		ratio = q_dist(c) / q_dist(e);
		printf("%s compact vs exhaustive on %-5s access distance %.4f vs %.4f: %+.2f%% "
		       "(target within 2%%)\n",
		       verdict(ratio <= 1.02), res->host[i]->name, q_dist(c), q_dist(e),
		       100.0 * (ratio - 1.0));
		misses += ratio > 1.02;
	}
	if (i16 >= 0) {
		const struct lat *lc = res->lat[i16][NP_STRATEGY_COMPACT],
		                 *lx = res->lat[i16][NP_STRATEGY_XEN];
		const struct lat *hc = &res->half[i16][NP_STRATEGY_COMPACT],
		                 *hx = &res->half[i16][NP_STRATEGY_XEN],
		                 *he = &res->half[i16][NP_STRATEGY_EXHAUSTIVE];

		printf("ratios measured in this run, 16 nodes:\n");
		for (unsigned pi = 0; pi < NPRELOAD; pi++)
			printf("  mix, %4u placed: xen median / compact median = %.2f\n",
			       preloads[pi], lx[pi].med / lc[pi].med);
		printf("  half-host guest: xen / compact = %.1f", hx->med / hc->med);
		if (he->ran)
			printf(", exhaustive / compact = %.1f", he->med / hc->med);
		printf("\n");
	}
	printf("%u target(s) missed\n", misses);
	return misses;
}

static void write_data(const struct config *cfg, const struct results *res)
{
	static const char *const names[] = {"latency.dat", "halfhost.dat"};

	for (unsigned k = 0; k < 2; k++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, names[k]);
		f = fopen(path, "w");
		if (!f)
			die(path, errno);
		fprintf(f, "nodes");
		for (unsigned s = 0; s < NSTRAT; s++)
			fprintf(f, " %s", np_strategy_name(s));
		fprintf(f, "\n# median ns; %s\n",
		        k ? "one guest needing ~half the host, empty host"
		          : "64-request mix, 1000 workloads placed");
		for (unsigned i = 0; i < res->nhosts; i++) {
			fprintf(f, "%u", res->host[i]->nnodes);
			for (unsigned s = 0; s < NSTRAT; s++) {
				const struct lat *l = k ? &res->half[i][s] : &res->lat[i][s][2];
				/* xen's "no placement" above 16 nodes is not a search: no point. */
				bool show =
				    l->ran && !(s == NP_STRATEGY_XEN && res->host[i]->nnodes > 16);

				if (show)
					fprintf(f, " %.0f", l->med);
				else
					fprintf(f, " -");
			}
			fprintf(f, "\n");
		}
		if (fclose(f) != 0)
			die(path, errno);
	}
}

/*
 * Compare two strategies decision by decision on one trace: the guests they place on
 * different node sets, up to the first difference in node count and a few after.
 */
static int compare_decisions(const char *host, uint64_t seed, const char *sa, const char *sb)
{
	const struct bench_host *bh = bench_host_find(host);
	enum np_strategy st[2];
	struct tg_trace t = {0};
	struct tg_params p;
	char **sets[2] = {NULL, NULL};
	unsigned shown = 0;
	np_host *h;

	if (!bh || np_strategy_parse(sa, &st[0]) < 0 || np_strategy_parse(sb, &st[1]) < 0) {
		fprintf(stderr, "np-bench: --decisions HOST SEED STRATEGY STRATEGY\n");
		return 2;
	}
	h = build_host(bh);
	p = host_params(bh, seed);
	if (tg_generate(&p, &t) < 0)
		die("tg_generate", -ENOMEM);
	for (unsigned k = 0; k < 2; k++) {
		struct quality q = {0};

		sets[k] = calloc(t.n + 2, sizeof(*sets[k]));
		if (!sets[k])
			die("decisions", -ENOMEM);
		replay(h, &t, st[k], &q, sets[k], NULL);
		printf("%-10s placed %" PRIu64 ", mean nodes %.4f, distance %.4f\n", sa, q.placed,
		       q_nodes(&q), q_dist(&q));
		sa = sb;
	}
	printf("event  guest  GiB      vCPUs  %-12s %-12s\n", np_strategy_name(st[0]),
	       np_strategy_name(st[1]));
	for (size_t e = 0; e < t.n && shown < 40; e++) {
		const struct tg_event *ev = &t.ev[e];
		const char *a = sets[0][ev->id], *b = sets[1][ev->id];

		if (!ev->place || (a && b && strcmp(a, b) == 0) || (!a && !b))
			continue;
		printf("%5zu  g%-5u %7.1f  %5u  %-12s %-12s\n", e + 1, ev->id,
		       (double)ev->memory / (1u << 30), ev->vcpus, a ? a : "-", b ? b : "-");
		shown++;
	}
	for (unsigned k = 0; k < 2; k++) {
		for (size_t i = 0; i < t.n + 2; i++)
			free(sets[k][i]);
		free(sets[k]);
	}
	tg_trace_release(&t);
	np_host_free(h);
	return 0;
}

/*
 * Write the catalogue host `name` as an hwloc XML topology (a synthetic topology with the
 * catalogue's distance matrix), so that `numaplace simulate --topology FILE` sees the same host
 * as the benchmark.
 */
static int export_xml(const char *name, const char *path)
{
	const struct bench_host *bh = bench_host_find(name);
	hwloc_topology_t topo = NULL;
	hwloc_distances_add_handle_t dh;
	hwloc_obj_t *objs = NULL;
	hwloc_uint64_t *values = NULL;
	char desc[128];
	int r = 1;

	if (!bh) {
		fprintf(stderr, "np-bench: unknown host '%s'\n", name);
		return 2;
	}
	snprintf(desc, sizeof(desc), "pack:%u [numa(memory=%" PRIu64 "GiB)] core:%u pu:1",
	         bh->nnodes, bh->node_memory >> 30, bh->node_cpus);
	objs = calloc(bh->nnodes, sizeof(*objs));
	values = calloc((size_t)bh->nnodes * bh->nnodes, sizeof(*values));
	if (!objs || !values || hwloc_topology_init(&topo) < 0)
		goto out;
	if (hwloc_topology_set_synthetic(topo, desc) < 0 || hwloc_topology_load(topo) < 0)
		goto out;
	for (unsigned i = 0; i < bh->nnodes; i++) {
		objs[i] = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
		if (!objs[i] || objs[i]->os_index != i)
			goto out;
		for (unsigned j = 0; j < bh->nnodes; j++)
			values[(size_t)i * bh->nnodes + j] = bh->distance(bh, i, j);
	}
	dh = hwloc_distances_add_create(
	    topo, "NUMALatency", HWLOC_DISTANCES_KIND_FROM_OS | HWLOC_DISTANCES_KIND_MEANS_LATENCY,
	    0);
	if (!dh || hwloc_distances_add_values(topo, dh, bh->nnodes, objs, values, 0) < 0 ||
	    hwloc_distances_add_commit(topo, dh, 0) < 0)
		goto out;
	if (hwloc_topology_export_xml(topo, path, 0) < 0)
		goto out;
	r = 0;
out:
	if (r)
		fprintf(stderr, "np-bench: cannot export host '%s' to '%s'\n", name, path);
	if (topo)
		hwloc_topology_destroy(topo);
	free(objs);
	free(values);
	return r;
}

/* One trace, one strategy, printed as `numaplace simulate --report` prints its figures. */
static int report_one(const char *host, uint64_t seed, const char *strategy)
{
	const struct bench_host *bh = bench_host_find(host);
	struct quality q = {0};
	struct tg_trace t = {0};
	struct tg_params p;
	enum np_strategy s;
	uint64_t d;
	np_host *h;

	if (!bh || np_strategy_parse(strategy, &s) < 0) {
		fprintf(stderr, "np-bench: --report HOST SEED STRATEGY\n");
		return 2;
	}
	h = build_host(bh);
	p = host_params(bh, seed);
	if (tg_generate(&p, &t) < 0)
		die("tg_generate", -ENOMEM);
	replay(h, &t, s, &q, NULL, NULL);
	d = q_decisions(&q);
	printf("report:\n");
	printf("  locality:  %.1f%% of placed guests on one node, %.2f nodes per guest,\n"
	       "             memory-weighted access distance %.3f (1.0 = all local)\n",
	       q_single(&q), q_nodes(&q), q_dist(&q));
	printf("  load:      peak %.2f vCPUs per CPU on a node, mean spread across nodes %.2f\n",
	       q.peak, q_spread(&q));
	printf("  admission: %" PRIu64 " placed, %" PRIu64 " unplaced (ran on all nodes), %" PRIu64
	       " rejected\n",
	       q.placed, q.unplaced, q.rejected);
	printf("  cost:      %" PRIu64 " decisions, search %.1f us in total, %.2f us per decision, "
	       "%.1f candidate sets examined per decision\n",
	       d, q.search_ns / 1000.0, d ? (double)q.search_ns / 1000.0 / d : 0.0,
	       d ? (double)q.examined / d : 0.0);
	tg_trace_release(&t);
	np_host_free(h);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: np-bench [--quick] [--max-nodes N] [--seeds N] [--data DIR]\n"
	      "  --quick        small budgets (a smoke run, numbers not for publishing)\n"
	      "  --max-nodes N  only hosts of at most N nodes\n"
	      "  --seeds N      traces per host for the quality figures (default 5)\n"
	      "  --data DIR     write latency.dat and halfhost.dat for gnuplot into DIR\n"
	      "  --export-xml HOST FILE\n"
	      "                 write a catalogue host as hwloc XML (for numaplace --topology)\n"
	      "  --report HOST SEED STRATEGY\n"
	      "                 replay one trace and print the figures as 'numaplace simulate\n"
	      "                 --report' does\n"
	      "  --decisions HOST SEED A B\n"
	      "                 replay one trace with strategies A and B and list the guests\n"
	      "                 they place differently\n",
	      f);
}

int main(int argc, char **argv)
{
	struct config cfg = {.max_nodes = 1u << 20, .seeds = 5};
	static struct results res;
	uint64_t t0 = now_ns(), t1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--quick") == 0) {
			cfg.quick = true;
		} else if (strcmp(a, "--max-nodes") == 0 && i + 1 < argc) {
			cfg.max_nodes = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(a, "--seeds") == 0 && i + 1 < argc) {
			cfg.seeds = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(a, "--data") == 0 && i + 1 < argc) {
			cfg.data_dir = argv[++i];
		} else if (strcmp(a, "--export-xml") == 0 && i + 2 < argc) {
			return export_xml(argv[i + 1], argv[i + 2]);
		} else if (strcmp(a, "--report") == 0 && i + 3 < argc) {
			return report_one(argv[i + 1], strtoull(argv[i + 2], NULL, 10),
			                  argv[i + 3]);
		} else if (strcmp(a, "--decisions") == 0 && i + 4 < argc) {
			return compare_decisions(argv[i + 1], strtoull(argv[i + 2], NULL, 10),
			                         argv[i + 3], argv[i + 4]);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	cfg.cell_budget_ns = cfg.quick ? 5e6 : 80e6;
	cfg.cell_max_samples = cfg.quick ? 200 : 2000;
	if (cfg.quick)
		cfg.seeds = 1;
	for (unsigned i = 0; i < bench_nhosts && res.nhosts < MAX_HOSTS; i++)
		if (bench_hosts[i].nnodes <= cfg.max_nodes)
			res.host[res.nhosts++] = &bench_hosts[i];

	print_machine(&cfg);
	print_hosts(&res);
	fflush(stdout);
	for (unsigned i = 0; i < res.nhosts; i++) {
		fprintf(stderr, "np-bench: host %s: latency\n", res.host[i]->name);
		run_latency(&cfg, &res, i);
		fprintf(stderr, "np-bench: host %s: quality\n", res.host[i]->name);
		run_quality(&cfg, &res, i);
	}
	print_latency(&res);
	print_growth(&res);
	print_quality(&res);
	print_same_state(&res);
	print_targets(&res);
	t1 = now_ns();
	printf("\nbench time: %.1f s\n", (double)(t1 - t0) / 1e9);
	print_loadavg("at the end: ");
	if (cfg.data_dir)
		write_data(&cfg, &res);
	return 0;
}
