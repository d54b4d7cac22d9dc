/*
 * fuzz-numastat.c - np__numastat_parse(), the reader of nodeN/numastat: an accepted text prints
 * back (the six counters, the kernel's order) as a text that parses to the same counters.
 */
#include "fuzz.h"

#include <errno.h>
#include <inttypes.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np__parse_error err = {NULL, 0};
	struct np_numastat s = {.node = 99}, again;
	char *text = fuzz_cstring(data, size), buf[256];
	int r;

	r = np__numastat_parse(text, 3, &s, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r < 0) {
		FUZZ_CHECK(s.node == 99 && err.what != NULL);
	} else {
		FUZZ_CHECK(s.node == 3);
		snprintf(buf, sizeof(buf),
		         "numa_hit %" PRIu64 "\nnuma_miss %" PRIu64 "\nnuma_foreign %" PRIu64
		         "\ninterleave_hit %" PRIu64 "\nlocal_node %" PRIu64 "\nother_node %" PRIu64
		         "\n",
		         s.numa_hit, s.numa_miss, s.numa_foreign, s.interleave_hit, s.local_node,
		         s.other_node);
		FUZZ_CHECK(np__numastat_parse(buf, 3, &again, NULL) == 0);
		FUZZ_CHECK(again.numa_hit == s.numa_hit && again.numa_miss == s.numa_miss &&
		           again.numa_foreign == s.numa_foreign &&
		           again.interleave_hit == s.interleave_hit &&
		           again.local_node == s.local_node && again.other_node == s.other_node);
	}
	free(text);
	return 0;
}
