/*
 * test-render.c - the picture of `info --svg / --png` (src/cli/render.c), read back: the PNG's
 * size, the colours of every heat-map cell, of the memory and claims bars and of the boxes at
 * the places the layout gives, the node labels compared with the same text drawn apart, and
 * in the SVG one box per node and one cell per pair of nodes.
 */
#include "render.h"

#include <cairo.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define GIB (1ull << 30)

/* The sparse fixture: nodes 0, 1, 4, 5 of 4 GiB (3, 2, 1 and 4 GiB free), distances 10/12/20. */
static np_host *sparse(void)
{
	char root[PATH_MAX];
	struct np_source src = {NP_SOURCE_SYSFS, root, 0};
	np_host *h = NULL;

	snprintf(root, sizeof(root), "%s/sysfs/sparse", FIXTURES);
	assert_int_equal(np_host_load(&src, &h), 0);
	assert_int_equal(np_host_nnodes(h), 4);
	return h;
}

/* web holds 1 GiB on node 0 and 1 GiB on node 4; db 2 GiB on node 4. */
static const struct cli_render_claim claims[] = {
    {"web", 0, GIB},
    {"web", 4, GIB},
    {"db", 4, 2 * GIB},
};

struct picture {
	np_host *h;
	struct cli_render_layout L;
	cairo_surface_t *png;
	unsigned char *data;
	int stride;
};

static void picture_make(struct picture *p, const struct cli_render_claim *c, unsigned nc)
{
	char path[] = "/tmp/np-render-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "wb");

	assert_non_null(f);
	p->h = sparse();
	assert_int_equal(cli_render_layout(p->h, c, nc, &p->L), 0);
	assert_int_equal(cli_render(p->h, "sparse", c, nc, CLI_RENDER_PNG, f), 0);
	assert_int_equal(fclose(f), 0);
	p->png = cairo_image_surface_create_from_png(path);
	unlink(path);
	assert_int_equal(cairo_surface_status(p->png), CAIRO_STATUS_SUCCESS);
	cairo_surface_flush(p->png);
	p->data = cairo_image_surface_get_data(p->png);
	p->stride = cairo_image_surface_get_stride(p->png);
}

static void picture_free(struct picture *p)
{
	cairo_surface_destroy(p->png);
	cli_render_layout_release(&p->L);
	np_host_free(p->h);
}

/* The pixel at (x, y) is `rgb`, give or take rounding to 8 bits. */
static void assert_pixel(const struct picture *p, double x, double y, const double rgb[3],
                         const char *what)
{
	const uint32_t *row = (const uint32_t *)(p->data + (int)y * p->stride);
	uint32_t px = row[(int)x];
	int got[3] = {(int)(px >> 16) & 0xff, (int)(px >> 8) & 0xff, (int)px & 0xff};

	for (unsigned k = 0; k < 3; k++)
		if (abs(got[k] - (int)lround(rgb[k] * 255)) > 2)
			fail_msg("%s: pixel (%d, %d) is #%02x%02x%02x, expected #%02x%02x%02x",
			         what, (int)x, (int)y, got[0], got[1], got[2],
			         (int)lround(rgb[0] * 255), (int)lround(rgb[1] * 255),
			         (int)lround(rgb[2] * 255));
}

static void test_size_and_heat_map(void **state)
{
	struct picture p;
	unsigned n;

	(void)state;
	picture_make(&p, NULL, 0);
	n = np_host_nnodes(p.h);
	assert_int_equal(cairo_image_surface_get_width(p.png), (int)p.L.width);
	assert_int_equal(cairo_image_surface_get_height(p.png), (int)p.L.height);
	/* four boxes in one row, the heat map below them */
	assert_int_equal(p.L.cols, 4);
	assert_true(p.L.width >= 4 * 236);
	assert_true(p.L.map_y > p.L.boxes[0].y + p.L.boxes[0].h);
	assert_true(p.L.cell >= 22);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			double rgb[3];
			char what[64];

			/* a corner of the cell: the number is written in its middle */
			cli_render_heat_colour(np_host_distance(p.h, i, j), 10, 20, rgb);
			snprintf(what, sizeof(what), "heat map cell %u,%u", i, j);
			assert_pixel(&p, p.L.map_x + j * p.L.cell + 3, p.L.map_y + i * p.L.cell + 3,
			             rgb, what);
		}
	picture_free(&p);
}

/* Memory bars: used (grey) for the part that is not free, free (green) for the rest. */
static void test_memory_bars(void **state)
{
	static const double free_gib[4] = {3, 2, 1, 4};
	struct picture p;

	(void)state;
	picture_make(&p, NULL, 0);
	for (unsigned i = 0; i < 4; i++) {
		const struct cli_render_rect *b = &p.L.boxes[i], *m = &p.L.mem_bar;
		double used = 1 - free_gib[i] / 4, y = b->y + m->y + m->h / 2;

		if (used > 0)
			assert_pixel(&p, b->x + m->x + m->w * used / 2, y, cli_render_used_rgb,
			             "used part");
		assert_pixel(&p, b->x + m->x + m->w * (used + 1) / 2, y, cli_render_free_rgb,
		             "free part");
		/* the box's right margin, beside the text lines: the box's own colour */
		assert_pixel(&p, b->x + b->w - 5, b->y + 50, cli_render_box_rgb, "box");
	}
	assert_int_equal(p.L.claims_bar.w, 0); /* nobody claims: no claims bar */
	picture_free(&p);
}

/* Claims bars: one colour per workload (web first named: rank 0), largest first, to scale. */
static void test_claims_bars(void **state)
{
	static const double white[3] = {1, 1, 1};
	double web[3], db[3];
	struct picture p;
	const struct cli_render_rect *c;

	(void)state;
	picture_make(&p, claims, 3);
	cli_render_workload_colour(0, web);
	cli_render_workload_colour(1, db);
	c = &p.L.claims_bar;
	assert_true(c->w > 0);
	assert_int_equal(p.L.claim_lines, 2);
#define AT(i, f) p.L.boxes[i].x + c->x + c->w *(f), p.L.boxes[i].y + c->y + c->h / 2
	/* node 0: web 1 of 4 GiB */
	assert_pixel(&p, AT(0, 0.125), web, "node 0: web");
	assert_pixel(&p, AT(0, 0.6), white, "node 0: unclaimed");
	/* node 1: nothing */
	assert_pixel(&p, AT(1, 0.1), white, "node 1: unclaimed");
	/* node 4: db 2 GiB then web 1 GiB */
	assert_pixel(&p, AT(2, 0.25), db, "node 4: db");
	assert_pixel(&p, AT(2, 0.625), web, "node 4: web");
	assert_pixel(&p, AT(2, 0.9), white, "node 4: unclaimed");
#undef AT
	picture_free(&p);
}

/*
 * Pixels of the picture in `r` that differ from `text` drawn alone at (x, y) in the same font
 * on the box's colour.
 */
static unsigned differences(const struct picture *p, const struct cli_render_rect *r, double x,
                            double y, double size, bool bold, const char *text)
{
	cairo_surface_t *s =
	    cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)p->L.width, (int)p->L.height);
	cairo_t *cr = cairo_create(s);
	const unsigned char *d;
	unsigned diff = 0;
	int stride;

	cairo_set_source_rgb(cr, cli_render_box_rgb[0], cli_render_box_rgb[1],
	                     cli_render_box_rgb[2]);
	cairo_paint(cr);
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_set_source_rgb(cr, 0.13, 0.16, 0.22);
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, text);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	d = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	for (int yy = (int)r->y; yy < (int)(r->y + r->h); yy++)
		for (int xx = (int)r->x; xx < (int)(r->x + r->w); xx++) {
			uint32_t a = ((const uint32_t *)(p->data + yy * p->stride))[xx] & 0xffffff;
			uint32_t b = ((const uint32_t *)(d + yy * stride))[xx] & 0xffffff;

			diff += a != b;
		}
	cairo_surface_destroy(s);
	return diff;
}

/* Every box is titled with its own node id: the ink matches "node N" and no other id. */
static void test_labels(void **state)
{
	static const char *const names[4] = {"node 0", "node 1", "node 4", "node 5"};
	struct picture p;

	(void)state;
	picture_make(&p, claims, 3);
	for (unsigned i = 0; i < 4; i++) {
		const struct cli_render_rect *b = &p.L.boxes[i];
		struct cli_render_rect title = {b->x + 8, b->y + 5, 90, 22};
		unsigned same = differences(&p, &title, b->x + 12, b->y + 22, 15, true, names[i]);
		unsigned other =
		    differences(&p, &title, b->x + 12, b->y + 22, 15, true, names[(i + 1) % 4]);

		if (same != 0 || other < 10)
			fail_msg("box %u: %u pixels differ from '%s', %u from '%s'", i, same,
			         names[i], other, names[(i + 1) % 4]);
	}
	picture_free(&p);
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *q = s; (q = strstr(q, needle)); q++)
		n++;
	return n;
}

/* The SVG: its size, one filled path per box and per heat-map cell, and glyphs drawn. */
static void test_svg(void **state)
{
	struct cli_render_layout L;
	char *buf = NULL, want[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	np_host *h = sparse();

	(void)state;
	assert_int_equal(cli_render_layout(h, claims, 3, &L), 0);
	assert_int_equal(cli_render(h, "sparse", claims, 3, CLI_RENDER_SVG, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "<svg"));
	snprintf(want, sizeof(want), "width=\"%gpt\" height=\"%gpt\"", L.width, L.height);
	assert_non_null(strstr(buf, want));
	/* the boxes' fill, once per node */
	assert_int_equal(count(buf, "fill:rgb(96%,97%,98.5%)"), 4);
	/* heat-map cells: distance 10 four times, 20 eight times (12: four, a mixed colour) */
	assert_int_equal(count(buf, "fill:rgb(100%,96%,90%)"), 4);
	assert_int_equal(count(buf, "fill:rgb(45%,13%,3%)"), 8); /* the scale is a gradient */
	/* text is drawn as glyphs: at least the letters of four "node N" titles */
	assert_true(count(buf, "<use xlink:href=\"#glyph") >= 4 * 5);
	free(buf);
	cli_render_layout_release(&L);
	np_host_free(h);
}

/* A stream that fails: its errno, not a half-written success. */
static void test_write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	np_host *h = sparse();

	(void)state;
	if (!f) {
		np_host_free(h);
		skip();
	}
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(cli_render(h, "sparse", NULL, 0, CLI_RENDER_PNG, f), -ENOSPC);
	fclose(f);
	np_host_free(h);
}

int main(void)
{
	int r;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_and_heat_map),
	    cmocka_unit_test(test_memory_bars),
	    cmocka_unit_test(test_claims_bars),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_svg),
	    cmocka_unit_test(test_write_error),
	};

	if (cli_render_cairo_error()) {
		printf("SKIP: cannot open cairo: %s\n", cli_render_cairo_error());
		return 77;
	}
	r = cmocka_run_group_tests(tests, NULL, NULL);
	cli_render_cleanup(); /* the fonts of differences() too */
	return r;
}
