# SPDX-License-Identifier: MIT
"""A WQL subset: SELECT list|* FROM class [WHERE condition].

Conditions: = <> != < > <= >= AND OR NOT LIKE (% and _ wildcards, [] sets) IS [NOT] NULL,
parentheses, string ('..' or ".."), integer/real, TRUE/FALSE/NULL literals. Comparisons of strings are
case-insensitive, as in WMI.
"""

import re


class WqlError(ValueError):
    def __init__(self, message, kind="invalid_query"):
        super().__init__(message)
        self.kind = kind


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<op><>|!=|<=|>=|=|<|>)
  | (?P<punct>[(),*])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
""", re.X)

KEYWORDS = {"select", "from", "where", "and", "or", "not", "like", "is", "null", "true", "false", "isa"}


def tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise WqlError("unexpected character %r at position %d" % (text[pos], pos))
        pos = m.end()
        kind = m.lastgroup
        value = m.group()
        if kind == "ws":
            continue
        if kind == "ident" and value.lower() in KEYWORDS:
            out.append(("kw", value.lower()))
        elif kind == "str":
            body = value[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", body)))
        elif kind == "num":
            out.append(("num", float(value) if any(c in value for c in ".eE") else int(value)))
        else:
            out.append((kind, value))
    out.append(("end", None))
    return out


class Query:
    def __init__(self, props, cls, where):
        self.props = props  # None for *
        self.cls = cls
        self.where = where  # callable(instance_getter) -> bool, or None


class _Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0
        self.props_used = []

    def peek(self):
        return self.toks[self.i]

    def take(self, kind=None, value=None):
        tok = self.toks[self.i]
        if kind and tok[0] != kind or value is not None and tok[1] != value:
            raise WqlError("syntax error near %r" % (tok[1],))
        self.i += 1
        return tok

    def query(self):
        self.take("kw", "select")
        props = []
        if self.peek() == ("punct", "*"):
            self.take()
            props = None
        else:
            props.append(self.take("ident")[1])
            while self.peek() == ("punct", ","):
                self.take()
                props.append(self.take("ident")[1])
        self.take("kw", "from")
        cls = self.take("ident")[1]
        where = None
        if self.peek() == ("kw", "where"):
            self.take()
            where = self.expr()
        self.take("end")
        return Query(props, cls, where)

    def expr(self):
        left = self.and_expr()
        while self.peek() == ("kw", "or"):
            self.take()
            right = self.and_expr()
            left = (lambda a, b: lambda get: a(get) or b(get))(left, right)
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.peek() == ("kw", "and"):
            self.take()
            right = self.not_expr()
            left = (lambda a, b: lambda get: a(get) and b(get))(left, right)
        return left

    def not_expr(self):
        if self.peek() == ("kw", "not"):
            self.take()
            inner = self.not_expr()
            return lambda get: not inner(get)
        return self.primary()

    def literal(self):
        kind, value = self.peek()
        if kind in ("str", "num"):
            self.take()
            return value
        if kind == "kw" and value in ("true", "false"):
            self.take()
            return value == "true"
        if kind == "kw" and value == "null":
            self.take()
            return None
        raise WqlError("syntax error near %r" % (value,))

    def primary(self):
        if self.peek() == ("punct", "("):
            self.take()
            e = self.expr()
            self.take("punct", ")")
            return e
        kind, value = self.peek()
        if kind == "ident":
            prop = self.take()[1]
            self.props_used.append(prop)
            nxt = self.peek()
            if nxt == ("kw", "is"):
                self.take()
                negate = False
                if self.peek() == ("kw", "not"):
                    self.take()
                    negate = True
                self.take("kw", "null")
                return lambda get: (get(prop) is None) != negate
            if nxt == ("kw", "not") and self.toks[self.i + 1] == ("kw", "like"):
                self.take()
                self.take()
                pat = self.take("str")[1]
                rx = like_regex(pat)
                return lambda get: not _like(get(prop), rx)
            if nxt == ("kw", "like"):
                self.take()
                pat = self.take("str")[1]
                rx = like_regex(pat)
                return lambda get: _like(get(prop), rx)
            if nxt[0] == "op":
                op = self.take()[1]
                lit = self.literal()
                return lambda get: compare(get(prop), op, lit)
            raise WqlError("syntax error near %r" % (nxt[1],))
        if kind in ("str", "num") or (kind == "kw" and value in ("true", "false", "null")):
            lit = self.literal()
            op = self.take("op")[1]
            prop = self.take("ident")[1]
            self.props_used.append(prop)
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            return lambda get: compare(get(prop), flipped, lit)
        raise WqlError("syntax error near %r" % (value,))


def like_regex(pattern):
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c == "[":
            j = pattern.find("]", i)
            if j < 0:
                raise WqlError("unterminated [ in LIKE pattern")
            body = pattern[i + 1:j]
            out.append("[^%s]" % re.escape(body[1:]) if body.startswith("^") else "[%s]" % re.escape(body))
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.I | re.S)


def _like(value, rx):
    return value is not None and rx.match(str(value)) is not None


def compare(value, op, lit):
    if value is None or lit is None:
        # WQL: comparisons with NULL are false except via IS NULL; "= NULL" is accepted by WMI too.
        if op in ("=",) and lit is None:
            return value is None
        if op in ("<>", "!=") and lit is None:
            return value is not None
        return False
    if isinstance(value, list):
        return False
    if isinstance(value, bool) or isinstance(lit, bool):
        a = bool(value) if not isinstance(value, str) else value.lower() in ("true", "1")
        b = bool(lit) if not isinstance(lit, str) else lit.lower() in ("true", "1")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            a, b = value, float(lit) if isinstance(lit, str) else lit
        except ValueError:
            raise WqlError("type mismatch comparing %r with %r" % (value, lit))
    else:
        a, b = str(value).lower(), str(lit).lower()
    if op == "=":
        return a == b
    if op in ("<>", "!="):
        return a != b
    if isinstance(a, bool):
        a, b = int(a), int(b)
    try:
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    except TypeError:
        return False


def parse(text):
    """Parse a WQL query; raises WqlError."""
    p = _Parser(text)
    q = p.query()
    q.props_used = p.props_used
    return q
