-- SPDX-License-Identifier: MIT
-- WSMan.decode / WSMan.encode: the table form, typed mode, EPRs, faults, strictness; every real
-- Windows recording; every simulator class (Get -> decode -> encode -> Put -> Get -> compare);
-- the lower-case table methods of sessions.
local WSMan = require "wsman"
local results = require "wsman.results"
local sim = require "helpers.sim"
local CIM = sim.CIMV2

local null, CLASS, EPR = WSMan.null, WSMan.class, WSMan.epr
local decode, encode = WSMan.decode, WSMan.encode

local XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
local A = 'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
local W = 'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"'
local ANON = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

local function roundtrip(t, uri)
  return decode(encode(uri or "http://example.test/x", t))
end

local NUMERIC = '<p:Sim_NumericTypes xmlns:p="' .. CIM .. 'Sim_NumericTypes" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" '
  .. XSI .. '><p:C16>65</p:C16><p:Flag>true</p:Flag><p:Id>1</p:Id><p:Nothing xsi:nil="true"/>'
  .. '<p:Numbers>1</p:Numbers><p:Numbers>-2</p:Numbers><p:Numbers>3</p:Numbers><p:R32>1.5</p:R32>'
  .. '<p:Span><cim:Interval>P1DT2H3M4S</cim:Interval></p:Span><p:Text>&lt;xml &amp; "quotes"&gt;</p:Text>'
  .. '<p:When><cim:Datetime>2024-01-01T10:00:00Z</cim:Datetime></p:When>'
  .. '<cim:Location ' .. A .. ' ' .. W .. '><a:Address>' .. ANON .. '</a:Address><a:ReferenceParameters>'
  .. '<w:ResourceURI>' .. CIM .. 'Sim_NumericTypes</w:ResourceURI><w:SelectorSet><w:Selector Name="Id">1</w:Selector>'
  .. '</w:SelectorSet></a:ReferenceParameters></cim:Location></p:Sim_NumericTypes>'

local WMIERROR = '<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858752" Machine="host">'
  .. '<f:Message><f:ProviderFault provider="WMI Provider" path="%systemroot%\\system32\\WsmWmiPl.dll">'
  .. '<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858752" Machine="host">'
  .. '<f:Message>Not found. </f:Message></f:WSManFault><f:ExtendedError>'
  .. '<p:MSFT_WmiError b:IsCIM_Error="true" xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" '
  .. 'xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" '
  .. XSI .. ' xsi:type="p:MSFT_WmiError_Type"><p:CIMStatusCode xsi:type="cim:cimUnsignedInt">6</p:CIMStatusCode>'
  .. '<p:CIMStatusCodeDescription xsi:type="cim:cimString" xsi:nil="true"/><p:ErrorSource xsi:type="cim:cimString">GetInstance</p:ErrorSource>'
  .. '<p:Big xsi:type="cim:cimUnsignedLong">18446744073709551615</p:Big><p:Neg xsi:type="xs:long">-5</p:Neg>'
  .. '<p:Ok xsi:type="cim:cimBoolean">true</p:Ok><p:No xsi:type="xs:boolean">0</p:No><p:Ratio xsi:type="xs:double">-2.25e-10</p:Ratio>'
  .. '<p:At xsi:type="xs:dateTime">2024-02-29T23:59:58.123456-05:30</p:At>'
  .. '<p:error_Code xsi:type="cim:cimUnsignedInt">2147749890</p:error_Code></p:MSFT_WmiError></f:ExtendedError>'
  .. '</f:ProviderFault></f:Message></f:WSManFault>'

describe("WSMan.decode", function()
  it("is reached through the module and is the same as wsman.results", function()
    assert.equals(results.decode, WSMan.decode)
    assert.equals(results.null, WSMan.null)
    assert.equals("WSMan.null", tostring(WSMan.null))
    assert.equals("WSMan.class", tostring(WSMan.class))
    assert.matches("did you mean 'decode'", err_of(function() return WSMan.decod end))
    assert.matches("did you mean 'SessionFlagUseBasic'", err_of(function() return WSMan.SessionFlagUseBasik end))
    assert.matches("constant", err_of(function() WSMan.null.x = 1 end))
  end)

  it("gives properties by local name, strings, null, arrays, datetimes and the instance's EPR", function()
    local t = decode(NUMERIC)
    assert.equals("Sim_NumericTypes", t[CLASS])
    assert.equals("65", t.C16)
    assert.equals("true", t.Flag)
    assert.equals(null, t.Nothing)
    assert.same({ "1", "-2", "3" }, t.Numbers)
    assert.equals('<xml & "quotes">', t.Text)
    assert.same({ Datetime = "2024-01-01T10:00:00Z" }, t.When)
    assert.same({ Interval = "P1DT2H3M4S" }, t.Span)
    assert.same({ address = ANON, resource_uri = CIM .. "Sim_NumericTypes", selectors = { Id = "1" } }, t[EPR])
    assert.is_nil(t.Location)
  end)

  it("keeps a property that occurs once a scalar, unless opts.arrays names it", function()
    local x = '<p:A xmlns:p="urn:a"><p:N>1</p:N><p:M>x</p:M><p:O><p:N>2</p:N></p:O></p:A>'
    assert.equals("1", decode(x).N)
    local t = decode(x, { arrays = { "N" } })
    assert.same({ "1" }, t.N)
    assert.equals("x", t.M)
    assert.same({ N = { "2" } }, t.O, "arrays applies at every depth")
    assert.same({ "x" }, decode(x, { arrays = { M = true } }).M)
  end)

  it("typed: numbers, booleans and date objects by xsi:type and the CIM datetime forms", function()
    local t = decode(WMIERROR, { typed = true })
    local e = t.Message.ProviderFault.ExtendedError.MSFT_WmiError
    assert.equals(6, e.CIMStatusCode)
    assert.equals("integer", math.type(e.CIMStatusCode))
    assert.equals(2147749890, e.error_Code)
    assert.equals(-5, e.Neg)
    assert.equals("float", math.type(e.Big)) -- beyond 2^63-1: a float
    assert.is_true(e.Ok)
    assert.is_false(e.No)
    assert.equals(-2.25e-10, e.Ratio)
    assert.equals("GetInstance", e.ErrorSource)
    assert.equals(null, e.CIMStatusCodeDescription)
    assert.equals(2024, e.At.year)
    assert.equals(29, e.At.day)
    assert.equals("123456", e.At.frac)
    assert.equals(-330, e.At.offset)
    assert.equals("2024-02-29T23:59:58.123456-05:30", tostring(e.At))
    -- plain mode keeps the text
    assert.equals("6", decode(WMIERROR).Message.ProviderFault.ExtendedError.MSFT_WmiError.CIMStatusCode)

    local n = decode(NUMERIC, { typed = true })
    assert.is_true(results.is_date(n.When))
    assert.equals("datetime", n.When.kind)
    assert.equals(1704103200, n.When:seconds())
    assert.same({ 2024, 1, 1, 10, 0, 0, 0 }, { n.When.year, n.When.month, n.When.day, n.When.hour, n.When.min, n.When.sec, n.When.offset })
    assert.equals("interval", n.Span.kind)
    assert.equals(1 * 86400 + 2 * 3600 + 3 * 60 + 4, n.Span:seconds())
    assert.equals("P1DT2H3M4S", tostring(n.Span))
    assert.equals("1", n.Id, "no xsi:type: the text stays")
  end)

  it("typed: DMTF datetimes and other date forms", function()
    local x = '<p:A xmlns:p="urn:a" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common">'
      .. '<p:D><cim:CIM_DateTime>20231231235959.500000+060</cim:CIM_DateTime></p:D>'
      .. '<p:I><cim:CIM_DateTime>00000001020304.000000:000</cim:CIM_DateTime></p:I>'
      .. '<p:Day><cim:Date>2024-03-01</cim:Date></p:Day><p:T><cim:Time>10:20:30Z</cim:Time></p:T>'
      .. '<p:Bad><cim:Datetime>yesterday</cim:Datetime></p:Bad></p:A>'
    local t = decode(x, { typed = true })
    assert.equals(2023, t.D.year)
    assert.equals(60, t.D.offset)
    assert.equals("20231231235959.500000+060", tostring(t.D))
    assert.equals("cim_interval", t.I.kind)
    assert.equals(86400 + 2 * 3600 + 3 * 60 + 4, t.I:seconds())
    assert.equals("2024-03-01", tostring(t.Day))
    assert.equals("10:20:30Z", tostring(t.T))
    assert.same({ Datetime = "yesterday" }, t.Bad, "text that is not a date stays as it is")
    assert.same(t, decode(encode("urn:a", t), { typed = true }))
    assert.equals("2024-01-01T10:00:00Z", tostring(results.date("datetime", "2024-01-01T10:00:00Z")))
    assert.is_nil(results.date("datetime", "2024-01-01"))
  end)

  it("reads an EPR: ResourceCreated, an EPR item, reference properties with nested selectors", function()
    local created = decode('<x:ResourceCreated xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" ' .. A .. ' ' .. W
      .. '><a:Address>http://h:5985/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>' .. CIM
      .. 'Win32_Environment</w:ResourceURI><w:SelectorSet><w:Selector Name="Name">X</w:Selector>'
      .. '<w:Selector Name="UserName">&lt;SYSTEM&gt;</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>')
    assert.equals("ResourceCreated", created[CLASS])
    assert.equals("http://h:5985/wsman", created.address)
    assert.equals(CIM .. "Win32_Environment", created.resource_uri)
    assert.same({ Name = "X", UserName = "<SYSTEM>" }, created.selectors)
    assert.same(created, roundtrip(created))

    local dep = decode('<p:Win32_DependentService xmlns:p="' .. CIM .. 'Win32_DependentService" ' .. XSI .. '>'
      .. '<p:Antecedent ' .. A .. ' ' .. W .. '><a:Address>' .. ANON .. '</a:Address><a:ReferenceParameters><w:ResourceURI>'
      .. CIM .. 'Win32_Service</w:ResourceURI><w:SelectorSet><w:Selector Name="Name">RpcSs</w:Selector></w:SelectorSet>'
      .. '</a:ReferenceParameters></p:Antecedent><p:Ref ' .. A .. ' ' .. W .. '><a:Address>' .. ANON .. '</a:Address>'
      .. '<a:ReferenceParameters><w:ResourceURI>urn:assoc</w:ResourceURI><w:SelectorSet><w:Selector Name="Left">'
      .. '<a:EndpointReference><a:Address>' .. ANON .. '</a:Address><a:ReferenceParameters><w:ResourceURI>urn:left'
      .. '</w:ResourceURI><w:SelectorSet><w:Selector Name="K">1</w:Selector></w:SelectorSet></a:ReferenceParameters>'
      .. '</a:EndpointReference></w:Selector></w:SelectorSet></a:ReferenceParameters></p:Ref>'
      .. '<p:TypeOfDependency xsi:nil="true"/></p:Win32_DependentService>')
    assert.same({ address = ANON, resource_uri = CIM .. "Win32_Service", selectors = { Name = "RpcSs" } }, dep.Antecedent)
    assert.same({ K = "1" }, dep.Ref.selectors.Left.selectors)
    assert.same(dep, roundtrip(dep))
  end)

  it("reads an ObjectAndEPR item: the object, with its EPR in t[WSMan.epr]", function()
    local item = '<w:Item ' .. W .. ' ' .. A .. '><p:Win32_Share xmlns:p="' .. CIM .. 'Win32_Share"><p:Name>C$</p:Name></p:Win32_Share>'
      .. '<a:EndpointReference><a:Address>' .. ANON .. '</a:Address><a:ReferenceParameters><w:ResourceURI>' .. CIM
      .. 'Win32_Share</w:ResourceURI><w:SelectorSet><w:Selector Name="Name">C$</w:Selector></w:SelectorSet>'
      .. '</a:ReferenceParameters></a:EndpointReference></w:Item>'
    local t = decode(item)
    assert.equals("Win32_Share", t[CLASS])
    assert.equals("C$", t.Name)
    assert.same({ Name = "C$" }, t[EPR].selectors)
  end)

  it("reads a WSManFault (attributes as @Name, nested provider fault) and a SOAP fault envelope", function()
    local f = decode(WMIERROR)
    assert.equals("WSManFault", f[CLASS])
    assert.equals("2150858752", f["@Code"])
    assert.equals("host", f["@Machine"])
    assert.equals("WMI Provider", f.Message.ProviderFault["@provider"])
    assert.equals("Not found. ", f.Message.ProviderFault.WSManFault.Message)
    assert.equals("true", f.Message.ProviderFault.ExtendedError.MSFT_WmiError["@IsCIM_Error"])
    assert.same(f, roundtrip(f))
    local env = decode('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body><s:Fault>'
      .. '<s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">bad</s:Text></s:Reason>'
      .. '<s:Detail>' .. WMIERROR .. '</s:Detail></s:Fault></s:Body></s:Envelope>')
    assert.equals("Fault", env[CLASS])
    assert.equals("bad", env.Reason.Text)
    assert.equals("2150858752", env.Detail.WSManFault["@Code"])
  end)

  it("reads an IdentifyResponse and a method output", function()
    local id = decode('<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
      .. '<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>'
      .. '<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor><wsmid:ProductVersion>OS: 10.0.17763 SP: 0.0 Stack: 3.0'
      .. '</wsmid:ProductVersion><wsmid:SecurityProfiles><wsmid:SecurityProfileName>a</wsmid:SecurityProfileName>'
      .. '<wsmid:SecurityProfileName>b</wsmid:SecurityProfileName></wsmid:SecurityProfiles></wsmid:IdentifyResponse>')
    assert.equals("IdentifyResponse", id[CLASS])
    assert.equals("Microsoft Corporation", id.ProductVendor)
    assert.same({ "a", "b" }, id.SecurityProfiles.SecurityProfileName)
    assert.same(id, roundtrip(id))
    local out = decode('<p:Create_OUTPUT xmlns:p="' .. CIM .. 'Win32_Process"><p:ProcessId>4242</p:ProcessId><p:ReturnValue>0</p:ReturnValue></p:Create_OUTPUT>')
    assert.equals("Create_OUTPUT", out[CLASS])
    assert.equals("4242", out.ProcessId)
    assert.equals("0", decode(out and encode(CIM .. "Win32_Process", out)).ReturnValue)
  end)

  it("keeps attributes with text as #text, and mixed text", function()
    local t = decode('<rsp:ReceiveResponse xmlns:rsp="urn:shell"><rsp:Stream Name="stdout" CommandId="C1">aGk=</rsp:Stream>'
      .. '<rsp:Stream Name="stderr" CommandId="C1" End="true"/><rsp:CommandState CommandId="C1" State="Done">'
      .. '<rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState><rsp:Note>a<rsp:B>b</rsp:B>c</rsp:Note></rsp:ReceiveResponse>')
    assert.same({ ["@Name"] = "stdout", ["@CommandId"] = "C1", ["#text"] = "aGk=" }, t.Stream[1])
    assert.same({ ["@Name"] = "stderr", ["@CommandId"] = "C1", ["@End"] = "true", ["#text"] = "" }, t.Stream[2])
    assert.equals("Done", t.CommandState["@State"])
    assert.equals("0", t.CommandState.ExitCode)
    assert.same({ B = "b", ["#text"] = "ac" }, t.Note)
    assert.same(t, roundtrip(t))
  end)

  it("is strict: malformed XML, DTDs, undeclared prefixes and bad references are errors", function()
    for _, bad in ipairs { "", "not xml", "<a>", "<a></b>", "<a>&nbsp;</a>", "<a>&</a>", "<p:a/>",
      "<a x='1' x='2'/>", "<a/><b/>", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", "<a>\1</a>", "<a>\255</a>",
      "<a b=1/>", "<a>&#xD800;</a>" } do
      assert.matches("^XML: ", err_of(decode, bad), bad)
    end
    assert.matches("string expected", err_of(decode, 42))
  end)
end)

describe("WSMan.encode", function()
  it("follows winrm.vbs: root from the URI, xmlns:p without selectors, escaping, xsi:nil", function()
    local t = results.set_order({ CommandLine = 'a & <b> "c" \'d\'', CurrentDirectory = null }, { "CommandLine", "CurrentDirectory" })
    assert.equals('<p:Win32_Process xmlns:p="' .. CIM .. 'Win32_Process" ' .. XSI .. '>'
      .. '<p:CommandLine>a &amp; &lt;b&gt; &quot;c&quot; &apos;d&apos;</p:CommandLine>'
      .. '<p:CurrentDirectory xsi:nil="true"></p:CurrentDirectory></p:Win32_Process>',
      encode("wmicimv2/Win32_Process?Handle=4", t))
    assert.equals('<p:StopService_INPUT xmlns:p="' .. CIM .. 'Win32_Service"></p:StopService_INPUT>',
      encode("wmicimv2/Win32_Service?Name=Spooler", {}, "StopService"))
    assert.equals('<p:StartService_INPUT xmlns:p="' .. CIM .. 'Win32_Service"></p:StartService_INPUT>',
      encode(CIM .. "Win32_Service", nil, CIM .. "Win32_Service/StartService"))
    assert.equals('<p:Config xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/config"><p:A>1</p:A></p:Config>',
      encode("winrm/config", { [CLASS] = "Config", A = 1 }))
    assert.equals('<p:Listener xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/config/Listener"></p:Listener>',
      encode("winrm/config/Listener?Address=*+Transport=HTTP", {}))
  end)

  it("writes arrays, numbers, booleans, nested objects and orders keys alphabetically", function()
    local x = encode("urn:x/T", { b = { 1, 2.5, true }, A = { Inner = false }, c = "" })
    assert.equals('<p:T xmlns:p="urn:x/T"><p:A><p:Inner>false</p:Inner></p:A><p:b>1</p:b><p:b>2.5</p:b>'
      .. '<p:b>true</p:b><p:c></p:c></p:T>', x)
  end)

  it("keeps the element order of a decoded table", function()
    local x = '<p:T xmlns:p="urn:x/T"><p:Z>1</p:Z><p:A>2</p:A><p:A>4</p:A><p:M>3</p:M><p:B>5</p:B></p:T>'
    assert.equals(x, encode("urn:x/T", decode(x)))
    -- repeated elements are one array: interleaving is not kept
    local y = '<p:T xmlns:p="urn:x/T"><p:A>1</p:A><p:M>3</p:M><p:A>2</p:A></p:T>'
    assert.equals('<p:T xmlns:p="urn:x/T"><p:A>1</p:A><p:A>2</p:A><p:M>3</p:M></p:T>', encode("urn:x/T", decode(y)))
  end)

  it("refuses what XML cannot hold", function()
    assert.matches("element name", err_of(encode, "urn:x/T", { ["bad name"] = 1 }))
    assert.matches("function", err_of(encode, "urn:x/T", { f = print }))
    assert.matches("arrays of arrays", err_of(encode, "urn:x/T", { a = { { 1 }, { 2 } } }))
    assert.matches("table expected", err_of(encode, "urn:x/T", "x"))
  end)
end)

-- Real Windows recordings (pypsrp's, in ../shared/captures; the three copied into
-- spec/sim/tests/fixtures when shared/ is not there).
local function recordings()
  local root = sim.root
  local files = {}
  for _, dir in ipairs { root .. "/../shared/captures/windows-pypsrp", root .. "/spec/sim/tests/fixtures" } do
    local p = io.popen("ls " .. dir .. "/*.yml 2>/dev/null")
    for f in p:lines() do
      if not f:match("_template") then files[#files + 1] = f end
    end
    p:close()
    if #files > 0 then break end
  end
  return files
end

-- The `response:` values (plain scalars, folded over more-indented lines, or single-quoted).
local function responses(file)
  local out = {}
  local cur, indent
  local function flush()
    if cur then
      local v = cur
      if v:sub(1, 1) == "'" then v = v:sub(2, -2):gsub("''", "'") end
      if v:find("^<") then out[#out + 1] = v end
    end
    cur = nil
  end
  for line in io.lines(file) do
    local ind, v = line:match("^(%s*)response:%s*(.*)$")
    if ind then
      flush()
      cur, indent = v, #ind
    elseif cur and #line:match("^%s*") > indent and not line:match("^%s*%- ") and not line:match("^%s*[%w_]+:%s") then
      cur = cur .. " " .. line:match("^%s*(.-)%s*$")
    else
      flush()
    end
  end
  flush()
  return out
end

describe("decode and encode on the real Windows recordings", function()
  local files = recordings()

  it("finds the recordings", function()
    assert.is_true(#files >= 3)
  end)

  it("decodes every response, and decode(encode(t)) == t", function()
    local n = 0
    for _, f in ipairs(files) do
      for i, r in ipairs(responses(f)) do
        local ok, t = pcall(decode, r)
        assert(ok, f .. " #" .. i .. ": " .. tostring(t))
        assert.same(t, roundtrip(t), f .. " #" .. i)
        local ok2, tt = pcall(decode, r, { typed = true })
        assert(ok2, tostring(tt))
        assert.same(tt, decode(encode("urn:x", tt), { typed = true }), f .. " #" .. i .. " typed")
        n = n + 1
      end
    end
    assert.is_true(n >= 3)
  end)

  it("reads the winrm/config Get of test_wsman_update_envelope_size_4096.yml", function()
    local file
    for _, f in ipairs(files) do if f:match("test_wsman_update_envelope_size_4096") then file = f end end
    assert.truthy(file)
    local t = decode(responses(file)[1])
    assert.equals("Config", t[CLASS])
    assert.equals("4096", t.MaxEnvelopeSizekb)
    assert.equals("true", t.Client.Auth.Basic)
    assert.equals("", t.Client.TrustedHosts)
    assert.equals("5986", t.Client.DefaultPorts.HTTPS)
    assert.equals("O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)", t.Service.RootSDDL)
    local again = encode("winrm/config", t)
    assert.matches('^<p:Config xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/config">', again)
    assert.matches("<p:MaxEnvelopeSizekb>4096</p:MaxEnvelopeSizekb><p:MaxTimeoutms>", again, 1, true)
  end)

  it("reads the fault of test_psrp_is_alive_other_wsman_error.yml", function()
    for _, f in ipairs(files) do
      if f:match("test_psrp_is_alive_other_wsman_error") then
        local fault
        for _, r in ipairs(responses(f)) do
          if r:find("s:Fault", 1, true) then fault = decode(r) end
        end
        assert.equals("Fault", fault[CLASS])
        assert.equals("2150858767", fault.Detail.WSManFault["@Code"])
        return
      end
    end
    error("recording not found")
  end)

  it("reads WinRS replies: the shell's EPR and the streams with their attributes", function()
    local shared = sim.captures .. "/test_winrs_standard.yml"
    if not sim.need_shared(shared) then return end
    local rs = responses(shared)
    local created = decode(rs[1])
    assert.equals("ResourceCreated", created[CLASS])
    assert.matches("^%x+%-", created.selectors.ShellId)
    local streams
    for _, r in ipairs(rs) do
      local t = decode(r, { arrays = { "Stream" } })
      if t[CLASS] == "ReceiveResponse" then streams = t.Stream break end
    end
    assert.truthy(streams)
    assert.equals("stdout", streams[1]["@Name"])
  end)
end)

describe("every simulator class: Get -> decode -> encode -> Put -> Get", function()
  local s, session

  local function reset()
    session:Invoke("Reset", sim.CONTROL, '<p:Reset_INPUT xmlns:p="' .. sim.CONTROL .. '"/>')
  end

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    session = sim.session(s)
    reset()
  end)

  teardown(function()
    reset()
  end)

  local function classes()
    local out = {}
    local p = io.popen("ls " .. sim.root .. "/spec/sim/data/*.json")
    for f in p:lines() do
      local name = f:match("([%w_%-]+)%.json$")
      if name ~= "winrm-config" then out[#out + 1] = name end
    end
    p:close()
    return out
  end

  it("covers every data file", function()
    assert.is_true(#classes() >= 14)
  end)

  for _, name in ipairs(classes()) do
    it(name, function()
      local uri = CIM .. name
      local n = 0
      for obj in session:enumerate(uri, { epr = true, batch = 7 }) do
        n = n + 1
        assert.equals(name, obj[CLASS])
        assert.same(obj, roundtrip(obj, uri))
        local simple = true
        for _, v in pairs(obj[EPR].selectors or {}) do
          if type(v) == "table" then simple = false end -- a reference key (the core cannot Get by those)
        end
        if simple then
          -- Get by the EPR: the same instance (Get adds cim:Location, the item had its EPR)
          local got = session:get(obj[EPR])
          assert.same(obj, got)
          -- Put the encoded instance back unchanged, Get again, compare
          local l = WSMan.new():CreateResourceLocator(uri)
          for k, v in pairs(obj[EPR].selectors or {}) do l:AddSelector(k, v) end
          local put = decode(session:Put(l, encode(uri, got)))
          assert.same(got, put)
          assert.same(got, session:get(obj[EPR]))
        end
      end
      assert.is_true(n >= 1, name .. " has instances")
    end)
  end

  it("winrm/config round-trips through Put; the listener through decode and encode", function()
    for _, uri in ipairs { "winrm/config", "winrm/config/client", "winrm/config/service/auth" } do
      local t = session:get(uri)
      assert.same(t, roundtrip(t, uri))
      assert.same(t, decode(session:Put(uri, encode(uri, t))))
      assert.same(t, session:get(uri))
    end
    -- the listener's ListeningOn is read-only (the simulator refuses it in a Put)
    local uri = "winrm/config/Listener?Address=*+Transport=HTTP"
    local t = session:get(uri)
    assert.same(t, roundtrip(t, uri))
    assert.equals("Listener", t[CLASS])
  end)
end)

describe("session table methods", function()
  local s, session

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    session = sim.session(s)
    session:Invoke("Reset", sim.CONTROL, '<p:Reset_INPUT xmlns:p="' .. sim.CONTROL .. '"/>')
  end)

  it("get with selectors, with a URI, with an EPR; typed decode options", function()
    local svc = session:get("wmicimv2/Win32_Service", { Name = "Spooler" })
    assert.equals("Spooler", svc.Name)
    assert.equals("Win32_Service", svc[CLASS])
    assert.same(svc, session:get("wmicimv2/Win32_Service?Name=Spooler"))
    assert.same(svc, session:get(svc[EPR]))
    local wmi = session:get("wmicimv2/Win32_WMISetting")
    assert.equals("Win32_WMISetting", wmi[CLASS])
    local os_ = session:get(CIM .. "Win32_OperatingSystem", { Name = "Microsoft Windows Server 2019 Datacenter|C:\\Windows|\\Device\\Harddisk0\\Partition2" }, { typed = true })
    assert.equals(2023, os_.InstallDate.year)
    local l = WSMan.new():CreateResourceLocator(CIM .. "Win32_Processor")
    l:AddSelector("DeviceID", "CPU0")
    l.FragmentPath = "NumberOfCores"
    local frag = session:get(l)
    assert.equals("XmlFragment", frag[CLASS])
    assert.matches("^%d+$", frag.NumberOfCores)
  end)

  it("put reads, merges and writes back, like winrm set", function()
    local t = session:put("wmicimv2/Win32_Service", { Name = "Spooler" }, { Description = "changed & <escaped>" })
    assert.equals("changed & <escaped>", t.Description)
    assert.equals("changed & <escaped>", session:get("wmicimv2/Win32_Service?Name=Spooler").Description)
    t = session:put("winrm/config", nil, { MaxTimeoutms = 61000, Client = { TrustedHosts = "*" } })
    assert.equals("61000", t.MaxTimeoutms)
    assert.equals("*", t.Client.TrustedHosts)
    assert.equals("5000", t.Client.NetworkDelayms)
    assert.matches("does not match any properties on resource: NoSuchProperty",
      err_of(session.put, session, "wmicimv2/Win32_WMISetting", nil, { NoSuchProperty = 1 }))
    local e = err_of(session.put, session, "wmicimv2/Win32_Service", { Name = "Spooler" }, { State = "Paused" })
    assert.is_table(e)
    assert.is_number(e.code)
    assert.matches("read%-only", e.message)
  end)

  it("create returns the selectors; delete returns true; a null value", function()
    local sel, epr = session:create(CIM .. "Win32_Environment", { Name = "LUA_T", UserName = "<SYSTEM>", VariableValue = "1", Description = null })
    assert.same({ Name = "LUA_T", UserName = "<SYSTEM>" }, sel)
    assert.equals(CIM .. "Win32_Environment", epr.resource_uri)
    assert.equals("1", session:get(epr).VariableValue)
    assert.is_true(session:delete(CIM .. "Win32_Environment", sel))
    assert.equals(0x80338000, err_of(session.get, session, epr).code)
  end)

  it("invoke returns the output table", function()
    local out = session:invoke("Create", "wmicimv2/Win32_Process", nil, { CommandLine = "notepad.exe" })
    assert.equals("Create_OUTPUT", out[CLASS])
    assert.equals("0", out.ReturnValue)
    assert.equals("notepad.exe", session:get("wmicimv2/Win32_Process", { Handle = out.ProcessId }).Name)
    session:invoke("StartService", "wmicimv2/Win32_Service", { Name = "W32Time" })
    assert.equals("0", session:invoke("StopService", "wmicimv2/Win32_Service", { Name = "W32Time" }).ReturnValue)
    assert.equals("Stopped", session:get("wmicimv2/Win32_Service", { Name = "W32Time" }).State)
    assert.equals("0", session:invoke("StartService", "wmicimv2/Win32_Service", { Name = "W32Time" }, {}, { typed = false }).ReturnValue)
  end)

  it("enumerate streams tables: filters, dialects, EPRs, associations, early exit", function()
    local names = {}
    for svc in session:enumerate("wmicimv2/Win32_Service") do names[#names + 1] = svc.Name end
    assert.is_true(#names >= 20)
    local stopped = {}
    for svc in session:enumerate("wmicimv2/*", { filter = "SELECT * FROM Win32_Service WHERE State = 'Stopped'" }) do
      stopped[#stopped + 1] = svc.Name
      assert.equals("Stopped", svc.State)
    end
    assert.is_true(#stopped >= 1)
    local n = 0
    for svc in session:enumerate("wmicimv2/Win32_Service", { filter = { State = "Stopped" } }) do
      n = n + 1
      assert.equals("Stopped", svc.State)
    end
    assert.equals(#stopped, n)
    local deps = {}
    for x in session:enumerate("wmicimv2/*", { dialect = "association",
      filter = { Object = "Win32_Service?Name=WinRM", AssociationClassName = "Win32_DependentService", ResultRole = "Antecedent" } }) do
      deps[#deps + 1] = x.Name
    end
    assert.is_true(#deps >= 1)
    for x in session:enumerate("wmicimv2/*", { dialect = "association", associations = true,
      filter = "{Object=Win32_Service?Name=WinRM;ResultClassName=Win32_DependentService}" }) do
      assert.equals("Win32_DependentService", x[CLASS])
      assert.is_table(x.Antecedent.selectors)
    end
    for x in session:enumerate("wmicimv2/Win32_Share", { epr = "only" }) do
      assert.equals("EndpointReference", x[CLASS])
      assert.is_string(x.selectors.Name)
    end
    local stats = function()
      return tonumber(session:Get(sim.CONTROL):match("<p:OpenEnumerations>(%d+)<"))
    end
    for _ in session:enumerate(CIM .. "Win32_Service", { batch = 2 }) do break end -- luacheck: ignore 512
    assert.equals(0, stats(), "breaking out of the loop releases the enumeration")
    assert.equals(0x8033801A, err_of(function()
      for _ in session:enumerate("wmicimv2/*", { filter = "SELECT FROM WHERE" }) do end
    end).code)
    assert.matches("association", err_of(session.enumerate, session, "wmicimv2/Win32_Service", { associations = true }))
    assert.equals(20, session.BatchItems, "the session's BatchItems is left as it was")
  end)

  it("keeps the COM members and their misspelling errors", function()
    assert.is_function(session.Get)
    assert.matches("did you mean 'Get'", err_of(function() return session.Gte end))
    assert.matches("has no member 'frobnicate'", err_of(function() return session.frobnicate end))
  end)
end)
