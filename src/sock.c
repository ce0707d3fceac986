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
#include <stdio.h>
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

static int
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
	*step = "bind";
	if (sys_bind(fd, sa, len) == -1)
		goto fail;
	*step = "listen";
	if (sys_listen(fd, backlog) == -1)
		goto fail;
	return fd;
fail:
	(void)sys_close(fd);
	return -1;
}

/* The unspecified IPv6 address, or IPv4's when the host has no IPv6. */
static int
sock_listen_any(const struct sc_opts *o, int backlog, struct sc_error *err)
{
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	const char		*step;
	int			 fd;

	if (o->family != AF_INET) {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr = in6addr_any;
		s6.sin6_port = htons((uint16_t)o->port);
		fd = sock_listen_one(o, backlog, (struct sockaddr *)&s6,
		    sizeof(s6), &step);
		if (fd != -1)
			return fd;
		if (o->family == AF_INET6 || (errno != EAFNOSUPPORT &&
		    errno != EADDRNOTAVAIL && errno != EPROTONOSUPPORT)) {
			error_set(err, SC_EXIT_FAIL, errno,
			    "%s on :: port %d (%s)", step, o->port,
			    o->proto->name);
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
		error_set(err, SC_EXIT_FAIL, errno, "%s on 0.0.0.0 port %d (%s)",
		    step, o->port, o->proto->name);
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
	int		 fd = -1, gai;

	if (host == NULL)
		return sock_listen_any(o, backlog, err);
	if ((gai = addr_resolve(host, o->port, o, true, &res)) != 0) {
		error_gai(err, gai, "resolve \"%s\"", host);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = sock_listen_one(o, backlog, ai->ai_addr, ai->ai_addrlen,
		    &step);
		if (fd != -1)
			break;
		error_set(err, SC_EXIT_FAIL, errno, "%s on %s (%s)", step,
		    addr_str(ai->ai_addr, ai->ai_addrlen, a, sizeof(a)),
		    o->proto->name);
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
sock_listen_unix(const char *path, int socktype, struct stat *bound,
    struct sc_error *err)
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
	step = "bind";
	if (sys_bind(fd, (struct sockaddr *)&sun, len) == -1)
		goto fail;
	if (!addr_unix_abstract(path) && stat(path, bound) == -1) {
		step = "stat";
		goto fail;
	}
	step = "listen";
	if (socktype != SOCK_DGRAM && sys_listen(fd, SC_BACKLOG) == -1)
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
