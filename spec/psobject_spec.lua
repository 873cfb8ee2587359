-- SPDX-License-Identifier: MIT
-- PowerShell objects in CLIXML (MS-PSRP 2.2.5): WSMan.clixml_decode / clixml_encode. Every
-- primitive type round-trips exactly, objects keep their type names, ToString, wrapped value,
-- collections and both property sets, references are resolved (cycles too), every object of the
-- real Windows PSRP recordings decodes, and seeded random mutations never crash the decoder.
local WSMan = require "wsman"
local sim = require "helpers.sim"
local mutate = require "helpers.mutate"
local one = require("helpers.clixml").one

local decode, encode, V, O = WSMan.clixml_decode, WSMan.clixml_encode, WSMan.ps_value, WSMan.ps_object

local function roundtrip(v, opts)
  return one(encode(v), opts)
end

describe("primitives", function()
  -- type, serialized text, the plain Lua value it decodes to (nil: a PSValue)
  local CASES = {
    { "String", "héllo <&> \"q\" 'a'", "héllo <&> \"q\" 'a'" },
    { "Char", "65" },
    { "Boolean", "true", true },
    { "Boolean", "false", false },
    { "DateTime", "2008-04-11T10:42:32.2731993-07:00" },
    { "TimeSpan", "PT9.0269026S" },
    { "Byte", "254", 254 },
    { "SByte", "-127", -127 },
    { "UInt16", "65535", 65535 },
    { "Int16", "-32768", -32768 },
    { "UInt32", "4294967295", 4294967295 },
    { "Int32", "-2147483648", -2147483648 },
    { "UInt64", "18446744073709551615" },
    { "UInt64", "9223372036854775807", math.maxinteger },
    { "Int64", "-9223372036854775808", math.mininteger },
    { "Single", "12.5", 12.5 },
    { "Double", "0.1", 0.1 },
    { "Double", "1E+300", 1e300 },
    { "Decimal", "79228162514264337593543950335" },
    { "Decimal", "0.1000000000000000000000000001" },
    { "Guid", "792e5b37-4505-47ef-b7d2-8711bb7affa8" },
    { "Uri", "http://www.microsoft.com/" },
    { "Version", "6.2.9200.16398" },
    { "XmlDocument", "<item><name>laptop</name></item>" },
    { "ScriptBlock", "get-command -type cmdlet" },
    { "SecureString", "cAxyAHUAaQBvAA==" },
  }

  for _, c in ipairs(CASES) do
    it(c[1] .. " " .. c[2] .. " keeps its type and text", function()
      local typed = roundtrip(V(c[1], c[2]), { typed = true })
      assert.equals(c[1], typed.type)
      assert.equals(c[2], typed.value)
      assert.equals(V(c[1], c[2]), typed)
      local plain = roundtrip(V(c[1], c[2]))
      if c[3] ~= nil then
        assert.equals(c[3], plain)
        assert.equals(math.type(c[3]), math.type(plain))
      else
        assert.equals(V(c[1], c[2]), plain)
        assert.equals(c[2], tostring(plain))
      end
    end)
  end

  it("ByteArray is a Lua string of the bytes", function()
    local bytes = "\0\1\2\255binary\r\n"
    local xml = encode(V("ByteArray", bytes))
    assert.matches("^<BA>", xml)
    assert.equals(bytes, one(xml))
    assert.equals(V("ByteArray", bytes), one(xml, { typed = true }))
  end)

  it("Nil, in lists too", function()
    assert.equals("<Nil />", encode(nil))
    assert.is_nil(one("<Nil />"))
    assert.equals(V("Null", nil), one("<Nil />", { typed = true }))
    local l = roundtrip({ n = 3, 1, nil, 3 })
    assert.equals(3, l.items.n)
    assert.is_nil(l.items[2])
    assert.equals(3, l.items[3])
  end)

  it("Lua numbers choose Int32, Int64 or Double", function()
    assert.equals("<I32>7</I32>", encode(7))
    assert.equals("<I64>4294967296</I64>", encode(1 << 32))
    assert.equals("<I64>-2147483649</I64>", encode(-2147483649))
    assert.equals("<Db>0.1</Db>", encode(0.1))
    assert.equals("<Db>1</Db>", encode(1.0))
    assert.equals("<Db>NaN</Db>", encode(0 / 0))
    assert.equals("<Db>-INF</Db>", encode(-math.huge))
    assert.equals(math.huge, one("<Db>INF</Db>"))
    assert.equals(1.0, one("<Db>1</Db>"))
    assert.equals("float", math.type(one("<Db>1</Db>")))
    local nan = one("<Db>NaN</Db>")
    assert.is_true(nan ~= nan)
    for _, x in ipairs { 1 / 3, 2 ^ 53 + 2, -1e-300, 123456789.123456789 } do
      assert.equals(x, roundtrip(x))
    end
  end)

  it("a number that does not parse stays text in a PSValue", function()
    assert.equals(V("Int32", "twelve"), one("<I32>twelve</I32>"))
  end)
end)

describe("strings and names", function()
  it("control characters, underscores and surrogate pairs", function()
    local s = "a\r\nb\tc\0d_x0041_e_xZZ_\240\159\152\128 &<>]]>"
    local xml = encode(s)
    assert.matches("_x000D__x000A_", xml, 1, true)
    assert.matches("_x005F_x0041_", xml, 1, true)
    assert.equals(s, one(xml))
    assert.equals("\240\159\152\128", one("<S>_xD83D__xDE00_</S>"))
    -- characters outside the BMP are written as PowerShell writes them: an escaped surrogate pair
    assert.equals("<S>a_xD83D__xDE00_b_xD801__xDC37_</S>", encode("a\240\159\152\128b\240\144\144\183"))
    assert.equals("<S>\240\159\152</S>", encode("\240\159\152")) -- not UTF-8: left as it is
    assert.equals("\239\191\189", one("<S>_xDE00_</S>"))
    assert.equals("A_x41_", one("<S>_x0041__x41_</S>"))
  end)

  it("property names and ToString are escaped and unescaped", function()
    local o = roundtrip(O { adapted = { ["a b\r\n_x0020_"] = 1 }, to_string = "x\ny_x" })
    assert.equals(1, o.adapted["a b\r\n_x0020_"])
    assert.equals("x\ny_x", o.to_string)
  end)
end)

describe("objects", function()
  it("type names, ToString, wrapped value, adapted and extended properties", function()
    local o = roundtrip(O {
      type_names = { "System.Management.Automation.Runspaces.PSThreadOptions", "System.Enum", "System.Object" },
      to_string = "Default",
      value = 0,
      adapted = { Name = "x" },
      extended = { Note = V("Int64", "5") },
    })
    assert.same({ "System.Management.Automation.Runspaces.PSThreadOptions", "System.Enum", "System.Object" },
      o.type_names)
    assert.equals("Default", tostring(o))
    assert.equals(0, o.value)
    assert.equals("x", o.Name)
    assert.equals(5, o.Note)
    assert.equals("x", o.adapted.Name)
    assert.is_nil(o.Missing)
  end)

  it("every collection kind", function()
    for _, kind in ipairs { "List", "Enumeration", "Stack", "Queue" } do
      local o = roundtrip(O { collection = kind, items = { n = 2, "a", 2 } })
      assert.equals(kind, o.collection)
      assert.equals(2, o.items.n)
      assert.equals("a", o.items[1])
    end
    local d = roundtrip(O { collection = "Dictionary", items = { k = 1, [2] = "two", [true] = false } })
    assert.equals("Dictionary", d.collection)
    assert.equals(1, d.items.k)
    assert.equals("two", d.items[2])
    assert.equals(false, d.items[true])
    assert.has_error(function() encode(O { collection = "Bag", items = {} }) end)
  end)

  it("plain tables: sequences are Object[], others Hashtable", function()
    local l = roundtrip({ "a", "b" })
    assert.equals("System.Object[]", l.type_names[1])
    assert.equals("b", l.items[2])
    local h = roundtrip({ a = { 1, 2 } })
    assert.equals("System.Collections.Hashtable", h.type_names[1])
    assert.equals(2, h.items.a.items[2])
    local e = roundtrip({})
    assert.equals("List", e.collection)
    assert.equals(0, e.items.n)
  end)

  it("a table reached twice is one Ref; type names are shared through TNRef", function()
    local shared = { "x" }
    local xml = encode({ shared, shared, { "y" } })
    assert.matches('<Ref RefId="1" />', xml, 1, true)
    assert.matches('<TNRef RefId="0" />', xml, 1, true)
    local l = one(xml)
    assert.equals(l.items[1], l.items[2])
    assert.are_not.equal(l.items[1], l.items[3])
  end)

  it("objects sharing a <TN> share one type_names table, written once and then as <TNRef>", function()
    local xml = '<Obj RefId="0"><TN RefId="0"><T>A</T><T>System.Object</T></TN><LST><Obj RefId="1">'
      .. '<TNRef RefId="0" /></Obj><Obj RefId="2"><TN RefId="1"><T>A</T><T>System.Object</T></TN></Obj></LST></Obj>'
    local o = one(xml)
    assert.equals(o.type_names, o.items[1].type_names)
    assert.are_not.equal(o.type_names, o.items[2].type_names)
    assert.same(o.type_names, o.items[2].type_names)
    assert.equals(xml, encode(o))
  end)

  it("cycles", function()
    local a = O { type_names = { "Node" }, adapted = {} }
    a.adapted.self = a
    local d = roundtrip(a)
    assert.equals(d, d.self)
    assert.equals("Node", d.self.type_names[1])
  end)

  it("the progress record of stderr CLIXML", function()
    local o = one('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
      .. '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
      .. '</TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI>'
      .. '<Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj></Objs>')
    assert.equals(1, o.SourceId)
    assert.equals("Preparing modules for first use.", o.Record.AV)
    assert.equals(-1, o.Record.PC)
    assert.equals("Completed", o.Record.T)
    assert.equals("System.Management.Automation.ProgressRecord", o.Record.type_names[1])
  end)

  it("the S attribute of stderr CLIXML is a value's stream, both ways", function()
    local xml = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
      .. '<Obj S="progress" RefId="0"><ToString>p</ToString></Obj><S S="Error">e</S></Objs>'
    local r = decode(xml)
    assert.equals("progress", r[1].stream)
    assert.equals("e", r[2])
    local typed = decode(xml, { typed = true })
    assert.equals("Error", typed[2].stream)
    assert.equals(xml, encode(typed, { objs = true }))
    assert.equals('<S S="warning">w</S>', encode(setmetatable({ type = "String", value = "w", stream = "warning" },
      getmetatable(V("String", "")))))
  end)

  it("<Objs> documents both ways", function()
    local xml = encode({ n = 3, "a", 1, nil }, { objs = true })
    assert.matches('^<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">', xml)
    local r = decode(xml)
    assert.equals(3, r.n)
    assert.equals("a", r[1])
    assert.equals(1, r[2])
    assert.equals('<S N="Key">v</S>', encode("v", { name = "Key" }))
  end)
end)

describe("refusals", function()
  local BAD = {
    { '<Obj RefId="0"><Ref RefId="1" /></Obj>', "names no earlier object" },
    { '<Obj RefId="0"><TNRef RefId="0" /></Obj>', "names no earlier <TN>" },
    { '<Obj RefId="x"></Obj>', 'RefId "x" is not a number' },
    { '<Obj RefId="-1"></Obj>', "is not a number" },
    { "<BA>!!!</BA>", "<BA> is not base64" },
    { "<Foo />", "unknown element <Foo>" },
    { "<String>x</String>", "unknown element <String>" },
    { "<Obj><DCT><S>x</S></DCT></Obj>", "<S> is not allowed here" },
    { '<Obj><DCT><En><S N="Key">k</S></En></DCT></Obj>', "lacks its Value" },
    { '<Obj><DCT><En><S N="Key">k</S><S N="Other">v</S></En></DCT></Obj>', 'named "Other"' },
    { "<Obj><Props><S>x</S></Props></Obj>", "has no N attribute" },
    { "<Obj><I32>1</I32><I32>2</I32></Obj>", "wraps more than one value" },
    { "<Obj><LST /><IE /></Obj>", "more than one collection" },
    { "<Obj><TN><S>x</S></TN></Obj>", "<S> is not allowed here" },
    { "<S><S>x</S></S>", "<S> is not allowed here" },
    { "<S>x", "CLIXML" },
  }
  for _, c in ipairs(BAD) do
    it(c[1], function()
      local ok, err = pcall(decode, c[1])
      assert.is_false(ok)
      assert.matches(c[2], tostring(err.Message or err), 1, true)
    end)
  end

  it("values that cannot be encoded", function()
    assert.has_error(function() encode(print) end)
    assert.has_error(function() V("Object", 1) end)
    assert.has_error(function() encode(setmetatable({ type = "Nope", value = 1 }, getmetatable(V("Int32", 1)))) end)
    local deep = {}
    local t = deep
    for _ = 1, 600 do
      t[1] = {}
      t = t[1]
    end
    assert.has_error(function() encode(deep) end)
  end)
end)

-- ---- the recordings -----------------------------------------------------------------------

local captures = require "helpers.psrp_captures"
local messages_of = captures.messages

local function recordings()
  if not sim.need_shared(captures.dir .. "/test_psrp_open_runspace.yml") then return nil end
  return captures.files()
end

describe("the Windows recordings", function()
  it("every PSRP message's object decodes, and encodes again to a stable text", function()
    local files = recordings()
    if not files then return end
    local count, objects = 0, 0
    for _, f in ipairs(files) do
      for _, xml in ipairs(messages_of(f)) do
        local r = decode(xml)
        count = count + 1
        assert.equals(1, r.n)
        local again = encode(r[1])
        assert.is_true(again == encode(one(again)), f .. ": message " .. count .. " encodes differently again")
        if type(r[1]) == "table" then objects = objects + 1 end
      end
    end
    assert.is_true(#files >= 45)
    assert.is_true(count >= 600, count .. " messages")
    assert.is_true(objects >= 500, objects .. " objects")
  end)

  it("known shapes: the session capability, the pool state, a pipeline's output", function()
    if not sim.need_shared(captures.dir .. "/test_psrp_open_runspace.yml") then return end
    local msgs = messages_of(captures.dir .. "/test_psrp_open_runspace.yml")
    local cap = one(msgs[1])
    assert.equals(V("Version", "2.3"), cap.protocolversion)
    assert.equals("1.1.0.1", tostring(cap.SerializationVersion))
    local init = one(msgs[2])
    assert.equals(1, init.MinRunspaces)
    assert.equals("Default", tostring(init.PSThreadOptions))
    assert.equals(0, init.PSThreadOptions.value)
    assert.is_true(init.HostInfo._isHostNull)
  end)
end)

describe("seeded random mutations", function()
  it("3000 of them decode or fail with an error, never crash", function()
    local seeds = {
      '<Obj RefId="0"><TN RefId="0"><T>A</T></TN><ToString>t</ToString><I32>1</I32><LST><S>a_x000D_</S><Nil />'
        .. '<Ref RefId="0" /><BA>AAE=</BA></LST><Props><Db N="d">1.5</Db></Props><MS><Obj N="o" RefId="1">'
        .. '<TNRef RefId="0" /><DCT><En><S N="Key">k</S><I64 N="Value">5</I64></En></DCT></Obj></MS></Obj>',
    }
    local f = io.open(captures.dir .. "/test_psrp_pshost_ui_mocked_methods.yml")
    if f then
      f:close()
      for _, m in ipairs(messages_of(captures.dir .. "/test_psrp_pshost_ui_mocked_methods.yml")) do
        if #seeds < 6 and #m < 4000 then seeds[#seeds + 1] = m end
      end
    end
    local PIECES = { "<", ">", "/", '"', "=", " ", "_x", "_x000", "_xD83D_", '<Ref RefId="0"/>', '<TNRef RefId="9"/>',
      "<Obj>", "</Obj>", "<Nil/>", "<En>", "<BA>", "N=\"Key\"", "RefId=\"", "\0", "\255", "&#0;", "&lt;" }
    math.randomseed(20261203)
    local accepted = 0
    for i = 1, 3000 do
      local s = seeds[i % #seeds + 1]
      s = mutate(s, PIECES)
      local ok, r = pcall(decode, s)
      if ok then
        accepted = accepted + 1
        assert.is_true(pcall(encode, r, { objs = true }), ("mutation %d %q"):format(i, s))
      else
        assert.is_not_nil(r, ("mutation %d %q"):format(i, s))
      end
    end
    assert.is_true(accepted > 100, accepted .. " accepted")
  end)
end)
