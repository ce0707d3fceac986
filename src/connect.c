/*
 * Connecting, driven by the event loop: every address of the target is
 * tried in turn, each within the connect timeout, from the source address
 * and port when given. The last error is the one reported.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

/* A UNIX listener with a full backlog answers EAGAIN: ask again soon. */
#define UNIX_RETRY_MS	10

struct sc_connector {
	struct sc_loop		*loop;
	const struct sc_opts	*o;
	sc_connect_cb		*cb;
	void			*arg;
	struct addrinfo		*res;		/* from getaddrinfo */
	struct addrinfo		*src;		/* source addresses, or NULL */
	struct addrinfo		 unix_ai;	/* the one UNIX "address" */
	struct sockaddr_un	 sun;
	struct addrinfo		*cur;		/* being tried */
	int			 fd;
	int64_t			 deadline_ms;	/* of the current attempt */
	struct sc_timer		 timer;
	struct sc_error		 err;
	struct sc_unix_bound	 bound;		/* a UNIX datagram client's */
};

static void	connector_next(struct sc_connector *);

struct sc_connector *
connector_new(struct sc_loop *loop, const struct sc_opts *o,
    sc_connect_cb *cb, void *arg)
{
	struct sc_connector	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->loop = loop;
	c->o = o;
	c->cb = cb;
	c->arg = arg;
	c->fd = -1;
	return c;
}

static void
connector_drop_fd(struct sc_connector *c)
{
	if (c->fd == -1)
		return;
	loop_forget(c->loop, c->fd);
	(void)sys_close(c->fd);
	c->fd = -1;
}

void
connector_free(struct sc_connector *c)
{
	if (c == NULL)
		return;
	loop_timer_stop(c->loop, &c->timer);
	connector_drop_fd(c);
	sock_unix_unbind(&c->bound);
	if (c->res != NULL)
		freeaddrinfo(c->res);
	if (c->src != NULL)
		freeaddrinfo(c->src);
	free(c);
}

/* The address the connection was made to (valid after success). */
const struct sockaddr *
connector_peer(const struct sc_connector *c, socklen_t *len)
{
	*len = c->cur->ai_addrlen;
	return c->cur->ai_addr;
}

static const char *
connector_label(struct sc_connector *c, char *buf, size_t size)
{
	return addr_str(c->cur->ai_addr, c->cur->ai_addrlen, buf, size);
}

/* The current attempt failed with errnum: report it, try the next. */
static void
connector_failed(struct sc_connector *c, int errnum)
{
	char	 a[SC_ADDRSTRLEN];

	loop_timer_stop(c->loop, &c->timer);
	connector_drop_fd(c);
	error_set(&c->err, error_exit_for_errno(errnum), errnum,
	    "connect to %s (%s)", connector_label(c, a, sizeof(a)),
	    c->o->proto->name);
	c->cur = c->cur->ai_next;
	c->deadline_ms = 0;
	if (c->cur != NULL) {
		c->cb(c, -1, &c->err, false, c->arg);
		connector_next(c);
	} else
		c->cb(c, -1, &c->err, true, c->arg);
}

/*
 * A failure no other address would avoid (the kernel lacks the protocol,
 * an option is refused): report c->err as the final error.
 */
static void
connector_fatal(struct sc_connector *c)
{
	loop_timer_stop(c->loop, &c->timer);
	connector_drop_fd(c);
	c->cb(c, -1, &c->err, true, c->arg);
}

static void
connector_timeout(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	connector_failed(arg, ETIMEDOUT);
}

static void
connector_ready(struct sc_loop *loop, int fd, unsigned ev, void *arg)
{
	struct sc_connector	*c = arg;
	socklen_t		 len = sizeof(int);
	int			 soerr = 0;

	(void)ev;
	if (sys_getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr == EINPROGRESS || soerr == EALREADY)
		return;
	if (soerr != 0) {
		connector_failed(c, soerr);
		return;
	}
	loop_timer_stop(loop, &c->timer);
	loop_forget(loop, fd);
	if (sockopt_apply(fd, c->cur->ai_family, c->cur->ai_protocol,
	    SC_PHASE_CONNECTED, SC_ROLE_CLIENT, c->o, &c->err) == -1) {
		c->fd = fd;
		connector_drop_fd(c);
		c->cb(c, -1, &c->err, true, c->arg);
		return;
	}
	c->fd = -1;
	c->cb(c, fd, NULL, true, c->arg);
}

/*
 * Prepare the socket before connecting: datagram options, and the source
 * address of the current target's family, if any. A UNIX datagram client
 * always gets an address, or no answer could reach it. On failure, *err
 * is set when errno alone would not say what failed.
 */
static int
connector_bind(struct sc_connector *c, bool *err)
{
	struct addrinfo	*s;
	int		 one = 1;

	*err = false;
	if (sock_dgram_options(c->fd, c->cur->ai_family, c->o, &c->err) == -1 ||
	    sockopt_apply(c->fd, c->cur->ai_family, c->cur->ai_protocol,
	    SC_PHASE_SOCKET, SC_ROLE_CLIENT, c->o, &c->err) == -1) {
		*err = true;
		return -1;
	}
	if (c->cur->ai_family == AF_UNIX) {
		if (c->cur->ai_socktype != SOCK_DGRAM)
			return 0;
		sock_unix_unbind(&c->bound);
		*err = true;
		return sock_unix_bind_client(c->fd, c->o->source_addr,
		    &c->bound, &c->err);
	}
	if (c->src == NULL)
		return 0;
	for (s = c->src; s != NULL; s = s->ai_next) {
		if (s->ai_family == c->cur->ai_family)
			break;
	}
	if (s == NULL) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	/* A fixed source port may still be in TIME_WAIT from a last run. */
	if (c->o->source_port > 0 && sys_setsockopt(c->fd, SOL_SOCKET,
	    SO_REUSEADDR, &one, sizeof(one)) == -1)
		return -1;
	return sys_bind(c->fd, s->ai_addr, s->ai_addrlen);
}

static void
connector_unix_retry(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	connector_next(arg);
}

/* Start connecting to c->cur. */
static void
connector_next(struct sc_connector *c)
{
	const struct sc_opts	*o = c->o;
	int64_t			 now = loop_now_ms(c->loop), left;
	bool			 prepared;

	/* Each address gets the whole timeout; UNIX retries share it. */
	if (c->deadline_ms == 0 && o->connect_timeout_ms != SC_NO_TIMEOUT)
		c->deadline_ms = now + o->connect_timeout_ms;
	c->fd = sock_open(c->cur->ai_family, c->cur->ai_socktype,
	    c->cur->ai_protocol);
	if (c->fd == -1 && errno == EAFNOSUPPORT) {
		connector_failed(c, errno);	/* that family only */
		return;
	}
	if (c->fd == -1) {
		error_set(&c->err, SC_EXIT_FAIL, errno, "socket (%s)",
		    o->proto->name);
		connector_fatal(c);
		return;
	}
	if (connector_bind(c, &prepared) == -1) {
		if (prepared)
			connector_fatal(c);
		else
			connector_failed(c, errno);
		return;
	}
	if (sys_connect(c->fd, c->cur->ai_addr, c->cur->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		left = c->deadline_ms - now;
		if (errno == EAGAIN && c->cur->ai_family == AF_UNIX &&
		    (c->deadline_ms == 0 || left > 0)) {
			connector_drop_fd(c);
			loop_timer_start(c->loop, &c->timer, UNIX_RETRY_MS,
			    connector_unix_retry, c);
			return;
		}
		connector_failed(c, errno == EAGAIN ? ETIMEDOUT : errno);
		return;
	}
	if (loop_watch(c->loop, c->fd, SC_EV_OUT, connector_ready, c) == -1) {
		connector_failed(c, errno);
		return;
	}
	if (c->deadline_ms != 0)
		loop_timer_start(c->loop, &c->timer, c->deadline_ms - now,
		    connector_timeout, c);
}

static int
connector_resolve(struct sc_connector *c, struct sc_error *err)
{
	const struct sc_opts	*o = c->o;
	int			 gai;

	gai = addr_resolve(o->host, o->port, o, false, &c->res);
	if (gai != 0) {
		error_resolve(err, gai, o->numeric, "resolve \"%s\"", o->host);
		return -1;
	}
	if (o->source_addr == NULL && o->source_port <= 0)
		return 0;
	gai = addr_resolve(o->source_addr, o->source_port, o, true, &c->src);
	if (gai != 0) {
		error_resolve(err, gai, o->numeric, "resolve source \"%s\"",
		    o->source_addr != NULL ? o->source_addr : "*");
		return -1;
	}
	return 0;
}

/*
 * Resolve the target and start the first attempt. Returns -1 with *err
 * filled when resolution fails; everything later reaches the callback.
 */
int
connector_start(struct sc_connector *c, struct sc_error *err)
{
	const struct sc_opts	*o = c->o;
	const char		*errstr;
	socklen_t		 len;

	if (o->proto->family == AF_UNIX) {
		if (addr_unix(o->unix_path, &c->sun, &len, &errstr) == -1) {
			error_reason(err, SC_EXIT_USAGE, errstr, "%s",
			    o->unix_path);
			return -1;
		}
		c->unix_ai.ai_family = AF_UNIX;
		c->unix_ai.ai_socktype = o->proto->socktype;
		c->unix_ai.ai_addr = (struct sockaddr *)&c->sun;
		c->unix_ai.ai_addrlen = len;
		c->cur = &c->unix_ai;
	} else {
		if (connector_resolve(c, err) == -1)
			return -1;
		c->cur = c->res;
	}
	connector_next(c);
	return 0;
}
