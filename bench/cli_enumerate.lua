-- SPDX-License-Identifier: MIT
-- bench/cli_enumerate.lua: the wsman command's enumerate rate and peak memory.
--   lua5.4 bench/cli_enumerate.lua [counts...]        (from the repo root, after meson compile -C build)
-- For each count (default 10000 50000 100000) it starts the simulator with that many generated
-- Win32_Process instances, runs `wsman enumerate wmicimv2/Win32_Process -format:F` (F = json,
-- then text) in a child process with the output sent to /dev/null, and prints items/s and the
-- child's peak RSS. The command streams: the peak must stay flat as the count grows.
-- WSMAN_BATCH sets the items per Pull (the command uses 50: replies that fit MaxEnvelopeSize).
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local build = os.getenv("WSMAN_BUILD_DIR") or "build"
local sim = require "helpers.sim"

local counts = {}
for i = 1, #arg do counts[#counts + 1] = tonumber(arg[i]) end
if #counts == 0 then counts = { 10000, 50000, 100000 } end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- The child: runs the command in-process (exactly what bin/wsman does) and reports its
-- item count, wall time and VmHWM on stderr's last line.
local CHILD = [[
package.path = "lua/?.lua;" .. package.path
local cli = require "wsman.cli"
local function now() local p = io.popen("date +%s.%N"); local t = tonumber(p:read("l")); p:close(); return t end
local sink = io.open("/dev/null", "w")
local counter = setmetatable({ n = 0 }, { __index = {
  write = function(self, ...) for i = 1, select("#", ...) do local s = select(i, ...)
    if s:find("^,?\n?{") or s:find("^Win32_Process\n") then self.n = self.n + 1 end end
    return sink:write(...) end,
  flush = function() return sink:flush() end } })
local t0 = now()
local status = cli.run(arg, counter, io.stderr)
local wall = now() - t0
local hwm
for line in io.lines("/proc/self/status") do hwm = hwm or tonumber(line:match("^VmHWM:%s+(%d+)")) end
io.stderr:write(("\nRESULT %d %d %.3f %d\n"):format(status, counter.n, wall, hwm))
]]

local child_file = os.tmpname()
local f = io.open(child_file, "w")
f:write(CHILD)
f:close()

print(("%-8s %-6s %9s %9s %10s %16s"):format("count", "format", "items", "seconds", "items/s", "peak RSS (KiB)"))
for _, n in ipairs(counts) do
  local s = sim.start({ "--allow-unencrypted", "--processes", tostring(n) }, { fresh = true })
  for _, fmt in ipairs { "json", "text" } do
    local cmd = "LUA_CPATH=" .. q(build .. "/?.so;;") .. " lua5.4 " .. q(child_file) .. " e wmicimv2/Win32_Process"
      .. " -r:" .. q(s.url) .. " -u:" .. sim.user .. " -p:" .. q(sim.password)
      .. " -a:basic -unencrypted -format:" .. fmt
      .. " 2>&1 >/dev/null"
    local p = io.popen(cmd)
    local out = p:read("a")
    p:close()
    local st, items, wall, hwm = out:match("RESULT (%d+) (%d+) ([%d.]+) (%d+)")
    if not st then error("the child failed: " .. out) end
    print(("%-8d %-6s %9d %9.2f %10.0f %16d"):format(n, fmt, tonumber(items), tonumber(wall),
      tonumber(items) / tonumber(wall),
      tonumber(hwm)))
  end
  s:stop()
end
os.remove(child_file)
print("items/s is wall-clock for the whole command (simulator on the same machine included).")
