/*
 * The vocabulary of the sockets API as data: address families, socket
 * types, protocols, option levels and names, MSG_* flags and SHUT_*
 * values, each with its C name. The trace prints calls with them; the
 * option parser reads them.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sockcat.h"

#define NAME(x)	{ x, #x }

struct name {
	int		 value;
	const char	*name;
};

static const struct name families[] = {
	NAME(AF_UNSPEC), NAME(AF_UNIX), NAME(AF_INET), NAME(AF_INET6),
#ifdef AF_NETLINK
	NAME(AF_NETLINK),
#endif
};

static const struct name socktypes[] = {
	NAME(SOCK_STREAM), NAME(SOCK_DGRAM), NAME(SOCK_SEQPACKET),
	NAME(SOCK_RAW),
};

static const struct name protocols[] = {
	NAME(IPPROTO_TCP), NAME(IPPROTO_UDP), NAME(IPPROTO_IP),
	NAME(IPPROTO_IPV6),
#ifdef IPPROTO_SCTP
	NAME(IPPROTO_SCTP),
#endif
};

static const struct name levels[] = {
	NAME(SOL_SOCKET), NAME(IPPROTO_IP), NAME(IPPROTO_IPV6),
	NAME(IPPROTO_TCP), NAME(IPPROTO_UDP),
#ifdef IPPROTO_SCTP
	NAME(IPPROTO_SCTP),
#endif
};

static const struct name shuts[] = {
	NAME(SHUT_RD), NAME(SHUT_WR), NAME(SHUT_RDWR),
};

static const struct name msgflags[] = {
	NAME(MSG_OOB), NAME(MSG_PEEK), NAME(MSG_DONTROUTE), NAME(MSG_TRUNC),
	NAME(MSG_DONTWAIT), NAME(MSG_EOR), NAME(MSG_WAITALL),
#ifdef MSG_CTRUNC
	NAME(MSG_CTRUNC),
#endif
#ifdef MSG_CONFIRM
	NAME(MSG_CONFIRM),
#endif
#ifdef MSG_ERRQUEUE
	NAME(MSG_ERRQUEUE),
#endif
#ifdef MSG_NOSIGNAL
	NAME(MSG_NOSIGNAL),
#endif
#ifdef MSG_MORE
	NAME(MSG_MORE),
#endif
#ifdef MSG_CMSG_CLOEXEC
	NAME(MSG_CMSG_CLOEXEC),
#endif
#ifdef MSG_ZEROCOPY
	NAME(MSG_ZEROCOPY),
#endif
};

/* Socket options by level. */
static const struct sc_optname optnames[] = {
	{ SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", SC_OPT_BOOL },
#ifdef SO_REUSEPORT
	{ SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", SC_OPT_BOOL },
#endif
	{ SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", SC_OPT_BOOL },
	{ SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST", SC_OPT_BOOL },
	{ SOL_SOCKET, SO_LINGER, "SO_LINGER", SC_OPT_LINGER },
	{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", SC_OPT_INT },
	{ SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", SC_OPT_INT },
	{ SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT", SC_OPT_INT },
	{ SOL_SOCKET, SO_SNDLOWAT, "SO_SNDLOWAT", SC_OPT_INT },
	{ SOL_SOCKET, SO_ERROR, "SO_ERROR", SC_OPT_ERRNO },
	{ SOL_SOCKET, SO_TYPE, "SO_TYPE", SC_OPT_RDONLY },
	{ SOL_SOCKET, SO_DEBUG, "SO_DEBUG", SC_OPT_BOOL },
	{ SOL_SOCKET, SO_DONTROUTE, "SO_DONTROUTE", SC_OPT_BOOL },
	{ SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE", SC_OPT_BOOL },
#ifdef SO_ACCEPTCONN
	{ SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN", SC_OPT_RDONLY },
#endif
#ifdef SO_DOMAIN
	{ SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN", SC_OPT_RDONLY },
#endif
#ifdef SO_PROTOCOL
	{ SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL", SC_OPT_RDONLY },
#endif
#ifdef SO_PRIORITY
	{ SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY", SC_OPT_INT },
#endif
#ifdef SO_MARK
	{ SOL_SOCKET, SO_MARK, "SO_MARK", SC_OPT_INT },
#endif
#ifdef SO_BINDTODEVICE
	{ SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE", SC_OPT_STRING },
#endif
#ifdef SO_PASSCRED
	{ SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED", SC_OPT_BOOL },
#endif
#ifdef SO_PEERCRED
	{ SOL_SOCKET, SO_PEERCRED, "SO_PEERCRED", SC_OPT_STRUCT },
#endif
#ifdef SO_TIMESTAMPNS
	{ SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS", SC_OPT_BOOL },
#endif
#ifdef SO_ZEROCOPY
	{ SOL_SOCKET, SO_ZEROCOPY, "SO_ZEROCOPY", SC_OPT_BOOL },
#endif
#ifdef SO_RCVTIMEO
	{ SOL_SOCKET, SO_RCVTIMEO, "SO_RCVTIMEO", SC_OPT_STRUCT },
	{ SOL_SOCKET, SO_SNDTIMEO, "SO_SNDTIMEO", SC_OPT_STRUCT },
#endif
	{ IPPROTO_IP, IP_TOS, "IP_TOS", SC_OPT_INT },
	{ IPPROTO_IP, IP_TTL, "IP_TTL", SC_OPT_INT },
#ifdef IP_MINTTL
	{ IPPROTO_IP, IP_MINTTL, "IP_MINTTL", SC_OPT_INT },
#endif
#ifdef IP_PKTINFO
	{ IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO", SC_OPT_BOOL },
#endif
#ifdef IP_RECVTTL
	{ IPPROTO_IP, IP_RECVTTL, "IP_RECVTTL", SC_OPT_BOOL },
#endif
#ifdef IP_RECVERR
	{ IPPROTO_IP, IP_RECVERR, "IP_RECVERR", SC_OPT_BOOL },
#endif
#ifdef IP_FREEBIND
	{ IPPROTO_IP, IP_FREEBIND, "IP_FREEBIND", SC_OPT_BOOL },
#endif
#ifdef IP_TRANSPARENT
	{ IPPROTO_IP, IP_TRANSPARENT, "IP_TRANSPARENT", SC_OPT_BOOL },
#endif
#ifdef IP_MTU_DISCOVER
	{ IPPROTO_IP, IP_MTU_DISCOVER, "IP_MTU_DISCOVER", SC_OPT_INT },
#endif
	{ IPPROTO_IP, IP_MULTICAST_TTL, "IP_MULTICAST_TTL", SC_OPT_INT },
	{ IPPROTO_IP, IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP", SC_OPT_BOOL },
	{ IPPROTO_IP, IP_MULTICAST_IF, "IP_MULTICAST_IF", SC_OPT_STRUCT },
	{ IPPROTO_IP, IP_ADD_MEMBERSHIP, "IP_ADD_MEMBERSHIP", SC_OPT_STRUCT },
	{ IPPROTO_IP, IP_DROP_MEMBERSHIP, "IP_DROP_MEMBERSHIP",
	    SC_OPT_STRUCT },
#ifdef IP_MULTICAST_ALL
	{ IPPROTO_IP, IP_MULTICAST_ALL, "IP_MULTICAST_ALL", SC_OPT_BOOL },
#endif
	{ IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", SC_OPT_BOOL },
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS", SC_OPT_INT },
	{ IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS",
	    SC_OPT_INT },
	{ IPPROTO_IPV6, IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP",
	    SC_OPT_BOOL },
	{ IPPROTO_IPV6, IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF", SC_OPT_INT },
	{ IPPROTO_IPV6, IPV6_JOIN_GROUP, "IPV6_JOIN_GROUP", SC_OPT_STRUCT },
	{ IPPROTO_IPV6, IPV6_LEAVE_GROUP, "IPV6_LEAVE_GROUP", SC_OPT_STRUCT },
#ifdef IPV6_MULTICAST_ALL
	{ IPPROTO_IPV6, IPV6_MULTICAST_ALL, "IPV6_MULTICAST_ALL",
	    SC_OPT_BOOL },
#endif
#ifdef IPV6_MINHOPCOUNT
	{ IPPROTO_IPV6, IPV6_MINHOPCOUNT, "IPV6_MINHOPCOUNT", SC_OPT_INT },
#endif
#ifdef IPV6_RECVPKTINFO
	{ IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", SC_OPT_BOOL },
#endif
#ifdef IPV6_RECVHOPLIMIT
	{ IPPROTO_IPV6, IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", SC_OPT_BOOL },
#endif
#ifdef IPV6_TCLASS
	{ IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS", SC_OPT_INT },
#endif
#ifdef IPV6_FREEBIND
	{ IPPROTO_IPV6, IPV6_FREEBIND, "IPV6_FREEBIND", SC_OPT_BOOL },
#endif
#ifdef IPV6_TRANSPARENT
	{ IPPROTO_IPV6, IPV6_TRANSPARENT, "IPV6_TRANSPARENT", SC_OPT_BOOL },
#endif
	{ IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", SC_OPT_BOOL },
	{ IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", SC_OPT_INT },
#ifdef TCP_CORK
	{ IPPROTO_TCP, TCP_CORK, "TCP_CORK", SC_OPT_BOOL },
#endif
#ifdef TCP_KEEPIDLE
	{ IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", SC_OPT_INT },
	{ IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", SC_OPT_INT },
	{ IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", SC_OPT_INT },
#endif
#ifdef TCP_SYNCNT
	{ IPPROTO_TCP, TCP_SYNCNT, "TCP_SYNCNT", SC_OPT_INT },
#endif
#ifdef TCP_LINGER2
	{ IPPROTO_TCP, TCP_LINGER2, "TCP_LINGER2", SC_OPT_INT },
#endif
#ifdef TCP_DEFER_ACCEPT
	{ IPPROTO_TCP, TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT", SC_OPT_INT },
#endif
#ifdef TCP_WINDOW_CLAMP
	{ IPPROTO_TCP, TCP_WINDOW_CLAMP, "TCP_WINDOW_CLAMP", SC_OPT_INT },
#endif
#ifdef TCP_QUICKACK
	{ IPPROTO_TCP, TCP_QUICKACK, "TCP_QUICKACK", SC_OPT_BOOL },
#endif
#ifdef TCP_CONGESTION
	{ IPPROTO_TCP, TCP_CONGESTION, "TCP_CONGESTION", SC_OPT_STRING },
#endif
#ifdef TCP_USER_TIMEOUT
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", SC_OPT_INT },
#endif
#ifdef TCP_FASTOPEN
	{ IPPROTO_TCP, TCP_FASTOPEN, "TCP_FASTOPEN", SC_OPT_INT },
#endif
#ifdef TCP_FASTOPEN_CONNECT
	{ IPPROTO_TCP, TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT",
	    SC_OPT_BOOL },
#endif
#ifdef TCP_NOTSENT_LOWAT
	{ IPPROTO_TCP, TCP_NOTSENT_LOWAT, "TCP_NOTSENT_LOWAT", SC_OPT_INT },
#endif
#ifdef TCP_INFO
	{ IPPROTO_TCP, TCP_INFO, "TCP_INFO", SC_OPT_STRUCT },
#endif
#ifdef UDP_CORK
	{ IPPROTO_UDP, UDP_CORK, "UDP_CORK", SC_OPT_BOOL },
#endif
	{ 0, 0, NULL, 0 }
};

const struct sc_optname *
names_options(void)
{
	return optnames;
}

static const char *
name_of(const struct name *t, size_t n, int value, char *buf, size_t size)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (t[i].value == value)
			return t[i].name;
	}
	(void)snprintf(buf, size, "%d", value);
	return buf;
}

#define NAME_OF(t, v, buf, size) \
	name_of((t), sizeof(t) / sizeof((t)[0]), (v), (buf), (size))

const char *
names_family(int v, char *buf, size_t size)
{
	return NAME_OF(families, v, buf, size);
}

/* SOCK_STREAM, with |SOCK_NONBLOCK|SOCK_CLOEXEC as given. */
const char *
names_socktype(int v, char *buf, size_t size)
{
	char		 tmp[16];
	int		 base = v;
	size_t		 n;

#ifdef SOCK_NONBLOCK
	base &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
#endif
	n = (size_t)snprintf(buf, size, "%s", NAME_OF(socktypes, base, tmp,
	    sizeof(tmp)));
#ifdef SOCK_NONBLOCK
	if ((v & SOCK_NONBLOCK) && n < size)
		n += (size_t)snprintf(buf + n, size - n, "|SOCK_NONBLOCK");
	if ((v & SOCK_CLOEXEC) && n < size)
		(void)snprintf(buf + n, size - n, "|SOCK_CLOEXEC");
#endif
	return buf;
}

const char *
names_protocol(int family, int v, char *buf, size_t size)
{
	if (family == AF_UNIX || (v == 0 && family != AF_INET &&
	    family != AF_INET6)) {
		(void)snprintf(buf, size, "%d", v);
		return buf;
	}
	return NAME_OF(protocols, v, buf, size);
}

const char *
names_level(int v, char *buf, size_t size)
{
	return NAME_OF(levels, v, buf, size);
}

const char *
names_how(int v, char *buf, size_t size)
{
	return NAME_OF(shuts, v, buf, size);
}

/* An option by level and number; NULL if not in the table. */
const struct sc_optname *
names_option(int level, int optname)
{
	const struct sc_optname	*o;

	for (o = optnames; o->name != NULL; o++) {
		if (o->level == level && o->optname == optname)
			return o;
	}
	return NULL;
}

const char *
names_optname(int level, int optname, char *buf, size_t size)
{
	const struct sc_optname	*o = names_option(level, optname);

	if (o != NULL)
		return o->name;
	(void)snprintf(buf, size, "%d", optname);
	return buf;
}

/* MSG_A|MSG_B (0 when none); unknown bits as a number. */
const char *
names_msgflags(int flags, char *buf, size_t size)
{
	size_t	 i, n = 0;
	int	 rest = flags;

	buf[0] = '\0';
	for (i = 0; i < sizeof(msgflags) / sizeof(msgflags[0]); i++) {
		if ((flags & msgflags[i].value) == 0)
			continue;
		rest &= ~msgflags[i].value;
		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
			    n ? "|" : "", msgflags[i].name);
	}
	if (rest != 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s%#x", n ? "|" : "",
		    (unsigned)rest);
	if (n == 0)
		(void)snprintf(buf, size, "0");
	return buf;
}

/* A MSG_* flag by name, with or without MSG_, any case; -1 unknown. */
int
names_msgflag(const char *name)
{
	size_t	 i;

	if (strncasecmp(name, "MSG_", 4) == 0)
		name += 4;
	for (i = 0; i < sizeof(msgflags) / sizeof(msgflags[0]); i++) {
		if (strcasecmp(name, msgflags[i].name + 4) == 0)
			return msgflags[i].value;
	}
	return -1;
}

/* A level by name (SOL_SOCKET, IPPROTO_TCP, SOL_TCP...); -1 unknown. */
int
names_level_value(const char *name)
{
	static const struct name aliases[] = {
		{ IPPROTO_TCP, "SOL_TCP" }, { IPPROTO_IP, "SOL_IP" },
		{ IPPROTO_IPV6, "SOL_IPV6" }, { IPPROTO_UDP, "SOL_UDP" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].value;
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcasecmp(name, aliases[i].name) == 0)
			return aliases[i].value;
	}
	return -1;
}

/* An option of a level by name; NULL if unknown. */
const struct sc_optname *
names_option_by_name(int level, const char *name)
{
	const struct sc_optname	*o;

	for (o = optnames; o->name != NULL; o++) {
		if (o->level == level && strcasecmp(o->name, name) == 0)
			return o;
	}
	return NULL;
}

/* The MSG_* names for one direction, for an error message. */
const char *
names_msgflag_list(bool send)
{
	static char	 list[2][512];
	char		*l = list[send];
	size_t		 i, n = 0;

	if (l[0] != '\0')
		return l;
	for (i = 0; i < sizeof(msgflags) / sizeof(msgflags[0]) &&
	    n < sizeof(list[0]); i++) {
		if (!names_msgflag_dir(msgflags[i].value, send))
			continue;
		n += (size_t)snprintf(l + n, sizeof(list[0]) - n, "%s%s",
		    n ? ", " : "", msgflags[i].name + 4);
	}
	for (i = 0; l[i] != '\0'; i++)
		l[i] = (char)tolower((unsigned char)l[i]);
	return l;
}

/* Is this MSG_* flag one for sending (or receiving, !send)? */
bool
names_msgflag_dir(int flag, bool send)
{
	int	 both = MSG_OOB | MSG_DONTWAIT;
	int	 out = MSG_DONTROUTE | MSG_EOR;
	int	 in = MSG_PEEK | MSG_TRUNC | MSG_WAITALL;

#ifdef MSG_NOSIGNAL
	out |= MSG_NOSIGNAL;
#endif
#ifdef MSG_MORE
	out |= MSG_MORE;
#endif
#ifdef MSG_CONFIRM
	out |= MSG_CONFIRM;
#endif
#ifdef MSG_ZEROCOPY
	out |= MSG_ZEROCOPY;
#endif
#ifdef MSG_ERRQUEUE
	in |= MSG_ERRQUEUE;
#endif
#ifdef MSG_CMSG_CLOEXEC
	in |= MSG_CMSG_CLOEXEC;
#endif
	return (flag & (both | (send ? out : in))) == flag;
}
