/*
 * fuzz-meminfo.c - np__meminfo_parse() on a node's meminfo (first byte: node 0..2) or on
 * /proc/meminfo (first byte: -1).
 */
#include "fuzz.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np__meminfo info = {1, 2, 3, true, true};
	struct np__parse_error err = {NULL, 0};
	char *s;
	int node, r;

	if (size < 1)
		return 0;
	node = (int)(data[0] % 4) - 1;
	s = fuzz_cstring(data + 1, size - 1);
	r = np__meminfo_parse(s, node, &info, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r < 0) {
		FUZZ_CHECK(err.what != NULL);
		FUZZ_CHECK(info.total == 1 && info.free == 2 && info.inactive_file == 3 &&
		           info.has_free && info.has_inactive_file);
	} else {
		FUZZ_CHECK(info.total % 1024 == 0 && info.free % 1024 == 0);
		FUZZ_CHECK(info.has_inactive_file || info.inactive_file == 0);
		FUZZ_CHECK(info.has_free || info.free == 0);
	}
	free(s);
	return 0;
}
