-- SPDX-License-Identifier: MIT
-- examples/identify.lua: "Detecting Whether a Remote Computer Supports WS-Management Protocol"
-- (learn.microsoft.com/windows/win32/winrm/detecting-whether-a-remote-computer-supports-
-- ws-management-protocol; also session-identify), ported line by line: every VBScript line is
-- the comment above the Lua it became.
--
--   lua5.4 examples/identify.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: Remote1)
--
-- The page's two scripts: an unauthenticated Identify (the reply has no product version),
-- then an authenticated one, which the sample sends with Kerberos; the port sends it with
-- Basic when an account is given, so it runs against the simulator's default settings
-- (WSMAN_AUTH=sample keeps Kerberos).
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("Remote1")

common.main(function()
  -- First script: unauthenticated.
  -- set objWsman = CreateObject("Wsman.Automation")
  local objWsman = WSMan.new()
  -- set objSession = objWsman.CreateSession("Remote1", _
  --   objWsman.SessionFlagUseNoAuthentication)
  local objSession = objWsman:CreateSession(cfg.endpoint,
    objWsman:SessionFlagUseNoAuthentication())
  -- WScript.Echo objSession.Identify
  print(objSession:Identify())

  -- Second script: authenticated.
  -- set ObjWSMan = CreateObject("Wsman.Automation")
  local ObjWSMan = WSMan.new()
  -- set objSession = WSMan.CreateSession("Remote1", _
  --   objWSMan.SessionFlagUseKerberos)
  -- (The sample calls an undeclared "WSMan"; it means ObjWSMan, which VBScript also spells
  -- objWSMan since it ignores case.)
  local iFlags = ObjWSMan:SessionFlagUseKerberos()
  local objConnectionOptions
  if cfg.basic then
    -- Basic with the account given instead of Kerberos (the simulator's default configuration);
    -- WSMAN_AUTH=sample keeps Kerberos.
    iFlags = common.BasicFlags(ObjWSMan, cfg.endpoint)
    objConnectionOptions = common.Credentials(ObjWSMan, cfg)
  end
  objSession = ObjWSMan:CreateSession(cfg.endpoint, iFlags, objConnectionOptions)
  -- WScript.Echo objSession.Identify
  print(objSession:Identify())
end)
