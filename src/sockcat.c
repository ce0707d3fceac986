/*
 * sockcat: a socket Swiss-army knife. main() parses the command line,
 * picks the mode and runs it; with usage() it is the only place that
 * exits.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_OPENSSL
#include <openssl/crypto.h>
#endif

#include "sockcat.h"

static const char usage_text[] =
"usage: sockcat [options] host port\n"
"       sockcat -z [options] host ports...   (ports: 80, 20-25,443, http)\n"
"       sockcat -l [options] [host] port\n"
"       sockcat -l -k [--echo|--broker|--chat|-e PROG|-c CMD|--forward H:P|\n"
"                      --forward-unix PATH] [options] [host] port\n"
"       sockcat -U [options] path        sockcat -l -U [options] path\n"
"\n"
"Transport (default: TCP):\n"
"  -u, --udp                 UDP; with -U, UNIX datagram sockets\n"
"  -U, --unix                the operand is a UNIX socket path\n"
"                            (or @name for an abstract socket)\n"
"      --unix-dgram          UNIX datagram sockets (-U -u)\n"
"      --seqpacket           SOCK_SEQPACKET, with -U or --sctp\n"
"      --sctp                SCTP (stream; with --seqpacket, messages)\n"
"\n"
"Mode and address:\n"
"  -l, --listen              listen for a connection instead of connecting\n"
"  -4, --ipv4                IPv4 only\n"
"  -6, --ipv6                IPv6 only\n"
"  -n, --numeric             no DNS: hosts must be numeric addresses\n"
"  -s, --source ADDR         connect from ADDR; with -l, listen on ADDR\n"
"  -p, --source-port PORT    connect from PORT; with -l, listen on PORT\n"
"  -k, --keep-open           with -l, serve any number of clients at once\n"
"      --keep-socket         with -l -U, leave the socket file at exit\n"
"      --port-file FILE      with -l, write the bound port to FILE\n"
"\n"
"Socket options (-vv shows what the kernel keeps):\n"
"  -I, --recv-buf N          SO_RCVBUF (N may end in K, M)\n"
"  -O, --send-buf N          SO_SNDBUF\n"
"  -T, --tos VALUE           IP_TOS / IPV6_TCLASS: a number, or lowdelay,\n"
"                            throughput, reliability, critical, inetcontrol,\n"
"                            netcontrol, af11..af43, cs0..cs7, ef\n"
"  -M, --ttl N               IP_TTL / IPV6_UNICAST_HOPS\n"
"  -m, --min-ttl N           IP_MINTTL / IPV6_MINHOPCOUNT\n"
"  -D, --debug               SO_DEBUG\n"
"      --nodelay --cork --quickack  TCP_NODELAY, TCP_CORK, TCP_QUICKACK\n"
"      --keepalive[=IDLE,INTVL,CNT]  SO_KEEPALIVE and its TCP timers\n"
"      --linger SECS         SO_LINGER\n"
"      --reuseport           SO_REUSEPORT\n"
"      --bind-device IF      SO_BINDTODEVICE\n"
"      --mark N              SO_MARK\n"
"      --priority N          SO_PRIORITY\n"
"      --mss N               TCP_MAXSEG\n"
"      --congestion NAME     TCP_CONGESTION\n"
"      --fastopen            TCP_FASTOPEN (listener), _CONNECT (client)\n"
"      --defer-accept SECS   TCP_DEFER_ACCEPT\n"
"      --freebind            IP_FREEBIND\n"
"      --transparent         IP_TRANSPARENT\n"
"      --v6only, --no-v6only IPV6_V6ONLY\n"
"      --backlog N           listen(2) backlog (128)\n"
"      --user-timeout MS     TCP_USER_TIMEOUT\n"
"      --rcvlowat N          SO_RCVLOWAT\n"
"      --sockopt LEVEL:NAME=VALUE  any option (SOL_SOCKET:SO_MARK=5, 6:2=536)\n"
"\n"
"Send and receive (stdin/stdout relay):\n"
"      --send-flags LIST     MSG_* flags for every send (dontroute, more...)\n"
"      --recv-flags LIST     MSG_* flags for every receive\n"
"      --dontroute, --more   the same as --send-flags dontroute, more\n"
"      --peek[=N]            show the first N bytes received (64) first\n"
"      --waitall             read TCP in records of --recv-size bytes\n"
"      --oob DATA            send DATA as urgent data (C escapes: \\x03)\n"
"      --oob-after N         ... after N bytes of stdin\n"
"      --oob-inline          keep urgent data in the stream (SO_OOBINLINE)\n"
"      --send-fd FILE        send FILE's descriptor (fd:N: an inherited one)\n"
"      --recv-fd             report descriptors received\n"
"      --recv-fd-out PATH    ... and copy their contents to PATH\n"
"      --send-creds          send our credentials (SCM_CREDENTIALS)\n"
"      --recv-creds          report the credentials that come\n"
"  -F, --pass-fd             pass the connected socket to stdout, exit\n"
"\n"
"Servers (with -l):\n"
"      --max-conns N         serve at most N clients at a time (1000)\n"
"      --accept-timeout DUR  exit 5 if no client comes within DUR\n"
"      --allow SPEC          admit only clients that match SPEC: an address,\n"
"                            a network (CIDR) or a host name (repeatable)\n"
"      --deny SPEC           refuse clients that match SPEC (beats --allow)\n"
"      --allowfile FILE      --allow each line of FILE\n"
"      --denyfile FILE       --deny each line of FILE\n"
"      --listen-fd N         serve the listening socket on descriptor N\n"
"                            (systemd's LISTEN_FDS works without it)\n"
"\n"
"Handlers (instead of stdin/stdout; one of):\n"
"      --echo                send each client back what it sends\n"
"      --broker              send each client's data to all the others\n"
"      --chat                --broker with <userN> prefixes and notices\n"
"  -e, --exec 'PROG ARGS'    run PROG for each connection (no shell)\n"
"  -c, --sh-exec CMD         run CMD with /bin/sh for each connection\n"
"      --exec-stderr         the child's stderr to the connection too\n"
"      --forward HOST:PORT   relay each client to a new connection there\n"
"      --forward-unix PATH   relay each client to the UNIX socket PATH\n"
"\n"
"Messages (UDP, UNIX datagram, SEQPACKET):\n"
"      --framing MODE        raw (default), line, nul or len32\n"
"      --recv-size N         receive buffer for one message (65536)\n"
"      --recv-info           report each datagram's destination, TTL, time\n"
"  -b, --broadcast           allow sending to broadcast addresses\n"
"      --mcast-join GROUP    join a multicast group (repeatable)\n"
"      --mcast-iface IF      interface for multicast (name or index)\n"
"      --mcast-ttl N         TTL or hop limit of multicast sent (0-255)\n"
"      --mcast-loop          loop multicast sent back to this host\n"
"      --no-mcast-loop       do not\n"
"\n"
"Data and end of file:\n"
"  -d, --no-stdin            never read stdin (and send no EOF)\n"
"      --send-only           only send stdin; discard what the peer sends\n"
"                            and end once stdin's EOF is sent\n"
"      --recv-only           only receive; send EOF to the peer at once\n"
"  -N, --shutdown            shutdown(SHUT_WR) after stdin EOF (the default)\n"
"      --no-shutdown         never shut down the sending side\n"
"      --exit-on-peer-eof    end when the peer's EOF has been written out\n"
"                            (always so when stdin is a terminal)\n"
"  -q, --quit-after-eof DUR  end DUR after stdin EOF (0: at once)\n"
"\n"
"Time limits, none by default (DUR: 5, 1.5, 250ms, 2m, 1h; unit seconds):\n"
"  -w, --wait DUR            connect timeout and idle timeout (a datagram\n"
"                            client waits 2s for replies after stdin EOF)\n"
"      --connect-timeout DUR time allowed for each connect attempt\n"
"                            (default: the kernel's)\n"
"      --idle-timeout DUR    end when no data moved for DUR (exit 0); with\n"
"                            -k, close each client idle for DUR\n"
"      --max-time DUR        end after DUR in all (exit 5)\n"
"\n"
"Seeing what happens:\n"
"  -v, --verbose             report progress on stderr (repeatable)\n"
"      --trace[=FILE]        every socket call, with its arguments and\n"
"                            result, to stderr or FILE\n"
"      --trace-format FMT    text (default) or json (one object per line)\n"
"      --hex-dump[=FILE]     hex dump of what is sent and received\n"
"  -o, --output FILE         what is sent and received, raw, to FILE\n"
"      --output-received FILE  what is received, to FILE\n"
"      --output-sent FILE    what is sent, to FILE\n"
"      --append-output       append to those files instead of replacing\n"
"      --stats               counts and rates on stderr at the end\n"
"      --progress[=WHEN]     a live counter on stderr: auto (the default:\n"
"                            when stderr is a terminal) or always\n"
"\n"
"Scripting:\n"
"  -C, --crlf                send each LF of stdin as CRLF\n"
"  -i, --interval DUR        pause DUR after each line sent (--delay)\n"
"  -t, --telnet              refuse the peer's telnet options\n"
"      --retry N             connect again, up to N times, until it works\n"
"      --retry-wait DUR      wait between attempts (1s)\n"
"      --reconnect           connect again when the connection drops\n"
"  -z, --zero                scan: report which ports are open, send nothing\n"
"  -r, --randomize           scan the ports in random order\n"
"      --scan-parallel N     probes at a time (32)\n"
"  -h, --help                show this help\n"
"  -V, --version             show the version and the features built in\n"
"\n"
"Exit status: 0 ok, 1 failure, 2 usage, 3 resolution, 4 refused/reset,\n"
"5 timeout. See sockcat(1).\n";

static void __attribute__((__noreturn__))
usage(int status)
{
	(void)fputs(usage_text, status == 0 ? stdout : stderr);
	exit(status);
}

static void __attribute__((__noreturn__))
version(void)
{
	(void)printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	(void)printf("features: %s\n", SC_FEATURES);
	(void)printf("event loop: %s\n", loop_backend());
#ifdef HAVE_OPENSSL
	(void)printf("openssl: %s\n", OpenSSL_version(OPENSSL_VERSION));
#endif
	exit(0);
}

/*
 * Make sure descriptors 0, 1 and 2 are open, so that no socket can land
 * on them and be written to as if it were stdout.
 */
static void
sanitize_stdio(void)
{
	int	 fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			exit(SC_EXIT_FAIL);
	}
}

int
main(int argc, char **argv)
{
	struct sc_opts	 o;
	char		 msg[512], inherited_path[SC_HOSTLEN];
	int		 status;

	sanitize_stdio();
	(void)signal(SIGPIPE, SIG_IGN);

	switch (opts_parse(argc, argv, &o, msg, sizeof(msg))) {
	case SC_OPTS_HELP:
		usage(0);
	case SC_OPTS_VERSION:
		version();
	case SC_OPTS_ERROR:
		(void)fprintf(stderr, "%s: %s\n", PACKAGE, msg);
		(void)fprintf(stderr, "Try '%s --help' for more information.\n",
		    PACKAGE);
		exit(SC_EXIT_USAGE);
	case SC_OPTS_RUN:
		break;
	}
	log_init(o.verbose);
	if (o.trace && trace_open(o.trace_file, o.trace_json) == -1) {
		(void)fprintf(stderr, "%s: --trace %s: %s\n", PACKAGE,
		    o.trace_file, strerror(errno));
		exit(SC_EXIT_FAIL);
	}
	if (o.listen_fd >= 0) {
		errno = 0;	/* set only if the descriptor is not open */
		o.proto = sock_inherited_proto(o.listen_fd, inherited_path,
		    sizeof(inherited_path));
		if (o.proto == NULL) {
			(void)fprintf(stderr, "%s: descriptor %d: %s\n",
			    PACKAGE, o.listen_fd, errno == EBADF ?
			    strerror(errno) : "not a TCP, UDP or UNIX socket");
			exit(SC_EXIT_FAIL);
		}
		if (o.proto->family == AF_UNIX)
			o.unix_path = inherited_path;
	}

	if (o.mode == SC_MODE_LISTEN)
		status = mode_listen(&o);
	else if (o.scan)
		status = mode_scan(&o);
	else
		status = mode_connect(&o);
	opts_free(&o);
	trace_close();

	/* Killed by a signal: clean up was done, now die of it. */
	if (status > SC_EXIT_SIGNAL) {
		int	 signo = status - SC_EXIT_SIGNAL;

		(void)signal(signo, SIG_DFL);
		(void)raise(signo);
	}
	return status;
}
