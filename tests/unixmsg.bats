#!/usr/bin/env bats
# UNIX message sockets: datagram (--unix-dgram, -U -u) and SEQPACKET
# (-U --seqpacket): message boundaries in every framing and both
# directions, empty messages against EOF, half-close, -v lines, -k, client
# addresses and replies, unbound senders, truncation, abstract names, the
# socket file's life cycle, and usage errors.

load helpers

# --- local helpers ----------------------------------------------------------

# bg_py NAME ARGS... : run the python peer "msgpeer.py ARGS" in the
# background (stdout in $D/NAME.log, stderr in $D/NAME.pyerr); sets PY_PID
# (tracked). Waits for its "ready" line.
bg_py() {
	local name=$1
	shift
	timeout -k 2 "$SC_TIMEOUT" python3 "$D/msgpeer.py" "$@" \
		</dev/null >"$D/$name.log" 2>"$D/$name.pyerr" 3>&- 6>&- 7>&- 8>&- &
	PY_PID=$!
	track "$PY_PID"
	wait_for "$D/$name.log" '^ready$'
}

# targs TYPE : set the array T to the sockcat options for TYPE (dgram or
# seqpacket).
targs() {
	case $1 in
	dgram) T=(--unix-dgram) ;;
	seqpacket) T=(-U --seqpacket) ;;
	*) return 1 ;;
	esac
}

# make_msg FILE SIZE FRAMING : SIZE random bytes the framing can carry (no
# newline for line, no NUL for nul).
make_msg() {
	case $3 in
	line) head -c "$2" /dev/urandom | tr '\n' 'n' >"$1" ;;
	nul) head -c "$2" /dev/urandom | tr '\0' '0' >"$1" ;;
	*) head -c "$2" /dev/urandom >"$1" ;;
	esac
	has_size "$1" "$2"
}

# frame FRAMING FILE : FILE's bytes as one message in FRAMING, as sockcat
# reads it from stdin and writes it to stdout.
frame() {
	case $1 in
	raw) cat -- "$2" ;;
	line) cat -- "$2" && printf '\n' ;;
	nul) cat -- "$2" && printf '\0' ;;
	len32) be32 "$(stat -c %s -- "$2")" && cat -- "$2" ;;
	*) return 1 ;;
	esac
}

# put FD FILE : write FILE to descriptor FD in one write(2) (so that it is
# one read, one raw message, for the reader of a pipe).
put() {
	timeout 10 dd if="$2" bs=1M count=1 status=none >&"$1"
}

# feed_paced FD OUT FILE... : write each FILE to FD in one write, then wait
# until OUT has grown by its size before the next: one stdin read each.
feed_paced() {
	local fd=$1 out=$2 f total=0
	shift 2
	[[ -e $out ]] && total=$(stat -c %s -- "$out")
	for f; do
		total=$((total + $(stat -c %s -- "$f")))
		put "$fd" "$f"
		wait_until 10 has_size "$out" "$total"
	done
}

# received_sizes ERRFILE : the sizes of the -vv "Received N bytes from"
# lines, one a line.
received_sizes() {
	sed -En 's/^Received ([0-9]+) bytes from .*/\1/p' "$1"
}

# received_at_least ERRFILE N : ERRFILE has at least N "Received" lines.
received_at_least() {
	(($(received_sizes "$1" | wc -l) >= $2))
}

# stop_server : the listener (SRV_PID) is still running, and SIGTERM to
# it (its timeout wrapper passes the signal on) ends it with status 143.
stop_server() {
	kill -0 "$SRV_PID"
	kill -TERM "$SRV_PID"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 143))
}

# stale_socket TYPE PATH : leave a UNIX socket of TYPE at PATH, nobody behind.
stale_socket() {
	python3 "$D/msgpeer.py" stale "$1" "$2" </dev/null 3>&- 7>&- 8>&-
	[[ -S $2 ]]
}

# in_proc_net_unix NAME : an abstract NAME (without @) is bound.
in_proc_net_unix() {
	grep -q -- " @$1\$" /proc/net/unix
}

not_in_proc_net_unix() {
	! in_proc_net_unix "$1"
}

# write_peer : the python peer that counts messages on its own.
write_peer() {
	cat >"$D/msgpeer.py" <<'EOF'
"""UNIX datagram / SEQPACKET peer for the sockcat tests.

  recv TYPE PATH N OUT     bind PATH (seqpacket: listen, accept one); print
                           "ready"; receive messages; append each length as
                           a line to OUT and its bytes to OUT.data. dgram: stop
                           0.3 s after the Nth; seqpacket: stop at EOF (print
                           "eof").
  client TYPE PATH N OUT   dgram: bind an automatic (abstract) name, send
                           "hello" to PATH; seqpacket: connect and shut down
                           writing; print "ready"; then receive as recv.
  send TYPE PATH FILE...   dgram: from a socket that is never bound, send each
                           FILE to PATH; seqpacket: connect, send each FILE,
                           shut down writing, wait for EOF.
  stale TYPE PATH          bind a socket at PATH and exit.
An empty SEQPACKET message is told from EOF by SO_PASSCRED credentials.
"""
import socket
import sys


def addr(p):
    return "\0" + p[1:] if p.startswith("@") else p


def sock(t, creds=True):
    s = socket.socket(socket.AF_UNIX, {"dgram": socket.SOCK_DGRAM,
                                       "seqpacket": socket.SOCK_SEQPACKET}[t])
    # (SO_PASSCRED would also bind a datagram sender to an automatic name)
    if creds:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    return s


def ready():
    print("ready", flush=True)


def receive(c, seq, n, out):
    lens = open(out, "a")
    data = open(out + ".data", "ab")
    count = 0
    while True:
        if not seq and count >= n:
            c.settimeout(0.3)
        try:
            m, anc, flags, _ = c.recvmsg(1 << 21, socket.CMSG_SPACE(64))
        except socket.timeout:
            break
        if flags & socket.MSG_TRUNC:
            sys.exit("message truncated")
        if seq and not m and not anc:
            print("eof", flush=True)
            break
        lens.write("%d\n" % len(m))
        lens.flush()
        data.write(m)
        data.flush()
        count += 1


def main():
    mode, t, path = sys.argv[1:4]
    seq = t == "seqpacket"
    s = sock(t, creds=seq or mode != "send")
    if mode == "stale":
        s.bind(addr(path))
    elif mode == "recv":
        s.bind(addr(path))
        if seq:
            s.listen(1)
            ready()
            s, _ = s.accept()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        else:
            ready()
        receive(s, seq, int(sys.argv[4]), sys.argv[5])
    elif mode == "client":
        if seq:
            s.connect(addr(path))
            s.shutdown(socket.SHUT_WR)
        else:
            s.bind("")
            s.connect(addr(path))
            s.send(b"hello")
        ready()
        receive(s, seq, int(sys.argv[4]), sys.argv[5])
    elif mode == "send":
        if seq:
            s.connect(addr(path))
        ready()
        for f in sys.argv[4:]:
            with open(f, "rb") as fh:
                m = fh.read()
            if seq:
                assert s.send(m) == len(m)
            else:
                assert s.sendto(m, addr(path)) == len(m)
        if seq:
            s.shutdown(socket.SHUT_WR)
            while True:
                m, anc, _, _ = s.recvmsg(1 << 21, socket.CMSG_SPACE(64))
                if not m and not anc:
                    break
    else:
        sys.exit("bad mode " + mode)


main()
EOF
}

setup() {
	sockdir
	P=$SOCKDIR/s
	D=$BATS_TEST_TMPDIR
	write_peer
}

# --- 1. message boundaries, sockcat to sockcat --------------------------------

# exchange TYPE FRAMING DIR SIZE : three messages of SIZE bytes, from the
# client to the listener (DIR c2l) or back (l2c), come out of the receiving
# sockcat as exactly three messages of SIZE bytes (its -vv lines), intact
# (cmp; in the framings other than raw, the boundaries are in the output).
exchange() {
	local type=$1 framing=$2 dir=$3 size=$4 i tag w p cpid
	local -a T q=()
	targs "$type"
	tag=$type-$framing-$dir-$size
	w=$D/$tag
	p=$SOCKDIR/$size
	mkdir "$w"
	[[ $type == dgram ]] && q=(-q 0)
	for i in 1 2 3; do
		make_msg "$w/m$i" "$size" "$framing"
		frame "$framing" "$w/m$i" >>"$w/expect"
	done
	printf '%s\n' "$size" "$size" "$size" >"$w/sizes"
	if [[ $dir == c2l ]]; then
		start_server "$tag-srv" -v -l "${T[@]}" --framing "$framing" "$p" 7>&- 8>&-
		# The client stays until everything has arrived (a datagram
		# listener answers its first sender, which must still be there).
		mkfifo "$w/in"
		exec 7<>"$w/in"
		bg_sc "$tag-cli" "$w/in" -vv "${q[@]}" "${T[@]}" --framing "$framing" "$p"
		cpid=$BG_PID
		if [[ $framing == raw ]]; then
			feed_paced 7 "$D/$tag-srv.out" "$w/m1" "$w/m2" "$w/m3"
		else
			timeout 10 cat "$w/expect" >&7
			wait_until 10 has_size "$D/$tag-srv.out" "$(stat -c %s "$w/expect")"
		fi
		exec 7>&-
		wait_exit "$cpid"
		((WAIT_STATUS == 0))
		if [[ $type == seqpacket ]]; then
			wait_exit "$SRV_PID"
			((WAIT_STATUS == 0))
		else
			wait_until 10 has_size "$D/$tag-srv.out" "$(stat -c %s "$w/expect")"
			wait_until 5 received_at_least "$D/$tag-srv.err" 3
			stop_server
		fi
		cmp "$w/expect" "$D/$tag-srv.out"
		received_sizes "$D/$tag-srv.err" | cmp "$w/sizes" -
		(($(count_re "$D/$tag-srv.err" '^sockcat: ') == 0))
		(($(count_re "$D/$tag-cli.err" '^sockcat: ') == 0))
	else
		mkfifo "$w/sin"
		exec 8<>"$w/sin"
		SRV_IN=$w/sin start_server "$tag-srv" -v -l "${T[@]}" --framing "$framing" "$p" 7>&- 8>&-
		if [[ $type == dgram ]]; then
			# The listener learns its peer from the client's first message.
			mkfifo "$w/cin"
			exec 7<>"$w/cin"
			bg_sc "$tag-cli" "$w/cin" -vv -q 0 "${T[@]}" --framing "$framing" "$p"
			printf hello >"$w/hello"
			frame "$framing" "$w/hello" >"$w/hello.in"
			put 7 "$w/hello.in"
			wait_for "$D/$tag-srv.err" '^Connection received on @'
		else
			bg_sc "$tag-cli" /dev/null -vv "${T[@]}" --framing "$framing" "$p"
			wait_for "$D/$tag-srv.err" "^Connection received on $p\$"
		fi
		cpid=$BG_PID
		if [[ $framing == raw ]]; then
			feed_paced 8 "$D/$tag-cli.out" "$w/m1" "$w/m2" "$w/m3"
		else
			timeout 10 cat "$w/expect" >&8
		fi
		wait_until 10 has_size "$D/$tag-cli.out" "$(stat -c %s "$w/expect")"
		if [[ $type == dgram ]]; then
			wait_until 5 received_at_least "$D/$tag-cli.err" 3
			exec 7>&-
			wait_exit "$cpid"
			((WAIT_STATUS == 0))
			stop_server
			exec 8>&-
		else
			exec 8>&-
			wait_exit "$cpid"
			((WAIT_STATUS == 0))
			wait_exit "$SRV_PID"
			((WAIT_STATUS == 0))
		fi
		cmp "$w/expect" "$D/$tag-cli.out"
		received_sizes "$D/$tag-cli.err" | cmp "$w/sizes" -
		(($(count_re "$D/$tag-srv.err" '^sockcat: ') == 0))
		(($(count_re "$D/$tag-cli.err" '^sockcat: ') == 0))
	fi
}

# boundaries TYPE FRAMING DIR : exchange for every size the framing can
# express (raw cannot send an empty message).
boundaries() {
	local size
	local -a sizes=(0 1 1400 65507)
	[[ $2 == raw ]] && sizes=(1 1400 65507)
	for size in "${sizes[@]}"; do
		exchange "$1" "$2" "$3" "$size"
	done
}

@test "unix-dgram raw: 3 messages of 1/1400/65507 bytes, client to listener, stay 3" {
	boundaries dgram raw c2l
}

@test "unix-dgram raw: 3 messages of 1/1400/65507 bytes, listener to client, stay 3" {
	boundaries dgram raw l2c
}

@test "unix-dgram line: 3 messages of 0/1/1400/65507 bytes, client to listener, stay 3" {
	boundaries dgram line c2l
}

@test "unix-dgram line: 3 messages of 0/1/1400/65507 bytes, listener to client, stay 3" {
	boundaries dgram line l2c
}

@test "unix-dgram nul: 3 messages of 0/1/1400/65507 bytes, client to listener, stay 3" {
	boundaries dgram nul c2l
}

@test "unix-dgram nul: 3 messages of 0/1/1400/65507 bytes, listener to client, stay 3" {
	boundaries dgram nul l2c
}

@test "unix-dgram len32: 3 messages of 0/1/1400/65507 bytes, client to listener, stay 3" {
	boundaries dgram len32 c2l
}

@test "unix-dgram len32: 3 messages of 0/1/1400/65507 bytes, listener to client, stay 3" {
	boundaries dgram len32 l2c
}

@test "seqpacket raw: 3 messages of 1/1400/65507 bytes, client to listener, stay 3" {
	boundaries seqpacket raw c2l
}

@test "seqpacket raw: 3 messages of 1/1400/65507 bytes, listener to client, stay 3" {
	boundaries seqpacket raw l2c
}

@test "seqpacket line: 3 messages of 0/1/1400/65507 bytes, client to listener, stay 3" {
	boundaries seqpacket line c2l
}

@test "seqpacket line: 3 messages of 0/1/1400/65507 bytes, listener to client, stay 3" {
	boundaries seqpacket line l2c
}

@test "seqpacket nul: 3 messages of 0/1/1400/65507 bytes, client to listener, stay 3" {
	boundaries seqpacket nul c2l
}

@test "seqpacket nul: 3 messages of 0/1/1400/65507 bytes, listener to client, stay 3" {
	boundaries seqpacket nul l2c
}

@test "seqpacket len32: 3 messages of 0/1/1400/65507 bytes, client to listener, stay 3" {
	boundaries seqpacket len32 c2l
}

@test "seqpacket len32: 3 messages of 0/1/1400/65507 bytes, listener to client, stay 3" {
	boundaries seqpacket len32 l2c
}

# --- 1b. raw boundaries counted by an independent python peer -----------------

# raw_to_python TYPE ROLE : sockcat as ROLE (client or listener) sends three
# raw messages of 1, 1400 and 65507 bytes, one stdin read each; a python
# peer receives exactly three messages of those lengths, intact.
raw_to_python() {
	local type=$1 role=$2 f cpid
	local -a T q=()
	targs "$type"
	[[ $type == dgram ]] && q=(-q 0)
	for f in 1 1400 65507; do
		make_msg "$D/m$f" "$f" raw
	done
	cat "$D/m1" "$D/m1400" "$D/m65507" >"$D/expect"
	printf '%s\n' 1 1400 65507 >"$D/lens"
	if [[ $role == client ]]; then
		bg_py py recv "$type" "$P" 3 "$D/got"
		mkfifo "$D/in"
		exec 7<>"$D/in"
		bg_sc cli "$D/in" "${q[@]}" "${T[@]}" "$P"
		cpid=$BG_PID
		feed_paced 7 "$D/got.data" "$D/m1" "$D/m1400" "$D/m65507"
		exec 7>&-
		wait_exit "$cpid"
		((WAIT_STATUS == 0))
		wait_exit "$PY_PID"
		((WAIT_STATUS == 0))
	else
		mkfifo "$D/sin"
		exec 8<>"$D/sin"
		SRV_IN=$D/sin start_server srv -l "${T[@]}" "$P" 7>&- 8>&-
		bg_py py client "$type" "$P" 3 "$D/got"
		wait_for "$D/srv.err" '^Connection received on '
		feed_paced 8 "$D/got.data" "$D/m1" "$D/m1400" "$D/m65507"
		if [[ $type == dgram ]]; then
			wait_exit "$PY_PID"
			((WAIT_STATUS == 0))
			stop_server
		else
			exec 8>&-
			wait_exit "$PY_PID"
			((WAIT_STATUS == 0))
			wait_exit "$SRV_PID"
			((WAIT_STATUS == 0))
		fi
	fi
	[[ ! -s $D/py.pyerr ]]
	cmp "$D/lens" "$D/got"
	cmp "$D/expect" "$D/got.data"
	if [[ $type == seqpacket ]]; then
		grep -qx eof "$D/py.log"
	fi
}

@test "unix-dgram raw: python receiver counts 3 datagrams from a sockcat client" {
	raw_to_python dgram client
}

@test "unix-dgram raw: python client counts 3 datagrams from a sockcat listener" {
	raw_to_python dgram listener
}

@test "seqpacket raw: python listener counts 3 messages from a sockcat client, then EOF" {
	raw_to_python seqpacket client
}

@test "seqpacket raw: python client counts 3 messages from a sockcat listener, then EOF" {
	raw_to_python seqpacket listener
}

# --- 2. SEQPACKET specifics ---------------------------------------------------

@test "seqpacket: 3 empty len32 messages then EOF give exactly 3 empty frames, exit 0" {
	head -c 12 /dev/zero >"$D/three"
	start_server srv -v -l -U --seqpacket --framing len32 "$P"
	run -0 sc -U --seqpacket --framing len32 "$P" <"$D/three"
	[[ -z $output ]]
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/three" "$D/srv.out"
	printf '0\n0\n0\n' >"$D/sizes"
	received_sizes "$D/srv.err" | cmp "$D/sizes" -
	grep -qx 'EOF from peer; stdout closed' "$D/srv.err"
}

@test "seqpacket: python counts the 3 empty messages sockcat sends, then its EOF" {
	head -c 12 /dev/zero >"$D/three"
	bg_py py recv seqpacket "$P" 3 "$D/got"
	run -0 sc -U --seqpacket --framing len32 "$P" <"$D/three"
	wait_exit "$PY_PID"
	((WAIT_STATUS == 0))
	printf '0\n0\n0\n' >"$D/lens"
	cmp "$D/lens" "$D/got"
	grep -qx eof "$D/py.log"
}

@test "seqpacket: 3 empty messages and EOF from python give 3 empty frames, exit 0" {
	: >"$D/empty"
	head -c 12 /dev/zero >"$D/three"
	start_server srv -l -U --seqpacket --framing len32 "$P"
	run -0 timeout -k 2 20 python3 "$D/msgpeer.py" send seqpacket "$P" \
		"$D/empty" "$D/empty" "$D/empty"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/three" "$D/srv.out"
}

@test "seqpacket: half-close: the listener replies after the client's EOF" {
	local cpid
	printf 'q1\nquestion two\n' >"$D/req"
	printf 'r1\nreply two\n' >"$D/resp"
	mkfifo "$D/sin"
	exec 8<>"$D/sin"
	SRV_IN=$D/sin start_server srv -v -v -l -U --seqpacket --framing line "$P" 8>&-
	bg_sc cli "$D/req" -U --seqpacket --framing line "$P"
	cpid=$BG_PID
	# The client's messages and its EOF arrive while the listener is silent.
	wait_for "$D/srv.err" '^EOF from peer; stdout closed$'
	cmp "$D/req" "$D/srv.out"
	kill -0 "$cpid"
	timeout 10 cat "$D/resp" >&8
	exec 8>&-
	wait_exit "$cpid"
	((WAIT_STATUS == 0))
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/resp" "$D/cli.out"
	[[ ! -s $D/cli.err ]]
}

@test "seqpacket: -v lines on the listener and the client" {
	unix_v_lines "$P" --seqpacket
}

@test "seqpacket: -k serves two clients in turn, messages kept" {
	printf 'a1\n\na3\n' >"$D/one"
	printf 'b1\n' >"$D/two"
	cat "$D/one" "$D/two" >"$D/both"
	start_server srv -k -l -U --seqpacket --framing line "$P"
	run -0 sc -U --seqpacket --framing line "$P" <"$D/one"
	wait_until 10 has_size "$D/srv.out" "$(stat -c %s "$D/one")"
	[[ -S $P ]]
	run -0 sc -U --seqpacket --framing line "$P" <"$D/two"
	wait_until 10 has_size "$D/srv.out" "$(stat -c %s "$D/both")"
	cmp "$D/both" "$D/srv.out"
	(($(count_re "$D/srv.err" "^Connection received on $P\$") == 2))
	stop_server
	[[ ! -e $P ]]
}

# --- 3. UNIX datagram client addresses and replies ----------------------------

# ping_pong SERVER CLIENT_ARGS... : a datagram listener on SERVER (started
# here, -v, line framing, stdin held on fd 8) hears "ping from a client"
# from a client (CLIENT_ARGS, stdin held on fd 7) and answers "pong"; the
# client prints it. Sets PEER to the address the listener reported and
# CLI_PID to the client, still running with its stdin open.
ping_pong() {
	local server=$1
	shift
	printf 'ping from a client\n' >"$D/ping"
	printf 'pong\n' >"$D/pong"
	mkfifo "$D/sin" "$D/cin"
	exec 8<>"$D/sin" 7<>"$D/cin"
	SRV_IN=$D/sin start_server srv -l --unix-dgram --framing line "$server" 7>&- 8>&-
	bg_sc cli "$D/cin" -q 0 --unix-dgram --framing line "$@" "$server"
	CLI_PID=$BG_PID
	put 7 "$D/ping"
	# (fails at once if the listener complains instead)
	wait_for "$D/srv.err" '^(Connection received on |sockcat: )'
	PEER=$(sed -n 's/^Connection received on //p' "$D/srv.err")
	[[ -n $PEER ]]
	wait_until 10 has_size "$D/srv.out" "$(stat -c %s "$D/ping")"
	cmp "$D/ping" "$D/srv.out"
	put 8 "$D/pong"
	wait_until 10 has_size "$D/cli.out" "$(stat -c %s "$D/pong")"
	cmp "$D/pong" "$D/cli.out"
}

@test "unix-dgram: a client without -s gets replies via an abstract name, gone at exit" {
	has_feature abstract-unix || skip "abstract UNIX sockets (feature abstract-unix) not built in"
	ping_pong "$P"
	[[ $PEER == @?* ]]
	# The name is the client's, bound while it runs.
	in_proc_net_unix "${PEER#@}"
	exec 7>&-
	wait_exit "$CLI_PID"
	((WAIT_STATUS == 0))
	wait_until 10 not_in_proc_net_unix "${PEER#@}"
	[[ ! -s $D/cli.err ]]
	# No file was left for the client anywhere.
	run -0 find "$SOCKDIR" -mindepth 1 ! -path "$P"
	[[ -z $output ]]
}

@test "unix-dgram: a client with -s PATH is bound to PATH, removed at exit" {
	ping_pong "$P" -s "$SOCKDIR/c"
	[[ $PEER == "$SOCKDIR/c" ]]
	[[ -S $SOCKDIR/c ]]
	exec 7>&-
	wait_exit "$CLI_PID"
	((WAIT_STATUS == 0))
	[[ ! -e $SOCKDIR/c ]]
	[[ ! -s $D/cli.err ]]
}

@test "unix-dgram: a client with -s @name is bound to that abstract name" {
	has_feature abstract-unix || skip "abstract UNIX sockets (feature abstract-unix) not built in"
	local name=sockcat-test-$$-$BATS_TEST_NUMBER-$RANDOM
	ping_pong "$P" -s "@$name"
	[[ $PEER == "@$name" ]]
	in_proc_net_unix "$name"
	exec 7>&-
	wait_exit "$CLI_PID"
	((WAIT_STATUS == 0))
	wait_until 10 not_in_proc_net_unix "$name"
	(($(count_re "$D/srv.err" 'unbound') == 0))
}

# --- 4. unbound senders ---------------------------------------------------------

@test "unix-dgram: messages from an unbound sender arrive, one warning" {
	printf 'first' >"$D/a"
	printf 'second message' >"$D/b"
	printf 'first\nsecond message\n' >"$D/expect"
	start_server srv -l --unix-dgram --framing line "$P"
	run -0 timeout -k 2 20 python3 "$D/msgpeer.py" send dgram "$P" "$D/a" "$D/b"
	wait_until 10 has_size "$D/srv.out" "$(stat -c %s "$D/expect")"
	cmp "$D/expect" "$D/srv.out"
	stop_server
	(($(count_re "$D/srv.err" '^sockcat: messages from an unbound UNIX socket cannot be answered$') == 1))
	(($(count_re "$D/srv.err" '^sockcat: ') == 1))
}

# --- 5. truncation ---------------------------------------------------------------

# send_big : a sockcat client sends $D/big.in (one len32 frame) to $P as one
# datagram, and stays (stdin held on fd 7) so that the listener can answer
# it; close_big ends it (exit 0).
send_big() {
	mkfifo "$D/in"
	exec 7<>"$D/in"
	bg_sc cli "$D/in" -q 0 --unix-dgram --framing len32 "$P"
	CLI_PID=$BG_PID
	timeout 10 cat "$D/big.in" >&7
}

close_big() {
	exec 7>&-
	wait_exit "$CLI_PID"
	((WAIT_STATUS == 0))
	[[ ! -s $D/cli.err ]]
}

@test "unix-dgram: a 100000-byte datagram is cut to --recv-size 65536, with a warning" {
	make_payload "$D/big" 100000
	{ be32 100000 && cat "$D/big"; } >"$D/big.in"
	head -c 65536 "$D/big" >"$D/expect"
	start_server srv -l --unix-dgram "$P"
	send_big
	wait_for "$D/srv.err" 'truncated'
	wait_until 10 has_size "$D/srv.out" 65536
	close_big
	stop_server
	cmp "$D/expect" "$D/srv.out"
	PEER=$(sed -n 's/^Connection received on //p' "$D/srv.err")
	[[ -n $PEER ]]
	(($(count_re "$D/srv.err" '^sockcat: ') == 1))
	grep -qxF "sockcat: message from $PEER truncated: 100000 bytes, receive buffer 65536 (--recv-size)" "$D/srv.err"
}

@test "unix-dgram: a 100000-byte datagram arrives whole with --recv-size 200000" {
	make_payload "$D/big" 100000
	{ be32 100000 && cat "$D/big"; } >"$D/big.in"
	start_server srv -v -l --unix-dgram --recv-size 200000 "$P"
	send_big
	wait_until 10 has_size "$D/srv.out" 100000
	wait_for "$D/srv.err" '^Received '
	close_big
	stop_server
	cmp "$D/big" "$D/srv.out"
	[[ $(received_sizes "$D/srv.err") == 100000 ]]
	(($(count_re "$D/srv.err" '^sockcat: ') == 0))
}

# --- 6. abstract names ------------------------------------------------------------

@test "unix-dgram: abstract @name listener and a client, no file created" {
	has_feature abstract-unix || skip "abstract UNIX sockets (feature abstract-unix) not built in"
	local name=sockcat-test-$$-$BATS_TEST_NUMBER-$RANDOM
	cd "$D"
	ping_pong "@$name"
	grep -qx "Bound on @$name" "$D/srv.err"
	in_proc_net_unix "$name"
	exec 7>&-
	wait_exit "$CLI_PID"
	((WAIT_STATUS == 0))
	stop_server
	run -1 in_proc_net_unix "$name"
	run -0 find "$D" /tmp "$SOCKDIR" -maxdepth 1 -name "*$name*"
	[[ -z $output ]]
}

@test "seqpacket: abstract @name listener and a client, no file created" {
	has_feature abstract-unix || skip "abstract UNIX sockets (feature abstract-unix) not built in"
	local name=sockcat-test-$$-$BATS_TEST_NUMBER-$RANDOM
	cd "$D"
	printf 'up one\n\nup three\n' >"$D/up"
	printf 'down\n' >"$D/down"
	SRV_IN=$D/down start_server srv -l -U --seqpacket --framing line "@$name"
	grep -qx "Listening on @$name" "$D/srv.err"
	in_proc_net_unix "$name"
	run -0 --separate-stderr sc_out "$D/cli.out" -v -U --seqpacket --framing line "@$name" <"$D/up"
	[[ ${stderr_lines[0]} == "Connection to @$name succeeded!" ]]
	[[ ${stderr_lines[1]} =~ ^Peer\ credentials:\ pid\ [0-9]+, ]]
	cmp "$D/down" "$D/cli.out"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cmp "$D/up" "$D/srv.out"
	run -1 in_proc_net_unix "$name"
	run -0 find "$D" /tmp "$SOCKDIR" -maxdepth 1 -name "*$name*"
	[[ -z $output ]]
}

# --- 7. the datagram socket file --------------------------------------------------

@test "unix-dgram: SIGTERM removes the listener's socket path, status 143" {
	start_server srv -l --unix-dgram "$P"
	grep -qx "Bound on $P" "$D/srv.err"
	[[ -S $P ]]
	kill -TERM "$(sc_child "$SRV_PID")"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 143))
	[[ ! -e $P ]]
}

@test "unix-dgram: --keep-socket leaves the listener's socket file after SIGTERM" {
	start_server srv --keep-socket -l --unix-dgram "$P"
	[[ -S $P ]]
	kill -TERM "$(sc_child "$SRV_PID")"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 143))
	[[ -S $P ]]
}

@test "unix-dgram: a stale datagram socket file at the path is replaced" {
	stale_socket dgram "$P"
	ping_pong "$P"
	grep -qx "Bound on $P" "$D/srv.err"
	exec 7>&-
	wait_exit "$CLI_PID"
	((WAIT_STATUS == 0))
}

@test "unix-dgram: a live datagram listener's path is refused; the first keeps working" {
	mkfifo "$D/sin" "$D/cin"
	exec 8<>"$D/sin" 7<>"$D/cin"
	printf 'ping\n' >"$D/ping"
	printf 'pong\n' >"$D/pong"
	SRV_IN=$D/sin start_server srv -l --unix-dgram --framing line "$P" 7>&- 8>&-
	run -1 --separate-stderr sc -l --unix-dgram "$P" </dev/null 7>&- 8>&-
	[[ -z $output ]]
	((${#stderr_lines[@]} == 1))
	[[ ${stderr_lines[0]} == "sockcat: listen on $P: a server is listening there already" ]]
	[[ -S $P ]]
	kill -0 "$SRV_PID"
	bg_sc cli "$D/cin" -q 0 --unix-dgram --framing line "$P"
	put 7 "$D/ping"
	wait_until 10 has_size "$D/srv.out" 5
	cmp "$D/ping" "$D/srv.out"
	wait_for "$D/srv.err" '^Connection received on '
	put 8 "$D/pong"
	wait_until 10 has_size "$D/cli.out" 5
	cmp "$D/pong" "$D/cli.out"
	exec 7>&-
	wait_exit "$BG_PID"
	((WAIT_STATUS == 0))
}

# --- 8. datagram listener -k: each client gets its own reply ---------------------

@test "unix-dgram: -k listener answers two auto-bound clients, each its own reply" {
	has_feature abstract-unix || skip "abstract UNIX sockets (feature abstract-unix) not built in"
	local apid bpid a b
	mkfifo "$D/sin" "$D/ain" "$D/bin"
	exec 8<>"$D/sin" 7<>"$D/ain" 6<>"$D/bin"
	printf 'from a\n' >"$D/pa"
	printf 'from b\n' >"$D/pb"
	printf 'reply a\n' >"$D/ra"
	printf 'reply b\n' >"$D/rb"
	SRV_IN=$D/sin start_server srv -k -l --unix-dgram --framing line "$P" 6>&- 7>&- 8>&-
	bg_sc a "$D/ain" -q 0 --unix-dgram --framing line "$P" 6>&-
	apid=$BG_PID
	bg_sc b "$D/bin" -q 0 --unix-dgram --framing line "$P" 6>&-
	bpid=$BG_PID
	put 7 "$D/pa"
	wait_for "$D/srv.err" '^Connection received on @'
	a=$(sed -n 's/^Connection received on //p' "$D/srv.err")
	put 8 "$D/ra"
	wait_until 10 has_size "$D/a.out" "$(stat -c %s "$D/ra")"
	put 6 "$D/pb"
	wait_until 10 has_count "$D/srv.err" '^Connection received on @' 2
	b=$(sed -n 's/^Connection received on //p' "$D/srv.err" | sed -n 2p)
	[[ $a != "$b" ]]
	put 8 "$D/rb"
	wait_until 10 has_size "$D/b.out" "$(stat -c %s "$D/rb")"
	exec 6>&- 7>&-
	wait_exit "$apid"
	((WAIT_STATUS == 0))
	wait_exit "$bpid"
	((WAIT_STATUS == 0))
	cmp "$D/ra" "$D/a.out"
	cmp "$D/rb" "$D/b.out"
	cat "$D/pa" "$D/pb" >"$D/expect"
	cmp "$D/expect" "$D/srv.out"
	stop_server
	[[ ! -e $P ]]
}

@test "unix-dgram -k: at 65536 peers, the one heard from least recently makes room" {
	has_feature abstract-unix || skip "abstract UNIX sockets (feature abstract-unix) not built in"
	local tag=sc-lru-$$-$RANDOM
	cat >"$D/senders.py" <<'EOF2'
# senders.py PATH TAG OUT: one message "N" from each of the abstract names
# TAG-N, in the order below; every message also goes to OUT, a line each.
import socket, sys
path, tag, out = sys.argv[1], sys.argv[2], open(sys.argv[3], "w")
def send(i):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0%s-%d" % (tag, i))
    s.sendto(b"%d" % i, path)
    s.close()
    out.write("%d\n" % i)
# 65536 peers fill the table; 1 speaks again; 65537 is new: 2, now the
# least recent, makes room; 2 speaks again: new again, 3 makes room; 1
# speaks again: still known
for i in list(range(1, 65537)) + [1, 65537, 2, 1]:
    send(i)
EOF2
	SC_TIMEOUT=120 start_server srv -k -l --unix-dgram --framing line "$P"
	timeout 120 python3 "$D/senders.py" "$P" "$tag" "$D/expect"
	wait_until 60 has_size "$D/srv.out" "$(stat -c %s "$D/expect")"
	cmp "$D/expect" "$D/srv.out"
	assert_equal "$(count_re "$D/srv.err" "^Connection received on @$tag-1\$")" 1
	assert_equal "$(count_re "$D/srv.err" "^Connection received on @$tag-2\$")" 2
	assert_equal "$(count_re "$D/srv.err" "^Connection received on @$tag-3\$")" 1
	assert_equal "$(count_re "$D/srv.err" "^Connection received on @$tag-65537\$")" 1
	assert_equal "$(count_re "$D/srv.err" '^Connection received on ')" 65538
	stop_server
}

# --- 9. usage errors ----------------------------------------------------------------

# usage_error REGEX ARGS... : "sockcat ARGS" is a usage error (usage_row,
# checked at once) and made no file in the socket directory.
usage_error() {
	ROW_LINE=${BASH_LINENO[0]} usage_row "$@"
	rows_done
	run -0 find "$SOCKDIR" -mindepth 1
	[[ -z $output ]]
}

@test "usage: -s PATH with a SEQPACKET client" {
	usage_error '-s' -s "$SOCKDIR/c" -U --seqpacket "$P"
}

@test "usage: -s with -l --unix-dgram" {
	usage_error '-s' -l --unix-dgram -s "$SOCKDIR/c" "$P"
	usage_error '-s' -l -U -u -s "$P" "$P"
}

@test "usage: --seqpacket with -u" {
	usage_error '--seqpacket' --seqpacket -U -u "$P"
	usage_error '--seqpacket' --seqpacket --unix-dgram "$P"
	usage_error '--seqpacket' -l --seqpacket --unix-dgram "$P"
}

@test "usage: --framing and --recv-size on a UNIX stream socket" {
	usage_error '--framing' --framing line -U "$P"
	usage_error '--framing' -l --framing len32 -U "$P"
	usage_error '--recv-size' --recv-size 100 -U "$P"
}

@test "usage: a 200-byte path for --unix-dgram (listen, connect)" {
	local long=$SOCKDIR/
	long+=$(printf '%*s' $((200 - ${#long})) '' | tr ' ' x)
	((${#long} == 200))
	usage_error 'too long' -l --unix-dgram "$long"
	usage_error 'too long' --unix-dgram "$long"
	usage_error 'too long' -l -U --seqpacket "$long"
}

@test "usage: a 200-byte -s path for a --unix-dgram client" {
	local long=$SOCKDIR/
	long+=$(printf '%*s' $((200 - ${#long})) '' | tr ' ' x)
	((${#long} == 200))
	usage_error 'too long' --unix-dgram -s "$long" "$P"
}
