-- SPDX-License-Identifier: MIT
-- Errors that say what happened: over-long credentials and connection strings, proxies that cannot
-- be reached or refuse their credentials, malformed IPv6 literals, bad options to WSMan.decode, and
-- a host whose EnumerationContext grows until a Pull would not fit the session's MaxEnvelopeSize.
local WSMan = require "wsman"
local sim = require "helpers.sim"

local err_of = sim.err_of
local TARGET = "http://wsman-target.invalid:5985/wsman"

describe("error messages", function()
  local s

  setup(function()
    s = sim.start { "--allow-unencrypted" }
  end)

  it("a 1 MB user name or password is 'too long', naming the field and the limit", function()
    for field, label in pairs { UserName = "the user name", Password = "the password" } do
      local e = err_of(sim.session, s, 0, function(o) o[field] = string.rep("x", 1 << 20) end)
      assert.matches(label .. " (ConnectionOptions." .. field .. ") is too long: 1048576 bytes", e.message, 1, true)
      assert.matches("where the limit is %d+ bytes", e.message)
      assert.equals(0x80070057, e.code)
      assert.is_true(#tostring(e) < 1024)
    end
  end)

  it("a 1 MiB host name gives a short message, at CreateSession", function()
    local w = WSMan.new()
    local e = err_of(w.CreateSession, w, "http://" .. string.rep("h", 1 << 20) .. ":5985/wsman")
    assert.matches("is too long: 1048594 bytes, where the limit is 2048", e.message, 1, true)
    assert.is_true(#tostring(e) < 1024, "the message is " .. #tostring(e) .. " bytes")
  end)

  it("any error quoting a megabyte-long value keeps its start and end only", function()
    local session = sim.session(s)
    local resource = "wmicimv2/Win32_Service?" .. string.rep("a", 1 << 20) .. "=x+tail"
    local e = err_of(session.Get, session, resource)
    assert.is_true(#e.message < 5000, "the message is " .. #e.message .. " bytes")
    assert.matches("bytes left out", e.message, 1, true)
    assert.matches("^The resource \"wmicimv2/Win32_Service%?aaa", e.message)
    assert.is_true(#tostring(e) < 5200)
  end)

  it("a malformed IPv6 literal fails at CreateSession like other malformed strings", function()
    local w = WSMan.new()
    for _, c in ipairs { "http://[::::]:5985/wsman", "http://[1:2:3:4:5:6:7:8:9]/wsman", "[::1::2]" } do
      local e = err_of(w.CreateSession, w, c)
      assert.equals(0x803380D9, e.code) -- ERROR_WSMAN_CONNECTIONSTR_INVALID
      assert.matches("is not an IPv6 address", e.message, 1, true)
    end
    assert.equals("Session (http://[::1]:5985/wsman)", tostring(w:CreateSession("[::1]")))
    assert.equals("Session (http://[fe80::1%25]:5985/wsman)", tostring(w:CreateSession("[fe80::1%25]")))
  end)

  it("an unreachable proxy is named, not the target", function()
    local port = sim.closed_port()
    local session = sim.session({ url = TARGET }, 0, function(o) o.proxy = "http://127.0.0.1:" .. port end)
    local e = err_of(session.Identify, session)
    assert.equals(0x80072EFD, e.code) -- ERROR_WINHTTP_CANNOT_CONNECT
    assert.matches("Cannot connect to the proxy 127.0.0.1:" .. port .. " on the way to wsman-target.invalid:5985",
      e.message, 1, true)
  end)

  it("a proxy that answers 407 refused the proxy credentials; with them the request goes through", function()
    local p = sim.start { "--allow-unencrypted", "--proxy-auth", "proxyuser:proxypass" }
    local proxy = p.url:match("^(http://[^/]+)")
    local session = sim.session({ url = TARGET }, 0, function(o) o.proxy = proxy end)
    local e = err_of(session.Identify, session)
    assert.equals(407, e.http_status)
    assert.equals(0x80070005, e.code)
    assert.matches("The proxy " .. proxy:gsub("^http://", "") .. " refused the credentials", e.message, 1, true)
    assert.matches("SetProxy", e.message, 1, true)
    assert.not_matches("listener", e.message, 1, true)
    local ok = sim.session({ url = TARGET }, 0, function(o)
      o.proxy = proxy
      o:SetProxy(WSMan.ProxyWinHttpConfig, WSMan.ProxyAuthenticationUseBasic, "proxyuser", "proxypass")
    end)
    assert.matches("IdentifyResponse", ok:Identify())
  end)

  it("WSMan.decode raises for options that are not a table", function()
    for _, bad in ipairs { "x", 42, true } do
      local e = err_of(WSMan.decode, "<a/>", bad)
      assert.matches("options must be a table", tostring(e), 1, true)
    end
    assert.is_table(WSMan.decode("<a/>", nil))
  end)
end)

describe("a host whose EnumerationContext keeps growing", function()
  it("ends with a clear error before a Pull larger than MaxEnvelopeSize is sent", function()
    local s = sim.start { "--allow-unencrypted", "--grow-enum-context", "20000" }
    local session = sim.session(s)
    session.BatchItems = 1
    local en = session:Enumerate("wmicimv2/Win32_Service")
    local before = sim.stats(session).Requests
    local n, e = 0
    while true do
      local ok, item = pcall(en.ReadItem, en)
      if not ok then e = item break end
      n = n + 1
      assert.is_true(n < 100, "the enumeration never failed")
    end
    assert.equals(0x80338047, e.code) -- ERROR_WSMAN_MAX_ENVELOPE_SIZE
    assert.equals("Pull", e.operation)
    assert.matches("The Pull request would be %d+ bytes, more than the MaxEnvelopeSize of 153600 bytes", e.message)
    -- every Pull sent grew the context by 20,000 bytes: the last one sent was still under the limit
    local pulls = sim.stats(session).Requests - before - 1
    assert.is_true(pulls >= 6 and pulls <= 8, "Pulls sent: " .. pulls)
  end)
end)
