-- SPDX-License-Identifier: MIT
-- Authentication against the simulator over real sockets: Negotiate (NTLMv2 and Kerberos) with
-- message encryption over HTTP and channel binding over HTTPS (the simulator's side is GSSAPI:
-- gss-ntlmssp and MIT Kerberos with the throwaway KDC of spec/kdc), Kerberos with a password, a
-- credential cache, SPN rules and delegation, Digest, client certificates (files, encrypted key,
-- CertificateThumbprint); errors that tell the cases apart; no password in any error; a dropped
-- connection authenticates again and no message is sent twice.
local WSMan = require "wsman"
local sim = require "helpers.sim"
local err_of, stats = sim.err_of, sim.stats

local C = WSMan.SessionFlagCredUsernamePassword
local GET = "wmicimv2/Win32_Service?Name=Spooler"
local PASSWORDS = { sim.password, "wrong-Passw0rd", "Wr0ngKeyPass" }

-- every error text and Session.Error seen, checked for passwords at the end
local seen = {}

local function session_for(s, flags, fields)
  local wsman = WSMan.new()
  local o = wsman:CreateConnectionOptions()
  if s.ca_file then o.ca_file = s.ca_file end
  for k, v in pairs(fields or {}) do o[k] = v end
  return (wsman:CreateSession(s.url, flags, o))
end

local function failure(session, f, ...)
  local e = err_of(f, ...)
  seen[#seen + 1] = tostring(e) .. "\n" .. tostring(e.message) .. "\n" .. (e.fault or "") .. "\n" .. session.Error
  return e
end

local function get_fails(session, what)
  return failure(session, session.Get, session, what or GET)
end

local function plain(pattern) return (pattern:gsub("%p", "%%%0")) end

local function reset(session)
  session:Invoke("Reset", sim.CONTROL, "<p:Reset_INPUT xmlns:p=\"" .. sim.CONTROL .. "\"/>")
end

local function work(session)
  assert.matches("<p:Name>Spooler</p:Name>", session:Get(GET))
  -- Put and Invoke (non-idempotent) and an enumeration, all through the same security context
  local loc = "wmicimv2/Win32_Service?Name=Spooler"
  local xml = session:Get(loc)
  assert.matches("Win32_Service", session:Put(loc, xml))
  assert.matches("ReturnValue", session:Invoke("StopService", loc,
    '<p:StopService_INPUT xmlns:p="' .. sim.CIMV2 .. 'Win32_Service"/>'))
  local e = session:Enumerate("wmicimv2/Win32_Service")
  local n = 0
  while not e.AtEndOfStream do
    e:ReadItem()
    n = n + 1
  end
  assert.is_true(n > 20)
end

describe("Negotiate (NTLMv2) over HTTP with message encryption", function()
  local s

  setup(function()
    s = sim.start { "--auth", "negotiate" } -- AllowUnencrypted=false: the host demands encryption
  end)

  it("Get, Put, Invoke and Enumerate, all encrypted, with one handshake for the connection", function()
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = sim.password })
    local before = stats(ss)
    work(ss)
    for _ = 1, 10 do ss:Get(GET) end
    local after = stats(ss)
    assert.equals(before.Handshakes, after.Handshakes)
    assert.equals(before.Connections, after.Connections)
    reset(ss)
  end)

  it("no authentication flag means Negotiate, as in COM", function()
    local ss = session_for(s, C, { UserName = sim.user, Password = sim.password })
    assert.matches("Spooler", ss:Get(GET))
  end)

  it("DOMAIN\\user works as a local account does", function()
    sim.kdc() -- its krb5.conf: the unknown realm WORKGROUP is found unknown at once
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = "WORKGROUP\\" .. sim.user,
      Password = sim.password })
    assert.matches("Spooler", ss:Get(GET))
  end)

  it("faults come back encrypted (HTTP 500) and are decrypted", function()
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = sim.password })
    local e = get_fails(ss, "wmicimv2/Win32_QuotaSetting")
    assert.equals(0x803380FA, e.code)
    assert.equals(500, e.http_status)
    assert.matches('Code="2150859002"', ss.Error)
    local x = get_fails(ss, sim.FAULT .. "html500")
    assert.matches("500", x.message)
    assert.matches("Spooler", ss:Get(GET)) -- the context is still in step
  end)

  it("SessionFlagNoEncryption: the host wants encryption, and the error says so", function()
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C | WSMan.SessionFlagNoEncryption,
      { UserName = sim.user, Password = sim.password })
    local e = get_fails(ss)
    assert.equals(0x80070005, e.code)
    assert.matches("requires message encryption", e.message)
    assert.matches("Remove SessionFlagNoEncryption", e.message)
    assert.matches("message encryption: off", e.message)
  end)

  it("a wrong password: the credentials were rejected, with what was offered, tried and sent", function()
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = "wrong-Passw0rd" })
    local e = get_fails(ss)
    assert.equals(0x80070005, e.code)
    assert.equals(401, e.http_status)
    assert.equals("auth", e.retry)
    assert.matches(plain("rejected the Negotiate (NTLM) credentials of user 'testuser'"), e.message)
    assert.matches("offered: Negotiate", e.message)
    assert.matches("message encryption: on", e.message)
    assert.matches(plain("SPN: HTTP/127.0.0.1"), e.message)
    assert.matches(plain("channel binding: not sent (HTTP)"), e.message)
    assert.matches("password", e.message)
  end)

  it("Negotiate without a password and without a Kerberos ticket says what is missing", function()
    sim.kdc()
    sim.kdestroy()
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate, {})
    local e = get_fails(ss)
    assert.matches("no password was given", e.message)
    assert.matches("kinit", e.message)
  end)

  it("a dropped connection: the next attempt authenticates again; a Put or Invoke is never sent twice", function()
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = sim.password })
    ss:Get(GET)
    local before = stats(ss)
    -- Get is idempotent: retried on a new connection, which is authenticated first
    assert.matches("SimFault", ss:Get(sim.FAULT .. "drop?token=ntlm-get"))
    local mid = stats(ss)
    assert.equals(before.Handshakes + 1, mid.Handshakes)
    assert.is_true(mid.Connections > before.Connections)
    assert.matches('<p:Token Name="ntlm%-get">2</p:Token>', ss:Get(sim.CONTROL))
    -- Invoke is not: the request may have been processed, so it is not sent again
    local e = failure(ss, ss.Invoke, ss, "M", sim.FAULT .. "drop?token=ntlm-invoke",
      '<p:M_INPUT xmlns:p="' .. sim.FAULT .. 'drop"/>')
    assert.equals("transient", e.retry)
    local after = ss:Get(sim.CONTROL) -- and the session goes on, on a new authenticated connection
    assert.matches('<p:Token Name="ntlm%-invoke">1</p:Token>', after)
    assert.equals(mid.Handshakes + 1, stats(ss).Handshakes)
  end)
end)

describe("Negotiate (NTLMv2) over HTTPS with channel binding", function()
  it("works against CbtHardeningLevel=Strict, and a wrong password's error says binding was sent", function()
    local s = sim.start { "--tls", "--auth", "negotiate", "--cbt", "strict" }
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = sim.password })
    work(ss)
    reset(ss)
    local bad = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = "wrong-Passw0rd" })
    local e = get_fails(bad)
    assert.matches(plain("channel binding: sent (tls-server-end-point)"), e.message)
    assert.matches(plain("message encryption: none (HTTPS)"), e.message)
  end)

  it("hashes a SHA-384 certificate with SHA-384 (RFC 5929)", function()
    local s = sim.start { "--tls", "--auth", "negotiate", "--cbt", "strict", "--cert-hash", "sha384" }
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = sim.password })
    assert.matches("Spooler", ss:Get(GET))
  end)
end)

describe("Kerberos (GSSAPI, test KDC)", function()
  local k, why, s

  setup(function()
    k, why = sim.kdc()
    if k then
      s = sim.start { "--auth", "negotiate,kerberos", "--keytab", (k.keytab:gsub("^FILE:", "")) }
    end
  end)

  local function kit(name, fn)
    it(name, function()
      if not k then
        pending("no test KDC: " .. tostring(why))
        return
      end
      fn()
    end)
  end

  kit("SessionFlagUseKerberos with a password: the library gets the ticket; messages encrypted", function()
    local ss = session_for(s, WSMan.SessionFlagUseKerberos | C, { UserName = k.principal, Password = k.password })
    local before = stats(ss)
    work(ss)
    assert.equals(before.Handshakes, stats(ss).Handshakes)
    reset(ss)
  end)

  kit("DOMAIN\\user names the realm too", function()
    local ss = session_for(s, WSMan.SessionFlagUseKerberos | C,
      { UserName = k.realm .. "\\" .. sim.user, Password = k.password })
    assert.matches("Spooler", ss:Get(GET))
  end)

  kit("Negotiate with a domain account uses Kerberos (SPNEGO): delegation proves it", function()
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C,
      { UserName = k.principal, Password = k.password, delegate = true })
    local before = stats(ss).Delegations
    ss:Get(GET)
    local ss2 = session_for(s, WSMan.SessionFlagUseNegotiate | C,
      { UserName = k.principal, Password = k.password, delegate = true })
    ss2:Get(GET)
    assert.equals(before + 1, stats(ss2).Delegations)
  end)

  kit("Negotiate falls back to NTLM when the KDC does not know the SPN (not with delegation)", function()
    local fields = { UserName = k.principal, Password = k.password, spn = "HTTP/nowhere.example" }
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, fields)
    assert.matches("Spooler", ss:Get(GET))
    fields.delegate = true
    ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, fields)
    local e = get_fails(ss)
    assert.matches("not found in Kerberos database", e.message)
    assert.matches("NTLM, which cannot delegate", e.message)
  end)

  kit("over HTTPS too, where Kerberos' token would have gone with the message: NTLM's legs first", function()
    local st = sim.start { "--tls", "--auth", "negotiate", "--keytab", (k.keytab:gsub("^FILE:", "")),
      "--require-authorization" }
    local fields = { UserName = k.principal, Password = k.password, spn = "HTTP/nowhere.example" }
    local ss = session_for(st, WSMan.SessionFlagUseNegotiate | C, fields)
    local before = stats(ss)
    assert.matches("Spooler", ss:Get(GET))
    local after = stats(ss)
    assert.equals(before.Handshakes, after.Handshakes) -- still the first connection's NTLM context
    assert.equals(before.HeldRequests, after.HeldRequests)
  end)

  kit("the user's credential cache (kinit), with no credentials or with AllowNegotiateImplicitCredentials", function()
    sim.kinit { forwardable = true }
    local ss = session_for(s, WSMan.SessionFlagUseKerberos, {})
    assert.matches("Spooler", ss:Get(GET))
    ss = session_for(s, 0, {}) -- Negotiate, Kerberos from the cache
    assert.matches("Spooler", ss:Get(GET))
    ss = session_for(s, WSMan.SessionFlagUseNegotiate | WSMan.SessionFlagAllowNegotiateImplicitCredentials,
      { UserName = k.principal })
    assert.matches("Spooler", ss:Get(GET))
  end)

  kit("a client keytab (KRB5_CLIENT_KTNAME) makes Kerberos possible without a password", function()
    local env = require "testenv"
    assert.is_string(k.client_keytab)
    sim.kdestroy()
    env.setenv("KRB5_CLIENT_KTNAME", k.client_keytab)
    local ok, err = pcall(function()
      local ss = session_for(s, 0, {}) -- Negotiate, no credentials: Kerberos from the keytab
      assert.matches("Spooler", ss:Get(GET))
      ss = session_for(s, WSMan.SessionFlagUseKerberos, { UserName = k.principal })
      assert.matches("Spooler", ss:Get(GET))
    end)
    env.setenv("KRB5_CLIENT_KTNAME", nil)
    sim.kdestroy()
    assert(ok, err)
  end)

  kit("no ticket in the cache: the error says to kinit or give the password", function()
    sim.kdestroy()
    local ss = session_for(s, WSMan.SessionFlagUseKerberos, {})
    local e = get_fails(ss)
    assert.equals(0x8009030E, e.code)
    assert.matches("no usable ticket", e.message)
    assert.matches("kinit", e.message)
  end)

  kit("options.spn overrides the service, or service and host", function()
    local base = { UserName = k.principal, Password = k.password }
    base.spn = "WSMAN"
    assert.matches("Spooler", session_for(s, WSMan.SessionFlagUseKerberos | C, base):Get(GET))
    base.spn = "HTTP/localhost"
    assert.matches("Spooler", session_for(s, WSMan.SessionFlagUseKerberos | C, base):Get(GET))
    base.spn = "HTTP/nowhere.example"
    local ss = session_for(s, WSMan.SessionFlagUseKerberos | C, base)
    local e = get_fails(ss)
    assert.equals(0x80090303, e.code) -- SEC_E_TARGET_UNKNOWN
    assert.matches(plain("SPN HTTP/nowhere.example"), e.message)
    assert.matches("not found in Kerberos database", e.message)
    assert.matches("options.spn", e.message)
  end)

  kit("SessionFlagEnableSPNServerPort asks for HTTP/host:port", function()
    local flags = WSMan.SessionFlagUseKerberos | C | WSMan.SessionFlagEnableSPNServerPort
    local ss = session_for(s, flags, { UserName = k.principal, Password = k.password })
    local e = get_fails(ss)
    assert.matches(plain("HTTP/127.0.0.1:" .. s.port), e.message)
    sim.add_principal("HTTP/127.0.0.1:" .. s.port)
    ss = session_for(s, flags, { UserName = k.principal, Password = k.password })
    assert.matches("Spooler", ss:Get(GET))
  end)

  kit("options.delegate: a forwardable ticket and a delegated credential on the host", function()
    local ss = session_for(s, WSMan.SessionFlagUseKerberos | C,
      { UserName = k.principal, Password = k.password, delegate = true })
    local before = stats(ss).Delegations -- this first request already delegated
    local ss2 = session_for(s, WSMan.SessionFlagUseKerberos | C,
      { UserName = k.principal, Password = k.password, delegate = true })
    ss2:Get(GET)
    assert.equals(before + 1, stats(ss2).Delegations)
    local plain_ss = session_for(s, WSMan.SessionFlagUseKerberos | C, { UserName = k.principal, Password = k.password })
    local d = stats(plain_ss).Delegations
    plain_ss:Get(GET)
    assert.equals(d, stats(plain_ss).Delegations)
  end)

  kit("a wrong password: the KDC's refusal, before anything goes to the host", function()
    local ss = session_for(s, WSMan.SessionFlagUseKerberos | C, { UserName = k.principal, Password = "wrong-Passw0rd" })
    local e = get_fails(ss)
    assert.equals(0x8009030C, e.code)
    assert.equals("auth", e.retry)
    assert.matches("KDC rejected the password of " .. plain(k.principal), e.message)
  end)

  kit("an unknown user", function()
    local ss = session_for(s, WSMan.SessionFlagUseKerberos | C, { UserName = "nobody@" .. k.realm, Password = "x" })
    local e = get_fails(ss)
    assert.matches("does not know the user", e.message)
  end)

  kit("over HTTPS with CbtHardeningLevel=Strict: channel binding in the AP-REQ", function()
    local st = sim.start { "--tls", "--auth", "negotiate,kerberos", "--cbt", "strict", "--keytab",
      (k.keytab:gsub("^FILE:", "")) }
    local ss = session_for(st, WSMan.SessionFlagUseKerberos | C, { UserName = k.principal, Password = k.password })
    work(ss)
    reset(ss)
    ss = session_for(st, WSMan.SessionFlagUseNegotiate | C, { UserName = k.principal, Password = k.password })
    assert.matches("Spooler", ss:Get(GET))
  end)

  kit("the host offering only Negotiate: the Kerberos scheme's error points to Negotiate", function()
    local sn = sim.start { "--auth", "negotiate", "--keytab", (k.keytab:gsub("^FILE:", "")) }
    local ss = session_for(sn, WSMan.SessionFlagUseKerberos | C, { UserName = k.principal, Password = k.password })
    local e = get_fails(ss)
    assert.matches("does not accept Kerberos authentication", e.message)
    assert.matches("SessionFlagUseNegotiate", e.message)
  end)

  kit("a dropped connection re-authenticates with a new AP-REQ", function()
    local ss = session_for(s, WSMan.SessionFlagUseKerberos | C, { UserName = k.principal, Password = k.password })
    ss:Get(GET)
    local before = stats(ss)
    assert.matches("SimFault", ss:Get(sim.FAULT .. "drop?token=krb-get"))
    assert.equals(before.Handshakes + 1, stats(ss).Handshakes)
  end)
end)

describe("A host that never answers a request without credentials (OMI: --require-authorization)", function()
  -- Windows' handshake shape: the first request of a connection carries the first token, so no
  -- request is ever held; one 401 per NTLM handshake (the CHALLENGE), none for Kerberos
  local k = sim.kdc()
  local cases = {
    { "NTLM over HTTP, encrypted", { "--auth", "negotiate" }, WSMan.SessionFlagUseNegotiate, 1, 2 },
    { "NTLM over HTTPS, channel binding", { "--tls", "--auth", "negotiate", "--cbt", "strict" },
      WSMan.SessionFlagUseNegotiate, 1, 1 },
  }
  if k then
    local kt = (k.keytab:gsub("^FILE:", ""))
    cases[#cases + 1] = { "Kerberos over HTTP, encrypted", { "--auth", "kerberos", "--keytab", kt },
      WSMan.SessionFlagUseKerberos, 0, 1, k.principal }
    cases[#cases + 1] = { "Kerberos over HTTPS, channel binding",
      { "--tls", "--auth", "kerberos", "--cbt", "strict", "--keytab", kt }, WSMan.SessionFlagUseKerberos, 0, 0,
      k.principal }
    cases[#cases + 1] = { "Negotiate choosing Kerberos over HTTP", { "--auth", "negotiate", "--keytab", kt },
      WSMan.SessionFlagUseNegotiate, 0, 1, k.principal }
  end
  for _, c in ipairs(cases) do
    local name, args, flag, unauthorized, legs, user = c[1], c[2], c[3], c[4], c[5], c[6]
    it(name .. ": " .. unauthorized .. " 401, " .. legs .. " request(s) besides the Get, nothing held", function()
      local s = sim.start(table.move({ "--require-authorization" }, 1, 1, #args + 1, table.move(args, 1, #args, 1, {})),
        { fresh = true }) -- its own counters: MaxUnauthorizedPerConnection is the simulator's whole life
      local fields = { UserName = user or sim.user, Password = sim.password }
      local probe = session_for(s, flag | C, fields)
      local before = stats(probe)
      local ss = session_for(s, flag | C, fields)
      ss.Timeout = 60000 -- a held request would wait this long; none is
      assert.matches("<p:Name>Spooler</p:Name>", ss:Get(GET))
      assert.matches("<p:Name>Spooler</p:Name>", ss:Get(GET)) -- the connection stays authenticated
      local after = stats(probe)
      assert.equals(before.HeldRequests, after.HeldRequests)
      assert.equals(before.Handshakes + 1, after.Handshakes)
      assert.equals(before.Unauthorized + unauthorized, after.Unauthorized)
      assert.equals(before.Requests + 2 + legs + 1, after.Requests) -- two Gets, the legs, the probe's Get
      assert.is_true(after.MaxUnauthorizedPerConnection <= 1)
    end)
  end

  it("a request without credentials is held: the client's own deadline ends it", function()
    local s = sim.start { "--auth", "negotiate", "--require-authorization" }
    local probe = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = sim.password })
    local before = stats(probe)
    local ss = session_for(s, WSMan.SessionFlagUseNoAuthentication | WSMan.SessionFlagNoEncryption)
    ss.Timeout = 500
    local e = get_fails(ss)
    assert.matches("no complete reply within", e.message)
    assert.equals(before.HeldRequests + 1, stats(probe).HeldRequests)
  end)
end)

describe("Digest (libcurl)", function()
  local s

  setup(function()
    s = sim.start { "--auth", "digest", "--allow-unencrypted" }
  end)

  it("over HTTP with SessionFlagNoEncryption, many requests on one connection", function()
    local ss = session_for(s, WSMan.SessionFlagUseDigest | C | WSMan.SessionFlagNoEncryption,
      { UserName = sim.user, Password = sim.password })
    local before = stats(ss)
    work(ss)
    assert.equals(before.Connections, stats(ss).Connections)
    reset(ss)
  end)

  it("over HTTP without NoEncryption: refused before anything is sent", function()
    local ss = session_for(s, WSMan.SessionFlagUseDigest | C, { UserName = sim.user, Password = sim.password })
    local e = get_fails(ss)
    assert.equals(0x803380DE, e.code)
    assert.matches("Digest", e.message)
  end)

  it("a wrong password", function()
    local ss = session_for(s, WSMan.SessionFlagUseDigest | C | WSMan.SessionFlagNoEncryption,
      { UserName = sim.user, Password = "wrong-Passw0rd" })
    local e = get_fails(ss)
    assert.equals(401, e.http_status)
    assert.matches("rejected the Digest credentials of user 'testuser'", e.message)
  end)

  it("over HTTPS", function()
    local st = sim.start { "--tls", "--auth", "digest" }
    local ss = session_for(st, WSMan.SessionFlagUseDigest | C, { UserName = sim.user, Password = sim.password })
    assert.matches("Spooler", ss:Get(GET))
  end)
end)

describe("Client certificates", function()
  local s
  local flags = WSMan.SessionFlagUseClientCertificate

  setup(function()
    s = sim.cert_sim()
  end)

  it("certificate and key files", function()
    local ss = session_for(s, flags, { client_cert = s.client_cert, client_key = s.client_key })
    work(ss)
    reset(ss)
  end)

  it("an encrypted key with client_key_password, and a wrong key password", function()
    local ss = session_for(s, flags, { client_cert = s.client_cert, client_key = s.client_key_encrypted,
      client_key_password = s.client_key_password })
    assert.matches("Spooler", ss:Get(GET))
    ss = session_for(s, flags, { client_cert = s.client_cert, client_key = s.client_key_encrypted,
      client_key_password = "Wr0ngKeyPass" })
    local e = get_fails(ss)
    assert.matches("client_key_password", e.message)
  end)

  it("CertificateThumbprint found in cert_dir (spaces, any case)", function()
    local tp = s.client_cert_thumbprint:lower():gsub("(%x%x)", "%1 "):gsub(" $", "")
    local ss = session_for(s, flags, { CertificateThumbprint = tp, cert_dir = s.client_cert_dir })
    assert.matches("Spooler", ss:Get(GET))
    ss = session_for(s, flags, { CertificateThumbprint = s.client_cert_thumbprint:upper(), cert_dir = s.client_cert_dir,
      client_key_password = s.client_key_password })
    assert.matches("Spooler", ss:Get(GET))
  end)

  it("a thumbprint that is not there, and one that is not a thumbprint", function()
    local ss = session_for(s, flags, { CertificateThumbprint = string.rep("ab", 20), cert_dir = s.client_cert_dir })
    local e = get_fails(ss)
    assert.equals(0x80338082, e.code)
    assert.matches("No certificate with thumbprint", e.message)
    assert.matches("checked", e.message)
    ss = session_for(s, flags, { CertificateThumbprint = "12 34", cert_dir = s.client_cert_dir })
    e = get_fails(ss)
    assert.matches("40 hexadecimal digits", e.message)
    ss = session_for(s, flags, { CertificateThumbprint = s.client_cert_thumbprint })
    e = get_fails(ss)
    assert.matches("cert_dir is not", e.message)
  end)

  it("a certificate the host maps to no account", function()
    local ss = session_for(s, flags, { client_cert = s.client_cert_unmapped, client_key = s.client_key_unmapped })
    local e = get_fails(ss)
    assert.equals(0x80070005, e.code)
    assert.matches("did not accept the client certificate", e.message)
    assert.matches("certmapping", e.message)
  end)

  it("needs HTTPS, a certificate, and no user name", function()
    local http = sim.start { "--allow-unencrypted" }
    local e = get_fails(session_for(http, flags, { client_cert = s.client_cert, client_key = s.client_key }))
    assert.equals(0x803380D8, e.code)
    e = get_fails(session_for(s, flags, {}))
    assert.equals(0x803380B4, e.code)
    e = get_fails(session_for(s, flags | C, { client_cert = s.client_cert, client_key = s.client_key,
      UserName = sim.user, Password = sim.password }))
    assert.equals(0x803380B1, e.code)
  end)
end)

describe("Errors tell the cases apart", function()
  it("Basic against a host that accepts only Negotiate and Kerberos", function()
    local s = sim.start { "--auth", "negotiate,kerberos", "--allow-unencrypted" }
    local ss = session_for(s, WSMan.SessionFlagUseBasic | C | WSMan.SessionFlagNoEncryption,
      { UserName = sim.user, Password = sim.password })
    local e = get_fails(ss)
    assert.matches("does not accept Basic authentication %(it offers: Negotiate, Kerberos%)", e.message)
    assert.matches("Basic is disabled", e.message)
  end)

  it("Negotiate against a host that accepts only Basic", function()
    local s = sim.start { "--allow-unencrypted" }
    local ss = session_for(s, WSMan.SessionFlagUseNegotiate | C, { UserName = sim.user, Password = sim.password })
    local e = get_fails(ss)
    assert.matches("does not accept Negotiate authentication %(it offers: Basic%)", e.message)
  end)

  it("SessionFlagEnableSPNServerPort with Basic", function()
    local s = sim.start { "--allow-unencrypted" }
    local ss = session_for(s, WSMan.SessionFlagUseBasic | C | WSMan.SessionFlagNoEncryption
      | WSMan.SessionFlagEnableSPNServerPort, { UserName = sim.user, Password = sim.password })
    local e = get_fails(ss)
    assert.equals(0x803380AE, e.code)
  end)

  it("no password appears in any error text, fault or Session.Error", function()
    assert.is_true(#seen > 15)
    for _, text in ipairs(seen) do
      for _, pw in ipairs(PASSWORDS) do
        assert.is_nil(text:find(pw, 1, true), "a password in: " .. text)
      end
    end
  end)
end)
