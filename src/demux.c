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

#define DEMUX_BUCKETS	1024
#define DEMUX_BUCKET(sa, len)	(addr_hash((sa), (len)) % DEMUX_BUCKETS)
#define DEMUX_READS	64	/* datagrams per readiness event */

struct demux_peer {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct sc_endpoint	*port;
	struct sc_demux		*d;
	struct demux_peer	*next;
};

struct sc_demux {
	struct sc_server	*srv;
	int			 fd;
	struct demux_peer	*buckets[DEMUX_BUCKETS];
	unsigned char		*buf;
	size_t			 size;
};

/* A port was closed (its connection ended): forget its peer. */
static void
demux_gone(struct sc_endpoint *port, void *arg)
{
	struct demux_peer	*peer = arg, **pp;
	struct sc_demux		*d = peer->d;

	(void)port;
	pp = &d->buckets[DEMUX_BUCKET((struct sockaddr *)&peer->ss, peer->len)];
	for (; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == peer) {
			*pp = peer->next;
			break;
		}
	}
	free(peer);
}

/* A sender we have not heard from: admit it, give it a connection. */
static struct demux_peer *
demux_new_peer(struct sc_demux *d, const struct sockaddr *sa, socklen_t len)
{
	struct sc_server	*srv = d->srv;
	struct sc_dgram_cfg	 cfg;
	struct demux_peer	*peer;
	struct sc_conn		*c;
	uint32_t		 h;

	if (!server_admit(srv, sa, len) ||
	    (peer = calloc(1, sizeof(*peer))) == NULL)
		return NULL;
	memcpy(&peer->ss, sa, len);
	peer->len = len;
	peer->d = d;
	session_dgram_cfg(&srv->s, srv->family, &cfg);
	cfg.framing = server_framing(srv);
	memcpy(&cfg.peer, sa, len);
	cfg.peerlen = len;
	peer->port = dgram_port_new(srv->s.loop, d->fd, &cfg, "peer",
	    demux_gone, peer);
	if (peer->port == NULL) {
		free(peer);
		return NULL;
	}
	if ((c = conn_new(srv, peer->port, sa, len)) == NULL) {
		peer->port->ops->close(peer->port);	/* frees peer */
		return NULL;
	}
	endpoint_label(peer->port, c->label);
	h = DEMUX_BUCKET(sa, len);
	peer->next = d->buckets[h];
	d->buckets[h] = peer;
	log_verbose(1, "Connection received on %s", c->who);
	conn_start(c);
	return peer;
}

static struct demux_peer *
demux_find(struct sc_demux *d, const struct sockaddr *sa, socklen_t len)
{
	struct demux_peer	*p;

	for (p = d->buckets[DEMUX_BUCKET(sa, len)]; p != NULL; p = p->next) {
		if (addr_equal((struct sockaddr *)&p->ss, p->len, sa, len))
			return p;
	}
	return NULL;
}

static void
demux_read(struct sc_loop *loop, int fd, unsigned ev, void *arg)
{
	struct sc_demux		*d = arg;
	struct sockaddr_storage	 ss;
	struct demux_peer	*p;
	socklen_t		 len;
	ssize_t			 n;
	char			 who[SC_ADDRSTRLEN];
	int			 i;

	(void)loop;
	(void)ev;
	for (i = 0; i < DEMUX_READS; i++) {
		len = sizeof(ss);
		n = sys_recvfrom(fd, d->buf, d->size, MSG_DONTWAIT | MSG_TRUNC,
		    (struct sockaddr *)&ss, &len);
		if (n == -1)
			return;		/* EAGAIN, or an ICMP error: go on */
		addr_str((struct sockaddr *)&ss, len, who, sizeof(who));
		if ((size_t)n > d->size)
			log_verbose(0, "%s: message from %s truncated: %zd "
			    "bytes, receive buffer %zu (--recv-size)", PACKAGE,
			    who, n, d->size);
		log_verbose(2, "Received %zd bytes from %s", n, who);
		if (len <= sizeof(sa_family_t))
			continue;	/* an unbound UNIX socket: no reply */
		if ((p = demux_find(d, (struct sockaddr *)&ss, len)) == NULL &&
		    (p = demux_new_peer(d, (struct sockaddr *)&ss,
		    len)) == NULL)
			continue;
		if (dgram_port_push(p->port, d->buf, (size_t)n < d->size ?
		    (size_t)n : d->size) == -1)
			log_verbose(2, "Dropped %zd bytes from %s: its queue "
			    "is full", n, who);
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
	srv->demux = d;
	if (loop_watch(srv->s.loop, d->fd, SC_EV_IN, demux_read, d) == -1) {
		error_set(&e, SC_EXIT_FAIL, errno, "serve datagrams");
		goto fail;
	}
	return;
fail:
	log_warn_error(&e);
	srv->s.status = SC_EXIT_FAIL;
	loop_break(srv->s.loop);
}

void
dgram_demux_free(struct sc_demux *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d);
}
