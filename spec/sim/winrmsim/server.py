# SPDX-License-Identifier: MIT
"""One simulated host's HTTP semantics: authentication, SOAP dispatch, injected faults.

`Connection` turns one parsed HTTP request into the exact bytes of its reply (one write, so that fault
injection controls what reaches the wire) plus what the front end must do around them: wait before
writing, hold the connection, close it. It never touches a socket: the event-driven front end
(frontend.py) reads requests, runs `Connection.serve` in a worker thread, and writes the result.
"""

import base64
import email.utils
import hmac
import http
import os
import sys
import threading
import time
import traceback

from . import encryption, enumeration, ns
from . import security as sec
from .faults import WSManFault
from .handlers import Operation
from .soap import SoapRequest, decode_body, envelope, fault_envelope

SERVER = "Microsoft-HTTPAPI/2.0"
SOAP_UTF8 = "application/soap+xml;charset=UTF-8"
IDLE_TIMEOUT = 120.0          # HTTP.sys default idle connection timeout (seconds)
MAX_TIMEOUT = 60.0            # winrm/config MaxTimeoutms
ANON_PATH = "/wsman-anon/identify"
BLOCKING_RESOURCES = (b"/windows/shell", b"/powershell")   # resource URIs that may wait
OS_VERSION = "OS: 10.0.17763 SP: 0.0 Stack: 3.0"
ANON_VERSION = "OS: 0.0.0 SP: 0.0 Stack: 3.0"


_DATE = [0, ""]


def http_date():
    """The Date header value, formatted once per second."""
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[1] = email.utils.formatdate(now, usegmt=True)
        _DATE[0] = now
    return _DATE[1]


class BadRequest(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


class HttpRequest:
    __slots__ = ("method", "path", "version", "headers", "body")


def identify_body(authenticated, settings):
    x = ('<wsmid:IdentifyResponse xmlns:wsmid="%s"><wsmid:ProtocolVersion>%s</wsmid:ProtocolVersion>'
         "<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor><wsmid:ProductVersion>%s"
         "</wsmid:ProductVersion>" % (ns.WSMID, ns.W, OS_VERSION if authenticated else ANON_VERSION))
    if authenticated:
        profiles = []
        for scheme in settings.schemes:
            profiles.extend(p for p in scheme.profiles(settings.tls) if p not in profiles)
        x += "<wsmid:SecurityProfiles>%s</wsmid:SecurityProfiles>" % "".join(
            "<wsmid:SecurityProfileName>%s</wsmid:SecurityProfileName>" % p for p in profiles)
    return ('<s:Envelope xmlns:s="%s" xml:lang="en-US"><s:Header/><s:Body>%s</wsmid:IdentifyResponse></s:Body>'
            "</s:Envelope>" % (ns.S, x)).encode("utf-8")


IIS_500 = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
           b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
           b'<html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" '
           b'content="text/html; charset=iso-8859-1"/><title>500 - Internal server error.</title></head>\r\n'
           b'<body><div id="header"><h1>Server Error</h1></div><div id="content"><fieldset>'
           b"<h2>500 - Internal server error.</h2><h3>There is a problem with the resource you are looking for, "
           b"and it cannot be displayed.</h3></fieldset></div></body></html>\r\n")


class Reply:
    __slots__ = ("status", "body", "ctype", "effect", "req", "machine")

    def __init__(self, status, body, ctype=SOAP_UTF8, effect=None, req=None, machine=""):
        self.machine = machine
        self.status = status
        self.body = body
        self.ctype = ctype
        self.effect = effect
        self.req = req


class Service:
    """Everything between a parsed HTTP request and the reply bytes."""

    def __init__(self, state, users, log=None):
        self.state = state
        self.settings = state.settings
        self.users = users
        self.log_file = log
        self.log_lock = threading.Lock()
        self.security = sec.Security(self.settings, users, state=state)   # cli.py replaces it (CBT options)

    # ---- authentication (security.py) --------------------------------------------------------
    def challenges(self):
        return [v for _, v in self.security.challenge().headers]

    # ---- SOAP --------------------------------------------------------------------------------
    def machine(self, hreq):
        host = hreq.headers.get("host", self.settings.host)
        if host.startswith("["):
            return host[1:host.find("]")]
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    def parse(self, hreq):
        ctype = hreq.headers.get("content-type", "")
        charset = "utf-8"
        for part in ctype.split(";")[1:]:
            k, _, v = part.strip().partition("=")
            if k.lower() == "charset":
                charset = v.strip().strip('"').lower()
        text = decode_body(hreq.body, charset)
        sreq = SoapRequest(text)
        sreq.text = text
        return sreq

    def soap(self, hreq, user):
        machine = self.machine(hreq)
        relates = None
        try:
            try:
                sreq = self.parse(hreq)
            except UnicodeDecodeError:
                raise WSManFault("INVALID_XML", "The WS-Management service cannot process the request because the "
                                                "XML is invalid. The request is not valid UTF-8 or UTF-16.")
            relates = sreq.message_id
            if sreq.is_identify():
                return Reply(200, identify_body(True, self.settings))
            if self.state.replayer is not None and not (sreq.resource_uri or "").lower().startswith(
                    "http://schemas.luawsman.test/sim/"):
                return self.replay(sreq)   # recorded answers, whatever the request's headers say
            sreq.check(self.settings.max_envelope_kb * 1024)
            op = Operation(sreq, self.state, user, machine)
            op.effect = None
            body = self.dispatch(op)
            return Reply(200, body, effect=op.effect, req=sreq, machine=machine)
        except WSManFault as fault:
            self.state.count("faults")
            return Reply(500, fault_envelope(fault, relates, machine).encode("utf-8"))
        except Exception:  # a simulator bug: answer like a failing plug-in, and say so on stderr
            traceback.print_exc(file=sys.stderr)
            self.state.count("faults")
            fault = WSManFault("PROVIDER_FAILURE", "An error was encountered inside the plugin (simulator "
                                                   "error; see its standard error).")
            return Reply(500, fault_envelope(fault, relates, machine).encode("utf-8"))

    def dispatch(self, op):
        req = op.req
        handler = self.state.registry.find(req.resource_uri)
        if handler is None:
            raise unknown_resource(req.resource_uri)

        def finish(body, action, prefixes=None, _default="saxwp"):
            data = envelope(action, req.message_id, body, prefixes or _default).encode("utf-8")
            if len(data) > req.max_envelope and not self.settings.grow_enum_context:
                raise WSManFault("MAX_ENVELOPE_SIZE_EXCEEDED",
                                 "The WS-Management service cannot process the request. The computed response "
                                 "packet size (%d) exceeds the maximum envelope size that is allowed (%d)."
                                 % (len(data), req.max_envelope), keep_context=True)
            return data

        def finish_enum(body, action, prefixes=None):
            return finish(body, action, prefixes, "sanwp")

        own = handler.handle(op, finish)
        if own is not None:
            return own
        action = req.action
        if action == ns.T_GET:
            return finish(handler.get(op), ns.X + "/GetResponse")
        if action == ns.T_PUT:
            return finish(handler.put(op), ns.X + "/PutResponse")
        if action == ns.T_CREATE:
            return finish(handler.create(op), ns.X + "/CreateResponse")
        if action == ns.T_DELETE:
            return finish(handler.delete(op), ns.X + "/DeleteResponse")
        if action == ns.N_ENUMERATE:
            return enumeration.enumerate_request(op, handler, finish_enum)
        if action == ns.N_PULL:
            return enumeration.pull_request(op, finish_enum)
        if action == ns.N_RELEASE:
            return enumeration.release_request(op, finish_enum)
        base = req.resource_uri.rstrip("/")
        if action.lower().startswith(base.lower() + "/"):
            method = action[len(base) + 1:]
            if method and "/" not in method:
                return finish(handler.invoke(op, method), action + "Response")
        raise WSManFault("ACTION_NOT_SUPPORTED",
                         "The WS-Management service does not support the action specified in the request: %s."
                         % action)

    def replay(self, sreq):
        from .control import Effect
        msg, index = self.state.replayer.next(sreq.action, sreq.text)
        if msg is None:
            raise WSManFault("ACTION_NOT_SUPPORTED", "The simulator's replay file has no more recorded messages.")
        if msg.get("http_error"):
            return Reply(0, b"", effect=Effect("drop_now", {}))
        if msg.get("timeout"):
            time.sleep(float(msg["timeout"]))
        text = self.state.replayer.reply(msg, index, sreq.message_id)
        # Windows answers every SOAP fault with HTTP 500; some recordings lack the transport_error entry
        default = 500 if text is not None and "<s:Fault>" in text else 200
        status = int((msg.get("transport_error") or {}).get("code", default))
        if text is None:
            return Reply(status, b"", ctype=None)
        return Reply(status, text.encode("utf-8"))

    def log(self, peer, hreq, status, note=""):
        if not self.log_file:
            return
        line = "%s %s %s %s %d %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), peer, hreq.method, hreq.path, status,
                                         note)
        with self.log_lock:
            self.log_file.write(line)
            self.log_file.flush()


def unknown_resource(uri):
    return WSManFault("INVALID_RESOURCE_URI",
                      "The WS-Management service cannot process the request. The resource URI (%s) was not found "
                      "in the WS-Management catalog. The catalog contains the metadata that describes resources, or "
                      "logical endpoints." % uri, detail="InvalidResourceURI")


class Connection:
    """One TCP (or TLS) connection's HTTP state; requests are served in order (`serve`), never concurrently."""

    def __init__(self, service, peer, peer_cert=None):
        self.service = service
        self.state = service.state
        self.peer = peer
        self.security = sec.ConnState(peer_cert)   # this connection's authentication context (security.py)
        self.seal = None                  # (context, protocol) while a request's reply must be encrypted
        self.reply_headers = ()           # e.g. the final WWW-Authenticate token of a handshake
        self.unauthorized = 0             # 401s sent on this connection (Stats: MaxUnauthorizedPerConnection)
        self.out = []                     # the reply bytes of the current request
        self.delay = 0.0                  # seconds to wait before writing them
        self.holding = False                 # after writing: read until the client closes, never answer again
        self.state.count("connections")
        self.state.count("active")

    def close(self):
        self.state.count("active", -1)

    def serve(self, hreq):
        """Answer one request: -> keep the connection open. The reply is in self.out, self.delay, self.holding."""
        self.out = []
        self.delay = 0.0
        self.holding = False
        return self.process(hreq)

    def may_block(self, hreq):
        """Whether serving hreq may wait (shells, PowerShell, replay delays) or call a GSSAPI acceptor: such
        requests go to a worker thread; the others are answered on the event loop at once."""
        if self.state.replayer is not None or self.security.pending is not None or self.security.ctx is not None:
            return True
        if hreq.headers.get("authorization", "")[:9].lower() in ("negotiate", "kerberos "):
            return True
        ctype = hreq.headers.get("content-type", "").lower()
        if "utf-8" not in ctype:   # encrypted, UTF-16 or without charset: not scanned below
            return True
        return any(marker in hreq.body for marker in BLOCKING_RESOURCES)

    def refuse(self, status):
        """A request that cannot be parsed: its status, an empty body, and the connection is closed."""
        self.out = []
        self.delay = 0.0
        self.holding = False
        self.send(status, b"", None, False)

    def reply_bytes(self):
        return b"".join(self.out)

    def proxy_authorized(self, hreq):
        """--proxy-auth: the request carries the proxy's Basic credentials."""
        want = "Basic " + base64.b64encode(self.service.settings.proxy_auth.encode("utf-8")).decode("ascii")
        return hmac.compare_digest(hreq.headers.get("proxy-authorization", "").strip(), want)

    # ---- one request -------------------------------------------------------------------------
    def process(self, hreq):
        svc = self.service
        self.state.count("requests")
        self.seal = None
        self.reply_headers = ()
        conn_hdr = hreq.headers.get("connection", "").lower()
        keep = "close" not in conn_hdr and (hreq.version != "HTTP/1.0" or "keep-alive" in conn_hdr)
        path = hreq.path.split("?", 1)[0]
        if path.lower().startswith(("http://", "https://")):
            # Absolute form: the client uses this simulator as its HTTP proxy (proxy specs).
            if svc.settings.proxy_auth is not None and not self.proxy_authorized(hreq):
                svc.log(self.peer, hreq, 407, "proxy credentials missing or wrong")
                return self.send(407, b"", None, keep, [("Proxy-Authenticate", 'Basic realm="proxy"')])
            self.state.count("proxied")
            parts = path.split("/", 3)
            path = "/" + (parts[3] if len(parts) > 3 else "")
        anon_path = path.lower() == ANON_PATH
        if path.rstrip("/").lower() != "/" + svc.settings.prefix.lower() and not anon_path:
            svc.log(self.peer, hreq, 404)
            return self.send(404, b"<h1>Not Found</h1>", "text/html", keep)
        if hreq.method != "POST":
            svc.log(self.peer, hreq, 405)
            return self.send(405, b"", None, keep, [("Allow", "POST")])
        if anon_path or hreq.headers.get("wsmanidentify", "").lower() == "unauthenticated":
            if not self.content_type_ok(hreq):
                return self.send(415, b"", None, keep)
            try:
                sreq = svc.parse(hreq)
                is_identify = sreq.is_identify()
            except (WSManFault, UnicodeDecodeError):
                is_identify = False
            if is_identify:
                svc.log(self.peer, hreq, 200, "Identify (unauthenticated)")
                return self.send(200, identify_body(False, svc.settings), SOAP_UTF8, keep)
            if anon_path:
                return self.send(401, b"", None, keep, [("WWW-Authenticate", c) for c in svc.challenges()])
        if svc.settings.require_authorization and self.security.ctx is None and not hreq.headers.get("authorization"):
            return self.hold(hreq)
        outcome = svc.security.authenticate(self.security, hreq)
        if outcome.user is None:
            svc.log(self.peer, hreq, 401, outcome.reason)
            return self.send(401, b"", None, keep and not outcome.close, outcome.headers)
        user = outcome.user
        self.reply_headers = outcome.headers
        if not hreq.body:
            svc.log(self.peer, hreq, 200, "empty body")
            return self.send(200, b"", None, keep)
        if encryption.is_encrypted(hreq.headers.get("content-type", "")):
            if outcome.ctx is None:
                svc.log(self.peer, hreq, 400, "encrypted body without a Negotiate/Kerberos context")
                return self.send(400, b"", None, keep)
            try:
                plain, otype, protocol = encryption.decrypt(hreq.body, hreq.headers["content-type"], outcome.ctx)
            except (encryption.BadMessage, sec.gss.AuthFailed) as exc:
                # the context's sequence state is now unusable: answer 400 and drop the connection
                self.security.ctx = None
                svc.log(self.peer, hreq, 400, "cannot decrypt: %s" % exc)
                return self.send(400, b"", None, False)
            hreq.body = plain
            hreq.headers["content-type"] = otype
            self.seal = (outcome.ctx, protocol)
        elif outcome.ctx is not None and not svc.settings.tls and not svc.settings.allow_unencrypted:
            # AllowUnencrypted=false: Windows answers plain SOAP on a Negotiate/Kerberos HTTP connection
            # with HTTP 500 and no body (pywinrm #129, winrm4j #151, metasploit #8900, rundeck-winrm #18).
            svc.log(self.peer, hreq, 500, "unencrypted SOAP refused (AllowUnencrypted=false)")
            return self.send(500, b"", None, keep)
        if not self.content_type_ok(hreq):
            svc.log(self.peer, hreq, 415)
            return self.send(415, b"", None, keep)
        reply = svc.soap(hreq, user)
        note = ""
        if reply.req is not None:
            note = "%s %s" % (reply.req.action, reply.req.resource_uri)
        svc.log(self.peer, hreq, reply.status, note)
        if reply.effect is not None:
            return self.apply_effect(reply, keep)
        return self.send(reply.status, reply.body, reply.ctype if reply.body else None, keep)

    def hold(self, hreq):
        """--require-authorization (Microsoft's OMI): no reply at all to a request without credentials on a
        connection that is not authenticated; the connection stays open until the client closes it."""
        self.state.count("held")
        self.service.log(self.peer, hreq, 0, "held: no Authorization header (--require-authorization)")
        self.holding = True
        return False

    @staticmethod
    def content_type_ok(hreq):
        ctype = hreq.headers.get("content-type", "")
        parts = [p.strip() for p in ctype.split(";")]
        if parts[0].lower() != "application/soap+xml":
            return False
        for p in parts[1:]:
            k, _, v = p.partition("=")
            if k.strip().lower() == "charset" and v.strip().strip('"').lower() not in (
                    "utf-8", "utf-16", "utf-16le", "utf-16be"):
                return False
        return True

    def send(self, status, body, ctype, keep, extra=()):
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        if self.seal is not None and body and ctype and ctype.startswith("application/soap+xml"):
            body, ctype = encryption.encrypt(body, self.seal[0], self.seal[1], ctype)
        if status == 401:
            self.unauthorized += 1
            self.state.count_unauthorized(self.unauthorized)
        head = ["HTTP/1.1 %d %s" % (status, reason)]
        if ctype:
            head.append("Content-Type: " + ctype)
        head.append("Server: " + SERVER)
        for name, value in extra:
            head.append("%s: %s" % (name, value))
        for name, value in self.reply_headers:
            head.append("%s: %s" % (name, value))
        head.append("Date: " + http_date())
        if not keep:
            head.append("Connection: close")
        head.append("Content-Length: %d" % len(body))
        self.out.append(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        self.out.append(body)
        return keep

    # ---- injected faults ---------------------------------------------------------------------
    def apply_effect(self, reply, keep):
        eff = reply.effect
        p = eff.params
        kind = eff.kind
        if kind == "drop_now":
            return False
        if kind == "drop":
            if self.state.token_request(p["token"], p["count"]):
                return False
            return self.send(reply.status, reply.body, SOAP_UTF8, keep)
        if kind == "delay":
            limit = min(reply.req.timeout if reply.req.timeout is not None else MAX_TIMEOUT, MAX_TIMEOUT)
            wait = p["ms"] / 1000.0
            if wait > limit:
                self.delay = limit
                self.state.count("faults")
                body = fault_envelope(WSManFault("OPERATION_TIMEDOUT"), reply.req.message_id,
                                      reply.machine).encode("utf-8")
                return self.send(500, body, SOAP_UTF8, keep)
            self.delay = wait
            return self.send(reply.status, reply.body, SOAP_UTF8, keep)
        if kind == "close":
            body, ctype = reply.body, SOAP_UTF8
            if self.seal is not None:
                body, ctype = encryption.encrypt(body, self.seal[0], self.seal[1], ctype)
            head = ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nServer: %s\r\nContent-Length: %d\r\n\r\n"
                    % (ctype, SERVER, len(body))).encode("latin-1")
            self.out.append(head + body[:len(body) // 2])   # then the connection is closed
            return False
        if kind == "html500":
            return self.send(500, IIS_500, "text/html", keep)
        if kind == "truncated":
            return self.send(200, reply.body[:len(reply.body) // 2], SOAP_UTF8, keep)
        if kind == "garbage":
            junk = bytes((b % 94) + 33 if b % 7 else 0xFF for b in os.urandom(4096))
            return self.send(200, b"\x00\xff garbage " + junk, SOAP_UTF8, keep)
        if kind == "huge":
            return self.send(200, huge_envelope(reply.req.message_id, p["mb"]), SOAP_UTF8, keep)
        if kind == "never":
            self.holding = True
            return False
        if kind == "dtd":
            return self.send(200, dtd_envelope(reply.req.message_id), SOAP_UTF8, keep)
        if kind == "deep":
            return self.send(200, deep_envelope(reply.req.message_id, p["levels"]), SOAP_UTF8, keep)
        if kind == "utf16":
            text = reply.body.decode("utf-8")
            return self.send(200, b"\xff\xfe" + text.encode("utf-16-le"), "application/soap+xml;charset=UTF-16",
                             keep)
        if kind == "status":
            return self.send(p["code"], b"", None, keep)
        if kind == "plain":
            return self.send(200, b"This is not a SOAP envelope.\r\n", "text/plain", keep)
        return self.send(reply.status, reply.body, SOAP_UTF8, keep)


def _sim_env(message_id, body):
    return envelope(ns.X + "/GetResponse", message_id, body).encode("utf-8")


def huge_envelope(message_id, mb):
    chunk = "<p:Data>" + "A" * 1008 + "</p:Data>"
    count = max(1, (mb * 1024 * 1024) // len(chunk))
    return _sim_env(message_id, '<p:SimFault xmlns:p="http://schemas.luawsman.test/sim/fault/huge">%s</p:SimFault>'
                    % (chunk * count))


def dtd_envelope(message_id):
    ents = ['<!ENTITY lol0 "lol">'] + ['<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10) for i in range(1, 10)]
    body = '<p:SimFault xmlns:p="http://schemas.luawsman.test/sim/fault/dtd"><p:Kind>&lol9;</p:Kind></p:SimFault>'
    env = _sim_env(message_id, body).decode("utf-8")
    return ('<?xml version="1.0"?>\n<!DOCTYPE s:Envelope [%s]>\n' % "".join(ents) + env).encode("utf-8")


def deep_envelope(message_id, levels):
    body = '<p:SimFault xmlns:p="http://schemas.luawsman.test/sim/fault/deep">%s%s</p:SimFault>' % (
        "<p:D>" * levels, "</p:D>" * levels)
    return _sim_env(message_id, body)
