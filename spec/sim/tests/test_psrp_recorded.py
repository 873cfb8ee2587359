#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The PowerShell plug-in (not the replay) against real Windows recordings: the recorded requests of some
test_psrp_* files are sent to the live plug-in, and the PSRP messages it answers are compared with the
recorded ones per stream (pool, each pipeline): message types in order, output values, record texts,
pipeline and runspace states. Windows' first-use progress record ("Preparing modules for first use.") is
not emulated and is left out of the recorded side."""

import base64
import os
import re
import struct
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CAPTURES, Sim  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim import replay  # noqa: E402   (the YAML reader only)

TIMED_OUT = 2150858793
STREAM = re.compile(r'<rsp:Stream Name="stdout"(?: CommandId="([^"]+)")?>([^<]*)</rsp:Stream>')
NAMES = {0x00010002: "SESSION_CAPABILITY", 0x00021009: "APPLICATION_PRIVATE_DATA",
         0x00021005: "RUNSPACEPOOL_STATE", 0x00041004: "PIPELINE_OUTPUT", 0x00041005: "ERROR_RECORD",
         0x00041006: "PIPELINE_STATE", 0x00041007: "DEBUG_RECORD", 0x00041008: "VERBOSE_RECORD",
         0x00041009: "WARNING_RECORD", 0x00041010: "PROGRESS_RECORD", 0x00041011: "INFORMATION_RECORD",
         0x00021004: "RUNSPACE_AVAILABILITY", 0x00041100: "PIPELINE_HOST_CALL"}


class Streams:
    """Reassembled server messages per stream key ('' = the pool, else the CommandId)."""

    def __init__(self):
        self.partial = {}
        self.msgs = {}

    def feed(self, xml):
        for cid, b64 in STREAM.findall(xml):
            data, pos = base64.b64decode(b64), 0
            while pos < len(data):
                oid, fid, flags, size = struct.unpack_from(">QQBI", data, pos)
                blob = data[pos + 21:pos + 21 + size]
                pos += 21 + size
                key = (cid.upper(), oid)
                self.partial[key] = (b"" if flags & 1 else self.partial.get(key, b"")) + blob
                if flags & 2:
                    self.add(cid.upper(), self.partial.pop(key))

    def add(self, cid, msg):
        mtype = NAMES.get(struct.unpack_from("<I", msg, 4)[0], "other")
        text = msg[40:].decode("utf-8-sig")
        if mtype == "PROGRESS_RECORD" and "Preparing modules for first use." in text:
            return
        self.msgs.setdefault(cid, []).append((mtype, summary(mtype, text)))

    def count(self, cid):
        return len(self.msgs.get(cid.upper(), []))


def summary(mtype, text):
    """What must match: output values, record texts, states (not every property of every object)."""
    root = ET.fromstring(text) if text.strip() else None
    if mtype == "PIPELINE_OUTPUT":
        return (root.tag, root.text if root.tag != "Obj" else root.findtext("ToString"))
    if mtype in ("ERROR_RECORD", "DEBUG_RECORD", "VERBOSE_RECORD", "WARNING_RECORD"):
        return root.findtext("ToString")
    if mtype == "INFORMATION_RECORD":
        return root.findtext("MS/S[@N='MessageData']")
    if mtype == "PIPELINE_STATE":
        return (root.findtext("MS/I32[@N='PipelineState']"),
                root.findtext("MS/Obj[@N='ExceptionAsErrorRecord']/ToString"))
    if mtype == "RUNSPACEPOOL_STATE":
        return root.findtext("MS/I32[@N='RunspaceState']")
    if mtype == "SESSION_CAPABILITY":
        return root.findtext("MS/Version[@N='protocolversion']")
    return None


def action(xml):
    return re.search(r"Action[^>]*>([^<]*)<", xml).group(1).rsplit("/", 1)[-1]


@unittest.skipUnless(os.path.isdir(CAPTURES), "the recordings are not at %s" % CAPTURES)
class RecordedScenarioTest(unittest.TestCase):
    maxDiff = None

    def scenario(self, name, *sim_args):
        messages = replay.load(os.path.join(CAPTURES, name))
        sim = Sim(*sim_args)
        self.addCleanup(sim.stop)
        c = sim.client()
        self.addCleanup(c.close)
        want, got = Streams(), Streams()
        ids = {}
        for m in messages:
            req = re.sub(r"<wsa:To>[^<]*</wsa:To>", "<wsa:To>%s</wsa:To>" % sim.url, m["request"])
            req = re.sub(r"<wsman:OperationTimeout>[^<]*<", "<wsman:OperationTimeout>PT5S<", req)
            for old, new in ids.items():
                req = req.replace(old, new)
            if m.get("response"):
                want.feed(m["response"])
            kind = action(req)
            if kind == "Receive":
                recorded = (re.search(r'DesiredStream CommandId="([^"]+)"', m["request"]) or [None, ""])[1]
                cid = ids.get(recorded, recorded).upper()
                while got.count(cid) < want.count(recorded):
                    r = c.post(req)
                    if r.status == 500 and r.wsman_code == TIMED_OUT:
                        continue      # nothing yet (a long-running command): Receive again
                    self.assertEqual(r.status, 200, "%s: %s" % (name, r.body[-900:]))
                    got.feed(r.body.decode())
                continue
            r = c.post(req)
            self.assertEqual(r.status, 200, "%s %s: %s" % (name, kind, r.body[:600]))
            body = r.body.decode()
            # the host's ShellId (selector of ResourceCreated; older hosts choose their own) and CommandId
            for pattern in (r'Selector Name="ShellId">([^<]*)<', r"<rsp:CommandId>([^<]*)<"):
                mine = re.search(pattern, body)
                theirs = re.search(pattern, m.get("response") or "")
                if mine and theirs and mine.group(1) != theirs.group(1):
                    ids[theirs.group(1)] = mine.group(1)
        back = {v.upper(): k.upper() for k, v in ids.items()}
        return want.msgs, {back.get(k, k): v for k, v in got.msgs.items()}

    def check(self, name, *sim_args):
        want, got = self.scenario(name, *sim_args)
        self.assertEqual(got, want, name)

    def test_open_runspace(self):
        self.check("test_psrp_open_runspace.yml")

    def test_with_input_begin_process_end(self):
        self.check("test_psrp_with_input.yml")

    def test_error_action_stop(self):
        self.check("test_psrp_error_failed.yml")

    def test_every_stream(self):
        self.check("test_psrp_stream_output_invocation.yml")

    def test_protocol_versions(self):
        for v in ("2.1", "2.2", "2.3"):
            with self.subTest(version=v):
                self.check("test_psrp_run_protocol_version_%s.yml" % v, "--ps-protocol", v)

    def test_echo(self):
        self.check("test_psrp_clear_commands.yml")

    def test_merged_streams(self):
        self.check("test_psrp_merge_commands.yml")

    def test_no_output_invocation(self):
        self.check("test_psrp_stream_no_output_invocation.yml")

    def test_runspace_counts(self):
        self.check("test_psrp_set_runspaces.yml")

    def test_history_and_reset(self):
        for name in ("test_psrp_with_history.yml", "test_psrp_with_no_history.yml",
                     "test_psrp_reset_runspace_state.yml"):
            with self.subTest(recording=name):
                self.check(name)

    def test_disconnected_commands_connect_again(self):
        self.check("test_psrp_disconnected_commands.yml")

    def test_long_running_cmdlet(self):
        self.check("test_psrp_long_running_cmdlet.yml")


if __name__ == "__main__":
    unittest.main()
