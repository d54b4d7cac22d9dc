/*
 * target.c - what the placement step places: a target's kind and identity, and what
 * np_target_read() measures of it (this process, a running process; a group is read in
 * place-cgroup.c).
 */
#include "place.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void np_target_init(struct np_target *target)
{
	memset(target, 0, sizeof(*target));
}

void np__target_group_fields_clear(struct np_target *t)
{
	free(t->cgroup_path);
	free(t->cgroup_mount);
	t->cgroup_path = NULL;
	t->cgroup_mount = NULL;
	t->cgroup_id = 0;
}

void np_target_release(struct np_target *target)
{
	(target->kind == NP_TARGET_SELF ? np__target_scope_free : np__target_group_free)(target);
	free(target->resident);
	free(target->cmdline);
	target->resident = NULL;
	target->nresident = 0;
	target->cmdline = NULL;
	memset(&target->process, 0, sizeof(target->process));
	target->read = 0;
}

/* Characters that need no quoting in a shell word. */
static bool plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		            "_./=:,+@%-",
		            *s))
			return false;
	return true;
}

/* The command line as one text, arguments shell-quoted where needed (free()). */
static char *cmdline_text(char *const *argv)
{
	size_t len = 1;
	char *out, *p;

	for (char *const *a = argv; *a; a++)
		len += 4 * strlen(*a) + 3;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	for (char *const *a = argv; *a; a++) {
		if (a != argv)
			*p++ = ' ';
		if (plain(*a)) {
			p = stpcpy(p, *a);
			continue;
		}
		/* 'it'\''s': a single quote ends the quoting, is escaped, and quoting resumes */
		*p++ = '\'';
		for (const char *c = *a; *c; c++) {
			if (*c == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *c;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}

static int read_self(struct np_target *t)
{
	int r = np_process_start_time(0, &t->start_time);

	if (r < 0)
		return r;
	t->pid = getpid();
	if (t->argv && t->argv[0]) {
		t->cmdline = cmdline_text(t->argv);
		if (!t->cmdline)
			return -ENOMEM;
	}
	return 0;
}

static int read_pid(struct np_target *t)
{
	struct np_process p;
	char **argv = NULL;
	int r = np_process_read(t->pid, &p);

	if (r < 0)
		return r;
	t->process = p;
	if (p.kernel_thread)
		return -EINVAL;
	if (p.state == 'Z' || p.state == 'X' || (t->start_time && p.start_time != t->start_time))
		return -ESRCH;
	/* the real uid: a set-uid numaplace does not lend its owner's power (docs/security.md) */
	if (getuid() != 0 && p.uid != getuid())
		return -EPERM;
	r = np_process_memory(t->pid, &t->resident);
	if (r < 0) {
		t->resident = NULL;
		return r == -EPERM ? -EACCES : r;
	}
	t->nresident = r;
	t->start_time = p.start_time;
	/* a process without a readable command line is named by its comm */
	r = np_process_argv(t->pid, &argv);
	if (r == -ENOMEM)
		return r;
	t->cmdline = r > 0 ? cmdline_text(argv) : strdup(p.comm);
	free(argv);
	return t->cmdline ? 0 : -ENOMEM;
}

int np_target_read(struct np_target *target)
{
	int r;

	if (target->read)
		return 0;
	switch (target->kind) {
	case NP_TARGET_SELF:
		r = read_self(target);
		break;
	case NP_TARGET_PID:
		r = target->pid > 0 ? read_pid(target) : -EINVAL;
		break;
	case NP_TARGET_CGROUP:
		r = np__target_group_read(target);
		break;
	default:
		r = -EINVAL;
	}
	if (r == 0)
		target->read = 1;
	return r;
}
