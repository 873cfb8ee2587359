-- SPDX-License-Identifier: MIT
-- bench/cli_run.lua: `wsman run` (bin/wsman as a subprocess) printing N MB against the simulator.
--   lua5.4 bench/cli_run.lua [megabytes]      (from the repo root, after meson compile -C build)
-- For 10 MB and N MB (default 100): MB/s and the wsman process's peak RSS (GNU time's %M), with the
-- output written to /dev/null, and the same for N MB of piped stdin forwarded to `wc -c`. The peak
-- RSS should not grow with the size: output is written chunk by chunk, stdin read 64 KiB at a time.
-- Figures, not assertions. The simulator (Python, same machine) is usually the bottleneck.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"
local sim = require "helpers.sim"
local mb = tonumber(arg[1]) or 100

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local s = sim.start { "--allow-unencrypted" }
local build = os.getenv("WSMAN_BUILD_DIR") or "build"
local base = ("env -u LD_PRELOAD LUA_CPATH=%s LUA_PATH=%s /usr/bin/time -f %%M %s run -r:%s -u:%s -p:%s -a:basic "
  .. "-unencrypted"):format(q(build .. "/?.so;;"), q("lua/?.lua;lua/?/init.lua;;"), q("bin/wsman"), q(s.url),
  q(sim.user), q(sim.password))

-- Runs the shell command line; returns seconds and the peak RSS in KiB (time's last stderr line).
local function measure(cmd)
  local err = os.tmpname()
  local t0 = bench.now()
  assert(os.execute(cmd .. " 2>" .. q(err)), "failed: " .. cmd)
  local dt = bench.now() - t0
  local kb
  for line in io.lines(err) do kb = tonumber(line) or kb end
  os.remove(err)
  return dt, kb
end

print(string.format("%-8s %8s %9s %16s", "what", "MB", "MB/s", "peak RSS (KiB)"))
for _, size in ipairs { 10, mb } do
  local bytes = size * 1048576
  local dt, kb = measure(base .. " " .. q(("head -c %d /dev/zero | tr '\\000' x"):format(bytes)) .. " >/dev/null")
  print(string.format("%-8s %8d %9.1f %16d", "output", size, size / dt, kb))
  dt, kb = measure(("head -c %d /dev/zero | %s 'wc -c' >/dev/null"):format(bytes, base))
  print(string.format("%-8s %8d %9.1f %16d", "stdin", size, size / dt, kb))
end
s:stop()
