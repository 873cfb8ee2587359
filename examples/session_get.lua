-- SPDX-License-Identifier: MIT
-- examples/session_get.lua: the "Session.Get method" samples (learn.microsoft.com/windows/
-- win32/winrm/session-get), ported line by line: every VBScript line is the comment above the
-- Lua it became.
--
--   lua5.4 examples/session_get.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Gets the Winmgmt service. Without an endpoint this is the page's first script (this
-- computer), with one the second (CreateSession("http://" & RemoteComputer)). Errors are
-- shown by DisplayErrorInfo, as the sample does with On Error Resume Next; the script then
-- exits with status 1.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

-- Sub DisplayErrorInfo()
--     WScript.Echo "An error has occurred."
--     WScript.Echo
--     WScript.Echo "Error Info"
--     WScript.Echo "-----------"
--     WScript.Echo "Number      : 0x" & hex(Err.number)
--     WScript.Echo "Description : " & Err.Description
--     WScript.Echo "Source      : " & Err.Source
--     WScript.Echo "HelpFile    : " & Err.helpfile
--     WScript.Echo "HelpContext : " & Err.HelpContext
--     WScript.Echo Err.Clear
-- End Sub
-- (in common.lua: Err.number, Description and Source are the error object's code, message
-- and operation)
local DisplayErrorInfo = common.DisplayErrorInfo

common.main(function()
  -- Const RemoteComputer = "servername.domain.com"
  local RemoteComputer = cfg.endpoint

  -- 'Create a WSMan object.
  -- Set objWsman = CreateObject( "WSMAN.Automation" )
  local objWsman = WSMan.new()
  -- If objWsman is Nothing Then ... WScript.Quit   (WSMan.new() raises an error instead)

  -- 'Create a Session object.
  -- Dim objSession
  local objSession
  -- Set objSession = objWsman.CreateSession                        (first script)
  -- Set objSession = objWsman.CreateSession( "http://" & RemoteComputer )   (second script)
  local strConnection = RemoteComputer ~= "" and common.connection("http://", RemoteComputer) or ""
  -- (common.CreateSession calls objWsman:CreateSession(strConnection) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  objSession = common.CreateSession(objWsman, cfg, strConnection)
  -- If objSession is Nothing Then ... WScript.Quit   (CreateSession raises an error instead)

  -- strResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/" _
  --     & "Win32_Service?Name=winmgmt"
  local strResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/" ..
    "Win32_Service?Name=winmgmt"

  -- On Error Resume Next
  -- xmlResource = objSession.Get( strResourceUri )
  local ok, xmlResource = pcall(objSession.Get, objSession, strResourceUri)
  -- WScript.Echo "Response message: " & Chr(10) & xmlResource
  print("Response message: " .. "\n" .. (ok and xmlResource or ""))
  -- If Err.Number <> 0 Then
  if not ok then
    --     DisplayErrorInfo
    DisplayErrorInfo(xmlResource)
    os.exit(1)
    -- End If
  end
  -- On Error Goto 0
end)
