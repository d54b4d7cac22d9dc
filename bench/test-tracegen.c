/*
 * test-tracegen.c - the trace generator is reproducible (same seed, same bytes, here and on
 * any other machine) and its traces are well formed.
 */
#include "hosts.h"
#include "tracegen.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GIB (UINT64_C(1) << 30)

/* The whole trace as JSON lines, in a heap buffer. */
static char *render(const struct tg_params *p, size_t *ret_len)
{
	struct tg_trace t = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(tg_generate(p, &t), 0);
	assert_int_equal(tg_write_jsonl(&t, f), 0);
	assert_int_equal(fclose(f), 0);
	tg_trace_release(&t);
	*ret_len = len;
	return buf;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static struct tg_params params_4snc(uint64_t seed)
{
	const struct bench_host *h = bench_host_find("4snc");

	assert_non_null(h);
	return (struct tg_params){.seed = seed,
	                          .nnodes = h->nnodes,
	                          .node_cpus = h->node_cpus,
	                          .node_memory = h->node_memory};
}

static void test_same_seed_same_bytes(void **state)
{
	struct tg_params p = params_4snc(7);
	size_t la, lb;
	char *a = render(&p, &la), *b = render(&p, &lb);

	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
}

static void test_other_seed_other_bytes(void **state)
{
	struct tg_params p = params_4snc(7), q = params_4snc(8);
	size_t la, lb;
	char *a = render(&p, &la), *b = render(&q, &lb);

	assert_true(la != lb || memcmp(a, b, la) != 0);
	free(a);
	free(b);
}

/*
 * The published benchmark traces must not change silently: seed 1 on the 4snc host gives these
 * first lines and this checksum on every machine (integer arithmetic only).
 */
static void test_golden(void **state)
{
	struct tg_params p = params_4snc(1);
	size_t len;
	char *s = render(&p, &len);
	const char *first =
	    "{\"op\":\"place\",\"name\":\"g1\",\"memory\":3758096384,\"vcpus\":2}\n"
	    "{\"op\":\"remove\",\"name\":\"g1\"}\n"
	    "{\"op\":\"place\",\"name\":\"g2\",\"memory\":3221225472,\"vcpus\":2}\n"
	    "{\"op\":\"place\",\"name\":\"g3\",\"memory\":494726545408,\"vcpus\":51}\n";

	assert_int_equal(tg_default_events(&p), 230);
	assert_true(len > strlen(first));
	assert_memory_equal(s, first, strlen(first));
	assert_int_equal(fnv1a(s, len), UINT64_C(0xa5c064c901b3aeaa));
	free(s);
}

/* Removals name live guests, ids come in order, sizes stay within the mix's bounds. */
static void test_well_formed(void **state)
{
	const struct bench_host *bh = bench_host_find("24uv");
	struct tg_params p = {.seed = 3,
	                      .nnodes = bh->nnodes,
	                      .node_cpus = bh->node_cpus,
	                      .node_memory = bh->node_memory};
	struct tg_trace t = {0};
	unsigned char *live;
	unsigned next = 1, kinds[TG_KIND_COUNT_] = {0}, removes = 0;

	assert_int_equal(tg_generate(&p, &t), 0);
	assert_int_equal(t.n, tg_default_events(&p));
	live = calloc(t.n + 2, 1);
	assert_non_null(live);
	for (size_t i = 0; i < t.n; i++) {
		const struct tg_event *e = &t.ev[i];

		if (!e->place) {
			assert_true(e->id < next);
			assert_int_equal(live[e->id], 1);
			live[e->id] = 0;
			removes++;
			continue;
		}
		assert_int_equal(e->id, next);
		next++;
		live[e->id] = 1;
		kinds[e->kind]++;
		assert_true(e->vcpus >= 1);
		assert_true(e->memory >= (UINT64_C(256) << 20));
		assert_int_equal(e->memory % (UINT64_C(256) << 20), 0);
		if (e->kind == TG_MULTI)
			assert_true(e->memory > bh->node_memory);
		else
			assert_true(e->memory <= bh->node_memory);
	}
	for (unsigned k = 0; k < TG_KIND_COUNT_; k++)
		assert_true(kinds[k] > 0);
	assert_true(removes > 0);
	free(live);
	tg_trace_release(&t);
}

static void test_arrivals_only_and_bad_params(void **state)
{
	struct tg_params p = params_4snc(5);
	struct tg_trace t = {0};

	p.arrivals_only = 1;
	p.events = 50;
	assert_int_equal(tg_generate(&p, &t), 0);
	assert_int_equal(t.n, 50);
	for (size_t i = 0; i < t.n; i++) {
		assert_int_equal(t.ev[i].place, 1);
		assert_int_equal(t.ev[i].id, i + 1);
	}
	tg_trace_release(&t);

	p.nnodes = 0;
	assert_int_equal(tg_generate(&p, &t), -EINVAL);
	p = params_4snc(5);
	p.node_memory = GIB - 1;
	assert_int_equal(tg_generate(&p, &t), -EINVAL);
	p = params_4snc(5);
	p.fill_pct = 101;
	assert_int_equal(tg_generate(&p, &t), -EINVAL);
	assert_null(t.ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_seed_same_bytes),
	    cmocka_unit_test(test_other_seed_other_bytes),
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_well_formed),
	    cmocka_unit_test(test_arrivals_only_and_bad_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
