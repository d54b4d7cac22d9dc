/*
 * numastat.c - the kernel's allocation counters per node: sys/devices/system/node/nodeN/numastat,
 * read relative to a root directory like every other node file (host-sysfs.c).
 *
 * The file holds "key value" lines, one counter of pages each, in this order since Linux 2.6:
 *   numa_hit 2423446
 *   numa_miss 0
 *   numa_foreign 0
 *   interleave_hit 1228
 *   local_node 2423446
 *   other_node 0
 * The six are required, once each; a key the kernel may add later is skipped (the form is
 * still checked). Nothing else is accepted: no spaces around, no signs, no trailing junk.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_DIR "sys/devices/system/node"
#define NKEYS 6

static int failed(struct np__parse_error *err, int r, const char *what, unsigned line)
{
	if (err) {
		err->what = r == -ERANGE ? "number out of range" : what;
		err->line = line;
	}
	return r == -ERANGE ? -ERANGE : -EBADMSG;
}

/* The counter of `key` (klen bytes) in *s, or NULL for a key numaplace does not know. */
static uint64_t *counter_of(struct np_numastat *s, const char *key, size_t klen, unsigned *ret_k)
{
	static const char *const keys[NKEYS] = {"numa_hit",       "numa_miss",  "numa_foreign",
	                                        "interleave_hit", "local_node", "other_node"};
	uint64_t *const fields[NKEYS] = {&s->numa_hit,       &s->numa_miss,  &s->numa_foreign,
	                                 &s->interleave_hit, &s->local_node, &s->other_node};

	for (unsigned k = 0; k < NKEYS; k++)
		if (strlen(keys[k]) == klen && memcmp(keys[k], key, klen) == 0) {
			*ret_k = k;
			return fields[k];
		}
	return NULL;
}

/* Decimal digits at *p, at most UINT64_MAX. Returns 0, -EINVAL (no digit) or -ERANGE. */
static int decimal(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

int np__numastat_parse(const char *text, unsigned node, struct np_numastat *ret_stat,
                       struct np__parse_error *err)
{
	struct np_numastat s = {.node = node};
	bool seen[NKEYS] = {false};
	const char *p = text;
	unsigned line = 0;

	while (*p) {
		const char *key = p;
		uint64_t v, *field;
		unsigned k;
		int r;

		line++;
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		if (p == key || *p != ' ')
			return failed(err, -EBADMSG, "malformed line", line);
		field = counter_of(&s, key, (size_t)(p - key), &k);
		p++;
		r = decimal(&p, &v);
		if (r < 0)
			return failed(err, r, "malformed value", line);
		if (*p == '\n')
			p++;
		else if (*p != '\0')
			return failed(err, -EBADMSG, "trailing junk", line);
		if (!field)
			continue;
		if (seen[k])
			return failed(err, -EBADMSG, "repeated line", line);
		seen[k] = true;
		*field = v;
	}
	for (unsigned k = 0; k < NKEYS; k++)
		if (!seen[k])
			return failed(err, -EBADMSG, "a counter is missing", 0);
	*ret_stat = s;
	return 0;
}

static int node_read(const struct np__root *root, unsigned id, struct np_numastat *ret_stat)
{
	struct np__parse_error err = {NULL, 0};
	char rel[96], *text = NULL;
	ssize_t n;
	int r;

	snprintf(rel, sizeof(rel), NODE_DIR "/node%u/numastat", id);
	n = np__root_read(root, rel, false, &text);
	if (n < 0)
		return (int)n;
	r = np__numastat_parse(text, id, ret_stat, &err);
	if (r < 0) {
		const char *s =
		    strlen(root->path) && root->path[strlen(root->path) - 1] == '/' ? "" : "/";

		if (err.line)
			np__set_error("cannot parse '%s%s%s' line %u: %s", root->path, s, rel,
			              err.line, err.what);
		else
			np__set_error("cannot parse '%s%s%s': %s", root->path, s, rel, err.what);
		r = -EBADMSG;
	}
	free(text);
	return r;
}

int np_numastat_read(const char *root_path, hwloc_const_nodeset_t nodes,
                     struct np_numastat **ret_stats)
{
	struct np__root root = {-1, NULL};
	struct np_numastat *stats = NULL;
	int n, r, id, i = 0;

	np__clear_error();
	if (!nodes || !ret_stats || hwloc_bitmap_iszero(nodes) || hwloc_bitmap_weight(nodes) < 0 ||
	    hwloc_bitmap_last(nodes) > (int)NP__MAX_NODE_ID)
		return -EINVAL;
	n = hwloc_bitmap_weight(nodes);
	stats = calloc((size_t)n, sizeof(*stats));
	if (!stats)
		return -ENOMEM;
	r = np__root_open(root_path && *root_path ? root_path : "/", &root);
	if (r < 0)
		goto out;
	hwloc_bitmap_foreach_begin(id, nodes)
	{
		r = node_read(&root, (unsigned)id, &stats[i++]);
		if (r < 0)
			break;
	}
	hwloc_bitmap_foreach_end();
	if (r < 0)
		goto out;
	*ret_stats = stats;
	stats = NULL;
	r = n;
out:
	np__root_close(&root);
	free(stats);
	return r;
}
