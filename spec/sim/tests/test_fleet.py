#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A fleet from one simulator process (--hosts, --latency, --down, --slow) and the event-driven front end:
distinct state per host, refused and silent hosts, reply delays, 1,000 concurrent keep-alive connections,
and a blocked request (a shell Receive waiting for output) that does not stall other hosts."""

import base64
import os
import resource
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import BASIC, CIMV2, CONTROL, SIM, T, Sim, envelope, read_reply  # noqa: E402
import authtest  # noqa: E402
import psrpclient  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim import replay  # noqa: E402   (the YAML reader only)

RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CONNECTIONS = 1000


def raise_fd_limit(need):
    """Raise this process' open-file limit to the hard limit; skip the test when that is below `need`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < need:
        raise unittest.SkipTest("the open-file hard limit (%d) is below %d" % (hard, need))


def raw_request(view, body, auth=True):
    head = ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
            "%sContent-Length: %d\r\n\r\n" % (view.path, view.host, view.port,
                                               "Authorization: %s\r\n" % BASIC if auth else "", len(body)))
    return head.encode() + body


def stats_of(view):
    c = view.client()
    try:
        return c.stats()
    finally:
        c.close()


def service_state(client, name):
    r = client.get(CIMV2 + "Win32_Service", [("Name", name)])
    assert r.status == 200, r.body
    return r.text("s:Body/*/{%sWin32_Service}State" % CIMV2)


class FleetTest(unittest.TestCase):
    """Five hosts on one ephemeral port: three up, one slow (127.0.0.5), one down (127.0.0.6)."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--hosts", "5", "--port", "0", "--slow", "1", "--down", "1")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def client(self, index):
        c = self.sim.fleet_host(index).client()
        self.addCleanup(c.close)
        return c

    def test_startup_lines_map_every_host(self):
        info = self.sim.info
        self.assertEqual(info["hosts"], "5")
        urls = [info["host_%d" % i] for i in range(1, 6)]
        self.assertEqual(self.sim.url, urls[0])
        self.assertEqual([u.split("/")[2] for u in urls],
                         ["127.0.0.%d:%s" % (i, info["port"]) for i in range(2, 7)])
        self.assertEqual(info["slow"], "127.0.0.5")
        self.assertEqual(info["down"], "127.0.0.6")

    def test_each_host_has_its_own_state_and_name(self):
        one, two = self.client(1), self.client(2)
        self.assertEqual(one.invoke(CONTROL, "Reset").status, 200)
        self.assertEqual(two.invoke(CONTROL, "Reset").status, 200)
        r = one.invoke(CIMV2 + "Win32_Service", "StopService", selectors=[("Name", "Spooler")])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(service_state(one, "Spooler"), "Stopped")
        self.assertEqual(service_state(two, "Spooler"), "Running")
        for i, c in ((1, one), (2, two), (3, self.client(3))):
            r = c.get(CIMV2 + "Win32_ComputerSystem", [("Name", "WINRM-SIM-%04d" % i)])
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.text("s:Body/*/{%sWin32_ComputerSystem}DNSHostName" % CIMV2), "winrm-sim-%04d" % i)
        self.assertEqual(two.get(CIMV2 + "Win32_ComputerSystem", [("Name", "WINRM-SIM-0001")]).status, 500)
        users = {e.findtext("{%sWin32_Environment}UserName" % CIMV2)
                 for e in two.enumerate_all(CIMV2 + "Win32_Environment", max_elements=50)}
        self.assertIn("WINRM-SIM-0002\\testuser", users)
        self.assertEqual(one.invoke(CONTROL, "Reset").status, 200)
        self.assertEqual(service_state(one, "Spooler"), "Running")

    def test_same_accounts_on_every_host(self):
        for i in (1, 2, 3):
            view = self.sim.fleet_host(i)
            conn = view.connect()
            self.addCleanup(conn.close)
            conn.request("POST", view.path, body=b"", headers={"Authorization": "Basic " + base64.b64encode(
                b"testuser:wrong").decode(), "Content-Type": "application/soap+xml;charset=UTF-8"})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 401)
            self.assertEqual(self.client(i).get(CIMV2 + "Win32_Service", [("Name", "WinRM")]).status, 200)

    def test_down_host_refuses_connections(self):
        view = self.sim.fleet_host(5)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((view.host, view.port), timeout=10).close()

    def test_slow_host_accepts_and_reads_but_never_answers(self):
        view = self.sim.fleet_host(4)
        sock = socket.create_connection((view.host, view.port), timeout=30)
        self.addCleanup(sock.close)
        body = envelope(view.url, T + "Get", CIMV2 + "Win32_Service", [("Name", "WinRM")]).encode()
        sock.sendall(raw_request(view, body) * 3)
        sock.shutdown(socket.SHUT_WR)   # the host closes when it has read everything: no reply byte before
        self.assertEqual(sock.recv(65536), b"")
        self.assertEqual(self.client(1).get(CIMV2 + "Win32_Service", [("Name", "WinRM")]).status, 200)

    def test_stats_report_the_request_rate(self):
        c = self.client(2)
        for _ in range(5):
            self.assertEqual(c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")]).status, 200)
        st = c.stats()
        self.assertEqual(st["Hosts"], 5)
        self.assertGreaterEqual(st["FleetRequests"], 6)
        self.assertGreater(float(st["RequestRate"]), 0.0)
        self.assertGreaterEqual(st["PeakRequestRate"], 1)

    def test_stats_sum_open_contexts_over_the_fleet(self):
        one, two = self.client(1), self.client(2)
        before = one.stats()["FleetOpenEnumerations"]
        for c in (one, two):
            r = c.enumerate(CIMV2 + "Win32_Service")
            self.assertEqual(r.status, 200, r.body)
        st = one.stats()
        self.assertEqual(st["FleetOpenEnumerations"], before + 2)
        self.assertEqual(st["FleetOpenShells"], 0)
        self.assertEqual(st["FleetOpenRunspacePools"], 0)
        self.assertEqual(one.invoke(CONTROL, "Reset").status, 200)
        self.assertEqual(two.invoke(CONTROL, "Reset").status, 200)
        self.assertEqual(one.stats()["FleetOpenEnumerations"], 0)

    def test_blocked_receive_does_not_stall_other_hosts(self):
        """A Receive that waits for output holds a worker; other hosts (and this host) still answer."""
        view = self.sim.fleet_host(3)
        shell = view.client()
        self.addCleanup(shell.close)
        r = shell.request(T + "Create", RSP + "/cmd", None,
                          '<rsp:Shell xmlns:rsp="%s"><rsp:InputStreams>stdin</rsp:InputStreams>'
                          "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>" % RSP)
        self.assertEqual(r.status, 200, r.body)
        shell_id = r.root.findtext(".//{%s}ShellId" % RSP)
        r = shell.request(RSP + "/Command", RSP + "/cmd", [("ShellId", shell_id)],
                          '<rsp:CommandLine xmlns:rsp="%s"><rsp:Command>cat</rsp:Command></rsp:CommandLine>' % RSP)
        self.assertEqual(r.status, 200, r.body)
        cid = r.root.findtext(".//{%s}CommandId" % RSP)
        receive = envelope(view.url, RSP + "/Receive", RSP + "/cmd", [("ShellId", shell_id)],
                           '<rsp:Receive xmlns:rsp="%s"><rsp:DesiredStream CommandId="%s">stdout stderr'
                           "</rsp:DesiredStream></rsp:Receive>" % (RSP, cid), timeout="PT60S").encode()
        waiting = socket.create_connection((view.host, view.port), timeout=60)
        self.addCleanup(waiting.close)
        waiting.sendall(raw_request(view, receive))
        for i in (1, 2, 3):   # cat has no input yet: the Receive waits while these are answered
            self.assertEqual(self.client(i).get(CIMV2 + "Win32_Service", [("Name", "WinRM")]).status, 200)
        self.assertEqual(select.select([waiting], [], [], 0)[0], [])
        signal = ('<rsp:Signal xmlns:rsp="%s" CommandId="%s"><rsp:Code>%s/signal/terminate</rsp:Code>'
                  "</rsp:Signal>" % (RSP, cid, RSP))
        self.assertEqual(shell.request(RSP + "/Signal", RSP + "/cmd", [("ShellId", shell_id)], signal).status, 200)
        status, _ = read_reply(waiting.makefile("rb"))
        self.assertIn(status, (200, 500))
        self.assertEqual(shell.request(T + "Delete", RSP + "/cmd", [("ShellId", shell_id)]).status, 200)


class LatencyTest(unittest.TestCase):
    """--latency delays every reply with a timer: concurrent requests wait in parallel, not in turn."""

    LATENCY_MS = 800

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--hosts", "3", "--port", "0", "--latency", str(cls.LATENCY_MS))

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def timed_get(self, index, out):
        c = self.sim.fleet_host(index).client()
        start = time.monotonic()
        r = c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")])
        out.append((r.status, time.monotonic() - start))
        c.close()

    def test_every_reply_is_delayed(self):
        out = []
        for i in (1, 3):
            self.timed_get(i, out)
        for status, elapsed in out:
            self.assertEqual(status, 200)
            self.assertGreaterEqual(elapsed, self.LATENCY_MS / 1000.0)

    def test_delays_overlap(self):
        """Thirty requests on thirty connections: served in turn they would take 30 x the latency (the bound
        leaves a margin of 12 x the expected time for a loaded machine)."""
        out = []
        threads = [threading.Thread(target=self.timed_get, args=(1 + i % 3, out)) for i in range(30)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        self.assertEqual([s for s, _ in out], [200] * 30)
        self.assertLess(elapsed, 15 * self.LATENCY_MS / 1000.0)

    def test_min_max_range(self):
        sim = Sim("--hosts", "2", "--port", "0", "--latency", "100-300")
        self.addCleanup(sim.stop)
        c = sim.fleet_host(2).client()
        self.addCleanup(c.close)
        for _ in range(3):
            start = time.monotonic()
            self.assertEqual(c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")]).status, 200)
            self.assertGreaterEqual(time.monotonic() - start, 0.1)


class ManyConnectionsTest(unittest.TestCase):
    """1,000 keep-alive connections open at once, spread over ten hosts, each answering twice."""

    def test_thousand_concurrent_keep_alive_connections(self):
        raise_fd_limit(CONNECTIONS + 100)
        sim = Sim("--hosts", "10", "--port", "0")
        self.addCleanup(sim.stop)
        views = [sim.fleet_host(i) for i in range(1, 11)]
        socks = []
        self.addCleanup(lambda: [s.close() for s, _, _ in socks])
        for n in range(CONNECTIONS):
            view = views[n % len(views)]
            s = socket.create_connection((view.host, view.port), timeout=60)
            socks.append((s, s.makefile("rb"), view))
        requests = {v.url: raw_request(v, envelope(v.url, T + "Get", CIMV2 + "Win32_Service",
                                                   [("Name", "WinRM")]).encode()) for v in views}
        for round_ in range(2):
            for s, _, view in socks:
                s.sendall(requests[view.url])
            for _, f, _ in socks:
                status, body = read_reply(f)
                self.assertEqual(status, 200, body[:200])
        st = stats_of(sim)
        self.assertEqual(st["ActiveConnections"], CONNECTIONS // len(views) + 1)
        self.assertGreaterEqual(st["FleetConnections"], CONNECTIONS + 1)
        self.assertGreaterEqual(st["FleetRequests"], 2 * CONNECTIONS)


def computer_system(view, index):
    return envelope(view.url, T + "Get", CIMV2 + "Win32_ComputerSystem", [("Name", "WINRM-SIM-%04d" % index)])


class FleetAuthTest(unittest.TestCase):
    """Authentication per host: NTLM handshakes (whose legs interleave across hosts) with message encryption,
    and client certificates over HTTPS."""

    def test_ntlm_handshakes_interleave_across_hosts(self):
        authtest.need_gssapi(authtest.NTLM_OID)
        sim = Sim("--hosts", "8", "--port", "0", "--auth", "negotiate,basic", allow_unencrypted=False)
        self.addCleanup(sim.stop)
        clients = [authtest.GssClient(sim.fleet_host(i), authtest.NTLM_OID) for i in range(1, 9)]
        for c in clients:
            self.addCleanup(c.close)
        tokens = [c.ctx.step() for c in clients]
        challenges = []
        for c, token in zip(clients, tokens):   # every host's first leg before any second leg
            r = c.raw(b"", {"Authorization": "Negotiate " + authtest.b64(token)})
            self.assertEqual(r.status, 401)
            challenges.append(c.token_of(r))
        for i, (c, challenge) in enumerate(zip(clients, challenges), 1):
            r = c.raw(b"", {"Authorization": "Negotiate " + authtest.b64(c.ctx.step(challenge))})
            self.assertEqual(r.status, 200, r.body)
            r = c.post(computer_system(c.sim, i))
            self.assertEqual(r.status, 200)
            self.assertIn(b"<p:Name>WINRM-SIM-%04d</p:Name>" % i, c.decrypt(r))

    def test_client_certificate_on_every_host(self):
        sim = Sim("--hosts", "3", "--port", "0", "--tls", "--auth", "certificate", allow_unencrypted=False)
        self.addCleanup(sim.stop)
        ctx = ssl.create_default_context(cafile=sim.info["ca_file"])
        ctx.load_cert_chain(sim.info["client_cert"], sim.info["client_key"])
        for i in (1, 2, 3):
            view = sim.fleet_host(i)
            with socket.create_connection((view.host, view.port), timeout=30) as raw:
                with ctx.wrap_socket(raw, server_hostname=view.host) as s:
                    req = raw_request(view, computer_system(view, i).encode(), auth=False)
                    s.sendall(req.replace(b"\r\n\r\n", b"\r\nAuthorization: http://schemas.dmtf.org/wbem/wsman/1/"
                                                      b"wsman/secprofile/https/mutual\r\n\r\n", 1))
                    status, body = read_reply(s.makefile("rb"))
                    self.assertEqual(status, 200, body[:300])


class FleetPowerShellTest(unittest.TestCase):
    def test_runspace_pools_per_host_with_the_host_name(self):
        sim = Sim("--hosts", "2", "--port", "0")
        self.addCleanup(sim.stop)
        clients = []
        for i in (1, 2):
            c = psrpclient.Client(sim.fleet_host(i))
            clients.append(c)
            c.open()
            r = c.run("Write-Information 'where'")
            self.assertEqual(r.of("INFORMATION_RECORD")[0].findtext("MS/S[@N='Computer']"), "WINRM-SIM-%04d" % i)
        st = stats_of(sim)
        self.assertEqual((st["OpenRunspacePools"], st["FleetOpenRunspacePools"]), (1, 2))
        for c in clients:
            c.close()
        self.assertEqual(stats_of(sim)["FleetOpenRunspacePools"], 0)


class FleetOptionsTest(unittest.TestCase):
    def run_sim(self, *args):
        return subprocess.run([SIM] + list(args), capture_output=True, text=True, timeout=30)

    def test_bad_fleet_options_exit_2(self):
        for args in (["--hosts", "0"], ["--down", "1"], ["--hosts", "2", "--down", "2", "--slow", "1"],
                     ["--latency", "fast"], ["--latency", "300-100"], ["--hosts", "2", "--host", "::1"],
                     ["--hosts", "3", "--host", "255.255.255.254"]):
            r = self.run_sim(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))

    def test_port_in_use_exits_2(self):
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        blocker.bind(("127.0.0.3", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        r = self.run_sim("--hosts", "3", "--port", str(port))
        self.assertEqual(r.returncode, 2)
        self.assertIn("127.0.0.3", r.stderr)

    def test_default_port_is_winrm_s(self):
        """Without --port a fleet listens on 5985 (HTTP), or on a free port where 5985 is taken."""
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        try:
            blocker.bind(("127.0.98.3", 5985))
            blocker.listen(1)
        except OSError:
            self.skipTest("127.0.98.3:5985 is in use")
        free = Sim("--hosts", "2", "--host", "127.0.97.2")
        self.addCleanup(free.stop)
        if free.port != 5985:
            self.skipTest("another process holds 127.0.97.x:5985")
        self.assertEqual(free.info["host_2"], "http://127.0.97.3:5985/wsman")
        taken = Sim("--hosts", "2", "--host", "127.0.98.2")
        self.addCleanup(taken.stop)
        self.assertNotEqual(taken.port, 5985)
        for sim in (free, taken):
            c = sim.fleet_host(2).client()
            self.addCleanup(c.close)
            self.assertEqual(c.get(CIMV2 + "Win32_Service", [("Name", "WinRM")]).status, 200)

    def test_replay_per_host(self):
        """With --replay every host serves the recording from its start."""
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                            "test_wsman_update_envelope_size_4096.yml")
        msgs = replay.load(path)
        sim = Sim("--hosts", "2", "--port", "0", "--replay", path)
        self.addCleanup(sim.stop)
        for i in (2, 1):
            c = sim.fleet_host(i).client()
            self.addCleanup(c.close)
            r = c.post(msgs[0]["request"])
            self.assertEqual((r.status, r.body.decode()), (200, msgs[0]["response"]))
            self.assertEqual(c.post(msgs[0]["request"]).status, 500)   # past the end of this host's copy

    def test_ten_thousand_hosts(self):
        """Addresses carry into the next octets; the last host answers with its own name."""
        raise_fd_limit(10100)
        sim = Sim("--hosts", "10000", "--port", "0")
        self.addCleanup(sim.stop)
        self.assertEqual(sim.info["host_256"].split("/")[2].split(":")[0], "127.0.1.1")
        view = sim.fleet_host(10000)
        self.assertEqual(view.host, "127.0.39.17")
        c = view.client()
        self.addCleanup(c.close)
        self.assertEqual(c.get(CIMV2 + "Win32_ComputerSystem", [("Name", "WINRM-SIM-10000")]).status, 200)

    def test_no_certificate_for_an_unused_host(self):
        """Certificates are issued at a host's first connection (a large fleet starts at once)."""
        with tempfile.TemporaryDirectory() as d:
            sim = Sim("--hosts", "3", "--port", "0", "--tls", "--tls-dir", d)
            self.addCleanup(sim.stop)
            tls_handshake(sim.fleet_host(2), sim.info["ca_file"])
            self.assertEqual(os.listdir(os.path.join(d, "hosts")), ["127.0.0.3.pem"])


def tls_handshake(view, ca_file, server_hostname=None):
    """A verified TLS connection to a host of the fleet -> its certificate (DER) and getpeercert() dict."""
    ctx = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection((view.host, view.port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname or view.host) as s:
            return s.getpeercert(binary_form=True), s.getpeercert()


class FleetTlsTest(unittest.TestCase):
    """HTTPS on a fleet: every host presents its own certificate (its address its only name, issued by the
    simulator's CA), as real hosts do; channel bindings are per host; --cert-host keeps one certificate."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--hosts", "3", "--port", "0", "--tls", "--auth", "basic,negotiate", "--cbt", "strict",
                      allow_unencrypted=False)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_each_host_presents_its_own_certificate(self):
        ca = self.sim.info["ca_file"]
        seen = {}
        for i in (1, 2, 3):
            view = self.sim.fleet_host(i)
            der, cert = tls_handshake(view, ca)
            self.assertEqual(cert["subjectAltName"], (("IP Address", view.host),))
            self.assertEqual(dict(x[0] for x in cert["subject"])["commonName"], view.host)
            seen[i] = der
            c = view.client()
            self.addCleanup(c.close)
            r = c.get(CIMV2 + "Win32_ComputerSystem", [("Name", "WINRM-SIM-%04d" % i)])
            self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(len(set(seen.values())), 3)
        self.assertEqual(tls_handshake(self.sim.fleet_host(1), ca)[0], seen[1])   # the same on every connection
        with self.assertRaises(ssl.SSLCertVerificationError):   # host 2's certificate does not name host 1
            tls_handshake(self.sim.fleet_host(2), ca, server_hostname=self.sim.fleet_host(1).host)

    def test_channel_binding_is_per_host(self):
        """NTLM over HTTPS with --cbt strict: each host accepts the binding of its own certificate only."""
        authtest.need_gssapi(authtest.NTLM_OID)
        ca = self.sim.info["ca_file"]
        one, two = self.sim.fleet_host(1), self.sim.fleet_host(2)
        bindings = {view.host: authtest.cbt_data(tls_handshake(view, ca)[0]) for view in (one, two)}
        for view, other in ((one, two), (two, one)):
            good = authtest.GssClient(view, authtest.NTLM_OID, bindings=bindings[view.host])
            self.addCleanup(good.close)
            self.assertEqual(good.handshake().status, 200)
            self.assertEqual(good.post(envelope(view.url, T + "Get", CIMV2 + "Win32_Service", [("Name", "WinRM")])
                                       .encode(), encrypt=False).status, 200)
            wrong = authtest.GssClient(view, authtest.NTLM_OID, bindings=bindings[other.host])
            self.addCleanup(wrong.close)
            self.assertEqual(wrong.handshake().status, 401)

    def test_cert_host_gives_every_host_one_certificate(self):
        sim = Sim("--hosts", "2", "--port", "0", "--tls", "--cert-host", "fleet.example")
        self.addCleanup(sim.stop)
        ders = set()
        for i in (1, 2):
            der, cert = tls_handshake(sim.fleet_host(i), sim.info["ca_file"], server_hostname="fleet.example")
            self.assertEqual(cert["subjectAltName"], (("DNS", "fleet.example"),))
            ders.add(der)
        self.assertEqual(len(ders), 1)


if __name__ == "__main__":
    unittest.main()
