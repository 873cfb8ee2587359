-- SPDX-License-Identifier: MIT
-- examples/fragment_processor.lua: the "ResourceLocator object" sample (learn.microsoft.com/
-- windows/win32/winrm/resourcelocator), ported line by line: every VBScript line is the
-- comment above the Lua it became.
--
--   lua5.4 examples/fragment_processor.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Gets two properties of the processor CPU0, NumberOfCores and NumberOfLogicalProcessors, one
-- at a time: a ResourceLocator with a selector and a fragment path (XPath 1.0).
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"

local cfg = common.args("")

-- '****************************************************
-- ' Displays WinRM XML message using built-in XSL
-- '****************************************************
-- Sub DisplayOutput( strWinRMXml )   (WsmTxt.xsl in Lua: see common.lua)
local DisplayOutput = common.DisplayOutput

common.main(function()
  -- Option Explicit
  -- Dim strUri
  -- strUri = "http://schemas.microsoft.com/wbem/wsman/1/" _
  --     & "wmi/root/cimv2/Win32_Processor"
  -- (The page today shows "https://": resource and dialect URIs are http://.)
  local strUri = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_Processor"
  -- Const FragmentDialect = _
  --     "http://www.w3.org/TR/1999/REC-xpath-19991116"
  local FragmentDialect =
    "http://www.w3.org/TR/1999/REC-xpath-19991116"

  -- Dim WSMan
  -- Set WSMan = CreateObject("WSMan.Automation")
  local WSMan = require("wsman").new()

  -- Dim Session
  -- Set Session = WSMan.CreateSession
  -- (common.CreateSession calls WSMan:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local Session = common.CreateSession(WSMan, cfg, cfg.endpoint)

  -- Dim Locator
  -- Set Locator = WSMan.CreateResourceLocator(strUri)
  local Locator = WSMan:CreateResourceLocator(strUri)

  -- Locator.AddSelector "DeviceID", "CPU0"
  Locator:AddSelector("DeviceID", "CPU0")

  -- Dim NumberOfCores_XML
  -- Locator.FragmentPath = "NumberOfCores"
  Locator.FragmentPath = "NumberOfCores"
  -- Locator.FragmentDialect = FragmentDialect
  Locator.FragmentDialect = FragmentDialect
  -- NumberOfCores_XML = Session.Get(Locator)
  local NumberOfCores_XML = Session:Get(Locator)
  -- DisplayOutput NumberOfCores_XML
  DisplayOutput(NumberOfCores_XML)

  -- Dim NumberOfLogicalProcessors_XML
  -- Locator.FragmentPath = "NumberOfLogicalProcessors"
  Locator.FragmentPath = "NumberOfLogicalProcessors"
  -- Locator.FragmentDialect = FragmentDialect
  Locator.FragmentDialect = FragmentDialect
  -- NumberOfLogicalProcessors_XML = Session.Get(Locator)
  local NumberOfLogicalProcessors_XML = Session:Get(Locator)

  -- DisplayOutput NumberOfLogicalProcessors_XML
  DisplayOutput(NumberOfLogicalProcessors_XML)
end)
