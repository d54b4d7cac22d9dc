/*
 * place.h - what the placement step (place.c) shares with its group target (place-cgroup.c)
 * and the group run --scope makes (place-scope.c).
 * Private to the library.
 */
#ifndef NUMAPLACE_PLACE_H
#define NUMAPLACE_PLACE_H

#include "internal.h"

/* The part of a per-node list on nodes outside `nodes`. */
uint64_t np__bytes_off(const struct np_node_bytes *a, int n, hwloc_const_nodeset_t nodes);

/*
 * The per-node list read after a migration (nafter entries in m->after, or -errno): sets
 * m->nafter and m->stuck (its bytes off `to`), or m->err with no list.
 */
void np__migration_after(struct np_migration *m, int nafter, hwloc_const_nodeset_t to);

/*
 * The CPUs to bind on nodes given by hand (place-cpus.c): the nodes' CPUs (the host's when
 * reserved CPUs took them all) less `held`, unless every one is held. Returns the reason text
 * (static): "nodes given by hand", with what the held CPUs changed.
 */
const char *np__given_cpus(const np_host *h, hwloc_const_nodeset_t nodes,
                           hwloc_const_cpuset_t held, hwloc_bitmap_t ret_cpus);

/*
 * Free and zero the fields naming a target's group (cgroup_path, cgroup_mount, cgroup_id), for
 * the group and scope targets' free functions (target.c).
 */
void np__target_group_fields_clear(struct np_target *t);

/*
 * NP_TARGET_CGROUP: open, check and measure target->cgroup (np_target_read()); free what that
 * filled in (np_target_release()).
 */
int np__target_group_read(struct np_target *t);
void np__target_group_free(struct np_target *t);

/*
 * Give the group its cpuset: `cpus`, and the nodes of `nodes` that have memory. On failure
 * nothing is left changed; np__target_group_unbind() puts back a cpuset written (a record or
 * commit that failed after it).
 */
int np__target_group_bind(const np_host *h, struct np_target *t, hwloc_const_nodeset_t nodes,
                          hwloc_const_cpuset_t cpus);
void np__target_group_unbind(struct np_target *t);

/*
 * cpuset.mems for `nodes` (*ret, free()): the nodes that have memory (a node of CPUs alone
 * cannot hold a page); all of them when none has any, for the kernel to refuse.
 */
int np__group_mems(const np_host *h, hwloc_const_nodeset_t nodes, char **ret);

/* What moved: memory.numa_stat after, against target->resident before. */
void np__target_group_migration(const np_host *h, const struct np_target *t,
                                hwloc_const_nodeset_t nodes, struct np_migration *m);

/*
 * NP_PLACE_SCOPE (place-scope.c): make the group of a SELF target below req->scope_parent, give
 * it the cpuset ap->cpus (with NP_CPU_BINDING_STRICT; else, or NULL, its parent's) and the nodes
 * of ap->nodes that have memory (none: its parent's), and move this process into it;
 * target->cgroup_path, cgroup_mount and cgroup_id name it. On failure everything made is removed
 * again. np__target_scope_unbind() does the same after a success (a record or commit that failed);
 * np__target_scope_free() frees what the target holds (np_target_release()), removing nothing.
 */
int np__target_scope_bind(const np_host *h, struct np_target *t, const struct np_place_req *req,
                          const struct np_apply_req *ap);
/* The row of a scope: kind NP_WORKLOAD_SCOPE, the group's path and id. */
int np__target_scope_record(const struct np_target *t, struct np_workload *w);
void np__target_scope_unbind(struct np_target *t);
void np__target_scope_free(struct np_target *t);

#endif /* NUMAPLACE_PLACE_H */
