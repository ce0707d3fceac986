/*
 * Listen mode: the server. One event loop serves every connection, each
 * through its handler (stdin/stdout, echo, broker, chat, exec, forward).
 * Without -k the server takes one client and ends with it; with -k it
 * takes clients concurrently, up to --max-conns.
 *
 * Connection sockets (TCP, UNIX stream, SEQPACKET) are accepted; datagram
 * sockets (UDP, UNIX datagram) have no accept: without -k the first
 * sender becomes the peer, with -k every sender is served.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

/* How long to stop accepting when out of descriptors or memory. */
#define ACCEPT_BACKOFF_MS	100

static void	server_accept(struct sc_loop *, int, unsigned, void *);
static void	server_first_peer(struct sc_loop *, int, unsigned, void *);

/* Say why sockcat cannot go on, and end with e's status. */
void
server_fatal(struct sc_server *srv, const struct sc_error *e)
{
	log_warn_error(e);
	srv->s.status = e->exit;
	loop_break(srv->s.loop);
}

static void
server_hub_failed(const struct sc_error *e, void *arg)
{
	server_fatal(arg, e);
}

static void
server_sigchld(struct sc_loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	exec_reap(arg);
}

static const struct sc_handler *
server_handler(const struct sc_opts *o)
{
	switch (o->handler) {
	case SC_HANDLER_ECHO:
		return &sc_handler_echo;
	case SC_HANDLER_BROKER:
		return &sc_handler_broker;
	case SC_HANDLER_CHAT:
		return &sc_handler_chat;
	case SC_HANDLER_EXEC:
	case SC_HANDLER_SH_EXEC:
		return &sc_handler_exec;
	case SC_HANDLER_FORWARD:
		return &sc_handler_forward;
	default:
		return &sc_handler_stdio;
	}
}

/*
 * What connect and listen mode share: the session, the handler, and the
 * hub, broker and access list that handler and options ask for.
 */
int
server_init(struct sc_server *srv, const struct sc_opts *o,
    struct sc_error *err)
{
	memset(srv, 0, sizeof(*srv));
	srv->lfd = -1;
	if (session_init(&srv->s, o, err) == -1)
		return -1;
	srv->handler = server_handler(o);
	srv->single = o->mode != SC_MODE_LISTEN || !o->keep_open;
	if (srv->handler == &sc_handler_stdio && !srv->single &&
	    o->proto->accepts && (srv->hub = hub_new(srv->s.loop,
	    &srv->s.local, !o->no_stdin && !o->recv_only, server_hub_failed,
	    srv)) == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "stdin/stdout hub");
		return -1;
	}
	if ((srv->handler == &sc_handler_broker ||
	    srv->handler == &sc_handler_chat) &&
	    (srv->broker = broker_new(srv)) == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "broker");
		return -1;
	}
	if (srv->handler == &sc_handler_exec &&
	    loop_signal(srv->s.loop, SIGCHLD, server_sigchld, srv) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "sigaction SIGCHLD");
		return -1;
	}
	if (srv->handler == &sc_handler_forward)
		forward_target(srv, o);
	if (o->nacl > 0 && (srv->acl = acl_build(o, err)) == NULL)
		return -1;
	if ((o->hex_dump || o->output != NULL || o->output_recv != NULL ||
	    o->output_sent != NULL || o->stats ||
	    o->progress != SC_PROGRESS_NEVER) &&
	    (srv->taps = taps_new(srv->s.loop, o, err)) == NULL)
		return -1;
	return 0;
}

/* A connection is gone: a one-client server is then done. */
void
server_conn_gone(struct sc_server *srv, struct sc_conn *c)
{
	(void)c;
	if (!srv->single || srv->nconns != 0 || srv->lfd != -1)
		return;
	if (srv->on_done != NULL)
		srv->on_done(srv);
	else
		loop_break(srv->s.loop);
}

/* Close the listening socket and remove its path. */
static void
server_close_listener(struct sc_server *srv)
{
	const struct sc_opts	*o = srv->s.o;

	if (srv->lfd != -1) {
		loop_forget(srv->s.loop, srv->lfd);
		(void)sys_close(srv->lfd);
		srv->lfd = -1;
	}
	if (srv->unix_bound && !o->keep_socket)
		(void)sock_unix_unlink(o->unix_path, &srv->bound);
	srv->unix_bound = false;
}

/* End every connection, stop children, free what the server holds. */
int
server_finish(struct sc_server *srv)
{
	loop_timer_stop(srv->s.loop, &srv->backoff);
	loop_timer_stop(srv->s.loop, &srv->accept_timer);
	server_close_listener(srv);
	while (srv->conns != NULL)
		conn_shutdown(srv->conns);
	dgram_demux_free(srv->demux);
	taps_free(srv->taps);
	srv->taps = NULL;
	hub_free(srv->hub);
	broker_free(srv->broker);
	acl_free(srv->acl);
	return session_finish(&srv->s);
}

/* Write the port to file atomically: a reader never sees half of it. */
static int
server_port_file(const char *file, int port, struct sc_error *err)
{
	char	 tmp[4096], line[16];
	int	 fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", file, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		error_reason(err, SC_EXIT_FAIL, "name too long",
		    "--port-file %s", file);
		return -1;
	}
	n = snprintf(line, sizeof(line), "%d\n", port);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, line, (size_t)n) != n || close(fd) == -1 ||
	    rename(tmp, file) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "--port-file %s", file);
		if (fd != -1)
			(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* "Listening on", or "Bound on" for a socket that only binds. */
static const char *
server_word(const struct sc_proto *p)
{
	return p->accepts || p->listens ? "Listening" : "Bound";
}

/* Report where we listen: the -v line, --port-file. */
static int
server_announce(struct sc_server *srv, struct sc_error *err)
{
	const struct sc_opts	*o = srv->s.o;
	char			 host[SC_HOSTLEN];
	int			 port;

	if (sock_local(srv->lfd, host, sizeof(host), &port) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "getsockname");
		return -1;
	}
	if (port < 0) {
		log_verbose(1, "%s on %s", server_word(o->proto), host);
		return 0;
	}
	srv->family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	log_verbose(1, "%s on %s %d", server_word(o->proto), host, port);
	if (o->port_file != NULL &&
	    server_port_file(o->port_file, port, err) == -1)
		return -1;
	return 0;
}

static int
server_open(struct sc_server *srv, struct sc_error *err)
{
	const struct sc_opts	*o = srv->s.o;

	if (o->listen_fd >= 0) {
		if ((srv->lfd = sock_inherited(o, err)) == -1)
			return -1;
	} else if (o->proto->family == AF_UNIX) {
		srv->lfd = sock_listen_unix(o, o->unix_path,
		    o->proto->socktype, &srv->bound, err);
		if (srv->lfd == -1)
			return -1;
		srv->unix_bound = !addr_unix_abstract(o->unix_path);
	} else if ((srv->lfd = sock_listen_inet(o, o->backlog, err)) == -1)
		return -1;
	srv->family = o->proto->family;
	if (server_announce(srv, err) == -1)
		return -1;
	if (sock_dgram_options(srv->lfd, srv->family, o, err) == -1)
		return -1;
	/* a UNIX datagram's sender: its credentials come with its message */
	if (o->proto->family == AF_UNIX && o->proto->message &&
	    !o->proto->eof && !o->proto->accepts)
		(void)osdep_msg_mark(srv->lfd);
	/* an exec child's SOCKCAT_LOCAL_ADDR when bound to a wildcard */
	if (o->proto->protocol == IPPROTO_UDP && !o->recv_info &&
	    srv->handler == &sc_handler_exec)
		(void)osdep_recv_dst(srv->lfd, srv->family);
	return 0;
}

/* Wait for the next client or datagram. */
static void
server_arm(struct sc_server *srv)
{
	struct sc_error	 e;
	sc_io_cb	*cb = srv->s.o->proto->accepts ? server_accept :
	    server_first_peer;

	if (srv->lfd == -1)
		return;
	if (loop_watch(srv->s.loop, srv->lfd, SC_EV_IN, cb, srv) == -1) {
		error_set(&e, SC_EXIT_FAIL, errno, "watch listening socket");
		server_fatal(srv, &e);
	}
}

static void
server_backoff_done(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	server_arm(arg);
}

static void
server_accept_timeout(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct sc_server	*srv = arg;
	struct sc_error		 e;

	(void)loop;
	(void)t;
	error_reason(&e, SC_EXIT_TIMEOUT, "no client came", "--accept-timeout");
	server_fatal(srv, &e);
}

/*
 * May this client in? Checked before a byte is read: the access list,
 * then --max-conns. A client refused is reported and closed.
 */
bool
server_admit(struct sc_server *srv, const struct sockaddr *sa,
    socklen_t len)
{
	const struct sc_opts	*o = srv->s.o;
	char			 host[SC_HOSTLEN];
	int			 port;

	if (!acl_admits(srv->acl, sa, len))
		return false;
	if (srv->nconns >= o->max_conns) {
		addr_numeric(sa, len, host, sizeof(host), &port);
		if (port < 0)
			log_verbose(1, "Connection rejected on %s: --max-conns "
			    "%zu reached", host, o->max_conns);
		else
			log_verbose(1, "Connection rejected on %s %d: "
			    "--max-conns %zu reached", host, port,
			    o->max_conns);
		return false;
	}
	return true;
}

/*
 * How a handler sees a message socket. stdin/stdout: the --framing asked
 * for. Echo and forward pass messages on to another message endpoint:
 * len32 keeps every boundary, empty messages too. A child, the broker
 * and chat see bytes: raw.
 */
enum sc_framing
server_framing(const struct sc_server *srv)
{
	if (srv->handler == &sc_handler_stdio)
		return srv->s.o->framing;
	if (srv->handler == &sc_handler_echo ||
	    srv->handler == &sc_handler_forward)
		return SC_FRAMING_LEN32;
	return SC_FRAMING_RAW;
}

/*
 * The endpoint for an accepted or connected socket of our transport,
 * which owns fd from now on; NULL with *err (and fd closed) on failure.
 */
struct sc_endpoint *
server_client_endpoint(struct sc_server *srv, int fd, const char *label,
    struct sc_dgram_cfg *dcfg, struct sc_error *err)
{
	const struct sc_opts	*o = srv->s.o;
	struct sc_endpoint	*ep;

	if (srv->handler == &sc_handler_stdio)
		sockopt_show_flags(o);
	if (o->proto->message) {
		dcfg->framing = server_framing(srv);
		ep = dgram_new(srv->s.loop, fd, dcfg, label);
	} else
		ep = endpoint_socket(fd, label,
		    o->proto->protocol == IPPROTO_TCP);
	if (ep == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "set up %s", label);
		return NULL;
	}
	if (srv->handler == &sc_handler_stdio &&
	    (o->proto->message ? dgram_setup(ep, o, err) :
	    endpoint_socket_setup(ep, o, err)) == -1) {
		ep->ops->close(ep);
		return NULL;
	}
	return ep;
}

/*
 * A client socket: make it a connection and start its handler. m: a
 * datagram server's first message, which tells more about the sender.
 */
static void
server_serve(struct sc_server *srv, int fd, const struct sockaddr *sa,
    socklen_t len, struct sc_dgram_cfg *dcfg, const struct sc_dgram_meta *m)
{
	struct sc_endpoint	*ep;
	struct sc_conn		*c;
	struct sc_error		 e;
	char			 label[SC_ADDRSTRLEN + 32];

	(void)snprintf(label, sizeof(label), "client");
	if ((ep = server_client_endpoint(srv, fd, label, dcfg, &e)) == NULL) {
		log_warn_error(&e);
		return;
	}
	if ((c = conn_new(srv, ep, sa, len)) == NULL) {
		ep->ops->close(ep);
		error_set(&e, SC_EXIT_FAIL, ENOMEM, "serve a client");
		log_warn_error(&e);
		return;
	}
	endpoint_label(c->client, c->label);
	if (m != NULL)
		conn_dgram_origin(c, fd, m);
	/* an unbound UNIX datagram sender has no name to show */
	if (srv->s.o->proto->accepts || len > sizeof(sa_family_t))
		log_verbose(1, "Connection received on %s", c->who);
	/* a datagram "listener" is the connection's own socket */
	if (srv->single && srv->s.o->proto->accepts)
		server_close_listener(srv);
	conn_start(c);
}

static void
server_accept(struct sc_loop *loop, int lfd, unsigned ev, void *arg)
{
	struct sc_server	*srv = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct sc_dgram_cfg	 dcfg;
	struct sc_error		 e;
	int			 fd;

	(void)ev;
	if ((fd = sys_accept(lfd, (struct sockaddr *)&ss, &len)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED || errno == EPROTO)
			return;
		/* reported once until an accept works again */
		error_set(&e, SC_EXIT_FAIL, errno, "accept");
		if (!srv->accept_failing)
			log_warn_error(&e);
		srv->accept_failing = true;
		/* Out of descriptors or memory: pause instead of spinning. */
		(void)loop_watch(loop, lfd, 0, NULL, NULL);
		loop_timer_start(loop, &srv->backoff, ACCEPT_BACKOFF_MS,
		    server_backoff_done, srv);
		return;
	}
	if (srv->accept_failing) {
		srv->accept_failing = false;
		log_verbose(1, "Accepting again");
	}
	if (!server_admit(srv, (struct sockaddr *)&ss, len)) {
		(void)sys_close(fd);
		return;
	}
	/* the kernel passes most options on from the listener, not all */
	if (sockopt_apply(fd, ss.ss_family, srv->s.o->proto->protocol,
	    SC_PHASE_SOCKET, SC_ROLE_ACCEPTED, srv->s.o, &e) == -1 ||
	    sockopt_apply(fd, ss.ss_family, srv->s.o->proto->protocol,
	    SC_PHASE_CONNECTED, SC_ROLE_ACCEPTED, srv->s.o, &e) == -1) {
		log_warn_error(&e);
		(void)sys_close(fd);
		return;
	}
	loop_timer_stop(loop, &srv->accept_timer);
	session_dgram_cfg(&srv->s, srv->family, &dcfg);
	server_serve(srv, fd, (struct sockaddr *)&ss, len, &dcfg, NULL);
}

/* A datagram from a client the access list refuses: drop it. */
static void
server_drop_datagram(int fd)
{
	char	 c;

	(void)sys_recv(fd, &c, 1, MSG_DONTWAIT);
}

/*
 * A datagram socket without -k: the first sender becomes the peer. Its
 * message is only peeked at here, and read by the relay. A UDP socket is
 * connected to it, as nc does: the kernel filters everyone else (they get
 * ICMP port unreachable) and reports ICMP errors from the peer. A UNIX
 * one is not (everyone else's sends would fail with EPERM): the message
 * endpoint sends to the peer and drops everyone else's messages. Either
 * way, messages that came from others before the first are dropped.
 */
static void
server_first_peer(struct sc_loop *loop, int lfd, unsigned ev, void *arg)
{
	struct sc_server	*srv = arg;
	struct sc_dgram_cfg	 dcfg;
	struct sc_dgram_meta	 m;
	struct sc_error		 e;
	char			 c;
	int			 flags = MSG_PEEK | MSG_DONTWAIT;

	(void)ev;
	session_dgram_cfg(&srv->s, srv->family, &dcfg);
#ifdef MSG_CMSG_CLOEXEC
	if (dcfg.unixsock)
		flags |= MSG_CMSG_CLOEXEC;
#endif
	if (dgram_recvmsg(lfd, &c, 1, flags, &m, NULL, NULL) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		error_set(&e, error_exit_for_errno(errno), errno, "recvmsg");
		server_fatal(srv, &e);
		return;
	}
	if (m.fromlen > sizeof(sa_family_t) && !server_admit(srv, m.from,
	    m.fromlen)) {
		server_drop_datagram(lfd);
		return;
	}
	loop_timer_stop(loop, &srv->accept_timer);
	loop_forget(loop, lfd);
	srv->lfd = -1;		/* the connection owns the socket now */
	if (m.fromlen <= sizeof(sa_family_t)) {
		/* an unbound UNIX socket: heard, but never answerable */
		dcfg.connected = false;
	} else {
		memcpy(&dcfg.peer, m.from, m.fromlen);
		dcfg.peerlen = m.fromlen;
		if (srv->family == AF_UNIX)
			dcfg.sendto_peer = true;
		else if (sys_connect(lfd, m.from, m.fromlen) == -1) {
			error_set(&e, SC_EXIT_FAIL, errno, "connect to the "
			    "first sender");
			log_warn_error(&e);
		}
	}
	server_serve(srv, lfd, (struct sockaddr *)&dcfg.peer, dcfg.peerlen,
	    &dcfg, &m);
}

/* -k on a datagram socket with stdin/stdout: one socket, every sender. */
static void
server_serve_all(struct sc_server *srv)
{
	struct sc_dgram_cfg	 dcfg;
	struct sc_endpoint	*ep;
	struct sc_conn		*c;
	struct sc_error		 e;
	int			 fd = srv->lfd;

	session_dgram_cfg(&srv->s, srv->family, &dcfg);
	dcfg.connected = false;
	if (!srv->s.o->keep_open)
		dcfg.peer_idle_ms = SC_NO_TIMEOUT;
	dcfg.acl = srv->acl;
	loop_forget(srv->s.loop, fd);
	srv->lfd = -1;		/* the connection owns the socket now */
	srv->single = true;	/* it is the one connection */
	sockopt_show_flags(srv->s.o);
	if ((ep = dgram_new(srv->s.loop, fd, &dcfg, "its peers")) == NULL ||
	    (c = conn_new(srv, ep, NULL, 0)) == NULL) {
		if (ep != NULL)
			ep->ops->close(ep);
		error_set(&e, SC_EXIT_FAIL, ENOMEM, "serve datagrams");
		goto fail;
	}
	if (dgram_setup(ep, srv->s.o, &e) == -1)
		goto fail;
	endpoint_label(ep, "its peers");
	conn_start(c);
	return;
fail:
	server_fatal(srv, &e);
}

int
mode_listen(const struct sc_opts *o)
{
	struct sc_server	 srv;
	struct sc_error		 err;
	int			 status;

	if (server_init(&srv, o, &err) == -1 || server_open(&srv, &err) == -1)
		goto fail;
	if (o->accept_timeout_ms != SC_NO_TIMEOUT)
		loop_timer_start(srv.s.loop, &srv.accept_timer,
		    o->accept_timeout_ms, server_accept_timeout, &srv);
	if (!o->proto->accepts && o->keep_open &&
	    srv.handler != &sc_handler_stdio)
		dgram_demux_start(&srv);
	else if (!o->proto->accepts && (o->keep_open || o->proto->listens))
		server_serve_all(&srv);
	else
		server_arm(&srv);
	if (loop_run(srv.s.loop) == -1) {
		error_set(&err, SC_EXIT_FAIL, errno, "wait for events");
		goto fail;
	}
	return server_finish(&srv);
fail:
	log_warn_error(&err);
	status = srv.s.loop != NULL ? server_finish(&srv) :
	    session_finish(&srv.s);
	return status >= SC_EXIT_SIGNAL ? status : err.exit;
}
