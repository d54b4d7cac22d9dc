/*
 * toucher - the workload of the vm suite: allocates memory, touches every page, reports where
 * it is, then waits. Runs inside the test guest (linked statically when the build allows it).
 *
 *   toucher MIB [--threads N] [--push NODE] [--exit]
 *       Map MIB MiB of anonymous memory, write to every page, start N-1 extra threads (so
 *       the guest checks can read each thread's Cpus_allowed_list), with --push move every
 *       page to NODE (move_pages(2): the pages leave the nodes a memory policy put them on,
 *       the policy itself is left alone, as when a node fills up), then print one line
 *           TOUCHED pid=P addr=HEX pages=K threads=N
 *       and wait until SIGTERM or SIGINT (or exit at once with --exit). The address is the
 *       start of the mapping as /proc/P/numa_maps prints it (hex, no 0x), so a check can
 *       find the mapping's own line and read its N<node>= page counts.
 *   toucher drain
 *       Wait until the console has sent everything written so far (tcdrain), so the last
 *       lines reach the host before the guest powers off.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static void *idle_thread(void *arg)
{
	/* Threads only carry the affinity they inherited; the main thread takes the signals. */
	for (;;)
		pause();
	return arg;
}

static int parse_count(const char *s, long min, long max, long *ret)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*ret = v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: toucher MIB [--threads N] [--push NODE] [--exit] | toucher drain\n");
	return 2;
}

/* Move every page of [mem, mem + bytes) to `node`; returns the pages left elsewhere or -1. */
static long push_pages(char *mem, size_t bytes, long page, int node)
{
	size_t n = bytes / (size_t)page;
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes)), *status = calloc(n, sizeof(*status));
	long left = -1;

	if (!pages || !nodes || !status)
		goto out;
	for (size_t i = 0; i < n; i++) {
		pages[i] = mem + i * (size_t)page;
		nodes[i] = node;
	}
	/* MPOL_MF_MOVE = 2: move the pages only this process maps */
	if (syscall(SYS_move_pages, 0, (unsigned long)n, pages, nodes, status, 2) < 0) {
		fprintf(stderr, "toucher: move_pages to node %d: %s\n", node, strerror(errno));
		goto out;
	}
	left = 0;
	for (size_t i = 0; i < n; i++)
		left += status[i] != node;
out:
	free(pages);
	free(nodes);
	free(status);
	return left;
}

int main(int argc, char **argv)
{
	long mib = 0, nthreads = 1, push = -1, left = 0, page = sysconf(_SC_PAGESIZE);
	int exit_at_once = 0;
	size_t bytes;
	char *mem;
	sigset_t sigs;
	int sig = 0;

	if (argc == 2 && !strcmp(argv[1], "drain")) {
		fflush(stdout);
		tcdrain(STDOUT_FILENO);
		return 0;
	}
	if (argc < 2 || parse_count(argv[1], 1, 1L << 20, &mib))
		return usage();
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			if (parse_count(argv[++i], 1, 256, &nthreads))
				return usage();
		} else if (!strcmp(argv[i], "--push") && i + 1 < argc) {
			if (parse_count(argv[++i], 0, 4095, &push))
				return usage();
		} else if (!strcmp(argv[i], "--exit")) {
			exit_at_once = 1;
		} else {
			return usage();
		}
	}

	/* Blocked before any thread starts, so every thread inherits the mask and sigwait() in
	 * the main thread receives SIGTERM wherever the kernel would have delivered it. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* The memory sits between two inaccessible guard pages: the kernel merges adjacent
	 * mappings of equal protection into one, which would move the start numa_maps shows
	 * (thread stacks mapped later land right next to it). */
	bytes = (size_t)mib << 20;
	mem = mmap(NULL, bytes + 2 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mprotect(mem + page, bytes, PROT_READ | PROT_WRITE) != 0) {
		fprintf(stderr, "toucher: cannot map %ld MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	mem += page;
	for (size_t off = 0; off < bytes; off += (size_t)page)
		mem[off] = (char)(off / (size_t)page) | 1;

	if (push >= 0) {
		left = push_pages(mem, bytes, page, (int)push);
		if (left < 0)
			return 1;
	}

	for (long i = 1; i < nthreads; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, idle_thread, NULL);

		if (err) {
			fprintf(stderr, "toucher: cannot start a thread: %s\n", strerror(err));
			return 1;
		}
	}

	printf("TOUCHED pid=%ld addr=%lx pages=%ld threads=%ld not_pushed=%ld\n", (long)getpid(),
	       (unsigned long)mem, (long)(bytes / (size_t)page), nthreads, left);
	fflush(stdout);
	if (exit_at_once)
		return 0;
	sigwait(&sigs, &sig);
	return 0;
}
