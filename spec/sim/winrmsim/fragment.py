# SPDX-License-Identifier: MIT
"""Fragment transfer (wsman:FragmentTransfer) with the XPath subset the WMI plug-in is used with.

Accepted (case-sensitive, as XPath is): ``Prop``, ``Prop/text()``, ``Prop[n]`` (1-based),
``Prop[n]/text()``, and each of them prefixed by ``/Class/``.
"""

import re

from . import ns
from .faults import WSManFault, WMI_PROVIDER

_EXPR = re.compile(r"^(?:/(?P<cls>[A-Za-z_][A-Za-z0-9_]*)/)?(?P<prop>[A-Za-z_][A-Za-z0-9_]*)"
                   r"(?:\[(?P<idx>\d+)\])?(?P<text>/text\(\))?$")


class Fragment:
    def __init__(self, prop, index, text_only):
        self.prop = prop
        self.index = index
        self.text_only = text_only


def _bad(expr, why):
    return WSManFault("CANNOT_PROCESS_FRAGMENT",
                      "The WS-Management service cannot process the fragment expression %s: %s." % (expr, why),
                      provider=WMI_PROVIDER)


def parse(expr, dialect, cls):
    """Validate a fragment expression against a class; returns a Fragment."""
    if dialect and dialect.rstrip("/") != ns.XPATH:
        raise WSManFault("FILTER_DIALECT_UNAVAILABLE", detail="FragmentDialect")
    if not expr:
        raise WSManFault("INVALID_FRAGMENT_PATH_BLANK", provider=WMI_PROVIDER)
    m = _EXPR.match(expr.strip())
    if not m:
        raise _bad(expr, "the expression is not in the supported XPath subset")
    if m.group("cls") is not None and m.group("cls") != cls.name:
        raise _bad(expr, "the element %s does not exist (names are case-sensitive)" % m.group("cls"))
    prop = m.group("prop")
    if prop not in cls.types:
        raise _bad(expr, "the property %s does not exist (names are case-sensitive)" % prop)
    idx = int(m.group("idx")) if m.group("idx") else None
    if idx is not None and idx < 1:
        raise _bad(expr, "array positions start at 1")
    return Fragment(prop, idx, bool(m.group("text")))


def select(frag, cls, inst, expr):
    """The value (or array element) the fragment designates."""
    value = inst.get(frag.prop)
    if frag.index is None:
        return value
    if cls.is_array(frag.prop):
        if value is None or frag.index > len(value):
            raise _bad(expr, "the array has no element %d" % frag.index)
        return value[frag.index - 1]
    if frag.index != 1:
        raise _bad(expr, "the property is not an array")
    return value


def render(frag, cls, inst, expr):
    """The w:XmlFragment body for a fragment Get/Put response."""
    value = select(frag, cls, inst, expr)
    if frag.text_only:
        from xml.sax.saxutils import escape
        from .cim import format_scalar
        text = "" if value is None or isinstance(value, list) else format_scalar(cls.base_type(frag.prop), value)
        return "<w:XmlFragment>%s</w:XmlFragment>" % escape(text)
    if frag.index is not None and cls.is_array(frag.prop):
        body = cls._scalar(cls.base_type(frag.prop), value, frag.prop)
    else:
        body = cls.render_value(frag.prop, value, frag.prop)
    return '<w:XmlFragment xmlns:cim="%s" xmlns:xsi="%s">%s</w:XmlFragment>' % (ns.CIM, ns.XSI, body)


def apply_put(frag, cls, inst, payload, expr):
    """Update ``inst`` from a fragment Put body (w:XmlFragment)."""
    from .cim import CimTypeError, parse_scalar
    if payload is None or payload.tag != "{%s}XmlFragment" % ns.W:
        raise WSManFault("INVALID_REPRESENTATION",
                         "The WS-Management service cannot process the request: a fragment Put needs a "
                         "w:XmlFragment body.")
    try:
        if frag.text_only:
            new = parse_scalar(cls.base_type(frag.prop), payload.text or "")
        else:
            elems = [e for e in payload if e.tag.rpartition("}")[2] == frag.prop]
            if not elems:
                raise CimTypeError("the fragment holds no %s element" % frag.prop)
            if frag.index is not None and cls.is_array(frag.prop):
                new = cls.parse_property(frag.prop, elems[:1])
                new = new[0] if isinstance(new, list) else new
            else:
                new = cls.parse_property(frag.prop, elems)
    except CimTypeError as exc:
        raise WSManFault("INVALID_REPRESENTATION", "The WS-Management service cannot process the request: %s." % exc)
    if frag.index is not None and cls.is_array(frag.prop):
        arr = list(inst.get(frag.prop) or [])
        if frag.index > len(arr) + 1:
            raise _bad(expr, "the array has no element %d" % frag.index)
        if frag.index == len(arr) + 1:
            arr.append(new)
        else:
            arr[frag.index - 1] = new
        return arr
    return new
