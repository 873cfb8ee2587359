-- SPDX-License-Identifier: MIT
-- Connection caches: sessions to different hosts share libcurl's connection cache (a group), a
-- session never uses another session's connection, and the connection of a session that ended
-- is never handed to a later one. Over real sockets, counted by the simulator.
local WSMan = require "wsman"
local sim = require "helpers.sim"

local HOSTS = 40 -- more than a group holds, so that several groups are made

-- Basic over HTTP whatever WSMAN_SPEC_AUTH says: fleet hosts have no Kerberos names, and what is
-- counted here is connections, not mechanisms.
local function session(host)
  local wsman = WSMan.new()
  local o = wsman:CreateConnectionOptions()
  o.UserName, o.Password = sim.user, sim.password
  return wsman:CreateSession(host.url, WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword
    | WSMan.SessionFlagNoEncryption, o)
end

local function fleet(n)
  local s = sim.start({ "--hosts", tostring(n), "--port", "0", "--allow-unencrypted" }, { fresh = true })
  local hosts = {}
  for i = 1, n do hosts[i] = { url = assert(s["host_" .. i], "no host " .. i), ca_file = s.ca_file } end
  return s, hosts
end

describe("connection caches", function()
  it("sessions to " .. HOSTS .. " hosts each keep one connection of their own", function()
    local s, hosts = fleet(HOSTS)
    local sessions = {}
    for i = 1, HOSTS do sessions[i] = session(hosts[i]) end
    for round = 1, 3 do
      for i = 1, HOSTS do
        local id = sessions[i]:Identify()
        assert.is_truthy(id:find("IdentifyResponse", 1, true), "round " .. round .. " host " .. i)
      end
    end
    -- interleaved requests to every host: one connection per session, whatever the order
    assert.equals(HOSTS, sim.stats(sessions[1]).FleetConnections)
    s:stop()
  end)

  it("sessions to one host, each in a group with sessions to other hosts, never share a connection", function()
    local s, hosts = fleet(2)
    local sessions = {}
    for i = 1, 10 do sessions[i] = session(hosts[(i - 1) % 2 + 1]) end -- 5 to each host
    for _ = 1, 3 do
      for _, one in ipairs(sessions) do one:Identify() end
    end
    assert.equals(10, sim.stats(sessions[1]).FleetConnections)
    s:stop()
  end)

  it("two sessions to one host never share a connection", function()
    local s = sim.start({ "--allow-unencrypted" }, { fresh = true })
    local a, b = session(s), session(s)
    for _ = 1, 3 do
      a:Identify()
      b:Identify()
    end
    local st = sim.stats(a)
    assert.equals(2, st.Connections)
    assert.equals(2, st.ActiveConnections)
    s:stop()
  end)

  it("a session that ended leaves no connection for the next session to the same host", function()
    local s, hosts = fleet(2)
    local other = session(hosts[2]) -- a member of the same group that stays
    other:Identify()
    do
      local first <close> = session(hosts[1])
      first:Identify()
    end
    local second = session(hosts[1])
    second:Identify()
    local st = sim.stats(other)
    -- the first session's connection was shut down when it ended: the second opened its own
    assert.equals(3, st.FleetConnections)
    s:stop()
  end)

  it("sessions in many groups end in any order and their tasks still run", function()
    local s, hosts = fleet(HOSTS)
    local group = WSMan.tasks { limit = HOSTS }
    for i = 1, HOSTS do
      group:spawn(function()
        local one <close> = session(hosts[i])
        return one:Identify() ~= nil
      end, i)
    end
    local ok_count = 0
    for _, ok, v in group:results() do
      assert.is_true(ok, tostring(v))
      ok_count = ok_count + 1
    end
    assert.equals(HOSTS, ok_count)
    collectgarbage("collect")
    local again = session(hosts[1])
    again:Identify()
    s:stop()
  end)
end)
