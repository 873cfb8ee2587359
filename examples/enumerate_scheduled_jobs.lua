-- SPDX-License-Identifier: MIT
-- examples/enumerate_scheduled_jobs.lua: "Enumerating or Listing All Instances of a Resource",
-- the Microsoft WinRM sample (learn.microsoft.com/windows/win32/winrm/
-- enumerating-or-listing-all-instances-of-a-resource), ported line by line: every VBScript
-- line is the comment above the Lua it became.
--
--   lua5.4 examples/enumerate_scheduled_jobs.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: servername.domain.com)
--
-- Enumerates Win32_ScheduledJob, shows each job as text and counts them.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("servername.domain.com")

-- '****************************************************
-- ' Displays WinRM XML message using built-in XSL
-- '****************************************************
-- Sub DisplayOutput( strWinRMXml )   (WsmTxt.xsl in Lua: see common.lua)
local DisplayOutput = common.DisplayOutput

common.main(function()
  -- Const RemoteComputer = "servername.domain.com"
  local RemoteComputer = cfg.endpoint
  -- Set objWsman = CreateObject( "WSMan.Automation" )
  local objWsman = WSMan.new()
  -- Set objSession = objWsman.CreateSession( "http://" & RemoteComputer )
  local strConnection = common.connection("http://", RemoteComputer)
  -- (common.CreateSession calls objWsman:CreateSession(strConnection) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWsman, cfg, strConnection)
  -- strResource = "http://schemas.microsoft.com/wbem/wsman/1/" & _
  --               "wmi/root/cimv2/Win32_ScheduledJob"
  local strResource = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_ScheduledJob"

  -- Set EnumJobs = objSession.Enumerate( strResource )
  local EnumJobs = objSession:Enumerate(strResource)
  -- NumOfJobs = 0
  local NumOfJobs = 0
  -- While Not EnumJobs.AtEndOfStream
  while not EnumJobs.AtEndOfStream do
    --     NumOfJobs = NumOfJobs + 1
    NumOfJobs = NumOfJobs + 1
    --     DisplayOutput( EnumJobs.ReadItem )
    DisplayOutput(EnumJobs:ReadItem())
    -- Wend
  end
  -- Wscript.Echo "There are " & NumOfJobs & " jobs scheduled."
  print("There are " .. NumOfJobs .. " jobs scheduled.")
end)
