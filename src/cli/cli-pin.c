/*
 * cli-pin.c - --pin-vcpus: what run, place, list and the daemon share about the one-to-one
 * pinning of a QEMU guest's vCPU threads (np_qemu_pin_vcpus(), docs/libvirt.md): its text and
 * JSON, and the watcher that `run` leaves behind.
 *
 * Why a watcher: run executes QEMU in its own process, so that nothing of numaplace stays
 * between the guest and whoever started it (a shell, systemd, a toolstack waiting on the pid).
 * But QEMU creates its vCPU threads after the exec, while it builds the machine: there is
 * nothing to pin before. So, just before the exec, run forks a process that outlives it
 * briefly: it polls /proc/PID/task until the -smp count of vCPU threads are there (or 30 s
 * have passed, or the process is gone, or is another one), pins them as they appear and exits.
 * It is forked twice and its middle parent is reaped at once: QEMU, which run becomes, never
 * has a child of numaplace's to reap, and a zombie is never left. It takes a session of its own
 * (a terminal's ^C for QEMU does not cut it short) and holds no standard input or output, so
 * that a caller reading QEMU's output is not kept waiting by it. Alternatives: a supervisor
 * (run forks QEMU and stays) would change who QEMU's parent is; QEMU's monitor (QMP's
 * query-cpus-fast gives each vCPU's thread id, as libvirt reads them) needs a monitor socket on
 * the command line and a client; ptrace would stop the guest. The threads named by QEMU are
 * enough, given -name debug-threads=on, which run adds when the command lacks it.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long the watcher waits for QEMU's vCPU threads; its polls, first and longest. */
#define WATCH_SECONDS 30
#define WATCH_FIRST_NS 5000000L
#define WATCH_MAX_NS 100000000L

char *cli_pin_text(const struct np_vcpu_pinning *p)
{
	size_t cap = 64, len = 0;
	char *s = malloc(cap), *e;

	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, "vcpus%s", p->nvcpus ? "" : " -");
	for (unsigned i = 0; i <= p->nvcpus; i++) {
		char *cpus, piece[128];
		int n;

		cpus = cli_list_string(i < p->nvcpus ? p->threads[i].cpus : p->emulator);
		if (!cpus) {
			free(s);
			return NULL;
		}
		if (i < p->nvcpus)
			n = snprintf(piece, sizeof(piece), " %d:%s", p->threads[i].vcpu, cpus);
		else
			n = snprintf(piece, sizeof(piece), ", emulator %s", *cpus ? cpus : "-");
		free(cpus);
		if (len + (size_t)n + 1 > cap) {
			cap = 2 * (len + (size_t)n + 1);
			e = realloc(s, cap);
			if (!e) {
				free(s);
				return NULL;
			}
			s = e;
		}
		memcpy(s + len, piece, (size_t)n + 1);
		len += (size_t)n;
	}
	return s;
}

json_t *cli_pin_json(const struct np_vcpu_pinning *p, bool assigned)
{
	json_t *vcpus = json_array(), *j;
	char *emu = cli_list_string(p->emulator);

	for (unsigned i = 0; i < p->nvcpus; i++) {
		char *c = cli_list_string(p->threads[i].cpus);

		json_array_append_new(vcpus,
		                      json_pack("{s:i,s:i,s:s}", "vcpu", p->threads[i].vcpu, "tid",
		                                (int)p->threads[i].tid, "cpus", c ? c : ""));
		free(c);
	}
	j = json_pack("{s:o,s:s,s:i}", "vcpus", vcpus, "emulator", emu ? emu : "",
	              "emulator_threads", (int)(p->nthreads - p->nvcpus));
	if (assigned) {
		json_object_set_new(j, "wrapped", json_boolean(p->wrapped));
		json_object_set_new(j, "changed_threads", json_integer(p->changed));
	}
	free(emu);
	return j;
}

void cli_pin_wrap_said(unsigned nvcpus, hwloc_const_cpuset_t cpus)
{
	int w = hwloc_bitmap_weight(cpus);
	char *c;

	if (w <= 0 || nvcpus <= (unsigned)w)
		return;
	c = cli_list_string(cpus);
	cli_warn("--pin-vcpus: %u vCPUs on %d CPU%s (%s): they wrap around, vCPU n on CPU "
	         "n mod %d of the set",
	         nvcpus, w, w == 1 ? "" : "s", c ? c : "?", w);
	free(c);
}

const char *cli_pin_why(int r)
{
	if (r == -ENOENT && *np_last_error())
		return np_last_error();
	if (r == -EINVAL)
		return "Invalid argument (CPUs outside the process's cpuset?)";
	return strerror(-r);
}

static void nap(long ns)
{
	struct timespec ts = {0, ns};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The watcher itself: pin until `nvcpus` vCPU threads are pinned, the deadline, or the end. */
static void watch(pid_t pid, uint64_t start_time, hwloc_const_cpuset_t cpus, unsigned nvcpus)
{
	struct timespec now, end;
	long delay = WATCH_FIRST_NS;
	int last = -ENOENT, found = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += WATCH_SECONDS;
	for (;;) {
		struct np_vcpu_pinning p;
		uint64_t st;

		/* gone, or the pid of another process: nothing of ours to pin */
		if (np_process_start_time(pid, &st) < 0 || st != start_time)
			return;
		np_vcpu_pinning_init(&p);
		last = np_qemu_pin_vcpus(NULL, pid, cpus, 0, &p);
		np_vcpu_pinning_release(&p);
		if (last >= 0)
			found = last;
		if (last >= 0 && (unsigned)last >= nvcpus)
			return;
		if (last < 0 && last != -ENOENT && last != -ESRCH)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		nap(delay);
		delay = delay * 2 > WATCH_MAX_NS ? WATCH_MAX_NS : delay * 2;
	}
	if (last < 0 && last != -ENOENT)
		cli_warn("--pin-vcpus: cannot pin the vCPU threads of pid %d: %s", (int)pid,
		         cli_pin_why(last));
	else if (found)
		cli_warn("--pin-vcpus: pid %d started %d of its %u vCPU threads in %d s; those "
		         "are pinned",
		         (int)pid, found, nvcpus, WATCH_SECONDS);
	else
		cli_warn("--pin-vcpus: no vCPU thread of pid %d in %d s: %s", (int)pid,
		         WATCH_SECONDS, cli_pin_why(last));
}

int cli_pin_watch(pid_t pid, uint64_t start_time, hwloc_const_cpuset_t cpus, unsigned nvcpus)
{
	pid_t child;
	int status, fd;

	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		child = fork();
		if (child != 0)
			_exit(child < 0 ? EXIT_FAIL : EXIT_OK);
		setsid();
		prctl(PR_SET_NAME, "np-pin-vcpus", 0, 0, 0);
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		/* stderr stays, for what went wrong; no other descriptor of run's */
		closefrom(STDERR_FILENO + 1);
		watch(pid, start_time, cpus, nvcpus);
		_exit(EXIT_OK);
	}
	if (waitpid(child, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == EXIT_OK ? 0 : -EAGAIN;
}
