# SPDX-License-Identifier: MIT
"""Authentication of one HTTP request, and the connection's security context (the server's auth layer).

Per-request schemes (Basic, Digest, client certificates) authenticate each request. Negotiate and
Kerberos authenticate the TCP connection, as HTTP.sys does: the handshake runs over empty-body POSTs
(401 + "WWW-Authenticate: Negotiate <token>" between legs, keep-alive), and once complete every later
request on that connection is authenticated by the context without an Authorization header. Over HTTP
such requests must be encrypted (multipart/encrypted) unless AllowUnencrypted is true.
"""

import base64
import binascii
import threading

from . import auth, certauth, gss


class Outcome:
    __slots__ = ("user", "ctx", "headers", "close", "reason")

    def __init__(self, user=None, ctx=None, headers=(), close=False, reason=""):
        self.user = user
        self.ctx = ctx              # gss.Acceptor when the request is authenticated by a connection context
        self.headers = list(headers)
        self.close = close
        self.reason = reason        # why a request was refused (for the log; never secrets)


class ConnState:
    """Security state of one TCP connection."""
    __slots__ = ("pending", "ctx", "peer_cert")

    def __init__(self, peer_cert=None):
        self.pending = None         # gss.Acceptor of a handshake in progress
        self.ctx = None             # completed gss.Acceptor
        self.peer_cert = peer_cert  # DER of the TLS client certificate, if any


class Security:
    """Process-wide authentication settings: accounts, CBT policy, NTLM credential file."""

    def __init__(self, settings, users, cbt=None, cbt_data=None, state=None, ntlm_owner=None):
        self.settings = settings
        self.users = users
        if cbt is not None:
            settings.cbt = cbt
        self.cbt_data = cbt_data     # RFC 5929 application data of our certificate (TLS only)
        self.state = state
        self._ntlm_users = None
        self._ntlm_owner = ntlm_owner   # the Security whose NTLM file this one shares (NTLM_USER_FILE is per process)
        self._lock = threading.Lock()

    @property
    def ntlm_users(self):
        """The gss-ntlmssp credential file, created at the first handshake."""
        if self._ntlm_owner is not None:
            return self._ntlm_owner.ntlm_users
        with self._lock:
            if self._ntlm_users is None and gss.available():
                self._ntlm_users = gss.NtlmUserFile(self.users)
            return self._ntlm_users

    def close(self):
        with self._lock:
            if self._ntlm_users is not None:
                self._ntlm_users.close()
                self._ntlm_users = None

    def challenge(self, close=False, reason="", stale=False):
        headers = []
        for s in self.settings.schemes:
            if self.settings.enabled.get(s.config_key):
                c = s.challenge(stale=stale) if isinstance(s, auth.DigestScheme) else s.challenge()
                if c:
                    headers.append(("WWW-Authenticate", c))
        return Outcome(headers=headers, close=close, reason=reason)

    def authenticate(self, conn_state, hreq):
        settings = self.settings
        header = hreq.headers.get("authorization")
        if not header:
            if conn_state.ctx is not None:
                return Outcome(user=conn_state.ctx.user, ctx=conn_state.ctx)
            return self.challenge(reason="no credentials")
        name, _, token = header.strip().partition(" ")
        scheme = None
        for s in settings.schemes:
            if s.name.lower() == name.lower():
                scheme = s
                break
        if scheme is None:
            # a scheme Windows does not offer (e.g. NTLM): 401 + Connection: close
            return self.challenge(close=True, reason="scheme %s not offered" % name[:40])
        if not settings.enabled.get(scheme.config_key):
            return self.challenge(reason="scheme %s disabled" % scheme.name)
        if getattr(scheme, "per_connection", False):
            return self.handshake(conn_state, scheme, token)
        if scheme.requires_tls and not settings.tls:
            return self.challenge(reason="%s needs HTTPS" % scheme.name)
        if not settings.tls and not scheme.encrypts and not settings.allow_unencrypted:
            # AllowUnencrypted=false: Windows refuses an unencrypted request with 401.
            return self.challenge(reason="AllowUnencrypted=false")
        user, stale = scheme.check(token, conn_state, self.users, hreq)
        if user is None:
            return self.challenge(reason="%s credentials rejected" % scheme.name, stale=stale)
        return Outcome(user=user)

    def handshake(self, st, scheme, token):
        try:
            raw = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            st.pending = None
            return self.challenge(reason="bad base64 token")
        kind = gss.token_kind(raw)
        initial = kind in ("spnego", "kerberos") or (kind == "ntlm" and raw[8:9] == b"\x01")
        if initial or st.pending is None or st.pending.scheme != scheme.name:
            st.ctx = None
            st.pending = gss.Acceptor(scheme.name, self.users, self.ntlm_users,
                                      bindings=self.cbt_data if self.settings.tls else None,
                                      cbt=getattr(self.settings, "cbt", "relaxed"))
        acceptor = st.pending
        try:
            out = acceptor.step(raw)
        except gss.AuthFailed as exc:
            st.pending = None
            return self.challenge(reason="%s: %s" % (scheme.name, exc))
        if not acceptor.complete:
            return Outcome(headers=[("WWW-Authenticate", "%s %s" % (scheme.name, base64.b64encode(out or b"").decode()))],
                           reason="%s handshake continues" % scheme.name)
        st.pending = None
        st.ctx = acceptor
        if self.state is not None:
            self.state.count("handshakes")
            if acceptor.delegated:
                self.state.count("delegations")
        headers = [("WWW-Authenticate", "%s %s" % (scheme.name, base64.b64encode(out).decode()))] if out else []
        return Outcome(user=acceptor.user, ctx=acceptor, headers=headers)


def cert_user(der, users):
    return certauth.map_certificate(der, users)
