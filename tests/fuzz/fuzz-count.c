/*
 * fuzz-count.c - np__count_parse(), the reader of nr_hugepages and free_hugepages: an accepted
 * text is the decimal the value prints as, give or take leading zeros and one newline.
 */
#include "fuzz.h"

#include <errno.h>
#include <inttypes.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np__parse_error err = {NULL, 0};
	uint64_t count = 99, again = 0;
	char *s = fuzz_cstring(data, size), buf[32];
	int r;

	r = np__count_parse(s, &count, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r < 0) {
		FUZZ_CHECK(count == 99 && err.what != NULL);
	} else {
		snprintf(buf, sizeof(buf), "%" PRIu64 "\n", count);
		FUZZ_CHECK(np__count_parse(buf, &again, NULL) == 0 && again == count);
	}
	free(s);
	return 0;
}
