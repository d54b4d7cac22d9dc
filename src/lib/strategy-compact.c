#include "search.h"

int np__strategy_compact(struct np__search *s)
{
	return 0;
}
