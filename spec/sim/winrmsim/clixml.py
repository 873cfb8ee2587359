# SPDX-License-Identifier: MIT
"""CLIXML (MS-PSRP 2.2.5) for the PowerShell plug-in: Python values -> XML and XML -> Python values.

Primitive values are wrapped in ``Value(tag, value)`` when their exact type matters (I64, Decimal, Guid...);
plain Python values map to S (str), I32 (int in range, else I64), B (bool), Db (float), BA (bytes), Nil
(None), LST (list), DCT (dict). Complex objects are ``PSObject`` (type names, ToString, adapted and
extended properties, an optional primitive or container value). Written from the specification.
"""

import base64
import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape as _xml_escape

_ENCODE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|[\n\r\t]|_(?=x[0-9A-Fa-f]{4}_)")
_DECODE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def encode_string(text):
    """2.2.5.3.2: characters XML cannot carry (and a '_' that would read as an escape) as _xHHHH_."""
    def one(m):
        ch = m.group(0)
        return "_x%04X_" % ord(ch) if ch != "_" else "_x005F_"
    return _xml_escape(_ENCODE.sub(one, text))


def decode_string(text):
    units = _DECODE.sub(lambda m: chr(int(m.group(1), 16)), text or "")
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class Value:
    """A primitive with an explicit CLIXML tag: Value("I64", 5), Value("G", "guid"), Value("DT", "...")."""

    __slots__ = ("tag", "value")

    def __init__(self, tag, value):
        self.tag = tag
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Value) and (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self):
        return "Value(%r, %r)" % (self.tag, self.value)


class PSObject:
    def __init__(self, type_names=(), to_string=None, props=None, extended=None, value=None):
        self.type_names = list(type_names)
        self.to_string = to_string
        self.props = dict(props or {})          # adapted (<Props>)
        self.extended = dict(extended or {})    # extended (<MS>)
        self.value = value                      # a primitive / list / dict the object wraps

    def get(self, name, default=None):
        if name in self.extended:
            return self.extended[name]
        return self.props.get(name, default)

    def __repr__(self):
        return "PSObject(%r, %r)" % (self.type_names[:1], self.to_string)


def enum(type_names, name, number):
    return PSObject(type_names + ["System.Enum", "System.ValueType", "System.Object"], name, value=number)


# ---- serialisation ---------------------------------------------------------------------------------------

class Writer:
    def __init__(self):
        self.ref = 0
        self.tn = {}

    def _n(self, name):
        return "" if name is None else ' N="%s"' % _xml_escape(name, {'"': "&quot;"})

    def value(self, v, name=None):
        n = self._n(name)
        if v is None:
            return "<Nil%s />" % n
        if isinstance(v, bool):
            return "<B%s>%s</B>" % (n, "true" if v else "false")
        if isinstance(v, int):
            tag = "I32" if -2 ** 31 <= v < 2 ** 31 else "I64"
            return "<%s%s>%d</%s>" % (tag, n, v, tag)
        if isinstance(v, float):
            return "<Db%s>%s</Db>" % (n, repr(v))
        if isinstance(v, str):
            return "<S%s>%s</S>" % (n, encode_string(v))
        if isinstance(v, (bytes, bytearray)):
            return "<BA%s>%s</BA>" % (n, base64.b64encode(bytes(v)).decode("ascii"))
        if isinstance(v, Value):
            text = v.value
            if v.tag == "B":
                text = "true" if v.value else "false"
            elif v.tag == "S" or v.tag == "URI" or v.tag == "SBK" or v.tag == "XD":
                text = encode_string(str(v.value))
            elif v.tag == "BA":
                text = base64.b64encode(v.value).decode("ascii")
            return "<%s%s>%s</%s>" % (v.tag, n, text, v.tag)
        if isinstance(v, PSObject):
            return self.obj(v, name)
        if isinstance(v, (list, tuple)):
            return self.obj(PSObject(["System.Object[]", "System.Array", "System.Object"], value=list(v)), name)
        if isinstance(v, dict):
            return self.obj(PSObject(["System.Collections.Hashtable", "System.Object"], value=v), name)
        return "<S%s>%s</S>" % (n, encode_string(str(v)))

    def _type_names(self, names):
        if not names:
            return ""
        key = tuple(names)
        if key in self.tn:
            return '<TNRef RefId="%d" />' % self.tn[key]
        self.tn[key] = len(self.tn)
        return '<TN RefId="%d">%s</TN>' % (self.tn[key], "".join("<T>%s</T>" % _xml_escape(t) for t in names))

    def obj(self, o, name=None):
        ref = self.ref
        self.ref += 1
        parts = ['<Obj%s RefId="%d">' % (self._n(name), ref), self._type_names(o.type_names)]
        if o.to_string is not None:
            parts.append("<ToString>%s</ToString>" % encode_string(o.to_string))
        v = o.value
        if isinstance(v, dict):
            parts.append("<DCT>%s</DCT>" % "".join("<En>%s%s</En>" % (self.value(k, "Key"), self.value(x, "Value"))
                                                     for k, x in v.items()))
        elif isinstance(v, (list, tuple)):
            parts.append("<LST>%s</LST>" % "".join(self.value(x) for x in v))
        elif v is not None:
            parts.append(self.value(v))
        if o.props:
            parts.append("<Props>%s</Props>" % "".join(self.value(x, k) for k, x in o.props.items()))
        if o.extended:
            parts.append("<MS>%s</MS>" % "".join(self.value(x, k) for k, x in o.extended.items()))
        parts.append("</Obj>")
        return "".join(parts)


def dumps(value):
    """One top-level CLIXML element (a message body)."""
    return Writer().value(value)


def message_obj(props):
    """The <Obj RefId="0"><MS>...</MS></Obj> shape of most PSRP message bodies."""
    return dumps(PSObject(extended=props))


# ---- parsing ---------------------------------------------------------------------------------------------

_PRIMITIVE = {
    "S": decode_string, "C": lambda t: chr(int(t)), "B": lambda t: t.strip().lower() == "true",
    "DT": str, "TS": str, "U8": int, "SB": int, "U16": int, "I16": int, "U32": int, "I32": int, "U64": int,
    "I64": int, "Sg": float, "Db": float, "D": str, "G": str, "URI": decode_string, "Version": str,
    "XD": decode_string, "SBK": decode_string, "SS": str, "PR": str,
}
_EXACT = {"I64", "U64", "U32", "U16", "U8", "SB", "I16", "D", "G", "DT", "TS", "C", "Sg", "URI", "Version", "SS",
          "XD", "SBK", "BA", "PR"}


class Reader:
    def __init__(self):
        self.refs = {}
        self.tns = {}

    def element(self, e):
        tag = e.tag
        if tag == "Nil":
            return None
        if tag == "Ref":
            return self.refs.get(e.get("RefId"))
        if tag == "BA":
            return base64.b64decode(e.text or "")
        if tag in _PRIMITIVE:
            v = _PRIMITIVE[tag](e.text or "")
            return Value(tag, v) if tag in _EXACT else v
        if tag == "Obj":
            return self.obj(e)
        raise ValueError("unknown CLIXML element <%s>" % tag)

    def obj(self, e):
        o = PSObject()
        if e.get("RefId") is not None:
            self.refs[e.get("RefId")] = o
        for c in e:
            if c.tag == "TN":
                o.type_names = [t.text or "" for t in c.findall("T")]
                self.tns[c.get("RefId")] = o.type_names
            elif c.tag == "TNRef":
                o.type_names = list(self.tns.get(c.get("RefId"), []))
            elif c.tag == "ToString":
                o.to_string = decode_string(c.text or "")
            elif c.tag == "Props":
                o.props = {p.get("N"): self.element(p) for p in c}
            elif c.tag == "MS":
                o.extended = {p.get("N"): self.element(p) for p in c}
            elif c.tag in ("LST", "IE", "QUE", "STK"):
                o.value = [self.element(x) for x in c]
            elif c.tag == "DCT":
                o.value = {}
                for en in c.findall("En"):
                    k = v = None
                    for x in en:
                        if x.get("N") == "Key":
                            k = self.element(x)
                        elif x.get("N") == "Value":
                            v = self.element(x)
                    o.value[k.value if isinstance(k, Value) else k] = v
            else:
                o.value = self.element(c)
        return o


def loads(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    text = text.lstrip("\ufeff")
    if not text.strip():
        return None
    return Reader().element(ET.fromstring(text))


def plain(v):
    """A parsed value with wrappers removed (Value -> its value; PSObject -> its value if it has one)."""
    if isinstance(v, Value):
        return v.value
    if isinstance(v, PSObject) and v.value is not None and not v.props and not v.extended:
        return [plain(x) for x in v.value] if isinstance(v.value, list) else v.value
    return v
