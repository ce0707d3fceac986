/*
 * A datagram server with -k and a handler (--echo, -e, --forward, ...):
 * one unconnected socket, and for every sender a connection of its own,
 * whose client endpoint is a port (dgram.c) that this demultiplexer feeds
 * with the sender's messages. A sender's connection ends like any other
 * (its handler is done, or --idle-timeout); its next message starts a new
 * one.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

#define DEMUX_READS	64	/* datagrams per readiness event */

struct demux_peer {
	struct sc_peer		 key;		/* first: the table's view */
	struct sc_endpoint	*port;
	struct sc_demux		*d;
};

struct sc_demux {
	struct sc_server	*srv;
	int			 fd;
	struct sc_peertab	 peers;
	unsigned char		*buf;
	size_t			 size;
	struct sc_dgram_cfg	 cfg;		/* the ports', and reports */
	int			 rflags;
};

/* A port was closed (its connection ended): forget its peer. */
static void
demux_gone(struct sc_endpoint *port, void *arg)
{
	struct demux_peer	*peer = arg;

	(void)port;
	peertab_remove(&peer->d->peers, &peer->key);
	free(peer);
}

static struct demux_peer *
demux_find(struct sc_demux *d, const struct sockaddr *sa, socklen_t len)
{
	return (struct demux_peer *)(void *)peertab_find(&d->peers, sa, len);
}

/*
 * A sender we have not heard from: admit it, give it a connection. Its
 * first message m tells the connection its local address and a UNIX
 * sender's credentials.
 */
static struct demux_peer *
demux_new_peer(struct sc_demux *d, const struct sc_dgram_meta *m)
{
	struct sc_server	*srv = d->srv;
	const struct sockaddr	*sa = m->from;
	socklen_t		 len = m->fromlen;
	struct sc_dgram_cfg	 cfg = d->cfg;
	struct demux_peer	*peer;
	struct sc_conn		*c;

	if (!server_admit(srv, sa, len) ||
	    (peer = calloc(1, sizeof(*peer))) == NULL)
		return NULL;
	peertab_add(&d->peers, &peer->key, sa, len);
	peer->d = d;
	memcpy(&cfg.peer, sa, len);
	cfg.peerlen = len;
	peer->port = dgram_port_new(srv->s.loop, d->fd, &cfg, "peer",
	    demux_gone, peer);
	if (peer->port == NULL) {
		peertab_remove(&d->peers, &peer->key);
		free(peer);
		return NULL;
	}
	if ((c = conn_new(srv, peer->port, sa, len)) == NULL) {
		peer->port->ops->close(peer->port);	/* frees peer */
		return NULL;
	}
	endpoint_label(peer->port, c->label);
	conn_dgram_origin(c, d->fd, m);
	log_verbose(1, "Connection received on %s", c->who);
	conn_start(c);
	return demux_find(d, sa, len);	/* a handler may fail at once */
}

/* Tell the session (the -v lines, --recv-info, warnings). */
static void
demux_report(struct sc_demux *d, enum sc_dgram_event ev,
    const struct sc_dgram_meta *m)
{
	d->cfg.report(ev, m, d->cfg.arg);
}

static void
demux_read(struct sc_loop *loop, int fd, unsigned ev, void *arg)
{
	struct sc_demux		*d = arg;
	struct sc_dgram_meta	 m;
	struct demux_peer	*p;
	int			 i;

	(void)loop;
	(void)ev;
	for (i = 0; i < DEMUX_READS; i++) {
		/* descriptors sent to us are closed: no handler takes them */
		if (dgram_recvmsg(fd, d->buf, d->size, d->rflags, &m, NULL,
		    NULL) == -1)
			return;		/* EAGAIN, or an ICMP error: go on */
		p = NULL;	/* an unbound UNIX socket: heard, no reply */
		if (m.fromlen > sizeof(sa_family_t) &&
		    (p = demux_find(d, m.from, m.fromlen)) == NULL &&
		    (p = demux_new_peer(d, &m)) == NULL)
			continue;	/* refused (--allow, --max-conns) */
		demux_report(d, SC_DGRAM_RECEIVED, &m);
		if (m.real > m.len)
			demux_report(d, SC_DGRAM_TRUNCATED, &m);
		if (p == NULL)
			demux_report(d, SC_DGRAM_UNNAMED, &m);
		else if (dgram_port_push(p->port, d->buf, m.len) == -1)
			demux_report(d, SC_DGRAM_DROPPED, &m);
	}
}

/*
 * Take over the server's socket and serve each sender through the
 * handler. The server frees the demultiplexer after its connections,
 * whose ports call back here as they close.
 */
void
dgram_demux_start(struct sc_server *srv)
{
	struct sc_demux		*d;
	struct sc_error		 e;

	srv->single = false;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->buf = malloc(srv->s.o->recv_size + 1)) == NULL) {
		free(d);
		error_set(&e, SC_EXIT_FAIL, ENOMEM, "serve datagrams");
		goto fail;
	}
	d->srv = srv;
	d->fd = srv->lfd;
	d->size = srv->s.o->recv_size;
	session_dgram_cfg(&srv->s, srv->family, &d->cfg);
	d->cfg.framing = server_framing(srv);
	d->rflags = MSG_DONTWAIT;
#ifdef MSG_CMSG_CLOEXEC
	if (d->cfg.unixsock)
		d->rflags |= MSG_CMSG_CLOEXEC;
#endif
	srv->demux = d;
	if (loop_watch(srv->s.loop, d->fd, SC_EV_IN, demux_read, d) == -1) {
		error_set(&e, SC_EXIT_FAIL, errno, "serve datagrams");
		goto fail;
	}
	return;
fail:
	server_fatal(srv, &e);
}

void
dgram_demux_free(struct sc_demux *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d);
}
