/*
 * fuzz-synthetic.c - np_host_load() from an hwloc synthetic description. The first byte's low
 * two bits are the flags ('0'..'3'); the rest is the description.
 *
 * hwloc builds every object a description asks for: "pack:1000 core:1000 pu:1000" is a
 * billion PUs, out of any fuzzer's memory limit. Descriptions whose level counts multiply past
 * 4096 are skipped (counting every "NAME:COUNT" as a level is an over-estimate, never an
 * under-estimate).
 */
#include "fuzz.h"

#include <errno.h>

static bool too_big(const char *s)
{
	uint64_t objects = 1;

	for (const char *p = s; *p; p++) {
		uint64_t n = 0;

		if (*p != ':')
			continue;
		while (p[1] >= '0' && p[1] <= '9' && n < 4097)
			n = n * 10 + (uint64_t)(*++p - '0');
		if (n > 1)
			objects *= n;
		if (objects > 4096)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_source src = {NP_SOURCE_SYNTHETIC, NULL, 0};
	np_host *h = NULL;
	char *s;
	int r;

	if (size < 1)
		return 0;
	s = fuzz_cstring(data + 1, size - 1);
	if (too_big(s))
		goto out;
	src.arg = s;
	src.flags = data[0] & 3;
	r = np_host_load(&src, &h);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENODEV || r == -ENOMEM);
	if (r == 0)
		fuzz_check_host(h);
	else
		FUZZ_CHECK(h == NULL && *np_host_last_error() != '\0');
	np_host_free(h);
out:
	free(s);
	return 0;
}
