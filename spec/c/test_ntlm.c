/* SPDX-License-Identifier: MIT */
/*
 * test_ntlm.c - MD4, RC4, NTLMv2 (MS-NLMP official vectors), sealing/signing, the WinRM
 * multipart/encrypted framing, channel binding and the "Negotiate" mechanism (TAP).
 *
 * Vectors: RFC 1320 A.5 (MD4), RFC 6229 section 2 (RC4), MS-NLMP 4.2.1 / 4.2.4, and values
 * computed from them: NTOWFv1 (MS-NLMP 3.3.1), sealing (MS-NLMP 3.4.3) in the multipart/encrypted
 * framing (MS-WSMV 2.2.9.1), the SPNEGO mechListMIC (RFC 4178 5), channel binding (RFC 5929 4).
 */
#include "check.h"

#include "encrypt.h"
#include "ntlm.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static size_t unhex(const char *s, unsigned char *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            continue; /* spaces, newlines */
        if (hi < 0) {
            hi = v;
        } else {
            if (n < cap)
                out[n] = (unsigned char)(hi << 4 | v);
            n++;
            hi = -1;
        }
    }
    return n;
}

static int check_hex(const char *file, int line, const void *p, size_t n, const char *hex)
{
    static unsigned char want[8192];
    size_t m = unhex(hex, want, sizeof want), i;

    if (m == n && memcmp(p, want, n) == 0)
        return 1;
    printf("# %s:%d: got (%zu bytes) ", file, line, n);
    for (i = 0; i < n && i < 300; i++)
        printf("%02x", ((const unsigned char *)p)[i]);
    printf("\n#   expected (%zu bytes) %s\n", m, hex);
    check_cur_failed = 1;
    return 0;
}
#define CHECK_HEX(p, n, hex) check_hex(__FILE__, __LINE__, (p), (n), (hex))

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
    p[2] = (unsigned char)(v >> 16 & 0xff);
    p[3] = (unsigned char)(v >> 24);
}

static int hmac_md5(const unsigned char *key, size_t klen, const void *a, size_t an, const void *b, size_t bn,
                    unsigned char out[16])
{
    unsigned char *m = malloc(an + bn + 1);
    unsigned int outl = 0;
    int ok;

    if (!m)
        return -1;
    memcpy(m, a, an);
    if (bn)
        memcpy(m + an, b, bn);
    ok = HMAC(EVP_md5(), key, (int)klen, m, an + bn, out, &outl) != NULL && outl == 16;
    free(m);
    return ok ? 0 : -1;
}

/* The AUTHENTICATE fields (offset of the Fields triple) as pointer + length, bounds-checked. */
static int field_of(const unsigned char *m, size_t len, size_t at, const unsigned char **p, size_t *n)
{
    size_t flen = rd16(m + at), off = rd32(m + at + 4);
    if (off > len || flen > len - off)
        return -1;
    *p = m + off;
    *n = flen;
    return 0;
}

/* A utf-16 encoding of an ASCII string. */
static size_t ascii16(const char *s, unsigned char *out)
{
    size_t n = 0;
    for (; *s; s++) {
        out[n++] = (unsigned char)*s;
        out[n++] = 0;
    }
    return n;
}

/* ---- MD4, RC4 ----------------------------------------------------------------------------------- */

TEST(md4_rfc1320)
{
    static const struct {
        const char *in, *hex;
    } v[] = {
        {"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
        {"a", "bde52cb31de33e46245e05fbdbd6fb24"},
        {"abc", "a448017aaf21d8525fc10ae87aa6729d"},
        {"message digest", "d9130a8164549fe818874806e1c7014b"},
        {"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "043f8582f241db351ce627e153e7f0e4"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "e33b4ddc9c38f2199c3e7b164fcc0536"},
    };
    unsigned char out[16];
    size_t i;

    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        wsman_md4(v[i].in, strlen(v[i].in), out);
        CHECK_HEX(out, 16, v[i].hex);
    }
    /* padding edge cases (56 and 64 bytes; values from OpenSSL's legacy-provider MD4) */
    {
        unsigned char buf[130];
        memset(buf, 'x', sizeof buf);
        wsman_md4(buf, 56, out);
        CHECK_HEX(out, 16, "374d5f08103b7092c83b4626ebceffab");
        wsman_md4(buf, 64, out);
        CHECK_HEX(out, 16, "b1abf956a5ae6f3221e5fe85e300fbb0");
    }
}

TEST(md4_nt_hash)
{
    unsigned char pw[16], out[16];
    size_t n = ascii16("Password", pw);

    /* NTOWFv1("Password") (MS-NLMP 3.3.1 over the 4.2.1 password) */
    wsman_md4(pw, n, out);
    CHECK_HEX(out, 16, "a4f49c406510bdcab6824ee7c30fd852");
}

static void rc4_check(const char *key_hex, const char *const vectors[][2], size_t nv)
{
    unsigned char key[32], ks[4112], zero[4112], chunked[4112];
    size_t klen = unhex(key_hex, key, sizeof key), i, pos;
    wsman_rc4_t r;

    memset(zero, 0, sizeof zero);
    wsman_rc4_init(&r, key, klen);
    wsman_rc4(&r, zero, ks, sizeof ks);
    for (i = 0; i < nv; i++) {
        size_t off = strtoul(vectors[i][0], NULL, 16);
        CHECK_HEX(ks + off, 16, vectors[i][1]);
    }
    /* the key stream continues across calls, however the data is cut */
    wsman_rc4_init(&r, key, klen);
    for (pos = 0, i = 1; pos < sizeof chunked; i = i % 13 + 1) {
        size_t n = sizeof chunked - pos < i ? sizeof chunked - pos : i;
        wsman_rc4(&r, zero + pos, chunked + pos, n);
        pos += n;
    }
    CHECK(memcmp(ks, chunked, sizeof ks) == 0);
    /* in place, and decrypting restores */
    memcpy(chunked, "attack at dawn", 14);
    wsman_rc4_init(&r, key, klen);
    wsman_rc4(&r, chunked, chunked, 14);
    wsman_rc4_init(&r, key, klen);
    wsman_rc4(&r, chunked, chunked, 14);
    CHECK(memcmp(chunked, "attack at dawn", 14) == 0);
    wsman_rc4_clear(&r);
}

TEST(rc4_rfc6229)
{
    static const char *const k40[][2] = {
        {"0000", "b2396305f03dc027ccc3524a0a1118a8"}, {"0010", "6982944f18fc82d589c403a47a0d0919"},
        {"00f0", "28cb1132c96ce286421dcaadb8b69eae"}, {"0100", "1cfcf62b03eddb641d77dfcf7f8d8c93"},
        {"01f0", "42b7d0cdd918a8a33dd51781c81f4041"}, {"0200", "6459844432a7da923cfb3eb4980661f6"},
        {"02f0", "ec10327bde2beefd18f9277680457e22"}, {"0300", "eb62638d4f0ba1fe9fca20e05bf8ff2b"},
        {"03f0", "45129048e6a0ed0b56b490338f078da5"}, {"0400", "30abbcc7c20b01609f23ee2d5f6bb7df"},
        {"05f0", "3294f744d8f9790507e70f62e5bbceea"}, {"0600", "d8729db41882259bee4f825325f5a130"},
        {"07f0", "1eb14a0c13b3bf47fa2a0ba93ad45b8b"}, {"0800", "cc582f8ba9f265e2b1be9112e975d2d7"},
        {"0bf0", "f2e30f9bd102ecbf75aaade9bc35c43c"}, {"0c00", "ec0e11c479dc329dc8da7968fe965681"},
        {"0ff0", "068326a2118416d21f9d04b2cd1ca050"}, {"1000", "ff25b58995996707e51fbdf08b34d875"},
    };
    static const char *const k128[][2] = {
        {"0000", "9ac7cc9a609d1ef7b2932899cde41b97"}, {"0010", "5248c4959014126a6e8a84f11d1a9e1c"},
        {"00f0", "065902e4b620f6cc36c8589f66432f2b"}, {"0100", "d39d566bc6bce3010768151549f3873f"},
        {"01f0", "b6d1e6c4a5e4771cad79538df295fb11"}, {"0200", "c68c1d5c559a974123df1dbc52a43b89"},
        {"02f0", "c5ecf88de897fd57fed301701b82a259"}, {"0300", "eccbe13de1fcc91c11a0b26c0bc8fa4d"},
        {"03f0", "e7a72574f8782ae26aabcf9ebcd66065"}, {"0400", "bdf0324e6083dcc6d3cedd3ca8c53c16"},
        {"05f0", "b40110c4190b5622a96116b0017ed297"}, {"0600", "ffa0b514647ec04f6306b892ae661181"},
        {"07f0", "d03d1bc03cd33d70dff9fa5d71963ebd"}, {"0800", "8a44126411eaa78bd51e8d87a8879bf5"},
        {"0bf0", "fabeb76028ade2d0e48722e46c4615a3"}, {"0c00", "c05d88abd50357f935a63c59ee537623"},
        {"0ff0", "ff38265c1642c1abe8d3c2fe5e572bf8"}, {"1000", "a36a4c301ae8ac13610ccbc12256cacc"},
    };
    rc4_check("0102030405", k40, sizeof k40 / sizeof k40[0]);
    rc4_check("0102030405060708090a0b0c0d0e0f10", k128, sizeof k128 / sizeof k128[0]);
}

/* ---- MS-NLMP 4.2.4 ------------------------------------------------------------------------------ */

static const char spec_challenge_hex[] = "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef"
                                         "00000000000000002400240044000000060070170000000f5300650072007600"
                                         "6500720002000c0044006f006d00610069006e0001000c005300650072007600"
                                         "6500720000000000";

static const char spec_authenticate_hex[] = "4e544c4d5353500003000000180018006c00000054005400840000000c000c00"
                                            "480000000800080054000000100010005c00000010001000d8000000358288e2"
                                            "0501280a0000000f44006f006d00610069006e00550073006500720043004f00"
                                            "4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa"
                                            "aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000"
                                            "00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00"
                                            "01000c005300650072007600650072000000000000000000c5dad2544fc97990"
                                            "94ce1ce90bc9d03e";

static const char spec_temp_hex[] = "01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c00"
                                    "44006f006d00610069006e0001000c0053006500720076006500720000000000"
                                    "00000000";

static const char plaintext16_hex[] = "50006c00610069006e007400650078007400"; /* UTF-16LE "Plaintext" */

TEST(nlmp_ntowfv2)
{
    unsigned char key[16];

    CHECK_INT(wsman_ntlm_ntowfv2("Password", "User", "Domain", key), 0);
    CHECK_HEX(key, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
    /* the user name is upper-cased, the domain is not */
    CHECK_INT(wsman_ntlm_ntowfv2("Password", "USER", "Domain", key), 0);
    CHECK_HEX(key, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
    CHECK_INT(wsman_ntlm_ntowfv2("Password", "uSeR", "Domain", key), 0);
    CHECK_HEX(key, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
    CHECK_INT(wsman_ntlm_ntowfv2("Password", "User", "DOMAIN", key), 0);
    CHECK(memcmp(key, "\x0c\x86\x8a\x40", 4) != 0);
}

TEST(nlmp_v2_response)
{
    unsigned char key[16], sc[8], cc[8], chal[128], lm[24], sbk[16];
    size_t clen = unhex(spec_challenge_hex, chal, sizeof chal);
    wsman_buf_t nt;

    CHECK_INT(clen, 104);
    unhex("0c868a403bfd7a93a3001ef22ef02e3f", key, 16);
    unhex("0123456789abcdef", sc, 8);
    memset(cc, 0xaa, 8);
    wsman_buf_init(&nt);
    /* TargetInfo of the CHALLENGE: offset 0x44, 0x24 bytes */
    CHECK_INT(wsman_ntlm_v2_response(key, sc, cc, 0, chal + 0x44, 0x24, &nt, lm, sbk), 0);
    CHECK_INT(nt.len, 84);
    CHECK_HEX(nt.data, 16, "68cd0ab851e51c96aabc927bebef6a1c"); /* NTProofStr */
    CHECK_HEX(nt.data + 16, nt.len - 16, spec_temp_hex);
    CHECK_HEX(lm, 24, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
    CHECK_HEX(sbk, 16, "8de40ccadbc14a82f15cb0ad0de95ca3");
    {
        /* key exchange: EncryptedRandomSessionKey = RC4(KeyExchangeKey = SessionBaseKey, 0x55..) */
        unsigned char rsk[16], enc[16];
        wsman_rc4_t r;
        memset(rsk, 0x55, 16);
        wsman_rc4_init(&r, sbk, 16);
        wsman_rc4(&r, rsk, enc, 16);
        CHECK_HEX(enc, 16, "c5dad2544fc9799094ce1ce90bc9d03e");
    }
    wsman_buf_free(&nt);
}

TEST(nlmp_session_keys)
{
    unsigned char rsk[16];
    wsman_ntlm_keys_t k;

    memset(rsk, 0x55, 16);
    CHECK_INT(wsman_ntlm_derive_keys(rsk, 0xE2888235u, &k), 0);
    CHECK_HEX(k.client_seal, 16, "59f600973cc4960a25480a7c196e4c58");
    CHECK_HEX(k.client_sign, 16, "4788dc861b4782f35d43fd98fe1a2d39");
    CHECK_HEX(k.server_seal, 16, "9355f3a957c1583d25c4c2f11e40390e");
    CHECK_HEX(k.server_sign, 16, "d04d6f10741041d1d246d64188d7a8ad");
    /* without NEGOTIATE_128 the seal key base is truncated (56: 7 bytes, 40: 5 bytes) */
    {
        wsman_ntlm_keys_t k56, k40;
        CHECK_INT(wsman_ntlm_derive_keys(rsk, 0xE2888235u & ~WSMAN_NTLM_128, &k56), 0);
        CHECK_INT(wsman_ntlm_derive_keys(rsk, 0xE2888235u & ~(WSMAN_NTLM_128 | WSMAN_NTLM_56), &k40), 0);
        CHECK(memcmp(k56.client_seal, k.client_seal, 16) != 0);
        CHECK(memcmp(k40.client_seal, k56.client_seal, 16) != 0);
        CHECK(memcmp(k56.client_sign, k.client_sign, 16) == 0); /* sign keys use the whole key */
    }
}

/* The fixed inputs of MS-NLMP 4.2.4: client challenge, random session key, time, version. */
static const wsman_ntlm_inputs_t *spec_inputs(void)
{
    static wsman_ntlm_inputs_t v;
    static unsigned char version[8];
    memset(v.client_challenge, 0xaa, 8);
    memset(v.session_key, 0x55, 16);
    v.timestamp = 0;
    unhex("0501280a0000000f", version, 8);
    v.version = version;
    v.spec_form = 1;
    return &v;
}

/* The client of MS-NLMP 4.2.4, after NEGOTIATE and AUTHENTICATE. */
static wsman_ntlm_t *spec_client(wsman_buf_t *auth)
{
    unsigned char chal[128];
    size_t clen = unhex(spec_challenge_hex, chal, sizeof chal);
    wsman_ntlm_t *c;
    wsman_buf_t neg;
    wsman_error_t e;

    wsman_error_init(&e);
    wsman_buf_init(&neg);
    c = wsman_ntlm_new("Domain\\User", "Password", NULL, "COMPUTER", &e);
    CHECK(c != NULL);
    if (!c)
        return NULL;
    CHECK_INT(wsman_ntlm_negotiate(c, &neg, &e), 0);
    CHECK_INT(wsman_ntlm_authenticate_with(c, chal, clen, NULL, 0, spec_inputs(), auth, &e), 0);
    if (e.message)
        printf("# error: %s\n", e.message);
    wsman_buf_free(&neg);
    wsman_error_clear(&e);
    return c;
}

TEST(nlmp_authenticate_message)
{
    wsman_buf_t auth;
    wsman_ntlm_t *c;

    wsman_buf_init(&auth);
    c = spec_client(&auth);
    /* byte for byte the 232-byte AUTHENTICATE_MESSAGE of MS-NLMP 4.2.4.3 */
    CHECK_HEX(auth.data, auth.len, spec_authenticate_hex);
    CHECK_INT(wsman_ntlm_flags(c), 0xE2888235u);
    CHECK(wsman_ntlm_complete(c));
    wsman_ntlm_free(c);
    wsman_buf_free(&auth);
}

TEST(nlmp_seal_and_sign)
{
    unsigned char plain[18], sig[16];
    wsman_buf_t auth, cipher;
    wsman_error_t e;
    wsman_ntlm_t *c;

    wsman_error_init(&e);
    wsman_buf_init(&auth);
    wsman_buf_init(&cipher);
    unhex(plaintext16_hex, plain, sizeof plain);
    c = spec_client(&auth);
    CHECK_INT(wsman_ntlm_wrap(c, plain, sizeof plain, sig, &cipher, &e), 0);
    CHECK_HEX(cipher.data, cipher.len, "54e50165bf1936dc996020c1811b0f06fb5f");
    CHECK_HEX(sig, 16, "010000007fb38ec5c55d497600000000");
    /* seq 1, same plaintext: the RC4 stream continues (MS-NLMP 3.4.3) */
    wsman_buf_reset(&cipher);
    CHECK_INT(wsman_ntlm_wrap(c, plain, sizeof plain, sig, &cipher, &e), 0);
    CHECK_HEX(cipher.data, cipher.len, "64c308e09ea236e7f4232553c94a01e700fa");
    CHECK_HEX(sig, 16, "01000000255405955d31d8c401000000");
    wsman_ntlm_free(c);
    wsman_buf_free(&auth);
    wsman_buf_free(&cipher);
    wsman_error_clear(&e);
}

TEST(nlmp_mech_list_mic)
{
    /* RFC 4178 5 with MS-NLMP 3.4.4: MAC over the NTLM-only DER MechTypeList, client keys, seq 0 */
    unsigned char key[16], mtl[14], sig[16];
    wsman_ntlm_t *c, *s;
    wsman_error_t e;

    wsman_error_init(&e);
    memset(key, 0x55, 16);
    unhex("300c060a2b06010401823702020a", mtl, sizeof mtl);
    c = wsman_ntlm_new_established(key, 0xE2888235u, 0, &e);
    s = wsman_ntlm_new_established(key, 0xE2888235u, 1, &e);
    CHECK(c && s);
    CHECK_INT(wsman_ntlm_sign(c, mtl, sizeof mtl, sig, &e), 0);
    CHECK_HEX(sig, 16, "0100000022a3984fefbb9c3200000000");
    CHECK_INT(wsman_ntlm_verify(s, mtl, sizeof mtl, sig, 16, &e), 0);
    wsman_ntlm_free(c);
    wsman_ntlm_free(s);
    wsman_error_clear(&e);
}

/* ---- framing --------------------------------------------------------------------------------------- */

static const char body_274[] = "--Encrypted Boundary\r\n"
                               "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                               "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=18\r\n"
                               "--Encrypted Boundary\r\n"
                               "\tContent-Type: application/octet-stream\r\n";

TEST(encrypted_body_protocol_3_2)
{
    unsigned char plain[18], expect[400];
    size_t n = strlen(body_274), m;
    wsman_buf_t auth, body, ct;
    wsman_encryptor_t enc;
    wsman_error_t e;
    wsman_ntlm_t *c;

    wsman_error_init(&e);
    wsman_buf_init(&auth);
    wsman_buf_init(&body);
    wsman_buf_init(&ct);
    unhex(plaintext16_hex, plain, sizeof plain);
    c = spec_client(&auth);
    CHECK_INT(wsman_encryptor_from_mech(&enc, &wsman_auth_ntlm, c, &e), 0);
    CHECK_INT(wsman_encrypt_message(&enc, (const char *)plain, sizeof plain, NULL, &body, &ct, &e), 0);
    CHECK_STR(
        ct.data,
        "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted "
        "Boundary\"");
    memcpy(expect, body_274, n);
    m = n + unhex("10000000010000007fb38ec5c55d49760000000054e50165bf1936dc996020c1811b0f06fb5f", expect + n,
                  sizeof expect - n);
    memcpy(expect + m, "--Encrypted Boundary--\r\n", 24);
    m += 24;
    CHECK_INT(m, 274);
    CHECK_INT(body.len, 274);
    CHECK(body.len == m && memcmp(body.data, expect, m) == 0);
    /* the seq-1 follow-up on the same context */
    wsman_buf_reset(&body);
    CHECK_INT(wsman_encrypt_message(&enc, (const char *)plain, sizeof plain, NULL, &body, &ct, &e), 0);
    CHECK_INT(body.len, 274);
    CHECK(body.len == 274 && memcmp(body.data, body_274, n) == 0);
    if (body.len == 274)
        CHECK_HEX(body.data + n, 4 + 16 + 18,
                  "1000000001000000255405955d31d8c40100000064c308e09ea236e7f4232553c94a01e700fa");
    wsman_ntlm_free(c);
    wsman_buf_free(&auth);
    wsman_buf_free(&body);
    wsman_buf_free(&ct);
    wsman_error_clear(&e);
}

/* A client/server pair of established contexts (MS-NLMP 4.2.4 keys), and encryptors on them. */
typedef struct pair {
    wsman_ntlm_t *cli, *srv;
    wsman_encryptor_t ecli, esrv;
} pair_t;

static void pair_open(pair_t *p)
{
    unsigned char key[16];
    wsman_error_t e;

    wsman_error_init(&e);
    memset(key, 0x55, 16);
    p->cli = wsman_ntlm_new_established(key, 0xE2888235u, 0, &e);
    p->srv = wsman_ntlm_new_established(key, 0xE2888235u, 1, &e);
    CHECK(p->cli && p->srv);
    CHECK_INT(wsman_encryptor_from_mech(&p->ecli, &wsman_auth_ntlm, p->cli, &e), 0);
    CHECK_INT(wsman_encryptor_from_mech(&p->esrv, &wsman_auth_ntlm, p->srv, &e), 0);
    wsman_error_clear(&e);
}

static void pair_close(pair_t *p)
{
    wsman_ntlm_free(p->cli);
    wsman_ntlm_free(p->srv);
}

static const char soap[] =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>";
#define CT_SPNEGO                                                                                            \
    "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted "       \
    "Boundary\""

TEST(round_trip_both_directions)
{
    wsman_buf_t cipher, plain, body, ct;
    unsigned char sig[16];
    wsman_error_t e;
    pair_t p;
    int i;

    wsman_error_init(&e);
    wsman_buf_init(&cipher);
    wsman_buf_init(&plain);
    wsman_buf_init(&body);
    wsman_buf_init(&ct);
    pair_open(&p);
    for (i = 0; i < 5; i++) {
        /* client -> server */
        wsman_buf_reset(&cipher);
        wsman_buf_reset(&plain);
        CHECK_INT(wsman_ntlm_wrap(p.cli, (const unsigned char *)soap, strlen(soap), sig, &cipher, &e), 0);
        CHECK_INT(rd32(sig + 12), i);
        CHECK(memcmp(cipher.data, soap, strlen(soap)) != 0);
        CHECK_INT(
            wsman_ntlm_unwrap(p.srv, sig, 16, (const unsigned char *)cipher.data, cipher.len, &plain, &e), 0);
        CHECK(plain.len == strlen(soap) && memcmp(plain.data, soap, plain.len) == 0);
        /* server -> client, through the framing */
        wsman_buf_reset(&body);
        wsman_buf_reset(&plain);
        CHECK_INT(wsman_encrypt_message(&p.esrv, soap, strlen(soap), NULL, &body, &ct, &e), 0);
        CHECK_INT(wsman_is_encrypted_content_type(ct.data), 1);
        CHECK_INT(wsman_decrypt_message(&p.ecli, ct.data, body.data, body.len, &plain, &e), 0);
        CHECK_STR(plain.data, soap);
    }
    /* an empty message also round-trips */
    wsman_buf_reset(&body);
    wsman_buf_reset(&plain);
    CHECK_INT(wsman_encrypt_message(&p.ecli, "", 0, NULL, &body, &ct, &e), 0);
    CHECK_INT(wsman_decrypt_message(&p.esrv, ct.data, body.data, body.len, &plain, &e), 0);
    CHECK_INT(plain.len, 0);
    pair_close(&p);
    wsman_buf_free(&cipher);
    wsman_buf_free(&plain);
    wsman_buf_free(&body);
    wsman_buf_free(&ct);
    wsman_error_clear(&e);
}

TEST(tampered_messages_rejected)
{
    wsman_buf_t cipher, plain;
    unsigned char sig[16], bad[16];
    wsman_error_t e;
    pair_t p;
    int what;

    wsman_buf_init(&cipher);
    wsman_buf_init(&plain);
    for (what = 0; what < 5; what++) {
        wsman_error_init(&e);
        pair_open(&p);
        wsman_buf_reset(&cipher);
        wsman_buf_reset(&plain);
        wsman_buf_puts(&plain, "kept");
        CHECK_INT(wsman_ntlm_wrap(p.srv, (const unsigned char *)soap, strlen(soap), sig, &cipher, &e), 0);
        memcpy(bad, sig, 16);
        switch (what) {
        case 0:
            cipher.data[10] ^= 1; /* altered ciphertext */
            break;
        case 1:
            bad[5] ^= 0x80; /* altered checksum */
            break;
        case 2:
            bad[12] = 1; /* wrong sequence number in the signature */
            break;
        case 3:
            bad[0] = 2; /* not version 1 */
            break;
        default:
            break;
        }
        if (what == 4) { /* a skipped message: the client expects seq 0, gets seq 1 */
            wsman_buf_reset(&cipher);
            CHECK_INT(wsman_ntlm_wrap(p.srv, (const unsigned char *)soap, strlen(soap), bad, &cipher, &e), 0);
        }
        CHECK_INT(
            wsman_ntlm_unwrap(p.cli, bad, 16, (const unsigned char *)cipher.data, cipher.len, &plain, &e),
            -1);
        CHECK(e.code == WSMAN_E_SEC_MESSAGE_ALTERED || e.code == WSMAN_E_SEC_OUT_OF_SEQUENCE);
        CHECK_INT(e.code, what == 2 ? WSMAN_E_SEC_OUT_OF_SEQUENCE : WSMAN_E_SEC_MESSAGE_ALTERED);
        CHECK(e.message && strlen(e.message) > 20);
        CHECK_STR(plain.data, "kept"); /* nothing appended */
        /* the context refuses further use */
        wsman_error_clear(&e);
        CHECK_INT(
            wsman_ntlm_unwrap(p.cli, sig, 16, (const unsigned char *)cipher.data, cipher.len, &plain, &e),
            -1);
        CHECK_INT(e.code, WSMAN_E_SEC_MESSAGE_ALTERED);
        wsman_error_clear(&e);
        CHECK_INT(wsman_ntlm_wrap(p.cli, (const unsigned char *)"x", 1, sig, &cipher, &e), -1);
        pair_close(&p);
        wsman_error_clear(&e);
    }
    /* a short signature */
    wsman_error_init(&e);
    pair_open(&p);
    CHECK_INT(wsman_ntlm_unwrap(p.cli, sig, 12, (const unsigned char *)"abc", 3, &plain, &e), -1);
    CHECK_INT(e.code, WSMAN_E_SEC_MESSAGE_ALTERED);
    pair_close(&p);
    wsman_error_clear(&e);
    wsman_buf_free(&cipher);
    wsman_buf_free(&plain);
}

/* Builds a server reply for soap with fresh contexts, applies "from" -> "to" to the body, sets
 * the length field to patch_len and cuts it at cut (unless NO_PATCH / NO_CUT), and decrypts it
 * with the client from an exact-size copy; returns the result, error in *e. */
#define NO_CUT ((size_t)-1)
#define NO_PATCH (-1L)

static int decrypt_variant(const char *ct, const char *from, const char *to, size_t cut, long patch_len,
                           wsman_buf_t *out, wsman_error_t *e)
{
    wsman_buf_t body, ctb, mod;
    char *copy;
    size_t i = 0, fl = from ? strlen(from) : 0;
    pair_t p;
    int rc;

    wsman_buf_init(&body);
    wsman_buf_init(&ctb);
    wsman_buf_init(&mod);
    pair_open(&p);
    wsman_encrypt_message(&p.esrv, soap, strlen(soap), NULL, &body, &ctb, e);
    while (i < body.len) {
        if (fl && body.len - i >= fl && memcmp(body.data + i, from, fl) == 0) {
            wsman_buf_puts(&mod, to);
            i += fl;
        } else {
            wsman_buf_append(&mod, body.data + i, 1);
            i++;
        }
    }
    if (patch_len != NO_PATCH) { /* the u32le length field after the data part's header line */
        const char *q = strstr(mod.data, "octet-stream\r\n");
        if (q && (size_t)(q - mod.data) + 18 <= mod.len)
            wr32((unsigned char *)mod.data + (q - mod.data) + 14, (uint32_t)patch_len);
    }
    if (cut != NO_CUT && cut < mod.len)
        mod.len = cut;
    copy = malloc(mod.len ? mod.len : 1); /* exact size: ASan/valgrind catch any over-read */
    memcpy(copy, mod.data, mod.len);
    rc = wsman_decrypt_message(&p.ecli, ct ? ct : ctb.data, copy, mod.len, out, e);
    free(copy);
    pair_close(&p);
    wsman_buf_free(&body);
    wsman_buf_free(&ctb);
    wsman_buf_free(&mod);
    return rc;
}

static void expect_framing_error_ex(int line, const char *ct, const char *from, const char *to,
                                    long patch_len, const char *msg_part)
{
    wsman_buf_t out;
    wsman_error_t e;
    int rc;

    wsman_error_init(&e);
    wsman_buf_init(&out);
    rc = decrypt_variant(ct, from, to, NO_CUT, patch_len, &out, &e);
    if (getenv("TEST_NTLM_SHOW_ERRORS"))
        printf("# line %d: %s\n", line, e.message ? e.message : "(none)");
    if (rc != -1 || out.len != 0 || !e.message || (msg_part && !strstr(e.message, msg_part))) {
        printf("# line %d: rc %d, out.len %zu, message \"%s\" (wanted \"%s\")\n", line, rc, out.len,
               e.message ? e.message : "(none)", msg_part ? msg_part : "");
        check_cur_failed = 1;
    }
    wsman_buf_free(&out);
    wsman_error_clear(&e);
}

static void expect_framing_error(int line, const char *ct, const char *from, const char *to,
                                 const char *msg_part)
{
    expect_framing_error_ex(line, ct, from, to, NO_PATCH, msg_part);
}

static void expect_framing_ok(int line, const char *ct, const char *from, const char *to)
{
    wsman_buf_t out;
    wsman_error_t e;

    wsman_error_init(&e);
    wsman_buf_init(&out);
    if (decrypt_variant(ct, from, to, NO_CUT, NO_PATCH, &out, &e) != 0 || !out.data ||
        strcmp(out.data, soap) != 0) {
        printf("# line %d: failed: %s\n", line, e.message ? e.message : "(no message)");
        check_cur_failed = 1;
    }
    wsman_buf_free(&out);
    wsman_error_clear(&e);
}

TEST(framing_tolerated_forms)
{
    expect_framing_ok(__LINE__, NULL, NULL, NULL);
    /* Exchange's "-- Encrypted Boundary" */
    expect_framing_ok(__LINE__, NULL, "--Encrypted Boundary", "-- Encrypted Boundary");
    /* LF line ends, no tabs, other header case */
    expect_framing_ok(__LINE__, NULL, "session-encrypted\r\n", "session-encrypted\n");
    expect_framing_ok(__LINE__, NULL, "\tOriginalContent", "originalcontent");
    expect_framing_ok(__LINE__, NULL, "Length=", "LENGTH = ");
    /* another boundary named in the header, no boundary (WSMV's default), unquoted values */
    expect_framing_ok(
        __LINE__,
        "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"b-1\"",
        "Encrypted Boundary", "b-1");
    expect_framing_ok(__LINE__, "multipart/encrypted; protocol=\"application/HTTP-SPNEGO-session-encrypted\"",
                      NULL, NULL);
    expect_framing_ok(__LINE__,
                      "Multipart/Encrypted;protocol=application/HTTP-SPNEGO-session-encrypted;boundary=x",
                      "Encrypted Boundary", "x");
    /* no CRLF after the closing boundary */
    expect_framing_ok(__LINE__, NULL, "--Encrypted Boundary--\r\n", "--Encrypted Boundary--");
}

TEST(framing_malformations)
{
    char len_ok[40], len_minus[40], len_plus[40], len_nan[40];
    size_t n = strlen(soap);

    snprintf(len_ok, sizeof len_ok, "Length=%zu", n);
    snprintf(len_minus, sizeof len_minus, "Length=%zu", n - 1);
    snprintf(len_plus, sizeof len_plus, "Length=%zu", n + 1);
    snprintf(len_nan, sizeof len_nan, "Length=%zux", n);
    expect_framing_error(__LINE__, "application/soap+xml;charset=UTF-8", NULL, NULL,
                         "not multipart/encrypted");
    expect_framing_error(__LINE__, NULL, "\tContent-Type: application/HTTP-SPNEGO-session-encrypted",
                         "\tContent-Type: application/HTTP-Kerberos-session-encrypted", "uses protocol");
    expect_framing_error(
        __LINE__,
        "multipart/encrypted;protocol=\"application/HTTP-CredSSP-session-encrypted\";boundary="
        "\"Encrypted Boundary\"",
        NULL, NULL, "uses protocol");
    expect_framing_error(__LINE__, NULL, "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n", "",
                         "no Content-Type");
    expect_framing_error(__LINE__, NULL, ";Length=", ";Len=", "no OriginalContent Length");
    expect_framing_error(__LINE__, NULL, len_ok, len_nan, "not a number");
    expect_framing_error(__LINE__, NULL, len_ok, "Length=99999999999999999999999999", "not a number");
    expect_framing_error(__LINE__, NULL, len_ok, "Length=", "not a number");
    expect_framing_error(__LINE__, NULL, len_ok, len_minus, "differs from its OriginalContent Length");
    expect_framing_error(__LINE__, NULL, len_ok, len_plus, "differs from its OriginalContent Length");
    /* the u32le signature length field: too large, not 16, absurd */
    expect_framing_error_ex(__LINE__, NULL, NULL, NULL, 0x7fffffffL, "is larger than the data");
    expect_framing_error_ex(__LINE__, NULL, NULL, NULL, (long)n + 200, "is larger than the data");
    expect_framing_error_ex(__LINE__, NULL, NULL, NULL, 17, NULL);
    expect_framing_error_ex(__LINE__, NULL, NULL, NULL, 0, NULL);
    expect_framing_error(__LINE__, NULL, "application/octet-stream", "text/plain",
                         "not application/octet-stream");
    expect_framing_error(__LINE__, NULL, "\tContent-Type: application/octet-stream\r\n", "",
                         "does not start with a Content-Type");
    expect_framing_error(__LINE__, NULL, "--Encrypted Boundary--\r\n", "", "truncated");
    expect_framing_error(__LINE__, NULL, "--Encrypted Boundary\r\n\tContent-Type: application/octet",
                         "--Encrypted Boundary--\r\n\tContent-Type: application/octet",
                         "data part is missing");
    expect_framing_error(__LINE__, NULL, "\tOriginalContent", "\tOriginal Content", NULL);
    expect_framing_error(__LINE__, NULL, "\tOriginalContent",
                         "garbage line without colon\r\n\tOriginalContent", "not a header");
    expect_framing_error(__LINE__, "multipart/encrypted;protocol=\"unterminated", NULL, NULL,
                         "cannot be parsed");
    {
        /* no pair at all, empty body, garbage */
        wsman_buf_t out;
        wsman_error_t e;
        pair_t p;
        wsman_buf_init(&out);
        wsman_error_init(&e);
        pair_open(&p);
        CHECK_INT(wsman_decrypt_message(&p.ecli, CT_SPNEGO, "--Encrypted Boundary--\r\n", 24, &out, &e), -1);
        CHECK(e.message && strstr(e.message, "no encrypted part"));
        CHECK_INT(wsman_decrypt_message(&p.ecli, CT_SPNEGO, "", 0, &out, &e), -1);
        CHECK(e.message && strstr(e.message, "empty"));
        CHECK_INT(wsman_decrypt_message(&p.ecli, CT_SPNEGO, NULL, 0, &out, &e), -1);
        CHECK_INT(wsman_decrypt_message(&p.ecli, CT_SPNEGO, "<s:Envelope/>", 13, &out, &e), -1);
        CHECK(e.message && strstr(e.message, "does not start with the boundary"));
        CHECK_INT(e.code, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE);
        CHECK_INT(wsman_decrypt_message(&p.ecli, NULL, "x", 1, &out, &e), -1);
        CHECK_INT(out.len, 0);
        pair_close(&p);
        wsman_buf_free(&out);
        wsman_error_clear(&e);
    }
}

TEST(framing_every_truncation)
{
    /* every prefix of a valid body fails cleanly (exact-size copies: no over-read), except
     * those that only lose the final CRLF */
    wsman_buf_t body, ct, out;
    wsman_error_t e;
    size_t cut;
    pair_t p;

    wsman_buf_init(&body);
    wsman_buf_init(&ct);
    wsman_buf_init(&out);
    wsman_error_init(&e);
    pair_open(&p);
    wsman_encrypt_message(&p.esrv, soap, strlen(soap), NULL, &body, &ct, &e);
    pair_close(&p);
    for (cut = 0; cut < body.len; cut++) {
        int rc;
        wsman_error_clear(&e);
        wsman_buf_reset(&out);
        rc = decrypt_variant(NULL, NULL, NULL, cut, NO_PATCH, &out, &e);
        if (cut >= body.len - 2) {
            CHECK_INT(rc, 0);
        } else if (rc != -1 || out.len != 0 || !e.message) {
            printf("# cut at %zu: rc %d\n", cut, rc);
            check_cur_failed = 1;
        }
    }
    {
        /* a 1-byte body copy with nothing: no crash */
        char *one = malloc(1);
        one[0] = '-';
        pair_open(&p);
        CHECK_INT(wsman_decrypt_message(&p.ecli, CT_SPNEGO, one, 1, &out, &e), -1);
        pair_close(&p);
        free(one);
    }
    wsman_buf_free(&body);
    wsman_buf_free(&ct);
    wsman_buf_free(&out);
    wsman_error_clear(&e);
}

TEST(framing_garbage_does_not_crash)
{
    /* flip every byte of a valid body in turn: each either decrypts to the original (a
     * tolerated change) or fails with an error; never reads out of bounds */
    wsman_buf_t body, ct, out;
    wsman_error_t e;
    size_t i;
    pair_t p;

    wsman_buf_init(&body);
    wsman_buf_init(&ct);
    wsman_buf_init(&out);
    wsman_error_init(&e);
    pair_open(&p);
    wsman_encrypt_message(&p.esrv, soap, strlen(soap), NULL, &body, &ct, &e);
    pair_close(&p);
    for (i = 0; i < body.len; i++) {
        char *copy = malloc(body.len);
        int rc;
        memcpy(copy, body.data, body.len);
        copy[i] ^= 0x5a;
        pair_open(&p);
        wsman_buf_reset(&out);
        wsman_error_clear(&e);
        rc = wsman_decrypt_message(&p.ecli, ct.data, copy, body.len, &out, &e);
        if (rc == 0 && strcmp(out.data, soap) != 0) {
            printf("# flip at %zu decrypted to something else\n", i);
            check_cur_failed = 1;
        }
        if (rc != 0 && (!e.message || out.len != 0)) {
            printf("# flip at %zu: error without message or with output\n", i);
            check_cur_failed = 1;
        }
        pair_close(&p);
        free(copy);
    }
    wsman_buf_free(&body);
    wsman_buf_free(&ct);
    wsman_buf_free(&out);
    wsman_error_clear(&e);
}

TEST(framing_several_pairs)
{
    /* x-multi-encrypted with 10-byte chunks: the parts are decrypted and concatenated */
    wsman_buf_t body, ct, out;
    wsman_error_t e;
    pair_t p;
    size_t parts = 0;
    const char *q;

    wsman_buf_init(&body);
    wsman_buf_init(&ct);
    wsman_buf_init(&out);
    wsman_error_init(&e);
    pair_open(&p);
    p.esrv.max_chunk = 10;
    CHECK_INT(wsman_encrypt_message(&p.esrv, soap, strlen(soap), "UTF-8", &body, &ct, &e), 0);
    CHECK(strncmp(ct.data, "multipart/x-multi-encrypted;", 28) == 0);
    for (q = body.data; q + 11 <= body.data + body.len; q++) /* binary: no strstr */
        parts += memcmp(q, "Length=10\r\n", 11) == 0;
    CHECK_INT(parts, strlen(soap) / 10);
    CHECK_INT(wsman_is_encrypted_content_type(ct.data), 1);
    CHECK_INT(wsman_decrypt_message(&p.ecli, ct.data, body.data, body.len, &out, &e), 0);
    CHECK_STR(out.data, soap);
    /* UTF-16 charset is stated; an unknown one refused */
    wsman_buf_reset(&body);
    CHECK_INT(wsman_encrypt_message(&p.ecli, "ab", 2, "UTF-16", &body, &ct, &e), 0);
    CHECK(strstr(body.data, "charset=UTF-16;Length=2\r\n") != NULL);
    CHECK_INT(wsman_encrypt_message(&p.ecli, "ab", 2, "latin1", &body, &ct, &e), -1);
    CHECK_INT(wsman_is_encrypted_content_type("application/soap+xml;charset=UTF-8"), 0);
    CHECK_INT(wsman_is_encrypted_content_type(NULL), 0);
    pair_close(&p);
    wsman_buf_free(&body);
    wsman_buf_free(&ct);
    wsman_buf_free(&out);
    wsman_error_clear(&e);
}

TEST(encryptor_needs_wrap)
{
    wsman_encryptor_t enc;
    wsman_error_t e;

    wsman_error_init(&e);
    CHECK_INT(wsman_encryptor_from_mech(&enc, &wsman_auth_basic, NULL, &e), -1);
    CHECK(e.message && strstr(e.message, "Basic"));
    wsman_error_clear(&e);
}

/* ---- channel binding --------------------------------------------------------------------------- */

TEST(channel_binding_hash_protocol_2_4)
{
    unsigned char app[21 + 32], out[16];
    unsigned int hl = 0;

    memcpy(app, "tls-server-end-point:", 21);
    EVP_Digest("", 0, app + 21, &hl, EVP_sha256(), NULL);
    CHECK_INT(hl, 32);
    CHECK_INT(wsman_ntlm_channel_bindings_hash(app, sizeof app, out), 0);
    CHECK_HEX(out, 16, "cf763932e9d2616ab952b63b584204e3");
}

static size_t make_cert(const char *alg, const EVP_MD *md, unsigned char **der)
{
    EVP_PKEY *k = strcmp(alg, "ED25519") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                                              : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    int n;

    *der = NULL;
    if (!k || !x)
        return 0;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"host",
                               -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_sign(x, k, md);
    n = i2d_X509(x, der);
    X509_free(x);
    EVP_PKEY_free(k);
    return n > 0 ? (size_t)n : 0;
}

TEST(channel_binding_appdata_from_certificate)
{
    static const struct {
        const char *alg;
        const char *md;
        const char *expect_md;
    } v[] = {{"EC", "SHA384", "SHA384"},
             {"EC", "SHA512", "SHA512"},
             {"EC", "SHA1", "SHA256"},
             {"EC", "SHA256", "SHA256"},
             {"ED25519", NULL, "SHA256"}};
    size_t i;

    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned char *der = NULL, h[64];
        unsigned int hl = 0;
        size_t n = make_cert(v[i].alg, v[i].md ? EVP_get_digestbyname(v[i].md) : NULL, &der);
        wsman_buf_t out;
        wsman_error_t e;

        wsman_buf_init(&out);
        wsman_error_init(&e);
        CHECK(n > 0);
        EVP_Digest(der, n, h, &hl, EVP_get_digestbyname(v[i].expect_md), NULL);
        CHECK_INT(wsman_tls_channel_binding_appdata(der, n, &out, &e), 0);
        CHECK_INT(out.len, 21 + hl);
        CHECK(out.len == 21 + hl && memcmp(out.data, "tls-server-end-point:", 21) == 0 &&
              memcmp(out.data + 21, h, hl) == 0);
        OPENSSL_free(der);
        wsman_buf_free(&out);
        wsman_error_clear(&e);
    }
    {
        wsman_buf_t out;
        wsman_error_t e;
        wsman_buf_init(&out);
        wsman_error_init(&e);
        CHECK_INT(wsman_tls_channel_binding_appdata((const unsigned char *)"junk", 4, &out, &e), -1);
        CHECK_INT(e.code, WSMAN_E_WINHTTP_SECURE_FAILURE);
        wsman_error_clear(&e);
        wsman_buf_free(&out);
    }
}

/* ---- full handshake against a hand-built CHALLENGE -------------------------------------------------- */

#define TEST_TIMESTAMP 0x01D9C1E2F3A4B5C6ull

/* CHALLENGE with target name "DOM", NbDomain, NbComputer, DnsComputer, Timestamp (and optional
 * MsvAvFlags 0x1). */
static size_t build_challenge(unsigned char *m, uint32_t flags, int with_av_flags)
{
    unsigned char ti[256];
    size_t t = 0, n;

    wr16(ti + t, 2);
    wr16(ti + t + 2, (uint16_t)ascii16("DOM", ti + t + 4));
    t += 4 + rd16(ti + t + 2);
    wr16(ti + t, 1);
    wr16(ti + t + 2, (uint16_t)ascii16("SRV", ti + t + 4));
    t += 4 + rd16(ti + t + 2);
    wr16(ti + t, 3);
    wr16(ti + t + 2, (uint16_t)ascii16("srv.dom.test", ti + t + 4));
    t += 4 + rd16(ti + t + 2);
    if (with_av_flags) {
        wr16(ti + t, 6);
        wr16(ti + t + 2, 4);
        wr32(ti + t + 4, 1);
        t += 8;
    }
    wr16(ti + t, 7);
    wr16(ti + t + 2, 8);
    wr32(ti + t + 4, (uint32_t)(TEST_TIMESTAMP & 0xffffffffu));
    wr32(ti + t + 8, (uint32_t)(TEST_TIMESTAMP >> 32));
    t += 12;
    wr32(ti + t, 0); /* EOL */
    t += 4;

    memset(m, 0, 56);
    memcpy(m, "NTLMSSP", 8);
    wr32(m + 8, 2);
    n = ascii16("DOM", m + 56);
    wr16(m + 12, (uint16_t)n);
    wr16(m + 14, (uint16_t)n);
    wr32(m + 16, 56);
    wr32(m + 20, flags);
    memcpy(m + 24, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    wr16(m + 40, (uint16_t)t);
    wr16(m + 42, (uint16_t)t);
    wr32(m + 44, (uint32_t)(56 + n));
    memcpy(m + 48, "\x0a\x00\x63\x45\x00\x00\x00\x0f", 8);
    memcpy(m + 56 + n, ti, t);
    return 56 + n + t;
}

/* What a server does with the AUTHENTICATE: recomputes NTProofStr from the password, checks the
 * AV pairs and the MIC, and recovers the ExportedSessionKey. */
static void server_verify(const unsigned char *neg, size_t nlen, const unsigned char *chal, size_t clen,
                          const unsigned char *auth, size_t alen, const char *password, const char *user,
                          const char *domain, const unsigned char *cbt_md5, const char *spn,
                          unsigned char exported[16], uint32_t *flags)
{
    const unsigned char *lm, *nt, *dom, *usr, *ws, *ek, *av;
    size_t lml, ntl, doml, usrl, wsl, ekl, avl, pos;
    unsigned char key[16], proof[16], sbk[16], mic[16], spn16[256], *copy;
    int saw_flags = 0, saw_cbt = 0, saw_spn = 0, saw_ts = 0, saw_eol = 0;
    wsman_rc4_t r;

    CHECK(alen >= 88);
    if (alen < 88)
        return;
    CHECK(memcmp(auth, "NTLMSSP\0", 8) == 0);
    CHECK_INT(rd32(auth + 8), 3);
    CHECK_INT(field_of(auth, alen, 12, &lm, &lml), 0);
    CHECK_INT(field_of(auth, alen, 20, &nt, &ntl), 0);
    CHECK_INT(field_of(auth, alen, 28, &dom, &doml), 0);
    CHECK_INT(field_of(auth, alen, 36, &usr, &usrl), 0);
    CHECK_INT(field_of(auth, alen, 44, &ws, &wsl), 0);
    CHECK_INT(field_of(auth, alen, 52, &ek, &ekl), 0);
    CHECK_INT(rd32(auth + 32), 88); /* the domain name, first in the payload, after the MIC */
    *flags = rd32(auth + 60);
    CHECK_INT(lml, 24);
    CHECK(lml == 24 && memcmp(lm, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24) == 0);
    CHECK_INT(ekl, (*flags & WSMAN_NTLM_KEY_EXCH) ? 16 : 0);
    CHECK_INT(wsl, 0);
    {
        unsigned char d16[256], u16[256];
        size_t dl = ascii16(domain, d16), ul = ascii16(user, u16);
        CHECK(doml == dl && memcmp(dom, d16, dl) == 0);
        CHECK(usrl == ul && memcmp(usr, u16, ul) == 0);
    }
    /* NTProofStr */
    CHECK_INT(wsman_ntlm_ntowfv2(password, user, domain, key), 0);
    CHECK(ntl > 16 + 28 + 4);
    hmac_md5(key, 16, chal + 24, 8, nt + 16, ntl - 16, proof);
    CHECK(memcmp(proof, nt, 16) == 0);
    CHECK_INT(nt[16], 1);
    CHECK_INT(nt[17], 1);
    CHECK(rd32(nt + 24) == (uint32_t)(TEST_TIMESTAMP & 0xffffffffu) &&
          rd32(nt + 28) == (uint32_t)(TEST_TIMESTAMP >> 32)); /* the server's timestamp */
    /* AV pairs */
    av = nt + 16 + 28;
    avl = ntl - 16 - 28 - 4;
    for (pos = 0; pos + 4 <= avl && !saw_eol;) {
        uint16_t id = rd16(av + pos), l = rd16(av + pos + 2);
        const unsigned char *v = av + pos + 4;
        CHECK(l <= avl - pos - 4);
        if (id == 0)
            saw_eol = 1;
        if (id == 6) {
            saw_flags++;
            CHECK(l == 4 && (rd32(v) & 2));
        }
        if (id == 7)
            saw_ts++;
        if (id == 10) {
            saw_cbt++;
            CHECK(l == 16 && cbt_md5 && memcmp(v, cbt_md5, 16) == 0);
        }
        if (id == 9) {
            size_t sl = ascii16(spn, spn16);
            saw_spn++;
            CHECK(l == sl && memcmp(v, spn16, sl) == 0);
        }
        pos += 4u + l;
    }
    CHECK(saw_eol && pos == avl);
    CHECK_INT(saw_flags, 1);
    CHECK_INT(saw_ts, 1);
    CHECK_INT(saw_cbt, cbt_md5 ? 1 : 0);
    CHECK_INT(saw_spn, spn ? 1 : 0);
    /* key exchange */
    hmac_md5(key, 16, proof, 16, NULL, 0, sbk);
    if (ekl == 16) {
        wsman_rc4_init(&r, sbk, 16);
        wsman_rc4(&r, ek, exported, 16);
    } else {
        memcpy(exported, sbk, 16); /* no key exchange: ExportedSessionKey = KeyExchangeKey */
    }
    /* MIC over NEGOTIATE || CHALLENGE || AUTHENTICATE with a zero MIC */
    copy = malloc(nlen + clen + alen);
    memcpy(copy, neg, nlen);
    memcpy(copy + nlen, chal, clen);
    memcpy(copy + nlen + clen, auth, alen);
    memset(copy + nlen + clen + 72, 0, 16);
    hmac_md5(exported, 16, copy, nlen + clen + alen, NULL, 0, mic);
    CHECK(memcmp(mic, auth + 72, 16) == 0);
    free(copy);
}

static void handshake_ex(const char *username, const char *user, const char *domain, int with_cbt,
                         int with_av_flags, uint32_t server_flags)
{
    unsigned char chal[512], exported[16], cbt_md5[16], app[53];
    size_t clen = build_challenge(chal, server_flags, with_av_flags);
    wsman_buf_t neg, auth, cipher, plain;
    unsigned char sig[16];
    uint32_t flags = 0;
    wsman_ntlm_t *c, *s;
    wsman_error_t e;

    wsman_error_init(&e);
    wsman_buf_init(&neg);
    wsman_buf_init(&auth);
    wsman_buf_init(&cipher);
    wsman_buf_init(&plain);
    memcpy(app, "tls-server-end-point:", 21);
    memset(app + 21, 0xab, 32);
    wsman_ntlm_channel_bindings_hash(app, sizeof app, cbt_md5);

    c = wsman_ntlm_new(username, "S3cr\xc3\xa9t!", "srv.dom.test", NULL, &e);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT(wsman_ntlm_negotiate(c, &neg, &e), 0);
    CHECK_INT(neg.len, 40);
    CHECK(memcmp(neg.data, "NTLMSSP\0\x01\0\0\0", 12) == 0);
    CHECK_INT(rd32((const unsigned char *)neg.data + 12), 0xE2888235u);
    CHECK_INT(wsman_ntlm_authenticate(c, chal, clen, with_cbt ? app : NULL, sizeof app, &auth, &e), 0);
    server_verify((const unsigned char *)neg.data, neg.len, chal, clen, (const unsigned char *)auth.data,
                  auth.len, "S3cr\xc3\xa9t!", user, domain, with_cbt ? cbt_md5 : NULL, "HTTP/srv.dom.test",
                  exported, &flags);
    CHECK_INT(flags, (server_flags & 0xE2888235u) | WSMAN_NTLM_REQUEST_TARGET);
    CHECK_INT(wsman_ntlm_flags(c), flags);
    /* the server side from the recovered key: both directions */
    s = wsman_ntlm_new_established(exported, flags, 1, &e);
    CHECK(s != NULL);
    CHECK_INT(wsman_ntlm_wrap(c, (const unsigned char *)soap, strlen(soap), sig, &cipher, &e), 0);
    CHECK_INT(wsman_ntlm_unwrap(s, sig, 16, (const unsigned char *)cipher.data, cipher.len, &plain, &e), 0);
    CHECK_STR(plain.data, soap);
    wsman_buf_reset(&cipher);
    wsman_buf_reset(&plain);
    CHECK_INT(wsman_ntlm_wrap(s, (const unsigned char *)"reply", 5, sig, &cipher, &e), 0);
    CHECK_INT(wsman_ntlm_unwrap(c, sig, 16, (const unsigned char *)cipher.data, cipher.len, &plain, &e), 0);
    CHECK_STR(plain.data, "reply");
    if (e.message)
        printf("# %s\n", e.message);
    wsman_ntlm_free(c);
    wsman_ntlm_free(s);
    wsman_buf_free(&neg);
    wsman_buf_free(&auth);
    wsman_buf_free(&cipher);
    wsman_buf_free(&plain);
    wsman_error_clear(&e);
}

static void handshake(const char *username, const char *user, const char *domain, int with_cbt,
                      int with_av_flags)
{
    handshake_ex(username, user, domain, with_cbt, with_av_flags, 0xE28A8235u);
}

TEST(handshake_hand_built_challenge)
{
    handshake("DOM\\alice", "alice", "DOM", 0, 0);
    handshake("DOM\\alice", "alice", "DOM", 1, 1); /* channel binding; MsvAvFlags already present */
    /* servers that refuse key exchange, 128-bit or 56-bit keys (seal key base 16, 7 or 5 bytes) */
    handshake_ex("DOM\\alice", "alice", "DOM", 0, 0, 0xE28A8235u & ~WSMAN_NTLM_KEY_EXCH);
    handshake_ex("DOM\\alice", "alice", "DOM", 0, 0, 0xE28A8235u & ~WSMAN_NTLM_128);
    handshake_ex("DOM\\alice", "alice", "DOM", 0, 0, 0xE28A8235u & ~(WSMAN_NTLM_128 | WSMAN_NTLM_56));
}

TEST(user_name_forms)
{
    wsman_error_t e;
    wsman_ntlm_t *c;

    handshake("DOM\\alice", "alice", "DOM", 0, 0);
    handshake("alice@dom.test", "alice@dom.test", "", 0, 0); /* UPN kept whole, domain empty */
    handshake("alice", "alice", "", 1, 0);
    handshake(".\\alice", "alice", ".", 0, 0);
    /* non-ASCII user names are upper-cased for NTOWFv2 */
    {
        unsigned char a[16], b[16];
        CHECK_INT(wsman_ntlm_ntowfv2("pw", "j\xc3\xbcrgen", "D", a), 0);
        CHECK_INT(wsman_ntlm_ntowfv2("pw", "J\xc3\x9cRGEN", "D", b), 0);
        CHECK(memcmp(a, b, 16) == 0);
        CHECK_INT(wsman_ntlm_ntowfv2("pw", "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd", "D", a), 0); /* иван */
        CHECK_INT(wsman_ntlm_ntowfv2("pw", "\xd0\x98\xd0\x92\xd0\x90\xd0\x9d", "D", b), 0); /* ИВАН */
        CHECK(memcmp(a, b, 16) == 0);
    }
    wsman_error_init(&e);
    c = wsman_ntlm_new(NULL, "pw", "h", NULL, &e);
    CHECK(c == NULL);
    CHECK_INT(e.code, WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED);
    wsman_error_clear(&e);
    c = wsman_ntlm_new("DOM\\", "pw", "h", NULL, &e);
    CHECK(c == NULL);
    CHECK_INT(e.code, WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED);
    wsman_error_clear(&e);
    c = wsman_ntlm_new("bad\xff", "pw", "h", NULL, &e);
    CHECK(c == NULL);
    CHECK_INT(e.code, WSMAN_E_INVALIDARG);
    wsman_error_clear(&e);
    c = wsman_ntlm_new("user", "bad\xc3", "h", NULL, &e);
    CHECK(c == NULL);
    CHECK(e.message && !strstr(e.message, "bad\xc3")); /* the password is never echoed */
    wsman_error_clear(&e);
}

static void expect_bad_challenge(int line, unsigned char *m, size_t n, const char *msg_part)
{
    wsman_buf_t neg, auth;
    wsman_error_t e;
    wsman_ntlm_t *c;
    int rc;

    wsman_error_init(&e);
    wsman_buf_init(&neg);
    wsman_buf_init(&auth);
    c = wsman_ntlm_new("DOM\\alice", "pw", "srv", NULL, &e);
    wsman_ntlm_negotiate(c, &neg, &e);
    rc = wsman_ntlm_authenticate(c, m, n, NULL, 0, &auth, &e);
    if (getenv("TEST_NTLM_SHOW_ERRORS") && n >= 48)
        printf("# line %d: %s\n", line, e.message ? e.message : "(none)");
    if (rc != -1 || e.code != WSMAN_E_SEC_INVALID_TOKEN || auth.len != 0 || !e.message ||
        !strstr(e.message, msg_part)) {
        printf("# line %d: message \"%s\" (wanted \"%s\")\n", line, e.message ? e.message : "(none)",
               msg_part);
        check_cur_failed = 1;
    }
    wsman_ntlm_free(c);
    wsman_buf_free(&neg);
    wsman_buf_free(&auth);
    wsman_error_clear(&e);
}

TEST(malformed_challenges)
{
    unsigned char m[512], *exact;
    size_t n = build_challenge(m, 0xE28A8235u, 0), cut;

    m[0] = 'X';
    expect_bad_challenge(__LINE__, m, n, "NTLMSSP signature");
    n = build_challenge(m, 0xE28A8235u, 0);
    m[8] = 3;
    expect_bad_challenge(__LINE__, m, n, "message type");
    n = build_challenge(m, 0xE28A8235u, 0);
    expect_bad_challenge(__LINE__, m, 40, "truncated");
    n = build_challenge(m, 0xE28A8235u, 0);
    wr32(m + 44, 5000);
    expect_bad_challenge(__LINE__, m, n, "TargetInfo field points outside");
    n = build_challenge(m, 0xE28A8235u, 0);
    wr32(m + 16, 0xfffffff0u);
    expect_bad_challenge(__LINE__, m, n, "TargetName field points outside");
    n = build_challenge(m, 0xE28A8235u, 0);
    wr16(m + 40, 0);
    expect_bad_challenge(__LINE__, m, n, "no TargetInfo");
    n = build_challenge(m, 0xE28A8235u, 0);
    wr16(m + 40, (uint16_t)(rd16(m + 40) - 4)); /* EOL cut off */
    expect_bad_challenge(__LINE__, m, n, "no MsvAvEOL");
    n = build_challenge(m, 0xE28A8235u, 0);
    wr16(m + 56 + 6 + 2, 0x7000); /* first AV pair claims a huge value */
    expect_bad_challenge(__LINE__, m, n, "runs past the end");
    n = build_challenge(m, 0xE28A8235u, 0);
    wr16(m + 56 + 6, 5); /* NbDomainName -> DnsTreeName: no NbDomainName left */
    expect_bad_challenge(__LINE__, m, n, "MsvAvNbDomainName");
    n = build_challenge(m, 0xE28A8235u & ~WSMAN_NTLM_UNICODE, 0);
    expect_bad_challenge(__LINE__, m, n, "Unicode");
    n = build_challenge(m, 0xE28A8235u, 0);
    wr16(m + n - 4 - 12 + 2, 7); /* timestamp of 7 bytes: also shifts the rest */
    expect_bad_challenge(__LINE__, m, n, "");
    expect_bad_challenge(__LINE__, m, 0, "");
    /* every truncation of a valid CHALLENGE fails cleanly, from an exact-size copy */
    n = build_challenge(m, 0xE28A8235u, 0);
    for (cut = 0; cut < n; cut++) {
        exact = malloc(cut ? cut : 1);
        memcpy(exact, m, cut);
        expect_bad_challenge(__LINE__, exact, cut, "");
        free(exact);
    }
}

TEST(wrap_needs_session)
{
    unsigned char sig[16];
    wsman_buf_t out;
    wsman_error_t e;
    wsman_ntlm_t *c;

    wsman_error_init(&e);
    wsman_buf_init(&out);
    c = wsman_ntlm_new("u", "p", NULL, NULL, &e);
    CHECK_INT(wsman_ntlm_wrap(c, (const unsigned char *)"x", 1, sig, &out, &e), -1);
    CHECK_INT(e.code, WSMAN_E_SEC_UNSUPPORTED_FUNCTION);
    wsman_error_clear(&e);
    /* a CHALLENGE before NEGOTIATE */
    {
        unsigned char m[512];
        size_t n = build_challenge(m, 0xE28A8235u, 0);
        CHECK_INT(wsman_ntlm_authenticate(c, m, n, NULL, 0, &out, &e), -1);
        CHECK_INT(e.code, WSMAN_E_SEC_INVALID_TOKEN);
        wsman_error_clear(&e);
        /* a server that refuses sealing: authentication works, wrap says why it cannot */
        n = build_challenge(m, 0xE28A8235u & ~WSMAN_NTLM_SEAL, 0);
        CHECK_INT(wsman_ntlm_negotiate(c, &out, &e), 0);
        CHECK_INT(wsman_ntlm_authenticate(c, m, n, NULL, 0, &out, &e), 0);
        CHECK_INT(wsman_ntlm_wrap(c, (const unsigned char *)"x", 1, sig, &out, &e), -1);
        CHECK(e.message && strstr(e.message, "sealing"));
        wsman_error_clear(&e);
        /* reset: back to the start, the keys forgotten */
        wsman_ntlm_reset(c);
        CHECK_INT(wsman_ntlm_complete(c), 0);
        CHECK_INT(wsman_ntlm_flags(c), 0);
    }
    wsman_ntlm_free(c);
    wsman_buf_free(&out);
    wsman_error_clear(&e);
}

/* ---- the auth.h mechanism -------------------------------------------------------------------------- */

TEST(mechanism_negotiate_legs)
{
    wsman_credentials_t cr = {"DOM\\alice", "S3cr\xc3\xa9t!"};
    unsigned char chal[512], exported[16];
    size_t clen = build_challenge(chal, 0xE28A8235u, 0);
    wsman_buf_t hv, b64, neg, auth, body, ct, plain;
    uint32_t flags = 0;
    wsman_encryptor_t enc, srv_enc;
    wsman_ntlm_t *srv;
    wsman_error_t e;
    int done = -1;
    void *st;

    wsman_error_init(&e);
    wsman_buf_init(&hv);
    wsman_buf_init(&b64);
    wsman_buf_init(&neg);
    wsman_buf_init(&auth);
    wsman_buf_init(&body);
    wsman_buf_init(&ct);
    wsman_buf_init(&plain);
    CHECK_STR(wsman_auth_ntlm.name, "Negotiate");
    CHECK_STR(wsman_auth_ntlm.encrypt_protocol, WSMAN_ENCRYPT_PROTOCOL_SPNEGO);
    st = wsman_auth_ntlm.create(&cr, "srv.dom.test", &e);
    CHECK(st != NULL);
    CHECK_INT(wsman_auth_ntlm.set_channel_bindings(st, NULL, 0, &e), 0);
    /* leg 1: "Negotiate" challenge without token */
    CHECK_INT(wsman_auth_ntlm.step(st, "Negotiate", &hv, &done, &e), 0);
    CHECK_INT(done, 0);
    CHECK(strncmp(hv.data, "Negotiate TlRMTVNTUAABAAAA", 26) == 0);
    wsman_base64_decode(&neg, hv.data + 10, hv.len - 10);
    CHECK_INT(neg.len, 40);
    /* leg 2 */
    wsman_base64_encode(&b64, chal, clen);
    wsman_buf_reset(&hv);
    wsman_buf_puts(&hv, "negotiate ");
    wsman_buf_append(&hv, b64.data, b64.len);
    {
        char *challenge = wsman_buf_steal(&hv);
        CHECK_INT(wsman_auth_ntlm.step(st, challenge, &hv, &done, &e), 0);
        free(challenge);
    }
    CHECK_INT(done, 1);
    CHECK(strncmp(hv.data, "Negotiate TlRMTVNTUAADAAAA", 26) == 0);
    wsman_base64_decode(&auth, hv.data + 10, hv.len - 10);
    server_verify((const unsigned char *)neg.data, neg.len, chal, clen, (const unsigned char *)auth.data,
                  auth.len, "S3cr\xc3\xa9t!", "alice", "DOM", NULL, "HTTP/srv.dom.test", exported, &flags);
    /* no per-request header */
    wsman_buf_reset(&hv);
    CHECK_INT(wsman_auth_ntlm.header(st, &hv, &e), 0);
    CHECK_INT(hv.len, 0);
    /* messages through the mechanism's wrap/unwrap */
    srv = wsman_ntlm_new_established(exported, flags, 1, &e);
    CHECK_INT(wsman_encryptor_from_mech(&enc, &wsman_auth_ntlm, st, &e), 0);
    CHECK_INT(wsman_encryptor_from_mech(&srv_enc, &wsman_auth_ntlm, srv, &e), 0);
    CHECK_INT(wsman_encrypt_message(&enc, soap, strlen(soap), NULL, &body, &ct, &e), 0);
    CHECK_INT(wsman_decrypt_message(&srv_enc, ct.data, body.data, body.len, &plain, &e), 0);
    CHECK_STR(plain.data, soap);
    /* a 401 after the AUTHENTICATE: credentials rejected, the password never in the message */
    CHECK_INT(wsman_auth_ntlm.step(st, "Negotiate", &hv, &done, &e), -1);
    CHECK_INT(e.code, WSMAN_E_ACCESS_DENIED);
    CHECK(e.message && strstr(e.message, "DOM\\alice") && !strstr(e.message, "S3cr"));
    wsman_error_clear(&e);
    /* reset (new connection): starts over */
    wsman_auth_ntlm.reset(st);
    CHECK_INT(wsman_auth_ntlm.step(st, NULL, &hv, &done, &e), 0);
    CHECK(strncmp(hv.data, "Negotiate TlRMTVNTUAABAAAA", 26) == 0);
    /* a 401 without a CHALLENGE after NEGOTIATE */
    CHECK_INT(wsman_auth_ntlm.step(st, "Negotiate", &hv, &done, &e), -1);
    CHECK_INT(e.code, WSMAN_E_ACCESS_DENIED);
    wsman_error_clear(&e);
    /* non-NTLM and non-base64 tokens */
    wsman_auth_ntlm.reset(st);
    CHECK_INT(wsman_auth_ntlm.step(st, NULL, &hv, &done, &e), 0);
    CHECK_INT(wsman_auth_ntlm.step(st, "Negotiate oYIBBjCCAQKgAwoBAQ==", &hv, &done, &e), -1);
    CHECK(e.message && strstr(e.message, "not NTLM"));
    wsman_error_clear(&e);
    CHECK_INT(wsman_auth_ntlm.step(st, "Negotiate !!!", &hv, &done, &e), -1);
    CHECK(e.message && strstr(e.message, "base64"));
    wsman_error_clear(&e);
    /* with channel binding set through the interface */
    {
        unsigned char app[53], cbt_md5[16];
        memcpy(app, "tls-server-end-point:", 21);
        memset(app + 21, 0xcd, 32);
        wsman_ntlm_channel_bindings_hash(app, sizeof app, cbt_md5);
        wsman_auth_ntlm.reset(st);
        CHECK_INT(wsman_auth_ntlm.set_channel_bindings(st, app, sizeof app, &e), 0);
        wsman_buf_reset(&neg);
        wsman_buf_reset(&auth);
        CHECK_INT(wsman_auth_ntlm.step(st, NULL, &hv, &done, &e), 0);
        wsman_base64_decode(&neg, hv.data + 10, hv.len - 10);
        CHECK_INT(wsman_auth_ntlm.step(st, b64.data, &hv, &done, &e), 0); /* bare token also accepted */
        wsman_base64_decode(&auth, hv.data + 10, hv.len - 10);
        server_verify((const unsigned char *)neg.data, neg.len, chal, clen, (const unsigned char *)auth.data,
                      auth.len, "S3cr\xc3\xa9t!", "alice", "DOM", cbt_md5, "HTTP/srv.dom.test", exported,
                      &flags);
    }
    wsman_auth_ntlm.destroy(st);
    wsman_ntlm_free(srv);
    wsman_buf_free(&hv);
    wsman_buf_free(&b64);
    wsman_buf_free(&neg);
    wsman_buf_free(&auth);
    wsman_buf_free(&body);
    wsman_buf_free(&ct);
    wsman_buf_free(&plain);
    wsman_error_clear(&e);
}

int main(void)
{
    RUN(md4_rfc1320);
    RUN(md4_nt_hash);
    RUN(rc4_rfc6229);
    RUN(nlmp_ntowfv2);
    RUN(nlmp_v2_response);
    RUN(nlmp_session_keys);
    RUN(nlmp_authenticate_message);
    RUN(nlmp_seal_and_sign);
    RUN(nlmp_mech_list_mic);
    RUN(encrypted_body_protocol_3_2);
    RUN(round_trip_both_directions);
    RUN(tampered_messages_rejected);
    RUN(framing_tolerated_forms);
    RUN(framing_malformations);
    RUN(framing_every_truncation);
    RUN(framing_garbage_does_not_crash);
    RUN(framing_several_pairs);
    RUN(encryptor_needs_wrap);
    RUN(channel_binding_hash_protocol_2_4);
    RUN(channel_binding_appdata_from_certificate);
    RUN(handshake_hand_built_challenge);
    RUN(user_name_forms);
    RUN(malformed_challenges);
    RUN(wrap_needs_session);
    RUN(mechanism_negotiate_legs);
    return check_done();
}
