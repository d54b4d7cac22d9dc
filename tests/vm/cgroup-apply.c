/*
 * np-cgroup-apply - the vm suite's proof of the cpuset writer on a real kernel: what `place
 * --cgroup` applies once the ledger records groups (docs/cgroups.md).
 *
 *   np-cgroup-apply GROUP CPUS MEMS
 *       Open GROUP (below the cgroup2 mount, as place --cgroup names it), check it, give it
 *       cpuset.cpus CPUS and cpuset.mems MEMS with np__cgroup_apply() (the cpuset controller
 *       enabled in the ancestors that lack it), move the members' pages there with
 *       np__cgroup_migrate(), and print memory.numa_stat's anon + file per node before, after
 *       the cpuset write and after the migration:
 *           BEFORE 0:BYTES ...  /  WRITTEN 0:BYTES ...  /  AFTER 2:BYTES ...  /  FAILED PAGES
 *       Exit status 0, or 1 with the library's message on stderr.
 */
#include "cgroup.h"
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_nodes(const char *what, const struct np_node_bytes *nb, int n)
{
	printf("%s", what);
	for (int i = 0; i < n; i++)
		printf(" %u:%llu", nb[i].node, (unsigned long long)nb[i].bytes);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct np__cgroup cg;
	struct np__cgroup_undo undo = {0};
	struct np_node_bytes *nb = NULL;
	hwloc_bitmap_t from = hwloc_bitmap_alloc(), to = hwloc_bitmap_alloc();
	long failed = 0;
	int rootfd, n = 0, r;

	if (argc != 4) {
		fprintf(stderr, "usage: np-cgroup-apply GROUP CPUS MEMS\n");
		return 2;
	}
	np__cgroup_init(&cg);
	rootfd = np__proc_root_open("/");
	r = rootfd < 0 ? rootfd : np__cgroup_open(rootfd, NULL, argv[1], &cg);
	if (r == 0)
		r = np__cgroup_check(&cg);
	if (r == 0 && (n = np__cgroup_numa_stat(&cg, &nb)) < 0)
		r = n;
	if (r == 0) {
		print_nodes("BEFORE", nb, n);
		r = np__cgroup_apply(&cg, argv[2], argv[3], &undo);
	}
	if (r == 0 && (r = hwloc_bitmap_list_sscanf(to, argv[3])) == 0) {
		for (int i = 0; i < n; i++)
			if (!hwloc_bitmap_isset(to, nb[i].node))
				hwloc_bitmap_set(from, nb[i].node);
		free(nb);
		nb = NULL;
		if ((n = np__cgroup_numa_stat(&cg, &nb)) >= 0)
			print_nodes("WRITTEN", nb, n);
		r = hwloc_bitmap_iszero(from) ? 0 : np__cgroup_migrate(&cg, from, to, &failed);
	}
	free(nb);
	nb = NULL;
	if (r == 0 && (n = np__cgroup_numa_stat(&cg, &nb)) >= 0) {
		print_nodes("AFTER", nb, n);
		printf("FAILED %ld\n", failed);
	}
	if (r < 0)
		fprintf(stderr, "np-cgroup-apply: %s: %s\n", argv[1], np_last_error());
	free(nb);
	np__cgroup_undo_release(&undo);
	np__cgroup_release(&cg);
	if (rootfd >= 0)
		close(rootfd);
	hwloc_bitmap_free(from);
	hwloc_bitmap_free(to);
	return r < 0 ? 1 : 0;
}
