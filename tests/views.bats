#!/usr/bin/env bats
# Data views: --hex-dump (pinned against fixtures and against hexdump -C),
# the session logs -o, --output-received, --output-sent, --append-output,
# --stats and --progress.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
	V=$SC_FIXTURES/views
}

# --- local helpers ----------------------------------------------------------

# mask_times FILE : the dump with only the " at S.SSSs" of headers masked.
mask_times() {
	sed -E 's/^([<>] conn [0-9]+ offset [0-9]+ length [0-9]+) at [0-9]+\.[0-9]{3}s/\1 at S.SSSs/' "$1"
}

# slice FILE OFFSET LENGTH : LENGTH bytes of FILE from OFFSET.
slice() {
	tail -c +"$(($2 + 1))" -- "$1" | head -c "$3"
}

# check_dump DUMP SENT RECEIVED : every chunk of the one-connection DUMP
# is laid out as `hexdump -C` lays out the chunk's bytes, taken from the
# SENT or RECEIVED file at the header's offset (hexdump -s OFFSET -n LENGTH,
# so the offset column runs on through the direction, as in the dump), the
# offsets of each direction run on without gaps, and the chunks cover both
# files.
check_dump() {
	need_cmd hexdump bsdextrautils
	local dump=$1 sent=$2 recv=$3 n=0 line dir off len body want file
	local -A next=(['>']=0 ['<']=0)
	local -a lines
	local got
	mapfile -t lines <"$dump"
	local i=0 total=${#lines[@]}
	while ((i < total)); do
		line=${lines[i]}
		if ! [[ $line =~ ^([\<\>])\ conn\ 1\ offset\ ([0-9]+)\ length\ ([0-9]+)\ at\ [0-9]+\.[0-9]{3}s ]]; then
			fail "line $((i + 1)) of the dump is not a chunk header: $line"
		fi
		dir=${BASH_REMATCH[1]} off=${BASH_REMATCH[2]} len=${BASH_REMATCH[3]}
		[ "$off" -eq "${next[$dir]}" ] ||
			fail "chunk '$line': offset $off, expected ${next[$dir]}"
		next[$dir]=$((off + len))
		body=$(((len + 15) / 16))
		[[ $dir == '>' ]] && file=$sent || file=$recv
		want=$(hexdump -C -s "$off" -n "$len" "$file" | sed '$d')
		got=$(printf '%s\n' "${lines[@]:i+1:body}")
		[ "$got" = "$want" ] ||
			fail "chunk '$line' differs from hexdump -C:"$'\n'"$got"$'\n'"--- expected:"$'\n'"$want"
		i=$((i + 1 + body))
		n=$((n + 1))
	done
	[ "${next['>']}" -eq "$(stat -c %s -- "$sent")" ] ||
		fail "sent chunks cover ${next['>']} bytes, not $(stat -c %s -- "$sent")"
	[ "${next['<']}" -eq "$(stat -c %s -- "$recv")" ] ||
		fail "received chunks cover ${next['<']} bytes, not $(stat -c %s -- "$recv")"
	((n >= 2))
}

# The request/response exchange: REQ1 and REQ2 are pieces of binary.bin
# (NULs, control and non-UTF-8 bytes; 37 and 45 bytes, neither a multiple
# of 16), each answered by the peer with a known text before the next is
# sent, so every chunk and its order is deterministic.
ANS1=$'first answer\n'
ANS2=$'second answer, longer than one dump line\n'

make_requests() {
	slice "$SC_FIXTURES/binary.bin" 240 37 >"$D/req1"
	slice "$SC_FIXTURES/binary.bin" 4117 45 >"$D/req2"
	printf '%s' "$ANS1" >"$D/ans1"
	printf '%s' "$ANS2" >"$D/ans2"
	cat "$D/req1" "$D/req2" >"$D/reqs"
	cat "$D/ans1" "$D/ans2" >"$D/answers"
	cat "$D/req1" "$D/ans1" "$D/req2" "$D/ans2" >"$D/in-order"
}

# exchange OPTS... : sockcat OPTS 127.0.0.1 PORT (in the background, stdin
# fed by the feeder, stdout in $D/cli.out, stderr in $D/cli.err) against a
# peer that answers each request; ends with the client's status checked 0.
# $D/peer.in is what the peer received.
exchange() {
	make_requests
	rm -f "$D/peer.in" "$D/fifo"
	peer_listen peer recv:37:"$D/peer.in" sendstr:"$ANS1" \
		recv:45:"$D/peer.in" sendstr:"$ANS2" recv-all:"$D/peer.rest" close
	feeder_start "$D/fifo"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@" 127.0.0.1 "$PEER_PORT" \
		<"$D/fifo" >"$D/cli.out" 2>"$D/cli.err" 3>&- &
	local cli=$!
	track "$cli"
	feed_file "$D/req1"
	wait_until 10 has_size "$D/cli.out" "${#ANS1}"
	feed_file "$D/req2"
	wait_until 10 has_size "$D/cli.out" $((${#ANS1} + ${#ANS2}))
	feed_eof
	wait_exit "$cli"
	[ "$WAIT_STATUS" -eq 0 ] || fail "client exit $WAIT_STATUS: $(cat "$D/cli.err")"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/reqs" "$D/peer.in"
	cmp "$D/answers" "$D/cli.out"
	[ ! -s "$D/peer.rest" ]
}

# UDP_PEER_PY PORTFILE N : a UDP server on 127.0.0.1 port 0 that answers
# each of N datagrams with "pong I: " and the datagram.
UDP_PEER_PY='
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(20)
for i in range(int(sys.argv[2])):
    m, a = s.recvfrom(65536)
    s.sendto(b"pong %d: " % i + m, a)
'

# SLOW_PEER_PY PORTFILE RECORD : listens on 127.0.0.1 port 0 with a small
# receive buffer and reads slowly (at most 32 KiB every 5 ms) until EOF,
# recording what it got; then answers "done\n" and closes. It paces a
# transfer of a few MiB over a second or so, long enough for several
# --progress refreshes (every 250 ms).
SLOW_PEER_PY='
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.bind(("127.0.0.1", 0))
s.listen(1)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(20)
c, _ = s.accept()
c.settimeout(20)
with open(sys.argv[2], "wb") as f:
    while True:
        b = c.recv(32768)
        if not b:
            break
        f.write(b)
        time.sleep(0.005)
c.sendall(b"done\n")
c.close()
'

# slow_peer : start SLOW_PEER_PY; sets PEER_PORT, PEER_PID.
slow_peer() {
	rm -f "$D/slow.port"
	peer_bg slow python3 -c "$SLOW_PEER_PY" "$D/slow.port" "$D/slow.rec"
	wait_exists "$D/slow.port"
	PEER_PORT=$(cat "$D/slow.port")
}

# PROGRESS_RE : one progress update, as documented: "... sent, ...
# received, .../s, HH:MM:SS[ NN%]" (a trailing erase-line is taken off
# before matching).
SIZE_RE='[0-9]+(\.[0-9]+)? ?([KMGT]i?)?B'
PROGRESS_RE="^$SIZE_RE sent, $SIZE_RE received, $SIZE_RE/s, [0-9]{2,}:[0-5][0-9]:[0-5][0-9]( +[0-9]{1,3}%)?\$"

# check_progress FILE : FILE holds "\r"-started progress updates, at least
# one, each well-formed, with percentages that never go down and end at
# 100%, and the whole ends with a newline.
check_progress() {
	local f=$1 u pct last=-1 n=0
	[ -s "$f" ] || fail "no progress output"
	[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "progress output does not end with a newline: $(tail -c 40 "$f" | od -c)"
	[ "$(head -c 1 "$f")" = $'\r' ] || fail "progress output does not start with \\r"
	while IFS= read -r u; do
		u=${u%$'\e[K'}
		[[ -z $u ]] && continue
		n=$((n + 1))
		[[ $u =~ $PROGRESS_RE ]] || fail "update $n is malformed: $(printf '%q' "$u")"
		[[ $u =~ \ ([0-9]+)%$ ]] || fail "update $n has no percentage: $u"
		pct=${BASH_REMATCH[1]}
		((pct >= last)) || fail "percentage went down: $last% then $pct%"
		last=$pct
	done < <(tr '\r' '\n' <"$f" | sed $'s/\e\\[K$//')
	((n >= 1))
	[ "$last" -eq 100 ] || fail "the last update is at $last%, not 100%"
}

# --- --hex-dump ----------------------------------------------------------------

@test "--hex-dump=FILE of a TCP session equals the fixture, times masked" {
	rm -f "$D/peer.in"
	peer_listen peer recv-all:"$D/peer.in" sendstr:$'Thanks, 4162 bytes received.\n' close
	run -0 --separate-stderr sc --hex-dump="$D/dump" 127.0.0.1 "$PEER_PORT" \
		<"$SC_FIXTURES/binary.bin"
	[ -z "$stderr" ]
	[ "$output" = "Thanks, 4162 bytes received." ]
	cmp "$SC_FIXTURES/binary.bin" "$D/peer.in"
	mask_times "$D/dump" >"$D/dump.masked"
	diff -u "$V/tcp-session.hexdump" "$D/dump.masked"
	cmp "$V/tcp-session.hexdump" "$D/dump.masked"
}

@test "--hex-dump=FILE of a request/response exchange: offsets run on per direction (fixture)" {
	exchange --hex-dump="$D/dump"
	[ ! -s "$D/cli.err" ]
	mask_times "$D/dump" >"$D/dump.masked"
	diff -u "$V/tcp-exchange.hexdump" "$D/dump.masked"
	cmp "$V/tcp-exchange.hexdump" "$D/dump.masked"
}

@test "--hex-dump: the lines of every chunk are hexdump -C of the chunk (both directions, many chunks)" {
	make_payload "$D/up" $((300 * 1024 + 7))
	make_payload "$D/down" $((200 * 1024 + 3))
	SRV_IN=$D/down start_server srv -n -l 127.0.0.1 0
	run -0 io "$D/up" "$D/got" sc --hex-dump="$D/dump" -n 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/up" "$D/srv.out"
	cmp "$D/down" "$D/got"
	check_dump "$D/dump" "$D/up" "$D/down"
	# several chunks each way (more data than one 64 KiB read)
	[ "$(grep -c '^> conn 1 ' "$D/dump")" -ge 5 ]
	[ "$(grep -c '^< conn 1 ' "$D/dump")" -ge 4 ]
}

@test "--hex-dump: the fixture sessions agree with hexdump -C too" {
	exchange --hex-dump="$D/dump"
	check_dump "$D/dump" "$D/reqs" "$D/answers"
}

@test "--hex-dump without FILE goes to stderr; stdout keeps only the data" {
	rm -f "$D/peer.in"
	peer_listen peer recv-all:"$D/peer.in" sendstr:$'hello\n' close
	run -0 --separate-stderr sc --hex-dump 127.0.0.1 "$PEER_PORT" <<<"hi"
	[ "$output" = "hello" ]
	printf '%s\n' "$stderr" >"$D/dump"
	mask_times "$D/dump" >"$D/dump.masked"
	printf '%s\n' \
		'> conn 1 offset 0 length 3 at S.SSSs' \
		'00000000  68 69 0a                                          |hi.|' \
		'< conn 1 offset 0 length 6 at S.SSSs' \
		'00000000  68 65 6c 6c 6f 0a                                 |hello.|' >"$D/want"
	diff -u "$D/want" "$D/dump.masked"
}

@test "--hex-dump of a UDP exchange names the peer: 'to 127.0.0.1:PORT' and 'from 127.0.0.1:PORT' (fixture)" {
	rm -f "$D/udp.port"
	peer_bg udp python3 -c "$UDP_PEER_PY" "$D/udp.port" 2
	wait_exists "$D/udp.port"
	local port
	port=$(cat "$D/udp.port")
	printf 'ping\0\377\n' >"$D/m1"
	slice "$SC_FIXTURES/binary.bin" 250 20 >"$D/m2"
	feeder_start "$D/fifo"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -u -q 0.2 --hex-dump="$D/dump" \
		127.0.0.1 "$port" <"$D/fifo" >"$D/cli.out" 2>"$D/cli.err" 3>&- &
	local cli=$!
	track "$cli"
	feed_file "$D/m1"
	wait_until 10 has_size "$D/cli.out" $((8 + 7))
	feed_file "$D/m2"
	wait_until 10 has_size "$D/cli.out" $((8 + 7 + 8 + 20))
	feed_eof
	wait_exit "$cli"
	[ "$WAIT_STATUS" -eq 0 ]
	[ ! -s "$D/cli.err" ]
	{ printf 'pong 0: '; cat "$D/m1"; printf 'pong 1: '; cat "$D/m2"; } >"$D/want.out"
	cmp "$D/want.out" "$D/cli.out"
	# the port is the only other thing masked: it is the peer's, random
	mask_times "$D/dump" |
		sed -E "s/ (to|from) 127\.0\.0\.1:$port\$/ \1 127.0.0.1:PORT/" >"$D/dump.masked"
	diff -u "$V/udp-exchange.hexdump" "$D/dump.masked"
	cmp "$V/udp-exchange.hexdump" "$D/dump.masked"
}

@test "--hex-dump=FILE that cannot be opened: exit 1, one line, before connecting" {
	local closed
	closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run -1 --separate-stderr sc --hex-dump=/nonexistent/x 127.0.0.1 "$closed" </dev/null
	[ -z "$output" ]
	[ "$stderr" = "sockcat: --hex-dump /nonexistent/x: No such file or directory" ]
}

@test "-t: the telnet answers sockcat sends are in --hex-dump, --output-sent, -o and --stats" {
	# IAC DO 1, IAC WILL 3, "hi": answered IAC WONT 1, IAC DONT 3
	printf '\377\375\001\377\373\003hi' >"$D/raw"
	peer_listen tel send:"$D/raw" shut-wr recv-all:"$D/tel.rec"
	feeder_start "$D/fifo"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -t --stats --hex-dump="$D/dump" \
		--output-sent "$D/sent" --output-received "$D/received" -o "$D/log" \
		127.0.0.1 "$PEER_PORT" <"$D/fifo" >"$D/cli.out" 2>"$D/cli.err" 3>&- &
	local cli=$!
	track "$cli"
	wait_until 10 has_size "$D/cli.out" 2
	feed_eof
	wait_exit "$cli"
	[ "$WAIT_STATUS" -eq 0 ]
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(cat "$D/cli.out")" = hi ]
	printf '\377\374\001\377\376\003' | cmp - "$D/tel.rec"
	# what went over the socket: the raw bytes received, the answers sent
	cmp "$D/raw" "$D/received"
	cmp "$D/tel.rec" "$D/sent"
	cat "$D/raw" "$D/tel.rec" | cmp - "$D/log"
	check_dump "$D/dump" "$D/tel.rec" "$D/raw"
	grep -Eq '^Stats: sent 6 bytes in [12] chunks, received 8 bytes in 1 chunks, 1 connections, ' "$D/cli.err" ||
		fail "stats: $(cat "$D/cli.err")"
}

# --- session logs -----------------------------------------------------------

@test "-o FILE holds both directions in the order they happened" {
	exchange -o "$D/log"
	[ ! -s "$D/cli.err" ]
	cmp "$D/in-order" "$D/log"
}

@test "--output-sent and --output-received hold exactly what was sent and received" {
	make_payload "$D/up" $((512 * 1024 + 11))
	make_payload "$D/down" $((384 * 1024 + 5))
	rm -f "$D/peer.in"
	peer_listen peer send:"$D/down" recv-all:"$D/peer.in" close
	run -0 io "$D/up" "$D/got" sc --output-sent="$D/sent" \
		--output-received "$D/received" 127.0.0.1 "$PEER_PORT"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	# the peer's own record of the session
	cmp "$D/peer.in" "$D/sent"
	cmp "$D/down" "$D/received"
	cmp "$D/up" "$D/sent"
	cmp "$D/got" "$D/received"
}

@test "-o with --output-sent and --output-received at once: three consistent logs" {
	exchange -o "$D/log" --output-sent "$D/sent" --output-received "$D/received"
	cmp "$D/in-order" "$D/log"
	cmp "$D/reqs" "$D/sent"
	cmp "$D/answers" "$D/received"
}

@test "--append-output appends to the logs across two runs; without it they are replaced" {
	local run_no
	printf 'first run\n' >"$D/up1"
	printf 'second run\n' >"$D/up2"
	for run_no in 1 2; do
		rm -f "$D/peer.in"
		peer_listen peer recv-all:"$D/peer.in" sendstr:"answer $run_no;" close
		run -0 sc --append-output -o "$D/log" --output-sent "$D/sent" \
			--output-received "$D/received" --hex-dump="$D/dump" \
			127.0.0.1 "$PEER_PORT" <"$D/up$run_no"
		wait_ok "$PEER_PID"
	done
	printf 'first run\nanswer 1;second run\nanswer 2;' >"$D/want.log"
	cmp "$D/want.log" "$D/log"
	printf 'first run\nsecond run\n' >"$D/want.sent"
	cmp "$D/want.sent" "$D/sent"
	printf 'answer 1;answer 2;' >"$D/want.received"
	cmp "$D/want.received" "$D/received"
	# the dump too: two sessions, each starting at offset 0
	[ "$(grep -c '^> conn 1 offset 0 length 10 ' "$D/dump")" -eq 1 ]
	[ "$(grep -c '^> conn 1 offset 0 length 11 ' "$D/dump")" -eq 1 ]
	[ "$(grep -c '^< conn 1 offset 0 length 9 ' "$D/dump")" -eq 2 ]

	# a third run without --append-output starts the files afresh
	rm -f "$D/peer.in"
	peer_listen peer recv-all:"$D/peer.in" sendstr:"answer 3;" close
	run -0 sc -o "$D/log" --output-sent "$D/sent" 127.0.0.1 "$PEER_PORT" <"$D/up1"
	wait_ok "$PEER_PID"
	printf 'first run\nanswer 3;' >"$D/want.log"
	cmp "$D/want.log" "$D/log"
	cmp "$D/up1" "$D/sent"
}

@test "a log file that cannot be opened: exit 1, one line naming it, before connecting" {
	local closed f
	# A bound-then-closed port: connecting first would fail with exit 4
	# and a connect error; the file must be opened before that.
	closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run -1 --separate-stderr sc -o /nonexistent/x 127.0.0.1 "$closed" </dev/null
	[ -z "$output" ]
	[ "$stderr" = "sockcat: -o /nonexistent/x: No such file or directory" ]

	run -1 --separate-stderr sc --output-received /nonexistent/x 127.0.0.1 "$closed" </dev/null
	[ "$stderr" = "sockcat: --output-received /nonexistent/x: No such file or directory" ]

	run -1 --separate-stderr sc --output-sent /nonexistent/x 127.0.0.1 "$closed" </dev/null
	[ "$stderr" = "sockcat: --output-sent /nonexistent/x: No such file or directory" ]

	mkdir "$D/adir"
	run -1 --separate-stderr sc -o "$D/adir" 127.0.0.1 "$closed" </dev/null
	[ "$stderr" = "sockcat: -o $D/adir: Is a directory" ]

	: >"$D/plain"
	run -1 --separate-stderr sc --output-sent "$D/plain/x" 127.0.0.1 "$closed" </dev/null
	[ "$stderr" = "sockcat: --output-sent $D/plain/x: Not a directory" ]

	# A read-only directory stops everyone but root (root ignores modes).
	mkdir "$D/ro"
	chmod 555 "$D/ro"
	if ((EUID != 0)); then
		run -1 --separate-stderr sc -o "$D/ro/x" 127.0.0.1 "$closed" </dev/null
		[ "$stderr" = "sockcat: -o $D/ro/x: Permission denied" ]
		[ ! -e "$D/ro/x" ]
	fi
	chmod 755 "$D/ro"
}

# --- --stats ------------------------------------------------------------------

STATS_RE='^Stats: sent ([0-9]+) bytes in ([0-9]+) chunks, received ([0-9]+) bytes in ([0-9]+) chunks, ([0-9]+) connections, [0-9]+\.[0-9]{3} s, [0-9]+ bytes/s sent, [0-9]+ bytes/s received$'

@test "--stats: one line at the end; bytes equal what the peer received and sent" {
	make_payload "$D/up" $((700 * 1024 + 13))
	make_payload "$D/down" $((300 * 1024 + 1))
	rm -f "$D/peer.in"
	peer_listen peer send:"$D/down" recv-all:"$D/peer.in" close
	run -0 --separate-stderr sc --stats --hex-dump="$D/dump" 127.0.0.1 "$PEER_PORT" <"$D/up"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} =~ $STATS_RE ]] || fail "stats line: ${stderr_lines[0]}"
	local sent=${BASH_REMATCH[1]} schunks=${BASH_REMATCH[2]}
	local recv=${BASH_REMATCH[3]} rchunks=${BASH_REMATCH[4]} conns=${BASH_REMATCH[5]}
	[ "$sent" -eq "$(stat -c %s "$D/peer.in")" ]
	[ "$recv" -eq "$(stat -c %s "$D/down")" ]
	((schunks >= 1 && schunks <= sent))
	((rchunks >= 1 && rchunks <= recv))
	# the chunks are those of --hex-dump
	[ "$schunks" -eq "$(grep -c '^> conn 1 ' "$D/dump")" ]
	[ "$rchunks" -eq "$(grep -c '^< conn 1 ' "$D/dump")" ]
	[ "$conns" -eq 1 ]
}

@test "--stats: a small exchange is counted chunk by chunk" {
	exchange --stats
	[ "$(wc -l <"$D/cli.err")" -eq 1 ]
	local line
	line=$(cat "$D/cli.err")
	[[ $line =~ $STATS_RE ]] || fail "stats line: $line"
	[ "${BASH_REMATCH[1]}" -eq $((37 + 45)) ]
	[ "${BASH_REMATCH[2]}" -eq 2 ]
	[ "${BASH_REMATCH[3]}" -eq $((${#ANS1} + ${#ANS2})) ]
	[ "${BASH_REMATCH[4]}" -eq 2 ]
	[ "${BASH_REMATCH[5]}" -eq 1 ]
}

@test "--stats of a -k server: N connections for N clients, bytes summed; -vv close lines per client" {
	SRV_IN=/dev/null start_server srv -vv --stats -k -l 127.0.0.1 0
	local i total=0 size
	for i in 1 2 3; do
		size=$((i * 1000 + 17))
		make_payload "$D/c$i" "$size"
		total=$((total + size))
		run -0 sc 127.0.0.1 "$SRV_PORT" <"$D/c$i"
		wait_for "$D/srv.err" "^Connection closed on 127\\.0\\.0\\.1 [0-9]+, $size bytes received, 0 bytes sent\$"
	done
	[ "$(grep -c '^Connection closed on ' "$D/srv.err")" -eq 3 ]
	cat "$D/c1" "$D/c2" "$D/c3" | cmp - "$D/srv.out"
	run ! grep -q '^Stats:' "$D/srv.err"
	kill -TERM "$SRV_PID"
	wait_exit "$SRV_PID"
	wait_for "$D/srv.err" '^Stats: '
	local line
	line=$(grep '^Stats: ' "$D/srv.err")
	[[ $line =~ $STATS_RE ]] || fail "stats line: $line"
	[ "${BASH_REMATCH[1]}" -eq 0 ]
	[ "${BASH_REMATCH[2]}" -eq 0 ]
	[ "${BASH_REMATCH[3]}" -eq "$total" ]
	((BASH_REMATCH[4] >= 3))
	[ "${BASH_REMATCH[5]}" -eq 3 ]
}

# --- --progress ---------------------------------------------------------------

@test "--progress on a terminal: \\r updates with sent, received, rate, time and % ending at 100%" {
	need_cmd script bsdutils
	make_payload "$D/big" $((3 * 1024 * 1024))
	slow_peer
	# script(1) gives sockcat a pseudo-terminal: its stderr is a tty there,
	# its stdin and stdout are files.
	local st=0
	timeout -k 2 "$SC_TIMEOUT" script -qfec \
		"timeout -k 2 $SC_TIMEOUT '$SOCKCAT' --progress 127.0.0.1 $PEER_PORT <'$D/big' >'$D/got'" \
		/dev/null </dev/null >"$D/tty" || st=$?
	[ "$st" -eq 0 ] || fail "script/sockcat exit $st: $(cat -v "$D/tty")"
	wait_ok "$PEER_PID"
	cmp "$D/big" "$D/slow.rec"
	[ "$(cat "$D/got")" = 'done' ]
	check_progress "$D/tty"
	# the last update has the final counts
	tr '\r' '\n' <"$D/tty" | sed $'s/\e\\[K$//' | grep -v '^$' | tail -n 1 >"$D/last"
	grep -Eq "^3(\\.0)? ?MiB sent, 5 ?B received, " "$D/last" ||
		fail "last update: $(cat "$D/last")"
}

@test "--progress with stderr not a terminal: no progress output at all" {
	make_payload "$D/big" $((3 * 1024 * 1024))
	slow_peer
	run -0 --separate-stderr sc --progress 127.0.0.1 "$PEER_PORT" <"$D/big"
	wait_ok "$PEER_PID"
	cmp "$D/big" "$D/slow.rec"
	[ "$output" = 'done' ]
	[ -z "$stderr" ]
	slow_peer
	run -0 --separate-stderr sc --progress=auto 127.0.0.1 "$PEER_PORT" <"$D/big"
	wait_ok "$PEER_PID"
	[ -z "$stderr" ]
}

@test "--progress=always with stderr a file: the updates are there" {
	make_payload "$D/big" $((3 * 1024 * 1024))
	slow_peer
	sc --progress=always 127.0.0.1 "$PEER_PORT" <"$D/big" >"$D/got" 2>"$D/err"
	wait_ok "$PEER_PID"
	cmp "$D/big" "$D/slow.rec"
	[ "$(cat "$D/got")" = 'done' ]
	check_progress "$D/err"
	# nothing but the updates and the final newline
	[ "$(tr -d '\r' <"$D/err" | grep -c '')" -eq 1 ]
}

# --- --hex-dump: the connection id of a server's clients ----------------------

@test "--hex-dump of a -k server: the second client is conn 2, its offsets from 0" {
	start_server srv -l -k --hex-dump="$D/dump" 127.0.0.1 0
	run -0 sc 127.0.0.1 "$SRV_PORT" <<<"one"
	wait_until 10 has_size "$D/srv.out" 4
	run -0 sc 127.0.0.1 "$SRV_PORT" <<<"two"
	wait_until 10 has_size "$D/srv.out" 8
	kill "$SRV_PID"
	wait_exit "$SRV_PID"
	printf '%s\n' \
		'< conn 1 offset 0 length 4 at S.SSSs' \
		'00000000  6f 6e 65 0a                                       |one.|' \
		'< conn 2 offset 0 length 4 at S.SSSs' \
		'00000000  74 77 6f 0a                                       |two.|' >"$D/want"
	mask_times "$D/dump" | diff -u "$D/want" -
}

@test "--hex-dump of a -u -l -k server: the second UDP peer is conn 2, its offsets from 0" {
	local c1 c2
	start_server srv -u -l -k --stats --hex-dump="$D/dump" 127.0.0.1 0
	run -0 sc -u -q 0.2 127.0.0.1 "$SRV_PORT" <<<"one"
	wait_until 10 has_size "$D/srv.out" 4
	run -0 sc -u -q 0.2 127.0.0.1 "$SRV_PORT" <<<"two"
	wait_until 10 has_size "$D/srv.out" 8
	kill "$SRV_PID"
	wait_exit "$SRV_PID"
	c1=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err" | sed -n 1p)
	c2=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err" | sed -n 2p)
	[[ -n $c1 && -n $c2 && $c1 != "$c2" ]]
	printf '%s\n' \
		"< conn 1 offset 0 length 4 at S.SSSs from 127.0.0.1:$c1" \
		'00000000  6f 6e 65 0a                                       |one.|' \
		"< conn 2 offset 0 length 4 at S.SSSs from 127.0.0.1:$c2" \
		'00000000  74 77 6f 0a                                       |two.|' >"$D/want"
	mask_times "$D/dump" | diff -u "$D/want" -
	# each peer is a connection in --stats too
	grep -q '^Stats: sent 0 bytes in 0 chunks, received 8 bytes in 2 chunks, 2 connections, ' "$D/srv.err"
}
