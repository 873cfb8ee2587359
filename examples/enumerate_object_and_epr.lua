-- SPDX-License-Identifier: MIT
-- examples/enumerate_object_and_epr.lua: the "Enumerator object" sample (learn.microsoft.com/
-- windows/win32/winrm/enumerator), ported line by line: every VBScript line is the comment
-- above the Lua it became.
--
--   lua5.4 examples/enumerate_object_and_epr.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: MIG50-64D.mig.net)
--
-- Enumerates Win32_OperatingSystem asking for each instance together with its endpoint
-- reference (EnumerationFlagReturnObjectAndEPR), and shows the items as winrm does.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("MIG50-64D.mig.net")

-- '****************************************************
-- ' Displays WinRM XML message using built-in XSL
-- '****************************************************
-- Sub DisplayOutput( strWinRMXml )   (WsmTxt.xsl in Lua: see common.lua)
local DisplayOutput = common.DisplayOutput

common.main(function()
  -- Option Explicit

  -- Const RemoteComputer = "MIG50-64D.mig.net"
  local RemoteComputer = cfg.endpoint

  -- Dim objWsman, objSession, strResource
  -- Dim objResultSet
  local objWsman, objSession, strResource
  local objResultSet

  -- Set objWsman = CreateObject( "WSMan.Automation" )
  objWsman = WSMan.new()
  -- Set objSession = objWsman.CreateSession( "http://" _
  --     & RemoteComputer )
  local strConnection = common.connection("http://", RemoteComputer)
  -- (common.CreateSession calls objWsman:CreateSession(strConnection) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  objSession = common.CreateSession(objWsman, cfg, strConnection)
  -- strResource = "http://schemas.microsoft.com/wbem/wsman/1/" _
  --      & "wmi/root/cimv2/Win32_OperatingSystem"
  strResource = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_OperatingSystem"
  -- Dim iFlag
  -- iFlag = objWsman.EnumerationFlagReturnObjectAndEPR or _
  --     objWsman.EnumerationFlagHierarchyDeep
  local iFlag = objWsman:EnumerationFlagReturnObjectAndEPR() |
    objWsman:EnumerationFlagHierarchyDeep()
  -- Set objResultSet = _
  --     objSession.Enumerate( strResource, "", "",  iFlag)
  objResultSet =
    objSession:Enumerate(strResource, "", "", iFlag)
  -- While Not objResultSet.AtEndOfStream
  while not objResultSet.AtEndOfStream do
    --     DisplayOutput( objResultSet.ReadItem )
    DisplayOutput(objResultSet:ReadItem())
    -- Wend
  end
end)
