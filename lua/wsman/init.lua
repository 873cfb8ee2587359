-- SPDX-License-Identifier: MIT

--- The lua-wsman module: `local WSMan = require "wsman"`.
--
-- This facade loads the C module `wsman.core` (the COM-like objects of the WinRM Scripting
-- API: `WSMan.new()`, sessions, resource locators, enumerators, shells) and the layers written
-- in Lua, and attaches those to the objects:
--
-- * `WSMan.decode`, `WSMan.encode`, `WSMan.null`, `WSMan.class`, `WSMan.epr` (wsman.results);
-- * `session:get`, `:put`, `:create`, `:delete`, `:invoke`, `:enumerate` (wsman.tables);
-- * `session:run_cmd`, `session:run_ps`, `sh:run_cmd`, `sh:run_ps` (wsman.ps);
-- * `WSMan.connect(url, {user=, password=, auth=, ...})`, a session in one call (wsman.connect).
--
-- The build compiles this file and lua/wsman/*.lua into the module, so `wsman.so` alone gives
-- the whole API; with lua/ on `package.path` the files there are used instead (they are the
-- same ones).
-- @module wsman
local WSMan = require "wsman.core"
local results = require "wsman.results"
local tables = require "wsman.tables"
local ps = require "wsman.ps"
local connect = require "wsman.connect"

WSMan.decode, WSMan.encode = results.decode, results.encode
WSMan.null, WSMan.class, WSMan.epr = results.null, results.class, results.epr
WSMan.connect = connect.connect

local session = WSMan._methods.Session
for _, name in ipairs { "get", "put", "create", "delete", "invoke", "enumerate" } do
  session[name] = tables[name]
end
session.run_cmd, session.run_ps = ps.run_cmd, ps.run_ps

local shell = WSMan._methods.Shell
shell.run_cmd, shell.run_ps = ps.shell_run_cmd, ps.shell_run_ps

return WSMan
