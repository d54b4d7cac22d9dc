/*
 * fault.h - allocation-failure injection for tests (SQLite's method: fail the Nth allocation).
 *
 * The library is not changed for it: the test executable is linked with
 * -Wl,--wrap=malloc,... (tests/unit/meson.build), so that every call the library's objects make
 * to malloc, calloc, realloc, strdup, hwloc_bitmap_alloc, hwloc_bitmap_dup,
 * hwloc_bitmap_list_asprintf and CPU_ALLOC goes through fault.c first. hwloc's own allocations
 * (inside libhwloc: topology discovery, bitmap growth) are outside the hook. SQLite's are
 * inside it when fault_sqlite_install() was called before SQLite's first use (through
 * SQLITE_CONFIG_MALLOC).
 */
#ifndef NUMAPLACE_TEST_FAULT_H
#define NUMAPLACE_TEST_FAULT_H

#include <stdbool.h>

/* Fail the n-th allocation from now (1: the next one), once; the others succeed. */
void fault_arm(unsigned long n);
/* Stop counting. */
void fault_disarm(void);
/* Whether the armed failure happened: in a hooked call of numaplace's code, or in SQLite. */
bool fault_fired(void);
bool fault_fired_in_sqlite(void);
/* Route SQLite's allocations through the counter; call before SQLite is first used. */
void fault_sqlite_install(void);

#endif /* NUMAPLACE_TEST_FAULT_H */
