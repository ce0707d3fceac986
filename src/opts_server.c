/*
 * Options of servers and handlers: --echo, --broker, --chat, -e, -c,
 * --forward, --max-conns, --allow and --deny, the inherited listening
 * socket (--listen-fd, systemd's LISTEN_FDS), and their conflicts.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"
#include "opts.h"

/* The first descriptor systemd passes (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START	3

static int
opts_handler(struct opts_state *st, struct sc_opts *o, enum sc_handler_id h)
{
	st->nhandlers++;
	o->handler = h;
	return 0;
}

/* --forward HOST:PORT, with an IPv6 literal in brackets: [::1]:80 */
static int
opts_forward(struct opts_state *st, struct sc_opts *o, char *arg)
{
	char		*host = arg, *port;
	const char	*errstr;

	if (*arg == '[') {
		host = arg + 1;
		if ((port = strchr(host, ']')) == NULL || port[1] != ':')
			return opts_error(st, "--forward \"%s\": want "
			    "[ADDRESS]:PORT", arg);
		*port = '\0';
		port += 2;
	} else {
		if ((port = strrchr(arg, ':')) == NULL)
			return opts_error(st, "--forward \"%s\": want "
			    "HOST:PORT", arg);
		if (memchr(arg, ':', (size_t)(port - arg)) != NULL)
			return opts_error(st, "--forward \"%s\": an IPv6 "
			    "address goes in brackets: [ADDRESS]:PORT", arg);
		*port++ = '\0';
	}
	if (*host == '\0' || strlen(host) > 253)
		return opts_error(st, "--forward: bad host \"%s\"", host);
	if (addr_parse_port(port, "tcp", false, &o->forward_port,
	    &errstr) == -1)
		return opts_error(st, "--forward port \"%s\": %s", port,
		    errstr);
	o->forward_host = host;
	return opts_handler(st, o, SC_HANDLER_FORWARD);
}

static int
opts_acl(struct opts_state *st, struct sc_opts *o, bool deny, bool file,
    const char *arg)
{
	const char	*errstr;

	if (o->nacl == SC_ACL_MAX)
		return opts_error(st, "at most %d --allow, --deny, --allowfile "
		    "and --denyfile", SC_ACL_MAX);
	if (!file && !acl_syntax_ok(arg, &errstr))
		return opts_error(st, "--%s \"%s\": %s", deny ? "deny" :
		    "allow", arg, errstr);
	if (file && *arg == '\0')
		return opts_error(st, "--%sfile: empty file name", deny ?
		    "deny" : "allow");
	o->acl[o->nacl].deny = deny;
	o->acl[o->nacl].file = file;
	o->acl[o->nacl].spec = arg;
	o->nacl++;
	return 0;
}

/* Apply one server or handler option. */
int
opts_server(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	const char		*errstr;
	char			**argv;
	long long		 v;

	switch (ch) {
	case OPT_ECHO:
		return opts_handler(st, o, SC_HANDLER_ECHO);
	case OPT_BROKER:
		return opts_handler(st, o, SC_HANDLER_BROKER);
	case OPT_CHAT:
		return opts_handler(st, o, SC_HANDLER_CHAT);
	case 'e':
		if ((argv = exec_split(arg, &errstr)) == NULL)
			return opts_error(st, "-e \"%s\": %s", arg, errstr);
		free(argv);
		o->exec_cmd = arg;
		return opts_handler(st, o, SC_HANDLER_EXEC);
	case 'c':
		if (*arg == '\0')
			return opts_error(st, "-c: empty command");
		o->exec_cmd = arg;
		return opts_handler(st, o, SC_HANDLER_SH_EXEC);
	case OPT_EXEC_STDERR:
		o->exec_stderr = true;
		return 0;
	case OPT_FORWARD:
		return opts_forward(st, o, (char *)(uintptr_t)arg);
	case OPT_FORWARD_UNIX:
		if (addr_unix(arg, &sun, &len, &errstr) == -1)
			return opts_error(st, "--forward-unix \"%.64s\": %s",
			    arg, errstr);
		o->forward_unix = arg;
		return opts_handler(st, o, SC_HANDLER_FORWARD);
	case OPT_MAX_CONNS:
		st->max_conns_given = true;
		if (opts_number(st, "--max-conns", arg, 1, 1000000, &v) == -1)
			return -1;
		o->max_conns = (size_t)v;
		return 0;
	case OPT_ALLOW:
	case OPT_DENY:
		return opts_acl(st, o, ch == OPT_DENY, false, arg);
	case OPT_ALLOWFILE:
	case OPT_DENYFILE:
		return opts_acl(st, o, ch == OPT_DENYFILE, true, arg);
	case OPT_LISTEN_FD:
		if (opts_number(st, "--listen-fd", arg, 0, INT_MAX, &v) == -1)
			return -1;
		o->listen_fd = (int)v;
		st->listen_fd_given = true;
		return 0;
	default:
		return opts_error(st, "internal error: option %d", ch);
	}
}

/*
 * systemd socket activation: LISTEN_PID names us and LISTEN_FDS counts
 * the sockets passed from descriptor 3 on. The variables are removed, so
 * that children do not take them for theirs. -l then uses descriptor 3.
 */
int
opts_inherited(struct opts_state *st, struct sc_opts *o, int argc)
{
	const char	*pid = getenv("LISTEN_PID");
	const char	*fds = getenv("LISTEN_FDS");
	const char	*errstr;
	long long	 n;

	if (o->mode == SC_MODE_LISTEN && !st->listen_fd_given && pid != NULL &&
	    fds != NULL && strtonum(pid, 1, LLONG_MAX, &errstr) ==
	    (long long)getpid()) {
		n = strtonum(fds, 0, INT_MAX - LISTEN_FDS_START, &errstr);
		if (errstr == NULL && n >= 1)
			o->listen_fd = LISTEN_FDS_START;
		(void)unsetenv("LISTEN_PID");
		(void)unsetenv("LISTEN_FDS");
		(void)unsetenv("LISTEN_FDNAMES");
	}
	if (o->listen_fd < 0)
		return 0;
	if (o->mode != SC_MODE_LISTEN)
		return opts_error(st, "--listen-fd requires -l");
	if (argc > 0)
		return opts_error(st, "-l with an inherited socket "
		    "(--listen-fd or LISTEN_FDS) takes no address or port");
	if (o->port_file != NULL || o->keep_socket)
		return opts_error(st, "--port-file and --keep-socket do not "
		    "apply to an inherited socket");
	return 1;
}

/* The conflicts of servers and handlers; they read like the man page. */
int
opts_server_conflicts(struct opts_state *st, struct sc_opts *o)
{
	bool	 listen = o->mode == SC_MODE_LISTEN;
	bool	 stdio = o->handler == SC_HANDLER_STDIO;

	if (st->nhandlers > 1)
		return opts_error(st, "choose one of --echo, --broker, --chat, "
		    "-e, -c, --forward and --forward-unix");
	if (!listen && (o->handler == SC_HANDLER_BROKER ||
	    o->handler == SC_HANDLER_CHAT ||
	    o->handler == SC_HANDLER_FORWARD))
		return opts_error(st, "--broker, --chat and --forward require "
		    "-l");
	if (o->exec_stderr && o->handler != SC_HANDLER_EXEC &&
	    o->handler != SC_HANDLER_SH_EXEC)
		return opts_error(st, "--exec-stderr requires -e or -c");
	if (!stdio && (o->no_stdin || o->send_only || o->recv_only ||
	    o->no_shutdown || o->exit_on_peer_eof ||
	    o->quit_after_eof_ms != SC_NO_TIMEOUT))
		return opts_error(st, "-d, -q, --send-only, --recv-only, "
		    "--no-shutdown and --exit-on-peer-eof are about "
		    "stdin/stdout: not with a handler");
	if (!listen && st->max_conns_given)
		return opts_error(st, "--max-conns requires -l");
	if (!listen && o->accept_timeout_ms != SC_NO_TIMEOUT)
		return opts_error(st, "--accept-timeout requires -l");
	if (!listen && o->nacl > 0)
		return opts_error(st, "--allow and --deny require -l");
	if (o->nacl > 0 && o->proto->family == AF_UNIX)
		return opts_error(st, "--allow and --deny need IP clients: not "
		    "with -U");
	if (st->listen_fd_given && (st->udp || st->unixsock ||
	    st->seqpacket || st->sctp))
		return opts_error(st, "--listen-fd takes the transport from "
		    "the socket: no -u, -U, --seqpacket or --sctp");
	return 0;
}
