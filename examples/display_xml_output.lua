-- SPDX-License-Identifier: MIT
-- examples/display_xml_output.lua: "Displaying XML Output from WinRM Scripts"
-- (learn.microsoft.com/windows/win32/winrm/displaying-xml-output-from-winrm-scripts), ported
-- line by line: every VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/display_xml_output.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer, then
--   servername.domain.com for the second script)
--
-- The page's scripts turn WinRM's XML into the "Name = value" text winrm prints, with MSXML
-- and the stylesheet WsmTxt.xsl. Lua has neither, so common.lua carries a small XML reader
-- and the stylesheet's rules (local names, "null" for xsi:nil, arrays on one line, nested
-- elements indented, cim:Location left out). The first script gets the Spooler service; the
-- second enumerates Win32_LogicalDisk through the portable DisplayOutput subroutine.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"

local cfg = common.args("")

-- Sub DisplayOutput(strWinRMXml)
--     Set xmlFile = CreateObject("MSXml.DOMDocument")
--     Set xslFile = CreateObject("MSXml.DOMDocument")
--     xmlFile.LoadXml(strWinRMXml)
--     xslFile.Load("WsmTxt.xsl")
--     Wscript.Echo xmlFile.TransformNode(xslFile)
-- End Sub
local function DisplayOutput(strWinRMXml)
  print(common.to_text(strWinRMXml))
end

common.main(function()
  -- Set Wsman = CreateObject("Wsman.Automation")
  local Wsman = require("wsman").new()
  -- Set Session = Wsman.CreateSession
  -- (common.CreateSession calls Wsman:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local Session = common.CreateSession(Wsman, cfg, cfg.endpoint)
  -- Set xmlFile = CreateObject( "MSXml.DOMDocument" )
  -- Set xslFile = CreateObject( "MSXml.DOMDocument" )

  -- xmlResponse = Session.Get("http://schemas.microsoft.com/" & _
  --     "wbem/wsman/1/wmi/root/cimv2/Win32_Service?Name=Spooler")
  local xmlResponse = Session:Get("http://schemas.microsoft.com/" ..
    "wbem/wsman/1/wmi/root/cimv2/Win32_Service?Name=Spooler")
  -- xmlFile.LoadXml(xmlResponse)
  -- xslFile.Load("WsmTxt.xsl")
  -- Wscript.Echo xmlFile.TransformNode(xslFile)
  print(common.to_text(xmlResponse))

  -- The page's second script.
  -- Const RemoteComputer = "servername.domain.com"
  local RemoteComputer = cfg.endpoint ~= "" and cfg.endpoint or "servername.domain.com"
  -- Set objWsman = CreateObject("WSMan.Automation")
  local objWsman = require("wsman").new()
  -- Set objSession = objWsman.CreateSession("http://" & RemoteComputer)
  local objSession = common.CreateSession(objWsman, cfg, common.connection("http://", RemoteComputer))
  -- strResource = "http://schemas.microsoft.com/" & _
  --     "wbem/wsman/1/wmi/root/cimv2/Win32_LogicalDisk"
  local strResource = "http://schemas.microsoft.com/" ..
    "wbem/wsman/1/wmi/root/cimv2/Win32_LogicalDisk"
  -- Set objResultSet = objSession.Enumerate(strResource)
  local objResultSet = objSession:Enumerate(strResource)
  -- While Not objResultSet.AtEndOfStream
  while not objResultSet.AtEndOfStream do
    --     DisplayOutput(objResultSet.ReadItem)
    DisplayOutput(objResultSet:ReadItem())
    -- Wend
  end
end)
