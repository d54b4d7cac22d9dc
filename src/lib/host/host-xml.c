/*
 * host-xml.c - np__xml_check_syntax(): is an XML topology well-formed, before hwloc reads it.
 *
 * hwloc 2.9 reads XML with one of two parsers (docs/design.md, "hwloc's two XML parsers"): the
 * libxml2 one from the libhwloc-plugins package, or its own minimal parser, and
 * HWLOC_LIBXML_IMPORT chooses between them when both are there. They disagree on files that
 * are not XML exactly as hwloc writes it, and neither tells its caller where or why it failed.
 * So numaplace checks the file itself first:
 * - what is not well-formed XML is refused here, with its line and what is wrong, whatever
 *   parser hwloc would have used: a truncated file, a misplaced or mismatched tag, a '<' or a
 *   bad '&' in a value, an attribute given twice, text after the root element (the minimal
 *   parser accepts the last three, libxml2 refuses them);
 * - the root element must be <topology> (or <root>, which hwloc still reads from 0.9);
 * - elements nest at most 256 deep: libxml2's own limit, and the minimal parser recurses once
 *   per level;
 * - what XML allows and the minimal parser refuses is normalised in place: a byte-order mark is
 *   dropped, "\r\n" and "\r" line ends become "\n" (as any XML parser reads them), comments
 *   become spaces (newlines kept, so lines still count).
 * What remains for hwloc is its format: which elements and attributes mean what.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define XML_MAX_DEPTH 256
#define XML_MAX_ATTRS 64

struct scan {
	const char *text; /* the start, for line numbers */
	const char *at;   /* where the first problem is */
	char what[160];
};

static bool fail(struct scan *s, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct scan *s, const char *at, const char *fmt, ...)
{
	va_list ap;

	s->at = at;
	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
	return false;
}

/* How much of a name a message shows. */
static int shown(int len)
{
	return len < 40 ? len : 40;
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool name_char(char c)
{
	return c != '\0' && !space(c) && !strchr("<>/=\"'&!?;", c);
}

/* A name from p: its end (p itself when there is none). */
static const char *name_end(const char *p)
{
	while (name_char(*p))
		p++;
	return p;
}

/* An entity or character reference at p ('&'): its end, or NULL when it is not one. */
static const char *ref_end(const char *p)
{
	const char *q = p + 1, *d;

	if (*q == '#') {
		bool hex = *++q == 'x';

		q += hex;
		for (d = q; *q && strchr(hex ? "0123456789abcdefABCDEF" : "0123456789", *q);)
			q++;
	} else {
		d = q;
		q = name_end(q);
	}
	return q > d && *q == ';' ? q + 1 : NULL;
}

/* Character data [p, end): references must be whole; outside the root, only spaces. */
static bool text_ok(struct scan *s, const char *p, const char *end, bool outside)
{
	for (; p < end; p++) {
		if (outside && !space(*p))
			return fail(s, p, "text outside the root element");
		if (*p == '&' && !ref_end(p))
			return fail(s, p, "a '&' that starts no reference (write &amp;)");
	}
	return true;
}

/* A start tag's attributes from p (after its name); *end: at its '>' or "/>". */
static bool attrs_ok(struct scan *s, const char *tag, int tag_len, const char *p, const char **end)
{
	const char *names[XML_MAX_ATTRS];
	size_t lens[XML_MAX_ATTRS];
	unsigned n = 0;

	for (;;) {
		const char *name, *q, *v;
		size_t len;

		if (*p == '\0')
			return fail(s, tag - 1, "the file ends inside the tag <%.*s>",
			            shown(tag_len), tag);
		if (!space(*p) && *p != '>' && *p != '/')
			return fail(s, p, "no space before an attribute of <%.*s>", shown(tag_len),
			            tag);
		while (space(*p))
			p++;
		if (*p == '>' || (p[0] == '/' && p[1] == '>')) {
			*end = p;
			return true;
		}
		if (*p == '\0')
			continue;
		name = p;
		p = name_end(p);
		len = (size_t)(p - name);
		while (space(*p))
			p++;
		if (len == 0 || *p != '=')
			return fail(s, p, "an attribute of <%.*s> without a name and '='",
			            shown(tag_len), tag);
		while (space(*++p))
			;
		if (*p != '"' && *p != '\'')
			return fail(s, p, "an attribute of <%.*s> without a quoted value",
			            shown(tag_len), tag);
		if (!(q = strchr(p + 1, *p)))
			return fail(s, tag - 1, "the file ends inside the tag <%.*s>",
			            shown(tag_len), tag);
		for (v = p + 1; v < q; v++)
			if (*v == '<')
				return fail(s, v, "a '<' in the value of %.*s", shown((int)len),
				            name);
			else if (*v == '&' && !ref_end(v))
				return fail(s, v,
				            "a '&' that starts no reference in the value of %.*s",
				            shown((int)len), name);
		for (unsigned k = 0; k < n; k++)
			if (lens[k] == len && memcmp(names[k], name, len) == 0)
				return fail(s, name, "attribute %.*s given twice", shown((int)len),
				            name);
		if (n < XML_MAX_ATTRS) {
			names[n] = name;
			lens[n++] = len;
		}
		p = q + 1;
	}
}

/* Skip a DOCTYPE from p ("<!DOCTYPE"), its internal subset included: past its '>', or NULL. */
static const char *doctype_end(const char *p)
{
	bool subset = false;

	for (p += 9; *p; p++) {
		if (*p == '"' || *p == '\'') {
			if (!(p = strchr(p + 1, *p)))
				return NULL;
		} else if (*p == '[') {
			subset = true;
		} else if (*p == ']') {
			subset = false;
		} else if (*p == '>' && !subset) {
			return p + 1;
		}
	}
	return NULL;
}

/* Replace [p, end) by spaces, newlines kept. */
static void blank(char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\n')
			*p = ' ';
}

/* The markup from p ('<'), at `depth` open elements: *next past it, or false. */
static bool markup_ok(struct scan *s, char *p, const char **open, int *open_len, unsigned *depth,
                      bool *root_seen, char **next)
{
	const char *q = NULL, *name = p + 1 + (p[1] == '/');
	int len = (int)(name_end(name) - name);

	if (strncmp(p, "<!--", 4) == 0) {
		if (!(q = strstr(p + 4, "-->")))
			return fail(s, p, "a comment that is not closed");
		blank(p, q + 3);
		*next = (char *)q + 3;
	} else if (strncmp(p, "<?", 2) == 0) {
		if (!(q = strstr(p + 2, "?>")))
			return fail(s, p, "a processing instruction that is not closed");
		*next = (char *)q + 2;
	} else if (strncmp(p, "<![CDATA[", 9) == 0 && *depth > 0) {
		if (!(q = strstr(p + 9, "]]>")))
			return fail(s, p, "a CDATA section that is not closed");
		*next = (char *)q + 3;
	} else if (strncmp(p, "<!DOCTYPE", 9) == 0 && !*root_seen) {
		if (!(q = doctype_end(p)))
			return fail(s, p, "a DOCTYPE that is not closed");
		*next = (char *)q;
	} else if (len == 0) {
		return fail(s, p, "a '<' that starts no tag");
	} else if (p[1] == '/') {
		if (*depth == 0)
			return fail(s, p, "</%.*s> closes no element", shown(len), name);
		if (open_len[*depth - 1] != len || memcmp(open[*depth - 1], name, (size_t)len))
			return fail(s, p, "</%.*s> closes <%.*s>", shown(len), name,
			            shown(open_len[*depth - 1]), open[*depth - 1]);
		for (q = name + len; space(*q);)
			q++;
		if (*q != '>')
			return fail(s, p, "</%.*s> not closed by '>'", shown(len), name);
		--*depth;
		*next = (char *)q + 1;
	} else {
		if (*depth == 0 && *root_seen)
			return fail(s, p, "a second root element <%.*s>", shown(len), name);
		if (*depth == 0 && !(len == 8 && memcmp(name, "topology", 8) == 0) &&
		    !(len == 4 && memcmp(name, "root", 4) == 0))
			return fail(s, p, "the root element is <%.*s>, not <topology>", shown(len),
			            name);
		if (!attrs_ok(s, name, len, name + len, &q))
			return false;
		*root_seen = true;
		if (*q == '>') {
			if (*depth == XML_MAX_DEPTH)
				return fail(s, p, "elements nested more than %u deep",
				            XML_MAX_DEPTH);
			open[*depth] = name;
			open_len[(*depth)++] = len;
		}
		*next = (char *)q + (*q == '>' ? 1 : 2);
	}
	return true;
}

static bool document_ok(struct scan *s, char *text)
{
	const char *open[XML_MAX_DEPTH];
	int open_len[XML_MAX_DEPTH];
	unsigned depth = 0;
	bool root_seen = false;
	char *p = text, *lt;

	for (;; p = lt) {
		lt = strchr(p, '<');
		if (!text_ok(s, p, lt ? lt : p + strlen(p), depth == 0))
			return false;
		if (!lt)
			break;
		if (!markup_ok(s, lt, open, open_len, &depth, &root_seen, &lt))
			return false;
	}
	if (depth > 0)
		return fail(s, p + strlen(p), "the file ends inside <%.*s>",
		            shown(open_len[depth - 1]), open[depth - 1]);
	if (!root_seen)
		return fail(s, p + strlen(p), "no root element");
	return true;
}

int np__xml_check_syntax(const char *path, char *text, size_t *len)
{
	struct scan s = {text, NULL, ""};
	unsigned line = 1;
	char *nul = memchr(text, '\0', *len);

	if (*len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		memmove(text, text + 3, *len - 2);
		*len -= 3;
		nul = nul ? nul - 3 : NULL;
	}
	for (char *p = text; (p = memchr(p, '\r', *len - (size_t)(p - text))); p++)
		if (p[1] == '\n')
			*p = ' ';
		else
			*p = '\n';
	if (nul)
		fail(&s, nul, "a NUL byte");
	else if (document_ok(&s, text))
		return 0;
	for (const char *p = text; p < s.at; p++)
		line += *p == '\n';
	np__set_error("cannot parse '%s' line %u: not an hwloc XML topology: %s", path, line,
	              s.what);
	return -EBADMSG;
}
