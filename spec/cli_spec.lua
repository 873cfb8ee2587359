-- SPDX-License-Identifier: MIT
-- The wsman command (bin/wsman) as a subprocess against the simulator: every verb and switch,
-- winrm's messages for bad switches and bad @{...} input, exit codes, output formats.
local sim = require "helpers.sim"
local _ -- the values a test does not look at
local CIM = sim.CIMV2

local root = sim.root
local build = os.getenv("WSMAN_BUILD_DIR") or "build"
if not build:match("^/") then build = root .. "/" .. build end

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local tmp = os.tmpname()

-- Under AddressSanitizer the first fiber switch (tasks: several hosts) prints this notice of
-- ASan's own on stderr; it is not the command's output.
local ASAN_NOTICE = "==%d+==WARNING: ASan doesn't fully support makecontext/swapcontext[^\n]*"

-- Runs bin/wsman with the arguments; returns status, stdout, stderr.
local function wsman(args, opts)
  opts = opts or {}
  local parts = {}
  for _, a in ipairs(args) do parts[#parts + 1] = q(a) end
  local env = "env -u WSMAN_PASSWORD -u WSMAN_PROGRESS LUA_CPATH=" .. q(build .. "/?.so;;") .. " LUA_PATH="
    .. q(root .. "/lua/?.lua;;")
  for k, v in pairs(opts.env or {}) do env = env .. " " .. k .. "=" .. q(v) end
  local cmd = env .. " " .. q(root .. "/bin/wsman") .. " " .. table.concat(parts, " ")
    .. " 2>" .. q(tmp) .. " <" .. (opts.stdin or "/dev/null")
  local p = io.popen(cmd, "r")
  local out = p:read("a")
  local _, _, status = p:close()
  local f = io.open(tmp)
  local err = f:read("a"):gsub(ASAN_NOTICE .. "\n", "")
  f:close()
  return status, out, err
end

local function json_ok(text)
  local f = io.open(tmp .. ".json", "w")
  f:write(text)
  f:close()
  local ok = os.execute("env -u LD_PRELOAD /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' < " .. q(tmp
    .. ".json"))
  return ok == true
end

local function json_count(text)
  local f = io.open(tmp .. ".json", "w")
  f:write(text)
  f:close()
  local p = io.popen("env -u LD_PRELOAD /usr/bin/python3 -c "
    .. "'import json,sys; v=json.load(sys.stdin); print(len(v) if isinstance(v, list) else -1)' < "
    .. q(tmp .. ".json"))
  local n = tonumber(p:read("l"))
  p:close()
  return n
end

-- Checks JSON lines with Python's parser; returns one summary per line: "HOST OK DETAIL" (DETAIL:
-- the error's hex code, a run's exit code and stdout, or the type of the result).
local function jsonl_lines(text)
  local f = io.open(tmp .. ".json", "w")
  f:write(text)
  f:close()
  local py = [[
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    r = o.get("result")
    if not o["ok"]:
        d = o["error"]["hex"] + " " + str(o["error"]["code"]) + " " + o["error"]["operation"]
    elif isinstance(r, dict) and "exit_code" in r:
        d = "exit=%d out=%s" % (r["exit_code"], r["stdout"].strip())
    elif isinstance(r, list):
        d = "list=%d" % len(r)
    else:
        d = r.get("#class", "?") if isinstance(r, dict) else type(r).__name__
    print(o["host"], o["ok"], d)
]]
  local p = io.popen("env -u LD_PRELOAD /usr/bin/python3 -c " .. q(py) .. " < " .. q(tmp .. ".json") .. " 2>&1")
  local lines = {}
  for l in p:lines() do lines[#lines + 1] = l end
  p:close()
  return lines
end

local HASH = 'Syntax Error: input must be of the form {KEY="VALUE"[;KEY="VALUE"]}'
local GENERAL = 'Error: Invalid use of command line. Type "wsman -?" for help.'

describe("wsman command", function()
  local s, auth

  local function with(args)
    local t = {}
    for _, a in ipairs(args) do t[#t + 1] = a end
    for _, a in ipairs(auth) do t[#t + 1] = a end
    return t
  end

  setup(function()
    s = sim.start { "--allow-unencrypted" }
    auth = { "-r:" .. s.url, "-u:" .. sim.user, "-p:" .. sim.password, "-a:basic", "-unencrypted" }
    local session = sim.session(s)
    session:Invoke("Reset", sim.CONTROL, '<p:Reset_INPUT xmlns:p="' .. sim.CONTROL .. '"/>')
  end)

  teardown(function()
    os.remove(tmp)
    os.remove(tmp .. ".json")
  end)

  describe("help", function()
    it("prints the usage with no arguments, -?, help TOPIC and VERB -?", function()
      local st, out = wsman {}
      assert.equals(0, st)
      assert.matches("wsman OPERATION RESOURCE_URI", out, 1, true)
      st, out = wsman { "-?" }
      assert.equals(0, st)
      assert.matches("wsman e%[numerate%]", out)
      st, out = wsman { "get", "-?" }
      assert.equals(0, st)
      assert.matches("wsman get RESOURCE_URI", out, 1, true)
      st, out = wsman { "help", "input" }
      assert.equals(0, st)
      assert.matches("$null", out, 1, true)
      st, out = wsman { "help", "all" }
      assert.equals(0, st)
      assert.matches("wsman invoke ACTION", out, 1, true)
      assert.matches("Aliases", out)
    end)

    it("helpmsg shows the text of a code given in hex, negative or positive decimal", function()
      local st, out = wsman { "helpmsg", "0x80338012" }
      assert.equals(0, st)
      assert.matches("cannot connect to the destination", out)
      local st2, out2 = wsman { "helpmsg", "-2144108526" }
      assert.equals(0, st2)
      assert.equals(out, out2)
      local _, out3 = wsman { "helpmsg", "2150859002" }
      assert.matches("singleton", out3)
      local _, out4 = wsman { "helpmsg", "0x5" }
      assert.matches("[Aa]ccess is denied", out4)
      local st5, out5 = wsman { "helpmsg", "zork" }
      assert.equals(0, st5)
      assert.matches("wsman helpmsg errorcode", out5, 1, true)
    end)
  end)

  describe("command line checks (winrm's messages)", function()
    it("an unknown switch", function()
      local st, out, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", "-bogus:1" })
      assert.equals(1, st)
      assert.equals("", out)
      assert.equals("Error: Unknown switch: bogus\n" .. GENERAL .. "\n", err)
    end)

    it("a switch not allowed with the operation", function()
      local st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", "-shallow" })
      assert.equals(1, st)
      assert.equals("Error: Switch not allowed with the given operation: shallow\n" .. GENERAL .. "\n", err)
      st, _, err = wsman(with { "identify", "-filter:x" })
      assert.equals(1, st)
      assert.matches("Switch not allowed with the given operation: filter", err, 1, true)
    end)

    it("a repeated switch, a missing switch name, bad quoting", function()
      local st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:other" })
      assert.equals(1, st)
      assert.equals("Error: Option is not unique: remote\n", err)
      st, _, err = wsman { "get", "x", "-:1" }
      assert.equals(1, st)
      assert.equals("Error: Missing switch name\n", err)
      st, _, err = wsman { "get", "x", '-filter:"abc' }
      assert.equals(1, st)
      assert.equals("Error: A quoted parameter value must begin and end with quotes: filter\n", err)
    end)

    it("an unknown operation, a wrong number of arguments, input to get", function()
      local st, _, err = wsman { "frob", "x" }
      assert.equals(1, st)
      assert.equals("Error: Unknown operation name: 'frob'\n", err)
      st, _, err = wsman(with { "get" })
      assert.equals(1, st)
      assert.equals(GENERAL .. "\n", err)
      st, _, err = wsman(with { "invoke", "StopService" })
      assert.equals(1, st)
      assert.equals(GENERAL .. "\n", err)
      st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", '@{Name="x"}' })
      assert.equals(1, st)
      assert.equals("Error: Input was supplied to an operation that does not accept input.\n", err)
      st, _, err = wsman { "quickconfig" }
      assert.equals(1, st)
      assert.matches("not available", err)
    end)

    it("bad values: -format, -encoding, -a, -timeout, -returnType, -associations", function()
      local st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", "-format:bogus" })
      assert.equals(1, st)
      assert.equals('Invalid option for -format: "bogus". Valid values: text, xml, pretty, json, jsonl.\n', err)
      st, _, err = wsman { "get", "wmicimv2/Win32_Service?Name=Spooler", "-encoding:utf-8" }
      assert.equals(1, st)
      assert.equals("Error: The '-encoding' option is only valid when used with the '-remote' option\n", err)
      st, _, err = wsman { "get", "x", "-r:" .. s.url, "-encoding:latin1" }
      assert.equals(1, st)
      assert.equals("Error: The specified encoding flag 'latin1' is invalid. Valid values: utf-8, utf-16.\n", err)
      st, _, err = wsman { "get", "x", "-r:" .. s.url, "-encoding" }
      assert.equals(1, st)
      assert.equals("Error: Argument's value is not provided: encoding\n", err)
      st, _, err = wsman { "get", "x", "-unencrypted" }
      assert.equals(1, st)
      assert.equals("Error: The '-unencrypted' option is only valid when used with the '-remote' option\n", err)
      st, _, err = wsman { "get", "x", "-r:" .. s.url, "-a:bogus" }
      assert.equals(1, st)
      assert.equals("Error: The specified '-authentication' flag 'bogus' has an invalid value. Valid values: none, "
        .. "basic, digest, negotiate (or ntlm), kerberos, certificate, credssp.\n", err)
      st, _, err = wsman { "get", "x", "-r:" .. s.url, "-a:basic" }
      assert.equals(1, st)
      assert.equals("Error: The '-username' option must be specified for '-auth:basic'\n", err)
      st, _, err = wsman { "get", "x", "-r:" .. s.url, "-a:none", "-u:x" }
      assert.equals(1, st)
      assert.equals("Error: The '-username' option is not valid for '-auth:none'\n", err)
      st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", "-timeout:soon" })
      assert.equals(1, st)
      assert.equals("Error: Numeric value for -timeout option is expected\n", err)
      st, _, err = wsman(with { "e", "wmicimv2/Win32_Service", "-returnType:everything" })
      assert.equals(1, st)
      assert.equals("Error: -returntype:everything is not a valid option. Valid values: Object, EPR, "
        .. "ObjectAndEPR.\n", err)
      st, _, err = wsman(with { "e", "wmicimv2/Win32_Service", "-associations" })
      assert.equals(1, st)
      assert.equals("Error: -associations is not a valid option for the given dialect\n", err)
      st, _, err = wsman(with { "e", "wmicimv2/*", "-dialect:association" })
      assert.equals(1, st)
      assert.equals("Error: -filter parameter is required for the given dialect\n", err)
    end)
  end)

  describe("@{...} input (winrm's grammar)", function()
    for _, bad in ipairs { "@{Name=1}", "@{Name=\"1\";}", "@{Name=\"1\" Value=\"2\"}", "@Name=\"1\"", "@",
      "@{ }", "@{Name=\"a\"b\"}", "@{Name=$nullx}", "@{=\"1\"}", "@{Na-me=\"1\"}", "@x}" } do
      it("refuses " .. bad, function()
        local st, out, err = wsman(with { "create", "wmicimv2/Win32_Environment", bad })
        assert.equals(1, st)
        assert.equals("", out)
        assert.equals(HASH .. "\n", err)
      end)
    end

    it("refuses a repeated key with winrm's message", function()
      local st, _, err = wsman(with { "create", "wmicimv2/Win32_Environment", '@{Name="a";Name="b"}' })
      assert.equals(1, st)
      assert.equals("Error: Multiple matching parameter names not allowedin @{...}: Name\n", err)
    end)

    it("accepts white space, $null in any case, and {} for no parameters", function()
      local cli = require "wsman.cli"
      local v, keys = cli.parse_hash('{ Name = "a b" ;  X:y=$NULL; Empty="" }')
      assert.same({ "Name", "X:y", "Empty" }, keys)
      assert.equals("a b", v.Name)
      assert.equals(require("wsman").null, v["X:y"])
      assert.equals("", v.Empty)
      assert.same({}, (cli.parse_hash("{}")))
    end)
  end)

  describe("get", function()
    it("prints winrm's text by default", function()
      local st, out, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler" })
      assert.equals(0, st, err)
      assert.equals("", err)
      assert.matches("^Win32_Service\n    AcceptPause = false\n    AcceptStop = true\n", out)
      assert.matches("\n    InstallDate = null\n", out, 1, true)
      assert.matches("\n    Name = Spooler\n", out, 1, true)
      assert.not_matches("Location", out)
      assert.matches("\n\n$", out)
    end)

    it("-format:xml prints the XML as received, -format:pretty indented, -format:json an object", function()
      local session = sim.session(s)
      local _, out = wsman(with { "get", "winrm/config", "-format:xml" })
      assert.equals(session:Get("winrm/config") .. "\n", out)
      _, out = wsman(with { "get", "winrm/config", "-format:pretty" })
      assert.matches('^<cfg:Config xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config">\n'
        .. '    <cfg:MaxEnvelopeSizekb>', out)
      assert.matches("\n        <cfg:Auth>\n            <cfg:Basic>true</cfg:Basic>\n", out, 1, true)
      assert.matches("\n        <cfg:TrustedHosts/>\n", out, 1, true)
      _, out = wsman(with { "get", "winrm/config", "-format:json" })
      assert.is_true(json_ok(out))
      assert.matches('^{"#class":"Config","MaxEnvelopeSizekb":"', out)
      _, out = wsman(with { "get", "wmicimv2/Sim_NumericTypes?Id=1", "-f:json" })
      assert.is_true(json_ok(out))
      assert.matches('"Text":"<xml & \\"quotes\\">"', out, 1, true)
      assert.matches('"Nothing":null', out, 1, true)
      assert.matches('"Numbers":["1","-2","3"]', out, 1, true)
      assert.matches('"#epr":{', out, 1, true)
    end)

    it("text for winrm/config: nested sections and empty values as winrm shows them", function()
      local _, out = wsman(with { "get", "winrm/config" })
      assert.matches("^Config\n    MaxEnvelopeSizekb = %d+\n", out)
      assert.matches("\n    Client\n        NetworkDelayms = 5000\n", out, 1, true)
      assert.matches("\n        Auth\n            Basic = true\n", out, 1, true)
      assert.matches("\n        TrustedHosts\n", out, 1, true)
    end)

    it("-fragment and -dialect", function()
      local st, out = wsman(with { "get", "wmicimv2/Win32_Processor?DeviceID=CPU0", "-fragment:NumberOfCores" })
      assert.equals(0, st)
      assert.matches("^XmlFragment\n    NumberOfCores = %d+\n", out)
      st, out = wsman(with { "get", "wmicimv2/Win32_Processor?DeviceID=CPU0", "-fragment:NumberOfCores",
        "-dialect:xpath", "-format:xml" })
      assert.equals(0, st)
      assert.matches("NumberOfCores>%d+<", out)
    end)

    it("-options, -timeout, -encoding, -skipCAcheck/-skipCNcheck on HTTP", function()
      local st, out, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", '-options:{Opt="1"}',
        "-timeout:20000", "-encoding:utf-16", "-format:xml" })
      assert.equals(0, st, err)
      assert.matches("<p:Name>Spooler</p:Name>", out)
      st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=Spooler", "-options:{Opt=1}" })
      assert.equals(1, st)
      assert.equals(HASH .. "\n", err)
    end)

    it("a failure: winrm's error display on stderr and status 1", function()
      local st, out, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=NoSuchService" })
      assert.equals(1, st)
      assert.equals("", out)
      assert.matches("^WSManFault\n    Message\n        ProviderFault\n", err)
      assert.matches("\n\nError number:  %-2144108544 0x80338000\n"
        .. "The WS%-Management service cannot process the request%.", err)
      st, _, err = wsman(with { "get", "wmicimv2/Win32_QuotaSetting" })
      assert.equals(1, st)
      assert.matches("Error number:  -2144108294 0x803380FA\n", err, 1, true)
      st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=NoSuchService", "-format:xml" })
      assert.equals(1, st)
      assert.matches('^<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        .. 'Code="2150858752"', err)
      st, _, err = wsman(with { "get", "wmicimv2/Win32_Service?Name=NoSuchService", "-format:json" })
      assert.equals(1, st)
      assert.is_true(json_ok(err:match("^[^\n]*")))
      st, _, err = wsman { "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:http://127.0.0.1:"
        .. sim.closed_port() .. "/wsman",
        "-u:x", "-p:y", "-a:basic", "-unencrypted" }
      assert.equals(1, st)
      assert.matches("Error number:  -2147012867 0x80072EFD\n", err, 1, true)
    end)
  end)

  describe("credentials", function()
    it("reads a missing password from WSMAN_PASSWORD", function()
      local st, out, err = wsman({ "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:" .. s.url, "-u:" .. sim.user,
        "-a:basic", "-unencrypted", "-format:xml" }, { env = { WSMAN_PASSWORD = sim.password } })
      assert.equals(0, st, err)
      assert.matches("Spooler", out)
    end)

    it("without a password and without a terminal, refuses up front (no prompt)", function()
      local st, out, err = wsman { "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:" .. s.url, "-u:" .. sim.user,
        "-a:basic", "-unencrypted" }
      assert.equals(1, st)
      assert.equals("", out)
      assert.matches("no password given", err)
      assert.not_matches("0x80070005", err)
      assert.not_matches("password for", err)
    end)

    it("prompts for the password without echo on a terminal", function()
      local cmd = "env -u WSMAN_PASSWORD LUA_CPATH=" .. q(build .. "/?.so;;") .. " LUA_PATH=" .. q(root
        .. "/lua/?.lua;;")
        .. " " .. q(root .. "/bin/wsman") .. " get wmicimv2/Win32_Service?Name=Spooler -r:" .. s.url .. " -u:"
          .. sim.user
        .. " -a:basic -unencrypted -format:xml"
      -- the password arrives after the prompt (echo is off by then), as typed by a person
      local p = io.popen("(sleep 2; printf '%s\\n' " .. q(sim.password) .. ") | script -qec " .. q(cmd)
        .. " /dev/null 2>&1")
      local out = p:read("a")
      p:close()
      assert.matches("Enter the password for 'testuser' to connect to '" .. s.url:gsub("%p", "%%%0") .. "': ", out)
      assert.matches("<p:Name>Spooler</p:Name>", out)
      assert.not_matches(sim.password, out, 1, true)
    end)
  end)

  describe("identify", function()
    it("unauthenticated with -a:none, and authenticated", function()
      local st, out = wsman { "identify", "-r:" .. s.url, "-a:none" }
      assert.equals(0, st)
      assert.equals("IdentifyResponse\n    ProtocolVersion = http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\n"
        .. "    ProductVendor = Microsoft Corporation\n    ProductVersion = OS: 0.0.0 SP: 0.0 Stack: 3.0\n\n", out)
      st, out = wsman(with { "id", "-format:json" })
      assert.equals(0, st)
      assert.is_true(json_ok(out))
      assert.matches('"ProductVersion":"OS: 10', out, 1, true)
    end)
  end)

  describe("set", function()
    it("changes properties with @{...} (read, change, write back) and prints the result", function()
      local st, out, err = wsman(with { "set", "wmicimv2/Win32_Service?Name=Spooler",
        '@{Description="via wsman & co"}' })
      assert.equals(0, st, err)
      assert.matches("\n    Description = via wsman & co\n", out, 1, true)
      st, out = wsman(with { "set", "wmicimv2/Win32_Service?Name=Spooler", "@{Description=$null}" })
      assert.equals(0, st)
      assert.matches("\n    Description = null\n", out, 1, true)
      st, out = wsman(with { "s", "winrm/config/client", '@{TrustedHosts="host1,host2"}' })
      assert.equals(0, st)
      assert.matches("\n    TrustedHosts = host1,host2\n", out, 1, true)
    end)

    it("winrm's errors for names that match nothing, or a non-text property; no input", function()
      local st, _, err = wsman(with { "set", "wmicimv2/Win32_WMISetting", '@{NoSuchThing="1"}' })
      assert.equals(1, st)
      assert.equals("Error: Parameter name does not match any properties on resource: NoSuchThing\n", err)
      st, _, err = wsman(with { "set", "winrm/config", '@{Client="1"}' })
      assert.equals(1, st)
      assert.equals("Error: Parameter matches a non-text property on resource: Client\n", err)
      st, _, err = wsman(with { "set", "wmicimv2/Win32_WMISetting" })
      assert.equals(1, st)
      assert.equals('Error: No input provided through "@{...}" or "-file:" commandline parameters.\n', err)
      st, _, err = wsman(with { "set", "wmicimv2/Win32_Service?Name=Spooler", '@{State="Paused"}' })
      assert.equals(1, st)
      assert.matches("read%-only", err)
      assert.matches("Error number:  %-", err)
    end)

    it("-file: Puts the XML of a file", function()
      local path = tmp .. ".xml"
      local f = io.open(path, "w")
      f:write('<p:Win32_WMISetting xmlns:p="' .. CIM
        .. 'Win32_WMISetting"><p:LoggingLevel>2</p:LoggingLevel></p:Win32_WMISetting>')
      f:close()
      local st, out, err = wsman(with { "set", "wmicimv2/Win32_WMISetting", "-file:" .. path })
      assert.equals(0, st, err)
      assert.matches("\n    LoggingLevel = 2\n", out, 1, true)
      os.remove(path)
      st, _, err = wsman(with { "set", "wmicimv2/Win32_WMISetting", "-file:/nonexistent/x.xml" })
      assert.equals(1, st)
      assert.equals("Error: File does not exist: '/nonexistent/x.xml'\n", err)
    end)
  end)

  describe("create, delete, invoke", function()
    it("create from @{...} prints the EPR; delete prints nothing", function()
      local st, out, err = wsman(with { "create", "wmicimv2/Win32_Environment",
        '@{Name="WSMAN_CLI";UserName="<SYSTEM>";VariableValue="1";Description=$null}' })
      assert.equals(0, st, err)
      assert.matches("^ResourceCreated\n    Address = http://", out)
      assert.matches("\n        SelectorSet\n            Selector: Name = WSMAN_CLI, UserName = <SYSTEM>\n", out, 1,
        true)
      st, out = wsman(with { "get", "wmicimv2/Win32_Environment?Name=WSMAN_CLI+UserName=<SYSTEM>" })
      assert.equals(0, st)
      assert.matches("\n    VariableValue = 1\n", out, 1, true)
      st, out, err = wsman(with { "delete", "wmicimv2/Win32_Environment?Name=WSMAN_CLI+UserName=<SYSTEM>" })
      assert.equals(0, st, err)
      assert.equals("", out)
      st = wsman(with { "get", "wmicimv2/Win32_Environment?Name=WSMAN_CLI+UserName=<SYSTEM>" })
      assert.equals(1, st)
    end)

    it("create from -file:, and a listener with selectors in the URI", function()
      local path = tmp .. ".xml"
      local f = io.open(path, "w")
      f:write('<p:Win32_Environment xmlns:p="' .. CIM .. 'Win32_Environment"><p:Name>WSMAN_FILE</p:Name>'
        .. '<p:UserName>&lt;SYSTEM&gt;</p:UserName><p:VariableValue>2</p:VariableValue></p:Win32_Environment>')
      f:close()
      local st, out, err = wsman(with { "c", "wmicimv2/Win32_Environment", "-file:" .. path, "-format:json" })
      os.remove(path)
      assert.equals(0, st, err)
      assert.is_true(json_ok(out))
      assert.matches('"selectors":{', out, 1, true)
      assert.equals(0, (wsman(with { "d", "wmicimv2/Win32_Environment?Name=WSMAN_FILE+UserName=<SYSTEM>" })))
      st, out, err = wsman(with { "create", "winrm/config/Listener?Address=IP:127.0.0.9+Transport=HTTP",
        '@{Hostname="h.example"}' })
      assert.equals(0, st, err)
      assert.matches("ResourceCreated", out)
      assert.equals(0, (wsman(with { "delete", "winrm/config/Listener?Address=IP:127.0.0.9+Transport=HTTP" })))
    end)

    it("invoke without and with parameters", function()
      wsman(with { "invoke", "StartService", "wmicimv2/Win32_Service?Name=W32Time" })
      local st, out, err = wsman(with { "invoke", "StopService", "wmicimv2/Win32_Service?Name=W32Time" })
      assert.equals(0, st, err)
      assert.equals("StopService_OUTPUT\n    ReturnValue = 0\n\n", out)
      st, out = wsman(with { "i", "StartService", "wmicimv2/Win32_Service?Name=W32Time", "@{}" })
      assert.equals(0, st)
      assert.equals("StartService_OUTPUT\n    ReturnValue = 0\n\n", out)
      st, out, err = wsman(with { "invoke", "Create", "wmicimv2/Win32_Process",
        '@{CommandLine="notepad.exe";CurrentDirectory="C:\\"}', "-format:json" })
      assert.equals(0, st, err)
      assert.is_true(json_ok(out))
      local pid = out:match('"ProcessId":"(%d+)"')
      assert.truthy(pid)
      local _, got = wsman(with { "get", "wmicimv2/Win32_Process?Handle=" .. pid })
      assert.matches("\n    CommandLine = notepad.exe\n", got, 1, true)
      st, _, err = wsman(with { "invoke", "NoSuchMethod", "wmicimv2/Win32_Service?Name=W32Time" })
      assert.equals(1, st)
      assert.matches("Error number:  %-%d+ 0x8033", err)
    end)
  end)

  describe("enumerate", function()
    it("text: every item, separated by empty lines", function()
      local st, out, err = wsman(with { "enumerate", "wmicimv2/Win32_Share" })
      assert.equals(0, st, err)
      local n = 0
      for _ in out:gmatch("Win32_Share\n    AccessMask") do n = n + 1 end
      assert.equals(4, n)
      assert.matches("\n\nWin32_Share\n", out, 1, true)
    end)

    it("-format:xml and pretty wrap the items in wsman:Results; json is one array", function()
      local _, out = wsman(with { "e", "wmicimv2/Win32_Share", "-format:xml" })
      assert.matches('^<wsman:Results xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman/results">\n'
        .. '<p:Win32_Share', out)
      assert.matches("</p:Win32_Share>\n</wsman:Results>\n$", out)
      _, out = wsman(with { "e", "wmicimv2/Win32_Share", "-format:pretty" })
      assert.matches("^<wsman:Results[^\n]*>\n<p:Win32_Share[^\n]*>\n    <p:AccessMask xsi:nil=\"true\"/>\n", out)
      _, out = wsman(with { "e", "wmicimv2/Win32_Service", "-format:json" })
      assert.is_true(json_count(out) >= 20)
      _, out = wsman(with { "e", "wmicimv2/*", "-filter:SELECT * FROM Win32_Service WHERE Name='NoSuch'",
        "-format:json" })
      assert.equals(0, json_count(out))
    end)

    it("-filter (WQL by default), -dialect:selector, -dialect:association with -associations", function()
      local _, out = wsman(with { "e", "wmicimv2/*", "-filter:SELECT * FROM Win32_Service WHERE State='Stopped'",
        "-format:json" })
      local stopped = json_count(out)
      assert.is_true(stopped >= 1)
      _, out = wsman(with { "e", "wmicimv2/*", "-filter:SELECT Name FROM Win32_Service WHERE State='Stopped'",
        "-dialect:WQL", "-format:json" })
      assert.equals(stopped, json_count(out))
      _, out = wsman(with { "e", "wmicimv2/Win32_Service", '-filter:{State="Stopped"}', "-dialect:selector",
        "-format:json" })
      assert.equals(stopped, json_count(out))
      local st, _, err = wsman(with { "e", "wmicimv2/Win32_Service", "-filter:{State=Stopped}", "-dialect:selector" })
      assert.equals(1, st)
      assert.equals(HASH .. "\n", err)
      local assoc = "{Object=Win32_Service?Name=WinRM;AssociationClassName=Win32_DependentService;"
        .. "ResultClassName=win32_service;ResultRole=antecedent;Role=dependent}"
      st, out, err = wsman(with { "e", "wmicimv2/*", "-filter:" .. assoc, "-dialect:association" })
      assert.equals(0, st, err)
      assert.matches("Name = RpcSs", out, 1, true)
      st, out = wsman(with { "e", "wmicimv2/*",
        "-filter:{Object=Win32_Service?Name=WinRM;ResultClassName=Win32_DependentService}",
        "-dialect:association", "-associations" })
      assert.equals(0, st)
      assert.matches("^Win32_DependentService\n    Antecedent\n        Address = ", out)
    end)

    it("-returnType:EPR and ObjectAndEPR; -shallow and -BasePropertiesOnly reach the server", function()
      local st, out = wsman(with { "e", "wmicimv2/Win32_Share", "-returnType:EPR" })
      assert.equals(0, st)
      assert.matches("^EndpointReference\n    Address = ", out)
      assert.matches("Selector: Name = ADMIN$", out, 1, true)
      st, out = wsman(with { "e", "wmicimv2/Win32_OperatingSystem", "-returnType:ObjectAndEPR", "-format:json" })
      assert.equals(0, st)
      assert.matches('"#epr":{', out, 1, true)
      local err
      st, _, err = wsman(with { "e", "wmicimv2/Win32_Service", "-shallow" })
      assert.equals(1, st)
      assert.matches("0x80338137", err, 1, true)
      st, _, err = wsman(with { "e", "wmicimv2/Win32_Service", "-BasePropertiesOnly" })
      assert.equals(1, st)
      assert.matches("0x80338137", err, 1, true)
    end)

    it("shows progress on stderr for long enumerations only when asked or on a terminal", function()
      local big = sim.start { "--allow-unencrypted", "--processes", "2500" }
      local a = { "e", "wmicimv2/Win32_Process", "-r:" .. big.url, "-u:" .. sim.user, "-p:" .. sim.password, "-a:basic",
        "-unencrypted", "-format:json" }
      local st, out, err = wsman(a)
      assert.equals(0, st)
      assert.equals("", err)
      assert.is_true(json_count(out) >= 2500)
      st, out, err = wsman(a, { env = { WSMAN_PROGRESS = "1" } })
      assert.equals(0, st)
      assert.matches("\r1000 items", err, 1, true)
      assert.is_true(json_count(out) >= 2500)
    end)
  end)

  describe("HTTPS", function()
    it("-usessl/https with -cafile, -skipCAcheck and -skipCNcheck", function()
      local tls = sim.start { "--tls" }
      local base = { "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:" .. tls.url, "-u:" .. sim.user, "-p:"
        .. sim.password,
        "-a:basic", "-format:xml" }
      local function plus(...)
        local t = { table.unpack(base) }
        for _, x in ipairs { ... } do t[#t + 1] = x end
        return t
      end
      local st, _, err = wsman(base)
      assert.equals(1, st)
      assert.matches("certificate", err)
      local out
      st, out, err = wsman(plus("-cafile:" .. tls.ca_file))
      assert.equals(0, st, err)
      assert.matches("Spooler", out)
      st, out, err = wsman(plus("-skipCAcheck"))
      assert.equals(0, st, err)
      assert.matches("Spooler", out)
      local host, port = tls.url:match("^https://([^:/]+):(%d+)")
      st, out, err = wsman { "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:" .. host .. ":" .. port, "-usessl",
        "-u:" .. sim.user, "-p:" .. sim.password, "-a:basic", "-cafile:" .. tls.ca_file, "-format:xml" }
      assert.equals(0, st, err)
      assert.matches("Spooler", out)
      local other = sim.start { "--tls", "--cert-host", "other.example" }
      st, _, err = wsman { "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:" .. other.url, "-u:" .. sim.user,
        "-p:" .. sim.password, "-a:basic", "-cafile:" .. other.ca_file }
      assert.equals(1, st)
      assert.matches("0x80072F06", err, 1, true)
      st = wsman { "get", "wmicimv2/Win32_Service?Name=Spooler", "-r:" .. other.url, "-u:" .. sim.user,
        "-p:" .. sim.password, "-a:basic", "-cafile:" .. other.ca_file, "-skipCNcheck" }
      assert.equals(0, st)
    end)
  end)

  -- Starts bin/wsman in the background with stdout and stderr on one pipe; the first line read is
  -- its process id (the shell execs the command in place).
  local function spawn(args, stdin)
    local parts = {}
    for _, x in ipairs(args) do parts[#parts + 1] = q(x) end
    local cmd = "echo $$; exec env -u WSMAN_PASSWORD LUA_CPATH=" .. q(build .. "/?.so;;") .. " LUA_PATH="
      .. q(root .. "/lua/?.lua;;") .. " " .. q(root .. "/bin/wsman") .. " " .. table.concat(parts, " ")
      .. " <" .. (stdin or "/dev/null") .. " 2>&1"
    local p = io.popen("sh -c " .. q(cmd), "r")
    local pid = assert(tonumber(p:read("l")))
    local out = {} -- the command's output (stdout and stderr) without ASan's notice
    function out.read(_, fmt)
      if fmt ~= "l" then return (p:read(fmt):gsub(ASAN_NOTICE .. "\n", "")) end
      local line
      repeat line = p:read("l") until not (line and line:match("^" .. ASAN_NOTICE .. "$"))
      return line
    end
    function out.close() return p:close() end
    return out, pid
  end

  local function touch(path)
    local f = assert(io.open(path, "w"))
    f:close()
  end

  local function open_shells()
    return sim.stats(sim.session(s)).OpenShells
  end

  describe("run, like winrs", function()
    -- the remote command waits for a file that the test creates only after it has read the line
    -- before: each line is seen while the command still runs, in the order it was written
    it("streams stdout and stderr as they come, each to its own descriptor", function()
      local f1, f2 = tmp .. ".go1", tmp .. ".go2"
      local script = ("echo one; until [ -e %s ]; do sleep 0.05; done; echo two >&2; "
        .. "until [ -e %s ]; do sleep 0.05; done; echo three"):format(q(f1), q(f2))
      local p = spawn(with { "run", script })
      assert.equals("one", p:read("l"))
      touch(f1)
      assert.equals("two", p:read("l"))
      touch(f2)
      assert.equals("three", p:read("l"))
      assert.is_true((p:close()))
      os.remove(f1)
      os.remove(f2)
      local st, out, err = wsman(with { "run", "echo out; echo err >&2" })
      assert.same({ 0, "out\n", "err\n" }, { st, out, err })
    end)

    it("forwards piped stdin and closes it at its end; a terminal or absent stdin is not read", function()
      local input = tmp .. ".in"
      local f = assert(io.open(input, "wb"))
      f:write(("line\n"):rep(50000)) -- 250 kB: several Sends
      f:close()
      local st, out = wsman(with { "run", "wc -l; echo done" }, { stdin = q(input) })
      os.remove(input)
      assert.equals(0, st)
      assert.equals("50000\ndone\n", out)
      st, out = wsman(with { "run", "cat; echo eof" }) -- </dev/null
      assert.same({ 0, "eof\n" }, { st, out })
      st, out = wsman(with { "run", "cat; echo eof" }, { stdin = "&-" }) -- closed
      assert.same({ 0, "eof\n" }, { st, out })
      assert.equals(0, open_shells())
    end)

    it("exits with the remote exit status", function()
      for _, n in ipairs { 0, 1, 42, 255 } do
        assert.equals(n, (wsman(with { "run", "exit " .. n })))
      end
    end)

    it("-timeout: terminates the remote command and fails clearly", function()
      local st, out, err = wsman(with { "run", "echo begun; sleep 30.41", "-timeout:1000" })
      assert.equals(1, st)
      assert.equals("begun\n", out)
      assert.matches("did not end within 1000 ms (-timeout:1000); it was terminated", err, 1, true)
      assert.equals(0, open_shells())
    end)

    it("Ctrl-C sends ctrl_c to the remote command, then deletes the shell", function()
      local p, pid = spawn(with { "run", "trap 'echo got ctrl_c; exit 7' INT; echo started; "
        .. "while :; do sleep 0.05; done" })
      assert.equals("started", p:read("l"))
      assert(os.execute("kill -INT " .. pid))
      local rest = p:read("a")
      local _, _, st = p:close()
      assert.equals("got ctrl_c\n", rest)
      assert.equals(7, st) -- the remote status
      assert.equals(0, open_shells())
      -- a command that ends by the signal (0xC000013A on Windows): the shell's 130
      p, pid = spawn(with { "run", "echo started; exec sleep 30.42" })
      assert.equals("started", p:read("l"))
      assert(os.execute("kill -INT " .. pid))
      p:read("a")
      _, _, st = p:close()
      assert.equals(130, st)
      assert.equals(0, open_shells())
    end)

    it("keeps the boundaries of 20 tricky arguments", function()
      local TRICKY = { "", "a b", "\\", "C:\\Program Files\\", "it's", "$HOME", "*", "a&b", "x|y", "<in>",
        "^caret", "100%", "  two  spaces ", "tab\there", ";ls", "`id`", "\\\\server\\share", "é ü", "a&&b || c",
        "a\"b", "\"", 'say "hi" \\' }
      -- (after "--" everything is the remote command's: wsman's own switches come first)
      local args = { "run" }
      for _, a in ipairs(with {}) do args[#args + 1] = a end
      for _, a in ipairs { "--", "printf", "[%s]\n" } do args[#args + 1] = a end
      for _, a in ipairs(TRICKY) do args[#args + 1] = a end
      local st, out, err = wsman(args)
      assert.same({ 0, "[" .. table.concat(TRICKY, "]\n[") .. "]\n", "" }, { st, out, err })
      st, out = wsman(with { "run", "sh", "-c", "ls -d / /tmp" })
      assert.same({ 0, "/\n/tmp\n" }, { st, out })
    end)

    it("-ps runs a PowerShell script from a file or stdin, records shown as PowerShell shows them", function()
      local script = tmp .. ".ps1"
      local f = assert(io.open(script, "w"))
      f:write("Write-Host hi\n#sim:clixml streams\n#sim:exit 3\n")
      f:close()
      local st, out, err = wsman(with { "run", "-ps", script })
      assert.equals(3, st)
      assert.matches("^Write%-Host hi\n", out)
      assert.matches("WARNING: The disk is almost full.\n", err, 1, true)
      assert.matches("VERBOSE: Performing the operation", err, 1, true)
      assert.matches("DEBUG: value is 42", err, 1, true)
      assert.matches("something failed", err, 1, true)
      assert.not_matches("CLIXML", err, 1, true)
      st, out = wsman(with { "run", "-ps" }, { stdin = q(script) })
      os.remove(script)
      assert.equals(3, st)
      assert.matches("^Write%-Host hi\n", out)
      st = wsman(with { "run", "-ps", "a", "b" })
      assert.equals(1, st)
    end)
  end)

  describe("connection switches", function()
    local function no_auth()
      return { "-r:" .. s.url, "-u:" .. sim.user, "-a:basic", "-unencrypted" }
    end

    it("takes the password from -p:, -p:- (stdin), WSMAN_PASSWORD, else refuses up front", function()
      local args = no_auth()
      table.insert(args, 1, "identify")
      local st, _, err = wsman(args)
      assert.equals(1, st)
      assert.matches("no password given for -u:" .. sim.user, err, 1, true)
      assert.not_matches("Access is denied", err, 1, true)
      local pw = tmp .. ".pw"
      local f = assert(io.open(pw, "w"))
      f:write(sim.password, "\n")
      f:close()
      local withp = { table.unpack(args) }
      withp[#withp + 1] = "-p:-"
      st = wsman(withp, { stdin = q(pw) })
      assert.equals(0, st)
      os.remove(pw)
      st = wsman(args, { env = { WSMAN_PASSWORD = sim.password } })
      assert.equals(0, st)
      -- run -p:- : the first line is the password, the rest the remote command's stdin
      local both = tmp .. ".both"
      f = assert(io.open(both, "w"))
      f:write(sim.password, "\nfor the command\n")
      f:close()
      local run = { "run", "cat" }
      for _, a in ipairs(no_auth()) do run[#run + 1] = a end
      run[#run + 1] = "-p:-"
      local out
      st, out = wsman(run, { stdin = q(both) })
      os.remove(both)
      assert.same({ 0, "for the command\n" }, { st, out })
    end)

    it("-a:ntlm is Negotiate; an invalid value lists the valid ones", function()
      local st, _, err = wsman { "identify", "-r:" .. s.url, "-u:" .. sim.user, "-p:x", "-a:NTLM", "-unencrypted" }
      assert.equals(1, st)
      assert.matches("does not accept Negotiate", err, 1, true)
      st, _, err = wsman { "identify", "-r:" .. s.url, "-u:" .. sim.user, "-p:x", "-a:wrong" }
      assert.equals(1, st)
      assert.matches("Valid values: none, basic, digest, negotiate (or ntlm), kerberos, certificate, credssp.", err,
        1, true)
      st, _, err = wsman(with { "identify", "-format:yaml" })
      assert.equals(1, st)
      assert.matches("Valid values: text, xml, pretty, json, jsonl.", err, 1, true)
    end)

    it("errors name the switch that fixes them, not the API's names", function()
      local st, _, err = wsman { "identify", "-r:" .. s.url, "-u:" .. sim.user, "-p:x", "-a:negotiate",
        "-unencrypted", "-spn:HTTP/custom.example", "-delegate" }
      assert.equals(1, st)
      assert.matches("-delegate", err, 1, true)
      assert.not_matches("options%.", err)
      assert.not_matches("SessionFlag", err)
      st, _, err = wsman { "identify", "-r:" .. s.url, "-u:" .. sim.user, "-p:x", "-a:negotiate",
        "-unencrypted", "-spn:HTTP/custom.example" }
      assert.equals(1, st)
      assert.matches("HTTP/custom.example", err, 1, true)
      local tls = sim.start { "--tls" }
      st, _, err = wsman { "identify", "-r:" .. tls.url, "-u:" .. sim.user, "-p:" .. sim.password, "-a:basic" }
      assert.equals(1, st)
      assert.matches("-cafile:", err, 1, true)
      assert.not_matches("options%.ca_file", err)
      st = wsman { "identify", "-r:" .. tls.url, "-u:" .. sim.user, "-p:" .. sim.password, "-a:basic",
        "-cafile:" .. tls.ca_file, "-connecttimeout:5000", "-maxenvelopesize:16384" }
      assert.equals(0, st)
      st, _, err = wsman(with { "identify", "-maxenvelopesize:100" })
      assert.equals(1, st)
      assert.matches("-maxenvelopesize: must be at least 8192", err, 1, true)
      st, _, err = wsman(with { "identify", "-connecttimeout:soon" })
      assert.equals(1, st)
      assert.matches("Numeric value for -connecttimeout", err, 1, true)
    end)

    it("-proxy: sends through the proxy", function()
      local port = sim.closed_port()
      local st, _, err = wsman(with { "identify", "-proxy:http://127.0.0.1:" .. port })
      assert.equals(1, st)
      assert.matches("port " .. port, err, 1, true) -- the proxy's port, not the host's
    end)

    it("-certfile:, -keyfile:, -keypassword:, -certdir: with -certificate: (client certificates)", function()
      local c = sim.cert_sim()
      local base = { "identify", "-r:" .. c.url, "-a:certificate", "-cafile:" .. c.ca_file }
      local function run(extra)
        local args = { table.unpack(base) }
        for _, a in ipairs(extra) do args[#args + 1] = a end
        return wsman(args)
      end
      assert.equals(0, (run { "-certfile:" .. c.client_cert, "-keyfile:" .. c.client_key }))
      assert.equals(0, (run { "-certfile:" .. c.client_cert, "-keyfile:" .. c.client_key_encrypted,
        "-keypassword:" .. c.client_key_password }))
      assert.equals(0, (run { "-certificate:" .. c.client_cert_thumbprint, "-certdir:" .. c.client_cert_dir }))
      local st, _, err = run { "-certificate:" .. c.client_cert_thumbprint }
      assert.equals(1, st)
      assert.matches("-certdir:", err, 1, true)
    end)
  end)

  describe("run", function()
    it("runs a command in a remote shell, with its output, stderr and exit code", function()
      local st, out, err = wsman(with { "run", "echo", "hello" })
      assert.same({ 0, "hello\n", "" }, { st, out, err })
      -- arguments that are not wsman's switches belong to the remote command line
      st, out, err = wsman(with { "run", "sh", "-c", "echo out; echo err >&2; exit 3" })
      assert.equals(3, st)
      assert.matches("out", out)
      assert.matches("err", err)
      local args = with { "run" }
      for _, a in ipairs { "--", "echo", "-r:x", "-unencrypted" } do args[#args + 1] = a end
      st, out = wsman(args)
      assert.equals(0, st)
      assert.matches("%-r:x %-unencrypted", out)
      st, _, err = wsman(with { "run" })
      assert.equals(1, st)
      assert.equals(GENERAL .. "\n", err)
    end)
  end)

  describe("ps, copy, fetch (PowerShell Remoting)", function()
    it("ps prints output objects, other streams on stderr, exit 1 on errors", function()
      local st, out, err = wsman(with { "ps", "Write-Output hello; Write-Warning careful" })
      assert.equals(0, st)
      assert.equals("hello\n", out)
      assert.equals("WARNING: careful\n", err)
      local f = io.open(tmp .. ".ps1", "w")
      f:write("Write-Error bad")
      f:close()
      st, out, err = wsman(with { "ps", "-" }, { stdin = tmp .. ".ps1" })
      os.remove(tmp .. ".ps1")
      assert.equals(1, st)
      assert.equals("", out)
      assert.equals("bad\n", err)
    end)

    it("ps answers Read-Host from standard input; Write-Host and Write-Information on stdout", function()
      local f = io.open(tmp .. ".in", "w")
      f:write("bob\n")
      f:close()
      local script = 'Write-Host "hello"; Write-Information note; $n = Read-Host "Name"; "got $n"'
      local st, out, err = wsman(with { "ps", script }, { stdin = tmp .. ".in" })
      assert.equals(0, st)
      assert.equals("got bob\nhello\nnote\n", out)
      assert.equals("Name: \n", err)
      st, out, err = wsman(with { "ps", script })
      os.remove(tmp .. ".in")
      assert.equals(1, st)
      assert.equals("hello\nnote\n", out)
      assert.matches("Read%-Host: standard input ended before an answer", err)
    end)

    it("copy and fetch a file, printing the destination", function()
      local src = tmp .. ".src"
      local f = io.open(src, "wb")
      f:write("file body\n")
      f:close()
      local st, out = wsman(with { "copy", src, "%TEMP%\\cli.txt" })
      assert.equals(0, st)
      assert.equals("C:\\Users\\testuser\\AppData\\Local\\Temp\\cli.txt\n", out)
      st, out = wsman(with { "fetch", "%TEMP%\\cli.txt", src .. ".back" })
      assert.equals(0, st)
      assert.equals(src .. ".back\n", out)
      assert.equals("file body\n", io.open(src .. ".back"):read("a"))
      os.remove(src)
      os.remove(src .. ".back")
      local _, err
      st, _, err = wsman(with { "fetch", "C:\\nope.txt", src })
      assert.equals(1, st)
      assert.matches("The path at 'C:\\nope.txt' does not exist", err, 1, true)
      st, _, err = wsman(with { "copy", src })
      assert.equals(1, st)
      assert.equals(GENERAL .. "\n", err)
    end)
  end)

  describe("several hosts (-r:host1,host2, -r:@FILE, -r:-)", function()
    -- Two simulators and a host that refuses connections (nothing listens on port 1)
    local s2, down, creds
    local function hosts_args(verb, remote, ...)
      local t = { verb }
      for _, a in ipairs { ... } do t[#t + 1] = a end
      t[#t + 1] = "-r:" .. remote
      for _, a in ipairs(creds) do t[#t + 1] = a end
      return t
    end
    local function sorted(t)
      table.sort(t)
      return t
    end
    local function write_file(path, ...)
      local f = assert(io.open(path, "wb"))
      f:write(...)
      f:close()
    end
    local function lines_of(text)
      local t = {}
      for l in text:gmatch("[^\n]+") do t[#t + 1] = l end
      return t
    end

    setup(function()
      s2 = sim.start({ "--allow-unencrypted" }, { fresh = true })
      down = "http://127.0.0.1:1/wsman"
      creds = { "-u:" .. sim.user, "-p:" .. sim.password, "-a:basic", "-unencrypted" }
    end)

    teardown(function()
      s2:stop()
    end)

    it("prefixes each host's lines with its name; a down host fails alone; status 1 and the count", function()
      local st, out, err = wsman(hosts_args("identify", s.url .. "," .. down .. "," .. s2.url))
      assert.equals(1, st)
      for _, u in ipairs { s.url, s2.url } do
        assert.matches("\n?" .. u:gsub("%p", "%%%0") .. ": IdentifyResponse\n", out)
        assert.matches(u .. ":     ProductVendor = Microsoft Corporation\n", out, 1, true)
      end
      assert.not_matches(down, out, 1, true)
      assert.matches(down .. ": Error number:  -2147012867 0x80072EFD\n", err, 1, true)
      assert.matches(down .. ": Cannot connect to 127.0.0.1:1", err, 1, true)
      assert.matches("wsman: 1 of 3 hosts failed\n$", err)
      assert.not_matches(s.url, err, 1, true)
      -- every host answering: status 0, nothing on stderr
      st, out, err = wsman(hosts_args("identify", s.url .. "," .. s2.url))
      assert.same({ 0, "" }, { st, err })
      assert.equals(2, select(2, out:gsub("IdentifyResponse", "")))
    end)

    it("-format:jsonl writes one JSON object per host per line: result, or the error with its code", function()
      local st, out, err = wsman(hosts_args("get", s.url .. "," .. down .. "," .. s2.url,
        "wmicimv2/Win32_Service?Name=Spooler", "-format:jsonl"))
      assert.equals(1, st)
      assert.equals("wsman: 1 of 3 hosts failed\n", err)
      assert.equals(3, #lines_of(out))
      assert.same(sorted {
        s.url .. " True Win32_Service",
        s2.url .. " True Win32_Service",
        down .. " False 0x80072EFD 2147954429 Get",
      }, sorted(jsonl_lines(out)))
      assert.matches('^{"host":', out)
      assert.matches('"message":"Cannot connect to 127.0.0.1:1', out, 1, true)
      -- an enumeration's items are one array, on the host's one line
      st, out = wsman(hosts_args("enumerate", s.url .. "," .. s2.url, "wmicimv2/Win32_Share", "-format:jsonl"))
      assert.equals(0, st)
      assert.same(sorted { s.url .. " True list=4", s2.url .. " True list=4" }, sorted(jsonl_lines(out)))
      -- one host: still one line
      st, out = wsman(hosts_args("identify", s.url, "-format:jsonl"))
      assert.equals(0, st)
      assert.same({ s.url .. " True IdentifyResponse" }, jsonl_lines(out))
    end)

    it("-format:json with several hosts is one array of the same objects", function()
      local st, out = wsman(hosts_args("enumerate", s.url .. "," .. down .. "," .. s2.url, "wmicimv2/Win32_Share",
        "-format:json"))
      assert.equals(1, st)
      assert.equals(3, json_count(out))
    end)

    it("-r:@FILE reads one host per line (# comments, blank lines); -r:- reads them from stdin", function()
      local list = tmp .. ".hosts"
      write_file(list, "# the fleet\n", s.url, "\n\n   ", s2.url, "   # the second one\n")
      local st, out = wsman(hosts_args("identify", "@" .. list, "-format:jsonl"))
      assert.equals(0, st)
      assert.same(sorted { s.url .. " True IdentifyResponse", s2.url .. " True IdentifyResponse" },
        sorted(jsonl_lines(out)))
      -- a list and more hosts after commas
      st, out = wsman(hosts_args("identify", "@" .. list .. "," .. down, "-format:jsonl"))
      assert.equals(1, st)
      assert.equals(3, #jsonl_lines(out))
      st, out = wsman(hosts_args("identify", "-", "-format:jsonl"), { stdin = q(list) })
      assert.equals(0, st)
      assert.same(sorted { s.url .. " True IdentifyResponse", s2.url .. " True IdentifyResponse" },
        sorted(jsonl_lines(out)))
      os.remove(list)
      local err
      st, _, err = wsman(hosts_args("identify", "@" .. list))
      assert.equals(1, st)
      assert.matches("^Error: cannot read the host list %-r:@.*No such file", err)
      st, _, err = wsman(hosts_args("identify", ",,"))
      assert.same({ 1, "Error: -r:,, names no host\n" }, { st, err })
    end)

    it("wsman run fans out: each host's output and exit code; status 1 when a command exits non-zero", function()
      local st, out, err = wsman(hosts_args("run", s.url .. "," .. s2.url, "echo hello; exit 3", "-format:jsonl"))
      assert.equals(1, st)
      assert.same(sorted { s.url .. " True exit=3 out=hello", s2.url .. " True exit=3 out=hello" },
        sorted(jsonl_lines(out)))
      assert.equals("wsman: 2 of 2 commands exited with a non-zero status\n", err)
      st, out, err = wsman(hosts_args("run", s.url .. "," .. down, "echo out; echo err >&2"))
      assert.equals(1, st)
      assert.equals(s.url .. ": out\n", out)
      assert.matches(s.url .. ": err\n", err, 1, true)
      assert.matches(down .. ": Error number:", err, 1, true)
      st, out = wsman(hosts_args("run", s.url .. "," .. s2.url, "echo ok"))
      assert.same({ 0, sorted { s.url .. ": ok", s2.url .. ": ok" } }, { st, sorted(lines_of(out)) })
      assert.equals(0, open_shells())
    end)

    it("ps and run -ps on several hosts read their script once (a file, or stdin)", function()
      local script = tmp .. ".ps1"
      write_file(script, "Write-Output hello\n")
      local st, out = wsman(hosts_args("ps", s.url .. "," .. s2.url, "-", "-format:jsonl"), { stdin = q(script) })
      assert.equals(0, st)
      assert.same(sorted { s.url .. " True exit=0 out=hello", s2.url .. " True exit=0 out=hello" },
        sorted(jsonl_lines(out)))
      st, out = wsman(hosts_args("run", s.url .. "," .. s2.url, "-ps", "-format:jsonl"), { stdin = q(script) })
      assert.equals(0, st)
      assert.equals(2, #jsonl_lines(out))
      -- (the simulator's powershell.exe writes the script's lines it runs)
      assert.equals(2, select(2, out:gsub('"stdout":"Write%-Output hello', "")))
      os.remove(script)
    end)

    it("run writes each host's lines as they come, prefixed with the host", function()
      local go = tmp .. ".go"
      os.remove(go)
      -- the commands wait for a file the test creates only after it has read their first lines
      local cmd = ("echo one; until [ -e %s ]; do sleep 0.05; done; echo two >&2; echo three"):format(q(go))
      local p = spawn(hosts_args("run", s.url .. "," .. s2.url, cmd))
      local first = sorted { p:read("l"), p:read("l") }
      assert.same(sorted { s.url .. ": one", s2.url .. ": one" }, first)
      touch(go)
      local rest = sorted(lines_of(p:read("a")))
      assert.is_true((p:close()))
      os.remove(go)
      assert.same(sorted { s.url .. ": two", s.url .. ": three", s2.url .. ": two", s2.url .. ": three" }, rest)
    end)

    it("Ctrl-C reaches every host's command", function()
      local fifo = tmp .. ".started"
      assert(os.execute("rm -f " .. q(fifo) .. "; mkfifo " .. q(fifo)))
      -- each command says on the FIFO that it runs and has its trap: reading two lines is the wait
      local cmd = ("trap 'echo got ctrl_c; exit 7' INT; echo started > %s; while :; do sleep 0.05; done"):format(q(fifo))
      local p, pid = spawn(hosts_args("run", s.url .. "," .. s2.url, cmd, "-format:jsonl"))
      local seen = 0
      while seen < 2 do
        local f = assert(io.open(fifo, "r"))
        for _ in f:lines() do seen = seen + 1 end
        f:close()
      end
      assert(os.execute("kill -INT " .. pid))
      local out = p:read("a")
      local _, _, st = p:close()
      os.remove(fifo)
      assert.equals(1, st)
      assert.matches('"exit_code":7,"stdout":"got ctrl_c\\n"', out, 1, true)
      assert.equals(2, select(2, out:gsub('"exit_code":7', "")))
      assert.equals(0, open_shells())
      assert.equals(0, sim.stats(sim.session(s2)).OpenShells)
    end)

    it("-throttle:N runs N hosts at once, never more", function()
      local dir = tmp .. ".active"
      assert(os.execute("mkdir -p " .. q(dir)))
      local d = q(dir)
      -- two commands that each wait for the other: they end only when both run at once
      local barrier = ("touch %s/$$; until [ $(ls %s | wc -l) -ge 2 ]; do sleep 0.05; done; echo met; sleep 0.1; "
        .. "rm %s/$$"):format(d, d, d)
      local st, out = wsman(hosts_args("run", s.url .. "," .. s2.url, barrier, "-throttle:2", "-format:jsonl"))
      assert.equals(0, st)
      assert.same(sorted { s.url .. " True exit=0 out=met", s2.url .. " True exit=0 out=met" },
        sorted(jsonl_lines(out)))
      -- each command counts the commands in flight (a host's task ends after its command)
      local count = ("touch %s/$$; ls %s | wc -l; sleep 0.1; rm %s/$$"):format(d, d, d)
      local same = s.url .. "," .. s.url .. "," .. s2.url .. "," .. s2.url -- sessions of their own each
      st, out = wsman(hosts_args("run", same, count, "-throttle:1", "-format:jsonl"))
      assert.equals(0, st)
      local lines = jsonl_lines(out)
      assert.equals(4, #lines)
      for _, l in ipairs(lines) do assert.matches(" True exit=0 out=1$", l) end
      st, out = wsman(hosts_args("run", same .. "," .. same, count, "-throttle:3", "-format:jsonl"))
      assert.equals(0, st)
      lines = jsonl_lines(out)
      assert.equals(8, #lines)
      for _, l in ipairs(lines) do assert.matches(" True exit=0 out=[123]$", l) end
      os.remove(dir)
      local err
      for _, bad in ipairs { "0", "-3", "x", "" } do
        st, _, err = wsman(hosts_args("identify", same, "-throttle:" .. bad))
        assert.equals(1, st)
        assert.matches("Numeric value (1 or more) for -throttle option is expected", err, 1, true)
      end
    end)

    it("shows progress on stderr only when asked or on a terminal", function()
      local args = hosts_args("identify", s.url .. "," .. s2.url .. "," .. down, "-format:jsonl")
      local _, _, err = wsman(args)
      assert.not_matches("hosts done", err, 1, true)
      _, _, err = wsman(args, { env = { WSMAN_PROGRESS = "1" } })
      assert.matches("\r\27[K3/3 hosts done, 1 failed", err, 1, true)
      local last = "\r\27[Kwsman: 1 of 3 hosts failed\n" -- the line cleared, then the summary
      assert.equals(last, err:sub(-#last))
      local parts = {}
      for _, a in ipairs(args) do parts[#parts + 1] = q(a) end
      local cmd = "env -u WSMAN_PROGRESS LUA_CPATH=" .. q(build .. "/?.so;;") .. " LUA_PATH=" .. q(root
        .. "/lua/?.lua;;") .. " " .. q(root .. "/bin/wsman") .. " " .. table.concat(parts, " ")
      local p = io.popen("script -qec " .. q(cmd) .. " /dev/null </dev/null 2>&1")
      local tty = p:read("a")
      p:close()
      assert.matches("3/3 hosts done, 1 failed", tty, 1, true)
    end)

    it("what every host shares is checked once, before any host is contacted", function()
      local st, _, err = wsman { "identify", "-r:" .. s.url .. "," .. s2.url, "-a:basic" }
      assert.same({ 1, "Error: The '-username' option must be specified for '-auth:basic'\n" }, { st, err })
      st, _, err = wsman(hosts_args("get", s.url .. "," .. s2.url, "wmicimv2/Win32_Service?Name=Spooler",
        "-options:{bad"))
      assert.same({ 1, HASH .. "\n" }, { st, err })
      local list = tmp .. ".hosts"
      write_file(list, s.url, "\n")
      st, _, err = wsman({ "identify", "-r:-", "-u:" .. sim.user, "-p:-", "-a:basic", "-unencrypted" },
        { stdin = q(list) })
      assert.equals(1, st)
      assert.matches("-p:- and -r:- both read standard input", err, 1, true)
      st, _, err = wsman(hosts_args("fetch", s.url .. "," .. s2.url, "C:\\x.txt", tmp .. ".x"))
      assert.equals(1, st)
      assert.matches("put {host} in LOCAL_FILE", err, 1, true)
      os.remove(list)
    end)

    it("a fleet (winrm-sim --hosts): a down and a silent host fail alone, each with its own error", function()
      local fleet = sim.start({ "--allow-unencrypted", "--hosts", "4", "--down", "1", "--slow", "1" }, { fresh = true })
      local addrs = {} -- host:port, as a fleet's list gives them
      for i = 1, 4 do addrs[i] = fleet["host_" .. i]:match("^http://([^/]+)/") end
      local st, out, err = wsman(hosts_args("identify", table.concat(addrs, ","), "-format:jsonl", "-timeout:1000"))
      fleet:stop()
      assert.equals(1, st)
      assert.equals("wsman: 2 of 4 hosts failed\n", err)
      local silent, refusing = fleet.slow .. ":" .. fleet.port, fleet.down .. ":" .. fleet.port
      assert.same(sorted {
        addrs[1] .. " True IdentifyResponse",
        addrs[2] .. " True IdentifyResponse",
        silent .. " False 0x800705B4 2147943860 Identify",
        refusing .. " False 0x80072EFD 2147954429 Identify",
      }, sorted(jsonl_lines(out)))
      assert.matches("got no complete reply within", out, 1, true)
    end)

    it("copy to several hosts; fetch from several into a file each ({host} in LOCAL_FILE)", function()
      local src = tmp .. ".src"
      write_file(src, "fleet file\n")
      local st, out = wsman(hosts_args("copy", s.url .. "," .. s2.url, src, "%TEMP%\\fleet.txt", "-format:jsonl"))
      assert.equals(0, st)
      assert.equals(2, #jsonl_lines(out))
      assert.matches('"result":"C:\\\\Users\\\\testuser\\\\AppData\\\\Local\\\\Temp\\\\fleet.txt"', out, 1, true)
      st = wsman(hosts_args("fetch", s.url .. "," .. s2.url, "%TEMP%\\fleet.txt", tmp .. ".{host}.back"))
      assert.equals(0, st)
      for _, u in ipairs { s.url, s2.url } do
        local name = tmp .. "." .. u:gsub("[^%w%.%-_]", "_") .. ".back"
        local g = assert(io.open(name))
        assert.equals("fleet file\n", g:read("a"))
        g:close()
        os.remove(name)
      end
      os.remove(src)
    end)
  end)
end)
