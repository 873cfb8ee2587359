# SPDX-License-Identifier: MIT
"""WinRM message encryption framing over HTTP (MS-WSMV 2.2.9.1).

    Content-Type: multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"

    --Encrypted Boundary\r\n
    \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
    \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plaintext (+ padding) length>\r\n
    --Encrypted Boundary\r\n
    \tContent-Type: application/octet-stream\r\n
    <uint32 LE header length><header><encrypted data>--Encrypted Boundary--\r\n

The wrap/unwrap themselves belong to the security context (gss.Acceptor).
"""

import re
import struct

SPNEGO = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS = "application/HTTP-Kerberos-session-encrypted"
CREDSSP = "application/HTTP-CredSSP-session-encrypted"
BOUNDARY = "Encrypted Boundary"
_PARAM = re.compile(r';\s*([A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
# pypsrp: "Talking to Exchange endpoints gives a non-compliant boundary that has a space between the --"
_MARK = re.compile(rb"--\s*Encrypted Boundary(--)?\r\n")


class BadMessage(Exception):
    pass


def content_type_params(ctype):
    """'multipart/encrypted;protocol="x";boundary="y"' -> ('multipart/encrypted', {'protocol': 'x', ...})."""
    media = ctype.split(";", 1)[0].strip().lower()
    params = {}
    for k, v in _PARAM.findall(ctype):
        params[k.lower()] = v.strip().strip('"')
    return media, params


def is_encrypted(ctype):
    media = ctype.split(";", 1)[0].strip().lower()
    return media in ("multipart/encrypted", "multipart/x-multi-encrypted")


def parse(body, ctype):
    """-> (protocol, [(original content type, declared length, header, encrypted data)])."""
    media, params = content_type_params(ctype)
    protocol = params.get("protocol", "")
    if params.get("boundary", BOUNDARY) != BOUNDARY:
        raise BadMessage("boundary must be %r" % BOUNDARY)
    marks = list(_MARK.finditer(body))
    if len(marks) < 3 or marks[0].start() != 0 or not marks[-1].group(1):
        raise BadMessage("no --Encrypted Boundary framing")
    parts = []
    for i in range(0, len(marks) - 1, 2):
        meta_start, data_mark = marks[i].end(), marks[i + 1]
        if data_mark.group(1) or i + 2 >= len(marks):
            raise BadMessage("metadata part without a data part")
        meta = body[meta_start:data_mark.start()].decode("latin-1")
        fields = {}
        for line in meta.split("\r\n"):
            k, sep, v = line.strip().partition(":")
            if sep:
                fields[k.strip().lower()] = v.strip()
        if fields.get("content-type", "").lower() != protocol.lower():
            raise BadMessage("part Content-Type %r does not match the protocol %r"
                             % (fields.get("content-type"), protocol))
        original = fields.get("originalcontent", "")
        m = re.search(r"Length=(\d+)", original, re.I)
        if not m:
            raise BadMessage("OriginalContent without Length")
        length = int(m.group(1))
        otype = original.split(";Length=")[0]
        otype = otype[5:] if otype.lower().startswith("type=") else otype
        data = body[data_mark.end():marks[i + 2].start()]
        nl = data.find(b"\r\n")
        if nl < 0 or data[:nl].strip().lower().replace(b" ", b"") != b"content-type:application/octet-stream":
            raise BadMessage("data part without Content-Type: application/octet-stream")
        data = data[nl + 2:]
        if len(data) < 4:
            raise BadMessage("data part too short")
        hlen = struct.unpack_from("<I", data)[0]
        if hlen > len(data) - 4:
            raise BadMessage("header length %d beyond the data" % hlen)
        parts.append((otype, length, data[4:4 + hlen], data[4 + hlen:]))
    return media, protocol, parts


def decrypt(body, ctype, ctx):
    """-> (plaintext bytes, original content type, protocol) using ctx.unwrap(header, data)."""
    media, protocol, parts = parse(body, ctype)
    if protocol not in (SPNEGO, KERBEROS):
        raise BadMessage("unsupported protocol %r" % protocol)
    plain = []
    otype = None
    for ptype, length, header, data in parts:
        otype = otype or ptype
        text = ctx.unwrap(header, data)
        if len(text) != length:
            if ctx.mech == "kerberos" and len(text) > length:
                text = text[:length]
            elif not (ctx.mech == "kerberos" and len(text) < length):
                raise BadMessage("decrypted length %d differs from Length=%d" % (len(text), length))
        if ctx.mech == "kerberos":
            text = strip_padding(text)
        plain.append(text)
    return b"".join(plain), otype or "application/soap+xml;charset=UTF-8", protocol


def strip_padding(text):
    """RC4 (RFC 4757) wrap tokens carry 1..8 bytes of padding, each equal to the count; XML never ends so."""
    n = text[-1] if text else 0
    if 1 <= n <= 16 and len(text) >= n and text[-n:] == bytes([n]) * n:
        return text[:-n]
    return text


def encrypt(plain, ctx, protocol, otype="application/soap+xml;charset=UTF-8"):
    """-> (body, Content-Type header value) with ctx.wrap(plain) -> (header, data, padding length)."""
    header, data, pad = ctx.wrap(plain)
    b = BOUNDARY.encode()
    body = b"".join([
        b"--", b, b"\r\n",
        b"\tContent-Type: ", protocol.encode(), b"\r\n",
        b"\tOriginalContent: type=", otype.encode(), b";Length=", str(len(plain) + pad).encode(), b"\r\n",
        b"--", b, b"\r\n",
        b"\tContent-Type: application/octet-stream\r\n",
        struct.pack("<I", len(header)), header, data,
        b"--", b, b"--\r\n"])
    return body, 'multipart/encrypted;protocol="%s";boundary="%s"' % (protocol, BOUNDARY)
