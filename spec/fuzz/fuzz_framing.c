/* SPDX-License-Identifier: MIT */
/*
 * fuzz_framing.c - the multipart/encrypted framing of WinRM message encryption (encrypt.c) on any
 * Content-Type and body, under a stand-in mechanism whose seal is the identity (so the framing,
 * not a signature check, decides what is read). Oracle: what wsman_encrypt_message frames,
 * wsman_decrypt_message gives back byte for byte, in one part and in CredSSP-sized chunks.
 *
 * Input: the Content-Type, a LF, then the body.
 */
#include "encrypt.h"
#include "fuzz.h"

enum { HEADER_LEN = 16, SMALL_CHUNK = 7 };

static int id_wrap(void *st, const unsigned char *plain, size_t len, wsman_buf_t *header, wsman_buf_t *data,
                   size_t *length_field, wsman_error_t *e)
{
    static const unsigned char sig[HEADER_LEN] = "fuzz-signature!";
    (void)st;
    (void)e;
    *length_field = len;
    return wsman_buf_append(header, sig, sizeof sig) | wsman_buf_append(data, plain, len);
}

static int id_unwrap(void *st, const unsigned char *header, size_t header_len, const unsigned char *data,
                     size_t data_len, wsman_buf_t *plain, wsman_error_t *e)
{
    (void)st;
    (void)header;
    (void)header_len;
    (void)e;
    return wsman_buf_append(plain, data, data_len);
}

static void round_trip(const wsman_encryptor_t *enc, const char *plain, size_t len)
{
    wsman_buf_t body, ct, back;
    wsman_error_t e;

    wsman_buf_init(&body);
    wsman_buf_init(&ct);
    wsman_buf_init(&back);
    wsman_error_init(&e);
    if (wsman_encrypt_message(enc, plain, len, NULL, &body, &ct, &e) != 0 ||
        wsman_decrypt_message(enc, ct.data, body.data, body.len, &back, &e) != 0 || back.len != len ||
        (len && memcmp(back.data, plain, len) != 0)) {
        fprintf(stderr, "framing round trip failed (%zu bytes, chunk %zu): %s\n", len, enc->max_chunk,
                e.message ? e.message : "different bytes");
        abort();
    }
    wsman_error_clear(&e);
    wsman_buf_free(&body);
    wsman_buf_free(&ct);
    wsman_buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wsman_encryptor_t enc = {WSMAN_ENCRYPT_PROTOCOL_SPNEGO, id_wrap, id_unwrap, NULL, 0};
    wsman_buf_t plain;
    wsman_error_t e;

    char *ct = fz_field(&data, &size, '\n');
    if (!ct)
        return 0;
    wsman_buf_init(&plain);
    wsman_error_init(&e);
    wsman_decrypt_message(&enc, ct, (const char *)data, size, &plain, &e);
    wsman_error_clear(&e);
    wsman_buf_free(&plain);
    round_trip(&enc, (const char *)data, size);
    enc.protocol = WSMAN_ENCRYPT_PROTOCOL_CREDSSP;
    enc.max_chunk = SMALL_CHUNK;
    round_trip(&enc, (const char *)data, size);
    free(ct);
    return 0;
}
