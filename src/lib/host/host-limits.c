/*
 * host-limits.c - the size of an hwloc synthetic description, checked before hwloc builds it.
 *
 * hwloc builds every object a description asks for, in time that grows with the square of the
 * PUs: "pack:100000 core:100000 pu:100" would run for days and exhaust memory. The description
 * is read here the way hwloc reads its levels, only to count:
 *
 *   "pack:2 [numa(memory=64GiB)] core:16 pu:2"
 *    level    arity   objects at the level
 *    pack     2       2
 *    [numa]   -       one per pack: 2 NUMA nodes
 *    core     16      2 * 16 = 32
 *    pu       2       32 * 2 = 64 PUs (the last level); 2 + 2 + 32 + 64 = 100 objects
 *
 * A level is TYPE:ARITY or ARITY, then attributes in parentheses, which are skipped whatever
 * they hold ("(memory=64GiB)", "(indexes=0,2,1,3)"). A bracketed group holds memory levels
 * attached to every object of the level before: each NUMA node of it counts once per such
 * object (times the arities written inside, if any). Without any, hwloc adds one node. The
 * counts saturate instead of overflowing. A token this reading finds no arity in is left to
 * hwloc, which refuses it.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Decimal digits at *p (saturating); *p moves past them. */
static uint64_t digits(const char **p)
{
	uint64_t v = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++)
		v = add_sat(mul_sat(v, 10), (uint64_t)(**p - '0'));
	return v;
}

/* Skip a parenthesised group at p (nested ones too); returns past its ')' or at the end. */
static const char *skip_parens(const char *p)
{
	unsigned depth = 0;

	do {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		p++;
	} while (*p && depth);
	return p;
}

/*
 * One level token at p (up to a space or '[' outside parentheses). Returns its arity, or 0
 * when it has none this reading can see; *p moves past the token.
 */
static uint64_t level_arity(const char **p)
{
	const char *s = *p, *colon = NULL;
	uint64_t arity = 0;
	bool numeric = true;

	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '[' && *s != '(') {
		if (*s == ':' && !colon)
			colon = s;
		else if (!colon && (*s < '0' || *s > '9'))
			numeric = false;
		s++;
	}
	if (colon) {
		const char *d = colon + 1;

		if (*d >= '0' && *d <= '9')
			arity = digits(&d);
	} else if (numeric && s > *p) {
		const char *d = *p;

		arity = digits(&d);
	}
	while (*s == '(')
		s = skip_parens(s);
	/* anything else glued to the token ("pu:2x") is hwloc's to refuse */
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '[')
		s++;
	*p = s;
	return arity;
}

/* A bracketed memory group at p ('['): NUMA nodes per parent object; *p moves past it. */
static uint64_t memory_group(const char **p)
{
	const char *s = *p + 1;
	uint64_t n = 1;

	while (*s && *s != ']') {
		if (*s == '(') {
			s = skip_parens(s);
		} else if (*s == ':' && s[1] >= '0' && s[1] <= '9') {
			s++;
			n = mul_sat(n, digits(&s));
		} else {
			s++;
		}
	}
	*p = *s ? s + 1 : s;
	return n;
}

int np__synthetic_check(const char *desc)
{
	uint64_t width = 1, objects = 1, nodes = 0; /* the Machine */
	const char *p = desc, *what = NULL;
	uint64_t got = 0, limit = 0;

	for (;;) {
		uint64_t arity;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (*p == '[') {
			uint64_t m = mul_sat(width, memory_group(&p));

			nodes = add_sat(nodes, m);
			objects = add_sat(objects, m);
			continue;
		}
		arity = level_arity(&p);
		if (arity == 0)
			return 0; /* not a level: hwloc refuses the description */
		width = mul_sat(width, arity);
		objects = add_sat(objects, width);
	}
	if (nodes == 0)
		nodes = 1;
	if (width > NP_HOST_MAX_PUS)
		what = "PUs", got = width, limit = NP_HOST_MAX_PUS;
	else if (objects > NP_HOST_MAX_OBJECTS)
		what = "objects", got = objects, limit = NP_HOST_MAX_OBJECTS;
	else if (nodes > NP_HOST_MAX_NODES)
		what = "NUMA nodes", got = nodes, limit = NP_HOST_MAX_NODES;
	if (!what)
		return 0;
	if (got == UINT64_MAX)
		np__set_error("cannot load synthetic topology '%s': over 2^64 %s, more than the "
		              "limit of %" PRIu64,
		              desc, what, limit);
	else
		np__set_error("cannot load synthetic topology '%s': %" PRIu64
		              " %s, more than the limit of %" PRIu64,
		              desc, got, what, limit);
	return -E2BIG;
}
