-- SPDX-License-Identifier: MIT
-- bench/enumerate.lua: enumeration throughput and client memory against the simulator.
--   lua5.4 bench/enumerate.lua [instances]       (from the repo root, after meson compile -C build)
-- Prints items per second, requests, TCP connections and the client's peak RSS for several
-- batch sizes. Figures, not assertions: run it before and after a change.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"
local sim = require "helpers.sim"
local n = tonumber(arg[1]) or 20000

local now, rss_kb = bench.now, bench.status_kb

local s = sim.start { "--allow-unencrypted", "--processes", tostring(n) }
local session = sim.session(s)
local function stats() return sim.stats(session) end

print(string.format("simulator with %d generated Win32_Process instances", n))
print(string.format("%-8s %9s %10s %13s %9s %12s %15s", "batch", "items", "items/s", "client CPU/s", "requests",
  "connections", "peak RSS (KiB)"))
for _, batch in ipairs { 20, 100, 500 } do
  session.BatchItems = batch
  local before = stats()
  local t0 = os.clock()
  local wall0 = now()
  local e = session:Enumerate(sim.CIMV2 .. "Win32_Process")
  local count, bytes = 0, 0
  while not e.AtEndOfStream do
    local x = e:ReadItem()
    count = count + 1
    bytes = bytes + #x
  end
  local cpu = os.clock() - t0
  local wall = now() - wall0
  local after = stats()
  collectgarbage()
  print(string.format("%-8d %9d %10.0f %13.3f %9d %12d %15d", batch, count, count / wall, cpu,
    after.Requests - before.Requests - 1, after.Connections - before.Connections, rss_kb("VmHWM")))
end
print("items/s is wall-clock (simulator included); client CPU is this process's os.clock().")
s:stop()
