#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""WMI plug-in: typed Get output, selectors and their faults, fragments, Put, Create, Delete, Invoke."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import CIMV2, NS, T, SimTestCase  # noqa: E402

SVC = CIMV2 + "Win32_Service"
PROC = CIMV2 + "Win32_Process"
ENV = CIMV2 + "Win32_Environment"
NAC = CIMV2 + "Win32_NetworkAdapterConfiguration"
CPU = CIMV2 + "Win32_Processor"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"


def frag(expr):
    return '<w:FragmentTransfer s:mustUnderstand="true">%s</w:FragmentTransfer>' % expr


class GetTest(SimTestCase):
    def setUp(self):
        super().setUp()
        self.reset()

    def test_get_service_typed(self):
        r = self.c.get(SVC, [("Name", "winmgmt")])   # selector values are case-insensitive
        self.assertEqual(r.status, 200, r.body)
        inst = r.payload
        self.assertEqual(inst.tag, "{%s}Win32_Service" % SVC)
        self.assertIn(b'<p:Win32_Service xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/'
                      b'Win32_Service" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" '
                      b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">', r.body)
        self.assertEqual(self.prop(inst, "Name"), "Winmgmt")
        self.assertEqual(self.prop(inst, "Started"), "true")
        self.assertEqual(inst.find("{%s}InstallDate" % SVC).get("{%s}nil" % NS["xsi"]), "true")
        names = [e.tag.rpartition("}")[2] for e in inst if e.tag.startswith("{%s}" % SVC)]
        self.assertEqual(names, sorted(names, key=str.lower))
        loc = inst.find("cim:Location", NS)
        self.assertEqual(loc.find("a:ReferenceParameters/w:ResourceURI", NS).text, SVC)
        sel = loc.find("a:ReferenceParameters/w:SelectorSet/w:Selector", NS)
        self.assertEqual((sel.get("Name"), sel.text), ("Name", "Winmgmt"))
        self.assertIs(inst[-1], loc)

    def test_resource_uri_and_selector_names_case_insensitive(self):
        r = self.c.get(CIMV2.upper().replace("HTTP://", "http://") + "WIN32_SERVICE", [("NAME", "SPOOLER")])
        self.assertEqual(r.status, 200, r.body)

    def test_every_cim_type(self):
        r = self.c.get(CIMV2 + "Sim_NumericTypes", [("Id", "1")])
        self.assertEqual(r.status, 200, r.body)
        inst = r.payload
        p = lambda n: self.prop(inst, n)  # noqa: E731
        self.assertEqual((p("U8"), p("S8"), p("U16"), p("S16")), ("255", "-128", "65535", "-32768"))
        self.assertEqual((p("U32"), p("S32")), ("4294967295", "-2147483648"))
        self.assertEqual((p("U64"), p("S64")), ("18446744073709551615", "-9223372036854775808"))
        self.assertEqual((p("R32"), p("R64"), p("C16"), p("Flag")), ("1.5", "-2.25e-10", "65", "true"))
        self.assertEqual(p("Text"), '<xml & "quotes">')
        self.assertEqual(inst.find("{%sSim_NumericTypes}When/cim:Datetime" % CIMV2, NS).text, "2024-01-01T10:00:00Z")
        self.assertEqual(inst.find("{%sSim_NumericTypes}Span/cim:Interval" % CIMV2, NS).text, "P1DT2H3M4S")
        self.assertEqual([e.text for e in inst.findall("{%sSim_NumericTypes}Numbers" % CIMV2)], ["1", "-2", "3"])

    def test_arrays_and_datetimes(self):
        r = self.c.get(NAC, [("Index", "1")])
        self.assertEqual(r.status, 200, r.body)
        dns = [e.text for e in r.payload.findall("{%s}DNSServerSearchOrder" % NAC)]
        self.assertEqual(dns, ["10.0.0.2", "8.8.8.8"])
        self.assertEqual(r.payload.find("{%s}DHCPLeaseObtained/cim:Datetime" % NAC, NS).text, "2024-01-01T08:00:12Z")
        self.assertFault(self.c.get(NAC, [("Index", "one")]), 2150858844, "w:InvalidSelectors")

    def test_singleton(self):
        r = self.c.get(CIMV2 + "Win32_WMISetting")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.prop(r.payload, "LoggingLevel"), "1")
        self.assertIsNone(r.payload.find("cim:Location/a:ReferenceParameters/w:SelectorSet", NS))
        self.assertFault(self.c.get(CIMV2 + "Win32_WMISetting", [("Name", "x")]), 2150858843)

    def test_keyed_class_without_keys(self):
        r = self.c.get(CIMV2 + "Win32_QuotaSetting")
        self.assertFault(r, 2150859002)
        inner = r.find("s:Body/s:Fault/s:Detail/f:WSManFault/f:Message/f:ProviderFault/f:WSManFault")
        self.assertEqual(inner.get("Code"), "2150859002")
        self.assertTrue(inner.find("f:Message", NS).text.startswith(
            "The WinRM client cannot process the request. The resource URI is not valid: it does not contain keys, "
            "but the class selected is not a singleton."))

    def test_selector_faults(self):
        self.assertFault(self.c.get(SVC, [("Bogus", "x")]), 2150858843, "w:InvalidSelectors")
        self.assertFault(self.c.get(ENV, [("Name", "Path")]), 2150858842, "w:InvalidSelectors")
        self.assertFault(self.c.get(SVC, [("Name", "a"), ("name", "b")]), 2150858847, "w:InvalidSelectors")
        r = self.c.get(ENV, [("Name", "path"), ("UserName", "<SYSTEM>".replace("<", "&lt;").replace(">", "&gt;"))])
        self.assertEqual(r.status, 200, r.body)

    def test_fragments(self):
        r = self.c.get(CPU, [("DeviceID", "CPU0")], extra=frag("NumberOfCores"))
        self.assertEqual(r.status, 200, r.body)
        xf = r.find("s:Body/w:XmlFragment")
        self.assertEqual([(e.tag, e.text) for e in xf], [("NumberOfCores", "2")])
        r = self.c.get(CPU, [("DeviceID", "CPU0")], extra=frag("NumberOfLogicalProcessors/text()"))
        self.assertEqual(r.text("s:Body/w:XmlFragment"), "4")
        r = self.c.get(NAC, [("Index", "1")], extra=frag("DNSServerSearchOrder[2]"))
        self.assertEqual([e.text for e in r.find("s:Body/w:XmlFragment")], ["8.8.8.8"])
        r = self.c.get(NAC, [("Index", "1")], extra=frag("DNSServerSearchOrder"))
        self.assertEqual([e.text for e in r.find("s:Body/w:XmlFragment")], ["10.0.0.2", "8.8.8.8"])
        r = self.c.get(SVC, [("Name", "Spooler")], extra=frag("/Win32_Service/Name"))
        self.assertEqual(r.find("s:Body/w:XmlFragment/Name").text, "Spooler")
        r = self.c.get(SVC, [("Name", "Spooler")], extra=frag("Status/text()"))
        self.assertEqual(r.text("s:Body/w:XmlFragment"), "OK")
        self.assertFault(self.c.get(SVC, [("Name", "Spooler")], extra=frag("/Win32_SERVICE/Name")), 2150859042)
        self.assertFault(self.c.get(SVC, [("Name", "Spooler")], extra=frag("name")), 2150859042)
        self.assertFault(self.c.get(SVC, [("Name", "Spooler")], extra=frag("")), 2150859017)
        bad = '<w:FragmentTransfer s:mustUnderstand="false">Name</w:FragmentTransfer>'
        self.assertFault(self.c.get(SVC, [("Name", "Spooler")], extra=bad), 2150858767)


class ChangeTest(SimTestCase):
    def setUp(self):
        super().setUp()
        self.reset()

    def test_put_singleton_then_get(self):
        body = ('<p:Win32_WMISetting xmlns:p="%sWin32_WMISetting"><p:LoggingLevel>2</p:LoggingLevel>'
                "</p:Win32_WMISetting>" % CIMV2)
        r = self.c.request(T + "Put", CIMV2 + "Win32_WMISetting", None, body)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Header/a:Action"), T + "PutResponse")
        self.assertEqual(self.prop(r.payload, "LoggingLevel"), "2")
        self.assertEqual(self.prop(self.c.get(CIMV2 + "Win32_WMISetting").payload, "LoggingLevel"), "2")
        self.reset()
        self.assertEqual(self.prop(self.c.get(CIMV2 + "Win32_WMISetting").payload, "LoggingLevel"), "1")

    def test_put_faults(self):
        wrong_root = '<p:Win32_Services xmlns:p="%s"><p:Description>x</p:Description></p:Win32_Services>' % SVC
        self.assertFault(self.c.request(T + "Put", SVC, [("Name", "Spooler")], wrong_root), 2150858773,
                         "x:InvalidRepresentation")
        key_change = '<p:Win32_Service xmlns:p="%s"><p:Name>Other</p:Name></p:Win32_Service>' % SVC
        self.assertFault(self.c.request(T + "Put", SVC, [("Name", "Spooler")], key_change), 2150858773)
        bad_type = '<p:Win32_Service xmlns:p="%s"><p:AcceptPause>maybe</p:AcceptPause></p:Win32_Service>' % SVC
        self.assertFault(self.c.request(T + "Put", SVC, [("Name", "Spooler")], bad_type), 2150858773)
        ok = '<p:Win32_Service xmlns:p="%s"><p:Name>spooler</p:Name><p:Description>New</p:Description>' \
             "</p:Win32_Service>" % SVC
        r = self.c.request(T + "Put", SVC, [("Name", "Spooler")], ok)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.prop(self.c.get(SVC, [("Name", "Spooler")]).payload, "Description"), "New")

    def test_fragment_put(self):
        body = "<w:XmlFragment><Description>Fragment value</Description></w:XmlFragment>"
        r = self.c.request(T + "Put", SVC, [("Name", "W32Time")], body, extra=frag("Description"))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.find("s:Body/w:XmlFragment/Description").text, "Fragment value")
        body = "<w:XmlFragment>1.1.1.1</w:XmlFragment>"
        r = self.c.request(T + "Put", NAC, [("Index", "1")], body, extra=frag("DNSServerSearchOrder[1]/text()"))
        self.assertEqual(r.status, 200, r.body)
        r = self.c.get(NAC, [("Index", "1")])
        self.assertEqual([e.text for e in r.payload.findall("{%s}DNSServerSearchOrder" % NAC)], ["1.1.1.1", "8.8.8.8"])
        self.assertEqual(self.prop(self.c.get(SVC, [("Name", "W32Time")]).payload, "Description"), "Fragment value")

    def test_create_get_delete_environment(self):
        body = ('<p:Win32_Environment xmlns:p="%s"><p:Name>SIM_VAR</p:Name><p:UserName>&lt;SYSTEM&gt;</p:UserName>'
                "<p:VariableValue>42</p:VariableValue></p:Win32_Environment>" % ENV)
        r = self.c.request(T + "Create", ENV, None, body)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Header/a:Action"), T + "CreateResponse")
        rc = r.find("s:Body/x:ResourceCreated")
        self.assertEqual(rc.find("a:Address", NS).text, self.sim.url)
        self.assertEqual(rc.find("a:ReferenceParameters/w:ResourceURI", NS).text, ENV)
        sels = {s.get("Name"): s.text for s in rc.findall("a:ReferenceParameters/w:SelectorSet/w:Selector", NS)}
        self.assertEqual(sels, {"Name": "SIM_VAR", "UserName": "<SYSTEM>"})
        got = self.c.get(ENV, [("Name", "sim_var"), ("UserName", "&lt;SYSTEM&gt;")])
        self.assertEqual(self.prop(got.payload, "VariableValue"), "42")
        self.assertFault(self.c.request(T + "Create", ENV, None, body), 2150858803, "w:AlreadyExists")
        r = self.c.request(T + "Delete", ENV, [("Name", "SIM_VAR"), ("UserName", "&lt;SYSTEM&gt;")])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Header/a:Action"), T + "DeleteResponse")
        self.assertEqual(len(r.find("s:Body")), 0)
        self.assertFault(self.c.get(ENV, [("Name", "SIM_VAR"), ("UserName", "&lt;SYSTEM&gt;")]), 2150858752)

    def test_service_start_stop(self):
        sel = [("Name", "W32Time")]
        r = self.c.invoke(SVC, "StopService", selectors=sel)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Header/a:Action"), SVC + "/StopServiceResponse")
        self.assertEqual(r.payload.tag, "{%s}StopService_OUTPUT" % SVC)
        self.assertEqual(self.prop(r.payload, "ReturnValue"), "0")
        got = self.c.get(SVC, sel).payload
        self.assertEqual((self.prop(got, "State"), self.prop(got, "Started"), self.prop(got, "ProcessId")),
                         ("Stopped", "false", "0"))
        self.assertEqual(self.prop(self.c.invoke(SVC, "StopService", selectors=sel).payload, "ReturnValue"), "5")
        self.assertEqual(self.prop(self.c.invoke(SVC, "StartService", selectors=sel).payload, "ReturnValue"), "0")
        got = self.c.get(SVC, sel).payload
        self.assertEqual(self.prop(got, "State"), "Running")
        self.assertNotEqual(self.prop(got, "ProcessId"), "0")
        self.assertEqual(self.prop(self.c.invoke(SVC, "StartService", selectors=sel).payload, "ReturnValue"), "10")
        disabled = self.c.invoke(SVC, "StartService", selectors=[("Name", "RemoteRegistry")])
        self.assertEqual(self.prop(disabled.payload, "ReturnValue"), "14")
        deps = self.c.invoke(SVC, "StopService", selectors=[("Name", "HTTP")])
        self.assertEqual(self.prop(deps.payload, "ReturnValue"), "3")

    def test_process_create(self):
        params = "<p:CommandLine>notepad.exe</p:CommandLine><p:CurrentDirectory>C:\\</p:CurrentDirectory>"
        r = self.c.invoke(PROC, "Create", params)
        self.assertEqual(r.status, 200, r.body)
        out = r.payload
        self.assertEqual(out.tag, "{%s}Create_OUTPUT" % PROC)
        self.assertEqual([e.tag.rpartition("}")[2] for e in out], ["ProcessId", "ReturnValue"])
        pid = self.prop(out, "ProcessId")
        self.assertEqual(self.prop(out, "ReturnValue"), "0")
        got = self.c.get(PROC, [("Handle", pid)])
        self.assertEqual(self.prop(got.payload, "Name"), "notepad.exe")
        r = self.c.invoke(PROC, "Terminate", "<p:Reason>0</p:Reason>", selectors=[("Handle", pid)])
        self.assertEqual(self.prop(r.payload, "ReturnValue"), "0")
        self.assertFault(self.c.get(PROC, [("Handle", pid)]), 2150858752)

    def test_invoke_faults(self):
        body = '<p:Create_Input xmlns:p="%s"><p:CommandLine>calc.exe</p:CommandLine></p:Create_Input>' % PROC
        r = self.c.request(PROC + "/Create", PROC, None, body)
        self.assertFault(r, 2150858810, "w:InvalidParameter")
        r = self.c.request(PROC + "/Create", PROC, None, "")
        self.assertFault(r, 2150858810, "w:InvalidParameter")
        r = self.c.invoke(PROC, "Create", "<p:NoSuchParam>1</p:NoSuchParam>")
        self.assertFault(r, 2150858810)
        r = self.c.invoke(SVC, "Frobnicate", selectors=[("Name", "Spooler")])
        self.assertFault(r, 2150858771, "a:ActionNotSupported")
        self.assertFault(self.c.invoke(SVC, "StartService"), 2150859002)


if __name__ == "__main__":
    unittest.main()
