--- A small, strict XML reader (pure Lua, with a faster C twin in the module) and writer helpers
-- for WinRM replies.
--
-- `parse` reads a whole UTF-8 document (or UTF-16 with a byte order mark, read as the same
-- text in UTF-8) into a tree and refuses anything that is not well-formed, namespace-correct
-- XML 1.0: mismatched or unclosed tags, bad names, duplicate attributes, undeclared prefixes,
-- `&` without a valid entity or character reference, characters XML forbids, text or a second
-- element outside the root, and DTDs (which WinRM never sends; refusing them rules out entity
-- expansion attacks). Documents longer than `max_bytes` or with elements nested deeper than
-- `max_depth` are refused too.
--
-- With the C module (`require "wsman"`) at hand, `parse` is its `_xml_parse` (src/lua/lxml.c,
-- on Expat), which builds the same tree several times faster; `parse_lua` is this file's
-- reader, used without the C module and the reference the C one is tested against
-- (spec/xml_spec.lua). Line ends are kept as written (a CR is not folded into LF).
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

local find, sub, gsub, match, byte = string.find, string.sub, string.gsub, string.match, string.byte
local concat = table.concat

--- The namespace of `xml:` attributes.
M.XML_NS = "http://www.w3.org/XML/1998/namespace"
--- The namespace of `xmlns:` declarations.
M.XMLNS_NS = "http://www.w3.org/2000/xmlns/"

--- Documents longer than this many bytes are refused.
M.max_bytes = 64 * 1024 * 1024
--- Elements nested deeper than this are refused.
M.max_depth = 256

local PREDEFINED = { lt = "<", gt = ">", amp = "&", quot = '"', apos = "'" }

local function fail(msg, pos)
  error(("XML: %s%s"):format(msg, pos and (" at offset " .. (pos - 1)) or ""), 0)
end

local function valid_char(n)
  return n == 0x9 or n == 0xA or n == 0xD or (n >= 0x20 and n <= 0xD7FF) or (n >= 0xE000 and n <= 0xFFFD)
    or (n >= 0x10000 and n <= 0x10FFFF)
end

-- Replaces entity and character references; raises on a bare '&' or an unknown reference.
local function unescape(s, pos)
  if not find(s, "&", 1, true) then return s end
  return (gsub(s, "&([^&;<]*)(;?)", function(ref, semi)
    if semi == "" then fail("'&' must start an entity or character reference ending in ';'", pos) end
    local v = PREDEFINED[ref]
    if v then return v end
    local n = match(ref, "^#x(%x+)$")
    if n then n = tonumber(n, 16) else n = match(ref, "^#(%d+)$"); n = n and tonumber(n) end
    if not n then fail("unknown entity '&" .. ref .. ";' (only the five predefined ones exist without a DTD)", pos) end
    if not valid_char(n) then fail(("character reference &%s; is not a valid XML character"):format(ref), pos) end
    return utf8.char(n)
  end))
end
M.unescape = unescape

local NAMEPAT = "[%a_:\128-\255][%w_:%.%-\128-\255]*"
local START_TAG = "^<(" .. NAMEPAT .. ")()"
local ATTRIBUTE = "^(%s*)(" .. NAMEPAT .. ")%s*=%s*(['\"])()"

local function split(qname, pos)
  local prefix, lname = match(qname, "^([^:]+):([^:]+)$")
  if prefix then return prefix, lname end
  if find(qname, ":", 1, true) then fail("bad qualified name '" .. qname .. "'", pos) end
  return nil, qname
end

local ROOT_SCOPE = { xml = M.XML_NS, xmlns = M.XMLNS_NS }

-- UTF-16 after its byte order mark (FF FE little-endian, FE FF big-endian) as UTF-8.
local function from_utf16(s)
  local len = #s
  if len % 2 ~= 0 then error("XML: the document is not valid UTF-16 (odd length)", 0) end
  local fmt = byte(s, 1) == 0xFE and ">I2" or "<I2"
  local unpack, char = string.unpack, utf8.char
  local out, n, i = {}, 0, 3
  while i < len do
    local u = unpack(fmt, s, i)
    if u >= 0xD800 and u <= 0xDFFF then
      local v = u <= 0xDBFF and i + 3 <= len and unpack(fmt, s, i + 2) or 0
      if v < 0xDC00 or v > 0xDFFF then
        error(("XML: the document is not valid UTF-16 (lone surrogate) at offset %d"):format(i - 1), 0)
      end
      u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00)
      i = i + 2
    end
    n = n + 1
    out[n] = char(u)
    i = i + 2
  end
  return concat(out)
end

--- Parses a document with this file's pure-Lua reader; returns the root element. Raises
-- `"XML: ... at offset N"` errors. A byte order mark, an XML declaration (its encoding is not
-- consulted), comments, processing instructions and whitespace around the root are allowed.
-- @tparam string s the document
-- @treturn table the root element
function M.parse_lua(s)
  if type(s) ~= "string" then error("XML: a string is expected, got " .. type(s), 0) end
  if #s > M.max_bytes then
    error(("XML: the document is larger than the limit of %d bytes"):format(M.max_bytes), 0)
  end
  local b1, b2 = byte(s, 1, 2)
  if (b1 == 0xFF and b2 == 0xFE) or (b1 == 0xFE and b2 == 0xFF) then s = from_utf16(s) end
  if not utf8.len(s) then fail("the document is not valid UTF-8") end
  local bad = find(s, "[%z\1-\8\11\12\14-\31]")
  if bad then fail(("control character 0x%02X is not allowed in XML"):format(byte(s, bad)), bad) end
  bad = find(s, "\239\191[\190\191]")
  if bad then fail(("character U+%04X is not allowed in XML"):format(0xFF40 + byte(s, bad + 2)), bad) end
  local pos, len = 1, #s
  if sub(s, 1, 3) == "\239\187\191" then pos = 4 end
  local stack, depth = {}, 0
  local max_depth = M.max_depth
  local root
  local scope = ROOT_SCOPE
  local scopes = {}
  while pos <= len do
    local lt = find(s, "<", pos, true)
    local top = stack[depth]
    if lt ~= pos then
      local text = sub(s, pos, (lt or len + 1) - 1)
      if top then
        if find(text, "]]>", 1, true) then fail("']]>' is not allowed in text", pos) end
        top[#top + 1] = unescape(text, pos)
      elseif find(text, "%S") then
        fail("text outside the root element", pos)
      end
      if not lt then break end
      pos = lt
    end
    local c = byte(s, pos + 1)
    if c == 47 then -- "</"
      local name, e = match(s, "^</([^%s>]+)%s*>()", pos)
      if not name then fail("bad end tag", pos) end
      if not top then fail("end tag </" .. name .. "> without a start tag", pos) end
      if top.name ~= name then fail("end tag </" .. name .. "> does not match <" .. top.name .. ">", pos) end
      stack[depth] = nil
      depth = depth - 1
      scope = scopes[depth + 1] or scope
      scopes[depth + 1] = nil
      pos = e
    elseif c == 33 then -- "<!"
      if sub(s, pos, pos + 3) == "<!--" then
        local e = find(s, "--", pos + 4, true)
        if not e or byte(s, e + 2) ~= 62 then fail("bad or unterminated comment", pos) end
        pos = e + 3
      elseif sub(s, pos, pos + 8) == "<![CDATA[" then
        if not top then fail("CDATA outside the root element", pos) end
        local e = find(s, "]]>", pos + 9, true) or fail("unterminated CDATA section", pos)
        top[#top + 1] = sub(s, pos + 9, e - 1)
        pos = e + 3
      elseif sub(s, pos, pos + 8) == "<!DOCTYPE" then
        fail("DTDs are refused (WinRM never sends one)", pos)
      else
        fail("bad markup '<!'", pos)
      end
    elseif c == 63 then -- "<?"
      local target, e = match(s, "^<%?([%w_:%.%-]+)()", pos)
      if not target then fail("bad processing instruction", pos) end
      local close = find(s, "?>", e, true) or fail("unterminated processing instruction", pos)
      if target:lower() == "xml" and (pos > 1 and not (pos == 4 and sub(s, 1, 3) == "\239\187\191")) then
        fail("the XML declaration must come first", pos)
      end
      pos = close + 2
    else
      local name, e = match(s, START_TAG, pos)
      if not name then fail("bad start tag", pos) end
      if depth >= max_depth then fail(("elements nested deeper than the limit of %d"):format(max_depth), pos) end
      if not top and root then fail("a second root element <" .. name .. ">", pos) end
      local tagpos = pos
      pos = e
      local raw
      while true do
        local ws, an, q, after = match(s, ATTRIBUTE, pos)
        if not an then break end
        if ws == "" then fail("attributes must be separated by white space", pos) end
        local close = find(s, q, after, true) or fail("unterminated attribute value", pos)
        local v = sub(s, after, close - 1)
        if find(v, "<", 1, true) then fail("'<' in an attribute value", after) end
        v = unescape(v, after)
        if find(v, "[\t\n\r]") then v = gsub(v, "[\t\n\r]", " ") end -- attribute-value normalisation
        raw = raw or {}
        for i = 1, #raw, 2 do
          if raw[i] == an then fail("duplicate attribute '" .. an .. "'", pos) end
        end
        raw[#raw + 1] = an
        raw[#raw + 1] = v
        pos = close + 1
      end
      local selfclose, e2 = match(s, "^%s*(/?)>()", pos)
      if not e2 then fail("bad markup in <" .. name .. ">", pos) end
      pos = e2
      local node = { name = name }
      -- namespace declarations first, then names
      local declared
      if raw then
        for i = 1, #raw, 2 do
          local an = raw[i]
          if an == "xmlns" or sub(an, 1, 6) == "xmlns:" then
            if not declared then
              declared = setmetatable({}, { __index = scope })
            end
            local p = an == "xmlns" and "" or sub(an, 7)
            if p == "xmlns" or (p == "xml" and raw[i + 1] ~= M.XML_NS) then fail("reserved prefix '" .. p .. "'", tagpos) end
            if p ~= "" and raw[i + 1] == "" then fail("prefix '" .. p .. "' declared empty", tagpos) end
            declared[p] = raw[i + 1] ~= "" and raw[i + 1] or false
          end
        end
      end
      local parent_scope = scope
      if declared then
        scope = declared
        local decls = {}
        for i = 1, #raw, 2 do
          local an = raw[i]
          if an == "xmlns" then decls[#decls + 1] = { "", raw[i + 1] }
          elseif sub(an, 1, 6) == "xmlns:" then decls[#decls + 1] = { sub(an, 7), raw[i + 1] } end
        end
        node.nsdecl = decls
      end
      local prefix, lname = split(name, tagpos)
      node.lname = lname
      local uri = scope[prefix or ""]
      if prefix and not uri then fail("undeclared namespace prefix '" .. prefix .. "'", tagpos) end
      node.ns = uri or nil
      if raw then
        local attrs
        for i = 1, #raw, 2 do
          local an = raw[i]
          if not (an == "xmlns" or sub(an, 1, 6) == "xmlns:") then
            local ap, al = split(an, tagpos)
            local ans = nil
            if ap then
              ans = scope[ap]
              if not ans then fail("undeclared namespace prefix '" .. ap .. "'", tagpos) end
            end
            attrs = attrs or {}
            for _, a in ipairs(attrs) do
              if a.lname == al and a.ns == ans then fail("duplicate attribute '" .. an .. "'", tagpos) end
            end
            attrs[#attrs + 1] = { name = an, lname = al, ns = ans, value = raw[i + 1] }
          end
        end
        node.attrs = attrs
      end
      if top then top[#top + 1] = node else root = node end
      if selfclose == "" then
        depth = depth + 1
        stack[depth] = node
        scopes[depth] = parent_scope
      else
        scope = parent_scope
      end
    end
  end
  if depth > 0 then fail("element <" .. stack[depth].name .. "> is not closed") end
  if not root then fail("no root element") end
  return root
end

-- The C reader, when the module is there (its table raises on unknown names: rawget).
local cparse
do
  local ok, mod = pcall(require, "wsman.core")
  if ok and type(mod) == "table" and type(rawget(mod, "_xml_parse")) == "function" then cparse = mod._xml_parse end
end
--- The C module's reader (nil without it): `parse_c(s [, max_depth [, max_bytes]])`.
M.parse_c = cparse

--- Parses a document; returns the root element. Raises `"XML: ... at offset N"` errors.
-- The C reader when the module is there, else `parse_lua`; the tree is the same.
-- @tparam string s the document
-- @treturn table the root element
function M.parse(s)
  if cparse then return cparse(s, M.max_depth, M.max_bytes) end
  return M.parse_lua(s)
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
-- @tparam string s
-- @treturn string
function M.escape(s)
  if not find(s, "[&<>\"']") then return s end
  return (gsub(s, "[&<>\"']", ESC))
end

--- Writes an element (as `parse` returns it) back as XML, with the prefixes and namespace
-- declarations it was read with.
-- @tparam table el element
-- @treturn string
function M.serialize(el)
  local out = {}
  local function w(e)
    out[#out + 1] = "<" .. e.name
    if e.nsdecl then
      for _, d in ipairs(e.nsdecl) do
        out[#out + 1] = (d[1] == "" and ' xmlns="' or (" xmlns:" .. d[1] .. '="')) .. M.escape(d[2]) .. '"'
      end
    end
    if e.attrs then
      for _, a in ipairs(e.attrs) do out[#out + 1] = " " .. a.name .. '="' .. M.escape(a.value) .. '"' end
    end
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
