-- SPDX-License-Identifier: MIT
-- LuaRocks package of lua-wsman: builds with meson (C core + Lua module) and installs the
-- module (wsman.so holds the C core, wsman.core and the Lua layers), the Lua layers as files
-- (the facade wsman and wsman.*: the same code, readable) and the wsman command. C programs
-- that embed Lua use `meson install` instead (wsman.h, the libraries, lua-wsman.pc): LuaRocks
-- has no place for headers and linkable libraries.
--   luarocks-5.4 make rockspec/lua-wsman-scm-1.rockspec
rockspec_format = "3.0"
package = "lua-wsman"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- built from a checkout with `luarocks make`
}
description = {
  summary = "WinRM client and WinRM Scripting API (WSMan.Automation) for Lua",
  detailed = [[
The WinRM Scripting API of Windows (CreateObject("WSMan.Automation"): CreateSession,
Get/Put/Create/Delete/Invoke/Enumerate/Identify, ResourceLocator, Enumerator) as a Lua 5.4
module with a C core (libcurl, Expat, OpenSSL), so VBScript WinRM automation runs anywhere.
]],
  license = "MIT",
}
dependencies = { "lua >= 5.4, < 5.5" }
-- libcurl, Expat and OpenSSL are found by meson through pkg-config (Debian 12:
-- libcurl4-openssl-dev libexpat1-dev libssl-dev; curl's headers live in a multiarch directory
-- that LuaRocks' own header search does not look in).
build = {
  type = "command",
  build_command = [[meson setup _rockbuild --buildtype=release --wipe >/dev/null 2>&1 || meson setup _rockbuild --buildtype=release && meson compile -C _rockbuild wsman]],
  install = {
    lib = { wsman = "_rockbuild/wsman.so" },
    lua = {
      ["wsman"] = "lua/wsman/init.lua",
      ["wsman.xml"] = "lua/wsman/xml.lua",
      ["wsman.results"] = "lua/wsman/results.lua",
      ["wsman.tables"] = "lua/wsman/tables.lua",
      ["wsman.format"] = "lua/wsman/format.lua",
      ["wsman.trace"] = "lua/wsman/trace.lua",
      ["wsman.cli"] = "lua/wsman/cli.lua",
      ["wsman.fanout"] = "lua/wsman/fanout.lua",
      ["wsman.ps"] = "lua/wsman/ps.lua",
      ["wsman.psrp"] = "lua/wsman/psrp.lua",
      ["wsman.transfer"] = "lua/wsman/transfer.lua",
      ["wsman.connect"] = "lua/wsman/connect.lua",
      ["wsman.tasks"] = "lua/wsman/tasks.lua",
    },
    bin = { wsman = "bin/wsman" },
  },
}
