/* SPDX-License-Identifier: MIT */
/*
 * encrypt.h - WinRM message encryption framing over HTTP (MS-WSMV 2.2.9.1): the
 * multipart/encrypted body around a mechanism's wrap/unwrap (NTLM, Kerberos, CredSSP), and the
 * TLS channel-binding data (RFC 5929 tls-server-end-point) for HTTPS.
 *
 * Request:  wsman_encrypt_message(&enc, soap, len, "UTF-8", &body, &content_type, &e)
 *           -> POST with "Content-Type: <content_type>" and Content-Length (no chunking).
 * Reply:    if (wsman_is_encrypted_content_type(ct)) wsman_decrypt_message(&enc, ct, body, n, &soap, &e)
 *           (whatever the HTTP status: 500 faults are encrypted too).
 * A failure of either leaves the security context out of step with the server: drop the
 * connection and re-authenticate.
 */
#ifndef WSMAN_ENCRYPT_H
#define WSMAN_ENCRYPT_H

#include "auth.h"

#define WSMAN_ENCRYPTED_BOUNDARY "Encrypted Boundary"
#define WSMAN_ENCRYPT_PROTOCOL_SPNEGO "application/HTTP-SPNEGO-session-encrypted"
#define WSMAN_ENCRYPT_PROTOCOL_KERBEROS "application/HTTP-Kerberos-session-encrypted"
#define WSMAN_ENCRYPT_PROTOCOL_CREDSSP "application/HTTP-CredSSP-session-encrypted"
#define WSMAN_CREDSSP_CHUNK 16384u

/* Same signatures as wsman_auth_mech_t's wrap / unwrap (auth.h). */
typedef int (*wsman_wrap_fn)(void *st, const unsigned char *plain, size_t len, wsman_buf_t *header,
                             wsman_buf_t *data, size_t *length_field, wsman_error_t *e);
typedef int (*wsman_unwrap_fn)(void *st, const unsigned char *header, size_t header_len,
                               const unsigned char *data, size_t data_len, wsman_buf_t *plain,
                               wsman_error_t *e);

typedef struct wsman_encryptor {
    const char *protocol; /* WSMAN_ENCRYPT_PROTOCOL_* */
    wsman_wrap_fn wrap;
    wsman_unwrap_fn unwrap;
    void *state;      /* the mechanism's state */
    size_t max_chunk; /* 0: one part; CredSSP: WSMAN_CREDSSP_CHUNK (x-multi-encrypted beyond) */
} wsman_encryptor_t;

/* Fills enc from a mechanism and its state; -1 (e set) when the mechanism has no message
 * encryption. */
int wsman_encryptor_from_mech(wsman_encryptor_t *enc, const wsman_auth_mech_t *mech, void *state,
                              wsman_error_t *e);

/* Builds the encrypted body for the plaintext SOAP (appended to body) and sets content_type
 * (reset first) to the Content-Type header value:
 *   multipart/encrypted;protocol="<protocol>";boundary="Encrypted Boundary"
 * charset: "UTF-8" (NULL) or "UTF-16", the encoding of plain, as stated in OriginalContent. */
int wsman_encrypt_message(const wsman_encryptor_t *enc, const char *plain, size_t len, const char *charset,
                          wsman_buf_t *body, wsman_buf_t *content_type, wsman_error_t *e);

/* Parses and decrypts a server body, appending the SOAP plaintext to plain. Takes the boundary
 * from content_type (default "Encrypted Boundary"), tolerates "-- Encrypted Boundary" and LF
 * line ends, accepts several metadata/data pairs, and checks each decrypted length against its
 * OriginalContent Length=. Errors (WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE, or the mechanism's
 * own on a bad signature) say what was wrong; nothing is appended on failure. */
int wsman_decrypt_message(const wsman_encryptor_t *enc, const char *content_type, const char *body,
                          size_t len, wsman_buf_t *plain, wsman_error_t *e);

/* RFC 5929 tls-server-end-point channel binding application data for the server certificate
 * (DER): "tls-server-end-point:" || hash(cert), hash = the certificate signature's hash, SHA-256
 * for MD5, SHA-1 or none/unknown. Appended to out. */
int wsman_tls_channel_binding_appdata(const unsigned char *der, size_t len, wsman_buf_t *out,
                                      wsman_error_t *e);

#endif
