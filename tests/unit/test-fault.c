/*
 * test-fault.c - every public function that allocates, with its Nth allocation failing, for
 * every N until a call gets through without a failure (fault.h): the call returns -ENOMEM,
 * leaves its outputs untouched, frees what it took (ASan and valgrind runs of this test check
 * that) and leaves the ledger as it was.
 *
 * A failure injected into SQLite may be one SQLite absorbs (it has "benign" allocations, such
 * as a page cache that can do without): the call may then succeed. Every other failure must
 * be reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fault.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GiB (1ull << 30)
#define MAX_ALLOCATIONS 100000ul

static char base[PATH_MAX / 2]; /* temporary directory of the test */
static char proot[PATH_MAX];    /* fixture root holding proc/ */
static char golden[PATH_MAX];   /* a ledger directory built once, copied for every N */
static char work[PATH_MAX];     /* the copy a call works on */

/* ---- The loop ------------------------------------------------------------------------------ */

struct fault_case {
	const char *what;
	/* Prepare (not counted), then the call under test, then undo what a success produced. */
	void (*prepare)(void *arg);
	int (*call)(void *arg);
	void (*check_failed)(void *arg, int r);
	void (*undo)(void *arg);
	void *arg;
};

/* Returns the number of allocations a call makes when none fails. */
static unsigned long every_allocation(const struct fault_case *c)
{
	for (unsigned long n = 1; n < MAX_ALLOCATIONS; n++) {
		int r;

		if (c->prepare)
			c->prepare(c->arg);
		fault_arm(n);
		r = c->call(c->arg);
		fault_disarm();
		if (!fault_fired()) {
			if (r < 0)
				fail_msg("%s: %d (%s) with no allocation failing", c->what, r,
				         strerror(-r));
			if (c->undo)
				c->undo(c->arg);
			return n - 1;
		}
		if (r >= 0 && fault_fired_in_sqlite()) {
			if (c->undo)
				c->undo(c->arg);
			continue;
		}
		if (r != -ENOMEM)
			fail_msg("%s: allocation %lu failed%s: returned %d (%s), not -ENOMEM",
			         c->what, n, fault_fired_in_sqlite() ? " (in SQLite)" : "", r,
			         r < 0 ? strerror(-r) : "success");
		if (c->check_failed)
			c->check_failed(c->arg, r);
	}
	fail_msg("%s: more than %lu allocations", c->what, MAX_ALLOCATIONS);
	return 0;
}

/* ---- Host loading and building ----------------------------------------------------------------
 */

#define UNTOUCHED ((void *)0x1)

struct load_arg {
	struct np_source src;
	np_host *h;
};

static int call_load(void *p)
{
	struct load_arg *a = p;

	a->h = UNTOUCHED;
	return np_host_load(&a->src, &a->h);
}

static void load_failed(void *p, int r)
{
	struct load_arg *a = p;

	(void)r;
	assert_ptr_equal(a->h, UNTOUCHED);
}

static void load_undo(void *p)
{
	struct load_arg *a = p;

	np_host_free(a->h);
	a->h = NULL;
}

static void check_load(const char *what, enum np_source_kind kind, const char *arg, unsigned flags)
{
	struct load_arg a = {{kind, arg, flags}, NULL};
	struct fault_case c = {what, NULL, call_load, load_failed, load_undo, &a};

	assert_true(every_allocation(&c) > 0);
}

static void test_host_load(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/xml/sparse.xml", FIXTURES);
	check_load("np_host_load(xml)", NP_SOURCE_XML, path, 0);
	check_load("np_host_load(synthetic)", NP_SOURCE_SYNTHETIC,
	           "pack:2 [numa(memory=4GiB)] core:2 pu:2", NP_HOST_WHOLE_SYSTEM);
	snprintf(path, sizeof(path), "%s/sysfs/hugepages", FIXTURES);
	check_load("np_host_load(sysfs)", NP_SOURCE_SYSFS, path, 0);
	check_load("np_host_load(sysfs, fast)", NP_SOURCE_SYSFS, path, NP_HOST_FAST);
	snprintf(path, sizeof(path), "%s/sysfs/old-kernel", FIXTURES);
	check_load("np_host_load(sysfs, old kernel, fast)", NP_SOURCE_SYSFS, path, NP_HOST_FAST);
	check_load("np_host_load(live)", NP_SOURCE_LIVE, NULL, 0);
	check_load("np_host_load(live, fast)", NP_SOURCE_LIVE, NULL, NP_HOST_FAST);
}

/* Four nodes in two close pairs, ids 0, 1, 4, 5; node 5 has no CPUs. */
static np_host *host4(void)
{
	static const unsigned dist[16] = {10, 12, 20, 20, 12, 10, 20, 20,
	                                  20, 20, 10, 12, 20, 20, 12, 10};
	static const struct np_hugepages hp[1] = {{2 << 20, 512, 256}};
	hwloc_bitmap_t cpus[4];
	struct np_node_spec spec[4];
	np_host *h = NULL;

	for (unsigned i = 0; i < 4; i++) {
		cpus[i] = hwloc_bitmap_alloc();
		if (i < 3)
			hwloc_bitmap_set_range(cpus[i], (int)i * 4, (int)i * 4 + 3);
		spec[i] =
		    (struct np_node_spec){i < 2 ? i : i + 2, cpus[i], 8 * GiB, 6 * GiB, 1, hp};
	}
	assert_int_equal(np_host_build(4, spec, dist, &h), 0);
	for (unsigned i = 0; i < 4; i++)
		hwloc_bitmap_free(cpus[i]);
	return h;
}

struct build_arg {
	hwloc_bitmap_t cpus[2];
	np_host *h;
};

static int call_build(void *p)
{
	struct build_arg *a = p;
	static const struct np_hugepages hp[2] = {{2 << 20, 10, 5}, {1 << 30, 2, 1}};
	struct np_node_spec spec[2] = {{3, a->cpus[0], 4 * GiB, 2 * GiB, 2, hp},
	                               {7, a->cpus[1], 4 * GiB, 1 * GiB, 0, NULL}};

	a->h = UNTOUCHED;
	return np_host_build(2, spec, NULL, &a->h);
}

static void build_failed(void *p, int r)
{
	(void)r;
	assert_ptr_equal(((struct build_arg *)p)->h, UNTOUCHED);
}

static void build_undo(void *p)
{
	struct build_arg *a = p;

	np_host_free(a->h);
	a->h = NULL;
}

static void test_host_build(void **state)
{
	struct build_arg a = {{hwloc_bitmap_alloc(), hwloc_bitmap_alloc()}, NULL};
	struct fault_case c = {"np_host_build", NULL, call_build, build_failed, build_undo, &a};

	(void)state;
	hwloc_bitmap_set_range(a.cpus[0], 0, 7);
	hwloc_bitmap_set_range(a.cpus[1], 8, 9);
	assert_true(every_allocation(&c) > 0);
	hwloc_bitmap_free(a.cpus[0]);
	hwloc_bitmap_free(a.cpus[1]);
}

/* ---- Load, search, lists ----------------------------------------------------------------------
 */

struct load_ops_arg {
	np_host *host;
	np_load *base;
	np_load *out;
	hwloc_bitmap_t nodes;
	struct np_claim claim;
};

static int call_load_new(void *p)
{
	struct load_ops_arg *a = p;

	a->out = UNTOUCHED;
	return np_load_new(a->host, &a->out);
}

static int call_load_dup(void *p)
{
	struct load_ops_arg *a = p;

	a->out = UNTOUCHED;
	return np_load_dup(a->base, &a->out);
}

static void load_ops_failed(void *p, int r)
{
	(void)r;
	assert_ptr_equal(((struct load_ops_arg *)p)->out, UNTOUCHED);
}

static void load_ops_undo(void *p)
{
	struct load_ops_arg *a = p;

	np_load_free(a->out);
	a->out = NULL;
}

static int call_charge(void *p)
{
	struct load_ops_arg *a = p;

	memset(&a->claim, 0, sizeof(a->claim));
	return np_load_charge(a->base, a->nodes, 9 * GiB, 3, &a->claim);
}

/* Nothing charged, nothing handed out. */
static void charge_failed(void *p, int r)
{
	struct load_ops_arg *a = p;

	(void)r;
	assert_null(a->claim.bytes);
	assert_null(a->claim.nodes);
	for (unsigned i = 0; i < np_host_nnodes(a->host); i++) {
		assert_int_equal(np_load_free_bytes(a->base, i),
		                 np_host_node(a->host, i)->free_bytes);
		assert_int_equal(np_load_vcpus(a->base, i), 0);
	}
}

static void charge_undo(void *p)
{
	struct load_ops_arg *a = p;

	np_load_uncharge(a->base, &a->claim);
	np_claim_release(&a->claim);
}

static void test_load(void **state)
{
	struct load_ops_arg a = {host4(), NULL, NULL, hwloc_bitmap_alloc(), {0}};
	struct fault_case c1 = {"np_load_new",   NULL,          call_load_new,
	                        load_ops_failed, load_ops_undo, &a};
	struct fault_case c2 = {"np_load_dup",   NULL,          call_load_dup,
	                        load_ops_failed, load_ops_undo, &a};
	struct fault_case c3 = {"np_load_charge", NULL,        call_charge,
	                        charge_failed,    charge_undo, &a};

	(void)state;
	assert_int_equal(np_load_new(a.host, &a.base), 0);
	hwloc_bitmap_set(a.nodes, 0);
	hwloc_bitmap_set(a.nodes, 5);
	assert_true(every_allocation(&c1) > 0);
	assert_true(every_allocation(&c2) > 0);
	assert_true(every_allocation(&c3) > 0);
	np_load_free(a.base);
	hwloc_bitmap_free(a.nodes);
	np_host_free(a.host);
}

struct search_arg {
	const np_host *host;
	const np_load *load;
	struct np_request req;
	struct np_search_opts opts;
	np_plan *plan;
};

static int call_search(void *p)
{
	struct search_arg *a = p;

	a->plan = UNTOUCHED;
	return np_search(a->host, a->load, &a->req, &a->opts, &a->plan);
}

static void search_failed(void *p, int r)
{
	(void)r;
	assert_ptr_equal(((struct search_arg *)p)->plan, UNTOUCHED);
}

static void search_undo(void *p)
{
	struct search_arg *a = p;

	np_plan_free(a->plan);
	a->plan = NULL;
}

static void test_search(void **state)
{
	np_host *h = host4();
	np_load *load = NULL;
	hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
	struct search_arg a = {.host = h};
	struct fault_case c = {NULL, NULL, call_search, search_failed, search_undo, &a};
	char what[64];

	(void)state;
	assert_int_equal(np_load_new(h, &load), 0);
	assert_int_equal(np_load_add_vcpus(load, 1, 4), 0);
	a.load = load;
	hwloc_bitmap_set_range(allowed, 0, 1);
	hwloc_bitmap_set_range(allowed, 4, 5);
	for (int s = 0; s < NP_STRATEGY_COUNT_; s++) {
		np_request_init(&a.req);
		a.req.memory_bytes = 10 * GiB;
		a.req.vcpus = 6;
		a.req.allowed_nodes = allowed;
		a.req.hugepage_size = 2 << 20;
		a.req.hugepage_count = 100;
		np_search_opts_init(&a.opts);
		a.opts.strategy = (enum np_strategy)s;
		a.opts.keep = 5;
		snprintf(what, sizeof(what), "np_search(%s)",
		         np_strategy_name((enum np_strategy)s));
		c.what = what;
		assert_true(every_allocation(&c) > 0);
		/* and when nothing fits (the reason is built then) */
		a.req.memory_bytes = 100 * GiB;
		assert_true(every_allocation(&c) > 0);
	}
	/* exclusive cores, with CPUs held: a grant, and none when too many are asked */
	hwloc_bitmap_only(allowed, 2);
	assert_int_equal(np_load_hold_cpus(load, allowed), 0);
	for (int s = 0; s < NP_STRATEGY_COUNT_; s++) {
		np_request_init(&a.req);
		a.req.memory_bytes = GiB;
		a.req.vcpus = 3;
		a.req.exclusive = 1;
		np_search_opts_init(&a.opts);
		a.opts.strategy = (enum np_strategy)s;
		a.opts.keep = 5;
		snprintf(what, sizeof(what), "np_search(%s, exclusive)",
		         np_strategy_name((enum np_strategy)s));
		c.what = what;
		assert_true(every_allocation(&c) > 0);
		a.req.vcpus = 100;
		assert_true(every_allocation(&c) > 0);
		/* a shared request avoids the held CPU */
		a.req.exclusive = 0;
		a.req.vcpus = 2;
		assert_true(every_allocation(&c) > 0);
	}
	hwloc_bitmap_free(allowed);
	np_load_free(load);
	np_host_free(h);
}

/* ---- The placement step: a dry run of this process --------------------------------------- */

struct place_arg {
	np_host *h;
	struct np_place_req req;
	struct np_target t;
	struct np_placement p;
};

static void place_prepare(void *arg)
{
	struct place_arg *a = arg;

	np_target_init(&a->t);
	a->t.kind = NP_TARGET_PID;
	a->t.pid = getpid();
	np_placement_init(&a->p);
}

static int call_place(void *arg)
{
	struct place_arg *a = arg;

	return np_place(a->h, NULL, &a->t, &a->req, &a->p);
}

static void place_undo(void *arg)
{
	struct place_arg *a = arg;

	np_placement_release(&a->p);
	np_target_release(&a->t);
}

static void place_failed(void *arg, int r)
{
	(void)r;
	place_undo(arg);
}

static void test_place(void **state)
{
	struct place_arg a = {.h = host4()};
	struct fault_case c = {"np_place()", place_prepare, call_place,
	                       place_failed, place_undo,    &a};
	hwloc_bitmap_t nodes = hwloc_bitmap_alloc();

	(void)state;
	np_place_req_init(&a.req);
	a.req.flags = NP_PLACE_DRY_RUN | NP_PLACE_MIGRATE | NP_PLACE_MEASURE_MEMORY;
	assert_true(every_allocation(&c) > 0);
	/* nodes given by hand, short of memory: the even split */
	hwloc_bitmap_set_range(nodes, 0, 1);
	a.req.nodes = nodes;
	a.req.flags = NP_PLACE_DRY_RUN;
	a.req.request.memory_bytes = 100 * GiB;
	assert_true(every_allocation(&c) > 0);
	/* nothing fits */
	a.req.nodes = NULL;
	assert_true(every_allocation(&c) > 0);
	hwloc_bitmap_free(nodes);
	np_host_free(a.h);
}

struct list_parse_arg {
	hwloc_bitmap_t set;
};

static int call_list_parse(void *p)
{
	struct list_parse_arg *a = p;

	hwloc_bitmap_only(a->set, 99);
	return np_list_parse("0-3,8,10-11", 63, a->set);
}

static void list_parse_failed(void *p, int r)
{
	struct list_parse_arg *a = p;

	(void)r;
	assert_int_equal(hwloc_bitmap_weight(a->set), 1);
	assert_true(hwloc_bitmap_isset(a->set, 99));
}

static void test_list_parse(void **state)
{
	struct list_parse_arg a = {hwloc_bitmap_alloc()};
	struct fault_case c = {"np_list_parse", NULL, call_list_parse, list_parse_failed, NULL, &a};

	(void)state;
	assert_true(every_allocation(&c) > 0);
	hwloc_bitmap_free(a.set);
}

struct numastat_arg {
	char root[PATH_MAX];
	hwloc_bitmap_t nodes;
	struct np_numastat *s;
};

static int call_numastat(void *p)
{
	struct numastat_arg *a = p;

	a->s = UNTOUCHED;
	return np_numastat_read(a->root, a->nodes, &a->s);
}

static void numastat_failed(void *p, int r)
{
	(void)r;
	assert_ptr_equal(((struct numastat_arg *)p)->s, UNTOUCHED);
}

static void numastat_undo(void *p)
{
	struct numastat_arg *a = p;

	assert_int_equal(a->s[1].node, 4);
	free(a->s);
	a->s = NULL;
}

static void test_numastat(void **state)
{
	struct numastat_arg a = {.nodes = hwloc_bitmap_alloc()};
	struct fault_case c = {"np_numastat_read", NULL,          call_numastat,
	                       numastat_failed,    numastat_undo, &a};

	(void)state;
	snprintf(a.root, sizeof(a.root), "%s/sysfs/sparse", FIXTURES);
	hwloc_bitmap_set(a.nodes, 1);
	hwloc_bitmap_set(a.nodes, 4);
	assert_true(every_allocation(&c) > 0);
	hwloc_bitmap_free(a.nodes);
}

struct start_arg {
	uint64_t t;
};

static int call_start_time(void *p)
{
	struct start_arg *a = p;

	a->t = 7;
	return np_process_start_time(0, &a->t);
}

static void start_time_failed(void *p, int r)
{
	(void)r;
	assert_int_equal(((struct start_arg *)p)->t, 7);
}

static void test_start_time(void **state)
{
	struct start_arg a = {0};
	struct fault_case c = {"np_process_start_time", NULL, call_start_time,
	                       start_time_failed,       NULL, &a};

	(void)state;
	assert_true(every_allocation(&c) > 0);
}

/* ---- Processes, CPU times, QEMU command lines, rebalancing ------------------------------------
 */

struct proc_arg {
	int what;
	void *out;
	struct np_process p;
};

static int call_proc(void *arg)
{
	struct proc_arg *a = arg;
	static char *const qemu[] = {
	    "qemu-system-x86_64", "-smp", "cpus=4,sockets=2,cores=2", "-m", "size=4G", NULL};
	struct np_qemu_sizes q;
	int r;

	a->out = UNTOUCHED;
	switch (a->what) {
	case 0:
		a->p.pid = -7;
		r = np_process_read(getpid(), &a->p);
		if (r < 0)
			assert_int_equal(a->p.pid, -7);
		return r;
	case 1:
		r = np_process_list((struct np_process **)&a->out);
		break;
	case 2:
		r = np_process_memory(getpid(), (struct np_node_bytes **)&a->out);
		break;
	case 3:
		r = np_process_argv(getpid(), (char ***)&a->out);
		break;
	case 4:
		r = np_cpu_times((struct np_cpu_time **)&a->out);
		break;
	default:
		a->out = NULL;
		r = np_qemu_sizes(qemu, &q);
		return r == 1 ? 0 : r < 0 ? r : -EPROTO;
	}
	if (r < 0)
		assert_ptr_equal(a->out, UNTOUCHED);
	return r < 0 ? r : 0;
}

static void proc_undo(void *arg)
{
	struct proc_arg *a = arg;

	if (a->out != UNTOUCHED)
		free(a->out);
	a->out = NULL;
}

static void test_processes(void **state)
{
	static const char *const names[] = {"np_process_read",   "np_process_list",
	                                    "np_process_memory", "np_process_argv",
	                                    "np_cpu_times",      "np_qemu_sizes"};
	struct proc_arg a;
	struct fault_case c = {NULL, NULL, call_proc, NULL, proc_undo, &a};

	(void)state;
	for (int w = 0; w < 6; w++) {
		memset(&a, 0, sizeof(a));
		a.what = w;
		c.what = names[w];
		every_allocation(&c);
	}
}

struct rebalance_arg {
	const np_host *host;
	const np_load *load;
	struct np_rebalance_workload w[2];
	struct np_rebalance_params params;
	struct np_rebalance_decision d;
};

static int call_rebalance(void *arg)
{
	struct rebalance_arg *a = arg;

	memset(&a->d, 0, sizeof(a->d));
	a->d.move = -7;
	return np_rebalance_decide(a->host, a->load, NULL, a->w, 2, &a->params, &a->d);
}

static void rebalance_failed(void *arg, int r)
{
	(void)r;
	assert_int_equal(((struct rebalance_arg *)arg)->d.move, -7);
}

static void rebalance_undo(void *arg)
{
	np_rebalance_decision_release(&((struct rebalance_arg *)arg)->d);
}

static void test_rebalance(void **state)
{
	static const struct np_node_bytes claimed[2] = {{0, 2 * GiB}, {1, 1 * GiB}};
	static const struct np_node_bytes resident[2] = {{4, 1 * GiB}, {5, 1 * GiB}};
	np_host *h = host4();
	np_load *load = NULL;
	hwloc_bitmap_t n0 = hwloc_bitmap_alloc(), n1 = hwloc_bitmap_alloc();
	struct rebalance_arg a = {.host = h};
	struct fault_case c = {"np_rebalance_decide", NULL,           call_rebalance,
	                       rebalance_failed,      rebalance_undo, &a};

	(void)state;
	assert_int_equal(np_load_new(h, &load), 0);
	a.load = load;
	hwloc_bitmap_set(n0, 0);
	hwloc_bitmap_set(n1, 1);
	/* both spilled: most of their memory is on nodes 4 and 5 */
	a.w[0] = (struct np_rebalance_workload){"a", n0,  2, &claimed[0], 1,    &resident[0],
	                                        1,   0.5, 0, 0,           NULL, NULL};
	a.w[1] = (struct np_rebalance_workload){"b", n1,  2, &claimed[1], 1,    &resident[1],
	                                        1,   0.5, 0, 0,           NULL, NULL};
	np_rebalance_params_init(&a.params);
	a.params.now = 100000;
	assert_true(every_allocation(&c) > 0);
	hwloc_bitmap_free(n0);
	hwloc_bitmap_free(n1);
	np_load_free(load);
	np_host_free(h);
}

/* ---- The ledger -------------------------------------------------------------------------------
 */

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX * 2], *slash;
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", proot, rel);
	for (slash = strchr(path + strlen(proot) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void fake_proc(pid_t pid, uint64_t start, const char *numa_maps)
{
	char rel[64], text[256];

	snprintf(rel, sizeof(rel), "proc/%d/stat", (int)pid);
	snprintf(text, sizeof(text),
	         "%d (w) S 1 %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 %llu 1000 10\n", (int)pid,
	         (int)pid, (int)pid, (unsigned long long)start);
	put(rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/numa_maps", (int)pid);
	put(rel, numa_maps ? numa_maps : "");
}

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[PATH_MAX * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* Remove a ledger directory (dir/sub when sub is not NULL) and its files; absent is fine. */
static void remove_ledger_dir(const char *dir, const char *sub)
{
	static const char *const names[] = {"ledger.db", "ledger.db-wal", "ledger.db-shm"};
	char path[PATH_MAX * 2];

	for (unsigned i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub ? sub : "", sub ? "/" : "",
		         names[i]);
		assert_true(unlink(path) == 0 || errno == ENOENT);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, sub ? sub : "");
	assert_true(rmdir(path) == 0 || errno == ENOENT);
}

/* Replace `to` by a copy of the ledger directory `from` (which holds ledger.db alone). */
static void copy_ledger(const char *from, const char *to)
{
	char path[PATH_MAX + 16], buf[1 << 16];
	ssize_t n;
	int in, out;

	remove_ledger_dir(to, "new");
	remove_ledger_dir(to, NULL);
	assert_int_equal(mkdir(to, 0700), 0);
	snprintf(path, sizeof(path), "%s/ledger.db", from);
	in = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/ledger.db", to);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

static np_ledger *ledger_open(const char *dir)
{
	struct np_ledger_opts o;
	np_ledger *l = NULL;

	np_ledger_opts_init(&o);
	o.proc_root = proot;
	assert_int_equal(np_ledger_open(dir, &o, &l), 0);
	return l;
}

static void workload(struct np_workload *w, const char *name, pid_t pid, uint64_t start,
                     unsigned node, uint64_t bytes)
{
	np_workload_init(w);
	w->name = name ? strdup(name) : NULL;
	w->pid = pid;
	w->start_time = start;
	w->nodes = hwloc_bitmap_alloc();
	hwloc_bitmap_set(w->nodes, node);
	w->cpus = hwloc_bitmap_alloc();
	hwloc_bitmap_set_range(w->cpus, 0, 3);
	w->nclaimed = 1;
	w->claimed = calloc(1, sizeof(*w->claimed));
	w->claimed[0].node = node;
	w->claimed[0].bytes = bytes;
	w->vcpus = 2;
	w->strategy = strdup("compact");
	w->policy = strdup("preferred");
	w->cmdline = strdup("/usr/bin/sleep 100");
}

/*
 * The rows of a ledger database, as one text, read with SQLite's own connection (not through
 * numaplace, and with no failure armed), after an integrity check.
 */
static char *ledger_dump(const char *dir)
{
	char path[PATH_MAX + 16];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *text = NULL;

	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT group_concat(id || ',' || name || ',' || pid ||"
	                                    " ',' || claimed || ',' || ifnull(ended, '-') || ',' ||"
	                                    " ifnull(end_reason, '-'), ';') FROM"
	                                    " (SELECT * FROM workload ORDER BY id)",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	text = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return text;
}

/*
 * The golden ledger: four live workloads (pids 2001..2004), of which 2003 has exited and 2004's
 * pid was reused, so that every transaction prunes two rows; one forgotten in the history.
 */
static char *golden_rows;

static void make_golden(void)
{
	struct np_workload w;
	np_ledger *l;

	fake_proc(2001, 100, "7f00 default N0=1024 kernelpagesize_kB=4\n");
	fake_proc(2002, 200, NULL);
	fake_proc(2003, 300, NULL);
	fake_proc(2004, 400, NULL);
	fake_proc(2005, 500, NULL);
	l = ledger_open(golden);
	assert_int_equal(np_ledger_begin(l), 0);
	for (pid_t p = 2001; p <= 2005; p++) {
		workload(&w, p == 2002 ? "db" : NULL, p, (uint64_t)(p - 2000) * 100, p % 2 ? 0 : 4,
		         GiB);
		assert_int_equal(np_ledger_insert(l, &w, NULL), 0);
		np_workload_release(&w);
	}
	assert_int_equal(np_ledger_commit(l), 0);
	assert_int_equal(np_ledger_forget(l, NULL, 2005), 0);
	np_ledger_close(l);
	run("rm -rf '%s/proc/2003'", proot);
	fake_proc(2004, 401, NULL);
	golden_rows = ledger_dump(golden);
}

static bool move_target; /* ledger_prepare builds a move of 2001, not a new workload */

struct ledger_arg {
	np_ledger *l;
	np_host *host;
	np_load *load;
	struct np_workload *list;
	int nlist;
	char *name;
	struct np_workload w; /* what op_insert inserts */
	bool begin;           /* prepare opens a transaction */
	bool insert;          /* and inserts a workload */
	int (*op)(struct ledger_arg *a);
};

static void ledger_prepare(void *p)
{
	struct ledger_arg *a = p;
	struct np_workload w;

	copy_ledger(golden, work);
	a->l = ledger_open(work);
	if (a->begin)
		assert_int_equal(np_ledger_begin(a->l), 2);
	if (a->insert) {
		workload(&w, "web", 2006, 600, 0, 2 * GiB);
		fake_proc(2006, 600, NULL);
		assert_int_equal(np_ledger_insert(a->l, &w, NULL), 0);
		np_workload_release(&w);
	}
	np_workload_release(&a->w);
	if (move_target) {
		/* live workload 2001 moves from node 0 to node 4 */
		workload(&a->w, NULL, 2001, 100, 4, GiB);
	} else {
		workload(&a->w, NULL, 2007, 700, 4, GiB);
		fake_proc(2007, 700, NULL);
	}
}

static int ledger_call(void *p)
{
	struct ledger_arg *a = p;

	return a->op(a);
}

/* Whatever failed, the ledger is as it was: rolled back, and still a sound database. */
static void ledger_failed(void *p, int r)
{
	struct ledger_arg *a = p;
	char *rows;

	(void)r;
	assert_ptr_equal(a->load, NULL);
	assert_ptr_equal(a->list, NULL);
	assert_ptr_equal(a->name, NULL);
	np_ledger_close(a->l);
	a->l = NULL;
	rows = ledger_dump(work);
	assert_string_equal(rows, golden_rows);
	free(rows);
}

static void ledger_undo(void *p)
{
	struct ledger_arg *a = p;
	char *rows;

	np_load_free(a->load);
	a->load = NULL;
	free(a->name);
	a->name = NULL;
	np_workloads_free(a->list, (unsigned)a->nlist);
	a->list = NULL;
	np_ledger_close(a->l);
	a->l = NULL;
	rows = ledger_dump(work);
	free(rows);
}

static int op_open(struct ledger_arg *a)
{
	struct np_ledger_opts o;
	np_ledger *l = UNTOUCHED;
	int r;

	/* prepare opened one: this is a second connection, as a concurrent `run` has */
	np_ledger_opts_init(&o);
	o.proc_root = proot;
	r = np_ledger_open(work, &o, &l);
	if (r == 0)
		np_ledger_close(l);
	else
		assert_ptr_equal(l, UNTOUCHED);
	return r;
}

static int op_create(struct ledger_arg *a)
{
	struct np_ledger_opts o;
	char dir[PATH_MAX + 8];
	np_ledger *l = UNTOUCHED;
	int r;

	(void)a;
	snprintf(dir, sizeof(dir), "%s/new", work);
	np_ledger_opts_init(&o);
	o.proc_root = proot;
	r = np_ledger_open(dir, &o, &l);
	if (r == 0) {
		np_ledger_close(l);
	} else {
		assert_ptr_equal(l, UNTOUCHED);
		/* a half-made ledger must open afterwards */
		np_ledger_close(ledger_open(dir));
	}
	return r;
}

static int op_begin(struct ledger_arg *a)
{
	int r = np_ledger_begin(a->l);

	return r < 0 ? r : r == 2 ? 0 : -EPROTO;
}

static int op_load(struct ledger_arg *a)
{
	np_load *load = UNTOUCHED;
	int r = np_ledger_load(a->l, a->host, &load);

	if (r == 0)
		a->load = load;
	else
		assert_ptr_equal(load, UNTOUCHED);
	return r;
}

static int op_insert(struct ledger_arg *a)
{
	char *name = UNTOUCHED;
	int r = np_ledger_insert(a->l, &a->w, &name);

	if (r == 0)
		a->name = name;
	else
		assert_ptr_equal(name, UNTOUCHED);
	return r;
}

static int op_commit(struct ledger_arg *a)
{
	return np_ledger_commit(a->l);
}

static int op_delete(struct ledger_arg *a)
{
	int r = np_ledger_delete(a->l, 2001, 100);

	return r < 0 ? r : r == 1 ? 0 : -EPROTO;
}

static int op_forget(struct ledger_arg *a)
{
	return np_ledger_forget(a->l, "db", 0);
}

static int op_list(struct ledger_arg *a)
{
	struct np_workload *list = UNTOUCHED;
	int r = np_ledger_list(a->l, NP_LEDGER_LIST_ALL | NP_LEDGER_LIST_RESIDENT, &list);

	if (r >= 0) {
		a->list = list;
		a->nlist = r;
		return r == 5 ? 0 : -EPROTO; /* 2 live, 2 pruned now, 1 forgotten before */
	}
	assert_ptr_equal(list, UNTOUCHED);
	return r;
}

static int op_move(struct ledger_arg *a)
{
	return np_ledger_move(a->l, &a->w, "spilled");
}

static int op_moves(struct ledger_arg *a)
{
	struct np_move *moves = UNTOUCHED;
	int r = np_ledger_moves(a->l, &moves);

	if (r >= 0) {
		np_moves_free(moves, (unsigned)r);
		return 0;
	}
	assert_ptr_equal(moves, UNTOUCHED);
	return r;
}

static void check_ledger(const char *what, int (*op)(struct ledger_arg *a), bool begin, bool insert,
                         np_host *host)
{
	struct ledger_arg a = {.host = host, .begin = begin, .insert = insert, .op = op};
	struct fault_case c = {what, ledger_prepare, ledger_call, ledger_failed, ledger_undo, &a};

	assert_true(every_allocation(&c) > 0);
	np_workload_release(&a.w);
}

static void test_ledger(void **state)
{
	np_host *h = host4();

	(void)state;
	make_golden();
	check_ledger("np_ledger_open", op_open, false, false, h);
	check_ledger("np_ledger_open(create)", op_create, false, false, h);
	check_ledger("np_ledger_begin", op_begin, false, false, h);
	check_ledger("np_ledger_load", op_load, true, false, h);
	check_ledger("np_ledger_insert", op_insert, true, false, h);
	check_ledger("np_ledger_commit", op_commit, true, true, h);
	check_ledger("np_ledger_delete", op_delete, false, false, h);
	check_ledger("np_ledger_forget", op_forget, false, false, h);
	check_ledger("np_ledger_list", op_list, false, false, h);
	move_target = true;
	check_ledger("np_ledger_move", op_move, true, false, h);
	move_target = false;
	check_ledger("np_ledger_moves", op_moves, false, false, h);
	free(golden_rows);
	np_host_free(h);
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "%s/np-fault-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base))
		return -1;
	snprintf(proot, sizeof(proot), "%s/root", base);
	snprintf(golden, sizeof(golden), "%s/golden", base);
	snprintf(work, sizeof(work), "%s/work", base);
	return mkdir(proot, 0755);
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_load),  cmocka_unit_test(test_host_build),
	    cmocka_unit_test(test_load),       cmocka_unit_test(test_search),
	    cmocka_unit_test(test_place),      cmocka_unit_test(test_list_parse),
	    cmocka_unit_test(test_start_time), cmocka_unit_test(test_processes),
	    cmocka_unit_test(test_rebalance),  cmocka_unit_test(test_ledger),
	    cmocka_unit_test(test_numastat),
	};

	fault_sqlite_install();
	return cmocka_run_group_tests(tests, setup, teardown);
}
