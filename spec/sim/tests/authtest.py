# SPDX-License-Identifier: MIT
"""Client side of the authentication tests: GSSAPI initiators (gss-ntlmssp, MIT Kerberos), WinRM message
encryption written here independently of the simulator's encryption.py (MS-WSMV 2.2.9.1), pywinrm in
a subprocess with the OpenSSL legacy provider, and the throwaway KDC of spec/kdc/.
"""

import base64
import hashlib
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import unittest

from simtest import HERE, Response

try:
    import gssapi
    import gssapi.raw as gr
    from gssapi.raw import IOV, IOVBufferType
except ImportError:
    gssapi = None

ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
KDC = os.path.join(ROOT, "spec", "kdc", "kdc.py")
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
KRB5_OID = "1.2.840.113554.1.2.2"
SPNEGO_OID = "1.3.6.1.5.5.2"
SPNEGO_PROTO = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS_PROTO = "application/HTTP-Kerberos-session-encrypted"
USER, PASSWORD = "testuser", "Passw0rd!"

# Only the pywinrm subprocess gets this (ntlm-auth needs MD4 from the OpenSSL 3 legacy provider);
# the process-wide configuration is never touched.
LEGACY_OPENSSL_CONF = """openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
"""


def need_gssapi(mech=None):
    if gssapi is None:
        raise unittest.SkipTest("python3-gssapi is not installed (apt-get install python3-gssapi)")
    if mech is not None and mech not in {m.dotted_form for m in gr.indicate_mechs()}:
        raise unittest.SkipTest("GSSAPI mechanism %s is not available (gss-ntlmssp not installed?)" % mech)


def oid(dotted):
    return gssapi.OID.from_int_seq(dotted)


def b64(data):
    return base64.b64encode(data).decode()


def cbt_data(der, hash_name=None):
    """RFC 5929 tls-server-end-point application data for a DER certificate (hash picked by the caller)."""
    return b"tls-server-end-point:" + hashlib.new(hash_name or "sha256", der).digest()


def initiator(mech, target="HTTP@localhost", bindings=None, user=USER, password=PASSWORD, delegate=False,
              ntlm_password=None):
    """A GSSAPI initiating context. NTLM uses gss-ntlmssp with an explicit password."""
    F = gssapi.RequirementFlag
    flags = F.integrity | F.confidentiality | F.mutual_authentication | F.out_of_sequence_detection
    if delegate:
        flags |= F.delegate_to_peer
    creds = None
    if ntlm_password:
        # gss-ntlmssp with an explicit password (for SPNEGO: NTLM inside SPNEGO)
        name = gssapi.Name(user, gssapi.NameType.user)
        mechs = [oid(NTLM_OID)] + ([oid(SPNEGO_OID)] if mech == SPNEGO_OID else [])
        creds = gr.acquire_cred_with_password(name, password.encode(), usage="initiate", mechs=mechs).creds
        if mech == SPNEGO_OID:
            gr.set_neg_mechs(creds, [oid(NTLM_OID)])   # NTLM inside SPNEGO even when a Kerberos ticket exists
    cb = gr.ChannelBindings(application_data=bindings) if bindings is not None else None
    return gssapi.SecurityContext(name=gssapi.Name(target, gssapi.NameType.hostbased_service), creds=creds,
                                  usage="initiate", mech=oid(mech), flags=flags, channel_bindings=cb)


# ---- WinRM message encryption, client side (MS-WSMV 2.2.9.1) -------------------------------------------
def wrap(ctx, mech, data):
    """-> (header, encrypted data, padding length)."""
    if mech == "ntlm":
        msg = ctx.wrap(data, True).message
        return msg[:16], msg[16:], 0
    iov = IOV(IOVBufferType.header, data, IOVBufferType.padding, std_layout=False)
    gr.wrap_iov(ctx, iov, confidential=True)
    pad = iov[2].value or b""
    return iov[0].value, iov[1].value + pad, len(pad)


def unwrap(ctx, mech, header, data):
    if mech == "ntlm":
        res = ctx.unwrap(header + data)
        assert res.encrypted
        return res.message
    iov = IOV((IOVBufferType.header, False, header), data, (IOVBufferType.data, b""), std_layout=False)
    res = gr.unwrap_iov(ctx, iov)
    assert res.encrypted
    return iov[1].value


def encrypt_body(ctx, mech, plain, protocol):
    header, data, pad = wrap(ctx, mech, plain)
    body = (b"--Encrypted Boundary\r\n\tContent-Type: " + protocol.encode() + b"\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(plain) + pad).encode()
            + b"\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<I", len(header)) + header + data + b"--Encrypted Boundary--\r\n")
    ctype = 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % protocol
    return body, ctype


def decrypt_body(ctx, mech, body, ctype, protocol):
    """Checks the framing byte by byte (MS-WSMV 2.2.9.1) and returns the plaintext."""
    assert ctype == 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % protocol, ctype
    m = re.match(rb"--Encrypted Boundary\r\n\tContent-Type: (.+?)\r\n\tOriginalContent: "
                 rb"type=application/soap\+xml;charset=UTF-8;Length=(\d+)\r\n--Encrypted Boundary\r\n"
                 rb"\tContent-Type: application/octet-stream\r\n", body, re.S)
    assert m, body[:200]
    assert m.group(1).decode() == protocol
    length = int(m.group(2))
    rest = body[m.end():]
    assert rest.endswith(b"--Encrypted Boundary--\r\n")
    rest = rest[:-len(b"--Encrypted Boundary--\r\n")]
    hlen = struct.unpack_from("<I", rest)[0]
    header, data = rest[4:4 + hlen], rest[4 + hlen:]
    assert len(data) == length, (len(data), length)
    if mech == "ntlm":
        assert hlen == 16
    plain = unwrap(ctx, mech, header, data)
    if mech == "kerberos" and plain and 1 <= plain[-1] <= 8 and plain[-plain[-1]:] == bytes([plain[-1]]) * plain[-1]:
        plain = plain[:-plain[-1]]   # RFC 4757 (RC4) padding, counted in Length
    return plain


class GssClient:
    """A keep-alive connection that authenticates with Negotiate or Kerberos, then encrypts (or not)."""

    def __init__(self, sim, mech, scheme="Negotiate", target="HTTP@localhost", bindings=None, delegate=False,
                 user=USER, password=PASSWORD, spnego=False):
        self.sim = sim
        self.conn = sim.connect()
        self.scheme = scheme
        self.mech = "ntlm" if mech == NTLM_OID else "kerberos"
        self.ctx = initiator(SPNEGO_OID if spnego else mech, target, bindings, user, password, delegate,
                             ntlm_password=(mech == NTLM_OID))
        self.protocol = KERBEROS_PROTO if scheme == "Kerberos" else SPNEGO_PROTO
        self.legs = []

    def raw(self, body=b"", headers=None, content_type=None):
        h = dict(headers or {})
        if content_type:
            h["Content-Type"] = content_type
        self.conn.request("POST", self.sim.path, body=body, headers=h)
        r = self.conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())

    def token_of(self, r):
        for v in r.header_list("WWW-Authenticate"):
            name, _, tok = v.partition(" ")
            if name.lower() == self.scheme.lower() and tok:
                return base64.b64decode(tok)
        return None

    def handshake(self, last_body=b"", last_ctype=None):
        """Empty-body legs (as Windows' client sends them) until the server answers something else than 401.
        The last leg may carry a body (WSMV 4.5: token + encrypted message together). -> last response."""
        token = self.ctx.step()
        while True:
            done_after = self.ctx.complete
            body, ctype = (last_body, last_ctype) if done_after else (b"", None)
            r = self.raw(body, {"Authorization": "%s %s" % (self.scheme, b64(token))}, ctype)
            self.legs.append(r)
            if r.status != 401:
                final = self.token_of(r)
                if final is not None and not self.ctx.complete:
                    self.ctx.step(final)
                if self.ctx.complete:   # the mechanism SPNEGO chose decides the wrap format
                    self.mech = "ntlm" if self.ctx.mech.dotted_form == NTLM_OID else "kerberos"
                return r
            reply = self.token_of(r)
            if reply is None:
                return r
            token = self.ctx.step(reply)
            if token is None:
                return r

    def post(self, xml, encrypt=True):
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        if encrypt:
            body, ctype = encrypt_body(self.ctx, self.mech, data, self.protocol)
            return self.raw(body, None, ctype)
        return self.raw(data, None, "application/soap+xml;charset=UTF-8")

    def decrypt(self, r):
        ctype = dict((k.lower(), v) for k, v in r.headers)["content-type"]
        return decrypt_body(self.ctx, self.mech, r.body, ctype, self.protocol)

    def close(self):
        self.conn.close()


# ---- pywinrm in a subprocess ----------------------------------------------------------------------
class LegacyOpenSSL:
    """A temp OPENSSL_CONF enabling the legacy provider, for child processes only."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lua-wsman-openssl-")
        self.path = os.path.join(self.dir, "openssl-legacy.cnf")
        with open(self.path, "w") as fh:
            fh.write(LEGACY_OPENSSL_CONF)

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        env["OPENSSL_CONF"] = self.path
        env["NO_PROXY"] = "127.0.0.1,localhost"
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env.pop(var, None)
        return env

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


PYWINRM_SCRIPT = r"""
import json, sys, xml.etree.ElementTree as ET
from winrm.protocol import Protocol
from winrm.exceptions import InvalidCredentialsError, WinRMError, WinRMTransportError
a = json.loads(sys.argv[1])
kw = dict(transport=a["transport"], username=a.get("user"), password=a.get("password"))
for k in ("message_encryption", "ca_trust_path", "cert_pem", "cert_key_pem", "server_cert_validation", "send_cbt"):
    if k in a:
        kw[k] = a[k]
p = Protocol(a["url"], **kw)
out = []
for uri, sel in a["gets"]:
    env = p._get_soap_header(action="http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", resource_uri=uri)
    import xmltodict
    req = {"env:Envelope": env}
    if sel:
        req["env:Envelope"]["env:Header"]["w:SelectorSet"] = {"w:Selector": [{"@Name": k, "#text": v} for k, v in sel]}
    req["env:Envelope"]["env:Body"] = {}
    try:
        text = p.send_message(xmltodict.unparse(req, full_document=False))
        out.append({"ok": True, "body": text.decode("utf-8") if isinstance(text, bytes) else text})
    except InvalidCredentialsError as e:
        out.append({"ok": False, "error": "InvalidCredentialsError", "text": str(e)})
    except (WinRMError, WinRMTransportError) as e:
        out.append({"ok": False, "error": type(e).__name__, "text": str(e)})
print(json.dumps(out))
"""


def run_pywinrm(legacy, url, gets, timeout=60, **kw):
    """pywinrm in a child process (with the legacy-provider OPENSSL_CONF). -> list of results per Get."""
    import json
    args = dict(url=url, gets=gets, **kw)
    r = subprocess.run(["/usr/bin/python3", "-c", PYWINRM_SCRIPT, json.dumps(args)], env=legacy.env(),
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("pywinrm failed (%d): %s" % (r.returncode, r.stderr[-3000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---- the throwaway KDC ----------------------------------------------------------------------------
class Kdc:
    """spec/kdc/kdc.py start, in the foreground; stop() sends SIGTERM (the KDC removes its directory)."""

    TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")

    def __init__(self, *args):
        missing = [t for t in self.TOOLS if not any(os.access(os.path.join(d, t), os.X_OK)
                                                    for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"))]
        if missing:
            raise unittest.SkipTest("Kerberos KDC tools missing (%s): apt-get install krb5-kdc krb5-admin-server "
                                    "krb5-user" % ", ".join(missing))
        self.proc = subprocess.Popen(["/usr/bin/python3", KDC, "start", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.info = {}
        for line in self.proc.stdout:
            if line == "\n":
                break
            k, _, v = line.strip().partition("=")
            self.info[k] = v
        if "KRB5_CONFIG" not in self.info:
            err = self.proc.stderr.read()
            self.proc.wait()
            raise RuntimeError("the KDC did not start: %s" % err)

    def env(self):
        return {k: self.info[k] for k in ("KRB5_CONFIG", "KRB5CCNAME", "KRB5RCACHEDIR")}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def sim_python():
    return sys.executable
