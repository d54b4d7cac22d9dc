#include "search.h"

int np__strategy_exhaustive(struct np__search *s)
{
	return 0;
}

int np__strategy_first_fit(struct np__search *s)
{
	return 0;
}

int np__strategy_spread(struct np__search *s)
{
	return 0;
}

int np__strategy_numad(struct np__search *s)
{
	return 0;
}
