/*
 * load.c - placeholder accessors of np_load until the load accounting lands (np_load_charge()
 * and np_load_release() come with it).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int np_load_new(const np_host *host, np_load **ret_load)
{
	np_load *l = calloc(1, sizeof(*l));
	unsigned n = host->nnodes;

	if (!l)
		return -ENOMEM;
	l->host = host;
	l->free = calloc(n, sizeof(*l->free));
	l->vcpus = calloc(n, sizeof(*l->vcpus));
	if (!l->free || !l->vcpus) {
		np_load_free(l);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		l->free[i] = host->nodes[i].free_bytes;
	*ret_load = l;
	return 0;
}

void np_load_free(np_load *load)
{
	if (!load)
		return;
	free(load->free);
	free(load->vcpus);
	free(load);
}

uint64_t np_load_free_bytes(const np_load *load, unsigned idx)
{
	return idx < load->host->nnodes ? load->free[idx] : 0;
}

uint64_t np_load_vcpus(const np_load *load, unsigned idx)
{
	return idx < load->host->nnodes ? load->vcpus[idx] : 0;
}

int np_load_set_free(np_load *load, unsigned idx, uint64_t bytes)
{
	if (idx >= load->host->nnodes)
		return -ERANGE;
	load->free[idx] = bytes;
	return 0;
}

int np_load_add_vcpus(np_load *load, unsigned idx, uint64_t vcpus)
{
	if (idx >= load->host->nnodes)
		return -ERANGE;
	load->vcpus[idx] += vcpus;
	return 0;
}
