#!/usr/bin/env bats
# Socket options (-I, -O, -T, -M, -m, -D, --nodelay, --keepalive, --linger,
# --mss, --congestion, --mark, --priority, --backlog, --sockopt ...) read
# back from outside where Linux shows them: ss(8) for a live connection
# (skmem rb/tb, advmss, the keepalive timer, the congestion algorithm, tos,
# class_id, fwmark, a listener's backlog), a Python receiver for a UDP
# datagram's TTL and TOS; and -vv's "Option LEVEL NAME: the kernel has N"
# where nothing outside shows the option. Also the usage errors and the
# failures of setsockopt (exit 1, the option named).

load helpers

# --- local helpers ----------------------------------------------------------

setup() {
	D=$BATS_TEST_TMPDIR
	SRV_OPTS=()
	CLI_OPTS=()
}

# need_net_admin : skip the privileged part unless we are root.
need_net_admin() {
	((EUID == 0)) || skip "needs CAP_NET_ADMIN"
}

# hold_tcp : a TCP connection that stays up until teardown: a listener
# "-l -d SRV_OPTS 127.0.0.1 0" and a client "-v -d CLI_OPTS", neither
# reading stdin nor sending a FIN. Sets SRV_PORT and CPORT (the client's
# port) once both ends report the connection (the accepted socket's options
# are set before "Connection received" is printed), then CLI_SS and ACC_SS:
# ss_tcp's lines for the client and the accepted socket, both non-empty.
hold_tcp() {
	start_server srv -l -d "${SRV_OPTS[@]}" 127.0.0.1 0 || return 1
	sc_bg cli -v -d "${CLI_OPTS[@]}" 127.0.0.1 "$SRV_PORT"
	wait_for "$D/cli.err" ' succeeded!$' || { cat "$D/cli.err"; return 1; }
	wait_for "$D/srv.err" '^Connection received on ' || return 1
	CPORT=$(cport srv)
	[[ -n $CPORT ]] || return 1
	CLI_SS=$(ss_tcp "$CPORT")
	ACC_SS=$(ss_tcp "$SRV_PORT")
	echo "client: $CLI_SS"
	echo "accepted: $ACC_SS"
	[[ -n $CLI_SS && -n $ACC_SS ]]
}

# ss_tcp PORT : ss's view (info, memory, timers, tos/class, fwmark) of the
# established TCP socket with local port PORT, on one line.
ss_tcp() {
	ss -tnieomH --tos state established "( sport = :$1 )" | tr '\n\t' '  '
}

# ss_field LINE NAME : the value of NAME:VALUE (or NAME VALUE for skmem
# members: rb, tb) in an ss line.
ss_field() {
	case $2 in
	rb | tb) sed -En "s/.*skmem:\\([^)]*[(,]$2([0-9]+).*/\\1/p" <<<"$1" ;;
	*) sed -En "s/.* $2:([^ ]+).*/\\1/p" <<<"$1" ;;
	esac
}

# expect_mss LINE MSS : advmss for --mss MSS: TCP_MAXSEG caps the MSS,
# and with timestamps on the kernel reports it less their 12 bytes.
expect_mss() {
	if [[ " $1 " == *" ts "* ]]; then
		echo $(($2 - 12))
	else
		echo "$2"
	fi
}

# other_cc : a congestion algorithm this kernel has (and we may use) that
# is not the default; sets CC and CC_DEFAULT, or skips.
other_cc() {
	local list a
	CC_DEFAULT=$(cat /proc/sys/net/ipv4/tcp_congestion_control)
	if ((EUID == 0)); then
		list=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)
	else
		list=$(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control)
	fi
	CC=
	for a in reno $list; do
		if [[ $a != "$CC_DEFAULT" && " $list " == *" $a "* ]]; then
			CC=$a
			break
		fi
	done
	[[ -n $CC ]] || skip "no congestion control algorithm but the default ($CC_DEFAULT) is available"
}

# vv_options FILE : the "Option ..." lines of FILE, sorted.
vv_options() {
	grep '^Option ' "$1" | sort
}

# rmem_x2 N : what SO_RCVBUF N reads back as (capped by rmem_max, doubled).
rmem_x2() {
	local max
	max=$(cat /proc/sys/net/core/rmem_max)
	echo $((2 * ($1 < max ? $1 : max)))
}

# --- 1. read back from outside --------------------------------------------------

@test "ss: -I/-O on the client and -I on the listener: skmem rb/tb of both sockets" {
	CLI_OPTS=(-vv -I 64K -O 48K)
	SRV_OPTS=(-I 100000)
	hold_tcp
	[[ $(ss_field "$CLI_SS" rb) == 131072 ]]
	[[ $(ss_field "$CLI_SS" tb) == 98304 ]]
	# The accepted socket, not just the listener, has the listener's -I.
	[[ $(ss_field "$ACC_SS" rb) == 200000 ]]
	grep -Fx "Option SOL_SOCKET SO_RCVBUF: the kernel has 131072" "$D/cli.err"
	grep -Fx "Option SOL_SOCKET SO_SNDBUF: the kernel has 98304" "$D/cli.err"
}

@test "ss: --mss on the client and on the listener: advmss of both sockets" {
	CLI_OPTS=(--mss 1200)
	SRV_OPTS=(--mss 1000)
	hold_tcp
	[[ $(ss_field "$CLI_SS" advmss) == "$(expect_mss "$CLI_SS" 1200)" ]]
	[[ $(ss_field "$ACC_SS" advmss) == "$(expect_mss "$ACC_SS" 1000)" ]]
	# Each side sends segments no bigger than the other's advertised MSS.
	[[ $(ss_field "$CLI_SS" mss) == "$(expect_mss "$CLI_SS" 1000)" ]]
}

@test "ss: --keepalive=7,3,4 runs a keepalive timer under 8 s; none without it" {
	CLI_OPTS=(-vv --keepalive=7,3,4)
	hold_tcp
	local timer
	timer=$(sed -En 's/.*timer:\(keepalive,([^,]+),0\).*/\1/p' <<<"$CLI_SS")
	# Under 8 s however ss writes it (6.432ms, 6.432sec, 6s, 6432ms); the
	# kernel's default (7200 s) would show as 119min or so.
	[[ $timer =~ ^[0-7](\.[0-9]+)?(ms|s|sec)$|^[0-9]{1,4}ms$ ]]
	[[ $ACC_SS != *'timer:(keepalive'* ]]
	grep -Fx "Option SOL_SOCKET SO_KEEPALIVE: the kernel has 1" "$D/cli.err"
	grep -Fx "Option IPPROTO_TCP TCP_KEEPIDLE: the kernel has 7" "$D/cli.err"
	grep -Fx "Option IPPROTO_TCP TCP_KEEPINTVL: the kernel has 3" "$D/cli.err"
	grep -Fx "Option IPPROTO_TCP TCP_KEEPCNT: the kernel has 4" "$D/cli.err"
}

@test "ss: --congestion on the client and on the listener: the algorithm of both sockets" {
	other_cc
	CLI_OPTS=(-vv --congestion "$CC")
	SRV_OPTS=(--congestion "$CC")
	hold_tcp
	[[ " $CLI_SS " == *" $CC "* && " $CLI_SS " != *" $CC_DEFAULT "* ]]
	[[ " $ACC_SS " == *" $CC "* && " $ACC_SS " != *" $CC_DEFAULT "* ]]
	grep -Fx "Option IPPROTO_TCP TCP_CONGESTION: the kernel has \"$CC\"" "$D/cli.err"
}

@test "ss: -T and --priority on both ends: tos and class_id of both sockets" {
	CLI_OPTS=(-T ef --priority 3)
	SRV_OPTS=(-T af11 --priority 2)
	hold_tcp
	[[ $(ss_field "$CLI_SS" tos) == 0xb8 ]]
	[[ $(ss_field "$CLI_SS" class_id) == 0x3 ]]
	[[ $(ss_field "$ACC_SS" tos) == 0x28 ]]
	[[ $(ss_field "$ACC_SS" class_id) == 0x2 ]]
}

@test "ss: --mark 5 shows as fwmark:0x5, a mark of 32 bits whole (root)" {
	need_net_admin
	CLI_OPTS=(--mark 5)
	SRV_OPTS=(--mark 0xfffffff7)
	hold_tcp
	[[ $(ss_field "$CLI_SS" fwmark) == 0x5 ]]
	[[ $(ss_field "$ACC_SS" fwmark) == 0xfffffff7 ]]
}

@test "UDP: a Python receiver sees -M as the datagram's TTL and -T as its TOS" {
	timeout -k 2 "$SC_TIMEOUT" python3 - >"$D/py.out" 2>"$D/py.err" 3>&- <<'EOF' &
import json, socket, struct
IP_TOS, IP_TTL, IP_RECVTOS, IP_RECVTTL = 1, 2, 13, 12
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
data, anc, flags, addr = s.recvmsg(2048, 256)
got = {"data": data.decode()}
for lvl, typ, d in anc:
    if lvl == socket.IPPROTO_IP and typ == IP_TTL:
        got["ttl"] = struct.unpack("i", d[:4])[0]
    if lvl == socket.IPPROTO_IP and typ == IP_TOS:
        got["tos"] = d[0]
print(json.dumps(got, sort_keys=True))
EOF
	track $!
	local pypid=$! port
	wait_for "$D/py.out" '^[0-9]+$'
	port=$(head -n 1 "$D/py.out")
	printf 'ping' >"$D/in"
	run -0 sc -u -q 0 -M 33 -T af11 127.0.0.1 "$port" <"$D/in"
	wait_exit "$pypid"
	((WAIT_STATUS == 0))
	run tail -n 1 "$D/py.out"
	assert_output '{"data": "ping", "tos": 40, "ttl": 33}'
}

@test "ss: --backlog 7 is the listener's Send-Q (default 128); -vv shows --defer-accept, --fastopen" {
	start_server srv -l -d -vv --backlog 7 --defer-accept 3 --fastopen 127.0.0.1 0
	run -0 ss -ltnH "( sport = :$SRV_PORT )"
	echo "$output"
	[[ $(awk '{ print $3 }' <<<"$output") == 7 ]]
	grep -Fx "Option IPPROTO_TCP TCP_DEFER_ACCEPT: the kernel has 3" "$D/srv.err"
	grep -Fx "Option IPPROTO_TCP TCP_FASTOPEN: the kernel has 16" "$D/srv.err"

	start_server srv2 -l -d 127.0.0.1 0
	run -0 ss -ltnH "( sport = :$SRV_PORT )"
	[[ $(awk '{ print $3 }' <<<"$output") == 128 ]]
}

@test "--backlog reaches listen() of UNIX stream and SEQPACKET listeners too" {
	sockdir
	start_server srv -l -d --backlog 9 --trace="$D/t1" -U "$SOCKDIR/s"
	grep -Eq '^[0-9.]+ listen\([0-9]+, 9\) = 0$' "$D/t1"
	start_server srv2 -l -d --backlog 7 --seqpacket --trace="$D/t2" -U "$SOCKDIR/q"
	grep -Eq '^[0-9.]+ listen\([0-9]+, 7\) = 0$' "$D/t2"
	start_server srv3 -l -d --trace="$D/t3" -U "$SOCKDIR/d"
	grep -Eq '^[0-9.]+ listen\([0-9]+, 128\) = 0$' "$D/t3"
}

@test "UDP and UNIX: -I reaches the sockets of both ends (ss skmem rb)" {
	start_server srv -u -l -d -I 48K 127.0.0.1 0
	sc_bg cli -v -u -d -I 40K 127.0.0.1 "$SRV_PORT"
	wait_for "$D/cli.err" ' succeeded!$'
	run -0 ss -uanmH "( sport = :$SRV_PORT )"
	echo "$output"
	[[ $(ss_field "$(tr '\n\t' '  ' <<<"$output")" rb) == 98304 ]]
	run -0 ss -uanmH "( dport = :$SRV_PORT )"
	echo "$output"
	[[ $(ss_field "$(tr '\n\t' '  ' <<<"$output")" rb) == 81920 ]]

	sockdir
	start_server usrv -l -d -I 40K -U "$SOCKDIR/s"
	sc_bg ucli -v -d -I 24K -U "$SOCKDIR/s"
	wait_for "$D/ucli.err" ' succeeded!$'
	wait_for "$D/usrv.err" '^Connection received on '
	run -0 ss -xamH
	local acc cli
	# The accepted socket: local address the path, ESTAB; the client's
	# peer is the accepted socket's inode.
	acc=$(awk -v p="$SOCKDIR/s" '$2 == "ESTAB" && $5 == p' <<<"$output")
	echo "accepted: $acc"
	[[ $(ss_field "$acc" rb) == 81920 ]]
	cli=$(awk -v i="$(awk '{ print $6 }' <<<"$acc")" '$2 == "ESTAB" && $8 == i' <<<"$output")
	echo "client: $cli"
	[[ $(ss_field "$cli" rb) == 49152 ]]
}

# --- 2. --sockopt -------------------------------------------------------------------

@test "sockopt: symbolic and numeric forms, K/M values, read back with ss" {
	other_cc
	CLI_OPTS=(-vv --sockopt SOL_SOCKET:SO_RCVBUF=1M --sockopt IPPROTO_TCP:TCP_MAXSEG=1200
		--sockopt "IPPROTO_TCP:TCP_CONGESTION=$CC")
	SRV_OPTS=(--sockopt 6:2=1100 --sockopt 1:8=50K)
	hold_tcp
	[[ $(ss_field "$CLI_SS" rb) == "$(rmem_x2 $((1 << 20)))" ]]
	[[ $(ss_field "$CLI_SS" advmss) == "$(expect_mss "$CLI_SS" 1200)" ]]
	[[ " $CLI_SS " == *" $CC "* ]]
	[[ $(ss_field "$ACC_SS" advmss) == "$(expect_mss "$ACC_SS" 1100)" ]]
	[[ $(ss_field "$ACC_SS" rb) == 102400 ]]
	grep -Fx "Option SOL_SOCKET SO_RCVBUF: the kernel has $(rmem_x2 $((1 << 20)))" "$D/cli.err"
	grep -Fx "Option IPPROTO_TCP TCP_MAXSEG: the kernel has 1200" "$D/cli.err"
	grep -Fx "Option IPPROTO_TCP TCP_CONGESTION: the kernel has \"$CC\"" "$D/cli.err"
}

@test "sockopt: SOL_SOCKET:SO_MARK=5 shows as fwmark (root)" {
	need_net_admin
	CLI_OPTS=(-vv --sockopt SOL_SOCKET:SO_MARK=5)
	hold_tcp
	[[ $(ss_field "$CLI_SS" fwmark) == 0x5 ]]
	grep -Fx "Option SOL_SOCKET SO_MARK: the kernel has 5" "$D/cli.err"
}

@test "sockopt: set after the named options, so the last word is --sockopt's" {
	# man: "Repeatable; set right after socket(), in the order given,
	# after the options above."
	CLI_OPTS=(--sockopt SOL_SOCKET:SO_RCVBUF=32K -I 64K)
	hold_tcp
	[[ $(ss_field "$CLI_SS" rb) == 65536 ]]
}

@test "sockopt: boolean, hex and K values, level and option names in any case (-vv)" {
	start_server srv -l -k -d 127.0.0.1 0
	local row val want
	while read -r val want; do
		run -0 --separate-stderr sc -vv --sockopt "$val" 127.0.0.1 "$SRV_PORT" </dev/null
		[[ $stderr == *"$want"* ]] || fail "--sockopt $val: want \"$want\" in: $stderr"
	done <<'EOF'
IPPROTO_TCP:TCP_NODELAY=on Option IPPROTO_TCP TCP_NODELAY: the kernel has 1
SOL_TCP:TCP_NODELAY=yes Option IPPROTO_TCP TCP_NODELAY: the kernel has 1
IPPROTO_TCP:TCP_NODELAY=true Option IPPROTO_TCP TCP_NODELAY: the kernel has 1
IPPROTO_TCP:TCP_NODELAY=1 Option IPPROTO_TCP TCP_NODELAY: the kernel has 1
SOL_SOCKET:SO_KEEPALIVE=off Option SOL_SOCKET SO_KEEPALIVE: the kernel has 0
SOL_SOCKET:SO_KEEPALIVE=no Option SOL_SOCKET SO_KEEPALIVE: the kernel has 0
SOL_SOCKET:SO_KEEPALIVE=false Option SOL_SOCKET SO_KEEPALIVE: the kernel has 0
SOL_SOCKET:SO_KEEPALIVE=0 Option SOL_SOCKET SO_KEEPALIVE: the kernel has 0
SOL_SOCKET:SO_KEEPALIVE=On Option SOL_SOCKET SO_KEEPALIVE: the kernel has 1
1:8=32K Option SOL_SOCKET SO_RCVBUF: the kernel has 65536
0x1:0x8=0x10000 Option SOL_SOCKET SO_RCVBUF: the kernel has 131072
sol_socket:so_rcvbuf=64k Option SOL_SOCKET SO_RCVBUF: the kernel has 131072
6:13=reno Option IPPROTO_TCP TCP_CONGESTION: the kernel has "reno"
IPPROTO_IP:IP_TTL=77 Option IPPROTO_IP IP_TTL: the kernel has 77
EOF
}

@test "sockopt: a wrong level, name or value is a usage error naming it" {
	usage_row 'unknown level "SOL_FOO"' --sockopt SOL_FOO:SO_RCVBUF=1 127.0.0.1 9
	usage_row 'unknown level "x"' --sockopt x:2=1 127.0.0.1 9
	usage_row 'unknown option "SO_NOPE"' --sockopt SOL_SOCKET:SO_NOPE=1 127.0.0.1 9
	usage_row 'unknown option "TCP_NODELAY"' --sockopt SOL_SOCKET:TCP_NODELAY=1 127.0.0.1 9
	usage_row 'TCP_NODELAY.*"maybe"' --sockopt IPPROTO_TCP:TCP_NODELAY=maybe 127.0.0.1 9
	usage_row 'SO_RCVBUF.*integer.*"abc"' --sockopt SOL_SOCKET:SO_RCVBUF=abc 127.0.0.1 9
	# By number, digits are an int, never a string of digits.
	usage_row '^sockcat: --sockopt "1:99=99999999999": option 99 wants an int \(-2147483648 to 2147483647\), not "99999999999"$' \
	    --sockopt 1:99=99999999999 127.0.0.1 9
	usage_row 'option 99 wants an int' --sockopt 1:99=0x100000000 127.0.0.1 9
	usage_row 'SO_PEERCRED cannot be set' --sockopt SOL_SOCKET:SO_PEERCRED=1 127.0.0.1 9
	usage_row 'TCP_INFO cannot be set' --sockopt IPPROTO_TCP:TCP_INFO=1 127.0.0.1 9
	usage_row 'LEVEL:NAME=VALUE' --sockopt SOL_SOCKET:SO_RCVBUF 127.0.0.1 9
	usage_row 'LEVEL:NAME=VALUE' --sockopt SO_RCVBUF=1 127.0.0.1 9
	rows_done
}

# --- 3. refused by the kernel ---------------------------------------------------------

@test "setsockopt failures: exit 1 naming the option, and no connect is tried" {
	start_server srv -l -d 127.0.0.1 0
	run -1 --separate-stderr sc --trace="$D/t1" --congestion nosuchalgo 127.0.0.1 "$SRV_PORT" </dev/null
	[[ $stderr == "sockcat: setsockopt TCP_CONGESTION nosuchalgo: No such file or directory" ]]
	run -1 grep -q 'connect(' "$D/t1"
	run -1 --separate-stderr sc --trace="$D/t2" --sockopt IPPROTO_TCP:TCP_CONGESTION=nosuchalgo 127.0.0.1 "$SRV_PORT" </dev/null
	[[ $stderr == "sockcat: setsockopt IPPROTO_TCP:TCP_CONGESTION=nosuchalgo: No such file or directory" ]]
	run -1 grep -q 'connect(' "$D/t2"
	run -1 --separate-stderr sc --bind-device nosuchif0 127.0.0.1 "$SRV_PORT" </dev/null
	[[ $stderr == "sockcat: setsockopt SO_BINDTODEVICE nosuchif0: No such device" ]]
	# Nobody came to the listener.
	run -0 ss -tnH state established "( dport = :$SRV_PORT )"
	[[ -z $output ]]
	# The same on a listener (the message may name the socket too): no
	# "Listening on" line, one error line.
	run -1 --separate-stderr sc -v -l --congestion nosuchalgo 127.0.0.1 0 </dev/null
	[[ $stderr == "sockcat: setsockopt TCP_CONGESTION nosuchalgo"*": No such file or directory" ]]
	((${#stderr_lines[@]} == 1))
}

@test "setsockopt failures: --mark and -D without CAP_NET_ADMIN are errors, not ignored" {
	local drop=()
	if ((EUID == 0)); then
		need_cmd setpriv util-linux
		drop=(setpriv --bounding-set -net_admin,-net_raw --inh-caps -net_admin,-net_raw)
	fi
	run -1 --separate-stderr "${drop[@]}" timeout -k 2 10 "$SOCKCAT" --mark 5 127.0.0.1 9 </dev/null
	[[ $stderr == "sockcat: setsockopt SO_MARK 5: Operation not permitted" ]]
	run -1 --separate-stderr "${drop[@]}" timeout -k 2 10 "$SOCKCAT" -D 127.0.0.1 9 </dev/null
	[[ $stderr == "sockcat: setsockopt SO_DEBUG: Permission denied" ]]
}

# --- 4. -vv -----------------------------------------------------------------------

@test "-vv: every option given is read back, as the kernel has it" {
	local root_opts=() root_lines=
	if ((EUID == 0)); then
		root_opts=(-D --mark 9)
		root_lines=$'Option SOL_SOCKET SO_DEBUG: the kernel has 1\nOption SOL_SOCKET SO_MARK: the kernel has 9\n'
	fi
	start_server srv -l -d 127.0.0.1 0
	run -0 sc_out "$D/cli.out" -vv -I 64K -O 32K -M 33 -m 2 --nodelay --cork --linger 5 \
	    --keepalive=,9, --user-timeout 5000 --rcvlowat 3 --reuseport --priority 4 \
	    "${root_opts[@]}" 127.0.0.1 "$SRV_PORT" </dev/null
	printf '%s\n' "$output" >"$D/cli.err"
	vv_options "$D/cli.err" >"$D/got"
	{
		printf '%s' "$root_lines"
		cat <<'EOF'
Option IPPROTO_IP IP_MINTTL: the kernel has 2
Option IPPROTO_IP IP_TTL: the kernel has 33
Option IPPROTO_TCP TCP_CORK: the kernel has 1
Option IPPROTO_TCP TCP_KEEPINTVL: the kernel has 9
Option IPPROTO_TCP TCP_NODELAY: the kernel has 1
Option IPPROTO_TCP TCP_USER_TIMEOUT: the kernel has 5000
Option SOL_SOCKET SO_KEEPALIVE: the kernel has 1
Option SOL_SOCKET SO_LINGER: the kernel has on, 5 s
Option SOL_SOCKET SO_PRIORITY: the kernel has 4
Option SOL_SOCKET SO_RCVBUF: the kernel has 131072
Option SOL_SOCKET SO_RCVLOWAT: the kernel has 3
Option SOL_SOCKET SO_REUSEPORT: the kernel has 1
Option SOL_SOCKET SO_SNDBUF: the kernel has 65536
EOF
	} | sort >"$D/want"
	diff "$D/want" "$D/got"
}

@test "-vv: -T keywords and numbers as IP_TOS values (UDP, where ECN bits stay)" {
	start_server srv -u -l -d 127.0.0.1 0
	local t want
	while read -r t want; do
		run -0 --separate-stderr sc -u -q 0 -vv -T "$t" 127.0.0.1 "$SRV_PORT" </dev/null
		[[ $stderr == *"Option IPPROTO_IP IP_TOS: the kernel has $want"$'\n'* ]] ||
			fail "-T $t: want $want in: $stderr"
	done <<'EOF'
lowdelay 16
throughput 8
reliability 4
mincost 2
ef 184
af11 40
af43 152
cs0 0
cs7 224
va 176
0x28 40
46 46
EOF
}

@test "-vv: -T ef, -M and -m on IPv6 are IPV6_TCLASS, IPV6_UNICAST_HOPS, IPV6_MINHOPCOUNT" {
	need_ipv6
	start_server srv -u -l -d ::1 0
	run -0 --separate-stderr sc -u -q 0 -vv -T ef -M 9 -m 3 ::1 "$SRV_PORT" </dev/null
	printf '%s\n' "$stderr" >"$D/cli.err"
	grep -Fx "Option IPPROTO_IPV6 IPV6_TCLASS: the kernel has 184" "$D/cli.err"
	grep -Fx "Option IPPROTO_IPV6 IPV6_UNICAST_HOPS: the kernel has 9" "$D/cli.err"
	grep -Fx "Option IPPROTO_IPV6 IPV6_MINHOPCOUNT: the kernel has 3" "$D/cli.err"
}

@test "-vv: -I on UDP and on UNIX sockets" {
	start_server srv -u -l -d 127.0.0.1 0
	run -0 --separate-stderr sc -u -q 0 -vv -I 64K 127.0.0.1 "$SRV_PORT" </dev/null
	[[ $stderr == *"Option SOL_SOCKET SO_RCVBUF: the kernel has 131072"* ]]
	sockdir
	start_server usrv -l -U "$SOCKDIR/s"
	run -0 --separate-stderr sc -vv -I 64K -U "$SOCKDIR/s" </dev/null
	[[ $stderr == *"Option SOL_SOCKET SO_RCVBUF: the kernel has 131072"* ]]
}

@test "usage: options that do not apply to the transport or the mode" {
	sockdir
	usage_row 'TCP_NODELAY.*udp' --nodelay -u 127.0.0.1 9
	usage_row 'TCP_MAXSEG.*udp' --mss 1200 -u 127.0.0.1 9
	usage_row 'TCP_CONGESTION.*unix' --congestion reno -U "$SOCKDIR/s"
	usage_row 'TCP_CORK.*unix' --cork -U "$SOCKDIR/s"
	usage_row 'IP_TOS.*unix' -T lowdelay -U "$SOCKDIR/s"
	usage_row 'IP_TTL.*unix' -M 5 -U "$SOCKDIR/s"
	usage_row 'defer-accept.*-l' --defer-accept 3 127.0.0.1 9
	usage_row 'backlog.*-l' --backlog 5 127.0.0.1 9
	usage_row '-T "nosuch"' -T nosuch 127.0.0.1 9
	usage_row '-T "256"' -T 256 127.0.0.1 9
	usage_row '-M "0"' -M 0 127.0.0.1 9
	usage_row 'keepalive' --keepalive=a 127.0.0.1 9
	rows_done
}

@test "usage: --v6only with IPv4, and negative or zero sizes" {
	usage_row 'IPV6_V6ONLY 1 does not apply to IPv4 sockets \(-4\)' --v6only -4 -l 0
	usage_row 'IPV6_V6ONLY 0 does not apply to IPv4 sockets \(-4\)' --no-v6only -4 localhost 9
	usage_row 'IPV6_V6ONLY 1 does not apply to IPv4 sockets \(127.0.0.1\)' --v6only 127.0.0.1 9
	usage_row '--recv-size "-1"' --recv-size -1 127.0.0.1 9
	usage_row '--recv-size "0"' --recv-size 0 127.0.0.1 9
	usage_row '-I "-5"' -I -5 127.0.0.1 9
	usage_row '-O "-5"' -O -5 127.0.0.1 9
	usage_row '-I "0"' -I 0 127.0.0.1 9
	usage_row '--rcvlowat "-1"' --rcvlowat -1 127.0.0.1 9
	usage_row '--mss "-5"' --mss -5 127.0.0.1 9
	usage_row '--linger "-1"' --linger -1 127.0.0.1 9
	usage_row '--backlog "-1"' --backlog -1 -l 127.0.0.1 0
	usage_row '^sockcat: --peek "-3": too small \(1-65536\)$' --peek=-3 127.0.0.1 9
	usage_row '--oob-after "-1"' --oob-after -1 --oob x 127.0.0.1 9
	usage_row '^sockcat: --oob "\\777": bad escape$' --oob '\777' 127.0.0.1 9
	usage_row '^sockcat: --oob "a\\x": bad escape$' --oob 'a\x' 127.0.0.1 9
	usage_row '^sockcat: --oob "\\q": bad escape$' --oob '\q' 127.0.0.1 9
	usage_row '^sockcat: --oob: no data$' --oob '' 127.0.0.1 9
	usage_row 'SO_RCVBUF wants 0 to 2147483647, not "-5"' --sockopt SOL_SOCKET:SO_RCVBUF=-5 127.0.0.1 9
	# A suffix multiplies after the range check would have passed 0.
	usage_row '^sockcat: -I "0K": too small \(1-2147483647\)$' -I 0K 127.0.0.1 9
	usage_row '^sockcat: --mss "0K": too small \(88-65535\)$' --mss 0K 127.0.0.1 9
	usage_row '^sockcat: -O "3G": too large' -O 3G 127.0.0.1 9
	usage_row '^sockcat: --linger "0x10000": too large' --linger 0x10000 127.0.0.1 9
	usage_row 'SO_RCVBUF wants 0 to 2147483647, not "2G"' --sockopt SOL_SOCKET:SO_RCVBUF=2G 127.0.0.1 9
	# Blanks, signs and stray characters are not numbers.
	usage_row '^sockcat: -I " 5": not a number' -I ' 5' 127.0.0.1 9
	usage_row '^sockcat: -I "\+5": not a number' -I +5 127.0.0.1 9
	usage_row '^sockcat: -I "0x 5": not a number' -I '0x 5' 127.0.0.1 9
	usage_row '^sockcat: -I "0x-5": not a number' -I 0x-5 127.0.0.1 9
	usage_row '^sockcat: -I "0x": not a number' -I 0x 127.0.0.1 9
	usage_row '^sockcat: -I "K": not a number' -I K 127.0.0.1 9
	usage_row '^sockcat: -I "5KK": not a number' -I 5KK 127.0.0.1 9
	usage_row '^sockcat: -I "-": not a number' -I - 127.0.0.1 9
	usage_row 'SO_RCVBUF wants an integer, not "0x 5"' --sockopt 'SOL_SOCKET:SO_RCVBUF=0x 5' 127.0.0.1 9
	usage_row '^sockcat: -I "0xfffffffffffffffffff": too large' -I 0xfffffffffffffffffff 127.0.0.1 9
	rows_done
}
