/* strtonum(3) for systems whose libc lacks it. */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "compat.h"

long long
strtonum(const char *str, long long min, long long max, const char **errstr)
{
	long long	 v;
	char		*end;
	int		 saved = errno;

	*errstr = NULL;
	if (min > max) {
		*errstr = "invalid";
		return 0;
	}
	errno = 0;
	v = strtoll(str, &end, 10);
	if (str == end || *end != '\0')
		*errstr = "invalid";
	else if ((v == LLONG_MIN && errno == ERANGE) || v < min)
		*errstr = "too small";
	else if ((v == LLONG_MAX && errno == ERANGE) || v > max)
		*errstr = "too large";
	errno = saved;
	return *errstr == NULL ? v : 0;
}
