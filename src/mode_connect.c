/*
 * Connect mode: connect to the target, then serve the connection with
 * the handler (stdin and stdout by default; -e, -c or --echo) until both
 * directions are finished.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sockcat.h"

/* The -v line, as OpenBSD nc prints it. */
static void
connect_report(const struct sc_opts *o)
{
	if (o->proto->family == AF_UNIX)
		log_verbose(1, "Connection to %s succeeded!", o->unix_path);
	else
		log_verbose(1, "Connection to %s %d port [%s/%s] succeeded!",
		    o->host, o->port, o->proto->name,
		    addr_service(o->port, o->proto->name));
}

static void
connect_done(struct sc_connector *cn, int fd, const struct sc_error *e,
    bool final, void *arg)
{
	struct sc_server	*srv = arg;
	const struct sc_opts	*o = srv->s.o;
	struct sc_dgram_cfg	 dcfg;
	struct sc_endpoint	*ep;
	struct sc_conn		*c;
	struct sc_error		 err;
	const struct sockaddr	*sa;
	socklen_t		 len;

	if (fd == -1) {
		/* Earlier addresses failing is news only with -v. */
		if (final || log_level() >= 1)
			log_warn_error(e);
		if (final) {
			srv->s.status = e->exit;
			loop_break(srv->s.loop);
		}
		return;
	}
	connect_report(o);
	sa = connector_peer(cn, &len);
	session_dgram_cfg(&srv->s, sa->sa_family, &dcfg);
	if (o->proto->listens && len <= sizeof(dcfg.peer)) {
		/* SCTP one-to-many: each send names the association's peer */
		memcpy(&dcfg.peer, sa, len);
		dcfg.peerlen = len;
		dcfg.sendto_peer = true;
	}
	if ((ep = server_client_endpoint(srv, fd, "server", &dcfg)) == NULL ||
	    (c = conn_new(srv, ep, sa, len)) == NULL) {
		if (ep != NULL)
			ep->ops->close(ep);
		error_set(&err, SC_EXIT_FAIL, ENOMEM, "set up the connection");
		log_warn_error(&err);
		srv->s.status = SC_EXIT_FAIL;
		loop_break(srv->s.loop);
		return;
	}
	endpoint_label(ep, c->label);
	conn_start(c);
}

int
mode_connect(const struct sc_opts *o)
{
	struct sc_server	 srv;
	struct sc_connector	*cn = NULL;
	struct sc_error		 err;
	int			 status;

	if (server_init(&srv, o, &err) == -1)
		goto fail;
	if ((cn = connector_new(srv.s.loop, o, connect_done, &srv)) == NULL) {
		error_set(&err, SC_EXIT_FAIL, ENOMEM, "connect");
		goto fail;
	}
	if (connector_start(cn, &err) == -1)
		goto fail;
	if (loop_run(srv.s.loop) == -1) {
		error_set(&err, SC_EXIT_FAIL, errno, "wait for events");
		goto fail;
	}
	connector_free(cn);
	return server_finish(&srv);
fail:
	log_warn_error(&err);
	connector_free(cn);
	status = srv.s.loop != NULL ? server_finish(&srv) :
	    session_finish(&srv.s);
	return status >= SC_EXIT_SIGNAL ? status : err.exit;
}
