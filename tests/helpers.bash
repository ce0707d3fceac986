# Shared helpers for the sockcat Bats suite. The only place with timing
# logic: every wait is a bounded poll on a file, never a bare sleep.
#
# Environment (set by `make check`; set them by hand to run bats alone):
#   SOCKCAT      the binary under test (required)
#   SC_FIXTURES  tests/fixtures in the source tree
#   SC_FEATURES  optional features built in (from configure)

bats_require_minimum_version 1.8.0

: "${SOCKCAT:?SOCKCAT must point at the built sockcat binary}"
: "${SC_FIXTURES:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fixtures}"
: "${BATS_TEST_TIMEOUT:=60}"	# per test (bats >= 1.8)
SC_TIMEOUT=${SC_TIMEOUT:-30}	# per sockcat process

bats_load_library bats-support
bats_load_library bats-assert

# sc ARGS... : run sockcat under timeout.
sc() {
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@"
}

# sc_out FILE ARGS... : sc ARGS with stdout into FILE (`run` keeps stderr).
sc_out() {
	local f=$1
	shift
	sc "$@" >"$f"
}

# io IN OUT CMD... : CMD with stdin from IN and stdout to OUT (`run` keeps
# only stderr; binary data stays in files).
io() {
	local in=$1 out=$2
	shift 2
	"$@" <"$in" >"$out"
}

# peer CMD... : a peer program (not sockcat) in the foreground, under timeout.
peer() {
	timeout -k 2 "$SC_TIMEOUT" "$@"
}

# wait_until SECONDS CMD... : poll until CMD succeeds; fail after SECONDS.
# Every other wait is built on this one.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if ((SECONDS >= deadline)); then
			echo "# timeout waiting for: $*" >&3
			return 1
		fi
		sleep 0.02
	done
}

# wait_for FILE REGEX [SECONDS] : poll until FILE has a line matching the
# extended REGEX; fail after SECONDS (default 10).
wait_for() {
	wait_until "${3:-10}" grep -Eq -- "$2" "$1" 2>/dev/null
}

# wait_exists PATH [SECONDS] : poll until PATH exists.
wait_exists() {
	wait_until "${2:-10}" test -e "$1"
}

# wait_gone PATH [SECONDS] : poll until PATH does not exist.
wait_gone() {
	wait_until "${2:-10}" test ! -e "$1" -a ! -L "$1"
}

# has_size FILE BYTES : FILE exists and holds exactly BYTES bytes.
has_size() {
	[[ -e $1 && $(stat -c %s -- "$1") -eq $2 ]]
}

# need_ss : fail (not skip), saying why on fd 3, unless ss (iproute2) is here.
need_ss() {
	command -v ss >/dev/null || { echo "# ss (iproute2) is needed to wait for peers" >&3; return 1; }
}

# ss_unix_listens PATH : ss shows a UNIX stream/SEQPACKET listener on PATH.
ss_unix_listens() {
	ss -lxH 2>/dev/null | awk -v p="$1" '$5 == p { f = 1 } END { exit !f }'
}

# wait_unix_listen PATH : poll ss until a UNIX listener is on PATH (10s).
wait_unix_listen() {
	need_ss && wait_until 10 ss_unix_listens "$1"
}

# wait_exit PID [SECONDS] : wait for a background job to end, bounded;
# sets WAIT_STATUS to its exit status.
wait_exit() {
	local deadline=$((SECONDS + ${2:-20}))
	while kill -0 "$1" 2>/dev/null; do
		# A zombie child still answers kill -0; wait reaps it below.
		[[ $(ps -o stat= -p "$1" 2>/dev/null) == Z* ]] && break
		if ((SECONDS >= deadline)); then
			echo "# timeout: pid $1 still running" >&3
			return 1
		fi
		sleep 0.02
	done
	WAIT_STATUS=0
	wait "$1" || WAIT_STATUS=$?
}

# wait_ok PID [SECONDS] : wait_exit PID, which must have ended with
# status 0.
wait_ok() {
	wait_exit "$@" || return 1
	((WAIT_STATUS == 0)) || { echo "pid $1 exited with status $WAIT_STATUS"; return 1; }
}

# start_server NAME ARGS... : run "sockcat -v ARGS" in the background with
# stdin from $SRV_IN (default /dev/null), stdout in $BATS_TEST_TMPDIR/NAME.out
# and stderr in NAME.err. Waits for the "Listening on" (or "Bound on")
# line, then sets SRV_PID and, for IP listeners, SRV_PORT. ARGS normally
# start with -l; the listener binds port 0 on a numeric loopback address.
start_server() {
	local name=$1 d=$BATS_TEST_TMPDIR
	shift
	# a second server of the same name must not be found by the first's line
	: >"$d/$name.err"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v "$@" \
		<"${SRV_IN:-/dev/null}" >"$d/$name.out" 2>"$d/$name.err" 3>&- &
	SRV_PID=$!
	SC_PIDS+=("$SRV_PID")
	wait_for "$d/$name.err" '^(Listening|Bound) on ' || return 1
	SRV_PORT=$(sed -En 's/^(Listening|Bound) on .* ([0-9]+)$/\2/p' "$d/$name.err" | head -n 1)
}

# track PID : have teardown kill PID if it is still running.
track() {
	SC_PIDS+=("$1")
}

# unix_v_lines PATH [OPT...] : the -v lines of a UNIX listener "sockcat
# -v -l -U OPT... PATH" and of a client "sockcat -v -U OPT... PATH" (no
# data): "Connection to/received on", and each side's "Peer credentials"
# of the other (the client sees the listener's own pid); both exit 0.
unix_v_lines() {
	local p=$1 spid
	shift
	start_server srv -l -U "$@" "$p" || return 1
	spid=$(sc_child "$SRV_PID")
	run -0 --separate-stderr sc -v -U "$@" "$p" </dev/null
	[[ -z $output ]] || return 1
	((${#stderr_lines[@]} == 2)) || return 1
	[[ ${stderr_lines[0]} == "Connection to $p succeeded!" ]] || return 1
	# SO_PEERCRED: the listener's own pid, uid and gid
	[[ ${stderr_lines[1]} == "Peer credentials: pid $spid, uid $(id -u), gid $(id -g)" ]] ||
		return 1
	wait_ok "$SRV_PID" || return 1
	printf '%s\n' "Listening on $p" "Connection received on $p" |
		diff -u - <(head -n 2 "$BATS_TEST_TMPDIR/srv.err") || return 1
	grep -Eqx "Peer credentials: pid [0-9]+, uid $(id -u), gid $(id -g)" \
		"$BATS_TEST_TMPDIR/srv.err" || return 1
	(($(wc -l <"$BATS_TEST_TMPDIR/srv.err") == 3))
}

# echo_clients PORT N BYTES : N concurrent "sockcat -n 127.0.0.1 PORT"
# clients, each sending BYTES random bytes of its own; each must exit 0
# having got exactly its own bytes back (in $BATS_TEST_TMPDIR/in1, out1 ...).
echo_clients() {
	local port=$1 n=$2 i d=$BATS_TEST_TMPDIR
	local -a pids=()
	for ((i = 1; i <= n; i++)); do
		make_payload "$d/in$i" "$3"
	done
	for ((i = 1; i <= n; i++)); do
		sc -n 127.0.0.1 "$port" <"$d/in$i" >"$d/out$i" 2>"$d/cli$i.err" 3>&- &
		pids+=("$!")
		track "$!"
	done
	for ((i = 1; i <= n; i++)); do
		wait_ok "${pids[i - 1]}" || { cat "$d/cli$i.err"; return 1; }
	done
	for ((i = 1; i <= n; i++)); do
		cmp "$d/in$i" "$d/out$i" || return 1
	done
}

# bg_sc NAME IN ARGS... : "sockcat ARGS" in the background with stdin from
# IN, stdout in $BATS_TEST_TMPDIR/NAME.out and stderr in NAME.err; sets
# BG_PID (tracked). Descriptors 3 and 6-9 (which tests hold on FIFOs) are
# closed in the job: a FIFO held by a job never gets its end of file.
bg_sc() {
	local name=$1 in=$2 d=$BATS_TEST_TMPDIR
	shift 2
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@" <"$in" >"$d/$name.out" \
		2>"$d/$name.err" 3>&- 6>&- 7>&- 8>&- 9>&- &
	BG_PID=$!
	track "$BG_PID"
}

# sc_bg NAME ARGS... : bg_sc with stdin from $SC_IN (default /dev/null),
# and sockcat's own pid written to $BATS_TEST_TMPDIR/NAME.pid (a shell
# writes its pid, then execs sockcat in the same process), so that a
# peer's report of "pid P" can be checked even after sockcat has exited.
sc_bg() {
	local name=$1 d=$BATS_TEST_TMPDIR
	shift
	timeout -k 2 "$SC_TIMEOUT" bash -c \
		'echo "$$" >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
		"$d/$name.pid" "$SOCKCAT" "$@" <"${SC_IN:-/dev/null}" \
		>"$d/$name.out" 2>"$d/$name.err" 3>&- 6>&- 7>&- 8>&- 9>&- &
	BG_PID=$!
	track "$BG_PID"
}

# bg_pid NAME : sockcat's own pid of the sc_bg job NAME (waits for it).
bg_pid() {
	wait_exists "$BATS_TEST_TMPDIR/$1.pid" && cat "$BATS_TEST_TMPDIR/$1.pid"
}

# server_done : the server from start_server (named srv) ends with status 0.
server_done() {
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0)) || {
		echo "server exit $WAIT_STATUS; stderr:"
		cat "$BATS_TEST_TMPDIR/srv.err"
		return 1
	}
}

# cport NAME : the client's port in the first "Connection received on
# 127.0.0.1 PORT" line of the server NAME (start_server's stderr).
cport() {
	sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' \
		"$BATS_TEST_TMPDIR/$1.err" | head -n 1
}

# count_re FILE REGEX : how many lines of FILE match the extended REGEX
# (0 when none).
count_re() {
	grep -Ec -- "$2" "$1" || true
}

# has_count FILE REGEX N : exactly N lines of FILE match the extended REGEX.
has_count() {
	(($(count_re "$1" "$2") == $3))
}

# trace_accepted TRACE : the descriptor the first accept4 of a --trace
# file returned.
trace_accepted() {
	sed -En 's/^[0-9.]+ accept4?\([0-9]+, .*\) = ([0-9]+) .*/\1/p' "$1" | head -n 1
}

# pyfile NAME : the Python program on stdin into $BATS_TEST_TMPDIR/NAME.py.
pyfile() {
	cat >"$BATS_TEST_TMPDIR/$1.py"
}

# peek_expect FILE N : `hexdump -C` of FILE's first N bytes without the
# closing offset-only line: what --peek=N must show.
peek_expect() {
	head -c "$2" "$1" | hexdump -C -v | sed '$d'
}

# peek_block FILE : the hex dump lines following the (first) "Peek at"
# line of FILE.
peek_block() {
	awk '/^Peek at /{p = 1; next} p && /^[0-9a-f]+  /{print; next} p{exit}' "$1"
}

# peek_is FILE LINE SRC N : FILE (a --peek stderr) has one "Peek at" line,
# exactly LINE, and after it the hex dump of SRC's first N bytes.
peek_is() {
	local n
	n=$(grep -c '^Peek at ' "$1")
	((n == 1)) || { echo "$n 'Peek at' lines in $1:"; cat "$1"; return 1; }
	grep -Fxq -- "$2" "$1" || { echo "no line '$2' in $1:"; cat "$1"; return 1; }
	diff <(peek_expect "$3" "$4") <(peek_block "$1")
}

# be32 N : N as 4 bytes, big-endian.
be32() {
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
		$(($1 >> 8 & 255)) $(($1 & 255)))"
}

# peer_bg NAME CMD... : peer CMD in the background (tracked; sets PEER_PID),
# stdin from $PEER_IN or /dev/null, output in $BATS_TEST_TMPDIR/NAME.{out,err}.
peer_bg() {
	local name=$1 d=$BATS_TEST_TMPDIR
	shift
	timeout -k 2 "$SC_TIMEOUT" "$@" \
		<"${PEER_IN:-/dev/null}" >"$d/$name.out" 2>"$d/$name.err" 3>&- &
	PEER_PID=$!
	track "$PEER_PID"
}

# feeder_start FIFO : create FIFO and a background writer for it
# (tests/fixtures/feeder.py).  The feeder holds the FIFO open for writing,
# so that a background sockcat reading it sees its end of file only when
# the test says so (feed_eof); no background job of the test inherits a
# writer, as the test shell never opens the FIFO.  Each chunk is written
# with one write(2) of at most PIPE_BUF bytes, which a reader gets whole.
feeder_start() {
	local d=$BATS_TEST_TMPDIR
	FEED_DIR=$d/feed.d
	FEED_N=0
	mkfifo "$1"
	mkdir -p "$FEED_DIR"
	timeout -k 2 "$SC_TIMEOUT" python3 "$SC_FIXTURES/feeder.py" "$1" \
		"$FEED_DIR" </dev/null >/dev/null 2>"$d/feeder.err" 3>&- &
	track $!
}

# feed FORMAT ARGS... : the feeder writes printf FORMAT ARGS in one write.
feed() {
	FEED_N=$((FEED_N + 1))
	# shellcheck disable=SC2059
	printf "$@" >"$FEED_DIR/tmp"
	mv -- "$FEED_DIR/tmp" "$FEED_DIR/$FEED_N"
}

# feed_file FILE : the feeder writes FILE's bytes in one write.
feed_file() {
	FEED_N=$((FEED_N + 1))
	cp -- "$1" "$FEED_DIR/tmp"
	mv -- "$FEED_DIR/tmp" "$FEED_DIR/$FEED_N"
}

# feed_eof : the feeder closes the FIFO (the reader's end of file).
feed_eof() {
	: >"$FEED_DIR/$((FEED_N + 1)).eof"
}

# peer_listen NAME ACTIONS... : tests/fixtures/peer.py listening on
# 127.0.0.1 port 0 in the background; sets PEER_PORT and PEER_PID.
peer_listen() {
	local name=$1 d=$BATS_TEST_TMPDIR
	shift
	rm -f "$d/$name.port"
	peer_bg "$name" python3 "$SC_FIXTURES/peer.py" --listen 127.0.0.1 \
		--portfile "$d/$name.port" "$@"
	wait_exists "$d/$name.port"
	PEER_PORT=$(cat "$d/$name.port")
}

# need_netns : skip unless unshare -n (a network namespace of our own,
# with nothing but a loopback interface, down) is permitted here.
need_netns() {
	unshare -n true 2>/dev/null ||
		skip "unshare -n (a private network namespace) is not permitted here"
}

# fd_count PID : how many descriptors PID has open.
fd_count() {
	local fds
	[[ -d /proc/$1/fd ]] || return 1
	fds=("/proc/$1/fd/"*)
	echo "${#fds[@]}"
}

# fd_is PID N : PID has N open descriptors.
fd_is() {
	[[ $(fd_count "$1") -eq $2 ]]
}

# sc_child PID : the sockcat process under the timeout wrapper PID.
sc_child() {
	local name=${SOCKCAT##*/}
	pgrep -P "$1" -x "${name:0:15}"
}

# sockdir : a short private directory for UNIX socket paths (sun_path
# holds about 108 bytes, and $BATS_TEST_TMPDIR can be longer).
sockdir() {
	SOCKDIR=$(mktemp -d /tmp/sc.XXXXXX)
}

# make_payload FILE BYTES : random bytes (NULs and all) into FILE.
make_payload() {
	head -c "$2" /dev/urandom >"$1"
}

# len32_frames FRAMES RAW SIZE... : a random message of each SIZE, with a
# 4-byte big-endian length prefix into FRAMES, bare into RAW (python3).
len32_frames() {
	python3 - "$@" <<'EOF'
import os, struct, sys
with open(sys.argv[1], "wb") as frames, open(sys.argv[2], "wb") as raw:
    for n in map(int, sys.argv[3:]):
        m = os.urandom(n)
        frames.write(struct.pack(">I", n) + m)
        raw.write(m)
EOF
}

# has_feature NAME : was NAME built in (see sockcat -V)?
has_feature() {
	[[ " ${SC_FEATURES:-$("$SOCKCAT" -V | sed -n 's/^features: //p')} " == *" $1 "* ]]
}

# need_ipv6 : skip unless ::1 can be bound here.
need_ipv6() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
		skip "IPv6 loopback (::1) is not available on this host"
}

# need_cmd CMD [PACKAGE] : skip when an interop peer is not installed.
need_cmd() {
	command -v "$1" >/dev/null || skip "$1 is not installed (Debian package ${2:-$1})"
}

# --- usage tables: rows of usage errors, all checked, failures listed ------

# TRY_LINE : the last stderr line of every usage error.
TRY_LINE="Try 'sockcat --help' for more information."

# row_args ARG... : the argv of a row, quoted, long arguments shortened.
row_args() {
	local a out=
	for a in "$@"; do
		if ((${#a} > 40)); then
			a="${a:0:24}...(${#a} bytes)"
		fi
		out+=" $(printf '%q' "$a")"
	done
	printf 'sockcat%s' "$out"
}

# row_fail LINE WHY ARG... : record one failed row of a table.
row_fail() {
	local line=$1 why=$2
	shift 2
	ROW_FAILS+=("row at line $line: $(row_args "$@")"$'\n'"    $why")
}

# usage_row REGEX ARG... : sockcat ARG... (stdin /dev/null) must exit 2,
# print nothing on stdout and exactly two lines on stderr: "sockcat: ..."
# matching the extended REGEX, then the "Try ..." line. A failure is
# recorded with the row's line number (the caller's, or $ROW_LINE);
# rows_done reports them all.
usage_row() {
	local re=$1 row=${ROW_LINE:-${BASH_LINENO[0]}}
	shift
	# Short timeout: a check that is missing must not hang the table.
	if ! SC_TIMEOUT=3 run -2 --separate-stderr --keep-empty-lines \
	    sc "$@" </dev/null; then
		BATS_ERROR_SUFFIX=
		row_fail "$row" "exit $status, expected 2; stderr: ${stderr:0:200}" "$@"
		return 0
	fi
	if [[ -n $output ]]; then
		row_fail "$row" "stdout not empty: ${output:0:200}" "$@"
	elif ((${#stderr_lines[@]} != 2)); then
		row_fail "$row" "stderr has ${#stderr_lines[@]} lines, expected 2: ${stderr:0:300}" "$@"
	elif [[ ${stderr_lines[0]} != 'sockcat: '* ]]; then
		row_fail "$row" "first stderr line does not start with 'sockcat: ': ${stderr_lines[0]}" "$@"
	elif ! [[ ${stderr_lines[0]} =~ $re ]]; then
		row_fail "$row" "first stderr line /${stderr_lines[0]}/ does not match /$re/" "$@"
	elif [[ ${stderr_lines[1]} != "$TRY_LINE" ]]; then
		row_fail "$row" "second stderr line is not the Try line: ${stderr_lines[1]}" "$@"
	fi
	return 0
}

# rows_done : fail, listing every failed row of the table.
rows_done() {
	local f
	if ((${#ROW_FAILS[@]} > 0)); then
		for f in "${ROW_FAILS[@]}"; do
			printf '%s\n' "$f"
		done
		fail "${#ROW_FAILS[@]} row(s) failed"
	fi
}

sc_teardown() {
	local pid
	for pid in "${SC_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		kill -CONT "$pid" 2>/dev/null || true
	done
	for pid in "${SC_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	SC_PIDS=()
	if [[ -n ${SOCKDIR:-} && $SOCKDIR == /tmp/sc.* ]]; then
		rm -rf -- "$SOCKDIR"
	fi
}

teardown() {
	sc_teardown
}

SC_PIDS=()
ROW_FAILS=()
