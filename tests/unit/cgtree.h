/*
 * cgtree.h - the copy of the plain-file cgroup tree (tests/fixtures/cgroup) that test-cgroup
 * and test-scope write to, and what they read back from it.
 */
#ifndef NUMAPLACE_TEST_CGTREE_H
#define NUMAPLACE_TEST_CGTREE_H

#include <limits.h>

/* The copy's directory, set by cgtree_copy(). */
extern char copy[PATH_MAX];

/* Copy `tree` to a new directory $TMPDIR/NAME-XXXXXX (copy). Returns 0, -1 on failure. */
int cgtree_copy(const char *tree, const char *name);
/* Remove the copy. Returns 0, -1 on failure. */
int cgtree_remove(void);
/* The text of sys/fs/cgroup/`rel` in the copy (free()). Fails the test when unreadable. */
char *text_of(const char *rel);
/* sys/fs/cgroup/`rel` in the copy holds `want`, byte for byte. */
void file_is(const char *rel, const char *want);

#endif /* NUMAPLACE_TEST_CGTREE_H */
