#!/usr/bin/env bats
# The EOF and half-close state machine, each rule of the man page's table
# observed from a scripted peer (tests/fixtures/peer.py) that records what
# it received and when it saw EOF.

load helpers

# start_peer ACTIONS... : a peer listening on $PEER_ADDR (127.0.0.1 unless
# set) port 0 that runs ACTIONS on its one connection; sets PEER_PID and
# PEER_PORT.
start_peer() {
	local pf=$BATS_TEST_TMPDIR/peer.port
	rm -f "$pf"
	timeout -k 2 "$SC_TIMEOUT" python3 "$SC_FIXTURES/peer.py" \
		--listen "${PEER_ADDR:-127.0.0.1}" --portfile "$pf" "$@" </dev/null 3>&- &
	PEER_PID=$!
	track "$PEER_PID"
	wait_for "$pf" '^[0-9]+$'
	PEER_PORT=$(cat "$pf")
}

# open_stdin : a FIFO for a client's stdin that the test holds open (no
# EOF until close_stdin); sets FIFO. Open the writer after the reader.
open_stdin() {
	FIFO=$BATS_TEST_TMPDIR/stdin.fifo
	mkfifo "$FIFO"
}
hold_stdin() {
	exec {STDIN_W}>"$FIFO"
}
close_stdin() {
	exec {STDIN_W}>&-
}

# client_held ARGS... : run "sockcat ARGS" in the background with its
# stdin on a FIFO the test holds open (close_stdin ends it), stdout in
# $D/out and stderr in $D/err; sets CLI_PID.
client_held() {
	open_stdin
	sc "$@" <"$FIFO" >"$D/out" 2>"$D/err" 3>&- &
	CLI_PID=$!
	track "$CLI_PID"
	hold_stdin
}

# peer_state : the TCP state of the peer's connected socket.
peer_state() {
	ss -Htan "sport = :$PEER_PORT" | awk '$1 != "LISTEN" {print $1}'
}

setup() {
	D=$BATS_TEST_TMPDIR
}

@test "request, half-close, response: the whole reply arrives, exit 0" {
	make_payload "$D/req" $((1024 * 1024))
	make_payload "$D/resp" $((4 * 1024 * 1024))
	start_peer "recv-all:$D/got" "send:$D/resp" close
	sc -n 127.0.0.1 "$PEER_PORT" <"$D/req" >"$D/out"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/req" "$D/got"
	cmp "$D/resp" "$D/out"
}

@test "an HTTP/1.0-style exchange prints the whole reply" {
	printf 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello' >"$D/resp"
	start_peer "recv-all:$D/got" "send:$D/resp" close
	printf 'GET / HTTP/1.0\r\n\r\n' | sc -n 127.0.0.1 "$PEER_PORT" >"$D/out"
	cmp "$D/resp" "$D/out"
	printf 'GET / HTTP/1.0\r\n\r\n' | cmp - "$D/got"
}

@test "the tail that arrives together with the peer's EOF is written" {
	make_payload "$D/data" 100000
	start_peer "send:$D/data" close
	sc -n 127.0.0.1 "$PEER_PORT" </dev/null >"$D/out"
	cmp "$D/data" "$D/out"
}

@test "after the peer half-closes, sending goes on until stdin ends" {
	printf 'greeting\n' >"$D/greet"
	start_peer "send:$D/greet" shut-wr "recv-all:$D/got"
	client_held -n 127.0.0.1 "$PEER_PORT"
	printf 'part one\n' >&"$STDIN_W"
	wait_for "$D/out" '^greeting$'	# the peer's EOF has arrived
	printf 'part two\n' >&"$STDIN_W"
	close_stdin
	wait_exit "$CLI_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	printf 'part one\npart two\n' | cmp - "$D/got"
}

@test "--exit-on-peer-eof ends the session at the peer's EOF" {
	printf 'bye\n' >"$D/greet"
	start_peer "send:$D/greet" close
	client_held --exit-on-peer-eof -n 127.0.0.1 "$PEER_PORT"
	wait_exit "$CLI_PID"
	close_stdin
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(cat "$D/out")" = "bye" ]
}

@test "with a terminal on stdin, the peer's EOF ends the session" {
	need_cmd script bsdutils
	printf 'from peer\n' >"$D/greet"
	start_peer "send:$D/greet" close
	open_stdin
	# script gives sockcat a pty as stdin; the FIFO keeps script's own
	# input open, so no EOF reaches the terminal.
	timeout -k 2 "$SC_TIMEOUT" script -qfec \
		"$SOCKCAT -n 127.0.0.1 $PEER_PORT; echo \"status=\$?\"" /dev/null \
		<"$FIFO" >"$D/out" 3>&- &
	local cli=$!
	track "$cli"
	hold_stdin
	wait_exit "$cli"
	close_stdin
	[ "$WAIT_STATUS" -eq 0 ]
	grep -q 'from peer' "$D/out"
	grep -q 'status=0' "$D/out"
}

@test "a listener with stdin at /dev/null half-closes and still takes a whole upload" {
	make_payload "$D/data" $((8 * 1024 * 1024))
	start_server srv -vv -n -l 127.0.0.1 0
	run -0 sc -n 127.0.0.1 "$SRV_PORT" <"$D/data"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/data" "$D/srv.out"
	grep -qx 'EOF on stdin; shutdown(SHUT_WR) sent' "$D/srv.err"
}

@test "a listener started with stdin closed serves its client" {
	make_payload "$D/data" 100000
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v -n -l 127.0.0.1 0 \
		<&- >"$D/srv.out" 2>"$D/srv.err" 3>&- &
	local srv=$!
	track "$srv"
	wait_for "$D/srv.err" '^Listening on '
	local port
	port=$(sed -En 's/^Listening on .* ([0-9]+)$/\1/p' "$D/srv.err")
	run -0 sc -n 127.0.0.1 "$port" <"$D/data"
	wait_exit "$srv"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/data" "$D/srv.out"
}

@test "-q ends the session after stdin EOF although the peer stays open" {
	start_peer "recv-all:$D/got" hold
	run -0 sc -q 200ms -n 127.0.0.1 "$PEER_PORT" <<<"quit soon"
	[ "$(cat "$D/got")" = "quit soon" ]
	kill -0 "$PEER_PID"	# the peer never closed
}

@test "-q 0 ends the session as soon as stdin's EOF is sent" {
	start_peer "recv-all:$D/got" hold
	run -0 sc -q 0 -n 127.0.0.1 "$PEER_PORT" <<<"at once"
	[ "$(cat "$D/got")" = "at once" ]
}

@test "-d never reads stdin and sends no EOF; the peer's EOF ends it" {
	printf 'secret\n' >"$D/in"
	start_peer sendstr:hello shut-wr mark:"$D/peer-shut" "recv-all:$D/got"
	run -0 --separate-stderr sc -vv -d -n 127.0.0.1 "$PEER_PORT" <"$D/in"
	[ "$output" = "hello" ]
	wait_ok "$PEER_PID"
	[ ! -s "$D/got" ]
	[[ $stderr != *"EOF on stdin"* ]]
}

@test "--recv-only sends EOF at once and never reads stdin" {
	printf 'secret\n' >"$D/in"
	# the peer replies only after it has seen our EOF
	start_peer "recv-all:$D/got" sendstr:reply close
	run -0 sc --recv-only -n 127.0.0.1 "$PEER_PORT" <"$D/in"
	[ "$output" = "reply" ]
	[ ! -s "$D/got" ]
}

@test "--send-only: stdout untouched, ends once stdin's EOF is sent" {
	make_payload "$D/data" 300000
	start_peer sendstr:noise "recv-all:$D/got" mark:"$D/done" hold
	sc --send-only -n 127.0.0.1 "$PEER_PORT" <"$D/data" >"$D/out"
	[ ! -s "$D/out" ]
	wait_exists "$D/done"
	cmp "$D/data" "$D/got"
	kill -0 "$PEER_PID"	# sockcat ended without waiting for the peer
}

@test "stdin EOF sends shutdown(SHUT_WR): the peer's socket is in CLOSE-WAIT" {
	start_peer "recv-all:$D/got" hold
	client_held -vv -n 127.0.0.1 "$PEER_PORT"
	printf 'abc' >&"$STDIN_W"
	close_stdin
	wait_for "$D/err" '^EOF on stdin; shutdown\(SHUT_WR\) sent$'
	wait_for "$D/got" '^abc$'
	[ "$(peer_state)" = "CLOSE-WAIT" ]
}

@test "-N is accepted and shuts down as the default does" {
	start_peer "recv-all:$D/got" sendstr:done close
	run -0 --separate-stderr sc -vv -N -n 127.0.0.1 "$PEER_PORT" <<<"n"
	[ "$output" = "done" ]
	[[ $stderr == *"EOF on stdin; shutdown(SHUT_WR) sent"* ]]
}

@test "--no-shutdown leaves the sending side open after stdin EOF" {
	start_peer "recv:3:$D/got" mark:"$D/got3" hold
	sc -vv --no-shutdown -n 127.0.0.1 "$PEER_PORT" <<<"abc" >"$D/out" 2>"$D/err" 3>&- &
	local cli=$!
	track "$cli"
	wait_for "$D/err" '^EOF on stdin; sending side left open$'
	wait_exists "$D/got3"
	[ "$(peer_state)" = "ESTAB" ]
	kill -0 "$cli"	# still relaying: the peer may send more
}

@test "a peer that resets while we send: exit 4, received data still written" {
	start_peer sendstr:bye "recv:10:$D/x" rst
	run -4 --separate-stderr sc -n 127.0.0.1 "$PEER_PORT" < <(yes)
	[ "$output" = "bye" ]
	[[ $stderr =~ ^sockcat:\ (send\ to|recv\ from)\ 127\.0\.0\.1\ port\ [0-9]+\ \(tcp\):\ (Connection\ reset\ by\ peer|Broken\ pipe)$ ]]
}

@test "a peer that closes completely: the next sends fail, exit 4" {
	start_peer sendstr:hi close
	run -4 --separate-stderr sc -n 127.0.0.1 "$PEER_PORT" < <(yes)
	[ "$output" = "hi" ]
	[[ $stderr =~ ^sockcat:\ (send\ to|recv\ from)\ 127\.0\.0\.1\ port\ [0-9]+\ \(tcp\):\ (Connection\ reset\ by\ peer|Broken\ pipe)$ ]]
}

@test "stdout closed by its reader: exit 1 naming the write" {
	make_payload "$D/data" $((4 * 1024 * 1024))
	start_peer "send:$D/data" hold
	run -1 bash -c '"$0" -n 127.0.0.1 "$1" </dev/null 2>"$2" | head -c 10 >/dev/null; exit "${PIPESTATUS[0]}"' \
		"$SOCKCAT" "$PEER_PORT" "$D/err"
	[ "$(cat "$D/err")" = "sockcat: write to stdout: Broken pipe" ]
}

@test "-w: an idle session ends with status 0 after the data" {
	start_peer sendstr:hello hold
	client_held -w 300ms -n 127.0.0.1 "$PEER_PORT"
	wait_exit "$CLI_PID"
	close_stdin
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(cat "$D/out")" = "hello" ]
}

@test "--idle-timeout alone ends an idle session with status 0" {
	start_peer hold
	client_held --idle-timeout 200ms -n 127.0.0.1 "$PEER_PORT"
	wait_exit "$CLI_PID"
	close_stdin
	[ "$WAIT_STATUS" -eq 0 ]
}

@test "listener side: the client's EOF closes the listener's stdout (pipeline use)" {
	make_payload "$D/data" $((2 * 1024 * 1024))
	open_stdin
	# the listener's stdin stays open; its stdout feeds sha256sum
	(timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v -n -l 127.0.0.1 0 <"$FIFO" 2>"$D/srv.err" |
		sha256sum >"$D/sum") 3>&- &
	local pipeline=$!
	track "$pipeline"
	hold_stdin
	wait_for "$D/srv.err" '^Listening on '
	local port
	port=$(sed -En 's/^Listening on .* ([0-9]+)$/\1/p' "$D/srv.err")
	run -0 sc -n 127.0.0.1 "$port" <"$D/data"
	wait_for "$D/sum" '-$'	# sha256sum saw EOF while sockcat still runs
	[ "$(sha256sum <"$D/data")" = "$(cat "$D/sum")" ]
	close_stdin
	wait_exit "$pipeline"
}

# --- IPv6 and UNIX stream variants ------------------------------------------

@test "request, half-close, response over IPv6 (::1): the whole reply arrives, exit 0" {
	need_ipv6
	make_payload "$D/req" $((1024 * 1024))
	make_payload "$D/resp" $((4 * 1024 * 1024))
	PEER_ADDR=::1 start_peer "recv-all:$D/got" "send:$D/resp" close
	run -0 io "$D/req" "$D/out" sc -n ::1 "$PEER_PORT"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/req" "$D/got"
	cmp "$D/resp" "$D/out"
}

# tail_client ARGS... : sockcat ARGS (the peer's address) gets 100000
# bytes that the peer sends and closes at once: all of them, exit 0.
tail_client() {
	run -0 io /dev/null "$D/out" sc "$@"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/data" "$D/out"
}

@test "the tail that arrives together with the peer's EOF is written, IPv6 (::1)" {
	need_ipv6
	make_payload "$D/data" 100000
	PEER_ADDR=::1 start_peer "send:$D/data" close
	tail_client -n ::1 "$PEER_PORT"
}

@test "the tail that arrives together with the peer's EOF is written, UNIX stream" {
	make_payload "$D/data" 100000
	sockdir
	peer_bg peer python3 "$SC_FIXTURES/peer.py" --unix "$SOCKDIR/s" "send:$D/data" close
	wait_exists "$SOCKDIR/s"
	tail_client -U "$SOCKDIR/s"
}

# tail_listener ADDR|PATH : a listener (sockcat -l on ADDR port 0, or -U
# PATH; stdin /dev/null) is sent 100000 bytes by a client that closes at
# once (peer.py): it writes all of them and exits 0.
tail_listener() {
	local to
	make_payload "$D/data" 100000
	if [[ $1 == /* ]]; then
		start_server srv -l -U "$1"
		to=(--connect-unix "$1")
	else
		start_server srv -n -l "$1" 0
		to=(--connect "$1" "$SRV_PORT")
	fi
	run -0 peer python3 "$SC_FIXTURES/peer.py" "${to[@]}" "send:$D/data" close
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/data" "$D/srv.out"
}

@test "listener side: the tail that arrives together with the client's EOF is written, IPv4" {
	tail_listener 127.0.0.1
}

@test "listener side: the tail that arrives together with the client's EOF is written, IPv6 (::1)" {
	need_ipv6
	tail_listener ::1
}

@test "listener side: the tail that arrives together with the client's EOF is written, UNIX stream" {
	sockdir
	tail_listener "$SOCKDIR/s"
}

# --- -w as OpenBSD nc has it: echo stats | nc -w1 host port -----------------

@test "echo stats | sockcat -w1: the answer is printed, then -w ends the idle session with 0" {
	# The server answers the request and then stays silent and open, as
	# memcached does: only -w's idle timeout can end the session.
	start_peer "recv:6:$D/got" sendstr:"STAT pid 1"$'\r\n'"END"$'\r\n' hold
	echo stats >"$D/req"
	SC_TIMEOUT=10 run -0 --separate-stderr io "$D/req" "$D/out" sc -w1 -n 127.0.0.1 "$PEER_PORT"
	assert_equal "$stderr" ''
	printf 'STAT pid 1\r\nEND\r\n' | cmp - "$D/out"
	[ "$(cat "$D/got")" = stats ]
	kill -0 "$PEER_PID"	# the server never closed: the timeout ended it
}
