/*
 * hosts.c - the benchmark's host catalogue.
 *
 * Distances follow what firmware reports on such machines (ACPI SLIT, 10 = local):
 *   2s       2 sockets                                      10 21
 *   4snc     2 sockets, 2 sub-NUMA clusters each            10 11 (same socket) 21
 *   8s       8 sockets glueless: two fully linked quads,    10 16 (one hop) 22 (two hops)
 *            socket s also linked to s^4
 *   16snc    the 8-socket board with 2 clusters per socket  10 11, then 16 or 22 as 8s
 *   24uv     SGI UV-like: 12 blades of 2 nodes, 4 blades    10 13 (blade) 29 (chassis)
 *            per chassis, 3 chassis in a line               39, 49 (one, two chassis away)
 *   32..256  hierarchical: a node, socket pairs, boards of  10 16 (pair) 22 (board)
 *            8 nodes, racks of 32 nodes, racks in a row     30 (rack) 40 + 4 per extra rack
 */
#include "hosts.h"

#include <stdio.h>
#include <string.h>

#define GIB (UINT64_C(1) << 30)

static unsigned d_2s(const struct bench_host *h, unsigned a, unsigned b)
{
	return a == b ? 10 : 21;
}

static unsigned d_4snc(const struct bench_host *h, unsigned a, unsigned b)
{
	return a == b ? 10 : a / 2 == b / 2 ? 11 : 21;
}

static unsigned socket8(unsigned a, unsigned b)
{
	if (a == b)
		return 10;
	return (a / 4 == b / 4 || (a ^ 4) == b) ? 16 : 22;
}

static unsigned d_8s(const struct bench_host *h, unsigned a, unsigned b)
{
	return socket8(a, b);
}

static unsigned d_16snc(const struct bench_host *h, unsigned a, unsigned b)
{
	if (a == b)
		return 10;
	return a / 2 == b / 2 ? 11 : socket8(a / 2, b / 2);
}

static unsigned d_24uv(const struct bench_host *h, unsigned a, unsigned b)
{
	unsigned ca = a / 8, cb = b / 8;

	if (a == b)
		return 10;
	if (a / 2 == b / 2)
		return 13;
	if (ca == cb)
		return 29;
	return 39 + 10 * ((ca > cb ? ca - cb : cb - ca) - 1);
}

static unsigned d_hier(const struct bench_host *h, unsigned a, unsigned b)
{
	unsigned ra = a / 32, rb = b / 32;

	if (a == b)
		return 10;
	if (a / 2 == b / 2)
		return 16;
	if (a / 8 == b / 8)
		return 22;
	if (ra == rb)
		return 30;
	return 40 + 4 * ((ra > rb ? ra - rb : rb - ra) - 1);
}

const struct bench_host bench_hosts[] = {
    {"2s", "2-socket server", 2, 48, 384 * GIB, d_2s},
    {"4snc", "2 sockets x 2 sub-NUMA clusters", 4, 24, 192 * GIB, d_4snc},
    {"8s", "8-socket glueless", 8, 48, 384 * GIB, d_8s},
    {"16snc", "8 sockets x 2 sub-NUMA clusters", 16, 24, 192 * GIB, d_16snc},
    {"24uv", "SGI UV-like, 12 blades x 2 nodes", 24, 16, 64 * GIB, d_24uv},
    {"32", "hierarchical, 1 rack", 32, 16, 64 * GIB, d_hier},
    {"64", "hierarchical, 2 racks", 64, 16, 64 * GIB, d_hier},
    {"128", "hierarchical, 4 racks", 128, 16, 64 * GIB, d_hier},
    {"256", "hierarchical, 8 racks", 256, 16, 64 * GIB, d_hier},
};
const unsigned bench_nhosts = sizeof(bench_hosts) / sizeof(bench_hosts[0]);

const struct bench_host *bench_host_find(const char *name)
{
	for (unsigned i = 0; i < bench_nhosts; i++)
		if (strcmp(bench_hosts[i].name, name) == 0)
			return &bench_hosts[i];
	return NULL;
}

void bench_host_distinct(const struct bench_host *h, char *buf, unsigned len)
{
	unsigned seen[64], nseen = 0, pos = 0;

	buf[0] = '\0';
	for (unsigned a = 0; a < h->nnodes; a++)
		for (unsigned b = 0; b < h->nnodes; b++) {
			unsigned d = h->distance(h, a, b), k = 0;

			while (k < nseen && seen[k] != d)
				k++;
			if (k == nseen && nseen < 64)
				seen[nseen++] = d;
		}
	/* Insertion sort: a handful of values. */
	for (unsigned i = 1; i < nseen; i++)
		for (unsigned j = i; j > 0 && seen[j - 1] > seen[j]; j--) {
			unsigned t = seen[j];

			seen[j] = seen[j - 1];
			seen[j - 1] = t;
		}
	for (unsigned i = 0; i < nseen && pos < len; i++) {
		int w = snprintf(buf + pos, len - pos, i ? " %u" : "%u", seen[i]);

		if (w < 0)
			break;
		pos += (unsigned)w;
	}
}
