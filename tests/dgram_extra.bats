#!/usr/bin/env bats
# Message sockets (UDP, UNIX datagram, SEQPACKET), the rest: messages too
# long to send, the -k demultiplexer (--recv-info, message formats, byte
# counts, a child's environment, a child per peer), UNIX datagram peer
# credentials, descriptors and credentials passed over message sockets,
# other senders of a listener without -k (ignored, not refused) and its
# peer's ICMP errors, SEQPACKET truncation, the UDP client's wait for
# replies, --echo and --forward-unix over UNIX message sockets, UDP socket
# activation. (Two multicast groups: mcast.bats.)
#
# Independent peers are a small scripted python program
# (tests/fixtures/dgpeer.py), which records what it receives, so messages
# can be counted and compared exactly.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
	# a receiver of descriptors and credentials (SCM_RIGHTS, SO_PASSCRED)
	RX=$D/ancrx.py
	cat >"$RX" <<'EOF'
"""ancrx.py dgram|seqpacket PATH OUT : bind PATH (seqpacket: listen, accept
one), write "ready" to OUT.ready, receive one message and write to OUT:
"data TEXT", then "creds PID UID GID" and "fd CONTENTS" for what came."""
import array, os, socket, struct, sys
kind, path, out = sys.argv[1:4]
t = socket.SOCK_SEQPACKET if kind == "seqpacket" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_UNIX, t)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
if kind == "seqpacket":
    s.listen(1)
open(out + ".ready", "w").close()
s.settimeout(20)
c = s
if kind == "seqpacket":
    c, _ = s.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
c.settimeout(20)
msg, anc, flags, addr = c.recvmsg(1 << 16, socket.CMSG_SPACE(64) +
                                  socket.CMSG_SPACE(12))
lines = ["data %s" % msg.decode()]
for level, typ, d in anc:
    if typ == socket.SCM_RIGHTS:
        fds = array.array("i")
        fds.frombytes(d[:len(d) - len(d) % 4])
        for fd in fds:
            lines.append("fd %s" % os.read(fd, 1000).decode().strip())
            os.close(fd)
    elif typ == socket.SCM_CREDENTIALS:
        lines.append("creds %d %d %d" % struct.unpack("iII", d))
with open(out, "w") as f:
    f.write("\n".join(sorted(lines)) + "\n")
EOF
}

# bg NAME IN CMD... : CMD under timeout in the background, stdin from IN,
# output in $D/NAME.{out,err}; sets BG_PID (tracked).
bg() {
	local name=$1 in=$2
	shift 2
	timeout -k 2 "$SC_TIMEOUT" "$@" <"$in" >"$D/$name.out" 2>"$D/$name.err" 3>&- &
	BG_PID=$!
	track "$BG_PID"
}

# server NAME IN ARGS... : "sockcat -v ARGS" in the background (stdin from
# IN); waits for its Bound/Listening line; sets SRV_PID and, for UDP,
# SRV_PORT.
server() {
	local name=$1 in=$2
	shift 2
	bg "$name" "$in" "$SOCKCAT" -v "$@"
	SRV_PID=$BG_PID
	wait_for "$D/$name.err" '^(Bound|Listening) on ' || return 1
	SRV_PORT=$(sed -En 's/^(Bound|Listening) on .* ([0-9]+)$/\2/p' "$D/$name.err" | head -n 1)
}

# peer NAME ARGS... : dgpeer.py ARGS in the background with --portfile
# $D/NAME.port; waits until it is set up; sets PEER_PID (tracked),
# PEER_PORT (UDP) and PEER_PYPID (the python process's own pid).
dgpeer() {
	local name=$1
	shift
	bg "$name" /dev/null python3 "$SC_FIXTURES/dgpeer.py" --portfile "$D/$name.port" "$@"
	PEER_PID=$BG_PID
	wait_exists "$D/$name.port"
	PEER_PORT=$(cat "$D/$name.port")
	PEER_PYPID=$(cat "$D/$name.port.pid")
}

# peer_ok PID : the peer exited 0.
peer_ok() {
	wait_exit "$1"
	((WAIT_STATUS == 0)) || fail "peer exited $WAIT_STATUS"
}

# line_of N CHAR : a line of N times CHAR, then a newline.
line_of() {
	head -c "$1" /dev/zero | tr '\0' "$2"
	printf '\n'
}

# --- messages too long --------------------------------------------------------

@test "UDP client: a line or len32 frame longer than 65507 bytes is an error (exit 1), not dropped or hung" {
	{ printf 'x\n'; line_of 65508 a; printf 'zz\n'; } >"$D/line.in"
	{ be32 1; printf y; be32 70000; head -c 70000 /dev/zero; be32 2; printf zz; } >"$D/len32.in"
	dgpeer p --udp 127.0.0.1 recv:"$D/got" recv:"$D/got" wait:"$D/done" drain:"$D/extra"
	# -q would wait for stdin's EOF, which the client reached: it must
	# end with the error at once, not after a timeout
	SC_TIMEOUT=10 run -1 --separate-stderr sc -u -q 5 --framing line \
		127.0.0.1 "$PEER_PORT" <"$D/line.in"
	assert_equal "$stderr" "sockcat: send to 127.0.0.1 port $PEER_PORT (udp): Message too long (more than 65507 bytes)"
	# -w: the idle timeout does not turn the error into exit 0
	SC_TIMEOUT=10 run -1 --separate-stderr sc -u -w 300ms --framing len32 \
		127.0.0.1 "$PEER_PORT" <"$D/len32.in"
	assert_equal "$stderr" "sockcat: send to 127.0.0.1 port $PEER_PORT (udp): Message too long (70000 bytes)"
	touch "$D/done"
	peer_ok "$PEER_PID"
	# what came before the long message was sent, nothing after it
	assert_equal "$(cat "$D/got.len")" $'1\n1'
	assert_equal "$(cat "$D/got")" xy
	assert_equal "$(cat "$D/extra")" ""
}

@test "UNIX datagram and SEQPACKET clients: a 500000-byte line is 'Message too long (500000 bytes)', exit 1, with -q or -w" {
	local t n w
	local -a T
	sockdir
	{ printf 'x\n'; line_of 500000 a; printf 'zz\n'; } >"$D/in"
	for t in dgram seqpacket; do
		if [[ $t == dgram ]]; then T=(--unix-dgram); else T=(-U --seqpacket); fi
		server "srv-$t" /dev/null -k -l "${T[@]}" "$SOCKDIR/$t"
		# -q waits for stdin's end, -w for an idle time: neither
		# turns the error into exit 0
		n=0
		for w in "-q 5" "-w 300ms"; do
			# shellcheck disable=SC2086
			SC_TIMEOUT=10 run -1 --separate-stderr sc $w --framing line \
				"${T[@]}" "$SOCKDIR/$t" <"$D/in"
			assert_equal "$stderr" "sockcat: send to $SOCKDIR/$t (unix-$t): Message too long (500000 bytes)"
			n=$((n + 1))
			wait_until 10 has_size "$D/srv-$t.out" "$n"
		done
		assert_equal "$(cat "$D/srv-$t.out")" xx
	done
}

@test "UDP listener without -k: a line too long for its peer is an error, exit 1" {
	{ printf 'ok\n'; line_of 65508 a; printf 'zz\n'; } >"$D/in"
	server srv "$D/in" -u -l --framing line 127.0.0.1 0
	dgpeer p --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" send:hi recv:"$D/got" \
		wait:"$D/done" drain:"$D/extra"
	wait_exit "$SRV_PID"
	assert_equal "$WAIT_STATUS" 1
	grep -qxF "sockcat: send to 127.0.0.1 port $PEER_PORT (udp): Message too long (more than 65507 bytes)" "$D/srv.err"
	touch "$D/done"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/got")" ok
	assert_equal "$(cat "$D/extra")" ""
	# the session ends at the failed send: "hi" may not have been read
	# yet, but what was read was written
	[[ $(cat "$D/srv.out") == @(|hi) ]]
}

@test "-u -k with stdin/stdout: a line too long is reported and dropped, the next one goes, the server goes on" {
	feeder_start "$D/in"
	server srv "$D/in" -u -k -l --framing line 127.0.0.1 0
	dgpeer p --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" send:hi recv:"$D/got" \
		wait:"$D/done" drain:"$D/extra"
	wait_for "$D/srv.out" '^hi$'
	line_of 65508 a >"$D/long"
	feed_file "$D/long"
	feed 'after\n'
	wait_exists "$D/got.len"
	assert_equal "$(cat "$D/got")" after
	grep -qxF "sockcat: send to 127.0.0.1 port $PEER_PORT (udp): Message too long (more than 65507 bytes)" "$D/srv.err"
	touch "$D/done"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/extra")" ""
	kill -0 "$SRV_PID"
	feed_eof
}

@test "-k --echo on UNIX datagrams: an echo too long for the socket ends that peer's connection only" {
	local size
	sockdir
	size=$(($(cat /proc/sys/net/core/wmem_default) + 1000))
	((size <= 1048576)) || skip "wmem_default is above --recv-size's limit"
	head -c "$size" /dev/urandom >"$D/big"
	server srv /dev/null -k -l --unix-dgram --echo --recv-size 1048576 "$SOCKDIR/s"
	dgpeer a --dgram "$SOCKDIR/a" --to "$SOCKDIR/s" sndbuf:4194304 \
		sendfile:"$D/big" wait:"$D/done" drain:"$D/a.extra"
	local apid=$PEER_PID
	wait_for "$D/srv.err" "^sockcat: send to $SOCKDIR/a \\(unix-dgram\\): "
	grep -qxF "sockcat: send to $SOCKDIR/a (unix-dgram): Message too long ($size bytes)" "$D/srv.err"
	wait_for "$D/srv.err" "^Connection closed on $SOCKDIR/a\$"
	# the server goes on: another peer gets its echo
	dgpeer b --dgram "$SOCKDIR/b" --to "$SOCKDIR/s" send:hello recv:"$D/b.got"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/b.got")" hello
	touch "$D/done"
	peer_ok "$apid"
	assert_equal "$(cat "$D/a.extra")" ""
	kill -0 "$SRV_PID"
}

@test "an error already recorded is not turned into exit 0 by the idle timeout (-w)" {
	feeder_start "$D/in"
	dgpeer p --udp 127.0.0.1 recv:"$D/got" reply:x wait:"$D/done"
	local cli
	# stdout is /dev/full: writing the reply fails; stdin stays open
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -u -w 300ms 127.0.0.1 "$PEER_PORT" \
		<"$D/in" >/dev/full 2>"$D/cli.err" 3>&- &
	cli=$!
	track "$cli"
	feed hello
	wait_exit "$cli"
	assert_equal "$WAIT_STATUS" 1
	assert_equal "$(cat "$D/cli.err")" "sockcat: write to stdout: No space left on device"
	touch "$D/done"
}

# --- the -k demultiplexer: --recv-info, message formats, counts ----------------

@test "-u -k --echo --recv-info: each datagram reported with its sender 'ADDR PORT' and destination, echoed to its sender" {
	local aport bport apid
	server srv /dev/null -u -k -l --echo --recv-info 127.0.0.1 0
	dgpeer a --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" send:one \
		recv:"$D/a.got" send:three recv:"$D/a.got"
	aport=$PEER_PORT apid=$PEER_PID
	dgpeer b --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" send:four \
		recv:"$D/b.got"
	bport=$PEER_PORT
	peer_ok "$apid"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/a.got")" onethree
	assert_equal "$(cat "$D/b.got")" four
	local at='to 127\.0\.0\.1 ttl [0-9]+ at [0-9]+\.[0-9]{9}$'
	assert_equal "$(count_re "$D/srv.err" "^Received 3 bytes from 127\\.0\\.0\\.1 $aport $at")" 1
	assert_equal "$(count_re "$D/srv.err" "^Received 5 bytes from 127\\.0\\.0\\.1 $aport $at")" 1
	assert_equal "$(count_re "$D/srv.err" "^Received 4 bytes from 127\\.0\\.0\\.1 $bport $at")" 1
	assert_equal "$(count_re "$D/srv.err" '^Received ')" 3
	# -v: one "Connection received on ADDR PORT" per peer, nothing else
	# names a peer another way
	assert_equal "$(count_re "$D/srv.err" "^Connection received on 127\\.0\\.0\\.1 $aport\$")" 1
	assert_equal "$(count_re "$D/srv.err" "^Connection received on 127\\.0\\.0\\.1 $bport\$")" 1
	assert_equal "$(count_re "$D/srv.err" '^Connection received on ')" 2
	assert_equal "$(count_re "$D/srv.err" 'port [0-9]|:[0-9]+$')" 0
	assert_equal "$(wc -c <"$D/srv.out")" 0
}

# sig_stop PID : SIGTERM to the timeout wrapper PID (it passes it on),
# then wait for it; WAIT_STATUS is sockcat's (143).
sig_stop() {
	kill -TERM "$1"
	wait_exit "$1"
}

@test "--echo -vv on UDP and UNIX datagram -k servers: the closed lines count payload bytes, also at a signal" {
	sockdir
	server u /dev/null -vv -u -k -l --echo 127.0.0.1 0
	dgpeer a --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" send:one send: \
		send:three recv:"$D/a.got" recv:"$D/a.got" recv:"$D/a.got"
	local aport=$PEER_PORT upid=$SRV_PID
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/a.got.len")" $'3\n0\n5'
	server d /dev/null -vv -k -l --unix-dgram --echo "$SOCKDIR/s"
	dgpeer b --dgram "$SOCKDIR/b" --to "$SOCKDIR/s" send:hello send: \
		recv:"$D/b.got" recv:"$D/b.got"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/b.got.len")" $'5\n0'
	sig_stop "$upid"
	assert_equal "$WAIT_STATUS" 143
	sig_stop "$SRV_PID"
	assert_equal "$WAIT_STATUS" 143
	grep -qxF "Connection closed on 127.0.0.1 $aport, 8 bytes received, 8 bytes sent" "$D/u.err"
	grep -qxF "Connection closed on $SOCKDIR/b, 5 bytes received, 5 bytes sent" "$D/d.err"
}

@test "--echo -vv over SEQPACKET: the closed line counts payload bytes" {
	sockdir
	server srv /dev/null -vv -k -l -U --seqpacket --echo "$SOCKDIR/s"
	dgpeer p --seqpacket "$SOCKDIR/s" send:one send:three recv:"$D/got" recv:"$D/got"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/got.len")" $'3\n5'
	wait_for "$D/srv.err" '^Connection closed on '
	run -0 grep '^Connection closed on ' "$D/srv.err"
	assert_output --regexp '^Connection closed on .*, 8 bytes received, 8 bytes sent$'
}

# --- children of message servers ------------------------------------------------

@test "-u -k -e on 0.0.0.0: each child's SOCKCAT_LOCAL_ADDR is the datagram's destination, LOCAL_PORT the server's" {
	# one printf: one write, one datagram
	cat >"$D/env.sh" <<'SH'
#!/bin/sh
printf '%s|%s|%s|%s|%s\n' "$SOCKCAT_PROTO" "$SOCKCAT_REMOTE_ADDR" \
	"$SOCKCAT_REMOTE_PORT" "$SOCKCAT_LOCAL_ADDR" "$SOCKCAT_LOCAL_PORT"
SH
	chmod +x "$D/env.sh"
	server srv /dev/null -u -k -l -e "$D/env.sh" 0.0.0.0 0
	grep -qx "Bound on 0\\.0\\.0\\.0 $SRV_PORT" "$D/srv.err"
	dgpeer a --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" send:x recv:"$D/a.got"
	local aport=$PEER_PORT apid=$PEER_PID
	dgpeer b --udp 127.0.0.1 --to 127.0.0.2:"$SRV_PORT" send:y recv:"$D/b.got"
	peer_ok "$apid"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/a.got")" "udp|127.0.0.1|$aport|127.0.0.1|$SRV_PORT"
	assert_equal "$(cat "$D/b.got")" "udp|127.0.0.1|$PEER_PORT|127.0.0.2|$SRV_PORT"
}

@test "unix-dgram -k -c: the child's environment has both paths and the sender's credentials; -v shows them" {
	sockdir
	# shellcheck disable=SC2016
	server srv /dev/null -k -l --unix-dgram -c 'printf "%s|%s|%s|%s|%s|%s|%s\n" "$SOCKCAT_PROTO" "$SOCKCAT_REMOTE_ADDR" "$SOCKCAT_LOCAL_ADDR" "$SOCKCAT_PEER_PID" "$SOCKCAT_PEER_UID" "$SOCKCAT_PEER_GID" "${SOCKCAT_LOCAL_PORT-none}"' "$SOCKDIR/s"
	dgpeer a --dgram "$SOCKDIR/a" --to "$SOCKDIR/s" send:x recv:"$D/a.got"
	peer_ok "$PEER_PID"
	local ids
	ids="$PEER_PYPID|$(id -u)|$(id -g)"
	assert_equal "$(cat "$D/a.got")" "unix-dgram|$SOCKDIR/a|$SOCKDIR/s|$ids|none"
	run -0 grep -A1 '^Connection received on ' "$D/srv.err"
	assert_output "Connection received on $SOCKDIR/a
Peer credentials: pid $PEER_PYPID, uid $(id -u), gid $(id -g)"
}

@test "unix-dgram listener without -k: -v reports the first sender's credentials (SCM_CREDENTIALS)" {
	sockdir
	server srv /dev/null -l --unix-dgram "$SOCKDIR/s"
	dgpeer a --dgram "$SOCKDIR/a" --to "$SOCKDIR/s" send:hello
	peer_ok "$PEER_PID"
	wait_for "$D/srv.err" '^Peer credentials: '
	run -0 grep -A1 '^Connection received on ' "$D/srv.err"
	assert_output "Connection received on $SOCKDIR/a
Peer credentials: pid $PEER_PYPID, uid $(id -u), gid $(id -g)"
	wait_until 10 has_size "$D/srv.out" 5
	assert_equal "$(cat "$D/srv.out")" hello
}

@test "-u -k -e per peer: 5 peers at once, each served by its own child, and only by it" {
	local i pids=() ports=() got child=() want
	# each reply names the child's port and pid; the peer waits for it
	# before it sends again, so replies never run together
	cat >"$D/child.sh" <<'SH'
#!/bin/sh
while read -r l; do echo "$SOCKCAT_REMOTE_PORT $$ $l"; done
SH
	chmod +x "$D/child.sh"
	server srv /dev/null -u -k -l -e "$D/child.sh" 127.0.0.1 0
	for i in 1 2 3 4 5; do
		dgpeer "p$i" --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" \
			send:"msg-$i"$'\n' recv:"$D/p$i.got" \
			send:"again-$i"$'\n' recv:"$D/p$i.got"
		pids+=("$PEER_PID")
		ports+=("$PEER_PORT")
	done
	for i in 1 2 3 4 5; do
		peer_ok "${pids[i - 1]}"
		got=$(cat "$D/p$i.got")
		child[i]=$(sed -n '1s/^[0-9]* \([0-9]*\) .*/\1/p' "$D/p$i.got")
		want="${ports[i - 1]} ${child[i]} msg-$i"$'\n'"${ports[i - 1]} ${child[i]} again-$i"
		assert_equal "$got" "$want"
	done
	# five different children
	assert_equal "$(printf '%s\n' "${child[@]}" | sort -u | grep -c .)" 5
	assert_equal "$(count_re "$D/srv.err" '^Connection received on 127\.0\.0\.1 [0-9]+$')" 5
}

# --- descriptors and credentials over message sockets ----------------------------

# sc_pid_bg NAME IN PIDFILE ARGS... : sockcat ARGS in the background like
# bg, with its own pid (not timeout's) in PIDFILE.
sc_pid_bg() {
	local name=$1 in=$2 pidfile=$3
	shift 3
	# shellcheck disable=SC2016
	bg "$name" "$in" bash -c 'echo $$ >"$0.tmp"; mv "$0.tmp" "$0"; exec "$@"' \
		"$pidfile" "$SOCKCAT" "$@"
}

@test "sockcat to sockcat over SEQPACKET and UNIX datagram: --send-fd/--send-creds to --recv-fd-out/--recv-creds" {
	local t cpid
	local -a T
	sockdir
	make_payload "$D/file" 3000
	printf 'hello\n' >"$D/in"
	for t in seqpacket dgram; do
		if [[ $t == dgram ]]; then T=(--unix-dgram); else T=(-U --seqpacket); fi
		server "srv-$t" /dev/null -l --recv-fd-out "$D/copy-$t" --recv-creds \
			"${T[@]}" "$SOCKDIR/$t"
		local spid=$SRV_PID
		sc_pid_bg "cli-$t" "$D/in" "$D/cli-$t.pid" -q 0 --send-fd "$D/file" \
			--send-creds "${T[@]}" "$SOCKDIR/$t"
		wait_exit "$BG_PID"
		assert_equal "$WAIT_STATUS" 0
		cpid=$(cat "$D/cli-$t.pid")
		wait_until 10 has_size "$D/srv-$t.out" 6
		wait_until 10 has_size "$D/copy-$t" 3000
		wait_for "$D/srv-$t.err" '^Credentials: '
		if [[ $t == seqpacket ]]; then
			wait_exit "$spid"	# the client's EOF ends it
			assert_equal "$WAIT_STATUS" 0
		fi
		cmp "$D/in" "$D/srv-$t.out"
		cmp "$D/file" "$D/copy-$t"
		grep -qxF "Received descriptor: regular file $D/file" "$D/srv-$t.err"
		assert_equal "$(count_re "$D/srv-$t.err" '^Received descriptor: ')" 1
		grep -qxF "Credentials: pid $cpid, uid $(id -u), gid $(id -g)" "$D/srv-$t.err"
	done
}

@test "--send-fd over SEQPACKET and UNIX datagram: a python receiver reads the file through the descriptor" {
	local t
	local -a T
	sockdir
	printf 'the secret 42\n' >"$D/file"
	printf hello >"$D/hello"
	for t in seqpacket dgram; do
		if [[ $t == dgram ]]; then T=(--unix-dgram); else T=(-U --seqpacket); fi
		bg "rx-$t" /dev/null python3 "$RX" "$t" "$SOCKDIR/$t" "$D/rx-$t"
		local rpid=$BG_PID
		wait_exists "$D/rx-$t.ready"
		SC_TIMEOUT=10 run -0 sc -q 0 --send-fd "$D/file" \
			"${T[@]}" "$SOCKDIR/$t" <"$D/hello"
		peer_ok "$rpid"
		run -0 grep -v '^creds ' "$D/rx-$t"
		assert_output $'data hello\nfd the secret 42'
	done
}

@test "a python sender's descriptor and credentials over SEQPACKET and UNIX datagram: --recv-fd-out copies, --recv-creds names it" {
	local t
	sockdir
	printf 'passed along\n' >"$D/file"
	for t in seqpacket dgram; do
		if [[ $t == dgram ]]; then
			server "srv-$t" /dev/null -l --unix-dgram --recv-fd-out \
				"$D/copy-$t" --recv-creds "$SOCKDIR/$t"
			dgpeer "p-$t" --dgram - --to "$SOCKDIR/$t" \
				sendfd:"$D/file":"msg $t"
		else
			server "srv-$t" /dev/null -l -U --seqpacket --recv-fd-out \
				"$D/copy-$t" --recv-creds "$SOCKDIR/$t"
			dgpeer "p-$t" --seqpacket "$SOCKDIR/$t" \
				sendfd:"$D/file":"msg $t"
		fi
		peer_ok "$PEER_PID"
		wait_until 10 has_size "$D/copy-$t" 13
		wait_for "$D/srv-$t.err" '^Credentials: '
		cmp "$D/file" "$D/copy-$t"
		assert_equal "$(cat "$D/srv-$t.out")" "msg $t"
		grep -qxF "Received descriptor: regular file $D/file" "$D/srv-$t.err"
		grep -qxF "Credentials: pid $PEER_PYPID, uid $(id -u), gid $(id -g)" "$D/srv-$t.err"
	done
}

# --- a listener without -k, truncation, the client's wait -------------------------

@test "unix-dgram listener without -k: a second sender is ignored (its sends succeed, -vv says so), the first is served" {
	sockdir
	feeder_start "$D/in"
	server srv "$D/in" -vv -l --unix-dgram --framing line "$SOCKDIR/s"
	dgpeer a --dgram "$SOCKDIR/a" --to "$SOCKDIR/s" send:one mark:"$D/a.1" \
		wait:"$D/b.done" send:three recv:"$D/a.got"
	local apid=$PEER_PID
	wait_for "$D/srv.err" "^Connection received on $SOCKDIR/a\$"
	# b's sends must not fail with EPERM (as they would if the listener
	# were connected to a): the peer would exit 1
	dgpeer b --dgram "$SOCKDIR/b" --to "$SOCKDIR/s" send:two send:two-again \
		mark:"$D/b.done" wait:"$D/done" drain:"$D/b.extra"
	local bpid=$PEER_PID
	wait_for "$D/srv.out" '^three$'
	feed 'to a\n'
	peer_ok "$apid"
	assert_equal "$(cat "$D/a.got")" "to a"
	touch "$D/done"
	peer_ok "$bpid"
	assert_equal "$(cat "$D/b.extra")" ""
	printf 'one\nthree\n' | cmp - "$D/srv.out"
	grep -qxF "Ignored 3 bytes from $SOCKDIR/b (not the peer)" "$D/srv.err"
	grep -qxF "Ignored 9 bytes from $SOCKDIR/b (not the peer)" "$D/srv.err"
	assert_equal "$(count_re "$D/srv.err" '^Connection received on ')" 1
	kill -0 "$SRV_PID"
}

@test "SEQPACKET: the truncation warning names the peer's address" {
	sockdir
	head -c 1400 /dev/urandom >"$D/msg"
	server srv /dev/null -l -U --seqpacket --recv-size 100 "$SOCKDIR/s"
	cat >"$D/py.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.connect(sys.argv[2])
s.send(open(sys.argv[3], "rb").read())
s.shutdown(socket.SHUT_WR)
s.settimeout(20)
s.recv(10)
PY
	peer_bg py python3 "$D/py.py" "$SOCKDIR/c" "$SOCKDIR/s" "$D/msg"
	wait_exit "$SRV_PID"
	assert_equal "$WAIT_STATUS" 0
	peer_ok "$PEER_PID"
	grep -qxF "sockcat: message from $SOCKDIR/c truncated: 1400 bytes, receive buffer 100 (--recv-size)" "$D/srv.err"
	head -c 100 "$D/msg" | cmp - "$D/srv.out"
}

@test "UDP client: the wait for replies restarts at each one; a reply stream longer than the idle time is printed whole" {
	local i acts=()
	printf 'go' >"$D/q"
	# r1..r7: each sent once the client has printed the one before, then
	# 0.5s later; the stream lasts 3s or more, beyond the 2s default
	acts=(recv:"$D/got" reply:r1)
	for i in 2 3 4 5 6 7; do
		acts+=(waitsize:"$D/cli.out":$((2 * (i - 1))) pause:0.5 reply:"r$i")
	done
	dgpeer p --udp 127.0.0.1 "${acts[@]}"
	bg cli "$D/q" "$SOCKCAT" -u 127.0.0.1 "$PEER_PORT"
	local cli=$BG_PID
	peer_ok "$PEER_PID"
	wait_exit "$cli"
	assert_equal "$WAIT_STATUS" 0
	assert_equal "$(cat "$D/cli.out")" r1r2r3r4r5r6r7
	assert_equal "$(cat "$D/got")" go
}

# --- --echo and --forward-unix over UNIX message sockets, UDP activation ----------

@test "unix-dgram -k --echo: two senders each get exactly their own messages back, empty ones too" {
	sockdir
	server srv /dev/null -k -l --unix-dgram --echo "$SOCKDIR/s"
	dgpeer a --dgram "$SOCKDIR/a" --to "$SOCKDIR/s" send:one send: send:three \
		recv:"$D/a.got" recv:"$D/a.got" recv:"$D/a.got" wait:"$D/done" drain:"$D/a.extra"
	local apid=$PEER_PID
	dgpeer b --dgram "$SOCKDIR/b" --to "$SOCKDIR/s" send:bee \
		recv:"$D/b.got" wait:"$D/done" drain:"$D/b.extra"
	wait_exists "$D/a.got.len"
	wait_until 10 grep -qx 5 "$D/a.got.len"
	wait_exists "$D/b.got.len"
	touch "$D/done"
	peer_ok "$apid"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/a.got.len")" $'3\n0\n5'
	assert_equal "$(cat "$D/a.got")" onethree
	assert_equal "$(cat "$D/b.got")" bee
	assert_equal "$(cat "$D/a.extra" "$D/b.extra")" ""
	assert_equal "$(count_re "$D/srv.err" '^Connection received on ')" 2
}

@test "unix-dgram -k --echo: an unbound sender's messages get one warning and no connection; a bound one is still served" {
	sockdir
	server srv /dev/null -k -l --unix-dgram --echo "$SOCKDIR/s"
	dgpeer u --dgram - --to "$SOCKDIR/s" send:one send: send:three mark:"$D/usent"
	local upid=$PEER_PID
	wait_exists "$D/usent"
	peer_ok "$upid"
	dgpeer b --dgram "$SOCKDIR/b" --to "$SOCKDIR/s" send:bee recv:"$D/b.got"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/b.got")" bee
	assert_equal "$(count_re "$D/srv.err" '^sockcat: messages from an unbound UNIX socket cannot be answered$')" 1
	assert_equal "$(count_re "$D/srv.err" '^Connection received on ')" 1
	kill -0 "$SRV_PID"
}

@test "--forward-unix from a UNIX datagram or SEQPACKET listener to a target of the same kind, boundaries kept" {
	sockdir
	server tq /dev/null -k -l -U --seqpacket --echo "$SOCKDIR/tq"
	server fq /dev/null -k -l -U --seqpacket --forward-unix "$SOCKDIR/tq" "$SOCKDIR/fq"
	dgpeer q --seqpacket "$SOCKDIR/fq" send:one send: send:three \
		recv:"$D/q.got" recv:"$D/q.got" recv:"$D/q.got"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/q.got.len")" $'3\n0\n5'
	assert_equal "$(cat "$D/q.got")" onethree
	server td /dev/null -k -l --unix-dgram --echo "$SOCKDIR/td"
	server fd /dev/null -k -l --unix-dgram --forward-unix "$SOCKDIR/td" "$SOCKDIR/fd"
	dgpeer d --dgram "$SOCKDIR/d" --to "$SOCKDIR/fd" send:four send:five \
		recv:"$D/d.got" recv:"$D/d.got"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/d.got.len")" $'4\n4'
	assert_equal "$(cat "$D/d.got")" fourfive
	grep -qx "Connection received on $SOCKDIR/d" "$D/fd.err"
}

@test "--forward-unix from a TCP listener to a SEQPACKET socket: the client is closed with the kernel's reason, the forwarder goes on" {
	sockdir
	server tq /dev/null -k -l -U --seqpacket --echo "$SOCKDIR/tq"
	server fw /dev/null -k -l --forward-unix "$SOCKDIR/tq" 127.0.0.1 0
	local i
	# (no data sent: the forwarder's close is a plain end of file)
	for i in 1 2; do
		SC_TIMEOUT=10 run -0 --separate-stderr sc 127.0.0.1 "$SRV_PORT" </dev/null
		assert_output ""
	done
	assert_equal "$(count_re "$D/fw.err" "^sockcat: connect to $SOCKDIR/tq \\(unix\\): Protocol wrong type for socket\$")" 2
	kill -0 "$SRV_PID"
}

@test "UDP socket activation: LISTEN_FDS hands -l -u -k --echo its bound socket on fd 3" {
	cat >"$D/act.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
    s.close()
os.set_inheritable(3, True)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
PY
	bg srv /dev/null python3 "$D/act.py" "$D/port" "$SOCKCAT" -v -l -k -u --echo
	local spid=$BG_PID port
	wait_exists "$D/port"
	port=$(cat "$D/port")
	wait_for "$D/srv.err" "^Bound on 127\\.0\\.0\\.1 $port\$"
	dgpeer a --udp 127.0.0.1 --to 127.0.0.1:"$port" send:alpha recv:"$D/a.got"
	local apid=$PEER_PID
	dgpeer b --udp 127.0.0.1 --to 127.0.0.1:"$port" send:beta recv:"$D/b.got"
	peer_ok "$apid"
	peer_ok "$PEER_PID"
	assert_equal "$(cat "$D/a.got")" alpha
	assert_equal "$(cat "$D/b.got")" beta
	assert_equal "$(count_re "$D/srv.err" '^Connection received on 127\.0\.0\.1 ')" 2
	kill -0 "$spid"
}

@test "UDP listener without -k, connected to its peer, hears its ICMP port unreachable: exit 4" {
	feeder_start "$D/in"
	server srv "$D/in" -u -l 127.0.0.1 0
	dgpeer p --udp 127.0.0.1 --to 127.0.0.1:"$SRV_PORT" send:hi
	peer_ok "$PEER_PID"	# its socket is closed: the port is unreachable
	wait_until 10 has_size "$D/srv.out" 2
	feed 'anyone there?\n'
	wait_exit "$SRV_PID"
	assert_equal "$WAIT_STATUS" 4
	grep -qxF "sockcat: recv from 127.0.0.1 port $PEER_PORT (udp): Connection refused" "$D/srv.err"
}
