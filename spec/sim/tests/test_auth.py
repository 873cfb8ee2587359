#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Negotiate (NTLM through gss-ntlmssp), message encryption, unencrypted-SOAP refusal, channel binding,
Digest and the scheme list, over real sockets. Kerberos: test_auth_kerberos.py; certificates:
test_auth_cert.py."""

import base64
import hashlib
import os
import re
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import BASIC, CIMV2, CONFIG, CONTROL, FAULT, NS, T, Response, Sim, envelope  # noqa: E402
import authtest  # noqa: E402
from authtest import NTLM_OID, GssClient, b64, need_gssapi  # noqa: E402

SVC = CIMV2 + "Win32_Service"


def get_xml(sim, name="WinRM", uri=SVC):
    return envelope(sim.url, T + "Get", uri, [("Name", name)] if name else None)


def stats_xml(sim):
    return envelope(sim.url, T + "Get", CONTROL)


def stat(client, name, encrypt=True):
    r = client.post(stats_xml(client.sim), encrypt=encrypt)
    assert r.status == 200, r.status
    body = client.decrypt(r) if encrypt else r.body
    root = Response(200, [], body).payload
    return int(root.find("{%s}%s" % (CONTROL, name)).text)


class GssSimCase(unittest.TestCase):
    """One simulator per class (SIM_ARGS); client() opens a GssClient closed after the test."""
    SIM_ARGS = ()
    ALLOW_UNENCRYPTED = False

    @classmethod
    def setUpClass(cls):
        need_gssapi(NTLM_OID)
        cls.sim = Sim(*cls.SIM_ARGS, allow_unencrypted=cls.ALLOW_UNENCRYPTED)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def client(self, **kw):
        c = GssClient(self.sim, NTLM_OID, **kw)
        self.addCleanup(c.close)
        return c


class NegotiateHttpTest(GssSimCase):
    """--auth negotiate,kerberos,basic over HTTP with AllowUnencrypted=false (Windows' defaults, plus Basic)."""
    SIM_ARGS = ("--auth", "negotiate,kerberos,basic")

    def test_gss_mechs_line(self):
        self.assertIn("ntlm", self.sim.info["gss_mechs"].split(","))

    def test_handshake_legs_keep_alive(self):
        c = self.client()
        r = c.raw()
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header_list("WWW-Authenticate"), ["Negotiate", "Kerberos", 'Basic realm="WSMAN"'])
        r = c.handshake()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(len(c.legs), 2)
        challenge = c.legs[0]
        self.assertEqual(challenge.status, 401)
        self.assertEqual(challenge.body, b"")
        # between legs: only the continuation token, and no Connection: close
        (www,) = challenge.header_list("WWW-Authenticate")
        scheme, _, tok = www.partition(" ")
        self.assertEqual(scheme, "Negotiate")
        raw = base64.b64decode(tok)
        self.assertEqual(raw[:12], b"NTLMSSP\x00\x02\x00\x00\x00")   # raw NTLM CHALLENGE, no SPNEGO
        self.assertEqual(challenge.header_list("Connection"), [])

    def test_encrypted_get_and_reply(self):
        c = self.client()
        self.assertEqual(c.handshake().status, 200)
        r = c.post(get_xml(self.sim))
        self.assertEqual(r.status, 200)
        plain = c.decrypt(r)
        inst = Response(200, [], plain).payload
        self.assertEqual(inst.find("{%s}Name" % SVC).text, "WinRM")
        # the context goes on: sequence numbers advance on both sides
        for name in ("Spooler", "W32Time", "WinRM"):
            r = c.post(get_xml(self.sim, name))
            self.assertEqual(Response(200, [], c.decrypt(r)).payload.find("{%s}Name" % SVC).text, name)

    def test_encrypted_fault_is_500_and_encrypted(self):
        c = self.client()
        c.handshake()
        r = c.post(get_xml(self.sim, "NoSuchService"))
        self.assertEqual(r.status, 500)
        self.assertTrue(dict(r.headers)["Content-Type"].startswith("multipart/encrypted;"))
        fault = Response(500, [], c.decrypt(r))
        self.assertEqual(fault.wsman_code, 2150858752)

    def test_plain_soap_after_negotiate_refused(self):
        # AllowUnencrypted=false: HTTP 500 with no body (pywinrm #129, winrm4j #151, metasploit #8900)
        c = self.client()
        c.handshake()
        r = c.post(get_xml(self.sim), encrypt=False)
        self.assertEqual(r.status, 500)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header_list("Connection"), [])
        # the connection and its context still work
        r = c.post(get_xml(self.sim))
        self.assertEqual(r.status, 200)
        c.decrypt(r)

    def test_token_and_encrypted_body_together(self):
        # WSMV 4.5: Windows' client may send the last token with the first encrypted message
        c = self.client()
        token = c.ctx.step()
        r = c.raw(b"", {"Authorization": "Negotiate " + b64(token)})
        token = c.ctx.step(c.token_of(r))
        self.assertTrue(c.ctx.complete)
        body, ctype = authtest.encrypt_body(c.ctx, "ntlm", get_xml(self.sim).encode(), authtest.SPNEGO_PROTO)
        r = c.raw(body, {"Authorization": "Negotiate " + b64(token)}, ctype)
        self.assertEqual(r.status, 200)
        self.assertIn(b"<p:Name>WinRM</p:Name>", c.decrypt(r))

    def test_one_handshake_per_connection(self):
        c = self.client()
        c.handshake()
        before = stat(c, "Handshakes")
        for _ in range(20):
            r = c.post(get_xml(self.sim))
            self.assertEqual(r.status, 200)
            c.decrypt(r)   # every reply advances the server's sealing stream: read them in order
        self.assertEqual(stat(c, "Handshakes"), before)
        other = self.client()
        other.handshake()
        self.assertEqual(stat(other, "Handshakes"), before + 1)

    def test_wrong_password_401_with_challenge_list(self):
        c = self.client(password="wrong")
        r = c.handshake()
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header_list("WWW-Authenticate"), ["Negotiate", "Kerberos", 'Basic realm="WSMAN"'])

    def test_unknown_user_401(self):
        c = self.client(user="mallory")
        self.assertEqual(c.handshake().status, 401)

    def test_domain_and_upn_user_forms(self):
        for user in ("WORKGROUP\\testuser", "testuser@lua-wsman.test", "TESTUSER"):
            c = self.client(user=user)
            self.assertEqual(c.handshake().status, 200, user)
            self.assertEqual(c.post(get_xml(self.sim)).status, 200, user)

    def test_authenticate_on_another_connection_fails(self):
        # the security context belongs to the connection: a type 3 elsewhere is refused
        c = self.client()
        token = c.ctx.step()
        r = c.raw(b"", {"Authorization": "Negotiate " + b64(token)})
        token = c.ctx.step(c.token_of(r))
        other = self.sim.connect()
        other.request("POST", self.sim.path, body=b"", headers={"Authorization": "Negotiate " + b64(token)})
        resp = other.getresponse()
        resp.read()
        other.close()
        self.assertEqual(resp.status, 401)

    def test_no_context_no_authorization_401(self):
        r = self.client().raw(get_xml(self.sim).encode(), None, "application/soap+xml;charset=UTF-8")
        self.assertEqual(r.status, 401)

    def test_tampered_message_400_and_close(self):
        c = self.client()
        c.handshake()
        body, ctype = authtest.encrypt_body(c.ctx, "ntlm", get_xml(self.sim).encode(), authtest.SPNEGO_PROTO)
        i = body.index(b"octet-stream\r\n") + 14 + 4 + 16 + 5
        body = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
        r = c.raw(body, None, ctype)
        self.assertEqual(r.status, 400)
        self.assertIn("close", [v.lower() for v in r.header_list("Connection")])

    def test_encrypted_body_on_a_basic_request_is_refused(self):
        c = self.client()
        c.handshake()
        body, ctype = authtest.encrypt_body(c.ctx, "ntlm", get_xml(self.sim).encode(), authtest.SPNEGO_PROTO)
        other = self.sim.connect()
        other.request("POST", self.sim.path, body=body, headers={"Content-Type": ctype, "Authorization": BASIC})
        resp = other.getresponse()
        resp.read()
        other.close()
        self.assertEqual(resp.status, 401)   # Basic over HTTP is refused first (AllowUnencrypted=false)

    def test_ntlm_in_spnego(self):
        c = self.client(spnego=True)
        r = c.handshake()
        self.assertEqual(r.status, 200)
        self.assertEqual(c.ctx.mech.dotted_form, NTLM_OID)
        r = c.post(get_xml(self.sim))
        self.assertEqual(r.status, 200)
        self.assertIn(b"<p:Name>WinRM</p:Name>", c.decrypt(r))

    def test_ntlm_token_under_kerberos_scheme_refused(self):
        c = self.client(scheme="Kerberos")
        self.assertEqual(c.handshake().status, 401)

    def test_identify_encrypted(self):
        c = self.client()
        c.handshake()
        body = ('<s:Envelope xmlns:s="%s" xmlns:wsmid="%s"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>'
                % (NS["s"], NS["wsmid"]))
        r = c.post(body)
        self.assertEqual(r.status, 200)
        plain = c.decrypt(r)
        self.assertIn(b"OS: 10.0.17763", plain)
        self.assertIn(b"secprofile/http/spnego-kerberos", plain)

    def test_injected_faults_are_encrypted_too(self):
        c = self.client()
        c.handshake()
        r = c.post(envelope(self.sim.url, T + "Get", FAULT + "truncated"))
        self.assertEqual(r.status, 200)
        plain = c.decrypt(r)
        self.assertIn(b"<s:Envelope", plain)
        self.assertFalse(plain.rstrip().endswith(b"</s:Envelope>"))
        r = c.post(envelope(self.sim.url, T + "Get", FAULT + "delay", [("ms", "10")]))
        self.assertIn(b"SimFault", c.decrypt(r))
        r = c.post(envelope(self.sim.url, T + "Get", FAULT + "html500"))
        self.assertEqual(r.status, 500)
        self.assertTrue(dict(r.headers)["Content-Type"].startswith("text/html"))   # HTTP-layer page: plain
        r = c.post(envelope(self.sim.url, T + "Get", FAULT + "utf16"))
        self.assertEqual(r.status, 200)
        self.assertIn(b"\tOriginalContent: type=application/soap+xml;charset=UTF-16;Length=", r.body)

    def test_bad_base64_401(self):
        r = self.client().raw(b"", {"Authorization": "Negotiate !!!notbase64"})
        self.assertEqual(r.status, 401)


class NegotiateAllowUnencryptedTest(GssSimCase):
    SIM_ARGS = ("--auth", "negotiate")
    ALLOW_UNENCRYPTED = True

    def test_plain_soap_allowed_and_encrypted_too(self):
        c = self.client()
        c.handshake()
        r = c.post(get_xml(self.sim), encrypt=False)
        self.assertEqual(r.status, 200)
        self.assertIn(b"<p:Name>WinRM</p:Name>", r.body)
        r = c.post(get_xml(self.sim))
        self.assertEqual(r.status, 200)
        self.assertIn(b"<p:Name>WinRM</p:Name>", c.decrypt(r))


class NegotiateNotOfferedTest(GssSimCase):
    SIM_ARGS = ("--auth", "basic")

    def test_negotiate_token_when_only_basic(self):
        r = self.client().handshake()
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header_list("WWW-Authenticate"), ['Basic realm="WSMAN"'])
        self.assertIn("close", [v.lower() for v in r.header_list("Connection")])


def peer_cert(sim):
    ctx = ssl.create_default_context(cafile=sim.info["ca_file"])
    with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


class RequireAuthorizationTest(GssSimCase):
    """--require-authorization (Microsoft's OMI): no reply to a request without credentials on a connection
    that is not authenticated; a first leg that carries the token gets the one 401 of an NTLM handshake."""
    SIM_ARGS = ("--auth", "negotiate,basic", "--require-authorization")

    def held_reply(self, headers):
        """Sends a Get with headers on a new connection, closes the sending side: -> every byte answered."""
        sock = socket.create_connection((self.sim.host, self.sim.port), timeout=30)
        self.addCleanup(sock.close)
        body = get_xml(self.sim).encode()
        head = "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n" % (
            self.sim.path, self.sim.host, self.sim.port)
        head += "".join("%s: %s\r\n" % kv for kv in headers.items())
        head += "Content-Length: %d\r\n\r\n" % len(body)
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)   # the server sees the end only after it read the whole request
        got = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return got
            got += chunk

    def test_request_without_authorization_never_answered(self):
        c = self.client()
        self.assertEqual(c.handshake().status, 200)
        held = stat(c, "HeldRequests")
        self.assertEqual(self.held_reply({}), b"")   # the connection ended with no reply at all
        self.assertEqual(stat(c, "HeldRequests"), held + 1)

    def test_basic_credentials_answered(self):
        reply = self.held_reply({"Authorization": BASIC})
        self.assertTrue(reply.startswith(b"HTTP/1.1 500") or reply.startswith(b"HTTP/1.1 401"), reply[:40])

    def test_first_leg_with_token_one_401(self):
        c = self.client()
        r = c.handshake()
        self.assertEqual(r.status, 200)
        self.assertEqual([leg.status for leg in c.legs], [401, 200])
        before = stat(c, "Unauthorized")
        # the authenticated connection needs no Authorization header any more
        for name in ("Spooler", "WinRM"):
            r = c.post(get_xml(self.sim, name))
            self.assertEqual(r.status, 200)
            self.assertIn(("<p:Name>%s</p:Name>" % name).encode(), c.decrypt(r))
        self.assertEqual(stat(c, "Unauthorized"), before)
        self.assertGreaterEqual(stat(c, "MaxUnauthorizedPerConnection"), 1)


class ChannelBindingTest(unittest.TestCase):
    """HTTPS: no message encryption; RFC 5929 tls-server-end-point bindings per --cbt."""

    sims = {}

    @classmethod
    def setUpClass(cls):
        need_gssapi(NTLM_OID)

    @classmethod
    def sim(cls, level, cert_hash="sha256"):
        key = (level, cert_hash)
        if key not in cls.sims:
            cls.sims[key] = Sim("--tls", "--auth", "negotiate", "--cbt", level, "--cert-hash", cert_hash,
                                allow_unencrypted=False)
        return cls.sims[key]

    @classmethod
    def tearDownClass(cls):
        for s in cls.sims.values():
            s.stop()
        cls.sims.clear()

    def attempt(self, level, bindings, cert_hash="sha256"):
        sim = self.sim(level, cert_hash)
        c = GssClient(sim, NTLM_OID, bindings=bindings)
        self.addCleanup(c.close)
        r = c.handshake()
        if r.status == 200:
            # over HTTPS plain SOAP is fine after Negotiate
            g = c.post(get_xml(sim), encrypt=False)
            self.assertEqual(g.status, 200)
        return r.status

    def good(self, level, cert_hash="sha256"):
        return authtest.cbt_data(peer_cert(self.sim(level, cert_hash)), cert_hash)

    def test_strict(self):
        self.assertEqual(self.sim("strict").info["cbt"], "strict")
        self.assertEqual(self.attempt("strict", self.good("strict")), 200)
        self.assertEqual(self.attempt("strict", None), 401)
        self.assertEqual(self.attempt("strict", b"tls-server-end-point:" + b"\x00" * 32), 401)

    def test_relaxed(self):
        self.assertEqual(self.attempt("relaxed", self.good("relaxed")), 200)
        self.assertEqual(self.attempt("relaxed", None), 200)
        self.assertEqual(self.attempt("relaxed", b"tls-server-end-point:" + b"\x01" * 32), 401)

    def test_none(self):
        self.assertEqual(self.attempt("none", b"tls-server-end-point:" + b"\x01" * 32), 200)

    def test_sha384_certificate_needs_sha384_hash(self):
        # RFC 5929 4.1: the certificate's signature hash (WinRb #348 broke on SHA-384 certificates)
        der = peer_cert(self.sim("strict", "sha384"))
        self.assertEqual(self.attempt("strict", authtest.cbt_data(der, "sha384"), "sha384"), 200)
        self.assertEqual(self.attempt("strict", authtest.cbt_data(der, "sha256"), "sha384"), 401)


class CbtConfigTest(unittest.TestCase):
    def test_config_reports_level_and_put_changes_it(self):
        need_gssapi(NTLM_OID)
        sim = Sim("--tls", "--auth", "negotiate,basic", "--cbt", "none", allow_unencrypted=False)
        self.addCleanup(sim.stop)
        c = sim.client()
        self.addCleanup(c.close)
        ns_auth = CONFIG + "/service/auth"
        r = c.get(ns_auth)
        self.assertEqual(r.payload.find("{%s}CbtHardeningLevel" % ns_auth).text, "None")
        g = GssClient(sim, NTLM_OID)
        self.addCleanup(g.close)
        self.assertEqual(g.handshake().status, 200)
        put = ('<cfg:Auth xmlns:cfg="%s"><cfg:CbtHardeningLevel>Strict</cfg:CbtHardeningLevel></cfg:Auth>' % ns_auth)
        r = c.request(T + "Put", ns_auth, None, put)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.payload.find("{%s}CbtHardeningLevel" % ns_auth).text, "Strict")
        g2 = GssClient(sim, NTLM_OID)
        self.addCleanup(g2.close)
        self.assertEqual(g2.handshake().status, 401)
        bad = '<cfg:Auth xmlns:cfg="%s"><cfg:CbtHardeningLevel>Maybe</cfg:CbtHardeningLevel></cfg:Auth>' % ns_auth
        self.assertEqual(c.request(T + "Put", ns_auth, None, bad).status, 500)


class PywinrmNtlmTest(unittest.TestCase):
    """Debian's python3-winrm (requests-ntlm / ntlm-auth, an independent NTLM and sealing implementation)."""

    @classmethod
    def setUpClass(cls):
        need_gssapi(NTLM_OID)
        cls.legacy = authtest.LegacyOpenSSL()
        cls.sims = []

    @classmethod
    def tearDownClass(cls):
        for s in cls.sims:
            s.stop()
        cls.legacy.close()

    def start(self, *args, **kw):
        s = Sim(*args, **kw)
        self.sims.append(s)
        return s

    def test_ntlm_with_message_encryption_over_http(self):
        sim = self.start("--auth", "negotiate", allow_unencrypted=False)
        res = authtest.run_pywinrm(self.legacy, sim.url, [[SVC, [["Name", "WinRM"]]], [SVC, [["Name", "Spooler"]]],
                                                          [SVC, [["Name", "NoSuchService"]]]],
                                   transport="ntlm", user="testuser", password="Passw0rd!",
                                   message_encryption="always")
        self.assertTrue(res[0]["ok"], res[0])
        self.assertIn("<p:Name>WinRM</p:Name>", res[0]["body"])
        self.assertIn("<p:Name>Spooler</p:Name>", res[1]["body"])
        # the encrypted 500 fault is decrypted by pywinrm and reported with its WSManFault code
        self.assertFalse(res[2]["ok"])
        self.assertIn("2150858752", res[2]["text"])

    def test_ntlm_wrong_password(self):
        sim = self.start("--auth", "negotiate", allow_unencrypted=False)
        res = authtest.run_pywinrm(self.legacy, sim.url, [[SVC, [["Name", "WinRM"]]]], transport="ntlm",
                                   user="testuser", password="nope", message_encryption="always")
        self.assertEqual(res[0]["error"], "InvalidCredentialsError")

    def test_ntlm_without_encryption_refused(self):
        # pywinrm 0.3 with message_encryption="never" over HTTP: what Windows does (500, no body)
        sim = self.start("--auth", "negotiate", allow_unencrypted=False)
        res = authtest.run_pywinrm(self.legacy, sim.url, [[SVC, [["Name", "WinRM"]]]], transport="ntlm",
                                   user="testuser", password="Passw0rd!", message_encryption="never")
        self.assertFalse(res[0]["ok"])
        self.assertIn("500", res[0]["text"])

    def test_ntlm_https_cbt_strict(self):
        sim = self.start("--tls", "--auth", "negotiate", "--cbt", "strict", allow_unencrypted=False)
        common = dict(transport="ntlm", user="testuser", password="Passw0rd!", ca_trust_path=sim.info["ca_file"])
        res = authtest.run_pywinrm(self.legacy, sim.url, [[SVC, [["Name", "WinRM"]]]], **common)
        self.assertTrue(res[0]["ok"], res[0])
        res = authtest.run_pywinrm(self.legacy, sim.url, [[SVC, [["Name", "WinRM"]]]], send_cbt=False, **common)
        self.assertEqual(res[0]["error"], "InvalidCredentialsError")


class DigestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--auth", "basic,digest", allow_unencrypted=True)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_challenge_lists_digest_after_basic(self):
        c = self.sim.client(auth=None)
        self.addCleanup(c.close)
        r = c.post(get_xml(self.sim))
        self.assertEqual(r.status, 401)
        basic, digest = r.header_list("WWW-Authenticate")
        self.assertEqual(basic, 'Basic realm="WSMAN"')
        self.assertRegex(digest, r'^Digest realm="WSMAN", qop="auth", algorithm=MD5, nonce="[^"]+", opaque="[0-9a-f]+"$')

    def test_requests_digest_client(self):
        # python3-requests' HTTPDigestAuth: an independent RFC 2617 client (nonce reuse, nc increments)
        import requests
        from requests.auth import HTTPDigestAuth
        s = requests.Session()
        self.addCleanup(s.close)
        s.trust_env = False
        s.auth = HTTPDigestAuth("testuser", "Passw0rd!")
        for name in ("WinRM", "Spooler", "W32Time"):
            r = s.post(self.sim.url, data=get_xml(self.sim, name).encode(),
                       headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertIn("<p:Name>%s</p:Name>" % name, r.text)
        s.auth = HTTPDigestAuth("testuser", "wrong")
        r = s.post(self.sim.url, data=get_xml(self.sim).encode(),
                   headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
        self.assertEqual(r.status_code, 401)

    def digest_header(self, challenge, user="testuser", password="Passw0rd!", nc=1, uri=None, cnonce="0a4f113b"):
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.partition(" ")[2]))
        uri = uri or self.sim.path
        ha1 = hashlib.md5(("%s:%s:%s" % (user, p["realm"], password)).encode()).hexdigest()
        ha2 = hashlib.md5(("POST:%s" % uri).encode()).hexdigest()
        ncs = "%08x" % nc
        resp = hashlib.md5(":".join((ha1, p["nonce"], ncs, cnonce, "auth", ha2)).encode()).hexdigest()
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, nc=%s, cnonce="%s", '
                'response="%s", opaque="%s", algorithm=MD5' % (user, p["realm"], p["nonce"], uri, ncs, cnonce, resp,
                                                                p["opaque"]))

    def test_replayed_nonce_count_refused(self):
        c = self.sim.client(auth=None)
        self.addCleanup(c.close)
        challenge = c.post(get_xml(self.sim)).header_list("WWW-Authenticate")[1]
        h = self.digest_header(challenge, nc=1)
        self.assertEqual(c.post(get_xml(self.sim), headers={"Authorization": h}).status, 200)
        self.assertEqual(c.post(get_xml(self.sim), headers={"Authorization": h}).status, 401)
        self.assertEqual(c.post(get_xml(self.sim), headers={"Authorization": self.digest_header(challenge, nc=2)})
                         .status, 200)
        wrong_uri = self.digest_header(challenge, nc=3, uri="/other")
        self.assertEqual(c.post(get_xml(self.sim), headers={"Authorization": wrong_uri}).status, 401)
        forged = challenge.replace('nonce="', 'nonce="1')
        self.assertEqual(c.post(get_xml(self.sim), headers={"Authorization": self.digest_header(forged)}).status, 401)


class DigestUnencryptedTest(unittest.TestCase):
    def test_digest_over_http_needs_allow_unencrypted(self):
        import requests
        from requests.auth import HTTPDigestAuth
        sim = Sim("--auth", "digest", allow_unencrypted=False)
        s = requests.Session()
        try:
            s.trust_env = False
            s.auth = HTTPDigestAuth("testuser", "Passw0rd!")
            r = s.post(sim.url, data=get_xml(sim).encode(), headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
            self.assertEqual(r.status_code, 401)
        finally:
            s.close()
            sim.stop()


class SchemeListTest(unittest.TestCase):
    def test_all_schemes_in_windows_order(self):
        sim = Sim("--tls", "--auth", "digest,certificate,basic,kerberos,negotiate,credssp", allow_unencrypted=False)
        try:
            c = sim.client(auth=None)
            r = c.post(get_xml(sim))
            c.close()
            self.assertEqual(r.status, 401)
            lst = r.header_list("WWW-Authenticate")
            self.assertEqual(lst[:3], ["Negotiate", "Kerberos", 'Basic realm="WSMAN"'])
            self.assertTrue(lst[3].startswith("Digest "))
            self.assertEqual(lst[4:], ["CredSSP"])
        finally:
            sim.stop()

    def test_certificate_without_tls_exits_2(self):
        import subprocess
        from simtest import SIM
        r = subprocess.run([SIM, "--auth", "certificate"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("needs --tls", r.stderr)


if __name__ == "__main__":
    unittest.main()
