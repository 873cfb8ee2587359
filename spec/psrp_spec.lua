-- SPDX-License-Identifier: MIT
-- PowerShell Remoting: runspace pools and pipelines (session:runspace_pool,
-- pool:pipeline, session:ps) against the simulator's replays of real Windows recordings
-- (../shared/captures/windows-pypsrp, pypsrp's, MIT). A replay serves the recorded replies with
-- the client's own IDs and refuses a request whose action, resource URI or PSRP message types
-- differ from the recording, so every test also proves the client sent the recorded sequence.
local sim = require "helpers.sim"

local replay = sim.replay

-- A session on a simulator with the PowerShell plug-in (shared by the specs that need one).
local function plugin_session()
  return sim.session(sim.start { "--allow-unencrypted" })
end

local function texts(records)
  local t = {}
  for i, r in ipairs(records) do t[i] = tostring(r) end
  return t
end

describe("runspace pools", function()
  it("test_psrp_open_runspace: open with protocol 2.3, close", function()
    replay("test_psrp_open_runspace.yml", function(rs)
      local pool = rs:runspace_pool()
      assert.equals("Opened", pool.state)
      assert.equals("2.3", pool.protocol_version)
      assert.equals("2.0", pool.ps_version)
      assert.matches("^%x+%-%x+%-4%x+%-[89AB]%x+%-%x+$", pool.id)
      assert.is_table(pool.application_private_data)
      pool:close()
      assert.equals("Closed", pool.state)
      pool:close() -- a second close does nothing
    end)
  end)

  it("test_psrp_application_args: $PSSenderInfo.ApplicationArguments comes back", function()
    replay("test_psrp_application_args.yml", function(rs)
      local pool <close> = rs:runspace_pool { application_arguments = { test_var = "abcdef12345" } }
      local out = pool:pipeline():add_script("$PSSenderInfo.ApplicationArguments"):wait()
      assert.equals(1, out.n)
      assert.equals("System.Management.Automation.PSPrimitiveDictionary", out[1].type_names[1])
      assert.equals("Dictionary", out[1].collection)
      assert.equals("abcdef12345", out[1].items.test_var)
    end)
  end)

  it("test_psrp_with_jea_configuration: a configuration name selects the endpoint", function()
    replay("test_psrp_with_jea_configuration.yml", function(rs)
      local pool <close> = rs:runspace_pool { configuration_name = "JEARole" }
      local p = pool:pipeline():add_command("Get-Item", { Path = "WSMan:\\localhost\\Service\\AllowUnencrypted" })
      local out = p:wait()
      assert.equals("Completed", p.state)
      assert.equals("Microsoft.WSMan.Management.WSManConfigLeafElement", out[1].type_names[1])
      local p2 = pool:pipeline():add_command("Get-Item", { Path = "C:\\Windows" })
      p2:wait()
      assert.equals("Failed", p2.state)
      assert.matches("no%-language mode", tostring(p2.error))
      assert.is_true(p2.had_errors)
    end)
  end)

  it("test_psrp_set_runspaces: available runspaces, min and max set, refusals", function()
    replay("test_psrp_set_runspaces.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      assert.equals(1, pool:available_runspaces())
      assert.is_true(pool:set_max_runspaces(5))
      assert.equals(5, pool.max_runspaces)
      assert.equals(5, pool:available_runspaces())
      assert.is_true(pool:set_min_runspaces(2))
      assert.is_false(pool:set_min_runspaces(-1))
      assert.is_false(pool:set_max_runspaces(-1))
      assert.equals(5, pool.max_runspaces)
    end)
  end)

  it("test_psrp_reset_runspace_state and _fail: the host resets the runspace, or says it cannot", function()
    replay("test_psrp_reset_runspace_state.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      assert.same({ n = 1, "hi" }, pool:pipeline():add_script("$a = 'hi'; $a"):wait())
      assert.is_true(pool:reset_state())
      assert.same({ n = 0 }, pool:pipeline():add_script("$a"):wait())
    end)
    replay("test_psrp_reset_runspace_state_fail.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      assert.is_false(pool:reset_state())
    end)
  end)

  it("test_psrp_get_command_metadata: Get-Command's answer by name, type and module", function()
    replay("test_psrp_get_command_metadata.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local a = pool:command_metadata("new-pssession*")
      assert.equals(3, a.n)
      assert.equals("New-PSSession", a[1].Name)
      assert.equals("Cmdlet", tostring(a[1].CommandType))
      local b = pool:command_metadata("new-*", { command_type = 2 })
      assert.same({ "New-Guid", "New-TemporaryFile" }, { b[1].Name, b[2].Name })
      local c = pool:command_metadata("Get-*", { namespace = "Microsoft.WSMan.Management" })
      assert.equals("Get-WSManCredSSP", c[1].Name)
    end)
  end)

  it("unknown options are refused before any request", function()
    local s = sim.start { "--allow-unencrypted" }
    local session = sim.session(s)
    assert.has_error(function() session:runspace_pool { max_runspace = 2 } end,
      "session:runspace_pool: unknown option 'max_runspace'")
    assert.has_error(function() session:ps(42) end, "session:ps: the script must be a string")
  end)
end)

describe("pipelines", function()
  it("test_psrp_with_input: input objects streamed in, output objects and debug records out", function()
    replay("test_psrp_with_input.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_script([[
begin { $DebugPreference = 'Continue'; Write-Debug "Start Block" }
process { $input }
end { Write-Debug "End Block" }]])
      p:invoke { input = { "1", 2, { a = "b" }, { "x", "y" } } }
      local got = {}
      for obj in p:output() do got[#got + 1] = obj end
      assert.equals("Completed", p.state)
      assert.equals(4, #got)
      assert.equals("1", got[1])
      assert.equals(2, got[2])
      assert.equals("Deserialized.System.Collections.Hashtable", got[3].type_names[1])
      assert.equals("Deserialized.System.Object[]", got[4].type_names[1])
      assert.same({ "Start Block", "End Block" }, texts(p.streams.debug))
    end)
  end)

  for _, version in ipairs { "2.1", "2.2", "2.3" } do
    it("test_psrp_run_protocol_version_" .. version .. ": the host's version, input, merged output", function()
      replay("test_psrp_run_protocol_version_" .. version .. ".yml", function(rs)
        local pool <close> = rs:runspace_pool()
        assert.equals(version, pool.protocol_version)
        local p = pool:pipeline():add_script("process { $input }")
        p:invoke { input = { "message 1", 2, { "a" } } }
        local out = p:wait()
        assert.equals("Completed", p.state)
        -- the recording merged the error stream into the output
        assert.equals(4, out.n)
        assert.equals("System.Management.Automation.ErrorRecord", out[1].type_names[1])
        assert.equals("error", tostring(out[1]))
        assert.equals("message 1", out[2])
        assert.equals(2, out[3])
        assert.equals("Deserialized.System.Object[]", out[4].type_names[1])
        assert.same({ "Start Block", "End Block" }, texts(p.streams.debug))
        assert.is_false(p.had_errors)
      end)
    end)
  end

  it("test_psrp_stream_output_invocation: every stream's records", function()
    replay("test_psrp_stream_output_invocation.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_script("Write-Output 'output stream'")
      local out = p:wait()
      assert.same({ n = 1, "output stream" }, out)
      assert.same({ "debug stream" }, texts(p.streams.debug))
      assert.same({ "verbose stream" }, texts(p.streams.verbose))
      assert.same({ "error stream" }, texts(p.streams.error))
      assert.same({ "warning stream" }, texts(p.streams.warning))
      assert.equals("Completed", p.state)
    end)
  end)

  it("test_psrp_error_failed: a terminating error fails the pipeline", function()
    replay("test_psrp_error_failed.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_script("$ErrorActionPreference = 'Stop'; Write-Output before; Write-Error error")
      local out = p:wait()
      assert.same({ n = 1, "before" }, out)
      assert.equals("Failed", p.state)
      assert.equals("error", tostring(p.error))
      assert.equals("System.Management.Automation.ErrorRecord", p.error.type_names[1])
      assert.equals("error", p.error.Exception.Message)
    end)
  end)

  it("test_psrp_with_history: two pipelines, one after the other, in one pool", function()
    replay("test_psrp_with_history.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      assert.same({ n = 2, 1, 2 }, pool:pipeline():add_script("Write-Output 1; Write-Output 2"):wait())
      local h = pool:pipeline():add_script("Get-History"):wait()
      assert.equals("Write-Output 1; Write-Output 2", tostring(h[1]))
    end)
  end)

  it("test_psrp_long_running_cmdlet: Receives that time out are polled through", function()
    replay("test_psrp_long_running_cmdlet.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_command("Start-Sleep", { Seconds = 10 })
      assert.same({ n = 1, "hi" }, p:wait())
    end)
  end)

  it("test_psrp_clear_commands, _with_no_history, _no_profile: more recorded pipelines", function()
    replay("test_psrp_clear_commands.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      assert.same({ n = 1, "new" }, pool:pipeline():add_script("echo new"):wait())
    end)
    replay("test_psrp_with_no_history.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      assert.same({ n = 2, 1, 2 }, pool:pipeline():add_script("Write-Output 1; Write-Output 2"):wait())
      assert.same({ n = 0 }, pool:pipeline():add_script("Get-History"):wait())
    end)
    replay("test_psrp_no_profile.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local out = pool:pipeline():add_script("$env:USERPROFILE.ToUpperInvariant()"):wait()
      assert.same({ n = 1, "C:\\WINDOWS\\SYSTEM32\\CONFIG\\SYSTEMPROFILE" }, out)
    end)
  end)

  it("test_psrp_stream_no_output_invocation: records of every stream, no output object", function()
    replay("test_psrp_stream_no_output_invocation.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_script("Write-Output 'output stream'")
      local out = p:wait()
      assert.same({ "debug stream" }, texts(p.streams.debug))
      assert.same({ "verbose stream" }, texts(p.streams.verbose))
      assert.same({ "warning stream" }, texts(p.streams.warning))
      assert.equals("output stream", out[1])
    end)
  end)

  it("pipelines refuse misuse", function()
    replay("test_psrp_open_runspace.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline()
      assert.has_error(function() p:add_parameter("x", 1) end, "pipeline:add_parameter: add a command first")
      assert.has_error(function() p:invoke() end, "pipeline:invoke: the pipeline has no command")
    end)
  end)
end)

describe("disconnected pools and pipelines", function()
  it("test_psrp_disconnect_runspaces: pools listed on the host, connected to by id", function()
    replay("test_psrp_disconnect_runspaces.yml", function(rs)
      local pool1 = rs:runspace_pool()
      pool1:disconnect()
      pool1:connect() -- this client's own pool: a Reconnect
      assert.equals("Opened", pool1.state)
      pool1:disconnect()
      local pool2 = rs:runspace_pool()
      pool2:disconnect()
      local pools = rs:runspace_pools()
      assert.equals(2, pools.n)
      -- the host's list, with the ids this client chose (the replay rewrote the recorded ones)
      assert.same({ pool1.id, pool2.id }, { pools[1].id, pools[2].id })
      for i = 1, pools.n do
        assert.equals("Disconnected", pools[i].state)
        assert.equals("Disconnected", pools[i].host_state)
        assert.equals("http://schemas.microsoft.com/powershell/Microsoft.PowerShell", pools[i].resource_uri)
        assert.same({}, pools[i].pipeline_ids)
      end
      for i = 1, pools.n do
        pools[i]:connect() -- a Connect with connectXml, as another client would
        assert.equals("Opened", pools[i].state)
        assert.equals("2.3", pools[i].protocol_version)
        assert.equals(1, pools[i].max_runspaces)
        assert.same({}, pools[i].pipelines)
      end
      assert.has_error(function() pools[1]:connect() end, "pool:connect: the RunspacePool is Opened")
      for i = 1, pools.n do pools[i]:close() end
    end)
  end)

  it("test_psrp_disconnected_commands: another client reads the output of disconnected pipelines", function()
    replay("test_psrp_disconnected_commands.yml", function(rs)
      local script = "Write-Output 'a'; Start-Sleep -Seconds 5; Write-Output 'b'"
      local pool1 = rs:runspace_pool()
      local ps1 = pool1:pipeline():add_script(script):invoke()
      pool1:disconnect()
      local pool2 = rs:runspace_pool()
      local ps2 = pool2:pipeline():add_script(script):invoke()
      pool2:disconnect()
      local pools = rs:runspace_pools()
      assert.equals(2, pools.n)
      assert.same({ pool2.id, pool1.id }, { pools[1].id, pools[2].id }) -- the host's order
      assert.same({ ps2.id }, pools[1].pipeline_ids)
      assert.same({ ps1.id }, pools[2].pipeline_ids)
      for i = 1, pools.n do
        local pool = pools[i]
        pool:connect()
        assert.equals(1, #pool.pipelines)
        local p = pool.pipelines[1]
        assert.equals("Disconnected", p.state)
        assert.has_error(function() p:wait() end, "pipeline:wait: the pipeline is Disconnected; p:connect() first")
        p:connect()
        if i == 1 then
          local got = {}
          for obj in p:output() do got[#got + 1] = obj end
          assert.same({ "a", "b" }, got)
        else
          assert.same({ n = 2, "a", "b" }, p:wait())
        end
        assert.equals("Completed", p.state)
        assert.equals(1, #p.streams.progress) -- Windows' "Preparing modules for first use."
      end
      -- (pypsrp then reconnected each pool before closing it: the replay skips those Reconnects)
      for i = 1, pools.n do pools[i]:close() end
    end)
  end)

  it("another client connects to a disconnected pool and reads its pipeline (simulator plug-in)", function()
    local s = sim.start { "--allow-unencrypted" }
    local a = sim.session(s)
    local pool = a:runspace_pool()
    local p = pool:pipeline():add_script("Write-Output one; Start-Sleep -Milliseconds 200; Write-Output two"):invoke()
    pool:disconnect()
    local b = sim.session(s)
    local found
    local pools = b:runspace_pools()
    for i = 1, pools.n do
      if pools[i].id == pool.id then found = pools[i] end
    end
    assert.is_table(found, "the disconnected pool is listed")
    assert.equals("Disconnected", found.host_state)
    assert.equals(sim.user, found.owner)
    assert.same({ p.id }, found.pipeline_ids)
    found:connect()
    assert.equals("Opened", found.state)
    assert.equals("2.3", found.protocol_version)
    local q = found.pipelines[1]
    q:connect()
    assert.same({ n = 2, "one", "two" }, q:wait())
    assert.equals("Completed", q.state)
    -- the pool is usable as any other
    assert.same({ n = 1, "three" }, found:pipeline():add_script("Write-Output three"):wait())
    found:close()
    assert.equals("Closed", found.state)
    local ok, err = pcall(b.runspace_pools, b, 42)
    assert.is_false(ok)
    assert.matches("session:runspace_pools: options must be a table", err)
    assert.has_error(function() b:runspace_pools { hots = {} } end,
      "session:runspace_pools: unknown option 'hots' (host, receive_timeout, key_exchange_timeout)")
  end)
end)

describe("message sizes and the key exchange", function()
  it("test_psrp_small_msg_size: MaxEnvelopeSize from winrm/config, fragments sized to it", function()
    replay("test_psrp_small_msg_size.yml", function(rs, r)
      -- as pypsrp did: read the host's MaxEnvelopeSizekb, then use that size
      local kb = tonumber(rs:Get("winrm/config"):match("MaxEnvelopeSizekb>(%d+)<"))
      assert.equals(32, kb)
      local small = r.session(function(o) o.max_envelope_size = kb * 1024 end)
      local pool <close> = small:runspace_pool()
      -- a 32 kB script: the first fragment with the Command, the rest in a Send, then the input
      local p = pool:pipeline():add_script(([[begin {
    $big_var = '%s'
} process {
    $input
} end {
    $big_var[0..19999] -join ""
    $big_var[20000..30000] -join ""
}]]):format(("a"):rep(30000)))
      p:invoke { input = { "input" } }
      local out = p:wait()
      assert.equals(3, out.n)
      assert.equals("input", out[1])
      assert.is_true(out[2] == ("a"):rep(20000), "a 20000-character string, sent in two fragments")
      assert.is_true(out[3] == ("a"):rep(10000))
    end)
  end)

  it("test_psrp_key_exchange_timeout: no session key in time, a clear error, the pool still closes", function()
    replay("test_psrp_key_exchange_timeout.yml", function(rs)
      local pool <close> = rs:runspace_pool { key_exchange_timeout = 0.5 }
      local ok, err = pcall(pool.exchange_keys, pool)
      assert.is_false(ok)
      local want = "pool:exchange_keys: RunspacePool " .. pool.id .. " on "
        .. "http://schemas.microsoft.com/powershell/Microsoft.PowerShell sent no session key within 0.5 s"
      assert.equals(want, err:sub(1, #want))
      assert.matches("timeout while waiting for the key exchange", err, 1, true)
      assert.matches("larger key_exchange_timeout", err, 1, true)
      assert.is_nil(pool.key)
    end)
  end)
end)

describe("more recorded sessions", function()
  local STREAMS = [[$DebugPreference = 'Continue'
$VerbosePreference = 'Continue'
Write-Debug 'debug stream'
Write-Verbose 'verbose stream'
Write-Error 'error stream'
Write-Output 'output stream'
Write-Warning 'warning stream'
Write-Information 'information stream']]

  it("test_psrp_merge_commands: every stream merged into the output, then a statement without", function()
    replay("test_psrp_merge_commands.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_script(STREAMS):merge("all"):add_statement():add_script(STREAMS)
      local out = p:wait()
      assert.equals(7, out.n)
      local got = {}
      for i = 1, out.n do got[i] = tostring(out[i]) end
      assert.same({ "debug stream", "verbose stream", "error stream", "output stream", "warning stream",
        "information stream", "output stream" }, got)
      assert.equals("System.Management.Automation.ErrorRecord", out[3].type_names[1])
      for _, name in ipairs { "debug", "verbose", "error", "warning", "information", "progress" } do
        assert.equals(1, #p.streams[name], name)
      end
      assert.has_error(function() pool:pipeline():merge("error") end, "pipeline:merge: add a command first")
      assert.has_error(function() pool:pipeline():add_script("x"):merge("output") end,
        "pipeline:merge: unknown stream 'output' (error, warning, verbose, debug, information or all)")
    end)
  end)

  it("test_psrp_multiple_invocations: one pipeline invoked twice", function()
    replay("test_psrp_multiple_invocations.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_script("1 + 1")
      assert.same({ n = 1, 2 }, p:wait())
      local id = p.id
      assert.same({ n = 1, 2 }, p:invoke():wait()) -- the same id, a fresh state
      assert.equals(id, p.id)
      assert.equals("Completed", p.state)
      -- (pypsrp also signalled each finished pipeline: the replay skips those Signals)
    end)
  end)

  it("test_psrp_nested_command: a nested pipeline while the first runs, then stop", function()
    replay("test_psrp_nested_command.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local p = pool:pipeline():add_script("$i = 0; while ($true) { $i++ }"):invoke()
      local out = p:nested():add_command("Get-Variable", { Name = "i" }):wait()
      assert.equals(1, out.n)
      assert.equals("System.Management.Automation.PSVariable", out[1].type_names[1])
      assert.is_true(out[1].Value > 0)
      p:stop { wait = false }
      assert.equals("Stopping", p.state)
      assert.has_error(function() pool:pipeline():nested() end, "pipeline:nested: the pipeline is NotStarted")
    end)
  end)

  it("test_psrp_receive_failure: the host's text for a pipeline it does not know; the pool still closes",
    function()
      replay("test_psrp_receive_failure.yml", function(rs)
        local pool <close> = rs:runspace_pool()
        -- a pipeline the host never started (as pypsrp's test fakes it)
        local p = pool:pipeline()
        p.state, p.command_id, p.defrag = "Running", p.id, require("wsman.core")._psrp_defrag()
        local ok, err = pcall(p.wait, p)
        assert.is_false(ok)
        assert.matches("^Receive http://[^ ]+: The Windows Remote Shell received a request to perform an operation "
          .. "on a command identifier that does not exist%.", tostring(err))
        assert.matches("0x8033805B", tostring(err), 1, true)
        assert.equals("Opened", pool.state) -- the pipeline is gone, not the pool: its Delete is sent
      end)
    end)

  it("test_psrp_is_alive_*: the pool's shell state, a fault, a dropped connection", function()
    replay("test_psrp_is_alive_state_disconnected.yml", function(rs)
      local pool = rs:runspace_pool() -- (the recording leaves it open)
      assert.is_true(pool:is_alive())
      assert.same({ false, "Disconnected" }, { pool:is_alive() })
    end)
    replay("test_psrp_is_alive_invalid_selectors.yml", function(rs)
      local pool = rs:runspace_pool()
      assert.is_true(pool:is_alive())
      local alive, why = pool:is_alive()
      assert.is_false(alive)
      assert.matches("invalid selectors", tostring(why))
    end)
    replay("test_psrp_is_alive_http_error.yml", function(rs)
      local pool = rs:runspace_pool()
      assert.is_true(pool:is_alive())
      local alive, why = pool:is_alive()
      assert.is_false(alive)
      assert.is_not_nil(why)
    end)
  end)

  it("is_alive on the simulator's plug-in: Connected, Disconnected, closed", function()
    local session = plugin_session()
    local pool = session:runspace_pool()
    assert.is_true(pool:is_alive())
    pool:disconnect()
    assert.same({ false, "Disconnected" }, { pool:is_alive() })
    pool:connect()
    assert.is_true(pool:is_alive())
    pool:close()
    assert.same({ false, "the RunspacePool is Closed" }, { pool:is_alive() })
  end)

  it("merged streams, a re-invoked pipeline and a nested one on the simulator's plug-in", function()
    local session = plugin_session()
    local pool <close> = session:runspace_pool()
    local p = pool:pipeline():add_script("Write-Warning w; Write-Output o"):merge("warning")
    local out = p:wait()
    assert.same({ "w", "o" }, { tostring(out[1]), out[2] })
    assert.equals(0, #p.streams.warning)
    assert.same({ n = 2, "w", "o" }, (function()
      local again = p:invoke():wait()
      return { n = again.n, tostring(again[1]), again[2] }
    end)())
  end)
end)

describe("host calls", function()
  it("test_psrp_pshost_methods: a host without a UI gets SetShouldExit", function()
    replay("test_psrp_pshost_methods.yml", function(rs)
      local code
      local pool <close> = rs:runspace_pool { host = { ui = false, SetShouldExit = function(_, c) code = c end } }
      local out = pool:pipeline():add_script("$host.CurrentCulture; $host.SetShouldExit(1)"):wait()
      assert.equals("en-US", tostring(out[1]))
      assert.equals(1, code)
    end)
  end)

  it("test_psrp_pshost_ui_mocked_methods: every PSHostUserInterface call a recording has", function()
    replay("test_psrp_pshost_ui_mocked_methods.yml", function(rs)
      local WSMan = require "wsman"
      local asked = {}
      local pool <close> = rs:runspace_pool { host = {
        ReadLine = function() return "ReadLine response" end,
        ReadLineAsSecureString = function(p) return p.pool:secure_string("ReadLineAsSecureString response") end,
        Prompt = function(_, caption, message, fields)
          asked.prompt = { caption, message, fields.n }
          return { ["prompt field"] = "prompt response" }
        end,
        PromptForCredential2 = function(p)
          return WSMan.ps_object { type_names = { "System.Management.Automation.PSCredential", "System.Object" },
            adapted = { UserName = "username", Password = p.pool:secure_string("password") } }
        end,
        PromptForChoice = function() return 1 end,
      } }
      pool:exchange_keys() -- as the recording's client did, before the pipeline
      local p = pool:pipeline():add_script("$host.UI.ReadLine()")
      local out = p:wait()
      assert.equals("Completed", p.state)
      assert.equals(5, out.n)
      assert.equals("ReadLine response", out[1])
      assert.is_table(asked.prompt)
      -- the void calls (Write1, Write2, WriteLine1-3, WriteErrorLine, ...) were collected
      assert.equals(9, #p.host_output)
    end)
  end)

  it("test_psrp_pshost_raw_ui_mocked_methods: the raw UI's state, its Set* calls, ReadKey from Lua", function()
    replay("test_psrp_pshost_raw_ui_mocked_methods.yml", function(rs)
      local asked = {}
      local pool <close> = rs:runspace_pool { host = {
        -- the recording's client sent this state; the host answers reads of $host.UI.RawUI from it
        raw_ui = { ForegroundColor = 15, BackgroundColor = 9, CursorPosition = { x = 1, y = 2 },
          WindowPosition = { x = 3, y = 4 }, CursorSize = 50, BufferSize = { width = 80, height = 80 },
          WindowSize = { width = 80, height = 80 }, MaxWindowSize = { width = 80, height = 80 },
          MaxPhysicalWindowSize = { width = 80, height = 80 }, WindowTitle = "pypsrp window" },
        ReadKey = function(p, options)
          asked[#asked + 1] = { p.state, options }
          return { virtual_key_code = 65, character = "a", control_key_state = 128 }
        end,
      } }
      local p = pool:pipeline():add_script("$host.UI.RawUI.ForegroundColor")
      local out = p:wait()
      assert.equals("Completed", p.state)
      assert.equals(17, out.n)
      assert.same({ "White", "Green", "Blue", "Red", "1,2", "11,12" },
        { tostring(out[1]), tostring(out[2]), tostring(out[3]), tostring(out[4]), tostring(out[5]), tostring(out[6]) })
      assert.equals("System.Management.Automation.Host.KeyInfo", out[17].type_names[1])
      assert.equals("65,a,CapsLockOn,True", tostring(out[17]))
      assert.same({ { "Running", 4 } }, asked) -- ReadKey(IncludeKeyDown), answered from Lua
      -- every Set* call the host made is in the pool's raw UI state
      local raw = pool.raw_ui
      assert.same({ 10, 12, 25, "New Window Title" },
        { raw.ForegroundColor, raw.BackgroundColor, raw.CursorSize, raw.WindowTitle })
      assert.same({ x = 11, y = 12 }, raw.CursorPosition)
      assert.same({ x = 13, y = 14 }, raw.WindowPosition)
      assert.same({ width = 8, height = 9 }, raw.BufferSize)
      assert.same({ width = 8, height = 9 }, raw.WindowSize)
      -- the progress record and WriteProgress's host call (FlushInputBuffer, SetBufferContents and
      -- ScrollBufferContents are void calls the default host accepts)
      assert.equals(2, #p.streams.progress)
    end)
  end)

  it("the raw UI on the simulator: reads from the client's state, Set*, ReadKey, KeyAvailable", function()
    local session = plugin_session()
    local keys = {}
    local pool <close> = session:runspace_pool { host = {
      raw_ui = { WindowTitle = "mine", BufferSize = { width = 100, height = 2000 } },
      ReadKey = function(_, options)
        keys[#keys + 1] = options
        return { virtual_key_code = 13, character = "\r", control_key_state = 16 }
      end,
    } }
    local out = pool:pipeline():add_script([[
$host.UI.RawUI.WindowTitle
$host.UI.RawUI.BufferSize
$host.UI.RawUI.WindowSize
$host.UI.RawUI.ForegroundColor = 'Green'
$host.UI.RawUI.ForegroundColor
$c = New-Object -TypeName System.Management.Automation.Host.Coordinates -ArgumentList 11, 12
$host.UI.RawUI.CursorPosition = $c
$host.UI.RawUI.CursorPosition
$host.UI.RawUI.ReadKey(6)
$host.UI.RawUI.KeyAvailable
$host.UI.RawUI.FlushInputBuffer()
]]):wait()
    assert.equals(7, out.n)
    assert.equals("mine", out[1])
    assert.equals("System.Management.Automation.Host.Size", out[2].type_names[1])
    assert.same({ "100,2000", "120,50", "Green", "11,12" },
      { tostring(out[2]), tostring(out[3]), tostring(out[4]), tostring(out[5]) })
    assert.equals("13,\r,ShiftPressed,True", tostring(out[6]))
    assert.same({ 6 }, keys)
    assert.is_false(out[7]) -- GetKeyAvailable, a host call the default host answers
    assert.equals(10, pool.raw_ui.ForegroundColor)
    assert.same({ x = 11, y = 12 }, pool.raw_ui.CursorPosition)
    -- without a ReadKey function: the call fails with a message saying what to add, nothing hangs
    local bare <close> = session:runspace_pool { host = {} }
    local p = bare:pipeline():add_script("$host.UI.RawUI.ReadKey()")
    p:wait()
    assert.equals("Failed", p.state)
    assert.matches("the host does not implement ReadKey %(give the pool's host table a ReadKey function%)",
      tostring(p.error))
    -- a host without a raw UI: PowerShell's own refusal
    local no_raw <close> = session:runspace_pool { host = { raw_ui = false } }
    local q = no_raw:pipeline():add_script("$host.UI.RawUI.WindowTitle")
    q:wait()
    assert.equals("Failed", q.state)
    assert.matches("not implemented", tostring(q.error))
  end)

  it("the pool's host: RUNSPACEPOOL_HOST_CALL answered with RUNSPACEPOOL_HOST_RESPONSE (simulator plug-in)", function()
    local session = plugin_session()
    local calls = {}
    local pool <close> = session:runspace_pool { host = {
      ReadLine = function(target)
        calls[#calls + 1] = target
        return "from the pool's host"
      end } }
    local p = pool:pipeline { use_runspace_host = true }
      :add_script("$n = Read-Host -Prompt 'Name'; Write-Output \"got $n\"; Write-Host shown")
    assert.same({ n = 1, "got from the pool's host" }, p:wait())
    assert.equals("Completed", p.state)
    assert.same({ p }, calls) -- the function gets the pipeline whose call it answers
    assert.same({ "Name: ", "shown\n" }, p.host_output)
    -- the same pool's own pipelines still get PIPELINE_HOST_CALL
    assert.same({ n = 1, "got from the pool's host" },
      pool:pipeline():add_script("$n = Read-Host; Write-Output \"got $n\""):wait())
    assert.has_error(function() pool:pipeline { use_runspacehost = true } end,
      "pool:pipeline: unknown option 'use_runspacehost'")
  end)

  it("Read-Host answered from Lua, Write-Host collected (simulator plug-in)", function()
    local s = sim.start { "--allow-unencrypted" }
    local session = sim.session(s)
    local asked = 0
    local pool <close> = session:runspace_pool { host = { ReadLine = function(p)
      asked = asked + 1
      assert.equals("Running", p.state)
      return "Lua"
    end } }
    local p = pool:pipeline()
      :add_script("$n = Read-Host -Prompt 'Your name'; Write-Output \"hello $n\"; Write-Host shown")
    assert.same({ n = 1, "hello Lua" }, p:wait())
    assert.equals(1, asked)
    assert.same({ "Your name: ", "shown\n" }, p.host_output)
    -- a host without that method: the call fails with a message naming it, the pipeline too
    local pool2 <close> = session:runspace_pool { host = {} }
    local p2 = pool2:pipeline():add_script("Read-Host -Prompt x")
    p2:wait()
    assert.equals("Failed", p2.state)
    assert.matches("the host does not implement ReadLine", tostring(p2.error))
    -- no host: PowerShell's own refusal, never a hang
    local pool3 <close> = session:runspace_pool()
    local p3 = pool3:pipeline():add_script("Read-Host -Prompt x")
    p3:wait()
    assert.matches("NonInteractive mode", tostring(p3.error))
    assert.has_error(function() session:runspace_pool { host = true } end,
      "session:runspace_pool: option host must be a table of host methods")
  end)
end)

describe("SecureStrings", function()
  it("the session key exchange, a SecureString to the host and back (simulator plug-in)", function()
    local s = sim.start { "--allow-unencrypted" }
    local session = sim.session(s)
    local secret = "pässwörd \240\159\148\145"
    local pool <close> = session:runspace_pool { host = {
      ReadLineAsSecureString = function(p) return p.pool:secure_string(secret) end } }
    local p = pool:pipeline():add_script("Read-Host -AsSecureString")
    local out = p:wait()
    assert.equals("Completed", p.state)
    assert.equals("SecureString", out[1].type)
    assert.matches("^[%w+/=]+$", out[1].value) -- sent encrypted, as base64
    assert.is_nil(out[1].value:find("pässwörd", 1, true))
    assert.equals(secret, pool:decrypt(out[1]))
    local key = pool.key
    pool:exchange_keys() -- once per pool
    assert.equals(key, pool.key)
    assert.has_error(function() pool:decrypt("text") end, "pool:decrypt: not a SecureString")
  end)
end)

describe("the key exchange against a recording", function()
  it("test_psrp_multiple_commands: PUBLIC_KEY, the host's session key (re-encrypted by the replay)", function()
    replay("test_psrp_multiple_commands.yml", function(rs)
      local pool <close> = rs:runspace_pool()
      local ss = pool:secure_string("Hello World")
      assert.equals("SecureString", ss.type)
      local p = pool:pipeline():add_command("Set-Variable", { Name = "sec_string", Value = ss })
      local out = p:wait()
      assert.equals("Completed", p.state)
      assert.equals(7, out.n)
      assert.equals("Hello World", out[1])
      -- the recorded SecureString is encrypted with the recording's own session key
      assert.equals("SecureString", out[2].type)
    end)
  end)
end)

describe("session:ps", function()
  it("test_client_execute_ps: output, streams, had_errors", function()
    replay("test_client_execute_ps.yml", function(rs)
      local out, streams, had_errors = rs:ps("Get-Service -Name winrm")
      assert.equals(8, out.n)
      assert.equals("winrm", out[1])
      assert.matches("Windows Remote Management", out[6])
      assert.is_false(had_errors)
      assert.equals(1, #streams.progress)
      assert.equals(0, #streams.error)
    end)
  end)

  it("test_client_execute_ps_environment: 41 lines of the host's environment", function()
    replay("test_client_execute_ps_environment.yml", function(rs)
      local out, _, had_errors = rs:ps("Get-ChildItem env: | ForEach-Object { '{0}={1}' -f $_.Name, $_.Value }")
      assert.equals(41, out.n)
      assert.is_false(had_errors)
      local set = {}
      for i = 1, out.n do set[out[i]] = true end
      assert.is_true(set["bool=True"])
      assert.is_true(set["ALLUSERSPROFILE=C:\\ProgramData"])
    end)
  end)

  it("test_client_execute_ps_failure: a failed pipeline has errors", function()
    replay("test_client_execute_ps_failure.yml", function(rs)
      local out, streams, had_errors = rs:ps("Get-ServiceTypo -Name winrm")
      assert.equals(0, out.n)
      assert.is_true(had_errors)
      assert.matches("'Get%-ServiceTypo' is not recognized", tostring(streams.error[#streams.error]))
    end)
  end)
end)

describe("against the simulator's PowerShell plug-in", function()
  local s, session
  setup(function()
    s = sim.start { "--allow-unencrypted" }
    session = sim.session(s)
  end)

  it("objects out with their type names and properties", function()
    local pool <close> = session:runspace_pool()
    local p = pool:pipeline():add_command("Get-Service", { Name = "WinRM" })
    local got = {}
    for svc in p:output() do got[#got + 1] = svc end
    assert.equals(1, #got)
    assert.equals("WinRM", got[1].Name)
    assert.equals("Running", tostring(got[1].Status))
    assert.equals("Deserialized.System.ServiceProcess.ServiceController", got[1].type_names[1])
    assert.equals("Completed", p.state)
  end)

  it("session:ps: output, every stream, had_errors", function()
    local out, streams, had_errors = session:ps(
      "Write-Output hello; Write-Warning careful; Write-Verbose v -Verbose; Write-Error bad")
    assert.same({ n = 1, "hello" }, out)
    assert.same({ "careful" }, texts(streams.warning))
    assert.same({ "v" }, texts(streams.verbose))
    assert.same({ "bad" }, texts(streams.error))
    assert.is_true(had_errors)
    local _, _, clean = session:ps("Write-Output fine")
    assert.is_false(clean)
  end)

  it("10 MB of output objects and 10 MB of input objects", function()
    local pool <close> = session:runspace_pool()
    local out = pool:pipeline():add_command("New-SimString", { Length = 10000, Count = 1000 }):wait()
    assert.equals(1000, out.n)
    assert.equals(10000, #out[1])
    assert.equals(10000, #out[1000])
    local items = {}
    for i = 1, 1000 do items[i] = string.rep(string.char(65 + i % 26), 10000) end
    local p = pool:pipeline():add_script("$input | Measure-Object")
    p:invoke { input = items }
    local m = p:wait()
    assert.equals("Completed", p.state)
    assert.equals(1000, m[1].Count)
  end)

  it("the smallest MaxEnvelopeSize Windows allows (8192): messages fragmented both ways", function()
    local small = sim.session(s, nil, function(o) o.max_envelope_size = 8192 end)
    local pool <close> = small:runspace_pool()
    local big = string.rep("0123456789", 10000) -- 100 kB in one object
    local p = pool:pipeline():add_script("$input")
    p:invoke { input = { big, "tail" } }
    local out = p:wait()
    assert.equals(2, out.n)
    assert.equals(big, out[1])
    assert.equals("tail", out[2])
    local many = pool:pipeline():add_command("New-SimString", { Length = 20000, Count = 3 }):wait()
    assert.equals(3, many.n)
    assert.equals(20000, #many[3])
  end)

  it("statements: commands after add_statement() run after the ones before", function()
    local pool <close> = session:runspace_pool()
    local p = pool:pipeline():add_command("Write-Output", { InputObject = "one" }):add_statement()
      :add_command("Write-Output", { InputObject = "two" }):add_statement():add_statement()
      :add_script("Write-Output three")
    assert.same({ n = 3, "one", "two", "three" }, p:wait())
  end)

  it("a pool with 5 pipelines running at once", function()
    local pool <close> = session:runspace_pool { max_runspaces = 5 }
    local ps = {}
    for i = 1, 5 do
      ps[i] = pool:pipeline():add_script(("Start-Sleep -Milliseconds 200; Write-Output %d"):format(i)):invoke()
    end
    for i = 5, 1, -1 do
      assert.same({ n = 1, i }, ps[i]:wait())
      assert.equals("Completed", ps[i].state)
    end
  end)

  it("stop: a running pipeline ends Stopped", function()
    local pool <close> = session:runspace_pool()
    local p = pool:pipeline():add_command("Start-Sleep", { Seconds = 30 }):invoke()
    p:stop()
    assert.equals("Stopped", p.state)
  end)

  it("disconnect and reconnect: the pipeline runs on meanwhile, its output is read after", function()
    local pool <close> = session:runspace_pool()
    local p = pool:pipeline():add_script("Start-Sleep -Milliseconds 200; Write-Output done"):invoke()
    pool:disconnect()
    assert.equals("Disconnected", pool.state)
    local ok, err = pcall(p.wait, p)
    assert.is_false(ok)
    assert.matches("its RunspacePool is disconnected; pool:reconnect%(%) first", err)
    assert.has_error(function() pool:pipeline() end, "pool:pipeline: the RunspacePool is Disconnected")
    pool:reconnect()
    assert.equals("Opened", pool.state)
    assert.same({ n = 1, "done" }, p:wait())
    assert.has_error(function() pool:reconnect() end, "pool:reconnect: the RunspacePool is Opened")
  end)

  it("a JEA endpoint by configuration name; an unknown one is refused with Windows' text", function()
    local pool <close> = session:runspace_pool { configuration_name = "JEARole" }
    assert.equals("http://schemas.microsoft.com/powershell/JEARole", pool.shell.resource_uri)
    local p = pool:pipeline():add_script("Write-Output 1")
    p:wait()
    assert.equals("Failed", p.state)
    assert.matches("no%-language mode", tostring(p.error))
    local ok, err = pcall(session.runspace_pool, session, { configuration_name = "NoSuchConfig" })
    assert.is_false(ok)
    assert.matches("Cannot find the NoSuchConfig session configuration", tostring(err.Message or err))
  end)
end)
