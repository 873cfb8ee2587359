/* SPDX-License-Identifier: MIT */
/*
 * crypto_legacy.c - MD4 (RFC 1320) and RC4 (the well-known KSA/PRGA), the two primitives NTLM
 * needs that OpenSSL 3 only offers through its "legacy" provider.
 *
 * They are written here so that NTLM works on a stock OpenSSL 3 without loading that provider:
 * this library never changes the process-wide OpenSSL configuration or the default library
 * context (the host program's own OpenSSL use stays unaffected). Everything else (MD5, HMAC-MD5,
 * random bytes, cleansing) comes from OpenSSL's default provider.
 *
 * Neither algorithm is used for anything but what MS-NLMP prescribes (the NT one-way function
 * and NTLM session sealing).
 */
#include "ntlm.h"

#include <string.h>

#include <openssl/crypto.h>

/* ---- MD4 (RFC 1320) ---------------------------------------------------------------------- */

typedef struct md4_ctx {
    uint32_t state[4];
    uint64_t total; /* bytes */
    unsigned char block[64];
    size_t used;
} md4_ctx_t;

#define MD4_F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define MD4_G(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define MD4_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD4_ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))

static void md4_block(uint32_t st[4], const unsigned char p[64])
{
    static const int r2[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
    static const int r3[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
    static const int s1[4] = {3, 7, 11, 19}, s2[4] = {3, 5, 9, 13}, s3[4] = {3, 9, 11, 15};
    uint32_t x[16], v[4];
    int i;

    for (i = 0; i < 16; i++)
        x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    memcpy(v, st, sizeof v);
    /* Each step updates one of a, b, c, d in turn (a, d, c, b order of RFC 1320 = index
     * (4 - i % 4) % 4), using the other three in rotation. */
    for (i = 0; i < 16; i++) {
        int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
        uint32_t t = v[a] + MD4_F(v[b], v[c], v[d]) + x[i];
        v[a] = MD4_ROTL(t, s1[i % 4]);
    }
    for (i = 0; i < 16; i++) {
        int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
        uint32_t t = v[a] + MD4_G(v[b], v[c], v[d]) + x[r2[i]] + 0x5A827999u;
        v[a] = MD4_ROTL(t, s2[i % 4]);
    }
    for (i = 0; i < 16; i++) {
        int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
        uint32_t t = v[a] + MD4_H(v[b], v[c], v[d]) + x[r3[i]] + 0x6ED9EBA1u;
        v[a] = MD4_ROTL(t, s3[i % 4]);
    }
    for (i = 0; i < 4; i++)
        st[i] += v[i];
    OPENSSL_cleanse(x, sizeof x);
    OPENSSL_cleanse(v, sizeof v);
}

static void md4_init(md4_ctx_t *c)
{
    c->state[0] = 0x67452301u;
    c->state[1] = 0xefcdab89u;
    c->state[2] = 0x98badcfeu;
    c->state[3] = 0x10325476u;
    c->total = 0;
    c->used = 0;
}

static void md4_update(md4_ctx_t *c, const unsigned char *p, size_t len)
{
    c->total += len;
    while (len > 0) {
        size_t n = 64 - c->used;
        if (n > len)
            n = len;
        memcpy(c->block + c->used, p, n);
        c->used += n;
        p += n;
        len -= n;
        if (c->used == 64) {
            md4_block(c->state, c->block);
            c->used = 0;
        }
    }
}

static void md4_final(md4_ctx_t *c, unsigned char out[16])
{
    uint64_t bits = c->total * 8;
    int i;

    c->block[c->used++] = 0x80;
    if (c->used > 56) {
        memset(c->block + c->used, 0, 64 - c->used);
        md4_block(c->state, c->block);
        c->used = 0;
    }
    memset(c->block + c->used, 0, 56 - c->used);
    for (i = 0; i < 8; i++)
        c->block[56 + i] = (unsigned char)(bits >> (8 * i));
    md4_block(c->state, c->block);
    for (i = 0; i < 16; i++)
        out[i] = (unsigned char)(c->state[i / 4] >> (8 * (i % 4)));
}

void wsman_md4(const void *data, size_t len, unsigned char out[16])
{
    md4_ctx_t c;

    md4_init(&c);
    md4_update(&c, (const unsigned char *)data, len);
    md4_final(&c, out);
    OPENSSL_cleanse(&c, sizeof c);
}

/* ---- RC4 --------------------------------------------------------------------------------- */

void wsman_rc4_init(wsman_rc4_t *r, const unsigned char *key, size_t keylen)
{
    unsigned int i, j = 0;

    for (i = 0; i < 256; i++)
        r->s[i] = (unsigned char)i;
    if (keylen == 0) { /* not a valid RC4 key; keep a defined (identity) state */
        r->i = r->j = 0;
        return;
    }
    for (i = 0; i < 256; i++) {
        unsigned char t = r->s[i];
        j = (j + t + key[i % keylen]) & 0xff;
        r->s[i] = r->s[j];
        r->s[j] = t;
    }
    r->i = r->j = 0;
}

void wsman_rc4(wsman_rc4_t *r, const unsigned char *in, unsigned char *out, size_t len)
{
    unsigned int i = r->i, j = r->j;
    size_t k;

    for (k = 0; k < len; k++) {
        unsigned char t;
        i = (i + 1) & 0xff;
        t = r->s[i];
        j = (j + t) & 0xff;
        r->s[i] = r->s[j];
        r->s[j] = t;
        out[k] = (unsigned char)(in[k] ^ r->s[(r->s[i] + t) & 0xff]);
    }
    r->i = (unsigned char)i;
    r->j = (unsigned char)j;
}

void wsman_rc4_clear(wsman_rc4_t *r)
{
    OPENSSL_cleanse(r, sizeof *r);
}
