#!/usr/bin/env bats
# SCTP (--sctp): a stream in the one-to-one style over 127.0.0.1 both
# ways, and --sctp --seqpacket (one-to-many) keeping message boundaries
# with --framing len32. Where the kernel has no SCTP, those tests skip
# with the kernel's own error (from a python3 socket() probe), and the
# test of sockcat's error for that case runs instead. The usage errors
# (--sctp with -U or -u) run everywhere.
#
# Ports: listeners bind port 0 and report it in their -v "Listening on"
# line (start_server sets SRV_PORT).

load helpers

# sctp_probe stream|seqpacket : can this kernel make an SCTP socket of
# that type? If not, print python's error ("[Errno 93] Protocol not
# supported") and fail.
sctp_probe() {
	python3 - "$1" <<'EOF'
import socket, sys
t = socket.SOCK_STREAM if sys.argv[1] == "stream" else socket.SOCK_SEQPACKET
try:
    socket.socket(socket.AF_INET, t, socket.IPPROTO_SCTP).close()
except OSError as e:
    print(e)
    sys.exit(1)
EOF
}

# need_sctp stream|seqpacket : skip, with the kernel's error, unless SCTP
# sockets of that type can be made.
need_sctp() {
	local err
	need_cmd python3
	err=$(sctp_probe "$1") || skip "kernel has no SCTP: $err"
}

# no_sctp stream|seqpacket : skip where the kernel has SCTP sockets of
# that type; else SCTP_REASON is the kernel's strerror text for socket().
no_sctp() {
	local err
	need_cmd python3
	if err=$(sctp_probe "$1"); then
		skip "the kernel has SCTP ($1); this test is for kernels without it"
	fi
	SCTP_REASON=${err#\[Errno * }
	[[ -n $SCTP_REASON && $SCTP_REASON != "$err" ]]
}

@test "SCTP stream: a client uploads 1 MiB to sockcat --sctp -l" {
	need_sctp stream
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/up" $((1024 * 1024))
	# -d: the listener sends nothing (SCTP has no half-close to test here).
	start_server srv --sctp -l -d 127.0.0.1 0
	run -0 io "$d/up" /dev/null sc --sctp 127.0.0.1 "$SRV_PORT"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
	cmp "$d/up" "$d/srv.out"
	grep -Eq '^Connection received on 127\.0\.0\.1 [0-9]+$' "$d/srv.err"
}

@test "SCTP stream: sockcat --sctp -l sends 1 MiB to a client" {
	need_sctp stream
	local d=$BATS_TEST_TMPDIR
	make_payload "$d/down" $((1024 * 1024))
	SRV_IN=$d/down start_server srv --sctp -l 127.0.0.1 0
	run -0 io /dev/null "$d/got" sc --sctp -d 127.0.0.1 "$SRV_PORT"
	cmp "$d/down" "$d/got"
	wait_exit "$SRV_PID"
	[ "$WAIT_STATUS" -eq 0 ]
}

@test "SCTP seqpacket: len32 messages of 1, 1400 and 60000 bytes keep their boundaries" {
	need_sctp seqpacket
	local d=$BATS_TEST_TMPDIR
	len32_frames "$d/msgs" /dev/null 1 1400 60000
	# One-to-many: the server serves every association and never ends by
	# itself; it is stopped once everything has arrived.
	start_server srv --sctp --seqpacket -l --framing len32 127.0.0.1 0
	run -0 io "$d/msgs" /dev/null sc --sctp --seqpacket --framing len32 -q 0 127.0.0.1 "$SRV_PORT"
	wait_until 10 has_size "$d/srv.out" "$(stat -c %s "$d/msgs")"
	# Merged or split messages would give other frames.
	cmp "$d/msgs" "$d/srv.out"
	grep -Eq '^Connection received on 127\.0\.0\.1 [0-9]+$' "$d/srv.err"
}

@test "no kernel SCTP: --sctp listener and client exit 1 with socket()'s error" {
	no_sctp stream
	run -1 --separate-stderr sc --sctp -l 127.0.0.1 0 </dev/null
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "sockcat: socket (sctp): $SCTP_REASON" ]
	run -1 --separate-stderr sc --sctp 127.0.0.1 9 </dev/null
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "sockcat: socket (sctp): $SCTP_REASON" ]
}

@test "no kernel SCTP: --sctp --seqpacket listener and client exit 1 with socket()'s error" {
	no_sctp seqpacket
	run -1 --separate-stderr sc --sctp --seqpacket -l 127.0.0.1 0 </dev/null
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "sockcat: socket (sctp): $SCTP_REASON" ]
	run -1 --separate-stderr sc --sctp --seqpacket 127.0.0.1 9 </dev/null
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "sockcat: socket (sctp): $SCTP_REASON" ]
}

@test "--sctp with -U or -u is a usage error (exit 2)" {
	sockdir
	local args
	for args in "-U $SOCKDIR/s" "-l -U $SOCKDIR/s" "-u 127.0.0.1 9" "-u -l 127.0.0.1 0" "--unix-dgram $SOCKDIR/s"; do
		# shellcheck disable=SC2086 # split on purpose
		run -2 --separate-stderr sc --sctp $args </dev/null
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 2 ]
		[[ ${stderr_lines[0]} =~ ^sockcat:\ .*--sctp ]]
		[ "${stderr_lines[1]}" = "Try 'sockcat --help' for more information." ]
	done
	[ ! -e "$SOCKDIR/s" ]
}
