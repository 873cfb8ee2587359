# SPDX-License-Identifier: MIT
"""Just enough NTLM (MS-NLMP 2.2.1) parsing for the acceptor: who is authenticating, and with which AV pairs.

The cryptography is gss-ntlmssp's (through GSSAPI, see gss.py); this module only reads the
AUTHENTICATE message so that the simulator can hand gss-ntlmssp a credential entry for exactly the
domain and user name the client sent, and so that tests and logs can see the channel bindings.
"""

import struct

SIGNATURE = b"NTLMSSP\x00"
NEGOTIATE, CHALLENGE, AUTHENTICATE = 1, 2, 3
FLAG_UNICODE = 0x00000001

AV_EOL, AV_NB_COMPUTER, AV_NB_DOMAIN, AV_DNS_COMPUTER, AV_DNS_DOMAIN = 0, 1, 2, 3, 4
AV_FLAGS, AV_TIMESTAMP, AV_TARGET_NAME, AV_CHANNEL_BINDINGS = 6, 7, 9, 10


def find(token):
    """The raw NTLM message in a token (raw NTLMSSP, or wrapped in SPNEGO DER), or None."""
    if not token:
        return None
    i = token.find(SIGNATURE)
    return token[i:] if i >= 0 else None


def message_type(msg):
    if not msg or len(msg) < 12 or not msg.startswith(SIGNATURE):
        return None
    return struct.unpack_from("<I", msg, 8)[0]


def _field(msg, offset):
    length, _, start = struct.unpack_from("<HHI", msg, offset)
    if start + length > len(msg):
        raise ValueError("NTLM field outside the message")
    return msg[start:start + length]


def av_pairs(data):
    """[(id, value bytes)] up to MsvAvEOL."""
    out = []
    pos = 0
    while pos + 4 <= len(data):
        av_id, av_len = struct.unpack_from("<HH", data, pos)
        pos += 4
        if av_id == AV_EOL:
            break
        out.append((av_id, data[pos:pos + av_len]))
        pos += av_len
    return out


class Authenticate:
    """Fields of an AUTHENTICATE_MESSAGE (type 3)."""

    def __init__(self, msg):
        if message_type(msg) != AUTHENTICATE or len(msg) < 64:
            raise ValueError("not an NTLM AUTHENTICATE message")
        self.flags = struct.unpack_from("<I", msg, 60)[0]
        enc = "utf-16-le" if self.flags & FLAG_UNICODE else "latin-1"
        self.domain = _field(msg, 28).decode(enc, "replace")
        self.user = _field(msg, 36).decode(enc, "replace")
        self.workstation = _field(msg, 44).decode(enc, "replace")
        nt = _field(msg, 20)
        self.ntlmv2 = len(nt) > 24
        # NTLMv2_RESPONSE: NTProofStr(16) | RespType, HiRespType(2) | Z(6) | Time(8) | ClientChallenge(8) | Z(4) | AV pairs
        self.av = dict(av_pairs(nt[44:])) if self.ntlmv2 else {}

    @property
    def channel_bindings(self):
        """The MsvAvChannelBindings hash (16 bytes), or None when absent or all zero."""
        cb = self.av.get(AV_CHANNEL_BINDINGS)
        return cb if cb and cb.strip(b"\x00") else None

    @property
    def target_name(self):
        t = self.av.get(AV_TARGET_NAME)
        return t.decode("utf-16-le", "replace") if t is not None else None


def parse_authenticate(token):
    """Authenticate for a token holding an NTLM type 3 (raw or in SPNEGO), else None."""
    msg = find(token)
    if message_type(msg) != AUTHENTICATE:
        return None
    try:
        return Authenticate(msg)
    except (ValueError, struct.error):
        return None
