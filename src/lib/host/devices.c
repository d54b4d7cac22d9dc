/*
 * devices.c - the PCI devices of a host and the nodes they are attached to (docs/devices.md):
 * from sysfs below a root (live host, captured trees) or from the I/O objects of an hwloc XML
 * file; names users know them by; descriptions from pci.ids through libpci.
 *
 * Not part of the np_host snapshot: read only when a request names a device or info asks.
 */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dev {
	struct np_device pub;
	char **names;
	char *description;
	hwloc_bitmap_t cpus;
};

struct np_devices {
	unsigned n;
	unsigned cap;
	struct dev *devs;
};

static const char *const kind_names[NP_DEVICE_KIND_COUNT_] = {
    [NP_DEVICE_OTHER] = "other",     [NP_DEVICE_NETWORK] = "network",
    [NP_DEVICE_STORAGE] = "storage", [NP_DEVICE_GPU] = "gpu",
    [NP_DEVICE_RDMA] = "rdma",       [NP_DEVICE_ACCELERATOR] = "accelerator",
};

const char *np_device_kind_name(enum np_device_kind kind)
{
	return (unsigned)kind < NP_DEVICE_KIND_COUNT_ ? kind_names[kind] : NULL;
}

static enum np_device_kind kind_of_class(uint32_t cls)
{
	switch (cls >> 16) {
	case 0x01:
		return NP_DEVICE_STORAGE;
	case 0x02:
		return (cls >> 8) == 0x0207 ? NP_DEVICE_RDMA : NP_DEVICE_NETWORK;
	case 0x03:
		return NP_DEVICE_GPU;
	case 0x12:
		return NP_DEVICE_ACCELERATOR;
	default:
		return NP_DEVICE_OTHER;
	}
}

void np_devices_free(np_devices *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->n; i++) {
		struct dev *e = &d->devs[i];

		for (unsigned k = 0; k < e->pub.nnames; k++)
			free(e->names[k]);
		free(e->names);
		free(e->description);
		hwloc_bitmap_free(e->cpus);
	}
	free(d->devs);
	free(d);
}

unsigned np_devices_count(const np_devices *d)
{
	return d ? d->n : 0;
}

const struct np_device *np_devices_get(const np_devices *d, unsigned idx)
{
	return d && idx < d->n ? &d->devs[idx].pub : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Building the list                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* A new device at the end of the list, with an empty CPU set. NULL on ENOMEM. */
static struct dev *dev_add(np_devices *d, const char *address)
{
	struct dev *e;

	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 16;
		struct dev *devs = realloc(d->devs, cap * sizeof(*devs));

		if (!devs)
			return NULL;
		d->devs = devs;
		d->cap = cap;
	}
	e = &d->devs[d->n];
	memset(e, 0, sizeof(*e));
	e->cpus = hwloc_bitmap_alloc();
	if (!e->cpus)
		return NULL;
	snprintf(e->pub.address, sizeof(e->pub.address), "%s", address);
	e->pub.node = -1;
	e->pub.local_cpus = e->cpus;
	d->n++;
	return e;
}

/* Add a name to a device (a name it already has is not added twice). 0 or -ENOMEM. */
static int dev_name(struct dev *e, const char *name)
{
	char **names, *copy;

	for (unsigned k = 0; k < e->pub.nnames; k++)
		if (strcmp(e->names[k], name) == 0)
			return 0;
	names = realloc(e->names, (e->pub.nnames + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	e->names = names;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	e->names[e->pub.nnames++] = copy;
	e->pub.names = (const char *const *)e->names;
	return 0;
}

static struct dev *dev_by_address(np_devices *d, const char *address)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->devs[i].pub.address, address) == 0)
			return &d->devs[i];
	return NULL;
}

/*
 * Whether [s, s + len) is a PCI address as the kernel prints it: a hex domain of 4 to 8
 * digits, then ":BB:DD.F" in hex.
 */
static bool pci_address(const char *s, size_t len)
{
	size_t dom = 0;

	while (dom < len && isxdigit((unsigned char)s[dom]))
		dom++;
	if (dom < 4 || dom > 8 || len != dom + 8)
		return false;
	s += dom;
	return s[0] == ':' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
	       s[3] == ':' && isxdigit((unsigned char)s[4]) && isxdigit((unsigned char)s[5]) &&
	       s[6] == '.' && s[7] >= '0' && s[7] <= '7';
}

static int cmp_address(const void *a, const void *b)
{
	const char *x = ((const struct dev *)a)->pub.address,
	           *y = ((const struct dev *)b)->pub.address;
	size_t lx = strlen(x), ly = strlen(y);

	/* Longer domains are larger numbers; within a length, text order is numeric order. */
	if (lx != ly)
		return (lx > ly) - (lx < ly);
	return strcmp(x, y);
}

/* Sort by address, give GPUs their index names, point the public fields at the storage. */
static int devices_finish(np_devices *d)
{
	unsigned gpu = 0;
	char name[32];
	int r;

	if (d->n)
		qsort(d->devs, d->n, sizeof(*d->devs), cmp_address);
	for (unsigned i = 0; i < d->n; i++) {
		struct dev *e = &d->devs[i];

		e->pub.local_cpus = e->cpus;
		if (e->pub.kind == NP_DEVICE_GPU) {
			snprintf(name, sizeof(name), "gpu%u", gpu++);
			r = dev_name(e, name);
			if (r < 0)
				return r;
		}
		e->pub.names = (const char *const *)e->names;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* sysfs                                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* A hex number file ("0x020000\n") of at most `max`. -ENOENT when missing, -EBADMSG. */
static int read_hex(const struct np__root *root, const char *rel, uint32_t max, uint32_t *ret)
{
	char *text = NULL, *end;
	unsigned long v;
	ssize_t n;
	int r = -EBADMSG;

	n = np__root_read(root, rel, true, &text);
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtoul(text, &end, 16);
	if (strncmp(text, "0x", 2) == 0 && end != text + 2 &&
	    (*end == '\0' || strcmp(end, "\n") == 0) && errno == 0 && v <= max) {
		*ret = (uint32_t)v;
		r = 0;
	} else {
		np__set_error("cannot parse '%s/%s': not a hex number up to 0x%x", root->path, rel,
		              max);
	}
	free(text);
	return r;
}

/* numa_node: a node id or -1. A missing file is -1 (unattached). */
static int read_node(const struct np__root *root, const char *rel, int *ret_node)
{
	char *text = NULL, *end;
	long v;
	ssize_t n;
	int r = 0;

	n = np__root_read(root, rel, true, &text);
	if (n == -ENOENT) {
		*ret_node = -1;
		return 0;
	}
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || !(*end == '\0' || strcmp(end, "\n") == 0) || errno || v < -1 ||
	    v > (long)NP__MAX_NODE_ID) {
		np__set_error("cannot parse '%s/%s': not a node id or -1", root->path, rel);
		r = -EBADMSG;
	} else {
		*ret_node = (int)v;
	}
	free(text);
	return r;
}

/* local_cpulist, or the local_cpus mask of older kernels; neither: unknown (empty). */
static int read_local_cpus(const struct np__root *root, const char *dir, hwloc_bitmap_t set)
{
	struct np__parse_error err = {NULL, 0};
	char rel[512], *text = NULL;
	bool list = true;
	ssize_t n;
	int r;

	snprintf(rel, sizeof(rel), "%s/local_cpulist", dir);
	n = np__root_read(root, rel, true, &text);
	if (n == -ENOENT) {
		list = false;
		snprintf(rel, sizeof(rel), "%s/local_cpus", dir);
		n = np__root_read(root, rel, true, &text);
	}
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	r = list ? np__kernel_list_parse(text, NP__MAX_CPU_ID, set, &err)
	         : np__cpumap_parse(text, set, &err);
	if (r < 0 && r != -ENOMEM) {
		np__set_error("cannot parse '%s/%s': %s", root->path, rel,
		              err.what ? err.what : "");
		r = -EBADMSG;
	}
	free(text);
	return r;
}

static int read_pci_device(const struct np__root *root, np_devices *d, const char *address)
{
	char dir[128], rel[192];
	uint32_t cls = 0, vendor = 0, device = 0;
	struct dev *e;
	int r;

	snprintf(dir, sizeof(dir), "sys/bus/pci/devices/%s", address);
	snprintf(rel, sizeof(rel), "%s/class", dir);
	r = read_hex(root, rel, 0xffffff, &cls);
	if (r < 0 && r != -ENOENT)
		return r;
	if ((cls >> 16) == 0x06)
		return 0; /* a bridge */
	snprintf(rel, sizeof(rel), "%s/vendor", dir);
	r = read_hex(root, rel, 0xffff, &vendor);
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(rel, sizeof(rel), "%s/device", dir);
	r = read_hex(root, rel, 0xffff, &device);
	if (r < 0 && r != -ENOENT)
		return r;
	e = dev_add(d, address);
	if (!e)
		return -ENOMEM;
	e->pub.pci_class = cls;
	e->pub.vendor = (uint16_t)vendor;
	e->pub.device = (uint16_t)device;
	e->pub.kind = kind_of_class(cls);
	snprintf(rel, sizeof(rel), "%s/numa_node", dir);
	r = read_node(root, rel, &e->pub.node);
	if (r < 0)
		return r;
	return read_local_cpus(root, dir, e->cpus);
}

/* Entries of a directory below the root, sorted (NULL-terminated; free each and the array). */
static int list_dir(const struct np__root *root, const char *rel, char ***ret_names,
                    unsigned *ret_n)
{
	char **names = NULL, **bigger;
	unsigned n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	fd = openat(root->fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*ret_names = NULL;
		*ret_n = 0;
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			bigger = realloc(names, cap * sizeof(*names));
			if (!bigger) {
				r = -ENOMEM;
				break;
			}
			names = bigger;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(dir);
	if (r < 0) {
		for (unsigned i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	*ret_names = names;
	*ret_n = n;
	return 0;
}

static void free_list(char **names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The last PCI address among the components of a link target, into `out`. */
static bool last_pci_component(const char *target, char *out, size_t len)
{
	const char *p = target, *found = NULL;
	size_t flen = 0;

	while (*p) {
		const char *end = strchr(p, '/');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (pci_address(p, l)) {
			found = p;
			flen = l;
		}
		p += l;
		while (*p == '/')
			p++;
	}
	if (!found || flen >= len)
		return false;
	memcpy(out, found, flen);
	out[flen] = '\0';
	return true;
}

/* Whether a class entry is not a device's name: a partition, a DRM connector, a file. */
static bool not_a_name(int dirfd, const char *cls, const char *name)
{
	char rel[320];

	if (strcmp(cls, "drm") == 0)
		return strchr(name, '-') != NULL ||
		       (strncmp(name, "card", 4) != 0 && strncmp(name, "renderD", 7) != 0);
	if (strcmp(cls, "block") == 0) {
		snprintf(rel, sizeof(rel), "%s/partition", name);
		return faccessat(dirfd, rel, F_OK, 0) == 0;
	}
	return false;
}

/* Names from sys/class/CLS: each entry links into the device tree below its device. */
static int class_names(const struct np__root *root, np_devices *d, const char *cls)
{
	char rel[64], target[1024], address[32], **names = NULL;
	unsigned n = 0;
	int dirfd, r;

	snprintf(rel, sizeof(rel), "sys/class/%s", cls);
	r = list_dir(root, rel, &names, &n);
	if (r < 0 || n == 0)
		return r;
	dirfd = openat(root->fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		free_list(names, n);
		return 0;
	}
	for (unsigned i = 0; i < n && r == 0; i++) {
		char sub[320];
		ssize_t len = readlinkat(dirfd, names[i], target, sizeof(target) - 1);
		struct dev *e;

		if (len < 0) {
			/* An entry that is a directory: its device link then. */
			snprintf(sub, sizeof(sub), "%s/device", names[i]);
			len = readlinkat(dirfd, sub, target, sizeof(target) - 1);
		}
		if (len < 0 || not_a_name(dirfd, cls, names[i]))
			continue;
		target[len] = '\0';
		if (!last_pci_component(target, address, sizeof(address)))
			continue;
		e = dev_by_address(d, address);
		if (e)
			r = dev_name(e, names[i]);
	}
	close(dirfd);
	free_list(names, n);
	return r;
}

static int load_sysfs(const char *path, np_devices *d)
{
	static const char *const classes[] = {"net", "block", "drm", "infiniband"};
	struct np__root root = {-1, NULL};
	char **addrs = NULL;
	unsigned n = 0;
	int r;

	r = np__root_open(path, &root);
	if (r < 0)
		return r;
	r = list_dir(&root, "sys/bus/pci/devices", &addrs, &n);
	for (unsigned i = 0; i < n && r == 0; i++)
		if (pci_address(addrs[i], strlen(addrs[i])))
			r = read_pci_device(&root, d, addrs[i]);
	for (unsigned c = 0; c < sizeof(classes) / sizeof(classes[0]) && r == 0; c++)
		r = class_names(&root, d, classes[c]);
	free_list(addrs, n);
	np__root_close(&root);
	return r;
}

/* ------------------------------------------------------------------------------------------ */
/* hwloc XML                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The PCI device an OS device belongs to, or NULL. */
static hwloc_obj_t osdev_pci(hwloc_obj_t os)
{
	for (hwloc_obj_t p = os->parent; p; p = p->parent)
		if (p->type == HWLOC_OBJ_PCI_DEVICE)
			return p;
	return NULL;
}

static int xml_device(hwloc_topology_t topo, hwloc_obj_t pci, np_devices *d)
{
	const struct hwloc_pcidev_attr_s *a = &pci->attr->pcidev;
	hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(topo, pci);
	uint32_t cls = (uint32_t)a->class_id << 8;
	char address[32];
	struct dev *e;

	if ((cls >> 16) == 0x06)
		return 0;
	snprintf(address, sizeof(address), "%04x:%02x:%02x.%01x", a->domain, a->bus, a->dev,
	         a->func);
	e = dev_add(d, address);
	if (!e)
		return -ENOMEM;
	e->pub.pci_class = cls;
	e->pub.vendor = a->vendor_id;
	e->pub.device = a->device_id;
	e->pub.kind = kind_of_class(cls);
	/* Only an ancestor with exactly one node says which node; more is not guessed. */
	if (anc && anc->nodeset && hwloc_bitmap_weight(anc->nodeset) == 1)
		e->pub.node = hwloc_bitmap_first(anc->nodeset);
	if (anc && anc->cpuset && hwloc_bitmap_copy(e->cpus, anc->cpuset) < 0)
		return -ENOMEM;
	return 0;
}

static int load_xml(const char *path, np_devices *d)
{
	hwloc_topology_t topo = NULL;
	hwloc_obj_t obj = NULL;
	char *xml = NULL;
	size_t xml_len = 0;
	int r;

	r = np__xml_check(path, &xml, &xml_len);
	if (r < 0)
		return r;
	if (hwloc_topology_init(&topo) < 0) {
		free(xml);
		return -ENOMEM;
	}
	hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_ALL);
	hwloc_topology_set_type_filter(topo, HWLOC_OBJ_BRIDGE, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	if (hwloc_topology_set_xmlbuffer(topo, xml, (int)xml_len + 1) < 0 ||
	    hwloc_topology_load(topo) < 0) {
		np__set_error("cannot parse '%s': not an hwloc XML topology", path);
		r = -EBADMSG;
		goto out;
	}
	while (r == 0 && (obj = hwloc_get_next_pcidev(topo, obj)))
		r = xml_device(topo, obj, d);
	obj = NULL;
	while (r == 0 && (obj = hwloc_get_next_osdev(topo, obj))) {
		hwloc_obj_t pci = osdev_pci(obj);
		char address[32];
		struct dev *e;

		if (!pci || !obj->name)
			continue;
		snprintf(address, sizeof(address), "%04x:%02x:%02x.%01x", pci->attr->pcidev.domain,
		         pci->attr->pcidev.bus, pci->attr->pcidev.dev, pci->attr->pcidev.func);
		e = dev_by_address(d, address);
		if (e)
			r = dev_name(e, obj->name);
	}
out:
	free(xml);
	hwloc_topology_destroy(topo);
	return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptions (pci.ids through libpci)                                                         */
/* ------------------------------------------------------------------------------------------ */

/* The library stays quiet: libpci's messages go nowhere. */
static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

/* libpci calls this for an allocation failure only, and expects it not to return. */
static __attribute__((noreturn)) void pci_fatal(char *msg, ...)
{
	(void)msg;
	abort();
}

static int describe(np_devices *d)
{
	struct pci_access *pa;
	char buf[256];

	if (d->n == 0)
		return 0;
	pa = pci_alloc();
	if (!pa)
		return -ENOMEM;
	pa->warning = pci_quiet;
	pa->debug = pci_quiet;
	pa->error = pci_fatal;
	for (unsigned i = 0; i < d->n; i++) {
		struct dev *e = &d->devs[i];
		const char *s;

		if (!e->pub.vendor)
			continue;
		s = pci_lookup_name(pa, buf, sizeof(buf),
		                    PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS |
		                        PCI_LOOKUP_NO_HWDB,
		                    e->pub.vendor, e->pub.device);
		if (s && !(e->description = strdup(s))) {
			pci_cleanup(pa);
			return -ENOMEM;
		}
		e->pub.description = e->description;
	}
	pci_cleanup(pa);
	return 0;
}

int np_devices_load(const struct np_source *src, unsigned flags, np_devices **ret_devices)
{
	np_devices *d = NULL;
	int r;

	np__clear_error();
	if (!src || !ret_devices || (flags & ~NP_DEVICES_DESCRIBE) ||
	    (src->kind != NP_SOURCE_LIVE && !src->arg)) {
		np__set_error("invalid source");
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	switch (src->kind) {
	case NP_SOURCE_LIVE:
		r = load_sysfs("/", d);
		break;
	case NP_SOURCE_SYSFS:
		r = load_sysfs(src->arg, d);
		break;
	case NP_SOURCE_XML:
		r = load_xml(src->arg, d);
		break;
	case NP_SOURCE_SYNTHETIC:
		r = 0;
		break;
	default:
		np__set_error("unknown source kind %d", (int)src->kind);
		r = -EINVAL;
		break;
	}
	if (r == 0)
		r = devices_finish(d);
	if (r == 0 && (flags & NP_DEVICES_DESCRIBE))
		r = describe(d);
	if (r < 0) {
		np_devices_free(d);
		return r;
	}
	*ret_devices = d;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Finding a device by what a user calls it                                                      */
/* ------------------------------------------------------------------------------------------ */

static bool matches(const struct np_device *dev, const char *text)
{
	size_t lt = strlen(text), la = strlen(dev->address);

	if (strcasecmp(dev->address, text) == 0)
		return true;
	/* "09:02.0": the address without its domain, in any domain */
	if (lt == 7 && la > 7 && pci_address(dev->address, la) &&
	    strcasecmp(dev->address + la - 7, text) == 0)
		return true;
	for (unsigned k = 0; k < dev->nnames; k++)
		if (strcmp(dev->names[k], text) == 0)
			return true;
	return false;
}

int np_devices_find(const np_devices *d, const char *text, const struct np_device **ret_device)
{
	const struct np_device *found = NULL;
	char gpu[32];
	unsigned count = 0;

	if (!d || !text || !*text || !ret_device)
		return -EINVAL;
	if (strncmp(text, "/dev/", 5) == 0) {
		const char *slash = strrchr(text, '/');

		text = slash + 1;
		if (!*text)
			return -ENOENT;
	}
	if (strspn(text, "0123456789") == strlen(text) && strlen(text) < 10) {
		snprintf(gpu, sizeof(gpu), "gpu%s", text);
		text = gpu;
	}
	for (unsigned i = 0; i < d->n; i++)
		if (matches(&d->devs[i].pub, text)) {
			if (!found)
				found = &d->devs[i].pub;
			count++;
		}
	if (!found)
		return -ENOENT;
	*ret_device = found;
	return count > 1 ? -ENOTUNIQ : 0;
}
