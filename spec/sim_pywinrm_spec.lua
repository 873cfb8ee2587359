-- SPDX-License-Identifier: MIT
-- Interoperability of the WinRM simulator (spec/sim/winrm-sim) with an independent client:
-- Debian's python3-winrm (pywinrm) sends Get and Enumerate/Pull envelopes with Protocol.send_message
-- over HTTP (Basic, AllowUnencrypted) and HTTPS, and authenticates with NTLM under Negotiate
-- (requests-ntlm / ntlm-auth) with WinRM message encryption over HTTP, with channel binding over HTTPS
-- (CbtHardeningLevel=Strict), and with a client certificate. spec/sim/tests/pywinrm_check.py prints TAP;
-- each TAP line becomes one test here.

local function script_dir()
  local source = debug.getinfo(1, "S").source
  local dir = source:match("^@(.*)/[^/]*$") or "."
  return dir
end

local check = script_dir() .. "/sim/tests/pywinrm_check.py"

local function run_check()
  local pipe = assert(io.popen("/usr/bin/python3 " .. check .. " 2>&1", "r"))
  local output = pipe:read("a")
  local ok, how, code = pipe:close()
  return output, ok, how, code
end

describe("winrm-sim with pywinrm", function()
  local output, exited_ok, how, code = run_check()
  local plan = tonumber(output:match("^1%.%.(%d+)") or output:match("\n1%.%.(%d+)"))
  local results = {}
  for line in output:gmatch("[^\n]+") do
    local status, num, name = line:match("^(n?o?t? ?ok) (%d+) %- (.*)$")
    if status then
      results[#results + 1] = { ok = (status == "ok"), num = tonumber(num), name = name, detail = {} }
    elseif line:sub(1, 1) == "#" and #results > 0 then
      table.insert(results[#results].detail, line)
    end
  end

  it("runs every planned check and exits 0", function()
    assert.is_not_nil(plan, "no TAP plan in output:\n" .. output)
    assert.are.equal(plan, #results, output)
    assert.is_true(exited_ok == true, ("pywinrm_check.py %s %s\n%s"):format(tostring(how), tostring(code), output))
  end)

  for _, r in ipairs(results) do
    it(r.name, function()
      if not r.ok then
        error(("pywinrm check %d failed: %s\n%s"):format(r.num, r.name, table.concat(r.detail, "\n")), 0)
      end
    end)
  end
end)
