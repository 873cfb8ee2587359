-- SPDX-License-Identifier: MIT
-- spec/helpers/bench.lua: what the bench/ scripts share. Requiring it (from the repo root) also
-- points package.path/cpath at lua/, spec/ and the build directory (WSMAN_BUILD_DIR, "build").
--   local bench = require "helpers.bench"   -- after package.path includes "spec/?.lua"
--   bench.now()             wall clock in seconds (fractional)
--   bench.status_kb(field)  a /proc/self/status field in KiB ("VmHWM" peak RSS, "VmRSS")
local M = {}

package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = (os.getenv("WSMAN_BUILD_DIR") or "build") .. "/?.so;" .. package.cpath

function M.now()
  -- no sanitizer runtime for date(1) when the bench runs with one preloaded
  local p = io.popen("env -u LD_PRELOAD date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

function M.status_kb(field)
  for line in io.lines("/proc/self/status") do
    local v = line:match("^" .. field .. ":%s+(%d+)")
    if v then return tonumber(v) end
  end
end

return M
