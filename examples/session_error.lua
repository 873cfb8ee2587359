-- SPDX-License-Identifier: MIT
-- examples/session_error.lua: the "Session.Error property" sample (learn.microsoft.com/
-- windows/win32/winrm/session-error), ported line by line: every VBScript line is the comment
-- above the Lua it became.
--
--   lua5.4 examples/session_error.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Gets Win32_QuotaSetting without its keys, on purpose: the server answers 0x803380FA (the
-- class is not a singleton, keys must be given). The script shows the error the way the sample
-- does (the error object's code, message and operation, then the WSManFault XML that
-- objSession.Error holds) and exits with status 1, as every example does when an operation
-- fails. The correct resource URI is .../Win32_QuotaSetting?VolumePath=c:\.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

-- '*************************************************************
-- ' Displays Error information from Err object and Session.Error
-- '*************************************************************
-- Sub DisplayErrorInfo()   (in common.lua: Err.number, Description and Source are the error
--                           object's code, message and operation)
local DisplayErrorInfo = common.DisplayErrorInfo
-- Sub DisplayOutput(strWinRMXml)   (WsmTxt.xsl in Lua: see common.lua)
local DisplayOutput = common.DisplayOutput

common.main(function()
  -- 'Create a WSMan object.
  -- Set objWsman = CreateObject( "WSMAN.Automation" )
  local objWsman = WSMan.new()
  -- If objWsman is Nothing Then ... WScript.Quit   (WSMan.new() raises an error instead)

  -- 'Create a Session object.
  -- Set objSession = objWsman.CreateSession
  -- (common.CreateSession calls objWsman:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWsman, cfg, cfg.endpoint)
  -- If objSession is Nothing Then ... WScript.Quit   (CreateSession raises an error instead)

  -- strResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/"_
  --     & "wmi/root/cimv2/Win32_QuotaSetting"
  local strResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_QuotaSetting"

  -- On Error Resume Next
  -- strResponse = objSession.Get( strResourceUri )
  local ok, strResponse = pcall(objSession.Get, objSession, strResourceUri)
  -- If Err.number <> 0 Then
  if not ok then
    --     DisplayErrorInfo()
    DisplayErrorInfo(strResponse)
    --     strErrorXML = objSession.Error
    local strErrorXML = objSession.Error
    --     WScript.Echo strErrorXML
    print(strErrorXML)
    os.exit(1)
    -- Else
  else
    --     Call DisplayOutput(strResponse)
    DisplayOutput(strResponse)
    -- End If
  end
  -- On Error Goto 0
end)
