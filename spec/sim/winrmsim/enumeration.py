# SPDX-License-Identifier: MIT
"""WS-Enumeration: Enumerate (optimized or not), Pull with context rollover, Release, idle expiry.

Every PullResponse that is not the last carries a new context id and the old one becomes invalid.
An idle context expires after --enum-timeout ms; using it then faults wsen:InvalidEnumerationContext.
Replies larger than the request's MaxEnvelopeSize fault w:EncodingLimit (the context stays valid,
so a client can Pull again with a smaller MaxElements).
"""

import threading
import time
import uuid

from . import ns
from .faults import WSManFault, WMI_PROVIDER

_N = "{%s}" % ns.N
_W = "{%s}" % ns.W


class Context:
    __slots__ = ("id", "items", "pos", "mode", "last_used")

    def __init__(self, items, mode):
        self.id = "uuid:" + str(uuid.uuid4()).upper()
        self.items = items
        self.pos = 0
        self.mode = mode
        self.last_used = time.monotonic()


class Enumerations:
    """The open enumeration contexts of the service."""

    def __init__(self, timeout_ms, max_batch, grow=0):
        self.timeout = timeout_ms / 1000.0
        self.max_batch = max_batch
        self.grow = grow  # --grow-enum-context: each new context id this many bytes longer
        self.lock = threading.Lock()
        self.contexts = {}

    def sweep(self):
        now = time.monotonic()
        with self.lock:
            for cid in [c for c, ctx in self.contexts.items() if now - ctx.last_used > self.timeout]:
                del self.contexts[cid]

    def open_count(self):
        self.sweep()
        return len(self.contexts)

    def clear(self):
        with self.lock:
            self.contexts.clear()

    def _take(self, cid):
        """Remove and return a live context, or fault."""
        self.sweep()
        with self.lock:
            ctx = self.contexts.pop((cid or "").strip(), None)
        if ctx is None:
            raise WSManFault("INVALID_ENUMERATION_CONTEXT")
        return ctx

    def _put(self, ctx):
        ctx.last_used = time.monotonic()
        with self.lock:
            self.contexts[ctx.id] = ctx


def render_items(items, mode):
    if mode == "EnumerateEPR":
        return "".join(i.epr() for i in items)
    if mode == "EnumerateObjectAndEPR":
        return "".join("<w:Item>%s%s</w:Item>" % (i.obj(), i.epr()) for i in items)
    return "".join(i.obj() for i in items)


def _int_text(elem, default):
    if elem is None:
        return default
    try:
        value = int((elem.text or "").strip())
    except ValueError:
        raise WSManFault("INVALID_PARAMETER", "The WS-Management service cannot process the request. The "
                                              "MaxElements value %r is not valid." % elem.text)
    if value < 1:
        raise WSManFault("INVALID_PARAMETER", "The WS-Management service cannot process the request. "
                                              "MaxElements must be at least 1.")
    return value


def enumerate_request(op, handler, finish):
    """Handle an Enumerate. ``finish(body, action)`` builds and size-checks the response envelope."""
    enums = op.state.enums
    payload = op.req.payload
    if payload is None or payload.tag != _N + "Enumerate":
        raise WSManFault("SCHEMA_VALIDATION_ERROR", "The WS-Management service cannot process the request. The "
                                                    "Enumerate body is missing.")
    for e in payload.iter():
        if e.tag.rpartition("}")[2] == "PolymorphismMode":
            raise WSManFault("POLYMORPHISM_MODE_UNSUPPORTED", provider=WMI_PROVIDER)
    if payload.find(_N + "Expires") is not None:
        raise WSManFault("UNSUPPORTED_EXPIRATION_TIME")
    mode_elem = payload.find(_W + "EnumerationMode")
    mode = (mode_elem.text or "").strip() if mode_elem is not None else None
    if mode not in (None, "EnumerateEPR", "EnumerateObjectAndEPR"):
        raise WSManFault("UNSUPPORTED_FEATURE", "The WS-Management service does not support the enumeration mode "
                                                "%s." % mode, detail="EnumerationMode")
    filt = payload.find(_W + "Filter")
    if filt is None:
        filt = payload.find(_N + "Filter")
    dialect = None
    if filt is not None:
        dialect = filt.get("Dialect") or ns.XPATH
    items = handler.enumerate(op, dialect, filt)
    optimize = payload.find(_W + "OptimizeEnumeration") is not None
    ctx = Context(items, mode)
    action = ns.N + "/EnumerateResponse"
    if not optimize:
        enums._put(ctx)
        return finish("<n:EnumerateResponse><n:EnumerationContext>%s</n:EnumerationContext></n:EnumerateResponse>"
                      % ctx.id, action, None)
    count = min(_int_text(payload.find(_W + "MaxElements"), 1), enums.max_batch)
    batch = items[:count]
    done = count >= len(items)
    body = "<n:EnumerateResponse><n:EnumerationContext>%s</n:EnumerationContext><w:Items>%s</w:Items>%s" \
           "</n:EnumerateResponse>" % ("" if done else ctx.id, render_items(batch, mode),
                                       "<w:EndOfSequence/>" if done else "")
    reply = finish(body, action, None)
    if not done:
        ctx.pos = count
        enums._put(ctx)
    return reply


def _next_id(old, grow):
    new = "uuid:" + str(uuid.uuid4()).upper()
    if grow:
        new += "-" + "0" * (max(0, len(old) - len(new) - 1) + grow)
    return new


def pull_request(op, finish):
    enums = op.state.enums
    payload = op.req.payload
    if payload is None or payload.tag != _N + "Pull":
        raise WSManFault("SCHEMA_VALIDATION_ERROR", "The WS-Management service cannot process the request. The Pull "
                                                    "body is missing.")
    cid = payload.find(_N + "EnumerationContext")
    ctx = enums._take(cid.text if cid is not None else "")
    try:
        count = min(_int_text(payload.find(_N + "MaxElements"), 1), enums.max_batch)
        batch = ctx.items[ctx.pos:ctx.pos + count]
        done = ctx.pos + count >= len(ctx.items)
        new_id = None if done else _next_id(ctx.id, enums.grow)
        body = "<n:PullResponse>%s<n:Items>%s</n:Items>%s</n:PullResponse>" % (
            "<n:EnumerationContext>%s</n:EnumerationContext>" % new_id if new_id else "",
            render_items(batch, ctx.mode), "<n:EndOfSequence/>" if done else "")
        reply = finish(body, ns.N + "/PullResponse", None)
    except WSManFault:
        enums._put(ctx)  # a fault (e.g. envelope too large) leaves the context usable
        raise
    if not done:
        ctx.pos += count
        ctx.id = new_id
        enums._put(ctx)
    return reply


def release_request(op, finish):
    payload = op.req.payload
    if payload is None or payload.tag != _N + "Release":
        raise WSManFault("SCHEMA_VALIDATION_ERROR", "The WS-Management service cannot process the request. The "
                                                    "Release body is missing.")
    cid = payload.find(_N + "EnumerationContext")
    op.state.enums._take(cid.text if cid is not None else "")
    return finish("", ns.N + "/ReleaseResponse", None)
