-- SPDX-License-Identifier: MIT
-- examples/query_admin_share.lua: the WQL query of "Windows Remote Management and WMI"
-- (learn.microsoft.com/windows/win32/winrm/windows-remote-management-and-wmi, "Locating a
-- Specific Instance of a WMI Resource"), ported line by line: every VBScript line is the
-- comment above the Lua it became.
--
--   lua5.4 examples/query_admin_share.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: servername.domain.com)
--
-- Finds the Admin$ share with a WQL filter. The page's snippet stops after Enumerate; the
-- port reads the result set the way the other samples do.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("servername.domain.com")

common.main(function()
  -- RemoteComputer = "servername.domain.com"
  local RemoteComputer = cfg.endpoint
  -- strDialect = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
  local strDialect = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
  -- strResource = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*"
  local strResource = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*"
  -- Set objWsman = CreateObject("Wsman.Automation")
  local objWsman = WSMan.new()
  -- Set objSession = objWsman.CreateSession("http://" & RemoteComputer)
  local strConnection = common.connection("http://", RemoteComputer)
  -- (common.CreateSession calls objWsman:CreateSession(strConnection) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWsman, cfg, strConnection)

  -- strFilter = "SELECT * FROM Win32_Share WHERE Name='Admin$'"
  local strFilter = "SELECT * FROM Win32_Share WHERE Name='Admin$'"
  -- Set objResultSet = objSession.Enumerate(strResource, strFilter, strDialect)
  local objResultSet = objSession:Enumerate(strResource, strFilter, strDialect)

  -- (added, as in the other samples:)
  -- While Not objResultSet.AtEndOfStream
  while not objResultSet.AtEndOfStream do
    --     DisplayOutput(objResultSet.ReadItem)
    common.DisplayOutput(objResultSet:ReadItem())
    -- Wend
  end
end)
