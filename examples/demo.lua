-- SPDX-License-Identifier: MIT
-- examples/demo.lua: a short tour of lua-wsman, the WinRM Scripting API (WSMan.Automation) for
-- Lua, against a WinRM host: the bundled simulator when started by `bash .ci/demo`.
--
--   WSMAN_ENDPOINT=http://127.0.0.1:5985/wsman WSMAN_USER=testuser WSMAN_PASSWORD='Passw0rd!' \
--     lua5.4 examples/demo.lua
--   lua5.4 examples/demo.lua <endpoint> <user> <password>
--
-- It authenticates with Basic (over http:// this needs the host's AllowUnencrypted, as on
-- Windows), identifies the host, reads a service, queries the running services, stops and
-- starts one, changes a WMI setting, reads single properties (fragments) and shows what a
-- failure looks like. It exits with 0 when every step worked.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")
if cfg.endpoint == "" or not cfg.user then
  io.stderr:write("usage: lua5.4 examples/demo.lua <endpoint> <user> <password>\n",
    "   or: WSMAN_ENDPOINT=... WSMAN_USER=... WSMAN_PASSWORD=... lua5.4 examples/demo.lua\n",
    "(bash .ci/demo starts the bundled simulator and runs this for you)\n")
  os.exit(2)
end

local CIMV2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"

local step = 0
local function section(title)
  step = step + 1
  print()
  print(("== %d. %s "):format(step, title) .. string.rep("=", math.max(3, 72 - #title)))
end
local function code(line) print("  > " .. line) end
local function show(name, value) print(("    %-26s %s"):format(name, tostring(value))) end

common.main(function()
  print("lua-wsman " .. WSMan._VERSION .. " -> " .. cfg.endpoint .. " as " .. cfg.user)

  -- The objects are those of VBScript's CreateObject("WSMan.Automation"); flags are combined
  -- with | where VBScript writes Or.
  local wsman = WSMan.new()
  local options = wsman:CreateConnectionOptions()
  options.UserName = cfg.user
  options.Password = cfg.password
  local flags = WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword
  if not cfg.endpoint:lower():match("^https://") then
    flags = flags | WSMan.SessionFlagNoEncryption -- Basic over plain HTTP, as Windows requires
  end
  local session = wsman:CreateSession(cfg.endpoint, flags, options)

  ---------------------------------------------------------------------------------------------
  section("Identify: does the host speak WS-Management?")
  code("wsman:CreateSession(endpoint, WSMan.SessionFlagUseNoAuthentication):Identify(...)")
  local anon = wsman:CreateSession(cfg.endpoint, WSMan.SessionFlagUseNoAuthentication)
  local id = common.properties(anon:Identify(WSMan.SessionFlagUseNoAuthentication))
  show("ProtocolVersion", id.ProtocolVersion)
  show("ProductVendor", id.ProductVendor)
  show("ProductVersion", id.ProductVersion .. "   (unauthenticated: no version)")
  code("session:Identify()")
  id = common.properties(session:Identify())
  show("ProductVersion", id.ProductVersion)

  ---------------------------------------------------------------------------------------------
  section("Get one instance: the Winmgmt service")
  code('session:Get("wmicimv2/Win32_Service?Name=Winmgmt")')
  local xml = session:Get("wmicimv2/Win32_Service?Name=Winmgmt")
  local svc = common.properties(xml)
  for _, p in ipairs { "Name", "DisplayName", "State", "StartMode", "ProcessId", "PathName" } do
    show(p, svc[p])
  end
  print(("    (the reply is %d bytes of XML; common.to_text renders it like winrm)"):format(#xml))

  ---------------------------------------------------------------------------------------------
  section("WQL query: which services are running?")
  local wql = "SELECT Name, DisplayName FROM Win32_Service WHERE State = 'Running'"
  code(('e = session:Enumerate("wmicimv2/*", "%s")'):format(wql))
  code("while not e.AtEndOfStream do item = e:ReadItem() ... end")
  local e <close> = session:Enumerate("wmicimv2/*", wql)
  local running = 0
  while not e.AtEndOfStream do
    local item = common.properties(e:ReadItem())
    running = running + 1
    print(("    %-20s %s"):format(item.Name, item.DisplayName or ""))
  end
  print(("    %d services are running."):format(running))

  ---------------------------------------------------------------------------------------------
  section("Invoke: stop and start the Spooler service")
  local spooler = CIMV2 .. "Win32_Service?Name=Spooler"
  local function state() return common.properties(session:Get(spooler)).State end
  local function invoke(method)
    code(('session:Invoke("%s", "wmicimv2/Win32_Service?Name=Spooler", "<p:%s_INPUT .../>")')
      :format(method, method))
    local out = session:Invoke(method, spooler,
      ('<p:%s_INPUT xmlns:p="%sWin32_Service"/>'):format(method, CIMV2))
    local rv = common.properties(out).ReturnValue
    if rv ~= "0" then error(("%s returned %s (0 is success)"):format(method, rv)) end
    show(method .. " ReturnValue", rv)
    show("State is now", state())
  end
  local before = state()
  show("State before", before)
  if before == "Stopped" then
    invoke("StartService")
    invoke("StopService")
  else
    invoke("StopService")
    invoke("StartService")
  end

  ---------------------------------------------------------------------------------------------
  section("Put: change a setting (Win32_WMISetting.LoggingLevel)")
  local setting = CIMV2 .. "Win32_WMISetting"
  local old = common.properties(session:Get(setting)).LoggingLevel
  local new = old == "2" and "1" or "2"
  show("LoggingLevel before", old)
  code(('session:Put("wmicimv2/Win32_WMISetting", "<p:Win32_WMISetting ...><p:LoggingLevel>%s</p:LoggingLevel>...")')
    :format(new))
  local put = session:Put(setting, ('<p:Win32_WMISetting xmlns:p="%s"><p:LoggingLevel>%s</p:LoggingLevel>'
    .. "</p:Win32_WMISetting>"):format(setting, new))
  show("LoggingLevel in the reply", common.properties(put).LoggingLevel)
  show("LoggingLevel, Get again", common.properties(session:Get(setting)).LoggingLevel)

  ---------------------------------------------------------------------------------------------
  section("Fragment Get: one property through a ResourceLocator")
  local locator = wsman:CreateResourceLocator("wmicimv2/Win32_Processor")
  locator:AddSelector("DeviceID", "CPU0")
  locator.FragmentPath = "NumberOfCores"
  code('l = wsman:CreateResourceLocator("wmicimv2/Win32_Processor")')
  code('l:AddSelector("DeviceID", "CPU0"); l.FragmentPath = "NumberOfCores"; session:Get(l)')
  show("NumberOfCores", common.properties(session:Get(locator)).NumberOfCores)
  locator = wsman:CreateResourceLocator("wmicimv2/Win32_NetworkAdapterConfiguration?Index=1")
  locator.FragmentPath = "DNSServerSearchOrder[1]" -- arrays count from 1 (XPath)
  code('... "Win32_NetworkAdapterConfiguration?Index=1", FragmentPath "DNSServerSearchOrder[1]"')
  show("DNSServerSearchOrder[1]", common.properties(session:Get(locator)).DNSServerSearchOrder)

  ---------------------------------------------------------------------------------------------
  section("When something goes wrong: errors are objects")
  code('ok, err = pcall(session.Get, session, "wmicimv2/Win32_QuotaSetting")   -- no keys given')
  local ok, err = pcall(session.Get, session, "wmicimv2/Win32_QuotaSetting")
  if ok then error("the Get without keys should have failed") end
  show("err.code", ("0x%08X (%d)"):format(err.code, err.code))
  show("err.name", err.name)
  show("err.message", err.message)
  show("err.operation", err.operation)
  show("err.provider.name", err.provider and err.provider.name)
  show("err.http_status", err.http_status)
  show("err.retry", err.retry)
  print("    tostring(err):")
  print("      " .. tostring(err))
  print("    session.Error (the WSManFault XML, as in COM) starts with:")
  print("      " .. session.Error:sub(1, 90) .. "...")

  print()
  print("Done: every step worked.")
end)
