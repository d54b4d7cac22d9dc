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
 * - The library never prints and never exits, and nothing it does depends on the environment.
 *   One exception touches it: np_host_load() through hwloc (NP_SOURCE_LIVE and NP_SOURCE_SYSFS
 *   without NP_HOST_FAST) sets HWLOC_FSROOT and HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES for the
 *   duration of hwloc's discovery, under a lock, and restores their previous values (see
 *   NP_SOURCE_SYSFS). hwloc itself reads its own HWLOC_* variables.
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
/* Errors                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/**
 * Text describing the last failure of a library call in this thread (e.g. "cannot parse
 * 'sys/devices/system/node/node3/meminfo' line 2", "state directory '/run/numaplace' is a
 * symlink"), or "" if none. np_host_load() and np_ledger_open() clear it first; other calls
 * set it when they fail and say so. Owned by the library, valid until the next call in this
 * thread.
 */
const char *np_last_error(void);

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
	/**
	 * 1 when the source gave no free memory for this node (a node meminfo with MemTotal
	 * alone; XML and synthetic topologies): free_bytes = memory_bytes is assumed.
	 */
	int free_assumed;
	/**
	 * CPUs the source listed for this node that a node of lower id listed too. They belong
	 * to that node and are not in cpuset (see np_host_shared_cpuset()); usually empty.
	 */
	hwloc_const_cpuset_t shared_cpuset;
	/** The node's CPUs np_host_reserve() set aside (NULL or empty: none); not in cpuset. */
	hwloc_const_cpuset_t reserved;
};

/** One CPU of a snapshot. core, socket and llc are -1 when unknown (NP_HOST_FAST). */
struct np_cpu {
	unsigned cpu; /**< kernel CPU number */
	int core;     /**< core id within its socket (as /sys/.../topology/core_id) */
	int socket;   /**< package id */
	unsigned node; /**< kernel node id */
	/**
	 * Its last-level cache: an id shared by the CPUs under the same one (hwloc's persistent
	 * index of the deepest-level cache above the CPU, L3 on most hosts); -1 when the source
	 * shows no cache (NP_HOST_FAST, np_host_build(), a synthetic description without one).
	 */
	int llc;
};

typedef struct np_host np_host;

/**
 * The largest host np_host_load() and np_host_build() accept, from any source. A source past
 * a limit is refused before anything is built for it (hwloc's synthetic and XML loaders build
 * every object they are given, in time that grows with the square of the PUs), with -E2BIG
 * and a message naming the limit. Each is several times the largest machines Linux runs on
 * (8192 CPUs and 1024 nodes at most in its configurations).
 */
#define NP_HOST_MAX_PUS 16384u       /**< CPUs (hwloc PUs) */
#define NP_HOST_MAX_NODES 4096u      /**< NUMA nodes */
#define NP_HOST_MAX_OBJECTS 262144u  /**< hwloc objects of an XML or synthetic topology */
#define NP_HOST_MAX_XML_BYTES (64u << 20) /**< size of an XML file */

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
 * sysfs file could not be parsed (np_last_error() names what and where);
 * -ENODEV no NUMA node with CPUs is usable; -E2BIG the source is past a limit above; -ENOMEM.
 *
 * What a source does not say is assumed, and the snapshot says so: no distances (10 local,
 * 20 remote: np_host_distances_assumed()); no free memory (free = total:
 * np_node.free_assumed, np_host_free_assumed()); a CPU listed by several nodes (firmware
 * that gives every node the same CPUs) belongs to the lowest node id listing it, the other
 * nodes keep their memory without it (np_node.shared_cpuset, np_host_shared_cpuset()).
 * A captured sysfs tree without any nodeN folder is one node 0 (a single-node machine).
 */
int np_host_load(const struct np_source *src, np_host **ret_host);

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
 * total, or a distance of 0 (asymmetric matrices are accepted, as firmware gives them); -E2BIG
 * past NP_HOST_MAX_NODES or NP_HOST_MAX_PUS; -ENOMEM.
 */
int np_host_build(unsigned nnodes, const struct np_node_spec *nodes, const unsigned *distances,
		  np_host **ret_host);

/** Nodes of the snapshot, sorted by id. Index i is used by every *_idx function below. */
unsigned np_host_nnodes(const np_host *host);
const struct np_node *np_host_node(const np_host *host, unsigned idx);
/** Index of the node with kernel id `id`, or -ENOENT. */
int np_host_node_idx(const np_host *host, unsigned id);
/**
 * The nodes of `nodes` that have memory (MemTotal > 0), into `ret`; all of `nodes` when none
 * has (what a group's cpuset.mems is given). Returns 0 or -ENOMEM.
 */
int np_host_memory_nodes(const np_host *host, hwloc_const_nodeset_t nodes, hwloc_nodeset_t ret);

/** CPUs of the snapshot, sorted by CPU number. */
unsigned np_host_ncpus(const np_host *host);
const struct np_cpu *np_host_cpu(const np_host *host, unsigned idx);

/** Distance between two nodes (by index), as the firmware's SLIT gives it (10 = local). */
unsigned np_host_distance(const np_host *host, unsigned idx_a, unsigned idx_b);
/** 1 when the source gave no distances and 10 local / 20 remote was assumed. */
int np_host_distances_assumed(const np_host *host);
/** 1 when the free memory of some node was not given and free = total was assumed. */
int np_host_free_assumed(const np_host *host);
/**
 * CPUs the source listed in more than one node (empty when it is consistent): each belongs to
 * the lowest node id listing it. Owned by the snapshot.
 */
hwloc_const_cpuset_t np_host_shared_cpuset(const np_host *host);

/** All usable CPUs and all usable nodes of the snapshot. Owned by the snapshot. */
hwloc_const_cpuset_t np_host_cpuset(const np_host *host);
hwloc_const_nodeset_t np_host_nodeset(const np_host *host);

/**
 * The hwloc topology behind the snapshot, or NULL for NP_HOST_FAST snapshots (and for a
 * captured tree whose node/ folder holds neither online nor a nodeN folder, which hwloc 2.9
 * cannot read: it is read as NP_HOST_FAST does). Owned by the snapshot. Useful for binding
 * with hwloc on a live host.
 */
hwloc_topology_t np_host_topology(const np_host *host);

/** Nodes whose CPUs intersect `cpus` (into `ret_nodes`, which the caller allocates). */
int np_host_cpuset_to_nodeset(const np_host *host, hwloc_const_cpuset_t cpus,
			      hwloc_nodeset_t ret_nodes);
/** CPUs of the nodes in `nodes` (into `ret_cpus`, which the caller allocates). */
int np_host_nodeset_to_cpuset(const np_host *host, hwloc_const_nodeset_t nodes,
			      hwloc_cpuset_t ret_cpus);

/**
 * Set CPUs aside (an administrator's reserved CPUs: housekeeping, interrupts, the host's own
 * services): `cpus` leave the snapshot's usable CPUs, its node cpusets, np_host_cpuset() and
 * the CPU list (np_host_cpu()), so that no search, load, plan or rebalancing decision made on
 * the snapshot uses them. They are remembered in each node's `reserved` and in
 * np_host_reserved_cpuset(). A node left without CPUs stays, as a memory-only node; CPUs of
 * `cpus` the snapshot does not have (not on this host, offline, not allowed) are ignored.
 * Cumulative when called again. Call it before np_load_new() on the snapshot.
 * Returns 0, -EINVAL (NULL argument) or -ENOMEM (the snapshot may then be reserved in part:
 * free it).
 */
int np_host_reserve(np_host *host, hwloc_const_cpuset_t cpus);
/** The CPUs np_host_reserve() removed from the snapshot; NULL when none. Owned by it. */
hwloc_const_cpuset_t np_host_reserved_cpuset(const np_host *host);

/* ------------------------------------------------------------------------------------------ */
/* I/O devices and the nodes they are attached to (docs/devices.md)                             */
/* ------------------------------------------------------------------------------------------ */

/** What a device is, from its PCI class. */
enum np_device_kind {
	NP_DEVICE_OTHER = 0,
	NP_DEVICE_NETWORK,     /**< class 0x02 (Ethernet and others) */
	NP_DEVICE_STORAGE,     /**< class 0x01 (NVMe, SATA, SCSI, RAID, virtio-blk) */
	NP_DEVICE_GPU,         /**< class 0x03 (VGA, 3D controllers) */
	NP_DEVICE_RDMA,        /**< class 0x0207 (InfiniBand) or a device with an RDMA name */
	NP_DEVICE_ACCELERATOR, /**< class 0x12 (processing accelerators) */
	NP_DEVICE_KIND_COUNT_
};

/** "other", "network", "storage", "gpu", "rdma", "accelerator"; NULL for an unknown value. */
const char *np_device_kind_name(enum np_device_kind kind);

/** One PCI device. Owned by its np_devices; valid until np_devices_free(). */
struct np_device {
	char address[16];               /**< PCI address, "0000:09:02.0" */
	uint32_t pci_class;             /**< 24-bit class code (0x020000: Ethernet); on XML
					     sources the programming interface byte is 0 */
	uint16_t vendor;                /**< PCI vendor id (0: unknown) */
	uint16_t device;                /**< PCI device id (0: unknown) */
	enum np_device_kind kind;
	int node;                       /**< kernel NUMA node id, or -1: unattached (the
					     firmware or the source gives no node) */
	hwloc_const_cpuset_t local_cpus; /**< CPUs the kernel or hwloc says are local (empty:
					      unknown) */
	const char *description;        /**< "vendor device" from pci.ids (NP_DEVICES_DESCRIBE),
					     or NULL */
	unsigned nnames;
	const char *const *names;       /**< names users know it by: interfaces ("eth1"), block
					     devices ("nvme0n1"), DRM cards ("card0"), RDMA devices
					     ("mlx5_0"), hwloc OS devices ("cuda0"), GPU index
					     ("gpu0") */
};

typedef struct np_devices np_devices;

/** Flags for np_devices_load(). */
enum np_devices_flags {
	/** Fill np_device.description from pci.ids (libpci): costs a read of pci.ids. */
	NP_DEVICES_DESCRIBE = 1u << 0,
};

/**
 * Read the PCI devices of a host source (bridges left out), sorted by address: sysfs below
 * the root for NP_SOURCE_LIVE and NP_SOURCE_SYSFS (sys/bus/pci/devices, sys/class/...), the
 * I/O objects of an hwloc XML file, nothing for a synthetic description (0 devices). A
 * source without PCI devices gives an empty list, not an error. src->flags is ignored.
 * Returns 0 and *ret_devices (np_devices_free()), or -EINVAL (bad source or flags), -ENOENT
 * (root or file missing), -EBADMSG (an unreadable file; np_host_last_error() says which),
 * -ENOMEM.
 */
int np_devices_load(const struct np_source *src, unsigned flags, np_devices **ret_devices);
void np_devices_free(np_devices *devices);
unsigned np_devices_count(const np_devices *devices);
/** Device `idx` (by address order), or NULL when out of range. */
const struct np_device *np_devices_get(const np_devices *devices, unsigned idx);

/**
 * The device `text` names: a PCI address ("0000:09:02.0", or "09:02.0" in any domain), one of
 * its names ("eth1"), a /dev path (the name after its last '/': "/dev/nvme0n1",
 * "/dev/dri/card0"), or a GPU index ("gpu1" or "1"). Returns 0 and *ret_device; -ENOENT no
 * such device; -ENOTUNIQ the text names two devices (*ret_device is the first); -EINVAL.
 */
int np_devices_find(const np_devices *devices, const char *text,
                    const struct np_device **ret_device);

/* ------------------------------------------------------------------------------------------ */
/* Memory kinds, tiers and what the firmware says memory costs (docs/devices.md)                */
/* ------------------------------------------------------------------------------------------ */

enum np_memory_kind {
	NP_MEMORY_UNKNOWN = 0, /**< a node without CPUs nothing describes */
	NP_MEMORY_DRAM,        /**< a node with CPUs, or hwloc's DRAM subtype */
	NP_MEMORY_HBM,         /**< hwloc's MCDRAM or HBM subtype */
	NP_MEMORY_FAR,         /**< CXL, NVM or other far memory: a node without CPUs in a slower
				    tier, slower by HMAT than its initiator's own, or so named */
	NP_MEMORY_GPU,         /**< GPU memory (hwloc's GPUMemory subtype) */
	NP_MEMORY_KIND_COUNT_
};

/** "unknown", "dram", "hbm", "far", "gpu"; NULL for an unknown value. */
const char *np_memory_kind_name(enum np_memory_kind kind);
/** Parse a kind name; -EINVAL if unknown. */
int np_memory_kind_parse(const char *name, enum np_memory_kind *ret_kind);

/** What one initiator sees of a node's memory (HMAT; 0: not given). */
struct np_memory_access {
	int initiator;            /**< kernel node id of the initiator; -1 when the source names
				       CPUs that are not one node's */
	uint64_t read_bandwidth;  /**< MB/s */
	uint64_t write_bandwidth; /**< MB/s */
	uint64_t read_latency;    /**< ns */
	uint64_t write_latency;   /**< ns */
};

/** A node's memory. Owned by its np_memory. */
struct np_memory_node {
	unsigned node; /**< kernel node id */
	enum np_memory_kind kind;
	int tier;      /**< the kernel's memory tier (memory_tierN), -1 when unknown */
	unsigned naccess;
	/** sysfs: the best initiators of node/nodeN/access0 (each with the same figures);
	 *  XML: every initiator hwloc's bandwidth and latency attributes name */
	const struct np_memory_access *access;
};

typedef struct np_memory np_memory;

/**
 * Read the kind, tier and access figures of every node of `host`, which was loaded from
 * `src`: sysfs below the root for NP_SOURCE_LIVE and NP_SOURCE_SYSFS, hwloc's subtypes and
 * memory attributes for NP_SOURCE_XML (from the host's own topology), kinds alone otherwise.
 * Returns 0 and *ret_memory (np_memory_free()), or -EINVAL, -ENOENT, -EBADMSG (a sysfs file
 * that cannot be parsed; np_host_last_error() names it), -ENOMEM.
 */
int np_memory_load(const struct np_source *src, const np_host *host, np_memory **ret_memory);
void np_memory_free(np_memory *memory);
/**
 * The host's distances with HMAT where it is known: from initiator node i to node j, 10 x the
 * read latency from i to j / the read latency of i's own memory (SLIT's scale: 10 is local),
 * at least 10; every other entry is the host's distance. For np_request.costs.
 * Returns the number of entries HMAT gave and *ret_costs (free(); NULL when the count is 0),
 * or -ENOMEM.
 */
int np_memory_costs(const np_memory *memory, const np_host *host, unsigned **ret_costs);
/** Entries: np_host_nnodes() of the host, in its index order. */
unsigned np_memory_count(const np_memory *memory);
const struct np_memory_node *np_memory_get(const np_memory *memory, unsigned idx);

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

/** Free bytes and placed vCPUs of the node at index idx (0 if idx is out of range). */
uint64_t np_load_free_bytes(const np_load *load, unsigned idx);
uint64_t np_load_vcpus(const np_load *load, unsigned idx);
/** Set a node's free memory; -ERANGE if idx is out of range. */
int np_load_set_free(np_load *load, unsigned idx, uint64_t bytes);
/** Add vCPUs on a node; -ERANGE if idx is out of range. */
int np_load_add_vcpus(np_load *load, unsigned idx, uint64_t vcpus);
/**
 * CPUs held exclusively (`--cpu-binding exclusive` claims of the ledger): shared placements
 * avoid them and no other exclusive grant takes them. Adds `cpus` to the held set; 0 or
 * -ENOMEM.
 */
int np_load_hold_cpus(np_load *load, hwloc_const_cpuset_t cpus);
/** Take `cpus` out of the held set (a rebalanced workload's own grant given back). */
void np_load_unhold_cpus(np_load *load, hwloc_const_cpuset_t cpus);
/** The CPUs held exclusively (owned by the load; empty when none). */
hwloc_const_cpuset_t np_load_held_cpus(const np_load *load);

/**
 * What a workload holds: memory per node and vCPUs per node. Filled by np_load_charge(), taken
 * back from the load by np_load_uncharge(), freed by np_claim_release().
 */
struct np_claim {
	hwloc_bitmap_t nodes;   /**< kernel node ids of the workload's set */
	uint64_t *bytes;        /**< per node index of the host (np_host_nnodes() entries) */
	unsigned nbytes;        /**< = np_host_nnodes() */
	unsigned vcpus;         /**< counted once on every node of `nodes` (Xen's accounting) */
};

/**
 * Charge `bytes` and `vcpus` to `nodes`: memory is split evenly over the nodes that have
 * memory (MemTotal > 0 and free bytes in the load); a node that cannot take its equal share
 * gives the rest to the others (water-filling); whole bytes, the leftover bytes of an even
 * split go to the lowest node ids first. vCPUs count once on every node of `nodes`.
 * Returns 0 and fills *ret_claim (release with np_claim_release()); -ENOSPC when the nodes do
 * not have `bytes` free in total (nothing is charged); -EINVAL for an empty or unknown set;
 * -ENOMEM.
 */
int np_load_charge(np_load *load, hwloc_const_nodeset_t nodes, uint64_t bytes, unsigned vcpus,
		   struct np_claim *ret_claim);
/**
 * Take back what np_load_charge() charged: the claim's bytes return to the free memory of its
 * nodes, its vCPUs leave them (never below 0). The claim itself stays; np_claim_release() frees
 * it.
 */
void np_load_uncharge(np_load *load, const struct np_claim *claim);
/** Free the claim's arrays; idempotent. */
void np_claim_release(struct np_claim *claim);

/* ------------------------------------------------------------------------------------------ */
/* Requests, candidates, search                                                                  */
/* ------------------------------------------------------------------------------------------ */

struct np_request {
	uint64_t memory_bytes;      /**< memory the workload needs */
	unsigned vcpus;             /**< >= 1 */
	unsigned min_nodes;         /**< 0 = automatic (see docs/placement.md) */
	unsigned max_nodes;         /**< 0 = no limit */
	hwloc_const_nodeset_t allowed_nodes; /**< NULL = every node of the host */
	hwloc_const_cpuset_t allowed_cpus;   /**< NULL = every CPU of the host */
	uint64_t hugepage_size;     /**< 0 = no huge pages needed */
	uint64_t hugepage_count;    /**< pages of hugepage_size the candidate's nodes must have free */
	/**
	 * Nodes the chosen set must hold, every one (a device's node: `--near`); NULL = none.
	 * A node outside the allowed or eligible nodes makes every set fail, with a reason.
	 */
	hwloc_const_nodeset_t near_nodes;
	/**
	 * Nodes the chosen set should be close to (`--near-prefer`); NULL = none. compact,
	 * exhaustive and xen rank sets by the summed distance from the set to each of them, after
	 * the node count and over-commitment; first-fit, spread and numad ignore it.
	 */
	hwloc_const_nodeset_t prefer_nodes;
	/**
	 * Nodes without CPUs a set may take for memory without counting as one of its nodes
	 * (`--memory-spill`: far or CXL memory a workload may overflow onto before a remote
	 * DRAM node); NULL = none. compact and exhaustive count a set's nodes without them;
	 * the other strategies treat them as any node.
	 */
	hwloc_const_nodeset_t spill_nodes;
	/**
	 * Nodes that may hold the workload's memory (`--memory-kind hbm`: the host's HBM nodes,
	 * an empty set when it has none); NULL = every node. A set's free memory is then what
	 * its nodes of memory_nodes and spill_nodes have free (the other nodes join for their
	 * CPUs), it must hold at least one node of memory_nodes, and its nodes of memory_nodes
	 * without CPUs do not count as nodes (as spill nodes): the CPUs come from the nodes with
	 * CPUs closest to the memory, by the ranking's distance key. np_place() claims and binds
	 * the memory on the set's nodes of memory_nodes and spill_nodes only.
	 */
	hwloc_const_nodeset_t memory_nodes;
	/**
	 * What memory_nodes are, for the reason text: "HBM" gives "this host has no HBM node",
	 * "no set of nodes has 8 GiB free on HBM nodes and 2 CPUs", "2 nodes (1 for HBM)";
	 * NULL = "memory".
	 */
	const char *memory_label;
	/**
	 * Costs that replace the host's distances in the search (np_host_nnodes() squared, row
	 * by host index, every value 1..65535; NULL = the SLIT distances): np_memory_costs()
	 * makes them from HMAT latencies.
	 */
	const unsigned *costs;
	/**
	 * Non-zero: whole cores exclusively (`--cpu-binding exclusive`, as Kubernetes' CPU
	 * manager grants them). A set fits only when its allowed CPUs, less the load's held ones
	 * (np_load_held_cpus()), hold whole free cores (every CPU of the core there, none held,
	 * none reserved) with at least `vcpus` CPUs together; the best set's cores are granted
	 * (np_candidate.exclusive), those under one last-level cache first. A CPU whose core is
	 * unknown (-1) is a core of its own. See docs/placement.md, "Exclusive cores".
	 */
	int exclusive;
};

/** Set every field to its default (no memory, 1 vCPU, automatic node counts, no limits). */
void np_request_init(struct np_request *req);

/** A set of nodes that can hold the request, with the figures it was judged on. */
struct np_candidate {
	hwloc_const_nodeset_t nodes; /**< kernel node ids */
	/**
	 * The CPUs to bind to: the allowed CPUs of those nodes less the load's held ones (all of
	 * them when every one is held, and the reason says so); an exclusive request's granted
	 * CPUs.
	 */
	hwloc_const_cpuset_t cpus;
	/** An exclusive request's granted CPUs (whole cores; = cpus); NULL for a shared one. */
	hwloc_const_cpuset_t exclusive;
	unsigned nnodes;
	uint64_t free_bytes;  /**< summed free memory of the nodes */
	unsigned ncpus;       /**< allowed CPUs of the nodes not held exclusively (see cpus) */
	uint64_t vcpus;       /**< load: vCPUs already placed on the nodes, summed per node */
	double mean_distance; /**< mean of distance(i,j) over i,j in the set (i = j included),
				 divided by the smallest distance(i,i) in the set: 1.0 for one node */
	uint64_t distance_sum; /**< sum of distance(i,j) over ordered pairs i,j in the set */
};

enum np_strategy {
	NP_STRATEGY_COMPACT = 0, /**< the default: see docs/placement.md */
	NP_STRATEGY_XEN,        /**< Xen's xl/libxl placement, reproduced exactly (no placement on
				     hosts of 1 node or of more than 16) */
	NP_STRATEGY_NUMAD,      /**< numad's node selection */
	NP_STRATEGY_FIRST_FIT,  /**< lowest node ids that fit */
	NP_STRATEGY_SPREAD,     /**< all allowed nodes */
	NP_STRATEGY_EXHAUSTIVE, /**< compact's objective, optimal by full enumeration (<= 24
				     eligible nodes) */
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
 * Pure: reads nothing but its arguments. `opts` NULL means np_search_opts_init()'s defaults.
 * Returns 0 and *ret_plan (free with np_plan_free()) whether or not anything fits; -EINVAL for
 * a bad request (0 vCPUs, min_nodes > max_nodes, allowed sets outside the host, a
 * hugepage_count without a hugepage_size), a load of another host or an unknown strategy;
 * -ENOMEM.
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
 * Why the best won, or why nothing fits (e.g. "no set of at most 16 nodes has 96 GiB free and
 * 8 CPUs"; "xen strategy: host has 32 nodes, more than 16"). Owned by the plan.
 */
const char *np_plan_reason(const np_plan *plan);
/**
 * Candidate sets examined by the search (a cost figure): sets whose sums were complete and
 * were checked against the request (xen: every combination of every size tried, as libxl).
 */
uint64_t np_plan_examined(const np_plan *plan);

/* ------------------------------------------------------------------------------------------ */
/* Parsing helpers shared by the CLI and other toolstacks                                       */
/* ------------------------------------------------------------------------------------------ */

/**
 * Parse a size: a number (decimal point allowed) and a binary unit: K, M, G, T, P, E with an
 * optional "iB" or "B" (512M, 4G, 1.5T, 64GiB, 100KiB) or "B" alone for bytes. A number with
 * no unit is an error. Units are case-insensitive ("4g", "64gib"); one space may separate the
 * number from the unit, so np_size_format()'s "1.5 GiB" reads back. Fractional bytes are
 * rounded down. Returns 0 and *ret_bytes, -EINVAL (syntax, sign, no unit) or -ERANGE
 * (more than 2^64 - 1 bytes).
 */
int np_size_parse(const char *s, uint64_t *ret_bytes);
/**
 * Format bytes with the largest binary unit that keeps the number at 1 or more, rounded to the
 * nearest tenth, ".0" dropped: "0 B", "1023 B", "512 MiB", "1.5 GiB", "16 EiB". Truncated
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

/* ------------------------------------------------------------------------------------------ */
/* Applying a placement                                                                         */
/* ------------------------------------------------------------------------------------------ */

/** CPU binding of a placed workload. */
enum np_cpu_binding {
	NP_CPU_BINDING_STRICT = 0, /**< affinity to the candidate's CPUs (the default) */
	NP_CPU_BINDING_NONE,      /**< leave the affinity alone */
	/**
	 * Whole cores of the chosen nodes granted to the workload alone (np_request.exclusive):
	 * affinity to them, recorded in the ledger (np_workload.exclusive) so that no other
	 * exclusive grant takes them and shared placements avoid them.
	 */
	NP_CPU_BINDING_EXCLUSIVE,
	NP_CPU_BINDING_COUNT_
};

/** "strict", "none", "exclusive"; NULL for an unknown value. */
const char *np_cpu_binding_name(enum np_cpu_binding b);
/** Parse a binding's name; -EINVAL if unknown. */
int np_cpu_binding_parse(const char *name, enum np_cpu_binding *ret_binding);

/** Memory policy of a placed workload, over the candidate's nodes that have memory. */
enum np_mem_policy {
	/** MPOL_PREFERRED_MANY where the kernel has it (>= 5.15), else MPOL_BIND. */
	NP_MEM_POLICY_DEFAULT = 0,
	NP_MEM_POLICY_PREFERRED, /**< MPOL_PREFERRED_MANY: falls back to other nodes when full */
	NP_MEM_POLICY_BIND,      /**< MPOL_BIND: only these nodes (the OOM killer when full) */
	NP_MEM_POLICY_INTERLEAVE, /**< MPOL_INTERLEAVE over the nodes */
	NP_MEM_POLICY_NONE,      /**< leave the policy alone */
	NP_MEM_POLICY_COUNT_
};

/** "default", "preferred", "bind", "interleave", "none"; NULL for an unknown value. */
const char *np_mem_policy_name(enum np_mem_policy p);
/** Parse a policy name; -EINVAL if unknown. */
int np_mem_policy_parse(const char *name, enum np_mem_policy *ret_policy);

/** What np_apply() makes real. */
struct np_apply_req {
	hwloc_const_cpuset_t cpus;   /**< CPUs for the affinity (NULL: none) */
	hwloc_const_nodeset_t nodes; /**< nodes for the memory policy (NULL: none) */
	enum np_cpu_binding binding;
	enum np_mem_policy policy;
};

/**
 * Apply a placement to process `pid` (0: the calling thread, e.g. before exec). The affinity is
 * set with sched_setaffinity() on a CPU set sized for the highest CPU (every thread of `pid`
 * when pid != 0: /proc/PID/task is read again until a pass finds no thread not yet bound, so
 * threads started meanwhile are bound too; -EAGAIN after 100 passes). The memory policy (set_mempolicy(), so pid must be 0 unless the policy is
 * NONE) covers the nodes of req->nodes that have memory on `host`; with none of them the policy
 * is left alone and *ret_policy is NP_MEM_POLICY_NONE. NP_MEM_POLICY_DEFAULT tries
 * MPOL_PREFERRED_MANY and falls back to MPOL_BIND on a kernel without it.
 * Returns 0 and, when ret_policy is not NULL, the policy in effect (never DEFAULT); or
 * -EINVAL (empty CPU set, nodes not in `host`, a policy for another pid: -EOPNOTSUPP), the
 * kernel's error (-EINVAL for CPUs or nodes outside the cgroup's, -EPERM, -ESRCH). On failure
 * the affinity may already be set when the policy is refused: a caller about to exec gives up.
 */
int np_apply(const np_host *host, pid_t pid, const struct np_apply_req *req,
	     enum np_mem_policy *ret_policy);

/* ------------------------------------------------------------------------------------------ */
/* Claims ledger: workloads, their claims, the placement transaction, moves                    */
/* ------------------------------------------------------------------------------------------ */

/**
 * The claims ledger: what numaplace has placed on this host and what it still holds, in one
 * SQLite database (WAL journal) `ledger.db` in a state directory the caller chooses (see
 * docs/ledger.md for the schema and the transaction). Not thread-safe: one handle per thread.
 * Every ledger call may also return -ENOSPC when the state directory's file system is full
 * (nothing is changed then). What became of a workload's process (gone, a zombie, its pid
 * reused), what it has resident and whose it is are read from proc/ below
 * np_ledger_opts.proc_root; the ledger itself only stores.
 */
typedef struct np_ledger np_ledger;

/** Memory on one node. */
struct np_node_bytes {
	unsigned node; /**< kernel node id */
	uint64_t bytes;
};

/** Bytes on node `node` in `a` (n entries, each node at most once), 0 when it is not there. */
uint64_t np_node_bytes_get(const struct np_node_bytes *a, unsigned n, unsigned node);
/** Bytes on all nodes of `a` (n entries), UINT64_MAX when the sum does not fit. */
uint64_t np_node_bytes_sum(const struct np_node_bytes *a, unsigned n);

/** What a workload of the ledger is. */
enum np_workload_kind {
	NP_WORKLOAD_PROCESS = 0, /**< a process and its children (run, place --pid) */
	NP_WORKLOAD_GROUP,       /**< a cgroup v2 group given by its path (place --cgroup) */
	NP_WORKLOAD_UNIT,        /**< a systemd unit's group (place --unit) */
	NP_WORKLOAD_CONTAINER,   /**< a container's group (place --container) */
	NP_WORKLOAD_VM,          /**< a libvirt VM's group (place --vm) */
	/** run --scope: a group numaplace made for the command; removed with its claim once empty */
	NP_WORKLOAD_SCOPE,
	NP_WORKLOAD_KIND_COUNT_
};

/** "process", "group", "unit", "container", "vm", "scope"; NULL for an unknown value. */
const char *np_workload_kind_name(enum np_workload_kind kind);
/** Parse a kind's name; -EINVAL if unknown. */
int np_workload_kind_parse(const char *name, enum np_workload_kind *ret_kind);

/** Flags of struct np_workload. */
enum np_workload_flags {
	/** Its QEMU vCPU threads are pinned one to a CPU (--pin-vcpus); the daemon pins new ones. */
	NP_WORKLOAD_PIN_VCPUS = 1u << 0,
};

/** One workload of the ledger. Caller-owned: np_workload_init() / np_workload_release(). */
struct np_workload {
	char *name;          /**< unique among live workloads */
	enum np_workload_kind kind;
	/**
	 * The process (PROCESS, SCOPE: the command launched); 0 for the other group kinds, whose
	 * identity is cgroup_id.
	 */
	pid_t pid;
	uint64_t start_time; /**< field 22 of /proc/PID/stat (clock ticks after boot) */
	hwloc_bitmap_t nodes; /**< nodes placed on (empty: ran unplaced) */
	hwloc_bitmap_t cpus;  /**< CPUs bound to (empty: not bound) */
	unsigned nclaimed;
	struct np_node_bytes *claimed; /**< memory claimed per node, sorted by node id */
	unsigned nresident;
	struct np_node_bytes *resident; /**< np_ledger_list(): resident now per node (live only) */
	unsigned vcpus;
	char *strategy;      /**< e.g. "compact", "explicit" (--nodes/--cpus), "unplaced" */
	char *policy;        /**< the memory policy in effect, np_mem_policy_name() */
	int64_t created;     /**< Unix time (s) of the claim */
	char *cmdline;       /**< the command line as text (for people, not for exec) */
	int64_t ended;       /**< 0 while live; else Unix time (s) it was pruned or forgotten */
	char *end_reason;    /**< NULL while live; "exited", "pid reused", "forgotten", "replaced" */
	unsigned moves;      /**< np_ledger_list(): times it was moved (np_ledger_move()) */
	int64_t last_move;   /**< np_ledger_list(): Unix time of its last move, 0 for none */
	/** Group kinds: its path relative to the cgroup2 mount ("system.slice/web.service"). */
	char *cgroup;
	/** Group kinds: the inode of its directory (a group removed and made again is another) */
	uint64_t cgroup_id;
	/** CPUs granted exclusively (--cpu-binding exclusive; NULL or empty: shared CPUs) */
	hwloc_bitmap_t exclusive;
	/** Nodes its set must keep (the nodes of its --near devices; NULL or empty: none) */
	hwloc_bitmap_t near;
	char *near_devices;  /**< the --near devices as given, comma-separated (NULL: none) */
	unsigned flags;      /**< enum np_workload_flags */
};

/** Zero every field. */
void np_workload_init(struct np_workload *w);
/** Free what the fields own and zero them; idempotent. */
void np_workload_release(struct np_workload *w);
/** Release `n` workloads and free the array (as np_ledger_list() returns it); NULL is a no-op. */
void np_workloads_free(struct np_workload *list, unsigned n);

/** Flags of np_ledger_open(). */
enum np_ledger_flags {
	/** Do not create a missing state directory or database: -ENOENT instead. */
	NP_LEDGER_NO_CREATE = 1u << 0,
};

struct np_ledger_opts {
	unsigned flags;          /**< enum np_ledger_flags */
	/** Directory holding proc/ for the liveness and resident-memory reads (NULL: "/"). */
	const char *proc_root;
	/**
	 * Directory holding proc/self/mountinfo and the cgroup2 mount for the group kinds'
	 * liveness and memory.numa_stat (NULL: "/"; a plain-file tree in tests).
	 */
	const char *cgroup_root;
	/** How long to wait for another process's transaction, in ms (0: 10000). */
	unsigned busy_timeout_ms;
	/**
	 * History for np_ledger_list(NP_LEDGER_LIST_ALL): pruned workloads are kept while they
	 * are among the `history` most recently created workloads (0: 1000).
	 */
	unsigned history;
};

void np_ledger_opts_init(struct np_ledger_opts *opts);

/**
 * Open (creating it, mode 0700, when missing; only the last path component is created) the
 * state directory `dir` and its database. `opts` may be NULL.
 * The directory and the database files must belong to the effective user, must not be
 * writable by group or others, and must not be symlinks. Returns 0 and *ret_ledger, or:
 * -ELOOP a symlink; -EPERM owned by another user; -EACCES writable by group or others (or
 * not writable by the user); -ENOTDIR not a directory; -EINVAL the database is not a regular
 * file; -ENOENT missing (NP_LEDGER_NO_CREATE, or the parent directory);
 * -EBADMSG the file is not an SQLite database or is corrupt (left untouched);
 * -EPROTO a database of another application or of an unknown schema version (never
 * rewritten); -EBUSY another process held it past the busy timeout; -EIO, -ENOMEM.
 * np_last_error() says which file and why.
 */
int np_ledger_open(const char *dir, const struct np_ledger_opts *opts, np_ledger **ret_ledger);
/** Close; rolls back a transaction still open. NULL is a no-op. */
void np_ledger_close(np_ledger *ledger);

/**
 * Start the placement transaction (BEGIN IMMEDIATE: other writers wait up to the busy timeout)
 * and prune dead workloads: a pid that is gone, a zombie, or a pid whose start time differs
 * (reused by another program). Returns the number pruned, or -EBUSY, -EALREADY (a transaction
 * is open), -EBADMSG, -EIO, -ENOMEM.
 */
int np_ledger_begin(np_ledger *ledger);
/** Commit the open transaction. Returns 0, -EBUSY, -EIO; -EINVAL when none is open. */
int np_ledger_commit(np_ledger *ledger);
/** Undo everything since np_ledger_begin(); no-op when none is open. */
void np_ledger_rollback(np_ledger *ledger);

/**
 * The load the search sees on `host`: free memory of every node minus the outstanding claims
 * of live workloads on it (never below 0), and the vCPUs of live workloads on every node of
 * their set. Outstanding claim of a workload on node N = claimed on N - resident on N (from
 * proc/PID/numa_maps), never below 0: memory not yet touched still holds its room; touched
 * memory is already counted by the kernel's free memory. Nodes of the ledger that `host` does
 * not have are ignored. Needs an open transaction (-EINVAL otherwise), so that what is read
 * still holds when the claim is inserted. Returns 0 and *ret_load (np_load_free()), or -errno.
 */
int np_ledger_load(np_ledger *ledger, const np_host *host, np_load **ret_load);

/**
 * Record a live workload in the open transaction. w->name NULL: "<base>-<pid>" with <base>
 * the first word of w->cmdline without its directory ("sleep-4242"; "-2", "-3"... when taken).
 * A name is 1 to 64 characters of [A-Za-z0-9._-], not all digits (so that a pid and a name
 * are never confused). A live workload with the same pid is the same process being placed
 * again (its start time checked by np_ledger_begin()): it is replaced.
 * Returns 0 and, when ret_name is not NULL, the name (free()); -EINVAL bad name or fields, no
 * open transaction; -EEXIST the name is taken by a live workload; -EIO, -ENOMEM.
 */
int np_ledger_insert(np_ledger *ledger, const struct np_workload *w, char **ret_name);

/**
 * Delete the live workload of pid with this start time as if it had never been recorded (no
 * history): a claim whose command could not be executed. Opens its own transaction when none
 * is open. Returns 1 deleted, 0 none, or -errno.
 */
int np_ledger_delete(np_ledger *ledger, pid_t pid, uint64_t start_time);

/**
 * Forget the live workload named `name` (when not NULL) or with `pid`: its claim is dropped,
 * the process keeps running where it is. Opens its own transaction (which also prunes) when
 * none is open. Only root (real uid 0) or the process's owner (its real uid is the caller's
 * real uid) may forget a workload. A workload of kind scope (run --scope) has its group, which
 * numaplace made, removed with its claim when no process is left in it; no other group is ever
 * removed. Returns 0; 1 forgotten, but its scope's group stays (it still holds processes, or
 * cannot be removed: np_last_error() says which); -ENOENT no such live workload; -EPERM another
 * user's workload; -errno.
 */
int np_ledger_forget(np_ledger *ledger, const char *name, pid_t pid);

/** Flags of np_ledger_list(). */
enum np_ledger_list_flags {
	NP_LEDGER_LIST_ALL = 1u << 0,      /**< the pruned history too, after the live ones */
	NP_LEDGER_LIST_RESIDENT = 1u << 1, /**< fill resident[] of live workloads (numa_maps) */
};

/**
 * The workloads, live ones first, each group by creation (oldest first). Prunes first (its own
 * transaction when none is open). Returns the count and *ret_list (np_workloads_free()), or
 * -errno.
 */
int np_ledger_list(np_ledger *ledger, unsigned flags, struct np_workload **ret_list);

/**
 * Record in the open transaction that the live workload w->pid (with w->start_time) now runs
 * on w->nodes and w->cpus, claiming w->claimed, with w->vcpus, w->strategy and w->policy
 * (NULL strings keep the recorded ones), w->exclusive (NULL keeps the recorded grant), w->near
 * (when not empty, replaces the recorded near nodes and w->near_devices their devices) and
 * w->flags added to the recorded ones (a group: found by w->cgroup_id); a move row (time, old
 * and new nodes, `reason`) is added. Returns 0; -ENOENT no such live workload; -EINVAL no open
 * transaction or bad fields;
 * -EIO, -ENOMEM.
 */
int np_ledger_move(np_ledger *ledger, const struct np_workload *w, const char *reason);

/** One recorded move. */
struct np_move {
	char *name;          /**< the workload's name */
	pid_t pid;
	int64_t time;        /**< Unix time */
	hwloc_bitmap_t from; /**< nodes before */
	hwloc_bitmap_t to;   /**< nodes after */
	char *reason;
};

/**
 * The moves of the workloads the ledger still holds (live and history), oldest first.
 * Returns the count and *ret_moves (np_moves_free()), or -errno.
 */
int np_ledger_moves(np_ledger *ledger, struct np_move **ret_moves);
void np_moves_free(struct np_move *moves, unsigned n);

/* ------------------------------------------------------------------------------------------ */
/* Running processes: facts, migration                                                          */
/* ------------------------------------------------------------------------------------------ */

/**
 * Start time of process `pid` (0: the caller) on this host: field 22 of /proc/PID/stat, in
 * clock ticks after boot. It does not change across exec, so (pid, start time) names a
 * workload for as long as it lives. Returns 0 and *ret_start_time; -ESRCH no such process;
 * -EBADMSG an unreadable stat line.
 */
int np_process_start_time(pid_t pid, uint64_t *ret_start_time);

/** A process as /proc/PID/stat shows it. */
struct np_process {
	pid_t pid;
	char comm[64];       /**< its name (field 2 of stat; at most 15 bytes on Linux) */
	char state;          /**< R, S, D, Z, ... */
	int kernel_thread;   /**< 1 for a kernel thread (see np_process_read()) */
	uid_t uid;           /**< owner of /proc/PID: the process's effective uid (root when it is
				  not dumpable) */
	unsigned nthreads;   /**< threads (field 20) */
	uint64_t start_time; /**< field 22, as np_process_start_time() */
	uint64_t cpu_ticks;  /**< user + system time of all its threads (fields 14 + 15), in clock
				  ticks (sysconf(_SC_CLK_TCK) per second) */
	uint64_t rss_bytes;  /**< resident memory: field 24 times the page size */
};

/**
 * Read process `pid`. A kernel thread is one with PF_KTHREAD in its flags, pid 2 (kthreadd)
 * or a child of it, or a live task with an empty command line (kernels without the flag).
 * Returns 0 and *ret_process; -ESRCH no such process; -EBADMSG an unreadable stat line;
 * -EINVAL pid <= 0.
 */
int np_process_read(pid_t pid, struct np_process *ret_process);

/**
 * Every process of the host, sorted by pid; processes that exit while the list is read are
 * left out. kernel_thread is judged from the flags, pid 2 and parent 2 only (no command line
 * is read). Returns the count and *ret_list (free()), or -errno.
 */
int np_process_list(struct np_process **ret_list);

/**
 * Memory of process `pid` resident per node, from /proc/PID/numa_maps (pages of every mapping
 * times its page size, huge pages included). Returns the number of nodes (0: none) and
 * *ret_nodes sorted by node (free()); -ESRCH gone; -EACCES not allowed to read it; -EBADMSG.
 */
int np_process_memory(pid_t pid, struct np_node_bytes **ret_nodes);

/**
 * The arguments of process `pid` (/proc/PID/cmdline) as a NULL-terminated array in one
 * allocation (free() it once). Returns the count (0 for a kernel thread or a zombie) and
 * *ret_argv; -ESRCH gone; -EACCES; -ENOMEM.
 */
int np_process_argv(pid_t pid, char ***ret_argv);

/** Time one CPU spent, in clock ticks since boot (/proc/stat). */
struct np_cpu_time {
	unsigned cpu;   /**< kernel CPU number */
	uint64_t busy;  /**< user + nice + system + irq + softirq + steal */
	uint64_t total; /**< busy + idle + iowait */
};

/** Per-CPU times, sorted by CPU. Returns the count and *ret_times (free()), or -errno. */
int np_cpu_times(struct np_cpu_time **ret_times);

/**
 * Move the pages of process `pid` that are on nodes `from` to nodes `to` (migrate_pages(2));
 * pages already on `to` stay. `to` must name nodes with memory the process may use. The
 * kernel moves what it can: pages locked, pinned or shared in ways it cannot move stay.
 * Returns the number of pages the kernel reported it could not move (0: everything moved), or
 * -EINVAL (an empty or infinite set), -ESRCH (gone), -EPERM (another user's process without
 * CAP_SYS_NICE, or `to` outside its cpuset), -ENOSYS (a kernel without NUMA migration).
 */
long np_migrate(pid_t pid, hwloc_const_nodeset_t from, hwloc_const_nodeset_t to);

/** The kernel's allocation counters of one node, in pages since boot (nodeN/numastat). */
struct np_numastat {
	unsigned node;           /**< kernel node id */
	uint64_t numa_hit;       /**< allocated on this node, as the policy intended */
	uint64_t numa_miss;      /**< allocated here although intended for another node (full) */
	uint64_t numa_foreign;   /**< intended for this node, allocated on another */
	uint64_t interleave_hit; /**< interleaved allocations that got this node as intended */
	uint64_t local_node;     /**< allocated here by a task running on this node */
	uint64_t other_node;     /**< allocated here by a task running on another node */
};

/**
 * Read sys/devices/system/node/nodeN/numastat of every node in `nodes` below `root` (NULL or
 * "": "/", this host; else a captured tree holding sys/). Strict: the six counters once each,
 * "key value" lines only (a key a later kernel adds is skipped). Returns the number of nodes
 * and *ret_stats in the order of `nodes` (free()); -EINVAL for NULL, an empty or infinite set
 * or a node above 65535; -ENOENT and other read errors of a file; -EBADMSG or -ERANGE for a
 * file that is not a numastat; -ENOMEM. np_last_error() names the file and the line.
 */
int np_numastat_read(const char *root, hwloc_const_nodeset_t nodes,
		     struct np_numastat **ret_stats);

/* ------------------------------------------------------------------------------------------ */
/* Rebalancing: the daemon's decision, as a pure function                                       */
/* ------------------------------------------------------------------------------------------ */

/** One placed workload as the rebalancer sees it. */
struct np_rebalance_workload {
	const char *name;
	hwloc_const_nodeset_t nodes;            /**< nodes it is placed on (empty: unplaced) */
	unsigned vcpus;
	const struct np_node_bytes *claimed;    /**< memory claimed per node (as the ledger);
						     the request searched for is the larger of
						     its sum and the resident memory */
	unsigned nclaimed;
	const struct np_node_bytes *resident;   /**< memory resident per node now */
	unsigned nresident;
	double cpu;        /**< CPUs it kept busy over the last interval (1.5: one and a half) */
	int64_t last_move; /**< Unix time of its placement or last move */
	/**
	 * 1 when its memory policy names its nodes (numaplace run's preferred, bind or
	 * interleave): another process's policy cannot be changed, so its new pages would keep
	 * going to these nodes wherever it moved. It is only ever moved onto its own nodes
	 * (its memory gathered home).
	 */
	int policy_pinned;
	/**
	 * Nodes its set must keep (the nodes of its --near devices, np_workload.near; NULL or
	 * empty: none): every candidate of a move holds them all.
	 */
	hwloc_const_nodeset_t near;
	/**
	 * The CPUs granted to it exclusively (np_workload.exclusive; NULL or empty: shared CPUs).
	 * Held by the load of the others' moves, as np_ledger_load() holds them (its vCPUs are
	 * no shared load); its own move searches whole free cores (np_request.exclusive), its
	 * grant given back.
	 */
	hwloc_const_cpuset_t exclusive;
};

struct np_rebalance_params {
	enum np_strategy strategy;   /**< how candidates are found (default compact) */
	double spill;                /**< spilled: at least this fraction of its resident memory
					  is off its nodes (default 0.10) */
	uint64_t min_spill_bytes;    /**< ... and at least this much (default 64 MiB) */
	double overload;             /**< overloaded: its nodes' CPUs busier than this fraction
					  (default 0.85) */
	int64_t min_gap;             /**< seconds between two moves of one workload (default 300) */
	double min_improvement;      /**< a move must lower the cost by this much (default 0.10) */
	int64_t now;                 /**< Unix time of the decision */
};

void np_rebalance_params_init(struct np_rebalance_params *params);

enum np_rebalance_verdict {
	NP_REBALANCE_FINE = 0,  /**< its memory is local and its nodes are not overloaded */
	NP_REBALANCE_MOVE,      /**< the one workload moved this interval */
	NP_REBALANCE_HELD,      /**< needs a move but moved less than min_gap ago */
	NP_REBALANCE_NO_BETTER, /**< needs a move but no candidate is better by min_improvement */
	NP_REBALANCE_DEFERRED,  /**< a move would help, but another one helps more this interval */
	NP_REBALANCE_UNPLACED,  /**< placed on no node: nothing to keep */
};

/** What np_rebalance_decide() chose. np_rebalance_decision_release() frees it. */
struct np_rebalance_decision {
	int move;              /**< index of the workload to move, or -1 */
	hwloc_bitmap_t nodes;  /**< its new nodes (empty when move is -1) */
	hwloc_bitmap_t cpus;   /**< their CPUs */
	unsigned n;            /**< workloads judged (= the n given) */
	enum np_rebalance_verdict *verdicts; /**< per workload */
	double *cost;          /**< per workload: its cost where it is (see docs/daemon.md) */
	char **reasons;        /**< per workload: why, with the figures */
};

/**
 * Decide which workload, if any, to move this interval. Pure: reads nothing but its arguments.
 * `load` is the host before any claim of `workloads`: np_load_new() of a live snapshot (the
 * kernel's free memory), or a caller's base; the workloads' outstanding claims (claimed minus
 * resident, per node) and vCPUs are counted from `workloads`, as np_ledger_load() counts them,
 * so `workloads` must be every live workload of the ledger. `node_busy` the CPUs kept busy per node
 * index over the last interval (np_host_nnodes() entries; NULL: CPU use unknown, memory
 * alone decides). A workload is a candidate for a move when it is spilled or overloaded (see
 * np_rebalance_params); its own memory and vCPUs are given back to the load, the strategy
 * searches for its request (vCPUs, the larger of claimed and resident memory) and the best
 * candidate by cost wins if it lowers the cost by min_improvement. At most one workload moves:
 * the one whose cost drops most. docs/daemon.md has the cost and worked examples.
 * Returns 0 and *ret_decision (release with np_rebalance_decision_release()); -EINVAL
 * (a load of another host, bad parameters), -ENOMEM.
 */
int np_rebalance_decide(const np_host *host, const np_load *load, const double *node_busy,
			const struct np_rebalance_workload *workloads, unsigned n,
			const struct np_rebalance_params *params,
			struct np_rebalance_decision *ret_decision);

/** Free what a decision holds and zero it; idempotent. */
void np_rebalance_decision_release(struct np_rebalance_decision *decision);

/** "fine", "move", "held", "no better", "deferred", "unplaced"; NULL for an unknown value. */
const char *np_rebalance_verdict_name(enum np_rebalance_verdict v);

/* ------------------------------------------------------------------------------------------ */
/* QEMU command lines                                                                           */
/* ------------------------------------------------------------------------------------------ */

/** What a QEMU command line asks for. */
struct np_qemu_sizes {
	unsigned vcpus;        /**< vCPUs at boot (-smp) */
	uint64_t memory_bytes; /**< guest RAM (-m) */
	int vcpus_given;       /**< 0: no -smp (QEMU's default of 1 vCPU is set) */
	int memory_given;      /**< 0: no -m (QEMU's default of 128 MiB is set) */
};

/**
 * Read -smp and -m from a QEMU command line (NULL-terminated argv). A command is QEMU when the
 * basename of argv[0] starts with "qemu-system-" or is "qemu-kvm". The last -smp and -m win,
 * as in QEMU. -smp: [cpus=]N with maxcpus, sockets, dies, clusters, cores, threads, books,
 * drawers; without a count, maxcpus or else the product of the topology. -m: [size=]N with
 * QEMU's suffixes (B, K, M, G, T, P, E; no suffix: MiB), slots and maxmem ignored.
 * Returns 1 and *ret_sizes for a QEMU command, 0 (nothing set) for another command, -EINVAL
 * for an -smp or -m value QEMU would refuse.
 */
int np_qemu_sizes(char *const *argv, struct np_qemu_sizes *ret_sizes);

/**
 * Whether a QEMU command line names its threads: `-name debug-threads=on` (QEMU names its vCPU
 * threads "CPU n/KVM", "CPU n/TCG" only then; libvirt always asks for it). The -name options
 * merge, the last debug-threads= wins; QEMU's booleans (on, off, yes, no, true, false, y, n).
 * Returns 1 (on), 0 (not said: QEMU's default, off), -EINVAL said off or a value QEMU would
 * refuse, or for a command that is not QEMU (np_qemu_sizes()'s rule).
 */
int np_qemu_names_threads(char *const *argv);

/** One thread of a QEMU process. */
struct np_qemu_thread {
	pid_t tid;
	/** n of its name "CPU n/KVM", "CPU n/TCG" (any accelerator); -1: an emulator thread */
	int vcpu;
	/** np_qemu_threads_read(): its CPU affinity; np_qemu_pin_vcpus(): the CPUs it is given */
	hwloc_bitmap_t cpus;
	/** np_qemu_pin_vcpus(): its affinity was other than `cpus` and was set (would be) */
	int changed;
};

/** A QEMU process's threads and their CPUs. Caller-owned: _init() / _release(). */
struct np_vcpu_pinning {
	/** The vCPU threads by vCPU (then tid), then the emulator's other threads by tid. */
	struct np_qemu_thread *threads;
	unsigned nthreads;
	unsigned nvcpus;          /**< of them vCPU threads (the first nvcpus) */
	/**
	 * The emulator threads' CPUs: np_qemu_threads_read(), the union of their affinities;
	 * np_qemu_pin_vcpus(), the set they are given.
	 */
	hwloc_bitmap_t emulator;
	/** np_qemu_pin_vcpus(): fewer CPUs than vCPUs: vCPU n took CPU n modulo the CPUs */
	int wrapped;
	unsigned changed;         /**< threads whose affinity was set (would be, in a dry run) */
};

/** Zero every field. */
void np_vcpu_pinning_init(struct np_vcpu_pinning *p);
/** Free what the fields own and zero them; idempotent. */
void np_vcpu_pinning_release(struct np_vcpu_pinning *p);

/**
 * Read the threads of QEMU process `pid` below `root` (NULL or "": the live "/"; a tree of
 * plain files proc/PID/task/TID/{comm,status} in tests): each thread's name (comm) and CPU
 * affinity (the Cpus_allowed_list of its status). `ret` must be np_vcpu_pinning_init()ed; it is
 * filled only on success (its wrapped and changed stay 0).
 * Returns the number of vCPU threads (0 allowed: none is named "CPU n/..."); -ESRCH no such
 * process; -EACCES; -EBADMSG a status without a readable Cpus_allowed_list; -ENOMEM.
 */
int np_qemu_threads_read(const char *root, pid_t pid, struct np_vcpu_pinning *ret);

/** Flags of np_qemu_pin_vcpus(). */
enum np_vcpu_pin_flags {
	/** Work out the pinning and what would change; set no affinity. */
	NP_VCPU_PIN_DRY_RUN = 1u << 0,
};

/**
 * Pin QEMU process `pid`'s vCPU threads one to a CPU of `cpus`, and its other threads (the
 * emulator's) to the rest, as libvirt's <vcpupin> and <emulatorpin> do: vCPU n (of the thread
 * "CPU n/...") gets the (n mod w)-th CPU of `cpus` in increasing order, w its CPUs (`wrapped`
 * when vCPUs share CPUs); the emulator threads get `cpus` minus the vCPUs' CPUs, or all of
 * `cpus` when nothing is left. A thread already where it belongs is not touched (called again,
 * it pins only threads started since: a vCPU hot-plugged, an emulator thread of another
 * affinity), one that exits meanwhile is no failure. Threads are read as np_qemu_threads_read()
 * does below `root`; a root other than the live "/" only with NP_VCPU_PIN_DRY_RUN.
 * Returns the number of vCPU threads and `ret` (np_vcpu_pinning_init()ed) filled; -ENOENT no
 * thread is a vCPU's (np_last_error() says why: QEMU without -name debug-threads=on, or one
 * thread for all vCPUs), nothing changed; -EINVAL empty or infinite `cpus`, another root
 * without the dry run; the errors of np_qemu_threads_read(); sched_setaffinity()'s (-EINVAL a
 * CPU outside the process's cpuset, -EPERM), with the threads pinned before it left pinned.
 */
int np_qemu_pin_vcpus(const char *root, pid_t pid, hwloc_const_cpuset_t cpus, unsigned flags,
                      struct np_vcpu_pinning *ret);

/* ------------------------------------------------------------------------------------------ */
/* The placement step: read a target, load, choose, bind, record, migrate                       */
/* ------------------------------------------------------------------------------------------ */

/** What is placed (docs/design.md, "The placement step"). */
enum np_target_kind {
	/** The calling process, about to exec a command (numaplace run): same pid after exec. */
	NP_TARGET_SELF = 0,
	/** A running process (place --pid, the daemon). */
	NP_TARGET_PID,
	/** A cgroup v2 group (place --cgroup): placed by its cpuset (docs/cgroups.md). */
	NP_TARGET_CGROUP,
};

/** How NP_TARGET_CGROUP's `cgroup` names the group (docs/cgroups.md). */
enum np_group_name {
	NP_GROUP_PATH = 0,  /**< its path, absolute under the cgroup2 mount or relative to it */
	NP_GROUP_UNIT,      /**< a systemd unit ("web.service"; "web" is web.service) */
	NP_GROUP_CONTAINER, /**< a podman, docker, containerd or CRI-O container's ID or prefix */
	NP_GROUP_VM,        /**< a libvirt domain's name (machine-qemu\x2dN\x2dNAME.scope) */
};

/** A target: its kind and identity, then what np_target_read() measured. Caller-owned. */
struct np_target {
	enum np_target_kind kind;
	pid_t pid;                /**< NP_TARGET_PID: the process; SELF: set to getpid() */
	/**
	 * NP_TARGET_PID: the start time it must have (0: any), so that a pid read earlier and
	 * reused since is not placed; after np_target_read(): its start time (SELF too).
	 */
	uint64_t start_time;
	char *const *argv;        /**< SELF: the command about to be executed (recorded) */
	/* filled by np_target_read() (np_target_release() frees them) */
	int read;                 /**< 1 once read */
	struct np_process process; /**< NP_TARGET_PID: /proc/PID/stat (pid 0 while unread) */
	struct np_node_bytes *resident; /**< NP_TARGET_PID: resident memory per node */
	int nresident;
	char *cmdline;            /**< its command line as text (shell-quoted where needed) */
	/**
	 * NP_TARGET_CGROUP: the group, absolute under the cgroup2 mount or relative to it, and the
	 * directory holding proc/self/mountinfo and the mount (NULL: "/"; a plain-file tree in tests;
	 * NP_TARGET_SELF with NP_PLACE_SCOPE: it also holds proc/self/cgroup, this process's group)
	 */
	const char *cgroup;
	const char *root;
	enum np_group_name cgroup_name; /**< what `cgroup` is: a path (0) or a name */
	/*
	 * NP_TARGET_CGROUP, filled by np_target_read(): resident above is memory.numa_stat's;
	 * the path, mount and id also for NP_TARGET_SELF's group made by NP_PLACE_SCOPE
	 */
	char *cgroup_path;        /**< relative to the mount ("system.slice/web.service") */
	char *cgroup_mount;       /**< the mount ("/sys/fs/cgroup") */
	uint64_t cgroup_id;       /**< the inode of its directory (a new group, a new id) */
	uint64_t memory_current;  /**< memory.current */
	unsigned cpu_max_vcpus;   /**< cpu.max's quota / period rounded up; 0: no limit */
	uint64_t cpu_usage_usec;  /**< cpu.stat's usage_usec; 0: no cpu.stat */
	unsigned threads;         /**< threads of the group and the groups below it */
	unsigned nprocs;          /**< their processes */
	void *group;              /**< private: the open group and what its cpuset replaced */
};

/**
 * The groups below the cgroup2 mount of `root` (NULL: "/"; a plain-file tree in tests) whose
 * path relative to the mount matches the fnmatch(3) pattern `glob` with FNM_PATHNAME: a '*'
 * does not cross a '/', so machine.slice/ and a star are the groups right below
 * machine.slice. The hierarchy is walked 16 levels deep, symlinks not followed; a group
 * removed meanwhile, or one this user may not list, is left out. Returns the count and
 * *ret_paths (sorted; np_cgroup_paths_free()), or -EINVAL (an empty pattern), -ENODEV no
 * cgroup2 mount, -EMEDIUMTYPE cgroup v1 only, -ENOMEM, other -errno of the walk
 * (np_last_error() says).
 */
int np_cgroup_glob(const char *root, const char *glob, char ***ret_paths);
/** Free `n` paths of np_cgroup_glob() and the array; NULL is a no-op. */
void np_cgroup_paths_free(char **paths, unsigned n);

/** Zero every field (kind NP_TARGET_SELF). */
void np_target_init(struct np_target *target);
/**
 * Free what np_target_read() filled in and zero it (kind, pid, argv, cgroup, root and
 * cgroup_name stay), and what np_place() holds of a SELF target's NP_PLACE_SCOPE group (freed,
 * the group left as it is); idempotent.
 */
void np_target_release(struct np_target *target);

/**
 * Read the target's identity and what it holds. SELF: this process's pid and start time.
 * PID: /proc/PID/stat (into target->process, even when refused), its resident memory per node
 * (numa_maps) and its command line (the name of a process without one). A second call does
 * nothing. Returns 0; -ESRCH no such process (process.pid stays 0), a zombie (process.state Z
 * or X), gone before its memory was read, or a start time other than target->start_time;
 * -EINVAL a kernel thread (process.kernel_thread) or pid <= 0; -EPERM the process of another
 * user while the caller's real uid is not 0 (process.uid is its owner); -EACCES its numa_maps
 * may not be read; -EBADMSG, -ENOMEM.
 * CGROUP: the group found by its name (cgroup_name; -ENOENT none, -ENOTUNIQ more than one,
 * listed in the message), opened below its mount and checked (it can be given a cpuset by this
 * caller), then memory.current, memory.numa_stat (resident), cpu.max, its threads and
 * processes; np_last_error() names what was wrong: -ENODEV no cgroup2 mount, -EMEDIUMTYPE
 * cgroup v1 only, -EXDEV a path outside the mount, -ELOOP a symlink on the way, -ENOENT no
 * such group (or it vanished), -EINVAL the root group or a threaded one, -EOPNOTSUPP the
 * cpuset controller not offered, -EACCES not root and not delegated; -EBADMSG, -ENOMEM.
 */
int np_target_read(struct np_target *target);

/** Flags of struct np_place_req. */
enum np_place_flags {
	/** Decide and report, change nothing (the transaction is rolled back; nothing bound). */
	NP_PLACE_DRY_RUN = 1u << 0,
	/**
	 * Nothing fits, or nodes given hold less memory free than asked: place nothing (result
	 * NP_PLACE_NO_FIT or NP_PLACE_SHORT with applied 0). Without it, nodes given short of memory
	 * are used anyway (an even split) and a SELF target for which nothing fits runs unplaced
	 * (recorded with strategy "unplaced"). A running process for which nothing fits is never
	 * placed.
	 */
	NP_PLACE_REQUIRE = 1u << 1,
	/**
	 * NP_TARGET_PID: move its pages to the chosen nodes after the commit (a dry run counts).
	 * A group's pages always move (writing cpuset.mems migrates them); its migration is reported
	 * with or without this flag.
	 */
	NP_PLACE_MIGRATE = 1u << 2,
	/**
	 * Memory = the target's resident memory (NP_TARGET_PID; a group's memory.current), not
	 * request.memory_bytes.
	 */
	NP_PLACE_MEASURE_MEMORY = 1u << 3,
	/** A recorded target keeps its recorded strategy (a rebalancer's move). */
	NP_PLACE_KEEP_STRATEGY = 1u << 4,
	/**
	 * Record NP_WORKLOAD_PIN_VCPUS: its QEMU vCPU threads are (to be) pinned one to a CPU of
	 * the placement (np_qemu_pin_vcpus(), which np_place() does not call) and the daemon keeps
	 * them pinned. Recorded with a new row: a recorded target, moved, keeps the flags it
	 * had (np_ledger_move() does not change them).
	 */
	NP_PLACE_PIN_VCPUS = 1u << 5,
	/**
	 * NP_TARGET_SELF (run --scope; docs/cgroups.md): the command starts in a cgroup v2 group
	 * of its own, `<name>.scope` below scope_parent (`run-<pid>.scope` without a valid name),
	 * found under target->root. Bound in this order: the group made (the parent too when
	 * missing), +memory (where offered) and +cpuset enabled in the ancestors that lack them,
	 * cpuset.cpus (the CPUs, with NP_CPU_BINDING_STRICT) and cpuset.mems (the nodes with
	 * memory), this process moved into it (cgroup.procs), then its affinity and memory policy.
	 * Nothing fits: the group is made and entered, its cpuset left as its parent's. Recorded as
	 * NP_WORKLOAD_SCOPE with the group's path and id (target->cgroup_path, cgroup_id), and
	 * pruned with its group once the group holds no process. Any failure before the commit
	 * moves this process back and puts the hierarchy back as it was.
	 */
	NP_PLACE_SCOPE = 1u << 6,
};

/** What to place and how. */
struct np_place_req {
	/**
	 * What the search looks for. vcpus 0: NP_TARGET_PID's threads, at most the host's CPUs
	 * (SELF: 1; a group: cpu.max's CPUs, else its threads).
	 */
	struct np_request request;
	struct np_search_opts search;
	/**
	 * Nodes, CPUs or both given (--nodes, --cpus, a rebalancer's decision); NULL: search. Given
	 * one, the other is derived (the nodes' CPUs, the CPUs' nodes). Recorded with strategy
	 * "explicit".
	 */
	hwloc_const_nodeset_t nodes;
	hwloc_const_cpuset_t cpus;
	/**
	 * SELF: how to bind (a PID target is always bound strictly; its policy is left alone).
	 * NP_CPU_BINDING_EXCLUSIVE, for every target: whole cores are searched for
	 * (request.exclusive) and the target is bound to them alone; with nodes or CPUs given,
	 * they are searched for among those.
	 */
	enum np_cpu_binding binding;
	enum np_mem_policy policy;
	const char *name;   /**< the name to record (NULL: the ledger's "<command>-<pid>") */
	/**
	 * A recorded target's move row says "<origin>: <reason>"; reason NULL: "nodes A -> B, cpus
	 * C -> D". NULL origin: "place".
	 */
	const char *origin;
	const char *reason;
	unsigned flags;     /**< enum np_place_flags */
	/**
	 * The devices request.near_nodes are the nodes of, as the caller named them
	 * (comma-separated, "eth1,0000:3b:00.0"; NULL: none). Recorded with the nodes
	 * (np_workload.near, near_devices) so that a later move keeps them; a recorded target
	 * placed again without near nodes keeps the recorded ones.
	 */
	const char *near_devices;
	/**
	 * NP_PLACE_SCOPE: the group to make the command's group in, absolute under the cgroup2
	 * mount or relative to it (NULL: "numaplace.slice"); made when missing (its own parent must
	 * exist), and removed again when the placement fails.
	 */
	const char *scope_parent;
};

/** Set every field to its default (np_request_init(), np_search_opts_init(), no flags). */
void np_place_req_init(struct np_place_req *req);

/** Whether the placement fits. */
enum np_place_fit {
	NP_PLACE_FITS = 0, /**< the claim fits the chosen nodes' free memory */
	NP_PLACE_SHORT,    /**< nodes given hold less free than asked: split evenly there */
	NP_PLACE_NO_FIT,   /**< the search found no candidate (see np_placement.reason) */
};

/** The step of np_place() that failed. */
enum np_place_step {
	NP_PLACE_STEP_NONE = 0,
	NP_PLACE_STEP_TARGET, /**< np_target_read() */
	NP_PLACE_STEP_LEDGER, /**< begin, load, the target's row */
	NP_PLACE_STEP_SEARCH, /**< np_search() */
	NP_PLACE_STEP_CLAIM,  /**< the claim, the texts to record (-ENOMEM) */
	NP_PLACE_STEP_BIND,   /**< np_apply() */
	NP_PLACE_STEP_RECORD, /**< np_ledger_insert() or np_ledger_move() (a group's cpuset put
				   back) */
	NP_PLACE_STEP_COMMIT, /**< np_ledger_commit() */
	/**
	 * NP_PLACE_SCOPE: making the group, giving it its cpuset or entering it (np_last_error()
	 * names the group and the file; target->cgroup_path the group once named)
	 */
	NP_PLACE_STEP_SCOPE,
};

/** A migration and what it did, from numa_maps before and after. */
struct np_migration {
	int done;                     /**< migrate_pages() was tried (not a dry run) */
	struct np_node_bytes *after;  /**< resident per node after (owned) */
	int nafter;
	uint64_t to_move;   /**< resident off the target's nodes before */
	uint64_t stuck;     /**< resident off them after */
	long kernel_failed; /**< pages migrate_pages() reported it could not move */
	int err;            /**< -errno when the migration or the second read failed (-ESRCH: gone) */
};

/** What np_place() did: everything the commands print. np_placement_release() frees it. */
struct np_placement {
	enum np_place_fit fit;
	int applied;           /**< bound, recorded and committed */
	hwloc_bitmap_t nodes;  /**< the chosen nodes (empty: unplaced) */
	hwloc_bitmap_t cpus;   /**< their CPUs (bound to) */
	/** NP_CPU_BINDING_EXCLUSIVE: the CPUs granted (= cpus; recorded); else empty */
	hwloc_bitmap_t exclusive;
	/**
	 * The nodes the memory is claimed and bound on: those of `nodes` with memory, or with
	 * request.memory_nodes those of `nodes` in it or in request.spill_nodes
	 */
	hwloc_bitmap_t memory_nodes;
	uint64_t memory_bytes; /**< the memory placed (measured or requested) */
	unsigned vcpus;
	int vcpus_capped;      /**< the threads were more than the host's CPUs */
	uint64_t free_bytes;   /**< NP_PLACE_SHORT: what the nodes given have free */
	struct np_node_bytes *claimed; /**< the claim per node, sorted by node (owned) */
	unsigned nclaimed;
	char *reason;          /**< why these nodes (the plan's reason, "nodes given by hand"),
				    or why nothing fits */
	char *name;            /**< the name recorded (a moved target's own; NULL when none) */
	int moved;             /**< it was in the ledger: moved, its row kept */
	struct np_workload was; /**< moved: its row before */
	/** moved: its memory policy (set by run) names nodes other than the new ones */
	int policy_stale;
	enum np_mem_policy policy; /**< the policy in effect (SELF; NONE for a PID) */
	unsigned threads;      /**< NP_TARGET_PID: its threads after binding */
	struct np_migration migration;
	enum np_place_step failed; /**< where a failure stopped */
};

void np_placement_init(struct np_placement *p);
/** Free what the fields own and zero them; idempotent. */
void np_placement_release(struct np_placement *p);

/**
 * Place `target` on `host`: np_target_read() when not yet read; begin the ledger's transaction
 * (or run in the one the caller has open); the load, with a running process's own memory and
 * recorded claim given back; the search or the nodes given and their claim; then, unless a dry
 * run or nothing fits, bind, record (insert, or a move of the target's row), commit and, with
 * NP_PLACE_MIGRATE, migrate. `ledger` NULL: nothing placed yet, a dry run only (-EINVAL
 * otherwise). The transaction is closed on return: committed when applied, else rolled back.
 * Returns 0 with *ret filled (also when nothing fits: ret->fit, ret->applied); or a negative
 * errno with ret->failed naming the step (np_last_error() says more for the ledger's):
 * the errors of np_target_read(), np_ledger_begin(), np_search(), np_apply() (-ESRCH: the
 * process exited), np_ledger_insert() (-EINVAL a bad name, -EEXIST a name taken),
 * np_ledger_move(), np_ledger_commit(); -ENOMEM. A migration's failure is not one: see
 * ret->migration.err. `ret` must be np_placement_init()ed; on failure it holds what was
 * found before the step that failed.
 */
int np_place(const np_host *host, np_ledger *ledger, struct np_target *target,
	     const struct np_place_req *req, struct np_placement *ret);

/**
 * After np_place() applied NP_PLACE_SCOPE and the command could not be executed: move this
 * process back to the group it came from and remove the group made for it (not its parent nor
 * the controllers enabled: other groups may have come to rely on them since the commit).
 * Returns 0 (also when there is no such group), or -errno with np_last_error() naming the
 * group; the group then stays, and the ledger prunes it once it is empty.
 */
int np_target_scope_leave(struct np_target *target);

#ifdef __cplusplus
}
#endif

#endif /* NUMAPLACE_H */
