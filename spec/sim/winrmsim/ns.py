# SPDX-License-Identifier: MIT
"""XML namespaces, prefixes and action URIs as Windows' WinRM service uses them."""

S = "http://www.w3.org/2003/05/soap-envelope"
A = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
X = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
E = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
N = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
W = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
P = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
F = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
WSMID = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
CIM = "http://schemas.dmtf.org/wbem/wscim/1/common"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSMB = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
XML = "http://www.w3.org/XML/1998/namespace"

# Response envelope prefixes, in the order Windows declares them.
PREFIXES = {"s": S, "a": A, "x": X, "e": E, "n": N, "w": W, "p": P, "rsp": RSP}

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_DETAIL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"

# Resource URI roots.
WMI_ROOT = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
CIMV2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
MSFT_WMIERROR = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError"

# Filter dialects.
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
SELECTOR_FILTER = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
ASSOCIATION_FILTERS = (
    "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationfilter",
)
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"

# Actions.
T_GET = X + "/Get"
T_PUT = X + "/Put"
T_CREATE = X + "/Create"
T_DELETE = X + "/Delete"
N_ENUMERATE = N + "/Enumerate"
N_PULL = N + "/Pull"
N_RELEASE = N + "/Release"

FAULT_ACTION = {
    "a": A + "/fault",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
    "n": N + "/fault",
    "x": X + "/fault",
    "s": "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
}


def q(ns, local):
    """ElementTree qualified name."""
    return "{%s}%s" % (ns, local)
