/*
 * fuzz-size.c - np_size_parse() and np_size_format(): what is accepted is a byte count whose
 * formatted text reads back to within the formatter's rounding (a tenth of the unit).
 */
#include "fuzz.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	uint64_t bytes = 12345, again = 0;
	char buf[32];
	int r;

	r = np_size_parse(s, &bytes);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r < 0) {
		FUZZ_CHECK(bytes == 12345);
		goto out;
	}
	np_size_format(bytes, buf, sizeof(buf));
	r = np_size_parse(buf, &again);
	/* UINT64_MAX and its neighbours print as "16 EiB", one byte past what parses. */
	FUZZ_CHECK(r == 0 || (r == -ERANGE && bytes > UINT64_MAX - (UINT64_MAX >> 5)));
	if (r == 0)
		FUZZ_CHECK((again > bytes ? again - bytes : bytes - again) <= bytes / 20 + 1);
out:
	free(s);
	return 0;
}
