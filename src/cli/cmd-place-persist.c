/*
 * cmd-place-persist.c - `numaplace place --unit NAME --persist`: the systemctl command that
 * keeps a unit's placement across restarts (docs/cgroups.md).
 *
 * A cpuset written into a unit's group lasts until systemd makes the group again (the unit
 * restarted, the machine rebooted) and systemd may write its own AllowedCPUs= over it meanwhile.
 * `systemctl set-property UNIT AllowedCPUs=... AllowedMemoryNodes=...` (without --runtime)
 * writes the same sets as a drop-in of the unit, so systemd applies them from then on. The
 * command is always printed; it is run when systemd is the running init (/run/systemd/system
 * exists below the cgroup root) and systemctl is found on the PATH. A unit of a user's manager
 * (below user@UID.service) is set with `systemctl --user` as that user: printed, not run.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void cli_persist_init(struct cli_persist *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->status = -1;
}

void cli_persist_release(struct cli_persist *ps)
{
	for (int i = 0; i < ps->argc; i++)
		free(ps->argv[i]);
	free(ps->text);
	free(ps->path);
	cli_persist_init(ps);
}

/* Whether the group lies below a user manager's unit (user@UID.service/...). */
static bool user_unit(const char *path)
{
	const char *p = path, *slash;

	while ((slash = strchr(p, '/'))) {
		size_t len = (size_t)(slash - p);

		if (len > 13 && !strncmp(p, "user@", 5) && !strncmp(slash - 8, ".service", 8))
			return true;
		p = slash + 1;
	}
	return false;
}

/* The chosen nodes that have memory (what cpuset.mems was given), in kernel list syntax. */
static char *memory_nodes(const np_host *h, hwloc_const_nodeset_t nodes)
{
	hwloc_bitmap_t mems = hwloc_bitmap_alloc();
	char *s = mems && np_host_memory_nodes(h, nodes, mems) == 0 ? cli_list_string(mems) : NULL;

	hwloc_bitmap_free(mems);
	return s;
}

/* One word of the printed command, single-quoted when the shell would read it otherwise. */
static bool plain_word(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if (!strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_",
		        *w))
			return false;
	return true;
}

static int add_arg(struct cli_persist *ps, char *arg)
{
	if (!arg)
		return -ENOMEM;
	ps->argv[ps->argc++] = arg;
	return 0;
}

static int join_text(struct cli_persist *ps)
{
	size_t len = 1;
	char *t, *o;

	for (int i = 0; i < ps->argc; i++)
		len += strlen(ps->argv[i]) * 4 + 3;
	t = o = malloc(len);
	if (!t)
		return -ENOMEM;
	for (int i = 0; i < ps->argc; i++) {
		const char *w = ps->argv[i];

		if (i)
			*o++ = ' ';
		if (plain_word(w)) {
			o = stpcpy(o, w);
			continue;
		}
		*o++ = '\'';
		for (; *w; w++)
			o = *w == '\'' ? stpcpy(o, "'\\''") : (*o = *w, o + 1);
		*o++ = '\'';
	}
	*o = '\0';
	ps->text = t;
	return 0;
}

int cli_persist_make(const np_host *h, const struct np_target *t, const struct np_placement *p,
                     struct cli_persist *ps)
{
	const char *unit = strrchr(t->cgroup_path, '/');
	char *cpus = cli_list_string(p->cpus), *mems = memory_nodes(h, p->memory_nodes), *a = NULL,
	     *m = NULL;
	int r = -ENOMEM;

	unit = unit ? unit + 1 : t->cgroup_path;
	ps->user = user_unit(t->cgroup_path);
	if (!cpus || !mems || asprintf(&a, "AllowedCPUs=%s", cpus) < 0 ||
	    asprintf(&m, "AllowedMemoryNodes=%s", mems) < 0)
		goto out;
	if (add_arg(ps, strdup("systemctl")) < 0 ||
	    (ps->user && add_arg(ps, strdup("--user")) < 0) ||
	    add_arg(ps, strdup("set-property")) < 0 || add_arg(ps, strdup(unit)) < 0)
		goto out;
	ps->argv[ps->argc++] = a;
	ps->argv[ps->argc++] = m;
	a = m = NULL;
	r = join_text(ps);
out:
	free(a);
	free(m);
	free(cpus);
	free(mems);
	return r;
}

/* systemctl on the PATH (the caller's; the default one when running set-uid), or NULL. */
static char *find_systemctl(void)
{
	const char *env = secure_getenv("PATH");
	char *path = strdup(env && *env ? env : DEFAULT_PATH), *save = NULL, *dir, *full = NULL;

	if (!path)
		return NULL;
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;

		if (asprintf(&full, "%s/systemctl", *dir ? dir : ".") < 0) {
			full = NULL;
			break;
		}
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			break;
		free(full);
		full = NULL;
	}
	free(path);
	return full;
}

/* Whether systemd is the running init: /run/systemd/system below `root` (NULL: "/"). */
static bool systemd_running(const char *root)
{
	char *p = NULL;
	struct stat st;
	bool yes;

	if (asprintf(&p, "%s/run/systemd/system", root ? root : "") < 0)
		return false;
	yes = lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return yes;
}

void cli_persist_run(struct cli_persist *ps, const char *root, bool dry_run)
{
	int wstatus;
	pid_t pid;

	if (dry_run) {
		ps->not_run = "--dry-run";
		return;
	}
	if (ps->user) {
		ps->not_run = "a unit of a user's manager: run it as that user";
		return;
	}
	if (!systemd_running(root)) {
		ps->not_run = "systemd is not the running init";
		return;
	}
	ps->path = find_systemctl();
	if (!ps->path) {
		ps->not_run = "systemctl is not on the PATH";
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ps->error = errno;
		return;
	}
	if (pid == 0) {
		/* its output goes with numaplace's messages: stdout is the report (or JSON) */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(ps->path, ps->argv);
		_exit(127);
	}
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			ps->error = errno;
			return;
		}
	ps->ran = true;
	ps->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

void cli_persist_text(const struct cli_persist *ps)
{
	if (ps->ran && ps->status == 0)
		printf("persist: %s (done)\n", ps->text);
	else if (ps->ran)
		printf("persist: %s (failed: exit status %d)\n", ps->text, ps->status);
	else if (ps->not_run)
		printf("persist: %s (not run: %s)\n", ps->text, ps->not_run);
	else
		printf("persist: %s (not run: %s)\n", ps->text, strerror(ps->error));
}

json_t *cli_persist_json(const struct cli_persist *ps)
{
	json_t *argv = json_array();

	for (int i = 0; i < ps->argc; i++)
		json_array_append_new(argv, json_string(ps->argv[i]));
	return json_pack("{s:s,s:o,s:b,s:o,s:o}", "command", ps->text, "argv", argv, "ran", ps->ran,
	                 "exit_status", ps->ran ? json_integer(ps->status) : json_null(), "not_run",
	                 ps->ran ? json_null()
	                         : json_string(ps->not_run ? ps->not_run : strerror(ps->error)));
}

int cli_persist_said(const struct cli_persist *ps)
{
	if (ps->ran && ps->status != 0) {
		cli_error("cannot persist the placement of unit '%s': %s exited with status %d",
		          ps->argv[ps->user ? 3 : 2], ps->path, ps->status);
		return EXIT_FAIL;
	}
	if (!ps->ran && !ps->not_run) {
		cli_error("cannot run '%s': %s", ps->path ? ps->path : "systemctl",
		          strerror(ps->error));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
