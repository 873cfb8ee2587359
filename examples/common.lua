-- examples/common.lua: what the ported Microsoft samples share.
--
--   local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
--   package.path = dir .. "/?.lua;" .. package.path
--   local common = require "common"
--
-- * common.args(defaults): the endpoint and the account, from the command line
--   (`lua5.4 examples/x.lua [endpoint [user [password]]]`), else from WSMAN_ENDPOINT,
--   WSMAN_USER and WSMAN_PASSWORD, else the sample's own values. cfg.basic is true when an
--   account was given (and WSMAN_AUTH is not "sample").
-- * common.connection(scheme, RemoteComputer): "https://" & RemoteComputer as the samples
--   write it, unless the endpoint given already is a URL.
-- * common.CreateSession(objWsman, cfg, connection): the sample's CreateSession(connection), or
--   Basic with the account given, if any; common.BasicFlags(objWsman, connection) and
--   common.Credentials(objWsman, cfg) are its parts, for samples with flags of their own.
-- * common.DisplayOutput(xml): WsmTxt.xsl, the transform winrm uses, in plain Lua.
-- * common.DisplayErrorInfo(err): the samples' Sub DisplayErrorInfo for a Lua error object.
-- * common.main(fn): runs the script; a failure prints like winrm does and exits with 1.
local common = {}

local script_dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
common.dir = script_dir

-- When neither LUA_CPATH nor an installed rock provides the module, fall back on the meson
-- build directory next to the examples (WSMAN_BUILD_DIR, else build/).
local build = os.getenv("WSMAN_BUILD_DIR") or (script_dir .. "/../build")
package.cpath = package.cpath .. ";" .. build .. "/?.so"
package.path = package.path .. ";" .. script_dir .. "/../lua/?.lua;" .. script_dir .. "/../lua/?/init.lua"

---------------------------------------------------------------------------------------------
-- Arguments and environment
---------------------------------------------------------------------------------------------

-- Returns { endpoint = ..., user = ..., password = ... }. `endpoint` falls back on
-- `default_endpoint` (the sample's own computer; "" means this computer); user and password
-- are nil unless given. An empty string on the command line counts as not given.
function common.args(default_endpoint, default_user, default_password)
  local a = arg or {}
  local function pick(i, env, default)
    local v = a[i]
    if v == nil or v == "" then v = os.getenv(env) end
    if v == nil or v == "" then v = default end
    return v
  end
  local cfg = {
    endpoint = pick(1, "WSMAN_ENDPOINT", default_endpoint or ""),
    user = pick(2, "WSMAN_USER", nil),
    password = pick(3, "WSMAN_PASSWORD", nil),
  }
  if cfg.user and not cfg.password then cfg.password = default_password or "" end
  -- An account given: the ports use Basic with it (see BasicFlags) instead of the sample's
  -- Negotiate/Kerberos/logon credentials, so they run against the simulator's default (Basic)
  -- configuration. WSMAN_AUTH=sample keeps the sample's own authentication (Kerberos or
  -- Negotiate: a simulator started with --auth negotiate,kerberos and a KDC, or a real host).
  cfg.basic = cfg.user ~= nil and os.getenv("WSMAN_AUTH") ~= "sample"
  if not cfg.user then cfg.user, cfg.password = default_user, default_password end
  return cfg
end

-- "https://" & RemoteComputer, as the samples build their connection strings; an endpoint that
-- already names its transport (http://127.0.0.1:5985/wsman, the simulator's URL) is kept.
function common.connection(scheme, RemoteComputer)
  if RemoteComputer:match("^%a[%w+.-]*://") then return RemoteComputer end
  return scheme .. RemoteComputer
end

-- Basic with the account of the ConnectionOptions; over plain HTTP Windows (and lua-wsman)
-- send Basic only with SessionFlagNoEncryption, so it is added unless the connection is https://.
function common.BasicFlags(objWsman, connection)
  local iFlags = objWsman:SessionFlagUseBasic() | objWsman:SessionFlagCredUsernamePassword()
  if not tostring(connection or ""):lower():match("^https://") then
    iFlags = iFlags | objWsman:SessionFlagNoEncryption()
  end
  return iFlags
end

-- A ConnectionOptions object with the account given on the command line or in the environment.
function common.Credentials(objWsman, cfg)
  local objConnectionOptions = objWsman:CreateConnectionOptions()
  objConnectionOptions.UserName = cfg.user
  objConnectionOptions.Password = cfg.password or ""
  return objConnectionOptions
end

-- objWsman:CreateSession(strConnection), as the samples that use this computer's logon (or the
-- default authentication) call it. When an account was given (cfg.basic), Basic with that
-- account instead (+ NoEncryption unless https://), so the port runs against the simulator's
-- default (Basic) configuration.
function common.CreateSession(objWsman, cfg, strConnection)
  if cfg.basic then
    return objWsman:CreateSession(strConnection, common.BasicFlags(objWsman, strConnection),
      common.Credentials(objWsman, cfg))
  end
  return objWsman:CreateSession(strConnection)
end

---------------------------------------------------------------------------------------------
-- A small XML reader (enough for WinRM replies: elements, attributes, text, CDATA, entities)
---------------------------------------------------------------------------------------------

local XSI = "http://www.w3.org/2001/XMLSchema-instance"
local CIM_NAMESPACES = {
  ["http://schemas.dmtf.org/wbem/wscim/1/common"] = true,
  ["http://schemas.dmtf.org/wbem/wsman/1/base"] = true,
  ["http://schemas.dmtf.org/wsman/2005/06/base"] = true, -- the namespace WsmTxt.xsl names
}

local ENTITIES = { lt = "<", gt = ">", amp = "&", quot = '"', apos = "'" }

local function utf8_char(n)
  if n and n >= 0 and n <= 0x10FFFF then return utf8.char(n) end
  return "?"
end

local function unescape(s)
  return (s:gsub("&(#?[xX]?)(%w+);", function(kind, v)
    if kind == "" then return ENTITIES[v] or ("&" .. v .. ";") end
    if kind == "#" then return utf8_char(tonumber(v, 10)) end
    return utf8_char(tonumber(v, 16))
  end))
end

-- Parses an XML document or fragment (several top-level elements are allowed, as an
-- ObjectAndEPR item may be) into { children = { node... } }. A node is a string (text) or
-- { name = "p:Name", prefix = "p", localname = "Name", ns = uri, attrs = { [qname] = value },
-- nsattrs = { [uri .. "|" .. local] = value }, children = { ... }, parent = node }.
-- Raises an error naming the offset for markup it cannot read.
function common.parse_xml(xml)
  local root = { children = {}, scope = { xml = "http://www.w3.org/XML/1998/namespace" } }
  local stack = { root }
  local pos, len = 1, #xml
  local function fail(msg) error(("XML: %s at offset %d"):format(msg, pos), 0) end
  while pos <= len do
    local lt = xml:find("<", pos, true)
    if not lt then
      local text = xml:sub(pos)
      if text:find("%S") then table.insert(stack[#stack].children, unescape(text)) end
      break
    end
    if lt > pos then table.insert(stack[#stack].children, unescape(xml:sub(pos, lt - 1))) end
    pos = lt
    if xml:sub(pos, pos + 3) == "<!--" then
      local e = xml:find("-->", pos + 4, true) or fail("unterminated comment")
      pos = e + 3
    elseif xml:sub(pos, pos + 8) == "<![CDATA[" then
      local e = xml:find("]]>", pos + 9, true) or fail("unterminated CDATA section")
      table.insert(stack[#stack].children, xml:sub(pos + 9, e - 1))
      pos = e + 3
    elseif xml:sub(pos, pos + 1) == "<?" then
      local e = xml:find("?>", pos + 2, true) or fail("unterminated processing instruction")
      pos = e + 2
    elseif xml:sub(pos, pos + 1) == "<!" then
      fail("DTDs are not read")
    elseif xml:sub(pos, pos + 1) == "</" then
      local name, e = xml:match("^</([^%s>]+)%s*>()", pos)
      if not name then fail("bad end tag") end
      local top = stack[#stack]
      if #stack == 1 or top.name ~= name then fail("end tag </" .. name .. "> does not match") end
      stack[#stack] = nil
      pos = e
    else
      local name, rest = xml:match("^<([%a_:][%w_:.%-]*)()", pos)
      if not name then fail("bad start tag") end
      pos = rest
      local parent = stack[#stack]
      local node = { name = name, attrs = {}, nsattrs = {}, children = {}, parent = parent,
                     scope = setmetatable({}, { __index = parent.scope }) }
      local order = {}
      while true do
        local ws, an, q, after = xml:match("^(%s*)([%a_:][%w_:.%-]*)%s*=%s*(['\"])()", pos)
        if not an then break end
        local close = xml:find(q, after, true) or fail("unterminated attribute value")
        local value = unescape(xml:sub(after, close - 1))
        node.attrs[an] = value
        order[#order + 1] = an
        if an == "xmlns" then node.scope[""] = value
        elseif an:sub(1, 6) == "xmlns:" then node.scope[an:sub(7)] = value end
        pos = close + 1
      end
      local selfclose, e = xml:match("^%s*(/?)>()", pos)
      if not e then fail("bad markup in <" .. name .. ">") end
      pos = e
      node.prefix, node.localname = name:match("^([^:]*):(.*)$")
      if not node.prefix then node.prefix, node.localname = "", name end
      node.ns = node.scope[node.prefix]
      for _, an in ipairs(order) do
        local p, l = an:match("^([^:]*):(.*)$")
        if p and p ~= "xmlns" then
          node.nsattrs[(node.scope[p] or p) .. "|" .. l] = node.attrs[an]
        elseif not p and an ~= "xmlns" then
          node.nsattrs["|" .. an] = node.attrs[an]
        end
      end
      table.insert(parent.children, node)
      if selfclose == "" then stack[#stack + 1] = node end
    end
  end
  if #stack > 1 then fail("element <" .. stack[#stack].name .. "> is not closed") end
  return root
end

-- The string value of a node (all descendant text), as XPath's string().
local function string_value(node)
  if type(node) == "string" then return node end
  local parts = {}
  for _, c in ipairs(node.children) do parts[#parts + 1] = string_value(c) end
  return table.concat(parts)
end
common.string_value = string_value

---------------------------------------------------------------------------------------------
-- WsmTxt.xsl in Lua: the "Name = value" text winrm prints
---------------------------------------------------------------------------------------------
-- The rules of the stylesheet winrm.cmd ships (%windir%\System32\WsmTxt.xsl):
--  * whitespace-only text is ignored (MSXML strips it);
--  * cim:Location (the instance's EPR) is not shown;
--  * an element with text, or with xsi:nil, prints "<indent>LocalName = value" ("null" for
--    xsi:nil); with a Name attribute "LocalName: Name = value" (selectors); consecutive
--    elements of the same name (arrays) share one line: "Name = a, b, c";
--  * any other element prints "<indent>LocalName" and then its children one level deeper;
--  * the indent is four spaces per ancestor element.

local function element_children(node)
  local out = {}
  for _, c in ipairs(node.children) do
    if type(c) == "table" or c:find("%S") then out[#out + 1] = c end
  end
  return out
end

local function is_nil(node)
  local v = node.nsattrs[XSI .. "|nil"] or node.attrs["xsi:nil"]
  return v ~= nil
end

local function has_text(node)
  for _, c in ipairs(node.children) do
    if type(c) == "string" and c:find("%S") then return true end
  end
  return false
end

local function is_location(node)
  return node.localname == "Location" and (CIM_NAMESPACES[node.ns or ""] or (node.ns == nil and node.prefix == "cim"))
end

local function source_note(node)
  local s = node.attrs.Source
  if s == "GPO" or s == "Compatibility" then return ' [Source="' .. s .. '"]' end
  return ""
end

local function render(node, depth, out, prev, nxt)
  if type(node) == "string" then return end -- top-level or mixed text outside a text element
  if is_location(node) then return end
  local indent = string.rep("    ", depth)
  if has_text(node) or is_nil(node) then
    local same_prev = type(prev) == "table" and prev.name == node.name
    local same_next = type(nxt) == "table" and nxt.name == node.name
    if not same_prev then
      out[#out + 1] = indent .. node.localname
      if node.attrs.Name then out[#out + 1] = ": " .. node.attrs.Name end
      out[#out + 1] = " = "
    elseif node.attrs.Name then
      out[#out + 1] = node.attrs.Name .. " = "
    end
    out[#out + 1] = is_nil(node) and "null" or string_value(node)
    out[#out + 1] = source_note(node)
    out[#out + 1] = same_next and ", " or "\n"
    return
  end
  out[#out + 1] = indent .. node.localname .. source_note(node) .. "\n"
  local kids = element_children(node)
  for i, c in ipairs(kids) do render(c, depth + 1, out, kids[i - 1], kids[i + 1]) end
end

-- The text WsmTxt.xsl makes of a WinRM XML reply (or of several items).
function common.to_text(xml)
  local doc = common.parse_xml(xml)
  local out = {}
  local kids = element_children(doc)
  for i, c in ipairs(kids) do render(c, 0, out, kids[i - 1], kids[i + 1]) end
  return table.concat(out)
end

-- Sub DisplayOutput(strWinRMXml): xmlFile.LoadXml, xslFile.Load("WsmTxt.xsl"),
-- WScript.Echo xmlFile.TransformNode(xslFile). Like Echo, it ends with an empty line.
function common.DisplayOutput(strWinRMXml)
  print(common.to_text(strWinRMXml))
end

-- Properties of an instance as a table: { Name = "Spooler", State = "Running", ... }; arrays
-- become Lua arrays, xsi:nil becomes nil. Only the instance's own (first-level) properties.
function common.properties(xml)
  local doc = common.parse_xml(xml)
  local top = element_children(doc)[1]
  local t = {}
  if type(top) ~= "table" then return t end
  for _, c in ipairs(element_children(top)) do
    if type(c) == "table" and not is_location(c) and not is_nil(c) then
      local v = string_value(c)
      if t[c.localname] == nil then
        t[c.localname] = v
      elseif type(t[c.localname]) == "table" then
        table.insert(t[c.localname], v)
      else
        t[c.localname] = { t[c.localname], v }
      end
    end
  end
  return t
end

---------------------------------------------------------------------------------------------
-- Errors
---------------------------------------------------------------------------------------------

-- VBScript's Err.Number is a signed 32-bit long: winrm prints "-2144108294 0x803380FA".
local function signed32(code)
  code = math.tointeger(code) or 0
  if code >= 0x80000000 then return code - 0x100000000 end
  return code
end

local function hex(code)
  return ("%X"):format((math.tointeger(code) or 0) & 0xFFFFFFFF)
end

-- The code, message and operation of any Lua error value (error objects, or plain Lua errors
-- such as a wrong argument type, which get code 0).
local function error_fields(err)
  if type(err) == "table" then
    return err.code or 0, err.message or tostring(err), err.operation, err
  end
  return 0, tostring(err), nil, nil
end

-- Sub DisplayErrorInfo(): the samples print Err.Number (hex), Err.Description, Err.Source; the
-- Lua error object carries them as code, message and operation. (Err.HelpFile and
-- Err.HelpContext have no counterpart.)
function common.DisplayErrorInfo(err)
  local code, message, operation = error_fields(err)
  print("An error has occurred.")
  print()
  print("Error Info")
  print("-----------")
  print("Number      : 0x" .. hex(code))
  print("Description : " .. message)
  print("Source      : " .. (operation and ("Session." .. operation) or ""))
end

-- What winrm prints for a failed command: the fault (through WsmTxt.xsl), then
-- "Error number:  <signed decimal> 0x<hex>" and the message.
function common.ShowError(err)
  local code, message, _, obj = error_fields(err)
  local fault = obj and obj.fault
  if fault and fault ~= "" then
    local ok, text = pcall(common.to_text, fault)
    if ok then io.stderr:write(text, "\n") end
  end
  io.stderr:write(("Error number:  %d 0x%s\n"):format(signed32(code), hex(code)))
  io.stderr:write(message, "\n")
end

-- Runs the script body; on any error prints it like winrm does and exits with status 1.
function common.main(body)
  local ok, err = xpcall(body, function(e)
    if type(e) ~= "table" then return debug.traceback(tostring(e), 2) end
    return e
  end)
  if not ok then
    common.ShowError(err)
    os.exit(1)
  end
end

common.signed32 = signed32
common.hex = hex

return common
