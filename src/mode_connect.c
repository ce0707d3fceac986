/*
 * Connect mode: connect to the target, then relay stdin and stdout
 * through the connection until both directions are finished.
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

struct connect_run {
	struct sc_session	 s;
	struct sc_connector	*conn;
};

static void
connect_relay_done(struct sc_session *s, enum sc_relay_end end,
    const struct sc_error *e)
{
	if (end == SC_RELAY_ERROR) {
		log_warn_error(e);
		s->status = e->exit;
	}
	loop_break(s->loop);
}

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
connect_done(struct sc_connector *c, int fd, const struct sc_error *e,
    bool final, void *arg)
{
	struct connect_run	*run = arg;
	struct sc_session	*s = &run->s;
	struct sc_error		 err;
	struct sc_dgram_cfg	 dcfg;
	const struct sockaddr	*sa;
	socklen_t		 len;
	char			 a[SC_ADDRSTRLEN], label[SC_ADDRSTRLEN + 16];

	if (fd == -1) {
		/* Earlier addresses failing is news only with -v. */
		if (final || log_level() >= 1)
			log_warn_error(e);
		if (final) {
			s->status = e->exit;
			loop_break(s->loop);
		}
		return;
	}
	connect_report(s->o);
	sa = connector_peer(c, &len);
	(void)snprintf(label, sizeof(label), "%s (%s)",
	    addr_str(sa, len, a, sizeof(a)), s->o->proto->name);
	session_dgram_cfg(s, sa->sa_family, &dcfg);
	if (s->o->proto->listens && len <= sizeof(dcfg.peer)) {
		/* SCTP one-to-many: each send names the association's peer */
		memcpy(&dcfg.peer, sa, len);
		dcfg.peerlen = len;
		dcfg.sendto_peer = true;
	}
	if (session_relay(s, fd, label, s->o->proto->message ? &dcfg : NULL,
	    connect_relay_done, &err) == -1) {
		log_warn_error(&err);
		s->status = err.exit;
		loop_break(s->loop);
	}
}

int
mode_connect(const struct sc_opts *o)
{
	struct connect_run	 run;
	struct sc_error		 err;

	run.conn = NULL;
	if (session_init(&run.s, o, &err) == -1)
		goto fail;
	if ((run.conn = connector_new(run.s.loop, o, connect_done,
	    &run)) == NULL) {
		error_set(&err, SC_EXIT_FAIL, 0, "out of memory");
		goto fail;
	}
	if (connector_start(run.conn, &err) == -1)
		goto fail;
	if (loop_run(run.s.loop) == -1) {
		error_set(&err, SC_EXIT_FAIL, errno, "wait for events");
		goto fail;
	}
	connector_free(run.conn);
	return session_finish(&run.s);
fail:
	log_warn_error(&err);
	connector_free(run.conn);
	(void)session_finish(&run.s);
	return err.exit;
}
