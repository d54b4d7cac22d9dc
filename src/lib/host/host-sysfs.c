/*
 * host-sysfs.c - the nodes of a sysfs root, for both loaders (hwloc's loads of the live host
 * and of captured trees, and NP_HOST_FAST in host-fast.c).
 *
 * Every read is relative to a directory fd of the root ("/" on the live host, a captured tree
 * otherwise), as hwloc does with HWLOC_FSROOT: the same code reads both. hwloc gives the
 * allowed sets and each CPU's core and socket; the nodes and what changes (free memory, free
 * huge pages) always come from here:
 *   sys/devices/system/node/online          which nodes exist ("0-1", "0,8,250-255")
 *   sys/devices/system/node/nodeN/cpulist   the node's CPUs (cpumap, a hex mask, on old kernels)
 *   sys/devices/system/node/nodeN/meminfo   MemTotal, MemFree, Inactive(file)
 *   sys/devices/system/node/nodeN/distance  one row of the SLIT, in the order of `online`
 *   sys/devices/system/node/nodeN/hugepages/hugepages-<size>kB/{nr,free}_hugepages
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODE_DIR "sys/devices/system/node"
/* Refuse to read more than this from one file: no sysfs file is anywhere near it. */
#define MAX_FILE_SIZE (4u << 20)

/* Separator between the root and a relative path in messages: "/" + "sys/..." = "/sys/...". */
static const char *sep(const struct np__root *root)
{
	size_t n = strlen(root->path);

	return n && root->path[n - 1] == '/' ? "" : "/";
}

int np__root_open(const char *path, struct np__root *ret_root)
{
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		np__set_error("cannot open '%s': %s", path, strerror(-r));
		return r;
	}
	ret_root->fd = fd;
	ret_root->path = path;
	return 0;
}

void np__root_close(struct np__root *root)
{
	if (root->fd >= 0)
		close(root->fd);
	root->fd = -1;
}

ssize_t np__read_at(int dirfd, const char *rel, size_t max, char **ret_text)
{
	char *buf = NULL, *bigger;
	size_t size = 4096, len = 0;
	ssize_t r;
	int fd;

	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 == size) {
			if (size >= max) {
				r = -EFBIG;
				goto out;
			}
			bigger = realloc(buf, size * 2);
			if (!bigger) {
				r = -ENOMEM;
				goto out;
			}
			buf = bigger;
			size *= 2;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_text = buf;
	buf = NULL;
	r = (ssize_t)len;
out:
	close(fd);
	free(buf);
	return r;
}

ssize_t np__root_read(const struct np__root *root, const char *rel, bool quiet_enoent,
                      char **ret_text)
{
	ssize_t r = np__read_at(root->fd, rel, MAX_FILE_SIZE, ret_text);

	if (r < 0 && !(quiet_enoent && r == -ENOENT))
		np__set_error("cannot read '%s%s%s': %s", root->path, sep(root), rel,
		              strerror((int)-r));
	return r;
}

static void parse_failed(const struct np__root *root, const char *rel,
                         const struct np__parse_error *err)
{
	if (err->line)
		np__set_error("cannot parse '%s%s%s' line %u: %s", root->path, sep(root), rel,
		              err->line, err->what);
	else
		np__set_error("cannot parse '%s%s%s': %s", root->path, sep(root), rel, err->what);
}

/* Parses a file's text into ctx: 0 or a negative errno, err saying where a malformed text is. */
typedef int (*file_parser)(const char *text, void *ctx, struct np__parse_error *err);

/*
 * Read rel and parse it with parse into ctx: what parse returned, -EBADMSG recorded for a
 * malformed file, or the read's negative errno (-ENOENT unrecorded when quiet_enoent).
 */
static int file_parse(const struct np__root *root, const char *rel, bool quiet_enoent,
                      file_parser parse, void *ctx)
{
	struct np__parse_error err = {NULL, 0};
	char *text = NULL;
	ssize_t n;
	int r;

	n = np__root_read(root, rel, quiet_enoent, &text);
	if (n < 0)
		return (int)n;
	r = parse(text, ctx, &err);
	if (r < 0 && r != -ENOMEM) {
		parse_failed(root, rel, &err);
		r = -EBADMSG;
	}
	free(text);
	return r;
}

struct list_ctx {
	unsigned max_id;
	hwloc_bitmap_t set;
};

static int list_parser(const char *text, void *ctx, struct np__parse_error *err)
{
	struct list_ctx *c = ctx;

	return np__kernel_list_parse(text, c->max_id, c->set, err);
}

static int cpumap_parser(const char *text, void *ctx, struct np__parse_error *err)
{
	return np__cpumap_parse(text, ctx, err);
}

static int count_parser(const char *text, void *ctx, struct np__parse_error *err)
{
	return np__count_parse(text, ctx, err);
}

struct row_ctx {
	unsigned count;
	unsigned *row;
};

static int distance_parser(const char *text, void *ctx, struct np__parse_error *err)
{
	struct row_ctx *c = ctx;

	return np__distance_parse(text, c->count, c->row, err);
}

struct meminfo_ctx {
	int node;
	struct np__meminfo *mi;
};

static int meminfo_parser(const char *text, void *ctx, struct np__parse_error *err)
{
	struct meminfo_ctx *c = ctx;

	return np__meminfo_parse(text, c->node, c->mi, err);
}

/*
 * Free memory as numad counts it: page cache on the inactive list is as good as free. Without
 * a MemFree line (some firmware, fake NUMA test machines) it is unknown: all of it is assumed
 * free, and *ret_assumed says so.
 */
static void memory_from_info(const struct np__meminfo *mi, unsigned flags, uint64_t *ret_total,
                             uint64_t *ret_free, bool *ret_assumed)
{
	uint64_t free = mi->has_free ? mi->free : mi->total;

	if (!(flags & NP_HOST_MEMFREE_ONLY) && mi->has_inactive_file)
		free =
		    mi->inactive_file > UINT64_MAX - free ? UINT64_MAX : free + mi->inactive_file;
	/* The two counters are read at slightly different instants; never report more free
	 * memory than there is. */
	*ret_total = mi->total;
	*ret_free = free < mi->total ? free : mi->total;
	*ret_assumed = !mi->has_free;
}

static int meminfo_read(const struct np__root *root, const char *rel, int node, unsigned flags,
                        uint64_t *ret_total, uint64_t *ret_free, bool *ret_assumed)
{
	struct np__meminfo mi;
	struct meminfo_ctx c = {node, &mi};
	int r = file_parse(root, rel, false, meminfo_parser, &c);

	if (r < 0)
		return r;
	memory_from_info(&mi, flags, ret_total, ret_free, ret_assumed);
	return r;
}

static int node_memory_read(const struct np__root *root, unsigned id, unsigned flags,
                            uint64_t *ret_total, uint64_t *ret_free, bool *ret_assumed)
{
	char rel[96];

	snprintf(rel, sizeof(rel), NODE_DIR "/node%u/meminfo", id);
	return meminfo_read(root, rel, (int)id, flags, ret_total, ret_free, ret_assumed);
}

/* Read a file holding one count (nr_hugepages). */
static int count_read(const struct np__root *root, const char *rel, uint64_t *ret_count)
{
	return file_parse(root, rel, false, count_parser, ret_count);
}

/* "hugepages-2048kB" -> 2048 KiB in bytes; false for any other name. */
static bool hugepage_dir_size(const char *name, uint64_t *ret_bytes)
{
	uint64_t kb = 0;
	const char *p;

	if (strncmp(name, "hugepages-", 10) != 0)
		return false;
	p = name + 10;
	if (*p < '1' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (kb > (UINT64_MAX / 1024 - 9) / 10)
			return false;
		kb = kb * 10 + (uint64_t)(*p - '0');
	}
	if (strcmp(p, "kB") != 0)
		return false;
	*ret_bytes = kb * 1024;
	return true;
}

static int node_hugepages_read(const struct np__root *root, unsigned id,
                               struct np_hugepages **ret_hp, unsigned *ret_n)
{
	struct np_hugepages *hp = NULL, *bigger;
	unsigned n = 0, cap = 0;
	char rel[400];
	struct dirent *de;
	DIR *dir = NULL;
	int fd, r;

	snprintf(rel, sizeof(rel), NODE_DIR "/node%u/hugepages", id);
	fd = openat(root->fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		/* No directory: a kernel without huge pages, or a capture that left them out. */
		r = errno == ENOENT ? 0 : -errno;
		if (r < 0)
			np__set_error("cannot open '%s%s%s': %s", root->path, sep(root), rel,
			              strerror(-r));
		goto done;
	}
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		goto out;
	}
	while ((de = readdir(dir))) {
		struct np_hugepages h;

		if (!hugepage_dir_size(de->d_name, &h.size_bytes))
			continue;
		snprintf(rel, sizeof(rel), NODE_DIR "/node%u/hugepages/%s/nr_hugepages", id,
		         de->d_name);
		r = count_read(root, rel, &h.total);
		if (r < 0)
			goto out;
		snprintf(rel, sizeof(rel), NODE_DIR "/node%u/hugepages/%s/free_hugepages", id,
		         de->d_name);
		r = count_read(root, rel, &h.free);
		if (r < 0)
			goto out;
		if (h.free > h.total)
			h.free = h.total;
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			bigger = realloc(hp, cap * sizeof(*hp));
			if (!bigger) {
				r = -ENOMEM;
				goto out;
			}
			hp = bigger;
		}
		hp[n++] = h;
	}
	r = 0;
done:
	if (r == 0) {
		*ret_hp = hp;
		*ret_n = n;
		hp = NULL;
	}
out:
	if (dir)
		closedir(dir);
	free(hp);
	return r;
}

/* Without NP_HOST_WHOLE_SYSTEM a node with neither usable CPUs nor memory is left out. */
static bool node_kept(unsigned flags, unsigned ncpus, uint64_t memory_bytes)
{
	return (flags & NP_HOST_WHOLE_SYSTEM) || ncpus > 0 || memory_bytes > 0;
}

/* Node ids from the node/ directory's nodeN entries, for kernels without node/online. */
static int scan_node_dirs(const struct np__root *root, hwloc_bitmap_t ret_ids)
{
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	fd = openat(root->fd, NODE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		/* -ENOENT is a kernel without NUMA: the caller decides. */
		if (r != -ENOENT)
			np__set_error("cannot open '%s%s" NODE_DIR "': %s", root->path, sep(root),
			              strerror(-r));
		return r;
	}
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	hwloc_bitmap_zero(ret_ids);
	while ((de = readdir(dir))) {
		const char *p = de->d_name + 4;
		unsigned long id;
		char *end;

		if (strncmp(de->d_name, "node", 4) != 0 || *p < '0' || *p > '9')
			continue;
		errno = 0;
		id = strtoul(p, &end, 10);
		if (*end || errno || id > NP__MAX_NODE_ID || (*p == '0' && p[1]))
			continue;
		hwloc_bitmap_set(ret_ids, (unsigned)id);
	}
	closedir(dir);
	return 0;
}

static int node_ids_read(const struct np__root *root, hwloc_bitmap_t ret_ids)
{
	struct list_ctx c = {NP__MAX_NODE_ID, ret_ids};
	int r = file_parse(root, NODE_DIR "/online", true, list_parser, &c);

	return r == -ENOENT ? scan_node_dirs(root, ret_ids) : r;
}

static int node_cpus_read(const struct np__root *root, unsigned id, hwloc_bitmap_t ret_cpus)
{
	struct list_ctx c = {NP__MAX_CPU_ID, ret_cpus};
	char rel[96];
	int r;

	snprintf(rel, sizeof(rel), NODE_DIR "/node%u/cpulist", id);
	r = file_parse(root, rel, true, list_parser, &c);
	if (r == -ENOENT) {
		snprintf(rel, sizeof(rel), NODE_DIR "/node%u/cpumap", id);
		r = file_parse(root, rel, false, cpumap_parser, ret_cpus);
	}
	return r;
}

/* A node's distance row (`count` entries); 1 when read, 0 when the file is missing. */
static int node_distance_read(const struct np__root *root, unsigned id, unsigned count,
                              unsigned *ret_row)
{
	struct row_ctx c = {count, ret_row};
	char rel[96];
	int r;

	snprintf(rel, sizeof(rel), NODE_DIR "/node%u/distance", id);
	r = file_parse(root, rel, true, distance_parser, &c);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : 1;
}

/*
 * A kernel built without NUMA has no node/ directory, and a capture of a single-node machine
 * may have one without any nodeN folder: the whole machine is node 0, with the online CPUs
 * and /proc/meminfo (hwloc shows such a machine the same way).
 */
static int load_flat(const struct np__root *root, unsigned flags, hwloc_const_bitmap_t allowed,
                     const struct np__build_extra *extra, np_host **ret_host)
{
	const char *rel = "sys/devices/system/cpu/online";
	struct np_node_spec spec = {0};
	struct np__build_extra x = *extra;
	hwloc_bitmap_t cpus = NULL;
	struct list_ctx c = {NP__MAX_CPU_ID, NULL};
	bool assumed = false;
	int r;

	cpus = hwloc_bitmap_alloc();
	if (!cpus)
		return -ENOMEM;
	c.set = cpus;
	r = file_parse(root, rel, false, list_parser, &c);
	if (r < 0)
		goto out;
	if (allowed)
		hwloc_bitmap_and(cpus, cpus, allowed);
	if (hwloc_bitmap_iszero(cpus)) {
		np__set_error("no usable CPU in '%s%s%s'", root->path, sep(root), rel);
		r = -ENODEV;
		goto out;
	}
	r = meminfo_read(root, "proc/meminfo", -1, flags, &spec.memory_bytes, &spec.free_bytes,
	                 &assumed);
	if (r < 0)
		goto out;
	spec.cpus = cpus;
	x.free_assumed = &assumed;
	r = np__host_build(1, &spec, NULL, &x, ret_host);
out:
	hwloc_bitmap_free(cpus);
	return r;
}

int np__online_cpus_read(const struct np__root *root, hwloc_bitmap_t ret_cpus)
{
	struct list_ctx c = {NP__MAX_CPU_ID, ret_cpus};
	int r = file_parse(root, "sys/devices/system/cpu/online", true, list_parser, &c);

	return r == -ENOENT ? 1 : r;
}

/* Everything about one node; row[] receives its distance row when *have_dist. */
static int node_read(const struct np__root *root, unsigned id, unsigned flags, unsigned nids,
                     struct np_node_spec *s, struct np_hugepages **ret_hp, bool *ret_assumed,
                     unsigned *row, bool *have_dist)
{
	hwloc_bitmap_t cpus;
	int r;

	cpus = hwloc_bitmap_alloc();
	if (!cpus)
		return -ENOMEM;
	s->id = id;
	s->cpus = cpus;
	r = node_cpus_read(root, id, cpus);
	if (r < 0)
		return r;
	r = node_memory_read(root, id, flags, &s->memory_bytes, &s->free_bytes, ret_assumed);
	if (r < 0)
		return r;
	r = node_hugepages_read(root, id, ret_hp, &s->nhugepages);
	if (r < 0)
		return r;
	s->hugepages = *ret_hp;
	if (*have_dist) {
		r = node_distance_read(root, id, nids, row);
		if (r < 0)
			return r;
		/* One missing row makes the whole matrix unknown, as hwloc treats it. */
		*have_dist = r == 1;
	}
	return 0;
}

/* True when some node of `ids` has its nodeN folder. */
static bool node_dirs_present(const struct np__root *root, hwloc_const_bitmap_t ids)
{
	char rel[96];
	int id;

	hwloc_bitmap_foreach_begin(id, ids)
	{
		snprintf(rel, sizeof(rel), NODE_DIR "/node%d", id);
		if (faccessat(root->fd, rel, F_OK, 0) == 0)
			return true;
	}
	hwloc_bitmap_foreach_end();
	return false;
}

bool np__root_breaks_hwloc(const struct np__root *root)
{
	struct dirent *de;
	bool breaks = true;
	DIR *dir;
	int fd;

	/* hwloc 2.9 asserts that node/ holds an online file or a nodeN folder. */
	if (faccessat(root->fd, NODE_DIR "/online", F_OK, 0) == 0)
		return false;
	fd = openat(root->fd, NODE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return false;
	}
	while (breaks && (de = readdir(dir)))
		breaks = !(strncmp(de->d_name, "node", 4) == 0 && de->d_name[4] >= '0' &&
		           de->d_name[4] <= '9');
	closedir(dir);
	return breaks;
}

/* The nodes to read: 0 and *ret_ids, 1 when the tree has none (one node 0), or -errno. */
static int node_ids_get(const struct np__root *root, hwloc_bitmap_t ret_ids)
{
	unsigned n;
	int r = node_ids_read(root, ret_ids);

	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return r;
	if (hwloc_bitmap_iszero(ret_ids) || !node_dirs_present(root, ret_ids))
		return 1;
	n = (unsigned)hwloc_bitmap_weight(ret_ids);
	if (n > NP_HOST_MAX_NODES) {
		np__set_error("cannot load '%s': %u NUMA nodes, more than the limit of %u",
		              root->path, n, NP_HOST_MAX_NODES);
		return -E2BIG;
	}
	return 0;
}

int np__sysfs_size_check(const struct np__root *root)
{
	hwloc_bitmap_t ids = hwloc_bitmap_alloc();
	int r;

	if (!ids)
		return -ENOMEM;
	r = node_ids_get(root, ids);
	hwloc_bitmap_free(ids);
	return r == -E2BIG || r == -ENOMEM ? r : 0; /* other failures: the load says them */
}

/* The distance matrix over the kept nodes, from the rows of all nodes (heap). */
static unsigned *kept_distances(const unsigned *rows, unsigned nids, const unsigned *kept,
                                unsigned nkept)
{
	unsigned *dist = malloc((size_t)nkept * nkept * sizeof(*dist));

	for (unsigned i = 0; dist && i < nkept; i++)
		for (unsigned j = 0; j < nkept; j++)
			dist[(size_t)i * nkept + j] = rows[(size_t)kept[i] * nids + kept[j]];
	return dist;
}

/* What np__sysfs_host_build() reads: every node of `ids`, in id order. */
struct sysfs_nodes {
	unsigned nids;
	struct np_node_spec *specs;
	struct np_hugepages **hps;
	bool *assumed;  /* free memory assumed, per node */
	unsigned *rows; /* nids * nids: the distance rows */
	bool have_dist; /* every row was there */
	unsigned *kept; /* indexes of the nodes kept, increasing */
	unsigned nkept, withcpus;
};

static int nodes_read(const struct np__root *root, unsigned flags, hwloc_const_bitmap_t ids,
                      hwloc_const_bitmap_t allowed_cpus, hwloc_const_bitmap_t allowed_mems,
                      struct sysfs_nodes *n)
{
	unsigned k = 0;
	int id, r;

	for (id = hwloc_bitmap_first(ids); id >= 0; id = hwloc_bitmap_next(ids, id), k++) {
		struct np_node_spec *s = &n->specs[k];
		hwloc_bitmap_t cpus;

		/* The distance rows list every online node in id order, kept or not. */
		r = node_read(root, (unsigned)id, flags, n->nids, s, &n->hps[k], &n->assumed[k],
		              &n->rows[(size_t)k * n->nids], &n->have_dist);
		if (r < 0)
			return r;
		cpus = (hwloc_bitmap_t)s->cpus;
		if (allowed_cpus)
			hwloc_bitmap_and(cpus, cpus, allowed_cpus);
		if (allowed_mems && !hwloc_bitmap_isset(allowed_mems, s->id)) {
			/* CPUs usable, memory not: to this process a node without memory */
			s->memory_bytes = s->free_bytes = 0;
			s->nhugepages = 0;
		}
		if (!node_kept(flags, (unsigned)hwloc_bitmap_weight(cpus), s->memory_bytes))
			continue;
		n->kept[n->nkept++] = k;
		n->withcpus += !hwloc_bitmap_iszero(cpus);
	}
	return 0;
}

/* Build the host from the kept nodes of `n` (moved to the front of its arrays). */
static int kept_build(const struct np__root *root, struct sysfs_nodes *n,
                      const struct np__build_extra *extra, np_host **ret_host)
{
	struct np__build_extra x = *extra;
	unsigned *dist = NULL;
	int r;

	if (n->have_dist && !(dist = kept_distances(n->rows, n->nids, n->kept, n->nkept)))
		return -ENOMEM;
	/* kept[] is increasing, so no source is overwritten before it is moved. */
	for (unsigned i = 0; i < n->nkept; i++)
		if (n->kept[i] != i) {
			struct np_node_spec tmp = n->specs[i];

			n->specs[i] = n->specs[n->kept[i]];
			n->specs[n->kept[i]] = tmp;
			n->assumed[i] = n->assumed[n->kept[i]];
		}
	x.free_assumed = n->assumed;
	r = np__host_build(n->nkept, n->specs, dist, &x, ret_host);
	if (r == -EINVAL) {
		np__set_error("inconsistent node facts in '%s%s" NODE_DIR "'", root->path,
		              sep(root));
		r = -EBADMSG;
	}
	free(dist);
	return r;
}

int np__sysfs_host_build(const struct np__root *root, unsigned flags,
                         hwloc_const_bitmap_t allowed_cpus, hwloc_const_bitmap_t allowed_mems,
                         const struct np__build_extra *extra, np_host **ret_host)
{
	struct sysfs_nodes n = {0};
	hwloc_bitmap_t ids = NULL;
	int r;

	ids = hwloc_bitmap_alloc();
	if (!ids)
		return -ENOMEM;
	r = node_ids_get(root, ids);
	if (r == 1) {
		r = load_flat(root, flags, allowed_cpus, extra, ret_host);
		goto out;
	}
	if (r < 0)
		goto out;
	n.nids = (unsigned)hwloc_bitmap_weight(ids);
	n.have_dist = true;
	n.specs = calloc(n.nids, sizeof(*n.specs));
	n.hps = calloc(n.nids, sizeof(*n.hps));
	n.assumed = calloc(n.nids, sizeof(*n.assumed));
	n.rows = malloc((size_t)n.nids * n.nids * sizeof(*n.rows));
	n.kept = malloc(n.nids * sizeof(*n.kept));
	if (!n.specs || !n.hps || !n.assumed || !n.rows || !n.kept) {
		r = -ENOMEM;
		goto out;
	}
	r = nodes_read(root, flags, ids, allowed_cpus, allowed_mems, &n);
	if (r == 0 && n.withcpus == 0) {
		np__set_error("no usable NUMA node with CPUs in '%s%s" NODE_DIR "'", root->path,
		              sep(root));
		r = -ENODEV;
	}
	if (r == 0)
		r = kept_build(root, &n, extra, ret_host);
out:
	if (r == -E2BIG && !*np_last_error())
		np__set_error("cannot load '%s': more than the limit of %u CPUs", root->path,
		              NP_HOST_MAX_PUS);
	for (unsigned i = 0; i < n.nids && n.specs; i++)
		hwloc_bitmap_free((hwloc_bitmap_t)n.specs[i].cpus);
	for (unsigned i = 0; i < n.nids && n.hps; i++)
		free(n.hps[i]);
	free(n.specs);
	free(n.hps);
	free(n.assumed);
	free(n.rows);
	free(n.kept);
	hwloc_bitmap_free(ids);
	return r;
}
