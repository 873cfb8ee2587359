/* SPDX-License-Identifier: MIT */
/*
 * auth.h - one small interface for every HTTP authentication mechanism (one file each: basic.c,
 * ntlm.c (NTLMv2 under "Negotiate"), gss.c (Kerberos and SPNEGO through GSSAPI), Digest and client
 * certificates (done by the transport: libcurl and TLS), auth.c (selection and Negotiate's choice
 * between Kerberos and NTLM), cert.c (CertificateThumbprint look-up)) plus the message-encryption
 * framing (wrap/unwrap of MS-WSMV 2.2.9.1 multipart/encrypted, encrypt.c).
 *
 * The session drives a mechanism like this:
 *   a = wsman_auth_new_ex(&params, &err)                     -- picks the mechanism
 *   WSMAN_MECH_PREEMPTIVE (Basic): step/header -> "Authorization" value on every request
 *   WSMAN_MECH_CONNECTION (Negotiate, Kerberos): once per TCP connection, as Windows' client does:
 *       the first request of the connection carries the first token (computed once the connection
 *       is up: set_channel_bindings (HTTPS), step(NULL)), step(server token) -> further legs, until
 *       a 200 (whose token, if any, completes mutual authentication). With message encryption
 *       (HTTP unless WSMAN_FLAG_NO_ENCRYPTION, a->encrypt) the legs have empty bodies and then every
 *       request is sealed and every reply unsealed (wsman_auth_seal / wsman_auth_unseal); without
 *       it the leg that may complete (Kerberos' first, NTLM's AUTHENTICATE) goes with the message.
 *       A new connection, a 401 or a failed unseal: reset and start over.
 *   WSMAN_MECH_TRANSPORT (Digest: libcurl; client certificate: TLS): nothing at this level
 */
#ifndef WSMAN_AUTH_H
#define WSMAN_AUTH_H

#include "protocol.h"
#include "transport.h"

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
    /* Message encryption (MS-WSMV 2.2.9.1). NULL / unset for mechanisms without it. encrypt.c's
     * wsman_encryptor_t takes these directly. */
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
    unsigned flags; /* WSMAN_MECH_* */
    /* What is in use, for messages: "Negotiate (NTLM)", "Negotiate (Kerberos)"; NULL: the name. */
    const char *(*describe)(void *st);
} wsman_auth_mech_t;

#define WSMAN_MECH_PREEMPTIVE 0x1u /* an Authorization header on every request, no handshake (Basic) */
#define WSMAN_MECH_CONNECTION 0x2u /* one handshake per TCP connection (Negotiate, Kerberos) */
#define WSMAN_MECH_TRANSPORT 0x4u  /* done by the transport: libcurl (Digest) or TLS (certificates) */

extern const wsman_auth_mech_t wsman_auth_basic;
extern const wsman_auth_mech_t wsman_auth_digest;      /* libcurl's CURLAUTH_DIGEST */
extern const wsman_auth_mech_t wsman_auth_certificate; /* TLS client certificate */
extern const wsman_auth_mech_t wsman_auth_negotiate;   /* Kerberos (SPNEGO) or NTLM, chosen per auth.c */

struct wsman_auth {
    const wsman_auth_mech_t *mech;
    void *state;
    int done;
    int encrypt;      /* message encryption over HTTP (connection mechanisms, no NoEncryption) */
    int channel_bind; /* HTTPS: send TLS channel binding (connection mechanisms) */
    char *spn;        /* Negotiate/Kerberos: the SPN used, "HTTP/host[:port]" (messages, NTLM) */
    /* connection mechanisms: the handshake's state (handshake.c) */
    int established; /* the handshake completed on the transport's connection number conn */
    long conn;
    int cbt_sent;      /* channel binding went with the last handshake */
    char *cbt_note;    /* why it was not sent over HTTPS, or NULL */
    char *offered;     /* the schemes the server offered in its last 401 ("Negotiate, Kerberos") */
    long handshakes;   /* completed handshakes (diagnostics, tests) */
    int legs;          /* legs posted in the handshake under way (0: the next request starts one) */
    wsman_buf_t next;  /* the next leg's Authorization value */
    int final_pending; /* next is the final token, to go with the message (no message encryption) */
    int token_sent;    /* the last message carried a token: its reply ends the handshake */
    int reconnected;   /* a request found a new connection where the handshake's was expected */
    int hook_failed;   /* the token could not be made at connect time: hook_err says why */
    wsman_error_t hook_err;
};

/* What the session knows that a mechanism may need. */
typedef struct wsman_auth_params {
    uint32_t flags; /* session flags */
    const char *username, *password;
    const wsman_endpoint_t *ep;
    const char *spn;                    /* options.spn: "service", "service/host[:port]" or a principal */
    int delegate;                       /* options.delegate */
    const char *client_cert;            /* options.client_cert (client certificate checks) */
    const char *certificate_thumbprint; /* options.CertificateThumbprint */
} wsman_auth_params_t;

/* What is in use, for messages: "Basic", "Negotiate (NTLM)", "Kerberos"... */
const char *wsman_auth_describe(const wsman_auth_t *a);
/* Why Negotiate does not use Kerberos ("Kerberos was not used: ..."), or NULL. */
const char *wsman_auth_note(const wsman_auth_t *a);

/* Picks the mechanism for the session flags and parameters (SPN, delegation, certificate
 * options). Fails (with an error saying so) for mechanisms that are not built, and for Basic over
 * plain HTTP without WSMAN_FLAG_NO_ENCRYPTION (as Windows: "unencrypted traffic is disabled"),
 * before any credential is sent. May talk to a KDC (Kerberos with a password: the AS exchange).
 * Returns NULL with e->code == 0 when no authentication is used. */
wsman_auth_t *wsman_auth_new_ex(const wsman_auth_params_t *p, wsman_error_t *e);
void wsman_auth_free(wsman_auth_t *a);

/* 1 when the mechanism's first token normally completes the handshake (Kerberos, also inside
 * Negotiate), so that without message encryption it goes out with the message itself. */
int wsman_auth_first_leg_final(const wsman_auth_t *a);

/* The SPN for an endpoint (caller frees): options.spn "svc/host[:port]" as given, "svc" with the
 * endpoint's host, else "HTTP/host", with ":port" under WSMAN_FLAG_ENABLE_SPN_SERVER_PORT when the
 * host part came from the endpoint. NULL when out of memory. */
char *wsman_auth_spn(const char *spn_option, const wsman_endpoint_t *ep, uint32_t flags);

/* ---- handshake.c: the connection mechanisms' handshake and the messages of failures ---------- */

typedef struct wsman_auth_site {
    const char *url;      /* endpoint, for messages */
    const char *username; /* for messages (never the password) */
    int https;
    uint32_t flags;          /* session flags */
    const char *client_cert; /* the certificate file in use (client certificates), for messages */
} wsman_auth_site_t;

/* 1 when a connection mechanism's handshake holds for the next request (same connection, still
 * open), or its final token waits for it; always 1 for the other mechanisms. */
int wsman_auth_ready(const wsman_auth_t *a, wsman_transport_t *t);
/* Forgets the handshake (the next request starts a new one). */
void wsman_auth_invalidate(wsman_auth_t *a);
/* Runs the legs of the handshake that must come before the message, with empty-body POSTs whose
 * first carries the first token (no credential-less probe: a host such as OMI never answers
 * one). With message encryption: every leg, until the 200. Without: the legs that need the
 * server's answer (NTLM's NEGOTIATE); the final token then waits for the message (see
 * wsman_auth_authorize_message), and Kerberos posts nothing here. The offered schemes come from
 * the 401 that answers the first leg. 0 when established or ready for the message; -1 with e
 * set, and *transport_failed = 1 when the transport failed (e from the transport: retry policy). */
int wsman_auth_handshake(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                         long timeout_ms, int *transport_failed, wsman_error_t *e);
/* The transport's authorize callback (wsman_http_request_t.authorize, ud = the wsman_auth_t) for
 * a message of a connection mechanism: no header on the authenticated connection; the final token
 * waiting for it; without message encryption a Kerberos first token (so the message needs no
 * round trip of its own). Refuses to send (the caller re-authenticates) when the connection
 * turned out to be a new one. */
int wsman_auth_authorize_message(void *ud, wsman_transport_t *t, int new_connection, wsman_buf_t *value);

/* Why a post with the authorize callback sent nothing. */
typedef enum wsman_auth_abort {
    WSMAN_AUTH_NOT_ABORTED = 0,   /* the callback did not stop the request */
    WSMAN_AUTH_ABORT_RECONNECTED, /* a new connection: authenticate it first, then send again */
    WSMAN_AUTH_ABORT_FAILED       /* no token could be made: e says why */
} wsman_auth_abort_t;
/* After a failed post: whether the callback stopped it (and, for a failure, its error in e). */
wsman_auth_abort_t wsman_auth_aborted(wsman_auth_t *a, wsman_error_t *e);

/* After the reply to a message: when the message carried the final token, a 401 is the refusal
 * of the credentials (e set, -1) and any other reply completes the handshake (its token, if any,
 * completes mutual authentication; -1 with e set when it does not). 0 otherwise. Any 401 updates
 * the offered schemes shown in errors. */
int wsman_auth_message_reply(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                             const wsman_http_response_t *r, wsman_error_t *e);

/* Where a 401 (or 403 for certificates) came, for wsman_auth_denied. */
typedef enum wsman_auth_stage {
    WSMAN_AUTH_STAGE_REQUEST = 0,         /* a request, or the handshake's first leg */
    WSMAN_AUTH_STAGE_LAST_LEG,            /* a later leg of the handshake, or the final token */
    WSMAN_AUTH_STAGE_UNENCRYPTED_REFUSED, /* an unencrypted message after a completed handshake */
    WSMAN_AUTH_STAGE_MESSAGE_REFUSED      /* a message refused after two completed handshakes */
} wsman_auth_stage_t;
/* The error for a 401 (or 403 for certificates): which case it is and the likely fix. r: the
 * reply (its WWW-Authenticate list), or NULL. */
void wsman_auth_denied(wsman_auth_t *a, const wsman_auth_site_t *site, const wsman_http_response_t *r,
                       wsman_auth_stage_t stage, wsman_error_t *e);

/* ---- encrypt.c: message encryption of the established context ------------------------------ */

/* Seals the SOAP plaintext (UTF-16 when utf16, else UTF-8) into body (appended) and sets
 * content_type (reset first) to the multipart/encrypted Content-Type. A failure leaves the
 * context out of step: the caller invalidates it. */
int wsman_auth_seal(wsman_auth_t *a, const char *plain, size_t len, int utf16, wsman_buf_t *body,
                    wsman_buf_t *content_type, wsman_error_t *e);
/* 1 when a reply's Content-Type is multipart/encrypted or multipart/x-multi-encrypted. */
int wsman_is_encrypted_content_type(const char *content_type);
/* Verifies and decrypts an encrypted reply body, appending the SOAP plaintext to plain. On failure
 * (e set) the context is out of step and is invalidated. */
int wsman_auth_unseal(wsman_auth_t *a, const char *content_type, const char *body, size_t len,
                      wsman_buf_t *plain, wsman_error_t *e);
/* The schemes a reply offers, "Negotiate, Kerberos, Basic" (appended to out). */
void wsman_auth_offered(const wsman_http_response_t *r, wsman_buf_t *out);

/* cert.c: CertificateThumbprint look-up in a directory of PEM files: the certificate whose SHA-1
 * fingerprint is thumbprint (hex, spaces and colons allowed, any case), and its key (the same
 * file, or <name>.key / <name>.key.pem / <name>-key.pem beside it). Paths: caller frees. */
int wsman_cert_lookup(const char *dir, const char *thumbprint, char **cert_path, char **key_path,
                      wsman_error_t *e);

#endif
