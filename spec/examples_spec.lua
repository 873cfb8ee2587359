-- SPDX-License-Identifier: MIT
-- The examples (ports of Microsoft's VBScript samples, the demo, and run_cmd, run_ps,
-- shell_stream and tables written for lua-wsman) run as subprocesses against
-- the simulator: `lua5.4 examples/x.lua <url> testuser 'Passw0rd!'`, with the module from the
-- build directory (WSMAN_BUILD_DIR, default "build"). The expected values are the simulator's
-- data (spec/sim/data/*.json). The simulator is reset before each example.
local sim = require "helpers.sim"

local proc = require "helpers.proc"

local shell_quote, root, build = proc.quote, proc.root, proc.build

-- Runs a command line (a list of words) in `cwd` (default: the repository root) with the
-- module's paths set and the WSMAN_* variables cleared unless given in `env`. Returns the
-- combined stdout and stderr, and the exit status.
local function run(words, env, cwd)
  local parts = {
    "cd", shell_quote(cwd or root), "&&", "env",
    "-u", "WSMAN_ENDPOINT", "-u", "WSMAN_USER", "-u", "WSMAN_PASSWORD", "-u", "WSMAN_AUTH",
    "LUA_CPATH=" .. shell_quote(build .. "/?.so"),
    "LUA_PATH=" .. shell_quote(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua"),
  }
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. shell_quote(v) end
  parts[#parts + 1] = "timeout"
  parts[#parts + 1] = "120"
  for _, w in ipairs(words) do parts[#parts + 1] = shell_quote(w) end
  local p = assert(io.popen(table.concat(parts, " ") .. " 2>&1"))
  local out = p:read("a")
  local _, _, code = p:close()
  return out, code
end

local function count(s, pattern)
  local n = 0
  for _ in s:gmatch(pattern) do n = n + 1 end
  return n
end

local function plain(s) -- a Lua pattern matching s literally
  return (s:gsub("%p", "%%%0"))
end

describe("examples (ports of the Microsoft VBScript samples)", function()
  local s, session
  local CIM = sim.CIMV2

  -- lua5.4 examples/<name>.lua <url> testuser Passw0rd!
  local function example(name, env, extra)
    local words = { "lua5.4", "examples/" .. name .. ".lua", s.url, sim.user, sim.password }
    for _, w in ipairs(extra or {}) do words[#words + 1] = w end
    return run(words, env)
  end

  -- Asserts exit status 0 and shows the output when it is not.
  local function ok(name, env)
    local out, code = example(name, env)
    assert(code == 0, name .. ".lua exited with " .. tostring(code) .. ":\n" .. out)
    return out
  end

  local function has(out, text)
    assert(out:find(text, 1, true), ("expected %q in the output:\n%s"):format(text, out))
  end

  setup(function()
    -- a simulator of our own (fresh), stopped in teardown: an open popen'd simulator would keep
    -- the busted process from exiting (closing its pipe waits for a child that waits for us)
    s = sim.start({ "--allow-unencrypted" }, { fresh = true })
    session = sim.session(s)
  end)

  teardown(function()
    session = nil
    if s then s:stop() end
  end)

  before_each(function()
    session:Invoke("Reset", sim.CONTROL, "<p:Reset_INPUT xmlns:p=\"" .. sim.CONTROL .. "\"/>")
  end)

  it("get_local: the Winmgmt service, as XML and as WsmTxt text", function()
    local out = ok("get_local")
    has(out, "<p:Name>Winmgmt</p:Name>")
    has(out, "\nWin32_Service\n    AcceptPause = true\n    AcceptStop = true\n")
    has(out, "    DisplayName = Windows Management Instrumentation\n")
    has(out, "    InstallDate = null\n")
    has(out, "    PathName = C:\\Windows\\system32\\svchost.exe -k netsvcs -p\n")
    has(out, "    ProcessId = 1664\n")
    has(out, "    StartMode = Auto\n")
    has(out, "    State = Running\n")
    -- the text leaves out cim:Location (the XML has it)
    local text = out:sub(out:find("\nWin32_Service\n", 1, true))
    assert.is_nil(text:find("ReferenceParameters", 1, true))
  end)

  it("get_local runs from any directory, with the endpoint and account from the environment", function()
    local out, code = run({ "lua5.4", root .. "/examples/get_local.lua" },
      { WSMAN_ENDPOINT = s.url, WSMAN_USER = sim.user, WSMAN_PASSWORD = sim.password }, "/")
    assert(code == 0, out)
    has(out, "    Name = Winmgmt\n")
  end)

  it("get_local fails with winrm's error display and status 1 when nothing listens", function()
    local url = "http://127.0.0.1:" .. sim.closed_port() .. "/wsman"
    local out, code = run { "lua5.4", "examples/get_local.lua", url, sim.user, sim.password }
    assert.equals(1, code)
    has(out, "Error number:  -2147012867 0x80072EFD\n")
    has(out, "Cannot connect")
  end)

  it("get_local with a wrong password: access denied, status 1", function()
    local out, code = run { "lua5.4", "examples/get_local.lua", s.url, sim.user, "wrong" }
    assert.equals(1, code)
    has(out, "0x80070005")
  end)

  it("get_remote: Win32_OperatingSystem enumerated and shown as text (second script, Basic)", function()
    local out = ok("get_remote")
    assert.equals(1, count("\n" .. out, "\nWin32_OperatingSystem\n"))
    has(out, "    Caption = Microsoft Windows Server 2019 Datacenter\n")
    has(out, "    CSName = WINRM-SIM\n")
    has(out, "    CSDVersion = null\n")
    has(out, "    Version = 10.0.17763\n")
    has(out, "    InstallDate\n        Datetime = 2023-11-02T09:14:27Z\n")
  end)

  it("get_remote keeps the sample's Kerberos path (WSMAN_AUTH=sample): not built yet, said so", function()
    local out, code = example("get_remote", { WSMAN_AUTH = "sample" })
    assert.equals(1, code)
    has(out, "Kerberos")
    has(out, "Error number:")
  end)

  it("enumerate_scheduled_jobs: three jobs, each shown, then the count", function()
    local out = ok("enumerate_scheduled_jobs")
    assert.equals(3, count("\n" .. out, "\nWin32_ScheduledJob\n"))
    has(out, "    Command = C:\\Scripts\\backup.cmd\n")
    has(out, "    Command = C:\\Scripts\\cleanup.cmd /quiet\n")
    has(out, "    StartTime\n        Datetime = 2024-01-01T23:00:00Z\n")
    has(out, "    ElapsedTime\n        Interval = P0DT0H5M12S\n")
    has(out, "There are 3 jobs scheduled.\n")
  end)

  it("query_network_adapters: WQL IpEnabled=TRUE finds the one enabled adapter", function()
    local out = ok("query_network_adapters")
    assert.equals(1, count("\n" .. out, "\nWin32_NetworkAdapterConfiguration\n"))
    has(out, "    Index = 1\n")
    has(out, "    IPEnabled = true\n")
    has(out, "    Description = Microsoft Hyper-V Network Adapter\n")
    has(out, "    DNSServerSearchOrder = 10.0.0.2, 8.8.8.8\n")
  end)

  it("query_admin_share: WQL Name='Admin$' finds the ADMIN$ share", function()
    local out = ok("query_admin_share")
    assert.equals(1, count("\n" .. out, "\nWin32_Share\n"))
    has(out, "    Name = ADMIN$\n")
    has(out, "    Path = C:\\Windows\n")
    has(out, "    Caption = Remote Admin\n")
  end)

  it("session_get: the response message with the Winmgmt XML", function()
    local out = ok("session_get")
    assert.matches("^Response message: \n<p:Win32_Service ", out)
    has(out, "<p:Name>Winmgmt</p:Name>")
    has(out, "<p:State>Running</p:State>")
  end)

  it("session_get: DisplayErrorInfo (Number, Description, Source) and status 1 on failure", function()
    local url = "http://127.0.0.1:" .. sim.closed_port() .. "/wsman"
    local out, code = run { "lua5.4", "examples/session_get.lua", url, sim.user, sim.password }
    assert.equals(1, code)
    has(out, "An error has occurred.\n\nError Info\n-----------\n")
    has(out, "Number      : 0x80072EFD\n")
    has(out, "Description : Cannot connect")
    has(out, "Source      : Session.Get\n")
  end)

  it("session_error: 0x803380FA, its text, and the WSManFault from objSession.Error", function()
    local out, code = example("session_error")
    assert.equals(1, code)
    has(out, "Number      : 0x803380FA\n")
    has(out, "Description : The WinRM client cannot process the request. The resource URI is not valid: "
      .. "it does not contain keys, but the class selected is not a singleton.")
    has(out, "Source      : Session.Get\n")
    has(out, "<f:WSManFault")
    has(out, 'Code="2150859002"')
    has(out, "<f:ProviderFault")
  end)

  it("put_wmi_setting: LoggingLevel 2 is returned, and a later Get sees it", function()
    assert.matches("<p:LoggingLevel>1</p:LoggingLevel>", session:Get(CIM .. "Win32_WMISetting"))
    local out = ok("put_wmi_setting")
    assert.matches("^Returned resource Uri:\n<p:Win32_WMISetting ", out)
    has(out, "<p:LoggingLevel>2</p:LoggingLevel>")
    assert.matches("<p:LoggingLevel>2</p:LoggingLevel>", session:Get(CIM .. "Win32_WMISetting"))
  end)

  it("delete_listener removes the HTTP listener; create_listener creates it with the FQDN", function()
    local listener = "winrm/config/Listener?Address=*+Transport=HTTP"
    assert.matches("<cfg:Transport>HTTP</cfg:Transport>", session:Get(listener))

    local out = ok("delete_listener")
    assert.equals("", out)
    assert.is_false(pcall(session.Get, session, listener))

    out = ok("create_listener", { COMPUTERNAME = "SIMHOST", USERDNSDOMAIN = "example.test" })
    assert.matches("^Response message: \n", out)
    has(out, "ResourceCreated")
    has(out, "http://schemas.microsoft.com/wbem/wsman/1/config/Listener")
    has(out, 'Name="Address">*<')
    has(out, 'Name="Transport">HTTP<')
    assert.matches("<cfg:Hostname>SIMHOST.example.test</cfg:Hostname>", session:Get(listener))
  end)

  it("create_listener when the listener exists: the server's error, status 1", function()
    local out, code = example("create_listener")
    assert.equals(1, code)
    has(out, "Error number:")
  end)

  it("invoke_create_process: Create_OUTPUT with the new ProcessId, and the process exists", function()
    local out = ok("invoke_create_process")
    local pid = out:match("^Create_OUTPUT\n    ProcessId = (%d+)\n    ReturnValue = 0\n")
    assert(pid, out)
    assert.matches("<p:CommandLine>calc.exe</p:CommandLine>", session:Get(CIM .. "Win32_Process?Handle=" .. pid))
  end)

  it("invoke_stop_start_service: StopService then StartService on W32Time, both ReturnValue 0", function()
    local out = ok("invoke_stop_start_service")
    assert.equals("StopService_OUTPUT\n    ReturnValue = 0\n\nStartService_OUTPUT\n    ReturnValue = 0\n\n", out)
    assert.matches("<p:State>Running</p:State>", session:Get(CIM .. "Win32_Service?Name=W32Time"))
  end)

  it("invoke_stop_start_service on a stopped service: StopService answers 5, as Windows does", function()
    local input = '<p:StopService_INPUT xmlns:p="' .. CIM .. 'Win32_Service"/>'
    session:Invoke("StopService", CIM .. "Win32_Service?Name=W32Time", input)
    local out = ok("invoke_stop_start_service")
    has(out, "StopService_OUTPUT\n    ReturnValue = 5\n")
    has(out, "StartService_OUTPUT\n    ReturnValue = 0\n")
  end)

  it("session_timeout: the same Create with Timeout = 10000", function()
    local out = ok("session_timeout")
    assert.matches("^Create_OUTPUT\n    ProcessId = %d+\n    ReturnValue = 0\n", out)
  end)

  it("identify: unauthenticated (no product version), then authenticated", function()
    local out = ok("identify")
    assert.equals(2, count(out, "<wsmid:IdentifyResponse"))
    has(out, "Microsoft Corporation")
    has(out, "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd")
    local first, second = out:match("^(.-</wsmid:IdentifyResponse>)(.*)$")
    assert.matches("OS: 0%.0%.0", first)
    assert.matches("OS: 10%.0%.17763", second)
  end)

  it("fragment_processor: NumberOfCores and NumberOfLogicalProcessors of CPU0", function()
    local out = ok("fragment_processor")
    assert.equals("XmlFragment\n    NumberOfCores = 2\n\nXmlFragment\n    NumberOfLogicalProcessors = 4\n\n", out)
  end)

  it("fragment_adapter_description: the Description of adapter Index=1, as XML", function()
    local out = ok("fragment_adapter_description")
    has(out, "XmlFragment")
    has(out, "<Description>Microsoft Hyper-V Network Adapter</Description>")
  end)

  it("fragment_dns_server: DNSServerSearchOrder[1] (1-based) and the whole array", function()
    local out = ok("fragment_dns_server")
    has(out, "FragmentPath = DNSServerSearchOrder[1]\nXmlFragment\n    DNSServerSearchOrder = 10.0.0.2\n")
    has(out, "FragmentPath = DNSServerSearchOrder\nXmlFragment\n    DNSServerSearchOrder = 10.0.0.2, 8.8.8.8\n")
  end)

  it("fragment_case: /Win32_SERVICE/Name fails (case-sensitive), /Win32_Service/Name works", function()
    local out = ok("fragment_case")
    has(out, "(wrong case) fails")
    has(out, "Number      : 0x")
    has(out, "Win32_SERVICE")
    has(out, "<Name>WinRM</Name>")
  end)

  it("enumerate_object_and_epr: each item carries the instance and its EPR", function()
    local out = ok("enumerate_object_and_epr")
    has(out, "Win32_OperatingSystem\n")
    has(out, "Caption = Microsoft Windows Server 2019 Datacenter\n")
    has(out, "EndpointReference\n")
    has(out, "ResourceURI = http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_OperatingSystem\n")
    has(out, "Selector: Name = Microsoft Windows Server 2019 Datacenter|C:\\Windows|\\Device\\Harddisk0\\Partition2\n")
  end)

  it("connection_options: Basic with an explicit account, Get winrm/config", function()
    local out = ok("connection_options")
    assert.matches("^Config\n", out)
    has(out, "    MaxEnvelopeSizekb = 500\n")
    has(out, "    Client\n        NetworkDelayms = 5000\n")
    has(out, "    Service\n")
    has(out, "        AllowUnencrypted = true\n")
    has(out, "            Basic = true\n")
  end)

  it("display_xml_output: Spooler as text, then each logical disk", function()
    local out = ok("display_xml_output")
    assert.matches("^Win32_Service\n", out)
    has(out, "    Name = Spooler\n")
    has(out, "    DisplayName = Print Spooler\n")
    has(out, "    InstallDate = null\n")
    assert.equals(2, count("\n" .. out, "\nWin32_LogicalDisk\n"))
    has(out, "    DeviceID = C:\n")
    assert.is_nil(out:find("ReferenceParameters", 1, true))
  end)

  it("demo: every section, with the simulator's data, and status 0", function()
    local out, code = run({ "lua5.4", "examples/demo.lua" },
      { WSMAN_ENDPOINT = s.url, WSMAN_USER = sim.user, WSMAN_PASSWORD = sim.password })
    assert(code == 0, out)
    for n, title in ipairs { "Identify", "Get one instance", "WQL query", "Invoke", "Put", "Fragment Get",
      "When something goes wrong" } do
      assert.matches("== " .. n .. ". " .. plain(title), out)
    end
    assert.matches("ProductVendor%s+Microsoft Corporation", out)
    assert.matches("DisplayName%s+Windows Management Instrumentation", out)
    assert.matches("\n    20 services are running%.\n", out)
    assert.matches("State before%s+Running\n", out)
    assert.matches("StopService ReturnValue%s+0\n%s+State is now%s+Stopped\n", out)
    assert.matches("StartService ReturnValue%s+0\n%s+State is now%s+Running\n", out)
    assert.matches("LoggingLevel before%s+1\n", out)
    assert.matches("LoggingLevel, Get again%s+2\n", out)
    assert.matches("NumberOfCores%s+2\n", out)
    assert.matches("DNSServerSearchOrder%[1%]%s+10%.0%.0%.2\n", out)
    assert.matches("err%.code%s+0x803380FA %(2150859002%)", out)
    assert.matches("err%.name%s+ERROR_WSMAN_INVALID_URI_WMI_SINGLETON", out)
    has(out, "Done: every step worked.")
  end)

  it("demo without an endpoint prints its usage and exits with 2", function()
    local out, code = run { "lua5.4", "examples/demo.lua" }
    assert.equals(2, code)
    has(out, "usage:")
  end)

  -- The examples written for lua-wsman itself (not ports): WSMan.connect, run_cmd, run_ps,
  -- streaming shells and the table layer.
  it("run_cmd: a command with its arguments, its output and its exit code", function()
    local out, code = example("run_cmd", nil, { "echo", "hello", "world" })
    assert(code == 0, out)
    has(out, "hello world\n")
    has(out, "exit code: 0\n")
    out, code = example("run_cmd", nil, { "false" })
    assert.equals(1, code)
    has(out, "exit code: 1\n")
  end)

  it("run_ps: the script's output, the error stream as text and the records", function()
    local out, code = example("run_ps")
    assert(code == 0, out)
    has(out, "Write-Warning \"this is what a warning looks like\"") -- the emulation echoes the script
    has(out, "exit code: 0\n")
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("#sim:clixml streams\nWrite-Output done\n")
    f:close()
    out, code = example("run_ps", nil, { path })
    os.remove(path)
    assert.equals(1, code)
    has(out, "Write-Output done\n")
    has(out, "warning: The disk is almost full.\n")
    has(out, "verbose: Performing the operation \"Remove File\" on target \"C:\\temp\\caf\u{E9}.txt\".\n")
    has(out, "progress: Copying files 1 of 2 <done> (50%)\n")
    has(out, "Write-Error : something failed")
    has(out, "second error")
    assert.is_nil(out:find("CLIXML", 1, true))
  end)

  it("shell_stream: output chunk by chunk with its stream, then stdin through sort", function()
    local out, code = example("shell_stream", nil, { "seq", "1", "3" })
    assert(code == 0, out)
    assert.matches("shell %x+%-%x+%-%x+%-%x+%-%x+\n", out)
    has(out, "[stdout] 1\n[stdout] 2\n[stdout] 3\n")
    has(out, "seq exited with 0\n")
    has(out, "sorted: apple orange pear\n")
    assert.equals(0, sim.stats(session).OpenShells, "the shell is deleted at the end of its scope")
  end)

  it("tables: get, enumerate with a filter, invoke and a config read as tables", function()
    local out = ok("tables")
    has(out, "Win32_Service: Spooler (Running), start mode Auto\n")
    assert.matches("\n%d+ services are running\n", out)
    has(out, "StopService returned 0; the service is now Stopped\n")
    has(out, "StartService returned 0; the service is now Running\n")
    has(out, "MaxConcurrentOperationsPerUser = 1500\n")
  end)

  it("the embedding host runs an example: wsman-embed examples/get_local.lua", function()
    local embed = build .. "/wsman-embed"
    local f = io.open(embed)
    assert(f, embed .. " was not built")
    f:close()
    local out, code = run { embed, "examples/get_local.lua", s.url, sim.user, sim.password }
    assert(code == 0, out)
    has(out, "<p:Name>Winmgmt</p:Name>")
    has(out, "    State = Running\n")
  end)
end)

describe("examples/common.lua", function()
  local common

  setup(function()
    common = dofile(root .. "/examples/common.lua")
  end)

  it("renders like WsmTxt.xsl: local names, null, arrays on one line, nesting, no cim:Location", function()
    local xml = '<p:C xmlns:p="urn:c" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" '
      .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
      .. "<p:A>1 &amp; 2</p:A><p:D xsi:nil=\"true\"/><p:L>x</p:L><p:L>y</p:L>"
      .. "<p:T><cim:Datetime>2024-01-01T00:00:00Z</cim:Datetime></p:T>"
      .. '<cim:Location><a:Address xmlns:a="urn:a">anon</a:Address></cim:Location></p:C>'
    assert.equals("C\n    A = 1 & 2\n    D = null\n    L = x, y\n    T\n        Datetime = 2024-01-01T00:00:00Z\n",
      common.to_text(xml))
  end)

  it("renders selectors as 'Selector: Name = value'", function()
    local xml = '<w:SelectorSet xmlns:w="urn:w"><w:Selector Name="Name">Spooler</w:Selector></w:SelectorSet>'
    assert.equals("SelectorSet\n    Selector: Name = Spooler\n", common.to_text(xml))
  end)

  it("properties() reads an instance into a table", function()
    local t = common.properties('<p:C xmlns:p="u" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
      .. '<p:A>1</p:A><p:N xsi:nil="true"/><p:L>x</p:L><p:L>y</p:L></p:C>')
    assert.same({ A = "1", L = { "x", "y" } }, t)
  end)

  it("refuses malformed XML with an error", function()
    assert.has_error(function() common.to_text("<a><b></a>") end)
    assert.has_error(function() common.to_text('<!DOCTYPE x []><x/>') end)
  end)
end)
