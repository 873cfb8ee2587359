# SPDX-License-Identifier: MIT
"""WS-Management faults with Windows' codes, subcodes and texts (wsmerror.h, real recordings).

A handler raises ``WSManFault``; the server renders it as an HTTP 500 SOAP fault shaped like
Windows' (s:Code/s:Subcode/s:Reason, s:Detail with w:FaultDetail and f:WSManFault, optionally a
f:ProviderFault with a nested f:WSManFault and f:ExtendedError/p:MSFT_WmiError).
"""

from xml.sax.saxutils import escape

from . import ns

WMI_PROVIDER = ("WMI Provider", "%systemroot%\\system32\\WsmWmiPl.dll")
CONFIG_PROVIDER = ("Config provider", "%systemroot%\\system32\\WsmSvc.dll")
SIM_PROVIDER = ("Simulator control", "spec/sim/winrm-sim")

# symbol: (HRESULT, "Sender"/"Receiver", subcode, FaultDetail suffix or None, text)
# Texts are the wsmerror.h message texts; Windows sends them followed by one space.
CATALOG = {
    "RESOURCE_NOT_FOUND": (0x80338000, "Sender", "a:DestinationUnreachable", None,
                           "The WS-Management service cannot process the request. The service cannot find the "
                           "resource identified by the resource URI and selectors."),
    "PROVIDER_FAILURE": (0x80338003, "Receiver", "w:InternalError", None,
                         "An error was encountered inside the plugin."),
    "INVALID_RESOURCE_URI": (0x8033803B, "Sender", "a:DestinationUnreachable", "InvalidResourceURI",
                             "The WS-Management service cannot process the request. The resource URI is missing or "
                             "it has an incorrect format. Check the documentation or use the following command for "
                             "information on how to construct a resource URI: \"winrm help uris\"."),
    "INVALID_MESSAGE_INFORMATION_HEADER": (0x8033800F, "Sender", "a:InvalidMessageInformationHeader", None,
                                           "The WS-Management service cannot process the request. The request "
                                           "contains one or more invalid SOAP headers."),
    "MUST_UNDERSTAND": (0x80338010, "MustUnderstand", None, None,
                        "The WS-Management service cannot process a SOAP header in the request that is marked as "
                        "mustUnderstand by the client.  This could be caused by the use of a version of the protocol "
                        "which is not supported, or may be an incompatibility  between the client and server "
                        "implementations."),
    "MESSAGE_INFORMATION_HEADER_REQUIRED": (0x80338011, "Sender", "a:MessageInformationHeaderRequired", None,
                                            "The WS-Management service cannot process the request. The request "
                                            "does not have all the expected SOAP headers."),
    "ACTION_NOT_SUPPORTED": (0x80338013, "Sender", "a:ActionNotSupported", "ActionMismatch",
                             "The WS-Management service does not support the action specified in the request."),
    "INVALID_REPRESENTATION": (0x80338015, "Sender", "x:InvalidRepresentation", "InvalidValues",
                               "The WS-Management service cannot identify the format of the object passed to a Put "
                               "or Create method. The input XML may not be appropriate for the resource or uses the "
                               "wrong schema for the resource. Change the input XML in the request."),
    "UNSUPPORTED_EXPIRATION_TIME": (0x80338017, "Sender", "w:UnsupportedFeature", "ExpirationTime",
                                    "The data source does not support expiration time. Remove the expiration time "
                                    "from the request and try the request again."),
    "INVALID_XML_NAMESPACE": (0x80338058, "Sender", "x:InvalidRepresentation", "InvalidNamespace",
                              "The WS-Management service cannot identify the format of the object passed to a Put or "
                              "Create method. The XML namespace for the input XML is invalid. Change the XML "
                              "namespace for the input XML in the request."),
    "FILTER_DIALECT_UNAVAILABLE": (0x80338019, "Sender", "n:FilterDialectRequestedUnavailable", None,
                                   "The filter dialect (the type associated with the filter) was not supported for "
                                   "this resource. Change the filter dialect or remove it from the request and try "
                                   "the request again."),
    "CANNOT_PROCESS_FILTER": (0x8033801A, "Sender", "n:CannotProcessFilter", None,
                              "The data source could not process the filter. The filter might be missing or it might "
                              "be invalid. Change the filter and try the request again. "),
    "INVALID_ENUMERATION_CONTEXT": (0x8033801B, "Receiver", "n:InvalidEnumerationContext", None,
                                    "The WS-Enumeration context in the enumeration is not valid. Enumeration may have "
                                    "been completed or canceled. You cannot use this enumeration context anymore. "
                                    "Start a new enumeration."),
    "INVALID_SOAP_BODY": (0x80338027, "Sender", "w:InvalidBody", None,
                          "The WS-Management service cannot process the request because the request packet does not "
                          "have a valid SOAP body."),
    "OPERATION_TIMEDOUT": (0x80338029, "Receiver", "w:TimedOut", None,
                           "The WS-Management service cannot complete the operation within the time specified in "
                           "OperationTimeout. "),
    "ALREADY_EXISTS": (0x80338033, "Sender", "w:AlreadyExists", None,
                       "The WS-Management service cannot create the resource because it already exists."),
    "ENCODING_LIMIT": (0x80338035, "Sender", "w:EncodingLimit", "MaxEnvelopeSize",
                       "The WS-Management service cannot process the request because the encoding of the request "
                       "exceeds an internal encoding limit. Reconfigure the client to send messages which fit the "
                       "encoding limits of the service."),
    "INVALID_OPTIONS": (0x80338039, "Sender", "w:InvalidOptions", None,
                        "The WS-Management service cannot process the request because one or more options are not "
                        "valid. The option names or values may not be valid or they are used in incorrect "
                        "combinations. Retrieve the catalog entry for the resource and determine how to correct the "
                        "invalid option values."),
    "INVALID_PARAMETER": (0x8033803A, "Sender", "w:InvalidParameter", None,
                          "The WS-Management service cannot process the request because a parameter for the "
                          "operation is not valid."),
    "SCHEMA_VALIDATION_ERROR": (0x80338041, "Sender", "w:SchemaValidationError", None,
                                "The SOAP XML in the message does not match the corresponding XML schema definition. "
                                "Change the XML and retry."),
    "UNSUPPORTED_FEATURE": (0x80338042, "Sender", "w:UnsupportedFeature", None,
                            "The WS-Management service does not support the specified feature. Remove the "
                            "unsupported feature from the request and retry."),
    "INVALID_XML": (0x80338043, "Sender", "w:SchemaValidationError", None,
                    "The WS-Management service cannot process the request because the XML is invalid."),
    "MAX_ENVELOPE_SIZE_EXCEEDED": (0x80338048, "Sender", "w:EncodingLimit", "MaxEnvelopeSize",
                                   "The response that the WS-Management service computed exceeds the maximum "
                                   "envelope size in the request."),
    "INVALID_XML_FRAGMENT": (0x80338059, "Sender", "w:InvalidParameter", "InvalidValue",
                             "The WS-Management service cannot process the request because an XML fragment in the "
                             "URI is invalid."),
    "INSUFFICIENT_SELECTORS": (0x8033805A, "Sender", "w:InvalidSelectors", "InsufficientSelectors",
                               "The WS-Management service cannot process the request because the request did not "
                               "contain all required selectors."),
    "UNEXPECTED_SELECTORS": (0x8033805B, "Sender", "w:InvalidSelectors", "UnexpectedSelectors",
                             "The WS-Management service cannot process the request because the request contained "
                             "invalid selectors for the resource."),
    "SELECTOR_TYPEMISMATCH": (0x8033805C, "Sender", "w:InvalidSelectors", "TypeMismatch",
                              "The WS-Management service cannot process the request because a value for a selector "
                              "is of the wrong type."),
    "INVALID_SELECTOR_VALUE": (0x8033805D, "Sender", "w:InvalidSelectors", "InvalidValue",
                               "The WS-Management service cannot process the request because a value for the "
                               "selector is invalid."),
    "DUPLICATE_SELECTORS": (0x8033805F, "Sender", "w:InvalidSelectors", "DuplicateSelectors",
                            "The WS-Management service cannot process the request because the request contains "
                            "duplicate selectors."),
    "INVALID_URI_WMI_SINGLETON": (0x803380FA, "Sender", "w:InvalidSelectors", "InsufficientSelectors",
                                  "The WinRM client cannot process the request. The resource URI is not valid: it "
                                  "does not contain keys, but the class selected is not a singleton. To access an "
                                  "instance which is not a singleton, keys must be provided. Use the following "
                                  "command to get more information in how to construct a resource URI: "
                                  "\"winrm help uris\"."),
    "INVALID_URI_WMI_ENUM_WQL": (0x803380FB, "Sender", "w:InvalidSelectors", None,
                                 "The WinRM client cannot process the request. The resource URI for an enumeration "
                                 "operation with WQL filter must not contain keys and the class name must be '*' "
                                 "(star). Use the following command to get more information in how to construct a "
                                 "resource URI: \"winrm help uris\"."),
    "ENUMERATE_WMI_INVALID_KEY": (0x80338108, "Sender", "w:InvalidSelectors", "UnexpectedSelectors",
                                  "The WS-Management service cannot process the request. The resource URI for an "
                                  "Enumerate operation must not contain keys."),
    "INVALID_FRAGMENT_PATH_BLANK": (0x80338109, "Sender", "w:InvalidParameter", None,
                                    "Cannot execute the Fragment-Level operation because the fragment path contains "
                                    "either \"\" (blank or empty string) or NULL. Change the value of the fragment "
                                    "path and try the request again."),
    "WMI_PROVIDER_INVALID_PARAMETER": (0x8033811E, "Sender", "w:InvalidParameter", None,
                                       "The WS-Management service cannot process the request. The WMI provider "
                                       "returned an 'invalid parameter' error."),
    "CANNOT_PROCESS_FRAGMENT": (0x80338122, "Sender", "w:CannotProcessFilter", None,
                                "The data source could not process the filter. The filter might be missing, invalid "
                                "or too complex to process. If a service only supports a subset of a filter dialect "
                                "(such as XPath level 1), it may return this fault for valid filter expressions "
                                "outside of the supported subset. Change the filter and try the request again. "),
    "POLYMORPHISM_MODE_UNSUPPORTED": (0x80338137, "Sender", "w:UnsupportedFeature", None,
                                      "The WS-Management service does not support the specified polymorphism mode. "
                                      "Try changing the polymorphism mode specified, and try again."),
    "ACCESS_DENIED": (5, "Sender", "w:AccessDenied", None, "Access is denied."),
}


class WmiError:
    """The WMI error a WMI plug-in fault carries (rendered as f:ExtendedError/p:MSFT_WmiError)."""

    # name: (WMI HRESULT, CIM status code, WMI message text)
    KINDS = {
        "not_found": (0x80041002, 6, "Not found"),
        "invalid_class": (0x80041010, 5, "The specified class does not exist in the given namespace."),
        "invalid_query": (0x80041017, 15, "The query was not syntactically valid."),
        "invalid_parameter": (0x80041008, 4, "Invalid parameter"),
        "invalid_method": (0x80041055, 17, "Method not implemented"),
        "already_exists": (0x80041019, 11, "The object already exists."),
        "not_supported": (0x8004100C, 7, "This feature or operation is not supported."),
        "invalid_method_parameters": (0x80041034, 4, "Invalid method Parameter(s)"),
        "read_only": (0x80041024, 4, "The property cannot be changed because it is a key or read-only property."),
    }

    def __init__(self, kind, operation="", parameter=""):
        self.code, self.cim_status, self.text = self.KINDS[kind]
        self.operation = operation
        self.parameter = parameter

    def render(self):
        x = (
            '<p:MSFT_WmiError b:IsCIM_Error="true" xmlns:b="%s" xmlns:p="%s" xmlns:cim="%s" xmlns:xsi="%s" '
            'xsi:type="p:MSFT_WmiError_Type">' % (ns.WSMB, ns.MSFT_WMIERROR, ns.CIM, ns.XSI)
        )
        fields = [
            ("CIMStatusCode", "cimUnsignedInt", str(self.cim_status)),
            ("CIMStatusCodeDescription", "cimString", None),
            ("ErrorSource", "cimString", self.operation or None),
            ("ErrorSourceFormat", "cimUnsignedShort", "0"),
            ("ErrorType", "cimUnsignedShort", "0"),
            ("Message", "cimString", self.text + " "),
            ("MessageID", "cimString", "HRESULT 0x%08x" % self.code),
            ("OtherErrorSourceFormat", "cimString", None),
            ("OtherErrorType", "cimString", None),
            ("OwningEntity", "cimString", None),
            ("PerceivedSeverity", "cimUnsignedShort", "0"),
            ("ProbableCause", "cimUnsignedShort", "0"),
            ("ProbableCauseDescription", "cimString", None),
            ("error_Category", "cimUnsignedInt", "0"),
            ("error_Code", "cimUnsignedInt", str(self.code)),
            ("error_Type", "cimString", "HRESULT"),
            ("error_WindowsErrorMessage", "cimString", self.text + " "),
        ]
        for name, typ, value in fields:
            if value is None:
                x += '<p:%s xsi:type="cim:%s" xsi:nil="true"/>' % (name, typ)
            else:
                x += '<p:%s xsi:type="cim:%s">%s</p:%s>' % (name, typ, escape(value), name)
        return x + "</p:MSFT_WmiError>"


class WSManFault(Exception):
    """A SOAP fault to send back (HTTP 500)."""

    def __init__(self, symbol, message=None, *, reason=None, provider=None, wmi=None, detail=None,
                 code=None, not_understood=None, keep_context=False):
        hresult, kind, subcode, fdetail, text = CATALOG[symbol]
        super().__init__("%s: %s" % (symbol, message or text))
        self.symbol = symbol
        self.code = code if code is not None else hresult
        self.kind = kind
        self.subcode = subcode
        self.fault_detail = detail if detail is not None else fdetail
        self.reason = reason if reason is not None else text
        self.message = message if message is not None else text
        self.provider = provider
        self.wmi = wmi
        self.not_understood = not_understood  # (namespace, localname) for s:MustUnderstand
        self.keep_context = keep_context

    def action(self):
        if self.subcode is None:
            return ns.FAULT_ACTION["s"]
        return ns.FAULT_ACTION[self.subcode.split(":", 1)[0]]

    def render_body(self, machine):
        """The s:Fault element."""
        x = "<s:Fault><s:Code><s:Value>s:%s</s:Value>" % self.kind
        if self.subcode:
            x += "<s:Subcode><s:Value>%s</s:Value></s:Subcode>" % self.subcode
        x += '</s:Code><s:Reason><s:Text xml:lang="en-US">%s </s:Text></s:Reason><s:Detail>' % escape(self.reason)
        if self.fault_detail:
            detail = self.fault_detail
            if "://" not in detail:
                detail = ns.FAULT_DETAIL + detail
            x += "<w:FaultDetail>%s</w:FaultDetail>" % escape(detail)
        x += self._wsman_fault(machine)
        return x + "</s:Detail></s:Fault>"

    def _wsman_fault(self, machine):
        head = '<f:WSManFault xmlns:f="%s" Code="%d" Machine="%s">' % (ns.F, self.code, escape(machine, {'"': "&quot;"}))
        if not self.provider:
            return head + "<f:Message>%s </f:Message></f:WSManFault>" % escape(self.message)
        name, path = self.provider
        inner = head + "<f:Message>%s </f:Message></f:WSManFault>" % escape(self.message)
        if self.wmi is not None:
            inner += "<f:ExtendedError>%s</f:ExtendedError>" % self.wmi.render()
        return (head + '<f:Message><f:ProviderFault provider="%s" path="%s">%s</f:ProviderFault></f:Message>'
                "</f:WSManFault>" % (escape(name), escape(path), inner))


def wmi_fault(symbol, wmi_kind=None, message=None, operation="", parameter="", **kw):
    """A fault from the WMI plug-in: ProviderFault "WMI Provider" + optional MSFT_WmiError."""
    wmi = WmiError(wmi_kind, operation, parameter) if wmi_kind else None
    if message is None and wmi is not None and symbol in ("CANNOT_PROCESS_FILTER",):
        message = wmi.text
    return WSManFault(symbol, message, provider=WMI_PROVIDER, wmi=wmi, **kw)


def invalid_header(text):
    """a:InvalidMessageInformationHeader with a specific message (e.g. a bad OperationTimeout)."""
    return WSManFault("INVALID_MESSAGE_INFORMATION_HEADER",
                      "The WS-Management service cannot process the request. " + text)


def missing_header(name):
    return WSManFault("MESSAGE_INFORMATION_HEADER_REQUIRED",
                      "The WS-Management service cannot process the request. The request does not have all the "
                      "expected SOAP headers. The %s header is missing." % name)
