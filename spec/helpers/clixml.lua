-- SPDX-License-Identifier: MIT
-- spec/helpers/clixml.lua: decoded CLIXML values in specs.
--   clixml.one(xml [, opts])   the one value of a document (WSMan.clixml_decode), asserting there is one
--   clixml.same(a, b)          true when two decoded values are alike in depth, else false and where
local WSMan = require "wsman"

local M = {}

function M.one(xml, opts)
  local r = WSMan.clixml_decode(xml, opts)
  assert(r.n == 1, ("%d values, not one"):format(r.n))
  return r[1]
end

-- Decoded values compared in depth (PSValues by type and text, cycles followed once). A property
-- set whose values are all Nil is an empty table in plain Lua, and is not written again.
function M.same(a, b, seen)
  seen = seen or {}
  if b == nil and type(a) == "table" and getmetatable(a) == nil and next(a) == nil then return true end
  if type(a) ~= "table" or type(b) ~= "table" then
    if a ~= b and not (a ~= a and b ~= b) then return false, tostring(a) .. " ~= " .. tostring(b) end
    return math.type(a) == math.type(b), "number kinds differ"
  end
  if getmetatable(a) ~= getmetatable(b) then return false, "metatables differ" end
  if seen[a] then return seen[a] == b, "references differ" end
  seen[a] = b
  for k, v in pairs(a) do
    local ok, why = M.same(v, rawget(b, k), seen)
    if not ok then return false, tostring(k) .. ": " .. why end
  end
  for k in pairs(b) do
    if rawget(a, k) == nil then return false, tostring(k) .. " appeared" end
  end
  return true
end

return M
