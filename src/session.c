/*
 * What connect and listen mode share: the event loop, stdin and stdout as
 * one endpoint, the signals that end sockcat, the --max-time limit, and
 * turning the options into the relay's EOF rules (the state table of the
 * man page).
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sockcat.h"

static void
session_signal(struct sc_loop *loop, int signo, void *arg)
{
	struct sc_session	*s = arg;

	s->signo = signo;
	loop_break(loop);
}

static void
session_max_time(struct sc_loop *loop, struct sc_timer *t, void *arg)
{
	struct sc_session	*s = arg;
	struct sc_error		 e;

	(void)t;
	error_reason(&e, SC_EXIT_TIMEOUT, "time limit reached", "--max-time");
	log_warn_error(&e);
	s->status = SC_EXIT_TIMEOUT;
	loop_break(loop);
}

int
session_init(struct sc_session *s, const struct sc_opts *o,
    struct sc_error *err)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	size_t			 i;

	memset(s, 0, sizeof(*s));
	s->o = o;
	if ((s->loop = loop_new()) == NULL) {
		error_set(err, SC_EXIT_FAIL, errno, "create event loop");
		return -1;
	}
	if (endpoint_stdio(&s->local) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "fstat stdin/stdout");
		return -1;
	}
	s->local.crlf = o->crlf;
	if (o->crlf) {
		s->local.rsp.ok = false;	/* -C changes what is read */
		s->local.rmin = 2;	/* a byte, and room to make it two */
	}
	if (buf_init(&s->stdin_buf, SC_BUFSIZE) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "allocate buffer");
		return -1;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (loop_signal(s->loop, sigs[i], session_signal, s) == -1) {
			error_set(err, SC_EXIT_FAIL, errno, "sigaction");
			return -1;
		}
	}
	if (o->max_time_ms != SC_NO_TIMEOUT)
		loop_timer_start(s->loop, &s->max_time, o->max_time_ms,
		    session_max_time, s);
	return 0;
}

/*
 * The relay's rules, from the options and the kind of stdin. This is the
 * EOF table of the man page; keep the two in step.
 */
void
session_relay_cfg(const struct sc_opts *o, const struct sc_endpoint *local,
    struct sc_relay_cfg *cfg)
{
	const struct sc_proto	*p = o->proto;

	memset(cfg, 0, sizeof(*cfg));

	/* stdin to the peer */
	cfg->read_src[SC_DIR_AB] = !o->no_stdin;
	cfg->eof_at_start[SC_DIR_AB] = o->recv_only || local->rd_eof;
	cfg->shut_dst[SC_DIR_AB] = !o->no_shutdown && (!p->message || p->eof);
	cfg->quit_after_eof_ms[SC_DIR_AB] = o->send_only ? 0 :
	    o->quit_after_eof_ms;
	/*
	 * A datagram client has no EOF to wait for: after its own, it
	 * prints replies until none has come for the idle time.
	 */
	cfg->idle_after_eof_ms[SC_DIR_AB] = SC_NO_TIMEOUT;
	if (p->message && !p->eof && o->mode == SC_MODE_CONNECT &&
	    o->quit_after_eof_ms == SC_NO_TIMEOUT)
		cfg->idle_after_eof_ms[SC_DIR_AB] =
		    o->idle_timeout_ms != SC_NO_TIMEOUT ? o->idle_timeout_ms :
		    SC_DGRAM_LINGER_MS;

	/* the peer to stdout */
	cfg->read_src[SC_DIR_BA] = true;
	cfg->discard[SC_DIR_BA] = o->send_only;
	cfg->shut_dst[SC_DIR_BA] = !o->keep_open && !o->send_only;
	cfg->end_on_eof[SC_DIR_BA] = o->exit_on_peer_eof || local->is_tty;
	cfg->quit_after_eof_ms[SC_DIR_BA] = SC_NO_TIMEOUT;
	cfg->idle_after_eof_ms[SC_DIR_BA] = SC_NO_TIMEOUT;

	/* -i, --oob */
	cfg->interval_ms[SC_DIR_AB] = o->interval_ms;
	cfg->oob_data = o->oob_data;
	cfg->oob_len = o->oob_len;
	cfg->oob_after = (uint64_t)o->oob_after;

	/* --reconnect: stdout stays open, a peer's EOF ends the connection */
	if (o->reconnect) {
		cfg->shut_dst[SC_DIR_BA] = false;
		cfg->end_on_eof[SC_DIR_BA] = true;
	}

	/* a datagram server with -k: the idle limit is per peer */
	cfg->idle_ms = o->idle_timeout_ms;
	if (p->message && !p->accepts && o->mode == SC_MODE_LISTEN &&
	    o->keep_open && o->handler == SC_HANDLER_STDIO)
		cfg->idle_ms = SC_NO_TIMEOUT;
}

/* " to ADDR, ttl N, at S.N" for --recv-info. */
static void
session_meta_str(const struct sc_dgram_meta *m, char *buf, size_t size)
{
	char	 a[SC_ADDRSTRLEN];
	int	 port, n = 0;

	buf[0] = '\0';
	if (m->has_dst) {
		addr_numeric((const struct sockaddr *)&m->dst, m->dstlen, a,
		    sizeof(a), &port);
		n += snprintf(buf + n, size - (size_t)n, " to %s", a);
	}
	if (m->ttl >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " ttl %d", m->ttl);
	if (m->has_time && (size_t)n < size)
		(void)snprintf(buf + n, size - (size_t)n, " at %lld.%09ld",
		    (long long)m->time.tv_sec, (long)m->time.tv_nsec);
}

/*
 * "ADDR PORT", or a UNIX name, as the -v lines and warnings show the
 * sender of a message. A UNIX sender without a name (a SEQPACKET client
 * usually has none) is "an unnamed peer".
 */
static const char *
session_peer_str(const struct sc_dgram_meta *m, char *buf, size_t size)
{
	char	 host[SC_HOSTLEN];
	int	 port;

	if (m->fromlen <= sizeof(sa_family_t)) {
		(void)snprintf(buf, size, "an unnamed peer");
		return buf;
	}
	addr_numeric(m->from, m->fromlen, host, sizeof(host), &port);
	if (port < 0)
		(void)snprintf(buf, size, "%s", host);
	else
		(void)snprintf(buf, size, "%s %d", host, port);
	return buf;
}

/*
 * A named peer as errors name it: "ADDR port PORT (PROTO)", or
 * "PATH (PROTO)" for a UNIX one.
 */
void
session_label(const struct sc_opts *o, const struct sockaddr *sa,
    socklen_t len, char *buf, size_t size)
{
	char	 a[SC_ADDRSTRLEN];

	(void)snprintf(buf, size, "%s (%s)", addr_str(sa, len, a, sizeof(a)),
	    o->proto->name);
}

/* -v: a UNIX sender's credentials, from its message (SCM_CREDENTIALS). */
static void
session_peer_cred(const struct sc_dgram_meta *m)
{
	if (m->has_cred)
		log_verbose(1, "Peer credentials: pid %ld, uid %ld, gid %ld",
		    (long)m->pid, (long)m->uid, (long)m->gid);
}

/* What the message endpoint reports, as -v lines and warnings. */
static void
session_dgram_report(enum sc_dgram_event ev, const struct sc_dgram_meta *m,
    void *arg)
{
	struct sc_session	*s = arg;
	struct sc_error		 e;
	char			 who[SC_ADDRSTRLEN + 32], meta[256];

	session_peer_str(m, who, sizeof(who));
	switch (ev) {
	case SC_DGRAM_NEW_PEER:
		log_verbose(1, "Connection received on %s", who);
		session_peer_cred(m);
		break;
	case SC_DGRAM_RECEIVED:
		if (!s->o->recv_info && log_level() < 2)
			break;
		session_meta_str(m, meta, sizeof(meta));
		log_verbose(0, "Received %zu bytes from %s%s", m->real, who,
		    s->o->recv_info ? meta : "");
		break;
	case SC_DGRAM_TRUNCATED:
		error_reason(&e, SC_EXIT_OK, NULL,
		    "message from %s truncated: %zu bytes, receive buffer %zu "
		    "(--recv-size)", who, m->real, m->len);
		log_warn_error(&e);
		break;
	case SC_DGRAM_FOREIGN:
		log_verbose(2, "Ignored %zu bytes from %s (not the peer)",
		    m->real, who);
		break;
	case SC_DGRAM_UNNAMED:
		if (s->unnamed_warned)
			break;
		s->unnamed_warned = true;
		error_reason(&e, SC_EXIT_OK, NULL, "messages from an unbound "
		    "UNIX socket cannot be answered");
		log_warn_error(&e);
		break;
	case SC_DGRAM_EXPIRED:
		log_verbose(2, "Peer %s expired (idle)", who);
		break;
	case SC_DGRAM_DROPPED:
		log_verbose(2, "Dropped %zu bytes from %s: its queue is full",
		    m->real, who);
		break;
	case SC_DGRAM_TOOBIG:
		if (m->fromlen > sizeof(sa_family_t))
			session_label(s->o, m->from, m->fromlen, who,
			    sizeof(who));
		error_reason(&e, SC_EXIT_OK, m->reason, "send to %s", who);
		log_warn_error(&e);
		break;
	}
}

/* How the message endpoint frames, filters and reports for a socket. */
void
session_dgram_cfg(const struct sc_session *s, int family,
    struct sc_dgram_cfg *cfg)
{
	const struct sc_opts	*o = s->o;

	memset(cfg, 0, sizeof(*cfg));
	cfg->framing = o->framing;
	cfg->recv_size = o->recv_size;
	cfg->send_max = SC_SEND_MAX;
	if (o->proto->protocol == IPPROTO_UDP)
		cfg->send_max = family == AF_INET6 ? 65527 : 65507;
	cfg->connected = true;
	cfg->seqpacket = o->proto->eof;
	cfg->unixsock = o->proto->family == AF_UNIX;
	cfg->peer_idle_ms = o->idle_timeout_ms;
	cfg->sflags = o->send_flags;
	cfg->rflags = o->recv_flags;
	cfg->peek = o->peek;
	cfg->report = session_dgram_report;
	cfg->arg = (void *)(uintptr_t)s;
}

/* Free everything; the exit status, or SC_EXIT_SIGNAL plus the signal. */
int
session_finish(struct sc_session *s)
{
	if (s->loop != NULL)
		loop_timer_stop(s->loop, &s->max_time);
	buf_free(&s->stdin_buf);
	loop_free(s->loop);
	s->loop = NULL;
	if (s->signo != 0)
		return SC_EXIT_SIGNAL + s->signo;
	return s->status;
}
