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
    const char *name;   /* "Basic", "Negotiate", "Kerberos", ... (HTTP scheme) */
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
