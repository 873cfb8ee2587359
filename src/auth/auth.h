/*
 * auth.h - one small interface for every HTTP authentication mechanism (one file each:
 * basic.c now; ntlm.c, gss.c (SPNEGO/Kerberos), digest and client certificates later) plus
 * the message-encryption framing (wrap/unwrap of MS-WSMV 2.2.9.1 multipart/encrypted).
 *
 * The session drives a mechanism like this:
 *   a = wsman_auth_new(flags, &creds, endpoint, &err)      -- picks the mechanism
 *   per request: if (!wsman_auth_ready(a)) loop { wsman_auth_step(a, challenge, &hdr) ... }
 *                wsman_auth_header(a, &hdr) -> "Authorization" value to send, if any
 *                if wsman_auth_encrypts(a): wrap body, unwrap reply
 *   on 401 after a completed handshake or a new TCP connection: wsman_auth_reset(a)
 */
#ifndef WSMAN_AUTH_H
#define WSMAN_AUTH_H

#include "../core/internal.h"

typedef struct wsman_credentials {
    const char *username; /* "DOMAIN\\user", "user@domain" or "user" */
    const char *password;
} wsman_credentials_t;

typedef struct wsman_auth wsman_auth_t;

typedef struct wsman_auth_mech {
    const char *name; /* "Basic", "Negotiate", "Kerberos", ... (HTTP scheme) */
    /* Creates mechanism state; credentials are copied (and zeroed on free). */
    void *(*create)(const wsman_credentials_t *creds, const char *host, wsman_error_t *e);
    /* Produces the next Authorization header value from the server's challenge token
     * (NULL on the first leg). *done = 1 when no further leg is needed. */
    int (*step)(void *st, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e);
    /* Header for a request once the handshake is complete (Basic: every request). May leave
     * header_value empty (connection-authenticated schemes). */
    int (*header)(void *st, wsman_buf_t *header_value, wsman_error_t *e);
    void (*reset)(void *st);
    void (*destroy)(void *st); /* zeroes secrets */
    /* ---- message encryption (MS-WSMV 2.2.9.1; appended by the NTLM engineer). NULL / unset for
     * mechanisms without it. encrypt.c's wsman_encryptor_t takes these directly. ---- */
    /* Protocol string of multipart/encrypted, e.g. "application/HTTP-SPNEGO-session-encrypted". */
    const char *encrypt_protocol;
    /* Seals one message once the handshake is complete: appends the per-message header (NTLM: the
     * 16-byte signature; Kerberos: the wrap token header) to header and the encrypted data (plus
     * any padding) to data; *length_field = the OriginalContent "Length=" value. */
    int (*wrap)(void *st, const unsigned char *plain, size_t len, wsman_buf_t *header, wsman_buf_t *data,
                size_t *length_field, wsman_error_t *e);
    /* Verifies and decrypts one part of the server's reply, appending the plaintext to plain. A
     * failed verification leaves the context unusable (re-authenticate on a new connection). */
    int (*unwrap)(void *st, const unsigned char *header, size_t header_len, const unsigned char *data,
                  size_t data_len, wsman_buf_t *plain, wsman_error_t *e);
    /* TLS channel binding for the next handshake: RFC 5929 application data
     * ("tls-server-end-point:" || certificate hash), NULL/0 for none. Call after each (re)connect,
     * before the leg that sends the final token. */
    int (*set_channel_bindings)(void *st, const unsigned char *appdata, size_t len, wsman_error_t *e);
} wsman_auth_mech_t;

extern const wsman_auth_mech_t wsman_auth_basic;

struct wsman_auth {
    const wsman_auth_mech_t *mech;
    void *state;
    int done;
};

/* Picks the mechanism for the session flags. Fails (with an error saying so) for mechanisms
 * that are not built yet, and for Basic over plain HTTP without WSMAN_FLAG_NO_ENCRYPTION
 * (as Windows: "unencrypted traffic is disabled"), before any credential is sent.
 * Returns NULL with e->code == 0 when no authentication is used. */
wsman_auth_t *wsman_auth_new(uint32_t flags, const wsman_credentials_t *creds, const wsman_endpoint_t *ep,
                             wsman_error_t *e);
void wsman_auth_free(wsman_auth_t *a);

#endif
