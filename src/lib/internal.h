/*
 * internal.h - what the library's modules share and the public header does not show.
 * Tests may include it; the CLI and other toolstacks must not.
 */
#ifndef NUMAPLACE_INTERNAL_H
#define NUMAPLACE_INTERNAL_H

#include "numaplace.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define NP__LOCAL_DISTANCE 10
#define NP__REMOTE_DISTANCE 20
#define NP__MAX_NODE_ID 65535u

struct np_host {
	hwloc_topology_t topo;      /* NULL for built and NP_HOST_FAST snapshots */
	unsigned nnodes;
	struct np_node *nodes;      /* sorted by id */
	hwloc_bitmap_t *node_cpus;  /* owned storage behind nodes[i].cpuset */
	hwloc_bitmap_t *node_shared; /* owned storage behind nodes[i].shared_cpuset */
	struct np_hugepages *hp;    /* owned storage behind nodes[i].hugepages */
	unsigned *dist;             /* nnodes * nnodes, row-major by index */
	bool dist_assumed;
	bool free_assumed;          /* on some node */
	unsigned ncpus;
	struct np_cpu *cpus;        /* sorted by cpu; then the reserved ones (nreserved_cpus) */
	unsigned nreserved_cpus;    /* np_host_reserve(): facts kept after cpus[ncpus - 1] */
	hwloc_bitmap_t cpuset;      /* union of node cpusets */
	hwloc_bitmap_t shared;      /* CPUs listed by more than one node */
	hwloc_bitmap_t nodeset;     /* all node ids */
	int *idx_of_id;             /* max_id + 1 entries, -1 where no node */
	unsigned max_id;
	hwloc_bitmap_t reserved;    /* np_host_reserve(): removed CPUs (NULL: none) */
	hwloc_bitmap_t *node_reserved; /* storage behind nodes[i].reserved (NULL: none) */
};

struct np_load {
	const struct np_host *host;
	uint64_t *free;   /* per node index */
	uint64_t *vcpus;  /* per node index */
	hwloc_bitmap_t held; /* CPUs held by exclusive claims */
};

/* What a loader knows besides the node specs, for np__host_build(). */
struct np__build_extra {
	const struct np_cpu *cpus; /* core/socket per CPU (NULL: unknown) */
	unsigned ncpus;
	const bool *free_assumed;  /* per entry of `nodes`: no free memory given (NULL: none) */
	hwloc_topology_t topo;     /* owned by the snapshot on success (may be NULL) */
};

/*
 * Build a host from node specs and what else the loader knows (`extra`, may be NULL). Used by
 * every loader; np_host_build() is this after checking that no CPU is in two nodes. A CPU that
 * several specs list belongs to the lowest node id among them; the others record it in their
 * shared_cpuset. Returns 0, -EINVAL (see np_host_build()), -E2BIG (more than NP_HOST_MAX_NODES
 * nodes or NP_HOST_MAX_PUS CPUs) or -ENOMEM.
 */
int np__host_build(unsigned nnodes, const struct np_node_spec *nodes, const unsigned *distances,
		   const struct np__build_extra *extra, np_host **ret_host);

/*
 * Room for one more element in an array `arr` of `n` used of *cap elements of `size` bytes:
 * arr itself while there is room, else arr grown to twice its capacity (`first` when empty).
 * NULL when out of memory (arr and *cap untouched, arr still the caller's).
 */
static inline void *np__grow(void *arr, unsigned n, unsigned *cap, size_t size, unsigned first)
{
	unsigned c;
	void *na;

	if (n < *cap)
		return arr;
	c = *cap ? *cap * 2 : first;
	if (c <= *cap || c > SIZE_MAX / size)
		return NULL;
	na = realloc(arr, c * size);
	if (na)
		*cap = c;
	return na;
}

/* Record the text np_last_error() returns (printf-like). Thread-local. */
void np__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void np__clear_error(void);

/* ---- Host loaders (host-sysfs.c, host-hwloc.c) and the kernel-file parsers (parse.c) ---- */

/*
 * Check that text (len bytes and a final '\0') is a well-formed XML document whose root is
 * <topology>, and normalise in place what hwloc's minimal parser does not read (host-xml.c;
 * *len may shrink). Returns 0, or -EBADMSG with the error naming path, the line and what.
 */
int np__xml_check_syntax(const char *path, char *text, size_t *len);

/* Highest CPU number a parser accepts (far above any kernel's NR_CPUS). */
#define NP__MAX_CPU_ID 1048575u

/*
 * Why a kernel-file parser failed: a static text and the 1-based line it concerns (0: the text
 * as a whole). The loaders turn it into np_last_error().
 */
struct np__parse_error {
	const char *what;
	unsigned line;
};

/* What np__meminfo_parse() takes from a meminfo file, in bytes. */
struct np__meminfo {
	uint64_t total;         /* MemTotal */
	uint64_t free;          /* MemFree; 0 when absent */
	uint64_t inactive_file; /* Inactive(file); 0 when absent */
	bool has_free;          /* some firmware and fake NUMA machines give MemTotal alone */
	bool has_inactive_file; /* kernels before 2.6.28 lack the line */
};

/*
 * Parse sys/devices/system/node/nodeN/meminfo ("Node N Key:   value kB" lines) for node `node`,
 * or /proc/meminfo ("Key:   value kB") when node < 0. Every line must have that form (blank
 * lines are accepted: old kernels start with one); MemTotal is required, MemFree and
 * Inactive(file) are optional (has_free, has_inactive_file).
 * Returns 0 and *ret_info; -EBADMSG (form, missing or repeated line, other node's id) or
 * -ERANGE (a value overflows 64 bits in bytes). *err (may be NULL) is set on failure only.
 */
int np__meminfo_parse(const char *text, int node, struct np__meminfo *ret_info,
		      struct np__parse_error *err);

/*
 * Parse a nodeN/distance row ("10 21 21 10\n") of exactly `count` numbers separated by single
 * spaces, each in 1..65535. Returns 0 and fills ret_row[count]; -EBADMSG or -ERANGE.
 */
int np__distance_parse(const char *text, unsigned count, unsigned *ret_row,
		       struct np__parse_error *err);

/*
 * Parse a kernel hex CPU mask ("0000,00000011,11111111\n": 32-bit words, most significant
 * first; the first word has 1 to 8 digits, the others 8). Returns 0 and replaces the content
 * of ret_set; -EBADMSG or -ERANGE (a CPU above NP__MAX_CPU_ID).
 */
int np__cpumap_parse(const char *text, hwloc_bitmap_t ret_set, struct np__parse_error *err);

/*
 * Parse a kernel CPU or node list as sysfs prints it: np_list_parse() syntax, or an empty text
 * ("" or "\n": an empty set, as a CPU-less node's cpulist). Returns 0, -EBADMSG or -ERANGE.
 */
int np__kernel_list_parse(const char *text, unsigned max_id, hwloc_bitmap_t ret_set,
			  struct np__parse_error *err);

/* Parse one decimal count ("512\n"), as nr_hugepages. Returns 0, -EBADMSG or -ERANGE. */
int np__count_parse(const char *text, uint64_t *ret_count, struct np__parse_error *err);

/*
 * Parse a nodeN/numastat file of node `node` (numastat.c has the form). Returns 0 and
 * *ret_stat; -EBADMSG or -ERANGE, *err (may be NULL) set.
 */
int np__numastat_parse(const char *text, unsigned node, struct np_numastat *ret_stat,
		       struct np__parse_error *err);

/*
 * Every sysfs/proc read goes through a directory fd of the root ("/" for the live host, a
 * captured tree otherwise) and a path relative to it ("sys/devices/system/node/online").
 */
struct np__root {
	int fd;
	const char *path; /* as given, for messages ("/" for the live host) */
};

/* Open the root directory. Returns 0, or -ENOENT / -ENOTDIR / ... with the error recorded. */
int np__root_open(const char *path, struct np__root *ret_root);
void np__root_close(struct np__root *root);

/*
 * Read a whole file below the root into a NUL-terminated heap buffer (free() it).
 * Returns the length, or -errno (-ENOENT when missing). Records an error naming the file
 * unless `quiet_enoent` and the file is missing.
 */
/*
 * Read all of `rel` (relative to `dirfd`) into a NUL-terminated heap buffer. Returns its length
 * or -errno (-EFBIG past `max` bytes); *ret_text is set only on success. Sets no message.
 */
ssize_t np__read_at(int dirfd, const char *rel, size_t max, char **ret_text);
ssize_t np__root_read(const struct np__root *root, const char *rel, bool quiet_enoent,
		      char **ret_text);

/*
 * A host from the node facts of a sysfs tree (NP_HOST_FAST, and hwloc's loads of sysfs trees,
 * which take the nodes from the kernel's files rather than from hwloc: hwloc drops nodes whose
 * CPUs another node lists). A node's CPUs are its cpulist within `allowed_cpus` (NULL: all);
 * a node outside `allowed_mems` (NULL: all) has no memory; without NP_HOST_WHOLE_SYSTEM a node
 * with neither CPUs nor memory is left out. A tree without node/ or without any nodeN folder
 * is one node 0 (the online CPUs, proc/meminfo). Returns 0, -errno with the error recorded.
 */
int np__sysfs_host_build(const struct np__root *root, unsigned flags,
			 hwloc_const_bitmap_t allowed_cpus, hwloc_const_bitmap_t allowed_mems,
			 const struct np__build_extra *extra, np_host **ret_host);

/* -E2BIG (error recorded) when the tree lists more than NP_HOST_MAX_NODES nodes; else 0. */
int np__sysfs_size_check(const struct np__root *root);

/* The online CPUs (sys/devices/system/cpu/online); 0, 1 when the file is missing, or -errno. */
int np__online_cpus_read(const struct np__root *root, hwloc_bitmap_t ret_cpus);

/* True when hwloc 2.9 would abort on the tree: a node/ folder without online or nodeN. */
bool np__root_breaks_hwloc(const struct np__root *root);

/*
 * Count the PUs, objects and NUMA nodes an hwloc synthetic description asks for, without
 * building them (host-limits.c). Returns 0, or -E2BIG past NP_HOST_MAX_PUS, _OBJECTS or _NODES
 * with the error recorded. A description it cannot read is hwloc's to refuse: 0.
 */
int np__synthetic_check(const char *desc);

/* Create and load the hwloc topology of `src` (host-hwloc.c). Records the error on failure. */
int np__topology_load(const struct np_source *src, hwloc_topology_t *ret_topo);
/* Core and socket of every PU of `topo` (heap array). */
int np__cpu_facts(hwloc_topology_t topo, struct np_cpu **ret_cpus, unsigned *ret_n);
/* An XML or synthetic source (host-objects.c). */
int np__host_load_objects(const struct np_source *src, np_host **ret_host);

/* The NP_HOST_FAST loader: node-level facts straight from sysfs below `root_path`. */
int np__host_load_fast(const char *root_path, unsigned flags, np_host **ret_host);

/* ---- The ledger's seam: what it stores (ledger/) and what it is told of processes (live/) ---- */

/* What became of the process of a ledger row, as a probe sees it. */
enum np__liveness {
	NP__ALIVE = 0,  /* still the workload, or no evidence either way: the claim stays */
	NP__EXITED,     /* gone, or a zombie (its memory is given back) */
	NP__PID_REUSED, /* the pid names another process now (another start time) */
	NP__GROUP_RECREATED, /* a group of that path with another cgroup id (made again) */
};

/*
 * How the ledger learns about the processes behind its rows. The ledger stores and does not
 * probe: np_ledger_open() (live/ledger-probe.c) gives it one that reads /proc below the
 * options' proc_root; the unit tests give it a table, and need no /proc at all.
 */
struct np__ledger_probe {
	/* enum np__liveness of the process (pid, start_time), or -ENOMEM (nothing decided) */
	int (*liveness)(void *arg, pid_t pid, uint64_t start_time);
	/*
	 * Memory of `pid` resident per node: the count and *ret_nodes (sorted by node, free()),
	 * -ENOENT or -ESRCH when the process is gone, -ENOMEM; any other error counts nothing
	 * as resident.
	 */
	int (*resident)(void *arg, pid_t pid, struct np_node_bytes **ret_nodes);
	/*
	 * Whether the caller may drop `pid`'s claim: 0; -EPERM with *ret_uid its owner
	 * ((uid_t)-1 when unknown); -ENOENT gone; -ENOMEM (as np__proc_may_manage()).
	 */
	int (*may_manage)(void *arg, pid_t pid, uid_t *ret_uid);
	/*
	 * The group kinds (NULL: every group is alive, holds nothing and may be managed).
	 * group_liveness: enum np__liveness of the group at `path` (relative to the cgroup2 mount)
	 * recorded with cgroup id `id`: NP__EXITED when it is gone or, `scope` (run --scope's
	 * own group), holds no process any more (the probe then removes the empty directory);
	 * NP__GROUP_RECREATED another id; or -ENOMEM. group_resident: memory.numa_stat per node
	 * (as resident above). group_may_manage: as may_manage, the group directory's owner.
	 */
	int (*group_liveness)(void *arg, const char *path, uint64_t id, bool scope);
	int (*group_resident)(void *arg, const char *path, struct np_node_bytes **ret_nodes);
	int (*group_may_manage)(void *arg, const char *path, uid_t *ret_uid);
	/*
	 * Remove the run --scope group at `path` with id `id` once its claim is forgotten (NULL:
	 * nothing removed): 0 removed, gone or another group now; -EBUSY it holds a process (it
	 * stays); other -errno.
	 */
	int (*group_remove)(void *arg, const char *path, uint64_t id);
	void (*release)(void *arg); /* by np_ledger_close(); NULL: nothing to release */
	void *arg;
};

/*
 * np_ledger_open() with the probe given (copied). On success the ledger owns probe->arg and
 * np_ledger_close() releases it; on failure the caller still does. -EINVAL when a callback
 * other than release is NULL.
 */
int np__ledger_open(const char *dir, const struct np_ledger_opts *opts,
		    const struct np__ledger_probe *probe, np_ledger **ret_ledger);

/*
 * The checks an XML file passes before hwloc reads it (hwloc 2.9 crashes on some malformed
 * files; host-hwloc.c). 0 with *ret_text (the checked, normalised bytes for
 * hwloc_topology_set_xmlbuffer(), *ret_len of them and a final '\0'; free() it), or -errno
 * with the error recorded.
 */
int np__xml_check(const char *path, char **ret_text, size_t *ret_len);

#endif /* NUMAPLACE_INTERNAL_H */
