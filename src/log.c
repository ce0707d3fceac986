/*
 * Messages on stderr: the -v progress lines, whose formats are a stable
 * interface documented in the man page, and errors in err(3) format.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "sockcat.h"

/* The -v count: set once at start-up, read everywhere. */
static int log_verbosity;

void
log_init(int level)
{
	log_verbosity = level;
}

int
log_level(void)
{
	return log_verbosity;
}

/* A progress line, shown when -v was given at least level times. */
void
log_verbose(int level, const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbosity < level)
		return;
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	(void)fflush(stderr);
}

/* "sockcat: WHAT: REASON" */
void
log_warn_error(const struct sc_error *e)
{
	const char	*reason;

	if (e->gai != 0)
		reason = gai_strerror(e->gai);
	else if (e->errnum != 0)
		reason = strerror(e->errnum);
	else
		reason = e->reason;
	if (reason != NULL)
		(void)fprintf(stderr, "%s: %s: %s\n", PACKAGE, e->what, reason);
	else
		(void)fprintf(stderr, "%s: %s\n", PACKAGE, e->what);
	(void)fflush(stderr);
}
