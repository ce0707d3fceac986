/*
 * Ancillary data of UNIX sockets, for stream (sockep.c) and message
 * (dgram.c) endpoints alike: a descriptor (SCM_RIGHTS, --send-fd) and our
 * credentials (SCM_CREDENTIALS, --send-creds) go with the first data
 * sent; the descriptors and credentials that come with what is received
 * are reported through the endpoint (--recv-fd, --recv-creds), and every
 * descriptor received is closed, asked for or not.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

void
anc_init(struct sc_anc *a)
{
	memset(a, 0, sizeof(*a));
	a->pass_fd = -1;
}

/*
 * What the options ask for on socket fd: SO_PASSCRED for --recv-creds,
 * and --send-fd's descriptor. -1 with *err when that cannot be had.
 */
int
anc_setup(struct sc_anc *a, int fd, const struct sc_opts *o,
    struct sc_error *err)
{
	const char	*errstr;
	int		 pfd;

	a->recv_fd = o->recv_fd;
	a->recv_creds = o->recv_creds;
	a->send_creds = o->send_creds;
	if (o->recv_creds && sockopt_set_own(fd, SOL_SOCKET, SO_PASSCRED, 1,
	    "--recv-creds", err) == -1)
		return -1;
	if (o->send_fd == NULL)
		return 0;
	errno = 0;
	if (strncmp(o->send_fd, "fd:", 3) == 0) {
		pfd = (int)strtonum(o->send_fd + 3, 0, INT_MAX, &errstr);
		if (errstr != NULL ||
		    (pfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3)) == -1)
			goto fail;
	} else if ((pfd = open(o->send_fd, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	a->pass_fd = pfd;
	return 0;
fail:
	error_set(err, SC_EXIT_FAIL, errno ? errno : EBADF, "--send-fd %s",
	    o->send_fd);
	return -1;
}

/* Is there something to send with the next data? */
bool
anc_pending(const struct sc_anc *a)
{
	return a->pass_fd != -1 || a->send_creds;
}

/*
 * Send buf with what is pending (to, if not NULL, names the receiver);
 * once sent, it is not sent again.
 */
ssize_t
anc_sendmsg(struct sc_anc *a, int fd, const void *buf, size_t len,
    int flags, const struct sockaddr *to, socklen_t tolen)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		char		 buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(64)];
		struct cmsghdr	 align;
	}		 cbuf;
	struct cmsghdr	*c;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = to != NULL ? tolen : 0;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	c = CMSG_FIRSTHDR(&msg);
	msg.msg_controllen = 0;
	if (a->pass_fd != -1) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &a->pass_fd, sizeof(int));
		msg.msg_controllen += CMSG_SPACE(sizeof(int));
		c = (struct cmsghdr *)(void *)((char *)c +
		    CMSG_SPACE(sizeof(int)));
	}
#ifdef SCM_CREDENTIALS
	if (a->send_creds) {
		struct ucred	 uc = { getpid(), getuid(), getgid() };

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(uc));
		memcpy(CMSG_DATA(c), &uc, sizeof(uc));
		msg.msg_controllen += CMSG_SPACE(sizeof(uc));
	}
#endif
	if (msg.msg_controllen == 0)
		msg.msg_control = NULL;
	n = sys_sendmsg(fd, &msg, flags);
	if (n >= 0) {
		if (a->pass_fd != -1)
			(void)close(a->pass_fd);
		a->pass_fd = -1;
		a->send_creds = false;
	}
	return n;
}

static void
anc_event(struct sc_endpoint *ep, enum sc_ep_event ev, const void *data,
    size_t len, uint64_t n)
{
	if (ep != NULL && ep->event != NULL)
		ep->event(ep, ev, data, len, n);
}

/*
 * What came with received data: descriptors are reported (--recv-fd),
 * then closed; credentials are reported (--recv-creds) when they differ
 * from the last ones. a may be NULL: then only the descriptors are closed.
 */
void
anc_received(struct sc_anc *a, struct msghdr *msg, struct sc_endpoint *ep)
{
	struct cmsghdr	*c;
	int		 fd;
	size_t		 i, n;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < n; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(fd));
				if (a != NULL && a->recv_fd)
					anc_event(ep, SC_EP_FD, NULL, 0,
					    (uint64_t)fd);
				(void)close(fd);
			}
		}
#ifdef SCM_CREDENTIALS
		else if (c->cmsg_type == SCM_CREDENTIALS && a != NULL &&
		    a->recv_creds) {
			struct ucred	 uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			if (uc.pid != a->last_pid)
				anc_event(ep, SC_EP_CREDS, &uc, sizeof(uc), 0);
			a->last_pid = uc.pid;
		}
#endif
	}
}

void
anc_free(struct sc_anc *a)
{
	if (a->pass_fd != -1)
		(void)close(a->pass_fd);
	a->pass_fd = -1;
}
