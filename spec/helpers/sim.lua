-- SPDX-License-Identifier: MIT
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

local function file_exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

local function read_block(pipe)
  local t = {}
  for line in pipe:lines() do
    if line == "" then break end
    local k, v = line:match("^([%w_]+)=(.*)$")
    if k then t[k] = v end
  end
  return t
end

-- WSMAN_SIM_REQUIRE_AUTHORIZATION=1: every simulator holds requests without credentials, as
-- Microsoft's OMI does (winrm-sim --require-authorization), unless the spec chose Digest (libcurl's
-- Digest asks without credentials first) or a recorded replay.
local function omi_args(args)
  if os.getenv("WSMAN_SIM_REQUIRE_AUTHORIZATION") ~= "1" then return args end
  for i, a in ipairs(args) do
    if a == "--replay" or a == "--require-authorization" then return args end
    if a == "--auth" and tostring(args[i + 1]):match("digest") then return args end
  end
  local out = table.move(args, 1, #args, 1, {})
  out[#out + 1] = "--require-authorization"
  return out
end

-- The simulator options WSMAN_SPEC_AUTH needs, added unless the spec chose its own --auth. The
-- Negotiate and Kerberos modes also hold requests without credentials (--require-authorization,
-- as OMI): the client never needs a credential-less request to learn the schemes.
local function mode_args(args)
  local mode = M.auth_mode()
  if mode == "basic" then return omi_args(args) end
  for _, a in ipairs(args) do
    if a == "--auth" or a == "--replay" then return omi_args(args) end
  end
  local out = table.move(args, 1, #args, 1, {})
  local function add(...) for _, a in ipairs { ... } do out[#out + 1] = a end end
  if mode == "ntlm" then
    add("--auth", "negotiate,basic", "--require-authorization")
  elseif mode == "kerberos" then
    local k = assert(M.kdc())
    add("--auth", "negotiate,kerberos,basic", "--keytab", (k.keytab:gsub("^FILE:", "")), "--require-authorization")
  elseif mode == "cert" then
    local tls = false
    for _, a in ipairs(args) do tls = tls or a == "--tls" end
    if not tls then add("--tls") end
    add("--auth", "certificate,basic")
  end
  return omi_args(out)
end

function M.start(args, opts)
  args = mode_args(args or {})
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
  for k, v in pairs(read_block(pipe)) do s[k] = v end
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

-- A session against a simulator: Basic over HTTP (the simulator allows unencrypted) by default.
-- WSMAN_SPEC_AUTH picks the mechanism of every spec's sessions (see M.auth_mode below):
--   basic (default), ntlm (SessionFlagUseNegotiate, NTLM, encrypted over HTTP), kerberos
--   (SessionFlagUseKerberos with the test KDC's testuser@REALM and password, encrypted over HTTP),
--   cert (SessionFlagUseClientCertificate over HTTPS with the simulator's client certificate).
-- M.start adds the simulator options the mode needs (--auth ..., --keytab, --tls ...).
function M.session(s, extra_flags, opts_setup)
  local WSMan = require "wsman"
  local wsman = WSMan.new()
  local o = wsman:CreateConnectionOptions()
  local mode = M.auth_mode()
  local flags
  if s.ca_file then o.ca_file = s.ca_file end
  if mode == "cert" and s.client_cert then
    o.client_cert, o.client_key = s.client_cert, s.client_key
    flags = WSMan.SessionFlagUseClientCertificate
  else
    o.UserName = M.user
    o.Password = M.password
    if mode == "ntlm" then
      flags = WSMan.SessionFlagUseNegotiate
    elseif mode == "kerberos" then
      o.UserName = M.user .. "@" .. assert(M.kdc()).realm
      flags = WSMan.SessionFlagUseKerberos
    else
      flags = WSMan.SessionFlagUseBasic
    end
    flags = flags | WSMan.SessionFlagCredUsernamePassword
  end
  if opts_setup then opts_setup(o) end
  flags = flags | (extra_flags or 0)
  if s.url:match("^http:") and (mode == "basic" or mode == "cert") then
    flags = flags | WSMan.SessionFlagNoEncryption
  end
  return wsman:CreateSession(s.url, flags, o), wsman, o
end

-- The mechanism the specs' sessions use: WSMAN_SPEC_AUTH = basic | ntlm | kerberos | cert.
function M.auth_mode()
  local m = os.getenv("WSMAN_SPEC_AUTH") or ""
  if m == "" then return "basic" end
  assert(m == "basic" or m == "ntlm" or m == "kerberos" or m == "cert",
    "WSMAN_SPEC_AUTH must be basic, ntlm, kerberos or cert (got " .. m .. ")")
  return m
end

-- The throwaway Kerberos realm of spec/kdc (krb5-kdc on loopback), started once per process and
-- stopped when it exits. This process's environment then points at it (the test module "testenv"
-- sets KRB5_CONFIG, KRB5RCACHEDIR, KRB5_KTNAME for the simulators, and KRB5CCNAME to an empty
-- cache of its own), so the library and every simulator started afterwards use it.
-- Returns { dir, realm, principal, password, keytab, client_keytab, ccache, port } or nil, why.
-- A KDC that .ci/run started already (WSMAN_TEST_KDC_DIR and KRB5_CONFIG set) is used as it is.
function M.kdc()
  if M._kdc then return M._kdc end
  if M._kdc_why then return nil, M._kdc_why end
  local ok, env = pcall(require, "testenv")
  if not ok then
    M._kdc_why = "the testenv module is not built"
    return nil, M._kdc_why
  end
  local vars
  local dir = os.getenv("WSMAN_TEST_KDC_DIR")
  if dir and os.getenv("KRB5_CONFIG") then
    vars = { KDC_DIR = dir, KRB5_REALM = os.getenv("KRB5_REALM"), KRB5_CONFIG = os.getenv("KRB5_CONFIG"),
      KRB5_KTNAME = os.getenv("KRB5_KTNAME"), KRB5_CLIENT_KTNAME = os.getenv("WSMAN_TEST_CLIENT_KTNAME"),
      KRB5RCACHEDIR = os.getenv("KRB5RCACHEDIR") }
  else
    local start = root .. "/spec/kdc/start"
    if not file_exists(start) then
      M._kdc_why = "spec/kdc/start is missing"
      return nil, M._kdc_why
    end
    local pipe = io.popen("exec env -u LD_PRELOAD " .. shell_quote(start) .. " --daemon 2>&1", "r")
    vars = read_block(pipe)
    local rest = pipe:read("a")
    pipe:close()
    if not vars.KDC_DIR then
      M._kdc_why = "spec/kdc/start failed: " .. (rest or "")
      return nil, M._kdc_why
    end
    local kdc_dir = vars.KDC_DIR
    M._kdc_sentinel = setmetatable({}, { __gc = function()
      os.execute("env -u LD_PRELOAD " .. shell_quote(root .. "/spec/kdc/stop") .. " " .. shell_quote(kdc_dir)
        .. " >/dev/null 2>&1")
    end })
  end
  local k = {
    dir = vars.KDC_DIR, realm = vars.KRB5_REALM, config = vars.KRB5_CONFIG, keytab = vars.KRB5_KTNAME,
    client_keytab = vars.KRB5_CLIENT_KTNAME, password = M.password,
  }
  k.principal = M.user .. "@" .. k.realm
  k.ccache = "FILE:" .. k.dir .. "/lua-client-ccache"
  env.setenv("KRB5_CONFIG", k.config)
  env.setenv("KRB5RCACHEDIR", vars.KRB5RCACHEDIR or k.dir)
  if k.keytab then env.setenv("KRB5_KTNAME", k.keytab) end -- the simulators' acceptor keytab
  env.setenv("KRB5_CLIENT_KTNAME", nil)
  env.setenv("KRB5CCNAME", k.ccache)
  os.remove((k.ccache:gsub("^FILE:", "")))
  M._kdc = k
  return k
end

-- A TGT for the test user in a credential cache (kinit): opts.ccache (default the process's
-- KRB5CCNAME cache), opts.forwardable, opts.principal. Returns the cache name.
function M.kinit(opts)
  opts = opts or {}
  local k = assert(M.kdc())
  local cc = opts.ccache or k.ccache
  local cmd = { "env -u LD_PRELOAD", shell_quote(root .. "/spec/kdc/kinit"), shell_quote(k.dir), "--ccache",
    shell_quote(cc) }
  if opts.principal then cmd[#cmd + 1] = "--principal " .. shell_quote(opts.principal) end
  if opts.forwardable then cmd[#cmd + 1] = "--forwardable" end
  local p = assert(io.popen(table.concat(cmd, " ") .. " >/dev/null 2>&1", "w"))
  p:write((opts.password or k.password) .. "\n")
  local ok = p:close()
  assert(ok, "spec/kdc/kinit failed")
  return cc
end

-- Empties the process's credential cache (no ticket: the "kinit first" cases).
function M.kdestroy()
  local k = M._kdc
  if k then os.remove((k.ccache:gsub("^FILE:", ""))) end
end

-- A simulator with client-certificate authentication over HTTPS, and the certificates it issued:
-- its fields client_cert, client_key, client_key_encrypted (with client_key_password),
-- client_cert_thumbprint and client_cert_dir (for CertificateThumbprint), and client_cert_unmapped /
-- client_key_unmapped (a certificate the host maps to no account). extra: more simulator options.
function M.cert_sim(extra)
  local args = { "--tls", "--auth", "certificate" }
  for _, a in ipairs(extra or {}) do args[#args + 1] = a end
  local s = M.start(args)
  assert(s.client_cert, "the simulator printed no client certificate")
  return s
end

-- Adds service principals (e.g. "HTTP/127.0.0.1:41234") to the realm and the acceptor keytab.
function M.add_principal(...)
  local k = assert(M.kdc())
  local names = {}
  for _, n in ipairs { ... } do names[#names + 1] = shell_quote(n) end
  assert(os.execute("env -u LD_PRELOAD " .. shell_quote(root .. "/spec/kdc/add-principal") .. " "
    .. shell_quote(k.dir) .. " " .. table.concat(names, " ") .. " >/dev/null 2>&1"), "add-principal failed")
end


-- A TCP port on 127.0.0.1 that nothing listens on (bound by the simulator's helper then freed).
function M.closed_port()
  local p = io.popen("/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
    .. "print(s.getsockname()[1]); s.close()'")
  local port = tonumber(p:read("l"))
  p:close()
  return port
end

-- Calls f(...) and returns the error it raises (fails the test when it does not raise).
function M.err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

-- The simulator's counters (Stats of the control resource) as a table of numbers.
function M.stats(session)
  local t = {}
  for k, v in session:Get(M.CONTROL):gmatch("<p:(%w+)>([^<]*)</p:%w+>") do t[k] = tonumber(v) or v end
  return t
end

-- The real Windows recordings in ../shared (WSMAN_CAPTURES names another folder).
M.captures = os.getenv("WSMAN_CAPTURES") or (root .. "/../shared/captures/windows-pypsrp")

--- True when `path` (data from ../shared) exists. When it does not, the calling test is marked
-- pending (reported as skipped), except under CI=true, where missing shared data is an error.
function M.need_shared(path)
  local f = io.open(path, "r")
  if f then
    f:close()
    return true
  end
  if os.getenv("CI") == "true" then
    error(path .. " not found: CI=true requires the shared data", 2)
  end
  pending(path .. " not found")
  return false
end

--- Runs f(session) against the simulator replaying the recording `name` (in M.captures) over
-- Basic and plain HTTP (a replay answers what was recorded, whatever WSMAN_SPEC_AUTH says), then
-- checks that f sent the whole recorded sequence of requests. Pending when the recording is absent.
-- Under WSMAN_SPEC_AUTH=ntlm the replay runs over Negotiate with message encryption instead (the
-- simulator authenticates and encrypts before the replay answers). f also gets the simulator r, whose
-- r.session(opts_setup) makes more sessions on the same replay.
function M.replay(name, f)
  if not M.need_shared(M.captures .. "/" .. name) then return end
  local WSMan = require "wsman"
  local ntlm = M.auth_mode() == "ntlm"
  local args = { "--allow-unencrypted", "--replay", M.captures .. "/" .. name }
  if ntlm then table.move({ "--auth", "negotiate,basic" }, 1, 2, #args + 1, args) end
  local r = M.start(args, { fresh = true })
  -- a session on the replay, its ConnectionOptions set up by opts_setup(o) (r.session(setup) in f)
  function r.session(opts_setup)
    if ntlm then return (M.session(r, nil, opts_setup)) end
    local w = WSMan.new()
    local o = w:CreateConnectionOptions()
    o.UserName, o.Password = M.user, M.password
    if opts_setup then opts_setup(o) end
    return w:CreateSession(r.url, WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword
      | WSMan.SessionFlagNoEncryption, o)
  end
  local rs = r.session()
  local ok, err = pcall(f, rs, r)
  local stats = M.stats(rs)
  local left = stats.ReplayRemaining
  r:stop()
  assert(ok, err)
  assert(not ntlm or stats.Handshakes > 0, "the replay did not run over Negotiate")
  assert(left == 0, ("the client did not send the recorded sequence of requests (%s left)"):format(left))
end

M.FAULT = "http://schemas.luawsman.test/sim/fault/"
M.CONTROL = "http://schemas.luawsman.test/sim/control"
M.CIMV2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"

return M
