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
#include <limits.h>
#include <stdint.h>
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

/* How the command line takes a MSG_* flag. */
#define MF_SEND		0x01	/* a flag for sending */
#define MF_RECV		0x02	/* a flag for receiving */
#define MF_REFUSED	0x04	/* for receiving, refused (opts_sock.c) */

static const struct msgflag {
	int		 value;
	const char	*name;
	unsigned	 how;
} msgflags[] = {
	{ MSG_OOB, "MSG_OOB", MF_SEND | MF_RECV | MF_REFUSED },
	{ MSG_PEEK, "MSG_PEEK", MF_RECV | MF_REFUSED },
	{ MSG_DONTROUTE, "MSG_DONTROUTE", MF_SEND },
	{ MSG_TRUNC, "MSG_TRUNC", MF_RECV },
	{ MSG_DONTWAIT, "MSG_DONTWAIT", MF_SEND | MF_RECV },
	{ MSG_EOR, "MSG_EOR", MF_SEND },
	{ MSG_WAITALL, "MSG_WAITALL", MF_RECV },
#ifdef MSG_CTRUNC
	{ MSG_CTRUNC, "MSG_CTRUNC", 0 },	/* only reported */
#endif
#ifdef MSG_CONFIRM
	{ MSG_CONFIRM, "MSG_CONFIRM", MF_SEND },
#endif
#ifdef MSG_ERRQUEUE
	{ MSG_ERRQUEUE, "MSG_ERRQUEUE", MF_RECV | MF_REFUSED },
#endif
#ifdef MSG_NOSIGNAL
	{ MSG_NOSIGNAL, "MSG_NOSIGNAL", MF_SEND },
#endif
#ifdef MSG_MORE
	{ MSG_MORE, "MSG_MORE", MF_SEND },
#endif
#ifdef MSG_CMSG_CLOEXEC
	{ MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC", MF_RECV },
#endif
#ifdef MSG_ZEROCOPY
	{ MSG_ZEROCOPY, "MSG_ZEROCOPY", MF_SEND },
#endif
};

#define NMSGFLAGS	(sizeof(msgflags) / sizeof(msgflags[0]))

/*
 * Socket options by level: the value each takes (with the range of an
 * integer), and when and on which sockets it is set. Most are set right
 * after socket(), and again on each accepted socket, as the kernel does
 * not pass every option on from the listener. The exceptions:
 *
 *	no_inherit	only matters before bind() or listen(): not set again
 *			on accepted sockets
 *	LISTEN		on a listener, after bind() and before listen()
 *	CONNECTED	once connected: after connect() or accept()
 *	LISTENER, CLIENT	only on a listener, only on a client
 */
#define OPT(l, n, s, t, lo, hi, ph, ro, ni)				\
	{ .level = (l), .optname = (n), .name = (s), .type = (t),	\
	    .min = (lo), .max = (hi), .phase = (ph), .role = (ro),	\
	    .no_inherit = (ni) }
#define O_INT(l, n, lo, hi)						\
	OPT(l, n, #n, SC_OPT_INT, lo, hi, SC_PHASE_SOCKET, SC_ROLE_ANY, false)
#define O_SIZE(l, n)							\
	OPT(l, n, #n, SC_OPT_INT, 0, INT_MAX, SC_PHASE_SOCKET, SC_ROLE_ANY, \
	    false)
#define O_BOOL(l, n)							\
	OPT(l, n, #n, SC_OPT_BOOL, 0, 1, SC_PHASE_SOCKET, SC_ROLE_ANY, false)
/* only before bind(): not again on accepted sockets */
#define O_BIND(l, n, t)							\
	OPT(l, n, #n, t, 0, 1, SC_PHASE_SOCKET, SC_ROLE_ANY, true)
#define O_OTHER(l, n, t)						\
	OPT(l, n, #n, t, 0, 0, SC_PHASE_SOCKET, SC_ROLE_ANY, false)
/* hops and classes: -1 is the default */
#define O_HOPS(l, n)							\
	OPT(l, n, #n, SC_OPT_INT, -1, 255, SC_PHASE_SOCKET, SC_ROLE_ANY, false)

static const struct sc_optname optnames[] = {
	O_BOOL(SOL_SOCKET, SO_REUSEADDR),
#ifdef SO_REUSEPORT
	O_BIND(SOL_SOCKET, SO_REUSEPORT, SC_OPT_BOOL),
#endif
	O_BOOL(SOL_SOCKET, SO_KEEPALIVE),
	O_BOOL(SOL_SOCKET, SO_BROADCAST),
	O_OTHER(SOL_SOCKET, SO_LINGER, SC_OPT_LINGER),
	O_SIZE(SOL_SOCKET, SO_RCVBUF),
	O_SIZE(SOL_SOCKET, SO_SNDBUF),
	O_SIZE(SOL_SOCKET, SO_RCVLOWAT),
	O_SIZE(SOL_SOCKET, SO_SNDLOWAT),
	O_OTHER(SOL_SOCKET, SO_ERROR, SC_OPT_ERRNO),
	O_OTHER(SOL_SOCKET, SO_TYPE, SC_OPT_RDONLY),
	O_BOOL(SOL_SOCKET, SO_DEBUG),
	O_BOOL(SOL_SOCKET, SO_DONTROUTE),
	O_BOOL(SOL_SOCKET, SO_OOBINLINE),
#ifdef SO_ACCEPTCONN
	O_OTHER(SOL_SOCKET, SO_ACCEPTCONN, SC_OPT_RDONLY),
#endif
#ifdef SO_DOMAIN
	O_OTHER(SOL_SOCKET, SO_DOMAIN, SC_OPT_RDONLY),
#endif
#ifdef SO_PROTOCOL
	O_OTHER(SOL_SOCKET, SO_PROTOCOL, SC_OPT_RDONLY),
#endif
#ifdef SO_PRIORITY
	O_SIZE(SOL_SOCKET, SO_PRIORITY),
#endif
#ifdef SO_MARK
	O_INT(SOL_SOCKET, SO_MARK, 0, UINT32_MAX),	/* a u32 */
#endif
#ifdef SO_BINDTODEVICE
	O_BIND(SOL_SOCKET, SO_BINDTODEVICE, SC_OPT_STRING),
#endif
#ifdef SO_PASSCRED
	O_BOOL(SOL_SOCKET, SO_PASSCRED),
#endif
#ifdef SO_PEERCRED
	O_OTHER(SOL_SOCKET, SO_PEERCRED, SC_OPT_STRUCT),
#endif
#ifdef SO_TIMESTAMPNS
	O_BOOL(SOL_SOCKET, SO_TIMESTAMPNS),
#endif
#ifdef SO_ZEROCOPY
	O_BOOL(SOL_SOCKET, SO_ZEROCOPY),
#endif
#ifdef SO_RCVTIMEO
	O_OTHER(SOL_SOCKET, SO_RCVTIMEO, SC_OPT_STRUCT),
	O_OTHER(SOL_SOCKET, SO_SNDTIMEO, SC_OPT_STRUCT),
#endif
	O_INT(IPPROTO_IP, IP_TOS, 0, 255),
	O_HOPS(IPPROTO_IP, IP_TTL),
#ifdef IP_MINTTL
	O_INT(IPPROTO_IP, IP_MINTTL, 0, 255),
#endif
#ifdef IP_PKTINFO
	O_BOOL(IPPROTO_IP, IP_PKTINFO),
#endif
#ifdef IP_RECVTTL
	O_BOOL(IPPROTO_IP, IP_RECVTTL),
#endif
#ifdef IP_RECVERR
	O_BOOL(IPPROTO_IP, IP_RECVERR),
#endif
#ifdef IP_FREEBIND
	O_BIND(IPPROTO_IP, IP_FREEBIND, SC_OPT_BOOL),
#endif
#ifdef IP_TRANSPARENT
	O_BIND(IPPROTO_IP, IP_TRANSPARENT, SC_OPT_BOOL),
#endif
#ifdef IP_MTU_DISCOVER
	O_INT(IPPROTO_IP, IP_MTU_DISCOVER, 0, 5),
#endif
	O_HOPS(IPPROTO_IP, IP_MULTICAST_TTL),
	O_BOOL(IPPROTO_IP, IP_MULTICAST_LOOP),
	O_OTHER(IPPROTO_IP, IP_MULTICAST_IF, SC_OPT_STRUCT),
	O_OTHER(IPPROTO_IP, IP_ADD_MEMBERSHIP, SC_OPT_STRUCT),
	O_OTHER(IPPROTO_IP, IP_DROP_MEMBERSHIP, SC_OPT_STRUCT),
#ifdef IP_MULTICAST_ALL
	O_BOOL(IPPROTO_IP, IP_MULTICAST_ALL),
#endif
	O_BIND(IPPROTO_IPV6, IPV6_V6ONLY, SC_OPT_BOOL),
	O_HOPS(IPPROTO_IPV6, IPV6_UNICAST_HOPS),
	O_HOPS(IPPROTO_IPV6, IPV6_MULTICAST_HOPS),
	O_BOOL(IPPROTO_IPV6, IPV6_MULTICAST_LOOP),
	O_SIZE(IPPROTO_IPV6, IPV6_MULTICAST_IF),
	O_OTHER(IPPROTO_IPV6, IPV6_JOIN_GROUP, SC_OPT_STRUCT),
	O_OTHER(IPPROTO_IPV6, IPV6_LEAVE_GROUP, SC_OPT_STRUCT),
#ifdef IPV6_MULTICAST_ALL
	O_BOOL(IPPROTO_IPV6, IPV6_MULTICAST_ALL),
#endif
#ifdef IPV6_MINHOPCOUNT
	O_INT(IPPROTO_IPV6, IPV6_MINHOPCOUNT, 0, 255),
#endif
#ifdef IPV6_RECVPKTINFO
	O_BOOL(IPPROTO_IPV6, IPV6_RECVPKTINFO),
#endif
#ifdef IPV6_RECVHOPLIMIT
	O_BOOL(IPPROTO_IPV6, IPV6_RECVHOPLIMIT),
#endif
#ifdef IPV6_TCLASS
	O_HOPS(IPPROTO_IPV6, IPV6_TCLASS),
#endif
#ifdef IPV6_FREEBIND
	O_BIND(IPPROTO_IPV6, IPV6_FREEBIND, SC_OPT_BOOL),
#endif
#ifdef IPV6_TRANSPARENT
	O_BIND(IPPROTO_IPV6, IPV6_TRANSPARENT, SC_OPT_BOOL),
#endif
	O_BOOL(IPPROTO_TCP, TCP_NODELAY),
	O_INT(IPPROTO_TCP, TCP_MAXSEG, 0, 65535),
#ifdef TCP_CORK
	O_BOOL(IPPROTO_TCP, TCP_CORK),
#endif
#ifdef TCP_KEEPIDLE
	O_INT(IPPROTO_TCP, TCP_KEEPIDLE, 1, 32767),
	O_INT(IPPROTO_TCP, TCP_KEEPINTVL, 1, 32767),
	O_INT(IPPROTO_TCP, TCP_KEEPCNT, 1, 127),
#endif
#ifdef TCP_SYNCNT
	O_INT(IPPROTO_TCP, TCP_SYNCNT, 1, 127),
#endif
#ifdef TCP_LINGER2
	O_INT(IPPROTO_TCP, TCP_LINGER2, INT_MIN, INT_MAX),
#endif
#ifdef TCP_DEFER_ACCEPT
	OPT(IPPROTO_TCP, TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT", SC_OPT_INT, 0,
	    INT_MAX, SC_PHASE_LISTEN, SC_ROLE_LISTENER, true),
#endif
#ifdef TCP_WINDOW_CLAMP
	O_SIZE(IPPROTO_TCP, TCP_WINDOW_CLAMP),
#endif
#ifdef TCP_QUICKACK
	/* the kernel clears it as it goes: set once connected */
	OPT(IPPROTO_TCP, TCP_QUICKACK, "TCP_QUICKACK", SC_OPT_BOOL, 0, 1,
	    SC_PHASE_CONNECTED, SC_ROLE_ANY, false),
#endif
#ifdef TCP_CONGESTION
	O_OTHER(IPPROTO_TCP, TCP_CONGESTION, SC_OPT_STRING),
#endif
#ifdef TCP_USER_TIMEOUT
	O_SIZE(IPPROTO_TCP, TCP_USER_TIMEOUT),
#endif
#ifdef TCP_FASTOPEN
	OPT(IPPROTO_TCP, TCP_FASTOPEN, "TCP_FASTOPEN", SC_OPT_INT, 0, INT_MAX,
	    SC_PHASE_LISTEN, SC_ROLE_LISTENER, true),
#endif
#ifdef TCP_FASTOPEN_CONNECT
	OPT(IPPROTO_TCP, TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT",
	    SC_OPT_BOOL, 0, 1, SC_PHASE_SOCKET, SC_ROLE_CLIENT, true),
#endif
#ifdef TCP_NOTSENT_LOWAT
	O_SIZE(IPPROTO_TCP, TCP_NOTSENT_LOWAT),
#endif
#ifdef TCP_INFO
	O_OTHER(IPPROTO_TCP, TCP_INFO, SC_OPT_STRUCT),
#endif
#ifdef UDP_CORK
	O_BOOL(IPPROTO_UDP, UDP_CORK),
#endif
	{ .name = NULL }
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
	for (i = 0; i < NMSGFLAGS; i++) {
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
	for (i = 0; i < NMSGFLAGS; i++) {
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

/*
 * The MSG_* names the command line accepts for one direction, for an
 * error message (peek, oob and errqueue are known receive flags, but
 * refused: opts_sock.c says why).
 */
const char *
names_msgflag_list(bool send)
{
	static char	 list[2][512];
	char		*l = list[send];
	size_t		 i, n = 0;

	if (l[0] != '\0')
		return l;
	for (i = 0; i < NMSGFLAGS && n < sizeof(list[0]); i++) {
		if (!(msgflags[i].how & (send ? MF_SEND : MF_RECV)) ||
		    (!send && (msgflags[i].how & MF_REFUSED)))
			continue;
		n += (size_t)snprintf(l + n, sizeof(list[0]) - n, "%s%s",
		    n ? ", " : "", msgflags[i].name + 4);
	}
	for (i = 0; l[i] != '\0'; i++)
		l[i] = (char)tolower((unsigned char)l[i]);
	return l;
}

/*
 * Is every known flag of flags one for sending (or receiving, !send)?
 * Bits the table does not know pass.
 */
bool
names_msgflag_dir(int flags, bool send)
{
	return names_msgflag_other(flags, send) == 0;
}

/* The first known flag of flags that is not for this direction, or 0. */
int
names_msgflag_other(int flags, bool send)
{
	size_t	 i;

	for (i = 0; i < NMSGFLAGS; i++) {
		if ((flags & msgflags[i].value) != 0 &&
		    !(msgflags[i].how & (send ? MF_SEND : MF_RECV)))
			return msgflags[i].value;
	}
	return 0;
}
