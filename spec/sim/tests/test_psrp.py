#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The PowerShell Remoting plug-in (winrmsim/psrp.py) driven by the small independent client in
psrpclient.py: runspace pool open/close, pipelines with input and every stream, fragmentation at small
envelope sizes, concurrent pipelines, JEA, host calls, key exchange, runspace counts, disconnect/reconnect/
connect, stop, and file copy/fetch in the sandbox."""

import base64
import hashlib
import os
import re
import shutil
import struct
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import psrpclient as pc  # noqa: E402
from simtest import Sim  # noqa: E402

NO_LANGUAGE = "The syntax is not supported by this runspace. This can occur if the runspace is in no-language mode."


class PsrpTestCase(unittest.TestCase):
    SIM_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.sandbox = tempfile.mkdtemp(prefix="psrp-test-")
        cls.sim = Sim("--ps-sandbox", cls.sandbox, *cls.SIM_ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.sandbox, ignore_errors=True)

    def pool(self, **kw):
        c = pc.Client(self.sim, **{k: v for k, v in kw.items() if k in ("uri", "max_env", "version")})
        _, msgs = c.open(**{k: v for k, v in kw.items() if k in ("min_rs", "max_rs", "has_host")})
        self.addCleanup(c.close)
        return c, msgs


class PoolTest(PsrpTestCase):
    def test_open_replies(self):
        c, msgs = self.pool()
        self.assertEqual([m[0] for m in msgs], ["SESSION_CAPABILITY", "APPLICATION_PRIVATE_DATA",
                                                "RUNSPACEPOOL_STATE"])
        self.assertEqual(msgs[0][2].findtext("MS/Version[@N='protocolversion']"), "2.3")
        self.assertEqual(msgs[2][2].findtext("MS/I32[@N='RunspaceState']"), "2")
        table = msgs[1][2].find(".//En[S='PSVersionTable']/Obj[@N='Value']")
        self.assertEqual(table.findtext("DCT/En[S='PSRemotingProtocolVersion']/Version"), "2.3")

    def test_older_protocol_is_negotiated(self):
        c, msgs = self.pool(version="2.1")
        # the host states its own version; the pool runs at the client's lower one
        self.assertEqual(msgs[0][2].findtext("MS/Version[@N='protocolversion']"), "2.3")
        # Write-Information needs protocol 2.3: nothing on 2.1
        r = c.run("Write-Information 'i'; 'o'")
        self.assertEqual(r.texts, ["o"])
        self.assertEqual(r.of("INFORMATION_RECORD"), [])

    def test_create_response_and_shell_list(self):
        c = pc.Client(self.sim)
        r, _ = c.open()
        self.addCleanup(c.close)
        self.assertEqual(r.text("s:Body/{%s}Shell/{%s}ShellId" % (pc.RSP, pc.RSP)), c.id)
        self.assertEqual(r.text("s:Body/{%s}Shell/{%s}State" % (pc.RSP, pc.RSP)), "Connected")
        lister = self.sim.client()
        self.addCleanup(lister.close)
        items = lister.enumerate_all(pc.RSP)
        self.assertIn(c.id, [i.findtext("{%s}ShellId" % pc.RSP) for i in items])

    def test_unknown_configuration(self):
        c = pc.Client(self.sim, uri=pc.PSH + "/NoSuchConfig")
        r, _ = c.open(expect=500)
        self.assertIn("Cannot find the NoSuchConfig session configuration", r.body.decode())
        c.http.close()

    def test_delete_forgets_the_pool(self):
        c = pc.Client(self.sim)
        c.open()
        self.assertGreaterEqual(c.http.stats()["OpenRunspacePools"], 1)
        self.assertEqual(c.close().status, 200)
        c.http = self.sim.client()
        r = c.receive()
        self.assertEqual(r.status, 500)
        self.assertIn("the shell was not found", r.body.decode())
        c.http.close()

    def test_set_and_get_runspaces(self):
        c, _ = self.pool()
        c.send_pool("SET_MAX_RUNSPACES", '<Obj RefId="0"><MS><I32 N="MaxRunspaces">5</I32><I64 N="ci">1</I64>'
                                         '</MS></Obj>')
        m = c.receive_until("RUNSPACE_AVAILABILITY")[-1][2]
        self.assertEqual(m.findtext("MS/B[@N='SetMinMaxRunspacesResponse']"), "true")
        self.assertEqual(m.findtext("MS/I64[@N='ci']"), "1")
        c.send_pool("SET_MIN_RUNSPACES", '<Obj RefId="0"><MS><I32 N="MinRunspaces">9</I32><I64 N="ci">2</I64>'
                                         '</MS></Obj>')
        m = c.receive_until("RUNSPACE_AVAILABILITY")[-1][2]
        self.assertEqual(m.findtext("MS/B[@N='SetMinMaxRunspacesResponse']"), "false")
        c.send_pool("GET_AVAILABLE_RUNSPACES", '<Obj RefId="0"><MS><I64 N="ci">3</I64></MS></Obj>')
        m = c.receive_until("RUNSPACE_AVAILABILITY")[-1][2]
        self.assertEqual(m.findtext("MS/I64[@N='SetMinMaxRunspacesResponse']"), "5")

    def test_key_exchange(self):
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        c, _ = self.pool()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        nums = key.public_key().public_numbers()
        blob = struct.pack("<BBHI4sII", 6, 2, 0, 0xA400, b"RSA1", 2048, nums.e) + nums.n.to_bytes(256, "little")
        c.send_pool("PUBLIC_KEY", '<Obj RefId="0"><MS><S N="PublicKey">%s</S></MS></Obj>'
                    % base64.b64encode(blob).decode())
        m = c.receive_until("ENCRYPTED_SESSION_KEY")[-1][2]
        enc = base64.b64decode(m.findtext("MS/S[@N='EncryptedSessionKey']"))
        self.assertEqual(enc[:12], b"\x01\x02\x00\x00\x10\x66\x00\x00\x00\xa4\x00\x00")
        self.assertEqual(len(key.decrypt(enc[12:][::-1], padding.PKCS1v15())), 32)

    def test_secure_strings_start_the_key_exchange(self):
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        c, _ = self.pool()
        pid = c.start([pc.command("ConvertTo-SecureString", False, [("String", "s3cret"), ("AsPlainText", True),
                                                                  ("Force", True)])])
        self.assertEqual(c.receive_until("PUBLIC_KEY_REQUEST")[-1][0], "PUBLIC_KEY_REQUEST")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        nums = key.public_key().public_numbers()
        blob = struct.pack("<BBHI4sII", 6, 2, 0, 0xA400, b"RSA1", 2048, nums.e) + nums.n.to_bytes(256, "little")
        c.send_pool("PUBLIC_KEY", '<Obj RefId="0"><MS><S N="PublicKey">%s</S></MS></Obj>'
                    % base64.b64encode(blob).decode())
        enc = base64.b64decode(c.receive_until("ENCRYPTED_SESSION_KEY")[-1][2].findtext("MS/S"))
        session = key.decrypt(enc[12:][::-1], padding.PKCS1v15())
        res = pc.Result(c.receive_until("PIPELINE_STATE", pid))
        self.assertEqual(res.output[0].tag, "SS")
        dec = Cipher(algorithms.AES(session), modes.CBC(b"\0" * 16)).decryptor()
        plain = dec.update(base64.b64decode(res.output[0].text)) + dec.finalize()
        self.assertEqual(plain[:-plain[-1]].decode("utf-16-le"), "s3cret")
        # and back: a SecureString the client encrypts, read by the host
        enc = Cipher(algorithms.AES(session), modes.CBC(b"\0" * 16)).encryptor()
        data = "pa55".encode("utf-16-le")
        data += bytes([16 - len(data) % 16]) * (16 - len(data) % 16)
        ss = base64.b64encode(enc.update(data) + enc.finalize()).decode()
        r = c.run(commands=[pc.command("ConvertFrom-SecureString", False, [("AsPlainText", True)])],
                  inputs=["<SS>%s</SS>" % ss])
        self.assertEqual(r.texts, ["pa55"])

    def test_disconnect_reconnect_connect(self):
        c, _ = self.pool()
        self.assertEqual(c.post(pc.RSP + "/Disconnect", '<rsp:Disconnect xmlns:rsp="%s"/>' % pc.RSP).status, 200)
        r = c.receive()
        self.assertEqual(r.status, 500)
        self.assertIn("the stream is currently disconnected", r.body.decode())
        lister = self.sim.client()
        self.addCleanup(lister.close)
        items = lister.enumerate_all(pc.RSP)
        mine = [i for i in items if i.findtext("{%s}ShellId" % pc.RSP) == c.id]
        self.assertEqual(mine[0].findtext("{%s}State" % pc.RSP), "Disconnected")
        self.assertEqual(c.post(pc.RSP + "/Reconnect", "").status, 200)
        self.assertEqual(c.run("'back'").texts, ["back"])
        # Connect from a new client object (another process would do this after Enumerate)
        c.post(pc.RSP + "/Disconnect", '<rsp:Disconnect xmlns:rsp="%s"/>' % pc.RSP)
        other = pc.Client(self.sim)
        other.id = c.id
        data = other.fragments([pc.message("SESSION_CAPABILITY", c.id, pc.NULL, pc.SESSION % "2.3"),
                                pc.message("CONNECT_RUNSPACEPOOL", c.id, pc.NULL, "<S />")])
        r = other.post(pc.RSP + "/Connect", '<rsp:Connect xmlns:rsp="%s"><connectXml xmlns="%s">%s</connectXml>'
                                            '</rsp:Connect>' % (pc.RSP, pc.PSH, data))
        self.assertEqual(r.status, 200, r.body)
        raw = base64.b64decode(r.text("s:Body/{%s}ConnectResponse/{%s}connectResponseXml" % (pc.RSP, pc.PSH)))
        self.assertIn(b"MaxRunspaces", raw)
        self.assertEqual(struct.unpack_from("<I", raw, 21 + 4)[0], pc.TYPES["SESSION_CAPABILITY"])
        self.assertEqual(other.receive_until("APPLICATION_PRIVATE_DATA")[-1][0], "APPLICATION_PRIVATE_DATA")
        self.assertEqual(other.run("'again'").texts, ["again"])
        other.http.close()


class ShellGetTest(PsrpTestCase):
    def test_get_of_a_pool_says_its_state(self):
        """Get of .../windows/shell?ShellId=<pool>: the pool as the shell list has it; an unknown id faults."""
        c, _ = self.pool()
        getter = pc.Client(self.sim)
        self.addCleanup(getter.http.close)
        getter.id, getter.uri = c.id, pc.RSP
        r = getter.post(pc.T + "Get", "")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Body/{%s}Shell/{%s}State" % (pc.RSP, pc.RSP)), "Connected")
        self.assertEqual(r.text("s:Body/{%s}Shell/{%s}ShellId" % (pc.RSP, pc.RSP)), c.id)
        c.post(pc.RSP + "/Disconnect", '<rsp:Disconnect xmlns:rsp="%s"/>' % pc.RSP)
        r = getter.post(pc.T + "Get", "")
        self.assertEqual(r.text("s:Body/{%s}Shell/{%s}State" % (pc.RSP, pc.RSP)), "Disconnected")
        getter.id = "00000000-0000-0000-0000-000000000001"
        r = getter.post(pc.T + "Get", "")
        self.assertEqual(r.status, 500)
        self.assertIn("2150858843", r.body.decode())
        self.assertIn("invalid selectors for the resource", r.body.decode())


class PipelineTest(PsrpTestCase):
    def test_output_values(self):
        c, _ = self.pool()
        r = c.run("Write-Output 'a'; 1; 5000000000; $true; 'x', 'y'")
        self.assertEqual([(e.tag, e.text) for e in r.output],
                         [("S", "a"), ("I32", "1"), ("I64", "5000000000"), ("B", "true"), ("S", "x"), ("S", "y")])
        self.assertEqual(r.state, 4)

    def test_every_stream(self):
        c, _ = self.pool()
        r = c.run("$VerbosePreference = 'Continue'\nWrite-Verbose 'v'\nWrite-Debug 'hidden'\nWrite-Debug 'd' "
                  "-Debug\nWrite-Warning 'w'\nWrite-Error 'e'\nWrite-Information 'i'\n"
                  "Write-Progress -Activity 'act' -Status 'st' -PercentComplete 50\nWrite-Output 'o'")
        self.assertEqual(r.strings("VERBOSE_RECORD"), ["v"])
        self.assertEqual(r.strings("DEBUG_RECORD"), ["d"])
        self.assertEqual(r.strings("WARNING_RECORD"), ["w"])
        self.assertEqual(r.strings("ERROR_RECORD"), ["e"])
        err = r.of("ERROR_RECORD")[0]
        self.assertEqual(err.findtext("MS/S[@N='FullyQualifiedErrorId']"),
                         "Microsoft.PowerShell.Commands.WriteErrorException")
        self.assertEqual(r.strings("INFORMATION_RECORD", "MS/S[@N='MessageData']"), ["i"])
        prog = r.of("PROGRESS_RECORD")[0]
        self.assertEqual((prog.findtext("MS/S[@N='Activity']"), prog.findtext("MS/I32[@N='PercentComplete']")),
                         ("act", "50"))
        self.assertEqual(r.texts, ["o"])
        self.assertEqual(r.state, 4)    # non-terminating errors: Completed

    def test_error_action_stop_fails_the_pipeline(self):
        c, _ = self.pool()
        r = c.run("$ErrorActionPreference = 'Stop'\nWrite-Error 'bad'\n'never'")
        self.assertEqual((r.state, r.reason, r.texts), (5, "bad", []))

    def test_throw(self):
        c, _ = self.pool()
        r = c.run("'before'; throw 'it broke'")
        self.assertEqual((r.texts, r.state, r.reason), (["before"], 5, "it broke"))

    def test_commands_with_parameters_and_pipes(self):
        c, _ = self.pool()
        r = c.run(commands=[pc.command("Get-Service", False, [("Name", "WinRM")])])
        svc = r.output[0]
        self.assertEqual(svc.findtext("TN/T"), "Deserialized.System.ServiceProcess.ServiceController")
        self.assertEqual(svc.findtext("Props/S[@N='ServiceName']"), "WinRM")
        self.assertEqual(svc.findtext("Props/Obj[@N='Status']/ToString"), "Running")
        r = c.run("Get-Service -Name nosuch")
        self.assertEqual(r.strings("ERROR_RECORD"), ["Cannot find any service with service name 'nosuch'."])
        r = c.run("Get-Process -Name System")
        self.assertEqual(r.output[0].findtext("ToString"), "System.Diagnostics.Process (System)")
        self.assertEqual(r.output[0].findtext("Props/I32[@N='Id']"), "4")
        r = c.run("Get-Service | Measure-Object")
        self.assertGreater(int(r.output[0].findtext("Props/I32[@N='Count']")), 10)

    def test_command_metadata(self):
        c, _ = self.pool()
        pid = str(uuid.uuid4()).upper()
        body = ('<Obj RefId="0"><MS><Obj N="Name" RefId="1"><TN RefId="0"><T>System.String[]</T><T>System.Array'
                '</T><T>System.Object</T></TN><LST><S>write-*</S></LST></Obj><I32 N="CommandType">511</I32>'
                '<Nil N="Namespace" /><Nil N="ArgumentList" /></MS></Obj>')
        data = c.fragments([pc.message("GET_COMMAND_METADATA", c.id, pid, body)])
        r = c.post(pc.RSP + "/Command", '<rsp:CommandLine xmlns:rsp="%s" CommandId="%s"><rsp:Command />'
                                        '<rsp:Arguments>%s</rsp:Arguments></rsp:CommandLine>' % (pc.RSP, pid, data))
        self.assertEqual(r.status, 200, r.body)
        res = pc.Result(c.receive_until("PIPELINE_STATE", pid))
        self.assertEqual(res.output[0].findtext("MS/I32[@N='Count']"), str(len(res.output) - 1))
        names = [o.findtext("MS/S[@N='Name']") for o in res.output[1:]]
        self.assertIn("Write-Output", names)
        self.assertTrue(all(n.startswith("Write-") for n in names))
        self.assertEqual(res.state, 4)

    def test_unknown_command(self):
        c, _ = self.pool()
        r = c.run("Get-Nothing; 'after'")
        self.assertIn("The term 'Get-Nothing' is not recognized", r.strings("ERROR_RECORD")[0])
        self.assertEqual((r.texts, r.state), (["after"], 4))

    def test_unsupported_syntax_is_a_parse_error(self):
        c, _ = self.pool()
        r = c.run("foreach ($x in 1..3) { $x }")
        self.assertEqual(r.state, 5)
        self.assertIn("does not support", r.reason)

    def test_input_objects(self):
        c, _ = self.pool()
        r = c.run("$input", inputs=["<S>1</S>", "<I32>2</I32>", '<Obj RefId="0"><TN RefId="0"><T>System.Collections.'
                                    'Hashtable</T><T>System.Object</T></TN><DCT><En><S N="Key">a</S><S N="Value">b'
                                    '</S></En></DCT></Obj>'])
        self.assertEqual([e.tag for e in r.output], ["S", "I32", "Obj"])
        self.assertEqual(r.output[2].findtext("DCT/En/S[@N='Value']"), "b")

    def test_stop_signal(self):
        c, _ = self.pool()
        pid = c.start([pc.command("Start-Sleep -Seconds 60")])
        r = c.post(pc.RSP + "/Signal", '<rsp:Signal xmlns:rsp="%s" CommandId="%s"><rsp:Code>powershell/signal/crtl_c'
                                       '</rsp:Code></rsp:Signal>' % (pc.RSP, pid))
        self.assertEqual(r.status, 200, r.body)
        res = pc.Result(c.receive_until("PIPELINE_STATE", pid))
        self.assertEqual((res.state, res.reason), (3, "The pipeline has been stopped."))

    def test_receive_times_out(self):
        c = pc.Client(self.sim, timeout="PT0.5S")
        c.open()
        self.addCleanup(c.close)
        r = c.receive()
        self.assertEqual(r.status, 500)
        self.assertEqual(r.wsman_code, 2150858793)

    def test_five_concurrent_pipelines(self):
        c, _ = self.pool(max_rs=5)
        pids = [c.start([pc.command("Start-Sleep -Milliseconds 200; 'p%d'" % i)]) for i in range(5)]
        got = {pid: pc.Result(c.receive_until("PIPELINE_STATE", pid)).texts for pid in pids}
        self.assertEqual(got, {pid: ["p%d" % i] for i, pid in enumerate(pids)})


class HostTest(PsrpTestCase):
    def test_read_host_answered(self):
        c, _ = self.pool()
        pid = c.start([pc.command("$name = Read-Host -Prompt 'Who'\nWrite-Output $name")], has_host=True)
        calls = c.receive_until("PIPELINE_HOST_CALL", pid)
        calls = [m for m in calls if m[0] == "PIPELINE_HOST_CALL"]
        methods = [m[2].findtext("MS/Obj[@N='mi']/ToString") for m in calls]
        while "ReadLine" not in methods:
            more = [m for m in c.receive_until("PIPELINE_HOST_CALL", pid) if m[0] == "PIPELINE_HOST_CALL"]
            calls += more
            methods += [m[2].findtext("MS/Obj[@N='mi']/ToString") for m in more]
        self.assertEqual(methods, ["Write2", "ReadLine"])
        self.assertEqual(calls[0][2].findtext("MS/Obj[@N='mp']/LST/S"), "Who: ")
        ci = calls[1][2].findtext("MS/I64[@N='ci']")
        resp = ('<Obj RefId="0"><MS><S N="mr">Alice</S><I64 N="ci">%s</I64><Obj N="mi" RefId="1"><TN RefId="0">'
                '<T>System.Management.Automation.Remoting.RemoteHostMethodId</T>%s</TN><ToString>ReadLine'
                '</ToString><I32>11</I32></Obj></MS></Obj>' % (ci, pc.ENUM))
        r = c.send(c.fragments([pc.message("PIPELINE_HOST_RESPONSE", c.id, pid, resp)]), pid, stream="pr")
        self.assertEqual(r.status, 200, r.body)
        res = pc.Result(c.receive_until("PIPELINE_STATE", pid))
        self.assertEqual(res.texts, ["Alice"])

    def test_pool_host_answers_for_pipelines_without_one(self):
        c, _ = self.pool(has_host=True)
        pid = c.start([pc.command("Read-Host")])     # the pipeline uses the runspace pool's host
        calls = [m for m in c.receive_until("RUNSPACEPOOL_HOST_CALL") if m[0] == "RUNSPACEPOOL_HOST_CALL"]
        self.assertEqual(calls[-1][2].findtext("MS/Obj[@N='mi']/ToString"), "ReadLine")
        ci = calls[-1][2].findtext("MS/I64[@N='ci']")
        resp = ('<Obj RefId="0"><MS><S N="mr">from the pool host</S><I64 N="ci">%s</I64></MS></Obj>' % ci)
        c.send_pool("RUNSPACEPOOL_HOST_RESPONSE", resp)
        self.assertEqual(pc.Result(c.receive_until("PIPELINE_STATE", pid)).texts, ["from the pool host"])

    RAW_UI_HOST = ('<Obj N="HostInfo" RefId="90"><MS><Obj N="_hostDefaultData" RefId="91"><MS><Obj N="data" '
                   'RefId="92"><TN RefId="9"><T>System.Collections.Hashtable</T><T>System.Object</T></TN><DCT>'
                   '<En><I32 N="Key">0</I32><Obj N="Value" RefId="93"><MS><S N="T">System.ConsoleColor</S>'
                   '<I32 N="V">15</I32></MS></Obj></En>'
                   '<En><I32 N="Key">9</I32><Obj N="Value" RefId="94"><MS><S N="T">System.String</S>'
                   '<S N="V">sim window</S></MS></Obj></En></DCT></Obj></MS></Obj>'
                   '<B N="_isHostNull">false</B><B N="_isHostUINull">false</B><B N="_isHostRawUINull">false</B>'
                   '<B N="_useRunspaceHost">false</B></MS></Obj>')

    def test_raw_ui_from_host_default_data(self):
        """Reads come from HostDefaultData (no host call), a set is a void Set* call and changes what is read."""
        c, _ = self.pool()
        r = c.run("$host.UI.RawUI.WindowTitle\n$host.UI.RawUI.ForegroundColor\n"
                  "$host.UI.RawUI.ForegroundColor = 'Green'\n$host.UI.RawUI.ForegroundColor\n"
                  "$c = New-Object -TypeName System.Management.Automation.Host.Coordinates -ArgumentList 3, 4\n"
                  "$host.UI.RawUI.CursorPosition = $c", has_host=self.RAW_UI_HOST)
        self.assertEqual(r.state, 4, r.reason)
        out = r.of("PIPELINE_OUTPUT")
        self.assertEqual(out[0].text, "sim window")
        self.assertEqual([o.findtext("ToString") for o in out[1:]], ["White", "Green"])
        self.assertEqual(out[1].findtext("I32"), "15")
        calls = r.of("PIPELINE_HOST_CALL")
        self.assertEqual([(x.findtext("MS/Obj[@N='mi']/ToString"), x.findtext("MS/I64[@N='ci']")) for x in calls],
                         [("SetForegroundColor", "-100"), ("SetCursorPosition", "-100")])
        self.assertEqual(calls[0].findtext("MS/Obj[@N='mp']/LST/I32"), "10")
        self.assertEqual([calls[1].findtext("MS/Obj[@N='mp']/LST/Obj/MS/I32[@N='%s']" % k) for k in "xy"],
                         ["3", "4"])

    def test_raw_ui_missing_property_is_a_host_call(self):
        c, _ = self.pool()
        pid = c.start([pc.command("$host.UI.RawUI.BufferSize")], has_host=self.RAW_UI_HOST)
        calls = [m for m in c.receive_until("PIPELINE_HOST_CALL", pid) if m[0] == "PIPELINE_HOST_CALL"]
        self.assertEqual(calls[-1][2].findtext("MS/Obj[@N='mi']/ToString"), "GetBufferSize")
        ci = calls[-1][2].findtext("MS/I64[@N='ci']")
        resp = ('<Obj RefId="0"><MS><Obj N="mr" RefId="1"><MS><I32 N="width">90</I32><I32 N="height">900</I32>'
                '</MS></Obj><I64 N="ci">%s</I64></MS></Obj>' % ci)
        r = c.send(c.fragments([pc.message("PIPELINE_HOST_RESPONSE", c.id, pid, resp)]), pid, stream="pr")
        self.assertEqual(r.status, 200, r.body)
        res = pc.Result(c.receive_until("PIPELINE_STATE", pid))
        self.assertEqual(res.of("PIPELINE_OUTPUT")[0].findtext("ToString"), "90,900")

    def test_raw_ui_without_raw_ui_fails(self):
        c, _ = self.pool()
        r = c.run("$host.UI.RawUI.WindowTitle", has_host=self.RAW_UI_HOST.replace(
            '<B N="_isHostRawUINull">false</B>', '<B N="_isHostRawUINull">true</B>'))
        self.assertEqual(r.state, 5)
        self.assertIn("not implemented", r.reason)

    def test_read_host_without_host_fails(self):
        c, _ = self.pool()
        r = c.run("Read-Host")
        self.assertEqual(r.state, 5)
        self.assertIn("NonInteractive mode", r.reason)

    def test_write_host(self):
        c, _ = self.pool()
        r = c.run("Write-Host 'hello'", has_host=True)
        call = r.of("PIPELINE_HOST_CALL")[0]
        self.assertEqual((call.findtext("MS/Obj[@N='mi']/ToString"), call.findtext("MS/I64[@N='ci']")),
                         ("WriteLine2", "-100"))
        info = r.of("INFORMATION_RECORD")[0]
        self.assertEqual(info.findtext("MS/Obj[@N='MessageData']/ToString"), "hello")
        self.assertEqual(info.findtext("MS/Obj[@N='Tags']/LST/S"), "PSHOST")


class SizeTest(PsrpTestCase):
    SIM_ARGS = ("--max-envelope-kb", "32")

    def test_small_envelopes_fragment_both_ways(self):
        c, _ = self.pool(max_env=8192)
        big_in = "y" * 50000
        r = c.run("$input", inputs=["<S>%s</S>" % big_in], max_blob=3000)
        self.assertEqual(r.texts, [big_in])
        pid = c.start([pc.command("New-SimString -Length 100000 -Count 2")])
        msgs, replies = [], 0
        while not any(m[0] == "PIPELINE_STATE" for m in msgs):
            resp = c.receive(pid)
            self.assertEqual(resp.status, 200, resp.body[:300])
            self.assertLessEqual(len(resp.body), 8192)
            msgs += c.parse(resp)[0]
            replies += 1
        self.assertEqual([m[2].text for m in msgs if m[0] == "PIPELINE_OUTPUT"], ["x" * 100000] * 2)
        self.assertGreater(replies, 30)

    def test_ten_megabytes_in_and_out(self):
        c, _ = self.pool(max_env=32768)
        chunk = "z" * 100000
        pid = c.start([pc.command("$input | Measure-Object")], no_input=False)
        for _ in range(10):
            c.send_input(pid, ["<S>%s</S>" % chunk] * 10, end=False, max_blob=20000)
        c.send_input(pid, [], end=True)
        res = pc.Result(c.receive_until("PIPELINE_STATE", pid))
        self.assertEqual(res.output[0].findtext("Props/I32[@N='Count']"), "100")
        res = c.run("New-SimString -Length 1000000 -Count 10")
        self.assertEqual([len(t) for t in res.texts], [1000000] * 10)


class JeaTest(PsrpTestCase):
    SIM_ARGS = ("--ps-config", "Ops=Get-Service,Write-Output")

    def test_default_jea_role(self):
        c, _ = self.pool(uri=pc.PSH + "/JEARole")
        r = c.run(commands=[pc.command("Get-Service", False, [("Name", "WinRM")])])
        self.assertEqual(r.output[0].findtext("Props/S[@N='ServiceName']"), "WinRM")
        r = c.run("Get-Service")
        self.assertEqual((r.state, r.reason), (5, NO_LANGUAGE))
        r = c.run(commands=[pc.command("Write-Host", False, [(None, "x")])])
        self.assertIn("The term 'Write-Host' is not recognized", r.strings("ERROR_RECORD")[0])

    def test_configured_role(self):
        c, _ = self.pool(uri=pc.PSH + "/Ops")
        r = c.run(commands=[pc.command("Write-Output", False, [(None, "ok")])])
        self.assertEqual(r.texts, ["ok"])
        r = c.run(commands=[pc.command("Get-Process", False, [])])
        self.assertIn("The term 'Get-Process' is not recognized", r.strings("ERROR_RECORD")[0])


COPY = "#lua-wsman:copy\n"
FETCH = "#lua-wsman:fetch\n"


class TransferTest(PsrpTestCase):
    def copy(self, c, data, path, chunk=65536, expand=False, digest=None):
        pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        digest = digest or hashlib.sha1(data).hexdigest()
        inputs = ["<S>%s</S>" % base64.b64encode(p).decode() for p in pieces]
        inputs.append("<S>%s</S>" % base64.b64encode(digest.encode()).decode())
        return c.run(commands=[pc.command(COPY, True, [(None, path), (None, expand)])], inputs=inputs)

    def fetch(self, c, path, chunk=None, expand=False):
        params = [(None, path), (None, expand)] + ([(None, chunk)] if chunk else [])
        return c.run(commands=[pc.command(FETCH, True, params)])

    def local(self, *parts):
        return os.path.join(self.sandbox, "C", *parts)

    def test_copy_sizes_and_fetch_back(self):
        c, _ = self.pool()
        for size in (0, 1, 65536, 200001):
            data = os.urandom(size)
            r = self.copy(c, data, "file%d.bin" % size)
            self.assertEqual((r.state, r.texts), (4, ["C:\\Users\\testuser\\Documents\\file%d.bin" % size]),
                             r.reason)
            with open(self.local("Users", "testuser", "Documents", "file%d.bin" % size), "rb") as fh:
                self.assertEqual(fh.read(), data)
            r = self.fetch(c, "C:\\Users\\testuser\\Documents\\FILE%d.BIN" % size, chunk=50000)
            got = b"".join(base64.b64decode(t) for t in r.texts[:-1])
            self.assertEqual((got, r.texts[-1]), (data, hashlib.sha1(data).hexdigest()))
            self.assertEqual(len(r.texts) - 1, max(1, -(-size // 50000)) if size else 0)

    def test_copy_hash_mismatch_leaves_no_file(self):
        c, _ = self.pool()
        r = self.copy(c, b"abc", "bad.txt", digest="0" * 40)
        self.assertEqual(r.state, 5)
        self.assertEqual(r.reason, "Transport failure, hash mismatch\r\nActual: %s\r\nExpected: %s"
                         % (hashlib.sha1(b"abc").hexdigest(), "0" * 40))
        self.assertFalse(os.path.exists(self.local("Users", "testuser", "Documents", "bad.txt")))
        self.assertEqual([f for f in os.listdir(self.sandbox) if f.startswith(".upload")], [])

    def test_copy_errors(self):
        c, _ = self.pool()
        r = self.copy(c, b"x", "C:\\Windows")
        self.assertEqual(r.reason, 'Exception calling "Delete" with "1" argument(s): "Access to the path '
                                   '\'C:\\Windows\' is denied."')
        r = self.copy(c, b"x", "C:\\nodir\\f.txt")
        self.assertRegex(r.reason, r'^Exception calling "Create" with "1" argument\(s\): "Could not find a part of '
                                   r"the path 'C:\\nodir\\\.lua-wsman-[0-9a-f]{32}\.part'\.\"$")
        r = self.copy(c, b"x", "C:\\Windows\\f.txt")
        self.assertRegex(r.reason, r"Access to the path 'C:\\Windows\\\.lua-wsman-[0-9a-f]{32}\.part' is denied")
        self.assertEqual([f for f in os.listdir(self.local("Users", "testuser", "Documents"))
                          if f.startswith(".lua-wsman")], [])

    def test_expand_variables(self):
        c, _ = self.pool()
        r = self.copy(c, b"tmp", "%TEMP%\\t.txt", expand=True)
        self.assertEqual(r.texts, ["C:\\Users\\testuser\\AppData\\Local\\Temp\\t.txt"])
        r = self.fetch(c, "%TEMP%\\t.txt", expand=True)
        self.assertEqual(base64.b64decode(r.texts[0]), b"tmp")

    def test_fetch_errors(self):
        c, _ = self.pool()
        r = self.fetch(c, "C:\\Windows")
        self.assertEqual((r.state, r.reason), (5, "The path at 'C:\\Windows' is a directory, src must be a file"))
        r = self.fetch(c, "C:\\fakefile.txt")
        self.assertEqual(r.reason, "The path at 'C:\\fakefile.txt' does not exist")

    def test_recorded_pypsrp_scripts_are_recognised(self):
        from simtest import CAPTURES
        path = os.path.join(CAPTURES, "test_client_fetch_file_fail_missing.yml")
        if not os.path.exists(path):
            self.skipTest("the recordings are not at %s" % CAPTURES)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        args = re.search(r"<rsp:Arguments>([^<]*)<", text).group(1)
        blob = base64.b64decode(args)[21:]
        script = re.search(r'<S N="Cmd">(.*?)</S>', blob[40:].decode("utf-8")).group(1)
        script = script.replace("_x000A_", "\n").replace("&quot;", '"').replace("&apos;", "'")
        c, _ = self.pool()
        r = c.run(commands=[pc.command(script, True, [(None, "C:\\fakefile.txt"), (None, False)])])
        self.assertEqual(r.reason, "The path at 'C:\\fakefile.txt' does not exist")
        self.assertIsNotNone(uuid.UUID(c.id))


if __name__ == "__main__":
    unittest.main()
