-- SPDX-License-Identifier: MIT
-- Memory and CPU of many concurrent sessions (not a test; prints figures).
--
-- N sessions run at once (WSMan.tasks{limit = N}), each doing Identify + Get + a 20-item
-- Enumerate (BatchItems 20), and every session stays open until all have finished, so the
-- figures are those of N sessions alive together. Over HTTP (Basic) and then HTTPS (Basic over
-- TLS), each in its own child process so that each peak RSS is its own. The same work run
-- sequentially (the blocking path) gives the CPU per operation to compare with.
--   lua5.4 bench/tasks_memory.lua [N [SIMS [http|https|both]]]   (repo root, after meson compile)
-- The sessions are spread over SIMS simulator processes (one thread per connection each): many
-- sessions to each host, so each session keeps a connection cache of its own. With SIMS "fleet"
-- they go to N hosts of one fleet simulator (winrm-sim --hosts N), one session per host as in
-- issue 10's many hosts, where sessions share connection caches (docs/design.md).
-- Where the memory goes: WSMAN_BENCH_WRAP="heaptrack -o /tmp/ht" runs each child under heaptrack
-- (then heaptrack_print --print-peaks 1 /tmp/ht.zst); WSMAN_BENCH_SMAPS=FILE writes the child's
-- /proc/self/smaps after the run; WSMAN_BENCH_GC=generational switches Lua's collector mode.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"

local N = tonumber(arg[1]) or 1000
local FLEET = arg[2] == "fleet"
local SIMS = FLEET and 1 or tonumber(arg[2]) or 4
local WHICH = arg[3] or "both"
local OPS = 4 -- Identify, Get, Enumerate, one Pull

-- The child: runs one transport, prints one line of figures.
local function child(scheme, n, sims_spec)
  local sim = require "helpers.sim"
  local WSMan = require "wsman"
  local sims = {}
  for url, ca in sims_spec:gmatch("([^,]+)|([^,]*)") do
    sims[#sims + 1] = { url = url, ca_file = ca ~= "" and ca or nil }
  end
  local function open(i)
    local s = sim.session(sims[(i - 1) % #sims + 1])
    s.BatchItems = 20
    return s
  end
  local work = bench.host_work
  if os.getenv("WSMAN_BENCH_GC") then collectgarbage(os.getenv("WSMAN_BENCH_GC")) end
  -- warm up (libraries, CA bundle), then the blocking path
  work(open(1))
  local seq_n = math.min(n, 100)
  local c0 = os.clock()
  for i = 1, seq_n do work(open(i)) end
  local seq_cpu = (os.clock() - c0) / (seq_n * OPS)
  collectgarbage("collect")
  local rss0 = bench.status_kb("VmRSS")
  local keep = {}
  local group = WSMan.tasks { limit = n }
  for i = 1, n do
    group:spawn(function()
      local s = open(i)
      keep[i] = s
      return work(s)
    end, i)
  end
  local t0, c1 = bench.now(), os.clock()
  local failed, first = 0, nil
  for _, ok, v in group:results() do
    if not ok then
      failed = failed + 1
      first = first or tostring(v)
    end
  end
  local wall, cpu = bench.now() - t0, os.clock() - c1
  local lua_kb = collectgarbage("count")
  local rss1 = bench.status_kb("VmRSS")
  assert(#keep == n) -- the sessions were alive together until here
  local smaps = os.getenv("WSMAN_BENCH_SMAPS")
  if smaps then os.execute("cat /proc/$PPID/smaps > " .. smaps) end
  keep = nil -- luacheck: no unused
  collectgarbage("collect")
  WSMan.flush()
  print(("%s %d %.3f %.3f %.4f %.4f %d %d %d %d %d %s"):format(scheme, n, wall, cpu, cpu * 1000 / (n * OPS),
    seq_cpu * 1000, bench.status_kb("VmHWM"), rss0, rss1, math.floor(lua_kb), failed, first or "-"))
end

if arg[1] == "--child" then
  child(arg[2], tonumber(arg[3]), arg[4])
  os.exit(0)
end

local sim = require "helpers.sim"

-- Raise the descriptor limit to the hard limit for the children (one socket per session).
local function run_child(scheme, sims)
  local spec = {}
  for i, s in ipairs(sims) do spec[i] = s.url .. "|" .. (s.ca_file or "") end
  local cmd = ("ulimit -n $(ulimit -Hn); exec %s %s %s --child %s %d '%s'"):format(os.getenv("WSMAN_BENCH_WRAP") or "",
    arg[-1] or "lua5.4", arg[0], scheme, N, table.concat(spec, ","))
  local p = assert(io.popen(cmd))
  local line = p:read("l")
  p:close()
  return line
end

print(("%d concurrent sessions over %s; each Identify + Get + Enumerate (20 items, one Pull)")
  :format(N, FLEET and ("%d hosts of a fleet simulator"):format(N) or ("%d simulators"):format(SIMS)))
print(("%-6s %8s %8s %12s %12s %7s %10s %10s %10s %10s %7s"):format("scheme", "wall s", "cpu s", "cpu ms/op",
  "blocking ms", "ratio", "peak RSS", "RSS before", "RSS after", "Lua KiB", "failed"))
for _, scheme in ipairs { "http", "https" } do
  if WHICH == "both" or WHICH == scheme then
    local sims = {}
    local args = { "--allow-unencrypted", "--processes", "5", "--max-shells-per-user", "100000" }
    if scheme == "https" then args[#args + 1] = "--tls" end
    if FLEET then table.move({ "--hosts", tostring(N), "--port", "0" }, 1, 4, #args + 1, args) end
    for i = 1, SIMS do sims[i] = sim.start(args, { fresh = true }) end
    local started = sims
    if FLEET then
      sims = {}
      for i = 1, N do sims[i] = { url = assert(started[1]["host_" .. i]), ca_file = started[1].ca_file } end
    end
    local line = run_child(scheme, sims)
    for _, s in ipairs(started) do s:stop() end
    local f = {}
    for w in (line or ""):gmatch("%S+") do f[#f + 1] = w end
    if #f < 11 then
      print(scheme .. ": the child failed: " .. tostring(line))
    else
      print(("%-6s %8.2f %8.2f %12.3f %12.3f %7.2f %7.1f MB %7.1f MB %7.1f MB %10s %7s"):format(f[1], f[3], f[4],
        f[5], f[6], f[5] / f[6], f[7] / 1024, f[8] / 1024, f[9] / 1024, f[10], f[11]))
      if f[11] ~= "0" then print("  first failure: " .. table.concat(f, " ", 12)) end
    end
  end
end
