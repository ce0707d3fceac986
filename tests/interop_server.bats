#!/usr/bin/env bats
# Real clients nobody here wrote (ncat, socat) against sockcat's servers:
# echo, exec, broker, and the UDP echo with a connection per peer.
# bats file_tags=interop

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
	make_payload "$D/payload" $((1024 * 1024))
}

# received N : the server has reported N connections.
received() {
	(($(grep -c '^Connection received' "$D/srv.err") == $1))
}

# peer_io IN OUT CMD... : run a peer under timeout, stdin IN, stdout OUT.
peer_io() {
	local in=$1 out=$2
	shift 2
	timeout -k 2 "$SC_TIMEOUT" "$@" <"$in" >"$out"
}

@test "ncat clients against --echo: each gets its own 1 MiB back, at once" {
	need_cmd ncat
	start_server srv -n -k -l --echo 127.0.0.1 0
	local i pids=()
	for i in 1 2 3 4; do
		make_payload "$D/in$i" $((512 * 1024 + i))
		peer_io "$D/in$i" "$D/out$i" ncat 127.0.0.1 "$SRV_PORT" 3>&- &
		pids+=($!)
		track $!
	done
	for i in 1 2 3 4; do
		wait_exit "${pids[i - 1]}"
		[ "$WAIT_STATUS" -eq 0 ]
		cmp "$D/in$i" "$D/out$i"
	done
	[ "$(grep -c '^Connection closed on 127\.0\.0\.1 ' "$D/srv.err")" -eq 4 ]
}

@test "socat client against --echo: 1 MiB back, exit 0" {
	need_cmd socat
	start_server srv -n -k -l --echo 127.0.0.1 0
	run -0 peer_io "$D/payload" "$D/out" socat -t 10 - "TCP:127.0.0.1:$SRV_PORT"
	cmp "$D/payload" "$D/out"
}

@test "socat client against -e /bin/cat over IPv6" {
	need_cmd socat
	need_ipv6
	start_server srv -n -k -l -e /bin/cat ::1 0
	run -0 peer_io "$D/payload" "$D/out" socat -t 10 - "TCP6:[::1]:$SRV_PORT"
	cmp "$D/payload" "$D/out"
}

@test "ncat client against -c 'tr a-z A-Z'" {
	need_cmd ncat
	start_server srv -n -k -l -c 'tr a-z A-Z' 127.0.0.1 0
	printf 'hello, server\n' >"$D/in"
	run -0 peer_io "$D/in" "$D/out" ncat 127.0.0.1 "$SRV_PORT"
	[ "$(cat "$D/out")" = "HELLO, SERVER" ]
}

@test "two socat clients through --broker: each hears only the other" {
	need_cmd socat
	start_server srv -n -k -l --broker 127.0.0.1 0
	mkfifo "$D/a.in" "$D/b.in"
	timeout -k 2 "$SC_TIMEOUT" socat -t 10 - "TCP:127.0.0.1:$SRV_PORT" \
		<"$D/a.in" >"$D/a.out" 3>&- &
	track $!
	local a=$!
	exec {AW}>"$D/a.in"
	wait_until 10 received 1
	timeout -k 2 "$SC_TIMEOUT" socat -t 10 - "TCP:127.0.0.1:$SRV_PORT" \
		<"$D/b.in" >"$D/b.out" 3>&- &
	track $!
	local b=$!
	exec {BW}>"$D/b.in"
	wait_until 10 received 2
	printf 'from a\n' >&"$AW"
	wait_for "$D/b.out" '^from a$'
	printf 'from b\n' >&"$BW"
	wait_for "$D/a.out" '^from b$'
	exec {AW}>&- {BW}>&-
	wait_exit "$a"
	wait_exit "$b"
	[ "$(cat "$D/a.out")" = "from b" ]
	[ "$(cat "$D/b.out")" = "from a" ]
}

@test "socat UDP clients against -u -k --echo: each gets its datagram" {
	need_cmd socat
	start_server srv -n -u -k -l --echo 127.0.0.1 0
	local i
	for i in 1 2 3; do
		printf 'datagram %d' "$i" >"$D/d$i"
		run -0 peer_io "$D/d$i" "$D/r$i" socat -T 1 - \
			"UDP4:127.0.0.1:$SRV_PORT"
		cmp "$D/d$i" "$D/r$i"
	done
	[ "$(grep -c '^Connection received on 127\.0\.0\.1 ' "$D/srv.err")" -eq 3 ]
}
