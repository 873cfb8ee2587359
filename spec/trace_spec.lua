-- SPDX-License-Identifier: MIT
-- Tracing of the SOAP exchanges (session.trace, WSMAN_TRACE, wsman -debug), over real sockets:
-- what an event holds, and that no credential ever appears in a trace, under Basic, NTLM (with
-- message encryption) and Kerberos (the test KDC).
local sim = require "helpers.sim"
local WSMan = require "wsman"
local trace = require "wsman.trace"

local GET = "wmicimv2/Win32_Service?Name=Spooler"
local root = sim.root
local build = os.getenv("WSMAN_BUILD_DIR") or "build"
if not build:match("^/") then build = root .. "/" .. build end

local function b64(s)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

local function session_for(s, flags, fields)
  local w = WSMan.new()
  local o = w:CreateConnectionOptions()
  for k, v in pairs(fields) do o[k] = v end
  if s.ca_file then o.ca_file = s.ca_file end
  return w:CreateSession(s.url, flags | WSMan.SessionFlagCredUsernamePassword, o)
end

-- Runs f(session) with a hook; returns the events and all of their text.
local function traced(ss, f)
  local events = {}
  ss.trace = function(ev) events[#events + 1] = ev end
  f(ss)
  ss.trace = nil
  local text = {}
  for _, ev in ipairs(events) do
    text[#text + 1] = trace.format(ev)
    for _, k in ipairs { "request_headers", "response_headers", "request_body", "response_body", "url" } do
      text[#text + 1] = ev[k] or ""
    end
  end
  return events, table.concat(text, "\n")
end

-- No password, no Basic credentials, no NTLM or Kerberos token in the text.
local function assert_clean(text, user, password)
  assert.not_matches(password, text, 1, true)
  assert.not_matches(b64(user .. ":" .. password), text, 1, true)
  assert.not_matches("TlRMTVNT", text, 1, true) -- "NTLMSSP" in base64: an NTLM message
  assert.not_matches("YII", text, 1, true)      -- an SPNEGO / Kerberos GSS token in base64
  for line in text:gmatch("[^\n]+") do
    local name, value = line:match("^[%s<>]*([%w-]+):%s*(.*)$")
    if name and (name:lower():find("authori[sz]ation") or name:lower():find("authenticate")) then
      assert.matches("^%S+ <redacted: %d+ bytes>\r?$", value)
    end
  end
end

describe("tracing", function()
  local s

  setup(function()
    s = sim.start { "--allow-unencrypted" }
  end)

  it("an event per exchange: label, URL, status, headers, the SOAP sent and received, bytes, ms", function()
    local ss = session_for(s, WSMan.SessionFlagUseBasic | WSMan.SessionFlagNoEncryption,
      { UserName = sim.user, Password = sim.password })
    local events, text = traced(ss, function(x) x:Get(GET) end)
    assert.equals(1, #events)
    local ev = events[1]
    assert.equals("Get", ev.label)
    assert.equals("POST", ev.method)
    assert.equals(s.url, ev.url)
    assert.equals(200, ev.status)
    assert.matches("Content%-Type: application/soap%+xml", ev.request_headers)
    assert.matches("HTTP/1.1 200", ev.response_headers)
    assert.matches("<wsman:ResourceURI", ev.request_body, 1, true)
    assert.matches("Spooler", ev.response_body, 1, true)
    assert.equals(#ev.request_body, ev.bytes_sent)
    assert.equals(#ev.response_body, ev.bytes_received)
    assert.is_true(ev.ms >= 0)
    assert_clean(text, sim.user, sim.password)
    assert.matches("Authorization: Basic <redacted", text, 1, true)
    -- a failed exchange says why
    local e
    events = traced(ss, function(x) e = sim.err_of(x.Get, x, "wmicimv2/Win32_Service?Name=NoSuchService") end)
    assert.equals(500, events[1].status)
    assert.matches("<s:Fault", events[1].response_body, 1, true)
    assert.truthy(e)
  end)

  it("the hook goes with session.trace = nil, and its errors do not break the exchange", function()
    local ss = session_for(s, WSMan.SessionFlagUseBasic | WSMan.SessionFlagNoEncryption,
      { UserName = sim.user, Password = sim.password })
    ss.trace = function() error("hook failure") end
    assert.matches("Spooler", ss:Get(GET))
    ss.trace = nil
    assert.is_nil(ss.trace)
    assert.has_error(function() ss.trace = 42 end)
  end)

  it("NTLM with message encryption: the legs by name, the SOAP decrypted, no token", function()
    local n = sim.start { "--auth", "negotiate" }
    local ss = session_for(n, WSMan.SessionFlagUseNegotiate, { UserName = sim.user, Password = sim.password })
    local events, text = traced(ss, function(x) x:Get(GET) end)
    local labels = {}
    for _, ev in ipairs(events) do labels[#labels + 1] = ev.label end
    assert.same({ "Negotiate leg 1", "Negotiate leg 2", "Get" }, labels)
    local get = events[#events]
    assert.matches("<s:Envelope", get.request_body, 1, true)
    assert.matches("Spooler", get.response_body, 1, true)
    assert.matches("multipart/encrypted", get.request_headers, 1, true)
    assert.is_true(get.bytes_sent > #get.request_body) -- encrypted on the wire
    assert_clean(text, sim.user, sim.password)
  end)

  it("Kerberos: no ticket or password in the trace", function()
    local k, why = sim.kdc()
    if not k then
      pending("no test KDC: " .. tostring(why))
      return
    end
    local ks = sim.start { "--auth", "negotiate,kerberos", "--keytab", (k.keytab:gsub("^FILE:", "")) }
    local ss = session_for(ks, WSMan.SessionFlagUseKerberos, { UserName = k.principal, Password = k.password })
    local events, text = traced(ss, function(x) x:Get(GET) end)
    assert.matches("^Kerberos leg 1$", events[1].label)
    assert.matches("Spooler", events[#events].response_body, 1, true)
    assert_clean(text, k.principal, k.password)
  end)

  describe("WSMAN_TRACE and wsman -debug", function()
    local out = os.tmpname()

    teardown(function()
      os.remove(out)
    end)

    local function run(cmd)
      local ok = os.execute(cmd)
      local f = assert(io.open(out, "rb"))
      local text = f:read("a")
      f:close()
      os.remove(out)
      return ok, text
    end

    local function q(x)
      return "'" .. tostring(x):gsub("'", "'\\''") .. "'"
    end

    local env = "env -u WSMAN_PASSWORD LUA_CPATH=" .. q(build .. "/?.so;;") .. " LUA_PATH="
      .. q(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;;")

    it("WSMAN_TRACE=/path traces every session of any program", function()
      local script = ([[
        local W = require "wsman"
        local o = W.new():CreateConnectionOptions()
        o.UserName, o.Password = %q, %q
        local s = W.new():CreateSession(%q, W.SessionFlagUseBasic | W.SessionFlagCredUsernamePassword
          | W.SessionFlagNoEncryption, o)
        s:Get(%q)]]):format(sim.user, sim.password, s.url, GET)
      local ok, text = run(env .. " WSMAN_TRACE=" .. q(out) .. " lua5.4 -e " .. q(script))
      assert.is_true(ok)
      assert.matches("== Get: POST " .. s.url:gsub("%p", "%%%0") .. " %-> HTTP 200", text)
      assert.matches("<p:Name>Spooler</p:Name>", text, 1, true)
      assert_clean(text, sim.user, sim.password)
    end)

    it("wsman -debug writes the exchanges to stderr, without the password", function()
      local ok, text = run(env .. " " .. q(root .. "/bin/wsman") .. " get " .. q(GET) .. " -r:" .. q(s.url)
        .. " -u:" .. q(sim.user) .. " -p:" .. q(sim.password) .. " -a:basic -unencrypted -debug"
        .. " -maxenvelopesize:65536 2>" .. q(out) .. " >/dev/null")
      assert.is_true(ok)
      assert.matches("== Get: POST", text, 1, true)
      assert.matches("<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">65536</wsman:MaxEnvelopeSize>", text, 1, true)
      assert_clean(text, sim.user, sim.password)
    end)
  end)
end)
