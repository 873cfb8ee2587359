-- SPDX-License-Identifier: MIT
-- Every CLIXML type checked against what Windows really sent (../shared/captures/windows-pypsrp,
-- pypsrp's recordings): the values of known messages decoded field by field (DateTime with its
-- offset, Char, SecureString, Version, UInt32, enums with their ToString, <Ref> to earlier objects,
-- ProgressRecord, ErrorRecord, InformationRecord), every primitive of every message written back
-- with the same element and text, the GUID byte order of the PSRP header against the ShellId, and
-- PowerShell's stderr records rendered from the same decoder. Types Windows did not send in these
-- recordings (Guid, TimeSpan, Decimal, Uri, XmlDocument, ScriptBlock, byte[], ...) round-trip here
-- with MS-PSRP 2.2.5.1's own examples; seeded mutations of a document holding every type go through
-- both readers (clixml_decode and the stderr decoder).
local WSMan = require "wsman"
local core = require "wsman.core"
local sim = require "helpers.sim"
local captures = require "helpers.psrp_captures"

local clixml = require "helpers.clixml"
local mutate = require "helpers.mutate"

local decode, encode, V, O = WSMan.clixml_decode, WSMan.clixml_encode, WSMan.ps_value, WSMan.ps_object
local one, same = clixml.one, clixml.same

-- The first message of a recording that contains every one of the given texts.
local function message(file, ...)
  local path = captures.dir .. "/" .. file
  if not sim.need_shared(path) then return nil end
  local want = { ... }
  for _, m in ipairs(captures.messages(path)) do
    local all = true
    for _, w in ipairs(want) do all = all and m:find(w, 1, true) ~= nil end
    if all then return m end
  end
  error(file .. ": no message with " .. table.concat(want, ", "))
end

local ENUM_BASES = { "System.Enum", "System.ValueType", "System.Object" }

local function assert_enum(o, type_name, text, value)
  assert.same({ type_name, table.unpack(ENUM_BASES) }, o.type_names)
  assert.equals(text, tostring(o))
  assert.equals(value, o.value)
  assert.equals("integer", math.type(o.value))
end

-- The primitives of a CLIXML text as sorted "<Tag N=..>text" lines (RefIds left out).
local PRIMITIVES = { "S", "C", "B", "DT", "TS", "By", "SB", "U16", "I16", "U32", "I32", "U64", "I64", "Sg", "Db",
  "D", "BA", "G", "URI", "Version", "XD", "SBK", "SS", "ToString", "T" }
local function primitives(xml)
  local out = {}
  for _, tag in ipairs(PRIMITIVES) do
    for attrs, text in xml:gmatch("<" .. tag .. "([^>]*)>([^<]*)</" .. tag .. ">") do
      out[#out + 1] = tag .. (attrs:match(' N="[^"]*"') or "") .. ">" .. text
    end
    for attrs in xml:gmatch("<" .. tag .. "(%f[%s/][^>]*)/>") do
      out[#out + 1] = tag .. (attrs:match(' N="[^"]*"') or "") .. ">"
    end
  end
  for attrs in xml:gmatch("<Nil([^>]*)/>") do out[#out + 1] = "Nil" .. (attrs:match(' N="[^"]*"') or "") end
  table.sort(out)
  return out
end

describe("CLIXML types as Windows sent them", function()
  it("Version, Boolean and the capability's shape", function()
    local m = message("test_psrp_open_runspace.yml", "protocolversion")
    if not m then return end
    local cap = one(m, { typed = true })
    assert.equals(V("Version", "2.3"), cap.protocolversion)
    assert.equals(V("Version", "2.0"), cap.PSVersion)
    assert.equals(V("Version", "1.1.0.1"), cap.SerializationVersion)
    assert.matches('<Version N="protocolversion">2.3</Version>', encode(cap), 1, true)
  end)

  it("enums: type names, ToString and the Int32 they wrap", function()
    local m = message("test_psrp_open_runspace.yml", "PSThreadOptions")
    if not m then return end
    local init = one(m)
    assert_enum(init.PSThreadOptions, "System.Management.Automation.Runspaces.PSThreadOptions", "Default", 0)
    assert_enum(init.ApartmentState, "System.Management.Automation.Runspaces.ApartmentState", "UNKNOWN", 2)
    assert.is_true(init.HostInfo._isHostNull)
  end)

  it("Char is the UTF-16 code unit, as in the KeyInfo's ToString", function()
    local m = message("test_psrp_pshost_raw_ui_mocked_methods.yml", "System.Management.Automation.Host.KeyInfo")
    if not m then return end
    local key = one(m)
    assert.equals("65,a,CapsLockOn,True", tostring(key))
    assert.equals(V("Char", "97"), key.Character)
    assert.equals("a", WSMan.ps_char(key.Character))
    assert.equals(65, key.VirtualKeyCode)
    assert.equals("CapsLockOn", key.ControlKeyState)
    assert.is_true(key.KeyDown)
    assert.equals(key.Character, one(encode(key)).Character)
  end)

  it("SecureString keeps its encrypted text exactly", function()
    local m = message("test_psrp_multiple_commands.yml", "<SS>")
    if not m then return end
    local ss = one(m)
    assert.equals(V("SecureString", "rTm4n3bxaFOIgdjhDDV5OA=="), ss)
    assert.equals("<SS>rTm4n3bxaFOIgdjhDDV5OA==</SS>", encode(ss))
  end)

  it("InformationRecord: MessageData, Source, DateTime with its offset, UInt32, an empty typed list", function()
    local m = message("test_psrp_merge_commands.yml", "<T>System.Management.Automation.InformationRecord</T>")
    if not m then return end
    local info = one(m, { typed = true })
    assert.same({ "System.Management.Automation.InformationRecord", "System.Object" }, info.type_names)
    assert.equals("information stream", info.to_string)
    assert.equals(V("String", "information stream"), info.MessageData)
    assert.equals(V("String", "Write-Information"), info.Source)
    assert.equals(V("DateTime", "2018-06-13T23:46:27.9270288+00:00"), info.TimeGenerated)
    assert.same({ year = 2018, month = 6, day = 13, hour = 23, minute = 46, second = 27, ticks = 9270288,
      kind = "Local", offset = 0, time = 1528933587 }, WSMan.ps_datetime(info.TimeGenerated))
    assert.equals(V("String", "WIN-NNMU24VVKJ0\\vagrant"), info.User)
    assert.equals(V("UInt32", "2636"), info.ProcessId)
    assert.equals(V("UInt32", "2692"), info.NativeThreadId)
    assert.equals(V("Boolean", "true"), info.extended.WriteInformationStream)
    assert.equals("List", info.Tags.collection)
    assert.equals(0, info.Tags.items.n)
    local plain = one(m)
    assert.equals(2636, plain.ProcessId)
    assert.equals("integer", math.type(plain.ProcessId))
    assert.equals("2018-06-13T23:46:27.9270288+00:00", tostring(plain.TimeGenerated))
    -- the INFORMATION_RECORD message itself: the same fields as extended properties, fewer digits
    local rec = one(message("test_psrp_merge_commands.yml", '<DT N="TimeGenerated">2018-06-13T23:46:28.00516+00:00'))
    assert.equals(V("DateTime", "2018-06-13T23:46:28.00516+00:00"), rec.TimeGenerated)
    assert.equals("information stream", rec.MessageData)
    assert.is_nil(rec.adapted)
  end)

  it("ErrorRecord: its exception, category, invocation info, references and escaped text", function()
    local m = message("test_psrp_merge_commands.yml", "<T>System.Management.Automation.ErrorRecord</T>",
      "CommandInfo_Definition")
    if not m then return end
    local err = one(m)
    assert.equals("error stream", tostring(err))
    assert.same({ "Microsoft.PowerShell.Commands.WriteErrorException", "System.SystemException", "System.Exception",
      "System.Object" }, err.Exception.type_names)
    assert.equals("error stream", err.Exception.Message)
    assert.equals(-2146233087, err.Exception.HResult)
    assert.equals("Dictionary", err.Exception.Data.collection)
    assert.is_nil(err.Exception.InnerException)
    assert.equals("Microsoft.PowerShell.Commands.WriteErrorException", err.FullyQualifiedErrorId)
    assert.equals(0, err.ErrorCategory_Category)
    assert.equals("NotSpecified: (:) [Write-Error], WriteErrorException", err.ErrorCategory_Message)
    assert.equals("Write-Error", err.ErrorCategory_Activity)
    assert.equals("at <ScriptBlock>, <No file>: line 5", err.ErrorDetails_ScriptStackTrace)
    assert.matches("^%$DebugPreference = 'Continue'\n            %$VerbosePreference", err.CommandInfo_Definition)
    assert.equals(err.CommandInfo_Definition, err.InvocationInfo.MyCommand)
    assert.equals(1, err.InvocationInfo_HistoryId)
    assert.equals("integer", math.type(err.InvocationInfo_HistoryId))
    assert_enum(err.InvocationInfo_CommandOrigin, "System.Management.Automation.CommandOrigin", "Internal", 1)
    assert_enum(err.CommandInfo_CommandType, "System.Management.Automation.CommandTypes", "Script", 64)
    -- <Ref RefId="4"/> and <Ref RefId="5"/> are the objects written earlier in the record
    assert.equals(err.InvocationInfo.BoundParameters, err.InvocationInfo_BoundParameters)
    assert.equals(err.InvocationInfo.UnboundArguments, err.InvocationInfo_UnboundArguments)
    assert.same({ n = 2, 0, 0 }, err.PipelineIterationInfo.items)
    assert.is_true(err.writeErrorStream)
  end)

  it("ProgressRecord: every field, and the same record through the stderr decoder", function()
    local m = message("test_client_copy_expand_vars.yml", "PercentComplete")
    if not m then return end
    local p = one(m)
    assert.equals("Preparing modules for first use.", p.Activity)
    assert.same({ 0, " ", -1, -1, -1 }, { p.ActivityId, p.StatusDescription, p.ParentActivityId, p.PercentComplete,
      p.SecondsRemaining })
    assert.is_nil(p.CurrentOperation)
    assert_enum(p.Type, "System.Management.Automation.ProgressRecordType", "Completed", 1)
    local doc = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">"
      .. m:gsub("^<Obj ", '<Obj S="progress" ', 1) .. "</Objs>\r\n"
    local text, records = WSMan.clixml("before\r\n" .. doc .. "after")
    assert.equals("before\r\nafter", text)
    assert.same({ { type = "progress", activity = "Preparing modules for first use.", activity_id = 0,
      status_description = " ", parent_activity_id = -1, percent_complete = -1, record_type = "Completed",
      seconds_remaining = -1 } }, records)
  end)

  it("the stderr samples decode with the object reader: records are the PSObjects' fields", function()
    local path = captures.dir .. "/test_sanitise_clixml_with_error.xml"
    if not sim.need_shared(path) then return end
    local data = assert(io.open(path, "rb")):read("a")
    local values = decode(data:match("<Objs.*</Objs>"))
    local _, records = WSMan.clixml(data)
    assert.equals(10, values.n)
    assert.equals(3, #records)
    for i = 1, 2 do
      local pr = values[i].Record
      assert.same({ "System.Management.Automation.ProgressRecord" }, pr.type_names)
      assert.same({ "progress", pr.AV, pr.AI, pr.PI, pr.PC, pr.T, pr.SR, pr.SD, values[i].SourceId },
        { records[i].type, records[i].activity, records[i].activity_id, records[i].parent_activity_id,
          records[i].percent_complete, records[i].record_type, records[i].seconds_remaining,
          records[i].status_description, records[i].source_id })
    end
    local lines = {}
    for i = 3, values.n do lines[#lines + 1] = values[i] end
    assert.equals(table.concat(lines):gsub("\r\n", "\n"):gsub("%s+$", ""), records[3].message)
  end)

  it("every primitive of every message is written back with its element and text", function()
    if not sim.need_shared(captures.dir .. "/test_psrp_open_runspace.yml") then return end
    local checked, values = 0, 0
    for _, f in ipairs(captures.files()) do
      for i, xml in ipairs(captures.messages(f)) do
        local v = one(xml, { typed = true })
        local want, got = primitives(xml), primitives(encode(v))
        assert.same(want, got, f .. " message " .. i)
        local plain = one(xml)
        local ok, why = same(plain, one(encode(plain)))
        assert(ok, f .. " message " .. i .. ": " .. tostring(why))
        checked, values = checked + 1, values + #want
      end
    end
    assert.is_true(checked >= 600, checked .. " messages")
    assert.is_true(values >= 9000, values .. " primitives")
  end)

  it("GUIDs in the PSRP header: pypsrp's bytes, echoed by Windows, read in .NET's byte order", function()
    local path = captures.dir .. "/test_psrp_open_runspace.yml"
    if not sim.need_shared(path) then return end
    local text = assert(io.open(path)):read("a"):gsub("\n    +", " ")
    local shell_id = text:match('ShellId="(%x+%-%x+%-%x+%-%x+%-%x+)"')
    local creation = core._base64_decode(text:match("<creationXml[^>]*>([%w+/=]+)</creationXml>"))
    -- pypsrp wrote the ShellId's 16 bytes in text order (RFC 4122), not as Guid.ToByteArray does
    local FRAGMENT_HEADER, RPID_AT = 21, 8
    local raw = creation:sub(FRAGMENT_HEADER + RPID_AT + 1, FRAGMENT_HEADER + RPID_AT + 16)
    assert.equals(shell_id:gsub("-", ""), (raw:gsub(".", function(ch) return ("%02X"):format(ch:byte()) end)))
    -- the packet representation (MS-DTYP 2.3.4.2) reads the first three fields little-endian
    local sent = core._psrp_defrag():feed(creation)
    assert.equals(2, #sent)
    assert.equals("SESSION_CAPABILITY", sent[1].type_name)
    assert.equals("846A0576-DC51-244F-9262-CA2A55464B2B", sent[1].rpid)
    assert.equals("76056A84-51DC-4F24-9262-CA2A55464B2B", shell_id)
    -- and Windows answers with the very bytes it was sent
    local replies = 0
    for b64 in text:gmatch("<rsp:Stream[^>]*>([%w+/=]+)</rsp:Stream>") do
      for _, m in ipairs(core._psrp_defrag():feed(core._base64_decode(b64))) do
        if m.destination == 1 and m.rpid ~= "00000000-0000-0000-0000-000000000000" then
          assert.equals(sent[1].rpid, m.rpid)
          replies = replies + 1
        end
      end
    end
    assert.is_true(replies >= 2, replies .. " replies")
  end)
end)

describe("CLIXML types Windows did not send here: MS-PSRP 2.2.5.1's examples", function()
  local CASES = {
    { "Guid", "792e5b37-4505-47ef-b7d2-8711bb7affa8" },
    { "DateTime", "2008-04-11T10:42:32.2731993-07:00" },
    { "DateTime", "2008-04-11T10:42:32.2731993Z" },
    { "DateTime", "2008-04-11T10:42:32.2731993" },
    { "TimeSpan", "PT9.0269026S" },
    { "TimeSpan", "-P1DT2H3M4.5S" },
    { "Decimal", "1.10" },
    { "Uri", "http://www.microsoft.com/" },
    { "XmlDocument", "<item>\n  <name>laptop</name>\n</item>" },
    { "ScriptBlock", "get-command -type cmdlet" },
    { "Byte", "254" },
    { "SByte", "-127" },
    { "UInt16", "65535" },
    { "Int16", "-32768" },
    { "UInt64", "18446744073709551615" },
    { "Single", "12.34" },
    { "Double", "-1.79769313486232E+308" },
  }
  for _, c in ipairs(CASES) do
    it(c[1] .. " " .. c[2], function()
      local xml = encode(V(c[1], c[2]))
      assert.equals(V(c[1], c[2]), one(xml, { typed = true }))
      assert.equals(xml, encode(one(xml, { typed = true })))
    end)
  end

  it("DateTime fields: the kind from the zone, the offset, ticks and the UTC time", function()
    assert.same({ year = 2008, month = 4, day = 11, hour = 10, minute = 42, second = 32, ticks = 2731993,
      kind = "Local", offset = -420, time = 1207935752 },
      WSMan.ps_datetime(V("DateTime", "2008-04-11T10:42:32.2731993-07:00")))
    assert.same({ year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, ticks = 0, kind = "Utc",
      offset = 0, time = 0 }, WSMan.ps_datetime("1970-01-01T00:00:00Z"))
    local t = WSMan.ps_datetime("2000-02-29T23:59:59.5")
    assert.same({ "Unspecified", 5000000 }, { t.kind, t.ticks })
    assert.is_nil(t.time)
    assert.equals(951868799, WSMan.ps_datetime("2000-02-29T23:59:59+00:00").time)
    for _, bad in ipairs { "2001-02-29T00:00:00", "2008-04-11 10:42:32", "2008-04-11T24:00:00", "2008-04-11T10:42:32.",
      "2008-04-11T10:42:32.12345678", "2008-04-11T10:42:32+15:00", "2008-04-11T10:42:32z", "" } do
      local v, err = WSMan.ps_datetime(bad)
      assert.is_nil(v, bad)
      assert.matches("is not a DateTime", err)
    end
    assert.has_error(function() WSMan.ps_datetime(V("TimeSpan", "PT1S")) end)
  end)

  it("TimeSpan durations: exact ticks and .NET's components", function()
    local ts = WSMan.ps_timespan(V("TimeSpan", "PT9.0269026S"))
    assert.same({ ticks = 90269026, total_seconds = 9.0269026, days = 0, hours = 0, minutes = 0, seconds = 9,
      fraction = 269026 }, ts)
    ts = WSMan.ps_timespan("-P1DT2H3M4.5S")
    assert.same({ -937845000000, -1, -2, -3, -4, -5000000 }, { ts.ticks, ts.days, ts.hours, ts.minutes, ts.seconds,
      ts.fraction })
    assert.equals(math.maxinteger, WSMan.ps_timespan("P10675199DT2H48M5.4775807S").ticks)
    assert.equals(0, WSMan.ps_timespan("PT0S").ticks)
    assert.equals(425 * 864000000000, WSMan.ps_timespan("P1Y2M").ticks)
    for _, bad in ipairs { "P", "PT", "1S", "PT1H2H", "PT1S2M", "PT.5S", "PT1.5M", "P10675199DT2H48M5.4775808S",
      "P1W" } do
      local v, err = WSMan.ps_timespan(bad)
      assert.is_nil(v, bad)
      assert.matches("is not a TimeSpan", err)
    end
  end)

  it("Char: the UTF-16 code unit as a character", function()
    assert.equals("é", WSMan.ps_char(V("Char", "233")))
    assert.equals("\0", WSMan.ps_char("0"))
    assert.equals("\239\191\189", WSMan.ps_char("55357")) -- half a surrogate pair
    assert.is_nil(WSMan.ps_char("65536"))
    assert.is_nil(WSMan.ps_char("x"))
  end)

  it("byte[] is base64 on the wire and the bytes in Lua", function()
    local bytes = ""
    for b = 0, 255 do bytes = bytes .. string.char(b) end
    assert.equals("<BA>AAECAwQFBgc=</BA>", encode(V("ByteArray", "\0\1\2\3\4\5\6\7")))
    assert.equals(bytes, one(encode(V("ByteArray", bytes))))
  end)

  it("an object in a list refers to an earlier one, and a cycle is kept", function()
    local shared = O { type_names = { "T" }, to_string = "s", adapted = { x = 1 } }
    local root = O { type_names = { "R" }, collection = "List", items = { n = 2, shared, shared } }
    root.extended = { me = root }
    local back = one(encode(root))
    assert.equals(back.items[1], back.items[2])
    assert.equals(back, back.me)
    assert.is_true(same(one(encode(back)), back))
  end)
end)

describe("seeded random mutations of every type, through both readers", function()
  it("2000 of them: decoded or refused by clixml_decode, rendered or kept as text by clixml", function()
    local values = { n = 0 }
    for _, t in ipairs { { "Guid", "792e5b37-4505-47ef-b7d2-8711bb7affa8" }, { "DateTime", "2008-04-11T10:42:32Z" },
      { "TimeSpan", "-P1DT2H3M4.5S" }, { "Decimal", "1.10" }, { "Uri", "http://h/" }, { "XmlDocument", "<a/>" },
      { "ScriptBlock", "{ 1 }" }, { "Char", "97" }, { "ByteArray", "\0\1\255" }, { "SecureString", "AAE=" },
      { "Version", "1.2.3.4" }, { "Byte", "1" }, { "SByte", "-1" }, { "UInt16", "2" }, { "Int16", "-2" },
      { "UInt32", "3" }, { "UInt64", "4" }, { "Int64", "-4" }, { "Single", "1.5" }, { "Double", "NaN" },
      { "Boolean", "true" }, { "String", "s_x\r\n\240\159\152\128" }, { "Null" } } do
      values.n = values.n + 1
      values[values.n] = V(t[1], t[2])
    end
    local shared = O { type_names = { "E", "System.Enum" }, to_string = "One", value = 1 }
    values.n = values.n + 1
    values[values.n] = O { type_names = { "R" }, collection = "Dictionary", items = { a = shared, b = shared },
      extended = { e = shared } }
    local doc = encode(values, { objs = true })
    local streams = doc:gsub("<S>", '<S S="Error">'):gsub('<Obj RefId="(%d+)">', '<Obj S="progress" RefId="%1">')
    local stderr = "x\r\n#< CLIXML\r\n" .. streams .. "\r\ny"
    assert.equals(values.n, decode(doc).n)
    local _, records = WSMan.clixml(stderr)
    assert.is_true(#records >= 2)
    local PIECES = { "<", ">", "/", '"', "_x", "_xD83D_", '<Ref RefId="0"/>', '<TNRef RefId="0"/>', "<Obj>", "</Obj>",
      "<Nil/>", "<G>", "<DT>", "<TS>", "<D>", "<C>", "<BA>", "S=\"", "N=\"", "\0", "\255", "#< CLIXML", "</Objs>" }
    math.randomseed(20261204)
    local decoded, rendered = 0, 0
    for i = 1, 2000 do
      local s = mutate(i % 2 == 0 and doc or stderr, PIECES)
      local ok, r = pcall(decode, s)
      if ok then
        decoded = decoded + 1
        assert.is_true(pcall(encode, r, { objs = true }), ("mutation %d %q"):format(i, s))
      end
      local text, recs = WSMan.clixml(s)
      assert.is_string(text)
      for _, rec in ipairs(recs) do assert.is_string(rec.type) end
      if not text:find("<Objs", 1, true) then rendered = rendered + 1 end
    end
    assert.is_true(decoded > 50, decoded .. " decoded")
    assert.is_true(rendered > 100, rendered .. " rendered")
  end)
end)
