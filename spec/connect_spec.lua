-- SPDX-License-Identifier: MIT
-- WSMan.connect: a session from a URL and a table of settings in one call, against the
-- simulator over real sockets.
local sim = require "helpers.sim"
local WSMan = require "wsman"

describe("WSMan.connect", function()
  local basic, negotiate

  setup(function()
    basic = sim.start { "--allow-unencrypted", "--auth", "basic" }
    negotiate = sim.start { "--auth", "negotiate,basic" }
  end)

  it("connects with Basic over plain HTTP and runs a command (pywinrm's two lines)", function()
    local s = WSMan.connect(basic.url, { user = sim.user, password = sim.password, auth = "basic",
      unencrypted = true })
    local out, err, code = s:run_cmd("echo", { "hello" })
    assert.equals("hello\n", out)
    assert.equals("", err)
    assert.equals(0, code)
  end)

  it("takes auth = \"ntlm\" as Negotiate (encrypted over HTTP)", function()
    local s = WSMan.connect(negotiate.url, { user = sim.user, password = sim.password, auth = "ntlm" })
    local t = WSMan.decode(s:Get("wmicimv2/Win32_Service?Name=Spooler"))
    assert.equals("Spooler", t.Name)
  end)

  it("uses Negotiate when auth is not given", function()
    local s = WSMan.connect(negotiate.url, { user = sim.user, password = sim.password })
    assert.matches("IdentifyResponse", s:Identify())
  end)

  it("a wrong password fails with the host's access denied error", function()
    local s = WSMan.connect(basic.url, { user = sim.user, password = "wrong", auth = "basic", unencrypted = true })
    local ok, e = pcall(s.Identify, s)
    assert.is_false(ok)
    assert.equals("table", type(e))
    assert.equals(0x80070005, e.code)
  end)

  it("sets the session's timeout in seconds", function()
    local s = WSMan.connect(basic.url, { user = sim.user, password = sim.password, auth = "basic",
      unencrypted = true, timeout = 2.5 })
    assert.equals(2500, s.Timeout)
  end)

  it("passes ConnectionOptions settings: a CA file for HTTPS", function()
    local tls = sim.start { "--tls", "--auth", "basic" }
    local s = WSMan.connect(tls.url, { user = sim.user, password = sim.password, auth = "basic",
      ca_file = tls.ca_file })
    assert.matches("IdentifyResponse", s:Identify())
    local bad = WSMan.connect(tls.url, { user = sim.user, password = sim.password, auth = "basic" })
    assert.is_false((pcall(bad.Identify, bad)))
  end)

  it("names the valid settings and auth values when one is wrong", function()
    local ok, e = pcall(WSMan.connect, basic.url, { usr = "x" })
    assert.is_false(ok)
    assert.matches("unknown setting 'usr'; valid settings: .*user", e)
    ok, e = pcall(WSMan.connect, basic.url, { user = "x", auth = "kerbros" })
    assert.is_false(ok)
    assert.matches("auth must be one of basic, certificate, credssp, digest, kerberos, negotiate, none, ntlm", e)
    ok, e = pcall(WSMan.connect, basic.url, { auth = "basic" })
    assert.is_false(ok)
    assert.matches("needs a user and a password", e)
    ok, e = pcall(WSMan.connect, basic.url, { unencrypted = "yes" })
    assert.is_false(ok)
    assert.matches("unencrypted must be a boolean", e)
    ok, e = pcall(WSMan.connect, basic.url, { timeout = 0 })
    assert.is_false(ok)
    assert.matches("timeout must be a positive number of seconds", e)
    ok, e = pcall(WSMan.connect, 42)
    assert.is_false(ok)
    assert.matches("the URL must be a string", e)
  end)

  it("reports an invalid URL as CreateSession does", function()
    local ok, e = pcall(WSMan.connect, "http://[::1/wsman", { user = "u", password = "p" })
    assert.is_false(ok)
    assert.equals("table", type(e))
    assert.is_number(e.code)
  end)
end)
