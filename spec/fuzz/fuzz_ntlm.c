/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ntlm.c - NTLM tokens from a server: the CHALLENGE through the mechanism's step (the
 * WWW-Authenticate token, base64 or as sent), then, when the handshake went through, a sealed
 * message through unwrap (signature header + data) and through the multipart/encrypted framing.
 *
 * Input: byte 0 bit 0 = the token is sent as is (else the harness base64-encodes the CHALLENGE
 * bytes), bytes 1-2 = the CHALLENGE length L (little-endian), then L bytes of CHALLENGE, then the
 * sealed message (16-byte signature, then data).
 */
#include "auth.h"
#include "encrypt.h"
#include "fuzz.h"
#include "ntlm.h"

enum { HEADER_BYTES = 3, RAW_TOKEN = 1 };

/* The Authorization header value the mechanism answers the token with; 0 when it was accepted. */
static int step(void *st, const char *token)
{
    wsman_buf_t hv;
    wsman_error_t e;
    int done = 0;

    wsman_buf_init(&hv);
    wsman_error_init(&e);
    int rc = wsman_auth_ntlm.step(st, token, &hv, &done, &e);
    wsman_buf_free(&hv);
    wsman_error_clear(&e);
    return rc;
}

static char *challenge_token(uint8_t mode, const uint8_t *m, size_t len)
{
    wsman_buf_t b;

    wsman_buf_init(&b);
    if (mode & RAW_TOKEN) {
        if (wsman_buf_append(&b, m, len) != 0)
            abort();
    } else if (wsman_buf_puts(&b, "Negotiate ") != 0 || wsman_base64_encode(&b, m, len) != 0) {
        abort();
    }
    return wsman_buf_steal(&b);
}

static void sealed(void *st, const uint8_t *m, size_t len)
{
    wsman_buf_t plain;
    wsman_error_t e;
    wsman_encryptor_t enc;

    wsman_buf_init(&plain);
    wsman_error_init(&e);
    if (len >= WSMAN_NTLM_SIGNATURE_LEN)
        wsman_auth_ntlm.unwrap(st, m, WSMAN_NTLM_SIGNATURE_LEN, m + WSMAN_NTLM_SIGNATURE_LEN,
                               len - WSMAN_NTLM_SIGNATURE_LEN, &plain, &e);
    wsman_error_clear(&e);
    if (wsman_encryptor_from_mech(&enc, &wsman_auth_ntlm, st, &e) == 0)
        wsman_decrypt_message(&enc,
                              "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\"",
                              (const char *)m, len, &plain, &e);
    wsman_error_clear(&e);
    wsman_buf_free(&plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const wsman_credentials_t creds = {"DOMAIN\\user", "Passw0rd!"};
    wsman_error_t e;

    if (size < HEADER_BYTES)
        return 0;
    size_t clen = (size_t)data[1] | (size_t)data[2] << 8;
    if (clen > size - HEADER_BYTES)
        clen = size - HEADER_BYTES;
    wsman_error_init(&e);
    void *st = wsman_auth_ntlm.create(&creds, "host.example", &e);
    wsman_error_clear(&e);
    if (!st)
        return 0;
    char *token = challenge_token(data[0], data + HEADER_BYTES, clen);
    if (step(st, NULL) == 0 && step(st, token) == 0)
        sealed(st, data + HEADER_BYTES + clen, size - HEADER_BYTES - clen);
    free(token);
    wsman_auth_ntlm.destroy(st);
    return 0;
}
