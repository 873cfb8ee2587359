-- SPDX-License-Identifier: MIT
-- examples/get_remote.lua: "Obtaining Data from a Remote Computer", the Microsoft WinRM sample
-- (learn.microsoft.com/windows/win32/winrm/obtaining-data-from-a-remote-computer), ported
-- line by line: every VBScript line is the comment above the Lua it became.
--
--   lua5.4 examples/get_remote.lua [endpoint [user [password]]]
--   (or WSMAN_ENDPOINT, WSMAN_USER, WSMAN_PASSWORD; default: ComputerName.domain.com)
--
-- Enumerates Win32_OperatingSystem on a remote computer and shows each item as text. The page
-- has two scripts: without an account this runs the first (your logon credentials over
-- HTTPS); with an account, the second ("using a different account"), which asks for
-- Kerberos. The port sends the second with Basic and that account, so it runs against the
-- simulator's default settings (WSMAN_AUTH=sample keeps Kerberos).
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require "common"
local WSMan = require "wsman"

local cfg = common.args("ComputerName.domain.com", "Username", "Password")

-- '****************************************************
-- ' Displays WinRM XML message using built-in XSL
-- '****************************************************
-- Sub DisplayOutput(strWinRMXml)   (WsmTxt.xsl in Lua: see common.lua)
local DisplayOutput = common.DisplayOutput

common.main(function()
  -- Const RemoteComputer = "ComputerName.domain.com"
  local RemoteComputer = cfg.endpoint

  local objWsman, objSession
  if not cfg.user then
    -- First script: your logon username and password.
    -- Set objWsman = CreateObject("WSMan.Automation")
    objWsman = WSMan.new()
    -- Set objSession = objWsman.CreateSession("https://" & RemoteComputer)
    objSession = objWsman:CreateSession(common.connection("https://", RemoteComputer))
  else
    -- Second script: a different account.
    -- Set objWsman = CreateObject("Wsman.Automation")
    objWsman = WSMan.new()
    -- Set objConnectionOptions = objWsman.CreateConnectionOptions
    local objConnectionOptions = objWsman:CreateConnectionOptions()
    -- objConnectionOptions.UserName = "Username"
    objConnectionOptions.UserName = cfg.user
    -- objConnectionOptions.Password = "Password"
    objConnectionOptions.Password = cfg.password
    -- iFlags = objWsman.SessionFlagUseKerberos Or _
    --   objWsman.SessionFlagCredUserNamePassword
    -- (The sample spells it CredUserNamePassword; the member is SessionFlagCredUsernamePassword,
    -- and Lua, unlike VBScript, is case-sensitive.)
    local iFlags = objWsman:SessionFlagUseKerberos() | objWsman:SessionFlagCredUsernamePassword()
    if cfg.basic then
      -- Basic instead of Kerberos when an account is given (+ NoEncryption when the endpoint is
      -- http://), for the simulator's default configuration; WSMAN_AUTH=sample keeps Kerberos.
      iFlags = common.BasicFlags(objWsman, common.connection("https://", RemoteComputer))
    end
    -- Set objSession = objWsman.CreateSession("https://" & RemoteComputer, _
    --   iFlags, objConnectionOptions)
    objSession = objWsman:CreateSession(common.connection("https://", RemoteComputer),
      iFlags, objConnectionOptions)
  end
  -- strResource = "http://schemas.microsoft.com/wbem/wsman/1/" & _
  --   "wmi/root/cimv2/Win32_OperatingSystem"
  local strResource = "http://schemas.microsoft.com/wbem/wsman/1/" ..
    "wmi/root/cimv2/Win32_OperatingSystem"
  -- Set objResponse = objSession.Enumerate(strResource)
  local objResponse = objSession:Enumerate(strResource)

  -- While Not objResponse.AtEndOfStream
  while not objResponse.AtEndOfStream do
    --     DisplayOutput(objResponse.ReadItem)
    DisplayOutput(objResponse:ReadItem())
    -- Wend
  end
end)
