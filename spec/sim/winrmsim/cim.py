# SPDX-License-Identifier: MIT
"""CIM classes loaded from the data directory, and typed rendering/parsing of their values.

A data file (one per class) looks like::

    {"class": "Win32_Service", "namespace": "root/cimv2", "keys": ["Name"], "singleton": false,
     "properties": {"AcceptPause": "boolean", "InstallDate": "datetime", "Name": "string", ...},
     "readonly": ["ProcessId"],
     "instances": [{"AcceptPause": false, "InstallDate": null, "Name": "Spooler", ...}]}

Types: string, boolean, char16, uint8, sint8, uint16, sint16, uint32, sint32, uint64, sint64, real32,
real64, datetime, interval, ref:<Class>; any of them with a "[]" suffix for arrays.
Instances are rendered the way the WinRM WMI plug-in renders them: properties in case-insensitive
alphabetical order, nulls as xsi:nil, arrays as repeated elements, datetimes as cim:Datetime.
"""

from xml.sax.saxutils import escape

from . import ns

INT_RANGES = {
    "uint8": (0, 2 ** 8 - 1), "sint8": (-2 ** 7, 2 ** 7 - 1),
    "uint16": (0, 2 ** 16 - 1), "sint16": (-2 ** 15, 2 ** 15 - 1), "char16": (0, 2 ** 16 - 1),
    "uint32": (0, 2 ** 32 - 1), "sint32": (-2 ** 31, 2 ** 31 - 1),
    "uint64": (0, 2 ** 64 - 1), "sint64": (-2 ** 63, 2 ** 63 - 1),
}
REAL_TYPES = ("real32", "real64")
_ESC_ATTR = {'"': "&quot;"}
_WA = ' xmlns:a="%s" xmlns:w="%s"' % (ns.A, ns.W)


class CimTypeError(ValueError):
    pass


def format_scalar(ctype, value):
    """Python value -> CIM text (no markup)."""
    if ctype == "boolean":
        return "true" if value else "false"
    if ctype in REAL_TYPES:
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def parse_scalar(ctype, text):
    """CIM text -> Python value; raises CimTypeError."""
    text = text.strip() if ctype != "string" else text
    if ctype == "boolean":
        low = text.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise CimTypeError("'%s' is not a boolean" % text)
    if ctype in INT_RANGES:
        try:
            value = int(text)
        except ValueError:
            raise CimTypeError("'%s' is not a valid %s" % (text, ctype))
        lo, hi = INT_RANGES[ctype]
        if not lo <= value <= hi:
            raise CimTypeError("%s is out of range for %s" % (text, ctype))
        return value
    if ctype in REAL_TYPES:
        try:
            return float(text)
        except ValueError:
            raise CimTypeError("'%s' is not a valid %s" % (text, ctype))
    return text


class CimClass:
    """A WMI class: schema plus instances (instances are dicts: property name -> value)."""

    def __init__(self, spec, uri_root):
        self.name = spec["class"]
        self.namespace = spec.get("namespace", "root/cimv2")
        self.uri = uri_root + self.name
        self.keys = list(spec.get("keys", []))
        self.singleton = bool(spec.get("singleton", False))
        self.readonly = set(spec.get("readonly", []))
        self.creatable = bool(spec.get("creatable", False))
        self.deletable = bool(spec.get("deletable", False))
        self.defaults = dict(spec.get("defaults", {}))
        props = spec["properties"]
        order = sorted(props, key=str.lower)
        self.props = [(p, props[p]) for p in order]
        self.types = dict(self.props)
        self.lc = {p.lower(): p for p in props}
        self.spec_instances = spec.get("instances", [])
        self.instances = []
        self.store = None  # set by the store (for references)
        self.root_open = '<p:%s xmlns:p="%s" xmlns:cim="%s" xmlns:xsi="%s">' % (self.name, self.uri, ns.CIM, ns.XSI)

    def prop(self, name):
        """Canonical property name for a case-insensitive name, or None."""
        return self.lc.get(name.lower())

    def base_type(self, prop):
        t = self.types[prop]
        return t[:-2] if t.endswith("[]") else t

    def is_array(self, prop):
        return self.types[prop].endswith("[]")

    # ---- rendering -------------------------------------------------------------------------
    def render_value(self, prop, value, tag):
        """One property as XML elements with the given tag (e.g. "p:Name" or "Name")."""
        ctype = self.types[prop]
        if value is None:
            return '<%s xsi:nil="true"/>' % tag
        if ctype.endswith("[]"):
            base = ctype[:-2]
            return "".join(self._scalar(base, v, tag) for v in value)
        return self._scalar(ctype, value, tag)

    def _scalar(self, ctype, value, tag):
        if value is None:
            return '<%s xsi:nil="true"/>' % tag
        if ctype == "datetime":
            return "<%s><cim:Datetime>%s</cim:Datetime></%s>" % (tag, escape(str(value)), tag)
        if ctype == "interval":
            return "<%s><cim:Interval>%s</cim:Interval></%s>" % (tag, escape(str(value)), tag)
        if ctype.startswith("ref:"):
            target = self.store.cls(ctype[4:]) if self.store else None
            uri = target.uri if target else ns.CIMV2 + ctype[4:]
            sels = sorted(value.items(), key=lambda kv: kv[0].lower())
            return ("<%s%s><a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI>"
                    "<w:SelectorSet>%s</w:SelectorSet></a:ReferenceParameters></%s>" % (
                        tag, _WA, ns.ANONYMOUS, uri,
                        "".join('<w:Selector Name="%s">%s</w:Selector>' % (escape(k), escape(str(v)))
                                for k, v in sels), tag))
        return "<%s>%s</%s>" % (tag, escape(format_scalar(ctype, value)), tag)

    def render(self, inst, location=False, props=None):
        """The instance as the WMI plug-in renders it (GetResponse body / enumeration item)."""
        parts = [self.root_open]
        for prop, _ in self.props:
            if props is not None and prop not in props:
                continue
            parts.append(self.render_value(prop, inst.get(prop), "p:" + prop))
        if location:
            parts.append('<cim:Location%s>%s</cim:Location>' % (_WA, self.epr_inner(inst)))
        parts.append("</p:%s>" % self.name)
        return "".join(parts)

    def render_fragment_props(self, inst, props):
        """Selected properties, unprefixed, inside w:XmlFragment (WQL select lists)."""
        body = "".join(self.render_value(p, inst.get(p), p) for p, _ in self.props if p in props)
        return '<w:XmlFragment xmlns:cim="%s" xmlns:xsi="%s">%s</w:XmlFragment>' % (ns.CIM, ns.XSI, body)

    def selectors(self, inst):
        return [(k, format_scalar(self.types[k], inst.get(k))) if not self.types[k].startswith("ref:")
                else (k, None, self._scalar_epr(self.types[k], inst.get(k))) for k in self.keys]

    def _scalar_epr(self, ctype, value):
        x = self._scalar(ctype, value, "a:EndpointReference")
        return x

    def epr_inner(self, inst):
        from .soap import epr_inner
        return epr_inner(self.uri, self.selectors(inst))

    def epr(self, inst):
        return "<a:EndpointReference>%s</a:EndpointReference>" % self.epr_inner(inst)

    # ---- parsing ---------------------------------------------------------------------------
    def parse_property(self, prop, elems):
        """XML elements for one property (one, or several for arrays) -> Python value."""
        nil = "{%s}nil" % ns.XSI
        base = self.base_type(prop)
        if base.startswith("ref:"):
            raise CimTypeError("reference properties cannot be written")
        values = []
        for e in elems:
            if e.get(nil) in ("true", "1"):
                values.append(None)
                continue
            if base in ("datetime", "interval"):
                child = e.find("{%s}%s" % (ns.CIM, "Datetime" if base == "datetime" else "Interval"))
                text = (child.text if child is not None else e.text) or ""
                values.append(text.strip())
            else:
                values.append(parse_scalar(base, e.text or ""))
        if self.is_array(prop):
            if values == [None]:
                return None
            return values
        if len(values) != 1:
            raise CimTypeError("property %s is not an array" % prop)
        return values[0]
