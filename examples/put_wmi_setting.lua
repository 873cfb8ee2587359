-- SPDX-License-Identifier: MIT
-- examples/put_wmi_setting.lua: the "Session.Put method" sample (learn.microsoft.com/windows/
-- win32/winrm/session-put), ported line by line: every VBScript line is the comment above the
-- Lua it became.
--
--   lua5.4 examples/put_wmi_setting.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Writes LoggingLevel 2 to the Win32_WMISetting singleton and echoes the resource the server
-- returns.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

-- Sub DisplayErrorInfo()   (in common.lua: Err.number, Description and Source are the error
--                           object's code, message and operation)
local DisplayErrorInfo = common.DisplayErrorInfo

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

  -- 'Change the property value by putting
  -- 'the new XML content into the resource.
  -- Dim strResourceUri, strReturnedResourceUri, newXmlContent
  local strResourceUri, strReturnedResourceUri, newXmlContent
  -- strResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/" _
  --   & "wmi/root/cimv2/Win32_WMISetting"
  strResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_WMISetting"
  -- newXmlContent = _
  --   "<p:Win32_WMISetting xmlns:p=""http://schemas.microsoft.com/" & _
  --   "wbem/wsman/1/wmi/root/cimv2/Win32_WMISetting"">" & _
  --   "<p:LoggingLevel>2</p:LoggingLevel></p:Win32_WMISetting>"
  newXmlContent =
    "<p:Win32_WMISetting xmlns:p=\"http://schemas.microsoft.com/" ..
    "wbem/wsman/1/wmi/root/cimv2/Win32_WMISetting\">" ..
    "<p:LoggingLevel>2</p:LoggingLevel></p:Win32_WMISetting>"

  -- On Error Resume Next
  -- strReturnedResourceUri = objSession.Put(reourceUri, newXmlContent)
  -- (The sample misspells strResourceUri as "reourceUri", an empty variable in VBScript.)
  local ok
  ok, strReturnedResourceUri = pcall(objSession.Put, objSession, strResourceUri, newXmlContent)
  -- WScript.Echo "Returned resource Uri:" & Chr(10) & _
  --   strReturnedResourceUri
  print("Returned resource Uri:" .. "\n" .. (ok and strReturnedResourceUri or ""))
  -- If Err.Number <> 0 Then
  if not ok then
    --     DisplayErrorInfo
    DisplayErrorInfo(strReturnedResourceUri)
    os.exit(1)
    -- End If
  end
  -- On Error Goto 0
end)
