# SPDX-License-Identifier: MIT
"""A minimal PowerShell Remoting client for the simulator's tests (test code: it shares nothing with the
simulator's winrmsim package nor with lua-wsman's client). Fragments, message headers and CLIXML are
written here from MS-PSRP with struct and string templates; replies are read with ElementTree."""

import base64
import http.client
import re
import struct
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from simtest import envelope

RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
PSH = "http://schemas.microsoft.com/powershell"
URI = PSH + "/Microsoft.PowerShell"
T = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
TYPES = {
    "SESSION_CAPABILITY": 0x00010002, "INIT_RUNSPACEPOOL": 0x00010004, "PUBLIC_KEY": 0x00010005,
    "ENCRYPTED_SESSION_KEY": 0x00010006, "PUBLIC_KEY_REQUEST": 0x00010007, "CONNECT_RUNSPACEPOOL": 0x00010008,
    "RUNSPACEPOOL_INIT_DATA": 0x0002100B, "RESET_RUNSPACE_STATE": 0x0002100C, "SET_MAX_RUNSPACES": 0x00021002,
    "SET_MIN_RUNSPACES": 0x00021003, "RUNSPACE_AVAILABILITY": 0x00021004, "RUNSPACEPOOL_STATE": 0x00021005,
    "CREATE_PIPELINE": 0x00021006, "RUNSPACEPOOL_HOST_CALL": 0x00021100, "RUNSPACEPOOL_HOST_RESPONSE": 0x00021101, "GET_AVAILABLE_RUNSPACES": 0x00021007, "GET_COMMAND_METADATA": 0x0002100A, "APPLICATION_PRIVATE_DATA": 0x00021009,
    "PIPELINE_INPUT": 0x00041002, "END_OF_PIPELINE_INPUT": 0x00041003, "PIPELINE_OUTPUT": 0x00041004,
    "ERROR_RECORD": 0x00041005, "PIPELINE_STATE": 0x00041006, "DEBUG_RECORD": 0x00041007,
    "VERBOSE_RECORD": 0x00041008, "WARNING_RECORD": 0x00041009, "PROGRESS_RECORD": 0x00041010,
    "INFORMATION_RECORD": 0x00041011, "PIPELINE_HOST_CALL": 0x00041100, "PIPELINE_HOST_RESPONSE": 0x00041101,
}
NAMES = {v: k for k, v in TYPES.items()}
SESSION = ('<Obj RefId="0"><MS><Version N="protocolversion">%s</Version><Version N="PSVersion">2.0</Version>'
           '<Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>')
ENUM = "<T>System.Enum</T><T>System.ValueType</T><T>System.Object</T>"


def host_info(has_host):
    """HostInfo: none, or a host with a UI; a string is a whole HostInfo element given by a test."""
    if isinstance(has_host, str):
        return has_host
    null = "false" if has_host else "true"
    return ('<Obj N="HostInfo" RefId="90"><MS><B N="_isHostNull">%s</B><B N="_isHostUINull">%s</B>'
            '<B N="_isHostRawUINull">%s</B><B N="_useRunspaceHost">%s</B></MS></Obj>'
            % (null, null, null, "false" if has_host else "true"))


def init_pool(min_rs=1, max_rs=1, has_host=False):
    return ('<Obj RefId="0"><MS><I32 N="MinRunspaces">%d</I32><I32 N="MaxRunspaces">%d</I32>'
            '<Obj N="PSThreadOptions" RefId="1"><TN RefId="0"><T>System.Management.Automation.Runspaces.'
            'PSThreadOptions</T>%s</TN><ToString>Default</ToString><I32>0</I32></Obj>%s'
            '<Nil N="ApplicationArguments" /></MS></Obj>' % (min_rs, max_rs, ENUM, host_info(has_host)))


def s(text):
    return "<S>%s</S>" % escape(text).replace("\n", "_x000A_").replace("\r", "_x000D_")


def arg(value):
    if value is True or value is False:
        return "<B N=\"V\">%s</B>" % ("true" if value else "false")
    if isinstance(value, int):
        return '<I32 N="V">%d</I32>' % value
    return '<S N="V">%s</S>' % escape(str(value))


def command(text, is_script=True, params=()):
    """One Cmds entry; params: [(name or None, value)]."""
    args = "".join('<Obj RefId="%d"><MS>%s%s</MS></Obj>' % (
        200 + i, '<Nil N="N" />' if n is None else '<S N="N">-%s</S>' % n, arg(v))
        for i, (n, v) in enumerate(params))
    return ('<Obj RefId="10"><MS><S N="Cmd">%s</S><B N="IsScript">%s</B><Nil N="UseLocalScope" />'
            '<Obj N="Args" RefId="11"><TN RefId="2"><T>System.Collections.Generic.List`1</T><T>System.Object</T>'
            '</TN><LST>%s</LST></Obj></MS></Obj>'
            % (escape(text).replace("\n", "_x000A_"), "true" if is_script else "false", args))


def create_pipeline(commands, no_input=True, has_host=False):
    return ('<Obj RefId="0"><MS><B N="NoInput">%s</B><B N="AddToHistory">false</B>%s<Obj N="PowerShell" '
            'RefId="4"><MS><B N="IsNested">false</B><Nil N="ExtraCmds" /><Obj N="Cmds" RefId="5"><TN RefId="1">'
            '<T>System.Collections.Generic.List`1</T><T>System.Object</T></TN><LST>%s</LST></Obj><Nil N="History" />'
            '</MS></Obj><B N="IsNested">false</B></MS></Obj>'
            % ("true" if no_input else "false", host_info(has_host), "".join(commands)))


def message(mtype, rpid, pid, data):
    return struct.pack("<II", 2, TYPES[mtype]) + uuid.UUID(rpid).bytes_le + uuid.UUID(pid).bytes_le + \
        data.encode("utf-8")


class Client:
    """One runspace pool over one keep-alive HTTP connection of a simtest.Sim."""

    def __init__(self, sim, uri=URI, max_env=153600, version="2.3", timeout="PT20S"):
        self.sim = sim
        self.http = sim.client()
        self.uri = uri
        self.max_env = max_env
        self.version = version
        self.timeout = timeout
        self.id = str(uuid.uuid4()).upper()
        self.next_oid = 1
        self.partial = {}

    # -- transport -------------------------------------------------------------------------------
    def post(self, action, body, selectors=True, options=""):
        xml = envelope(self.sim.url, action, self.uri, [("ShellId", self.id)] if selectors else None, body,
                       max_env=self.max_env, timeout=self.timeout, extra=options)
        return self.http.post(xml)

    def fragment_list(self, messages, max_blob=None):
        """Messages -> [fragment bytes]; max_blob splits each message into pieces."""
        out = []
        for data in messages:
            oid, self.next_oid = self.next_oid, self.next_oid + 1
            size = max_blob or len(data) or 1
            pieces = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
            for fid, p in enumerate(pieces):
                flags = (1 if fid == 0 else 0) | (2 if fid == len(pieces) - 1 else 0)
                out.append(struct.pack(">QQBI", oid, fid, flags, len(p)) + p)
        return out

    def fragments(self, messages, max_blob=None):
        return base64.b64encode(b"".join(self.fragment_list(messages, max_blob))).decode()

    def parse(self, response):
        """A ReceiveResponse -> [(type name, pid, data root or None)], done flag."""
        out = []
        for st in response.findall("s:Body/{%s}ReceiveResponse/{%s}Stream" % (RSP, RSP)):
            data = base64.b64decode(st.text or "")
            pos = 0
            while pos < len(data):
                oid, fid, flags, size = struct.unpack_from(">QQBI", data, pos)
                blob = data[pos + 21:pos + 21 + size]
                pos += 21 + size
                if flags & 1:
                    self.partial[oid] = b""
                self.partial[oid] += blob
                if flags & 2:
                    msg = self.partial.pop(oid)
                    mtype = struct.unpack_from("<I", msg, 4)[0]
                    pid = str(uuid.UUID(bytes_le=msg[24:40])).upper()
                    text = msg[40:].decode("utf-8-sig")
                    out.append((NAMES.get(mtype, hex(mtype)), pid, ET.fromstring(text) if text else None))
        done = response.find("s:Body/{%s}ReceiveResponse/{%s}CommandState" % (RSP, RSP)) is not None
        return out, done

    # -- pool ------------------------------------------------------------------------------------
    def open(self, min_rs=1, max_rs=1, expect=200, has_host=False):
        data = self.fragments([message("SESSION_CAPABILITY", self.id, NULL, SESSION % self.version),
                               message("INIT_RUNSPACEPOOL", self.id, NULL, init_pool(min_rs, max_rs, has_host))])
        body = ('<rsp:Shell xmlns:rsp="%s" ShellId="%s"><rsp:InputStreams>stdin pr</rsp:InputStreams>'
                '<rsp:OutputStreams>stdout</rsp:OutputStreams><creationXml xmlns="%s">%s</creationXml></rsp:Shell>'
                % (RSP, self.id, PSH, data))
        opts = ('<w:OptionSet s:mustUnderstand="true"><w:Option MustComply="true" Name="protocolversion">%s'
                '</w:Option></w:OptionSet>' % self.version)
        r = self.post(T + "Create", body, selectors=False, options=opts)
        if r.status != expect:
            raise AssertionError("Create: HTTP %d %s" % (r.status, r.body[:800]))
        if expect != 200:
            return r, []
        return r, self.receive_until("RUNSPACEPOOL_STATE")

    def receive(self, command_id=None):
        attr = ' CommandId="%s"' % command_id if command_id else ""
        r = self.post(RSP + "/Receive", '<rsp:Receive xmlns:rsp="%s"><rsp:DesiredStream%s>stdout</rsp:DesiredStream>'
                      '</rsp:Receive>' % (RSP, attr))
        return r

    def receive_until(self, last, command_id=None, limit=500):
        msgs = []
        for _ in range(limit):
            r = self.receive(command_id)
            if r.status != 200:
                raise AssertionError("Receive: HTTP %d %s" % (r.status, r.body[:800]))
            got, done = self.parse(r)
            msgs.extend(got)
            if any(m[0] == last for m in got) or done:
                return msgs
        raise AssertionError("no %s after %d Receives" % (last, limit))

    def send(self, data_b64, command_id=None, stream="stdin"):
        attr = ' CommandId="%s"' % command_id if command_id else ""
        return self.post(RSP + "/Send", '<rsp:Send xmlns:rsp="%s"><rsp:Stream Name="%s"%s>%s</rsp:Stream>'
                                        '</rsp:Send>' % (RSP, stream, attr, data_b64))

    def send_pool(self, mtype, xml):
        r = self.send(self.fragments([message(mtype, self.id, NULL, xml)]))
        assert r.status == 200, r.body
        return r

    def close(self):
        """Delete the pool (on a fresh connection if this one broke) and close the connection."""
        try:
            r = self.post(T + "Delete", "")
        except (OSError, ConnectionError, http.client.HTTPException):
            self.http.close()
            self.http = self.sim.client()
            r = self.post(T + "Delete", "")
        self.http.close()
        return r

    # -- pipelines -------------------------------------------------------------------------------
    def start(self, commands, no_input=True, has_host=False, max_blob=None):
        pid = str(uuid.uuid4()).upper()
        data = self.fragments([message("CREATE_PIPELINE", self.id, pid,
                                       create_pipeline(commands, no_input, has_host))], max_blob)
        r = self.post(RSP + "/Command", '<rsp:CommandLine xmlns:rsp="%s" CommandId="%s"><rsp:Command />'
                                        '<rsp:Arguments>%s</rsp:Arguments></rsp:CommandLine>' % (RSP, pid, data))
        assert r.status == 200, r.body
        return pid

    def send_input(self, pid, items, end=True, max_blob=None):
        msgs = [message("PIPELINE_INPUT", self.id, pid, x) for x in items]
        if end:
            msgs.append(message("END_OF_PIPELINE_INPUT", self.id, pid, ""))
        batch, room = [], (self.max_env - 2048) // 4 * 3
        for frag in self.fragment_list(msgs, max_blob) + [None]:
            if batch and (frag is None or sum(map(len, batch)) + len(frag) > room):
                r = self.send(base64.b64encode(b"".join(batch)).decode(), pid)
                assert r.status == 200, r.body
                batch = []
            if frag is not None:
                batch.append(frag)

    def run(self, script=None, commands=None, inputs=None, has_host=False, max_blob=None):
        cmds = commands or [command(script)]
        pid = self.start(cmds, no_input=inputs is None, has_host=has_host, max_blob=max_blob)
        if inputs is not None:
            self.send_input(pid, inputs, max_blob=max_blob)
        return Result(self.receive_until("PIPELINE_STATE", pid))


NULL = "00000000-0000-0000-0000-000000000000"


def text(e):
    """Element text with the CLIXML _xHHHH_ escapes decoded (None stays None)."""
    if e is None:
        return None
    raw = e if isinstance(e, str) else (e.text or "")
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), raw)


class Result:
    def __init__(self, msgs):
        self.msgs = msgs

    def of(self, mtype):
        return [m[2] for m in self.msgs if m[0] == mtype]

    @property
    def output(self):
        return self.of("PIPELINE_OUTPUT")

    @property
    def texts(self):
        return [text(e) for e in self.output]

    @property
    def state(self):
        st = self.of("PIPELINE_STATE")[-1]
        return int(st.find("MS/I32[@N='PipelineState']").text)

    @property
    def reason(self):
        st = self.of("PIPELINE_STATE")[-1]
        e = st.find("MS/Obj[@N='ExceptionAsErrorRecord']/ToString")
        return text(e)

    def strings(self, mtype, path="ToString"):
        return [text(e.findtext(path)) for e in self.of(mtype)]
