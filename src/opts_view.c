/*
 * Options for seeing what happens and for scripts: the hex dump, session
 * logs, stats and progress; -C, -i, -t; --retry and --reconnect; the port
 * scan (-z, -r) and its port lists; and their conflicts.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/socket.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"
#include "opts.h"

static int
opts_file(struct opts_state *st, const char *name, const char *arg,
    const char **field)
{
	if (*arg == '\0')
		return opts_error(st, "%s: empty file name", name);
	*field = arg;
	return 0;
}

/* Apply one of these options. */
int
opts_view(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	long long	 v;

	switch (ch) {
	case 'C':
		o->crlf = true;
		return 0;
	case 'i':
	case OPT_DELAY:
		return opts_positive_duration(st, ch == 'i' ? "-i" : "--delay",
		    arg, &o->interval_ms);
	case 'o':
		return opts_file(st, "-o", arg, &o->output);
	case 'r':
		o->randomize = true;
		return 0;
	case 't':
		o->telnet = true;
		return 0;
	case 'z':
		o->scan = true;
		return 0;
	case OPT_HEX_DUMP:
		o->hex_dump = true;
		if (arg != NULL)
			return opts_file(st, "--hex-dump=", arg, &o->hex_file);
		return 0;
	case OPT_APPEND_OUTPUT:
		o->append_output = true;
		return 0;
	case OPT_OUTPUT_RECEIVED:
		return opts_file(st, "--output-received", arg, &o->output_recv);
	case OPT_OUTPUT_SENT:
		return opts_file(st, "--output-sent", arg, &o->output_sent);
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_PROGRESS:
		if (arg == NULL || strcmp(arg, "auto") == 0)
			o->progress = SC_PROGRESS_AUTO;
		else if (strcmp(arg, "always") == 0)
			o->progress = SC_PROGRESS_ALWAYS;
		else
			return opts_error(st, "--progress=%s: want auto or "
			    "always", arg);
		return 0;
	case OPT_RETRY:
		if (opts_number(st, "--retry", arg, 1, INT_MAX, &v) == -1)
			return -1;
		o->retry = (int)v;
		return 0;
	case OPT_RETRY_WAIT:
		st->retry_wait_given = true;
		return opts_positive_duration(st, "--retry-wait", arg,
		    &o->retry_wait_ms);
	case OPT_RECONNECT:
		o->reconnect = true;
		return 0;
	case OPT_SCAN_PARALLEL:
		if (opts_number(st, "--scan-parallel", arg, 1, 1024, &v) == -1)
			return -1;
		o->scan_parallel = (int)v;
		return 0;
	default:
		return opts_error(st, "internal error: option %d", ch);
	}
}

/* The conflicts of these options; they read like the man page. */
int
opts_view_conflicts(struct opts_state *st, struct sc_opts *o)
{
	bool	 listen = o->mode == SC_MODE_LISTEN;
	bool	 stdio = o->handler == SC_HANDLER_STDIO;

	if (o->append_output && o->output == NULL && o->output_recv == NULL &&
	    o->output_sent == NULL && o->hex_file == NULL)
		return opts_error(st, "--append-output requires -o, "
		    "--output-received, --output-sent or --hex-dump=FILE");
	if (o->scan && listen)
		return opts_error(st, "-z and -l cannot be used together");
	if (o->scan && (o->proto->family == AF_UNIX ||
	    o->proto->protocol == IPPROTO_SCTP || o->proto->eof))
		return opts_error(st, "-z scans TCP or UDP ports");
	if (o->scan && !stdio)
		return opts_error(st, "-z cannot be used with a handler");
	if (o->scan && (o->source_addr != NULL || st->source_port != NULL ||
	    o->nsockopts > 0))
		return opts_error(st, "-z probes from plain sockets: not with "
		    "-s, -p or socket options");
	if (o->randomize && !o->scan)
		return opts_error(st, "-r requires -z");
	if (o->scan_parallel != 32 && !o->scan)
		return opts_error(st, "--scan-parallel requires -z");
	if ((o->retry > 0 || o->reconnect) && (listen || o->scan))
		return opts_error(st, "--retry and --reconnect are for "
		    "connecting (not -l or -z)");
	if (st->retry_wait_given && o->retry == 0 && !o->reconnect)
		return opts_error(st, "--retry-wait requires --retry or "
		    "--reconnect");
	if (o->reconnect && (!stdio || o->proto->message))
		return opts_error(st, "--reconnect relays stdin over a stream: "
		    "not with a handler or a message socket");
	if ((o->crlf || o->interval_ms > 0) && !stdio && !o->scan)
		return opts_error(st, "-C and -i are about stdin: not with a "
		    "handler");
	if (o->telnet && o->proto->protocol != IPPROTO_TCP)
		return opts_error(st, "-t answers telnet over TCP only");
	return 0;
}

/* -z HOST PORTS...: each operand a port, a list or a range. */
int
opts_scan_operands(struct opts_state *st, struct sc_opts *o, int argc,
    char **argv)
{
	uint16_t	*ports;
	size_t		 n;
	const char	*errstr;
	uint16_t	*np;
	int		 i;

	if (argc < 2)
		return opts_error(st, "-z: want a host and ports to scan");
	if (strlen(argv[0]) > 253 || *argv[0] == '\0')
		return opts_error(st, "-z: bad host \"%.64s\"", argv[0]);
	o->host = argv[0];
	for (i = 1; i < argc; i++) {
		if (addr_parse_ports(argv[i], o->proto->name, &ports, &n,
		    &errstr) == -1)
			return opts_error(st, "ports \"%s\": %s", argv[i],
			    errstr);
		if (o->nscan + n > 65535 * 4) {
			free(ports);
			return opts_error(st, "-z: too many ports");
		}
		np = reallocarray(o->scan_ports, o->nscan + n, sizeof(*np));
		if (np == NULL) {
			free(ports);
			return opts_error(st, "-z: out of memory");
		}
		o->scan_ports = np;
		memcpy(o->scan_ports + o->nscan, ports, n * sizeof(*ports));
		o->nscan += n;
		free(ports);
	}
	o->port = o->scan_ports[0];
	return 0;
}
