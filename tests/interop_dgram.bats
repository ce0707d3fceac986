#!/usr/bin/env bats
# bats file_tags=interop
#
# Interoperability of the message transports with peers nobody here
# wrote: socat (Debian socat) over UDP, UNIX datagram and UNIX SEQPACKET
# sockets (socat's socktype=5 option), and small python3 socket peers
# that check SEQPACKET message boundaries one message at a time, empty
# messages included (told from the EOF by SO_PASSCRED). A test skips,
# naming the package, when its peer is missing.
#
# Port discovery (no fixed ports anywhere):
#  - sockcat as a UDP listener: port 0, real port from its -v "Bound on"
#    line (start_server sets SRV_PORT).
#  - socat as a UDP server (UDP4-RECVFROM:0 / UDP6-RECVFROM:0): socat
#    1.7.4 logs "N receiving on AF=2 127.0.0.1:0", the port it asked for,
#    not the one it got. Its socket is bound when that line appears, so
#    the real port is then read from the kernel: the inode of each socket
#    the socat process holds (/proc/PID/fd) is looked up in
#    /proc/net/udp (udp6), whose local address column has the port.
#  - UNIX peers need no port: socat UNIX-LISTEN is waited for in `ss -lxH`,
#    socat UNIX-RECVFROM by its "N receiving on" line (logged after
#    bind()), a python peer by a file it writes once it listens.
#
# Peer behaviour that shapes the commands:
#  - socat's RECVFROM addresses without fork take one datagram (and then
#    act as if at EOF); with PIPE they answer it with its own bytes.
#  - socat STDIO ... UDP4-SENDTO / UNIX-SENDTO has no EOF from the socket
#    side and quits -t seconds after its stdin's EOF; the answer it waits
#    for comes at once, -t 2 only bounds the wait.
#  - socat reads a socket with a -b sized buffer (8192 by default), so it
#    gets a -b of at least 65536 wherever sockcat sends messages of up to
#    65536 bytes (sockcat's raw framing from a file); and it sends what
#    one read of -b bytes gives, so it never gets more than 65536 where it
#    sends to sockcat (sockcat's default --recv-size).

load helpers

# udp_port_of PID : the local port of the UDP socket process PID holds.
udp_port_of() {
	local fd ino hex
	for fd in /proc/"$1"/fd/*; do
		ino=$(readlink "$fd" 2>/dev/null) || continue
		[[ $ino =~ ^socket:\[([0-9]+)\]$ ]] || continue
		hex=$(awk -v i="${BASH_REMATCH[1]}" \
			'$10 == i { n = split($2, a, ":"); print a[n]; exit }' \
			/proc/net/udp /proc/net/udp6)
		if [[ -n $hex ]]; then
			echo $((16#$hex))
			return 0
		fi
	done
	return 1
}

# socat_udp_port NAME : PEER_PORT = the port of the socat UDP peer NAME
# (started with peer_bg), once socat says it is receiving.
socat_udp_port() {
	local pid
	wait_for "$BATS_TEST_TMPDIR/$1.err" 'N receiving on AF=(2|10) ' || return 1
	pid=$(pgrep -P "$PEER_PID" -x socat) || return 1
	PEER_PORT=$(udp_port_of "$pid")
	[[ $PEER_PORT =~ ^[0-9]+$ && $PEER_PORT != 0 ]]
}

# A python3 SEQPACKET client: connects to PATH, sends the payload of every
# len32 frame in FRAMES as one message (empty ones too), half-closes,
# reads until EOF.
SEQ_CLIENT=$(
	cat <<'EOF'
import socket, struct, sys
path, frames = sys.argv[1], open(sys.argv[2], "rb").read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(path)
i = 0
while i < len(frames):
    (n,) = struct.unpack(">I", frames[i:i + 4])
    m = frames[i + 4:i + 4 + n]
    assert s.send(m) == n
    i += 4 + n
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
EOF
)

# A python3 SEQPACKET server: listens on PATH, writes READY once it does,
# accepts one client, and records every message until EOF: its length, a
# line each, in SIZES, its bytes appended to DATA. With SO_PASSCRED every
# message, empty or not, comes with the sender's credentials and the EOF
# without them: a zero-length read without them is the EOF. A message
# longer than the 2 MiB buffer would show as "truncated".
SEQ_SERVER=$(
	cat <<'EOF'
import os, socket, sys
path, ready, sizes, data = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
s.listen(1)
open(ready + ".tmp", "w").close()
os.rename(ready + ".tmp", ready)
s.settimeout(10)
c, _ = s.accept()
c.settimeout(10)
c.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
with open(sizes, "w") as fs, open(data, "wb") as fd:
    while True:
        m, anc, flags, _ = c.recvmsg(2 << 20, socket.CMSG_SPACE(12))
        if not any(t == socket.SCM_CREDENTIALS for _, t, _ in anc):
            assert not m
            break
        fs.write("%d%s\n" % (len(m), " truncated" if flags & socket.MSG_TRUNC else ""))
        fd.write(m)
c.close()
os.unlink(path)
EOF
)

# --- UDP ------------------------------------------------------------------

@test "UDP: socat UDP4-RECVFROM echoes a 65507-byte datagram to a sockcat -u client" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/msg" 65507
	peer_bg peer socat -d -d -b 65536 UDP4-RECVFROM:0,bind=127.0.0.1 PIPE
	socat_udp_port peer
	run -0 io "$d/msg" "$d/got" sc -u -w 1 127.0.0.1 "$PEER_PORT"
	cmp "$d/msg" "$d/got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	grep -q "N received packet with 65507 bytes from AF=2 127.0.0.1:" "$d/peer.err"
}

@test "UDP: each line message to socat UDP4-RECVFROM,fork gets its own answer" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	printf 'alpha\nbravo\ncharlie' >"$d/req"
	printf 'ALPHA\nBRAVO\nCHARLIE\n' >"$d/want"
	# One child per datagram; each upper-cases its one message.
	peer_bg peer socat -d -d UDP4-RECVFROM:0,bind=127.0.0.1,fork SYSTEM:'tr a-z A-Z'
	socat_udp_port peer
	run -0 io "$d/req" "$d/got" sc -u --framing line -w 1 127.0.0.1 "$PEER_PORT"
	# The children answer in any order.
	sort "$d/got" | cmp "$d/want" -
	[ "$(grep -c 'N received packet with [0-9]* bytes' "$d/peer.err")" -eq 3 ]
	grep -q 'N received packet with 5 bytes' "$d/peer.err"
	grep -q 'N received packet with 7 bytes' "$d/peer.err"
}

@test "UDP: socat UDP4-SENDTO and sockcat -u -l exchange a request and an answer" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/req" 3000
	make_payload "$d/rep" 5000
	SRV_IN=$d/rep start_server srv -u -l -q 0 127.0.0.1 0
	run -0 io "$d/req" "$d/got" peer socat -t 2 STDIO "UDP4-SENDTO:127.0.0.1:$SRV_PORT"
	cmp "$d/rep" "$d/got"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$d/req" "$d/srv.out"
	grep -Eq '^Connection received on 127\.0\.0\.1 [0-9]+$' "$d/srv.err"
}

@test "UDP: socat UDP4-SENDTO sends 20000 bytes as 8192-byte datagrams to sockcat -u -l" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/up" 20000
	start_server srv -vv -u -l 127.0.0.1 0
	run -0 peer socat -u "FILE:$d/up" "UDP4-SENDTO:127.0.0.1:$SRV_PORT"
	# A datagram listener never ends by itself: wait for the bytes.
	wait_until 10 has_size "$d/srv.out" 20000
	wait_for "$d/srv.err" '^Received 3616 bytes from '
	cmp "$d/up" "$d/srv.out"
	[ "$(grep -Ec '^Received 8192 bytes from 127\.0\.0\.1 [0-9]+$' "$d/srv.err")" -eq 2 ]
	grep -Eq '^Received 3616 bytes from 127\.0\.0\.1 [0-9]+$' "$d/srv.err"
}

@test "UDP/IPv6: socat UDP6-RECVFROM on ::1 echoes to a sockcat -u client" {
	need_cmd socat
	need_ipv6
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/msg" 65527
	peer_bg peer socat -d -d -b 65536 "UDP6-RECVFROM:0,bind=[::1]" PIPE
	socat_udp_port peer
	run -0 io "$d/msg" "$d/got" sc -u -w 1 ::1 "$PEER_PORT"
	cmp "$d/msg" "$d/got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

# --- UNIX datagram ----------------------------------------------------------

@test "UNIX dgram: unbound socat UNIX-SENDTO to sockcat --unix-dgram -l, one warning" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	sockdir
	make_payload "$d/up" 10000
	start_server srv -vv --unix-dgram -l "$SOCKDIR/s"
	run -0 peer socat -u "FILE:$d/up" "UNIX-SENDTO:$SOCKDIR/s"
	wait_until 10 has_size "$d/srv.out" 10000
	wait_for "$d/srv.err" '^sockcat: messages from an unbound UNIX socket cannot be answered$'
	cmp "$d/up" "$d/srv.out"
	# 10000 bytes came as two datagrams (socat's -b 8192); warned once.
	wait_for "$d/srv.err" '^Received 1808 bytes from '
	grep -q '^Received 8192 bytes from ' "$d/srv.err"
	[ "$(grep -c '^sockcat: messages from an unbound UNIX socket cannot be answered$' "$d/srv.err")" -eq 1 ]
}

@test "UNIX dgram: socat UNIX-SENDTO,bind and sockcat --unix-dgram -l exchange a request and an answer" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	sockdir
	make_payload "$d/req" 3000
	make_payload "$d/rep" 5000
	SRV_IN=$d/rep start_server srv --unix-dgram -l -q 0 "$SOCKDIR/s"
	run -0 io "$d/req" "$d/got" peer socat -t 2 STDIO "UNIX-SENDTO:$SOCKDIR/s,bind=$SOCKDIR/c"
	cmp "$d/rep" "$d/got"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$d/req" "$d/srv.out"
	grep -Fxq "Connection received on $SOCKDIR/c" "$d/srv.err"
	[ ! -e "$SOCKDIR/s" ]
}

@test "UNIX dgram: socat UNIX-RECVFROM echoes to a sockcat --unix-dgram client" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	sockdir
	make_payload "$d/msg" 60000
	peer_bg peer socat -d -d -b 65536 "UNIX-RECVFROM:$SOCKDIR/r" PIPE
	wait_for "$d/peer.err" 'N receiving on AF=1 '
	# The answer can only reach the client at the address it bound.
	run -0 io "$d/msg" "$d/got" sc --unix-dgram -w 1 "$SOCKDIR/r"
	cmp "$d/msg" "$d/got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	grep -q 'N received packet with 60000 bytes' "$d/peer.err"
}

@test "UNIX dgram: sockcat --unix-dgram -s PATH client gets socat's answer at PATH" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	sockdir
	make_payload "$d/msg" 2000
	peer_bg peer socat -d -d "UNIX-RECVFROM:$SOCKDIR/r" PIPE
	wait_for "$d/peer.err" 'N receiving on AF=1 '
	run -0 io "$d/msg" "$d/got" sc --unix-dgram -s "$SOCKDIR/c" -w 1 "$SOCKDIR/r"
	cmp "$d/msg" "$d/got"
	grep -Fq "N receiving packet from AF=1 \"$SOCKDIR/c\"" "$d/peer.err"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	[ ! -e "$SOCKDIR/c" ]
}

# --- UNIX SEQPACKET with socat (socktype=5) ------------------------------

@test "SEQPACKET: socat UNIX-CONNECT,socktype=5 sends 1 MB to sockcat -l -U --seqpacket and gets an answer" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	sockdir
	make_payload "$d/up" 1000000
	make_payload "$d/rep" 100000
	SRV_IN=$d/rep start_server srv -vv -l -U --seqpacket "$SOCKDIR/s"
	# -b 65536: sockcat's messages (up to 65536 bytes) fit socat's buffer,
	# and socat's (what one read of the file gives) fit sockcat's.
	run -0 io "$d/up" "$d/got" peer socat -t 10 -b 65536 STDIO "UNIX-CONNECT:$SOCKDIR/s,socktype=5"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$d/up" "$d/srv.out"
	cmp "$d/rep" "$d/got"
	# 1000000 = 15 * 65536 + 16960: socat's messages arrived whole.
	[ "$(grep -c '^Received 65536 bytes from ' "$d/srv.err")" -eq 15 ]
	[ "$(grep -c '^Received 16960 bytes from ' "$d/srv.err")" -eq 1 ]
	run -1 grep -q truncated "$d/srv.err"
}

@test "SEQPACKET: sockcat -U --seqpacket sends 1 MB to socat UNIX-LISTEN,socktype=5" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	sockdir
	make_payload "$d/up" 1000000
	peer_bg peer socat -u -b 131072 "UNIX-LISTEN:$SOCKDIR/l,socktype=5" STDOUT
	wait_unix_listen "$SOCKDIR/l"
	run -0 io "$d/up" /dev/null sc -U --seqpacket "$SOCKDIR/l"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$d/up" "$d/peer.out"
}

@test "SEQPACKET: socat UNIX-LISTEN,socktype=5 echoes 1 MB back to a sockcat -U --seqpacket client" {
	need_cmd socat
	local d=$BATS_TEST_TMPDIR
	sockdir
	make_payload "$d/up" 1000000
	peer_bg peer socat -t 10 -b 131072 "UNIX-LISTEN:$SOCKDIR/l,socktype=5" PIPE
	wait_unix_listen "$SOCKDIR/l"
	run -0 io "$d/up" "$d/got" sc -U --seqpacket "$SOCKDIR/l"
	cmp "$d/up" "$d/got"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

# --- UNIX SEQPACKET boundaries with python peers ---------------------------

# seq_from_python SIZE... : the python SEQPACKET client sends one message
# of each SIZE (0 too) to sockcat -l -U --seqpacket --framing len32, which
# must write each as one len32 frame and exit 0 at the client's EOF.
seq_from_python() {
	local d=$BATS_TEST_TMPDIR
	need_cmd python3
	sockdir
	len32_frames "$d/frames" /dev/null "$@"
	start_server srv -l -U --seqpacket --framing len32 "$SOCKDIR/s"
	run -0 peer python3 -c "$SEQ_CLIENT" "$SOCKDIR/s" "$d/frames"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$d/frames" "$d/srv.out"
}

# seq_to_python SIZE... : sockcat -U --seqpacket --framing len32 sends a
# len32 frame of each SIZE (0 too); the python SEQPACKET server must get
# exactly one message per frame, of that size and with those bytes, then
# the EOF (an empty frame is not one), and sockcat must print nothing.
seq_to_python() {
	local d=$BATS_TEST_TMPDIR
	need_cmd python3
	sockdir
	len32_frames "$d/frames" "$d/raw" "$@"
	peer_bg peer python3 -c "$SEQ_SERVER" "$SOCKDIR/s" "$d/ready" "$d/sizes" "$d/data"
	wait_exists "$d/ready"
	run -0 io "$d/frames" "$d/got" sc -U --seqpacket --framing len32 "$SOCKDIR/s"
	wait_exit "$PEER_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	printf '%s\n' "$@" | cmp - "$d/sizes"
	cmp "$d/raw" "$d/data"
	[ ! -s "$d/got" ]
}

@test "SEQPACKET: python sends 1, 1400 and 65507-byte messages; sockcat -l --framing len32 writes 3 frames" {
	seq_from_python 1 1400 65507
}

@test "SEQPACKET: sockcat -U --framing len32 sends 3 frames; python receives 3 messages of 1, 1400 and 65507 bytes" {
	seq_to_python 1 1400 65507
}

@test "SEQPACKET: python sends empty messages; sockcat -l --framing len32 writes them as empty frames" {
	seq_from_python 0 5 0 1
}

@test "SEQPACKET: sockcat --framing len32 sends empty frames as empty messages, not as EOF" {
	seq_to_python 0 5 0 1
}
