/*
 * render.h - a picture of a host for `numaplace info --svg FILE / --png FILE`: a box per node
 * (CPUs, memory, free memory, the ledger's claims per workload) and the distance matrix as a
 * heat map, drawn with cairo.
 */
#ifndef NUMAPLACE_RENDER_H
#define NUMAPLACE_RENDER_H

#include "numaplace.h"

#include <stdint.h>
#include <stdio.h>

enum cli_render_format {
	CLI_RENDER_SVG,
	CLI_RENDER_PNG,
};

/* Memory a workload claims on one node. */
struct cli_render_claim {
	const char *name; /* the workload; claims of one workload share a colour */
	unsigned node;    /* kernel node id */
	uint64_t bytes;
};

struct cli_render_rect {
	double x, y, w, h;
};

/*
 * Where everything is, in pixels (points in SVG) from the top left corner. A node's memory
 * bar and claims bar lie at the same offsets in every box; the claims bar and the lines
 * naming the claims are there only when some node has a claim.
 */
struct cli_render_layout {
	double width, height;
	unsigned cols;                     /* boxes per row */
	struct cli_render_rect *boxes;     /* per node index */
	struct cli_render_rect mem_bar;    /* relative to a box */
	struct cli_render_rect claims_bar; /* relative to a box; w = 0 when nobody claims */
	unsigned claim_lines;              /* lines of claims per box */
	double map_x, map_y, cell;         /* the heat map's top left corner and cell size */
	unsigned label_every;              /* the heat map's headers name every Nth node */
};

/* Lay out `h` with claims c[nc]. Returns 0 or -ENOMEM; cli_render_layout_release() frees it. */
int cli_render_layout(const np_host *h, const struct cli_render_claim *c, unsigned nc,
                      struct cli_render_layout *ret_layout);
void cli_render_layout_release(struct cli_render_layout *layout);

/* Colours (red, green, blue in 0..1) the picture uses, for tests that read it back. */
void cli_render_heat_colour(unsigned d, unsigned dmin, unsigned dmax, double ret_rgb[3]);
/* The colour of the workload first named at position `rank` among the claims' names. */
void cli_render_workload_colour(unsigned rank, double ret_rgb[3]);
extern const double cli_render_used_rgb[3], cli_render_free_rgb[3], cli_render_box_rgb[3];

/*
 * NULL when cairo (libcairo.so.2, opened at the first call) is there to draw with, else why
 * not (dlerror()'s text).
 */
const char *cli_render_cairo_error(void);
/*
 * Free what cairo keeps between pictures (font caches). cli_render() calls it; a caller that
 * drew with cairo itself calls it when done. No cairo object may be alive then.
 */
void cli_render_cleanup(void);

/*
 * Draw `h` titled `title` with claims c[nc] (NULL, 0: none) as `format` to `out`.
 * Returns 0, -ENOSYS (no cairo: cli_render_cairo_error()), -ENOMEM, the stream's -errno
 * (-ENOSPC...), or -EIO when cairo failed.
 */
int cli_render(const np_host *h, const char *title, const struct cli_render_claim *c, unsigned nc,
               enum cli_render_format format, FILE *out);

/*
 * `info --svg FILE` / `--png FILE` (cmd-info-draw.c): draw `h`, loaded from `ho`, to `path`
 * ("-": standard output). On this host (no source given) the live workloads of the ledger of
 * `state_dir` (see cli_ledger_open(); never created) are drawn with their claims. Prints the
 * error; returns 0 or EXIT_FAIL (the file is removed again).
 */
struct cli_host_opts;
int cli_info_draw(const np_host *h, const struct cli_host_opts *ho, const char *state_dir,
                  const char *path, enum cli_render_format format);

#endif /* NUMAPLACE_RENDER_H */
