/* fuzz-distance.c - np__distance_parse(): the first byte is the node count (0..15). */
#include "fuzz.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned row[16], count;
	struct np__parse_error err = {NULL, 0};
	char *s;
	int r;

	if (size < 1)
		return 0;
	count = data[0] % 16;
	s = fuzz_cstring(data + 1, size - 1);
	for (unsigned i = 0; i < 16; i++)
		row[i] = 7777;
	r = np__distance_parse(s, count, row, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ERANGE);
	for (unsigned i = 0; i < 16; i++) {
		if (r == 0 && i < count)
			FUZZ_CHECK(row[i] >= 1 && row[i] <= 65535);
		else
			FUZZ_CHECK(row[i] == 7777);
	}
	FUZZ_CHECK(r == 0 || err.what != NULL);
	free(s);
	return 0;
}
