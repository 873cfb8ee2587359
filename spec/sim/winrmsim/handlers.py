# SPDX-License-Identifier: MIT
"""Resource handlers: a registry keyed by resource URI prefix, and the handler base class.

Later features (WinRS shells under .../windows/shell, PowerShell plug-ins, ...) add a handler
subclass and register it under their URI prefix; the dispatcher needs no change.
"""

from .faults import WSManFault


class Operation:
    """One authenticated WS-Management request as handlers see it."""

    def __init__(self, req, state, user, machine):
        self.req = req
        self.state = state
        self.user = user
        self.machine = machine

    @property
    def endpoint(self):
        return self.req.to


class ResourceHandler:
    """Base class: every operation answers ActionNotSupported unless overridden.

    get/put/create/delete/invoke return the response body XML; enumerate returns a list of items
    (objects with ``obj()`` and ``epr()`` methods returning XML).
    """

    def get(self, op):
        raise WSManFault("ACTION_NOT_SUPPORTED")

    def put(self, op):
        raise WSManFault("ACTION_NOT_SUPPORTED")

    def create(self, op):
        raise WSManFault("ACTION_NOT_SUPPORTED")

    def delete(self, op):
        raise WSManFault("ACTION_NOT_SUPPORTED")

    def invoke(self, op, method):
        raise WSManFault("ACTION_NOT_SUPPORTED")

    def enumerate(self, op, dialect, filter_elem):
        raise WSManFault("ACTION_NOT_SUPPORTED")

    def handle(self, op, finish):
        """First look at every request: return the reply bytes (``finish(body, action, prefixes)``) to
        answer it yourself (e.g. the shell plug-in's own actions), or None for the standard dispatch."""
        return None

    def reset(self):
        """Restore initial data (control Reset)."""


class Registry:
    """Longest case-insensitive prefix match of resource URIs to handlers."""

    def __init__(self):
        self._entries = []

    def register(self, prefix, handler):
        self._entries.append((prefix.lower(), handler))
        self._entries.sort(key=lambda e: -len(e[0]))

    def find(self, uri):
        low = uri.lower()
        for prefix, handler in self._entries:
            if low == prefix or low.startswith(prefix if prefix.endswith("/") else prefix + "/") \
                    or (prefix.endswith("/") and low.startswith(prefix)):
                return handler
        return None

    def handlers(self):
        seen = []
        for _, h in self._entries:
            if h not in seen:
                seen.append(h)
        return seen
