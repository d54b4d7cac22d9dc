/*
 * fuzz-cpu-stat.c - np__cpu_stat_parse(), the reader of /proc/stat the daemon samples: one
 * entry per CPU, sorted, busy within total; a failure hands out nothing.
 */
#include "fuzz.h"
#include "proc.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_cpu_time *times = NULL;
	char *s = fuzz_cstring(data, size);
	int r;

	r = np__cpu_stat_parse(s, &times);
	FUZZ_CHECK(r >= 0 || r == -EBADMSG || r == -ERANGE || r == -ENOMEM);
	if (r < 0) {
		FUZZ_CHECK(times == NULL);
	} else {
		for (int i = 0; i < r; i++) {
			FUZZ_CHECK(times[i].busy <= times[i].total);
			FUZZ_CHECK(i == 0 || times[i - 1].cpu < times[i].cpu);
		}
	}
	free(times);
	free(s);
	return 0;
}
