#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kerberos against a throwaway KDC (spec/kdc/): `Authorization: Kerberos <AP-REQ>`, Kerberos in SPNEGO,
mutual authentication, delegation, IOV message encryption, channel binding. MIT krb5 through python-gssapi
is the client. Skipped with a message when the KDC packages are missing."""

import os
import socket
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CIMV2, CONTROL, T, Response, Sim, envelope  # noqa: E402
import authtest  # noqa: E402
from authtest import KRB5_OID, GssClient, Kdc, need_gssapi  # noqa: E402

SVC = CIMV2 + "Win32_Service"
KDC = None
SAVED_ENV = {}


def setUpModule():
    global KDC
    need_gssapi(KRB5_OID)
    KDC = Kdc("--spn-port", "5985")
    for k, v in KDC.env().items():
        SAVED_ENV[k] = os.environ.get(k)
        os.environ[k] = v


def tearDownModule():
    if KDC is not None:
        KDC.stop()
    for k, v in SAVED_ENV.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def get_xml(sim, name="WinRM"):
    return envelope(sim.url, T + "Get", SVC, [("Name", name)])


def stats(client):
    r = client.post(envelope(client.sim.url, T + "Get", CONTROL))
    root = Response(200, [], client.decrypt(r)).payload
    return {e.tag.rpartition("}")[2]: e.text for e in root}


class KerberosHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--auth", "negotiate,kerberos", "--keytab", KDC.info["KRB5_KTNAME"], allow_unencrypted=False)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def client(self, **kw):
        c = GssClient(self.sim, KRB5_OID, **kw)
        self.addCleanup(c.close)
        return c

    def test_kdc_lines(self):
        for k in ("KDC_DIR", "KRB5_CONFIG", "KRB5_KTNAME", "KRB5CCNAME", "KRB5_CLIENT_KTNAME", "KRB5_REALM"):
            self.assertIn(k, KDC.info)
        self.assertEqual(KDC.info["KRB5_REALM"], "LUA-WSMAN.TEST")
        self.assertIn("kerberos", self.sim.info["gss_mechs"].split(","))

    def check_session(self, c, protocol):
        r = c.handshake()
        self.assertEqual(r.status, 200, r.headers)
        self.assertEqual(len(c.legs), 1)   # one leg: AP-REQ -> 200 + AP-REP
        self.assertTrue(c.ctx.complete)
        self.assertEqual(c.protocol, protocol)
        for name in ("WinRM", "Spooler"):
            r = c.post(get_xml(self.sim, name))
            self.assertEqual(r.status, 200)
            self.assertIn(("<p:Name>%s</p:Name>" % name).encode(), c.decrypt(r))
        r = c.post(get_xml(self.sim, "NoSuchService"))
        self.assertEqual(r.status, 500)
        self.assertEqual(Response(500, [], c.decrypt(r)).wsman_code, 2150858752)

    def test_kerberos_scheme_mutual_auth_and_encryption(self):
        c = self.client(scheme="Kerberos")
        self.check_session(c, authtest.KERBEROS_PROTO)
        (www,) = c.legs[0].header_list("WWW-Authenticate")
        self.assertTrue(www.startswith("Kerberos "))   # the AP-REP in the final 200

    def test_kerberos_in_spnego_under_negotiate(self):
        c = self.client(spnego=True)
        self.check_session(c, authtest.SPNEGO_PROTO)
        (www,) = c.legs[0].header_list("WWW-Authenticate")
        self.assertTrue(www.startswith("Negotiate oY"))   # NegTokenResp [1] with the AP-REP

    def test_raw_kerberos_under_negotiate(self):
        self.check_session(self.client(), authtest.SPNEGO_PROTO)

    def test_spn_variants(self):
        for target in ("HTTP@127.0.0.1", "WSMAN@localhost", "HTTP@localhost:5985"):
            c = self.client(scheme="Kerberos", target=target)
            self.assertEqual(c.handshake().status, 200, target)

    def test_unknown_spn_fails_at_the_client(self):
        # no such principal in the KDC: the client cannot even get a ticket
        c = self.client(scheme="Kerberos", target="HTTP@nohost.invalid")
        with self.assertRaises(authtest.gr.GSSError):
            c.handshake()

    def test_delegation_counted(self):
        c = self.client(delegate=True)
        c.handshake()
        self.assertGreaterEqual(int(stats(c)["Delegations"]), 1)

    def test_plain_soap_refused(self):
        c = self.client()
        c.handshake()
        r = c.post(get_xml(self.sim), encrypt=False)
        self.assertEqual(r.status, 500)
        self.assertEqual(r.body, b"")

    def test_one_handshake_per_connection(self):
        c = self.client()
        c.handshake()
        before = int(stats(c)["Handshakes"])
        for _ in range(10):
            c.decrypt(c.post(get_xml(self.sim)))
        self.assertEqual(int(stats(c)["Handshakes"]), before)

    def test_kinit_helper_into_other_cache(self):
        cache = os.path.join(KDC.info["KDC_DIR"], "other.ccache")
        r = subprocess.run(["/usr/bin/python3", authtest.KDC, "kinit", KDC.info["KDC_DIR"], "--ccache",
                            "FILE:" + cache], input="Passw0rd!\n", text=True, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        old = os.environ["KRB5CCNAME"]
        os.environ["KRB5CCNAME"] = "FILE:" + cache
        try:
            self.assertEqual(self.client(scheme="Kerberos").handshake().status, 200)
        finally:
            os.environ["KRB5CCNAME"] = old


class KerberosRequireAuthorizationTest(unittest.TestCase):
    """--require-authorization (OMI): the AP-REQ in the first request completes the handshake, no 401."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--auth", "negotiate,kerberos", "--keytab", KDC.info["KRB5_KTNAME"], "--require-authorization",
                      allow_unencrypted=False)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_first_leg_completes_without_401(self):
        for scheme in ("Kerberos", "Negotiate"):
            c = GssClient(self.sim, KRB5_OID, scheme=scheme, spnego=scheme == "Negotiate")
            self.addCleanup(c.close)
            r = c.handshake()
            self.assertEqual(r.status, 200, r.headers)
            self.assertEqual([leg.status for leg in c.legs], [200])
            r = c.post(get_xml(self.sim, "Spooler"))
            self.assertEqual(r.status, 200)
            self.assertIn(b"<p:Name>Spooler</p:Name>", c.decrypt(r))
            st = stats(c)
            self.assertEqual(st["Unauthorized"], "0")
            self.assertEqual(st["HeldRequests"], "0")


class KerberosTlsCbtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--tls", "--auth", "negotiate,kerberos", "--cbt", "strict", "--keytab", KDC.info["KRB5_KTNAME"],
                      allow_unencrypted=False)
        ctx = ssl.create_default_context(cafile=cls.sim.info["ca_file"])
        with socket.create_connection((cls.sim.host, cls.sim.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                cls.der = s.getpeercert(binary_form=True)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def attempt(self, bindings):
        c = GssClient(self.sim, KRB5_OID, scheme="Kerberos", bindings=bindings)
        self.addCleanup(c.close)
        r = c.handshake()
        if r.status == 200:
            self.assertEqual(c.post(get_xml(self.sim), encrypt=False).status, 200)
        return r.status

    def test_strict_with_and_without_bindings(self):
        self.assertEqual(self.attempt(authtest.cbt_data(self.der)), 200)
        self.assertEqual(self.attempt(None), 401)
        self.assertEqual(self.attempt(b"tls-server-end-point:" + b"\x02" * 32), 401)


class KerberosRc4Test(unittest.TestCase):
    """RC4-HMAC session keys (RFC 4757 wrap tokens, one padding byte from MIT) with their own KDC."""

    @classmethod
    def setUpClass(cls):
        cls.kdc = Kdc("--enctypes", "rc4-hmac")
        cls.saved = {k: os.environ.get(k) for k in cls.kdc.env()}
        os.environ.update(cls.kdc.env())
        try:
            cls.sim = Sim("--auth", "negotiate,kerberos", "--keytab", cls.kdc.info["KRB5_KTNAME"],
                          allow_unencrypted=False)
        except Exception:
            cls.restore()
            raise

    @classmethod
    def restore(cls):
        cls.kdc.stop()
        for k, v in cls.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.restore()

    def test_rc4_wrap_both_ways(self):
        for scheme, spnego in (("Kerberos", False), ("Negotiate", True)):
            c = GssClient(self.sim, KRB5_OID, scheme=scheme, spnego=spnego)
            self.addCleanup(c.close)
            self.assertEqual(c.handshake().status, 200)
            for name in ("WinRM", "Spooler"):
                r = c.post(get_xml(self.sim, name))
                self.assertEqual(r.status, 200)
                hlen = int.from_bytes(r.body[r.body.index(b"octet-stream\r\n") + 14:][:4], "little")
                # RFC 4757 token: 45 bytes when the GSS header's DER length fits one byte, +1/+2 when longer
                self.assertIn(hlen, (45, 46, 47))
                self.assertIn(("<p:Name>%s</p:Name>" % name).encode(), c.decrypt(r))


if __name__ == "__main__":
    unittest.main()
