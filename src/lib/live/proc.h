/*
 * proc.h - readers of /proc/PID, relative to a root directory (the live "/" or a captured tree
 * holding proc/). Private to the library; tests may include it.
 */
#ifndef NUMAPLACE_PROC_H
#define NUMAPLACE_PROC_H

#include "internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bit of /proc/PID/stat field 9 (flags) the kernel sets on its own threads. */
#define NP__PF_KTHREAD 0x00200000u

/* The fields of /proc/PID/stat numaplace uses. */
struct np__proc_stat {
	pid_t pid;         /* field 1 */
	char comm[64];     /* field 2 without its parentheses (the kernel's is at most 15 bytes) */
	char state;        /* field 3: R, S, D, Z, X, ... */
	pid_t ppid;        /* field 4 */
	unsigned flags;    /* field 9 */
	uint64_t utime;    /* field 14: clock ticks in user mode */
	uint64_t stime;    /* field 15: clock ticks in kernel mode */
	uint64_t nthreads; /* field 20 */
	uint64_t start_time; /* field 22: clock ticks after boot */
	uint64_t rss_pages;  /* field 24; 0 when the line ends at field 22 */
};

/*
 * Open `root` (NULL or "" = "/") as a directory fd for the readers below. Returns the fd or
 * -errno.
 */
int np__proc_root_open(const char *root);

/*
 * Parse the text of /proc/PID/stat. comm (field 2) may hold spaces and ')': it ends at the
 * last ')'. Returns 0 and *ret_stat, or -EBADMSG.
 */
int np__proc_stat_parse(const char *buf, struct np__proc_stat *ret_stat);

/* Read and parse /proc/PID/stat. -ENOENT (or -ESRCH) when the process is gone. */
int np__proc_stat(int rootfd, pid_t pid, struct np__proc_stat *ret_stat);

/*
 * Parse the text of /proc/PID/numa_maps: for every mapping, N<node>=<pages> counts pages of
 * the mapping's kernelpagesize_kB (huge pages included). Returns the number of nodes with
 * pages (0 allowed) and *ret_nodes (sorted by node, free()), or -EBADMSG / -ERANGE / -ENOMEM.
 */
int np__numa_maps_parse(const char *buf, struct np_node_bytes **ret_nodes);

/* Read and parse /proc/PID/numa_maps. As np__numa_maps_parse(); -ENOENT, -EACCES. */
int np__proc_numa_maps(int rootfd, pid_t pid, struct np_node_bytes **ret_nodes);

/*
 * Whether the caller may act on process `pid`'s claim (forget it; place it, for `place
 * --pid`): yes when the caller's real uid is 0 or is the process's real uid (the Uid: line of
 * proc/PID/status). The real uid, not the effective one: a numaplace installed set-uid must not
 * hand its owner's power to whoever runs it. Returns 0; -EPERM (another user's process, or a
 * status this caller may not read) with *ret_uid the owner when known ((uid_t)-1 otherwise);
 * -ENOENT when the process is gone.
 */
int np__proc_may_manage(int rootfd, pid_t pid, uid_t *ret_uid);

/* Thread ids of a process from /proc/PID/task, sorted. Returns the count and *ret_tids. */
int np__proc_threads(int rootfd, pid_t pid, pid_t **ret_tids);

/*
 * sched_setaffinity() of one task (0: the caller) to `cpus`, with a mask sized for the highest
 * CPU (apply.c). Returns 0, -EINVAL (empty or infinite set, or refused), -ESRCH, -EPERM.
 */
int np__set_affinity(pid_t tid, hwloc_const_cpuset_t cpus);

/*
 * The raw command line (arguments separated and ended by NUL). Returns its length (0 for a
 * kernel thread or a zombie) and *ret_buf (NUL-terminated, free()).
 */
int np__proc_cmdline(int rootfd, pid_t pid, char **ret_buf);

/* 1 when pid is a kernel thread (PF_KTHREAD, or an empty command line of a live task), else 0. */
int np__proc_is_kthread(int rootfd, pid_t pid);

/*
 * Parse /proc/stat's per-CPU lines ("cpuN user nice system idle iowait irq softirq steal ...";
 * at least the first four numbers, as kernels before 2.6 wrote). busy = user + nice + system
 * + irq + softirq + steal (guest time is already inside user), total = busy + idle + iowait.
 * Returns the number of CPUs and *ret_times sorted by CPU (free()), or -EBADMSG / -ENOMEM.
 */
int np__cpu_stat_parse(const char *buf, struct np_cpu_time **ret_times);

/*
 * Read a whole file below rootfd (path relative, no leading '/'): returns its length and
 * *ret_buf (NUL-terminated, free()); -errno.
 */
int np__proc_read_file(int rootfd, const char *path, char **ret_buf);

/*
 * Parse the unsigned decimal at *p (no sign), bounded by max: moves *p past its digits and
 * returns 0; -EBADMSG when *p holds no digit, -ERANGE above max.
 */
int np__parse_u64(const char **p, uint64_t max, uint64_t *ret);

#endif /* NUMAPLACE_PROC_H */
