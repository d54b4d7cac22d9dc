/* hosts.c - the host builder test-strategies and test-near share (hosts.h). */
#include "hosts.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

np_host *host_make(unsigned n, const struct hn *nodes, const unsigned *dist)
{
	struct np_node_spec *spec = calloc(n, sizeof(*spec));
	hwloc_bitmap_t *cpus = calloc(n, sizeof(*cpus));
	np_host *h = NULL;
	unsigned cpu = 0;

	assert_non_null(spec);
	assert_non_null(cpus);
	for (unsigned i = 0; i < n; i++) {
		cpus[i] = hwloc_bitmap_alloc();
		if (nodes[i].ncpus)
			hwloc_bitmap_set_range(cpus[i], (int)cpu, (int)(cpu + nodes[i].ncpus - 1));
		cpu += nodes[i].ncpus;
		spec[i].id = i;
		spec[i].cpus = cpus[i];
		spec[i].memory_bytes = nodes[i].free;
		spec[i].free_bytes = nodes[i].free;
	}
	assert_int_equal(np_host_build(n, spec, dist, &h), 0);
	for (unsigned i = 0; i < n; i++)
		hwloc_bitmap_free(cpus[i]);
	free(cpus);
	free(spec);
	return h;
}
