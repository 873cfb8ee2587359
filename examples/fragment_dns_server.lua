-- SPDX-License-Identifier: MIT
-- examples/fragment_dns_server.lua: the array fragments of "ResourceLocator.FragmentPath
-- property" (learn.microsoft.com/windows/win32/winrm/resourcelocator-fragmentpath), ported
-- line by line: every VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/fragment_dns_server.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- The page gives two constants: FragmentPath "DNSServerSearchOrder[1]" (one element of an
-- array; positions start at 1, not 0) and "DNSServerSearchOrder" (the whole array). Around
-- them the port uses the script of the WSMan.CreateResourceLocator page (the adapter
-- configuration with Index 1) and shows each reply as text.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

common.main(function()
  -- Const Uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_NetworkAdapterConfiguration"
  local Uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_NetworkAdapterConfiguration"

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

  -- Const FragmentPath = "DNSServerSearchOrder[1]"
  local FragmentPath = "DNSServerSearchOrder[1]"
  -- objLocator.FragmentPath = FragmentPath
  objLocator.FragmentPath = FragmentPath
  -- Xml = objSession.Get(objLocator)
  local Xml = objSession:Get(objLocator)
  -- (added: show the reply as text, with the path asked for)
  print("FragmentPath = " .. FragmentPath)
  common.DisplayOutput(Xml)

  -- Const FragmentPath = "DNSServerSearchOrder"
  FragmentPath = "DNSServerSearchOrder"
  -- objLocator.FragmentPath = FragmentPath
  objLocator.FragmentPath = FragmentPath
  -- Xml = objSession.Get(objLocator)
  Xml = objSession:Get(objLocator)
  -- (added: show the reply as text, with the path asked for)
  print("FragmentPath = " .. FragmentPath)
  common.DisplayOutput(Xml)
end)
