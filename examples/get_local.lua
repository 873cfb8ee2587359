-- SPDX-License-Identifier: MIT
-- examples/get_local.lua: "Obtaining Data from the Local Computer", the Microsoft WinRM sample
-- (learn.microsoft.com/windows/win32/winrm/obtaining-data-from-the-local-computer), ported
-- line by line: every VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/get_local.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer, logged-on user)
--
-- Gets the Win32_Service instance "Winmgmt" and echoes its XML, then does the same with the
-- page's second script, which shows it through WsmTxt.xsl as "Name = value" text.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

common.main(function()
  -- Set objWsman = CreateObject("Wsman.Automation")
  local objWsman = WSMan.new()
  -- Set objSession = objWsman.CreateSession()
  -- (common.CreateSession calls objWsman:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWsman, cfg, cfg.endpoint)
  -- strResource = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service?Name=Winmgmt"
  local strResource = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service?Name=Winmgmt"
  -- strResponse = objSession.Get(strResource)
  local strResponse = objSession:Get(strResource)
  -- Wscript.Echo strResponse
  print(strResponse)

  -- The page's second script: the same Get, with the data transform.
  -- strResponse = objSession.Get(strResource)
  strResponse = objSession:Get(strResource)
  -- Set xmlFile = CreateObject("MSXml.DOMDocument")
  -- Set xslFile = CreateObject("MSXml.DOMDocument")
  -- xmlFile.LoadXml(strResponse)
  -- xslFile.Load("WsmTxt.xsl")
  -- Wscript.Echo xmlFile.TransformNode(xslFile)
  print(common.to_text(strResponse))
end)
