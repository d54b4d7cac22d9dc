/*
 * fuzz-proc-stat.c - np__proc_stat_parse(), the reader of /proc/PID/stat: any comm (spaces,
 * parentheses, newlines), fields 4 to 22 checked, the rest ignored.
 */
#include "fuzz.h"
#include "proc.h"

#include <ctype.h>
#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np__proc_stat st = {
	    .pid = -7, .state = '?', .ppid = -7, .flags = 7, .start_time = 7};
	char *s = fuzz_cstring(data, size);
	int r;

	r = np__proc_stat_parse(s, &st);
	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	if (r < 0) {
		FUZZ_CHECK(st.pid == -7 && st.state == '?' && st.ppid == -7 && st.flags == 7 &&
		           st.start_time == 7);
	} else {
		FUZZ_CHECK(st.pid > 0 && st.ppid >= 0);
		FUZZ_CHECK(isalpha((unsigned char)st.state));
	}
	free(s);
	return 0;
}
