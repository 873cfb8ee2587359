# SPDX-License-Identifier: MIT
"""Windows command lines as a Windows host reads them, turned into what /bin/sh runs.

A WinRS host joins rsp:Command and the rsp:Arguments with spaces into one command line. What happens
next on Windows, and here:

* cmd.exe (unless WINRS_SKIP_CMD_SHELL) reads the line first: a double quote toggles its quoting (it
  knows no backslash escapes); outside quotes ``^`` escapes the next character and ``&``, ``&&``,
  ``||``, ``|``, ``<``, ``>``, ``>>``, ``N>`` and ``N>&M`` are its operators. (``%NAME%`` expansion,
  parentheses and built-ins are not emulated.)
* each program then splits its part of the line into argv by the MSVCRT / CommandLineToArgvW rules
  (``split``).

``to_sh`` gives /bin/sh the same program: every argument as one literal (quoted) word, the operators
as /bin/sh's (``&`` becomes ``;``). So an argument a client quoted by the Windows rules arrives
exactly, and the argument boundaries a Windows program would see are the ones /bin/sh sees.
"""

import re
import shlex

_OPERATOR = re.compile(r"&&|\|\||[&|]|[0-9]?>>|[0-9]?>&[0-9]|[0-9]?>|<")


def split(line):
    """argv of a command line by the MSVCRT rules (as the UCRT parses arguments after the first):
    white space separates arguments outside quotes; 2n backslashes before a quote give n backslashes
    and the quote toggles quoting; 2n+1 give n backslashes and a literal quote; other backslashes
    are literal; inside quotes a doubled quote is a literal quote."""
    argv, word, have, quoted = [], [], False, False
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            j = i
            while j < n and line[j] == "\\":
                j += 1
            count = j - i
            if j < n and line[j] == '"':
                word.append("\\" * (count // 2))
                if count % 2:
                    word.append('"')
                    i = j + 1
                else:
                    i = j
            else:
                word.append("\\" * count)
                i = j
            have = True
            continue
        if c == '"':
            if quoted and i + 1 < n and line[i + 1] == '"':
                word.append('"')
                i += 2
            else:
                quoted = not quoted
                i += 1
            have = True
            continue
        if c in " \t" and not quoted:
            if have:
                argv.append("".join(word))
                word, have = [], False
            i += 1
            continue
        word.append(c)
        have = True
        i += 1
    if have:
        argv.append("".join(word))
    return argv


def cmd_pieces(line):
    """Splits a line as cmd.exe does into [("text", s) | ("op", s)]: operators outside double quotes,
    carets removed (escaping the next character) outside quotes."""
    pieces, text, quoted, i = [], [], False, 0
    while i < len(line):
        c = line[i]
        if c == '"':
            quoted = not quoted
            text.append(c)
            i += 1
            continue
        if not quoted and c == "^" and i + 1 < len(line):
            text.append(line[i + 1])
            i += 2
            continue
        if not quoted:
            m = _OPERATOR.match(line, i)
            # a digit before a redirection belongs to it only when it starts a word
            if m and m.group(0)[0].isdigit() and text and not text[-1].isspace():
                m = None
            if m:
                pieces.append(("text", "".join(text)))
                pieces.append(("op", m.group(0)))
                text = []
                i = m.end()
                continue
        text.append(c)
        i += 1
    pieces.append(("text", "".join(text)))
    return pieces


def to_sh(line):
    """The /bin/sh command line running what cmd.exe would run for this line."""
    out = []
    for kind, s in cmd_pieces(line):
        if kind == "op":
            out.append(";" if s == "&" else s)
        else:
            out.extend(shlex.quote(w) for w in split(s))
    return " ".join(out)
