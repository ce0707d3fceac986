#!/usr/bin/env python3
"""Concurrent-server benchmark: sockcat -l -k against ncat and socat.

For every server under test, in the same run on the same machine:

  idle    open N connections (default 10,000) and keep them all open; each
          sends one small message and waits for its echo (broker servers:
          a single probe message is broadcast once everything is connected,
          and every connection must receive it).  Reported: connections
          established, answered, still open; the server's memory (VmRSS
          summed over the server and every descendant, and PSS) and its
          number of processes.

  cycles  C concurrent worker processes (default 1 and 8) each loop
          connect / send 64 bytes / read the 64 bytes back / close for T
          seconds; reported: completed cycles per second.  Broker servers do
          not echo, so their cycle is connect / send 64 bytes / close.

Each measurement is repeated R times (servers interleaved round-robin) and
the median is reported, with ratios sockcat/peer.  Everything runs on
127.0.0.1.  Python 3 standard library only; Linux only (epoll, /proc).

    python3 bench/server.py [--conns N] [--repeat R] [--seconds T]

See bench/README.md.
"""

import argparse
import atexit
import ctypes
import errno
import hashlib
import json
import multiprocessing
import os
import platform
import resource
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"          # the only address this benchmark ever uses
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOCKCAT = os.path.join(os.path.dirname(HERE), "src", "sockcat")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# Server definitions.  kind: "echo" (the server sends back what it gets) or
# "broker" (the server relays to the other clients, no echo).  argv gets
# {port}, {maxc} (the --max-conns / -m value) and {portfile} substituted.
SERVERS = {
    "sockcat-echo": dict(
        label="sockcat --echo", kind="echo", tool="sockcat",
        argv=["{sockcat}", "-l", "-k", "--echo", "--max-conns", "{maxc}",
              "--port-file", "{portfile}", HOST, "0"]),
    "sockcat-broker": dict(
        label="sockcat --broker", kind="broker", tool="sockcat",
        argv=["{sockcat}", "-l", "-k", "--broker", "--max-conns", "{maxc}",
              "--port-file", "{portfile}", HOST, "0"]),
    "sockcat-exec": dict(
        label="sockcat -e /bin/cat", kind="echo", tool="sockcat",
        argv=["{sockcat}", "-l", "-k", "-e", "/bin/cat", "--max-conns",
              "{maxc}", "--port-file", "{portfile}", HOST, "0"]),
    "ncat-exec": dict(
        label="ncat --exec /bin/cat", kind="echo", tool="ncat",
        argv=["ncat", "-l", "-k", "--exec", "/bin/cat", "-m", "{maxc}",
              HOST, "{port}"]),
    "ncat-broker": dict(
        label="ncat --broker", kind="broker", tool="ncat",
        argv=["ncat", "-l", "-k", "--broker", "-m", "{maxc}",
              HOST, "{port}"]),
    "socat": dict(
        label="socat fork EXEC:cat", kind="echo", tool="socat",
        argv=["socat", "TCP-LISTEN:{port},fork,reuseaddr,bind=" + HOST,
              "EXEC:cat"]),
}
DEFAULT_SERVERS = "sockcat-echo,sockcat-broker,ncat-exec,ncat-broker,socat"

# Which sockcat row each peer is compared with in the ratio table.
RATIO_PAIRS = [
    ("sockcat-echo", "ncat-exec"),
    ("sockcat-echo", "socat"),
    ("sockcat-echo", "ncat-broker"),
    ("sockcat-broker", "ncat-broker"),
    ("sockcat-exec", "ncat-exec"),
    ("sockcat-exec", "socat"),
]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Process bookkeeping: every server runs in its own session (and so its own
# process group); this process is a child subreaper so that orphaned
# grandchildren (a socat child's cat, say) come back to us and are reaped.

LIVE_SERVERS = []            # Server objects not yet stopped
LIVE_WORKERS = []            # multiprocessing workers not yet joined


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:
        pass


def reap_orphans(exclude=()):
    """Reap our exited children (orphans re-parented to us, the subreaper)
    other than the pids in exclude; never blocks.  Returns the CPU seconds
    the reaped processes used (with their own reaped children)."""
    cpu = 0.0
    for pid in children_of(os.getpid()):
        if pid in exclude:
            continue
        try:
            got, _, ru = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        if got:
            cpu += ru.ru_utime + ru.ru_stime
    return cpu


def proc_table():
    """{pid: (ppid, pgid, utime+stime+cutime+cstime ticks)} from /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2:].split()
        # rest[0]=state [1]=ppid [2]=pgrp ... [11..14]=utime stime cutime cstime
        try:
            table[int(name)] = (int(rest[1]), int(rest[2]),
                                sum(int(x) for x in rest[11:15]))
        except (IndexError, ValueError):
            continue
    return table


def children_of(pid):
    """Child pids of pid, from /proc/PID/task/*/children."""
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid), "rb") as f:
                out.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            pass
    return out


def descendants(root, table=None):
    """root and every descendant of it (by ppid links in /proc/*/stat; if
    table is None, walks /proc/PID/task/*/children instead, which costs
    only the size of the tree)."""
    if table is None:
        if not os.path.exists("/proc/%d/task/%d/children" % (root, root)):
            table = proc_table()
        else:
            out, todo = [], [root]
            while todo:
                pid = todo.pop()
                if os.path.exists("/proc/%d" % pid):
                    out.append(pid)
                    todo.extend(children_of(pid))
            return out, None
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            out.append(pid)
        todo.extend(children.get(pid, ()))
    return out, table


def read_kb(path, key):
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_memory(root, pss=True):
    """(process count, sum of VmRSS kB, sum of Pss kB) over root's tree."""
    pids, _ = descendants(root)
    rss_kb = pss_kb = 0
    for pid in pids:
        rss_kb += read_kb("/proc/%d/status" % pid, b"VmRSS:")
        if pss:
            pss_kb += read_kb("/proc/%d/smaps_rollup" % pid, b"Pss:")
    return len(pids), rss_kb, pss_kb


def proc_cpu_ticks(pid):
    """utime + stime + cutime + cstime of pid, in clock ticks."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    rest = data[data.rfind(b")") + 2:].split()
    try:
        return sum(int(x) for x in rest[11:15])
    except ValueError:
        return 0


def tree_cpu_seconds(root):
    """CPU used by root's tree: live processes plus children they reaped."""
    pids, _ = descendants(root)
    return sum(proc_cpu_ticks(p) for p in pids) / CLK_TCK


# --------------------------------------------------------------------------
# Servers

def free_port():
    """A port that was free a moment ago on 127.0.0.1 (bind 0, close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    """True if something listens on 127.0.0.1:port (from /proc/net/tcp)."""
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1] == want and fields[3] == "0A":
                    return True
    except OSError:
        pass
    return False


NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
TCP_SYN_RECV, TCP_LISTEN, TCP_NEW_SYN_RECV = 3, 10, 12


def unaccepted(port, synrecv=False):
    """Connections to 127.0.0.1:port the server has not accept()ed yet.

    Asks the kernel over NETLINK_SOCK_DIAG: the listener's accept queue
    length and, with synrecv, also the handshakes stuck in SYN_RECV (the
    client thinks it is connected, but the final ACK was dropped because
    the queue was full; listing those walks every TCP socket, so it costs
    milliseconds, not microseconds).  None if sock_diag is unavailable."""
    try:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                          NETLINK_SOCK_DIAG)
    except OSError:
        return None
    try:
        states = 1 << TCP_LISTEN
        if synrecv:
            states |= (1 << TCP_SYN_RECV) | (1 << TCP_NEW_SYN_RECV)
        req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0,
                          states)
        req += struct.pack("!HH", port, 0) + b"\0" * 32
        req += struct.pack("=III", 0, 0xffffffff, 0xffffffff)
        hdr = struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY,
                          0x301, 1, 0)        # NLM_F_REQUEST | NLM_F_DUMP
        s.sendto(hdr + req, (0, 0))
        count = 0
        while True:
            data = s.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                ln, typ = struct.unpack_from("=IH", data, off)
                if typ == 3:                  # NLMSG_DONE
                    return count
                if typ == 2:                  # NLMSG_ERROR
                    return None
                state = data[off + 17]
                sport = struct.unpack_from("!H", data, off + 20)[0]
                if sport == port:
                    if state == TCP_LISTEN:
                        count += struct.unpack_from("=I", data, off + 72)[0]
                    elif state in (TCP_SYN_RECV, TCP_NEW_SYN_RECV):
                        count += 1
                if ln < 16:
                    return None
                off += (ln + 3) & ~3
            if not data:
                return None
    except OSError:
        return None
    finally:
        s.close()


class Server:
    def __init__(self, key, args):
        self.key = key
        self.spec = SERVERS[key]
        self.args = args
        self.proc = None
        self.port = None
        self.tmpdir = tempfile.mkdtemp(prefix="sockcat-bench-")
        self.errpath = os.path.join(self.tmpdir, "stderr")

    def start(self):
        portfile = os.path.join(self.tmpdir, "port")
        uses_portfile = any("{portfile}" in a for a in self.spec["argv"])
        for attempt in range(5):
            port = None if uses_portfile else free_port()
            argv = [a.format(sockcat=self.args.sockcat, port=port,
                             maxc=self.args.max_conns, portfile=portfile)
                    for a in self.spec["argv"]]
            self.argv = argv
            with open(self.errpath, "wb") as err:
                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=err,
                    start_new_session=True, close_fds=True)
            LIVE_SERVERS.append(self)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if uses_portfile:
                    try:
                        with open(portfile) as f:
                            port = int(f.read().strip())
                    except (OSError, ValueError):
                        port = None
                if port is not None and listening(port):
                    self.port = port
                    return
                time.sleep(0.02)
            # died (port taken between free_port and bind?) or never listened
            msg = self.stderr_tail()
            self.stop()
            log("  [%s] start attempt %d failed: %s" % (self.key, attempt + 1,
                                                         msg or "timeout"))
        raise RuntimeError("could not start %s" % self.spec["label"])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_tail(self, n=300):
        try:
            with open(self.errpath, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-n:].decode("utf-8", "replace").strip().replace("\n", " | ")

    def stop(self):
        """SIGTERM then SIGKILL the whole process group; reap everything."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        # descendants that may have left the group (none should) get killed too
        try:
            stray, _ = descendants(self.proc.pid)
        except Exception:
            stray = []
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 30.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
            for pid in stray:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    self.proc.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    pass
                reap_orphans(protected_pids())
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break           # group empty (zombies reaped)
            else:
                continue
            break
        reap_orphans(protected_pids())
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def protected_pids():
    """Our children that only their owners may reap: servers (Popen) and
    load-generator workers (multiprocessing)."""
    return {w.pid for w in LIVE_WORKERS} | {
        s.proc.pid for s in LIVE_SERVERS if s.proc is not None}


def kill_everything():
    for w in list(LIVE_WORKERS):
        try:
            if w.is_alive():
                w.kill()
            w.join(2)
        except Exception:
            pass
        LIVE_WORKERS.remove(w)
    for s in list(LIVE_SERVERS):
        try:
            s.cleanup()
        except Exception:
            pass
    reap_orphans(protected_pids())


# --------------------------------------------------------------------------
# Phase 1: concurrent idle connections (one process, epoll)

CONNECTING, WAIT_ECHO, OPEN, CLOSED = range(4)


def idle_phase(server, args):
    """Open args.conns connections and keep them open; see module doc.

    At most args.window connections are in flight at once: connecting,
    waiting for their echo, or (broker, which sends nothing back) connected
    but not yet accept()ed by the server, as the kernel reports it.  Keeping
    the window below every server's listen backlog (socat 5, ncat 10,
    sockcat 128) means no SYN is dropped for a full accept queue, so the
    phase measures how many connections a server holds, not the client's
    SYN retransmission timer."""
    n = args.conns
    echo = server.spec["kind"] == "echo"
    ep = select.epoll(sizehint=n + 16)
    conns = {}               # fd -> [sock, state, bytes received, expected]
    started = established = answered = 0
    connect_failed = closed_by_server = 0
    errs = {}
    pending = 0
    notes = []
    t0 = time.monotonic()
    deadline = t0 + args.phase_timeout
    last_progress = t0
    unacc, unacc_t = 0, 0.0      # broker: connected but not yet accepted
    has_diag = unaccepted(server.port) is not None
    exited_noted = False
    sample = None                # (established, processes, RSS kB), while
    sample_t = t0                # the tree is small, in case the server dies

    def err(code):
        name = errno.errorcode.get(code, str(code)) \
            if isinstance(code, int) else str(code)
        errs[name] = errs.get(name, 0) + 1

    def drop(fd, state):
        sock = conns[fd][0]
        try:
            ep.unregister(fd)
        except OSError:
            pass
        sock.close()
        conns[fd][1] = state

    def on_readable(fd):
        """Data, end of file or error on a connection past CONNECTING."""
        nonlocal answered, pending, closed_by_server, last_progress
        c = conns[fd]
        if c[1] == CLOSED:
            return None
        try:
            data = c[0].recv(65536)
        except OSError as e:
            err(e.errno)
            data = b""
        if not data:
            if c[1] == WAIT_ECHO:
                pending -= 1
            closed_by_server += 1
            last_progress = time.monotonic()
            drop(fd, CLOSED)
            return None
        if c[1] == WAIT_ECHO:
            c[2] += data
            if len(c[2]) >= len(c[3]):
                if c[2] == c[3]:
                    answered += 1
                else:
                    err("bad-echo")
                c[1] = OPEN
                c[2] = b""
                pending -= 1
                last_progress = time.monotonic()
            return None
        return data

    while True:
        now = time.monotonic()
        if not echo and has_diag and (unacc or now - unacc_t > 0.05):
            u = unaccepted(server.port, synrecv=(pending == 0
                                                 and started >= n))
            if u is not None:
                if u < unacc:
                    last_progress = now
                unacc, unacc_t = u, now
        # open new connections while fewer than args.window are in flight
        while pending + unacc < args.window and started < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((HOST, server.port))
            started += 1
            if rc not in (0, errno.EINPROGRESS):
                err(rc)
                connect_failed += 1
                s.close()
                last_progress = now
                continue
            conns[s.fileno()] = [s, CONNECTING, b"", None]
            ep.register(s.fileno(), select.EPOLLOUT)
            pending += 1
        if pending == 0 and started >= n and (echo or unacc == 0):
            break
        if now > deadline:
            notes.append("phase timeout (%ds) with %d in flight" % (
                args.phase_timeout, pending + unacc))
            break
        if now - last_progress > args.stall:
            notes.append("no progress for %ds with %d in flight" % (
                args.stall, pending + unacc))
            break
        if server.alive() and (sample is None or (sample[1] <= 64 and (
                now - sample_t >= 0.2 or established - sample[0] >= 100))):
            sample_t = now
            np_, rss_, _ = tree_memory(server.proc.pid, pss=False)
            if server.alive():
                sample = (established, np_, rss_)
        if not exited_noted and not server.alive():
            exited_noted = True      # keep draining: the rest fail fast now
            notes.append("server exited (status %s) after %d connections"
                         % (server.proc.returncode, established))
        throttled = unacc and pending + unacc >= args.window
        for fd, ev in ep.poll(0.0005 if throttled else 0.05):
            c = conns[fd]
            if c[1] != CONNECTING:
                on_readable(fd)
                continue
            sock = c[0]
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            last_progress = time.monotonic()
            pending -= 1
            if code:
                err(code)
                connect_failed += 1
                drop(fd, CLOSED)
                continue
            established += 1
            if echo:
                msg = b"idle %09d\n" % started
                c[3] = msg
                try:
                    sock.send(msg)
                except OSError as e:
                    err(e.errno)
                    closed_by_server += 1
                    drop(fd, CLOSED)
                    continue
                c[1] = WAIT_ECHO
                pending += 1
            else:
                c[1] = OPEN
                unacc += 1           # until the kernel says otherwise
            ep.modify(fd, select.EPOLLIN | select.EPOLLRDHUP)
    t_all = time.monotonic() - t0

    # let the server settle, then see which connections are still open
    settle_end = time.monotonic() + args.settle
    while time.monotonic() < settle_end:
        for fd, ev in ep.poll(0.05):
            on_readable(fd)

    # memory with every connection open and idle
    t_snap = time.monotonic()
    nproc = rss = pss = None
    if server.alive():
        nproc, rss, pss = tree_memory(server.proc.pid)
        rss, pss = round(rss / 1024, 1), round(pss / 1024, 1)
    t_snap = time.monotonic() - t_snap

    # broker: one probe broadcast must reach every other open connection
    rss_after_probe = None
    if not echo:
        open_fds = [fd for fd, c in conns.items() if c[1] == OPEN]
        answered = 0
        if open_fds and server.alive():
            probe = b"probe\n"
            sender = open_fds[-1]
            try:
                conns[sender][0].send(probe)
                answered = 1             # the sender itself
            except OSError as e:
                err(e.errno)
            waiting = set(open_fds[:-1])
            end = time.monotonic() + max(10.0, args.settle)
            while waiting and time.monotonic() < end:
                for fd, ev in ep.poll(0.05):
                    data = on_readable(fd)
                    if data is None:
                        if conns[fd][1] == CLOSED:
                            waiting.discard(fd)
                        continue
                    c = conns[fd]
                    c[2] += data
                    if fd in waiting and c[2].endswith(probe):
                        waiting.discard(fd)
                        answered += 1
            if waiting:
                notes.append("%d open connections never got the probe"
                             % len(waiting))
            if server.alive():
                rss_after_probe = round(
                    tree_memory(server.proc.pid, pss=False)[1] / 1024, 1)

    alive = sum(1 for c in conns.values() if c[1] == OPEN)
    if not server.alive():
        if not exited_noted:
            notes.append("server exited (status %s)"
                         % server.proc.returncode)
        if sample and rss is None:
            notes.append("last sample before it exited: %d processes, "
                         "RSS %.1f MB at %d connections" % (
                             sample[1], sample[2] / 1024, sample[0]))
        tail = server.stderr_tail()
        if tail:
            notes.append("stderr: " + tail)
    unacc_end = unaccepted(server.port, synrecv=True) \
        if server.alive() else None

    # close everything (client side first)
    for fd, c in conns.items():
        if c[1] != CLOSED:
            try:
                ep.unregister(fd)
            except OSError:
                pass
            c[0].close()
    ep.close()
    return dict(started=started, established=established, answered=answered,
                alive=alive, connect_failed=connect_failed,
                closed_by_server=closed_by_server, errors=errs,
                unaccepted_at_end=unacc_end,
                seconds=round(t_all, 2), snapshot_seconds=round(t_snap, 2),
                processes=nproc, rss_mb=rss, pss_mb=pss,
                rss_after_probe_mb=rss_after_probe,
                server_died=not server.alive(), note="; ".join(notes))


# --------------------------------------------------------------------------
# Phase 2: connect-send-(echo)-close cycles, C worker processes

def cycle_worker(wid, port, echo, size, start_at, seconds, conn):
    """Loop connect / send size bytes / read them back / close.

    Broker servers do not echo: the cycle is connect / send / close, and it
    counts as done when this worker's observer connection (one per worker,
    open throughout) has received the message from the broker, so a cycle
    is only counted once the server has accepted the connection and handled
    its data (otherwise a client that never waits for anything just fills
    the accept queue)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    count = 0
    errs = {}
    slow = 0
    lat_max = 0.0
    lat_sum = 0.0
    obs = None
    buf = b""
    seq = 0

    def message():
        nonlocal seq
        seq += 1
        head = b"w%03d c%010d " % (wid, seq)
        return (head + b"." * size)[:size - 1] + b"\n"

    def one_cycle():
        nonlocal buf
        msg = message()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5.0)
        try:
            s.connect((HOST, port))
            s.sendall(msg)
            if echo:
                got = 0
                while got < size:
                    b = s.recv(size - got)
                    if not b:
                        raise ConnectionError(errno.ECONNRESET, "EOF")
                    got += len(b)
        finally:
            s.close()
        if not echo:
            while msg not in buf:
                b = obs.recv(65536)
                if not b:
                    raise ConnectionError(errno.ECONNRESET, "observer EOF")
                buf += b
            buf = buf[buf.index(msg) + size:]

    def record(e):
        if isinstance(e, socket.timeout):
            name = "timeout"
        elif isinstance(e, OSError) and e.errno:
            name = errno.errorcode.get(e.errno, str(e.errno))
        else:
            name = type(e).__name__
        errs[name] = errs.get(name, 0) + 1

    if not echo:
        try:
            obs = socket.create_connection((HOST, port), timeout=5.0)
            obs.settimeout(5.0)
            one_cycle()              # warm-up: the observer is being served
        except OSError as e:
            record(e)
            buf = b""
    while time.monotonic() < start_at:
        time.sleep(0.001)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    end = start_at + seconds
    now = time.monotonic()
    while now < end:
        t = now
        ok = False
        try:
            one_cycle()
            ok = True
        except OSError as e:
            record(e)
            buf = b""
        now = time.monotonic()
        if not ok:
            time.sleep(0.001)
            now = time.monotonic()
            continue
        if now <= end:
            count += 1
            d = now - t
            lat_sum += d
            lat_max = max(lat_max, d)
            if d >= 0.2:
                slow += 1
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    if obs is not None:
        obs.close()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    conn.send(dict(count=count, errors=errs, slow=slow, lat_max=lat_max,
                   lat_sum=lat_sum, cpu=cpu))
    conn.close()


def cycles_phase(server, workers, args):
    echo = server.spec["kind"] == "echo"
    ctx = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.2 + 0.01 * workers
    procs = []
    for _ in range(workers):
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=cycle_worker,
                        args=(len(procs), server.port, echo, args.size, start_at,
                              args.seconds, w))
        p.start()
        w.close()
        LIVE_WORKERS.append(p)
        procs.append((p, r))
    while time.monotonic() < start_at:
        time.sleep(0.001)
    cpu0 = tree_cpu_seconds(server.proc.pid)
    cpu1 = None
    orphan_cpu = 0.0
    exclude = {p.pid for p, _ in procs} | {x.proc.pid for x in LIVE_SERVERS
                                          if x.proc is not None}
    end = start_at + args.seconds
    results = []
    waiting = list(procs)
    give_up = end + 30
    while waiting and time.monotonic() < give_up:
        # children of the server that were orphaned (ncat --exec's cat,
        # whose ncat child exited first) come to us as the subreaper: reap
        # them now, and count their CPU time as the server's
        orphan_cpu += reap_orphans(exclude)
        if cpu1 is None and time.monotonic() >= end:
            cpu1 = tree_cpu_seconds(server.proc.pid) if server.alive() \
                else cpu0
        for p, r in list(waiting):
            try:
                if r.poll(0):
                    results.append(r.recv())
                    waiting.remove((p, r))
            except (EOFError, OSError):
                waiting.remove((p, r))
        time.sleep(0.05)
    for p, r in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join()
        LIVE_WORKERS.remove(p)
    srv_alive = server.alive()
    orphan_cpu += reap_orphans(exclude - {p.pid for p, _ in procs})
    if cpu1 is None:
        cpu1 = tree_cpu_seconds(server.proc.pid) if srv_alive else cpu0
    cpu1 += orphan_cpu
    count = sum(x["count"] for x in results)
    errs = {}
    for x in results:
        for k, v in x["errors"].items():
            errs[k] = errs.get(k, 0) + v
    note = ""
    if len(results) < workers:
        note = "%d of %d workers did not report" % (workers - len(results),
                                                   workers)
    if not srv_alive:
        note = (note + "; " if note else "") + "server exited (status %s) %s" \
            % (server.proc.returncode, server.stderr_tail())
    return dict(workers=workers, cycles=count,
                rate=round(count / args.seconds, 1),
                mean_ms=round(1000 * sum(x["lat_sum"] for x in results)
                              / count, 3) if count else None,
                max_ms=round(1000 * max((x["lat_max"] for x in results),
                                        default=0), 1),
                slow=sum(x["slow"] for x in results), errors=errs,
                server_cpu_pct=round(100 * (cpu1 - cpu0) / args.seconds),
                client_cpu_pct=round(100 * sum(x["cpu"] for x in results)
                                     / args.seconds),
                note=note)


# --------------------------------------------------------------------------
# Reporting

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, nd=0):
    if v is None:
        return "n/a"
    if nd == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, nd)


def ratio(a, b, nd=2):
    if a is None or b is None:
        return "n/a"
    if b == 0:
        return "∞" if a else "n/a"
    r = a / b
    if r == 0:
        return "0"
    if r < 0.01:
        return "%.2g (1/%s)" % (r, "{:,.0f}".format(1 / r))
    if r < 1:
        return "%.3g" % r
    if r < 10:
        return "%.2f" % r
    if r < 100:
        return "%.1f" % r
    return "{:,.0f}".format(r)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def tool_version(tool, sockcat):
    try:
        if tool == "ncat":
            out = subprocess.run(["ncat", "--version"], capture_output=True,
                                 text=True, timeout=5)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        if tool == "socat":
            out = subprocess.run(["socat", "-V"], capture_output=True,
                                 text=True, timeout=5)
            for line in out.stdout.splitlines():
                if line.startswith("socat version"):
                    return line.strip()
        if tool == "sockcat":
            out = subprocess.run([sockcat, "--version"], capture_output=True,
                                 text=True, timeout=5)
            return " / ".join(out.stdout.strip().splitlines()[:3])
    except Exception as e:
        return "unknown (%s)" % e
    return "unknown"


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for target in (max(want, hard), want, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (target, max(target, hard)))
            break
        except (ValueError, OSError):
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE,
                                   (min(target, hard), hard))
                break
            except (ValueError, OSError):
                continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def main():
    ap = argparse.ArgumentParser(
        description="sockcat -l -k vs ncat and socat: concurrent idle "
        "connections and connect/echo/close cycles (127.0.0.1 only).")
    ap.add_argument("--conns", type=int, default=10000,
                    help="idle connections to open (default 10000)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of every measurement; medians reported "
                    "(default 3)")
    ap.add_argument("--seconds", type=float, default=2.0,
                    help="duration of each cycles measurement (default 2)")
    ap.add_argument("--workers", default="1,8",
                    help="comma-separated worker counts for the cycles "
                    "phase (default 1,8)")
    ap.add_argument("--size", type=int, default=64,
                    help="bytes sent per cycle (default 64)")
    ap.add_argument("--servers", default=DEFAULT_SERVERS,
                    help="comma-separated subset of: %s (default %s)" % (
                        ",".join(SERVERS), DEFAULT_SERVERS))
    ap.add_argument("--nofile", type=int, default=65536,
                    help="RLIMIT_NOFILE to ask for (default 65536)")
    ap.add_argument("--max-conns", type=int, default=None,
                    help="--max-conns / -m given to sockcat and ncat "
                    "(default conns + 100)")
    ap.add_argument("--window", type=int, default=4,
                    help="idle phase: connections in flight at once, kept "
                    "below every server's listen backlog (default 4)")
    ap.add_argument("--phase-timeout", type=int, default=120,
                    help="idle phase: give up after this many seconds "
                    "(default 120)")
    ap.add_argument("--stall", type=int, default=30,
                    help="idle phase: give up after this many seconds "
                    "without progress (default 30)")
    ap.add_argument("--settle", type=float, default=0.5,
                    help="idle phase: wait this long after the last "
                    "connection before measuring (default 0.5)")
    ap.add_argument("--skip-idle", action="store_true")
    ap.add_argument("--skip-cycles", action="store_true")
    ap.add_argument("--sockcat", default=DEFAULT_SOCKCAT,
                    help="sockcat binary (default: src/sockcat)")
    ap.add_argument("--json", metavar="FILE",
                    help="also write every raw result to FILE")
    args = ap.parse_args()

    keys = [k.strip() for k in args.servers.split(",") if k.strip()]
    for k in keys:
        if k not in SERVERS:
            ap.error("unknown server %r" % k)
    worker_counts = [int(x) for x in args.workers.split(",") if x.strip()]
    if args.repeat < 1 or args.conns < 1 or args.seconds <= 0:
        ap.error("--repeat, --conns and --seconds must be positive")
    if args.size < 24:
        ap.error("--size must be at least 24 (the message carries a tag)")
    if args.window < 1:
        ap.error("--window must be positive")
    if not os.access(args.sockcat, os.X_OK) and any(
            SERVERS[k]["tool"] == "sockcat" for k in keys):
        ap.error("%s not found: build with make -C %s -s" % (
            args.sockcat, os.path.dirname(HERE)))
    for k in keys:
        tool = SERVERS[k]["tool"]
        if tool != "sockcat" and shutil.which(tool) is None:
            ap.error("%s is not installed (needed for %s)" % (tool, k))

    become_subreaper()

    # run a private copy of sockcat, so that a rebuild of src/ during the
    # run cannot mix two binaries into one set of results
    sockcat_src = args.sockcat
    sockcat_sha = None
    if any(SERVERS[k]["tool"] == "sockcat" for k in keys):
        with open(args.sockcat, "rb") as f:
            sockcat_sha = hashlib.sha256(f.read()).hexdigest()[:16]
        bindir = tempfile.mkdtemp(prefix="sockcat-bench-bin-")
        atexit.register(shutil.rmtree, bindir, True)
        args.sockcat = os.path.join(bindir, "sockcat")
        shutil.copy2(sockcat_src, args.sockcat)
    try:
        git = subprocess.run(
            ["git", "-C", os.path.dirname(HERE), "describe", "--always",
             "--dirty"], capture_output=True, text=True, timeout=10)
        git_rev = git.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        git_rev = None

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    soft, hard = raise_nofile(args.nofile)
    need = args.conns + 64
    if soft < need and not args.skip_idle:
        log("RLIMIT_NOFILE is only %d: lowering --conns from %d to %d"
            % (soft, args.conns, soft - 64))
        args.conns = soft - 64
    if args.max_conns is None:
        args.max_conns = args.conns + 100

    env = dict(
        sockcat_binary=sockcat_src, sockcat_sha256=sockcat_sha,
        git=git_rev, loadavg_start=loadavg(),
        command="python3 " + " ".join([os.path.relpath(sys.argv[0])]
                                      + sys.argv[1:]),
        nproc=os.cpu_count(), kernel=platform.release(),
        machine=platform.machine(),
        nofile_soft=soft, nofile_hard=hard,
        pid_max=open("/proc/sys/kernel/pid_max").read().strip(),
        python=platform.python_version(),
        versions={t: tool_version(t, args.sockcat)
                  for t in sorted({SERVERS[k]["tool"] for k in keys})},
        conns=args.conns, repeat=args.repeat, seconds=args.seconds,
        workers=worker_counts, max_conns=args.max_conns,
        window=args.window)
    try:
        with open("/proc/meminfo") as f:
            env["memtotal"] = f.readline().split(None, 1)[1].strip()
    except OSError:
        pass

    print("# sockcat concurrent-server benchmark\n")
    print("- command: `%s`" % env["command"])
    print("- nproc: %s, kernel: %s (%s), MemTotal: %s, pid_max: %s" % (
        env["nproc"], env["kernel"], env["machine"], env.get("memtotal"),
        env["pid_max"]))
    print("- ulimit -n achieved: %d (hard %d), for this process, the load "
          "generator and every server" % (soft, hard))
    print("- load average at start: %s" % env["loadavg_start"])
    print("- python %s" % env["python"])
    for t, v in env["versions"].items():
        print("- %s: %s" % (t, v))
    if sockcat_sha:
        print("- sockcat binary: %s (sha256 %s…, copied before the run), "
              "checkout %s" % (sockcat_src, sockcat_sha, git_rev))
    print("- idle conns N=%d (window %d in flight), cycles %gs x workers %s,"
          " %d bytes, R=%d, --max-conns/-m %d" % (
              args.conns, args.window, args.seconds, worker_counts,
              args.size, args.repeat, args.max_conns))
    print(flush=True)

    results = {k: dict(idle=[], cycles={w: [] for w in worker_counts})
               for k in keys}
    t_start = time.monotonic()
    try:
        for r in range(args.repeat):
            for k in keys:
                label = SERVERS[k]["label"]
                if not args.skip_idle:
                    srv = Server(k, args)
                    try:
                        srv.start()
                        log("[run %d/%d] %-22s idle N=%d ..." % (
                            r + 1, args.repeat, label, args.conns))
                        res = idle_phase(srv, args)
                    finally:
                        t_stop = time.monotonic()
                        srv.cleanup()
                        t_stop = time.monotonic() - t_stop
                    res["stop_seconds"] = round(t_stop, 2)
                    log("    established %d answered %d open %d "
                        "refused/failed %d closed-by-server %d in %.1fs; "
                        "procs %s RSS %s MB PSS %s MB (measured in %.1fs, "
                        "server stopped in %.1fs) %s%s%s" % (
                            res["established"], res["answered"],
                            res["alive"], res["connect_failed"],
                            res["closed_by_server"], res["seconds"],
                            fmt(res["processes"]), fmt(res["rss_mb"], 1),
                            fmt(res["pss_mb"], 1), res["snapshot_seconds"],
                            t_stop, ("RSS after the probe %s MB "
                                     % res["rss_after_probe_mb"])
                            if res["rss_after_probe_mb"] is not None
                            else "", res["errors"] or "",
                            (" NOTE: " + res["note"]) if res["note"]
                            else ""))
                    results[k]["idle"].append(res)
                if not args.skip_cycles:
                    srv = Server(k, args)
                    try:
                        srv.start()
                        for w in worker_counts:
                            time.sleep(0.1)
                            res = cycles_phase(srv, w, args)
                            results[k]["cycles"][w].append(res)
                            log("[run %d/%d] %-22s cycles w=%d: %s/s "
                                "(mean %s ms, max %s ms, >=200ms %d, "
                                "server CPU %d%%, client CPU %d%%) %s%s" % (
                                    r + 1, args.repeat, label, w,
                                    fmt(res["rate"]), res["mean_ms"],
                                    res["max_ms"], res["slow"],
                                    res["server_cpu_pct"],
                                    res["client_cpu_pct"],
                                    res["errors"] or "",
                                    (" NOTE: " + res["note"])
                                    if res["note"] else ""))
                            if not srv.alive():
                                break
                    finally:
                        srv.cleanup()
    except KeyboardInterrupt:
        log("interrupted: stopping every server")
        kill_everything()
        return 130
    finally:
        kill_everything()
    elapsed = time.monotonic() - t_start

    # ---------------- tables
    med = {}
    for k in keys:
        idle = results[k]["idle"]
        m = dict(
            established=median([x["established"] for x in idle]),
            answered=median([x["answered"] for x in idle]),
            alive=median([x["alive"] for x in idle]),
            rss=median([x["rss_mb"] for x in idle]),
            pss=median([x["pss_mb"] for x in idle]),
            procs=median([x["processes"] for x in idle]),
            idle_s=median([x["seconds"] for x in idle]),
            died=sum(1 for x in idle if x["server_died"]))
        for w in worker_counts:
            m["c%d" % w] = median([x["rate"] for x in
                                   results[k]["cycles"][w]])
        med[k] = m

    R = args.repeat
    print("## Results (medians of %d runs; N = %s idle connections, "
          "cycles for %gs)\n" % (R, fmt(args.conns), args.seconds))
    head = ["server", "idle conns established", "answered",
            "still open", "RSS at N conns (MB)", "PSS (MB)", "processes"] + \
        ["cycles/s (%d worker%s)" % (w, "" if w == 1 else "s")
         for w in worker_counts]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for k in keys:
        m = med[k]
        label = SERVERS[k]["label"]
        if SERVERS[k]["kind"] == "broker":
            label += " †"
        est = fmt(m["established"])
        if m["died"]:
            est += " ✗ (died %d/%d)" % (m["died"], len(results[k]["idle"]))
        row = [label, est, fmt(m["answered"]),
               fmt(m["alive"]), fmt(m["rss"], 1), fmt(m["pss"], 1),
               fmt(m["procs"])] + [fmt(m["c%d" % w]) for w in worker_counts]
        print("| " + " | ".join(row) + " |")
    print()
    if any(SERVERS[k]["kind"] == "broker" for k in keys):
        print("† broker: no echo.  'answered' = received the one probe message "
              "broadcast once all were connected and accepted.  A cycle is "
              "connect / send %d bytes / close, counted once the worker's own "
              "observer connection has received those bytes from the broker "
              "(so every message is relayed to at least as many observers as "
              "there are workers); not comparable with the echo rows."
              % args.size)
    if any(med[k]["died"] for k in keys):
        print("✗ the server exited during the idle phase (in that many of "
              "the runs); 'established' is how many connections it had "
              "reached, its memory could not be measured at N (n/a); see "
              "the notes below.")
    print("RSS = sum of VmRSS over the server and all its descendants (shared "
          "pages counted once per process); PSS = sum of Pss (shared pages "
          "split between the processes sharing them).  processes = server "
          "plus descendants at the time of the measurement.")
    print()

    pairs = [(a, b) for a, b in RATIO_PAIRS if a in keys and b in keys]
    if pairs:
        print("## Ratios sockcat / peer (medians)\n")
        print("Higher is better for sockcat in the established / answered / "
              "cycles columns; lower is better in RSS, PSS and processes.\n")
        head = ["sockcat mode", "peer", "idle conns established",
                "answered", "RSS at N conns", "PSS", "processes"] + \
            ["cycles/s (%d worker%s)" % (w, "" if w == 1 else "s")
             for w in worker_counts]
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2))
              + "|")
        for a, b in pairs:
            ma, mb = med[a], med[b]
            cross = SERVERS[a]["kind"] != SERVERS[b]["kind"]
            row = [SERVERS[a]["label"], SERVERS[b]["label"],
                   ratio(ma["established"], mb["established"]),
                   ratio(ma["answered"], mb["answered"]),
                   ratio(ma["rss"], mb["rss"], 3),
                   ratio(ma["pss"], mb["pss"], 3),
                   ratio(ma["procs"], mb["procs"], 4)]
            for w in worker_counts:
                row.append("(not comparable)" if cross else
                           ratio(ma["c%d" % w], mb["c%d" % w]))
            print("| " + " | ".join(row) + " |")
        print()

    print("## Per-run values\n")
    print("| server | run | established | answered | open | failed | "
          "closed by server | idle phase s | RSS MB | PSS MB | processes |"
          + "".join(" cycles/s w=%d (server CPU%%, client CPU%%, max ms) |"
                    % w for w in worker_counts))
    print("|---|---:|" + "---:|" * (9 + len(worker_counts)))
    notes = []
    for k in keys:
        for r in range(R):
            idle = results[k]["idle"][r] if r < len(results[k]["idle"]) \
                else None
            row = [SERVERS[k]["label"], str(r + 1)]
            if idle:
                row += [fmt(idle["established"]), fmt(idle["answered"]),
                        fmt(idle["alive"]), fmt(idle["connect_failed"]),
                        fmt(idle["closed_by_server"]),
                        fmt(idle["seconds"], 1), fmt(idle["rss_mb"], 1),
                        fmt(idle["pss_mb"], 1), fmt(idle["processes"])]
                if idle["rss_after_probe_mb"] is not None:
                    notes.append("%s run %d idle: RSS %s MB after the probe "
                                 "broadcast (%s MB before)" % (
                                     SERVERS[k]["label"], r + 1,
                                     fmt(idle["rss_after_probe_mb"], 1),
                                     fmt(idle["rss_mb"], 1)))
                if idle["note"] or idle["errors"]:
                    notes.append("%s run %d idle: %s %s" % (
                        SERVERS[k]["label"], r + 1, idle["note"],
                        idle["errors"] or ""))
            else:
                row += ["-"] * 9
            for w in worker_counts:
                cl = results[k]["cycles"][w]
                if r < len(cl):
                    c = cl[r]
                    row.append("%s (%d%%, %d%%, %s)" % (
                        fmt(c["rate"]), c["server_cpu_pct"],
                        c["client_cpu_pct"], c["max_ms"]))
                    if c["note"] or c["errors"] or c["slow"]:
                        notes.append("%s run %d cycles w=%d: %s%s%s" % (
                            SERVERS[k]["label"], r + 1, w,
                            ("%d cycles took >= 200 ms; " % c["slow"])
                            if c["slow"] else "",
                            ("errors %s; " % c["errors"])
                            if c["errors"] else "", c["note"]))
                else:
                    row.append("-")
            print("| " + " | ".join(row) + " |")
    print()
    print("CPU percentages are of one core over the measured interval "
          "(%d cores in all); the load generator shares the machine." %
          (os.cpu_count() or 0))
    if notes:
        print("\nNotes:\n")
        for n_ in notes:
            print("- " + n_)
    env["loadavg_end"] = loadavg()
    print("\nLoad average at end: %s" % env["loadavg_end"])
    print("\nTotal benchmark time: %.0f s" % elapsed)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(env=env, results={
                k: dict(idle=v["idle"],
                        cycles={str(w): x for w, x in v["cycles"].items()})
                for k, v in results.items()}, medians=med), f, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        kill_everything()
