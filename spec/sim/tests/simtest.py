# SPDX-License-Identifier: MIT
"""Helpers for the simulator's tests: start winrm-sim as a subprocess, talk raw HTTP/SOAP to it."""

import base64
import http.client
import os
import signal
import ssl
import subprocess
import unittest
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(os.path.dirname(HERE), "winrm-sim")
CAPTURES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "captures", "windows-pypsrp"))


def needs_captures(cls):
    """Class decorator: skip when ../shared's recordings are missing; under CI=true they must be there."""
    if os.path.isdir(CAPTURES):
        return cls
    if os.environ.get("CI") == "true":
        raise RuntimeError(CAPTURES + " not found: CI=true requires the shared data")
    return unittest.skip("the recordings are not at " + CAPTURES)(cls)

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "cim": "http://schemas.dmtf.org/wbem/wscim/1/common",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "wsmid": "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
    "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config",
    "me": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError",
}
ANON = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
CIMV2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
CONTROL = "http://schemas.luawsman.test/sim/control"
FAULT = "http://schemas.luawsman.test/sim/fault/"
T = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
E = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
BASIC = "Basic " + base64.b64encode(b"testuser:Passw0rd!").decode()


class Sim:
    """A running simulator (reads the startup lines; never sleeps)."""

    def __init__(self, *args, allow_unencrypted=True):
        cmd = [SIM] + (["--allow-unencrypted"] if allow_unencrypted else []) + list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            err = self.proc.stderr.read()
            raise RuntimeError("simulator did not start: %s" % err)
        self.info = {}
        while True:
            line = self.proc.stdout.readline()
            if not line or line == "\n":
                break
            k, _, v = line.strip().partition("=")
            self.info[k] = v
        self._set_url(self.url)

    def _set_url(self, url):
        self.url = url
        scheme, rest = url.split("://", 1)
        hostport, _, path = rest.partition("/")
        self.tls = scheme == "https"
        self.host, _, port = hostport.rpartition(":")
        self.host = self.host.strip("[]")
        self.port = int(port)
        self.path = "/" + path

    def fleet_host(self, index):
        """With --hosts: a view of host `index` (1-based; its URL from the host_<index> line) that clients,
        connect() and client() use like the simulator itself."""
        view = object.__new__(Sim)
        view.proc, view.info = self.proc, self.info
        view._set_url(self.info["host_%d" % index])
        return view

    def connect(self, timeout=10):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.info["ca_file"])
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def client(self, **kw):
        return Client(self, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def envelope(url, action, resource_uri=None, selectors=None, body="", max_env=153600, timeout="PT60S",
             message_id=None, extra="", reply_to=True, to=True):
    mid = "uuid:" + str(uuid.uuid4()).upper() if message_id is None else message_id
    h = []
    if to:
        h.append("<a:To>%s</a:To>" % url)
    if resource_uri is not None:
        h.append('<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>' % resource_uri)
    if reply_to:
        h.append('<a:ReplyTo><a:Address s:mustUnderstand="true">%s</a:Address></a:ReplyTo>' % ANON)
    if action is not None:
        h.append('<a:Action s:mustUnderstand="true">%s</a:Action>' % action)
    if max_env is not None:
        h.append('<w:MaxEnvelopeSize s:mustUnderstand="true">%d</w:MaxEnvelopeSize>' % max_env)
    if mid:
        h.append("<a:MessageID>%s</a:MessageID>" % mid)
    h.append('<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>')
    h.append('<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>')
    if selectors:
        h.append("<w:SelectorSet>%s</w:SelectorSet>" % "".join(
            '<w:Selector Name="%s">%s</w:Selector>' % kv for kv in selectors))
    if timeout:
        h.append("<w:OperationTimeout>%s</w:OperationTimeout>" % timeout)
    h.append(extra)
    return ('<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/'
            'wsman.xsd" xmlns:n="%s"><s:Header>%s</s:Header><s:Body>%s</s:Body></s:Envelope>'
            % (NS["s"], NS["a"], NS["w"], NS["n"], "".join(h), body))


def read_reply(f):
    """One HTTP reply from a socket's binary file (keep-alive, Content-Length framing) -> (status, body)."""
    status = f.readline()
    length = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return int(status.split()[1]), f.read(length)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self._root = None

    @property
    def root(self):
        if self._root is None:
            self._root = ET.fromstring(self.body)
        return self._root

    def find(self, path):
        return self.root.find(path, NS)

    def findall(self, path):
        return self.root.findall(path, NS)

    def text(self, path):
        e = self.find(path)
        return None if e is None else (e.text or "")

    @property
    def payload(self):
        b = self.find("s:Body")
        return b[0] if b is not None and len(b) else None

    @property
    def wsman_code(self):
        e = self.find("s:Body/s:Fault/s:Detail/f:WSManFault")
        return None if e is None else int(e.get("Code"))

    @property
    def subcode(self):
        return self.text("s:Body/s:Fault/s:Code/s:Subcode/s:Value")

    def header_list(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Client:
    """Keep-alive raw HTTP client with Basic auth."""

    def __init__(self, sim, auth=BASIC):
        self.sim = sim
        self.auth = auth
        self.conn = sim.connect()

    def post(self, xml, headers=None, content_type="application/soap+xml;charset=UTF-8", auth=True, path=None):
        h = {"Content-Type": content_type} if content_type else {}
        if auth and self.auth:
            h["Authorization"] = self.auth
        h.update(headers or {})
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        self.conn.request("POST", path or self.sim.path, body=data, headers=h)
        r = self.conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())

    def request(self, action, resource_uri, selectors=None, body="", **kw):
        return self.post(envelope(self.sim.url, action, resource_uri, selectors, body, **kw))

    def get(self, resource_uri, selectors=None, **kw):
        return self.request(T + "Get", resource_uri, selectors, **kw)

    def invoke(self, resource_uri, method, params="", selectors=None, **kw):
        body = '<p:%s_INPUT xmlns:p="%s">%s</p:%s_INPUT>' % (method, resource_uri, params, method)
        return self.request(resource_uri + "/" + method, resource_uri, selectors, body, **kw)

    def enumerate(self, resource_uri, inner="", selectors=None, **kw):
        return self.request(E + "Enumerate", resource_uri, selectors, "<n:Enumerate>%s</n:Enumerate>" % inner, **kw)

    def pull(self, resource_uri, context, max_elements=None, **kw):
        me = "<n:MaxElements>%d</n:MaxElements>" % max_elements if max_elements else ""
        return self.request(E + "Pull", resource_uri, None,
                            "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>%s</n:Pull>" % (context, me), **kw)

    def enumerate_all(self, resource_uri, inner="", max_elements=None, **kw):
        r = self.enumerate(resource_uri, inner, **kw)
        assert r.status == 200, r.body
        items = list(r.find("s:Body/n:EnumerateResponse/w:Items") or [])
        ctx = r.text("s:Body/n:EnumerateResponse/n:EnumerationContext")
        done = r.find("s:Body/n:EnumerateResponse/w:EndOfSequence") is not None
        while not done:
            r = self.pull(resource_uri, ctx, max_elements, **kw)
            assert r.status == 200, r.body
            items.extend(r.find("s:Body/n:PullResponse/n:Items") or [])
            done = r.find("s:Body/n:PullResponse/n:EndOfSequence") is not None
            ctx = r.text("s:Body/n:PullResponse/n:EnumerationContext")
        return items

    def stats(self):
        r = self.get(CONTROL)
        assert r.status == 200, r.body
        out = {}
        for e in r.payload:
            local = e.tag.rpartition("}")[2]
            value = int(e.text) if (e.text or "").lstrip("-").isdigit() else e.text
            if e.get("Name") is not None:
                out.setdefault(local, {})[e.get("Name")] = value
            else:
                out[local] = value
        return out

    def close(self):
        self.conn.close()


class SimTestCase(unittest.TestCase):
    """One simulator per test class (args in SIM_ARGS), one keep-alive client per test."""

    SIM_ARGS = ()
    ALLOW_UNENCRYPTED = True

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(*cls.SIM_ARGS, allow_unencrypted=cls.ALLOW_UNENCRYPTED)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.c = self.sim.client()

    def tearDown(self):
        self.c.close()

    def reset(self):
        r = self.c.invoke(CONTROL, "Reset")
        self.assertEqual(r.status, 200, r.body)

    def assertFault(self, r, code, subcode=None):
        self.assertEqual(r.status, 500, r.body)
        self.assertEqual(r.wsman_code, code, r.body)
        if subcode:
            self.assertEqual(r.subcode, subcode, r.body)

    def prop(self, elem, name):
        e = elem.find("{%s}%s" % (elem.tag[1:].partition("}")[0], name))
        return None if e is None else e.text
