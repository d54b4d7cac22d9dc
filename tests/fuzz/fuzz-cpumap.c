/*
 * fuzz-cpumap.c - np__cpumap_parse(): an accepted mask stays below NP__MAX_CPU_ID and prints
 * back (hwloc's "0x..." form, words stripped of the kernel's commas) to the same set.
 */
#include "fuzz.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc(), again = hwloc_bitmap_alloc();
	struct np__parse_error err = {NULL, 0};
	char *s = fuzz_cstring(data, size), *text = NULL;
	int r;

	if (!set || !again)
		abort();
	hwloc_bitmap_set(set, 3);
	r = np__cpumap_parse(s, set, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r < 0) {
		FUZZ_CHECK(err.what != NULL);
		FUZZ_CHECK(hwloc_bitmap_weight(set) == 1 && hwloc_bitmap_isset(set, 3));
		goto out;
	}
	FUZZ_CHECK(hwloc_bitmap_last(set) <= (int)NP__MAX_CPU_ID);
	if (hwloc_bitmap_taskset_asprintf(&text, set) < 0)
		abort();
	FUZZ_CHECK(hwloc_bitmap_taskset_sscanf(again, text) == 0);
	FUZZ_CHECK(hwloc_bitmap_isequal(set, again));
out:
	free(text);
	hwloc_bitmap_free(again);
	hwloc_bitmap_free(set);
	free(s);
	return 0;
}
