#!/usr/bin/env bats
# More of the sockets API on the command line (issue 4), where
# sockapi.bats and sockopt.bats do not look: -vv read-back of options on
# TCP over IPv4 and IPv6 and on accepted sockets, --reuseport, --freebind
# and --bind-device seen working (in a network namespace the test makes),
# --backlog in the trace, kernel refusals (exit 1); --peek, urgent data and
# the send/recv flags in connect mode and on message sockets; descriptor
# passing both ways with Python's send_fds/recv_fds, the bytes read
# through the passed descriptor compared; peer credentials of a Python
# peer and of a peer running under another uid.

load helpers

# --- local helpers ----------------------------------------------------------

setup() {
	D=$BATS_TEST_TMPDIR
}

# peer_done : the background peer (peer_bg) ends with status 0.
peer_done() {
	wait_exit "$PEER_PID"
	((WAIT_STATUS == 0)) || {
		echo "peer exit $WAIT_STATUS; stderr:"
		cat "$D/py.err"
		return 1
	}
}

# py_first NAME : the first line (a port, or "ready") a Python peer NAME
# printed, once it is there.
py_first() {
	wait_for "$D/$1.out" '^[0-9a-z]+$' || return 1
	head -n 1 "$D/$1.out"
}

# vv_lines FILE : the "Option ..." lines of FILE, in order.
vv_lines() {
	grep '^Option ' "$1" || true
}

# tcp_vv_client ARGS... : a TCP listener (start_server srv -l -k) on
# $HOST (default 127.0.0.1), then "sockcat -vv ARGS HOST PORT" with stdin
# /dev/null, exit 0 required; its stderr in $D/cli.err.
tcp_vv_client() {
	local host=${HOST:-127.0.0.1}
	if [[ -z ${SRV_PORT:-} ]]; then
		start_server srv -l -k -d "$host" 0 || return 1
	fi
	sc "$@" -vv "$host" "$SRV_PORT" </dev/null >"$D/cli.out" 2>"$D/cli.err" || {
		echo "sockcat -vv $* $host $SRV_PORT: exit $?"
		cat "$D/cli.err"
		return 1
	}
}

# in_netns SCRIPT : run the bash SCRIPT in a new network namespace with lo
# up, after NS_PRELUDE; $D and $SOCKCAT are in its environment. Skips
# when no namespace can be made. The script's output goes to $D/ns.log.
in_netns() {
	need_cmd unshare util-linux
	need_cmd ip iproute2
	local e
	e=$(timeout 10 unshare --net true 2>&1) ||
		skip "cannot create a network namespace (unshare --net): $e"
	D=$D SOCKCAT=$SOCKCAT timeout -k 2 40 unshare --net \
		bash -c "$NS_PRELUDE"$'\n'"$1" </dev/null >"$D/ns.log" 2>&1 3>&-
}

# ns_failed STATUS : the namespace script failed: show its log; skip if
# it could not make a veth link (97), else fail.
ns_failed() {
	cat "$D/ns.log"
	(($1 != 97)) || skip "veth links are not available in this kernel"
	fail "namespace script: exit $1"
}

# The start of every namespace script: lo up; nsc ARGS (sockcat under
# timeout); nsc_bg NAME ARGS (in the background, killed when the script
# ends, waits for its "Listening on" line and sets PORT).
NS_PRELUDE=$(
	cat <<'EOF'
set -u
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait' EXIT
ip link set lo up || exit 99
nsc() {
	timeout -k 2 10 "$SOCKCAT" "$@"
}
nsc_bg() {
	local name=$1 i
	shift
	: >"$D/$name.err"
	timeout -k 2 20 "$SOCKCAT" -v "$@" </dev/null >"$D/$name.out" 2>"$D/$name.err" &
	PIDS+=($!)
	for ((i = 0; i < 500; i++)); do
		PORT=$(sed -En 's/^(Listening|Bound) on .* ([0-9]+)$/\2/p' "$D/$name.err")
		[[ -n $PORT ]] && return 0
		sleep 0.02
	done
	echo "no Listening or Bound line from $name" >&2
	exit 98
}
EOF
)

# --- 1. -vv read-back and where each option is set ----------------------------

@test "-vv: a TCP client's options, each read back once as the kernel has it" {
	tcp_vv_client -T cs1 --mss 1200 --keepalive=11,12,13 --freebind --quickack \
	    --linger 0 --user-timeout 1234 --rcvlowat 9 -O 1M
	vv_lines "$D/cli.err" | sort >"$D/got"
	local sndbuf max
	max=$(cat /proc/sys/net/core/wmem_max)
	sndbuf=$((2 * (max < 1048576 ? max : 1048576)))
	sort >"$D/want" <<EOF
Option IPPROTO_IP IP_FREEBIND: the kernel has 1
Option IPPROTO_IP IP_TOS: the kernel has 32
Option IPPROTO_TCP TCP_KEEPCNT: the kernel has 13
Option IPPROTO_TCP TCP_KEEPIDLE: the kernel has 11
Option IPPROTO_TCP TCP_KEEPINTVL: the kernel has 12
Option IPPROTO_TCP TCP_MAXSEG: the kernel has 1200
Option IPPROTO_TCP TCP_QUICKACK: the kernel has 1
Option IPPROTO_TCP TCP_USER_TIMEOUT: the kernel has 1234
Option SOL_SOCKET SO_KEEPALIVE: the kernel has 1
Option SOL_SOCKET SO_LINGER: the kernel has on, 0 s
Option SOL_SOCKET SO_RCVLOWAT: the kernel has 9
Option SOL_SOCKET SO_SNDBUF: the kernel has $sndbuf
EOF
	diff "$D/want" "$D/got"
}

@test "-vv: --keepalive alone sets SO_KEEPALIVE only; =,,5 only the count" {
	tcp_vv_client --keepalive
	run vv_lines "$D/cli.err"
	assert_output "Option SOL_SOCKET SO_KEEPALIVE: the kernel has 1"
	tcp_vv_client --keepalive=,,5
	run vv_lines "$D/cli.err"
	assert_output "Option SOL_SOCKET SO_KEEPALIVE: the kernel has 1
Option IPPROTO_TCP TCP_KEEPCNT: the kernel has 5"
}

@test "-vv: -T keywords on a TCP socket over IPv4 are IP_TOS" {
	local t want
	while read -r t want; do
		tcp_vv_client -T "$t"
		run vv_lines "$D/cli.err"
		[[ $output == "Option IPPROTO_IP IP_TOS: the kernel has $want" ]] ||
			fail "-T $t: want $want, got: $output"
	done <<'EOF'
lowdelay 16
af11 40
cs1 32
ef 184
critical 160
netcontrol 224
EOF
}

@test "-vv: -T keywords on a TCP socket over IPv6 (::1) are IPV6_TCLASS" {
	need_ipv6
	local t want
	while read -r t want; do
		HOST=::1 tcp_vv_client -T "$t"
		run vv_lines "$D/cli.err"
		[[ $output == "Option IPPROTO_IPV6 IPV6_TCLASS: the kernel has $want" ]] ||
			fail "-T $t: want $want, got: $output"
	done <<'EOF'
lowdelay 16
af11 40
cs1 32
ef 184
EOF
}

@test "-vv: -M and -m on TCP: IP_TTL/IP_MINTTL on IPv4, IPV6_UNICAST_HOPS/IPV6_MINHOPCOUNT on ::1" {
	tcp_vv_client -M 17 -m 5
	vv_lines "$D/cli.err" | sort >"$D/got"
	diff - "$D/got" <<'EOF'
Option IPPROTO_IP IP_MINTTL: the kernel has 5
Option IPPROTO_IP IP_TTL: the kernel has 17
EOF
	need_ipv6
	SRV_PORT='' HOST=::1 tcp_vv_client --ttl 200 --min-ttl 1
	vv_lines "$D/cli.err" | sort >"$D/got"
	diff - "$D/got" <<'EOF'
Option IPPROTO_IPV6 IPV6_MINHOPCOUNT: the kernel has 1
Option IPPROTO_IPV6 IPV6_UNICAST_HOPS: the kernel has 200
EOF
}

@test "-vv: --congestion reno and cubic read back as the algorithm's name" {
	local cc list n=0
	list=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)
	for cc in reno cubic; do
		[[ " $list " == *" $cc "* ]] || continue
		n=$((n + 1))
		tcp_vv_client --congestion "$cc"
		run vv_lines "$D/cli.err"
		assert_output "Option IPPROTO_TCP TCP_CONGESTION: the kernel has \"$cc\""
	done
	((n > 0)) || skip "neither reno nor cubic in tcp_available_congestion_control: $list"
}

@test "-vv: a listener reads its options back, then again for the accepted socket" {
	start_server srv -l -vv -I 64K --nodelay --priority 5 127.0.0.1 0
	run -0 sc 127.0.0.1 "$SRV_PORT" </dev/null
	server_done
	# Three readbacks on the listener before "Listening on", the same
	# three on the accepted socket before "Connection received on".
	local want
	want=$(printf '%s\n' \
	    "Option SOL_SOCKET SO_RCVBUF: the kernel has 131072" \
	    "Option IPPROTO_TCP TCP_NODELAY: the kernel has 1" \
	    "Option SOL_SOCKET SO_PRIORITY: the kernel has 5" | sort)
	diff <(echo "$want") <(sed -n '/^Listening on /q;p' "$D/srv.err" | vv_lines /dev/stdin | sort)
	diff <(echo "$want") <(sed -n '/^Listening on /,/^Connection received on /p' "$D/srv.err" |
	    vv_lines /dev/stdin | sort)
}

@test "-vv: --mark on UDP and on a listener reads back (root)" {
	((EUID == 0)) || skip "--mark needs CAP_NET_ADMIN"
	start_server srv -u -l -d 127.0.0.1 0
	run -0 --separate-stderr sc -u -q 0 -vv --mark 0x2a 127.0.0.1 "$SRV_PORT" </dev/null
	[[ $'\n'$stderr$'\n' == *$'\n'"Option SOL_SOCKET SO_MARK: the kernel has 42"$'\n'* ]]
	start_server srv2 -l -vv --mark 77 127.0.0.1 0
	grep -Fx "Option SOL_SOCKET SO_MARK: the kernel has 77" "$D/srv2.err"
}

@test "--backlog N reaches listen() in the trace; the default is 128" {
	start_server srv -l -d --backlog 3 --trace="$D/t1" 127.0.0.1 0
	grep -Eq '^[0-9.]+ listen\([0-9]+, 3\) = 0$' "$D/t1"
	start_server srv2 -l -d --trace="$D/t2" 127.0.0.1 0
	grep -Eq '^[0-9.]+ listen\([0-9]+, 128\) = 0$' "$D/t2"
	need_ipv6
	start_server srv3 -l -d --backlog 1000 --trace="$D/t3" ::1 0
	grep -Eq '^[0-9.]+ listen\([0-9]+, 1000\) = 0$' "$D/t3"
}

@test "trace: --quickack is set after connect, --defer-accept and --fastopen before listen" {
	start_server srv -l --defer-accept 2 --fastopen --trace="$D/lt" 127.0.0.1 0
	printf hi >"$D/in"
	run -0 sc --quickack --trace="$D/ct" 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	cmp "$D/in" "$D/srv.out"
	# The line numbers of the calls in each trace.
	local q c d f l
	c=$(grep -n ' connect(' "$D/ct" | head -n 1 | cut -d: -f1)
	q=$(grep -n 'setsockopt([0-9]*, IPPROTO_TCP, TCP_QUICKACK, 1) = 0' "$D/ct" | cut -d: -f1)
	[[ -n $c && -n $q ]] || fail "no connect or TCP_QUICKACK in the trace: $(cat "$D/ct")"
	((q > c))
	d=$(grep -n 'setsockopt([0-9]*, IPPROTO_TCP, TCP_DEFER_ACCEPT, 2) = 0' "$D/lt" | cut -d: -f1)
	f=$(grep -n 'setsockopt([0-9]*, IPPROTO_TCP, TCP_FASTOPEN, 16) = 0' "$D/lt" | cut -d: -f1)
	l=$(grep -n ' listen(' "$D/lt" | cut -d: -f1)
	[[ -n $d && -n $f && -n $l ]] || fail "trace: $(cat "$D/lt")"
	((d < l && f < l))
}

@test "--reuseport: a second listener on the same port binds only when both ask" {
	start_server srv -l -k -d --reuseport 127.0.0.1 0
	local port=$SRV_PORT
	start_server srv2 -l -k -d --reuseport 127.0.0.1 "$port"
	[[ $SRV_PORT == "$port" ]]
	# Without it, the bind fails: exit 1, saying so.
	run -1 --separate-stderr sc -l -d 127.0.0.1 "$port" </dev/null
	[[ $stderr == *"Address already in use"* ]]
	# Both listeners are there.
	run -0 ss -ltnH "( sport = :$port )"
	((${#lines[@]} == 2))
}

# --- 2. options seen working in a network namespace ----------------------------

@test "netns: --bind-device lo connects over lo; bound to a veth, 127.0.0.1 is unreachable (exit 4)" {
	in_netns '
		ip link add v0 type veth peer name v1 || exit 97
		ip link set v0 up && ip link set v1 up && ip addr add 10.1.1.1/24 dev v0 || exit 96
		nsc_bg srv -l -k -d 127.0.0.1 0
		printf hi | nsc -vv --bind-device lo 127.0.0.1 "$PORT" >"$D/lo.out" 2>"$D/lo.err"
		echo "lo $?"
		nsc --bind-device v0 127.0.0.1 "$PORT" </dev/null >"$D/v0.out" 2>"$D/v0.err"
		echo "v0 $?"
		nsc --sockopt SOL_SOCKET:SO_BINDTODEVICE=v0 127.0.0.1 "$PORT" </dev/null 2>"$D/so.err"
		echo "sockopt $?"
	' || ns_failed $?
	cat "$D/ns.log"
	run cat "$D/ns.log"
	assert_output "lo 0
v0 4
sockopt 4"
	grep -Fx 'Option SOL_SOCKET SO_BINDTODEVICE: the kernel has "lo"' "$D/lo.err"
	printf hi | cmp - "$D/srv.out"
	grep -Eq '^sockcat: connect to 127\.0\.0\.1 port [0-9]+ \(tcp\): No route to host$' "$D/v0.err"
	grep -Eq '^sockcat: connect to 127\.0\.0\.1 port [0-9]+ \(tcp\): No route to host$' "$D/so.err"
}

@test "netns: a listener with --bind-device is seen by ss as bound to it; others refuse" {
	in_netns '
		ip link add v0 type veth peer name v1 || exit 97
		ip link set v0 up && ip link set v1 up && ip addr add 10.1.1.1/24 dev v0 || exit 96
		nsc_bg srv -l -k -d --bind-device v0 0.0.0.0 0
		ss -ltnH >"$D/ss"
		nsc 127.0.0.1 "$PORT" </dev/null 2>"$D/cli.err"
		echo "v0-listener $?"
		nsc_bg srv2 -l -k -d --bind-device lo 127.0.0.1 0
		ss -ltnH >>"$D/ss"
		nsc 127.0.0.1 "$PORT" </dev/null 2>"$D/cli2.err"
		echo "lo-listener $?"
	' || ns_failed $?
	cat "$D/ns.log" "$D/ss"
	run cat "$D/ns.log"
	assert_output "v0-listener 4
lo-listener 0"
	grep -Eq '^LISTEN .* 0\.0\.0\.0%v0:[0-9]+ ' "$D/ss"
	grep -Eq '^LISTEN .* 127\.0\.0\.1%lo:[0-9]+ ' "$D/ss"
	grep -Eq '^sockcat: connect to 127\.0\.0\.1 port [0-9]+ \(tcp\): Connection refused$' "$D/cli.err"
}

@test "netns: --bind-device to an interface that does not exist: exit 1 naming the option" {
	in_netns '
		nsc --bind-device nosuch0 127.0.0.1 9 </dev/null >"$D/c.out" 2>"$D/c.err"
		echo "client $?"
		nsc -l --bind-device nosuch0 127.0.0.1 0 </dev/null >"$D/l.out" 2>"$D/l.err"
		echo "listener $?"
		nsc -u --bind-device nosuch0 127.0.0.1 9 </dev/null >"$D/u.out" 2>"$D/u.err"
		echo "udp $?"
	' || ns_failed $?
	run cat "$D/ns.log"
	assert_output "client 1
listener 1
udp 1"
	local f
	for f in c l u; do
		[[ ! -s $D/$f.out ]]
		run cat "$D/$f.err"
		assert_output --regexp '^sockcat: setsockopt SO_BINDTODEVICE nosuch0.*: No such device$'
	done
}

@test "netns: --freebind lets a listener bind an address the host does not have" {
	in_netns '
		nsc -l 10.9.9.9 0 </dev/null >/dev/null 2>"$D/plain.err"
		echo "plain $?"
		nsc_bg srv -l -k --freebind 10.9.9.9 0
		echo "freebind tcp ok"
		nsc_bg srvu -u -l --freebind 10.9.9.9 0
		ss -ltnH >"$D/ss"
		ss -lunH >"$D/ssu"
	' || ns_failed $?
	cat "$D/ns.log"
	run cat "$D/ns.log"
	assert_output "plain 1
freebind tcp ok"
	grep -Fx 'sockcat: bind on 10.9.9.9 port 0 (tcp): Cannot assign requested address' "$D/plain.err"
	grep -Eq '^Listening on 10\.9\.9\.9 [0-9]+$' "$D/srv.err"
	grep -Eq '^Bound on 10\.9\.9\.9 [0-9]+$' "$D/srvu.err"
	grep -Eq '^LISTEN .* 10\.9\.9\.9:[0-9]+ ' "$D/ss"
	grep -Eq '^UNCONN .* 10\.9\.9\.9:[0-9]+ ' "$D/ssu"
}

# --- 3. --sockopt on UDP and UNIX, and what the kernel refuses ----------------

@test "--sockopt on UDP: symbolic and numeric, integer, boolean, 1M and string values (-vv)" {
	start_server srv -u -l -k -d 127.0.0.1 0
	local val want sndbuf max
	max=$(cat /proc/sys/net/core/wmem_max)
	sndbuf=$((2 * (max < 1048576 ? max : 1048576)))
	while read -r val want; do
		want=${want//@SNDBUF@/$sndbuf}
		run -0 --separate-stderr sc -u -q 0 -vv --sockopt "$val" 127.0.0.1 "$SRV_PORT" </dev/null
		run vv_lines <(printf '%s\n' "$stderr")
		[[ $output == "$want" ]] || fail "--sockopt $val: want \"$want\", got: $output"
	done <<'EOF'
SOL_SOCKET:SO_SNDBUF=1M Option SOL_SOCKET SO_SNDBUF: the kernel has @SNDBUF@
1:7=1M Option SOL_SOCKET SO_SNDBUF: the kernel has @SNDBUF@
SOL_SOCKET:SO_BROADCAST=yes Option SOL_SOCKET SO_BROADCAST: the kernel has 1
1:6=1 Option SOL_SOCKET SO_BROADCAST: the kernel has 1
IPPROTO_IP:IP_TOS=0x10 Option IPPROTO_IP IP_TOS: the kernel has 16
0:1=16 Option IPPROTO_IP IP_TOS: the kernel has 16
0:2=9 Option IPPROTO_IP IP_TTL: the kernel has 9
SOL_SOCKET:SO_PRIORITY=6 Option SOL_SOCKET SO_PRIORITY: the kernel has 6
SOL_SOCKET:SO_LINGER=3 Option SOL_SOCKET SO_LINGER: the kernel has on, 3 s
IPPROTO_UDP:UDP_CORK=off Option IPPROTO_UDP UDP_CORK: the kernel has 0
SOL_SOCKET:SO_BINDTODEVICE=lo Option SOL_SOCKET SO_BINDTODEVICE: the kernel has "lo"
1:25=lo Option SOL_SOCKET SO_BINDTODEVICE: the kernel has "lo"
EOF
}

@test "--sockopt on a UNIX stream: SOL_SOCKET values read back, an IP level is a usage error" {
	sockdir
	start_server srv -l -k -U "$SOCKDIR/s"
	run -0 --separate-stderr sc -vv --sockopt 1:7=64K --sockopt SOL_SOCKET:SO_RCVBUF=48K -U "$SOCKDIR/s" </dev/null
	run vv_lines <(printf '%s\n' "$stderr")
	assert_output "Option SOL_SOCKET SO_SNDBUF: the kernel has 131072
Option SOL_SOCKET SO_RCVBUF: the kernel has 98304"
	usage_row 'IPPROTO_IP:IP_TTL=5 does not apply to unix sockets' \
	    --sockopt IPPROTO_IP:IP_TTL=5 -U "$SOCKDIR/s"
	usage_row 'does not apply to unix' --sockopt 6:3=1 -U "$SOCKDIR/s"
	rows_done
}

@test "kernel refusals: exit 1, one line naming the option as given, the socket closed unused" {
	local args want
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr sc --trace="$D/t" $args </dev/null
		[[ $stderr == "$want" ]] || fail "sockcat $args: want \"$want\", got \"$stderr\""
		[[ -z $output ]]
		# The refused call is in the trace, and no connect, bind or
		# send follows it.
		grep -Eq '^[0-9.]+ setsockopt\(.*\) = -1 E[A-Z]+ ' "$D/t" || fail "$args: no failed setsockopt in the trace"
		! grep -Eq ' (connect|listen|send|sendmsg)\(' "$D/t" || fail "$args: the socket was used: $(cat "$D/t")"
	done <<'EOF'
--sockopt 6:13=nosuchalgo 127.0.0.1 9|sockcat: setsockopt 6:13=nosuchalgo: No such file or directory
--sockopt IPPROTO_TCP:TCP_MAXSEG=10 127.0.0.1 9|sockcat: setsockopt IPPROTO_TCP:TCP_MAXSEG=10: Invalid argument
-u --sockopt IPPROTO_IP:IP_TTL=0 127.0.0.1 9|sockcat: setsockopt IPPROTO_IP:IP_TTL=0: Invalid argument
-U --sockopt SOL_SOCKET:SO_BINDTODEVICE=nosuch0 /nonexistent/s|sockcat: setsockopt SOL_SOCKET:SO_BINDTODEVICE=nosuch0: No such device
EOF
	# out of the option's range: refused before any socket, exit 2
	run -2 --separate-stderr sc --trace="$D/t2" -u --sockopt 0:2=256 127.0.0.1 9 </dev/null
	[[ ${stderr_lines[0]} == 'sockcat: --sockopt "0:2=256": IP_TTL wants -1 to 255, not "256"' ]]
	[[ ! -s $D/t2 ]]
}

# --- 4. --peek in connect mode -----------------------------------------------

@test "peek: a UDP client peeks the first reply (real length 1400, 16 shown), stdout gets both once" {
	make_payload "$D/m1" 1400
	make_payload "$D/m2" 100
	cat "$D/m1" "$D/m2" >"$D/want"
	pyfile udpsrv <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(20)
q, peer = s.recvfrom(100)
sys.stderr.write("query %r\n" % q)
for f in sys.argv[1:]:
    s.sendto(open(f, "rb").read(), peer)
EOF
	peer_bg py python3 "$D/udpsrv.py" "$D/m1" "$D/m2"
	local port
	port=$(py_first py)
	printf 'q' >"$D/q"
	run -0 sc_out "$D/cli.out" -u --peek=16 127.0.0.1 "$port" <"$D/q"
	printf '%s\n' "$output" >"$D/cli.err"
	peer_done
	grep -Fx "query b'q'" "$D/py.err"
	peek_is "$D/cli.err" "Peek at 127.0.0.1 $port: a message of 1400 bytes, 16 shown, not consumed:" "$D/m1" 16
	cmp "$D/want" "$D/cli.out"
}

@test "peek: a SEQPACKET client peeks the first message (300 bytes), stdout gets both once" {
	sockdir
	make_payload "$D/m1" 300
	make_payload "$D/m2" 50
	cat "$D/m1" "$D/m2" >"$D/want"
	pyfile sqsrv <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
for f in sys.argv[2:]:
    c.send(open(f, "rb").read())
c.shutdown(socket.SHUT_WR)
c.settimeout(20)
while c.recv(100):
    pass
EOF
	peer_bg py python3 "$D/sqsrv.py" "$SOCKDIR/s" "$D/m1" "$D/m2"
	py_first py >/dev/null
	run -0 sc_out "$D/cli.out" --seqpacket --peek=16 -U "$SOCKDIR/s" </dev/null
	printf '%s\n' "$output" >"$D/cli.err"
	peer_done
	peek_is "$D/cli.err" "Peek at $SOCKDIR/s: a message of 300 bytes, 16 shown, not consumed:" "$D/m1" 16
	cmp "$D/want" "$D/cli.out"
}

@test "peek: interop: sockcat -U --peek against a socat UNIX-LISTEN server sending a file" {
	need_cmd socat
	sockdir
	make_payload "$D/in" 5000
	peer_bg socat socat -u "FILE:$D/in" "UNIX-LISTEN:$SOCKDIR/s"
	wait_unix_listen "$SOCKDIR/s"
	run -0 sc_out "$D/cli.out" --peek=32 -U "$SOCKDIR/s" </dev/null
	printf '%s\n' "$output" >"$D/cli.err"
	wait_exit "$PEER_PID"
	((WAIT_STATUS == 0))
	peek_is "$D/cli.err" "Peek at $SOCKDIR/s: 32 bytes, not consumed:" "$D/in" 32
	cmp "$D/in" "$D/cli.out"
}

@test "peek: sending goes on while the client waits: the server speaks only after 100000 bytes" {
	make_payload "$D/in" 100000
	pyfile late <<'EOF'
import hashlib, socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.settimeout(20)
got = b""
while len(got) < 100000:
    d = c.recv(65536)
    if not d:
        break
    got += d
c.sendall(b"GREETING " + hashlib.sha256(got).hexdigest().encode() + b"\n")
while True:
    d = c.recv(65536)
    if not d:
        break
    got += d
c.close()
sys.stderr.write("total %d\n" % len(got))
EOF
	peer_bg py python3 "$D/late.py"
	local port
	port=$(py_first py)
	run -0 sc_out "$D/cli.out" --peek=9 127.0.0.1 "$port" <"$D/in"
	printf '%s\n' "$output" >"$D/cli.err"
	peer_done
	grep -Fx "total 100000" "$D/py.err"
	printf 'GREETING %s\n' "$(sha256sum <"$D/in" | cut -d' ' -f1)" >"$D/want"
	cmp "$D/want" "$D/cli.out"
	peek_is "$D/cli.err" "Peek at 127.0.0.1 $port: 9 bytes, not consumed:" "$D/want" 9
}

@test "peek: a server that sends nothing: no dump, empty stdout, exit 0" {
	start_server srv -l 127.0.0.1 0
	printf 'abc' >"$D/in"
	run -0 sc_out "$D/cli.out" --peek 127.0.0.1 "$SRV_PORT" <"$D/in"
	server_done
	[[ $output != *Peek* ]]
	[[ ! -s $D/cli.out ]]
	cmp "$D/in" "$D/srv.out"
}

# --- 5. urgent data received in connect mode ----------------------------------

@test "oob: the server sends --oob, the client reports the byte and its offset; stdout lacks it" {
	printf abcdefghij >"$D/in"
	SRV_IN=$D/in start_server srv -l --oob '\x03' --oob-after 4 127.0.0.1 0
	run -0 sc_out "$D/cli.out" 127.0.0.1 "$SRV_PORT" </dev/null
	server_done
	assert_output "urgent data: 0x03 at offset 4"
	cmp "$D/in" "$D/cli.out"
}

@test "oob: --oob-after 0 sends the byte first: offset 0" {
	printf abcdefghij >"$D/in"
	SRV_IN=$D/in start_server srv -l --oob '\x05' --oob-after 0 127.0.0.1 0
	run -0 sc_out "$D/cli.out" 127.0.0.1 "$SRV_PORT" </dev/null
	server_done
	assert_output "urgent data: 0x05 at offset 0"
	cmp "$D/in" "$D/cli.out"
}

@test "oob: a client with --oob-inline keeps the server's urgent byte in the stream" {
	printf abcdefghij >"$D/in"
	printf 'abcd\377efghij' >"$D/want"
	SRV_IN=$D/in start_server srv -l --oob '\377' --oob-after 4 127.0.0.1 0
	run -0 sc_out "$D/cli.out" --oob-inline -vv 127.0.0.1 "$SRV_PORT" </dev/null
	server_done
	cmp "$D/want" "$D/cli.out"
	[[ $output != *urgent* ]]
	[[ $'\n'$output$'\n' == *$'\n''Option SOL_SOCKET SO_OOBINLINE: the kernel has 1'$'\n'* ]]
}

@test "oob: a Python server's two urgent bytes reach a sockcat client, each with its offset" {
	pyfile oobsend <<'EOF'
import os, socket, sys, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def wait_line(path, text):
    deadline = time.time() + 20
    while True:
        try:
            if text in open(path).read():
                return
        except FileNotFoundError:
            pass
        if time.time() > deadline:
            sys.exit("no %r in %s" % (text, path))
        time.sleep(0.01)
c.sendall(b"abc")
c.send(b"A", socket.MSG_OOB)
# A second urgent byte would replace the first if it came before
# sockcat read it: wait for the report.
wait_line(sys.argv[1], "urgent data: 0x41")
c.sendall(b"def")
c.send(b"B", socket.MSG_OOB)
c.sendall(b"ghi")
c.shutdown(socket.SHUT_WR)
c.settimeout(20)
while c.recv(100):
    pass
EOF
	peer_bg py python3 "$D/oobsend.py" "$D/cli.err"
	local port
	port=$(py_first py)
	local st=0
	sc 127.0.0.1 "$port" </dev/null >"$D/cli.out" 2>"$D/cli.err" || st=$?
	((st == 0))
	peer_done
	run cat "$D/cli.err"
	assert_output "urgent data: 0x41 at offset 3
urgent data: 0x42 at offset 6"
	printf abcdefghi | cmp - "$D/cli.out"
}

@test "oob: a Python receiver with SO_OOBINLINE gets sockcat's urgent byte in the stream, at the mark" {
	pyfile inline <<'EOF'
import fcntl, json, select, socket, struct
SIOCATMARK = 0x8905
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.settimeout(20)
data, mark = b"", None
while True:
    # Ask for the mark only once data is there to read.
    if not select.select([c], [], [], 20)[0]:
        raise SystemExit("timeout")
    if mark is None and struct.unpack("i", fcntl.ioctl(c.fileno(), SIOCATMARK, b"\0" * 4))[0]:
        mark = len(data)
    d = c.recv(1 if mark is None else 65536)
    if not d:
        break
    data += d
print(json.dumps({"data": data.hex(), "mark": mark}))
EOF
	peer_bg py python3 "$D/inline.py"
	local port
	port=$(py_first py)
	printf abcdefghij >"$D/in"
	run -0 sc --oob 'Z' --oob-after 6 127.0.0.1 "$port" <"$D/in"
	peer_done
	run tail -n 1 "$D/py.out"
	assert_output "{\"data\": \"$(printf abcdefZghij | xxd -p)\", \"mark\": 6}"
}

# --- 6. send/recv flags on message sockets, seen in the trace ----------------

# trace_calls TRACE NAME : the NAME(...) lines of TRACE without the time.
trace_calls() {
	sed -En "s/^[0-9.]+ ($2\\(.*)/\\1/p" "$1"
}

# call_flags TRACE NAME : the distinct flags of every NAME() call in TRACE.
call_flags() {
	sed -En "s/^[0-9.]+ $2\\([0-9]+, [0-9]+, ([A-Z_|]+)\\) = .*/\\1/p" "$1" | sort -u
}

@test "flags: UDP both ways: --send-flags reach send(), --recv-flags reach recvmsg(), as given" {
	feeder_start "$D/fifo"
	SRV_IN=$D/fifo start_server srv -u -l -q 0 --trace="$D/st" \
	    --send-flags dontroute --recv-flags cmsg_cloexec 127.0.0.1 0
	printf hello >"$D/in"
	SC_IN=$D/in sc_bg cli -v -u --trace="$D/ct" --send-flags MSG_CONFIRM,DontRoute \
	    --recv-flags 0x40000000 127.0.0.1 "$SRV_PORT"
	local cli_pid=$BG_PID cp
	wait_until 10 has_size "$D/srv.out" 5
	feed 'reply'
	feed_eof
	server_done
	wait_exit "$cli_pid"
	((WAIT_STATUS == 0))
	cmp "$D/in" "$D/srv.out"
	printf reply | cmp - "$D/cli.out"
	cp=$(sed -En 's/^getsockname\([0-9]+\) = 0 127\.0\.0\.1:([0-9]+)$/\1/p' <(trace_calls "$D/ct" getsockname))
	[[ -n $cp ]]
	# Every call of the relay has the flags; the data went by those calls.
	run call_flags "$D/ct" send
	assert_output 'MSG_DONTROUTE|MSG_DONTWAIT|MSG_CONFIRM|MSG_NOSIGNAL'
	run call_flags "$D/ct" recvmsg
	assert_output 'MSG_TRUNC|MSG_DONTWAIT|MSG_CMSG_CLOEXEC'
	run call_flags "$D/st" send
	assert_output 'MSG_DONTROUTE|MSG_DONTWAIT|MSG_NOSIGNAL'
	# the listener's own peek at its first sender, then the relay's
	run call_flags "$D/st" recvmsg
	assert_output 'MSG_PEEK|MSG_TRUNC|MSG_DONTWAIT
MSG_TRUNC|MSG_DONTWAIT|MSG_CMSG_CLOEXEC'
	run trace_calls "$D/ct" 'send(msg|to)?'
	assert_line --regexp '^send\([0-9]+, 5, [A-Z_|]+\) = 5$'
	run trace_calls "$D/ct" 'recv(msg|from)?'
	assert_line --regexp "^recvmsg\\([0-9]+, [0-9]+, [A-Z_|]+\\) = 5 127\\.0\\.0\\.1:$SRV_PORT$"
	run trace_calls "$D/st" 'send(msg|to)?'
	assert_line --regexp '^send\([0-9]+, 5, [A-Z_|]+\) = 5$'
	run trace_calls "$D/st" 'recvmsg'
	assert_line --regexp "^recvmsg\\([0-9]+, [0-9]+, [A-Z_|]+\\) = 5 127\\.0\\.0\\.1:$cp$"
}

@test "flags: without flags, UDP calls carry only the ones always set" {
	start_server srv -u -l -q 0 --trace="$D/st" 127.0.0.1 0
	printf hello >"$D/in"
	run -0 sc -u -q 0 --trace="$D/ct" 127.0.0.1 "$SRV_PORT" <"$D/in"
	wait_until 10 has_size "$D/srv.out" 5
	server_done
	cmp "$D/in" "$D/srv.out"
	run call_flags "$D/ct" send
	assert_output 'MSG_DONTWAIT|MSG_NOSIGNAL'
	run call_flags "$D/st" recvmsg
	assert_output 'MSG_PEEK|MSG_TRUNC|MSG_DONTWAIT
MSG_TRUNC|MSG_DONTWAIT'
}

@test "flags: SEQPACKET --send-flags eor marks every message; --recv-flags reach the listener's recvmsg" {
	sockdir
	start_server srv -l --seqpacket --trace="$D/st" --recv-flags cmsg_cloexec -U "$SOCKDIR/s"
	feeder_start "$D/fifo"
	SC_IN=$D/fifo sc_bg cli --seqpacket --trace="$D/ct" --send-flags eor -U "$SOCKDIR/s"
	local cli_pid=$BG_PID
	feed 'one'
	wait_until 10 has_size "$D/srv.out" 3
	feed 'second'
	wait_until 10 has_size "$D/srv.out" 9
	feed_eof
	wait_exit "$cli_pid"
	((WAIT_STATUS == 0))
	server_done
	printf onesecond | cmp - "$D/srv.out"
	run trace_calls "$D/ct" 'send(msg|to)?'
	assert_output --regexp '^send\([0-9]+, 3, MSG_DONTWAIT\|MSG_EOR\|MSG_NOSIGNAL\) = 3
send\([0-9]+, 6, MSG_DONTWAIT\|MSG_EOR\|MSG_NOSIGNAL\) = 6$'
	run call_flags "$D/st" recvmsg
	assert_output 'MSG_TRUNC|MSG_DONTWAIT|MSG_CMSG_CLOEXEC'
	run trace_calls "$D/st" 'recvmsg'
	assert_line --index 0 --regexp '^recvmsg\([0-9]+, [0-9]+, [A-Z_|]+\) = 3 '
	assert_line --index 1 --regexp '^recvmsg\([0-9]+, [0-9]+, [A-Z_|]+\) = 6 '
	assert_line --regexp '^recvmsg\([0-9]+, [0-9]+, [A-Z_|]+\) = 0$'
}

@test "flags: a UNIX datagram listener's --recv-flags in numbers reach recvmsg()" {
	sockdir
	start_server srv -u -l -q 0 --trace="$D/st" --recv-flags 0x40000000 -U "$SOCKDIR/u"
	printf dgram >"$D/in"
	run -0 sc -u -q 0 -U "$SOCKDIR/u" <"$D/in"
	wait_until 10 has_size "$D/srv.out" 5
	server_done
	cmp "$D/in" "$D/srv.out"
	run call_flags "$D/st" recvmsg
	assert_output 'MSG_PEEK|MSG_TRUNC|MSG_DONTWAIT|MSG_CMSG_CLOEXEC
MSG_TRUNC|MSG_DONTWAIT|MSG_CMSG_CLOEXEC'
	run trace_calls "$D/st" 'recvmsg'
	assert_line --regexp '^recvmsg\([0-9]+, [0-9]+, [A-Z_|]+\) = 5 '
}

# --- 7. descriptor passing with Python's send_fds / recv_fds -----------------

# A Python UNIX listener (SOCK_STREAM, or SOCK_SEQPACKET with "seq") on
# PATH: prints "ready", accepts one client, takes every descriptor with
# socket.recv_fds and copies what it reads through each to OUT.N (N from
# 1), and the data to OUT.data; prints the number of descriptors.
py_recv_fds() {
	pyfile recvfds <<'EOF'
import os, socket, sys
kind = socket.SOCK_SEQPACKET if sys.argv[1] == "seq" else socket.SOCK_STREAM
srv = socket.socket(socket.AF_UNIX, kind)
srv.bind(sys.argv[2])
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
c.settimeout(20)
out, n, data = sys.argv[3], 0, b""
while True:
    msg, fds, flags, _ = socket.recv_fds(c, 65536, 8)
    for fd in fds:
        n += 1
        with os.fdopen(fd, "rb") as f, open("%s.%d" % (out, n), "wb") as o:
            o.write(f.read())
    if not msg:
        break
    data += msg
open(out + ".data", "wb").write(data)
print(n)
EOF
}

@test "fd: --send-fd over a UNIX stream: Python's recv_fds reads the file's bytes through it" {
	sockdir
	py_recv_fds
	make_payload "$D/file" 70000
	peer_bg py python3 "$D/recvfds.py" stream "$SOCKDIR/s" "$D/got"
	py_first py >/dev/null
	printf 'the data\n' >"$D/in"
	run -0 sc -U "$SOCKDIR/s" --send-fd "$D/file" <"$D/in"
	peer_done
	run tail -n 1 "$D/py.out"
	assert_output 1
	cmp "$D/file" "$D/got.1"
	cmp "$D/in" "$D/got.data"
}

# A Python UNIX client (stream, or SEQPACKET with "seq") to PATH: sends
# DATA with the descriptors of FILE... in one message (socket.send_fds),
# then closes its end.
py_send_fds() {
	pyfile sendfds <<'EOF'
import os, socket, sys
kind = socket.SOCK_SEQPACKET if sys.argv[1] == "seq" else socket.SOCK_STREAM
s = socket.socket(socket.AF_UNIX, kind)
s.connect(sys.argv[2])
fds = [os.open(f, os.O_RDONLY) for f in sys.argv[4:]]
socket.send_fds(s, [sys.argv[3].encode()], fds)
for fd in fds:
    os.close(fd)
s.shutdown(socket.SHUT_WR)
s.settimeout(20)
while s.recv(100):
    pass
EOF
}

@test "fd: Python's send_fds over a UNIX stream to sockcat -l --recv-fd-out: the bytes copied" {
	sockdir
	py_send_fds
	make_payload "$D/file" 100000
	start_server srv -l --recv-fd-out "$D/copy" -U "$SOCKDIR/s"
	run -0 peer python3 "$D/sendfds.py" stream "$SOCKDIR/s" hello "$D/file"
	server_done
	cmp "$D/file" "$D/copy"
	printf hello | cmp - "$D/srv.out"
	grep -Fx "Received descriptor: regular file $D/file" "$D/srv.err"
	(($(count_re "$D/srv.err" '^Received descriptor: ') == 1))
}

@test "fd: two descriptors in one message over a UNIX stream to a sockcat client: both reported, copied in order" {
	sockdir
	make_payload "$D/f1" 3000
	make_payload "$D/f2" 4000
	pyfile seqsrv <<'EOF'
import os, socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
fds = [os.open(f, os.O_RDONLY) for f in sys.argv[2:]]
socket.send_fds(c, [b"two fds"], fds)
c.shutdown(socket.SHUT_WR)
c.settimeout(20)
while c.recv(100):
    pass
EOF
	peer_bg py python3 "$D/seqsrv.py" "$SOCKDIR/s" "$D/f1" "$D/f2"
	py_first py >/dev/null
	run -0 sc_out "$D/cli.out" -U "$SOCKDIR/s" --recv-fd-out "$D/copy" </dev/null
	peer_done
	printf '%s\n' "$output" >"$D/cli.err"
	grep -Fx "Received descriptor: regular file $D/f1" "$D/cli.err"
	grep -Fx "Received descriptor: regular file $D/f2" "$D/cli.err"
	(($(count_re "$D/cli.err" '^Received descriptor: ') == 2))
	cat "$D/f1" "$D/f2" | cmp - "$D/copy"
	printf 'two fds' | cmp - "$D/cli.out"
}

@test "fd: a pipe's read end from Python: --recv-fd-out copies what was written into the pipe" {
	sockdir
	make_payload "$D/piped" 20000
	start_server srv -l --recv-fd-out "$D/copy" -U "$SOCKDIR/s"
	run -0 peer python3 - "$SOCKDIR/s" "$D/piped" <<'EOF'
import os, socket, sys, threading
r, w = os.pipe()
data = open(sys.argv[2], "rb").read()
def writer():
    with os.fdopen(w, "wb") as f:
        f.write(data)
t = threading.Thread(target=writer)
t.start()
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
socket.send_fds(s, [b"p"], [r])
os.close(r)
t.join()
s.shutdown(socket.SHUT_WR)
s.settimeout(20)
while s.recv(100):
    pass
EOF
	server_done
	grep -Eqx 'Received descriptor: pipe pipe:\[[0-9]+\]' "$D/srv.err"
	cmp "$D/piped" "$D/copy"
	printf p | cmp - "$D/srv.out"
}

# --- 8. peer credentials -----------------------------------------------------

@test "creds: a sockcat client -v reports a Python server's pid, uid and gid" {
	sockdir
	pyfile credsrv <<'EOF'
import os, socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
c.sendall(b"pid %d\n" % os.getpid())
c.shutdown(socket.SHUT_WR)
c.settimeout(20)
while c.recv(100):
    pass
EOF
	peer_bg py python3 "$D/credsrv.py" "$SOCKDIR/s"
	local pypid=$PEER_PID
	py_first py >/dev/null
	run -0 sc_out "$D/cli.out" -v -U "$SOCKDIR/s" </dev/null
	peer_done
	# The pid the server itself wrote, not the timeout wrapper's.
	pypid=$(sed -n 's/^pid //p' "$D/cli.out")
	[[ -n $pypid ]]
	assert_line "Peer credentials: pid $pypid, uid $(id -u), gid $(id -g)"
	(($(grep -c '^Peer credentials: ' <<<"$output") == 1))
}

@test "creds: SEQPACKET: each end -v reports the other's pid (found from outside with pgrep)" {
	sockdir
	start_server srv -l --seqpacket -U "$SOCKDIR/s"
	local lpid cpid
	lpid=$(sc_child "$SRV_PID")
	[[ -n $lpid ]]
	[[ $(readlink "/proc/$lpid/exe") == "$(readlink -f "$SOCKCAT")" ]]
	feeder_start "$D/fifo"
	SC_IN=$D/fifo sc_bg cli -v --seqpacket -U "$SOCKDIR/s"
	local cli_wrap=$BG_PID
	wait_for "$D/cli.err" '^Peer credentials: '
	cpid=$(sc_child "$cli_wrap")
	[[ -n $cpid ]]
	feed_eof
	wait_exit "$cli_wrap"
	((WAIT_STATUS == 0))
	server_done
	grep -Fx "Peer credentials: pid $lpid, uid $(id -u), gid $(id -g)" "$D/cli.err"
	grep -Fx "Peer credentials: pid $cpid, uid $(id -u), gid $(id -g)" "$D/srv.err"
}

@test "creds: a Python client running as uid/gid 65534: the listener reports those, and its exec child gets them" {
	((EUID == 0)) || skip "changing uid needs root"
	need_cmd setpriv util-linux
	local py asnobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	for py in "$(command -v python3)" /usr/bin/python3 ''; do
		[[ -n $py ]] && timeout 10 "${asnobody[@]}" "$py" -c pass 2>/dev/null && break
	done
	[[ -n $py ]] || skip "no python3 that uid 65534 may run"
	sockdir
	chmod 755 "$SOCKDIR"
	start_server srv -l -U "$SOCKDIR/s" -c 'echo "$SOCKCAT_PEER_PID $SOCKCAT_PEER_UID $SOCKCAT_PEER_GID"'
	chmod 666 "$SOCKDIR/s"
	run -0 peer "${asnobody[@]}" "$py" - "$SOCKDIR/s" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.shutdown(socket.SHUT_WR)
got = b""
s.settimeout(20)
while True:
    d = s.recv(100)
    if not d:
        break
    got += d
print(os.getpid(), os.getuid(), os.getgid())
print(got.decode().strip())
EOF
	server_done
	local pypid uid gid
	read -r pypid uid gid <<<"${lines[0]}"
	[[ $uid == 65534 && $gid == 65534 ]]
	[[ ${lines[1]} == "$pypid 65534 65534" ]]
	grep -Fx "Peer credentials: pid $pypid, uid 65534, gid 65534" "$D/srv.err"
}

# --- 9. more interop and IPv6 --------------------------------------------------

@test "peek: interop: a sockcat TCP client peeks a socat TCP-LISTEN server's data" {
	need_cmd socat
	make_payload "$D/in" 4000
	peer_bg socat socat -d -d -u "FILE:$D/in" TCP4-LISTEN:0,bind=127.0.0.1
	wait_for "$D/socat.err" 'listening on AF=2 127\.0\.0\.1:[0-9]+'
	local port
	port=$(sed -En 's/.*listening on AF=2 127\.0\.0\.1:([0-9]+).*/\1/p' "$D/socat.err")
	run -0 sc_out "$D/cli.out" --peek=20 127.0.0.1 "$port" </dev/null
	printf '%s\n' "$output" >"$D/cli.err"
	wait_exit "$PEER_PID"
	((WAIT_STATUS == 0))
	peek_is "$D/cli.err" "Peek at 127.0.0.1 $port: 20 bytes, not consumed:" "$D/in" 20
	cmp "$D/in" "$D/cli.out"
}

@test "oob: over IPv6 (::1), sockcat to sockcat, in connect mode and listen mode" {
	need_ipv6
	printf abcdefghij >"$D/in"
	SRV_IN=$D/in start_server srv -l --oob '\x01' --oob-after 2 ::1 0
	run -0 sc_out "$D/cli.out" ::1 "$SRV_PORT" </dev/null
	server_done
	assert_output "urgent data: 0x01 at offset 2"
	cmp "$D/in" "$D/cli.out"
	rm -f "$D/srv.out" "$D/srv.err"
	start_server srv -l ::1 0
	run -0 sc --oob '\x02' --oob-after 9 ::1 "$SRV_PORT" <"$D/in"
	server_done
	grep -Fx "urgent data: 0x02 at offset 9" "$D/srv.err"
	cmp "$D/in" "$D/srv.out"
}

@test "fd: sockcat -l --send-fd to a Python client taking it with recv_fds, bytes read through it" {
	sockdir
	make_payload "$D/file" 30000
	printf 'greeting\n' >"$D/in"
	SRV_IN=$D/in start_server srv -l --send-fd "$D/file" -U "$SOCKDIR/s"
	run -0 peer python3 - "$SOCKDIR/s" "$D/got" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.shutdown(socket.SHUT_WR)
s.settimeout(20)
data, n = b"", 0
while True:
    msg, fds, flags, _ = socket.recv_fds(s, 65536, 8)
    for fd in fds:
        n += 1
        with os.fdopen(fd, "rb") as f, open("%s.%d" % (sys.argv[2], n), "wb") as o:
            o.write(f.read())
    if not msg:
        break
    data += msg
open(sys.argv[2] + ".data", "wb").write(data)
print(n)
EOF
	server_done
	assert_output 1
	cmp "$D/file" "$D/got.1"
	cmp "$D/in" "$D/got.data"
}

@test "--v6only and --no-v6only on a :: listener: read back, and whether 127.0.0.1 gets in" {
	need_ipv6
	local opt v4 want
	while read -r opt want v4; do
		rm -f "$D/srv.err"
		start_server srv -l -k -d -vv "$opt" :: 0
		grep -Fx "Option IPPROTO_IPV6 IPV6_V6ONLY: the kernel has $want" "$D/srv.err"
		run -0 sc ::1 "$SRV_PORT" </dev/null
		run -"$v4" --separate-stderr sc 127.0.0.1 "$SRV_PORT" </dev/null
		if ((v4 == 4)); then
			[[ $stderr == "sockcat: connect to 127.0.0.1 port $SRV_PORT (tcp): Connection refused" ]]
		fi
		kill "$SRV_PID"
		wait_exit "$SRV_PID" || true
	done <<'EOF'
--v6only 1 4
--no-v6only 0 0
EOF
}

@test "-vv: --freebind and --transparent on IPv6 are IPV6_FREEBIND and IPV6_TRANSPARENT (root)" {
	need_ipv6
	((EUID == 0)) || skip "--transparent needs CAP_NET_ADMIN"
	HOST=::1 tcp_vv_client --freebind --transparent
	vv_lines "$D/cli.err" | sort >"$D/got"
	diff - "$D/got" <<'EOF'
Option IPPROTO_IPV6 IPV6_FREEBIND: the kernel has 1
Option IPPROTO_IPV6 IPV6_TRANSPARENT: the kernel has 1
EOF
	SRV_PORT='' tcp_vv_client --transparent
	run vv_lines "$D/cli.err"
	assert_output "Option IPPROTO_IP IP_TRANSPARENT: the kernel has 1"
}

@test "peek: the first data shorter than N: the dump shows what came (5 bytes), the rest follows once" {
	feeder_start "$D/fifo"
	SRV_IN=$D/fifo start_server srv -l 127.0.0.1 0
	sc_bg cli --peek=64 127.0.0.1 "$SRV_PORT"
	local cli_pid=$BG_PID
	feed 'hello'
	wait_for "$D/cli.err" '^Peek at '
	feed ' world\n'
	feed_eof
	wait_exit "$cli_pid"
	((WAIT_STATUS == 0))
	server_done
	printf hello >"$D/first"
	peek_is "$D/cli.err" "Peek at 127.0.0.1 $SRV_PORT: 5 bytes, not consumed:" "$D/first" 64
	printf 'hello world\n' | cmp - "$D/cli.out"
}

@test "peek: a SEQPACKET listener dumps the client's first message, stdout gets every message once" {
	sockdir
	start_server srv -l --seqpacket --peek=8 -U "$SOCKDIR/s"
	run -0 peer python3 - "$SOCKDIR/s" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
for m in (b"FIRST-MESSAGE-0123456789", b"second", b"third"):
    s.send(m)
s.shutdown(socket.SHUT_WR)
s.settimeout(20)
while s.recv(100):
    pass
EOF
	server_done
	printf 'FIRST-MESSAGE-0123456789' >"$D/m1"
	peek_is "$D/srv.err" "Peek at $SOCKDIR/s: a message of 24 bytes, 8 shown, not consumed:" "$D/m1" 8
	printf 'FIRST-MESSAGE-0123456789secondthird' | cmp - "$D/srv.out"
}
