-- SPDX-License-Identifier: MIT

--- XML for WinRM replies: the library's reader as Lua tables, and writer helpers.
--
-- `parse` reads a whole UTF-8 document (or UTF-16 with a byte order mark, read as the same
-- text in UTF-8) into a tree and refuses anything that is not well-formed, namespace-correct
-- XML 1.0: mismatched or unclosed tags, bad names, duplicate attributes, undeclared prefixes,
-- `&` without a valid entity or character reference, characters XML forbids, text or a second
-- element outside the root, and DTDs (which WinRM never sends; refusing them rules out entity
-- expansion attacks). Documents longer than `max_bytes` or with elements nested deeper than
-- `max_depth` are refused too. The reading is the C core's (xmltree.c on Expat, the reader
-- the replies go through); line ends are kept as written (a CR is not folded into LF).
--
-- An element is a table: `name` (qualified name as written), `lname` (local name), `ns`
-- (namespace URI or nil), `attrs` (nil, or an array of `{name=, lname=, ns=, value=}` without
-- the namespace declarations), `nsdecl` (nil, or an array of `{prefix, uri}` declared on this
-- element, prefix "" for the default namespace), and its children at integer indices: strings
-- for text (entities already replaced, CDATA included) and tables for elements.
--
--     local xml = require "wsman.xml"
--     local root = xml.parse('<p:A xmlns:p="urn:x"><p:B>1</p:B></p:A>')
--     print(root.lname, root[1].lname, root[1][1])   --> A  B  1
--
-- @module wsman.xml
local M = {}

local find, gsub = string.find, string.gsub
local concat = table.concat

--- The namespace of `xml:` attributes.
M.XML_NS = "http://www.w3.org/XML/1998/namespace"
--- The namespace of `xmlns:` declarations.
M.XMLNS_NS = "http://www.w3.org/2000/xmlns/"

--- Documents longer than this many bytes are refused.
M.max_bytes = 64 * 1024 * 1024
--- Elements nested deeper than this are refused.
M.max_depth = 256

-- The core's reader, from the C module.
local cparse
do
  local core = require "wsman.core"
  cparse = rawget(core, "_xml_parse") -- (the module's table raises on unknown names)
end

--- Parses a document; returns the root element. Raises `"XML: ... at offset N"` errors.
-- @tparam string s the document
-- @treturn table the root element
function M.parse(s)
  return cparse(s, M.max_depth, M.max_bytes)
end

--- The value of an attribute by local name and namespace (nil namespace: unqualified).
-- @tparam table el element
-- @tparam string lname local name
-- @tparam[opt] string ns namespace URI
-- @treturn string|nil
function M.attr(el, lname, ns)
  local attrs = el.attrs
  if not attrs then return nil end
  for i = 1, #attrs do
    local a = attrs[i]
    if a.lname == lname and a.ns == ns then return a.value end
  end
  return nil
end

--- The concatenated text of an element and its descendants (XPath `string()`).
-- @tparam table el element
-- @treturn string
function M.text(el)
  if type(el) == "string" then return el end
  local n = #el
  if n == 1 and type(el[1]) == "string" then return el[1] end
  local parts = {}
  for i = 1, n do parts[i] = M.text(el[i]) end
  return concat(parts)
end

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;" }

--- Escapes `& < > " '` as winrm.vbs's Escape does (for text and attribute values).
-- @tparam string s the text
-- @treturn string the text with those characters escaped
function M.escape(s)
  if not find(s, "[&<>\"']") then return s end
  return (gsub(s, "[&<>\"']", ESC))
end

--- The start tag of an element (as `parse` returns it) without its closing `>`: the name, the
-- namespace declarations and the attributes, as they were read.
-- @tparam table el element
-- @treturn string
function M.start_tag(el)
  local out = { "<", el.name }
  if el.nsdecl then
    for _, d in ipairs(el.nsdecl) do
      out[#out + 1] = (d[1] == "" and ' xmlns="' or (" xmlns:" .. d[1] .. '="')) .. M.escape(d[2]) .. '"'
    end
  end
  if el.attrs then
    for _, a in ipairs(el.attrs) do out[#out + 1] = " " .. a.name .. '="' .. M.escape(a.value) .. '"' end
  end
  return concat(out)
end

--- Writes an element (as `parse` returns it) back as XML, with the prefixes and namespace
-- declarations it was read with.
-- @tparam table el element
-- @treturn string
function M.serialize(el)
  local out = {}
  local function w(e)
    out[#out + 1] = M.start_tag(e)
    if #e == 0 then
      out[#out + 1] = "/>"
      return
    end
    out[#out + 1] = ">"
    for i = 1, #e do
      local c = e[i]
      if type(c) == "string" then out[#out + 1] = M.escape(c) else w(c) end
    end
    out[#out + 1] = "</" .. e.name .. ">"
  end
  w(el)
  return concat(out)
end

return M
