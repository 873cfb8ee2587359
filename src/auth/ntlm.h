/* SPDX-License-Identifier: MIT */
/*
 * ntlm.h - NTLMv2 (MS-NLMP) client for WinRM: NEGOTIATE / CHALLENGE / AUTHENTICATE with
 * extended session security, key exchange and MIC, channel binding, and the session's
 * seal/sign (wrap) and unseal/verify (unwrap) of messages.
 *
 *   c = wsman_ntlm_new("DOMAIN\\user", "password", "host.example", NULL, &e);
 *   wsman_ntlm_negotiate(c, &type1, &e);                        -> send base64 under "Negotiate"
 *   wsman_ntlm_authenticate(c, type2, len, cbt, cbt_len, &type3, &e)   (cbt: NULL over HTTP)
 *   wsman_ntlm_wrap(c, plain, len, sig, &cipher, &e)             client -> server
 *   wsman_ntlm_unwrap(c, sig, 16, cipher, len, &plain, &e)       server -> client
 *   wsman_ntlm_reset(c)                                          new TCP connection
 *   wsman_ntlm_free(c)                                           zeroes every secret
 *
 * The password itself is not kept: wsman_ntlm_new derives NTOWFv2 (password-equivalent, zeroed
 * on free) and zeroes its UTF-16 copy. MD4 and RC4 are implemented in crypto_legacy.c (OpenSSL 3
 * only has them in its legacy provider, which this library never loads).
 *
 * wsman_auth_ntlm (auth.h's interface) sends the raw NTLMSSP tokens under the HTTP scheme name
 * "Negotiate" (no SPNEGO wrapping), as Windows' own WinRM client does.
 */
#ifndef WSMAN_NTLM_H
#define WSMAN_NTLM_H

#include "auth.h"

#include <stddef.h>
#include <stdint.h>

/* ---- MD4 / RC4 (crypto_legacy.c) ------------------------------------------------------- */

void wsman_md4(const void *data, size_t len, unsigned char out[16]);

typedef struct wsman_rc4 {
    unsigned char s[256];
    unsigned char i, j;
} wsman_rc4_t;

void wsman_rc4_init(wsman_rc4_t *r, const unsigned char *key, size_t keylen);
/* Encrypts/decrypts len bytes (in == out allowed); the key stream continues across calls. */
void wsman_rc4(wsman_rc4_t *r, const unsigned char *in, unsigned char *out, size_t len);
void wsman_rc4_clear(wsman_rc4_t *r);

/* ---- NegotiateFlags (MS-NLMP 2.2.2.5) --------------------------------------------------- */

#define WSMAN_NTLM_UNICODE 0x00000001u
#define WSMAN_NTLM_OEM 0x00000002u
#define WSMAN_NTLM_REQUEST_TARGET 0x00000004u
#define WSMAN_NTLM_SIGN 0x00000010u
#define WSMAN_NTLM_SEAL 0x00000020u
#define WSMAN_NTLM_LM_KEY 0x00000080u
#define WSMAN_NTLM_NTLM 0x00000200u
#define WSMAN_NTLM_ANONYMOUS 0x00000800u
#define WSMAN_NTLM_ALWAYS_SIGN 0x00008000u
#define WSMAN_NTLM_TARGET_TYPE_DOMAIN 0x00010000u
#define WSMAN_NTLM_TARGET_TYPE_SERVER 0x00020000u
#define WSMAN_NTLM_ESS 0x00080000u /* EXTENDED_SESSIONSECURITY */
#define WSMAN_NTLM_TARGET_INFO 0x00800000u
#define WSMAN_NTLM_VERSION 0x02000000u
#define WSMAN_NTLM_128 0x20000000u
#define WSMAN_NTLM_KEY_EXCH 0x40000000u
#define WSMAN_NTLM_56 0x80000000u

/* What the client asks for in NEGOTIATE (= 0xE2888235, the MS-NLMP 4.2.4.3 AUTHENTICATE value):
 * UNICODE|REQUEST_TARGET|SIGN|SEAL|NTLM|ALWAYS_SIGN|ESS|TARGET_INFO|VERSION|128|KEY_EXCH|56. */
#define WSMAN_NTLM_CLIENT_FLAGS                                                                              \
    (WSMAN_NTLM_UNICODE | WSMAN_NTLM_REQUEST_TARGET | WSMAN_NTLM_SIGN | WSMAN_NTLM_SEAL | WSMAN_NTLM_NTLM |  \
     WSMAN_NTLM_ALWAYS_SIGN | WSMAN_NTLM_ESS | WSMAN_NTLM_TARGET_INFO | WSMAN_NTLM_VERSION |                 \
     WSMAN_NTLM_128 | WSMAN_NTLM_KEY_EXCH | WSMAN_NTLM_56)

#define WSMAN_NTLM_SIGNATURE_LEN 16

/* ---- the context ------------------------------------------------------------------------ */

typedef struct wsman_ntlm wsman_ntlm_t;

/* username: "DOMAIN\\user" (domain + user), "user@domain" (kept whole as a UPN, domain empty, as
 * Windows does) or "user" (domain empty). password: UTF-8 (NULL = ""). host: the target host,
 * giving the MsvAvTargetName SPN "HTTP/<host>" (NULL: none). workstation: sent in AUTHENTICATE
 * (NULL: empty). Errors: no user name (WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED), invalid UTF-8
 * (WSMAN_E_INVALIDARG), out of memory. */
wsman_ntlm_t *wsman_ntlm_new(const char *username, const char *password, const char *host,
                             const char *workstation, wsman_error_t *e);
void wsman_ntlm_free(wsman_ntlm_t *c);
/* Overrides the MsvAvTargetName SPN (e.g. "HTTP/host:5985"); NULL or "" sends none. */
int wsman_ntlm_set_spn(wsman_ntlm_t *c, const char *spn, wsman_error_t *e);
/* Forgets the handshake and session keys (new connection); credentials are kept. */
void wsman_ntlm_reset(wsman_ntlm_t *c);

/* Leg 1: appends the NEGOTIATE message (40 bytes) to out. */
int wsman_ntlm_negotiate(wsman_ntlm_t *c, wsman_buf_t *out, wsman_error_t *e);
/* Leg 2: parses the server's CHALLENGE, appends the AUTHENTICATE message to out and sets up the
 * session keys. cbt_appdata: RFC 5929 application data of the TLS channel binding
 * ("tls-server-end-point:" || certificate hash, see wsman_tls_channel_binding_appdata), or NULL
 * for none (plain HTTP). Errors: malformed CHALLENGE or missing server capabilities
 * (WSMAN_E_SEC_INVALID_TOKEN with what was wrong), called out of order. */
int wsman_ntlm_authenticate(wsman_ntlm_t *c, const unsigned char *challenge, size_t len,
                            const unsigned char *cbt_appdata, size_t cbt_len, wsman_buf_t *out,
                            wsman_error_t *e);
/* 1 once AUTHENTICATE was produced (session keys ready). */
int wsman_ntlm_complete(const wsman_ntlm_t *c);
/* The negotiated flags (0 before authenticate). */
uint32_t wsman_ntlm_flags(const wsman_ntlm_t *c);

/* Seals plain (RC4 with the outgoing handle) appending the ciphertext (len bytes) to cipher,
 * then writes the 16-byte NTLMSSP_MESSAGE_SIGNATURE (version 1, RC4'd 8-byte HMAC-MD5 checksum
 * of the plaintext, sequence number) to sig. Advances the outgoing sequence number. plain must
 * not overlap cipher's storage. A message wrapped but never sent leaves the context out of step
 * with the server (re-authenticate). */
int wsman_ntlm_wrap(wsman_ntlm_t *c, const unsigned char *plain, size_t len,
                    unsigned char sig[WSMAN_NTLM_SIGNATURE_LEN], wsman_buf_t *cipher, wsman_error_t *e);
/* Unseals cipher (appending the plaintext to plain) and verifies sig against it with the
 * incoming keys and sequence number. On a bad signature nothing is appended, the error is
 * WSMAN_E_SEC_MESSAGE_ALTERED (or _OUT_OF_SEQUENCE), and the context refuses further use (its
 * RC4 state is out of step: re-authenticate). */
int wsman_ntlm_unwrap(wsman_ntlm_t *c, const unsigned char *sig, size_t siglen, const unsigned char *cipher,
                      size_t len, wsman_buf_t *plain, wsman_error_t *e);
/* Integrity only (MS-NLMP MAC; e.g. a SPNEGO mechListMIC): signature over msg with the
 * outgoing / incoming keys and sequence numbers. */
int wsman_ntlm_sign(wsman_ntlm_t *c, const unsigned char *msg, size_t len,
                    unsigned char sig[WSMAN_NTLM_SIGNATURE_LEN], wsman_error_t *e);
int wsman_ntlm_verify(wsman_ntlm_t *c, const unsigned char *msg, size_t len, const unsigned char *sig,
                      size_t siglen, wsman_error_t *e);

/* A context that is already established from an ExportedSessionKey and negotiated flags, for
 * the acceptor (server) side when acceptor = 1 (outgoing = server-to-client keys, incoming =
 * client-to-server keys) or the initiator side when 0. For tests and simulators. */
wsman_ntlm_t *wsman_ntlm_new_established(const unsigned char exported_session_key[16], uint32_t flags,
                                         int acceptor, wsman_error_t *e);

/* ---- primitives (exposed for the unit tests) ------------------------------------------- */

/* NTOWFv2 (MS-NLMP 3.3.2): HMAC_MD5(MD4(UTF16LE(password)), UTF16LE(Uppercase(user) || domain)).
 * -1 on invalid UTF-8 or out of memory. */
int wsman_ntlm_ntowfv2(const char *password, const char *user, const char *domain, unsigned char out[16]);

/* NTLMv2 responses (MS-NLMP 3.3.2) for target_info (the AV pair list as the client sends it):
 * appends NtChallengeResponse (NTProofStr || temp) to nt_response; lm_response gets LMv2
 * (HMAC_MD5(key, server || client challenge) || client challenge); session_base_key gets
 * HMAC_MD5(key, NTProofStr). */
int wsman_ntlm_v2_response(const unsigned char response_key[16], const unsigned char server_challenge[8],
                           const unsigned char client_challenge[8], uint64_t filetime,
                           const unsigned char *target_info, size_t target_info_len, wsman_buf_t *nt_response,
                           unsigned char lm_response[24], unsigned char session_base_key[16]);

typedef struct wsman_ntlm_keys {
    unsigned char client_sign[16], client_seal[16];
    unsigned char server_sign[16], server_seal[16];
} wsman_ntlm_keys_t;
/* SIGNKEY / SEALKEY (MS-NLMP 3.4.5.2-3) for both directions; the seal key base is truncated to
 * 7 / 5 bytes without NTLMSSP_NEGOTIATE_128 (with / without _56). */
int wsman_ntlm_derive_keys(const unsigned char exported_session_key[16], uint32_t flags,
                           wsman_ntlm_keys_t *k);

/* MD5 of the gss_channel_bindings_struct (all address fields empty) around appdata: the value of
 * AV pair MsvAvChannelBindings. */
int wsman_ntlm_channel_bindings_hash(const unsigned char *appdata, size_t len, unsigned char out[16]);

/* ---- AUTHENTICATE with explicit inputs -------------------------------------------------- */

/* What AUTHENTICATE draws at random or from the clock; wsman_ntlm_authenticate fills it (random
 * client challenge and session key, the current time, the library's version). */
typedef struct wsman_ntlm_inputs {
    unsigned char client_challenge[8];
    unsigned char session_key[16]; /* ExportedSessionKey when KEY_EXCH is negotiated */
    uint64_t timestamp;            /* FILETIME used when the CHALLENGE carries no MsvAvTimestamp */
    const unsigned char *version;  /* the Version field of AUTHENTICATE (8 bytes); NULL: the library's */
    /* 1: the MS-NLMP 4.2.4.3 form: the CHALLENGE's TargetInfo copied unchanged (no MsvAvFlags,
     * MsvAvTargetName, MsvAvChannelBindings added) and no MIC field. */
    int spec_form;
} wsman_ntlm_inputs_t;

/* wsman_ntlm_authenticate with the given inputs: what it calls with fresh random values (the
 * official MS-NLMP 4.2.4 vectors give fixed ones). */
int wsman_ntlm_authenticate_with(wsman_ntlm_t *c, const unsigned char *challenge, size_t len,
                                 const unsigned char *cbt_appdata, size_t cbt_len,
                                 const wsman_ntlm_inputs_t *in, wsman_buf_t *out, wsman_error_t *e);

/* ---- auth.h mechanism ------------------------------------------------------------------- */

/* Scheme "Negotiate", raw NTLMSSP tokens; connection-authenticated (no per-request header);
 * message encryption with protocol "application/HTTP-SPNEGO-session-encrypted". */
extern const wsman_auth_mech_t wsman_auth_ntlm;

#endif
