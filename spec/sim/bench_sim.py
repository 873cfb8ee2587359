#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Requests/second of the simulator for small Get requests on keep-alive loopback connections.

    spec/sim/bench_sim.py [--seconds S] [--requests N]

Prints one line per scenario: one keep-alive connection, and two connections (two client processes).
Each scenario is bounded in time and in request count and only talks to 127.0.0.1.
"""

import argparse
import base64
import multiprocessing
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))
from simtest import CIMV2, T, Sim, envelope, read_reply  # noqa: E402

AUTH = "Basic " + base64.b64encode(b"testuser:Passw0rd!").decode()


def request_bytes(sim):
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


def run(sim, connections, seconds, max_requests):
    req = request_bytes(sim)
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(sim.host, sim.port, req, seconds, max_requests, q))
             for _ in range(connections)]
    for p in procs:
        p.start()
    results = [q.get(timeout=seconds + 30) for _ in procs]
    for p in procs:
        p.join()
    total = sum(n for n, _ in results)
    elapsed = max(t for _, t in results)
    return total, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of each scenario (default 3)")
    ap.add_argument("--requests", type=int, default=50000, help="request cap per connection (default 50000)")
    args = ap.parse_args()
    sim = Sim()
    try:
        for conns in (1, 2):
            total, elapsed = run(sim, conns, args.seconds, args.requests)
            print("%d keep-alive connection%s: %d small Get requests in %.2f s = %.0f requests/s"
                  % (conns, "" if conns == 1 else "s", total, elapsed, total / elapsed))
            sys.stdout.flush()
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
