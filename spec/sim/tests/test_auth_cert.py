#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Client certificate authentication (wsman:secprofile/https/mutual) and the certificates the simulator
issues for client specs (startup lines, --make-client-cert, --client-ca)."""

import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from simtest import CIMV2, SIM, T, Response, Sim, envelope  # noqa: E402
import authtest  # noqa: E402

MUTUAL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
SVC = CIMV2 + "Win32_Service"


def get(sim, cert=None, key=None, password=None, auth=MUTUAL, ca=None):
    ctx = ssl.create_default_context(cafile=sim.info["ca_file"])
    if cert:
        ctx.load_cert_chain(cert, key, password)
    conn = http.client.HTTPSConnection(sim.host, sim.port, timeout=10, context=ctx)
    try:
        h = {"Content-Type": "application/soap+xml;charset=UTF-8"}
        if auth:
            h["Authorization"] = auth
        conn.request("POST", sim.path, body=envelope(sim.url, T + "Get", SVC, [("Name", "WinRM")]), headers=h)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class CertificateAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--tls", "--auth", "certificate,negotiate", allow_unencrypted=False)
        cls.i = cls.sim.info

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_startup_lines(self):
        for k in ("client_cert", "client_key", "client_key_encrypted", "client_key_password", "client_cert_thumbprint",
                  "client_cert_dir", "client_cert_unmapped", "client_key_unmapped"):
            self.assertIn(k, self.i)
        self.assertRegex(self.i["client_cert_thumbprint"], r"^[0-9A-F]{40}$")
        with open(self.i["client_cert"]) as fh:
            der = ssl.PEM_cert_to_DER_cert(fh.read())
        import hashlib
        self.assertEqual(hashlib.sha1(der).hexdigest().upper(), self.i["client_cert_thumbprint"])
        self.assertEqual(sorted(os.listdir(self.i["client_cert_dir"])), ["testuser.enc.key", "testuser.key",
                                                                          "testuser.pem"])
        with open(self.i["client_key_encrypted"]) as fh:
            self.assertIn("BEGIN ENCRYPTED PRIVATE KEY", fh.read())
        out = subprocess.run(["openssl", "verify", "-CAfile", self.i["ca_file"], self.i["client_cert"]],
                             capture_output=True, text=True)
        self.assertIn("OK", out.stdout)
        text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", self.i["client_cert"]],
                              capture_output=True, text=True).stdout
        self.assertIn("TLS Web Client Authentication", text)
        self.assertIn("testuser@localhost", text)

    def test_mapped_certificate(self):
        r = get(self.sim, self.i["client_cert"], self.i["client_key"])
        self.assertEqual(r.status, 200, r.body)
        self.assertIn(b"<p:Name>WinRM</p:Name>", r.body)

    def test_encrypted_key_with_password(self):
        r = get(self.sim, self.i["client_cert"], self.i["client_key_encrypted"], self.i["client_key_password"])
        self.assertEqual(r.status, 200)

    def test_unmapped_certificate_401(self):
        r = get(self.sim, self.i["client_cert_unmapped"], self.i["client_key_unmapped"])
        self.assertEqual(r.status, 401)
        self.assertEqual(r.body, b"")

    def test_no_certificate_401(self):
        self.assertEqual(get(self.sim).status, 401)

    def test_certificate_without_profile_header_401(self):
        r = get(self.sim, self.i["client_cert"], self.i["client_key"], auth=None)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header_list("WWW-Authenticate"), ["Negotiate"])   # certificate has no challenge

    def test_identify_lists_mutual_profile(self):
        ctx = ssl.create_default_context(cafile=self.i["ca_file"])
        ctx.load_cert_chain(self.i["client_cert"], self.i["client_key"])
        conn = http.client.HTTPSConnection(self.sim.host, self.sim.port, timeout=10, context=ctx)
        body = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/'
                'wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>')
        conn.request("POST", self.sim.path, body=body, headers={"Authorization": MUTUAL,
                                                                "Content-Type": "application/soap+xml;charset=UTF-8"})
        r = conn.getresponse()
        text = r.read()
        conn.close()
        self.assertEqual(r.status, 200)
        self.assertIn(b"secprofile/https/mutual", text)

    def test_pywinrm_certificate_transport(self):
        legacy = authtest.LegacyOpenSSL()
        try:
            res = authtest.run_pywinrm(legacy, self.sim.url, [[SVC, [["Name", "WinRM"]]]], transport="certificate",
                                       cert_pem=self.i["client_cert"], cert_key_pem=self.i["client_key"],
                                       ca_trust_path=self.i["ca_file"])
        finally:
            legacy.close()
        self.assertTrue(res[0]["ok"], res[0])


class MakeClientCertTest(unittest.TestCase):
    def test_make_client_cert_and_client_ca(self):
        d = tempfile.mkdtemp(prefix="winrm-sim-cert-test-")
        self.addCleanup(shutil.rmtree, d, True)
        users = os.path.join(d, "users.json")
        with open(users, "w") as fh:
            json.dump({"alice": "Al1ce-pass", "testuser": "Passw0rd!"}, fh)
        ca_dir = os.path.join(d, "ca")
        r = subprocess.run([SIM, "--make-client-cert", os.path.join(d, "alice"), "--user", "alice", "--tls-dir",
                            ca_dir, "--key-password", "k3y"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        info = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
        self.assertEqual(info["client_key_password"], "k3y")
        # a foreign CA, trusted with --client-ca
        foreign = os.path.join(d, "foreign")
        r2 = subprocess.run([SIM, "--make-client-cert", os.path.join(d, "bob"), "--user", "testuser", "--tls-dir",
                             foreign], capture_output=True, text=True, timeout=30)
        other = dict(line.split("=", 1) for line in r2.stdout.splitlines() if "=" in line)
        sim = Sim("--tls", "--tls-dir", ca_dir, "--users", users, "--auth", "certificate", "--client-ca",
                  other["ca_file"], allow_unencrypted=False)
        try:
            self.assertEqual(sim.info["ca_file"], info["ca_file"])
            self.assertEqual(get(sim, info["client_cert"], info["client_key_encrypted"], "k3y").status, 200)
            self.assertEqual(get(sim, other["client_cert"], other["client_key"]).status, 200)
        finally:
            sim.stop()
        # without --client-ca the foreign certificate fails the TLS handshake
        sim = Sim("--tls", "--tls-dir", ca_dir, "--users", users, "--auth", "certificate", allow_unencrypted=False)
        try:
            with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                get(sim, other["client_cert"], other["client_key"])
            self.assertEqual(get(sim, info["client_cert"], info["client_key"]).status, 200)
        finally:
            sim.stop()


class CertMappingUnitTest(unittest.TestCase):
    def test_upn_then_cn(self):
        from winrmsim import certauth, tls
        d = tempfile.mkdtemp(prefix="winrm-sim-map-")
        self.addCleanup(shutil.rmtree, d, True)
        ca, _, _ = tls.generate(d)
        users = {"Alice": "x", "bob": "y"}
        a = certauth.issue(os.path.join(d, "c"), ca, os.path.join(d, "ca.key"), "someone", upn="alice@corp.example")
        b = certauth.issue(os.path.join(d, "c"), ca, os.path.join(d, "ca.key"), "BOB", upn="nobody@corp.example")
        for info, want in ((a, "Alice"), (b, None)):
            with open(info["cert"]) as fh:
                der = ssl.PEM_cert_to_DER_cert(fh.read())
            self.assertEqual(certauth.map_certificate(der, users), want)
        self.assertIsNone(certauth.map_certificate(None, users))

    def test_openssl_fallback_issue(self):
        from winrmsim import certauth, tls
        d = tempfile.mkdtemp(prefix="winrm-sim-ossl-")
        self.addCleanup(shutil.rmtree, d, True)
        ca, _, _ = tls.generate(d)
        paths = {"cert": os.path.join(d, "u.pem"), "key": os.path.join(d, "u.key"),
                 "key_encrypted": os.path.join(d, "u.enc.key")}
        certauth._issue_openssl(paths, ca, os.path.join(d, "ca.key"), "u", "testuser@localhost", "pw")
        with open(paths["cert"]) as fh:
            der = ssl.PEM_cert_to_DER_cert(fh.read())
        self.assertEqual(certauth.identities(der), (["testuser@localhost"], "u"))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_cert_chain(paths["cert"], paths["key_encrypted"], "pw")


if __name__ == "__main__":
    unittest.main()
