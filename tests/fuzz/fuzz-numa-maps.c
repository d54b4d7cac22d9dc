/*
 * fuzz-numa-maps.c - np__numa_maps_parse(), the reader of /proc/PID/numa_maps: the result is
 * one entry per node, sorted, and a failure hands out nothing.
 */
#include "fuzz.h"
#include "proc.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_node_bytes *nodes = NULL;
	char *s = fuzz_cstring(data, size);
	int r;

	r = np__numa_maps_parse(s, &nodes);
	FUZZ_CHECK(r >= 0 || r == -EBADMSG || r == -ERANGE || r == -ENOMEM);
	if (r < 0) {
		FUZZ_CHECK(nodes == NULL);
	} else {
		FUZZ_CHECK(r == 0 || nodes != NULL);
		for (int i = 0; i < r; i++) {
			FUZZ_CHECK(nodes[i].node <= NP__MAX_NODE_ID);
			FUZZ_CHECK(i == 0 || nodes[i - 1].node < nodes[i].node);
		}
	}
	free(nodes);
	free(s);
	return 0;
}
