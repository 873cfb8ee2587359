-- SPDX-License-Identifier: MIT

--- Session methods that speak Lua tables: `session:get`, `:put`, `:create`, `:delete`,
-- `:invoke`, `:enumerate`.
--
-- They sit next to the COM methods (`Get`, `Put`, ... which take and return XML strings) and
-- are loaded the first time one of them is used. They build the XML with `WSMan.encode`, call
-- the COM method, and turn the reply into a table with `WSMan.decode`. A failed operation
-- raises the foundation's error object (with `code`, `message`, `fault`, ...), exactly as the
-- COM method does.
--
--     local svc = session:get("wmicimv2/Win32_Service", { Name = "Spooler" })
--     print(svc.State)
--     session:invoke("StopService", "wmicimv2/Win32_Service", { Name = "Spooler" })
--     for p in session:enumerate("wmicimv2/Win32_Process") do print(p.ProcessId, p.Name) end
--
-- A resource is a URI string (aliases and `?Name=Value` selectors allowed), a ResourceLocator,
-- or an EPR table (`{resource_uri = ..., selectors = {...}}`, as `decode` gives for
-- references, `ResourceCreated` replies and `obj[WSMan.epr]`). The optional `selectors` table
-- (`{Name = "Spooler"}`) adds selectors to a URI string or EPR.
--
-- @module wsman.tables
local WSMan = require "wsman.core"
local results = require "wsman.results"

local decode, encode = results.decode, results.encode

local M = {}

local factory -- a WSMan object for CreateResourceLocator

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then error("selector names must be strings, got " .. type(k), 4) end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return keys
end

local function is_locator(v)
  return type(v) == "userdata"
end

-- The resource argument for the COM method, and its URI string (for encode).
local function resource(uri, selectors)
  if type(uri) == "table" then
    if type(uri.resource_uri) ~= "string" then
      error("resource: a URI string, a ResourceLocator or an EPR table with resource_uri expected", 3)
    end
    local merged = {}
    for k, v in pairs(uri.selectors or {}) do merged[k] = v end
    for k, v in pairs(selectors or {}) do merged[k] = v end
    uri, selectors = uri.resource_uri, merged
  end
  if selectors ~= nil and type(selectors) ~= "table" then
    error("selectors: a table {Name = value, ...} expected, got " .. type(selectors), 3)
  end
  if is_locator(uri) then
    if selectors and next(selectors) then
      for _, k in ipairs(sorted_keys(selectors)) do uri:AddSelector(k, selectors[k]) end
    end
    return uri, uri.ResourceURI
  end
  if type(uri) ~= "string" then
    error("resource: a URI string, a ResourceLocator or an EPR table expected, got " .. type(uri), 3)
  end
  if not selectors or next(selectors) == nil then return uri, uri end
  factory = factory or WSMan.new()
  local l = factory:CreateResourceLocator(uri)
  for _, k in ipairs(sorted_keys(selectors)) do
    local v = selectors[k]
    if type(v) == "table" then error(("selector %s: a string or number expected, got a table"):format(k), 3) end
    l:AddSelector(k, v)
  end
  return l, uri
end

-- A reply that is not XML (a text() fragment) is returned as it is.
local function reply(xml, opts)
  if not string.find(xml, "^%s*<") then return xml end
  return decode(xml, opts)
end

--- Gets a resource as a table (`Session.Get` + `WSMan.decode`).
-- @param session the Session
-- @param uri resource URI string, ResourceLocator or EPR table
-- @tparam[opt] table selectors `{Name = value}`
-- @tparam[opt] table opts decode options (`typed`, `arrays`)
-- @treturn table the instance (a string for a `text()` fragment)
function M.get(session, uri, selectors, opts)
  local res = resource(uri, selectors)
  return reply(session:Get(res), opts)
end

local function plain(v)
  return type(v) == "table" and getmetatable(v) == nil
end

local function is_object(v)
  if not plain(v) then return false end
  if v.resource_uri ~= nil or v.selectors ~= nil then return false end
  for k in pairs(v) do
    if type(k) == "string" then return true end
  end
  return false
end

local function merge(cur, changes, path)
  for k, v in pairs(changes) do
    if type(k) ~= "string" then error(("put: change names must be strings (%s)"):format(path), 0) end
    local old = cur[k]
    if old == nil then
      error("Parameter name does not match any properties on resource: " .. path .. k, 0)
    end
    if is_object(old) and is_object(v) then
      merge(old, v, path .. k .. ".")
    else
      cur[k] = v
    end
  end
end

--- Changes a resource as `winrm set` does: reads it, merges `changes` into it, and Puts the
-- whole instance back. Every key of `changes` must name an existing property (else an error
-- "Parameter name does not match any properties on resource: X"); a nested table of changes
-- merges into an embedded object (e.g. `{Client = {TrustedHosts = "*"}}` for `winrm/config`).
-- Values may be strings, numbers, booleans, `WSMan.null`, arrays, date objects.
-- @param session the Session
-- @param uri resource URI string, ResourceLocator or EPR table
-- @tparam table|nil selectors `{Name = value}` added to the resource's selectors
-- @tparam table changes `{Property = value, ...}`
-- @tparam[opt] table opts decode options for the result
-- @treturn table the updated instance, as the server returns it
function M.put(session, uri, selectors, changes, opts)
  if type(changes) ~= "table" then error("put: a table of changes expected, got " .. type(changes), 2) end
  local res, uristr = resource(uri, selectors)
  local cur = decode(session:Get(res))
  local ok, err = pcall(merge, cur, changes, "")
  if not ok then error(err, 2) end
  return reply(session:Put(res, encode(uristr, cur)), opts)
end

--- Creates a resource from a table (`WSMan.encode` + `Session.Create`).
-- @param session the Session
-- @param uri resource URI string (with the new resource's selectors where the resource wants
-- them, e.g. `winrm/config/Listener?Address=*+Transport=HTTP`) or ResourceLocator
-- @tparam table tbl the properties
-- @treturn table the new resource's selectors
-- @treturn table the whole EPR (`address`, `resource_uri`, `selectors`)
function M.create(session, uri, tbl)
  if type(tbl) ~= "table" then error("create: a table of properties expected, got " .. type(tbl), 2) end
  local res, uristr = resource(uri)
  local epr = decode(session:Create(res, encode(uristr, tbl)))
  return epr.selectors or {}, epr
end

--- Deletes a resource.
-- @param session the Session
-- @param uri resource URI string, ResourceLocator or EPR table
-- @tparam[opt] table selectors `{Name = value}` added to the resource's selectors
-- @treturn boolean true
function M.delete(session, uri, selectors)
  local res = resource(uri, selectors)
  session:Delete(res)
  return true
end

--- Invokes a method with a table of parameters and returns its output as a table.
-- @param session the Session
-- @tparam string method method name (`"StopService"`) or full action URI
-- @param uri resource URI string, ResourceLocator or EPR table
-- @tparam table|nil selectors `{Name = value}` added to the resource's selectors
-- @tparam[opt] table params input parameters (`{CommandLine = "calc.exe"}`)
-- @tparam[opt] table opts decode options for the output
-- @treturn table the `Method_OUTPUT` element as a table (`out.ReturnValue`)
function M.invoke(session, method, uri, selectors, params, opts)
  if type(method) ~= "string" then error("invoke: method name expected, got " .. type(method), 2) end
  if params ~= nil and type(params) ~= "table" then
    error("invoke: params must be a table, got " .. type(params), 2)
  end
  local res, uristr = resource(uri, selectors)
  return reply(session:Invoke(method, res, encode(uristr, params or {}, method)), opts)
end

local DIALECTS = rawget(WSMan, "_dialects") -- the core's dialect URIs, by short name
M.DIALECTS = DIALECTS

-- The selector dialect's filter: the core's SelectorSet writer.
local function selector_filter(t)
  local list = {}
  for i, k in ipairs(sorted_keys(t)) do list[i] = { k, tostring(t[k]) } end
  return rawget(WSMan, "_selector_set")(list)
end

local function hash_filter(t)
  local parts = {}
  for _, k in ipairs(sorted_keys(t)) do parts[#parts + 1] = k .. "=" .. tostring(t[k]) end
  return "{" .. table.concat(parts, ";") .. "}"
end

--- Streams the instances of a resource as tables:
-- `for obj in session:enumerate(uri [, opts]) do ... end`.
-- Only one batch is held at a time; leaving the loop early (`break`, an error) releases the
-- enumeration on the server at once (the enumerator is the loop's to-be-closed value).
-- @param session the Session
-- @param uri resource URI string, ResourceLocator or EPR table (`.../cimv2/*` for WQL)
-- @tparam[opt] table opts
--  `filter` (WQL text; a table `{Name = value}` for the selector dialect; a table or
--  `"{Object=...;...}"` string for the association dialect),
--  `dialect` (`"wql"` (default with a filter), `"selector"`, `"association"` or a URI),
--  `batch` (items per Pull, default 500),
--  `epr` (`true`: each object also gets its EPR in `obj[WSMan.epr]`; `"only"`: EPR tables
--  instead of objects),
--  `associations` (association dialect: association instances instead of associated ones),
--  `shallow`, `base_properties` (hierarchy flags), `typed`, `arrays` (decode options)
-- @return an iterator (plus the Enumerator as the loop's closing value)
function M.enumerate(session, uri, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("enumerate: opts must be a table, got " .. type(opts), 2) end
  local res = resource(uri)
  local filter, dialect = opts.filter, opts.dialect
  if dialect ~= nil and type(dialect) ~= "string" then error("enumerate: dialect must be a string", 2) end
  dialect = dialect and (DIALECTS[dialect:lower()] or dialect)
  if filter ~= nil and dialect == nil then
    dialect = type(filter) == "table" and DIALECTS.selector or DIALECTS.wql
  end
  local ldialect = dialect and dialect:lower()
  if type(filter) == "table" then
    if ldialect == DIALECTS.selector:lower() then
      filter = selector_filter(filter)
    else
      filter = hash_filter(filter)
    end
  elseif filter ~= nil and type(filter) ~= "string" then
    error("enumerate: filter must be a string or a table, got " .. type(filter), 2)
  end
  local flags = 0
  if opts.epr == "only" then
    flags = flags | WSMan.EnumerationFlagReturnEPR
  elseif opts.epr then
    flags = flags | WSMan.EnumerationFlagReturnObjectAndEPR
  end
  if opts.shallow then
    flags = flags | WSMan.EnumerationFlagHierarchyShallow
  elseif opts.base_properties then
    flags = flags | WSMan.EnumerationFlagHierarchyDeepBasePropsOnly
  end
  if opts.associations then
    if ldialect ~= DIALECTS.association:lower() then
      error("enumerate: associations is only valid with the association dialect", 2)
    end
    flags = flags | WSMan.EnumerationFlagAssociationInstance
  end
  local batch = opts.batch or 500
  local old = session.BatchItems
  session.BatchItems = batch
  local ok, e = pcall(session.Enumerate, session, res, filter, dialect, flags)
  session.BatchItems = old
  if not ok then error(e, 0) end
  local dopts = { typed = opts.typed, arrays = opts.arrays }
  return function()
    if e.AtEndOfStream then return nil end
    return decode(e:ReadItem(), dopts)
  end, nil, nil, e
end

return M
