-- SPDX-License-Identifier: MIT
-- examples/delete_listener.lua: the "Session.Delete method" sample (learn.microsoft.com/
-- windows/win32/winrm/session-delete), ported line by line: every VBScript line is the comment
-- above the Lua it became.
--
--   lua5.4 examples/delete_listener.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Deletes the listener configured for HTTP transport on all addresses. Like the sample it
-- prints nothing when it succeeds (Delete returns nothing).
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

common.main(function()
  -- Set objWsman = CreateObject( "WSMan.Automation" )
  local objWsman = WSMan.new()
  -- Set objSession = objWsman.CreateSession
  -- (common.CreateSession calls objWsman:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWsman, cfg, cfg.endpoint)
  -- strResource = "http://schemas.microsoft.com/wbem/wsman/1/" &_
  --   "config/Listener?Address=*+Transport=HTTP"
  -- (The page today shows "https://schemas.microsoft.com/...": resource URIs are http://.)
  local strResource = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "config/Listener?Address=*+Transport=HTTP"
  -- objSession.Delete(strResource)
  objSession:Delete(strResource)
end)
