-- SPDX-License-Identifier: MIT

-- examples/tables.lua: the table layer. Instances come back as Lua tables and parameters go in
-- as tables, with no XML in sight (`session:get`, `:enumerate`, `:invoke`, `:put`).
--
--   lua5.4 examples/tables.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD)
--
-- Shows the Spooler service, counts the running services with a WQL filter, stops and starts
-- the Spooler service, and reads a WinRM setting.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("")

common.main(function()
  local session = common.connect(cfg)

  local svc = session:get("wmicimv2/Win32_Service", { Name = "Spooler" })
  print(("%s: %s (%s), start mode %s"):format(svc[WSMan.class], svc.Name, svc.State, svc.StartMode))

  local running = 0
  for _ in session:enumerate("wmicimv2/*", { filter = "SELECT * FROM Win32_Service WHERE State = 'Running'" }) do
    running = running + 1
  end
  print(("%d services are running"):format(running))

  local out = session:invoke("StopService", "wmicimv2/Win32_Service", { Name = "Spooler" })
  print(("StopService returned %s; the service is now %s"):format(out.ReturnValue,
    session:get("wmicimv2/Win32_Service", { Name = "Spooler" }).State))
  out = session:invoke("StartService", "wmicimv2/Win32_Service", { Name = "Spooler" })
  print(("StartService returned %s; the service is now %s"):format(out.ReturnValue,
    session:get("wmicimv2/Win32_Service", { Name = "Spooler" }).State))

  local config = session:get("winrm/config/service")
  print(("MaxConcurrentOperationsPerUser = %s"):format(config.MaxConcurrentOperationsPerUser))
end)
