/*
 * fuzz-trace.c - `numaplace simulate`'s trace lines, through the command's own sim_line() on a
 * fixed 4-node host (two close pairs, one node without CPUs). The first byte picks the
 * strategy; the rest is the trace, cut into lines as getline() does. After the trace, removing
 * every guest still placed must give back exactly the host's free memory and no vCPUs: the
 * accounting neither leaks nor invents memory, whatever the trace.
 */
#include "fuzz.h"
#include "simulate.h"

static np_host *fuzz_host(void)
{
	static np_host *host;
	static const unsigned dist[16] = {10, 16, 32, 32, 16, 10, 32, 32,
	                                  32, 32, 10, 16, 32, 32, 16, 10};
	struct np_node_spec spec[4];
	hwloc_bitmap_t cpus[4];

	if (host)
		return host;
	/* The decisions printed on stdout are not what this target checks. */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	for (unsigned i = 0; i < 4; i++) {
		cpus[i] = hwloc_bitmap_alloc();
		if (!cpus[i])
			abort();
		if (i != 3)
			hwloc_bitmap_set_range(cpus[i], (int)i * 4, (int)i * 4 + 3);
		spec[i] = (struct np_node_spec){
		    i * 2, cpus[i], (uint64_t)(i + 1) << 30, (uint64_t)(i + 1) << 29, 0, NULL};
	}
	if (np_host_build(4, spec, dist, &host) < 0)
		abort();
	for (unsigned i = 0; i < 4; i++)
		hwloc_bitmap_free(cpus[i]);
	return host;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const np_host *h = fuzz_host();
	struct np_search_opts so;
	struct sim sim;
	size_t pos = 1;
	unsigned long lineno = 0;

	if (size < 1)
		return 0;
	np_search_opts_init(&so);
	so.strategy = (enum np_strategy)(data[0] % NP_STRATEGY_COUNT_);
	if (sim_init(&sim, h, &so) < 0)
		abort();
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) + 1 : size - pos;
		char *line = malloc(len + 1);

		if (!line)
			abort();
		memcpy(line, data + pos, len);
		line[len] = '\0';
		pos += len;
		if (sim_line(&sim, line, len, ++lineno) != 0)
			pos = size;
		free(line);
	}
	while (sim.nguests > 0) {
		struct guest *g = &sim.guests[--sim.nguests];

		np_load_uncharge(sim.load, &g->claim);
		free(g->name);
		np_claim_release(&g->claim);
	}
	for (unsigned i = 0; i < np_host_nnodes(h); i++) {
		FUZZ_CHECK(np_load_free_bytes(sim.load, i) == np_host_node(h, i)->free_bytes);
		FUZZ_CHECK(np_load_vcpus(sim.load, i) == 0);
	}
	sim_release(&sim);
	return 0;
}
