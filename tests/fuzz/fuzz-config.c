/*
 * fuzz-config.c - the host configuration file (src/cli/config.c: libinih and the value
 * checks). Any text either parses or is refused with one message; what parses is written back
 * as `numaplace config` spells it, and that text must parse to the same settings.
 */
#include "fuzz.h"
#include "config.h"

#include <stdlib.h>
#include <string.h>

/* Every setting of `c` as a configuration file. Caller frees. */
static char *write_back(const struct cli_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *section = "";

	if (!f)
		abort();
	for (unsigned k = 0; k < CLI_KEY_COUNT_; k++) {
		char *v = cli_config_value(c, (enum cli_config_key)k);

		if (!v)
			abort();
		if (strcmp(section, cli_config_section(k))) {
			section = cli_config_section(k);
			fprintf(f, "[%s]\n", section);
		}
		/* the state directory in force may come from the environment: the file's own */
		if (k == CLI_KEY_STATE_DIR)
			fprintf(f, "%s = %s\n", cli_config_name(k),
			        c->state_dir ? c->state_dir : "/x");
		else
			fprintf(f, "%s = %s\n", cli_config_name(k), v);
		free(v);
	}
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_config a, b;
	FILE *f;
	char *text;

	/* the refusals printed on stderr are not what this target checks */
	if (!freopen("/dev/null", "w", stderr))
		abort();
	unsetenv("NUMAPLACE_STATE_DIR");
	cli_config_defaults(&a);
	f = fmemopen((void *)data, size ? size : 1, "r");
	if (!f)
		abort();
	if (size == 0 || cli_config_parse(f, "fuzz.conf", &a) != 0) {
		fclose(f);
		cli_config_release(&a);
		return 0;
	}
	fclose(f);
	text = write_back(&a);
	cli_config_defaults(&b);
	f = fmemopen(text, strlen(text), "r");
	if (!f || cli_config_parse(f, "again.conf", &b) != 0)
		abort();
	fclose(f);
	for (unsigned k = 0; k < CLI_KEY_COUNT_; k++) {
		char *x = cli_config_value(&a, (enum cli_config_key)k);
		char *y = cli_config_value(&b, (enum cli_config_key)k);

		if (!x || !y || (k != CLI_KEY_STATE_DIR && strcmp(x, y)))
			abort();
		free(x);
		free(y);
	}
	free(text);
	cli_config_release(&a);
	cli_config_release(&b);
	return 0;
}
