-- SPDX-License-Identifier: MIT
-- bench/encryption.lua: what message encryption costs the client, and one handshake per connection.
--   lua5.4 bench/encryption.lua [requests]      (from the repo root, after meson compile -C build)
-- For each mechanism, N small Gets against the simulator on one session: the client's CPU time per
-- request (os.clock of this process: libcurl, TLS, NTLM/Kerberos sealing, XML), the wall time, and
-- from the simulator's Stats the HTTP requests, TCP connections and authentication handshakes the
-- run needed. Figures, not assertions: compare encrypted NTLM over HTTP with Basic over HTTPS.
package.path = "spec/?.lua;" .. package.path
local bench = require "helpers.bench"
local WSMan = require "wsman"
local sim = require "helpers.sim"
local n = tonumber(arg[1]) or 1000
local GET = "wmicimv2/Win32_Service?Name=Spooler"
local C = WSMan.SessionFlagCredUsernamePassword

local now = bench.now

local cases = {
  { "Basic, HTTP (NoEncryption)", { "--allow-unencrypted" },
    WSMan.SessionFlagUseBasic | WSMan.SessionFlagNoEncryption },
  { "Basic, HTTPS", { "--tls" }, WSMan.SessionFlagUseBasic },
  { "Negotiate/NTLM, HTTP, encrypted", { "--auth", "negotiate" }, WSMan.SessionFlagUseNegotiate },
  { "Negotiate/NTLM, HTTPS, CBT", { "--tls", "--auth", "negotiate", "--cbt", "strict" },
    WSMan.SessionFlagUseNegotiate },
}
local k = sim.kdc()
if k then
  local kt = (k.keytab:gsub("^FILE:", ""))
  cases[#cases + 1] = { "Kerberos, HTTP, encrypted", { "--auth", "kerberos", "--keytab", kt },
    WSMan.SessionFlagUseKerberos, k.principal }
  cases[#cases + 1] = { "Kerberos, HTTPS, CBT", { "--tls", "--auth", "kerberos", "--cbt", "strict", "--keytab", kt },
    WSMan.SessionFlagUseKerberos, k.principal }
end

print(string.format("%d Gets per mechanism, one session each (the first request includes the handshake)", n))
print(string.format("%-34s %12s %10s %9s %12s %11s %9s", "mechanism", "CPU us/req", "req/s", "requests",
  "connections", "handshakes", "401s"))
for _, c in ipairs(cases) do
  local name, args, flags, user = c[1], c[2], c[3], c[4]
  local s = sim.start(args)
  local wsman = WSMan.new()
  local o = wsman:CreateConnectionOptions()
  o.UserName, o.Password = user or sim.user, sim.password
  if s.ca_file then o.ca_file = s.ca_file end
  local session = wsman:CreateSession(s.url, flags | C, o)
  -- the simulator's counters through a second session of the same mechanism (its own connection)
  local probe = wsman:CreateSession(s.url, flags | C, o)
  local before = sim.stats(probe)
  local cpu0, wall0 = os.clock(), now()
  for _ = 1, n do session:Get(GET) end
  local cpu, wall = os.clock() - cpu0, now() - wall0
  local after = sim.stats(probe)
  local requests = after.Requests - before.Requests - 1 -- less the probe's Get of the counters
  local handshakes = after.Handshakes and (after.Handshakes - before.Handshakes) or 0
  local unauthorized = after.Unauthorized - before.Unauthorized
  -- the first request of a connection carries the first token. Encrypted (HTTP): empty-body legs
  -- before the message, NTLM's NEGOTIATE and AUTHENTICATE, Kerberos' AP-REQ. HTTPS: the token that
  -- completes goes with the message, so NTLM's NEGOTIATE is the only extra request
  local https = name:match("HTTPS") ~= nil
  local ntlm = name:match("NTLM") ~= nil
  local per = ntlm and (https and 1 or 2) or name:match("Kerberos") and (https and 0 or 1) or 0
  print(string.format("%-34s %12.1f %10.0f %9d %12d %11d %9d", name, cpu / n * 1e6, n / wall, requests,
    after.Connections - before.Connections, handshakes, unauthorized))
  assert(requests == n + per * handshakes, "unexpected request count")
  assert(unauthorized == (ntlm and handshakes or 0), "unexpected 401 count: one per NTLM handshake, none for Kerberos")
  s:stop()
end
print("CPU is this process's own time; req/s is wall-clock with the simulator on the same cores.")
print("requests = Gets + handshake legs sent apart from a Get; 401s as counted by the simulator (NTLM's CHALLENGE).")
