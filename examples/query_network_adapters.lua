-- SPDX-License-Identifier: MIT
-- examples/query_network_adapters.lua: "Querying for Specific Instances of a Resource", the
-- Microsoft WinRM sample (learn.microsoft.com/windows/win32/winrm/
-- querying-for-specific-instances-of-a-resource), ported line by line: every VBScript line is
-- the comment above the Lua it became.
--
--   lua5.4 examples/query_network_adapters.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: servername.domain.com)
--
-- A WQL query for the network adapters that have TCP/IP bound and enabled.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("servername.domain.com")

-- '****************************************************
-- ' Displays WinRM XML message using built-in XSL
-- '****************************************************
-- Sub DisplayOutput(strWinRMXml)   (WsmTxt.xsl in Lua: see common.lua)
local DisplayOutput = common.DisplayOutput

common.main(function()
  -- Const RemoteComputer = "servername.domain.com"
  local RemoteComputer = cfg.endpoint
  -- Const Resource = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*"
  local Resource = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*"
  -- Const Dialect = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
  local Dialect = "http://schemas.microsoft.com/wbem/wsman/1/WQL"

  -- Set objWsman = CreateObject("Wsman.Automation")
  local objWsman = WSMan.new()
  -- Set objSession = objWsman.CreateSession("https://" & RemoteComputer)
  local strConnection = common.connection("https://", RemoteComputer)
  -- (common.CreateSession calls objWsman:CreateSession(strConnection) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWsman, cfg, strConnection)

  -- strFilter = "SELECT * FROM Win32_NetworkAdapterConfiguration WHERE IpEnabled=TRUE"
  local strFilter = "SELECT * FROM Win32_NetworkAdapterConfiguration WHERE IpEnabled=TRUE"

  -- Set objResultSet = objSession.Enumerate(Resource, strFilter, Dialect)
  local objResultSet = objSession:Enumerate(Resource, strFilter, Dialect)

  -- While Not objResultSet.AtEndOfStream
  while not objResultSet.AtEndOfStream do
    --     DisplayOutput(objResultSet.ReadItem)
    DisplayOutput(objResultSet:ReadItem())
    -- Wend
  end
end)
