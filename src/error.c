/*
 * Errors as values. Modules fill a struct sc_error and return; only the
 * mode functions and main() print it and choose to exit.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sockcat.h"

static void	error_fill(struct sc_error *, int, int, int, const char *,
		    const char *, va_list)
		    __attribute__((__format__(__printf__, 6, 0)));

static void
error_fill(struct sc_error *e, int exit, int errnum, int gai,
    const char *reason, const char *fmt, va_list ap)
{
	e->exit = exit;
	e->errnum = errnum;
	e->gai = gai;
	e->reason = reason;
	(void)vsnprintf(e->what, sizeof(e->what), fmt, ap);
}

/* WHAT failed with errno value errnum; the class is exit. */
void
error_set(struct sc_error *e, int exit, int errnum, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	error_fill(e, exit, errnum, 0, NULL, fmt, ap);
	va_end(ap);
}

/* WHAT failed in getaddrinfo() with code gai. */
void
error_gai(struct sc_error *e, int gai, const char *fmt, ...)
{
	va_list	 ap;
	int	 sys = gai == EAI_SYSTEM;

	va_start(ap, fmt);
	error_fill(e, sys ? SC_EXIT_FAIL : SC_EXIT_RESOLVE, sys ? errno : 0,
	    sys ? 0 : gai, NULL, fmt, ap);
	va_end(ap);
}

/*
 * Looking up WHAT failed with code gai: with -n (numeric), a name that is
 * not a numeric address is refused rather than not found.
 */
void
error_resolve(struct sc_error *e, int gai, bool numeric, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	if (gai == EAI_NONAME && numeric)
		error_fill(e, SC_EXIT_RESOLVE, 0, 0, "not a numeric address, "
		    "and -n forbids name lookups", fmt, ap);
	else if (gai == EAI_SYSTEM)
		error_fill(e, SC_EXIT_FAIL, errno, 0, NULL, fmt, ap);
	else
		error_fill(e, SC_EXIT_RESOLVE, 0, gai, NULL, fmt, ap);
	va_end(ap);
}

/* WHAT failed for a reason that is not an errno value. */
void
error_reason(struct sc_error *e, int exit, const char *reason,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	error_fill(e, exit, 0, 0, reason, fmt, ap);
	va_end(ap);
}

/* The exit status for a failed connect, send or receive. */
int
error_exit_for_errno(int errnum)
{
	switch (errnum) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENOENT:		/* no UNIX socket at that path */
		return SC_EXIT_CONN;
	case ETIMEDOUT:
		return SC_EXIT_TIMEOUT;
	default:
		return SC_EXIT_FAIL;
	}
}
