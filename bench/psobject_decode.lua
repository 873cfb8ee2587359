-- SPDX-License-Identifier: MIT
-- bench/psobject_decode.lua: CLIXML decode and encode rates (WSMan.clixml_decode / clixml_encode)
-- on the PSRP messages of the real Windows recordings (../shared/captures/windows-pypsrp).
--   lua5.4 bench/psobject_decode.lua [seconds]      (from the repo root, after meson compile -C build)
-- Prints messages/s, PSObjects/s (every <Obj> counted, nested ones too) and MB/s of CLIXML, for
-- decoding to Lua values and for encoding them again; then PowerShell's stderr (WSMan.clixml, the
-- same decoder) on the recorded test_sanitise_clixml_with_error.xml: records/s and MB/s.
-- Figures, not assertions.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"
local captures = require "helpers.psrp_captures"
local WSMan = require "wsman"

local seconds = tonumber(arg[1]) or 3
local msgs, bytes, objs = {}, 0, 0
for _, f in ipairs(captures.files()) do
  for _, m in ipairs(captures.messages(f)) do
    msgs[#msgs + 1] = m
    bytes = bytes + #m
    local _, n = m:gsub("<Obj[ >]", "")
    objs = objs + n
  end
end
if #msgs == 0 then
  print("no recordings found in " .. captures.dir)
  return
end
print(string.format("%d messages, %d objects, %.2f MB of CLIXML from %s", #msgs, objs, bytes / 1048576,
  captures.dir))

local function run(what, fn)
  local rounds, cpu0, wall0 = 0, os.clock(), bench.now()
  repeat
    fn()
    rounds = rounds + 1
  until os.clock() - cpu0 >= seconds
  local cpu, wall = os.clock() - cpu0, bench.now() - wall0
  print(string.format("%-8s %10.0f messages/s %10.0f objects/s %8.1f MB/s  (%d rounds, %.2f s CPU, %.2f s wall)",
    what, rounds * #msgs / cpu, rounds * objs / cpu, rounds * bytes / 1048576 / cpu, rounds, cpu, wall))
end

local decoded = {}
run("decode", function()
  for i = 1, #msgs do decoded[i] = WSMan.clixml_decode(msgs[i])[1] end
end)
run("encode", function()
  for i = 1, #decoded do WSMan.clixml_encode(decoded[i]) end
end)
local f = io.open(captures.dir .. "/test_sanitise_clixml_with_error.xml", "rb")
if f then
  local stderr = f:read("a")
  f:close()
  local rounds, records, cpu0 = 0, 0, os.clock()
  repeat
    local _, recs = WSMan.clixml(stderr)
    rounds, records = rounds + 1, records + #recs
  until os.clock() - cpu0 >= seconds
  local cpu = os.clock() - cpu0
  print(string.format("%-8s %10.0f documents/s %9.0f records/s %8.1f MB/s  (%d rounds, %.2f s CPU)", "stderr",
    rounds / cpu, records / cpu, rounds * #stderr / 1048576 / cpu, rounds, cpu))
end
print(string.format("peak RSS %d KiB", bench.status_kb("VmHWM")))
