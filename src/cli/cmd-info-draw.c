/*
 * cmd-info-draw.c - `numaplace info --svg FILE / --png FILE`: the picture of render.c, with
 * the ledger's claims per workload on this host, written to a file or standard output.
 */
#include "cli.h"
#include "render.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* The claims of the live workloads: one per workload and node. */
static int ledger_claims(const char *state_dir, struct np_workload **ret_list, int *ret_n,
                         struct cli_render_claim **ret_claims, unsigned *ret_nc)
{
	struct np_workload *list;
	struct cli_render_claim *c = NULL;
	unsigned nc = 0, total = 0;
	int n;

	if (cli_ledger_workloads(state_dir, &list, &n))
		return EXIT_FAIL;
	for (int i = 0; i < n; i++)
		total += list[i].nclaimed;
	if (total && !(c = calloc(total, sizeof(*c)))) {
		np_workloads_free(list, (unsigned)n);
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++)
		for (unsigned k = 0; k < list[i].nclaimed; k++)
			c[nc++] = (struct cli_render_claim){list[i].name, list[i].claimed[k].node,
			                                    list[i].claimed[k].bytes};
	*ret_list = list;
	*ret_n = n;
	*ret_claims = c;
	*ret_nc = nc;
	return EXIT_OK;
}

/* "NUMA topology of HOST", of the capture or of the description it was loaded from. */
static void title_of(const struct cli_host_opts *ho, char *buf, size_t len)
{
	static const char *const what[] = {"", "topology", "synthetic topology", "sysfs root"};
	char host[256];

	if (ho->source_given) {
		snprintf(buf, len, "NUMA topology of %s %s", what[ho->src.kind], ho->src.arg);
	} else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "this host");
		host[sizeof(host) - 1] = '\0';
		snprintf(buf, len, "NUMA topology of %s", host);
	}
	/* cairo refuses text that is not UTF-8: a path may be anything, so ASCII it is */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

/*
 * Open `path` for writing: a new file (*ret_created), or an existing one truncated (a device,
 * a pipe or a file that was there stays there after a failure).
 */
static FILE *open_output(const char *path, bool *ret_created)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
	FILE *f;

	*ret_created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		if (*ret_created)
			unlink(path);
		errno = e;
	}
	return f;
}

int cli_info_draw(const np_host *h, const struct cli_host_opts *ho, const char *state_dir,
                  const char *path, enum cli_render_format format)
{
	struct cli_render_claim *c = NULL;
	struct np_workload *list = NULL;
	bool to_stdout = strcmp(path, "-") == 0, created = false;
	const char *why = NULL;
	unsigned nc = 0;
	char title[512];
	FILE *f = NULL;
	int n = 0, r;

	/*
	 * Set-uid or with capabilities (docs/security.md), a file named by the caller would be
	 * written with numaplace's privileges, and cairo's font libraries would read the caller's
	 * FONTCONFIG_* variables and font files: no picture then.
	 */
	if (getauxval(AT_SECURE)) {
		cli_error(
		    "cannot draw '%s': numaplace runs privileged (set-uid or with capabilities)",
		    path);
		return EXIT_FAIL;
	}
	why = cli_render_cairo_error();
	if (why) {
		cli_error("cannot draw: cairo is not there (%s)", why);
		return EXIT_FAIL;
	}
	if (!ho->source_given && ledger_claims(state_dir, &list, &n, &c, &nc))
		return EXIT_FAIL;
	title_of(ho, title, sizeof(title));
	f = to_stdout ? stdout : open_output(path, &created);
	if (!f) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		r = EXIT_FAIL;
		goto out;
	}
	r = cli_render(h, title, c, nc, format, f);
	if (r == 0 && (to_stdout ? fflush(f) : fclose(f)) != 0)
		r = -errno;
	else if (r < 0 && !to_stdout)
		fclose(f);
	if (r < 0) {
		cli_error("cannot write '%s': %s", path, strerror(-r));
		if (created)
			unlink(path); /* only a file made here: never a device or a file given */
		r = EXIT_FAIL;
	}
out:
	free(c);
	np_workloads_free(list, (unsigned)n);
	return r;
}
