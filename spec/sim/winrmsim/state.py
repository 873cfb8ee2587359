# SPDX-License-Identifier: MIT
"""Service settings and shared state: handlers, enumerations, counters."""

import threading

from . import ns
from .config import ConfigHandler, default_config_path
from .control import CONTROL_URI, FAULT_URI, ControlHandler, FaultHandler
from .enumeration import Enumerations
from .faults import CONFIG_PROVIDER, WSManFault
from .handlers import Registry
from .psrp import PS_ROOT, PsrpHandler
from .shell import SHELL_ROOT, ShellHandler
from .wmi import DEFAULT_COMPUTER_NAME, WmiHandler, WmiStore


class Settings:
    """Command-line settings; the config tree can change some of them at run time (Put)."""

    def __init__(self, args, schemes):
        self.host = args.host
        self.port = args.port
        self.prefix = args.prefix.strip("/")
        self.tls = bool(args.tls)
        self.allow_unencrypted = bool(args.allow_unencrypted)
        self.require_authorization = bool(getattr(args, "require_authorization", False))
        self.schemes = schemes
        self.enabled = {s.config_key: True for s in schemes}
        self.max_envelope_kb = args.max_envelope_kb
        self.max_batch_items = args.max_batch_items
        self.enum_timeout_ms = args.enum_timeout
        self.data_dir = args.data
        self.cbt = getattr(args, "cbt", "relaxed")   # CbtHardeningLevel (HTTPS channel binding, security.py)
        self.extra_processes = args.processes
        self.max_shells_per_user = getattr(args, "max_shells_per_user", 30)
        self.grow_enum_context = getattr(args, "grow_enum_context", 0)
        self.proxy_auth = getattr(args, "proxy_auth", None)
        self.ps_sandbox = getattr(args, "ps_sandbox", None)       # PSRP file-transfer sandbox (pstransfer.py)
        self.ps_configs = dict(getattr(args, "ps_config", None) or [])   # JEA name -> visible commands
        self.ps_protocol = getattr(args, "ps_protocol", None) or "2.3"   # the PSRP host's protocol version
        self.computer_name = getattr(args, "computer_name", None) or DEFAULT_COMPUTER_NAME

    def auth_flags(self):
        known = ("Basic", "Kerberos", "Negotiate", "Certificate", "CredSSP")
        return {k: self.enabled.get(k, False) for k in known}

    def validate_config(self, root, name, staged):
        """Refuse config Puts with values the service cannot use."""
        def check_int(tree, key, lo, hi):
            if key in tree:
                try:
                    v = int(tree[key])
                except ValueError:
                    v = None
                if v is None or not lo <= v <= hi:
                    raise WSManFault("INVALID_REPRESENTATION",
                                     "The WS-Management service cannot process the request. The value %r of %s is "
                                     "not valid." % (tree[key], key), provider=CONFIG_PROVIDER)

        if name == "Config":
            check_int(staged, "MaxEnvelopeSizekb", 32, 2 ** 31 - 1)
            check_int(staged, "MaxBatchItems", 1, 2 ** 32 - 1)
            check_int(staged, "MaxTimeoutms", 500, 2 ** 32 - 1)
        if name == "Service":
            check_int(staged, "EnumerationTimeoutms", 1, 2 ** 32 - 1)
        for tree in (staged, staged.get("Auth", {})):
            for key in ("AllowUnencrypted", "Basic", "Kerberos", "Negotiate", "Certificate", "CredSSP"):
                if key in tree and not isinstance(tree[key], dict) and tree[key].lower() not in ("true", "false"):
                    raise WSManFault("INVALID_REPRESENTATION",
                                     "The WS-Management service cannot process the request. %s must be true or "
                                     "false." % key, provider=CONFIG_PROVIDER)
            level = tree.get("CbtHardeningLevel")
            if isinstance(level, str) and level.lower() not in ("strict", "relaxed", "none"):
                raise WSManFault("INVALID_REPRESENTATION",
                                 "The WS-Management service cannot process the request. CbtHardeningLevel must be "
                                 "Strict, Relaxed or None.", provider=CONFIG_PROVIDER)

    def apply_config(self, tree):
        self.max_envelope_kb = int(tree["MaxEnvelopeSizekb"])
        self.max_batch_items = int(tree["MaxBatchItems"])
        svc = tree["Service"]
        self.enum_timeout_ms = int(svc["EnumerationTimeoutms"])
        self.allow_unencrypted = svc["AllowUnencrypted"].lower() == "true"
        for key, value in svc["Auth"].items():
            if key in self.enabled:
                self.enabled[key] = value.lower() == "true"
        level = svc["Auth"].get("CbtHardeningLevel")
        if isinstance(level, str) and level.lower() in ("strict", "relaxed", "none"):
            self.cbt = level.lower()   # read by security.py on each handshake


class SimState:
    def __init__(self, settings, replayer=None):
        self.settings = settings
        self.replayer = replayer
        self.lock = threading.Lock()
        self.requests = 0
        self.connections = 0
        self.active = 0
        self.faults = 0
        self.proxied = 0
        self.handshakes = 0      # completed Negotiate/Kerberos handshakes (security.py)
        self.delegations = 0     # of which the client delegated credentials (Kerberos forwarded TGT)
        self.unauthorized = 0    # 401 replies sent
        self.max_unauthorized_per_connection = 0   # the most 401s any one connection received
        self.held = 0            # requests never answered (--require-authorization)
        self.tokens = {}
        self.enums = Enumerations(settings.enum_timeout_ms, settings.max_batch_items, settings.grow_enum_context)
        self.fleet = None        # frontend.FleetStats: process-wide request counters (Stats)
        self.store = WmiStore(settings.data_dir, settings.extra_processes, settings.computer_name)
        self.registry = Registry()
        self.registry.register(ns.WMI_ROOT, WmiHandler(self.store))
        self.config = ConfigHandler(default_config_path(settings.data_dir), settings, self._config_changed)
        self.registry.register(ns.CONFIG, self.config)
        self.registry.register(CONTROL_URI, ControlHandler(self))
        self.registry.register(FAULT_URI, FaultHandler())
        self.shells = ShellHandler(self.config)    # WinRS: .../windows/shell/cmd (shell.py)
        self.registry.register(SHELL_ROOT, self.shells)
        self.psrp = PsrpHandler(self.store, settings.ps_sandbox, settings.ps_configs,
                                tuple(int(x) for x in settings.ps_protocol.split(".")))   # PowerShell (psrp.py)
        self.psrp.computer_name = settings.computer_name
        self.registry.register(PS_ROOT, self.psrp)
        self.shells.psrp = self.psrp

    def _config_changed(self, handler):
        self.settings.apply_config(handler.tree)
        self.enums.timeout = self.settings.enum_timeout_ms / 1000.0
        self.enums.max_batch = self.settings.max_batch_items

    def count(self, field, delta=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + delta)

    def count_unauthorized(self, on_connection):
        """One more 401; on_connection: how many this connection has received so far, this one included."""
        with self.lock:
            self.unauthorized += 1
            self.max_unauthorized_per_connection = max(self.max_unauthorized_per_connection, on_connection)

    def token_request(self, token, limit):
        """Count a request carrying a drop token; True if this one must be dropped."""
        with self.lock:
            seen, dropped = self.tokens.get(token, (0, 0))
            drop = dropped < limit
            self.tokens[token] = (seen + 1, dropped + (1 if drop else 0))
            return drop

    def reset(self):
        for handler in self.registry.handlers():
            handler.reset()
        self.enums.clear()
        with self.lock:
            self.tokens.clear()
        if self.replayer is not None:
            self.replayer.reset()

    def stats_snapshot(self):
        open_enums = self.enums.open_count()
        with self.lock:
            return {"open_enumerations": open_enums, "requests": self.requests, "connections": self.connections,
                    "active": self.active, "faults": self.faults, "proxied": self.proxied,
                    "handshakes": self.handshakes, "delegations": self.delegations,
                    "unauthorized": self.unauthorized,
                    "max_unauthorized_per_connection": self.max_unauthorized_per_connection, "held": self.held,
                    "tokens": dict(self.tokens)}
