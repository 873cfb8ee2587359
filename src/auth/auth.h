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
 *   WSMAN_MECH_CONNECTION (Negotiate, Kerberos): once per TCP connection, empty-body POSTs:
 *       set_channel_bindings (HTTPS), step(NULL) -> leg 1, step(server token) -> further legs,
 *       until a 200 (whose token, if any, completes mutual authentication); then, over HTTP
 *       unless WSMAN_FLAG_NO_ENCRYPTION (a->encrypt), every request is wrapped and every
 *       reply unwrapped; a new connection, a 401 or a failed unwrap: reset and start over
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
    /* ---- additions (issue 4) ---- */
    unsigned flags; /* WSMAN_MECH_* */
    /* What is in use, for messages: "Negotiate (NTLM)", "Negotiate (Kerberos)"; NULL: the name. */
    const char *(*describe)(void *st);
} wsman_auth_mech_t;

#define WSMAN_MECH_PREEMPTIVE 0x1u /* an Authorization header on every request, no handshake (Basic) */
#define WSMAN_MECH_CONNECTION 0x2u /* one handshake per TCP connection, empty-body POSTs (Negotiate...) */
#define WSMAN_MECH_TRANSPORT 0x4u  /* done by the transport: libcurl (Digest) or TLS (certificates) */

extern const wsman_auth_mech_t wsman_auth_basic;
extern const wsman_auth_mech_t wsman_auth_digest;      /* libcurl's CURLAUTH_DIGEST */
extern const wsman_auth_mech_t wsman_auth_certificate; /* TLS client certificate */
extern const wsman_auth_mech_t wsman_auth_negotiate;   /* Kerberos (SPNEGO) or NTLM, chosen per auth.c */

struct wsman_auth {
    const wsman_auth_mech_t *mech;
    void *state;
    int done;
    /* ---- additions (issue 4) ---- */
    int encrypt;      /* message encryption over HTTP (connection mechanisms, no NoEncryption) */
    int channel_bind; /* HTTPS: send TLS channel binding (connection mechanisms) */
    char *spn;        /* Negotiate/Kerberos: the SPN used, "HTTP/host[:port]" (messages, NTLM) */
    /* connection mechanisms: the handshake's state (handshake.c) */
    int established; /* the handshake completed on the transport's connection number conn */
    long conn;
    int cbt_sent;    /* channel binding went with the last handshake */
    char *cbt_note;  /* why it was not sent over HTTPS, or NULL */
    char *offered;   /* the schemes the server offered in its last 401 ("Negotiate, Kerberos") */
    long handshakes; /* completed handshakes (diagnostics, tests) */
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

/* Picks the mechanism for the session flags. Fails (with an error saying so) for mechanisms
 * that are not built yet, and for Basic over plain HTTP without WSMAN_FLAG_NO_ENCRYPTION
 * (as Windows: "unencrypted traffic is disabled"), before any credential is sent.
 * Returns NULL with e->code == 0 when no authentication is used. */
wsman_auth_t *wsman_auth_new(uint32_t flags, const wsman_credentials_t *creds, const wsman_endpoint_t *ep,
                             wsman_error_t *e);
/* The same with every parameter (SPN, delegation, certificate options). May talk to a KDC
 * (Kerberos with a password: the AS exchange). */
wsman_auth_t *wsman_auth_new_ex(const wsman_auth_params_t *p, wsman_error_t *e);
void wsman_auth_free(wsman_auth_t *a);

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
 * open); always 1 for the other mechanisms. */
int wsman_auth_ready(const wsman_auth_t *a, wsman_transport_t *t);
/* Forgets the handshake (the next request starts a new one). */
void wsman_auth_invalidate(wsman_auth_t *a);
/* Runs the handshake on the transport's (new) connection with empty-body POSTs: a first POST
 * without Authorization (the offered schemes; over HTTPS the server certificate for channel
 * binding), then the mechanism's legs until a 200. 0 when established; -1 with e set, and
 * *transport_failed = 1 when the transport failed (e from the transport: retry policy). */
int wsman_auth_handshake(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                         long timeout_ms, int *transport_failed, wsman_error_t *e);
/* The error for a 401 (or 403 for certificates): which case it is and the likely fix. stage: 0 a
 * request (preemptive or transport mechanisms) or the handshake's probe, 1 the handshake's last
 * leg, 2 an unencrypted message refused after a completed handshake (the host wants encryption),
 * 3 a message refused after two completed handshakes. r: the reply (its WWW-Authenticate list),
 * or NULL. */
void wsman_auth_denied(wsman_auth_t *a, const wsman_auth_site_t *site, const wsman_http_response_t *r,
                       int stage, wsman_error_t *e);
/* The schemes a reply offers, "Negotiate, Kerberos, Basic" (appended to out). */
void wsman_auth_offered(const wsman_http_response_t *r, wsman_buf_t *out);

/* cert.c: CertificateThumbprint look-up in a directory of PEM files: the certificate whose SHA-1
 * fingerprint is thumbprint (hex, spaces and colons allowed, any case), and its key (the same
 * file, or <name>.key / <name>.key.pem / <name>-key.pem beside it). Paths: caller frees. */
int wsman_cert_lookup(const char *dir, const char *thumbprint, char **cert_path, char **key_path,
                      wsman_error_t *e);

#endif
