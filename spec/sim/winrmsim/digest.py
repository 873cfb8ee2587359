# SPDX-License-Identifier: MIT
"""HTTP Digest authentication (RFC 7616 / RFC 2617), MD5 and MD5-sess with qop="auth", in pure Python.

Windows' WinRM service does not offer Digest (only its client does); the simulator offers it with
--auth digest for clients that talk to other WS-Management servers (openwsman, iDRAC, ...). Like Basic,
it is per request and gives no message encryption.

Nonces are stateless (time stamp + HMAC with a per-process secret), valid NONCE_LIFETIME seconds; an
expired but genuine nonce gets a new challenge with stale=true. The nonce count must grow per nonce.
"""

import hashlib
import hmac
import os
import re
import threading
import time

NONCE_LIFETIME = 300.0
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)')


def parse_params(text):
    out = {}
    pos = 0
    while pos < len(text):
        m = _PARAM.match(text, pos)
        if not m or m.end() == pos:
            break
        value = m.group(2).strip()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out[m.group(1).lower()] = value
        pos = m.end()
    return out


def _md5(s):
    return hashlib.md5(s.encode("utf-8")).hexdigest()


class DigestAuth:
    def __init__(self, realm="WSMAN"):
        self.realm = realm
        self.secret = os.urandom(32)
        self.opaque = os.urandom(16).hex()
        self.counts = {}
        self.lock = threading.Lock()

    def new_nonce(self):
        stamp = "%x" % int(time.time() * 1000)
        mac = hmac.new(self.secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        return stamp + "." + mac

    def nonce_state(self, nonce):
        """-> 'ok', 'stale' or 'bad'."""
        stamp, _, mac = nonce.partition(".")
        good = hmac.new(self.secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac.encode(), good.encode()):
            return "bad"
        try:
            age = time.time() - int(stamp, 16) / 1000.0
        except ValueError:
            return "bad"
        return "ok" if -5 <= age <= NONCE_LIFETIME else "stale"

    def challenge(self, stale=False):
        return 'Digest realm="%s", qop="auth", algorithm=MD5, nonce="%s", opaque="%s"%s' % (
            self.realm, self.new_nonce(), self.opaque, ", stale=true" if stale else "")

    def check(self, params, method, users):
        """-> (account or None, stale flag)."""
        user = params.get("username", "")
        nonce = params.get("nonce", "")
        uri = params.get("uri", "")
        response = params.get("response", "").lower()
        qop = params.get("qop", "")
        algorithm = params.get("algorithm", "MD5")
        if params.get("realm") != self.realm or not nonce or not response or not uri:
            return None, False
        if qop != "auth" or algorithm.upper() not in ("MD5", "MD5-SESS"):
            return None, False
        state = self.nonce_state(nonce)
        if state == "bad":
            return None, False
        account = None
        for name in users:
            if name.lower() == user.lower():
                account = name
        if account is None:
            return None, False
        cnonce = params.get("cnonce", "")
        nc = params.get("nc", "")
        if not cnonce or not re.fullmatch(r"[0-9a-fA-F]{8}", nc):
            return None, False
        ha1 = _md5("%s:%s:%s" % (user, self.realm, users[account]))
        if algorithm.upper() == "MD5-SESS":
            ha1 = _md5("%s:%s:%s" % (ha1, nonce, cnonce))
        ha2 = _md5("%s:%s" % (method, uri))
        expected = _md5(":".join((ha1, nonce, nc, cnonce, qop, ha2)))
        if not hmac.compare_digest(expected.encode(), response.encode()):
            return None, False
        if state == "stale":
            return None, True
        count = int(nc, 16)
        with self.lock:
            if len(self.counts) > 10000:
                self.counts.clear()
            if count <= self.counts.get(nonce, 0):
                return None, False   # replayed nonce count
            self.counts[nonce] = count
        return account, False
