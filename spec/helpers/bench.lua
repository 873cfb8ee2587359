-- SPDX-License-Identifier: MIT
-- spec/helpers/bench.lua: what the bench/ scripts share. Requiring it (from the repo root) also
-- points package.path/cpath at lua/, spec/ and the build directory (WSMAN_BUILD_DIR, "build").
--   local bench = require "helpers.bench"   -- after package.path includes "spec/?.lua"
--   bench.now()             wall clock in seconds (fractional)
--   bench.status_kb(field)  a /proc/self/status field in KiB ("VmHWM" peak RSS, "VmRSS")
--   bench.host_work(s)      the many-hosts benches' work on one session; returns the items read
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

local CIM = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"

-- What each host does in the many-hosts benches: Identify, a Get, then a whole Enumerate of
-- Win32_Process in batches of the session's BatchItems. Returns the number of items read.
function M.host_work(s)
  s:Identify()
  s:Get(CIM .. "Win32_Service?Name=Spooler")
  local e <close> = s:Enumerate("wmicimv2/Win32_Process")
  local n = 0
  while not e.AtEndOfStream do
    e:ReadItem()
    n = n + 1
  end
  return n
end

return M
