# SPDX-License-Identifier: MIT
"""SOAP envelope parsing (requests) and rendering (responses), with Windows' header checks."""

import re
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from . import ns
from .faults import WSManFault, invalid_header, missing_header

_A = "{%s}" % ns.A
_W = "{%s}" % ns.W
_P = "{%s}" % ns.P
_S = "{%s}" % ns.S
MUST_UNDERSTAND = _S + "mustUnderstand"

# Headers the service understands; any other header with s:mustUnderstand="true" is refused.
KNOWN_HEADERS = {
    _A + "To", _A + "Action", _A + "MessageID", _A + "ReplyTo", _A + "FaultTo", _A + "RelatesTo", _A + "From",
    _W + "ResourceURI", _W + "SelectorSet", _W + "OptionSet", _W + "MaxEnvelopeSize", _W + "OperationTimeout",
    _W + "Locale", _W + "FragmentTransfer", _W + "RequestEPR", _W + "RequestTotalItemsCountEstimate",
    _P + "DataLocale", _P + "SessionId", _P + "OperationID", _P + "SequenceId", _P + "CompressionType",
}

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?$")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
MIN_ENVELOPE = 8192


def parse_duration(text):
    """xs:duration -> seconds (float); None if invalid. Years/months count as 365/30 days."""
    m = _DURATION.match(text or "")
    if not m or text in ("P", "PT") or text.endswith("T"):
        return None
    y, mo, d, h, mi, s = m.groups()
    total = 0.0
    for value, factor in ((y, 31536000), (mo, 2592000), (d, 86400), (h, 3600), (mi, 60)):
        if value:
            total += int(value) * factor
    if s:
        total += float(s)
    return total


def decode_body(body, charset):
    """Request bytes -> text, honouring a BOM, then the Content-Type charset."""
    if body.startswith(b"\xff\xfe") or body.startswith(b"\xfe\xff"):
        text = body.decode("utf-16")
    elif body.startswith(b"\xef\xbb\xbf"):
        text = body[3:].decode("utf-8")
    elif charset in ("utf-16", "utf-16le", "utf-16be"):
        text = body.decode("utf-16-le" if charset == "utf-16" else charset)
    else:
        text = body.decode("utf-8")
    return _XML_DECL.sub("", text, count=1)


class Selector:
    """A selector value: plain text, or an EPR (uri, {name: value}) for reference selectors."""

    def __init__(self, name, value, epr=None):
        self.name = name
        self.value = value
        self.epr = epr


def parse_epr(elem):
    """An EPR element (a:EndpointReference, wsmb:Object, ...) -> (resource URI, [Selector])."""
    uri = ""
    selectors = []
    for e in elem.iter():
        if e.tag == _W + "ResourceURI":
            uri = (e.text or "").strip()
        elif e.tag == _W + "SelectorSet":
            selectors = parse_selector_set(e)
            break
    return uri, selectors


def parse_selector_set(elem):
    out = []
    for sel in elem.findall(_W + "Selector"):
        name = sel.get("Name")
        nested = sel.find(_A + "EndpointReference")
        if nested is not None:
            out.append(Selector(name, None, parse_epr(nested)))
        else:
            out.append(Selector(name, (sel.text or "")))
    return out


class SoapRequest:
    """A parsed SOAP request. ``check()`` applies Windows' header rules."""

    def __init__(self, text):
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            raise WSManFault("INVALID_XML", "The WS-Management service cannot process the request because the XML "
                                            "is invalid. Document type definitions (DTD) are not allowed.")
        try:
            self.root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise WSManFault("INVALID_XML", "The WS-Management service cannot process the request because the XML "
                                            "is invalid. %s" % exc)
        if self.root.tag != _S + "Envelope":
            raise WSManFault("SCHEMA_VALIDATION_ERROR")
        self.header = self.root.find(_S + "Header")
        self.body = self.root.find(_S + "Body")
        h = {}
        for e in (self.header if self.header is not None else ()):
            h.setdefault(e.tag, e)
        self.h = h
        self.message_id = self._text(_A + "MessageID")
        self.action = self._text(_A + "Action")
        self.to = self._text(_A + "To")
        self.resource_uri = self._text(_W + "ResourceURI")
        self.max_envelope = None
        self.timeout = None
        self.selectors = []
        self.options = {}
        self.fragment = None
        self.fragment_dialect = None
        first = None
        if self.body is not None and len(self.body):
            first = self.body[0]
        self.payload = first

    def _text(self, tag):
        e = self.h.get(tag)
        if e is None:
            return None
        return (e.text or "").strip()

    def is_identify(self):
        return self.payload is not None and self.payload.tag == "{%s}Identify" % ns.WSMID

    def check(self, max_envelope_limit):
        """Windows' checks of the WS-Addressing / WS-Management headers (not for Identify)."""
        if self.body is None:
            raise WSManFault("INVALID_SOAP_BODY")
        for tag, e in self.h.items():
            if tag not in KNOWN_HEADERS and e.get(MUST_UNDERSTAND) in ("true", "1"):
                nsuri, _, local = tag[1:].partition("}")
                raise WSManFault("MUST_UNDERSTAND", not_understood=(nsuri, local))
        if self.action is None:
            raise missing_header("Action")
        if self.message_id is None:
            raise missing_header("MessageID")
        if self.to is None:
            raise missing_header("To")
        reply = self.h.get(_A + "ReplyTo")
        if reply is None:
            raise missing_header("ReplyTo")
        address = reply.find(_A + "Address")
        if address is None or (address.text or "").strip() != ns.ANONYMOUS:
            raise WSManFault("UNSUPPORTED_FEATURE",
                             "The WS-Management service cannot process the request. The ReplyTo address must be "
                             "the anonymous address: " + ns.ANONYMOUS, detail="AddressingMode")
        if self.resource_uri is None:
            raise missing_header("ResourceURI")
        if not self.resource_uri:
            raise WSManFault("INVALID_RESOURCE_URI")
        self._check_sizes(max_envelope_limit)
        self._check_locale()
        sset = self.h.get(_W + "SelectorSet")
        if sset is not None:
            self.selectors = parse_selector_set(sset)
        oset = self.h.get(_W + "OptionSet")
        if oset is not None:
            for opt in oset.findall(_W + "Option"):
                self.options[opt.get("Name") or ""] = opt.text or ""
        frag = self.h.get(_W + "FragmentTransfer")
        if frag is not None:
            if frag.get(MUST_UNDERSTAND) not in ("true", "1"):
                raise invalid_header("The FragmentTransfer header must have the mustUnderstand attribute set "
                                     "to true.")
            self.fragment = (frag.text or "").strip()
            self.fragment_dialect = frag.get("Dialect") or ns.XPATH

    def _check_sizes(self, limit):
        mes = self._text(_W + "MaxEnvelopeSize")
        if mes is None:
            self.max_envelope = limit
        else:
            try:
                value = int(mes)
            except ValueError:
                raise invalid_header("The MaxEnvelopeSize header value is not valid: %s." % mes)
            if value < MIN_ENVELOPE:
                raise WSManFault("ENCODING_LIMIT",
                                 "The WS-Management service cannot process the request because the "
                                 "MaxEnvelopeSize (%d) is smaller than the minimum allowed (%d)." % (value, MIN_ENVELOPE))
            # Windows never answers with more than its configured MaxEnvelopeSizekb.
            self.max_envelope = min(value, limit)
        ot = self._text(_W + "OperationTimeout")
        if ot is not None:
            seconds = parse_duration(ot)
            if seconds is None:
                raise invalid_header("The XML contains an invalid timeout field in the SOAP header: %s." % ot)
            self.timeout = seconds

    def _check_locale(self):
        loc = self.h.get(_W + "Locale")
        if loc is not None and loc.get(MUST_UNDERSTAND) in ("true", "1"):
            raise WSManFault("UNSUPPORTED_FEATURE",
                             "The WS-Management service does not support the specified feature. The Locale header "
                             "must have mustUnderstand set to false.", detail="Locale")
        dloc = self.h.get(_P + "DataLocale")
        if dloc is not None and dloc.get(MUST_UNDERSTAND) in ("true", "1"):
            raise WSManFault("UNSUPPORTED_FEATURE",
                             "The WS-Management service does not support the specified feature. The DataLocale "
                             "header must have mustUnderstand set to false.", detail="Locale")


def new_uuid():
    return "uuid:" + str(uuid.uuid4()).upper()


def ns_decls(prefixes):
    return "".join(' xmlns:%s="%s"' % (p, ns.PREFIXES[p]) for p in prefixes)


_DECL_CACHE = {}


def envelope(action, relates_to, body, prefixes="saxwp", header_extra=""):
    """A response envelope the way Windows writes it (xml:lang first, short prefixes)."""
    decl = _DECL_CACHE.get(prefixes)
    if decl is None:
        plist = ["rsp" if c == "r" else c for c in prefixes]
        decl = _DECL_CACHE[prefixes] = '<s:Envelope xml:lang="en-US"%s>' % ns_decls(plist)
    rel = "<a:RelatesTo>%s</a:RelatesTo>" % escape(relates_to) if relates_to else ""
    return ("%s<s:Header><a:Action>%s</a:Action><a:MessageID>%s</a:MessageID><a:To>%s</a:To>%s%s</s:Header>"
            "<s:Body>%s</s:Body></s:Envelope>" % (decl, action, new_uuid(), ns.ANONYMOUS, rel, header_extra, body))


def fault_envelope(fault, relates_to, machine):
    extra = ""
    if fault.not_understood:
        nsuri, local = fault.not_understood
        extra = '<s:NotUnderstood qname="nu:%s" xmlns:nu="%s"/>' % (escape(local), escape(nsuri))
    return envelope(fault.action(), relates_to, fault.render_body(machine), prefixes="saxenwp", header_extra=extra)


def selector_set(selectors):
    """[(name, value)] -> w:SelectorSet XML (values may be pre-rendered EPR XML via ('name', None, xml))."""
    parts = []
    for item in selectors:
        name, value = item[0], item[1]
        if len(item) > 2 and item[2]:
            parts.append('<w:Selector Name="%s">%s</w:Selector>' % (escape(name), item[2]))
        else:
            parts.append('<w:Selector Name="%s">%s</w:Selector>' % (escape(name), escape(str(value))))
    return "<w:SelectorSet>%s</w:SelectorSet>" % "".join(parts)


def epr_inner(resource_uri, selectors, address=ns.ANONYMOUS):
    return ("<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI>%s"
            "</a:ReferenceParameters>" % (escape(address), escape(resource_uri),
                                           selector_set(selectors) if selectors else ""))


def epr(resource_uri, selectors, tag="a:EndpointReference"):
    return "<%s>%s</%s>" % (tag, epr_inner(resource_uri, selectors), tag)


def element_text(elem):
    return "".join(elem.itertext()) if elem is not None else ""
