#!/usr/bin/env bats
# --trace and --trace-format: the socket calls of whole sessions compared
# line by line with tests/fixtures/trace/*.txt (after masking what varies
# from run to run), the JSON form, the trace on stderr among the -v lines,
# traces of -k, -z and --exec/--sh-exec servers, and bad --trace arguments.
#
# The sessions are deterministic on purpose: a listener answers only after
# it has traced the whole request and the client's EOF (its stdin is a FIFO
# the test writes "world" into at that moment), so the order of the calls
# on either side does not depend on timing, and no line is masked away:
# any change in the call sequence (a call more or less, another order,
# other arguments, flags or results, another descriptor) fails the diff.
# sockcat reads a socket once per readiness (no read-until-EAGAIN loop), so
# no "= -1 EAGAIN" lines appear in these sessions and none are masked.

load helpers

# --- local helpers ----------------------------------------------------------

# mask_trace FILE [NAME=VALUE]... : FILE (a text or JSON trace, possibly
# mixed with other stderr lines) on stdout as text lines, with what varies
# from run to run replaced:
#  - the leading timestamp becomes T (times_ordered checks the times);
#  - descriptors: the result of socket/accept/accept4 and the first
#    argument of every other call are fds. Each gets a symbolic name, fd1,
#    fd2... in order of first appearance; a descriptor made by socket or
#    accept gets a new name even if its number was used before, and
#    close(N) = 0 ends the name of N. So "the socket returned by socket()
#    is the one bound", "the accepted socket is the one closed" are still
#    checked, and a call on a closed descriptor shows up as a name that no
#    socket()/accept() made;
#  - NAME=VALUE, VALUE all digits: the port VALUE, where it is not part of
#    a longer number, becomes NAME (PORT, CPORT: ports the test learnt
#    from the -v lines, not guessed from the trace);
#  - NAME=VALUE otherwise: the string VALUE (the sockdir) becomes NAME.
# A JSON line is first written as the text line it stands for (so a JSON
# trace masks to the same lines as the text trace of the same calls).
# Lines that are not trace lines (-v messages) are kept, with the ports and
# paths replaced.
mask_trace() {
	python3 - "$@" <<'EOF'
import errno, json, os, re, sys

path, subs = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
line_re = re.compile(r"^(\d+\.\d{6}) (\w+)\((.*)\) = (-?\d+)(.*)$")
names, count = {}, 0

def fdname(n, new=False):
    global count
    if new or n not in names:
        count += 1
        names[n] = "fd%d" % count
    return names[n]

def subst(s):
    for name, value in subs:
        if value.isdigit():
            s = re.sub(r"(?<![\d.])%s(?!\d)" % value, name, s)
        else:
            s = s.replace(value, name)
    return s

# JSON's "returned" is the value alone: an option's value (getsockopt,
# ioctl) without the text form's [ ], an SO_ERROR errno by its name.
def from_json(obj):
    s = "%.6f %s(%s) = %d" % (obj["time"], obj["call"],
                              ", ".join(obj["args"]), obj["result"])
    if obj["result"] == -1:
        s += " %s (%s)" % (obj["errno"], obj["error"])
    if "returned" in obj:
        r = obj["returned"]
        if obj["args"][-1:] == ["SO_ERROR"] and r != "0":
            r = "%s (%s)" % (r, os.strerror(getattr(errno, r)))
        if obj["call"] in ("getsockopt", "ioctl"):
            r = "[" + r + "]"
        s += " " + r
    return s

for raw in open(path):
    raw = raw.rstrip("\n")
    if raw.startswith("{"):
        raw = from_json(json.loads(raw))
    m = line_re.match(raw)
    if not m:
        print(subst(raw))
        continue
    _, call, args, result, rest = m.groups()
    args = args.split(", ") if args else []
    result = int(result)
    closed = None
    if call != "socket" and args and args[0].isdigit():
        n = int(args[0])
        args[0] = fdname(n)
        if call == "close" and result == 0:
            closed = n
    if call == "splice" and len(args) > 1 and args[1].isdigit():
        args[1] = fdname(int(args[1]))
    if call in ("socket", "accept", "accept4") and result >= 0:
        res = fdname(result, new=True)
    else:
        res = str(result)
    print(subst("T %s(%s) = %s%s" % (call, ", ".join(args), res, rest)))
    if closed is not None:
        del names[closed]
EOF
}

# check_trace FILE FIXTURE [NAME=VALUE]... : FILE masked (mask_trace) must
# be tests/fixtures/trace/FIXTURE line for line; the diff is shown. A
# build without splice(2) relays by recv and send: FIXTURE-copy.txt, where
# there is one, holds that session.
check_trace() {
	local file=$1 fixture
	fixture=$(trace_fixture "$2")
	shift 2
	mask_trace "$file" "$@" >"$file.masked"
	diff -u "$fixture" "$file.masked"
}

# trace_fixture NAME : the path of fixture NAME for this build.
trace_fixture() {
	local f=$SC_FIXTURES/trace/$1
	if ! has_feature splice && [[ -e ${f%.txt}-copy.txt ]]; then
		f=${f%.txt}-copy.txt
	fi
	printf '%s\n' "$f"
}

# times_ordered FILE : the timestamps of FILE's text trace lines are
# non-decreasing.
times_ordered() {
	awk '/^[0-9]+\.[0-9]{6} [a-z0-9_]+\(/ {
		if ($1 + 0 < last) { print "time goes back: " $0; bad = 1 }
		last = $1 + 0
	} END { exit bad }' "$1"
}

# fd_lifecycle FILE : every descriptor in the text trace FILE is a socket
# the trace shows being made (socket, accept, accept4), used only while it
# is open, closed once, and closed by the end: no call on a descriptor that
# is not an open socket (a double close, a use after close, a non-socket
# descriptor in the trace), no socket made on a number still open (a close
# the trace missed), no socket left open (a leak). Problems are printed.
fd_lifecycle() {
	python3 - "$1" <<'EOF'
import re, sys

line_re = re.compile(r"^\d+\.\d{6} (\w+)\((.*)\) = (-?\d+)")
made, bad = {}, []
for i, raw in enumerate(open(sys.argv[1]), 1):
    m = line_re.match(raw)
    if not m:
        continue
    call, args, result = m.group(1), m.group(2).split(", "), int(m.group(3))
    raw = raw.rstrip("\n")
    # splice names its ends: a socket by number, anything else by name
    fds = args[:2] if call == "splice" else args[:1]
    for a in fds:
        if call == "socket" or not a.isdigit():
            continue
        n = int(a)
        if n not in made:
            bad.append("line %d: %s: fd %d is not an open socket here "
                       "(no socket/accept made it, or it was closed)" % (i, raw, n))
        elif call == "close":
            del made[n]
    if call in ("socket", "accept", "accept4") and result >= 0:
        if result in made:
            bad.append("line %d: %s: fd %d is still open (made at line %d): "
                       "its close is missing" % (i, raw, result, made[result]))
        made[result] = i
for n, i in sorted(made.items()):
    bad.append("fd %d (made at line %d) is never closed" % (n, i))
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
}

# fifo_server NAME ARGS... : like start_server, but stdin is the FIFO
# NAME.in, held open for writing by the test on fd $SRV_W (the server
# inherits no copy of it, so closing $SRV_W is its stdin EOF). Every other
# child gets {SRV_W}>&- for the same reason.
fifo_server() {
	local name=$1 d=$BATS_TEST_TMPDIR
	shift
	mkfifo "$d/$name.in"
	exec {SRV_W}<>"$d/$name.in"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v "$@" <"$d/$name.in" \
		>"$d/$name.out" 2>"$d/$name.err" 3>&- {SRV_W}>&- &
	SRV_PID=$!
	track "$SRV_PID"
	wait_for "$d/$name.err" '^(Listening|Bound) on ' || return 1
	SRV_PORT=$(sed -En 's/^(Listening|Bound) on .* ([0-9]+)$/\2/p' "$d/$name.err" | head -n 1)
}

# answer TRACE TEXT : once the server has traced the client's EOF (a
# "recv(...) = 0" line in its trace file TRACE), write TEXT and a newline
# to its stdin and close it.
answer() {
	wait_for "$1" '^[0-9.]+ recv\(.*\) = 0$' &&
		printf '%s\n' "$2" >&"$SRV_W" &&
		exec {SRV_W}>&- &&
		SRV_W=
}

# tcp_session CLIENT_ARGS... : the session of scenarios a and b. A listener
# (sockcat -v -l --trace=$SRV_TRACE 127.0.0.1 0, stdin a FIFO; $SRV_TRACE
# is srv.tr unless set; "--trace" alone when it is srv.err) and a client
# (printf 'hello\n' | sockcat CLIENT_ARGS 127.0.0.1 PORT, stdout cli.out,
# stderr cli.err). The listener answers "world" once it has the request
# and the client's EOF, then closes. Both must exit 0 with the data
# intact. Sets PORT (the listener's, from its -v line) and CPORT (the
# client's, from the listener's "Connection received on" line).
tcp_session() {
	local d=$BATS_TEST_TMPDIR pid tr=${SRV_TRACE:-$BATS_TEST_TMPDIR/srv.tr}
	if [[ $tr == "$d/srv.err" ]]; then
		fifo_server srv -l --trace 127.0.0.1 0
	else
		fifo_server srv -l --trace="$tr" 127.0.0.1 0
	fi
	PORT=$SRV_PORT
	printf 'hello\n' |
		timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" "$@" 127.0.0.1 "$PORT" \
			>"$d/cli.out" 2>"$d/cli.err" 3>&- {SRV_W}>&- &
	pid=$!
	track "$pid"
	answer "$tr" world
	wait_exit "$pid"
	((WAIT_STATUS == 0)) || { cat "$d/cli.err"; return 1; }
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0)) || { cat "$d/srv.err"; return 1; }
	printf 'world\n' | cmp - "$d/cli.out"
	printf 'hello\n' | cmp - "$d/srv.out"
	CPORT=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$d/srv.err")
	[[ -n $CPORT ]]
}

# closed_port : a TCP port on 127.0.0.1 that was bound, then closed.
closed_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# count_lines FILE REGEX N : FILE has at least N lines matching REGEX.
count_lines() {
	(($(grep -Ec -- "$2" "$1" 2>/dev/null) >= $3))
}

# json_check FILE : every line of FILE is a JSON object with the members of
# a --trace-format=json line (see the man page, TRACE) and nothing else;
# times are non-decreasing. jq if installed, else python3. Prints problems.
json_check() {
	if command -v jq >/dev/null; then
		jq -R -r -n '
		  def ok:
		    type == "object"
		    and ((keys - ["args", "call", "errno", "error", "result",
		                  "returned", "time"]) == [])
		    and (.time | type) == "number"
		    and (.call | type) == "string" and (.call | test("^[a-z0-9_]+$"))
		    and (.args | type) == "array" and all(.args[]; type == "string")
		    and (.result | type) == "number"
		    and (if .result >= 0
		         then .errno == null and (has("error") | not)
		         else .result == -1
		              and (.errno | type) == "string"
		              and (.errno | test("^E[A-Z0-9]+$"))
		              and (.error | type) == "string" and (.error | length) > 0
		         end)
		    and ((has("returned") | not) or (.returned | type) == "string");
		  reduce inputs as $l ({n: 0, t: -1, bad: []};
		    .n += 1
		    | ($l | try fromjson catch "not JSON") as $o
		    | if ($o | type) == "object" and ($o | ok)
		      then if $o.time < .t
		           then .bad += ["line \(.n): time goes back: \($l)"]
		           else . end
		           | .t = $o.time
		      else .bad += ["line \(.n): not a valid trace object: \($l)"] end)
		  | .bad[]' "$1" >"$1.problems"
	else
		python3 - "$1" >"$1.problems" <<'EOF'
import json, re, sys
keys = {"time", "call", "args", "result", "errno", "error", "returned"}
last = -1
for i, l in enumerate(open(sys.argv[1]), 1):
    try:
        o = json.loads(l)
        ok = (isinstance(o, dict) and set(o) <= keys
              and type(o["time"]) in (int, float)
              and isinstance(o["call"], str) and re.match(r"^[a-z0-9_]+$", o["call"])
              and isinstance(o["args"], list)
              and all(isinstance(a, str) for a in o["args"])
              and type(o["result"]) in (int, float)
              and ((o["result"] >= 0 and o["errno"] is None and "error" not in o)
                   or (o["result"] == -1 and isinstance(o["errno"], str)
                       and re.match(r"^E[A-Z0-9]+$", o["errno"])
                       and isinstance(o.get("error"), str) and o["error"]))
              and isinstance(o.get("returned", ""), str))
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        print("line %d: not a valid trace object: %s" % (i, l.rstrip("\n")))
        continue
    if o["time"] < last:
        print("line %d: time goes back: %s" % (i, l.rstrip("\n")))
    last = o["time"]
EOF
	fi
	cat "$1.problems"
	[[ ! -s $1.problems ]]
}

setup() {
	D=$BATS_TEST_TMPDIR
	SRV_W=
}

teardown() {
	if [[ -n ${SRV_W:-} ]]; then
		exec {SRV_W}>&- || true
	fi
	sc_teardown
}

# --- 1. whole sessions, line by line ---------------------------------------

@test "trace: TCP client session (connect, send, shutdown, recv, close) matches tcp-connect.txt" {
	tcp_session --trace="$D/cli.tr"
	times_ordered "$D/cli.tr"
	fd_lifecycle "$D/cli.tr"
	check_trace "$D/cli.tr" tcp-connect.txt PORT="$PORT" CPORT="$CPORT"
}

@test "trace: TCP listener session (bind, listen, accept4, close listener, ...) matches tcp-listen.txt" {
	tcp_session --trace="$D/cli.tr"
	times_ordered "$D/srv.tr"
	fd_lifecycle "$D/srv.tr"
	check_trace "$D/srv.tr" tcp-listen.txt PORT="$PORT" CPORT="$CPORT"
}

@test "trace: UNIX stream listener session matches unix-listen.txt" {
	local pid
	sockdir
	fifo_server srv -l -U "$SOCKDIR/s" --trace="$D/srv.tr"
	printf 'hello\n' |
		timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -U "$SOCKDIR/s" \
			>"$D/cli.out" 2>"$D/cli.err" 3>&- {SRV_W}>&- &
	pid=$!
	track "$pid"
	answer "$D/srv.tr" world
	wait_exit "$pid"
	((WAIT_STATUS == 0))
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	printf 'world\n' | cmp - "$D/cli.out"
	printf 'hello\n' | cmp - "$D/srv.out"
	times_ordered "$D/srv.tr"
	fd_lifecycle "$D/srv.tr"
	check_trace "$D/srv.tr" unix-listen.txt DIR="$SOCKDIR"
}

@test "trace: refused connect (EINPROGRESS, SO_ERROR refused, close) matches refused.txt" {
	local port
	port=$(closed_port)
	run -4 --separate-stderr sc --trace="$D/cli.tr" 127.0.0.1 "$port" </dev/null
	assert_equal "$stderr" "sockcat: connect to 127.0.0.1 port $port (tcp): Connection refused"
	assert_equal "$output" ""
	fd_lifecycle "$D/cli.tr"
	check_trace "$D/cli.tr" refused.txt PORT="$port"
}

@test "trace: refused connect in JSON: SO_ERROR's value is the errno name" {
	local port
	port=$(closed_port)
	run -4 --separate-stderr sc --trace="$D/cli.json" --trace-format=json \
	    127.0.0.1 "$port" </dev/null
	assert_equal "$stderr" "sockcat: connect to 127.0.0.1 port $port (tcp): Connection refused"
	json_check "$D/cli.json"
	(($(wc -l <"$D/cli.json") == 4))
	grep -q '^{"time":[0-9.]*,"call":"getsockopt","args":\["[0-9]*","SOL_SOCKET","SO_ERROR"\],"result":0,"errno":null,"returned":"ECONNREFUSED"}$' \
	    "$D/cli.json"
	check_trace "$D/cli.json" refused.txt PORT="$port"
}

@test "trace: UDP client sending one datagram and getting the reply matches udp.txt" {
	local cport
	start_server srv -u -l --echo 127.0.0.1 0
	# -w 1s: the client ends 1 s after the reply. The echo comes back in
	# microseconds; 1 s rather than less so that a loaded machine cannot
	# make the client give up before it (which would change the trace).
	printf 'hello\n' >"$D/req"
	run -0 io "$D/req" "$D/cli.out" sc -u -w 1s --trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT"
	cmp "$D/req" "$D/cli.out"
	wait_for "$D/srv.err" '^Connection received on '
	cport=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err")
	[[ -n $cport ]]
	times_ordered "$D/cli.tr"
	fd_lifecycle "$D/cli.tr"
	check_trace "$D/cli.tr" udp.txt PORT="$SRV_PORT" CPORT="$cport"
}

# --- 2. JSON ----------------------------------------------------------------

@test "trace: --trace-format=json: one valid object per line, same calls as the text trace" {
	tcp_session --trace="$D/cli.json" --trace-format=json
	# The calls of the session (as many as the fixture's lines), among
	# them one failing call (connect: EINPROGRESS) and some with "returned".
	(($(wc -l <"$D/cli.json") == $(wc -l <"$(trace_fixture tcp-connect.txt)")))
	json_check "$D/cli.json"
	grep -q '"call":"connect".*"result":-1,"errno":"EINPROGRESS","error":"Operation now in progress"' "$D/cli.json"
	grep -q '"returned":"127.0.0.1:'"$CPORT"'"' "$D/cli.json"
	# An option's value without the text form's brackets.
	grep -q '"call":"getsockopt","args":\["[0-9]*","SOL_SOCKET","SO_ERROR"\],"result":0,"errno":null,"returned":"0"}$' "$D/cli.json"
	# (call, args, result, errno, error, returned) in order, descriptors
	# and ports masked: the same lines as the text trace's fixture.
	check_trace "$D/cli.json" tcp-connect.txt PORT="$PORT" CPORT="$CPORT"
}

# --- 3. the trace on stderr -------------------------------------------------

@test "trace: --trace alone writes to stderr, among the -v lines; stdout has only the data" {
	SRV_TRACE=$D/srv.err tcp_session -v --trace
	# stdout: the data only (tcp_session cmp'ed both), no trace line.
	printf 'world\n' | cmp - "$D/cli.out"
	printf 'hello\n' | cmp - "$D/srv.out"
	# stderr: the trace lines of tcp-connect.txt / tcp-listen.txt with the
	# -v lines where they are printed, in order.
	check_trace "$D/cli.err" tcp-connect-stderr.txt PORT="$PORT" CPORT="$CPORT"
	check_trace "$D/srv.err" tcp-listen-stderr.txt PORT="$PORT" CPORT="$CPORT"
	# ... which are the file traces plus the -v lines, nothing else.
	grep -v '^Connection to ' "$D/cli.err.masked" | diff -u "$(trace_fixture tcp-connect.txt)" -
	grep -Ev '^(Listening on|Connection received on) ' "$D/srv.err.masked" |
		diff -u "$(trace_fixture tcp-listen.txt)" -
}

# --- 4. other modes ----------------------------------------------------------

@test "trace: -l -k --echo: one accept4 per client, each connection echoed and closed; listener closed at SIGTERM" {
	local p1 p2
	start_server srv -l -k --echo --trace="$D/srv.tr" 127.0.0.1 0
	printf 'one\n' >"$D/in1"
	printf 'second\n' >"$D/in2"
	run -0 io "$D/in1" "$D/out1" sc 127.0.0.1 "$SRV_PORT"
	cmp "$D/in1" "$D/out1"
	# The next client only once the first connection's close is traced,
	# so the two connections do not interleave in the trace.
	wait_until 10 count_lines "$D/srv.tr" '^[0-9.]+ close\(' 1
	run -0 io "$D/in2" "$D/out2" sc 127.0.0.1 "$SRV_PORT"
	cmp "$D/in2" "$D/out2"
	wait_until 10 count_lines "$D/srv.tr" '^[0-9.]+ close\(' 2
	kill -TERM "$SRV_PID"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 128 + 15))
	p1=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err" | sed -n 1p)
	p2=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err" | sed -n 2p)
	[[ -n $p1 && -n $p2 ]]
	times_ordered "$D/srv.tr"
	fd_lifecycle "$D/srv.tr"
	check_trace "$D/srv.tr" keep-echo.txt PORT="$SRV_PORT" CPORT1="$p1" CPORT2="$p2"
}

@test "trace: -z scan: one socket, connect, SO_ERROR and close per port" {
	local c1 c2
	start_server srv -l 127.0.0.1 0
	c1=$(closed_port)
	c2=$(closed_port)
	run -0 --separate-stderr sc -z -v --trace="$D/scan.tr" 127.0.0.1 "$c1,$SRV_PORT,$c2"
	fd_lifecycle "$D/scan.tr"
	# The probes run in parallel: their lines interleave in any order.
	# Grouped by socket, each probe's calls are fixed.
	mask_trace "$D/scan.tr" OPEN="$SRV_PORT" CLOSED1="$c1" CLOSED2="$c2" |
		python3 -c '
import re, sys
groups, cur = [], {}
for l in sys.stdin:
    m = re.match(r"T (\w+)\((fd\d+)?", l)
    fd = re.search(r"= (fd\d+)$", l.rstrip()) if m.group(1) == "socket" else None
    if fd:
        cur[fd.group(1)] = [l.strip()]
        groups.append(cur[fd.group(1)])
    else:
        cur[m.group(2)].append(l.strip())
for g in sorted(re.sub(r"fd\d+", "FD", " ; ".join(g)) for g in groups):
    print(g)' >"$D/scan.groups"
	diff -u - "$D/scan.groups" <<'EOF'
T socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = FD ; T connect(FD, 127.0.0.1:CLOSED1) = -1 EINPROGRESS (Operation now in progress) ; T getsockopt(FD, SOL_SOCKET, SO_ERROR) = 0 [ECONNREFUSED (Connection refused)] ; T close(FD) = 0
T socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = FD ; T connect(FD, 127.0.0.1:CLOSED2) = -1 EINPROGRESS (Operation now in progress) ; T getsockopt(FD, SOL_SOCKET, SO_ERROR) = 0 [ECONNREFUSED (Connection refused)] ; T close(FD) = 0
T socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = FD ; T connect(FD, 127.0.0.1:OPEN) = -1 EINPROGRESS (Operation now in progress) ; T getsockopt(FD, SOL_SOCKET, SO_ERROR) = 0 [0] ; T close(FD) = 0
EOF
	# The -v lines, in scan order, agree with the trace.
	assert_equal "$output" ""
	assert_equal "$stderr" "sockcat: connect to 127.0.0.1 port $c1 (tcp): Connection refused
Connection to 127.0.0.1 $SRV_PORT port [tcp/*] succeeded!
sockcat: connect to 127.0.0.1 port $c2 (tcp): Connection refused"
}

@test "trace: -l -e server: the trace has the server's own socket calls only, the child does not inherit it" {
	start_server srv -l -e 'ls -l /proc/self/fd' --trace="$D/srv.tr" 127.0.0.1 0
	run -0 sc_out "$D/cli.out" 127.0.0.1 "$SRV_PORT" </dev/null
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	# The child ran (its fd listing came back) without the trace file.
	grep -q ' 0 -> pipe:' "$D/cli.out"
	run ! grep -F "$D/srv.tr" "$D/cli.out"
	# One accept4; every descriptor in the trace is a socket made by
	# socket()/accept4(), closed once. The child's stdin/stdout pipes are
	# not sockets: the man page says pipes are not in the trace, so no
	# close() of a pipe may appear (it would read as a double close).
	(($(grep -c ' accept4(' "$D/srv.tr") == 1))
	fd_lifecycle "$D/srv.tr"
}

# --- 5. bad input ------------------------------------------------------------

@test "trace: usage errors: unknown --trace-format, --trace-format without --trace" {
	ROW_LINE=$LINENO usage_row '^sockcat: --trace-format "xml": unknown format \(text, json\)$' \
		--trace --trace-format=xml 127.0.0.1 9
	ROW_LINE=$LINENO usage_row '^sockcat: --trace-format "xml": unknown format \(text, json\)$' \
		--trace-format xml --trace 127.0.0.1 9
	ROW_LINE=$LINENO usage_row '^sockcat: --trace-format requires --trace$' \
		--trace-format=json 127.0.0.1 9
	ROW_LINE=$LINENO usage_row '^sockcat: --trace-format requires --trace$' \
		--trace-format=text -l 127.0.0.1 0
	rows_done
}

@test "trace: --trace=/nonexistent-dir/x: exit 1, one line naming the file and the reason" {
	run -1 --separate-stderr sc --trace=/nonexistent-dir/x 127.0.0.1 9 </dev/null
	assert_equal "$stderr" "sockcat: --trace /nonexistent-dir/x: No such file or directory"
	assert_equal "$output" ""
	[[ ! -e /nonexistent-dir ]]
}

# --- 6. listening options, more modes ----------------------------------------

# tr_result FILE CALL [N] : the descriptor the Nth (default first) CALL
# line (socket, accept4) of the trace FILE returned.
tr_result() {
	sed -En "s/^[0-9.]+ $2\\(.*\\) = ([0-9]+)( .*)?\$/\\1/p" "$1" | sed -n "${3:-1}p"
}

# tr_has FILE REGEX : the trace FILE has a line "TIME REGEX" (extended,
# anchored at both ends); shows the trace if not.
tr_has() {
	grep -Eq -- "^[0-9]+\\.[0-9]{6} $2\$" "$1" ||
		fail "no line /$2/ in the trace:"$'\n'"$(cat "$1")"
}

# tr_count FILE REGEX : how many lines "TIME REGEX" the trace FILE has.
tr_count() {
	grep -Ec -- "^[0-9]+\\.[0-9]{6} $2\$" "$1" || true
}

# tr_sum FILE CALL FD : the sum of the results of CALL(FD, ...) lines
# (the bytes of every send or recv on FD).
tr_sum() {
	awk -v c="$2($3," '
		index($2, c) == 1 && $(NF - 1) == "=" && $NF > 0 { s += $NF }
		END { print s + 0 }' "$1"
}

# tr_in FILE FD : the bytes read from socket FD, by recv() or by
# splice() into the relay's pipe; tr_out FILE FD : those written to it,
# by send() or by splice() from the pipe (the relay splices when it may,
# and copies a read now and then).
tr_in() {
	echo $(($(tr_sum "$1" recv "$2") + $(tr_sum "$1" splice "$2")))
}

tr_out() {
	local spliced
	spliced=$(awk -v fd="$2," '
		$2 == "splice(pipe," && $3 == fd && $(NF - 1) == "=" { s += $NF }
		END { print s + 0 }' "$1")
	echo $(($(tr_sum "$1" send "$2") + spliced))
}

# stop_srv : SIGTERM to the server, which ends with 143 (its trace is
# then complete).
stop_srv() {
	kill -TERM "$SRV_PID"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 143)) || fail "server exit $WAIT_STATUS: $(cat "$D/srv.err")"
}

@test "trace: listeners set SO_REUSEADDR (once, before bind) and never SO_REUSEPORT unless asked" {
	local args fd
	need_ipv6
	for args in "-l 127.0.0.1 0" "-l ::1 0" "-l 0" "-l -k 127.0.0.1 0" \
	    "-l -k --echo 127.0.0.1 0" "-u -l 127.0.0.1 0" "-u -l -k 127.0.0.1 0"; do
		rm -f "$D/srv.tr"
		# shellcheck disable=SC2086 # the words of args
		start_server srv $args --trace="$D/srv.tr"
		stop_srv
		fd=$(tr_result "$D/srv.tr" socket)
		[[ -n $fd ]] || fail "$args: no socket() in the trace"
		(($(tr_count "$D/srv.tr" "setsockopt\\($fd, SOL_SOCKET, SO_REUSEADDR, 1\\) = 0") == 1)) ||
			fail "$args: not one SO_REUSEADDR:"$'\n'"$(cat "$D/srv.tr")"
		# before the bind
		awk '/ bind\(/ { exit 1 } /SO_REUSEADDR, 1\) = 0$/ { exit 0 }' "$D/srv.tr" ||
			fail "$args: SO_REUSEADDR after bind:"$'\n'"$(cat "$D/srv.tr")"
		! grep -q SO_REUSEPORT "$D/srv.tr" ||
			fail "$args: SO_REUSEPORT set:"$'\n'"$(cat "$D/srv.tr")"
	done
	# the check above would see it: --reuseport does show
	rm -f "$D/srv.tr"
	start_server srv -l --reuseport --trace="$D/srv.tr" 127.0.0.1 0
	stop_srv
	fd=$(tr_result "$D/srv.tr" socket)
	tr_has "$D/srv.tr" "setsockopt\\($fd, SOL_SOCKET, SO_REUSEPORT, 1\\) = 0"
}

@test "trace: a listener with no host: one dual-stack socket on [::], an IPv4 client shown as [::ffff:127.0.0.1]" {
	local fd cfd cport
	need_ipv6
	start_server srv -l --trace="$D/srv.tr" 0
	run -0 sc 127.0.0.1 "$SRV_PORT" <<<"four"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	cport=$(sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err")
	[[ -n $cport ]]
	fd=$(tr_result "$D/srv.tr" socket)
	(($(tr_count "$D/srv.tr" 'socket\(.*') == 1))
	tr_has "$D/srv.tr" "socket\\(AF_INET6, SOCK_STREAM\\|SOCK_CLOEXEC, IPPROTO_TCP\\) = $fd"
	tr_has "$D/srv.tr" "setsockopt\\($fd, IPPROTO_IPV6, IPV6_V6ONLY, 0\\) = 0"
	tr_has "$D/srv.tr" "bind\\($fd, \\[::\\]:0\\) = 0"
	tr_has "$D/srv.tr" "getsockname\\($fd\\) = 0 \\[::\\]:$SRV_PORT"
	cfd=$(tr_result "$D/srv.tr" accept4)
	tr_has "$D/srv.tr" "accept4\\($fd, \\.\\.\\.\\) = $cfd \\[::ffff:127\\.0\\.0\\.1\\]:$cport"
	fd_lifecycle "$D/srv.tr"
}

# client_a NAME : a client of the server at $SRV_PORT whose stdin the test
# holds open (feed_eof ends it); output in $D/NAME.{out,err}; sets A_PID.
client_a() {
	feeder_start "$D/$1.in"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" 127.0.0.1 "$SRV_PORT" \
		<"$D/$1.in" >"$D/$1.out" 2>"$D/$1.err" 3>&- &
	A_PID=$!
	track "$A_PID"
	wait_until 10 count_lines "$D/srv.tr" '^[0-9.]+ accept4\(' 1
}

# hub_session HANDLER : a -k HANDLER server (--broker, --chat) with
# clients A (held open) and B (sends "two\n" and its EOF); B's line
# reaches A; then A ends and the server is stopped. Sets FA, FB: the
# server's descriptors for A and B.
hub_session() {
	start_server srv -l -k "$1" --trace="$D/srv.tr" 127.0.0.1 0
	client_a a
	printf 'two\n' >"$D/b.in"
	run -0 io "$D/b.in" "$D/b.out" sc 127.0.0.1 "$SRV_PORT"
	wait_for "$D/a.out" 'two$'
	feed_eof
	wait_exit "$A_PID"
	((WAIT_STATUS == 0))
	wait_until 10 count_lines "$D/srv.tr" '^[0-9.]+ close\(' 2
	stop_srv
	FA=$(tr_result "$D/srv.tr" accept4 1)
	FB=$(tr_result "$D/srv.tr" accept4 2)
	[[ -n $FA && -n $FB && $FA != "$FB" ]]
	fd_lifecycle "$D/srv.tr"
}

@test "trace: --broker: what B sends is one recv on B's socket and one send on A's, none back to B" {
	hub_session --broker
	tr_has "$D/srv.tr" "recv\\($FB, 65536, MSG_DONTWAIT\\) = 4"
	tr_has "$D/srv.tr" "send\\($FA, 4, MSG_DONTWAIT\\|MSG_NOSIGNAL\\) = 4"
	(($(tr_count "$D/srv.tr" "send\\($FB, .*") == 0))
	tr_has "$D/srv.tr" "recv\\($FB, 65536, MSG_DONTWAIT\\) = 0"
	printf 'two\n' | cmp - "$D/a.out"
	[[ ! -s $D/b.out ]]
	# the bytes sent on each socket are what its client received
	(($(tr_sum "$D/srv.tr" send "$FA") == $(stat -c %s "$D/a.out")))
}

@test "trace: --chat: notices and the prefixed line are sends on the clients' sockets, byte for byte" {
	hub_session --chat
	tr_has "$D/srv.tr" "recv\\($FB, 65536, MSG_DONTWAIT\\) = 4"
	# "<user2> two\n" to A
	grep -qx '<user2> two' "$D/a.out"
	tr_has "$D/srv.tr" "send\\($FA, 12, MSG_DONTWAIT\\|MSG_NOSIGNAL\\) = 12"
	(($(tr_sum "$D/srv.tr" send "$FA") == $(stat -c %s "$D/a.out")))
	(($(tr_sum "$D/srv.tr" send "$FB") == $(stat -c %s "$D/b.out")))
	[[ -s $D/b.out ]]	# B got the already-connected notice
}

@test "trace: --forward: the second socket's connect to the target, data both ways, both closed" {
	local fc ft
	start_server tgt -l -k --echo 127.0.0.1 0
	local tport=$SRV_PORT
	start_server srv -l -k --forward "127.0.0.1:$tport" --trace="$D/srv.tr" 127.0.0.1 0
	printf 'through\n' >"$D/in"
	run -0 io "$D/in" "$D/out" sc 127.0.0.1 "$SRV_PORT"
	cmp "$D/in" "$D/out"
	wait_until 10 count_lines "$D/srv.tr" '^[0-9.]+ close\(' 2
	stop_srv
	fc=$(tr_result "$D/srv.tr" accept4)
	ft=$(tr_result "$D/srv.tr" socket 2)
	[[ -n $fc && -n $ft ]]
	tr_has "$D/srv.tr" "socket\\(AF_INET, SOCK_STREAM\\|SOCK_CLOEXEC, IPPROTO_TCP\\) = $ft"
	tr_has "$D/srv.tr" "connect\\($ft, 127\\.0\\.0\\.1:$tport\\) = -1 EINPROGRESS \\(Operation now in progress\\)"
	tr_has "$D/srv.tr" "getsockopt\\($ft, SOL_SOCKET, SO_ERROR\\) = 0 \\[0\\]"
	# 8 bytes each way, spliced or copied
	(($(tr_in "$D/srv.tr" "$fc") == 8 && $(tr_out "$D/srv.tr" "$ft") == 8))
	(($(tr_in "$D/srv.tr" "$ft") == 8 && $(tr_out "$D/srv.tr" "$fc") == 8))
	# the client's EOF passed on to the target
	tr_has "$D/srv.tr" "shutdown\\($ft, SHUT_WR\\) = 0"
	fd_lifecycle "$D/srv.tr"
}

# udp_port_of N : the port of the Nth "Connection received on" line of
# srv.err.
udp_port_of() {
	sed -En 's/^Connection received on 127\.0\.0\.1 ([0-9]+)$/\1/p' "$D/srv.err" | sed -n "$1p"
}

@test "trace: -u -l: one datagram socket, bound, connected to its one peer, the datagram received" {
	local fd cport
	start_server srv -u -l --trace="$D/srv.tr" 127.0.0.1 0
	run -0 sc -u -q 0.2 127.0.0.1 "$SRV_PORT" <<<"one"
	wait_until 10 has_size "$D/srv.out" 4
	wait_for "$D/srv.err" '^Connection received on '
	cport=$(udp_port_of 1)
	stop_srv
	fd=$(tr_result "$D/srv.tr" socket)
	(($(tr_count "$D/srv.tr" 'socket\(.*') == 1))
	tr_has "$D/srv.tr" "socket\\(AF_INET, SOCK_DGRAM\\|SOCK_CLOEXEC, IPPROTO_UDP\\) = $fd"
	tr_has "$D/srv.tr" "bind\\($fd, 127\\.0\\.0\\.1:0\\) = 0"
	tr_has "$D/srv.tr" "connect\\($fd, 127\\.0\\.0\\.1:$cport\\) = 0"
	tr_has "$D/srv.tr" "recvmsg\\($fd, 65536, MSG_TRUNC\\|MSG_DONTWAIT\\) = 4 127\\.0\\.0\\.1:$cport"
	(($(tr_count "$D/srv.tr" '(listen|accept4?)\(.*') == 0))
	fd_lifecycle "$D/srv.tr"
}

@test "trace: -u -l -k: one socket for two peers, never connected, a recvmsg from each" {
	local fd c1 c2
	start_server srv -u -l -k --trace="$D/srv.tr" 127.0.0.1 0
	run -0 sc -u -q 0.2 127.0.0.1 "$SRV_PORT" <<<"one"
	wait_until 10 has_size "$D/srv.out" 4
	run -0 sc -u -q 0.2 127.0.0.1 "$SRV_PORT" <<<"two"
	wait_until 10 has_size "$D/srv.out" 8
	wait_until 10 count_lines "$D/srv.err" '^Connection received on ' 2
	c1=$(udp_port_of 1)
	c2=$(udp_port_of 2)
	stop_srv
	fd=$(tr_result "$D/srv.tr" socket)
	(($(tr_count "$D/srv.tr" 'socket\(.*') == 1))
	tr_has "$D/srv.tr" "recvmsg\\($fd, 65536, MSG_TRUNC\\|MSG_DONTWAIT\\) = 4 127\\.0\\.0\\.1:$c1"
	tr_has "$D/srv.tr" "recvmsg\\($fd, 65536, MSG_TRUNC\\|MSG_DONTWAIT\\) = 4 127\\.0\\.0\\.1:$c2"
	(($(tr_count "$D/srv.tr" '(connect|listen|accept4?)\(.*') == 0))
	printf 'one\ntwo\n' | cmp - "$D/srv.out"
	fd_lifecycle "$D/srv.tr"
}

@test "trace: --unix-dgram -l: a UNIX datagram socket bound on the path, no listen, not connected, the datagram received" {
	local fd
	sockdir
	start_server srv --unix-dgram -l --trace="$D/srv.tr" "$SOCKDIR/s"
	run -0 sc --unix-dgram -q 0.2 "$SOCKDIR/s" <<<"one"
	wait_until 10 has_size "$D/srv.out" 4
	stop_srv
	fd=$(tr_result "$D/srv.tr" socket)
	tr_has "$D/srv.tr" "socket\\(AF_UNIX, SOCK_DGRAM\\|SOCK_CLOEXEC, 0\\) = $fd"
	tr_has "$D/srv.tr" "bind\\($fd, $SOCKDIR/s\\) = 0"
	# UNIX message sockets take credentials with their messages
	tr_has "$D/srv.tr" "setsockopt\\($fd, SOL_SOCKET, SO_PASSCRED, 1\\) = 0"
	tr_has "$D/srv.tr" "recvmsg\\($fd, 65536, MSG_TRUNC\\|MSG_DONTWAIT\\|MSG_CMSG_CLOEXEC\\) = 4( .*)?"
	(($(tr_count "$D/srv.tr" '(connect|listen|accept4?)\(.*') == 0))
	fd_lifecycle "$D/srv.tr"
}

@test "trace: -U --seqpacket -l: listen, accept4, the message and the EOF as recvmsg" {
	local fd cfd
	sockdir
	start_server srv -U --seqpacket -l --trace="$D/srv.tr" "$SOCKDIR/s"
	run -0 sc -U --seqpacket "$SOCKDIR/s" <<<"one"
	wait_exit "$SRV_PID"
	((WAIT_STATUS == 0))
	printf 'one\n' | cmp - "$D/srv.out"
	fd=$(tr_result "$D/srv.tr" socket)
	cfd=$(tr_result "$D/srv.tr" accept4)
	tr_has "$D/srv.tr" "socket\\(AF_UNIX, SOCK_SEQPACKET\\|SOCK_CLOEXEC, 0\\) = $fd"
	tr_has "$D/srv.tr" "bind\\($fd, $SOCKDIR/s\\) = 0"
	tr_has "$D/srv.tr" "listen\\($fd, 128\\) = 0"
	tr_has "$D/srv.tr" "accept4\\($fd, \\.\\.\\.\\) = $cfd( .*)?"
	tr_has "$D/srv.tr" "recvmsg\\($cfd, 65536, MSG_TRUNC\\|MSG_DONTWAIT\\|MSG_CMSG_CLOEXEC\\) = 4( .*)?"
	tr_has "$D/srv.tr" "recvmsg\\($cfd, 65536, MSG_TRUNC\\|MSG_DONTWAIT\\|MSG_CMSG_CLOEXEC\\) = 0( .*)?"
	fd_lifecycle "$D/srv.tr"
}

@test "trace: --retry 2 against a closed port: three sockets, three refused connects, three closes" {
	local port
	port=$(closed_port)
	run -4 --separate-stderr sc --retry 2 --retry-wait 100ms --trace="$D/cli.tr" 127.0.0.1 "$port" </dev/null
	(($(tr_count "$D/cli.tr" 'socket\(AF_INET, SOCK_STREAM\|SOCK_CLOEXEC, IPPROTO_TCP\) = [0-9]+') == 3))
	(($(tr_count "$D/cli.tr" "connect\\([0-9]+, 127\\.0\\.0\\.1:$port\\) = -1 EINPROGRESS \\(Operation now in progress\\)") == 3))
	(($(tr_count "$D/cli.tr" 'getsockopt\([0-9]+, SOL_SOCKET, SO_ERROR\) = 0 \[ECONNREFUSED \(Connection refused\)\]') == 3))
	(($(tr_count "$D/cli.tr" 'close\([0-9]+\) = 0') == 3))
	(($(wc -l <"$D/cli.tr") == 12))
	fd_lifecycle "$D/cli.tr"
}

@test "trace: --reconnect: a new socket and connect for each connection, the old one closed first" {
	local n
	# each connection: the child echoes one line, exits; the server closes
	start_server srv -l -k -c 'head -n 1' 127.0.0.1 0
	feeder_start "$D/cli.in"
	timeout -k 2 "$SC_TIMEOUT" "$SOCKCAT" -v --reconnect --retry-wait 100ms \
		--trace="$D/cli.tr" 127.0.0.1 "$SRV_PORT" <"$D/cli.in" >"$D/cli.out" 2>"$D/cli.err" 3>&- &
	local cli=$!
	track "$cli"
	feed 'one\n'
	wait_for "$D/cli.out" '^one$'
	wait_until 10 count_lines "$D/cli.err" '^Connection to .* succeeded!$' 2
	feed 'two\n'
	wait_for "$D/cli.out" '^two$'
	wait_until 10 count_lines "$D/cli.err" '^Connection to .* succeeded!$' 3
	feed_eof
	wait_exit "$cli"
	((WAIT_STATUS == 0)) || fail "client exit $WAIT_STATUS: $(cat "$D/cli.err")"
	printf 'one\ntwo\n' | cmp - "$D/cli.out"
	n=$(grep -c '^Connection to .* succeeded!$' "$D/cli.err")
	((n == 3))
	(($(tr_count "$D/cli.tr" 'socket\(AF_INET, SOCK_STREAM\|SOCK_CLOEXEC, IPPROTO_TCP\) = [0-9]+') == n))
	(($(tr_count "$D/cli.tr" "connect\\([0-9]+, 127\\.0\\.0\\.1:$SRV_PORT\\) = -1 EINPROGRESS \\(Operation now in progress\\)") == n))
	(($(tr_count "$D/cli.tr" 'getsockopt\([0-9]+, SOL_SOCKET, SO_ERROR\) = 0 \[0\]') == n))
	# each connection's socket is closed before the next is made
	fd_lifecycle "$D/cli.tr"
	awk '/ socket\(/ { if (open) exit 1; open = 1 } / close\(/ { open = 0 }' "$D/cli.tr"
}
