-- SPDX-License-Identifier: MIT

-- examples/shell_stream.lua: a remote cmd shell (WinRS) with output streamed as the command
-- produces it, and a command fed through its stdin.
--
--   lua5.4 examples/shell_stream.lua [endpoint [user [password [command [args...]]]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default command: ping -n 3 127.0.0.1)
--
-- The first command's chunks are printed as they arrive, each with its stream ("stdout" or
-- "stderr"); then `sort` reads three lines from stdin in the same shell. Leaving the scope
-- (`<close>`) deletes the shell on the host.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"

local cfg = common.args("")
local command, args = "ping", { "-n", "3", "127.0.0.1" }
if arg[4] then command, args = arg[4], table.move(arg, 5, #arg, 1, {}) end

common.main(function()
  local session = common.connect(cfg)
  local sh <close> = session:shell { noprofile = true, idle_timeout = 300 }
  print("shell " .. sh.id)

  -- Output as it comes: the loop body runs while the command is still running.
  local p <close> = sh:run(command, args)
  for stream, chunk in p:output(120) do
    for line in chunk:gmatch("[^\r\n]+") do print(("[%s] %s"):format(stream, line)) end
  end
  print(("%s exited with %d"):format(command, p.exit_code))

  -- stdin: write, then close it so the program sees the end of its input.
  local sorter <close> = sh:run("sort")
  sorter:write("pear\r\n")
  sorter:write("apple\r\n")
  sorter:close_stdin("orange\r\n")
  local sorted = {}
  for stream, chunk in sorter:output(60) do
    if stream == "stdout" then sorted[#sorted + 1] = chunk end
  end
  print("sorted: " .. table.concat(sorted):gsub("\r?\n$", ""):gsub("\r?\n", " "))
end)
