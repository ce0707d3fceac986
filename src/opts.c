/*
 * The command line: one getopt_long table (the short-option string is
 * built from it, so the two cannot drift apart), argument conversion with
 * bounds, then one flat list of conflicts that reads like the man page.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <net/if.h>

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"
#include "opts.h"

static const struct option opts_table[] = {
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "broadcast", no_argument, NULL, 'b' },
	{ "crlf", no_argument, NULL, 'C' },
	{ "debug", no_argument, NULL, 'D' },
	{ "pass-fd", no_argument, NULL, 'F' },
	{ "recv-buf", required_argument, NULL, 'I' },
	{ "min-ttl", required_argument, NULL, 'm' },
	{ "ttl", required_argument, NULL, 'M' },
	{ "send-buf", required_argument, NULL, 'O' },
	{ "tos", required_argument, NULL, 'T' },
	{ "interval", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "randomize", no_argument, NULL, 'r' },
	{ "telnet", no_argument, NULL, 't' },
	{ "zero", no_argument, NULL, 'z' },
	{ "no-stdin", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "keep-open", no_argument, NULL, 'k' },
	{ "listen", no_argument, NULL, 'l' },
	{ "shutdown", no_argument, NULL, 'N' },
	{ "numeric", no_argument, NULL, 'n' },
	{ "source-port", required_argument, NULL, 'p' },
	{ "quit-after-eof", required_argument, NULL, 'q' },
	{ "source", required_argument, NULL, 's' },
	{ "udp", no_argument, NULL, 'u' },
	{ "unix", no_argument, NULL, 'U' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "wait", required_argument, NULL, 'w' },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "sh-exec", required_argument, NULL, 'c' },
	{ "exec", required_argument, NULL, 'e' },
	{ "accept-timeout", required_argument, NULL, OPT_ACCEPT_TIMEOUT },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "allowfile", required_argument, NULL, OPT_ALLOWFILE },
	{ "broker", no_argument, NULL, OPT_BROKER },
	{ "chat", no_argument, NULL, OPT_CHAT },
	{ "deny", required_argument, NULL, OPT_DENY },
	{ "denyfile", required_argument, NULL, OPT_DENYFILE },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "exec-stderr", no_argument, NULL, OPT_EXEC_STDERR },
	{ "exit-on-peer-eof", no_argument, NULL, OPT_EXIT_ON_PEER_EOF },
	{ "forward", required_argument, NULL, OPT_FORWARD },
	{ "forward-unix", required_argument, NULL, OPT_FORWARD_UNIX },
	{ "listen-fd", required_argument, NULL, OPT_LISTEN_FD },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "framing", required_argument, NULL, OPT_FRAMING },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "keep-socket", no_argument, NULL, OPT_KEEP_SOCKET },
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
	{ "mcast-iface", required_argument, NULL, OPT_MCAST_IFACE },
	{ "mcast-join", required_argument, NULL, OPT_MCAST_JOIN },
	{ "mcast-loop", no_argument, NULL, OPT_MCAST_LOOP },
	{ "mcast-ttl", required_argument, NULL, OPT_MCAST_TTL },
	{ "no-mcast-loop", no_argument, NULL, OPT_NO_MCAST_LOOP },
	{ "no-shutdown", no_argument, NULL, OPT_NO_SHUTDOWN },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "recv-info", no_argument, NULL, OPT_RECV_INFO },
	{ "recv-only", no_argument, NULL, OPT_RECV_ONLY },
	{ "recv-size", required_argument, NULL, OPT_RECV_SIZE },
	{ "sctp", no_argument, NULL, OPT_SCTP },
	{ "send-only", no_argument, NULL, OPT_SEND_ONLY },
	{ "trace", optional_argument, NULL, OPT_TRACE },
	{ "hex-dump", optional_argument, NULL, OPT_HEX_DUMP },
	{ "append-output", no_argument, NULL, OPT_APPEND_OUTPUT },
	{ "output-received", required_argument, NULL, OPT_OUTPUT_RECEIVED },
	{ "output-sent", required_argument, NULL, OPT_OUTPUT_SENT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "progress", optional_argument, NULL, OPT_PROGRESS },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "retry-wait", required_argument, NULL, OPT_RETRY_WAIT },
	{ "reconnect", no_argument, NULL, OPT_RECONNECT },
	{ "scan-parallel", required_argument, NULL, OPT_SCAN_PARALLEL },
	{ "nodelay", no_argument, NULL, OPT_NODELAY },
	{ "cork", no_argument, NULL, OPT_CORK },
	{ "quickack", no_argument, NULL, OPT_QUICKACK },
	{ "keepalive", optional_argument, NULL, OPT_KEEPALIVE },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "reuseport", no_argument, NULL, OPT_REUSEPORT },
	{ "bind-device", required_argument, NULL, OPT_BIND_DEVICE },
	{ "mark", required_argument, NULL, OPT_MARK },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "mss", required_argument, NULL, OPT_MSS },
	{ "congestion", required_argument, NULL, OPT_CONGESTION },
	{ "fastopen", no_argument, NULL, OPT_FASTOPEN },
	{ "defer-accept", required_argument, NULL, OPT_DEFER_ACCEPT },
	{ "freebind", no_argument, NULL, OPT_FREEBIND },
	{ "transparent", no_argument, NULL, OPT_TRANSPARENT },
	{ "v6only", no_argument, NULL, OPT_V6ONLY },
	{ "no-v6only", no_argument, NULL, OPT_NO_V6ONLY },
	{ "backlog", required_argument, NULL, OPT_BACKLOG },
	{ "user-timeout", required_argument, NULL, OPT_USER_TIMEOUT },
	{ "rcvlowat", required_argument, NULL, OPT_RCVLOWAT },
	{ "sockopt", required_argument, NULL, OPT_SOCKOPT },
	{ "send-flags", required_argument, NULL, OPT_SEND_FLAGS },
	{ "recv-flags", required_argument, NULL, OPT_RECV_FLAGS },
	{ "dontroute", no_argument, NULL, OPT_DONTROUTE },
	{ "more", no_argument, NULL, OPT_MORE },
	{ "peek", optional_argument, NULL, OPT_PEEK },
	{ "waitall", no_argument, NULL, OPT_WAITALL },
	{ "oob", required_argument, NULL, OPT_OOB },
	{ "oob-after", required_argument, NULL, OPT_OOB_AFTER },
	{ "oob-inline", no_argument, NULL, OPT_OOB_INLINE },
	{ "send-fd", required_argument, NULL, OPT_SEND_FD },
	{ "recv-fd", no_argument, NULL, OPT_RECV_FD },
	{ "recv-fd-out", required_argument, NULL, OPT_RECV_FD_OUT },
	{ "send-creds", no_argument, NULL, OPT_SEND_CREDS },
	{ "recv-creds", no_argument, NULL, OPT_RECV_CREDS },
	{ "trace-format", required_argument, NULL, OPT_TRACE_FORMAT },
	{ "seqpacket", no_argument, NULL, OPT_SEQPACKET },
	{ "unix-dgram", no_argument, NULL, OPT_UNIX_DGRAM },
	{ NULL,			0,			NULL, 0 }
};

/* The longest duration accepted: one year. */
#define DURATION_MAX_MS	(8760LL * 3600 * 1000)

/* Host names longer than DNS allows are refused before any lookup. */
#define HOST_MAX	253

int
opts_error(struct opts_state *st, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(st->err, st->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The short-option string, built from the table. */
static void
opts_shortstring(char *s, size_t size)
{
	const struct option	*o;
	size_t			 n = 0;

	s[n++] = ':';		/* report a missing argument as ':' */
	for (o = opts_table; o->name != NULL && n + 3 < size; o++) {
		if (o->val > CHAR_MAX)
			continue;
		s[n++] = (char)o->val;
		if (o->has_arg == required_argument)
			s[n++] = ':';
	}
	s[n] = '\0';
}

/*
 * A duration: a non-negative decimal number with an optional fraction and
 * an optional unit (ms, s, m, h; seconds when none), into milliseconds.
 * A non-zero value below one millisecond becomes one millisecond.
 */
int
opts_duration(const char *s, int64_t *ms, const char **errstr)
{
	const char	*p = s, *unit;
	char		 num[32];
	double		 v, scale;
	size_t		 digits = 0, n;

	*errstr = "invalid duration (use e.g. 5, 1.5, 250ms, 2m, 1h)";
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (digits == 0 || (n = (size_t)(p - s)) >= sizeof(num))
		return -1;
	unit = p;
	if (*unit == '\0' || strcmp(unit, "s") == 0)
		scale = 1000;
	else if (strcmp(unit, "ms") == 0)
		scale = 1;
	else if (strcmp(unit, "m") == 0)
		scale = 60 * 1000;
	else if (strcmp(unit, "h") == 0)
		scale = 3600 * 1000;
	else
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	v = strtod(num, NULL) * scale;
	if (!isfinite(v) || v > (double)DURATION_MAX_MS) {
		*errstr = "duration too long (at most 8760h)";
		return -1;
	}
	*ms = (int64_t)llround(v);
	if (*ms == 0 && v > 0)
		*ms = 1;
	*errstr = NULL;
	return 0;
}

int
opts_positive_duration(struct opts_state *st, const char *name,
    const char *arg, int64_t *ms)
{
	const char	*errstr;

	if (opts_duration(arg, ms, &errstr) == -1)
		return opts_error(st, "%s \"%s\": %s", name, arg, errstr);
	if (*ms == 0)
		return opts_error(st, "%s \"%s\": must be greater than zero",
		    name, arg);
	return 0;
}

/*
 * An option that takes a number: the one syntax of sockopt_int() (decimal
 * or 0x, K/M/G), from min to max, or a usage error giving the range.
 */
int
opts_number(struct opts_state *st, const char *name, const char *arg,
    long long min, long long max, long long *v)
{
	const char	*errstr;

	if (sockopt_int(arg, min, max, v, &errstr) == -1)
		return opts_error(st, "%s \"%s\": %s (%lld-%lld)", name, arg,
		    errstr, min, max);
	return 0;
}

/* -4, -6, -U, -u, -b and the other transports. */
static int
opts_family(struct opts_state *st, struct sc_opts *o, int ch)
{
	switch (ch) {
	case '4':
		st->family4 = true;
		o->family = AF_INET;
		break;
	case '6':
		st->family6 = true;
		o->family = AF_INET6;
		break;
	case 'U':
		st->unixsock = true;
		break;
	case 'u':
		st->udp = true;
		break;
	case 'b':
		o->broadcast = true;
		break;
	case OPT_UNIX_DGRAM:
		st->unixsock = st->udp = true;
		break;
	case OPT_SEQPACKET:
		st->seqpacket = true;
		break;
	case OPT_SCTP:
		st->sctp = true;
		break;
	default:
		return opts_error(st, "internal error: option %d", ch);
	}
	return 0;
}

/* The timeouts: -q, -w and the --*-timeout family. */
static int
opts_time(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	const char	*errstr;

	switch (ch) {
	case 'q':
		if (opts_duration(arg, &o->quit_after_eof_ms, &errstr) == -1)
			return opts_error(st, "-q \"%s\": %s", arg, errstr);
		break;
	case OPT_ACCEPT_TIMEOUT:
		return opts_positive_duration(st, "--accept-timeout", arg,
		    &o->accept_timeout_ms);
	case 'w':
		st->wait_given = true;
		return opts_positive_duration(st, "-w", arg, &st->wait_ms);
	case OPT_CONNECT_TIMEOUT:
		return opts_positive_duration(st, "--connect-timeout", arg,
		    &o->connect_timeout_ms);
	case OPT_IDLE_TIMEOUT:
		return opts_positive_duration(st, "--idle-timeout", arg,
		    &o->idle_timeout_ms);
	case OPT_MAX_TIME:
		return opts_positive_duration(st, "--max-time", arg,
		    &o->max_time_ms);
	default:
		return opts_error(st, "internal error: option %d", ch);
	}
	return 0;
}

/* The options with no group of their own. */
static int
opts_basic(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'd':
		o->no_stdin = true;
		break;
	case 'k':
		o->keep_open = true;
		break;
	case 'l':
		o->mode = SC_MODE_LISTEN;
		break;
	case 'N':
		st->shutdown_given = true;
		break;
	case 'n':
		o->numeric = true;
		break;
	case 'p':
		st->source_port = arg;
		break;
	case 's':
		o->source_addr = arg;
		break;
	case OPT_TRACE:
		o->trace = true;
		if (arg != NULL && *arg == '\0')
			return opts_error(st, "--trace=: empty file name");
		o->trace_file = arg;
		break;
	case OPT_TRACE_FORMAT:
		if (strcmp(arg, "json") == 0)
			o->trace_json = true;
		else if (strcmp(arg, "text") != 0)
			return opts_error(st, "--trace-format \"%s\": unknown "
			    "format (text, json)", arg);
		st->trace_format_given = true;
		break;
	case 'v':
		o->verbose++;
		break;
	case OPT_EXIT_ON_PEER_EOF:
		o->exit_on_peer_eof = true;
		break;
	case OPT_KEEP_SOCKET:
		o->keep_socket = true;
		break;
	case OPT_NO_SHUTDOWN:
		o->no_shutdown = true;
		break;
	case OPT_PORT_FILE:
		if (*arg == '\0')
			return opts_error(st, "--port-file: empty file name");
		o->port_file = arg;
		break;
	case OPT_RECV_ONLY:
		o->recv_only = true;
		break;
	case OPT_SEND_ONLY:
		o->send_only = true;
		break;
	default:
		return opts_error(st, "internal error: option %d", ch);
	}
	return 0;
}

/* One option: to the parser of its group. */
static int
opts_one(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case OPT_FRAMING: case OPT_RECV_SIZE: case OPT_RECV_INFO:
		return opts_message(st, o, ch, arg);
	case 'C': case 'i': case 'o': case 'r': case 't': case 'z':
	case OPT_HEX_DUMP: case OPT_APPEND_OUTPUT: case OPT_OUTPUT_RECEIVED:
	case OPT_OUTPUT_SENT: case OPT_STATS: case OPT_PROGRESS: case OPT_DELAY:
	case OPT_RETRY: case OPT_RETRY_WAIT: case OPT_RECONNECT:
	case OPT_SCAN_PARALLEL:
		return opts_view(st, o, ch, arg);
	case 'D': case 'F': case 'I': case 'm': case 'M': case 'O': case 'T':
	case OPT_NODELAY: case OPT_CORK: case OPT_QUICKACK: case OPT_KEEPALIVE:
	case OPT_LINGER: case OPT_REUSEPORT: case OPT_BIND_DEVICE:
	case OPT_MARK: case OPT_PRIORITY: case OPT_MSS: case OPT_CONGESTION:
	case OPT_FASTOPEN: case OPT_DEFER_ACCEPT: case OPT_FREEBIND:
	case OPT_TRANSPARENT: case OPT_V6ONLY: case OPT_NO_V6ONLY:
	case OPT_BACKLOG: case OPT_USER_TIMEOUT: case OPT_RCVLOWAT:
	case OPT_SOCKOPT: case OPT_SEND_FLAGS: case OPT_RECV_FLAGS:
	case OPT_DONTROUTE: case OPT_MORE: case OPT_PEEK: case OPT_WAITALL:
	case OPT_OOB: case OPT_OOB_AFTER: case OPT_OOB_INLINE: case OPT_SEND_FD:
	case OPT_RECV_FD: case OPT_RECV_FD_OUT: case OPT_SEND_CREDS:
	case OPT_RECV_CREDS:
		return opts_sock(st, o, ch, arg);
	case 'e': case 'c': case OPT_ECHO: case OPT_BROKER: case OPT_CHAT:
	case OPT_EXEC_STDERR: case OPT_FORWARD: case OPT_FORWARD_UNIX:
	case OPT_MAX_CONNS: case OPT_ALLOW: case OPT_DENY: case OPT_ALLOWFILE:
	case OPT_DENYFILE: case OPT_LISTEN_FD:
		return opts_server(st, o, ch, arg);
	case OPT_MCAST_JOIN: case OPT_MCAST_IFACE: case OPT_MCAST_TTL:
	case OPT_MCAST_LOOP: case OPT_NO_MCAST_LOOP:
		return opts_mcast(st, o, ch, arg);
	case '4': case '6': case 'U': case 'u': case 'b': case OPT_UNIX_DGRAM:
	case OPT_SEQPACKET: case OPT_SCTP:
		return opts_family(st, o, ch);
	case 'q': case OPT_ACCEPT_TIMEOUT: case 'w': case OPT_CONNECT_TIMEOUT:
	case OPT_IDLE_TIMEOUT: case OPT_MAX_TIME:
		return opts_time(st, o, ch, arg);
	default:
		return opts_basic(st, o, ch, arg);
	}
}

/* The option as the user wrote it, for getopt's own failures. */
static void
opts_written(char **argv, char *buf, size_t size)
{
	const char	*a = argv[optind - 1];
	size_t		 n = strcspn(a, "=");

	(void)snprintf(buf, size, "%.*s", (int)(n > 64 ? 64 : n), a);
}

/* The flat list of conflicts; it reads like the man page. */
static int
opts_conflicts(struct opts_state *st, struct sc_opts *o)
{
	bool	 listen = o->mode == SC_MODE_LISTEN;
	bool	 is_unix = o->proto->family == AF_UNIX;

	if (st->family4 && st->family6)
		return opts_error(st, "-4 and -6 cannot be used together");
	if (o->send_only && o->recv_only)
		return opts_error(st,
		    "--send-only and --recv-only cannot be used together");
	if (o->send_only && o->no_stdin)
		return opts_error(st,
		    "--send-only needs stdin, but -d never reads it");
	if (st->trace_format_given && !o->trace)
		return opts_error(st, "--trace-format requires --trace");
	if (st->shutdown_given && o->no_shutdown)
		return opts_error(st,
		    "-N and --no-shutdown cannot be used together");
	if (o->recv_only && o->no_shutdown)
		return opts_error(st,
		    "--recv-only and --no-shutdown cannot be used together");
	if (o->keep_open && !listen)
		return opts_error(st, "-k requires -l");
	if (o->port_file != NULL && !listen)
		return opts_error(st, "--port-file requires -l");
	if (o->port_file != NULL && is_unix)
		return opts_error(st, "--port-file cannot be used with -U");
	if (o->keep_socket && !(listen && is_unix))
		return opts_error(st, "--keep-socket requires -l and -U");
	if (is_unix && (st->family4 || st->family6))
		return opts_error(st, "-4 and -6 cannot be used with -U");
	if (is_unix && st->source_port != NULL)
		return opts_error(st, "-p cannot be used with -U");
	if (is_unix && o->source_addr != NULL &&
	    (listen || o->proto != &sc_proto_unix_dgram))
		return opts_error(st, "-s with -U names the client's own "
		    "address: only for --unix-dgram clients");
	if (opts_dgram_conflicts(st, o) == -1 ||
	    opts_view_conflicts(st, o) == -1 ||
	    opts_sock_conflicts(st, o) == -1)
		return -1;
	return opts_server_conflicts(st, o);
}

/* -l [host] port, -l -p port, -l -s addr -p port */
static int
opts_listen_operands(struct opts_state *st, struct sc_opts *o, int argc,
    char **argv)
{
	const char	*port = NULL, *host = NULL, *errstr;
	int		 pport = -1;

	if (argc > 2)
		return opts_error(st, "too many operands for -l: \"%s\"",
		    argv[2]);
	if (argc == 2) {
		host = argv[0];
		port = argv[1];
	} else if (argc == 1)
		port = argv[0];
	if (port == NULL && st->source_port == NULL)
		return opts_error(st, "-l: no port to listen on");
	if (st->source_port != NULL && addr_parse_port(st->source_port,
	    o->proto->name, true, &pport, &errstr) == -1)
		return opts_error(st, "port \"%s\": %s", st->source_port,
		    errstr);
	if (port == NULL)
		port = st->source_port;
	if (host != NULL && o->source_addr != NULL &&
	    strcmp(host, o->source_addr) != 0)
		return opts_error(st,
		    "-l: address operand \"%s\" differs from -s \"%s\"", host,
		    o->source_addr);
	if (host == NULL)
		host = o->source_addr;
	if (host != NULL && strlen(host) > HOST_MAX)
		return opts_error(st, "host name too long (over %d bytes)",
		    HOST_MAX);
	if (host != NULL && *host == '\0')
		return opts_error(st, "empty host name");
	o->host = host;
	o->source_addr = NULL;
	if (addr_parse_port(port, o->proto->name, true, &o->port,
	    &errstr) == -1)
		return opts_error(st, "port \"%s\": %s", port, errstr);
	if (st->source_port != NULL && pport != o->port)
		return opts_error(st,
		    "-l: port operand \"%s\" differs from -p \"%s\"", port,
		    st->source_port);
	return 0;
}

static int
opts_connect_operands(struct opts_state *st, struct sc_opts *o, int argc,
    char **argv)
{
	const char	*errstr;

	if (argc == 0)
		return opts_error(st, "missing host and port operands");
	if (argc == 1)
		return opts_error(st, "missing port after host \"%s\"",
		    argv[0]);
	if (argc > 2)
		return opts_error(st, "too many operands: \"%s\"", argv[2]);
	if (strlen(argv[0]) > HOST_MAX)
		return opts_error(st, "host name too long (over %d bytes)",
		    HOST_MAX);
	if (*argv[0] == '\0')
		return opts_error(st, "empty host name");
	o->host = argv[0];
	if (addr_parse_port(argv[1], o->proto->name, false, &o->port,
	    &errstr) == -1)
		return opts_error(st, "port \"%s\": %s", argv[1], errstr);
	if (st->source_port != NULL && addr_parse_port(st->source_port,
	    o->proto->name, false, &o->source_port, &errstr) == -1)
		return opts_error(st, "source port \"%s\": %s",
		    st->source_port, errstr);
	if (o->source_addr != NULL && strlen(o->source_addr) > HOST_MAX)
		return opts_error(st, "source address too long (over %d bytes)",
		    HOST_MAX);
	if (o->source_addr != NULL && *o->source_addr == '\0')
		return opts_error(st, "empty source address");
	return 0;
}

static int
opts_unix_operand(struct opts_state *st, struct sc_opts *o, int argc,
    char **argv)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	const char		*errstr;

	if (argc == 0)
		return opts_error(st, "-U: missing socket path");
	if (argc > 1)
		return opts_error(st, "-U: too many operands: \"%s\"", argv[1]);
	if (addr_unix(argv[0], &sun, &len, &errstr) == -1)
		return opts_error(st, "\"%.64s%s\": %s", argv[0],
		    strlen(argv[0]) > 64 ? "..." : "", errstr);
	o->unix_path = argv[0];
	if (o->source_addr != NULL && addr_unix(o->source_addr, &sun, &len,
	    &errstr) == -1)
		return opts_error(st, "-s \"%.64s%s\": %s", o->source_addr,
		    strlen(o->source_addr) > 64 ? "..." : "", errstr);
	return 0;
}

static void
opts_defaults(struct sc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = SC_MODE_CONNECT;
	o->proto = &sc_proto_tcp;
	o->family = AF_UNSPEC;
	o->port = -1;
	o->source_port = -1;
	o->quit_after_eof_ms = SC_NO_TIMEOUT;
	o->connect_timeout_ms = SC_NO_TIMEOUT;
	o->idle_timeout_ms = SC_NO_TIMEOUT;
	o->max_time_ms = SC_NO_TIMEOUT;
	o->framing = SC_FRAMING_RAW;
	o->recv_size = SC_RECV_SIZE;
	o->mcast_ttl = -1;
	o->mcast_loop = -1;
	o->handler = SC_HANDLER_STDIO;
	o->max_conns = SC_MAX_CONNS;
	o->backlog = SC_BACKLOG;
	o->listen_fd = -1;
	o->forward_port = -1;
	o->accept_timeout_ms = SC_NO_TIMEOUT;
	o->retry_wait_ms = 1000;
	o->scan_parallel = 32;
}

/* Does the long option w ("--name") name one that takes no argument? */
static bool
opts_takes_no_arg(const char *w)
{
	const struct option	*o;
	size_t			 n = strlen(w + 2);
	int			 found = 0;
	bool			 noarg = false;

	for (o = opts_table; o->name != NULL; o++) {
		if (strncmp(o->name, w + 2, n) != 0)
			continue;
		if (o->name[n] == '\0')
			return o->has_arg == no_argument;
		found++;
		noarg = o->has_arg == no_argument;
	}
	return found == 1 && noarg;
}

/*
 * Is the long option w ("--name") a prefix of several options, none of them
 * exactly w? Then list them, in the table's order, into buf.
 */
static bool
opts_ambiguous(const char *w, char *buf, size_t size)
{
	const struct option	*o;
	size_t			 n = strlen(w + 2), len = 0;
	int			 found = 0;

	buf[0] = '\0';
	if (n == 0)		/* "--=x": a prefix of everything, no option */
		return false;
	for (o = opts_table; o->name != NULL; o++) {
		if (strncmp(o->name, w + 2, n) != 0)
			continue;
		if (o->name[n] == '\0')
			return false;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s--%s",
			    found > 0 ? ", " : "", o->name);
		found++;
	}
	return found > 1;
}

static enum sc_opts_result
opts_getopt_error(struct opts_state *st, int ch, char **argv)
{
	const char	*a = argv[optind - 1];
	char		 w[80], cand[512];

	if (strncmp(a, "--", 2) == 0)
		opts_written(argv, w, sizeof(w));
	else
		(void)snprintf(w, sizeof(w), "-%c", optopt);
	if (ch == ':')
		opts_error(st, "option %s requires an argument", w);
	else if (strncmp(a, "--", 2) == 0 && strchr(a, '=') != NULL &&
	    opts_takes_no_arg(w))
		opts_error(st, "option %s takes no argument", w);
	else if (strncmp(a, "--", 2) == 0 && opts_ambiguous(w, cand,
	    sizeof(cand)))
		opts_error(st, "option %s is ambiguous (%s)", w, cand);
	else
		opts_error(st, "unknown option %s", w);
	return SC_OPTS_ERROR;
}

/*
 * Parse the command line into *o. Options and operands may be mixed (GNU
 * getopt permutes them); "--" ends the options. On SC_OPTS_ERROR, err
 * holds a one-line message.
 */
static enum sc_opts_result
opts_parse1(int argc, char **argv, struct sc_opts *o, char *err,
    size_t errlen)
{
	struct opts_state	 st;
	char			 shortopts[64];
	int			 ch, rv;

	memset(&st, 0, sizeof(st));
	st.err = err;
	st.errlen = errlen;
	opts_defaults(o);
	opts_shortstring(shortopts, sizeof(shortopts));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, opts_table,
	    NULL)) != -1) {
		if (ch == 'h')
			return SC_OPTS_HELP;
		if (ch == 'V')
			return SC_OPTS_VERSION;
		if (ch == '?' || ch == ':')
			return opts_getopt_error(&st, ch, argv);
		if (opts_one(&st, o, ch, optarg) == -1)
			return SC_OPTS_ERROR;
	}
	if (st.wait_given) {
		/* -w is both; the specific options win over it. */
		if (o->connect_timeout_ms == SC_NO_TIMEOUT)
			o->connect_timeout_ms = st.wait_ms;
		if (o->idle_timeout_ms == SC_NO_TIMEOUT)
			o->idle_timeout_ms = st.wait_ms;
	}
	if (opts_transport(&st, o) == -1 || opts_conflicts(&st, o) == -1)
		return SC_OPTS_ERROR;
	argc -= optind;
	argv += optind;
	if ((rv = opts_inherited(&st, o, argc)) != 0)
		return rv == -1 ? SC_OPTS_ERROR : SC_OPTS_RUN;
	if (o->scan)
		rv = opts_scan_operands(&st, o, argc, argv);
	else if (o->proto->family == AF_UNIX)
		rv = opts_unix_operand(&st, o, argc, argv);
	else if (o->mode == SC_MODE_LISTEN)
		rv = opts_listen_operands(&st, o, argc, argv);
	else
		rv = opts_connect_operands(&st, o, argc, argv);
	if (rv == 0)
		rv = opts_sock_operands(&st, o);
	return rv == -1 ? SC_OPTS_ERROR : SC_OPTS_RUN;
}

/* Parse the command line into o; anything but SC_OPTS_RUN frees it. */
enum sc_opts_result
opts_parse(int argc, char **argv, struct sc_opts *o, char *err, size_t errlen)
{
	enum sc_opts_result	 rv;

	if ((rv = opts_parse1(argc, argv, o, err, errlen)) != SC_OPTS_RUN)
		opts_free(o);
	return rv;
}

/* What opts_parse() allocated. */
void
opts_free(struct sc_opts *o)
{
	sockopt_free(o);
	free((void *)(uintptr_t)o->oob_data);
	o->oob_data = NULL;
	free(o->scan_ports);
	o->scan_ports = NULL;
}
