-- SPDX-License-Identifier: MIT
-- examples/fragment_adapter_description.lua: the "WSMan.CreateResourceLocator method" sample
-- (learn.microsoft.com/windows/win32/winrm/wsman-createresourcelocator), ported line by line:
-- every VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/fragment_adapter_description.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Gets the Description of the network adapter configuration with Index 1 (a fragment Get;
-- FragmentDialect is left at its default, XPath 1.0) and echoes the XML.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

common.main(function()
  -- const Uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_NetworkAdapterConfiguration"
  local Uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_NetworkAdapterConfiguration"
  -- const FragmentPath = "Description"
  local FragmentPath = "Description"

  -- Set objWSMan = CreateObject("WSMan.Automation")
  local objWSMan = WSMan.new()

  -- Set objSession = objWSMan.CreateSession()
  -- (common.CreateSession calls objWSMan:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local objSession = common.CreateSession(objWSMan, cfg, cfg.endpoint)

  -- Set objLocator = objWSMan.CreateResourceLocator(Uri)
  local objLocator = objWSMan:CreateResourceLocator(Uri)

  -- objLocator.AddSelector "Index", "1"
  objLocator:AddSelector("Index", "1")
  -- objLocator.FragmentPath = FragmentPath
  objLocator.FragmentPath = FragmentPath

  -- Dim Xml
  -- Xml = objSession.Get(objLocator)
  local Xml = objSession:Get(objLocator)
  -- WScript.Echo Xml
  print(Xml)
end)
