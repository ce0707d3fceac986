#!/usr/bin/env bats
# Concurrent servers (-l -k): --echo under load for every transport, flow
# control against stopped clients, the stdio handler with many clients,
# --broker and --chat, --max-conns, --allow/--deny, per-connection
# --idle-timeout, --accept-timeout, resets, running out of descriptors,
# socket activation (LISTEN_FDS, --listen-fd) and leaks over many
# connections. Exec and forward handlers have files of their own.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
}

# --- local helpers ----------------------------------------------------------
# The tests hold FIFOs open on descriptors 7, 8 and 9; no background job
# may inherit them (a FIFO held by a job never gets its end of file).

# serve NAME IN ARGS... : start_server with stdin from IN, without 7-9.
serve() {
	local name=$1 in=$2
	shift 2
	SRV_IN=$in start_server "$name" "$@" 7>&- 8>&- 9>&-
}

# gate_open : a gate FIFO ($D/gate) the test holds open on fd 9; gated
# clients get their end of file only when gate_release closes it.
gate_open() {
	mkfifo "$D/gate"
	exec 9<>"$D/gate"
}

gate_release() {
	exec 9>&-
}

# gated_sc NAME DATA ARGS... : "sockcat ARGS" in the background, fed the
# file DATA and then nothing until the gate is released: only then does
# its stdin end. The gate is opened before DATA is sent, so no client can
# miss the release. Output in $D/NAME.{out,err}; the pid is appended to
# GATED (and tracked).
gated_sc() {
	local name=$1 data=$2
	shift 2
	{ exec 5<"$D/gate"; cat "$data"; cat <&5; } 3>&- 7>&- 8>&- 9>&- |
		timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@" \
			>"$D/$name.out" 2>"$D/$name.err" 3>&- 7>&- 8>&- 9>&- &
	track $!
	GATED+=("$!")
}

# wait_gated : every gated client exits 0.
wait_gated() {
	local pid bad=0
	for pid in "${GATED[@]}"; do
		wait_exit "$pid" 30 || return 1
		if ((WAIT_STATUS != 0)); then
			echo "# client pid $pid exited $WAIT_STATUS" >&3
			bad=1
		fi
	done
	return "$bad"
}

# all_sizes SIZE FILE... : every FILE holds exactly SIZE bytes.
all_sizes() {
	local size=$1 f
	shift
	for f in "$@"; do
		has_size "$f" "$size" || return 1
	done
}

# srv_proc : the pid of the server's sockcat process (under timeout).
srv_proc() {
	local p
	p=$(sc_child "$SRV_PID")
	if [[ -z $p ]]; then
		echo "# no sockcat process under $SRV_PID" >&3
		return 1
	fi
	echo "$p"
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# proc_state PID : the one-letter state of PID (R, S, T, Z...).
proc_state() {
	sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat"
}

# admitted HOST PORT [ARGS...] : a client (ARGS, e.g. -s 127.0.0.2) of the
# echo server at HOST PORT gets "ping" back.
admitted() {
	local host=$1 port=$2
	shift 2
	run -0 --separate-stderr sc "$@" "$host" "$port" <<<"ping"
	assert_output ping
}

# refused HOST PORT [ARGS...] : the client is closed without a byte. With
# -d it sends nothing (no data, no end of file), so a refused client gets
# an end of file at once and exits 0 with no output, where an admitted
# client of an echo server would wait for its timeout (status 124).
refused() {
	local host=$1 port=$2
	shift 2
	SC_TIMEOUT=5 run -0 --separate-stderr sc -d "$@" "$host" "$port" </dev/null
	assert_output ''
}

# --- --echo under load ------------------------------------------------------

# echo_50 NAME SIZE ARGS... : 50 clients "sockcat ARGS", each with its own
# SIZE random bytes, connected all at once to an echo server; every client
# is echoed its whole payload while all 50 are still connected, then all
# get their end of file and each has exactly its own data back.
echo_50() {
	local name=$1 size=$2 i outs=()
	shift 2
	gate_open
	for i in $(seq 50); do
		make_payload "$D/$name.in$i" "$size"
	done
	for i in $(seq 50); do
		gated_sc "$name$i" "$D/$name.in$i" "$@"
		outs+=("$D/$name$i.out")
	done
	wait_until 30 all_sizes "$size" "${outs[@]}"
	# all 50 served at the same time: none has ended yet
	assert_equal "$(count_re "$D/srv.err" '^Connection received on ')" 50
	assert_equal "$(count_re "$D/srv.err" '^Connection closed on ')" 0
	gate_release
	wait_gated
	for i in $(seq 50); do
		cmp "$D/$name.in$i" "$D/$name$i.out"
	done
	wait_until 10 has_count "$D/srv.err" '^Connection closed on ' 50
}

@test "--echo over TCP: 50 concurrent clients each get exactly their own 200 KB back" {
	serve srv /dev/null -l -k --echo 127.0.0.1 0
	echo_50 tcp 200000 127.0.0.1 "$SRV_PORT"
	kill -0 "$SRV_PID"
}

@test "--echo over UNIX stream: 50 concurrent clients each get exactly their own 200 KB back" {
	sockdir
	serve srv /dev/null -l -k --echo -U "$SOCKDIR/s"
	echo_50 unix 200000 -U "$SOCKDIR/s"
	kill -0 "$SRV_PID"
}

@test "--echo over UNIX SEQPACKET: 50 concurrent clients get their own messages back, boundaries kept" {
	local i
	sockdir
	serve srv /dev/null -l -k --echo -U --seqpacket "$SOCKDIR/s"
	gate_open
	# for each client 22 messages of its own sizes, 1 to 65536 bytes (the
	# default --recv-size), each with its length in front (len32)
	python3 - "$D" <<'EOF'
import os, random, struct, sys
for i in range(1, 51):
    with open(os.path.join(sys.argv[1], "m.in%d" % i), "wb") as f:
        for n in [1, 65536] + [random.randint(1, 16384) for _ in range(20)]:
            f.write(struct.pack(">I", n) + os.urandom(n))
EOF
	for i in $(seq 50); do
		gated_sc "m$i" "$D/m.in$i" -U --seqpacket --framing len32 "$SOCKDIR/s"
	done
	for i in $(seq 50); do
		wait_until 30 has_size "$D/m$i.out" "$(stat -c %s "$D/m.in$i")"
	done
	assert_equal "$(count_re "$D/srv.err" '^Connection received on ')" 50
	assert_equal "$(count_re "$D/srv.err" '^Connection closed on ')" 0
	gate_release
	wait_gated
	for i in $(seq 50); do
		cmp "$D/m.in$i" "$D/m$i.out"
	done
}

@test "--echo over UNIX SEQPACKET: an empty message is echoed as an empty message" {
	sockdir
	serve srv /dev/null -vv -l -k --echo -U --seqpacket "$SOCKDIR/s"
	len32_frames "$D/in" "$D/raw" 5 0 7 0 3
	run -0 io "$D/in" "$D/out" sc -U --seqpacket --framing len32 "$SOCKDIR/s"
	wait_for "$D/srv.err" '^Received 0 bytes from '
	cmp "$D/in" "$D/out"
}

@test "--echo over UNIX datagrams -k: a client that reads only after sending 60 messages gets all 60 back" {
	sockdir
	serve srv /dev/null -l -k --unix-dgram --echo "$SOCKDIR/s"
	cat >"$D/late.py" <<'EOF'
# late.py PATH OUT: send 60 messages of 1 to 60 random bytes without
# reading (the server's echoes fill our receive queue, of
# net.unix.max_dgram_qlen messages: its sends must wait and retry), then
# read until all 60 are back; write sent and received, a line of hex
# each, to OUT.sent and OUT.got. 60: what the server holds meanwhile
# stays within the 64 messages a sender's queue takes before it drops.
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0sc-late-%d" % os.getpid())
msgs = [os.urandom(i) for i in range(1, 61)]
for m in msgs:
    s.sendto(m, sys.argv[1])
s.settimeout(20)
got = [s.recv(1000) for _ in msgs]
with open(sys.argv[2] + ".sent", "w") as f:
    f.writelines(m.hex() + "\n" for m in msgs)
with open(sys.argv[2] + ".got", "w") as f:
    f.writelines(m.hex() + "\n" for m in got)
EOF
	run -0 timeout 60 python3 "$D/late.py" "$SOCKDIR/s" "$D/late"
	cmp "$D/late.sent" "$D/late.got"
}

@test "--echo over UDP -k: a burst of 60 datagrams read at once is echoed whole, though the sender then waits" {
	serve srv /dev/null -l -k -u --echo 127.0.0.1 0
	cat >"$D/burst.py" <<'EOF'
# burst.py PORT OUT: send 60 datagrams of 1 to 60 random bytes at once,
# make OUT.sent (a line of hex each), then read until all 60 are back
# (no more sends to kick the server) and write them to OUT.got.
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.connect(("127.0.0.1", int(sys.argv[1])))
msgs = [os.urandom(i) for i in range(1, 61)]
for m in msgs:
    s.send(m)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.writelines(m.hex() + "\n" for m in msgs)
os.rename(sys.argv[2] + ".tmp", sys.argv[2] + ".sent")
s.settimeout(20)
got = [s.recv(1000) for _ in msgs]
with open(sys.argv[2] + ".got", "w") as f:
    f.writelines(m.hex() + "\n" for m in got)
EOF
	local spid pid
	spid=$(srv_proc)
	# stopped, the server finds all 60 waiting when it goes on
	kill -STOP "$spid"
	timeout 60 python3 "$D/burst.py" "$SRV_PORT" "$D/burst" 7>&- 8>&- 9>&- &
	pid=$!
	track "$pid"
	wait_exists "$D/burst.sent"
	kill -CONT "$spid"
	wait_exit "$pid"
	((WAIT_STATUS == 0))
	cmp "$D/burst.sent" "$D/burst.got"
}

@test "--echo over UDP -k: 50 concurrent clients each get their own datagrams back" {
	local i
	serve srv /dev/null -l -k -u --echo 127.0.0.1 0
	gate_open
	# 6 lines (datagrams) of 200 random characters for each client (few:
	# 300 datagrams at once fill no receive buffer)
	python3 - "$D" <<'EOF'
import base64, os, sys
for i in range(1, 51):
    with open(os.path.join(sys.argv[1], "u.in%d" % i), "wb") as f:
        for j in range(1, 7):
            f.write(b"client %d message %d %s\n" % (i, j, base64.b64encode(os.urandom(150))))
EOF
	for i in $(seq 50); do
		# -w: how long to wait idle (at the gate); -q: end soon after EOF
		gated_sc "u$i" "$D/u.in$i" -u -w 5 -q 300ms --framing line \
			127.0.0.1 "$SRV_PORT"
	done
	for i in $(seq 50); do
		wait_until 30 has_size "$D/u$i.out" "$(stat -c %s "$D/u.in$i")"
	done
	assert_equal "$(count_re "$D/srv.err" '^Connection received on 127\.0\.0\.1 [0-9]+$')" 50
	gate_release
	wait_gated
	for i in $(seq 50); do
		cmp "$D/u.in$i" "$D/u$i.out"
	done
}

@test "--echo: a stopped client that does not read stalls nobody, and the server stops reading it" {
	local i py pushed total=$((48 * 1024 * 1024)) pids=() spid
	serve srv /dev/null -l -k --echo 127.0.0.1 0
	spid=$(srv_proc)
	cat >"$D/push.py" <<'EOF'
# push.py PORT TOTAL STATE GO: with a small receive buffer, send TOTAL random
# bytes without reading until the server takes no more for 0.5 s; write
# "PID SENT" to STATE; wait for the file GO; then send the rest and read
# everything back, checking it.
import hashlib, os, select, selectors, socket, sys, time
port, total, state, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
data = os.urandom(total)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect(("127.0.0.1", port))
s.setblocking(False)
sent = 0
while sent < total:
    try:
        sent += s.send(data[sent:sent + 1048576])
        continue
    except BlockingIOError:
        pass
    if not select.select([], [s], [], 0.5)[1]:
        break
with open(state + ".tmp", "w") as f:
    f.write("%d %d\n" % (os.getpid(), sent))
os.rename(state + ".tmp", state)
deadline = time.monotonic() + 20
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("no go")
    time.sleep(0.02)
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
got = hashlib.sha256()
nrecv = 0
while True:
    if time.monotonic() > deadline:
        sys.exit("timeout: sent %d, received %d" % (sent, nrecv))
    for key, ev in sel.select(1):
        if ev & selectors.EVENT_READ:
            d = s.recv(1048576)
            if not d:
                if nrecv != total or got.digest() != hashlib.sha256(data).digest():
                    sys.exit("echo differs: %d of %d bytes" % (nrecv, total))
                sys.exit(0)
            got.update(d)
            nrecv += len(d)
        if ev & selectors.EVENT_WRITE:
            if sent < total:
                try:
                    sent += s.send(data[sent:sent + 1048576])
                except BlockingIOError:
                    pass
            if sent == total:
                s.shutdown(socket.SHUT_WR)
                sel.modify(s, selectors.EVENT_READ)
EOF
	timeout -k 2 "$SC_TIMEOUT" python3 "$D/push.py" "$SRV_PORT" "$total" \
		"$D/state" "$D/go" >"$D/push.out" 2>"$D/push.err" 3>&- &
	py=$!
	track "$py"
	wait_exists "$D/state" 20
	read -r ppid pushed <"$D/state"
	kill -STOP "$ppid"
	# the server stopped reading it: the rest is still with the client
	((pushed < total)) || fail "the server took all $total bytes of a client that does not read"
	# and holds no more than its buffer: not the 40-odd MiB that the
	# kernel's buffers cannot hold
	(($(rss_kb "$spid") < 32768)) || fail "server VmRSS $(rss_kb "$spid") kB with a stopped client"
	# the others are served meanwhile
	for i in $(seq 10); do
		make_payload "$D/in$i" 200000
		bg_sc "c$i" "$D/in$i" 127.0.0.1 "$SRV_PORT"
		pids+=("$BG_PID")
	done
	for i in $(seq 10); do
		wait_exit "${pids[i - 1]}" 20
		assert_equal "$WAIT_STATUS" 0
		cmp "$D/in$i" "$D/c$i.out"
	done
	assert_equal "$(proc_state "$ppid")" T
	(($(rss_kb "$spid") < 32768)) || fail "server VmRSS $(rss_kb "$spid") kB with a stopped client"
	# resumed, it gets all its data back
	touch "$D/go"
	kill -CONT "$ppid"
	wait_exit "$py" 30
	[[ $WAIT_STATUS -eq 0 ]] || fail "stopped client: $(cat "$D/push.err")"
	kill -0 "$SRV_PID"
}

# --- the stdio handler with -k ----------------------------------------------

@test "stdio -k: stdin goes to every client, their data to stdout, EOFs end their connection (-vv counts)" {
	local c1 c2 ports line
	mkfifo "$D/in" "$D/c1.in" "$D/c2.in"
	exec 7<>"$D/in" 8<>"$D/c1.in"
	serve srv "$D/in" -v -l -k 127.0.0.1 0	# -vv with start_server's -v
	exec 9<>"$D/c2.in"
	bg_sc c1 "$D/c1.in" -vv 127.0.0.1 "$SRV_PORT"
	c1=$BG_PID
	bg_sc c2 "$D/c2.in" -vv 127.0.0.1 "$SRV_PORT"
	c2=$BG_PID
	wait_until 10 has_count "$D/srv.err" '^Connection received on 127\.0\.0\.1 [0-9]+$' 2
	ports=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err")

	# stdin reaches both
	echo "stdin to all" >&7
	wait_until 10 all_sizes 13 "$D/c1.out" "$D/c2.out"
	assert_equal "$(cat "$D/c1.out")" "stdin to all"
	assert_equal "$(cat "$D/c2.out")" "stdin to all"

	# each client's data reaches stdout whole
	echo "c1data" >&8
	printf 'c2:%0996d\n' 0 >&9			# 1000 bytes
	wait_until 10 has_size "$D/srv.out" 1007
	assert_equal "$(sort "$D/srv.out")" "$(printf '%s\n' "c1data" "c2:$(printf '%0996d' 0)" | sort)"

	# a client's EOF ends its connection, with the counts of both ways
	exec 8>&-
	wait_exit "$c1" 10
	assert_equal "$WAIT_STATUS" 0
	wait_for "$D/srv.err" '^Connection closed on '
	line=$(grep '^Connection closed on ' "$D/srv.err")
	[[ $line =~ ^Connection\ closed\ on\ 127\.0\.0\.1\ ([0-9]+),\ 7\ bytes\ received,\ 13\ bytes\ sent$ ]] ||
		fail "closed line: $line"
	grep -qx "${BASH_REMATCH[1]}" <<<"$ports"
	assert_equal "$(cat "$D/c1.out")" "stdin to all"
	kill -0 "$c2"

	# stdin EOF: every client gets EOF, a later one at once
	exec 7>&-
	wait_for "$D/c2.err" '^EOF from peer; stdout closed$'
	kill -0 "$c2"
	SC_TIMEOUT=5 run -0 --separate-stderr sc -d 127.0.0.1 "$SRV_PORT"
	assert_output ''
	wait_until 10 has_count "$D/srv.err" '^Connection received on ' 3

	# and the last one leaves with its own counts
	exec 9>&-
	wait_exit "$c2" 10
	assert_equal "$WAIT_STATUS" 0
	wait_for "$D/srv.err" '^Connection closed on 127\.0\.0\.1 [0-9]+, 1000 bytes received, 13 bytes sent$'
	assert_equal "$(cat "$D/c2.out")" "stdin to all"
	kill -0 "$SRV_PID"
}

@test "--echo -vv: the closed line counts the bytes received and sent" {
	serve srv /dev/null -v -l -k --echo 127.0.0.1 0
	printf 'hello\n' >"$D/in"
	run -0 io "$D/in" "$D/out" sc 127.0.0.1 "$SRV_PORT"
	cmp "$D/in" "$D/out"
	wait_for "$D/srv.err" '^Connection closed on '
	run grep '^Connection closed on ' "$D/srv.err"
	assert_output --regexp '^Connection closed on 127\.0\.0\.1 [0-9]+, 6 bytes received, 6 bytes sent$'
}

# --- --broker and --chat ----------------------------------------------------

@test "--broker: 5 clients, each message reaches every other client exactly once, not the sender" {
	serve srv /dev/null -l -k --broker 127.0.0.1 0
	cat >"$D/broker.py" <<'EOF'
import socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
def fail(m): sys.exit(m)
def wait_log(n):
    end = time.monotonic() + 10
    while open(log).read().count("Connection received on") < n:
        if time.monotonic() > end: fail("server did not accept %d clients" % n)
        time.sleep(0.02)
def recv_until(s, buf, pred, what):
    s.settimeout(10)
    while not pred(buf):
        d = s.recv(65536)
        if not d: fail("%s: EOF after %r" % (what, buf))
        buf += d
    return buf
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
wait_log(5)
msgs = [b"message %d from client %d\n" % (i * 1111, i) for i in range(5)]
for c, m in zip(cs, msgs):
    c.sendall(m)
bufs = []
for j, c in enumerate(cs):
    b = recv_until(c, b"", lambda b: b.count(b"\n") >= 4, "client %d" % j)
    lines = b.split(b"\n")
    got = sorted(l + b"\n" for l in lines[:4])
    want = sorted(m for i, m in enumerate(msgs) if i != j)
    if got != want: fail("client %d got %r, wanted %r" % (j, got, want))
    bufs.append(b"\n".join(lines[4:]))
# markers: anything more (a duplicate, its own message) would come first
for k in (0, 1):
    end = b"end from %d\n" % k
    cs[k].sendall(end)
    for j, c in enumerate(cs):
        if j == k:
            continue
        b = recv_until(c, bufs[j], lambda b: len(b) >= len(end), "client %d" % j)
        if b != end: fail("client %d got %r, wanted %r" % (j, b, end))
        bufs[j] = b""
print("ok")
EOF
	run peer python3 "$D/broker.py" "$SRV_PORT" "$D/srv.err"
	assert_success
	assert_output ok
}

@test "--chat: <userN> prefixes, join, already-connected and leave notices" {
	serve srv /dev/null -l -k --chat 127.0.0.1 0
	cat >"$D/chat.py" <<'EOF'
import re, socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
def fail(m): sys.exit(m)
def wait_log(n):
    end = time.monotonic() + 10
    while open(log).read().count("Connection received on") < n:
        if time.monotonic() > end: fail("server did not accept %d clients" % n)
        time.sleep(0.02)
class Sock(socket.socket):
    pass
def conn(n):
    s = Sock()
    s.connect(("127.0.0.1", port))
    s.settimeout(10)
    wait_log(n)
    s.who = "127.0.0.1 %d" % s.getsockname()[1]
    return s
def expect(s, name, want):
    want = want.encode()
    got = b""
    while len(got) < len(want):
        d = s.recv(len(want) - len(got))
        if not d: fail("%s: EOF after %r, wanted %r" % (name, got, want))
        got += d
    if got != want: fail("%s got %r, wanted %r" % (name, got, want))
def expect_already(s, name, who):
    got = b""
    while not got.endswith(b"\n"):
        d = s.recv(1)
        if not d: fail("%s: EOF after %r" % (name, got))
        got += d
    m = re.fullmatch(rb"<announce> already connected: (.*)\.\n", got)
    if not m or set(m.group(1).split(b", ")) != {w.encode() for w in who}:
        fail("%s got %r, wanted the notice for %r" % (name, got, who))
c1 = conn(1)
c2 = conn(2)
expect_already(c2, "c2", [c1.who + " as <user1>"])
expect(c1, "c1", "<announce> %s is connected as <user2>.\n" % c2.who)
c3 = conn(3)
expect_already(c3, "c3", [c1.who + " as <user1>", c2.who + " as <user2>"])
for s, n in ((c1, "c1"), (c2, "c2")):
    expect(s, n, "<announce> %s is connected as <user3>.\n" % c3.who)
c1.sendall(b"hello\n")
for s, n in ((c2, "c2"), (c3, "c3")):
    expect(s, n, "<user1> hello\n")
# a line in pieces is prefixed once, every line is prefixed
c2.sendall(b"par")
for s, n in ((c1, "c1"), (c3, "c3")):
    expect(s, n, "<user2> par")
c2.sendall(b"tial\nsecond\n")
for s, n in ((c1, "c1"), (c3, "c3")):
    expect(s, n, "tial\n<user2> second\n")
c3.close()
for s, n in ((c1, "c1"), (c2, "c2")):
    expect(s, n, "<announce> <user3> is disconnected.\n")
# numbers count every connection: the next one is user4
c4 = conn(4)
expect_already(c4, "c4", [c1.who + " as <user1>", c2.who + " as <user2>"])
for s, n in ((c1, "c1"), (c2, "c2")):
    expect(s, n, "<announce> %s is connected as <user4>.\n" % c4.who)
c1.sendall(b"bye\n")
for s, n in ((c2, "c2"), (c4, "c4")):
    expect(s, n, "<user1> bye\n")
c2.sendall(b"ack\n")
# the sender never gets its own line: the next thing c1 reads is c2's
expect(c1, "c1", "<user2> ack\n")
expect(c4, "c4", "<user2> ack\n")
print("ok")
EOF
	run peer python3 "$D/chat.py" "$SRV_PORT" "$D/srv.err"
	assert_success
	assert_output ok
}

@test "--broker: a reader that takes nothing for 2 s is disconnected, the others go on" {
	local slow slowp size=$((16 * 1024 * 1024))
	serve srv /dev/null -l -k --broker 127.0.0.1 0
	make_payload "$D/big" "$size"
	# -d: it only receives (no data, no end of file from it)
	bg_sc slow /dev/null -d 127.0.0.1 "$SRV_PORT"
	slow=$BG_PID
	wait_until 10 has_count "$D/srv.err" '^Connection received on ' 1
	slowp=$(sc_child "$slow")
	kill -STOP "$slowp"
	cat >"$D/brk.py" <<'EOF'
# brk.py PORT LOG DATA: clients A and B join; A sends DATA in 256 KiB
# pieces, each read whole by B before the next. The stopped client's
# queue fills, the broker pauses everybody until it has dropped that
# client (2 s without progress), then all of DATA flows; then the server
# must have reported the stopped client; then A sends "after\n", and B
# gets exactly that.
import re, socket, sys, time
port, log, data = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
def wait_log(regex, what):
    end = time.monotonic() + 5
    while not re.search(regex, open(log).read(), re.M):
        if time.monotonic() > end: sys.exit("timeout waiting for " + what)
        time.sleep(0.02)
a = socket.create_connection(("127.0.0.1", port))
b = socket.create_connection(("127.0.0.1", port))
for s in a, b: s.settimeout(15)
wait_log(r"(^Connection received on .*\n){3}", "3 clients")
def relay(piece):
    a.sendall(piece)
    got = b""
    while len(got) < len(piece):
        d = b.recv(len(piece) - len(got))
        if not d: sys.exit("B: EOF")
        got += d
    if got != piece: sys.exit("B got other data")
step = 256 * 1024
for off in range(0, len(data), step):
    relay(data[off:off + step])
wait_log(r"^sockcat: .*: too slow a reader", "the slow reader's error line")
relay(b"after\n")
print("ok")
EOF
	run peer python3 "$D/brk.py" "$SRV_PORT" "$D/srv.err" "$D/big"
	assert_success
	assert_output ok
	# all that while, the slow one was stopped
	assert_equal "$(proc_state "$slowp")" T
	run grep '^sockcat: ' "$D/srv.err"
	assert_output --regexp '^sockcat: 127\.0\.0\.1 port [0-9]+ \(tcp\): too slow a reader: it took nothing of its full broker queue for 2 seconds$'
	# resumed, it reads what it had, and then its end of file
	kill -CONT "$slowp"
	wait_exit "$slow" 10
	assert_equal "$WAIT_STATUS" 0
	(($(stat -c %s "$D/slow.out") < size))
	cmp -n "$(stat -c %s "$D/slow.out")" "$D/big" "$D/slow.out"
	kill -0 "$SRV_PID"
}

# --- --max-conns, --accept-timeout ------------------------------------------

@test "--max-conns 2: a third client is closed at once and reported; a slot frees when one leaves" {
	local c1
	mkfifo "$D/c1.in" "$D/c2.in"
	exec 8<>"$D/c1.in" 9<>"$D/c2.in"
	serve srv /dev/null -l -k --echo --max-conns 2 127.0.0.1 0
	bg_sc c1 "$D/c1.in" 127.0.0.1 "$SRV_PORT"
	c1=$BG_PID
	bg_sc c2 "$D/c2.in" 127.0.0.1 "$SRV_PORT"
	echo one >&8
	echo two >&9
	wait_until 10 all_sizes 4 "$D/c1.out" "$D/c2.out"
	# the third: an end of file before any byte (it sends nothing, -d)
	SC_TIMEOUT=5 run -0 --separate-stderr sc -d 127.0.0.1 "$SRV_PORT"
	assert_output ''
	wait_for "$D/srv.err" '^Connection rejected on 127\.0\.0\.1 [0-9]+: --max-conns 2 reached$'
	# one leaves (-v: the closed line without counts)
	exec 8>&-
	wait_exit "$c1" 10
	assert_equal "$WAIT_STATUS" 0
	wait_for "$D/srv.err" '^Connection closed on 127\.0\.0\.1 [0-9]+$'
	# its slot serves a new client
	run -0 --separate-stderr sc 127.0.0.1 "$SRV_PORT" <<<three
	assert_output three
	# the second one is still served
	echo four >&9
	wait_until 10 has_size "$D/c2.out" 9
	assert_equal "$(cat "$D/c2.out")" "$(printf 'two\nfour')"
	assert_equal "$(count_re "$D/srv.err" '^Connection rejected on ')" 1
}

@test "--accept-timeout: no client in time is exit 5 with a message" {
	run -5 --separate-stderr sc -l -k --echo --accept-timeout 300ms 127.0.0.1 0
	assert_output ''
	assert_equal "$stderr" "sockcat: --accept-timeout: no client came"
	run -5 --separate-stderr sc -l --accept-timeout 300ms 127.0.0.1 0 </dev/null
	assert_output ''
	assert_equal "$stderr" "sockcat: --accept-timeout: no client came"
}

@test "--accept-timeout: a client that came first is served past the timeout" {
	local client
	# the client is up first: it connects as soon as the port file is
	# there, then speaks only 1.5 s later (past the 1 s timeout)
	cat >"$D/late.py" <<'EOF'
import os, socket, sys, time
end = time.monotonic() + 10
while not os.path.exists(sys.argv[1]):
    if time.monotonic() > end: sys.exit("no port file")
    time.sleep(0.005)
s = socket.create_connection(("127.0.0.1", int(open(sys.argv[1]).read())))
time.sleep(1.5)
s.sendall(b"late\n")
s.shutdown(socket.SHUT_WR)
s.settimeout(10)
while s.recv(100):
    pass
print("ok")
EOF
	peer_bg late python3 "$D/late.py" "$D/port"
	client=$PEER_PID
	serve srv /dev/null -l --accept-timeout 1s --port-file "$D/port" 127.0.0.1 0
	wait_exit "$client" 10
	assert_equal "$WAIT_STATUS" 0
	wait_exit "$SRV_PID" 10
	assert_equal "$WAIT_STATUS" 0
	assert_equal "$(cat "$D/srv.out")" late
	run -1 grep -F -- '--accept-timeout' "$D/srv.err"
}

# --- --allow, --deny ----------------------------------------------------------

@test "--deny 127.0.0.0/8 refuses 127.0.0.1 before a byte, and leaves no descriptor behind" {
	local spid before i
	serve srv /dev/null -l -k --echo --deny 127.0.0.0/8 127.0.0.1 0
	spid=$(srv_proc)
	refused 127.0.0.1 "$SRV_PORT"
	wait_for "$D/srv.err" '^Connection denied on 127\.0\.0\.1 [0-9]+: not allowed \(--allow, --deny\)$'
	before=$(fd_count "$spid")
	for i in $(seq 20); do
		refused 127.0.0.1 "$SRV_PORT"
	done
	assert_equal "$(fd_count "$spid")" "$before"
	assert_equal "$(count_re "$D/srv.err" '^Connection denied on 127\.0\.0\.1 [0-9]+: not allowed \(--allow, --deny\)$')" 21
	run -1 grep -E '^Connection (received|closed) on ' "$D/srv.err"
}

@test "--allow 127.0.0.2 admits only it; deny beats allow" {
	serve a /dev/null -l -k --echo --allow 127.0.0.2 127.0.0.1 0
	refused 127.0.0.1 "$SRV_PORT"
	admitted 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
	wait_for "$D/a.err" '^Connection denied on 127\.0\.0\.1 [0-9]+: not allowed'
	wait_for "$D/a.err" '^Connection received on 127\.0\.0\.2 [0-9]+$'
	run -1 grep 'denied on 127\.0\.0\.2' "$D/a.err"

	serve b /dev/null -l -k --echo --allow 127.0.0.0/8 --deny 127.0.0.1 127.0.0.1 0
	refused 127.0.0.1 "$SRV_PORT"
	admitted 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
	wait_for "$D/b.err" '^Connection denied on 127\.0\.0\.1 [0-9]+: not allowed'
	# the order of the options does not matter
	serve c /dev/null -l -k --echo --deny 127.0.0.1 --allow 127.0.0.0/8 127.0.0.1 0
	refused 127.0.0.1 "$SRV_PORT"
	admitted 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
}

@test "--allow/--deny: IPv6 CIDR rules, and IPv4 clients of a dual-stack listener match IPv4 rules" {
	need_ipv6
	# dual-stack listener (no address): a v6 rule does not catch a v4 client
	serve a /dev/null -l -k --echo --deny ::1/128 0
	refused ::1 "$SRV_PORT"
	wait_for "$D/a.err" '^Connection denied on ::1 [0-9]+: not allowed \(--allow, --deny\)$'
	admitted 127.0.0.1 "$SRV_PORT"
	# an IPv4 client of it is matched by IPv4 rules
	serve b /dev/null -l -k --echo --deny 127.0.0.1 0
	refused 127.0.0.1 "$SRV_PORT"
	wait_for "$D/b.err" '^Connection denied on 127\.0\.0\.1 [0-9]+: not allowed \(--allow, --deny\)$'
	admitted ::1 "$SRV_PORT"
	serve c /dev/null -l -k --echo --allow 127.0.0.0/8 0
	admitted 127.0.0.1 "$SRV_PORT"
	refused ::1 "$SRV_PORT"
	# IPv6 networks on an IPv6-only listener
	serve d /dev/null -l -k --echo -6 --allow ::/64 ::1 0
	admitted ::1 "$SRV_PORT"
	serve e /dev/null -l -k --echo -6 --allow fe80::/10 ::1 0
	refused ::1 "$SRV_PORT"
	wait_for "$D/e.err" '^Connection denied on ::1 [0-9]+: not allowed'
}

# udp_from SRC PORT DATA : one datagram DATA from SRC to 127.0.0.1 PORT.
udp_from() {
	run -0 --separate-stderr sc -q 0 -u -s "$1" 127.0.0.1 "$2" <<<"$3"
}

@test "--allow/--deny over UDP: a refused sender's datagrams are dropped, stdio or handler, -k or not" {
	local re='^Connection denied on 127\.0\.0\.1 [0-9]+: not allowed \(--allow, --deny\)$'
	# -k with stdout: one socket for every sender
	serve a /dev/null -l -k -u --deny 127.0.0.1 127.0.0.1 0
	udp_from 127.0.0.1 "$SRV_PORT" no
	wait_for "$D/a.err" "$re"
	udp_from 127.0.0.2 "$SRV_PORT" yes
	wait_until 10 has_size "$D/a.out" 4
	assert_equal "$(cat "$D/a.out")" yes
	wait_for "$D/a.err" '^Connection received on 127\.0\.0\.2 [0-9]+$'
	run -1 grep 'received on 127\.0\.0\.1 ' "$D/a.err"
	# without -k: the first sender admitted is the peer
	serve b /dev/null -l -u --deny 127.0.0.1 127.0.0.1 0
	udp_from 127.0.0.1 "$SRV_PORT" no
	wait_for "$D/b.err" "$re"
	udp_from 127.0.0.2 "$SRV_PORT" yes
	wait_until 10 has_size "$D/b.out" 4
	assert_equal "$(cat "$D/b.out")" yes
	# -k with a handler: a refused sender gets no connection
	serve c /dev/null -l -k -u -c "cat >>'$D/c.got'" --deny 127.0.0.1 127.0.0.1 0
	udp_from 127.0.0.1 "$SRV_PORT" no
	wait_for "$D/c.err" "$re"
	udp_from 127.0.0.2 "$SRV_PORT" yes
	wait_until 10 has_size "$D/c.got" 4
	assert_equal "$(cat "$D/c.got")" yes
	run -1 grep 'received on 127\.0\.0\.1 ' "$D/c.err"
}

@test "--allowfile/--denyfile: one spec a line, comments and blank lines ignored" {
	printf '%s\n' '# who may come' '' '   ' '10.0.0.0/8' \
		'127.0.0.2   # the second loopback address' '# 127.0.0.1' >"$D/allow"
	serve a /dev/null -l -k --echo --allowfile "$D/allow" 127.0.0.1 0
	refused 127.0.0.1 "$SRV_PORT"
	admitted 127.0.0.1 "$SRV_PORT" -s 127.0.0.2

	printf '%s\n' '' '# not these' '127.0.0.2/32 # one address' '' >"$D/deny"
	serve b /dev/null -l -k --echo --denyfile "$D/deny" 127.0.0.1 0
	refused 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
	admitted 127.0.0.1 "$SRV_PORT"

	# both, with the command-line rules: deny beats allow
	serve c /dev/null -l -k --echo --allowfile "$D/allow" --allow 127.0.0.1 \
		--denyfile "$D/deny" 127.0.0.1 0
	admitted 127.0.0.1 "$SRV_PORT"
	refused 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
}

@test "--allowfile/--denyfile that cannot be read: exit 1" {
	run -1 --separate-stderr sc -l --allowfile "$D/nonexistent" 127.0.0.1 0 </dev/null
	assert_output ''
	assert_equal "$stderr" "sockcat: --allowfile $D/nonexistent: No such file or directory"
	run -1 --separate-stderr sc -l --denyfile "$D/nonexistent" 127.0.0.1 0 </dev/null
	assert_output ''
	assert_equal "$stderr" "sockcat: --denyfile $D/nonexistent: No such file or directory"
	# a directory opens, but cannot be read: an error too, not "no rules"
	mkdir "$D/dir"
	SC_TIMEOUT=2 run -1 --separate-stderr sc -l --allowfile "$D/dir" 127.0.0.1 0 </dev/null
	assert_output ''
	assert_regex "$stderr" "^sockcat: --allowfile $D/dir: "
	SC_TIMEOUT=2 run -1 --separate-stderr sc -l --denyfile "$D/dir" 127.0.0.1 0 </dev/null
	assert_output ''
	assert_regex "$stderr" "^sockcat: --denyfile $D/dir: "
	# (A host name that does not resolve, exit 3, is not tested: with
	# "hosts: files dns" the lookup would send DNS queries off the host.)
}

@test "--allow/--deny usage errors: exit 2" {
	sockdir
	usage_row '1\.2\.3\.4/33.*prefix length' -l --allow 1.2.3.4/33 127.0.0.1 0
	usage_row '::1/129.*prefix length' -l --allow ::1/129 127.0.0.1 0
	usage_row 'foo/8' -l --deny foo/8 127.0.0.1 0
	usage_row 'allow.*-U' -l -U --allow 127.0.0.1 "$SOCKDIR/s"
	usage_row 'deny.*-U' -l -U --deny 127.0.0.1 "$SOCKDIR/s"
	usage_row 'allow.*-U' -l -U --allowfile /dev/null "$SOCKDIR/s"
	usage_row '-l' --allow 127.0.0.1 127.0.0.1 80
	usage_row '-l' --deny 127.0.0.1 127.0.0.1 80
	rows_done
}

# --- per-connection timers, resets ---------------------------------------------

@test "--idle-timeout with -k: an idle client is closed, an active one lives on" {
	local idle active t0 t1
	serve srv /dev/null -l -k --echo --idle-timeout 500ms 127.0.0.1 0
	cat >"$D/active.py" <<'EOF'
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
for i in range(40):			# a byte every 50 ms for 2 s
    s.sendall(b"%x" % (i % 16))
    d = s.recv(1)
    if d != b"%x" % (i % 16):
        sys.exit("round %d: got %r" % (i, d))
    if i == 0:
        open(sys.argv[2], "w").close()
    time.sleep(0.05)
s.close()
print("ok")
EOF
	timeout -k 2 "$SC_TIMEOUT" python3 "$D/active.py" "$SRV_PORT" "$D/started" \
		>"$D/active.out" 2>"$D/active.err" 3>&- &
	active=$!
	track "$active"
	wait_exists "$D/started"
	t0=$EPOCHREALTIME
	bg_sc idle /dev/null -d 127.0.0.1 "$SRV_PORT"
	idle=$BG_PID
	wait_exit "$idle" 10
	t1=$EPOCHREALTIME
	assert_equal "$WAIT_STATUS" 0
	# closed by the timer, not at once, and while the other still talks
	(($(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a >= 0.45) }'))) ||
		fail "the idle client was closed after $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
	kill -0 "$active"
	wait_for "$D/srv.err" '^Connection closed on 127\.0\.0\.1 [0-9]+$'
	assert_equal "$(count_re "$D/srv.err" '^Connection closed on ')" 1
	wait_exit "$active" 10
	assert_equal "$WAIT_STATUS" 0
	assert_equal "$(cat "$D/active.out")" ok
	wait_until 10 has_count "$D/srv.err" '^Connection closed on ' 2
}

@test "--echo: a client reset mid-transfer does not disturb the others" {
	local who
	serve srv /dev/null -l -k --echo 127.0.0.1 0
	gate_open
	make_payload "$D/in" 2000000
	gated_sc other "$D/in" 127.0.0.1 "$SRV_PORT"
	wait_until 20 has_size "$D/other.out" 2000000
	# sends a lot, reads a little, then resets (SO_LINGER 0)
	run -0 peer python3 -c '
import os, socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
data = os.urandom(4 * 1024 * 1024)
s.setblocking(False)
sent = 0
while sent < len(data):
    try:
        sent += s.send(data[sent:])
    except BlockingIOError:
        break
s.settimeout(5)
got = s.recv(65536)
assert got and data.startswith(got)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
print(s.getsockname()[1])
s.close()
' "$SRV_PORT"
	who=$output
	wait_for "$D/srv.err" "^Connection closed on 127\\.0\\.0\\.1 $who\$"
	kill -0 "$SRV_PID"
	gate_release
	wait_gated
	cmp "$D/in" "$D/other.out"
	# and the server still accepts
	admitted 127.0.0.1 "$SRV_PORT"
}

# --- running out of descriptors ---------------------------------------------

@test "EMFILE: 200 clients at ulimit -n 64 are all served in turn, without spinning" {
	local spid before
	bash -c 'ulimit -n 64 && exec timeout -k 2 "$0" "$@"' "$SC_TIMEOUT" "$SOCKCAT" \
		-v -k -l --echo 127.0.0.1 0 </dev/null >"$D/srv.out" 2>"$D/srv.err" 3>&- &
	SRV_PID=$!
	track "$SRV_PID"
	wait_for "$D/srv.err" '^Listening on '
	SRV_PORT=$(sed -En 's/^Listening on .* ([0-9]+)$/\1/p' "$D/srv.err")
	spid=$(srv_proc)
	before=$(fd_count "$spid")
	cat >"$D/many.py" <<'EOF'
# many.py PORT PID N: N clients connect at once, each sends a line and waits
# for its echo, keeping the connection; once no more are served, hold for
# 2 s and measure the server's CPU time; then close every served client,
# and go on until all N have been served.
import errno, os, selectors, socket, sys, time
port, pid, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
hz = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz
sel = selectors.DefaultSelector()
class C: pass
cs = []
for i in range(n):
    c = C(); c.i = i; c.msg = b"client %d\n" % i; c.got = b""; c.state = "connecting"
    c.s = socket.socket(); c.s.setblocking(False)
    err = c.s.connect_ex(("127.0.0.1", port))
    if err not in (0, errno.EINPROGRESS): sys.exit("connect %d: %s" % (i, os.strerror(err)))
    sel.register(c.s, selectors.EVENT_WRITE, c)
    cs.append(c)
def step(timeout):
    for key, ev in sel.select(timeout):
        c = key.data
        if c.state == "connecting":
            err = c.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err: sys.exit("connect %d: %s" % (c.i, os.strerror(err)))
            c.s.send(c.msg); c.state = "waiting"
            sel.modify(c.s, selectors.EVENT_READ, c)
        else:
            d = c.s.recv(4096)
            if not d: sys.exit("client %d: EOF after %r" % (c.i, c.got))
            c.got += d
            if c.got == c.msg:
                c.state = "served"; sel.unregister(c.s)
            elif not c.msg.startswith(c.got): sys.exit("client %d: got %r" % (c.i, c.got))
def served():
    return sum(c.state in ("served", "closed") for c in cs)
# until no more is served for 0.3 s
last, t = -1, time.monotonic()
while time.monotonic() - t < 0.3:
    step(0.05)
    if served() != last: last, t = served(), time.monotonic()
print("first", served())
c0 = cpu()
end = time.monotonic() + 2
while time.monotonic() < end:
    step(end - time.monotonic())
print("hold_cpu %.2f" % (cpu() - c0))
end = time.monotonic() + 20
while served() < n and time.monotonic() < end:
    for c in cs:
        if c.state == "served": c.s.close(); c.state = "closed"
    step(0.05)
print("total", served())
EOF
	run -0 peer python3 "$D/many.py" "$SRV_PORT" "$spid" 200
	echo "$output"
	local first cpu total
	first=$(sed -n 's/^first //p' <<<"$output")
	cpu=$(sed -n 's/^hold_cpu //p' <<<"$output")
	total=$(sed -n 's/^total //p' <<<"$output")
	# the descriptors ran out: some were served, not all
	((first > 0 && first < 64)) || fail "served before any closed: $first"
	# no spinning: at most 0.5 s of CPU in 2 s of EMFILE
	(($(awk -v c="$cpu" 'BEGIN { print (c < 0.5) }'))) || fail "server CPU time $cpu s in 2 s"
	# reported once per shortage, not once per pause: each report is
	# followed by "Accepting again" (-v) before the next one
	grep -qx 'sockcat: accept: Too many open files' "$D/srv.err"
	run -0 awk '
		/^sockcat: accept: / { if (failing) bad = 1; failing = 1; n++ }
		/^Accepting again$/ { if (!failing) bad = 1; failing = 0 }
		END { print n, bad + 0 }' "$D/srv.err"
	[[ $output == *" 0" ]] || fail "accept reports not one per shortage: $(cat "$D/srv.err")"
	((${output% *} >= 1))
	# it resumed: every client was served in the end
	assert_equal "$total" 200
	kill -0 "$SRV_PID"
	wait_until 10 fd_is "$spid" "$before"
	admitted 127.0.0.1 "$SRV_PORT"
}

# --- socket activation ------------------------------------------------------

# act_sc KIND WHERE FD NAME ARGS... : a python helper makes a listening
# socket (KIND tcp: on address WHERE, port 0, the port then in $D/NAME.port;
# unix: on path WHERE) on descriptor FD and execs ARGS (pid unchanged), with
# LISTEN_FDS=1 and LISTEN_PID=its pid when ACT_SYSTEMD is set. Output in
# $D/NAME.{out,err}; sets ACT_PID (tracked).
act_sc() {
	local kind=$1 where=$2 fd=$3 name=$4
	shift 4
	cat >"$D/act.py" <<'EOF'
import os, socket, sys
kind, where, fd, portfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if kind == "tcp":
    s = socket.socket(); s.bind((where, 0))
else:
    s = socket.socket(socket.AF_UNIX); s.bind(where)
s.listen()
if s.fileno() != fd:
    os.dup2(s.fileno(), fd)
    s.close()
os.set_inheritable(fd, True)
if kind == "tcp":
    with socket.socket(fileno=os.dup(fd)) as t:
        port = t.getsockname()[1]
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)
act = os.environ.pop("ACT_SYSTEMD", None)
if act:
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid()) if act == "1" else "1"
os.execvp(sys.argv[5], sys.argv[5:])
EOF
	timeout -k 2 "$SC_TIMEOUT" python3 "$D/act.py" "$kind" "$where" "$fd" \
		"$D/$name.port" "$@" </dev/null >"$D/$name.out" 2>"$D/$name.err" 3>&- 7>&- 8>&- 9>&- &
	ACT_PID=$!
	track "$ACT_PID"
}

@test "socket activation: LISTEN_FDS/LISTEN_PID give -l its socket on fd 3" {
	local port
	ACT_SYSTEMD=1 act_sc tcp 127.0.0.1 3 srv "$SOCKCAT" -v -l -k --echo
	wait_exists "$D/srv.port"
	port=$(cat "$D/srv.port")
	wait_for "$D/srv.err" "^Listening on 127\\.0\\.0\\.1 $port\$"
	admitted 127.0.0.1 "$port"
	admitted 127.0.0.1 "$port"
	kill -0 "$ACT_PID"
}

@test "socket activation: the -c child does not see LISTEN_FDS or LISTEN_PID" {
	local port
	# shellcheck disable=SC2016
	ACT_SYSTEMD=1 act_sc tcp 127.0.0.1 3 srv "$SOCKCAT" -v -l \
		-c 'echo "[$LISTEN_FDS][$LISTEN_PID]"'
	wait_exists "$D/srv.port"
	port=$(cat "$D/srv.port")
	wait_for "$D/srv.err" '^Listening on '
	run -0 --separate-stderr sc 127.0.0.1 "$port" </dev/null
	assert_output '[][]'
	wait_exit "$ACT_PID" 10
	assert_equal "$WAIT_STATUS" 0
}

@test "socket activation: LISTEN_PID of another process is ignored" {
	# a listening socket on fd 3, but LISTEN_PID names pid 1: no operands
	# then leave -l with nothing to listen on
	ACT_SYSTEMD=other act_sc tcp 127.0.0.1 3 srv "$SOCKCAT" -v -l --echo
	wait_exit "$ACT_PID" 10
	assert_equal "$WAIT_STATUS" 2
	run -1 grep '^Listening on ' "$D/srv.err"
}

@test "--listen-fd: an inherited UNIX stream listener on fd 5" {
	sockdir
	act_sc unix "$SOCKDIR/s" 5 srv "$SOCKCAT" -v -l -k --echo --listen-fd 5
	wait_for "$D/srv.err" "^Listening on $SOCKDIR/s\$"
	run -0 --separate-stderr sc -U "$SOCKDIR/s" <<<ping
	assert_output ping
	run -0 --separate-stderr sc -U "$SOCKDIR/s" <<<pong
	assert_output pong
	wait_for "$D/srv.err" "^Connection received on $SOCKDIR/s\$" 2
	kill -0 "$ACT_PID"
}

# --- leaks ----------------------------------------------------------------------

@test "10,000 short connections leak no descriptor and no memory" {
	local spid before
	# Under AddressSanitizer freed memory waits in a quarantine (256 MB)
	# and would look like growth; without one, RSS means what it says.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
		serve srv /dev/null -l -k --echo 127.0.0.1 0
	spid=$(srv_proc)
	before=$(fd_count "$spid")
	run -0 peer python3 "$SC_FIXTURES/seqconn.py" "$SRV_PORT" "$spid" 10000 1000
	local mark end
	mark=$(sed -n 's/^mark //p' <<<"$output")
	end=$(sed -n 's/^end //p' <<<"$output")
	((end - mark <= 2048)) || fail "VmRSS grew from $mark kB to $end kB over 9,000 connections"
	# the last close may still be on its way
	wait_until 10 fd_is "$spid" "$before"
	kill -0 "$SRV_PID"
}

# --- --allow/--deny with a host name -----------------------------------------

# need_localhost : skip unless "localhost" is 127.0.0.1 (and not
# 127.0.0.2) in /etc/hosts, so that it resolves without DNS.
need_localhost() {
	grep -Eq '^127\.0\.0\.1[[:space:]]+([^#]*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts ||
		skip "/etc/hosts does not map localhost to 127.0.0.1"
	! grep -Eq '^127\.0\.0\.2[[:space:]]+([^#]*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts ||
		skip "/etc/hosts maps localhost to 127.0.0.2 too"
}

@test "--deny localhost refuses 127.0.0.1 and admits 127.0.0.2; --allow localhost the reverse" {
	need_localhost
	serve deny /dev/null -l -k --echo --deny localhost 127.0.0.1 0
	refused 127.0.0.1 "$SRV_PORT"
	wait_for "$D/deny.err" '^Connection denied on 127\.0\.0\.1 [0-9]+: not allowed \(--allow, --deny\)$'
	admitted 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
	wait_for "$D/deny.err" '^Connection received on 127\.0\.0\.2 [0-9]+$'
	run -1 grep 'denied on 127\.0\.0\.2' "$D/deny.err"

	serve allow /dev/null -l -k --echo --allow localhost 127.0.0.1 0
	admitted 127.0.0.1 "$SRV_PORT"
	refused 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
	wait_for "$D/allow.err" '^Connection denied on 127\.0\.0\.2 [0-9]+: not allowed \(--allow, --deny\)$'
	run -1 grep 'denied on 127\.0\.0\.1' "$D/allow.err"
}

@test "-n --allow NAME: exit 3, no name is looked up; an address or a network is still fine" {
	run -3 --separate-stderr sc -n -l --allow localhost 127.0.0.1 0 </dev/null
	assert_output ''
	assert_equal "$stderr" 'sockcat: --allow resolve "localhost": not a numeric address, and -n forbids name lookups'
	run -3 --separate-stderr sc -n -l -k --echo --deny no-such-host.invalid 127.0.0.1 0 </dev/null
	assert_equal "$stderr" 'sockcat: --deny resolve "no-such-host.invalid": not a numeric address, and -n forbids name lookups'
	serve a /dev/null -n -l -k --echo --deny 127.0.0.2 --allow 127.0.0.0/8 127.0.0.1 0
	admitted 127.0.0.1 "$SRV_PORT"
	refused 127.0.0.1 "$SRV_PORT" -s 127.0.0.2
}
