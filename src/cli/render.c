/*
 * render.c - the picture of `numaplace info --svg / --png`, drawn with cairo.
 *
 * Top: a title and the host's totals. Then one box per node, in rows of at most eight:
 *   node 2                     8 CPUs
 *   CPUs 16-23
 *   32 GiB, 30 GiB free
 *   [used######|free..................]   memory bar: used grey, free green
 *   [web###|db#####        ]              claims bar, one colour per workload (to scale
 *   # db   1 GiB                          with the node's memory), and the largest claims
 *   # web  512 MiB                        named, when the ledger holds any
 * Below: the distance matrix as a heat map (light: near, dark: far) with node ids along both
 * edges and a scale beside it. Every position comes from cli_render_layout(), which the tests
 * use to read pixels back at known places.
 */
#include "render.h"
#include "cli.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * cairo is opened when a picture is asked for, not linked: numaplace(1) is on the launch path
 * of every workload (`run`), and libcairo brings about twenty more libraries (pixman, fontconfig,
 * freetype, libpng, X11...) whose loading at every start would cost more than the placement
 * (docs/ledger.md, "Launch cost"). The functions below are the only ones this file calls.
 */
/* clang-format off */
#define CAIRO_FUNCTIONS(X) \
	X(cairo_arc) \
	X(cairo_close_path) \
	X(cairo_create) \
	X(cairo_debug_reset_static_data) \
	X(cairo_destroy) \
	X(cairo_fill) \
	X(cairo_fill_preserve) \
	X(cairo_image_surface_create) \
	X(cairo_move_to) \
	X(cairo_new_sub_path) \
	X(cairo_paint) \
	X(cairo_pattern_add_color_stop_rgb) \
	X(cairo_pattern_create_linear) \
	X(cairo_pattern_destroy) \
	X(cairo_rectangle) \
	X(cairo_select_font_face) \
	X(cairo_set_dash) \
	X(cairo_set_font_size) \
	X(cairo_set_line_width) \
	X(cairo_set_source) \
	X(cairo_set_source_rgb) \
	X(cairo_show_text) \
	X(cairo_status) \
	X(cairo_stroke) \
	X(cairo_surface_destroy) \
	X(cairo_surface_finish) \
	X(cairo_surface_status) \
	X(cairo_surface_write_to_png_stream) \
	X(cairo_svg_surface_create_for_stream) \
	X(cairo_text_extents)
/* clang-format on */

#define MEMBER(f) __typeof__(f) *f;
static struct {
	CAIRO_FUNCTIONS(MEMBER)
} cx;
#undef MEMBER
static const char *cx_error;  /* why cairo could not be opened; NULL when it was */
static void (*fc_fini)(void); /* fontconfig's FcFini(), found through cairo; may be NULL */

static void cx_open(void)
{
	void *lib = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		cx_error = dlerror();
		return;
	}
#define RESOLVE(f)                                                                                 \
	if (!(*(void **)&cx.f = dlsym(lib, #f))) {                                                 \
		cx_error = "libcairo.so.2 lacks " #f;                                              \
		return;                                                                            \
	}
	CAIRO_FUNCTIONS(RESOLVE)
#undef RESOLVE
	*(void **)&fc_fini = dlsym(lib, "FcFini");
}

void cli_render_cleanup(void)
{
	/*
	 * The toy font API's patterns, which cairo and fontconfig keep where LeakSanitizer and
	 * memcheck see them as lost; both initialise themselves again at the next use.
	 */
	if (cli_render_cairo_error())
		return;
	cx.cairo_debug_reset_static_data();
	if (fc_fini)
		fc_fini();
}

const char *cli_render_cairo_error(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, cx_open);
	return cx_error;
}

/* From here on every cairo call goes through the table. */
#define CALL(f) (cx.f)
#define cairo_arc CALL(cairo_arc)
#define cairo_close_path CALL(cairo_close_path)
#define cairo_create CALL(cairo_create)
#define cairo_debug_reset_static_data CALL(cairo_debug_reset_static_data)
#define cairo_destroy CALL(cairo_destroy)
#define cairo_fill CALL(cairo_fill)
#define cairo_fill_preserve CALL(cairo_fill_preserve)
#define cairo_image_surface_create CALL(cairo_image_surface_create)
#define cairo_move_to CALL(cairo_move_to)
#define cairo_new_sub_path CALL(cairo_new_sub_path)
#define cairo_paint CALL(cairo_paint)
#define cairo_pattern_add_color_stop_rgb CALL(cairo_pattern_add_color_stop_rgb)
#define cairo_pattern_create_linear CALL(cairo_pattern_create_linear)
#define cairo_pattern_destroy CALL(cairo_pattern_destroy)
#define cairo_rectangle CALL(cairo_rectangle)
#define cairo_select_font_face CALL(cairo_select_font_face)
#define cairo_set_dash CALL(cairo_set_dash)
#define cairo_set_font_size CALL(cairo_set_font_size)
#define cairo_set_line_width CALL(cairo_set_line_width)
#define cairo_set_source CALL(cairo_set_source)
#define cairo_set_source_rgb CALL(cairo_set_source_rgb)
#define cairo_show_text CALL(cairo_show_text)
#define cairo_status CALL(cairo_status)
#define cairo_stroke CALL(cairo_stroke)
#define cairo_surface_destroy CALL(cairo_surface_destroy)
#define cairo_surface_finish CALL(cairo_surface_finish)
#define cairo_surface_status CALL(cairo_surface_status)
#define cairo_surface_write_to_png_stream CALL(cairo_surface_write_to_png_stream)
#define cairo_svg_surface_create_for_stream CALL(cairo_svg_surface_create_for_stream)
#define cairo_text_extents CALL(cairo_text_extents)

#define MARGIN 20.0
#define BOX_W 236.0
#define GAP 14.0
#define GRID_Y (MARGIN + 56.0)
#define MAX_COLS 8u
#define MAX_CLAIM_LINES 4u
#define LINE 16.0
#define MAP_PIXELS 360.0 /* the heat map's side, before rounding to whole cells */

const double cli_render_used_rgb[3] = {0.62, 0.66, 0.72};
const double cli_render_free_rgb[3] = {0.55, 0.80, 0.53};
const double cli_render_box_rgb[3] = {0.96, 0.97, 0.985};
static const double ink[3] = {0.13, 0.16, 0.22}, grey[3] = {0.42, 0.46, 0.52},
                    border[3] = {0.36, 0.42, 0.50}, white[3] = {1, 1, 1};

void cli_render_heat_colour(unsigned d, unsigned dmin, unsigned dmax, double ret_rgb[3])
{
	/* three stops: cream (local), orange, dark brown (farthest) */
	static const double stops[3][3] = {
	    {1.0, 0.96, 0.90}, {0.98, 0.55, 0.24}, {0.45, 0.13, 0.03}};
	double t = dmax > dmin ? ((double)d - dmin) / (double)(dmax - dmin) : 0.0;
	unsigned s = t < 0.5 ? 0 : 1;
	double u = t < 0.5 ? t * 2 : (t - 0.5) * 2;

	if (t < 0)
		u = 0, s = 0;
	if (t > 1)
		u = 1, s = 1;
	for (unsigned k = 0; k < 3; k++)
		ret_rgb[k] = stops[s][k] + (stops[s + 1][k] - stops[s][k]) * u;
}

void cli_render_workload_colour(unsigned rank, double ret_rgb[3])
{
	/* Tableau's ten: apart from each other and from the memory bar's grey and green */
	static const unsigned palette[10] = {0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0xb07aa1,
	                                     0xedc948, 0x9c755f, 0xff9da7, 0x17becf, 0x8c564b};
	unsigned c = palette[rank % 10];

	ret_rgb[0] = ((c >> 16) & 0xff) / 255.0;
	ret_rgb[1] = ((c >> 8) & 0xff) / 255.0;
	ret_rgb[2] = (c & 0xff) / 255.0;
}

/* Claims on node `id`, and how many lines of a box name them. */
static unsigned claims_on(const struct cli_render_claim *c, unsigned nc, unsigned id)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nc; i++)
		k += c[i].node == id && c[i].bytes > 0;
	return k;
}

static unsigned distance_range(const np_host *h, unsigned *ret_min)
{
	unsigned n = np_host_nnodes(h), lo = UINT32_MAX, hi = 0;

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			unsigned d = np_host_distance(h, i, j);

			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
	*ret_min = lo;
	return hi;
}

int cli_render_layout(const np_host *h, const struct cli_render_claim *c, unsigned nc,
                      struct cli_render_layout *ret_layout)
{
	struct cli_render_layout L = {0};
	unsigned n = np_host_nnodes(h), rows, most = 0;
	double box_h, grid_w, map_side;
	char widest[16];

	for (unsigned i = 0; i < n; i++) {
		unsigned k = claims_on(c, nc, np_host_node(h, i)->id);

		most = k > most ? k : most;
	}
	L.claim_lines = most < MAX_CLAIM_LINES ? most : MAX_CLAIM_LINES;
	L.mem_bar = (struct cli_render_rect){12, 70, BOX_W - 24, 14};
	box_h = 98;
	if (most) {
		L.claims_bar = (struct cli_render_rect){12, 92, BOX_W - 24, 10};
		box_h = 110 + L.claim_lines * LINE + 6;
	}
	/* up to four in a row; eight from 17 nodes on, so that big hosts stay wider than tall */
	L.cols = n <= 4 ? n : n <= 16 ? 4 : MAX_COLS;
	rows = (n + L.cols - 1) / L.cols;
	L.boxes = calloc(n, sizeof(*L.boxes));
	if (!L.boxes)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		L.boxes[i] =
		    (struct cli_render_rect){MARGIN + (i % L.cols) * (BOX_W + GAP),
		                             GRID_Y + (i / L.cols) * (box_h + GAP), BOX_W, box_h};
	grid_w = L.cols * BOX_W + (L.cols - 1) * GAP;
	L.cell = floor(MAP_PIXELS / n);
	L.cell = L.cell > 40 ? 40 : L.cell < 4 ? 4 : L.cell;
	/* a header label is about 6.5 px a digit at 10 px: name every Nth node so they fit */
	snprintf(widest, sizeof(widest), "%u", np_host_node(h, n - 1)->id);
	L.label_every = (unsigned)ceil((strlen(widest) * 6.5 + 6) / L.cell);
	L.map_x = MARGIN + 12 + strlen(widest) * 6.5;
	L.map_y = GRID_Y + rows * (box_h + GAP) + 30 + 22;
	map_side = n * L.cell;
	L.width = 2 * MARGIN + grid_w;
	if (L.map_x + map_side + 24 + 14 + 120 + MARGIN > L.width)
		L.width = L.map_x + map_side + 24 + 14 + 120 + MARGIN;
	L.height = L.map_y + (map_side > 80 ? map_side : 80) + 20 + MARGIN;
	L.width = L.width < 640 ? 640 : ceil(L.width);
	L.height = ceil(L.height);
	*ret_layout = L;
	return 0;
}

void cli_render_layout_release(struct cli_render_layout *layout)
{
	free(layout->boxes);
	layout->boxes = NULL;
}

/* ---- drawing ------------------------------------------------------------------------------ */

static void colour(cairo_t *cr, const double rgb[3])
{
	cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
}

static void font(cairo_t *cr, double size, bool bold)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

/*
 * Show `s` with its left edge at x (align 0), centre (0.5) or right edge (1), cut with an
 * ellipsis to `maxw` (0: no limit).
 */
static void text(cairo_t *cr, double x, double y, double align, double maxw, const char *s)
{
	char buf[256];
	size_t len = strlen(s);

	snprintf(buf, sizeof(buf), "%s", s);
	while (maxw > 0 && len > 1 && text_width(cr, buf) > maxw) {
		len--;
		snprintf(buf, sizeof(buf), "%.*s\u2026", (int)len, s);
	}
	cairo_move_to(cr, x - align * text_width(cr, buf), y);
	cairo_show_text(cr, buf);
}

static void rounded(cairo_t *cr, const struct cli_render_rect *r, double rad)
{
	cairo_new_sub_path(cr);
	cairo_arc(cr, r->x + r->w - rad, r->y + rad, rad, -M_PI / 2, 0);
	cairo_arc(cr, r->x + r->w - rad, r->y + r->h - rad, rad, 0, M_PI / 2);
	cairo_arc(cr, r->x + rad, r->y + r->h - rad, rad, M_PI / 2, M_PI);
	cairo_arc(cr, r->x + rad, r->y + rad, rad, M_PI, 3 * M_PI / 2);
	cairo_close_path(cr);
}

static void bar(cairo_t *cr, double x, double y, double w, double h, const double rgb[3])
{
	if (w <= 0)
		return;
	cairo_rectangle(cr, x, y, w, h);
	colour(cr, rgb);
	cairo_fill(cr);
}

/* Rank of claim i's workload: the order its name first appears in c[]. */
static unsigned workload_rank(const struct cli_render_claim *c, unsigned i)
{
	unsigned rank = 0;

	for (unsigned j = 0; j < i; j++) {
		bool first = true;

		for (unsigned k = 0; k < j; k++)
			if (strcmp(c[k].name, c[j].name) == 0)
				first = false;
		if (first && strcmp(c[j].name, c[i].name) != 0)
			rank++;
		else if (strcmp(c[j].name, c[i].name) == 0)
			return rank;
	}
	return rank;
}

struct draw_ctx {
	cairo_t *cr;
	const np_host *h;
	const struct cli_render_claim *c;
	unsigned nc;
	const struct cli_render_layout *L;
};

/* The claims bar and the lines naming the largest claims of node index i (on[k], largest first). */
static void draw_claims(const struct draw_ctx *d, unsigned i, const unsigned *on, unsigned k)
{
	const struct np_node *nd = np_host_node(d->h, i);
	const struct cli_render_rect *b = &d->L->boxes[i], *cb = &d->L->claims_bar;
	unsigned lines = k <= d->L->claim_lines ? k : d->L->claim_lines - 1;
	cairo_t *cr = d->cr;
	uint64_t sum = 0, scale;
	double x = b->x + cb->x, rgb[3];
	char more[64];

	for (unsigned j = 0; j < k; j++)
		sum += d->c[on[j]].bytes;
	/* to scale with the node's memory; claims given by hand may exceed it */
	scale = sum > nd->memory_bytes ? sum : nd->memory_bytes;
	bar(cr, b->x + cb->x, b->y + cb->y, cb->w, cb->h, white);
	for (unsigned j = 0; j < k && scale; j++) {
		double w = cb->w * (double)d->c[on[j]].bytes / (double)scale;

		cli_render_workload_colour(workload_rank(d->c, on[j]), rgb);
		bar(cr, x, b->y + cb->y, w, cb->h, rgb);
		x += w;
	}
	font(cr, 11, false);
	for (unsigned j = 0; j < lines; j++) {
		const struct cli_render_claim *cl = &d->c[on[j]];
		double y = b->y + 110 + j * LINE;
		char size[32];

		cli_render_workload_colour(workload_rank(d->c, on[j]), rgb);
		bar(cr, b->x + 12, y, 9, 9, rgb);
		colour(cr, ink);
		np_size_format(cl->bytes, size, sizeof(size));
		text(cr, b->x + b->w - 12, y + 9, 1, 0, size);
		text(cr, b->x + 26, y + 9, 0, b->w - 50 - text_width(cr, size), cl->name);
	}
	if (lines < k) {
		colour(cr, grey);
		snprintf(more, sizeof(more), "+%u more", k - lines);
		text(cr, b->x + 26, b->y + 110 + lines * LINE + 9, 0, 0, more);
	}
}

/* Indexes of the claims on node `id`, largest first. Returns the count; *ret NULL for none. */
static int claims_sorted(const struct draw_ctx *d, unsigned id, unsigned **ret)
{
	unsigned k = 0, *on = NULL;

	*ret = NULL;
	if (!claims_on(d->c, d->nc, id))
		return 0;
	on = calloc(d->nc, sizeof(*on));
	if (!on)
		return -ENOMEM;
	for (unsigned i = 0; i < d->nc; i++) {
		unsigned j = k++;

		if (d->c[i].node != id || !d->c[i].bytes) {
			k--;
			continue;
		}
		for (; j > 0 && d->c[on[j - 1]].bytes < d->c[i].bytes; j--)
			on[j] = on[j - 1];
		on[j] = i;
	}
	*ret = on;
	return (int)k;
}

static void draw_memory_bar(const struct draw_ctx *d, unsigned i)
{
	const struct np_node *nd = np_host_node(d->h, i);
	const struct cli_render_rect *b = &d->L->boxes[i], *mb = &d->L->mem_bar;
	double used;
	cairo_t *cr = d->cr;

	if (!nd->memory_bytes) {
		struct cli_render_rect r = {b->x + mb->x, b->y + mb->y, mb->w, mb->h};

		rounded(cr, &r, 2);
		cairo_set_dash(cr, (const double[]){3, 2}, 2, 0);
		colour(cr, border);
		cairo_set_line_width(cr, 1);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
		return;
	}
	used = mb->w * (double)(nd->memory_bytes - nd->free_bytes) / (double)nd->memory_bytes;
	bar(cr, b->x + mb->x, b->y + mb->y, used, mb->h, cli_render_used_rgb);
	bar(cr, b->x + mb->x + used, b->y + mb->y, mb->w - used, mb->h, cli_render_free_rgb);
}

static int draw_node(const struct draw_ctx *d, unsigned i)
{
	const struct np_node *nd = np_host_node(d->h, i);
	const struct cli_render_rect *b = &d->L->boxes[i];
	char line[160], a[32], f[32], *cpus = cli_list_string(nd->cpuset);
	unsigned *on = NULL;
	cairo_t *cr = d->cr;
	int k;

	if (!cpus)
		return -ENOMEM;
	rounded(cr, b, 6);
	colour(cr, cli_render_box_rgb);
	cairo_fill_preserve(cr);
	colour(cr, border);
	cairo_set_line_width(cr, 1.2);
	cairo_stroke(cr);
	colour(cr, ink);
	font(cr, 15, true);
	snprintf(line, sizeof(line), "node %u", nd->id);
	text(cr, b->x + 12, b->y + 22, 0, 0, line);
	font(cr, 12, false);
	colour(cr, grey);
	snprintf(line, sizeof(line), "%u CPU%s", nd->ncpus, nd->ncpus == 1 ? "" : "s");
	text(cr, b->x + b->w - 12, b->y + 22, 1, 0, line);
	colour(cr, ink);
	snprintf(line, sizeof(line), *cpus ? "CPUs %s" : "no CPUs: memory only", cpus);
	text(cr, b->x + 12, b->y + 42, 0, b->w - 24, line);
	if (nd->memory_bytes)
		snprintf(line, sizeof(line), "%s, %s free",
		         np_size_format(nd->memory_bytes, a, sizeof(a)),
		         np_size_format(nd->free_bytes, f, sizeof(f)));
	else
		snprintf(line, sizeof(line), "no memory: CPUs only");
	text(cr, b->x + 12, b->y + 60, 0, b->w - 24, line);
	draw_memory_bar(d, i);
	free(cpus);
	k = claims_sorted(d, nd->id, &on);
	if (k < 0)
		return k;
	if (d->L->claims_bar.w > 0)
		draw_claims(d, i, on, (unsigned)k);
	free(on);
	return 0;
}

/* Node ids along the top and the left of the heat map, every label_every-th one. */
static void draw_headers(const struct draw_ctx *d)
{
	const struct cli_render_layout *L = d->L;
	unsigned n = np_host_nnodes(d->h);
	cairo_t *cr = d->cr;
	char id[16];

	font(cr, 10, false);
	colour(cr, grey);
	for (unsigned i = 0; i < n; i += L->label_every) {
		snprintf(id, sizeof(id), "%u", np_host_node(d->h, i)->id);
		text(cr, L->map_x + (i + 0.5) * L->cell, L->map_y - 5, 0.5, 0, id);
		text(cr, L->map_x - 6, L->map_y + (i + 0.5) * L->cell + 3.5, 1, 0, id);
	}
}

/* The scale beside the heat map: nearest at the top, farthest at the bottom. */
static void draw_scale(const struct draw_ctx *d, unsigned lo, unsigned hi)
{
	const struct cli_render_layout *L = d->L;
	unsigned n = np_host_nnodes(d->h);
	double x = L->map_x + n * L->cell + 24, side = n * L->cell > 80 ? n * L->cell : 80;
	cairo_pattern_t *p = cairo_pattern_create_linear(0, L->map_y, 0, L->map_y + side);
	char s[48];

	for (unsigned k = 0; k <= 8; k++) {
		double rgb[3];

		cli_render_heat_colour(lo * 8 + (hi - lo) * k, lo * 8, hi * 8, rgb);
		cairo_pattern_add_color_stop_rgb(p, k / 8.0, rgb[0], rgb[1], rgb[2]);
	}
	cairo_rectangle(d->cr, x, L->map_y, 14, side);
	cairo_set_source(d->cr, p);
	cairo_fill(d->cr);
	cairo_pattern_destroy(p);
	font(d->cr, 11, false);
	colour(d->cr, ink);
	snprintf(s, sizeof(s), "%u nearest", lo);
	text(d->cr, x + 20, L->map_y + 9, 0, 0, s);
	snprintf(s, sizeof(s), "%u farthest", hi);
	text(d->cr, x + 20, L->map_y + side, 0, 0, s);
}

static void draw_heat_map(const struct draw_ctx *d)
{
	const struct cli_render_layout *L = d->L;
	unsigned n = np_host_nnodes(d->h), lo, hi = distance_range(d->h, &lo);
	cairo_t *cr = d->cr;
	char s[96];

	colour(cr, ink);
	font(cr, 14, true);
	text(cr, MARGIN, L->map_y - 26, 0, 0, "distances");
	font(cr, 11, false);
	colour(cr, grey);
	text(cr, MARGIN + 80, L->map_y - 26, 0, 0,
	     np_host_distances_assumed(d->h) ? "(none given by the firmware: 10 local, 20 remote "
	                                       "assumed)"
	                                     : "(the firmware's, 10 = local)");
	draw_headers(d);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			unsigned v = np_host_distance(d->h, i, j);
			double rgb[3], x = L->map_x + j * L->cell, y = L->map_y + i * L->cell;

			cli_render_heat_colour(v, lo, hi, rgb);
			/* white lines between cells large enough to keep them */
			bar(cr, x, y, L->cell - (L->cell >= 16), L->cell - (L->cell >= 16), rgb);
			if (L->cell < 22)
				continue;
			snprintf(s, sizeof(s), "%u", v);
			font(cr, 11, false);
			cairo_set_source_rgb(cr, rgb[1] < 0.5 ? 1 : ink[0],
			                     rgb[1] < 0.5 ? 1 : ink[1], rgb[1] < 0.5 ? 1 : ink[2]);
			text(cr, x + L->cell / 2, y + L->cell / 2 + 4, 0.5, 0, s);
		}
	if (hi > lo)
		draw_scale(d, lo, hi);
}

/* What the memory bar's colours mean, at the end of the totals' line. */
static void draw_key(const struct draw_ctx *d, double x, double y)
{
	font(d->cr, 11, false);
	bar(d->cr, x, y, 10, 10, cli_render_used_rgb);
	colour(d->cr, grey);
	text(d->cr, x + 14, y + 9, 0, 0, "used");
	bar(d->cr, x + 56, y, 10, 10, cli_render_free_rgb);
	colour(d->cr, grey);
	text(d->cr, x + 70, y + 9, 0, 0, "free");
}

static void draw_title(const struct draw_ctx *d, const char *title)
{
	unsigned n = np_host_nnodes(d->h);
	uint64_t mem = 0, fr = 0;
	char line[160], a[32], b[32];

	for (unsigned i = 0; i < n; i++) {
		mem += np_host_node(d->h, i)->memory_bytes;
		fr += np_host_node(d->h, i)->free_bytes;
	}
	colour(d->cr, ink);
	font(d->cr, 18, true);
	text(d->cr, MARGIN, MARGIN + 18, 0, d->L->width - 2 * MARGIN, title);
	snprintf(line, sizeof(line), "%u node%s, %u CPUs, %s memory, %s free%s", n,
	         n == 1 ? "" : "s", np_host_ncpus(d->h), np_size_format(mem, a, sizeof(a)),
	         np_size_format(fr, b, sizeof(b)), d->nc ? "; claims from the ledger" : "");
	font(d->cr, 12, false);
	colour(d->cr, grey);
	text(d->cr, MARGIN, MARGIN + 38, 0, d->L->width - 2 * MARGIN - 130, line);
	draw_key(d, d->L->width - MARGIN - 120, MARGIN + 29);
}

struct sink {
	FILE *f;
	int err; /* the first write's errno */
};

static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int length)
{
	struct sink *k = closure;

	if (fwrite(data, 1, length, k->f) == length)
		return CAIRO_STATUS_SUCCESS;
	if (!k->err)
		k->err = errno ? errno : EIO;
	return CAIRO_STATUS_WRITE_ERROR;
}

static int draw_all(cairo_surface_t *sf, const struct draw_ctx *base, const char *title)
{
	struct draw_ctx d = *base;
	int r = 0;

	d.cr = cairo_create(sf);
	colour(d.cr, white);
	cairo_paint(d.cr);
	draw_title(&d, title);
	for (unsigned i = 0; i < np_host_nnodes(d.h) && r == 0; i++)
		r = draw_node(&d, i);
	if (r == 0)
		draw_heat_map(&d);
	if (r == 0 && cairo_status(d.cr) != CAIRO_STATUS_SUCCESS)
		r = cairo_status(d.cr) == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
	cairo_destroy(d.cr);
	return r;
}

int cli_render(const np_host *h, const char *title, const struct cli_render_claim *c, unsigned nc,
               enum cli_render_format format, FILE *out)
{
	struct cli_render_layout L;
	struct draw_ctx d = {NULL, h, c, nc, &L};
	struct sink k = {out, 0};
	cairo_surface_t *sf;
	int r;

	if (cli_render_cairo_error())
		return -ENOSYS;
	r = cli_render_layout(h, c, nc, &L);
	if (r < 0)
		return r;
	if (format == CLI_RENDER_SVG)
		sf = cairo_svg_surface_create_for_stream(write_out, &k, L.width, L.height);
	else
		sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)L.width, (int)L.height);
	r = cairo_surface_status(sf) == CAIRO_STATUS_SUCCESS ? draw_all(sf, &d, title) : -ENOMEM;
	if (r == 0 && format == CLI_RENDER_PNG &&
	    cairo_surface_write_to_png_stream(sf, write_out, &k) != CAIRO_STATUS_SUCCESS)
		r = -EIO;
	cairo_surface_finish(sf);
	if (r == 0 && cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS)
		r = -EIO;
	cairo_surface_destroy(sf);
	cli_render_layout_release(&L);
	cli_render_cleanup();
	return r == -EIO && k.err ? -k.err : r;
}
