/*
 * cgroup-cpu.c - the CPU files of a cgroup v2 group: cpu.max, the CPUs its quota allows, and
 * cpu.stat, the CPU time it used (usage_usec, what the daemon measures between two looks).
 * Either is absent when the cpu controller is not enabled for the group: no limit, no time.
 */
#include "cgroup.h"
#include "proc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int np__cpu_max_parse(const char *text, unsigned *ret_vcpus)
{
	const char *p = text;
	uint64_t quota = 0, period;
	bool max = false;
	int r;

	if (!text)
		return -EINVAL;
	if (!strncmp(p, "max", 3)) {
		max = true;
		p += 3;
	} else if ((r = np__parse_u64(&p, UINT64_MAX, &quota)) < 0) {
		return r;
	}
	if (*p++ != ' ')
		return -EBADMSG;
	if ((r = np__parse_u64(&p, UINT64_MAX, &period)) < 0)
		return r;
	if (*p == '\n')
		p++;
	if (*p || period == 0 || (!max && quota == 0))
		return -EBADMSG;
	if (!max && quota / period >= UINT_MAX)
		return -ERANGE;
	*ret_vcpus = max ? 0 : (unsigned)(quota / period + (quota % period != 0));
	return 0;
}

int np__cgroup_cpu_max(const struct np__cgroup *cg, unsigned *ret_vcpus)
{
	char *text = NULL;
	int r;

	r = np__cgroup_file(cg, "cpu.max", &text);
	if (r == -ENOENT) {
		*ret_vcpus = 0;
		return 0;
	}
	if (r < 0)
		return r;
	r = np__cpu_max_parse(text, ret_vcpus);
	free(text);
	if (r < 0)
		np__set_error("cannot parse '%s/cpu.max'", cg->path);
	return r;
}

int np__cpu_stat_usage_parse(const char *text, uint64_t *ret_usec)
{
	const char *p = text;
	bool found = false;
	uint64_t usec = 0;

	if (!text)
		return -EINVAL;
	while (*p) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		uint64_t v;
		bool usage;
		int r;

		if (!sp || (nl && nl < sp) || sp == p)
			return -EBADMSG;
		usage = sp - p == 10 && !strncmp(p, "usage_usec", 10);
		p = sp + 1;
		r = np__parse_u64(&p, UINT64_MAX, &v);
		if (r < 0)
			return r;
		if (*p == '\n')
			p++;
		else if (*p)
			return -EBADMSG;
		if (usage) {
			if (found)
				return -EBADMSG;
			found = true;
			usec = v;
		}
	}
	if (!found)
		return -EBADMSG;
	*ret_usec = usec;
	return 0;
}

int np__cgroup_cpu_usage(const struct np__cgroup *cg, uint64_t *ret_usec)
{
	char *text = NULL;
	int r;

	r = np__cgroup_file(cg, "cpu.stat", &text);
	if (r == -ENOENT) {
		*ret_usec = 0;
		return 0;
	}
	if (r < 0)
		return r;
	r = np__cpu_stat_usage_parse(text, ret_usec);
	free(text);
	if (r < 0) {
		np__set_error("cannot parse '%s/cpu.stat'", cg->path);
		return r;
	}
	return 1;
}
