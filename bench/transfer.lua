-- SPDX-License-Identifier: MIT
-- bench/transfer.lua: session:copy and session:fetch throughput against the simulator's PowerShell
-- plug-in (files in its sandbox), and the client's memory.
--   lua5.4 bench/transfer.lua [megabytes]      (from the repo root, after meson compile -C build)
-- Copies a file of N MB (default 100; 1024 for the 1 GB figure) to the host and fetches it back:
-- MB/s, client CPU seconds per MB, and the peak RSS after each, to show memory stays flat.
-- Figures, not assertions. The simulator (Python, same machine) is usually the bottleneck.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"
local sim = require "helpers.sim"
local mb = tonumber(arg[1]) or 100

local s = sim.start { "--allow-unencrypted" }
local session = sim.session(s)

local src = os.tmpname()
do -- an incompressible-looking file without holding it in memory
  local f = assert(io.open(src, "wb"))
  local block = {}
  for i = 1, 65536 do block[i] = string.char((i * 131 + i // 256) % 256) end
  block = table.concat(block)
  for _ = 1, mb * 16 do f:write(block) end
  f:close()
end
local back = os.tmpname()

print(string.format("%d MB, MaxEnvelopeSize %d bytes (client default)", mb, 153600))
print(string.format("%-6s %9s %14s %16s", "", "MB/s", "CPU s per MB", "peak RSS (KiB)"))
local function run(what, fn)
  collectgarbage()
  local cpu0, wall0 = os.clock(), bench.now()
  fn()
  local cpu, wall = os.clock() - cpu0, bench.now() - wall0
  print(string.format("%-6s %9.1f %14.4f %16d", what, mb / wall, cpu / mb, bench.status_kb("VmHWM")))
end
run("copy", function() session:copy(src, "bench.bin") end)
run("fetch", function() session:fetch("bench.bin", back) end)
local a, b = io.open(src, "rb"), io.open(back, "rb")
local same = a:seek("end") == b:seek("end")
a:close()
b:close()
print("sizes equal: " .. tostring(same))
os.remove(src)
os.remove(back)
os.remove(s.ps_sandbox .. "/C/Users/" .. sim.user .. "/Documents/bench.bin")
