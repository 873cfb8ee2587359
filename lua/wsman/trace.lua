-- SPDX-License-Identifier: MIT

--- Tracing of the SOAP exchanges: what `WSMAN_TRACE`, `wsman -debug` and a `session.trace` hook
-- show.
--
--     session.trace = function(ev) print(ev.label, ev.status, ev.ms) end   -- any function
--     require("wsman.trace").attach(session, io.stderr)                     -- the text below
--
-- With `WSMAN_TRACE=1` (standard error) or `WSMAN_TRACE=/path/file` (appended) in the
-- environment, every session `CreateSession` makes is traced this way.
--
-- An event (a table) describes one HTTP exchange: `label` (the operation, e.g. `"Get"`, or the
-- authentication leg, e.g. `"Negotiate leg 1"`), `method`, `url`, `status` (0: no reply),
-- `request_headers` and `response_headers` (the header lines), `request_body` (the SOAP sent,
-- before message encryption), `response_body` (the SOAP received, after decryption),
-- `bytes_sent` and `bytes_received` (body bytes on the wire), `ms` and `error` (why it failed).
-- Credentials never appear: Authorization, Proxy-Authorization, WWW-Authenticate and
-- Proxy-Authenticate values are cut to their scheme and a byte count, and passwords are not in
-- the URL or the SOAP.
--
-- @module wsman.trace
local format = require "wsman.format"

local M = {}

local function pretty(body)
  if not body or body == "" then return nil end
  if body:find("^%s*<") then
    local ok, text = pcall(format.pretty, body)
    if ok then return text end
  end
  if body:find("[%z\1-\8\14-\31]") then return ("<%d bytes of binary data>"):format(#body) end
  return body
end

local function indent(text)
  return (text:gsub("\r?\n$", ""):gsub("\r?\n", "\n  "))
end

--- The text of an event, as `WSMAN_TRACE` and `wsman -debug` write it.
-- @tparam table ev a trace event
-- @treturn string lines ending with a newline
function M.format(ev)
  local parts = {
    ("== %s: %s %s -> %s (%d ms, %d bytes sent, %d received)\n"):format(ev.label or "request", ev.method or "POST",
      ev.url or "", ev.status and ev.status > 0 and ("HTTP " .. ev.status) or "no reply", ev.ms or 0,
      ev.bytes_sent or 0, ev.bytes_received or 0),
  }
  if ev.error then parts[#parts + 1] = "  error: " .. ev.error .. "\n" end
  if ev.request_headers and ev.request_headers ~= "" then
    parts[#parts + 1] = "  > " .. indent(ev.request_headers):gsub("\n  ", "\n  > ") .. "\n"
  end
  local sent = pretty(ev.request_body)
  if sent then parts[#parts + 1] = "  " .. indent(sent) .. "\n" end
  if ev.response_headers and ev.response_headers ~= "" then
    parts[#parts + 1] = "  < " .. indent(ev.response_headers):gsub("\n  ", "\n  < ") .. "\n"
  end
  local received = pretty(ev.response_body)
  if received then parts[#parts + 1] = "  " .. indent(received) .. "\n" end
  return table.concat(parts)
end

--- Writes the session's exchanges to a file (formatted by `format`, flushed after each).
-- @param session a Session
-- @param out an open file (io.stderr), or a path opened for appending
-- @return the session
function M.attach(session, out)
  if type(out) == "string" then
    out = assert(io.open(out, "a"))
  end
  session.trace = function(ev)
    out:write(M.format(ev))
    out:flush()
  end
  return session
end

--- Where `WSMAN_TRACE` says to write: io.stderr for "1", a path, or nil (unset, empty or "0").
-- @treturn file|string|nil
function M.from_env()
  local v = os.getenv("WSMAN_TRACE")
  if v == nil or v == "" or v == "0" then return nil end
  if v == "1" or v:lower() == "stderr" then return io.stderr end
  return v
end

return M
