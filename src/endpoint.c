/*
 * Endpoints for the relay: standard input and output, and a connected
 * socket. Both read and write without blocking: sockets through
 * MSG_DONTWAIT, pipes and terminals by never writing more than PIPE_BUF
 * after poll(2) said the descriptor was writable. sockcat does not set
 * O_NONBLOCK on descriptors it inherits, since that flag would also
 * change them for every other process sharing them (the shell, a tee).
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
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

/* Telnet (RFC 854): the bytes of an IAC sequence, and what to say. */
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

/*
 * -t: take the telnet commands out of what was received, and refuse
 * every option the peer offers or asks for: DO becomes WONT, WILL
 * becomes DONT, as OpenBSD nc answers. IAC IAC is a data byte 255.
 * Returns the data bytes left in buf.
 */
static size_t
telnet_filter(struct sc_endpoint *ep, unsigned char *buf, size_t n)
{
	unsigned char	 reply[3];
	size_t		 i, out = 0;

	for (i = 0; i < n; i++) {
		unsigned char	 c = buf[i];

		switch (ep->tn_state) {
		case TN_DATA:
			if (c == TN_IAC)
				ep->tn_state = TN_CMD;
			else
				buf[out++] = c;
			break;
		case TN_CMD:
			ep->tn_state = TN_DATA;
			if (c == TN_IAC)
				buf[out++] = c;
			else if (c == TN_SB)
				ep->tn_state = TN_SUB;
			else if (c >= TN_WILL && c <= TN_DONT) {
				ep->tn_cmd = c;
				ep->tn_state = TN_OPT;
			}
			break;
		case TN_OPT:
			ep->tn_state = TN_DATA;
			if (ep->tn_cmd != TN_DO && ep->tn_cmd != TN_WILL)
				break;
			reply[0] = TN_IAC;
			reply[1] = ep->tn_cmd == TN_DO ? TN_WONT : TN_DONT;
			reply[2] = c;
			(void)sys_send(ep->wfd, reply, sizeof(reply),
			    MSG_DONTWAIT);
			break;
		case TN_SUB:
			if (c == TN_IAC)
				ep->tn_state = TN_SUB_IAC;
			break;
		default:
			ep->tn_state = c == TN_SE ? TN_DATA : TN_SUB;
			break;
		}
	}
	return out;
}

/*
 * -C: read at most half of len, at the end of buf, and write it out from
 * the start with each LF that has no CR before it made CRLF. The output
 * never overtakes the input; the last byte is remembered across reads.
 */
static ssize_t
crlf_read(struct sc_endpoint *ep, unsigned char *buf, size_t len)
{
	size_t		 m = len / 2, i, out = 0;
	unsigned char	*in = buf + len - m;
	ssize_t		 n;

	if (m == 0) {
		errno = EAGAIN;
		return -1;
	}
	if ((n = sys_read(ep->rfd, in, m)) <= 0)
		return n;
	for (i = 0; i < (size_t)n; i++) {
		if (in[i] == '\n' && !ep->crlf_cr)
			buf[out++] = '\r';
		ep->crlf_cr = in[i] == '\r';
		buf[out++] = in[i];
	}
	return (ssize_t)out;
}

static ssize_t
fd_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	ssize_t	 n;

	if (!ep->rsock)
		return ep->crlf ? crlf_read(ep, buf, len) :
		    sys_read(ep->rfd, buf, len);
	n = sys_recv(ep->rfd, buf, len, MSG_DONTWAIT);
	if (n > 0 && ep->tap != NULL)
		ep->tap(ep, SC_TAP_RECEIVED, buf, (size_t)n, NULL, 0);
	if (n > 0 && ep->telnet &&
	    (n = (ssize_t)telnet_filter(ep, buf, (size_t)n)) == 0) {
		errno = EAGAIN;		/* only commands: no data, no EOF */
		return -1;
	}
	return n;
}

static ssize_t
fd_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	ssize_t	 n;

	if (ep->wmax != 0 && len > ep->wmax)
		len = ep->wmax;
	if (!ep->wsock)
		return sys_write(ep->wfd, buf, len);
	n = sys_send(ep->wfd, buf, len, MSG_DONTWAIT);
	if (n > 0 && ep->tap != NULL)
		ep->tap(ep, SC_TAP_SENT, buf, (size_t)n, NULL, 0);
	return n;
}

/*
 * End of our output. A socket is shut down for writing; anything else is
 * closed by putting /dev/null in its place, so that the reader sees EOF
 * while the descriptor number stays taken.
 */
static int
fd_shutdown_wr(struct sc_endpoint *ep)
{
	int	 null, rv;

	if (ep->wsock)
		return sys_shutdown(ep->wfd, SHUT_WR);
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	rv = dup2(null, ep->wfd);
	(void)close(null);		/* not a socket: not for the trace */
	if (rv == -1)
		return -1;
	ep->wsock = false;
	ep->wmax = 0;
	return 0;
}

static void
fd_close(struct sc_endpoint *ep)
{
	if (!ep->owns_fds)
		return;
	if (ep->rfd != -1)
		(void)sys_close(ep->rfd);
	if (ep->wfd != -1 && ep->wfd != ep->rfd)
		(void)sys_close(ep->wfd);
	ep->rfd = ep->wfd = -1;
}

static int
tcp_unacked(struct sc_endpoint *ep, size_t *n)
{
	return osdep_unacked(ep->wfd, n);
}

static const struct sc_endpoint_ops fd_ops = {
	.read = fd_read,
	.write = fd_write,
	.shutdown_wr = fd_shutdown_wr,
	.close = fd_close,
};

/* How much can be written to fd without blocking once it polls writable. */
static size_t
fd_wmax(const struct stat *st)
{
	if (S_ISREG(st->st_mode) || S_ISSOCK(st->st_mode))
		return 0;
	return PIPE_BUF;
}

/* Standard input and output as one endpoint. */
int
endpoint_stdio(struct sc_endpoint *ep)
{
	struct stat	 in, out;

	memset(ep, 0, sizeof(*ep));
	if (fstat(STDIN_FILENO, &in) == -1 || fstat(STDOUT_FILENO, &out) == -1)
		return -1;
	ep->ops = &fd_ops;
	ep->rfd = STDIN_FILENO;
	ep->wfd = STDOUT_FILENO;
	ep->rsock = S_ISSOCK(in.st_mode);
	ep->wsock = S_ISSOCK(out.st_mode);
	ep->wmax = fd_wmax(&out);
	ep->is_tty = isatty(STDIN_FILENO) == 1;
	ep->owns_fds = false;
	(void)snprintf(ep->rname, sizeof(ep->rname), "read from stdin");
	(void)snprintf(ep->wname, sizeof(ep->wname), "write to stdout");
	return 0;
}

static void
socket_close(struct sc_endpoint *ep)
{
	fd_close(ep);
	free(ep);
}

static const struct sc_endpoint_ops socket_ops = {
	.read = fd_read,
	.write = fd_write,
	.shutdown_wr = fd_shutdown_wr,
	.close = socket_close,
};

static const struct sc_endpoint_ops tcp_ops = {
	.read = fd_read,
	.write = fd_write,
	.shutdown_wr = fd_shutdown_wr,
	.close = socket_close,
	.unacked = tcp_unacked,
};

/*
 * A connected stream socket, which the endpoint owns from now on; label
 * names the peer for messages. A TCP socket can also tell how much the
 * peer has yet to acknowledge. NULL when out of memory (fd is closed).
 */
struct sc_endpoint *
endpoint_socket(int fd, const char *label, bool tcp)
{
	struct sc_endpoint	*ep;

	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		(void)sys_close(fd);
		return NULL;
	}
	ep->ops = tcp ? &tcp_ops : &socket_ops;
	ep->rfd = ep->wfd = fd;
	ep->rsock = ep->wsock = true;
	ep->owns_fds = true;
	(void)snprintf(ep->rname, sizeof(ep->rname), "recv from %s", label);
	(void)snprintf(ep->wname, sizeof(ep->wname), "send to %s", label);
	return ep;
}

int
buf_init(struct sc_buf *b, size_t size)
{
	memset(b, 0, sizeof(*b));
	if ((b->data = malloc(size)) == NULL)
		return -1;
	b->size = size;
	return 0;
}

void
buf_free(struct sc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Name the endpoint's peer in its messages: "recv from LABEL". */
void
endpoint_label(struct sc_endpoint *ep, const char *label)
{
	(void)snprintf(ep->rname, sizeof(ep->rname), "recv from %s", label);
	(void)snprintf(ep->wname, sizeof(ep->wname), "send to %s", label);
}
