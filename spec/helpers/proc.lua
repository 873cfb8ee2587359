-- SPDX-License-Identifier: MIT
-- spec/helpers/proc.lua: what specs need to run commands as subprocesses.
--
--   local proc = require "helpers.proc"
--   proc.quote(s)          -- s as one word for /bin/sh
--   proc.root, proc.build  -- absolute source root (WSMAN_SOURCE_ROOT) and build directory
--                          -- (WSMAN_BUILD_DIR, default "build", relative to the root)
--   proc.sh(cmd)           -- runs a shell command line; its stdout and stderr, and exit status
local M = {}

function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

function M.sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local _, _, code = p:close()
  return out, code
end

function M.absolute(path)
  if path:sub(1, 1) == "/" then return path end
  local cwd = M.sh("pwd"):gsub("\n$", "")
  return (path == "." and cwd) or (cwd .. "/" .. path)
end

M.root = M.absolute(os.getenv("WSMAN_SOURCE_ROOT") or ".")
M.build = os.getenv("WSMAN_BUILD_DIR") or "build"
if M.build:sub(1, 1) ~= "/" then M.build = M.root .. "/" .. M.build end

return M
