/*
 * Copyright (c) 2026 The sockcat authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

#ifndef SOCKCAT_H
#define SOCKCAT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "compat.h"

/*
 * Exit statuses, one per failure class a script may want to tell apart.
 * The man page documents them under EXIT STATUS.
 */
enum sc_exit {
	SC_EXIT_OK = 0,		/* success; an idle timeout also ends with 0 */
	SC_EXIT_FAIL = 1,	/* runtime or I/O failure not covered below */
	SC_EXIT_USAGE = 2,	/* usage error or option conflict */
	SC_EXIT_RESOLVE = 3,	/* name resolution failed */
	SC_EXIT_CONN = 4,	/* refused, reset, unreachable, peer gone */
	SC_EXIT_TIMEOUT = 5,	/* connect, accept or total time expired */
	SC_EXIT_NEGOTIATE = 6,	/* TLS or proxy negotiation failed */
};

/*
 * An error as modules report it: they never print and never exit. The
 * caller (a mode function) prints it as "sockcat: WHAT: REASON".
 */
struct sc_error {
	int		 exit;		/* enum sc_exit */
	int		 errnum;	/* errno value, or 0 */
	int		 gai;		/* getaddrinfo() code, or 0 */
	const char	*reason;	/* if errnum and gai are 0 */
	char		 what[384];	/* operation and object */
};

void	 error_set(struct sc_error *, int, int, const char *, ...)
	    __attribute__((__format__(__printf__, 4, 5)));
void	 error_gai(struct sc_error *, int, const char *, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
void	 error_resolve(struct sc_error *, int, bool, const char *, ...)
	    __attribute__((__format__(__printf__, 4, 5)));
void	 error_reason(struct sc_error *, int, const char *, const char *, ...)
	    __attribute__((__format__(__printf__, 4, 5)));
int	 error_exit_for_errno(int);

/* A transport: which socket() arguments it needs and how it behaves. */
struct sc_proto {
	const char	*name;		/* "tcp", "udp", "unix", ... */
	int		 family;	/* AF_UNSPEC (any IP), AF_UNIX */
	int		 socktype;	/* SOCK_STREAM, SOCK_DGRAM, ... */
	int		 protocol;	/* IPPROTO_TCP, 0 */
	bool		 message;	/* keeps message boundaries */
	bool		 accepts;	/* a server listen()s and accept()s */
	bool		 listens;	/* listen(), no accept (SCTP) */
	bool		 eof;		/* messages with an end of file */
};

extern const struct sc_proto sc_proto_tcp;
extern const struct sc_proto sc_proto_udp;
extern const struct sc_proto sc_proto_sctp;
extern const struct sc_proto sc_proto_sctp_seqpacket;
extern const struct sc_proto sc_proto_unix;
extern const struct sc_proto sc_proto_unix_dgram;
extern const struct sc_proto sc_proto_unix_seqpacket;



/* framing.c: messages as bytes on stdin and stdout. */
enum sc_framing {
	SC_FRAMING_RAW,		/* one message per read; written as is */
	SC_FRAMING_LINE,	/* newline-terminated */
	SC_FRAMING_NUL,		/* NUL-terminated */
	SC_FRAMING_LEN32,	/* 4-byte big-endian length, then payload */
};

struct sc_deframer {
	enum sc_framing	 framing;
	size_t		 max;		/* largest message */
	unsigned char	*buf;		/* the message being assembled */
	size_t		 len;
	bool		 complete;
	unsigned char	 head[4];	/* len32: the length being read */
	size_t		 hdr;		/* len32: length bytes so far */
	size_t		 want;		/* len32: the payload length */
	size_t		 over;		/* a message too long: its length */
	bool		 skip;		/* passing over such a message */
};

int	 framing_parse(const char *, enum sc_framing *);
const char *framing_name(enum sc_framing);
size_t	 framing_overhead(enum sc_framing);
size_t	 framing_prefix(enum sc_framing, size_t, unsigned char *);
size_t	 framing_suffix(enum sc_framing, unsigned char *);
int	 deframer_init(struct sc_deframer *, enum sc_framing, size_t);
void	 deframer_free(struct sc_deframer *);
int	 deframer_feed(struct sc_deframer *, const unsigned char *, size_t,
	    size_t *, const char **);
int	 deframer_finish(struct sc_deframer *, const char **);
void	 deframer_next(struct sc_deframer *);
void	 deframer_skip(struct sc_deframer *);

enum sc_mode {
	SC_MODE_CONNECT,
	SC_MODE_LISTEN,
};

/* How many --mcast-join groups one socket takes. */
#define SC_MCAST_MAX	20

/* The receive buffer for one message, by default: the largest datagram. */
#define SC_RECV_SIZE	65536

/* How long a datagram client waits for replies after stdin's EOF. */
#define SC_DGRAM_LINGER_MS	2000

/* The largest message accepted from stdin for any transport. */
#define SC_SEND_MAX	(1024 * 1024)

/* No limit, for the optional durations below. */
#define SC_NO_TIMEOUT	(-1)

/* sockopt.c: socket options from the command line, as data. */
enum sc_phase {
	SC_PHASE_SOCKET,	/* after socket(), before bind or connect */
	SC_PHASE_LISTEN,	/* a listener, before listen() */
	SC_PHASE_CONNECTED,	/* after connect() or accept() */
};

enum sc_role {
	SC_ROLE_ANY,
	SC_ROLE_LISTENER,
	SC_ROLE_CLIENT,		/* a socket that connects */
	SC_ROLE_ACCEPTED,
};

enum sc_so_only {
	SC_ON_ANY,
	SC_ON_IP,		/* IPv4 or IPv6 */
	SC_ON_V6,
	SC_ON_TCP,
};

/* Options whose level and name depend on the socket's family. */
enum sc_so_kind {
	SC_SO_PLAIN,
	SC_SO_TOS,		/* IP_TOS, IPV6_TCLASS */
	SC_SO_TTL,		/* IP_TTL, IPV6_UNICAST_HOPS */
	SC_SO_MINTTL,		/* IP_MINTTL, IPV6_MINHOPCOUNT */
	SC_SO_FREEBIND,		/* IP_FREEBIND, IPV6_FREEBIND */
	SC_SO_TRANSPARENT,	/* IP_TRANSPARENT, IPV6_TRANSPARENT */
};

struct sc_sockopt {
	int			 level;
	int			 name;
	int			 type;		/* enum sc_opt_type */
	int			 ival;
	char			*sval;		/* SC_OPT_STRING */
	enum sc_phase		 phase;
	enum sc_role		 role;
	enum sc_so_only		 only;
	enum sc_so_kind		 kind;
	bool			 no_inherit;	/* not again on accepted ones */
	bool			 raw;		/* from --sockopt: set last */
	char			 label[64];	/* for messages: SO_RCVBUF 8K */
};

/* What serves a connection (conn.c and one file per handler). */
enum sc_handler_id {
	SC_HANDLER_STDIO,	/* stdin and stdout (the default) */
	SC_HANDLER_ECHO,	/* --echo */
	SC_HANDLER_BROKER,	/* --broker */
	SC_HANDLER_CHAT,	/* --chat */
	SC_HANDLER_EXEC,	/* -e */
	SC_HANDLER_SH_EXEC,	/* -c */
	SC_HANDLER_FORWARD,	/* --forward, --forward-unix */
};

/* An --allow, --deny, --allowfile or --denyfile, in command-line order. */
struct sc_acl_spec {
	bool		 deny;
	bool		 file;
	const char	*spec;
};

#define SC_ACL_MAX	64
#define SC_MAX_CONNS	1000	/* --max-conns by default */

enum sc_progress {
	SC_PROGRESS_NEVER,
	SC_PROGRESS_AUTO,	/* --progress: when stderr is a terminal */
	SC_PROGRESS_ALWAYS,	/* --progress=always */
};

/* Everything the command line says, filled once by opts_parse(). */
struct sc_opts {
	enum sc_mode		 mode;
	const struct sc_proto	*proto;
	int			 family;	/* AF_UNSPEC, AF_INET{,6} */
	bool			 numeric;	/* -n: no name lookups */
	int			 verbose;	/* -v count */

	const char		*host;		/* to connect to, listen on */
	int			 port;		/* -1 when none */
	const char		*unix_path;	/* -U operand */
	const char		*source_addr;	/* -s */
	int			 source_port;	/* -p, -1 when none */

	bool			 keep_open;	/* -k */
	bool			 keep_socket;	/* --keep-socket */
	const char		*port_file;	/* --port-file */

	bool			 no_stdin;	/* -d */
	bool			 send_only;
	bool			 recv_only;
	bool			 no_shutdown;
	bool			 exit_on_peer_eof;

	enum sc_framing		 framing;	/* --framing */
	size_t			 recv_size;	/* --recv-size: one message */
	bool			 recv_info;	/* --recv-info */
	bool			 broadcast;	/* -b */
	/* --mcast-join */
	const char		*mcast_group[SC_MCAST_MAX];
	size_t			 nmcast;
	const char		*mcast_iface;	/* --mcast-iface, as given */
	unsigned int		 mcast_ifindex;	/* 0: the kernel's choice */
	int			 mcast_ttl;	/* -1: the default */
	int			 mcast_loop;	/* -1: the default, 0, 1 */

	enum sc_handler_id	 handler;
	const char		*exec_cmd;	/* -e, -c */
	bool			 exec_stderr;
	const char		*forward_host;	/* --forward HOST:PORT */
	int			 forward_port;
	const char		*forward_unix;	/* --forward-unix */
	size_t			 max_conns;
	int			 backlog;
	int			 listen_fd;	/* inherited socket, or -1 */
	struct sc_acl_spec	 acl[SC_ACL_MAX];
	size_t			 nacl;

	struct sc_sockopt	*sockopts;	/* in command-line order */
	size_t			 nsockopts;
	int			 send_flags;	/* --send-flags */
	int			 recv_flags;	/* --recv-flags */
	int			 peek;		/* --peek: bytes, or 0 */
	bool			 waitall;	/* --waitall */
	bool			 recv_size_given;
	const char		*oob_data;	/* --oob, escapes decoded */
	size_t			 oob_len;
	int64_t			 oob_after;	/* --oob-after, or 0 */
	bool			 oob_inline;	/* --oob-inline */
	const char		*send_fd;	/* --send-fd FILE */
	bool			 recv_fd;	/* --recv-fd */
	const char		*recv_fd_out;	/* --recv-fd-out PATH */
	bool			 pass_fd;	/* -F */
	bool			 send_creds;
	bool			 recv_creds;

	bool			 crlf;		/* -C */
	int64_t			 interval_ms;	/* -i, or 0 */
	bool			 telnet;	/* -t */
	int			 retry;		/* --retry: more attempts */
	int64_t			 retry_wait_ms;
	bool			 reconnect;
	bool			 scan;		/* -z */
	bool			 randomize;	/* -r */
	int			 scan_parallel;
	uint16_t		*scan_ports;	/* -z: the ports, in order */
	size_t			 nscan;

	bool			 hex_dump;	/* --hex-dump */
	const char		*hex_file;	/* NULL: stderr */
	const char		*output;	/* -o */
	const char		*output_recv;	/* --output-received */
	const char		*output_sent;	/* --output-sent */
	bool			 append_output;
	bool			 stats;
	enum sc_progress	 progress;

	bool			 trace;		/* --trace */
	const char		*trace_file;	/* NULL: stderr */
	bool			 trace_json;	/* --trace-format=json */

	int64_t			 quit_after_eof_ms;	/* -q, or none */
	int64_t			 accept_timeout_ms;	/* or SC_NO_TIMEOUT */
	int64_t			 connect_timeout_ms;	/* or SC_NO_TIMEOUT */
	int64_t			 idle_timeout_ms;	/* or SC_NO_TIMEOUT */
	int64_t			 max_time_ms;		/* or SC_NO_TIMEOUT */
};

/* opts.c */
enum sc_opts_result {
	SC_OPTS_RUN,		/* run with the options */
	SC_OPTS_HELP,		/* -h: print usage to stdout, exit 0 */
	SC_OPTS_VERSION,	/* -V */
	SC_OPTS_ERROR,		/* usage error, message in the buffer */
};
enum sc_opts_result opts_parse(int, char **, struct sc_opts *, char *, size_t);
void	 opts_free(struct sc_opts *);
int	 opts_duration(const char *, int64_t *, const char **);

/* addr.c */
/* A numeric address or UNIX path; with its port, as messages show them. */
#define SC_HOSTLEN	112
#define SC_ADDRSTRLEN	(SC_HOSTLEN + 16)

int	 addr_parse_port(const char *, const char *, bool, int *,
	    const char **);
int	 addr_parse_ports(const char *, const char *, uint16_t **, size_t *,
	    const char **);
int	 addr_resolve(const char *, int, const struct sc_opts *, bool,
	    struct addrinfo **);
int	 addr_unix(const char *, struct sockaddr_un *, socklen_t *,
	    const char **);
bool	 addr_unix_abstract(const char *);
void	 addr_numeric(const struct sockaddr *, socklen_t, char *, size_t,
	    int *);
const char *addr_str(const struct sockaddr *, socklen_t, char *, size_t);
const char *addr_service(int, const char *);
uint32_t addr_hash(const struct sockaddr *, socklen_t);
bool	 addr_equal(const struct sockaddr *, socklen_t,
	    const struct sockaddr *, socklen_t);
bool	 addr_is_multicast(const struct sockaddr *);

/* sys.c: every socket call goes through here; errno is kept intact. */
int	 sys_socket(int, int, int);
int	 sys_bind(int, const struct sockaddr *, socklen_t);
int	 sys_listen(int, int);
int	 sys_accept(int, struct sockaddr *, socklen_t *);
int	 sys_connect(int, const struct sockaddr *, socklen_t);
ssize_t	 sys_recv(int, void *, size_t, int);
ssize_t	 sys_send(int, const void *, size_t, int);
ssize_t	 sys_sendto(int, const void *, size_t, int, const struct sockaddr *,
	    socklen_t);
ssize_t	 sys_recvmsg(int, struct msghdr *, int);
ssize_t	 sys_sendmsg(int, const struct msghdr *, int);
ssize_t	 sys_recvfrom(int, void *, size_t, int, struct sockaddr *,
	    socklen_t *);
int	 sys_ioctl_int(int, unsigned long, const char *, int *);
ssize_t	 sys_splice(int, const char *, int, const char *, size_t);

/* names.c: the sockets API's names, as data. */
enum sc_opt_type {
	SC_OPT_INT,
	SC_OPT_BOOL,
	SC_OPT_STRING,
	SC_OPT_LINGER,
	SC_OPT_ERRNO,
	SC_OPT_STRUCT,		/* set through its own option only */
	SC_OPT_RDONLY,		/* an integer that can only be read */
};

/* An option the table knows: its value, and when and where it is set. */
struct sc_optname {
	int			 level;
	int			 optname;
	const char		*name;
	enum sc_opt_type	 type;
	long long		 min, max;	/* SC_OPT_INT: its range */
	enum sc_phase		 phase;		/* when to set it */
	enum sc_role		 role;		/* on which sockets */
	bool			 no_inherit;	/* not again on accepted ones */
};

const char *names_family(int, char *, size_t);
const char *names_socktype(int, char *, size_t);
const char *names_protocol(int, int, char *, size_t);
const char *names_level(int, char *, size_t);
const char *names_how(int, char *, size_t);
const char *names_optname(int, int, char *, size_t);
const char *names_msgflags(int, char *, size_t);
const struct sc_optname *names_option(int, int);
const struct sc_optname *names_options(void);
const struct sc_optname *names_option_by_name(int, const char *);
int	 names_msgflag(const char *);
const char *names_msgflag_list(bool);
bool	 names_msgflag_dir(int, bool);
int	 names_msgflag_other(int, bool);
int	 names_level_value(const char *);

/* trace.c: --trace. */
int	 trace_open(const char *, bool);
void	 trace_close(void);
bool	 trace_on(void);
void	 trace_call(const char *, const char *const [], int, long long, int,
	    const char *);
const char *trace_addr(const struct sockaddr *, socklen_t, char *, size_t);
const char *trace_errno(int, char *, size_t);
ssize_t	 sys_read(int, void *, size_t);
ssize_t	 sys_write(int, const void *, size_t);
int	 sys_shutdown(int, int);
int	 sys_close(int);
int	 sys_setsockopt(int, int, int, const void *, socklen_t);
int	 sys_getsockopt(int, int, int, void *, socklen_t *);
int	 sys_getsockname(int, struct sockaddr *, socklen_t *);
int	 sys_getpeername(int, struct sockaddr *, socklen_t *);
int	 sys_set_nonblock(int, bool);
int	 sys_set_cloexec(int);

/* loop.c: the event loop (epoll where available, poll(2) otherwise). */
#define SC_EV_IN	0x01
#define SC_EV_OUT	0x02
#define SC_EV_ERR	0x04	/* delivered only: error or hang-up */
#define SC_EV_PRI	0x08	/* urgent data (POLLPRI) */

struct sc_loop;
struct sc_timer;

typedef void sc_io_cb(struct sc_loop *, int, unsigned, void *);
typedef void sc_timer_cb(struct sc_loop *, struct sc_timer *, void *);
typedef void sc_signal_cb(struct sc_loop *, int, void *);

struct sc_timer {
	int64_t		 when_ms;	/* deadline on the loop's clock */
	size_t		 slot;		/* index in the heap, private */
	bool		 armed;
	sc_timer_cb	*cb;
	void		*arg;
};

/* A call deferred to the loop's next turn (idempotent while pending). */
typedef void sc_defer_cb(struct sc_loop *, void *);

struct sc_defer {
	struct sc_defer	*next;
	struct sc_defer	*prev;
	struct sc_defer	**head;		/* the list it is on, private */
	bool		 pending;
	sc_defer_cb	*cb;
	void		*arg;
};

struct sc_loop *loop_new(void);
void	 loop_defer(struct sc_loop *, struct sc_defer *, sc_defer_cb *,
	    void *);
void	 loop_defer_cancel(struct sc_loop *, struct sc_defer *);
void	 loop_free(struct sc_loop *);
int	 loop_watch(struct sc_loop *, int, unsigned, sc_io_cb *, void *);
void	 loop_forget(struct sc_loop *, int);
void	 loop_timer_start(struct sc_loop *, struct sc_timer *, int64_t,
	    sc_timer_cb *, void *);
void	 loop_timer_stop(struct sc_loop *, struct sc_timer *);
int	 loop_signal(struct sc_loop *, int, sc_signal_cb *, void *);
int	 loop_run(struct sc_loop *);
void	 loop_break(struct sc_loop *);
int64_t	 loop_now_ms(struct sc_loop *);
const char *loop_backend(void);

/*
 * endpoint.c: one side of a relay. A relay only reads, writes, shuts down
 * and closes endpoints; stdio, sockets and (later) TLS sessions or exec
 * children are all endpoints.
 */
struct sc_endpoint;

struct sc_endpoint_ops {
	ssize_t	(*read)(struct sc_endpoint *, void *, size_t);
	ssize_t	(*write)(struct sc_endpoint *, const void *, size_t);
	/* optional: at the source's EOF, send what write() still holds */
	int	(*flush)(struct sc_endpoint *);
	int	(*shutdown_wr)(struct sc_endpoint *);
	void	(*close)(struct sc_endpoint *);
	/* optional: bytes sent but not yet acknowledged by the peer */
	int	(*unacked)(struct sc_endpoint *, size_t *);
	/* optional: urgent data came (POLLPRI) */
	void	(*urgent)(struct sc_endpoint *);
	/* optional: send urgent data (MSG_OOB) */
	ssize_t	(*send_urgent)(struct sc_endpoint *, const void *, size_t);
	/* optional: the socket has an error condition (its error queue) */
	void	(*errqueue)(struct sc_endpoint *);
	/* optional: splice(2) moved n bytes from rfd (wr false) or to wfd */
	void	(*spliced)(struct sc_endpoint *, bool, size_t);
};

/*
 * Whether the relay may splice(2) from an endpoint's rfd (or to its wfd):
 * a descriptor of a kind splice takes, whose bytes nothing needs to see
 * or change. The trace names a non-socket end (a socket, by its number).
 */
struct sc_spliceable {
	bool		 ok;
	bool		 pipe;		/* a pipe: spliced to or from as is */
	const char	*name;		/* "stdin", "child"; NULL: socket */
};

/* What a socket endpoint reports through ep->event. */
enum sc_ep_event {
	SC_EP_PEEK,		/* data, length, real length */
	SC_EP_URGENT,		/* the byte; n: its offset in the stream */
	SC_EP_FD,		/* n: a descriptor received (closed after) */
	SC_EP_CREDS,		/* a struct ucred */
	SC_EP_ZEROCOPY_COPIED,	/* MSG_ZEROCOPY: the kernel copied anyway */
};

struct sc_endpoint {
	const struct sc_endpoint_ops *ops;
	int		 rfd;		/* polled for reading, -1 if none */
	int		 wfd;		/* polled for writing, -1 if none */
	size_t		 wmax;		/* largest write that cannot block */
	size_t		 rmin;		/* room a read needs (one message) */
	size_t		 msgmax;	/* largest write (one message), or 0 */
	bool		 whole_writes;	/* each source read is one write */
	/* optional: report what went over the socket (tap.c) */
	void		(*tap)(struct sc_endpoint *, int, const void *, size_t,
			    const struct sockaddr *, socklen_t);
	void		*tap_arg;
	/* a socket of many peers: the one that tap reports, numbered apart */
	struct sc_tap_peer *tap_peer;
	bool		 wpending;	/* holds output it could not send yet */
	bool		 crlf;		/* reads turn LF into CRLF (-C) */
	bool		 crlf_cr;	/* the last byte read was a CR */
	bool		 telnet;	/* reads answer telnet options (-t) */
	bool		 urgent_watch;	/* wait for POLLPRI: ops->urgent */
	/* optional: what a socket endpoint saw that the user should know */
	void		(*event)(struct sc_endpoint *, int, const void *,
			    size_t, uint64_t);
	void		*event_arg;
	const char	*reason;	/* why it failed, if not errno */
	bool		 rd_eof;	/* read side has returned EOF */
	bool		 is_tty;	/* read side is a terminal */
	bool		 rsock;		/* rfd is a socket: use recv(2) */
	bool		 wsock;		/* wfd is a socket: use send(2) */
	bool		 owns_fds;	/* close() closes rfd and wfd */
	bool		 virt;		/* no descriptor: the relay is kicked */
	struct sc_relay	*owner;		/* the relay using it (set by relay) */
	struct sc_spliceable rsp, wsp;	/* splice(2) from rfd, to wfd */
	char		 rname[SC_ADDRSTRLEN + 32];	/* "read from stdin" */
	char		 wname[SC_ADDRSTRLEN + 32];	/* "write to stdout" */
};

/*
 * anc.c: descriptors and credentials sent with the first data and
 * reported as they come (UNIX sockets, stream and message alike).
 */
struct sc_anc {
	int		 pass_fd;	/* --send-fd: to send, or -1 */
	bool		 send_creds;	/* --send-creds: to send */
	bool		 recv_fd;	/* report descriptors received */
	bool		 recv_creds;	/* report credentials received */
	pid_t		 last_pid;	/* the credentials last reported */
};

void	 anc_init(struct sc_anc *);
int	 anc_setup(struct sc_anc *, int, const struct sc_opts *,
	    struct sc_error *);
bool	 anc_pending(const struct sc_anc *);
ssize_t	 anc_sendmsg(struct sc_anc *, int, const void *, size_t, int,
	    const struct sockaddr *, socklen_t);
void	 anc_received(struct sc_anc *, struct msghdr *, struct sc_endpoint *);
void	 anc_free(struct sc_anc *);

int	 endpoint_stdio(struct sc_endpoint *);
struct sc_endpoint *endpoint_socket(int, const char *, bool);
int	 endpoint_socket_setup(struct sc_endpoint *, const struct sc_opts *,
	    struct sc_error *);
void	 endpoint_label(struct sc_endpoint *, const char *);

/* A byte buffer with a read and a write position. */
#define SC_BUFSIZE	(64 * 1024)

struct sc_buf {
	unsigned char	*data;
	size_t		 size;
	size_t		 off;		/* first pending byte */
	size_t		 len;		/* pending bytes */
};

int	 buf_init(struct sc_buf *, size_t);
void	 buf_free(struct sc_buf *);

/* relay.c: the stream relay between endpoints A (local) and B (peer). */
enum sc_dir {
	SC_DIR_AB,		/* A to B: stdin to the socket */
	SC_DIR_BA,		/* B to A: the socket to stdout */
};

struct sc_relay;

struct sc_relay_cfg {
	bool		 read_src[2];	/* false: the source is never read */
	bool		 eof_at_start[2];	/* the source is at EOF */
	bool		 shut_dst[2];	/* pass EOF on to the destination */
	bool		 discard[2];	/* read the source but drop the data */
	bool		 end_on_eof[2];	/* the whole session ends at this EOF */
	int64_t		 quit_after_eof_ms[2];	/* or SC_NO_TIMEOUT */
	int64_t		 idle_after_eof_ms[2];	/* idle limit after the EOF */
	int64_t		 idle_ms;		/* or SC_NO_TIMEOUT */
	int64_t		 interval_ms[2];	/* -i: pause after each line */
	const char	*oob_data;		/* --oob: sent to B once */
	size_t		 oob_len;
	uint64_t	 oob_after;		/* after this many bytes */
	void		(*on_eof)(struct sc_relay *, enum sc_dir, bool,
			    void *);	/* optional: an EOF was handled */
};

struct sc_relay;

enum sc_relay_end {
	SC_RELAY_DONE,		/* both directions finished */
	SC_RELAY_EOF,		/* an end_on_eof or -q rule ended it */
	SC_RELAY_IDLE,		/* the idle timeout expired */
	SC_RELAY_ERROR,		/* a read or write failed; see the error */
};

typedef void sc_relay_done_cb(struct sc_relay *, enum sc_relay_end,
    const struct sc_error *, void *);

struct sc_relay *relay_new(struct sc_loop *, const struct sc_relay_cfg *,
	    struct sc_endpoint *, struct sc_endpoint *, struct sc_buf *,
	    sc_relay_done_cb *, void *);
int	 relay_start(struct sc_relay *);
void	 relay_kick(struct sc_relay *);
void	 relay_free(struct sc_relay *);
uint64_t relay_bytes(const struct sc_relay *, enum sc_dir);
size_t	 relay_pending(const struct sc_relay *, enum sc_dir);

/*
 * splice.c: one direction of the relay moved by splice(2), through a pipe
 * of its own when neither end is a pipe.
 */
#define SC_SPLICE_MAX	(1024 * 1024)	/* most bytes one call moves */

struct sc_splice {
	int		 pfd[2];	/* the intermediate pipe, or -1 */
	size_t		 plen;		/* bytes in it */
	size_t		 psize;		/* its capacity */
	bool		 off;		/* copy from now on */
	bool		 want_out;	/* direct: wait for the destination */
};

enum sc_splice_res {
	SC_SPLICE_MOVED,	/* bytes moved (see *in and *out) */
	SC_SPLICE_WAIT,		/* nothing to do until an event */
	SC_SPLICE_EOF,		/* the source is at its end */
	SC_SPLICE_COPY,		/* copy instead (sp->off: from now on) */
	SC_SPLICE_SRC_ERR,	/* reading the source failed: errno */
	SC_SPLICE_DST_ERR,	/* writing the destination failed: errno */
};

void	 splice_init(struct sc_splice *, bool);
enum sc_splice_res splice_move(struct sc_splice *, struct sc_endpoint *,
	    struct sc_endpoint *, size_t, size_t *, size_t *);
int	 splice_unload(struct sc_splice *, struct sc_buf *, size_t);
void	 splice_free(struct sc_splice *);

/* dgram.c: a message socket as an endpoint of the relay. */
enum sc_dgram_event {
	SC_DGRAM_NEW_PEER,	/* an unconnected socket heard a new peer */
	SC_DGRAM_RECEIVED,	/* a message arrived */
	SC_DGRAM_TRUNCATED,	/* it was longer than the receive buffer */
	SC_DGRAM_FOREIGN,	/* from someone other than the peer: ignored */
	SC_DGRAM_UNNAMED,	/* from an unbound UNIX socket: no reply */
	SC_DGRAM_EXPIRED,	/* a peer was idle too long and forgotten */
	SC_DGRAM_TOOBIG,	/* unconnected: a message too long, dropped */
	SC_DGRAM_DROPPED,	/* demultiplexer: the peer's queue is full */
};

struct sc_dgram_meta {
	const struct sockaddr	*from;
	socklen_t		 fromlen;
	struct sockaddr_storage	 fromss;
	size_t			 len;		/* bytes delivered */
	size_t			 real;		/* its real length */
	bool			 has_dst;	/* IP_PKTINFO, IPV6_PKTINFO */
	struct sockaddr_storage	 dst;
	socklen_t		 dstlen;
	int			 ttl;		/* TTL or hop limit, or -1 */
	bool			 has_time;	/* SO_TIMESTAMPNS */
	struct timespec		 time;
	bool			 has_cred;	/* SCM_CREDENTIALS */
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;
	const char		*reason;	/* SC_DGRAM_TOOBIG: why */
};

typedef void sc_dgram_report_cb(enum sc_dgram_event,
    const struct sc_dgram_meta *, void *);

struct sc_dgram_cfg {
	enum sc_framing		 framing;
	size_t			 recv_size;	/* one message's buffer */
	size_t			 send_max;	/* largest message sent */
	bool			 connected;	/* one peer; others ignored */
	struct sockaddr_storage	 peer;		/* that peer, if known */
	socklen_t		 peerlen;	/* 0: the kernel filters */
	bool			 sendto_peer;	/* name the peer in each send */
	int			 sflags, rflags;	/* --send/recv-flags */
	int			 peek;		/* --peek: bytes, or 0 */
	bool			 seqpacket;	/* has an end of file */
	bool			 unixsock;	/* may be sent descriptors */
	int64_t			 peer_idle_ms;	/* unconnected: forget peers */
	const struct sc_acl	*acl;		/* unconnected: who is heard */
	sc_dgram_report_cb	*report;
	void			*arg;
};

typedef void sc_dgram_gone_cb(struct sc_endpoint *, void *);

/*
 * peertab.c: peers by address, for an unconnected message socket and for
 * the demultiplexer; each entry begins with a struct sc_peer.
 */
#define SC_PEER_BUCKETS	1024
struct sc_peer {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct sc_peer		*next;		/* in its bucket */
};
struct sc_peertab {
	struct sc_peer		*buckets[SC_PEER_BUCKETS];
};
struct sc_peer *peertab_find(const struct sc_peertab *,
	    const struct sockaddr *, socklen_t);
void	 peertab_add(struct sc_peertab *, struct sc_peer *,
	    const struct sockaddr *, socklen_t);
void	 peertab_remove(struct sc_peertab *, struct sc_peer *);

struct sc_endpoint *dgram_new(struct sc_loop *, int,
	    const struct sc_dgram_cfg *, const char *);
struct sc_endpoint *dgram_port_new(struct sc_loop *, int,
	    const struct sc_dgram_cfg *, const char *, sc_dgram_gone_cb *,
	    void *);
int	 dgram_port_push(struct sc_endpoint *, const void *, size_t);
int	 dgram_setup(struct sc_endpoint *, const struct sc_opts *,
	    struct sc_error *);
ssize_t	 dgram_recvmsg(int, void *, size_t, int, struct sc_dgram_meta *,
	    struct sc_anc *, struct sc_endpoint *);
bool	 dgram_counts(const struct sc_endpoint *, uint64_t *, uint64_t *);

/* tap.c: what went over the sockets, for dumps, logs and counts. */
#define SC_TAP_SENT	0
#define SC_TAP_RECEIVED	1

struct sc_taps;

/* A peer of an unconnected datagram socket, as the dump numbers it. */
struct sc_tap_peer {
	unsigned long	 id;		/* from 1, in the order heard from */
	uint64_t	 off[2];	/* per direction */
	bool		 counted;	/* in --stats' connections */
};

struct sc_taps	*taps_new(struct sc_loop *, const struct sc_opts *,
		    struct sc_error *);
void		 taps_data(struct sc_taps *, int, unsigned long, uint64_t,
		    const void *, size_t, const struct sockaddr *, socklen_t);
void		 taps_connection(struct sc_taps *);
void		 taps_conn_stats(const struct sc_taps *, const char *,
		    const uint64_t [2], const uint64_t [2], int64_t);
bool		 taps_need_bytes(const struct sc_taps *);
void		 taps_free(struct sc_taps *);
void		 hexdump_write(FILE *, const unsigned char *, size_t,
		    uint64_t);

/* hub.c: stdin and stdout shared by the clients of a -k server. */
struct sc_hub;
typedef void sc_hub_fail_cb(const struct sc_error *, void *);

struct sc_hub	*hub_new(struct sc_loop *, struct sc_endpoint *, bool,
		    sc_hub_fail_cb *, void *);
struct sc_endpoint *hub_port(struct sc_hub *);
void		 hub_free(struct sc_hub *);

int	 sockopt_int(const char *, long long, long long, long long *,
	    const char **);
int	 sockopt_tos(const char *, int *, const char **);
int	 sockopt_add(struct sc_opts *, const struct sc_sockopt *);
int	 sockopt_parse(const char *, struct sc_sockopt *, char *, size_t);
void	 sockopt_rules(struct sc_sockopt *);
int	 sockopt_apply(int, int, int, enum sc_phase, enum sc_role,
	    const struct sc_opts *, struct sc_error *);
void	 sockopt_free(struct sc_opts *);
int	 sockopt_set_own(int, int, int, int, const char *, struct sc_error *);
int	 sockopt_get_int(int, int, int, int *);
void	 sockopt_show(int, int, int);
void	 sockopt_show_flags(const struct sc_opts *);

/* zcopy.c: --send-flags zerocopy. */
struct sc_zcopy;

struct sc_zcopy *zcopy_new(void);
ssize_t	 zcopy_send(struct sc_zcopy *, int, const void *, size_t, int);
int	 zcopy_reap(struct sc_zcopy *, int);
size_t	 zcopy_held(const struct sc_zcopy *);
void	 zcopy_free(struct sc_zcopy *, int);

/* sock.c: socket setup shared by all transports. */
#define SC_BACKLOG	128

int	 sock_open(int, int, int);
int	 sock_setint(int, int, int, int);
int	 sock_listen_inet(const struct sc_opts *, int, struct sc_error *);
int	 sock_listen_unix(const struct sc_opts *, const char *, int,
	    struct stat *, struct sc_error *);
int	 sock_unix_unlink(const char *, const struct stat *);
int	 sock_local(int, char *, size_t, int *);
int	 sock_dgram_options(int, int, const struct sc_opts *,
	    struct sc_error *);
int	 sock_inherited(const struct sc_opts *, struct sc_error *);
const struct sc_proto *sock_inherited_proto(int, char *, size_t);
int	 sock_send_fd(int, int);
bool	 sock_is_unix(int);

/* A UNIX datagram client's own address, and what to remove at exit. */
struct sc_unix_bound {
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	char		 dir[64];
	struct stat	 st;
};

int	 sock_unix_bind_client(int, const char *, struct sc_unix_bound *,
	    struct sc_error *);
void	 sock_unix_unbind(struct sc_unix_bound *);

/*
 * connect.c: connect with a timeout, trying every address in turn. The
 * callback runs for each failed attempt (fd -1, final false) and once at
 * the end: with the connected socket, or with fd -1 and the last error.
 */
struct sc_connector;
typedef void sc_connect_cb(struct sc_connector *, int,
    const struct sc_error *, bool, void *);

struct sc_connector *connector_new(struct sc_loop *, const struct sc_opts *,
	    sc_connect_cb *, void *);
int	 connector_start(struct sc_connector *, struct sc_error *);
void	 connector_free(struct sc_connector *);
const struct sockaddr *connector_peer(const struct sc_connector *,
	    socklen_t *);

/* osdep.c: what only some systems can tell. */
int	 osdep_unix_bound(const struct stat *);
int	 osdep_unacked(int, size_t *);
bool	 osdep_splice(void);
int	 osdep_pipe(int [2], size_t, size_t *);
int	 osdep_peercred(int, pid_t *, uid_t *, gid_t *);
void	 osdep_child_signals(void);
int	 osdep_msg_mark(int);
int	 osdep_recv_meta(int, int);
int	 osdep_recv_dst(int, int);
int	 osdep_mcast_only(int, int);
void	 osdep_msg_meta(const struct msghdr *, struct sc_dgram_meta *);
int	 osdep_zerocopy_done(int, uint32_t *, uint32_t *, bool *);

/* log.c: verbosity and the stable -v message formats. */
void	 log_init(int);
int	 log_level(void);
void	 log_verbose(int, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
void	 log_warn_error(const struct sc_error *);

/*
 * session.c: what the modes share: the loop, stdin/stdout, signals, the
 * --max-time limit, and the relay rules the options make.
 */
struct sc_session {
	const struct sc_opts	*o;
	struct sc_loop		*loop;
	int			 status;	/* exit status so far */
	int			 signo;		/* terminating signal, or 0 */
	struct sc_timer		 max_time;
	struct sc_endpoint	 local;		/* stdin and stdout */
	struct sc_buf		 stdin_buf;	/* for the one stdio relay */
	bool			 unnamed_warned;
};

/* Exit statuses above this carry a signal number, for main() to raise. */
#define SC_EXIT_SIGNAL	128

int	 session_init(struct sc_session *, const struct sc_opts *,
	    struct sc_error *);
void	 session_relay_cfg(const struct sc_opts *, const struct sc_endpoint *,
	    struct sc_relay_cfg *);
void	 session_dgram_cfg(const struct sc_session *, int,
	    struct sc_dgram_cfg *);
void	 session_label(const struct sc_opts *, const struct sockaddr *,
	    socklen_t, char *, size_t);
int	 session_finish(struct sc_session *);

/*
 * conn.c: one client (or, in connect mode, the one server) and the handler
 * serving it. A connection pairs the client's endpoint with the handler's
 * side (stdin/stdout, a child, a forwarded connection, the broker; or the
 * client itself, for echo) through one relay.
 */
struct sc_server;
struct sc_conn;

struct sc_handler {
	const char	*name;
	/* set c->side and return 0; 1: c->side comes later (conn_ready) */
	int		(*start)(struct sc_conn *, struct sc_error *);
	void		(*relay_cfg)(const struct sc_conn *,
			    struct sc_relay_cfg *);
	/* the relay is over: true while the handler still holds the slot */
	bool		(*finish)(struct sc_conn *);	/* NULL: false */
	/* sockcat ends: let go of everything, now */
	void		(*stop)(struct sc_conn *);	/* NULL: nothing */
};

void	 conn_relay_cfg_duplex(const struct sc_conn *, struct sc_relay_cfg *);

extern const struct sc_handler sc_handler_stdio;
extern const struct sc_handler sc_handler_echo;
extern const struct sc_handler sc_handler_broker;
extern const struct sc_handler sc_handler_chat;
extern const struct sc_handler sc_handler_exec;
extern const struct sc_handler sc_handler_forward;

struct sc_conn {
	struct sc_server	*srv;
	unsigned long		 id;
	struct sc_endpoint	*client;
	struct sc_endpoint	*side;		/* NULL: the client itself */
	struct sc_relay		*relay;
	void			*hstate;	/* the handler's own */
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct sockaddr_storage	 local;
	socklen_t		 locallen;
	char			 who[SC_ADDRSTRLEN + 8];	/* for -v */
	char			 label[SC_ADDRSTRLEN + 32];	/* for errors */
	bool			 relay_over;
	bool			 ended;
	bool			 has_cred;	/* a UNIX peer's credentials */
	pid_t			 cred_pid;
	uid_t			 cred_uid;
	gid_t			 cred_gid;
	uint64_t		 bytes_in, bytes_out;
	uint64_t		 tap_off[2];	/* per direction, dump */
	bool			 tap_peers;	/* its socket has many peers */
	uint64_t		 tap_msgs[2];	/* per direction, --stats */
	int64_t			 t0_ms;		/* accepted at */
	struct sc_conn		*next, *prev;
};

struct sc_conn	*conn_new(struct sc_server *, struct sc_endpoint *,
		    const struct sockaddr *, socklen_t);
void		 conn_start(struct sc_conn *);
void		 conn_dgram_origin(struct sc_conn *, int,
		    const struct sc_dgram_meta *);
void		 conn_ready(struct sc_conn *, struct sc_endpoint *);
void		 conn_abort(struct sc_conn *, const struct sc_error *);
void		 conn_release(struct sc_conn *);
void		 conn_shutdown(struct sc_conn *);

/* server.c: serving clients; also the frame of connect mode. */
struct sc_broker;
struct sc_acl;
struct sc_demux;

struct sc_server {
	struct sc_session	 s;
	const struct sc_handler	*handler;
	struct sc_hub		*hub;		/* -k with stdin/stdout */
	struct sc_broker	*broker;	/* --broker, --chat */
	struct sc_acl		*acl;
	struct sc_demux		*demux;		/* -k -u with a handler */
	struct sc_taps		*taps;
	struct sc_opts		 target;	/* --forward's target */
	struct sc_conn		*conns;
	size_t			 nconns;
	unsigned long		 nextid;
	bool			 single;	/* one connection, then end */
	int			 lfd;		/* listening socket, or -1 */
	int			 family;
	bool			 unix_bound;	/* a path to remove at exit */
	struct stat		 bound;
	struct sc_timer		 backoff;
	bool			 accept_failing;	/* reported once */
	struct sc_timer		 accept_timer;
	void			(*on_done)(struct sc_server *);	/* single */
};

int	 server_init(struct sc_server *, const struct sc_opts *,
	    struct sc_error *);
struct sc_endpoint *server_client_endpoint(struct sc_server *, int,
	    const char *, struct sc_dgram_cfg *, struct sc_error *);
bool	 server_admit(struct sc_server *, const struct sockaddr *, socklen_t);
enum sc_framing server_framing(const struct sc_server *);

/* The handlers' own entry points. */
void	 forward_target(struct sc_server *, const struct sc_opts *);
void	 exec_reap(struct sc_server *);
char	**exec_split(const char *, const char **);
struct sc_broker *broker_new(struct sc_server *);
void	 broker_free(struct sc_broker *);

/* acl.c: --allow and --deny. */
struct sc_acl	*acl_new(void);
struct sc_acl	*acl_build(const struct sc_opts *, struct sc_error *);
int		 acl_add(struct sc_acl *, const char *, bool, char *, size_t);
int		 acl_add_file(struct sc_acl *, const char *, bool, char *,
		    size_t);
bool		 acl_admits(const struct sc_acl *, const struct sockaddr *,
		    socklen_t);
bool		 acl_permits(const struct sc_acl *, const struct sockaddr *,
		    socklen_t);
bool		 acl_syntax_ok(const char *, const char **);
void		 acl_free(struct sc_acl *);

/* demux.c: a datagram server with -k and a handler: a relay per peer. */
void	 dgram_demux_start(struct sc_server *);
void	 dgram_demux_free(struct sc_demux *);
void	 server_conn_gone(struct sc_server *, struct sc_conn *);
void	 server_fatal(struct sc_server *, const struct sc_error *);
int	 server_finish(struct sc_server *);

/* mode_connect.c, server.c, scan.c: the top-level modes. */
int	 mode_connect(const struct sc_opts *);
int	 mode_listen(const struct sc_opts *);
int	 mode_scan(const struct sc_opts *);

#endif /* SOCKCAT_H */
