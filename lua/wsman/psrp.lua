-- SPDX-License-Identifier: MIT

--- PowerShell Remoting (MS-PSRP): runspace pools and pipelines with objects in and out.
--
--     local pool <close> = session:runspace_pool { max_runspaces = 2 }
--     local p = pool:pipeline()
--     p:add_command("Get-Service"):add_parameter("Name", "win*")
--     for obj in p:output() do print(obj.Name, obj.Status) end   -- objects as they arrive
--     print(p.state, #p.streams.error)
--
--     local out, streams, had_errors = session:ps("Get-Date; Write-Warning 'w'")
--
-- Objects are CLIXML decoded to Lua values (see `WSMan.clixml_decode`: PSObjects with their type
-- names and properties, PSValues for Decimal, DateTime, ...). Streams: `error`, `warning`,
-- `verbose`, `debug`, `information`, `progress`, each a list of records as PowerShell sent them.
-- A pool is a WinRS shell on a PowerShell resource URI; the session's authentication and message
-- encryption apply unchanged. Host calls (Read-Host, Write-Host, $host.SetShouldExit, ...) go to
-- the pool's `host` table: `host = { ReadLine = function(p) return "answer" end }`; the host's raw
-- UI state (`pool.raw_ui`) answers `$host.UI.RawUI`, and `pool:pipeline{use_runspace_host = true}`
-- routes a pipeline's calls through the pool (RUNSPACEPOOL_HOST_CALL). SecureStrings:
-- `pool:secure_string(text)` and `pool:decrypt(value)` (the session key exchange runs once, when
-- first needed). `pool:disconnect()` / `pool:reconnect()` leave the pool running on the host
-- meanwhile; `session:runspace_pools()` lists the pools on the host (another client's disconnected
-- ones too) and `pool:connect()` attaches to one, `p:connect()` to its disconnected pipelines;
-- `pool:is_alive()` asks the host whether the pool is still there and connected.
-- @module wsman.psrp
local WSMan = require "wsman.core"

local M = {}

local decode, encode, V, O = WSMan.clixml_decode, WSMan.clixml_encode, WSMan.ps_value, WSMan.ps_object

-- MS-PSRP 2.2.1 message types.
local T = {
  SESSION_CAPABILITY = 0x00010002, INIT_RUNSPACEPOOL = 0x00010004, PUBLIC_KEY = 0x00010005,
  ENCRYPTED_SESSION_KEY = 0x00010006, SET_MAX_RUNSPACES = 0x00021002, SET_MIN_RUNSPACES = 0x00021003,
  RUNSPACE_AVAILABILITY = 0x00021004, GET_AVAILABLE_RUNSPACES = 0x00021007, RESET_RUNSPACE_STATE = 0x0002100C,
  RUNSPACEPOOL_STATE = 0x00021005, CREATE_PIPELINE = 0x00021006, APPLICATION_PRIVATE_DATA = 0x00021009,
  GET_COMMAND_METADATA = 0x0002100A, RUNSPACEPOOL_HOST_CALL = 0x00021100, RUNSPACEPOOL_HOST_RESPONSE = 0x00021101,
  CONNECT_RUNSPACEPOOL = 0x00010008, RUNSPACEPOOL_INIT_DATA = 0x0002100B,
  PIPELINE_INPUT = 0x00041002, END_OF_PIPELINE_INPUT = 0x00041003, PIPELINE_OUTPUT = 0x00041004,
  ERROR_RECORD = 0x00041005, PIPELINE_STATE = 0x00041006, DEBUG_RECORD = 0x00041007,
  VERBOSE_RECORD = 0x00041008, WARNING_RECORD = 0x00041009, PROGRESS_RECORD = 0x00041010,
  INFORMATION_RECORD = 0x00041011, PIPELINE_HOST_CALL = 0x00041100, PIPELINE_HOST_RESPONSE = 0x00041101,
}
local STREAM_OF = {
  [T.ERROR_RECORD] = "error", [T.DEBUG_RECORD] = "debug", [T.VERBOSE_RECORD] = "verbose",
  [T.WARNING_RECORD] = "warning", [T.PROGRESS_RECORD] = "progress", [T.INFORMATION_RECORD] = "information",
}
-- MS-PSRP 2.2.3.4 and 2.2.3.5
local host_call, pool_feed -- (defined with the host calls below)
local POOL_STATES = { [0] = "BeforeOpen", "Opening", "Opened", "Closed", "Closing", "Broken", "NegotiationSent",
  "NegotiationSucceeded", "Connecting", "Disconnected" }
local PIPELINE_STATES = { [0] = "NotStarted", "Running", "Stopping", "Stopped", "Completed", "Failed",
  "Disconnected" }
local TERMINAL = { Stopped = true, Completed = true, Failed = true }
local NULL_GUID = "00000000-0000-0000-0000-000000000000"
local PROTOCOL_VERSION = "2.3"

-- ---- identifiers ---------------------------------------------------------------------------

local function new_guid()
  local f = io.open("/dev/urandom", "rb")
  local b = f and f:read(16)
  if f then f:close() end
  if not b or #b ~= 16 then
    local t = {}
    for i = 1, 16 do t[i] = string.char(math.random(0, 255)) end
    b = table.concat(t)
  end
  b = b:sub(1, 6) .. string.char((b:byte(7) & 0x0F) | 0x40) .. b:sub(8, 8)
    .. string.char((b:byte(9) & 0x3F) | 0x80) .. b:sub(10)
  local h = b:gsub(".", function(c) return ("%02X"):format(c:byte()) end)
  return ("%s-%s-%s-%s-%s"):format(h:sub(1, 8), h:sub(9, 12), h:sub(13, 16), h:sub(17, 20), h:sub(21, 32))
end

-- ---- CLIXML shapes the protocol sends (MS-PSRP 2.2.2, 2.2.3) -------------------------------------

local function enum(type_name, text, value)
  return O { type_names = { type_name, "System.Enum", "System.ValueType", "System.Object" }, to_string = text,
    value = value }
end

-- The raw UI of the default host (MS-PSRP 2.2.3.14 HostDefaultData): key, value kind, default.
local RAW_UI = {
  ForegroundColor = { 0, "color", 7 }, BackgroundColor = { 1, "color", 0 },
  CursorPosition = { 2, "coordinates", { x = 0, y = 0 } }, WindowPosition = { 3, "coordinates", { x = 0, y = 0 } },
  CursorSize = { 4, "int", 25 }, BufferSize = { 5, "size", { width = 120, height = 3000 } },
  WindowSize = { 6, "size", { width = 120, height = 50 } }, MaxWindowSize = { 7, "size", { width = 120, height = 50 } },
  MaxPhysicalWindowSize = { 8, "size", { width = 120, height = 50 } }, WindowTitle = { 9, "string", "lua-wsman" },
}
local RAW_UI_TYPES = { color = "System.ConsoleColor", coordinates = "System.Management.Automation.Host.Coordinates",
  size = "System.Management.Automation.Host.Size", int = "System.Int32", string = "System.String" }

-- A raw UI value as the host's methods take it (Coordinates, Size: MS-PSRP 2.2.3.1, 2.2.3.2).
local function raw_value(kind, v)
  if kind == "coordinates" then
    return O { extended = { x = math.tointeger(v.x) or 0, y = math.tointeger(v.y) or 0 } }
  end
  if kind == "size" then
    return O { extended = { width = math.tointeger(v.width) or 0, height = math.tointeger(v.height) or 0 } }
  end
  if kind == "color" or kind == "int" then return math.tointeger(tonumber(tostring(v))) or 0 end
  return tostring(v)
end

-- A raw UI value from the host (a decoded Coordinates or Size object, a number, a text) as a Lua value.
local function raw_plain(kind, v)
  if kind == "coordinates" then return { x = v.x or v.X, y = v.y or v.Y } end
  if kind == "size" then return { width = v.width or v.Width, height = v.height or v.Height } end
  if kind == "color" or kind == "int" then return math.tointeger(tonumber(tostring(v))) end
  return tostring(v)
end

-- The pool's raw UI state: the defaults, then the host table's raw_ui fields; nil when the host
-- has none (host.raw_ui = false) or there is no host.
local function raw_ui_state(host)
  if not host or host.raw_ui == false then return nil end
  local given = type(host.raw_ui) == "table" and host.raw_ui or {}
  local state = {}
  for name, d in pairs(RAW_UI) do
    local v = given[name]
    if v == nil and type(d[3]) == "table" then
      v = {}
      for k, x in pairs(d[3]) do v[k] = x end
    elseif v == nil then
      v = d[3]
    end
    state[name] = v
  end
  return state
end

local function host_default_data(raw)
  local items = {}
  for name, d in pairs(RAW_UI) do
    items[d[1]] = O { extended = { T = RAW_UI_TYPES[d[2]], V = raw_value(d[2], raw[name]) } }
  end
  return O { extended = { data = O { type_names = { "System.Collections.Hashtable", "System.Object" },
    collection = "Dictionary", items = items } } }
end

-- MS-PSRP 2.2.3.14: no host at all, or a host with (or without) a UI and a raw UI (its state sent as
-- HostDefaultData, from which the host answers reads of $host.UI.RawUI itself).
local function host_info(host, raw, use_runspace_host)
  if not host then
    return O { extended = { _isHostNull = true, _isHostUINull = true, _isHostRawUINull = true,
      _useRunspaceHost = true } }
  end
  local ext = { _isHostNull = false, _isHostUINull = host.ui == false, _isHostRawUINull = raw == nil,
    _useRunspaceHost = use_runspace_host or false }
  if raw then ext._hostDefaultData = host_default_data(raw) end
  return O { extended = ext }
end

local function apartment_state()
  return enum("System.Management.Automation.Runspaces.ApartmentState", "UNKNOWN", 2)
end

local function primitive_dictionary(t)
  if t == nil then return V("Null") end
  return O { type_names = { "System.Management.Automation.PSPrimitiveDictionary", "System.Collections.Hashtable",
    "System.Object" }, collection = "Dictionary", items = t }
end

local function session_capability()
  return O { extended = { protocolversion = V("Version", PROTOCOL_VERSION), PSVersion = V("Version", "2.0"),
    SerializationVersion = V("Version", "1.1.0.1") } }
end

local function init_runspacepool(o, raw)
  return O { extended = {
    MinRunspaces = o.min_runspaces or 1,
    MaxRunspaces = o.max_runspaces or 1,
    PSThreadOptions = enum("System.Management.Automation.Runspaces.PSThreadOptions", "Default", 0),
    ApartmentState = apartment_state(),
    HostInfo = host_info(o.host, raw),
    ApplicationArguments = primitive_dictionary(o.application_arguments),
  } }
end

local CMD_LIST = "System.Collections.Generic.List`1[[System.Management.Automation.PSObject, "
  .. "System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]"
local MERGE_FIELDS = { "MergeMyResult", "MergeToResult", "MergePreviousResults", "MergeError", "MergeWarning",
  "MergeVerbose", "MergeDebug", "MergeInformation" }

-- MS-PSRP 2.2.3.31 PipelineResultTypes
local RESULT_TYPES = { None = 0, Output = 1, Error = 2, Warning = 3, Verbose = 4, Debug = 5, Information = 6 }
local MERGEABLE = { error = true, warning = true, verbose = true, debug = true, information = true }

local function result_type(name)
  return enum("System.Management.Automation.Runspaces.PipelineResultTypes", name, RESULT_TYPES[name])
end

local function command_object(c)
  local args = {}
  for i, a in ipairs(c.args) do
    args[i] = O { extended = { N = a.name == nil and V("Null") or a.name,
      V = a.value == nil and V("Null") or a.value } }
  end
  local ext = { Cmd = c.cmd, IsScript = c.is_script, UseLocalScope = c.use_local_scope == nil and V("Null")
    or c.use_local_scope, Args = O { type_names = { CMD_LIST, "System.Object" }, collection = "List",
    items = { n = #args, table.unpack(args) } } }
  for _, f in ipairs(MERGE_FIELDS) do ext[f] = result_type("None") end
  -- streams merged into the output (MS-PSRP 2.2.3.22): the error stream the protocol 2.1 way, every
  -- stream in its own field (protocol 2.2+)
  if c.merge then
    if c.merge.error then ext.MergeMyResult, ext.MergeToResult = result_type("Error"), result_type("Output") end
    for stream in pairs(c.merge) do
      ext["Merge" .. stream:sub(1, 1):upper() .. stream:sub(2)] = result_type("Output")
    end
  end
  return O { extended = ext }
end

local function command_list(cmds)
  local objs = {}
  for i, c in ipairs(cmds) do objs[i] = command_object(c) end
  return O { type_names = { CMD_LIST, "System.Object" }, collection = "List",
    items = { n = #objs, table.unpack(objs) } }
end

local function create_pipeline(p, no_input)
  local statements = {}
  for _, st in ipairs(p.statements) do
    if #st > 0 then statements[#statements + 1] = st end
  end
  -- several statements: Cmds holds the first, ExtraCmds every one (as PowerShell sends them)
  local extra = V("Null")
  if #statements > 1 then
    local list = {}
    for i, st in ipairs(statements) do list[i] = O { extended = { Cmds = command_list(st) } } end
    extra = O { type_names = { CMD_LIST, "System.Object" }, collection = "List",
      items = { n = #list, table.unpack(list) } }
  end
  return O { extended = {
    NoInput = no_input,
    ApartmentState = apartment_state(),
    RemoteStreamOptions = enum("System.Management.Automation.Runspaces.RemoteStreamOptions", "0", 0),
    AddToHistory = p.add_to_history or false,
    HostInfo = host_info(p.pool.host, p.pool.raw_ui, p.use_runspace_host),
    IsNested = p.is_nested or false,
    PowerShell = O { extended = {
      Cmds = command_list(statements[1] or {}),
      IsNested = p.is_nested or false,
      ExtraCmds = extra,
      History = V("Null"),
      RedirectShellErrorOutputPipe = false,
    } },
  } }
end

-- ---- the wire ---------------------------------------------------------------------------------

-- The fragments of one message, as a list of byte strings.
local function fragments(pool, type, pid, value, max)
  pool.object_id = pool.object_id + 1
  local msg = WSMan._psrp_message { type = type, rpid = pool.id, pid = pid or NULL_GUID,
    data = value ~= nil and encode(value) or "" }
  return WSMan._psrp_fragment(pool.object_id, msg, max)
end

-- Packs fragments into payloads of at most max bytes (whole fragments, in order).
local function pack(frags, max)
  local out, cur = {}, {}
  local size = 0
  for _, f in ipairs(frags) do
    if size > 0 and size + #f > max then
      out[#out + 1] = table.concat(cur)
      cur, size = {}, 0
    end
    cur[#cur + 1] = f
    size = size + #f
  end
  if size > 0 then out[#out + 1] = table.concat(cur) end
  return out
end

local function decode_one(msg)
  if msg.data == "" then return nil end
  return decode(msg.data)[1]
end

local function record_text(rec)
  if type(rec) ~= "table" then return tostring(rec) end
  return rec.to_string or tostring(rec.Message or rec.MessageData or rec)
end

-- ---- pools ------------------------------------------------------------------------------------

local Pool = {}
Pool.__index = Pool

local Pipeline = {}
Pipeline.__index = Pipeline

local POOL_KEYS = { min_runspaces = true, max_runspaces = true, configuration_name = true, resource_uri = true,
  application_arguments = true, idle_timeout = true, receive_timeout = true, host = true,
  key_exchange_timeout = true }
local KEY_EXCHANGE_TIMEOUT = 60 -- seconds, as pypsrp's session_key_timeout_ms
local MIN_KEY_RECEIVE = 5 -- seconds: the shortest OperationTimeout of a Receive waiting for the key

-- Reads pool messages until the RunspacePool state is known.
local function await_opened(pool)
  pool.defrag = WSMan._psrp_defrag()
  while pool.state ~= "Opened" do
    local bytes = pool.shell:receive(nil, pool.receive_timeout)
    for _, m in ipairs(pool_feed(pool, bytes)) do
      local v = decode_one(m)
      if m.type == T.SESSION_CAPABILITY and v then
        pool.protocol_version = tostring(v.protocolversion)
        pool.ps_version = tostring(v.PSVersion)
      elseif m.type == T.APPLICATION_PRIVATE_DATA and v then
        pool.application_private_data = v.ApplicationPrivateData
      elseif m.type == T.RUNSPACEPOOL_STATE and v then
        pool.state = POOL_STATES[v.RunspaceState] or tostring(v.RunspaceState)
        if pool.state ~= "Opened" then
          local why = v.ExceptionAsErrorRecord and record_text(v.ExceptionAsErrorRecord) or pool.state
          error(("RunspacePool %s on %s did not open: %s"):format(pool.id, pool.shell.resource_uri, why), 0)
        end
      end
    end
  end
end

--- Opens a RunspacePool (`session:runspace_pool{...}`).
-- @param session the session
-- @tparam[opt] table opts `min_runspaces`, `max_runspaces` (1), `configuration_name` (a JEA
--   endpoint: "JEARole" means `http://schemas.microsoft.com/powershell/JEARole`), `resource_uri`
--   (full URI), `application_arguments` (a table: `$PSSenderInfo.ApplicationArguments`),
--   `idle_timeout`, `receive_timeout` and `key_exchange_timeout` (seconds; default 60: how long
--   `pool:exchange_keys` waits for the host's session key), `host`: a table of PSHost methods by their
--   MS-PSRP names (`ReadLine`, `WriteLine2`, `SetShouldExit`, `WriteProgress`, ...), each called
--   as `f(pipeline, args...)` and returning the method's result; `host.ui = false` declares a host
--   without a UI, `host.raw_ui` its raw UI's state (see the README; `false`: no raw UI), kept in
--   `pool.raw_ui`. Without a function, Write* calls are collected in `p.host_output`, SetShouldExit
--   sets `pool.should_exit`, WriteProgress adds to `p.streams.progress`, the raw UI's Get*/Set*
--   calls read and write `pool.raw_ui`, and any other method (ReadKey, ReadLine, ...) fails the
--   call (PowerShell then fails the pipeline). Without `host`, scripts see no host.
-- @return the pool: `pool.id`, `pool.state`, `pool.protocol_version` (the host's),
--   `pool.ps_version`, `pool.application_private_data`, `pool:pipeline()`, `pool:close()`
function M.runspace_pool(session, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("session:runspace_pool: options must be a table", 2) end
  for k in pairs(opts) do
    if not POOL_KEYS[k] then error(("session:runspace_pool: unknown option '%s'"):format(tostring(k)), 2) end
  end
  if opts.host ~= nil and type(opts.host) ~= "table" then
    error("session:runspace_pool: option host must be a table of host methods", 2)
  end
  local pool = setmetatable({ id = new_guid(), object_id = 0, state = "BeforeOpen", session = session,
    receive_timeout = opts.receive_timeout, host = opts.host, key_exchange_timeout = opts.key_exchange_timeout,
    raw_ui = raw_ui_state(opts.host), host_output = {}, streams = { progress = {} } }, Pool)
  local creation = {}
  for _, f in ipairs(fragments(pool, T.SESSION_CAPABILITY, nil, session_capability(), 1 << 20)) do
    creation[#creation + 1] = f
  end
  for _, f in ipairs(fragments(pool, T.INIT_RUNSPACEPOOL, nil, init_runspacepool(opts, pool.raw_ui), 1 << 20)) do
    creation[#creation + 1] = f
  end
  pool.shell = WSMan._psrp_open(session, { uri = opts.resource_uri or opts.configuration_name, shell_id = pool.id,
    protocol_version = PROTOCOL_VERSION, creation = table.concat(creation), idle_timeout = opts.idle_timeout })
  pool.state = "Opening"
  local ok, err = pcall(await_opened, pool)
  if not ok then
    pcall(pool.shell.close, pool.shell)
    error(err, 2)
  end
  return pool
end

local function new_pipeline(pool)
  local first = {}
  return setmetatable({ pool = pool, id = new_guid(), commands = first, statements = { first }, state = "NotStarted",
    streams = { error = {}, warning = {}, verbose = {}, debug = {}, information = {}, progress = {} },
    host_output = {},
    queue = {}, qhead = 1, qtail = 0 }, Pipeline)
end

--- A new, empty pipeline in this pool.
-- @tparam[opt] table opts `use_runspace_host = true`: the pipeline uses the pool's host, so its
--   host calls come as RUNSPACEPOOL_HOST_CALL on the pool's stream (read between the pipeline's
--   Receives) and are answered with RUNSPACEPOOL_HOST_RESPONSE
function Pool:pipeline(opts)
  if self.state ~= "Opened" then error("pool:pipeline: the RunspacePool is " .. self.state, 2) end
  if opts ~= nil and type(opts) ~= "table" then error("pool:pipeline: options must be a table", 2) end
  for k in pairs(opts or {}) do
    if k ~= "use_runspace_host" then error(("pool:pipeline: unknown option '%s'"):format(tostring(k)), 2) end
  end
  local p = new_pipeline(self)
  p.use_runspace_host = opts and opts.use_runspace_host and true or nil
  return p
end

-- A pool request answered by RUNSPACE_AVAILABILITY (MS-PSRP 2.2.2.8-2.2.2.12): sends it with the
-- next call id (named `id_name`: "CI" for SET_MAX/MIN_RUNSPACES, "ci" otherwise, as Windows
-- spells them) and reads the pool's output until the answer with that id.
local function pool_call(pool, type, fields, id_name)
  if pool.state ~= "Opened" then error("the RunspacePool is " .. pool.state, 3) end
  pool.call_id = (pool.call_id or -1) + 1
  local id = pool.call_id
  fields[id_name] = V("Int64", tostring(id))
  local max = pool.shell:max_payload()
  for _, payload in ipairs(pack(fragments(pool, type, nil, O { extended = fields }, max), max)) do
    pool.shell:send(nil, payload)
  end
  while true do
    for _, m in ipairs(pool_feed(pool, (pool.shell:receive(nil, pool.receive_timeout)))) do
      local v = decode_one(m)
      if m.type == T.RUNSPACE_AVAILABILITY and v and v.ci == id then return v.SetMinMaxRunspacesResponse end
    end
  end
end

--- Sets the pool's maximum number of runspaces; returns whether the host accepted it.
function Pool:set_max_runspaces(n)
  local ok = pool_call(self, T.SET_MAX_RUNSPACES, { MaxRunspaces = math.tointeger(n) }, "CI")
  if ok then self.max_runspaces = n end
  return ok
end

--- Sets the pool's minimum number of runspaces; returns whether the host accepted it.
function Pool:set_min_runspaces(n)
  local ok = pool_call(self, T.SET_MIN_RUNSPACES, { MinRunspaces = math.tointeger(n) }, "CI")
  if ok then self.min_runspaces = n end
  return ok
end

--- The number of runspaces of the pool that are free for a pipeline now.
function Pool:available_runspaces()
  return pool_call(self, T.GET_AVAILABLE_RUNSPACES, {}, "ci")
end

--- Resets the runspace's state (variables, functions, ...; MS-PSRP 2.2.2.30, protocol 2.3 hosts);
-- returns whether the host did it.
function Pool:reset_state()
  return pool_call(self, T.RESET_RUNSPACE_STATE, {}, "ci")
end

local function string_array(list)
  if list == nil then return V("Null") end
  if type(list) == "string" then list = { list } end
  return O { type_names = { "System.String[]", "System.Array", "System.Object" }, collection = "List",
    items = { n = #list, table.unpack(list) } }
end

--- The commands the host has whose names match (MS-PSRP GET_COMMAND_METADATA, what
-- Get-Command answers): a list (`{n = N, ...}`) of CommandInfo objects (`Name`, `Namespace`,
-- `CommandType`, `Parameters`, ...).
-- @tparam string|{string,...} names name patterns ("Get-*")
-- @tparam[opt] table opts `command_type` (CommandTypes flags, default 511: all), `namespace`
--   (module name patterns)
function Pool:command_metadata(names, opts)
  opts = opts or {}
  local p = self:pipeline()
  p.metadata = O { extended = { Name = string_array(names), CommandType = opts.command_type or 511,
    Namespace = string_array(opts.namespace), ArgumentList = V("Null") } }
  local out = p:wait()
  if p.state ~= "Completed" then error("pool:command_metadata: " .. record_text(p.error or p.state), 2) end
  local list = { n = 0 } -- the first object is the count
  for i = 2, out.n do
    list.n = list.n + 1
    list[list.n] = out[i]
  end
  return list
end

--- Runs the session key exchange (MS-PSRP PUBLIC_KEY / ENCRYPTED_SESSION_KEY) once: an RSA key
-- pair is made here, the host sends an AES-256 session key encrypted with it. Needed before
-- SecureStrings are sent or read; `pool:secure_string` and `pool:decrypt` run it when needed.
function Pool:exchange_keys()
  if self.key then return self end
  local key = WSMan._psrp_keypair()
  local max = self.shell:max_payload()
  local msg = O { extended = { PublicKey = WSMan._base64_encode(key:public_blob()) } }
  for _, payload in ipairs(pack(fragments(self, T.PUBLIC_KEY, nil, msg, max), max)) do
    self.shell:send(nil, payload)
  end
  local limit = self.key_exchange_timeout or KEY_EXCHANGE_TIMEOUT
  local deadline = WSMan._now_ms() + math.floor(limit * 1000)
  while not self.key do
    local left = deadline - WSMan._now_ms()
    if left <= 0 then
      error(("pool:exchange_keys: RunspacePool %s on %s sent no session key within %g s of the client's public "
        .. "key (timeout while waiting for the key exchange); give the pool a larger key_exchange_timeout, or "
        .. "check the host's PowerShell event log"):format(self.id, self.shell.resource_uri, limit), 2)
    end
    -- the time left, but never so short that the reply could not arrive in time: the limit is
    -- checked after each Receive
    local wait = math.max(left / 1000, MIN_KEY_RECEIVE)
    for _, m in ipairs(pool_feed(self, (self.shell:receive(nil, wait)))) do
      local v = decode_one(m)
      if m.type == T.ENCRYPTED_SESSION_KEY and v then
        key:set_session_key(WSMan._base64_decode(tostring(v.EncryptedSessionKey)))
        self.key = key
      end
    end
  end
  return self
end

--- A SecureString for the host (a PSValue to use as a parameter, input object or host answer):
-- `text` encrypted with the session key.
function Pool:secure_string(text)
  self:exchange_keys()
  return V("SecureString", WSMan._base64_encode(self.key:encrypt(text)))
end

--- The text of a SecureString received from the host (a PSValue of type SecureString).
function Pool:decrypt(secure)
  self:exchange_keys()
  local b64 = type(secure) == "table" and secure.type == "SecureString" and secure.value
  if not b64 then error("pool:decrypt: not a SecureString", 2) end
  return self.key:decrypt(WSMan._base64_decode(b64))
end

--- Disconnects from the pool: it and its pipelines go on running on the host, unreachable
-- (output waits there) until `pool:reconnect()`. `pool.state` is "Disconnected" meanwhile.
function Pool:disconnect()
  if self.state ~= "Opened" then error("pool:disconnect: the RunspacePool is " .. self.state, 2) end
  self.shell:disconnect()
  self.state = "Disconnected"
  return self
end

--- Reconnects to a pool this client disconnected; its pipelines' output can be read again.
function Pool:reconnect()
  if self.state ~= "Disconnected" then error("pool:reconnect: the RunspacePool is " .. self.state, 2) end
  self.shell:disconnect(true)
  self.state = "Opened"
  return self
end

-- ---- pools on the host, connecting to them (MS-PSRP 3.1.4.10, 3.1.4.11) ------------------------

local SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
local PS_URI_PREFIX = "http://schemas.microsoft.com/powershell/"

local function text_of(v)
  if type(v) == "table" then return v[1] ~= nil and tostring(v[1]) or nil end
  return v ~= nil and tostring(v) or nil
end

--- The RunspacePools of this user on the host (an Enumerate of the shell resource, then one of
-- each pool's commands), as pypsrp's `RunspacePool.get_runspace_pools` and .NET's
-- `RunspaceFactory.GetRunspacePools` list them: pools another client left disconnected, and this
-- client's own. Each is a pool object in state "Disconnected" until `pool:connect()`:
-- `pool.id`, `pool.resource_uri`, `pool.host_state` (what the host says: "Disconnected",
-- "Connected"), `pool.owner`, `pool.pipeline_ids` (its unfinished pipelines, in the host's order).
-- @param session the session
-- @tparam[opt] table opts `host`, `receive_timeout`, `key_exchange_timeout` (as for
--   `session:runspace_pool`), the listed pools' settings
-- @return a list of pools (`{n = N, ...}`), in the host's order
function M.runspace_pools(session, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("session:runspace_pools: options must be a table", 2) end
  for k in pairs(opts) do
    if k ~= "host" and k ~= "receive_timeout" and k ~= "key_exchange_timeout" then
      error(("session:runspace_pools: unknown option '%s' (host, receive_timeout, key_exchange_timeout)")
        :format(tostring(k)), 2)
    end
  end
  local list = { n = 0 }
  for shell in session:enumerate(SHELL_URI) do
    local uri = text_of(shell.ResourceUri) or ""
    if uri:sub(1, #PS_URI_PREFIX):lower() == PS_URI_PREFIX:lower() then
      local pool = setmetatable({ id = text_of(shell.ShellId), object_id = 0, state = "Disconnected",
        session = session, resource_uri = uri, host_state = text_of(shell.State), owner = text_of(shell.Owner),
        receive_timeout = opts.receive_timeout, host = opts.host, pipeline_ids = {}, listed = true,
        key_exchange_timeout = opts.key_exchange_timeout,
        raw_ui = raw_ui_state(opts.host), host_output = {}, streams = { progress = {} } }, Pool)
      for cmd in session:enumerate(SHELL_URI .. "/Command", { filter = { ShellId = pool.id }, dialect = "selector" }) do
        pool.pipeline_ids[#pool.pipeline_ids + 1] = text_of(cmd.CommandId)
      end
      list.n = list.n + 1
      list[list.n] = pool
    end
  end
  return list
end

-- The pool's messages in a ConnectResponse, then Receives until the host says the pool is open
-- again (APPLICATION_PRIVATE_DATA or RUNSPACEPOOL_STATE, whichever the host sends).
local function read_connect(pool, bytes)
  local opened = false
  local function take(m)
    local v = decode_one(m)
    if m.type == T.SESSION_CAPABILITY and v then
      pool.protocol_version = tostring(v.protocolversion)
      pool.ps_version = tostring(v.PSVersion)
    elseif m.type == T.RUNSPACEPOOL_INIT_DATA and v then
      pool.min_runspaces, pool.max_runspaces = v.MinRunspaces, v.MaxRunspaces
    elseif m.type == T.APPLICATION_PRIVATE_DATA and v then
      pool.application_private_data = v.ApplicationPrivateData
      opened = true
    elseif m.type == T.RUNSPACEPOOL_STATE and v then
      local state = POOL_STATES[v.RunspaceState] or tostring(v.RunspaceState)
      if state ~= "Opened" then
        local why = v.ExceptionAsErrorRecord and record_text(v.ExceptionAsErrorRecord) or state
        error(("RunspacePool %s on %s: the host says %s"):format(pool.id, pool.shell.resource_uri, why), 0)
      end
      opened = true
    end
  end
  for _, m in ipairs(pool_feed(pool, bytes)) do take(m) end
  while not opened do
    for _, m in ipairs(pool_feed(pool, (pool.shell:receive(nil, pool.receive_timeout)))) do take(m) end
  end
end

local function connect_listed(pool)
  pool.shell = WSMan._psrp_attach(pool.session, { uri = pool.resource_uri, shell_id = pool.id })
  pool.defrag = WSMan._psrp_defrag()
  local data = {}
  for _, f in ipairs(fragments(pool, T.SESSION_CAPABILITY, nil, session_capability(), 1 << 20)) do
    data[#data + 1] = f
  end
  for _, f in ipairs(fragments(pool, T.CONNECT_RUNSPACEPOOL, nil, O { extended = {} }, 1 << 20)) do
    data[#data + 1] = f
  end
  read_connect(pool, pool.shell:connect(nil, table.concat(data), PROTOCOL_VERSION))
  pool.listed = nil
  pool.pipelines = {}
  for i, id in ipairs(pool.pipeline_ids) do
    local p = new_pipeline(pool)
    p.id, p.command_id, p.state, p.defrag = id, id, "Disconnected", WSMan._psrp_defrag()
    pool.pipelines[i] = p
  end
end

--- Connects to a pool: one from `session:runspace_pools()` (another client's, or this client's
-- from an earlier session; MS-PSRP Connect), or one this client disconnected (Reconnect). The
-- pool is "Opened" after; a listed pool's unfinished pipelines are in `pool.pipelines` (state
-- "Disconnected": `p:connect()` then `p:wait()` or `p:output()` read their output).
function Pool:connect()
  if self.state ~= "Disconnected" then error("pool:connect: the RunspacePool is " .. self.state, 2) end
  if not self.listed then return self:reconnect() end
  local ok, err = pcall(connect_listed, self)
  if not ok then error("pool:connect: " .. tostring(err), 2) end
  self.state = "Opened"
  return self
end

--- Whether the pool is alive on the host and connected: a Get of its shell (MS-WSMV 3.1.4.1.31) says
-- its State. False when the host says Disconnected, or no longer knows the pool (its fault, as the
-- second value: an error object); a failed request also returns false and the error, so a caller
-- can tell "gone" from "unreachable".
-- @treturn boolean alive
-- @return[opt] the host's State ("Disconnected", ...) or the error
function Pool:is_alive()
  if self.state == "Closed" or not self.shell then return false, "the RunspacePool is " .. self.state end
  local ok, xml = pcall(self.session.Get, self.session, SHELL_URI .. "?ShellId=" .. self.id)
  if not ok then return false, xml end
  local state = xml:match("<[%w_]*:?State>([^<]*)</")
  if state == "Connected" then return true end
  return false, state
end

--- Closes the pool (deletes its shell on the host). Also on `<close>`; collection only queues it.
function Pool:close()
  if self.state == "Closed" then return end
  self.state = "Closed"
  self.shell:close()
end
Pool.__close = Pool.close

-- ---- pipelines --------------------------------------------------------------------------------

--- Adds a command (cmdlet, function or path); returns the pipeline for chaining.
function Pipeline:add_command(name, params)
  self.commands[#self.commands + 1] = { cmd = name, is_script = false, args = {} }
  for k, v in pairs(params or {}) do self:add_parameter(k, v) end
  return self
end

--- Ends the current statement: the commands added next form a new pipeline that runs after the
-- previous ones (as `;` separates statements in a script); returns the pipeline.
function Pipeline:add_statement()
  if #self.commands > 0 then
    self.commands = {}
    self.statements[#self.statements + 1] = self.commands
  end
  return self
end

--- Adds a script block as a command.
function Pipeline:add_script(text, use_local_scope)
  self.commands[#self.commands + 1] = { cmd = text, is_script = true, use_local_scope = use_local_scope, args = {} }
  return self
end

--- Adds a named parameter to the last command (a switch: value true).
function Pipeline:add_parameter(name, value)
  local c = self.commands[#self.commands]
  if not c then error("pipeline:add_parameter: add a command first", 2) end
  c.args[#c.args + 1] = { name = name, value = value }
  return self
end

--- Merges records of other streams of the last command into its output (PowerShell's `2>&1`,
-- `*>&1`): `p:merge("error")`, `p:merge{"warning", "verbose"}` or `p:merge("all")` (error,
-- warning, verbose, debug, information; all but error need a protocol 2.2+ host). Returns the
-- pipeline.
function Pipeline:merge(streams)
  local c = self.commands[#self.commands]
  if not c then error("pipeline:merge: add a command first", 2) end
  if streams == "all" then streams = { "error", "warning", "verbose", "debug", "information" } end
  if type(streams) == "string" then streams = { streams } end
  if type(streams) ~= "table" then error("pipeline:merge: a stream name or a list of them expected", 2) end
  c.merge = c.merge or {}
  for _, name in ipairs(streams) do
    if not MERGEABLE[name] then
      error(("pipeline:merge: unknown stream '%s' (error, warning, verbose, debug, information or all)")
        :format(tostring(name)), 2)
    end
    c.merge[name] = true
  end
  return self
end

--- Adds a positional argument to the last command.
function Pipeline:add_argument(value)
  local c = self.commands[#self.commands]
  if not c then error("pipeline:add_argument: add a command first", 2) end
  c.args[#c.args + 1] = { value = value }
  return self
end

local function send_all(p, frags)
  local max = p.pool.shell:max_payload()
  for _, payload in ipairs(pack(frags, max)) do p.pool.shell:send(p.command_id, payload) end
end

--- Starts the pipeline. `opts.input`: a list of objects piped in (`{n = N, ...}` for nils), sent
-- after the pipeline starts and ended with END_OF_PIPELINE_INPUT; or `true` to stream the input
-- with `p:write(...)` and end it with `p:end_input()`. A finished pipeline can be invoked again
-- (same commands, same id; its output, streams and state start afresh).
function Pipeline:invoke(opts)
  if TERMINAL[self.state] and self.done then -- again, with the same commands and id (as pypsrp does)
    self.state, self.done, self.error, self.had_errors = "NotStarted", nil, nil, nil
    self.queue, self.qhead, self.qtail, self.host_output = {}, 1, 0, {}
    self.streams = { error = {}, warning = {}, verbose = {}, debug = {}, information = {}, progress = {} }
  end
  if self.state ~= "NotStarted" then error("pipeline:invoke: the pipeline is " .. self.state, 2) end
  if #self.statements[1] == 0 and not self.metadata then
    error("pipeline:invoke: the pipeline has no command", 2)
  end
  opts = opts or {}
  local pool, input = self.pool, opts.input
  local max = pool.shell:max_payload()
  local frags = self.metadata and fragments(pool, T.GET_COMMAND_METADATA, self.id, self.metadata, max)
    or fragments(pool, T.CREATE_PIPELINE, self.id, create_pipeline(self, input == nil), max)
  self.defrag = WSMan._psrp_defrag()
  self.command_id = pool.shell:command(self.id, frags[1])
  self.state = "Running"
  self.input_open = input ~= nil
  -- the rest of the pipeline's message first, in Sends of its own (as Windows' client and pypsrp
  -- send it), then the input
  local rest = {}
  for i = 2, #frags do rest[#rest + 1] = frags[i] end
  if #rest > 0 then send_all(self, rest) end
  rest = {}
  if type(input) == "table" then
    for i = 1, input.n or #input do
      for _, f in ipairs(fragments(pool, T.PIPELINE_INPUT, self.id, input[i], max)) do rest[#rest + 1] = f end
    end
    for _, f in ipairs(fragments(pool, T.END_OF_PIPELINE_INPUT, self.id, nil, max)) do rest[#rest + 1] = f end
    self.input_open = false
  end
  if #rest > 0 then send_all(self, rest) end
  return self
end

-- Queues fragments for the next Send, sending whenever the next one would not fit.
local function queue_input(p, frags, max)
  local q = p.input_queue
  for _, f in ipairs(frags) do
    if q.size > 0 and q.size + #f > max then
      p.pool.shell:send(p.command_id, table.concat(q))
      p.input_queue = { size = 0 }
      q = p.input_queue
    end
    q[#q + 1] = f
    q.size = q.size + #f
  end
end

--- Sends input objects to a pipeline started with `invoke{input = true}`. Objects are packed into
-- Sends as large as the envelope allows (at most one Send's worth stays buffered until the next
-- write or `end_input`); returns the pipeline.
function Pipeline:write(...)
  if not self.input_open then error("pipeline:write: the pipeline takes no more input", 2) end
  local max = self.pool.shell:max_payload()
  self.input_queue = self.input_queue or { size = 0 }
  for i = 1, select("#", ...) do
    queue_input(self, fragments(self.pool, T.PIPELINE_INPUT, self.id, (select(i, ...)), max), max)
  end
  return self
end

--- Ends the input of a pipeline started with `invoke{input = true}` (sends what is buffered).
function Pipeline:end_input()
  if not self.input_open then return self end
  self.input_open = false
  local max = self.pool.shell:max_payload()
  self.input_queue = self.input_queue or { size = 0 }
  queue_input(self, fragments(self.pool, T.END_OF_PIPELINE_INPUT, self.id, nil, max), max)
  self.pool.shell:send(self.command_id, table.concat(self.input_queue))
  self.input_queue = nil
  return self
end

-- ---- host calls (MS-PSRP 2.2.2.27, 2.2.3.17) ----------------------------------------------------

local VOID_CALL = -100 -- the call id of methods that return nothing: no response is sent
local WRITE_METHODS = { Write1 = true, Write2 = true, WriteLine1 = true, WriteLine2 = true, WriteLine3 = true,
  WriteErrorLine = true, WriteDebugLine = true, WriteVerboseLine = true, WriteWarningLine = true }

local RAW_UI_VOID = { FlushInputBuffer = true, SetBufferContents1 = true, SetBufferContents2 = true,
  ScrollBufferContents = true }
local HOST_POLL = 1 -- seconds: each Receive of a pipeline that uses the pool's host, then of the pool

local function pool_of(target)
  return getmetatable(target) == Pool and target or target.pool
end

-- The raw UI methods (MS-PSRP 2.2.3.17, 27-51) the default host answers from pool.raw_ui (Set*
-- calls update it in host_call): true and the result, or false for another method.
local function raw_ui_call(pool, method)
  local name = method:match("^Get(.+)$")
  if name and RAW_UI[name] then
    if not pool.raw_ui then error("the host has no raw UI (host.raw_ui is false)", 0) end
    return true, raw_value(RAW_UI[name][2], pool.raw_ui[name])
  end
  name = method:match("^Set(.+)$")
  if (name and RAW_UI[name]) or RAW_UI_VOID[method] then return true, nil end
  if method == "GetKeyAvailable" then return true, false end
  return false
end

-- What the host does for a method the pool's host table does not handle.
local function default_host(target, method, args)
  if WRITE_METHODS[method] then
    local text = args[args.n]
    if method:match("^WriteLine") or method:match("Line$") then text = (text or "") .. "\n" end
    target.host_output[#target.host_output + 1] = text or ""
    return nil
  elseif method == "SetShouldExit" then
    pool_of(target).should_exit = args[1]
    return nil
  elseif method == "WriteProgress" then
    target.streams.progress[#target.streams.progress + 1] = args[2]
    return nil
  end
  local known, result = raw_ui_call(pool_of(target), method)
  if known then return result end
  error(("the host does not implement %s (give the pool's host table a %s function)"):format(method, method), 0)
end

-- ReadKey's answer: a KeyInfo (MS-PSRP 2.2.3.3) from {virtual_key_code =, character =,
-- control_key_state =, key_down =}; another value is sent as it is.
local function key_info(k)
  if type(k) ~= "table" or (k.character == nil and k.virtual_key_code == nil) then return k end
  local c = k.character
  if type(c) == "string" then c = utf8.codepoint(c) end
  return O { extended = { virtualKeyCode = math.tointeger(k.virtual_key_code) or 0,
    character = V("Char", tostring(c or 0)), controlKeyState = math.tointeger(k.control_key_state) or 0,
    keyDown = k.key_down ~= false } }
end

-- The answer to a host call: PIPELINE_HOST_RESPONSE to the pipeline, RUNSPACEPOOL_HOST_RESPONSE to
-- the pool, on the "pr" stream (MS-PSRP 2.2.2.28, 3.1.5.3).
local function host_response(target, call, via_pool, result, failure)
  local pool = pool_of(target)
  local ext = { ci = V("Int64", tostring(call.ci)), mi = call.mi }
  if failure then
    ext.me = O { type_names = { "System.Management.Automation.ErrorRecord", "System.Object" },
      to_string = tostring(failure) }
  else
    ext.mr = result
  end
  local max = pool.shell:max_payload()
  local pipeline = not via_pool and target ~= pool and target or nil
  local type = pipeline and T.PIPELINE_HOST_RESPONSE or T.RUNSPACEPOOL_HOST_RESPONSE
  for _, payload in ipairs(pack(fragments(pool, type, pipeline and pipeline.id, O { extended = ext }, max), max)) do
    pool.shell:send(pipeline and pipeline.command_id, payload, "pr")
  end
end

-- A host call (PIPELINE_HOST_CALL, or RUNSPACEPOOL_HOST_CALL for the pool's host: via_pool): the
-- pool's host table's function of that method name is called with the target (the pipeline, or
-- the pool) and the method's arguments; what it returns is the method's result. A raw UI Set* call also updates
-- pool.raw_ui, which answers the Get* calls.
host_call = function(target, call, via_pool)
  local pool = pool_of(target)
  local method = tostring(call.mi)
  local args = call.mp and call.mp.items or { n = 0 }
  local name = method:match("^Set(.+)$")
  if pool.raw_ui and name and RAW_UI[name] and args[1] ~= nil then
    pool.raw_ui[name] = raw_plain(RAW_UI[name][2], args[1])
  end
  local f = pool.host and pool.host[method]
  local ok, result
  if type(f) == "function" then
    ok, result = pcall(f, target, table.unpack(args, 1, args.n or #args))
    if ok and method == "ReadKey" then result = key_info(result) end
  else
    ok, result = pcall(default_host, target, method, args)
  end
  if call.ci == VOID_CALL then return end
  if ok then
    host_response(target, call, via_pool, result, nil)
  else
    host_response(target, call, via_pool, nil, result)
  end
end

-- The pool's messages in bytes read from its stream, host calls answered (for `target`: a pipeline
-- using the pool's host, else the pool).
pool_feed = function(pool, bytes, target)
  local out = {}
  for _, m in ipairs(pool.defrag:feed(bytes)) do
    local v = m.type == T.RUNSPACEPOOL_HOST_CALL and decode_one(m)
    if v then
      host_call(target or pool, v, true)
    elseif m.type ~= T.RUNSPACEPOOL_HOST_CALL then
      out[#out + 1] = m
    end
  end
  return out
end

local function handle(p, m)
  local v = decode_one(m)
  if m.type == T.PIPELINE_OUTPUT then
    p.qtail = p.qtail + 1
    p.queue[p.qtail] = { v }
  elseif STREAM_OF[m.type] then
    local list = p.streams[STREAM_OF[m.type]]
    list[#list + 1] = v
  elseif m.type == T.PIPELINE_STATE and v then
    p.state = PIPELINE_STATES[v.PipelineState] or tostring(v.PipelineState)
    if v.ExceptionAsErrorRecord then p.error = v.ExceptionAsErrorRecord end
  elseif m.type == T.PIPELINE_HOST_CALL and v then
    host_call(p, v)
  end
end

-- One Receive; false when the pipeline is over.
local function pump(p)
  if TERMINAL[p.state] and p.done then return false end
  if p.pool.state == "Disconnected" then
    error("pipeline: its RunspacePool is disconnected; pool:reconnect() first", 3)
  end
  local pool = p.pool
  local bytes, done = pool.shell:receive(p.command_id, p.use_runspace_host and HOST_POLL or pool.receive_timeout)
  for _, m in ipairs(p.defrag:feed(bytes)) do handle(p, m) end
  if done or TERMINAL[p.state] then p.done = true end
  if p.use_runspace_host and (bytes == "" or p.done) then
    -- its host calls come on the pool's stream (RUNSPACEPOOL_HOST_CALL): read while it waits for
    -- them, and once when it ended (its last void calls, such as Write-Host's, may be there)
    pool_feed(pool, (pool.shell:receive(nil, HOST_POLL)), p)
  end
  return true
end

local function check_connected(p, what)
  if p.state == "Disconnected" then error(what .. ": the pipeline is Disconnected; p:connect() first", 3) end
end

--- An iterator over the output objects as they arrive (starts the pipeline if needed):
-- `for obj in p:output() do ... end`. Nil output objects are skipped (nil would end the loop);
-- `p:wait()` keeps them as holes.
function Pipeline:output()
  check_connected(self, "pipeline:output")
  if self.state == "NotStarted" then self:invoke() end
  return function()
    while true do
      while self.qhead <= self.qtail do
        local item = self.queue[self.qhead]
        self.queue[self.qhead] = nil -- what was handed out is not kept
        self.qhead = self.qhead + 1
        if item[1] ~= nil then return item[1] end
      end
      if self.done or not pump(self) then return nil end
    end
  end
end

--- Runs the pipeline to its end (starting it if needed) and returns every output object
-- (`{n = N, ...}`, Nil objects as holes); `p.state`, `p.error`, `p.streams`, `p.had_errors` are set.
function Pipeline:wait()
  check_connected(self, "pipeline:wait")
  if self.state == "NotStarted" then self:invoke() end
  while not self.done do pump(self) end
  local out = { n = 0 }
  for i = self.qhead, self.qtail do
    out.n = out.n + 1
    out[out.n] = self.queue[i][1]
    self.queue[i] = nil
  end
  self.qhead = self.qtail + 1
  self.had_errors = self.state == "Failed" or #self.streams.error > 0
  return out
end

--- Connects to a disconnected pipeline of a pool from `session:runspace_pools()` (after
-- `pool:connect()`): its output is read again with `p:wait()` or `p:output()`.
function Pipeline:connect()
  if self.state ~= "Disconnected" then error("pipeline:connect: the pipeline is " .. self.state, 2) end
  if self.pool.state ~= "Opened" then error("pipeline:connect: the RunspacePool is " .. self.pool.state, 2) end
  self.pool.shell:connect(self.command_id)
  self.state = "Running"
  return self
end

--- Stops a running pipeline (PowerShell's stop signal) and waits for its end.
-- @tparam[opt] table opts `wait = false`: send the stop signal only (the host ends the pipeline;
--   its state is not read)
function Pipeline:stop(opts)
  if self.state ~= "Running" then return end
  self.pool.shell:signal(self.command_id, "ctrl_c")
  if opts and opts.wait == false then
    self.state, self.done = "Stopping", true
    return self
  end
  return self:wait()
end

--- A nested pipeline of this running one (MS-PSRP IsNested): it runs in the same runspace while
-- this pipeline runs, as PowerShell's nested prompts do; add commands and invoke it as any other.
function Pipeline:nested()
  if self.state ~= "Running" then error("pipeline:nested: the pipeline is " .. self.state, 2) end
  local p = new_pipeline(self.pool)
  p.is_nested, p.use_runspace_host = true, self.use_runspace_host
  return p
end

--- Runs a script in a new pool and returns its output (`{n = N, ...}`), its streams and whether it
-- had errors (pypsrp's execute_ps). `opts.input`: objects piped in; `opts.parameters`: a table of
-- named parameters for the script's param() block; the pool options are accepted too.
-- @return output, streams, had_errors
function M.ps(session, script, opts)
  if type(script) ~= "string" then error("session:ps: the script must be a string", 2) end
  opts = opts or {}
  local pool_opts = {}
  for k, v in pairs(opts) do
    if POOL_KEYS[k] then pool_opts[k] = v
    elseif k ~= "input" and k ~= "parameters" then error(("session:ps: unknown option '%s'"):format(tostring(k)), 2) end
  end
  local pool <close> = M.runspace_pool(session, pool_opts)
  local p = pool:pipeline():add_script(script)
  for k, v in pairs(opts.parameters or {}) do p:add_parameter(k, v) end
  p:invoke { input = opts.input }
  local out = p:wait()
  if p.error then table.insert(p.streams.error, p.error) end
  return out, p.streams, p.had_errors
end

M.Pool, M.Pipeline = Pool, Pipeline
return M
