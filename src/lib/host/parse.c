/*
 * parse.c - strict parsers: sizes and lists for users, and the kernel files the host loaders
 * read (meminfo, distance rows, CPU masks, counts).
 *
 * Every parser reads the whole text, rejects anything it does not recognise (garbage, trailing
 * junk, whitespace the kernel never prints, numbers that overflow) and writes its outputs only
 * when the whole text is good.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void set_err(struct np__parse_error *err, const char *what, unsigned line)
{
	if (err) {
		err->what = what;
		err->line = line;
	}
}

/*
 * Read decimal digits at *p into *ret. Returns 0, -EINVAL when no digit is there, -ERANGE when
 * the number exceeds `max`. *p moves past the digits on success.
 */
static int parse_decimal(const char **p, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*p = s;
	*ret = v;
	return 0;
}

/* True when p is at the end of the text, allowing one final newline. */
static bool at_end(const char *p)
{
	return p[0] == '\0' || (p[0] == '\n' && p[1] == '\0');
}

/* ---- Lists -------------------------------------------------------------------------------- */

/* Finish a set parse: when r is 0, set copied into ret_set (-ENOMEM if that fails); set freed. */
static int set_result(hwloc_bitmap_t set, hwloc_bitmap_t ret_set, int r)
{
	if (r == 0 && hwloc_bitmap_copy(ret_set, set) < 0)
		r = -ENOMEM;
	hwloc_bitmap_free(set);
	return r;
}

static int list_parse(const char *s, unsigned max_id, hwloc_bitmap_t ret_set)
{
	hwloc_bitmap_t set = NULL;
	const char *p = s;
	int r;

	set = hwloc_bitmap_alloc();
	if (!set)
		return -ENOMEM;
	for (;;) {
		uint64_t a, b;

		r = parse_decimal(&p, max_id, &a);
		if (r < 0)
			goto out;
		b = a;
		if (*p == '-') {
			p++;
			r = parse_decimal(&p, max_id, &b);
			if (r < 0)
				goto out;
			if (b < a) {
				r = -EINVAL;
				goto out;
			}
		}
		if (hwloc_bitmap_set_range(set, (unsigned)a, (int)b) < 0) {
			r = -ENOMEM;
			goto out;
		}
		if (*p != ',')
			break;
		p++;
	}
	if (!at_end(p)) {
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	return set_result(set, ret_set, r);
}

int np_list_parse(const char *s, unsigned max_id, hwloc_bitmap_t ret_set)
{
	if (!s || !ret_set || max_id > INT32_MAX)
		return -EINVAL;
	return list_parse(s, max_id, ret_set);
}

int np__kernel_list_parse(const char *text, unsigned max_id, hwloc_bitmap_t ret_set,
                          struct np__parse_error *err)
{
	int r;

	if (at_end(text)) {
		hwloc_bitmap_zero(ret_set);
		return 0;
	}
	r = np_list_parse(text, max_id, ret_set);
	if (r == -ERANGE)
		set_err(err, "number out of range", 0);
	else if (r < 0)
		set_err(err, "not a list", 0);
	return r == -EINVAL ? -EBADMSG : r;
}

/* ---- Sizes -------------------------------------------------------------------------------- */

/*
 * floor(frac / 10^ndigits * 2^shift) without overflow: binary long division, one bit of the
 * multiplier at a time. frac < 10^ndigits <= 10^18, so twice a remainder fits in 64 bits.
 */
static uint64_t scale_fraction(uint64_t frac, uint64_t denom, unsigned shift)
{
	uint64_t q = 0, r = frac;

	for (unsigned i = 0; i < shift; i++) {
		q <<= 1;
		r <<= 1;
		if (r >= denom) {
			q++;
			r -= denom;
		}
	}
	return q;
}

/* Case-insensitive match of the unit suffix at p: "", "B" or "iB". */
static bool unit_suffix_ok(const char *p)
{
	if (*p == 'i' || *p == 'I')
		p++;
	else if (*p == '\0')
		return true;
	if (*p != 'b' && *p != 'B')
		return false;
	return p[1] == '\0';
}

int np_size_parse(const char *s, uint64_t *ret_bytes)
{
	static const char prefixes[] = "KMGTPE";
	const char *p = s, *u;
	uint64_t whole, frac = 0, denom = 1, bytes;
	unsigned shift;
	int r;

	if (!s || !ret_bytes)
		return -EINVAL;
	r = parse_decimal(&p, UINT64_MAX, &whole);
	if (r < 0)
		return r;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return -EINVAL;
		/* Digits past the 18th are checked and ignored: they weigh less than a
		 * thousandth of a byte even in PiB. */
		for (unsigned n = 0; is_digit(*p); p++, n++)
			if (n < 18) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				denom *= 10;
			}
	}
	if (*p == ' ')
		p++;
	if ((*p == 'B' || *p == 'b') && p[1] == '\0') {
		shift = 0;
	} else {
		u = *p ? strchr(prefixes, *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p) : NULL;
		if (!u || !unit_suffix_ok(p + 1))
			return -EINVAL;
		shift = 10 * (unsigned)(u - prefixes + 1);
	}
	if (shift && whole > (UINT64_MAX >> shift))
		return -ERANGE;
	bytes = whole << shift;
	if (frac) {
		uint64_t extra = scale_fraction(frac, denom, shift);

		if (bytes > UINT64_MAX - extra)
			return -ERANGE;
		bytes += extra;
	}
	*ret_bytes = bytes;
	return 0;
}

char *np_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	unsigned u = 0;
	uint64_t tenths;

	if (!buf || len == 0)
		return buf;
	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >> (10 * (u + 1)))
		u++;
	for (;;) {
		unsigned shift = 10 * u;
		uint64_t unit = (uint64_t)1 << shift, q = bytes >> shift, rem = bytes & (unit - 1);

		/* Round to the nearest tenth; 1023.96 MiB becomes 1 GiB, not "1024 MiB". */
		tenths = q * 10 + (rem * 10 + unit / 2) / unit;
		if (tenths < 10240 || u + 1 == sizeof(units) / sizeof(units[0]))
			break;
		u++;
	}
	if (tenths % 10)
		snprintf(buf, len, "%" PRIu64 ".%u %s", tenths / 10, (unsigned)(tenths % 10),
		         units[u]);
	else
		snprintf(buf, len, "%" PRIu64 " %s", tenths / 10, units[u]);
	return buf;
}

/* ---- Kernel files ------------------------------------------------------------------------- */

static int parse_error(struct np__parse_error *err, int r, const char *what, unsigned line)
{
	set_err(err, r == -ERANGE ? "number out of range" : what, line);
	return r == -ERANGE ? -ERANGE : -EBADMSG;
}

/*
 * meminfo lines look like "Node 0 MemTotal:       129839104 kB" (the node's file) or
 * "MemTotal:       129839104 kB" (/proc/meminfo). Keys are letters, digits, '_' and
 * parentheses ("Inactive(file)"); values are decimal, in kB or bare counts (HugePages_Total).
 */
int np__meminfo_parse(const char *text, int node, struct np__meminfo *ret_info,
                      struct np__parse_error *err)
{
	static const char *const keys[] = {"MemTotal", "MemFree", "Inactive(file)"};
	uint64_t val[3] = {0, 0, 0};
	bool seen[3] = {false, false, false};
	const char *p = text;
	unsigned line = 0;
	int r;

	while (*p) {
		const char *key;
		size_t klen;
		uint64_t v, id;
		bool kb = false;
		unsigned k;

		line++;
		if (*p == '\n') {
			p++;
			continue;
		}
		if (node >= 0) {
			if (strncmp(p, "Node ", 5) != 0)
				return parse_error(err, -EBADMSG, "line does not start with 'Node'",
				                   line);
			p += 5;
			r = parse_decimal(&p, NP__MAX_NODE_ID, &id);
			if (r < 0)
				return parse_error(err, -EBADMSG, "bad node id", line);
			if (id != (uint64_t)node)
				return parse_error(err, -EBADMSG, "line of another node", line);
			if (*p++ != ' ')
				return parse_error(err, -EBADMSG, "malformed line", line);
		}
		key = p;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || is_digit(*p) ||
		       *p == '_' || *p == '(' || *p == ')')
			p++;
		klen = (size_t)(p - key);
		if (klen == 0 || *p != ':')
			return parse_error(err, -EBADMSG, "malformed line", line);
		p++;
		while (*p == ' ')
			p++;
		r = parse_decimal(&p, UINT64_MAX, &v);
		if (r < 0)
			return parse_error(err, r, "malformed value", line);
		if (strncmp(p, " kB", 3) == 0) {
			kb = true;
			p += 3;
		}
		if (*p == '\n')
			p++;
		else if (*p != '\0')
			return parse_error(err, -EBADMSG, "trailing junk", line);

		for (k = 0; k < 3; k++)
			if (strlen(keys[k]) == klen && memcmp(keys[k], key, klen) == 0)
				break;
		if (k == 3)
			continue;
		if (seen[k])
			return parse_error(err, -EBADMSG, "repeated line", line);
		if (!kb)
			return parse_error(err, -EBADMSG, "value without 'kB'", line);
		if (v > UINT64_MAX / 1024)
			return parse_error(err, -ERANGE, NULL, line);
		val[k] = v * 1024;
		seen[k] = true;
	}
	if (!seen[0])
		return parse_error(err, -EBADMSG, "no MemTotal line", 0);
	ret_info->total = val[0];
	ret_info->free = val[1];
	ret_info->has_free = seen[1];
	ret_info->inactive_file = val[2];
	ret_info->has_inactive_file = seen[2];
	return 0;
}

int np__distance_parse(const char *text, unsigned count, unsigned *ret_row,
                       struct np__parse_error *err)
{
	unsigned *row = NULL, n = 0;
	const char *p = text;
	int r;

	if (count == 0)
		return parse_error(err, -EBADMSG, "no node to read distances for", 0);
	row = malloc(count * sizeof(*row));
	if (!row)
		return -ENOMEM;
	for (;;) {
		uint64_t v;

		r = parse_decimal(&p, 65535, &v);
		if (r < 0) {
			r = parse_error(err, r, "not a distance row", 0);
			goto out;
		}
		if (v == 0) {
			r = parse_error(err, -EBADMSG, "distance 0", 0);
			goto out;
		}
		if (n == count) {
			r = parse_error(err, -EBADMSG, "more distances than nodes", 0);
			goto out;
		}
		row[n++] = (unsigned)v;
		if (*p != ' ')
			break;
		p++;
	}
	if (!at_end(p)) {
		r = parse_error(err, -EBADMSG, "trailing junk", 0);
		goto out;
	}
	if (n != count) {
		r = parse_error(err, -EBADMSG, "fewer distances than nodes", 0);
		goto out;
	}
	memcpy(ret_row, row, count * sizeof(*row));
	r = 0;
out:
	free(row);
	return r;
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int np__cpumap_parse(const char *text, hwloc_bitmap_t ret_set, struct np__parse_error *err)
{
	hwloc_bitmap_t set = NULL;
	const char *p = text;
	unsigned nwords = 1, w;
	int r;

	/* Words come most significant first: count them to know the first one's position. */
	for (const char *q = text; *q; q++)
		nwords += *q == ',';
	set = hwloc_bitmap_alloc();
	if (!set)
		return -ENOMEM;
	for (w = 0; w < nwords; w++) {
		unsigned long word = 0;
		unsigned digits = 0, index = nwords - 1 - w;
		int h;

		while ((h = hex_value(*p)) >= 0 && digits < 8) {
			word = word << 4 | (unsigned)h;
			digits++;
			p++;
		}
		if (digits == 0 || (w > 0 && digits != 8) || hex_value(*p) >= 0) {
			r = parse_error(err, -EBADMSG, "not a CPU mask", 0);
			goto out;
		}
		if (w + 1 < nwords && *p++ != ',') {
			r = parse_error(err, -EBADMSG, "not a CPU mask", 0);
			goto out;
		}
		if (!word)
			continue;
		if (index > NP__MAX_CPU_ID / 32 ||
		    (uint64_t)index * 32 + (sizeof(word) * 8 - 1 - (unsigned)__builtin_clzl(word)) >
		        NP__MAX_CPU_ID) {
			r = parse_error(err, -ERANGE, NULL, 0);
			goto out;
		}
		for (unsigned b = 0; b < 32; b++)
			if (word & (1ul << b) && hwloc_bitmap_set(set, index * 32 + b) < 0) {
				r = -ENOMEM;
				goto out;
			}
	}
	if (!at_end(p)) {
		r = parse_error(err, -EBADMSG, "trailing junk", 0);
		goto out;
	}
	r = 0;
out:
	return set_result(set, ret_set, r);
}

int np__count_parse(const char *text, uint64_t *ret_count, struct np__parse_error *err)
{
	const char *p = text;
	uint64_t v;
	int r;

	r = parse_decimal(&p, UINT64_MAX, &v);
	if (r < 0)
		return parse_error(err, r, "not a number", 0);
	if (!at_end(p))
		return parse_error(err, -EBADMSG, "trailing junk", 0);
	*ret_count = v;
	return 0;
}
