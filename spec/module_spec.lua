-- SPDX-License-Identifier: MIT
-- The self-contained module: with nothing but a copy of the build output (no lua/ directory,
-- no source tree), `require "wsman"` and every Lua layer work, the README's quick start runs as
-- written, and the embedding host runs a script. Everything runs as subprocesses in a
-- temporary directory against the simulator.
local sim = require "helpers.sim"

local proc = require "helpers.proc"

local shell_quote, root, build, sh = proc.quote, proc.root, proc.build, proc.sh

-- Runs a shell command line in dir with a fresh user's environment: no Lua paths, no WSMAN_*.
local function run_in(dir, line)
  return sh("cd " .. shell_quote(dir) .. " && env -u LUA_PATH -u LUA_PATH_5_4 -u LUA_CPATH -u LUA_CPATH_5_4"
    .. " -u WSMAN_ENDPOINT -u WSMAN_USER -u WSMAN_PASSWORD -u WSMAN_AUTH -u WSMAN_BUILD_DIR"
    .. " -u WSMAN_SOURCE_ROOT sh -c " .. shell_quote(line))
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function read(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("a")
  f:close()
  return text
end

-- The fenced blocks of the README section `heading`: { {lang = "sh", text = "..."}, ... }.
local function readme_blocks(heading)
  local readme = read(root .. "/README.md")
  local start = assert(readme:find("\n## " .. heading .. "\n", 1, true), "README has no section " .. heading)
  local stop = readme:find("\n## ", start + 1, true) or #readme
  local blocks = {}
  for lang, text in readme:sub(start, stop):gmatch("\n```(%w*)\n(.-)\n```") do
    blocks[#blocks + 1] = { lang = lang, text = text }
  end
  return blocks
end

-- The Lua modules the source tree has (lua/wsman/*.lua), as module names.
local function lua_modules()
  local out = assert(sh("ls " .. shell_quote(root .. "/lua/wsman")))
  local mods = {}
  for file in out:gmatch("[^\n]+") do
    local name = file:match("^(.+)%.lua$")
    if name then mods[#mods + 1] = name == "init" and "wsman" or "wsman." .. name end
  end
  table.sort(mods)
  return mods
end

describe("the module from a copy of the build output only", function()
  local dir, s

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    dir = assert(sh("mktemp -d")):gsub("%s+$", "")
    local _, code = sh("mkdir -p " .. shell_quote(dir .. "/build") .. " && cp " .. shell_quote(build .. "/wsman.so")
      .. " " .. shell_quote(build .. "/wsman-embed") .. " " .. shell_quote(dir .. "/build/")
      .. " && cp -R " .. shell_quote(root .. "/examples") .. " " .. shell_quote(dir .. "/"))
    assert(code == 0, "cannot copy the build output to " .. dir)
  end)

  teardown(function()
    if dir and dir:match("^/tmp/") then sh("rm -rf " .. shell_quote(dir)) end
  end)

  it("has no lua/ directory to fall back on", function()
    local _, code = sh("test -e " .. shell_quote(dir .. "/lua"))
    assert.are_not.equal(0, code)
  end)

  it("requires every module of lua/wsman/ from wsman.so alone, in any order", function()
    for _, first in ipairs(lua_modules()) do
      local out, code = run_in(dir, "LUA_CPATH='./build/?.so' lua5.4 -e " .. shell_quote(
        "local m = require '" .. first .. "'; assert(type(m) == 'table');"
        .. "assert(package.searchpath('wsman', package.cpath)); print('ok')"))
      assert(code == 0 and out:match("ok\n$"), first .. ": " .. out)
    end
  end)

  it("gives the Lua layers and the C objects from one require", function()
    local script = [[
      local WSMan = require "wsman"
      assert(WSMan == require "wsman.core", "the facade extends the core table")
      for _, k in ipairs { "decode", "encode", "null", "class", "epr", "new", "clixml" } do
        assert(WSMan[k] ~= nil, "WSMan." .. k)
      end
      local session = WSMan.new():CreateSession("http://127.0.0.1:1/wsman")
      for _, k in ipairs { "get", "put", "create", "delete", "invoke", "enumerate", "run_cmd", "run_ps", "Get" } do
        assert(type(session[k]) == "function", "session:" .. k)
      end
      local t = WSMan.decode("<p:X xmlns:p='urn:x'><p:Name>a</p:Name></p:X>")
      print(t.Name)
    ]]
    write(dir .. "/layers.lua", script)
    local out, code = run_in(dir, "LUA_CPATH='./build/?.so' lua5.4 layers.lua")
    assert(code == 0, out)
    assert.equals("a\n", out)
  end)

  it("names the method meant, Lua-written ones included", function()
    local out = run_in(dir, "LUA_CPATH='./build/?.so' lua5.4 -e " .. shell_quote(
      "local W = require 'wsman'; local s = W.new():CreateSession('http://127.0.0.1:1/wsman');"
      .. "print(select(2, pcall(function() return s.run_cmdd end)));"
      .. "print(select(2, pcall(function() return W.decod end)))"))
    assert.matches("Session has no member 'run_cmdd'; did you mean 'run_cmd'%?", out)
    assert.matches("wsman has no member 'decod'; did you mean 'decode'%?", out)
  end)

  it("runs the README quick start as written", function()
    local blocks = readme_blocks("Quick start")
    local ran = 0
    for _, b in ipairs(blocks) do
      if b.lang == "sh" then
        for line in b.text:gmatch("[^\n]+") do
          if line:match("^LUA_CPATH=") then
            line = line:gsub("http://127%.0%.0%.1:40393/wsman", s.url)
            local out, code = run_in(dir, line)
            assert(code == 0, line .. "\n" .. out)
            if line:match("_VERSION") then
              assert.matches("^%d+%.%d+%.%d+\n$", out)
            else
              assert.matches("Winmgmt", out)
            end
            ran = ran + 1
          end
        end
      elseif b.lang == "lua" then
        write(dir .. "/quickstart.lua", (b.text:gsub("http://127%.0%.0%.1:40393/wsman", s.url)))
        local out, code = run_in(dir, "LUA_CPATH=\"$PWD/build/?.so;;\" lua5.4 quickstart.lua")
        assert(code == 0, out)
        assert.matches("<p:Name>Spooler</p:Name>", out)
        ran = ran + 1
      end
    end
    assert.is_true(ran >= 3, "the quick start has its commands and its Lua example")
  end)

  it("runs a script in the embedding host with the source tree out of reach", function()
    local out, code = run_in(dir, "./build/wsman-embed examples/get_local.lua " .. shell_quote(s.url) .. " "
      .. shell_quote(sim.user) .. " " .. shell_quote(sim.password))
    assert(code == 0, out)
    assert.matches("<p:Name>Winmgmt</p:Name>", out)
    local embed = read(dir .. "/build/wsman-embed")
    assert.is_nil(embed:find(root .. "/lua", 1, true), "wsman-embed refers to the source tree's lua/")
  end)
end)
