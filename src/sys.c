/*
 * Thin wrappers for every socket call sockcat makes. Each one keeps errno
 * as the call left it, so callers can report it after cleaning up, and
 * each is the single place where a later tracer sees the call.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "sockcat.h"

#if HAVE_DECL_MSG_NOSIGNAL
#define SC_MSG_NOSIGNAL	MSG_NOSIGNAL
#else
#define SC_MSG_NOSIGNAL	0	/* SIGPIPE is ignored process-wide */
#endif

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
	int	 fd;

#if HAVE_DECL_SOCK_CLOEXEC
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
#else
	fd = socket(domain, type, protocol);
	if (fd != -1 && sys_set_cloexec(fd) == -1) {
		(void)sys_close(fd);
		return -1;
	}
#endif
	return fd;
}

int
sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	return bind(fd, sa, len);
}

int
sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

/* accept(2) giving a close-on-exec, non-blocking socket. */
int
sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int	 nfd;

#ifdef HAVE_ACCEPT4
	do
		nfd = accept4(fd, sa, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	while (nfd == -1 && errno == EINTR);
	return nfd;
#else
	do
		nfd = accept(fd, sa, len);
	while (nfd == -1 && errno == EINTR);
	if (nfd == -1)
		return -1;
	if (sys_set_cloexec(nfd) == -1 || sys_set_nonblock(nfd, true) == -1) {
		(void)sys_close(nfd);
		return -1;
	}
	return nfd;
#endif
}

int
sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int	 rv;

	rv = connect(fd, sa, len);
	if (rv == -1 && errno == EINTR)
		errno = EINPROGRESS;	/* the connect goes on regardless */
	return rv;
}

ssize_t
sys_recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t	 n;

	do
		n = recv(fd, buf, len, flags);
	while (n == -1 && errno == EINTR);
	return n;
}

/* send(2) that never raises SIGPIPE. */
ssize_t
sys_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t	 n;

	do
		n = send(fd, buf, len, flags | SC_MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
sys_sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *sa, socklen_t salen)
{
	ssize_t	 n;

	do
		n = sendto(fd, buf, len, flags | SC_MSG_NOSIGNAL, sa, salen);
	while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t	 n;

	do
		n = recvmsg(fd, msg, flags);
	while (n == -1 && errno == EINTR);
	return n;
}

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
	return shutdown(fd, how);
}

/*
 * close(2) keeping errno. It is never retried: on Linux the descriptor is
 * gone even when close reports EINTR.
 */
int
sys_close(int fd)
{
	int	 saved = errno, rv;

	rv = close(fd);
	errno = saved;
	return rv;
}

int
sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return setsockopt(fd, level, name, val, len);
}

int
sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return getsockopt(fd, level, name, val, len);
}

int
sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	return getsockname(fd, sa, len);
}

int
sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	return getpeername(fd, sa, len);
}
