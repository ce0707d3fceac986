#!/usr/bin/env bats
# UNIX stream sockets (-U): data transfer, EOF handling, abstract names,
# the socket file's life cycle (claim, refusal, removal), errors and -v.

load helpers

# --- local helpers ----------------------------------------------------------

# unix_send_blocked PID : process PID is asleep in its poll/epoll wait while
# each of its established UNIX stream sockets is unwritable (the kernel
# reports a UNIX socket writable only when its send queue, skmem t, is at
# most a quarter of its send buffer, tb): the sender cannot make progress.
unix_send_blocked() {
	local t tb n=0
	[[ $(ps -o stat= -p "$1") == S* ]] || return 1
	grep -Eq 'poll|select' "/proc/$1/wchan" 2>/dev/null || return 1
	while read -r t tb; do
		((4 * t > tb)) || return 1
		n=$((n + 1))
	done < <(ss -xmpH state established 2>/dev/null |
		grep -F "pid=$1," |
		sed -En 's/.*skmem:\([^)]*[(,]t([0-9]+),tb([0-9]+).*/\1 \2/p')
	((n > 0))
}

# stale_socket PATH : leave a UNIX socket file at PATH with nobody behind it.
stale_socket() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])' "$1"
	[[ -S $1 ]]
}

setup() {
	sockdir
	P=$SOCKDIR/s
	D=$BATS_TEST_TMPDIR
}

# --- 1. binary-safe transfer --------------------------------------------------

@test "unix: listener receives a 64 MiB binary upload from the client" {
	make_payload "$D/up" $((64 << 20))
	start_server srv -l -U "$P"
	run -0 sc_out "$D/cli.out" -U "$P" <"$D/up"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
	[[ ! -s $D/cli.out ]]
}

@test "unix: listener sends a 64 MiB binary download to the client" {
	make_payload "$D/down" $((64 << 20))
	SRV_IN=$D/down start_server srv -l -U "$P"
	run -0 sc_out "$D/cli.out" -U "$P" </dev/null
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/down" "$D/cli.out"
	[[ ! -s $D/srv.out ]]
}

@test "unix: request, half-close, response: both directions intact" {
	make_payload "$D/req" $((3 << 20))
	make_payload "$D/resp" $((5 << 20))
	SRV_IN=$D/resp start_server srv -l -U "$P"
	run -0 sc_out "$D/cli.out" -U "$P" <"$D/req"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/req" "$D/srv.out"
	cmp "$D/resp" "$D/cli.out"
}

# --- 2. the listener closes its stdout when the client leaves -------------

@test "unix: 'sockcat -l -U path | consumer' ends when the client leaves" {
	local pid c
	make_payload "$D/data" $((4 << 20))
	(timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v -l -U "$P" </dev/null 2>"$D/srv.err" |
		sha256sum >"$D/sum") 3>&- &
	pid=$!
	track "$pid"
	wait_for "$D/srv.err" "^Listening on $P\$"
	for c in $(pgrep -P "$pid"); do track "$c"; done
	run -0 sc -U "$P" <"$D/data"
	wait_exit "$pid"
	((WAIT_STATUS == 0))
	[[ $(cut -d' ' -f1 "$D/sum") == $(sha256sum <"$D/data" | cut -d' ' -f1) ]]
}

@test "unix: listener closes stdout at client EOF while its own stdin stays open" {
	local sumpid lpid
	make_payload "$D/data" $((4 << 20))
	mkfifo "$D/in" "$D/pipe"
	exec 7<>"$D/in"		# keeps the listener's stdin open, unread
	sha256sum <"$D/pipe" >"$D/sum" 3>&- 7>&- &
	sumpid=$!
	track "$sumpid"
	# The timeout wrapper must not hold the pipe: only sockcat writes it.
	timeout -k 2 "$SC_TIMEOUT" sh -c 'exec "$@" >"$0"' "$D/pipe" \
		"$SOCKCAT" -v -l -U "$P" <"$D/in" 2>"$D/srv.err" 3>&- 7>&- &
	lpid=$!
	track "$lpid"
	wait_for "$D/srv.err" "^Listening on $P\$"
	run -0 sc -q 0 -U "$P" <"$D/data" 7>&-
	# The consumer sees EOF although the listener still runs (stdin open).
	wait_exit "$sumpid"
	[[ $(cut -d' ' -f1 "$D/sum") == $(sha256sum <"$D/data" | cut -d' ' -f1) ]]
	kill -0 "$lpid"
	# Without -k the path goes once the one client is accepted.
	[[ ! -e $P ]]
	# stdin EOF now ends the session normally.
	exec 7>&-
	wait_exit "$lpid"
	((WAIT_STATUS == 0))
}

# --- 3. abstract names ------------------------------------------------------

@test "unix: abstract @name listen and connect, no file created" {
	has_feature abstract-unix || skip "abstract UNIX sockets (feature abstract-unix) not built in"
	local name=sockcat-test-$$-$BATS_TEST_NUMBER-$RANDOM
	make_payload "$D/up" $((1 << 20))
	make_payload "$D/down" $((1 << 20))
	cd "$D"
	SRV_IN=$D/down start_server srv -l -U "@$name"
	# It is in the abstract namespace: /proc/net/unix shows it as @name.
	grep -Eq " @$name\$" /proc/net/unix
	run -0 --separate-stderr sc_out "$D/cli.out" -v -U "@$name" <"$D/up"
	[[ ${stderr_lines[0]} == "Connection to @$name succeeded!" ]]
	[[ ${stderr_lines[1]} =~ ^Peer\ credentials:\ pid\ [0-9]+, ]]
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
	cmp "$D/down" "$D/cli.out"
	run -0 find "$D" /tmp "$SOCKDIR" -maxdepth 1 -name "*$name*"
	[[ -z $output ]]
	run -1 grep -q -- "$name" /proc/net/unix
}

# --- 4. stale socket replaced ------------------------------------------------

@test "unix: a stale socket file at the path is replaced" {
	make_payload "$D/up" $((1 << 20))
	stale_socket "$P"
	# Nobody is behind it.
	run -4 sc -U "$P" </dev/null
	start_server srv -l -U "$P"
	grep -qx "Listening on $P" "$D/srv.err"
	[[ -S $P ]]
	run -0 sc -U "$P" <"$D/up"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
}

# --- 5. live socket refused -------------------------------------------------

@test "unix: a path with a live listener is refused; the first listener keeps working" {
	make_payload "$D/up" $((1 << 20))
	start_server srv -l -U "$P"
	run -1 --separate-stderr sc -l -U "$P" </dev/null
	[[ -z $output ]]
	((${#stderr_lines[@]} == 1))
	[[ ${stderr_lines[0]} == "sockcat: listen on $P: a server is listening there already" ]]
	# The first listener is still there and serves a client.
	[[ -S $P ]]
	kill -0 "$SRV_PID"
	run -0 sc -U "$P" <"$D/up"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
}

# --- 6. regular file refused ------------------------------------------------

@test "unix: a regular file at the path is refused and left untouched" {
	printf 'precious\0data\n' >"$P"
	cp "$P" "$D/orig"
	run -1 --separate-stderr sc -l -U "$P" </dev/null
	[[ -z $output ]]
	((${#stderr_lines[@]} == 1))
	[[ ${stderr_lines[0]} == "sockcat: listen on $P: exists and is not a socket" ]]
	[[ -f $P && ! -S $P ]]
	cmp "$D/orig" "$P"
}

# --- 7. path removal ----------------------------------------------------------

@test "unix: the socket path is removed after a normal session" {
	start_server srv -l -U "$P"
	[[ -S $P ]]
	run -0 sc -U "$P" </dev/null
	wait_gone "$P"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	[[ ! -e $P ]]
}

# signal_removes_path SIG STATUS : a listener killed by SIG removes its path
# and dies of the signal (timeout re-raises it: STATUS = 128 + signo).
signal_removes_path() {
	local spid
	start_server srv -l -U "$P"
	[[ -S $P ]]
	spid=$(sc_child "$SRV_PID")
	kill -"$1" "$spid"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == $2))
	[[ ! -e $P ]]
}

@test "unix: SIGTERM removes the socket path, status 143" {
	signal_removes_path TERM 143
}

@test "unix: SIGINT removes the socket path, status 130" {
	signal_removes_path INT 130
}

@test "unix: SIGHUP removes the socket path, status 129" {
	signal_removes_path HUP 129
}

@test "unix: SIGTERM to the timeout wrapper reaches sockcat, path removed" {
	start_server srv -l -U "$P"
	kill -TERM "$SRV_PID"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 143))
	[[ ! -e $P ]]
}

@test "unix: --keep-socket leaves the socket file after a session" {
	start_server srv --keep-socket -l -U "$P"
	run -0 sc -U "$P" </dev/null
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	[[ -S $P ]]
}

@test "unix: --keep-socket leaves the socket file after SIGTERM" {
	local spid
	start_server srv --keep-socket -l -U "$P"
	spid=$(sc_child "$SRV_PID")
	kill -TERM "$spid"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 143))
	[[ -S $P ]]
}

# --- 8. path too long ----------------------------------------------------------

@test "unix: a 150-byte path is a usage error (listen and connect), no file" {
	local long=$SOCKDIR/
	long+=$(printf '%*s' $((150 - ${#long})) '' | tr ' ' x)
	((${#long} == 150))
	run -2 --separate-stderr sc -l -U "$long" </dev/null
	[[ -z $output ]]
	((${#stderr_lines[@]} == 2))
	[[ ${stderr_lines[0]} == "sockcat: "*"too long"* ]]
	[[ ${stderr_lines[1]} == "Try 'sockcat --help' for more information." ]]
	run -2 --separate-stderr sc -U "$long" </dev/null
	[[ -z $output ]]
	((${#stderr_lines[@]} == 2))
	[[ ${stderr_lines[0]} == "sockcat: "*"too long"* ]]
	[[ ${stderr_lines[1]} == "Try 'sockcat --help' for more information." ]]
	run -0 find "$SOCKDIR" -mindepth 1
	[[ -z $output ]]
}

# --- 9. connect errors ------------------------------------------------------

@test "unix: connect to a missing path: exit 4, No such file or directory" {
	run -4 --separate-stderr sc -U "$P" </dev/null
	[[ -z $output ]]
	((${#stderr_lines[@]} == 1))
	[[ ${stderr_lines[0]} == "sockcat: connect to $P (unix): No such file or directory" ]]
	[[ ! -e $P ]]
}

@test "unix: connect to a stale socket: exit 4, Connection refused" {
	stale_socket "$P"
	run -4 --separate-stderr sc -U "$P" </dev/null
	[[ -z $output ]]
	((${#stderr_lines[@]} == 1))
	[[ ${stderr_lines[0]} == "sockcat: connect to $P (unix): Connection refused" ]]
	[[ -S $P ]]
}

# --- 10. -v lines ------------------------------------------------------------

@test "unix: -v lines on the listener and the client" {
	unix_v_lines "$P"
}

# --- 11. -k ---------------------------------------------------------------------

@test "unix: -k serves two clients in turn onto one stdout" {
	make_payload "$D/one" $((2 << 20))
	make_payload "$D/two" $((3 << 20))
	cat "$D/one" "$D/two" >"$D/both"
	start_server srv -k -l -U "$P"
	run -0 sc -U "$P" <"$D/one"
	wait_for "$D/srv.err" "^Connection received on $P\$"
	wait_until 10 has_size "$D/srv.out" $((2 << 20))
	# The listener keeps its path between clients.
	[[ -S $P ]]
	run -0 sc -U "$P" <"$D/two"
	wait_until 10 eval '(($(grep -c "^Connection received on " "$D/srv.err") == 2))'
	wait_until 10 has_size "$D/srv.out" $((5 << 20))
	cmp "$D/both" "$D/srv.out"
	kill -0 "$SRV_PID"
	kill -TERM "$(sc_child "$SRV_PID")"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 143))
	[[ ! -e $P ]]
}

# --- 12. slow reader ---------------------------------------------------------

@test "unix: receiver stopped (SIGSTOP) while the sender is blocked, then continued" {
	need_cmd ss iproute2
	local cpid catpid lpid spid
	make_payload "$D/down" $((16 << 20))
	SRV_IN=$D/down start_server srv -l -U "$P"
	lpid=$(sc_child "$SRV_PID")
	mkfifo "$D/pipe"
	# Hold the pipe open without reading: the client fills it, stops
	# reading its socket, and the listener's send buffer fills up.
	exec 7<>"$D/pipe"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -U "$P" \
		</dev/null >"$D/pipe" 3>&- 7>&- &
	cpid=$!
	track "$cpid"
	wait_for "$D/srv.err" "^Connection received on $P\$"
	wait_until 10 unix_send_blocked "$lpid"
	spid=$(sc_child "$cpid")
	kill -STOP "$spid"
	wait_until 10 eval '[[ $(ps -o stat= -p "$spid") == T* ]]'
	# Now drain the pipe into the file; the stopped client cannot move,
	# so the sender stays blocked.
	cat <"$D/pipe" >"$D/cli.out" 3>&- 7>&- &
	catpid=$!
	track "$catpid"
	wait_until 10 eval '[[ $(readlink "/proc/$catpid/fd/0") == "$D/pipe" ]]'
	exec 7>&-
	wait_until 10 unix_send_blocked "$lpid"
	kill -0 "$lpid"
	kill -CONT "$spid"
	wait_exit "$cpid"
	((WAIT_STATUS == 0))
	wait_exit "$catpid"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/down" "$D/cli.out"
}
