/* cmd-list.c - `numaplace list`: the workloads of the ledger, where they are and what they hold. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char list_help[] =
    "usage: numaplace list [--all] [--moves] [--json] [--state-dir DIR]\n\n"
    "List the live workloads numaplace placed: name, what it is (process, group, unit,\n"
    "container, vm, scope: docs/cgroups.md), pid, nodes, CPUs, vCPUs, memory policy, age,\n"
    "and per node the memory claimed and already resident (from /proc/PID/numa_maps, a\n"
    "group's memory.numa_stat), how often it was moved, its cgroup v2 group (when any\n"
    "is listed), then the command; under a QEMU guest placed with --pin-vcpus, a line\n"
    "with the CPUs of its vCPU threads and of its other threads, read now. CPUs marked\n"
    "'excl' are whole cores granted to it alone (--cpu-binding exclusive). Workloads\n"
    "whose process has exited, or whose group is gone (a scope: empty), are pruned\n"
    "first.\n\n"
    "  --all                 also the pruned ones (among the last 1000 placed), with why\n"
    "  --moves               the moves instead (numaplace daemon, place --pid), oldest first\n"
    "  --json                print a JSON document\n"
    "  -h, --help            show this help\n\n";

/* Nodes a workload claims or has pages on. */
static void memory_nodes(const struct np_workload *w, hwloc_bitmap_t set)
{
	hwloc_bitmap_zero(set);
	for (unsigned i = 0; i < w->nclaimed; i++)
		hwloc_bitmap_set(set, w->claimed[i].node);
	for (unsigned i = 0; i < w->nresident; i++)
		hwloc_bitmap_set(set, w->resident[i].node);
}

/* "0:1 GiB/148 KiB 1:512 MiB/0 B": claimed/resident on every node of either. */
static char *memory_text(const struct np_workload *w, hwloc_bitmap_t tmp)
{
	size_t cap = 64, len = 0;
	char *s = malloc(cap);
	int node;

	if (!s)
		return NULL;
	s[0] = '\0';
	memory_nodes(w, tmp);
	hwloc_bitmap_foreach_begin(node, tmp)
	{
		char a[32], b[32], piece[96];
		int n;

		np_size_format(np_node_bytes_get(w->claimed, w->nclaimed, (unsigned)node), a,
		               sizeof(a));
		if (w->ended)
			n = snprintf(piece, sizeof(piece), "%s%d:%s", len ? " " : "", node, a);
		else
			n = snprintf(piece, sizeof(piece), "%s%d:%s/%s", len ? " " : "", node, a,
			             np_size_format(np_node_bytes_get(w->resident, w->nresident,
			                                              (unsigned)node),
			                            b, sizeof(b)));
		if (len + (size_t)n + 1 > cap) {
			char *ns;

			cap = 2 * (len + (size_t)n + 1);
			ns = realloc(s, cap);
			if (!ns) {
				free(s);
				return NULL;
			}
			s = ns;
		}
		memcpy(s + len, piece, (size_t)n + 1);
		len += (size_t)n;
	}
	hwloc_bitmap_foreach_end();
	if (!len) {
		free(s);
		s = strdup("-");
	}
	return s;
}

/* "0-1", "1 near eth1,nvme0" (the devices it was placed near), "-" unplaced (free()). */
static char *nodes_text(const struct np_workload *w)
{
	char *nodes = hwloc_bitmap_iszero(w->nodes) ? strdup("-") : cli_list_string(w->nodes), *s;

	if (!nodes || !w->near_devices || !*w->near_devices)
		return nodes;
	if (asprintf(&s, "%s near %s", nodes, w->near_devices) < 0)
		s = NULL;
	free(nodes);
	return s;
}

/* The devices it was placed near, as given: ["eth1", "nvme0"]. */
static json_t *near_json(const struct np_workload *w)
{
	json_t *a = json_array();
	const char *p = w->near_devices;

	while (a && p && *p) {
		size_t n = strcspn(p, ",");

		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return a;
}

/* "0-3", or "0-3 excl" for whole cores granted exclusively (free()). */
static char *cpus_text(hwloc_const_cpuset_t cpus, hwloc_const_cpuset_t exclusive)
{
	char *list, *s;

	if (!exclusive || hwloc_bitmap_iszero(exclusive))
		return cli_list_string(cpus);
	list = cli_list_string(exclusive);
	if (!list || asprintf(&s, "%s excl", list) < 0)
		s = NULL;
	free(list);
	return s;
}

static void age_text(int64_t seconds, char *buf, size_t len)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 120)
		snprintf(buf, len, "%" PRId64 "s", seconds);
	else if (seconds < 2 * 3600)
		snprintf(buf, len, "%" PRId64 "m", seconds / 60);
	else if (seconds < 2 * 86400)
		snprintf(buf, len, "%" PRId64 "h", seconds / 3600);
	else
		snprintf(buf, len, "%" PRId64 "d", seconds / 86400);
}

static json_t *bytes_json(const struct np_node_bytes *a, unsigned n)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:i,s:I}", "node", (int)a[i].node, "bytes",
		                                     (json_int_t)a[i].bytes));
	return arr;
}

/*
 * The pinning of a live workload placed with --pin-vcpus, read now from its threads' status
 * into *ret. Returns 1, 0 when it is not one, -1 when its threads cannot be read.
 */
static int pinning_read(const struct np_workload *w, struct np_vcpu_pinning *ret)
{
	if (w->ended || !(w->flags & NP_WORKLOAD_PIN_VCPUS) || w->pid <= 0)
		return 0;
	return np_qemu_threads_read(NULL, w->pid, ret) < 0 ? -1 : 1;
}

static json_t *list_json(const struct np_workload *list, unsigned n)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < n; i++) {
		const struct np_workload *w = &list[i];
		char *cpus = cli_list_string(w->cpus);
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(w->name));
		json_object_set_new(o, "kind", json_string(np_workload_kind_name(w->kind)));
		json_object_set_new(o, "pid", json_integer(w->pid));
		json_object_set_new(o, "cgroup", w->cgroup ? json_string(w->cgroup) : json_null());
		json_object_set_new(o, "cgroup_id",
		                    w->cgroup ? json_integer((json_int_t)w->cgroup_id)
		                              : json_null());
		json_object_set_new(o, "start_time", json_integer((json_int_t)w->start_time));
		json_object_set_new(o, "nodes", cli_json_int_array(w->nodes));
		json_object_set_new(o, "near", near_json(w));
		json_object_set_new(o, "cpus", json_string(cpus ? cpus : ""));
		cli_json_exclusive(o, w->exclusive);
		json_object_set_new(o, "vcpus", json_integer(w->vcpus));
		json_object_set_new(o, "claimed", bytes_json(w->claimed, w->nclaimed));
		if (!w->ended)
			json_object_set_new(o, "resident", bytes_json(w->resident, w->nresident));
		json_object_set_new(o, "strategy", json_string(w->strategy));
		json_object_set_new(o, "policy", json_string(w->policy));
		json_object_set_new(o, "created", json_integer(w->created));
		json_object_set_new(o, "command", json_string(w->cmdline));
		json_object_set_new(o, "moves", json_integer(w->moves));
		if (w->moves)
			json_object_set_new(o, "last_move", json_integer(w->last_move));
		json_object_set_new(o, "live", json_boolean(!w->ended));
		json_object_set_new(o, "pin_vcpus",
		                    json_boolean((w->flags & NP_WORKLOAD_PIN_VCPUS) != 0));
		if (!w->ended) {
			struct np_vcpu_pinning pin;

			np_vcpu_pinning_init(&pin);
			json_object_set_new(o, "pinning",
			                    pinning_read(w, &pin) > 0 ? cli_pin_json(&pin, false)
			                                              : json_null());
			np_vcpu_pinning_release(&pin);
		}
		if (w->ended) {
			json_object_set_new(o, "ended", json_integer(w->ended));
			json_object_set_new(o, "end_reason", json_string(w->end_reason));
		}
		json_array_append_new(arr, o);
		free(cpus);
	}
	return json_pack("{s:o}", "workloads", arr);
}

enum {
	C_NAME,
	C_KIND,
	C_PID,
	C_NODES,
	C_CPUS,
	C_VCPUS,
	C_POLICY,
	C_AGE,
	C_STATE,
	C_MOVES,
	C_MEMORY,
	C_GROUP,
	NCOLS
};

static const char *const heads[NCOLS] = {"NAME",
                                         "KIND",
                                         "PID",
                                         "NODES",
                                         "CPUS",
                                         "VCPUS",
                                         "POLICY",
                                         "AGE",
                                         "STATE",
                                         "MOVES",
                                         "MEMORY (claimed/resident)",
                                         "GROUP"};

/* Columns shown: STATE with --all, GROUP when a listed workload is a group. */
static bool shown(unsigned c, bool all, bool groups)
{
	return (c != C_STATE || all) && (c != C_GROUP || groups);
}

/* Under the row of a pinned workload: "  pinned: vcpus 0:2 1:3, emulator 4-5". */
static void pinning_line(const struct np_workload *w)
{
	struct np_vcpu_pinning pin;
	char *text;
	int r;

	np_vcpu_pinning_init(&pin);
	r = pinning_read(w, &pin);
	if (r > 0) {
		text = cli_pin_text(&pin);
		printf("  pinned: %s\n", text ? text : "?");
		free(text);
	} else if (r < 0) {
		printf("  pinned: ? (its threads cannot be read)\n");
	}
	np_vcpu_pinning_release(&pin);
}

static int print_table(const struct np_workload *list, unsigned n, bool all)
{
	char *(*cells)[NCOLS] = calloc(n ? n : 1, sizeof(*cells));
	size_t width[NCOLS];
	hwloc_bitmap_t tmp = hwloc_bitmap_alloc();
	int64_t now = (int64_t)time(NULL);
	bool groups = false;
	int r = EXIT_OK;

	if (!cells || !tmp) {
		cli_error("out of memory");
		r = EXIT_FAIL;
		goto out;
	}
	for (unsigned c = 0; c < NCOLS; c++)
		width[c] = strlen(heads[c]);
	for (unsigned i = 0; i < n; i++) {
		const struct np_workload *w = &list[i];
		char age[32];

		age_text(now - w->created, age, sizeof(age));
		cells[i][C_NAME] = strdup(w->name);
		cells[i][C_KIND] = strdup(np_workload_kind_name(w->kind));
		/* a group has no process of its own: its pid is 0 */
		if (!w->pid)
			cells[i][C_PID] = strdup("-");
		else if (asprintf(&cells[i][C_PID], "%d", (int)w->pid) < 0)
			cells[i][C_PID] = NULL;
		cells[i][C_GROUP] = strdup(w->cgroup ? w->cgroup : "-");
		groups |= w->cgroup != NULL;
		cells[i][C_NODES] = nodes_text(w);
		cells[i][C_CPUS] =
		    hwloc_bitmap_iszero(w->cpus) ? strdup("-") : cpus_text(w->cpus, w->exclusive);
		if (asprintf(&cells[i][C_VCPUS], "%u", w->vcpus) < 0)
			cells[i][C_VCPUS] = NULL;
		cells[i][C_POLICY] = strdup(w->policy);
		cells[i][C_AGE] = strdup(age);
		cells[i][C_STATE] = strdup(w->ended ? w->end_reason : "live");
		if (w->moves) {
			char last[32];

			age_text(now - w->last_move, last, sizeof(last));
			if (asprintf(&cells[i][C_MOVES], "%u (%s ago)", w->moves, last) < 0)
				cells[i][C_MOVES] = NULL;
		} else {
			cells[i][C_MOVES] = strdup("0");
		}
		cells[i][C_MEMORY] = memory_text(w, tmp);
		for (unsigned c = 0; c < NCOLS; c++) {
			if (!cells[i][c]) {
				cli_error("out of memory");
				r = EXIT_FAIL;
				goto out;
			}
			if (strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
		}
	}
	for (unsigned c = 0; c < NCOLS; c++) {
		if (!shown(c, all, groups))
			continue;
		printf(c == C_PID || c == C_VCPUS ? "%*s  " : "%-*s  ", (int)width[c], heads[c]);
	}
	printf("COMMAND\n");
	for (unsigned i = 0; i < n; i++) {
		for (unsigned c = 0; c < NCOLS; c++) {
			if (!shown(c, all, groups))
				continue;
			printf(c == C_PID || c == C_VCPUS ? "%*s  " : "%-*s  ", (int)width[c],
			       cells[i][c]);
		}
		printf("%s\n", *list[i].cmdline ? list[i].cmdline : "-");
		pinning_line(&list[i]);
	}
out:
	if (cells)
		for (unsigned i = 0; i < n; i++)
			for (unsigned c = 0; c < NCOLS; c++)
				free(cells[i][c]);
	free(cells);
	hwloc_bitmap_free(tmp);
	return r;
}

static json_t *moves_json(const struct np_move *m, unsigned n)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(
		    arr,
		    json_pack("{s:s,s:i,s:I,s:o,s:o,s:s}", "name", m[i].name, "pid", (int)m[i].pid,
		              "time", (json_int_t)m[i].time, "from", cli_json_int_array(m[i].from),
		              "to", cli_json_int_array(m[i].to), "reason", m[i].reason));
	return json_pack("{s:o}", "moves", arr);
}

/* One line per move: when (local time), who, from, to, why. */
static void print_moves(const struct np_move *m, unsigned n)
{
	size_t wname = 4;

	for (unsigned i = 0; i < n; i++)
		if (strlen(m[i].name) > wname)
			wname = strlen(m[i].name);
	printf("%-19s  %-*s  %7s  %-5s  %-5s  %s\n", "TIME", (int)wname, "NAME", "PID", "FROM",
	       "TO", "REASON");
	for (unsigned i = 0; i < n; i++) {
		char when[32], *from = cli_list_string(m[i].from), *to = cli_list_string(m[i].to);
		time_t t = (time_t)m[i].time;
		struct tm tm;

		if (!localtime_r(&t, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
			snprintf(when, sizeof(when), "%lld", (long long)m[i].time);
		printf("%-19s  %-*s  %7d  %-5s  %-5s  %s\n", when, (int)wname, m[i].name,
		       (int)m[i].pid, from && *from ? from : "-", to && *to ? to : "-",
		       m[i].reason);
		free(from);
		free(to);
	}
}

static int list_moves(np_ledger *ledger, bool json)
{
	struct np_move *moves = NULL;
	int n = 0, r;

	if (ledger) {
		n = np_ledger_moves(ledger, &moves);
		if (n < 0) {
			cli_error("cannot read the ledger: %s", cli_ledger_why(-n));
			return EXIT_FAIL;
		}
	}
	if (json) {
		r = cli_json_print(moves_json(moves, (unsigned)n), false);
	} else {
		print_moves(moves, (unsigned)n);
		r = EXIT_OK;
	}
	np_moves_free(moves, (unsigned)n);
	return r;
}

/*
 * No ledger in the state directory. A directory named by --state-dir or NUMAPLACE_STATE_DIR
 * that does not exist is a mistake (run would fail there): an error. One that exists holds
 * nothing placed yet: said on stderr, and the list is empty. The default directory may not
 * exist before the first run: the list is just empty.
 */
static int no_ledger(const char *dir)
{
	const char *env = secure_getenv("NUMAPLACE_STATE_DIR");
	struct stat st;

	if (!dir && env && *env)
		dir = env;
	if (!dir)
		return EXIT_OK;
	int r = stat(dir, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	char *q = cli_quote(dir, 256);

	if (r == -ENOENT || r == -ENOTDIR)
		cli_error("no ledger in %s: no such directory", q ? q : "?");
	else if (r < 0)
		cli_error("no ledger in %s: %s", q ? q : "?", strerror(-r));
	else
		cli_warn("no ledger in %s yet: nothing was placed with this state directory",
		         q ? q : "?");
	free(q);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	const char *state_dir = NULL;
	struct np_workload *list = NULL;
	bool all = false, json = false, moves = false;
	np_ledger *ledger = NULL;
	int n = 0, r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(list_help, stdout);
			fputs(cli_state_options_help, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--all") == 0) {
			all = true;
		} else if (strcmp(a, "--moves") == 0) {
			moves = true;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if ((r = cli_state_option("list", argc, argv, &i, &state_dir)) != 0) {
			if (r < 0)
				return -r;
		} else {
			return cli_usage_error("list", "unknown argument '%s'", a);
		}
	}
	r = cli_ledger_open(state_dir, NP_LEDGER_NO_CREATE, &ledger);
	if (r)
		return r;
	if (!ledger) {
		r = no_ledger(state_dir);
		if (r)
			return r;
	}
	if (moves) {
		r = list_moves(ledger, json);
		np_ledger_close(ledger);
		return r;
	}
	if (ledger) {
		n = np_ledger_list(
		    ledger, NP_LEDGER_LIST_RESIDENT | (all ? NP_LEDGER_LIST_ALL : 0u), &list);
		if (n < 0) {
			cli_error("cannot read the ledger: %s", cli_ledger_why(-n));
			np_ledger_close(ledger);
			return EXIT_FAIL;
		}
	}
	if (json)
		r = cli_json_print(list_json(list, (unsigned)n), false);
	else
		r = print_table(list, (unsigned)n, all);
	np_workloads_free(list, (unsigned)n);
	np_ledger_close(ledger);
	return r;
}
