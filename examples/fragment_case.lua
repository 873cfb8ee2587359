-- SPDX-License-Identifier: MIT
-- examples/fragment_case.lua: the "Case Sensitivity Examples" of "Resource URIs"
-- (learn.microsoft.com/windows/win32/winrm/resource-uris), ported line by line: every
-- VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/fragment_case.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Resource URIs are not case-sensitive, fragment paths are (XPath). The page's first script
-- asks for "/Win32_SERVICE/Name" and gets an error; the second, with the class spelled as
-- WMI spells it, "/Win32_Service/Name", gets the value. The port runs both: the first error
-- is shown and expected; the exit status is that of the second.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"

local cfg = common.args("")

common.main(function()
  -- First script: the wrong case, an error.
  do
    -- RResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/"_& "wmi/root/cimv2/Win32_Service?Name=winrm"
    -- (The page's line has a typo, "RResourceUri", and a syntax error, "_&"; what it means:)
    local ResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/" .. "wmi/root/cimv2/Win32_Service?Name=winrm"
    -- Set WSMan = CreateObject("WSMan.Automation")
    local WSMan = require("wsman").new()
    -- Set Locator = WSMan.CreateResourceLocator(Resourceuri)
    local Locator = WSMan:CreateResourceLocator(ResourceUri)
    -- Locator.FragmentPath = "/Win32_SERVICE/Name"
    Locator.FragmentPath = "/Win32_SERVICE/Name"
    -- Set Session = WSMan.Createsession
    -- (common.CreateSession calls WSMan:CreateSession(cfg.endpoint) as the sample does; when an
    -- account is given it uses Basic with that account instead: see common.lua)
    local Session = common.CreateSession(WSMan, cfg, cfg.endpoint)
    -- xml = Session.Get(Locator)
    local ok, xml = pcall(Session.Get, Session, Locator)
    -- WScript.Echo xml
    if ok then
      print(xml)
    else
      print('FragmentPath "/Win32_SERVICE/Name" (wrong case) fails, as the page says:')
      common.DisplayErrorInfo(xml)
      print()
    end
  end

  -- Second script: the right case.
  -- ResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/"_
  --     & "wmi/root/cimv2/Win32_Service?Name=winrm"
  local ResourceUri = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_Service?Name=winrm"
  -- Set WSMan = CreateObject("WSMan.Automation")
  local WSMan = require("wsman").new()
  -- Set Locator = WSMan.CreateResourceLocator(Resourceuri)
  local Locator = WSMan:CreateResourceLocator(ResourceUri)
  -- Locator.FragmentPath = "/Win32_Service/Name"
  Locator.FragmentPath = "/Win32_Service/Name"
  -- Set Session = WSMan.Createsession
  local Session = common.CreateSession(WSMan, cfg, cfg.endpoint)
  -- xml = Session.Get(Locator)
  local xml = Session:Get(Locator)
  -- WScript.Echo xml
  print('FragmentPath "/Win32_Service/Name" (right case):')
  print(xml)
end)
