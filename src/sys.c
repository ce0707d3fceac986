/*
 * Thin wrappers for every socket call sockcat makes. Each one keeps errno
 * as the call left it, so callers can report it after cleaning up, and
 * each reports the call to the trace (--trace) when it is on.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

#if HAVE_DECL_MSG_NOSIGNAL
#define SC_MSG_NOSIGNAL	MSG_NOSIGNAL
#else
#define SC_MSG_NOSIGNAL	0	/* SIGPIPE is ignored process-wide */
#endif

/* Room for one argument as text. */
#define ARG	64

/* Trace a call; errno is saved around it. */
static void
sys_trace(const char *call, const char *const args[], int nargs,
    long long result, int errnum, const char *extra)
{
	trace_call(call, args, nargs, result, errnum, extra);
	errno = errnum;
}

static const char *
num(long long v, char *buf)
{
	(void)snprintf(buf, ARG, "%lld", v);
	return buf;
}

int
sys_set_cloexec(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return -1;
	if (flags & FD_CLOEXEC)
		return 0;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int
sys_set_nonblock(int fd, bool on)
{
	int	 flags, want;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
	if (want == flags)
		return 0;
	return fcntl(fd, F_SETFL, want);
}

/* socket(2), always close-on-exec. */
int
sys_socket(int domain, int type, int protocol)
{
	char	 a[3][ARG];
	int	 fd;

#if HAVE_DECL_SOCK_CLOEXEC
	type |= SOCK_CLOEXEC;
	fd = socket(domain, type, protocol);
#else
	fd = socket(domain, type, protocol);
	if (fd != -1 && sys_set_cloexec(fd) == -1) {
		(void)sys_close(fd);
		return -1;
	}
#endif
	if (trace_on()) {
		const char	*args[] = { names_family(domain, a[0], ARG),
		    names_socktype(type, a[1], ARG),
		    names_protocol(domain, protocol, a[2], ARG) };

		sys_trace("socket", args, 3, fd, errno, NULL);
	}
	return fd;
}

static int
sys_addr_call(const char *call, int rv, int fd, const struct sockaddr *sa,
    socklen_t len)
{
	char	 a[2][SC_ADDRSTRLEN];

	if (trace_on()) {
		const char	*args[] = { num(fd, a[0]),
		    trace_addr(sa, len, a[1], sizeof(a[1])) };

		sys_trace(call, args, 2, rv, errno, NULL);
	}
	return rv;
}

int
sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	return sys_addr_call("bind", bind(fd, sa, len), fd, sa, len);
}

int
sys_listen(int fd, int backlog)
{
	char	 a[2][ARG];
	int	 rv = listen(fd, backlog);

	if (trace_on()) {
		const char	*args[] = { num(fd, a[0]), num(backlog, a[1]) };

		sys_trace("listen", args, 2, rv, errno, NULL);
	}
	return rv;
}

/* accept(2) giving a close-on-exec, non-blocking socket. */
int
sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	char		 a[ARG], peer[SC_ADDRSTRLEN];
	const char	*call;
	int		 nfd;

#ifdef HAVE_ACCEPT4
	call = "accept4";
	do
		nfd = accept4(fd, sa, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	while (nfd == -1 && errno == EINTR);
#else
	call = "accept";
	do
		nfd = accept(fd, sa, len);
	while (nfd == -1 && errno == EINTR);
	if (nfd != -1 && (sys_set_cloexec(nfd) == -1 ||
	    sys_set_nonblock(nfd, true) == -1)) {
		(void)sys_close(nfd);
		nfd = -1;
	}
#endif
	if (trace_on()) {
		const char	*args[] = { num(fd, a), "..." };

		sys_trace(call, args, 2, nfd, errno, nfd == -1 ? NULL :
		    trace_addr(sa, *len, peer, sizeof(peer)));
	}
	return nfd;
}

int
sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int	 rv;

	rv = connect(fd, sa, len);
	if (rv == -1 && errno == EINTR)
		errno = EINPROGRESS;	/* the connect goes on regardless */
	return sys_addr_call("connect", rv, fd, sa, len);
}

/* A data call: fd, length, flags; the address it used, if any. */
static ssize_t
sys_data_call(const char *call, ssize_t n, int fd, size_t len, int flags,
    const struct sockaddr *sa, socklen_t salen)
{
	char	 a[3][ARG], peer[SC_ADDRSTRLEN];

	if (trace_on()) {
		const char	*args[] = { num(fd, a[0]),
		    num((long long)len, a[1]),
		    names_msgflags(flags, a[2], ARG) };

		sys_trace(call, args, 3, n, errno, n != -1 && sa != NULL &&
		    salen > sizeof(sa_family_t) ? trace_addr(sa, salen, peer,
		    sizeof(peer)) : NULL);
	}
	return n;
}

ssize_t
sys_recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t	 n;

	do
		n = recv(fd, buf, len, flags);
	while (n == -1 && errno == EINTR);
	return sys_data_call("recv", n, fd, len, flags, NULL, 0);
}

ssize_t
sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
    socklen_t *salen)
{
	ssize_t	 n;

	do
		n = recvfrom(fd, buf, len, flags, sa, salen);
	while (n == -1 && errno == EINTR);
	return sys_data_call("recvfrom", n, fd, len, flags, sa,
	    n == -1 ? 0 : *salen);
}

/* send(2) that never raises SIGPIPE. */
ssize_t
sys_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t	 n;

	flags |= SC_MSG_NOSIGNAL;
	do
		n = send(fd, buf, len, flags);
	while (n == -1 && errno == EINTR);
	return sys_data_call("send", n, fd, len, flags, NULL, 0);
}

ssize_t
sys_sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *sa, socklen_t salen)
{
	ssize_t	 n;

	flags |= SC_MSG_NOSIGNAL;
	do
		n = sendto(fd, buf, len, flags, sa, salen);
	while (n == -1 && errno == EINTR);
	return sys_data_call("sendto", n, fd, len, flags, sa, salen);
}

ssize_t
sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t	 n;
	size_t	 len = msg->msg_iovlen > 0 ? msg->msg_iov[0].iov_len : 0;

	do
		n = recvmsg(fd, msg, flags);
	while (n == -1 && errno == EINTR);
	return sys_data_call("recvmsg", n, fd, len, flags, msg->msg_name,
	    n == -1 ? 0 : msg->msg_namelen);
}

ssize_t
sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t	 n;
	size_t	 len = msg->msg_iovlen > 0 ? msg->msg_iov[0].iov_len : 0;

	flags |= SC_MSG_NOSIGNAL;
	do
		n = sendmsg(fd, msg, flags);
	while (n == -1 && errno == EINTR);
	return sys_data_call("sendmsg", n, fd, len, flags, msg->msg_name,
	    msg->msg_namelen);
}

/* read(2) and write(2) are for stdin, stdout and pipes: not traced. */
ssize_t
sys_read(int fd, void *buf, size_t len)
{
	ssize_t	 n;

	do
		n = read(fd, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
sys_write(int fd, const void *buf, size_t len)
{
	ssize_t	 n;

	do
		n = write(fd, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

int
sys_shutdown(int fd, int how)
{
	char	 a[2][ARG];
	int	 rv = shutdown(fd, how);

	if (trace_on()) {
		const char	*args[] = { num(fd, a[0]),
		    names_how(how, a[1], ARG) };

		sys_trace("shutdown", args, 2, rv, errno, NULL);
	}
	return rv;
}

/*
 * close(2) keeping errno. It is never retried: on Linux the descriptor is
 * gone even when close reports EINTR.
 */
int
sys_close(int fd)
{
	char	 a[ARG];
	int	 saved = errno, rv;

	rv = close(fd);
	if (trace_on()) {
		const char	*args[] = { num(fd, a) };

		trace_call("close", args, 1, rv, errno, NULL);
	}
	errno = saved;
	return rv;
}

/* An option's value as the trace shows it: the integer, or its size. */
static const char *
optval(int level, int name, const void *val, socklen_t len, char *buf)
{
	const struct sc_optname	*o = names_option(level, name);
	int			 v;

	if (o != NULL && o->type == SC_OPT_STRING) {
		(void)snprintf(buf, ARG, "\"%.*s\"", (int)(len < 40 ? len : 40),
		    (const char *)val);
		return buf;
	}
	if (len != sizeof(int)) {
		(void)snprintf(buf, ARG, "<%u bytes>", (unsigned)len);
		return buf;
	}
	memcpy(&v, val, sizeof(v));
	if (o != NULL && o->type == SC_OPT_ERRNO && v != 0)
		(void)trace_errno(v, buf, ARG);
	else
		(void)snprintf(buf, ARG, "%d", v);
	return buf;
}

int
sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	char	 a[4][ARG];
	int	 rv = setsockopt(fd, level, name, val, len);

	if (trace_on()) {
		const char	*args[] = { num(fd, a[0]),
		    names_level(level, a[1], ARG),
		    names_optname(level, name, a[2], ARG),
		    optval(level, name, val, len, a[3]) };

		sys_trace("setsockopt", args, 4, rv, errno, NULL);
	}
	return rv;
}

int
sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	char	 a[3][ARG], v[ARG + 2], vb[ARG];
	int	 rv = getsockopt(fd, level, name, val, len);

	if (trace_on()) {
		const char	*args[] = { num(fd, a[0]),
		    names_level(level, a[1], ARG),
		    names_optname(level, name, a[2], ARG) };

		if (rv == 0)
			(void)snprintf(v, sizeof(v), "[%s]", optval(level,
			    name, val, *len, vb));
		sys_trace("getsockopt", args, 3, rv, errno, rv == 0 ? v : NULL);
	}
	return rv;
}

static int
sys_name_call(const char *call, int rv, int fd, struct sockaddr *sa,
    socklen_t *len)
{
	char	 a[ARG], peer[SC_ADDRSTRLEN];

	if (trace_on()) {
		const char	*args[] = { num(fd, a) };

		sys_trace(call, args, 1, rv, errno, rv == 0 ?
		    trace_addr(sa, *len, peer, sizeof(peer)) : NULL);
	}
	return rv;
}

int
sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	return sys_name_call("getsockname", getsockname(fd, sa, len), fd, sa,
	    len);
}

int
sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	return sys_name_call("getpeername", getpeername(fd, sa, len), fd, sa,
	    len);
}

/* ioctl(2) on a socket with an int argument (SIOCOUTQ, SIOCATMARK...). */
int
sys_ioctl_int(int fd, unsigned long req, const char *reqname, int *val)
{
	char	 a[ARG], v[ARG];
	int	 rv = ioctl(fd, req, val);

	if (trace_on()) {
		const char	*args[] = { num(fd, a), reqname };

		(void)snprintf(v, sizeof(v), "[%d]", *val);
		sys_trace("ioctl", args, 2, rv, errno, rv == 0 ? v : NULL);
	}
	return rv;
}

/*
 * splice(2) of up to len bytes from in to out, never blocking on a pipe
 * (SPLICE_F_NONBLOCK; sockets are non-blocking already). A socket is
 * shown by its number; another end by its name (inname, outname: "stdin",
 * "pipe"), which is NULL for a socket. A splice between two descriptors
 * that are not sockets is not a socket call and is not traced. Without
 * splice(2), -1 with ENOSYS.
 */
#ifdef HAVE_SPLICE
ssize_t
sys_splice(int in, const char *inname, int out, const char *outname,
    size_t len)
{
	char	 a[3][ARG];
	ssize_t	 n;

	do
		n = splice(in, NULL, out, NULL, len,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n == -1 && errno == EINTR);
	if (trace_on() && (inname == NULL || outname == NULL)) {
		const char	*args[] = {
		    inname != NULL ? inname : num(in, a[0]),
		    outname != NULL ? outname : num(out, a[1]),
		    num((long long)len, a[2]),
		    "SPLICE_F_MOVE|SPLICE_F_NONBLOCK" };

		sys_trace("splice", args, 4, n, errno, NULL);
	}
	return n;
}
#else
ssize_t
sys_splice(int in, const char *inname, int out, const char *outname,
    size_t len)
{
	(void)in;
	(void)inname;
	(void)out;
	(void)outname;
	(void)len;
	errno = ENOSYS;
	return -1;
}
#endif
