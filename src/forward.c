/*
 * The forward handler: every client is relayed to a new connection to
 * the target (--forward HOST:PORT, --forward-unix PATH) through the same
 * relay, so an end of file passes through in both directions. A target
 * that cannot be reached closes that client only.
 *
 * The target uses the listener's kind of socket: a stream listener
 * forwards over TCP (or a UNIX stream), a datagram listener over UDP (or
 * a UNIX datagram socket), a SEQPACKET listener to a SEQPACKET socket.
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

struct forward {
	struct sc_connector	*conn;
	struct sc_defer		 done;		/* act outside the callback */
	int			 fd;
	struct sc_error		 err;
	bool			 failed;
	char			 label[SC_ADDRSTRLEN + 16];
};

/* The target as connect-mode options, derived once at start-up. */
void
forward_target(struct sc_server *srv, const struct sc_opts *o)
{
	struct sc_opts		*t = &srv->target;
	const struct sc_proto	*p = o->proto;

	*t = *o;
	t->mode = SC_MODE_CONNECT;
	t->source_addr = NULL;
	t->source_port = -1;
	t->host = o->forward_host;
	t->port = o->forward_port;
	t->unix_path = o->forward_unix;
	if (o->forward_unix != NULL)
		t->proto = p->eof ? &sc_proto_unix_seqpacket : p->message ?
		    &sc_proto_unix_dgram : &sc_proto_unix;
	else
		t->proto = p->message && !p->eof ? &sc_proto_udp :
		    &sc_proto_tcp;
	t->nmcast = 0;
	t->broadcast = false;
	t->recv_info = false;
}

static void
forward_settle(struct sc_loop *loop, void *arg)
{
	struct sc_conn		*c = arg;
	struct forward		*f = c->hstate;
	struct sc_server	*srv = c->srv;
	struct sc_endpoint	*ep;
	struct sc_dgram_cfg	 dcfg;
	int			 fd = f->fd;

	(void)loop;
	connector_free(f->conn);
	f->conn = NULL;
	if (f->failed) {
		conn_abort(c, &f->err);
		return;
	}
	f->fd = -1;
	if (srv->target.proto->message) {
		session_dgram_cfg(&srv->s, AF_UNSPEC, &dcfg);
		dcfg.framing = server_framing(srv);
		ep = dgram_new(srv->s.loop, fd, &dcfg, f->label);
	} else
		ep = endpoint_socket(fd, f->label,
		    srv->target.proto->protocol == IPPROTO_TCP);
	if (ep == NULL) {
		error_set(&f->err, SC_EXIT_FAIL, ENOMEM, "forward %s",
		    c->label);
		conn_abort(c, &f->err);
		return;
	}
	conn_ready(c, ep);
}

static void
forward_connected(struct sc_connector *cn, int fd, const struct sc_error *e,
    bool final, void *arg)
{
	struct sc_conn		*c = arg;
	struct forward		*f = c->hstate;
	const struct sockaddr	*sa;
	socklen_t		 len;
	char			 a[SC_ADDRSTRLEN];

	if (fd == -1 && !final) {
		if (log_level() >= 1)
			log_warn_error(e);
		return;
	}
	if (fd == -1) {
		f->err = *e;
		f->failed = true;
	} else {
		sa = connector_peer(cn, &len);
		(void)snprintf(f->label, sizeof(f->label), "%s (%s)",
		    addr_str(sa, len, a, sizeof(a)),
		    c->srv->target.proto->name);
		f->fd = fd;
	}
	loop_defer(c->srv->s.loop, &f->done, forward_settle, c);
}

static int
forward_start(struct sc_conn *c, struct sc_error *err)
{
	struct forward	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "forward %s", c->label);
		return -1;
	}
	f->fd = -1;
	c->hstate = f;
	f->conn = connector_new(c->srv->s.loop, &c->srv->target,
	    forward_connected, c);
	if (f->conn == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "forward %s", c->label);
		return -1;
	}
	if (connector_start(f->conn, err) == -1)
		return -1;
	return 1;
}

static void
forward_stop(struct sc_conn *c)
{
	struct forward	*f = c->hstate;

	if (f == NULL)
		return;
	loop_defer_cancel(c->srv->s.loop, &f->done);
	connector_free(f->conn);
	if (f->fd != -1)
		(void)sys_close(f->fd);
	free(f);
	c->hstate = NULL;
}

static bool
forward_finish(struct sc_conn *c)
{
	forward_stop(c);
	return false;
}

const struct sc_handler sc_handler_forward = {
	.name = "forward",
	.start = forward_start,
	.relay_cfg = conn_relay_cfg_duplex,
	.finish = forward_finish,
	.stop = forward_stop,
};
