-- SPDX-License-Identifier: MIT
-- examples/invoke_create_process.lua: the first "Session.Invoke method" sample
-- (learn.microsoft.com/windows/win32/winrm/session-invoke), ported line by line: every
-- VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/invoke_create_process.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Starts calc.exe with Win32_Process.Create and shows the output parameters (ProcessId,
-- ReturnValue).
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

-- '****************************************************
-- ' Displays WinRM XML message using built-in XSL
-- '****************************************************
-- Sub DisplayOutput( strWinRMXml )   (WsmTxt.xsl in Lua: see common.lua)
local DisplayOutput = common.DisplayOutput

common.main(function()
  -- Set objWsman = CreateObject( "WSMan.Automation" )
  local objWsman = WSMan.new()
  -- If objWsman is Nothing Then ... WScript.Quit   (WSMan.new() raises an error instead)

  -- Set objSession = objWsman.CreateSession
  -- (common.CreateSession calls objWsman:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWsman, cfg, cfg.endpoint)
  -- If objSession is Nothing Then ... WScript.Quit   (CreateSession raises an error instead)

  -- strResource = "http://schemas.microsoft.com/wbem/wsman/1/" & _
  --     "wmi/root/cimv2/Win32_Process"
  local strResource = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_Process"

  -- strInputParameters = "<p:Create_INPUT " & _
  --     "xmlns:p=""http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process"">" & _
  --     "<p:CommandLine>" & "calc.exe" & _
  --     "</p:CommandLine>" & _
  --     "</p:Create_INPUT>"
  local strInputParameters = "<p:Create_INPUT " ..
    "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process\">" ..
    "<p:CommandLine>" .. "calc.exe" ..
    "</p:CommandLine>" ..
    "</p:Create_INPUT>"

  -- strOutputParameters = objSession.Invoke( "Create", _
  --     strResource, strInputParameters )
  local strOutputParameters = objSession:Invoke("Create",
    strResource, strInputParameters)

  -- DisplayOutput( strOutputParameters )
  DisplayOutput(strOutputParameters)
end)
