/*
 * Listen mode: listen on an address or a UNIX path, accept one client and
 * relay stdin and stdout through it. With -k the next client is accepted
 * when one leaves; clients that arrive meanwhile wait in the backlog.
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
	bool			 unix_bound;	/* a path to remove at exit */
	struct stat		 bound;		/* that path's identity */
	struct sc_timer		 backoff;
};

static void	listen_accept(struct sc_loop *, int, unsigned, void *);

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

static int
listen_open(struct listen_run *run, struct sc_error *err)
{
	const struct sc_opts	*o = run->s.o;
	char			 host[NI_MAXHOST];
	int			 port;

	if (o->proto->family == AF_UNIX) {
		run->lfd = sock_listen_unix(o->unix_path, o->proto->socktype,
		    &run->bound, err);
		if (run->lfd == -1)
			return -1;
		run->unix_bound = !addr_unix_abstract(o->unix_path);
		log_verbose(1, "Listening on %s", o->unix_path);
		return 0;
	}
	if ((run->lfd = sock_listen_inet(o, SC_BACKLOG, err)) == -1)
		return -1;
	if (sock_local(run->lfd, host, sizeof(host), &port) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "getsockname");
		return -1;
	}
	log_verbose(1, "Listening on %s %d", host, port);
	if (o->port_file != NULL &&
	    listen_port_file(o->port_file, port, err) == -1)
		return -1;
	return 0;
}

static void
listen_rearm(struct listen_run *run)
{
	struct sc_error	 e;

	if (loop_watch(run->s.loop, run->lfd, SC_EV_IN, listen_accept,
	    run) == -1) {
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
	if (!s->o->keep_open) {
		loop_break(s->loop);
		return;
	}
	session_close_peer(s);
	listen_rearm(run);
}

/* The -v line and the label of an accepted client. */
static void
listen_report(struct listen_run *run, const struct sockaddr *sa,
    socklen_t len, char *label, size_t size)
{
	const struct sc_opts	*o = run->s.o;
	char			 host[NI_MAXHOST];
	int			 port;

	if (o->proto->family == AF_UNIX) {
		log_verbose(1, "Connection received on %s", o->unix_path);
		(void)snprintf(label, size, "client on %s (unix)",
		    o->unix_path);
		return;
	}
	addr_numeric(sa, len, host, sizeof(host), &port);
	log_verbose(1, "Connection received on %s %d", host, port);
	(void)snprintf(label, size, "%s port %d (%s)", host, port,
	    o->proto->name);
}

static void
listen_accept(struct sc_loop *loop, int lfd, unsigned ev, void *arg)
{
	struct listen_run	*run = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
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
	if (session_relay(&run->s, fd, label, listen_relay_done, &e) == -1) {
		log_warn_error(&e);
		run->s.status = e.exit;
		loop_break(loop);
	}
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
