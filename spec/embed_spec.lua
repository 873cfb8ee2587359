-- SPDX-License-Identifier: MIT
-- Installable embedding: `meson install` into a temporary directory puts the headers, the core
-- and binding libraries, lua-wsman.pc, the module and the Lua layers in place; examples/embed
-- builds outside meson with `cc ... $(pkg-config --cflags --libs lua-wsman)` and runs a script
-- against the simulator; the installed module works from the installed paths.
local sim = require "helpers.sim"

local proc = require "helpers.proc"

local shell_quote, root, build, sh = proc.quote, proc.root, proc.build, proc.sh

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

describe("meson install and the pkg-config build of examples/embed", function()
  local dest, prefix, libdir, s

  -- The one file under the installed tree whose path ends with `tail`.
  local function installed(tail)
    local out = sh("find " .. shell_quote(dest) .. " -path " .. shell_quote("*" .. tail))
    local path = out:match("[^\n]+")
    assert(path, "not installed: " .. tail .. "\n" .. out)
    return path
  end

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    dest = assert(sh("mktemp -d")):gsub("%s+$", "")
    local out, code = sh("meson install -C " .. shell_quote(build) .. " --no-rebuild --quiet --destdir "
      .. shell_quote(dest))
    assert(code == 0, "meson install failed:\n" .. out)
    local pc = installed("/pkgconfig/lua-wsman.pc")
    libdir = pc:match("^(.*)/pkgconfig/lua%-wsman%.pc$")
    -- the files are under dest, not at the prefix they were built for: relocate lua-wsman.pc
    -- (pkg-config's --define-variable would move lua5.4's prefix too)
    local f = assert(io.open(pc))
    local text = f:read("a")
    f:close()
    prefix = dest .. assert(text:match("^prefix=([^\n]+)"), "lua-wsman.pc has no prefix line")
    f = assert(io.open(pc, "w"))
    f:write((text:gsub("^prefix=[^\n]+", function() return "prefix=" .. prefix end)))
    f:close()
  end)

  teardown(function()
    if dest and dest:match("^/tmp/") then sh("rm -rf " .. shell_quote(dest)) end
  end)

  local function pkg_config(args)
    local out, code = sh("PKG_CONFIG_PATH=" .. shell_quote(libdir .. "/pkgconfig") .. " pkg-config " .. args
      .. " lua-wsman")
    assert(code == 0, "pkg-config " .. args .. ": " .. out)
    return (out:gsub("%s+$", ""))
  end

  it("installs the header, the libraries (static and shared), the module and lua-wsman.pc", function()
    for _, tail in ipairs { "/include/wsman/wsman.h", "/include/wsman/lwsman.h", "/libwsman-core.a",
      "/libwsman-core.so", "/libwsman-lua.a", "/libwsman-lua.so", "/lua/5.4/wsman.so",
      "/lua/5.4/wsman/init.lua", "/pkgconfig/lua-wsman.pc" } do
      assert.truthy(exists(installed(tail)), tail)
    end
    local nm = sh("nm -D --defined-only " .. shell_quote(installed("/libwsman-lua.so")))
    assert.matches(" T luaopen_wsman\n", nm)
    assert.matches(" T luaopen_wsman_core\n", nm)
    assert.matches(" T lwsman_preload\n", nm)
  end)

  it("lua-wsman.pc gives the include directory, the libraries and the private dependencies", function()
    assert.matches("%-I" .. prefix:gsub("%p", "%%%0") .. "/include/wsman", pkg_config("--cflags"))
    local libs = pkg_config("--libs")
    assert.matches("%-lwsman%-lua", libs)
    assert.matches("%-llua5%.4", libs)
    local static = pkg_config("--static --libs")
    for _, lib in ipairs { "%-lwsman%-core", "%-lcurl", "%-lexpat", "%-lssl", "%-lcrypto" } do
      assert.matches(lib, static)
    end
  end)

  it("builds examples/embed with cc and pkg-config alone, and runs a script with it", function()
    local exe = dest .. "/wsman-embed"
    local out, code = sh("cc -std=c11 -Wall -Werror -o " .. shell_quote(exe) .. " "
      .. shell_quote(root .. "/examples/embed/embed.c") .. " " .. pkg_config("--cflags --libs"))
    assert(code == 0, "cc failed:\n" .. out)
    out, code = sh("cd " .. shell_quote(dest) .. " && LD_LIBRARY_PATH=" .. shell_quote(libdir) .. " "
      .. shell_quote(exe) .. " " .. shell_quote(root .. "/examples/get_local.lua") .. " " .. shell_quote(s.url)
      .. " " .. shell_quote(sim.user) .. " " .. shell_quote(sim.password))
    assert(code == 0, out)
    assert.matches("<p:Name>Winmgmt</p:Name>", out)
  end)

  it("the installed module and Lua layers load from their installed directories", function()
    local cmod = installed("/lua/5.4/wsman.so"):match("^(.*)/wsman%.so$")
    local lmod = installed("/lua/5.4/wsman/init.lua"):match("^(.*)/wsman/init%.lua$")
    local out, code = sh("cd / && LUA_CPATH=" .. shell_quote(cmod .. "/?.so") .. " LUA_PATH="
      .. shell_quote(lmod .. "/?.lua;" .. lmod .. "/?/init.lua") .. " lua5.4 -e "
      .. shell_quote("local W = require 'wsman'; assert(W.decode and W.new);"
        .. "print(package.searchpath('wsman', package.path)); print(package.searchpath('wsman', package.cpath))"))
    assert(code == 0, out)
    assert.matches(lmod:gsub("%p", "%%%0") .. "/wsman/init%.lua\n", out)
    assert.matches(cmod:gsub("%p", "%%%0") .. "/wsman%.so\n", out)
  end)
end)
