-- SPDX-License-Identifier: MIT
-- examples/create_listener.lua: the "Session.Create method" sample (learn.microsoft.com/
-- windows/win32/winrm/session-create), ported line by line: every VBScript line is the comment
-- above the Lua it became.
--
--   lua5.4 examples/create_listener.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: this computer)
--
-- Creates a WS-Management listener (Address=*, Transport=HTTP) with this computer's FQDN as
-- its Hostname and echoes the EPR of the new resource. A computer that already has that
-- listener answers "already exists" (examples/delete_listener.lua removes it).
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

-- Function GetFQDNName()
local function GetFQDNName()
  --     Dim oShell, userDNSDomain, localComputerName
  --     Set oShell = CreateObject("WScript.Shell")
  --     userDNSDomain = oShell.ExpandEnvironmentStrings("%USERDNSDOMAIN%")
  local userDNSDomain = os.getenv("USERDNSDOMAIN")
  --     localComputerName = _
  --         oShell.ExpandEnvironmentStrings("%ComputerName%")
  -- (%ComputerName% on Windows; here COMPUTERNAME, else the kernel's host name)
  local localComputerName = os.getenv("COMPUTERNAME")
  if not localComputerName then
    local f = io.open("/proc/sys/kernel/hostname")
    localComputerName = f and f:read("l") or "localhost"
    if f then f:close() end
  end
  --     If userDNSDomain = "%USERDNSDOMAIN%" Then
  if not userDNSDomain or userDNSDomain == "" then
    --         GetFQDNName= localComputerName
    return localComputerName
    --     Else
  else
    --         GetFQDNName= localComputerName & "." & userDNSDomain
    return localComputerName .. "." .. userDNSDomain
    --     End If
  end
  -- End Function
end

common.main(function()
  -- 'Create a WSMan object
  -- Set oWsman = CreateObject( "WSMAN.Automation" )
  local oWsman = WSMan.new()

  -- 'Create a Session object
  -- Set oSession = oWsman.CreateSession
  -- (common.CreateSession calls oWsman:CreateSession(cfg.endpoint) as the sample does; when an
  -- account is given it uses Basic with that account instead: see common.lua)
  local oSession = common.CreateSession(oWsman, cfg, cfg.endpoint)

  -- 'Define resourceUri and inputXml
  -- resourceUri = "http://schemas.microsoft.com/wbem/wsman/1/"_
  --     & "config/Listener?Address=*+Transport=HTTP"
  local resourceUri = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "config/Listener?Address=*+Transport=HTTP"

  -- inputXml = _
  --     "<cfg:Listener xmlns:cfg=""http://schemas.dmtf.org/wbem/wsman/1/"_
  --     & "config/Listener.xsd"">" _
  --     & "<cfg:Hostname>" & GetFQDNName() & "</cfg:Hostname>" _
  --     & "</cfg:Listener>"
  -- (The page today shows "https://schemas.dmtf.org/...": namespace URIs are http://.)
  local inputXml =
    "<cfg:Listener xmlns:cfg=\"http://schemas.dmtf.org/wbem/wsman/1/" ..
    "config/Listener.xsd\">" ..
    "<cfg:Hostname>" .. GetFQDNName() .. "</cfg:Hostname>" ..
    "</cfg:Listener>"

  -- 'Perform the create operation.
  -- response = oSession.Create( resourceUri, inputXml )
  local response = oSession:Create(resourceUri, inputXml)
  -- WScript.Echo "Response message: " & Chr(10) & response
  print("Response message: " .. "\n" .. response)
end)
