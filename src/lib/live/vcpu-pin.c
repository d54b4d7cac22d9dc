/*
 * vcpu-pin.c - one-to-one vCPU pinning of a QEMU process, as libvirt's <vcpupin> and
 * <emulatorpin> make it: each vCPU thread on a CPU of its own, the emulator's other threads on
 * the CPUs left.
 *
 * QEMU runs each vCPU in a thread of its own and, with `-name debug-threads=on` (libvirt always
 * gives it), names it "CPU n/KVM" ("CPU n/TCG" under TCG; the suffix is the accelerator's), n
 * the vCPU's index. The kernel shows the name in /proc/PID/task/TID/comm, so the threads are
 * told apart without QEMU's monitor. Under single-threaded TCG one thread, "ALL CPUs/TCG", runs
 * every vCPU: there is nothing to pin one to one.
 *
 * The assignment, for the set S = {s0 < s1 < ... < s(w-1)}:
 *   vCPU n        -> s(n mod w)
 *   the emulator  -> S minus the vCPUs' CPUs, or S when that is empty
 * Example: S = 2-7, vCPUs 0 and 1: vCPU 0 on 2, vCPU 1 on 3, the emulator on 4-7. S = 0-1 and
 * four vCPUs: 0 and 2 on CPU 0, 1 and 3 on CPU 1 (wrapped), the emulator on 0-1. The index, not
 * the rank among the threads found, chooses the CPU: a vCPU hot-plugged later as vCPU 3 lands
 * where vCPU 3 of a full boot would, and the others stay where they are.
 *
 * Affinities are read from each thread's status (Cpus_allowed_list), so that the same reader
 * serves `numaplace list` and the tests' trees of plain files, and only a thread whose affinity
 * differs is set: called again every interval (the daemon), it touches only new threads.
 */
#include "proc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void np_vcpu_pinning_init(struct np_vcpu_pinning *p)
{
	memset(p, 0, sizeof(*p));
}

void np_vcpu_pinning_release(struct np_vcpu_pinning *p)
{
	for (unsigned i = 0; p->threads && i < p->nthreads; i++)
		hwloc_bitmap_free(p->threads[i].cpus);
	free(p->threads);
	hwloc_bitmap_free(p->emulator);
	np_vcpu_pinning_init(p);
}

/*
 * The vCPU of a thread name ("CPU 3/KVM\n"): "CPU ", a decimal, '/', a non-empty word. Returns
 * its index, or -1 for any other name ("qemu-system-x86", "ALL CPUs/TCG", "worker").
 */
static int vcpu_of(const char *comm)
{
	const char *p = comm;
	uint64_t n;

	if (strncmp(p, "CPU ", 4) != 0)
		return -1;
	p += 4;
	if (np__parse_u64(&p, NP__MAX_CPU_ID, &n) < 0 || *p++ != '/' || !*p || *p == '\n')
		return -1;
	for (; *p && *p != '\n'; p++)
		if (*p == '/' || *p == ' ')
			return -1;
	if (*p == '\n' && p[1])
		return -1;
	return (int)n;
}

/* A thread's name and affinity. -ENOENT when it exited since the directory was read. */
static int thread_read(int rootfd, pid_t pid, pid_t tid, struct np_qemu_thread *ret,
                       bool *ret_single)
{
	char path[96], *comm = NULL, *status = NULL, *line, *end;
	int r;

	snprintf(path, sizeof(path), "proc/%d/task/%d/comm", (int)pid, (int)tid);
	r = np__proc_read_file(rootfd, path, &comm);
	if (r < 0)
		goto out;
	snprintf(path, sizeof(path), "proc/%d/task/%d/status", (int)pid, (int)tid);
	r = np__proc_read_file(rootfd, path, &status);
	if (r < 0)
		goto out;
	line = strstr(status, "\nCpus_allowed_list:\t");
	r = -EBADMSG;
	if (!line)
		goto out;
	line += 20;
	end = strchrnul(line, '\n');
	*end = '\0';
	ret->cpus = hwloc_bitmap_alloc();
	if (!ret->cpus) {
		r = -ENOMEM;
		goto out;
	}
	r = np_list_parse(line, NP__MAX_CPU_ID, ret->cpus);
	if (r < 0) {
		hwloc_bitmap_free(ret->cpus);
		ret->cpus = NULL;
		r = -EBADMSG;
		goto out;
	}
	ret->tid = tid;
	ret->vcpu = vcpu_of(comm);
	ret->changed = 0;
	*ret_single |= !strcmp(comm, "ALL CPUs/TCG\n") || !strcmp(comm, "ALL CPUs/TCG");
	r = 0;
out:
	free(comm);
	free(status);
	return r;
}

/* vCPU threads first by vCPU, then the others; ties by tid. */
static int cmp_thread(const void *a, const void *b)
{
	const struct np_qemu_thread *x = a, *y = b;
	long kx = x->vcpu < 0 ? INT_MAX + 1l : x->vcpu, ky = y->vcpu < 0 ? INT_MAX + 1l : y->vcpu;

	if (kx != ky)
		return (kx > ky) - (kx < ky);
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Read the threads into *ret; *ret_single when one of them runs every vCPU (ALL CPUs/TCG). */
static int threads_read(const char *root, pid_t pid, struct np_vcpu_pinning *ret, bool *ret_single)
{
	struct np_vcpu_pinning p;
	pid_t *tids = NULL;
	int rootfd, n, r;

	np_vcpu_pinning_init(&p);
	*ret_single = false;
	if (pid <= 0)
		return -EINVAL;
	rootfd = np__proc_root_open(root);
	if (rootfd < 0)
		return rootfd;
	n = np__proc_threads(rootfd, pid, &tids);
	if (n < 0) {
		r = n == -ENOENT ? -ESRCH : n;
		goto out;
	}
	p.threads = calloc((size_t)n, sizeof(*p.threads));
	p.emulator = hwloc_bitmap_alloc();
	if (!p.threads || !p.emulator) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		r = thread_read(rootfd, pid, tids[i], &p.threads[p.nthreads], ret_single);
		if (r == -ENOENT || r == -ESRCH)
			continue; /* exited meanwhile */
		if (r < 0)
			goto out;
		p.nvcpus += p.threads[p.nthreads].vcpu >= 0;
		p.nthreads++;
	}
	if (p.nthreads == 0) {
		r = -ESRCH; /* every thread exited: the process too */
		goto out;
	}
	if (p.nthreads)
		qsort(p.threads, p.nthreads, sizeof(*p.threads), cmp_thread);
	for (unsigned i = p.nvcpus; i < p.nthreads; i++)
		hwloc_bitmap_or(p.emulator, p.emulator, p.threads[i].cpus);
	*ret = p;
	np_vcpu_pinning_init(&p);
	r = ret->nvcpus > INT_MAX ? INT_MAX : (int)ret->nvcpus;
out:
	np_vcpu_pinning_release(&p);
	free(tids);
	close(rootfd);
	return r;
}

int np_qemu_threads_read(const char *root, pid_t pid, struct np_vcpu_pinning *ret)
{
	bool single;

	if (!ret)
		return -EINVAL;
	return threads_read(root, pid, ret, &single);
}

/* The i-th CPU of `cpus` in increasing order (0 <= i < its weight). */
static int nth_cpu(hwloc_const_cpuset_t cpus, unsigned i)
{
	int cpu = hwloc_bitmap_first(cpus);

	while (i-- > 0)
		cpu = hwloc_bitmap_next(cpus, cpu);
	return cpu;
}

/*
 * Give each thread of `p` its CPUs (replacing the affinity read), mark those that change, and
 * set p->emulator and p->wrapped: the assignment of the comment at the top. Pure.
 */
static int assign(struct np_vcpu_pinning *p, hwloc_const_cpuset_t cpus)
{
	unsigned w = (unsigned)hwloc_bitmap_weight(cpus);
	hwloc_bitmap_t want = hwloc_bitmap_alloc();
	int r = 0;

	if (!want)
		return -ENOMEM;
	hwloc_bitmap_copy(p->emulator, cpus);
	p->wrapped = 0;
	p->changed = 0;
	for (unsigned i = 0; i < p->nthreads; i++) {
		struct np_qemu_thread *t = &p->threads[i];

		if (t->vcpu < 0)
			continue;
		if ((unsigned)t->vcpu >= w)
			p->wrapped = 1;
		hwloc_bitmap_only(want, (unsigned)nth_cpu(cpus, (unsigned)t->vcpu % w));
		hwloc_bitmap_andnot(p->emulator, p->emulator, want);
		t->changed = !hwloc_bitmap_isequal(t->cpus, want);
		hwloc_bitmap_copy(t->cpus, want);
	}
	if (hwloc_bitmap_iszero(p->emulator))
		hwloc_bitmap_copy(p->emulator, cpus);
	for (unsigned i = 0; i < p->nthreads; i++) {
		struct np_qemu_thread *t = &p->threads[i];

		if (t->vcpu < 0) {
			t->changed = !hwloc_bitmap_isequal(t->cpus, p->emulator);
			hwloc_bitmap_copy(t->cpus, p->emulator);
		}
		p->changed += (unsigned)t->changed;
	}
	hwloc_bitmap_free(want);
	return r;
}

/* Set the affinity of every thread marked changed; one that exited meanwhile is unmarked. */
static int pin(struct np_vcpu_pinning *p)
{
	for (unsigned i = 0; i < p->nthreads; i++) {
		struct np_qemu_thread *t = &p->threads[i];
		int r;

		if (!t->changed)
			continue;
		r = np__set_affinity(t->tid, t->cpus);
		if (r == -ESRCH) {
			t->changed = 0;
			p->changed--;
			continue;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int np_qemu_pin_vcpus(const char *root, pid_t pid, hwloc_const_cpuset_t cpus, unsigned flags,
                      struct np_vcpu_pinning *ret)
{
	bool live = !root || !*root || !strcmp(root, "/"), single;
	struct np_vcpu_pinning p;
	int r;

	if (!cpus || !ret || hwloc_bitmap_weight(cpus) <= 0 ||
	    (!live && !(flags & NP_VCPU_PIN_DRY_RUN)))
		return -EINVAL;
	np_vcpu_pinning_init(&p);
	r = threads_read(root, pid, &p, &single);
	if (r < 0)
		goto out;
	if (r == 0) {
		if (single)
			np__set_error("one thread runs every vCPU ('ALL CPUs/TCG': "
			              "single-threaded TCG)");
		else
			np__set_error("no thread is named 'CPU n/KVM' or 'CPU n/TCG' (QEMU names "
			              "them with -name debug-threads=on)");
		r = -ENOENT;
		goto out;
	}
	r = assign(&p, cpus);
	if (r == 0 && !(flags & NP_VCPU_PIN_DRY_RUN))
		r = pin(&p);
	if (r < 0)
		goto out;
	*ret = p;
	np_vcpu_pinning_init(&p);
	r = (int)ret->nvcpus;
out:
	np_vcpu_pinning_release(&p);
	return r;
}
