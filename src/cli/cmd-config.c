/* cmd-config.c - `numaplace config [--json]`: the settings in force and where each came from. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char config_help[] =
    "usage: numaplace [--config FILE] config [--json]\n\n"
    "Print the settings every command starts from, as a configuration file would hold\n"
    "them, each with where it came from: built-in, the file and its line, or the\n"
    "environment (NUMAPLACE_STATE_DIR). The file is /etc/numaplace/numaplace.conf, or\n"
    "the one given with --config before the command or in NUMAPLACE_CONFIG (empty: no\n"
    "file). A command's own flags override these settings (docs/config.md).\n\n"
    "  --json          print them as one JSON document\n"
    "  -h, --help      show this help\n";

/* "built-in", "FILE:LINE" or "environment NUMAPLACE_STATE_DIR"; caller frees. */
static char *origin_text(const struct cli_config *c, enum cli_config_key k)
{
	char *s = NULL;

	switch (cli_config_origin_of(c, k)) {
	case CLI_ORIGIN_FILE:
		return asprintf(&s, "%s:%u", c->path, c->line[k]) < 0 ? NULL : s;
	case CLI_ORIGIN_ENVIRONMENT:
		return strdup("environment NUMAPLACE_STATE_DIR");
	default:
		return strdup("built-in");
	}
}

static void print_file_line(const struct cli_config *c)
{
	if (!c->path)
		printf("; file: none (NUMAPLACE_CONFIG is empty): built-in defaults\n");
	else if (!c->read)
		printf("; file: %s (absent: built-in defaults)\n", c->path);
	else if (strcmp(c->named_by, "built-in") == 0)
		printf("; file: %s (the default)\n", c->path);
	else
		printf("; file: %s (named by %s)\n", c->path, c->named_by);
}

static int print_text(const struct cli_config *c)
{
	const char *section = "";

	print_file_line(c);
	for (unsigned k = 0; k < CLI_KEY_COUNT_; k++) {
		char *v = cli_config_value(c, (enum cli_config_key)k);
		char *o = origin_text(c, (enum cli_config_key)k);
		char *kv = NULL;

		if (strcmp(section, cli_config_section(k))) {
			section = cli_config_section(k);
			printf("\n[%s]\n", section);
		}
		if (!v || !o || asprintf(&kv, "%s = %s", cli_config_name(k), v) < 0) {
			free(v);
			free(o);
			cli_error("out of memory");
			return EXIT_FAIL;
		}
		printf("%-36s ; %s\n", kv, o);
		free(kv);
		free(v);
		free(o);
	}
	return EXIT_OK;
}

static json_t *config_json(const struct cli_config *c)
{
	static const char *const origins[] = {"built-in", "file", "environment"};
	json_t *root = json_object(), *settings = json_object(), *sec = NULL;
	const char *section = "";

	if (!root || !settings) {
		json_decref(root);
		json_decref(settings);
		return NULL;
	}
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "file",
	                    json_pack("{s:o,s:s,s:b}", "path",
	                              c->path ? json_string(c->path) : json_null(), "named_by",
	                              c->named_by, "read", c->read));
	json_object_set_new(root, "settings", settings);
	for (unsigned k = 0; k < CLI_KEY_COUNT_; k++) {
		enum cli_config_origin og = cli_config_origin_of(c, (enum cli_config_key)k);
		char *v = cli_config_value(c, (enum cli_config_key)k);
		json_t *o;

		if (strcmp(section, cli_config_section(k))) {
			section = cli_config_section(k);
			sec = json_object();
			json_object_set_new(settings, section, sec);
		}
		o = v ? json_pack("{s:s,s:s}", "value", v, "origin", origins[og]) : NULL;
		free(v);
		if (!sec || !o)
			goto fail;
		if (og == CLI_ORIGIN_FILE)
			json_object_set_new(o, "line", json_integer(c->line[k]));
		if (og == CLI_ORIGIN_ENVIRONMENT)
			json_object_set_new(o, "variable", json_string("NUMAPLACE_STATE_DIR"));
		json_object_set_new(sec, cli_config_name(k), o);
	}
	return root;
fail:
	json_decref(root);
	return NULL;
}

int cmd_config(int argc, char **argv)
{
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(config_help, stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_usage_error("config", "unknown argument '%s'", argv[i]);
	}
	if (json)
		return cli_json_print(config_json(cli_config()), false);
	return print_text(cli_config());
}
