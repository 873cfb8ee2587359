-- SPDX-License-Identifier: MIT
-- File transfer over PowerShell Remoting: session:copy and session:fetch against the
-- simulator's PowerShell plug-in (its sandbox is the host's C: drive) and replays of the real
-- Windows recordings test_client_copy_* and test_client_fetch_* (pypsrp's, MIT).
local sim = require "helpers.sim"
local WSMan = require "wsman"

local function tmpfile(content)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(content or "")
  f:close()
  return path
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Files in a local directory whose name starts with prefix (leftover temporary files).
local function leftovers(path)
  local dir, base = path:match("^(.*)/([^/]*)$")
  local p = io.popen(("ls -a %q 2>/dev/null"):format(dir))
  local n = 0
  for name in p:lines() do
    if name ~= base and name:sub(1, #base) == base then n = n + 1 end
  end
  p:close()
  return n
end

describe("copy and fetch against the simulator's plug-in", function()
  local s, session, box
  setup(function()
    s = sim.start { "--allow-unencrypted" }
    session = sim.session(s)
    box = s.ps_sandbox
  end)

  it("round trips of 0 B, 1 B, exactly one chunk, one chunk and a byte, several chunks", function()
    local size = 3000
    for _, n in ipairs { 0, 1, size, size + 1, 5 * size + 7 } do
      local data = {}
      for i = 1, n do data[i] = string.char((i * 7 + n) % 256) end
      data = table.concat(data)
      local src = tmpfile(data)
      local remote = ("C:\\Users\\testuser\\Documents\\f%d.bin"):format(n)
      local calls = 0
      assert.equals(remote, session:copy(src, ("f%d.bin"):format(n), { chunk_size = size,
        progress = function(done, total)
          calls = calls + 1
          assert.equals(n, total)
          assert.is_true(done <= total)
        end }))
      assert.equals(data, slurp(box .. "/C/Users/testuser/Documents/" .. ("f%d.bin"):format(n)))
      assert.equals(math.max(1, (n + size - 1) // size), calls)
      local back = tmpfile()
      assert.equals(back, session:fetch(remote, back, { chunk_size = size }))
      assert.equals(data, slurp(back))
      os.remove(src)
      os.remove(back)
    end
  end)

  it("%VARIABLES% in remote paths are expanded, unless expand_variables = false", function()
    local src = tmpfile("vars")
    assert.equals("C:\\Users\\testuser\\AppData\\Local\\Temp\\v.txt", session:copy(src, "%TEMP%\\v.txt"))
    assert.equals("vars", slurp(box .. "/C/Users/testuser/AppData/Local/Temp/v.txt"))
    assert.equals("C:\\Users\\testuser\\Documents\\%NOPE%", session:copy(src, "%NOPE%"))
    local back = tmpfile()
    session:fetch("%TEMP%\\v.txt", back)
    assert.equals("vars", slurp(back))
    local ok, err = pcall(session.fetch, session, "%TEMP%\\v.txt", back, { expand_variables = false })
    assert.is_false(ok)
    assert.matches("does not exist", err)
    os.remove(src)
    os.remove(back)
  end)

  it("the errors Windows gives, and no partial file left", function()
    local back = os.tmpname()
    os.remove(back)
    local ok, err = pcall(session.fetch, session, "C:\\nope.txt", back)
    assert.is_false(ok)
    assert.equals("session:fetch from C:\\nope.txt: The path at 'C:\\nope.txt' does not exist", err)
    assert.is_false(exists(back))
    assert.equals(0, leftovers(back))
    ok, err = pcall(session.fetch, session, "C:\\Windows", back)
    assert.is_false(ok)
    assert.equals("session:fetch from C:\\Windows: The path at 'C:\\Windows' is a directory, src must be a file", err)
    local src = tmpfile("x")
    ok, err = pcall(session.copy, session, src, "C:\\Windows")
    assert.is_false(ok)
    assert.matches("Access to the path 'C:\\Windows' is denied.", err, 1, true)
    ok, err = pcall(session.copy, session, src, "C:\\no\\such\\dir\\f")
    assert.is_false(ok)
    assert.matches("Could not find a part of the path", err, 1, true)
    ok, err = pcall(session.copy, session, "/nonexistent/file", "f")
    assert.is_false(ok)
    assert.matches("session:copy: cannot read /nonexistent/file", err, 1, true)
    assert.has_error(function() session:copy(src, "f", { chunksize = 1 }) end,
      "session:copy: unknown option 'chunksize'")
    os.remove(src)
  end)

  it("a corrupted chunk is detected by the host and leaves no file", function()
    -- what session:copy sends, with one chunk altered after it was hashed
    local pool <close> = session:runspace_pool()
    local script = assert(slurp(sim.root .. "/lua/wsman/ps/copy.ps1"))
    local p = pool:pipeline():add_script(script):add_argument("corrupt.bin"):add_argument(true)
    p:invoke { input = true }
    local hash = WSMan._sha1():update("good data"):hex()
    p:write(WSMan._base64_encode("g00d data"), WSMan._base64_encode(hash)):end_input()
    p:wait()
    assert.equals("Failed", p.state)
    assert.matches("Transport failure, hash mismatch\r\nActual: ", tostring(p.error), 1, true)
    assert.is_false(exists(box .. "/C/Users/testuser/Documents/corrupt.bin"))
  end)
end)

describe("replays of real Windows recordings", function()
  local replay = sim.replay

  it("test_client_copy_file_failure: the host's hash mismatch text", function()
    replay("test_client_copy_file_failure.yml", function(rs)
      local src = tmpfile("abcdefghijklmnopqrstuvwxyz")
      local ok, err = pcall(rs.copy, rs, src, "test_file", { expand_variables = false })
      os.remove(src)
      assert.is_false(ok)
      assert.equals("session:copy to test_file: Transport failure, hash mismatch\r\n"
        .. "Actual: 32d10c7b8cf96570ca04ce37f2a19d84240d3a89\r\n"
        .. "Expected: c3499c2729730a7f807efb8676a92dcb6f8a3f8f", err)
    end)
  end)

  it("test_client_copy_file, _copy_expand_vars, _copy_file_warning: the recorded copies", function()
    local src = tmpfile("abcdefghijklmnopqrstuvwxyz")
    for name, want in pairs { ["test_client_copy_file.yml"] = "C:\\Users\\vagrant-domain\\Documents\\test_file",
      ["test_client_copy_expand_vars.yml"] = "C:\\Users\\vagrant\\AppData\\Local\\Temp\\test_file" } do
      replay(name, function(rs)
        assert.equals(want, rs:copy(src, "%TEMP%\\test_file"))
        rs:copy(src, "test_file") -- the recording copies twice, then checks with two cmd.exe commands
        rs:run_cmd("powershell.exe", { "-Command", "Test-Path test_file" })
        rs:run_cmd("powershell.exe", { "-Command", "Get-Content test_file" })
      end)
    end
    replay("test_client_copy_file_warning.yml", function(rs)
      -- the host's warning (a PowerShell 5.1 quirk of pypsrp's script) does not fail the copy
      assert.equals("C:\\Users\\vagrant\\Documents\\test_file", rs:copy(src, "test_file"))
      rs:run_cmd("powershell.exe", { "-Command", "Get-Content test_file" })
    end)
    os.remove(src)
  end)

  it("test_client_copy_file_empty: an empty file is one empty chunk", function()
    replay("test_client_copy_file_empty.yml", function(rs)
      local src = tmpfile("")
      assert.equals("C:\\Users\\vagrant-domain\\Documents\\test_file", rs:copy(src, "test_file"))
      os.remove(src)
      -- the recording then checks the file with two cmd.exe commands
      rs:run_cmd("powershell.exe", { "-Command", "Test-Path test_file" })
      rs:run_cmd("powershell.exe", { "-Command", "(Get-Item test_file).Length" })
    end)
  end)

  it("test_client_copy_file_really_large: chunked as pypsrp chunked it, one chunk per Send", function()
    -- The replay compares the PSRP messages starting in each Send: pypsrp sent 7 chunks of its
    -- file (6 of 85404 bytes, then 7578 bytes with the hash and the end of input), one per Send.
    -- The same chunk size and an envelope where one chunk (and no second one) fits a Send give
    -- the same sequence; the host's reply (the destination path) is the recorded one.
    replay("test_client_copy_file_really_large.yml", function(_, r)
      local data = ("0123456789"):rep(52000) .. "ab" -- 520002 bytes = 6 * 85404 + 7578
      local src = tmpfile(data)
      local done = {}
      local big = r.session(function(o) o.max_envelope_size = 160000 end)
      local path = big:copy(src, "test_file", { chunk_size = 85404, progress = function(n) done[#done + 1] = n end })
      os.remove(src)
      assert.equals("C:\\Users\\vagrant\\Documents\\test_file", path)
      assert.equals(7, #done)
      assert.equals(#data, done[7])
    end)
  end)

  it("test_client_fetch_file: several Receives until the pipeline is done", function()
    replay("test_client_fetch_file.yml", function(rs)
      local back = os.tmpname()
      assert.equals(back, rs:fetch("C:\\temp\\file.txt", back))
      local data = slurp(back)
      os.remove(back)
      -- (never compared with assert.equals: a failure would print all of it)
      assert.is_true(#data > 100000, #data .. " bytes")
      assert.is_true(data:sub(1, 5) == "abc\r\n" and not data:find("[^abc\r\n]"), "not the recorded text")
    end)
  end)

  it("test_client_fetch_file_expand_vars", function()
    replay("test_client_fetch_file_expand_vars.yml", function(rs)
      local back = os.tmpname()
      rs:fetch("%TEMP%\\file.txt", back)
      assert.equals("abc\r\n\r\n", slurp(back))
      os.remove(back)
    end)
  end)

  it("test_client_fetch_file_hash_mismatch: the recorded data does match the host's hash", function()
    -- pypsrp's test replaced its own SHA-1 by a wrong one to see its client fail; the recorded
    -- data and the host's hash (eec729d9...) agree, so an honest client gets the file
    replay("test_client_fetch_file_hash_mismatch.yml", function(rs)
      local back = os.tmpname()
      assert.equals(back, rs:fetch("C:\\temp\\file.txt", back))
      assert.equals(("abc\r\n"):rep(5) .. "\r\n", slurp(back))
      os.remove(back)
    end)
  end)

  it("test_client_fetch_file_fail_dir and _fail_missing: Windows' texts, no file left", function()
    local back = os.tmpname()
    os.remove(back)
    replay("test_client_fetch_file_fail_dir.yml", function(rs)
      local ok, err = pcall(rs.fetch, rs, "C:\\Windows", back)
      assert.is_false(ok)
      assert.equals("session:fetch from C:\\Windows: The path at 'C:\\Windows' is a directory, src must be a file",
        err)
    end)
    replay("test_client_fetch_file_fail_missing.yml", function(rs)
      local ok, err = pcall(rs.fetch, rs, "C:\\fakefile.txt", back)
      assert.is_false(ok)
      assert.equals("session:fetch from C:\\fakefile.txt: The path at 'C:\\fakefile.txt' does not exist", err)
    end)
    assert.is_false(exists(back))
    assert.equals(0, leftovers(back))
  end)
end)
