#!/usr/bin/env bats
# The relay's splice(2) path, seen through --trace: spliced directly
# between a pipe (stdin, stdout, an exec child's pipes) and a socket,
# through the relay's own pipe between two other ends (--forward, a
# regular file on stdin or stdout), and not at all where a tap or an
# option needs the bytes or splice cannot serve the descriptor (a
# terminal, /dev/null, stdout opened for appending, no descriptor left for
# the pipe). Every transfer is checked byte for byte; 64 MiB ones both
# ways through each path, with half-close, slow readers and urgent data.

load helpers

setup() {
	has_feature splice || skip "splice(2) is not built in (Linux only)"
	D=$BATS_TEST_TMPDIR
	MB64=$((64 * 1024 * 1024))
}

# --- local helpers ----------------------------------------------------------

# pipe_server NAME ARGS... : "sockcat -v ARGS" in the background with its
# stdout a pipe (to cat, into NAME.out) and its stdin a pipe from cat of
# $SRV_IN, or /dev/null itself when SRV_IN is unset. Waits for the
# Listening line; sets SRV_PID (the pipeline: its status is sockcat's or
# cat's, whichever failed) and SRV_PORT.
pipe_server() {
	local name=$1
	shift
	: >"$D/$name.err"
	if [[ -n ${SRV_IN:-} ]]; then
		(set -o pipefail
		cat "$SRV_IN" | timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v "$@" \
			2>"$D/$name.err" | cat >"$D/$name.out") 3>&- &
	else
		(set -o pipefail
		timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v "$@" </dev/null \
			2>"$D/$name.err" | cat >"$D/$name.out") 3>&- &
	fi
	SRV_PID=$!
	track "$SRV_PID"
	wait_for "$D/$name.err" '^Listening on ' || return 1
	SRV_PORT=$(sed -En 's/^Listening on .* ([0-9]+)$/\1/p' "$D/$name.err" | head -n 1)
}

# pipe_client IN OUT ARGS... : cat IN | sockcat ARGS | cat >OUT, under
# timeout; the status is the first failure's.
pipe_client() {
	local in=$1 out=$2
	shift 2
	(set -o pipefail
	cat "$in" | sc "$@" | cat >"$out")
}

# spliced TRACE FROM TO : TRACE has a splice from FROM to TO (extended
# regexes for the first two arguments) that moved bytes.
spliced() {
	grep -Eq "^[0-9.]+ splice\\($2, $3, [0-9]+, SPLICE_F_MOVE\\|SPLICE_F_NONBLOCK\\) = [1-9][0-9]*$" "$1"
}

# splice_sum TRACE FROM TO : the bytes the splices from FROM to TO moved.
splice_sum() {
	sed -En "s/^[0-9.]+ splice\\($2, $3, [0-9]+, [A-Z_|]+\\) = ([0-9]+)$/\\1/p" "$1" |
		awk '{ s += $1 } END { print s + 0 }'
}

# copy_sum TRACE CALL FD : the bytes CALL (send or recv) on FD moved.
copy_sum() {
	sed -En "s/^[0-9.]+ $2\\($3, [0-9]+, [A-Z_|]+\\) = ([0-9]+)$/\\1/p" "$1" |
		awk '{ s += $1 } END { print s + 0 }'
}

# mostly_spliced TRACE FROM TO TOTAL [CALL FD] : the splices from FROM to
# TO moved at least half of TOTAL; with CALL and FD, they and the copied
# CALLs on FD (a race between splice's EAGAIN and poll(2) makes the relay
# copy one read now and then) moved exactly TOTAL.
mostly_spliced() {
	local s c=0
	s=$(splice_sum "$1" "$2" "$3")
	[[ -z ${5:-} ]] || c=$(copy_sum "$1" "$5" "$6")
	((s >= $4 / 2)) || { echo "# spliced $s of $4" >&3; return 1; }
	[[ -z ${5:-} ]] || ((s + c == $4)) ||
		{ echo "# spliced $s + copied $c != $4" >&3; return 1; }
}

# copied TRACE CALL : TRACE has a send (CALL send) or recv (CALL recv)
# that moved bytes.
copied() {
	grep -Eq "^[0-9.]+ $2\\([0-9]+, [0-9]+, [A-Z_|]+\\) = [1-9][0-9]*$" "$1"
}

# connected_fd TRACE : the descriptor of the last socket() in TRACE.
connected_fd() {
	sed -En 's/^[0-9.]+ socket\(.*\) = ([0-9]+)$/\1/p' "$1" | tail -n 1
}

# nfds PID : how many descriptors process PID holds.
nfds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

# --- 1. spliced directly between a pipe and a socket -----------------------

@test "upload: stdin pipe to TCP and TCP to stdout pipe are spliced directly; 64 MiB intact" {
	make_payload "$D/up" "$MB64"
	pipe_server srv -l --trace="$D/srv.tr" 127.0.0.1 0
	run -0 pipe_client "$D/up" "$D/cli.out" --trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
	[[ ! -s $D/cli.out ]]
	local c s
	c=$(connected_fd "$D/cli.tr")
	s=$(trace_accepted "$D/srv.tr")
	# the client: stdin to its socket, in one call each time
	mostly_spliced "$D/cli.tr" stdin "$c" "$MB64" send "$c"
	# the server: its socket to stdout
	mostly_spliced "$D/srv.tr" "$s" stdout "$MB64" recv "$s"
	# no pipe of the relay's own was needed
	run ! grep -E 'splice\((pipe|[0-9]+, pipe)' "$D/cli.tr" "$D/srv.tr"
}

@test "download: the listener's stdin pipe to the client's stdout pipe, 64 MiB intact" {
	make_payload "$D/down" "$MB64"
	SRV_IN=$D/down pipe_server srv -l --trace="$D/srv.tr" 127.0.0.1 0
	run -0 pipe_client /dev/null "$D/cli.out" --trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/down" "$D/cli.out"
	local c s
	c=$(connected_fd "$D/cli.tr")
	s=$(trace_accepted "$D/srv.tr")
	mostly_spliced "$D/srv.tr" stdin "$s" "$MB64" send "$s"
	mostly_spliced "$D/cli.tr" "$c" stdout "$MB64" recv "$c"
}

@test "both ways at once: 64 MiB up and 64 MiB down through spliced pipes" {
	make_payload "$D/up" "$MB64"
	make_payload "$D/down" "$MB64"
	SRV_IN=$D/down pipe_server srv -l --trace="$D/srv.tr" 127.0.0.1 0
	run -0 pipe_client "$D/up" "$D/cli.out" --trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
	cmp "$D/down" "$D/cli.out"
	local c s
	c=$(connected_fd "$D/cli.tr")
	s=$(trace_accepted "$D/srv.tr")
	mostly_spliced "$D/cli.tr" stdin "$c" "$MB64" send "$c"
	mostly_spliced "$D/cli.tr" "$c" stdout "$MB64" recv "$c"
	mostly_spliced "$D/srv.tr" stdin "$s" "$MB64" send "$s"
	mostly_spliced "$D/srv.tr" "$s" stdout "$MB64" recv "$s"
}

@test "a slow reader (SIGSTOP) behind a spliced stdout pipe loses nothing" {
	make_payload "$D/down" "$MB64"
	SRV_IN=$D/down pipe_server srv -l 127.0.0.1 0
	# the reader stops itself before its first read; sockcat's splices
	# to the full pipe fail with EAGAIN and it waits for the pipe
	(sc --trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT" </dev/null |
		{ echo "$BASHPID" >"$D/reader.pid"; kill -STOP "$BASHPID"; exec cat; } \
		>"$D/cli.out") 3>&- &
	local pipeline=$! reader
	track "$pipeline"
	wait_for "$D/reader.pid" '^[0-9]+$'
	reader=$(cat "$D/reader.pid")
	track "$reader"
	wait_for "$D/cli.tr" ' splice\([0-9]+, stdout, .*= -1 EAGAIN'
	[[ ! -s $D/cli.out ]]
	kill -CONT "$reader"
	wait_exit "$pipeline"
	((WAIT_STATUS == 0))
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/down" "$D/cli.out"
	local c
	c=$(connected_fd "$D/cli.tr")
	mostly_spliced "$D/cli.tr" "$c" stdout "$MB64" recv "$c"
}

@test "-e: the child's pipes are spliced both ways; request, half-close, response of 64 MiB each" {
	make_payload "$D/req" "$MB64"
	make_payload "$D/resp" "$MB64"
	sha256sum <"$D/req" >"$D/req.want"
	# the child answers only after the request's end of file
	start_server srv -l --trace="$D/srv.tr" \
		-c "sha256sum >'$D/req.got'; cat '$D/resp'" 127.0.0.1 0
	run -0 pipe_client "$D/req" "$D/cli.out" 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/req.want" "$D/req.got"
	cmp "$D/resp" "$D/cli.out"
	local s
	s=$(trace_accepted "$D/srv.tr")
	mostly_spliced "$D/srv.tr" "$s" child "$MB64" recv "$s"
	mostly_spliced "$D/srv.tr" child "$s" "$MB64" send "$s"
	# the request's EOF was read, then the response went out
	grep -Eq ' recv\([0-9]+, [0-9]+, MSG_DONTWAIT\) = 0$' "$D/srv.tr"
}

# --- 2. through the relay's own pipe ---------------------------------------

# fwd_pair : a target (sockcat -l -c: reads the request to its end, then
# sends $D/resp) and a forwarder to it (-k, traced to fwd.tr); sets
# FWD_PORT, TGT_PID, FWD_PID.
fwd_pair() {
	start_server tgt -l -c "sha256sum >'$D/req.got'; cat '$D/resp'" 127.0.0.1 0
	TGT_PID=$SRV_PID
	start_server fwd -l -k --trace="$D/fwd.tr" \
		--forward "127.0.0.1:$SRV_PORT" 127.0.0.1 0
	FWD_PID=$SRV_PID FWD_PORT=$SRV_PORT
}

@test "--forward: socket to socket through the relay's pipe, 64 MiB each way with half-close" {
	make_payload "$D/req" "$MB64"
	make_payload "$D/resp" "$MB64"
	sha256sum <"$D/req" >"$D/req.want"
	fwd_pair
	run -0 pipe_client "$D/req" "$D/cli.out" 127.0.0.1 "$FWD_PORT"
	wait_exit "$TGT_PID"
	((WAIT_STATUS == 0))
	cmp "$D/req.want" "$D/req.got"
	cmp "$D/resp" "$D/cli.out"
	local c t
	c=$(trace_accepted "$D/fwd.tr")
	t=$(connected_fd "$D/fwd.tr")
	mostly_spliced "$D/fwd.tr" "$c" pipe "$MB64" recv "$c"
	mostly_spliced "$D/fwd.tr" pipe "$t" "$MB64" send "$t"
	mostly_spliced "$D/fwd.tr" "$t" pipe "$MB64" recv "$t"
	mostly_spliced "$D/fwd.tr" pipe "$c" "$MB64" send "$c"
	# each end of file passed on once its direction's pipe was empty
	grep -Eq " shutdown\\($t, SHUT_WR\\) = 0$" "$D/fwd.tr"
	grep -Eq " shutdown\\($c, SHUT_WR\\) = 0$" "$D/fwd.tr"
}

@test "--forward with a stopped reader: the target's EOF goes on only after the pipe drained" {
	make_payload "$D/resp" "$MB64"
	: >"$D/req"
	fwd_pair
	# The client's reader stops itself: everything on the way back fills
	# up, down to the forwarder's pipe, which it drains only in part.
	(sc 127.0.0.1 "$FWD_PORT" </dev/null |
		{ echo "$BASHPID" >"$D/reader.pid"; kill -STOP "$BASHPID"; exec cat; } \
		>"$D/cli.out") 3>&- &
	local pipeline=$! reader c
	track "$pipeline"
	wait_for "$D/reader.pid" '^[0-9]+$'
	reader=$(cat "$D/reader.pid")
	track "$reader"
	wait_for "$D/fwd.tr" '^[0-9.]+ accept4?\('
	c=$(trace_accepted "$D/fwd.tr")
	# the client's socket is full: a splice to it moved less than asked
	wait_until 20 short_splice "$D/fwd.tr" "$c"
	run ! grep -Eq " shutdown\\($c, SHUT_WR\\)" "$D/fwd.tr"
	kill -CONT "$reader"
	wait_exit "$pipeline"
	((WAIT_STATUS == 0))
	cmp "$D/resp" "$D/cli.out"
	wait_for "$D/fwd.tr" " shutdown\\($c, SHUT_WR\\) = 0$"
	mostly_spliced "$D/fwd.tr" pipe "$c" "$MB64" send "$c"
	# the last bytes to the client go before its shutdown
	awk -v c="$c" '
		(($2 == "splice(pipe," && $3 == c ",") || $2 == "send(" c ",") &&
		    $NF > 0 { last = NR }
		$2 == "shutdown(" c "," { shut = NR }
		END { exit !(last > 0 && shut > last) }' "$D/fwd.tr"
}

@test "a regular file on stdin and on stdout: through the relay's pipe, 64 MiB intact" {
	make_payload "$D/up" "$MB64"
	start_server srv -l --trace="$D/srv.tr" 127.0.0.1 0
	run -0 sc --trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT" <"$D/up"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
	# file to pipe is not a socket call; pipe to socket is
	local c s
	c=$(connected_fd "$D/cli.tr")
	s=$(trace_accepted "$D/srv.tr")
	mostly_spliced "$D/cli.tr" pipe "$c" "$MB64" send "$c"
	run ! grep -q 'splice(stdin' "$D/cli.tr"
	mostly_spliced "$D/srv.tr" "$s" pipe "$MB64" recv "$s"
}

@test "-k --forward: a connection's pipes are closed when it ends; no descriptor is left behind" {
	make_payload "$D/resp" $((1024 * 1024))
	make_payload "$D/req" $((1024 * 1024))
	start_server tgt -l -k -c "cat >/dev/null; cat '$D/resp'" 127.0.0.1 0
	start_server fwd -l -k --trace="$D/fwd.tr" \
		--forward "127.0.0.1:$SRV_PORT" 127.0.0.1 0
	local pid before i
	pid=$(sc_child "$SRV_PID")
	before=$(nfds "$pid")
	for i in 1 2 3 4 5; do
		run -0 pipe_client "$D/req" "$D/cli.out" 127.0.0.1 "$SRV_PORT"
		cmp "$D/resp" "$D/cli.out"
		wait_until 10 count_closed "$i"
	done
	# both directions used the relay's pipe, every time
	(($(grep -c ' accept4(' "$D/fwd.tr") == 5))
	(($(grep -Ec ' splice\(pipe, ' "$D/fwd.tr") >= 10))
	(($(nfds "$pid") == before))
}

# short_splice TRACE FD : a splice from the relay's pipe to FD moved less
# than it was asked to (or nothing: EAGAIN).
short_splice() {
	awk -v fd="$2" '
		$2 == "splice(pipe," && $3 == fd "," && $7 + 0 < $4 + 0 { f = 1 }
		END { exit !f }' "$1"
}

# count_closed N : the forwarder has logged N "Connection closed" lines.
count_closed() {
	(($(grep -c '^Connection closed on ' "$D/fwd.err") >= $1))
}

@test "no descriptor for the relay's pipe (EMFILE): the direction copies, nothing lost" {
	make_payload "$D/req" $((4 * 1024 * 1024))
	make_payload "$D/resp" $((4 * 1024 * 1024))
	sha256sum <"$D/req" >"$D/req.want"
	start_server tgt -l -k -c "sha256sum >'$D/req.got'; cat '$D/resp'" 127.0.0.1 0
	local tport=$SRV_PORT c t
	# A first forwarder shows which descriptors a forwarded connection
	# takes: the client's, then the target's socket.
	start_server fwd1 -l --trace="$D/fwd1.tr" --forward "127.0.0.1:$tport" 127.0.0.1 0
	run -0 pipe_client "$D/req" "$D/cli.out" 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	t=$(connected_fd "$D/fwd1.tr")
	c=$(trace_accepted "$D/fwd1.tr")
	spliced "$D/fwd1.tr" "$t" pipe
	# A second one may open no descriptor above the two sockets: the
	# relay's pipe cannot be made.
	: >"$D/fwd2.err"
	(ulimit -n $(((t > c ? t : c) + 1)) && exec timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v -l \
		--trace="$D/fwd2.tr" --forward "127.0.0.1:$tport" 127.0.0.1 0 \
		</dev/null >"$D/fwd2.out" 2>"$D/fwd2.err") 3>&- &
	SRV_PID=$!
	track "$SRV_PID"
	wait_for "$D/fwd2.err" '^Listening on '
	SRV_PORT=$(sed -En 's/^Listening on .* ([0-9]+)$/\1/p' "$D/fwd2.err")
	run -0 pipe_client "$D/req" "$D/cli.out" 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/req.want" "$D/req.got"
	cmp "$D/resp" "$D/cli.out"
	[[ $(connected_fd "$D/fwd2.tr") == "$t" ]]
	run ! grep -q 'splice(' "$D/fwd2.tr"
	copied "$D/fwd2.tr" send
	copied "$D/fwd2.tr" recv
	run ! grep -v -e '^Listening on ' -e '^Connection received on ' "$D/fwd2.err"
}

# --- 3. not spliced ----------------------------------------------------------

# One row per option: the client's trace must show each direction moved
# as the row says (s: spliced, c: copied). AB: stdin to the socket; BA:
# the socket to stdout.
@test "options and taps that need the bytes keep the copy path, per direction" {
	local row args ab ba fails=()
	printf 'world\n' >"$D/down"
	printf 'hello\n' >"$D/up"
	while IFS='|' read -r args ab ba; do
		[[ -n $args ]] || continue
		SRV_IN=$D/down pipe_server srv -l 127.0.0.1 0
		rm -f "$D/cli.tr"
		# shellcheck disable=SC2086
		if ! pipe_client "$D/up" "$D/cli.out" $args --trace="$D/cli.tr" \
		    127.0.0.1 "$SRV_PORT" 2>"$D/cli.err"; then
			fails+=("$args: client failed: $(cat "$D/cli.err")")
			continue
		fi
		wait_exit "$SRV_PID"
		if spliced "$D/cli.tr" stdin '[0-9]+'; then row=s; else row=c; fi
		if spliced "$D/cli.tr" '[0-9]+' stdout; then row+=" s"; else row+=" c"; fi
		[[ $row == "$ab $ba" ]] || fails+=("$args: got '$row', want '$ab $ba'")
		# what was copied was copied by the socket calls
		[[ $ab == s ]] || copied "$D/cli.tr" send || fails+=("$args: no send")
		[[ $ba == s ]] || copied "$D/cli.tr" recv || fails+=("$args: no recv")
	done <<EOF
|s|s
--hex-dump=$D/hex|c|c
-o $D/log|c|c
--output-received $D/log|c|c
--stats|s|s
-C|c|s
--send-flags nosignal|c|s
--recv-flags cmsg_cloexec|s|c
--peek|s|c
-t|c|c
-i 0.01|c|s
--oob x|c|s
--send-only|s|c
EOF
	printf '%s\n' "${fails[@]}"
	((${#fails[@]} == 0))
}

@test "a terminal on stdin and stdout (script(1)) is not spliced" {
	need_cmd script util-linux
	printf 'world\n' >"$D/down"
	SRV_IN=$D/down pipe_server srv -l 127.0.0.1 0
	run -0 peer script -qec "'$SOCKCAT' --trace='$D/cli.tr' 127.0.0.1 $SRV_PORT" \
		/dev/null </dev/null
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	[[ $output == *world* ]]
	copied "$D/cli.tr" recv
	run ! grep -q 'splice(' "$D/cli.tr"
}

@test "stdin /dev/null is not spliced; the download still is" {
	make_payload "$D/down" "$MB64"
	SRV_IN=$D/down pipe_server srv -l 127.0.0.1 0
	run -0 sc_out "$D/cli.out" --trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT" </dev/null
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/down" "$D/cli.out"
	run ! grep -q 'splice(stdin' "$D/cli.tr"
	(($(splice_sum "$D/cli.tr" '[0-9]+' pipe) == MB64))
}

@test "stdout opened for appending: splice refuses it, the relay copies, nothing lost" {
	make_payload "$D/up" "$MB64"
	printf 'before\n' >"$D/srv.out"
	cat "$D/srv.out" "$D/up" >"$D/want"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v -l --trace="$D/srv.tr" 127.0.0.1 0 \
		</dev/null >>"$D/srv.out" 2>"$D/srv.err" 3>&- &
	SRV_PID=$!
	track "$SRV_PID"
	wait_for "$D/srv.err" '^Listening on '
	SRV_PORT=$(sed -En 's/^Listening on .* ([0-9]+)$/\1/p' "$D/srv.err")
	run -0 pipe_client "$D/up" /dev/null 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/want" "$D/srv.out"
	# the first bytes went into the relay's pipe; the rest was copied
	spliced "$D/srv.tr" '[0-9]+' pipe
	copied "$D/srv.tr" recv
	(($(splice_sum "$D/srv.tr" '[0-9]+' pipe) < MB64))
}

# --- 4. what splice must not change -------------------------------------------

# oob_peer PORT : a client that sends "hello", the urgent byte "X", then
# "world" and its end of file at once, and prints what it gets back.
oob_peer() {
	peer python3 - "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"hello")
s.send(b"X", socket.MSG_OOB)
s.sendall(b"world")
s.shutdown(socket.SHUT_WR)
data = b"".join(iter(lambda: s.recv(65536), b""))
sys.stdout.write(data.decode())
EOF
}

@test "urgent data in a spliced stream: reported at its offset, every other byte delivered" {
	pipe_server srv -l --trace="$D/srv.tr" 127.0.0.1 0
	run -0 oob_peer "$SRV_PORT"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	printf helloworld | cmp - "$D/srv.out"
	grep -Fx "urgent data: 0x58 at offset 5" "$D/srv.err"
}

@test "urgent data through --forward's pipe: dropped as recv drops it, the rest delivered" {
	start_server tgt -l -k --echo 127.0.0.1 0
	start_server fwd -l --trace="$D/fwd.tr" --forward "127.0.0.1:$SRV_PORT" 127.0.0.1 0
	run -0 oob_peer "$SRV_PORT"
	[[ $output == helloworld ]]
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	spliced "$D/fwd.tr" pipe '[0-9]+'
}

@test "--stats counts spliced bytes: one line, sent equals the upload" {
	make_payload "$D/up" $((8 * 1024 * 1024))
	pipe_server srv -l 127.0.0.1 0
	run -0 --separate-stderr pipe_client "$D/up" /dev/null --stats \
		--trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT"
	wait_ok "$SRV_PID"
	cmp "$D/up" "$D/srv.out"
	spliced "$D/cli.tr" stdin '[0-9]+'
	local stats
	stats=$(grep '^Stats: ' <<<"$stderr")
	[[ $stats == "Stats: sent $((8 * 1024 * 1024)) bytes in "* ]]
	[[ $stats == *", received 0 bytes in 0 chunks, 1 connections, "* ]]
}

# --- 5. --stats per connection ------------------------------------------------

# conn_stats ERR N : the --stats line of the server's Nth connection.
conn_stats() {
	grep '^Connection stats on ' "$1" | sed -n "${2}p"
}

@test "-l -k -vv --stats: each connection's own stats line as it closes" {
	make_payload "$D/a" 12345
	make_payload "$D/b" 777
	start_server srv -v --stats -l -k --echo 127.0.0.1 0
	run -0 sc_out "$D/a.out" 127.0.0.1 "$SRV_PORT" <"$D/a"
	cmp "$D/a" "$D/a.out"
	wait_for "$D/srv.err" '^Connection stats on '
	run -0 sc_out "$D/b.out" 127.0.0.1 "$SRV_PORT" <"$D/b"
	cmp "$D/b" "$D/b.out"
	wait_until 10 test "$(grep -c '^Connection stats on ' "$D/srv.err")" -eq 2
	local re='^Connection stats on 127\.0\.0\.1 [0-9]+: sent %d bytes in [1-9][0-9]* chunks, received %d bytes in [1-9][0-9]* chunks, [0-9]+\.[0-9]{3} s, [0-9]+ bytes/s sent, [0-9]+ bytes/s received$'
	# shellcheck disable=SC2059
	[[ $(conn_stats "$D/srv.err" 1) =~ $(printf "$re" 12345 12345) ]]
	# shellcheck disable=SC2059
	[[ $(conn_stats "$D/srv.err" 2) =~ $(printf "$re" 777 777) ]]
	# each right after its own close line
	grep -A1 '^Connection closed on ' "$D/srv.err" | grep -c '^Connection stats on ' |
		grep -qx 2
}

# (start_server adds one -v of its own)
@test "no per-connection stats without --stats, nor below -vv, nor for a single client" {
	printf 'hello\n' >"$D/in"
	start_server v1 --stats -l -k --echo 127.0.0.1 0
	run -0 sc_out /dev/null 127.0.0.1 "$SRV_PORT" <"$D/in"
	wait_for "$D/v1.err" '^Connection closed on '
	start_server v2 -v -l -k --echo 127.0.0.1 0
	run -0 sc_out /dev/null 127.0.0.1 "$SRV_PORT" <"$D/in"
	wait_for "$D/v2.err" '^Connection closed on '
	start_server one -v --stats -l 127.0.0.1 0
	run -0 sc_out /dev/null 127.0.0.1 "$SRV_PORT" <"$D/in"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/in" "$D/one.out"
	run ! grep -q '^Connection stats' "$D/v1.err" "$D/v2.err" "$D/one.err"
	# the single client's counts are in the exit line
	grep -Eq '^Stats: sent 0 bytes in 0 chunks, received 6 bytes in 1 chunks, 1 connections, ' "$D/one.err"
}

@test "--stats after a refused connect: the error, then the stats line; exit 4" {
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run -4 --separate-stderr sc --stats 127.0.0.1 "$port" </dev/null
	[[ -z $output ]]
	((${#stderr_lines[@]} == 2))
	[[ ${stderr_lines[0]} == "sockcat: connect to 127.0.0.1 port $port (tcp): Connection refused" ]]
	[[ ${stderr_lines[1]} =~ ^Stats:\ sent\ 0\ bytes\ in\ 0\ chunks,\ received\ 0\ bytes\ in\ 0\ chunks,\ 0\ connections,\ [0-9]+\.[0-9]{3}\ s, ]]
}
