/*
 * memory-tiers.c - what each node's memory is and what it costs (docs/devices.md): its kind
 * (DRAM, HBM, far/CXL, GPU memory), the kernel's memory tier, and the firmware's HMAT
 * bandwidth and latency from its initiators. From sysfs below a root (node/nodeN/access0,
 * memory_tiering) for the live host and captured trees, from hwloc's NUMA node subtypes and
 * memory attributes for XML topologies. Read only when asked (info), like the devices.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct np_memory {
	unsigned n;
	struct np_memory_node *nodes;  /* in host index order */
	struct np_memory_access **acc; /* per node: its access array */
};

static const char *const kind_names[NP_MEMORY_KIND_COUNT_] = {
    [NP_MEMORY_UNKNOWN] = "unknown", [NP_MEMORY_DRAM] = "dram", [NP_MEMORY_HBM] = "hbm",
    [NP_MEMORY_FAR] = "far",         [NP_MEMORY_GPU] = "gpu",
};

const char *np_memory_kind_name(enum np_memory_kind kind)
{
	return (unsigned)kind < NP_MEMORY_KIND_COUNT_ ? kind_names[kind] : NULL;
}

int np_memory_kind_parse(const char *name, enum np_memory_kind *ret_kind)
{
	for (unsigned k = 0; name && k < NP_MEMORY_KIND_COUNT_; k++)
		if (strcmp(name, kind_names[k]) == 0) {
			*ret_kind = (enum np_memory_kind)k;
			return 0;
		}
	return -EINVAL;
}

void np_memory_free(np_memory *m)
{
	if (!m)
		return;
	for (unsigned i = 0; m->acc && i < m->n; i++)
		free(m->acc[i]);
	free(m->acc);
	free(m->nodes);
	free(m);
}

unsigned np_memory_count(const np_memory *m)
{
	return m ? m->n : 0;
}

const struct np_memory_node *np_memory_get(const np_memory *m, unsigned idx)
{
	return m && idx < m->n ? &m->nodes[idx] : NULL;
}

/* Append one access entry to node i. 0 or -ENOMEM. */
static int access_add(np_memory *m, unsigned i, const struct np_memory_access *a)
{
	struct np_memory_node *n = &m->nodes[i];
	struct np_memory_access *acc = realloc(m->acc[i], (n->naccess + 1) * sizeof(*acc));

	if (!acc)
		return -ENOMEM;
	acc[n->naccess++] = *a;
	m->acc[i] = acc;
	n->access = acc;
	return 0;
}

/* hwloc's subtypes of special memory (XML, sysfs through hwloc). */
static enum np_memory_kind kind_of_subtype(const char *subtype)
{
	if (!subtype)
		return NP_MEMORY_UNKNOWN;
	if (strcmp(subtype, "MCDRAM") == 0 || strcmp(subtype, "HBM") == 0)
		return NP_MEMORY_HBM;
	if (strcmp(subtype, "GPUMemory") == 0)
		return NP_MEMORY_GPU;
	if (strcmp(subtype, "NVM") == 0 || strcmp(subtype, "SPM") == 0 ||
	    strncmp(subtype, "CXL", 3) == 0)
		return NP_MEMORY_FAR;
	if (strcmp(subtype, "DRAM") == 0)
		return NP_MEMORY_DRAM;
	return NP_MEMORY_UNKNOWN;
}

/* ------------------------------------------------------------------------------------------ */
/* sysfs                                                                                         */
/* ------------------------------------------------------------------------------------------ */

static int read_u64(const struct np__root *root, const char *rel, uint64_t *ret)
{
	struct np__parse_error err = {NULL, 0};
	char *text = NULL;
	ssize_t n = np__root_read(root, rel, true, &text);
	int r;

	if (n < 0)
		return (int)n;
	r = np__count_parse(text, ret, &err);
	if (r < 0 && r != -ENOMEM) {
		np__set_error("cannot parse '%s/%s': %s", root->path, rel, err.what);
		r = -EBADMSG;
	}
	free(text);
	return r;
}

/* node N's access0/initiators: the best initiators and what they see. */
static int sysfs_access(const struct np__root *root, np_memory *m, unsigned i)
{
	static const char *const files[] = {"read_bandwidth", "write_bandwidth", "read_latency",
	                                    "write_latency"};
	struct np_memory_access a = {-1, 0, 0, 0, 0};
	uint64_t *vals[] = {&a.read_bandwidth, &a.write_bandwidth, &a.read_latency,
	                    &a.write_latency};
	char rel[128];
	struct dirent *de;
	DIR *dir;
	int fd, r = 0, found = 0;

	for (unsigned f = 0; f < 4; f++) {
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/access0/initiators/%s",
		         m->nodes[i].node, files[f]);
		r = read_u64(root, rel, vals[f]);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		found++;
	}
	if (!found)
		return 0;
	snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/access0/initiators",
	         m->nodes[i].node);
	fd = openat(root->fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return access_add(m, i, &a);
	}
	r = 0;
	while (r == 0 && (de = readdir(dir))) {
		char *end;
		unsigned long id;

		if (strncmp(de->d_name, "node", 4) != 0)
			continue;
		id = strtoul(de->d_name + 4, &end, 10);
		if (*end || end == de->d_name + 4 || id > NP__MAX_NODE_ID)
			continue;
		a.initiator = (int)id;
		r = access_add(m, i, &a);
		found = -1;
	}
	closedir(dir);
	if (r == 0 && found != -1)
		r = access_add(m, i, &a); /* values without initiator links */
	return r;
}

/* memory_tiering/memory_tierN/nodelist: the tier of every node listed. */
static int sysfs_tiers(const struct np__root *root, np_memory *m)
{
	const char *rel = "sys/devices/virtual/memory_tiering";
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	fd = openat(root->fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* a kernel before 6.1, or without tiers */
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -ENOMEM;
	}
	while (r == 0 && (de = readdir(dir))) {
		struct np__parse_error err = {NULL, 0};
		hwloc_bitmap_t set;
		char path[320], *text = NULL, *end;
		unsigned long tier;

		if (strncmp(de->d_name, "memory_tier", 11) != 0)
			continue;
		tier = strtoul(de->d_name + 11, &end, 10);
		if (*end || end == de->d_name + 11 || tier > 1u << 20)
			continue;
		snprintf(path, sizeof(path), "%s/%s/nodelist", rel, de->d_name);
		if (np__root_read(root, path, true, &text) < 0)
			continue;
		set = hwloc_bitmap_alloc();
		if (!set) {
			r = -ENOMEM;
		} else if (np__kernel_list_parse(text, NP__MAX_NODE_ID, set, &err) < 0) {
			np__set_error("cannot parse '%s/%s': %s", root->path, path, err.what);
			r = -EBADMSG;
		} else {
			for (unsigned i = 0; i < m->n; i++)
				if (hwloc_bitmap_isset(set, m->nodes[i].node))
					m->nodes[i].tier = (int)tier;
		}
		hwloc_bitmap_free(set);
		free(text);
	}
	closedir(dir);
	return r;
}

/* ------------------------------------------------------------------------------------------ */
/* hwloc memory attributes                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* The node of the host whose CPUs are exactly `cpus`, or -1. */
static int node_of_cpus(const np_host *h, hwloc_const_cpuset_t cpus)
{
	for (unsigned i = 0; cpus && i < np_host_nnodes(h); i++) {
		const struct np_node *n = np_host_node(h, i);

		if (n->ncpus && hwloc_bitmap_isequal(n->cpuset, cpus))
			return (int)n->id;
	}
	return -1;
}

static int hwloc_access(hwloc_topology_t topo, const np_host *h, hwloc_obj_t obj, np_memory *m,
                        unsigned i)
{
	static const hwloc_memattr_id_t ids[] = {HWLOC_MEMATTR_ID_BANDWIDTH,
	                                         HWLOC_MEMATTR_ID_LATENCY};
	struct hwloc_location loc[64];
	hwloc_uint64_t vals[64];
	int r;

	for (unsigned k = 0; k < 2; k++) {
		unsigned nr = 64;

		if (hwloc_memattr_get_initiators(topo, ids[k], obj, 0, &nr, loc, vals) < 0)
			continue;
		if (nr > 64)
			nr = 64;
		for (unsigned j = 0; j < nr; j++) {
			hwloc_const_cpuset_t cpus = loc[j].type == HWLOC_LOCATION_TYPE_CPUSET
			                                ? loc[j].location.cpuset
			                                : loc[j].location.object->cpuset;
			int node = node_of_cpus(h, cpus);
			struct np_memory_access a = {node, 0, 0, 0, 0}, *e = NULL;

			/* one entry per initiator node; initiators that are not one node's CPUs
			 * (a core, the whole machine) have no node: -1 */
			for (unsigned q = 0; q < m->nodes[i].naccess && node >= 0; q++)
				if (m->acc[i][q].initiator == node)
					e = &m->acc[i][q];
			if (!e) {
				r = access_add(m, i, &a);
				if (r < 0)
					return r;
				e = &m->acc[i][m->nodes[i].naccess - 1];
			}
			if (k == 0)
				e->read_bandwidth = e->write_bandwidth = vals[j];
			else
				e->read_latency = e->write_latency = vals[j];
		}
	}
	return 0;
}

static int load_hwloc_attrs(const np_host *h, np_memory *m)
{
	hwloc_topology_t topo = np_host_topology(h);
	int r = 0;

	if (!topo)
		return 0;
	for (unsigned i = 0; i < m->n && r == 0; i++) {
		hwloc_obj_t obj = hwloc_get_numanode_obj_by_os_index(topo, m->nodes[i].node);
		enum np_memory_kind k;

		if (!obj)
			continue;
		k = kind_of_subtype(obj->subtype);
		if (k != NP_MEMORY_UNKNOWN)
			m->nodes[i].kind = k;
		r = hwloc_access(topo, h, obj, m, i);
	}
	return r;
}

/* ------------------------------------------------------------------------------------------ */

/* The access entry of node index j from initiator node `init`, or NULL. */
static const struct np_memory_access *access_from(const np_memory *m, unsigned j, int init)
{
	for (unsigned a = 0; a < m->nodes[j].naccess; a++)
		if (m->nodes[j].access[a].initiator == init)
			return &m->nodes[j].access[a];
	return NULL;
}

/*
 * What HMAT says of CPU-less node n against its initiators' own memory: HBM when its read
 * bandwidth from an initiator is above the initiator's own (Xeon Max and KNL in flat mode:
 * more bandwidth, a little more latency), far memory when it is not and its latency is
 * above; unknown when HMAT says nothing.
 */
static enum np_memory_kind kind_by_hmat(const np_host *h, const np_memory *m,
                                        const struct np_memory_node *n)
{
	enum np_memory_kind k = NP_MEMORY_UNKNOWN;

	for (unsigned a = 0; a < n->naccess; a++) {
		const struct np_memory_access *x = &n->access[a], *own;
		int ii = x->initiator >= 0 ? np_host_node_idx(h, (unsigned)x->initiator) : -1;

		own = ii >= 0 ? access_from(m, (unsigned)ii, x->initiator) : NULL;
		if (!own)
			continue;
		if (own->read_bandwidth && x->read_bandwidth > own->read_bandwidth)
			return NP_MEMORY_HBM;
		if (own->read_latency && x->read_latency > own->read_latency)
			k = NP_MEMORY_FAR;
	}
	return k;
}

/*
 * The kind where no subtype says it: a node with CPUs is DRAM; a node without CPUs whose
 * tier is slower than every node with CPUs is far memory; otherwise HMAT decides (HBM with
 * more bandwidth than its initiator's own memory, far memory with more latency); otherwise
 * it stays unknown.
 */
static void infer_kinds(const np_host *h, np_memory *m)
{
	int dram_tier = -1;

	for (unsigned i = 0; i < m->n; i++)
		if (np_host_node(h, i)->ncpus && m->nodes[i].tier >= 0 &&
		    (dram_tier < 0 || m->nodes[i].tier > dram_tier))
			dram_tier = m->nodes[i].tier;
	for (unsigned i = 0; i < m->n; i++) {
		struct np_memory_node *n = &m->nodes[i];

		if (n->kind != NP_MEMORY_UNKNOWN)
			continue;
		if (np_host_node(h, i)->ncpus) {
			n->kind = NP_MEMORY_DRAM;
			continue;
		}
		if (dram_tier >= 0 && n->tier > dram_tier)
			n->kind = NP_MEMORY_FAR;
		else
			n->kind = kind_by_hmat(h, m, n);
	}
}

int np_memory_load(const struct np_source *src, const np_host *host, np_memory **ret_memory)
{
	struct np__root root = {-1, NULL};
	np_memory *m = NULL;
	int r = 0;

	np__clear_error();
	if (!src || !host || !ret_memory || (src->kind != NP_SOURCE_LIVE && !src->arg))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->n = np_host_nnodes(host);
	m->nodes = calloc(m->n, sizeof(*m->nodes));
	m->acc = calloc(m->n, sizeof(*m->acc));
	if (!m->nodes || !m->acc) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < m->n; i++) {
		m->nodes[i].node = np_host_node(host, i)->id;
		m->nodes[i].tier = -1;
	}
	if (src->kind == NP_SOURCE_LIVE || src->kind == NP_SOURCE_SYSFS) {
		r = np__root_open(src->kind == NP_SOURCE_LIVE ? "/" : src->arg, &root);
		for (unsigned i = 0; i < m->n && r == 0; i++)
			r = sysfs_access(&root, m, i);
		if (r == 0)
			r = sysfs_tiers(&root, m);
	}
	/* Subtypes from hwloc (XML, and sysfs trees loaded through it); attributes on XML. */
	if (r == 0 && src->kind == NP_SOURCE_XML)
		r = load_hwloc_attrs(host, m);
	else if (r == 0 && np_host_topology(host))
		for (unsigned i = 0; i < m->n; i++) {
			hwloc_obj_t obj = hwloc_get_numanode_obj_by_os_index(np_host_topology(host),
			                                                     m->nodes[i].node);

			if (obj)
				m->nodes[i].kind = kind_of_subtype(obj->subtype);
		}
	if (r == 0)
		infer_kinds(host, m);
out:
	np__root_close(&root);
	if (r < 0) {
		np_memory_free(m);
		return r;
	}
	*ret_memory = m;
	return 0;
}

/* The read latency from initiator `init` to node index j, or 0. */
static uint64_t latency(const np_memory *m, unsigned j, int init)
{
	const struct np_memory_access *a = access_from(m, j, init);

	return a ? a->read_latency : 0;
}

int np_memory_costs(const np_memory *m, const np_host *h, unsigned **ret_costs)
{
	unsigned n = np_host_nnodes(h), *c;
	int count = 0;

	if (!m || m->n != n || !ret_costs)
		return -EINVAL;
	c = malloc((size_t)n * n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		int init = (int)m->nodes[i].node;
		uint64_t local = latency(m, i, init);

		for (unsigned j = 0; j < n; j++) {
			uint64_t l = local ? latency(m, j, init) : 0, v;

			c[(size_t)i * n + j] = np_host_distance(h, i, j);
			if (!l)
				continue;
			v = (10 * l + local / 2) / local;
			c[(size_t)i * n + j] = v < 10 ? 10 : v > 65535 ? 65535 : (unsigned)v;
			count++;
		}
	}
	if (count == 0) {
		free(c);
		c = NULL;
	}
	*ret_costs = c;
	return count;
}
