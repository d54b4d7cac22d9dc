/*
 * test-xml.c - np__xml_check_syntax(), the check of an XML topology before hwloc reads it, and
 * np_host_load() on XML that each of hwloc's parsers reads differently: meson runs this once
 * with the minimal parser and once with libxml2's (tests/xml-backend.sh), with the same
 * expectations.
 */
#include "internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* A minimal topology around `inside` (objects and other markup inside <topology>). */
#define HEAD                                                                                       \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"
#define TOPO(inside) HEAD "<topology version=\"2.0\">\n" inside "</topology>\n"

/* np__xml_check_syntax() on a copy of text: its result, and its message when it fails. */
static int check(const char *text, size_t len, char *ret_text, size_t *ret_len)
{
	char *copy = malloc(len + 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	copy[len] = '\0';
	r = np__xml_check_syntax("t.xml", copy, &len);
	if (ret_text) {
		memcpy(ret_text, copy, len + 1);
		*ret_len = len;
	}
	free(copy);
	return r;
}

static void assert_refused(const char *text, const char *message)
{
	int r = check(text, strlen(text), NULL, NULL);

	if (r != -EBADMSG)
		fail_msg("accepted: %s", text);
	if (strcmp(np_last_error(), message) != 0)
		fail_msg("error \"%s\", expected \"%s\"", np_last_error(), message);
}

static void assert_accepted(const char *text)
{
	if (check(text, strlen(text), NULL, NULL) != 0)
		fail_msg("refused (%s): %s", np_last_error(), text);
}

static void test_refused(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
	    {"", "line 1: not an hwloc XML topology: no root element"},
	    {HEAD, "line 3: not an hwloc XML topology: no root element"},
	    {HEAD "<topology version=\"2.0\">\n<object type=\"Machine\"",
	     "line 4: not an hwloc XML topology: the file ends inside the tag <object>"},
	    {HEAD "<topology>\n<object type=\"Machine\" os_index=\"0",
	     "line 4: not an hwloc XML topology: the file ends inside the tag <object>"},
	    {HEAD "<topology>\n<object type=\"Machine\">\n",
	     "line 5: not an hwloc XML topology: the file ends inside <object>"},
	    {TOPO("<object type=\"Machine\">\n</objekt>\n"),
	     "line 5: not an hwloc XML topology: </objekt> closes <object>"},
	    {TOPO("</object>\n"), "line 4: not an hwloc XML topology: </object> closes <topology>"},
	    {TOPO("<info name=\"a\" name=\"b\"/>\n"),
	     "line 4: not an hwloc XML topology: attribute name given twice"},
	    {TOPO("<info name=\"a\"value=\"b\"/>\n"),
	     "line 4: not an hwloc XML topology: no space before an attribute of <info>"},
	    {TOPO("<info name=a/>\n"),
	     "line 4: not an hwloc XML topology: an attribute of <info> without a quoted value"},
	    {TOPO("<info name/>\n"),
	     "line 4: not an hwloc XML topology: an attribute of <info> without a name and '='"},
	    {TOPO("<info name=\"a<b\"/>\n"),
	     "line 4: not an hwloc XML topology: a '<' in the value of name"},
	    {TOPO("<info name=\"a & b\"/>\n"),
	     "line 4: not an hwloc XML topology: a '&' that starts no reference in the value of "
	     "name"},
	    {TOPO("<info name=\"&#x;\"/>\n"),
	     "line 4: not an hwloc XML topology: a '&' that starts no reference in the value of "
	     "name"},
	    {TOPO("<u64values>1 & 2</u64values>\n"),
	     "line 4: not an hwloc XML topology: a '&' that starts no reference (write &amp;)"},
	    {TOPO("< info/>\n"), "line 4: not an hwloc XML topology: a '<' that starts no tag"},
	    {TOPO("<!-- open\n"),
	     "line 4: not an hwloc XML topology: a comment that is not closed"},
	    {TOPO("") "garbage\n",
	     "line 5: not an hwloc XML topology: text outside the root element"},
	    {TOPO("") "<topology/>\n",
	     "line 5: not an hwloc XML topology: a second root element <topology>"},
	    {HEAD "<playlist/>\n",
	     "line 3: not an hwloc XML topology: the root element is <playlist>, not <topology>"},
	    {HEAD "<Topology/>\n",
	     "line 3: not an hwloc XML topology: the root element is <Topology>, not <topology>"},
	    {HEAD "<topologydiff/>\n",
	     "line 3: not an hwloc XML topology: the root element is <topologydiff>, not "
	     "<topology>"},
	    {"<!DOCTYPE topology [ <!ENTITY a \"]>\">\n", "line 1: not an hwloc XML topology: a "
	                                                  "DOCTYPE that is not closed"},
	    /* CR alone is a line end, as in XML */
	    {HEAD "<topology>\r<object\r", "line 4: not an hwloc XML topology: the file ends "
	                                   "inside the tag <object>"},
	};
	char expected[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(expected, sizeof(expected), "cannot parse 't.xml' %s", cases[i].message);
		assert_refused(cases[i].text, expected);
	}
}

/* 256 levels are read; one more is refused (libxml2's limit; hwloc recurses per level). */
static void test_depth(void **state)
{
	size_t cap = 300 * 16 + 256;
	char *text = malloc(cap);
	size_t len;

	(void)state;
	assert_non_null(text);
	for (unsigned depth = 256; depth <= 257; depth++) {
		len = (size_t)snprintf(text, cap, "<topology>");
		for (unsigned i = 1; i < depth; i++)
			len += (size_t)snprintf(text + len, cap - len, "<g>");
		for (unsigned i = 1; i < depth; i++)
			len += (size_t)snprintf(text + len, cap - len, "</g>");
		len += (size_t)snprintf(text + len, cap - len, "</topology>");
		if (depth == 256)
			assert_int_equal(check(text, len, NULL, NULL), 0);
		else
			assert_refused(text,
			               "cannot parse 't.xml' line 1: not an hwloc XML topology: "
			               "elements nested more than 256 deep");
	}
	free(text);
}

static void test_nul(void **state)
{
	static const char text[] = TOPO("<info name=\"a\"/>\n\0<x>\n");

	(void)state;
	assert_int_equal(check(text, sizeof(text) - 1, NULL, NULL), -EBADMSG);
	assert_string_equal(np_last_error(),
	                    "cannot parse 't.xml' line 5: not an hwloc XML topology: a NUL byte");
}

/* What XML allows beyond what hwloc writes; the minimal parser only reads it normalised. */
static void test_accepted(void **state)
{
	static const char *const cases[] = {
	    "<topology/>",
	    "<root/>",
	    "<?xml version='1.0'?><topology version='2.0' ></topology >",
	    TOPO("<info name = \"a\" value = 'b \"c\"' />\n"),
	    TOPO("<info name=\"&amp;&lt;&gt;&quot;&apos;&#65;&#x41;\"/>\n"),
	    TOPO("<u64values length=\"2\">10 &amp; 20</u64values>\n"),
	    TOPO("<![CDATA[ <object> & ]]>\n"),
	    TOPO("<?pi <object> ?>\n"),
	    "<!DOCTYPE topology [ <!ENTITY a \"]>\"> ]>\n<topology/>\n<!-- after -->\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_accepted(cases[i]);
}

static void test_normalised(void **state)
{
	static const char text[] = "\xef\xbb\xbf<topology>\r\n<!-- a\r\nb -->\r<x/>\r\n</topology>";
	static const char normal[] = "<topology> \n       \n     \n<x/> \n</topology>";
	char out[sizeof(text)];
	size_t len;

	(void)state;
	assert_int_equal(check(text, sizeof(text) - 1, out, &len), 0);
	assert_int_equal(len, sizeof(normal) - 1);
	assert_string_equal(out, normal);
}

/*
 * Through np_host_load(), with whichever parser this run has: a topology in the form another
 * program may give it (byte-order mark, CRLF line ends, comments inside) reads as the plain
 * one; broken files give the same message from either parser.
 */
static void test_load(void **state)
{
	char path[512];
	np_host *a = NULL, *b = NULL;
	struct np_source src = {NP_SOURCE_XML, path, 0};

	(void)state;
	snprintf(path, sizeof(path), "%s/xml/synthetic-2n.xml", FIXTURES);
	assert_int_equal(np_host_load(&src, &a), 0);
	snprintf(path, sizeof(path), "%s/xml/synthetic-2n-crlf.xml", FIXTURES);
	if (np_host_load(&src, &b) != 0)
		fail_msg("%s", np_last_error());
	assert_int_equal(np_host_nnodes(a), np_host_nnodes(b));
	assert_int_equal(np_host_ncpus(a), np_host_ncpus(b));
	for (unsigned i = 0; i < np_host_nnodes(a); i++) {
		assert_int_equal(np_host_node(a, i)->memory_bytes,
		                 np_host_node(b, i)->memory_bytes);
		assert_true(
		    hwloc_bitmap_isequal(np_host_node(a, i)->cpuset, np_host_node(b, i)->cpuset));
	}
	np_host_free(a);
	np_host_free(b);

	b = (np_host *)0x1;
	snprintf(path, sizeof(path), "%s/bad/malformed.xml", FIXTURES);
	assert_int_equal(np_host_load(&src, &b), -EBADMSG);
	assert_ptr_equal(b, (np_host *)0x1);
	assert_non_null(strstr(np_last_error(), "/bad/malformed.xml' line 9: not an hwloc XML "
	                                        "topology: the file ends inside the tag "
	                                        "<object>"));
	snprintf(path, sizeof(path), "%s/bad/duplicate-attribute.xml", FIXTURES);
	assert_int_equal(np_host_load(&src, &b), -EBADMSG);
	assert_non_null(strstr(np_last_error(), "/bad/duplicate-attribute.xml' line 10: not an "
	                                        "hwloc XML topology: attribute gp_index given "
	                                        "twice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused),    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_nul),        cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_normalised), cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
