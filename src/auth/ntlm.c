/* SPDX-License-Identifier: MIT */
/*
 * ntlm.c - NTLMv2 client (MS-NLMP) with extended session security, key exchange, MIC and
 * channel binding; sealing/signing of WinRM messages; the "Negotiate" mechanism of auth.h.
 *
 * References: MS-NLMP 2.2.1 (messages), 2.2.2.1 (AV pairs), 2.2.2.5 (flags), 3.1.5.1.2 (client
 * AUTHENTICATE), 3.3.2 (NTLMv2), 3.4.3-3.4.5 (sealing, signing, keys); the official vectors
 * of 4.2.4 are reproduced by spec/c/test_ntlm.c.
 *
 * Secrets (the UTF-16 password, the NT hash, NTOWFv2, session keys, RC4 states) are zeroed with
 * OPENSSL_cleanse as soon as they are no longer needed and when the context is freed. The
 * password itself is never stored.
 */
#include "ntlm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

enum { NTLM_INITIAL = 0, NTLM_NEGOTIATE_SENT, NTLM_COMPLETE, NTLM_BROKEN };

/* AV pair ids (MS-NLMP 2.2.2.1) */
enum {
    AV_EOL = 0,
    AV_NB_COMPUTER = 1,
    AV_NB_DOMAIN = 2,
    AV_FLAGS = 6,
    AV_TIMESTAMP = 7,
    AV_TARGET_NAME = 9,
    AV_CHANNEL_BINDINGS = 10
};
#define AV_FLAG_MIC 0x2u

#define NTLM_SIG "NTLMSSP" /* + its NUL: 8 bytes */
#define NEGOTIATE_LEN 40u
#define AUTH_HEADER_LEN 72u /* without the MIC field */
#define AUTH_MIC_OFFSET 72u
#define MAX_FIELD 0xffffu

struct wsman_ntlm {
    int state;
    unsigned char response_key[16];                   /* NTOWFv2: password-equivalent */
    unsigned char *user, *domain, *workstation, *spn; /* UTF-16LE, no NUL */
    size_t user_len, domain_len, workstation_len, spn_len;
    char *display_user; /* UTF-8, for messages */
    unsigned char *cbt; /* channel binding application data (mechanism interface) */
    size_t cbt_len;
    int have_cbt;
    wsman_buf_t negotiate; /* the NEGOTIATE sent, for the MIC */
    uint32_t flags;
    unsigned char exported[16];
    unsigned char sign_out[16], sign_in[16];
    wsman_rc4_t seal_out, seal_in;
    uint32_t seq_out, seq_in;
};

/* Version: 10.0.17763, NTLMSSP_REVISION_W2K3 (15). Informational only. */
static const unsigned char default_version[8] = {10, 0, 0x63, 0x45, 0, 0, 0, 0x0f};

static const char c2s_sign[] = "session key to client-to-server signing key magic constant";
static const char s2c_sign[] = "session key to server-to-client signing key magic constant";
static const char c2s_seal[] = "session key to client-to-server sealing key magic constant";
static const char s2c_seal[] = "session key to server-to-client sealing key magic constant";

/* ---- little helpers --------------------------------------------------------------------- */

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
    p[2] = (unsigned char)(v >> 16 & 0xff);
    p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i) & 0xff);
}

typedef struct part {
    const void *p;
    size_t n;
} part_t;

/* HMAC-MD5 over the concatenation of parts (OpenSSL default provider). */
static int hmac_md5(const unsigned char *key, size_t keylen, const part_t *parts, size_t nparts,
                    unsigned char out[16])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];
    size_t i, outl = 0;
    int ok = ctx != NULL;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"MD5", 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = ok && EVP_MAC_init(ctx, key, keylen, params) == 1;
    for (i = 0; ok && i < nparts; i++)
        ok = parts[i].n == 0 || EVP_MAC_update(ctx, parts[i].p, parts[i].n) == 1;
    ok = ok && EVP_MAC_final(ctx, out, &outl, 16) == 1 && outl == 16;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok ? 0 : -1;
}

static int md5(const part_t *parts, size_t nparts, unsigned char out[16])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int outl = 0;
    size_t i;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;

    for (i = 0; ok && i < nparts; i++)
        ok = parts[i].n == 0 || EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, out, &outl) == 1 && outl == 16;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

static int crypto_failed(wsman_error_t *e, const char *what)
{
    wsman_error_set(e, WSMAN_E_SEC_UNSUPPORTED_FUNCTION,
                    "NTLM: %s failed in OpenSSL (is MD5/HMAC-MD5 available from the default provider?).",
                    what);
    return -1;
}

/* Upper-cases one UTF-16 code unit: ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic
 * (the ranges user names use in practice); other code units are kept. */
static uint16_t upcase16(uint16_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint16_t)(c - 32);
    if (c < 0xe0)
        return c;
    if (c <= 0xfe)
        return c == 0xf7 ? c : (uint16_t)(c - 32);
    if (c == 0xff)
        return 0x178;
    if (c >= 0x100 && c <= 0x137 && c != 0x131)
        return (uint16_t)(c & ~1u);
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return (c & 1u) ? c : (uint16_t)(c - 1);
    if (c >= 0x14a && c <= 0x177)
        return (uint16_t)(c & ~1u);
    if (c >= 0x3b1 && c <= 0x3cb && c != 0x3c2)
        return (uint16_t)(c - 32);
    if (c == 0x3ac)
        return 0x386;
    if (c >= 0x3ad && c <= 0x3af)
        return (uint16_t)(c - 37);
    if (c == 0x3cc)
        return 0x38c;
    if (c == 0x3cd || c == 0x3ce)
        return (uint16_t)(c - 63);
    if (c >= 0x430 && c <= 0x44f)
        return (uint16_t)(c - 32);
    if (c >= 0x450 && c <= 0x45f)
        return (uint16_t)(c - 80);
    return c;
}

typedef enum utf16_result {
    UTF16_OK = 0,
    UTF16_NO_MEMORY,
    UTF16_INVALID /* the input is not valid UTF-8 */
} utf16_result_t;

/* UTF-8 (n bytes) -> malloc'ed UTF-16LE without BOM. The intermediate buffer is zeroed (the
 * password goes through here). */
static utf16_result_t to_utf16(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
    wsman_buf_t b;
    unsigned char *p;
    size_t len;

    *out = NULL;
    *outlen = 0;
    wsman_buf_init(&b);
    if (n > (SIZE_MAX - 3) / 2 || wsman_buf_reserve(&b, n * 2 + 2) != 0)
        return UTF16_NO_MEMORY;
    if (wsman_utf8_to_utf16le(&b, s, n) != 0) {
        wsman_buf_free_secure(&b);
        return UTF16_INVALID;
    }
    len = b.len - 2; /* BOM */
    p = malloc(len ? len : 1);
    if (!p) {
        wsman_buf_free_secure(&b);
        return UTF16_NO_MEMORY;
    }
    memcpy(p, b.data + 2, len);
    wsman_buf_free_secure(&b);
    *out = p;
    *outlen = len;
    return UTF16_OK;
}

/* NTOWFv2 from UTF-16LE password, user (as given) and domain. */
static int ntowfv2_16(const unsigned char *pw, size_t pwlen, const unsigned char *user, size_t ulen,
                      const unsigned char *dom, size_t dlen, unsigned char out[16])
{
    unsigned char nt_hash[16];
    unsigned char *up = malloc(ulen ? ulen : 1);
    part_t parts[2];
    size_t i;
    int rc;

    if (!up)
        return -1;
    for (i = 0; i + 1 < ulen; i += 2)
        put16(up + i, upcase16(get16(user + i)));
    wsman_md4(pw, pwlen, nt_hash);
    parts[0].p = up;
    parts[0].n = ulen;
    parts[1].p = dom;
    parts[1].n = dlen;
    rc = hmac_md5(nt_hash, 16, parts, 2, out);
    OPENSSL_cleanse(nt_hash, sizeof nt_hash);
    free(up);
    return rc;
}

int wsman_ntlm_ntowfv2(const char *password, const char *user, const char *domain, unsigned char out[16])
{
    unsigned char *pw = NULL, *u = NULL, *d = NULL;
    size_t pwlen = 0, ulen = 0, dlen = 0;
    int rc = -1;

    if (!password)
        password = "";
    if (!user)
        user = "";
    if (!domain)
        domain = "";
    if (to_utf16(password, strlen(password), &pw, &pwlen) == UTF16_OK &&
        to_utf16(user, strlen(user), &u, &ulen) == UTF16_OK &&
        to_utf16(domain, strlen(domain), &d, &dlen) == UTF16_OK)
        rc = ntowfv2_16(pw, pwlen, u, ulen, d, dlen, out);
    wsman_secure_free_n(pw, pwlen);
    free(u);
    free(d);
    return rc;
}

int wsman_ntlm_v2_response(const unsigned char response_key[16], const unsigned char server_challenge[8],
                           const unsigned char client_challenge[8], uint64_t filetime,
                           const unsigned char *target_info, size_t target_info_len, wsman_buf_t *nt_response,
                           unsigned char lm_response[24], unsigned char session_base_key[16])
{
    unsigned char head[28], proof[16];
    static const unsigned char zero4[4] = {0, 0, 0, 0};
    part_t parts[4];
    size_t start = nt_response->len;

    memset(head, 0, sizeof head);
    head[0] = 1; /* RespType */
    head[1] = 1; /* HiRespType */
    put64(head + 8, filetime);
    memcpy(head + 16, client_challenge, 8);
    /* temp = head(28) || target_info || Z(4) */
    parts[0].p = server_challenge;
    parts[0].n = 8;
    parts[1].p = head;
    parts[1].n = sizeof head;
    parts[2].p = target_info;
    parts[2].n = target_info_len;
    parts[3].p = zero4;
    parts[3].n = 4;
    if (hmac_md5(response_key, 16, parts, 4, proof) != 0)
        return -1;
    if (wsman_buf_append(nt_response, proof, 16) != 0 ||
        wsman_buf_append(nt_response, head, sizeof head) != 0 ||
        wsman_buf_append(nt_response, target_info, target_info_len) != 0 ||
        wsman_buf_append(nt_response, zero4, 4) != 0) {
        nt_response->len = start;
        if (nt_response->data)
            nt_response->data[start] = '\0';
        return -1;
    }
    parts[1].p = client_challenge;
    parts[1].n = 8;
    if (hmac_md5(response_key, 16, parts, 2, lm_response) != 0)
        return -1;
    memcpy(lm_response + 16, client_challenge, 8);
    parts[0].p = proof;
    parts[0].n = 16;
    if (hmac_md5(response_key, 16, parts, 1, session_base_key) != 0)
        return -1;
    OPENSSL_cleanse(proof, sizeof proof);
    return 0;
}

int wsman_ntlm_derive_keys(const unsigned char exported_session_key[16], uint32_t flags, wsman_ntlm_keys_t *k)
{
    size_t seal_base = (flags & WSMAN_NTLM_128) ? 16 : (flags & WSMAN_NTLM_56) ? 7 : 5;
    part_t parts[2];

    parts[0].p = exported_session_key;
    parts[0].n = 16;
    parts[1].p = c2s_sign;
    parts[1].n = sizeof c2s_sign; /* with the NUL */
    if (md5(parts, 2, k->client_sign) != 0)
        return -1;
    parts[1].p = s2c_sign;
    parts[1].n = sizeof s2c_sign;
    if (md5(parts, 2, k->server_sign) != 0)
        return -1;
    parts[0].n = seal_base;
    parts[1].p = c2s_seal;
    parts[1].n = sizeof c2s_seal;
    if (md5(parts, 2, k->client_seal) != 0)
        return -1;
    parts[1].p = s2c_seal;
    parts[1].n = sizeof s2c_seal;
    return md5(parts, 2, k->server_seal);
}

int wsman_ntlm_channel_bindings_hash(const unsigned char *appdata, size_t len, unsigned char out[16])
{
    unsigned char head[20];
    part_t parts[2];

    if (len > UINT32_MAX)
        return -1;
    memset(head, 0, sizeof head);
    put32(head + 16, (uint32_t)len);
    parts[0].p = head;
    parts[0].n = sizeof head;
    parts[1].p = appdata;
    parts[1].n = len;
    return md5(parts, 2, out);
}

static uint64_t filetime_now(void)
{
    struct timespec ts;

    if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
        return 0;
    return ((uint64_t)ts.tv_sec + 11644473600u) * 10000000u + (uint64_t)ts.tv_nsec / 100u;
}

/* ---- context ------------------------------------------------------------------------------ */

static void clear_session(wsman_ntlm_t *c)
{
    OPENSSL_cleanse(c->exported, sizeof c->exported);
    OPENSSL_cleanse(c->sign_out, sizeof c->sign_out);
    OPENSSL_cleanse(c->sign_in, sizeof c->sign_in);
    wsman_rc4_clear(&c->seal_out);
    wsman_rc4_clear(&c->seal_in);
    c->seq_out = c->seq_in = 0;
    c->flags = 0;
    wsman_buf_free(&c->negotiate);
    c->state = NTLM_INITIAL;
}

void wsman_ntlm_reset(wsman_ntlm_t *c)
{
    if (c)
        clear_session(c);
}

void wsman_ntlm_free(wsman_ntlm_t *c)
{
    if (!c)
        return;
    clear_session(c);
    OPENSSL_cleanse(c->response_key, sizeof c->response_key);
    free(c->user);
    free(c->domain);
    free(c->workstation);
    free(c->spn);
    free(c->display_user);
    wsman_secure_free_n(c->cbt, c->cbt_len);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

static int set_utf16(unsigned char **dst, size_t *dlen, const char *s, size_t n, const char *what,
                     wsman_error_t *e)
{
    unsigned char *p;
    size_t len;
    utf16_result_t rc = to_utf16(s, n, &p, &len);

    if (rc == UTF16_NO_MEMORY)
        return wsman_error_oom(e, "authenticating with NTLM");
    if (rc == UTF16_INVALID) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "NTLM: the %s is not valid UTF-8.", what);
        return -1;
    }
    if (len > MAX_FIELD) {
        free(p);
        wsman_error_set(e, WSMAN_E_INVALIDARG, "NTLM: the %s is too long.", what);
        return -1;
    }
    free(*dst);
    *dst = p;
    *dlen = len;
    return 0;
}

int wsman_ntlm_set_spn(wsman_ntlm_t *c, const char *spn, wsman_error_t *e)
{
    if (!spn || !*spn) {
        free(c->spn);
        c->spn = NULL;
        c->spn_len = 0;
        return 0;
    }
    return set_utf16(&c->spn, &c->spn_len, spn, strlen(spn), "SPN", e);
}

wsman_ntlm_t *wsman_ntlm_new(const char *username, const char *password, const char *host,
                             const char *workstation, wsman_error_t *e)
{
    wsman_ntlm_t *c;
    const char *user, *bs;
    unsigned char *pw = NULL;
    size_t pwlen = 0;
    int rc;

    if (!username || !*username) {
        wsman_error_set(e, WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED,
                        "NTLM authentication needs a user name (DOMAIN\\user, user@domain or user) and "
                        "password.");
        return NULL;
    }
    bs = strchr(username, '\\');
    user = bs ? bs + 1 : username;
    if (!*user) {
        wsman_error_set(e, WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED,
                        "NTLM: the user name \"%s\" has a domain but no user.", username);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        wsman_error_oom(e, "authenticating with NTLM");
        return NULL;
    }
    wsman_buf_init(&c->negotiate);
    c->display_user = wsman_strdup(username);
    if (!c->display_user) {
        wsman_error_oom(e, "authenticating with NTLM");
        goto fail;
    }
    /* DOMAIN\user: domain + user; user@domain (UPN) and user: whole name, empty domain. */
    if (set_utf16(&c->user, &c->user_len, user, strlen(user), "user name", e) != 0 ||
        set_utf16(&c->domain, &c->domain_len, username, bs ? (size_t)(bs - username) : 0, "domain name", e) !=
            0)
        goto fail;
    if (workstation && *workstation &&
        set_utf16(&c->workstation, &c->workstation_len, workstation, strlen(workstation), "workstation name",
                  e) != 0)
        goto fail;
    if (host && *host) {
        wsman_buf_t spn;
        wsman_buf_init(&spn);
        if (wsman_buf_printf(&spn, "HTTP/%s", host) != 0) {
            wsman_error_oom(e, "authenticating with NTLM");
            goto fail;
        }
        rc = wsman_ntlm_set_spn(c, spn.data, e);
        wsman_buf_free(&spn);
        if (rc != 0)
            goto fail;
    }
    if (!password)
        password = "";
    switch (to_utf16(password, strlen(password), &pw, &pwlen)) {
    case UTF16_OK:
        break;
    case UTF16_NO_MEMORY:
        wsman_error_oom(e, "authenticating with NTLM");
        goto fail;
    case UTF16_INVALID:
        wsman_error_set(e, WSMAN_E_INVALIDARG, "NTLM: the password is not valid UTF-8.");
        goto fail;
    }
    rc = ntowfv2_16(pw, pwlen, c->user, c->user_len, c->domain, c->domain_len, c->response_key);
    wsman_secure_free_n(pw, pwlen);
    if (rc != 0) {
        crypto_failed(e, "NTOWFv2");
        goto fail;
    }
    return c;
fail:
    wsman_ntlm_free(c);
    return NULL;
}

int wsman_ntlm_complete(const wsman_ntlm_t *c)
{
    return c && c->state == NTLM_COMPLETE;
}

uint32_t wsman_ntlm_flags(const wsman_ntlm_t *c)
{
    return c && (c->state == NTLM_COMPLETE || c->state == NTLM_BROKEN) ? c->flags : 0;
}

int wsman_ntlm_negotiate(wsman_ntlm_t *c, wsman_buf_t *out, wsman_error_t *e)
{
    unsigned char m[NEGOTIATE_LEN];

    clear_session(c);
    memset(m, 0, sizeof m);
    memcpy(m, NTLM_SIG, 8);
    put32(m + 8, 1);
    put32(m + 12, WSMAN_NTLM_CLIENT_FLAGS);
    put32(m + 20, NEGOTIATE_LEN); /* DomainNameFields: empty, offset at the payload */
    put32(m + 28, NEGOTIATE_LEN); /* WorkstationFields */
    memcpy(m + 32, default_version, 8);
    if (wsman_buf_append(&c->negotiate, m, sizeof m) != 0)
        return wsman_error_oom(e, "authenticating with NTLM");
    if (wsman_buf_append(out, m, sizeof m) != 0) {
        wsman_buf_free(&c->negotiate);
        return wsman_error_oom(e, "authenticating with NTLM");
    }
    c->state = NTLM_NEGOTIATE_SENT;
    return 0;
}

/* ---- CHALLENGE ----------------------------------------------------------------------------- */

typedef struct challenge {
    uint32_t flags;
    const unsigned char *server_challenge;
    const unsigned char *target_info;
    size_t target_info_len;
    int has_timestamp, has_nb_computer, has_nb_domain, has_flags;
    uint64_t timestamp;
} challenge_t;

static int bad_challenge(wsman_error_t *e, const char *what)
{
    wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN, "The server's NTLM CHALLENGE message is invalid: %s.",
                    what);
    return -1;
}

/* Bounds of a "Fields" triple (u16 Len, u16 MaxLen, u32 Offset) at msg + at (at + 8 <= len). */
static int field(const unsigned char *msg, size_t len, size_t at, const unsigned char **p, size_t *n)
{
    size_t flen = get16(msg + at), off = get32(msg + at + 4);

    if (off > len || flen > len - off)
        return -1;
    *p = msg + off;
    *n = flen;
    return 0;
}

static int parse_challenge(const unsigned char *m, size_t len, challenge_t *ch, wsman_error_t *e)
{
    const unsigned char *tn;
    size_t tnlen, pos = 0;
    int eol = 0;

    memset(ch, 0, sizeof *ch);
    if (len < 12 || memcmp(m, NTLM_SIG, 8) != 0)
        return bad_challenge(e, "it does not start with the NTLMSSP signature");
    if (get32(m + 8) != 2)
        return bad_challenge(e, "its message type is not 2 (CHALLENGE)");
    if (len < 48)
        return bad_challenge(e, "it is truncated (no TargetInfo fields)");
    if (field(m, len, 12, &tn, &tnlen) != 0)
        return bad_challenge(e, "the TargetName field points outside the message");
    ch->flags = get32(m + 20);
    ch->server_challenge = m + 24;
    if (field(m, len, 40, &ch->target_info, &ch->target_info_len) != 0)
        return bad_challenge(e, "the TargetInfo field points outside the message");
    if (ch->target_info_len == 0)
        return bad_challenge(e, "it has no TargetInfo (required for NTLMv2)");
    while (!eol) {
        const unsigned char *ti = ch->target_info;
        uint16_t id, alen;
        if (ch->target_info_len - pos < 4)
            return bad_challenge(e, "the TargetInfo AV pair list is truncated (no MsvAvEOL)");
        id = get16(ti + pos);
        alen = get16(ti + pos + 2);
        pos += 4;
        if (alen > ch->target_info_len - pos)
            return bad_challenge(e, "a TargetInfo AV pair runs past the end of the list");
        switch (id) {
        case AV_EOL:
            eol = 1;
            break;
        case AV_NB_COMPUTER:
            ch->has_nb_computer = 1;
            break;
        case AV_NB_DOMAIN:
            ch->has_nb_domain = 1;
            break;
        case AV_FLAGS:
            if (alen != 4)
                return bad_challenge(e, "its MsvAvFlags AV pair is not 4 bytes long");
            ch->has_flags = 1;
            break;
        case AV_TIMESTAMP:
            if (alen != 8)
                return bad_challenge(e, "its MsvAvTimestamp AV pair is not 8 bytes long");
            if (!ch->has_timestamp) {
                ch->has_timestamp = 1;
                ch->timestamp = (uint64_t)get32(ti + pos) | (uint64_t)get32(ti + pos + 4) << 32;
            }
            break;
        default:
            break;
        }
        pos += alen;
    }
    ch->target_info_len = pos; /* up to and including MsvAvEOL */
    return 0;
}

/* The client's copy of the AV pairs (MS-NLMP 3.1.5.1.2): every pair of the CHALLENGE but
 * MsvAvEOL, MsvAvTargetName and MsvAvChannelBindings; MsvAvFlags with the MIC bit (added when
 * absent); MsvAvChannelBindings (when given); MsvAvTargetName (when an SPN is set); MsvAvEOL. */
static int build_av_pairs(const wsman_ntlm_t *c, const challenge_t *ch, const unsigned char *cbt_hash,
                          wsman_buf_t *out)
{
    const unsigned char *ti = ch->target_info;
    unsigned char h[8];
    size_t pos = 0;

    while (pos + 4 <= ch->target_info_len) {
        uint16_t id = get16(ti + pos), alen = get16(ti + pos + 2);
        if (id == AV_EOL)
            break;
        if (id == AV_FLAGS) {
            put16(h, AV_FLAGS);
            put16(h + 2, 4);
            put32(h + 4, get32(ti + pos + 4) | AV_FLAG_MIC);
            if (wsman_buf_append(out, h, 8) != 0)
                return -1;
        } else if (id != AV_TARGET_NAME && id != AV_CHANNEL_BINDINGS) {
            if (wsman_buf_append(out, ti + pos, 4u + alen) != 0)
                return -1;
        }
        pos += 4u + alen;
    }
    if (!ch->has_flags) {
        put16(h, AV_FLAGS);
        put16(h + 2, 4);
        put32(h + 4, AV_FLAG_MIC);
        if (wsman_buf_append(out, h, 8) != 0)
            return -1;
    }
    if (cbt_hash) {
        put16(h, AV_CHANNEL_BINDINGS);
        put16(h + 2, 16);
        if (wsman_buf_append(out, h, 4) != 0 || wsman_buf_append(out, cbt_hash, 16) != 0)
            return -1;
    }
    if (c->spn_len) {
        put16(h, AV_TARGET_NAME);
        put16(h + 2, (uint16_t)c->spn_len);
        if (wsman_buf_append(out, h, 4) != 0 || wsman_buf_append(out, c->spn, c->spn_len) != 0)
            return -1;
    }
    memset(h, 0, 4);
    return wsman_buf_append(out, h, 4);
}

static int setup_keys(wsman_ntlm_t *c, int acceptor)
{
    wsman_ntlm_keys_t k;

    if (wsman_ntlm_derive_keys(c->exported, c->flags, &k) != 0) {
        OPENSSL_cleanse(&k, sizeof k);
        return -1;
    }
    memcpy(c->sign_out, acceptor ? k.server_sign : k.client_sign, 16);
    memcpy(c->sign_in, acceptor ? k.client_sign : k.server_sign, 16);
    wsman_rc4_init(&c->seal_out, acceptor ? k.server_seal : k.client_seal, 16);
    wsman_rc4_init(&c->seal_in, acceptor ? k.client_seal : k.server_seal, 16);
    c->seq_out = c->seq_in = 0;
    OPENSSL_cleanse(&k, sizeof k);
    return 0;
}

static void put_field(unsigned char *m, size_t at, size_t len, size_t off)
{
    put16(m + at, (uint16_t)len);
    put16(m + at + 2, (uint16_t)len);
    put32(m + at + 4, (uint32_t)off);
}

/* The CHALLENGE, checked against what the client needs; the channel binding hash when given. */
static int accept_challenge(wsman_ntlm_t *c, const unsigned char *challenge, size_t len, challenge_t *ch,
                            const unsigned char *cbt_appdata, size_t cbt_len, unsigned char cbt_hash[16],
                            wsman_error_t *e)
{
    if (c->state != NTLM_NEGOTIATE_SENT) {
        wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN,
                        "NTLM: a CHALLENGE arrived although no NEGOTIATE is outstanding on this connection.");
        return -1;
    }
    if (!challenge || parse_challenge(challenge, len, ch, e) != 0)
        return challenge ? -1 : bad_challenge(e, "it is empty");
    if (!(ch->flags & WSMAN_NTLM_UNICODE))
        return bad_challenge(e, "the server did not agree to Unicode (NTLMSSP_NEGOTIATE_UNICODE)");
    c->flags = (ch->flags & WSMAN_NTLM_CLIENT_FLAGS) | WSMAN_NTLM_REQUEST_TARGET;
    if ((c->flags & (WSMAN_NTLM_SIGN | WSMAN_NTLM_SEAL)) && !(ch->has_nb_computer && ch->has_nb_domain))
        return bad_challenge(e, "its TargetInfo lacks MsvAvNbComputerName or MsvAvNbDomainName");
    if (cbt_appdata && wsman_ntlm_channel_bindings_hash(cbt_appdata, cbt_len, cbt_hash) != 0)
        return crypto_failed(e, "MD5");
    return 0;
}

/* The NTLMv2 and LMv2 responses and the session base key (MS-NLMP 3.3.2). */
static int compute_responses(wsman_ntlm_t *c, const challenge_t *ch, const wsman_ntlm_inputs_t *in,
                             const unsigned char *cbt_hash, wsman_buf_t *nt, unsigned char lm[24],
                             unsigned char sbk[16], wsman_error_t *e)
{
    wsman_buf_t av;
    uint64_t ts = ch->has_timestamp ? ch->timestamp : in->timestamp;
    int rc;

    wsman_buf_init(&av);
    if (in->spec_form ? wsman_buf_append(&av, ch->target_info, ch->target_info_len) != 0
                      : build_av_pairs(c, ch, cbt_hash, &av) != 0) {
        wsman_buf_free(&av);
        return wsman_error_oom(e, "authenticating with NTLM");
    }
    rc = wsman_ntlm_v2_response(c->response_key, ch->server_challenge, in->client_challenge, ts,
                                (const unsigned char *)av.data, av.len, nt, lm, sbk);
    wsman_buf_free(&av);
    if (rc != 0)
        return crypto_failed(e, "HMAC-MD5");
    if (ch->has_timestamp) /* MS-NLMP 3.1.5.1.2: Z(24) when the server sent MsvAvTimestamp */
        memset(lm, 0, 24);
    if (nt->len > MAX_FIELD) {
        wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN,
                        "NTLM: the server's TargetInfo is too large for an AUTHENTICATE message.");
        return -1;
    }
    return 0;
}

/* ExportedSessionKey: with key exchange the chosen key, RC4-encrypted under KXKEY (the session base
 * key for NTLMv2, 3.4.5.1) into enc_key; else the session base key itself. Returns enc_key's length. */
static size_t choose_session_key(wsman_ntlm_t *c, const wsman_ntlm_inputs_t *in, const unsigned char sbk[16],
                                 unsigned char enc_key[16])
{
    wsman_rc4_t r;

    if (!(c->flags & WSMAN_NTLM_KEY_EXCH) || !(c->flags & (WSMAN_NTLM_SIGN | WSMAN_NTLM_SEAL))) {
        memcpy(c->exported, sbk, 16);
        return 0;
    }
    memcpy(c->exported, in->session_key, 16);
    wsman_rc4_init(&r, sbk, 16);
    wsman_rc4(&r, c->exported, enc_key, 16);
    wsman_rc4_clear(&r);
    return 16;
}

/* The AUTHENTICATE message: header, then the payload in the order of MS-NLMP 4.2.4.3: domain,
 * user, workstation, LM, NT, encrypted session key. */
static int build_authenticate(const wsman_ntlm_t *c, const wsman_ntlm_inputs_t *in,
                              const unsigned char lm[24], const wsman_buf_t *nt, const unsigned char *enc_key,
                              size_t enc_len, wsman_buf_t *msg)
{
    size_t hdr = in->spec_form ? AUTH_HEADER_LEN : AUTH_HEADER_LEN + 16, off = hdr;
    unsigned char *m;

    if (wsman_buf_reserve(msg, hdr + c->domain_len + c->user_len + c->workstation_len + 24 + nt->len + 16) !=
        0)
        return -1;
    m = (unsigned char *)msg->data;
    memset(m, 0, hdr);
    memcpy(m, NTLM_SIG, 8);
    put32(m + 8, 3);
    put_field(m, 28, c->domain_len, off);
    off += c->domain_len;
    put_field(m, 36, c->user_len, off);
    off += c->user_len;
    put_field(m, 44, c->workstation_len, off);
    off += c->workstation_len;
    put_field(m, 12, 24, off);
    off += 24;
    put_field(m, 20, nt->len, off);
    off += nt->len;
    put_field(m, 52, enc_len, off);
    put32(m + 60, c->flags);
    if (c->flags & WSMAN_NTLM_VERSION)
        memcpy(m + 64, in->version ? in->version : default_version, 8);
    msg->len = hdr;
    /* cannot fail: reserved above */
    wsman_buf_append(msg, c->domain, c->domain_len);
    wsman_buf_append(msg, c->user, c->user_len);
    wsman_buf_append(msg, c->workstation, c->workstation_len);
    wsman_buf_append(msg, lm, 24);
    wsman_buf_append(msg, nt->data, nt->len);
    wsman_buf_append(msg, enc_key, enc_len);
    return 0;
}

/* The MIC: HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with a zero MIC). */
static int add_mic(const wsman_ntlm_t *c, const unsigned char *challenge, size_t len, wsman_buf_t *msg)
{
    unsigned char mic[16];
    part_t parts[3];

    parts[0].p = c->negotiate.data;
    parts[0].n = c->negotiate.len;
    parts[1].p = challenge;
    parts[1].n = len;
    parts[2].p = msg->data;
    parts[2].n = msg->len;
    if (hmac_md5(c->exported, 16, parts, 3, mic) != 0)
        return -1;
    memcpy(msg->data + AUTH_MIC_OFFSET, mic, 16);
    return 0;
}

int wsman_ntlm_authenticate_with(wsman_ntlm_t *c, const unsigned char *challenge, size_t len,
                                 const unsigned char *cbt_appdata, size_t cbt_len,
                                 const wsman_ntlm_inputs_t *in, wsman_buf_t *out, wsman_error_t *e)
{
    challenge_t ch;
    wsman_buf_t nt, msg;
    unsigned char lm[24], sbk[16], enc_key[16], cbt_hash[16];
    size_t enc_len;
    int rc = -1;

    if (accept_challenge(c, challenge, len, &ch, cbt_appdata, cbt_len, cbt_hash, e) != 0)
        return -1;
    wsman_buf_init(&nt);
    wsman_buf_init(&msg);
    if (compute_responses(c, &ch, in, cbt_appdata ? cbt_hash : NULL, &nt, lm, sbk, e) != 0)
        goto done;
    enc_len = choose_session_key(c, in, sbk, enc_key);
    if (build_authenticate(c, in, lm, &nt, enc_key, enc_len, &msg) != 0) {
        wsman_error_oom(e, "authenticating with NTLM");
        goto done;
    }
    if (!in->spec_form && add_mic(c, challenge, len, &msg) != 0) {
        crypto_failed(e, "HMAC-MD5");
        goto done;
    }
    if (setup_keys(c, 0) != 0) {
        crypto_failed(e, "MD5");
        goto done;
    }
    if (wsman_buf_append(out, msg.data, msg.len) != 0) {
        wsman_error_oom(e, "authenticating with NTLM");
        goto done;
    }
    c->state = NTLM_COMPLETE;
    rc = 0;
done:
    if (rc != 0)
        clear_session(c);
    OPENSSL_cleanse(sbk, sizeof sbk);
    OPENSSL_cleanse(enc_key, sizeof enc_key);
    OPENSSL_cleanse(lm, sizeof lm);
    wsman_buf_free_secure(&nt);
    wsman_buf_free_secure(&msg);
    return rc;
}

int wsman_ntlm_authenticate(wsman_ntlm_t *c, const unsigned char *challenge, size_t len,
                            const unsigned char *cbt_appdata, size_t cbt_len, wsman_buf_t *out,
                            wsman_error_t *e)
{
    wsman_ntlm_inputs_t in;
    int rc;

    memset(&in, 0, sizeof in);
    in.timestamp = filetime_now();
    if (RAND_bytes(in.client_challenge, sizeof in.client_challenge) != 1 ||
        RAND_bytes(in.session_key, sizeof in.session_key) != 1)
        return crypto_failed(e, "RAND_bytes");
    rc = wsman_ntlm_authenticate_with(c, challenge, len, cbt_appdata, cbt_len, &in, out, e);
    OPENSSL_cleanse(&in, sizeof in);
    return rc;
}

wsman_ntlm_t *wsman_ntlm_new_established(const unsigned char exported_session_key[16], uint32_t flags,
                                         int acceptor, wsman_error_t *e)
{
    wsman_ntlm_t *c = calloc(1, sizeof *c);

    if (!c) {
        wsman_error_oom(e, "authenticating with NTLM");
        return NULL;
    }
    wsman_buf_init(&c->negotiate);
    memcpy(c->exported, exported_session_key, 16);
    c->flags = flags;
    if (setup_keys(c, acceptor) != 0) {
        wsman_ntlm_free(c);
        crypto_failed(e, "MD5");
        return NULL;
    }
    c->state = NTLM_COMPLETE;
    return c;
}

/* ---- sign / seal ---------------------------------------------------------------------------- */

static int seq_exhausted(wsman_error_t *e)
{
    wsman_error_set(e, WSMAN_E_SEC_OUT_OF_SEQUENCE,
                    "NTLM: the message sequence numbers of this connection are exhausted; re-authenticate.");
    return -1;
}

/* Checks that c can sign/seal (need_seal) a message with sequence number seq. */
static int usable(const wsman_ntlm_t *c, int need_seal, uint32_t seq, wsman_error_t *e)
{
    if (c->state == NTLM_BROKEN) {
        wsman_error_set(e, WSMAN_E_SEC_MESSAGE_ALTERED,
                        "NTLM: the security context is no longer usable after a message failed "
                        "verification; re-authenticate on a new connection.");
        return -1;
    }
    if (c->state != NTLM_COMPLETE) {
        wsman_error_set(e, WSMAN_E_SEC_UNSUPPORTED_FUNCTION,
                        "NTLM: messages cannot be signed or sealed before authentication completed.");
        return -1;
    }
    if (!(c->flags & WSMAN_NTLM_ESS)) {
        wsman_error_set(e, WSMAN_E_SEC_UNSUPPORTED_FUNCTION,
                        "NTLM: the server did not agree to extended session security, which message "
                        "signing and encryption need.");
        return -1;
    }
    if (need_seal && !(c->flags & WSMAN_NTLM_SEAL)) {
        wsman_error_set(e, WSMAN_E_SEC_UNSUPPORTED_FUNCTION,
                        "NTLM: the server did not agree to message encryption (sealing); use HTTPS, or "
                        "allow unencrypted traffic.");
        return -1;
    }
    if (seq == UINT32_MAX)
        return seq_exhausted(e);
    return 0;
}

/* NTLMSSP_MESSAGE_SIGNATURE with ESS (MS-NLMP 3.4.4.2). */
static int mac(const wsman_ntlm_t *c, wsman_rc4_t *handle, const unsigned char sign_key[16], uint32_t seq,
               const unsigned char *msg, size_t len, unsigned char sig[16])
{
    unsigned char seqb[4], h[16];
    part_t parts[2];

    put32(seqb, seq);
    parts[0].p = seqb;
    parts[0].n = 4;
    parts[1].p = msg;
    parts[1].n = len;
    if (hmac_md5(sign_key, 16, parts, 2, h) != 0)
        return -1;
    put32(sig, 1);
    memcpy(sig + 4, h, 8);
    if (c->flags & WSMAN_NTLM_KEY_EXCH)
        wsman_rc4(handle, sig + 4, sig + 4, 8);
    put32(sig + 12, seq);
    OPENSSL_cleanse(h, sizeof h);
    return 0;
}

int wsman_ntlm_wrap(wsman_ntlm_t *c, const unsigned char *plain, size_t len,
                    unsigned char sig[WSMAN_NTLM_SIGNATURE_LEN], wsman_buf_t *cipher, wsman_error_t *e)
{
    unsigned char *dst;

    if (usable(c, 1, c->seq_out, e) != 0)
        return -1;
    if (wsman_buf_reserve(cipher, len) != 0)
        return wsman_error_oom(e, "authenticating with NTLM");
    dst = (unsigned char *)cipher->data + cipher->len;
    /* Seal, then sign (MS-NLMP 3.4.3): the MAC is over the plaintext (which must not overlap
     * cipher), its checksum RC4'd with the same handle after the message. */
    wsman_rc4(&c->seal_out, plain, dst, len);
    if (mac(c, &c->seal_out, c->sign_out, c->seq_out, plain, len, sig) != 0) {
        c->state = NTLM_BROKEN;
        OPENSSL_cleanse(dst, len);
        return crypto_failed(e, "HMAC-MD5");
    }
    cipher->len += len;
    cipher->data[cipher->len] = '\0';
    c->seq_out++;
    return 0;
}

static int check_sig(wsman_ntlm_t *c, const unsigned char *msg, size_t len, const unsigned char *sig,
                     size_t siglen, wsman_error_t *e)
{
    unsigned char expect[16];
    int rc = 0;

    if (mac(c, &c->seal_in, c->sign_in, c->seq_in, msg, len, expect) != 0) {
        c->state = NTLM_BROKEN;
        return crypto_failed(e, "HMAC-MD5");
    }
    if (siglen != WSMAN_NTLM_SIGNATURE_LEN || get32(sig) != 1) {
        wsman_error_set(e, WSMAN_E_SEC_MESSAGE_ALTERED,
                        "NTLM: the server's message signature is malformed (%zu bytes, version %lu; expected "
                        "16 bytes, version 1).",
                        siglen, siglen >= 4 ? (unsigned long)get32(sig) : 0ul);
        rc = -1;
    } else if (CRYPTO_memcmp(expect + 4, sig + 4, 8) != 0) {
        wsman_error_set(e, WSMAN_E_SEC_MESSAGE_ALTERED,
                        "NTLM: the server's message signature does not match (sequence number %lu): the "
                        "message was altered, or the security context is out of step.",
                        (unsigned long)c->seq_in);
        rc = -1;
    } else if (get32(sig + 12) != c->seq_in) {
        wsman_error_set(e, WSMAN_E_SEC_OUT_OF_SEQUENCE,
                        "NTLM: the server's message has sequence number %lu, expected %lu.",
                        (unsigned long)get32(sig + 12), (unsigned long)c->seq_in);
        rc = -1;
    }
    OPENSSL_cleanse(expect, sizeof expect);
    if (rc != 0)
        c->state = NTLM_BROKEN;
    else
        c->seq_in++;
    return rc;
}

int wsman_ntlm_unwrap(wsman_ntlm_t *c, const unsigned char *sig, size_t siglen, const unsigned char *cipher,
                      size_t len, wsman_buf_t *plain, wsman_error_t *e)
{
    unsigned char *dst;

    if (usable(c, 1, c->seq_in, e) != 0)
        return -1;
    if (wsman_buf_reserve(plain, len) != 0)
        return wsman_error_oom(e, "authenticating with NTLM");
    dst = (unsigned char *)plain->data + plain->len;
    wsman_rc4(&c->seal_in, cipher, dst, len);
    if (check_sig(c, dst, len, sig, siglen, e) != 0) {
        OPENSSL_cleanse(dst, len);
        plain->data[plain->len] = '\0';
        return -1;
    }
    plain->len += len;
    plain->data[plain->len] = '\0';
    return 0;
}

int wsman_ntlm_sign(wsman_ntlm_t *c, const unsigned char *msg, size_t len,
                    unsigned char sig[WSMAN_NTLM_SIGNATURE_LEN], wsman_error_t *e)
{
    if (usable(c, 0, c->seq_out, e) != 0)
        return -1;
    if (mac(c, &c->seal_out, c->sign_out, c->seq_out, msg, len, sig) != 0) {
        c->state = NTLM_BROKEN;
        return crypto_failed(e, "HMAC-MD5");
    }
    c->seq_out++;
    return 0;
}

int wsman_ntlm_verify(wsman_ntlm_t *c, const unsigned char *msg, size_t len, const unsigned char *sig,
                      size_t siglen, wsman_error_t *e)
{
    if (usable(c, 0, c->seq_in, e) != 0)
        return -1;
    return check_sig(c, msg, len, sig, siglen, e);
}

/* ---- auth.h mechanism: "Negotiate" with raw NTLMSSP tokens ---------------------------------- */

static void *mech_create(const wsman_credentials_t *creds, const char *host, wsman_error_t *e)
{
    return wsman_ntlm_new(creds ? creds->username : NULL, creds ? creds->password : NULL, host, NULL, e);
}

/* The token of a WWW-Authenticate value: "Negotiate <b64>", or the bare base64. */
static const char *challenge_token(const char *v)
{
    static const char scheme[] = "Negotiate";
    size_t n = sizeof scheme - 1;

    if (!v)
        return "";
    while (*v == ' ' || *v == '\t')
        v++;
    if (strlen(v) >= n) {
        size_t i;
        int same = 1;
        for (i = 0; i < n && same; i++) /* scheme names are case-insensitive (letters only) */
            same = (v[i] | 0x20) == (scheme[i] | 0x20);
        if (same && (v[n] == '\0' || v[n] == ' ' || v[n] == '\t')) {
            v += n;
            while (*v == ' ' || *v == '\t')
                v++;
        }
    }
    return v;
}

static int mech_step(void *st, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e)
{
    wsman_ntlm_t *c = st;
    const char *tok = challenge_token(challenge);
    wsman_buf_t in, msg;
    int rc;

    *done = 0;
    if (c->state == NTLM_COMPLETE || c->state == NTLM_BROKEN) {
        wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                        "The server rejected the NTLM (Negotiate) credentials of user \"%s\": check the user "
                        "name (DOMAIN\\user or user@domain), the password, and that the account may use "
                        "WinRM on this host.",
                        c->display_user ? c->display_user : "");
        return -1;
    }
    wsman_buf_init(&msg);
    if (!*tok) {
        if (c->state == NTLM_NEGOTIATE_SENT) {
            wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                            "The server refused the NTLM NEGOTIATE message (401 without a CHALLENGE): "
                            "NTLM may be disabled on the host.");
            return -1;
        }
        if (wsman_ntlm_negotiate(c, &msg, e) != 0)
            return -1;
    } else {
        if (c->state != NTLM_NEGOTIATE_SENT) {
            wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN,
                            "NTLM: the server sent a Negotiate token before the client's NEGOTIATE.");
            return -1;
        }
        wsman_buf_init(&in);
        if (wsman_base64_decode(&in, tok, strlen(tok)) != 0) {
            wsman_buf_free(&in);
            wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN,
                            "The server's Negotiate token is not valid base64.");
            return -1;
        }
        if (in.len < 8 || memcmp(in.data, NTLM_SIG, 8) != 0) {
            wsman_buf_free(&in);
            wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN,
                            "The server answered the NTLM NEGOTIATE with a token that is not NTLM (a SPNEGO "
                            "or Kerberos token?).");
            return -1;
        }
        rc = wsman_ntlm_authenticate(c, (const unsigned char *)in.data, in.len, c->have_cbt ? c->cbt : NULL,
                                     c->cbt_len, &msg, e);
        wsman_buf_free(&in);
        if (rc != 0)
            return -1;
        *done = 1;
    }
    wsman_buf_reset(header_value);
    rc = wsman_buf_puts(header_value, "Negotiate ") != 0 ||
                 wsman_base64_encode(header_value, (const unsigned char *)msg.data, msg.len) != 0
             ? wsman_error_oom(e, "authenticating with NTLM")
             : 0;
    wsman_buf_free_secure(&msg);
    return rc;
}

static int mech_header(void *st, wsman_buf_t *header_value, wsman_error_t *e)
{
    (void)st;
    (void)header_value;
    (void)e;
    return 0; /* connection-authenticated */
}

static void mech_reset(void *st)
{
    wsman_ntlm_reset(st);
}

static void mech_destroy(void *st)
{
    wsman_ntlm_free(st);
}

static int mech_wrap(void *st, const unsigned char *plain, size_t len, wsman_buf_t *header, wsman_buf_t *data,
                     size_t *length_field, wsman_error_t *e)
{
    unsigned char sig[WSMAN_NTLM_SIGNATURE_LEN];

    if (wsman_buf_reserve(header, sizeof sig) != 0)
        return wsman_error_oom(e, "authenticating with NTLM");
    if (wsman_ntlm_wrap(st, plain, len, sig, data, e) != 0)
        return -1;
    wsman_buf_append(header, sig, sizeof sig); /* reserved: cannot fail */
    *length_field = len;
    return 0;
}

static int mech_unwrap(void *st, const unsigned char *header, size_t header_len, const unsigned char *data,
                       size_t data_len, wsman_buf_t *plain, wsman_error_t *e)
{
    return wsman_ntlm_unwrap(st, header, header_len, data, data_len, plain, e);
}

static int mech_set_cbt(void *st, const unsigned char *appdata, size_t len, wsman_error_t *e)
{
    wsman_ntlm_t *c = st;
    unsigned char *p = NULL;

    if (appdata && !(p = wsman_memdup(appdata, len)))
        return wsman_error_oom(e, "authenticating with NTLM");
    wsman_secure_free_n(c->cbt, c->cbt_len);
    c->cbt = p;
    c->cbt_len = appdata ? len : 0;
    c->have_cbt = appdata != NULL;
    return 0;
}

const wsman_auth_mech_t wsman_auth_ntlm = {
    .name = "Negotiate",
    .create = mech_create,
    .step = mech_step,
    .header = mech_header,
    .reset = mech_reset,
    .destroy = mech_destroy,
    .encrypt_protocol = "application/HTTP-SPNEGO-session-encrypted",
    .wrap = mech_wrap,
    .unwrap = mech_unwrap,
    .set_channel_bindings = mech_set_cbt,
    .flags = WSMAN_MECH_CONNECTION,
};
