-- SPDX-License-Identifier: MIT

--- One call from a URL and a table of settings to a session: `WSMan.connect`.
--
--     local WSMan = require "wsman"
--     local s = WSMan.connect("http://srv01:5985/wsman", { user = "CONTOSO\\admin", password = pw, auth = "ntlm" })
--     local out, err, code = s:run_cmd("ipconfig", { "/all" })
--
-- It does what `WSMan.new()`, `CreateConnectionOptions()` and `CreateSession(url, flags, options)`
-- do in three steps, with the flags named in words. Every setting of `ConnectionOptions` has a
-- key; an unknown key or value raises an error that lists the valid ones.
--
-- @module wsman.connect
local WSMan = require "wsman.core"

local M = {}

--- The `auth` values and the session flags each one sets (`ntlm` is Negotiate, as for pywinrm
-- and Ansible users: Windows' Negotiate picks NTLM when Kerberos cannot be used).
M.AUTH = {
  basic = WSMan.SessionFlagUseBasic,
  digest = WSMan.SessionFlagUseDigest,
  negotiate = WSMan.SessionFlagUseNegotiate,
  ntlm = WSMan.SessionFlagUseNegotiate,
  kerberos = WSMan.SessionFlagUseKerberos,
  certificate = WSMan.SessionFlagUseClientCertificate,
  credssp = WSMan.SessionFlagUseCredSsp,
  none = WSMan.SessionFlagUseNoAuthentication,
}

-- Keys copied to the ConnectionOptions object as they are.
local OPTION_KEYS = {
  ca_file = "ca_file", cert_dir = "cert_dir", client_cert = "client_cert", client_key = "client_key",
  client_key_password = "client_key_password", proxy = "proxy", spn = "spn", delegate = "delegate",
  connect_timeout = "connect_timeout", max_envelope_size = "max_envelope_size",
  thumbprint = "CertificateThumbprint",
}

-- Keys that set a session flag when true.
local FLAG_KEYS = {
  unencrypted = WSMan.SessionFlagNoEncryption,
  skip_ca_check = WSMan.SessionFlagSkipCACheck,
  skip_cn_check = WSMan.SessionFlagSkipCNCheck,
  skip_revocation_check = WSMan.SessionFlagSkipRevocationCheck,
  spn_port = WSMan.SessionFlagEnableSPNServerPort,
  implicit_credentials = WSMan.SessionFlagAllowNegotiateImplicitCredentials,
  utf16 = WSMan.SessionFlagUTF16,
}

local OTHER_KEYS = { user = true, password = true, auth = true, timeout = true }

local function names(...)
  local list = {}
  for _, t in ipairs { ... } do
    for k in pairs(t) do list[#list + 1] = k end
  end
  table.sort(list)
  return table.concat(list, ", ")
end

local function check_keys(settings)
  for k in pairs(settings) do
    if not (OTHER_KEYS[k] or OPTION_KEYS[k] or FLAG_KEYS[k]) then
      error("WSMan.connect: unknown setting '" .. tostring(k) .. "'; valid settings: "
        .. names(OTHER_KEYS, OPTION_KEYS, FLAG_KEYS), 3)
    end
  end
end

-- The flags of settings.auth (default: negotiate, or certificate when a certificate is given).
local function auth_flags(settings)
  local auth = settings.auth
  if auth == nil then
    auth = (settings.client_cert or settings.thumbprint) and "certificate" or "negotiate"
  end
  if type(auth) ~= "string" or not M.AUTH[auth:lower()] then
    error("WSMan.connect: auth must be one of " .. names(M.AUTH) .. ", got " .. tostring(auth), 3)
  end
  auth = auth:lower()
  local flags = M.AUTH[auth]
  if settings.user ~= nil then
    if auth == "certificate" or auth == "none" then
      error("WSMan.connect: a user makes no sense with auth = \"" .. auth .. "\"", 3)
    end
    flags = flags | WSMan.SessionFlagCredUsernamePassword
  elseif auth == "basic" or auth == "digest" or auth == "credssp" then
    error("WSMan.connect: auth = \"" .. auth .. "\" needs a user and a password", 3)
  end
  return flags
end

local function flag_settings(settings)
  local flags = 0
  for k, flag in pairs(FLAG_KEYS) do
    local v = settings[k]
    if v ~= nil and type(v) ~= "boolean" then
      error("WSMan.connect: " .. k .. " must be a boolean, got " .. type(v), 3)
    end
    if v then flags = flags | flag end
  end
  return flags
end

local function connection_options(wsman, settings)
  local o = wsman:CreateConnectionOptions()
  if settings.user ~= nil then o.UserName = settings.user end
  if settings.password ~= nil then o.Password = settings.password end
  for k, field in pairs(OPTION_KEYS) do
    if settings[k] ~= nil then o[field] = settings[k] end
  end
  return o
end

--- Creates a session from a URL and settings.
-- @tparam string url the endpoint: a URL (`https://srv01:5986/wsman`), or what `CreateSession`
--  takes (`srv01`, `srv01:5985`, `[::1]`)
-- @tparam[opt] table settings every key optional:
--  * `user`, `password`: the account (`"CONTOSO\\admin"`, `"admin@CONTOSO.COM"`);
--  * `auth`: `"negotiate"` (default), `"ntlm"` (the same), `"kerberos"`, `"basic"`, `"digest"`,
--    `"certificate"` (default when `client_cert` or `thumbprint` is given), `"credssp"`, `"none"`;
--  * `timeout`: seconds an operation may take (`Session.Timeout`, default 60);
--  * `unencrypted`: Basic over plain HTTP (`SessionFlagNoEncryption`); `skip_ca_check`,
--    `skip_cn_check`, `skip_revocation_check`, `spn_port`, `implicit_credentials`, `utf16`:
--    the session flags of those names (booleans);
--  * `ca_file`, `cert_dir`, `client_cert`, `client_key`, `client_key_password`, `thumbprint`
--    (`CertificateThumbprint`), `proxy`, `spn`, `delegate`, `connect_timeout` (ms),
--    `max_envelope_size`: the ConnectionOptions fields.
-- @return the Session
-- @raise an error object when the URL or a setting is invalid
function M.connect(url, settings)
  if type(url) ~= "string" then error("WSMan.connect: the URL must be a string, got " .. type(url), 2) end
  if settings == nil then settings = {} end
  if type(settings) ~= "table" then
    error("WSMan.connect: settings must be a table, got " .. type(settings), 2)
  end
  check_keys(settings)
  local flags = auth_flags(settings) | flag_settings(settings)
  local timeout = settings.timeout
  if timeout ~= nil and (math.type(timeout) == nil or timeout <= 0) then
    error("WSMan.connect: timeout must be a positive number of seconds, got " .. tostring(timeout), 2)
  end
  local wsman = WSMan.new()
  local session = wsman:CreateSession(url, flags, connection_options(wsman, settings))
  if timeout then session.Timeout = math.ceil(timeout * 1000) end
  return session
end

return M
