-- SPDX-License-Identifier: MIT

--- Lua tables from WinRM XML and back: `WSMan.decode`, `WSMan.encode`, `WSMan.null`,
-- `WSMan.class`, `WSMan.epr`.
--
-- The module `wsman` loads this one the first time one of those names is read, so
--
--     local WSMan = require "wsman"
--     local t = WSMan.decode(session:Get("wmicimv2/Win32_Service?Name=Spooler"))
--     print(t[WSMan.class], t.Name, t.State)          --> Win32_Service  Spooler  Running
--
-- The XML is read by the C core (through `wsman.xml`), resource URI aliases come from its table.
--
-- **The table form** (`decode`):
--
-- * an element's children become fields named by their local name; the root's local name is in
--   `t[WSMan.class]`;
-- * text is kept as a string (`""` for an empty element), `xsi:nil="true"` becomes `WSMan.null`;
-- * an element that occurs more than once becomes an array; one that occurs once stays a
--   scalar unless its name is in `opts.arrays`;
-- * an element with child elements becomes a nested table (embedded objects; datetimes as
--   `{Datetime = "2024-01-01T10:00:00Z"}`, intervals as `{Interval = "P1DT2H"}`, likewise
--   `Date`, `Time`, `CIM_DateTime`);
-- * an endpoint reference (`a:Address` + `a:ReferenceParameters`: a reference property, a
--   `ResourceCreated` reply, an EPR item) becomes `{address = ..., resource_uri = ...,
--   selectors = {Name = "Spooler"}}` (a selector whose value is itself an EPR gives a nested
--   one); an instance's own `cim:Location`, and the EPR of an ObjectAndEPR enumeration item,
--   go to `t[WSMan.epr]`;
-- * attributes become `"@Name"` fields, and an element with attributes and text keeps its text
--   in `"#text"` (`{["@Name"] = "stdout", ["#text"] = "..."}`); namespace declarations,
--   `xsi:nil`, `xsi:type` and `xml:lang` are not kept as attributes;
-- * a SOAP envelope is read as the first element of its Body.
--
-- With `opts.typed`, values whose `xsi:type` says so become numbers and booleans, and
-- datetimes, dates, times and intervals (the `cim:` wrapper forms, or `xsi:type`
-- `dateTime`/`date`/`time`/`duration`) become date objects (see `date`).
--
-- `encode` writes this form back as the XML Put, Create and Invoke take, with winrm.vbs's rules.
-- It keeps the element order of a decoded table, and orders other keys alphabetically.
--
-- @module wsman.results
local xml = require "wsman.xml"

local M = {}

local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local concat, sort = table.concat, table.sort
local find, sub, match, format, lower = string.find, string.sub, string.match, string.format, string.lower
local escape = xml.escape

-- The core's alias table (uri.c), from the C module.
local expand_alias
do
  local core = require "wsman.core"
  expand_alias = rawget(core, "_expand_alias") -- (the module's table raises on unknown names)
end

local function sentinel(name)
  return setmetatable({}, {
    __name = name,
    __tostring = function() return name end,
    __newindex = function() error(name .. " is a constant", 2) end,
    __metatable = name,
  })
end

--- The value of a property that is `xsi:nil="true"` (SQL-like NULL), for `decode` and
-- `encode`. `tostring(WSMan.null)` is `"WSMan.null"`.
M.null = sentinel("WSMan.null")
--- The key under which a decoded table keeps its root element's local name (its class).
M.class = sentinel("WSMan.class")
--- The key under which a decoded instance keeps its own endpoint reference (`cim:Location`,
-- or the EPR of an ObjectAndEPR enumeration item).
M.epr = sentinel("WSMan.epr")

local null, CLASS, EPR = M.null, M.class, M.epr

local NS = {
  xsi = "http://www.w3.org/2001/XMLSchema-instance",
  a = "http://schemas.xmlsoap.org/ws/2004/08/addressing",
  w = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
  cim = "http://schemas.dmtf.org/wbem/wscim/1/common",
  soap = "http://www.w3.org/2003/05/soap-envelope",
}
M.NS = NS
local CIM_NS = {
  [NS.cim] = true,
  ["http://schemas.dmtf.org/wbem/wsman/1/base"] = true,
  ["http://schemas.dmtf.org/wsman/2005/06/base"] = true,
}
M.CIM_NS = CIM_NS
local ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

-- ------------------------------------------------------------------------------------------
-- Resource URIs
-- ------------------------------------------------------------------------------------------

--- A resource URI with its alias expanded and its `?selectors` removed, as the
-- ResourceLocator's ResourceURI gives it (`wmicimv2/Win32_Service?Name=x` ->
-- `http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service`).
-- @tparam string uri a resource URI or alias, with or without `?selectors`
-- @treturn string the full resource URI
function M.resource_uri(uri)
  uri = match(uri, "^%s*(.-)%s*$")
  uri = match(uri, "^([^?]*)")
  return expand_alias(uri)
end

-- winrm.vbs GetRootNodeName: the last token of the URI, ([a-z_][-a-z0-9._]*)$, case-insensitive.
local function last_token(uri)
  uri = match(uri, "^([^?]*)")
  local tok = match(uri, "([%a_][%w%-%._]*)$")
  if not tok then error("Invalid URI - cannot locate last token for root node name: " .. uri, 3) end
  return tok
end
M.last_token = last_token

-- ------------------------------------------------------------------------------------------
-- Key order of decoded tables (kept aside, so that the tables stay plain)
-- ------------------------------------------------------------------------------------------

local order_of = setmetatable({}, { __mode = "k" })

--- Remembers the order in which `encode` should write the keys of `t` (keys not listed come
-- after, alphabetically). `decode` does this for every table it makes.
-- @tparam table t the table `encode` will write
-- @tparam {string,...} keys its keys in the order to write them
-- @treturn table t itself
function M.set_order(t, keys)
  order_of[t] = keys
  return t
end

local function key_less(a, b)
  local la, lb = lower(a), lower(b)
  if la ~= lb then return la < lb end
  return a < b
end

--- The string keys of a table in encoding order: the remembered order first, then the others
-- sorted case-insensitively. Attributes (`"@x"`) and `"#text"` are included.
-- @tparam table t a table from `decode`, or one to `encode`
-- @treturn {string,...} its string keys
function M.keys(t)
  local order = order_of[t]
  local out, seen = {}, {}
  if order then
    for _, k in ipairs(order) do
      if t[k] ~= nil and not seen[k] then
        out[#out + 1] = k
        seen[k] = true
      end
    end
  end
  local rest = {}
  for k in pairs(t) do
    if type(k) == "string" and not seen[k] then rest[#rest + 1] = k end
  end
  sort(rest, key_less)
  for _, k in ipairs(rest) do out[#out + 1] = k end
  return out
end

-- ------------------------------------------------------------------------------------------
-- Dates (typed mode)
-- ------------------------------------------------------------------------------------------

local Date = {}
Date.__index = Date
Date.__name = "wsman.date"

local DATE_ELEMENTS = { Datetime = "datetime", Date = "date", Time = "time", Interval = "interval",
                        CIM_DateTime = "cim_datetime" }
local DATE_ELEMENT_OF = { datetime = "Datetime", date = "Date", time = "Time", interval = "Interval",
                          cim_datetime = "CIM_DateTime" }

local function zone_of(z)
  if z == "" then return nil, nil end
  if z == "Z" then return "Z", 0 end
  local sign, hh, mm = match(z, "^([+-])(%d%d):(%d%d)$")
  if not sign then return false end
  local off = tonumber(hh) * 60 + tonumber(mm)
  return z, sign == "-" and -off or off
end

local function parse_time(s)
  local hh, mi, ss, frac, rest = match(s, "^(%d%d):(%d%d):(%d%d)%.?(%d*)(.*)$")
  if not hh then return nil end
  local zone, off = zone_of(rest)
  if zone == false then return nil end
  return tonumber(hh), tonumber(mi), tonumber(ss), frac ~= "" and frac or nil, zone, off
end

local function parse_date_value(kind, s)
  local d = { kind = kind }
  if kind == "datetime" or kind == "date" then
    local neg, y, mo, da, rest = match(s, "^(%-?)(%d%d%d%d+)%-(%d%d)%-(%d%d)(.*)$")
    if not y then return nil end
    d.year, d.month, d.day = tonumber(neg .. y), tonumber(mo), tonumber(da)
    if kind == "datetime" then
      local t = match(rest, "^T(.*)$")
      if not t then return nil end
      local hh, mi, ss, frac, zone, off = parse_time(t)
      if not hh then return nil end
      d.hour, d.min, d.sec, d.frac, d.zone, d.offset = hh, mi, ss, frac, zone, off
    else
      local zone, off = zone_of(rest)
      if zone == false then return nil end
      d.zone, d.offset = zone, off
    end
  elseif kind == "time" then
    local hh, mi, ss, frac, zone, off = parse_time(s)
    if not hh then return nil end
    d.hour, d.min, d.sec, d.frac, d.zone, d.offset = hh, mi, ss, frac, zone, off
  elseif kind == "interval" then
    local neg, body = match(s, "^(%-?)P(.+)$")
    if not body then return nil end
    local datepart, timepart = match(body, "^([^T]*)T?(.*)$")
    if find(body, "T", 1, true) and timepart == "" then return nil end
    d.negative = neg == "-" or nil
    for n, u in datepart:gmatch("(%d+)(%a)") do
      local f = ({ Y = "year", M = "month", D = "day" })[u]
      if not f then return nil end
      d[f] = tonumber(n)
    end
    if datepart:gsub("%d+[YMD]", "") ~= "" then return nil end
    local consumed = timepart:gsub("%d+[HM]", ""):gsub("%d+%.?%d*S", "")
    if consumed ~= "" then return nil end
    for n, u in timepart:gmatch("(%d+)([HM])") do d[u == "H" and "hour" or "min"] = tonumber(n) end
    local sec, frac = match(timepart, "(%d+)%.?(%d*)S")
    if sec then d.sec, d.frac = tonumber(sec), frac ~= "" and frac or nil end
  elseif kind == "cim_datetime" then
    -- DMTF: yyyymmddHHMMSS.mmmmmmsUUU, or an interval ddddddddHHMMSS.mmmmmm:000
    local y, mo, da, hh, mi, ss, us, sign, off =
      match(s, "^(%d%d%d%d)(%d%d)(%d%d)(%d%d)(%d%d)(%d%d)%.(%d%d%d%d%d%d)([+-])(%d%d%d)$")
    if y then
      d.year, d.month, d.day, d.hour, d.min, d.sec = tonumber(y), tonumber(mo), tonumber(da), tonumber(hh),
        tonumber(mi), tonumber(ss)
      d.frac, d.offset = us, (sign == "-" and -1 or 1) * tonumber(off)
    else
      local days
      days, hh, mi, ss, us = match(s, "^(%d%d%d%d%d%d%d%d)(%d%d)(%d%d)(%d%d)%.(%d%d%d%d%d%d):000$")
      if not days then return nil end
      d.kind = "cim_interval"
      d.day, d.hour, d.min, d.sec, d.frac = tonumber(days), tonumber(hh), tonumber(mi), tonumber(ss), us
    end
  else
    return nil
  end
  return setmetatable(d, Date)
end

local function fmt_zone(d)
  if d.zone then return d.zone end
  if d.offset then
    if d.offset == 0 then return "Z" end
    local o = math.abs(d.offset)
    return format("%s%02d:%02d", d.offset < 0 and "-" or "+", o // 60, o % 60)
  end
  return ""
end

local function fmt_frac(d)
  return d.frac and ("." .. d.frac) or ""
end

--- A date object's text in its own form (xs:dateTime, xs:date, xs:time, xs:duration or the
-- DMTF form), as `encode` writes it.
function Date.__tostring(d)
  local k = d.kind
  if k == "datetime" then
    return format("%04d-%02d-%02dT%02d:%02d:%02d%s%s", d.year, d.month, d.day, d.hour or 0, d.min or 0,
      d.sec or 0, fmt_frac(d), fmt_zone(d))
  elseif k == "date" then
    return format("%04d-%02d-%02d%s", d.year, d.month, d.day, fmt_zone(d))
  elseif k == "time" then
    return format("%02d:%02d:%02d%s%s", d.hour or 0, d.min or 0, d.sec or 0, fmt_frac(d), fmt_zone(d))
  elseif k == "interval" then
    local s = (d.negative and "-" or "") .. "P"
    if d.year then s = s .. d.year .. "Y" end
    if d.month then s = s .. d.month .. "M" end
    if d.day then s = s .. d.day .. "D" end
    if d.hour or d.min or d.sec then
      s = s .. "T"
      if d.hour then s = s .. d.hour .. "H" end
      if d.min then s = s .. d.min .. "M" end
      if d.sec then s = s .. d.sec .. fmt_frac(d) .. "S" end
    end
    if s == "P" or s == "-P" then s = s .. "T0S" end
    return s
  elseif k == "cim_datetime" then
    local off = d.offset or 0
    return format("%04d%02d%02d%02d%02d%02d.%-6s%s%03d", d.year, d.month, d.day, d.hour or 0, d.min or 0,
      d.sec or 0, d.frac or "000000", off < 0 and "-" or "+", math.abs(off)):gsub(" ", "0")
  elseif k == "cim_interval" then
    return (format("%08d%02d%02d%02d.%-6s:000", d.day or 0, d.hour or 0, d.min or 0, d.sec or 0,
      d.frac or "000000"):gsub(" ", "0"))
  end
  return "?"
end

function Date.__eq(a, b)
  for _, f in ipairs { "kind", "year", "month", "day", "hour", "min", "sec", "frac", "zone", "offset", "negative" } do
    if a[f] ~= b[f] then return false end
  end
  return true
end

local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

--- Seconds since 1970-01-01 UTC of a datetime (a number with the fraction); for an interval,
-- its length in seconds (months count 30 days, years 365). A datetime without a zone is taken
-- as UTC.
-- @treturn number
function Date:seconds()
  local frac = self.frac and tonumber("0." .. self.frac) or 0
  local k = self.kind
  if k == "interval" or k == "cim_interval" then
    local s = ((self.year or 0) * 365 + (self.month or 0) * 30 + (self.day or 0)) * 86400
      + (self.hour or 0) * 3600 + (self.min or 0) * 60 + (self.sec or 0) + frac
    return self.negative and -s or s
  end
  local days = self.year and days_from_civil(self.year, self.month, self.day) or 0
  return days * 86400 + (self.hour or 0) * 3600 + (self.min or 0) * 60 + (self.sec or 0) + frac
    - (self.offset or 0) * 60
end

--- Makes a date object from text: `kind` is `"datetime"` (xs:dateTime), `"date"`, `"time"`,
-- `"interval"` (xs:duration) or `"cim_datetime"` (DMTF `yyyymmddHHMMSS.mmmmmmsUUU`, or
-- the interval form `ddddddddHHMMSS.mmmmmm:000`). Fields: `kind`, `year`, `month`, `day`, `hour`,
-- `min`, `sec` (integers, as `os.time` wants them; for an interval, the counts of each unit),
-- `frac` (the digits of the fraction of a second, a string, or nil), `zone` (`"Z"`, `"+01:00"`
-- or nil), `offset` (minutes east of UTC, or nil), `negative` (intervals). `tostring` gives the
-- text back; `d:seconds()` gives epoch seconds (or an interval's length).
-- @tparam string kind `"datetime"`, `"date"`, `"time"`, `"interval"` or `"cim_datetime"`
-- @tparam string text the value as WinRM writes it (`"2024-01-01T10:00:00Z"`, `"P1DT2H"`)
-- @return a date object, or nil when the text is not of that form
function M.date(kind, text)
  return parse_date_value(kind, text)
end

--- True when `v` is a date object.
function M.is_date(v)
  return getmetatable(v) == Date
end

-- ------------------------------------------------------------------------------------------
-- decode
-- ------------------------------------------------------------------------------------------

local INTEGER_TYPES = {
  byte = true, short = true, int = true, long = true, integer = true, unsignedbyte = true,
  unsignedshort = true, unsignedint = true, unsignedlong = true, nonnegativeinteger = true,
  positiveinteger = true, negativeinteger = true, nonpositiveinteger = true,
  uint8 = true, sint8 = true, uint16 = true, sint16 = true, uint32 = true, sint32 = true, uint64 = true,
  sint64 = true, char16 = true,
}
local FLOAT_TYPES = { float = true, double = true, decimal = true, real32 = true, real64 = true }
local DATE_TYPES = { datetime = "datetime", date = "date", time = "time", duration = "interval" }

local function typed_value(xtype, s)
  local t = lower(match(xtype, "([^:]*)$"))
  if sub(t, 1, 3) == "cim" and #t > 3 then t = sub(t, 4) end
  if t == "boolean" then
    local v = match(s, "^%s*(.-)%s*$")
    if v == "true" or v == "1" then return true end
    if v == "false" or v == "0" then return false end
    return s
  elseif INTEGER_TYPES[t] then
    local v = match(s, "^%s*([+-]?%d+)%s*$")
    if not v then return s end
    return math.tointeger(tonumber(v)) or tonumber(v)
  elseif FLOAT_TYPES[t] then
    local v = match(s, "^%s*(.-)%s*$")
    if v == "INF" then return math.huge end
    if v == "-INF" then return -math.huge end
    if v == "NaN" then return 0 / 0 end
    return tonumber(v) or s
  elseif DATE_TYPES[t] then
    return parse_date_value(DATE_TYPES[t], match(s, "^%s*(.-)%s*$")) or s
  end
  return s
end

local XSI, XMLNS_XML, A_NS, W_NS = NS.xsi, xml.XML_NS, NS.a, NS.w

local function elements_of(el)
  local out
  for i = 1, #el do
    local c = el[i]
    if type(c) == "table" then
      out = out or {}
      out[#out + 1] = c
    end
  end
  return out
end

local function text_of(el)
  local n = #el
  if n == 1 then local c = el[1]; if type(c) == "string" then return c end end
  local parts = {}
  for i = 1, n do
    local c = el[i]
    if type(c) == "string" then parts[#parts + 1] = c end
  end
  return concat(parts)
end

-- The attributes worth keeping, plus xsi:type / xsi:nil.
local function attributes(el)
  local attrs = el.attrs
  if not attrs then return nil, nil, false end
  local kept, xtype, isnil
  for i = 1, #attrs do
    local a = attrs[i]
    if a.ns == XSI and a.lname == "type" then
      xtype = a.value
    elseif a.ns == XSI and a.lname == "nil" then
      isnil = a.value == "true" or a.value == "1"
    elseif a.ns ~= XMLNS_XML then
      kept = kept or {}
      kept[#kept + 1] = a
    end
  end
  return kept, xtype, isnil
end

local decode_element

-- An EPR: a:Address and a:ReferenceParameters (w:ResourceURI, w:SelectorSet of w:Selector
-- with a Name and a text or EPR value). Returns nil for anything else.
local function decode_epr(el, opts)
  if el.attrs then
    for _, a in ipairs(el.attrs) do if a.ns ~= XMLNS_XML then return nil end end
  end
  local kids = elements_of(el)
  if not kids or #kids ~= 2 then return nil end
  local addr, refs = kids[1], kids[2]
  if addr.lname ~= "Address" or addr.ns ~= A_NS or refs.lname ~= "ReferenceParameters" or refs.ns ~= A_NS then
    return nil
  end
  if elements_of(addr) then return nil end
  local t = { address = text_of(addr) }
  for _, r in ipairs(elements_of(refs) or {}) do
    if r.ns ~= W_NS then return nil end
    if r.lname == "ResourceURI" and not t.resource_uri and not elements_of(r) then
      t.resource_uri = text_of(r)
    elseif r.lname == "SelectorSet" and not t.selectors then
      local sel = {}
      for _, s in ipairs(elements_of(r) or {}) do
        local name = xml.attr(s, "Name")
        if s.lname ~= "Selector" or s.ns ~= W_NS or not name or sel[name] ~= nil then return nil end
        local inner = elements_of(s)
        if inner then
          if #inner ~= 1 or inner[1].lname ~= "EndpointReference" then return nil end
          local v = decode_epr(inner[1], opts)
          if not v then return nil end
          sel[name] = v
        else
          sel[name] = text_of(s)
        end
      end
      t.selectors = sel
    else
      return nil
    end
  end
  return t
end

--- Whether an element is an instance's cim:Location (its EPR, which WsmTxt.xsl does not show).
-- @tparam table el element
-- @treturn boolean
local function is_cim_location(el)
  return el.lname == "Location" and CIM_NS[el.ns or ""] or false
end
M.is_cim_location = is_cim_location

local function add(t, multi, key, v, arrays, order)
  local cur = t[key]
  if cur == nil then
    if arrays and arrays[key] then
      t[key] = { v }
      multi[key] = true
    else
      t[key] = v
    end
    order[#order + 1] = key
  elseif multi[key] then
    cur[#cur + 1] = v
  else
    t[key] = { cur, v }
    multi[key] = true
  end
end

-- Decodes an element's children, attributes and mixed text into table t.
local function fill(t, el, kids, kept, opts)
  local order, multi = {}, {}
  if kept then
    for _, a in ipairs(kept) do
      local k = "@" .. a.lname
      if t[k] == nil then order[#order + 1] = k end
      t[k] = a.value
    end
  end
  local arrays = opts.arrays
  for _, c in ipairs(kids) do
    if is_cim_location(c) and t[EPR] == nil then
      local v = decode_epr(c, opts)
      if v then
        t[EPR] = v
        goto continue
      end
    end
    add(t, multi, c.lname, decode_element(c, opts), arrays, order)
    ::continue::
  end
  local text = text_of(el)
  if find(text, "%S") then
    t["#text"] = text
    order[#order + 1] = "#text"
  end
  if #order > 1 then order_of[t] = order end
  return t
end

decode_element = function(el, opts)
  local kept, xtype, isnil = attributes(el)
  if isnil then
    if not kept then return null end
    return fill({ ["#text"] = null }, el, {}, kept, opts)
  end
  local kids = elements_of(el)
  if not kids then
    local text = text_of(el)
    if opts.typed and xtype then text = typed_value(xtype, text) end
    if not kept then return text end
    local t, order = {}, {}
    for _, a in ipairs(kept) do
      local k = "@" .. a.lname
      if t[k] == nil then order[#order + 1] = k end
      t[k] = a.value
    end
    t["#text"] = text
    order[#order + 1] = "#text"
    order_of[t] = order
    return t
  end
  if #kids == 1 and not kept then
    local k = kids[1]
    local kind = DATE_ELEMENTS[k.lname]
    if kind and CIM_NS[k.ns or ""] and not elements_of(k) and not k.attrs then
      local text = text_of(k)
      if opts.typed then
        local d = parse_date_value(kind, match(text, "^%s*(.-)%s*$"))
        if d then return d end
      end
      return { [k.lname] = text }
    end
  end
  if not kept then
    local epr = decode_epr(el, opts)
    if epr then return epr end
  end
  return fill({}, el, kids, kept, opts)
end

local function arrays_set(list)
  if list == nil then return nil end
  if type(list) ~= "table" then error("decode: opts.arrays must be a list of property names", 3) end
  local set = {}
  for k, v in pairs(list) do
    if type(k) == "number" then set[v] = true else set[k] = v and true or nil end
  end
  return set
end

--- Turns WinRM XML into a Lua table (see the module description for the form).
-- @tparam string text an instance, an EPR (`ResourceCreated`, `EndpointReference`), a method
-- output, an `IdentifyResponse`, a `WSManFault`, an enumeration item (also an ObjectAndEPR
-- `w:Item`), a fragment, or a whole SOAP envelope
-- @tparam[opt] table opts `arrays` (list of property names that are always arrays), `typed`
-- (true: convert by `xsi:type` and the CIM datetime forms)
-- @treturn table with the root element's local name in `t[WSMan.class]`
-- @raise a string "XML: ..." when the text is not well-formed XML
function M.decode(text, opts)
  if type(text) ~= "string" then error("decode: XML string expected, got " .. type(text), 2) end
  if opts ~= nil and type(opts) ~= "table" then
    error("decode: options must be a table such as { arrays = {...}, typed = true }, got " .. type(opts), 2)
  end
  opts = opts or {}
  local o = { arrays = arrays_set(opts.arrays), typed = opts.typed and true or false }
  local root = xml.parse(text)
  if root.lname == "Envelope" and root.ns == NS.soap then
    local body
    for _, c in ipairs(elements_of(root) or {}) do
      if c.lname == "Body" and c.ns == NS.soap then body = c end
    end
    if not body then error("decode: the SOAP envelope has no Body", 2) end
    root = (elements_of(body) or {})[1] or body -- an empty Body gives {[WSMan.class] = "Body"}
  end
  local item_epr
  if root.lname == "Item" and root.ns == W_NS then
    local kids = elements_of(root) or {}
    local last = kids[#kids]
    if #kids == 2 and last.lname == "EndpointReference" and last.ns == A_NS then
      item_epr = decode_epr(last, o)
      if item_epr then root = kids[1] end
    end
  end
  local v = decode_element(root, o)
  local t
  if type(v) == "table" and getmetatable(v) == nil then
    t = v
  else
    t = { ["#text"] = v }
  end
  t[CLASS] = root.lname
  if item_epr then t[EPR] = item_epr end
  return t
end

-- ------------------------------------------------------------------------------------------
-- encode
-- ------------------------------------------------------------------------------------------

local NAME = "^[%a_][%w_%.%-]*$"

local function is_epr(v)
  if type(v.selectors) ~= "table" and type(v.resource_uri) ~= "string" then return false end
  for k in pairs(v) do
    if k ~= "address" and k ~= "resource_uri" and k ~= "selectors" and k ~= CLASS then return false end
  end
  return true
end

local function is_array(v)
  local n = #v
  if n == 0 then return next(v) == nil end
  for k in pairs(v) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then return false end
  end
  return true
end

local function scalar_text(v, where)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "boolean" then return v and "true" or "false" end
  if tv == "number" then
    if math.type(v) == "integer" then return format("%d", v) end
    if v ~= v then return "NaN" end
    if v == math.huge then return "INF" end
    if v == -math.huge then return "-INF" end
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return format("%d", v) end
    return format("%.17g", v)
  end
  error(("encode: %s: a %s cannot be written as XML text"):format(where, tv), 0)
end

local encode_value

local function encode_epr(out, need, v, where)
  need.a = true
  need.w = true
  out[#out + 1] = "<a:Address>" .. escape(v.address or ANONYMOUS) .. "</a:Address><a:ReferenceParameters>"
  if v.resource_uri then out[#out + 1] = "<w:ResourceURI>" .. escape(v.resource_uri) .. "</w:ResourceURI>" end
  if v.selectors then
    out[#out + 1] = "<w:SelectorSet>"
    for _, k in ipairs(M.keys(v.selectors)) do
      local s = v.selectors[k]
      out[#out + 1] = '<w:Selector Name="' .. escape(k) .. '">'
      if type(s) == "table" then
        out[#out + 1] = "<a:EndpointReference>"
        encode_epr(out, need, s, where .. ".selectors." .. k)
        out[#out + 1] = "</a:EndpointReference>"
      else
        out[#out + 1] = escape(scalar_text(s, where .. ".selectors." .. k))
      end
      out[#out + 1] = "</w:Selector>"
    end
    out[#out + 1] = "</w:SelectorSet>"
  end
  out[#out + 1] = "</a:ReferenceParameters>"
end

-- Attributes and children of an object table (not the tags around them).
local function encode_object(_, need, t, where)
  local attrs, text = {}, nil
  local children = {}
  for _, k in ipairs(M.keys(t)) do
    if sub(k, 1, 1) == "@" then
      local an = sub(k, 2)
      if not match(an, NAME) then error(("encode: %s: bad attribute name %q"):format(where, k), 0) end
      attrs[#attrs + 1] = " " .. an .. '="' .. escape(scalar_text(t[k], where .. "." .. k)) .. '"'
    elseif k == "#text" then
      text = t[k]
    else
      children[#children + 1] = k
    end
  end
  local inner = {}
  local isnil = false
  if text == null then
    isnil = true
  elseif text ~= nil then
    inner[#inner + 1] = escape(scalar_text(text, where .. ".#text"))
  end
  for _, k in ipairs(children) do encode_value(inner, need, k, t[k], where .. "." .. k) end
  if t[EPR] ~= nil then
    need.cim = true
    inner[#inner + 1] = "<cim:Location>"
    encode_epr(inner, need, t[EPR], where .. "[WSMan.epr]")
    inner[#inner + 1] = "</cim:Location>"
  end
  if isnil then
    need.xsi = true
    attrs[#attrs + 1] = ' xsi:nil="true"'
  end
  return concat(attrs), concat(inner)
end

encode_value = function(out, need, name, v, where)
  if not match(name, NAME) then error(("encode: %s: %q is not an XML element name"):format(where, name), 0) end
  local tag = "p:" .. name
  if v == null then
    need.xsi = true
    out[#out + 1] = "<" .. tag .. ' xsi:nil="true"></' .. tag .. ">"
    return
  end
  if type(v) ~= "table" then
    out[#out + 1] = "<" .. tag .. ">" .. escape(scalar_text(v, where)) .. "</" .. tag .. ">"
    return
  end
  if getmetatable(v) == Date then
    need.cim = true
    local el = DATE_ELEMENT_OF[v.kind == "cim_interval" and "cim_datetime" or v.kind]
    out[#out + 1] = "<" .. tag .. "><cim:" .. el .. ">" .. escape(tostring(v)) .. "</cim:" .. el .. "></" .. tag .. ">"
    return
  end
  if getmetatable(v) ~= nil then error(("encode: %s: a table with a metatable cannot be written"):format(where), 0) end
  if is_array(v) then
    for i = 1, #v do
      local x = v[i]
      if type(x) == "table" and getmetatable(x) == nil and #x > 0 and is_array(x) then
        error(("encode: %s[%d]: arrays of arrays cannot be written"):format(where, i), 0)
      end
      encode_value(out, need, name, x, where .. "[" .. i .. "]")
    end
    return
  end
  if is_epr(v) then
    out[#out + 1] = "<" .. tag .. ">"
    encode_epr(out, need, v, where)
    out[#out + 1] = "</" .. tag .. ">"
    return
  end
  local only = next(v)
  if type(only) == "string" and next(v, only) == nil and DATE_ELEMENTS[only] and type(v[only]) == "string" then
    need.cim = true
    out[#out + 1] = "<" .. tag .. "><cim:" .. only .. ">" .. escape(v[only]) .. "</cim:" .. only .. "></" .. tag .. ">"
    return
  end
  local attrs, inner = encode_object(out, need, v, where)
  out[#out + 1] = "<" .. tag .. attrs .. ">" .. inner .. "</" .. tag .. ">"
end

local function method_name(root)
  local tok = match(root, "([^/]*)$")
  if sub(tok, -6) == "_INPUT" then return tok end
  return tok .. "_INPUT"
end

--- Builds the XML that Put, Create and Invoke take, with winrm.vbs's rules: the root element is
-- `root .. "_INPUT"` when `root` names a method (a bare name or a full action URI), else
-- `tbl[WSMan.class]`, else the last token of the resource URI; `xmlns:p` is the resource URI
-- (alias expanded, selectors removed); `WSMan.null` gives `xsi:nil="true"` (and `xmlns:xsi`
-- on the root); arrays give repeated elements; text and attribute values are escaped
-- (`& < > " '`). Numbers are written as integers when integral, booleans as `true`/`false`,
-- date objects in their own form inside `cim:` wrappers, EPR tables as `a:Address` +
-- `a:ReferenceParameters`, `"@x"` keys as attributes, `"#text"` as text, and `t[WSMan.epr]`
-- as a trailing `cim:Location`. `decode(encode(uri, t))` gives `t` back.
-- @tparam string resource_uri resource URI or alias form (`wmicimv2/Win32_Service?Name=x`)
-- @tparam table tbl the properties
-- @tparam[opt] string root a method name (for Invoke)
-- @treturn string XML
function M.encode(resource_uri, tbl, root)
  if type(resource_uri) ~= "string" then
    error("encode: resource URI string expected, got " .. type(resource_uri), 2)
  end
  if tbl == nil then tbl = {} end
  if type(tbl) ~= "table" then error("encode: table expected, got " .. type(tbl), 2) end
  if root ~= nil and type(root) ~= "string" then error("encode: root must be a method name string", 2) end
  local uri = M.resource_uri(resource_uri)
  local name
  if root then
    name = method_name(root)
  elseif type(tbl[CLASS]) == "string" then
    name = tbl[CLASS]
  else
    name = last_token(uri)
  end
  if not match(name, NAME) then error(("encode: %q is not an XML element name"):format(name), 2) end
  local need = {}
  local ok, attrs, inner
  if is_epr(tbl) then
    local out = {}
    ok, attrs = pcall(encode_epr, out, need, tbl, name)
    inner = concat(out)
    if ok then attrs = "" end
  else
    ok, attrs, inner = pcall(encode_object, nil, need, tbl, name)
  end
  if not ok then error(attrs, 2) end
  local head = { "<p:", name, ' xmlns:p="', escape(uri), '"' }
  if need.xsi then head[#head + 1] = ' xmlns:xsi="' .. NS.xsi .. '"' end
  if need.cim then head[#head + 1] = ' xmlns:cim="' .. NS.cim .. '"' end
  if need.a then head[#head + 1] = ' xmlns:a="' .. NS.a .. '"' end
  if need.w then head[#head + 1] = ' xmlns:w="' .. NS.w .. '"' end
  head[#head + 1] = attrs
  head[#head + 1] = ">"
  return concat(head) .. inner .. "</p:" .. name .. ">"
end

return M
