#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Interoperability check: Debian's python3-winrm (pywinrm) against the simulator. Prints TAP.

pywinrm builds the envelopes (its own _get_soap_header + xmltodict) and sends them with
Protocol.send_message, over HTTP with Basic (--allow-unencrypted) and over HTTPS (--tls). The NTLM
checks (requests-ntlm / ntlm-auth: Negotiate with message encryption, channel binding) and the client
certificate check run pywinrm in a child process whose OPENSSL_CONF enables the OpenSSL 3 legacy provider
(ntlm-auth needs MD4); this process and the simulators keep the system configuration.
"""

import os
import sys
import traceback
import xml.etree.ElementTree as ET

import xmltodict
from winrm.exceptions import InvalidCredentialsError, WinRMError
from winrm.protocol import Protocol

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CIMV2, NS, WQL, Sim  # noqa: E402
import authtest  # noqa: E402

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
# pywinrm lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override server_cert_validation="ignore" (requests'
# trust_env); drop them so "ignore" means ignore and ca_trust_path means the simulator's CA.
for _var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_var, None)
USER, PASSWORD = "testuser", "Passw0rd!"
SVC = CIMV2 + "Win32_Service"
ENUM = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
results = []


def check(name):
    def wrap(fn):
        results.append((name, fn))
        return fn
    return wrap


def protocol(sim, **kw):
    transport = "ssl" if sim.tls else "plaintext"
    return Protocol(sim.url, transport=transport, username=kw.pop("username", USER),
                    password=kw.pop("password", PASSWORD), **kw)


def message(p, action, resource_uri, selectors=None, body=None):
    req = {"env:Envelope": p._get_soap_header(action=action, resource_uri=resource_uri)}
    if selectors:
        req["env:Envelope"]["env:Header"]["w:SelectorSet"] = {
            "w:Selector": [{"@Name": k, "#text": v} for k, v in selectors]}
    req["env:Envelope"]["env:Body"] = body or {}
    return xmltodict.unparse(req, full_document=False)


def get(p, uri, selectors=None):
    return ET.fromstring(p.send_message(message(p, "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", uri,
                                                selectors)))


def enumerate_all(p, uri, enum_body=None, max_elements=5):
    root = ET.fromstring(p.send_message(message(p, ENUM + "Enumerate", uri, body={"n:Enumerate": enum_body or {}})))
    items = list(root.find("s:Body/n:EnumerateResponse/w:Items", NS) or [])
    ctx = root.findtext("s:Body/n:EnumerateResponse/n:EnumerationContext", namespaces=NS)
    done = root.find("s:Body/n:EnumerateResponse/w:EndOfSequence", NS) is not None
    while not done:
        body = {"n:Pull": {"n:EnumerationContext": ctx, "n:MaxElements": str(max_elements)}}
        root = ET.fromstring(p.send_message(message(p, ENUM + "Pull", uri, body=body)))
        items.extend(root.find("s:Body/n:PullResponse/n:Items", NS) or [])
        done = root.find("s:Body/n:PullResponse/n:EndOfSequence", NS) is not None
        ctx = root.findtext("s:Body/n:PullResponse/n:EnumerationContext", namespaces=NS)
    return items


def names(items):
    return [i.findtext("{%s}Name" % i.tag[1:].partition("}")[0]) for i in items]


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


SIMS = {}


def sim(kind):
    if kind not in SIMS:
        SIMS[kind] = {"http": lambda: Sim(), "https": lambda: Sim("--tls", allow_unencrypted=False),
                      "strict": lambda: Sim(allow_unencrypted=False),
                      "negotiate": lambda: Sim("--auth", "negotiate,kerberos", allow_unencrypted=False),
                      "cbt": lambda: Sim("--tls", "--auth", "negotiate,certificate", "--cbt", "strict",
                                         allow_unencrypted=False)}[kind]()
    return SIMS[kind]


LEGACY = []


class Skip(Exception):
    pass


def pywinrm_child(kind, gets, **kw):
    """pywinrm in a child process with the legacy-provider OPENSSL_CONF (authtest.run_pywinrm)."""
    if kw.get("transport") == "ntlm" and "ntlm" not in sim(kind).info.get("gss_mechs", "").split(","):
        raise Skip("gss-ntlmssp / python3-gssapi not installed (see .ci/deps)")
    if not LEGACY:
        LEGACY.append(authtest.LegacyOpenSSL())
    return authtest.run_pywinrm(LEGACY[0], sim(kind).url, gets, **kw)


@check("http: Get Win32_Service?Name=WinRM with Basic (AllowUnencrypted)")
def _():
    root = get(protocol(sim("http")), SVC, [("Name", "WinRM")])
    inst = root.find("s:Body/{%s}Win32_Service" % SVC, NS)
    expect(inst.findtext("{%s}Name" % SVC) == "WinRM", "Name")
    expect(inst.findtext("{%s}State" % SVC) == "Running", "State")


@check("http: Enumerate + Pull Win32_Service (context rollover) returns all 25 services")
def _():
    items = enumerate_all(protocol(sim("http")), SVC)
    expect(len(items) == 25 and "Spooler" in names(items), "got %d items" % len(items))


@check("http: optimized WQL Enumerate on .../cimv2/*")
def _():
    body = {"w:OptimizeEnumeration": None, "w:MaxElements": "3",
            "w:Filter": {"@Dialect": WQL, "#text": "SELECT * FROM Win32_Service WHERE StartMode = 'Auto'"}}
    items = enumerate_all(protocol(sim("http")), CIMV2 + "*", body, max_elements=4)
    expect(items and "W32Time" not in names(items) and "WinRM" in names(items), names(items))


@check("http: WMI fault surfaces as WinRMError with the WSManFault code")
def _():
    try:
        get(protocol(sim("http")), SVC, [("Name", "NoSuchService")])
    except WinRMError as exc:
        expect("2150858752" in str(exc) and "a:DestinationUnreachable" in str(exc), str(exc))
        return
    raise AssertionError("no fault")


@check("http: Win32_QuotaSetting without keys gives 0x803380FA (2150859002)")
def _():
    try:
        get(protocol(sim("http")), CIMV2 + "Win32_QuotaSetting")
    except WinRMError as exc:
        expect("2150859002" in str(exc), str(exc))
        return
    raise AssertionError("no fault")


@check("http: wrong password is InvalidCredentialsError (401)")
def _():
    try:
        get(protocol(sim("http"), password="wrong"), SVC, [("Name", "WinRM")])
    except InvalidCredentialsError:
        return
    raise AssertionError("accepted a wrong password")


@check("http: Basic without AllowUnencrypted is refused like Windows (401)")
def _():
    try:
        get(protocol(sim("strict")), SVC, [("Name", "WinRM")])
    except InvalidCredentialsError:
        return
    raise AssertionError("Basic over plain HTTP was accepted")


@check("https: Get winrm/config with the simulator's CA (ca_trust_path)")
def _():
    s = sim("https")
    root = get(protocol(s, ca_trust_path=s.info["ca_file"]), "http://schemas.microsoft.com/wbem/wsman/1/config")
    expect(root.findtext("s:Body/cfg:Config/cfg:MaxEnvelopeSizekb", namespaces=NS) == "500", "MaxEnvelopeSizekb")


@check("https: Enumerate + Pull Win32_Process with certificate validation ignored")
def _():
    items = enumerate_all(protocol(sim("https"), server_cert_validation="ignore"), CIMV2 + "Win32_Process",
                          max_elements=4)
    expect(len(items) == 15, "got %d" % len(items))


@check("https: certificate validation without the CA fails")
def _():
    try:
        get(protocol(sim("https")), SVC, [("Name", "WinRM")])
    except Exception as exc:  # requests' SSLError
        expect("certificate" in str(exc).lower() or "ssl" in str(exc).lower(), str(exc))
        return
    raise AssertionError("an unknown CA was accepted")


@check("http: NTLM (Negotiate) with message encryption against AllowUnencrypted=false")
def _():
    res = pywinrm_child("negotiate", [[SVC, [["Name", "WinRM"]]], [SVC, [["Name", "Spooler"]]]], transport="ntlm",
                        user=USER, password=PASSWORD, message_encryption="always")
    expect(all(r["ok"] for r in res), res)
    expect("<p:Name>WinRM</p:Name>" in res[0]["body"] and "<p:Name>Spooler</p:Name>" in res[1]["body"], res)


@check("http: NTLM encrypted SOAP fault (HTTP 500) is decrypted with its WSManFault code")
def _():
    (res,) = pywinrm_child("negotiate", [[SVC, [["Name", "NoSuchService"]]]], transport="ntlm", user=USER,
                           password=PASSWORD, message_encryption="always")
    expect(not res["ok"] and "2150858752" in res["text"], res)


@check("http: NTLM without message encryption is refused like Windows (HTTP 500)")
def _():
    (res,) = pywinrm_child("negotiate", [[SVC, [["Name", "WinRM"]]]], transport="ntlm", user=USER,
                           password=PASSWORD, message_encryption="never")
    expect(not res["ok"] and "500" in res["text"], res)


@check("http: NTLM with a wrong password is InvalidCredentialsError (401)")
def _():
    (res,) = pywinrm_child("negotiate", [[SVC, [["Name", "WinRM"]]]], transport="ntlm", user=USER,
                           password="wrong", message_encryption="always")
    expect(res.get("error") == "InvalidCredentialsError", res)


@check("https: NTLM with channel binding against CbtHardeningLevel=Strict; without CBT refused")
def _():
    common = dict(transport="ntlm", user=USER, password=PASSWORD, ca_trust_path=sim("cbt").info["ca_file"])
    (res,) = pywinrm_child("cbt", [[SVC, [["Name", "WinRM"]]]], **common)
    expect(res["ok"], res)
    (res,) = pywinrm_child("cbt", [[SVC, [["Name", "WinRM"]]]], send_cbt=False, **common)
    expect(res.get("error") == "InvalidCredentialsError", res)


@check("https: client certificate authentication (transport='certificate'); unmapped certificate refused")
def _():
    i = sim("cbt").info
    (res,) = pywinrm_child("cbt", [[SVC, [["Name", "WinRM"]]]], transport="certificate", cert_pem=i["client_cert"],
                           cert_key_pem=i["client_key"], ca_trust_path=i["ca_file"])
    expect(res["ok"] and "<p:Name>WinRM</p:Name>" in res["body"], res)
    (res,) = pywinrm_child("cbt", [[SVC, [["Name", "WinRM"]]]], transport="certificate",
                           cert_pem=i["client_cert_unmapped"], cert_key_pem=i["client_key_unmapped"],
                           ca_trust_path=i["ca_file"])
    expect(res.get("error") == "InvalidCredentialsError", res)


@check("http: Session.run_cmd (shell, command, receive, signal, delete): stdout, stderr, exit code, no shell left")
def _():
    import winrm
    s = winrm.Session(sim("http").url, auth=(USER, PASSWORD), transport="plaintext")
    r = s.run_cmd("echo", ["out", "&&", "echo", "err", ">&2", "&&", "exit", "3"])
    expect((r.std_out, r.std_err, r.status_code) == (b"out\n", b"err\n", 3), r.__dict__)
    p = s.protocol
    shell = p.open_shell()
    for i in range(3):
        cid = p.run_command(shell, "echo", [str(i)])
        out, err, code = p.get_command_output(shell, cid)
        p.cleanup_command(shell, cid)
        expect((out, code) == (("%d\n" % i).encode(), 0), (out, err, code))
    p.close_shell(shell)
    c = sim("http").client()
    try:
        expect(c.stats()["OpenShells"] == 0, "a shell was left open")
    finally:
        c.close()


@check("http: Session.run_ps: the script arrives through -encodedcommand (UTF-16LE base64)")
def _():
    # (with stderr, this pywinrm's run_ps fails in its own CLIXML cleaning: bytes vs str, pywinrm #285)
    import winrm
    s = winrm.Session(sim("http").url, auth=(USER, PASSWORD), transport="plaintext")
    r = s.run_ps("Write-Output 'caf\u00e9'\n#sim:exit 4")
    expect(r.std_out == "Write-Output 'caf\u00e9'\n#sim:exit 4".encode("cp437") and r.status_code == 4, r.__dict__)


def main():
    print("1..%d" % len(results))
    failed = 0
    try:
        for i, (name, fn) in enumerate(results, 1):
            try:
                fn()
                print("ok %d - %s" % (i, name))
            except Skip as why:
                print("ok %d - %s # SKIP %s" % (i, name, why))
            except Exception:
                failed += 1
                print("not ok %d - %s" % (i, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        for s in SIMS.values():
            s.stop()
        for legacy in LEGACY:
            legacy.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
