/*
 * fuzz-synthetic.c - np_host_load() from an hwloc synthetic description. The first byte's low
 * two bits are the flags ('0'..'3'); the rest is the description.
 *
 * hwloc builds every object a description asks for: "pack:1000 core:1000 pu:1000" is a
 * billion PUs, and hwloc's synthetic loader is quadratic in them ("30303" alone, 30303 PUs of
 * unnamed levels, takes it 30 s). The library refuses descriptions past NP_HOST_MAX_PUS
 * (16384: 3 s each, too slow to fuzz), so descriptions whose numbers multiply past 4096 are
 * skipped here.
 * Every number counts but an attribute value (right after '=': "memory=64GiB"), wherever it
 * is: hwloc's reading of unbalanced parentheses is its own. This over-estimates, never
 * under-estimates.
 */
#include "fuzz.h"

#include <errno.h>

static bool too_big(const char *s)
{
	uint64_t objects = 1;

	for (const char *p = s; *p; p++) {
		uint64_t n = 0;
		bool value = p > s && p[-1] == '=';

		if (*p < '0' || *p > '9')
			continue;
		while (*p >= '0' && *p <= '9' && n < 4097)
			n = n * 10 + (uint64_t)(*p++ - '0');
		while (*p >= '0' && *p <= '9')
			p++;
		p--;
		if (!value && n > 1)
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
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENODEV || r == -E2BIG || r == -ENOMEM);
	if (r == 0)
		fuzz_check_host(h);
	else
		FUZZ_CHECK(h == NULL && *np_last_error() != '\0');
	np_host_free(h);
out:
	free(s);
	return 0;
}
