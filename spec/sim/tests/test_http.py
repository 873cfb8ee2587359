#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""HTTP layer: startup protocol, methods, content types, authentication, keep-alive, TLS, lifetime."""

import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import BASIC, CIMV2, FAULT, NS, SIM, T, Sim, SimTestCase, envelope  # noqa: E402


class StartupTest(unittest.TestCase):
    def test_startup_lines_and_sigterm(self):
        sim = Sim()
        try:
            self.assertRegex(sim.url, r"^http://127\.0\.0\.1:\d+/wsman$")
            self.assertEqual(int(sim.info["pid"]), sim.proc.pid)
            self.assertNotIn("ca_file", sim.info)
        finally:
            sim.proc.send_signal(signal.SIGTERM)
            self.assertEqual(sim.proc.wait(10), 0)
            sim.stop()

    def test_sigint_exits_cleanly(self):
        sim = Sim("--prefix", "custom/path")
        self.assertTrue(sim.url.endswith("/custom/path"))
        c = sim.client()
        r = c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")])
        self.assertEqual(r.status, 200)
        c.close()
        sim.proc.send_signal(signal.SIGINT)
        self.assertEqual(sim.proc.wait(10), 0)
        sim.stop()

    def test_exit_with_parent(self):
        # An intermediate parent starts the simulator, prints its pid and exits; the simulator must follow.
        launcher = ("import subprocess, sys; p = subprocess.Popen([%r, '--exit-with-parent'], "
                    "stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True); "
                    "print(p.stdout.readline().strip(), flush=True)" % SIM)
        proc = subprocess.Popen([sys.executable, "-c", launcher], stdout=subprocess.PIPE, text=True)
        url = proc.stdout.readline()
        proc.wait(10)
        self.assertTrue(url.startswith("http://"), url)
        port = int(url.strip().rsplit(":", 1)[1].split("/")[0])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                break
            finally:
                s.close()
            time.sleep(0.1)
        else:
            self.fail("simulator still listening after its parent exited")
        proc.stdout.close()

    def test_ipv6_loopback(self):
        try:
            socket.socket(socket.AF_INET6).close()
        except OSError:
            self.skipTest("no IPv6")
        sim = Sim("--host", "::1")
        try:
            self.assertRegex(sim.url, r"^http://\[::1\]:\d+/wsman$")
            conn = http.client.HTTPConnection("::1", int(sim.url.rsplit(":", 1)[1].split("/")[0]), timeout=5)
            conn.request("POST", "/wsman", body=envelope(sim.url, T + "Get", CIMV2 + "Win32_WMISetting"),
                         headers={"Authorization": BASIC, "Content-Type": "application/soap+xml;charset=UTF-8"})
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
        finally:
            sim.stop()

    def test_bad_option_exits_2(self):
        r = subprocess.run([SIM, "--auth", "bogus"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown authentication scheme", r.stderr)


class HttpTest(SimTestCase):
    SIM_ARGS = ("--auth", "basic,negotiate,kerberos")

    def test_get_is_405(self):
        conn = self.sim.connect()
        conn.request("GET", self.sim.path)
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 405)
        self.assertEqual(r.getheader("Allow"), "POST")
        self.assertEqual(r.getheader("Server"), "Microsoft-HTTPAPI/2.0")
        conn.close()

    def test_unknown_path_is_404(self):
        r = self.c.post(envelope(self.sim.url, T + "Get", CIMV2 + "Win32_WMISetting"), path="/other")
        self.assertEqual(r.status, 404)

    def test_wrong_content_type_is_415(self):
        r = self.c.post(envelope(self.sim.url, T + "Get", CIMV2 + "Win32_WMISetting"),
                        content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 415)
        self.assertEqual(r.body, b"")
        r = self.c.post(envelope(self.sim.url, T + "Get", CIMV2 + "Win32_WMISetting"),
                        content_type="application/soap+xml;charset=ISO-8859-1")
        self.assertEqual(r.status, 415)

    def test_401_lists_schemes_in_windows_order(self):
        r = self.c.post(envelope(self.sim.url, T + "Get", CIMV2 + "Win32_WMISetting"), auth=False)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header_list("WWW-Authenticate"), ["Negotiate", "Kerberos", 'Basic realm="WSMAN"'])

    def test_bad_password_is_401(self):
        c = self.sim.client(auth="Basic " + base64.b64encode(b"testuser:wrong").decode())
        r = c.get(CIMV2 + "Win32_WMISetting")
        self.assertEqual(r.status, 401)
        c.close()

    def test_ntlm_scheme_name_closes_connection(self):
        c = self.sim.client(auth="NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==")
        r = c.get(CIMV2 + "Win32_WMISetting")
        self.assertEqual(r.status, 401)
        self.assertEqual(dict((k.lower(), v) for k, v in r.headers).get("connection"), "close")
        c.close()

    def test_keep_alive_one_connection(self):
        before = self.c.stats()
        for _ in range(5):
            r = self.c.get(CIMV2 + "Win32_Service", [("Name", "Spooler")])
            self.assertEqual(r.status, 200)
        after = self.c.stats()
        self.assertEqual(after["Connections"], before["Connections"])
        self.assertEqual(after["Requests"], before["Requests"] + 6)

    def test_utf16_request_with_bom(self):
        xml = envelope(self.sim.url, T + "Get", CIMV2 + "Win32_Service", [("Name", "WinRM")])
        r = self.c.post(b"\xff\xfe" + xml.encode("utf-16-le"), content_type="application/soap+xml;charset=UTF-16")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.payload.find("{%sWin32_Service}Name" % CIMV2).text, "WinRM")

    def test_concurrent_connections(self):
        # A slow request on one connection does not hold up another connection.
        slow = self.sim.client()
        result = {}

        def run():
            result["r"] = slow.get(FAULT + "delay", [("ms", "700")])
        t = threading.Thread(target=run)
        t.start()
        start = time.monotonic()
        r = self.c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")])
        self.assertEqual(r.status, 200)
        self.assertLess(time.monotonic() - start, 0.5)
        t.join(10)
        self.assertEqual(result["r"].status, 200)
        slow.close()

    def raw(self, head, body=b""):
        s = socket.create_connection((self.sim.host, self.sim.port), timeout=5)
        s.sendall(head.encode() + body)
        data = b""
        try:
            while b"\r\n\r\n" not in data or (b"Content-Length: 0" not in data and not data.endswith(b">")):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        return data

    def test_chunked_request_body(self):
        xml = envelope(self.sim.url, T + "Get", CIMV2 + "Win32_Service", [("Name", "WinRM")]).encode()
        half = len(xml) // 2
        body = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, xml[:half], len(xml) - half, xml[half:])
        data = self.raw("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;"
                        "charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n" % (self.sim.path, BASIC), body)
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK"), data[:200])
        self.assertIn(b"<p:Name>WinRM</p:Name>", data)

    def test_expect_100_continue(self):
        xml = envelope(self.sim.url, T + "Get", CIMV2 + "Win32_Service", [("Name", "WinRM")]).encode()
        s = socket.create_connection((self.sim.host, self.sim.port), timeout=5)
        s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;"
                   "charset=UTF-8\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n"
                   % (self.sim.path, BASIC, len(xml))).encode())
        interim = s.recv(100)
        self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(xml)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"HTTP/1.1 200"))
        f.close()
        s.close()

    def test_request_larger_than_max_envelope_is_413(self):
        data = self.raw("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;"
                        "charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (self.sim.path, BASIC, 600 * 1024))
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
        self.assertIn(b"Connection: close", data)

    def test_empty_authenticated_post_is_200(self):
        r = self.c.post(b"", content_type=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")


class UnencryptedTest(SimTestCase):
    ALLOW_UNENCRYPTED = False

    def test_basic_over_http_refused_without_allow_unencrypted(self):
        r = self.c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")])
        self.assertEqual(r.status, 401)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header_list("WWW-Authenticate"), ['Basic realm="WSMAN"'])

    def test_config_reports_allow_unencrypted_false(self):
        # Unauthenticated Identify still works over plain HTTP.
        body = ('<s:Envelope xmlns:s="%s" xmlns:wsmid="%s"><s:Header/><s:Body><wsmid:Identify/></s:Body>'
                "</s:Envelope>" % (NS["s"], NS["wsmid"]))
        r = self.c.post(body, headers={"WSMANIDENTIFY": "unauthenticated"}, auth=False)
        self.assertEqual(r.status, 200)


class UsersAndLogTest(unittest.TestCase):
    def test_users_file_and_log_without_credentials(self):
        with tempfile.TemporaryDirectory() as d:
            users = os.path.join(d, "users.json")
            log = os.path.join(d, "sim.log")
            with open(users, "w") as fh:
                json.dump({"alice": "S3cret-pass"}, fh)
            sim = Sim("--users", users, "--log", log)
            try:
                ok = sim.client(auth="Basic " + base64.b64encode(b"alice:S3cret-pass").decode())
                self.assertEqual(ok.get(CIMV2 + "Win32_WMISetting").status, 200)
                ok.close()
                old = sim.client(auth=BASIC)
                self.assertEqual(old.get(CIMV2 + "Win32_WMISetting").status, 401)
                old.close()
            finally:
                sim.stop()
            with open(log) as fh:
                text = fh.read()
            self.assertIn("POST", text)
            self.assertNotIn("S3cret-pass", text)
            self.assertNotIn(base64.b64encode(b"alice:S3cret-pass").decode(), text)
            self.assertNotIn("Authorization", text)


class CertificateTest(unittest.TestCase):
    def test_cert_host_names_the_certificate(self):
        sim = Sim("--tls", "--cert-host", "other.example", allow_unencrypted=False)
        try:
            ctx = ssl.create_default_context(cafile=sim.info["ca_file"])
            with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
                with self.assertRaises(ssl.SSLCertVerificationError):
                    ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="other.example") as tls_sock:
                    self.assertEqual(dict(x[0] for x in tls_sock.getpeercert()["subject"])["commonName"],
                                     "other.example")
        finally:
            sim.stop()

    def test_openssl_command_fallback(self):
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from winrmsim import tls
        with tempfile.TemporaryDirectory() as d:
            ca, cert, key = (os.path.join(d, n) for n in ("ca.pem", "server.pem", "server.key"))
            tls._with_openssl(d, ca, cert, key, names=tls.DEFAULT_NAMES)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            out = subprocess.run(["openssl", "verify", "-CAfile", ca, cert], capture_output=True, text=True)
            self.assertIn("OK", out.stdout)

    def test_openssl_command_fallback_per_host(self):
        """Without python3-cryptography the hosts of a fleet get their own certificates from the openssl command."""
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from winrmsim import tls
        hidden = {k: None for k in list(sys.modules) if k.startswith("cryptography.")}
        hidden["cryptography"] = None
        with tempfile.TemporaryDirectory() as d, mock.patch.dict(sys.modules, hidden):
            ca, cert, key = tls.generate(d, (), "sha384")
            self.assertIsNone(cert)
            hosts = tls.HostCertificates(d, "sha384", None)
            self.assertIsInstance(hosts.context("127.0.0.9"), ssl.SSLContext)
            path = hosts.path("127.0.0.9")
            out = subprocess.run(["openssl", "verify", "-CAfile", ca, path], capture_output=True, text=True)
            self.assertIn("OK", out.stdout)
            out = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", path], capture_output=True, text=True)
            self.assertIn("IP Address:127.0.0.9", out.stdout)
            self.assertIn("ecdsa-with-SHA384", out.stdout)
            self.assertIn("CN = 127.0.0.9", out.stdout)


class TlsTest(SimTestCase):
    SIM_ARGS = ("--tls",)
    ALLOW_UNENCRYPTED = False

    def test_https_with_generated_ca(self):
        self.assertTrue(self.sim.url.startswith("https://127.0.0.1:"))
        self.assertTrue(os.path.isabs(self.sim.info["ca_file"]))
        r = self.c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")])
        self.assertEqual(r.status, 200, r.body)

    def test_config_reports_https_listener(self):
        r = self.c.get("http://schemas.microsoft.com/wbem/wsman/1/config/Listener",
                       [("Address", "*"), ("Transport", "HTTPS")])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.payload.find("{%s/listener}Port" % "http://schemas.microsoft.com/wbem/wsman/1/config").text,
                         str(self.sim.port))

    def test_stats_counts_tls_connection(self):
        self.assertGreaterEqual(self.c.stats()["Connections"], 1)


if __name__ == "__main__":
    unittest.main()
