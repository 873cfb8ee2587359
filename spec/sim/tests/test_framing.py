#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""HTTP/1.1 request framing (winrmsim/http1.py) on its own, and over a socket: requests split anywhere,
pipelined requests answered in order, bare LF line ends, limits."""

import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import BASIC, CIMV2, FAULT, T, SimTestCase, envelope, read_reply  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim.http1 import LINE_LIMIT, MAX_HEADERS, Drop, RequestReader  # noqa: E402
from winrmsim.server import BadRequest  # noqa: E402

MAX_BODY = 512000


def post(body, extra=""):
    return ("POST /wsman HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n" % (extra, len(body))).encode() + body


def chunked(body, sizes):
    out, pos = [], 0
    for size in sizes:
        out.append(b"%x\r\n%s\r\n" % (size, body[pos:pos + size]))
        pos += size
    return b"".join(out) + b"0\r\n\r\n"


class ReaderTest(unittest.TestCase):
    def requests(self, data, pieces=1):
        """Feeds data in `pieces`-byte parts (0: all at once) -> the requests the reader returned."""
        r = RequestReader()
        out = []
        step = pieces or len(data)
        for i in range(0, len(data), step):
            r.feed(data[i:i + step])
            while True:
                req = r.next(MAX_BODY)
                if req is None:
                    break
                out.append(req)
        self.assertEqual(bytes(r.buf), b"")
        return out

    def test_one_request(self):
        [req] = self.requests(post(b"<x/>", "Content-Type: text/xml\r\nHOST: second\r\n"))
        self.assertEqual((req.method, req.path, req.version), ("POST", "/wsman", "HTTP/1.1"))
        self.assertEqual(req.headers["host"], "x")   # the first of repeated names
        self.assertEqual(req.headers["content-type"], "text/xml")
        self.assertEqual(req.body, b"<x/>")

    def test_split_anywhere_and_pipelined(self):
        data = post(b"first") + b"\r\n" + post(b"second") + post(b"")
        for pieces in (0, 1, 2, 7, 64):
            reqs = self.requests(data, pieces)
            self.assertEqual([r.body for r in reqs], [b"first", b"second", b""], pieces)

    def test_bare_lf_line_ends(self):
        [req] = self.requests(b"POST /wsman HTTP/1.1\nContent-Length: 2\n\nok")
        self.assertEqual(req.body, b"ok")

    def test_chunked_body_with_extensions_and_trailers(self):
        body = b"0123456789abcdef"
        data = (b"POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, (5, 11))[:-2]
                + b"X-Trailer: 1\r\n\r\n" + post(b"next"))
        data = data.replace(b"5\r\n", b"5;ext=1\r\n", 1)
        for pieces in (0, 1, 3):
            reqs = self.requests(data, pieces)
            self.assertEqual([r.body for r in reqs], [body, b"next"])

    def test_chunked_trailer_cut_by_the_end_of_the_stream(self):
        r = RequestReader()
        r.feed(b"POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n")
        self.assertIsNone(r.next(MAX_BODY))
        self.assertEqual(r.next(MAX_BODY, eof=True).body, b"ok")

    def test_expect_100_continue_asked_once(self):
        r = RequestReader()
        r.feed(post(b"body", "Expect: 100-continue\r\n")[:-4])
        self.assertIsNone(r.next(MAX_BODY))
        self.assertTrue(r.want_continue)
        r.want_continue = False
        self.assertIsNone(r.next(MAX_BODY))
        self.assertFalse(r.want_continue)
        r.feed(b"body")
        self.assertEqual(r.next(MAX_BODY).body, b"body")
        self.assertFalse(r.want_continue)

    def refused(self, data, max_body=MAX_BODY):
        r = RequestReader()
        r.feed(data)
        with self.assertRaises(BadRequest) as ctx:
            r.next(max_body)
        return ctx.exception.status

    def test_limits(self):
        self.assertEqual(self.refused(b"GET /\r\n\r\n"), 400)
        self.assertEqual(self.refused(b"POST /wsman HTTP/1.1\r\nno colon\r\n\r\n"), 400)
        self.assertEqual(self.refused(b"POST /wsman HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400)
        self.assertEqual(self.refused(post(b"12345678"), max_body=4), 413)
        self.assertEqual(self.refused(b"POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                      + chunked(b"12345678", (8,)), max_body=4), 413)
        self.assertEqual(self.refused(b"POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400)
        self.assertEqual(self.refused(b"POST /wsman HTTP/1.1\r\n" + b"A: b\r\n" * MAX_HEADERS + b"\r\n"), 431)
        self.assertEqual(self.refused(b"POST /wsman HTTP/1.1\r\nX: " + b"a" * (LINE_LIMIT + 8)), 400)
        long_line = b"POST /wsman HTTP/1.1\r\nX: " + b"a" * (LINE_LIMIT - 8) + b"\r\n\r\n"
        self.assertEqual(len(self.requests(long_line)), 1)

    def test_negative_length_is_dropped(self):
        r = RequestReader()
        r.feed(b"POST /wsman HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
        with self.assertRaises(Drop):
            r.next(MAX_BODY)


class PipelineTest(SimTestCase):
    """Over a socket: the simulator answers requests in order, however the client's bytes arrive."""

    def request(self, name):
        body = envelope(self.sim.url, T + "Get", CIMV2 + "Win32_Service", [("Name", name)]).encode()
        return ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;"
                "charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (self.sim.path, BASIC, len(body))).encode() + body

    def test_pipelined_requests_answered_in_order(self):
        names = ["Spooler", "WinRM", "W32Time", "Winmgmt"]
        s = socket.create_connection((self.sim.host, self.sim.port), timeout=10)
        f = s.makefile("rb")
        try:
            s.sendall(b"".join(self.request(n) for n in names))
            for name in names:
                status, body = read_reply(f)
                self.assertEqual(status, 200, body)
                self.assertIn(b"<p:Name>%s</p:Name>" % name.encode(), body)
        finally:
            f.close()
            s.close()

    def test_thousands_pipelined_behind_a_delayed_reply(self):
        """Megabytes of requests sent while the first reply waits: reading pauses, then every request is
        answered, in order, on the same connection."""
        slow = envelope(self.sim.url, T + "Get", FAULT + "delay", [("ms", "200")]).encode()
        slow = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;"
                "charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (self.sim.path, BASIC, len(slow))).encode() + slow
        count = 2000
        data = slow + b"".join(self.request(("Spooler", "WinRM")[i % 2]) for i in range(count))
        self.assertGreater(len(data), 2 << 20)
        s = socket.create_connection((self.sim.host, self.sim.port), timeout=30)
        sender = threading.Thread(target=s.sendall, args=(data,), daemon=True)
        sender.start()
        f = s.makefile("rb")
        try:
            status, body = read_reply(f)
            self.assertEqual(status, 200, body)
            for i in range(count):
                status, body = read_reply(f)
                self.assertEqual(status, 200, body)
                self.assertIn(b"<p:Name>%s</p:Name>" % ("Spooler", "WinRM")[i % 2].encode(), body)
            sender.join(30)
        finally:
            f.close()
            s.close()

    def test_request_sent_byte_by_byte(self):
        s = socket.create_connection((self.sim.host, self.sim.port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = s.makefile("rb")
        try:
            for byte in self.request("Spooler"):
                s.send(bytes([byte]))
            status, body = read_reply(f)
            self.assertEqual(status, 200, body)
            self.assertIn(b"<p:Name>Spooler</p:Name>", body)
        finally:
            f.close()
            s.close()


if __name__ == "__main__":
    unittest.main()
