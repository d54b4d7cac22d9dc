/*
 * qemu.c - what a QEMU command line asks for, so that `numaplace run -- qemu-system-x86_64 ...`
 * needs no --vcpus and --memory (numad reads qemu-kvm's threads the same way, afterwards).
 *
 * The rules are QEMU's own (softmmu/vl.c and hw/core/machine-smp.c): options may start with
 * one or two dashes; -smp's first item without a key is cpus=, -m's is size=; the last
 * occurrence of an option wins, and within one option the last value of a key; a 0 is "not
 * given". -smp without a CPU count means maxcpus, or else the product of the topology.
 * -m sizes are QEMU's: a number (with a fraction) and an optional suffix B, K, M, G, T, P, E
 * in either case; without a suffix, mebibytes.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#define QEMU_DEFAULT_RAM (128ull << 20)

/* A decimal count of [s, end) in 1..2^20, or 0 for "0" (not given). -EINVAL otherwise. */
static int parse_count(const char *s, const char *end, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > (1u << 20))
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* A QEMU size of [s, end), MiB by default. */
static int parse_size(const char *s, const char *end, uint64_t *ret)
{
	static const char suffixes[] = "BKMGTPE";
	uint64_t whole = 0, mult = 1ull << 20, frac_num = 0, frac_den = 1, frac;
	const char *p = s, *suf;

	if (p == end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > (1ull << 40))
			return -EINVAL;
	}
	if (p < end && *p == '.') {
		p++;
		if (p == end || *p < '0' || *p > '9')
			return -EINVAL;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (frac_den < 1000000000ull) {
				frac_num = frac_num * 10 + (uint64_t)(*p - '0');
				frac_den *= 10;
			}
	}
	if (p < end) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;

		suf = strchr(suffixes, c);
		if (!suf || !c || p + 1 != end)
			return -EINVAL;
		mult = 1ull << (10 * (suf - suffixes));
	}
	if (whole > UINT64_MAX / mult)
		return -EINVAL;
	/*
	 * The fraction of the unit, rounded down to whole bytes: frac_num / frac_den * mult in
	 * two parts that cannot overflow (frac_num and mult % frac_den are below 10^9).
	 */
	frac = frac_num * (mult / frac_den) + frac_num * (mult % frac_den) / frac_den;
	if (whole * mult > UINT64_MAX - frac)
		return -EINVAL;
	*ret = whole * mult + frac;
	return *ret ? 0 : -EINVAL;
}

/*
 * Each comma-separated item of a QEMU option value, [p, end) with `eq` at its '=' (NULL when
 * it has none), through fn() (`first` for the first item). Stops at fn()'s first error.
 */
static int opt_each(const char *s,
                    int (*fn)(const char *p, const char *eq, const char *end, bool first,
                              void *arg),
                    void *arg)
{
	for (const char *p = s;;) {
		const char *end = strchrnul(p, ','), *eq = memchr(p, '=', (size_t)(end - p));
		int r = fn(p, eq, end, p == s, arg);

		if (r < 0)
			return r;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/* One item of -smp: a key=value into vals[] at the key's index in keys[], or the first count. */
static int smp_item(const char *k, const char *eq, const char *end, bool first, void *arg)
{
	static const char *const keys[] = {"cpus",  "maxcpus", "sockets", "dies",    "clusters",
	                                   "cores", "threads", "books",   "drawers", "modules"};
	uint64_t *vals = arg;

	if (!eq)
		return first ? parse_count(k, end, &vals[0]) : -EINVAL;
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((size_t)(eq - k) == strlen(keys[i]) && !strncmp(k, keys[i], (size_t)(eq - k)))
			return parse_count(eq + 1, end, &vals[i]);
	return -EINVAL;
}

static int parse_smp(const char *s, unsigned *ret_vcpus)
{
	/* cpus, maxcpus, then the topology: sockets dies clusters cores threads books drawers
	 * modules */
	uint64_t vals[10] = {0}, cpus;
	int r = opt_each(s, smp_item, vals);

	if (r < 0)
		return r;
	cpus = vals[0];
	if (!cpus)
		cpus = vals[1];
	if (!cpus) {
		cpus = 1;
		for (unsigned i = 2; i < 10; i++)
			cpus *= vals[i] ? vals[i] : 1;
	}
	if (cpus > (1u << 20))
		return -EINVAL;
	*ret_vcpus = (unsigned)cpus;
	return 0;
}

/* What -m says: its size, and whether it said one. */
struct m_value {
	uint64_t size;
	bool have;
};

/* One item of -m: the first size, size=, or maxmem= and slots= (checked, not kept). */
static int m_item(const char *p, const char *eq, const char *end, bool first, void *arg)
{
	struct m_value *m = arg;
	uint64_t ignored;

	if (!eq && first) {
		m->have = true;
		return parse_size(p, end, &m->size);
	}
	if (eq && eq - p == 4 && !strncmp(p, "size", 4)) {
		m->have = true;
		return parse_size(eq + 1, end, &m->size);
	}
	if (eq && eq - p == 6 && !strncmp(p, "maxmem", 6))
		return parse_size(eq + 1, end, &ignored);
	if (eq && eq - p == 5 && !strncmp(p, "slots", 5))
		return parse_count(eq + 1, end, &ignored);
	return -EINVAL;
}

static int parse_m(const char *s, uint64_t *ret_bytes)
{
	struct m_value m = {0, false};
	int r = opt_each(s, m_item, &m);

	if (r < 0)
		return r;
	if (!m.have)
		return -EINVAL;
	*ret_bytes = m.size;
	return 0;
}

static bool is_qemu(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return (!strncmp(base, "qemu-system-", 12) && base[12]) || !strcmp(base, "qemu-kvm");
}

int np_qemu_sizes(char *const *argv, struct np_qemu_sizes *ret_sizes)
{
	struct np_qemu_sizes q = {1, QEMU_DEFAULT_RAM, 0, 0};
	int r;

	if (!argv || !argv[0] || !ret_sizes)
		return -EINVAL;
	if (!is_qemu(argv[0]))
		return 0;
	for (unsigned i = 1; argv[i]; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			continue;
		a += a[1] == '-' ? 2 : 1;
		if (strcmp(a, "smp") && strcmp(a, "m"))
			continue;
		if (!argv[i + 1])
			return -EINVAL;
		if (!strcmp(a, "smp")) {
			r = parse_smp(argv[i + 1], &q.vcpus);
			q.vcpus_given = 1;
		} else {
			r = parse_m(argv[i + 1], &q.memory_bytes);
			q.memory_given = 1;
		}
		if (r < 0)
			return r;
		i++;
	}
	*ret_sizes = q;
	return 1;
}

/* QEMU's booleans (qapi_bool_parse()): 1, 0, or -EINVAL. */
static int parse_bool(const char *s, const char *end)
{
	static const char *const on[] = {"on", "yes", "true", "y"}, *const off[] = {"off", "no",
	                                                                            "false", "n"};
	size_t len = (size_t)(end - s);

	for (unsigned i = 0; i < 4; i++) {
		if (strlen(on[i]) == len && !strncmp(s, on[i], len))
			return 1;
		if (strlen(off[i]) == len && !strncmp(s, off[i], len))
			return 0;
	}
	return -EINVAL;
}

/* One item of -name: the first is guest= without its key; debug-threads= into *arg. */
static int name_item(const char *p, const char *eq, const char *end, bool first, void *arg)
{
	int *named = arg, b;

	if (!eq)
		return first ? 0 : -EINVAL;
	if (eq - p == 13 && !strncmp(p, "debug-threads", 13)) {
		b = parse_bool(eq + 1, end);
		if (b < 0)
			return b;
		*named = b;
		return 0;
	}
	if ((eq - p == 5 && !strncmp(p, "guest", 5)) || (eq - p == 7 && !strncmp(p, "process", 7)))
		return 0;
	return -EINVAL;
}

int np_qemu_names_threads(char *const *argv)
{
	int named = -1, r;

	if (!argv || !argv[0] || !is_qemu(argv[0]))
		return -EINVAL;
	for (unsigned i = 1; argv[i]; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			continue;
		a += a[1] == '-' ? 2 : 1;
		if (strcmp(a, "name"))
			continue;
		if (!argv[i + 1])
			return -EINVAL;
		r = opt_each(argv[i + 1], name_item, &named);
		if (r < 0)
			return r;
		i++;
	}
	return named < 0 ? 0 : named ? 1 : -EINVAL;
}
