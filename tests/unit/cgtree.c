/* cgtree.c - the cgroup tree copy test-cgroup and test-scope share (cgtree.h). */
#include "cgtree.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

char copy[PATH_MAX];

int cgtree_copy(const char *tree, const char *name)
{
	char cmd[PATH_MAX * 2 + 32];

	snprintf(copy, sizeof(copy), "%s/%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
	         name);
	if (!mkdtemp(copy))
		return -1;
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s'", tree, copy);
	return system(cmd) == 0 ? 0 : -1;
}

int cgtree_remove(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", copy);
	return system(cmd) == 0 ? 0 : -1;
}

char *text_of(const char *rel)
{
	char path[PATH_MAX * 2], *text = NULL;

	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s", copy, rel);
	assert_true(np__read_at(AT_FDCWD, path, 1 << 20, &text) >= 0);
	return text;
}

void file_is(const char *rel, const char *want)
{
	char *text = text_of(rel);

	assert_string_equal(text, want);
	free(text);
}
