# SPDX-License-Identifier: MIT
"""The PowerShell the PSRP plug-in emulates (it cannot run PowerShell).

A pipeline (CREATE_PIPELINE's PowerShell: Cmds, ExtraCmds) runs commands from a small documented set,
either given as commands with parameters or inside script text. Script text is read by a tiny
interpreter: statements separated by newlines or ';', pipelines with '|', string/number/$true/$false/$null
literals, comma lists, $input, $args, variables assigned by `$name = <pipeline>`, the preference variables,
and `throw "text"`. Anything else in a script is reported as a parse error (ParseException) so a test sees
what the simulator did not understand. The file-transfer scripts are recognised by their marker line (see
pstransfer.py). Every command is a generator: it takes its input objects as an iterator and yields output
objects, so `$input | Write-Output` streams without holding the input.
"""

import collections
import re

from . import psrawui
from . import psrecords as rec
from . import pstransfer
from . import psrpwire as wire
from .clixml import PSObject, Value


class Terminate(Exception):
    """A terminating error: the pipeline fails with this ErrorRecord."""

    def __init__(self, record):
        Exception.__init__(self, record.to_string)
        self.record = record


class Stopped(Exception):
    """The client stopped the pipeline (Signal powershell/signal/crtl_c)."""


class ParseError(Exception):
    pass


NO_LANGUAGE = "The syntax is not supported by this runspace. This can occur if the runspace is in no-language mode."
NON_INTERACTIVE = "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
PREFERENCES = {"verbosepreference": "SilentlyContinue", "debugpreference": "SilentlyContinue",
               "warningpreference": "Continue", "erroractionpreference": "Continue",
               "informationpreference": "SilentlyContinue", "progresspreference": "Continue"}


def not_recognized(name):
    text = ("The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program. "
            "Check the spelling of the name, or if a path was included, verify that the path is correct and try "
            "again." % name)
    return rec.error_record(text, "System.Management.Automation.CommandNotFoundException",
                            ["System.Management.Automation.RuntimeException"], category="ObjectNotFound",
                            activity="", reason="CommandNotFoundException", fqid="CommandNotFoundException",
                            target=name)


def parse_error(text, script):
    return rec.error_record(text, "System.Management.Automation.ParseException",
                            ["System.Management.Automation.RuntimeException"], category="ParserError",
                            activity="", reason="ParseException", fqid="ScriptContainedForbiddenConstructs"
                            if text == NO_LANGUAGE else "ParseException", script=script, write_stream=False)


# ---- tokens and statements ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"""[ \t]*(?:
    (?P<sq>'(?:[^']|'')*')
  | (?P<dq>"(?:[^"`]|`.)*")
  | (?P<op>\||;|\n|,|=(?!=))
  | (?P<param>-[A-Za-z][\w]*:?)
  | (?P<num>-?\d+(?:\.\d+)?(?:[kKmMgG][bB])?(?![\w-]))
  | (?P<rawui>(?i:\$host\.UI\.RawUI\.)\w+(?:\([^)]*\))?)
  | (?P<var>\$[A-Za-z_][\w:]*)
  | (?P<word>[^\s|;,'"=]+)
)""", re.X)
_SIZE = {"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30}


def tokenize(text):
    text = re.sub(r"(?m)^\s*#.*$", "", text.replace("\r\n", "\n"))
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ParseError("the simulator cannot read the script at: %.40s" % text[pos:])
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "word" and re.search(r"[{}()\[\]@]", value):
            raise ParseError("the simulator's script emulation does not support '%s'" % value)
        out.append((kind, value))
    return out


def literal(kind, value, variables):
    if kind == "sq":
        return value[1:-1].replace("''", "'")
    if kind == "dq":
        inner = re.sub(r"`(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)),
                       value[1:-1])
        return re.sub(r"\$([A-Za-z_]\w*)", lambda m: str(variables.get(m.group(1).lower(), "")), inner)
    if kind == "num":
        low = value.lower()
        mult = _SIZE.get(low[-2:], 1) if low[-2:] in _SIZE else 1
        num = low[:-2] if mult != 1 else low
        return int(num) * mult if "." not in num else float(num) * mult
    if kind == "var":
        name = value[1:].lower()
        return {"true": True, "false": False, "null": None}.get(name, variables.get(name))
    return value


_BLOCK = re.compile(r"\s*(?:#[^\n]*\n\s*)*(begin|process|end)\s*\{", re.I)


def named_blocks(text):
    """`begin { } process { } end { }` at the top of a script -> {name: body}; None for other scripts."""
    blocks, pos = {}, 0
    while pos < len(text.rstrip()):
        m = _BLOCK.match(text, pos)
        if m is None:
            return None
        depth, i, quote = 1, m.end(), None
        while i < len(text) and depth:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            i += 1
        if depth:
            raise ParseError("Missing closing '}' in statement block or type definition.")
        blocks[m.group(1).lower()] = text[m.end():i - 1]
        pos = i
    return blocks or None


def split_statements(tokens):
    stmts, cur = [], []
    for t in tokens:
        if t[0] == "op" and t[1] in (";", "\n"):
            if cur:
                stmts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        stmts.append(cur)
    return stmts


def split_pipeline(tokens):
    parts, cur = [], []
    for t in tokens:
        if t == ("op", "|"):
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    if any(not p for p in parts):
        raise ParseError("An empty pipe element is not allowed.")
    return parts


def values(tokens, variables):
    """Command arguments -> (positional list, named dict); 'a, b' makes a list, -Switch:$false works."""
    pos, named = [], {}
    pending = None
    items = []
    for kind, value in tokens:
        if kind == "param":
            items.append(("param", value.rstrip(":")[1:].lower(), value.endswith(":")))
        elif (kind, value) == ("op", ","):
            items.append(("comma",))
        else:
            items.append(("value", literal(kind, value, variables)))
    merged = []
    for it in items:
        if it[0] == "comma" and merged and merged[-1][0] == "value":
            merged[-1] = ("list", [merged[-1][1]] if not isinstance(merged[-1][1], list) else merged[-1][1])
        elif it[0] == "value" and merged and merged[-1][0] == "list":
            merged[-1] = ("value", merged[-1][1] + [it[1]])
        else:
            merged.append(it)
    for i, it in enumerate(merged):
        if it[0] == "param":
            pending = it[1]
            nxt = merged[i + 1] if i + 1 < len(merged) else None
            named[pending] = True if nxt is None or nxt[0] == "param" else None
        elif pending is not None and named.get(pending) is None:
            named[pending] = it[1]
            pending = None
        else:
            pos.append(it[1])
            pending = None
    return pos, named


# ---- execution -----------------------------------------------------------------------------------------------

class Runner:
    """Runs one pipeline for a Pipeline (psrp.py) that provides emit/input/host_call/sleep."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.pool = pipe.pool
        # $input, $args, $_ are the pipeline's own; other variables live in the runspace (pool.variables)
        self.vars = collections.ChainMap({}, pipe.pool.variables)
        self.script = ""
        self.had_input = False

    # -- entry ---------------------------------------------------------------------------------
    def run(self, statements):
        """statements: [([(name, is_script, [(param name or None, value)])], merged record types)]
        -> ErrorRecord or None."""
        try:
            for commands, merged in statements:
                self.pipe.merged = merged
                self.run_commands(commands)
            return None
        except Terminate as t:
            return t.record

    def run_commands(self, commands):
        first = commands[0]
        if first[1]:
            self.script = first[0]
            if self.pool.no_language:
                raise Terminate(parse_error(NO_LANGUAGE, first[0]))
            transfer = pstransfer.recognise(first[0])
            if transfer is not None:
                self.drain(transfer(self, [v for _, v in first[2]]))
                return
        stream = self.pipe.input()
        for name, is_script, args in commands:
            if is_script:
                stream = self.script_block(name, [v for _, v in args], stream)
            else:
                pos = [v for n, v in args if n is None]
                named = {n.lower(): (True if v is None else v) for n, v in args if n is not None}
                stream = self.command(name, pos, named, stream)
        self.drain(stream)

    def drain(self, stream):
        for obj in stream:
            self.pipe.emit("PIPELINE_OUTPUT", obj)

    # -- scripts -------------------------------------------------------------------------------
    def script_block(self, text, args, stream):
        self.vars["args"] = list(args)
        try:
            blocks = named_blocks(text)
            parsed = {k: split_statements(tokenize(v)) for k, v in (blocks or {"": text}).items()}
        except ParseError as exc:
            raise Terminate(parse_error(str(exc), text))
        if blocks is None:
            self.vars["input"] = stream
            yield from self.statements(parsed[""], text)
            return
        self.vars["input"] = iter(())
        yield from self.statements(parsed.get("begin", []), text)
        if self.pipe.no_input:
            yield from self.statements(parsed.get("process", []), text)
        else:
            for item in stream:
                self.vars["input"] = iter([item])
                self.vars["_"] = item
                yield from self.statements(parsed.get("process", []), text)
        self.vars["input"] = iter(())
        yield from self.statements(parsed.get("end", []), text)

    def statements(self, statements, text):
        for stmt in statements:
            yield from self.statement(stmt, text)

    def statement(self, tokens, text):
        if tokens[0] == ("word", "throw"):
            pos, _ = values(tokens[1:], self.vars)
            raise Terminate(rec.runtime_error(str(pos[0]) if pos else "ScriptHalted", text))
        if len(tokens) >= 2 and tokens[0][0] == "rawui" and tokens[1] == ("op", "="):
            pos, _ = values(tokens[2:], self.vars)
            self.raw_ui(lambda raw: raw.set(tokens[0][1].rsplit(".", 1)[1], pos[0] if len(pos) == 1 else pos),
                        text)
            return
        if len(tokens) >= 2 and tokens[0][0] == "var" and tokens[1] == ("op", "="):
            name = tokens[0][1][1:].lower()
            result = list(self.pipeline(tokens[2:], text))
            self.pool.variables[name] = result[0] if len(result) == 1 else result
            return
        yield from self.pipeline(tokens, text)

    def pipeline(self, tokens, text):
        try:
            parts = split_pipeline(tokens)
        except ParseError as exc:
            raise Terminate(parse_error(str(exc), text))
        stream = iter(())
        for i, part in enumerate(parts):
            kind, value = part[0]
            if kind == "word" and not re.match(r"^-?\d", value):
                pos, named = values(part[1:], self.vars)
                stream = self.command(value, pos, named, stream if i else iter(()))
            elif i == 0:
                stream = self.expression(part)
            else:
                raise Terminate(parse_error("Expressions are only allowed as the first element of a pipeline.",
                                            text))
        return stream

    def expression(self, part):
        if part == [("var", "$input")]:
            return self.vars.get("input") or iter(())
        if len(part) == 1 and part[0][0] == "rawui":
            result = self.raw_ui(lambda raw: raw_ui_access(raw, part[0][1]), self.script)
            return iter([] if result is VOID else [result])
        pos, _ = values(part, self.vars)
        out = []
        for v in pos:
            out.extend(v if isinstance(v, list) else [v])
        return iter(out)

    # -- commands ------------------------------------------------------------------------------
    def command(self, name, pos, named, stream):
        func = CMDLETS.get(name.lower())
        allowed = self.pool.commands
        if func is None or (allowed is not None and name.lower() not in allowed):
            return self.not_found(name)
        return func(self, pos, named, stream)

    def raw_ui(self, action, text):
        """Runs action(RawUI); what PowerShell would throw fails the pipeline."""
        try:
            return action(psrawui.RawUI(self.pipe))
        except psrawui.RawUIError as exc:
            raise Terminate(rec.runtime_error(str(exc), text, category="NotSpecified"))

    def not_found(self, name):
        self.pipe.emit("ERROR_RECORD", not_recognized(name))
        return iter(())

    def preference(self, name, named, switch):
        if named.get(switch) is True:
            return "Continue"
        return str(self.vars.get(name, "SilentlyContinue"))

    def write_error(self, record):
        if self.vars.get("erroractionpreference", "Continue").lower() == "stop":
            record.extended.pop("writeErrorStream", None)
            raise Terminate(record)
        self.pipe.emit("ERROR_RECORD", record)


VOID = object()     # what a void method returns: no output
_RAW_UI_MEMBER = re.compile(r"\$host\.UI\.RawUI\.(\w+)(?:\(\s*([^)]*?)\s*\))?$", re.I)


def raw_ui_access(raw, text):
    """`$host.UI.RawUI.Name` (a property) or `$host.UI.RawUI.Name(args)` (ReadKey, FlushInputBuffer)."""
    m = _RAW_UI_MEMBER.match(text)
    if m.group(0).endswith(")"):
        args = [a.strip() for a in m.group(2).split(",")] if m.group(2) else []
        result = raw.call(m.group(1), args)
        return VOID if result is None else result
    return raw.get(m.group(1))


def _first(pos, named, *names):
    for n in names:
        if n in named:
            return named[n]
    return pos[0] if pos else None


def _flat(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def cmd_write_output(r, pos, named, stream):
    given = named.get("inputobject", pos if pos else None)
    if given is None:
        yield from stream
        return
    for v in (given if isinstance(given, list) else [given]):
        yield from _flat(v) if isinstance(v, list) else [v]


def cmd_write_error(r, pos, named, stream):
    msg = _first(pos, named, "message")
    r.write_error(rec.error_record(str(msg if msg is not None else ""), script=r.script))
    return iter(())


def _informational(kind, pref, switch):
    def cmd(r, pos, named, stream):
        msg = _first(pos, named, "message")
        if r.preference(pref, named, switch).lower() not in ("silentlycontinue", "ignore"):
            r.pipe.emit(kind.upper() + "_RECORD", rec.informational(kind, str(msg if msg is not None else "")))
        return iter(())
    return cmd


def cmd_write_information(r, pos, named, stream):
    msg = _first(pos, named, "messagedata", "message")
    tags = _flat(named.get("tags"))
    if r.pipe.version >= (2, 3):
        r.pipe.emit("INFORMATION_RECORD", rec.information_record(msg, "Write-Information", r.pool.user_name,
                                                                 r.pool.machine, tags))
    return iter(())


def cmd_write_host(r, pos, named, stream):
    msg = " ".join(str(v) for v in _flat(_first(pos, named, "object")))
    if r.pipe.has_host:
        r.pipe.host_void("WriteLine2", [msg])
    if r.pipe.version >= (2, 3):
        data = PSObject(["System.Management.Automation.HostInformationMessage", "System.Object"], msg,
                        props={"Message": msg, "NoNewLine": False, "ForegroundColor": None,
                               "BackgroundColor": None})
        r.pipe.emit("INFORMATION_RECORD", rec.information_record(data, "Write-Host", r.pool.user_name,
                                                                 r.pool.machine, ["PSHOST"]))
    return iter(())


def cmd_write_progress(r, pos, named, stream):
    activity = _first(pos, named, "activity")
    status = named.get("status", pos[1] if len(pos) > 1 else "Processing")
    percent = int(named.get("percentcomplete", -1))
    record = rec.progress_record(str(activity), str(status), percent, int(named.get("id", 0)),
                                 completed=named.get("completed") is True,
                                 operation=named.get("currentoperation"))
    if r.vars.get("progresspreference", "Continue").lower() != "silentlycontinue":
        r.pipe.emit("PROGRESS_RECORD", record)
    return iter(())


def cmd_read_host(r, pos, named, stream):
    if not r.pipe.has_host:
        raise Terminate(rec.error_record(NON_INTERACTIVE, "System.Management.Automation.PSInvalidOperationException",
                                         ["System.InvalidOperationException"], category="ResourceUnavailable",
                                         activity="Read-Host", reason="PSInvalidOperationException",
                                         fqid="HostFunctionNotImplemented", script=r.script, write_stream=False))
    prompt = _first(pos, named, "prompt")
    if prompt is not None:
        r.pipe.host_void("Write2", ["%s: " % prompt])
    method = "ReadLineAsSecureString" if named.get("assecurestring") is True else "ReadLine"
    yield r.pipe.host_call(method, [])


def cmd_start_sleep(r, pos, named, stream):
    if "milliseconds" in named:
        seconds = float(named["milliseconds"]) / 1000.0
    else:
        seconds = float(_first(pos, named, "seconds", "s") or 0)
    r.pipe.sleep(seconds)
    return iter(())


def _matches(pattern, name):
    rx = "^" + re.escape(str(pattern)).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(rx, name or "", re.I) is not None


def _not_found(r, noun, text, fqid, target):
    """Get-Service / Get-Process: the non-terminating ObjectNotFound error of a name or id not found."""
    exception = "Microsoft.PowerShell.Commands.%sCommandException" % noun
    r.write_error(rec.error_record(text, exception, ["System.SystemException"], category="ObjectNotFound",
                                   activity="Get-" + noun, reason="%sCommandException" % noun,
                                   fqid="%s,Microsoft.PowerShell.Commands.Get%sCommand" % (fqid, noun),
                                   target=target, script=r.script))


def cmd_get_service(r, pos, named, stream):
    cls = r.pool.store.cls("Win32_Service")
    names = _flat(_first(pos, named, "name"))
    insts = sorted(cls.instances if cls else [], key=lambda i: (i.get("Name") or "").lower())
    for pattern in names or ["*"]:
        found = [i for i in insts if _matches(pattern, i.get("Name")) or _matches(pattern, i.get("DisplayName"))]
        if not found and "*" not in str(pattern):
            _not_found(r, "Service", "Cannot find any service with service name '%s'." % pattern,
                       "NoServiceFoundForGivenName", pattern)
        for i in found:
            yield rec.service(i)


def cmd_get_process(r, pos, named, stream):
    cls = r.pool.store.cls("Win32_Process")
    insts = sorted(cls.instances if cls else [], key=lambda i: ((i.get("Name") or "").lower(), i.get("ProcessId")))
    if "id" in named:
        for pid in _flat(named["id"]):
            found = [i for i in insts if i.get("ProcessId") == int(pid)]
            if not found:
                _not_found(r, "Process", "Cannot find a process with the process identifier %s." % pid,
                           "NoProcessFoundForGivenId", pid)
            for i in found:
                yield rec.process(i)
        return
    for pattern in _flat(_first(pos, named, "name")) or ["*"]:
        found = [i for i in insts if _matches(pattern, re.sub(r"(?i)\.exe$", "", i.get("Name") or ""))]
        if not found and "*" not in str(pattern):
            _not_found(r, "Process", 'Cannot find a process with the name "%s". Verify the process name and '
                       'call the cmdlet again.' % pattern, "NoProcessFoundForGivenName", pattern)
        for i in found:
            yield rec.process(i)


def cmd_set_variable(r, pos, named, stream):
    name = str(_first(pos, named, "name")).lower()
    r.pool.variables[name] = named.get("value", pos[1] if len(pos) > 1 else None)
    return iter(())


def cmd_get_history(r, pos, named, stream):
    for entry in list(r.pool.history):
        yield rec.history_info(*entry)


def cmd_convertto_securestring(r, pos, named, stream):
    """ConvertTo-SecureString -String s -AsPlainText -Force: a SecureString under the session key."""
    if named.get("asplaintext") is not True:
        raise Terminate(rec.error_record("The simulator emulates ConvertTo-SecureString only with -AsPlainText "
                                         "-Force.", "System.NotSupportedException", category="InvalidArgument",
                                         activity="ConvertTo-SecureString", write_stream=False))
    texts = _flat(_first(pos, named, "string")) or list(stream)
    key = r.pipe.session_key()
    for t in texts:
        yield Value("SS", wire.secure_string_encrypt(key, str(t)))


def cmd_convertfrom_securestring(r, pos, named, stream):
    """ConvertFrom-SecureString -AsPlainText (PowerShell 7's form): the text of a SecureString."""
    values = _flat(_first(pos, named, "securestring")) or list(stream)
    for v in values:
        if not (isinstance(v, Value) and v.tag == "SS"):
            r.write_error(rec.error_record("Cannot bind parameter 'SecureString': the input is not a "
                                           "SecureString.", "System.Management.Automation.ParameterBindingException",
                                           category="InvalidArgument", activity="ConvertFrom-SecureString",
                                           script=r.script))
            continue
        yield wire.secure_string_decrypt(r.pipe.session_key(), v.value)


def cmd_new_object(r, pos, named, stream):
    """New-Object -TypeName <Coordinates|Size> -ArgumentList a, b (the raw UI's value types only)."""
    type_name = str(_first(pos, named, "typename"))
    args = named.get("argumentlist", pos[1:] if "typename" not in named else pos)
    args = _flat(args)
    try:
        obj = psrawui.new_object(type_name, args)
    except psrawui.RawUIError as exc:
        raise Terminate(rec.runtime_error(str(exc), r.script, category="NotSpecified"))
    if obj is None:
        raise Terminate(rec.runtime_error("Cannot find type [%s]: the simulator's New-Object makes only "
                                          "Coordinates and Size objects." % type_name, r.script,
                                          category="InvalidType"))
    yield obj


def cmd_measure(r, pos, named, stream):
    """Measure-Object (Count only): lets a test send large input and get a small answer."""
    count = sum(1 for _ in stream)
    yield PSObject(["Deserialized.Microsoft.PowerShell.Commands.GenericMeasureInfo",
                    "Deserialized.Microsoft.PowerShell.Commands.MeasureInfo", "Deserialized.System.Object"],
                   "Microsoft.PowerShell.Commands.GenericMeasureInfo", props={
                       "Count": count, "Average": None, "Sum": None, "Maximum": None, "Minimum": None,
                       "Property": None})


def cmd_new_string(r, pos, named, stream):
    """`New-SimString -Length N [-Count C]`: C strings of N 'x' characters (output volume for tests)."""
    length = int(named.get("length", pos[0] if pos else 0))
    for _ in range(int(named.get("count", 1))):
        yield "x" * length


CMDLETS = {
    "write-output": cmd_write_output, "echo": cmd_write_output, "write-error": cmd_write_error,
    "write-warning": _informational("Warning", "warningpreference", "warningaction"),
    "write-verbose": _informational("Verbose", "verbosepreference", "verbose"),
    "write-debug": _informational("Debug", "debugpreference", "debug"),
    "write-information": cmd_write_information, "write-host": cmd_write_host,
    "write-progress": cmd_write_progress, "read-host": cmd_read_host, "start-sleep": cmd_start_sleep,
    "get-service": cmd_get_service, "get-process": cmd_get_process, "set-variable": cmd_set_variable,
    "convertto-securestring": cmd_convertto_securestring,
    "convertfrom-securestring": cmd_convertfrom_securestring, "measure-object": cmd_measure,
    "new-object": cmd_new_object, "get-history": cmd_get_history, "new-simstring": cmd_new_string,
}

# The emulated commands as Get-Command (GET_COMMAND_METADATA) lists them: name, module, CommandTypes value
COMMAND_INFO = [
    ("ConvertFrom-SecureString", "Microsoft.PowerShell.Security"),
    ("ConvertTo-SecureString", "Microsoft.PowerShell.Security"),
    ("Get-History", "Microsoft.PowerShell.Core"), ("Get-Process", "Microsoft.PowerShell.Management"),
    ("Get-Service", "Microsoft.PowerShell.Management"), ("Measure-Object", "Microsoft.PowerShell.Utility"),
    ("New-Object", "Microsoft.PowerShell.Utility"),
    ("Read-Host", "Microsoft.PowerShell.Utility"), ("Set-Variable", "Microsoft.PowerShell.Utility"),
    ("Start-Sleep", "Microsoft.PowerShell.Utility"), ("Write-Debug", "Microsoft.PowerShell.Utility"),
    ("Write-Error", "Microsoft.PowerShell.Utility"), ("Write-Host", "Microsoft.PowerShell.Utility"),
    ("Write-Information", "Microsoft.PowerShell.Utility"), ("Write-Output", "Microsoft.PowerShell.Utility"),
    ("Write-Progress", "Microsoft.PowerShell.Utility"), ("Write-Verbose", "Microsoft.PowerShell.Utility"),
    ("Write-Warning", "Microsoft.PowerShell.Utility"),
]
COMMAND_TYPE_CMDLET = 8


def command_metadata(pool, names, command_type, namespaces):
    """GET_COMMAND_METADATA (MS-PSRP 2.2.2.14, 3.1.4.5.x): the count, then one CmdletInfo per command that
    matches a name pattern, the CommandTypes mask and the module names (shapes of
    test_psrp_get_command_metadata.yml; Parameters are left empty)."""
    found = []
    for name, module in COMMAND_INFO:
        if pool.commands is not None and name.lower() not in pool.commands:
            continue
        if not command_type & COMMAND_TYPE_CMDLET:
            continue
        if not any(_matches(p, name) for p in names or ["*"]):
            continue
        if namespaces and not any(_matches(n, module) for n in namespaces):
            continue
        found.append((name, module))
    yield PSObject(["Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo",
                    "System.Management.Automation.PSCustomObject", "System.Object"], extended={"Count": len(found)})
    for name, module in found:
        yield PSObject(["Selected.System.Management.Automation.CmdletInfo",
                        "System.Management.Automation.PSCustomObject", "System.Object"], extended={
            "Name": name, "Namespace": module, "HelpUri": "",
            "CommandType": PSObject(["System.Management.Automation.CommandTypes", "System.Enum",
                                     "System.ValueType", "System.Object"], "Cmdlet", value=COMMAND_TYPE_CMDLET),
            "ResolvedCommandName": None, "OutputType": [], "Parameters": {}})
