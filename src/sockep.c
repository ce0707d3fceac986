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
	enum sc_framing		 framing;	/* --waitall: of each record */
	unsigned char		*rec;		/* the record being read */
	size_t			 reclen;
	int			 lowat;		/* SO_RCVLOWAT now */
	int			 rerr;		/* read error after a record */
	bool			 reof;		/* the EOF after a record */
	struct sc_zcopy		*zc;		/* --send-flags zerocopy */
	bool			 urgent;	/* report MSG_OOB data */
	bool			 urgent_due;	/* one waits for its mark */
	unsigned char		 urgent_byte;
	uint64_t		 received;	/* stream offset */
	struct sc_anc		 anc;		/* descriptors, credentials */
	bool			 cmsgs;		/* receive with recvmsg() */
	bool			 tcp;		/* can tell what is unacked */
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

static ssize_t
sockep_recv(struct sockep *s, void *buf, size_t len, int flags)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		char		 buf[CMSG_SPACE(sizeof(int) * 16) + 64];
		struct cmsghdr	 align;
	}		 cbuf;
	ssize_t		 n;

	if (!s->cmsgs)
		return sys_recv(s->ep.rfd, buf, len, flags);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
#ifdef MSG_CMSG_CLOEXEC
	flags |= MSG_CMSG_CLOEXEC;
#endif
	if ((n = sys_recvmsg(s->ep.rfd, &msg, flags)) > 0)
		anc_received(&s->anc, &msg, &s->ep);
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

/* Bytes received: show them to the taps, count them, watch the mark. */
static void
sockep_got(struct sockep *s, const void *buf, size_t n)
{
	if (s->ep.tap != NULL)
		s->ep.tap(&s->ep, SC_TAP_RECEIVED, buf, n, NULL, 0);
	s->received += (uint64_t)n;
	sockep_mark(s);
}

/* MSG_ZEROCOPY: take the kernel's notifications, free what it is done with. */
static void
sockep_reap(struct sockep *s)
{
	if (s->zc != NULL && zcopy_held(s->zc) > 0 &&
	    zcopy_reap(s->zc, s->ep.wfd) == 1)
		sockep_event(s, SC_EP_ZEROCOPY_COPIED, NULL, 0, 0);
}

/* --waitall: have the socket read as ready once want bytes are there. */
static void
sockep_lowat(struct sockep *s, int want)
{
	if (s->lowat != want && sys_setsockopt(s->ep.rfd, SOL_SOCKET,
	    SO_RCVLOWAT, &want, sizeof(want)) == 0)
		s->lowat = want;
}

/*
 * --waitall: one whole record per read, framed as --framing says (line:
 * a newline after it, nul: a NUL, len32: its length before it); the last
 * one, at the end of file, may be shorter. When a read brings part of a
 * record (the kernel wakes a reader early when memory is short, and stops
 * at an urgent mark), the part waits here for the rest, with SO_RCVLOWAT
 * lowered meanwhile to what is missing.
 */
static ssize_t
sockep_read_record(struct sockep *s, unsigned char *out, size_t len)
{
	ssize_t	 got;
	size_t	 n;

	if (s->reof)
		return 0;
	if (s->rerr != 0 || len < s->record + framing_overhead(s->framing)) {
		errno = s->rerr != 0 ? s->rerr : ENOBUFS;
		return -1;
	}
	got = sockep_recv(s, s->rec + s->reclen, s->record - s->reclen,
	    MSG_DONTWAIT | MSG_WAITALL | s->rflags);
	if (got > 0) {
		sockep_got(s, s->rec + s->reclen, (size_t)got);
		s->reclen += (size_t)got;
		if (s->reclen < s->record) {
			sockep_lowat(s, (int)(s->record - s->reclen));
			errno = EAGAIN;
			return -1;
		}
	} else if (got == -1 && (s->reclen == 0 || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return -1;
	else if (got == -1)
		s->rerr = errno;	/* after the part already here */
	else if (s->reclen == 0)
		return 0;
	else
		s->reof = true;		/* after the part already here */
	sockep_lowat(s, (int)s->record);
	n = framing_prefix(s->framing, s->reclen, out);
	memcpy(out + n, s->rec, s->reclen);
	n += s->reclen;
	n += framing_suffix(s->framing, out + n);
	s->reclen = 0;
	return (ssize_t)n;
}

static ssize_t
sockep_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	struct sockep	*s = (struct sockep *)(void *)ep;
	ssize_t		 n;

	sockep_reap(s);
	if (s->peek > 0)
		sockep_peek(s);
	if (s->record > 0)
		return sockep_read_record(s, buf, len);
	n = sockep_recv(s, buf, len, MSG_DONTWAIT | s->rflags);
	if (n <= 0)
		return n;
	sockep_got(s, buf, (size_t)n);
	if (ep->telnet && (n = (ssize_t)telnet_filter(s, buf,
	    (size_t)n)) == 0) {
		errno = EAGAIN;		/* only commands: no data, no EOF */
		return -1;
	}
	return n;
}

static ssize_t
sockep_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	struct sockep	*s = (struct sockep *)(void *)ep;
	int		 flags = MSG_DONTWAIT | s->sflags;
	ssize_t		 n;

	sockep_reap(s);
	/* the first data sent carries --send-fd and --send-creds */
	if (anc_pending(&s->anc))
		n = anc_sendmsg(&s->anc, ep->wfd, buf, len, flags, NULL, 0);
	else if (s->zc != NULL)
		n = zcopy_send(s->zc, ep->wfd, buf, len, flags);
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

	if (!anc_pending(&s->anc))
		return 0;
	return anc_sendmsg(&s->anc, ep->wfd, "", 1, MSG_DONTWAIT, NULL,
	    0) == -1 ? -1 : 0;
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

	if (s->zc != NULL)
		zcopy_free(s->zc, ep->wfd);
	if (ep->rfd != -1)
		(void)sys_close(ep->rfd);
	anc_free(&s->anc);
	free(s->rec);
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

/* The socket has an error condition: MSG_ZEROCOPY notifications, maybe. */
static void
sockep_errqueue(struct sc_endpoint *ep)
{
	sockep_reap((struct sockep *)(void *)ep);
}

/* What the peer has yet to acknowledge; -1 when not a TCP socket. */
static int
sockep_unacked(struct sc_endpoint *ep, size_t *n)
{
	struct sockep	*s = (struct sockep *)(void *)ep;

	if (!s->tcp) {
		errno = EOPNOTSUPP;
		return -1;
	}
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
	.errqueue = sockep_errqueue,
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
	anc_init(&s->anc);
	s->ep.ops = &sockep_ops;
	s->tcp = tcp;
	s->ep.rfd = s->ep.wfd = fd;
	s->ep.rsock = s->ep.wsock = true;
	/* until an option needs the bytes */
	s->ep.rsp.ok = s->ep.wsp.ok = true;
	s->ep.owns_fds = true;
	endpoint_label(&s->ep, label);
	return &s->ep;
}

/* Did the command line set the receive buffer (-I, --sockopt)? */
static bool
sockep_rcvbuf_given(const struct sc_opts *o)
{
	size_t	 i;

	for (i = 0; i < o->nsockopts; i++) {
		if (o->sockopts[i].level == SOL_SOCKET &&
		    o->sockopts[i].name == SO_RCVBUF)
			return true;
	}
	return false;
}

/*
 * --waitall: SO_RCVLOWAT of a record, so that the socket reads as ready
 * once a whole one is there. The kernel keeps it at most half the receive
 * buffer: a buffer of less than two records is made larger (unless the
 * command line chose it), and if the kernel still holds less, that is an
 * error. -vv shows both.
 */
static int
sockep_waitall(struct sockep *s, const struct sc_opts *o,
    struct sc_error *err)
{
	static char	 why[96];
	int		 fd = s->ep.rfd, want = (int)o->recv_size, have = 0;
	int		 buf = 0;

	s->record = o->recv_size;
	s->framing = o->framing;
	s->ep.rmin = o->recv_size + framing_overhead(o->framing);
	if ((s->rec = malloc(o->recv_size)) == NULL) {
		error_set(err, SC_EXIT_FAIL, errno, "--waitall");
		return -1;
	}
	if (sockopt_set_own(fd, SOL_SOCKET, SO_RCVLOWAT, want, "--waitall",
	    err) == -1)
		return -1;
	if (!sockep_rcvbuf_given(o) && sockopt_get_int(fd, SOL_SOCKET,
	    SO_RCVBUF, &buf) == 0 && buf / 2 < want) {
		if (sockopt_set_own(fd, SOL_SOCKET, SO_RCVBUF, 2 * want,
		    "--waitall", err) == -1 || sockopt_set_own(fd, SOL_SOCKET,
		    SO_RCVLOWAT, want, "--waitall", err) == -1)
			return -1;
	} else
		sockopt_show(fd, SOL_SOCKET, SO_RCVBUF);
	(void)sockopt_get_int(fd, SOL_SOCKET, SO_RCVLOWAT, &have);
	if (have < want) {
		(void)snprintf(why, sizeof(why), "the kernel holds %d, half "
		    "the receive buffer at most", have);
		error_reason(err, SC_EXIT_FAIL, why, "setsockopt SO_RCVLOWAT "
		    "%d for --waitall", want);
		return -1;
	}
	s->lowat = want;
	return 0;
}

/* --send-flags zerocopy: SO_ZEROCOPY, and chunks to send from. */
static int
sockep_zerocopy(struct sockep *s, struct sc_error *err)
{
#if defined(MSG_ZEROCOPY) && defined(SO_ZEROCOPY)
	if (!(s->sflags & MSG_ZEROCOPY))
		return 0;
	s->sflags &= ~MSG_ZEROCOPY;	/* zcopy_send() adds it */
	if (sockopt_set_own(s->ep.wfd, SOL_SOCKET, SO_ZEROCOPY, 1,
	    "--send-flags zerocopy", err) == -1)
		return -1;
	if ((s->zc = zcopy_new()) == NULL) {
		error_set(err, SC_EXIT_FAIL, errno, "--send-flags zerocopy");
		return -1;
	}
#else
	(void)s;
	(void)err;
#endif
	return 0;
}

/*
 * What the options ask of the socket's data calls. -1 with *err when an
 * option the socket needs is refused, or --send-fd's file cannot be
 * opened.
 */
int
endpoint_socket_setup(struct sc_endpoint *ep, const struct sc_opts *o,
    struct sc_error *err)
{
	struct sockep	*s = (struct sockep *)(void *)ep;

	s->sflags = o->send_flags;
	s->rflags = o->recv_flags;
	s->peek = o->peek;
	ep->telnet = o->telnet;
	if ((o->waitall && sockep_waitall(s, o, err) == -1) ||
	    sockep_zerocopy(s, err) == -1)
		return -1;
	/* what the data calls do beyond moving bytes rules splice out */
	ep->rsp.ok = o->recv_flags == 0 && o->peek == 0 && !o->waitall &&
	    !o->recv_fd && !o->recv_creds && !o->telnet;
	ep->wsp.ok = o->send_flags == 0 && o->send_fd == NULL &&
	    !o->send_creds && !o->telnet;
	s->urgent = o->proto->protocol == IPPROTO_TCP && !o->oob_inline;
	ep->urgent_watch = s->urgent;
	s->cmsgs = o->recv_fd || o->recv_creds;
	return anc_setup(&s->anc, ep->rfd, o, err);
}

/* Name the endpoint's peer in its messages: "recv from LABEL". */
void
endpoint_label(struct sc_endpoint *ep, const char *label)
{
	(void)snprintf(ep->rname, sizeof(ep->rname), "recv from %s", label);
	(void)snprintf(ep->wname, sizeof(ep->wname), "send to %s", label);
}
