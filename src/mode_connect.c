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
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

struct connect_run {
	struct sc_server	 srv;		/* first */
	struct sc_connector	*cn;
	int			 tries;		/* failed connects in a row */
	struct sc_timer		 again;
};

static void	connect_start(struct connect_run *);

static void
connect_again(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	connect_start(arg);
}

/*
 * A connect failed for good, or the connection ended: with --retry and
 * --reconnect, is another attempt due? Counts the failed attempts.
 */
static bool
connect_retry_due(struct connect_run *run, bool failed)
{
	struct sc_server	*srv = &run->srv;
	const struct sc_opts	*o = srv->s.o;

	if (failed && ++run->tries > o->retry && !o->reconnect)
		return false;
	if (failed && o->retry > 0 && run->tries > o->retry)
		return false;
	if (!failed && (!o->reconnect || (srv->s.local.rd_eof &&
	    srv->s.stdin_buf.len == 0)))
		return false;
	return true;
}

/* Try again after --retry-wait. */
static void
connect_retry(struct connect_run *run, bool failed)
{
	struct sc_server	*srv = &run->srv;
	const struct sc_opts	*o = srv->s.o;

	log_verbose(1, "%s again in %.3f s", failed ? "Connecting" :
	    "Reconnecting", (double)o->retry_wait_ms / 1000.0);
	loop_timer_start(srv->s.loop, &run->again, o->retry_wait_ms,
	    connect_again, run);
}

/* The connection is over (srv->on_done): reconnect, or end. */
static void
connect_ended(struct sc_server *srv)
{
	struct connect_run	*run = (struct connect_run *)(void *)srv;

	if (connect_retry_due(run, false))
		connect_retry(run, false);
	else
		loop_break(srv->s.loop);
}

/*
 * -F: hand the connected socket to whoever holds the UNIX socket on
 * stdout (ssh's ProxyUseFdpass), with one byte of data to carry it, as
 * OpenBSD nc does; then sockcat's part is over.
 */
static void
connect_pass(struct sc_server *srv, int fd)
{
	struct sc_error	 e;
	struct stat	 st;

	if (fstat(STDOUT_FILENO, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		error_reason(&e, SC_EXIT_FAIL, "stdout is not a UNIX socket",
		    "-F");
		log_warn_error(&e);
		srv->s.status = SC_EXIT_FAIL;
	} else if (sys_set_nonblock(fd, false) == -1 ||
	    sock_send_fd(STDOUT_FILENO, fd) == -1) {
		/* blocking, as a socket fresh from socket() is */
		error_set(&e, SC_EXIT_FAIL, errno, "-F: pass the socket");
		log_warn_error(&e);
		srv->s.status = SC_EXIT_FAIL;
	}
	(void)sys_close(fd);
	loop_break(srv->s.loop);
}

static void
connect_done(struct sc_connector *cn, int fd, const struct sc_error *e,
    bool final, void *arg)
{
	struct connect_run	*run = arg;
	struct sc_server	*srv = &run->srv;
	const struct sc_opts	*o = srv->s.o;
	struct sc_dgram_cfg	 dcfg;
	struct sc_endpoint	*ep;
	struct sc_conn		*c;
	struct sc_error		 err;
	const struct sockaddr	*sa;
	socklen_t		 len;
	bool			 again;

	if (fd == -1) {
		/*
		 * Earlier addresses and attempts failing is news only with
		 * -v; without it, only the failure that ends sockcat.
		 */
		again = final && connect_retry_due(run, true);
		if ((final && !again) || log_level() >= 1)
			log_warn_error(e);
		if (again)
			connect_retry(run, true);
		else if (final) {
			srv->s.status = e->exit;
			loop_break(srv->s.loop);
		}
		return;
	}
	run->tries = 0;
	srv->s.status = SC_EXIT_OK;
	connect_report(o);
	if (o->pass_fd) {
		connect_pass(srv, fd);
		return;
	}
	sa = connector_peer(cn, &len);
	session_dgram_cfg(&srv->s, sa->sa_family, &dcfg);
	if (o->proto->listens && len <= sizeof(dcfg.peer)) {
		/* SCTP one-to-many: each send names the association's peer */
		memcpy(&dcfg.peer, sa, len);
		dcfg.peerlen = len;
		dcfg.sendto_peer = true;
	}
	if ((ep = server_client_endpoint(srv, fd, "server", &dcfg,
	    &err)) == NULL || (c = conn_new(srv, ep, sa, len)) == NULL) {
		if (ep != NULL) {
			ep->ops->close(ep);
			error_set(&err, SC_EXIT_FAIL, ENOMEM, "set up the "
			    "connection");
		}
		server_fatal(srv, &err);
		return;
	}
	endpoint_label(ep, c->label);
	conn_start(c);
}

/* (Re)start connecting; a resolution failure ends sockcat. */
static void
connect_start(struct connect_run *run)
{
	struct sc_server	*srv = &run->srv;
	struct sc_error		 err;

	connector_free(run->cn);
	if ((run->cn = connector_new(srv->s.loop, srv->s.o, connect_done,
	    run)) == NULL) {
		error_set(&err, SC_EXIT_FAIL, ENOMEM, "connect");
		goto fail;
	}
	if (connector_start(run->cn, &err) == 0)
		return;
fail:
	server_fatal(srv, &err);
}

int
mode_connect(const struct sc_opts *o)
{
	struct connect_run	 run;
	struct sc_error		 err;
	int			 status;

	memset(&run, 0, sizeof(run));
	if (server_init(&run.srv, o, &err) == -1) {
		log_warn_error(&err);
		status = run.srv.s.loop != NULL ? server_finish(&run.srv) :
		    session_finish(&run.srv.s);
		return status >= SC_EXIT_SIGNAL ? status : err.exit;
	}
	run.srv.on_done = connect_ended;
	if (o->pass_fd && !sock_is_unix(STDOUT_FILENO)) {
		error_reason(&err, SC_EXIT_FAIL, "stdout is not a UNIX socket",
		    "-F");
		log_warn_error(&err);
		run.srv.s.status = SC_EXIT_FAIL;
		return server_finish(&run.srv);
	}
	connect_start(&run);
	if (loop_run(run.srv.s.loop) == -1) {
		error_set(&err, SC_EXIT_FAIL, errno, "wait for events");
		log_warn_error(&err);
		run.srv.s.status = SC_EXIT_FAIL;
	}
	loop_timer_stop(run.srv.s.loop, &run.again);
	connector_free(run.cn);
	return server_finish(&run.srv);
}
