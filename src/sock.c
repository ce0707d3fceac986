/*
 * Socket setup shared by all transports: opening (close-on-exec and
 * non-blocking), listening on IP addresses and on UNIX paths, and the
 * local address of a bound socket for the "Listening on" line.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

/* A close-on-exec, non-blocking socket, or -1 with errno set. */
int
sock_open(int family, int socktype, int protocol)
{
	int	 fd;

	if ((fd = sys_socket(family, socktype, protocol)) == -1)
		return -1;
	if (sys_set_nonblock(fd, true) == -1) {
		(void)sys_close(fd);
		return -1;
	}
	return fd;
}

/* An int option, quietly: -1 with errno for the caller to report. */
int
sock_setint(int fd, int level, int name, int value)
{
	return sys_setsockopt(fd, level, name, &value, sizeof(value));
}

/*
 * Bind and listen on one address. IPV6_V6ONLY is always set explicitly:
 * off for the unspecified address unless only IPv6 was asked for, so that
 * "::" serves both families, and on otherwise. Returns the socket or -1
 * with errno set and *step naming the call that failed.
 */
static int
sock_listen_one(const struct sc_opts *o, int backlog, const struct sockaddr *sa,
    socklen_t len, const char **step)
{
	static struct sc_error		 serr;	/* *step may point into it */
	const struct sockaddr_in6	*s6;
	int				 fd, v6only;

	*step = "socket";
	fd = sock_open(sa->sa_family, o->proto->socktype, o->proto->protocol);
	if (fd == -1)
		return -1;
	*step = "setsockopt SO_REUSEADDR";
	if (sock_setint(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		goto fail;
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		v6only = o->family == AF_INET6 ||
		    !IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
		*step = "setsockopt IPV6_V6ONLY";
		if (sock_setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only) == -1)
			goto fail;
	}
	*step = "setsockopt";
	if (sockopt_apply(fd, sa->sa_family, o->proto->protocol,
	    SC_PHASE_SOCKET, SC_ROLE_LISTENER, o, &serr) == -1) {
		errno = serr.errnum;
		*step = serr.what;
		goto fail;
	}
	*step = "bind";
	if (sys_bind(fd, sa, len) == -1)
		goto fail;
	*step = "listen";
	if ((o->proto->accepts || o->proto->listens) &&
	    (sockopt_apply(fd, sa->sa_family, o->proto->protocol,
	    SC_PHASE_LISTEN, SC_ROLE_LISTENER, o, &serr) == -1 ||
	    sys_listen(fd, backlog) == -1))
		goto fail;
	return fd;
fail:
	(void)sys_close(fd);
	return -1;
}

/*
 * "bind on ADDR port P (tcp)"; a failed socket() is about the transport,
 * not the address: "socket (sctp)".
 */
static void
sock_listen_error(struct sc_error *err, const struct sc_opts *o,
    const char *step, const char *host)
{
	if (strcmp(step, "socket") == 0)
		error_set(err, SC_EXIT_FAIL, errno, "socket (%s)",
		    o->proto->name);
	else
		error_set(err, SC_EXIT_FAIL, errno, "%s on %s port %d (%s)",
		    step, host, o->port, o->proto->name);
}

/* The unspecified IPv6 address, or IPv4's when the host has no IPv6. */
static int
sock_listen_any(const struct sc_opts *o, int backlog, struct sc_error *err)
{
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	const char		*step;
	int			 fd;

	int			 family = o->family;

	/* a multicast receiver listens in its groups' family */
	if (family == AF_UNSPEC && o->nmcast > 0)
		family = strchr(o->mcast_group[0], ':') != NULL ? AF_INET6 :
		    AF_INET;
	if (family != AF_INET) {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr = in6addr_any;
		s6.sin6_port = htons((uint16_t)o->port);
		fd = sock_listen_one(o, backlog, (struct sockaddr *)&s6,
		    sizeof(s6), &step);
		if (fd != -1)
			return fd;
		if (family == AF_INET6 || (errno != EAFNOSUPPORT &&
		    errno != EADDRNOTAVAIL && errno != EPROTONOSUPPORT)) {
			sock_listen_error(err, o, step, "::");
			return -1;
		}
	}
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_addr.s_addr = htonl(INADDR_ANY);
	s4.sin_port = htons((uint16_t)o->port);
	fd = sock_listen_one(o, backlog, (struct sockaddr *)&s4, sizeof(s4),
	    &step);
	if (fd == -1)
		sock_listen_error(err, o, step, "0.0.0.0");
	return fd;
}

/*
 * Listen on o->host (or the source address) and o->port; without an
 * address, on all of them. Returns the socket or -1 with *err filled.
 */
int
sock_listen_inet(const struct sc_opts *o, int backlog, struct sc_error *err)
{
	struct addrinfo	*res, *ai;
	const char	*host = o->host != NULL ? o->host : o->source_addr;
	const char	*step = "bind";
	char		 a[SC_ADDRSTRLEN];
	int		 fd = -1, gai, port;

	if (host == NULL)
		return sock_listen_any(o, backlog, err);
	if ((gai = addr_resolve(host, o->port, o, true, &res)) != 0) {
		error_resolve(err, gai, o->numeric, "resolve \"%s\"", host);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = sock_listen_one(o, backlog, ai->ai_addr, ai->ai_addrlen,
		    &step);
		if (fd != -1)
			break;
		addr_numeric(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), &port);
		sock_listen_error(err, o, step, a);
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * Is a server listening at the UNIX socket path? Only a refused connect
 * proves it is not (a stale socket file); any other answer counts as
 * alive. A socket of another type refuses with EPROTOTYPE, so each type
 * is asked in turn.
 */
static bool
sock_unix_alive(const struct sockaddr_un *sun, socklen_t len)
{
	static const int	 types[] = { SOCK_STREAM, SOCK_SEQPACKET,
	    SOCK_DGRAM };
	size_t			 i;
	int			 fd, rv, e;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if ((fd = sock_open(AF_UNIX, types[i], 0)) == -1)
			return true;
		rv = sys_connect(fd, (const struct sockaddr *)sun, len);
		e = errno;
		(void)sys_close(fd);
		if (rv == 0 || e == EAGAIN || e == EINPROGRESS)
			return true;
		if (e != EPROTOTYPE && e != EPROTONOSUPPORT)
			return e != ECONNREFUSED && e != ENOENT;
	}
	return false;
}

/*
 * Take over a path for a new UNIX server: a path that is not a socket is
 * refused, a socket with a live server behind it is refused, and a stale
 * one is removed.
 */
static int
sock_unix_claim(const char *path, const struct sockaddr_un *sun,
    socklen_t len, struct sc_error *err)
{
	struct stat	 st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		error_set(err, SC_EXIT_FAIL, errno, "stat %s", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		error_reason(err, SC_EXIT_FAIL, "exists and is not a socket",
		    "listen on %s", path);
		return -1;
	}
	/*
	 * Ask the kernel first: a live server is then left alone. Only when
	 * no socket of ours is bound there (it may live in another network
	 * namespace) does connect() decide; it answers for every process.
	 */
	if (osdep_unix_bound(&st) == 1 || sock_unix_alive(sun, len)) {
		error_reason(err, SC_EXIT_FAIL,
		    "a server is listening there already", "listen on %s",
		    path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		error_set(err, SC_EXIT_FAIL, errno, "remove stale socket %s",
		    path);
		return -1;
	}
	return 0;
}

/*
 * Listen on a UNIX path or "@abstract" name. For a path, *bound receives
 * the socket file's identity, for sock_unix_unlink() to check later.
 */
int
sock_listen_unix(const struct sc_opts *o, const char *path, int socktype,
    struct stat *bound, struct sc_error *err)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	const char		*errstr, *step;
	int			 fd;

	memset(bound, 0, sizeof(*bound));
	if (addr_unix(path, &sun, &len, &errstr) == -1) {
		error_reason(err, SC_EXIT_USAGE, errstr, "%s", path);
		return -1;
	}
	if (!addr_unix_abstract(path) &&
	    sock_unix_claim(path, &sun, len, err) == -1)
		return -1;
	step = "socket";
	if ((fd = sock_open(AF_UNIX, socktype, 0)) == -1)
		goto fail;
	if (sockopt_apply(fd, AF_UNIX, 0, SC_PHASE_SOCKET, SC_ROLE_LISTENER, o,
	    err) == -1) {
		(void)sys_close(fd);
		return -1;
	}
	step = "bind";
	if (sys_bind(fd, (struct sockaddr *)&sun, len) == -1)
		goto fail;
	if (!addr_unix_abstract(path) && stat(path, bound) == -1) {
		step = "stat";
		goto fail;
	}
	step = "listen";
	if (socktype != SOCK_DGRAM && sys_listen(fd, o->backlog) == -1)
		goto fail;
	return fd;
fail:
	error_set(err, SC_EXIT_FAIL, errno, "%s %s", step, path);
	if (fd != -1) {
		(void)sys_close(fd);
		if (bound->st_ino != 0)
			(void)sock_unix_unlink(path, bound);
	}
	return -1;
}

/*
 * Remove the socket file at path, but only if it is still the one we
 * bound: another server may have replaced it since.
 */
int
sock_unix_unlink(const char *path, const struct stat *bound)
{
	struct stat	 st;

	if (bound->st_ino == 0 || lstat(path, &st) == -1)
		return -1;
	if (st.st_dev != bound->st_dev || st.st_ino != bound->st_ino) {
		errno = EEXIST;
		return -1;
	}
	return unlink(path);
}

/* The numeric local address of fd into host, its port into *port. */
int
sock_local(int fd, char *host, size_t hostlen, int *port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (sys_getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	addr_numeric((struct sockaddr *)&ss, len, host, hostlen, port);
	return 0;
}

static int
sock_opt(int fd, int level, int name, int value, const char *what,
    struct sc_error *err)
{
	if (sock_setint(fd, level, name, value) == 0)
		return 0;
	error_set(err, SC_EXIT_FAIL, errno, "setsockopt %s", what);
	return -1;
}

/* Join one multicast group on fd (of the given family). */
static int
sock_mcast_join(int fd, int family, const struct sc_opts *o,
    const char *group, struct sc_error *err)
{
	struct addrinfo		 hints, *res;
	struct ip_mreqn		 m4;
	struct ipv6_mreq	 m6;
	int			 gai, rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_DGRAM;
	if ((gai = getaddrinfo(group, NULL, &hints, &res)) != 0) {
		error_gai(err, gai, "--mcast-join %s", group);
		return -1;
	}
	if (res->ai_family != family) {
		freeaddrinfo(res);
		error_reason(err, SC_EXIT_FAIL, "the socket is of the other "
		    "address family", "--mcast-join %s", group);
		return -1;
	}
	if (family == AF_INET) {
		memset(&m4, 0, sizeof(m4));
		m4.imr_multiaddr = ((struct sockaddr_in *)(void *)
		    res->ai_addr)->sin_addr;
		m4.imr_ifindex = (int)o->mcast_ifindex;
		rv = sys_setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m4,
		    sizeof(m4));
	} else {
		memset(&m6, 0, sizeof(m6));
		m6.ipv6mr_multiaddr = ((struct sockaddr_in6 *)(void *)
		    res->ai_addr)->sin6_addr;
		m6.ipv6mr_interface = o->mcast_ifindex;
		rv = sys_setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6,
		    sizeof(m6));
	}
	freeaddrinfo(res);
	if (rv == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "join multicast group %s",
		    group);
		return -1;
	}
	return 0;
}

/* The sending side of multicast: interface, TTL, loopback. */
static int
sock_mcast_send(int fd, int family, const struct sc_opts *o,
    struct sc_error *err)
{
	struct ip_mreqn	 m4;
	bool		 v6 = family == AF_INET6;

	if (o->mcast_ttl >= 0 && sock_opt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, o->mcast_ttl,
	    v6 ? "IPV6_MULTICAST_HOPS" : "IP_MULTICAST_TTL", err) == -1)
		return -1;
	if (o->mcast_loop >= 0 && sock_opt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP, o->mcast_loop,
	    v6 ? "IPV6_MULTICAST_LOOP" : "IP_MULTICAST_LOOP", err) == -1)
		return -1;
	if (o->mcast_ifindex == 0)
		return 0;
	if (v6)
		return sock_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
		    (int)o->mcast_ifindex, "IPV6_MULTICAST_IF", err);
	memset(&m4, 0, sizeof(m4));
	m4.imr_ifindex = (int)o->mcast_ifindex;
	if (sys_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m4,
	    sizeof(m4)) == -1) {
		error_set(err, SC_EXIT_FAIL, errno,
		    "setsockopt IP_MULTICAST_IF");
		return -1;
	}
	return 0;
}

/*
 * What a datagram socket needs before it is used: broadcast, multicast
 * membership and sending options, and per-datagram metadata. A no-op for
 * other sockets.
 */
int
sock_dgram_options(int fd, int family, const struct sc_opts *o,
    struct sc_error *err)
{
	size_t	 i;

	if (!o->proto->message || family == AF_UNIX)
		return 0;
	if (o->broadcast && sock_opt(fd, SOL_SOCKET, SO_BROADCAST, 1,
	    "SO_BROADCAST", err) == -1)
		return -1;
	for (i = 0; i < o->nmcast; i++) {
		if (sock_mcast_join(fd, family, o, o->mcast_group[i],
		    err) == -1)
			return -1;
	}
	if (o->nmcast > 0 && osdep_mcast_only(fd, family) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "setsockopt %s",
		    family == AF_INET6 ? "IPV6_MULTICAST_ALL" :
		    "IP_MULTICAST_ALL");
		return -1;
	}
	if (sock_mcast_send(fd, family, o, err) == -1)
		return -1;
	if (o->recv_info && osdep_recv_meta(fd, family) == -1) {
		error_set(err, SC_EXIT_FAIL, errno,
		    "setsockopt for --recv-info");
		return -1;
	}
	return 0;
}

/*
 * Give a UNIX datagram client an address, so that servers can answer it:
 * the path given with -s (claimed like a listener's path), or else one the
 * kernel picks in the abstract namespace (Linux), or else a socket in a
 * fresh private directory (mode 0700). sock_unix_unbind() removes files.
 */
int
sock_unix_bind_client(int fd, const char *path, struct sc_unix_bound *b,
    struct sc_error *err)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	const char		*errstr;

	memset(b, 0, sizeof(*b));
	if (path == NULL) {
#ifdef HAVE_ABSTRACT_UNIX
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (sys_bind(fd, (struct sockaddr *)&sun,
		    sizeof(sa_family_t)) == 0)
			return 0;
#endif
		(void)snprintf(b->dir, sizeof(b->dir), "/tmp/sockcat.XXXXXX");
		if (mkdtemp(b->dir) == NULL) {
			error_set(err, SC_EXIT_FAIL, errno, "mkdtemp %s",
			    b->dir);
			b->dir[0] = '\0';
			return -1;
		}
		(void)snprintf(b->path, sizeof(b->path), "%s/s", b->dir);
		path = b->path;
	} else
		(void)snprintf(b->path, sizeof(b->path), "%s", path);
	if (addr_unix(path, &sun, &len, &errstr) == -1) {
		error_reason(err, SC_EXIT_USAGE, errstr, "-s %s", path);
		return -1;
	}
	if (addr_unix_abstract(path)) {
		b->path[0] = '\0';	/* nothing to remove at exit */
		if (sys_bind(fd, (struct sockaddr *)&sun, len) == 0)
			return 0;
		error_set(err, SC_EXIT_FAIL, errno, "bind %s", path);
		return -1;
	}
	if (sock_unix_claim(path, &sun, len, err) == -1)
		return -1;
	if (sys_bind(fd, (struct sockaddr *)&sun, len) == -1 ||
	    stat(path, &b->st) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "bind %s", path);
		return -1;
	}
	return 0;
}

void
sock_unix_unbind(struct sc_unix_bound *b)
{
	if (b->path[0] != '\0' && b->st.st_ino != 0)
		(void)sock_unix_unlink(b->path, &b->st);
	if (b->dir[0] != '\0')
		(void)rmdir(b->dir);
	memset(b, 0, sizeof(*b));
}

/* The transport of an inherited socket, from what the kernel says of it. */
static const struct sc_proto *
sock_proto_of(int fd, int *family)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss), tlen = sizeof(int);
	int			 type;

	if (sys_getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    sys_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1)
		return NULL;
	*family = ss.ss_family;
	if (ss.ss_family == AF_UNIX)
		return type == SOCK_STREAM ? &sc_proto_unix :
		    type == SOCK_DGRAM ? &sc_proto_unix_dgram :
		    type == SOCK_SEQPACKET ? &sc_proto_unix_seqpacket : NULL;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return NULL;
	return type == SOCK_STREAM ? &sc_proto_tcp :
	    type == SOCK_DGRAM ? &sc_proto_udp : NULL;
}

/*
 * The listening socket sockcat was handed (--listen-fd, LISTEN_FDS). It
 * must be a socket of the transport the options ask for: the options
 * were parsed for it, so main() picks the transport first (see
 * sock_inherited_proto()).
 */
int
sock_inherited(const struct sc_opts *o, struct sc_error *err)
{
	int			 fd = o->listen_fd, family, acc = 0;
	socklen_t		 len = sizeof(acc);
	const struct sc_proto	*p = sock_proto_of(fd, &family);

	if (p == NULL) {
		error_reason(err, SC_EXIT_FAIL, "not a TCP, UDP or UNIX socket",
		    "inherited descriptor %d", fd);
		return -1;
	}
	if (p->accepts && (sys_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc,
	    &len) == -1 || !acc)) {
		error_reason(err, SC_EXIT_FAIL, "not listening",
		    "inherited socket %d", fd);
		return -1;
	}
	if (sys_set_cloexec(fd) == -1 || sys_set_nonblock(fd, true) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "inherited socket %d", fd);
		return -1;
	}
	return fd;
}

/*
 * The transport of an inherited socket, or NULL; for a UNIX socket, its
 * name goes to path (empty if it has none).
 */
const struct sc_proto *
sock_inherited_proto(int fd, char *path, size_t size)
{
	const struct sc_proto	*p;
	int			 family, port;

	path[0] = '\0';
	if ((p = sock_proto_of(fd, &family)) != NULL && family == AF_UNIX &&
	    sock_local(fd, path, size, &port) == -1)
		path[0] = '\0';
	return p;
}

/*
 * Send descriptor fd over the UNIX socket sock with one byte of data
 * (blocking until it goes: sock is usually stdout, not ours to make
 * non-blocking), as --send-fd does (anc.c). fd stays open: anc.c sends
 * and closes a duplicate, so that the caller's sys_close() of fd is the
 * one that shows in the trace. -1 with errno on failure.
 */
int
sock_send_fd(int sock, int fd)
{
	struct sc_anc	 a;
	ssize_t		 n;

	anc_init(&a);
	if ((a.pass_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	n = anc_sendmsg(&a, sock, "", 1, 0, NULL, 0);
	anc_free(&a);		/* closes the duplicate when not sent */
	return n == 1 ? 0 : -1;
}

/* Is fd a UNIX socket? */
bool
sock_is_unix(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}
