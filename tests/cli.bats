#!/usr/bin/env bats
# The command line: --help and --version, usage errors (exit 2), the exit
# statuses of resolution (3), refusal (4) and timeouts (5), and the
# agreement of --help, the option table, the man page and the bash
# completion.

load helpers

: "${SC_SRCDIR:=$BATS_TEST_DIRNAME/..}"

# --- table helpers (usage_row, rows_done and row_fail are in helpers.bash) --

# accepted_row ARG... : sockcat -n ARG... with a non-numeric host must get
# past the command line and fail only at name resolution (exit 3), so the
# options are accepted without any lookup or socket.
accepted_row() {
	local row=${BASH_LINENO[0]}
	if ! SC_TIMEOUT=3 run -3 --separate-stderr sc -n "$@" </dev/null; then
		BATS_ERROR_SUFFIX=
		row_fail "$row" "exit $status, expected 3; stderr: ${stderr:0:200}" -n "$@"
	elif ! [[ $stderr =~ ^sockcat:\ resolve\ \".*\":\ .*-n\ forbids ]]; then
		row_fail "$row" "no -n resolution error on stderr: ${stderr:0:200}" -n "$@"
	fi
	return 0
}

# repeat CHAR N : CHAR repeated N times.
repeat() {
	local s
	printf -v s '%*s' "$2" ''
	printf '%s' "${s// /$1}"
}

# elapsed_ms : milliseconds since mark_time.
mark_time() {
	T0=${EPOCHREALTIME//[.,]/}
}
elapsed_ms() {
	echo $(((${EPOCHREALTIME//[.,]/} - T0) / 1000))
}

# hold_fifo PATH : a fifo that never shows EOF while this test runs (the
# test shell keeps a read-write descriptor open on it).
hold_fifo() {
	mkfifo "$1"
	exec {HOLD_FD}<>"$1"
}

# --- help and version -------------------------------------------------------

@test "-h and --help print the usage on stdout and exit 0" {
	local opt
	for opt in -h --help; do
		run -0 --separate-stderr sc "$opt" </dev/null
		[[ ${lines[0]} == 'usage: sockcat '* ]] ||
			fail "$opt: first line is not the usage line: ${lines[0]}"
		[[ $output == *'--listen'* && $output == *'Exit status:'* ]] ||
			fail "$opt: the option list is missing from stdout"
		[[ -z $stderr ]] || fail "$opt: stderr not empty: $stderr"
	done
	# -h wins over the other options on the line.
	run -0 --separate-stderr sc -l -h </dev/null
	[[ ${lines[0]} == 'usage: sockcat '* ]]
	[[ -z $stderr ]]
}

@test "-V and --version print the version and the features, exit 0" {
	local opt version
	version=$(sed -nE 's/^AC_INIT\(\[sockcat\], *\[([^]]+)\].*/\1/p' \
	    "$SC_SRCDIR/configure.ac")
	[[ -n $version ]] || fail "no version found in $SC_SRCDIR/configure.ac"
	for opt in -V --version; do
		run -0 --separate-stderr sc "$opt" </dev/null
		[[ ${lines[0]} == "sockcat $version" ]] ||
			fail "$opt: first line is '${lines[0]}', expected 'sockcat $version'"
		printf '%s\n' "${lines[@]}" | grep -Eq '^features: [a-z0-9]' ||
			fail "$opt: no 'features:' line in: $output"
		printf '%s\n' "${lines[@]}" | grep -Eq '^event loop: [a-z]' ||
			fail "$opt: no 'event loop:' line in: $output"
		[[ -z $stderr ]] || fail "$opt: stderr not empty: $stderr"
	done
}

# --- usage errors: exit 2 ---------------------------------------------------

@test "usage: unknown options and missing option arguments" {
	usage_row '^sockcat: unknown option -x$'		-x 127.0.0.1 9
	usage_row '^sockcat: unknown option -Z$'		127.0.0.1 9 -Z
	usage_row '^sockcat: unknown option --bogus$'		--bogus 127.0.0.1 9
	usage_row '^sockcat: unknown option --bogus$'		--bogus=1 127.0.0.1 9
	usage_row '^sockcat: unknown option --$'			--=,, 127.0.0.1 9
	usage_row '^sockcat: unknown option --listenx$'		--listenx 127.0.0.1 9
	usage_row '^sockcat: option --no is ambiguous \(--no-stdin, --no-mcast-loop, --no-shutdown, --nodelay, --no-v6only\)$' \
	    --no 127.0.0.1 9
	usage_row '^sockcat: option --no-s is ambiguous \(--no-stdin, --no-shutdown\)$' \
	    --no-s=1 127.0.0.1 9
	usage_row '^sockcat: option --sourc is ambiguous \(--source-port, --source\)$' \
	    --sourc 192.0.2.1 127.0.0.1 9
	usage_row 'option -q requires an argument'		127.0.0.1 9 -q
	usage_row 'option -w requires an argument'		127.0.0.1 9 -w
	usage_row 'option -s requires an argument'		127.0.0.1 9 -s
	usage_row 'option -p requires an argument'		127.0.0.1 9 -p
	usage_row 'option --connect-timeout requires an argument' 127.0.0.1 9 --connect-timeout
	usage_row 'option --max-time requires an argument'	127.0.0.1 9 --max-time
	usage_row 'option --port-file requires an argument'	-l 127.0.0.1 0 --port-file
	rows_done
}

@test "usage: an argument given to a long option that takes none" {
	usage_row '--listen.*argument'			--listen=yes 127.0.0.1 0
	usage_row '--numeric.*argument'			--numeric=1 127.0.0.1 9
	usage_row '--exit-on-peer-eof.*argument'	--exit-on-peer-eof=x 127.0.0.1 9
	rows_done
}

@test "usage: missing and extra operands" {
	sockdir
	usage_row '^sockcat: missing host and port operands$'
	usage_row '^sockcat: missing host and port operands$'	-v -n
	usage_row 'missing port after host "127\.0\.0\.1"'	127.0.0.1
	usage_row 'missing port after host "127\.0\.0\.1"'	-- 127.0.0.1
	usage_row 'too many operands: "10"'			127.0.0.1 9 10
	usage_row 'too many operands for -l: "10"'		-l 192.0.2.1 0 10
	usage_row '-l: no port to listen on'			-l
	usage_row '-l: no port to listen on'			-l -s 192.0.2.1
	usage_row '-U: missing socket path'			-U
	usage_row '-U: missing socket path'			-l -U
	usage_row '-U: too many operands: "extra"'		-U "$SOCKDIR/s" extra
	usage_row '-U: too many operands: "extra"'		-l -U "$SOCKDIR/s" extra
	usage_row 'empty host name'				'' 9
	usage_row '^sockcat: empty host name$'			-l '' 0
	usage_row '^sockcat: empty host name$'			-l -s '' 0
	usage_row '^sockcat: empty source address$'		-s '' 127.0.0.1 9
	rows_done
}

@test "usage: bad ports" {
	usage_row 'port "99999": out of range'			127.0.0.1 99999
	usage_row 'port "65536": out of range'			127.0.0.1 65536
	usage_row 'port "-1": '					-- 127.0.0.1 -1
	usage_row 'port "12ab": not a number'			127.0.0.1 12ab
	usage_row 'port "": empty'				127.0.0.1 ''
	usage_row 'port "0": 0 is allowed only when listening'	127.0.0.1 0
	usage_row 'port "no-such-service-x": not a number'	127.0.0.1 no-such-service-x
	usage_row 'port "65536": out of range'			-l 192.0.2.1 65536
	usage_row 'port "x1": not a number'			-l -p x1
	usage_row 'source port "99999": out of range'		-p 99999 127.0.0.1 9
	usage_row 'source port "0": 0 is allowed only when listening' -p 0 127.0.0.1 9
	usage_row 'source port "7x": not a number'		--source-port 7x 127.0.0.1 9
	rows_done
}

@test "usage: bad durations" {
	usage_row '-w "abc": invalid duration'			-w abc 127.0.0.1 9
	usage_row '-w "1x": invalid duration'			-w 1x 127.0.0.1 9
	usage_row '-q "-1": invalid duration'			-q -1 127.0.0.1 9
	usage_row '-w "1\.2\.3": invalid duration'		-w 1.2.3 127.0.0.1 9
	usage_row '-w "": invalid duration'			-w '' 127.0.0.1 9
	usage_row '-w "5 s": invalid duration'			-w '5 s' 127.0.0.1 9
	usage_row '--idle-timeout "1sec": invalid duration'	--idle-timeout 1sec 127.0.0.1 9
	usage_row '--max-time "\.": invalid duration'		--max-time . 127.0.0.1 9
	usage_row '-w "0": must be greater than zero'		-w 0 127.0.0.1 9
	usage_row '-w "0ms": must be greater than zero'		--wait 0ms 127.0.0.1 9
	usage_row '--connect-timeout "0": must be greater than zero' --connect-timeout 0 127.0.0.1 9
	usage_row '--idle-timeout "0": must be greater than zero' --idle-timeout 0 127.0.0.1 9
	usage_row '--max-time "0\.0": must be greater than zero' --max-time 0.0 127.0.0.1 9
	usage_row '-w "8761h": .*(too long|8760h)'		-w 8761h 127.0.0.1 9
	usage_row '-q "525601m": .*(too long|8760h)'		-q 525601m 127.0.0.1 9
	usage_row '--max-time "31536001": .*(too long|8760h)'	--max-time 31536001 127.0.0.1 9
	rows_done
}

@test "usage: bad numbers, one syntax and one message for every option" {
	usage_row '^sockcat: --recv-size "-1": too small \(1-1048576\)$'	--recv-size -1 -u 127.0.0.1 9
	usage_row '^sockcat: --recv-size "2M": too large \(1-1048576\)$'	--recv-size 2M -u 127.0.0.1 9
	usage_row '^sockcat: --recv-size "": not a number \(1-1048576\)$'	--recv-size '' -u 127.0.0.1 9
	usage_row '^sockcat: --mcast-ttl "0x100": too large \(0-255\)$'	--mcast-ttl 0x100 -u 127.0.0.1 9
	usage_row '^sockcat: --max-conns "0K": too small \(1-1000000\)$'	-l -k --echo --max-conns 0K 127.0.0.1 0
	usage_row '^sockcat: --max-conns " 5": not a number'		-l -k --echo --max-conns ' 5' 127.0.0.1 0
	usage_row '^sockcat: --listen-fd "99999999999": too large \(0-2147483647\)$' -l --listen-fd 99999999999
	usage_row '^sockcat: --listen-fd "-1": too small'			-l --listen-fd -1
	usage_row '^sockcat: --listen-fd "3x": not a number'			-l --listen-fd 3x
	usage_row '^sockcat: --retry "\+3": not a number \(1-2147483647\)$'	--retry +3 127.0.0.1 9
	usage_row '^sockcat: --scan-parallel "2K": too large \(1-1024\)$'	-z --scan-parallel 2K 127.0.0.1 9
	usage_row '^sockcat: --backlog "-1": too small \(0-2147483647\)$'	-l --backlog -1 127.0.0.1 0
	usage_row '^sockcat: --defer-accept "1G": too large \(1-3600\)$'	-l --defer-accept 1G 127.0.0.1 0
	usage_row '^sockcat: -M "0": too small \(1-255\)$'			-M 0 127.0.0.1 9
	usage_row '^sockcat: --mark "0x100000000": too large \(0-4294967295\)$' --mark 0x100000000 127.0.0.1 9
	usage_row '^sockcat: --send-fd "fd:": want fd: and a descriptor number$' --send-fd fd: -U "$BATS_TEST_TMPDIR/s"
	usage_row '^sockcat: --send-fd "fd:-1": want fd:'			--send-fd fd:-1 -U "$BATS_TEST_TMPDIR/s"
	usage_row '^sockcat: --send-fd "fd:3x": want fd:'			--send-fd fd:3x -U "$BATS_TEST_TMPDIR/s"
	usage_row '^sockcat: -m "x": not a number \(0-255\)$'		-m x 127.0.0.1 9
	usage_row '^sockcat: --keepalive "1,2,3,4": want IDLE,INTVL,CNT$'	--keepalive=1,2,3,4 127.0.0.1 9
	usage_row '^sockcat: --keepalive TCP_KEEPINTVL "0": too small \(1-32767\)$' --keepalive=,0, 127.0.0.1 9
	usage_row '^sockcat: --keepalive TCP_KEEPCNT "128": too large \(1-127\)$' --keepalive=1,1,128 127.0.0.1 9
	rows_done
}

@test "numbers in hexadecimal and with K, M, G are accepted by every number option" {
	accepted_row --recv-size 64K -u localhost 80
	accepted_row --recv-size 0x10000 -u localhost 80
	accepted_row --mcast-ttl 0xff -u localhost 80
	accepted_row -I 1M -O 0x8000 localhost 80
	accepted_row --retry 0x3 localhost 80
	accepted_row --mark 0xffffffff localhost 80
	accepted_row -l -k --echo --max-conns 1K localhost 0
	rows_done
}

@test "usage: host name and UNIX path lengths" {
	local host254 path200 path108
	sockdir
	host254=$(repeat a 254)
	path200=$SOCKDIR/$(repeat p $((200 - ${#SOCKDIR} - 1)))
	path108=$SOCKDIR/$(repeat p $((108 - ${#SOCKDIR} - 1)))
	((${#path200} == 200 && ${#path108} == 108))
	usage_row 'host name too long'		"$host254" 9
	usage_row 'host name too long'		-l "$host254" 0
	usage_row 'path too long'		-U "$path200"
	usage_row 'path too long'		-l -U "$path200"
	usage_row 'path too long'		-U "$path108"
	usage_row 'empty UNIX socket path'	-U ''
	usage_row 'empty UNIX socket path'	-l -U ''
	usage_row '^sockcat: "@": empty abstract socket name$'	-U @
	usage_row '^sockcat: "@": empty abstract socket name$'	-l -U @
	usage_row '^sockcat: -s "@": empty abstract socket name$' --unix-dgram -s @ "$BATS_TEST_TMPDIR/s"
	rows_done
	[[ ! -e $path200 && ! -e $path108 ]]
}

@test "usage: conflicting options" {
	sockdir
	local p=$SOCKDIR/s pf=$BATS_TEST_TMPDIR/port
	usage_row '-4 and -6 cannot be used together'	-4 -6 127.0.0.1 9
	usage_row '-4 and -6 cannot be used together'	--ipv6 -l --ipv4 192.0.2.1 0
	usage_row '--send-only and --recv-only'		--send-only --recv-only 127.0.0.1 9
	usage_row '--send-only .*-d'			--send-only -d 127.0.0.1 9
	usage_row '--send-only .*-d'			--no-stdin --send-only 127.0.0.1 9
	usage_row '-N and --no-shutdown'		-N --no-shutdown 127.0.0.1 9
	usage_row '^sockcat: --recv-only and --no-shutdown cannot be used together$' \
	    --recv-only --no-shutdown 127.0.0.1 9
	usage_row '--recv-only and --no-shutdown'	--no-shutdown -l --recv-only 192.0.2.1 0
	usage_row '-k requires -l'			-k 127.0.0.1 9
	usage_row '-k requires -l'			--keep-open -U "$p"
	usage_row '--port-file requires -l'		--port-file "$pf" 127.0.0.1 9
	usage_row '--port-file cannot be used with -U'	-l -U --port-file "$pf" "$p"
	usage_row '--keep-socket requires -l and -U'	--keep-socket 127.0.0.1 9
	usage_row '--keep-socket requires -l and -U'	--keep-socket -l 192.0.2.1 0
	usage_row '--keep-socket requires -l and -U'	--keep-socket -U "$p"
	usage_row '-4 and -6 cannot be used with -U'	-4 -U "$p"
	usage_row '-4 and -6 cannot be used with -U'	-l -6 -U "$p"
	usage_row '-p cannot be used with -U'		-p 1234 -U "$p"
	usage_row '-p cannot be used with -U'		-l -U -p 1234 "$p"
	usage_row '-s with -U .*only for --unix-dgram clients'	-s 127.0.0.1 -U "$p"
	usage_row '-s with -U .*only for --unix-dgram clients'	-l -U --source 127.0.0.1 "$p"
	usage_row '-s with -U .*only for --unix-dgram clients'	-l --unix-dgram -s /tmp/x "$p"
	usage_row 'port operand "2" differs from -p "1"'	-l -p 1 192.0.2.1 2
	usage_row 'port operand "2" differs from -p "1"'	-l -s 192.0.2.1 -p 1 2
	usage_row 'address operand "192\.0\.2\.2" differs from -s "192\.0\.2\.1"' \
	    -l -s 192.0.2.1 192.0.2.2 0
	usage_row '--port-file: empty file name'	-l --port-file '' 192.0.2.1 0
	# The probes of -z would ignore a source and socket options.
	usage_row '^sockcat: -z probes from plain sockets: not with -s, -p or socket options$' \
	    -z -s 127.0.0.1 127.0.0.1 9
	usage_row '-z probes from plain sockets'	-z -p 4000 127.0.0.1 9
	usage_row '-z probes from plain sockets'	-z --nodelay 127.0.0.1 9
	usage_row '-z probes from plain sockets'	-z -u -T lowdelay 127.0.0.1 9
	usage_row '-z probes from plain sockets'	-z --sockopt SOL_SOCKET:SO_MARK=1 127.0.0.1 9
	rows_done
	[[ ! -e $p && ! -e $pf ]]
}

@test "options at their limits are accepted (reaching name resolution)" {
	# Each run gets past the command line and stops at -n's refusal to
	# look up a name: no lookup, no socket.
	accepted_row localhost 80
	accepted_row localhost http
	accepted_row localhost 65535
	accepted_row localhost 1 -v
	accepted_row -q 0 localhost 80
	accepted_row -w 8760h localhost 80
	accepted_row --max-time 525600m localhost 80
	accepted_row --connect-timeout 1.5 --idle-timeout 250ms localhost 80
	accepted_row -p 65535 localhost 80
	accepted_row -N localhost 80
	accepted_row --send-only --no-shutdown localhost 80
	accepted_row "$(repeat a 253)" 80
	accepted_row localhost -4 80
	rows_done
}

# --- exit statuses that need sockets -----------------------------------------

@test "exit 3: -n refuses to look up a name" {
	run -3 --separate-stderr sc -n localhost 80 </dev/null
	[[ -z $output ]]
	[[ $stderr == 'sockcat: resolve "localhost": not a numeric address, and -n forbids name lookups' ]] ||
		fail "stderr: $stderr"
	# The same for the address to listen on.
	run -3 --separate-stderr sc -n -l localhost 0 </dev/null
	[[ -z $output ]]
	[[ $stderr == 'sockcat: resolve "localhost": not a numeric address, and -n forbids name lookups' ]] ||
		fail "-l: stderr: $stderr"
}

@test "exit 1: --port-file in a missing directory; --listen-fd on a closed descriptor, a file, a socket not listening" {
	local d=$BATS_TEST_TMPDIR
	run -1 --separate-stderr sc -l --port-file "$d/no/pf" 127.0.0.1 0 </dev/null
	[[ -z $output ]]
	assert_equal "$stderr" "sockcat: --port-file $d/no/pf: No such file or directory"
	[[ ! -e $d/no ]]
	run -1 --separate-stderr sc -l --listen-fd 1000 </dev/null
	assert_equal "$stderr" "sockcat: descriptor 1000: Bad file descriptor"
	run -1 --separate-stderr sc -l --listen-fd 0 </dev/null
	assert_equal "$stderr" "sockcat: descriptor 0: not a TCP, UDP or UNIX socket"
	# fd 5: a TCP socket, neither bound nor listening
	run -1 --separate-stderr timeout 10 python3 -c '
import os, socket, sys
os.dup2(socket.socket().detach(), 5)
os.set_inheritable(5, True)
os.execvp(sys.argv[1], sys.argv[1:])' "$SOCKCAT" -l --listen-fd 5 </dev/null
	assert_equal "$stderr" "sockcat: inherited socket 5: not listening"
}

@test "exit 4: TCP connection refused on a port just closed" {
	local port
	start_server srv -l 127.0.0.1 0
	port=$SRV_PORT
	[[ $port =~ ^[0-9]+$ && $port != 0 ]]
	kill "$SRV_PID"
	wait_exit "$SRV_PID"
	run -4 --separate-stderr sc 127.0.0.1 "$port" </dev/null
	[[ -z $output ]]
	[[ $stderr == "sockcat: connect to 127.0.0.1 port $port (tcp): Connection refused" ]] ||
		fail "stderr: $stderr"
}

@test "exit 4: UNIX path that does not exist" {
	local p107
	sockdir
	run -4 --separate-stderr sc -U "$SOCKDIR/nope" </dev/null
	[[ -z $output ]]
	[[ $stderr == "sockcat: connect to $SOCKDIR/nope (unix): No such file or directory" ]] ||
		fail "stderr: $stderr"
	# The longest path that fits sun_path (107 bytes) is not a usage error.
	p107=$SOCKDIR/$(repeat p $((107 - ${#SOCKDIR} - 1)))
	((${#p107} == 107))
	run -4 --separate-stderr sc -U "$p107" </dev/null
	[[ $stderr == "sockcat: connect to $p107 (unix): No such file or directory" ]] ||
		fail "stderr: $stderr"
}

@test "exit 5: --connect-timeout against a listener with a full backlog" {
	local pf=$BATS_TEST_TMPDIR/backlog.port py port
	python3 "$SC_FIXTURES/backlog.py" "$pf" "$SC_TIMEOUT" </dev/null 3>&- &
	py=$!
	track "$py"
	wait_for "$pf" '^[0-9]+$'
	port=$(<"$pf")
	SC_TIMEOUT=5 run -5 --separate-stderr sc --connect-timeout 500ms 127.0.0.1 "$port" </dev/null
	[[ -z $output ]]
	[[ $stderr == "sockcat: connect to 127.0.0.1 port $port (tcp): Connection timed out" ]] ||
		fail "stderr: $stderr"
	# The helper is torn down here, not left to run out its time.
	kill "$py"
	wait_exit "$py" 5
	if kill -0 "$py" 2>/dev/null; then
		fail "the backlog helper (pid $py) is still running"
	fi
}

@test "exit 5: --max-time against a silent listener" {
	local t
	start_server srv -d -l 127.0.0.1 0
	hold_fifo "$BATS_TEST_TMPDIR/in"
	mark_time
	SC_TIMEOUT=5 run -5 --separate-stderr sc --max-time 300ms 127.0.0.1 "$SRV_PORT" \
	    <"$BATS_TEST_TMPDIR/in"
	t=$(elapsed_ms)
	exec {HOLD_FD}>&-
	[[ -z $output ]]
	[[ $stderr == 'sockcat: --max-time: time limit reached' ]] || fail "stderr: $stderr"
	((t >= 290)) || fail "ended after ${t}ms, before --max-time 300ms"
	grep -q '^Connection received on 127\.0\.0\.1 ' "$BATS_TEST_TMPDIR/srv.err"
}

@test "exit 0: -w idle timeout with stdin open and a silent listener" {
	local t
	start_server srv -d -l 127.0.0.1 0
	hold_fifo "$BATS_TEST_TMPDIR/in"
	mark_time
	SC_TIMEOUT=5 run -0 --separate-stderr sc -w 300ms 127.0.0.1 "$SRV_PORT" \
	    <"$BATS_TEST_TMPDIR/in"
	t=$(elapsed_ms)
	exec {HOLD_FD}>&-
	[[ -z $output ]]
	[[ -z $stderr ]] || fail "stderr: $stderr"
	((t >= 290)) || fail "ended after ${t}ms, before the 300ms idle timeout"
	grep -q '^Connection received on 127\.0\.0\.1 ' "$BATS_TEST_TMPDIR/srv.err"
}

# --- documentation consistency ---------------------------------------------

# help_long_opts / help_short_opts : the options shown by --help.
help_long_opts() {
	"$SOCKCAT" --help | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sed 's/^--//' | sort -u
}
help_short_opts() {
	"$SOCKCAT" --help | sed -nE 's/^ +-([A-Za-z0-9]),.*/\1/p' | sort -u
}
# table_long_opts : the long names in src/opts.c's opts_table.
table_long_opts() {
	sed -n '/opts_table\[\] = {/,/^};/p' "$SC_SRCDIR/src/opts.c" |
		sed -nE 's/^[[:space:]]*\{[[:space:]]*"([^"]+)".*/\1/p' | sort -u
}

@test "every long option in opts_table is shown by --help, and no other" {
	local -a table help
	local name missing=() extra=()
	mapfile -t table < <(table_long_opts)
	mapfile -t help < <(help_long_opts)
	((${#table[@]} >= 20)) || fail "only ${#table[@]} names parsed from opts_table"
	((${#help[@]} >= 20)) || fail "only ${#help[@]} long options found in --help"
	for name in "${table[@]}"; do
		[[ " ${help[*]} " == *" $name "* ]] || missing+=("--$name")
	done
	for name in "${help[@]}"; do
		[[ " ${table[*]} " == *" $name "* ]] || extra+=("--$name")
	done
	((${#missing[@]} == 0)) || fail "accepted but not in --help: ${missing[*]}"
	((${#extra[@]} == 0)) || fail "in --help but not accepted: ${extra[*]}"
}

@test "the man page documents every option shown by --help" {
	local man=$SC_SRCDIR/man/sockcat.1 name missing=()
	local -a long short
	mapfile -t long < <(help_long_opts)
	mapfile -t short < <(help_short_opts)
	((${#long[@]} >= 20 && ${#short[@]} >= 15)) ||
		fail "too few options parsed from --help: ${#long[@]} long, ${#short[@]} short"
	[[ -s $man ]] || fail "$man is empty or missing"
	for name in "${long[@]}"; do
		grep -Eq -- "Fl -$name([^A-Za-z0-9-]|\$)" "$man" || missing+=("Fl -$name")
	done
	for name in "${short[@]}"; do
		grep -Eq -- "Fl $name([^A-Za-z0-9-]|\$)" "$man" || missing+=("Fl $name")
	done
	((${#missing[@]} == 0)) || fail "not in $man: ${missing[*]}"
}

@test "README.md names every option shown by --help, long and short" {
	local readme=$SC_SRCDIR/README.md name missing=()
	local -a long short
	mapfile -t long < <(help_long_opts)
	mapfile -t short < <(help_short_opts)
	((${#long[@]} >= 20 && ${#short[@]} >= 15)) ||
		fail "too few options parsed from --help: ${#long[@]} long, ${#short[@]} short"
	for name in "${long[@]}"; do
		grep -qF -- "\`--$name\`" "$readme" || missing+=("--$name")
	done
	for name in "${short[@]}"; do
		grep -qF -- "\`-$name\`" "$readme" || missing+=("-$name")
	done
	((${#missing[@]} == 0)) || fail "not in README.md: ${missing[*]}"
}

@test "the bash completion offers every long option shown by --help" {
	local comp=$SC_SRCDIR/completions/sockcat name missing=()
	local -a long
	mapfile -t long < <(help_long_opts)
	((${#long[@]} >= 20)) || fail "only ${#long[@]} long options found in --help"
	[[ -s $comp ]] || fail "$comp is empty or missing"
	for name in "${long[@]}"; do
		grep -Eq -- "--$name([^A-Za-z0-9-]|\$)" "$comp" || missing+=("--$name")
	done
	((${#missing[@]} == 0)) || fail "not in $comp: ${missing[*]}"
}

# --- -w as a connect timeout, unreachable networks ---------------------------

# backlog_port : fixtures/backlog.py in the background (tracked); sets BPORT.
backlog_port() {
	local pf=$BATS_TEST_TMPDIR/backlog.port
	rm -f "$pf"
	python3 "$SC_FIXTURES/backlog.py" "$pf" "$SC_TIMEOUT" </dev/null 3>&- &
	track $!
	wait_for "$pf" '^[0-9]+$'
	BPORT=$(<"$pf")
}

@test "exit 5: -w is a connect timeout too (a listener with a full backlog)" {
	local opt
	backlog_port
	for opt in -w --wait; do
		SC_TIMEOUT=5 run -5 --separate-stderr sc "$opt" 500ms 127.0.0.1 "$BPORT" </dev/null
		[[ -z $output ]]
		[[ $stderr == "sockcat: connect to 127.0.0.1 port $BPORT (tcp): Connection timed out" ]] ||
			fail "$opt: stderr: $stderr"
	done
}

@test "exit 4: network unreachable (a private network namespace has no route to 10.255.255.1)" {
	need_netns
	local up
	# Nothing can leave the namespace: it has no interface but lo.
	for up in down up; do
		run -4 --separate-stderr unshare -n -- sh -c \
		    'ip link set lo "$0" && exec timeout -k 2 5 "$@"' "$up" \
		    "$SOCKCAT" 10.255.255.1 80 </dev/null
		[[ -z $output ]]
		[[ $stderr == 'sockcat: connect to 10.255.255.1 port 80 (tcp): Network is unreachable' ]] ||
			fail "lo $up: stderr: $stderr"
	done
}

@test "a numeric address is taken as written where an interface without IPv4 is up (no AI_ADDRCONFIG)" {
	need_netns
	unshare -n ip link add v0 type veth peer name v1 2>/dev/null ||
		skip "the kernel cannot make veth interfaces (module veth)"
	local host
	# lo and a veth pair up, no address but loopback's: glibc's
	# AI_ADDRCONFIG would refuse 127.0.0.1 as "family not supported".
	for host in 127.0.0.1 ::1; do
		run -4 --separate-stderr unshare -n -- sh -c '
		    ip link set lo up &&
		    ip link add v0 type veth peer name v1 &&
		    ip link set v0 up && ip link set v1 up &&
		    exec timeout -k 2 5 "$@"' sh "$SOCKCAT" "$host" 9 </dev/null
		[[ $stderr == "sockcat: connect to $host port 9 (tcp): Connection refused" ]] ||
			fail "$host: stderr: $stderr"
	done
}

# --- descriptors 0, 1 and 2 closed at start-up --------------------------------

# CLOSED_EXEC_PY KEEP PROG ARGS... : exec PROG with every descriptor
# closed but those in KEEP (a comma-separated list, may be empty), so that
# a descriptor of 0-2 left closed is the lowest free one, as in a daemon
# started with them closed.
CLOSED_EXEC_PY='
import os, sys
keep = {int(x) for x in sys.argv[1].split(",") if x}
for fd in range(1024):
    if fd not in keep:
        try:
            os.close(fd)
        except OSError:
            pass
os.execvp(sys.argv[2], sys.argv[2:])
'

# fd_target PID N : where descriptor N of PID points.
fd_target() {
	readlink "/proc/$1/fd/$2"
}

# trace_fds FILE : the descriptors the trace FILE shows socket() and
# accept4() returning, one a line.
trace_fds() {
	sed -En 's/^[0-9.]+ (socket|accept4)\(.*\) = ([0-9]+).*$/\2/p' "$1"
}

@test "stdin, stdout and stderr closed: a listener still works, its sockets never on 0-2" {
	local d=$BATS_TEST_TMPDIR pid spid fd
	# 0, 1 and 2 closed (and every other one); the data goes to -o.
	timeout -k 2 "$SC_TIMEOUT" python3 -c "$CLOSED_EXEC_PY" '' \
		"$SOCKCAT" -l --port-file "$d/port" -o "$d/log" \
		--trace="$d/srv.tr" 127.0.0.1 0 </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	track "$pid"
	wait_for "$d/port" '^[0-9]+$'
	spid=$(sc_child "$pid")
	[[ -n $spid ]]
	# the closed descriptors were made valid (/dev/null) at start-up
	for fd in 0 1 2; do
		[[ $(fd_target "$spid" "$fd") == /dev/null ]] ||
			fail "fd $fd is $(fd_target "$spid" "$fd"), not /dev/null"
	done
	printf 'to a server without stdio\n' >"$d/in"
	run -0 io "$d/in" "$d/cli.out" sc 127.0.0.1 "$(cat "$d/port")"
	wait_exit "$pid"
	((WAIT_STATUS == 0))
	cmp "$d/in" "$d/log"
	[[ ! -s $d/cli.out ]]
	# socket() and accept4() returned descriptors above 2
	(($(trace_fds "$d/srv.tr" | wc -l) == 2)) || fail "trace: $(cat "$d/srv.tr")"
	for fd in $(trace_fds "$d/srv.tr"); do
		((fd >= 3)) || fail "a socket landed on descriptor $fd"
	done
}

@test "stdin closed, stdout a file: a client gets the server's data, its socket not on fd 0" {
	local d=$BATS_TEST_TMPDIR fd st=0
	printf 'from the server\n' >"$d/down"
	SRV_IN=$d/down start_server srv -l 127.0.0.1 0
	timeout -k 2 "$SC_TIMEOUT" python3 -c "$CLOSED_EXEC_PY" 1,2 \
		"$SOCKCAT" --trace="$d/cli.tr" 127.0.0.1 "$SRV_PORT" \
		</dev/null >"$d/out" 2>"$d/err" 3>&- || st=$?
	((st == 0)) || fail "exit $st: $(cat "$d/err")"
	[[ ! -s $d/err ]]
	cmp "$d/down" "$d/out"
	fd=$(trace_fds "$d/cli.tr")
	[[ $fd =~ ^[0-9]+$ ]] || fail "no socket() in the trace: $(cat "$d/cli.tr")"
	((fd >= 3)) || fail "the socket landed on descriptor $fd"
	# stdin (made /dev/null) had its EOF at once: the server got nothing
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	[[ ! -s $d/srv.out ]]
}

# --- --version and the configure summary --------------------------------------

# config_dir : the build directory of $SOCKCAT (where config.h and
# config.log are), or nothing.
config_dir() {
	local dir
	dir=$(cd "$(dirname "$SOCKCAT")/.." 2>/dev/null && pwd) || return 0
	[[ -f $dir/config.h ]] && printf '%s\n' "$dir"
	return 0
}

@test "--version lists the features of config.h and of configure's summary (config.log)" {
	local dir want got summary loop
	dir=$(config_dir)
	[[ -n $dir ]] || skip "no config.h next to $SOCKCAT's directory (not a build tree)"
	want=$(sed -nE 's/^#define SC_FEATURES "(.*)"$/\1/p' "$dir/config.h")
	got=$("$SOCKCAT" --version | sed -n 's/^features: //p')
	[[ $got == "$want" ]] || fail "--version: '$got', config.h: '$want'"
	[[ -f $dir/config.log ]] || skip "no config.log in $dir"
	# configure's summary: "features: ..." and one yes/no line each
	summary=$(sed -n '/^sockcat .* configured:$/,/^  features:/p' "$dir/config.log")
	[[ -n $summary ]] || fail "no configure summary in $dir/config.log"
	[[ $(sed -n 's/^  features: *//p' <<<"$summary") == "$got" ]] ||
		fail "summary features differ from --version's '$got'"
	local -A name=([accept4]=accept4 [splice]=splice
		['abstract UNIX']=abstract-unix [SCTP]=sctp [OpenSSL]=openssl)
	local key val
	for key in "${!name[@]}"; do
		val=$(sed -nE "s/^  $key: +([a-z]+)\$/\\1/p" <<<"$summary")
		[[ $val == yes || $val == no ]] || fail "summary has no '$key: yes|no' line"
		if [[ $val == yes ]]; then
			[[ " $got " == *" ${name[$key]} "* ]] ||
				fail "configure found $key, --version does not list ${name[$key]}"
		else
			[[ " $got " != *" ${name[$key]} "* ]] ||
				fail "configure did not find $key, --version lists ${name[$key]}"
		fi
	done
	loop=$(sed -nE 's/^  event loop: +([a-z]+)$/\1/p' <<<"$summary")
	[[ $("$SOCKCAT" --version | sed -n 's/^event loop: //p') == "$loop" ]] ||
		fail "event loop: configure says $loop"
	if [[ $loop == epoll ]]; then
		[[ " $got " == *" epoll "* ]] || fail "epoll loop, but not in the features"
	else
		[[ " $got " != *" epoll "* ]] || fail "poll loop, but epoll in the features"
	fi
}

# --- long options in real runs --------------------------------------------

# bg_long NAME IN ARGS... : sockcat ARGS (long options only) in the
# background, stdin from IN, output in NAME.out and NAME.err; sets BG_PID.
bg_long() {
	local name=$1 in=$2 d=$BATS_TEST_TMPDIR
	shift 2
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@" <"$in" >"$d/$name.out" \
		2>"$d/$name.err" 3>&- &
	BG_PID=$!
	track "$BG_PID"
}

@test "long options: --listen --keep-open --verbose --numeric, --source --source-port --quit-after-eof --no-stdin --wait" {
	local d=$BATS_TEST_TMPDIR port sport
	# the server's stdin stays open (no EOF goes to its clients)
	feeder_start "$d/srv.in"
	bg_long srv "$d/srv.in" --listen --keep-open --verbose --numeric \
		--port-file "$d/port" 127.0.0.1 0
	wait_for "$d/port" '^[0-9]+$'
	port=$(<"$d/port")
	# --verbose: the Listening line
	wait_for "$d/srv.err" "^Listening on 127\\.0\\.0\\.1 $port\$"
	sport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'first\n' >"$d/in1"
	# --quit-after-eof 0: ends once its EOF is sent, the server still open
	SC_TIMEOUT=10 run -0 --separate-stderr sc --numeric --source 127.0.0.2 \
		--source-port "$sport" --quit-after-eof 0 127.0.0.1 "$port" <"$d/in1"
	# --source and --source-port: the server saw that address and port
	wait_for "$d/srv.err" "^Connection received on 127\\.0\\.0\\.2 $sport\$"
	wait_for "$d/srv.out" '^first$'
	# --keep-open: a second client is served; --no-stdin: nothing of its
	# stdin is sent; --wait: it ends when idle, with 0
	printf 'never sent\n' >"$d/in2"
	SC_TIMEOUT=10 run -0 --separate-stderr sc --no-stdin --wait 300ms 127.0.0.1 "$port" <"$d/in2"
	assert_output ''
	wait_until 10 eval '[ "$(grep -c "^Connection received on " "$d/srv.err")" -eq 2 ]'
	kill -0 "$BG_PID"
	printf 'first\n' | cmp - "$d/srv.out"
	# --numeric: no name lookup
	run -3 --separate-stderr sc --numeric localhost "$port" </dev/null
	[[ $stderr == *'-n forbids name lookups'* ]]
}

@test "long options: --unix and --udp, listening and connecting" {
	local d=$BATS_TEST_TMPDIR port
	sockdir
	# --listen --unix / --unix
	bg_long usrv /dev/null --verbose --listen --unix "$SOCKDIR/s"
	wait_for "$d/usrv.err" "^Listening on $SOCKDIR/s\$"
	printf 'over unix\n' >"$d/u.in"
	run -0 --separate-stderr sc --unix "$SOCKDIR/s" <"$d/u.in"
	wait_exit "$BG_PID"
	((WAIT_STATUS == 0))
	cmp "$d/u.in" "$d/usrv.out"
	# --udp --listen / --udp
	bg_long dsrv /dev/null --verbose --udp --listen 127.0.0.1 0
	local dsrv=$BG_PID
	wait_for "$d/dsrv.err" '^Bound on 127\.0\.0\.1 [0-9]+$'
	port=$(sed -En 's/^Bound on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$d/dsrv.err")
	printf 'one datagram\n' >"$d/d.in"
	run -0 --separate-stderr sc --udp --quit-after-eof 200ms 127.0.0.1 "$port" <"$d/d.in"
	wait_until 10 has_size "$d/dsrv.out" 13
	cmp "$d/d.in" "$d/dsrv.out"
	# it is a datagram socket: ss shows it as UDP
	ss -Haun "sport = :$port" | grep -q "127.0.0.1:$port"
	kill "$dsrv"
}

# complete LINE : what the bash completion offers at the end of LINE, one
# per line, with the words split as readline splits them ('=' breaks a
# word) and bash-completion's own helpers loaded.
complete_line() {
	local bc=/usr/share/bash-completion/bash_completion
	[[ -r $bc ]] || fail "$bc missing: install bash-completion"
	(cd "$BATS_TEST_TMPDIR" && bash -c '
		source "$1"
		source "$2"
		COMP_LINE=$3
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<<"${COMP_LINE//=/ = }"
		[[ $COMP_LINE == *[\ =] ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_sockcat sockcat "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$bc" \
	    "$SC_SRCDIR/completions/sockcat" "$1")
}

@test "the bash completion offers the values of --trace-format=, --progress=, and files after --trace=, --hex-dump=" {
	: >"$BATS_TEST_TMPDIR/trace.out"
	: >"$BATS_TEST_TMPDIR/tx.dump"
	run -0 complete_line 'sockcat --trace-format='
	assert_output $'json\ntext'
	run -0 complete_line 'sockcat --trace --trace-format=j'
	assert_output 'json'
	run -0 complete_line 'sockcat --trace-format t'
	assert_output 'text'
	run -0 complete_line 'sockcat --progress='
	assert_output $'always\nauto'
	run -0 complete_line 'sockcat --progress=al'
	assert_output 'always'
	run -0 complete_line 'sockcat --trace=tr'
	assert_output 'trace.out'
	run -0 complete_line 'sockcat --hex-dump=t'
	assert_output $'trace.out\ntx.dump'
	run -0 complete_line 'sockcat -l --framing=l'
	assert_output $'len32\nline'
	# without '=' the word after --trace is an operand, not its file
	run -0 complete_line 'sockcat --trace -U tr'
	assert_output 'trace.out'
}
