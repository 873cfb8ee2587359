#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""winrm/config tree: shape as on Windows, live settings, listeners (Get/Enumerate/Create/Put/Delete)."""

import os
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CAPTURES, CONFIG, NS, T, SimTestCase  # noqa: E402

CFG = "{%s}" % CONFIG
LISTENER = CONFIG + "/Listener"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def shape(elem):
    """Element names in document order, recursively (the structure without values)."""
    return [(e.tag.rpartition("}")[2], shape(e)) for e in elem]


class ConfigTest(SimTestCase):
    SIM_ARGS = ("--max-envelope-kb", "300", "--auth", "basic,negotiate", "--enum-timeout", "90000")

    def setUp(self):
        super().setUp()
        self.reset()

    def test_config_shaped_like_windows(self):
        r = self.c.get(CONFIG)
        self.assertEqual(r.status, 200, r.body)
        cfg = r.payload
        self.assertEqual(cfg.tag, CFG + "Config")
        recorded = os.path.join(FIXTURES, "test_wsman_update_envelope_size_4096.yml")
        if not os.path.exists(recorded):
            recorded = os.path.join(CAPTURES, "test_wsman_update_envelope_size_4096.yml")
        with open(recorded) as fh:
            text = fh.read()
        start = text.index("<cfg:Config")
        end = text.index("</cfg:Config>") + len("</cfg:Config>")
        real = ET.fromstring(text[start:end])
        self.assertEqual(shape(cfg), shape(real))
        self.assertEqual(cfg.find(CFG + "MaxEnvelopeSizekb").text, "300")
        svc = cfg.find(CFG + "Service")
        self.assertEqual(svc.find(CFG + "AllowUnencrypted").text, "true")
        self.assertEqual(svc.find(CFG + "EnumerationTimeoutms").text, "90000")
        self.assertEqual(svc.find(CFG + "Auth/" + CFG + "Basic").text, "true")
        self.assertEqual(svc.find(CFG + "Auth/" + CFG + "Negotiate").text, "true")
        self.assertEqual(svc.find(CFG + "Auth/" + CFG + "Kerberos").text, "false")

    def test_sub_trees(self):
        r = self.c.get(CONFIG + "/service")
        self.assertEqual(r.payload.tag, "{%s/service}Service" % CONFIG)
        r = self.c.get(CONFIG + "/client/auth")
        self.assertEqual(r.payload.tag, "{%s/client/auth}Auth" % CONFIG)
        r = self.c.get(CONFIG + "/winrs")
        self.assertEqual(r.status, 200)
        self.assertFault(self.c.get(CONFIG + "/nosuch"), 2150858811)

    def test_put_changes_running_service(self):
        body = '<cfg:Config xmlns:cfg="%s"><cfg:MaxEnvelopeSizekb>32</cfg:MaxEnvelopeSizekb></cfg:Config>' % CONFIG
        r = self.c.request(T + "Put", CONFIG, None, body)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.payload.find(CFG + "MaxEnvelopeSizekb").text, "32")
        # A request for more than the service allows gets at most 32 KiB now.
        r = self.c.enumerate("http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service",
                             "<w:OptimizeEnumeration/><w:MaxElements>25</w:MaxElements>", max_env=512000)
        self.assertFault(r, 2150858824)
        bad = '<cfg:Config xmlns:cfg="%s"><cfg:MaxEnvelopeSizekb>lots</cfg:MaxEnvelopeSizekb></cfg:Config>' % CONFIG
        self.assertFault(self.c.request(T + "Put", CONFIG, None, bad), 2150858773)
        unknown = '<cfg:Config xmlns:cfg="%s"><cfg:Frob>1</cfg:Frob></cfg:Config>' % CONFIG
        self.assertFault(self.c.request(T + "Put", CONFIG, None, unknown), 2150858773)

    def test_listeners(self):
        sel = [("Address", "*"), ("Transport", "HTTP")]
        r = self.c.get(LISTENER, sel)
        self.assertEqual(r.status, 200, r.body)
        lst = r.payload
        self.assertEqual(lst.tag, "{%s/listener}Listener" % CONFIG)
        self.assertEqual(lst.find("{%s/listener}Port" % CONFIG).text, str(self.sim.port))
        self.assertEqual(lst.find("{%s/listener}URLPrefix" % CONFIG).text, "wsman")
        self.assertFault(self.c.get(LISTENER, [("Address", "*")]), 2150858842)
        self.assertFault(self.c.get(LISTENER), 2150858842)
        body = ('<cfg:Listener xmlns:cfg="%s/listener"><cfg:Hostname>sim.example</cfg:Hostname></cfg:Listener>'
                % CONFIG)
        new = [("Address", "IP:127.0.0.2"), ("Transport", "HTTPS")]
        r = self.c.request(T + "Create", LISTENER, new, body)
        self.assertEqual(r.status, 200, r.body)
        sels = {s.get("Name"): s.text for s in r.findall(
            "s:Body/x:ResourceCreated/a:ReferenceParameters/w:SelectorSet/w:Selector")}
        self.assertEqual(sels, {"Address": "IP:127.0.0.2", "Transport": "HTTPS"})
        self.assertFault(self.c.request(T + "Create", LISTENER, new, body), 2150858803, "w:AlreadyExists")
        items = self.c.enumerate_all(LISTENER, "<w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>")
        self.assertEqual(len(items), 2)
        put = ('<cfg:Listener xmlns:cfg="%s/listener"><cfg:Enabled>false</cfg:Enabled></cfg:Listener>' % CONFIG)
        r = self.c.request(T + "Put", LISTENER, new, put)
        self.assertEqual(r.payload.find("{%s/listener}Enabled" % CONFIG).text, "false")
        r = self.c.request(T + "Delete", LISTENER, new)
        self.assertEqual(r.status, 200, r.body)
        self.assertFault(self.c.request(T + "Delete", LISTENER, new), 2150858752)
        self.assertEqual(len(self.c.enumerate_all(LISTENER, "<w:OptimizeEnumeration/>"
                                                            "<w:MaxElements>10</w:MaxElements>")), 1)
        self.assertEqual(NS["x"], "http://schemas.xmlsoap.org/ws/2004/09/transfer")


if __name__ == "__main__":
    unittest.main()
