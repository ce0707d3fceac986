#!/usr/bin/env bats
# The sockets API on the command line, observed from outside the sender:
# --peek (hex dump on stderr, data still on stdout exactly once), urgent
# data (--oob, --oob-after, --oob-inline) between sockcats and with Python
# and socat peers, --waitall records seen in the receiver's --trace,
# --send-flags/--recv-flags reaching the calls and refused with reasons,
# UNIX peer credentials (SO_PEERCRED, SCM_CREDENTIALS, exec environment),
# descriptor passing (--send-fd, --recv-fd, --recv-fd-out, -F).

load helpers

# --- local helpers ----------------------------------------------------------

setup() {
	D=$BATS_TEST_TMPDIR
}

# sc_io IN OUT ERR ARGS... : sockcat ARGS under timeout with the three
# standard streams in files.
sc_io() {
	local in=$1 out=$2 err=$3
	shift 3
	sc "$@" <"$in" >"$out" 2>"$err"
}

# restart_server ARGS... : start_server srv ARGS again in the same test,
# after removing the last one's files (else start_server could read the old
# "Listening on" line before the new process truncates srv.err).
restart_server() {
	rm -f "$D/srv.out" "$D/srv.err"
	start_server srv "$@"
}

# trace_fd_recvs TRACE FD : "SIZE FLAGS RESULT" of every recv on FD.
trace_fd_recvs() {
	sed -En "s/^[0-9.]+ recv\\($2, ([0-9]+), ([A-Z_|]+)\\) = (-?[0-9]+).*/\\1 \\2 \\3/p" "$1"
}

# py_tcp_port NAME : the port a Python peer NAME printed as its first line.
py_tcp_port() {
	wait_for "$D/$1.out" '^[0-9]+$' || return 1
	head -n 1 "$D/$1.out"
}

# A Python TCP listener reading with SO_OOBINLINE off, the way an urgent
# byte is meant to be read: on the exceptional condition, read the normal
# data up to the mark (SIOCATMARK), then recv(1, MSG_OOB). Prints its port,
# then one JSON line: the normal stream, the urgent byte(s), the offset.
py_oob_receiver() {
	pyfile oobrecv <<'EOF'
import fcntl, json, select, socket, struct, sys
SIOCATMARK = 0x8905
def atmark(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), SIOCATMARK, b"\0" * 4))[0] != 0
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
data, oob, off = b"", b"", None
while True:
    r, _, x = select.select([c], [], [] if oob else [c], 20)
    if not r and not x:
        sys.exit("timeout")
    if x:
        while not atmark(c):
            d = c.recv(65536)
            if not d:
                sys.exit("EOF before the urgent mark")
            data += d
        oob = c.recv(1, socket.MSG_OOB)
        off = len(data)
        continue
    d = c.recv(65536)
    if not d:
        break
    data += d
print(json.dumps({"data": data.decode("latin1"), "oob": oob.hex(), "offset": off}))
EOF
}

# A Python UNIX stream listener on PATH: prints "ready", accepts one
# client, and prints a JSON list of what each recvmsg returned (data in
# hex, the descriptors' /proc/self/fd targets), the last one being EOF.
py_fd_receiver() {
	pyfile fdrecv <<'EOF'
import array, json, os, socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
msgs = []
while True:
    data, anc, flags, _ = c.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
    fds = []
    for lvl, typ, d in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(d[:len(d) - len(d) % 4])
            fds += list(a)
    targets = []
    for fd in fds:
        targets.append(os.readlink("/proc/self/fd/%d" % fd))
        os.close(fd)
    msgs.append({"data": data.hex(), "fds": targets})
    if not data:
        break
print(json.dumps(msgs))
EOF
}

# --- 1. --peek ---------------------------------------------------------------

@test "peek: TCP listener dumps the client's first 40 bytes, stdout gets all 1000 once" {
	make_payload "$D/in" 1000
	start_server srv -l --peek=40 127.0.0.1 0
	run -0 sc 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	local cp
	cp=$(cport srv)
	[[ -n $cp ]]
	peek_is "$D/srv.err" "Peek at 127.0.0.1 $cp: 40 bytes, not consumed:" "$D/in" 40
	cmp "$D/in" "$D/srv.out"
}

@test "peek: TCP client dumps the server's first 64 bytes (default), stdout gets all once" {
	make_payload "$D/in" 1000
	SRV_IN=$D/in start_server srv -l 127.0.0.1 0
	run -0 sc_io /dev/null "$D/cli.out" "$D/cli.err" --peek 127.0.0.1 "$SRV_PORT"
	server_done
	peek_is "$D/cli.err" "Peek at 127.0.0.1 $SRV_PORT: 64 bytes, not consumed:" "$D/in" 64
	cmp "$D/in" "$D/cli.out"
	[[ ! -s $D/srv.out ]]
}

@test "peek: UNIX stream listener dumps the first 20 bytes, stdout gets all once" {
	sockdir
	make_payload "$D/in" 1000
	start_server srv -l --peek=20 -U "$SOCKDIR/s"
	run -0 sc -U "$SOCKDIR/s" <"$D/in"
	server_done
	peek_is "$D/srv.err" "Peek at $SOCKDIR/s: 20 bytes, not consumed:" "$D/in" 20
	cmp "$D/in" "$D/srv.out"
}

@test "peek: UDP shows the first message's real length (1400), 16 bytes of it, data once" {
	make_payload "$D/m1" 1400
	make_payload "$D/m2" 100
	cat "$D/m1" "$D/m2" >"$D/want"
	start_server srv -u -l --peek=16 127.0.0.1 0
	# Two datagrams from one socket: the dump is of the first only, and
	# the peeked message is not written twice.
	run -0 peer python3 - "$SRV_PORT" "$D/m1" "$D/m2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
for f in sys.argv[2:]:
    s.send(open(f, "rb").read())
EOF
	wait_until 10 has_size "$D/srv.out" 1500
	local cp
	cp=$(cport srv)
	[[ -n $cp ]]
	peek_is "$D/srv.err" "Peek at 127.0.0.1 $cp: a message of 1400 bytes, 16 shown, not consumed:" "$D/m1" 16
	cmp "$D/want" "$D/srv.out"
}

@test "peek: interop: a socat client's upload is peeked by sockcat -l and relayed once" {
	need_cmd socat
	make_payload "$D/in" 3000
	start_server srv -l --peek=48 127.0.0.1 0
	run -0 peer socat -u "FILE:$D/in" "TCP4:127.0.0.1:$SRV_PORT"
	server_done
	local cp
	cp=$(cport srv)
	peek_is "$D/srv.err" "Peek at 127.0.0.1 $cp: 48 bytes, not consumed:" "$D/in" 48
	cmp "$D/in" "$D/srv.out"
}

# --- 2. urgent data ----------------------------------------------------------

@test "oob: sockcat to sockcat: byte reported at offset 5, not in stdout" {
	printf abcdefghij >"$D/in"
	start_server srv -l 127.0.0.1 0
	run -0 sc --oob '\x03' --oob-after 5 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	grep -Fx "urgent data: 0x03 at offset 5" "$D/srv.err"
	(($(grep -c '^urgent data' "$D/srv.err") == 1))
	cmp "$D/in" "$D/srv.out"
}

@test "oob: --oob-after beyond stdin's length sends the byte at stdin EOF" {
	printf abcdefghij >"$D/in"
	start_server srv -l 127.0.0.1 0
	run -0 sc --oob '\x7f' --oob-after 100 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	grep -Fx "urgent data: 0x7f at offset 10" "$D/srv.err"
	cmp "$D/in" "$D/srv.out"
}

@test "oob: --oob-inline on the receiver keeps the byte in the stream, no report" {
	printf abcdefghij >"$D/in"
	printf 'abcde\003fghij' >"$D/want"
	start_server srv -l --oob-inline 127.0.0.1 0
	run -0 sc --oob '\x03' --oob-after 5 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	cmp "$D/want" "$D/srv.out"
	run grep -c 'urgent' "$D/srv.err"
	[[ $output == 0 ]]
}

@test "oob: multi-byte --oob 'ab\\x03': only the last byte is urgent, 'ab' is normal data" {
	# TCP has one urgent pointer: of a send with MSG_OOB only the last
	# byte is urgent; the bytes before it go as ordinary stream data.
	printf abcdefghij >"$D/in"
	printf abcdeabfghij >"$D/want"
	start_server srv -l 127.0.0.1 0
	run -0 sc --oob 'ab\x03' --oob-after 5 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	grep -Fx "urgent data: 0x03 at offset 7" "$D/srv.err"
	(($(grep -c '^urgent data' "$D/srv.err") == 1))
	cmp "$D/want" "$D/srv.out"
}

@test "oob: a Python peer's urgent byte is reported by sockcat with its offset" {
	start_server srv -l 127.0.0.1 0
	# The peer sends "hello", waits until sockcat has written it (so the
	# normal bytes are known to arrive first), then the urgent 'X', then
	# "world".
	run -0 peer python3 - "$SRV_PORT" "$D/srv.out" <<'EOF'
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"hello")
deadline = time.time() + 10
while os.path.getsize(sys.argv[2]) < 5:
    if time.time() > deadline:
        sys.exit("sockcat never wrote the first 5 bytes")
    time.sleep(0.01)
s.send(b"X", socket.MSG_OOB)
s.sendall(b"world")
s.shutdown(socket.SHUT_WR)
while s.recv(100):
    pass
EOF
	server_done
	grep -Fx "urgent data: 0x58 at offset 5" "$D/srv.err"
	printf helloworld >"$D/want"
	cmp "$D/want" "$D/srv.out"
}

@test "oob: a Python receiver (SO_OOBINLINE off) gets sockcat's urgent byte apart from the stream" {
	py_oob_receiver
	peer_bg py python3 "$D/oobrecv.py"
	local port
	port=$(py_tcp_port py)
	printf abcdefghij >"$D/in"
	run -0 sc --oob '\x03' --oob-after 5 127.0.0.1 "$port" <"$D/in"
	wait_exit "$PEER_PID"
	((WAIT_STATUS == 0))
	run tail -n 1 "$D/py.out"
	assert_output '{"data": "abcdefghij", "oob": "03", "offset": 5}'
}

@test "oob: interop: a socat client gets the urgent byte inline with so-oobinline, not without" {
	need_cmd socat
	printf abcdefghij >"$D/in"
	SRV_IN=$D/in start_server srv -l --oob '\x03' --oob-after 5 127.0.0.1 0
	run -0 io /dev/null "$D/inline" peer socat -u "TCP4:127.0.0.1:$SRV_PORT,so-oobinline" STDOUT
	server_done
	printf 'abcde\003fghij' >"$D/want"
	cmp "$D/want" "$D/inline"

	SRV_IN=$D/in restart_server -l --oob '\x03' --oob-after 5 127.0.0.1 0
	run -0 io /dev/null "$D/plain" peer socat -u "TCP4:127.0.0.1:$SRV_PORT" STDOUT
	server_done
	cmp "$D/in" "$D/plain"
}

# --- 3. --waitall -------------------------------------------------------------

# A Python client sending 3, 5, 7, ... 21 bytes (120 in all) with
# TCP_NODELAY and short pauses, so that the data arrives in pieces that are
# not multiples of 16; then EOF.
py_odd_sender() {
	pyfile oddsend <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
out = open(sys.argv[2], "wb")
for i, n in enumerate(range(3, 23, 2)):
    piece = bytes((i * 31 + j) % 256 for j in range(n))
    s.sendall(piece)
    out.write(piece)
    time.sleep(0.03)
out.close()
s.shutdown(socket.SHUT_WR)
while s.recv(100):
    pass
EOF
}

@test "waitall: --waitall --recv-size 16: every recv returns 16 but the short last record and EOF" {
	py_odd_sender
	start_server srv -l --waitall --recv-size 16 --trace="$D/trace" 127.0.0.1 0
	run -0 peer python3 "$D/oddsend.py" "$SRV_PORT" "$D/sent"
	server_done
	cmp "$D/sent" "$D/srv.out"
	local fd
	fd=$(trace_accepted "$D/trace")
	[[ -n $fd ]]
	grep -Eq "^[0-9.]+ setsockopt\\($fd, SOL_SOCKET, SO_RCVLOWAT, 16\\) = 0" "$D/trace"
	mapfile -t recvs < <(trace_fd_recvs "$D/trace" "$fd")
	printf '%s\n' "${recvs[@]}"
	local n=${#recvs[@]} i size flags res
	# 120 bytes: 7 records of 16, one of 8, then the EOF, read as the
	# rest of that record (8 bytes asked for); nothing read after it.
	((n == 9))
	for ((i = 0; i < n; i++)); do
		read -r size flags res <<<"${recvs[i]}"
		[[ $flags == *MSG_WAITALL* ]]
		if ((i < n - 1)); then
			((size == 16))
		fi
		if ((i < n - 2)); then
			((res == 16))
		fi
	done
	[[ ${recvs[n - 2]} == '16 '*' 8' ]]
	[[ ${recvs[n - 1]} == '8 '*' 0' ]]
}

@test "waitall: the same sender without --waitall gives recvs that are not 16-byte records" {
	py_odd_sender
	start_server srv -l --trace="$D/trace" 127.0.0.1 0
	run -0 peer python3 "$D/oddsend.py" "$SRV_PORT" "$D/sent"
	server_done
	cmp "$D/sent" "$D/srv.out"
	local fd
	fd=$(trace_accepted "$D/trace")
	# the reads of the socket: recv, or splice(2) where it is built in
	run sed -En "s/^[0-9.]+ (recv\\($fd|splice\\($fd, [a-z0-9]+), ([0-9]+), ([A-Z_|]+)\\) = (-?[0-9]+).*/\\2 \\3 \\4/p" "$D/trace"
	echo "$output"
	[[ -n $output ]]
	refute_output --partial MSG_WAITALL
	# At least one read of another size than 16 (and not the EOF).
	echo "$output" | awk '$3 > 0 && $3 != 16 { f = 1 } END { exit !f }'
}

# len32_check OUT IN SIZE... : OUT is IN in len32 frames of these sizes.
len32_check() {
	python3 - "$@" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
i, sizes, body = 0, [], b""
while i < len(d):
    n = struct.unpack(">I", d[i:i + 4])[0]
    sizes.append(n)
    body += d[i + 4:i + 4 + n]
    i += 4 + n
want = [int(a) for a in sys.argv[3:]]
assert sizes == want, sizes
assert body == open(sys.argv[2], "rb").read()
EOF
}

@test "waitall: --framing len32 and line on a stream: records of 1000 framed, last one 5" {
	head -c 8000 /dev/urandom | base64 -w 0 | head -c 10005 >"$D/in"
	[[ $(wc -c <"$D/in") -eq 10005 ]]
	start_server srv -l --waitall --recv-size 1000 --framing len32 127.0.0.1 0
	run -0 sc 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	run -0 len32_check "$D/srv.out" "$D/in" 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 5
	restart_server -l --waitall --recv-size 1000 --framing line 127.0.0.1 0
	run -0 sc 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	{ fold -b -w 1000 "$D/in"; echo; } >"$D/expect"
	cmp "$D/expect" "$D/srv.out"
}

@test "waitall: SO_RCVBUF holds two records of 1 MiB; -vv reads back it and SO_RCVLOWAT" {
	make_payload "$D/in" $((3 * 1048576 + 5))
	start_server srv -l -vv --waitall --recv-size 1048576 --framing len32 127.0.0.1 0
	run -0 sc 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	grep -qx 'Receive flags: none (with MSG_DONTWAIT|MSG_WAITALL)' "$D/srv.err"
	grep -qx 'Option SOL_SOCKET SO_RCVLOWAT: the kernel has 1048576' "$D/srv.err"
	local rb
	rb=$(sed -En 's/^Option SOL_SOCKET SO_RCVBUF: the kernel has ([0-9]+)$/\1/p' "$D/srv.err")
	[[ -n $rb ]] || fail "no SO_RCVBUF read-back: $(cat "$D/srv.err")"
	((rb >= 2 * 1048576))
	# Whole records of 1 MiB, however the kernel woke the reader.
	run -0 len32_check "$D/srv.out" "$D/in" 1048576 1048576 1048576 5
}

@test "waitall: usage errors: --rcvlowat, SO_RCVLOWAT, -I below --recv-size, -t" {
	usage_row 'waitall.*--rcvlowat' --waitall --recv-size 16 --rcvlowat 4 127.0.0.1 9
	usage_row 'waitall.*--rcvlowat' --waitall --recv-size 16 --sockopt SOL_SOCKET:SO_RCVLOWAT=4 127.0.0.1 9
	usage_row 'waitall.*-I 500.*--recv-size 1000' --waitall --recv-size 1000 -I 500 127.0.0.1 9
	usage_row 'waitall.*-t' --waitall --recv-size 16 -t 127.0.0.1 9
	rows_done
}

# --- 3b. MSG_ZEROCOPY ----------------------------------------------------------

# zc_check ERR TRACE : the -vv lines and the trace of a zero-copy sender:
# SO_ZEROCOPY set and read back as 1, sends with MSG_ZEROCOPY, and the
# error queue read for the kernel's notifications.
zc_check() {
	grep -qx 'Send flags: MSG_ZEROCOPY (with MSG_DONTWAIT|MSG_NOSIGNAL)' "$1"
	grep -qx 'Option SOL_SOCKET SO_ZEROCOPY: the kernel has 1' "$1"
	grep -Eq '^[0-9.]+ send\([0-9]+, [0-9]+, [A-Z_|]*MSG_ZEROCOPY[A-Z_|]*\) = [1-9]' "$2"
	grep -Eq '^[0-9.]+ recvmsg\([0-9]+, [0-9]+, [A-Z_|]*MSG_ERRQUEUE[A-Z_|]*\) = ' "$2"
}

@test "zerocopy: 64 MiB with --send-flags zerocopy arrive intact, client and listener sending" {
	make_payload "$D/in" $((64 << 20))
	start_server srv -l 127.0.0.1 0
	run sc_io "$D/in" "$D/cli.out" "$D/cli.err" -vv --send-flags zerocopy --trace="$D/trace" 127.0.0.1 "$SRV_PORT"
	if grep -q 'SO_ZEROCOPY.*Protocol not available' "$D/cli.err"; then
		skip "kernel without SO_ZEROCOPY"
	fi
	((status == 0))
	server_done
	cmp "$D/in" "$D/srv.out"
	zc_check "$D/cli.err" "$D/trace"
	# The other way: the listener sends; the name in another spelling.
	rm -f "$D/trace"
	SRV_IN=$D/in restart_server -l -vv --send-flags MSG_ZeroCopy --trace="$D/trace" 127.0.0.1 0
	run -0 sc_io /dev/null "$D/cli.out" "$D/cli.err" 127.0.0.1 "$SRV_PORT"
	server_done
	cmp "$D/in" "$D/cli.out"
	zc_check "$D/srv.err" "$D/trace"
}

# --- 4. flags -------------------------------------------------------------------

# send_flags_of TRACE : the flags of the send calls that carried data.
send_flags_of() {
	sed -En 's/^[0-9.]+ send\([0-9]+, [0-9]+, ([A-Z_|]+)\) = [1-9][0-9]*.*/\1/p' "$1"
}

# has_flags FLAGS NAME... : FLAGS (A|B|C) holds every NAME.
has_flags() {
	local f=$1 n
	shift
	for n in "$@"; do
		[[ "|$f|" == *"|$n|"* ]] || return 1
	done
}

@test "send-flags: names, numbers and the shortcuts reach send(), data arrives" {
	local args flags
	for args in "--send-flags more,dontroute" "--send-flags MSG_More,DontRoute" \
	    "--dontroute --more" "--send-flags 0x8004"; do
		restart_server -l 127.0.0.1 0
		printf 'hello\n' >"$D/in"
		# shellcheck disable=SC2086
		run -0 sc $args --trace="$D/trace" 127.0.0.1 "$SRV_PORT" <"$D/in"
		server_done
		cmp "$D/in" "$D/srv.out"
		flags=$(send_flags_of "$D/trace")
		echo "$args: $flags"
		[[ -n $flags ]]
		has_flags "$flags" MSG_DONTROUTE MSG_MORE MSG_DONTWAIT MSG_NOSIGNAL
	done
	# A number alone: 0x4 is MSG_DONTROUTE, and nothing else is added.
	restart_server -l 127.0.0.1 0
	run -0 sc --send-flags 0x4 --trace="$D/trace" 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	flags=$(send_flags_of "$D/trace")
	has_flags "$flags" MSG_DONTROUTE MSG_DONTWAIT MSG_NOSIGNAL
	if has_flags "$flags" MSG_MORE; then
		fail "--send-flags 0x4 sent MSG_MORE: $flags"
	fi
	# Without flags, neither is there: the bytes are spliced where
	# splice(2) is built in (no send at all), else sent with the defaults.
	restart_server -l 127.0.0.1 0
	run -0 sc --trace="$D/trace" 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	flags=$(send_flags_of "$D/trace")
	if has_feature splice; then
		[[ -z $flags ]]
		grep -Eq '^[0-9.]+ splice\(pipe, [0-9]+, 6, .*\) = 6$' "$D/trace"
	else
		[[ $flags == MSG_DONTWAIT\|MSG_NOSIGNAL ]]
	fi
}

@test "recv-flags: cmsg_cloexec reaches recv() in the trace" {
	printf 'hello\n' >"$D/in"
	SRV_IN=$D/in start_server srv -l 127.0.0.1 0
	run -0 sc_io /dev/null "$D/cli.out" "$D/cli.err" --recv-flags cmsg_cloexec --trace 127.0.0.1 "$SRV_PORT"
	server_done
	cmp "$D/in" "$D/cli.out"
	grep -Eq '^[0-9.]+ recv\([0-9]+, [0-9]+, [A-Z_|]*MSG_CMSG_CLOEXEC[A-Z_|]*\) = 6$' "$D/cli.err"
}

@test "flags: an unknown name is a usage error listing the valid ones" {
	local opt name re bad
	for opt in --send-flags --recv-flags; do
		run -2 --separate-stderr sc "$opt" dontwait,bogus 127.0.0.1 9 </dev/null
		[[ -z $output ]]
		((${#stderr_lines[@]} == 2))
		[[ ${stderr_lines[0]} == "sockcat: $opt: unknown flag \"bogus\" ("*")" ]]
		[[ ${stderr_lines[1]} == "$TRY_LINE" ]]
		# The documented names for that direction are all in the list,
		# and the other direction's are not.
		if [[ $opt == --send-flags ]]; then
			set -- dontroute dontwait more nosignal oob eor confirm zerocopy
			bad=(peek waitall trunc cmsg_cloexec)
		else
			# peek, oob and errqueue are names, but refused (with
			# the reason) for the relay's receives
			set -- trunc waitall cmsg_cloexec dontwait
			bad=(dontroute more nosignal eor confirm peek oob errqueue)
		fi
		for name; do
			re="[( ]$name[,)]"
			[[ ${stderr_lines[0]} =~ $re ]] || fail "$opt list lacks $name: ${stderr_lines[0]}"
		done
		for name in "${bad[@]}"; do
			re="[( ]$name[,)]"
			[[ ! ${stderr_lines[0]} =~ $re ]] || fail "$opt list has $name: ${stderr_lines[0]}"
		done
	done
}

@test "flags: a flag of the other direction is refused, naming its direction" {
	run -2 --separate-stderr sc --send-flags nosignal,peek 127.0.0.1 9 </dev/null
	[[ ${stderr_lines[0]} == 'sockcat: --send-flags: "peek" is a flag for receiving' ]]
	run -2 --separate-stderr sc --recv-flags waitall,more 127.0.0.1 9 </dev/null
	[[ ${stderr_lines[0]} == 'sockcat: --recv-flags: "more" is a flag for sending' ]]
	run -2 --separate-stderr sc --recv-flags ctrunc 127.0.0.1 9 </dev/null
	[[ ${stderr_lines[0]} == 'sockcat: --recv-flags: "ctrunc" is only reported by the kernel, never passed in' ]]
	[[ ${stderr_lines[1]} == "$TRY_LINE" ]]
}

@test "flags: flags that cannot work for the socket are refused with the reason" {
	sockdir
	usage_row 'oob.*stream' --send-flags oob -u 127.0.0.1 9
	usage_row 'oob.*stream' --send-flags 1 -u 127.0.0.1 9
	usage_row 'eor.*(SEQPACKET|SCTP)' --send-flags eor 127.0.0.1 9
	usage_row 'eor.*(SEQPACKET|SCTP)' --send-flags 0x80 127.0.0.1 9
	usage_row 'confirm.*UDP' --send-flags confirm 127.0.0.1 9
	usage_row 'dontroute.*UNIX' --send-flags dontroute -U "$SOCKDIR/s"
	usage_row 'dontroute.*UNIX' --dontroute -U "$SOCKDIR/s"
	usage_row 'more is for TCP' --send-flags more -U "$SOCKDIR/s"
	# on a datagram socket MSG_MORE corks every message for ever
	usage_row 'more is for TCP.*never comes' --send-flags more -u 127.0.0.1 9
	usage_row 'more is for TCP' --more -u 127.0.0.1 9
	usage_row 'more is for TCP' --more -U --seqpacket "$SOCKDIR/s"
	usage_row 'zerocopy.*TCP' --send-flags zerocopy -u 127.0.0.1 9
	usage_row 'peek.*--peek' --recv-flags peek 127.0.0.1 9
	usage_row 'peek.*--peek' --recv-flags 2 127.0.0.1 9
	usage_row 'oob.*urgent' --recv-flags oob 127.0.0.1 9
	usage_row 'oob.*urgent' --recv-flags MSG_OOB 127.0.0.1 9
	usage_row 'errqueue' --recv-flags errqueue 127.0.0.1 9
	usage_row 'waitall.*messages' --recv-flags waitall -u 127.0.0.1 9
	rows_done
}

@test "flags: numbers checked by direction, trunc on TCP, stdio options with a handler" {
	sockdir
	usage_row '--recv-flags: "0x8000" has MSG_MORE, a flag for sending' --recv-flags 0x8000 127.0.0.1 9
	usage_row '--recv-flags: "4" has MSG_DONTROUTE, a flag for sending' --recv-flags dontwait,4 127.0.0.1 9
	usage_row '--send-flags: "0x100" has MSG_WAITALL, a flag for receiving' --send-flags 0x100 127.0.0.1 9
	usage_row '--send-flags: "2" has MSG_PEEK' --send-flags 2 127.0.0.1 9
	usage_row 'recv-flags trunc: TCP would discard' --recv-flags trunc 127.0.0.1 9
	usage_row 'recv-flags trunc: TCP would discard' --recv-flags 0x20 127.0.0.1 9
	usage_row 'recv-flags trunc: TCP would discard' --recv-flags MSG_TRUNC -l 127.0.0.1 0
	usage_row '--send-fd is for stdin/stdout: not with --echo$' --send-fd /etc/hostname --echo -l -U "$SOCKDIR/s"
	usage_row '--recv-fd is for stdin/stdout: not with -e$' --recv-fd -e /bin/cat -l -U "$SOCKDIR/s"
	usage_row '--recv-fd-out is for stdin/stdout: not with -c$' --recv-fd-out "$SOCKDIR/x" -c cat -l -U "$SOCKDIR/s"
	usage_row '--send-creds is for stdin/stdout: not with --broker$' --send-creds --broker -l -U "$SOCKDIR/s"
	usage_row '--recv-creds is for stdin/stdout: not with --chat$' --recv-creds --chat -l -U "$SOCKDIR/s"
	usage_row '--peek is for stdin/stdout: not with --forward$' --peek --forward 127.0.0.1:9 -l 127.0.0.1 0
	usage_row '--waitall is for stdin/stdout: not with --echo$' --waitall --recv-size 8 --echo -l 127.0.0.1 0
	rows_done
}

@test "-vv: the send and receive flags in use, and SO_PASSCRED read back" {
	start_server srv -l -vv --recv-flags cmsg_cloexec 127.0.0.1 0
	printf 'hello\n' >"$D/in"
	run -0 sc_io "$D/in" "$D/cli.out" "$D/cli.err" -vv --send-flags more,dontroute 127.0.0.1 "$SRV_PORT"
	server_done
	cmp "$D/in" "$D/srv.out"
	grep -qx 'Send flags: MSG_DONTROUTE|MSG_MORE (with MSG_DONTWAIT|MSG_NOSIGNAL)' "$D/cli.err"
	grep -qx 'Receive flags: MSG_CMSG_CLOEXEC (with MSG_DONTWAIT)' "$D/srv.err"
	run -1 grep -q 'Receive flags' "$D/cli.err"
	run -1 grep -q 'Send flags' "$D/srv.err"
	# Without any, no such line at all.
	restart_server -l -vv 127.0.0.1 0
	run -0 sc_io "$D/in" "$D/cli.out" "$D/cli.err" -vv 127.0.0.1 "$SRV_PORT"
	server_done
	run -1 grep -q 'flags:' "$D/cli.err" "$D/srv.err"
	sockdir
	start_server srv -l -vv --recv-creds -U "$SOCKDIR/s"
	run -0 sc_io "$D/in" "$D/cli.out" "$D/cli.err" --send-creds -U "$SOCKDIR/s"
	server_done
	cmp "$D/in" "$D/srv.out"
	grep -qx 'Option SOL_SOCKET SO_PASSCRED: the kernel has 1' "$D/srv.err"
}

@test "sockapi: usage errors of --peek, --oob, --waitall, descriptors and credentials" {
	sockdir
	usage_row 'waitall.*--recv-size' --waitall 127.0.0.1 9
	usage_row 'waitall' --waitall --recv-size 16 -u 127.0.0.1 9
	usage_row 'waitall' --waitall --recv-size 16 -U "$SOCKDIR/s"
	usage_row 'oob-after.*--oob' --oob-after 3 127.0.0.1 9
	usage_row 'oob.*TCP' --oob x -u 127.0.0.1 9
	usage_row 'oob.*TCP' --oob x -U "$SOCKDIR/s"
	usage_row 'oob' --oob '' 127.0.0.1 9
	usage_row 'peek' --peek=0 127.0.0.1 9
	usage_row 'peek' --peek=abc 127.0.0.1 9
	usage_row 'UNIX' --send-fd /etc/hostname 127.0.0.1 9
	usage_row 'UNIX' --recv-fd 127.0.0.1 9
	usage_row 'UNIX' --recv-fd-out "$BATS_TEST_TMPDIR/x" 127.0.0.1 9
	usage_row 'UNIX' --send-creds 127.0.0.1 9
	usage_row 'UNIX' --recv-creds -u 127.0.0.1 9
	rows_done
}

# --- 5. peer credentials ------------------------------------------------------

@test "creds: -v on both UNIX ends shows the other process's pid, our uid and gid" {
	sockdir
	start_server srv -l -U "$SOCKDIR/s"
	local lpid cpid ids
	lpid=$(sc_child "$SRV_PID")
	[[ -n $lpid ]]
	sc_bg cli -v -U "$SOCKDIR/s"
	cpid=$(bg_pid cli)
	wait_exit "$BG_PID"
	((WAIT_STATUS == 0))
	server_done
	ids="uid $(id -u), gid $(id -g)"
	# Right after the Connection line, on either side.
	run grep -A1 '^Connection received on ' "$D/srv.err"
	assert_output "Connection received on $SOCKDIR/s
Peer credentials: pid $cpid, $ids"
	run grep -A1 '^Connection to ' "$D/cli.err"
	assert_output "Connection to $SOCKDIR/s succeeded!
Peer credentials: pid $lpid, $ids"
}

@test "creds: exec children get SOCKCAT_PEER_PID/UID/GID of a Python client" {
	sockdir
	start_server srv -l -U "$SOCKDIR/s" -c 'echo "$SOCKCAT_PEER_PID $SOCKCAT_PEER_UID $SOCKCAT_PEER_GID"'
	run -0 peer python3 - "$SOCKDIR/s" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.shutdown(socket.SHUT_WR)
got = b"".join(iter(lambda: s.recv(100), b""))
print(os.getpid())
print(got.decode().strip())
EOF
	server_done
	local pypid=${lines[0]}
	[[ ${lines[1]} == "$pypid $(id -u) $(id -g)" ]]
	grep -Fx "Peer credentials: pid $pypid, uid $(id -u), gid $(id -g)" "$D/srv.err"
}

@test "creds: --send-creds/--recv-creds: the receiver prints the sender's pid once" {
	sockdir
	start_server srv -l --recv-creds -U "$SOCKDIR/s"
	# Two chunks from the same process: the credentials do not change, so
	# one line only.
	mkfifo "$D/fifo"
	{ printf 'one\n'; sleep 0.2; printf 'two\n'; } >"$D/fifo" 3>&- &
	track $!
	SC_IN=$D/fifo sc_bg cli --send-creds -U "$SOCKDIR/s"
	local cpid
	cpid=$(bg_pid cli)
	wait_exit "$BG_PID"
	((WAIT_STATUS == 0))
	server_done
	printf 'one\ntwo\n' >"$D/want"
	cmp "$D/want" "$D/srv.out"
	grep -Fx "Credentials: pid $cpid, uid $(id -u), gid $(id -g)" "$D/srv.err"
	(($(grep -c '^Credentials: ' "$D/srv.err") == 1))
}

# --- 6. descriptor passing -----------------------------------------------------

@test "fd: --send-fd FILE to --recv-fd-out: reported as a regular file, contents copied" {
	sockdir
	make_payload "$D/file" 5000
	start_server srv -l --recv-fd-out "$D/copy" -U "$SOCKDIR/s"
	printf 'data\n' >"$D/in"
	run -0 sc -U "$SOCKDIR/s" --send-fd "$D/file" <"$D/in"
	server_done
	grep -Fx "Received descriptor: regular file $D/file" "$D/srv.err"
	(($(grep -c '^Received descriptor: ' "$D/srv.err") == 1))
	cmp "$D/file" "$D/copy"
	cmp "$D/in" "$D/srv.out"
}

@test "fd: the listener sends (--send-fd), the client receives (--recv-fd-out)" {
	sockdir
	make_payload "$D/file" 3000
	printf 'from the server\n' >"$D/in"
	SRV_IN=$D/in start_server srv -l --send-fd "$D/file" -U "$SOCKDIR/s"
	run -0 sc_io /dev/null "$D/cli.out" "$D/cli.err" -U "$SOCKDIR/s" --recv-fd-out "$D/copy"
	server_done
	grep -Fx "Received descriptor: regular file $D/file" "$D/cli.err"
	cmp "$D/file" "$D/copy"
	cmp "$D/in" "$D/cli.out"
}

@test "fd: --send-fd fd:N of a socket, a pipe and /dev/null: the receiver names the type" {
	sockdir
	start_server srv -l -k --recv-fd -U "$SOCKDIR/s"
	# A socket: one end of a Python socketpair, handed down as fd N.
	run -0 peer python3 - "$SOCKCAT" "$SOCKDIR/s" <<'EOF'
import os, socket, subprocess, sys
a, b = socket.socketpair()
r = subprocess.run(["timeout", "10", sys.argv[1], "-U", sys.argv[2],
                    "--send-fd", "fd:%d" % a.fileno()],
                   pass_fds=[a.fileno()], stdin=subprocess.DEVNULL)
print(os.fstat(a.fileno()).st_ino)
sys.exit(r.returncode)
EOF
	local ino=$output
	wait_for "$D/srv.err" '^Received descriptor: '
	grep -Fx "Received descriptor: socket socket:[$ino]" "$D/srv.err"
	# A pipe as fd 5, and a character device given by name.
	run -0 sc -U "$SOCKDIR/s" --send-fd fd:5 5< <(echo piped) </dev/null
	run -0 sc -U "$SOCKDIR/s" --send-fd /dev/null </dev/null
	wait_until 10 has_count "$D/srv.err" '^Received descriptor: ' 3
	grep -Eqx 'Received descriptor: pipe pipe:\[[0-9]+\]' "$D/srv.err"
	grep -Fx "Received descriptor: character device /dev/null" "$D/srv.err"
}

@test "fd: a Python receiver gets SCM_RIGHTS with the first data byte, no extra byte" {
	sockdir
	py_fd_receiver
	peer_bg py python3 "$D/fdrecv.py" "$SOCKDIR/s"
	wait_for "$D/py.out" '^ready$'
	printf hello >"$D/in"
	run -0 sc -U "$SOCKDIR/s" --send-fd /etc/hosts <"$D/in"
	wait_exit "$PEER_PID"
	((WAIT_STATUS == 0))
	run -0 python3 - "$D/py.out" <<'EOF'
import json, sys
msgs = json.loads(open(sys.argv[1]).read().splitlines()[-1])
data = bytes.fromhex("".join(m["data"] for m in msgs))
assert data == b"hello", data
assert msgs[0]["fds"] == ["/etc/hosts"], msgs
assert all(m["fds"] == [] for m in msgs[1:]), msgs
EOF
}

@test "fd: with empty stdin, one NUL byte carries the descriptor" {
	sockdir
	py_fd_receiver
	peer_bg py python3 "$D/fdrecv.py" "$SOCKDIR/s"
	wait_for "$D/py.out" '^ready$'
	run -0 sc -U "$SOCKDIR/s" --send-fd /etc/hosts </dev/null
	wait_exit "$PEER_PID"
	((WAIT_STATUS == 0))
	run tail -n 1 "$D/py.out"
	assert_output '[{"data": "00", "fds": ["/etc/hosts"]}, {"data": "", "fds": []}]'
}

# --- 7. -F ---------------------------------------------------------------------

@test "-F: the connected socket comes over a socketpair, blocking, and talks to the server" {
	start_server srv -l 127.0.0.1 0
	run -0 peer python3 - "$SOCKCAT" "$SRV_PORT" <<'EOF'
import array, socket, subprocess, sys
a, b = socket.socketpair()
r = subprocess.run(["timeout", "10", sys.argv[1], "-F", "127.0.0.1", sys.argv[2]],
                   stdout=a.fileno(), stdin=subprocess.DEVNULL)
a.close()
assert r.returncode == 0, r.returncode
data, anc, flags, _ = b.recvmsg(16, socket.CMSG_SPACE(4 * 4))
fds = []
for lvl, typ, d in anc:
    if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        x = array.array("i")
        x.frombytes(d[:len(d) - len(d) % 4])
        fds += list(x)
assert len(data) == 1, data
assert len(fds) == 1, fds
# passed blocking, as ProxyUseFdpass receivers expect
import os
assert os.get_blocking(fds[0]), "passed with O_NONBLOCK"
s = socket.socket(fileno=fds[0])
assert s.type == socket.SOCK_STREAM and s.getpeername() == ("127.0.0.1", int(sys.argv[2]))
s.sendall(b"via the passed socket\n")
s.shutdown(socket.SHUT_WR)
while s.recv(100):
    pass
EOF
	server_done
	printf 'via the passed socket\n' >"$D/want"
	cmp "$D/want" "$D/srv.out"
}

@test "-F: stdout a pipe is an error, exit 1" {
	start_server srv -l 127.0.0.1 0
	run -1 --separate-stderr bash -c \
	    'timeout -k 2 10 "$0" -F 127.0.0.1 "$1" </dev/null | cat; exit "${PIPESTATUS[0]}"' \
	    "$SOCKCAT" "$SRV_PORT"
	[[ -z $output ]]
	[[ $stderr == "sockcat: -F: stdout is not a UNIX socket" ]]
}

@test "-F --trace: the pass is one sendmsg on stdout, then the socket's traced close" {
	start_server srv -l 127.0.0.1 0
	run -0 peer python3 - "$SOCKCAT" "$SRV_PORT" "$D/tr" <<'EOF'
import socket, subprocess, sys
a, b = socket.socketpair()
with open(sys.argv[3], "wb") as tr:
    r = subprocess.run(["timeout", "10", sys.argv[1], "-F", "--trace",
                        "127.0.0.1", sys.argv[2]], stdout=a.fileno(),
                       stdin=subprocess.DEVNULL, stderr=tr)
assert r.returncode == 0, r.returncode
data, anc, _, _ = b.recvmsg(16, socket.CMSG_SPACE(4 * 4))
assert data == b"\0" and len(anc) == 1, (data, anc)
socket.socket(fileno=int.from_bytes(anc[0][2][:4], sys.byteorder)).close()
EOF
	server_done
	# the socket made is the one passed and closed, with nothing after
	fd=$(sed -n 's/^[0-9.]* socket(AF_INET, SOCK_STREAM.*) = \([0-9]*\)$/\1/p' "$D/tr")
	[[ -n $fd ]]
	run -0 sed -n '/ sendmsg(/,$s/^[0-9.]* //p' "$D/tr"
	assert_output "sendmsg(1, 1, MSG_NOSIGNAL) = 1
close($fd) = 0"
}

# --- 8. bash completion ----------------------------------------------------------

# complete WORD... : what the bash completion offers for the last WORD of
# "sockcat WORD...", one per line ("=" as its own word, as readline splits).
complete() {
	bash -c '
		source /usr/share/bash-completion/bash_completion || exit 1
		source "$1" || exit 1
		shift
		COMP_WORDS=(sockcat "$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_LINE=${COMP_LINE// = /=}
		COMP_POINT=${#COMP_LINE}
		_sockcat sockcat
		printf "%s\n" "${COMPREPLY[@]}"' _ "${SC_SRCDIR:-$BATS_TEST_DIRNAME/..}/completions/sockcat" "$@"
}

@test "completion: --send-flags and --recv-flags offer their direction's names, also after a comma" {
	[[ -r /usr/share/bash-completion/bash_completion ]] ||
		skip "bash-completion is not installed"
	run -0 complete --send-flags ''
	[[ $(sort <<<"$output" | tr '\n' ' ') == 'confirm dontroute dontwait eor more nosignal oob zerocopy ' ]]
	run -0 complete --recv-flags ''
	[[ $(sort <<<"$output" | tr '\n' ' ') == 'cmsg_cloexec dontwait trunc waitall ' ]]
	# After a comma, in the same word as the option or not; the names
	# already given are not offered again.
	run -0 complete --send-flags = more,
	[[ $(sort <<<"$output" | tr '\n' ' ') == 'more,confirm more,dontroute more,dontwait more,eor more,nosignal more,oob more,zerocopy ' ]]
	run -0 complete --send-flags more,nosignal,d
	[[ $(sort <<<"$output" | tr '\n' ' ') == 'more,nosignal,dontroute more,nosignal,dontwait ' ]]
	run -0 complete --recv-flags = MSG_WAITALL,
	[[ $(sort <<<"$output" | tr '\n' ' ') == 'MSG_WAITALL,cmsg_cloexec MSG_WAITALL,dontwait MSG_WAITALL,trunc ' ]]
}
