/*
 * The option parser's internals, shared by opts.c (the table, the flow,
 * the core options) and the files that convert and check the options of
 * one area: opts_dgram.c (message sockets), opts_server.c (servers).
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#ifndef OPTS_H
#define OPTS_H

/* Long-only options take values above any character. */
enum {
	OPT_SEND_ONLY = CHAR_MAX + 1,
	OPT_RECV_ONLY,
	OPT_NO_SHUTDOWN,
	OPT_EXIT_ON_PEER_EOF,
	OPT_CONNECT_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_TIME,
	OPT_PORT_FILE,
	OPT_KEEP_SOCKET,
	OPT_UNIX_DGRAM,
	OPT_SEQPACKET,
	OPT_SCTP,
	OPT_FRAMING,
	OPT_RECV_SIZE,
	OPT_RECV_INFO,
	OPT_MCAST_JOIN,
	OPT_MCAST_IFACE,
	OPT_MCAST_TTL,
	OPT_MCAST_LOOP,
	OPT_NO_MCAST_LOOP,
	OPT_ECHO,
	OPT_BROKER,
	OPT_CHAT,
	OPT_EXEC_STDERR,
	OPT_FORWARD,
	OPT_FORWARD_UNIX,
	OPT_MAX_CONNS,
	OPT_ACCEPT_TIMEOUT,
	OPT_ALLOW,
	OPT_DENY,
	OPT_ALLOWFILE,
	OPT_DENYFILE,
	OPT_LISTEN_FD,
	OPT_TRACE,
	OPT_TRACE_FORMAT,
	OPT_HEX_DUMP,
	OPT_APPEND_OUTPUT,
	OPT_OUTPUT_RECEIVED,
	OPT_OUTPUT_SENT,
	OPT_STATS,
	OPT_PROGRESS,
	OPT_DELAY,
	OPT_RETRY,
	OPT_RETRY_WAIT,
	OPT_RECONNECT,
	OPT_SCAN_PARALLEL,
	OPT_NODELAY,
	OPT_CORK,
	OPT_QUICKACK,
	OPT_KEEPALIVE,
	OPT_LINGER,
	OPT_REUSEPORT,
	OPT_BIND_DEVICE,
	OPT_MARK,
	OPT_PRIORITY,
	OPT_MSS,
	OPT_CONGESTION,
	OPT_FASTOPEN,
	OPT_DEFER_ACCEPT,
	OPT_FREEBIND,
	OPT_TRANSPARENT,
	OPT_V6ONLY,
	OPT_NO_V6ONLY,
	OPT_BACKLOG,
	OPT_USER_TIMEOUT,
	OPT_RCVLOWAT,
	OPT_SOCKOPT,
	OPT_SEND_FLAGS,
	OPT_RECV_FLAGS,
	OPT_DONTROUTE,
	OPT_MORE,
	OPT_PEEK,
	OPT_WAITALL,
	OPT_OOB,
	OPT_OOB_AFTER,
	OPT_OOB_INLINE,
	OPT_SEND_FD,
	OPT_RECV_FD,
	OPT_RECV_FD_OUT,
	OPT_SEND_CREDS,
	OPT_RECV_CREDS,
};

/* What a parse step found, before the conflict checks. */
struct opts_state {
	char		*err;
	size_t		 errlen;
	const char	*source_port;	/* -p as given */
	bool		 wait_given;
	int64_t		 wait_ms;
	bool		 shutdown_given;
	bool		 family4, family6;
	bool		 udp, unixsock, seqpacket, sctp;	/* transport */
	bool		 framing_given, recv_size_given;
	bool		 mcast_loop_given, no_mcast_loop_given;
	bool		 mcast_ttl_given;
	int		 nhandlers;	/* handler options given */
	bool		 max_conns_given;
	bool		 listen_fd_given;
	bool		 trace_format_given;
	bool		 retry_wait_given;
	bool		 fastopen, defer_accept, backlog_given;
	bool		 oob_after_given;
	bool		 rcvlowat_given;
};

int	 opts_error(struct opts_state *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
int	 opts_positive_duration(struct opts_state *, const char *,
	    const char *, int64_t *);
int	 opts_number(struct opts_state *, const char *, const char *,
	    long long, long long, long long *);

/* opts_dgram.c */
int	 opts_message(struct opts_state *, struct sc_opts *, int, const char *);
int	 opts_mcast(struct opts_state *, struct sc_opts *, int, const char *);
int	 opts_transport(struct opts_state *, struct sc_opts *);
int	 opts_dgram_conflicts(struct opts_state *, const struct sc_opts *);

/* opts_sock.c */
int	 opts_sock(struct opts_state *, struct sc_opts *, int, const char *);
int	 opts_sock_conflicts(struct opts_state *, struct sc_opts *);
int	 opts_sock_operands(struct opts_state *, const struct sc_opts *);

/* opts_view.c */
int	 opts_view(struct opts_state *, struct sc_opts *, int, const char *);
int	 opts_view_conflicts(struct opts_state *, struct sc_opts *);
int	 opts_scan_operands(struct opts_state *, struct sc_opts *, int,
	    char **);

/* opts_server.c */
int	 opts_server(struct opts_state *, struct sc_opts *, int, const char *);
int	 opts_server_conflicts(struct opts_state *, struct sc_opts *);
int	 opts_inherited(struct opts_state *, struct sc_opts *, int);

#endif /* OPTS_H */
