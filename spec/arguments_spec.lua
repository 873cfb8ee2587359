-- SPDX-License-Identifier: MIT
-- Caller strings that cannot go into a request as they are: embedded NUL bytes (a C string would
-- end there), and arguments checked before anything is allocated (a bad argument leaks nothing).
local WSMan = require "wsman"
local sim = require "helpers.sim"

local err_of = sim.err_of

-- The message of an error (a string or an error object).
local function text(e)
  return type(e) == "table" and tostring(e.message) or tostring(e)
end

local session, wsman

setup(function()
  session, wsman = sim.session(sim.start { "--allow-unencrypted" })
end)

describe("embedded NUL bytes", function()

  local function requests()
    return sim.stats(session).Requests
  end

  it("a selector value, a selector name, an option, a fragment path raise instead of truncating", function()
    local l = wsman:CreateResourceLocator("wmicimv2/Win32_Service")
    local cases = {
      { "AddSelector: the selector value", function() l:AddSelector("Name", "Spooler\0X") end },
      { "AddSelector: the selector name", function() l:AddSelector("Na\0me", "Spooler") end },
      { "AddOption: the option value", function() l:AddOption("opt", "a\0b") end },
      { "AddOption: the option name", function() l:AddOption("o\0pt", "ab") end },
      { "ResourceLocator.FragmentPath", function() l.FragmentPath = "Name\0" end },
      { "ResourceLocator.FragmentDialect", function() l.FragmentDialect = "x\0" end },
      { "ResourceLocator.ResourceURI", function() l.ResourceURI = "wmicimv2/Win32_Service\0x" end },
    }
    for _, c in ipairs(cases) do
      local e = text(err_of(c[2]))
      assert.matches(c[1], e, 1, true)
      assert.matches("contains a NUL byte at offset", e, 1, true)
    end
    assert.matches("offset 7", text(err_of(l.AddSelector, l, "Name", "Spooler\0X")), 1, true)
  end)

  it("a resource URI, an action, an XML body or a filter raise before anything is sent", function()
    local before = requests()
    local svc = "wmicimv2/Win32_Service?Name=Spooler\0X"
    for _, call in ipairs {
      function() return session:Get(svc) end,
      function() return session:Delete(svc) end,
      function() return session:Put("wmicimv2/Win32_WMISetting", "<p:x/>\0junk") end,
      function() return session:Invoke("StartService\0", "wmicimv2/Win32_Service?Name=Spooler", "<x/>") end,
      function() return session:Enumerate("wmicimv2/Win32_Service", "select * from Win32_Service\0") end,
    } do
      assert.matches("NUL byte at offset", text(err_of(call)), 1, true)
    end
    assert.equals(before + 1, requests()) -- only the Stats Get of `requests` itself
  end)

  it("a user name, a password, a host, a proxy raise at the assignment or at CreateSession", function()
    local o = wsman:CreateConnectionOptions()
    assert.matches("ConnectionOptions.Password contains a NUL byte at offset 9",
      text(err_of(function() o.Password = "Passw0rd!\0junk" end)), 1, true)
    assert.matches("ConnectionOptions.UserName contains a NUL byte",
      text(err_of(function() o.UserName = "test\0user" end)), 1, true)
    assert.matches("ConnectionOptions.proxy contains a NUL byte",
      text(err_of(function() o.proxy = "http://p\0:3128" end)), 1, true)
    assert.matches("NUL byte at offset 1", text(err_of(wsman.CreateSession, wsman, "h\0x")), 1, true)
    assert.matches("NUL byte", text(err_of(o.SetProxy, o, WSMan.ProxyWinHttpConfig, 0, "u\0", "p")), 1, true)
    assert.matches("NUL byte", text(err_of(wsman.CreateResourceLocator, wsman, "wmicimv2/X\0")), 1, true)
  end)

  it("a PowerShell type name raises; values keep their NUL bytes", function()
    assert.matches("NUL byte at offset 6", text(err_of(WSMan.ps_value, "String\0x", "a")), 1, true)
    -- values and hashtable keys are counted strings: a NUL is kept (CLIXML escapes it)
    assert.matches("<S>a_x0000_b</S>", WSMan.clixml_encode("a\0b"), 1, true)
    assert.matches(">A_x0000_B</S>", WSMan.clixml_encode({ ["A\0B"] = 1 }), 1, true)
  end)

  it("shell options, commands, arguments and environment variables raise", function()
    assert.matches("option working_directory contains a NUL byte",
      text(err_of(session.shell, session, { working_directory = "C:\\\0" })), 1, true)
    assert.matches("environment variable A contains a NUL byte",
      text(err_of(session.shell, session, { environment = { A = "x\0" } })), 1, true)
    assert.matches("an environment variable name contains a NUL byte",
      text(err_of(session.shell, session, { environment = { ["A\0"] = "x" } })), 1, true)
    local sh <close> = session:shell()
    assert.matches("Shell:run: argument 2 contains a NUL byte at offset 1",
      text(err_of(sh.run, sh, "cmd", { "/c", "a\0b" })), 1, true)
    assert.matches("NUL byte", text(err_of(sh.run, sh, "cmd\0")), 1, true)
  end)
end)

describe("text XML 1.0 cannot carry", function()

  it("control characters and invalid UTF-8 are refused at the call, naming the argument and the offset", function()
    local l = wsman:CreateResourceLocator("wmicimv2/Win32_Service")
    local cases = {
      { "AddSelector: the selector value has the character U+0001 at byte offset 7",
        function() l:AddSelector("Name", "Spooler\1") end },
      { "AddOption: the option value is not valid UTF-8 at byte offset 3 (byte 0xE9)",
        function() l:AddOption("o", "caf\xE9") end },
      { "FragmentPath has the character U+001B at byte offset 0", function() l.FragmentPath = "\27[0m" end },
      { "ResourceURI is not valid UTF-8 at byte offset 9", function() l.ResourceURI = "wmicimv2/\xFF" end },
      { "The resource has the character U+0008 at byte offset 34",
        function() return session:Get("wmicimv2/Win32_Service?Name=Spoole\8") end },
      { "Enumerate: the filter has the character U+FFFF at byte offset 7",
        function() return session:Enumerate("wmicimv2/*", "select \u{FFFF} from Win32_Service",
          "http://schemas.microsoft.com/wbem/wsman/1/WQL") end },
      { "Invoke: the action has the character U+0002 at byte offset 5",
        function() return session:Invoke("Start\2", "wmicimv2/Win32_Service?Name=Spooler", "<x/>") end },
      { "CreateShell: the working directory is not valid UTF-8 at byte offset 3",
        function() return session:shell { working_directory = "C:\\\xC3" } end },
    }
    local before = sim.stats(session).Requests
    for _, c in ipairs(cases) do
      local e = err_of(c[2])
      assert.equals("table", type(e), tostring(e))
      assert.matches(c[1], e.message, 1, true)
      assert.equals(0x80070057, e.code)
    end
    assert.equals(before + 1, sim.stats(session).Requests) -- only the Stats Get itself
    local sh <close> = session:shell()
    local e = err_of(sh.run, sh, "cmd", { "/c", "echo \1" })
    assert.matches("Command: an argument has the character U+0001 at byte offset 5", e.message, 1, true)
  end)

  it("tab, line feed, carriage return and any valid UTF-8 pass", function()
    local l = wsman:CreateResourceLocator("wmicimv2/Win32_Service")
    l:AddSelector("Name", "caf\u{E9} \u{1F600}\t\r\n")
    local e = err_of(session.Get, session, l)
    assert.equals(500, e.http_status, tostring(e)) -- sent: the host answered no such instance
    assert.equals(0x80338000, e.code)
  end)
end)

describe("bad arguments allocate nothing", function()
  local env = require "testenv"

  -- Growth of the C heap over n failing calls of f (after a warm-up, with full collections so
  -- Lua's own garbage is not counted); nil when malloc keeps no count (sanitizer builds).
  local function growth(n, f)
    for _ = 1, 50 do pcall(f) end
    collectgarbage("collect"); collectgarbage("collect")
    local before = env.heap_in_use()
    if not before then return nil end
    for _ = 1, n do pcall(f) end
    collectgarbage("collect"); collectgarbage("collect")
    return env.heap_in_use() - before
  end

  -- 1,000 failing calls of each; a leak of one locator per call is over 100 KB.
  local uri = "wmicimv2/Win32_Service?Name=Spooler"
  local cases = {
    Get = function() return session:Get(uri, "x") end,
    Delete = function() return session:Delete(uri, {}) end,
    Put = function() return session:Put(uri, 42) end,
    Create = function() return session:Create(uri, "<x/>", "x") end,
    Invoke = function() return session:Invoke("StopService", uri, nil) end,
    Enumerate = function() return session:Enumerate(uri, "select", nil, "x") end,
    ["Get with a NUL"] = function() return session:Get(uri .. "\0") end,
  }
  for name, f in pairs(cases) do
    it(name .. " with a bad argument, 1,000 times, leaves the C heap as it was", function()
      local g = growth(1000, f)
      if not g then
        pending("malloc keeps no count under a sanitizer's allocator")
        return
      end
      assert.is_true(g < 16 * 1024, ("the C heap grew by %d bytes"):format(g))
    end)
  end
end)
