/* error.c - the per-thread text behind np_last_error(), shared by every layer. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

void np__set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

void np__clear_error(void)
{
	last_error[0] = '\0';
}

const char *np_last_error(void)
{
	return last_error;
}
