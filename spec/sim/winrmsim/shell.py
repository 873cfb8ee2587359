# SPDX-License-Identifier: MIT
"""WinRS shell plug-in: http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd.

Create/Delete a shell, Command, Send, Receive, Signal (MS-WSMV 3.1.4.11-3.1.4.14), shaped like the real recordings
(shared/captures/windows-pypsrp/test_winrs_*.yml). Commands really run on the simulator's machine:

* a command line runs through /bin/sh (``cmd.exe /c X`` and ``cmd /c X`` run X; a line longer than
  cmd.exe's 8191 characters fails as cmd.exe does: "The command line is too long.", exit code 1). A
  command with rsp:Arguments is read as Windows reads it (cmdline.py): cmd.exe's quoting, carets and
  operators, then the MSVCRT rules split each program's arguments, and /bin/sh gets each of them as
  one literal word, so argument boundaries survive exactly as on Windows. A command sent as one
  rsp:Command without arguments is a /bin/sh command line as it is (``sleep 1; echo $HOME``), a
  convenience for tests. With WINRS_SKIP_CMD_SHELL=True the program runs directly with the argv of
  the MSVCRT rules (a program not found gives the recorded 0x80070002 fault);
* stdout and stderr are read as the process writes them and handed out by Receive as they are
  available (a Receive waits up to its OperationTimeout, then faults w:TimedOut 2150858793 exactly as
  the recording test_winrs_operation_timeout.yml); output is converted from UTF-8 to the shell's
  codepage (WINRS_CODEPAGE, 437 when the client sends none, as on an en-US host);
* Send feeds stdin, Signal ctrl_c sends SIGINT to the process group, ctrl_break SIGTERM, terminate
  kills the group (an interrupted command exits with 0xC000013A, STATUS_CONTROL_C_EXIT, as on Windows);
* ``powershell`` command lines are emulated, not run: the -EncodedCommand is decoded; when it is a
  bootstrap that reads its script from stdin (it opens the console's standard input) the script is
  read from stdin, otherwise the decoded command (or -Command text) is the script. The "script" writes
  its own exact bytes to stdout, so a test sees what arrived. Directive lines in it:
  ``#sim:clixml NAME`` writes data/clixml/NAME.xml to stderr (real PowerShell CLIXML samples),
  ``#sim:exit N`` sets the exit code, ``#sim:sleep S`` waits S seconds before ending;
* quotas: winrm/config/winrs MaxShellsPerUser (the simulator starts with 30, --max-shells-per-user)
  faults 2150859173 w:QuotaLimit; winrm/config/service MaxConcurrentOperationsPerUser (1500) counts
  open shells and commands not yet terminated (a command ends its operation with Signal terminate or
  when its shell is deleted) and faults 2150859174; IdleTimeOut (the shell's, else winrs IdleTimeout)
  and Lifetime delete a shell, after which its ShellId faults 2150858843 "shell was not found".
"""

import base64
import codecs
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import deque
from xml.sax.saxutils import escape

from . import cmdline, ns
from .faults import CATALOG, WSManFault
from .handlers import ResourceHandler
from .soap import epr_inner, parse_duration

SHELL_ROOT = ns.RSP                       # .../windows/shell (registry prefix; Enumerate lists shells)
CMD_URI = ns.RSP + "/cmd"
A_COMMAND, A_SEND, A_RECEIVE, A_SIGNAL = (ns.RSP + "/" + a for a in ("Command", "Send", "Receive", "Signal"))
STATE_DONE = ns.RSP + "/CommandState/Done"
STATE_RUNNING = ns.RSP + "/CommandState/Running"
SIGNAL_PREFIX = ns.RSP + "/signal/"
PS_SIGNAL_PREFIX = "http://schemas.microsoft.com/powershell/signal/"
SHELL_PLUGIN = ("Shell cmd plugin", "%systemroot%\\system32\\winrscmd.dll")
CMD_LINE_MAX = 8191                       # cmd.exe's command-line limit
CTRL_C_EXIT = -1073741510                 # 0xC000013A STATUS_CONTROL_C_EXIT as a signed 32-bit value
LINGER = 0.02                             # s a Receive with output waits for more (or the end)
BUFFER_LIMIT = 1 << 20                    # output read ahead per command before the process is throttled
ENVELOPE_OVERHEAD = 2048                  # envelope, CommandState and End elements around the streams
CLIXML_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "clixml")
_Q = "{%s}" % ns.RSP
_DIRECTIVE = re.compile(r"^\ufeff?[ \t]*#sim:(\w+)[ \t]*(.*?)\s*$", re.M)
_PS_NAMES = ("powershell", "powershell.exe", "pwsh", "pwsh.exe")

CATALOG.update({
    "QUOTA_MAX_SHELLS": (0x803381A5, "Sender", "w:QuotaLimit", None,
                         "The WS-Management service cannot process the request. The maximum number of concurrent "
                         "shells for this user has been exceeded. Close existing shells or raise the quota for "
                         "this user."),
    "QUOTA_MAX_OPERATIONS": (0x803381A6, "Receiver", "w:InternalError", None,
                             "The WS-Management service cannot process the request. The maximum number of "
                             "concurrent operations for this user has been exceeded. Close existing operations for "
                             "this user, or raise the quota for this user."),
    "SHELL_FILE_NOT_FOUND": (0x80070002, "Receiver", "w:InternalError", None,
                             "The system cannot find the file specified."),
    "SHELL_INVALID_PARAMETER": (87, "Sender", "w:InvalidParameter", "InvalidValue", "The parameter is incorrect."),
    "SHELL_DIRECTORY_INVALID": (0x8007010B, "Receiver", "w:InternalError", None, "The directory name is invalid."),
})


class ShellFault(WSManFault):
    """A fault from the shell plug-in: f:Message holds f:ProviderFault with the text (no nested WSManFault),
    as in test_winrs_no_cmd_shell.yml and test_winrs_fail_poll_process.yml."""

    def _wsman_fault(self, machine):
        name, path = SHELL_PLUGIN
        return ('<f:WSManFault xmlns:f="%s" Code="%d" Machine="%s"><f:Message><f:ProviderFault provider="%s" '
                'path="%s">%s </f:ProviderFault></f:Message></f:WSManFault>'
                % (ns.F, self.code, escape(machine, {'"': "&quot;"}), escape(name), escape(path),
                   escape(self.message)))


def shell_not_found(shell_id):
    return WSManFault("UNEXPECTED_SELECTORS",
                      "The request for the Windows Remote Shell with ShellId %s failed because the shell was not "
                      "found on the server. Possible causes are: the specified ShellId is incorrect or the shell no "
                      "longer exists on the server. Provide the correct ShellId or create a new shell and retry the "
                      "operation." % shell_id)


def command_not_found():
    return WSManFault("UNEXPECTED_SELECTORS",
                      "The Windows Remote Shell received a request to perform an operation on a command identifier "
                      "that does not exist. Either the command has completed execution or the client specified an "
                      "invalid command identifier.")


def payload(op, local):
    """The request's body element, which must be rsp:<local> (else the schema fault Windows gives)."""
    body = op.req.payload
    if body is None or body.tag != _Q + local:
        raise WSManFault("SCHEMA_VALIDATION_ERROR")
    return body


def shell_selector(op):
    """The request's ShellId selector (w:InvalidSelectors InsufficientSelectors without one)."""
    for s in op.req.selectors:
        if (s.name or "").lower() == "shellid":
            return (s.value or "").strip()
    raise WSManFault("INSUFFICIENT_SELECTORS")


def duration_text(seconds):
    return "PT%.3fS" % seconds


class Output:
    """Output chunks of one command, filled by reader threads, taken by Receive (thread-safe)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.chunks = deque()        # (stream, bytes)
        self.size = 0
        self.open_streams = 2
        self.exit_code = None
        self.finished = False        # the process ended and both streams are drained from the pipes
        self.stopped = False         # terminated / shell deleted: readers must not wait for room

    def put(self, stream, data):
        with self.cond:
            while self.size > BUFFER_LIMIT and not self.stopped:
                self.cond.wait(0.5)
            if self.stopped:
                return
            if self.chunks and self.chunks[-1][0] == stream and len(self.chunks[-1][1]) < 65536:
                self.chunks[-1] = (stream, self.chunks[-1][1] + data)
            else:
                self.chunks.append((stream, data))
            self.size += len(data)
            self.cond.notify_all()

    def stream_ended(self):
        with self.cond:
            self.open_streams -= 1
            self.cond.notify_all()

    def finish(self, code):
        with self.cond:
            while self.open_streams > 0 and not self.stopped:
                self.cond.wait(0.5)
            self.exit_code = code
            self.finished = True
            self.cond.notify_all()

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def take(self, room, element, timeout):
        """Wait up to timeout s for output or the end, then take what fits in room characters of
        base64 (each element costs element more); -> (chunks, done, exit_code), None on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.chunks and not self.finished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            # a moment for more output or the end (a short command then answers in one reply, as in
            # the recordings; a busy one fills the reply)
            linger = min(time.monotonic() + LINGER, deadline)
            while not self.finished and self.size < room * 3 // 4 and time.monotonic() < linger:
                self.cond.wait(linger - time.monotonic())
            out = []
            while self.chunks:
                stream, data = self.chunks[0]
                fits = (room - element) // 4 * 3
                if fits <= 0:
                    break
                if len(data) <= fits:
                    self.chunks.popleft()
                else:
                    self.chunks[0] = (stream, data[fits:])
                    data = data[:fits]
                out.append((stream, data))
                room -= element + (len(data) + 2) // 3 * 4
                self.size -= len(data)
            self.cond.notify_all()
            done = self.finished and not self.chunks
            return out, done, self.exit_code


class Encoder:
    """UTF-8 bytes from the process -> the shell's codepage (incremental, replacement for the rest)."""

    def __init__(self, codepage):
        self.passthrough = codepage == 65001
        if not self.passthrough:
            self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
            self.codec = "cp%d" % codepage

    def __call__(self, data, final=False):
        if self.passthrough:
            return data
        return self.decoder.decode(data, final).encode(self.codec, "replace")


class Command:
    def __init__(self, shell, line_desc):
        self.id = str(uuid.uuid4()).upper()
        self.shell = shell
        self.desc = line_desc
        self.out = Output()
        self.stdin = deque()
        self.stdin_cond = threading.Condition()
        self.stdin_closed = False
        self.proc = None             # a real process, or None for an emulated one
        self.signalled = None        # signal name sent to an emulated process
        self.terminated = False

    # ---- stdin ------------------------------------------------------------------------------
    def send(self, data, end):
        with self.stdin_cond:
            if self.stdin_closed:
                return
            if data:
                self.stdin.append(data)
            if end:
                self.stdin_closed = True
            self.stdin_cond.notify_all()

    def read_stdin(self):
        """Next stdin piece (emulated process and writer thread); None at end or when stopped."""
        with self.stdin_cond:
            while not self.stdin and not self.stdin_closed and not self.terminated and self.signalled is None:
                self.stdin_cond.wait(0.5)
            if self.stdin:
                return self.stdin.popleft()
            return None

    # ---- a real process ---------------------------------------------------------------------
    def start_process(self, argv, cwd, env):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=cwd, env=env, start_new_session=True, bufsize=0)
        for stream, pipe in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr)):
            threading.Thread(target=self._reader, args=(stream, pipe), daemon=True).start()
        threading.Thread(target=self._writer, daemon=True).start()
        threading.Thread(target=self._waiter, daemon=True).start()

    def _reader(self, stream, pipe):
        enc = Encoder(self.shell.codepage)
        fd = pipe.fileno()
        try:
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                data = enc(data)
                if data:
                    self.out.put(stream, data)
            tail = enc(b"", True)
            if tail:
                self.out.put(stream, tail)
        except OSError:
            pass
        finally:
            pipe.close()
            self.out.stream_ended()

    def _writer(self):
        pipe = self.proc.stdin
        try:
            while True:
                data = self.read_stdin()
                if data is None:
                    break
                pipe.write(data)
        except (OSError, ValueError):
            pass   # the process stopped reading (or ended): unconsumed input is discarded, as on Windows
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    def _waiter(self):
        code = self.proc.wait()
        if code < 0:
            code = CTRL_C_EXIT if -code in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL) else 1
        self.out.finish(code)
        with self.stdin_cond:
            self.stdin_cond.notify_all()

    # ---- an emulated process (powershell) ---------------------------------------------------
    def start_emulated(self, func):
        threading.Thread(target=self._emulate, args=(func,), daemon=True).start()

    def _emulate(self, func):
        code = 0
        try:
            code = func(self)
        except Exception as exc:   # a simulator bug: say so on stderr of the command
            self.out.put("stderr", ("winrm-sim: %s\r\n" % exc).encode("utf-8"))
            code = 1
        finally:
            if self.signalled is not None:
                code = CTRL_C_EXIT
            self.out.stream_ended()
            self.out.stream_ended()
            self.out.finish(code)

    # ---- signals ----------------------------------------------------------------------------
    def signal(self, name):
        if name == "terminate":
            self.kill()
            return
        if self.proc is not None:
            sig = signal.SIGINT if name == "ctrl_c" else signal.SIGTERM
            try:
                os.killpg(self.proc.pid, sig)
            except OSError:
                pass
        else:
            self.signalled = name
            with self.stdin_cond:
                self.stdin_cond.notify_all()

    def kill(self):
        self.terminated = True
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        self.signalled = self.signalled or "terminate"
        self.out.stop()
        with self.stdin_cond:
            self.stdin_cond.notify_all()


class Shell:
    def __init__(self, owner, codepage, env, cwd, idle, lifetime, name, noprofile):
        self.id = str(uuid.uuid4()).upper()
        self.owner = owner
        self.codepage = codepage
        self.env = env                  # [(name, value)] in the order sent
        self.cwd = cwd
        self.idle = idle                # seconds
        self.lifetime = lifetime        # seconds or None
        self.name = name
        self.noprofile = noprofile
        self.created = time.monotonic()
        self.last = self.created
        self.busy = 0                   # Receives in progress (activity)
        self.commands = {}

    def expired(self, now):
        if self.busy:
            return False
        if now - self.last > self.idle:
            return True
        return self.lifetime is not None and now - self.created > self.lifetime

    def xml(self, client_ip="127.0.0.1"):
        parts = ["<rsp:ShellId>%s</rsp:ShellId><rsp:ResourceUri>%s</rsp:ResourceUri><rsp:Owner>%s</rsp:Owner>"
                 "<rsp:ClientIP>%s</rsp:ClientIP>" % (self.id, CMD_URI, escape(self.owner), client_ip)]
        if self.env:
            # Windows echoes a variable name without its backslashes (test_winrs_environment.yml)
            parts.append("<rsp:Environment>%s</rsp:Environment>" % "".join(
                '<rsp:Variable Name="%s">%s</rsp:Variable>' % (escape(n.replace("\\", ""), {'"': "&quot;"}),
                                                                escape(v, {'"': "&quot;"})) for n, v in self.env))
        if self.cwd:
            parts.append("<rsp:WorkingDirectory>%s</rsp:WorkingDirectory>" % escape(self.cwd))
        now = time.monotonic()
        parts.append("<rsp:IdleTimeOut>%s</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>"
                     "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams><rsp:ShellRunTime>%s</rsp:ShellRunTime>"
                     "<rsp:ShellInactivity>%s</rsp:ShellInactivity>"
                     % (duration_text(self.idle), day_duration(now - self.created), day_duration(now - self.last)))
        return "".join(parts)


def day_duration(seconds):
    s = int(seconds)
    return "P%dDT%dH%dM%dS" % (s // 86400, s % 86400 // 3600, s % 3600 // 60, s % 60)


class ShellItem:
    """An Enumerate item of the shell list: anything with ``id`` and ``xml()`` (a WinRS shell, a runspace pool)
    under its resource URI."""

    def __init__(self, shell, uri=CMD_URI):
        self.shell = shell
        self.uri = uri

    def obj(self):
        return '<rsp:Shell xmlns:rsp="%s">%s</rsp:Shell>' % (ns.RSP, self.shell.xml())

    def epr(self):
        return "<a:EndpointReference>%s</a:EndpointReference>" % epr_inner(self.uri, [("ShellId", self.shell.id)])


class ShellHandler(ResourceHandler):
    """The cmd shell plug-in. ``config`` is the winrm/config handler (quotas and defaults are read live)."""

    def __init__(self, config):
        self.config = config
        self.lock = threading.RLock()
        self.shells = {}
        self.psrp = None

    # ---- configuration ----------------------------------------------------------------------
    def _cfg(self, section, key, default):
        try:
            tree = self.config.tree if section is None else self.config.tree[section]
            return int(tree[key])
        except (KeyError, ValueError, TypeError):
            return default

    # ---- bookkeeping ------------------------------------------------------------------------
    def sweep(self):
        now = time.monotonic()
        with self.lock:
            gone = [s for s in self.shells.values() if s.expired(now)]
            for s in gone:
                self._drop(s)

    def _drop(self, shell):
        self.shells.pop(shell.id, None)
        for c in list(shell.commands.values()):
            c.kill()
        shell.commands.clear()

    def open_count(self):
        self.sweep()
        with self.lock:
            return len(self.shells)

    def reset(self):
        with self.lock:
            for s in list(self.shells.values()):
                self._drop(s)

    def _operations(self, user):
        return sum(1 + sum(1 for c in s.commands.values() if not c.terminated)
                   for s in self.shells.values() if s.owner == user)

    def _check_operations(self, user):
        limit = self._cfg("Service", "MaxConcurrentOperationsPerUser", 1500)
        if self._operations(user) >= limit:
            raise WSManFault("QUOTA_MAX_OPERATIONS",
                             "The WS-Management service cannot process the request. This user is allowed a maximum "
                             "number of %d concurrent operations, which has been exceeded. Close existing operations "
                             "for this user, or raise the quota for this user." % limit)

    def _shell(self, op):
        shell_id = shell_selector(op)
        self.sweep()
        with self.lock:
            shell = self.shells.get(shell_id.upper())
            if shell is None or shell.owner != op.user:
                raise shell_not_found(shell_id)
            shell.last = time.monotonic()
            return shell

    @staticmethod
    def _uri_ok(op):
        if op.req.resource_uri.rstrip("/").lower() != CMD_URI.lower():
            raise WSManFault("INVALID_RESOURCE_URI",
                             "The WS-Management service cannot process the request. The resource URI (%s) was not "
                             "found in the WS-Management catalog. The catalog contains the metadata that describes "
                             "resources, or logical endpoints." % op.req.resource_uri, detail="InvalidResourceURI")

    # ---- dispatch ---------------------------------------------------------------------------
    def handle(self, op, finish):
        """Shell actions (Command, Send, Receive, Signal) and Create/Delete with Windows' envelope prefixes."""
        action = op.req.action
        if action == ns.T_CREATE:
            self._uri_ok(op)
            return finish(self.create(op), ns.X + "/CreateResponse", "saxwrp")
        if action == ns.T_DELETE:
            self._uri_ok(op)
            return finish(self.delete(op), ns.X + "/DeleteResponse", "sawp")
        if action == ns.T_GET and op.req.resource_uri.rstrip("/").lower() == SHELL_ROOT.lower():
            return finish(self.get_shell(op), ns.X + "/GetResponse", "saxwp")
        if action in (A_COMMAND, A_SEND, A_RECEIVE, A_SIGNAL):
            self._uri_ok(op)
            if action == A_COMMAND:
                return finish(self.command(op), A_COMMAND + "Response", "saxwrp")
            if action == A_SEND:
                return finish(self.send(op), A_SEND + "Response", "saxwrp")
            if action == A_SIGNAL:
                return finish(self.signal(op), A_SIGNAL + "Response", "saxwrp")
            return finish(self.receive(op), A_RECEIVE + "Response", "sawrp")
        return None

    # ---- Create / Delete --------------------------------------------------------------------
    def create(self, op):
        body = op.req.payload
        if body is None or body.tag != _Q + "Shell":
            raise WSManFault("SCHEMA_VALIDATION_ERROR")
        opts = {k.upper(): v for k, v in op.req.options.items()}
        codepage = 437
        if "WINRS_CODEPAGE" in opts:
            try:
                codepage = int(opts["WINRS_CODEPAGE"].strip())
                if codepage != 65001:
                    codecs.lookup("cp%d" % codepage)
            except (ValueError, LookupError):
                raise WSManFault("INVALID_OPTIONS", "The WS-Management service cannot process the request because "
                                                    "the WINRS_CODEPAGE option value %s is not valid."
                                                    % opts["WINRS_CODEPAGE"])
        noprofile = opts.get("WINRS_NOPROFILE", "").strip().lower() == "true"
        env = [(v.get("Name") or "", v.text or "") for v in body.iter(_Q + "Variable")]
        cwd = (body.findtext(_Q + "WorkingDirectory") or "").strip() or None
        idle = self._cfg("Winrs", "IdleTimeout", 7200000) / 1000.0
        text = body.findtext(_Q + "IdleTimeOut")
        if text is not None:
            secs = parse_duration(text.strip())
            if secs is None or secs <= 0:
                raise WSManFault("INVALID_PARAMETER", "The IdleTimeOut %s is not a valid duration." % text.strip())
            idle = secs
        lifetime = None
        text = body.findtext(_Q + "Lifetime")
        if text is not None:
            lifetime = parse_duration(text.strip())
            if lifetime is None or lifetime <= 0:
                raise WSManFault("INVALID_PARAMETER", "The Lifetime %s is not a valid duration." % text.strip())
        self.sweep()
        with self.lock:
            limit = self._cfg("Winrs", "MaxShellsPerUser", 30)
            mine = sum(1 for s in self.shells.values() if s.owner == op.user)
            if mine >= limit:
                raise WSManFault("QUOTA_MAX_SHELLS",
                                 "The WS-Management service cannot process the request. This user is allowed a "
                                 "maximum number of %d concurrent shells, which has been exceeded. Close existing "
                                 "shells or raise the quota for this user." % limit)
            self._check_operations(op.user)
            shell = Shell(op.user, codepage, env, cwd, idle, lifetime, body.findtext(_Q + "Name"), noprofile)
            self.shells[shell.id] = shell
        return ('<x:ResourceCreated>%s</x:ResourceCreated><rsp:Shell xmlns:rsp="%s">%s</rsp:Shell>'
                % (epr_inner(CMD_URI, [("ShellId", shell.id)], address=op.req.to), ns.RSP, shell.xml()))

    def delete(self, op):
        shell = self._shell(op)
        with self.lock:
            self._drop(shell)
        return ""

    # ---- Command ----------------------------------------------------------------------------
    def command(self, op):
        shell = self._shell(op)
        body = op.req.payload
        if body is None or body.tag != _Q + "CommandLine":
            raise WSManFault("SCHEMA_VALIDATION_ERROR")
        program = (body.findtext(_Q + "Command") or "").strip()
        args = [a.text or "" for a in body.findall(_Q + "Arguments")]
        opts = {k.upper(): v for k, v in op.req.options.items()}
        skip = opts.get("WINRS_SKIP_CMD_SHELL", "").strip().lower() == "true"
        with self.lock:
            self._check_operations(op.user)
        cmd = Command(shell, program)
        cwd = shell.cwd
        if cwd and re.match(r"^[A-Za-z]:[\\/]", cwd) and not os.path.isdir(cwd):
            cwd = None            # a Windows path: the simulator runs in its default directory
        if cwd and not os.path.isdir(cwd):
            raise ShellFault("SHELL_DIRECTORY_INVALID")
        cwd = cwd or os.environ.get("HOME") or os.getcwd()
        if not os.path.isdir(cwd):
            cwd = os.getcwd()
        env = dict(os.environ)
        env.update(shell.env)
        emulated = powershell(program, args, skip)
        if not skip and len(" ".join([program] + args)) > CMD_LINE_MAX:
            cmd.start_emulated(command_line_too_long)   # what cmd.exe answers
        elif emulated is not None:
            cmd.start_emulated(emulated)
        elif skip:
            argv = cmdline.split(" ".join([program] + args))
            exe = argv[0] if not argv or os.sep in argv[0] else shutil.which(argv[0])
            if not exe or not os.access(exe, os.X_OK):
                raise ShellFault("SHELL_FILE_NOT_FOUND")
            cmd.start_process([exe] + argv[1:], cwd, env)
        else:
            line = cmd_line(program, args)
            if not line.strip():
                raise ShellFault("SHELL_INVALID_PARAMETER")
            if body.find(_Q + "Arguments") is not None:
                line = cmdline.to_sh(line)      # read by the Windows rules
            cmd.start_process(["/bin/sh", "-c", line], cwd, env)
        with self.lock:
            if shell.id not in self.shells:      # deleted meanwhile
                cmd.kill()
                raise shell_not_found(shell.id)
            shell.commands[cmd.id] = cmd
        return "<rsp:CommandResponse><rsp:CommandId>%s</rsp:CommandId></rsp:CommandResponse>" % cmd.id

    def _command(self, shell, command_id):
        with self.lock:
            cmd = shell.commands.get((command_id or "").strip().upper())
        if cmd is None or cmd.terminated:
            raise command_not_found()
        return cmd

    # ---- Send -------------------------------------------------------------------------------
    def send(self, op):
        shell = self._shell(op)
        body = op.req.payload
        if body is None or body.tag != _Q + "Send":
            raise WSManFault("SCHEMA_VALIDATION_ERROR")
        for stream in body.findall(_Q + "Stream"):
            if (stream.get("Name") or "stdin") != "stdin":
                raise ShellFault("SHELL_INVALID_PARAMETER")
            cmd = self._command(shell, stream.get("CommandId"))
            try:
                data = base64.b64decode((stream.text or "").encode("ascii"), validate=True)
            except ValueError:
                raise WSManFault("INVALID_XML", "The WS-Management service cannot process the request because the "
                                                "stdin stream is not valid base64.")
            cmd.send(data, (stream.get("End") or "").strip().lower() in ("true", "1"))
        return "<rsp:SendResponse/>"

    # ---- Receive ----------------------------------------------------------------------------
    def receive(self, op):
        shell = self._shell(op)
        body = op.req.payload
        desired = body.find(_Q + "DesiredStream") if body is not None and body.tag == _Q + "Receive" else None
        if desired is None or not desired.get("CommandId"):
            raise ShellFault("SHELL_INVALID_PARAMETER")
        cmd = self._command(shell, desired.get("CommandId"))
        timeout = op.req.timeout if op.req.timeout is not None else 60.0
        timeout = min(timeout, self._cfg(None, "MaxTimeoutms", 60000) / 1000.0)
        # what fits in the envelope: base64 of the data, and each element with its attributes
        room = max(op.req.max_envelope - ENVELOPE_OVERHEAD - 3 * len(cmd.id), 4096)
        element = len('<rsp:Stream Name="stdout" CommandId=""></rsp:Stream>') + len(cmd.id)
        with self.lock:
            shell.busy += 1
        try:
            got = cmd.out.take(room, element, timeout)
        finally:
            with self.lock:
                shell.busy -= 1
                shell.last = time.monotonic()
        if got is None:
            raise WSManFault("OPERATION_TIMEDOUT")
        chunks, done, code = got
        parts = []
        for stream, data in chunks:
            parts.append('<rsp:Stream Name="%s" CommandId="%s">%s</rsp:Stream>'
                         % (stream, cmd.id, base64.b64encode(data).decode("ascii")))
        if done:
            parts.append('<rsp:Stream Name="stdout" CommandId="%s" End="true"></rsp:Stream>'
                         '<rsp:Stream Name="stderr" CommandId="%s" End="true"></rsp:Stream>' % (cmd.id, cmd.id))
            parts.append('<rsp:CommandState CommandId="%s" State="%s"><rsp:ExitCode>%d</rsp:ExitCode>'
                         "</rsp:CommandState>" % (cmd.id, STATE_DONE, code))
        else:
            parts.append('<rsp:CommandState CommandId="%s" State="%s"></rsp:CommandState>' % (cmd.id, STATE_RUNNING))
        return "<rsp:ReceiveResponse>%s</rsp:ReceiveResponse>" % "".join(parts)

    # ---- Signal -----------------------------------------------------------------------------
    def signal(self, op):
        shell = self._shell(op)
        body = op.req.payload
        if body is None or body.tag != _Q + "Signal":
            raise WSManFault("SCHEMA_VALIDATION_ERROR")
        code = (body.findtext(_Q + "Code") or "").strip()
        low = code.lower()
        if low.startswith(SIGNAL_PREFIX.lower()):
            name = low[len(SIGNAL_PREFIX):]
        elif low.startswith(PS_SIGNAL_PREFIX):
            name = low[len(PS_SIGNAL_PREFIX):]
        else:
            name = ""
        if name not in ("terminate", "ctrl_c", "ctrl_break"):
            raise ShellFault("SHELL_INVALID_PARAMETER")
        cmd = self._command(shell, body.get("CommandId"))
        cmd.signal(name)
        if name == "terminate":
            with self.lock:
                shell.commands.pop(cmd.id, None)
        return "<rsp:SignalResponse/>"

    # ---- Get (one shell of the list) ---------------------------------------------------------
    def get_shell(self, op):
        """Get of .../windows/shell with a ShellId selector: that shell (or runspace pool) as the shell list has
        it, with its State (pypsrp's is_alive, test_psrp_is_alive_*.yml); an unknown id faults as recorded."""
        shell_id = shell_selector(op).upper()
        self.sweep()
        with self.lock:
            items = [ShellItem(s) for s in self.shells.values() if s.owner == op.user]
        if self.psrp is not None:
            items.extend(self.psrp.shell_items(op.user))
        for item in items:
            if item.shell.id.upper() == shell_id:
                return item.obj()
        raise WSManFault("UNEXPECTED_SELECTORS")

    # ---- Enumerate (the shell list) ---------------------------------------------------------
    def enumerate(self, op, dialect, filter_elem):
        if op.req.resource_uri.rstrip("/").lower() == (SHELL_ROOT + "/Command").lower() and self.psrp is not None:
            return self.psrp.command_items(op, dialect, filter_elem)   # a pool's pipelines (psrp.py)
        if dialect is not None:
            raise WSManFault("FILTER_DIALECT_UNAVAILABLE")
        self.sweep()
        with self.lock:
            items = [ShellItem(s) for s in self.shells.values() if s.owner == op.user]
        if self.psrp is not None:   # the PowerShell plug-in's runspace pools are shells too (psrp.py)
            items.extend(self.psrp.shell_items(op.user))
        return items


# ---- command lines -----------------------------------------------------------------------------

def cmd_line(program, args):
    """The command line cmd.exe would run (the host joins Command and Arguments with spaces), with
    ``cmd[.exe] /c`` removed."""
    line = " ".join([program] + args)
    m = re.match(r"^\s*\"?(?:[A-Za-z]:\\[^\"]*\\)?cmd(?:\.exe)?\"?\s+/[cCkK]\s?(.*)$", line, re.S)
    if m:
        return m.group(1)
    return line


def _ps_words(program, args):
    """program + args as PowerShell's command line arguments (an argument may hold several words)."""
    words = []
    for a in [program] + args:
        try:
            words.extend(shlex.split(a, posix=False))
        except ValueError:
            words.extend(a.split())
    return words


def powershell(program, args, skip_cmd_shell):
    """A function running the emulated PowerShell for this command line, or None when it is not one."""
    words = _ps_words(program, args)
    if not words:
        return None
    first = words[0].strip('"')
    if first.lower() in ("cmd", "cmd.exe") and len(words) > 2 and words[1].lower() == "/c":
        words = words[2:]
        first = words[0].strip('"')
    base = re.split(r"[\\/]", first)[-1].lower()
    if base not in _PS_NAMES:
        return None
    if skip_cmd_shell and first.lower() in _PS_NAMES:
        return None        # not found without cmd.exe's PATH search (test_winrs_no_cmd_shell.yml)
    encoded, command, from_stdin = None, None, False
    i = 1
    while i < len(words):
        w = words[i]
        lw = w.lower()
        if lw in ("-e", "-ec") or (len(lw) >= 3 and "-encodedcommand".startswith(lw)):
            encoded = words[i + 1] if i + 1 < len(words) else ""
            i += 2
            continue
        if lw in ("-command", "-c"):
            rest = words[i + 1:]
            if rest == ["-"]:
                from_stdin = True
            else:
                command = " ".join(rest)
            break
        if lw == "-":
            from_stdin = True
            break
        if lw in ("-executionpolicy", "-ep", "-inputformat", "-outputformat", "-windowstyle", "-version",
                  "-file", "-configurationname"):
            i += 2
            continue
        if lw.startswith("-"):
            i += 1
            continue
        command = " ".join(words[i:])
        break
    script_text = None
    if encoded is not None:
        try:
            script_text = base64.b64decode(encoded).decode("utf-16-le")
        except (ValueError, UnicodeDecodeError):
            script_text = ""
        if "OpenStandardInput" in script_text:
            from_stdin = True
    elif command is not None:
        script_text = command

    def run(cmd):
        if from_stdin:
            data = bytearray()
            while True:
                piece = cmd.read_stdin()
                if piece is None:
                    break
                data.extend(piece)
            script = bytes(data)
        else:
            script = (script_text or "").encode("utf-8")
        return run_script(cmd, script)
    return run


def command_line_too_long(cmd):
    cmd.out.put("stderr", b"The command line is too long.\r\n")
    return 1


def run_script(cmd, script):
    """The emulated script: writes its own bytes to stdout, obeys #sim: directives. -> exit code."""
    text = script.decode("utf-8", "replace")
    directives = _DIRECTIVE.findall(text)
    enc = Encoder(cmd.shell.codepage)
    if script:
        cmd.out.put("stdout", enc(script, True))
    code = 0
    for name, value in directives:
        if name == "clixml":
            path = os.path.join(CLIXML_DIR, os.path.basename(value) + ".xml")
            with open(path, "rb") as fh:
                data = fh.read()
            cmd.out.put("stderr", data)
            if b'S="Error"' in data:
                code = 1
        elif name == "exit":
            code = int(value)
        elif name == "sleep":
            deadline = time.monotonic() + float(value)
            while time.monotonic() < deadline and cmd.signalled is None:
                time.sleep(0.05)
    return code
