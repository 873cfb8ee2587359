-- SPDX-License-Identifier: MIT

--- Run a command or a PowerShell script and collect its output: `session:run_cmd`,
-- `session:run_ps`, and the same on a shell (`sh:run_cmd`, `sh:run_ps`, reusing that shell).
--
--     local out, err, code = session:run_cmd("ipconfig", {"/all"})
--     session:run_cmd("dir", {"C:\\Program Files"})   -- sends: dir "C:\Program Files"
--     session:run_cmd("dir /b C:\\Temp")              -- one string: the command line as it is
--
-- Arguments in a table keep their boundaries: each is quoted by the rules Windows programs use
-- to split a command line (MSVCRT / CommandLineToArgvW, as Python's subprocess.list2cmdline),
-- only where needed (white space, a double quote, or one of cmd.exe's operators & | < > ^). A
-- string instead of the table is the rest of the command line, sent as it is.
--     local out, err, code, records = session:run_ps(script)      -- a script of any length
--
-- They sit on the streaming API (`session:shell`, `sh:run`, `p:output`) and only gather the
-- chunks in Lua. `run_ps` starts `powershell.exe` with a short `-EncodedCommand` bootstrap that
-- reads the script from stdin, so no command-line limit applies; PowerShell's CLIXML is removed
-- from stderr (the error stream stays, as text) and decoded into `records`
-- (`{type = "error" | "warning" | "verbose" | "debug" | "information" | "progress", message = ...}`,
-- progress records with `activity`, `status_description`, `percent_complete`, ...).
--
-- Options (a table, every key optional):
--   stdin            string sent to the command's stdin (then stdin is closed)
--   timeout          seconds: the command is terminated when it runs longer, and an error with
--                    retry = "transient" is raised
--   on_output        function(stream, chunk) also called with every chunk as it arrives
--   skip_cmd_shell   run the program without cmd.exe (run_cmd)
--   and, on a session, the shell's: working_directory, environment, codepage, noprofile,
--   idle_timeout, lifetime
--
-- A session call opens a shell, runs the command and deletes the shell. When the host refuses
-- the shell or the command before it ran (a quota, a shell it no longer knows, a transient
-- fault), it tries again on a new shell (three attempts in all); a failure after the command
-- started is raised as it is, since the command may have done something.
--
-- @module wsman.ps
local WSMan = require "wsman.core"

local M = {}

local SHELL_KEYS = { working_directory = true, environment = true, codepage = true, noprofile = true,
  idle_timeout = true, lifetime = true, name = true }
local RUN_KEYS = { stdin = true, timeout = true, on_output = true, skip_cmd_shell = true }
local ATTEMPTS = 3

local function check_opts(opts, allowed, what)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(what .. ": options must be a table, got " .. type(opts), 3) end
  for k in pairs(opts) do
    if not allowed[k] then error(what .. ": unknown option '" .. tostring(k) .. "'", 3) end
  end
  return opts
end

local function split(opts)
  local shell_opts, run_opts = {}, {}
  for k, v in pairs(opts) do
    if SHELL_KEYS[k] then shell_opts[k] = v else run_opts[k] = v end
  end
  return shell_opts, run_opts
end

-- The server refused before anything ran: a SOAP fault whose class says that trying again (on a
-- new shell) can work.
local function refused(err)
  return type(err) == "table" and err.fault_code ~= nil and (err.retry == "quota" or err.retry == "transient")
end

-- Sends stdin, gathers the output (in Lua), returns stdout, stderr, exit code.
local function collect(p, opts)
  if opts.stdin ~= nil then
    if type(opts.stdin) ~= "string" then error("option stdin must be a string, got " .. type(opts.stdin), 3) end
    p:close_stdin(opts.stdin)
  end
  local out, err, on_output = {}, {}, opts.on_output
  for stream, chunk in p:output(opts.timeout) do
    if stream == "stdout" then out[#out + 1] = chunk else err[#err + 1] = chunk end
    if on_output then on_output(stream, chunk) end
  end
  return table.concat(out), table.concat(err), p.exit_code
end

local function start_cmd(sh, command, args, opts)
  return sh:run(command, args, { skip_cmd_shell = opts.skip_cmd_shell })
end

local function start_ps(sh)
  return sh:powershell()
end

local function ps_results(out, err, code)
  local text, records = WSMan.clixml(err)
  return out, text, code, records
end

-- Runs start(sh) then collect on a shell the caller owns.
local function on_shell(sh, start, opts)
  local p <close> = start(sh)
  return collect(p, opts)
end

-- Opens a shell, runs, deletes it; retries refusals on a new shell.
local function on_new_shell(session, start, opts)
  local shell_opts, run_opts = split(opts)
  local last
  for attempt = 1, ATTEMPTS do
    local ok, sh = pcall(session.shell, session, shell_opts)
    if ok then
      local started, p = pcall(start, sh, run_opts)
      if started then
        local results = table.pack(pcall(collect, p, run_opts))
        p:close()
        pcall(sh.close, sh) -- the result stands even if the Delete fails (it is queued then)
        if not results[1] then error(results[2], 0) end
        return table.unpack(results, 2, results.n)
      end
      pcall(sh.close, sh)
      last = p
    else
      last = sh
    end
    if not refused(last) or attempt == ATTEMPTS then error(last, 0) end
    -- Shells or commands this program dropped may still be open: collecting them queues their
    -- Delete / Signal, which go out before the next request.
    collectgarbage()
  end
  error(last, 0)
end

local function command_args(command, args)
  if type(command) ~= "string" then error("run_cmd: the command must be a string, got " .. type(command), 3) end
  if args ~= nil and type(args) ~= "table" and type(args) ~= "string" then
    error("run_cmd: the arguments must be a table of strings (each quoted where needed)"
      .. " or a string (sent as it is), got "
      .. type(args), 3)
  end
end

--- session:run_cmd(command [, args [, opts]]) -> stdout, stderr, exit_code
function M.run_cmd(session, command, args, opts)
  command_args(command, args)
  opts = check_opts(opts, setmetatable({}, { __index = function(_, k) return SHELL_KEYS[k] or RUN_KEYS[k] end }),
    "run_cmd")
  return on_new_shell(session, function(sh, o) return start_cmd(sh, command, args, o) end, opts)
end

--- session:run_ps(script [, opts]) -> stdout, stderr, exit_code, records
function M.run_ps(session, script, opts)
  if type(script) ~= "string" then error("run_ps: the script must be a string, got " .. type(script), 2) end
  opts = check_opts(opts, setmetatable({}, { __index = function(_, k) return SHELL_KEYS[k] or RUN_KEYS[k] end }),
    "run_ps")
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.stdin = script
  o.skip_cmd_shell = nil
  return ps_results(on_new_shell(session, start_ps, o))
end

--- sh:run_cmd(command [, args [, opts]]) on an open shell (kept open)
function M.shell_run_cmd(sh, command, args, opts)
  command_args(command, args)
  opts = check_opts(opts, RUN_KEYS, "run_cmd")
  return on_shell(sh, function(s) return start_cmd(s, command, args, opts) end, opts)
end

--- sh:run_ps(script [, opts]) on an open shell (kept open)
function M.shell_run_ps(sh, script, opts)
  if type(script) ~= "string" then error("run_ps: the script must be a string, got " .. type(script), 2) end
  opts = check_opts(opts, RUN_KEYS, "run_ps")
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.stdin = script
  return ps_results(on_shell(sh, start_ps, o))
end

return M
