/*
 * -z: scan ports without sending data. TCP: a connect per port, at most
 * --scan-parallel in flight, each within the connect timeout. UDP: a
 * one-byte datagram per port on a connected socket; an ICMP port
 * unreachable answer (read back as ECONNREFUSED) means closed, a reply
 * means open, silence for the wait means open|filtered. Results are
 * reported in the order of the ports, with -v in OpenBSD nc's words.
 * Exit 0 if any port is open (or open|filtered), 1 if none.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

/* How long a UDP probe waits for an answer without -w. */
#define SCAN_UDP_WAIT_MS	1000

enum scan_state {
	SCAN_WAITING,		/* not started */
	SCAN_PROBING,
	SCAN_OPEN,
	SCAN_OPEN_FILTERED,	/* UDP: no answer */
	SCAN_CLOSED,		/* refused, or another error */
};

struct scan_port {
	struct scan		*sc;
	uint16_t		 port;
	enum scan_state		 state;
	int			 errnum;
	int			 fd;
	struct sc_timer		 timer;
};

struct scan {
	struct sc_session	 s;
	const struct sc_opts	*o;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	struct scan_port	*ports;
	size_t			 n;
	size_t			 next;		/* the next to start */
	size_t			 reported;	/* results printed so far */
	int			 inflight;
	int			 limit;
	bool			 any_open;
	struct sc_timer		 pace;		/* -i */
	bool			 paced;
};

static void	scan_fill(struct scan *);

static void
scan_report(struct scan *sc)
{
	const struct sc_opts	*o = sc->o;
	struct scan_port	*p;
	struct sc_error		 e;

	while (sc->reported < sc->n &&
	    sc->ports[sc->reported].state > SCAN_PROBING) {
		p = &sc->ports[sc->reported++];
		if (p->state == SCAN_OPEN || p->state == SCAN_OPEN_FILTERED) {
			sc->any_open = true;
			log_verbose(1, "Connection to %s %u port [%s/%s] "
			    "succeeded!", o->host, p->port, o->proto->name,
			    addr_service(p->port, o->proto->name));
			if (p->state == SCAN_OPEN_FILTERED)
				log_verbose(2, "Port %u/%s: no answer "
				    "(open|filtered)", p->port, o->proto->name);
		} else if (log_level() >= 1) {
			error_set(&e, SC_EXIT_CONN, p->errnum, "connect to %s "
			    "port %u (%s)", o->host, p->port, o->proto->name);
			log_warn_error(&e);
		}
	}
	if (sc->reported == sc->n)
		loop_break(sc->s.loop);
}

static void
scan_done(struct scan_port *p, enum scan_state st, int errnum)
{
	struct scan	*sc = p->sc;

	loop_timer_stop(sc->s.loop, &p->timer);
	if (p->fd != -1) {
		loop_forget(sc->s.loop, p->fd);
		(void)sys_close(p->fd);
		p->fd = -1;
	}
	p->state = st;
	p->errnum = errnum;
	sc->inflight--;
	scan_report(sc);
	scan_fill(sc);
}

static void
scan_timeout(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct scan_port	*p = arg;

	(void)loop;
	(void)t;
	if (p->sc->o->proto->message)
		scan_done(p, SCAN_OPEN_FILTERED, 0);
	else
		scan_done(p, SCAN_CLOSED, ETIMEDOUT);
}

/* TCP: the connect finished; UDP: an answer or an error came. */
static void
scan_ready(struct sc_loop *loop, int fd, unsigned ev, void *arg)
{
	struct scan_port	*p = arg;
	socklen_t		 len = sizeof(int);
	int			 soerr = 0;
	char			 c;

	(void)loop;
	(void)ev;
	if (p->sc->o->proto->message) {
		if (sys_recv(fd, &c, 1, MSG_DONTWAIT) >= 0)
			scan_done(p, SCAN_OPEN, 0);
		else if (errno == ECONNREFUSED)
			scan_done(p, SCAN_CLOSED, errno);
		return;		/* EAGAIN: wait on */
	}
	if (sys_getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr == EINPROGRESS || soerr == EALREADY)
		return;
	scan_done(p, soerr == 0 ? SCAN_OPEN : SCAN_CLOSED, soerr);
}

static void
scan_start(struct scan *sc, struct scan_port *p)
{
	const struct sc_opts	*o = sc->o;
	struct sockaddr_storage	 ss = sc->addr;
	int64_t			 wait = o->connect_timeout_ms;
	int			 rv;

	p->state = SCAN_PROBING;
	sc->inflight++;
	((struct sockaddr_in *)(void *)&ss)->sin_port = htons(p->port);
	if ((p->fd = sock_open(ss.ss_family, o->proto->socktype,
	    o->proto->protocol)) == -1) {
		scan_done(p, SCAN_CLOSED, errno);
		return;
	}
	rv = sys_connect(p->fd, (struct sockaddr *)&ss, sc->addrlen);
	if (rv == -1 && errno != EINPROGRESS) {
		scan_done(p, SCAN_CLOSED, errno);
		return;
	}
	if (o->proto->message) {
		/* one byte; the kernel tells of an ICMP answer on a read */
		if (sys_send(p->fd, "", 1, MSG_DONTWAIT) == -1 &&
		    errno == ECONNREFUSED) {
			scan_done(p, SCAN_CLOSED, errno);
			return;
		}
		if (wait == SC_NO_TIMEOUT)
			wait = SCAN_UDP_WAIT_MS;
	}
	if (loop_watch(sc->s.loop, p->fd, o->proto->message ? SC_EV_IN :
	    SC_EV_OUT, scan_ready, p) == -1) {
		scan_done(p, SCAN_CLOSED, errno);
		return;
	}
	if (wait != SC_NO_TIMEOUT)
		loop_timer_start(sc->s.loop, &p->timer, wait, scan_timeout, p);
}

static void
scan_paced(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct scan	*sc = arg;

	(void)loop;
	(void)t;
	sc->paced = false;
	scan_fill(sc);
}

/* Start probes while there is room; -i spaces them one at a time. */
static void
scan_fill(struct scan *sc)
{
	while (sc->next < sc->n && sc->inflight < sc->limit && !sc->paced) {
		scan_start(sc, &sc->ports[sc->next++]);
		if (sc->o->interval_ms > 0 && sc->next < sc->n) {
			sc->paced = true;
			loop_timer_start(sc->s.loop, &sc->pace,
			    sc->o->interval_ms, scan_paced, sc);
		}
	}
}

/* The ports in order, or shuffled for -r. */
static int
scan_ports(struct scan *sc)
{
	const struct sc_opts	*o = sc->o;
	struct scan_port	 tmp;
	size_t			 i, j;
	unsigned int		 seed;
	int			 fd;

	if ((sc->ports = calloc(o->nscan, sizeof(*sc->ports))) == NULL)
		return -1;
	sc->n = o->nscan;
	for (i = 0; i < sc->n; i++) {
		sc->ports[i].sc = sc;
		sc->ports[i].port = o->scan_ports[i];
		sc->ports[i].fd = -1;
	}
	if (!o->randomize)
		return 0;
	seed = (unsigned int)getpid() ^ (unsigned int)loop_now_ms(sc->s.loop);
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		(void)read(fd, &seed, sizeof(seed));
		(void)close(fd);
	}
	srandom(seed);
	for (i = sc->n - 1; i > 0; i--) {
		j = (size_t)random() % (i + 1);
		tmp = sc->ports[i];
		sc->ports[i] = sc->ports[j];
		sc->ports[j] = tmp;
	}
	return 0;
}

static int
scan_resolve(struct scan *sc, struct sc_error *err)
{
	const struct sc_opts	*o = sc->o;
	struct addrinfo		*res;
	int			 gai;

	gai = addr_resolve(o->host, o->scan_ports[0], o, false, &res);
	if (gai != 0) {
		error_resolve(err, gai, o->numeric, "resolve \"%s\"", o->host);
		return -1;
	}
	memcpy(&sc->addr, res->ai_addr, res->ai_addrlen);
	sc->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
mode_scan(const struct sc_opts *o)
{
	struct scan	 sc;
	struct sc_error	 err;
	size_t		 i;
	int		 status;

	memset(&sc, 0, sizeof(sc));
	memset(&err, 0, sizeof(err));
	sc.o = o;
	sc.limit = o->interval_ms > 0 ? 1 : o->scan_parallel;
	if (session_init(&sc.s, o, &err) == -1 || scan_resolve(&sc,
	    &err) == -1 || scan_ports(&sc) == -1) {
		if (sc.ports == NULL && err.exit == 0)
			error_set(&err, SC_EXIT_FAIL, ENOMEM, "scan");
		log_warn_error(&err);
		free(sc.ports);
		status = session_finish(&sc.s);
		return status >= SC_EXIT_SIGNAL ? status : err.exit;
	}
	scan_fill(&sc);
	if (sc.reported < sc.n && loop_run(sc.s.loop) == -1) {
		error_set(&err, SC_EXIT_FAIL, errno, "wait for events");
		log_warn_error(&err);
	}
	for (i = 0; i < sc.n; i++) {
		loop_timer_stop(sc.s.loop, &sc.ports[i].timer);
		if (sc.ports[i].fd != -1)
			(void)sys_close(sc.ports[i].fd);
	}
	loop_timer_stop(sc.s.loop, &sc.pace);
	free(sc.ports);
	status = session_finish(&sc.s);
	if (status != 0)
		return status;
	return sc.any_open ? SC_EXIT_OK : SC_EXIT_FAIL;
}
