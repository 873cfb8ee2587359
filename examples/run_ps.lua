-- SPDX-License-Identifier: MIT

-- examples/run_ps.lua: run a PowerShell script on a Windows host, as pywinrm's
-- `Session.run_ps` does. The script goes to powershell.exe on its stdin, so its length does
-- not matter; PowerShell's CLIXML is removed from stderr and decoded into records.
--
--   lua5.4 examples/run_ps.lua [endpoint [user [password [script.ps1]]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; "-" reads the script from stdin)
--
-- Prints the script's output, the error stream as text, then one line per record (warnings,
-- verbose and debug messages, progress), and exits with PowerShell's exit code.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"

local cfg = common.args("")

local script = [[
$services = Get-Service | Where-Object { $_.Status -eq "Running" }
"{0} services are running" -f $services.Count
Write-Warning "this is what a warning looks like"
]]
if arg[4] == "-" then
  script = io.read("a")
elseif arg[4] then
  local f = assert(io.open(arg[4], "r"))
  script = f:read("a")
  f:close()
end

common.main(function()
  local session = common.connect(cfg)
  local out, err, code, records = session:run_ps(script)
  io.write(out)
  if err ~= "" then io.stderr:write(err, err:sub(-1) == "\n" and "" or "\n") end
  for _, r in ipairs(records) do
    if r.type == "progress" then
      print(("progress: %s %s (%s%%)"):format(r.activity or "", r.status_description or "", r.percent_complete or "?"))
    elseif r.type ~= "error" then -- the errors are in err already, as PowerShell shows them
      print(("%s: %s"):format(r.type, r.message or ""))
    end
  end
  print(("exit code: %d"):format(code))
  os.exit(code == 0 and 0 or 1)
end)
