/*
 * place.c - the placement step: read a target, load, choose, bind, record, migrate.
 *
 * run, place --pid and the daemon's adoptions and moves are this one sequence (docs/design.md,
 * "The placement step"). Its order keeps the ledger crash-safe: nothing is bound before the
 * load is read under the write lock, nothing is recorded before the target is bound (a bind
 * that fails leaves no claim), and pages are migrated only after the commit, so that the lock
 * is not held while the kernel copies gigabytes. A process killed anywhere leaves either
 * nothing or a claim whose pid the next transaction prunes.
 */
#include "place.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void np_place_req_init(struct np_place_req *req)
{
	memset(req, 0, sizeof(*req));
	np_request_init(&req->request);
	np_search_opts_init(&req->search);
	req->binding = NP_CPU_BINDING_STRICT;
	req->policy = NP_MEM_POLICY_DEFAULT;
}

void np_placement_init(struct np_placement *p)
{
	memset(p, 0, sizeof(*p));
	np_workload_init(&p->was);
	p->policy = NP_MEM_POLICY_NONE;
}

void np_placement_release(struct np_placement *p)
{
	hwloc_bitmap_free(p->nodes);
	hwloc_bitmap_free(p->cpus);
	hwloc_bitmap_free(p->exclusive);
	hwloc_bitmap_free(p->memory_nodes);
	free(p->reason);
	free(p->name);
	np_workload_release(&p->was);
	free(p->migration.after);
	free(p->claimed);
	np_placement_init(p);
}

/* The part of a per-node list on nodes outside `nodes`. */
uint64_t np__bytes_off(const struct np_node_bytes *a, int n, hwloc_const_nodeset_t nodes)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		if (!hwloc_bitmap_isset(nodes, a[i].node))
			sum += a[i].bytes;
	return sum;
}

void np__migration_after(struct np_migration *m, int nafter, hwloc_const_nodeset_t to)
{
	if (nafter < 0) {
		m->err = nafter;
		m->nafter = 0;
		m->after = NULL;
		return;
	}
	m->nafter = nafter;
	m->stuck = np__bytes_off(m->after, nafter, to);
}

/*
 * Give a running process's own memory back to the load: its resident pages count as free on
 * the nodes they are on (it takes them along wherever it goes), and when the ledger holds it,
 * what its claim still reserves and its vCPUs. The search then sees the host as if it were not
 * there.
 */
static int give_back(const np_host *h, np_load *load, const struct np_target *t,
                     const struct np_workload *own)
{
	const struct np_node_bytes *res = t->resident;
	unsigned nn = np_host_nnodes(h);
	struct np_claim c = {hwloc_bitmap_alloc(), calloc(nn ? nn : 1, sizeof(uint64_t)), nn, 0};
	int r = 0;

	if (!c.nodes || !c.bytes) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < t->nresident; i++) {
		int idx = np_host_node_idx(h, res[i].node);

		if (idx >= 0)
			c.bytes[idx] += res[i].bytes;
	}
	for (unsigned k = 0; own && k < own->nclaimed; k++) {
		int idx = np_host_node_idx(h, own->claimed[k].node);
		uint64_t resident =
		    np_node_bytes_get(res, (unsigned)t->nresident, own->claimed[k].node);

		if (idx >= 0 && own->claimed[k].bytes > resident)
			c.bytes[idx] += own->claimed[k].bytes - resident;
	}
	if (own) {
		hwloc_bitmap_copy(c.nodes, own->nodes);
		c.vcpus = own->vcpus;
		/* its own whole cores are its to keep or leave */
		if (own->exclusive)
			np_load_unhold_cpus(load, own->exclusive);
	}
	np_load_uncharge(load, &c);
out:
	np_claim_release(&c);
	return r;
}

/* The live ledger row of the target, if any (into *ret). Returns 1, 0 or -errno. */
static int find_own(np_ledger *ledger, const struct np_target *t, struct np_workload *ret)
{
	struct np_workload *list = NULL;
	int n = np_ledger_list(ledger, 0, &list), found = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (t->kind == NP_TARGET_CGROUP
		        ? list[i].cgroup_id == t->cgroup_id && list[i].kind != NP_WORKLOAD_PROCESS
		        : list[i].pid == t->pid && list[i].start_time == t->start_time) {
			*ret = list[i];
			np_workload_init(&list[i]);
			found = 1;
			break;
		}
	np_workloads_free(list, (unsigned)n);
	return found;
}

/*
 * Memory per node when nodes given by hand cannot hold the request: split evenly over the
 * nodes that have memory, the leftover bytes to the lowest ids.
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

/*
 * The claim on `nodes` into w->claimed: the load's own split (np_load_charge(), which charges
 * the load) when the nodes have the memory free, else an even split (*ret_fits false, the load
 * unchanged).
 */
static int fill_claim(const np_host *h, np_load *load, hwloc_const_nodeset_t nodes, uint64_t bytes,
                      unsigned vcpus, struct np_workload *w, bool *ret_fits)
{
	struct np_claim c;
	unsigned n = 0;
	int r;

	memset(&c, 0, sizeof(c));
	r = np_load_charge(load, nodes, bytes, vcpus, &c);
	*ret_fits = r == 0;
	if (r == -ENOSPC || r == -EINVAL)
		return even_split(h, nodes, bytes, w);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < c.nbytes; i++)
		n += c.bytes[i] > 0;
	w->claimed = n ? calloc(n, sizeof(*w->claimed)) : NULL;
	if (n && !w->claimed) {
		np_claim_release(&c);
		return -ENOMEM;
	}
	n = 0;
	for (unsigned i = 0; i < c.nbytes; i++)
		if (c.bytes[i] > 0) {
			w->claimed[n].node = np_host_node(h, i)->id;
			w->claimed[n].bytes = c.bytes[i];
			n++;
		}
	w->nclaimed = n;
	np_claim_release(&c);
	return 0;
}

static uint64_t free_of(const np_host *h, const np_load *load, hwloc_const_nodeset_t nodes)
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

/* What one np_place() call holds while it runs. */
struct step {
	const np_host *h;
	np_ledger *ledger;
	struct np_target *t;
	const struct np_place_req *req;
	struct np_placement *ret;
	np_load *load;
	struct np_workload w; /* the row to record; w.nodes and w.cpus are borrowed */
	const char *strategy; /* static text for w.strategy */
};

/* The memory and vCPUs to place, as asked or measured. */
static void measure(struct step *s)
{
	const struct np_target *t = s->t;
	unsigned ncpus = np_host_ncpus(s->h);

	s->ret->memory_bytes = s->req->request.memory_bytes;
	if ((s->req->flags & NP_PLACE_MEASURE_MEMORY) && t->kind == NP_TARGET_PID)
		s->ret->memory_bytes = np_node_bytes_sum(t->resident, (unsigned)t->nresident);
	if ((s->req->flags & NP_PLACE_MEASURE_MEMORY) && t->kind == NP_TARGET_CGROUP)
		s->ret->memory_bytes = t->memory_current;
	s->ret->vcpus = s->req->request.vcpus;
	if (s->ret->vcpus)
		return;
	/*
	 * A thread is not a CPU's worth of demand: more threads than the host has CPUs would fit
	 * nowhere, so the default stops at the host's CPUs.
	 */
	s->ret->vcpus = t->kind == NP_TARGET_PID && t->process.nthreads ? t->process.nthreads : 1;
	if (t->kind == NP_TARGET_CGROUP)
		s->ret->vcpus = t->cpu_max_vcpus ? t->cpu_max_vcpus : t->threads ? t->threads : 1;
	if (s->ret->vcpus > ncpus) {
		s->ret->vcpus_capped = 1;
		s->ret->vcpus = ncpus;
	}
}

/* Begin (or join the caller's transaction), load, find the target's row, give back. */
static int load(struct step *s)
{
	struct np_placement *p = s->ret;
	int r;

	if (!s->ledger)
		return np_load_new(s->h, &s->load);
	r = np_ledger_begin(s->ledger);
	if (r < 0 && r != -EALREADY)
		return r;
	r = np_ledger_load(s->ledger, s->h, &s->load);
	if (r < 0 || s->t->kind == NP_TARGET_SELF)
		return r;
	r = find_own(s->ledger, s->t, &p->was);
	if (r < 0)
		return r;
	p->moved = r;
	return 0;
}

/* The search or the nodes given, and the claim. Returns 0 or -errno (p->failed set). */

/*
 * Whole cores for this placement: asked (NP_CPU_BINDING_EXCLUSIVE), or a recorded workload
 * that holds some being placed again (a move keeps its kind of grant).
 */
static bool exclusive(const struct step *s)
{
	return s->req->binding == NP_CPU_BINDING_EXCLUSIVE ||
	       (s->ret->moved && s->ret->was.exclusive && !hwloc_bitmap_iszero(s->ret->was.exclusive));
}
/*
 * The nodes the memory goes on: the chosen ones, or with the request's memory nodes (HBM)
 * those of them that are memory or spill nodes; the others are there for their CPUs.
 */
static void memory_nodes(const struct np_request *rq, struct np_placement *p)
{
	hwloc_bitmap_copy(p->memory_nodes, p->nodes);
	if (!rq->memory_nodes)
		return;
	if (rq->spill_nodes)
		hwloc_bitmap_or(p->memory_nodes, rq->memory_nodes, rq->spill_nodes);
	else
		hwloc_bitmap_copy(p->memory_nodes, rq->memory_nodes);
	hwloc_bitmap_and(p->memory_nodes, p->memory_nodes, p->nodes);
}

static int choose(struct step *s)
{
	const struct np_place_req *req = s->req;
	struct np_placement *p = s->ret;
	struct np_request rq = req->request;
	struct np_search_opts so = req->search;
	np_plan *plan = NULL;
	bool fits = true;
	int r = 0;

	rq.memory_bytes = p->memory_bytes;
	rq.vcpus = p->vcpus;
	rq.exclusive = exclusive(s);
	/* whole cores are searched for, among the nodes or CPUs given if any */
	if (rq.exclusive && req->nodes)
		rq.allowed_nodes = req->nodes;
	if (rq.exclusive && req->cpus)
		rq.allowed_cpus = req->cpus;
	if (!rq.exclusive && (req->nodes || req->cpus)) {
		if (req->nodes)
			hwloc_bitmap_copy(p->nodes, req->nodes);
		else
			np_host_cpuset_to_nodeset(s->h, req->cpus, p->nodes);
		if (req->cpus)
			hwloc_bitmap_copy(p->cpus, req->cpus);
		s->strategy = "explicit";
		p->reason = strdup(req->cpus ? "nodes given by hand"
		                             : np__given_cpus(s->h, p->nodes,
		                                              np_load_held_cpus(s->load), p->cpus));
	} else {
		r = np_search(s->h, s->load, &rq, &so, &plan);
		if (r < 0) {
			p->failed = NP_PLACE_STEP_SEARCH;
			return r;
		}
		p->reason = strdup(np_plan_reason(plan));
		if (np_plan_best(plan)) {
			hwloc_bitmap_copy(p->nodes, np_plan_best(plan)->nodes);
			hwloc_bitmap_copy(p->cpus, np_plan_best(plan)->cpus);
			if (np_plan_best(plan)->exclusive)
				hwloc_bitmap_copy(p->exclusive, np_plan_best(plan)->exclusive);
			s->strategy = req->nodes || req->cpus ? "explicit"
			                                      : np_strategy_name(so.strategy);
		} else {
			p->fit = NP_PLACE_NO_FIT;
			s->strategy = "unplaced";
		}
		np_plan_free(plan);
	}
	memory_nodes(&rq, p);
	if (p->fit != NP_PLACE_NO_FIT)
		r = fill_claim(s->h, s->load, p->memory_nodes, p->memory_bytes, p->vcpus, &s->w,
		               &fits);
	if (r == 0 && !fits) {
		p->fit = NP_PLACE_SHORT;
		p->free_bytes = free_of(s->h, s->load, p->memory_nodes);
	}
	if (r == 0 && !p->reason)
		r = -ENOMEM;
	if (r < 0)
		p->failed = NP_PLACE_STEP_CLAIM;
	return r;
}

/*
 * Bind the target where chosen; the memory policy in effect into p->policy. NP_PLACE_SCOPE:
 * the group entered first (NP_PLACE_STEP_SCOPE), the affinity and policy set inside it.
 */
static int bind(struct step *s)
{
	struct np_placement *p = s->ret;
	struct np_apply_req ap = {p->cpus, NULL, NP_CPU_BINDING_STRICT, NP_MEM_POLICY_NONE};
	enum np_mem_policy eff = NP_MEM_POLICY_NONE;
	int r;

	if (s->t->kind == NP_TARGET_PID)
		return np_apply(s->h, s->t->pid, &ap, NULL);
	if (s->t->kind == NP_TARGET_CGROUP)
		return np__target_group_bind(s->h, s->t, p->memory_nodes, p->cpus);
	ap.nodes = p->memory_nodes;
	ap.binding = s->req->binding == NP_CPU_BINDING_EXCLUSIVE ? NP_CPU_BINDING_STRICT
	                                                         : s->req->binding;
	ap.policy = s->req->policy;
	if (p->fit == NP_PLACE_NO_FIT) {
		ap.binding = NP_CPU_BINDING_NONE;
		ap.policy = NP_MEM_POLICY_NONE;
	}
	if (hwloc_bitmap_iszero(p->cpus))
		ap.cpus = NULL;
	if ((s->req->flags & NP_PLACE_SCOPE) &&
	    (r = np__target_scope_bind(s->h, s->t, s->req, &ap)) < 0) {
		p->failed = NP_PLACE_STEP_SCOPE;
		return r;
	}
	r = np_apply(s->h, 0, &ap, &eff);
	if (r == 0)
		p->policy = eff;
	return r;
}

/* "<origin>: <reason>", or "<origin>: nodes A -> B, cpus C -> D" (free()). */
static char *move_reason(const struct step *s)
{
	const struct np_workload *was = &s->ret->was;
	const char *origin = s->req->origin ? s->req->origin : "place";
	char *from = NULL, *to = NULL, *cfrom = NULL, *cto = NULL, *why = NULL;

	if (s->req->reason) {
		if (asprintf(&why, "%s: %s", origin, s->req->reason) < 0)
			why = NULL;
		return why;
	}
	if (hwloc_bitmap_list_asprintf(&from, was->nodes) >= 0 &&
	    hwloc_bitmap_list_asprintf(&to, s->ret->nodes) >= 0 &&
	    hwloc_bitmap_list_asprintf(&cfrom, was->cpus) >= 0 &&
	    hwloc_bitmap_list_asprintf(&cto, s->ret->cpus) >= 0 &&
	    asprintf(&why, "%s: nodes %s -> %s, cpus %s -> %s", origin, *from ? from : "-", to,
	             *cfrom ? cfrom : "-", cto) < 0)
		why = NULL;
	free(from);
	free(to);
	free(cfrom);
	free(cto);
	return why;
}

/*
 * The row to record: a new one (insert) or the target's recorded one moved. Another process's
 * memory policy cannot be set: a new record of a running process says "none" (numaplace set
 * none); a recorded one keeps the policy run set, and p->policy_stale says when it names other
 * nodes than the new ones.
 */
static int record(struct step *s)
{
	struct np_placement *p = s->ret;
	struct np_workload *w = &s->w;
	bool pid = s->t->kind == NP_TARGET_PID;
	bool keep = p->moved && (s->req->flags & NP_PLACE_KEEP_STRATEGY);
	char *why;
	int r;

	if (s->t->kind == NP_TARGET_CGROUP) {
		/* a group is its path and id; it has no process of its own (pid 0) */
		static const enum np_workload_kind kinds[] = {
		    [NP_GROUP_PATH] = NP_WORKLOAD_GROUP,
		    [NP_GROUP_UNIT] = NP_WORKLOAD_UNIT,
		    [NP_GROUP_CONTAINER] = NP_WORKLOAD_CONTAINER,
		    [NP_GROUP_VM] = NP_WORKLOAD_VM,
		};

		w->kind = (unsigned)s->t->cgroup_name < sizeof(kinds) / sizeof(kinds[0])
		              ? kinds[s->t->cgroup_name]
		              : NP_WORKLOAD_GROUP;
		w->cgroup_id = s->t->cgroup_id;
		if (!(w->cgroup = strdup(s->t->cgroup_path)))
			return -ENOMEM;
	} else {
		w->pid = s->t->pid;
		w->start_time = s->t->start_time;
	}
	if ((s->req->flags & NP_PLACE_SCOPE) && (r = np__target_scope_record(s->t, w)) < 0)
		return r;
	w->nodes = p->nodes;
	w->cpus = pid || (s->req->binding != NP_CPU_BINDING_NONE && p->fit != NP_PLACE_NO_FIT)
	              ? p->cpus
	              : NULL;
	w->exclusive = hwloc_bitmap_iszero(p->exclusive) ? NULL : p->exclusive;
	w->vcpus = p->vcpus;
	/* the devices it was placed near: a move keeps their nodes (docs/daemon.md) */
	if (s->req->request.near_nodes && !hwloc_bitmap_iszero(s->req->request.near_nodes) &&
	    !(w->near = hwloc_bitmap_dup(s->req->request.near_nodes)))
		return -ENOMEM;
	if (w->near && s->req->near_devices && !(w->near_devices = strdup(s->req->near_devices)))
		return -ENOMEM;
	/* pinning needs CPUs to pin to; a move keeps the recorded flags */
	if ((s->req->flags & NP_PLACE_PIN_VCPUS) && w->cpus && !hwloc_bitmap_iszero(w->cpus))
		w->flags |= NP_WORKLOAD_PIN_VCPUS;
	if ((s->req->name && !p->moved && !(w->name = strdup(s->req->name))) ||
	    (!keep && !(w->strategy = strdup(s->strategy))) ||
	    (!p->moved && !(w->policy = strdup(np_mem_policy_name(p->policy)))) ||
	    (s->t->cmdline && !(w->cmdline = strdup(s->t->cmdline))))
		return -ENOMEM;
	if (!p->moved)
		return np_ledger_insert(s->ledger, w, &p->name);
	p->policy_stale = p->was.policy && strcmp(p->was.policy, "none") != 0 &&
	                  !hwloc_bitmap_isequal(p->was.nodes, p->nodes);
	why = move_reason(s);
	r = why ? np_ledger_move(s->ledger, w, why) : -ENOMEM;
	free(why);
	return r;
}

/* Move the pages of the target on nodes outside the chosen ones to those with memory. */
static void migrate(struct step *s)
{
	struct np_migration *m = &s->ret->migration;
	const struct np_target *t = s->t;
	hwloc_bitmap_t from = hwloc_bitmap_alloc(), to = hwloc_bitmap_alloc();
	int id;

	m->done = 1;
	if (!from || !to) {
		m->err = -ENOMEM;
		goto out;
	}
	hwloc_bitmap_foreach_begin(id, s->ret->memory_nodes)
	{
		int idx = np_host_node_idx(s->h, (unsigned)id);

		if (idx >= 0 && np_host_node(s->h, (unsigned)idx)->memory_bytes)
			hwloc_bitmap_set(to, (unsigned)id);
	}
	hwloc_bitmap_foreach_end();
	for (int i = 0; i < t->nresident; i++)
		if (t->resident[i].bytes && !hwloc_bitmap_isset(to, t->resident[i].node))
			hwloc_bitmap_set(from, t->resident[i].node);
	m->to_move = np__bytes_off(t->resident, t->nresident, to);
	if (!hwloc_bitmap_iszero(from) && !hwloc_bitmap_iszero(to)) {
		m->kernel_failed = np_migrate(t->pid, from, to);
		if (m->kernel_failed < 0) {
			m->err = (int)m->kernel_failed;
			m->kernel_failed = 0;
			goto out;
		}
	}
	np__migration_after(m, np_process_memory(t->pid, &m->after), to);
out:
	hwloc_bitmap_free(from);
	hwloc_bitmap_free(to);
}

/* Bind, record, commit: the placement made real. Returns 0 or -errno (p->failed set). */
static int apply(struct step *s)
{
	struct np_placement *p = s->ret;
	int r = bind(s);

	if (r < 0) {
		p->failed = p->failed ? p->failed : NP_PLACE_STEP_BIND;
		goto unbind; /* a group's bind put it back already; a scope's affinity failed */
	}
	r = record(s);
	if (r < 0) {
		p->failed = NP_PLACE_STEP_RECORD;
		goto unbind;
	}
	r = np_ledger_commit(s->ledger);
	if (r < 0) {
		p->failed = NP_PLACE_STEP_COMMIT;
		goto unbind;
	}
	p->applied = 1;
	return 0;
unbind:
	/* a process's affinity is its own to change again; a group's cpuset, a scope go back */
	if (s->t->kind == NP_TARGET_CGROUP)
		np__target_group_unbind(s->t);
	else if (s->req->flags & NP_PLACE_SCOPE)
		np__target_scope_unbind(s->t);
	return r;
}

/* What a step that is not applied still reports: the name, the pages a migration would move. */
static int report(struct step *s)
{
	struct np_placement *p = s->ret;
	const char *name = p->moved ? p->was.name : s->req->name;
	struct np_process now;

	if (!p->name && name && !(p->name = strdup(name)))
		return -ENOMEM;
	if (!p->applied && ((s->req->flags & NP_PLACE_MIGRATE) || s->t->kind == NP_TARGET_CGROUP))
		p->migration.to_move =
		    np__bytes_off(s->t->resident, s->t->nresident, p->memory_nodes);
	/*
	 * Threads now (it may have started some while it was bound). A failed read is not one of
	 * the placement's once it is made.
	 */
	p->threads = s->t->kind == NP_TARGET_CGROUP ? s->t->threads : s->t->process.nthreads;
	if (s->t->kind == NP_TARGET_PID) {
		int r = np_process_read(s->t->pid, &now);

		if (r == 0)
			p->threads = now.nthreads;
		else if (r == -ENOMEM && !p->applied)
			return r;
	}
	return 0;
}

static int place(struct step *s)
{
	const struct np_place_req *req = s->req;
	struct np_placement *p = s->ret;
	bool stop;
	int r;

	r = np_target_read(s->t);
	if (r < 0) {
		p->failed = NP_PLACE_STEP_TARGET;
		return r;
	}
	measure(s);
	r = load(s);
	if (r < 0) {
		p->failed = NP_PLACE_STEP_LEDGER;
		return r;
	}
	if (s->t->kind != NP_TARGET_SELF) {
		r = give_back(s->h, s->load, s->t, p->moved ? &p->was : NULL);
		if (r < 0) {
			p->failed = NP_PLACE_STEP_CLAIM;
			return r;
		}
	}
	r = choose(s);
	if (r < 0)
		return r;
	stop = (req->flags & NP_PLACE_DRY_RUN) ||
	       (p->fit == NP_PLACE_NO_FIT &&
	        (s->t->kind != NP_TARGET_SELF || (req->flags & NP_PLACE_REQUIRE))) ||
	       (p->fit == NP_PLACE_SHORT && (req->flags & NP_PLACE_REQUIRE));
	if (!stop) {
		r = apply(s);
		if (r < 0)
			return r;
		if (s->t->kind == NP_TARGET_PID && (req->flags & NP_PLACE_MIGRATE))
			migrate(s);
		if (s->t->kind == NP_TARGET_CGROUP)
			np__target_group_migration(s->h, s->t, p->memory_nodes, &p->migration);
	}
	return report(s);
}

int np_place(const np_host *host, np_ledger *ledger, struct np_target *target,
             const struct np_place_req *req, struct np_placement *ret)
{
	struct step s = {host, ledger, target, req, ret, NULL, {0}, NULL};
	int r;

	if (!host || !target || !req || !ret || (!ledger && !(req->flags & NP_PLACE_DRY_RUN)) ||
	    ((req->flags & NP_PLACE_SCOPE) && target->kind != NP_TARGET_SELF))
		return -EINVAL;
	np_workload_init(&s.w);
	ret->nodes = hwloc_bitmap_alloc();
	ret->cpus = hwloc_bitmap_alloc();
	ret->exclusive = hwloc_bitmap_alloc();
	ret->memory_nodes = hwloc_bitmap_alloc();
	r = ret->nodes && ret->cpus && ret->exclusive && ret->memory_nodes ? place(&s) : -ENOMEM;
	if (!ret->applied)
		np_ledger_rollback(ledger);
	/* the claim is the caller's now; w.nodes and w.cpus were borrowed */
	ret->claimed = s.w.claimed;
	ret->nclaimed = s.w.nclaimed;
	s.w.claimed = NULL;
	s.w.nclaimed = 0;
	s.w.nodes = NULL;
	s.w.cpus = NULL;
	s.w.exclusive = NULL;
	np_workload_release(&s.w);
	np_load_free(s.load);
	return r;
}
