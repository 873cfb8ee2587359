-- SPDX-License-Identifier: MIT
-- spec/helpers/psrp_captures.lua: the PSRP messages of the real Windows recordings
-- (../shared/captures/windows-pypsrp, pypsrp's, MIT), for specs and bench/ scripts.
--   local captures = require "helpers.psrp_captures"
--   captures.dir                 the recordings' directory
--   captures.files()             test_psrp_*, test_client_copy_*, test_client_fetch_* paths, sorted
--   captures.messages(path)      the CLIXML text of every PSRP message in the file, in order
-- Independent of the client's C framing (the specs check that against these): base64 and the
-- fragment header are read here in plain Lua.
local M = {}

M.dir = (os.getenv("WSMAN_SOURCE_ROOT") or ".") .. "/../shared/captures/windows-pypsrp"

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64val = {}
for i = 1, #B64 do b64val[B64:byte(i)] = i - 1 end

local function unbase64(s)
  local out, bits, nbits = {}, 0, 0
  for i = 1, #s do
    local v = b64val[s:byte(i)]
    if v then
      bits, nbits = ((bits << 6) | v) & 0xFFFFFF, nbits + 6
      if nbits >= 8 then
        nbits = nbits - 8
        out[#out + 1] = string.char((bits >> nbits) & 0xFF)
      end
    end
  end
  return table.concat(out)
end

-- Elements whose text is base64 PSRP fragments.
local PAYLOAD_TAGS = { creationXml = true, connectXml = true, ["rsp:Stream"] = true, ["rsp:Arguments"] = true }
local HEADER = 40 -- PSRP message header: destination, type, RPID, PID

-- The CLIXML of every PSRP message of a recording (fragments joined per object id), in order.
-- Only exchanges on a PowerShell resource URI count (a recording may also use a cmd shell).
-- YAML's folded continuation lines are joined first.
function M.messages(path)
  local text = assert(io.open(path)):read("a"):gsub("\n    +", " ")
  local out, pending, psrp = {}, {}, false
  for line in text:gmatch("[^\n]+") do
    if line:match("^%- request:") then psrp = line:find("schemas.microsoft.com/powershell/", 1, true) ~= nil end
    for tag, payload in line:gmatch("<([%w:]+)[^>]*>([%w+/=]+)</") do
      local raw, at = psrp and PAYLOAD_TAGS[tag] and unbase64(payload) or "", 1
      while at + 20 <= #raw do
        local oid, _, flags, len, nxt = string.unpack(">I8I8BI4", raw, at)
        local blob = raw:sub(nxt, nxt + len - 1)
        pending[oid] = (flags & 1 == 1) and blob or (pending[oid] or "") .. blob
        if flags & 2 == 2 then
          local msg = pending[oid]
          pending[oid] = nil
          if #msg > HEADER then out[#out + 1] = (msg:sub(HEADER + 1):gsub("^\239\187\191", "")) end
        end
        at = nxt + len
      end
    end
  end
  return out
end

function M.files()
  local files = {}
  local p = io.popen("ls " .. M.dir .. " 2>/dev/null")
  for name in p:lines() do
    if name:match("^test_psrp_.*%.yml$") or name:match("^test_client_copy_.*%.yml$")
        or name:match("^test_client_fetch_.*%.yml$") then
      files[#files + 1] = M.dir .. "/" .. name
    end
  end
  p:close()
  table.sort(files)
  return files
end

return M
