/*
 * host-hwloc.c - np_host_load(): the hwloc topology of every source (live host, XML, synthetic,
 * captured sysfs tree) and the checks before hwloc reads one. The nodes of the live host and
 * of sysfs trees come from the kernel's files (host-sysfs.c), those of XML and synthetic
 * topologies from hwloc's objects (host-objects.c).
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

/* Objects of an XML file, counted against NP_HOST_MAX_OBJECTS, _PUS and _NODES. */
struct xml_counts {
	unsigned long objects, pus, nodes;
};

static bool attr_is(const char *v, const char *end, const char *want)
{
	return (size_t)(end - v) == strlen(want) && memcmp(v, want, (size_t)(end - v)) == 0;
}

/*
 * Scan one start tag's attributes from p (after the tag's name); `counts` is NULL unless the
 * tag is an <object>. Returns 0 (*end: past the attributes), -EBADMSG (a bad set, or an
 * object's set without its complete set) or -EINVAL (unreadable).
 */
static int xml_tag(const char *p, struct xml_counts *counts, const char **end)
{
	bool object = counts != NULL;

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
		if (object && len == 4 && memcmp(name, "type", 4) == 0) {
			counts->pus += attr_is(p + 1, q, "PU");
			counts->nodes += attr_is(p + 1, q, "NUMANode");
		}
		p = q + 1;
		for (unsigned k = 0; k < 4; k++)
			if (strlen(names[k]) == len && memcmp(names[k], name, len) == 0)
				has[k] = true;
	}
	*end = p;
	return object && ((has[0] && !has[1]) || (has[2] && !has[3])) ? -EBADMSG : 0;
}

/* 0, or -E2BIG with the error recorded when the file holds more than a limit allows. */
static int xml_counts_check(const char *path, const struct xml_counts *c)
{
	static const char *const what[] = {"objects", "PUs", "NUMA nodes"};
	const unsigned long got[] = {c->objects, c->pus, c->nodes};
	const unsigned limit[] = {NP_HOST_MAX_OBJECTS, NP_HOST_MAX_PUS, NP_HOST_MAX_NODES};

	for (unsigned k = 0; k < 3; k++)
		if (got[k] > limit[k]) {
			np__set_error("cannot load '%s': %lu %s, more than the limit of %u", path,
			              got[k], what[k], limit[k]);
			return -E2BIG;
		}
	return 0;
}

/*
 * Read the open file whole into a NUL-terminated buffer of at most NP_HOST_MAX_XML_BYTES: 0 with
 * *ret_text (the caller frees it) and *ret_len, or a negative errno with the error recorded.
 */
static int xml_read(int fd, const char *path, char **ret_text, size_t *ret_len)
{
	char *text = NULL, *t;
	size_t len = 0, cap = 0;
	struct stat st;
	ssize_t n;

	for (;;) {
		if (cap - len < 2) {
			/* At once for a file whose size is known; while reading for a pipe. */
			if (cap >= NP_HOST_MAX_XML_BYTES + 2 ||
			    (fstat(fd, &st) == 0 && st.st_size > (off_t)NP_HOST_MAX_XML_BYTES)) {
				np__set_error("cannot load '%s': larger than the limit of %u MiB",
				              path, NP_HOST_MAX_XML_BYTES >> 20);
				free(text);
				return -E2BIG;
			}
			cap = cap ? cap * 2 : 65536;
			if (cap > NP_HOST_MAX_XML_BYTES + 2)
				cap = NP_HOST_MAX_XML_BYTES + 2;
			t = realloc(text, cap);
			if (!t) {
				free(text);
				return -ENOMEM;
			}
			text = t;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			np__set_error("cannot read '%s': %s", path, strerror(-r));
			free(text);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	*ret_text = text;
	*ret_len = len;
	return 0;
}

/*
 * Count the objects, PUs and nodes of well-formed text and check each object's sets (xml_tag()):
 * 0, or -EBADMSG with the error recorded. Comments and CDATA are skipped.
 */
static int xml_count(const char *path, const char *text, struct xml_counts *counts)
{
	const char *p;
	int r;

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
			bool object = p - name == 6 && strncmp(name, "object", 6) == 0;

			counts->objects += object;
			r = xml_tag(p, object ? counts : NULL, &p);
			if (r == -EINVAL)
				break;
			if (r < 0) {
				np__set_error(
				    "cannot parse '%s': a set not in hwloc's format, or an "
				    "object with a cpuset but no complete_cpuset (or a nodeset "
				    "but no complete_nodeset)",
				    path);
				return r;
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
	return 0;
}

/*
 * Read the file whole, check it (np__xml_check_syntax(), then the crashes and limits above) and
 * return the checked text: hwloc reads that buffer, not the file again, which may have changed
 * since.
 */
static int xml_check(const char *path, char **ret_text, size_t *ret_len)
{
	struct xml_counts counts = {0, 0, 0};
	char *text = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		np__set_error("cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	r = xml_read(fd, path, &text, &len);
	close(fd);
	if (r < 0)
		return r;
	r = np__xml_check_syntax(path, text, &len);
	if (r == 0)
		r = xml_count(path, text, &counts);
	if (r == 0)
		r = xml_counts_check(path, &counts);
	if (r < 0) {
		free(text);
		return r;
	}
	*ret_text = text;
	*ret_len = len;
	return 0;
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
/* The filters and flags for src's kind: 0, or -EINVAL when hwloc refuses the flags. */
static int topology_configure(hwloc_topology_t topo, const struct np_source *src)
{
	unsigned long hflags = 0;

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
	return hwloc_topology_set_flags(topo, hflags) < 0 ? -EINVAL : 0;
}

/*
 * Point topo at src's XML (checked first, *xml the buffer hwloc reads until the load, which the
 * caller frees), synthetic description or sysfs capture: 0, or a negative errno with the error
 * recorded.
 */
static int topology_set_source(hwloc_topology_t topo, const struct np_source *src, char **xml)
{
	size_t xml_len = 0;
	int r;

	switch (src->kind) {
	case NP_SOURCE_XML:
		r = xml_check(src->arg, xml, &xml_len);
		if (r < 0)
			return r;
		/* the length counts the final '\0', as hwloc's own exports do */
		if (hwloc_topology_set_xmlbuffer(topo, *xml, (int)xml_len + 1) < 0)
			return xml_refused(src->arg, errno == ENOMEM ? -ENOMEM : -EBADMSG);
		break;
	case NP_SOURCE_SYNTHETIC:
		r = np__synthetic_check(src->arg);
		if (r < 0)
			return r;
		if (hwloc_topology_set_synthetic(topo, src->arg) < 0) {
			np__set_error("cannot parse synthetic topology '%s'", src->arg);
			return -EBADMSG;
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
	return 0;
}

/* Load topo from where topology_set_source() pointed it: 0, or -ENOMEM or -EBADMSG recorded. */
static int topology_run_load(hwloc_topology_t topo, const struct np_source *src)
{
	int r;

	if (src->kind == NP_SOURCE_SYSFS)
		r = load_with_fsroot(topo, src->arg);
	else if (src->kind == NP_SOURCE_LIVE)
		r = load_with_fsroot(topo, "/");
	else
		r = hwloc_topology_load(topo) < 0 ? (errno ? -errno : -EINVAL) : 0;
	if (r < 0 && src->kind == NP_SOURCE_XML)
		return xml_refused(src->arg, r);
	if (r < 0) {
		if (src->kind == NP_SOURCE_LIVE)
			np__set_error("cannot discover the host topology: %s", strerror(-r));
		else
			np__set_error("cannot load '%s': %s", src->arg, strerror(-r));
		return r == -ENOMEM ? r : -EBADMSG;
	}
	return 0;
}

int np__topology_load(const struct np_source *src, hwloc_topology_t *ret_topo)
{
	hwloc_topology_t topo = NULL;
	char *xml = NULL;
	int r;

	if (hwloc_topology_init(&topo) < 0)
		return -ENOMEM;
	r = topology_configure(topo, src);
	if (r == 0)
		r = topology_set_source(topo, src, &xml);
	if (r == 0)
		r = topology_run_load(topo, src);
	free(xml);
	if (r < 0) {
		hwloc_topology_destroy(topo);
		return r;
	}
	*ret_topo = topo;
	return 0;
}

static int os_index_or_unknown(hwloc_obj_t obj)
{
	if (!obj || obj->os_index == HWLOC_UNKNOWN_INDEX || obj->os_index > INT32_MAX)
		return -1;
	return (int)obj->os_index;
}

/*
 * The deepest-level cache above a PU (L3 over L2 over L1): the last level, which the cores
 * under it share. Instruction caches are not data caches and are left out. -1 when none.
 */
static int last_level_cache(hwloc_obj_t pu)
{
	hwloc_obj_t best = NULL;

	for (hwloc_obj_t o = pu->parent; o; o = o->parent)
		if (hwloc_obj_type_is_dcache(o->type) &&
		    (!best || o->attr->cache.depth > best->attr->cache.depth))
			best = o;
	return best && best->gp_index <= INT32_MAX ? (int)best->gp_index : -1;
}

int np__cpu_facts(hwloc_topology_t topo, struct np_cpu **ret_cpus, unsigned *ret_n)
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
		cpus[n].llc = last_level_cache(pu);
		cpus[n].node = 0; /* np__host_build() sets it from the node cpusets */
		n++;
	}
	*ret_cpus = cpus;
	*ret_n = n;
	return 0;
}

/*
 * The live host or a captured sysfs tree: hwloc gives the online and allowed sets and each
 * CPU's core and socket; the nodes come from the kernel's files (np__sysfs_host_build()), as
 * NP_HOST_FAST reads them. hwloc's own NUMA nodes are not used: it drops a node whose CPUs
 * another node lists, with its memory.
 */
static int load_hwloc_sysfs(const struct np_source *src, np_host **ret_host)
{
	struct np__root root = {-1, NULL};
	struct np__build_extra extra = {NULL, 0, NULL, NULL};
	bool whole = src->flags & NP_HOST_WHOLE_SYSTEM;
	hwloc_topology_t topo = NULL;
	hwloc_bitmap_t allowed = NULL, mems = NULL;
	struct np_cpu *cpus = NULL;
	unsigned ncpus = 0;
	int r;

	r = np__root_open(src->kind == NP_SOURCE_LIVE ? "/" : src->arg, &root);
	if (r < 0)
		return r;
	if (np__root_breaks_hwloc(&root)) {
		/* The node facts alone: core and socket are unknown. */
		np__root_close(&root);
		return np__host_load_fast(src->arg, src->flags, ret_host);
	}
	/* Without it hwloc complains on stderr and makes up a machine. */
	if (faccessat(root.fd, "sys/devices/system/cpu", F_OK, 0) < 0) {
		r = -errno;
		np__set_error("cannot open '%s%ssys/devices/system/cpu': %s", root.path,
		              root.path[strlen(root.path) - 1] == '/' ? "" : "/", strerror(-r));
		goto out;
	}
	r = np__sysfs_size_check(&root);
	if (r < 0)
		goto out;
	r = np__topology_load(src, &topo);
	if (r < 0)
		goto out;
	/* hwloc's topology cpuset holds the online CPUs, and only the allowed ones unless
	 * NP_HOST_WHOLE_SYSTEM. */
	allowed = hwloc_bitmap_dup(hwloc_topology_get_topology_cpuset(topo));
	if (!allowed) {
		r = -ENOMEM;
		goto out;
	}
	if (!whole)
		hwloc_bitmap_and(allowed, allowed, hwloc_topology_get_allowed_cpuset(topo));
	/* The allowed memory nodes: hwloc's, and those hwloc dropped (it does not know them to
	 * be forbidden). */
	mems = hwloc_bitmap_alloc();
	if (!mems) {
		r = -ENOMEM;
		goto out;
	}
	hwloc_bitmap_not(mems, hwloc_topology_get_topology_nodeset(topo));
	hwloc_bitmap_or(mems, mems, hwloc_topology_get_allowed_nodeset(topo));
	r = np__cpu_facts(topo, &cpus, &ncpus);
	if (r < 0)
		goto out;
	extra.cpus = cpus;
	extra.ncpus = ncpus;
	extra.topo = topo;
	r = np__sysfs_host_build(&root, src->flags, allowed, whole ? NULL : mems, &extra, ret_host);
	if (r == 0)
		topo = NULL; /* owned by the snapshot */
out:
	hwloc_bitmap_free(allowed);
	hwloc_bitmap_free(mems);
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
	if (src->kind == NP_SOURCE_LIVE || src->kind == NP_SOURCE_SYSFS)
		return load_hwloc_sysfs(src, ret_host);
	return np__host_load_objects(src, ret_host);
}

int np__xml_check(const char *path, char **ret_text, size_t *ret_len)
{
	return xml_check(path, ret_text, ret_len);
}
