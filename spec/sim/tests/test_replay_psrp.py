#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""--replay of every PowerShell Remoting recording (test_psrp_*, test_client_copy_*, test_client_fetch_*),
driven by the recorded requests with every client-chosen ID replaced by a fresh one (ShellId, CommandId,
RPID/PID in the PSRP message headers) and a freshly generated RSA public key: the replies must be the
recorded ones with the client's IDs in place of the recorded ones, and the session key must decrypt
with the new private key. The ID handling here is the test's own (not the simulator's)."""

import base64
import glob
import http.client
import os
import re
import struct
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CAPTURES, Sim  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim import replay  # noqa: E402
from winrmsim.faults import WSManFault  # noqa: E402

GUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
B64 = re.compile(r"(<((?:\w+:)?(?:creationXml|connectXml|connectResponseXml|Arguments|Stream))\b[^>]*>)"
                 r"([A-Za-z0-9+/=]*)(</\2>)")
PUBLIC_KEY, ENCRYPTED_SESSION_KEY = 0x00010005, 0x00010006
NAMES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(CAPTURES, "test_psrp_*.yml"))
               + glob.glob(os.path.join(CAPTURES, "test_client_copy_*.yml"))
               + glob.glob(os.path.join(CAPTURES, "test_client_fetch_*.yml")))


def frags(data):
    """PSRP fragments, or [] when the bytes are not fragments (a WinRS command's plain output)."""
    out, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 21:
            return []
        oid, fid, flags, size = struct.unpack_from(">QQBI", data, pos)
        out.append([oid, fid, flags, data[pos + 21:pos + 21 + size]])
        pos += 21 + size
    return out


def pack(fs):
    return b"".join(struct.pack(">QQBI", o, f, fl, len(b)) + b for o, f, fl, b in fs)


def new_keypair():
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = key.public_key().public_numbers()
    blob = struct.pack("<BBHI4sII", 6, 2, 0, 0xA400, b"RSA1", 2048, nums.e) + nums.n.to_bytes(256, "little")
    return key, blob


class Swap:
    """A GUID mapping applied to envelope text and to PSRP fragment bytes (both case forms, and the
    little-endian byte form of message headers)."""

    def __init__(self, pairs):
        self.text = {}
        self.raw = []
        for old, new in pairs.items():
            for a, b in ((old.upper(), new.upper()), (old.lower(), new.lower())):
                self.text[a] = b
                self.raw.append((a.encode(), b.encode()))
            self.raw.append((uuid.UUID(old).bytes_le, uuid.UUID(new).bytes_le))

    def blob(self, data):
        for a, b in self.raw:
            data = data.replace(a, b)
        return data

    def envelope(self, text, special=None):
        def element(m):
            fs = frags(base64.b64decode(m.group(3)))
            if not fs:
                return m.group(0)
            for f in fs:
                f[3] = self.blob(f[3])
                if special:
                    special(f)
            return m.group(1) + base64.b64encode(pack(fs)).decode() + m.group(4)
        text = B64.sub(element, text)
        return GUID.sub(lambda m: self.text.get(m.group(0), m.group(0)), text)


def client_ids(messages):
    """Every ID a client chooses in a recording -> a fresh one."""
    found = set()
    for m in messages:
        req = m["request"]
        # the ShellId of a Create and the CommandId of a Command are the client's when it sends them
        # (protocol 2.1 hosts ignore them and choose their own, which the client then uses)
        found.update(re.findall(r'<rsp:(?:Shell ShellId|CommandLine CommandId)="([^"]+)"', req))
        for el in B64.finditer(req):
            for f in frags(base64.b64decode(el.group(3))):
                if f[2] & 1 and len(f[3]) >= 40:
                    found.add(str(uuid.UUID(bytes_le=f[3][8:24])).upper())
                    found.add(str(uuid.UUID(bytes_le=f[3][24:40])).upper())
    found.discard("00000000-0000-0000-0000-000000000000")
    return {g.upper(): str(uuid.uuid4()).upper() for g in found}


def relates(text):
    return re.sub(r"<a:RelatesTo>[^<]*</a:RelatesTo>", "<a:RelatesTo/>", text)


@unittest.skipUnless(NAMES, "the recordings are not at %s" % CAPTURES)
class PsrpReplayTest(unittest.TestCase):
    maxDiff = 2000

    def replay(self, name):
        path = os.path.join(CAPTURES, name)
        messages = replay.load(path)
        ids = client_ids(messages)
        forward, back = Swap(ids), Swap({v: k for k, v in ids.items()})
        key, public_blob = new_keypair()

        def own_key(f):
            if f[2] & 1 and len(f[3]) >= 40 and struct.unpack_from("<I", f[3], 4)[0] == PUBLIC_KEY:
                f[3] = f[3][:40] + ('<Obj RefId="0"><MS><S N="PublicKey">%s</S></MS></Obj>'
                                    % base64.b64encode(public_blob).decode()).encode()
        session_keys = []

        def is_session_key(f):
            return f[2] & 1 and len(f[3]) >= 40 and struct.unpack_from("<I", f[3], 4)[0] == ENCRYPTED_SESSION_KEY

        def session_key(f):
            if is_session_key(f):
                from cryptography.hazmat.primitives.asymmetric import padding
                data = f[3][40:].decode("utf-8-sig")
                blob = base64.b64decode(re.search(r'N="EncryptedSessionKey">([^<]*)<', data).group(1))
                self.assertEqual(blob[:12], b"\x01\x02\x00\x00\x10\x66\x00\x00\x00\xa4\x00\x00")
                session_keys.append(key.decrypt(blob[12:][::-1], padding.PKCS1v15()))
                f[3] = f[3][:40] + b"(session key)"

        def recorded_key(f):
            if is_session_key(f):
                f[3] = f[3][:40] + b"(session key)"

        sim = Sim("--replay", path)
        self.addCleanup(sim.stop)
        c = sim.client()
        for i, m in enumerate(messages):
            req = forward.envelope(m["request"], own_key)
            try:
                r = c.post(req)
            except (http.client.RemoteDisconnected, ConnectionError):
                self.assertTrue(m.get("http_error"), "%s message %d: connection closed" % (name, i))
                c.close()
                c = sim.client()
                continue
            self.assertFalse(m.get("http_error"), "%s message %d was answered" % (name, i))
            want_status = (m.get("transport_error") or {}).get("code") or (
                500 if "<s:Fault>" in (m.get("response") or "") else 200)
            self.assertEqual(r.status, want_status, "%s message %d: %s" % (name, i, r.body[:600]))
            if m.get("response") is None:
                continue
            got = Swap({}).envelope(r.body.decode(), session_key)
            want = forward.envelope(m["response"], recorded_key)
            self.assertEqual(relates(got), relates(want), "%s message %d" % (name, i))
            self.assertEqual(relates(back.envelope(got)), relates(Swap({}).envelope(m["response"], recorded_key)))
            self.assertEqual(r.text("s:Header/a:RelatesTo"),
                             re.search(r"<wsa:MessageID>([^<]*)<", req).group(1))
        self.assertEqual(c.stats()["ReplayRemaining"], 0)
        c.close()
        for k in session_keys:
            self.assertEqual(len(k), 32)

    def test_every_recording(self):
        for name in NAMES:
            with self.subTest(recording=name):
                self.replay(name)

    def open_runspace(self):
        """A client of a replay of test_psrp_open_runspace.yml, and the recorded messages."""
        path = os.path.join(CAPTURES, "test_psrp_open_runspace.yml")
        sim = Sim("--replay", path)
        self.addCleanup(sim.stop)
        c = sim.client()
        self.addCleanup(c.close)
        return c, replay.load(path)

    def test_wrong_psrp_message_is_refused(self):
        c, messages = self.open_runspace()
        # the Create without its INIT_RUNSPACEPOOL message
        req = B64.sub(lambda m: m.group(1) + base64.b64encode(pack(frags(base64.b64decode(m.group(3)))[:1]))
                      .decode() + m.group(4), messages[0]["request"])
        r = c.post(req)
        self.assertEqual(r.status, 500)
        self.assertIn("expects the PSRP messages SESSION_CAPABILITY INIT_RUNSPACEPOOL here (message 1), not "
                      "SESSION_CAPABILITY", r.body.decode())
        self.assertEqual(c.post(messages[0]["request"]).status, 200)   # the message was not consumed

    def test_wrong_resource_uri_is_refused(self):
        c, messages = self.open_runspace()
        r = c.post(messages[0]["request"].replace("/Microsoft.PowerShell<", "/JEARole<"))
        self.assertEqual(r.status, 500)
        self.assertIn("expects resource URI http://schemas.microsoft.com/powershell/Microsoft.PowerShell here",
                      r.body.decode())


class ReconnectSkipTest(unittest.TestCase):
    """A recorded Reconnect the client does not send is skipped only before the request the client sends."""
    SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"

    def message(self, action):
        return {"request": "<s:Envelope><s:Header><wsa:Action>%s</wsa:Action></s:Header></s:Envelope>" % action,
                "response": "<s:Envelope/>"}

    def test_skip(self):
        delete = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
        r = replay.Replayer([self.message(self.SHELL + "Reconnect"), self.message(delete),
                             self.message(self.SHELL + "Reconnect"), self.message(delete)])
        self.assertEqual(r.next(delete)[1], 1)
        self.assertEqual(r.next(self.SHELL + "Reconnect")[1], 2)   # sent: served as recorded
        self.assertEqual(r.next(delete)[1], 3)
        self.assertEqual(r.remaining(), 0)

    def test_no_skip_before_another_request(self):
        r = replay.Replayer([self.message(self.SHELL + "Reconnect"), self.message(self.SHELL + "Receive")])
        with self.assertRaises(WSManFault) as ctx:
            r.next(self.SHELL + "Send")
        self.assertIn("expects a request with action %sReconnect here (message 1)" % self.SHELL, str(ctx.exception))
        self.assertEqual(r.remaining(), 2)


if __name__ == "__main__":
    unittest.main()
