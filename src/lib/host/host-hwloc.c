/*
 * host-hwloc.c - np_host_load(): the topology from hwloc (live host, XML, synthetic, captured
 * sysfs tree), the changing facts (free memory, huge pages) from sysfs below the same root.
 *
 * On the live host and sysfs trees hwloc is asked for Packages, Cores, NUMA nodes and PUs only:
 * caches, groups and I/O cost discovery time, and a node's CPUs come from its cpulist.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * hwloc has no API to point its Linux backend at another root: it reads HWLOC_FSROOT when the
 * backend is instantiated inside hwloc_topology_load(). The variable is set for that call only,
 * under this lock, and restored afterwards (see NP_SOURCE_SYSFS in numaplace.h). Live loads
 * take the lock too, with HWLOC_FSROOT=/: a capture loading in another thread must not
 * redirect them, nor a value left in the environment.
 */
static pthread_mutex_t fsroot_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The variables set for the load: the root, and hwloc's switch that keeps the memory of NVIDIA
 * GPUs as NUMA nodes (hwloc hides them by default; the kernel shows them, NP_HOST_FAST shows
 * them, and they are memory-only nodes a placement may use).
 */
static const char *const env_names[] = {"HWLOC_FSROOT", "HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES"};
#define NENV (sizeof(env_names) / sizeof(env_names[0]))

static int load_with_fsroot(hwloc_topology_t topo, const char *root)
{
	const char *values[NENV] = {root, "1"};
	char *saved[NENV] = {NULL};
	bool had[NENV] = {false}, failed = false;
	unsigned set = 0;
	int r = 0, err = 0;

	pthread_mutex_lock(&fsroot_lock);
	for (unsigned i = 0; i < NENV; i++) {
		const char *old = getenv(env_names[i]);

		had[i] = old != NULL;
		if (old && !(saved[i] = strdup(old))) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (; set < NENV; set++)
		if (setenv(env_names[set], values[set], 1) < 0) {
			r = -errno;
			goto out;
		}
	if (hwloc_topology_load(topo) < 0) {
		err = errno;
		failed = true;
	}
	if (failed)
		r = err ? -err : -EINVAL;
out:
	for (unsigned i = 0; i < set; i++) {
		if (had[i])
			setenv(env_names[i], saved[i], 1);
		else
			unsetenv(env_names[i]);
	}
	pthread_mutex_unlock(&fsroot_lock);
	for (unsigned i = 0; i < NENV; i++)
		free(saved[i]);
	return r;
}

/*
 * hwloc 2.9 crashes on two kinds of XML that its exporter never writes, so they are checked
 * here first:
 * - an <object> with a cpuset but no complete_cpuset, or a nodeset but no complete_nodeset (a
 *   NULL dereference inside hwloc_topology_load(); later hwloc releases reject such a file,
 *   hwloc pull request 783);
 * - a set that is not in hwloc's own format ("0x0000000f,,0x00000001": chunks of up to 8 hex
 *   digits after "0x", empty chunks for zeros in between, optionally after "0xf...f,"):
 *   ",0x2" fails an assertion in hwloc_bitmap_sscanf() and aborts.
 * Every attribute named *cpuset or *nodeset of every start tag is checked. At a tag this scan
 * cannot read (an attribute without '=' or quotes, a truncated file) it stops: that is not
 * well-formed XML, which np__xml_check_syntax() has refused before.
 */
#define XML_MAX_BYTES (256u << 20)

static bool xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * A set value [v, end) in hwloc's format (see above): chunks separated by commas, the first and
 * the last "0x" and 1 to 8 hex digits, those in between the same or empty.
 */
static bool xml_set_valid(const char *v, const char *end)
{
	if (end - v >= 7 && strncmp(v, "0xf...f", 7) == 0) {
		v += 7;
		if (v == end)
			return true;
		if (*v++ != ',')
			return false;
	}
	for (bool first = true;; first = false) {
		const char *chunk = v;

		while (v < end && *v != ',')
			v++;
		if (v == chunk) {
			if (first || v == end)
				return false;
		} else if (v - chunk < 3 || v - chunk > 10 || chunk[0] != '0' || chunk[1] != 'x') {
			return false;
		} else {
			for (const char *d = chunk + 2; d < v; d++)
				if (!hex_digit(*d))
					return false;
		}
		if (v == end)
			return true;
		v++; /* the comma */
		if (v == end)
			return false;
	}
}

static bool ends_with(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(name + len - n, suffix, n) == 0;
}

/*
 * Scan one start tag's attributes from p (after the tag's name). Returns 0 (*end: past the
 * attributes), -EBADMSG (a bad set, or an object's set without its complete set) or -EINVAL
 * (unreadable).
 */
static int xml_tag(const char *p, bool object, const char **end)
{
	static const char *const names[] = {"cpuset", "complete_cpuset", "nodeset",
	                                    "complete_nodeset"};
	bool has[4] = {false, false, false, false};

	for (;;) {
		const char *name, *q;
		size_t len;

		while (xml_space(*p))
			p++;
		if (*p == '>' || *p == '/' || *p == '\0')
			break;
		name = p;
		while (*p && !xml_space(*p) && *p != '=' && *p != '>' && *p != '/')
			p++;
		len = (size_t)(p - name);
		while (xml_space(*p))
			p++;
		if (len == 0 || *p++ != '=')
			return -EINVAL;
		while (xml_space(*p))
			p++;
		if ((*p != '"' && *p != '\'') || !(q = strchr(p + 1, *p)))
			return -EINVAL;
		if ((ends_with(name, len, "cpuset") || ends_with(name, len, "nodeset")) &&
		    !xml_set_valid(p + 1, q))
			return -EBADMSG;
		p = q + 1;
		for (unsigned k = 0; k < 4; k++)
			if (strlen(names[k]) == len && memcmp(names[k], name, len) == 0)
				has[k] = true;
	}
	*end = p;
	return object && ((has[0] && !has[1]) || (has[2] && !has[3])) ? -EBADMSG : 0;
}

/*
 * Read the file whole, check it (np__xml_check_syntax(), then the two crashes above) and return
 * the checked text: hwloc reads that buffer, not the file again, which may have changed since.
 */
static int xml_check(const char *path, char **ret_text, size_t *ret_len)
{
	char *text = NULL, *t;
	size_t len = 0, cap = 0;
	const char *p;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		np__set_error("cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	for (;;) {
		if (cap - len < 2) {
			cap = cap ? cap * 2 : 65536;
			if (cap > XML_MAX_BYTES) {
				np__set_error("cannot parse '%s': larger than %u MiB", path,
				              XML_MAX_BYTES >> 20);
				r = -EBADMSG;
				goto out;
			}
			t = realloc(text, cap);
			if (!t) {
				r = -ENOMEM;
				goto out;
			}
			text = t;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			np__set_error("cannot read '%s': %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	r = np__xml_check_syntax(path, text, &len);
	if (r < 0)
		goto out;
	for (p = text; (p = strchr(p, '<'));) {
		const char *stop = NULL;

		/* comments and CDATA may hold anything, "<object" included */
		if (strncmp(p, "<!--", 4) == 0)
			stop = strstr(p + 4, "-->");
		else if (strncmp(p, "<![CDATA[", 9) == 0)
			stop = strstr(p + 9, "]]>");
		else if (p[1] != '!' && p[1] != '?' && p[1] != '/') {
			const char *name = ++p;

			while (*p && !xml_space(*p) && *p != '>' && *p != '/')
				p++;
			r = xml_tag(p, p - name == 6 && strncmp(name, "object", 6) == 0, &p);
			if (r == -EINVAL)
				break;
			if (r < 0) {
				np__set_error(
				    "cannot parse '%s': a set not in hwloc's format, or an "
				    "object with a cpuset but no complete_cpuset (or a nodeset "
				    "but no complete_nodeset)",
				    path);
				goto out;
			}
			continue;
		} else {
			p++;
			continue;
		}
		if (!stop)
			break;
		p = stop + 3;
	}
	*ret_text = text;
	*ret_len = len;
	text = NULL;
	r = 0;
out:
	free(text);
	close(fd);
	return r;
}

/*
 * Well-formed XML (xml_check()) that hwloc's parser, either of them, refused: hwloc says
 * neither where nor why, so neither can this message. Returns -ENOMEM or -EBADMSG.
 */
static int xml_refused(const char *path, int r)
{
	if (r == -ENOMEM) {
		np__set_error("cannot load '%s': %s", path, strerror(ENOMEM));
		return r;
	}
	np__set_error("cannot parse '%s': not an hwloc XML topology", path);
	return -EBADMSG;
}

/* Create and load the topology of `src`. Records the error on failure. */
static int topology_load(const struct np_source *src, hwloc_topology_t *ret_topo)
{
	unsigned long hflags = 0;
	hwloc_topology_t topo = NULL;
	char *xml = NULL;
	size_t xml_len = 0;
	int r;

	if (hwloc_topology_init(&topo) < 0)
		return -ENOMEM;
	if (src->kind == NP_SOURCE_LIVE || src->kind == NP_SOURCE_SYSFS) {
		hwloc_topology_set_all_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
		hwloc_topology_set_type_filter(topo, HWLOC_OBJ_PACKAGE, HWLOC_TYPE_FILTER_KEEP_ALL);
		hwloc_topology_set_type_filter(topo, HWLOC_OBJ_CORE, HWLOC_TYPE_FILTER_KEEP_ALL);
	} else {
		/* A node's CPUs come from where hwloc attaches it (locality_cpus()): removing a
		 * Group, Die or cache would move it up and widen them. XML and synthetic loads are
		 * cheap, only I/O and Misc go. */
		hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
		hwloc_topology_set_type_filter(topo, HWLOC_OBJ_MISC, HWLOC_TYPE_FILTER_KEEP_NONE);
	}
	/*
	 * Disallowed objects are kept and the allowed sets applied per node afterwards
	 * (np_host_load_hwloc): hwloc would drop a node whose memory the cgroup forbids together
	 * with its CPUs, even when those CPUs are allowed.
	 */
	hflags |= HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED;
	if (hwloc_topology_set_flags(topo, hflags) < 0) {
		r = -EINVAL;
		goto out;
	}

	switch (src->kind) {
	case NP_SOURCE_XML:
		r = xml_check(src->arg, &xml, &xml_len);
		if (r < 0)
			goto out;
		/* the length counts the final '\0', as hwloc's own exports do */
		if (hwloc_topology_set_xmlbuffer(topo, xml, (int)xml_len + 1) < 0) {
			r = xml_refused(src->arg, errno == ENOMEM ? -ENOMEM : -EBADMSG);
			goto out;
		}
		break;
	case NP_SOURCE_SYNTHETIC:
		if (hwloc_topology_set_synthetic(topo, src->arg) < 0) {
			np__set_error("cannot parse synthetic topology '%s'", src->arg);
			r = -EBADMSG;
			goto out;
		}
		break;
	case NP_SOURCE_SYSFS:
		/* hwloc's x86 backend would add this machine's CPUID view to the capture. */
		hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST,
		                              "x86");
		break;
	default:
		break;
	}

	if (src->kind == NP_SOURCE_SYSFS)
		r = load_with_fsroot(topo, src->arg);
	else if (src->kind == NP_SOURCE_LIVE)
		r = load_with_fsroot(topo, "/");
	else
		r = hwloc_topology_load(topo) < 0 ? (errno ? -errno : -EINVAL) : 0;
	if (r < 0 && src->kind == NP_SOURCE_XML) {
		r = xml_refused(src->arg, r);
		goto out;
	}
	if (r < 0) {
		if (src->kind == NP_SOURCE_LIVE)
			np__set_error("cannot discover the host topology: %s", strerror(-r));
		else
			np__set_error("cannot load '%s': %s", src->arg, strerror(-r));
		r = r == -ENOMEM ? r : -EBADMSG;
		goto out;
	}
	*ret_topo = topo;
	topo = NULL;
	r = 0;
out:
	free(xml);
	if (topo)
		hwloc_topology_destroy(topo);
	return r;
}

/*
 * Huge pages from hwloc's page types (XML and synthetic sources, where free = total). The
 * smallest page type is the normal page size; the larger ones are huge pages.
 */
static int hugepages_from_obj(hwloc_obj_t node, struct np_hugepages **ret_hp, unsigned *ret_n)
{
	const struct hwloc_numanode_attr_s *a = &node->attr->numanode;
	struct np_hugepages *hp = NULL;
	uint64_t smallest = UINT64_MAX;
	unsigned n = 0;

	for (unsigned i = 0; i < a->page_types_len; i++)
		if (a->page_types[i].size && a->page_types[i].size < smallest)
			smallest = a->page_types[i].size;
	if (a->page_types_len > 1) {
		hp = calloc(a->page_types_len, sizeof(*hp));
		if (!hp)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < a->page_types_len; i++) {
		if (a->page_types[i].size <= smallest)
			continue;
		hp[n].size_bytes = a->page_types[i].size;
		hp[n].total = a->page_types[i].count;
		hp[n].free = a->page_types[i].count;
		n++;
	}
	*ret_hp = hp;
	*ret_n = n;
	return 0;
}

/* 1 when `kind` is a distance numaplace can use: from the OS, or any latency. */
static bool usable_kind(unsigned long kind, bool os_only)
{
	if (kind & HWLOC_DISTANCES_KIND_MEANS_BANDWIDTH)
		return false;
	return !os_only || (kind & HWLOC_DISTANCES_KIND_FROM_OS);
}

/*
 * The distance matrix over the kept nodes (specs[] order) from hwloc: the first matrix from the
 * OS that covers them all, else the first latency matrix that does. 0 and *ret_dist (heap), or
 * 0 and *ret_dist = NULL when hwloc has none (10/20 is then assumed).
 */
static int distances_get(hwloc_topology_t topo, const struct np_node_spec *specs, unsigned n,
                         unsigned **ret_dist)
{
	struct hwloc_distances_s **all = NULL;
	unsigned nr = 0, *dist = NULL, *pos = NULL;
	int r;

	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, NULL, 0, 0) < 0 || nr == 0) {
		*ret_dist = NULL;
		return 0;
	}
	all = calloc(nr, sizeof(*all));
	dist = malloc((size_t)n * n * sizeof(*dist));
	pos = malloc(n * sizeof(*pos));
	if (!all || !dist || !pos) {
		r = -ENOMEM;
		goto out;
	}
	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, all, 0, 0) < 0) {
		nr = 0;
		r = -ENOMEM;
		goto out;
	}
	for (int pass = 0; pass < 2; pass++)
		for (unsigned m = 0; m < nr; m++) {
			struct hwloc_distances_s *d = all[m];
			bool ok = usable_kind(d->kind, pass == 0);

			for (unsigned i = 0; ok && i < n; i++) {
				ok = false;
				for (unsigned o = 0; o < d->nbobjs; o++)
					if (d->objs[o]->os_index == specs[i].id) {
						pos[i] = o;
						ok = true;
						break;
					}
			}
			for (unsigned i = 0; ok && i < n; i++)
				for (unsigned j = 0; ok && j < n; j++) {
					hwloc_uint64_t v =
					    d->values[(size_t)pos[i] * d->nbobjs + pos[j]];

					ok = v > 0 && v <= 65535;
					dist[(size_t)i * n + j] = (unsigned)v;
				}
			if (ok) {
				*ret_dist = dist;
				dist = NULL;
				r = 0;
				goto out;
			}
		}
	*ret_dist = NULL;
	r = 0;
out:
	for (unsigned m = 0; all && m < nr; m++)
		if (all[m])
			hwloc_distances_release(topo, all[m]);
	free(all);
	free(dist);
	free(pos);
	return r;
}

static int os_index_or_unknown(hwloc_obj_t obj)
{
	if (!obj || obj->os_index == HWLOC_UNKNOWN_INDEX || obj->os_index > INT32_MAX)
		return -1;
	return (int)obj->os_index;
}

/* Core and socket of every PU. */
static int cpu_facts(hwloc_topology_t topo, struct np_cpu **ret_cpus, unsigned *ret_n)
{
	int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	struct np_cpu *cpus;
	hwloc_obj_t pu = NULL;
	unsigned n = 0;

	cpus = calloc(npu > 0 ? (size_t)npu : 1, sizeof(*cpus));
	if (!cpus)
		return -ENOMEM;
	while ((pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu)) && n < (unsigned)npu) {
		cpus[n].cpu = pu->os_index;
		cpus[n].core =
		    os_index_or_unknown(hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu));
		cpus[n].socket = os_index_or_unknown(
		    hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pu));
		cpus[n].node = 0; /* np__host_build() sets it from the node cpusets */
		n++;
	}
	*ret_cpus = cpus;
	*ret_n = n;
	return 0;
}

static const char *source_name(const struct np_source *src)
{
	return src->kind == NP_SOURCE_LIVE ? "the host" : src->arg;
}

/* Order for locality_cpus(): smaller locality first, then plain memory, then lower id. */
static int cmp_locality(const void *a, const void *b)
{
	hwloc_obj_t x = *(hwloc_obj_t const *)a, y = *(hwloc_obj_t const *)b;
	int wx = hwloc_bitmap_weight(x->cpuset), wy = hwloc_bitmap_weight(y->cpuset);
	int sx = x->subtype != NULL, sy = y->subtype != NULL;

	if (wx != wy)
		return (wx > wy) - (wx < wy);
	if (sx != sy)
		return (sx > sy) - (sx < sy);
	return (x->os_index > y->os_index) - (x->os_index < y->os_index);
}

/*
 * The CPUs of each node of an XML or synthetic topology. hwloc gives a NUMA node the cpuset of
 * where it is attached, so a CPU-less node (HBM, GPU or CXL memory) shares the cpuset of its
 * neighbour: the kernel's cpulist is not recorded. Each CPU goes to the node with the smallest
 * cpuset holding it; among equal cpusets, to plain memory before special memory (hwloc gives
 * MCDRAM, GPUMemory... a subtype), then to the lowest id. Live hosts and sysfs trees use the
 * kernel's cpulist instead.
 */
static int locality_cpus(hwloc_obj_t *objs, unsigned n, hwloc_bitmap_t *sets)
{
	hwloc_obj_t *order = NULL;
	hwloc_bitmap_t taken = NULL;
	int r = -ENOMEM;

	order = malloc(n * sizeof(*order));
	taken = hwloc_bitmap_alloc();
	if (!order || !taken)
		goto out;
	memcpy(order, objs, n * sizeof(*order));
	qsort(order, n, sizeof(*order), cmp_locality);
	for (unsigned k = 0; k < n; k++) {
		unsigned i = 0;

		while (objs[i] != order[k])
			i++;
		hwloc_bitmap_andnot(sets[i], order[k]->cpuset, taken);
		hwloc_bitmap_or(taken, taken, order[k]->cpuset);
	}
	r = 0;
out:
	free(order);
	hwloc_bitmap_free(taken);
	return r;
}

static int load_hwloc(const struct np_source *src, np_host **ret_host)
{
	struct np__root root = {-1, NULL};
	hwloc_topology_t topo = NULL;
	hwloc_obj_t *objs = NULL;
	hwloc_bitmap_t *sets = NULL;
	struct np_node_spec *specs = NULL;
	struct np_hugepages **hps = NULL;
	struct np_cpu *cpus = NULL;
	unsigned *dist = NULL, nobjs = 0, n = 0, ncpus = 0, withcpus = 0;
	bool from_sysfs = src->kind == NP_SOURCE_LIVE || src->kind == NP_SOURCE_SYSFS;
	bool whole = src->flags & NP_HOST_WHOLE_SYSTEM, flat = false;
	hwloc_obj_t obj = NULL;
	int nb, r;

	if (from_sysfs) {
		r = np__root_open(src->kind == NP_SOURCE_LIVE ? "/" : src->arg, &root);
		if (r < 0)
			return r;
		flat = !np__root_has_numa(&root);
		/* Without it hwloc complains on stderr and makes up a machine. */
		if (faccessat(root.fd, "sys/devices/system/cpu", F_OK, 0) < 0) {
			r = -errno;
			np__set_error("cannot open '%s%ssys/devices/system/cpu': %s", root.path,
			              root.path[strlen(root.path) - 1] == '/' ? "" : "/",
			              strerror(-r));
			goto out;
		}
	}
	r = topology_load(src, &topo);
	if (r < 0)
		goto out;
	nb = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	nobjs = nb > 0 ? (unsigned)nb : 0;
	objs = calloc(nobjs ? nobjs : 1, sizeof(*objs));
	sets = calloc(nobjs ? nobjs : 1, sizeof(*sets));
	specs = calloc(nobjs ? nobjs : 1, sizeof(*specs));
	hps = calloc(nobjs ? nobjs : 1, sizeof(*hps));
	if (!objs || !sets || !specs || !hps) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < nobjs; i++) {
		obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
		if (!obj || obj->os_index == HWLOC_UNKNOWN_INDEX ||
		    obj->os_index > NP__MAX_NODE_ID) {
			np__set_error("cannot use '%s': a NUMA node has no valid OS index",
			              source_name(src));
			r = -EBADMSG;
			goto out;
		}
		objs[i] = obj;
		sets[i] = hwloc_bitmap_alloc();
		if (!sets[i]) {
			r = -ENOMEM;
			goto out;
		}
	}

	/* The node's usable CPUs: hwloc's topology cpuset holds the online CPUs, and only the
	 * allowed ones unless NP_HOST_WHOLE_SYSTEM. */
	for (unsigned i = 0; i < nobjs && from_sysfs; i++) {
		if (flat)
			r = hwloc_bitmap_copy(sets[i], objs[i]->cpuset) < 0 ? -ENOMEM : 0;
		else
			r = np__node_cpus_read(&root, objs[i]->os_index, sets[i]);
		if (r < 0)
			goto out;
		hwloc_bitmap_and(sets[i], sets[i], hwloc_topology_get_topology_cpuset(topo));
	}
	if (!from_sysfs) {
		r = locality_cpus(objs, nobjs, sets);
		if (r < 0)
			goto out;
	}

	for (unsigned i = 0; i < nobjs; i++) {
		struct np_node_spec *s = &specs[n];

		if (!whole)
			hwloc_bitmap_and(sets[i], sets[i], hwloc_topology_get_allowed_cpuset(topo));
		s->cpus = sets[i];
		s->id = objs[i]->os_index;
		if (from_sysfs && flat) {
			r = np__flat_memory_read(&root, src->flags, &s->memory_bytes,
			                         &s->free_bytes);
		} else if (from_sysfs) {
			r = np__node_memory_read(&root, s->id, src->flags, &s->memory_bytes,
			                         &s->free_bytes);
			if (r < 0)
				goto out;
			r = np__node_hugepages_read(&root, s->id, &hps[i], &s->nhugepages);
		} else {
			s->memory_bytes = objs[i]->attr->numanode.local_memory;
			s->free_bytes = s->memory_bytes;
			r = hugepages_from_obj(objs[i], &hps[i], &s->nhugepages);
		}
		if (r < 0)
			goto out;
		s->hugepages = hps[i];
		if (!whole && !hwloc_bitmap_isset(hwloc_topology_get_allowed_nodeset(topo), s->id)) {
			/* CPUs usable, memory not: to this process a node without memory */
			s->memory_bytes = s->free_bytes = 0;
			s->nhugepages = 0;
		}
		if (!np__node_kept(src->flags, (unsigned)hwloc_bitmap_weight(sets[i]),
		                   s->memory_bytes)) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		withcpus += !hwloc_bitmap_iszero(sets[i]);
		n++;
	}
	if (withcpus == 0) {
		np__set_error("no usable NUMA node with CPUs in '%s'", source_name(src));
		r = -ENODEV;
		goto out;
	}
	r = distances_get(topo, specs, n, &dist);
	if (r < 0)
		goto out;
	if (!dist && n == 1) {
		/* hwloc gives no matrix for one node; nothing remote is assumed (and the kernel's
		 * one-entry row, which NP_HOST_FAST reads, says 10). */
		dist = malloc(sizeof(*dist));
		if (!dist) {
			r = -ENOMEM;
			goto out;
		}
		dist[0] = NP__LOCAL_DISTANCE;
	}
	r = cpu_facts(topo, &cpus, &ncpus);
	if (r < 0)
		goto out;
	r = np__host_build(n, specs, dist, cpus, ncpus, topo, ret_host);
	if (r == -EINVAL) {
		np__set_error("inconsistent topology in '%s'", source_name(src));
		r = -EBADMSG;
	}
	if (r == 0)
		topo = NULL; /* owned by the snapshot */
out:
	for (unsigned i = 0; sets && i < nobjs; i++)
		hwloc_bitmap_free(sets[i]);
	for (unsigned i = 0; hps && i < nobjs; i++)
		free(hps[i]);
	free(objs);
	free(sets);
	free(specs);
	free(hps);
	free(dist);
	free(cpus);
	if (topo)
		hwloc_topology_destroy(topo);
	np__root_close(&root);
	return r;
}

int np_host_load(const struct np_source *src, np_host **ret_host)
{
	static const struct np_source live = {NP_SOURCE_LIVE, NULL, 0};
	const unsigned known = NP_HOST_WHOLE_SYSTEM | NP_HOST_MEMFREE_ONLY | NP_HOST_FAST;

	np__clear_error();
	if (!src)
		src = &live;
	if (!ret_host || (src->flags & ~known)) {
		np__set_error("invalid source");
		return -EINVAL;
	}
	switch (src->kind) {
	case NP_SOURCE_LIVE:
		break;
	case NP_SOURCE_XML:
	case NP_SOURCE_SYNTHETIC:
	case NP_SOURCE_SYSFS:
		if (!src->arg) {
			np__set_error("this source needs an argument");
			return -EINVAL;
		}
		if (src->kind != NP_SOURCE_SYSFS && (src->flags & NP_HOST_FAST)) {
			np__set_error(
			    "NP_HOST_FAST reads sysfs: not with an XML or synthetic source");
			return -EINVAL;
		}
		break;
	default:
		np__set_error("unknown source kind %d", (int)src->kind);
		return -EINVAL;
	}
	if (src->kind == NP_SOURCE_XML) {
		/* hwloc reports a missing file as a parse error: tell them apart first. */
		struct stat st;

		if (stat(src->arg, &st) < 0) {
			int r = -errno;

			np__set_error("cannot read '%s': %s", src->arg, strerror(-r));
			return r;
		}
	}
	if (src->flags & NP_HOST_FAST)
		return np__host_load_fast(src->kind == NP_SOURCE_LIVE ? NULL : src->arg, src->flags,
		                          ret_host);
	return load_hwloc(src, ret_host);
}
