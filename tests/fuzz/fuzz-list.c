/*
 * fuzz-list.c - np_list_parse() and np__kernel_list_parse(). The first byte picks the bound
 * and the parser; the rest is the list. An accepted list stays within the bound and reads back
 * from hwloc's own list format to the same set; a rejected one leaves the set untouched.
 */
#include "fuzz.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned bounds[] = {0, 1, 7, 63, 64, 1023, NP__MAX_NODE_ID, NP__MAX_CPU_ID};
	hwloc_bitmap_t set = NULL, again = NULL;
	struct np__parse_error err = {NULL, 0};
	unsigned max_id;
	bool kernel;
	char *s = NULL, *text = NULL;
	int r;

	if (size < 1)
		return 0;
	max_id = bounds[data[0] % 8];
	kernel = data[0] & 8;
	s = fuzz_cstring(data + 1, size - 1);
	set = hwloc_bitmap_alloc();
	again = hwloc_bitmap_alloc();
	if (!set || !again)
		abort();
	hwloc_bitmap_set(set, 5);
	if (kernel) {
		r = np__kernel_list_parse(s, max_id, set, &err);
		FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ERANGE);
		FUZZ_CHECK((r == 0) == (err.what == NULL));
	} else {
		r = np_list_parse(s, max_id, set);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	}
	if (r < 0) {
		FUZZ_CHECK(hwloc_bitmap_weight(set) == 1 && hwloc_bitmap_isset(set, 5));
		goto out;
	}
	FUZZ_CHECK(hwloc_bitmap_last(set) <= (int)max_id);
	if (hwloc_bitmap_iszero(set)) {
		FUZZ_CHECK(kernel);
		goto out;
	}
	if (hwloc_bitmap_list_asprintf(&text, set) < 0)
		abort();
	FUZZ_CHECK(np_list_parse(text, max_id, again) == 0);
	FUZZ_CHECK(hwloc_bitmap_isequal(set, again));
out:
	free(text);
	hwloc_bitmap_free(again);
	hwloc_bitmap_free(set);
	free(s);
	return 0;
}
