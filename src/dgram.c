/*
 * The message endpoint: a UDP, UNIX datagram or SEQPACKET socket seen by
 * the relay as a byte stream in a framing (framing.c). A read receives one
 * message and returns it framed; a write cuts framed stdin into messages
 * and sends each one. So the one relay, with its EOF rules, serves every
 * transport, and message boundaries survive in both directions.
 *
 * Receiving never truncates silently: recvmsg() is asked for the real
 * length (MSG_TRUNC) and a message longer than the buffer is reported.
 *
 * A socket connected to one peer sends to it and ignores anyone else. An
 * unconnected socket (a UDP server with -k) keeps a table of the peers it
 * has heard from and sends stdin to the most recent one.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

/* Messages skipped (foreign, empty in raw framing) per read call. */
#define DGRAM_SKIP_MAX		64

/* The peer table of an unconnected socket. */
#define DGRAM_PEERS_MAX		65536

struct dgram_peer {
	struct sc_peer		 key;		/* first: the table's view */
	int64_t			 last_ms;
	struct sc_tap_peer	 tap;		/* its number in the dump */
	struct dgram_peer	*newer, *older;	/* by when last heard */
};

/* A message queued for a port (see dgram_port_new()). */
struct dgram_msg {
	struct dgram_msg	*next;
	size_t			 len;
	unsigned char		 data[];
};

#define DGRAM_PORT_QUEUE	64	/* messages a port holds */
#define DGRAM_RETRY_MIN_MS	10	/* a port's send waits, doubling, */
#define DGRAM_RETRY_MAX_MS	640	/* ... up to this */

struct sc_dgram {
	struct sc_endpoint	 ep;		/* first: the relay's view */
	struct sc_loop		*loop;
	struct sc_dgram_cfg	 cfg;
	int			 fd;
	bool			 port;		/* fed by a demultiplexer */
	struct dgram_msg	*qhead, *qtail;	/* a port's messages */
	size_t			 qlen;
	struct sc_timer		 retry;		/* a port's send waits */
	int64_t			 retry_ms;
	sc_dgram_gone_cb	*gone;
	void			*gone_arg;
	bool			 eofmark;	/* empty messages carry creds */
	struct sc_anc		 anc;		/* descriptors, credentials */
	uint64_t		 nrecv, nsent;	/* payload bytes */
	char			 reason[80];	/* why a send failed */
	unsigned char		*rbuf;		/* one received message */
	struct sc_deframer	 def;
	bool			 pending;	/* def: an unsent message */
	struct sc_peertab	*peers;		/* unconnected only */
	struct dgram_peer	*newest, *oldest;
	size_t			 npeers;
	unsigned long		 peer_ids;	/* peers heard from so far */
	struct dgram_peer	*recent;	/* where stdin goes */
	struct sockaddr_storage	 tpeer;		/* a connected socket's peer */
	socklen_t		 tpeerlen;	/* 0: not asked yet */
	struct sc_timer		 sweep;
};

static struct dgram_peer *
dgram_peer_find(struct sc_dgram *g, const struct sockaddr *sa, socklen_t len)
{
	return (struct dgram_peer *)(void *)peertab_find(g->peers, sa, len);
}

/* Take p out of the list by age. */
static void
dgram_peer_unlink(struct sc_dgram *g, struct dgram_peer *p)
{
	if (p->newer != NULL)
		p->newer->older = p->older;
	else
		g->newest = p->older;
	if (p->older != NULL)
		p->older->newer = p->newer;
	else
		g->oldest = p->newer;
	p->newer = p->older = NULL;
}

static void
dgram_peer_remove(struct sc_dgram *g, struct dgram_peer *dead)
{
	peertab_remove(g->peers, &dead->key);
	dgram_peer_unlink(g, dead);
	if (g->recent == dead) {
		g->recent = NULL;
		g->ep.wfd = -1;		/* stdin waits for the next peer */
	}
	g->npeers--;
	free(dead);
}

static void
dgram_report(struct sc_dgram *g, enum sc_dgram_event ev,
    const struct sc_dgram_meta *m)
{
	if (g->cfg.report != NULL)
		g->cfg.report(ev, m, g->cfg.arg);
}

/* Forget the peers idle for --idle-timeout, oldest first. */
static void
dgram_sweep(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct sc_dgram		*g = arg;
	struct dgram_peer	*p;
	struct sc_dgram_meta	 m;
	int64_t			 now = loop_now_ms(loop);

	(void)t;
	while ((p = g->oldest) != NULL &&
	    now - p->last_ms >= g->cfg.peer_idle_ms) {
		memset(&m, 0, sizeof(m));
		m.from = (struct sockaddr *)&p->key.ss;
		m.fromlen = p->key.len;
		dgram_report(g, SC_DGRAM_EXPIRED, &m);
		dgram_peer_remove(g, p);
	}
	if (g->npeers > 0)
		loop_timer_start(loop, &g->sweep, g->cfg.peer_idle_ms / 2 + 1,
		    dgram_sweep, g);
}

/*
 * An unconnected socket heard from m->from: note the peer, the newest.
 * At DGRAM_PEERS_MAX, the one heard from least recently makes room.
 */
static void
dgram_peer_seen(struct sc_dgram *g, const struct sc_dgram_meta *m)
{
	struct dgram_peer	*p;

	if ((p = dgram_peer_find(g, m->from, m->fromlen)) != NULL)
		dgram_peer_unlink(g, p);
	else {
		if (g->npeers >= DGRAM_PEERS_MAX)
			dgram_peer_remove(g, g->oldest);
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return;
		peertab_add(g->peers, &p->key, m->from, m->fromlen);
		p->tap.id = ++g->peer_ids;
		g->npeers++;
		dgram_report(g, SC_DGRAM_NEW_PEER, m);
		if (g->cfg.peer_idle_ms != SC_NO_TIMEOUT && !g->sweep.armed)
			loop_timer_start(g->loop, &g->sweep,
			    g->cfg.peer_idle_ms / 2 + 1, dgram_sweep, g);
	}
	p->older = g->newest;
	if (g->newest != NULL)
		g->newest->newer = p;
	else
		g->oldest = p;
	g->newest = p;
	p->last_ms = loop_now_ms(g->loop);
	g->recent = p;
	g->ep.wfd = g->fd;
}

/*
 * Who the dump names for a message to or from sa: on an unconnected
 * socket, the peer it is (each numbered as a connection of its own, as
 * -v reports each one); NULL for a connected socket.
 */
static struct sc_tap_peer *
dgram_tap_peer(struct sc_dgram *g, const struct sockaddr *sa,
    socklen_t len)
{
	struct dgram_peer	*p = g->recent;

	if (g->cfg.connected || sa == NULL)
		return NULL;
	if (p == NULL || !addr_equal((struct sockaddr *)&p->key.ss,
	    p->key.len, sa, len))
		p = dgram_peer_find(g, sa, len);
	return p != NULL ? &p->tap : NULL;
}

/*
 * Receive one message from fd into buf (size bytes); returns its real
 * length, or -1. The sender and the metadata the kernel attached go to *m;
 * descriptors and credentials that came with it go to anc_received() (and
 * the descriptors are closed; anc may be NULL). The demultiplexer and the
 * first-peer server use it too.
 */
ssize_t
dgram_recvmsg(int fd, void *buf, size_t size, int flags,
    struct sc_dgram_meta *m, struct sc_anc *anc, struct sc_endpoint *ep)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		char		 buf[512];
		struct cmsghdr	 align;
	}		 cbuf;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	memset(m, 0, sizeof(*m));
	iov.iov_base = buf;
	iov.iov_len = size;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = &m->fromss;
	msg.msg_namelen = sizeof(m->fromss);
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	if ((n = sys_recvmsg(fd, &msg, flags | MSG_TRUNC)) == -1)
		return -1;
	m->from = (struct sockaddr *)&m->fromss;
	m->fromlen = msg.msg_namelen;
	m->real = (size_t)n;
	m->len = (size_t)n < size ? (size_t)n : size;
	osdep_msg_meta(&msg, m);
	anc_received(anc, &msg, ep);
	return n;
}

/* The flags of every receive: a UNIX socket may be sent descriptors. */
static int
dgram_rflags(const struct sc_dgram_cfg *cfg)
{
	int	 flags = MSG_DONTWAIT | cfg->rflags;

#ifdef MSG_CMSG_CLOEXEC
	if (cfg->unixsock)
		flags |= MSG_CMSG_CLOEXEC;
#endif
	return flags;
}

/* Receive one message for the relay; at a SEQPACKET EOF, *eof. */
static ssize_t
dgram_recv(struct sc_dgram *g, struct sc_dgram_meta *m, bool *eof)
{
	ssize_t	 n;

	*eof = false;
	n = dgram_recvmsg(g->fd, g->rbuf, g->cfg.recv_size,
	    dgram_rflags(&g->cfg), m, &g->anc, &g->ep);
	if (n == 0 && g->cfg.seqpacket)
		*eof = !g->eofmark || !m->has_cred;
	return n;
}

/* Is this message from someone we ignore? Tell the session if so. */
static bool
dgram_foreign(struct sc_dgram *g, const struct sc_dgram_meta *m)
{
	if (!g->cfg.connected) {
		if (m->fromlen <= sizeof(sa_family_t)) {
			dgram_report(g, SC_DGRAM_UNNAMED, m);
			return false;
		}
		if (!acl_admits(g->cfg.acl, m->from, m->fromlen))
			return true;	/* --allow, --deny: dropped */
		dgram_peer_seen(g, m);
		return false;
	}
	if (g->cfg.peerlen == 0 || m->fromlen == 0 ||
	    addr_equal(m->from, m->fromlen, (struct sockaddr *)&g->cfg.peer,
	    g->cfg.peerlen))
		return false;
	dgram_report(g, SC_DGRAM_FOREIGN, m);
	return true;
}

/*
 * A port's read: the oldest message its demultiplexer queued. The relay
 * reads a virtual endpoint a few times a turn: while more are queued, it
 * is kicked to come back for them.
 */
static ssize_t
dgram_port_read(struct sc_dgram *g, unsigned char *out)
{
	struct dgram_msg	*q;
	size_t			 n;

	while ((q = g->qhead) != NULL) {
		g->qhead = q->next;
		if (g->qhead == NULL)
			g->qtail = NULL;
		else
			relay_kick(g->ep.owner);
		g->qlen--;
		g->nrecv += q->len;
		if (g->ep.tap != NULL)
			g->ep.tap(&g->ep, SC_TAP_RECEIVED, q->data, q->len,
			    (struct sockaddr *)&g->cfg.peer, g->cfg.peerlen);
		if (q->len == 0 && g->cfg.framing == SC_FRAMING_RAW) {
			free(q);
			continue;
		}
		n = framing_prefix(g->cfg.framing, q->len, out);
		memcpy(out + n, q->data, q->len);
		n += q->len;
		n += framing_suffix(g->cfg.framing, out + n);
		free(q);
		return (ssize_t)n;
	}
	errno = EAGAIN;
	return -1;
}

/* --peek: show the first message without taking it, with its length. */
static void
dgram_peek(struct sc_dgram *g)
{
	ssize_t	 n;
	size_t	 shown = (size_t)g->cfg.peek;

	if (shown > g->cfg.recv_size)
		shown = g->cfg.recv_size;
	n = sys_recv(g->fd, g->rbuf, shown, MSG_PEEK | MSG_TRUNC |
	    MSG_DONTWAIT);
	if (n == -1)
		return;
	g->cfg.peek = 0;
	if (g->ep.event != NULL)
		g->ep.event(&g->ep, SC_EP_PEEK, g->rbuf, (size_t)n < shown ?
		    (size_t)n : shown, (uint64_t)n);
}

/* The relay's read: one message, framed, into buf (len >= ep.rmin). */
static ssize_t
dgram_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	struct sc_dgram		*g = (struct sc_dgram *)(void *)ep;
	unsigned char		*out = buf;
	struct sc_dgram_meta	 m;
	size_t			 n;
	bool			 eof;
	int			 i;

	(void)len;
	if (g->port)
		return dgram_port_read(g, out);
	if (g->cfg.peek > 0)
		dgram_peek(g);
	for (i = 0; i < DGRAM_SKIP_MAX; i++) {
		if (dgram_recv(g, &m, &eof) == -1)
			return -1;
		if (eof)
			return 0;
		if (dgram_foreign(g, &m))
			continue;
		dgram_report(g, SC_DGRAM_RECEIVED, &m);
		if (m.real > m.len)
			dgram_report(g, SC_DGRAM_TRUNCATED, &m);
		g->nrecv += m.len;
		if (ep->tap != NULL) {
			ep->tap_peer = dgram_tap_peer(g, m.from, m.fromlen);
			ep->tap(ep, SC_TAP_RECEIVED, g->rbuf, m.len, m.from,
			    m.fromlen);
		}
		if (m.len == 0 && g->cfg.framing == SC_FRAMING_RAW)
			continue;	/* raw framing cannot show it */
		n = framing_prefix(g->cfg.framing, m.len, out);
		memcpy(out + n, g->rbuf, m.len);
		n += m.len;
		n += framing_suffix(g->cfg.framing, out + n);
		return (ssize_t)n;
	}
	errno = EAGAIN;
	return -1;
}

/*
 * A message too long for the transport: len bytes, or 0 when it is only
 * known to be longer than the largest. On a connected socket that is an
 * error for the relay (-1, EMSGSIZE, with the reason). A socket serving
 * many peers reports it, drops the message and goes on (0).
 */
static int
dgram_too_long(struct sc_dgram *g, size_t len)
{
	struct sc_dgram_meta	 m;

	if (len > 0)
		(void)snprintf(g->reason, sizeof(g->reason),
		    "Message too long (%zu bytes)", len);
	else
		(void)snprintf(g->reason, sizeof(g->reason),
		    "Message too long (more than %zu bytes)", g->cfg.send_max);
	if (g->cfg.connected) {
		g->ep.reason = g->reason;
		errno = EMSGSIZE;
		return -1;
	}
	memset(&m, 0, sizeof(m));
	if (g->recent != NULL) {
		m.from = (struct sockaddr *)&g->recent->key.ss;
		m.fromlen = g->recent->key.len;
	}
	m.len = m.real = len;
	m.reason = g->reason;
	dgram_report(g, SC_DGRAM_TOOBIG, &m);
	return 0;
}

static void
dgram_port_retry(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct sc_dgram	*g = arg;

	(void)loop;
	(void)t;
	relay_kick(g->ep.owner);
}

/*
 * A port's send found the shared socket or its peer full. No event says
 * when it has room (the socket is the demultiplexer's, and a UNIX peer's
 * queue is not polled for on an unconnected socket): try again later,
 * waiting twice as long each time until a send goes through.
 */
static void
dgram_port_wait(struct sc_dgram *g)
{
	int	 e = errno;

	g->retry_ms = g->retry_ms == 0 ? DGRAM_RETRY_MIN_MS :
	    g->retry_ms * 2 > DGRAM_RETRY_MAX_MS ? DGRAM_RETRY_MAX_MS :
	    g->retry_ms * 2;
	loop_timer_start(g->loop, &g->retry, g->retry_ms, dgram_port_retry,
	    g);
	errno = e;
}

static ssize_t
dgram_send(struct sc_dgram *g, const void *buf, size_t len)
{
	struct dgram_peer	*p = g->recent;
	const struct sockaddr	*to = NULL;
	socklen_t		 tolen = 0;
	ssize_t			 n;

	if (g->cfg.connected && g->cfg.sendto_peer) {
		to = (struct sockaddr *)&g->cfg.peer;
		tolen = g->cfg.peerlen;
	} else if (!g->cfg.connected) {
		if (p == NULL) {
			errno = EAGAIN;
			return -1;
		}
		to = (struct sockaddr *)&p->key.ss;
		tolen = p->key.len;
	}
	if (anc_pending(&g->anc))	/* --send-fd, --send-creds */
		n = anc_sendmsg(&g->anc, g->fd, buf, len,
		    MSG_DONTWAIT | g->cfg.sflags, to, tolen);
	else if (to == NULL)
		n = sys_send(g->fd, buf, len, MSG_DONTWAIT | g->cfg.sflags);
	else
		n = sys_sendto(g->fd, buf, len, MSG_DONTWAIT | g->cfg.sflags,
		    to, tolen);
	if (n == -1 && errno == EMSGSIZE)
		return dgram_too_long(g, len) == -1 ? -1 : (ssize_t)len;
	if (n == -1 && g->port && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ENOBUFS))
		dgram_port_wait(g);
	if (n >= 0) {
		g->nsent += (uint64_t)n;
		g->retry_ms = 0;
	}
	if (n >= 0 && g->ep.tap != NULL) {
		if (to == NULL && g->tpeerlen == 0) {
			/* the socket's peer, for the dump: asked once */
			g->tpeerlen = sizeof(g->tpeer);
			if (sys_getpeername(g->fd, (struct sockaddr *)&g->tpeer,
			    &g->tpeerlen) == -1)
				g->tpeerlen = 1;
		}
		if (to == NULL && g->tpeerlen > 1) {
			to = (struct sockaddr *)&g->tpeer;
			tolen = g->tpeerlen;
		}
		g->ep.tap_peer = dgram_tap_peer(g, to, tolen);
		g->ep.tap(&g->ep, SC_TAP_SENT, buf, (size_t)n, to, tolen);
	}
	return n;
}

/* Send the message the deframer holds; false when it must wait. */
static bool
dgram_send_pending(struct sc_dgram *g, int *err)
{
	*err = 0;
	if (!g->pending)
		return true;
	if (dgram_send(g, g->def.buf, g->def.len) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			*err = errno;
		return false;
	}
	deframer_next(&g->def);
	g->pending = false;
	return true;
}

/*
 * The relay's write. Raw framing: buf is one read of stdin, sent as one
 * message. Other framings: bytes are cut into messages, each sent once
 * complete; returns the bytes taken (a message that cannot be sent yet is
 * kept and sent first next time).
 */
static ssize_t
dgram_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	struct sc_dgram		*g = (struct sc_dgram *)(void *)ep;
	const unsigned char	*in = buf;
	const char		*errstr = NULL;
	size_t			 used = 0, n;
	int			 rv, err;

	ep->reason = NULL;
	if (g->cfg.framing == SC_FRAMING_RAW)
		return dgram_send(g, buf, len) == -1 ? -1 : (ssize_t)len;
	while (used < len || g->pending) {
		if (!dgram_send_pending(g, &err)) {
			ep->wpending = g->pending;
			if (err != 0 || used == 0) {
				errno = err != 0 ? err : EAGAIN;
				return -1;
			}
			return (ssize_t)used;
		}
		if (used == len)
			break;
		rv = deframer_feed(&g->def, in + used, len - used, &n, &errstr);
		used += n;
		if (rv == -1) {
			if (dgram_too_long(g, g->def.over) == -1)
				return -1;
			deframer_skip(&g->def);	/* serving many: go on */
			continue;
		}
		g->pending = rv == 1;
	}
	ep->wpending = g->pending;
	return (ssize_t)used;
}

/*
 * At stdin's EOF, a descriptor or credentials that found no message to
 * ride on go with a message of one NUL byte, as on a stream.
 */
static int
dgram_flush_anc(struct sc_dgram *g)
{
	if (!anc_pending(&g->anc))
		return 0;
	return dgram_send(g, "", 1) == -1 ? -1 : 0;
}

/* At stdin's EOF: the last line or record without its terminator. */
static int
dgram_flush(struct sc_endpoint *ep)
{
	struct sc_dgram	*g = (struct sc_dgram *)(void *)ep;
	const char	*errstr = NULL;
	int		 err;

	ep->reason = NULL;
	if (g->cfg.framing == SC_FRAMING_RAW)
		return dgram_flush_anc(g);
	if (!g->pending) {
		switch (deframer_finish(&g->def, &errstr)) {
		case -1:
			ep->reason = errstr;
			errno = EBADMSG;
			return -1;
		case 1:
			g->pending = true;
			break;
		default:
			return dgram_flush_anc(g);
		}
	}
	if (dgram_send_pending(g, &err)) {
		ep->wpending = false;
		return dgram_flush_anc(g);
	}
	errno = err != 0 ? err : EAGAIN;
	return -1;
}

/* Only a SEQPACKET connection has an end of file to send. */
static int
dgram_shutdown_wr(struct sc_endpoint *ep)
{
	struct sc_dgram	*g = (struct sc_dgram *)(void *)ep;

	if (!g->cfg.seqpacket)
		return 0;
	return sys_shutdown(g->fd, SHUT_WR);
}

static void
dgram_close(struct sc_endpoint *ep)
{
	struct sc_dgram		*g = (struct sc_dgram *)(void *)ep;
	struct dgram_peer	*p, *next;
	struct dgram_msg	*q;

	if (g->port) {
		if (g->gone != NULL)
			g->gone(ep, g->gone_arg);
		while ((q = g->qhead) != NULL) {
			g->qhead = q->next;
			free(q);
		}
		g->fd = -1;		/* the demultiplexer's */
	}
	loop_timer_stop(g->loop, &g->sweep);
	loop_timer_stop(g->loop, &g->retry);
	anc_free(&g->anc);
	for (p = g->newest; p != NULL; p = next) {
		next = p->older;
		free(p);
	}
	free(g->peers);
	if (g->fd != -1) {
		loop_forget(g->loop, g->fd);
		(void)sys_close(g->fd);
	}
	deframer_free(&g->def);
	free(g->rbuf);
	free(g);
}

static const struct sc_endpoint_ops dgram_ops = {
	.read = dgram_read,
	.write = dgram_write,
	.flush = dgram_flush,
	.shutdown_wr = dgram_shutdown_wr,
	.close = dgram_close,
};

/*
 * A message endpoint on fd (which it then owns, as endpoint_socket()
 * does: closing the endpoint closes it, and so does a failure). label
 * names the peer in messages.
 */
struct sc_endpoint *
dgram_new(struct sc_loop *loop, int fd, const struct sc_dgram_cfg *cfg,
    const char *label)
{
	struct sc_dgram	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		if (fd != -1)
			(void)sys_close(fd);
		return NULL;
	}
	g->loop = loop;
	g->cfg = *cfg;
	g->fd = fd;
	anc_init(&g->anc);
	if ((g->rbuf = malloc(cfg->recv_size + 1)) == NULL ||
	    (!cfg->connected &&
	    (g->peers = calloc(1, sizeof(*g->peers))) == NULL) ||
	    (cfg->framing != SC_FRAMING_RAW &&
	    deframer_init(&g->def, cfg->framing, cfg->send_max) == -1)) {
		dgram_close(&g->ep);
		return NULL;
	}
	if (cfg->seqpacket)
		g->eofmark = osdep_msg_mark(fd) == 0;

	g->ep.ops = &dgram_ops;
	g->ep.rfd = fd;
	g->ep.wfd = cfg->connected ? fd : -1;
	g->ep.rsock = g->ep.wsock = true;
	g->ep.owns_fds = true;
	g->ep.rmin = cfg->recv_size + framing_overhead(cfg->framing);
	g->ep.whole_writes = cfg->framing == SC_FRAMING_RAW;
	g->ep.msgmax = cfg->send_max;
	(void)snprintf(g->ep.rname, sizeof(g->ep.rname), "recv from %s", label);
	(void)snprintf(g->ep.wname, sizeof(g->ep.wname), "send to %s", label);
	return &g->ep;
}

/*
 * A port: the endpoint of one peer of a datagram server that runs a
 * handler per peer. It reads what the demultiplexer queues with
 * dgram_port_push(), and sends to its peer (cfg->peer) on the shared
 * socket fd, which it does not own. gone is called when it is closed.
 */
struct sc_endpoint *
dgram_port_new(struct sc_loop *loop, int fd, const struct sc_dgram_cfg *cfg,
    const char *label, sc_dgram_gone_cb *gone, void *arg)
{
	struct sc_dgram_cfg	 pcfg = *cfg;
	struct sc_endpoint	*ep;
	struct sc_dgram		*g;

	pcfg.connected = true;
	pcfg.sendto_peer = true;
	pcfg.seqpacket = false;
	if ((ep = dgram_new(loop, -1, &pcfg, label)) == NULL)
		return NULL;
	g = (struct sc_dgram *)(void *)ep;
	g->fd = fd;
	g->port = true;
	g->gone = gone;
	g->gone_arg = arg;
	ep->rfd = ep->wfd = -1;
	ep->virt = true;
	return ep;
}

/* Queue a message for a port; -1 when its queue is full (dropped). */
int
dgram_port_push(struct sc_endpoint *ep, const void *data, size_t len)
{
	struct sc_dgram		*g = (struct sc_dgram *)(void *)ep;
	struct dgram_msg	*q;

	if (g->qlen >= DGRAM_PORT_QUEUE ||
	    (q = malloc(sizeof(*q) + len)) == NULL)
		return -1;
	q->next = NULL;
	q->len = len;
	memcpy(q->data, data, len);
	if (g->qtail != NULL)
		g->qtail->next = q;
	else
		g->qhead = q;
	g->qtail = q;
	g->qlen++;
	relay_kick(ep->owner);
	return 0;
}

/*
 * What the options ask of a message socket's data calls (stdin and stdout
 * only): descriptors and credentials, as endpoint_socket_setup() does for
 * a stream. -1 with *err when --send-fd's file cannot be opened.
 */
int
dgram_setup(struct sc_endpoint *ep, const struct sc_opts *o,
    struct sc_error *err)
{
	struct sc_dgram	*g = (struct sc_dgram *)(void *)ep;

	if (g->port)
		return 0;	/* the demultiplexer receives */
	return anc_setup(&g->anc, g->fd, o, err);
}

/*
 * The payload bytes a message endpoint received and sent, not counting
 * the framing; false if ep is not one.
 */
bool
dgram_counts(const struct sc_endpoint *ep, uint64_t *in, uint64_t *out)
{
	const struct sc_dgram	*g = (const struct sc_dgram *)(const void *)ep;

	if (ep == NULL || ep->ops != &dgram_ops)
		return false;
	*in = g->nrecv;
	*out = g->nsent;
	return true;
}
