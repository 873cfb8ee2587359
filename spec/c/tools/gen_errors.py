#!/usr/bin/env python3
"""Regenerates the code table in src/core/protocol/errors.c from wsmerror.txt and winerror.txt.

    python3 spec/c/tools/gen_errors.py        (from the repository root)

The table sits between the BEGIN/END GENERATED TABLE markers of errors.c; it is sorted by code
so wsman_error_name/text can binary-search it."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
TARGET = os.path.join(ROOT, "src", "core", "protocol", "errors.c")


def rows(fname, base):
    out = []
    with open(os.path.join(HERE, fname), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            code, name, text = line.split("|", 2)
            out.append((int(code, 16) | base, name, text.strip()))
    return out


def cstr(s):
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("%n", "\\n")
    return '"' + s + '"'


def main():
    table = rows("wsmerror.txt", 0x80330000) + rows("winerror.txt", 0)
    table.sort(key=lambda r: r[0])
    codes = [r[0] for r in table]
    assert len(codes) == len(set(codes)), "duplicate code"
    lines = []
    for code, name, text in table:
        lines.append("    {0x%08Xu, \"%s\",\n     %s}," % (code, name, cstr(text)))
    body = "\n".join(lines) + "\n"
    with open(TARGET, encoding="utf-8") as f:
        src = f.read()
    new, n = re.subn(r"(/\* BEGIN GENERATED TABLE[^\n]*\n).*?(    /\* END GENERATED TABLE)",
                     lambda m: m.group(1) + body + m.group(2), src, flags=re.S)
    assert n == 1, "markers not found in errors.c"
    with open(TARGET, "w", encoding="utf-8") as f:
        f.write(new)
    print("%d entries written to %s" % (len(table), TARGET))


if __name__ == "__main__":
    main()
