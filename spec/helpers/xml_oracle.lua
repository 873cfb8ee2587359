-- SPDX-License-Identifier: MIT
-- A pure-Lua XML reader, kept as the test oracle of the library's reader (wsman.xml.parse, the
-- core's xmltree.c on Expat): spec/xml_spec.lua checks that the two build the same tree and
-- refuse the same documents. It reads a whole UTF-8 document (or UTF-16 with a byte order
-- mark) into the tree wsman.xml documents, and refuses anything that is not well-formed,
-- namespace-correct XML 1.0, DTDs included; line ends are kept as written.
local M = {}

local find, sub, gsub, match, byte = string.find, string.sub, string.gsub, string.match, string.byte
local concat = table.concat

M.XML_NS = "http://www.w3.org/XML/1998/namespace"
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

local NAMEPAT = "[%a_:\128-\255][%w_:%.%-\128-\255]*"
local START_TAG = "^<(" .. NAMEPAT .. ")()"
local ATTRIBUTE = "^(%s*)(" .. NAMEPAT .. ")%s*=%s*(['\"])()"

local function split(qname, pos)
  local prefix, lname = match(qname, "^([^:]+):([^:]+)$")
  -- the local part is an NCName: none of the Name characters that may not come first
  local bad_start = lname and (find(lname, "^[%d%.%-]") or find(lname, "^\194\183")
    or find(lname, "^\204[\128-\191]") or find(lname, "^\205[\128-\175]")
    or find(lname, "^\226\128\191") or find(lname, "^\226\129\128"))
  if prefix and not bad_start then return prefix, lname end
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

-- Parses a document; returns the root element. Raises `"XML: ... at offset N"` errors. A byte
-- order mark, an XML declaration (its encoding is not consulted), comments, processing
-- instructions and whitespace around the root are allowed.
function M.parse(s)
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
            if p == "xmlns" or (p == "xml" and raw[i + 1] ~= M.XML_NS) then
              fail("reserved prefix '" .. p .. "'", tagpos)
            end
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

return M
