#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""WinRS shell plug-in (winrmsim/shell.py): replies compared with the real recordings, streaming, stdin,
signals, quotas, idle timeout, envelope size, emulated PowerShell, replay checks."""

import base64
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CAPTURES, Sim, needs_captures  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim import replay  # noqa: E402

RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CMD_URI = RSP + "/cmd"
T = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
NSR = {"rsp": RSP, "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"}
GUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


def normalise(text):
    text = re.sub(r"uuid:[0-9A-F-]{36}", "uuid:X", text)
    text = GUID.sub("GUID", text)
    text = re.sub(r'Machine="[^"]*"', 'Machine="M"', text)
    text = re.sub(r"<p:ActivityId>[^<]*</p:ActivityId>", "", text)
    text = re.sub(r"<rsp:Owner>[^<]*</rsp:Owner>", "<rsp:Owner>O</rsp:Owner>", text)
    text = re.sub(r"<rsp:ClientIP>[^<]*</rsp:ClientIP>", "<rsp:ClientIP>C</rsp:ClientIP>", text)
    return re.sub(r'(<rsp:Stream [^>]*>)[A-Za-z0-9+/=]+(</rsp:Stream>)', r"\1B64\2", text)


def recording(name):
    return replay.load(os.path.join(CAPTURES, name))


def rsp_body(inner):
    return '<rsp:%s xmlns:rsp="%s">%s</rsp:%s>' % (inner[0], RSP, inner[1], inner[0])


class ShellClient:
    """Raw shell requests (the envelopes of simtest, with the rsp namespace)."""

    def __init__(self, sim, **kw):
        self.c = sim.client(**kw)

    def close(self):
        self.c.close()

    def req(self, action, body="", shell=None, options=None, timeout="PT20S", max_env=153600):
        extra = ""
        if options:
            extra = '<w:OptionSet s:mustUnderstand="true">%s</w:OptionSet>' % "".join(
                '<w:Option Name="%s">%s</w:Option>' % kv for kv in options)
        sel = [("ShellId", shell)] if shell else None
        return self.c.request(action, CMD_URI, sel, body, extra=extra, timeout=timeout, max_env=max_env)

    def create(self, inner="", options=(("WINRS_CODEPAGE", "65001"),)):
        r = self.req(T + "Create", '<rsp:Shell xmlns:rsp="%s">%s<rsp:InputStreams>stdin</rsp:InputStreams>'
                                   "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>" % (RSP, inner),
                     options=options)
        return r, (r.root.findtext(".//rsp:ShellId", namespaces=NSR) if r.status == 200 else None)

    def command(self, shell, command, args=(), skip=False):
        body = rsp_body(("CommandLine", "<rsp:Command>%s</rsp:Command>%s" % (
            command, "".join("<rsp:Arguments>%s</rsp:Arguments>" % a for a in args))))
        r = self.req(RSP + "/Command", body, shell, options=(("WINRS_SKIP_CMD_SHELL", str(skip)),))
        return r, (r.root.findtext(".//rsp:CommandId", namespaces=NSR) if r.status == 200 else None)

    def receive(self, shell, cid, timeout="PT20S", max_env=153600):
        body = rsp_body(("Receive", '<rsp:DesiredStream CommandId="%s">stdout stderr</rsp:DesiredStream>' % cid))
        return self.req(RSP + "/Receive", body, shell, options=(("WSMAN_CMDSHELL_OPTION_KEEPALIVE", "True"),),
                        timeout=timeout, max_env=max_env)

    def send(self, shell, cid, data, end=False):
        body = rsp_body(("Send", '<rsp:Stream Name="stdin" CommandId="%s"%s>%s</rsp:Stream>' % (
            cid, ' End="true"' if end else "", base64.b64encode(data).decode())))
        return self.req(RSP + "/Send", body, shell)

    def signal(self, shell, cid, code="terminate"):
        body = '<rsp:Signal xmlns:rsp="%s" CommandId="%s"><rsp:Code>%s/signal/%s</rsp:Code></rsp:Signal>' % (
            RSP, cid, RSP, code)
        return self.req(RSP + "/Signal", body, shell)

    def delete(self, shell):
        return self.req(T + "Delete", "", shell)

    def run(self, shell, command, args=(), stdin=None, timeout="PT20S"):
        """-> (stdout, stderr, exit code, number of Receives)."""
        r, cid = self.command(shell, command, args)
        assert r.status == 200, r.body
        if stdin is not None:
            assert self.send(shell, cid, stdin, end=True).status == 200
        out, err, receives = b"", b"", 0
        while True:
            r = self.receive(shell, cid, timeout)
            receives += 1
            if r.status == 500 and r.wsman_code == 2150858793:
                continue
            assert r.status == 200, r.body
            for s in r.root.iter("{%s}Stream" % RSP):
                data = base64.b64decode(s.text or "")
                if s.get("Name") == "stdout":
                    out += data
                else:
                    err += data
            state = r.root.find(".//rsp:CommandState", NSR)
            if state.get("State").endswith("/Done"):
                code = int(state.findtext("rsp:ExitCode", namespaces=NSR))
                assert self.signal(shell, cid).status == 200
                return out, err, code, receives


class ShellTestCase(unittest.TestCase):
    args = ()

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(*cls.args)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.sc = ShellClient(self.sim)
        self.addCleanup(self.sc.close)
        self.addCleanup(self.reset)

    def reset(self):
        c = self.sim.client()
        c.invoke("http://schemas.luawsman.test/sim/control", "Reset")
        c.close()

    def stats(self):
        c = self.sim.client()
        try:
            return c.stats()
        finally:
            c.close()


@needs_captures
class FidelityTest(ShellTestCase):
    """The recorded requests of test_winrs_*.yml, sent to the simulator (with its ShellId/CommandId):
    the replies are Windows' apart from identifiers, Owner, ClientIP, Machine and the output bytes."""

    def play(self, name, expect_status=None):
        msgs = recording(name)
        ids = {}
        results = []
        for m in msgs:
            req = m["request"]
            for old, new in ids.items():
                req = req.replace(old, new)
            r = self.sc.c.post(req)
            results.append((m, r))
            if r.status == 200 and r.payload is not None:
                for tag in ("ShellId", "CommandId"):
                    mine = r.root.findtext(".//rsp:%s" % tag, namespaces=NSR)
                    theirs = re.search(r"<rsp:%s>([^<]+)</rsp:%s>" % (tag, tag), m.get("response") or "")
                    if mine and theirs:
                        ids[theirs.group(1)] = mine
        return results

    def test_standard_create_command_receive_signal_delete(self):
        for m, r in self.play("test_winrs_standard.yml"):
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(normalise(r.body.decode()), normalise(m["response"]))

    def test_stderr_and_exit_code_replies(self):
        results = self.play("test_winrs_stderr_rc.yml")
        m, r = results[2]
        # stdout and stderr are two pipes read by two threads: their order in one reply may vary
        data = re.compile(r'<rsp:Stream Name="std(?:out|err)" CommandId="GUID">B64</rsp:Stream>')
        mine, theirs = normalise(r.body.decode()), normalise(m["response"])
        self.assertEqual(len(data.findall(mine)), len(data.findall(theirs)))
        self.assertEqual(data.sub("", mine), data.sub("", theirs))
        streams = {s.get("Name"): base64.b64decode(s.text or "") for s in r.root.iter("{%s}Stream" % RSP) if s.text}
        self.assertEqual(streams, {"stdout": b"out\n", "stderr": b"err\n"})

    def test_bad_command_id_fault_is_identical(self):
        m, r = self.play("test_winrs_bad_cmd_id.yml")[2]
        self.assertEqual(r.status, 500)
        self.assertEqual(normalise(r.body.decode()), normalise(m["response"]))

    def test_receive_without_command_id_fault_is_identical(self):
        m, r = self.play("test_winrs_fail_poll_process.yml")[1]
        self.assertEqual(r.status, 500)
        self.assertEqual(normalise(r.body.decode()), normalise(m["response"]))

    def test_skip_cmd_shell_not_found_fault_is_identical(self):
        results = self.play("test_winrs_no_cmd_shell.yml")
        m, r = results[1]
        self.assertEqual(r.status, 500)
        self.assertEqual(normalise(r.body.decode()), normalise(m["response"]))
        # with its full path powershell.exe is found (and emulated: the "script" comes back as output)
        m, r = results[2]
        self.assertEqual(normalise(r.body.decode()), normalise(m["response"]))
        self.assertEqual(base64.b64decode(results[3][1].root.findtext(".//rsp:Stream", namespaces=NSR)),
                         b"Write-Host hi")

    def test_environment_and_extra_options_are_echoed(self):
        for name in ("test_winrs_environment.yml", "test_winrs_extra_opts.yml", "test_winrs_noprofile.yml"):
            m, r = self.play(name)[0]
            self.assertEqual(normalise(r.body.decode()), normalise(m["response"]), name)

    def test_operation_timeout_fault_is_identical(self):
        msgs = recording("test_winrs_operation_timeout.yml")
        r, shell = self.sc.create()
        r, cid = self.sc.command(shell, "sleep", ["5"])
        start = time.monotonic()
        r = self.sc.receive(shell, cid, timeout="PT0.5S")
        self.assertGreaterEqual(time.monotonic() - start, 0.45)
        self.assertEqual(r.status, 500)
        self.assertEqual(normalise(r.body.decode()), normalise(msgs[3]["response"]))
        self.assertEqual(self.sc.signal(shell, cid).status, 200)


class ShellBehaviourTest(ShellTestCase):
    args = ("--max-shells-per-user", "3")

    def test_output_streams_before_the_command_ends(self):
        r, shell = self.sc.create()
        r, cid = self.sc.command(shell, "echo first; read x; echo got $x")
        r = self.sc.receive(shell, cid)
        self.assertEqual(base64.b64decode(r.root.findtext(".//rsp:Stream", namespaces=NSR)), b"first\n")
        self.assertTrue(r.root.find(".//rsp:CommandState", NSR).get("State").endswith("/Running"))
        self.assertEqual(self.sc.send(shell, cid, b"it\n", end=True).status, 200)
        out = b""
        while True:
            r = self.sc.receive(shell, cid)
            out += b"".join(base64.b64decode(s.text or "") for s in r.root.iter("{%s}Stream" % RSP))
            if r.root.find(".//rsp:CommandState", NSR).get("State").endswith("/Done"):
                break
        self.assertEqual(out, b"got it\n")

    def test_replies_fit_max_envelope_size(self):
        r, shell = self.sc.create()
        r, cid = self.sc.command(shell, "head -c 200000 /dev/urandom | base64")
        total, sizes = 0, []
        while True:
            r = self.sc.receive(shell, cid, max_env=8192)
            self.assertEqual(r.status, 200, r.body[:300])
            sizes.append(len(r.body))
            total += sum(len(base64.b64decode(s.text or "")) for s in r.root.iter("{%s}Stream" % RSP))
            if r.root.find(".//rsp:CommandState", NSR).get("State").endswith("/Done"):
                break
        self.assertLessEqual(max(sizes), 8192)
        self.assertGreater(len(sizes), 30)
        self.assertGreater(total, 200000)

    def test_stdin_exit_code_environment_and_directory(self):
        d = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, d)
        r, shell = self.sc.create('<rsp:Environment><rsp:Variable Name="A_B">x &amp; y</rsp:Variable>'
                                  "</rsp:Environment><rsp:WorkingDirectory>%s</rsp:WorkingDirectory>" % d)
        self.assertEqual(r.status, 200, r.body)
        out, err, code, _ = self.sc.run(shell, "cmd.exe /c cat; echo $A_B; pwd; exit 5", stdin=b"in\n")
        self.assertEqual((out, err, code), (b"in\nx & y\n" + d.encode() + b"\n", b"", 5))

    def test_codepage_437_output_and_default(self):
        r, shell = self.sc.create(options=(("WINRS_CODEPAGE", "437"),))
        out, _, _, _ = self.sc.run(shell, "printf 'caf\\303\\251'")
        self.assertEqual(out, b"caf\x82")
        r, shell = self.sc.create(options=())        # no option: 437, as an en-US host
        out, _, _, _ = self.sc.run(shell, "printf '\\303\\251'")
        self.assertEqual(out, b"\x82")

    def test_ctrl_c_and_terminate(self):
        r, shell = self.sc.create()
        r, cid = self.sc.command(shell, "echo up; sleep 30")
        self.assertIn(b"up", base64.b64decode(self.sc.receive(shell, cid).root.findtext(".//rsp:Stream",
                                                                                         namespaces=NSR)))
        self.assertEqual(self.sc.signal(shell, cid, "ctrl_c").status, 200)
        r = self.sc.receive(shell, cid)
        self.assertEqual(r.root.findtext(".//rsp:ExitCode", namespaces=NSR), "-1073741510")
        self.assertEqual(self.sc.signal(shell, cid).status, 200)
        # terminated: the CommandId is gone
        r = self.sc.receive(shell, cid)
        self.assertEqual((r.status, r.wsman_code), (500, 2150858843))

    def test_max_shells_per_user_quota(self):
        shells = [self.sc.create()[1] for _ in range(3)]
        r, _ = self.sc.create()
        self.assertEqual((r.status, r.wsman_code, r.subcode), (500, 2150859173, "w:QuotaLimit"))
        self.assertIn("maximum number of 3 concurrent shells", r.text("s:Body/s:Fault/s:Detail/f:WSManFault/f:Message"))
        self.assertEqual(self.stats()["OpenShells"], 3)
        self.assertEqual(self.sc.delete(shells[0]).status, 200)
        r, _ = self.sc.create()
        self.assertEqual(r.status, 200)

    def test_unknown_shell_and_idle_timeout(self):
        r = self.sc.req(RSP + "/Command", rsp_body(("CommandLine", "<rsp:Command>x</rsp:Command>")),
                        "00000000-0000-0000-0000-000000000000")
        self.assertEqual(r.wsman_code, 2150858843)
        self.assertIn("shell was not found", r.text("s:Body/s:Fault/s:Detail/f:WSManFault/f:Message"))
        r, shell = self.sc.create("<rsp:IdleTimeOut>PT0.3S</rsp:IdleTimeOut>")
        self.assertIn("<rsp:IdleTimeOut>PT0.300S</rsp:IdleTimeOut>", r.body.decode())
        time.sleep(0.5)
        self.assertEqual(self.stats()["OpenShells"], 0)
        self.assertEqual(self.sc.delete(shell).wsman_code, 2150858843)

    def test_emulated_powershell(self):
        r, shell = self.sc.create()
        # pywinrm's run_ps: the script itself as -encodedcommand
        script = "Write-Output 'é'"
        enc = base64.b64encode(script.encode("utf-16-le")).decode()
        out, err, code, _ = self.sc.run(shell, "powershell -encodedcommand " + enc)
        self.assertEqual((out, err, code), (script.encode(), b"", 0))
        # a bootstrap that reads the script from stdin: the stdin bytes come back exactly
        boot = base64.b64encode("[Console]::OpenStandardInput()".encode("utf-16-le")).decode()
        data = "\ufeff#sim:exit 3\r\n".encode() + bytes(range(32, 127)) * 100
        out, err, code, _ = self.sc.run(shell, "powershell.exe", ["-NoProfile", "-EncodedCommand", boot], stdin=data)
        self.assertEqual((out, err, code), (data, b"", 3))
        out, err, code, _ = self.sc.run(shell, "powershell.exe", ["-EncodedCommand", "A" * 9000])
        self.assertEqual((out, err, code), (b"", b"The command line is too long.\r\n", 1))

    def test_emulated_powershell_clixml_sample(self):
        r, shell = self.sc.create()
        out, err, code, _ = self.sc.run(shell, "powershell.exe", ["-Command", "#sim:clixml with_error"])
        self.assertTrue(err.startswith(b"#< CLIXML\n<Objs"))
        self.assertEqual(code, 1)

    def test_shell_list_enumeration(self):
        _, shell = self.sc.create()
        items = self.sc.c.enumerate_all(RSP, max_elements=10)
        self.assertEqual([i.findtext("{%s}ShellId" % RSP) for i in items], [shell])


@needs_captures
class ReplayOrderTest(unittest.TestCase):
    def test_a_request_with_another_action_is_refused_and_the_message_kept(self):
        path = os.path.join(CAPTURES, "test_winrs_open_already_opened.yml")
        msgs = replay.load(path)
        sim = Sim("--replay", path)
        self.addCleanup(sim.stop)
        c = sim.client()
        self.addCleanup(c.close)
        r = c.post(msgs[1]["request"])         # Delete first: the recording expects Create
        self.assertEqual(r.status, 500)
        self.assertIn("expects a request with action http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                      r.body.decode())
        self.assertEqual(c.stats()["ReplayRemaining"], 2)
        self.assertEqual(c.post(msgs[0]["request"]).status, 200)
        self.assertEqual(c.post(msgs[1]["request"]).status, 200)
        self.assertEqual(c.stats()["ReplayRemaining"], 0)


if __name__ == "__main__":
    unittest.main()
