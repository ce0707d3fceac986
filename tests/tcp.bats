#!/usr/bin/env bats
# TCP over IPv4 and IPv6 loopback: transfers in both directions and both
# roles, listening details (port 0, --port-file, dual stack, -k), source
# address and port.

load helpers

setup() {
	PAYLOAD=$BATS_TEST_TMPDIR/payload
}

# upload ADDR : the client sends 64 MiB to a listener whose stdin is
# /dev/null (so the listener half-closes at once).
upload() {
	make_payload "$PAYLOAD" $((64 * 1024 * 1024))
	start_server srv -n -l "$1" 0
	run -0 sc -n "$1" "$SRV_PORT" <"$PAYLOAD"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/srv.out"
}

# download ADDR : the listener sends 64 MiB to a client whose stdin is
# /dev/null.
download() {
	make_payload "$PAYLOAD" $((64 * 1024 * 1024))
	SRV_IN=$PAYLOAD start_server srv -n -l "$1" 0
	sc -n "$1" "$SRV_PORT" </dev/null >"$BATS_TEST_TMPDIR/cli.out"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$BATS_TEST_TMPDIR/cli.out"
}

@test "64 MiB upload to a listener, IPv4" {
	upload 127.0.0.1
}

@test "64 MiB download from a listener, IPv4" {
	download 127.0.0.1
}

@test "64 MiB upload to a listener, IPv6" {
	need_ipv6
	upload ::1
}

@test "64 MiB download from a listener, IPv6" {
	need_ipv6
	download ::1
}

@test "both directions at once through pipes, checksums equal at both ends" {
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/up" $((32 * 1024 * 1024))
	make_payload "$d/down" $((32 * 1024 * 1024))
	SRV_IN=$d/down start_server srv -n -l 127.0.0.1 0
	cat "$d/up" | sc -n 127.0.0.1 "$SRV_PORT" | sha256sum >"$d/cli.sum"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(sha256sum <"$d/down")" = "$(cat "$d/cli.sum")" ]
	cmp "$d/up" "$d/srv.out"
}

@test "a fixture with NULs and non-UTF-8 bytes arrives byte for byte" {
	start_server srv -n -l 127.0.0.1 0
	run -0 sc -n 127.0.0.1 "$SRV_PORT" <"$SC_FIXTURES/binary.bin"
	wait_ok "$SRV_PID"
	cmp "$SC_FIXTURES/binary.bin" "$BATS_TEST_TMPDIR/srv.out"
}

@test "port 0: the Listening line reports the port the kernel chose" {
	start_server srv -n -l 127.0.0.1 0
	[[ $SRV_PORT =~ ^[0-9]+$ ]]
	[ "$SRV_PORT" -gt 0 ]
	# the port in the line is the one the socket is bound to
	ss -Hltn "sport = :$SRV_PORT" | grep -q "127.0.0.1:$SRV_PORT"
	run -0 sc -n 127.0.0.1 "$SRV_PORT" <<<"x"
}

@test "--port-file holds the bound port once listening" {
	local pf=$BATS_TEST_TMPDIR/port
	start_server srv -n -l --port-file "$pf" 127.0.0.1 0
	[ -s "$pf" ]
	[ "$(cat "$pf")" = "$SRV_PORT" ]
	run -0 sc -n 127.0.0.1 "$(cat "$pf")" <<<"via port file"
	wait_ok "$SRV_PID"
	[ "$(cat "$BATS_TEST_TMPDIR/srv.out")" = "via port file" ]
}

@test "--port-file alone is enough to find the listener (no -v)" {
	local pf=$BATS_TEST_TMPDIR/port
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -n -l --port-file "$pf" 127.0.0.1 0 \
		</dev/null >"$BATS_TEST_TMPDIR/srv.out" 2>&1 3>&- &
	track $!
	local pid=$!
	wait_for "$pf" '^[0-9]+$'
	run -0 sc -n 127.0.0.1 "$(cat "$pf")" <<<"quiet"
	wait_exit "$pid"
	[ "$WAIT_STATUS" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/srv.out")" = "quiet" ]
}

@test "-l -p PORT and -l -s ADDR -p PORT listen like the operands do" {
	start_server first -n -l 127.0.0.1 0
	local port=$SRV_PORT
	run -0 sc -n 127.0.0.1 "$port" </dev/null
	wait_ok "$SRV_PID"
	start_server srv -n -l -s 127.0.0.1 -p "$port"
	grep -qx "Listening on 127.0.0.1 $port" "$BATS_TEST_TMPDIR/srv.err"
	run -0 sc -n 127.0.0.1 "$port" <<<"dash p"
	wait_ok "$SRV_PID"
	[ "$(cat "$BATS_TEST_TMPDIR/srv.out")" = "dash p" ]
}

@test "without a host, one dual-stack listener serves IPv4 and IPv6 clients" {
	need_ipv6
	start_server srv -n -k -l 0
	grep -qx "Listening on :: $SRV_PORT" "$BATS_TEST_TMPDIR/srv.err"
	run -0 sc -n 127.0.0.1 "$SRV_PORT" <<<"four"
	wait_for "$BATS_TEST_TMPDIR/srv.out" '^four$'
	run -0 sc -n ::1 "$SRV_PORT" <<<"six"
	wait_for "$BATS_TEST_TMPDIR/srv.out" '^six$'
	# the IPv4 client is shown as IPv4, not as ::ffff:127.0.0.1
	grep -Eq '^Connection received on 127\.0\.0\.1 [0-9]+$' "$BATS_TEST_TMPDIR/srv.err"
	grep -Eq '^Connection received on ::1 [0-9]+$' "$BATS_TEST_TMPDIR/srv.err"
}

@test "-6 listens on IPv6 only; -4 on IPv4 only" {
	need_ipv6
	start_server six -n -6 -l 0
	grep -qx "Listening on :: $SRV_PORT" "$BATS_TEST_TMPDIR/six.err"
	run -4 sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	start_server four -n -4 -l 0
	grep -qx "Listening on 0.0.0.0 $SRV_PORT" "$BATS_TEST_TMPDIR/four.err"
	run -4 sc -n ::1 "$SRV_PORT" </dev/null
}

@test "-v: Listening, Connection received and Connection succeeded lines" {
	start_server srv -n -l 127.0.0.1 0
	run -0 --separate-stderr sc -v -n 127.0.0.1 "$SRV_PORT" </dev/null
	local want="Connection to 127.0.0.1 $SRV_PORT port [tcp/$(getent services "$SRV_PORT/tcp" | awk '{print $1}')]"
	want=${want/\/]/\/*]}
	[ "$stderr" = "$want succeeded!" ]
	wait_ok "$SRV_PID"
	grep -Eqx "Connection received on 127\.0\.0\.1 [0-9]+" "$BATS_TEST_TMPDIR/srv.err"
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/srv.err")" = "Listening on 127.0.0.1 $SRV_PORT" ]
}

@test "a listener without -k accepts one client and closes the listening socket" {
	start_server srv -n -l 127.0.0.1 0
	run -0 sc -n 127.0.0.1 "$SRV_PORT" <<<"one"
	wait_ok "$SRV_PID"
	run -4 sc -n 127.0.0.1 "$SRV_PORT" </dev/null
}

@test "-k accepts the next client after one leaves, stdout kept open" {
	start_server srv -n -k -l 127.0.0.1 0
	local i
	for i in 1 2 3; do
		run -0 sc -n 127.0.0.1 "$SRV_PORT" <<<"client $i"
		wait_for "$BATS_TEST_TMPDIR/srv.out" "^client $i\$"
	done
	[ "$(grep -c '^Connection received on' "$BATS_TEST_TMPDIR/srv.err")" -eq 3 ]
	printf 'client 1\nclient 2\nclient 3\n' | cmp - "$BATS_TEST_TMPDIR/srv.out"
	kill -0 "$SRV_PID"
}

@test "-k: stdin data goes to the first client, stdin EOF to every later one" {
	local d=$BATS_TEST_TMPDIR
	printf 'greeting\n' >"$d/in"
	SRV_IN=$d/in start_server srv -n -k -l 127.0.0.1 0
	run -0 sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	[ "$output" = "greeting" ]
	wait_for "$d/srv.err" '^Connection received'
	run -0 sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	[ "$output" = "" ]
}

@test "-s and -p set the client's source address and port" {
	# a port that was free a moment ago: bind one, then release it
	start_server probe -n -l 127.0.0.1 0
	local sport=$SRV_PORT
	run -0 sc -n 127.0.0.1 "$sport" </dev/null
	wait_ok "$SRV_PID"
	start_server srv -n -l 127.0.0.1 0
	run -0 sc -n -s 127.0.0.1 -p "$sport" 127.0.0.1 "$SRV_PORT" <<<"from source"
	wait_ok "$SRV_PID"
	grep -qx "Connection received on 127.0.0.1 $sport" "$BATS_TEST_TMPDIR/srv.err"
}

@test "a connect tries every address in turn and reports the failures with -v" {
	# "localhost" resolves from /etc/hosts without DNS; list both families
	grep -Eq '^127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts ||
		skip "/etc/hosts has no localhost entry for 127.0.0.1"
	start_server srv -n -4 -l 127.0.0.1 0
	run -0 --separate-stderr sc -v localhost "$SRV_PORT" <<<"tried"
	wait_ok "$SRV_PID"
	[ "$(cat "$BATS_TEST_TMPDIR/srv.out")" = "tried" ]
	[[ ${stderr_lines[-1]} == "Connection to localhost $SRV_PORT port [tcp/"*"] succeeded!" ]]
}

# send_queued PORT : the TCP socket on local port PORT has unsent data.
send_queued() {
	(($(ss -Htn "sport = :$1" | awk '{s += $3} END {print s + 0}') > 0))
}

# slow_reader ADDR : 16 MiB from a listener on ADDR to a client whose
# reader is stopped (SIGSTOP) before it reads a byte, then continued.
slow_reader() {
	local d=$BATS_TEST_TMPDIR
	make_payload "$PAYLOAD" $((16 * 1024 * 1024))
	SRV_IN=$PAYLOAD start_server srv -n -l "$1" 0
	# The reader at the end of the pipe stops itself before reading a
	# byte; sockcat must hold back instead of dropping or spinning.
	(sc -n "$1" "$SRV_PORT" </dev/null |
		{ echo "$BASHPID" >"$d/reader.pid"; kill -STOP "$BASHPID"; exec cat; } \
		>"$d/cli.out") 3>&- &
	local pipeline=$!
	track "$pipeline"
	wait_for "$d/reader.pid" '^[0-9]+$'
	local reader
	reader=$(cat "$d/reader.pid")
	track "$reader"
	# the sender is blocked once its socket's send queue stays full
	wait_until 10 send_queued "$SRV_PORT"
	[ "$(stat -c %s "$d/cli.out")" -eq 0 ]
	kill -CONT "$reader"
	wait_exit "$pipeline"
	[ "$WAIT_STATUS" -eq 0 ]
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$PAYLOAD" "$d/cli.out"
}

@test "a slow reader (stopped with SIGSTOP) loses nothing" {
	slow_reader 127.0.0.1
}

@test "a slow reader (stopped with SIGSTOP) loses nothing, IPv6" {
	need_ipv6
	slow_reader ::1
}

# --- one name, several addresses ---------------------------------------------
# The name sc-multi.test resolves to ::1, 127.0.0.2 and 127.0.0.3 through a
# hosts file bind-mounted over /etc/hosts in a private mount namespace that
# only the process under test sees (the network namespace is the test's:
# the listeners below are on the same loopback). The order in which a
# connect must try them is the order getaddrinfo gives in that namespace,
# which the test asks for first (RFC 6724 sorting may reorder the file).

MULTI=sc-multi.test

# need_hosts_ns : write $D/hosts and skip unless a private mount namespace
# with the file bound over /etc/hosts can be made here.
need_hosts_ns() {
	D=$BATS_TEST_TMPDIR
	printf '::1 %s\n127.0.0.2 %s\n127.0.0.3 %s\n' "$MULTI" "$MULTI" "$MULTI" >"$D/hosts"
	need_ipv6
	unshare -m -- sh -c 'mount --bind "$0" /etc/hosts' "$D/hosts" 2>/dev/null ||
		skip "unshare -m with a bind mount over /etc/hosts is not permitted here"
}

# in_hosts CMD... : CMD in a private mount namespace with $D/hosts as
# /etc/hosts.
in_hosts() {
	unshare -m -- sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$D/hosts" "$@"
}

# multi_order : ORDER, the addresses of $MULTI in getaddrinfo's order
# (AI_ADDRCONFIG, TCP, as sockcat asks); all three, each once.
multi_order() {
	mapfile -t ORDER < <(in_hosts python3 -c '
import socket, sys
for r in socket.getaddrinfo(sys.argv[1], 9, 0, socket.SOCK_STREAM,
                            socket.IPPROTO_TCP, socket.AI_ADDRCONFIG):
    print(r[4][0])' "$MULTI")
	[ "${#ORDER[@]}" -eq 3 ] || fail "getaddrinfo gave ${ORDER[*]}"
	[ "$(printf '%s\n' "${ORDER[@]}" | sort | tr '\n' ' ')" = "127.0.0.2 127.0.0.3 ::1 " ] ||
		fail "getaddrinfo gave ${ORDER[*]}"
}

# MULTI_PY PORTFILE ADDR=ROLE... : one port P held on each ADDR, in its
# ROLE: refuse (bound, not listening: a connect is refused), full
# (listening with a full accept queue, filled by connections of its own:
# the kernel drops further SYNs, so a connect never completes) or accept
# (accepts one connection, writes what it receives until EOF to
# PORTFILE.got, answers "reply from ADDR\n" and closes). P goes to
# PORTFILE (atomically) once every socket is set; then it lives until
# killed (bounded by timeout).
MULTI_PY='
import os, socket, sys, time
pf, roles = sys.argv[1], [a.split("=") for a in sys.argv[2:]]
def fam(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET
for attempt in range(100):
    held, port = [], 0
    try:
        for addr, role in roles:
            s = socket.socket(fam(addr), socket.SOCK_STREAM)
            held.append(s)
            s.bind((addr, port))
            port = s.getsockname()[1]
        break
    except OSError:
        for s in held:
            s.close()
else:
    sys.exit("no port free on all the addresses")
extra, acceptor = [], None
for (addr, role), s in zip(roles, held):
    if role == "full":
        s.listen(0)
        extra.append(socket.create_connection((addr, port), timeout=5))
        for _ in range(3):
            c = socket.socket(fam(addr), socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect((addr, port))
            except BlockingIOError:
                pass
            extra.append(c)
    elif role == "accept":
        s.listen(1)
        acceptor = (addr, s)
with open(pf + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(pf + ".tmp", pf)
if acceptor:
    addr, s = acceptor
    s.settimeout(20)
    c, _ = s.accept()
    c.settimeout(20)
    got = b"".join(iter(lambda: c.recv(65536), b""))
    with open(pf + ".got", "wb") as f:
        f.write(got)
    c.sendall(b"reply from %s\n" % addr.encode())
    c.close()
while True:
    time.sleep(60)
'

# multi_peer ROLE1 ROLE2 ROLE3 : MULTI_PY with the roles given to the
# addresses in connect order (ORDER); sets MPORT.
multi_peer() {
	rm -f "$D/multi.port"
	peer_bg multi python3 -c "$MULTI_PY" "$D/multi.port" \
		"${ORDER[0]}=$1" "${ORDER[1]}=$2" "${ORDER[2]}=$3"
	wait_exists "$D/multi.port"
	MPORT=$(cat "$D/multi.port")
}

# sc_multi ARGS... : sockcat ARGS in the namespace, under timeout.
sc_multi() {
	in_hosts timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@"
}

@test "a name with three addresses, all refused: -v reports each in turn, without -v only the last" {
	need_hosts_ns
	multi_order
	multi_peer refuse refuse refuse
	run -4 --separate-stderr sc_multi "$MULTI" "$MPORT" </dev/null
	assert_output ''
	assert_equal "$stderr" "sockcat: connect to ${ORDER[2]} port $MPORT (tcp): Connection refused"
	run -4 --separate-stderr sc_multi -v "$MULTI" "$MPORT" </dev/null
	assert_output ''
	printf 'sockcat: connect to %s port '"$MPORT"' (tcp): Connection refused\n' \
		"${ORDER[@]}" >"$D/want"
	printf '%s\n' "$stderr" | diff -u "$D/want" -
}

@test "a name with three addresses: the last one listens, the connect gets there and data flows" {
	need_hosts_ns
	multi_order
	multi_peer refuse refuse accept
	printf 'request\n' >"$D/req"
	run -0 --separate-stderr sc_multi "$MULTI" "$MPORT" <"$D/req"
	assert_output "reply from ${ORDER[2]}"
	assert_equal "$stderr" ''	# earlier failures are news only with -v
	cmp "$D/req" "$D/multi.port.got"

	# again with -v: the two failures in order, then the success
	kill "$PEER_PID"
	multi_peer refuse refuse accept
	run -0 --separate-stderr sc_multi -v "$MULTI" "$MPORT" <"$D/req"
	assert_output "reply from ${ORDER[2]}"
	{
		printf 'sockcat: connect to %s port '"$MPORT"' (tcp): Connection refused\n' \
			"${ORDER[0]}" "${ORDER[1]}"
		printf 'Connection to %s %s port [tcp/*] succeeded!\n' "$MULTI" "$MPORT"
	} >"$D/want"
	sed -E 's/\[tcp\/[^]]*\]/[tcp\/*]/' <<<"$stderr" | diff -u "$D/want" -
	cmp "$D/req" "$D/multi.port.got"
}

@test "a name with three addresses: one whose backlog is full times out, the next is tried" {
	need_hosts_ns
	multi_order
	multi_peer refuse full accept
	printf 'past the full one\n' >"$D/req"
	run -0 --separate-stderr sc_multi -v --connect-timeout 500ms "$MULTI" "$MPORT" <"$D/req"
	assert_output "reply from ${ORDER[2]}"
	{
		printf 'sockcat: connect to %s port %s (tcp): Connection refused\n' "${ORDER[0]}" "$MPORT"
		printf 'sockcat: connect to %s port %s (tcp): Connection timed out\n' "${ORDER[1]}" "$MPORT"
		printf 'Connection to %s %s port [tcp/*] succeeded!\n' "$MULTI" "$MPORT"
	} >"$D/want"
	sed -E 's/\[tcp\/[^]]*\]/[tcp\/*]/' <<<"$stderr" | diff -u "$D/want" -
	cmp "$D/req" "$D/multi.port.got"
}

@test "-o to a full disk: the failed write is said once, naming -o and the file; every byte still relayed, exit 0" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/up" $((1024 * 1024))
	make_payload "$d/down" $((1024 * 1024))
	peer_listen peer send:"$d/down" recv-all:"$d/peer.in" close
	run -0 --separate-stderr io "$d/up" "$d/out" \
		sc -o /dev/full --output-sent "$d/sent" 127.0.0.1 "$PEER_PORT"
	[[ $stderr == "sockcat: -o /dev/full: No space left on device" ]]
	wait_exit "$PEER_PID"
	((WAIT_STATUS == 0))
	cmp "$d/up" "$d/peer.in"
	cmp "$d/down" "$d/out"
	# the logs stop together: -o failed on the first chunk, before
	# --output-sent had any
	[[ -e $d/sent && ! -s $d/sent ]]
}
