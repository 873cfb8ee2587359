-- SPDX-License-Identifier: MIT

--- The `wsman` command: winrm.cmd (winrm.vbs) for every platform.
--
--     wsman get wmicimv2/Win32_Service?Name=Spooler -r:https://host:5986 -u:admin -a:basic
--     wsman invoke StopService wmicimv2/Win32_Service?Name=Spooler -r:... -u:... -a:basic
--     wsman enumerate wmicimv2/Win32_Process -format:json -r:... | jq '.[].Name'
--
-- Verbs, switches, the key-value input (`{KEY="VALUE";...}` after an at sign), the checks and their messages, the text
-- output and the error display follow winrm.vbs. Beyond winrm.vbs: `-format:json`, `-cafile:PATH`
-- (the CA that verifies an HTTPS server), the `WSMAN_PASSWORD` environment variable, a
-- password prompt without echo, progress on stderr for long enumerations, `wsman run`, and many
-- hosts at once (`-r:host1,host2`, `-r:@FILE`, `-r:-`, `-throttle:N`, `-format:jsonl`: wsman.fanout).
--
-- `bin/wsman` calls `require("wsman.cli").main(arg)`; `run(argv, out, err)` is the same with
-- the output streams given (it returns the exit status instead of exiting).
--
-- @module wsman.cli
local M = {}

local WSMan -- loaded on first use, so that help and syntax checks work without the C module
local results = require "wsman.results"
local xml = require "wsman.xml"
local format = require "wsman.format"
local fanout = require "wsman.fanout"


-- ------------------------------------------------------------------------------------------
-- Names (winrm.vbs constants)
-- ------------------------------------------------------------------------------------------

local OPS = { get = 1, set = 1, create = 1, delete = 1, enumerate = 1, invoke = 2, identify = 0, helpmsg = 1, run = -1,
  ps = 1, copy = 2, fetch = 2 }
-- Operations over PowerShell Remoting (wsman.psrp, wsman.transfer): connection switches only.
local PSRP_OPS = { ps = true, copy = true, fetch = true }
local OP_SHORTCUTS = { g = "get", s = "set", put = "set", p = "set", c = "create", d = "delete", e = "enumerate",
                       enum = "enumerate", i = "invoke", id = "identify", helpmsg = "helpmsg" }
local WINDOWS_ONLY = { quickconfig = true, qc = true, configsddl = true }

local SWITCH_SHORTCUTS = {
  a = "authentication", auth = "authentication", pa = "proxyauthentication", proxyauth = "proxyauthentication",
  pac = "proxyaccess", f = "format", p = "password", pp = "proxypassword", r = "remote", machine = "remote",
  u = "username", pu = "proxyusername", un = "unencrypted", ssl = "usessl", q = "quiet", c = "certificate",
}

local KNOWN = {}
for _, n in ipairs { "?", "quiet", "force", "transport", "username", "password", "proxyusername", "proxypassword",
  "certificate", "dialect", "associations", "file", "filter", "remote", "skipcacheck", "skipcncheck",
  "skiprevocationcheck", "defaultcreds", "spnport", "timeout", "authentication", "proxyaccess",
  "proxyauthentication", "unencrypted", "usessl", "encoding", "format", "options", "fragment", "returntype",
  "shallow", "basepropertiesonly", "cafile", "certfile", "keyfile", "keypassword", "certdir", "spn", "delegate",
  "proxy", "connecttimeout", "maxenvelopesize", "debug", "ps", "throttle" } do
  KNOWN[n] = true
end

-- Switches of every operation that talks to a host. The lower-case ConnectionOptions extension
-- fields each have one: ca_file -cafile:, client_cert -certfile:, client_key -keyfile:,
-- client_key_password -keypassword:, cert_dir -certdir:, spn -spn:, delegate -delegate,
-- proxy -proxy:, connect_timeout -connecttimeout:, max_envelope_size -maxenvelopesize:.
local CONNECTION = { "username", "password", "proxyusername", "proxypassword", "certificate", "remote",
  "skipcacheck", "skipcncheck", "skiprevocationcheck", "defaultcreds", "spnport", "timeout", "authentication",
  "proxyaccess", "proxyauthentication", "unencrypted", "usessl", "encoding", "format", "cafile", "certfile",
  "keyfile", "keypassword", "certdir", "spn", "delegate", "proxy", "connecttimeout", "maxenvelopesize", "debug" }

-- What the library's messages name, and the switch that sets it for a user of this command.
local SWITCH_FOR = {
  ["options.ca_file"] = "-cafile:", ["options.client_cert"] = "-certfile:", ["options.client_key"] = "-keyfile:",
  ["options.client_key_password"] = "-keypassword:", ["options.cert_dir"] = "-certdir:", ["options.spn"] = "-spn:",
  ["options.delegate"] = "-delegate", ["options.proxy"] = "-proxy:", ["options.connect_timeout"] = "-connecttimeout:",
  ["options.max_envelope_size"] = "-maxenvelopesize:", ["ConnectionOptions.max_envelope_size"] = "-maxenvelopesize:",
  ["ConnectionOptions.delegate"] = "-delegate", ["ConnectionOptions.connect_timeout"] = "-connecttimeout:",
  ["options.CertificateThumbprint"] = "-certificate:", CertificateThumbprint = "-certificate:",
  SetProxy = "-proxyaccess:", ["Session.Timeout"] = "-timeout:",
  SessionFlagNoEncryption = "-unencrypted", SessionFlagUseSsl = "-usessl", SessionFlagUseBasic = "-a:basic",
  SessionFlagUseNegotiate = "-a:negotiate", SessionFlagUseKerberos = "-a:kerberos", SessionFlagUseDigest = "-a:digest",
  SessionFlagUseClientCertificate = "-a:certificate", SessionFlagUseNoAuthentication = "-a:none",
  SessionFlagUseCredSsp = "-a:credssp", SessionFlagSkipCACheck = "-skipCAcheck",
  SessionFlagSkipCNCheck = "-skipCNcheck",
  SessionFlagSkipRevocationCheck = "-skipRevocationCheck", SessionFlagEnableSPNServerPort = "-SPNPort",
  SessionFlagAllowNegotiateImplicitCredentials = "-defaultCreds", SessionFlagCredUsernamePassword = "-u: and -p:",
  SessionFlagUTF16 = "-encoding:utf-16", SessionFlagUTF8 = "-encoding:utf-8",
}

--- Rewrites a library message for a user of the command: the API names in it (options.ca_file,
-- SessionFlagNoEncryption, ...) become the switches that set them (-cafile:, -unencrypted, ...).
-- @tparam string msg
-- @treturn string
function M.switch_names(msg)
  msg = msg:gsub("%f[%w_%.]([%w_]*%.?[%w_]+)%f[^%w_]", function(name)
    return SWITCH_FOR[name]
  end)
  return msg
end

local AUTH_VALUES = "none, basic, digest, negotiate (or ntlm), kerberos, certificate, credssp"

local function allowed_for(op)
  local a = { ["?"] = true, throttle = true }
  for _, n in ipairs(CONNECTION) do a[n] = true end
  if op == "run" then a.ps = true end
  if op ~= "identify" and not PSRP_OPS[op] then
    for _, n in ipairs { "dialect", "file", "filter", "options", "fragment" } do a[n] = true end
  end
  if op == "enumerate" then
    for _, n in ipairs { "returntype", "shallow", "basepropertiesonly", "associations" } do a[n] = true end
  end
  return a
end

local core = require "wsman.core"
local DIALECTS = rawget(core, "_dialects") -- the core's dialect URIs
local URI_WQL, URI_SELECTOR, URI_ASSOC, URI_XPATH = DIALECTS.wql, DIALECTS.selector, DIALECTS.association,
  DIALECTS.xpath
local RESULTS_NS = "http://schemas.dmtf.org/wbem/wsman/1/wsman/results"
local NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
local CIM_BASES = { ["http://schemas.dmtf.org/wbem/wsman/1/base"] = true,
                    ["http://schemas.dmtf.org/wbem/wscim/1/common"] = true }

M.HASH_SYNTAX = 'Syntax Error: input must be of the form {KEY="VALUE"[;KEY="VALUE"]}'
local GENERAL = 'Invalid use of command line. Type "wsman -?" for help.'

-- ------------------------------------------------------------------------------------------
-- Failures: winrm.vbs ends the script with status 1 after printing; here a Quit error
-- carries the status up to run().
-- ------------------------------------------------------------------------------------------

local Quit = {}

local function quit(status)
  error(setmetatable({ status = status }, Quit), 0)
end

-- Where the command writes: { out = file, err = file }. With several hosts each host's task has
-- its own (buffers, and `fanout` set); `ctx` reads and writes the one of the running coroutine.
local base_ctx
local host_ctx = setmetatable({}, { __mode = "k" }) -- task coroutine -> its host's context
local function current_ctx()
  return host_ctx[coroutine.running()] or base_ctx
end
local ctx = setmetatable({}, {
  __index = function(_, k) return current_ctx()[k] end,
  __newindex = function(_, k, v) current_ctx()[k] = v end,
})
local term -- the C helpers (defined with the terminal helpers below)

local function errline(s)
  ctx.err:write(s, "\n")
end

-- ASSERTBOOL / ErrorHandler: "Error: <msg>" on stderr, status 1.
local function fail(msg)
  ctx.error = msg
  errline("Error: " .. msg)
  quit(1)
end

-- ------------------------------------------------------------------------------------------
-- The input after "@", {KEY="VALUE";...}: winrm.vbs ProcessParameterHash
-- ------------------------------------------------------------------------------------------

--- Parses winrm's hash syntax `{KEY="VALUE"[;KEY=$null]...}` (keys `[A-Za-z0-9_:]+`, values in
-- double quotes without `"` inside, or `$null`; white space allowed around keys, `=` and values).
-- @tparam string s the text after the at sign
-- @treturn table|nil the values (`WSMan.null` for `$null`), or nil and an error message
-- @treturn table the keys in input order
function M.parse_hash(s)
  if #s == 0 then return nil, M.HASH_SYNTAX end
  if #s <= 2 then
    if s == "{}" then return {}, {} end
    return nil, M.HASH_SYNTAX
  end
  if s:sub(1, 1) ~= "{" or s:sub(-1) ~= "}" then return nil, M.HASH_SYNTAX end
  local body = s:sub(2, -2)
  local values, keys = {}, {}
  local pos = 1
  while true do
    local key, p = body:match("^%s*([%w_:]+)%s*=%s*()", pos)
    if not key then return nil, M.HASH_SYNTAX end
    local value
    if body:sub(p, p + 4):lower() == "$null" then
      value = results.null
      p = p + 5
    elseif body:sub(p, p) == '"' then
      local close = body:find('"', p + 1, true)
      if not close then return nil, M.HASH_SYNTAX end
      value = body:sub(p + 1, close - 1)
      p = close + 1
    else
      return nil, M.HASH_SYNTAX
    end
    if values[key] ~= nil then
      return nil, "Error: Multiple matching parameter names not allowedin @{...}: " .. key
    end
    values[key] = value
    keys[#keys + 1] = key
    p = body:match("^%s*()", p)
    if p > #body then break end
    if body:sub(p, p) ~= ";" then return nil, M.HASH_SYNTAX end
    pos = p + 1
  end
  return values, keys
end

local function hash_or_quit(s)
  local values, keys = M.parse_hash(s)
  if not values then
    errline(keys)
    quit(1)
  end
  return values, keys
end

-- ------------------------------------------------------------------------------------------
-- Command line: winrm.vbs CommandLineParser / WSManCommandLineParser, on an argv that the
-- shell has already split
-- ------------------------------------------------------------------------------------------

--- Splits argv into the operation, the positional arguments, the input after the at sign and the
-- switches (`-name:value`, `/name:value`, `-name`; names lower-cased, shortcuts expanded).
-- @tparam {string,...} argv the command-line arguments after the program name
-- @treturn table fields `unnamed` (list), `at` (the text after the at sign, or nil), `named`
-- (name -> value) and `order` (switch names in order)
function M.parse_args(argv)
  local cmd = { unnamed = {}, named = {}, order = {} }
  local verbatim = false
  for i = 1, #argv do
    local a = argv[i]
    local c = a:sub(1, 1)
    -- `wsman run COMMAND ARGS...`: once the command is named, an argument that is not one of
    -- wsman's own switches belongs to the remote command line (`wsman run sh -c "echo hi"
    -- -r:host`); `--` makes every following argument part of it. The remote command line is the
    -- arguments joined by spaces, as winrs and Windows join them.
    if not verbatim and a == "--" then
      verbatim = true
      goto continue
    end
    local in_command = #cmd.unnamed >= 2 and cmd.unnamed[1]:lower() == "run"
      -- (ps, copy, fetch: a local path such as /tmp/f is an argument, not a switch)
      or #cmd.unnamed >= 1 and PSRP_OPS[cmd.unnamed[1]:lower()]
    local switch = (c == "-" or c == "/") and a:sub(2):gsub("^%-", ""):match("^[^:]*"):lower()
    -- (a one-letter shortcut counts as wsman's only with a value, so `sh -c` stays remote)
    local own = switch and (KNOWN[switch] or (SWITCH_SHORTCUTS[switch] and a:find(":", 1, true)))
    if verbatim or (in_command and not own) then
      cmd.unnamed[#cmd.unnamed + 1] = a
    elseif (c == "-" or (c == "/" and not a:find("/", 2, true))) and #a > 1
      and not (#cmd.unnamed == 1 and cmd.unnamed[1]:lower() == "helpmsg") then
      local s = a:sub(2)
      if s:sub(1, 1) == "-" then s = s:sub(2) end -- --name as -name
      local colon = s:find(":", 1, true)
      local name, value
      if colon then
        name = s:sub(1, colon - 1):lower()
        value = s:sub(colon + 1)
        if value:sub(1, 1) == '"' then
          if #value < 2 or value:sub(-1) ~= '"' then
            fail("A quoted parameter value must begin and end with quotes: " .. name)
          end
          value = value:sub(2, -2)
        elseif value:sub(-1) == '"' then
          fail("A quoted parameter value must begin and end with quotes: " .. name)
        end
      else
        name, value = s:lower(), ""
      end
      if name == "help" or name == "h" then name = "?" end
      name = SWITCH_SHORTCUTS[name] or name
      if name == "" then fail("Missing switch name") end
      if cmd.named[name] ~= nil then fail("Option is not unique: " .. name) end
      cmd.named[name] = (value:gsub('\\"', '"'))
      cmd.order[#cmd.order + 1] = name
    elseif c == "@" then
      if cmd.at == nil then cmd.at = a:sub(2) end
      cmd.nat = (cmd.nat or 0) + 1
    else
      cmd.unnamed[#cmd.unnamed + 1] = a
    end
    ::continue::
  end
  return cmd
end

-- ------------------------------------------------------------------------------------------
-- Help
-- ------------------------------------------------------------------------------------------

local HELP = {}
HELP.main = [==[
wsman - the WinRM command line (winrm.cmd) for any platform, over lua-wsman

Usage:
  wsman OPERATION RESOURCE_URI [-SWITCH:VALUE [-SWITCH:VALUE] ...]
        [@{KEY="VALUE"[;KEY="VALUE"]...}]

Operations:
  wsman g[et] -?        Retrieve management information.
  wsman s[et] -?        Modify management information.
  wsman c[reate] -?     Create new instances of management resources.
  wsman d[elete] -?     Remove an instance of a management resource.
  wsman e[numerate] -?  List all instances of a management resource.
  wsman i[nvoke] -?     Execute a method on a management resource.
  wsman id[entify] -?   Determine whether a WS-Management service runs on the remote machine.
  wsman helpmsg -?      Display the message of an error code.
  wsman run -?          Run a command on the remote machine (needs remote shells).
  wsman ps -?           Run a PowerShell script over PowerShell Remoting.
  wsman copy -?         Copy a local file to the remote machine; wsman fetch -? the other way.

Related topics:
  wsman help uris       How to construct resource URIs.
  wsman help aliases    Abbreviations for URIs.
  wsman help remoting   How to reach remote machines.
  wsman help hosts      Many machines at once (-r:host1,host2, -r:@FILE, -throttle:).
  wsman help auth       Providing credentials.
  wsman help input      Providing input to create, set and invoke.
  wsman help filters    Filters and dialects for enumerate.
  wsman help switches   Other switches: formatting, options, ...
]==]
HELP.get = [==[
wsman get RESOURCE_URI [-SWITCH:VALUE [-SWITCH:VALUE] ...]

Retrieves the instance of RESOURCE_URI.

Example: wsman get winrm/config -format:pretty -r:https://server:5986 -u:admin -a:basic
Example: wsman get wmicimv2/Win32_Service?Name=spooler -r:... -u:... -a:basic
Example: wsman get wmicimv2/Win32_Service?Name=spooler -fragment:Status/text() -r:...
]==]
HELP.set = [==[
wsman set RESOURCE_URI [-SWITCH:VALUE [-SWITCH:VALUE] ...]
          [@{KEY="VALUE"[;KEY="VALUE"]}]
          [-file:VALUE]

Modifies RESOURCE_URI: with @{...}, reads the instance, changes the named properties
(KEY="VALUE", or KEY=$null) and writes it back; with -file:, writes the XML in the file.

Example: wsman set winrm/config @{MaxEnvelopeSizekb="100"} -r:...
Example: wsman set winrm/config/Listener?Address=*+Transport=HTTPS @{Enabled="false"} -r:...
]==]
HELP.create = [==[
wsman create RESOURCE_URI [-SWITCH:VALUE [-SWITCH:VALUE] ...]
             [@{KEY="VALUE"[;KEY="VALUE"]}]
             [-file:VALUE]

Creates an instance of RESOURCE_URI from the key-value pairs or the XML in a file.

Example: wsman create winrm/config/Listener?Address=*+Transport=HTTPS @{Hostname="HOST";CertificateThumbprint="XXXX"} -r:...
]==]
HELP.delete = [==[
wsman delete RESOURCE_URI [-SWITCH:VALUE [-SWITCH:VALUE] ...]

Removes an instance of RESOURCE_URI.

Example: wsman delete winrm/config/Listener?Address=IP:192.168.2.1+Transport=HTTP -r:...
]==]
HELP.enumerate = [==[
wsman enumerate RESOURCE_URI [-ReturnType:Value] [-Shallow] [-BasePropertiesOnly]
                [-filter:VALUE [-dialect:VALUE]] [-associations] [-SWITCH:VALUE ...]

Lists the instances of RESOURCE_URI, streaming them as they arrive.
  -ReturnType:Object|EPR|ObjectAndEPR  objects (default), their EPRs, or both
  -Shallow                             only instances of the class named in the URI
  -BasePropertiesOnly                  only the properties of the class named in the URI
  -filter: / -dialect:                 see "wsman help filters"
  -associations                        with the association dialect: association instances

Example: wsman enumerate wmicimv2/Win32_Service -r:...
Example: wsman enum wmicimv2/* -filter:"select * from Win32_Service where State='Stopped'" -r:...
Example: wsman e wmicimv2/Win32_Process -format:json -r:... | jq '.[].Name'
]==]
HELP.invoke = [==[
wsman invoke ACTION RESOURCE_URI [-SWITCH:VALUE [-SWITCH:VALUE] ...]
             [@{KEY="VALUE"[;KEY="VALUE"]}]
             [-file:VALUE]

Executes the method ACTION on RESOURCE_URI with the parameters given as key-value pairs or
as the XML in a file.

Example: wsman invoke StartService wmicimv2/Win32_Service?Name=spooler -r:...
Example: wsman invoke Create wmicimv2/Win32_Process @{CommandLine="notepad.exe";CurrentDirectory="C:\"} -r:...
]==]
HELP.identify = [==[
wsman identify [-SWITCH:VALUE [-SWITCH:VALUE] ...]

Asks the remote machine whether a WS-Management service is running; -a:none asks without
authenticating.

Example: wsman identify -r:http://server:5985 -a:none
]==]
HELP.helpmsg = [==[
wsman helpmsg errorcode

Displays the message of a WinRM or Windows error code (decimal, negative decimal or 0x hex).

Example: wsman helpmsg 0x5
Example: wsman helpmsg -2144108526
]==]
HELP.run = [==[
wsman run [-SWITCH:VALUE ...] COMMAND [ARGUMENTS...]
wsman run [-SWITCH:VALUE ...] -- COMMAND [ARGUMENTS...]
wsman run -ps [FILE] [-SWITCH:VALUE ...]

Runs COMMAND in a remote cmd shell, as winrs does: its stdout and stderr are written as they
arrive, piped standard input is forwarded (and closed at its end; a terminal's is not read),
Ctrl-C sends ctrl_c to the command (a second one terminates it), and wsman exits with the
command's exit code. -timeout:MS terminates a command that runs longer (exit status 1).

Each ARGUMENT reaches the remote program as it is: it is quoted by the Windows command-line
rules where needed (white space, a double quote, one of cmd.exe's & | < > ^). A single
COMMAND without arguments is sent as it is, as a whole command line (cmd.exe operators work).
After COMMAND, arguments that are not wsman's switches belong to it; after "--" all do.

-ps runs a PowerShell script (FILE, or standard input) through powershell.exe; its errors,
warnings, verbose and debug records are written to stderr as PowerShell shows them.

Example: wsman run -r:srv -u:admin ipconfig /all
Example: wsman run -r:srv -u:admin "dir C:\ && echo done"
Example: wsman run -r:srv -u:admin -- findstr /c:"two words" "C:\Program Files\app\log.txt"
Example: wsman run -ps check.ps1 -r:srv -u:admin
]==]
HELP.ps = [==[
wsman ps SCRIPT|- [-SWITCH:VALUE ...]

Runs a PowerShell script (the text, or - to read it from stdin) over PowerShell Remoting and
prints its output objects, one per line (their ToString); warnings, errors and the other
streams' records go to stderr. Exits 1 when the script had errors.
]==]
HELP.copy = [==[
wsman copy LOCAL_FILE REMOTE_PATH [-SWITCH:VALUE ...]
wsman fetch REMOTE_PATH LOCAL_FILE [-SWITCH:VALUE ...]

Copies a file to or from the remote machine over PowerShell Remoting, streamed and checked with
SHA-1 on both sides (a mismatch leaves no file). %VARIABLES% in REMOTE_PATH are expanded on the
remote machine. Prints the destination's full path; shows progress on a terminal.
]==]
HELP.uris = [==[
Resource URIs name management resources; selectors follow in the form
  RESOURCE_URI?NAME=VALUE[+NAME=VALUE]...
WMI:  http://schemas.microsoft.com/wbem/wsman/1/wmi/root/NAMESPACE[/NAMESPACE]/CLASS
      (alias: wmi/root/NAMESPACE/CLASS, wmicimv2/CLASS)
Enumerating with a WQL filter needs the class "*" and no selectors (wmicimv2/*).
Singletons take no selectors (wmicimv2/Win32_WMISetting).
For create and invoke the last part of the URI must match the case of the XML root element.
]==]
HELP.aliases = [==[
Aliases stand for the start of a resource URI:
  wmi      = http://schemas.microsoft.com/wbem/wsman/1/wmi
  wmicimv2 = http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2
  cimv2    = http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2
  winrm    = http://schemas.microsoft.com/wbem/wsman/1
  wsman    = http://schemas.microsoft.com/wbem/wsman/1
  shell    = http://schemas.microsoft.com/wbem/wsman/1/windows/shell
Example: wsman get wmicimv2/Win32_Service?Name=WinRM
]==]
HELP.remoting = [==[
-r[emote]:[TRANSPORT://]HOST[:PORT][/PREFIX]   the machine to manage
  (several: -r:host1,host2, -r:@FILE, -r:-; see "wsman help hosts")
  http://host:5985/wsman, https://host:5986/wsman, host (port 5985, or 5986 with -usessl)
-unencrypted   allow plain HTTP without message encryption (Basic over HTTP needs it)
-usessl        HTTPS when the -r: value gives no transport
-skipCAcheck, -skipCNcheck, -skipRevocationCheck   relax HTTPS server certificate checks
-cafile:PATH   PEM file of the CA(s) that verify the server's certificate
-proxy:URL     the proxy to connect through (http://proxy:3128)
-connecttimeout:MS   connection timeout in milliseconds
-maxenvelopesize:BYTES   MaxEnvelopeSize sent to the host (default 153600)
-encoding:utf-8|utf-16   encoding of the requests
-timeout:MS    operation timeout in milliseconds (run: the command's deadline)
]==]
HELP.hosts = [==[
Every operation runs on many machines at once, as Invoke-Command -ComputerName does:
  -r:host1,host2,...   the machines (each as -r: takes it: host, host:port, URL)
  -r:@FILE             one machine per line of FILE (# starts a comment; blank lines skipped)
  -r:-                 one machine per line of standard input
  (items combine: -r:@web.txt,@db.txt,extra-host)
  -throttle:N          machines in flight at once (default 32, as -ThrottleLimit)
Output is written as each machine completes:
  -format:jsonl        one JSON object per machine per line:
                       {"host":"h","ok":true,"result":...}
                       {"host":"h","ok":false,"error":{"code":...,"hex":"0x...","message":...}}
                       (run: "result":{"exit_code":N,"stdout":"...","stderr":"..."})
  -format:json         one array of the same objects
  text, xml, pretty    every line of a machine's output prefixed with "HOST: " (its messages
                       on stderr, also prefixed); run writes each line as it comes, the
                       other operations a machine's lines together when it completes
A progress line (done/total, failures, rate) is shown on stderr when it is a terminal
(WSMAN_PROGRESS=1 forces it, 0 hides it). The exit status is 1 when any machine failed or its
command (run, ps) exited non-zero; stderr says how many. With several machines, run does not
forward standard input; fetch needs {host} in LOCAL_FILE (one file per machine).
Example: wsman identify -r:@hosts.txt -u:admin -a:ntlm -format:jsonl -throttle:64
Example: wsman run -r:web1,web2,web3 -u:admin -a:ntlm "sc query W3SVC"
]==]
HELP.auth = [==[
-a[uthentication]:none|basic|digest|negotiate|ntlm|kerberos|certificate|credssp
                    (ntlm is Negotiate, which uses NTLM for local accounts)
-u[sername]:USER    the account (adds credentials to the chosen mechanism)
-p[assword]:PASS    its password; -p:- reads it from the first line of standard input;
                    when missing, WSMAN_PASSWORD is used, else it is prompted for (without
                    echo) on a terminal, else wsman stops with "no password given"
-c[ertificate]:THUMBPRINT   client certificate (-a:certificate), looked up in -certdir:
-certfile:PEM -keyfile:PEM [-keypassword:PASS]   client certificate and key files
-certdir:DIR        directory of PEM certificates and keys for -certificate:
-spn:SPN            Kerberos service principal name (default HTTP/host)
-delegate           Kerberos: forwardable ticket and delegation (a second hop)
-defaultCreds       Negotiate with implicit credentials (HTTPS)
-SPNPort            include the port in the service principal name
-proxyaccess:ie_settings|winhttp_settings|auto_detect|no_proxy, -proxyauth:basic|digest|negotiate,
-proxyusername:, -proxypassword:   proxy settings
Example: wsman get winrm/config -r:http://server:5985 -u:admin -a:basic -unencrypted
]==]
HELP.input = [==[
create, set and invoke take input as key-value pairs or as an XML file:
  @{KEY="VALUE"[;KEY="VALUE"]...}   KEY=$null sets a property to null
  -file:PATH                        the XML to send
With set, the key-value pairs change the named properties of the current instance.
Example: wsman invoke Create wmicimv2/Win32_Process @{CommandLine="notepad.exe"} -r:...
Quote the @{...} argument for your shell: '@{Name="x"}'.
]==]
HELP.filters = [==[
-filter:VALUE -dialect:VALUE   (enumerate)
  WQL (default):  -filter:"select * from Win32_Service where State='Running'" on wmicimv2/*
  Selector:       -dialect:selector -filter:{State="Running";StartMode="Auto"}
  Association:    -dialect:association -filter:{Object=Win32_Service?Name=WinRM;
                  AssociationClassName=Win32_DependentService;ResultClassName=Win32_Service;
                  Role=Dependent;ResultRole=Antecedent} [-associations]
  Other dialects are given by URI.
]==]
HELP.switches = [==[
-format:text|xml|pretty|json|jsonl   output format (default text, as winrm's;
                  jsonl: one JSON object per host per line, see "wsman help hosts")
-throttle:N       hosts in flight at once with several hosts (default 32)
-debug            every HTTP exchange on stderr: method, URL, status, headers, the SOAP sent
                  and received (pretty-printed, after decryption), bytes, milliseconds and the
                  authentication legs; credentials are never shown (WSMAN_TRACE=1 does the same
                  for any program, WSMAN_TRACE=/path writes to a file)
    text    Name = value lines            xml     the XML as received
    pretty  indented XML                   json    one JSON object (enumerate: one array)
-options:{KEY="VALUE"[;KEY="VALUE"]}   WS-Management options (ResourceLocator.AddOption)
-fragment:PATH    a part of the instance (e.g. Status/text()); -dialect: sets its dialect
-timeout:MS       operation timeout in milliseconds
-file:PATH        input XML (create, set, invoke)
See also: wsman help remoting, wsman help auth, wsman help filters.
]==]

local HELP_TOPICS = { help = "main", ["?"] = "main", get = "get", set = "set", create = "create",
  delete = "delete", enumerate = "enumerate", invoke = "invoke", identify = "identify", helpmsg = "helpmsg",
  run = "run", ps = "ps", copy = "copy", fetch = "copy", hosts = "hosts", throttle = "hosts", fleet = "hosts",
  uris = "uris", alias = "aliases", aliases = "aliases", remoting = "remoting", remote = "remoting",
  auth = "auth", authentication = "auth", username = "auth", password = "auth", input = "input", file = "input",
  ["@{}"] = "input", filters = "filters", filter = "filters", dialect = "filters", switches = "switches",
  format = "switches", options = "switches", fragment = "switches", timeout = "switches" }

local function help(topic)
  topic = (topic or ""):lower()
  topic = OP_SHORTCUTS[topic] or topic
  if topic == "all" then
    for _, t in ipairs { "main", "get", "set", "create", "delete", "enumerate", "invoke", "identify", "helpmsg", "run",
      "ps", "copy",
      "uris", "aliases", "remoting", "hosts", "auth", "input", "filters", "switches" } do
      ctx.out:write(HELP[t], "\n")
    end
    return 0
  end
  ctx.out:write(HELP[HELP_TOPICS[topic] or "main"])
  return 0
end

-- ------------------------------------------------------------------------------------------
-- Terminal helpers
-- ------------------------------------------------------------------------------------------

-- The C helpers of the command (wsman.core's _term, src/lua/lterm.c).
function term()
  return rawget(core, "_term")
end

local function isatty(fd)
  return term().isatty(fd)
end

local function prompt_password(user, remote)
  ctx.err:write(("Enter the password for '%s' to connect to '%s': "):format(user,
    remote ~= "" and remote or "localhost"))
  ctx.err:flush()
  os.execute("stty -echo 2>/dev/null")
  local ok, line = pcall(io.read, "l")
  os.execute("stty echo 2>/dev/null")
  ctx.err:write("\n")
  if not ok then error(line, 0) end
  return line
end

-- ------------------------------------------------------------------------------------------
-- Output
-- ------------------------------------------------------------------------------------------

local function is_xml(s)
  return s:find("^%s*<") ~= nil
end

-- winrm.vbs ReFormat, plus json. Returns the text to print, or nil and a message.
local function reformat(raw, fmt)
  if raw == nil or raw == "" then return nil, "" end
  if fmt == "xml" then return raw end
  if not is_xml(raw) then
    if fmt == "json" then return format.json_string(raw) end
    return raw
  end
  local ok, v = pcall(function()
    if fmt == "text" then return format.text(raw) end
    if fmt == "pretty" then return format.pretty(raw) end
    return format.json(results.decode(raw))
  end)
  if not ok then return nil, "Unable to parse XML: " .. tostring(v) end
  return v
end

local function signed32(code)
  code = math.tointeger(code) or 0
  code = code & 0xFFFFFFFF
  if code >= 0x80000000 then return code - 0x100000000 end
  return code
end

-- ASSERTERR: the fault (formatted), "Error number:  <dec> 0x<hex>", the message; status 1.
local function show_error(err, fmt, fault)
  ctx.error = err
  if type(err) ~= "table" then
    errline("Error: " .. tostring(err))
    quit(1)
  end
  fault = err.fault or fault
  if fault and fault ~= "" then
    local text = reformat(fault, fmt)
    errline(M.switch_names(text or fault))
  end
  local code = math.tointeger(err.code) or 0
  errline(("Error number:  %d 0x%X"):format(signed32(code), code & 0xFFFFFFFF))
  errline(M.switch_names(tostring(err.message or err)))
  quit(1)
end

-- Runs f(...); a raised error object is displayed as winrm does (status 1).
local function try(fmt, f, ...)
  local ok, a, b, c = pcall(f, ...)
  if not ok then
    if getmetatable(a) == Quit then error(a, 0) end
    show_error(a, fmt)
  end
  return a, b, c
end

-- ------------------------------------------------------------------------------------------
-- Session: winrm.vbs CreateSession
-- ------------------------------------------------------------------------------------------

-- The password for -u:USER: -p:PASS, -p:- (a line read from stdin), WSMAN_PASSWORD, else a prompt
-- on a terminal; otherwise refused before anything is sent.
local function get_password(n)
  if n.password == "-" then
    local line = term().read_line(0)
    if line == nil then fail("no password given: -p:- found no line on standard input") end
    return line
  end
  if n.password ~= nil then return n.password end
  local env = os.getenv("WSMAN_PASSWORD")
  if env ~= nil then return env end
  if term().isatty(0) then return prompt_password(n.username, n.remote or "") end
  fail("no password given for -u:" .. n.username .. ": give -p:PASSWORD, -p:- (read from standard input) or "
    .. "WSMAN_PASSWORD, or run on a terminal to be asked")
end

local function positive_int(n, name, nal)
  nal(name)
  local v = math.tointeger(tonumber(n[name]))
  if not v or v < 0 then fail("Numeric value for -" .. name .. " option is expected") end
  return v
end

-- The ConnectionOptions extension fields, one switch each.
local function extension_options(n, options, nal)
  local files = { cafile = "ca_file", certfile = "client_cert", keyfile = "client_key", certdir = "cert_dir" }
  for switch, field in pairs(files) do
    if n[switch] ~= nil then
      nal(switch)
      options()[field] = n[switch]
    end
  end
  if n.keypassword ~= nil then options().client_key_password = n.keypassword end
  if n.spn ~= nil then
    nal("spn")
    options().spn = n.spn
  end
  if n.delegate ~= nil then options().delegate = true end
  if n.proxy ~= nil then
    nal("proxy")
    options().proxy = n.proxy
  end
  if n.connecttimeout ~= nil then options().connect_timeout = positive_int(n, "connecttimeout", nal) end
  if n.maxenvelopesize ~= nil then options().max_envelope_size = positive_int(n, "maxenvelopesize", nal) end
end

local function create_session(wsman, cmd, fmt)
  local n = cmd.named
  local flags = 0
  local opts -- ConnectionOptions
  local function has(k) return n[k] ~= nil end
  local function nal(k) if n[k] == "" then fail("Argument's value is not provided: " .. k) end end
  local function options()
    opts = opts or wsman:CreateConnectionOptions()
    return opts
  end
  if has("encoding") then
    nal("encoding")
    if not has("remote") then fail("The '-encoding' option is only valid when used with the '-remote' option") end
    local v = n.encoding:lower()
    if v == "utf-16" then flags = flags | WSMan.SessionFlagUTF16
    elseif v == "utf-8" then flags = flags | WSMan.SessionFlagUTF8
    else fail("The specified encoding flag '" .. n.encoding .. "' is invalid. Valid values: utf-8, utf-16.") end
  end
  if has("unencrypted") then
    if not has("remote") then fail("The '-unencrypted' option is only valid when used with the '-remote' option") end
    flags = flags | WSMan.SessionFlagNoEncryption
  end
  if has("usessl") then
    if not has("remote") then fail("The '-usessl' option is only valid when used with the '-remote' option") end
    flags = flags | WSMan.SessionFlagUseSsl
  end
  if has("authentication") then
    nal("authentication")
    local a = n.authentication:lower()
    if a == "ntlm" then a = "negotiate" end -- what pywinrm and Ansible users type; Negotiate does NTLM
    local function need_user()
      if not has("username") then fail("The '-username' option must be specified for '-auth:" .. a .. "'") end
    end
    local function no_cert()
      if has("certificate") then fail("The '-certificate' option is not valid for '-auth:" .. a .. "'") end
    end
    if a == "none" then
      flags = flags | WSMan.SessionFlagUseNoAuthentication
      if has("certificate") then fail("The '-certificate' option is not valid for '-auth:none'") end
      if has("username") then fail("The '-username' option is not valid for '-auth:none'") end
      if has("password") then fail("The '-password' option is only valid for '-auth:none'") end
    elseif a == "basic" then
      need_user(); no_cert()
      flags = flags | WSMan.SessionFlagCredUsernamePassword | WSMan.SessionFlagUseBasic
    elseif a == "digest" then
      need_user(); no_cert()
      flags = flags | WSMan.SessionFlagCredUsernamePassword | WSMan.SessionFlagUseDigest
    elseif a == "kerberos" then
      no_cert()
      flags = flags | WSMan.SessionFlagUseKerberos
    elseif a == "negotiate" then
      no_cert()
      flags = flags | WSMan.SessionFlagUseNegotiate
    elseif a == "certificate" then
      if not has("certificate") and not has("certfile") then
        fail("The '-certificate' option (or '-certfile:' and '-keyfile:') must be specified for '-auth:certificate'")
      end
      if has("username") then fail("The '-username' option is not valid for '-auth:certificate'") end
      if has("password") then fail("The '-password' option is not valid for '-auth:certificate'") end
      flags = flags | WSMan.SessionFlagUseClientCertificate
    elseif a == "credssp" then
      need_user(); no_cert()
      flags = flags | WSMan.SessionFlagCredUsernamePassword | WSMan.SessionFlagUseCredSsp
    else
      fail("The specified '-authentication' flag '" .. n.authentication .. "' has an invalid value. Valid values: "
        .. AUTH_VALUES .. ".")
    end
  end
  if has("username") then
    if has("certificate") then fail("The '-certificate' option cannot be used together with '-username'") end
    options().UserName = n.username
    opts.Password = get_password(n)
    flags = flags | WSMan.SessionFlagCredUsernamePassword
  end
  if has("defaultcreds") then
    if has("username") then fail("The '-username' option cannot be used together with '-defaultCreds'") end
    if has("password") then fail("The '-password' option cannot be used together with '-defaultCreds'") end
    if (n.authentication or ""):lower() ~= "negotiate" then
      fail("The defaultcreds option is only valid when the authentication mechanism is negotiate")
    end
    flags = flags | WSMan.SessionFlagAllowNegotiateImplicitCredentials
  end
  if has("certificate") then
    if has("password") then fail("The '-password' option cannot be used together with '-certificate'") end
    options().CertificateThumbprint = n.certificate
    if has("authentication") and n.authentication:lower() ~= "certificate" then
      fail("The certificate option is only valid when the authentication mechanism is certificate")
    end
    flags = flags | WSMan.SessionFlagUseClientCertificate
  end
  local access, mech = 0, 0
  if has("proxyaccess") then
    nal("proxyaccess")
    local v = n.proxyaccess:lower()
    access = ({ ie_settings = WSMan.ProxyIEConfig, winhttp_settings = WSMan.ProxyWinHttpConfig,
                auto_detect = WSMan.ProxyAutoDetect, no_proxy = WSMan.ProxyNoProxyServer })[v]
    if not access then
      fail("The specified '-proxyaccess' field '" .. n.proxyaccess
        .. "' has an invalid value. Valid values: ie_settings, winhttp_settings, auto_detect, no_proxy.")
    end
  end
  if has("proxyauthentication") then
    nal("proxyauthentication")
    if not has("proxyaccess") then
      fail("The '-proxyauthentication' option is only valid when used with the '-proxyaccess' option")
    end
    local v = n.proxyauthentication:lower()
    mech = ({ basic = WSMan.ProxyAuthenticationUseBasic, digest = WSMan.ProxyAuthenticationUseDigest,
              negotiate = WSMan.ProxyAuthenticationUseNegotiate })[v]
    if not mech then
      fail("The specified '-proxyauthentication' flag '" .. n.proxyauthentication
        .. "' has an invalid value. Valid values: basic, digest, negotiate.")
    end
  end
  if has("proxyusername") and not has("proxyauthentication") then
    fail("The '-proxyusername' option is only valid when used with the '-proxyauthentication' option")
  end
  if has("proxypassword") and not has("proxyusername") then
    fail("The '-proxypassword' option is only valid when used with the '-proxyusername' option")
  end
  if has("proxyaccess") then
    local o = options()
    try(fmt, o.SetProxy, o, access, mech, n.proxyusername or "", n.proxypassword or "")
  end
  extension_options(n, options, nal)
  if has("skipcacheck") then flags = flags | WSMan.SessionFlagSkipCACheck end
  if has("skipcncheck") then flags = flags | WSMan.SessionFlagSkipCNCheck end
  if has("skiprevocationcheck") then flags = flags | WSMan.SessionFlagSkipRevocationCheck end
  if has("spnport") then
    local a = (n.authentication or ""):lower()
    if has("authentication") and a ~= "negotiate" and a ~= "kerberos" then
      fail("The spnport option is only valid when the authentication mechanism is negotiate or kerberos")
    end
    flags = flags | WSMan.SessionFlagEnableSPNServerPort
  end
  local session = try(fmt, wsman.CreateSession, wsman, n.remote or "", flags, opts)
  if has("timeout") then
    nal("timeout")
    local t = tonumber(n.timeout)
    if not t then fail("Numeric value for -timeout option is expected") end
    try(fmt, function() session.Timeout = math.floor(t) end)
  end
  return session
end

-- ------------------------------------------------------------------------------------------
-- Resource locator and input: winrm.vbs CreateAndInitializeResourceLocator / ProcessInput
-- ------------------------------------------------------------------------------------------

local function create_locator(wsman, cmd, uri)
  local ok, loc = pcall(wsman.CreateResourceLocator, wsman, uri)
  if not ok then
    local e = loc
    if type(e) == "table" then
      local code = math.tointeger(e.code) or 0
      errline(("Error number:  %d 0x%X"):format(signed32(code), code & 0xFFFFFFFF))
      errline(tostring(e.message))
    else
      errline("Error: Unable to create ResourceLocator object.")
      errline(tostring(e))
    end
    quit(1)
  end
  local n = cmd.named
  if n.options ~= nil and n.options ~= "" then
    local values, keys = hash_or_quit(n.options)
    for _, k in ipairs(keys) do
      local v = values[k]
      if v == results.null then loc:AddOption(k, nil) else loc:AddOption(k, v) end
    end
  end
  if n.fragment ~= nil then
    loc.FragmentPath = n.fragment
    if n.dialect ~= nil then
      loc.FragmentDialect = n.dialect:lower() == "xpath" and URI_XPATH or n.dialect
    end
  end
  return loc
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then fail("File does not exist: '" .. path .. "'") end
  local data = f:read("a")
  f:close()
  return data
end

-- Removes attribute `lname` in namespace `ns` from element `el`.
local function remove_attr(el, lname, ns)
  if not el.attrs then return end
  for i = #el.attrs, 1, -1 do
    local a = el.attrs[i]
    if a.lname == lname and a.ns == ns then table.remove(el.attrs, i) end
  end
end

local function xsi_prefix(root)
  for _, d in ipairs(root.nsdecl or {}) do
    if d[2] == NS_XSI then return d[1] end
  end
  root.nsdecl = root.nsdecl or {}
  table.insert(root.nsdecl, { "xsi", NS_XSI })
  return "xsi"
end

-- The Put body winrm builds for set with key-value input: the current instance with the named
-- first-level properties changed.
local function put_body(current, values, keys)
  local ok, root = pcall(xml.parse, current)
  if not ok then fail("Unable to parse XML: " .. tostring(root)) end
  for _, key in ipairs(keys) do
    local matches = {}
    for i = 1, #root do
      local c = root[i]
      if type(c) == "table" and c.lname == key and not (key:lower() == "location" and CIM_BASES[c.ns or ""]) then
        matches[#matches + 1] = c
      end
    end
    if #matches == 0 then fail("Parameter name does not match any properties on resource: " .. key) end
    if #matches > 1 then fail("Parameter matches more than one property on resource: " .. key) end
    local el = matches[1]
    if #el > 1 or (#el == 1 and type(el[1]) ~= "string") then
      fail("Parameter matches a non-text property on resource: " .. key)
    end
    local v = values[key]
    remove_attr(el, "nil", NS_XSI)
    if v == results.null then
      local p = xsi_prefix(root)
      el.attrs = el.attrs or {}
      table.insert(el.attrs, { name = p .. ":nil", lname = "nil", ns = NS_XSI, value = "true" })
      el[1] = nil
    else
      el[1] = v
    end
  end
  return xml.serialize(root)
end

local function process_input(op, cmd, session, loc, uri, action, fmt)
  local values, keys
  if cmd.at ~= nil then
    values, keys = hash_or_quit(cmd.at)
  end
  local count = keys and #keys or 0
  if count == 0 and cmd.named.file ~= nil then
    return read_file(cmd.named.file)
  end
  if op == "create" or op == "invoke" then
    local t = results.set_order(values or {}, keys or {})
    if op == "invoke" then
      return results.encode(loc.ResourceURI, t, action)
    end
    t[results.class] = results.last_token(uri)
    return results.encode(loc.ResourceURI, t)
  end
  -- set
  if count == 0 then fail('No input provided through "@{...}" or "-file:" commandline parameters.') end
  local current = try(fmt, session.Get, session, loc)
  return put_body(current, values, keys)
end

-- ------------------------------------------------------------------------------------------
-- Operations
-- ------------------------------------------------------------------------------------------

local function print_reply(raw, fmt)
  local text, msg = reformat(raw, fmt)
  if not text then
    if msg ~= "" then errline(msg) end
    errline("Unable to reformat message. Raw, unformatted, message: ")
    errline(raw)
    quit(1)
  end
  ctx.out:write(text, "\n")
end

local function enumerate(cmd, session, loc, fmt)
  local n = cmd.named
  local filter, dialect
  local flags = 0
  if n.filter ~= nil then
    filter = n.filter
    dialect = URI_WQL
  end
  if n.dialect ~= nil then dialect = n.dialect end
  local ld = dialect and dialect:lower()
  if ld == "selector" then dialect, ld = URI_SELECTOR, URI_SELECTOR:lower() end
  if ld == URI_SELECTOR:lower() then
    local values, keys = hash_or_quit(filter or "")
    local list = {}
    for i, k in ipairs(keys) do list[i] = { k, values[k] == results.null and "" or values[k] } end
    filter = rawget(core, "_selector_set")(list)
  end
  if ld == "wql" then dialect, ld = URI_WQL, URI_WQL:lower() end
  if ld == "association" then dialect, ld = URI_ASSOC, URI_ASSOC:lower() end
  if ld == URI_ASSOC:lower() then
    if n.filter == nil then fail("-filter parameter is required for the given dialect") end
    if n.associations ~= nil then
      flags = flags | WSMan.EnumerationFlagAssociationInstance
    else
      flags = flags | WSMan.EnumerationFlagAssociatedInstance
    end
  end
  if ld ~= URI_ASSOC:lower() and n.associations ~= nil then
    fail("-associations is not a valid option for the given dialect")
  end
  if n.returntype ~= nil then
    local rt = n.returntype:lower()
    if rt == "epr" then
      flags = flags | WSMan.EnumerationFlagReturnEPR
    elseif rt == "objectandepr" then
      flags = flags | WSMan.EnumerationFlagReturnObjectAndEPR
    elseif rt ~= "object" then
      fail("-returntype:" .. n.returntype .. " is not a valid option. Valid values: Object, EPR, ObjectAndEPR.")
    end
  end
  if n.shallow ~= nil then
    flags = flags | WSMan.EnumerationFlagHierarchyShallow
  elseif n.basepropertiesonly ~= nil then
    flags = flags | WSMan.EnumerationFlagHierarchyDeepBasePropsOnly
  else
    flags = flags | WSMan.EnumerationFlagHierarchyDeep
  end
  local batch = tonumber(os.getenv("WSMAN_BATCH") or "") or 50
  try(fmt, function() session.BatchItems = batch end)
  local e = try(fmt, session.Enumerate, session, loc, filter, dialect, flags)

  local progress = os.getenv("WSMAN_PROGRESS")
  local show = not ctx.fanout and (progress == "1" or (progress ~= "0" and isatty(2)))
  local t0, count, shown = os.time(), 0, false
  local out = ctx.out
  if fmt == "xml" or fmt == "pretty" then out:write('<wsman:Results xmlns:wsman="', RESULTS_NS, '">\n') end
  if fmt == "json" then out:write("[") end
  local function finish()
    if shown then ctx.err:write("\r\27[K") ctx.err:flush() end
  end
  while true do
    local ok, at_end = pcall(function() return e.AtEndOfStream end)
    if not ok then finish(); show_error(at_end, fmt, e.Error) end
    if at_end then break end
    local ok2, item = pcall(e.ReadItem, e)
    if not ok2 then
      finish()
      if fmt == "xml" or fmt == "pretty" then out:write("</wsman:Results>\n") end
      if fmt == "json" then out:write("]\n") end
      out:flush()
      show_error(item, fmt, e.Error)
    end
    count = count + 1
    local text, msg = reformat(item, fmt)
    if not text then
      finish()
      errline(msg)
      quit(1)
    end
    if fmt == "json" then
      out:write(count > 1 and ",\n" or "\n", text)
    else
      out:write(text, "\n")
    end
    if show and count % 500 == 0 and count >= 1000 then
      local dt = os.time() - t0
      ctx.err:write(("\r%d items%s"):format(count, dt > 0 and ("  %.0f/s"):format(count / dt) or ""))
      ctx.err:flush()
      shown = true
    end
  end
  finish()
  if fmt == "xml" or fmt == "pretty" then out:write("</wsman:Results>\n") end
  if fmt == "json" then out:write(count > 0 and "\n]\n" or "]\n") end
end

-- ------------------------------------------------------------------------------------------
-- run: winrs. Output is written as it arrives (each stream to its own descriptor, flushed);
-- piped stdin is forwarded and closed at its end (a terminal's is not read: the remote stdin is
-- closed at once); Ctrl-C sends ctrl_c to the command (a second one terminates it); -timeout:
-- terminates it when it runs longer; the exit status is the remote one.
-- ------------------------------------------------------------------------------------------

local RECEIVE_WAIT = 1        -- seconds a Receive waits for output (how soon Ctrl-C is noticed)
local RECEIVE_WAIT_STDIN = 0.2 -- the same while stdin is still being forwarded
local STDIN_PIECE = 65536     -- bytes read from stdin at a time (memory stays flat)
local STDIN_PIECES = 16       -- pieces forwarded in one batch
local STDIN_BATCHES_PER_RECEIVE = 8 -- while stdin flows, batches sent between two Receives
local EXIT_INTERRUPTED = 130  -- 128 + SIGINT, as a shell reports a command ended by Ctrl-C

-- Forwards what stdin has now; returns false once it is closed, and true when more may be
-- waiting (a whole batch was sent).
local function forward_stdin(p, t)
  for _ = 1, STDIN_PIECES do
    local data = t.read(0, STDIN_PIECE, 0)
    if data == nil then
      p:close_stdin()
      return false
    end
    if data == "" then return true, false end
    p:write(data)
  end
  return true, true
end

local function write_chunk(stream, chunk)
  local f = stream == "stderr" and ctx.err or ctx.out
  f:write(chunk)
  f:flush()
end

-- PowerShell's records (CLIXML on stderr), shown as the PowerShell console shows them.
local RECORD_PREFIX = { warning = "WARNING: ", verbose = "VERBOSE: ", debug = "DEBUG: " }

local function show_ps_stderr(stderr)
  if stderr == "" then return end
  local text, records = WSMan.clixml(stderr)
  if text ~= "" then write_chunk("stderr", text:sub(-1) == "\n" and text or text .. "\n") end
  for _, r in ipairs(records or {}) do
    local prefix = RECORD_PREFIX[r.type]
    if prefix and r.message then
      write_chunk("stderr", prefix .. r.message .. "\n")
    elseif r.type == "information" and r.message then
      write_chunk("stdout", r.message .. "\n")
    end
  end
end

-- The script of `wsman run -ps [FILE]`: the file, or stdin when it is not a terminal.
local function ps_script(cmd)
  local file = cmd.unnamed[2]
  if file and file ~= "-" then return read_file(file) end
  if term().isatty(0) then fail("-ps needs a script: give a file (wsman run -ps FILE) or pipe it to standard input") end
  local parts = {}
  while true do
    local data = term().read(0, STDIN_PIECE, -1)
    if data == nil then break end
    parts[#parts + 1] = data
  end
  return table.concat(parts)
end

-- Starts the command: a PowerShell script (its stdin is the script) or COMMAND [ARGS...].
local function start_remote(cmd, sh)
  if cmd.named.ps ~= nil then
    local script = cmd.script or ps_script(cmd)
    local p = sh:powershell()
    p:close_stdin(script)
    return p, true
  end
  local args
  if #cmd.unnamed > 2 then
    args = {}
    for i = 3, #cmd.unnamed do args[#args + 1] = cmd.unnamed[i] end
  end
  return sh:run(cmd.unnamed[2], args), false
end

-- The Ctrl-Cs since the last call. With several hosts every host's command sees each of them.
local function take_sigint()
  local shared = ctx.fanout
  if not shared then return term().sigint() end
  shared.sigints = shared.sigints + term().sigint()
  local new = shared.sigints - (ctx.sigints_seen or 0)
  ctx.sigints_seen = shared.sigints
  return new
end

-- Receives and writes output until the command ends; returns its exit status.
local function pump(p, ps, deadline_ms, timeout_ms)
  local t = term()
  local stdin_open = not ps
  -- (with several hosts, standard input is not forwarded: it may be the host list)
  if stdin_open and (ctx.fanout or t.isatty(0)) then
    p:close_stdin()
    stdin_open = false
  end
  local errs, interrupted, batches = {}, 0, 0
  while not p.done do
    local sig = take_sigint()
    if sig > 0 then
      interrupted = interrupted + sig
      p:signal(interrupted > 1 and "terminate" or "ctrl_c")
      if interrupted > 1 then return EXIT_INTERRUPTED end
    end
    if deadline_ms and t.now_ms() >= deadline_ms then
      p:signal("terminate")
      fail(("the remote command did not end within %d ms (-timeout:%d); it was terminated"):format(timeout_ms,
        timeout_ms))
    end
    local more
    if stdin_open then stdin_open, more = forward_stdin(p, t) end
    -- while stdin flows, a Receive only every few batches (its wait would slow the flow)
    batches = more and batches + 1 or 0
    local stream, chunk
    if batches % STDIN_BATCHES_PER_RECEIVE == 0 then
      stream, chunk = p:read(stdin_open and RECEIVE_WAIT_STDIN or RECEIVE_WAIT)
    end
    while stream do
      if ps and stream == "stderr" then errs[#errs + 1] = chunk else write_chunk(stream, chunk) end
      stream, chunk = p:read(0)
    end
  end
  if ps then show_ps_stderr(table.concat(errs)) end
  local code = math.tointeger(p.exit_code)
  if interrupted > 0 and not (code and code >= 0 and code <= 255) then return EXIT_INTERRUPTED end
  code = code or 0
  if code < 0 or code > 255 then code = 1 end
  return code
end

local function run_remote(cmd, session, fmt)
  local timeout_ms = cmd.named.timeout and math.tointeger(tonumber(cmd.named.timeout))
  local sh <close> = try(fmt, session.shell, session, {})
  local p <close>, ps = try(fmt, start_remote, cmd, sh)
  local deadline = timeout_ms and (term().now_ms() + timeout_ms)
  return try(fmt, pump, p, ps, deadline, timeout_ms)
end

-- (with several hosts, the fan-out catches Ctrl-C once for all of them)
local function run_command(cmd, session, fmt)
  if ctx.fanout then return run_remote(cmd, session, fmt) end
  local t = term()
  t.catch_sigint()
  local ok, status = pcall(run_remote, cmd, session, fmt)
  t.release_sigint()
  if not ok then error(status, 0) end
  return status
end

-- The input of Read-Host: standard input, or the terminal when the script came from standard input.
local function host_input(script_from_stdin)
  if not script_from_stdin then return io.stdin end
  local tty = io.open("/dev/tty", "r")
  if not tty then
    error("Read-Host has no input: the script was read from standard input and there is no terminal "
      .. "(give the script as an argument and the answers on standard input)", 0)
  end
  return tty
end

-- The PowerShell host of `wsman ps`: Read-Host's prompt goes to stderr and its answer is a line of
-- input; the text of Write-Host comes with the information stream, shown below.
local function cli_host(script_from_stdin)
  local input
  local function prompt(_, ...)
    local n = select("#", ...)
    ctx.err:write(tostring(n > 0 and select(n, ...) or ""))
    ctx.err:flush()
  end
  return {
    Write1 = prompt,
    Write2 = prompt,
    ReadLine = function()
      input = input or host_input(script_from_stdin)
      local line = input:read("l")
      if not line then error("Read-Host: standard input ended before an answer", 0) end
      if input == io.stdin and not isatty(0) then ctx.err:write("\n") end -- no echo ended the prompt
      return line
    end,
  }
end

-- The text of a stream record as the PowerShell console shows it.
local function record_text(rec)
  local ext = type(rec) == "table" and rec.extended
  if ext and ext.MessageData ~= nil then return tostring(ext.MessageData) end
  return tostring(rec)
end

-- wsman ps SCRIPT|-: output objects on stdout, the other streams' records on stderr.
local function ps_command(cmd, session, fmt)
  local script = cmd.unnamed[2]
  local from_stdin = script == "-"
  if from_stdin then script = io.read("a") end
  local opts = { host = not ctx.fanout and cli_host(from_stdin) or nil }
  local out, streams, had_errors = try(fmt, session.ps, session, script, opts)
  for i = 1, out.n do
    if out[i] ~= nil then ctx.out:write(tostring(out[i]), "\n") end
  end
  for _, rec in ipairs(streams.information) do ctx.out:write(record_text(rec), "\n") end
  for _, name in ipairs { "error", "warning", "verbose", "debug" } do
    for _, rec in ipairs(streams[name]) do
      ctx.err:write(name == "error" and "" or name:upper() .. ": ", record_text(rec), "\n")
    end
  end
  return had_errors and 1 or 0
end

-- wsman copy LOCAL REMOTE / wsman fetch REMOTE LOCAL, with a progress line on a terminal.
local function transfer_command(op, cmd, session, fmt)
  local progress
  if isatty(2) and not ctx.fanout then
    progress = function(done, total)
      local pct = total and total > 0 and (" %3d%%"):format(done * 100 // total) or ""
      ctx.err:write(("\r%s %d bytes%s"):format(op, done, pct))
    end
  end
  local f = op == "copy" and session.copy or session.fetch
  local dest = try(fmt, f, session, cmd.unnamed[2], cmd.unnamed[3], { progress = progress })
  if progress then ctx.err:write("\n") end
  ctx.out:write(dest, "\n")
  return 0
end

local function helpmsg(argv)
  local a = argv[2] or ""
  local code
  if a:lower():sub(1, 2) == "0x" then
    code = tonumber(a:sub(3), 16)
    if code and code > 0xFFFFFFFF then code = nil end
  else
    code = math.tointeger(tonumber(a))
    if code and (code < -0x80000000 or code > 0xFFFFFFFF) then code = nil end
  end
  if not code then return help("helpmsg") end
  WSMan = WSMan or require "wsman"
  local ok, text = pcall(WSMan.new().GetErrorMessage, WSMan.new(), code)
  if not ok then
    errline("Error: " .. tostring(type(text) == "table" and text.message or text))
    return 1
  end
  ctx.out:write(text, "\n")
  return 0
end

-- The action (invoke) and the resource URI of the command.
local function resource_of(op, cmd)
  local action, uri
  if op == "invoke" then
    action, uri = cmd.unnamed[2], cmd.unnamed[3]
  else
    uri = cmd.unnamed[2]
  end
  if uri == "" then fail("URI is 0 length") end
  return action, uri
end

-- The operation on one host: the session, then the verb. Returns the exit status.
local function on_host(op, cmd, fmt)
  local wsman = WSMan.new()
  -- (closed at the end: with many hosts, a finished host's connection is not left to the collector)
  local session <close> = create_session(wsman, cmd, fmt)
  if cmd.named.debug ~= nil then require("wsman.trace").attach(session, ctx.err) end

  if op == "run" then return run_command(cmd, session, fmt) end
  if op == "ps" then return ps_command(cmd, session, fmt) end
  if op == "copy" or op == "fetch" then return transfer_command(op, cmd, session, fmt) end
  if op == "identify" then
    print_reply(try(fmt, session.Identify, session), fmt)
    return 0
  end

  local action, uri = resource_of(op, cmd)
  local loc = create_locator(wsman, cmd, uri)
  local input
  if op == "set" or op == "create" or op == "invoke" then
    local ok, v = pcall(process_input, op, cmd, session, loc, uri, action, fmt)
    if not ok then
      if getmetatable(v) == Quit then error(v, 0) end
      fail(tostring(type(v) == "table" and v.message or v))
    end
    input = v
  end

  if op == "get" then
    print_reply(try(fmt, session.Get, session, loc), fmt)
  elseif op == "set" then
    print_reply(try(fmt, session.Put, session, loc, input), fmt)
  elseif op == "create" then
    print_reply(try(fmt, session.Create, session, loc, input), fmt)
  elseif op == "delete" then
    try(fmt, session.Delete, session, loc)
  elseif op == "invoke" then
    print_reply(try(fmt, session.Invoke, session, action, loc, input), fmt)
  elseif op == "enumerate" then
    enumerate(cmd, session, loc, fmt)
  end
  return 0
end

-- ------------------------------------------------------------------------------------------
-- Several hosts (wsman.fanout): the command is checked once, then run on every host in a task
-- with its own output buffers
-- ------------------------------------------------------------------------------------------

local FORMATS = { xml = true, pretty = true, text = true, json = true, jsonl = true }
-- What a host's "result" is in JSON output: the JSON the verb prints (default), the remote
-- command's status and output, or the printed text (a path).
local RESULT_KIND = { run = "command", ps = "command", copy = "text", fetch = "text" }
local HOST_PLACEHOLDER = "{host}" -- in fetch's LOCAL_FILE: the host's name

local function throttle_of(cmd)
  local v = cmd.named.throttle
  if v == nil then return fanout.DEFAULT_THROTTLE end
  local n = math.tointeger(tonumber(v))
  if not n or n < 1 then fail("Numeric value (1 or more) for -throttle option is expected: -throttle:" .. v) end
  return n
end

-- A file-like object that keeps what is written.
local function buffer()
  local parts = {}
  local b = {}
  function b.write(self, ...)
    for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
    return self
  end
  function b.flush(self) return self end
  function b.text() return table.concat(parts) end
  return b
end

-- The command for one host: its own copy, -r: naming the host ({host} in fetch's LOCAL_FILE
-- replaced by its name, made safe for a file name).
local function host_command(op, cmd, host)
  local c = {}
  for k, v in pairs(cmd) do c[k] = v end
  c.named = setmetatable({ remote = host or nil }, { __index = cmd.named })
  if op == "fetch" then
    c.unnamed = table.move(cmd.unnamed, 1, #cmd.unnamed, 1, {})
    local safe = (host or "localhost"):gsub("[^%w%.%-_]", "_")
    c.unnamed[3] = c.unnamed[3]:gsub(HOST_PLACEHOLDER, safe) -- (safe has no "%")
  end
  return c
end

-- An error object as the command's user reads it: its message names switches, not API fields.
local function for_user(err)
  if type(err) ~= "table" then return err end
  local c = {}
  for k, v in pairs(err) do c[k] = v end
  if type(c.message) == "string" then c.message = M.switch_names(c.message) end
  return c
end

-- Runs the operation on one host, in the running task, writing to its own buffers (or to the
-- live streams given); returns the host's record for wsman.fanout (`failed`, `error`,
-- `message` (an error that was not displayed yet), `kind`, `out`, `err`, `exit_code`).
local function host_record(op, cmd, fmt, shared, host, streams)
  local c = { out = streams and streams.out or buffer(), err = streams and streams.err or buffer(), fanout = shared }
  local co = coroutine.running()
  host_ctx[co] = c
  local ok, status = pcall(on_host, op, host_command(op, cmd, host), fmt)
  host_ctx[co] = nil
  local rec = { kind = RESULT_KIND[op] or "json", out = c.out.text(), err = c.err.text() }
  if ok then
    rec.exit_code = status or 0
    return rec
  end
  rec.failed = true
  if getmetatable(status) == Quit then
    rec.error = for_user(c.error) or rec.err:match("^(.-)%s*$")
  else
    rec.error = for_user(status)
    rec.message = M.switch_names(tostring(type(status) == "table" and (status.message or status) or status))
  end
  return rec
end

-- What is the same for every host is checked once, before any host is contacted: the switches
-- (a session to localhost, which connects to nothing), the resource URI and the @{...} input.
local function check_once(op, cmd, fmt)
  local wsman = WSMan.new()
  create_session(wsman, host_command(op, cmd, cmd.named.remote and "localhost"), fmt)
  if OPS[op] >= 1 and not PSRP_OPS[op] then
    local _, uri = resource_of(op, cmd)
    create_locator(wsman, cmd, uri)
  end
  if cmd.at ~= nil then hash_or_quit(cmd.at) end
  if op == "fetch" and not cmd.unnamed[3]:find(HOST_PLACEHOLDER, 1, true) then
    fail("fetch from several hosts writes one file each: put " .. HOST_PLACEHOLDER
      .. " in LOCAL_FILE (wsman fetch REMOTE_PATH out/" .. HOST_PLACEHOLDER .. ".log -r:...)")
  end
end

-- Reads once what every host's operation needs from standard input or a prompt: the host list,
-- the password, the script of `run -ps` and `ps -`. Returns the hosts.
local function read_inputs(op, cmd)
  local stdin_hosts = false
  local hosts = { cmd.named.remote or false } -- false: no -r:, the local machine
  if fanout.is_list(cmd.named.remote) then
    local why
    hosts, why = fanout.hosts(cmd.named.remote, function()
      stdin_hosts = true
      return term().read_line(0)
    end)
    if not hosts then fail(why) end
  end
  local n = cmd.named
  local function stdin_taken(what)
    if stdin_hosts then fail(what .. " and -r:- both read standard input: give the hosts in a file (-r:@FILE)") end
  end
  if n.password == "-" then stdin_taken("-p:-") end
  if n.username ~= nil and (n.password == nil or n.password == "-") then
    n.password = get_password(setmetatable({ remote = #hosts .. " hosts" }, { __index = n }))
  end
  if op == "run" and n.ps ~= nil then
    if not cmd.unnamed[2] or cmd.unnamed[2] == "-" then stdin_taken("wsman run -ps (the script)") end
    cmd.script = ps_script(cmd)
  end
  if op == "ps" and cmd.unnamed[2] == "-" then
    stdin_taken("wsman ps - (the script)")
    cmd.unnamed[2] = io.read("a")
  end
  return hosts
end

local function fan_out(op, cmd, fmt, throttle)
  local hosts = read_inputs(op, cmd)
  check_once(op, cmd, fmt)
  local shared = { sigints = 0 }
  local inner = (fmt == "jsonl" or fmt == "json") and "json" or fmt
  local progress = os.getenv("WSMAN_PROGRESS")
  local t = term()
  if op == "run" then t.catch_sigint() end
  local ok, status = pcall(fanout.run, {
    hosts = hosts, throttle = throttle, tasks = WSMan.tasks, format = fmt, out = ctx.out, err = ctx.err,
    progress = progress == "1" or (progress ~= "0" and isatty(2)), now_ms = t.now_ms,
    job = function(host, streams) return host_record(op, cmd, inner, shared, host, streams) end,
    live = op == "run", -- (a command's lines as they come, as pdsh shows them)
    name = function(host) return host or "localhost" end,
  })
  if op == "run" then t.release_sigint() end
  if not ok then error(status, 0) end
  return status
end

local function main(argv)
  if #argv == 0 then return help("") end
  local cmd = M.parse_args(argv)
  local first = (cmd.unnamed[1] or ""):lower()
  local op = OP_SHORTCUTS[first] or first
  if op == "" or op == "help" or op == "?" then return help(cmd.unnamed[2]) end
  if cmd.named["?"] ~= nil then return help(op) end
  if op == "helpmsg" then return helpmsg(argv) end
  if WINDOWS_ONLY[op] then
    fail("'" .. op .. "' configures the local Windows machine and is not available in wsman")
  end
  if not OPS[op] then fail("Unknown operation name: '" .. op .. "'") end

  local valid = true
  if op == "run" then
    if cmd.named.ps ~= nil then
      if #cmd.unnamed > 2 then valid = false end
    elseif #cmd.unnamed < 2 then
      valid = false
    end
  elseif #cmd.unnamed ~= OPS[op] + 1 then -- the operation, [the action,] the resource
    valid = false
  end
  if (cmd.nat or 0) > 1 then valid = false end
  if cmd.at ~= nil or cmd.named.file ~= nil then
    if op ~= "invoke" and op ~= "create" and op ~= "set" then
      fail("Input was supplied to an operation that does not accept input.")
    end
  end
  local allowed = allowed_for(op)
  for _, name in ipairs(cmd.order) do
    if not KNOWN[name] then
      valid = false
      errline("Error: Unknown switch: " .. name)
    elseif not allowed[name] then
      valid = false
      errline("Error: Switch not allowed with the given operation: " .. name)
    end
  end
  if not valid then fail(GENERAL) end

  local fmt = "text"
  if cmd.named.format ~= nil then
    fmt = cmd.named.format:gsub("^#", "")
    local l = fmt:lower()
    if not FORMATS[l] then
      errline('Invalid option for -format: "' .. fmt .. '". Valid values: text, xml, pretty, json, jsonl.')
      quit(1)
    end
    fmt = l
  end
  local throttle = throttle_of(cmd)

  WSMan = WSMan or require "wsman"
  term().guard_stdin()
  if fmt == "jsonl" or fanout.is_list(cmd.named.remote) then return fan_out(op, cmd, fmt, throttle) end
  return on_host(op, cmd, fmt)
end

--- Runs the command with the given arguments and streams; returns the exit status (0 on
-- success, 1 on failure as winrm; `run` returns the remote command's status).
-- @tparam {string,...} argv the arguments (without the program name)
-- @param[opt] out file for output (default io.stdout)
-- @param[opt] err file for messages (default io.stderr)
-- @treturn integer
function M.run(argv, out, err)
  base_ctx = { out = out or io.stdout, err = err or io.stderr }
  local args = {}
  for i = 1, #argv do args[i] = argv[i] end
  local ok, status = pcall(main, args)
  ctx.out:flush()
  if ok then return status or 0 end
  if getmetatable(status) == Quit then return status.status end
  local msg = tostring(type(status) == "table" and (status.message or status) or status)
  ctx.err:write("Error: ", M.switch_names(msg), "\n")
  return 1
end

--- Entry point of `bin/wsman`: runs the command and exits with its status.
-- @tparam table argv the script's `arg` table
function M.main(argv)
  local status = M.run(argv or {})
  io.stdout:flush()
  io.stderr:flush()
  -- (closing the state sends what the sessions left queued: Deletes of shells, Releases)
  os.exit(status, true)
end

return M
