-- SPDX-License-Identifier: MIT

--- File transfer over PowerShell Remoting: `session:copy(local, remote)` and
-- `session:fetch(remote, local)`.
--
--     session:copy("build.zip", "%TEMP%\\build.zip")               --> "C:\\Users\\me\\AppData\\Local\\Temp\\build.zip"
--     session:fetch("C:\\Windows\\win.ini", "win.ini", { progress = function(done, total) end })
--
-- The remote side is a readable PowerShell script in the repository, `lua/wsman/ps/copy.ps1` and
-- `fetch.ps1` (built into wsman.so). Files are streamed in chunks sized from the session's
-- MaxEnvelopeSize, so memory stays flat whatever their size. Both sides hash the file (SHA-1):
-- a copy replaces the destination only when the host's hash of what arrived matches the client's,
-- a fetch renames its temporary file to the destination only when the host's hash matches what
-- arrived; otherwise the transfer fails and leaves no partial file. `%VARIABLES%` in the remote
-- path are expanded by the host (`expand_variables = false` turns that off) and a relative path
-- is relative to the remote user's home folder as PowerShell resolves it. Errors carry Windows'
-- own text ("The path at 'C:\\x' does not exist", "Access to the path 'C:\\Windows' is denied.").
--
-- Options: `expand_variables` (true), `progress(done_bytes, total_bytes)` (total is nil while a
-- fetch does not know it), `chunk_size` (bytes; default from MaxEnvelopeSize), and the runspace
-- pool's options (`configuration_name`, ...).
-- @module wsman.transfer
local WSMan = require "wsman.core"
local psrp = require "wsman.psrp"

local M = {}

local POOL_KEYS = { configuration_name = true, resource_uri = true, idle_timeout = true, receive_timeout = true }
local KEYS = { expand_variables = true, progress = true, chunk_size = true }
-- Room a PIPELINE_INPUT message takes around one chunk's base64: fragment and message headers,
-- the BOM, <S></S>.
local MESSAGE_OVERHEAD = 128
local READ_SIZE = 1 << 20

-- The remote script's text: the .ps1 beside the Lua modules when there is one, else the copy
-- built into wsman.so.
local function script(name)
  local path = package.searchpath("wsman.ps." .. name, (package.path:gsub("%.lua", ".ps1")))
  if path then
    local f = io.open(path, "rb")
    if f then
      local text = f:read("a")
      f:close()
      return text
    end
  end
  return require("wsman.ps." .. name)
end

local function split_opts(opts, what)
  opts = opts or {}
  if type(opts) ~= "table" then error(what .. ": options must be a table", 3) end
  local pool_opts = {}
  for k, v in pairs(opts) do
    if POOL_KEYS[k] then pool_opts[k] = v
    elseif not KEYS[k] then error(("%s: unknown option '%s'"):format(what, tostring(k)), 3) end
  end
  return opts, pool_opts
end

-- The text of a failed pipeline's error, as Windows worded it.
local function failure(p, what, path)
  local rec = p.error or p.streams.error[#p.streams.error]
  local text = rec and (rec.Exception and rec.Exception.Message or tostring(rec)) or p.state
  return ("%s %s: %s"):format(what, path, text)
end

-- Bytes of file content per chunk: a base64 chunk and its message fit one Send.
local function chunk_size(pool, opts)
  if opts.chunk_size then return opts.chunk_size end
  local room = pool.shell:max_payload() - MESSAGE_OVERHEAD
  return math.max(3, room // 4 * 3)
end

--- Copies a local file to the host; returns the destination's full path there.
function M.copy(session, local_path, remote_path, opts)
  local pool_opts
  opts, pool_opts = split_opts(opts, "session:copy")
  local f, err = io.open(local_path, "rb")
  if not f then error(("session:copy: cannot read %s: %s"):format(local_path, err), 2) end
  local total = f:seek("end")
  f:seek("set")
  local pool <close> = psrp.runspace_pool(session, pool_opts)
  local p = pool:pipeline():add_script(script("copy")):add_argument(remote_path)
    :add_argument(opts.expand_variables ~= false)
  p:invoke { input = true }
  local size, hash, done = chunk_size(pool, opts), WSMan._sha1(), 0
  while true do
    local chunk = f:read(size)
    if not chunk and done > 0 then break end
    chunk = chunk or "" -- an empty file is one empty chunk, as pypsrp sends it
    hash:update(chunk)
    p:write(WSMan._base64_encode(chunk))
    done = done + #chunk
    if opts.progress then opts.progress(done, total) end
    if #chunk == 0 then break end
  end
  f:close()
  p:write(WSMan._base64_encode(hash:hex()))
  p:end_input()
  local out = p:wait()
  if p.state ~= "Completed" then error(failure(p, "session:copy to", remote_path), 2) end
  return out[out.n]
end

--- Fetches a file from the host into a local file; returns the local path.
function M.fetch(session, remote_path, local_path, opts)
  local pool_opts
  opts, pool_opts = split_opts(opts, "session:fetch")
  local pool <close> = psrp.runspace_pool(session, pool_opts)
  local size = opts.chunk_size or math.min(chunk_size(pool, opts), READ_SIZE)
  local p = pool:pipeline():add_script(script("fetch")):add_argument(remote_path)
    :add_argument(opts.expand_variables ~= false):add_argument(size)
  local temp = ("%s.lua-wsman-%d.part"):format(local_path, math.random(1 << 30))
  local f, err = io.open(temp, "wb")
  if not f then error(("session:fetch: cannot write %s: %s"):format(local_path, err), 2) end
  local ok, result = pcall(function()
    local hash, done, pending = WSMan._sha1(), 0, nil
    for obj in p:output() do
      if pending then -- every output but the last is a chunk
        local chunk = WSMan._base64_decode(pending)
        hash:update(chunk)
        assert(f:write(chunk))
        done = done + #chunk
        if opts.progress then opts.progress(done, nil) end
      end
      pending = tostring(obj)
    end
    if p.state ~= "Completed" then error(failure(p, "session:fetch from", remote_path), 0) end
    local actual = hash:hex()
    if pending ~= actual then
      error(("session:fetch from %s: hash mismatch, the host's SHA-1 is %s, the data received has %s")
        :format(remote_path, tostring(pending), actual), 0)
    end
  end)
  f:close()
  if not ok then
    os.remove(temp)
    error(result, 2)
  end
  local renamed, rerr = os.rename(temp, local_path)
  if not renamed then
    os.remove(temp)
    error(("session:fetch: cannot write %s: %s"):format(local_path, rerr), 2)
  end
  return local_path
end

return M
