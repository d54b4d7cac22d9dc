/*
 * rebalance.h - what test-rebalance and test-rebalance-group share: a host of two nodes, 0 and
 * 1, 4 CPUs and 16 GiB each (setup/teardown), a load on it and the parameters of a pass at NOW.
 */
#ifndef NUMAPLACE_TEST_REBALANCE_H
#define NUMAPLACE_TEST_REBALANCE_H

#include "numaplace.h"

#include <stdint.h>

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define NOW 1000000

extern np_host *host;

/* Build / free `host`: the group setup and teardown of both tests. */
int setup(void **state);
int teardown(void **state);
/* A load on `host` with free0 and free1 free on nodes 0 and 1. Fails the test on error. */
np_load *load_with(uint64_t free0, uint64_t free1);
/* The default parameters, the pass at NOW. */
struct np_rebalance_params params(void);

#endif /* NUMAPLACE_TEST_REBALANCE_H */
