-- SPDX-License-Identifier: MIT

-- examples/run_cmd.lua: run a command on a Windows host and print what it wrote, as pywinrm's
-- `Session.run_cmd` does: one call opens a shell, runs the command, collects stdout and
-- stderr, and deletes the shell.
--
--   lua5.4 examples/run_cmd.lua [endpoint [user [password [command [args...]]]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default command: ipconfig /all)
--
-- Each argument is sent as its own argument (quoted by Windows' rules where it needs it). The
-- script exits with the remote command's exit code.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"

local cfg = common.args("")
local command, args = "ipconfig", { "/all" }
if arg[4] then command, args = arg[4], table.move(arg, 5, #arg, 1, {}) end

common.main(function()
  local session = common.connect(cfg)
  local out, err, code = session:run_cmd(command, args)
  io.write(out)
  io.stderr:write(err)
  print(("exit code: %d"):format(code))
  os.exit(code == 0 and 0 or (code & 0xFF == 0 and 1 or code & 0xFF))
end)
