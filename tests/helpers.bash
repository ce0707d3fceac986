# Shared helpers for the sockcat Bats suite. The only place with timing
# logic: every wait is a bounded poll on a file, never a bare sleep.
#
# Environment (set by `make check`; set them by hand to run bats alone):
#   SOCKCAT      the binary under test (required)
#   SC_FIXTURES  tests/fixtures in the source tree
#   SC_FEATURES  optional features built in (from configure)

bats_require_minimum_version 1.8.0

: "${SOCKCAT:?SOCKCAT must point at the built sockcat binary}"
: "${SC_FIXTURES:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fixtures}"
: "${BATS_TEST_TIMEOUT:=60}"	# per test (bats >= 1.8)
SC_TIMEOUT=${SC_TIMEOUT:-30}	# per sockcat process

bats_load_library bats-support
bats_load_library bats-assert

# sc ARGS... : run sockcat under timeout.
sc() {
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@"
}

# wait_until SECONDS CMD... : poll until CMD succeeds; fail after SECONDS.
# Every other wait is built on this one.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if ((SECONDS >= deadline)); then
			echo "# timeout waiting for: $*" >&3
			return 1
		fi
		sleep 0.02
	done
}

# wait_for FILE REGEX [SECONDS] : poll until FILE has a line matching the
# extended REGEX; fail after SECONDS (default 10).
wait_for() {
	wait_until "${3:-10}" grep -Eq -- "$2" "$1" 2>/dev/null
}

# wait_exists PATH [SECONDS] : poll until PATH exists.
wait_exists() {
	wait_until "${2:-10}" test -e "$1"
}

# wait_gone PATH [SECONDS] : poll until PATH does not exist.
wait_gone() {
	wait_until "${2:-10}" test ! -e "$1" -a ! -L "$1"
}

# wait_exit PID [SECONDS] : wait for a background job to end, bounded;
# sets WAIT_STATUS to its exit status.
wait_exit() {
	local deadline=$((SECONDS + ${2:-20}))
	while kill -0 "$1" 2>/dev/null; do
		# A zombie child still answers kill -0; wait reaps it below.
		[[ $(ps -o stat= -p "$1" 2>/dev/null) == Z* ]] && break
		if ((SECONDS >= deadline)); then
			echo "# timeout: pid $1 still running" >&3
			return 1
		fi
		sleep 0.02
	done
	WAIT_STATUS=0
	wait "$1" || WAIT_STATUS=$?
}

# start_server NAME ARGS... : run "sockcat -v ARGS" in the background with
# stdin from $SRV_IN (default /dev/null), stdout in $BATS_TEST_TMPDIR/NAME.out
# and stderr in NAME.err. Waits for the "Listening on" (or "Bound on")
# line, then sets SRV_PID and, for IP listeners, SRV_PORT. ARGS normally
# start with -l; the listener binds port 0 on a numeric loopback address.
start_server() {
	local name=$1 d=$BATS_TEST_TMPDIR
	shift
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v "$@" \
		<"${SRV_IN:-/dev/null}" >"$d/$name.out" 2>"$d/$name.err" 3>&- &
	SRV_PID=$!
	SC_PIDS+=("$SRV_PID")
	wait_for "$d/$name.err" '^(Listening|Bound) on ' || return 1
	SRV_PORT=$(sed -En 's/^(Listening|Bound) on .* ([0-9]+)$/\2/p' "$d/$name.err" | head -n 1)
}

# track PID : have teardown kill PID if it is still running.
track() {
	SC_PIDS+=("$1")
}

# sockdir : a short private directory for UNIX socket paths (sun_path
# holds about 108 bytes, and $BATS_TEST_TMPDIR can be longer).
sockdir() {
	SOCKDIR=$(mktemp -d /tmp/sc.XXXXXX)
}

# make_payload FILE BYTES : random bytes (NULs and all) into FILE.
make_payload() {
	head -c "$2" /dev/urandom >"$1"
}

# has_feature NAME : was NAME built in (see sockcat -V)?
has_feature() {
	[[ " ${SC_FEATURES:-$("$SOCKCAT" -V | sed -n 's/^features: //p')} " == *" $1 "* ]]
}

# need_ipv6 : skip unless ::1 can be bound here.
need_ipv6() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
		skip "IPv6 loopback (::1) is not available on this host"
}

# need_cmd CMD [PACKAGE] : skip when an interop peer is not installed.
need_cmd() {
	command -v "$1" >/dev/null || skip "$1 is not installed (Debian package ${2:-$1})"
}

sc_teardown() {
	local pid
	for pid in "${SC_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		kill -CONT "$pid" 2>/dev/null || true
	done
	for pid in "${SC_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	SC_PIDS=()
	if [[ -n ${SOCKDIR:-} && $SOCKDIR == /tmp/sc.* ]]; then
		rm -rf -- "$SOCKDIR"
	fi
}

teardown() {
	sc_teardown
}

SC_PIDS=()
