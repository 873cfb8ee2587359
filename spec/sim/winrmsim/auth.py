# SPDX-License-Identifier: MIT
"""HTTP authentication schemes, as a registry the server consults (--auth).

    basic        Basic realm="WSMAN"; per request; over HTTP only with --allow-unencrypted
    negotiate    Negotiate: raw NTLMSSP (gss-ntlmssp), SPNEGO (Kerberos or NTLM) or a raw Kerberos token,
                 through GSSAPI (gss.py); authenticates the connection; message encryption over HTTP
    kerberos     Kerberos: raw Kerberos AP-REQ (MS-WSMV 2.2.9.1.2.1); as negotiate otherwise
    certificate  TLS client certificate + "Authorization: <secprofile/https/mutual URI>" (HTTPS only)
    digest       Digest realm="WSMAN" qop="auth" (MD5, MD5-sess); per request (Windows' service has no Digest)
    credssp      advertised only (its tokens are refused with 401)

One WWW-Authenticate header per enabled scheme, in Windows' order (Negotiate, Kerberos, Basic, then
Digest and CredSSP); the certificate scheme has no challenge.
"""

import base64
import binascii
import hmac
import json

from . import certauth
from .digest import DigestAuth, parse_params

DEFAULT_USERS = {"testuser": "Passw0rd!"}
SECPROFILE = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/"


class Scheme:
    name = ""              # HTTP scheme name (Authorization / WWW-Authenticate)
    config_key = ""        # winrm/config/service/auth element
    encrypts = False       # provides message encryption over plain HTTP
    per_connection = False  # the security context belongs to the TCP connection (Negotiate, Kerberos)
    requires_tls = False

    def challenge(self):
        return self.name

    def check(self, token, conn_state, users, hreq):
        """Per-request schemes: -> (account or None, stale flag)."""
        return None, False

    def authenticate(self, token, conn, users):
        """Compatibility: -> account or None."""
        return self.check(token, conn, users, None)[0]

    def profiles(self, tls):
        return []


class BasicScheme(Scheme):
    name = "Basic"
    config_key = "Basic"

    def challenge(self):
        return 'Basic realm="WSMAN"'

    def check(self, token, conn_state, users, hreq):
        try:
            raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None, False
        user, sep, password = raw.partition(":")
        if not sep:
            return None, False
        bare = user.split("\\")[-1] if user.startswith(".\\") else user
        for name, secret in users.items():
            if name.lower() == bare.lower() and hmac.compare_digest(secret.encode("utf-8"),
                                                                    password.encode("utf-8")):
                return name, False
        return None, False

    def profiles(self, tls):
        return [SECPROFILE + ("https/basic" if tls else "http/basic")]


class GssScheme(Scheme):
    """Negotiate or Kerberos: the handshake and the context are driven by security.py / gss.py."""
    per_connection = True
    encrypts = True

    def __init__(self, name):
        self.name = name
        self.config_key = name

    def profiles(self, tls):
        # MS-WSMV 3.1.4.1.29.2: spnego-kerberos if either Negotiate or Kerberos is enabled
        return [SECPROFILE + ("https/spnego-kerberos" if tls else "http/spnego-kerberos")]


class DigestScheme(Scheme):
    name = "Digest"
    config_key = "Digest"

    def __init__(self):
        self.digest = DigestAuth("WSMAN")

    def challenge(self, stale=False):
        return self.digest.challenge(stale)

    def check(self, token, conn_state, users, hreq):
        params = parse_params(token)
        if hreq is not None:
            uri = params.get("uri", "")
            path = hreq.path
            if "://" in uri:
                uri = "/" + uri.split("://", 1)[1].partition("/")[2]
            if "://" in path:
                path = "/" + path.split("://", 1)[1].partition("/")[2]
            if uri != path:
                return None, False
        return self.digest.check(params, hreq.method if hreq is not None else "POST", users)


class CertificateScheme(Scheme):
    """Client certificate mapped to an account (certauth.py); the request names the profile URI."""
    name = certauth.MUTUAL
    config_key = "Certificate"
    requires_tls = True

    def challenge(self):
        return None

    def check(self, token, conn_state, users, hreq):
        return certauth.map_certificate(getattr(conn_state, "peer_cert", None), users), False

    def profiles(self, tls):
        return [SECPROFILE + "https/mutual"] if tls else []


class AdvertisedOnly(Scheme):
    """A scheme Windows would offer; tokens for it are refused (401)."""

    def __init__(self, name, config_key, encrypts=True):
        self.name = name
        self.config_key = config_key
        self.encrypts = encrypts


# Windows' order of WWW-Authenticate headers.
SCHEMES = {
    "negotiate": lambda: GssScheme("Negotiate"),
    "kerberos": lambda: GssScheme("Kerberos"),
    "basic": BasicScheme,
    "digest": DigestScheme,
    "credssp": lambda: AdvertisedOnly("CredSSP", "CredSSP"),
    "certificate": CertificateScheme,
}


def register(key, factory):
    """Add or replace a scheme."""
    SCHEMES[key] = factory


def build(names):
    """--auth list -> ordered scheme objects; raises ValueError for unknown names."""
    wanted = [n.strip().lower() for n in names if n.strip()]
    for n in wanted:
        if n not in SCHEMES:
            raise ValueError("unknown authentication scheme %r (known: %s)" % (n, ", ".join(SCHEMES)))
    return [SCHEMES[k]() for k in SCHEMES if k in wanted]


def load_users(path):
    if not path:
        return dict(DEFAULT_USERS)
    with open(path, encoding="utf-8") as fh:
        users = json.load(fh)
    if not isinstance(users, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in users.items()):
        raise ValueError("--users file must hold a JSON object of user name -> password strings")
    return users
