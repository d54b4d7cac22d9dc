/*
 * hosts.h - the host builder test-strategies and test-near share: nodes 0..n-1 with
 * consecutive CPUs, memory = free, built with np_host_build().
 */
#ifndef NUMAPLACE_TEST_HOSTS_H
#define NUMAPLACE_TEST_HOSTS_H

#include "numaplace.h"

#include <stdint.h>

struct hn {
	unsigned ncpus;
	uint64_t free; /* = memory */
};

/* The host of `nodes`; dist (n x n, row-major) may be NULL (10/20). Fails the test on error. */
np_host *host_make(unsigned n, const struct hn *nodes, const unsigned *dist);

#endif /* NUMAPLACE_TEST_HOSTS_H */
