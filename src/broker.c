/*
 * The broker and chat handlers: what one client sends goes to every other
 * client. Each client's relay reaches the broker through a port, a
 * virtual endpoint; a port's write copies the bytes into every other
 * port's queue. --chat prefixes each line with "<userN> " and announces
 * who comes and goes, in the manner of ncat.
 *
 * Flow control keeps memory bounded without letting one client hold the
 * others up for long: while any client's queue holds more than
 * BROKER_QUEUE_SOFT bytes, the broker takes nothing more from anybody
 * (their relays wait, their sockets fill, their senders slow down). A
 * client that then reads nothing for BROKER_STALL_MS is disconnected,
 * with a message, and everybody else goes on.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

#define BROKER_QUEUE_SOFT	(256 * 1024)
#define BROKER_STALL_MS		2000

struct broker_port {
	struct sc_endpoint	 ep;		/* first: the relay's view */
	struct sc_broker	*b;
	struct sc_conn		*c;
	unsigned long		 user;
	unsigned char		*q;
	size_t			 qoff, qlen, qcap;
	bool			 over;		/* above BROKER_QUEUE_SOFT */
	bool			 blocked;	/* its write waits */
	struct sc_timer		 stall;		/* no progress while over */
	bool			 midline;	/* chat: inside a line */
	struct broker_port	*next, *prev;
};

struct sc_broker {
	struct sc_loop		*loop;
	struct broker_port	*ports;
	size_t			 nover;		/* ports over the soft limit */
	bool			 chat;
};

struct sc_broker *
broker_new(struct sc_server *srv)
{
	struct sc_broker	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->loop = srv->s.loop;
	b->chat = srv->handler == &sc_handler_chat;
	return b;
}

/* Nobody is over the limit any more: the waiting writers may go on. */
static void
broker_resume(struct sc_broker *b)
{
	struct broker_port	*p;

	for (p = b->ports; p != NULL; p = p->next) {
		if (p->blocked) {
			p->blocked = false;
			relay_kick(p->ep.owner);
		}
	}
}

static void
port_stalled(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct broker_port	*p = arg;
	struct sc_error		 e;

	(void)loop;
	(void)t;
	error_reason(&e, SC_EXIT_FAIL, "too slow a reader: it took nothing "
	    "of its full broker queue for 2 seconds", "%s", p->c->label);
	conn_abort(p->c, &e);		/* closes the port */
}

static void
port_set_over(struct broker_port *p, bool over)
{
	struct sc_broker	*b = p->b;

	if (over == p->over)
		return;
	p->over = over;
	if (over) {
		b->nover++;
		loop_timer_start(b->loop, &p->stall, BROKER_STALL_MS,
		    port_stalled, p);
		return;
	}
	loop_timer_stop(b->loop, &p->stall);
	if (--b->nover == 0)
		broker_resume(b);
}

void
broker_free(struct sc_broker *b)
{
	free(b);
}

/* Queue bytes for port p (the soft limit is checked before). */
static void
port_queue(struct broker_port *p, const void *data, size_t len)
{
	unsigned char	*nq;
	size_t		 cap;

	if (p->qoff > 0 && p->qoff + p->qlen + len > p->qcap) {
		memmove(p->q, p->q + p->qoff, p->qlen);
		p->qoff = 0;
	}
	if (p->qlen + len > p->qcap) {
		cap = p->qcap ? p->qcap : 4096;
		while (cap < p->qlen + len)
			cap *= 2;
		if ((nq = realloc(p->q, cap)) == NULL)
			return;		/* no memory: this client misses it */
		p->q = nq;
		p->qcap = cap;
	}
	memcpy(p->q + p->qoff + p->qlen, data, len);
	p->qlen += len;
	if (p->qlen > BROKER_QUEUE_SOFT)
		port_set_over(p, true);
	relay_kick(p->ep.owner);
}

/* To everybody but from (NULL: everybody). */
static void
broker_send(struct sc_broker *b, struct broker_port *from, const void *data,
    size_t len)
{
	struct broker_port	*p;

	for (p = b->ports; p != NULL; p = p->next) {
		if (p != from)
			port_queue(p, data, len);
	}
}

/* --chat: "<userN> " before each line of what from says. */
static void
chat_send(struct sc_broker *b, struct broker_port *from,
    const unsigned char *data, size_t len)
{
	char		 tag[40];
	const unsigned char *nl;
	size_t		 n;

	while (len > 0) {
		if (!from->midline) {
			n = (size_t)snprintf(tag, sizeof(tag), "<user%lu> ",
			    from->user);
			broker_send(b, from, tag, n);
			from->midline = true;
		}
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) + 1 : len;
		broker_send(b, from, data, n);
		if (nl != NULL)
			from->midline = false;
		data += n;
		len -= n;
	}
}

static ssize_t
port_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	struct broker_port	*p = (struct broker_port *)(void *)ep;
	size_t			 n = p->qlen < len ? p->qlen : len;

	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	memcpy(buf, p->q + p->qoff, n);
	p->qoff += n;
	p->qlen -= n;
	if (p->qlen == 0) {
		/* drained: an idle client holds no queue memory */
		free(p->q);
		p->q = NULL;
		p->qoff = p->qcap = 0;
	}
	if (p->over && p->qlen <= BROKER_QUEUE_SOFT / 2)
		port_set_over(p, false);
	else if (p->over)		/* progress: the clock starts again */
		loop_timer_start(p->b->loop, &p->stall, BROKER_STALL_MS,
		    port_stalled, p);
	return (ssize_t)n;
}

static ssize_t
port_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	struct broker_port	*p = (struct broker_port *)(void *)ep;

	if (p->b->nover > 0) {		/* somebody is behind: wait */
		p->blocked = true;
		errno = EAGAIN;
		return -1;
	}
	if (p->b->chat)
		chat_send(p->b, p, buf, len);
	else
		broker_send(p->b, p, buf, len);
	return (ssize_t)len;
}

static int
port_shutdown_wr(struct sc_endpoint *ep)
{
	(void)ep;
	return 0;
}

static void
port_close(struct sc_endpoint *ep)
{
	struct broker_port	*p = (struct broker_port *)(void *)ep;
	struct sc_broker	*b = p->b;
	char			 msg[80];
	int			 n;

	port_set_over(p, false);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		b->ports = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	if (b->chat) {
		n = snprintf(msg, sizeof(msg), "<announce> <user%lu> is "
		    "disconnected.\n", p->user);
		broker_send(b, NULL, msg, (size_t)n);
	}
	free(p->q);
	free(p);
}

static const struct sc_endpoint_ops broker_ops = {
	.read = port_read,
	.write = port_write,
	.shutdown_wr = port_shutdown_wr,
	.close = port_close,
};

/* --chat: tell the others who came, and the newcomer who is there. */
static void
chat_join(struct sc_broker *b, struct broker_port *np)
{
	struct broker_port	*p;
	char			 msg[SC_ADDRSTRLEN + 64];
	int			 n;

	n = snprintf(msg, sizeof(msg), "<announce> %s is connected as "
	    "<user%lu>.\n", np->c->who, np->user);
	broker_send(b, np, msg, (size_t)n);
	if (np->next == NULL)
		return;
	port_queue(np, "<announce> already connected:", 29);
	for (p = np->next; p != NULL; p = p->next) {
		n = snprintf(msg, sizeof(msg), " %s as <user%lu>%s",
		    p->c->who, p->user, p->next != NULL ? "," : ".\n");
		port_queue(np, msg, (size_t)n);
	}
}

static int
broker_start(struct sc_conn *c, struct sc_error *err)
{
	struct sc_broker	*b = c->srv->broker;
	struct broker_port	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "broker for %s",
		    c->label);
		return -1;
	}
	p->b = b;
	p->c = c;
	p->user = c->id;
	p->ep.ops = &broker_ops;
	p->ep.rfd = p->ep.wfd = -1;
	p->ep.virt = true;
	(void)snprintf(p->ep.rname, sizeof(p->ep.rname), "broker queue");
	(void)snprintf(p->ep.wname, sizeof(p->ep.wname), "broker queue");
	p->next = b->ports;
	if (b->ports != NULL)
		b->ports->prev = p;
	b->ports = p;
	c->side = &p->ep;
	if (b->chat)
		chat_join(b, p);
	return 0;
}

/* A client's end of file ends its connection, once it has its queue. */
static void
broker_relay_cfg(const struct sc_conn *c, struct sc_relay_cfg *cfg)
{
	(void)c;
	cfg->read_src[SC_DIR_AB] = true;
	cfg->eof_at_start[SC_DIR_AB] = false;
	cfg->shut_dst[SC_DIR_AB] = true;
	cfg->quit_after_eof_ms[SC_DIR_AB] = SC_NO_TIMEOUT;
	cfg->idle_after_eof_ms[SC_DIR_AB] = SC_NO_TIMEOUT;
	cfg->discard[SC_DIR_AB] = false;
	cfg->read_src[SC_DIR_BA] = true;
	cfg->shut_dst[SC_DIR_BA] = false;
	cfg->discard[SC_DIR_BA] = false;
	cfg->end_on_eof[SC_DIR_BA] = true;
}

const struct sc_handler sc_handler_broker = {
	.name = "broker",
	.start = broker_start,
	.relay_cfg = broker_relay_cfg,
};

const struct sc_handler sc_handler_chat = {
	.name = "chat",
	.start = broker_start,
	.relay_cfg = broker_relay_cfg,
};
