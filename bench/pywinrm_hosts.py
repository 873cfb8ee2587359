#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The pywinrm side of bench/many_hosts.lua: what Ansible-style tools do with Debian's
python3-winrm, one winrm.protocol.Protocol per host in a thread pool.

    pywinrm_hosts.py THREADS URL [URL...]      (or URLs on stdin, one per line, with "-")
    (PYWINRM_CA=FILE: the CA that verifies https:// hosts)

Per host: Identify, Get Win32_Service?Name=Spooler, and a whole Enumerate of Win32_Process
(MaxElements 20), over Basic (HTTP, or HTTPS with PYWINRM_CA) as testuser. pywinrm has no Identify/Get/Enumerate
of its own: the SOAP envelopes are written here and sent with Protocol.send_message.
Prints one line of key=value figures: wall, cpu (this process, every thread), ops, failed,
peak_rss_kb, and the first error seen (many_hosts.lua counts the descriptors from outside).
"""
import os
import resource
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import winrm.protocol

USER, PASSWORD = "testuser", "Passw0rd!"
CIMV2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
}
T = "http://schemas.xmlsoap.org/ws/2004/09/"
ACTIONS = {
    "get": T + "transfer/Get",
    "enumerate": T + "enumeration/Enumerate",
    "pull": T + "enumeration/Pull",
}
BATCH = 20

IDENTIFY = ('<s:Envelope xmlns:s="%s" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
            '<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>' % NS["s"])


def envelope(url, action, resource_uri, body, selectors=""):
    return ('<s:Envelope xmlns:s="{s}" xmlns:a="{a}" xmlns:n="{n}" xmlns:w="{w}"><s:Header>'
            '<a:To>{url}</a:To><a:ReplyTo><a:Address s:mustUnderstand="true">'
            'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
            '<a:Action s:mustUnderstand="true">{action}</a:Action>'
            '<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>'
            '<a:MessageID>uuid:{mid}</a:MessageID><w:OperationTimeout>PT20S</w:OperationTimeout>'
            '<w:ResourceURI s:mustUnderstand="true">{uri}</w:ResourceURI>{sel}</s:Header>'
            '<s:Body>{body}</s:Body></s:Envelope>').format(
                url=url, action=action, mid=uuid.uuid4(), uri=resource_uri, sel=selectors, body=body, **NS)


def host_work(url):
    ca = os.environ.get("PYWINRM_CA")
    tls = {"ca_trust_path": ca, "server_cert_validation": "validate"} if ca else {}
    p = winrm.protocol.Protocol(url, transport="basic", username=USER, password=PASSWORD, **tls)
    p.send_message(IDENTIFY)
    sel = '<w:SelectorSet><w:Selector Name="Name">Spooler</w:Selector></w:SelectorSet>'
    p.send_message(envelope(url, ACTIONS["get"], CIMV2 + "Win32_Service", "", sel))
    uri = CIMV2 + "Win32_Process"
    reply = p.send_message(envelope(url, ACTIONS["enumerate"], uri,
                                    "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>%d</w:MaxElements>"
                                    "</n:Enumerate>" % BATCH))
    ops, items = 3, 0
    while True:
        root = ET.fromstring(reply)
        items += len(root.findall(".//w:Items/*", NS))
        if root.find(".//w:EndOfSequence", NS) is not None or root.find(".//n:EndOfSequence", NS) is not None:
            break
        ctx = root.find(".//n:EnumerationContext", NS).text
        reply = p.send_message(envelope(url, ACTIONS["pull"], uri,
                                        "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
                                        "<n:MaxElements>%d</n:MaxElements></n:Pull>" % (ctx, BATCH)))
        ops += 1
    p.transport.session.close()
    return ops, items


def main():
    threads = int(sys.argv[1])
    urls = sys.argv[2:]
    if urls == ["-"]:
        urls = [line.strip() for line in sys.stdin if line.strip()]
    t0, c0 = time.monotonic(), time.process_time()
    ops = failed = 0
    first_error = ""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for fut in [pool.submit(host_work, u) for u in urls]:
            try:
                n, _ = fut.result()
                ops += n
            except Exception as e:  # one host's failure is counted, the others go on
                failed += 1
                first_error = first_error or repr(e)[:200]
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("wall=%.3f cpu=%.3f ops=%d failed=%d peak_rss_kb=%d error=%s"
          % (wall, cpu, ops, failed, rss, first_error.replace(" ", "_")))


if __name__ == "__main__":
    main()
