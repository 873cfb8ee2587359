# SPDX-License-Identifier: MIT
"""Reserved resource URIs for tests: statistics/reset, and transport-level fault injection.

http://schemas.luawsman.test/sim/control            Invoke Reset, Invoke Stats, Get (= Stats)
http://schemas.luawsman.test/sim/fault/<kind>?k=v   any operation; the reply is sent "wrongly" (see KINDS)
"""

from xml.sax.saxutils import escape

from .faults import SIM_PROVIDER, WSManFault
from .handlers import ResourceHandler
from .soap import epr_inner

CONTROL_URI = "http://schemas.luawsman.test/sim/control"
FAULT_URI = "http://schemas.luawsman.test/sim/fault"

# kind: parameters (name -> default, None = required)
KINDS = {
    "delay": {"ms": None},
    "close": {},
    "html500": {},
    "truncated": {},
    "garbage": {},
    "huge": {"mb": "1"},
    "never": {},
    "drop": {"token": None, "count": "1"},
    "dtd": {},
    "deep": {"levels": "10000"},
    "utf16": {},
    "status": {"code": None},
    "plain": {},
}
INT_PARAMS = ("ms", "mb", "count", "levels", "code")
_ATTR = {'"': "&quot;"}


class Effect:
    """A transport-level behaviour the server applies when it writes the reply."""

    def __init__(self, kind, params):
        self.kind = kind
        self.params = params


class ControlHandler(ResourceHandler):
    def __init__(self, state):
        self.state = state

    def stats_xml(self):
        st = self.state.stats_snapshot()
        tokens = "".join(
            '<p:Token Name="%s">%d</p:Token><p:TokenDropped Name="%s">%d</p:TokenDropped>'
            % (escape(name, _ATTR), seen, escape(name, _ATTR), dropped)
            for name, (seen, dropped) in sorted(st["tokens"].items()))
        tokens = self.extra_stats() + tokens
        return ('<p:Stats_OUTPUT xmlns:p="%s"><p:OpenEnumerations>%d</p:OpenEnumerations><p:Requests>%d</p:Requests>'
                "<p:Connections>%d</p:Connections><p:ActiveConnections>%d</p:ActiveConnections>"
                "<p:Faults>%d</p:Faults><p:ProxiedRequests>%d</p:ProxiedRequests>"
                "<p:Handshakes>%d</p:Handshakes><p:Delegations>%d</p:Delegations>"
                "<p:Unauthorized>%d</p:Unauthorized><p:MaxUnauthorizedPerConnection>%d</p:MaxUnauthorizedPerConnection>"
                "<p:HeldRequests>%d</p:HeldRequests>%s"
                "<p:ReturnValue>0</p:ReturnValue></p:Stats_OUTPUT>" % (
                    CONTROL_URI, st["open_enumerations"], st["requests"], st["connections"], st["active"],
                    st["faults"], st["proxied"], st["handshakes"], st["delegations"], st["unauthorized"],
                    st["max_unauthorized_per_connection"], st["held"], tokens))

    def extra_stats(self):
        """OpenShells (WinRS shells open now), OpenRunspacePools (PowerShell pools open now), the process-wide
        Hosts, FleetRequests, FleetConnections, RequestRate (requests/s over the last 5 s), PeakRequestRate
        (the busiest second), Uptime (s) and FleetOpenEnumerations/Shells/RunspacePools (summed over every
        host), ReplayRemaining (with --replay: recorded messages not served)."""
        shells = getattr(self.state, "shells", None)
        pools = getattr(self.state, "psrp", None)
        x = "<p:OpenShells>%d</p:OpenShells>" % (shells.open_count() if shells is not None else 0)
        x += "<p:OpenRunspacePools>%d</p:OpenRunspacePools>" % (pools.open_count() if pools is not None else 0)
        fleet = getattr(self.state, "fleet", None)
        if fleet is not None:
            x += ("<p:Hosts>%d</p:Hosts><p:FleetRequests>%d</p:FleetRequests><p:FleetConnections>%d"
                  "</p:FleetConnections><p:RequestRate>%.1f</p:RequestRate><p:PeakRequestRate>%d</p:PeakRequestRate>"
                  "<p:Uptime>%.1f</p:Uptime>" % (fleet.hosts, fleet.requests, fleet.connections, fleet.rate(),
                                                 fleet.peak_rate(), fleet.uptime()))
            x += ("<p:FleetOpenEnumerations>%d</p:FleetOpenEnumerations><p:FleetOpenShells>%d</p:FleetOpenShells>"
                  "<p:FleetOpenRunspacePools>%d</p:FleetOpenRunspacePools>" % fleet.open_totals())
        if self.state.replayer is not None:
            x += "<p:ReplayRemaining>%d</p:ReplayRemaining>" % self.state.replayer.remaining()
        return x

    def get(self, op):
        return self.stats_xml()

    def invoke(self, op, method):
        if method.lower() == "stats":
            return self.stats_xml()
        if method.lower() == "reset":
            self.state.reset()
            return '<p:Reset_OUTPUT xmlns:p="%s"><p:ReturnValue>0</p:ReturnValue></p:Reset_OUTPUT>' % CONTROL_URI
        raise WSManFault("ACTION_NOT_SUPPORTED", provider=SIM_PROVIDER)


class FaultHandler(ResourceHandler):
    """Answers like a tiny resource, and tags the operation with the transport Effect to apply."""

    def _effect(self, op):
        kind = op.req.resource_uri[len(FAULT_URI):].strip("/").lower()
        if kind not in KINDS:
            raise WSManFault("INVALID_RESOURCE_URI",
                             "The WS-Management service cannot process the request. The resource URI (%s) was not "
                             "found in the WS-Management catalog. The catalog contains the metadata that describes "
                             "resources, or logical endpoints." % op.req.resource_uri)
        params = {}
        given = {(s.name or "").lower(): (s.value or "") for s in op.req.selectors}
        for name, default in KINDS[kind].items():
            value = given.pop(name, default)
            if value is None:
                raise WSManFault("INSUFFICIENT_SELECTORS", provider=SIM_PROVIDER)
            if name in INT_PARAMS:
                try:
                    value = int(value)
                except ValueError:
                    raise WSManFault("SELECTOR_TYPEMISMATCH", provider=SIM_PROVIDER)
            params[name] = value
        if given:
            raise WSManFault("UNEXPECTED_SELECTORS", provider=SIM_PROVIDER)
        op.effect = Effect(kind, params)
        return kind

    def instance(self, kind):
        return ('<p:SimFault xmlns:p="%s/%s"><p:Kind>%s</p:Kind><p:Status>OK</p:Status></p:SimFault>'
                % (FAULT_URI, kind, kind))

    def get(self, op):
        return self.instance(self._effect(op))

    def put(self, op):
        return self.instance(self._effect(op))

    def create(self, op):
        kind = self._effect(op)
        return "<x:ResourceCreated>%s</x:ResourceCreated>" % epr_inner(
            "%s/%s" % (FAULT_URI, kind), [("Id", "1")], address=op.req.to)

    def delete(self, op):
        self._effect(op)
        return ""

    def invoke(self, op, method):
        kind = self._effect(op)
        return '<p:%s_OUTPUT xmlns:p="%s/%s"><p:ReturnValue>0</p:ReturnValue></p:%s_OUTPUT>' % (
            method, FAULT_URI, kind, method)

    def enumerate(self, op, dialect, filter_elem):
        kind = self._effect(op)
        return [_SimItem(self.instance(kind), kind)]


class _SimItem:
    def __init__(self, xml, kind):
        self.xml = xml
        self.kind = kind

    def obj(self):
        return self.xml

    def epr(self):
        return "<a:EndpointReference>%s</a:EndpointReference>" % epr_inner("%s/%s" % (FAULT_URI, self.kind),
                                                                           [("Id", "1")])
