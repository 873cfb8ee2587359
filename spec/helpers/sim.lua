-- spec/helpers/sim.lua: start the bundled WinRM host simulator for a spec, over real sockets.
--
--   local sim = require "helpers.sim"
--   local s = sim.start{ "--allow-unencrypted" }   -- extra winrm-sim arguments
--   s.url, s.ca_file, s.pid, s.host, s.port
--   s:stop()
--
-- The simulator prints its endpoint URL on the first line, then key=value lines, then an
-- empty line, once it accepts connections: reading them is the synchronisation (no sleeps).
-- Started simulators are cached by their arguments and stopped when the process exits.
local M = {}

local root = os.getenv("WSMAN_SOURCE_ROOT") or "."
M.root = root
M.user, M.password = "testuser", "Passw0rd!"

local running = {}

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

function M.start(args, opts)
  args = args or {}
  opts = opts or {}
  local key = table.concat(args, "\0")
  if not opts.fresh and running[key] then return running[key] end
  local parts = { shell_quote(root .. "/spec/sim/winrm-sim"), "--port", "0", "--exit-with-parent" }
  for _, a in ipairs(args) do parts[#parts + 1] = shell_quote(a) end
  -- the simulator must not inherit a sanitizer runtime preloaded for the client
  local cmd = "exec env -u LD_PRELOAD " .. table.concat(parts, " ")
  local pipe = assert(io.popen(cmd, "r"))
  local url = pipe:read("l")
  if not url or not url:match("^https?://") then
    pipe:close()
    error("the simulator did not start (" .. cmd .. "): first line was " .. tostring(url))
  end
  local s = { url = url, pipe = pipe, args = args }
  for line in pipe:lines() do
    if line == "" then break end
    local k, v = line:match("^([%w_]+)=(.*)$")
    if k then s[k] = v end
  end
  s.pid = tonumber(s.pid)
  s.host, s.port = url:match("^https?://([^/]+):(%d+)/")
  s.port = tonumber(s.port)
  s.hostport = s.host .. ":" .. s.port
  function s:stop()
    if self.stopped then return end
    self.stopped = true
    if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
    self.pipe:close()
    for k2, v in pairs(running) do if v == self then running[k2] = nil end end
  end
  -- Stop the simulator when the Lua state closes: this finaliser is created after the pipe, so
  -- it runs before the pipe's own (which waits for the process to end).
  s.sentinel = setmetatable({}, { __gc = function() if not s.stopped then s:stop() end end })
  if not opts.fresh then running[key] = s end
  return s
end

-- A session against a simulator with Basic over HTTP (the simulator allows unencrypted).
function M.session(s, extra_flags, opts_setup)
  local WSMan = require "wsman"
  local wsman = WSMan.new()
  local o = wsman:CreateConnectionOptions()
  o.UserName = M.user
  o.Password = M.password
  if s.ca_file then o.ca_file = s.ca_file end
  if opts_setup then opts_setup(o) end
  local flags = WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword | (extra_flags or 0)
  if s.url:match("^http:") then flags = flags | WSMan.SessionFlagNoEncryption end
  return wsman:CreateSession(s.url, flags, o), wsman, o
end

-- A TCP port on 127.0.0.1 that nothing listens on (bound by the simulator's helper then freed).
function M.closed_port()
  local p = io.popen("/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1]); s.close()'")
  local port = tonumber(p:read("l"))
  p:close()
  return port
end

M.FAULT = "http://schemas.luawsman.test/sim/fault/"
M.CONTROL = "http://schemas.luawsman.test/sim/control"
M.CIMV2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"

return M
