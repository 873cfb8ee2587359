#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of spec/fuzz/corpus/<target>/ from the real Windows recordings
(../shared/captures/windows-pypsrp, MIT: its LICENSE is copied next to what comes from it), the
simulator's CLIXML samples and a few hand-made inputs. Run from the repository root:
    python3 spec/fuzz/seed.py [captures-dir]
Seeds are named seed-*; regression inputs (crash-*, leak-*, ...) committed next to them are left
alone. Uses the simulator's reader of the recordings' YAML (spec/sim/winrmsim/replay.py)."""
import base64
import glob
import hashlib
import os
import shutil
import struct
import sys

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "spec", "fuzz", "corpus")
CAPTURES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "captures", "windows-pypsrp")
MAX_SEED = 16384  # bytes: small inputs keep the fuzzers fast

sys.path.insert(0, os.path.join(ROOT, "spec", "sim"))
from winrmsim import replay  # noqa: E402

KIND_BODY, KIND_EMPTY, KIND_ENUM, KIND_RECEIVE = 0, 1, 2, 3


def write(target, data, licence=False):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    if licence:
        shutil.copyfile(os.path.join(CAPTURES, "LICENSE"), os.path.join(d, "LICENSE.pypsrp"))


def reply_kind(xml):
    if "EnumerateResponse" in xml or "PullResponse" in xml:
        return KIND_ENUM
    if "ReceiveResponse" in xml:
        return KIND_RECEIVE
    if "DeleteResponse" in xml or "ReleaseResponse" in xml:
        return KIND_EMPTY
    return KIND_BODY


def replies():
    seen = set()
    for f in sorted(glob.glob(os.path.join(CAPTURES, "*.yml"))):
        if f.endswith("_template.yml"):
            continue
        for m in replay.load(f):
            r = m.get("response")
            if not isinstance(r, str) or not r.lstrip().startswith("<"):
                continue
            b = r.encode("utf-8")
            # one of each action, plus every fault, small ones only
            key = (reply_kind(r), r[r.find("<a:Action>"):r.find("</a:Action>")], "Fault" in r)
            if len(b) > MAX_SEED or (key in seen and "Fault" not in r):
                continue
            seen.add(key)
            yield reply_kind(r), b


def clixml_samples():
    for f in sorted(glob.glob(os.path.join(ROOT, "spec", "sim", "data", "clixml", "*.xml"))):
        with open(f, "rb") as fh:
            yield os.path.basename(f), fh.read()


def psrp_fragments():
    """PSRP fragments as the recordings carry them (base64 in rsp:Stream and creationXml)."""
    import re
    n = 0
    for f in sorted(glob.glob(os.path.join(CAPTURES, "test_psrp_*.yml"))):
        for m in replay.load(f):
            for side in ("request", "response"):
                t = m.get(side)
                if not isinstance(t, str):
                    continue
                for b64 in re.findall(r">([A-Za-z0-9+/]{40,}={0,2})<", t):
                    raw = base64.b64decode(b64)
                    if len(raw) > 21:  # longer than a fragment header
                        yield raw[:MAX_SEED]
                        n += 1
                        if n >= 40:
                            return


NTLM_CHALLENGE = bytes.fromhex(
    "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef"
    "00000000000000002400240044000000060070170000000f5300650072007600"
    "6500720002000c0044006f006d00610069006e0001000c005300650072007600"
    "6500720000000000")  # MS-NLMP 4.2.4.3


# stderr CLIXML with records that come from objects (ToString, MessageData, a ProgressRecord's
# long property names, a SourceId) and a surrogate pair escaped as PowerShell writes it
STDERR_OBJECTS = (
    b"x\r\n#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">"
    b"<Obj S=\"information\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.InformationRecord</T>"
    b"</TN><MS><Obj N=\"MessageData\" RefId=\"1\"><ToString>hi _xD83D__xDE00_</ToString></Obj>"
    b"<I64 N=\"SourceId\">7</I64></MS></Obj><Obj S=\"progress\" RefId=\"2\"><MS><S N=\"Activity\">A</S>"
    b"<I32 N=\"ActivityId\">3</I32><Nil N=\"CurrentOperation\" /><I32 N=\"PercentComplete\">40</I32>"
    b"<Obj N=\"Type\" RefId=\"3\"><TNRef RefId=\"0\" /><ToString>Processing</ToString><I32>0</I32></Obj>"
    b"<S N=\"StatusDescription\">s</S></MS></Obj><S S=\"Error\">e_x000D__x000A_</S>"
    b"<Ref S=\"progress\" RefId=\"2\" /></Objs>\r\ny")


def main():
    for kind, b in replies():
        write("fuzz_reply", bytes([kind, 0]) + b, licence=True)
        write("fuzz_reply", bytes([kind, 61]) + b, licence=True)
        write("fuzz_lxml", bytes([63]) + b, licence=True)
    for name, b in clixml_samples():
        write("fuzz_clixml", b, licence=name.startswith("with_"))
        write("fuzz_lxml", bytes([63]) + b.split(b"\n", 1)[1], licence=name.startswith("with_"))
    write("fuzz_clixml", STDERR_OBJECTS)
    for raw in psrp_fragments():
        write("fuzz_clixml", raw, licence=True)
        # a whole message in one fragment (start and end bits): its data is a PSObject document
        if len(raw) > 21 + 40 and raw[16] & 3 == 3:
            data = raw[21 + 40:]
            write("fuzz_clixml", data[3:] if data.startswith(b"\xef\xbb\xbf") else data, licence=True)
    # NTLM: the CHALLENGE as base64 (mode 0) and as a header text (mode 1), then a sealed message
    sealed = b"\x01\x00\x00\x00" + b"\x00" * 12 + b"<s:Envelope/>"
    write("fuzz_ntlm", bytes([0]) + struct.pack("<H", len(NTLM_CHALLENGE)) + NTLM_CHALLENGE + sealed)
    text = b"Negotiate " + base64.b64encode(NTLM_CHALLENGE)
    write("fuzz_ntlm", bytes([1]) + struct.pack("<H", len(text)) + text + sealed)
    # framing: a one-part and a two-part body
    ct = b'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"'
    soap = b"<s:Envelope/>"

    def part(plain):
        return (b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n"
                b"--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n" % len(plain)
                + struct.pack("<I", 16) + b"S" * 16 + plain)
    write("fuzz_framing", ct + b"\n" + part(soap) + b"--Encrypted Boundary--\r\n")
    write("fuzz_framing", ct + b"\n" + part(soap) + part(b"<b/>") + b"--Encrypted Boundary--\r\n")
    xct = b'multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted"'
    write("fuzz_framing", xct + b"\n" + part(soap).replace(b"SPNEGO", b"CredSSP") + b"--Encrypted Boundary--\r\n")
    # requests: connection, resource, selector, option, fragment, filter, dialect
    for flags, fields in [
        (0, [b"host", b"wmicimv2/Win32_Service?Name=Spooler", b"Name", b"WinRM", b"opt", b"v", b"State",
             b"select * from Win32_Service", b"WQL"]),
        (1, [b"https://[::1]:5986/wsman", b"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*",
             b"", b"", b"", b"", b"", b'{Name="x";State=$null}', b"Selector"]),
        (0, [b"http://h:80/p", b'<a:EndpointReference xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
             b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><a:Address>x</a:Address>'
             b'<a:ReferenceParameters><w:ResourceURI>urn:r</w:ResourceURI><w:SelectorSet>'
             b'<w:Selector Name="k">v</w:Selector></w:SelectorSet></a:ReferenceParameters></a:EndpointReference>',
             b"k2", b"v&<>2", b"o", b"", b"a/b", b"{Object=Win32_Service?Name=WinRM;ResultRole=Antecedent}",
             b"Association"]),
    ]:
        write("fuzz_request", bytes([flags]) + b"\0".join(fields))
    # the XML reader: the tricky documents of spec/xml_spec.lua's kind
    for doc in [b'<p:A xmlns:p="urn:x" a="1"><p:B q="&amp;">t&lt;x</p:B><![CDATA[c]]><!--k--><p:C/></p:A>',
                b'<s:E xmlns:s="urn:s" xmlns="urn:d"><b x="1\r\n2">a\r\nb</b><c xmlns="">&#65;</c></s:E>',
                b'\xef\xbb\xbf<?xml version="1.0"?><a xml:lang="en" xmlns:p="u1" xmlns:q="u2" p:x="1" q:x="2"/>',
                "<a>\u00e9</a>".encode("utf-16")]:
        write("fuzz_lxml", bytes([7]) + doc)


if __name__ == "__main__":
    main()
