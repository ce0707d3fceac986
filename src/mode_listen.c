/*
 * Listen mode. Connection sockets (TCP, UNIX stream, SEQPACKET): accept
 * one client and relay stdin and stdout through it; with -k the next
 * client is accepted when one leaves. Datagram sockets (UDP, UNIX
 * datagram): without -k the first sender becomes the peer (the socket is
 * connected to it); with -k one unconnected socket serves every sender.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

/* How long to stop accepting when out of descriptors or memory. */
#define ACCEPT_BACKOFF_MS	100

struct listen_run {
	struct sc_session	 s;
	int			 lfd;
	int			 family;
	bool			 unix_bound;	/* a path to remove at exit */
	struct stat		 bound;		/* that path's identity */
	struct sc_timer		 backoff;
};

static void	listen_accept(struct sc_loop *, int, unsigned, void *);
static void	listen_first_peer(struct sc_loop *, int, unsigned, void *);

/* Write the port to file atomically: a reader never sees half of it. */
static int
listen_port_file(const char *file, int port, struct sc_error *err)
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

/* Close the listening socket, unless the session owns it by now. */
static void
listen_close(struct listen_run *run)
{
	const struct sc_opts	*o = run->s.o;

	if (run->lfd != -1) {
		loop_forget(run->s.loop, run->lfd);
		(void)sys_close(run->lfd);
		run->lfd = -1;
	}
	if (run->unix_bound && !o->keep_socket)
		(void)sock_unix_unlink(o->unix_path, &run->bound);
	run->unix_bound = false;
}

/* "Listening on", or "Bound on" for a socket that only binds. */
static const char *
listen_word(const struct sc_proto *p)
{
	return p->accepts || p->listens ? "Listening" : "Bound";
}

static int
listen_open(struct listen_run *run, struct sc_error *err)
{
	const struct sc_opts	*o = run->s.o;
	char			 host[NI_MAXHOST];
	int			 port;

	if (o->proto->family == AF_UNIX) {
		run->family = AF_UNIX;
		run->lfd = sock_listen_unix(o->unix_path, o->proto->socktype,
		    &run->bound, err);
		if (run->lfd == -1)
			return -1;
		run->unix_bound = !addr_unix_abstract(o->unix_path);
		log_verbose(1, "%s on %s", listen_word(o->proto), o->unix_path);
		return 0;
	}
	if ((run->lfd = sock_listen_inet(o, SC_BACKLOG, err)) == -1)
		return -1;
	if (sock_local(run->lfd, host, sizeof(host), &port) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "getsockname");
		return -1;
	}
	run->family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	if (sock_dgram_options(run->lfd, run->family, o, err) == -1)
		return -1;
	log_verbose(1, "%s on %s %d", listen_word(o->proto), host, port);
	if (o->port_file != NULL &&
	    listen_port_file(o->port_file, port, err) == -1)
		return -1;
	return 0;
}

/* Wait for the next client or datagram. */
static void
listen_rearm(struct listen_run *run)
{
	struct sc_error	 e;
	sc_io_cb	*cb = run->s.o->proto->accepts ? listen_accept :
	    listen_first_peer;

	if (loop_watch(run->s.loop, run->lfd, SC_EV_IN, cb, run) == -1) {
		error_set(&e, SC_EXIT_FAIL, errno, "watch listening socket");
		log_warn_error(&e);
		run->s.status = SC_EXIT_FAIL;
		loop_break(run->s.loop);
	}
}

static void
listen_backoff_done(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	listen_rearm(arg);
}

static void
listen_relay_done(struct sc_session *s, enum sc_relay_end end,
    const struct sc_error *e)
{
	struct listen_run	*run = (struct listen_run *)(void *)s;

	if (end == SC_RELAY_ERROR) {
		log_warn_error(e);
		if (!s->o->keep_open)
			s->status = e->exit;
	}
	if (!s->o->keep_open || !s->o->proto->accepts) {
		loop_break(s->loop);
		return;
	}
	session_close_peer(s);
	listen_rearm(run);
}

/* The -v line and the label of a client. */
static void
listen_report(struct listen_run *run, const struct sockaddr *sa,
    socklen_t len, char *label, size_t size)
{
	const struct sc_opts	*o = run->s.o;
	char			 host[NI_MAXHOST];
	int			 port;

	if (o->proto->family == AF_UNIX && o->proto->accepts) {
		log_verbose(1, "Connection received on %s", o->unix_path);
		(void)snprintf(label, size, "client on %s (%s)", o->unix_path,
		    o->proto->name);
		return;
	}
	addr_numeric(sa, len, host, sizeof(host), &port);
	if (port < 0) {
		log_verbose(1, "Connection received on %s", host);
		(void)snprintf(label, size, "%s (%s)", host, o->proto->name);
		return;
	}
	log_verbose(1, "Connection received on %s %d", host, port);
	(void)snprintf(label, size, "%s port %d (%s)", host, port,
	    o->proto->name);
}

static void
listen_start(struct listen_run *run, int fd, const char *label,
    const struct sc_dgram_cfg *dcfg)
{
	struct sc_error	 e;

	if (session_relay(&run->s, fd, label, dcfg, listen_relay_done,
	    &e) == -1) {
		log_warn_error(&e);
		run->s.status = e.exit;
		loop_break(run->s.loop);
	}
}

static void
listen_accept(struct sc_loop *loop, int lfd, unsigned ev, void *arg)
{
	struct listen_run	*run = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct sc_dgram_cfg	 dcfg;
	struct sc_error		 e;
	char			 label[SC_ADDRSTRLEN + 32];
	int			 fd;

	(void)ev;
	if ((fd = sys_accept(lfd, (struct sockaddr *)&ss, &len)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED)
			return;
		error_set(&e, SC_EXIT_FAIL, errno, "accept");
		log_warn_error(&e);
		/* Out of descriptors or memory: pause instead of spinning. */
		(void)loop_watch(loop, lfd, 0, NULL, NULL);
		loop_timer_start(loop, &run->backoff, ACCEPT_BACKOFF_MS,
		    listen_backoff_done, run);
		return;
	}
	listen_report(run, (struct sockaddr *)&ss, len, label, sizeof(label));
	if (run->s.o->keep_open)
		(void)loop_watch(loop, lfd, 0, NULL, NULL);
	else
		listen_close(run);
	session_dgram_cfg(&run->s, run->family, &dcfg);
	listen_start(run, fd, label, run->s.o->proto->message ? &dcfg : NULL);
}

/*
 * A datagram socket without -k: the first sender becomes the peer. Its
 * message is only peeked at here, and read by the relay; the socket is
 * connected to the sender, so that replies go to it and nobody else is
 * heard (the message endpoint also drops what others sent before).
 */
static void
listen_first_peer(struct sc_loop *loop, int lfd, unsigned ev, void *arg)
{
	struct listen_run	*run = arg;
	struct sc_dgram_cfg	 dcfg;
	struct sc_error		 e;
	char			 label[SC_ADDRSTRLEN + 32], c;
	int			 fd = lfd;

	(void)ev;
	session_dgram_cfg(&run->s, run->family, &dcfg);
	dcfg.peerlen = sizeof(dcfg.peer);
	if (recvfrom(lfd, &c, 1, MSG_PEEK | MSG_DONTWAIT,
	    (struct sockaddr *)&dcfg.peer, &dcfg.peerlen) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		error_set(&e, error_exit_for_errno(errno), errno, "recvfrom");
		log_warn_error(&e);
		run->s.status = e.exit;
		loop_break(loop);
		return;
	}
	loop_forget(loop, lfd);
	run->lfd = -1;		/* the session owns the socket now */
	if (dcfg.peerlen <= sizeof(sa_family_t)) {
		/* an unbound UNIX socket: heard, but never answerable */
		dcfg.connected = false;
		dcfg.peerlen = 0;
		(void)snprintf(label, sizeof(label), "%s (%s)",
		    run->s.o->unix_path, run->s.o->proto->name);
	} else {
		listen_report(run, (struct sockaddr *)&dcfg.peer,
		    dcfg.peerlen, label, sizeof(label));
		if (sys_connect(fd, (struct sockaddr *)&dcfg.peer,
		    dcfg.peerlen) == -1) {
			error_set(&e, SC_EXIT_FAIL, errno, "connect to %s",
			    label);
			log_warn_error(&e);
		}
	}
	listen_start(run, fd, label, &dcfg);
}

/* -k on a datagram socket: one unconnected socket for every sender. */
static void
listen_serve_all(struct listen_run *run)
{
	struct sc_dgram_cfg	 dcfg;
	char			 label[SC_ADDRSTRLEN + 32];
	int			 fd = run->lfd;

	session_dgram_cfg(&run->s, run->family, &dcfg);
	dcfg.connected = false;
	if (!run->s.o->keep_open)
		dcfg.peer_idle_ms = SC_NO_TIMEOUT;
	(void)snprintf(label, sizeof(label), "its peers (%s)",
	    run->s.o->proto->name);
	run->lfd = -1;		/* the session owns the socket now */
	listen_start(run, fd, label, &dcfg);
}

int
mode_listen(const struct sc_opts *o)
{
	struct listen_run	 run;
	struct sc_error		 err;
	int			 status;

	memset(&run, 0, sizeof(run));
	run.lfd = -1;
	if (session_init(&run.s, o, &err) == -1 ||
	    listen_open(&run, &err) == -1)
		goto fail;
	if (!o->proto->accepts && (o->keep_open || o->proto->listens))
		listen_serve_all(&run);
	else
		listen_rearm(&run);
	if (loop_run(run.s.loop) == -1) {
		error_set(&err, SC_EXIT_FAIL, errno, "wait for events");
		goto fail;
	}
	loop_timer_stop(run.s.loop, &run.backoff);
	listen_close(&run);
	return session_finish(&run.s);
fail:
	log_warn_error(&err);
	if (run.s.loop != NULL) {
		loop_timer_stop(run.s.loop, &run.backoff);
		listen_close(&run);
	}
	status = session_finish(&run.s);
	return status >= SC_EXIT_SIGNAL ? status : err.exit;
}
