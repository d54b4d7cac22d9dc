/*
 * fuzz.h - what the libFuzzer targets share. Each fuzz-<name>.c defines
 * LLVMFuzzerTestOneInput(); built with -Dfuzz=enabled it links libFuzzer's main, otherwise
 * replay.c's main() feeds it the files of a corpus (the CI replay).
 *
 * A target checks the parser's contract, not only that it does not crash: the return value is
 * one of the documented ones, outputs are untouched on failure, and what it accepted is sane.
 * A broken contract aborts (FUZZ_CHECK), which both drivers report as a crash.
 */
#ifndef NUMAPLACE_FUZZ_H
#define NUMAPLACE_FUZZ_H

#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__,        \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input as a NUL-terminated string (an embedded NUL ends it early, as in a C caller). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A loaded snapshot keeps the invariants numaplace.h promises. */
static inline void fuzz_check_host(const np_host *h)
{
	unsigned n = np_host_nnodes(h), ncpus = np_host_ncpus(h);

	FUZZ_CHECK(n >= 1);
	for (unsigned i = 0; i < n; i++) {
		const struct np_node *node = np_host_node(h, i);

		FUZZ_CHECK(i == 0 || np_host_node(h, i - 1)->id < node->id);
		FUZZ_CHECK(np_host_node_idx(h, node->id) == (int)i);
		FUZZ_CHECK(hwloc_bitmap_weight(node->cpuset) == (int)node->ncpus);
		FUZZ_CHECK(node->free_bytes <= node->memory_bytes);
		FUZZ_CHECK(hwloc_bitmap_isset(np_host_nodeset(h), node->id));
		for (unsigned k = 0; k < node->nhugepages; k++)
			FUZZ_CHECK(k == 0 || node->hugepages[k - 1].size_bytes <
			                         node->hugepages[k].size_bytes);
		for (unsigned j = 0; j < n; j++)
			FUZZ_CHECK(np_host_distance(h, i, j) > 0);
	}
	for (unsigned c = 0; c < ncpus; c++) {
		const struct np_cpu *cpu = np_host_cpu(h, c);
		int idx = np_host_node_idx(h, cpu->node);

		FUZZ_CHECK(c == 0 || np_host_cpu(h, c - 1)->cpu < cpu->cpu);
		FUZZ_CHECK(idx >= 0);
		FUZZ_CHECK(hwloc_bitmap_isset(np_host_node(h, (unsigned)idx)->cpuset, cpu->cpu));
	}
	FUZZ_CHECK(hwloc_bitmap_weight(np_host_cpuset(h)) == (int)ncpus);
}

#endif /* NUMAPLACE_FUZZ_H */
