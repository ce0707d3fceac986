#!/usr/bin/env python3
"""Throughput benchmark: one TCP stream over loopback, sockcat against peers.

Every tool moves the same N MiB (default 1024) in the same shape: a client
reads them from its standard input (a pipe from `dd if=/dev/zero`, or a
regular file with --source file) and sends them to a server on 127.0.0.1,
which writes them to its standard output (/dev/null, or a pipe to `dd
of=/dev/null` with --sink pipe).  Timed: from starting the client to both
the client and the server having exited (the server exits at the client's
end of file, so all bytes have arrived).

Tools, in the same run, interleaved round-robin, each --repeat times:

  sockcat        zero-copy relay (splice(2) where the ends allow it)
  sockcat-copy   the same with the copy path forced on both sides by
                 `-o /dev/null` (a raw session log whose write(2) to
                 /dev/null costs nothing; any tap that needs the bytes
                 turns splice off, see the man page, "Zero-copy")
  nc.openbsd     OpenBSD netcat (Debian's nc.openbsd), client -N
  ncat           Nmap's ncat, --send-only / --recv-only
  socat          socat -u STDIN TCP:... / TCP-LISTEN:... STDOUT
  iperf3         memory to memory, -n BYTES (the reference ceiling: no
                 standard input or output at all)

Reported: median MB/s (10^6 bytes per second) and the ratio of each
tool's median to sockcat's.  Tools not installed are skipped with a note.
Nothing is installed; Python 3 standard library only; Linux (ss(8) is
used to see a listener without connecting to it).

    python3 bench/throughput.py [--mib N] [--repeat R] [--source pipe|file]
        [--sink null|pipe] [--tools a,b,...] [--sockcat PATH]

See bench/README.md.
"""

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"          # the only address this benchmark ever uses
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOCKCAT = os.path.join(os.path.dirname(HERE), "src", "sockcat")
TIMEOUT = 600               # seconds one transfer may take at most

# name -> (server argv, client argv); {sockcat}, {port}, {bytes} replaced.
TOOLS = {
    "sockcat": (
        ["{sockcat}", "-l", HOST, "{port}"],
        ["{sockcat}", HOST, "{port}"]),
    "sockcat-copy": (
        ["{sockcat}", "-o", "/dev/null", "-l", HOST, "{port}"],
        ["{sockcat}", "-o", "/dev/null", HOST, "{port}"]),
    "nc.openbsd": (
        ["nc.openbsd", "-l", HOST, "{port}"],
        ["nc.openbsd", "-N", HOST, "{port}"]),
    "ncat": (
        ["ncat", "--recv-only", "-l", HOST, "{port}"],
        ["ncat", "--send-only", HOST, "{port}"]),
    "socat": (
        ["socat", "-u", "TCP-LISTEN:{port},bind=" + HOST + ",reuseaddr",
         "STDOUT"],
        ["socat", "-u", "STDIN", "TCP:" + HOST + ":{port}"]),
    "iperf3": (
        ["iperf3", "-s", "-1", "-B", HOST, "-p", "{port}"],
        ["iperf3", "-c", HOST, "-p", "{port}", "-n", "{bytes}"]),
}
ORDER = list(TOOLS)


def free_port():
    """A port that was free a moment ago (bind 0, read it, close)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def listening(port):
    """Does ss(8) show a TCP listener on HOST:port?  (No connect: iperf3
    -1 would take a probe for its one client.)"""
    out = subprocess.run(["ss", "-ltnH", "sport", "= :%d" % port],
                         capture_output=True, text=True).stdout
    return any(HOST + ":%d" % port in line for line in out.splitlines())


def fill(argv, sockcat, port, nbytes):
    return [a.format(sockcat=sockcat, port=port, bytes=nbytes) for a in argv]


def version(tool, sockcat):
    """One line naming the tool's version."""
    cmds = {
        "sockcat": [sockcat, "-V"],
        "nc.openbsd": ["nc.openbsd", "-h"],
        "ncat": ["ncat", "--version"],
        "socat": ["socat", "-V"],
        "iperf3": ["iperf3", "--version"],
    }
    cmd = cmds.get(tool.split("-")[0] if tool.startswith("sockcat") else
                   tool)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    for line in (p.stdout + p.stderr).splitlines():
        low = line.lower()
        if "version" in low or "netcat" in low or "sockcat" in low or \
                "iperf" in low:
            return line.strip()
    return "?"


def kill_group(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    p.wait()


def run_once(tool, args, srcfile):
    """One transfer; seconds taken, or an error string."""
    nbytes = args.mib * 1024 * 1024
    port = free_port()
    srv_argv, cli_argv = TOOLS[tool]
    sink_out = subprocess.DEVNULL
    sink = None
    if args.sink == "pipe" and tool != "iperf3":
        sink = subprocess.Popen(["dd", "of=/dev/null", "bs=1M",
                                 "status=none"], stdin=subprocess.PIPE,
                                start_new_session=True)
        sink_out = sink.stdin
    srv = subprocess.Popen(fill(srv_argv, args.sockcat, port, nbytes),
                           stdin=subprocess.DEVNULL, stdout=sink_out,
                           stderr=subprocess.PIPE, start_new_session=True)
    if sink is not None:
        sink.stdin.close()
    procs = [srv] + ([sink] if sink else [])
    try:
        deadline = time.monotonic() + 10
        while not listening(port):
            if srv.poll() is not None or time.monotonic() > deadline:
                return "server did not listen: " + \
                    srv.stderr.read().decode(errors="replace").strip()
            time.sleep(0.01)
        gen = None
        if tool == "iperf3":
            stdin = subprocess.DEVNULL
        elif args.source == "file":
            stdin = open(srcfile, "rb")
        else:
            gen = subprocess.Popen(["dd", "if=/dev/zero", "bs=1M",
                                    "count=%d" % args.mib, "status=none"],
                                   stdout=subprocess.PIPE,
                                   start_new_session=True)
            stdin = gen.stdout
            procs.append(gen)
        t0 = time.monotonic()
        cli = subprocess.Popen(fill(cli_argv, args.sockcat, port, nbytes),
                               stdin=stdin, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE,
                               start_new_session=True)
        procs.append(cli)
        if gen is not None:
            gen.stdout.close()
        elif stdin is not subprocess.DEVNULL:
            stdin.close()
        for p in (cli, srv) + ((sink,) if sink else ()):
            p.wait(timeout=TIMEOUT)
        dt = time.monotonic() - t0
        if cli.returncode != 0 or srv.returncode != 0:
            return "exit %d/%d: %s" % (
                cli.returncode, srv.returncode,
                (cli.stderr.read() + srv.stderr.read()).decode(
                    errors="replace").strip()[:200])
        return dt
    except subprocess.TimeoutExpired:
        return "timed out"
    finally:
        for p in procs:
            kill_group(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=1024,
                    help="MiB per transfer (default 1024)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="transfers per tool (default 5)")
    ap.add_argument("--source", choices=("pipe", "file"), default="pipe",
                    help="client stdin: a pipe from dd (default) or a file")
    ap.add_argument("--sink", choices=("null", "pipe"), default="null",
                    help="server stdout: /dev/null (default) or a pipe "
                    "to dd of=/dev/null")
    ap.add_argument("--tools", default=",".join(ORDER),
                    help="comma-separated subset of: " + ", ".join(ORDER))
    ap.add_argument("--sockcat", default=DEFAULT_SOCKCAT,
                    help="the sockcat binary (default: src/sockcat)")
    args = ap.parse_args()
    if args.mib < 1 or args.repeat < 1:
        ap.error("--mib and --repeat must be at least 1")
    if not shutil.which("ss"):
        sys.exit("throughput.py: ss (iproute2) is needed")

    tools = []
    for t in args.tools.split(","):
        if t not in TOOLS:
            ap.error("unknown tool: " + t)
        exe = args.sockcat if t.startswith("sockcat") else TOOLS[t][0][0]
        if shutil.which(exe) is None:
            print("note: %s is not installed; skipped" % exe)
            continue
        tools.append(t)

    print("machine: %s, %d CPUs, Linux %s, Python %s" % (
        platform.machine(), os.cpu_count(), platform.release(),
        platform.python_version()))
    for t in tools:
        if t != "sockcat-copy":
            print("  %-12s %s" % (t, version(t, args.sockcat)))
    print("transfer: %d MiB x %d, source %s, sink %s" % (
        args.mib, args.repeat, args.source, args.sink))
    print("command: python3 bench/throughput.py " + " ".join(sys.argv[1:]))

    srcfile = None
    tmp = tempfile.TemporaryDirectory(prefix="sc-bench.")
    if args.source == "file":
        srcfile = os.path.join(tmp.name, "src")
        with open(srcfile, "wb") as f:
            f.truncate(args.mib * 1024 * 1024)
            chunk = b"\0" * (1024 * 1024)
            for _ in range(args.mib):
                f.write(chunk)      # real blocks, not a hole
    times = {t: [] for t in tools}
    errors = {}
    for r in range(args.repeat):
        for t in tools:
            res = run_once(t, args, srcfile)
            if isinstance(res, str):
                errors.setdefault(t, res)
                print("  run %d %-12s error: %s" % (r + 1, t, res))
            else:
                times[t].append(res)
                print("  run %d %-12s %8.1f MB/s" % (
                    r + 1, t, args.mib * 1048576 / res / 1e6), flush=True)
    tmp.cleanup()

    mbps = {t: args.mib * 1048576 / statistics.median(v) / 1e6
            for t, v in times.items() if v}
    base = mbps.get("sockcat")
    print()
    print("| tool         | median MB/s | min..max MB/s     | vs sockcat |")
    print("|--------------|------------:|-------------------|-----------:|")
    for t in tools:
        if t not in mbps:
            print("| %-12s | %11s | %-17s | %10s |" % (
                t, "error", errors.get(t, "")[:17], "-"))
            continue
        lo = args.mib * 1048576 / max(times[t]) / 1e6
        hi = args.mib * 1048576 / min(times[t]) / 1e6
        ratio = "%.2f" % (mbps[t] / base) if base else "-"
        print("| %-12s | %11.0f | %-17s | %10s |" % (
            t, mbps[t], "%.0f..%.0f" % (lo, hi), ratio))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
