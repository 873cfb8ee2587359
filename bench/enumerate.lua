-- bench/enumerate.lua: enumeration throughput and client memory against the simulator.
--   lua5.4 bench/enumerate.lua [instances]       (from the repo root, after meson compile -C build)
-- Prints items per second, requests, TCP connections and the client's peak RSS for several
-- batch sizes. Figures, not assertions: run it before and after a change.
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = (os.getenv("WSMAN_BUILD_DIR") or "build") .. "/?.so;" .. package.cpath
local sim = require "helpers.sim"
local n = tonumber(arg[1]) or 20000

local function now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

local function rss_kb(field)
  for line in io.lines("/proc/self/status") do
    local v = line:match("^" .. field .. ":%s+(%d+)")
    if v then return tonumber(v) end
  end
end

local s = sim.start { "--allow-unencrypted", "--processes", tostring(n) }
local session = sim.session(s)
local function stats()
  local t = {}
  for k, v in session:Get(sim.CONTROL):gmatch("<p:(%w+)>([^<]*)</p:%w+>") do t[k] = tonumber(v) or v end
  return t
end

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
