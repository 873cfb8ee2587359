-- SPDX-License-Identifier: MIT
-- examples/invoke_stop_start_service.lua: the second "Session.Invoke method" sample
-- (learn.microsoft.com/windows/win32/winrm/session-invoke), ported line by line: every
-- VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/invoke_stop_start_service.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Stops the W32Time service with Win32_Service.StopService, then starts it again with
-- StartService, showing each method's output (ReturnValue 0 = success). StopService has no
-- input parameters, but Invoke needs the (empty) input XML all the same.
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
  -- Option Explicit
  -- Dim objWsman
  -- Dim objSession
  -- Dim strResponse
  -- Dim strActionURI
  -- Dim strInputXml
  -- Dim strResourceURI
  -- Dim strMethodName
  -- luacheck: ignore 231 (strActionURI is kept as in the VBScript sample)
  local objWsman, objSession, strResponse, strActionURI, strInputXml, strResourceURI, strMethodName

  -- set objWsman = CreateObject("Wsman.Automation")
  objWsman = WSMan.new()
  -- set objSession = objWsman.CreateSession
  -- (common.CreateSession calls objWsman:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  objSession = common.CreateSession(objWsman, cfg, cfg.endpoint)
  -- strResourceURI = "http://schemas.microsoft.com/wbem/wsman/1/"_
  --     & "wmi/root/cimv2/Win32_Service?Name=w32time"
  strResourceURI = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_Service?Name=w32time"
  -- strMethodName = "StopService"
  strMethodName = "StopService"
  -- strActionURI = strMethodName
  strActionURI = strMethodName

  -- strInputXml = "<p:StopService_INPUT " _
  --     & "xmlns:p=""http://schemas.microsoft.com/wbem/wsman/1/"_
  --     & "wmi/root/cimv2/Win32_Service""/>"
  strInputXml = "<p:StopService_INPUT " ..
    "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_Service\"/>"

  -- strResponse = objSession.Invoke(strMethodName, strResourceURI, strInputXml)
  strResponse = objSession:Invoke(strMethodName, strResourceURI, strInputXml)

  -- call DisplayOutput(strResponse)
  DisplayOutput(strResponse)

  -- strMethodName = "StartService"
  strMethodName = "StartService"
  -- strActionURI = strResourceURI & "/" & strMethodName
  -- (computed as in the sample, which then passes the bare method name to Invoke)
  strActionURI = strResourceURI .. "/" .. strMethodName
  -- strInputXml = "<p:StartService_INPUT " _
  --     & "xmlns:p=""http://schemas.microsoft.com/wbem/wsman/1/"_
  --     & "wmi/root/cimv2/Win32_Service""/>"
  strInputXml = "<p:StartService_INPUT " ..
    "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_Service\"/>"
  -- strResponse = objSession.Invoke(strMethodName, _
  --     strResourceURI, strInputXml)
  strResponse = objSession:Invoke(strMethodName,
    strResourceURI, strInputXml)

  -- call DisplayOutput(strResponse)
  DisplayOutput(strResponse)
end)
