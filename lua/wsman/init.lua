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
-- * `session:runspace_pool`, `session:runspace_pools`, `session:ps` (wsman.psrp: PowerShell Remoting);
-- * `session:copy`, `session:fetch` (wsman.transfer: files over PowerShell Remoting);
-- * `WSMan.connect(url, {user=, password=, auth=, ...})`, a session in one call (wsman.connect);
-- * `WSMAN_TRACE=1` (stderr) or `WSMAN_TRACE=/path`: every session traces its exchanges (wsman.trace).
--
-- The build compiles this file and lua/wsman/*.lua into the module, so `wsman.so` alone gives
-- the whole API; with lua/ on `package.path` the files there are used instead (they are the
-- same ones).
--
-- The COM-like objects are described in their own pages: `WSMan` (the module's flags,
-- `WSMan.new`, `WSMan.clixml`), `Session`, `ConnectionOptions`, `ResourceLocator`,
-- `Enumerator`, `Shell` and `Process`, `Error`.
-- @module wsman
local WSMan = require "wsman.core"
local results = require "wsman.results"
local tables = require "wsman.tables"
local ps = require "wsman.ps"
local connect = require "wsman.connect"
local psrp = require "wsman.psrp"
local transfer = require "wsman.transfer"
local tasks = require "wsman.tasks"
local trace = require "wsman.trace"

WSMan.decode, WSMan.encode = results.decode, results.encode
WSMan.null, WSMan.class, WSMan.epr = results.null, results.class, results.epr
WSMan.connect = connect.connect
WSMan.tasks = tasks.new

local session = WSMan._methods.Session
for _, name in ipairs { "get", "put", "create", "delete", "invoke", "enumerate" } do
  session[name] = tables[name]
end
session.run_cmd, session.run_ps = ps.run_cmd, ps.run_ps
session.runspace_pool, session.runspace_pools, session.ps = psrp.runspace_pool, psrp.runspace_pools, psrp.ps
session.copy, session.fetch = transfer.copy, transfer.fetch

-- WSMAN_TRACE=1 (stderr) or WSMAN_TRACE=/path: every new session writes its exchanges there.
local create_session = WSMan._methods.WSMan.CreateSession
WSMan._methods.WSMan.CreateSession = function(...)
  local s = create_session(...)
  local out = trace.from_env()
  if out then trace.attach(s, out) end
  return s
end

local shell = WSMan._methods.Shell
shell.run_cmd, shell.run_ps = ps.shell_run_cmd, ps.shell_run_ps

--- Lua tables from WinRM XML: `WSMan.decode(xml [, opts])`.
-- @function decode
-- @see wsman.results.decode

--- WinRM XML from a Lua table: `WSMan.encode(resource_uri, tbl [, root])`.
-- @function encode
-- @see wsman.results.encode

--- The value of an `xsi:nil` element in decoded tables (and for `encode`).
-- @field null
-- @see wsman.results.null

--- The key of a decoded table's class name: `t[WSMan.class]`.
-- @field class
-- @see wsman.results.class

--- The key of a decoded object's EPR: `obj[WSMan.epr]`.
-- @field epr
-- @see wsman.results.epr

--- A session from a URL and a table of settings: `WSMan.connect(url, {user=, password=, auth=})`.
-- @function connect
-- @see wsman.connect.connect

return WSMan
