/* rebalance.c - the host, load and parameters test-rebalance and test-rebalance-group share
 * (rebalance.h). */
#include "rebalance.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

np_host *host;

/* Two nodes, 0 and 1, 4 CPUs and 16 GiB each; free memory is set per test in the load. */
int setup(void **state)
{
	hwloc_bitmap_t c0 = hwloc_bitmap_alloc(), c1 = hwloc_bitmap_alloc();
	struct np_node_spec n[2] = {
	    {.id = 0, .cpus = c0, .memory_bytes = 16 * GiB, .free_bytes = 16 * GiB},
	    {.id = 1, .cpus = c1, .memory_bytes = 16 * GiB, .free_bytes = 16 * GiB},
	};
	int r;

	(void)state;
	hwloc_bitmap_set_range(c0, 0, 3);
	hwloc_bitmap_set_range(c1, 4, 7);
	r = np_host_build(2, n, NULL, &host);
	hwloc_bitmap_free(c0);
	hwloc_bitmap_free(c1);
	return r;
}

int teardown(void **state)
{
	(void)state;
	np_host_free(host);
	return 0;
}

np_load *load_with(uint64_t free0, uint64_t free1)
{
	np_load *l = NULL;

	assert_int_equal(np_load_new(host, &l), 0);
	assert_int_equal(np_load_set_free(l, 0, free0), 0);
	assert_int_equal(np_load_set_free(l, 1, free1), 0);
	return l;
}

struct np_rebalance_params params(void)
{
	struct np_rebalance_params p;

	np_rebalance_params_init(&p);
	p.now = NOW;
	return p;
}
