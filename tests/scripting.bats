#!/usr/bin/env bats
# Scripting aids: -C/--crlf, -i/--interval, -t/--telnet, --retry,
# --retry-wait, --reconnect and the port scan -z (with -r, -u, -i), and
# their usage errors.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
}

# --- local helpers ----------------------------------------------------------

# py_bg NAME SCRIPT ARGS... : python3 -c SCRIPT ARGS as a background peer.
py_bg() {
	local name=$1 script=$2
	shift 2
	peer_bg "$name" python3 -c "$script" "$@"
}

# PY_LISTEN : python prelude; listen(PORTFILE) listens on 127.0.0.1 port 0,
# writes the port to PORTFILE atomically and returns the accepted socket.
PY_LISTEN='
import os, socket, sys, time
def listen(portfile):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    s.settimeout(20)
    c, _ = s.accept()
    c.settimeout(20)
    s.close()
    return c
def wait_size(path, n):
    end = time.monotonic() + 20
    while not (os.path.exists(path) and os.path.getsize(path) >= n):
        if time.monotonic() > end:
            sys.exit(3)
        time.sleep(0.01)
'

# RECORD_PY PORTFILE DATA LOG : receive until EOF; every arrival is appended
# to DATA and logged in LOG as "MONOTONIC_SECONDS LENGTH" (both flushed
# at once, so the test can wait on them).
RECORD_PY=$PY_LISTEN'
c = listen(sys.argv[1])
with open(sys.argv[2], "wb") as data, open(sys.argv[3], "w") as log:
    while True:
        b = c.recv(65536)
        if not b:
            break
        t = time.monotonic()
        data.write(b)
        data.flush()
        log.write("%.6f %d\n" % (t, len(b)))
        log.flush()
c.close()
'

# record_peer : RECORD_PY in the background; $D/rec.data, $D/rec.log.
record_peer() {
	rm -f "$D/rec.port"
	py_bg rec "$RECORD_PY" "$D/rec.port" "$D/rec.data" "$D/rec.log"
	wait_exists "$D/rec.port"
	PEER_PORT=$(cat "$D/rec.port")
}

# has_at_least FILE BYTES
has_at_least() {
	[[ -e $1 && $(stat -c %s -- "$1") -ge $2 ]]
}

# free_tcp_port / free_udp_port : a port that was free a moment ago (bound
# to port 0 and closed again).
free_tcp_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

free_udp_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# svc PORT PROTO : the service name sockcat shows for PORT, or "*".
svc() {
	local name
	name=$(getent services "$1/$2" | awk '{ print $1; exit }')
	printf '%s' "${name:-*}"
}

open_line() {
	printf 'Connection to 127.0.0.1 %s port [%s/%s] succeeded!' "$1" "${2:-tcp}" "$(svc "$1" "${2:-tcp}")"
}

closed_line() {
	printf 'sockcat: connect to 127.0.0.1 port %s (%s): Connection refused' "$1" "${2:-tcp}"
}

# PORTS_PY PORTFILE MODE : holds TCP sockets on 127.0.0.1 until killed,
# so that their state cannot change under the test:
#   closed N   N sockets bound to free ports but not listening (a connect
#              is refused); their ports, one a line
#   block      four consecutive ports B..B+3: B and B+2 bound but not
#              listening (closed), B+1 and B+3 listening (open); prints B
PORTS_PY='
import os, random, socket, sys, time
held = []
def bound(port, listening):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    if listening:
        s.listen(8)
    return s
if sys.argv[2] == "closed":
    for i in range(int(sys.argv[3])):
        held.append(bound(0, False))
    out = "".join("%d\n" % s.getsockname()[1] for s in held)
else:
    for attempt in range(500):
        base = random.randint(20000, 32000)
        try:
            held = [bound(base + i, i % 2 == 1) for i in range(4)]
            break
        except OSError:
            for s in held:
                s.close()
            held = []
    else:
        sys.exit("no four consecutive free ports found")
    out = "%d\n" % base
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(out)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
'

# hold_ports NAME MODE ARGS : PORTS_PY in the background; the ports in
# the array HELD.
hold_ports() {
	local name=$1
	shift
	py_bg "$name" "$PORTS_PY" "$D/$name.ports" "$@"
	wait_exists "$D/$name.ports"
	mapfile -t HELD <"$D/$name.ports"
}

# --- -C, --crlf ---------------------------------------------------------------

@test "-C: every LF is sent as CRLF, a CRLF already there is not doubled, received data is untouched" {
	rm -f "$D/peer.in"
	peer_listen peer recv-all:"$D/peer.in" sendstr:$'x\ny\r\n' close
	printf 'a\nb\r\nc\n\nd\r\r\ne\rf' >"$D/in"
	run -0 io "$D/in" "$D/out" sc -C 127.0.0.1 "$PEER_PORT"
	wait_ok "$PEER_PID"
	printf 'a\r\nb\r\nc\r\n\r\nd\r\r\ne\rf' | cmp - "$D/peer.in"
	printf 'x\ny\r\n' | cmp - "$D/out"
}

@test "--crlf: a CR at the end of one read and its LF at the start of the next stay one CRLF" {
	record_peer
	feeder_start "$D/fifo"
	bg_sc cli "$D/fifo" --crlf 127.0.0.1 "$PEER_PORT"
	feed 'abc\r'
	wait_until 10 has_at_least "$D/rec.data" 3
	feed '\ndef\n'
	wait_until 10 has_at_least "$D/rec.data" 10
	feed 'ghi'
	wait_until 10 has_at_least "$D/rec.data" 13
	feed '\n'
	wait_until 10 has_at_least "$D/rec.data" 15
	# a CR that ends the input is sent as it is
	feed '\r'
	feed_eof
	wait_exit "$BG_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	wait_ok "$PEER_PID"
	printf 'abc\r\ndef\r\nghi\r\n\r' | cmp - "$D/rec.data"
	[ ! -s "$D/cli.err" ]
}

@test "-C on a large file of random lines equals the python-computed conversion" {
	python3 - "$D/in" "$D/want" <<'EOF'
import random, re, sys
rnd = random.Random()
body = bytes(b for b in range(256) if b not in (10, 13))
out = bytearray()
while len(out) < 1500000:
    n = rnd.choice((0, 1, 2, 5, 40, 100, 300, 2000))
    out += bytes(rnd.choice(body) for _ in range(n))
    if rnd.random() < 0.05:
        out += b"\r"                    # a lone CR inside a line
    out += rnd.choice((b"\n", b"\n", b"\r\n", b"\r\r\n", b"\n\n"))
# a CRLF across every 64 KiB boundary, and a lone LF right after one
for k in range(1, len(out) // 65536):
    out[k * 65536 - 1:k * 65536 + 1] = b"\r\n"
    out[k * 65536 + 4097] = 10
open(sys.argv[1], "wb").write(out)
open(sys.argv[2], "wb").write(re.sub(rb"(?<!\r)\n", b"\r\n", bytes(out)))
EOF
	rm -f "$D/peer.in"
	peer_listen peer recv-all:"$D/peer.in" close
	run -0 sc -C 127.0.0.1 "$PEER_PORT" <"$D/in"
	wait_ok "$PEER_PID"
	cmp "$D/want" "$D/peer.in"
}

# --- -i, --interval -----------------------------------------------------------

@test "-i 200ms: three lines from one read arrive as three sends, spaced, in order" {
	record_peer
	printf 'one\ntwo\nthree\n' >"$D/in"
	run -0 sc -i 200ms 127.0.0.1 "$PEER_PORT" <"$D/in"
	wait_ok "$PEER_PID"
	cmp "$D/in" "$D/rec.data"
	run cat "$D/rec.log"
	[ "${#lines[@]}" -eq 3 ] || fail "arrivals: $output"
	# the lengths of the lines, then gaps of at least 150 ms
	awk 'NR == 1 && $2 != 4 || NR == 2 && $2 != 4 || NR == 3 && $2 != 6 { exit 1 }' "$D/rec.log"
	awk 'NR > 1 && $1 - t < 0.150 { printf "gap %.3f s\n", $1 - t; bad = 1 } { t = $1 } END { exit bad }' "$D/rec.log"
}

@test "--delay is -i: lines are paced the same way" {
	record_peer
	printf 'a\nb\n' >"$D/in"
	run -0 sc --delay 200ms 127.0.0.1 "$PEER_PORT" <"$D/in"
	wait_ok "$PEER_PID"
	cmp "$D/in" "$D/rec.data"
	[ "$(wc -l <"$D/rec.log")" -eq 2 ]
	awk 'NR > 1 && $1 - t < 0.150 { bad = 1 } { t = $1 } END { exit bad }' "$D/rec.log"
}

# --- -t, --telnet -------------------------------------------------------------

# TELNET_PY PORTFILE CLI_OUT RECORD MODE : a telnet-speaking server. It
# sends its script, half-closes and records what it receives until EOF.
# MODE whole: all in one send. MODE split: every telnet command cut
# between packets (TCP_NODELAY), and before each next packet it waits
# until sockcat's stdout (CLI_OUT) shows the data sent before the cut, so
# sockcat has read that packet: the cut falls between two reads.
# MODE other: NOP, GA, DONT, WONT and a subnegotiation holding IAC IAC.
TELNET_PY=$PY_LISTEN'
IAC, DONT, DO, WONT, WILL, SB, GA, NOP, SE = 255, 254, 253, 252, 251, 250, 249, 241, 240
c = listen(sys.argv[1])
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
out, mode = sys.argv[2], sys.argv[4]
if mode == "whole":
    c.sendall(bytes([IAC, DO, 1]) + bytes([IAC, WILL, 3]) + b"hello" +
              bytes([IAC, IAC]) + bytes([IAC, SB, 24, 1, IAC, SE]) + b"world")
elif mode == "split":
    packets = [
        (b"hello" + bytes([IAC]), 5),
        (bytes([DO, 1]) + b"A" + bytes([IAC, DO]), 6),
        (bytes([3]) + b"B" + bytes([IAC]), 7),
        (bytes([IAC]) + b"C" + bytes([IAC, SB, 24, 0]) + b"xy", 9),
        (b"z" + bytes([IAC]), 9),
        (bytes([SE]) + b"D" + bytes([IAC, WILL]), 10),
        (bytes([5]) + b"end", None),
    ]
    for data, shown in packets:
        c.sendall(data)
        if shown is not None:
            wait_size(out, shown)
else:
    c.sendall(b"a" + bytes([IAC, NOP]) + b"b" + bytes([IAC, GA]) + b"c" +
              bytes([IAC, SB, 24, 0]) + b"VT" + bytes([IAC, IAC]) + b"1" +
              bytes([IAC, SE]) + b"d" + bytes([IAC, DONT, 7, IAC, WONT, 8]) + b"e")
c.shutdown(socket.SHUT_WR)
got = b"".join(iter(lambda: c.recv(65536), b""))
open(sys.argv[3], "wb").write(got)
c.close()
'

# telnet_session MODE STDOUT_BYTES : sockcat -t against TELNET_PY MODE; its
# stdin stays open until its stdout has STDOUT_BYTES bytes, so that its
# answers can be sent.
telnet_session() {
	rm -f "$D/tel.port"
	py_bg tel "$TELNET_PY" "$D/tel.port" "$D/cli.out" "$D/tel.rec" "$1"
	wait_exists "$D/tel.port"
	feeder_start "$D/fifo"
	bg_sc cli "$D/fifo" -t 127.0.0.1 "$(cat "$D/tel.port")"
	wait_until 10 has_size "$D/cli.out" "$2"
	feed_eof
	wait_exit "$BG_PID"
	[ "$WAIT_STATUS" -eq 0 ] || fail "sockcat -t exit $WAIT_STATUS: $(cat "$D/cli.err")"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	[ ! -s "$D/cli.err" ]
}

@test "-t: DO is answered WONT, WILL is answered DONT; commands are removed, IAC IAC is one 0xff" {
	telnet_session whole 11
	printf 'hello\377world' | cmp - "$D/cli.out"
	# exactly IAC WONT 1, IAC DONT 3 and nothing else
	printf '\377\374\001\377\376\003' | cmp - "$D/tel.rec"
}

@test "--telnet: commands cut between two reads are still recognised" {
	telnet_session split 13
	printf 'helloAB\377CDend' | cmp - "$D/cli.out"
	printf '\377\374\001\377\374\003\377\376\005' | cmp - "$D/tel.rec"
}

@test "-t: other commands and a subnegotiation holding IAC IAC are dropped; DONT and WONT get no answer" {
	telnet_session other 5
	printf 'abcde' | cmp - "$D/cli.out"
	[ ! -s "$D/tel.rec" ]
}

@test "without -t telnet bytes pass through untouched" {
	rm -f "$D/peer.in"
	printf '\377\375\001hi\377\377' >"$D/tel"
	peer_listen peer send:"$D/tel" shut-wr recv-all:"$D/peer.in" close
	run -0 io /dev/null "$D/out" sc 127.0.0.1 "$PEER_PORT"
	wait_ok "$PEER_PID"
	cmp "$D/tel" "$D/out"
	[ ! -s "$D/peer.in" ]
}

# --- --retry ------------------------------------------------------------------

@test "--retry (UNIX): the client retries until a listener appears, then the data arrives, exit 0" {
	sockdir
	local p=$SOCKDIR/s
	make_payload "$D/up" 100000
	bg_sc cli "$D/up" -v --retry 20 --retry-wait 100ms -U "$p"
	wait_for "$D/cli.err" '^Connecting again in 0\.100 s$'
	start_server srv -l -U "$p"
	wait_exit "$BG_PID"
	[ "$WAIT_STATUS" -eq 0 ] || fail "client exit $WAIT_STATUS: $(cat "$D/cli.err")"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/up" "$D/srv.out"
	grep -qFx "sockcat: connect to $p (unix): No such file or directory" "$D/cli.err"
	# the success comes after the last retry notice (a -v "Peer
	# credentials" line may follow it)
	awk -v ok="Connection to $p succeeded!" '
		/^Connecting again in / { again = NR } $0 == ok { conn = NR }
		END { exit !(again && conn > again) }' "$D/cli.err"
	# every failed attempt is followed by a retry notice
	[ "$(grep -c '^sockcat: connect to ' "$D/cli.err")" -eq "$(grep -c '^Connecting again in 0\.100 s$' "$D/cli.err")" ]
}

@test "--retry (TCP): the client retries until a listener appears on the port, exit 0" {
	local port
	port=$(free_tcp_port)
	make_payload "$D/up" 100000
	bg_sc cli "$D/up" -v --retry 20 --retry-wait 100ms 127.0.0.1 "$port"
	wait_for "$D/cli.err" '^Connecting again in 0\.100 s$'
	# (the port could in theory be taken by someone else meanwhile)
	start_server srv -l 127.0.0.1 "$port"
	[ "$SRV_PORT" -eq "$port" ]
	wait_exit "$BG_PID"
	[ "$WAIT_STATUS" -eq 0 ] || fail "client exit $WAIT_STATUS: $(cat "$D/cli.err")"
	wait_ok "$SRV_PID"
	cmp "$D/up" "$D/srv.out"
	grep -qFx "$(closed_line "$port")" "$D/cli.err"
	[ "$(tail -n 1 "$D/cli.err")" = "$(open_line "$port")" ]
}

@test "--retry with stdin a pipe: data and EOF after the late connect still end the session, exit 0" {
	sockdir
	local p=$SOCKDIR/s
	feeder_start "$D/fifo"
	bg_sc cli "$D/fifo" -v --retry 20 --retry-wait 100ms -U "$p"
	wait_for "$D/cli.err" '^Connecting again in 0\.100 s$'
	start_server srv -l -U "$p"
	wait_for "$D/cli.err" '^Connection to .* succeeded!$'
	feed 'late data\n'
	wait_until 10 has_size "$D/srv.out" 10
	feed_eof
	wait_exit "$BG_PID" 10 || fail "the client did not end after its stdin's EOF: $(cat "$D/cli.err")"
	[ "$WAIT_STATUS" -eq 0 ]
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(cat "$D/srv.out")" = "late data" ]
}

@test "--retry 2 with nothing listening (UNIX): 3 attempts, 2 'Connecting again' lines, exit 4" {
	sockdir
	local p=$SOCKDIR/none t0=$EPOCHREALTIME
	run -4 --separate-stderr sc -v --retry 2 --retry-wait 300ms -U "$p" </dev/null
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 5 ]
	local err="sockcat: connect to $p (unix): No such file or directory"
	[ "${stderr_lines[0]}" = "$err" ]
	[ "${stderr_lines[1]}" = "Connecting again in 0.300 s" ]
	[ "${stderr_lines[2]}" = "$err" ]
	[ "${stderr_lines[3]}" = "Connecting again in 0.300 s" ]
	[ "${stderr_lines[4]}" = "$err" ]
	# it did wait between the attempts (generous margin)
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a >= 0.5) }'
}

@test "--retry 2 with nothing listening (TCP): 3 refused attempts, exit 4; without -v only the last error" {
	hold_ports closed closed 1
	local port=${HELD[0]}
	run -4 --separate-stderr sc -v --retry 2 --retry-wait 100ms 127.0.0.1 "$port" </dev/null
	[ "$(grep -cFx "$(closed_line "$port")" <<<"$stderr")" -eq 3 ]
	[ "$(grep -c '^Connecting again in 0\.100 s$' <<<"$stderr")" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 5 ]
	run -4 --separate-stderr sc --retry 2 --retry-wait 100ms 127.0.0.1 "$port" </dev/null
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = "$(closed_line "$port")" ]
}

# --- --reconnect --------------------------------------------------------------

@test "--reconnect: the server goes away, a new one comes on the same UNIX path, stdin goes on to it" {
	sockdir
	local p=$SOCKDIR/s
	# -d: the servers never send an end of file of their own
	start_server s1 -d -l -U "$p"
	local s1=$SRV_PID
	feeder_start "$D/fifo"
	bg_sc cli "$D/fifo" -v --reconnect --retry-wait 100ms -U "$p"
	local cli=$BG_PID
	feed 'one\n'
	wait_until 10 has_size "$D/s1.out" 4
	kill -TERM "$s1"
	wait_exit "$s1"
	wait_for "$D/cli.err" '^Reconnecting again in 0\.100 s$'
	# written while no server is there
	feed 'two\n'
	start_server s2 -d -l -U "$p"
	local s2=$SRV_PID
	wait_until 10 has_size "$D/s2.out" 4
	feed 'three\n'
	wait_until 10 has_size "$D/s2.out" 10
	feed_eof
	wait_exit "$cli" 10 || fail "the client did not end after its stdin's EOF: $(cat "$D/cli.err")"
	[ "$WAIT_STATUS" -eq 0 ]
	wait_exit "$s2"
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(cat "$D/s1.out")" = one ]
	printf 'two\nthree\n' | cmp - "$D/s2.out"
	[ "$(grep -c "^Connection to $p succeeded!\$" "$D/cli.err")" -eq 2 ]
}

# TWICE_PY PATH REC : a UNIX server that serves two connections on one
# listening socket (so a reconnect succeeds at its first attempt): the
# first is sent "from1\n", 4 bytes are read from it, and it is closed; the
# second is sent "from2\n" and read until EOF. REC gets "FIRST|SECOND".
TWICE_PY='
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + ".tmp")
s.listen(4)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(20)
c, _ = s.accept()
c.settimeout(20)
c.sendall(b"from1\n")
got = b""
while len(got) < 4:
    b = c.recv(4 - len(got))
    if not b:
        break
    got += b
c.close()
c, _ = s.accept()
c.settimeout(20)
c.sendall(b"from2\n")
rest = b"".join(iter(lambda: c.recv(65536), b""))
open(sys.argv[2], "wb").write(got + b"|" + rest)
c.close()
'

@test "--reconnect: stdout stays open across connections; the peer closing ends only its connection" {
	sockdir
	local p=$SOCKDIR/s
	py_bg twice "$TWICE_PY" "$p" "$D/twice.rec"
	wait_exists "$p"
	feeder_start "$D/fifo"
	bg_sc cli "$D/fifo" -v --reconnect --retry-wait 100ms -U "$p"
	feed 'one\n'
	wait_until 10 has_size "$D/cli.out" 12
	feed 'two\n'
	feed_eof
	wait_exit "$BG_PID"
	[ "$WAIT_STATUS" -eq 0 ] || fail "client exit $WAIT_STATUS: $(cat "$D/cli.err")"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	printf 'from1\nfrom2\n' | cmp - "$D/cli.out"
	printf 'one\n|two\n' | cmp - "$D/twice.rec"
	grep -qx 'Reconnecting again in 0\.100 s' "$D/cli.err"
	[ "$(grep -c "^Connection to $p succeeded!\$" "$D/cli.err")" -eq 2 ]
}

@test "--reconnect --retry 2: the server gone for good, 3 failed attempts, exit 4" {
	sockdir
	local p=$SOCKDIR/s
	start_server s1 -d -l -U "$p"
	feeder_start "$D/fifo"
	bg_sc cli "$D/fifo" -v --reconnect --retry 2 --retry-wait 100ms -U "$p"
	wait_for "$D/cli.err" "^Connection to $p succeeded!\$"
	kill -TERM "$SRV_PID"
	wait_exit "$BG_PID"
	[ "$WAIT_STATUS" -eq 4 ]
	[ "$(grep -cFx "sockcat: connect to $p (unix): No such file or directory" "$D/cli.err")" -eq 3 ]
	[ "$(grep -c '^Connecting again in 0\.100 s$' "$D/cli.err")" -eq 2 ]
	[ "$(grep -c '^Reconnecting again in 0\.100 s$' "$D/cli.err")" -eq 1 ]
	feed_eof
}

# --- -z: port scan ------------------------------------------------------------

# two_listeners : two sockcat -k listeners on 127.0.0.1 (ports from their
# -v lines) in O1 and O2, and two held closed ports in C1 and C2.
two_listeners() {
	start_server l1 -k -l 127.0.0.1 0
	O1=$SRV_PORT
	start_server l2 -k -l 127.0.0.1 0
	O2=$SRV_PORT
	hold_ports closed closed 2
	C1=${HELD[0]} C2=${HELD[1]}
}

@test "-z -v: a list and a second operand; one line per port in scan order, exit 0" {
	two_listeners
	run -0 --separate-stderr sc -z -v 127.0.0.1 "$C1,$O1,$C2" "$O2"
	[ -z "$output" ]
	printf '%s\n' "$(closed_line "$C1")" "$(open_line "$O1")" \
		"$(closed_line "$C2")" "$(open_line "$O2")" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
}

@test "-z: without -v no output at all; exit 0 if one port is open, 1 if none" {
	two_listeners
	run -0 --separate-stderr sc -z 127.0.0.1 "$C1,$O1,$C2"
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -1 --separate-stderr sc -z 127.0.0.1 "$C1" "$C2"
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -1 --separate-stderr sc -zv 127.0.0.1 "$C1,$C2"
	printf '%s\n' "$(closed_line "$C1")" "$(closed_line "$C2")" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
}

@test "-z: ranges, over consecutive ports held open and closed, and a one-port range p-p" {
	hold_ports block block
	local b=${HELD[0]}
	run -0 --separate-stderr sc -zv 127.0.0.1 "$b-$((b + 3))"
	printf '%s\n' "$(closed_line "$b")" "$(open_line $((b + 1)))" \
		"$(closed_line $((b + 2)))" "$(open_line $((b + 3)))" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
	# a range and a list item in one operand
	run -0 --separate-stderr sc -zv 127.0.0.1 "$((b + 1))-$((b + 2)),$b"
	printf '%s\n' "$(open_line $((b + 1)))" "$(closed_line $((b + 2)))" \
		"$(closed_line "$b")" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
	run -0 --separate-stderr sc -zv 127.0.0.1 "$((b + 1))-$((b + 1))"
	[ "$stderr" = "$(open_line $((b + 1)))" ]
	run -1 --separate-stderr sc -zv 127.0.0.1 "$((b + 2))-$((b + 2))"
	[ "$stderr" = "$(closed_line $((b + 2)))" ]
}

@test "-z -r: the same lines, in some order" {
	hold_ports block block
	local b=${HELD[0]}
	two_listeners
	run -0 --separate-stderr sc -z -r -v 127.0.0.1 "$b-$((b + 3))" "$C1,$O1" "$O2,$C2"
	[ -z "$output" ]
	printf '%s\n' "$(closed_line "$b")" "$(open_line $((b + 1)))" \
		"$(closed_line $((b + 2)))" "$(open_line $((b + 3)))" \
		"$(closed_line "$C1")" "$(open_line "$O1")" \
		"$(open_line "$O2")" "$(closed_line "$C2")" | sort >"$D/want"
	printf '%s\n' "$stderr" | sort | diff -u "$D/want" -
	run -1 --separate-stderr sc -zrv 127.0.0.1 "$C1,$C2,$b"
	printf '%s\n' "$(closed_line "$C1")" "$(closed_line "$C2")" "$(closed_line "$b")" | sort >"$D/want"
	printf '%s\n' "$stderr" | sort | diff -u "$D/want" -
}

@test "-z -i 200ms: one probe at a time, paced, in order" {
	hold_ports closed closed 3
	local t0=$EPOCHREALTIME
	run -1 --separate-stderr sc -zv -i 200ms 127.0.0.1 "${HELD[0]},${HELD[1]},${HELD[2]}"
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a >= 0.35) }'
	printf '%s\n' "$(closed_line "${HELD[0]}")" "$(closed_line "${HELD[1]}")" \
		"$(closed_line "${HELD[2]}")" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
}

# UDP_HOLD_PY PORTFILE REPLY : a UDP socket on 127.0.0.1 port 0; REPLY 1:
# answers every datagram; 0: reads nothing and never answers.
UDP_HOLD_PY='
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
if sys.argv[2] == "1":
    s.settimeout(60)
    while True:
        m, a = s.recvfrom(65536)
        s.sendto(b"here\n", a)
time.sleep(60)
'

udp_hold() {
	rm -f "$D/$1.port"
	py_bg "$1" "$UDP_HOLD_PY" "$D/$1.port" "$2"
	wait_exists "$D/$1.port"
	UDP_PORT=$(cat "$D/$1.port")
}

@test "-z -u: a bound UDP port that never answers is open|filtered (open, -vv says so), exit 0" {
	udp_hold silent 0
	run -0 --separate-stderr sc -z -u -vv --connect-timeout 500ms 127.0.0.1 "$UDP_PORT"
	[ -z "$output" ]
	printf '%s\n' "$(open_line "$UDP_PORT" udp)" \
		"Port $UDP_PORT/udp: no answer (open|filtered)" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
	# -v alone: only the open line
	run -0 --separate-stderr sc -z -u -v --connect-timeout 500ms 127.0.0.1 "$UDP_PORT"
	[ "$stderr" = "$(open_line "$UDP_PORT" udp)" ]
}

@test "-z -u: an unbound UDP port is closed (ICMP unreachable), exit 1; with a silent one, exit 0" {
	udp_hold silent 0
	local closed
	closed=$(free_udp_port)
	run -1 --separate-stderr sc -z -u -v --connect-timeout 500ms 127.0.0.1 "$closed"
	[ -z "$output" ]
	[ "$stderr" = "$(closed_line "$closed" udp)" ]
	run -0 --separate-stderr sc -z -u -vv --connect-timeout 500ms 127.0.0.1 "$closed,$UDP_PORT"
	printf '%s\n' "$(closed_line "$closed" udp)" "$(open_line "$UDP_PORT" udp)" \
		"Port $UDP_PORT/udp: no answer (open|filtered)" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
}

@test "-z -u: a UDP port that answers is open, without the open|filtered line" {
	udp_hold echo 1
	run -0 --separate-stderr sc -z -u -vv --connect-timeout 500ms 127.0.0.1 "$UDP_PORT"
	[ -z "$output" ]
	[ "$stderr" = "$(open_line "$UDP_PORT" udp)" ]
}

# --- usage errors -------------------------------------------------------------

@test "usage errors of the scripting options: exit 2, one line and the Try line" {
	usage_row 'backwards' -z 127.0.0.1 100-90
	usage_row '70000|range|65535' -z 127.0.0.1 1-70000
	usage_row '65536|range|65535' -z 127.0.0.1 65536
	usage_row '65536|range|65535' -z 127.0.0.1 80,65536
	usage_row '0' -z 127.0.0.1 0
	usage_row '' -z 127.0.0.1 80-
	usage_row '' -z 127.0.0.1 80,,81
	usage_row '' -z 127.0.0.1
	usage_row '\-r.*-z' -r 127.0.0.1 80
	usage_row '\-z.*-l|-l.*-z' -z -l 127.0.0.1 80
	usage_row '\-z.*-l|-l.*-z' -l -z 127.0.0.1 80
	usage_row '\-\-retry' --retry 0 127.0.0.1 80
	usage_row '\-\-retry' --retry -1 127.0.0.1 80
	usage_row '\-\-retry' --retry x 127.0.0.1 80
	usage_row '\-\-retry-wait' --retry-wait 1s 127.0.0.1 80
	usage_row '\-\-scan-parallel' -z --scan-parallel 0 127.0.0.1 80
	usage_row '\-\-scan-parallel' -z --scan-parallel 1025 127.0.0.1 80
	usage_row '\-\-scan-parallel' --scan-parallel 4 127.0.0.1 80
	usage_row '\-\-progress' --progress=sometimes 127.0.0.1 80
	usage_row '\-\-append-output' --append-output 127.0.0.1 80
	usage_row '\-i' -i 0 127.0.0.1 80
	usage_row '\-i' -i x 127.0.0.1 80
	usage_row '\-t|telnet' -t -u 127.0.0.1 80
	usage_row '\-t|telnet' -t -U /tmp/x
	usage_row '\-\-retry|--reconnect' --retry 3 -l 127.0.0.1 0
	usage_row '\-\-retry|--reconnect' --reconnect -l 127.0.0.1 0
	rows_done
}

# --- -z: service names, parallel probes, timeouts, -r --------------------------

# netns_start : a private network namespace, held by a sleeping process
# under timeout (tracked), with lo up; NS_PID names it for in_ns. Nothing
# in it can reach beyond its own loopback.
netns_start() {
	need_netns
	timeout -k 2 "$SC_TIMEOUT" unshare -n sleep "$SC_TIMEOUT" </dev/null 3>&- &
	track $!
	wait_until 10 ns_ready $!
	nsenter -t "$NS_PID" -n ip link set lo up
}

# ns_ready PID : the child of PID (unshare, become sleep) is in a network
# namespace of its own; sets NS_PID to it.
ns_ready() {
	NS_PID=$(pgrep -P "$1" | head -n 1)
	[[ -n $NS_PID && $(readlink "/proc/$NS_PID/ns/net") != "$(readlink /proc/self/ns/net)" ]]
}

# in_ns CMD... : CMD in the namespace of netns_start.
in_ns() {
	nsenter -t "$NS_PID" -n "$@"
}

# need_services NAME/PORT... : skip unless /etc/services (getent) names
# each PORT/tcp NAME.
need_services() {
	local s
	for s in "$@"; do
		[[ $(getent services "${s#*/}/tcp" | awk '{ print $1; exit }') == "${s%/*}" ]] ||
			skip "no service ${s%/*} on ${s#*/}/tcp in /etc/services"
	done
}

@test "-z: service names (http, ssh), a range of names (ssh-http), the [tcp/http] label of an open port" {
	need_services ssh/22 http/80 ftp/21
	netns_start
	# in the namespace, port 80 is ours: a listener there, 22 closed
	rm -f "$D/ns.port"
	in_ns timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -l -k --port-file "$D/ns.port" 127.0.0.1 80 \
		</dev/null >/dev/null 2>"$D/ns.err" 3>&- &
	track $!
	wait_exists "$D/ns.port"
	run -0 --separate-stderr in_ns timeout 10 "$SOCKCAT" -z -v 127.0.0.1 ssh,http
	printf '%s\n' 'sockcat: connect to 127.0.0.1 port 22 (tcp): Connection refused' \
		'Connection to 127.0.0.1 80 port [tcp/http] succeeded!' >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
	run -1 --separate-stderr in_ns timeout 10 "$SOCKCAT" -z -v 127.0.0.1 ssh ftp
	assert_equal "$stderr" 'sockcat: connect to 127.0.0.1 port 22 (tcp): Connection refused
sockcat: connect to 127.0.0.1 port 21 (tcp): Connection refused'
	# ssh-http is 22-80: 59 lines in order, only 80 open
	run -0 --separate-stderr in_ns timeout 10 "$SOCKCAT" -z -v 127.0.0.1 ssh-http
	{
		for ((p = 22; p < 80; p++)); do
			printf 'sockcat: connect to 127.0.0.1 port %d (tcp): Connection refused\n' "$p"
		done
		echo 'Connection to 127.0.0.1 80 port [tcp/http] succeeded!'
	} >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
}

@test "-z: a service name that has a dash in it (ftp-data) is that service, not a range" {
	need_services ftp-data/20
	netns_start
	rm -f "$D/ns.port"
	in_ns timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -l -k --port-file "$D/ns.port" 127.0.0.1 20 \
		</dev/null >/dev/null 2>"$D/ns.err" 3>&- &
	track $!
	wait_exists "$D/ns.port"
	# a connect to it takes the name as a port, as it should
	run -0 --separate-stderr in_ns timeout 10 "$SOCKCAT" -v -d 127.0.0.1 ftp-data </dev/null
	assert_equal "$stderr" 'Connection to 127.0.0.1 20 port [tcp/ftp-data] succeeded!'
	# and so must the scan
	run -0 --separate-stderr in_ns timeout 10 "$SOCKCAT" -z -v 127.0.0.1 ftp-data
	assert_equal "$stderr" 'Connection to 127.0.0.1 20 port [tcp/ftp-data] succeeded!'
}

# max_open TRACE : the largest number of sockets open at once in TRACE
# (made by socket(), not yet closed).
max_open() {
	awk '
		/ socket\(.*\) = [0-9]+$/ { open[$NF] = 1; n++; if (n > max) max = n }
		/ close\([0-9]+\) = 0$/ { fd = $2; sub(/^close\(/, "", fd); sub(/\)$/, "", fd)
			if (fd in open) { delete open[fd]; n-- } }
		END { print max + 0 }' "$1"
}

@test "--scan-parallel N: never more than N probes in flight (from the trace)" {
	local n list
	hold_ports closed closed 40
	list=$(IFS=,; echo "${HELD[*]}")
	for n in 1 3 10; do
		run -1 --separate-stderr sc -z --scan-parallel "$n" --trace="$D/scan$n.tr" 127.0.0.1 "$list"
		(($(grep -c ' socket(' "$D/scan$n.tr") == 40)) ||
			fail "--scan-parallel $n: not 40 sockets"
		(($(grep -c ' close(' "$D/scan$n.tr") == 40))
		# the bound is reached (all start at once, up to N) and kept
		assert_equal "$(max_open "$D/scan$n.tr")" "$n"
	done
	# the default (32) lets more run at once than 10
	run -1 --separate-stderr sc -z --trace="$D/scan.tr" 127.0.0.1 "$list"
	assert_equal "$(max_open "$D/scan.tr")" 32
}

@test "-z --connect-timeout: a probe that cannot complete times out, the scan goes on and ends" {
	local bp
	rm -f "$D/backlog.port"
	peer_bg backlog python3 "$SC_FIXTURES/backlog.py" "$D/backlog.port"
	wait_exists "$D/backlog.port"
	bp=$(cat "$D/backlog.port")
	start_server open -k -l 127.0.0.1 0
	SC_TIMEOUT=10 run -0 --separate-stderr sc -z -v --connect-timeout 300ms \
		127.0.0.1 "$bp,$SRV_PORT"
	printf '%s\n' "sockcat: connect to 127.0.0.1 port $bp (tcp): Connection timed out" \
		"$(open_line "$SRV_PORT")" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
	# alone: nothing open, exit 1; -w sets the probe's timeout too
	SC_TIMEOUT=10 run -1 --separate-stderr sc -z -v -w 300ms 127.0.0.1 "$bp"
	assert_equal "$stderr" "sockcat: connect to 127.0.0.1 port $bp (tcp): Connection timed out"
}

@test "-z -r -v over 200 closed ports: each reported once, not in ascending order" {
	local -a ports got
	hold_ports closed closed 200
	mapfile -t ports < <(printf '%s\n' "${HELD[@]}" | sort -n)
	run -1 --separate-stderr sc -z -r -v 127.0.0.1 "$(IFS=,; echo "${ports[*]}")"
	mapfile -t got < <(sed -En 's/^sockcat: connect to 127\.0\.0\.1 port ([0-9]+) \(tcp\): Connection refused$/\1/p' <<<"$stderr")
	assert_equal "${#got[@]}" 200
	# the same ports, each once
	assert_equal "$(printf '%s\n' "${got[@]}" | sort -n | tr '\n' ' ')" "${ports[*]} "
	# A uniform shuffle of 200 ports comes out ascending with probability
	# 1/200! (about 1e-375): never, in any number of runs.
	[[ "${got[*]}" != "${ports[*]}" ]] || fail "-r scanned the ports in ascending order"
	# without -r: ascending, as given (so the check above can tell)
	run -1 --separate-stderr sc -z -v 127.0.0.1 "$(IFS=,; echo "${ports[*]}")"
	mapfile -t got < <(sed -En 's/^sockcat: connect to 127\.0\.0\.1 port ([0-9]+) \(tcp\): Connection refused$/\1/p' <<<"$stderr")
	assert_equal "${got[*]}" "${ports[*]}"
}

# --- --reconnect over TCP, the --retry-wait default ---------------------------

@test "--reconnect (TCP): the server goes away, a new one comes on the same port, stdin goes on to it" {
	# -d: the servers never send an end of file of their own
	start_server s1 -d -l 127.0.0.1 0
	local s1=$SRV_PID port=$SRV_PORT
	feeder_start "$D/fifo"
	bg_sc cli "$D/fifo" -v --reconnect --retry-wait 100ms 127.0.0.1 "$port"
	local cli=$BG_PID
	feed 'one\n'
	wait_until 10 has_size "$D/s1.out" 4
	kill -TERM "$s1"
	wait_exit "$s1"
	wait_for "$D/cli.err" '^Reconnecting again in 0\.100 s$'
	# written while no server is there
	feed 'two\n'
	# the same port: the test had it from the kernel for s1 (in theory
	# someone else could take it in between)
	start_server s2 -d -l 127.0.0.1 "$port"
	[ "$SRV_PORT" -eq "$port" ]
	local s2=$SRV_PID
	wait_until 10 has_size "$D/s2.out" 4
	feed 'three\n'
	wait_until 10 has_size "$D/s2.out" 10
	feed_eof
	wait_exit "$cli" 10 || fail "the client did not end after its stdin's EOF: $(cat "$D/cli.err")"
	[ "$WAIT_STATUS" -eq 0 ]
	wait_exit "$s2"
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(cat "$D/s1.out")" = one ]
	printf 'two\nthree\n' | cmp - "$D/s2.out"
	[ "$(grep -cFx "$(open_line "$port")" "$D/cli.err")" -eq 2 ]
}

@test "--retry-wait defaults to 1 s: the -v line says 'Connecting again in 1.000 s'" {
	sockdir
	local p=$SOCKDIR/none
	SC_TIMEOUT=10 run -4 --separate-stderr sc -v --retry 1 -U "$p" </dev/null
	assert_output ''
	assert_equal "$stderr" "sockcat: connect to $p (unix): No such file or directory
Connecting again in 1.000 s
sockcat: connect to $p (unix): No such file or directory"
}
