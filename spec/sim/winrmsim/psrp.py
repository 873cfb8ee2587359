# SPDX-License-Identifier: MIT
"""PowerShell Remoting plug-in: http://schemas.microsoft.com/powershell/<configuration> (MS-PSRP over WinRS).

A runspace pool is a shell (Create with creationXml: SESSION_CAPABILITY + INIT_RUNSPACEPOOL; the client's
ShellId is the RunspacePoolId), a pipeline is a command (Command with CommandId = PipelineId and the
CREATE_PIPELINE fragments in rsp:Arguments), input and host responses go in with Send (streams stdin and pr),
everything from the server comes out of Receive (stream stdout; without CommandId for the pool, with it
for a pipeline). Fragments are reassembled per ObjectId in both directions; replies are cut into
fragments that fit the Receive's MaxEnvelopeSize. Disconnect/Reconnect/Connect, Signal
(powershell/signal/crtl_c stops a pipeline, terminate forgets it), the session key exchange, SET_MAX/
MIN_RUNSPACES, GET_AVAILABLE_RUNSPACES, RESET_RUNSPACE_STATE and host calls are implemented from the
specification; what the pipelines run is emulated (psengine.py).
"""

import base64
import itertools
import os
import threading
import time
import uuid
from collections import deque
from xml.sax.saxutils import escape

from . import clixml, ns, psengine, psrawui
from . import psrecords as rec
from . import psrpwire as wire
from .clixml import PSObject, Value
from .faults import CATALOG, WSManFault
from .handlers import ResourceHandler
from .soap import epr_inner
from .shell import (ShellFault, ShellItem, command_not_found, day_duration, payload, shell_not_found,
                    shell_selector)

PS_ROOT = "http://schemas.microsoft.com/powershell"
DEFAULT_CONFIG = "Microsoft.PowerShell"
_Q = "{%s}" % ns.RSP
_PSQ = "{%s}" % PS_ROOT
A = {name: ns.RSP + "/" + name for name in ("Command", "Send", "Receive", "Signal", "Connect", "Disconnect",
                                             "Reconnect")}
STATE_DONE = ns.RSP + "/CommandState/Done"
SIGNAL_STOP = ("powershell/signal/crtl_c", "powershell/signal/ctrl_c")
SIGNAL_TERMINATE = ns.RSP.lower() + "/signal/terminate"
SERVER_VERSION = (2, 3)
LINGER = 0.02                  # s a Receive with output waits for more
ENVELOPE_OVERHEAD = 1600       # envelope and CommandState around the streams
MIN_BLOB = 64                  # smallest fragment blob worth sending in the room that is left
OUTPUT_BUFFER = 4 << 20        # a pipeline's output queued for Receive before the pipeline waits
INPUT_BUFFER = 16 << 20        # a pipeline's input queued before a Send waits for the pipeline
HOST_VOID_CALL = -100          # call id of host methods without a return value
FULL_LANGUAGE = None           # every emulated command, scripts allowed
JEA_DEFAULT = {"JEARole": ("get-service", "get-process", "measure-object", "write-output")}
SESSION_CAPABILITY = ('<Obj RefId="0"><MS><Version N="protocolversion">%s</Version><Version N="PSVersion">2.0'
                      '</Version><Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>')

CATALOG.update({
    "SERVICE_STREAM_DISCONNECTED": (0x803381DE, "Receiver", "w:InternalError", None,
                                    "The WS-Management service cannot process the request because the stream is "
                                    "currently disconnected."),
    "OPERATION_ABORTED": (995, "Receiver", "w:InternalError", None,
                          "The I/O operation has been aborted because of either a thread exit or an application "
                          "request."),
})


def version_text(v):
    return "%d.%d" % v


def parse_version(text, default=SERVER_VERSION):
    try:
        major, minor = (int(x) for x in str(text).strip().split(".")[:2])
        return (major, minor)
    except ValueError:
        return default


class Outbox:
    """Messages one Receive stream (a pool's or a pipeline's) has not delivered yet, as [oid, bytes, offset,
    next fragment id]; ``closed`` once nothing more will come (the pipeline's final state is queued)."""

    def __init__(self, ids, limit=None, cancelled=lambda: False):
        self.ids = ids
        self.cond = threading.Condition()
        self.queue = deque()
        self.size = 0                   # bytes not delivered yet
        self.limit = limit              # a producer waits while more than this is queued (flat memory)
        self.cancelled = cancelled
        self.closed = False
        self.delivered_end = False

    def put(self, data):
        with self.cond:
            while self.limit is not None and self.size > self.limit and not self.cancelled():
                self.cond.wait(0.5)
            self.queue.append([next(self.ids), data, 0, 0])
            self.size += len(data)
            self.cond.notify_all()

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wake(self):
        with self.cond:
            self.cond.notify_all()

    def take(self, room, element, timeout, cancelled):
        """Fragments that fit in room characters of base64 (each element costs element more); waits up to
        timeout s. -> (list of fragment bytes, ended) or None on timeout or when cancelled() says so."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.queue and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0 or cancelled():
                    return None
                self.cond.wait(min(left, 0.5))
            linger = min(time.monotonic() + LINGER, deadline)
            while not self.closed and time.monotonic() < linger:
                self.cond.wait(linger - time.monotonic())
            out = []
            while self.queue:
                fits = (room - element) // 4 * 3 - wire.FRAGMENT_HEADER
                entry = self.queue[0]
                oid, data, offset, fid = entry
                if fits < MIN_BLOB and out:
                    break
                blob = data[offset:offset + max(fits, MIN_BLOB)]
                end = offset + len(blob) >= len(data)
                out.append(wire.Fragment(oid, fid, offset == 0, end, blob).pack())
                self.size -= len(blob)
                room -= element + (len(blob) + wire.FRAGMENT_HEADER + 2) // 3 * 4
                if end:
                    self.queue.popleft()
                else:
                    entry[2] += len(blob)
                    entry[3] += 1
                    break
            ended = self.closed and not self.queue
            if ended:
                self.delivered_end = True
            self.cond.notify_all()      # room for a waiting producer
            return out, ended


class HostChannel:
    """Host method calls through one stream (a pipeline's, or the pool's for pipelines that use the
    runspace host): call ids, and the responses waited for."""

    def __init__(self, send):
        self.send = send
        self.cond = threading.Condition()
        self.results = {}
        self.ids = itertools.count(1)

    def call(self, method, params, void=False, cancelled=lambda: False):
        if void:
            self.send(rec.host_call(HOST_VOID_CALL, method, params))
            return None
        ci = next(self.ids)
        self.send(rec.host_call(ci, method, params))
        with self.cond:
            while ci not in self.results:
                if cancelled():
                    raise psengine.Stopped()
                self.cond.wait(0.5)
            return self.results.pop(ci)

    def answer(self, body):
        with self.cond:
            self.results[int(clixml.plain(body.get("ci")))] = body
            self.cond.notify_all()


class Pool:
    def __init__(self, handler, shell_id, owner, config, uri, client_ip):
        self.handler = handler
        self.id = shell_id
        self.owner = owner
        self.user_name = owner
        self.machine = getattr(handler, "computer_name", "WINRM-SIM")
        self.config = config
        self.uri = uri
        self.client_ip = client_ip
        self.commands = handler.configs[config.lower()]
        self.no_language = self.commands is not FULL_LANGUAGE
        self.store = handler.store
        self.sandbox = handler.sandbox(owner)
        self.ids = itertools.count(1)
        self.out = Outbox(self.ids)
        self.defrag = wire.Defragmenter()
        self.pipelines = {}
        self.version = handler.version
        self.min_runspaces = 1
        self.max_runspaces = 1
        self.app_args = None
        self.session_key = None
        self.key_ready = threading.Event()             # set once the client's PUBLIC_KEY was answered
        self.key_requested = False
        self.has_host = False
        self.raw_ui = None                             # HostDefaultData of the pool's host (psrawui.py)
        self.host = HostChannel(lambda body: self.send("RUNSPACEPOOL_HOST_CALL", body))
        self.variables = dict(psengine.PREFERENCES)    # the runspace's variables (RESET_RUNSPACE_STATE clears)
        self.history = []                              # (id, command line, state, start, end) for Get-History
        self.disconnected = False
        self.closed = False
        self.created = time.monotonic()
        self.last = self.created
        self.process_id = 4000 + (hash(shell_id) & 0xFFF)

    # -- outgoing --------------------------------------------------------------------------------
    def message(self, mtype, body, pid=wire.NULL_GUID, rpid=None):
        data = body if isinstance(body, bytes) else clixml.dumps(body).encode("utf-8")
        return wire.Message(wire.TO_CLIENT, wire.MT[mtype], self.id if rpid is None else rpid, pid,
                            wire.BOM + data).pack()

    def send(self, mtype, body):
        self.out.put(self.message(mtype, body))

    # -- incoming pool messages ------------------------------------------------------------------
    def receive_messages(self, blobs):
        for blob in blobs:
            msg = wire.Message.unpack(blob)
            self.on_message(msg)

    def on_message(self, msg):
        name = msg.name
        if name == "SESSION_CAPABILITY":
            found = clixml.loads(msg.data)
            client = parse_version(clixml.plain(found.get("protocolversion")) if found else "2.3")
            self.version = min(client, self.handler.version)
        elif name == "INIT_RUNSPACEPOOL":
            body = clixml.loads(msg.data)
            self.min_runspaces = int(clixml.plain(body.get("MinRunspaces")) or 1)
            self.max_runspaces = int(clixml.plain(body.get("MaxRunspaces")) or 1)
            self.app_args = body.get("ApplicationArguments")
            host = body.get("HostInfo")
            self.has_host = isinstance(host, PSObject) and host.get("_isHostNull") is False
            self.raw_ui = psrawui.default_data(host)
        elif name == "PUBLIC_KEY":
            self.exchange_key(msg)
        elif name in ("SET_MAX_RUNSPACES", "SET_MIN_RUNSPACES"):
            self.set_runspaces(name, clixml.loads(msg.data))
        elif name == "GET_AVAILABLE_RUNSPACES":
            body = clixml.loads(msg.data)
            busy = sum(1 for p in self.pipelines.values() if not p.finished)
            self.send("RUNSPACE_AVAILABILITY", PSObject(extended={
                "SetMinMaxRunspacesResponse": Value("I64", max(self.max_runspaces - busy, 0)),
                "ci": body.get("ci")}))
        elif name == "RESET_RUNSPACE_STATE":
            body = clixml.loads(msg.data)
            self.variables.clear()
            self.variables.update(psengine.PREFERENCES)
            del self.history[:]
            self.send("RUNSPACE_AVAILABILITY", PSObject(extended={"SetMinMaxRunspacesResponse": True,
                                                                   "ci": body.get("ci")}))
        elif name == "CONNECT_RUNSPACEPOOL":
            pass
        elif name == "RUNSPACEPOOL_HOST_RESPONSE":
            self.host.answer(clixml.loads(msg.data))

    def opened(self):
        """The replies to SESSION_CAPABILITY + INIT_RUNSPACEPOOL (2.3.2)."""
        # the host states its own version (MS-PSRP 3.1.4.1; the 2.1 and 2.2 recordings come from older hosts)
        self.out.put(wire.Message(wire.TO_CLIENT, wire.MT["SESSION_CAPABILITY"], wire.NULL_GUID, wire.NULL_GUID,
                                  wire.BOM + (SESSION_CAPABILITY % version_text(self.handler.version)).encode())
                     .pack())
        self.send("APPLICATION_PRIVATE_DATA", PSObject(extended={"ApplicationPrivateData": private_data(self)}))
        self.send("RUNSPACEPOOL_STATE", rec.pool_state(rec.POOL_OPENED))

    def exchange_key(self, msg):
        body = clixml.loads(msg.data)
        try:
            public = base64.b64decode(str(clixml.plain(body.get("PublicKey"))))
            key = os.urandom(wire.SESSION_KEY_BYTES)
            self.send("ENCRYPTED_SESSION_KEY", wire.encrypted_session_key_clixml(public, key))
            self.session_key = key
            self.key_ready.set()
        except (ValueError, wire.WireError) as exc:
            self.send("RUNSPACEPOOL_STATE", rec.pool_state(rec.POOL_BROKEN, rec.error_record(
                "The public key the client sent is not valid: %s" % exc, "System.ArgumentException",
                category="InvalidArgument", activity="", fqid="PSRemotingDataStructureException",
                write_stream=False)))

    def set_runspaces(self, name, body):
        value = int(clixml.plain(body.get("MaxRunspaces" if name == "SET_MAX_RUNSPACES" else "MinRunspaces")))
        ok = value >= 1
        if name == "SET_MAX_RUNSPACES":
            ok = ok and value >= self.min_runspaces
            if ok:
                self.max_runspaces = value
        else:
            ok = ok and value <= self.max_runspaces
            if ok:
                self.min_runspaces = value
        self.send("RUNSPACE_AVAILABILITY", PSObject(extended={"SetMinMaxRunspacesResponse": ok,
                                                               "ci": body.get("ci")}))

    # -- lifetime --------------------------------------------------------------------------------
    def close(self):
        self.closed = True
        for p in list(self.pipelines.values()):
            p.stop()
        self.out.close()

    def xml(self, state=None):
        now = time.monotonic()
        return ("<rsp:ShellId>%s</rsp:ShellId><rsp:ResourceUri>%s</rsp:ResourceUri><rsp:Owner>%s</rsp:Owner>"
                "<rsp:ClientIP>%s</rsp:ClientIP><rsp:ProcessId>%d</rsp:ProcessId><rsp:IdleTimeOut>PT7200.000S"
                "</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout"
                "</rsp:OutputStreams><rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut><rsp:Locale>en-US"
                "</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale><rsp:CompressionMode>NoCompression"
                "</rsp:CompressionMode><rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8"
                "</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode><rsp:State>%s</rsp:State><rsp:ShellRunTime>"
                "%s</rsp:ShellRunTime><rsp:ShellInactivity>%s</rsp:ShellInactivity>"
                % (self.id, escape(self.uri), escape(self.owner), self.client_ip, self.process_id,
                   state or ("Disconnected" if self.disconnected else "Connected"),
                   day_duration(now - self.created), day_duration(now - self.last)))


def private_data(pool):
    table = {"PSVersion": Value("Version", "5.1.17763.1"), "PSEdition": "Desktop",
             "PSCompatibleVersions": PSObject(["System.Version[]", "System.Array", "System.Object"], value=[
                 Value("Version", v) for v in ("1.0", "2.0", "3.0", "4.0", "5.0", "5.1.17763.1")]),
             "CLRVersion": Value("Version", "4.0.30319.42000"), "BuildVersion": Value("Version", "10.0.17763.1"),
             "WSManStackVersion": Value("Version", "3.0"),
             "PSRemotingProtocolVersion": Value("Version", version_text(pool.version)),
             "SerializationVersion": Value("Version", "1.1.0.1")}
    tn = ["System.Management.Automation.PSPrimitiveDictionary", "System.Collections.Hashtable", "System.Object"]
    return PSObject(tn, value={"PSVersionTable": PSObject(tn, value=table)})


class Pipeline:
    def __init__(self, pool, command_id):
        self.pool = pool
        self.id = command_id
        self.version = pool.version
        self.stopping = threading.Event()
        self.out = Outbox(pool.ids, OUTPUT_BUFFER, lambda: self.stopping.is_set() or pool.closed)
        self.defrag = wire.Defragmenter()
        self.cond = threading.Condition()
        self.inputs = deque()
        self.input_size = 0             # bytes of PIPELINE_INPUT not taken by the pipeline yet
        self.input_ended = False
        self.no_input = True
        self.has_host = False
        self.raw_ui = None
        self.own_host = HostChannel(lambda body: self.emit("PIPELINE_HOST_CALL", body))
        self.host = self.own_host
        self.started = False
        self.finished = False
        self.merged = set()
        self.add_to_history = False

    # -- the engine's interface ------------------------------------------------------------------
    def emit(self, mtype, obj):
        if mtype in self.merged:      # a stream merged into the output (MergeMyResult / MergeError ...)
            if mtype == "INFORMATION_RECORD":
                obj = PSObject(["System.Management.Automation.InformationRecord", "System.Object"],
                               str(clixml.plain(obj.get("MessageData"))), props=obj.extended)
            mtype = "PIPELINE_OUTPUT"
        self.out.put(self.pool.message(mtype, obj, pid=self.id))

    def input(self):
        if self.no_input:
            return
        while True:
            with self.cond:
                while not self.inputs and not self.input_ended and not self.stopping.is_set():
                    self.cond.wait(0.5)
                if self.stopping.is_set():
                    raise psengine.Stopped()
                if not self.inputs:
                    return
                item, size = self.inputs.popleft()
                self.input_size -= size
                self.cond.notify_all()
            yield item

    def host_void(self, method, params):
        self.host.call(method, params, void=True)

    def host_call(self, method, params):
        result = self.host.call(method, params, cancelled=self.stopping.is_set)
        error = result.get("me") if isinstance(result, PSObject) else None
        if error is not None:
            raise psengine.Terminate(error if isinstance(error, PSObject) and error.to_string else
                                     rec.runtime_error("The host method %s failed." % method))
        return result.get("mr") if isinstance(result, PSObject) else None

    def session_key(self):
        """The pool's session key; without one, ask the client for its public key (PUBLIC_KEY_REQUEST on
        the pool's stream, MS-PSRP 3.1.4.6) and wait for the exchange."""
        pool = self.pool
        with pool.handler.lock:
            ask = pool.session_key is None and not pool.key_requested
            pool.key_requested = pool.key_requested or ask
        if ask:
            pool.send("PUBLIC_KEY_REQUEST", "")
        while not pool.key_ready.wait(0.5):
            if self.stopping.is_set() or pool.closed:
                raise psengine.Stopped()
        return pool.session_key

    def sleep(self, seconds):
        if self.stopping.wait(seconds):
            raise psengine.Stopped()

    # -- incoming --------------------------------------------------------------------------------
    def receive_blobs(self, blobs):
        for blob in blobs:
            msg = wire.Message.unpack(blob)
            name = msg.name
            if name == "CREATE_PIPELINE":
                self.start(clixml.loads(msg.data))
            elif name == "GET_COMMAND_METADATA":
                self.start_metadata(clixml.loads(msg.data))
            elif name == "PIPELINE_INPUT":
                value = clixml.loads(msg.data)
                # a SecureString stays one (ConvertFrom-SecureString needs to know)
                value = value if isinstance(value, Value) and value.tag == "SS" else clixml.plain(value)
                with self.cond:
                    # the Send waits while the pipeline is behind (flat memory for large input)
                    while self.input_size > INPUT_BUFFER and self.started and not self.finished \
                            and not self.stopping.is_set():
                        self.cond.wait(0.5)
                    self.inputs.append((value, len(msg.data)))
                    self.input_size += len(msg.data)
                    self.cond.notify_all()
            elif name == "END_OF_PIPELINE_INPUT":
                with self.cond:
                    self.input_ended = True
                    self.cond.notify_all()
            elif name == "PIPELINE_HOST_RESPONSE":
                self.own_host.answer(clixml.loads(msg.data))
            else:
                self.pool.on_message(msg)

    # -- running ---------------------------------------------------------------------------------
    def start(self, body):
        self.no_input = bool(clixml.plain(body.get("NoInput")))
        host = body.get("HostInfo")
        if isinstance(host, PSObject) and host.get("_useRunspaceHost") is True:
            self.host = self.pool.host           # the pool's host: RUNSPACEPOOL_HOST_CALL (MS-PSRP 2.2.3.14)
            self.has_host = self.pool.has_host
            self.raw_ui = self.pool.raw_ui
        else:
            self.has_host = isinstance(host, PSObject) and host.get("_isHostNull") is False
            self.raw_ui = psrawui.default_data(host)
        self.add_to_history = clixml.plain(body.get("AddToHistory")) is True
        shell = body.get("PowerShell")
        statements = [(commands_of(shell), merged_streams(shell))]
        extra = shell.get("ExtraCmds") if isinstance(shell, PSObject) else None
        if isinstance(extra, PSObject) and extra.value:   # all statements (Cmds repeats the first)
            statements = [(commands_of(s), merged_streams(s)) for s in extra.value]
        self.started = True
        threading.Thread(target=self.run, args=(statements,), daemon=True).start()

    def start_metadata(self, body):
        """A Get-Command pipeline (GET_COMMAND_METADATA instead of CREATE_PIPELINE)."""
        def texts(v):
            v = clixml.plain(v)
            return [str(x) for x in (v if isinstance(v, list) else [v])] if v is not None else []
        self.started = True
        results = psengine.command_metadata(self.pool, texts(body.get("Name")),
                                            int(clixml.plain(body.get("CommandType")) or 0),
                                            texts(body.get("Namespace")))
        threading.Thread(target=self.run, args=([],), kwargs={"results": results}, daemon=True).start()

    def run(self, statements, results=None):
        runner = psengine.Runner(self)
        state, error = rec.PIPELINE_COMPLETED, None
        started = rec.now_text()
        try:
            for obj in results or ():
                self.emit("PIPELINE_OUTPUT", obj)
            error = runner.run(statements)
            if error is not None:
                state = rec.PIPELINE_FAILED
        except psengine.Stopped:
            state, error = rec.PIPELINE_STOPPED, rec.error_record(
                "The pipeline has been stopped.", "System.Management.Automation.PipelineStoppedException",
                ["System.Management.Automation.RuntimeException"], category="OperationStopped", activity="",
                reason="PipelineStoppedException", fqid="PipelineStopped", write_stream=False)
        except Exception as exc:   # a simulator bug: fail the pipeline and say so
            import traceback
            traceback.print_exc()
            state, error = rec.PIPELINE_FAILED, rec.runtime_error("winrm-sim PSRP emulation error: %s" % exc)
        self.finished = True
        if self.add_to_history:
            line = "; ".join(" | ".join(cmd_line(c) for c in cmds) for cmds, _ in statements)
            self.pool.history.append((len(self.pool.history) + 1, line, state, started, rec.now_text()))
        self.emit("PIPELINE_STATE", rec.pipeline_state(state, error))
        self.out.close()

    def stop(self):
        self.stopping.set()
        with self.cond:
            self.cond.notify_all()
        for channel in (self.own_host, self.host):
            with channel.cond:
                channel.cond.notify_all()
        self.out.wake()


# PipelineResultTypes (2.2.3.31) -> the record message merged into the output
RESULT_STREAMS = {2: "ERROR_RECORD", 3: "WARNING_RECORD", 4: "VERBOSE_RECORD", 5: "DEBUG_RECORD",
                  6: "INFORMATION_RECORD"}
RESULT_OUTPUT, RESULT_ALL = 1, 7
MERGE_FIELDS = {"MergeError": "ERROR_RECORD", "MergeWarning": "WARNING_RECORD", "MergeVerbose": "VERBOSE_RECORD",
                "MergeDebug": "DEBUG_RECORD", "MergeInformation": "INFORMATION_RECORD"}


def merged_streams(shell):
    """The record types the commands of a statement merge into the output stream."""
    merged = set()
    cmds = shell.get("Cmds") if isinstance(shell, PSObject) else None
    for c in (cmds.value if isinstance(cmds, PSObject) and cmds.value else []):
        mine, to = clixml.plain(c.get("MergeMyResult")), clixml.plain(c.get("MergeToResult"))
        if to == RESULT_OUTPUT and mine == RESULT_ALL:
            merged.update(RESULT_STREAMS.values())
        elif to == RESULT_OUTPUT and mine in RESULT_STREAMS:
            merged.add(RESULT_STREAMS[mine])
        for field, stream in MERGE_FIELDS.items():
            if clixml.plain(c.get(field)) == RESULT_OUTPUT:
                merged.add(stream)
    return merged


def cmd_line(command):
    """A command as the history shows it: the script text, or the command with its arguments."""
    text, is_script, args = command
    if is_script:
        return text
    return " ".join([text] + ["%s%s" % ("-%s " % n if n else "", v) for n, v in args])


def commands_of(shell):
    """A PowerShell (or ExtraCmds statement) object -> [(command text, is_script, [(param, value)])]."""
    cmds = shell.get("Cmds") if isinstance(shell, PSObject) else None
    out = []
    for c in (cmds.value if isinstance(cmds, PSObject) and cmds.value else []):
        args_obj = c.get("Args")
        args = []
        for a in (args_obj.value if isinstance(args_obj, PSObject) and args_obj.value else []):
            name = clixml.plain(a.get("N"))
            args.append((name.lstrip("-") if isinstance(name, str) else None, clixml.plain(a.get("V"))))
        out.append((str(clixml.plain(c.get("Cmd"))), bool(clixml.plain(c.get("IsScript"))), args))
    return out


class PsrpHandler(ResourceHandler):
    """Runspace pools of every user, keyed by ShellId."""

    def __init__(self, store, sandbox_root, configs=None, version=SERVER_VERSION):
        self.store = store
        self.version = version          # the host's PSRP protocol version (--ps-protocol)
        self.sandbox_root = sandbox_root
        self.configs = {"microsoft.powershell": FULL_LANGUAGE, "microsoft.powershell32": FULL_LANGUAGE}
        for name, cmds in dict(JEA_DEFAULT, **(configs or {})).items():
            self.configs[name.lower()] = tuple(c.lower() for c in cmds)
        self.lock = threading.RLock()
        self.pools = {}
        self.boxes = {}

    def sandbox(self, user):
        from .pstransfer import Sandbox
        with self.lock:
            if user not in self.boxes:
                self.boxes[user] = Sandbox(self.sandbox_root, user, getattr(self, "computer_name", "WINRM-SIM"))
            return self.boxes[user]

    def reset(self):
        with self.lock:
            for p in list(self.pools.values()):
                p.close()
            self.pools.clear()

    def open_count(self):
        with self.lock:
            return len(self.pools)

    # ---- lookups -----------------------------------------------------------------------------
    def _pool(self, op, allow_disconnected=False):
        shell_id = shell_selector(op)
        with self.lock:
            pool = self.pools.get(shell_id.upper())
        if pool is None or pool.owner != op.user:
            raise shell_not_found(shell_id)
        if pool.disconnected and not allow_disconnected:
            raise WSManFault("SERVICE_STREAM_DISCONNECTED")
        pool.last = time.monotonic()
        return pool

    def config_of(self, uri):
        name = uri.rstrip("/")[len(PS_ROOT) + 1:]
        if "/" in name or name.lower() not in self.configs:
            raise WSManFault("INVALID_RESOURCE_URI",
                             "The WS-Management service cannot process the request. Cannot find the %s session "
                             "configuration in the WSMan: drive on the WINRM-SIM computer." % (name or uri),
                             detail="InvalidResourceURI")
        return name

    # ---- dispatch ----------------------------------------------------------------------------
    def handle(self, op, finish):
        action = op.req.action
        if action == ns.T_CREATE:
            return finish(self.create(op), ns.X + "/CreateResponse", "saxwrp")
        if action == ns.T_DELETE:
            return finish(self.delete(op), ns.X + "/DeleteResponse", "sawp")
        handlers = {A["Command"]: (self.command, "saxwrp"), A["Send"]: (self.send, "saxwrp"),
                    A["Receive"]: (self.receive, "sawrp"), A["Signal"]: (self.signal, "saxwrp"),
                    A["Connect"]: (self.connect, "saxwrp"), A["Disconnect"]: (self.disconnect, "sawp"),
                    A["Reconnect"]: (self.reconnect, "sawp")}
        if action in handlers:
            func, prefixes = handlers[action]
            return finish(func(op), action + "Response", prefixes)
        return None

    # ---- Create / Delete ---------------------------------------------------------------------
    def create(self, op):
        config = self.config_of(op.req.resource_uri)
        body = payload(op, "Shell")
        creation = body.find(_PSQ + "creationXml")
        if creation is None or not (creation.text or "").strip():
            raise ShellFault("SHELL_INVALID_PARAMETER")
        shell_id = (body.get("ShellId") or "").strip().upper() or str(uuid.uuid4()).upper()
        pool = Pool(self, shell_id, op.user, config, op.req.resource_uri.rstrip("/"), "127.0.0.1")
        opts = {k.lower(): v for k, v in op.req.options.items()}
        if "protocolversion" in opts:
            pool.version = min(parse_version(opts["protocolversion"]), self.version)
        with self.lock:
            if shell_id in self.pools:
                raise WSManFault("ALREADY_EXISTS", "The WS-Management service cannot create the resource because "
                                                   "it already exists.")
            self.pools[shell_id] = pool
        pool.receive_messages(self._defrag(pool.defrag, creation.text))
        pool.opened()
        return ('<x:ResourceCreated><a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s'
                '</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>'
                '</a:ReferenceParameters></x:ResourceCreated><rsp:Shell xmlns:rsp="%s">%s</rsp:Shell>'
                % (escape(op.endpoint or ""), escape(pool.uri), pool.id, ns.RSP, pool.xml()))

    @staticmethod
    def _defrag(defrag, text):
        try:
            return defrag.feed(wire.unpack_fragments(base64.b64decode((text or "").strip())))
        except (ValueError, wire.WireError) as exc:
            raise WSManFault("INVALID_XML", "The WS-Management service cannot process the request because the "
                                            "PSRP data is not valid: %s" % exc)

    def delete(self, op):
        pool = self._pool(op, allow_disconnected=True)
        with self.lock:
            self.pools.pop(pool.id, None)
        pool.close()
        return ""

    # ---- Command / Send ----------------------------------------------------------------------
    def command(self, op):
        pool = self._pool(op)
        body = payload(op, "CommandLine")
        cid = (body.get("CommandId") or "").strip().upper() or str(uuid.uuid4()).upper()
        pipe = Pipeline(pool, cid)
        with self.lock:
            pool.pipelines[cid] = pipe
        pipe.receive_blobs(self._defrag(pipe.defrag, body.findtext(_Q + "Arguments")))
        return "<rsp:CommandResponse><rsp:CommandId>%s</rsp:CommandId></rsp:CommandResponse>" % cid

    def send(self, op):
        pool = self._pool(op)
        body = payload(op, "Send")
        for stream in body.findall(_Q + "Stream"):
            cid = (stream.get("CommandId") or "").strip().upper()
            if cid:
                pipe = pool.pipelines.get(cid)
                if pipe is None:
                    raise command_not_found()
                pipe.receive_blobs(self._defrag(pipe.defrag, stream.text))
            else:
                pool.receive_messages(self._defrag(pool.defrag, stream.text))
        return "<rsp:SendResponse/>"

    # ---- Receive -----------------------------------------------------------------------------
    def receive(self, op):
        pool = self._pool(op)
        body = op.req.payload
        desired = body.find(_Q + "DesiredStream") if body is not None and body.tag == _Q + "Receive" else None
        cid = ((desired.get("CommandId") if desired is not None else None) or "").strip().upper()
        source = pool.out
        if cid:
            pipe = pool.pipelines.get(cid)
            if pipe is None:
                raise command_not_found()
            source = pipe.out
        timeout = op.req.timeout if op.req.timeout is not None else 60.0
        attr = ' CommandId="%s"' % cid if cid else ""
        element = len('<rsp:Stream Name="stdout"></rsp:Stream>') + len(attr)
        room = max(op.req.max_envelope - ENVELOPE_OVERHEAD, 1024)
        got = source.take(room, element, timeout, lambda: pool.closed or pool.disconnected)
        if got is None:
            if pool.disconnected or pool.closed:
                raise WSManFault("OPERATION_ABORTED")
            raise WSManFault("OPERATION_TIMEDOUT")
        frags, ended = got
        parts = ['<rsp:Stream Name="stdout"%s>%s</rsp:Stream>' % (attr, base64.b64encode(f).decode("ascii"))
                 for f in frags]
        if cid and ended:
            parts.append('<rsp:CommandState CommandId="%s" State="%s"><rsp:ExitCode>0</rsp:ExitCode>'
                         '</rsp:CommandState>' % (cid, STATE_DONE))
        return "<rsp:ReceiveResponse>%s</rsp:ReceiveResponse>" % "".join(parts)

    # ---- Signal ------------------------------------------------------------------------------
    def signal(self, op):
        pool = self._pool(op)
        body = payload(op, "Signal")
        code = (body.findtext(_Q + "Code") or "").strip().lower()
        cid = (body.get("CommandId") or "").strip().upper()
        pipe = pool.pipelines.get(cid)
        if pipe is None:
            raise command_not_found()
        if code in SIGNAL_STOP:
            pipe.stop()
        elif code == SIGNAL_TERMINATE:
            pipe.stop()
            with self.lock:
                pool.pipelines.pop(cid, None)
        else:
            raise ShellFault("SHELL_INVALID_PARAMETER")
        return "<rsp:SignalResponse/>"

    # ---- Disconnect / Reconnect / Connect ----------------------------------------------------
    def disconnect(self, op):
        pool = self._pool(op)
        pool.disconnected = True
        pool.out.wake()
        for p in pool.pipelines.values():
            p.out.wake()
        return ""

    def reconnect(self, op):
        pool = self._pool(op, allow_disconnected=True)
        pool.disconnected = False
        return ""

    def connect(self, op):
        pool = self._pool(op, allow_disconnected=True)
        body = payload(op, "Connect")
        cid = (body.get("CommandId") or "").strip().upper()
        if cid:      # a pipeline's output again, after the pool's Connect (test_psrp_disconnected_commands.yml)
            if cid not in pool.pipelines:
                raise command_not_found()
            return "<rsp:ConnectResponse/>"
        xml = body.find(_PSQ + "connectXml")
        if xml is None:
            raise WSManFault("SCHEMA_VALIDATION_ERROR")
        defrag = wire.Defragmenter()
        for blob in self._defrag(defrag, xml.text):
            msg = wire.Message.unpack(blob)
            if msg.name == "SESSION_CAPABILITY":
                pool.on_message(msg)
        pool.disconnected = False
        ids = itertools.count(1)
        reply = wire.Message(wire.TO_CLIENT, wire.MT["SESSION_CAPABILITY"], pool.id, wire.NULL_GUID,
                             wire.BOM + (SESSION_CAPABILITY % version_text(self.version)).encode()).pack()
        init = pool.message("RUNSPACEPOOL_INIT_DATA", PSObject(extended={"MinRunspaces": pool.min_runspaces,
                                                                          "MaxRunspaces": pool.max_runspaces}))
        data = b"".join(wire.Fragment(next(ids), 0, True, True, m).pack() for m in (reply, init))
        # MS-PSRP 3.1.4.10: APPLICATION_PRIVATE_DATA follows on the pool's output
        pool.send("APPLICATION_PRIVATE_DATA", PSObject(extended={"ApplicationPrivateData": private_data(pool)}))
        return ('<rsp:ConnectResponse><rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout'
                '</rsp:OutputStreams><connectResponseXml xmlns="%s">%s</connectResponseXml></rsp:ConnectResponse>'
                % (PS_ROOT, base64.b64encode(data).decode("ascii")))

    # ---- the shell list (Enumerate of .../windows/shell, shell.py asks) ------------------------
    def shell_items(self, user):
        with self.lock:
            return [ShellItem(p, p.uri) for p in self.pools.values() if p.owner == user]

    def command_items(self, op, dialect, filter_elem):
        """Enumerate of .../windows/shell/Command with a SelectorFilter on ShellId: the pool's pipelines that
        have not finished (test_psrp_disconnected_commands.yml)."""
        if dialect != ns.SELECTOR_FILTER:
            raise WSManFault("FILTER_DIALECT_UNAVAILABLE")
        shell_id = ""
        for sel in filter_elem.iter("{%s}Selector" % ns.W):
            if (sel.get("Name") or "").lower() == "shellid":
                shell_id = (sel.text or "").strip().upper()
        with self.lock:
            pool = self.pools.get(shell_id)
        if pool is None or pool.owner != op.user:
            return []
        return [CommandItem(p) for p in list(pool.pipelines.values()) if not p.out.delivered_end]


class CommandItem:
    def __init__(self, pipe):
        self.pipe = pipe

    def obj(self):
        return ('<rsp:Command xmlns:rsp="%s"><rsp:CommandId>%s</rsp:CommandId><rsp:CommandLine></rsp:CommandLine>'
                '<rsp:CommandState>Running</rsp:CommandState></rsp:Command>' % (ns.RSP, self.pipe.id))

    def epr(self):
        return "<a:EndpointReference>%s</a:EndpointReference>" % epr_inner(
            ns.RSP + "/Command", [("ShellId", self.pipe.pool.id), ("CommandId", self.pipe.id)])
