# SPDX-License-Identifier: MIT
"""Replay of recorded exchanges in the pypsrp YAML format (shared/captures/windows-pypsrp/*.yml).

Only the small YAML subset those files use is read: a top-level ``messages:`` list of mappings whose
values are single-line or folded plain scalars, single/double-quoted scalars, ``null``, and small
nested mappings (``transport_error: {protocol, code}``) or lists (``overrides``), plus # comments.
"""

import json
import re
import threading

from . import replay_psrp
from .faults import WSManFault

_KEY = re.compile(r"^(?P<indent> *)(?P<dash>- )?(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?: (?P<value>.*))?$")


class YamlError(ValueError):
    pass


def _plain(value):
    value = value.strip()
    if not value.startswith(("<", "'", '"')):
        value = re.sub(r"\s+#.*$", "", value)
    return value


def _scalar(text):
    text = text.strip()
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return json.loads(text)
    if text in ("null", "~", ""):
        return None
    low = text.lower()
    if low in ("yes", "true", "on"):
        return True
    if low in ("no", "false", "off"):
        return False
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*", text):
        return float(text)
    return text


def _quote_open(text):
    """Is this the start of a quoted scalar that is not closed on the same line?"""
    t = text.strip()
    if t.startswith("'"):
        body = t[1:].replace("''", "")
        return "'" not in body
    if t.startswith('"'):
        body = re.sub(r'\\.', "", t[1:])
        return '"' not in body
    return False


def parse(text):
    """Parse a recording file -> list of message dicts."""
    messages = None
    current = None          # current message dict
    nested = None           # (dict or list) the indent-2 key opened
    last = None             # (container, key, indent) of the last scalar, for continuation lines
    pending_quote = False
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if pending_quote:
            container, key, _ = last
            container[key] += " " + line.strip()
            if not _quote_open(container[key]):
                pending_quote = False
                container[key] = _scalar(container[key])
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _KEY.match(line)
        indent = len(line) - len(line.lstrip(" "))
        if m is None or (last is not None and indent > last[2] and last[0].get(last[1]) not in (None, "")
                         and isinstance(last[0].get(last[1]), str) and not m.group("dash")):
            if last is None:
                raise YamlError("unexpected line: %.60s" % line)
            container, key, _ = last
            if isinstance(container[key], str):
                container[key] += " " + stripped
            continue
        key, value = m.group("key"), m.group("value")
        ind = len(m.group("indent"))
        if ind == 0 and not m.group("dash"):
            if key != "messages":
                raise YamlError("unknown top-level key %s" % key)
            messages = []
            continue
        if messages is None:
            raise YamlError("no messages: list")
        if ind == 0 and m.group("dash"):
            current = {}
            messages.append(current)
            target, kind_indent = current, 2
        elif ind == 2 and not m.group("dash"):
            target, kind_indent = current, 2
        elif nested is not None:
            if isinstance(nested, list):
                if m.group("dash"):
                    nested.append({})
                if not nested:
                    nested.append({})
                target = nested[-1]
            else:
                target = nested
            kind_indent = ind + (2 if m.group("dash") else 0)
        else:
            raise YamlError("unexpected indentation: %.60s" % line)
        if value is None or value.strip() == "" or value.strip().startswith("#"):
            if target is current:
                nested = [] if key == "overrides" else {}
                current[key] = nested
            else:
                target[key] = {}
            last = None
            continue
        if target is current:
            nested = None
        value = _plain(value)
        if _quote_open(value):
            target[key] = value
            last = (target, key, kind_indent)
            pending_quote = True
            continue
        target[key] = value if value.startswith("<") else value
        last = (target, key, kind_indent)
    if messages is None:
        raise YamlError("no messages: list")
    for msg in messages:
        for k, v in list(msg.items()):
            if isinstance(v, str):
                msg[k] = _scalar(v) if not v.startswith("<") else v
            elif isinstance(v, dict):
                msg[k] = {kk: _scalar(vv) if isinstance(vv, str) else vv for kk, vv in v.items()}
    return messages


def load(path):
    with open(path, encoding="utf-8") as fh:
        return parse(fh.read())


_RELATES = re.compile(r"<a:RelatesTo>[^<]*</a:RelatesTo>")
_OPTIONAL = ("/windows/shell/Reconnect", "/windows/shell/Signal")
_ACTION = re.compile(r"<(?:\w+:)?Action[^>]*>([^<]*)</(?:\w+:)?Action>")


class Replayer:
    """Hands out the recorded responses in order (thread-safe), with the client's IDs (replay_psrp.py)."""

    def __init__(self, messages):
        self.messages = messages
        self.streams = replay_psrp.RecordedStreams(messages)
        self.ids = replay_psrp.IdMap()
        self.pos = 0
        self.lock = threading.Lock()

    def next(self, action=None, text=None):
        """The next recorded message and its index. A request whose action differs from the recorded one
        (Create, Command, Receive, Signal, Delete... in the recorded order), or, given the request text,
        whose resource URI, PSRP message types or signal code differ, gets a fault and does not consume the
        message, so a client that does not follow the recording fails visibly. The IDs the client chose
        (ShellId, CommandId, PSRP RPID/PID, public key) are learned from the text."""
        with self.lock:
            if self.pos >= len(self.messages):
                return None, None
            msg = self.messages[self.pos]
            recorded = msg.get("request") or ""
            want = _ACTION.search(recorded)
            if action is not None and self._skippable(want, action):
                self.pos += 1
                msg = self.messages[self.pos]
                recorded = msg.get("request") or ""
                want = _ACTION.search(recorded)
            if action is not None and want is not None and want.group(1).strip() != action.strip():
                raise WSManFault("ACTION_NOT_SUPPORTED",
                                 "The simulator's replay file expects a request with action %s here (message %d), "
                                 "not %s." % (want.group(1).strip(), self.pos + 1, action))
            if text is not None:
                replay_psrp.check_request(recorded, text, self.pos + 1)
                self.ids.learn(recorded, text)
            self.pos += 1
            return msg, self.pos - 1

    def _skippable(self, want, action):
        """A recorded Reconnect or Signal the client does not send, when the client's request is the next
        recorded one. pypsrp reconnects a pool it connected to already before closing it (its state stays
        Disconnected when the host answers Connect with APPLICATION_PRIVATE_DATA only;
        test_psrp_disconnected_commands.yml), and its later versions signal every finished pipeline
        (test_psrp_multiple_invocations.yml), requests other clients do not send."""
        optional = next((a for a in _OPTIONAL if want is not None and want.group(1).strip().endswith(a)), None)
        if optional is None or action.strip().endswith(optional):
            return False
        if self.pos + 1 >= len(self.messages):
            return False
        after = _ACTION.search(self.messages[self.pos + 1].get("request") or "")
        return after is not None and after.group(1).strip() == action.strip()

    def remaining(self):
        with self.lock:
            return len(self.messages) - self.pos

    def reset(self):
        with self.lock:
            self.pos = 0
            self.ids = replay_psrp.IdMap()

    def reply(self, msg, index, message_id):
        """The recorded response with the client's IDs and RelatesTo pointing at this request's MessageID."""
        text = self.response_text(msg, message_id)
        if text is None:
            return None
        with self.lock:
            return self.streams.rewrite(index, text, self.ids)

    @staticmethod
    def response_text(msg, message_id):
        """The recorded response with RelatesTo pointing at this request's MessageID."""
        text = msg.get("response")
        if text is None:
            return None
        if message_id:
            text = _RELATES.sub("<a:RelatesTo>%s</a:RelatesTo>" % message_id, text, count=1)
        return text
