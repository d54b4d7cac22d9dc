/*
 * test-devices.c - np_devices_load() from the devices fixture (a sysfs tree and the XML hwloc
 * exports from it), np_devices_find() on every way a user names a device, np_memory_load()
 * (kinds, tiers, HMAT) from sysfs and XML, and the captures of real machines checked against
 * their own files.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

static char *fixture(const char *rel)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, rel);
	return path;
}

static np_devices *load(enum np_source_kind kind, const char *arg, unsigned flags)
{
	struct np_source src = {kind, arg, 0};
	np_devices *d = NULL;
	int r = np_devices_load(&src, flags, &d);

	if (r != 0)
		fail_msg("np_devices_load(%s) = %d: %s", arg ? arg : "live", r,
		         np_last_error());
	return d;
}

static const struct np_device *find(const np_devices *d, const char *text, int expect)
{
	const struct np_device *dev = NULL;
	int r = np_devices_find(d, text, &dev);

	if (r != expect)
		fail_msg("np_devices_find('%s') = %d, expected %d", text, r, expect);
	return dev;
}

static void assert_names(const struct np_device *d, const char *expected)
{
	char got[256] = "";

	for (unsigned k = 0; k < d->nnames; k++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? "," : "",
		         d->names[k]);
	assert_string_equal(got, expected);
}

/* What tests/fixtures/make-sysfs.py writes for the "devices" tree, bridges left out. */
static const struct {
	const char *address;
	uint32_t cls;
	enum np_device_kind kind;
	int node;
	const char *cpus;
	const char *names;
} expected[] = {
    {"0000:00:02.0", 0x030000, NP_DEVICE_GPU, 0, "0-3", "card0,renderD128,gpu0"},
    {"0000:00:03.0", 0x020000, NP_DEVICE_NETWORK, 0, "0-3", "eth0"},
    {"0000:00:04.0", 0x010400, NP_DEVICE_STORAGE, -1, "0-7", "sda"},
    {"0000:09:01.0", 0x00ff00, NP_DEVICE_OTHER, 1, "4-7", ""},
    {"0000:09:02.0", 0x020000, NP_DEVICE_NETWORK, 1, "4-7", "eth1"},
    {"0000:09:03.0", 0x010000, NP_DEVICE_STORAGE, 1, "4-7", "vda"},
    {"0000:0a:00.0", 0x020700, NP_DEVICE_RDMA, 2, "", "ib0,mlx5_0"},
    {"0000:0b:00.0", 0x030200, NP_DEVICE_GPU, -1, "4-7", "gpu1"},
    {"0001:09:02.0", 0x010802, NP_DEVICE_STORAGE, 0, "0-3", "nvme0n1"},
};

static void test_sysfs(void **state)
{
	np_devices *d = load(NP_SOURCE_SYSFS, fixture("sysfs/devices"), 0);
	const size_t n = sizeof(expected) / sizeof(expected[0]);

	(void)state;
	assert_int_equal(np_devices_count(d), n);
	for (unsigned i = 0; i < n; i++) {
		const struct np_device *dev = np_devices_get(d, i);
		char *cpus = NULL;

		assert_string_equal(dev->address, expected[i].address);
		assert_int_equal(dev->pci_class, expected[i].cls);
		assert_int_equal(dev->kind, expected[i].kind);
		assert_int_equal(dev->node, expected[i].node);
		if (hwloc_bitmap_iszero(dev->local_cpus))
			cpus = strdup("");
		else
			hwloc_bitmap_list_asprintf(&cpus, dev->local_cpus);
		assert_string_equal(cpus, expected[i].cpus);
		free(cpus);
		assert_names(dev, expected[i].names);
		assert_null(dev->description);
	}
	assert_int_equal(np_devices_get(d, 0)->vendor, 0x1234);
	assert_int_equal(np_devices_get(d, 4)->device, 0x1000);
	assert_null(np_devices_get(d, (unsigned)n));
	np_devices_free(d);
}

static void test_describe(void **state)
{
	np_devices *d = load(NP_SOURCE_SYSFS, fixture("sysfs/devices"), NP_DEVICES_DESCRIBE);
	const struct np_device *dev = find(d, "eth1", 0);

	(void)state;
	if (!dev->description) {
		print_message("no pci.ids (Debian package pci.ids): skipped\n");
		np_devices_free(d);
		skip();
	}
	assert_string_equal(dev->description, "Red Hat, Inc. Virtio network device");
	assert_string_equal(find(d, "eth0", 0)->description,
	                    "Intel Corporation 82540EM Gigabit Ethernet Controller");
	np_devices_free(d);
}

static void test_find(void **state)
{
	np_devices *d = load(NP_SOURCE_SYSFS, fixture("sysfs/devices"), 0);
	const struct np_device *dev;

	(void)state;
	assert_string_equal(find(d, "eth1", 0)->address, "0000:09:02.0");
	assert_string_equal(find(d, "0000:09:03.0", 0)->address, "0000:09:03.0");
	assert_string_equal(find(d, "0000:0A:00.0", 0)->address, "0000:0a:00.0");
	assert_string_equal(find(d, "/dev/vda", 0)->address, "0000:09:03.0");
	assert_string_equal(find(d, "/dev/nvme0n1", 0)->address, "0001:09:02.0");
	assert_string_equal(find(d, "/dev/dri/renderD128", 0)->address, "0000:00:02.0");
	assert_string_equal(find(d, "mlx5_0", 0)->address, "0000:0a:00.0");
	assert_string_equal(find(d, "gpu1", 0)->address, "0000:0b:00.0");
	assert_string_equal(find(d, "0", 0)->address, "0000:00:02.0");
	find(d, "01:00.0", -ENOENT);
	assert_string_equal(find(d, "0b:00.0", 0)->address, "0000:0b:00.0");
	/* Two PCI domains hold a 09:02.0: the first is given with the error. */
	dev = find(d, "09:02.0", -ENOTUNIQ);
	assert_string_equal(dev->address, "0000:09:02.0");
	find(d, "eth9", -ENOENT);
	find(d, "sda1", -ENOENT);            /* a partition is named by its disk */
	find(d, "card0-Virtual-1", -ENOENT); /* a DRM connector */
	find(d, "2", -ENOENT);
	find(d, "/dev/", -ENOENT);
	find(d, "", -EINVAL);
	np_devices_free(d);
}

/* hwloc's export of the same tree: a device's node is its ancestor's only node. */
static void test_xml(void **state)
{
	np_devices *d = load(NP_SOURCE_XML, fixture("xml/devices.xml"), 0);

	(void)state;
	assert_int_equal(np_devices_count(d), 9);
	/* Below Package 0 (node 0 alone) */
	assert_int_equal(find(d, "nvme0n1", 0)->node, 0);
	/* Below Package 1, which holds nodes 1 and 2: not guessed */
	assert_int_equal(find(d, "eth1", 0)->node, -1);
	assert_int_equal(find(d, "vda", 0)->node, -1);
	/* Attached to the machine */
	assert_int_equal(find(d, "eth0", 0)->node, -1);
	assert_names(find(d, "0000:0a:00.0", 0), "ib0,mlx5_0");
	assert_int_equal(find(d, "0000:0a:00.0", 0)->pci_class, 0x020700);
	np_devices_free(d);
}

static void test_sources(void **state)
{
	struct np_source bad = {NP_SOURCE_SYSFS, NULL, 0};
	struct np_source missing = {NP_SOURCE_SYSFS, "/nonexistent/numaplace", 0};
	np_devices *d = NULL;

	(void)state;
	d = load(NP_SOURCE_SYNTHETIC, "pack:2 [numa] pu:2", 0);
	assert_int_equal(np_devices_count(d), 0);
	np_devices_free(d);
	/* A tree without PCI devices: none, not an error. */
	d = load(NP_SOURCE_SYSFS, fixture("sysfs/two-node"), 0);
	assert_int_equal(np_devices_count(d), 0);
	np_devices_free(d);
	d = NULL;
	assert_int_equal(np_devices_load(&bad, 0, &d), -EINVAL);
	assert_int_equal(np_devices_load(&missing, 0, &d), -ENOENT);
	assert_non_null(strstr(np_last_error(), "/nonexistent/numaplace"));
	assert_int_equal(np_devices_load(&missing, 0x80, &d), -EINVAL);
	assert_null(d);
	np_devices_free(NULL);
	assert_string_equal(np_device_kind_name(NP_DEVICE_RDMA), "rdma");
	assert_null(np_device_kind_name(NP_DEVICE_KIND_COUNT_));
}

/* The node of every non-bridge device is what its own numa_node file says (-1 if none). */
static void check_capture(const char *root)
{
	np_devices *d = load(NP_SOURCE_SYSFS, root, 0);
	unsigned checked = 0;

	for (unsigned i = 0; i < np_devices_count(d); i++) {
		const struct np_device *dev = np_devices_get(d, i);
		char path[PATH_MAX], buf[32] = "";
		int node = -1;
		FILE *f;

		snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/numa_node", root,
		         dev->address);
		f = fopen(path, "r");
		if (f) {
			if (fgets(buf, sizeof(buf), f))
				node = atoi(buf);
			fclose(f);
		}
		assert_int_equal(dev->node, node);
		snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/class", root, dev->address);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(buf, sizeof(buf), f));
		fclose(f);
		assert_int_equal(dev->pci_class, strtoul(buf, NULL, 16));
		checked++;
	}
	assert_true(checked > 0);
	np_devices_free(d);
}

static void test_captures(void **state)
{
	static const char *const caps[] = {
	    "40intel64-4n10c+pci-conflicts/40intel64-4n10c+pci-conflicts",
	    "nvidiagpunumanodes/nvidiagpunumanodes",
	};
	const char *dir = getenv("NUMAPLACE_TOPOLOGIES");
	unsigned found = 0;

	(void)state;
	for (size_t i = 0; dir && i < sizeof(caps) / sizeof(caps[0]); i++) {
		char path[PATH_MAX], alt[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, caps[i]);
		/* Some archives hold their folder once, others twice. */
		snprintf(alt, sizeof(alt), "%s/%.*s", dir, (int)(strchr(caps[i], '/') - caps[i]),
		         caps[i]);
		if (stat(path, &st) == 0)
			check_capture(path), found++;
		else if (stat(alt, &st) == 0)
			check_capture(alt), found++;
	}
	if (!found) {
		print_message("no captured topologies (NUMAPLACE_TOPOLOGIES): skipped\n");
		skip();
	}
}

/* Every PCIDev of an hwloc XML capture (bridges aside) with its address and class. */
static void test_xml_capture(void **state)
{
	const char *dir = getenv("NUMAPLACE_SHARED_TOPOLOGIES");
	char path[PATH_MAX], *text = NULL;
	unsigned want = 0;
	np_devices *d;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/28intel64-2p2g7c-CoDgroups.v1tov2.xml", dir ? dir : "");
	if (!dir || (n = np__read_at(AT_FDCWD, path, 1u << 24, &text)) < 0) {
		print_message("no shared/topologies (NUMAPLACE_SHARED_TOPOLOGIES): skipped\n");
		skip();
	}
	d = load(NP_SOURCE_XML, path, 0);
	for (const char *p = text; (p = strstr(p, "type=\"PCIDev\"")); p++) {
		const char *busid = strstr(p, "pci_busid=\""), *type = strstr(p, "pci_type=\"");
		const struct np_device *dev;
		char address[16];

		assert_non_null(busid);
		assert_non_null(type);
		if (strncmp(type + 10, "06", 2) == 0)
			continue;
		snprintf(address, sizeof(address), "%.12s", busid + 11);
		dev = find(d, address, 0);
		assert_int_equal(dev->pci_class, strtoul(type + 10, NULL, 16) << 8);
		/* Below a Group of the package that holds node 0 alone. */
		assert_int_equal(dev->node, 0);
		want++;
	}
	assert_int_equal(np_devices_count(d), want);
	assert_names(find(d, "enp6s0", 0), "enp6s0");
	assert_names(find(d, "0000:01:00.0", 0), "sda");
	free(text);
	np_devices_free(d);
}

static np_host *host_of(enum np_source_kind kind, const char *arg)
{
	struct np_source src = {kind, arg, 0};
	np_host *h = NULL;

	if (np_host_load(&src, &h) != 0)
		fail_msg("np_host_load(%s): %s", arg, np_last_error());
	return h;
}

static np_memory *memory_of(enum np_source_kind kind, const char *arg, const np_host *h)
{
	struct np_source src = {kind, arg, 0};
	np_memory *m = NULL;

	if (np_memory_load(&src, h, &m) != 0)
		fail_msg("np_memory_load(%s): %s", arg, np_last_error());
	assert_int_equal(np_memory_count(m), np_host_nnodes(h));
	return m;
}

static void assert_access(const struct np_memory_access *a, int init, uint64_t rbw, uint64_t wbw,
                          uint64_t rlat, uint64_t wlat)
{
	assert_int_equal(a->initiator, init);
	assert_int_equal(a->read_bandwidth, rbw);
	assert_int_equal(a->write_bandwidth, wbw);
	assert_int_equal(a->read_latency, rlat);
	assert_int_equal(a->write_latency, wlat);
}

/* access0 and memory_tiering as make-sysfs.py writes them for the devices tree. */
static void test_memory_sysfs(void **state)
{
	const char *root = fixture("sysfs/devices");
	np_host *h = host_of(NP_SOURCE_SYSFS, root);
	np_memory *m = memory_of(NP_SOURCE_SYSFS, root, h);
	const struct np_memory_node *n;

	(void)state;
	n = np_memory_get(m, 0);
	assert_int_equal(n->kind, NP_MEMORY_DRAM);
	assert_int_equal(n->tier, 4);
	assert_int_equal(n->naccess, 1);
	assert_access(&n->access[0], 0, 20480, 20480, 10, 10);
	n = np_memory_get(m, 2);
	assert_int_equal(n->node, 2);
	assert_int_equal(n->kind, NP_MEMORY_FAR); /* CPU-less, in a slower tier */
	assert_int_equal(n->tier, 22);
	assert_int_equal(n->naccess, 1);
	assert_access(&n->access[0], 1, 5120, 4096, 40, 50);
	assert_null(np_memory_get(m, 3));
	{
		/* HMAT in SLIT's scale where it is known (0->0, 1->1, 1->2), SLIT elsewhere. */
		const unsigned want[] = {10, 21, 31, 21, 10, 40, 31, 17, 10};
		unsigned *c = NULL;

		assert_int_equal(np_memory_costs(m, h, &c), 3);
		assert_memory_equal(c, want, sizeof(want));
		free(c);
	}
	np_memory_free(m);
	np_host_free(h);
	/* Nothing but nodes: DRAM where there are CPUs, unknown elsewhere, no tier. */
	h = host_of(NP_SOURCE_SYSFS, fixture("sysfs/cpuless"));
	m = memory_of(NP_SOURCE_SYSFS, fixture("sysfs/cpuless"), h);
	assert_int_equal(np_memory_get(m, 0)->kind, NP_MEMORY_DRAM);
	assert_int_equal(np_memory_get(m, 2)->kind, NP_MEMORY_UNKNOWN);
	assert_int_equal(np_memory_get(m, 2)->tier, -1);
	assert_int_equal(np_memory_get(m, 2)->naccess, 0);
	{
		unsigned *c = (unsigned *)1;

		assert_int_equal(np_memory_costs(m, h, &c), 0); /* no HMAT: the distances stay */
		assert_null(c);
	}
	np_memory_free(m);
	np_host_free(h);
	assert_string_equal(np_memory_kind_name(NP_MEMORY_FAR), "far");
	assert_null(np_memory_kind_name(NP_MEMORY_KIND_COUNT_));
	np_memory_free(NULL);
}

/*
 * HBM by HMAT: a CPU-less node with more bandwidth from its initiator than the initiator's
 * own memory is HBM, though its latency is a little higher; in one tier with the DRAM.
 */
static void test_memory_hbm(void **state)
{
	const char *root = fixture("sysfs/hbm");
	np_host *h = host_of(NP_SOURCE_SYSFS, root);
	np_memory *m = memory_of(NP_SOURCE_SYSFS, root, h);
	unsigned *c = NULL;

	(void)state;
	assert_int_equal(np_memory_get(m, 0)->kind, NP_MEMORY_DRAM);
	assert_int_equal(np_memory_get(m, 1)->kind, NP_MEMORY_DRAM);
	assert_int_equal(np_memory_get(m, 2)->kind, NP_MEMORY_HBM);
	assert_int_equal(np_memory_get(m, 3)->kind, NP_MEMORY_HBM);
	assert_int_equal(np_memory_get(m, 2)->tier, 4);
	assert_access(&np_memory_get(m, 2)->access[0], 0, 409600, 409600, 130, 130);
	assert_access(&np_memory_get(m, 3)->access[0], 1, 409600, 409600, 130, 130);
	/* HMAT from 0 to 2: 10 x 130 / 110 = 11.8, rounded; 0 to 3 keeps SLIT's 23 */
	assert_int_equal(np_memory_costs(m, h, &c), 4);
	assert_int_equal(c[0 * 4 + 2], 12);
	assert_int_equal(c[0 * 4 + 3], 23);
	assert_int_equal(c[1 * 4 + 3], 12);
	free(c);
	np_memory_free(m);
	np_host_free(h);
	/* Less bandwidth, more latency, a slower tier: far memory, not HBM. */
	root = fixture("sysfs/devices");
	h = host_of(NP_SOURCE_SYSFS, root);
	m = memory_of(NP_SOURCE_SYSFS, root, h);
	assert_int_equal(np_memory_get(m, 2)->kind, NP_MEMORY_FAR);
	np_memory_free(m);
	np_host_free(h);
}

/* hwloc memory attributes: one entry per initiator node, the subtype's kind. */
static void test_memory_xml(void **state)
{
	const char *path = fixture("xml/memattrs.xml");
	np_host *h = host_of(NP_SOURCE_XML, path);
	np_memory *m = memory_of(NP_SOURCE_XML, path, h);
	const struct np_memory_node *n = np_memory_get(m, 1);
	enum np_memory_kind k;

	(void)state;
	assert_int_equal(np_memory_get(m, 0)->kind, NP_MEMORY_DRAM);
	assert_int_equal(n->kind, NP_MEMORY_HBM);
	assert_int_equal(n->naccess, 2);
	assert_access(&n->access[0], 0, 60000, 60000, 150, 150);
	assert_access(&np_memory_get(m, 0)->access[1], 1, 10000, 10000, 200, 200);
	np_memory_free(m);
	np_host_free(h);
	h = host_of(NP_SOURCE_SYNTHETIC, "pack:2 [numa] pu:2");
	m = memory_of(NP_SOURCE_SYNTHETIC, "pack:2 [numa] pu:2", h);
	assert_int_equal(np_memory_get(m, 1)->kind, NP_MEMORY_DRAM);
	assert_int_equal(np_memory_get(m, 1)->naccess, 0);
	np_memory_free(m);
	np_host_free(h);
	assert_int_equal(np_memory_kind_parse("hbm", &k), 0);
	assert_int_equal(k, NP_MEMORY_HBM);
	assert_int_equal(np_memory_kind_parse("ram", &k), -EINVAL);
}

/* The captures: GPU memory nodes of the POWER9 tree, the memattrs XML's one bandwidth. */
static void test_memory_captures(void **state)
{
	const char *dir = getenv("NUMAPLACE_TOPOLOGIES"),
	           *shared = getenv("NUMAPLACE_SHARED_TOPOLOGIES");
	char path[PATH_MAX];
	struct stat st;
	unsigned found = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/nvidiagpunumanodes", dir ? dir : "");
	if (dir && stat(path, &st) == 0) {
		char inner[PATH_MAX + 32];
		const char *root = path;
		np_host *h;
		np_memory *m;

		snprintf(inner, sizeof(inner), "%s/nvidiagpunumanodes", path);
		if (stat(inner, &st) == 0)
			root = inner; /* the archive holds its folder twice */
		h = host_of(NP_SOURCE_SYSFS, root);
		m = memory_of(NP_SOURCE_SYSFS, root, h);
		/* Nodes 0 and 8 have CPUs; 250-255 are the GPUs' memory (hwloc's GPUMemory). */
		for (unsigned i = 0; i < np_memory_count(m); i++) {
			const struct np_memory_node *n = np_memory_get(m, i);

			assert_int_equal(n->kind, n->node >= 250 ? NP_MEMORY_GPU : NP_MEMORY_DRAM);
		}
		np_memory_free(m);
		np_host_free(h);
		found++;
	}
	snprintf(path, sizeof(path), "%s/8intel64-4n2t-memattrs.xml", shared ? shared : "");
	if (shared && stat(path, &st) == 0) {
		np_host *h = host_of(NP_SOURCE_XML, path);
		np_memory *m = memory_of(NP_SOURCE_XML, path, h);
		const struct np_memory_node *n = np_memory_get(m, 1);

		/* <memattr name="Bandwidth">: node 1 (gp_index 8), 20, from cpuset 0xff (all) */
		assert_int_equal(n->naccess, 1);
		assert_access(&n->access[0], -1, 20, 20, 0, 0);
		assert_int_equal(np_memory_get(m, 0)->naccess, 0);
		np_memory_free(m);
		np_host_free(h);
		found++;
	}
	if (!found) {
		print_message("no captured topologies: skipped\n");
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sysfs),       cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_find),        cmocka_unit_test(test_xml),
	    cmocka_unit_test(test_sources),     cmocka_unit_test(test_captures),
	    cmocka_unit_test(test_xml_capture), cmocka_unit_test(test_memory_sysfs),
	    cmocka_unit_test(test_memory_xml),  cmocka_unit_test(test_memory_captures),
	    cmocka_unit_test(test_memory_hbm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
