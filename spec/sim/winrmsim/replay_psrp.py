# SPDX-License-Identifier: MIT
"""Replay of PowerShell Remoting recordings: request checks and consistent ID rewriting.

A PSRP client chooses its own identifiers: the ShellId (= RunspacePoolId), every CommandId (= PipelineId),
and the RPID/PID GUIDs in the 40-byte header of each PSRP message; the recorded replies carry the IDs of
the client that made the recording. The replay learns, request by request, which recorded ID the client
replaced by which of its own (paired by position: the n-th ShellId/CommandId attribute, ShellId selector
and PSRP message header of the recorded request against the client's) and writes the client's IDs into
every recorded reply: in the XML text (selectors, rsp:ShellId, CommandId attributes, rsp:CommandId...),
in the header of every PSRP message inside base64 rsp:Stream / connectResponseXml elements (reassembled
from their fragments, also across replies, and cut again at the recorded fragment boundaries) and in
GUID text inside those messages. The server's own fragment ObjectIds and host-call ids are not the
client's and stay as recorded. A recorded ENCRYPTED_SESSION_KEY is replaced by a session key the replay
chooses, RSA-encrypted with the public key from the client's PUBLIC_KEY message.
"""

import base64
import os
import re

from . import psrpwire as wire
from .faults import WSManFault

B64_ELEMENT = re.compile(r"(<(?P<tag>(?:\w+:)?(?:creationXml|connectXml|connectResponseXml|Arguments|Stream))\b"
                         r"(?P<attrs>[^>]*)>)(?P<b64>[A-Za-z0-9+/=\s]*)(?P<close></(?P=tag)>)")
_ATTR_ID = re.compile(r"\b(ShellId|CommandId)=\"(%s)\"" % wire.GUID_RE.pattern)
_SELECTOR_ID = re.compile(r"<(?:\w+:)?Selector Name=\"ShellId\"[^>]*>\s*(%s)\s*<" % wire.GUID_RE.pattern)
_RESOURCE_URI = re.compile(r"<(?:\w+:)?ResourceURI\b[^>]*>([^<]*)</")
_PUBLIC_KEY = re.compile(r"<S N=\"PublicKey\">([^<]*)</S>")


def psrp_messages(text):
    """PSRP messages that start in the base64 elements of an envelope (header + first fragment's data)."""
    out = []
    for m in B64_ELEMENT.finditer(text or ""):
        try:
            frags = wire.unpack_fragments(base64.b64decode(m.group("b64")))
        except (ValueError, wire.WireError):
            continue
        for f in frags:
            if f.start and len(f.blob) >= wire.MESSAGE_HEADER:
                out.append(wire.Message.unpack(f.blob))
    return out


class IdMap:
    """Recorded ID (upper-case GUID text) -> the client's, learned from the client's requests."""

    def __init__(self):
        self.ids = {}
        self.public_key = None          # the client's CAPI PUBLICKEYBLOB (key exchange)
        self.session_key = None

    def add(self, recorded, client):
        if not recorded or not client or recorded == wire.NULL_GUID:
            return
        self.ids.setdefault(recorded.upper(), client.upper())

    def learn(self, recorded_req, client_req):
        for name in ("ShellId", "CommandId"):
            rec = [v for n, v in _ATTR_ID.findall(recorded_req) if n == name]
            cli = [v for n, v in _ATTR_ID.findall(client_req) if n == name]
            for r, c in zip(rec, cli):
                self.add(r, c)
        for r, c in zip(_SELECTOR_ID.findall(recorded_req), _SELECTOR_ID.findall(client_req)):
            self.add(r, c)
        for r, c in zip(psrp_messages(recorded_req), psrp_messages(client_req)):
            self.add(r.rpid, c.rpid)
            self.add(r.pid, c.pid)
            if c.type == wire.MT["PUBLIC_KEY"]:
                key = _PUBLIC_KEY.search(c.text())
                if key:
                    self.public_key = base64.b64decode(key.group(1))

    def guid(self, text):
        new = self.ids.get(text.upper())
        if new is None:
            return text
        return new.lower() if text.islower() else new

    def text(self, s):
        return wire.GUID_RE.sub(lambda m: self.guid(m.group(0)), s)

    def message(self, blob):
        """A recorded server message with the client's IDs (same length unless the session key is replaced)."""
        if len(blob) < wire.MESSAGE_HEADER:
            return bytes(blob)
        msg = wire.Message.unpack(bytes(blob))
        msg.rpid = self.guid(msg.rpid).upper()
        msg.pid = self.guid(msg.pid).upper()
        if msg.type == wire.MT["ENCRYPTED_SESSION_KEY"] and self.public_key is not None:
            if self.session_key is None:
                self.session_key = os.urandom(wire.SESSION_KEY_BYTES)
            msg.data = wire.BOM + wire.encrypted_session_key_clixml(self.public_key, self.session_key)
        else:
            msg.data = self.text(msg.data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return msg.pack()


class RecordedStreams:
    """The server's PSRP messages of a recording, reassembled from the fragments of all replies, and each
    reply's fragment layout, so a rewritten message can be cut at the recorded boundaries again."""

    def __init__(self, messages):
        self.blobs = []              # recorded message bytes
        self.layout = {}             # reply index -> per base64 element: [(message no or None, offset, Fragment)]
        open_msgs = {}
        for index, msg in enumerate(messages):
            reply = msg.get("response") or ""
            shell = _SELECTOR_ID.findall(msg.get("request") or "")
            key = shell[0].upper() if shell else ""
            elements = []
            for m in B64_ELEMENT.finditer(reply):
                try:
                    frags = wire.unpack_fragments(base64.b64decode(m.group("b64")))
                except (ValueError, wire.WireError):
                    elements.append(None)
                    continue
                elements.append([self._place(open_msgs, key, f) for f in frags])
            self.layout[index] = elements

    def _place(self, open_msgs, key, frag):
        if frag.start:
            open_msgs[(key, frag.object_id)] = len(self.blobs)
            self.blobs.append(bytearray())
        no = open_msgs.get((key, frag.object_id))
        if no is None:
            return (None, 0, frag)
        offset = len(self.blobs[no])
        self.blobs[no] += frag.blob
        if frag.end:
            del open_msgs[(key, frag.object_id)]
        return (no, offset, frag)

    def rewrite(self, index, text, ids):
        elements = iter(self.layout.get(index) or [])

        def element(m):
            items = next(elements, None)
            if items is None:
                return m.group(0)
            out = []
            for no, offset, f in items:
                blob = f.blob
                if no is not None:
                    new = ids.message(self.blobs[no])
                    if len(new) == len(self.blobs[no]):
                        blob = new[offset:offset + len(f.blob)]
                    elif f.start and f.end:
                        blob = new
                out.append(wire.Fragment(f.object_id, f.fragment_id, f.start, f.end, blob).pack())
            return m.group(1) + base64.b64encode(b"".join(out)).decode("ascii") + m.group("close")

        return ids.text(B64_ELEMENT.sub(element, text))


def check_request(recorded, client, position):
    """What a replay insists on besides the action: the resource URI, the PSRP message types that start in
    the request (in order). A mismatch is a fault naming what the recording expects."""
    def fault(what, want, got):
        return WSManFault("ACTION_NOT_SUPPORTED", "The simulator's replay file expects %s %s here (message %d), "
                                                  "not %s." % (what, want, position, got))
    want = _RESOURCE_URI.search(recorded)
    got = _RESOURCE_URI.search(client)
    if want and (got is None or got.group(1).strip().lower() != want.group(1).strip().lower()):
        raise fault("resource URI", want.group(1).strip(), got.group(1).strip() if got else "none")
    want_types = [m.name for m in psrp_messages(recorded)]
    got_types = [m.name for m in psrp_messages(client)]
    if want_types != got_types:
        raise fault("the PSRP messages", " ".join(want_types) or "(none)", " ".join(got_types) or "(none)")
