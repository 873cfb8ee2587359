#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Requests/second of the simulator for small Get requests on keep-alive loopback connections.

    spec/sim/bench_sim.py [--seconds S] [--requests N] [--hosts N] [--latency MS]

Prints one line per scenario: one keep-alive connection, two connections (two client processes; these two
also show the simulator's CPU time per request, which depends less on the client and on other load), and a
fleet of --hosts hosts (default 1,000; 0 skips it) with one keep-alive connection per host, driven by two
client processes that keep one request in flight on every connection; that line also shows the
simulator's own request rate (control Stats). Each scenario is bounded in time and in request count and
only talks to loopback addresses.
"""

import argparse
import base64
import multiprocessing
import os
import resource
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))
from simtest import CIMV2, T, Sim, envelope, read_reply  # noqa: E402

AUTH = "Basic " + base64.b64encode(b"testuser:Passw0rd!").decode()


def request_bytes(sim):
    """A Basic-authenticated Get of Win32_Service WinRM for `sim` (a Sim or a fleet host view)."""
    body = envelope(sim.url, T + "Get", CIMV2 + "Win32_Service", [("Name", "WinRM")],
                    message_id="uuid:00000000-0000-0000-0000-000000000000").encode()
    head = ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;"
            "charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (sim.path, sim.host, sim.port, AUTH, len(body)))
    return head.encode() + body


def client(host, port, req, seconds, max_requests, out):
    """One keep-alive connection; counts complete 200 responses."""
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    done = 0
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    while done < max_requests and time.monotonic() < deadline:
        s.sendall(req)
        status, _ = read_reply(f)
        if status != 200:
            raise SystemExit("unexpected reply: %d" % status)
        done += 1
    out.put((done, time.monotonic() - start))
    s.close()


def in_processes(target, arg_lists, timeout):
    """Runs target(*args, queue) in a process per args; returns what each put on the queue."""
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=target, args=tuple(args) + (q,)) for args in arg_lists]
    for p in procs:
        p.start()
    results = [q.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join()
    return results


def cpu_seconds(pid):
    """User + system CPU time of process pid so far (from /proc; None elsewhere)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(sim, connections, seconds, max_requests):
    """-> requests, seconds, the simulator's CPU seconds for them (None when unknown)."""
    req = request_bytes(sim)
    pid = int(sim.info["pid"])
    cpu = cpu_seconds(pid)
    results = in_processes(client, [(sim.host, sim.port, req, seconds, max_requests)] * connections, seconds + 30)
    total = sum(n for n, _ in results)
    elapsed = max(t for _, t in results)
    after = cpu_seconds(pid)
    return total, elapsed, after - cpu if cpu is not None and after is not None else None


class FleetConnection:
    """One keep-alive connection of the fleet client: its request and the bytes of the reply so far."""

    def __init__(self, view):
        self.req = request_bytes(view)
        self.sock = socket.create_connection((view.host, view.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def replies(self):
        """Complete replies taken from the buffer -> how many."""
        done = 0
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return done
            head = bytes(self.buf[:end]).lower()
            if not head.startswith(b"http/1.1 200"):
                raise SystemExit("unexpected reply: %r" % head[:40])
            cl = head.find(b"content-length:")
            length = int(head[cl + 15:].split(b"\r\n", 1)[0]) if cl >= 0 else 0
            if len(self.buf) < end + 4 + length:
                return done
            del self.buf[:end + 4 + length]
            done += 1


def fleet_client(views, seconds, out):
    """One request in flight on a connection to each host of `views` until the time is up. A first round
    (every host builds its state at its first request) is not counted."""
    sel = selectors.DefaultSelector()
    conns = [FleetConnection(v) for v in views]
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    fleet_round(sel, conns, None)
    start = time.monotonic()
    done = fleet_round(sel, conns, start + seconds)
    out.put((done, time.monotonic() - start))
    for c in conns:
        c.sock.close()


def fleet_round(sel, conns, deadline):
    """Send a request on every connection and another after each reply until `deadline` (None: one each);
    -> replies received."""
    for c in conns:
        c.sock.sendall(c.req)
    done = 0
    in_flight = len(conns)
    while in_flight:
        for key, _ in sel.select(1.0):
            c = key.data
            data = c.sock.recv(262144)
            if not data:
                raise SystemExit("a fleet host closed the connection")
            c.buf += data
            n = c.replies()
            done += n
            if n and deadline is not None and time.monotonic() < deadline:
                c.sock.sendall(c.req)
            elif n:
                in_flight -= 1
    return done


def run_fleet(hosts, latency, seconds, clients=2):
    sim = Sim("--hosts", str(hosts), "--port", "0", "--latency", str(latency))
    try:
        views = [sim.fleet_host(i) for i in range(1, hosts + 1)]
        results = in_processes(fleet_client, [(views[i::clients], seconds) for i in range(clients)], seconds + 120)
        c = sim.client()
        st = c.stats()
        c.close()
        total = sum(n for n, _ in results)
        elapsed = max(t for _, t in results)
        return total, elapsed, st
    finally:
        sim.stop()


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of each scenario (default 3)")
    ap.add_argument("--requests", type=int, default=50000, help="request cap per connection (default 50000)")
    ap.add_argument("--hosts", type=int, default=1000, help="fleet size of the last scenario (default 1000; 0 skips)")
    ap.add_argument("--latency", type=int, default=0, help="the fleet's --latency in ms (default 0)")
    args = ap.parse_args()
    sim = Sim()
    try:
        for conns in (1, 2):
            total, elapsed, cpu = run(sim, conns, args.seconds, args.requests)
            print("%d keep-alive connection%s: %d small Get requests in %.2f s = %.0f requests/s%s"
                  % (conns, "" if conns == 1 else "s", total, elapsed, total / elapsed,
                     "" if cpu is None else " (simulator CPU %.0f us per request)" % (cpu * 1e6 / max(total, 1))))
            sys.stdout.flush()
    finally:
        sim.stop()
    if args.hosts:
        hard = raise_fd_limit()
        if hard < args.hosts + 100:
            print("fleet of %d hosts skipped: the open-file hard limit (%d) is too low" % (args.hosts, hard))
            return
        total, elapsed, st = run_fleet(args.hosts, args.latency, args.seconds)
        print("%d hosts, one keep-alive connection each, latency %d ms: %d small Get requests in %.2f s = %.0f "
              "requests/s (simulator: %s requests/s over its last 5 s, peak %s in one second)"
              % (args.hosts, args.latency, total, elapsed, total / elapsed, st["RequestRate"],
                 st["PeakRequestRate"]))


if __name__ == "__main__":
    main()
