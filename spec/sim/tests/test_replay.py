#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""--replay: real Windows recordings served in order (responses, HTTP 500 faults, dropped connections)."""

import glob
import http.client
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CAPTURES, CONTROL, Sim  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim import replay  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class YamlReaderTest(unittest.TestCase):
    def test_reads_every_recording(self):
        files = glob.glob(os.path.join(FIXTURES, "*.yml")) + glob.glob(os.path.join(CAPTURES, "test_*.yml"))
        self.assertTrue(files)
        for path in files:
            msgs = replay.load(path)
            self.assertTrue(msgs, path)
            for m in msgs:
                self.assertTrue(m["request"].startswith("<s:Envelope"), path)
                if m.get("response") is not None:
                    self.assertTrue(m["response"].startswith("<s:Envelope"), path)

    def test_nested_and_quoted_values(self):
        msgs = replay.parse("messages:\n- request: <a/>\n  response: '<b x=''1''/>'\n  transport_error:\n"
                            "    protocol: http\n    code: 500\n  timeout: 0  # comment\n- request: <c\n    d/>\n"
                            "  http_error: yes\n")
        self.assertEqual(msgs[0]["response"], "<b x='1'/>")
        self.assertEqual(msgs[0]["transport_error"], {"protocol": "http", "code": 500})
        self.assertEqual(msgs[0]["timeout"], 0)
        self.assertEqual(msgs[1]["request"], "<c d/>")
        self.assertIs(msgs[1]["http_error"], True)


class ReplayTest(unittest.TestCase):
    def run_file(self, name):
        path = os.path.join(FIXTURES, name)
        msgs = replay.load(path)
        sim = Sim("--replay", path)
        self.addCleanup(sim.stop)
        return sim, msgs

    def test_envelope_size_4096(self):
        sim, msgs = self.run_file("test_wsman_update_envelope_size_4096.yml")
        c = sim.client()
        r = c.post(msgs[0]["request"])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body.decode(), msgs[0]["response"])
        self.assertEqual(r.find("s:Body/{http://schemas.microsoft.com/wbem/wsman/1/config}Config/"
                                "{http://schemas.microsoft.com/wbem/wsman/1/config}MaxEnvelopeSizekb").text, "4096")
        # Control requests do not consume recorded messages; past the end the simulator faults.
        self.assertEqual(c.get(CONTROL).status, 200)
        r = c.post(msgs[0]["request"])
        self.assertEqual(r.status, 500)
        c.close()

    def test_relates_to_follows_request(self):
        sim, msgs = self.run_file("test_wsman_update_envelope_size_4096.yml")
        c = sim.client()
        req = msgs[0]["request"].replace("uuid:19BB0C7B-013F-4BED-A95B-765900F5D92A",
                                         "uuid:00000000-0000-0000-0000-000000000001")
        r = c.post(req)
        self.assertEqual(r.text("s:Header/a:RelatesTo"), "uuid:00000000-0000-0000-0000-000000000001")
        c.close()

    def test_transport_error_500(self):
        sim, msgs = self.run_file("test_psrp_is_alive_other_wsman_error.yml")
        c = sim.client()
        statuses = []
        for m in msgs:
            r = c.post(m["request"])
            statuses.append(r.status)
            if m.get("response"):
                self.assertEqual(r.body.decode().replace(r.text("s:Header/a:RelatesTo") or "", ""),
                                 replay.Replayer.response_text(m, "").replace(r.text("s:Header/a:RelatesTo") or "",
                                                                                ""))
        self.assertEqual(statuses, [200, 200, 200, 500, 200])
        c.close()

    def test_timeout_delays_the_reply(self):
        msgs = replay.load(os.path.join(FIXTURES, "test_wsman_update_envelope_size_4096.yml"))
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
            fh.write("messages:\n- request: %s\n  response: %s\n  timeout: 0.3\n"
                     % (msgs[0]["request"], msgs[0]["response"]))
        self.addCleanup(os.unlink, fh.name)
        sim = Sim("--replay", fh.name)
        self.addCleanup(sim.stop)
        c = sim.client()
        start = time.monotonic()
        self.assertEqual(c.post(msgs[0]["request"]).status, 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.29)
        c.close()

    def test_http_error_closes_connection(self):
        sim, msgs = self.run_file("test_psrp_is_alive_http_error.yml")
        c = sim.client()
        seen = []
        for m in msgs:
            try:
                seen.append(c.post(m["request"]).status)
            except (http.client.RemoteDisconnected, ConnectionError):
                seen.append("closed")
                c.close()
                c = sim.client()
        self.assertIn("closed", seen)
        self.assertEqual([bool(m.get("http_error")) for m in msgs], [s == "closed" for s in seen])
        c.close()


if __name__ == "__main__":
    unittest.main()
