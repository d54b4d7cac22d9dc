/* fault.c - the allocation wrappers behind fault.h. */
#include "fault.h"

#include <errno.h>
#include <hwloc.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
hwloc_bitmap_t __real_hwloc_bitmap_alloc(void);
hwloc_bitmap_t __real_hwloc_bitmap_dup(hwloc_const_bitmap_t b);
int __real_hwloc_bitmap_list_asprintf(char **strp, hwloc_const_bitmap_t b);
void *__real___sched_cpualloc(size_t count);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
hwloc_bitmap_t __wrap_hwloc_bitmap_alloc(void);
hwloc_bitmap_t __wrap_hwloc_bitmap_dup(hwloc_const_bitmap_t b);
int __wrap_hwloc_bitmap_list_asprintf(char **strp, hwloc_const_bitmap_t b);
void *__wrap___sched_cpualloc(size_t count);

static unsigned long countdown;
static bool armed, fired, fired_sqlite;

void fault_arm(unsigned long n)
{
	countdown = n;
	armed = n > 0;
	fired = fired_sqlite = false;
}

void fault_disarm(void)
{
	armed = false;
}

bool fault_fired(void)
{
	return fired;
}

bool fault_fired_in_sqlite(void)
{
	return fired_sqlite;
}

static bool fail_now(void)
{
	if (!armed || --countdown > 0)
		return false;
	armed = false;
	fired = true;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t size)
{
	return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return fail_now() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

hwloc_bitmap_t __wrap_hwloc_bitmap_alloc(void)
{
	return fail_now() ? NULL : __real_hwloc_bitmap_alloc();
}

hwloc_bitmap_t __wrap_hwloc_bitmap_dup(hwloc_const_bitmap_t b)
{
	return fail_now() ? NULL : __real_hwloc_bitmap_dup(b);
}

int __wrap_hwloc_bitmap_list_asprintf(char **strp, hwloc_const_bitmap_t b)
{
	return fail_now() ? -1 : __real_hwloc_bitmap_list_asprintf(strp, b);
}

void *__wrap___sched_cpualloc(size_t count)
{
	return fail_now() ? NULL : __real___sched_cpualloc(count);
}

static sqlite3_mem_methods sqlite_mem;

static void *sqlite_malloc(int n)
{
	if (fail_now()) {
		fired_sqlite = true;
		return NULL;
	}
	return sqlite_mem.xMalloc(n);
}

static void *sqlite_realloc(void *p, int n)
{
	if (fail_now()) {
		fired_sqlite = true;
		return NULL;
	}
	return sqlite_mem.xRealloc(p, n);
}

void fault_sqlite_install(void)
{
	sqlite3_mem_methods m;

	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem) != SQLITE_OK)
		abort();
	m = sqlite_mem;
	m.xMalloc = sqlite_malloc;
	m.xRealloc = sqlite_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
		abort();
}
