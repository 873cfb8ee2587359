# SPDX-License-Identifier: MIT
"""The winrm/config tree (http://schemas.microsoft.com/wbem/wsman/1/config...).

Shaped like a real Windows Server's (see the recording test_wsman_update_envelope_size_4096.yml), with
the simulator's own settings: MaxEnvelopeSizekb, MaxBatchItems, EnumerationTimeoutms, service
AllowUnencrypted and Auth reflect the command line, and a Put changes the running service the way it
does on Windows (e.g. a lower MaxEnvelopeSizekb takes effect for the next request).
"""

import copy
import json
import os
import threading
from xml.sax.saxutils import escape

from . import ns
from .faults import CONFIG_PROVIDER, WSManFault
from .handlers import ResourceHandler
from .soap import epr_inner

LISTENER_KEYS = ("Address", "Transport")
LISTENER_FIELDS = ("Address", "Transport", "Port", "Hostname", "Enabled", "URLPrefix", "CertificateThumbprint")


def _fault(symbol, message=None):
    return WSManFault(symbol, message, provider=CONFIG_PROVIDER)


def render_tree(tree):
    parts = []
    for key, value in tree.items():
        if isinstance(value, dict):
            parts.append("<cfg:%s>%s</cfg:%s>" % (key, render_tree(value), key))
        elif isinstance(value, list):
            parts.extend("<cfg:%s>%s</cfg:%s>" % (key, escape(str(v)), key) for v in value)
        else:
            parts.append("<cfg:%s>%s</cfg:%s>" % (key, escape(str(value)), key))
    return "".join(parts)


class ListenerItem:
    def __init__(self, listener):
        self.listener = listener

    def obj(self):
        return render_listener(self.listener)

    def epr(self):
        return "<a:EndpointReference>%s</a:EndpointReference>" % epr_inner(
            ns.CONFIG + "/Listener", [(k, self.listener[k]) for k in LISTENER_KEYS])


def render_listener(listener):
    return '<cfg:Listener xmlns:cfg="%s/listener" xml:lang="en-US">%s</cfg:Listener>' % (
        ns.CONFIG, render_tree(listener))


class ConfigHandler(ResourceHandler):
    """winrm/config, its sub-trees (client, service, winrs, .../auth, .../DefaultPorts) and listeners."""

    def __init__(self, path, settings, on_change):
        self.path = path
        self.settings = settings
        self.on_change = on_change
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with open(self.path, encoding="utf-8") as fh:
            data = json.load(fh)
        with self.lock:
            self.tree = data["Config"]
            self.listeners = data["Listeners"]
            s = self.settings
            self.tree["MaxEnvelopeSizekb"] = str(s.max_envelope_kb)
            self.tree["MaxBatchItems"] = str(s.max_batch_items)
            if getattr(s, "max_shells_per_user", None) is not None:
                self.tree["Winrs"]["MaxShellsPerUser"] = str(s.max_shells_per_user)
            svc = self.tree["Service"]
            svc["EnumerationTimeoutms"] = str(s.enum_timeout_ms)
            svc["AllowUnencrypted"] = "true" if s.allow_unencrypted else "false"
            for scheme, enabled in s.auth_flags().items():
                svc["Auth"][scheme] = "true" if enabled else "false"
            svc["Auth"]["CbtHardeningLevel"] = {"strict": "Strict", "none": "None"}.get(
                getattr(s, "cbt", "relaxed"), "Relaxed")
            for lst in self.listeners:
                lst["Transport"] = "HTTPS" if s.tls else "HTTP"
                lst["Port"] = str(s.port)
                lst["URLPrefix"] = s.prefix
                lst["ListeningOn"] = [s.host]
        self.on_change(self)

    # ---- path resolution ---------------------------------------------------------------------
    def _locate(self, uri):
        """-> ("listener", None) or ("tree", (element name, namespace, subtree dict))."""
        rest = uri[len(ns.CONFIG):].strip("/")
        segments = [s for s in rest.split("/") if s]
        if segments and segments[0].lower() == "listener":
            if len(segments) > 1:
                raise _fault("INVALID_RESOURCE_URI")
            return "listener", None
        node, name, path = self.tree, "Config", []
        for seg in segments:
            match = next((k for k, v in node.items() if isinstance(v, dict) and k.lower() == seg.lower()), None)
            if match is None:
                raise WSManFault("INVALID_RESOURCE_URI", detail="InvalidResourceURI")
            node, name = node[match], match
            path.append(match.lower() if match != "DefaultPorts" else match)
        nsuri = ns.CONFIG + ("/" + "/".join(path) if path else "")
        return "tree", (name, nsuri, node)

    def _find_listener(self, selectors, must_exist=True):
        if not selectors:
            raise _fault("INSUFFICIENT_SELECTORS")
        want = {}
        for s in selectors:
            key = next((k for k in LISTENER_KEYS if k.lower() == (s.name or "").lower()), None)
            if key is None:
                raise _fault("UNEXPECTED_SELECTORS")
            if key in want:
                raise _fault("DUPLICATE_SELECTORS")
            want[key] = s.value or ""
        if len(want) < len(LISTENER_KEYS):
            raise _fault("INSUFFICIENT_SELECTORS")
        for lst in self.listeners:
            if all(lst[k].lower() == want[k].lower() for k in LISTENER_KEYS):
                return lst, want
        if must_exist:
            raise _fault("RESOURCE_NOT_FOUND")
        return None, want

    # ---- operations --------------------------------------------------------------------------
    def get(self, op):
        kind, info = self._locate(op.req.resource_uri)
        with self.lock:
            if kind == "listener":
                lst, _ = self._find_listener(op.req.selectors)
                return render_listener(lst)
            if op.req.selectors:
                raise _fault("UNEXPECTED_SELECTORS")
            name, nsuri, node = info
            return '<cfg:%s xmlns:cfg="%s">%s</cfg:%s>' % (name, nsuri, render_tree(node), name)

    def put(self, op):
        kind, info = self._locate(op.req.resource_uri)
        payload = op.req.payload
        with self.lock:
            if kind == "listener":
                lst, _ = self._find_listener(op.req.selectors)
                self._apply_listener(lst, payload, keys_fixed=True)
                return render_listener(lst)
            if op.req.selectors:
                raise _fault("UNEXPECTED_SELECTORS")
            name, nsuri, node = info
            if payload is None or payload.tag.rpartition("}")[2] != name:
                raise _fault("INVALID_REPRESENTATION")
            staged = copy.deepcopy(node)
            self._merge(staged, payload)
            self.settings.validate_config(self.tree if node is self.tree else None, name, staged)
            node.clear()
            node.update(staged)
        self.on_change(self)
        return '<cfg:%s xmlns:cfg="%s">%s</cfg:%s>' % (name, nsuri, render_tree(node), name)

    def _merge(self, node, elem):
        for child in elem:
            local = child.tag.rpartition("}")[2]
            key = next((k for k in node if k.lower() == local.lower()), None)
            if key is None:
                raise _fault("INVALID_REPRESENTATION",
                             "The WS-Management service cannot process the request. The configuration setting %s "
                             "does not exist." % local)
            if isinstance(node[key], dict):
                self._merge(node[key], child)
            else:
                node[key] = (child.text or "").strip()

    def _apply_listener(self, lst, payload, keys_fixed):
        if payload is None or payload.tag.rpartition("}")[2] != "Listener":
            raise _fault("INVALID_REPRESENTATION")
        for child in payload:
            local = child.tag.rpartition("}")[2]
            key = next((k for k in LISTENER_FIELDS if k.lower() == local.lower()), None)
            if key is None:
                raise _fault("INVALID_REPRESENTATION",
                             "The WS-Management service cannot process the request. %s is not a listener "
                             "setting." % local)
            value = (child.text or "").strip()
            if keys_fixed and key in LISTENER_KEYS and value.lower() != lst[key].lower():
                raise _fault("INVALID_REPRESENTATION",
                             "The WS-Management service cannot process the request. The listener %s cannot be "
                             "changed." % key)
            lst[key] = value

    def create(self, op):
        kind, _ = self._locate(op.req.resource_uri)
        if kind != "listener":
            raise _fault("ACTION_NOT_SUPPORTED")
        with self.lock:
            lst, want = self._find_listener(op.req.selectors, must_exist=False)
            if lst is not None:
                raise _fault("ALREADY_EXISTS")
            transport = want["Transport"].upper()
            if transport not in ("HTTP", "HTTPS"):
                raise _fault("INVALID_SELECTOR_VALUE")
            lst = {"Address": want["Address"], "Transport": transport,
                   "Port": "5986" if transport == "HTTPS" else "5985", "Hostname": "", "Enabled": "true",
                   "URLPrefix": "wsman", "CertificateThumbprint": "", "ListeningOn": ["127.0.0.1"]}
            self._apply_listener(lst, op.req.payload, keys_fixed=True)
            self.listeners.append(lst)
        return "<x:ResourceCreated>%s</x:ResourceCreated>" % epr_inner(
            ns.CONFIG + "/Listener", [(k, lst[k]) for k in LISTENER_KEYS], address=op.req.to)

    def delete(self, op):
        kind, _ = self._locate(op.req.resource_uri)
        if kind != "listener":
            raise _fault("ACTION_NOT_SUPPORTED")
        with self.lock:
            lst, _ = self._find_listener(op.req.selectors)
            self.listeners.remove(lst)
        return ""

    def enumerate(self, op, dialect, filter_elem):
        kind, _ = self._locate(op.req.resource_uri)
        if kind != "listener":
            raise _fault("ACTION_NOT_SUPPORTED")
        if dialect is not None:
            raise _fault("FILTER_DIALECT_UNAVAILABLE")
        with self.lock:
            return [ListenerItem(lst) for lst in self.listeners]


def default_config_path(data_dir):
    return os.path.join(data_dir, "winrm-config.json")
