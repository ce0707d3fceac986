#!/usr/bin/env bats
# bats file_tags=interop
#
# Interoperability: the same transfers as tcp.bats / unix.bats / eof.bats,
# but with real peers nobody here wrote at the other end: socat (Debian
# socat), OpenBSD netcat as `nc` (Debian netcat-openbsd) and ncat (Debian
# ncat). A test skips, naming the package, when its peer is missing.
#
# Port discovery (no fixed ports anywhere):
#  - sockcat as listener: port 0, real port read from its -v line
#    (start_server sets SRV_PORT).
#  - socat as listener: TCP4-LISTEN:0 / TCP6-LISTEN:0 with -d -d; socat
#    1.7.4 logs "N listening on AF=2 127.0.0.1:PORT" with the port the
#    kernel picked (it has no ACCEPT-FD, so a pre-bound socket cannot be
#    handed over). UNIX-LISTEN needs no port.
#  - OpenBSD nc as listener: `nc -n -v -l 127.0.0.1 0` prints
#    "Listening on 127.0.0.1 PORT" with the real port.
#  - ncat as listener: `ncat -l 127.0.0.1 0` prints the port it was asked
#    for ("Listening on 127.0.0.1:0"), not the one it got, so ncat listens
#    on a UNIX path (-U) instead; its TCP tests have sockcat listening.
# A peer's port taken from its log is also waited for in `ss -ltnH` (and a
# UNIX listener in `ss -lxH`) before sockcat connects: bounded polls.
#
# Peer quirks that shape the commands (all peer behaviour, not sockcat's):
#  - nc -l quits as soon as its client's FIN has arrived and its own stdin
#    buffer is momentarily empty, with stdin not yet at EOF. So a sockcat
#    client downloading from nc -l uses -d (no FIN), and nc -l cannot serve
#    as a responder that answers after the request's EOF; the half-close
#    tests use socat (and nc as the half-closing client) instead.
#  - socat ends -t seconds (default 0.5) after the first EOF; the
#    bidirectional socat commands get -t 10 so a slow reply is not cut.

load helpers

setup_file() {
	PAYLOAD=$BATS_FILE_TMPDIR/payload
	make_payload "$PAYLOAD" $((64 * 1024 * 1024))
	export PAYLOAD
}

# ss_lists SS-ARGS... : `ss -H SS-ARGS` prints a line.
ss_lists() {
	[[ -n $(ss -H "$@" 2>/dev/null) ]]
}

# wait_tcp_listen ADDR PORT : a TCP listener on ADDR:PORT shows in ss.
wait_tcp_listen() {
	local a=$1
	[[ $a == *:* ]] && a="[$a]"
	need_ss && wait_until 10 ss_lists -ltn "src $a:$2"
}

# socat_port NAME : PEER_PORT from the -d -d "listening on" line of the
# socat peer NAME, once ss shows it listening.
socat_port() {
	local err=$BATS_TEST_TMPDIR/$1.err re='N listening on AF=(2|10) (.*):([0-9]+)$'
	wait_for "$err" "$re" || return 1
	PEER_PORT=$(sed -En "s/.*$re/\\3/p" "$err" | head -n 1)
	local a
	a=$(sed -En "s/.*$re/\\2/p" "$err" | head -n 1)
	case $a in
	\[*) wait_tcp_listen ::1 "$PEER_PORT" ;;
	*) wait_tcp_listen "$a" "$PEER_PORT" ;;
	esac
}

# nc_port NAME : PEER_PORT from the -v "Listening on" line of the nc -n
# peer NAME, once ss shows it listening.
nc_port() {
	local err=$BATS_TEST_TMPDIR/$1.err re='^Listening on 127\.0\.0\.1 ([0-9]+)$'
	wait_for "$err" "$re" || return 1
	PEER_PORT=$(sed -En "s/$re/\\1/p" "$err" | head -n 1)
	wait_tcp_listen 127.0.0.1 "$PEER_PORT"
}

# need_openbsd_nc : skip unless `nc` is OpenBSD netcat (the flags used
# here, -N -d -U and "Listening on" with -v, are its).
need_openbsd_nc() {
	need_cmd nc netcat-openbsd
	[[ $(nc -h 2>&1 | head -n 1) == *OpenBSD* ]] ||
		skip "nc is not OpenBSD netcat (Debian package netcat-openbsd)"
}

# --- sockcat -l, peer connects ------------------------------------------

@test "TCP: socat client uploads 64 MiB to sockcat -l" {
	need_cmd socat
	start_server srv -l 127.0.0.1 0
	run -0 peer socat -u "FILE:$PAYLOAD" "TCP4:127.0.0.1:$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/srv.out"
}

@test "TCP: nc -N client uploads 64 MiB to sockcat -l" {
	need_openbsd_nc
	start_server srv -l 127.0.0.1 0
	run -0 io "$PAYLOAD" /dev/null peer nc -N 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/srv.out"
}

@test "TCP: sockcat -l sends 64 MiB to a socat client" {
	need_cmd socat
	local got=$BATS_TEST_TMPDIR/got
	SRV_IN=$PAYLOAD start_server srv -l 127.0.0.1 0
	run -0 io /dev/null "$got" peer socat -u "TCP4:127.0.0.1:$SRV_PORT" STDOUT
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$got"
}

@test "TCP: sockcat -l sends 64 MiB to an nc client" {
	need_openbsd_nc
	local got=$BATS_TEST_TMPDIR/got
	SRV_IN=$PAYLOAD start_server srv -l 127.0.0.1 0
	run -0 io /dev/null "$got" peer nc -d 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$got"
}

# --- peer listens, sockcat connects -------------------------------------

@test "TCP: sockcat client uploads 64 MiB to a socat listener" {
	need_cmd socat
	peer_bg peer socat -d -d -u TCP4-LISTEN:0,bind=127.0.0.1 STDOUT
	socat_port peer
	run -0 io "$PAYLOAD" /dev/null sc 127.0.0.1 "$PEER_PORT"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/peer.out"
}

@test "TCP: sockcat client downloads 64 MiB from a socat listener" {
	need_cmd socat
	local got=$BATS_TEST_TMPDIR/got
	PEER_IN=$PAYLOAD peer_bg peer socat -d -d -u STDIN TCP4-LISTEN:0,bind=127.0.0.1
	socat_port peer
	run -0 io /dev/null "$got" sc 127.0.0.1 "$PEER_PORT"
	cmp "$PAYLOAD" "$got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

@test "TCP: sockcat client uploads 64 MiB to an nc listener" {
	need_openbsd_nc
	peer_bg peer nc -d -n -v -l 127.0.0.1 0
	nc_port peer
	run -0 io "$PAYLOAD" /dev/null sc 127.0.0.1 "$PEER_PORT"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/peer.out"
}

@test "TCP: sockcat -d client downloads 64 MiB from an nc -N listener" {
	need_openbsd_nc
	local got=$BATS_TEST_TMPDIR/got
	# -d: nc -l would quit on our FIN before sending everything (see top).
	PEER_IN=$PAYLOAD peer_bg peer nc -N -n -v -l 127.0.0.1 0
	nc_port peer
	run -0 io /dev/null "$got" sc -d 127.0.0.1 "$PEER_PORT"
	cmp "$PAYLOAD" "$got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

# --- UNIX stream --------------------------------------------------------

@test "UNIX: socat UNIX-CONNECT uploads 64 MiB to sockcat -l -U" {
	need_cmd socat
	sockdir
	start_server srv -l -U "$SOCKDIR/s"
	run -0 peer socat -u "FILE:$PAYLOAD" "UNIX-CONNECT:$SOCKDIR/s"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/srv.out"
}

@test "UNIX: nc -U uploads 64 MiB to sockcat -l -U" {
	need_openbsd_nc
	sockdir
	start_server srv -l -U "$SOCKDIR/s"
	run -0 io "$PAYLOAD" /dev/null peer nc -N -U "$SOCKDIR/s"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/srv.out"
}

@test "UNIX: nc -U downloads 64 MiB from sockcat -l -U" {
	need_openbsd_nc
	local got=$BATS_TEST_TMPDIR/got
	sockdir
	SRV_IN=$PAYLOAD start_server srv -l -U "$SOCKDIR/s"
	run -0 io /dev/null "$got" peer nc -d -U "$SOCKDIR/s"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$got"
}

@test "UNIX: sockcat -U client uploads 64 MiB to socat UNIX-LISTEN" {
	need_cmd socat
	sockdir
	peer_bg peer socat -u "UNIX-LISTEN:$SOCKDIR/s" STDOUT
	wait_unix_listen "$SOCKDIR/s"
	run -0 io "$PAYLOAD" /dev/null sc -U "$SOCKDIR/s"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/peer.out"
}

@test "UNIX: sockcat -U client downloads 64 MiB from socat UNIX-LISTEN" {
	need_cmd socat
	local got=$BATS_TEST_TMPDIR/got
	sockdir
	PEER_IN=$PAYLOAD peer_bg peer socat -u STDIN "UNIX-LISTEN:$SOCKDIR/s"
	wait_unix_listen "$SOCKDIR/s"
	run -0 io /dev/null "$got" sc -U "$SOCKDIR/s"
	cmp "$PAYLOAD" "$got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

# --- IPv6 ---------------------------------------------------------------

@test "IPv6: 64 MiB each way at once between sockcat -l ::1 and a socat client" {
	need_cmd socat
	need_ipv6
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/up" $((64 * 1024 * 1024))
	SRV_IN=$PAYLOAD start_server srv -l ::1 0
	run -0 io "$d/up" "$d/down" peer socat -t 10 STDIO "TCP6:[::1]:$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$d/up" "$d/srv.out"
	cmp "$PAYLOAD" "$d/down"
}

@test "IPv6: sockcat client uploads 64 MiB to a socat TCP6-LISTEN on ::1" {
	need_cmd socat
	need_ipv6
	peer_bg peer socat -d -d -u "TCP6-LISTEN:0,bind=[::1]" STDOUT
	socat_port peer
	run -0 io "$PAYLOAD" /dev/null sc ::1 "$PEER_PORT"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/peer.out"
}

# --- half-close ---------------------------------------------------------

@test "half-close: sockcat client gets a socat responder's whole reply sent after our EOF" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/req" $((1024 * 1024))
	# The reply starts with the request's size, which the responder can
	# only know after our EOF, then 64 MiB.
	{ wc -c <"$d/req" && cat "$PAYLOAD"; } >"$d/want"
	# shellcheck disable=SC2016 # expanded by the responder's sh
	HC_REQ=$d/req.got peer_bg peer socat -d -d -t 10 TCP4-LISTEN:0,bind=127.0.0.1 \
		SYSTEM:'cat >"$HC_REQ"; wc -c <"$HC_REQ"; cat "$PAYLOAD"'
	socat_port peer
	run -0 io "$d/req" "$d/got" sc 127.0.0.1 "$PEER_PORT"
	cmp "$d/want" "$d/got"
	cmp "$d/req" "$d/req.got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

# half_close_server : sockcat -v -l on 127.0.0.1 (sets SRV_PID, SRV_PORT)
# whose stdout is a FIFO read into srv.got, and whose stdin is a FIFO that
# gets $PAYLOAD only once that stdout has been closed, i.e. only after
# sockcat has seen the client's EOF and written out the whole request
# (spec: peer EOF closes stdout). start_server cannot be used: the timeout
# process around sockcat would hold the stdout FIFO open too, so here a
# shell under timeout opens the FIFOs and execs sockcat.
half_close_server() {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/srv.in" "$d/srv.out"
	{ cat <"$d/srv.out" >"$d/srv.got" && cat "$PAYLOAD"; } >"$d/srv.in" 3>&- &
	track $!
	# shellcheck disable=SC2016 # expanded by that sh
	timeout -k 2 "$SC_TIMEOUT" sh -c 'exec "$@" <"$0.in" >"$0.out"' "$d/srv" \
		"$SOCKCAT" -v -l 127.0.0.1 0 </dev/null >/dev/null 2>"$d/srv.err" 3>&- &
	SRV_PID=$!
	track "$SRV_PID"
	wait_for "$d/srv.err" '^Listening on ' || return 1
	SRV_PORT=$(sed -En 's/^Listening on .* ([0-9]+)$/\1/p' "$d/srv.err" | head -n 1)
}

@test "half-close: socat client half-closes; sockcat -l replies after the whole request" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/req" $((1024 * 1024))
	half_close_server
	run -0 io "$d/req" "$d/got" peer socat -t 10 STDIO "TCP4:127.0.0.1:$SRV_PORT"
	cmp "$PAYLOAD" "$d/got"
	cmp "$d/req" "$d/srv.got"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

@test "half-close: nc -N client half-closes; sockcat -l replies after the whole request" {
	need_openbsd_nc
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/req" $((1024 * 1024))
	half_close_server
	run -0 io "$d/req" "$d/got" peer nc -N 127.0.0.1 "$SRV_PORT"
	cmp "$PAYLOAD" "$d/got"
	cmp "$d/req" "$d/srv.got"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

# --- ncat ---------------------------------------------------------------

@test "ncat: --send-only client uploads 64 MiB to sockcat -l" {
	need_cmd ncat
	start_server srv -l 127.0.0.1 0
	run -0 io "$PAYLOAD" /dev/null peer ncat --send-only 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/srv.out"
}

@test "ncat: --recv-only client downloads 64 MiB from sockcat -l" {
	need_cmd ncat
	local got=$BATS_TEST_TMPDIR/got
	SRV_IN=$PAYLOAD start_server srv -l 127.0.0.1 0
	run -0 io /dev/null "$got" peer ncat --recv-only 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$got"
}

@test "ncat: sockcat -U client uploads 64 MiB to ncat -l -U --recv-only" {
	need_cmd ncat
	sockdir
	peer_bg peer ncat -l -U --recv-only "$SOCKDIR/s"
	wait_unix_listen "$SOCKDIR/s"
	run -0 io "$PAYLOAD" /dev/null sc -U "$SOCKDIR/s"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/peer.out"
}

@test "ncat: sockcat -U client downloads 64 MiB from ncat -l -U --send-only" {
	need_cmd ncat
	local got=$BATS_TEST_TMPDIR/got
	sockdir
	PEER_IN=$PAYLOAD peer_bg peer ncat -l -U --send-only "$SOCKDIR/s"
	wait_unix_listen "$SOCKDIR/s"
	run -0 io /dev/null "$got" sc -U "$SOCKDIR/s"
	cmp "$PAYLOAD" "$got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}
