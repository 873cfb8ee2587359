-- SPDX-License-Identifier: MIT
-- Many hosts at once (prints a table; not a test). N simulated hosts of one fleet simulator
-- (winrm-sim --hosts N: 127.0.0.2, 127.0.0.3, ... with --latency on every reply), each doing
-- Identify + Get + a whole 20-item Enumerate (Win32_Process, MaxElements 20), over Basic/HTTP
-- (or HTTPS with --tls, the server certificate verified with the simulator's CA):
--   seq      lua-wsman, one host after the other (the blocking calls, no task)
--   lua32    lua-wsman, WSMan.tasks{limit = 32}
--   lua1000  lua-wsman, WSMan.tasks{limit = 1000} (N when N is smaller)
--   py32     Debian's pywinrm (python3-winrm) in a 32-thread pool (bench/pywinrm_hosts.py)
--   py256    the same with 256 threads (what Ansible-style tools do)
-- Each mode runs in a process of its own (its peak RSS, descriptors and CPU are its own);
-- the simulator's counters give the requests, connections (TCP handshakes) and its request rate.
--
--   lua5.4 bench/many_hosts.lua [--hosts N] [--latency MS] [--only MODE,...] [--tls] [--sim PATH]
--   (from the repository root, after meson compile -C build; defaults: 1000 hosts, 50 ms,
--   every mode; --only also takes "lua" = seq,lua32,lua1000 and "pywinrm" = py32,py256)
--   lua5.4 bench/many_hosts.lua --hosts 10000 --only lua1000
--
-- The open-file limit is raised to the hard limit for the bench and its children; when even
-- that is too low for N hosts, the bench says so before it starts.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"

local CONTROL = "http://schemas.luawsman.test/sim/control"
local USER, PASSWORD = "testuser", "Passw0rd!"
local EXTRA_PROCESSES = 5 -- the simulator's 15 Win32_Process instances + 5 = the 20-item Enumerate
local BATCH = 20
local FD_RESERVE = 64 -- descriptors besides the connections: libraries, pipes, the loop
local SAMPLE_S = 0.05 -- how often the descriptors of a running mode are counted (from outside it)

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function capture(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  p:close()
  return out
end

-- key=value words of a line -> table (numbers converted)
local function fields(line)
  local t = {}
  for k, v in (line or ""):gmatch("([%w_]+)=(%S*)") do t[k] = tonumber(v) or v end
  return t
end

-- ------------------------------------------------------------------------------------------
-- The child: one lua-wsman mode over the host list on stdin; prints its figures on one line
-- ------------------------------------------------------------------------------------------

-- A Basic session to url: over HTTP unencrypted, over HTTPS verified with the CA in ca_file.
local function basic_session(WSMan, url, ca_file)
  local wsman = WSMan.new()
  local o = wsman:CreateConnectionOptions()
  o.UserName, o.Password = USER, PASSWORD
  local flags = WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword
  if url:match("^https:") then
    o.ca_file = ca_file
  else
    flags = flags | WSMan.SessionFlagNoEncryption
  end
  return wsman:CreateSession(url, flags, o)
end

local function child(mode, limit)
  local WSMan = require "wsman"
  local hosts = {}
  for line in io.lines() do hosts[#hosts + 1] = line end
  local function host_work(url)
    local s <close> = basic_session(WSMan, url, os.getenv("BENCH_CA"))
    if mode == "warm" then
      s:Identify()
      return 0
    end
    s.BatchItems = BATCH
    return bench.host_work(s)
  end
  local failed, first_error = 0, ""
  local function completed(ok, err)
    if not ok then
      failed = failed + 1
      if first_error == "" then first_error = tostring(err):sub(1, 200):gsub("%s", "_") end
    end
  end
  local t0, c0 = bench.now(), os.clock()
  if mode == "seq" then
    for _, url in ipairs(hosts) do completed(pcall(host_work, url)) end
  else
    local group = WSMan.tasks { limit = limit }
    for i, url in ipairs(hosts) do group:spawn(function() return host_work(url) end, i) end
    for _, ok, v in group:results() do completed(ok, v) end
  end
  local wall, cpu = bench.now() - t0, os.clock() - c0
  io.write(("wall=%.3f cpu=%.3f failed=%d peak_rss_kb=%d error=%s\n"):format(wall, cpu, failed,
    bench.status_kb("VmHWM"), first_error))
end

-- ------------------------------------------------------------------------------------------
-- The parent: the simulator, the modes, the table
-- ------------------------------------------------------------------------------------------

local MODES = { "seq", "lua32", "lua1000", "py32", "py256" }
local GROUPS = { lua = { "seq", "lua32", "lua1000" }, pywinrm = { "py32", "py256" } }

local function parse_args(argv)
  local o = { hosts = 1000, latency = 50, sim = "spec/sim/winrm-sim" }
  local i = 1
  while i <= #argv do
    local a, v = argv[i], argv[i + 1]
    if a == "--hosts" then
      o.hosts = assert(math.tointeger(tonumber(v)), "--hosts N: a number")
    elseif a == "--latency" then
      o.latency = v
    elseif a == "--only" then
      o.only = v
    elseif a == "--tls" then
      o.tls = true
      i = i - 1
    elseif a == "--sim" then
      o.sim = v
    elseif a == "--child" then
      o.child, o.limit = v, math.tointeger(tonumber(argv[i + 2]))
      i = i + 1
    elseif a == "--raised" then
      o.raised = true
      i = i - 1
    else
      error("unknown argument " .. a .. " (see the comment at the top of bench/many_hosts.lua)")
    end
    i = i + 2
  end
  o.modes = {}
  local wanted = {}
  for m in (o.only or table.concat(MODES, ",")):gmatch("[^,]+") do
    for _, x in ipairs(GROUPS[m] or { m }) do wanted[x] = true end
  end
  for _, m in ipairs(MODES) do
    if wanted[m] then o.modes[#o.modes + 1] = m end
    wanted[m] = nil
  end
  assert(next(wanted) == nil, "--only: modes are " .. table.concat(MODES, ", ") .. ", lua, pywinrm")
  return o
end

-- Runs the bench again with the open-file limit at the hard limit (children inherit it).
local function reexec_raised(argv)
  local parts = { "ulimit -n \"$(ulimit -Hn)\" 2>/dev/null;", "exec lua5.4 bench/many_hosts.lua --raised" }
  for _, a in ipairs(argv) do parts[#parts + 1] = shell_quote(a) end
  local ok, _, code = os.execute(table.concat(parts, " "))
  os.exit(ok and 0 or code)
end

local function concurrency(mode, n)
  local limit = ({ seq = 1, lua32 = 32, lua1000 = 1000, py32 = 32, py256 = 256 })[mode]
  return math.min(limit, n)
end

-- Says whether the descriptors allowed are enough: the client holds one connection per host
-- in flight, the simulator a listening socket per host plus the connections.
local function check_fd_limit(o)
  local soft = tonumber(capture("ulimit -n")) or 0
  local most = 1
  for _, m in ipairs(o.modes) do most = math.max(most, concurrency(m, o.hosts)) end
  local client, sim = most + FD_RESERVE, o.hosts + most + FD_RESERVE
  print(("open-file limit %d (hard); the client needs about %d, the simulator about %d"):format(soft, client, sim))
  if soft < client or soft < sim then
    print(("*** The open-file limit %d is too low for %d hosts: raise the hard limit to at least %d "
      .. "(ulimit -Hn as root, LimitNOFILE= for a service, nofile in /etc/security/limits.conf) or run fewer "
      .. "hosts (--hosts). Hosts beyond it will fail."):format(soft, o.hosts, math.max(client, sim)))
  end
end

local function start_sim(o)
  local cmd = ("exec env -u LD_PRELOAD PYTHONDONTWRITEBYTECODE=1 %s --allow-unencrypted --hosts %d --port 0 "
    .. "--latency %s --processes %d --exit-with-parent%s 2>/dev/null"):format(shell_quote(o.sim), o.hosts,
    shell_quote(o.latency), EXTRA_PROCESSES, o.tls and " --tls" or "")
  local pipe = assert(io.popen(cmd, "r"))
  -- closing the pipe waits for the simulator, so it is stopped first, also when the bench fails
  local sim = setmetatable({ pipe = pipe, hosts = {} }, { __close = function(self)
    if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
    self.pipe:close()
  end })
  local first = pipe:read("l")
  if not first or not first:match("^http") then
    error("the fleet simulator did not start (" .. cmd .. "): " .. tostring(first)
      .. " (it needs winrm-sim --hosts)")
  end
  for line in pipe:lines() do
    if line == "" then break end
    local k, v = line:match("^([%w_]+)=(.*)$")
    if k == "pid" then sim.pid = tonumber(v) end
    if k == "ca_file" then sim.ca_file = v end
    if k and k:match("^host_%d+$") then sim.hosts[tonumber(k:match("%d+"))] = v end
  end
  assert(#sim.hosts == o.hosts, "the simulator listed " .. #sim.hosts .. " hosts, not " .. o.hosts)
  return sim
end

-- The simulator's fleet-wide counters (from its first host) and its CPU seconds so far.
local function sim_counters(sim)
  local s <close> = basic_session(require "wsman", sim.hosts[1], sim.ca_file)
  local t = {}
  for k, v in s:Get(CONTROL):gmatch("<p:(%w+)>([^<]*)</p:%w+>") do t[k] = tonumber(v) or v end
  local stat = io.open("/proc/" .. sim.pid .. "/stat")
  local text = stat and stat:read("a") or ""
  if stat then stat:close() end
  local utime, stime = text:match("^%d+ %b() %S+" .. (" %S+"):rep(10) .. " (%d+) (%d+)")
  local hz = tonumber(capture("getconf CLK_TCK")) or 100
  t.cpu = ((tonumber(utime) or 0) + (tonumber(stime) or 0)) / hz
  return t
end

-- Runs a mode's process; a shell beside it counts its descriptors every SAMPLE_S seconds (the
-- same way for every mode, and nothing inside the measured process).
local function run_child(cmd, list)
  local out = os.tmpname()
  local script = ([[%s < %s > %s & pid=$!; peak=0
while kill -0 $pid 2>/dev/null; do
  n=$(ls /proc/$pid/fd 2>/dev/null | wc -l); [ "$n" -gt "$peak" ] && peak=$n; sleep %s
done
wait $pid; cat %s; echo " peak_fds=$peak"]]):format(cmd, shell_quote(list), shell_quote(out), SAMPLE_S,
    shell_quote(out))
  local text = capture("sh -c " .. shell_quote(script))
  os.remove(out)
  return text
end

local function run_mode(o, sim, mode, list)
  local n = concurrency(mode, o.hosts)
  local cmd
  if mode:match("^py") then
    cmd = ("env -u LD_PRELOAD PYWINRM_CA=%s /usr/bin/python3 bench/pywinrm_hosts.py %d -"):format(
      shell_quote(sim.ca_file or ""), n)
  else
    cmd = ("env BENCH_CA=%s lua5.4 bench/many_hosts.lua --child %s %d"):format(shell_quote(sim.ca_file or ""), mode,
      n)
  end
  local before = sim_counters(sim)
  local out = run_child(cmd, list)
  local r = fields(out)
  r.raw = out
  local after = sim_counters(sim)
  r.requests = after.FleetRequests - before.FleetRequests - 1 -- (less the Stats Get of `after`)
  r.conns = after.FleetConnections - before.FleetConnections - 1
  r.sim_cpu = after.cpu - before.cpu
  r.peak_rate = after.PeakRequestRate
  return r
end

local function ratio(a, b)
  if not a or not b or b <= 0 then return "-" end
  return ("%.1fx"):format(a / b)
end

local function print_table(o, rows)
  print(("\n%d hosts, %s ms latency; per host Identify + Get + Enumerate of 20 items (Basic, %s)")
    :format(o.hosts, o.latency, o.tls and "HTTPS" or "HTTP"))
  -- (handshakes: the TCP connections the simulator accepted, each with its Basic authentication)
  local head = "| mode | wall s | client CPU s | CPU ms/op | peak RSS MB | peak fds | handshakes | failed | sim req/s "
    .. "| sim CPU s | vs seq | vs py256 |"
  print(head)
  print((head:gsub("[^|]", "-")))
  local seq, py = rows.seq, rows.py256
  for _, m in ipairs(o.modes) do
    local r = rows[m]
    if r.wall then
      print(("| %s | %.2f | %.2f | %.3f | %.1f | %d | %d | %d | %.0f | %.1f | %s | %s |"):format(m, r.wall, r.cpu,
        r.cpu * 1000 / math.max(1, r.requests), r.peak_rss_kb / 1024, r.peak_fds, r.conns, r.failed,
        r.requests / r.wall, r.sim_cpu, ratio(seq and seq.wall, r.wall), ratio(py and py.wall, r.wall)))
    else
      print(("| %s | did not report (%s) |"):format(m, tostring(r.raw)))
    end
    if r.error and r.error ~= "" then print(("|   first error: %s"):format(r.error)) end
  end
end

local function main(argv)
  local o = parse_args(argv)
  if o.child then return child(o.child, o.limit) end
  if not o.raised then return reexec_raised(argv) end
  print(("lua-wsman many-hosts bench on %s cores"):format(capture("nproc"):match("%d+")))
  check_fd_limit(o)
  local sim <close> = start_sim(o)
  local list = os.tmpname()
  local f = assert(io.open(list, "w"))
  f:write(table.concat(sim.hosts, "\n"), "\n")
  f:close()
  -- every host of the simulator builds its state at its first connection: not in any mode's time
  io.stderr:write(("warming up %d hosts...\n"):format(o.hosts))
  run_child(("env BENCH_CA=%s lua5.4 bench/many_hosts.lua --child warm %d"):format(shell_quote(sim.ca_file or ""),
    concurrency("lua1000", o.hosts)), list)
  local rows = {}
  for _, m in ipairs(o.modes) do
    io.stderr:write(("running %s over %d hosts...\n"):format(m, o.hosts))
    rows[m] = run_mode(o, sim, m, list)
  end
  os.remove(list)
  print_table(o, rows)
  local py = rows.py256
  for _, m in ipairs { "lua32", "lua1000" } do
    local r = rows[m]
    if r and r.wall and py and py.wall then
      print(("%s: client CPU %s below pywinrm-256's"):format(m, ratio(py.cpu, r.cpu)))
    end
  end
  local seq, top = rows.seq, rows.lua1000
  if seq and top and seq.wall and top.wall then
    print(("CPU per request, lua1000 vs the blocking path: %s"):format(ratio(top.cpu / top.requests,
      seq.cpu / seq.requests)))
  end
end

main(arg)
