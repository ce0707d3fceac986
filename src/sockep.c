/*
 * The endpoint for a connected stream socket (TCP, UNIX stream, SCTP).
 * Beyond reading and writing, it is where the sockets API shows: the
 * send and receive flags of the command line, --peek, records of exactly
 * --recv-size bytes (--waitall), urgent data (--oob, and MSG_OOB received
 * and reported with its offset), descriptors (SCM_RIGHTS) and
 * credentials (SCM_CREDENTIALS) sent and received, telnet refusals (-t).
 * What it sees that a user should know is told through ep->event.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

/* Telnet (RFC 854): the bytes of an IAC sequence. */
#define TN_IAC	255
#define TN_DONT	254
#define TN_DO	253
#define TN_WONT	252
#define TN_WILL	251
#define TN_SB	250
#define TN_SE	240

enum tn_state {
	TN_DATA,		/* plain data */
	TN_CMD,			/* after IAC */
	TN_OPT,			/* after IAC DO/DONT/WILL/WONT */
	TN_SUB,			/* inside IAC SB ... */
	TN_SUB_IAC,		/* IAC inside a subnegotiation */
};

struct sockep {
	struct sc_endpoint	 ep;		/* first: the relay's view */
	int			 sflags;	/* --send-flags */
	int			 rflags;	/* --recv-flags */
	int			 peek;		/* bytes to peek at, or 0 */
	size_t			 record;	/* --waitall: bytes per read */
	bool			 urgent;	/* report MSG_OOB data */
	bool			 urgent_due;	/* one waits for its mark */
	unsigned char		 urgent_byte;
	uint64_t		 received;	/* stream offset */
	int			 pass_fd;	/* sent with the first data */
	bool			 send_creds;
	bool			 cmsgs;		/* receive with recvmsg() */
	pid_t			 last_pid;	/* creds last reported */
	unsigned char		 tn_state, tn_cmd;
};

static void
sockep_event(struct sockep *s, enum sc_ep_event ev, const void *data,
    size_t len, uint64_t n)
{
	if (s->ep.event != NULL)
		s->ep.event(&s->ep, ev, data, len, n);
}

/*
 * -t: take the telnet commands out of what was received, and refuse
 * every option the peer offers or asks for: DO becomes WONT, WILL
 * becomes DONT, as OpenBSD nc answers. IAC IAC is a data byte 255.
 * Returns the data bytes left in buf.
 */
static size_t
telnet_filter(struct sockep *s, unsigned char *buf, size_t n)
{
	unsigned char	 reply[3];
	size_t		 i, out = 0;

	for (i = 0; i < n; i++) {
		unsigned char	 c = buf[i];

		switch (s->tn_state) {
		case TN_DATA:
			if (c == TN_IAC)
				s->tn_state = TN_CMD;
			else
				buf[out++] = c;
			break;
		case TN_CMD:
			s->tn_state = TN_DATA;
			if (c == TN_IAC)
				buf[out++] = c;
			else if (c == TN_SB)
				s->tn_state = TN_SUB;
			else if (c >= TN_WILL && c <= TN_DONT) {
				s->tn_cmd = c;
				s->tn_state = TN_OPT;
			}
			break;
		case TN_OPT:
			s->tn_state = TN_DATA;
			if (s->tn_cmd != TN_DO && s->tn_cmd != TN_WILL)
				break;
			reply[0] = TN_IAC;
			reply[1] = s->tn_cmd == TN_DO ? TN_WONT : TN_DONT;
			reply[2] = c;
			if (sys_send(s->ep.wfd, reply, sizeof(reply),
			    MSG_DONTWAIT) == (ssize_t)sizeof(reply) &&
			    s->ep.tap != NULL)
				s->ep.tap(&s->ep, SC_TAP_SENT, reply,
				    sizeof(reply), NULL, 0);
			break;
		case TN_SUB:
			if (c == TN_IAC)
				s->tn_state = TN_SUB_IAC;
			break;
		default:
			s->tn_state = c == TN_SE ? TN_DATA : TN_SUB;
			break;
		}
	}
	return out;
}

/* --peek: before the first read, show the first data without taking it. */
static void
sockep_peek(struct sockep *s)
{
	unsigned char	*buf;
	ssize_t		 n;

	if ((buf = malloc((size_t)s->peek)) == NULL)
		return;
	n = sys_recv(s->ep.rfd, buf, (size_t)s->peek, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0) {
		sockep_event(s, SC_EP_PEEK, buf, (size_t)n, (uint64_t)n);
		s->peek = 0;
	}
	free(buf);
}

/* What came with the data: descriptors and credentials. */
static void
sockep_cmsgs(struct sockep *s, struct msghdr *msg)
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
				sockep_event(s, SC_EP_FD, NULL, 0,
				    (uint64_t)fd);
				(void)close(fd);
			}
		}
#ifdef SCM_CREDENTIALS
		else if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred	 uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			if (uc.pid != s->last_pid)
				sockep_event(s, SC_EP_CREDS, &uc, sizeof(uc),
				    0);
			s->last_pid = uc.pid;
		}
#endif
	}
}

static ssize_t
sockep_recv(struct sockep *s, void *buf, size_t len, int flags)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	char		 cbuf[CMSG_SPACE(sizeof(int) * 16) + 64];
	ssize_t		 n;

	if (!s->cmsgs)
		return sys_recv(s->ep.rfd, buf, len, flags);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
#ifdef MSG_CMSG_CLOEXEC
	flags |= MSG_CMSG_CLOEXEC;
#endif
	if ((n = sys_recvmsg(s->ep.rfd, &msg, flags)) > 0)
		sockep_cmsgs(s, &msg);
	return n;
}

/* Urgent data whose mark the stream has now reached: report it. */
static void
sockep_mark(struct sockep *s)
{
	int	 at = 0;

	if (!s->urgent_due || sys_ioctl_int(s->ep.rfd, SIOCATMARK,
	    "SIOCATMARK", &at) == -1 || !at)
		return;
	s->urgent_due = false;
	sockep_event(s, SC_EP_URGENT, &s->urgent_byte, 1, s->received);
}

static ssize_t
sockep_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	struct sockep	*s = (struct sockep *)(void *)ep;
	int		 flags = MSG_DONTWAIT | s->rflags;
	ssize_t		 n;

	if (s->peek > 0)
		sockep_peek(s);
	if (s->record > 0) {
		len = len < s->record ? len : s->record;
		flags |= MSG_WAITALL;
	}
	n = sockep_recv(s, buf, len, flags);
	if (n <= 0)
		return n;
	if (ep->tap != NULL)
		ep->tap(ep, SC_TAP_RECEIVED, buf, (size_t)n, NULL, 0);
	s->received += (uint64_t)n;
	sockep_mark(s);
	if (ep->telnet && (n = (ssize_t)telnet_filter(s, buf,
	    (size_t)n)) == 0) {
		errno = EAGAIN;		/* only commands: no data, no EOF */
		return -1;
	}
	return n;
}

/* The first data sent carries --send-fd and --send-creds. */
static ssize_t
sockep_sendmsg(struct sockep *s, const void *buf, size_t len, int flags)
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
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	c = CMSG_FIRSTHDR(&msg);
	msg.msg_controllen = 0;
	if (s->pass_fd != -1) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &s->pass_fd, sizeof(int));
		msg.msg_controllen += CMSG_SPACE(sizeof(int));
		c = (struct cmsghdr *)(void *)((char *)c +
		    CMSG_SPACE(sizeof(int)));
	}
#ifdef SCM_CREDENTIALS
	if (s->send_creds) {
		struct ucred	 uc = { getpid(), getuid(), getgid() };

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(uc));
		memcpy(CMSG_DATA(c), &uc, sizeof(uc));
		msg.msg_controllen += CMSG_SPACE(sizeof(uc));
	}
#endif
	n = sys_sendmsg(s->ep.wfd, &msg, flags);
	if (n > 0) {
		if (s->pass_fd != -1)
			(void)close(s->pass_fd);
		s->pass_fd = -1;
		s->send_creds = false;
	}
	return n;
}

static ssize_t
sockep_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	struct sockep	*s = (struct sockep *)(void *)ep;
	int		 flags = MSG_DONTWAIT | s->sflags;
	ssize_t		 n;

	if (s->pass_fd != -1 || s->send_creds)
		n = sockep_sendmsg(s, buf, len, flags);
	else
		n = sys_send(ep->wfd, buf, len, flags);
	if (n > 0 && ep->tap != NULL)
		ep->tap(ep, SC_TAP_SENT, buf, (size_t)n, NULL, 0);
	return n;
}

/*
 * At stdin's EOF: a descriptor or credentials that found no data to
 * ride on go with one NUL byte.
 */
static int
sockep_flush(struct sc_endpoint *ep)
{
	struct sockep	*s = (struct sockep *)(void *)ep;

	if (s->pass_fd == -1 && !s->send_creds)
		return 0;
	return sockep_sendmsg(s, "", 1, MSG_DONTWAIT) == -1 ? -1 : 0;
}

static int
sockep_shutdown_wr(struct sc_endpoint *ep)
{
	return sys_shutdown(ep->wfd, SHUT_WR);
}

static void
sockep_close(struct sc_endpoint *ep)
{
	struct sockep	*s = (struct sockep *)(void *)ep;

	if (ep->rfd != -1)
		(void)sys_close(ep->rfd);
	if (s->pass_fd != -1)
		(void)close(s->pass_fd);
	free(s);
}

/* POLLPRI: urgent data came; read it now, report it at its mark. */
static void
sockep_urgent(struct sc_endpoint *ep)
{
	struct sockep	*s = (struct sockep *)(void *)ep;
	unsigned char	 c;

	if (!s->urgent || sys_recv(ep->rfd, &c, 1, MSG_OOB | MSG_DONTWAIT) != 1)
		return;
	s->urgent_byte = c;
	s->urgent_due = true;
	sockep_mark(s);
}

static ssize_t
sockep_send_urgent(struct sc_endpoint *ep, const void *buf, size_t len)
{
	ssize_t	 n = sys_send(ep->wfd, buf, len, MSG_OOB | MSG_DONTWAIT);

	if (n > 0 && ep->tap != NULL)
		ep->tap(ep, SC_TAP_SENT, buf, (size_t)n, NULL, 0);
	return n;
}

static int
sockep_unacked(struct sc_endpoint *ep, size_t *n)
{
	return osdep_unacked(ep->wfd, n);
}

/*
 * The relay spliced n bytes from (or to) the socket: count them as a
 * read or a write would, and see whether urgent data's mark has come.
 */
static void
sockep_spliced(struct sc_endpoint *ep, bool wr, size_t n)
{
	struct sockep	*s = (struct sockep *)(void *)ep;

	if (ep->tap != NULL)
		ep->tap(ep, wr ? SC_TAP_SENT : SC_TAP_RECEIVED, NULL, n, NULL,
		    0);
	if (wr)
		return;
	s->received += (uint64_t)n;
	sockep_mark(s);
}

static const struct sc_endpoint_ops sockep_ops = {
	.read = sockep_read,
	.write = sockep_write,
	.flush = sockep_flush,
	.shutdown_wr = sockep_shutdown_wr,
	.close = sockep_close,
	.urgent = sockep_urgent,
	.send_urgent = sockep_send_urgent,
	.spliced = sockep_spliced,
};

static const struct sc_endpoint_ops sockep_tcp_ops = {
	.read = sockep_read,
	.write = sockep_write,
	.flush = sockep_flush,
	.shutdown_wr = sockep_shutdown_wr,
	.close = sockep_close,
	.urgent = sockep_urgent,
	.send_urgent = sockep_send_urgent,
	.unacked = sockep_unacked,
	.spliced = sockep_spliced,
};

/*
 * A connected stream socket, which the endpoint owns from now on; label
 * names the peer for messages. A TCP socket can also tell how much the
 * peer has yet to acknowledge. NULL when out of memory (fd is closed).
 */
struct sc_endpoint *
endpoint_socket(int fd, const char *label, bool tcp)
{
	struct sockep	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)sys_close(fd);
		return NULL;
	}
	s->pass_fd = -1;
	s->ep.ops = tcp ? &sockep_tcp_ops : &sockep_ops;
	s->ep.rfd = s->ep.wfd = fd;
	s->ep.rsock = s->ep.wsock = true;
	s->ep.rsp.ok = s->ep.wsp.ok = true;	/* until an option needs bytes */
	s->ep.owns_fds = true;
	endpoint_label(&s->ep, label);
	return &s->ep;
}

/*
 * What the options ask of the socket's data calls. -1 with *err when
 * --send-fd's file cannot be opened.
 */
int
endpoint_socket_setup(struct sc_endpoint *ep, const struct sc_opts *o,
    struct sc_error *err)
{
	struct sockep	*s = (struct sockep *)(void *)ep;
	const char	*errstr;
	int		 on = 1, fd;

	s->sflags = o->send_flags;
	s->rflags = o->recv_flags;
	s->peek = o->peek;
	ep->telnet = o->telnet;
	if (o->waitall) {
		s->record = o->recv_size;
		ep->rmin = o->recv_size;
		/* ready only once a whole record is there (or the EOF) */
		if (sys_setsockopt(ep->rfd, SOL_SOCKET, SO_RCVLOWAT,
		    &(int){ (int)o->recv_size }, sizeof(int)) == -1) {
			error_set(err, SC_EXIT_FAIL, errno, "setsockopt "
			    "SO_RCVLOWAT %zu for --waitall", o->recv_size);
			return -1;
		}
	}
	/* what the data calls do beyond moving bytes rules splice out */
	ep->rsp.ok = o->recv_flags == 0 && o->peek == 0 && !o->waitall &&
	    !o->recv_fd && !o->recv_creds && !o->telnet;
	ep->wsp.ok = o->send_flags == 0 && o->send_fd == NULL &&
	    !o->send_creds && !o->telnet;
	s->urgent = o->proto->protocol == IPPROTO_TCP && !o->oob_inline;
	ep->urgent_watch = s->urgent;
	s->cmsgs = o->recv_fd || o->recv_creds;
	if (o->recv_creds && sys_setsockopt(ep->rfd, SOL_SOCKET, SO_PASSCRED,
	    &on, sizeof(on)) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "setsockopt SO_PASSCRED");
		return -1;
	}
	s->send_creds = o->send_creds;
	if (o->send_fd == NULL)
		return 0;
	if (strncmp(o->send_fd, "fd:", 3) == 0) {
		fd = (int)strtonum(o->send_fd + 3, 0, INT_MAX, &errstr);
		if (errstr != NULL ||
		    (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1)
			goto fail;
	} else if ((fd = open(o->send_fd, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	s->pass_fd = fd;
	return 0;
fail:
	error_set(err, SC_EXIT_FAIL, errno ? errno : EBADF, "--send-fd %s",
	    o->send_fd);
	return -1;
}

/* Name the endpoint's peer in its messages: "recv from LABEL". */
void
endpoint_label(struct sc_endpoint *ep, const char *label)
{
	(void)snprintf(ep->rname, sizeof(ep->rname), "recv from %s", label);
	(void)snprintf(ep->wname, sizeof(ep->wname), "send to %s", label);
}
