-- SPDX-License-Identifier: MIT
-- examples/connection_options.lua: the "ConnectionOptions object" sample (learn.microsoft.com/
-- windows/win32/winrm/connectionoptions), ported line by line: every VBScript line is the
-- comment above the Lua it became.
--
--   lua5.4 examples/connection_options.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: https://172.30.168.2 with the
--   sample's account)
--
-- A session with Basic authentication and an explicit account, then a Get of the WinRM
-- configuration with the alias URI "winrm/config". The sample stops after the Get; the port
-- shows the result as text.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("https://172.30.168.2", "johns ", "Dtf#4542?98")

common.main(function()
  -- Set objWsman = CreateObject( "Wsman.Automation" )
  local objWsman = WSMan.new()
  -- 'Create ConnectionOptions object.
  -- Set objConnectionOptions = objWsman.CreateConnectionOptions
  local objConnectionOptions = objWsman:CreateConnectionOptions()
  -- objConnectionOptions.UserName = "johns "
  objConnectionOptions.UserName = cfg.user
  -- objConnectionOptions.Password = "Dtf#4542?98"
  objConnectionOptions.Password = cfg.password
  -- iFlags = objWsman.SessionFlagUseBasic Or _
  --   objWsman.SessionFlagCredUserNamePassword
  -- (The sample spells it CredUserNamePassword; the member is SessionFlagCredUsernamePassword,
  -- and Lua, unlike VBScript, is case-sensitive.)
  local iFlags = objWsman:SessionFlagUseBasic() |
    objWsman:SessionFlagCredUsernamePassword()
  -- Basic over plain HTTP (the simulator's endpoint) also needs SessionFlagNoEncryption, as on
  -- Windows (where AllowUnencrypted must be set on both ends).
  if not cfg.endpoint:lower():match("^https://") then
    iFlags = iFlags | objWsman:SessionFlagNoEncryption()
  end
  -- Set objSession = objWsman.CreateSession _
  --   ("https://172.30.168.2", iFlags, objConnectionOptions)
  local objSession = objWsman:CreateSession(cfg.endpoint, iFlags, objConnectionOptions)
  -- strResource = objSession.Get("winrm/config")
  local strResource = objSession:Get("winrm/config")
  -- (added: show it)
  common.DisplayOutput(strResource)
end)
