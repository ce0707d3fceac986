/*
 * Options of message sockets: the transport (-u, -U, --seqpacket, --sctp),
 * framing, receive size, broadcast and multicast, and their conflicts.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/socket.h>

#include <net/if.h>

#include <limits.h>
#include <netdb.h>
#include <string.h>

#include "sockcat.h"
#include "opts.h"

/* Options for message sockets. */
int
opts_message(struct opts_state *st, struct sc_opts *o, int ch,
    const char *arg)
{
	long long	 v;

	switch (ch) {
	case OPT_FRAMING:
		st->framing_given = true;
		if (framing_parse(arg, &o->framing) == -1)
			return opts_error(st, "--framing \"%s\": unknown "
			    "framing (raw, line, nul, len32)", arg);
		break;
	case OPT_RECV_SIZE:
		st->recv_size_given = true;
		if (opts_number(st, "--recv-size", arg, 1, SC_SEND_MAX,
		    &v) == -1)
			return -1;
		o->recv_size = (size_t)v;
		break;
	default:
		o->recv_info = true;
		break;
	}
	return 0;
}

/* A multicast group: a numeric IPv4 or IPv6 multicast address. */
static int
opts_mcast_group(struct opts_state *st, struct sc_opts *o, const char *arg)
{
	struct addrinfo	 hints, *res;
	bool		 mcast;

	if (o->nmcast == SC_MCAST_MAX)
		return opts_error(st, "--mcast-join: at most %d groups",
		    SC_MCAST_MAX);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(arg, NULL, &hints, &res) != 0)
		return opts_error(st, "--mcast-join \"%s\": not a numeric "
		    "IPv4 or IPv6 address", arg);
	mcast = addr_is_multicast(res->ai_addr);
	freeaddrinfo(res);
	if (!mcast)
		return opts_error(st, "--mcast-join \"%s\": not a multicast "
		    "group address (224.0.0.0/4, ff00::/8)", arg);
	o->mcast_group[o->nmcast++] = arg;
	return 0;
}

int
opts_mcast(struct opts_state *st, struct sc_opts *o, int ch, const char *arg)
{
	const char	*errstr;
	long long	 v;

	switch (ch) {
	case OPT_MCAST_JOIN:
		return opts_mcast_group(st, o, arg);
	case OPT_MCAST_IFACE:
		o->mcast_iface = arg;
		o->mcast_ifindex = (unsigned int)strtonum(arg, 1, INT_MAX,
		    &errstr);
		if (errstr != NULL && (o->mcast_ifindex =
		    if_nametoindex(arg)) == 0)
			return opts_error(st, "--mcast-iface \"%s\": no such "
			    "interface", arg);
		break;
	case OPT_MCAST_TTL:
		st->mcast_ttl_given = true;
		if (opts_number(st, "--mcast-ttl", arg, 0, 255, &v) == -1)
			return -1;
		o->mcast_ttl = (int)v;
		break;
	case OPT_MCAST_LOOP:
		st->mcast_loop_given = true;
		o->mcast_loop = 1;
		break;
	default:
		st->no_mcast_loop_given = true;
		o->mcast_loop = 0;
		break;
	}
	return 0;
}

/* The transport, from -u, -U, --seqpacket and --sctp. */
int
opts_transport(struct opts_state *st, struct sc_opts *o)
{
	if (st->sctp && st->unixsock)
		return opts_error(st, "--sctp cannot be used with -U");
	if (st->sctp && st->udp)
		return opts_error(st, "--sctp cannot be used with -u");
	if (st->seqpacket && st->udp)
		return opts_error(st, "--seqpacket cannot be used with -u");
	if (st->seqpacket && !st->unixsock && !st->sctp)
		return opts_error(st, "--seqpacket requires -U or --sctp");
	if (st->unixsock)
		o->proto = st->udp ? &sc_proto_unix_dgram : st->seqpacket ?
		    &sc_proto_unix_seqpacket : &sc_proto_unix;
	else if (st->sctp)
		o->proto = st->seqpacket ? &sc_proto_sctp_seqpacket :
		    &sc_proto_sctp;
	else if (st->udp)
		o->proto = &sc_proto_udp;
	return 0;
}

static int	opts_mcast_families(struct opts_state *,
		    const struct sc_opts *);

/* Conflicts of the datagram options. */
int
opts_dgram_conflicts(struct opts_state *st, const struct sc_opts *o)
{
	bool	 ip_dgram = o->proto == &sc_proto_udp;

	if (st->framing_given && !o->proto->message && !o->waitall)
		return opts_error(st, "--framing applies to message sockets "
		    "(-u, --unix-dgram, --seqpacket), or with --waitall");
	if (st->recv_size_given && !o->proto->message && !o->waitall)
		return opts_error(st, "--recv-size applies to message sockets "
		    "(-u, --unix-dgram, --seqpacket), or with --waitall");
	if (o->recv_info && !ip_dgram)
		return opts_error(st, "--recv-info requires -u (UDP)");
	if (o->broadcast && !ip_dgram)
		return opts_error(st, "-b requires -u (UDP)");
	if (o->nmcast > 0 && !ip_dgram)
		return opts_error(st, "--mcast-join requires -u (UDP)");
	if (o->mcast_iface != NULL && !ip_dgram)
		return opts_error(st, "--mcast-iface requires -u (UDP)");
	if (st->mcast_ttl_given && !ip_dgram)
		return opts_error(st, "--mcast-ttl requires -u (UDP)");
	if ((st->mcast_loop_given || st->no_mcast_loop_given) && !ip_dgram)
		return opts_error(st, "--mcast-loop and --no-mcast-loop "
		    "require -u (UDP)");
	if (st->mcast_loop_given && st->no_mcast_loop_given)
		return opts_error(st, "--mcast-loop and --no-mcast-loop "
		    "cannot be used together");
	return opts_mcast_families(st, o);
}

/* All groups of one family, and that family allowed by -4 or -6. */
static int
opts_mcast_families(struct opts_state *st, const struct sc_opts *o)
{
	size_t	 i;
	bool	 v6 = false;

	for (i = 0; i < o->nmcast; i++) {
		bool	 g6 = strchr(o->mcast_group[i], ':') != NULL;

		if (i > 0 && g6 != v6)
			return opts_error(st, "--mcast-join: the groups must "
			    "all be IPv4 or all IPv6");
		v6 = g6;
		if ((g6 && st->family4) || (!g6 && st->family6))
			return opts_error(st, "--mcast-join \"%s\": not of "
			    "the family -4 or -6 asks for", o->mcast_group[i]);
	}
	return 0;
}

