-- SPDX-License-Identifier: MIT
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
-- * common.connect(cfg): WSMan.connect with that account (Basic when one was given), for the
--   examples that are not ports (run_cmd.lua, run_ps.lua, shell_stream.lua, tables.lua).
-- * common.DisplayOutput(xml): WsmTxt.xsl, the transform winrm uses (wsman.format.text).
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

-- WSMan.connect with the account given: Basic (unencrypted unless https://) as the ports use
-- it (see CreateSession), or Negotiate with WSMAN_AUTH=sample; no account: Negotiate with the
-- logged-on user's Kerberos credentials. For the examples written for lua-wsman itself.
function common.connect(cfg)
  local WSMan = require "wsman"
  if cfg.basic then
    local https = tostring(cfg.endpoint):lower():match("^https://") ~= nil
    return WSMan.connect(cfg.endpoint, { user = cfg.user, password = cfg.password or "", auth = "basic",
      unencrypted = not https })
  end
  if cfg.user then return WSMan.connect(cfg.endpoint, { user = cfg.user, password = cfg.password or "" }) end
  return WSMan.connect(cfg.endpoint, { implicit_credentials = true })
end

---------------------------------------------------------------------------------------------
-- XML: the library's reader (wsman.xml) and its WsmTxt.xsl renderer (wsman.format)
---------------------------------------------------------------------------------------------

local xml = require "wsman.xml"
local format = require "wsman.format"
local XSI = "http://www.w3.org/2001/XMLSchema-instance"

-- The text WsmTxt.xsl (the transform winrm uses) makes of a WinRM XML reply.
common.to_text = format.text

-- Sub DisplayOutput(strWinRMXml): xmlFile.LoadXml, xslFile.Load("WsmTxt.xsl"),
-- WScript.Echo xmlFile.TransformNode(xslFile). Like Echo, it ends with an empty line.
function common.DisplayOutput(strWinRMXml)
  print(common.to_text(strWinRMXml))
end

-- Properties of an instance as a table: { Name = "Spooler", State = "Running", ... }; arrays
-- become Lua arrays, xsi:nil becomes nil. Only the instance's own (first-level) properties,
-- without its cim:Location.
function common.properties(text)
  local t = {}
  for _, c in ipairs(xml.parse(text)) do
    if type(c) == "table" and c.lname ~= "Location" and not xml.attr(c, "nil", XSI) then
      local v, old = xml.text(c), t[c.lname]
      if old == nil then
        t[c.lname] = v
      elseif type(old) == "table" then
        old[#old + 1] = v
      else
        t[c.lname] = { old, v }
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
