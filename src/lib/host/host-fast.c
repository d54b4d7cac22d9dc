/*
 * host-fast.c - the NP_HOST_FAST loader: node-level facts straight from sysfs, no hwloc.
 *
 * An hwloc discovery costs milliseconds, too much for `numaplace run` in front of every
 * command; the node-level files np__sysfs_host_build() reads cost microseconds. On the live
 * host the usable CPUs and memory nodes are the calling thread's affinity and allowed memory
 * nodes, straight from the kernel; on a captured tree, its online CPUs.
 */
#include "internal.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The CPUs and nodes this process may use on the live host. */
static int live_allowed(hwloc_bitmap_t cpus, hwloc_bitmap_t mems)
{
	/* The kernel refuses a mask shorter than its nr_node_ids (at most 1024). */
	unsigned long nodemask[4096 / (8 * sizeof(unsigned long))];
	cpu_set_t *set = NULL;
	size_t ncpus = 1024, size;
	int r;

	for (;;) {
		set = CPU_ALLOC(ncpus);
		if (!set)
			return -ENOMEM;
		size = CPU_ALLOC_SIZE(ncpus);
		if (sched_getaffinity(0, size, set) == 0)
			break;
		r = -errno;
		CPU_FREE(set);
		set = NULL;
		if (r != -EINVAL || ncpus >= NP__MAX_CPU_ID + 1) {
			np__set_error("cannot read the CPU affinity: %s", strerror(-r));
			return r;
		}
		ncpus *= 2;
	}
	hwloc_bitmap_zero(cpus);
	for (size_t i = 0; i < size / sizeof(unsigned long); i++)
		for (unsigned b = 0; b < 8 * sizeof(unsigned long); b++) {
			size_t cpu = i * 8 * sizeof(unsigned long) + b;

			if (CPU_ISSET_S(cpu, size, set))
				hwloc_bitmap_set(cpus, (unsigned)cpu);
		}
	CPU_FREE(set);

	/* The system call itself (what libnuma's wrapper makes): `run` need not load libnuma. */
	if (syscall(SYS_get_mempolicy, NULL, nodemask, sizeof(nodemask) * 8, NULL,
	            MPOL_F_MEMS_ALLOWED) < 0) {
		r = -errno;
		np__set_error("cannot read the allowed memory nodes: %s", strerror(-r));
		return r;
	}
	hwloc_bitmap_zero(mems);
	for (unsigned i = 0; i < sizeof(nodemask) / sizeof(nodemask[0]); i++)
		hwloc_bitmap_set_ith_ulong(mems, i, nodemask[i]);
	return 0;
}

int np__host_load_fast(const char *root_path, unsigned flags, np_host **ret_host)
{
	static const struct np__build_extra none = {NULL, 0, NULL, NULL};
	struct np__root root = {-1, NULL};
	hwloc_bitmap_t allowed_cpus = NULL, allowed_mems = NULL;
	bool live = !root_path;
	int r;

	r = np__root_open(live ? "/" : root_path, &root);
	if (r < 0)
		return r;
	/*
	 * The CPUs to keep: on the live host those this process may run on (never offline ones);
	 * otherwise the online CPUs, as a node's cpulist also shows offline CPUs.
	 */
	allowed_cpus = hwloc_bitmap_alloc();
	if (!allowed_cpus) {
		r = -ENOMEM;
		goto out;
	}
	if (live && !(flags & NP_HOST_WHOLE_SYSTEM)) {
		allowed_mems = hwloc_bitmap_alloc();
		if (!allowed_mems) {
			r = -ENOMEM;
			goto out;
		}
		r = live_allowed(allowed_cpus, allowed_mems);
	} else {
		r = np__online_cpus_read(&root, allowed_cpus);
		if (r == 1) {
			hwloc_bitmap_free(allowed_cpus);
			allowed_cpus = NULL;
			r = 0;
		}
	}
	if (r == 0)
		r = np__sysfs_host_build(&root, flags, allowed_cpus, allowed_mems, &none, ret_host);
out:
	hwloc_bitmap_free(allowed_cpus);
	hwloc_bitmap_free(allowed_mems);
	np__root_close(&root);
	return r;
}
