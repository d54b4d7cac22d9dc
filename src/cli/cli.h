/*
 * cli.h - what the numaplace(1) commands share: exit codes, messages, host source options,
 * JSON output.
 */
#ifndef NUMAPLACE_CLI_H
#define NUMAPLACE_CLI_H

#include "config.h"
#include "numaplace.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes (documented in numaplace(1)). */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_NOFIT 3 /* no placement fits the request */

/* "numaplace: <message>" on stderr, git style: lowercase, subject quoted, no full stop. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "numaplace <cmd>: <message>" plus "try 'numaplace <cmd> --help'"; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Options that choose where the host snapshot comes from, shared by info, plan, simulate. */
struct cli_host_opts {
	struct np_source src;
	bool source_given;
};

/*
 * Try to consume one host-source option at argv[*i] (--topology FILE, --synthetic DESC,
 * --sysfs-root DIR, --whole-system, --memfree-only, and the --opt=value forms). Returns 1 if
 * consumed (advancing *i past a separate value), 0 if argv[*i] is not one of them, or
 * -EXIT_USAGE after printing a usage error for `cmd`.
 */
int cli_host_option(const char *cmd, int argc, char **argv, int *i, struct cli_host_opts *o);
/* Help text lines for the options above. */
extern const char cli_host_options_help[];

/*
 * np_host_load() and then np_host_reserve() of the configuration's reserved-cpus: the snapshot
 * every command places on. Prints nothing; returns 0 or a negative errno (-ENODEV with
 * np_last_error() empty: every usable CPU is reserved).
 */
int cli_host_read(const struct np_source *src, np_host **ret_host);
/* cli_host_read(), printing a clear error on failure. Returns 0 or EXIT_FAIL. */
int cli_host_load(const struct cli_host_opts *o, np_host **ret_host);

/* Value of an option given as "--name VALUE" or "--name=VALUE"; NULL if argv[*i] is not it. */
const char *cli_opt_value(const char *cmd, const char *name, int argc, char **argv, int *i,
                          int *ret_err);

/* Parse helpers that print a clear error naming the option. Return 0 or EXIT_USAGE. */
int cli_parse_size(const char *cmd, const char *opt, const char *s, uint64_t *ret);
int cli_parse_uint(const char *cmd, const char *opt, const char *s, unsigned min, unsigned max,
                   unsigned *ret);

/* Node set and CPU set as kernel list strings ("0-3,8"); caller frees. */
char *cli_list_string(hwloc_const_bitmap_t set);
/*
 * `s` fit for a message: in single quotes, newline, tab, quote and backslash escaped (\n, \t,
 * \', \\), other control characters as \xNN, and when longer than `max` bytes cut there and
 * followed by "... (N bytes)", never within a UTF-8 sequence. Caller frees; NULL on ENOMEM.
 */
char *cli_quote(const char *s, size_t max);
/* A JSON array of the set's members. */
json_t *cli_json_int_array(hwloc_const_bitmap_t set);
/*
 * Print the object `j` (compact=false: indented) with a newline and release it; the document
 * printed starts with "version": CLI_JSON_VERSION, then j's keys in order (docs/json.md).
 * Returns 0 or EXIT_FAIL.
 */
#define CLI_JSON_VERSION 1
int cli_json_print(json_t *j, bool compact);

/*
 * --near DEVICE and --near-prefer DEVICE (cli-devices.c): the devices named, resolved to
 * their nodes for the request (docs/devices.md). Devices are read only when one is named.
 */
#define CLI_NEAR_MAX 16
struct cli_near {
	unsigned n;
	const char *text[CLI_NEAR_MAX];            /* as given */
	bool prefer[CLI_NEAR_MAX];                 /* --near-prefer */
	const struct np_device *dev[CLI_NEAR_MAX]; /* resolved, owned by `devices` */
	np_devices *devices;
	hwloc_bitmap_t near_nodes, prefer_nodes;
	char *required; /* the --near devices as given, comma-separated (recorded), or NULL */
};
/* Consume --near or --near-prefer at argv[*i]: 1, 0 (not one), -EXIT_USAGE. */
int cli_near_option(const char *cmd, int argc, char **argv, int *i, struct cli_near *o);
/*
 * Read the devices of `src` (NULL: this host), find each one named and set req->near_nodes
 * and req->prefer_nodes (owned by `o`). An unknown or ambiguous device, one without a node
 * or on a node `h` lacks is a usage error naming it. Returns 0, EXIT_USAGE or EXIT_FAIL.
 */
int cli_near_resolve(const char *cmd, const struct np_source *src, const np_host *h,
                     struct cli_near *o, struct np_request *req);
/* "near: eth1 (0000:09:02.0, network) on node 1, required" per device, for --explain. */
void cli_near_explain(const struct cli_near *o, FILE *f);
json_t *cli_near_json(const struct cli_near *o);
void cli_near_release(struct cli_near *o);

/*
 * --memory-spill TIER and --memory-kind KIND (cli-devices.c): the request's spill nodes (the
 * nodes without CPUs of that kind or tier), its allowed nodes narrowed to DRAM (dram) or its
 * memory nodes (hbm: the HBM nodes).
 */
struct cli_memory {
	const char *spill; /* --memory-spill: far, cxl, hbm, gpu, or a tier number */
	const char *kind;  /* --memory-kind: dram, hbm, any */
	np_memory *memory;
	hwloc_bitmap_t spill_nodes, kind_nodes;
	unsigned *costs; /* HMAT in place of SLIT (np_memory_costs()), or NULL */
};
/*
 * Fill req from the memory tiers of `src` (NULL: this host): the spill nodes and DRAM nodes
 * when asked for (an unreadable tier is then an error), and always the HMAT costs where the
 * firmware gives them (best effort). 0, EXIT_USAGE or EXIT_FAIL.
 */
int cli_memory_resolve(const char *cmd, const struct np_source *src, const np_host *h,
                       struct cli_memory *o, struct np_request *req);
void cli_memory_release(struct cli_memory *o);
/*
 * The nodes of one memory kind into `nodes`: NP_MEMORY_HBM adds the HBM nodes of `memory`,
 * NP_MEMORY_DRAM takes out every node that is not DRAM (NULL memory: no change).
 */
void cli_memory_kind_nodes(const np_memory *memory, enum np_memory_kind kind,
                           hwloc_bitmap_t nodes);
/* Consume --memory-spill or --memory-kind at argv[*i]: 1, 0 (not one), -EXIT_USAGE. */
int cli_memory_option(const char *cmd, int argc, char **argv, int *i, struct cli_memory *o);
/*
 * With memory nodes (--memory-kind hbm), for --explain: "memory: HBM node 2 holds the memory
 * (HBM nodes of this host: 2-3); the CPUs are node 0's".
 */
void cli_memory_explain(const struct np_request *req, const struct np_candidate *best, FILE *f);
/* The best set's nodes that hold the memory (memory and spill nodes), a JSON array. */
json_t *cli_memory_nodes_json(const struct np_request *req, const struct np_candidate *best);
/*
 * A placement whose memory goes on some of its nodes only (--memory-kind hbm): "memory_nodes"
 * into `j`, and " (memory on node 2)" into buf (else ""), for place's outputs.
 */
void cli_placement_memory(const struct np_placement *p, json_t *j, char *buf, size_t len);

/* Request options shared by plan, run and simulate. */
struct cli_request_opts {
	uint64_t memory;
	bool memory_given;
	unsigned vcpus; /* 0: not given */
	unsigned min_nodes, max_nodes;
	const char *nodes; /* --nodes LIST, resolved against the host later */
	const char *cpus;  /* --cpus LIST */
	uint64_t hugepage_size, hugepage_count;
	struct np_search_opts search;
	unsigned keep;               /* --keep N: candidates listed by --explain */
	struct cli_near near;        /* --near, --near-prefer */
	struct cli_memory mem;       /* --memory-spill, --memory-kind */
	const struct np_source *src; /* where --near's devices are read (NULL: this host) */
};
void cli_request_opts_init(struct cli_request_opts *o);
/* Free what cli_request_build() resolved for --near; idempotent. */
void cli_request_opts_release(struct cli_request_opts *o);
/*
 * Try to consume one request option at argv[*i]: --memory SIZE, --vcpus N, --strategy NAME,
 * --min-nodes N, --max-nodes N, --nodes LIST, --cpus LIST, --hugepages COUNTxSIZE, --near
 * DEVICE, --near-prefer DEVICE.
 * Returns 1 if consumed, 0 if not one of them, -EXIT_USAGE after a usage error.
 */
int cli_request_option(const char *cmd, int argc, char **argv, int *i, struct cli_request_opts *o);
extern const char cli_request_options_help[];
/*
 * Fill `req` from `o` for `host`: node and CPU lists are checked against the host (a node or
 * CPU that does not exist, or is not usable, is a clear error). `sets` receives the two
 * bitmaps the request points to (caller frees both). Returns 0 or EXIT_USAGE.
 */
int cli_request_build(const char *cmd, const np_host *host, struct cli_request_opts *o,
                      struct np_request *req, hwloc_bitmap_t sets[2]);

/*
 * {"nodes":[..],"cpus":"LIST","ncpus":N,"free_bytes":N,"placed_vcpus":N,"mean_distance":X}
 * (docs/json.md)
 */
json_t *cli_candidate_json(const struct np_candidate *c);

/*
 * The claims ledger. --state-dir DIR: returns 1 if argv[*i] was it (setting *dir), 0 if not,
 * -EXIT_USAGE after a usage error.
 */
int cli_state_option(const char *cmd, int argc, char **argv, int *i, const char **dir);
extern const char cli_state_options_help[];
/*
 * Open the ledger of `dir`, or when NULL of $NUMAPLACE_STATE_DIR, /run/numaplace for root,
 * $XDG_RUNTIME_DIR/numaplace for others. NP_LEDGER_NO_CREATE in flags: *ret_ledger = NULL
 * and 0 when there is no ledger yet. Prints the error; returns 0 or EXIT_FAIL.
 */
int cli_ledger_open(const char *dir, unsigned flags, np_ledger **ret_ledger);
/* The root holding the cgroup2 mount the ledgers opened after this call read (--cgroup-root). */
void cli_ledger_cgroup_root(const char *root);
/* That root: the one set above, else $NUMAPLACE_CGROUP_ROOT, else NULL ("/"). */
const char *cli_cgroup_root(void);
/*
 * The workloads of the ledger of `dir` (see cli_ledger_open(); never created here) into
 * *ret_list and *ret_n (np_workloads_free()): none when there is no ledger yet. Prints the
 * error; returns 0 or EXIT_FAIL.
 */
int cli_ledger_workloads(const char *dir, struct np_workload **ret_list, int *ret_n);
/* What the ledger holds on one node of a host. */
struct cli_node_claims {
	uint64_t claimed;     /* memory claimed by live workloads */
	uint64_t outstanding; /* of which not yet resident (what placement subtracts) */
	uint64_t vcpus;       /* vCPUs of live shared workloads placed on the node (as
	                         np_ledger_load() counts them: not those on exclusive cores) */
	unsigned workloads;   /* live workloads placed on the node */
};
/*
 * Read the ledger of `dir` (see cli_ledger_open(); never created here) for `host`: the load a
 * placement starts from (*ret_load, NULL when there is no ledger yet) and, when ret_claims is
 * not NULL, an array of np_host_nnodes() entries (caller frees); when ret_kinds is not NULL,
 * the live workloads of each kind in its NP_WORKLOAD_KIND_COUNT_ entries. Nothing is written.
 * Prints the error; returns 0 or EXIT_FAIL.
 */
int cli_ledger_load(const char *dir, const np_host *host, np_load **ret_load,
                    struct cli_node_claims **ret_claims, unsigned *ret_kinds);
/* What run and place hold while they place. cli_placing_init(), cli_placing_release(). */
struct cli_placing {
	np_host *host;
	hwloc_bitmap_t sets[2]; /* --nodes, --cpus as given */
	struct np_place_req req;
	struct np_target target;
	struct np_placement placement;
	np_ledger *ledger;
	struct cli_request_opts *ro; /* what --near and --memory-spill resolved, released here */
};
void cli_placing_init(struct cli_placing *c);
/*
 * Load the host of `ho`, fill c->req from `ro` for command `cmd` (one candidate kept, the nodes
 * or CPUs given, vCPUs 0 when not given) and open the ledger of `state_dir` with
 * `ledger_flags` (see cli_ledger_open()). Prints the error; returns 0, EXIT_USAGE or EXIT_FAIL.
 */
int cli_placing_prepare(struct cli_placing *c, const char *cmd, const struct cli_host_opts *ho,
                        struct cli_request_opts *ro, const char *state_dir, unsigned ledger_flags);
/* Close and free what `c` holds; idempotent. */
void cli_placing_release(struct cli_placing *c);
/*
 * Nodes given by hand (p->fit NP_PLACE_SHORT) have less memory free than asked: with `require`
 * an error ("no NUMA placement fits: nodes ...") and false, else a warning ending in `anyway`
 * and true.
 */
bool cli_short_said(const struct np_placement *p, bool require, const char *anyway);
/*
 * The message of an np_place() failure `r` at a step every command words alike (the ledger,
 * the record, the search, the claim), for command `cmd`; `name` is the --name given (a bad one
 * is a usage error). Returns EXIT_USAGE or EXIT_FAIL.
 */
int cli_place_failed(const char *cmd, const char *name, const struct np_placement *p, int r);

/* Bytes in base pages (sysconf(_SC_PAGESIZE)). */
uint64_t cli_pages(uint64_t bytes);

/* The options of `numaplace place` (cmd-place.c); a group is placed by cmd-place-cgroup.c. */
struct cli_place_opts {
	struct cli_host_opts host;
	struct cli_request_opts req;
	const char *name;
	const char *state_dir;
	pid_t pid;
	const char *cgroup; /* --cgroup PATH, or the name of --unit, --container, --vm */
	enum np_group_name cgroup_name;
	const char *cgroup_opt;  /* the option that gave it */
	const char *cgroup_root; /* --cgroup-root DIR */
	enum np_cpu_binding binding; /* --cpu-binding: strict or exclusive */
	bool migrate, dry_run, json;
	bool persist; /* --persist: the unit's systemctl set-property (--unit only) */
	bool pin; /* --pin-vcpus */
};
/* "exclusive_cpus": the CPUs granted, when there is a grant. */
void cli_json_exclusive(json_t *j, hwloc_const_cpuset_t exclusive);
/* place --cgroup: read, place and print the group. Returns the exit code. */
int cli_place_group(struct cli_place_opts *o, struct cli_placing *c);

/* place --unit --persist (cmd-place-persist.c): the systemctl command and whether it ran. */
struct cli_persist {
	int argc;
	char *argv[8];       /* NULL-terminated */
	char *text;          /* argv as one shell-quoted line */
	char *path;          /* the systemctl found (NULL: not looked for, or none) */
	bool user;           /* a unit of a user's manager (systemctl --user) */
	bool ran;            /* run; its exit status in `status` */
	int status;          /* -1 when not run */
	int error;           /* errno of a failed fork/wait (not run) */
	const char *not_run; /* why it was not run (NULL: it ran, or `error`) */
};
void cli_persist_init(struct cli_persist *ps);
void cli_persist_release(struct cli_persist *ps);
/* The command for the group of target t placed as p: 0 or -ENOMEM. */
int cli_persist_make(const np_host *h, const struct np_target *t, const struct np_placement *p,
                     struct cli_persist *ps);
/* Run it when systemd is the running init below `root` and systemctl is on the PATH. */
void cli_persist_run(struct cli_persist *ps, const char *root, bool dry_run);
/* The "persist: ..." line, the JSON object, and the error when it failed (the exit code). */
void cli_persist_text(const struct cli_persist *ps);
json_t *cli_persist_json(const struct cli_persist *ps);
int cli_persist_said(const struct cli_persist *ps);
/* Memory per node as JSON ([{"node":0,"bytes":N}]) and text ("0: 1.2 GiB, 1: 300 MiB"). */
json_t *cli_node_bytes_json(const struct np_node_bytes *a, int n);
void cli_node_bytes_text(const struct np_node_bytes *a, int n, char *buf, size_t len);
/* A migration: target->resident before, the nodes moved to. */
json_t *cli_migration_json(const struct np_migration *m, const struct np_target *t, bool dry_run);
void cli_migration_text(const struct np_migration *m, const struct np_target *t,
                        hwloc_const_nodeset_t target, bool dry_run);

/* Why a ledger call failed with `err`: the ledger's own message, else strerror(-err). */
const char *cli_ledger_why(int err);

/* PCI devices (cli-devices.c). Load printing the error: 0 or EXIT_FAIL. */
int cli_devices_load(const struct np_source *src, unsigned flags, np_devices **ret);
/* The devices table of info -n (node, device, kind, names); `full` adds class, local CPUs
 * and the pci.ids description (info --devices). */
void cli_devices_table(const np_devices *devs, bool full);
json_t *cli_devices_json(const np_devices *devs);
/* Memory kinds, tiers and HMAT figures: load printing the error (0 or EXIT_FAIL), info -n's
 * memory_tiers table (left out when every node is DRAM with nothing more known), JSON. */
int cli_memory_load(const struct np_source *src, const np_host *h, np_memory **ret);
void cli_memory_table(const np_memory *m);
json_t *cli_memory_json(const np_memory *m);

/* Commands. */
int cmd_info(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_place(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_stat(int argc, char **argv);
/* `complete names|nodes`: words for the shell completions */
int cmd_complete(int argc, char **argv);
/* numaplace run as `numad` (argv[0] ends in "numad"): answers `numad -w NCPUS[:MB]` */
int numad_main(int argc, char **argv);

/*
 * --pin-vcpus (cli-pin.c). The pinning as text ("vcpus 0:2 1:3, emulator 4-5"; free()) and as
 * JSON ({"vcpus":[{"vcpu":0,"tid":N,"cpus":"2"}],"emulator":"4-5","emulator_threads":N}, and
 * with `assigned` its "wrapped" and "changed_threads").
 */
char *cli_pin_text(const struct np_vcpu_pinning *p);
json_t *cli_pin_json(const struct np_vcpu_pinning *p, bool assigned);
/* Warn when `nvcpus` vCPUs wrap around the CPUs of `cpus`. */
void cli_pin_wrap_said(unsigned nvcpus, hwloc_const_cpuset_t cpus);
/* Why np_qemu_pin_vcpus() failed with `r`, for a message. */
const char *cli_pin_why(int r);
/*
 * Leave behind a process of its own that pins the vCPU threads of `pid` (with `start_time`)
 * to `cpus` as QEMU starts them, until `nvcpus` are pinned or 30 s have passed, then exits
 * (run --pin-vcpus, just before the exec; cli-pin.c says why). Returns 0 or -errno.
 */
int cli_pin_watch(pid_t pid, uint64_t start_time, hwloc_const_cpuset_t cpus, unsigned nvcpus);

#endif /* NUMAPLACE_CLI_H */
