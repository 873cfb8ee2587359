-- SPDX-License-Identifier: MIT
-- Session operations against the simulator over real sockets (Basic over HTTP with
-- AllowUnencrypted, and over HTTPS).
local WSMan = require "wsman"
local sim = require "helpers.sim"
local CIM = sim.CIMV2

local err_of = sim.err_of

local function reset(session)
  session:Invoke("Reset", sim.CONTROL, "<p:Reset_INPUT xmlns:p=\"" .. sim.CONTROL .. "\"/>")
end

local stats = sim.stats

describe("Session over HTTP (Basic, AllowUnencrypted)", function()
  local s, session, wsman

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    session, wsman = sim.session(s)
    reset(session)
  end)

  it("Get with a full URI and selectors returns the instance XML", function()
    local xml = session:Get(CIM .. "Win32_Service?Name=Winmgmt")
    assert.matches("<p:Win32_Service", xml)
    assert.matches("<p:Name>Winmgmt</p:Name>", xml)
    assert.matches('xmlns:p="' .. CIM:gsub("%p", "%%%0") .. "Win32_Service\"", xml)
    assert.equals("", session.Error)
  end)

  it("Get with an alias, and with a ResourceLocator", function()
    assert.matches("<p:Name>Spooler</p:Name>", session:Get("wmicimv2/Win32_Service?Name=Spooler"))
    local l = wsman:CreateResourceLocator("wmicimv2/Win32_Service")
    l:AddSelector("Name", "WinRM")
    assert.matches("<p:Name>WinRM</p:Name>", session:Get(l))
    assert.matches("<cfg:Config", session:Get("winrm/config"))
  end)

  it("Get of a singleton takes no selector", function()
    assert.matches("<p:Win32_WMISetting", session:Get("wmicimv2/Win32_WMISetting"))
  end)

  it("Get of a keyed class without keys fails with 0x803380FA and the fault in Session.Error", function()
    local e = err_of(session.Get, session, "wmicimv2/Win32_QuotaSetting")
    assert.equals(0x803380FA, e.code)
    assert.equals(2150859002, e.code)
    assert.equals("Get", e.operation)
    assert.equals(s.url, e.endpoint)
    assert.matches("singleton", e.message)
    assert.matches('Code="2150859002"', session.Error)
    assert.matches("WSManFault", e.fault)
    assert.equals(500, e.http_status)
    assert.matches("0x803380FA", tostring(e))
  end)

  it("an unknown resource and a bad selector give the server's faults", function()
    local e = err_of(session.Get, session, "wmicimv2/Win32_NoSuchClass?Name=x")
    assert.is_number(e.code)
    assert.is_string(e.subcode)
    assert.equals("fatal", e.retry)
    e = err_of(session.Get, session, "wmicimv2/Win32_Service?Name=NoSuchService")
    assert.is_number(e.code)
    e = err_of(session.Get, session, "wmicimv2/Win32_Service?Bogus=1")
    assert.matches("[Ss]elector", e.message .. (e.subcode or ""))
  end)

  it("fragment Get honours FragmentPath and FragmentDialect", function()
    local l = wsman:CreateResourceLocator(CIM .. "Win32_Processor")
    l:AddSelector("DeviceID", "CPU0")
    l.FragmentPath = "NumberOfCores"
    l.FragmentDialect = "http://www.w3.org/TR/1999/REC-xpath-19991116"
    local xml = session:Get(l)
    assert.matches("NumberOfCores", xml)
    assert.matches("XmlFragment", xml)
  end)

  it("Put changes the resource, and later Gets see it", function()
    local uri = CIM .. "Win32_WMISetting"
    local body = '<p:Win32_WMISetting xmlns:p="' .. uri .. '"><p:LoggingLevel>2</p:LoggingLevel></p:Win32_WMISetting>'
    local out = session:Put(uri, body)
    assert.matches("<p:LoggingLevel>2</p:LoggingLevel>", out)
    assert.matches("<p:LoggingLevel>2</p:LoggingLevel>", session:Get(uri))
  end)

  it("fragment Put changes one property", function()
    local l = wsman:CreateResourceLocator(CIM .. "Win32_WMISetting")
    l.FragmentPath = "LoggingLevel"
    session:Put(l, '<p:LoggingLevel xmlns:p="' .. CIM .. 'Win32_WMISetting">1</p:LoggingLevel>')
    assert.matches("<p:LoggingLevel>1</p:LoggingLevel>", session:Get(CIM .. "Win32_WMISetting"))
  end)

  it("Create returns the EPR, which CreateResourceLocator accepts; Delete removes", function()
    local uri = CIM .. "Win32_Environment"
    local body = '<p:Win32_Environment xmlns:p="' .. uri .. '"><p:Name>LUA_WSMAN_TEST</p:Name>'
      .. '<p:UserName>&lt;SYSTEM&gt;</p:UserName><p:VariableValue>42</p:VariableValue></p:Win32_Environment>'
    local epr = session:Create(uri, body)
    assert.matches("ResourceCreated", epr)
    local l = wsman:CreateResourceLocator(epr)
    assert.matches("<p:VariableValue>42</p:VariableValue>", session:Get(l))
    assert.is_nil(session:Delete(l))
    assert.is_table(err_of(session.Get, session, l))
  end)

  it("Create and Delete a listener (the Microsoft sample)", function()
    local uri = "winrm/config/Listener?Address=IP:127.0.0.9+Transport=HTTP"
    local epr = session:Create(uri, '<cfg:Listener xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config/Listener"><cfg:Hostname>host.example.com</cfg:Hostname></cfg:Listener>')
    assert.matches("ResourceCreated", epr)
    session:Delete(uri)
  end)

  it("Invoke takes a bare method name or a full action URI", function()
    local svc = CIM .. "Win32_Service?Name=W32Time"
    local stop = '<p:StopService_INPUT xmlns:p="' .. CIM .. 'Win32_Service"/>'
    local start = '<p:StartService_INPUT xmlns:p="' .. CIM .. 'Win32_Service"/>'
    session:Invoke("StartService", svc, start)
    local out = session:Invoke("StopService", svc, stop)
    assert.matches("<p:ReturnValue>0</p:ReturnValue>", out)
    assert.matches("<p:State>Stopped</p:State>", session:Get(svc))
    out = session:Invoke(CIM .. "Win32_Service/StartService", svc, start)
    assert.matches("StartService_OUTPUT", out)
    assert.matches("<p:ReturnValue>0</p:ReturnValue>", out)
    assert.matches("<p:State>Running</p:State>", session:Get(svc))
  end)

  it("Invoke Create on Win32_Process returns a ProcessId", function()
    local out = session:Invoke("Create", CIM .. "Win32_Process",
      '<p:Create_INPUT xmlns:p="' .. CIM .. 'Win32_Process"><p:CommandLine>calc.exe</p:CommandLine></p:Create_INPUT>')
    local pid = out:match("<p:ProcessId>(%d+)</p:ProcessId>")
    assert.truthy(pid)
    assert.matches("calc.exe", session:Get(CIM .. "Win32_Process?Handle=" .. pid))
  end)

  it("Invoke requires the parameters XML", function()
    assert.matches("parameters XML", err_of(session.Invoke, session, "StopService", CIM .. "Win32_Service?Name=W32Time"))
  end)

  it("Identify works authenticated and unauthenticated", function()
    local xml = session:Identify()
    assert.matches("IdentifyResponse", xml)
    assert.matches("ProductVersion", xml)
    local o = wsman:CreateConnectionOptions()
    if s.ca_file then o.ca_file = s.ca_file end
    local anon = wsman:CreateSession(s.url, WSMan.SessionFlagUseNoAuthentication, o)
    xml = anon:Identify(WSMan.SessionFlagUseNoAuthentication)
    assert.matches("IdentifyResponse", xml)
    assert.matches("Microsoft Corporation", xml)
  end)

  it("Timeout and BatchItems are settable", function()
    local ss = sim.session(s)
    ss.Timeout = 10000
    assert.equals(10000, ss.Timeout)
    ss.BatchItems = 5
    assert.equals(5, ss.BatchItems)
    assert.matches("positive", err_of(function() ss.Timeout = -1 end))
    assert.matches("positive", err_of(function() ss.BatchItems = 0 end))
    assert.matches("<p:Name>Spooler</p:Name>", ss:Get("wmicimv2/Win32_Service?Name=Spooler"))
  end)

  it("sends UTF-16 when asked to, and UTF-8 by default", function()
    local ss = sim.session(s, WSMan.SessionFlagUTF16)
    assert.matches("<p:Name>Spooler</p:Name>", ss:Get("wmicimv2/Win32_Service?Name=Spooler"))
    ss = sim.session(s, WSMan.SessionFlagUTF8)
    assert.matches("<p:Name>Spooler</p:Name>", ss:Get("wmicimv2/Win32_Service?Name=Spooler"))
  end)

  it("reads a UTF-16 reply", function()
    local xml = session:Get(sim.FAULT .. "utf16")
    assert.is_string(xml)
    assert.not_matches("\0", xml)
  end)

  it("reuses one keep-alive connection for many operations", function()
    local ss = sim.session(s)
    local before = stats(ss).Connections
    for _ = 1, 20 do ss:Get("wmicimv2/Win32_Service?Name=Spooler") end
    assert.equals(before, stats(ss).Connections)
  end)

  it("wrong credentials give an auth error that names the schemes offered", function()
    local mode = sim.auth_mode()
    local ss = sim.session(s, 0, function(o)
      if mode == "cert" then
        o.client_cert, o.client_key = s.client_cert_unmapped, s.client_key_unmapped -- maps to no account
      else
        o.Password = "wrong-password"
      end
    end)
    local e = err_of(ss.Get, ss, "wmicimv2/Win32_Service?Name=Spooler")
    assert.equals("auth", e.retry)
    if mode == "kerberos" then -- the KDC refuses the password before anything goes to the host
      assert.equals(0x8009030C, e.code)
      assert.matches("KDC rejected the password", e.message)
    else
      assert.equals(401, e.http_status)
      assert.equals(0x80070005, e.code)
      assert.matches(mode == "cert" and "client certificate" or "Basic", e.message)
    end
    assert.not_matches("wrong%-password", tostring(e) .. (e.fault or "") .. ss.Error)
  end)

  it("Basic over plain HTTP without NoEncryption fails before any credential is sent", function()
    -- an HTTP simulator even when WSMAN_SPEC_AUTH=cert runs this file over HTTPS
    local plain = s.url:match("^http:") and s or sim.start { "--allow-unencrypted", "--auth", "basic" }
    local o = wsman:CreateConnectionOptions()
    o.UserName, o.Password = sim.user, sim.password
    local ss = wsman:CreateSession(plain.url, WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword, o)
    local watcher = plain == s and session or sim.session(plain)
    local before = stats(watcher).Requests
    local e = err_of(ss.Get, ss, "wmicimv2/Win32_Service?Name=Spooler")
    assert.matches("[Uu]nencrypted", e.message)
    assert.equals(before + 1, stats(watcher).Requests) -- only the stats Get itself reached the host
  end)

  it("a mechanism that is not built (CredSSP) says so, never silently", function()
    local o = wsman:CreateConnectionOptions()
    o.UserName, o.Password = sim.user, sim.password
    local ss = wsman:CreateSession(s.url, WSMan.SessionFlagUseCredSsp | WSMan.SessionFlagCredUsernamePassword, o)
    local e = err_of(ss.Get, ss, "wmicimv2/Win32_Service?Name=Spooler")
    assert.matches("CredSSP", e.message)
    assert.matches("not available", e.message)
  end)

  it("closes with <close>", function()
    do
      local ss <close> = sim.session(s)
      ss:Get("wmicimv2/Win32_Service?Name=Spooler")
    end
  end)
end)

describe("Session over HTTPS", function()
  local s

  setup(function()
    s = sim.start { "--tls" }
  end)

  it("verifies the server certificate with ca_file", function()
    assert.is_string(s.ca_file)
    local session = sim.session(s)
    assert.matches("<p:Name>Spooler</p:Name>", session:Get("wmicimv2/Win32_Service?Name=Spooler"))
  end)

  it("fails verification without the CA, and SkipCACheck skips it", function()
    local wsman = WSMan.new()
    local o = wsman:CreateConnectionOptions()
    o.UserName, o.Password = sim.user, sim.password
    local flags = WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword
    local session = wsman:CreateSession(s.url, flags, o)
    local e = err_of(session.Get, session, "wmicimv2/Win32_Service?Name=Spooler")
    assert.matches("certificate", e.message)
    assert.matches("ca_file", e.message)
    session = wsman:CreateSession(s.url, flags | WSMan.SessionFlagSkipCACheck, o)
    assert.matches("Spooler", session:Get("wmicimv2/Win32_Service?Name=Spooler"))
  end)

  it("checks the host name unless SkipCNCheck", function()
    local other = sim.start { "--tls", "--cert-host", "other.example" }
    local wsman = WSMan.new()
    local o = wsman:CreateConnectionOptions()
    o.UserName, o.Password = sim.user, sim.password
    o.ca_file = other.ca_file
    local flags = WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword
    local session = wsman:CreateSession(other.url, flags, o)
    local e = err_of(session.Get, session, "wmicimv2/Win32_Service?Name=Spooler")
    assert.equals(0x80072F06, e.code)
    assert.matches("SkipCNCheck", e.message)
    session = wsman:CreateSession(other.url, flags | WSMan.SessionFlagSkipCNCheck, o)
    assert.matches("Spooler", session:Get("wmicimv2/Win32_Service?Name=Spooler"))
  end)
end)
