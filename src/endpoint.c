/*
 * The endpoint for standard input and output (sockep.c has the one for
 * sockets). It reads and writes without blocking: sockets through
 * MSG_DONTWAIT, pipes and terminals by never writing more than PIPE_BUF
 * after poll(2) said the descriptor was writable (regular files and
 * /dev/null take any write at once). sockcat does not set
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

/* stdin and stdout: read(2)/write(2), or recv/send when sockets. */
static ssize_t
fd_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	if (ep->rsock)
		return sys_recv(ep->rfd, buf, len, MSG_DONTWAIT);
	return ep->crlf ? crlf_read(ep, buf, len) : sys_read(ep->rfd, buf, len);
}

static ssize_t
fd_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	if (ep->wmax != 0 && len > ep->wmax)
		len = ep->wmax;
	if (ep->wsock)
		return sys_send(ep->wfd, buf, len, MSG_DONTWAIT);
	return sys_write(ep->wfd, buf, len);
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
	ep->wsp.ok = false;
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

static const struct sc_endpoint_ops fd_ops = {
	.read = fd_read,
	.write = fd_write,
	.shutdown_wr = fd_shutdown_wr,
	.close = fd_close,
};

/* Is st that of /dev/null, which takes any write at once? */
static bool
fd_devnull(const struct stat *st)
{
	struct stat	 null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && null.st_rdev == st->st_rdev;
}

/* How much can be written to fd without blocking once it polls writable. */
static size_t
fd_wmax(const struct stat *st)
{
	if (S_ISREG(st->st_mode) || S_ISSOCK(st->st_mode) || fd_devnull(st))
		return 0;
	return PIPE_BUF;
}

/*
 * May the relay splice(2) this standard descriptor? A pipe, or a regular
 * file; not a socket, which sockcat does not make non-blocking, and not a
 * terminal or another device. Standard output opened for appending is
 * tried too: splice refuses it (EINVAL) and the relay copies instead.
 */
static void
fd_spliceable(const struct stat *st, const char *name,
    struct sc_spliceable *sp)
{
	sp->pipe = S_ISFIFO(st->st_mode);
	sp->ok = sp->pipe || S_ISREG(st->st_mode);
	sp->name = name;
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
	fd_spliceable(&in, "stdin", &ep->rsp);
	fd_spliceable(&out, "stdout", &ep->wsp);
	ep->owns_fds = false;
	(void)snprintf(ep->rname, sizeof(ep->rname), "read from stdin");
	(void)snprintf(ep->wname, sizeof(ep->wname), "write to stdout");
	return 0;
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

