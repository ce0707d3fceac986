#!/usr/bin/env bats
# Servers whose connections are handled by a child: -e/--exec and
# -c/--sh-exec. Data through the child, its environment, reaping, half-close,
# a child that dies early, --exec-stderr, the -e quoting rules, a program
# that cannot be run, connect mode, --max-conns slots held by a child,
# signal dispositions and descriptors in the child.

load helpers

# cli HOST PORT ACTIONS... | cli --unix PATH ACTIONS... : a client
# (tests/fixtures/peer.py, which lists the actions) in the foreground,
# under timeout.
cli() {
	if [[ $1 == --unix ]]; then
		peer python3 "$SC_FIXTURES/peer.py" --connect-unix "$2" "${@:3}"
	else
		peer python3 "$SC_FIXTURES/peer.py" --connect "$1" "$2" "${@:3}"
	fi
}

# zombies PID : how many zombie children PID has.
zombies() {
	ps --ppid "$1" -o stat= | grep -c '^Z' || true
}

no_zombies() {
	[ "$(zombies "$1")" -eq 0 ]
}

no_children() {
	[ -z "$(ps --ppid "$1" -o pid=)" ]
}

# env_of FILE NAME : the value of NAME in an `env` listing in FILE.
env_of() {
	sed -n "s/^$2=//p" "$1"
}

setup() {
	D=$BATS_TEST_TMPDIR
}

@test "-e /bin/cat: concurrent clients each get their own 1 MB back" {
	start_server srv -n -l -k -e /bin/cat 127.0.0.1 0
	echo_clients "$SRV_PORT" 5 $((1024 * 1024))
	[ "$(grep -c '^Connection received on 127\.0\.0\.1 ' "$D/srv.err")" -eq 5 ]
	kill -0 "$SRV_PID"
}

@test "-c 'tr a-z A-Z' upper-cases what the client sends" {
	start_server srv -n -l -k -c 'tr a-z A-Z' 127.0.0.1 0
	printf 'Hello, World 123\nsecond line\n' >"$D/in"
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" <"$D/in"
	assert_equal "$output" $'HELLO, WORLD 123\nSECOND LINE'
	# a second client is served by a child of its own
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" <<<"again"
	assert_equal "$output" "AGAIN"
}

@test "exec environment of a TCP client: SOCKCAT_PROTO, REMOTE_*, LOCAL_*" {
	start_server srv -n -l -k -c 'env' 127.0.0.1 0
	cli 127.0.0.1 "$SRV_PORT" info:"$D/info" shut-wr recv-end:"$D/env"
	local cport
	cport=$(cut -d' ' -f4 "$D/info")
	wait_for "$D/srv.err" "^Connection received on 127\.0\.0\.1 $cport\$"
	assert_equal "$(env_of "$D/env" SOCKCAT_PROTO)" tcp
	assert_equal "$(env_of "$D/env" SOCKCAT_REMOTE_ADDR)" 127.0.0.1
	assert_equal "$(env_of "$D/env" SOCKCAT_REMOTE_PORT)" "$cport"
	assert_equal "$(env_of "$D/env" SOCKCAT_LOCAL_ADDR)" 127.0.0.1
	assert_equal "$(env_of "$D/env" SOCKCAT_LOCAL_PORT)" "$SRV_PORT"
	# no credentials for a TCP client
	run -1 grep '^SOCKCAT_PEER_' "$D/env"
}

@test "exec environment of a UNIX client: SOCKCAT_PROTO=unix and the client's PID, UID, GID" {
	sockdir
	local path=$SOCKDIR/s
	start_server srv -l -k -U -c 'env' "$path"
	cli --unix "$path" info:"$D/info" shut-wr recv-end:"$D/env"
	local pid uid gid
	read -r pid uid gid _ <"$D/info"
	assert_equal "$(env_of "$D/env" SOCKCAT_PROTO)" unix
	assert_equal "$(env_of "$D/env" SOCKCAT_PEER_PID)" "$pid"
	assert_equal "$(env_of "$D/env" SOCKCAT_PEER_UID)" "$uid"
	assert_equal "$(env_of "$D/env" SOCKCAT_PEER_GID)" "$gid"
	assert_equal "$(env_of "$D/env" SOCKCAT_LOCAL_ADDR)" "$path"
	# no port for a UNIX socket
	run -1 grep -E '^SOCKCAT_(LOCAL|REMOTE)_PORT=' "$D/env"
}

@test "exec environment: stale SOCKCAT_* and LISTEN_* of sockcat's own are not passed on" {
	# LISTEN_PID names another process, so sockcat itself must not use fd 3
	export SOCKCAT_FOO=stale SOCKCAT_PROTO=stale-proto \
		LISTEN_FDS=1 LISTEN_PID=1 LISTEN_FDNAMES=x SC_EXEC_KEEP=kept
	start_server srv -n -l -k -c 'env' 127.0.0.1 0
	unset SOCKCAT_FOO SOCKCAT_PROTO LISTEN_FDS LISTEN_PID LISTEN_FDNAMES SC_EXEC_KEEP
	cli 127.0.0.1 "$SRV_PORT" shut-wr recv-end:"$D/env"
	# the rest of the environment is passed
	assert_equal "$(env_of "$D/env" SC_EXEC_KEEP)" kept
	assert_equal "$(env_of "$D/env" SOCKCAT_PROTO)" tcp
	run -1 grep -E '^(SOCKCAT_FOO|LISTEN_[A-Z]*)=' "$D/env"
}

@test "100 sequential clients of -e /bin/cat leave no zombie children" {
	start_server srv -n -vv -l -k -e /bin/cat 127.0.0.1 0
	local c pid
	pid=$(sc_child "$SRV_PID")
	[ -n "$pid" ]
	for ((c = 1; c <= 100; c++)); do
		run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" <<<"line $c"
		[ "$output" = "line $c" ] || fail "client $c got: $output"
	done
	# reaping is asynchronous: poll, bounded
	wait_until 10 no_zombies "$pid"
	wait_until 10 no_children "$pid"
	wait_until 10 eval '[ "$(grep -Ec "^Child [0-9]+ of 127\.0\.0\.1 [0-9]+ exited with status 0$" "$D/srv.err")" -eq 100 ]'
	kill -0 "$pid"
}

@test "half-close: the child sees EOF on stdin and its later output still reaches the client" {
	start_server srv -n -l -k -c 'wc -c; echo after-eof' 127.0.0.1 0
	cli 127.0.0.1 "$SRV_PORT" sendstr:"hello, world" shut-wr recv-end:"$D/out"
	assert_equal "$(cat "$D/out.end")" EOF
	printf '12\nafter-eof\n' >"$D/expect"
	cmp "$D/expect" "$D/out"
}

@test "half-close with 1 MB: the child's output after EOF is relayed in full" {
	make_payload "$D/in" $((1024 * 1024))
	start_server srv -n -l -k -c 'sha256sum; cat /dev/null' 127.0.0.1 0
	cli 127.0.0.1 "$SRV_PORT" send:"$D/in" shut-wr recv-end:"$D/out"
	assert_equal "$(cat "$D/out.end")" EOF
	sha256sum <"$D/in" >"$D/expect"
	cmp "$D/expect" "$D/out"
}

@test "a child that exits while its client still sends: the client gets its output, then EOF; the server goes on" {
	start_server srv -n -l -k -c 'head -c 10' 127.0.0.1 0
	cli 127.0.0.1 "$SRV_PORT" flood:"$D/out"
	# the child's 10 bytes, then an end of file ...
	has_size "$D/out" 10
	assert_equal "$(cat "$D/out.end")" EOF
	# ... and the connection is closed: sending fails (reset or broken pipe)
	run cat "$D/out.send"
	assert_output --regexp '^(ECONNRESET|EPIPE)$'
	# the server is still serving
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" <<<"0123456789abcdef"
	assert_equal "$output" "0123456789"
}

@test "without --exec-stderr the child's stderr goes to sockcat's stderr" {
	start_server srv -n -l -k -c 'echo out; echo err >&2' 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	assert_equal "$output" out
	wait_for "$D/srv.err" '^err$'
}

@test "--exec-stderr: the child's stderr goes to the client too" {
	start_server srv -n -l -k --exec-stderr -c 'echo out; echo err >&2' 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	assert_equal "$(sort <<<"$output")" $'err\nout'
	run -1 grep -x err "$D/srv.err"
}

@test "-e splits words without a shell: blanks, '...', \"...\", backslash" {
	start_server srv -n -l -k -e 'printf "%s|" a "b c" '"'"'d e'"'"' f\ g' 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	assert_equal "$output" 'a|b c|d e|f g|'
	# inside double quotes only \\ \" \$ \` lose their backslash; nothing
	# is expanded
	start_server srv2 -n -l -k -e 'printf "%s|" "x\"y\\z\$w\`v\n" '"'"'$HOME\'"'"' \$HOME' 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	assert_equal "$output" 'x"y\z$w`v\n|$HOME\|$HOME|'
}

@test "-e with an unterminated quote or an empty command is a usage error" {
	usage_row 'quote' -l -k -e "printf 'a" 127.0.0.1 0
	usage_row 'quote' -l -k -e 'printf "a' 127.0.0.1 0
	usage_row '.' -l -k -e '' 127.0.0.1 0
	usage_row '.' -l -k -e '   ' 127.0.0.1 0
	rows_done
}

@test "-e with a program that does not exist: the client is closed, sockcat exits 1 (no -k)" {
	start_server srv -n -l -e nosuchprog-xyz 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	assert_equal "$output" ""
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 1 ]
	run grep '^sockcat: ' "$D/srv.err"
	assert_output 'sockcat: exec "nosuchprog-xyz": No such file or directory'
}

@test "-k -e with a program that does not exist: each client is closed, the server goes on" {
	start_server srv -n -l -k -e nosuchprog-xyz 127.0.0.1 0
	local n
	for n in 1 2; do
		run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" </dev/null
		assert_equal "$output" ""
		wait_until 10 eval '[ "$(grep -c "^sockcat: exec \"nosuchprog-xyz\": No such file or directory$" "$D/srv.err")" -eq '$n' ]'
	done
	kill -0 "$SRV_PID"
	[ -n "$(sc_child "$SRV_PID")" ]
	run -0 ss -Hltn "sport = :$SRV_PORT"
	[ -n "$output" ]
}

@test "connect mode -e /bin/cat: the listener gets its 1 MB echoed back" {
	make_payload "$D/payload" $((1024 * 1024))
	SRV_IN=$D/payload start_server srv -n -l 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" -e /bin/cat </dev/null
	assert_equal "$output" ""
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$D/payload" "$D/srv.out"
}

@test "connect mode -c: the child's output goes to the listener" {
	printf 'shout this\nand this\n' >"$D/in"
	SRV_IN=$D/in start_server srv -n -l 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" -c 'tr a-z A-Z' </dev/null
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	printf 'SHOUT THIS\nAND THIS\n' >"$D/expect"
	cmp "$D/expect" "$D/srv.out"
}

@test "--max-conns 1: a connection keeps its slot until its child has exited" {
	local go=$D/go
	start_server srv -n -vv -l -k --max-conns 1 \
		-c 'echo hi-$SOCKCAT_REMOTE_PORT; exec <&- >&-; while [ ! -e '"$go"' ]; do sleep 0.02; done' \
		127.0.0.1 0
	# client 1 gets its line and EOF, and leaves; its child goes on
	cli 127.0.0.1 "$SRV_PORT" info:"$D/info1" shut-wr recv-end:"$D/out1"
	local p1
	p1=$(cut -d' ' -f4 "$D/info1")
	assert_equal "$(cat "$D/out1")" "hi-$p1"
	# client 2 is rejected while that child runs
	cli 127.0.0.1 "$SRV_PORT" info:"$D/info2" shut-wr recv-end:"$D/out2"
	local p2
	p2=$(cut -d' ' -f4 "$D/info2")
	has_size "$D/out2" 0
	wait_for "$D/srv.err" "^Connection rejected on 127\.0\.0\.1 $p2: --max-conns 1 reached\$"
	run -1 grep -E "^Child [0-9]+ of 127\.0\.0\.1 $p1 exited" "$D/srv.err"
	# the child exits: the slot is free again
	touch "$go"
	wait_for "$D/srv.err" "^Child [0-9]+ of 127\.0\.0\.1 $p1 exited with status 0\$"
	cli 127.0.0.1 "$SRV_PORT" info:"$D/info3" shut-wr recv-end:"$D/out3"
	local p3
	p3=$(cut -d' ' -f4 "$D/info3")
	assert_equal "$(cat "$D/out3")" "hi-$p3"
	run -1 grep -E "^Connection rejected on 127\.0\.0\.1 $p3:" "$D/srv.err"
}

@test "children run with default signal dispositions and nothing blocked" {
	start_server srv -n -l -k -e 'grep -E "^Sig(Blk|Ign):" /proc/self/status' 127.0.0.1 0
	run -0 --separate-stderr sc -n 127.0.0.1 "$SRV_PORT" </dev/null
	# every bit clear: no signal blocked, none ignored (not even glibc's
	# internal 32 and 33, which posix_spawn may leave ignored)
	assert_equal "$output" $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000'
	# while sockcat itself ignores SIGPIPE (signal 13: bit 12)
	local ign
	ign=$(sed -n 's/^SigIgn:\t//p' "/proc/$(sc_child "$SRV_PID")/status")
	(((0x$ign >> 12) & 1))
}

@test "a child inherits no descriptor of sockcat's, not even another client's socket" {
	local cmd='echo ready; read -r line; ls /proc/self/fd'
	# the baseline: the same command run the same way outside sockcat
	# (descriptors inherited from the test harness show in both)
	peer sh -c "$cmd" <<<x >"$D/base" 2>"$D/base.err" 3>&-
	head -n 1 "$D/base" | grep -qx ready
	grep -qx 3 "$D/base" # ls's own directory descriptor
	start_server srv -n -l -k -c "$cmd" 127.0.0.1 0
	# client A holds its connection (its child waits in read) ...
	PEER_IN=/dev/null peer_bg a python3 "$SC_FIXTURES/peer.py" \
		--connect 127.0.0.1 "$SRV_PORT" \
		recv:6:"$D/a.out" mark:"$D/a.ready" wait:"$D/a.go" \
		sendstr:$'x\n' shut-wr recv-all:"$D/a.rest"
	local apid=$PEER_PID
	wait_exists "$D/a.ready"
	# ... while client B's child lists its descriptors
	cli 127.0.0.1 "$SRV_PORT" sendstr:$'x\n' shut-wr recv-end:"$D/b.out"
	cmp "$D/base" "$D/b.out"
	touch "$D/a.go"
	wait_exit "$apid"
	[ "$WAIT_STATUS" -eq 0 ]
	cat "$D/a.out" "$D/a.rest" >"$D/a.all"
	cmp "$D/base" "$D/a.all"
}

# --- signals: the children are told to stop ------------------------------------

# pid_gone PID : PID has exited (no such process, or a zombie not yet
# reaped by its new parent).
pid_gone() {
	[[ ! -e /proc/$1 || $(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) == Z ]]
}

# signal_children SIG STATUS : a -l -k -U -c server with two clients,
# each child a shell that records its pid and, on SIGTERM, the signal,
# then waits on a 30 s sleep. SIG to sockcat: it exits with STATUS (the
# timeout wrapper passes the signal death on as 128 + signo), the socket
# path is removed, and each child got SIGTERM and is gone.
signal_children() {
	local spid pid n=0
	sockdir
	# (D holds no quote or blank: it is $BATS_TEST_TMPDIR)
	start_server srv -l -k -U "$SOCKDIR/s" -c "echo \$\$ >>$D/child.pids
trap 'echo TERM \$\$ >>$D/child.sig; kill \$!; exit 0' TERM
sleep 30 &
wait"
	for n in 1 2; do
		peer_bg "c$n" python3 "$SC_FIXTURES/peer.py" --connect-unix "$SOCKDIR/s" hold
		wait_until 10 eval '[ "$(wc -l <"$D/child.pids" 2>/dev/null)" = '"$n"' ]'
	done
	spid=$(sc_child "$SRV_PID")
	[ -n "$spid" ]
	kill -"$1" "$spid"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq "$2" ] || fail "exit $WAIT_STATUS, expected $2: $(cat "$D/srv.err")"
	[[ ! -e $SOCKDIR/s ]] || fail "the socket path is still there"
	while read -r pid; do
		wait_until 10 pid_gone "$pid"
		grep -qx "TERM $pid" "$D/child.sig" ||
			fail "child $pid did not get SIGTERM: $(cat "$D/child.sig" 2>&1)"
	done <"$D/child.pids"
	[ "$(wc -l <"$D/child.sig")" -eq 2 ]
}

@test "SIGTERM to a -l -k -U -c server: exit 143, the path removed, each child gets SIGTERM" {
	signal_children TERM 143
}

@test "SIGINT to a -l -k -U -c server: exit 130, the path removed, each child gets SIGTERM" {
	signal_children INT 130
}

# --- leaks ---------------------------------------------------------------------

@test "1,500 sequential clients of -e /bin/cat: no descriptor leaked, no zombie, RSS flat" {
	local spid before mark end
	# Under AddressSanitizer freed memory waits in a quarantine and would
	# look like growth; without one, RSS means what it says.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
		start_server srv -n -l -k -e /bin/cat 127.0.0.1 0
	spid=$(sc_child "$SRV_PID")
	[ -n "$spid" ]
	before=$(fd_count "$spid")
	run -0 peer python3 "$SC_FIXTURES/seqconn.py" --shut "$SRV_PORT" "$spid" 1500 300
	mark=$(sed -n 's/^mark //p' <<<"$output")
	end=$(sed -n 's/^end //p' <<<"$output")
	((end - mark <= 2048)) || fail "VmRSS grew from $mark kB to $end kB over 1,200 connections"
	# the last child and close may still be on their way
	wait_until 10 no_zombies "$spid"
	wait_until 10 no_children "$spid"
	wait_until 10 fd_is "$spid" "$before"
	kill -0 "$SRV_PID"
}
