-- SPDX-License-Identifier: MIT
-- Enumerate / Pull / Release against the simulator over real sockets.
local WSMan = require "wsman"
local sim = require "helpers.sim"
local CIM = sim.CIMV2

local err_of = sim.err_of

local stats = sim.stats

local function read_all(e)
  local items = {}
  while not e.AtEndOfStream do items[#items + 1] = e:ReadItem() end
  return items
end

describe("Enumerate", function()
  local s, session

  setup(function()
    s = sim.start { "--allow-unencrypted", "--processes", "250" }
    session = sim.session(s)
  end)

  it("reads every instance with ReadItem until AtEndOfStream", function()
    local e = session:Enumerate(CIM .. "Win32_Service")
    local items = read_all(e)
    assert.is_true(#items >= 20)
    for _, x in ipairs(items) do assert.matches("^<p:Win32_Service", x) end
    assert.is_true(e.AtEndOfStream)
    assert.equals("", e.Error)
  end)

  it("raises an error object for ReadItem past the end", function()
    local e = session:Enumerate("wmicimv2/Win32_OperatingSystem")
    read_all(e)
    local x = err_of(e.ReadItem, e)
    assert.equals("table", type(x))
    assert.matches("AtEndOfStream", x.message)
  end)

  it("pulls the next batch only when the local one is used up, on one connection", function()
    local ss = sim.session(s)
    ss.BatchItems = 50
    local before = stats(ss)
    local e = ss:Enumerate(CIM .. "Win32_Process")
    local first = e:ReadItem()
    assert.matches("Win32_Process", first)
    local mid = stats(ss)
    -- Enumerate + the stats Get: no Pull yet
    assert.equals(before.Requests + 2, mid.Requests)
    local n = 1
    while not e.AtEndOfStream do e:ReadItem(); n = n + 1 end
    assert.is_true(n >= 250)
    local after = stats(ss)
    local pulls = after.Requests - mid.Requests - 1
    assert.equals(math.ceil((n - 50) / 50), pulls)
    assert.equals(before.Connections, after.Connections)
    assert.equals(0, after.OpenEnumerations)
  end)

  it("returns EPRs and objects with EPRs", function()
    local e = session:Enumerate(CIM .. "Win32_Service", "", "", WSMan.EnumerationFlagReturnEPR)
    local x = e:ReadItem()
    assert.matches("EndpointReference", x)
    assert.matches("Selector", x)
    read_all(e)
    e = session:Enumerate(CIM .. "Win32_OperatingSystem", "", "",
      WSMan.EnumerationFlagReturnObjectAndEPR | WSMan.EnumerationFlagHierarchyDeep)
    x = e:ReadItem()
    assert.matches("Win32_OperatingSystem", x)
    assert.matches("EndpointReference", x)
  end)

  it("filters with WQL (the default dialect) on .../cimv2/*", function()
    local e = session:Enumerate(CIM .. "*", "SELECT * FROM Win32_Service WHERE Name = 'Spooler'")
    local items = read_all(e)
    assert.equals(1, #items)
    assert.matches("<p:Name>Spooler</p:Name>", items[1])
    e = session:Enumerate(CIM .. "*", "SELECT * FROM Win32_NetworkAdapterConfiguration WHERE IPEnabled=TRUE",
      "http://schemas.microsoft.com/wbem/wsman/1/WQL")
    assert.is_true(#read_all(e) >= 1)
    e = session:Enumerate(CIM .. "*", "SELECT * FROM Win32_Share WHERE Name='Admin$'")
    items = read_all(e)
    assert.equals(1, #items)
  end)

  it("reports a bad WQL query with the server's fault", function()
    local e = err_of(session.Enumerate, session, CIM .. "*", "SELECT FROM WHERE")
    assert.equals(0x8033801A, e.code)
    assert.equals("Enumerate", e.operation)
  end)

  it("filters with the selector dialect, as XML or as a hash", function()
    local d = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
    local xml = "<wsman:SelectorSet xmlns:wsman='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'>"
      .. "<wsman:Selector Name='State'>Stopped</wsman:Selector></wsman:SelectorSet>"
    local a = read_all(session:Enumerate(CIM .. "Win32_Service", xml, d))
    local b = read_all(session:Enumerate(CIM .. "Win32_Service", '{State="Stopped"}', d))
    assert.is_true(#a >= 1)
    assert.equals(#a, #b)
    for _, x in ipairs(a) do assert.matches("<p:State>Stopped</p:State>", x) end
    assert.matches("KEY=", err_of(session.Enumerate, session, CIM .. "Win32_Service", "{State=Stopped}", d).message)
  end)

  it("filters with the association dialect, hash or XML, both spellings", function()
    local hash = "{Object=Win32_Service?Name=WinRM;AssociationClassName=Win32_DependentService;"
      .. "ResultClassName=win32_service;ResultRole=antecedent;Role=dependent}"
    for _, d in ipairs { "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter",
                         "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/AssociationFilter" } do
      local items = read_all(session:Enumerate(CIM .. "*", hash, d))
      assert.is_true(#items >= 1, d)
      for _, x in ipairs(items) do assert.matches("Win32_Service", x) end
      local assoc = read_all(session:Enumerate(CIM .. "*",
        "{Object=Win32_Service?Name=WinRM;ResultClassName=Win32_DependentService}", d,
        WSMan.EnumerationFlagAssociationInstance))
      assert.is_true(#assoc >= 1)
      for _, x in ipairs(assoc) do assert.matches("Win32_DependentService", x) end
    end
  end)

  it("sends the hierarchy flags, and the server's refusal comes back as 0x80338137", function()
    for _, f in ipairs { WSMan.EnumerationFlagHierarchyShallow, WSMan.EnumerationFlagHierarchyDeepBasePropsOnly } do
      local e = err_of(session.Enumerate, session, CIM .. "Win32_Service", "", "", f)
      assert.equals(0x80338137, e.code)
    end
  end)

  it("releases the context at once with <close>", function()
    local ss = sim.session(s)
    ss.BatchItems = 5
    do
      local e <close> = ss:Enumerate(CIM .. "Win32_Process")
      e:ReadItem()
      assert.equals(1, stats(ss).OpenEnumerations)
    end
    assert.equals(0, stats(ss).OpenEnumerations)
  end)

  it("queues the Release of a collected enumerator and sends it before the next request", function()
    local ss = sim.session(s)
    ss.BatchItems = 5
    local e = ss:Enumerate(CIM .. "Win32_Process")
    e:ReadItem()
    assert.equals(1, stats(ss).OpenEnumerations)
    e = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equals(0, stats(ss).OpenEnumerations)
  end)

  it("keeps the session alive while an enumerator uses it", function()
    local e
    do
      local ss = sim.session(s)
      ss.BatchItems = 3
      e = ss:Enumerate(CIM .. "Win32_Service")
    end
    collectgarbage()
    collectgarbage()
    assert.is_true(#read_all(e) >= 20)
  end)

  it("retries a Pull with fewer elements when the reply would exceed MaxEnvelopeSize", function()
    local ss = sim.session(s, 0, function(o) o.max_envelope_size = 8192 end)
    ss.BatchItems = 100
    local items = read_all(ss:Enumerate(CIM .. "Win32_Service"))
    assert.is_true(#items >= 20)
  end)

  it("an expired context gives InvalidEnumerationContext", function()
    local short = sim.start { "--allow-unencrypted", "--enum-timeout", "0" }
    local ss = sim.session(short)
    ss.BatchItems = 2
    local e = ss:Enumerate(CIM .. "Win32_Service")
    e:ReadItem(); e:ReadItem()
    -- with a 0 ms enumeration timeout every context has expired by the time of the next Pull
    local x = err_of(function() while true do e:ReadItem() end end)
    assert.equals(0x8033801B, x.code)
    assert.equals("Pull", x.operation)
    assert.matches("WSManFault", e.Error)
  end)
end)
