#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""WS-Enumeration: Enumerate/Pull/Release, modes, WQL, selector and association filters, expiry, limits."""

import os
import sys
import time
import unittest
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CIMV2, NS, WQL, Sim, SimTestCase  # noqa: E402

SVC = CIMV2 + "Win32_Service"
PROC = CIMV2 + "Win32_Process"
STAR = CIMV2 + "*"
SELECTOR = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
ASSOC = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"
WSMB = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
OPT = "<w:OptimizeEnumeration/><w:MaxElements>%d</w:MaxElements>"


def wql(query, optimize=100):
    return (OPT % optimize if optimize else "") + '<w:Filter Dialect="%s">%s</w:Filter>' % (WQL, escape(query))


def names(items, tag="Name"):
    out = []
    for i in items:
        e = [c for c in i if c.tag.rpartition("}")[2] == tag]
        out.append(e[0].text if e else None)
    return out


def assoc(kind, name, **fields):
    inner = "".join("<b:%s>%s</b:%s>" % (k, v, k) for k, v in fields.items())
    return ('<w:Filter Dialect="%s"><b:%s xmlns:b="%s"><b:Object><a:Address>%s</a:Address><a:ReferenceParameters>'
            '<w:ResourceURI>%s</w:ResourceURI><w:SelectorSet><w:Selector Name="Name">%s</w:Selector></w:SelectorSet>'
            "</a:ReferenceParameters></b:Object>%s</b:%s></w:Filter>"
            % (ASSOC, kind, WSMB, "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous", SVC, name,
               inner, kind))


class EnumerateTest(SimTestCase):
    SIM_ARGS = ("--processes", "250")

    def test_plain_enumerate_and_pull_with_rollover(self):
        r = self.c.enumerate(SVC)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Header/a:Action"), "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
                                                      "EnumerateResponse")
        ctx = r.text("s:Body/n:EnumerateResponse/n:EnumerationContext")
        self.assertTrue(ctx.startswith("uuid:"))
        self.assertIsNone(r.find("s:Body/n:EnumerateResponse/w:Items"))
        p1 = self.c.pull(SVC, ctx, 10)
        self.assertEqual(p1.status, 200, p1.body)
        ctx2 = p1.text("s:Body/n:PullResponse/n:EnumerationContext")
        self.assertNotEqual(ctx2, ctx)
        self.assertEqual(len(p1.find("s:Body/n:PullResponse/n:Items")), 10)
        old = self.c.pull(SVC, ctx, 10)
        self.assertFault(old, 2150858779, "n:InvalidEnumerationContext")
        self.assertEqual(old.text("s:Header/a:Action"), "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault")
        p2 = self.c.pull(SVC, ctx2, 100)
        self.assertIsNotNone(p2.find("s:Body/n:PullResponse/n:EndOfSequence"))
        self.assertIsNone(p2.find("s:Body/n:PullResponse/n:EnumerationContext"))
        self.assertEqual(len(p2.find("s:Body/n:PullResponse/n:Items")), 25 - 10)

    def test_optimized_and_counts(self):
        items = self.c.enumerate_all(SVC, OPT % 7, max_elements=7)
        self.assertEqual(len(items), 25)
        self.assertIn("Spooler", names(items))
        r = self.c.enumerate(SVC, OPT % 100)
        self.assertIsNotNone(r.find("s:Body/n:EnumerateResponse/w:EndOfSequence"))
        self.assertEqual(r.text("s:Body/n:EnumerateResponse/n:EnumerationContext"), "")
        # without MaxElements the optimized batch is one item
        r = self.c.enumerate(SVC, "<w:OptimizeEnumeration/>")
        self.assertEqual(len(r.find("s:Body/n:EnumerateResponse/w:Items")), 1)

    def test_large_generated_processes(self):
        items = self.c.enumerate_all(PROC, OPT % 50, max_elements=50)
        self.assertEqual(len(items), 15 + 250)

    def test_epr_modes(self):
        r = self.c.enumerate(SVC, OPT % 3 + "<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>")
        items = list(r.find("s:Body/n:EnumerateResponse/w:Items"))
        self.assertEqual([i.tag for i in items], ["{%s}EndpointReference" % NS["a"]] * 3)
        self.assertEqual(items[0].find("a:ReferenceParameters/w:ResourceURI", NS).text, SVC)
        self.assertEqual(items[0].find("a:ReferenceParameters/w:SelectorSet/w:Selector", NS).get("Name"), "Name")
        r = self.c.enumerate(SVC, OPT % 2 + "<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>")
        items = list(r.find("s:Body/n:EnumerateResponse/w:Items"))
        self.assertEqual([i.tag for i in items], ["{%s}Item" % NS["w"]] * 2)
        self.assertEqual([c.tag for c in items[0]], ["{%s}Win32_Service" % SVC, "{%s}EndpointReference" % NS["a"]])
        r = self.c.enumerate(SVC, "<w:EnumerationMode>Bogus</w:EnumerationMode>")
        self.assertFault(r, 2150858818)

    def test_wql(self):
        items = self.c.enumerate_all(STAR, wql("SELECT * FROM Win32_Service WHERE State = 'Running' AND "
                                               "StartMode='Auto'"))
        self.assertTrue(items)
        self.assertTrue(all(i.tag == "{%s}Win32_Service" % SVC for i in items))
        self.assertNotIn("W32Time", names(items))
        items = self.c.enumerate_all(STAR, wql("select Name, State from win32_service where name like 'W%'"))
        self.assertEqual(sorted(names(items)), ["W32Time", "WinDefend", "WinRM", "Winmgmt", "wuauserv"])
        self.assertEqual(items[0].tag, "{%s}XmlFragment" % NS["w"])
        self.assertEqual(sorted(c.tag for c in items[0]), ["Name", "State"])
        q = "SELECT * FROM Win32_NetworkAdapterConfiguration WHERE IpEnabled=TRUE"
        self.assertEqual(names(self.c.enumerate_all(STAR, wql(q)), "Index"), ["1"])
        q = "SELECT * FROM Win32_Share WHERE Name='Admin$'"
        self.assertEqual(names(self.c.enumerate_all(STAR, wql(q))), ["ADMIN$"])
        q = "SELECT * FROM Win32_Service WHERE NOT (ProcessId = 0 OR ProcessId > 2000) AND Name <> 'RpcSs'"
        self.assertNotIn("RpcSs", names(self.c.enumerate_all(STAR, wql(q))))
        q = "SELECT * FROM Win32_Process WHERE CommandLine IS NULL"
        self.assertEqual(sorted(names(self.c.enumerate_all(STAR, wql(q)))), ["Registry", "System",
                                                                             "System Idle Process"])
        q = "SELECT * FROM Win32_LogicalDisk WHERE Size IS NOT NULL AND FreeSpace >= 1000"
        self.assertEqual(names(self.c.enumerate_all(STAR, wql(q)), "DeviceID"), ["C:"])
        q = 'SELECT * FROM Win32_Service WHERE Name LIKE "_inRM" OR Name != "x" AND ProcessId <= -1'
        self.assertEqual(names(self.c.enumerate_all(STAR, wql(q))), ["WinRM"])

    def test_wql_faults(self):
        self.assertFault(self.c.enumerate(SVC, wql("SELECT * FROM Win32_Service")), 2150859003)
        self.assertFault(self.c.enumerate(STAR, wql("SELECT * FROM Win32_Service"), selectors=[("Name", "x")]),
                         2150859003)
        r = self.c.enumerate(STAR, wql("SELECT * FROM Win32_Processa"))
        self.assertFault(r, 2150858778, "n:CannotProcessFilter")
        inner = r.find("s:Body/s:Fault/s:Detail/f:WSManFault/f:Message/f:ProviderFault/f:WSManFault/f:Message")
        self.assertEqual(inner.text, "The specified class does not exist in the given namespace. ")
        for bad in ("SELECT FROM Win32_Service", "SELECT * Win32_Service", "SELECT * FROM Win32_Service WHERE",
                    "SELECT * FROM Win32_Service WHERE Bogus = 1", "SELECT Bogus FROM Win32_Service",
                    "SELECT * FROM Win32_Service WHERE (Name = 'x'"):
            self.assertFault(self.c.enumerate(STAR, wql(bad)), 2150858778)

    def test_selector_filter(self):
        f = ('<w:Filter Dialect="%s"><w:SelectorSet><w:Selector Name="StartMode">Manual</w:Selector>'
             '<w:Selector Name="State">stopped</w:Selector></w:SelectorSet></w:Filter>' % SELECTOR)
        items = self.c.enumerate_all(SVC, OPT % 50 + f)
        self.assertEqual(sorted(names(items)), ["BITS", "Netlogon", "TrustedInstaller", "wuauserv"])
        bad = f.replace("StartMode", "InstallDate")
        self.assertFault(self.c.enumerate(SVC, bad), 2150858778)

    def test_association_filter(self):
        items = self.c.enumerate_all(STAR, OPT % 50 + assoc("AssociatedInstances", "WinRM",
                                                            AssociationClassName="Win32_DependentService",
                                                            Role="Dependent", ResultClassName="Win32_Service",
                                                            ResultRole="Antecedent"))
        self.assertEqual(sorted(names(items)), ["HTTP", "RpcSs"])
        items = self.c.enumerate_all(STAR, OPT % 50 + assoc("AssociatedInstances", "RpcSs", Role="Antecedent"))
        self.assertIn("WinRM", names(items))
        self.assertNotIn("RpcEptMapper", names(items))
        items = self.c.enumerate_all(STAR, OPT % 50 + assoc("AssociationInstances", "WinRM",
                                                            ResultClassName="Win32_DependentService"))
        self.assertEqual(len(items), 2)
        self.assertEqual(items[0].tag, "{%sWin32_DependentService}Win32_DependentService" % CIMV2)
        ante = items[0].find("{%sWin32_DependentService}Antecedent" % CIMV2)
        self.assertEqual(ante.find("a:ReferenceParameters/w:ResourceURI", NS).text, SVC)
        spelled = assoc("AssociatedInstances", "WinRM").replace("associationFilter", "AssociationFilter")
        self.assertEqual(len(self.c.enumerate_all(STAR, OPT % 50 + spelled)), 2)

    def test_polymorphism_mode_refused(self):
        r = self.c.enumerate(SVC, '<b:PolymorphismMode xmlns:b="%s">None</b:PolymorphismMode>' % WSMB)
        self.assertFault(r, 2150859063)

    def test_release(self):
        r = self.c.enumerate(SVC)
        ctx = r.text("s:Body/n:EnumerateResponse/n:EnumerationContext")
        before = self.c.stats()["OpenEnumerations"]
        rel = self.c.request("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release", SVC, None,
                             "<n:Release><n:EnumerationContext>%s</n:EnumerationContext></n:Release>" % ctx)
        self.assertEqual(rel.status, 200, rel.body)
        self.assertEqual(len(rel.find("s:Body")), 0)
        self.assertEqual(self.c.stats()["OpenEnumerations"], before - 1)
        self.assertFault(self.c.pull(SVC, ctx), 2150858779)

    def test_envelope_limit_on_pull_keeps_context(self):
        r = self.c.enumerate(SVC)
        ctx = r.text("s:Body/n:EnumerateResponse/n:EnumerationContext")
        big = self.c.pull(SVC, ctx, 25, max_env=8192)
        self.assertFault(big, 2150858824, "w:EncodingLimit")
        small = self.c.pull(SVC, ctx, 2, max_env=8192)
        self.assertEqual(small.status, 200, small.body)
        self.assertEqual(len(small.find("s:Body/n:PullResponse/n:Items")), 2)


class ExpiryTest(SimTestCase):
    SIM_ARGS = ("--enum-timeout", "300", "--max-batch-items", "5")

    def test_idle_context_expires(self):
        r = self.c.enumerate(SVC)
        ctx = r.text("s:Body/n:EnumerateResponse/n:EnumerationContext")
        self.assertEqual(self.c.stats()["OpenEnumerations"], 1)
        time.sleep(0.5)
        self.assertEqual(self.c.stats()["OpenEnumerations"], 0)
        self.assertFault(self.c.pull(SVC, ctx), 2150858779, "n:InvalidEnumerationContext")

    def test_zero_timeout_expires_at_once(self):
        sim = Sim("--enum-timeout", "0")
        try:
            c = sim.client()
            r = c.enumerate(SVC, OPT % 2)
            ctx = r.text("s:Body/n:EnumerateResponse/n:EnumerationContext")
            self.assertFault(c.pull(SVC, ctx), 2150858779)
            c.close()
        finally:
            sim.stop()

    def test_max_batch_items_caps_pull(self):
        r = self.c.enumerate(SVC, OPT % 100)
        self.assertEqual(len(r.find("s:Body/n:EnumerateResponse/w:Items")), 5)
        ctx = r.text("s:Body/n:EnumerateResponse/n:EnumerationContext")
        p = self.c.pull(SVC, ctx, 100)
        self.assertEqual(len(p.find("s:Body/n:PullResponse/n:Items")), 5)
        self.c.request("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release", SVC, None,
                       "<n:Release><n:EnumerationContext>%s</n:EnumerationContext></n:Release>"
                       % p.text("s:Body/n:PullResponse/n:EnumerationContext"))


if __name__ == "__main__":
    unittest.main()
