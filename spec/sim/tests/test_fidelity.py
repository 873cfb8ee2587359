#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Replies compared byte for byte with real Windows recordings (only MessageIDs and Machine differ)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import Sim  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim import replay  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def normalise(text):
    text = re.sub(r"uuid:[0-9A-F-]{36}", "uuid:X", text)
    return re.sub(r'Machine="[^"]*"', 'Machine="M"', text)


class FidelityTest(unittest.TestCase):
    def exchange(self, recording, index, *args, allow_unencrypted=True):
        msg = replay.load(os.path.join(FIXTURES, recording))[index]
        sim = Sim(*args, allow_unencrypted=allow_unencrypted)
        self.addCleanup(sim.stop)
        c = sim.client()
        self.addCleanup(c.close)
        r = c.post(msg["request"])
        return msg, r

    def test_winrm_config_get_is_identical(self):
        # The recorded host: MaxEnvelopeSizekb 4096, Basic/Kerberos/Negotiate/CredSSP, HTTPS only.
        msg, r = self.exchange("test_wsman_update_envelope_size_4096.yml", 0, "--tls", "--max-envelope-kb", "4096",
                               "--auth", "basic,negotiate,kerberos,credssp", "--enum-timeout", "240000",
                               "--max-shells-per-user", "2147483647",
                               allow_unencrypted=False)
        self.assertEqual(r.status, 200)
        self.assertEqual(normalise(r.body.decode()), normalise(msg["response"]))

    def test_invalid_timeout_fault_is_identical(self):
        msg, r = self.exchange("test_psrp_is_alive_other_wsman_error.yml", 3)
        self.assertEqual(r.status, msg["transport_error"]["code"])
        self.assertEqual(normalise(r.body.decode()), normalise(msg["response"]))


if __name__ == "__main__":
    unittest.main()
