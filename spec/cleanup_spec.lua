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

  it("WSMan.flush checks its argument and returns 0 when nothing waits", function()
    assert.equals(0, WSMan.flush())
    assert.equals(0, WSMan.flush(0))
    assert.has_error(function() WSMan.flush(-1) end)
    assert.has_error(function() WSMan.flush("x") end)
  end)
end)
