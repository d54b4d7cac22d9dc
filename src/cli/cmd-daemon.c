/*
 * cmd-daemon.c - `numaplace daemon`: keep placed workloads placed well over time.
 *
 * Every interval: the host's free memory (NP_HOST_FAST, live), CPU use per node (/proc/stat,
 * since the last interval), each ledger workload's memory per node (numa_maps) and CPU use;
 * np_rebalance_decide() says which one workload, if any, moves. The move is made as `place
 * --pid` makes one, through np_place(): bind every thread, record it in the ledger
 * (np_ledger_move()), commit, then migrate its pages. With --adopt-threshold, an interval
 * without a move may adopt the largest unmanaged process above the thresholds, as numad
 * manages processes it finds. Given another host (--sysfs-root, --topology, --synthetic) it
 * only decides and logs, as with --dry-run: nothing on this machine belongs to that host.
 *
 * Workloads placed with --pin-vcpus are kept pinned every interval (a vCPU hot-plugged gets
 * its CPU) and pinned again after a move (pin_vcpus()).
 *
 * SIGTERM and SIGINT end the daemon between two steps: an interval in progress finishes its
 * transaction (or rolls it back), so the ledger is always whole. Decisions are logged on stderr
 * (the journal under systemd), each change of a workload's verdict once.
 */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

void daemon_log(const char *fmt, ...)
{
	va_list ap;

	fputs("numaplace daemon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* CPU time of a process at the last look, to turn ticks into CPUs used. */
struct ticks {
	pid_t pid;
	uint64_t start_time, ticks;
};

struct state {
	struct daemon_opts *o;
	np_ledger *ledger;
	struct np_cpu_time *cpu; /* per-CPU times at the last look */
	int ncpu;
	struct ticks *seen; /* processes at the last look, sorted by pid */
	unsigned nseen;
	struct timespec last; /* when the last look was */
	/* the last verdict logged per workload, so that a state is logged once */
	struct {
		pid_t pid;
		uint64_t start_time, cgroup_id; /* a process, or a group (pid 0) */
		enum np_rebalance_verdict verdict;
	} * said;
	unsigned nsaid;
	struct daemon_refused refused;     /* groups not adopted: a cpuset refused */
	struct daemon_group_cpu group_cpu; /* groups' CPU time at their last look */
	/* the last failure to pin a --pin-vcpus workload logged, so that it is logged once */
	struct {
		pid_t pid;
		uint64_t start_time;
		int err;
	} * pin_said;
	unsigned npin_said;
};

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static int cmp_ticks(const void *a, const void *b)
{
	pid_t x = ((const struct ticks *)a)->pid, y = ((const struct ticks *)b)->pid;

	return (x > y) - (x < y);
}

static int cmp_proc(const void *a, const void *b)
{
	pid_t x = ((const struct np_process *)a)->pid, y = ((const struct np_process *)b)->pid;

	return (x > y) - (x < y);
}

/* CPUs a process kept busy since the last look (0 when it was not seen then). */
static double cpus_used(const struct state *s, const struct np_process *p, double secs)
{
	struct ticks key = {.pid = p->pid};
	const struct ticks *t =
	    s->seen ? bsearch(&key, s->seen, s->nseen, sizeof(key), cmp_ticks) : NULL;
	long hz = sysconf(_SC_CLK_TCK);

	if (!t || t->start_time != p->start_time || p->cpu_ticks < t->ticks || secs <= 0)
		return 0;
	return (double)(p->cpu_ticks - t->ticks) / (double)(hz > 0 ? hz : 100) / secs;
}

/* Busy CPUs per node index since the last look, from /proc/stat. */
static int node_busy(const np_host *h, struct state *s, double **ret)
{
	struct np_cpu_time *now = NULL;
	double *busy = calloc(np_host_nnodes(h) ? np_host_nnodes(h) : 1, sizeof(*busy));
	int n = np_cpu_times(&now), k = 0;

	if (!busy || n < 0) {
		free(busy);
		free(now);
		return n < 0 ? n : -ENOMEM;
	}
	for (unsigned i = 0; i < np_host_ncpus(h); i++) {
		const struct np_cpu *c = np_host_cpu(h, i);
		int idx = np_host_node_idx(h, c->node);

		while (k < s->ncpu && s->cpu[k].cpu < c->cpu)
			k++;
		if (idx < 0 || k >= s->ncpu || s->cpu[k].cpu != c->cpu)
			continue;
		for (int j = 0; j < n; j++)
			if (now[j].cpu == c->cpu && now[j].total > s->cpu[k].total &&
			    now[j].busy >= s->cpu[k].busy)
				busy[idx] += (double)(now[j].busy - s->cpu[k].busy) /
				             (double)(now[j].total - s->cpu[k].total);
	}
	free(s->cpu);
	s->cpu = now;
	s->ncpu = n;
	*ret = busy;
	return 0;
}

/* Remember every process's CPU time for the next look. */
static int remember(struct state *s, const struct np_process *list, int n)
{
	struct ticks *t = calloc(n > 0 ? (size_t)n : 1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		t[i].pid = list[i].pid;
		t[i].start_time = list[i].start_time;
		t[i].ticks = list[i].cpu_ticks;
	}
	free(s->seen);
	s->seen = t;
	s->nseen = (unsigned)n;
	return 0;
}

/* Log a workload's verdict when it differs from the one logged last for it. */
static void say(struct state *s, const struct np_workload *w, enum np_rebalance_verdict v,
                const char *reason)
{
	unsigned i;

	char who[320];

	for (i = 0; i < s->nsaid; i++)
		if (s->said[i].pid == w->pid && s->said[i].start_time == w->start_time &&
		    s->said[i].cgroup_id == w->cgroup_id)
			break;
	if (i < s->nsaid && s->said[i].verdict == v)
		return;
	if (i == s->nsaid) {
		void *n = realloc(s->said, (s->nsaid + 1) * sizeof(*s->said));

		if (!n)
			return;
		s->said = n;
		s->said[i].pid = w->pid;
		s->said[i].start_time = w->start_time;
		s->said[i].cgroup_id = w->cgroup_id;
		s->nsaid++;
		if (v == NP_REBALANCE_FINE) {
			s->said[i].verdict = v;
			return; /* a workload first seen fine is no news */
		}
	}
	s->said[i].verdict = v;
	daemon_log("%s: %s: %s", daemon_who(w, who, sizeof(who)), np_rebalance_verdict_name(v),
	           reason);
}

const char *daemon_who(const struct np_workload *w, char *buf, size_t len)
{
	if (w->kind != NP_WORKLOAD_PROCESS)
		snprintf(buf, len, "%s (%s %s)", w->name,
		         w->kind == NP_WORKLOAD_SCOPE ? "scope" : "group",
		         w->cgroup ? w->cgroup : "?");
	else
		snprintf(buf, len, "%s (pid %d)", w->name, (int)w->pid);
	return buf;
}

void daemon_report_migration(const char *who, const struct np_migration *m,
                             hwloc_const_nodeset_t to)
{
	uint64_t moved = m->to_move > m->stuck ? m->to_move - m->stuck : 0;
	char *list = cli_list_string(to), a[32], b[32];

	if (m->err == -ESRCH)
		daemon_log("%s: exited before its pages were moved", who);
	else if (m->err < 0)
		daemon_log("%s: cannot move its pages: %s", who, strerror(-m->err));
	else
		daemon_log("%s: migrated %" PRIu64 " pages (%s) to node%s %s; %" PRIu64
		           " pages (%s) could not move",
		           who, cli_pages(moved), np_size_format(moved, a, sizeof(a)),
		           hwloc_bitmap_weight(to) > 1 ? "s" : "", list ? list : "?",
		           cli_pages(m->stuck), np_size_format(m->stuck, b, sizeof(b)));
	free(list);
}

/*
 * Whether a failure `err` to pin `w` is news (not the one logged last for it); err 0 (pinned)
 * forgets the last.
 */
static bool pin_news(struct state *s, const struct np_workload *w, int err)
{
	unsigned i;
	void *n;

	for (i = 0; i < s->npin_said; i++)
		if (s->pin_said[i].pid == w->pid && s->pin_said[i].start_time == w->start_time)
			break;
	if (i < s->npin_said) {
		bool news = s->pin_said[i].err != err;

		s->pin_said[i].err = err;
		return news;
	}
	if (!err || !(n = realloc(s->pin_said, (s->npin_said + 1) * sizeof(*s->pin_said))))
		return err != 0;
	s->pin_said = n;
	s->pin_said[i].pid = w->pid;
	s->pin_said[i].start_time = w->start_time;
	s->pin_said[i].err = err;
	s->npin_said++;
	return true;
}

/*
 * A workload placed with --pin-vcpus: its vCPU threads one to a CPU of `cpus`, the others on
 * the rest (np_qemu_pin_vcpus()). Only threads not where they belong change: a vCPU hot-plugged
 * since, or every thread after a move. Logs what changed, and a failure once.
 */
static void pin_vcpus(struct state *s, const struct np_workload *w, hwloc_const_cpuset_t cpus)
{
	struct np_vcpu_pinning p;
	char *text;
	int r;

	if (!(w->flags & NP_WORKLOAD_PIN_VCPUS) || w->pid <= 0 || !cpus ||
	    hwloc_bitmap_iszero(cpus))
		return;
	np_vcpu_pinning_init(&p);
	r = np_qemu_pin_vcpus(NULL, w->pid, cpus, 0, &p);
	if (r >= 0 && p.changed) {
		text = cli_pin_text(&p);
		daemon_log("%s (pid %d): pinned %u thread%s: %s", w->name, (int)w->pid, p.changed,
		           p.changed == 1 ? "" : "s", text ? text : "?");
		free(text);
	}
	if (r != -ESRCH && pin_news(s, w, r < 0 ? r : 0) && r < 0)
		daemon_log("%s (pid %d): cannot pin its vCPU threads: %s", w->name, (int)w->pid,
		           cli_pin_why(r));
	np_vcpu_pinning_release(&p);
}

/* Every interval: keep the --pin-vcpus workloads pinned, but the one just moved (`moved`). */
static void keep_pinned(struct state *s, const struct np_workload *live, int nlive, int moved)
{
	if (s->o->dry_run)
		return;
	for (int i = 0; i < nlive; i++)
		if (i != moved)
			pin_vcpus(s, &live[i], live[i].cpus);
}

/*
 * The target a recorded workload is placed again as: its process, or its group by the path
 * recorded (checked against the recorded id before it is moved). A run --scope workload is its
 * group too: its process cannot leave the group's cpuset, so the cpuset is what moves.
 */
static void target_of(const struct np_workload *w, struct np_target *t)
{
	np_target_init(t);
	if (w->kind != NP_WORKLOAD_PROCESS) {
		t->kind = NP_TARGET_CGROUP;
		t->cgroup = w->cgroup;
		t->root = cli_cgroup_root();
		return;
	}
	t->kind = NP_TARGET_PID;
	t->pid = w->pid;
	t->start_time = w->start_time;
}

/*
 * Move workload `w` (of the ledger) as decided, through np_place() with the decision's nodes:
 * its claim split as a placement there would split it, its near devices' nodes kept. A
 * process's threads are bound and its pages migrated; a group's cpuset is written (and its
 * members' pages migrated). The transaction is open; np_place() closes it.
 */
static void move(struct state *s, const np_host *h, const struct np_workload *w,
                 const struct np_rebalance_decision *d, const char *reason)
{
	char *from = cli_list_string(w->nodes), *to = cli_list_string(d->nodes), who[320];
	struct np_place_req pr;
	struct np_placement p;
	struct np_target t;
	uint64_t need = np_node_bytes_sum(w->claimed, w->nclaimed),
	         res = np_node_bytes_sum(w->resident, w->nresident);
	int r;

	daemon_who(w, who, sizeof(who));
	target_of(w, &t);
	np_place_req_init(&pr);
	pr.request.memory_bytes = need > res ? need : res;
	pr.request.vcpus = w->vcpus;
	if (w->near && !hwloc_bitmap_iszero(w->near)) {
		pr.request.near_nodes = w->near;
		pr.near_devices = w->near_devices;
	}
	pr.nodes = d->nodes;
	pr.cpus = d->cpus;
	pr.origin = "daemon";
	pr.reason = reason;
	pr.flags = NP_PLACE_MIGRATE | NP_PLACE_KEEP_STRATEGY;
	np_placement_init(&p);
	/* a group removed and made again under its path is another one: the next look prunes */
	if (t.kind == NP_TARGET_CGROUP && (r = np_target_read(&t)) == 0 &&
	    t.cgroup_id != w->cgroup_id)
		r = -ENOENT;
	if (t.kind == NP_TARGET_CGROUP && r < 0) {
		np_ledger_rollback(s->ledger);
		daemon_log("%s: cannot move: %s", who,
		           r == -ENOENT       ? "the group is gone"
		           : *np_last_error() ? np_last_error()
		                              : strerror(-r));
		goto out;
	}
	r = np_place(h, s->ledger, &t, &pr, &p);
	if (r == -ESRCH && (p.failed == NP_PLACE_STEP_TARGET || p.failed == NP_PLACE_STEP_BIND))
		daemon_log("%s: exited while being moved", who);
	else if (r < 0 && p.failed < NP_PLACE_STEP_BIND)
		daemon_log("%s: cannot move: %s", who, strerror(-r));
	else if (r < 0)
		daemon_log("%s: cannot move to nodes %s: %s", who, to ? to : "?",
		           cli_ledger_why(r));
	else if (hwloc_bitmap_isequal(w->nodes, d->nodes))
		daemon_log("%s: stays on node%s %s; its memory is gathered there", who,
		           hwloc_bitmap_weight(d->nodes) > 1 ? "s" : "", to ? to : "?");
	else
		daemon_log("%s: moved from node%s %s to %s", who,
		           hwloc_bitmap_weight(w->nodes) > 1 ? "s" : "", from && *from ? from : "-",
		           to ? to : "?");
	if (r == 0)
		daemon_report_migration(who, &p.migration, d->nodes);
	if (r == 0)
		pin_vcpus(s, w, p.cpus); /* np_place() bound every thread to the whole set */
out:
	np_placement_release(&p);
	np_target_release(&t);
	free(from);
	free(to);
}

static bool named(char *const *list, unsigned n, const char *comm)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(list[i], comm) == 0)
			return true;
	return false;
}

static bool excluded(const struct daemon_opts *o, const char *comm)
{
	return named(o->exclude, o->nexclude, comm) ||
	       (o->nonly && !named(o->only, o->nonly, comm));
}

/* The largest unmanaged process above the thresholds (NULL: none), and the CPUs it used. */
static const struct np_process *adoptee(struct state *s, const struct np_process *procs, int nprocs,
                                        const struct np_workload *live, int nlive, double secs,
                                        double *ret_cpu)
{
	const struct np_process *best = NULL;

	for (int i = 0; i < nprocs; i++) {
		const struct np_process *p = &procs[i];
		double cpu;
		bool managed = false;

		if (p->kernel_thread || p->pid == getpid() || p->state == 'Z' || p->state == 'X' ||
		    p->rss_bytes < s->o->adopt_rss || excluded(s->o, p->comm))
			continue;
		for (int k = 0; k < nlive && !managed; k++)
			managed = live[k].pid == p->pid;
		if (managed)
			continue;
		cpu = cpus_used(s, p, secs);
		if (cpu * 100 < s->o->adopt_cpu)
			continue;
		if (!best || p->rss_bytes > best->rss_bytes) {
			best = p;
			*ret_cpu = cpu;
		}
	}
	return best;
}

/* What an adoption that did not happen says (nothing for a process that is not one to adopt). */
static void not_adopted(const struct np_process *best, const struct np_target *t,
                        const struct np_placement *p, int r)
{
	const struct np_process *now = &t->process;

	if (r < 0 && p->failed == NP_PLACE_STEP_TARGET) {
		/* a kernel thread's flags were read from stat only: its command line tells */
		if (now->pid && !now->kernel_thread && now->state != 'Z' && now->state != 'X' &&
		    now->start_time == best->start_time)
			daemon_log("%s (pid %d): cannot read its memory: %s", best->comm,
			           (int)best->pid, strerror(-r));
	} else if (r < 0 && p->failed >= NP_PLACE_STEP_BIND) {
		daemon_log("%s (pid %d): not adopted: %s", best->comm, (int)best->pid,
		           r == -ESRCH ? "it exited" : strerror(-r));
	} else if (r < 0 || p->fit == NP_PLACE_NO_FIT) {
		daemon_log("%s (pid %d): not adopted: %s", best->comm, (int)best->pid,
		           r < 0 ? strerror(-r) : p->reason);
	} else {
		char *n = cli_list_string(p->nodes);

		daemon_log("%s (pid %d): would adopt on node%s %s (--dry-run)", best->comm,
		           (int)best->pid, hwloc_bitmap_weight(p->nodes) > 1 ? "s" : "",
		           n ? n : "?");
		free(n);
	}
}

/*
 * Adopt the largest unmanaged process above the thresholds, as `place --pid` does. The
 * transaction is open; np_place() closes it. Returns 1 when one was adopted (or tried), else 0.
 */
static int adopt(struct state *s, const np_host *h, const struct np_process *procs, int nprocs,
                 const struct np_workload *live, int nlive, double secs)
{
	double cpu = 0;
	const struct np_process *best = adoptee(s, procs, nprocs, live, nlive, secs, &cpu);
	struct np_place_req pr;
	struct np_placement p;
	struct np_target t;
	char *n, sz[32], who[320];
	int r;

	if (!best)
		return 0;
	np_target_init(&t);
	t.kind = NP_TARGET_PID;
	t.pid = best->pid;
	t.start_time = best->start_time;
	np_place_req_init(&pr);
	/* CPUs it uses, rounded up, at most its threads and the host's CPUs */
	pr.request.vcpus = (unsigned)cpu;
	if ((double)pr.request.vcpus < cpu)
		pr.request.vcpus++;
	if (pr.request.vcpus > best->nthreads)
		pr.request.vcpus = best->nthreads;
	if (pr.request.vcpus > np_host_ncpus(h))
		pr.request.vcpus = np_host_ncpus(h);
	if (pr.request.vcpus < 1)
		pr.request.vcpus = 1;
	pr.search.strategy = s->o->params.strategy;
	pr.flags =
	    NP_PLACE_MEASURE_MEMORY | NP_PLACE_MIGRATE | (s->o->dry_run ? NP_PLACE_DRY_RUN : 0);
	np_placement_init(&p);
	r = np_place(h, s->ledger, &t, &pr, &p);
	if (r < 0 || !p.applied) {
		not_adopted(best, &t, &p, r);
		goto out;
	}
	n = cli_list_string(p.nodes);
	daemon_log("%s (pid %d): adopted on node%s %s: %s resident, %.1f CPUs used, %u vCPU%s: %s",
	           p.name, (int)best->pid, hwloc_bitmap_weight(p.nodes) > 1 ? "s" : "", n ? n : "?",
	           np_size_format(p.memory_bytes, sz, sizeof(sz)), cpu, p.vcpus,
	           p.vcpus == 1 ? "" : "s", p.reason);
	free(n);
	snprintf(who, sizeof(who), "%s (pid %d)", p.name, (int)best->pid);
	daemon_report_migration(who, &p.migration, p.nodes);
out:
	np_placement_release(&p);
	np_target_release(&t);
	return 1;
}

/* The ledger's live workloads as the rebalancer judges them (free()), or NULL. */
static struct np_rebalance_workload *judged(struct state *s, const struct np_workload *live,
                                            int nlive, const struct np_process *procs, int nprocs,
                                            double secs)
{
	struct np_rebalance_workload *rw = calloc(nlive > 0 ? (size_t)nlive : 1, sizeof(*rw));

	for (int i = 0; rw && i < nlive; i++) {
		struct np_process key = {.pid = live[i].pid}, *p;

		rw[i].name = live[i].name;
		rw[i].nodes = live[i].nodes;
		rw[i].vcpus = live[i].vcpus;
		rw[i].claimed = live[i].claimed;
		rw[i].nclaimed = live[i].nclaimed;
		rw[i].resident = live[i].resident;
		rw[i].nresident = live[i].nresident;
		rw[i].last_move = live[i].moves ? live[i].last_move : live[i].created;
		rw[i].near = live[i].near;
		rw[i].exclusive = live[i].exclusive;
		/* run's policies name the nodes; "none" (place, adoption) leaves the process's own
		 */
		rw[i].policy_pinned = strcmp(live[i].policy, "none") != 0;
		p = bsearch(&key, procs, (size_t)nprocs, sizeof(key), cmp_proc);
		/* a group's (a scope's too): its cpu.stat; else its process's, if it has one */
		rw[i].cpu = live[i].kind != NP_WORKLOAD_PROCESS
		                ? daemon_group_cpus_used(&s->group_cpu, &live[i])
		                : -1;
		if (rw[i].cpu < 0)
			rw[i].cpu =
			    p && p->start_time == live[i].start_time ? cpus_used(s, p, secs) : 0;
	}
	return rw;
}

/*
 * Do what was decided in the open transaction: the move, else maybe an adoption (both close
 * it), else commit it (keeping the pruning of np_ledger_begin()). Returns 0 or the commit's
 * -errno.
 */
static int act(struct state *s, const np_host *h, const struct np_rebalance_decision *d,
               const struct np_workload *live, int nlive, const struct np_process *procs,
               int nprocs, double secs)
{
	if (d->move >= 0 && !s->o->dry_run) {
		move(s, h, &live[d->move], d, d->reasons[d->move]);
		return 0;
	}
	if (d->move < 0 && s->o->adopt && adopt(s, h, procs, nprocs, live, nlive, secs))
		return 0;
	if (d->move < 0 && s->o->ncgroups &&
	    daemon_adopt_group(s->o, &s->refused, &s->group_cpu, s->ledger, h, live, nlive))
		return 0;
	if (d->move >= 0) {
		char who[320];

		daemon_log("%s: not moved (--dry-run)",
		           daemon_who(&live[d->move], who, sizeof(who)));
	}
	return np_ledger_commit(s->ledger);
}

/*
 * The fast read of the host knows no cores: when a live workload holds whole cores, read it
 * again through hwloc, so that a move grants whole cores (every SMT sibling) as run and place
 * do. The nodes are the same, so what was measured per node still holds.
 */
static int cores_known(struct state *s, const struct np_workload *live, int nlive, np_host **h)
{
	struct np_source src = s->o->host.src;
	np_host *full = NULL;
	bool held = false;
	int r;

	for (int i = 0; i < nlive && !held; i++)
		held = live[i].exclusive && !hwloc_bitmap_iszero(live[i].exclusive);
	if (!held || !(src.flags & NP_HOST_FAST))
		return 0;
	src.flags &= ~(unsigned)NP_HOST_FAST;
	r = cli_host_read(&src, &full);
	if (r < 0)
		return r;
	if (np_host_nnodes(full) != np_host_nnodes(*h)) {
		np_host_free(full); /* a node came or went between the reads: next interval */
		return 0;
	}
	np_host_free(*h);
	*h = full;
	return 0;
}

/* One interval: look, decide, act. Returns 0, or -errno when the ledger fails. */
static int interval(struct state *s)
{
	struct np_rebalance_workload *rw = NULL;
	struct np_rebalance_decision d;
	struct np_workload *live = NULL;
	struct np_process *procs = NULL;
	struct timespec now;
	np_load *base = NULL;
	np_host *h = NULL;
	double *busy = NULL, secs;
	int nlive = 0, nprocs = 0, r;

	memset(&d, 0, sizeof(d));
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = elapsed(&s->last, &now);
	s->last = now;
	r = cli_host_read(&s->o->host.src, &h);
	if (r < 0) {
		daemon_log("cannot read %s: %s", s->o->host.source_given ? "the host" : "this host",
		           *np_last_error() ? np_last_error() : strerror(-r));
		return 0;
	}
	r = node_busy(h, s, &busy);
	if (r < 0)
		goto out;
	nprocs = np_process_list(&procs);
	if (nprocs < 0) {
		r = nprocs;
		nprocs = 0;
		goto out;
	}

	r = np_ledger_begin(s->ledger);
	if (r > 0)
		daemon_log("%d workload%s exited since the last look", r, r == 1 ? "" : "s");
	if (r < 0)
		goto ledger_fail;
	nlive = np_ledger_list(s->ledger, NP_LEDGER_LIST_RESIDENT, &live);
	if (nlive < 0) {
		r = nlive;
		nlive = 0;
		goto ledger_fail;
	}
	r = cores_known(s, live, nlive, &h);
	if (r < 0) {
		np_ledger_rollback(s->ledger);
		daemon_log("cannot read the cores of this host: %s", strerror(-r));
		r = 0;
		goto out;
	}
	rw = judged(s, live, nlive, procs, nprocs, secs);
	r = rw ? np_load_new(h, &base) : -ENOMEM;
	if (r < 0)
		goto out;
	s->o->params.now = (int64_t)time(NULL);
	r = np_rebalance_decide(h, base, busy, rw, (unsigned)nlive, &s->o->params, &d);
	if (r < 0) {
		np_ledger_rollback(s->ledger);
		daemon_log("cannot decide: %s", strerror(-r));
		goto out;
	}
	for (int i = 0; i < nlive; i++)
		say(s, &live[i], d.verdicts[i], d.reasons[i]);
	r = act(s, h, &d, live, nlive, procs, nprocs, secs);
	if (r < 0)
		goto ledger_fail;
	keep_pinned(s, live, nlive, d.move);
	r = 0;
	goto out;
ledger_fail:
	np_ledger_rollback(s->ledger);
	daemon_log("cannot use the ledger: %s", cli_ledger_why(-r));
out:
	if (procs && remember(s, procs, nprocs) < 0 && r == 0)
		r = -ENOMEM;
	np_rebalance_decision_release(&d);
	np_workloads_free(live, (unsigned)nlive);
	free(rw);
	free(procs);
	free(busy);
	np_load_free(base);
	np_host_free(h);
	return r;
}

/* Sleep for `secs`, or less when a stop signal comes. */
static void pause_for(double secs)
{
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};

	while (!stop_signal && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A host given that cannot be read is an error at once (this host's is retried every interval). */
static int host_readable(const struct cli_host_opts *ho)
{
	np_host *h = NULL;
	int r = cli_host_load(ho, &h);

	np_host_free(h);
	return r;
}

int cmd_daemon(int argc, char **argv)
{
	struct daemon_opts o = {.host = {{NP_SOURCE_LIVE, NULL, NP_HOST_FAST}, false},
	                        .interval = 15};
	struct sigaction sa;
	struct state s;
	struct np_process *procs = NULL;
	int r, n;

	memset(&s, 0, sizeof(s));
	np_rebalance_params_init(&o.params);
	r = daemon_config_defaults(&o);
	if (r)
		return r;
	r = daemon_parse(argc, argv, &o);
	if (r < 0)
		return -r;
	if (r == 1)
		return EXIT_OK;
	/* another host: decide and log only; hwloc reads XML and synthetic hosts */
	o.dry_run |= o.host.source_given;
	if (o.host.source_given && o.host.src.kind != NP_SOURCE_SYSFS)
		o.host.src.flags &= ~(unsigned)NP_HOST_FAST;
	if (o.host.source_given && (r = host_readable(&o.host)) != 0)
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a sleep ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	s.o = &o;
	r = cli_ledger_open(o.state_dir, 0, &s.ledger);
	if (r)
		goto out;
	/* the first look: CPU times to measure the first interval against */
	s.ncpu = np_cpu_times(&s.cpu);
	n = np_process_list(&procs);
	if (s.ncpu < 0 || n < 0 || remember(&s, procs, n) < 0) {
		cli_error("cannot read /proc: %s", strerror(s.ncpu < 0 ? -s.ncpu
		                                            : n < 0    ? -n
		                                                       : ENOMEM));
		r = EXIT_FAIL;
		goto out;
	}
	daemon_groups_first_look(&o, &s.group_cpu);
	clock_gettime(CLOCK_MONOTONIC, &s.last);
	daemon_log("started: every %g s, min gap %" PRId64
	           " s, min improvement %.2f, strategy %s%s%s%s%s%s%s",
	           o.interval, o.params.min_gap, o.params.min_improvement,
	           np_strategy_name(o.params.strategy), o.adopt ? ", adopting" : "",
	           o.ncgroups ? ", adopting groups" : "", o.dry_run ? ", dry run" : "",
	           o.host.source_given ? " for the host of '" : "",
	           o.host.source_given ? o.host.src.arg : "", o.host.source_given ? "'" : "");
	r = EXIT_OK;
	while (!stop_signal) {
		pause_for(o.interval);
		if (stop_signal)
			break;
		if (interval(&s) < 0)
			r = EXIT_FAIL;
		/* ten intervals: a look skipped while a move closes an interval is not lost */
		daemon_group_cpu_prune(&s.group_cpu, 10 * o.interval);
		if (o.once)
			break;
	}
	if (stop_signal)
		daemon_log("stopped by %s", stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
out:
	np_ledger_close(s.ledger);
	free(s.cpu);
	free(s.seen);
	free(s.said);
	free(s.refused.ids);
	free(s.group_cpu.v);
	free(s.pin_said);
	free(procs);
	free(o.exclude);
	free(o.exclude_buf);
	free(o.only);
	free(o.only_buf);
	free(o.cgroups);
	free(o.cgroups_buf);
	return r;
}
