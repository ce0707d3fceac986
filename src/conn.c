/*
 * Connections: one client (in connect mode, the one server) and the
 * handler serving it, joined by one relay. A connection is counted from
 * its accept until both its relay and its handler are done (an exec
 * child may outlive its client); then the server hears of it.
 *
 * The default handler, stdio, is here: the client talks to stdin and
 * stdout, directly when it is the only client, through the hub when a
 * -k server has many.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

static int
stdio_start(struct sc_conn *c, struct sc_error *err)
{
	struct sc_server	*srv = c->srv;

	if (srv->hub == NULL) {
		c->side = &srv->s.local;
		return 0;
	}
	if ((c->side = hub_port(srv->hub)) == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "stdin/stdout for %s",
		    c->label);
		return -1;
	}
	return 0;
}

static void
stdio_relay_cfg(const struct sc_conn *c, struct sc_relay_cfg *cfg)
{
	/*
	 * Through the hub, stdin's EOF comes from the port itself; and a
	 * client's EOF ends its connection, as in ncat: stdin is everyone's,
	 * not a reply to it.
	 */
	if (c->srv->hub != NULL) {
		cfg->eof_at_start[SC_DIR_AB] = c->srv->s.o->recv_only;
		cfg->end_on_eof[SC_DIR_BA] = true;
	}
}

const struct sc_handler sc_handler_stdio = {
	.name = "stdio",
	.start = stdio_start,
	.relay_cfg = stdio_relay_cfg,
};

static void
conn_tap(struct sc_endpoint *ep, int dir, const void *buf, size_t len,
    const struct sockaddr *peer, socklen_t peerlen)
{
	struct sc_conn		*c = ep->tap_arg;
	struct sc_tap_peer	*p = ep->tap_peer;

	if (p != NULL) {	/* one of the peers of a datagram socket */
		/* each counts as a connection; the first is the socket's */
		if (!p->counted && c->tap_peers)
			taps_connection(c->srv->taps);
		p->counted = c->tap_peers = true;
		taps_data(c->srv->taps, dir, p->id, p->off[dir], buf, len,
		    peer, peerlen);
		p->off[dir] += len;
		return;
	}
	taps_data(c->srv->taps, dir, c->id, c->tap_off[dir], buf, len, peer,
	    peerlen);
	c->tap_off[dir] += len;
	c->tap_msgs[dir]++;
}

/* --recv-fd-out: copy what a received descriptor reads to the file. */
static void
conn_copy_fd(const struct sc_opts *o, int fd)
{
	char		 buf[65536];
	struct sc_error	 e;
	ssize_t		 n;
	int		 out;

	if ((out = open(o->recv_fd_out, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0644)) == -1) {
		error_set(&e, SC_EXIT_FAIL, errno, "--recv-fd-out %s",
		    o->recv_fd_out);
		log_warn_error(&e);
		return;
	}
	(void)sys_set_nonblock(fd, false);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n)
			break;
	}
	(void)close(out);
}

/* What the socket endpoint saw, for the user (stderr). */
static void
conn_ep_event(struct sc_endpoint *ep, int ev, const void *data, size_t len,
    uint64_t n)
{
	struct sc_conn	*c = ep->tap_arg;
	struct stat	 st;
	char		 path[64], target[256];
	ssize_t		 tl;

	switch (ev) {
	case SC_EP_PEEK:
		if (c->srv->s.o->proto->message)
			log_verbose(0, "Peek at %s: a message of %llu bytes, "
			    "%zu shown, not consumed:", c->who,
			    (unsigned long long)n, len);
		else
			log_verbose(0, "Peek at %s: %zu bytes, not consumed:",
			    c->who, len);
		hexdump_write(stderr, data, len, 0);
		(void)fflush(stderr);
		break;
	case SC_EP_URGENT:
		log_verbose(0, "urgent data: 0x%02x at offset %llu",
		    *(const unsigned char *)data, (unsigned long long)n);
		break;
	case SC_EP_FD:
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", (int)n);
		if ((tl = readlink(path, target, sizeof(target) - 1)) == -1)
			tl = 0;
		target[tl] = '\0';
		log_verbose(0, "Received descriptor: %s%s%s",
		    fstat((int)n, &st) == -1 ? "?" : S_ISREG(st.st_mode) ?
		    "regular file" : S_ISSOCK(st.st_mode) ? "socket" :
		    S_ISFIFO(st.st_mode) ? "pipe" : S_ISCHR(st.st_mode) ?
		    "character device" : S_ISDIR(st.st_mode) ? "directory" :
		    "other", tl > 0 ? " " : "", target);
		if (c->srv->s.o->recv_fd_out != NULL)
			conn_copy_fd(c->srv->s.o, (int)n);
		break;
	case SC_EP_ZEROCOPY_COPIED:
		log_verbose(2, "Zero-copy sends: the kernel copied the data "
		    "(SO_EE_CODE_ZEROCOPY_COPIED)");
		break;
	default: {
		struct ucred	 uc;

		memcpy(&uc, data, sizeof(uc));
		log_verbose(0, "Credentials: pid %ld, uid %ld, gid %ld",
		    (long)uc.pid, (long)uc.uid, (long)uc.gid);
		break;
	}
	}
}

/*
 * The credentials of a UNIX connection's peer, for -v and an exec child:
 * SO_PEERCRED, unless a datagram peer's first message brought them
 * (conn_dgram_origin()).
 */
static void
conn_peercred(struct sc_conn *c)
{
	if (c->srv->s.o->proto->family != AF_UNIX ||
	    (log_level() < 1 && c->srv->handler != &sc_handler_exec))
		return;
	if (!c->has_cred && c->client->rfd != -1 &&
	    osdep_peercred(c->client->rfd, &c->cred_pid, &c->cred_uid,
	    &c->cred_gid) == 0)
		c->has_cred = true;
	if (c->has_cred)
		log_verbose(1, "Peer credentials: pid %ld, uid %ld, gid %ld",
		    (long)c->cred_pid, (long)c->cred_uid, (long)c->cred_gid);
}

/* Is sa a wildcard address (0.0.0.0, ::)? */
static bool
conn_wildcard(const struct sockaddr *sa)
{
	static const struct in6_addr	 any6 = IN6ADDR_ANY_INIT;

	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr == htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, &any6, sizeof(any6)) == 0;
	return false;
}

/*
 * A datagram peer's connection, on server socket fd: its local address is
 * the socket's, or, when that is a wildcard, the address the first
 * message m was sent to (IP_PKTINFO); its credentials are those the
 * message carried (SCM_CREDENTIALS), for a UNIX sender.
 */
void
conn_dgram_origin(struct sc_conn *c, int fd, const struct sc_dgram_meta *m)
{
	struct sockaddr_in6	*s6;
	struct sockaddr_in	*s4;
	in_port_t		 port;

	c->locallen = sizeof(c->local);
	if (sys_getsockname(fd, (struct sockaddr *)&c->local,
	    &c->locallen) == -1)
		c->locallen = 0;
	if (c->locallen > 0 && m->has_dst &&
	    conn_wildcard((struct sockaddr *)&c->local)) {
		s4 = (struct sockaddr_in *)(void *)&c->local;
		s6 = (struct sockaddr_in6 *)(void *)&c->local;
		port = c->local.ss_family == AF_INET ? s4->sin_port :
		    s6->sin6_port;
		memcpy(&c->local, &m->dst, m->dstlen);
		c->locallen = m->dstlen;
		if (m->dst.ss_family == AF_INET)
			s4->sin_port = port;
		else
			s6->sin6_port = port;
	}
	if (m->has_cred) {
		c->has_cred = true;
		c->cred_pid = m->pid;
		c->cred_uid = m->uid;
		c->cred_gid = m->gid;
	}
}

/* A new connection for client, which it owns from now on. */
struct sc_conn *
conn_new(struct sc_server *srv, struct sc_endpoint *client,
    const struct sockaddr *peer, socklen_t peerlen)
{
	const struct sc_opts	*o = srv->s.o;
	struct sc_conn		*c;
	char			 host[SC_HOSTLEN];
	int			 port;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->srv = srv;
	c->id = ++srv->nextid;
	c->client = client;
	c->t0_ms = loop_now_ms(srv->s.loop);
	if (peer != NULL && peerlen <= sizeof(c->peer)) {
		memcpy(&c->peer, peer, peerlen);
		c->peerlen = peerlen;
	}
	c->locallen = sizeof(c->local);
	if (client->rfd == -1 || sys_getsockname(client->rfd,
	    (struct sockaddr *)&c->local, &c->locallen) == -1)
		c->locallen = 0;
	if (c->peerlen > sizeof(sa_family_t) && peer->sa_family != AF_UNIX) {
		addr_numeric(peer, peerlen, host, sizeof(host), &port);
		(void)snprintf(c->who, sizeof(c->who), "%s %d", host, port);
		session_label(o, peer, peerlen, c->label, sizeof(c->label));
	} else {
		/*
		 * A UNIX connection is shown by the listening path, as nc
		 * does: a client's own name is rarely set, and may change
		 * (the kernel names it when it asks for credentials).
		 */
		if (c->peerlen > sizeof(sa_family_t) && !o->proto->accepts)
			addr_numeric(peer, peerlen, host, sizeof(host), &port);
		else
			(void)snprintf(host, sizeof(host), "%s",
			    o->unix_path != NULL ? o->unix_path : "?");
		(void)snprintf(c->who, sizeof(c->who), "%s", host);
		(void)snprintf(c->label, sizeof(c->label), "%s (%s)", host,
		    o->proto->name);
	}
	client->tap_arg = c;
	client->event = conn_ep_event;
	if (srv->taps != NULL) {
		client->tap = conn_tap;
		taps_connection(srv->taps);
		/* a dump or a log must see the bytes: no splice(2) */
		if (taps_need_bytes(srv->taps))
			client->rsp.ok = client->wsp.ok = false;
	}
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	return c;
}

static void
conn_free(struct sc_conn *c)
{
	struct sc_server	*srv = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nconns--;
	free(c);
	server_conn_gone(srv, NULL);
}

/*
 * The bytes received from the client and sent to it: the relay's counts,
 * or, for a message socket, its payload bytes (the relay sees them
 * framed).
 */
static void
conn_count(struct sc_conn *c)
{
	struct sc_relay	*r = c->relay;

	if (r == NULL ||
	    dgram_counts(c->client, &c->bytes_in, &c->bytes_out))
		return;
	c->bytes_in = relay_bytes(r, SC_DIR_BA);
	c->bytes_out = relay_bytes(r, SC_DIR_AB);
	if (c->side == NULL)	/* echo: one direction, both ways */
		c->bytes_in = relay_bytes(r, SC_DIR_AB) +
		    relay_pending(r, SC_DIR_AB);
}

/* Close both endpoints; the handler may keep the slot a while. */
static void
conn_end(struct sc_conn *c)
{
	struct sc_server	*srv = c->srv;
	struct sc_loop		*loop = srv->s.loop;

	if (c->ended)
		return;
	c->ended = true;
	conn_count(c);
	c->relay_over = true;
	/* a server of many reports each close; one of one, as nc, does not */
	if (!srv->single && log_level() >= 2)
		log_verbose(2, "Connection closed on %s, %llu bytes received, "
		    "%llu bytes sent", c->who,
		    (unsigned long long)c->bytes_in,
		    (unsigned long long)c->bytes_out);
	else if (!srv->single)
		log_verbose(1, "Connection closed on %s", c->who);
	if (!srv->single && log_level() >= 2)
		taps_conn_stats(srv->taps, c->who, c->tap_off, c->tap_msgs,
		    c->t0_ms);
	relay_free(c->relay);
	c->relay = NULL;
	if (c->side != NULL && c->side != c->client) {
		if (c->side->rfd >= 0)
			loop_forget(loop, c->side->rfd);
		if (c->side->wfd >= 0)
			loop_forget(loop, c->side->wfd);
		c->side->ops->close(c->side);
		c->side = NULL;
	}
	if (c->client->rfd >= 0)
		loop_forget(loop, c->client->rfd);
	c->client->ops->close(c->client);
	c->client = NULL;
	if (srv->handler->finish == NULL || !srv->handler->finish(c))
		conn_free(c);
}

/* The handler is done with a connection whose relay has ended. */
void
conn_release(struct sc_conn *c)
{
	if (c->relay_over && c->ended)
		conn_free(c);
}

static void
conn_relay_done(struct sc_relay *r, enum sc_relay_end end,
    const struct sc_error *e, void *arg)
{
	struct sc_conn		*c = arg;
	struct sc_server	*srv = c->srv;
	struct sc_error		 w;
	size_t			 left;

	left = relay_pending(r, SC_DIR_AB) + relay_pending(r, SC_DIR_BA);
	if (end == SC_RELAY_IDLE && left > 0) {
		error_reason(&w, SC_EXIT_OK, NULL,
		    "idle timeout: %zu bytes could not be delivered", left);
		log_warn_error(&w);
	}
	if (end == SC_RELAY_ERROR) {
		log_warn_error(e);
		if (srv->single)
			srv->s.status = e->exit;
	}
	conn_end(c);
}

/* The -vv lines for the half-close state machine. */
static void
conn_eof(struct sc_relay *r, enum sc_dir d, bool passed, void *arg)
{
	const struct sc_conn	*c = arg;
	const struct sc_proto	*p = c->srv->s.o->proto;

	(void)r;
	if (d == SC_DIR_AB && p->message && !p->eof)
		log_verbose(2, "EOF on stdin; datagrams carry no end of file");
	else if (d == SC_DIR_AB)
		log_verbose(2, passed ? "EOF on stdin; shutdown(SHUT_WR) sent" :
		    "EOF on stdin; sending side left open");
	else
		log_verbose(2, passed ? "EOF from peer; stdout closed" :
		    "EOF from peer");
}

/*
 * The relay_cfg of handlers whose side speaks for itself (a child, a
 * forward target): both ways read, each way shut down after its end of
 * file, no timeouts.
 */
void
conn_relay_cfg_duplex(const struct sc_conn *c, struct sc_relay_cfg *cfg)
{
	int	 d;

	(void)c;
	for (d = 0; d < 2; d++) {
		cfg->read_src[d] = true;
		cfg->eof_at_start[d] = false;
		cfg->shut_dst[d] = true;
		cfg->discard[d] = false;
		cfg->end_on_eof[d] = false;
		cfg->quit_after_eof_ms[d] = SC_NO_TIMEOUT;
		cfg->idle_after_eof_ms[d] = SC_NO_TIMEOUT;
	}
}

/* The relay between the handler's side and the client. */
static void
conn_relay(struct sc_conn *c)
{
	struct sc_server	*srv = c->srv;
	struct sc_relay_cfg	 cfg;
	struct sc_endpoint	*a = c->side != NULL ? c->side : c->client;
	struct sc_buf		*ab = a == &srv->s.local ? &srv->s.stdin_buf :
	    NULL;
	struct sc_error		 e;

	session_relay_cfg(srv->s.o, &srv->s.local, &cfg);
	if (srv->handler == &sc_handler_stdio)
		cfg.on_eof = conn_eof;
	srv->handler->relay_cfg(c, &cfg);
	c->relay = relay_new(srv->s.loop, &cfg, a, c->client, ab,
	    conn_relay_done, c);
	if (c->relay == NULL) {
		error_set(&e, SC_EXIT_FAIL, ENOMEM, "relay for %s", c->label);
		conn_abort(c, &e);
		return;
	}
	(void)relay_start(c->relay);
}

/* The handler's side is ready (a forwarded connection was made). */
void
conn_ready(struct sc_conn *c, struct sc_endpoint *side)
{
	c->side = side;
	conn_relay(c);
}

/* The handler could not serve the client: say why, close it. */
void
conn_abort(struct sc_conn *c, const struct sc_error *e)
{
	log_warn_error(e);
	if (c->srv->single)
		c->srv->s.status = e->exit;
	conn_end(c);
}

/* Let the handler serve the new connection. */
void
conn_start(struct sc_conn *c)
{
	struct sc_error	 e;

	conn_peercred(c);
	switch (c->srv->handler->start(c, &e)) {
	case -1:
		conn_abort(c, &e);
		break;
	case 0:
		conn_relay(c);
		break;
	default:
		break;		/* conn_ready() comes later */
	}
}

/* sockcat is ending: end the connection now, children and all. */
void
conn_shutdown(struct sc_conn *c)
{
	if (c->srv->handler->stop != NULL)
		c->srv->handler->stop(c);
	if (!c->ended)
		conn_end(c);
	else
		conn_free(c);
}
