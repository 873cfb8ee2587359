# SPDX-License-Identifier: MIT
"""GSSAPI acceptor for Negotiate and Kerberos (python3-gssapi over MIT krb5, gss-ntlmssp for NTLM).

One Acceptor per TCP connection: it runs the handshake (raw NTLMSSP, SPNEGO or a raw Kerberos AP-REQ,
as Windows accepts them) and then wraps and unwraps WinRM messages with the established context:

* NTLM: gss_wrap / gss_unwrap of gss-ntlmssp. The wrap token is the 16-byte NTLMSSP_MESSAGE_SIGNATURE
  followed by the sealed message (MS-NLMP 3.4.3), which is exactly WinRM's header / data split.
* Kerberos: gss_wrap_iov with HEADER | DATA | PADDING (no TRAILER: the "DCE style" layout Windows uses),
  and gss_unwrap_iov with HEADER | DATA | empty DATA for the client's messages (RFC 4121 4.2.4, as Windows lays it out).

gss-ntlmssp authenticates against a credential file (NTLM_USER_FILE, lines DOMAIN:user:password) whose
domain must equal the one the client sends; NtlmUserFile writes the entry for the (domain, user) pair a
client's AUTHENTICATE message carries, when that user is one of the simulator's accounts (Windows checks a
local account whatever domain name the client gives).
"""

import os
import tempfile
import threading

from . import ntlm

try:
    import gssapi
    import gssapi.raw as gr
    from gssapi.raw import IOV, IOVBufferType
except ImportError:  # python3-gssapi not installed: Negotiate/Kerberos are advertised only
    gssapi = None

OID_SPNEGO = "1.3.6.1.5.5.2"
OID_KRB5 = "1.2.840.113554.1.2.2"
OID_KRB5_MS = "1.2.840.48018.1.2.2"
OID_NTLM = "1.3.6.1.4.1.311.2.2.10"
DER_SPNEGO = bytes.fromhex("06062b0601050502")
DER_KRB5 = bytes.fromhex("06092a864886f712010202")
DER_KRB5_MS = bytes.fromhex("06092a864882f712010202")

CHANNEL_BOUND = 0x800  # GSS_C_CHANNEL_BOUND_FLAG (MIT krb5 >= 1.19, gss-ntlmssp)


class AuthFailed(Exception):
    """The handshake failed; the reason goes to the log, the client gets a plain 401."""


def available():
    return gssapi is not None


def mechs():
    """Names of the usable mechanisms: 'ntlm' (gss-ntlmssp registered), 'kerberos'."""
    if gssapi is None:
        return set()
    have = {m.dotted_form for m in gr.indicate_mechs()}
    out = set()
    if OID_NTLM in have:
        out.add("ntlm")
    if OID_KRB5 in have:
        out.add("kerberos")
    return out


def token_kind(token):
    """'ntlm', 'spnego', 'kerberos' (raw GSS Kerberos token) or None, from the token's first bytes."""
    if token.startswith(ntlm.SIGNATURE):
        return "ntlm"
    if token[:1] == b"\x60":
        # [APPLICATION 0] <len> OID ...
        pos = 2 + (token[1] & 0x7F if token[1] & 0x80 else 0)
        head = token[pos:pos + 11]
        if head.startswith(DER_SPNEGO):
            return "spnego"
        if head.startswith(DER_KRB5) or head.startswith(DER_KRB5_MS):
            return "kerberos"
    if token[:1] == b"\xa1":
        return "spnego-continue"   # NegTokenResp
    return None


def map_user(name, users):
    """Initiator name (DOMAIN\\user, user@REALM, user) -> the simulator's account name, or None."""
    bare = name.split("\\")[-1]
    bare = bare.split("@")[0]
    for account in users:
        if account.lower() == bare.lower():
            return account
    return None


class NtlmUserFile:
    """The gss-ntlmssp credential file of this process (NTLM_USER_FILE), in a private temp dir."""

    def __init__(self, users):
        self.users = users
        self.dir = tempfile.mkdtemp(prefix="winrm-sim-ntlm-")
        self.path = os.path.join(self.dir, "ntlm_users")
        self.lines = set()
        self.lock = threading.Lock()
        for account, password in users.items():
            if self._safe(account) and self._safe(password):
                self.lines.add("%s:%s:%s" % ("", account, password))
        self._write()
        os.environ["NTLM_USER_FILE"] = self.path

    @staticmethod
    def _safe(s):
        return not any(c in s for c in ":\r\n\x00")

    def _write(self):
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in sorted(self.lines)))
        os.replace(tmp, self.path)

    def admit(self, domain, user):
        """Make (domain, user) known to gss-ntlmssp if user is one of our accounts; -> account or None."""
        account = map_user(user, self.users)
        if account is None:
            return None
        password = self.users[account]
        if not (self._safe(domain) and self._safe(user) and self._safe(password)):
            return None
        line = "%s:%s:%s" % (domain, user, password)
        with self.lock:
            if line not in self.lines:
                self.lines.add(line)
                self._write()
        return account

    def close(self):
        try:
            os.unlink(self.path)
            os.rmdir(self.dir)
        except OSError:
            pass


class Acceptor:
    """The security context of one connection (see the module docstring)."""

    def __init__(self, scheme, users, ntlm_users, bindings=None, cbt="none"):
        self.scheme = scheme              # "Negotiate" or "Kerberos" (the HTTP scheme name)
        self.users = users
        self.ntlm_users = ntlm_users
        self.bindings = bindings          # bytes: RFC 5929 application data, or None
        self.cbt = cbt                    # none | relaxed | strict
        self.ctx = None
        self.complete = False
        self.user = None
        self.mech = None                  # "ntlm" | "kerberos"
        self.delegated = False
        self.channel_bound = False
        self.kind = None
        self.steps = 0

    def step(self, token):
        """Feed one client token; -> the reply token (bytes) or None. Raises AuthFailed."""
        if gssapi is None:
            raise AuthFailed("python3-gssapi is not installed")
        kind = token_kind(token)
        if self.steps == 0:
            if kind not in ("ntlm", "spnego", "kerberos"):
                raise AuthFailed("not an initial Negotiate/Kerberos token")
            if self.scheme == "Kerberos" and kind != "kerberos":
                raise AuthFailed("the Kerberos scheme takes a raw Kerberos AP-REQ only")
            if kind == "ntlm" and ntlm.message_type(token) != ntlm.NEGOTIATE:
                raise AuthFailed("an NTLM handshake starts with a NEGOTIATE message")
            self.kind = kind
        self.steps += 1
        auth = ntlm.parse_authenticate(token)
        if auth is not None:
            if self.ntlm_users is None or self.ntlm_users.admit(auth.domain, auth.user) is None:
                raise AuthFailed("unknown NTLM user %r (domain %r)" % (auth.user, auth.domain))
        cb = None
        if self.bindings is not None and self.cbt != "none":
            cb = gr.ChannelBindings(application_data=self.bindings)
        try:
            res = gr.accept_sec_context(token, None, self.ctx, cb)
        except gr.GSSError as exc:
            raise AuthFailed(str(exc).splitlines()[0])
        self.ctx = res.context
        if res.more_steps:
            return res.token
        mech = res.mech.dotted_form if res.mech is not None else ""
        self.mech = "ntlm" if mech == OID_NTLM else "kerberos" if mech in (OID_KRB5, OID_KRB5_MS) else mech
        flags = int(res.flags)
        self.channel_bound = bool(flags & CHANNEL_BOUND)
        if self.cbt == "strict" and self.bindings is not None and not self.channel_bound:
            raise AuthFailed("channel binding required (CbtHardeningLevel=Strict) but the token has none")
        name = ""
        if res.initiator_name is not None:
            name = gr.display_name(res.initiator_name).name.decode("utf-8", "replace").rstrip("\x00")
        self.user = map_user(name, self.users)
        if self.user is None:
            raise AuthFailed("authenticated principal %r is not a simulator account" % name)
        self.delegated = res.delegated_creds is not None
        self.complete = True
        return res.token

    # ---- message encryption (MS-WSMV 2.2.9.1) -------------------------------------------------------
    def wrap(self, data):
        """-> (header, encrypted data, padding length) for the WinRM framing."""
        if self.mech == "ntlm":
            msg = gr.wrap(self.ctx, data, True).message
            return msg[:16], msg[16:], 0
        iov = IOV(IOVBufferType.header, data, IOVBufferType.padding, std_layout=False)
        gr.wrap_iov(self.ctx, iov, confidential=True)
        pad = iov[2].value or b""
        return iov[0].value, iov[1].value + pad, len(pad)

    def unwrap(self, header, data):
        """The client's header + encrypted data -> plaintext. Raises AuthFailed on a bad message."""
        try:
            if self.mech == "ntlm":
                res = gr.unwrap(self.ctx, header + data)
                if not res.encrypted:
                    raise AuthFailed("message was signed but not sealed")
                return res.message
            iov = IOV((IOVBufferType.header, False, header), data, (IOVBufferType.data, b""), std_layout=False)
            res = gr.unwrap_iov(self.ctx, iov)
            if not res.encrypted:
                raise AuthFailed("message was signed but not sealed")
            return iov[1].value
        except gr.GSSError as exc:
            raise AuthFailed(str(exc).splitlines()[0])
