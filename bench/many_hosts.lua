-- SPDX-License-Identifier: MIT
-- Many hosts at once: N sessions, each Identify + Get + a whole Enumerate of Win32_Service
-- (25 items, BatchItems 20), run sequentially, with WSMan.tasks{limit = 32} and with limit = N.
-- Prints a table (not a test). The sessions are spread over SIMS simulator processes on
-- 127.0.0.1 (each session has its own connection, as separate hosts would).
--   lua5.4 bench/many_hosts.lua [N [SIMS]]       (from the repo root, after meson compile -C build)
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"
local sim = require "helpers.sim"
local WSMan = require "wsman"

local N = tonumber(arg[1]) or 400
local SIMS = tonumber(arg[2]) or 4
local CIM = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"

local sims = {}
for i = 1, SIMS do sims[i] = sim.start({ "--allow-unencrypted" }, { fresh = true }) end

-- Descriptors open in this Lua process (the parent of the shell that counts them).
local function open_fds()
  local p = io.popen("ls /proc/$PPID/fd 2>/dev/null | wc -l")
  local n = tonumber(p:read("l"))
  p:close()
  return n
end

local peak_fds = 0
local function host_work(i)
  local session = sim.session(sims[(i - 1) % SIMS + 1])
  session:Identify()
  session:Get(CIM .. "Win32_Service?Name=Spooler")
  session.BatchItems = 20
  local e = session:Enumerate("wmicimv2/Win32_Service")
  local n = 0
  while not e.AtEndOfStream do
    e:ReadItem()
    n = n + 1
  end
  return n
end

local function run(mode)
  collectgarbage("collect")
  local t0, c0 = bench.now(), os.clock()
  local failed = 0
  if mode == "sequential" then
    for i = 1, N do
      if not pcall(host_work, i) then failed = failed + 1 end
    end
  else
    local group = WSMan.tasks { limit = mode }
    for i = 1, N do group:spawn(function() return host_work(i) end, i) end
    local seen = 0
    for _, ok in group:results() do
      seen = seen + 1
      if not ok then failed = failed + 1 end
      if seen == N // 2 then peak_fds = math.max(peak_fds, open_fds() or 0) end
    end
  end
  local wall, cpu = bench.now() - t0, os.clock() - c0
  collectgarbage("collect")
  WSMan.flush()
  return wall, cpu, failed
end

print(("%d sessions over %d simulators on 127.0.0.1; per session Identify + Get + Enumerate (25 items)")
  :format(N, SIMS))
print(("%-12s %9s %9s %14s %8s %10s"):format("mode", "wall s", "cpu s", "cpu ms/op", "failed", "ops/s"))
local ops = N * 4 -- Identify, Get, Enumerate, Pull
for _, mode in ipairs { "sequential", 32, N } do
  local wall, cpu, failed = run(mode)
  local name = mode == "sequential" and mode or ("limit " .. mode)
  print(("%-12s %9.2f %9.2f %14.3f %8d %10.0f"):format(name, wall, cpu, cpu * 1000 / ops, failed, ops / wall))
end
print(("peak RSS %d KiB; open fds at half-way (limit %d) %d"):format(bench.status_kb("VmHWM"), N, peak_fds))
for _, s in ipairs(sims) do s:stop() end
