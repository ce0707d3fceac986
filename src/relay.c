/*
 * The stream relay: moves bytes between two endpoints, A (stdin/stdout)
 * and B (the peer), driven by the event loop. Each direction copies
 * through a buffer of its own, or, when no tap needs its bytes and both
 * ends allow it, splices them (splice.c); bytes on the way in the splice
 * pipe are pending as buffered ones are.
 *
 * Each direction runs through these states:
 *
 *	OPEN	reading the source, writing the destination
 *	DRAIN	the source is at EOF (or no longer read); writing the rest
 *	DONE	nothing more moves this way
 *
 * On the way from DRAIN to DONE the EOF is passed on (shutdown(SHUT_WR)
 * for a socket, close for stdout) when the direction's shut_dst is set.
 * The session ends when both directions are DONE, or earlier when a rule
 * (end_on_eof, quit_after_eof, the idle timeout) ends it. A failed write
 * makes its direction DONE at once; a failed read drains what was read
 * and, when the source is a socket, makes the direction writing to that
 * same socket DONE too. No byte that was read is dropped while it can
 * still be written.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

/* How often to look whether the peer has acknowledged everything. */
#define RELAY_ACK_POLL_MS	5

/* Reads of a virtual endpoint per turn of the loop. */
#define RELAY_VIRT_READS	16

/* Reads of what the peer's socket holds when a rule ends the session. */
#define RELAY_FINAL_READS	64

enum dir_state {
	DIR_OPEN,
	DIR_DRAIN,
	DIR_DONE,
};

struct relay_dir {
	struct sc_endpoint	*src;
	struct sc_endpoint	*dst;
	struct sc_buf		*buf;
	struct sc_buf		 own;		/* when no buffer was given */
	size_t			 ownsize;	/* its size once allocated */
	struct sc_splice	 sp;		/* the zero-copy path */
	enum dir_state		 state;
	bool			 shut;		/* pass EOF on when drained */
	bool			 eof;		/* the source is at EOF */
	bool			 flush_wait;	/* flush() waits for the dst */
	bool			 paused;	/* -i: between two lines */
	struct sc_timer		 pace;
	struct sc_relay		*r;
	uint64_t		 bytes;		/* delivered (or discarded) */
};

struct sc_relay {
	struct sc_loop		*loop;
	struct sc_relay_cfg	 cfg;
	struct relay_dir	 dir[2];
	struct sc_timer		 idle;
	struct sc_timer		 quit;
	struct sc_defer		 kick;		/* service virtual endpoints */
	bool			 ending;	/* a rule ended it: drain */
	bool			 oob_sent;	/* --oob is out */
	bool			 finished;
	bool			 failed;
	struct sc_error		 err;
	sc_relay_done_cb	*done;
	void			*arg;
};

static void	relay_update(struct sc_relay *);
static void	relay_check(struct sc_relay *);

/*
 * A new relay from a (local) to b (peer). ab_buf, if not NULL, is the
 * buffer for the A-to-B direction and may carry bytes over from an
 * earlier relay; the caller keeps it.
 */
struct sc_relay *
relay_new(struct sc_loop *loop, const struct sc_relay_cfg *cfg,
    struct sc_endpoint *a, struct sc_endpoint *b, struct sc_buf *ab_buf,
    sc_relay_done_cb *done, void *arg)
{
	struct sc_relay	*r;
	int		 d;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->loop = loop;
	r->cfg = *cfg;
	r->done = done;
	r->arg = arg;
	r->dir[SC_DIR_AB].src = a;
	r->dir[SC_DIR_AB].dst = b;
	r->dir[SC_DIR_BA].src = b;
	r->dir[SC_DIR_BA].dst = a;
	r->dir[SC_DIR_AB].buf = ab_buf;
	r->dir[SC_DIR_AB].r = r->dir[SC_DIR_BA].r = r;
	splice_init(&r->dir[SC_DIR_AB].sp, false);
	splice_init(&r->dir[SC_DIR_BA].sp, false);
	if (a->virt)
		a->owner = r;
	if (b->virt)
		b->owner = r;
	/*
	 * A relay's own buffers are allocated when data comes and freed when
	 * they drain, so that an idle connection costs no buffer memory.
	 */
	for (d = 0; d < 2; d++) {
		size_t	 size = SC_BUFSIZE;

		if (r->dir[d].buf != NULL)
			continue;
		/* room for two whole messages, when the source has them */
		if (r->dir[d].src->rmin > 1 && size < 2 * r->dir[d].src->rmin)
			size = 2 * r->dir[d].src->rmin;
		r->dir[d].ownsize = size;
		r->dir[d].buf = &r->dir[d].own;
	}
	return r;
}

void
relay_free(struct sc_relay *r)
{
	int	 d;

	if (r == NULL)
		return;
	for (d = 0; d < 2; d++) {
		struct relay_dir	*dir = &r->dir[d];

		if (dir->src->rfd != -1)
			(void)loop_watch(r->loop, dir->src->rfd, 0, NULL, NULL);
		if (dir->dst->wfd != -1)
			(void)loop_watch(r->loop, dir->dst->wfd, 0, NULL, NULL);
		/* --reconnect: the caller's buffer keeps what was on the way */
		if (dir->sp.plen > 0 && dir->buf != &dir->own)
			(void)splice_unload(&dir->sp, dir->buf, 0);
		splice_free(&dir->sp);
		buf_free(&dir->own);
	}
	loop_timer_stop(r->loop, &r->idle);
	loop_timer_stop(r->loop, &r->quit);
	loop_timer_stop(r->loop, &r->dir[0].pace);
	loop_timer_stop(r->loop, &r->dir[1].pace);
	loop_defer_cancel(r->loop, &r->kick);
	for (d = 0; d < 2; d++) {
		if (r->dir[d].src->owner == r)
			r->dir[d].src->owner = NULL;
	}
	free(r);
}

uint64_t
relay_bytes(const struct sc_relay *r, enum sc_dir d)
{
	return r->dir[d].bytes;
}

size_t
relay_pending(const struct sc_relay *r, enum sc_dir d)
{
	return r->dir[d].buf->len + r->dir[d].sp.plen;
}

/*
 * Record the first failure. Failures on the peer's side are classified by
 * errno (a reset exits 4); failures on stdin or stdout are plain I/O
 * failures (1).
 */
static void
relay_fail(struct sc_relay *r, const struct sc_endpoint *ep,
    const char *what, int errnum)
{
	int	 exit;

	if (r->failed)
		return;
	r->failed = true;
	if (ep == r->dir[SC_DIR_AB].dst)
		exit = error_exit_for_errno(errnum);
	else
		exit = SC_EXIT_FAIL;
	if (ep != NULL && ep->reason != NULL)
		error_reason(&r->err, SC_EXIT_FAIL, ep->reason, "%s", what);
	else
		error_set(&r->err, exit, errnum, "%s", what);
}

/*
 * A send to a message socket failed. Its messages carry no end of file
 * that would end the other way, so stop reading it too, once what it sent
 * is written out: the failure ends the session.
 */
static void
relay_msg_failed(struct sc_relay *r, const struct sc_endpoint *ep)
{
	int	 d;

	if (ep->msgmax == 0)
		return;		/* a stream: its own reads will tell */
	for (d = 0; d < 2; d++) {
		if (r->dir[d].src == ep && r->dir[d].state == DIR_OPEN) {
			r->dir[d].state = DIR_DRAIN;
			r->dir[d].shut = false;
		}
	}
}

static void
relay_idle_fired(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct sc_relay	*r = arg;

	(void)loop;
	(void)t;
	r->finished = true;
	relay_update(r);
	/* a failure already recorded is still the outcome */
	if (r->failed)
		r->done(r, SC_RELAY_ERROR, &r->err, r->arg);
	else
		r->done(r, SC_RELAY_IDLE, NULL, r->arg);
}

static void
relay_progress(struct sc_relay *r)
{
	if (r->cfg.idle_ms != SC_NO_TIMEOUT)
		loop_timer_start(r->loop, &r->idle, r->cfg.idle_ms,
		    relay_idle_fired, r);
}

static ssize_t	relay_read(struct sc_relay *, int);
static bool	relay_can_read(const struct relay_dir *);

/*
 * A rule ends the session: stop reading stdin and deliver what is
 * buffered. The peer's side is stopped later, by relay_check(), once the
 * peer has acknowledged everything (see relay_unacked()).
 */
static void
relay_wind_down(struct sc_relay *r)
{
	struct relay_dir	*ab = &r->dir[SC_DIR_AB];

	r->ending = true;
	if (ab->state == DIR_OPEN) {
		ab->state = DIR_DRAIN;
		ab->shut = false;
	}
}

/*
 * Stop reading the peer, after reading what its socket already holds:
 * closing a socket with unread data makes the kernel send a reset, and
 * the reset destroys whatever the peer had not yet received from us.
 */
static void
relay_stop_peer(struct sc_relay *r)
{
	struct relay_dir	*ba = &r->dir[SC_DIR_BA];
	int			 i;

	for (i = 0; i < RELAY_FINAL_READS && ba->src->rsock &&
	    relay_can_read(ba); i++) {
		if (relay_read(r, SC_DIR_BA) <= 0)
			break;
	}
	if (ba->state == DIR_OPEN) {
		ba->state = DIR_DRAIN;
		ba->shut = false;
	}
}

static void
relay_quit_fired(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct sc_relay	*r = arg;

	(void)loop;
	(void)t;
	relay_wind_down(r);
	relay_check(r);
}

/* Direction d has delivered its source's EOF: apply the session rules. */
static void
relay_dir_eof_done(struct sc_relay *r, int d)
{
	if (r->cfg.end_on_eof[d]) {
		relay_wind_down(r);
		return;
	}
	if (r->cfg.quit_after_eof_ms[d] == 0)
		relay_wind_down(r);
	else if (r->cfg.quit_after_eof_ms[d] != SC_NO_TIMEOUT)
		loop_timer_start(r->loop, &r->quit, r->cfg.quit_after_eof_ms[d],
		    relay_quit_fired, r);
	/* from now on, silence of this length ends the session */
	if (r->cfg.idle_after_eof_ms[d] != SC_NO_TIMEOUT &&
	    (r->cfg.idle_ms == SC_NO_TIMEOUT ||
	    r->cfg.idle_after_eof_ms[d] < r->cfg.idle_ms)) {
		r->cfg.idle_ms = r->cfg.idle_after_eof_ms[d];
		relay_progress(r);
	}
}

static void
relay_paced(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct relay_dir	*dir = arg;

	(void)loop;
	(void)t;
	dir->paused = false;
	relay_check(dir->r);
}

/*
 * -i: how much of the buffer to write now: up to the end of its first
 * line. Once a whole line is out, the direction pauses for the interval.
 */
static size_t
relay_pace(struct relay_dir *dir, const unsigned char *p, size_t len)
{
	const unsigned char	*nl;

	if (dir->r->cfg.interval_ms[dir == &dir->r->dir[0] ? 0 : 1] <= 0)
		return len;
	nl = memchr(p, '\n', len);
	return nl != NULL ? (size_t)(nl - p) + 1 : len;
}

/* --oob: send the urgent data to B; false when that failed. */
static bool
relay_oob(struct sc_relay *r)
{
	struct sc_endpoint	*b = r->dir[SC_DIR_AB].dst;

	r->oob_sent = true;
	if (b->ops->send_urgent == NULL || b->ops->send_urgent(b,
	    r->cfg.oob_data, r->cfg.oob_len) != -1)
		return true;
	relay_fail(r, b, b->wname, errno);
	r->dir[SC_DIR_AB].state = DIR_DONE;
	return false;
}

/*
 * --oob after N bytes: is it due now (true), or does the write of *want
 * bytes have to stop short of N?
 */
static bool
relay_oob_due(struct sc_relay *r, struct relay_dir *dir, size_t *want)
{
	uint64_t	 left;

	if (r->cfg.oob_data == NULL || r->oob_sent)
		return false;
	if (dir->bytes >= r->cfg.oob_after)
		return true;
	left = r->cfg.oob_after - dir->bytes;
	if (*want > left)
		*want = (size_t)left;
	return false;
}

/* Write what is buffered in direction d; false when the write failed. */
static bool
relay_write(struct sc_relay *r, struct relay_dir *dir)
{
	struct sc_buf	*b = dir->buf;
	ssize_t		 n;
	size_t		 want;
	int		 d = dir == &r->dir[0] ? 0 : 1;

	if ((dir->dst->wfd == -1 && !dir->dst->virt) || dir->paused)
		return true;	/* nowhere to send yet, or -i waits */
	while (b->len > 0) {
		want = relay_pace(dir, b->data + b->off, b->len);
		if (d == SC_DIR_AB && relay_oob_due(r, dir, &want))
			return relay_oob(r);
		n = dir->dst->ops->write(dir->dst, b->data + b->off, want);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			relay_fail(r, dir->dst, dir->dst->wname, errno);
			dir->state = DIR_DONE;
			b->len = 0;
			relay_msg_failed(r, dir->dst);
			return false;
		}
		b->off += (size_t)n;
		b->len -= (size_t)n;
		dir->bytes += (uint64_t)n;
		relay_progress(r);
		if (d == SC_DIR_AB && r->cfg.oob_data != NULL && !r->oob_sent &&
		    dir->bytes >= r->cfg.oob_after && !relay_oob(r))
			return false;
		if (r->cfg.interval_ms[d] > 0 && (size_t)n == want &&
		    b->data[b->off - 1] == '\n') {
			dir->paused = true;	/* a line is out: -i */
			loop_timer_start(r->loop, &dir->pace,
			    r->cfg.interval_ms[d], relay_paced, dir);
			break;
		}
		if (dir->dst->wmax != 0)
			break;		/* wait for POLLOUT before the next */
	}
	if (b->len == 0) {
		b->off = 0;
		if (b == &dir->own)
			buf_free(b);	/* idle again: give the memory back */
	}
	return true;
}

/*
 * The destination holds a message it could not send yet (a framed
 * message endpoint): now that it may be writable, have it try.
 */
static void
relay_write_pending(struct sc_relay *r, struct relay_dir *dir)
{
	if (!dir->dst->wpending || dir->state == DIR_DONE)
		return;
	if (dir->dst->ops->write(dir->dst, dir->buf->data, 0) == -1 &&
	    errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
		relay_fail(r, dir->dst, dir->dst->wname, errno);
		dir->state = DIR_DONE;
		relay_msg_failed(r, dir->dst);
	}
}

/* The other direction that uses the same socket as dir's source. */
static struct relay_dir *
relay_twin(struct sc_relay *r, struct relay_dir *dir)
{
	struct relay_dir	*other = &r->dir[dir == &r->dir[0] ? 1 : 0];

	if (other->dst->wfd == dir->src->rfd && dir->src->rsock)
		return other;
	return NULL;
}

/* The room a read of dir's source needs. */
static size_t
relay_rmin(const struct relay_dir *dir)
{
	return dir->src->rmin > 1 ? dir->src->rmin : 1;
}

/*
 * May dir's source be read now? There must be room for what one read
 * brings; a destination that takes each read as one message (raw
 * framing) must first have taken the last one, and so must one that is
 * spliced to between copied reads (or the copy path, once taken, would
 * never empty its buffer to splice again).
 */
static bool
relay_can_read(const struct relay_dir *dir)
{
	size_t	 size;

	if (dir->state != DIR_OPEN)
		return false;
	if (dir->sp.plen > 0 || dir->sp.want_out)
		return false;		/* splice: the destination first */
	if (dir->dst->whole_writes || !dir->sp.off)
		return dir->buf->len == 0;
	size = dir->buf->data != NULL ? dir->buf->size : dir->ownsize;
	return size - dir->buf->len >= relay_rmin(dir);
}

/*
 * Reading dir's source failed: deliver what was read; when the source is
 * a socket, the direction writing to it is over too.
 */
static void
relay_read_failed(struct sc_relay *r, struct relay_dir *dir)
{
	struct relay_dir	*twin;

	relay_fail(r, dir->src, dir->src->rname, errno);
	dir->state = DIR_DRAIN;
	dir->shut = false;
	if ((twin = relay_twin(r, dir)) != NULL) {
		twin->state = DIR_DONE;
		twin->buf->len = 0;
		splice_free(&twin->sp);
	}
}

/* The source is at its end of file. */
static void
relay_read_eof(struct relay_dir *dir)
{
	dir->src->rd_eof = true;
	dir->eof = true;
	dir->state = DIR_DRAIN;
}

/* Read once from direction d's source into its buffer. */
static ssize_t
relay_copy_read(struct sc_relay *r, int d)
{
	struct relay_dir	*dir = &r->dir[d];
	struct sc_buf		*b = dir->buf;
	ssize_t			 n;
	size_t			 room;

	if (b->data == NULL && buf_init(b, dir->ownsize) == -1) {
		relay_fail(r, NULL, "allocate a buffer", errno);
		dir->state = DIR_DONE;
		return -1;
	}
	if (b->off > 0 && b->size - b->off - b->len < relay_rmin(dir)) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	room = b->size - b->off - b->len;
	if (dir->dst->msgmax != 0 && dir->dst->whole_writes &&
	    room > dir->dst->msgmax)
		room = dir->dst->msgmax;	/* one read, one message */
	n = dir->src->ops->read(dir->src, b->data + b->off + b->len, room);
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			relay_read_failed(r, dir);
		return -1;
	}
	relay_progress(r);
	if (n == 0) {
		relay_read_eof(dir);
		return 0;
	}
	if (r->cfg.discard[d]) {
		dir->bytes += (uint64_t)n;
		return n;
	}
	b->len += (size_t)n;
	if (dir->dst->wmax == 0)
		(void)relay_write(r, dir);	/* cannot block: try now */
	return n;
}

/*
 * May direction dir splice now? Once bytes are on the way it must go on;
 * otherwise both ends must allow it and the buffer be empty.
 */
static bool
relay_splicing(const struct relay_dir *dir)
{
	if (dir->sp.plen > 0 || dir->sp.want_out)
		return true;
	return !dir->sp.off && dir->buf->len == 0 && dir->src->rsp.ok &&
	    dir->dst->wsp.ok && dir->src->rfd != -1 && dir->dst->wfd != -1;
}

/*
 * Direction d by splice(2): one step (splice.c), then what it means for
 * the direction, as relay_copy_read() does for a read. The splice path
 * falls back to the copy path, bytes in its pipe and all, when splice(2)
 * cannot serve these descriptors.
 */
static ssize_t
relay_splice(struct sc_relay *r, int d)
{
	struct relay_dir	*dir = &r->dir[d];
	size_t			 in, out;
	bool			 own = dir->buf == &dir->own;

	if (dir->sp.plen == 0 && dir->state != DIR_OPEN) {
		dir->sp.want_out = false;	/* no more reading */
		return -1;
	}
	switch (splice_move(&dir->sp, dir->src, dir->dst, own ?
	    SC_SPLICE_MAX : dir->buf->size, &in, &out)) {
	case SC_SPLICE_MOVED:
		dir->bytes += out;
		relay_progress(r);
		return (ssize_t)(in > 0 ? in : out);
	case SC_SPLICE_EOF:
		relay_progress(r);
		relay_read_eof(dir);
		return 0;
	case SC_SPLICE_COPY:
		if (dir->sp.plen == 0)
			return dir->state == DIR_OPEN ?
			    relay_copy_read(r, d) : -1;
		if (splice_unload(&dir->sp, dir->buf, own ? dir->ownsize :
		    0) == -1) {
			relay_fail(r, NULL, "take bytes out of the splice pipe",
			    errno);
			dir->state = DIR_DONE;
			splice_free(&dir->sp);
			return -1;
		}
		(void)relay_write(r, dir);
		return -1;
	case SC_SPLICE_SRC_ERR:
		relay_read_failed(r, dir);
		return -1;
	case SC_SPLICE_DST_ERR:
		dir->bytes += out;
		relay_fail(r, dir->dst, dir->dst->wname, errno);
		dir->state = DIR_DONE;
		splice_free(&dir->sp);
		return -1;
	default:
		errno = EAGAIN;
		return -1;
	}
}

/* Read once from direction d's source: bytes read, 0 at EOF, or -1. */
static ssize_t
relay_read(struct sc_relay *r, int d)
{
	if (relay_splicing(&r->dir[d]))
		return relay_splice(r, d);
	return relay_copy_read(r, d);
}

/*
 * At the source's EOF, the destination may still hold part of a message
 * (a last line without its newline): have it sent. False while it must
 * wait for the destination.
 */
static bool
relay_flush(struct sc_relay *r, struct relay_dir *dir)
{
	dir->flush_wait = false;
	/* --oob with fewer bytes than --oob-after: it goes at the EOF */
	if (dir == &r->dir[SC_DIR_AB] && dir->eof && r->cfg.oob_data != NULL &&
	    !r->oob_sent && !r->failed)
		(void)relay_oob(r);
	if (!dir->eof || dir->dst->ops->flush == NULL || dir->dst->wfd == -1 ||
	    r->failed)
		return true;
	if (dir->dst->ops->flush(dir->dst) == 0)
		return true;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		dir->flush_wait = true;
		return false;
	}
	relay_fail(r, dir->dst, dir->dst->wname, errno);
	relay_msg_failed(r, dir->dst);
	return true;
}

/* Move drained directions to DONE, passing their EOF on. */
static void
relay_settle(struct sc_relay *r)
{
	int			 d;
	struct relay_dir	*dir;

	for (d = 0; d < 2; d++) {
		dir = &r->dir[d];
		if (dir->state != DIR_DRAIN || dir->buf->len > 0 ||
		    dir->sp.plen > 0)
			continue;
		if (!relay_flush(r, dir))
			continue;
		dir->state = DIR_DONE;
		splice_free(&dir->sp);
		/*
		 * Closing stdout puts another file behind its number: the
		 * loop must let go of it first.
		 */
		if (dir->shut && dir->dst->wfd != r->dir[!d].src->rfd)
			(void)loop_watch(r->loop, dir->dst->wfd, 0, NULL, NULL);
		if (dir->shut && dir->dst->ops->shutdown_wr(dir->dst) == -1 &&
		    errno != ENOTCONN)
			relay_fail(r, dir->dst, dir->dst->wname, errno);
		if (dir->eof && r->cfg.on_eof != NULL)
			r->cfg.on_eof(r, (enum sc_dir)d, dir->shut, r->arg);
		if (!r->ending && dir->eof)
			relay_dir_eof_done(r, d);
	}
}

static void
relay_ack_poll(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	relay_check(arg);
}

/*
 * Has the peer's TCP yet to acknowledge some of what we sent? Then the
 * relay keeps reading the peer and looks again shortly: there is no event
 * for "everything acknowledged". The idle and --max-time limits apply
 * meanwhile.
 */
static bool
relay_unacked(struct sc_relay *r)
{
	struct sc_endpoint	*b = r->dir[SC_DIR_AB].dst;
	size_t			 n;

	if (r->failed || b->ops->unacked == NULL ||
	    b->ops->unacked(b, &n) == -1 || n == 0)
		return false;
	loop_timer_start(r->loop, &r->quit, RELAY_ACK_POLL_MS, relay_ack_poll,
	    r);
	return true;
}

/*
 * Endpoints without a descriptor raise no events: try them whenever the
 * relay runs (and relay_kick() makes it run).
 */
static void
relay_pump(struct sc_relay *r)
{
	struct relay_dir	*dir;
	int			 d, i;

	for (d = 0; d < 2; d++) {
		dir = &r->dir[d];
		if (dir->dst->virt && dir->state != DIR_DONE &&
		    dir->buf->len > 0)
			(void)relay_write(r, dir);
		else if (dir->dst->virt)
			relay_write_pending(r, dir);
		for (i = 0; i < RELAY_VIRT_READS && dir->src->virt &&
		    relay_can_read(dir); i++) {
			if (relay_read(r, d) <= 0)
				break;
		}
	}
}

static void
relay_kicked(struct sc_loop *loop, void *arg)
{
	(void)loop;
	relay_check(arg);
}

/* Something changed at a virtual endpoint: service the relay soon. */
void
relay_kick(struct sc_relay *r)
{
	if (r != NULL)
		loop_defer(r->loop, &r->kick, relay_kicked, r);
}

static void
relay_check(struct sc_relay *r)
{
	enum sc_relay_end	 end;

	if (!r->finished)
		relay_pump(r);
	relay_settle(r);
	relay_settle(r);	/* a rule applied above may drain the other */
	if (r->ending && r->dir[SC_DIR_AB].state == DIR_DONE &&
	    r->dir[SC_DIR_BA].state == DIR_OPEN && !relay_unacked(r)) {
		relay_stop_peer(r);
		relay_settle(r);
	}
	if (r->dir[0].state != DIR_DONE || r->dir[1].state != DIR_DONE) {
		relay_update(r);
		return;
	}
	r->finished = true;
	relay_update(r);
	if (r->failed)
		end = SC_RELAY_ERROR;
	else
		end = r->ending ? SC_RELAY_EOF : SC_RELAY_DONE;
	r->done(r, end, r->failed ? &r->err : NULL, r->arg);
}

static void
relay_io(struct sc_loop *loop, int fd, unsigned ev, void *arg)
{
	struct sc_relay		*r = arg;
	struct relay_dir	*dir;
	int			 d;

	(void)loop;
	if ((ev & SC_EV_PRI) && r->dir[SC_DIR_BA].src->rfd == fd &&
	    r->dir[SC_DIR_BA].src->ops->urgent != NULL)
		r->dir[SC_DIR_BA].src->ops->urgent(r->dir[SC_DIR_BA].src);
	/* an error condition may be the error queue's: let B take it */
	if ((ev & SC_EV_ERR) && r->dir[SC_DIR_AB].dst->wfd == fd &&
	    r->dir[SC_DIR_AB].dst->ops->errqueue != NULL)
		r->dir[SC_DIR_AB].dst->ops->errqueue(r->dir[SC_DIR_AB].dst);
	for (d = 0; d < 2; d++) {
		dir = &r->dir[d];
		if ((ev & SC_EV_OUT) && dir->dst->wfd == fd &&
		    dir->state != DIR_DONE && dir->buf->len > 0)
			(void)relay_write(r, dir);
		else if ((ev & SC_EV_OUT) && dir->dst->wfd == fd &&
		    dir->state != DIR_DONE && (dir->sp.plen > 0 ||
		    dir->sp.want_out))
			(void)relay_splice(r, d);
		else if ((ev & SC_EV_OUT) && dir->dst->wfd == fd)
			relay_write_pending(r, dir);
		if ((ev & SC_EV_IN) && dir->src->rfd == fd &&
		    relay_can_read(dir))
			(void)relay_read(r, d);
	}
	relay_check(r);
}

/* Tell the loop which descriptors we wait on, and for what. */
static void
relay_update(struct sc_relay *r)
{
	int		 fds[4], d, i, j;
	unsigned	 ev[4];

	for (d = 0; d < 2; d++) {
		struct relay_dir	*dir = &r->dir[d];
		bool			 live = !r->finished;

		fds[2 * d] = dir->src->rfd;
		ev[2 * d] = live && relay_can_read(dir) ? SC_EV_IN : 0;
		if (live && d == SC_DIR_BA && dir->src->urgent_watch &&
		    dir->state != DIR_DONE)
			ev[2 * d] |= SC_EV_PRI;
		fds[2 * d + 1] = dir->dst->wfd;
		ev[2 * d + 1] = live && dir->state != DIR_DONE &&
		    !dir->paused && (dir->buf->len > 0 || dir->flush_wait ||
		    dir->dst->wpending || dir->sp.plen > 0 ||
		    (dir->sp.want_out && dir->state == DIR_OPEN)) ?
		    SC_EV_OUT : 0;
	}
	for (i = 0; i < 4; i++) {
		unsigned	 want = ev[i];

		if (fds[i] == -1)
			continue;
		for (j = 0; j < 4; j++) {
			if (j != i && fds[j] == fds[i])
				want |= ev[j];
		}
		if (loop_watch(r->loop, fds[i], want, relay_io, r) == -1 &&
		    !r->failed) {
			relay_fail(r, NULL, "watch descriptor", errno);
			r->dir[0].state = r->dir[1].state = DIR_DONE;
		}
	}
}

/*
 * Can direction d ever splice? Not when the relay itself must see its
 * bytes: discarded (--send-only), paced by lines (-i), counted to place
 * urgent data (--oob), or handed on in messages; nor between endpoints
 * without descriptors.
 */
static bool
relay_may_splice(const struct sc_relay *r, int d)
{
	const struct relay_dir	*dir = &r->dir[d];

	if (r->cfg.discard[d] || r->cfg.interval_ms[d] > 0 ||
	    (d == SC_DIR_AB && r->cfg.oob_data != NULL))
		return false;
	return !dir->src->virt && !dir->dst->virt && dir->src->rsp.ok &&
	    dir->dst->wsp.ok && !dir->dst->whole_writes &&
	    dir->dst->msgmax == 0 && dir->src->rmin <= 1;
}

/*
 * Start relaying. The done callback runs once, when the session ends; it
 * may free the relay.
 */
int
relay_start(struct sc_relay *r)
{
	int	 d;

	for (d = 0; d < 2; d++) {
		struct relay_dir	*dir = &r->dir[d];

		dir->shut = r->cfg.shut_dst[d];
		splice_init(&dir->sp, relay_may_splice(r, d));
		if (!r->cfg.read_src[d])
			dir->state = DIR_DONE;
		else if (r->cfg.eof_at_start[d]) {
			dir->state = DIR_DRAIN;
			dir->eof = true;
		}
		else
			dir->state = DIR_OPEN;
	}
	relay_progress(r);
	if (r->cfg.oob_data != NULL && r->cfg.oob_after == 0)
		(void)relay_oob(r);	/* right after connecting */
	relay_check(r);
	return 0;
}
