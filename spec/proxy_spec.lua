-- SPDX-License-Identifier: MIT
-- Proxies: ConnectionOptions.proxy, the environment's http_proxy, and SetProxy(ProxyNoProxyServer).
-- The simulator accepts absolute-form requests, so it serves as the HTTP proxy here and counts
-- them (Stats ProxiedRequests); the target host name does not resolve, so a success proves the
-- request went through the proxy.
local sim = require "helpers.sim"

local function proxied(session)
  return tonumber(session:Get(sim.CONTROL):match("<p:ProxiedRequests>(%d+)<"))
end

local TARGET = "http://wsman-target.invalid:5985/wsman"

describe("proxies", function()
  local s, direct

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    direct = sim.session(s)
  end)

  it("options.proxy sends every request through the proxy", function()
    local proxy = s.url:match("^(http://[^/]+)")
    local session = sim.session({ url = TARGET }, 0, function(o) o.proxy = proxy end)
    local before = proxied(direct)
    assert.matches("Spooler", session:Get("wmicimv2/Win32_Service?Name=Spooler"))
    assert.matches("Winmgmt", session:Get("wmicimv2/Win32_Service?Name=Winmgmt"))
    assert.equals(before + 2, proxied(direct))
  end)

  it("without a proxy the unresolvable target fails with Windows' name-not-resolved code", function()
    local session = sim.session({ url = TARGET })
    local ok, e = pcall(session.Get, session, "wmicimv2/Win32_Service?Name=Spooler")
    assert.is_false(ok)
    assert.equals(0x80072EE7, e.code)
    assert.matches("wsman%-target.invalid", e.message)
  end)

  local function run_with_env(env, code)
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(code)
    f:close()
    local build = os.getenv("WSMAN_BUILD_DIR") or "build"
    local cmd = string.format("env %s LUA_CPATH='%s/?.so;;' LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' lua5.4 %s 2>&1",
      env, build, script)
    local p = io.popen(cmd)
    local out = p:read("a")
    p:close()
    os.remove(script)
    return out
  end

  local CODE = [[
    local WSMan = require "wsman"
    local w = WSMan.new()
    local o = w:CreateConnectionOptions()
    o.UserName, o.Password = "testuser", "Passw0rd!"
    if os.getenv("NOPROXY") then o:SetProxy(o:ProxyNoProxyServer()) end
    local s = w:CreateSession("]] .. TARGET .. [[", WSMan.SessionFlagUseBasic | WSMan.SessionFlagCredUsernamePassword | WSMan.SessionFlagNoEncryption, o)
    local ok, r = pcall(s.Get, s, "wmicimv2/Win32_Service?Name=Spooler")
    print(ok and "OK" or ("ERR " .. string.format("0x%08X", r.code)))
  ]]

  it("honours the environment's http_proxy (WinHTTP/IE configuration)", function()
    local proxy = s.url:match("^(http://[^/]+)")
    local before = proxied(direct)
    assert.matches("^OK", run_with_env("http_proxy=" .. proxy, CODE))
    assert.equals(before + 1, proxied(direct))
  end)

  it("SetProxy(ProxyNoProxyServer) ignores the environment's proxy", function()
    local proxy = s.url:match("^(http://[^/]+)")
    local before = proxied(direct)
    assert.matches("^ERR 0x80072EE7", run_with_env("NOPROXY=1 http_proxy=" .. proxy, CODE))
    assert.equals(before, proxied(direct))
  end)
end)
