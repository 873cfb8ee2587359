#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""SOAP envelopes: Identify, response shape, Windows' header checks and their faults."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simtest import ANON, CIMV2, NS, T, SimTestCase, envelope  # noqa: E402

IDENTIFY = ('<s:Envelope xmlns:s="%s" xmlns:wsmid="%s"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>'
            % (NS["s"], NS["wsmid"]))
SPOOLER = (CIMV2 + "Win32_Service", [("Name", "Spooler")])


class IdentifyTest(SimTestCase):
    def check_anonymous(self, r):
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Body/wsmid:IdentifyResponse/wsmid:ProductVendor"), "Microsoft Corporation")
        self.assertEqual(r.text("s:Body/wsmid:IdentifyResponse/wsmid:ProductVersion"), "OS: 0.0.0 SP: 0.0 Stack: 3.0")
        self.assertEqual(r.text("s:Body/wsmid:IdentifyResponse/wsmid:ProtocolVersion"), NS["w"])
        self.assertIsNone(r.find("s:Body/wsmid:IdentifyResponse/wsmid:SecurityProfiles"))

    def test_anonymous_path(self):
        self.check_anonymous(self.c.post(IDENTIFY, auth=False, path="/wsman-anon/identify"))

    def test_wsmanidentify_header(self):
        self.check_anonymous(self.c.post(IDENTIFY, auth=False, headers={"WSMANIDENTIFY": "unauthenticated"}))

    def test_authenticated(self):
        r = self.c.post(IDENTIFY)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.text("s:Body/wsmid:IdentifyResponse/wsmid:ProductVersion"),
                         "OS: 10.0.17763 SP: 0.0 Stack: 3.0")
        names = [e.text for e in r.findall("s:Body/wsmid:IdentifyResponse/wsmid:SecurityProfiles/"
                                           "wsmid:SecurityProfileName")]
        self.assertIn("http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic", names)
        self.assertTrue(r.body.startswith(b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                                          b'xml:lang="en-US"><s:Header/>'))

    def test_identify_without_auth_on_main_path_is_401(self):
        self.assertEqual(self.c.post(IDENTIFY, auth=False).status, 401)


class EnvelopeShapeTest(SimTestCase):
    def test_get_response_header_like_windows(self):
        mid = "uuid:11111111-2222-3333-4444-555555555555"
        r = self.c.get(*SPOOLER, message_id=mid)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers and dict(r.headers)["Content-Type"], "application/soap+xml;charset=UTF-8")
        self.assertTrue(r.body.startswith(
            b'<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            b'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            b'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
            b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
            b'xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>'
            b'http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</a:Action><a:MessageID>uuid:'))
        self.assertEqual(r.text("s:Header/a:To"), ANON)
        self.assertEqual(r.text("s:Header/a:RelatesTo"), mid)
        self.assertRegex(r.text("s:Header/a:MessageID"), r"^uuid:[0-9A-F-]{36}$")

    def test_fault_layout(self):
        r = self.c.get(CIMV2 + "Win32_Service", [("Name", "NoSuchService")])
        self.assertFault(r, 2150858752, "a:DestinationUnreachable")
        self.assertEqual(r.text("s:Header/a:Action"), "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault")
        self.assertEqual(r.text("s:Body/s:Fault/s:Code/s:Value"), "s:Sender")
        self.assertTrue(r.text("s:Body/s:Fault/s:Reason/s:Text").endswith(" "))
        self.assertEqual(r.find("s:Body/s:Fault/s:Reason/s:Text").get("{http://www.w3.org/XML/1998/namespace}lang"),
                         "en-US")
        pf = r.find("s:Body/s:Fault/s:Detail/f:WSManFault/f:Message/f:ProviderFault")
        self.assertEqual(pf.get("provider"), "WMI Provider")
        self.assertEqual(pf.get("path"), "%systemroot%\\system32\\WsmWmiPl.dll")
        self.assertEqual(pf.find("f:WSManFault", NS).get("Code"), "2150858752")
        self.assertEqual(pf.find("f:ExtendedError/me:MSFT_WmiError/me:error_Code", NS).text, "2147749890")
        self.assertEqual(r.find("s:Body/s:Fault/s:Detail/f:WSManFault").get("Machine"), "127.0.0.1")


class HeaderChecksTest(SimTestCase):
    def req(self, **kw):
        return self.c.post(envelope(self.sim.url, T + "Get", *SPOOLER, **kw))

    def test_missing_headers(self):
        for kw in ({"to": False}, {"reply_to": False}, {"message_id": ""}):
            r = self.req(**kw)
            self.assertFault(r, 2150858769, "a:MessageInformationHeaderRequired")
        r = self.c.post(envelope(self.sim.url, None, *SPOOLER))
        self.assertFault(r, 2150858769, "a:MessageInformationHeaderRequired")
        r = self.c.post(envelope(self.sim.url, T + "Get", None))
        self.assertFault(r, 2150858769, "a:MessageInformationHeaderRequired")

    def test_reply_to_must_be_anonymous(self):
        xml = envelope(self.sim.url, T + "Get", *SPOOLER).replace(ANON, "http://client.example/replies")
        r = self.c.post(xml)
        self.assertFault(r, 2150858818, "w:UnsupportedFeature")

    def test_unknown_must_understand_header(self):
        r = self.req(extra='<z:Custom xmlns:z="urn:example" s:mustUnderstand="true">1</z:Custom>')
        self.assertEqual(r.status, 500)
        self.assertEqual(r.text("s:Body/s:Fault/s:Code/s:Value"), "s:MustUnderstand")
        nu = r.find("s:Header/s:NotUnderstood")
        self.assertIsNotNone(nu)
        self.assertEqual(nu.get("qname"), "nu:Custom")
        self.assertEqual(r.wsman_code, 2150858768)
        ok = self.req(extra='<z:Custom xmlns:z="urn:example" s:mustUnderstand="false">1</z:Custom>')
        self.assertEqual(ok.status, 200)

    def test_locale_must_understand_true(self):
        xml = envelope(self.sim.url, T + "Get", *SPOOLER).replace(
            '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>',
            '<w:Locale xml:lang="en-US" s:mustUnderstand="true"/>')
        self.assertFault(self.c.post(xml), 2150858818, "w:UnsupportedFeature")

    def test_max_envelope_size_minimum(self):
        self.assertFault(self.req(max_env=8191), 2150858805, "w:EncodingLimit")
        self.assertEqual(self.req(max_env=8192).status, 200)

    def test_reply_larger_than_max_envelope(self):
        self.assertEqual(self.c.get(*SPOOLER, max_env=8192).status, 200)
        r = self.c.enumerate(CIMV2 + "Win32_Service", "<w:OptimizeEnumeration/><w:MaxElements>25</w:MaxElements>",
                             max_env=8192)
        self.assertFault(r, 2150858824, "w:EncodingLimit")
        self.assertEqual(r.text("s:Body/s:Fault/s:Detail/w:FaultDetail"),
                         "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize")

    def test_operation_timeout(self):
        r = self.req(timeout="PT-1S")
        self.assertFault(r, 2150858767, "a:InvalidMessageInformationHeader")
        self.assertEqual(r.text("s:Body/s:Fault/s:Detail/f:WSManFault/f:Message"),
                         "The WS-Management service cannot process the request. The XML contains an invalid timeout "
                         "field in the SOAP header: PT-1S. ")
        for good in ("PT60.000S", "PT1M", "P0DT0H0M5S", "PT0.5S"):
            self.assertEqual(self.req(timeout=good).status, 200, good)
        for bad in ("60", "PT", "P1X", "-PT5S"):
            self.assertFault(self.req(timeout=bad), 2150858767)

    def test_unknown_resource(self):
        r = self.c.get("http://schemas.microsoft.com/wbem/wsman/1/nosuchplugin")
        self.assertFault(r, 2150858811, "a:DestinationUnreachable")
        self.assertIn("was not found in the WS-Management catalog",
                      r.text("s:Body/s:Fault/s:Detail/f:WSManFault/f:Message"))
        r = self.c.get(CIMV2 + "Win32_NoSuchClass")
        self.assertFault(r, 2150858811, "a:DestinationUnreachable")

    def test_action_not_supported(self):
        r = self.c.request("http://schemas.xmlsoap.org/ws/2004/09/transfer/Frobnicate", *SPOOLER)
        self.assertFault(r, 2150858771, "a:ActionNotSupported")
        r = self.c.request(T + "Delete", *SPOOLER)
        self.assertFault(r, 2150858771, "a:ActionNotSupported")

    def test_malformed_and_dtd_requests(self):
        r = self.c.post("<s:Envelope xmlns:s='%s'><s:Header>" % NS["s"])
        self.assertFault(r, 2150858819)
        dtd = '<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY a "aaaa">]>' + envelope(
            self.sim.url, T + "Get", *SPOOLER)
        self.assertFault(self.c.post(dtd), 2150858819)
        r = self.c.post("<notsoap/>")
        self.assertFault(r, 2150858817, "w:SchemaValidationError")


if __name__ == "__main__":
    unittest.main()
