#!/usr/bin/env bats
# UDP: message boundaries in every framing, both ways; truncation; ICMP
# refusal; the client's wait for replies; the listener with and without
# -k; -v/-vv/--recv-info lines; broadcast; --port-file; usage errors.
#
# Independent senders and receivers are a small scripted UDP peer
# (tests/fixtures/dgpeer.py), which records each datagram it receives and
# its length, so datagrams can be counted exactly.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
	HELD_FDS=()
	GEN=$D/genmsgs.py
	cat >"$GEN" <<'EOF'
"""genmsgs.py FRAMING PREFIX SIZE... : one random message per SIZE.

PREFIX.N      message N alone (N from 1)
PREFIX.N.f    message N in FRAMING (raw: as it is)
PREFIX.framed the messages in FRAMING (raw: just concatenated); it is
              both what stdin is given and what the receiver must print
PREFIX.sizes  the sizes, one a line
Line messages contain no newline, nul messages no NUL byte."""
import os, struct, sys

framing, prefix, sizes = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3:]]
framed = bytearray()
for i, n in enumerate(sizes, 1):
    m = os.urandom(n)
    if framing == "line":
        m = m.replace(b"\n", b"L")
    elif framing == "nul":
        m = m.replace(b"\0", b"Z")
    if framing == "raw":
        fm = m
    elif framing == "line":
        fm = m + b"\n"
    elif framing == "nul":
        fm = m + b"\0"
    elif framing == "len32":
        fm = struct.pack(">I", n) + m
    else:
        sys.exit("unknown framing " + framing)
    with open("%s.%d" % (prefix, i), "wb") as f:
        f.write(m)
    with open("%s.%d.f" % (prefix, i), "wb") as f:
        f.write(fm)
    framed += fm
with open(prefix + ".framed", "wb") as f:
    f.write(framed)
with open(prefix + ".sizes", "w") as f:
    f.write("".join("%d\n" % n for n in sizes))
EOF
}

# --- helpers (local to this file) -------------------------------------------

# spawn IN OUT ERR CMD... : run CMD under timeout in the background, tracked,
# with the FIFO writers this test holds closed in the child (so closing them
# in the test is an EOF for their reader); sets SPAWN_PID.
spawn() {
	local in=$1 out=$2 err=$3
	shift 3
	(
		for fd in "${HELD_FDS[@]}"; do
			exec {fd}>&-
		done
		exec timeout -k 2 "$SC_TIMEOUT" "$@" <"$in" >"$out" 2>"$err"
	) 3>&- &
	SPAWN_PID=$!
	track "$SPAWN_PID"
}

# hold VAR FIFO : open FIFO for writing (after its reader was spawned) and
# keep it open; the descriptor goes in VAR.
hold() {
	local fd
	exec {fd}>"$2"
	printf -v "$1" '%s' "$fd"
	HELD_FDS+=("$fd")
}

# release FD : close a held FIFO writer: EOF for its reader.
release() {
	local i fd=$1
	exec {fd}>&-
	for i in "${!HELD_FDS[@]}"; do
		[[ ${HELD_FDS[$i]} == "$1" ]] && unset 'HELD_FDS[i]'
	done
	return 0
}

# udp_server NAME ARGS... : "sockcat -v ARGS" in the background with stdin on
# the FIFO $D/NAME.in held by the test (fd in SRV_W), stdout in $D/NAME.out,
# stderr in $D/NAME.err; waits for "Bound on"; sets SRV_PID and SRV_PORT.
udp_server() {
	local name=$1
	shift
	mkfifo "$D/$name.in"
	spawn "$D/$name.in" "$D/$name.out" "$D/$name.err" "$SOCKCAT" -v "$@"
	SRV_PID=$SPAWN_PID
	hold SRV_W "$D/$name.in"
	wait_for "$D/$name.err" '^Bound on ' || return 1
	SRV_PORT=$(sed -En 's/^Bound on .* ([0-9]+)$/\1/p' "$D/$name.err" | head -n 1)
}

# udp_client NAME ARGS... : "sockcat ARGS" in the background with stdin on
# the held FIFO $D/NAME.in (fd in CLI_W); sets CLI_PID.
udp_client() {
	local name=$1
	shift
	mkfifo "$D/$name.in"
	spawn "$D/$name.in" "$D/$name.out" "$D/$name.err" "$SOCKCAT" "$@"
	CLI_PID=$SPAWN_PID
	hold CLI_W "$D/$name.in"
}

# udp_peer NAME [--bind ADDR] [--to HOST:PORT] ACTIONS... : the scripted
# UDP peer (tests/fixtures/dgpeer.py, SO_RCVBUF 1 MiB), output files under
# $D/NAME.*; waits until it is bound; sets PEER_PID and PEER_PORT.
udp_peer() {
	local name=$1
	shift
	spawn /dev/null "$D/$name.out" "$D/$name.err" \
		python3 "$SC_FIXTURES/dgpeer.py" --rcvbuf 1048576 --portfile "$D/$name.port" "$@"
	PEER_PID=$SPAWN_PID
	wait_for "$D/$name.port" '^[0-9]+$' || return 1
	PEER_PORT=$(cat "$D/$name.port")
}

# size_ge FILE N : FILE exists and holds at least N bytes.
size_ge() {
	[[ -e $1 ]] && (($(stat -c %s "$1") >= $2))
}

# lines_ge FILE N : FILE has at least N lines matching the extended REGEX $3.
lines_ge() {
	(($(grep -Ec -- "$3" "$1" 2>/dev/null) >= $2))
}

# feed FRAMING FD PREFIX OUTFILE [payload] : write the messages PREFIX.*
# (made by genmsgs.py) in FRAMING to the held descriptor FD, and return
# once OUTFILE (the receiver's output) holds them all. OUTFILE counts the
# framed bytes (a sockcat receiver), or with "payload" the bare payloads
# (the python peer).
# For raw framing each message is one write, and the next is written only
# once OUTFILE has grown by it, so that each is one read of sockcat's
# stdin. Other framings write several small frames at once (sockcat must
# cut them), but wait after every 8 KiB or so: UDP drops what overflows
# the receiver's socket buffer, and three 65507-byte datagrams at once can
# (over ::1 they are fragmented, which makes them bigger still).
feed() {
	local framing=$1 fd=$2 prefix=$3 outfile=$4 count=${5:-framed}
	local i=1 n batch=() batched=0 want=0
	while read -r n; do
		batch+=("$prefix.$i.f")
		batched=$((batched + n))
		if [[ $count == payload ]]; then
			want=$((want + n))
		else
			want=$((want + $(stat -c %s "$prefix.$i.f")))
		fi
		i=$((i + 1))
		if [[ $framing == raw ]] || ((batched >= 8192)); then
			cat "${batch[@]}" >&"$fd"
			wait_until 10 size_ge "$outfile" "$want" || return 1
			batch=()
			batched=0
		fi
	done <"$prefix.sizes"
	if ((${#batch[@]} > 0)); then
		cat "${batch[@]}" >&"$fd"
		wait_until 10 size_ge "$outfile" "$want" || return 1
	fi
	return 0
}

# received_lines ERRFILE : the -vv "Received N bytes from A P" lines.
received_lines() {
	grep -E '^Received [0-9]+ bytes from ' "$1" || true
}

# expected_received SIZES ADDR PORT : those lines as they must be.
expected_received() {
	local n
	while read -r n; do
		printf 'Received %s bytes from %s %s\n' "$n" "$2" "$3"
	done <"$1"
}

# boundaries_both_ways FRAMING ADDR SIZE... : a listener and a client, both
# with --framing FRAMING and -vv, on ADDR. The client's stdin sends the
# messages to the listener, then the listener's stdin sends another set
# back (its peer is known by then). Each receiver must print exactly the
# framed messages, and report exactly one -vv "Received" line per message.
boundaries_both_ways() {
	local framing=$1 addr=$2 cport n
	shift 2
	n=$#
	python3 "$GEN" "$framing" "$D/up" "$@"
	python3 "$GEN" "$framing" "$D/down" "$@"
	udp_server srv -vv -q 0 -u -l --framing "$framing" "$addr" 0
	udp_client cli -vv -q 0 -u --framing "$framing" "$addr" "$SRV_PORT"

	# client -> listener
	feed "$framing" "$CLI_W" "$D/up" "$D/srv.out"
	wait_until 10 lines_ge "$D/srv.err" "$n" '^Received ' ||
		fail "the listener reported fewer than $n messages"
	cmp "$D/up.framed" "$D/srv.out"
	cport=$(sed -En 's/^Connection received on .* ([0-9]+)$/\1/p' "$D/srv.err")
	[[ $cport =~ ^[0-9]+$ ]] || fail "no Connection received line"
	diff -u <(expected_received "$D/up.sizes" "$addr" "$cport") \
		<(received_lines "$D/srv.err")

	# listener -> client
	feed "$framing" "$SRV_W" "$D/down" "$D/cli.out"
	wait_until 10 lines_ge "$D/cli.err" "$n" '^Received ' ||
		fail "the client reported fewer than $n messages"
	cmp "$D/down.framed" "$D/cli.out"
	diff -u <(expected_received "$D/down.sizes" "$addr" "$SRV_PORT") \
		<(received_lines "$D/cli.err")
	# nothing more arrived on either side
	cmp "$D/up.framed" "$D/srv.out"
	[ "$(received_lines "$D/srv.err" | wc -l)" -eq "$n" ]

	# -q 0: stdin's EOF ends each of them, status 0
	release "$CLI_W"
	wait_exit "$CLI_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	release "$SRV_W"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

# three of each size, in that order
RAW_SIZES=(1 1 1 1400 1400 1400 65507 65507 65507)
ALL_SIZES=(0 0 0 "${RAW_SIZES[@]}")

# --- message boundaries -------------------------------------------------------

@test "raw framing: three messages of each size (1, 1400, 65507) in give three out, both ways" {
	boundaries_both_ways raw 127.0.0.1 "${RAW_SIZES[@]}"
}

@test "line framing: three messages of each size (0, 1, 1400, 65507) in give three out, both ways" {
	boundaries_both_ways line 127.0.0.1 "${ALL_SIZES[@]}"
}

@test "nul framing: three messages of each size (0, 1, 1400, 65507) in give three out, both ways" {
	boundaries_both_ways nul 127.0.0.1 "${ALL_SIZES[@]}"
}

@test "len32 framing: three messages of each size (0, 1, 1400, 65507) in give three out, both ways" {
	boundaries_both_ways len32 127.0.0.1 "${ALL_SIZES[@]}"
}

@test "len32 framing over ::1: three messages of each size in give three out, both ways" {
	need_ipv6
	boundaries_both_ways len32 ::1 "${ALL_SIZES[@]}"
}

@test "raw: a python receiver gets exactly one datagram per stdin message from the client" {
	python3 "$GEN" raw "$D/m" "${RAW_SIZES[@]}"
	udp_peer rx recvn:${#RAW_SIZES[@]}:"$D/got" drain:"$D/extra"
	udp_client cli -q 0 -u 127.0.0.1 "$PEER_PORT"
	feed raw "$CLI_W" "$D/m" "$D/got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	diff -u "$D/m.sizes" "$D/got.len"
	cmp "$D/m.framed" "$D/got"
	[ ! -s "$D/extra" ]
}

@test "listener to client: a python client gets exactly one datagram per message, every framing" {
	local framing sizes i
	for framing in raw line nul len32; do
		if [[ $framing == raw ]]; then
			sizes=("${RAW_SIZES[@]}")
		else
			sizes=("${ALL_SIZES[@]}")
		fi
		python3 "$GEN" "$framing" "$D/$framing" "${sizes[@]}"
		udp_server "srv-$framing" -vv -u -l --framing "$framing" 127.0.0.1 0
		udp_peer "rx-$framing" --to 127.0.0.1:"$SRV_PORT" send:hi \
			recvn:${#sizes[@]}:"$D/got-$framing" drain:"$D/extra-$framing"
		wait_for "$D/srv-$framing.err" "^Connection received on 127\.0\.0\.1 $PEER_PORT\$" ||
			fail "$framing: the listener did not take the python peer"
		feed "$framing" "$SRV_W" "$D/$framing" "$D/got-$framing" payload ||
			fail "$framing: the messages did not all arrive"
		wait_exit "$PEER_PID"
		[ "$WAIT_STATUS" -eq 0 ]
		diff -u "$D/$framing.sizes" "$D/got-$framing.len" ||
			fail "$framing: datagram lengths differ"
		[ ! -s "$D/extra-$framing" ] || fail "$framing: extra datagrams"
		if [[ $framing == raw ]]; then
			cmp "$D/$framing.framed" "$D/got-$framing"
		else
			# the payloads alone, concatenated
			local -a parts=()
			for ((i = 1; i <= ${#sizes[@]}; i++)); do
				parts+=("$D/$framing.$i")
			done
			cat "${parts[@]}" | cmp - "$D/got-$framing"
		fi
		kill "$SRV_PID"
	done
}

# --- truncation -----------------------------------------------------------------

@test "--recv-size 100: a 1400-byte datagram gives 100 bytes and a warning with its real length" {
	make_payload "$D/msg" 1400
	udp_server srv -u -l --recv-size 100 127.0.0.1 0
	udp_peer tx --to 127.0.0.1:"$SRV_PORT" sendfile:"$D/msg"
	wait_for "$D/srv.err" 'truncated'
	wait_until 10 size_ge "$D/srv.out" 100
	head -c 100 "$D/msg" | cmp - "$D/srv.out"
	grep -qxF "sockcat: message from 127.0.0.1 $PEER_PORT truncated: 1400 bytes, receive buffer 100 (--recv-size)" "$D/srv.err"
	kill -0 "$SRV_PID"	# a warning, not an error
}

@test "the default receive size takes a 65507-byte datagram whole" {
	make_payload "$D/msg" 65507
	make_payload "$D/msg2" 10
	udp_server srv -u -l 127.0.0.1 0
	udp_peer tx --to 127.0.0.1:"$SRV_PORT" sendfile:"$D/msg" sendfile:"$D/msg2"
	wait_until 10 size_ge "$D/srv.out" 65517
	cat "$D/msg" "$D/msg2" | cmp - "$D/srv.out"
	! grep -q truncated "$D/srv.err" || fail "truncation reported: $(cat "$D/srv.err")"
}

# --- client -------------------------------------------------------------------

@test "a closed UDP port: the ICMP port unreachable makes the client exit 4" {
	local port
	port=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	run -4 --separate-stderr sc -u 127.0.0.1 "$port" < <(printf x)
	[ -z "$output" ]
	[ "$stderr" = "sockcat: recv from 127.0.0.1 port $port (udp): Connection refused" ]
}

@test "the client waits for a reply after stdin's EOF (default 2s), prints it, exits 0" {
	udp_peer slow recv:"$D/got" sleep:0.3 reply:answer
	run -0 --separate-stderr sc -u 127.0.0.1 "$PEER_PORT" < <(printf q)
	[ "$output" = "answer" ]
	[ "$(cat "$D/got")" = "q" ]
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

@test "-w 500ms: the client still gets a reply that comes after 300ms, exits 0" {
	udp_peer slow recv:"$D/got" sleep:0.3 reply:answer
	run -0 --separate-stderr sc -w 500ms -u 127.0.0.1 "$PEER_PORT" < <(printf q)
	[ "$output" = "answer" ]
	[ "$(cat "$D/got")" = "q" ]
}

@test "the client exits 0 by itself when no reply comes after stdin's EOF" {
	udp_peer quiet recv:"$D/got" wait:"$D/done"
	run -0 --separate-stderr sc -w 200ms -u 127.0.0.1 "$PEER_PORT" < <(printf silent)
	[ -z "$output" ]
	[ "$(cat "$D/got")" = "silent" ]
	touch "$D/done"
}

# --- listener without and with -k -------------------------------------------------

@test "-l -u: the first sender is the peer; another's datagrams are ignored (-vv) and get no reply" {
	local sc_pid aport bport
	udp_server srv -vv -u -l --framing line 127.0.0.1 0
	# Stop sockcat so that both first datagrams are queued before it reads.
	sc_pid=$(sc_child "$SRV_PID")
	track "$sc_pid"	# teardown sends it SIGCONT too
	kill -STOP "$sc_pid"
	udp_peer a --to 127.0.0.1:"$SRV_PORT" send:"from A" mark:"$D/a.sent" \
		recv:"$D/a.got" wait:"$D/a.go" send:"A again" wait:"$D/done" drain:"$D/a.extra"
	aport=$PEER_PORT
	local apid=$PEER_PID
	wait_exists "$D/a.sent"
	udp_peer b --to 127.0.0.1:"$SRV_PORT" send:"from B" mark:"$D/b.sent" \
		wait:"$D/b.go" send:"again B" mark:"$D/b.sent2" wait:"$D/done" drain:"$D/b.extra"
	bport=$PEER_PORT
	local bpid=$PEER_PID
	wait_exists "$D/b.sent"
	kill -CONT "$sc_pid"

	wait_for "$D/srv.err" "^Ignored 6 bytes from 127\.0\.0\.1 $bport \(not the peer\)\$"
	grep -qx "Connection received on 127.0.0.1 $aport" "$D/srv.err"
	[ "$(grep -c '^Connection received on ' "$D/srv.err")" -eq 1 ]
	# B speaks again, now that the listener has its peer
	touch "$D/b.go"
	wait_exists "$D/b.sent2"
	# the listener's stdin goes to A
	echo reply >&"$SRV_W"
	wait_for "$D/a.got.len" '^5$'
	[ "$(cat "$D/a.got")" = "reply" ]
	# A speaks again; once that is out, B's datagrams were handled before it
	touch "$D/a.go"
	wait_for "$D/srv.out" '^A again$'
	printf 'from A\nA again\n' | cmp - "$D/srv.out"
	touch "$D/done"
	wait_exit "$apid"
	[ "$WAIT_STATUS" -eq 0 ]
	wait_exit "$bpid"
	[ "$WAIT_STATUS" -eq 0 ]
	[ ! -s "$D/a.extra" ]
	[ ! -s "$D/b.extra" ]	# B got no reply
	! grep -q '^Received .* from 127\.0\.0\.1 '"$bport"'$' "$D/srv.err" ||
		fail "B's datagrams were received"
}

@test "-l -u -k: 20 peers at once, stdin goes to the one heard from last, each gets its own reply" {
	local i n=20 port
	local -a pids ports
	udp_server srv -u -k -l --framing line 127.0.0.1 0
	for ((i = 1; i <= n; i++)); do
		spawn /dev/null "$D/p$i.out" "$D/p$i.err" python3 "$SC_FIXTURES/dgpeer.py" \
			--rcvbuf 1048576 --portfile "$D/p$i.port" --to 127.0.0.1:"$SRV_PORT" \
			wait:"$D/go$i" send:"hello $i" recv:"$D/got$i" wait:"$D/done" drain:"$D/extra$i"
		pids[i]=$SPAWN_PID
	done
	for ((i = 1; i <= n; i++)); do
		wait_for "$D/p$i.port" '^[0-9]+$'
		ports[i]=$(cat "$D/p$i.port")
	done
	for ((i = 1; i <= n; i++)); do
		kill -0 "${pids[i]}"	# all alive at once
	done
	for ((i = 1; i <= n; i++)); do
		touch "$D/go$i"
		wait_for "$D/srv.err" "^Connection received on 127\.0\.0\.1 ${ports[i]}\$" ||
			fail "peer $i (port ${ports[i]}) was not reported"
		printf 'reply %d\n' "$i" >&"$SRV_W"
		wait_exists "$D/got$i.len" || fail "peer $i got no reply"
	done
	touch "$D/done"
	for ((i = 1; i <= n; i++)); do
		wait_exit "${pids[i]}"
		[ "$WAIT_STATUS" -eq 0 ] || fail "peer $i exited $WAIT_STATUS"
		[ "$(cat "$D/got$i")" = "reply $i" ] || fail "peer $i got: $(cat "$D/got$i")"
		[ ! -s "$D/extra$i" ] || fail "peer $i got more: $(cat "$D/extra$i")"
	done
	for ((i = 1; i <= n; i++)); do
		echo "hello $i"
	done | cmp - "$D/srv.out"
	[ "$(grep -c '^Connection received on ' "$D/srv.err")" -eq "$n" ]
	kill -0 "$SRV_PID"
}

@test "-k --idle-timeout: a silent peer is forgotten (-vv), then reported again when it speaks" {
	udp_server srv -vv -u -k -l --idle-timeout 300ms --framing line 127.0.0.1 0
	udp_peer p --to 127.0.0.1:"$SRV_PORT" send:one wait:"$D/go" send:two wait:"$D/done"
	wait_for "$D/srv.err" "^Peer 127\.0\.0\.1 $PEER_PORT expired \(idle\)\$"
	kill -0 "$SRV_PID"	# forgetting a peer does not end the server
	touch "$D/go"
	wait_until 10 lines_ge "$D/srv.err" 2 "^Connection received on 127\.0\.0\.1 $PEER_PORT\$"
	wait_for "$D/srv.out" '^two$'
	printf 'one\ntwo\n' | cmp - "$D/srv.out"
	# received, expired, received again: in that order
	run -0 grep -E -e '^Connection received on ' -e '^Peer .* expired' "$D/srv.err"
	[ "${lines[0]}" = "Connection received on 127.0.0.1 $PEER_PORT" ]
	[ "${lines[1]}" = "Peer 127.0.0.1 $PEER_PORT expired (idle)" ]
	[ "${lines[2]}" = "Connection received on 127.0.0.1 $PEER_PORT" ]
	kill -0 "$SRV_PID"
	touch "$D/done"
}

# --- -v / -vv / --recv-info -------------------------------------------------------

@test "-v and -vv lines: Bound on, Connection received on, Connection to ... [udp/...], Received" {
	local cport svc
	udp_server srv -vv -u -l 127.0.0.1 0
	[ "$(head -n 1 "$D/srv.err")" = "Bound on 127.0.0.1 $SRV_PORT" ]
	udp_client cli -v -u 127.0.0.1 "$SRV_PORT"
	printf hello >&"$CLI_W"
	wait_for "$D/srv.err" '^Received 5 bytes from '
	cport=$(ss -Hun "dport = :$SRV_PORT" |
		sed -En "s/.*127\.0\.0\.1:([0-9]+)[[:space:]]+127\.0\.0\.1:${SRV_PORT}[[:space:]]*\$/\1/p")
	[[ $cport =~ ^[0-9]+$ ]] || fail "client socket not found by ss"
	grep -qx "Connection received on 127.0.0.1 $cport" "$D/srv.err"
	grep -qx "Received 5 bytes from 127.0.0.1 $cport" "$D/srv.err"
	svc=$(getent services "$SRV_PORT/udp" | awk '{print $1}') || true
	grep -qxF "Connection to 127.0.0.1 $SRV_PORT port [udp/${svc:-*}] succeeded!" "$D/cli.err"
	# the reply: printed by the client, with no "Received" line at -v
	printf ok >&"$SRV_W"
	wait_until 10 size_ge "$D/cli.out" 2
	[ "$(cat "$D/cli.out")" = "ok" ]
	! grep -q '^Received' "$D/cli.err" || fail "-v printed a Received line"
}

@test "--recv-info (no -v): destination, ttl and arrival time of each datagram" {
	local ttl now sec
	ttl=$(cat /proc/sys/net/ipv4/ip_default_ttl)
	spawn /dev/null "$D/srv.out" "$D/srv.err" "$SOCKCAT" --recv-info -u -l \
		--port-file "$D/port" 127.0.0.1 0
	wait_for "$D/port" '^[0-9]+$'
	udp_peer tx --to 127.0.0.1:"$(cat "$D/port")" send:hello
	wait_for "$D/srv.err" '^Received '
	run -0 cat "$D/srv.err"
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} =~ ^Received\ 5\ bytes\ from\ 127\.0\.0\.1\ $PEER_PORT\ to\ 127\.0\.0\.1\ ttl\ $ttl\ at\ ([0-9]+)\.[0-9]{9}$ ]] ||
		fail "recv-info line: ${lines[0]}"
	sec=${BASH_REMATCH[1]}
	now=$(date +%s)
	((sec <= now && sec > now - 60)) || fail "arrival time $sec is not about now ($now)"
	[ "$(cat "$D/srv.out")" = "hello" ]
}

# --- broadcast, --port-file ----------------------------------------------------

@test "broadcast to 127.255.255.255: refused without -b (exit 1), delivered with -b" {
	udp_server srv -u -l 0.0.0.0 0
	[ "$(head -n 1 "$D/srv.err")" = "Bound on 0.0.0.0 $SRV_PORT" ]
	run -1 --separate-stderr sc -q 0 -u 127.255.255.255 "$SRV_PORT" < <(printf no-b)
	[ -z "$output" ]
	[[ $stderr =~ ^sockcat:\ (connect|send)\ to\ 127\.255\.255\.255\ port\ $SRV_PORT\ \(udp\):\ Permission\ denied$ ]] ||
		fail "stderr: $stderr"
	run -0 sc -b -q 0 -u 127.255.255.255 "$SRV_PORT" < <(printf with-b)
	wait_until 10 size_ge "$D/srv.out" 6
	printf with-b | cmp - "$D/srv.out"
}

@test "--port-file with -u -l: the bound port, and datagrams sent there arrive" {
	spawn /dev/null "$D/srv.out" "$D/srv.err" "$SOCKCAT" -v -u -l \
		--port-file "$D/port" 127.0.0.1 0
	wait_for "$D/port" '^[0-9]+$'
	local port
	port=$(cat "$D/port")
	((port > 0))
	printf '%s\n' "$port" | cmp - "$D/port"
	grep -qx "Bound on 127.0.0.1 $port" "$D/srv.err"
	udp_peer tx --to 127.0.0.1:"$port" send:"via the port file"
	wait_until 10 size_ge "$D/srv.out" 17
	[ "$(cat "$D/srv.out")" = "via the port file" ]
}

# --- usage errors ----------------------------------------------------------------

@test "usage: framing, datagram and multicast options that are wrong or misplaced" {
	usage_row 'framing.*bogus'			-u --framing bogus 127.0.0.1 9
	usage_row 'seqpacket.*-u|-u.*seqpacket'		-u --seqpacket 127.0.0.1 9
	usage_row '10\.0\.0\.1.*multicast'		-u --mcast-join 10.0.0.1 127.0.0.1 9
	usage_row 'mcast-join.*-u'			--mcast-join 239.1.2.3 127.0.0.1 9
	usage_row '-b.*-u'				-b 127.0.0.1 9
	usage_row 'recv-info.*-u'			--recv-info 127.0.0.1 9
	usage_row 'recv-size.*0'			-u --recv-size 0 127.0.0.1 9
	usage_row 'recv-size.*2000000'			-u --recv-size 2000000 127.0.0.1 9
	usage_row '--framing'				--framing line 127.0.0.1 9
	usage_row '--framing'				-l --framing len32 127.0.0.1 0
	usage_row '--recv-size'				--recv-size 100 127.0.0.1 9
	usage_row 'mcast-loop.*no-mcast-loop'		-u --mcast-loop --no-mcast-loop 127.0.0.1 9
	usage_row 'mcast-ttl.*256'			-u --mcast-ttl 256 127.0.0.1 9
	usage_row 'mcast-join'				-u --mcast-join 239.1.2.3 --mcast-join ff02::1 127.0.0.1 9
	usage_row 'mcast-join'				-u -l --mcast-join ff02::1 --mcast-join 239.1.2.3 0
	rows_done
}
