#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Control resource (Stats, Reset) and transport fault injection over real sockets."""

import http.client
import os
import socket
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import BASIC, CIMV2, CONTROL, FAULT, T, SimTestCase, envelope  # noqa: E402


def raw_exchange(sim, xml, read_timeout=5.0):
    """Send one request on a fresh socket; return all bytes until the server closes (or timeout)."""
    body = xml.encode("utf-8")
    s = socket.create_connection((sim.host, sim.port), timeout=read_timeout)
    s.sendall(("POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;"
               "charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (sim.path, sim.host, sim.port, BASIC, len(body))
               ).encode() + body)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        data += b"<<timeout>>"
    s.close()
    return data


class ControlTest(SimTestCase):
    def test_stats_fields_and_reset(self):
        st = self.c.stats()
        for key in ("OpenEnumerations", "Requests", "Connections", "ActiveConnections", "Faults", "ReturnValue"):
            self.assertIn(key, st)
        r = self.c.invoke(CONTROL, "Stats")
        self.assertEqual(r.payload.tag, "{%s}Stats_OUTPUT" % CONTROL)
        self.c.enumerate(CIMV2 + "Win32_Service")
        self.assertEqual(self.c.stats()["OpenEnumerations"], st["OpenEnumerations"] + 1)
        r = self.c.invoke(CONTROL, "Reset")
        self.assertEqual(r.payload.tag, "{%s}Reset_OUTPUT" % CONTROL)
        self.assertEqual(self.c.stats()["OpenEnumerations"], 0)


class FaultInjectionTest(SimTestCase):
    SIM_ARGS = ("--processes", "5")

    def test_delay_and_operation_timeout(self):
        start = time.monotonic()
        r = self.c.get(FAULT + "delay", [("ms", "300")])
        self.assertEqual(r.status, 200, r.body)
        self.assertGreaterEqual(time.monotonic() - start, 0.29)
        self.assertEqual(r.payload.tag, "{%sdelay}SimFault" % FAULT)
        r = self.c.get(FAULT + "delay", [("ms", "5000")], timeout="PT0.2S")
        self.assertFault(r, 2150858793, "w:TimedOut")
        r = self.c.invoke(FAULT + "delay", "Ping", selectors=[("ms", "10")])
        self.assertEqual(r.payload.tag, "{%sdelay}Ping_OUTPUT" % FAULT)

    def test_close_mid_body(self):
        data = raw_exchange(self.sim, envelope(self.sim.url, T + "Get", FAULT + "close"))
        head, _, body = data.partition(b"\r\n\r\n")
        length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(
            b"content-length")][0])
        self.assertTrue(head.startswith(b"HTTP/1.1 200"))
        self.assertLess(len(body), length)
        self.assertGreater(len(body), 0)

    def test_html500(self):
        r = self.c.get(FAULT + "html500")
        self.assertEqual(r.status, 500)
        self.assertEqual(dict(r.headers)["Content-Type"], "text/html")
        self.assertIn(b"500 - Internal server error.", r.body)

    def test_truncated_and_garbage(self):
        r = self.c.get(FAULT + "truncated")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.body.startswith(b"<s:Envelope"))
        self.assertRaises(ET.ParseError, ET.fromstring, r.body)
        r = self.c.get(FAULT + "garbage")
        self.assertEqual(r.status, 200)
        self.assertEqual(dict(r.headers)["Content-Type"], "application/soap+xml;charset=UTF-8")
        self.assertRaises(ET.ParseError, ET.fromstring, r.body)
        # the connection is still usable after both
        self.assertEqual(self.c.get(CIMV2 + "Win32_WMISetting").status, 200)

    def test_huge(self):
        r = self.c.get(FAULT + "huge", [("mb", "3")])
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(len(r.body), 3 * 1024 * 1024 - 4096)
        ET.fromstring(r.body)

    def test_never(self):
        data = raw_exchange(self.sim, envelope(self.sim.url, T + "Get", FAULT + "never"), read_timeout=0.5)
        self.assertEqual(data, b"<<timeout>>")

    def test_drop_per_token(self):
        sel = [("token", "t1"), ("count", "2")]
        for _ in range(2):
            c = self.sim.client()
            with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
                c.get(FAULT + "drop", sel)
            c.close()
        r = self.c.get(FAULT + "drop", sel)
        self.assertEqual(r.status, 200, r.body)
        st = self.c.stats()
        self.assertEqual((st["Token"]["t1"], st["TokenDropped"]["t1"]), (3, 2))
        r = self.c.get(CONTROL)
        self.assertIn(b'<p:Token Name="t1">3</p:Token><p:TokenDropped Name="t1">2</p:TokenDropped>', r.body)

    def test_dtd_and_deep(self):
        r = self.c.get(FAULT + "dtd")
        self.assertEqual(r.status, 200)
        self.assertIn(b"<!DOCTYPE", r.body)
        self.assertIn(b"<!ENTITY lol9", r.body)
        r = self.c.get(FAULT + "deep", [("levels", "5000")])
        self.assertEqual(r.body.count(b"<p:D>"), 5000)

    def test_utf16_status_plain(self):
        r = self.c.get(FAULT + "utf16")
        self.assertEqual(r.status, 200)
        self.assertEqual(dict(r.headers)["Content-Type"], "application/soap+xml;charset=UTF-16")
        self.assertTrue(r.body.startswith(b"\xff\xfe<\x00s\x00"))
        self.assertIn("SimFault", r.body[2:].decode("utf-16-le"))
        r = self.c.get(FAULT + "status", [("code", "503")])
        self.assertEqual((r.status, r.body), (503, b""))
        r = self.c.get(FAULT + "plain")
        self.assertEqual(dict(r.headers)["Content-Type"], "text/plain")

    def test_fault_resource_operations_and_errors(self):
        r = self.c.enumerate(FAULT + "delay", "<w:OptimizeEnumeration/><w:MaxElements>5</w:MaxElements>",
                             selectors=[("ms", "1")])
        self.assertEqual(r.status, 200, r.body)
        self.assertFault(self.c.get(FAULT + "delay"), 2150858842)
        self.assertFault(self.c.get(FAULT + "nosuchkind"), 2150858811)
        self.assertFault(self.c.get(FAULT + "delay", [("ms", "x")]), 2150858844)


if __name__ == "__main__":
    unittest.main()
