#!/usr/bin/env bats
# --forward and --forward-unix: each client relayed to a new connection to a
# fixed target. Data end to end, half-close both ways, IPv6 and UNIX
# targets, bad target specs, targets that refuse, UDP, and the -v lines.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
}

# start_target ARGS... : start_server named "tgt"; sets TGT_PID, TGT_PORT.
start_target() {
	start_server tgt "$@" || return 1
	TGT_PID=$SRV_PID TGT_PORT=$SRV_PORT
}

# start_fwd ARGS... : start_server named "fwd" (-vv); sets FWD_PID, FWD_PORT.
start_fwd() {
	start_server fwd -vv "$@" || return 1
	FWD_PID=$SRV_PID FWD_PORT=$SRV_PORT
}

# peer_target ACTIONS... : tests/fixtures/peer.py listening on 127.0.0.1
# port 0 in the background; sets TGT_PID and TGT_PORT once it listens.
peer_target() {
	peer_bg target python3 "$SC_FIXTURES/peer.py" --listen 127.0.0.1 \
		--portfile "$D/target.port" "$@"
	TGT_PID=$PEER_PID
	wait_exists "$D/target.port"
	TGT_PORT=$(cat "$D/target.port")
}

# udp_cli HOST PORT MSG... : send each MSG as a datagram from one socket
# and print each reply on a line of its own; 10 s per reply at most.
udp_cli() {
	peer python3 - "$@" <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.connect((host, port))
for m in sys.argv[3:]:
    s.send(m.encode())
    print(s.recv(65536).decode())
EOF
}

# hold_port : a background python holds a TCP port on 127.0.0.1 bound but
# not listening (connecting to it is refused, and nobody else can take it);
# sets DEAD_PORT.
hold_port() {
	peer_bg hold python3 -c '
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(60)
' "$D/dead.port"
	wait_exists "$D/dead.port"
	DEAD_PORT=$(cat "$D/dead.port")
}

@test "--forward: a 4 MB upload comes back through the forwarder to an echo server" {
	make_payload "$D/in" $((4 * 1024 * 1024))
	start_target -n -l -k --echo 127.0.0.1 0
	start_fwd -n -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	sc -n 127.0.0.1 "$FWD_PORT" <"$D/in" >"$D/out"
	cmp "$D/in" "$D/out"
	# it really went to the target
	wait_for "$D/tgt.err" '^Connection received on 127\.0\.0\.1 [0-9]+$'
}

@test "--forward: concurrent clients each get their own data back" {
	start_target -n -l -k --echo 127.0.0.1 0
	start_fwd -n -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	echo_clients "$FWD_PORT" 5 $((1024 * 1024))
	[ "$(grep -c '^Connection received on ' "$D/tgt.err")" -eq 5 ]
	kill -0 "$FWD_PID"
}

@test "--forward half-close: client request, SHUT_WR; the target answers after its EOF" {
	make_payload "$D/req" $((512 * 1024))
	make_payload "$D/reply" $((2 * 1024 * 1024))
	peer_target recv-all:"$D/target.got" send:"$D/reply" close
	start_fwd -n -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	# sockcat sends its stdin, shuts down its sending side, reads to EOF
	run -0 io "$D/req" "$D/out" sc -n 127.0.0.1 "$FWD_PORT"
	cmp "$D/req" "$D/target.got"
	cmp "$D/reply" "$D/out"
	wait_exit "$TGT_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

@test "--forward half-close: the target's greeting and EOF, then the client still sends" {
	make_payload "$D/greeting" $((256 * 1024))
	make_payload "$D/data" $((1024 * 1024))
	peer_target send:"$D/greeting" shut-wr recv-all:"$D/target.got" close
	start_fwd -n -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	# the client reads the greeting to its EOF, only then sends
	run -0 peer python3 "$SC_FIXTURES/peer.py" --connect 127.0.0.1 "$FWD_PORT" \
		recv-all:"$D/cli.got" send:"$D/data" shut-wr recv-all:"$D/cli.after"
	cmp "$D/greeting" "$D/cli.got"
	has_size "$D/cli.after" 0
	wait_exit "$TGT_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/data" "$D/target.got"
}

@test "--forward '[::1]:PORT': an IPv6 target" {
	need_ipv6
	make_payload "$D/in" $((1024 * 1024))
	start_target -n -l -k --echo ::1 0
	start_fwd -n -l -k --forward "[::1]:$TGT_PORT" 127.0.0.1 0
	sc -n 127.0.0.1 "$FWD_PORT" <"$D/in" >"$D/out"
	cmp "$D/in" "$D/out"
	wait_for "$D/tgt.err" '^Connection received on ::1 [0-9]+$'
}

@test "--forward-unix PATH: a UNIX stream echo server as the target" {
	sockdir
	make_payload "$D/in" $((1024 * 1024))
	start_target -l -k -U --echo "$SOCKDIR/echo"
	start_fwd -n -l -k --forward-unix "$SOCKDIR/echo" 127.0.0.1 0
	sc -n 127.0.0.1 "$FWD_PORT" <"$D/in" >"$D/out"
	cmp "$D/in" "$D/out"
	wait_for "$D/tgt.err" "^Connection received on $SOCKDIR/echo\$"
}

@test "bad --forward targets and --forward without -l are usage errors" {
	usage_row 'forward' -l -k --forward 1.2.3.4 127.0.0.1 0
	usage_row 'forward' -l -k --forward ::1:80 127.0.0.1 0
	usage_row 'forward' -l -k --forward '[::1]80' 127.0.0.1 0
	usage_row 'forward' -l -k --forward '[::1:80' 127.0.0.1 0
	usage_row 'forward' -l -k --forward 127.0.0.1:99999 127.0.0.1 0
	usage_row 'forward' -l -k --forward 127.0.0.1: 127.0.0.1 0
	usage_row 'forward' -l -k --forward :80 127.0.0.1 0
	usage_row 'forward' --forward 127.0.0.1:80 127.0.0.1 80
	usage_row 'forward' --forward-unix /tmp/sc-none 127.0.0.1 80
	usage_row '.' -l -k --forward 127.0.0.1:80 --echo 127.0.0.1 0
	usage_row '.' -l -k --forward 127.0.0.1:80 -d 127.0.0.1 0
	rows_done
}

@test "--forward to a port that refuses: the client is closed, the forwarder says so and goes on" {
	hold_port
	start_fwd -n -l -k --forward "127.0.0.1:$DEAD_PORT" 127.0.0.1 0
	local n
	for n in 1 2; do
		run -0 --separate-stderr sc -n 127.0.0.1 "$FWD_PORT" </dev/null
		assert_equal "$output" ""
		wait_until 10 eval '[ "$(grep -cx "sockcat: connect to 127\.0\.0\.1 port $DEAD_PORT (tcp): Connection refused" "$D/fwd.err")" -eq '$n' ]'
	done
	kill -0 "$FWD_PID"
	[ -n "$(sc_child "$FWD_PID")" ]
}

@test "--forward-unix to a path nobody serves yet: client 1 is closed, client 2 gets through once a server is there" {
	sockdir
	local path=$SOCKDIR/later
	start_fwd -n -l -k --forward-unix "$path" 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$FWD_PORT" </dev/null
	assert_equal "$output" ""
	wait_for "$D/fwd.err" "^sockcat: connect to $path \(unix\): No such file or directory\$"
	kill -0 "$FWD_PID"
	start_target -l -k -U --echo "$path"
	run -0 --separate-stderr sc -n 127.0.0.1 "$FWD_PORT" <<<"through at last"
	assert_equal "$output" "through at last"
}

@test "-u --forward: datagrams go through the forwarder to a UDP echo server and back" {
	start_target -n -u -l -k --echo 127.0.0.1 0
	start_fwd -n -u -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	run -0 udp_cli 127.0.0.1 "$FWD_PORT" one two three
	assert_output $'one\ntwo\nthree'
	# a second sender gets its own replies
	run -0 udp_cli 127.0.0.1 "$FWD_PORT" other
	assert_output other
	wait_for "$D/tgt.err" '^Connection received on 127\.0\.0\.1 [0-9]+$'
	[ "$(grep -c '^Connection received on 127\.0\.0\.1 ' "$D/fwd.err")" -eq 2 ]
}

@test "the forwarder's -v lines: Connection received on / closed on, with byte counts at -vv" {
	start_target -n -l -k --echo 127.0.0.1 0
	start_fwd -n -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	make_payload "$D/in" 100000
	peer python3 "$SC_FIXTURES/peer.py" --connect 127.0.0.1 "$FWD_PORT" info:"$D/cport" send:"$D/in" shut-wr recv-all:"$D/out"
	cmp "$D/in" "$D/out"
	local cport
	cport=$(cut -d' ' -f4 "$D/cport")
	wait_for "$D/fwd.err" "^Connection closed on 127\.0\.0\.1 $cport"
	run grep -E "^Connection (received|closed) on " "$D/fwd.err"
	assert_output "Connection received on 127.0.0.1 $cport
Connection closed on 127.0.0.1 $cport, 100000 bytes received, 100000 bytes sent"
	# at -v, the closed line alone
	start_server fwd1 -n -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	peer python3 "$SC_FIXTURES/peer.py" --connect 127.0.0.1 "$SRV_PORT" info:"$D/cport1" send:"$D/in" shut-wr recv-all:"$D/out1"
	cport=$(cut -d' ' -f4 "$D/cport1")
	wait_for "$D/fwd1.err" "^Connection closed on 127\.0\.0\.1 $cport"
	run grep -E "^Connection (received|closed) on " "$D/fwd1.err"
	assert_output "Connection received on 127.0.0.1 $cport
Connection closed on 127.0.0.1 $cport"
}

# --- leaks ---------------------------------------------------------------------

@test "3,000 sequential clients through --forward: no descriptor leaked, RSS flat" {
	local fpid tpid fbefore tbefore mark end
	start_target -n -l -k --echo 127.0.0.1 0
	tpid=$(sc_child "$TGT_PID")
	# Under AddressSanitizer freed memory waits in a quarantine and would
	# look like growth; without one, RSS means what it says.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
		start_fwd -n -l -k --forward "127.0.0.1:$TGT_PORT" 127.0.0.1 0
	fpid=$(sc_child "$FWD_PID")
	[[ -n $fpid && -n $tpid ]]
	fbefore=$(fd_count "$fpid")
	tbefore=$(fd_count "$tpid")
	run -0 peer python3 "$SC_FIXTURES/seqconn.py" --shut --eof "$FWD_PORT" \
		"$fpid" 3000 500
	mark=$(sed -n 's/^mark //p' <<<"$output")
	end=$(sed -n 's/^end //p' <<<"$output")
	((end - mark <= 2048)) || fail "VmRSS grew from $mark kB to $end kB over 2,500 connections"
	# the last closes may still be on their way
	wait_until 10 fd_is "$fpid" "$fbefore"
	wait_until 10 fd_is "$tpid" "$tbefore"
	kill -0 "$FWD_PID"
	[ "$(grep -c '^Connection received on ' "$D/fwd.err")" -eq 3000 ]
}
