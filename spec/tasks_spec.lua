-- SPDX-License-Identifier: MIT
-- Many hosts at once: WSMan.tasks runs the same blocking calls in coroutines that yield while
-- their requests are in flight, all on one curl multi handle. Over real sockets: a fleet
-- simulator (winrm-sim --hosts: one process, every host on its own loopback address, one of them
-- refusing connections and one never answering), one session per host.
-- WSMAN_TASKS_HOSTS and WSMAN_TASKS_MECH_HOSTS lower the counts (valgrind and sanitizer runs).
local WSMan = require "wsman"
local sim = require "helpers.sim"

local CIM = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
local SHARES = "wmicimv2/Win32_Share"
local ITEMS = 50
local SIMS = 4 -- the hosts the smaller tests use
local TASKS = math.max(SIMS, tonumber(os.getenv("WSMAN_TASKS_HOSTS")) or 200)
local SLOW_TIMEOUT_MS = 1000

-- A fleet of n up hosts, then a silent one and a refusing one (with_bad). Returns the simulator,
-- the up hosts as sim.session takes them, and the silent and the refusing host.
local function fleet(n, args, with_bad)
  local all = { "--hosts", tostring(n + (with_bad and 2 or 0)), "--port", "0" }
  if with_bad then table.move({ "--slow", "1", "--down", "1" }, 1, 4, #all + 1, all) end
  table.move(args, 1, #args, #all + 1, all)
  local s = sim.start(all, { fresh = true })
  local function host(i)
    return { url = assert(s["host_" .. i], "no host " .. i), ca_file = s.ca_file, client_cert = s.client_cert,
      client_key = s.client_key }
  end
  local up = {}
  for i = 1, n do up[i] = host(i) end
  if with_bad then return s, up, host(n + 1), host(n + 2) end
  return s, up
end

-- Fleet hosts differ by their names only (WINRM-SIM-0001, winrm-sim-0001.<domain>...).
local function same_but_name(t)
  local out = {}
  for k, v in pairs(t) do out[k] = type(v) == "string" and v:gsub("[Ww][Ii][Nn][Rr][Mm]%-[Ss][Ii][Mm]%-%d+", "HOST")
    or v end
  return out
end

-- A data folder whose Win32_Share has ITEMS instances (a 50-item enumeration).
local function data_dir()
  local dir = os.tmpname()
  os.remove(dir)
  local script = [[
import json, shutil, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
shutil.copytree(src, dst)
p = dst + "/Win32_Share.json"
d = json.load(open(p))
base = d["instances"][0]
d["instances"] = [dict(base, Name="share%03d" % i, Caption="share %d" % i) for i in range(n)]
json.dump(d, open(p, "w"))
]]
  local f = assert(io.open(dir .. ".py", "w"))
  f:write(script)
  f:close()
  assert(os.execute(("env -u LD_PRELOAD /usr/bin/python3 %s %s %s %d"):format(dir .. ".py",
    sim.root .. "/spec/sim/data", dir, ITEMS)))
  os.remove(dir .. ".py")
  return dir
end

-- What each task does on its host; returns a table that must be the same on every path.
local function workload(s)
  local session = sim.session(s)
  local out = {}
  out.identify = session:Identify():gsub("<wsmid:ProductVersion>.-</wsmid:ProductVersion>", "")
  out.get = session:Get(CIM .. "Win32_Service?Name=Spooler")
  local setting = CIM .. "Win32_WMISetting"
  out.put = session:Put(setting, '<p:Win32_WMISetting xmlns:p="' .. setting
    .. '"><p:LoggingLevel>2</p:LoggingLevel></p:Win32_WMISetting>')
  out.invoke = session:Invoke("StartService", CIM .. "Win32_Service?Name=W32Time",
    '<p:StartService_INPUT xmlns:p="' .. CIM .. 'Win32_Service"/>')
  session.BatchItems = 10
  local e = session:Enumerate(SHARES)
  local names = {}
  while not e.AtEndOfStream do names[#names + 1] = e:ReadItem():match("<p:Name>(.-)</p:Name>") end
  out.items = table.concat(names, ",")
  local stdout, _, code = session:run_cmd("echo", { "hello" })
  out.cmd = stdout .. "/" .. code
  return out
end

describe("WSMan.tasks", function()
  local fleet_sim, sims, silent, down, control = nil, {}, nil, nil, nil

  setup(function()
    fleet_sim, sims, silent, down = fleet(TASKS, { "--allow-unencrypted", "--data", data_dir(),
      "--max-shells-per-user", "1000" }, true)
    control = sim.session(sims[1])
  end)

  teardown(function()
    if fleet_sim then fleet_sim:stop() end
  end)

  it(TASKS .. " hosts at once, same results as the blocking path; a refusing and a silent host fail alone",
    function()
      local expected = same_but_name(workload(sims[1]))
      assert.equals(ITEMS, select(2, expected.items:gsub(",", "")) + 1)
      local group = WSMan.tasks { limit = TASKS + 2 }
      for i = 1, TASKS do
        group:spawn(function() return workload(sims[i]) end, i)
      end
      group:spawn(function() return sim.session(down):Identify() end, "down")
      group:spawn(function()
        local session = sim.session(silent)
        session.Timeout = SLOW_TIMEOUT_MS
        return session:Identify()
      end, "silent")
      local n, r = 0, {}
      for key, ok, value in group:results() do
        n = n + 1
        r[key] = { ok = ok, value = value }
        if type(key) == "number" then
          assert(ok, tostring(value))
          assert.same(expected, same_but_name(value))
        end
      end
      assert.equals(TASKS + 2, n)
      assert.is_false(r.down.ok)
      assert.matches("Cannot connect to " .. down.url:match("//([^/]+)/"), tostring(r.down.value), 1, true)
      assert.matches("ERROR_WINHTTP_CANNOT_CONNECT", tostring(r.down.value), 1, true)
      assert.is_false(r.silent.ok)
      assert.matches(silent.url:match("//([^/]+)/"), tostring(r.silent.value), 1, true)
      assert.matches(SLOW_TIMEOUT_MS .. " ms", tostring(r.silent.value), 1, true)
    end)

  it("tasks interleave: the second starts before the first's request is answered", function()
    local log = {}
    local group = WSMan.tasks { limit = 2 }
    for i = 1, 2 do
      group:spawn(function()
        log[#log + 1] = "start" .. i
        sim.session(sims[i]):Identify()
        log[#log + 1] = "end" .. i
      end)
    end
    group:wait()
    assert.same({ "start1", "start2" }, { log[1], log[2] })
  end)

  it("a down host fails alone with its own error; the others succeed", function()
    local group = WSMan.tasks { limit = 8 }
    group:spawn(function() return sim.session(down):Identify() end, "down")
    for i = 1, SIMS do
      group:spawn(function() return sim.session(sims[i]):Identify() end, i)
    end
    local r = group:wait()
    assert.is_false(r.down.ok)
    assert.matches("Identify", tostring(r.down.value))
    assert.matches(down.url:match("//([^/]+)/"), tostring(r.down.value), 1, true)
    for i = 1, SIMS do assert.is_true(r[i].ok) end
  end)

  it("a silent host fails alone at its deadline; a task deadline cancels a long command", function()
    -- the fleet's silent host accepts connections and reads requests, never answers
    local group = WSMan.tasks { limit = 8 }
    group:spawn(function()
      local session = sim.session(silent)
      session.Timeout = 300
      return session:Identify()
    end, "silent")
    group:spawn(function() return sim.session(sims[1]):Identify() end, "up")
    local r = group:wait()
    assert.is_false(r.silent.ok)
    assert.matches("300 ms", tostring(r.silent.value), 1, true)
    assert.is_true(r.up.ok)

    local timed = WSMan.tasks { limit = 2, deadline_ms = 300 }
    timed:spawn(function() return sim.session(sims[1]):run_cmd("sleep 30") end, "long")
    timed:spawn(function() return sim.session(sims[2]):Identify() ~= nil end, "short")
    r = timed:wait()
    assert.is_false(r.long.ok)
    assert.matches("cancelled", tostring(r.long.value))
    assert.is_true(r.short.value)
  end)

  it("an error inside pcall in a task still yields correctly", function()
    local group = WSMan.tasks { limit = 4 }
    group:spawn(function()
      local ok, err = pcall(function() return sim.session(down):Identify() end)
      assert(not ok)
      -- the task goes on yielding after the caught error
      return tostring(err):match("Identify") and sim.session(sims[1]):Identify() ~= nil
    end, "pcall")
    group:spawn(function() error({ code = 42 }) end, "raise")
    local r = group:wait()
    assert.is_true(r.pcall.ok)
    assert.is_true(r.pcall.value)
    assert.is_false(r.raise.ok)
    assert.same({ code = 42 }, r.raise.value)
  end)

  it("cancellation mid-enumeration and mid-command leaves 0 contexts and 0 shells open", function()
    local group = WSMan.tasks { limit = 4 }
    local enumerating, commanding = false, false
    group:spawn(function()
      local session = sim.session(sims[1])
      session.BatchItems = 1
      while true do
        local e = session:Enumerate(SHARES)
        while not e.AtEndOfStream do
          e:ReadItem()
          enumerating = true
        end
      end
    end, "enum")
    group:spawn(function()
      local session = sim.session(sims[1])
      local sh = session:shell()
      local p = sh:run("sleep 30")
      commanding = true
      for _ in p:output() do end
    end, "cmd")
    group:spawn(function()
      while not (enumerating and commanding) do coroutine.yield() end
      assert.is_true(group:cancel("enum"))
      assert.is_true(group:cancel("cmd"))
      return "cancelled both"
    end, "canceller")
    local r = group:wait()
    assert.is_true(r.canceller.ok)
    assert.is_false(r.enum.ok)
    assert.is_false(r.cmd.ok)
    assert.matches("cancel", tostring(r.enum.value))
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equals(0, WSMan.flush())
    local st = sim.stats(control)
    assert.equals(0, st.OpenEnumerations, "open enumerations")
    assert.equals(0, st.OpenShells, "open shells")
  end)

  it("a C host drives 100 sessions from its own poll() loop (examples/embed/many_hosts.c)", function()
    local build = os.getenv("WSMAN_BUILD_DIR") or "build"
    local urls = {}
    for i, s in ipairs(sims) do urls[i] = s.url end
    local p = assert(io.popen(build .. "/wsman-many-hosts -n 100 " .. table.concat(urls, " ") .. " 2>&1"))
    local out = p:read("a")
    local ok = p:close()
    assert(ok, out)
    assert.matches("sessions=100 ok=100 failed=0", out, 1, true)
  end)

  -- 20 tasks of Identify + Get, and the event loop's own work beside them.
  local function spawn_small(group, results)
    for i = 1, 20 do
      group:spawn(function()
        local session = sim.session(sims[(i - 1) % SIMS + 1])
        session:Identify()
        return #session:Get(CIM .. "Win32_Service?Name=Spooler")
      end, i)
    end
    return function()
      local n = 0
      for key, ok, value in group:results() do
        assert(ok, tostring(value))
        results[key] = value
        n = n + 1
      end
      return n
    end
  end

  it("runs under cqueues (the group is a pollable object)", function()
    local has, cqueues = pcall(require, "cqueues")
    if not has then return pending("lua-cqueues is not installed") end
    local group, results, ticks, finished = WSMan.tasks { limit = 8 }, {}, 0, false
    local collect = spawn_small(group, results)
    local cq = cqueues.new()
    cq:wrap(function()
      while group:step() do cqueues.poll(group) end
      finished = true
    end)
    cq:wrap(function() -- the program's other work
      while not finished do
        ticks = ticks + 1
        cqueues.sleep(0.001)
      end
    end)
    assert(cq:loop())
    assert.equals(20, collect())
    assert.is_true(ticks > 0)
  end)

  it("runs under luv (libuv)", function()
    local has, uv = pcall(require, "luv")
    if not has then return pending("lua-luv is not installed") end
    local group, results, done, ticks = WSMan.tasks { limit = 8 }, {}, false, 0
    local collect = spawn_small(group, results)
    local tick = uv.new_timer()
    tick:start(1, 1, function() ticks = ticks + 1 end)
    group:luv(uv, function()
      done = true
      tick:stop()
      tick:close()
    end)
    uv.run()
    assert.is_true(done)
    assert.equals(20, collect())
  end)

  it("two sessions to one host never share a connection on the shared multi handle", function()
    local before = sim.stats(control).Connections
    local a, b = sim.session(sims[1]), sim.session(sims[1])
    for _ = 1, 5 do
      a:Identify()
      b:Identify()
    end
    assert.equals(2, sim.stats(control).Connections - before)
  end)

  it("hitting the descriptor limit gives an error that says so, naming the host", function()
    -- a child process limited to 48 descriptors opens 80 sessions at once: some connect, the
    -- others fail with their own error (EMFILE) while the rest still succeed
    local script = [[
      package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
      package.cpath = os.getenv("BUILD") .. "/?.so;" .. package.cpath
      local sim, WSMan = require "helpers.sim", require "wsman"
      local s = { url = os.getenv("SIM_URL") }
      local group, keep, good, first = WSMan.tasks { limit = 80 }, {}, 0, nil
      for i = 1, 80 do
        group:spawn(function()
          keep[i] = sim.session(s)
          return keep[i]:Identify()
        end)
      end
      for _, ok, v in group:results() do
        if ok then good = good + 1 else first = first or tostring(v) end
      end
      print(("good=%d"):format(good))
      print(first)
    ]]
    local proc = require "helpers.proc"
    local out, code = proc.sh(("cd %s && ulimit -n 48 && BUILD=%s SIM_URL=%s lua5.4 -e %s"):format(
      proc.quote(proc.root), proc.quote(proc.build), proc.quote(sims[1].url), proc.quote(script)))
    assert.equals(0, code, out)
    local good = tonumber(out:match("good=(%d+)"))
    assert(good and good > 0 and good < 80, out)
    assert.matches("too many open files", out, 1, true)
    assert.matches(sims[1].url:match("//([^/]+)/"), out, 1, true)
    assert.matches("ulimit -n", out, 1, true)
    assert.matches("ERROR_WINHTTP_OUT_OF_HANDLES", out, 1, true)
  end)

  it("outside a task every call blocks as before", function()
    assert.is_string(sim.session(sims[2]):Identify())
  end)
end)

-- The same workload with the connection mechanisms: their handshakes interleave across sessions.
-- ntlm+https: NTLM over HTTPS with strict channel binding, every host with its own certificate.
local MECH_TASKS = tonumber(os.getenv("WSMAN_TASKS_MECH_HOSTS")) or 50
for _, mode in ipairs { "ntlm", "kerberos", "cert", "ntlm+https" } do
  describe("WSMan.tasks with " .. mode, function()
    local fleet_sim, hosts, saved_mode, why = nil, {}, sim.auth_mode, nil

    setup(function()
      if mode == "kerberos" then
        local k, err = sim.kdc()
        if not k then why = err return end
      end
      local auth = mode:match("^%a+")
      sim.auth_mode = function() return auth end
      local args = { "--allow-unencrypted", "--data", data_dir(), "--max-shells-per-user", "1000" }
      if mode == "ntlm+https" then
        table.move({ "--tls", "--auth", "negotiate", "--cbt", "strict", "--require-authorization" }, 1, 6, #args + 1,
          args)
      end
      fleet_sim, hosts = fleet(MECH_TASKS, args)
      if mode == "kerberos" then -- the service principal of every host (HTTP/<its address>)
        local spns = {}
        for i, h in ipairs(hosts) do spns[i] = "HTTP/" .. h.url:match("//([^:/]+)") end
        sim.add_principal(table.unpack(spns))
      end
    end)

    teardown(function()
      if fleet_sim then fleet_sim:stop() end
      sim.auth_mode = saved_mode
    end)

    it(MECH_TASKS .. " hosts at once, same results as the blocking path", function()
      if why then return pending("no test KDC: " .. why) end
      local expected = same_but_name(workload(hosts[1]))
      local group = WSMan.tasks { limit = MECH_TASKS }
      for i = 1, MECH_TASKS do
        group:spawn(function() return workload(hosts[i]) end, i)
      end
      local n = 0
      for _, ok, value in group:results() do
        n = n + 1
        assert(ok, tostring(value))
        assert.same(expected, same_but_name(value))
      end
      assert.equals(MECH_TASKS, n)
    end)
  end)
end

-- The other mechanisms of the exchange, each inside a task, all in one group: a proxy, the retry
-- of an idempotent operation (and no resend of one that is not), the MaxEnvelopeSize back-off of
-- Pull, and a shell whose output streams while the command waits for stdin.
describe("WSMan.tasks with every other mechanism of the exchange", function()
  local s, control

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    control = sim.session(s)
  end)

  local function counter(tok)
    return tonumber(control:Get(sim.CONTROL):match(tok .. '"?>(%d+)<')) or 0
  end

  local function streamed_shell()
    local sh <close> = sim.session(s):shell {}
    local p <close> = sh:run("sh", { "-c", "printf 'first line\\n'; read reply; echo \"got $reply\"" })
    local chunks, early = {}, nil
    for stream, chunk in p:output() do
      if early == nil then
        early = { stream, chunk, p.done } -- the command is blocked on stdin: it cannot have ended
        p:write("yes\n")
      end
      chunks[#chunks + 1] = chunk
    end
    return { early = early, stdout = table.concat(chunks), code = p.exit_code }
  end

  it("runs proxied, retried, backed-off and streaming work concurrently", function()
    local tok_get, tok_put = "tget" .. os.time() .. math.random(1 << 20), "tput" .. os.time() .. math.random(1 << 20)
    local proxied_before = sim.stats(control).ProxiedRequests
    local group = WSMan.tasks { limit = 8 }
    group:spawn(function()
      local session = sim.session({ url = "http://wsman-target.invalid:5985/wsman" }, 0,
        function(o) o.proxy = s.url:match("^(http://[^/]+)") end)
      return session:Get("wmicimv2/Win32_Service?Name=Spooler"):match("<p:Name>(.-)</p:Name>")
    end, "proxy")
    group:spawn(function() return sim.session(s):Get(sim.FAULT .. "drop?token=" .. tok_get .. "+count=2") end, "retry")
    group:spawn(function()
      return sim.session(s):Put(sim.FAULT .. "drop?token=" .. tok_put .. "+count=1", "<p:X xmlns:p='urn:x'/>")
    end, "no-resend")
    group:spawn(function()
      local session = sim.session(s, 0, function(o) o.max_envelope_size = 8192 end)
      session.BatchItems = 100
      local n, e = 0, session:Enumerate(sim.CIMV2 .. "Win32_Service")
      while not e.AtEndOfStream do
        e:ReadItem()
        n = n + 1
      end
      return n
    end, "backoff")
    group:spawn(streamed_shell, "shell")
    local r = group:wait()
    assert.same({ ok = true, value = "Spooler" }, r.proxy)
    assert.equals(proxied_before + 1, sim.stats(control).ProxiedRequests)
    assert(r.retry.ok, tostring(r.retry.value))
    assert.equals(3, counter(tok_get))
    assert.is_false(r["no-resend"].ok)
    assert.equals("transient", r["no-resend"].value.retry)
    assert.equals(1, counter(tok_put))
    assert(r.backoff.ok, tostring(r.backoff.value))
    assert.is_true(r.backoff.value >= 20)
    assert(r.shell.ok, tostring(r.shell.value))
    assert.same({ "stdout", "first line\n", false }, r.shell.value.early)
    assert.equals("first line\ngot yes\n", r.shell.value.stdout)
    assert.equals(0, r.shell.value.code)
  end)
end)
