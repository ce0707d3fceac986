/*
 * --trace: every socket call, as sys.c makes it, written as a C-like line
 * with its arguments and result, or as one JSON object per line.
 *
 *	0.000412 connect(5, 127.0.0.1:9) = -1 EINPROGRESS
 *	    (Operation now in progress)
 *	{"time":0.000412,"call":"connect","args":["5","127.0.0.1:9"],
 *	 "result":-1,"errno":"EINPROGRESS",
 *	 "error":"Operation now in progress"}
 *	0.000520 getsockopt(5, SOL_SOCKET, SO_ERROR) = 0
 *	    [ECONNREFUSED (Connection refused)]
 *	{"time":0.000520,"call":"getsockopt",
 *	 "args":["5","SOL_SOCKET","SO_ERROR"],
 *	 "result":0,"errno":null,"returned":"ECONNREFUSED"}
 *	(each one line; folded here)
 *
 * Times are seconds since sockcat started. What a call returned besides
 * its result (an address, an option's value in [ ]) follows the result.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockcat.h"

/* The trace's state: set once at start-up, like the -v count. */
static FILE		*trace_fp;
static bool		 trace_json;
static struct timespec	 trace_t0;

bool
trace_on(void)
{
	return trace_fp != NULL;
}

/*
 * Start tracing to file (NULL: stderr). Called once, before any socket
 * call. Returns -1 with errno if the file cannot be opened.
 */
int
trace_open(const char *file, bool json)
{
	int	 fd;

	(void)clock_gettime(CLOCK_MONOTONIC, &trace_t0);
	trace_json = json;
	if (file == NULL) {
		trace_fp = stderr;
		return 0;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || (trace_fp = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	setvbuf(trace_fp, NULL, _IOLBF, 0);
	return 0;
}

void
trace_close(void)
{
	if (trace_fp != NULL && trace_fp != stderr)
		(void)fclose(trace_fp);
	trace_fp = NULL;
}

static double
trace_time(void)
{
	struct timespec	 now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - trace_t0.tv_sec) +
	    (double)(now.tv_nsec - trace_t0.tv_nsec) / 1e9;
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void
json_string(const char *s)
{
	(void)fputc('"', trace_fp);
	for (; *s != '\0'; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			(void)fprintf(trace_fp, "\\%c", c);
		else if (c < 0x20)
			(void)fprintf(trace_fp, "\\u%04x", c);
		else
			(void)fputc(c, trace_fp);
	}
	(void)fputc('"', trace_fp);
}

static const char *
errno_name(int e, char *buf, size_t size)
{
#ifdef HAVE_STRERRORNAME_NP
	const char	*n = strerrorname_np(e);

	if (n != NULL)
		return n;
#endif
	(void)snprintf(buf, size, "E%d", e);
	return buf;
}

/*
 * An errno value that a call returned as data (SO_ERROR): its name and
 * message in the text form, its name alone in JSON, for tools to match.
 */
const char *
trace_errno(int e, char *buf, size_t size)
{
	char	 eb[16];

	if (trace_json)
		(void)snprintf(buf, size, "%s", errno_name(e, eb, sizeof(eb)));
	else
		(void)snprintf(buf, size, "%s (%s)", errno_name(e, eb,
		    sizeof(eb)), strerror(e));
	return buf;
}

/* In JSON, what else a call returned, without the text form's [ ]. */
static void
json_returned(const char *extra)
{
	size_t	 n = strlen(extra);
	char	 buf[256];

	if (n >= 2 && n < sizeof(buf) + 2 && extra[0] == '[' &&
	    extra[n - 1] == ']') {
		memcpy(buf, extra + 1, n - 2);
		buf[n - 2] = '\0';
		extra = buf;
	}
	(void)fputs(",\"returned\":", trace_fp);
	json_string(extra);
}

/*
 * One call: its name, its arguments as text, its result, the errno it
 * set (when result is -1), and what else it returned (extra, or NULL).
 */
void
trace_call(const char *call, const char *const args[], int nargs,
    long long result, int errnum, const char *extra)
{
	char	 eb[16];
	int	 i;

	if (trace_fp == NULL)
		return;
	if (trace_json) {
		(void)fprintf(trace_fp, "{\"time\":%.6f,\"call\":",
		    trace_time());
		json_string(call);
		(void)fputs(",\"args\":[", trace_fp);
		for (i = 0; i < nargs; i++) {
			if (i > 0)
				(void)fputc(',', trace_fp);
			json_string(args[i]);
		}
		(void)fprintf(trace_fp, "],\"result\":%lld,\"errno\":", result);
		if (result == -1) {
			json_string(errno_name(errnum, eb, sizeof(eb)));
			(void)fputs(",\"error\":", trace_fp);
			json_string(strerror(errnum));
		} else
			(void)fputs("null", trace_fp);
		if (extra != NULL)
			json_returned(extra);
		(void)fputs("}\n", trace_fp);
		return;
	}
	(void)fprintf(trace_fp, "%.6f %s(", trace_time(), call);
	for (i = 0; i < nargs; i++)
		(void)fprintf(trace_fp, "%s%s", i > 0 ? ", " : "", args[i]);
	(void)fprintf(trace_fp, ") = %lld", result);
	if (result == -1)
		(void)fprintf(trace_fp, " %s (%s)", errno_name(errnum, eb,
		    sizeof(eb)), strerror(errnum));
	if (extra != NULL)
		(void)fprintf(trace_fp, " %s", extra);
	(void)fputc('\n', trace_fp);
}

/* An address as the trace shows it: 127.0.0.1:9, [::1]:80, /path, @name. */
const char *
trace_addr(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	char				 a[INET6_ADDRSTRLEN];
	int				 port;

	if (sa == NULL || len < sizeof(sa_family_t)) {
		(void)snprintf(buf, size, "NULL");
		return buf;
	}
	switch (sa->sa_family) {
	case AF_INET:
		s4 = (const struct sockaddr_in *)(const void *)sa;
		(void)inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		(void)snprintf(buf, size, "%s:%d", a, ntohs(s4->sin_port));
		break;
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		(void)inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		(void)snprintf(buf, size, "[%s]:%d", a, ntohs(s6->sin6_port));
		break;
	case AF_UNIX:
		addr_numeric(sa, len, buf, size, &port);
		break;
	default:
		(void)snprintf(buf, size, "{family %d}", sa->sa_family);
		break;
	}
	return buf;
}
