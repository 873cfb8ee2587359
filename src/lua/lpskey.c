/* SPDX-License-Identifier: MIT */
/*
 * lpskey.c - PowerShell Remoting's session key exchange (MS-PSRP 2.2.2.3 PUBLIC_KEY, 2.2.2.4
 * ENCRYPTED_SESSION_KEY) and SecureString encryption, for lua/wsman/psrp.lua:
 *
 *   core._psrp_keypair() -> k         a fresh RSA-2048 key pair
 *   k:public_blob() -> bytes          its public key as a CAPI PUBLICKEYBLOB
 *   k:set_session_key(bytes)          the host's SIMPLEBLOB: the AES-256 session key, RSA-encrypted
 *                                     (PKCS#1 v1.5) with our public key, bytes in CAPI's order
 *   k:encrypt(text) -> bytes          a SecureString's value: UTF-16LE, PKCS#7, AES-256-CBC, zero IV
 *   k:decrypt(bytes) -> text          and back
 *
 * The session key never leaves this userdata and is wiped when it is collected.
 */
#include "lutil.h"
#include "protocol.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>

#define LW_PSKEY "wsman.PSRPKey"

enum {
    RSA_BITS = 2048,
    RSA_EXPONENT = 65537,
    BLOB_HEADER = 8, /* bType, bVersion, reserved, aiKeyAlg */
    PUBLICKEYBLOB = 0x06,
    SIMPLEBLOB = 0x01,
    CUR_BLOB_VERSION = 0x02,
    CALG_RSA_KEYX = 0xA400,
    CALG_AES_256 = 0x6610,
    SESSION_KEY_BYTES = 32,
    AES_BLOCK = 16,
};

typedef struct lw_pskey {
    EVP_PKEY *pkey;
    unsigned char key[SESSION_KEY_BYTES];
    int have_key;
} lw_pskey;

static int pskey_gc(lua_State *L)
{
    lw_pskey *k = luaL_checkudata(L, 1, LW_PSKEY);
    OPENSSL_cleanse(k->key, sizeof k->key);
    k->have_key = 0;
    EVP_PKEY_free(k->pkey);
    k->pkey = NULL;
    return 0;
}

static int l_keypair(lua_State *L)
{
    lw_pskey *k = lw_handle_new(L, sizeof *k, 0, LW_PSKEY);

    if (!(k->pkey = EVP_RSA_gen(RSA_BITS)))
        return luaL_error(L, "PSRP key exchange: OpenSSL could not make an RSA key");
    return 1;
}

/* BLOBHEADER + RSAPUBKEY ("RSA1", bit length, exponent) + the modulus, little-endian. */
static int pskey_public_blob(lua_State *L)
{
    lw_pskey *k = luaL_checkudata(L, 1, LW_PSKEY);
    unsigned char blob[BLOB_HEADER + 12 + RSA_BITS / 8];
    BIGNUM *n = NULL;
    int nbytes;

    if (!k->pkey || !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
        (nbytes = BN_num_bytes(n)) > RSA_BITS / 8) {
        BN_free(n);
        return luaL_error(L, "PSRP key exchange: the RSA key has no usable modulus");
    }
    memset(blob, 0, sizeof blob);
    blob[0] = PUBLICKEYBLOB;
    blob[1] = CUR_BLOB_VERSION;
    wsman_le32_put(blob + 4, CALG_RSA_KEYX);
    memcpy(blob + BLOB_HEADER, "RSA1", 4);
    wsman_le32_put(blob + BLOB_HEADER + 4, RSA_BITS);
    wsman_le32_put(blob + BLOB_HEADER + 8, RSA_EXPONENT);
    BN_bn2lebinpad(n, blob + BLOB_HEADER + 12, RSA_BITS / 8);
    BN_free(n);
    lua_pushlstring(L, (const char *)blob, sizeof blob);
    return 1;
}

static int pskey_set_session_key(lua_State *L)
{
    lw_pskey *k = luaL_checkudata(L, 1, LW_PSKEY);
    size_t len, i, outlen = 0;
    const unsigned char *blob = (const unsigned char *)luaL_checklstring(L, 2, &len);
    unsigned char cipher[RSA_BITS / 8], plain[RSA_BITS / 8];
    EVP_PKEY_CTX *ctx;
    int ok;

    if (len != BLOB_HEADER + 4 + sizeof cipher || blob[0] != SIMPLEBLOB ||
        wsman_le32_get(blob + 4) != CALG_AES_256 || wsman_le32_get(blob + BLOB_HEADER) != CALG_RSA_KEYX)
        return luaL_error(L,
                          "PSRP key exchange: the host's ENCRYPTED_SESSION_KEY is not an AES-256 SIMPLEBLOB "
                          "for a %d-bit RSA key",
                          RSA_BITS);
    for (i = 0; i < sizeof cipher; i++) /* CAPI writes it little-endian */
        cipher[i] = blob[len - 1 - i];
    ctx = k->pkey ? EVP_PKEY_CTX_new(k->pkey, NULL) : NULL;
    outlen = sizeof plain;
    ok = ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
         EVP_PKEY_decrypt(ctx, plain, &outlen, cipher, sizeof cipher) == 1 && outlen == SESSION_KEY_BYTES;
    EVP_PKEY_CTX_free(ctx);
    if (ok) {
        memcpy(k->key, plain, SESSION_KEY_BYTES);
        k->have_key = 1;
    }
    OPENSSL_cleanse(plain, sizeof plain);
    if (!ok)
        return luaL_error(L, "PSRP key exchange: the host's session key does not decrypt with our RSA key");
    return 0;
}

/* AES-256-CBC with a zero IV and PKCS#7 padding, one way or the other. */
static int aes(lua_State *L, lw_pskey *k, const unsigned char *in, size_t len, int encrypt, wsman_buf_t *out)
{
    static const unsigned char iv[AES_BLOCK];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, ok;

    if (!k->have_key) {
        EVP_CIPHER_CTX_free(ctx);
        return luaL_error(L, "SecureString: no session key yet (the key exchange has not run)");
    }
    ok = ctx && wsman_buf_reserve(out, len + AES_BLOCK) == 0 &&
         EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, k->key, iv, encrypt) == 1 &&
         EVP_CipherUpdate(ctx, (unsigned char *)out->data, &n1, in, (int)len) == 1 &&
         EVP_CipherFinal_ex(ctx, (unsigned char *)out->data + n1, &n2) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (ok)
        out->len = (size_t)(n1 + n2);
    return ok ? 0 : -1;
}

static int pskey_encrypt(lua_State *L)
{
    lw_pskey *k = luaL_checkudata(L, 1, LW_PSKEY);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    wsman_buf_t u16, out;
    int rc;

    wsman_buf_init(&u16);
    wsman_buf_init(&out);
    if (wsman_utf8_to_utf16le(&u16, text, len) != 0) {
        wsman_buf_free_secure(&u16);
        return luaL_error(L, "SecureString: the text is not UTF-8");
    }
    rc = aes(L, k, (const unsigned char *)u16.data + 2, u16.len - 2, 1, &out); /* without the BOM */
    wsman_buf_free_secure(&u16);
    if (rc != 0) {
        wsman_buf_free(&out);
        return luaL_error(L, "SecureString: encryption failed");
    }
    lua_pushlstring(L, out.data, out.len);
    wsman_buf_free(&out);
    return 1;
}

static int pskey_decrypt(lua_State *L)
{
    lw_pskey *k = luaL_checkudata(L, 1, LW_PSKEY);
    size_t len, i;
    const unsigned char *in = (const unsigned char *)luaL_checklstring(L, 2, &len);
    wsman_buf_t plain, text;
    int rc;

    wsman_buf_init(&plain);
    wsman_buf_init(&text);
    rc = aes(L, k, in, len, 0, &plain);
    for (i = 0; rc == 0 && i + 1 < plain.len; i += 2) {
        uint32_t cp = (unsigned char)plain.data[i] | (uint32_t)(unsigned char)plain.data[i + 1] << 8;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < plain.len) {
            uint32_t lo = (unsigned char)plain.data[i + 2] | (uint32_t)(unsigned char)plain.data[i + 3] << 8;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        rc = wsman_buf_put_utf8(&text, cp);
    }
    wsman_buf_free_secure(&plain);
    if (rc != 0) {
        wsman_buf_free_secure(&text);
        return luaL_error(L, "SecureString: the value does not decrypt with the session key");
    }
    lua_pushlstring(L, text.data ? text.data : "", text.len);
    wsman_buf_free_secure(&text);
    return 1;
}

void lw_pskey_register(lua_State *L)
{
    static const luaL_Reg methods[] = {{"public_blob", pskey_public_blob},
                                       {"set_session_key", pskey_set_session_key},
                                       {"encrypt", pskey_encrypt},
                                       {"decrypt", pskey_decrypt},
                                       {NULL, NULL}};

    lw_handle_register(L, LW_PSKEY, pskey_gc, methods);
}

void lw_pskey_fields(lua_State *L)
{
    lua_pushcfunction(L, l_keypair);
    lua_setfield(L, -2, "_psrp_keypair");
}
