/*
 * Options of the sockets API: socket options (-I -O -T -M -m -D, the long
 * ones, --sockopt), send and receive flags, --peek, --waitall, urgent
 * data, and the UNIX extras (descriptors and credentials); and their
 * conflicts, which know which flag and option suits which socket.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"
#include "opts.h"

/*
 * One option into the list; when and on which sockets it is set comes
 * from the table of names.c, as for --sockopt.
 */
static int
opts_so(struct opts_state *st, struct sc_opts *o, const char *label,
    int level, int name, int type, int ival, const char *sval,
    enum sc_so_only only, enum sc_so_kind kind)
{
	struct sc_sockopt	 so;

	memset(&so, 0, sizeof(so));
	so.level = level;
	so.name = name;
	so.type = type;
	so.ival = ival;
	so.only = only;
	so.kind = kind;
	sockopt_rules(&so);
	(void)snprintf(so.label, sizeof(so.label), "%s", label);
	if (sval != NULL && (so.sval = strdup(sval)) == NULL)
		return opts_error(st, "out of memory");
	if (sockopt_add(o, &so) == -1) {
		free(so.sval);
		return opts_error(st, "out of memory");
	}
	return 0;
}

/* A plain integer option, on any socket of only. */
static int
opts_so_int(struct opts_state *st, struct sc_opts *o, const char *opt,
    const char *arg, long long min, long long max, int level, int name,
    const char *cname, enum sc_so_only only)
{
	char		 label[64];
	long long	 v;

	if (opts_number(st, opt, arg, min, max, &v) == -1)
		return -1;
	(void)snprintf(label, sizeof(label), "%s %lld", cname, v);
	/* SO_MARK is a u32: its upper half as the int of the same bits. */
	return opts_so(st, o, label, level, name, SC_OPT_INT,
	    (int)(unsigned int)v, NULL, only, SC_SO_PLAIN);
}

static int
opts_so_on(struct opts_state *st, struct sc_opts *o, int level, int name,
    const char *cname, enum sc_so_only only, enum sc_so_kind kind)
{
	return opts_so(st, o, cname, level, name, SC_OPT_BOOL, 1, NULL, only,
	    kind);
}

/* --keepalive[=IDLE,INTVL,CNT], each in the range the table gives it. */
static int
opts_keepalive(struct opts_state *st, struct sc_opts *o, const char *arg)
{
	static const int	 names[3] = { TCP_KEEPIDLE, TCP_KEEPINTVL,
	    TCP_KEEPCNT };
	const struct sc_optname	*on;
	char			 buf[64], opt[64], *p, *q;
	int			 i;

	if (opts_so_on(st, o, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE",
	    SC_ON_ANY, SC_SO_PLAIN) == -1)
		return -1;
	if (arg == NULL)
		return 0;
	if (strlen(arg) >= sizeof(buf))
		return opts_error(st, "--keepalive: too long");
	p = strcpy(buf, arg);
	for (i = 0; i < 3 && p != NULL; i++) {
		if ((q = strchr(p, ',')) != NULL)
			*q++ = '\0';
		if (*p != '\0') {
			on = names_option(IPPROTO_TCP, names[i]);
			(void)snprintf(opt, sizeof(opt), "--keepalive %s",
			    on->name);
			if (opts_so_int(st, o, opt, p, on->min, on->max,
			    IPPROTO_TCP, names[i], on->name, SC_ON_TCP) == -1)
				return -1;
		}
		p = q;
	}
	if (p != NULL)
		return opts_error(st, "--keepalive \"%s\": want IDLE,INTVL,CNT",
		    arg);
	return 0;
}

/* -T, -M, -m: options whose name depends on the family. */
static int
opts_ip_kind(struct opts_state *st, struct sc_opts *o, int ch,
    const char *arg)
{
	char		 label[64];
	const char	*errstr;
	long long	 v;
	int		 tos;

	if (ch == 'T') {
		if (sockopt_tos(arg, &tos, &errstr) == -1)
			return opts_error(st, "-T \"%s\": %s", arg, errstr);
		(void)snprintf(label, sizeof(label), "IP_TOS %#x", tos);
		return opts_so(st, o, label, IPPROTO_IP, IP_TOS, SC_OPT_INT,
		    tos, NULL, SC_ON_IP, SC_SO_TOS);
	}
	if (opts_number(st, ch == 'M' ? "-M" : "-m", arg, ch == 'M' ? 1 : 0,
	    255, &v) == -1)
		return -1;
	(void)snprintf(label, sizeof(label), "%s %lld", ch == 'M' ? "IP_TTL" :
	    "IP_MINTTL", v);
	return opts_so(st, o, label, IPPROTO_IP, ch == 'M' ? IP_TTL :
	    IP_MINTTL, SC_OPT_INT, (int)v, NULL, SC_ON_IP, ch == 'M' ?
	    SC_SO_TTL : SC_SO_MINTTL);
}

/*
 * MSG_* names (any case, MSG_ optional) or numbers, comma-separated. A
 * known flag of the other direction is refused, given by name or within
 * a number; bits the table does not know pass through.
 */
static int
opts_flags(struct opts_state *st, const char *opt, const char *arg,
    int *flags)
{
	char		 buf[256], nb[64], *p, *q;
	const char	*errstr;
	long long	 v;
	int		 f, other;
	bool		 send = strcmp(opt, "--send-flags") == 0;

	if (strlen(arg) >= sizeof(buf) || *arg == '\0')
		return opts_error(st, "%s: want a list of MSG_* names", opt);
	for (p = strcpy(buf, arg); p != NULL; p = q) {
		if ((q = strchr(p, ',')) != NULL)
			*q++ = '\0';
		if ((f = names_msgflag(p)) == -1) {
			if (sockopt_int(p, 0, INT_MAX, &v, &errstr) == -1)
				return opts_error(st, "%s: unknown flag \"%s\" "
				    "(%s)", opt, p, names_msgflag_list(send));
			f = (int)v;
		}
		if ((other = names_msgflag_other(f, send)) == 0) {
			*flags |= f;
			continue;
		}
		errstr = names_msgflag_dir(other, !send) ? (send ?
		    "a flag for receiving" : "a flag for sending") :
		    "only reported by the kernel, never passed in";
		if (names_msgflag(p) != -1)
			return opts_error(st, "%s: \"%s\" is %s", opt, p,
			    errstr);
		return opts_error(st, "%s: \"%s\" has %s, %s", opt, p,
		    names_msgflags(other, nb, sizeof(nb)), errstr);
	}
	return 0;
}

/* C escapes of --oob: \\xHH, \\NNN, \\n, \\r, \\t, \\0, \\\\ and friends. */
static int
opts_unescape(const char *in, char *out, size_t *n)
{
	const char	*p;
	size_t		 len = 0;
	int		 v, k;

	for (p = in; *p != '\0'; p++) {
		if (*p != '\\') {
			out[len++] = *p;
			continue;
		}
		switch (*++p) {
		case 'n': out[len++] = '\n'; break;
		case 'r': out[len++] = '\r'; break;
		case 't': out[len++] = '\t'; break;
		case 'a': out[len++] = '\a'; break;
		case 'e': out[len++] = '\033'; break;
		case '\\': out[len++] = '\\'; break;
		case 'x':
			for (v = 0, k = 0; k < 2 && isxdigit((unsigned char)
			    p[1]); k++, p++)
				v = v * 16 + (isdigit((unsigned char)p[1]) ?
				    p[1] - '0' : (p[1] | 0x20) - 'a' + 10);
			if (k == 0)
				return -1;
			out[len++] = (char)v;
			break;
		default:
			if (*p < '0' || *p > '7')
				return -1;
			for (v = 0, k = 0; k < 3 && *p >= '0' && *p <= '7';
			    k++, p++)
				v = v * 8 + (*p - '0');
			p--;
			if (v > 0377)	/* \400 and up are not a byte */
				return -1;
			out[len++] = (char)v;
			break;
		}
	}
	*n = len;
	return 0;
}

static int
opts_oob(struct opts_state *st, struct sc_opts *o, const char *arg)
{
	char	*buf;
	size_t	 n = 0;

	if ((buf = malloc(strlen(arg) + 1)) == NULL)
		return opts_error(st, "out of memory");
	if (opts_unescape(arg, buf, &n) == -1) {
		free(buf);
		return opts_error(st, "--oob \"%s\": bad escape", arg);
	}
	if (n == 0) {
		free(buf);
		return opts_error(st, "--oob: no data");
	}
	free((void *)(uintptr_t)o->oob_data);
	o->oob_data = buf;
	o->oob_len = n;
	return 0;
}

static int	opts_listen_named(struct opts_state *, struct sc_opts *, int,
		    const char *);

/* Socket options with a fixed meaning. */
static int
opts_named(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	long long	 v;
	char		 label[64];

	switch (ch) {
	case 'I':
		return opts_so_int(st, o, "-I", arg, 1, INT_MAX, SOL_SOCKET,
		    SO_RCVBUF, "SO_RCVBUF", SC_ON_ANY);
	case 'O':
		return opts_so_int(st, o, "-O", arg, 1, INT_MAX, SOL_SOCKET,
		    SO_SNDBUF, "SO_SNDBUF", SC_ON_ANY);
	case 'D':
		return opts_so_on(st, o, SOL_SOCKET, SO_DEBUG, "SO_DEBUG",
		    SC_ON_ANY, SC_SO_PLAIN);
	case OPT_NODELAY:
		return opts_so_on(st, o, IPPROTO_TCP, TCP_NODELAY,
		    "TCP_NODELAY", SC_ON_TCP, SC_SO_PLAIN);
	case OPT_CORK:
		return opts_so_on(st, o, IPPROTO_TCP, TCP_CORK, "TCP_CORK",
		    SC_ON_TCP, SC_SO_PLAIN);
	case OPT_QUICKACK:
		return opts_so_on(st, o, IPPROTO_TCP, TCP_QUICKACK,
		    "TCP_QUICKACK", SC_ON_TCP, SC_SO_PLAIN);
	case OPT_KEEPALIVE:
		return opts_keepalive(st, o, arg);
	case OPT_LINGER:
		if (opts_number(st, "--linger", arg, 0, 65535, &v) == -1)
			return -1;
		(void)snprintf(label, sizeof(label), "SO_LINGER %llds", v);
		return opts_so(st, o, label, SOL_SOCKET, SO_LINGER,
		    SC_OPT_LINGER, (int)v, NULL, SC_ON_ANY, SC_SO_PLAIN);
	case OPT_REUSEPORT:
		return opts_so_on(st, o, SOL_SOCKET, SO_REUSEPORT,
		    "SO_REUSEPORT", SC_ON_ANY, SC_SO_PLAIN);
	case OPT_BIND_DEVICE:
		if (*arg == '\0' || strlen(arg) >= 16)
			return opts_error(st, "--bind-device \"%s\": not an "
			    "interface name", arg);
		(void)snprintf(label, sizeof(label), "SO_BINDTODEVICE %s", arg);
		return opts_so(st, o, label, SOL_SOCKET, SO_BINDTODEVICE,
		    SC_OPT_STRING, 0, arg, SC_ON_ANY, SC_SO_PLAIN);
	case OPT_MARK:
		return opts_so_int(st, o, "--mark", arg, 0, UINT32_MAX,
		    SOL_SOCKET, SO_MARK, "SO_MARK", SC_ON_ANY);
	case OPT_PRIORITY:
		return opts_so_int(st, o, "--priority", arg, 0, 6, SOL_SOCKET,
		    SO_PRIORITY, "SO_PRIORITY", SC_ON_ANY);
	case OPT_MSS:
		return opts_so_int(st, o, "--mss", arg, 88, 65535, IPPROTO_TCP,
		    TCP_MAXSEG, "TCP_MAXSEG", SC_ON_TCP);
	case OPT_CONGESTION:
		if (*arg == '\0' || strlen(arg) >= 16)
			return opts_error(st, "--congestion \"%s\": not an "
			    "algorithm name", arg);
		(void)snprintf(label, sizeof(label), "TCP_CONGESTION %s", arg);
		return opts_so(st, o, label, IPPROTO_TCP, TCP_CONGESTION,
		    SC_OPT_STRING, 0, arg, SC_ON_TCP, SC_SO_PLAIN);
	case OPT_USER_TIMEOUT:
		return opts_so_int(st, o, "--user-timeout", arg, 0, INT_MAX,
		    IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT",
		    SC_ON_TCP);
	case OPT_RCVLOWAT:
		st->rcvlowat_given = true;
		return opts_so_int(st, o, "--rcvlowat", arg, 1, INT_MAX,
		    SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT", SC_ON_ANY);
	default:
		return opts_listen_named(st, o, ch, arg);
	}
}

/* Options for listeners, clients, and the family. */
static int
opts_listen_named(struct opts_state *st, struct sc_opts *o, int ch,
    const char *arg)
{
	long long	 v;
	char		 label[64];

	switch (ch) {
	case OPT_FASTOPEN:
		/* TCP_FASTOPEN for a listener, TCP_FASTOPEN_CONNECT else */
		st->fastopen = true;
		if (opts_so(st, o, "TCP_FASTOPEN 16", IPPROTO_TCP, TCP_FASTOPEN,
		    SC_OPT_INT, 16, NULL, SC_ON_TCP, SC_SO_PLAIN) == -1)
			return -1;
		return opts_so_on(st, o, IPPROTO_TCP, TCP_FASTOPEN_CONNECT,
		    "TCP_FASTOPEN_CONNECT", SC_ON_TCP, SC_SO_PLAIN);
	case OPT_DEFER_ACCEPT:
		st->defer_accept = true;
		if (opts_number(st, "--defer-accept", arg, 1, 3600, &v) == -1)
			return -1;
		(void)snprintf(label, sizeof(label), "TCP_DEFER_ACCEPT %lld",
		    v);
		return opts_so(st, o, label, IPPROTO_TCP, TCP_DEFER_ACCEPT,
		    SC_OPT_INT, (int)v, NULL, SC_ON_TCP, SC_SO_PLAIN);
	case OPT_FREEBIND:
		return opts_so_on(st, o, IPPROTO_IP, IP_FREEBIND, "IP_FREEBIND",
		    SC_ON_IP, SC_SO_FREEBIND);
	case OPT_TRANSPARENT:
		return opts_so_on(st, o, IPPROTO_IP, IP_TRANSPARENT,
		    "IP_TRANSPARENT", SC_ON_IP, SC_SO_TRANSPARENT);
	case OPT_V6ONLY:
	case OPT_NO_V6ONLY:
		return opts_so(st, o, ch == OPT_V6ONLY ? "IPV6_V6ONLY 1" :
		    "IPV6_V6ONLY 0", IPPROTO_IPV6, IPV6_V6ONLY, SC_OPT_BOOL,
		    ch == OPT_V6ONLY, NULL, SC_ON_V6, SC_SO_PLAIN);
	case OPT_BACKLOG:
		st->backlog_given = true;
		if (opts_number(st, "--backlog", arg, 0, INT_MAX, &v) == -1)
			return -1;
		o->backlog = (int)v;
		return 0;
	default:
		return opts_error(st, "internal error: option %d", ch);
	}
}

/* Apply one option of the sockets API. */
int
opts_sock(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	struct sc_sockopt	 so;
	char			 msg[256];
	const char		*errstr;
	long long		 v;

	switch (ch) {
	case 'T':
	case 'M':
	case 'm':
		return opts_ip_kind(st, o, ch, arg);
	case 'F':
		o->pass_fd = true;
		return 0;
	case OPT_SOCKOPT:
		if (sockopt_parse(arg, &so, msg, sizeof(msg)) == -1)
			return opts_error(st, "--sockopt \"%s\": %s", arg, msg);
		if (sockopt_add(o, &so) == -1)
			return opts_error(st, "out of memory");
		return 0;
	case OPT_SEND_FLAGS:
		return opts_flags(st, "--send-flags", arg, &o->send_flags);
	case OPT_RECV_FLAGS:
		return opts_flags(st, "--recv-flags", arg, &o->recv_flags);
	case OPT_DONTROUTE:
		o->send_flags |= MSG_DONTROUTE;
		return 0;
	case OPT_MORE:
		o->send_flags |= MSG_MORE;
		return 0;
	case OPT_PEEK:
		o->peek = 64;
		if (arg != NULL && opts_number(st, "--peek", arg, 1, 65536,
		    &v) == -1)
			return -1;
		if (arg != NULL)
			o->peek = (int)v;
		return 0;
	case OPT_WAITALL:
		o->waitall = true;
		return 0;
	case OPT_OOB:
		return opts_oob(st, o, arg);
	case OPT_OOB_AFTER:
		if (sockopt_int(arg, 0, LLONG_MAX / 2, &v, &errstr) == -1)
			return opts_error(st, "--oob-after \"%s\": %s", arg,
			    errstr);
		o->oob_after = v;
		st->oob_after_given = true;
		return 0;
	case OPT_OOB_INLINE:
		o->oob_inline = true;
		return opts_so_on(st, o, SOL_SOCKET, SO_OOBINLINE,
		    "SO_OOBINLINE", SC_ON_TCP, SC_SO_PLAIN);
	case OPT_SEND_FD:
		if (*arg == '\0')
			return opts_error(st, "--send-fd: empty file name");
		/* The number is read where it is used (anc.c): digits only. */
		if (strncmp(arg, "fd:", 3) == 0 && (arg[3] == '\0' ||
		    strspn(arg + 3, "0123456789") != strlen(arg + 3)))
			return opts_error(st, "--send-fd \"%s\": want fd: and "
			    "a descriptor number", arg);
		o->send_fd = arg;
		return 0;
	case OPT_RECV_FD:
		o->recv_fd = true;
		return 0;
	case OPT_RECV_FD_OUT:
		if (*arg == '\0')
			return opts_error(st, "--recv-fd-out: empty file name");
		o->recv_fd_out = arg;
		o->recv_fd = true;
		return 0;
	case OPT_SEND_CREDS:
		o->send_creds = true;
		return 0;
	case OPT_RECV_CREDS:
		o->recv_creds = true;
		return 0;
	default:
		return opts_named(st, o, ch, arg);
	}
}

/* Which flags suit which socket. */
static int
opts_flag_conflicts(struct opts_state *st, const struct sc_opts *o)
{
	const struct sc_proto	*p = o->proto;
	bool			 tcp = p->protocol == IPPROTO_TCP;
	bool			 stream = !p->message;
	bool			 ip = p->family != AF_UNIX;
	int			 rf = o->recv_flags, sf = o->send_flags;

	if (rf & MSG_PEEK)
		return opts_error(st, "--recv-flags peek would read the same "
		    "bytes for ever: use --peek");
	if (rf & MSG_OOB)
		return opts_error(st, "--recv-flags oob: urgent data is read "
		    "by default (or kept in the stream with --oob-inline)");
#ifdef MSG_ERRQUEUE
	if (rf & MSG_ERRQUEUE)
		return opts_error(st, "--recv-flags errqueue reads the error "
		    "queue, not data");
#endif
	if ((rf & MSG_TRUNC) && tcp)
		return opts_error(st, "--recv-flags trunc: TCP would discard "
		    "the data instead of reading it");
	if ((rf & MSG_WAITALL) && !stream)
		return opts_error(st, "--recv-flags waitall: messages come "
		    "whole anyway (it is for streams)");
	if ((sf & MSG_OOB) && !stream)
		return opts_error(st, "--send-flags oob: urgent data needs a "
		    "stream (TCP)");
	if ((sf & MSG_EOR) && !p->eof && p->protocol != IPPROTO_SCTP)
		return opts_error(st, "--send-flags eor: records need "
		    "SEQPACKET or SCTP, not %s", p->name);
#ifdef MSG_CONFIRM
	if ((sf & MSG_CONFIRM) && (stream || !ip))
		return opts_error(st, "--send-flags confirm is for UDP");
#endif
	if ((sf & MSG_DONTROUTE) && !ip)
		return opts_error(st, "--send-flags dontroute: a UNIX socket "
		    "is not routed");
	/* a datagram corked by MSG_MORE would wait for ever for the rest */
	if ((sf & MSG_MORE) && (!ip || !stream))
		return opts_error(st, "--send-flags more is for TCP: each "
		    "message would wait for more that never comes");
#ifdef MSG_ZEROCOPY
	if ((sf & MSG_ZEROCOPY) && !tcp)
		return opts_error(st, "--send-flags zerocopy is for TCP");
#endif
	return 0;
}

/* The option a handler would leave unused, or NULL. */
static const char *
opts_stdio_only(const struct sc_opts *o)
{
	if (o->peek)
		return "--peek";
	if (o->waitall)
		return "--waitall";
	if (o->oob_data != NULL)
		return "--oob";
	if (o->send_flags || o->recv_flags)
		return "--send-flags, --recv-flags, --dontroute and --more";
	if (o->send_fd != NULL)
		return "--send-fd";
	if (o->recv_fd)
		return o->recv_fd_out != NULL ? "--recv-fd-out" : "--recv-fd";
	if (o->send_creds)
		return "--send-creds";
	if (o->recv_creds)
		return "--recv-creds";
	return NULL;
}

/* The option that chose a handler, for messages. */
static const char *
opts_handler_name(const struct sc_opts *o)
{
	switch (o->handler) {
	case SC_HANDLER_ECHO:
		return "--echo";
	case SC_HANDLER_BROKER:
		return "--broker";
	case SC_HANDLER_CHAT:
		return "--chat";
	case SC_HANDLER_EXEC:
		return "-e";
	case SC_HANDLER_SH_EXEC:
		return "-c";
	case SC_HANDLER_FORWARD:
		return o->forward_unix != NULL ? "--forward-unix" :
		    "--forward";
	default:
		return "a handler";
	}
}

/* -I and --sockopt of a given option, or NULL. */
static const struct sc_sockopt *
opts_find_so(const struct sc_opts *o, int level, int name, bool raw)
{
	size_t	 i;

	for (i = o->nsockopts; i > 0; i--) {
		if (o->sockopts[i - 1].level == level &&
		    o->sockopts[i - 1].name == name &&
		    o->sockopts[i - 1].raw == raw)
			return &o->sockopts[i - 1];
	}
	return NULL;
}

/*
 * --waitall: TCP, with --recv-size; sockcat sets SO_RCVLOWAT itself, and
 * the kernel keeps it at no more than half the receive buffer, which -I
 * asks for and the kernel doubles.
 */
static int
opts_waitall_conflicts(struct opts_state *st, const struct sc_opts *o)
{
	const struct sc_sockopt	*rb;

	if (!o->waitall)
		return 0;
	if (o->proto->protocol != IPPROTO_TCP)
		return opts_error(st, "--waitall reads TCP data in records: "
		    "not for %s sockets", o->proto->name);
	if (!st->recv_size_given)
		return opts_error(st, "--waitall needs --recv-size, the size "
		    "of a record");
	if (o->telnet)
		return opts_error(st, "--waitall reads whole records: not with "
		    "-t, which takes bytes out");
	if (st->rcvlowat_given || opts_find_so(o, SOL_SOCKET, SO_RCVLOWAT,
	    true) != NULL)
		return opts_error(st, "--waitall sets SO_RCVLOWAT to "
		    "--recv-size: not with --rcvlowat");
	rb = opts_find_so(o, SOL_SOCKET, SO_RCVBUF, false);
	if (rb != NULL && (size_t)rb->ival < o->recv_size)
		return opts_error(st, "--waitall: -I %d is less than "
		    "--recv-size %zu: the kernel would not wait for whole "
		    "records", rb->ival, o->recv_size);
	return 0;
}

/* Each --sockopt for a listener or a client only in its mode. */
static int
opts_role_conflicts(struct opts_state *st, const struct sc_opts *o)
{
	const struct sc_sockopt	*so;
	size_t			 i;
	bool			 listen = o->mode == SC_MODE_LISTEN;

	for (i = 0; i < o->nsockopts; i++) {
		so = &o->sockopts[i];
		if (!so->raw)
			continue;
		if (so->role == SC_ROLE_LISTENER && (!listen ||
		    !o->proto->accepts))
			return opts_error(st, "--sockopt %s is for a TCP "
			    "listener (-l)", so->label);
		if (so->role == SC_ROLE_CLIENT && listen)
			return opts_error(st, "--sockopt %s is for a client, "
			    "not with -l", so->label);
	}
	return 0;
}

/* The conflicts of the sockets API's options. */
int
opts_sock_conflicts(struct opts_state *st, struct sc_opts *o)
{
	const struct sc_proto	*p = o->proto;
	bool			 tcp = p->protocol == IPPROTO_TCP;
	bool			 unixsock = p->family == AF_UNIX;
	const char		*what;
	size_t			 i;

	for (i = 0; i < o->nsockopts; i++) {
		const struct sc_sockopt	*so = &o->sockopts[i];

		if ((so->only == SC_ON_TCP && !tcp) ||
		    (so->only != SC_ON_ANY && unixsock))
			return opts_error(st, "%s does not apply to %s sockets",
			    so->label, p->name);
		if (so->only == SC_ON_V6 && st->family4)
			return opts_error(st, "%s does not apply to IPv4 "
			    "sockets (-4)", so->label);
	}
	if (opts_role_conflicts(st, o) == -1 ||
	    opts_waitall_conflicts(st, o) == -1)
		return -1;
	if ((o->oob_data != NULL || o->oob_inline) && !tcp)
		return opts_error(st, "--oob and --oob-inline are for TCP");
	if (st->oob_after_given && o->oob_data == NULL)
		return opts_error(st, "--oob-after requires --oob");
	if ((st->fastopen || st->defer_accept) && !tcp)
		return opts_error(st, "--fastopen and --defer-accept are for "
		    "TCP");
	if (st->defer_accept && o->mode != SC_MODE_LISTEN)
		return opts_error(st, "--defer-accept requires -l");
	if (st->backlog_given && o->mode != SC_MODE_LISTEN)
		return opts_error(st, "--backlog requires -l");
	if ((o->send_fd != NULL || o->recv_fd || o->send_creds ||
	    o->recv_creds) && !unixsock)
		return opts_error(st, "--send-fd, --recv-fd, --send-creds and "
		    "--recv-creds need a UNIX socket (-U)");
	if (o->pass_fd && (o->mode != SC_MODE_CONNECT || o->scan))
		return opts_error(st, "-F passes a connected socket: not with "
		    "-l or -z");
	if (o->handler != SC_HANDLER_STDIO &&
	    (what = opts_stdio_only(o)) != NULL)
		return opts_error(st, "%s %s for stdin/stdout: not with %s",
		    what, strchr(what, ',') != NULL ? "are" : "is",
		    opts_handler_name(o));
	return opts_flag_conflicts(st, o);
}

/*
 * After the operands: an IPv6-only option with an IPv4 address, where no
 * IPv6 socket can come.
 */
int
opts_sock_operands(struct opts_state *st, const struct sc_opts *o)
{
	struct in_addr	 a4;
	const char	*host = o->host;
	size_t		 i;

	if (host == NULL || inet_pton(AF_INET, host, &a4) != 1)
		return 0;
	for (i = 0; i < o->nsockopts; i++) {
		if (o->sockopts[i].only == SC_ON_V6)
			return opts_error(st, "%s does not apply to IPv4 "
			    "sockets (%s)", o->sockopts[i].label, host);
	}
	return 0;
}
