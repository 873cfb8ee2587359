-- SPDX-License-Identifier: MIT
-- Sessions dropped with cleanup requests queued (an enumeration's Release, a shell's Delete): the
-- garbage collector does no network I/O, so the Lua state's reaper sends them at the next
-- operation of any session, from WSMan.flush(), and at the latest when the Lua state closes.
-- The simulator's Stats count what is still open.
local WSMan = require "wsman"
local sim = require "helpers.sim"
local proc = require "helpers.proc"

local SERVICES = "wmicimv2/Win32_Service"

describe("dropped sessions leave nothing open", function()
  local s, control

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    control = sim.session(s)
    WSMan.flush()
  end)

  -- Opens n enumerations, each on its own session, reads one item of each and drops them all.
  local function drop_enumerations(n)
    for _ = 1, n do
      local session = sim.session(s)
      session.BatchItems = 1
      local en = session:Enumerate(SERVICES)
      assert.is_string(en:ReadItem())
    end
  end

  it("200 enumerations and 20 shells on dropped sessions: 0 open after WSMan.flush()", function()
    local before = sim.stats(control)
    drop_enumerations(200)
    for _ = 1, 20 do
      local session = sim.session(s)
      local sh = session:shell()
      assert.is_true(sh.open)
    end
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equals(0, WSMan.flush())
    local after = sim.stats(control)
    assert.equals(0, after.OpenEnumerations)
    assert.equals(0, after.OpenShells)
    assert.is_true(after.Requests - before.Requests >= 2 * 200 + 2 * 20, "Releases and Deletes were sent")
  end)

  it("the next operation of any session sends what dropped sessions left", function()
    local sessions = {}
    for i = 1, 10 do
      sessions[i] = sim.session(s)
      sessions[i].BatchItems = 1
      assert.is_string(sessions[i]:Enumerate(SERVICES):ReadItem())
    end
    assert.equals(10, sim.stats(control).OpenEnumerations)
    sessions = nil -- luacheck: ignore 311
    collectgarbage("collect")
    collectgarbage("collect")
    -- the Stats request is that next operation: the Releases go out before it
    assert.equals(0, sim.stats(control).OpenEnumerations)
  end)

  it("a Lua state that ends normally sends them before it closes", function()
    local script = [[
      package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
      package.cpath = os.getenv("BUILD") .. "/?.so;" .. package.cpath
      local sim = require "helpers.sim"
      local s = { url = os.getenv("SIM_URL") }
      for _ = 1, 10 do
        local session = sim.session(s)
        session.BatchItems = 1
        assert(session:Enumerate("wmicimv2/Win32_Service"):ReadItem())
        local sh = session:shell()
        assert(sh.open)
      end
      print("dropped")
    ]]
    local out, code = proc.sh(("cd %s && BUILD=%s SIM_URL=%s lua5.4 -e %s"):format(proc.quote(proc.root),
      proc.quote(proc.build), proc.quote(s.url), proc.quote(script)))
    assert.equals(0, code, out)
    assert.matches("dropped", out)
    local st = sim.stats(control)
    assert.equals(0, st.OpenEnumerations)
    assert.equals(0, st.OpenShells)
  end)

  -- Opens a shell running a long command on its own session and drops all three: a Signal
  -- terminate and a Delete wait in the queue.
  local function drop_running_shell()
    local session = sim.session(s)
    session:shell():run("sleep 30")
  end

  it("a task cancelled while its operation sends what dropped sessions left keeps it queued", function()
    WSMan.flush()
    drop_running_shell()
    drop_running_shell()
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equals(2, WSMan.flush(0))
    local group = WSMan.tasks { limit = 2 }
    -- its Identify first sends the first dropped session's Signal: the canceller, started next,
    -- cancels the task while that Signal is in flight
    group:spawn(function() return sim.session(s):Identify() end, "victim")
    group:spawn(function() return group:cancel("victim") end, "canceller")
    local r = group:wait()
    assert.is_true(r.canceller.value)
    assert.is_false(r.victim.ok)
    assert.matches("cancel", tostring(r.victim.value))
    assert.equals(2, WSMan.flush(0), "both dropped sessions still wait, the interrupted one first")
    assert.equals(0, WSMan.flush())
    assert.equals(0, sim.stats(control).OpenShells)
  end)

  it("a task cancelled while its session sends its own queue hands the rest to WSMan.flush", function()
    WSMan.flush()
    local group = WSMan.tasks { limit = 2 }
    local sending = false
    group:spawn(function()
      local session = sim.session(s)
      do
        local sh = session:shell()
        sh:run("sleep 30")
      end
      collectgarbage("collect")
      collectgarbage("collect")
      sending = true
      -- the Signal and the Delete the collection queued go out first
      return session:Identify()
    end, "victim")
    group:spawn(function()
      while not sending do coroutine.yield() end
      return group:cancel("victim")
    end, "canceller")
    local r = group:wait()
    assert.is_true(r.canceller.value)
    assert.is_false(r.victim.ok)
    r = nil -- luacheck: ignore 311
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equals(1, WSMan.flush(0), "the dropped session kept its Signal and Delete")
    assert.equals(0, WSMan.flush())
    assert.equals(0, sim.stats(control).OpenShells)
  end)

  -- Runs op(session) in a task that another task cancels while op's first request is in flight,
  -- on a session whose connection is open already (the request reaches the host at once).
  local function cancel_during(op)
    WSMan.flush()
    local session = sim.session(s)
    session:Identify()
    local group = WSMan.tasks { limit = 2 }
    group:spawn(function()
      local mine = session
      session = nil
      return op(mine) ~= nil
    end, "victim")
    group:spawn(function() return group:cancel("victim") end, "canceller")
    local r = group:wait()
    assert.is_true(r.canceller.value)
    assert.is_false(r.victim.ok)
    assert.matches("cancel", tostring(r.victim.value))
    r = nil -- luacheck: ignore 311
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equals(0, WSMan.flush())
    return sim.stats(control)
  end

  it("a task cancelled during Enumerate: the context the host opened is released", function()
    local st = cancel_during(function(session) return session:Enumerate(SERVICES) end)
    assert.equals(0, st.OpenEnumerations)
  end)

  it("a task cancelled during a shell Create: the shell the host opened is deleted", function()
    local st = cancel_during(function(session) return session:shell() end)
    assert.equals(0, st.OpenShells)
  end)

  it("a flush whose budget ends part-way through a session keeps the rest for the next", function()
    -- every reply of this host comes 100 ms late: three Releases cannot fit in 150 ms
    local slow = sim.start({ "--hosts", "1", "--port", "0", "--latency", "100", "--allow-unencrypted" },
      { fresh = true })
    local host = { url = slow.host_1 }
    local ctl = sim.session(host)
    WSMan.flush()
    do
      local session = sim.session(host)
      session.BatchItems = 1
      for _ = 1, 3 do assert.is_string(session:Enumerate(SERVICES):ReadItem()) end
    end
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equals(1, WSMan.flush(150), "the dropped session still waits with what is left")
    assert.equals(0, WSMan.flush())
    assert.equals(0, sim.stats(ctl).OpenEnumerations)
    slow:stop()
  end)

  it("WSMan.flush checks its argument and returns 0 when nothing waits", function()
    assert.equals(0, WSMan.flush())
    assert.equals(0, WSMan.flush(0))
    assert.has_error(function() WSMan.flush(-1) end)
    assert.has_error(function() WSMan.flush("x") end)
  end)
end)
