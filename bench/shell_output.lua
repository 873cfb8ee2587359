-- SPDX-License-Identifier: MIT
-- bench/shell_output.lua: streaming throughput of a remote command's output against the simulator.
--   lua5.4 bench/shell_output.lua [megabytes]      (from the repo root, after meson compile -C build)
-- Runs a command printing N MB (default 100) and reads it with `for stream, chunk in p:output()`,
-- for 10 MB and N MB: MB/s, client CPU seconds per MB, Receive replies, and the client's memory
-- (peak RSS, and the RSS and Lua heap sampled while streaming) to show it stays flat.
-- Figures, not assertions: run it before and after a change. The simulator (Python, same machine)
-- is usually the bottleneck.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"
local sim = require "helpers.sim"
local mb = tonumber(arg[1]) or 100

local now, status_kb = bench.now, bench.status_kb

local s = sim.start { "--allow-unencrypted" }
local session = sim.session(s)
local function stats() return sim.stats(session) end

print(string.format("MaxEnvelopeSize %d bytes (client default); simulator MaxEnvelopeSizekb 500", 153600))
print(string.format("%8s %9s %14s %9s %8s %15s %15s %14s", "MB", "MB/s", "CPU s per MB", "Receives", "chunks",
  "peak RSS (KiB)", "RSS min..max", "Lua heap max"))
for _, size in ipairs { 10, mb } do
  local bytes = size * 1048576
  local sh <close> = session:shell {}
  collectgarbage()
  local before = stats()
  local cpu0, wall0 = os.clock(), now()
  local p <close> = sh:run(("head -c %d /dev/zero | tr '\\000' x"):format(bytes))
  local got, chunks = 0, 0
  local rss_min, rss_max, lua_max = math.huge, 0, 0
  for _, chunk in p:output() do
    got = got + #chunk
    chunks = chunks + 1
    if chunks % 64 == 0 then
      local rss = status_kb("VmRSS")
      rss_min, rss_max = math.min(rss_min, rss), math.max(rss_max, rss)
      lua_max = math.max(lua_max, collectgarbage("count"))
    end
  end
  local cpu, wall = os.clock() - cpu0, now() - wall0
  assert(got == bytes, ("got %d bytes of %d"):format(got, bytes))
  assert(p.exit_code == 0)
  local after = stats()
  print(string.format("%8d %9.1f %14.4f %9d %8d %15d %15s %11.0f KiB", size, size / wall, cpu / size,
    after.Requests - before.Requests - 3, chunks, status_kb("VmHWM"), rss_min .. ".." .. rss_max, lua_max))
end
