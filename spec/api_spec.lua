-- SPDX-License-Identifier: MIT
-- The scripting objects without a network: module, flags, members, properties, argument errors.
local WSMan = require "wsman"

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

describe("module", function()
  it("returns a module whose new() is CreateObject('WSMan.Automation')", function()
    local w = WSMan.new()
    assert.equals("WSMan.Automation", tostring(w))
    assert.is_string(WSMan._VERSION)
  end)

  it("carries every session flag as an integer field named like the COM method", function()
    local expected = {
      SessionFlagUTF8 = 0x1, SessionFlagCredUsernamePassword = 0x1000, SessionFlagSkipCACheck = 0x2000,
      SessionFlagSkipCNCheck = 0x4000, SessionFlagUseNoAuthentication = 0x8000, SessionFlagUseDigest = 0x10000,
      SessionFlagUseNegotiate = 0x20000, SessionFlagUseBasic = 0x40000, SessionFlagUseKerberos = 0x80000,
      SessionFlagNoEncryption = 0x100000, SessionFlagUseClientCertificate = 0x200000,
      SessionFlagEnableSPNServerPort = 0x400000, SessionFlagUTF16 = 0x800000, SessionFlagUseCredSsp = 0x1000000,
      SessionFlagSkipRevocationCheck = 0x2000000, SessionFlagAllowNegotiateImplicitCredentials = 0x4000000,
      SessionFlagUseSsl = 0x8000000,
    }
    local w = WSMan.new()
    for name, value in pairs(expected) do
      assert.equals(value, WSMan[name], name)
      assert.is_true(math.type(WSMan[name]) == "integer", name)
      assert.equals(value, w[name](w), name .. "()")
    end
  end)

  it("carries every enumeration flag, as fields and methods", function()
    local expected = {
      EnumerationFlagNonXmlText = 1, EnumerationFlagReturnEPR = 2, EnumerationFlagReturnObjectAndEPR = 4,
      EnumerationFlagReturnObject = 0, EnumerationFlagHierarchyDeep = 0, EnumerationFlagHierarchyShallow = 0x20,
      EnumerationFlagHierarchyDeepBasePropsOnly = 0x40, EnumerationFlagAssociationInstance = 0x80,
      EnumerationFlagAssociatedInstance = 0,
    }
    local w = WSMan.new()
    for name, value in pairs(expected) do
      assert.equals(value, WSMan[name], name)
      assert.equals(value, w[name](w), name .. "()")
    end
  end)

  it("carries the proxy flags, as module fields and ConnectionOptions methods", function()
    local expected = {
      ProxyIEConfig = 1, ProxyWinHttpConfig = 2, ProxyAutoDetect = 4, ProxyNoProxyServer = 8,
      ProxyAuthenticationUseNegotiate = 1, ProxyAuthenticationUseBasic = 2, ProxyAuthenticationUseDigest = 4,
    }
    local o = WSMan.new():CreateConnectionOptions()
    for name, value in pairs(expected) do
      assert.equals(value, WSMan[name], name)
      assert.equals(value, o[name](o), name .. "()")
    end
  end)

  it("names the member meant when a script misspells one", function()
    local e = err_of(function() return WSMan.SessionFlagCredUserNamePassword end)
    assert.matches("SessionFlagCredUserNamePassword", e, 1, true)
    assert.matches("did you mean 'SessionFlagCredUsernamePassword'", e, 1, true)
    local w = WSMan.new()
    e = err_of(function() return w:createsession() end)
    assert.matches("did you mean 'CreateSession'", e, 1, true)
    e = err_of(function() return w:SessionFlagCredUserNamePassword() end)
    assert.matches("did you mean 'SessionFlagCredUsernamePassword'", e, 1, true)
    e = err_of(function() return w.NoSuchThingAtAll end)
    assert.matches("WSMan has no member 'NoSuchThingAtAll'", e, 1, true)
  end)
end)

describe("WSMan object", function()
  local w = WSMan.new()

  it("has read-only Error and CommandLine", function()
    assert.equals("", w.Error)
    assert.is_string(w.CommandLine)
    assert.matches("lua", w.CommandLine)
    assert.matches("read%-only", err_of(function() w.Error = "x" end))
    assert.matches("read%-only", err_of(function() w.CommandLine = "x" end))
    assert.matches("cannot be assigned", err_of(function() w.CreateSession = 1 end))
  end)

  it("GetErrorMessage knows the WinRM error texts, in any numeric form", function()
    local t = w:GetErrorMessage(0x803380FA)
    assert.matches("not a singleton", t)
    assert.equals(t, w:GetErrorMessage(2150859002))
    assert.equals(t, w:GetErrorMessage(-2144108294)) -- VBScript's signed long
    assert.equals(t, w:GetErrorMessage("0x803380FA"))
    assert.matches("OperationTimeout", w:GetErrorMessage(2150858793))
    assert.matches("[Aa]ccess is denied", w:GetErrorMessage(5))
    assert.matches("no message text", err_of(w.GetErrorMessage, w, 0x12345678))
    assert.matches("bad argument", err_of(w.GetErrorMessage, w, {}))
  end)

  it("CreateSession only gathers parameters and validates the connection string", function()
    local s = w:CreateSession("host.example.com")
    assert.equals("Session (http://host.example.com:5985/wsman)", tostring(s))
    assert.equals(60000, s.Timeout)
    assert.equals(20, s.BatchItems)
    assert.equals("", s.Error)
    assert.equals("Session (https://host.example.com:5986/wsman)",
      tostring(w:CreateSession("host.example.com", WSMan.SessionFlagUseSsl)))
    assert.equals("Session (http://localhost:5985/wsman)", tostring(w:CreateSession()))
    assert.equals("Session (http://localhost:5985/wsman)", tostring(w:CreateSession("")))
    assert.equals("Session (http://h:80/wsman)", tostring(w:CreateSession("http://h")))
    assert.equals("Session (https://h:443/wsman)", tostring(w:CreateSession("https://h")))
    assert.equals("Session (http://h:8080/custom)", tostring(w:CreateSession("h:8080/custom")))
    assert.equals("Session (https://[::1]:5986/wsman)", tostring(w:CreateSession("[::1]", WSMan.SessionFlagUseSsl)))
  end)

  it("refuses a bad connection string with an error object and WSMan.Error", function()
    for _, bad in ipairs { "http://", "h:99999", "ftp://h", "[::1", "h:port", "http://user:pw@h/wsman" } do
      local e = err_of(w.CreateSession, w, bad)
      assert.equals("table", type(e), bad)
      assert.is_number(e.code)
      assert.is_string(e.message)
      assert.truthy(e.message:find(bad, 1, true) or bad:find("@"), bad .. ": " .. e.message)
      assert.matches("WSManFault", w.Error)
      assert.not_matches("pw@", tostring(e))
    end
  end)

  it("raises Lua argument errors for wrongly typed arguments", function()
    assert.matches("bad argument", err_of(w.CreateSession, w, 42))
    assert.matches("bad argument", err_of(w.CreateSession, w, "h", "x"))
    assert.matches("bad argument", err_of(w.CreateSession, w, "h", 0, "notoptions"))
    assert.matches("bad argument", err_of(w.CreateResourceLocator, w, {}))
  end)
end)

describe("ConnectionOptions", function()
  local w = WSMan.new()

  it("has COM properties; Password is write-only", function()
    local o = w:CreateConnectionOptions()
    assert.equals("", o.UserName)
    o.UserName = "DOMAIN\\admin"
    assert.equals("DOMAIN\\admin", o.UserName)
    o.Password = "s3cret!"
    local e = err_of(function() return o.Password end)
    assert.matches("write%-only", e)
    assert.not_matches("s3cret", e)
    assert.not_matches("s3cret", tostring(o))
    o.CertificateThumbprint = "7b 0c f4 18"
    assert.equals("7b 0c f4 18", o.CertificateThumbprint)
    assert.matches("did you mean 'UserName'", err_of(function() o.Username = "x" end))
    assert.matches("must be a string", err_of(function() o.UserName = 42 end))
  end)

  it("has the lower-case extension fields", function()
    local o = w:CreateConnectionOptions()
    for _, k in ipairs { "ca_file", "client_cert", "client_key", "cert_dir", "proxy", "spn" } do
      assert.is_nil(o[k])
      o[k] = "/some/" .. k
      assert.equals("/some/" .. k, o[k])
    end
    o.client_key_password = "x"
    assert.matches("write%-only", err_of(function() return o.client_key_password end))
    assert.is_false(o.delegate)
    o.delegate = true
    assert.is_true(o.delegate)
    assert.equals(0, o.connect_timeout)
    o.connect_timeout = 1500
    assert.equals(1500, o.connect_timeout)
    assert.equals(153600, o.max_envelope_size)
    o.max_envelope_size = 512000
    assert.equals(512000, o.max_envelope_size)
    assert.matches("at least 8192", err_of(function() o.max_envelope_size = 100 end))
    assert.matches("integer", err_of(function() o.connect_timeout = "soon" end))
  end)

  it("SetProxy takes COM's arguments and checks them", function()
    local o = w:CreateConnectionOptions()
    o:SetProxy(o:ProxyNoProxyServer())
    o:SetProxy(WSMan.ProxyWinHttpConfig, WSMan.ProxyAuthenticationUseBasic, "puser", "ppass")
    o:SetProxy()
    assert.matches("accessType", err_of(o.SetProxy, o, 3))
    assert.matches("authenticationMechanism", err_of(o.SetProxy, o, 2, 3))
  end)
end)

describe("ResourceLocator", function()
  local w = WSMan.new()
  local CIM = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"

  it("expands aliases and strips selectors from ResourceURI", function()
    local l = w:CreateResourceLocator("wmicimv2/Win32_Service?Name=Spooler")
    assert.equals(CIM .. "Win32_Service", l.ResourceURI)
    assert.equals("http://schemas.microsoft.com/wbem/wsman/1/config", w:CreateResourceLocator("winrm/config").ResourceURI)
    assert.equals("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
      w:CreateResourceLocator("shell/cmd").ResourceURI)
    assert.equals("http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_X", w:CreateResourceLocator("cimv2/CIM_X").ResourceURI)
    assert.equals("", w:CreateResourceLocator().ResourceURI)
  end)

  it("has the COM properties and methods", function()
    local l = w:CreateResourceLocator()
    l.ResourceURI = "wmicimv2/Win32_Processor"
    assert.equals(CIM .. "Win32_Processor", l.ResourceURI)
    l:AddSelector("DeviceID", "CPU0")
    l:AddSelector("Index", 1)
    l:ClearSelectors()
    assert.equals("", l.FragmentPath)
    assert.equals("http://www.w3.org/TR/1999/REC-xpath-19991116", l.FragmentDialect)
    l.FragmentPath = "NumberOfCores"
    assert.equals("NumberOfCores", l.FragmentPath)
    assert.is_false(l.MustUnderstandOptions)
    l.MustUnderstandOptions = true
    assert.is_true(l.MustUnderstandOptions)
    l:AddOption("wmi:Opt", "v")
    l:AddOption("wmi:Nil", nil)
    l:AddOption("wmi:Must", "v", true)
    l:ClearOptions()
    assert.equals("", l.Error)
    assert.matches("read%-only", err_of(function() l.Error = "" end))
    assert.matches("did you mean 'AddSelector'", err_of(function() l:addSelector("a", "b") end))
  end)

  it("refuses selectors in the ResourceURI property, as COM does", function()
    local l = w:CreateResourceLocator()
    local e = err_of(function() l.ResourceURI = "wmicimv2/Win32_Service?Name=x" end)
    assert.equals("table", type(e))
    assert.matches("AddSelector", e.message)
    assert.matches("WSManFault", l.Error)
  end)

  it("reads an EPR string (what Create returns)", function()
    -- luacheck: push no max line length
    local epr = [[<x:ResourceCreated xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><a:Address>http://h:5985/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/config/Listener</w:ResourceURI><w:SelectorSet><w:Selector Name="Address">*</w:Selector><w:Selector Name="Transport">HTTP</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>]]
    -- luacheck: pop
    local l = w:CreateResourceLocator(epr)
    assert.equals("http://schemas.microsoft.com/wbem/wsman/1/config/Listener", l.ResourceURI)
  end)

  it("raises error objects for invalid resource strings", function()
    local e = err_of(w.CreateResourceLocator, w, "wmicimv2/Win32_Service?=x")
    assert.equals("table", type(e))
    assert.matches("WSManFault", w.Error)
  end)
end)

describe("error objects", function()
  it("read as one line with the hex code", function()
    local e = err_of(WSMan.new().CreateSession, WSMan.new(), "h:0")
    local line = tostring(e)
    assert.not_matches("\n", line)
    assert.matches("%(0x%x%x%x%x%x%x%x%x", line)
    assert.equals("fatal", e.retry)
  end)
end)
