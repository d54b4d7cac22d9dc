/*
 * numaplace.h - automatic NUMA placement for Linux workloads.
 *
 * The one public header of libnumaplace. Conventions:
 * - Functions return 0 (or a count) on success and a negative errno value on failure.
 *   "No placement fits" is a result (np_plan_best() returns NULL), not an error.
 * - Output parameters are named ret_*, come last and are left untouched on failure.
 * - _new/_free pairs own heap objects; every _free accepts NULL.
 * - CPU and node sets are hwloc bitmaps holding OS indexes: kernel CPU numbers and kernel
 *   NUMA node ids (which may be sparse: 0,1,4,5,8,9,250...).
 * - The library never prints, never exits and never reads the environment.
 */
#ifndef NUMAPLACE_H
#define NUMAPLACE_H

#include <hwloc.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NP_VERSION "0.1.0"

/* ------------------------------------------------------------------------------------------ */
/* Host snapshot                                                                                */
/* ------------------------------------------------------------------------------------------ */

/** Where a host snapshot comes from. */
enum np_source_kind {
	NP_SOURCE_LIVE = 0, /**< this machine, read through /sys and /proc */
	NP_SOURCE_XML,      /**< an hwloc XML export (`lstopo FILE.xml`); arg = path */
	NP_SOURCE_SYNTHETIC, /**< an hwloc synthetic description; arg = the description */
	/**
	 * A captured sysfs tree; arg = the directory holding sys/ (and proc/). hwloc reads such a
	 * tree only through the HWLOC_FSROOT environment variable: np_host_load() sets it around
	 * the hwloc discovery, under a lock, and restores the previous value. That is not safe
	 * against other threads calling setenv() or getenv() at the same time (NP_HOST_FAST does
	 * not touch the environment).
	 */
	NP_SOURCE_SYSFS,
};

/** Flags for np_host_load(). */
enum np_host_flags {
	/** Show the whole machine, not only the CPUs and nodes this process may use. */
	NP_HOST_WHOLE_SYSTEM = 1u << 0,
	/** Free memory = MemFree only (default: MemFree + Inactive(file), as numad counts). */
	NP_HOST_MEMFREE_ONLY = 1u << 1,
	/**
	 * Node-level facts only, read directly from sysfs without an hwloc discovery (about 100
	 * times faster on the live host). Per-CPU core and socket are then unknown (-1). Only for
	 * NP_SOURCE_LIVE and NP_SOURCE_SYSFS. On NP_SOURCE_SYSFS the allowed sets are the whole
	 * tree (the capture's cgroup is not interpreted; hwloc does that without this flag).
	 * On the live host they are the calling thread's CPU affinity and allowed memory nodes
	 * (hwloc uses the cgroup's cpuset, which a launcher's affinity mask may narrow).
	 */
	NP_HOST_FAST = 1u << 2,
};

struct np_source {
	enum np_source_kind kind;
	const char *arg;    /**< path or description; NULL for NP_SOURCE_LIVE */
	unsigned flags;     /**< enum np_host_flags */
};

/** One huge page size on a node. */
struct np_hugepages {
	uint64_t size_bytes;
	uint64_t total; /**< pages */
	uint64_t free;  /**< pages */
};

/** One NUMA node of a snapshot. Owned by the snapshot; valid until np_host_free(). */
struct np_node {
	unsigned id;                   /**< kernel node id */
	hwloc_const_cpuset_t cpuset;   /**< the node's usable CPUs (may be empty: memory-only) */
	unsigned ncpus;                /**< weight of cpuset */
	uint64_t memory_bytes;         /**< MemTotal (0: a node without memory) */
	uint64_t free_bytes;           /**< see NP_HOST_MEMFREE_ONLY; = memory_bytes on XML/synthetic */
	unsigned nhugepages;           /**< entries in hugepages[] */
	const struct np_hugepages *hugepages; /**< sorted by size */
};

/** One CPU of a snapshot. core and socket are -1 when unknown (NP_HOST_FAST). */
struct np_cpu {
	unsigned cpu; /**< kernel CPU number */
	int core;     /**< core id within its socket (as /sys/.../topology/core_id) */
	int socket;   /**< package id */
	unsigned node; /**< kernel node id */
};

typedef struct np_host np_host;

/**
 * Load a snapshot of a host's NUMA topology.
 * A node's CPUs are its online, allowed CPUs: from the kernel's cpulist on the live host and
 * sysfs trees; on XML and synthetic sources each CPU goes to the node with the smallest hwloc
 * cpuset that holds it (a CPU-less node shares its neighbour's). Without NP_HOST_WHOLE_SYSTEM
 * a node with neither usable CPUs nor memory is left out. Node ids are the kernel's (hwloc's
 * os_index); core and socket are hwloc's Core and Package os_index.
 * Returns 0 and sets *ret_host (free with np_host_free()), or:
 * -EINVAL bad source (NULL arg where one is needed, unknown kind or flag combination);
 * -ENOENT the file or directory does not exist; -EBADMSG the XML, synthetic description or a
 * sysfs file could not be parsed (np_host_last_error() names what and where);
 * -ENODEV no NUMA node with CPUs is usable; -ENOMEM.
 */
int np_host_load(const struct np_source *src, np_host **ret_host);

/**
 * Text describing the last np_host_load() failure in this thread (e.g. "cannot parse
 * 'sys/devices/system/node/node3/meminfo' line 2"), or "" if none. Owned by the library,
 * valid until the next call in this thread.
 */
const char *np_host_last_error(void);

void np_host_free(np_host *host);

/** One node for np_host_build(). */
struct np_node_spec {
	unsigned id;                 /**< kernel node id (unique; any value up to 65535) */
	hwloc_const_cpuset_t cpus;   /**< the node's CPUs (NULL or empty: memory-only node) */
	uint64_t memory_bytes;
	uint64_t free_bytes;         /**< <= memory_bytes */
	unsigned nhugepages;
	const struct np_hugepages *hugepages; /**< copied */
};

/**
 * Build a snapshot from facts a caller already has (another toolstack's topology source, a
 * test, a benchmark). `distances` is an nnodes x nnodes row-major matrix in the order of
 * `nodes` (NULL: 10 local / 20 remote, and np_host_distances_assumed() is 1). CPUs are
 * numbered as given; core and socket are unknown (-1).
 * Returns 0 and *ret_host; -EINVAL for no node, a duplicate id, a CPU in two nodes, free above
 * total, or a distance of 0 (asymmetric matrices are accepted, as firmware gives them); -ENOMEM.
 */
int np_host_build(unsigned nnodes, const struct np_node_spec *nodes, const unsigned *distances,
		  np_host **ret_host);

/** Nodes of the snapshot, sorted by id. Index i is used by every *_idx function below. */
unsigned np_host_nnodes(const np_host *host);
const struct np_node *np_host_node(const np_host *host, unsigned idx);
/** Index of the node with kernel id `id`, or -ENOENT. */
int np_host_node_idx(const np_host *host, unsigned id);

/** CPUs of the snapshot, sorted by CPU number. */
unsigned np_host_ncpus(const np_host *host);
const struct np_cpu *np_host_cpu(const np_host *host, unsigned idx);

/** Distance between two nodes (by index), as the firmware's SLIT gives it (10 = local). */
unsigned np_host_distance(const np_host *host, unsigned idx_a, unsigned idx_b);
/** 1 when the source gave no distances and 10 local / 20 remote was assumed. */
int np_host_distances_assumed(const np_host *host);

/** All usable CPUs and all usable nodes of the snapshot. Owned by the snapshot. */
hwloc_const_cpuset_t np_host_cpuset(const np_host *host);
hwloc_const_nodeset_t np_host_nodeset(const np_host *host);

/**
 * The hwloc topology behind the snapshot, or NULL for NP_HOST_FAST snapshots. Owned by the
 * snapshot. Useful for binding with hwloc on a live host.
 */
hwloc_topology_t np_host_topology(const np_host *host);

/** Nodes whose CPUs intersect `cpus` (into `ret_nodes`, which the caller allocates). */
int np_host_cpuset_to_nodeset(const np_host *host, hwloc_const_cpuset_t cpus,
			      hwloc_nodeset_t ret_nodes);
/** CPUs of the nodes in `nodes` (into `ret_cpus`, which the caller allocates). */
int np_host_nodeset_to_cpuset(const np_host *host, hwloc_const_nodeset_t nodes,
			      hwloc_cpuset_t ret_cpus);

/* ------------------------------------------------------------------------------------------ */
/* Load: what is already placed on the host                                                      */
/* ------------------------------------------------------------------------------------------ */

/**
 * The state a search sees besides the topology: free memory per node (starting from the
 * snapshot's free memory) and vCPUs already placed per node. The ledger and the simulator
 * build one; a caller with no other workloads uses np_load_new() as it comes.
 */
typedef struct np_load np_load;

/** Returns 0 and *ret_load, or -ENOMEM. The load refers to `host`, which must outlive it. */
int np_load_new(const np_host *host, np_load **ret_load);
void np_load_free(np_load *load);
/** Copy (same host). Returns 0 or -ENOMEM. */
int np_load_dup(const np_load *load, np_load **ret_load);

uint64_t np_load_free_bytes(const np_load *load, unsigned idx);
uint64_t np_load_vcpus(const np_load *load, unsigned idx);
/** Set a node's free memory; -ERANGE if idx is out of range. */
int np_load_set_free(np_load *load, unsigned idx, uint64_t bytes);
/** Add vCPUs on a node; -ERANGE if idx is out of range. */
int np_load_add_vcpus(np_load *load, unsigned idx, uint64_t vcpus);

/**
 * What a workload holds: memory per node and vCPUs per node. Filled by np_load_charge(), given
 * back by np_load_release().
 */
struct np_claim {
	hwloc_bitmap_t nodes;   /**< kernel node ids of the workload's set */
	uint64_t *bytes;        /**< per node index of the host (np_host_nnodes() entries) */
	unsigned nbytes;        /**< = np_host_nnodes() */
	unsigned vcpus;         /**< counted once on every node of `nodes` (Xen's accounting) */
};

/**
 * Charge `bytes` and `vcpus` to `nodes`: memory is split evenly over the nodes that have
 * memory; a node that cannot take its equal share gives the rest to the others
 * (water-filling); whole bytes, the leftover bytes of an even split go to the lowest node ids
 * first. vCPUs count once on every node of `nodes`.
 * Returns 0 and fills *ret_claim (release with np_claim_release()); -ENOSPC when the nodes do
 * not have `bytes` free in total (nothing is charged); -EINVAL for an empty or unknown set;
 * -ENOMEM.
 */
int np_load_charge(np_load *load, hwloc_const_nodeset_t nodes, uint64_t bytes, unsigned vcpus,
		   struct np_claim *ret_claim);
/** Give back what np_load_charge() charged. */
void np_load_release(np_load *load, const struct np_claim *claim);
/** Free the claim's arrays; idempotent. */
void np_claim_release(struct np_claim *claim);

/* ------------------------------------------------------------------------------------------ */
/* Requests, candidates, search                                                                  */
/* ------------------------------------------------------------------------------------------ */

struct np_request {
	uint64_t memory_bytes;      /**< memory the workload needs */
	unsigned vcpus;             /**< >= 1 */
	unsigned min_nodes;         /**< 0 = automatic */
	unsigned max_nodes;         /**< 0 = no limit */
	hwloc_const_nodeset_t allowed_nodes; /**< NULL = every node of the host */
	hwloc_const_cpuset_t allowed_cpus;   /**< NULL = every CPU of the host */
	uint64_t hugepage_size;     /**< 0 = no huge pages needed */
	uint64_t hugepage_count;    /**< pages of hugepage_size the candidate's nodes must have free */
};

/** Set every field to its default (no memory, 1 vCPU, automatic node counts, no limits). */
void np_request_init(struct np_request *req);

/** A set of nodes that can hold the request, with the figures it was judged on. */
struct np_candidate {
	hwloc_const_nodeset_t nodes; /**< kernel node ids */
	hwloc_const_cpuset_t cpus;   /**< allowed CPUs of those nodes */
	unsigned nnodes;
	uint64_t free_bytes;  /**< summed free memory of the nodes */
	unsigned ncpus;       /**< allowed CPUs of the nodes */
	uint64_t vcpus;       /**< load: vCPUs already placed on the nodes, summed per node */
	double mean_distance; /**< mean of distance(i,j) over i,j in the set, / local distance */
	uint64_t distance_sum; /**< sum of distance(i,j) over ordered pairs i,j in the set */
};

enum np_strategy {
	NP_STRATEGY_COMPACT = 0, /**< the default: see docs/placement.md */
	NP_STRATEGY_XEN,        /**< Xen's xl/libxl placement, reproduced exactly */
	NP_STRATEGY_NUMAD,      /**< numad's node selection */
	NP_STRATEGY_FIRST_FIT,  /**< lowest node ids that fit */
	NP_STRATEGY_SPREAD,     /**< all allowed nodes */
	NP_STRATEGY_EXHAUSTIVE, /**< compact's objective, optimal by full enumeration (<= 24 nodes) */
	NP_STRATEGY_COUNT_
};

/** "compact", "xen", ... or NULL for an unknown value. */
const char *np_strategy_name(enum np_strategy s);
/** Parse a strategy name; -EINVAL if unknown. */
int np_strategy_parse(const char *name, enum np_strategy *ret_strategy);

/**
 * A caller-supplied comparison, as libxl offered toolstacks: return < 0 when `a` is better
 * than `b`, > 0 when `b` is better, 0 when equal (the first enumerated then wins).
 */
typedef int (*np_compare_fn)(const struct np_candidate *a, const struct np_candidate *b,
			     void *arg);

struct np_search_opts {
	enum np_strategy strategy;
	/** Replaces the strategy's comparison (the strategy still enumerates); NULL = none. */
	np_compare_fn compare;
	void *compare_arg;
	/** How many ranked candidates to keep (>= 1; 0 means 1). */
	unsigned keep;
};

void np_search_opts_init(struct np_search_opts *opts);

/** The result of a search: ranked candidates (best first), possibly none. */
typedef struct np_plan np_plan;

/**
 * Search for the best placement of `req` on `host` given `load` (NULL = nothing placed).
 * Pure: reads nothing but its arguments. Returns 0 and *ret_plan (free with np_plan_free())
 * whether or not anything fits; -EINVAL for a bad request (0 vCPUs, min_nodes > max_nodes,
 * allowed sets outside the host); -ENOMEM.
 */
int np_search(const np_host *host, const np_load *load, const struct np_request *req,
	      const struct np_search_opts *opts, np_plan **ret_plan);

void np_plan_free(np_plan *plan);
/** Number of ranked candidates kept (0: nothing fits). */
unsigned np_plan_ncandidates(const np_plan *plan);
/** Candidate `i` (0 = best). Owned by the plan. */
const struct np_candidate *np_plan_candidate(const np_plan *plan, unsigned i);
/** The best candidate, or NULL when nothing fits. */
const struct np_candidate *np_plan_best(const np_plan *plan);
/**
 * Why the best won, or why nothing fits (e.g. "no set of at most 16 nodes has 96.0 GiB free";
 * "xen strategy: host has 32 nodes, more than 16"). Owned by the plan.
 */
const char *np_plan_reason(const np_plan *plan);
/** Candidate sets examined by the search (a cost figure). */
uint64_t np_plan_examined(const np_plan *plan);

/* ------------------------------------------------------------------------------------------ */
/* Parsing helpers shared by the CLI and other toolstacks                                       */
/* ------------------------------------------------------------------------------------------ */

/**
 * Parse a size: a number (decimal point allowed) and a binary unit: K, M, G, T, P with an
 * optional "iB" or "B" (512M, 4G, 1.5T, 64GiB, 100KiB) or "B" alone for bytes. A number with
 * no unit is an error. Units are case-insensitive ("4g", "64gib"); one space may separate the
 * number from the unit, so np_size_format()'s "1.5 GiB" reads back. Fractional bytes are
 * rounded down. Returns 0 and *ret_bytes, -EINVAL (syntax, sign, no unit) or -ERANGE
 * (more than 2^64 - 1 bytes).
 */
int np_size_parse(const char *s, uint64_t *ret_bytes);
/**
 * Format bytes with the largest binary unit that keeps the number at 1 or more, rounded to the
 * nearest tenth, ".0" dropped: "0 B", "1023 B", "512 MiB", "1.5 GiB", "16384 PiB". Truncated
 * to `len` (always terminated when len > 0). Returns buf.
 */
char *np_size_format(uint64_t bytes, char *buf, size_t len);

/**
 * Parse a kernel list ("0-3,8,10-11") strictly: no spaces, no trailing comma, no reversed
 * range, not empty, every number <= max_id. Overlapping ranges, leading zeros and one final
 * newline (as sysfs prints) are accepted. Returns 0 and replaces the content of `ret_set`
 * (caller allocated; left untouched on failure), or -EINVAL (syntax) / -ERANGE (a number
 * above max_id).
 */
int np_list_parse(const char *s, unsigned max_id, hwloc_bitmap_t ret_set);

#ifdef __cplusplus
}
#endif

#endif /* NUMAPLACE_H */
