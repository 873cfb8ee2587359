-- SPDX-License-Identifier: MIT

--- Output formats of the `wsman` command: winrm's text (WsmTxt.xsl), indented XML, and JSON.
--
--     local format = require "wsman.format"
--     print(format.text(xml))       -- "Win32_Service\n    AcceptPause = false\n..."
--     print(format.pretty(xml))     -- the XML, one element per line, indented
--     print(format.json(WSMan.decode(xml)))
--
-- @module wsman.format
local xml = require "wsman.xml"
local results = require "wsman.results"

local M = {}

local concat, rep = table.concat, string.rep
local find, format, gsub, byte = string.find, string.format, string.gsub, string.byte

local XSI = results.NS.xsi

local function parse(x)
  if type(x) == "string" then return xml.parse(x) end
  return x
end

-- ------------------------------------------------------------------------------------------
-- text: the rules of WsmTxt.xsl, the stylesheet winrm.cmd applies by default
-- ------------------------------------------------------------------------------------------
-- * whitespace-only text is ignored;
-- * cim:Location (the instance's EPR) is not shown;
-- * an element with text, or with xsi:nil, prints "<indent>LocalName = value" ("null" for
--   xsi:nil); with a Name attribute "LocalName: Name = value" (selectors); consecutive
--   elements of the same name (arrays) share one line: "Name = a, b, c";
-- * any other element prints "<indent>LocalName" and then its children one level deeper;
-- * Source="GPO" / "Compatibility" attributes are noted as [Source="..."];
-- * the indent is four spaces per level.

local function is_nil(el)
  local v = xml.attr(el, "nil", XSI)
  return v == "true" or v == "1"
end

local function has_text(el)
  for i = 1, #el do
    local c = el[i]
    if type(c) == "string" and find(c, "%S") then return true end
  end
  return false
end

local is_location = results.is_cim_location

local function source_note(el)
  local s = xml.attr(el, "Source")
  if s == "GPO" or s == "Compatibility" then return ' [Source="' .. s .. '"]' end
  return ""
end

local function element_children(el)
  local out = {}
  for i = 1, #el do
    if type(el[i]) == "table" then out[#out + 1] = el[i] end
  end
  return out
end

local function render(el, depth, out, prev, nxt)
  if is_location(el) then return end
  local indent = rep("    ", depth)
  if has_text(el) or is_nil(el) then
    local name = xml.attr(el, "Name")
    local same_prev = prev and prev.name == el.name
    local same_next = nxt and nxt.name == el.name
    if not same_prev then
      out[#out + 1] = indent .. el.lname
      if name then out[#out + 1] = ": " .. name end
      out[#out + 1] = " = "
    elseif name then
      out[#out + 1] = name .. " = "
    end
    out[#out + 1] = is_nil(el) and "null" or xml.text(el)
    out[#out + 1] = source_note(el)
    out[#out + 1] = same_next and ", " or "\n"
    return
  end
  out[#out + 1] = indent .. el.lname .. source_note(el) .. "\n"
  local kids = element_children(el)
  for i, c in ipairs(kids) do render(c, depth + 1, out, kids[i - 1], kids[i + 1]) end
end

--- The text winrm prints for a reply (WsmTxt.xsl): `Name = value` lines, nested elements
-- indented by four spaces. Ends with a newline.
-- @param x XML string or parsed element
-- @treturn string
function M.text(x)
  local out = {}
  render(parse(x), 0, out)
  return concat(out)
end

-- ------------------------------------------------------------------------------------------
-- pretty: indented XML
-- ------------------------------------------------------------------------------------------

local function pretty(el, depth, out)
  local indent = rep("    ", depth)
  local tag = xml.start_tag(el)
  local kids = element_children(el)
  if #kids == 0 then
    local text = xml.text(el)
    if text == "" then
      out[#out + 1] = indent .. tag .. "/>"
    else
      out[#out + 1] = indent .. tag .. ">" .. xml.escape(text) .. "</" .. el.name .. ">"
    end
    return
  end
  out[#out + 1] = indent .. tag .. ">"
  for i = 1, #el do
    local c = el[i]
    if type(c) == "table" then
      pretty(c, depth + 1, out)
    elseif find(c, "%S") then
      out[#out + 1] = indent .. "    " .. xml.escape(c)
    end
  end
  out[#out + 1] = indent .. "</" .. el.name .. ">"
end

--- The XML with one element per line, indented by four spaces per level (winrm's
-- `-format:pretty`). No trailing newline.
-- @param x XML string or parsed element
-- @treturn string
function M.pretty(x)
  local out = {}
  pretty(parse(x), 0, out)
  return concat(out, "\n")
end

-- ------------------------------------------------------------------------------------------
-- JSON
-- ------------------------------------------------------------------------------------------

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r",
              ["\t"] = "\\t" }

local function json_string(s)
  if not utf8.len(s) then
    -- not UTF-8: read the bytes as Latin-1 so the output stays valid JSON
    s = gsub(s, "[\128-\255]", function(c) return utf8.char(byte(c)) end)
  end
  return '"' .. gsub(s, '[%c"\\]', function(c) return ESC[c] or format("\\u%04x", byte(c)) end) .. '"'
end
M.json_string = json_string

local function json_number(v)
  if math.type(v) == "integer" then return format("%d", v) end
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  local s = format("%.14g", v)
  if tonumber(s) ~= v then s = format("%.17g", v) end
  return s
end

local CLASS, EPR, null = results.class, results.epr, results.null

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local function encode_json(v, out, depth)
  if depth > 200 then error("json: nesting too deep", 0) end
  local tv = type(v)
  if v == null or v == nil then
    out[#out + 1] = "null"
  elseif tv == "string" then
    out[#out + 1] = json_string(v)
  elseif tv == "number" then
    out[#out + 1] = json_number(v)
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif tv == "table" and results.is_date(v) then
    out[#out + 1] = json_string(tostring(v))
  elseif tv == "table" then
    if is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode_json(v[i], out, depth + 1)
      end
      out[#out + 1] = "]"
      return
    end
    out[#out + 1] = "{"
    local first = true
    local function field(k, x)
      if not first then out[#out + 1] = "," end
      first = false
      out[#out + 1] = json_string(k) .. ":"
      encode_json(x, out, depth + 1)
    end
    if v[CLASS] ~= nil then field("#class", v[CLASS]) end
    for _, k in ipairs(results.keys(v)) do field(k, v[k]) end
    for k, x in pairs(v) do
      if math.type(k) == "integer" then field(tostring(k), x) end
    end
    if v[EPR] ~= nil then field("#epr", v[EPR]) end
    out[#out + 1] = "}"
  else
    error("json: cannot encode a " .. tv, 0)
  end
end

--- JSON text of a value: tables from `WSMan.decode` become objects (the class as `"#class"`,
-- the instance's EPR as `"#epr"`, attributes as `"@x"`, in the element order), arrays become
-- arrays, `WSMan.null` becomes `null`, date objects their text. Strings are escaped as JSON
-- requires (quotes, backslashes, control characters).
-- @param v the value: a table from `WSMan.decode`, an array, a string, number, boolean or `WSMan.null`
-- @treturn string the JSON text
function M.json(v)
  local out = {}
  encode_json(v, out, 0)
  return concat(out)
end

return M
