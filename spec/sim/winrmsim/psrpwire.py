# SPDX-License-Identifier: MIT
"""MS-PSRP wire format: fragments (2.2.4), messages (2.2.1), message types (2.2.1), the session key exchange
(PUBLIC_KEY / ENCRYPTED_SESSION_KEY, 2.2.2.3-2.2.2.4, 3.1.5.4.2) and SecureString encryption.

Written from the specification; shared by the replay (ID rewriting) and the PowerShell plug-in.
"""

import base64
import os
import re
import struct
import uuid

# Destination (2.2.1)
TO_CLIENT = 0x00000001
TO_SERVER = 0x00000002

# Message types (2.2.1)
MT = {
    "SESSION_CAPABILITY": 0x00010002,
    "INIT_RUNSPACEPOOL": 0x00010004,
    "PUBLIC_KEY": 0x00010005,
    "ENCRYPTED_SESSION_KEY": 0x00010006,
    "PUBLIC_KEY_REQUEST": 0x00010007,
    "CONNECT_RUNSPACEPOOL": 0x00010008,
    "RUNSPACEPOOL_INIT_DATA": 0x0002100B,
    "RESET_RUNSPACE_STATE": 0x0002100C,
    "SET_MAX_RUNSPACES": 0x00021002,
    "SET_MIN_RUNSPACES": 0x00021003,
    "RUNSPACE_AVAILABILITY": 0x00021004,
    "RUNSPACEPOOL_STATE": 0x00021005,
    "CREATE_PIPELINE": 0x00021006,
    "GET_AVAILABLE_RUNSPACES": 0x00021007,
    "USER_EVENT": 0x00021008,
    "APPLICATION_PRIVATE_DATA": 0x00021009,
    "GET_COMMAND_METADATA": 0x0002100A,
    "RUNSPACEPOOL_HOST_CALL": 0x00021100,
    "RUNSPACEPOOL_HOST_RESPONSE": 0x00021101,
    "PIPELINE_INPUT": 0x00041002,
    "END_OF_PIPELINE_INPUT": 0x00041003,
    "PIPELINE_OUTPUT": 0x00041004,
    "ERROR_RECORD": 0x00041005,
    "PIPELINE_STATE": 0x00041006,
    "DEBUG_RECORD": 0x00041007,
    "VERBOSE_RECORD": 0x00041008,
    "WARNING_RECORD": 0x00041009,
    "PROGRESS_RECORD": 0x00041010,
    "INFORMATION_RECORD": 0x00041011,
    "PIPELINE_HOST_CALL": 0x00041100,
    "PIPELINE_HOST_RESPONSE": 0x00041101,
}
MT_NAME = {v: k for k, v in MT.items()}

FRAGMENT_HEADER = 21          # ObjectId (8) FragmentId (8) flags (1) BlobLength (4), big-endian
MESSAGE_HEADER = 40           # Destination (4) MessageType (4) RPID (16) PID (16), little-endian GUIDs
FLAG_START = 0x1
FLAG_END = 0x2
NULL_GUID = "00000000-0000-0000-0000-000000000000"
BOM = b"\xef\xbb\xbf"
GUID_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


class Fragment:
    __slots__ = ("object_id", "fragment_id", "start", "end", "blob")

    def __init__(self, object_id, fragment_id, start, end, blob):
        self.object_id = object_id
        self.fragment_id = fragment_id
        self.start = start
        self.end = end
        self.blob = blob

    def pack(self):
        flags = (FLAG_START if self.start else 0) | (FLAG_END if self.end else 0)
        return struct.pack(">QQBI", self.object_id, self.fragment_id, flags, len(self.blob)) + self.blob


class WireError(ValueError):
    pass


def unpack_fragments(data):
    """Bytes of one or more fragments -> [Fragment]."""
    out = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < FRAGMENT_HEADER:
            raise WireError("truncated PSRP fragment header at byte %d" % pos)
        oid, fid, flags, size = struct.unpack_from(">QQBI", data, pos)
        pos += FRAGMENT_HEADER
        if len(data) - pos < size:
            raise WireError("PSRP fragment %d/%d claims %d bytes, %d left" % (oid, fid, size, len(data) - pos))
        out.append(Fragment(oid, fid, bool(flags & FLAG_START), bool(flags & FLAG_END), data[pos:pos + size]))
        pos += size
    return out


def fragment_message(object_id, message, max_blob):
    """One message -> [Fragment] with blobs of at most max_blob bytes."""
    max_blob = max(1, max_blob)
    pieces = [message[i:i + max_blob] for i in range(0, len(message), max_blob)] or [b""]
    return [Fragment(object_id, i, i == 0, i == len(pieces) - 1, p) for i, p in enumerate(pieces)]


def guid_bytes(text):
    return uuid.UUID(text).bytes_le


def guid_text(data):
    return str(uuid.UUID(bytes_le=bytes(data))).upper()


class Message:
    __slots__ = ("destination", "type", "rpid", "pid", "data")

    def __init__(self, destination, mtype, rpid, pid, data):
        self.destination = destination
        self.type = mtype
        self.rpid = rpid            # upper-case GUID text
        self.pid = pid
        self.data = data            # bytes (UTF-8 CLIXML, with or without BOM)

    @classmethod
    def unpack(cls, blob):
        if len(blob) < MESSAGE_HEADER:
            raise WireError("PSRP message of %d bytes is shorter than its 40-byte header" % len(blob))
        dest, mtype = struct.unpack_from("<II", blob, 0)
        return cls(dest, mtype, guid_text(blob[8:24]), guid_text(blob[24:40]), blob[MESSAGE_HEADER:])

    def pack(self):
        return struct.pack("<II", self.destination, self.type) + guid_bytes(self.rpid) + guid_bytes(self.pid) + \
            self.data

    @property
    def name(self):
        return MT_NAME.get(self.type, "0x%08X" % self.type)

    def text(self):
        data = self.data[3:] if self.data.startswith(BOM) else self.data
        return data.decode("utf-8")


class Defragmenter:
    """Fragments in arrival order -> complete message blobs (per ObjectId)."""

    def __init__(self):
        self.partial = {}

    def feed(self, fragments):
        done = []
        for f in fragments:
            if f.start:
                self.partial[f.object_id] = [f.blob]
            elif f.object_id in self.partial:
                self.partial[f.object_id].append(f.blob)
            else:
                raise WireError("PSRP fragment %d of object %d arrived without its start fragment"
                                % (f.fragment_id, f.object_id))
            if f.end:
                done.append(b"".join(self.partial.pop(f.object_id)))
        return done


# ---- session key exchange (CAPI key blobs, RSA PKCS#1 v1.5, AES-256-CBC) -----------------------------------

PUBLICKEYBLOB = 0x06
SIMPLEBLOB = 0x01
CUR_BLOB_VERSION = 0x02
CALG_RSA_KEYX = 0x0000A400
CALG_AES_256 = 0x00006610
RSA1_MAGIC = b"RSA1"
SESSION_KEY_BYTES = 32


def parse_public_key_blob(blob):
    """CAPI PUBLICKEYBLOB (BLOBHEADER + RSAPUBKEY + little-endian modulus) -> (n, e)."""
    if len(blob) < 20:
        raise WireError("PUBLIC_KEY blob of %d bytes is too short" % len(blob))
    btype, version, _reserved, alg = struct.unpack_from("<BBHI", blob, 0)
    magic, bits, exponent = struct.unpack_from("<4sII", blob, 8)
    if btype != PUBLICKEYBLOB or alg != CALG_RSA_KEYX or magic != RSA1_MAGIC:
        raise WireError("PUBLIC_KEY is not an RSA key-exchange PUBLICKEYBLOB")
    modulus = blob[20:20 + bits // 8]
    if len(modulus) != bits // 8:
        raise WireError("PUBLIC_KEY modulus is truncated")
    return int.from_bytes(modulus, "little"), exponent


def make_public_key_blob(n, e):
    size = (n.bit_length() + 7) // 8
    return struct.pack("<BBHI4sII", PUBLICKEYBLOB, CUR_BLOB_VERSION, 0, CALG_RSA_KEYX, RSA1_MAGIC, size * 8, e) + \
        n.to_bytes(size, "little")


def encrypt_session_key(public_blob, session_key):
    """SIMPLEBLOB: the AES-256 session key RSA-encrypted (PKCS#1 v1.5 type 2) with the client's public key."""
    n, e = parse_public_key_blob(public_blob)
    k = (n.bit_length() + 7) // 8
    pad_len = k - 3 - len(session_key)
    if pad_len < 8:
        raise WireError("RSA key of %d bits is too small for the session key" % (k * 8))
    padding = bytearray()
    while len(padding) < pad_len:
        padding.extend(b for b in os.urandom(pad_len) if b)
    block = b"\x00\x02" + bytes(padding[:pad_len]) + b"\x00" + session_key
    cipher = pow(int.from_bytes(block, "big"), e, n).to_bytes(k, "big")
    return struct.pack("<BBHII", SIMPLEBLOB, CUR_BLOB_VERSION, 0, CALG_AES_256, CALG_RSA_KEYX) + cipher[::-1]


def encrypted_session_key_clixml(public_blob, session_key):
    blob = encrypt_session_key(public_blob, session_key)
    return ('<Obj RefId="0"><MS><S N="EncryptedSessionKey">%s</S></MS></Obj>'
            % base64.b64encode(blob).decode("ascii")).encode("utf-8")


def _aes(key):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    return Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16))


def secure_string_encrypt(key, text):
    """SecureString <SS> value: UTF-16LE, PKCS#7 padded, AES-256-CBC with a zero IV, base64."""
    data = text.encode("utf-16-le")
    pad = 16 - len(data) % 16
    enc = _aes(key).encryptor()
    return base64.b64encode(enc.update(data + bytes([pad]) * pad) + enc.finalize()).decode("ascii")


def secure_string_decrypt(key, b64):
    dec = _aes(key).decryptor()
    data = dec.update(base64.b64decode(b64)) + dec.finalize()
    if not data or data[-1] < 1 or data[-1] > 16:
        raise WireError("SecureString padding is invalid (wrong session key?)")
    return data[:-data[-1]].decode("utf-16-le")
