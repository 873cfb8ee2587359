-- SPDX-License-Identifier: MIT

--- Many hosts from the `wsman` command, as PowerShell's `Invoke-Command -ComputerName` does:
-- the host list of `-r:` (`host1,host2`, `@FILE`, `-` for standard input), the task group that
-- runs one operation per host (`-throttle:N` at a time, default 32), and what is written as each
-- host completes: one JSON object per line with `-format:jsonl`, one JSON array with
-- `-format:json`, else every line of a host's output prefixed with its name. A progress line on
-- stderr when it is a terminal; a summary of the failures on stderr; status 1 when any failed.
--
--     wsman identify -r:@hosts.txt -u:admin -a:ntlm -format:jsonl -throttle:64
--
-- `wsman.cli` parses and checks the command once, then hands `run` a job that performs it on
-- one host (in a task) and returns that host's record.
-- @module wsman.fanout
local format = require "wsman.format"

local M = {}

--- Hosts in flight at once when `-throttle:` is not given (PowerShell's `-ThrottleLimit`).
M.DEFAULT_THROTTLE = 32

local EXIT_FAILED = 1 -- some host failed or its command exited non-zero

local json_string = format.json_string

--- Whether a `-r:` value names a list of hosts (a comma, `@FILE` or `-`) rather than one.
-- @tparam string remote the value of `-r:`
-- @treturn boolean
function M.is_list(remote)
  return remote ~= nil and (remote:find(",", 1, true) ~= nil or remote:sub(1, 1) == "@" or remote == "-")
end

-- Adds the hosts of one line of a list: the text before `#`, trimmed; nothing for an empty one.
local function add_line(hosts, line)
  local host = line:gsub("#.*$", ""):match("^%s*(.-)%s*$")
  if host ~= "" then hosts[#hosts + 1] = host end
end

--- The hosts of a `-r:` list, in order (duplicates kept, as Invoke-Command runs them twice).
-- Items are separated by commas; an item `@FILE` adds the lines of FILE, `-` the lines of
-- standard input (one host per line; `#` starts a comment; blank lines are skipped).
-- @tparam string remote the value of `-r:`
-- @tparam function read_line reads one line of standard input (nil at its end)
-- @treturn table|nil the hosts, or nil and a message saying what is wrong
-- @treturn string
function M.hosts(remote, read_line)
  local hosts = {}
  for item in (remote .. ","):gmatch("(.-),") do
    item = item:match("^%s*(.-)%s*$")
    if item == "-" then
      for line in read_line do add_line(hosts, line) end
    elseif item:sub(1, 1) == "@" then
      local f, why = io.open(item:sub(2), "r")
      if not f then return nil, ("cannot read the host list -r:%s: %s"):format(item, why) end
      for line in f:lines() do add_line(hosts, line) end
      f:close()
    elseif item ~= "" then
      hosts[#hosts + 1] = item
    end
  end
  if #hosts == 0 then return nil, ("-r:%s names no host"):format(remote) end
  return hosts
end

-- ------------------------------------------------------------------------------------------
-- A host's record as JSON
-- ------------------------------------------------------------------------------------------

-- The fields of an error object written to JSON, in this order (`fault`, the WSManFault XML,
-- only when the host sent it: a failure on the client's side has its text in `message`).
local ERROR_FIELDS = { "code", "name", "message", "operation", "endpoint", "http_status", "retry", "reason",
  "machine", "subcode", "fault_detail", "fault" }
local SENT_BY_HOST = { fault = "http_status" }

local function json_value(v)
  if type(v) == "string" then return json_string(v) end
  if math.type(v) == "integer" then return ("%d"):format(v) end
  return format.json(v)
end

local function error_json(err)
  if type(err) ~= "table" then return '{"message":' .. json_string(tostring(err)) .. "}" end
  local parts = {}
  for _, k in ipairs(ERROR_FIELDS) do
    local v = err[k]
    if v ~= nil and (not SENT_BY_HOST[k] or err[SENT_BY_HOST[k]] ~= nil) then
      parts[#parts + 1] = json_string(k) .. ":" .. json_value(v)
      if k == "code" and math.type(v) == "integer" then
        parts[#parts + 1] = '"hex":' .. json_string(("0x%08X"):format(v & 0xFFFFFFFF))
      end
    end
  end
  for _, k in ipairs { "provider", "wmi" } do
    if type(err[k]) == "table" then parts[#parts + 1] = json_string(k) .. ":" .. format.json(err[k]) end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function trim_newline(s)
  return (s:gsub("\n$", ""))
end

-- The "result" of a host that answered: the JSON the operation printed (`json`), the command's
-- status and output (`command`), or the printed text (`text`).
local function result_json(rec)
  if rec.kind == "command" then
    return ('{"exit_code":%d,"stdout":%s,"stderr":%s}'):format(rec.exit_code, json_string(rec.out),
      json_string(rec.err))
  end
  local out = trim_newline(rec.out)
  if out == "" then return "null" end
  -- (the JSON the verbs print has line breaks only between values: strings escape theirs)
  if rec.kind == "json" then return (out:gsub("\n", "")) end
  return json_string(out)
end

--- The JSON object of one host: `{"host":..., "ok":true, "result":...}` or
-- `{"host":..., "ok":false, "error":{"code":..., "hex":..., "message":..., ...}}`.
-- @tparam string host
-- @tparam table rec the job's record: `failed`, `error`, `kind`, `out`, `err`, `exit_code`
-- @treturn string
function M.json_object(host, rec)
  if rec.failed then
    return '{"host":' .. json_string(host) .. ',"ok":false,"error":' .. error_json(rec.error) .. "}"
  end
  return '{"host":' .. json_string(host) .. ',"ok":true,"result":' .. result_json(rec) .. "}"
end

-- ------------------------------------------------------------------------------------------
-- Writers: what is written as each host completes
-- ------------------------------------------------------------------------------------------

local function prefixed(f, host, text)
  if text == "" then return end
  for line in (text:sub(-1) == "\n" and text or text .. "\n"):gmatch("(.-)\n") do
    f:write(host, ": ", line, "\n")
  end
  f:flush()
end

-- Text, XML and pretty output: each line of the host's output and messages, prefixed "host: "
-- (with live streams, what the host wrote is out already: only the end is left to say).
local function text_writer(o)
  return {
    host = function(host, rec)
      prefixed(o.out, host, rec.out)
      local err = rec.err
      if rec.failed and rec.message then err = err .. "Error: " .. rec.message .. "\n" end
      prefixed(o.err, host, err)
      if not rec.failed and rec.kind == "command" and rec.exit_code ~= 0 then
        prefixed(o.err, host, ("exited with status %d"):format(rec.exit_code))
      end
    end,
    finish = function() end,
  }
end

-- A host's live stream (text output of `run`): each complete line is written at once, prefixed
-- with the host's name (the progress line cleared first); the rest of a line waits for its end.
local function live_stream(f, host, progress)
  local pending = ""
  local w = {}
  function w.write(self, ...)
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    pending = pending .. table.concat(parts, "", 1, parts.n)
    local upto = pending:match(".*\n()")
    if upto then
      if progress then progress.clear() end
      prefixed(f, host, pending:sub(1, upto - 1))
      pending = pending:sub(upto)
    end
    return self
  end
  function w.flush(self) return self end
  function w.text() return "" end
  function w.close()
    if pending ~= "" then
      if progress then progress.clear() end
      prefixed(f, host, pending)
      pending = ""
    end
  end
  return w
end

local function jsonl_writer(o)
  return {
    host = function(host, rec)
      o.out:write(M.json_object(host, rec), "\n")
      o.out:flush()
    end,
    finish = function() end,
  }
end

local function json_writer(o)
  local count = 0
  return {
    host = function(host, rec)
      count = count + 1
      o.out:write(count == 1 and "[\n" or ",\n", M.json_object(host, rec))
      o.out:flush()
    end,
    finish = function()
      o.out:write(count == 0 and "[]\n" or "\n]\n")
    end,
  }
end

-- The progress line on stderr (a terminal): done/total, failures, hosts per second; one line,
-- overwritten, cleared before anything else is written to stderr.
local function progress_line(o, total)
  local shown = false
  local t0 = o.now_ms()
  local p = {}
  function p.clear()
    if shown then
      o.err:write("\r\27[K")
      o.err:flush()
      shown = false
    end
  end
  function p.show(done, failed)
    local s = (o.now_ms() - t0) / 1000
    o.err:write(("\r\27[K%d/%d hosts done, %d failed%s"):format(done, total, failed,
      s > 0 and ("  %.1f hosts/s"):format(done / s) or ""))
    o.err:flush()
    shown = true
  end
  return p
end

local function summary(o, total, failed, nonzero)
  if failed == 0 and nonzero == 0 then return 0 end
  local parts = {}
  if failed > 0 then parts[#parts + 1] = ("%d of %d hosts failed"):format(failed, total) end
  if nonzero > 0 then
    parts[#parts + 1] = ("%d of %d commands exited with a non-zero status"):format(nonzero, total)
  end
  o.err:write("wsman: ", table.concat(parts, "; "), "\n")
  return EXIT_FAILED
end

--- Runs `job(host)` for every host in a task group and writes each host's record as it completes.
-- @tparam table o `hosts`, `job` (host -> record), `tasks` (`WSMan.tasks`), `throttle`,
-- `format` ("jsonl", "json", else text), `out`, `err` (files), `progress` (boolean: show the
-- progress line), `now_ms` (a clock), optional `name` (host -> the name written for it) and
-- `live` (text formats: `job(host, streams)` gets `streams.out`/`.err` that write each line at
-- once, prefixed, instead of the record's `out`/`err` at the end)
-- @treturn integer the exit status: 0, or 1 when any host failed or its command exited non-zero
function M.run(o)
  local group = o.tasks { limit = o.throttle or M.DEFAULT_THROTTLE }
  local writer = (o.format == "jsonl" and jsonl_writer or o.format == "json" and json_writer or text_writer)(o)
  local progress = o.progress and progress_line(o, #o.hosts)
  local name = o.name or function(host) return host end
  local live = o.live and o.format ~= "jsonl" and o.format ~= "json"
  for i, host in ipairs(o.hosts) do
    group:spawn(function()
      if not live then return o.job(host) end
      local streams = { out = live_stream(o.out, name(host), progress), err = live_stream(o.err, name(host), progress) }
      local ok, rec = pcall(o.job, host, streams)
      streams.out.close()
      streams.err.close()
      if not ok then error(rec, 0) end
      return rec
    end, i)
  end
  local done, failed, nonzero = 0, 0, 0
  for i, ok, rec in group:results() do
    if not ok then rec = { failed = true, error = rec, message = tostring(rec), out = "", err = "" } end
    done = done + 1
    if rec.failed then
      failed = failed + 1
    elseif rec.kind == "command" and rec.exit_code ~= 0 then
      nonzero = nonzero + 1
    end
    if progress then progress.clear() end
    writer.host(name(o.hosts[i]), rec)
    if progress then progress.show(done, failed) end
  end
  if progress then progress.clear() end
  writer.finish()
  o.out:flush()
  return summary(o, #o.hosts, failed, nonzero)
end

return M
