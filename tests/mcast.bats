#!/usr/bin/env bats
# Multicast (-u with --mcast-join, --mcast-iface, --mcast-ttl,
# --mcast-loop / --no-mcast-loop): one sender, two receivers joined to a
# group on the same port (SO_REUSEADDR), both must get the datagram.
#
# The host's network configuration is never touched: every scenario runs
# in a private network namespace the test creates (`unshare --net --user
# --map-root-user`, or `unshare --net` where user namespaces are not
# allowed but we are root), running a bash script (NS_PRELUDE + the
# scenario) that configures the namespace's own links and routes. The
# namespace, its links and routes vanish with the script. A test skips
# when no namespace can be made, with unshare's error.
#
# Links used:
#  - lo, with MULTICAST switched on and 224.0.0.0/4 routed to it: enough
#    for IPv4. A datagram to the group arrives only if the host joined it
#    on lo (ip_route_input checks the device's memberships), so a broken
#    --mcast-join fails the test. (Over lo the kernel gives the datagram
#    source address 0.0.0.0: 127.0.0.1 is host-scoped.)
#  - a veth pair v0/v1 for IPv6 and for the loop tests. On lo, IPv6
#    multicast only works through a "local ff00::/8" route, which delivers
#    to every socket on the port whether it joined or not (no test of
#    --mcast-join); and lo loops every datagram back whatever
#    IP_MULTICAST_LOOP says (no test of --no-mcast-loop). On a real link
#    (veth), only the IP_MULTICAST_LOOP copy is delivered on this host, and
#    only to a link that joined. DAD is switched off in the namespace so
#    the link-local source address is usable at once.
#
# Ports: the first receiver binds port 0; its -v "Bound on ADDR PORT" line
# gives the port, which the second receiver binds too. Readiness: each
# receiver's "Bound on" line is printed after its group is joined. Every
# process in the namespace runs under timeout, background ones with 3>&-,
# and the script kills them (by PID) when it ends.

load helpers

# need_mcast_netns : NETNS becomes the command that runs a command in a new
# network namespace; skip with unshare's error if neither way works.
need_mcast_netns() {
	need_cmd unshare util-linux
	need_cmd ip iproute2
	local e1 e2
	if e1=$(timeout 10 unshare --net --user --map-root-user true 2>&1); then
		NETNS=(unshare --net --user --map-root-user)
	elif e2=$(timeout 10 unshare --net true 2>&1); then
		NETNS=(unshare --net)
	else
		skip "cannot create a network namespace: unshare --net --user: ${e1:-failed}; unshare --net: ${e2:-failed}"
	fi
}

# need_veth : skip unless a veth pair can be created (in a throw-away
# namespace: nothing on the host changes).
need_veth() {
	local e
	e=$(timeout 10 "${NETNS[@]}" ip link add v0 type veth peer name v1 2>&1) ||
		skip "veth links are not available in this kernel: $e"
}

setup() {
	need_mcast_netns
}

# The start of every namespace script. $D is $BATS_TEST_TMPDIR: the
# namespace shares the file system, so the test reads the results there.
NS_PRELUDE=$(
	cat <<'EOF'
set -u
PIDS=()
cleanup() {
	local st=$? p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if ((st != 0)); then
		for p in "$D"/*.err; do [[ -e $p ]] && echo "== $p" && cat "$p"; done
	fi
	exit "$st"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP
fail() { echo "FAILED: $*"; exit 1; }
sc() { timeout -k 2 15 "$SOCKCAT" "$@"; }
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || fail "timeout waiting for: $*"
		sleep 0.02
	done
}
has_line() { grep -Eq -- "$2" "$1" 2>/dev/null; }
has_size() { [[ -e $1 && $(stat -c %s -- "$1") -ge $2 ]]; }
# receiver NAME ARGS... : sockcat -v -u -l ARGS in the background, output
# in $D/NAME.out and .err; returns once it is bound (and joined).
receiver() {
	local n=$1
	shift
	# Not through sc: $! must be timeout's PID, not a subshell's.
	timeout -k 2 15 "$SOCKCAT" -v -u -l "$@" </dev/null >"$D/$n.out" 2>"$D/$n.err" 3>&- &
	PIDS+=($!)
	wait_until 10 bound_or_gone "$D/$n.err" $!
	has_line "$D/$n.err" '^Bound on ' || fail "$n did not start"
}
bound_or_gone() { has_line "$1" '^Bound on ' || ! kill -0 "$2" 2>/dev/null; }
# bound_port NAME : the port from NAME's "Bound on" line.
bound_port() {
	sed -En 's/^Bound on .* ([0-9]+)$/\1/p' "$D/$1.err" | head -n 1
}
# send NAME FILE ARGS... : sockcat -u -q 0 ARGS with FILE as its one
# message; must exit 0.
send() {
	local n=$1 f=$2
	shift 2
	sc -u -q 0 "$@" <"$f" >"$D/$n.out" 2>"$D/$n.err" || fail "$n: exit $?"
}
# got NAME BYTES : wait until receiver NAME has written BYTES bytes.
got() {
	wait_until 10 has_size "$D/$1.out" "$2"
}
# udp_out 4|6 : datagrams UDP has sent in this namespace so far.
udp_out() {
	if [[ $1 == 4 ]]; then
		awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $5 }' /proc/net/snmp
	else
		awk '$1 == "Udp6OutDatagrams" { print $2 }' /proc/net/snmp6
	fi
}
lo_multicast() {
	ip link set lo up &&
		ip link set lo multicast on &&
		ip route add 224.0.0.0/4 dev lo || fail "setting up lo"
}
# veth_multicast [noroute] : a veth link v0 that keeps what it sends on
# this host: v0/v1 are brought up (v0 gets 192.0.2.1/24 and, with DAD off,
# a link-local address at once), then v1 is taken down, so v0 has no
# carrier and nothing it sends arrives back through v1: what reaches the
# receivers is only the IP_MULTICAST_LOOP copy, delivered on v0 if v0
# joined. 224.0.0.0/4 is routed to v0 unless "noroute" is given.
veth_multicast() {
	echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad &&
		echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad &&
		ip link set lo up &&
		ip link add v0 type veth peer name v1 &&
		ip link set v0 up && ip link set v1 up &&
		ip addr add 192.0.2.1/24 dev v0 || fail "setting up veth"
	wait_until 10 v0_link_local
	ip link set v1 down || fail "v1 down"
	[[ ${1:-} == noroute ]] || ip route add 224.0.0.0/4 dev v0 || fail "route"
}
v0_link_local() {
	ip -6 addr show dev v0 scope link | grep -q 'inet6 fe80' &&
		! ip -6 addr show dev v0 | grep -q tentative
}
EOF
)

# in_netns : run the scenario script on stdin (after NS_PRELUDE) in a new
# network namespace, under timeout.
in_netns() {
	local script=$BATS_TEST_TMPDIR/ns.sh
	{
		printf '%s\n' "$NS_PRELUDE"
		cat
	} >"$script"
	D=$BATS_TEST_TMPDIR SOCKCAT=$SOCKCAT timeout -k 2 25 "${NETNS[@]}" bash "$script"
}

@test "IPv4: a datagram to 239.1.2.3 over lo reaches both receivers joined to the group" {
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/msg" 1000
	in_netns <<'EOF'
lo_multicast
receiver r1 --recv-info --mcast-join 239.1.2.3 0
port=$(bound_port r1)
receiver r2 --mcast-join 239.1.2.3 "$port"
[[ $(bound_port r2) == "$port" ]] || fail "r2 is not on port $port"
send s "$D/msg" --mcast-ttl 3 239.1.2.3 "$port"
got r1 1000
got r2 1000
EOF
	cmp "$d/msg" "$d/r1.out"
	cmp "$d/msg" "$d/r2.out"
	# Sent to the group with the TTL asked for (--recv-info shows both).
	grep -Eq '^Received 1000 bytes from [0-9.]+ [0-9]+ to 239\.1\.2\.3 ttl 3 at [0-9]+\.[0-9]{9}$' "$d/r1.err"
}

@test "IPv4: --mcast-join twice: a receiver hears both groups and not a third; another hears only its one" {
	local d=$BATS_TEST_TMPDIR
	printf 'to-a' >"$d/a"
	printf 'to-none' >"$d/n"
	printf 'to-b' >"$d/b"
	in_netns <<'EOF'
lo_multicast
# -k: every sender is heard (without it, only the first)
receiver r1 -k --mcast-join 239.1.2.10 --mcast-join 239.1.2.11 0
port=$(bound_port r1)
receiver r2 -k --mcast-join 239.1.2.11 "$port"
# one at a time, each sender gone before the next: a group nobody joined
# first, so that a wrong delivery would come before what is waited for
send n "$D/n" 239.1.2.12 "$port"
send a "$D/a" 239.1.2.10 "$port"
got r1 4
send b "$D/b" 239.1.2.11 "$port"
got r1 8
got r2 4
EOF
	assert_equal "$(cat "$d/r1.out")" to-ato-b
	assert_equal "$(cat "$d/r2.out")" to-b
}

@test "IPv4: --mcast-iface by name and by index on a veth link, two receivers" {
	need_veth
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/msg" 1400
	in_netns <<'EOF'
# No route for the group: without --mcast-iface, the join fails (ENODEV)
# and so does the sending (ENETUNREACH).
veth_multicast noroute
idx=$(ip -o link show dev v0 | cut -d: -f1)
receiver r1 --mcast-join 239.1.2.4 --mcast-iface v0 0
port=$(bound_port r1)
receiver r2 --mcast-join 239.1.2.4 --mcast-iface "$idx" "$port"
send s "$D/msg" --mcast-iface v0 239.1.2.4 "$port"
got r1 1400
got r2 1400
EOF
	cmp "$d/msg" "$d/r1.out"
	cmp "$d/msg" "$d/r2.out"
}

@test "IPv6: a datagram to ff12::1234 (--mcast-iface) reaches both joined receivers" {
	need_veth
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/msg" 1200
	in_netns <<'EOF'
veth_multicast
receiver r1 --recv-info --mcast-join ff12::1234 --mcast-iface v0 0
port=$(bound_port r1)
receiver r2 --mcast-join ff12::1234 --mcast-iface v0 "$port"
grep -q '^Bound on :: ' "$D/r1.err" || fail "r1 does not listen on ::"
send s "$D/msg" --mcast-iface v0 --mcast-ttl 2 ff12::1234 "$port"
got r1 1200
got r2 1200
EOF
	cmp "$d/msg" "$d/r1.out"
	cmp "$d/msg" "$d/r2.out"
	# Sent to the group with the hop limit asked for.
	grep -Eq '^Received 1200 bytes from fe80::[0-9a-f:]+(%v0)? [0-9]+ to ff12::1234 ttl 2 at [0-9]+\.[0-9]{9}$' "$d/r1.err"
}

@test "IPv4: --no-mcast-loop is not heard on this host, a later --mcast-loop sender is" {
	need_veth
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/msg1" 500
	make_payload "$d/msg2" 700
	in_netns <<'EOF'
veth_multicast
receiver r1 --mcast-join 239.1.2.5 0
port=$(bound_port r1)
receiver r2 --mcast-join 239.1.2.5 "$port"
n=$(udp_out 4)
send s1 "$D/msg1" --no-mcast-loop 239.1.2.5 "$port"
# It did go out (onto v0), only not back to this host.
(( $(udp_out 4) == n + 1 )) || fail "the --no-mcast-loop sender sent nothing"
send s2 "$D/msg2" --mcast-loop 239.1.2.5 "$port"
got r1 700
got r2 700
EOF
	cmp "$d/msg2" "$d/r1.out"
	cmp "$d/msg2" "$d/r2.out"
}

@test "IPv6: --no-mcast-loop is not heard on this host, a later sender (loop by default) is" {
	need_veth
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/msg1" 500
	make_payload "$d/msg2" 700
	in_netns <<'EOF'
veth_multicast
receiver r1 --mcast-join ff12::5 --mcast-iface v0 0
port=$(bound_port r1)
receiver r2 --mcast-join ff12::5 --mcast-iface v0 "$port"
n=$(udp_out 6)
send s1 "$D/msg1" --no-mcast-loop --mcast-iface v0 ff12::5 "$port"
(( $(udp_out 6) == n + 1 )) || fail "the --no-mcast-loop sender sent nothing"
send s2 "$D/msg2" --mcast-iface v0 ff12::5 "$port"
got r1 700
got r2 700
EOF
	cmp "$d/msg2" "$d/r1.out"
	cmp "$d/msg2" "$d/r2.out"
}
