/*
 * The stdio hub of a server that serves many clients at once (-k): stdin
 * is read once and goes to every connected client; what every client
 * sends goes to stdout, each write kept whole. Each client's relay sees
 * the hub through a port, a virtual endpoint.
 *
 * Flow control: stdin is read only when every port has room, so the
 * slowest client paces stdin for all; a port's writes wait while the
 * stdout queue is full, so a slow stdout paces every client.
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

/* What one port may hold of stdin, and the stdout queue. */
#define HUB_PORT_MAX	(256 * 1024)
#define HUB_OUT_MAX	(1024 * 1024)

struct hub_port {
	struct sc_endpoint	 ep;		/* first: the relay's view */
	struct sc_hub		*hub;
	unsigned char		*q;		/* stdin not yet taken */
	size_t			 qoff, qlen;
	bool			 blocked;	/* a write waits for stdout */
	struct hub_port		*next, *prev;
};

struct sc_hub {
	struct sc_loop		*loop;
	struct sc_endpoint	*local;		/* stdin and stdout */
	struct hub_port		*ports;
	size_t			 nports;
	struct sc_buf		 out;		/* for stdout */
	bool			 in_eof;
	bool			 failed;
	sc_hub_fail_cb		*fail;
	void			*arg;
	unsigned		 rwatch, wwatch;
};

static void	hub_update(struct sc_hub *);

static void
hub_kick_all(struct sc_hub *h, bool blocked_only)
{
	struct hub_port	*p;

	for (p = h->ports; p != NULL; p = p->next) {
		if (!blocked_only || p->blocked) {
			p->blocked = false;
			relay_kick(p->ep.owner);
		}
	}
}

static void
hub_failed(struct sc_hub *h, const char *what, int errnum)
{
	struct sc_error	 e;

	if (h->failed)
		return;
	h->failed = true;
	error_set(&e, SC_EXIT_FAIL, errnum, "%s", what);
	h->fail(&e, h->arg);
}

/* stdin: read once, copy to every port. */
static void
hub_read(struct sc_hub *h)
{
	unsigned char	 buf[SC_BUFSIZE];
	struct hub_port	*p;
	ssize_t		 n;

	n = h->local->ops->read(h->local, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		if (n == -1)
			hub_failed(h, h->local->rname, errno);
		h->in_eof = true;
		hub_kick_all(h, false);
		return;
	}
	for (p = h->ports; p != NULL; p = p->next) {
		if (p->q == NULL && (p->q = malloc(HUB_PORT_MAX)) == NULL)
			continue;	/* this client misses it; no memory */
		if (p->qoff > 0 && p->qoff + p->qlen + (size_t)n >
		    HUB_PORT_MAX) {
			memmove(p->q, p->q + p->qoff, p->qlen);
			p->qoff = 0;
		}
		memcpy(p->q + p->qoff + p->qlen, buf, (size_t)n);
		p->qlen += (size_t)n;
		relay_kick(p->ep.owner);
	}
}

/* stdout: write what the ports queued. */
static void
hub_write(struct sc_hub *h)
{
	struct sc_buf	*b = &h->out;
	ssize_t		 n;

	while (b->len > 0) {
		n = h->local->ops->write(h->local, b->data + b->off, b->len);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				hub_failed(h, h->local->wname, errno);
			break;
		}
		b->off += (size_t)n;
		b->len -= (size_t)n;
		if (h->local->wmax != 0)
			break;
	}
	if (b->len == 0)
		b->off = 0;
	if (b->len < b->size / 2)
		hub_kick_all(h, true);
}

static void
hub_io(struct sc_loop *loop, int fd, unsigned ev, void *arg)
{
	struct sc_hub	*h = arg;

	(void)loop;
	if ((ev & SC_EV_OUT) && fd == h->local->wfd)
		hub_write(h);
	if ((ev & SC_EV_IN) && fd == h->local->rfd)
		hub_read(h);
	hub_update(h);
}

/* Read stdin only while every port can take a full read. */
static bool
hub_can_read(const struct sc_hub *h)
{
	const struct hub_port	*p;

	if (h->in_eof || h->failed || h->nports == 0)
		return false;
	for (p = h->ports; p != NULL; p = p->next) {
		if (p->qlen + SC_BUFSIZE > HUB_PORT_MAX)
			return false;
	}
	return true;
}

static void
hub_update(struct sc_hub *h)
{
	unsigned	 r = hub_can_read(h) ? SC_EV_IN : 0;
	unsigned	 w = h->out.len > 0 && !h->failed ? SC_EV_OUT : 0;

	if (r != h->rwatch) {
		(void)loop_watch(h->loop, h->local->rfd, r, hub_io, h);
		h->rwatch = r;
	}
	if (w != h->wwatch) {
		(void)loop_watch(h->loop, h->local->wfd, w, hub_io, h);
		h->wwatch = w;
	}
}

/* A port's read: what stdin brought since; 0 once stdin has ended. */
static ssize_t
port_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	struct hub_port	*p = (struct hub_port *)(void *)ep;
	struct sc_hub	*h = p->hub;
	size_t		 n = p->qlen < len ? p->qlen : len;

	if (n == 0) {
		if (h->in_eof)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	memcpy(buf, p->q + p->qoff, n);
	p->qoff += n;
	p->qlen -= n;
	if (p->qlen == 0)
		p->qoff = 0;
	hub_update(h);		/* there may be room for stdin again */
	return (ssize_t)n;
}

/* A port's write: onto the stdout queue, whole or not at all. */
static ssize_t
port_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	struct hub_port	*p = (struct hub_port *)(void *)ep;
	struct sc_hub	*h = p->hub;
	struct sc_buf	*b = &h->out;

	if (h->failed) {
		errno = EPIPE;
		return -1;
	}
	if (b->size - b->len < len) {
		if (b->len > 0) {
			p->blocked = true;
			errno = EAGAIN;
			return -1;
		}
		len = b->size;		/* larger than the queue: in parts */
	}
	if (b->off + b->len + len > b->size) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	memcpy(b->data + b->off + b->len, buf, len);
	b->len += len;
	hub_update(h);
	return (ssize_t)len;
}

/* Standard output stays open for the next client. */
static int
port_shutdown_wr(struct sc_endpoint *ep)
{
	(void)ep;
	return 0;
}

static void
port_close(struct sc_endpoint *ep)
{
	struct hub_port	*p = (struct hub_port *)(void *)ep;
	struct sc_hub	*h = p->hub;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		h->ports = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	h->nports--;
	free(p->q);
	free(p);
	hub_update(h);		/* the slowest port may have gone */
}

static const struct sc_endpoint_ops port_ops = {
	.read = port_read,
	.write = port_write,
	.shutdown_wr = port_shutdown_wr,
	.close = port_close,
};

/*
 * A hub on stdin and stdout (local); read_stdin false: stdin is never
 * read (-d, --recv-only). fail is called once if stdin or stdout fails.
 */
struct sc_hub *
hub_new(struct sc_loop *loop, struct sc_endpoint *local, bool read_stdin,
    sc_hub_fail_cb *fail, void *arg)
{
	struct sc_hub	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if (buf_init(&h->out, HUB_OUT_MAX) == -1) {
		free(h);
		return NULL;
	}
	h->loop = loop;
	h->local = local;
	h->in_eof = local->rd_eof || !read_stdin;
	h->fail = fail;
	h->arg = arg;
	return h;
}

/* A port for one client; NULL when out of memory. */
struct sc_endpoint *
hub_port(struct sc_hub *h)
{
	struct hub_port	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->hub = h;
	p->ep.ops = &port_ops;
	p->ep.rfd = p->ep.wfd = -1;
	p->ep.virt = true;
	p->ep.is_tty = h->local->is_tty;
	p->ep.rd_eof = h->in_eof;
	(void)snprintf(p->ep.rname, sizeof(p->ep.rname), "read from stdin");
	(void)snprintf(p->ep.wname, sizeof(p->ep.wname), "write to stdout");
	p->next = h->ports;
	if (h->ports != NULL)
		h->ports->prev = p;
	h->ports = p;
	h->nports++;
	hub_update(h);
	return &p->ep;
}

void
hub_free(struct sc_hub *h)
{
	if (h == NULL)
		return;
	(void)loop_watch(h->loop, h->local->rfd, 0, NULL, NULL);
	(void)loop_watch(h->loop, h->local->wfd, 0, NULL, NULL);
	buf_free(&h->out);
	free(h);
}
