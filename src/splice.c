/*
 * The relay's zero-copy path: splice(2) moves one direction's bytes from
 * its source to its destination inside the kernel. When either end is a
 * pipe, one call moves them. Between two ends that are not pipes (socket
 * to socket, a regular file to a socket) they go through a pipe of the
 * direction's own, made when the first bytes come; what sits in it is
 * pending, as the copy path's buffer is, and is written out before
 * anything more is read.
 *
 * relay.c decides when this path may run and keeps the state machine;
 * each step here tells it what happened and, through want_out and plen,
 * what to wait for next: the destination (bytes wait in the pipe, or a
 * direct splice found it full) or else the source. When splice(2) cannot
 * move these descriptors (EINVAL, ENOSYS), the direction copies from then
 * on; when it is unclear why nothing moved (a socket at its urgent mark
 * makes splice stall), one read is copied.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

/* The intermediate pipe's size, where the system lets it grow. */
#define SPLICE_PIPE_SIZE	(1024 * 1024)

/* The name the trace gives the intermediate pipe. */
static const char	 pipe_name[] = "pipe";

void
splice_init(struct sc_splice *sp, bool allowed)
{
	memset(sp, 0, sizeof(*sp));
	sp->pfd[0] = sp->pfd[1] = -1;
	sp->off = !allowed || !osdep_splice();
}

/* Close the intermediate pipe; bytes still in it are dropped. */
void
splice_free(struct sc_splice *sp)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		if (sp->pfd[i] != -1)
			(void)close(sp->pfd[i]);	/* a pipe: not traced */
		sp->pfd[i] = -1;
	}
	sp->plen = 0;
	sp->want_out = false;
}

/* Could splice(2) never move bytes between these two descriptors? */
static bool
splice_unsupported(int errnum)
{
	return errnum == EINVAL || errnum == ENOSYS || errnum == EOPNOTSUPP;
}

static void
splice_count(struct sc_endpoint *ep, bool wr, size_t n)
{
	if (n > 0 && ep->ops->spliced != NULL)
		ep->ops->spliced(ep, wr, n);
}

/*
 * Move what the pipe holds to the destination. MOVED (maybe not all of
 * it: then wait for the destination), WAIT, COPY or DST_ERR.
 */
static enum sc_splice_res
splice_drain(struct sc_splice *sp, struct sc_endpoint *dst, size_t *out)
{
	ssize_t	 n;

	n = sys_splice(sp->pfd[0], pipe_name, dst->wfd, dst->wsp.name,
	    sp->plen);
	if (n > 0) {
		sp->plen -= (size_t)n;
		*out += (size_t)n;
		splice_count(dst, true, (size_t)n);
		return SC_SPLICE_MOVED;
	}
	if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
		return SC_SPLICE_WAIT;
	if (splice_unsupported(errno)) {
		sp->off = true;
		return SC_SPLICE_COPY;
	}
	return SC_SPLICE_DST_ERR;
}

/*
 * Nothing moved (EAGAIN), and the source or the destination is to blame.
 * Ask poll(2) which: a destination that is full is waited for; a source
 * with nothing to read, too. When both say they are ready (a race, or a
 * TCP socket stopped at its urgent mark, where splice stalls but recv
 * goes on), the copy path reads once.
 */
static enum sc_splice_res
splice_blocked(struct sc_splice *sp, struct sc_endpoint *src,
    struct sc_endpoint *dst, bool direct)
{
	struct pollfd	 pfd[2];

	memset(pfd, 0, sizeof(pfd));
	pfd[0].fd = src->rfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = direct ? dst->wfd : -1;
	pfd[1].events = POLLOUT;
	if (poll(pfd, 2, 0) == -1)
		return SC_SPLICE_COPY;
	if (direct && pfd[1].revents == 0) {
		sp->want_out = true;
		return SC_SPLICE_WAIT;
	}
	sp->want_out = false;
	return pfd[0].revents != 0 ? SC_SPLICE_COPY : SC_SPLICE_WAIT;
}

/*
 * What a splice from the source that moved nothing means. An end of
 * file from a socket is made sure of by one copied read, as a socket
 * stopped at its urgent mark also reads as 0 once the peer has closed;
 * and the copy path tells which end of a direct splice failed.
 */
static enum sc_splice_res
splice_none(struct sc_splice *sp, struct sc_endpoint *src,
    struct sc_endpoint *dst, bool direct, ssize_t n)
{
	if (n == 0)
		return src->rsp.name == NULL ? SC_SPLICE_COPY : SC_SPLICE_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return splice_blocked(sp, src, dst, direct);
	if (splice_unsupported(errno)) {
		sp->off = true;
		return SC_SPLICE_COPY;
	}
	/*
	 * A direct splice does not say which end failed, and a pipe with no
	 * reader fails it even when the source has nothing more to give (at
	 * its end of file): the copy path reads once and finds out.
	 */
	return direct ? SC_SPLICE_COPY : SC_SPLICE_SRC_ERR;
}

/* Splice straight from source to destination, one of them a pipe. */
static enum sc_splice_res
splice_direct(struct sc_splice *sp, struct sc_endpoint *src,
    struct sc_endpoint *dst, size_t *in, size_t *out)
{
	ssize_t	 n;

	n = sys_splice(src->rfd, src->rsp.name, dst->wfd, dst->wsp.name,
	    SC_SPLICE_MAX);
	if (n <= 0)
		return splice_none(sp, src, dst, true, n);
	sp->want_out = false;
	*in = *out = (size_t)n;
	splice_count(src, false, (size_t)n);
	splice_count(dst, true, (size_t)n);
	return SC_SPLICE_MOVED;
}

/*
 * One step of direction src to dst: deliver what the pipe holds, or read
 * the source (at most limit bytes into the pipe) and deliver what it can.
 * *in: bytes taken from the source; *out: bytes given to the destination.
 * MOVED when either is not 0, else WAIT, EOF, COPY, SRC_ERR or DST_ERR
 * with errno. After COPY with bytes still in the pipe, the caller takes
 * them out with splice_unload() and writes them.
 */
enum sc_splice_res
splice_move(struct sc_splice *sp, struct sc_endpoint *src,
    struct sc_endpoint *dst, size_t limit, size_t *in, size_t *out)
{
	enum sc_splice_res	 res;
	ssize_t			 n;

	*in = *out = 0;
	if (sp->plen > 0)
		return splice_drain(sp, dst, out);
	if (src->rsp.pipe || dst->wsp.pipe)
		return splice_direct(sp, src, dst, in, out);
	if (sp->pfd[0] == -1 &&
	    osdep_pipe(sp->pfd, SPLICE_PIPE_SIZE, &sp->psize) == -1) {
		sp->pfd[0] = sp->pfd[1] = -1;
		sp->off = true;		/* EMFILE: copy rather than fail */
		return SC_SPLICE_COPY;
	}
	n = sys_splice(src->rfd, src->rsp.name, sp->pfd[1], pipe_name,
	    limit < sp->psize ? limit : sp->psize);
	if (n <= 0)
		return splice_none(sp, src, dst, false, n);
	sp->plen = (size_t)n;
	*in = (size_t)n;
	splice_count(src, false, (size_t)n);
	res = splice_drain(sp, dst, out);
	return res == SC_SPLICE_WAIT ? SC_SPLICE_MOVED : res;
}

/*
 * Copy what the pipe holds into b, which is empty, then close the pipe.
 * A buffer too small (or none) is replaced by one of size bytes or more;
 * size 0: b is the caller's and must not be replaced. -1 with errno.
 */
int
splice_unload(struct sc_splice *sp, struct sc_buf *b, size_t size)
{
	ssize_t	 n;

	if (b->len > 0 || ((b->data == NULL || b->size < sp->plen) &&
	    size == 0)) {
		errno = ENOBUFS;
		return -1;
	}
	if (b->data != NULL && b->size < sp->plen)
		buf_free(b);
	if (b->data == NULL && buf_init(b, size > sp->plen ? size :
	    sp->plen) == -1)
		return -1;
	b->off = 0;
	while (sp->plen > 0) {
		n = read(sp->pfd[0], b->data + b->len, sp->plen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b->len += (size_t)n;
		sp->plen -= (size_t)n;
	}
	splice_free(sp);
	return 0;
}
