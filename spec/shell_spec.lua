-- SPDX-License-Identifier: MIT
-- Remote commands: WinRS shells, processes with streamed output and stdin, run_cmd,
-- run_ps, CLIXML, quotas, cleanup, replays of real Windows recordings. Real sockets, the bundled
-- simulator running the commands through /bin/sh on this machine.
local sim = require "helpers.sim"
local WSMan = require "wsman"

local ERROR_TIMEOUT = 0x800705B4
local QUOTA_MAX_SHELLS = 2150859173
local QUOTA_MAX_OPERATIONS = 2150859174
local UNEXPECTED_SELECTORS = 2150858843
local CTRL_C_EXIT = -1073741510

-- Helper programs run without the sanitizer runtime a sanitizer build preloads into this process
-- (in pgrep it can deadlock at start-up).
local CLEAN = "env -u LD_PRELOAD "

local function sleep(seconds)
  os.execute(CLEAN .. "sleep " .. seconds)
end

local function now()
  local p = io.popen(CLEAN .. "date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- Runs a shell snippet with sh -c (the argument reaches sh as it is: arguments keep their boundaries).
local function sh_c(script)
  return "sh", { "-c", script }
end


-- processes of this machine whose command line matches the pattern (written so that it does not
-- match the pgrep command line itself, e.g. "slee[p] 31.5")
local function running(pattern)
  local p = io.popen(CLEAN .. "pgrep -f " .. sh_quote(pattern) .. " 2>/dev/null")
  local out = p:read("a")
  p:close()
  return out ~= ""
end

local function wait_until(cond, seconds)
  local deadline = now() + (seconds or 5)
  while now() < deadline do
    if cond() then return true end
    sleep(0.05)
  end
  return cond()
end

local function put_config(session, path, element, ns, settings)
  local xml = { '<cfg:', element, ' xmlns:cfg="', ns, '">' }
  for k, v in pairs(settings) do xml[#xml + 1] = ("<cfg:%s>%s</cfg:%s>"):format(k, v, k) end
  xml[#xml + 1] = "</cfg:" .. element .. ">"
  session:Put(path, table.concat(xml))
end

local function reset(session)
  session:Invoke("Reset", sim.CONTROL, "<p:Reset_INPUT xmlns:p=\"" .. sim.CONTROL .. "\"/>")
end

describe("remote commands", function()
  local s, session

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    session = sim.session(s)
  end)

  after_each(function()
    collectgarbage()
    collectgarbage()
    reset(session)
  end)

  describe("session:run_cmd", function()
    it("returns stdout, stderr and the exit code", function()
      local out, err, code = session:run_cmd("cmd.exe", "/c echo out && echo err>&2 && exit 3")
      assert.equals("out\n", out)
      assert.equals("err\n", err)
      assert.equals(3, code)
    end)

    it("passes every argument and reports exit code 0", function()
      local out, err, code = session:run_cmd("echo", { "a", "b c", 42 })
      assert.same({ "a b c 42\n", "", 0 }, { out, err, code })
    end)

    -- What a Windows program receives is what the table held: the client quotes by the Windows
    -- command-line rules, the simulator splits by them (through cmd.exe's operators and quoting)
    -- and hands each argument to /bin/sh as one word. Arguments holding a double quote come last:
    -- cmd.exe counts every quote, so one would hide the operators after it (as on Windows).
    local TRICKY = { "", "a b", "\\", "C:\\Program Files\\", "it's", "$HOME", "*", "a&b", "x|y", "<in>",
      "^caret", "100%", "  two  spaces ", "tab\there", ";ls", "`id`", "\\\\server\\share", "é ü", "a&&b || c",
      "a\"b", "\"", "a\\\"b", 'say "hi" \\' }

    it("keeps the boundaries of 20 tricky arguments through cmd.exe and /bin/sh", function()
      local out, err, code = session:run_cmd("printf", { "%s\n", table.unpack(TRICKY) })
      assert.same({ table.concat(TRICKY, "\n") .. "\n", "", 0 }, { out, err, code })
      local sh <close> = session:shell {}
      local p <close> = sh:run("printf", { "[%s]", table.unpack(TRICKY) })
      local got = {}
      for _, chunk in p:output() do got[#got + 1] = chunk end
      assert.equals("[" .. table.concat(TRICKY, "][") .. "]", table.concat(got))
    end)

    it("keeps the boundaries without cmd.exe too (skip_cmd_shell)", function()
      local out = session:run_cmd("/usr/bin/printf", { "%s\n", table.unpack(TRICKY) }, { skip_cmd_shell = true })
      assert.equals(table.concat(TRICKY, "\n") .. "\n", out)
    end)

    it("sends a string of arguments and a command line without arguments as they are", function()
      assert.equals("a b\n", (session:run_cmd("printf", '"%s %s\n" a b')))
      assert.equals("one\ntwo\n", (session:run_cmd("echo one; echo two")))
    end)

    it("reports non-zero and large exit codes", function()
      for _, n in ipairs { 1, 2, 127, 255 } do
        local _, _, code = session:run_cmd("exit " .. n)
        assert.equals(n, code)
      end
      local _, err, code = session:run_cmd("no-such-program-here")
      assert.equals(127, code)
      assert.matches("not found", err)
    end)

    it("sends stdin and applies the shell options", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute(CLEAN .. "mkdir " .. dir))
      local out, _, code = session:run_cmd("cat; echo; echo $GREETING; pwd", nil, {
        stdin = "from stdin", environment = { GREETING = "hello world" }, working_directory = dir,
      })
      os.execute(CLEAN .. "rmdir " .. dir)
      assert.equals(0, code)
      assert.equals("from stdin\nhello world\n" .. dir .. "\n", out)
    end)

    it("leaves no shell open on the host", function()
      for _ = 1, 5 do session:run_cmd("true") end
      assert.equals(0, sim.stats(session).OpenShells)
    end)

    it("refuses unknown options and bad arguments with a clear message", function()
      local e = sim.err_of(session.run_cmd, session, "true", nil, { workdir = "/" })
      assert.matches("unknown option 'workdir'", tostring(e))
      e = sim.err_of(session.run_cmd, session, "true", 42)
      assert.matches("table of strings", tostring(e))
    end)
  end)

  describe("a shell", function()
    it("is created with the WINRS options and deleted by <close>", function()
      do
        local sh <close> = session:shell { codepage = 65001, noprofile = true, idle_timeout = 60, lifetime = 600,
          name = "spec" }
        assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", sh.id)
        assert.equals(65001, sh.codepage)
        assert.is_true(sh.open)
        assert.equals(1, sim.stats(session).OpenShells)
      end
      assert.equals(0, sim.stats(session).OpenShells)
    end)

    it("runs 100 commands one after the other and leaves no shell open", function()
      local sh <close> = session:shell {}
      for i = 1, 100 do
        local out, err, code = sh:run_cmd("echo", { "command", i })
        assert.equals("command " .. i .. "\n", out)
        assert.equals("", err)
        assert.equals(0, code)
      end
      assert.equals(1, sim.stats(session).OpenShells)
      sh:close()
      assert.is_false(sh.open)
      assert.equals(0, sim.stats(session).OpenShells)
    end)

    it("that is garbage collected is deleted before the session's next request (no network from __gc)", function()
      local before = sim.stats(session).Requests
      do
        local sh = session:shell {}
        sh:run_cmd("true")
      end
      collectgarbage()
      collectgarbage()
      -- the Delete went nowhere yet: it is queued, and goes out before the next request
      local st = sim.stats(session)
      assert.equals(0, st.OpenShells)
      assert.equals(before + 6, st.Requests) -- Create, Command, Receive, Signal, then the Delete and this Stats
    end)

    it("closed with the session's <close> sends the queued Delete", function()
      do
        local other <close> = sim.session(s)
        local sh = other:shell {}
        assert.truthy(sh.id)
        sh = nil -- luacheck: ignore
        collectgarbage()
        collectgarbage()
      end
      assert.equals(0, sim.stats(session).OpenShells)
    end)

    it("can be re-attached by its ShellId, and detached to stay open", function()
      local first = session:shell {}
      local id = first:detach()
      assert.is_false(first.open)
      first = nil -- luacheck: ignore
      collectgarbage()
      assert.equals(1, sim.stats(session).OpenShells)
      local again <close> = session:shell { id = id }
      assert.equals(id, again.id)
      assert.equals("again\n", (again:run_cmd("echo again")))
      again:close()
      assert.equals(0, sim.stats(session).OpenShells)
    end)

    it("refuses unknown options with a suggestion", function()
      local e = sim.err_of(session.shell, session, { working_dir = "/tmp" })
      assert.matches("did you mean 'working_directory'", tostring(e))
      e = sim.err_of(session.shell, session, { codepage = "utf8" })
      assert.matches("codepage", tostring(e))
      e = sim.err_of(session.shell, session, { codepage = 1 })
      assert.matches("iconv", e.message)
    end)

    it("expires after its idle timeout: the ShellId is then unknown (retry = quota)", function()
      local sh = session:shell { idle_timeout = 1 }
      sleep(1.5)
      local e = sim.err_of(sh.run, sh, "true")
      assert.equals(UNEXPECTED_SELECTORS, e.code)
      assert.equals("quota", e.retry)
      assert.matches("shell was not found", e.message)
      assert.is_false(sh.open)
    end)

    it("operations on a closed shell fail clearly", function()
      local sh = session:shell {}
      sh:close()
      local e = sim.err_of(sh.run, sh, "true")
      assert.matches("closed", e.message)
    end)
  end)

  describe("a process", function()
    it("streams output before the command ends", function()
      local sh <close> = session:shell {}
      local p <close> = sh:run(sh_c("printf 'first line\\n'; read reply; echo \"got $reply\"; echo done >&2"))
      local seen, sent = { stdout = {}, stderr = {} }, false
      for stream, chunk in p:output() do
        if not sent then
          -- the command is blocked on stdin: this chunk came before it could end
          assert.same({ "stdout", "first line\n" }, { stream, chunk })
          assert.is_false(p.done)
          p:write("yes\n")
          sent = true
        end
        table.insert(seen[stream], chunk)
      end
      assert.equals("first line\ngot yes\n", table.concat(seen.stdout))
      assert.equals("done\n", table.concat(seen.stderr))
      assert.is_true(p.done)
      assert.equals(0, p.exit_code)
      assert.matches("^%x+%-", p.id)
    end)

    it("streams several MB of output in bounded chunks", function()
      local sh <close> = session:shell {}
      local p <close> = sh:run("head -c 6000000 /dev/zero | tr '\\000' x")
      local total, chunks, largest = 0, 0, 0
      for stream, chunk in p:output() do
        assert.equals("stdout", stream)
        assert.is_nil(chunk:find("[^x]"))
        total = total + #chunk
        chunks = chunks + 1
        largest = math.max(largest, #chunk)
      end
      assert.equals(6000000, total)
      assert.is_true(chunks > 40)
      assert.is_true(largest <= 131072)
      assert.equals(0, p:wait())
    end)

    it("takes several MB of stdin, sent in pieces that fit the envelope", function()
      local sh <close> = session:shell {}
      local parts = {}
      local line = "%07d:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
      for i = 1, 40000 do parts[i] = line:format(i) end
      local data = table.concat(parts) -- about 2.9 MB
      local p <close> = sh:run("cat")
      local out = {}
      p:write(data:sub(1, 1000000))
      p:write(data:sub(1000001, 2500000))
      p:close_stdin(data:sub(2500001))
      for _, chunk in p:output() do out[#out + 1] = chunk end
      assert.equals(#data, #table.concat(out))
      assert.is_true(table.concat(out) == data)
      local e = sim.err_of(p.write, p, "more")
      assert.matches("stdin is closed", tostring(e))
    end)

    it("stops on ctrl_c with STATUS_CONTROL_C_EXIT", function()
      local sh <close> = session:shell {}
      local p <close> = sh:run(sh_c("echo ready; exec sleep 31.51"))
      for _, chunk in p:output() do
        if chunk:match("ready") then
          assert.is_true(running("slee[p] 31.51"))
          p:signal("ctrl_c")
        end
      end
      assert.equals(CTRL_C_EXIT, p.exit_code)
      assert.is_false(running("slee[p] 31.51"))
    end)

    it("wait(seconds) terminates a command that runs too long and raises a transient error", function()
      local sh <close> = session:shell {}
      local p <close> = sh:run("sleep 31.52")
      assert.is_true(wait_until(function() return running("slee[p] 31.52") end))
      local t0 = now()
      local e = sim.err_of(p.wait, p, 0.5)
      assert.is_true(now() - t0 < 3)
      assert.equals(ERROR_TIMEOUT, e.code)
      assert.equals("transient", e.retry)
      assert.equals("Receive", e.operation)
      assert.matches("terminated", e.message)
      assert.is_true(p.done)
      assert.is_nil(p.exit_code)
      assert.is_true(wait_until(function() return not running("slee[p] 31.52") end))
      -- the shell is still usable
      assert.equals("after\n", (sh:run_cmd("echo after")))
    end)

    it("output(seconds) and run_cmd{timeout=} have deadlines too", function()
      local sh <close> = session:shell {}
      local p <close> = sh:run("sleep 31.53")
      local e = sim.err_of(function() for _ in p:output(0.3) do end end)
      assert.equals(ERROR_TIMEOUT, e.code)
      e = sim.err_of(session.run_cmd, session, "sleep 31.54", nil, { timeout = 0.3 })
      assert.equals("transient", e.retry)
      assert.is_true(wait_until(function() return not running("slee[p] 31.5[34]") end))
      assert.equals(1, sim.stats(session).OpenShells) -- this test's shell; run_cmd deleted its own
    end)

    it("polls again quietly when a Receive times out on the host (fault 2150858793)", function()
      session.Timeout = 1000 -- OperationTimeout PT1S for every Receive
      local out, _, code = session:run_cmd("sleep 2.5; echo late")
      session.Timeout = 60000
      assert.equals("late\n", out)
      assert.equals(0, code)
      assert.is_true(sim.stats(session).Faults >= 2)
    end)

    it("hands every chunk to on_output while wait() runs", function()
      local sh <close> = session:shell {}
      local got = {}
      local p <close> = sh:run("echo one; echo two >&2; exit 4", nil, {
        on_output = function(stream, chunk) got[#got + 1] = stream .. ":" .. chunk end })
      assert.equals(4, p:wait())
      table.sort(got) -- the two streams are read by two threads on the host: their order may vary
      assert.same({ "stderr:two\n", "stdout:one\n" }, got)
    end)

    it("that is garbage collected while running gets a Signal terminate (queued)", function()
      local sh <close> = session:shell {}
      do
        local p = sh:run("sleep 31.55") -- luacheck: ignore 231
        assert.is_true(wait_until(function() return running("slee[p] 31.55") end))
        p = nil -- luacheck: ignore 311
      end
      collectgarbage()
      collectgarbage()
      assert.is_true(running("slee[p] 31.55"))
      sh:run_cmd("true") -- the queued Signal goes first
      assert.is_true(wait_until(function() return not running("slee[p] 31.55") end))
    end)

    it("p:close() terminates a running command; a shell runs several commands at once", function()
      local sh <close> = session:shell {}
      local a = sh:run("sleep 31.56")
      local b = sh:run("echo b")
      assert.equals(0, b:wait())
      a:close()
      assert.is_true(wait_until(function() return not running("slee[p] 31.56") end))
    end)

    it("can be re-attached by its CommandId", function()
      local sh <close> = session:shell {}
      local p = sh:run(sh_c("read x; echo \"$x\""))
      local q <close> = sh:attach(p.id)
      q:close_stdin("via attach\n")
      local out = {}
      for _, c in q:output() do out[#out + 1] = c end
      assert.equals("via attach\n", table.concat(out))
      p:close()
    end)

    it("an unknown CommandId fails with the host's code and retry = quota", function()
      local sh <close> = session:shell {}
      local p = sh:attach("87E77BEB-6761-4C48-9D70-A00266B8459A")
      local e = sim.err_of(p.wait, p)
      assert.equals(UNEXPECTED_SELECTORS, e.code)
      assert.equals("quota", e.retry)
      assert.matches("command identifier that does not exist", e.message)
    end)

    it("refuses bad signals, options and arguments", function()
      local sh <close> = session:shell {}
      local p <close> = sh:run("true")
      assert.matches("ctrl_c", tostring(sim.err_of(p.signal, p, "kill")))
      assert.matches("did you mean 'on_output'", tostring(sim.err_of(sh.run, sh, "true", nil, { onoutput = print })))
      assert.matches("argument 1 must be a string", tostring(sim.err_of(sh.run, sh, "echo", { {} })))
      p:wait()
    end)

    it("runs a program without cmd.exe (WINRS_SKIP_CMD_SHELL), or fails as Windows does", function()
      local sh <close> = session:shell {}
      local p <close> = sh:run("/bin/echo", { "direct" }, { skip_cmd_shell = true })
      local out = {}
      for _, c in p:output() do out[#out + 1] = c end
      assert.equals("direct\n", table.concat(out))
      local e = sim.err_of(sh.run, sh, "no-such-exe", nil, { skip_cmd_shell = true })
      assert.equals(0x80070002, e.code)
      assert.equals("Shell cmd plugin", e.provider.name)
    end)
  end)

  describe("output encoding", function()
    it("is UTF-8 with codepage 65001", function()
      local out = session:run_cmd("printf 'こんにちは caf\\303\\251 \\360\\237\\230\\200\\n'")
      assert.equals("こんにちは café 😀\n", out)
    end)

    it("is converted to UTF-8 from other codepages (437, 1252, 932)", function()
      for _, cp in ipairs { 437, 1252 } do
        local sh <close> = session:shell { codepage = cp }
        assert.equals(cp, sh.codepage)
        assert.equals("café déjà vu\n", (sh:run_cmd("echo 'café déjà vu'")))
      end
      local sh <close> = session:shell { codepage = 932 }
      assert.equals("こんにちは\n", (sh:run_cmd("echo こんにちは")))
    end)

    it("keeps multi-byte characters whole across Receive replies (codepage 932)", function()
      local sh <close> = session:shell { codepage = 932 }
      -- 100000 lines "あ": 300000 bytes in CP932, cut by the host wherever its envelope is full
      local out = sh:run_cmd("yes あ | head -n 100000")
      assert.is_true(out == ("あ\n"):rep(100000))
    end)
  end)

  describe("session:run_ps", function()
    it("runs a script longer than the command-line limit and the exact bytes arrive", function()
      local lines = {}
      for i = 1, 600 do
        lines[i] = ("Write-Output \"line %d: 'quotes' `\"double`\" $env:X ünïcödé こんにちは\"\r"):format(i)
      end
      local script = "\239\187\191# starts with a BOM\n" .. table.concat(lines, "\n") .. "\n# no newline at the end"
      assert.is_true(#script > 8191 * 4)
      local out, err, code, records = session:run_ps(script)
      assert.is_true(out == script, "the script did not arrive byte for byte")
      assert.equals("", err)
      assert.equals(0, code)
      assert.same({}, records)
    end)

    it("where passing the script on the command line fails as cmd.exe does (8191 characters)", function()
      local script = ("Write-Output 'x'\n"):rep(600)
      local out, err, code = session:run_cmd("powershell.exe", { "-EncodedCommand", "x" .. ("A"):rep(9000) })
      assert.equals("", out)
      assert.matches("The command line is too long", err)
      assert.equals(1, code)
      out = session:run_ps(script)
      assert.equals(script, out)
    end)

    it("strips CLIXML from stderr and decodes the records (real sample)", function()
      local out, err, code, records = session:run_ps("fake cmdlet\n#sim:clixml with_error\n")
      assert.equals("fake cmdlet\n#sim:clixml with_error\n", out)
      assert.equals(1, code)
      assert.is_nil(err:find("CLIXML", 1, true))
      assert.is_nil(err:find("<", 1, true))
      assert.equals("fake : The term 'fake' is not recognized as the name of a cmdlet, function, script file, "
        .. "or operable program. Check \r\nthe spelling of the name, or if a path was included, verify that the path "
        .. "is correct and try again.\r\nAt line:1 char:1\r\n+ fake cmdlet\r\n+ ~~~~\r\n    + CategoryInfo          : "
        .. "ObjectNotFound: (fake:String) [], CommandNotFoundException\r\n    + FullyQualifiedErrorId : "
        .. "CommandNotFoundException\r\n \r\n", err)
      assert.equals(3, #records)
      assert.same({ type = "progress", activity = "Preparing modules for first use.", activity_id = 0,
        parent_activity_id = -1, percent_complete = -1, record_type = "Completed", seconds_remaining = -1,
        status_description = "\n            ", source_id = 1 }, records[1])
      assert.equals("progress", records[2].type)
      assert.equals("error", records[3].type)
      assert.matches("^fake : The term 'fake' is not recognized", records[3].message)
      assert.matches("FullyQualifiedErrorId : CommandNotFoundException$", records[3].message)
      assert.is_nil(records[3].message:find("\r", 1, true))
    end)

    it("decodes warning, verbose, debug, progress and error records", function()
      local _, err, code, records = session:run_ps("#sim:clixml streams\n#sim:exit 0\n")
      assert.equals(0, code)
      assert.equals("Write-Error : something failed\r\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], "
        .. "WriteErrorException\r\n    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException"
        .. "\r\n \r\nsecond error\r\n", err)
      local types = {}
      for i, r in ipairs(records) do types[i] = r.type end
      assert.same({ "warning", "verbose", "debug", "progress", "error", "error" }, types)
      assert.equals("The disk is almost full.", records[1].message)
      assert.equals('Performing the operation "Remove File" on target "C:\\temp\\café.txt".', records[2].message)
      assert.equals("value is 42 😀", records[3].message)
      assert.same({ type = "progress", activity = "Copying files", activity_id = 1,
        current_operation = "file_x0031_.txt", parent_activity_id = -1, percent_complete = 50,
        record_type = "Processing", seconds_remaining = 12, status_description = "1 of 2 <done>",
        source_id = 2 }, records[4])
      assert.equals("second error", records[6].message)
    end)

    it("keeps the records of a sample without errors out of stderr", function()
      local _, err, code, records = session:run_ps("#sim:clixml with_no_errors")
      assert.same({ "", 0, 2 }, { err, code, #records })
    end)

    it("runs on an existing shell too, and streams through sh:powershell()", function()
      local sh <close> = session:shell {}
      local out, _, code = sh:run_ps("#sim:exit 7\n")
      assert.same({ "#sim:exit 7\n", 7 }, { out, code })
      local p <close> = sh:powershell()
      p:close_stdin("Get-Date")
      local got = {}
      for _, c in p:output() do got[#got + 1] = c end
      assert.equals("Get-Date", table.concat(got))
    end)
  end)

  describe("WSMan.clixml", function()
    it("leaves text that is not CLIXML alone", function()
      local text, records = WSMan.clixml("plain error\r\n#< CLIXML but not really")
      assert.equals("plain error\r\n#< CLIXML but not really", text)
      assert.same({}, records)
    end)

    it("keeps a document that does not parse as it was", function()
      local bad = "#< CLIXML\r\n<Objs><S S=\"Error\">x</Objs>"
      local text, records = WSMan.clixml("before " .. bad)
      assert.equals("before " .. bad, text)
      assert.same({}, records)
    end)

    it("decodes every document of a stream with text around them", function()
      local doc = '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
        .. '<S S="Error">a_x000D__x000A_</S></Objs>'
      local text, records = WSMan.clixml("x\r\n" .. doc .. "y\r\n" .. doc)
      assert.equals("x\r\na\r\ny\r\na\r\n", text)
      assert.equals(2, #records)
      assert.same({ type = "error", message = "a" }, records[1])
    end)
  end)

  describe("quotas", function()
    it("MaxShellsPerUser: the host's code is kept with retry = quota", function()
      put_config(session, "winrm/config/winrs", "Winrs", "http://schemas.microsoft.com/wbem/wsman/1/config/winrs",
        { MaxShellsPerUser = 2 })
      local a <close> = session:shell {} -- luacheck: ignore 211
      local b <close> = session:shell {} -- luacheck: ignore 211
      local e = sim.err_of(session.shell, session, {})
      assert.equals(QUOTA_MAX_SHELLS, e.code)
      assert.equals("ERROR_WSMAN_QUOTA_MAX_SHELLS", e.name)
      assert.equals("quota", e.retry)
      assert.matches("maximum number of 2 concurrent shells", e.message)
      -- run_cmd retries only refusals; all three attempts are refused here
      e = sim.err_of(session.run_cmd, session, "true")
      assert.equals(QUOTA_MAX_SHELLS, e.code)
    end)

    it("run_cmd retries on a new shell when the host refused it, after collecting dropped shells", function()
      put_config(session, "winrm/config/winrs", "Winrs", "http://schemas.microsoft.com/wbem/wsman/1/config/winrs",
        { MaxShellsPerUser = 1 })
      collectgarbage("stop") -- the shell below must still be open when run_cmd starts
      local dropped = session:shell {}
      assert.truthy(dropped.id)
      dropped = nil -- luacheck: ignore
      local faults = sim.stats(session).Faults
      local ok, out = pcall(session.run_cmd, session, "echo retried")
      collectgarbage("restart")
      assert(ok, out)
      assert.equals("retried\n", out)
      assert.equals(faults + 1, sim.stats(session).Faults) -- one refused Create, then success
    end)

    it("MaxConcurrentOperationsPerUser counts shells and commands until they are terminated", function()
      put_config(session, "winrm/config/service", "Service",
        "http://schemas.microsoft.com/wbem/wsman/1/config/service", { MaxConcurrentOperationsPerUser = 3 })
      local sh <close> = session:shell {}
      local p1 <close> = sh:run("sleep 31.57")
      local p2 <close> = sh:run("sleep 31.57")
      local e = sim.err_of(sh.run, sh, "true")
      assert.equals(QUOTA_MAX_OPERATIONS, e.code)
      assert.equals("quota", e.retry)
      assert.matches("maximum number of 3 concurrent operations", e.message)
      p1:close()
      -- terminated: its operation is free again; a finished command frees its own (Signal after Done)
      for _ = 1, 5 do assert.equals("ok\n", (sh:run_cmd("echo ok"))) end
      p2:close()
    end)
  end)

  describe("replays of real Windows recordings", function()
    local replay = sim.replay

    it("test_winrs_standard: cmd.exe /c echo hi", function()
      replay("test_winrs_standard.yml", function(rs)
        assert.same({ "hi\r\n", "", 0 }, { rs:run_cmd("cmd.exe", { "/c", "echo", "hi" }) })
      end)
    end)

    it("test_winrs_stderr_rc: stdout, stderr and exit code 1", function()
      replay("test_winrs_stderr_rc.yml", function(rs)
        assert.same({ "out \r\n", "err \r\n", 1 },
          { rs:run_cmd("cmd.exe", "/c echo out && echo err>&2 && exit 1") })
      end)
    end)

    it("test_winrs_unicode: UTF-8 output with codepage 65001", function()
      replay("test_winrs_unicode.yml", function(rs)
        assert.same({ "こんにちは\n", "", 0 }, { rs:run_cmd("powershell.exe", "Write-Host こんにちは") })
      end)
    end)

    it("test_winrs_operation_timeout: two w:TimedOut faults are polled through", function()
      replay("test_winrs_operation_timeout.yml", function(rs)
        local sh <close> = rs:shell {}
        local p <close> = sh:run("powershell.exe", "Write-Host hi; Start-Sleep 30; Write-Host hi again")
        local chunks = {}
        for _, c in p:output() do chunks[#chunks + 1] = c end
        assert.same({ "hi", "\n", "hi", " again\n" }, chunks)
        assert.equals(0, p.exit_code)
      end)
    end)

    it("test_winrs_send: stdin in two Sends", function()
      replay("test_winrs_send.yml", function(rs)
        local sh <close> = rs:shell {}
        local p <close> = sh:run("powershell.exe", { "-" })
        p:write('Write-Host "output 1";')
        p:close_stdin('Write-Host "output 2";')
        local out = {}
        for _, c in p:output() do out[#out + 1] = c end
        assert.equals("output 1\noutput 2\n", table.concat(out))
      end)
    end)

    it("test_winrs_environment, test_winrs_extra_opts, test_winrs_noprofile: shell options", function()
      replay("test_winrs_environment.yml", function(rs)
        local sh <close> = rs:shell { environment = { env1 = "var1", ["1234"] = 5678 } }
        local out = sh:run_cmd("cmd.exe", { "/c", "set" })
        assert.matches("1234=5678\r\n", out, 1, true)
      end)
      replay("test_winrs_extra_opts.yml", function(rs)
        local sh <close> = rs:shell { idle_timeout = 60, lifetime = 60, name = "shell 1",
          working_directory = "C:\\Windows" }
        assert.equals("C:\\Windows\r\n", (sh:run_cmd("powershell.exe", { "(pwd).Path" })))
      end)
      replay("test_winrs_noprofile.yml", function(rs)
        local sh <close> = rs:shell { noprofile = true }
        assert.matches("ALLUSERSPROFILE=C:\\ProgramData", (sh:run_cmd("cmd.exe", { "/c", "set" })), 1, true)
      end)
    end)

    it("test_winrs_no_cmd_shell: the refused command keeps the host's code", function()
      replay("test_winrs_no_cmd_shell.yml", function(rs)
        local sh <close> = rs:shell {}
        local e = sim.err_of(sh.run, sh, "powershell.exe", { "Write-Host", "hi" }, { skip_cmd_shell = true })
        assert.equals(0x80070002, e.code)
        assert.equals("The system cannot find the file specified.", e.message)
        assert.equals("Shell cmd plugin", e.provider.name)
        assert.equals("hi\n", (sh:run_cmd("C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\powershell.exe",
          { "Write-Host", "hi" }, { skip_cmd_shell = true })))
      end)
    end)

    it("test_winrs_bad_cmd_id and test_winrs_open_already_opened", function()
      replay("test_winrs_bad_cmd_id.yml", function(rs)
        local sh <close> = rs:shell {}
        local p <close> = sh:run("cmd.exe", { "/c", "echo", "hi" }) -- luacheck: ignore 211
        local q = sh:attach("87E77BEB-6761-4C48-9D70-A00266B8459A")
        local e = sim.err_of(q.wait, q)
        assert.equals(UNEXPECTED_SELECTORS, e.code)
        assert.equals("quota", e.retry)
      end)
      replay("test_winrs_open_already_opened.yml", function(rs)
        local sh <close> = rs:shell {}
        assert.truthy(sh.id)
      end)
    end)

    it("test_client_execute_cmd: two run_cmd calls", function()
      replay("test_client_execute_cmd.yml", function(rs)
        local out = rs:run_cmd("dir")
        assert.matches("Volume in drive C is Windows 2016", out, 1, true)
        assert.same({ "abc\r\n", "", 0 }, { rs:run_cmd("echo abc") })
      end)
    end)
  end)
end)
