/* SPDX-License-Identifier: MIT */
/*
 * encrypt.c - MS-WSMV 2.2.9.1 multipart/encrypted framing, generic over a mechanism's
 * wrap/unwrap, and the RFC 5929 channel-binding data.
 *
 * Body of one encrypted part pair (byte-exact as Windows, pypsrp and pywinrm send it):
 *   "--Encrypted Boundary\r\n"
 *   "\tContent-Type: <protocol>\r\n"
 *   "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<n>\r\n"
 *   "--Encrypted Boundary\r\n"
 *   "\tContent-Type: application/octet-stream\r\n"
 *   u32le(header length) header data
 * and once at the end "--Encrypted Boundary--\r\n" (right after the data).
 *
 * The parser never reads outside [body, body + len) and checks every size for overflow.
 */
#include "encrypt.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

static int bad(wsman_error_t *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int bad(wsman_error_t *e, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wsman_error_set(e, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE,
                    "The server's encrypted reply is malformed: %s.", msg);
    return -1;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive equality of s[0..n) and the NUL-terminated t. */
static int ieq(const char *s, size_t n, const char *t)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (t[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)t[i]))
            return 0;
    return t[n] == '\0';
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims spaces/tabs (and a CR) from both ends of s[*a..*b). */
static void trim(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && is_ws(s[*a]))
        (*a)++;
    while (*b > *a && (is_ws(s[*b - 1]) || s[*b - 1] == '\r'))
        (*b)--;
}

int wsman_encryptor_from_mech(wsman_encryptor_t *enc, const wsman_auth_mech_t *mech, void *state,
                              wsman_error_t *e)
{
    memset(enc, 0, sizeof *enc);
    if (!mech || !mech->wrap || !mech->unwrap || !mech->encrypt_protocol) {
        wsman_error_set(e, WSMAN_E_CLIENT_UNENCRYPTED_DISABLED,
                        "The %s authentication mechanism cannot encrypt messages; use HTTPS.",
                        mech && mech->name ? mech->name : "selected");
        return -1;
    }
    enc->protocol = mech->encrypt_protocol;
    enc->wrap = mech->wrap;
    enc->unwrap = mech->unwrap;
    enc->state = state;
    enc->max_chunk =
        strcmp(mech->encrypt_protocol, WSMAN_ENCRYPT_PROTOCOL_CREDSSP) == 0 ? WSMAN_CREDSSP_CHUNK : 0;
    return 0;
}

/* ---- building ------------------------------------------------------------------------------- */

int wsman_encrypt_message(const wsman_encryptor_t *enc, const char *plain, size_t len, const char *charset,
                          wsman_buf_t *body, wsman_buf_t *content_type, wsman_error_t *e)
{
    const size_t start = body->len;
    size_t pos = 0, nparts = 0;
    wsman_buf_t hdr, data;
    int rc = -1;

    if (!charset)
        charset = "UTF-8";
    if (strcmp(charset, "UTF-8") != 0 && strcmp(charset, "UTF-16") != 0) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "Message encryption: unknown charset \"%s\".", charset);
        return -1;
    }
    wsman_buf_init(&hdr);
    wsman_buf_init(&data);
    do {
        size_t n = len - pos, length_field = 0;
        unsigned char l4[4];
        if (enc->max_chunk && n > enc->max_chunk)
            n = enc->max_chunk;
        wsman_buf_reset(&hdr);
        wsman_buf_reset(&data);
        if (enc->wrap(enc->state, (const unsigned char *)plain + pos, n, &hdr, &data, &length_field, e) != 0)
            goto done;
        if (hdr.len > UINT32_MAX) {
            wsman_error_set(e, WSMAN_E_INVALIDARG, "Message encryption: the wrap header is too large.");
            goto done;
        }
        l4[0] = (unsigned char)(hdr.len & 0xff);
        l4[1] = (unsigned char)(hdr.len >> 8 & 0xff);
        l4[2] = (unsigned char)(hdr.len >> 16 & 0xff);
        l4[3] = (unsigned char)(hdr.len >> 24 & 0xff);
        if (wsman_buf_printf(body,
                             "--" WSMAN_ENCRYPTED_BOUNDARY "\r\n"
                             "\tContent-Type: %s\r\n"
                             "\tOriginalContent: type=application/soap+xml;charset=%s;Length=%zu\r\n"
                             "--" WSMAN_ENCRYPTED_BOUNDARY "\r\n"
                             "\tContent-Type: application/octet-stream\r\n",
                             enc->protocol, charset, length_field) != 0 ||
            wsman_buf_append(body, l4, 4) != 0 || wsman_buf_append(body, hdr.data, hdr.len) != 0 ||
            wsman_buf_append(body, data.data, data.len) != 0) {
            wsman_error_oom(e, "encrypting or decrypting a message");
            goto done;
        }
        pos += n;
        nparts++;
    } while (pos < len);
    if (wsman_buf_puts(body, "--" WSMAN_ENCRYPTED_BOUNDARY "--\r\n") != 0) {
        wsman_error_oom(e, "encrypting or decrypting a message");
        goto done;
    }
    wsman_buf_reset(content_type);
    if (wsman_buf_printf(content_type, "%s;protocol=\"%s\";boundary=\"" WSMAN_ENCRYPTED_BOUNDARY "\"",
                         nparts > 1 ? "multipart/x-multi-encrypted" : "multipart/encrypted",
                         enc->protocol) != 0) {
        wsman_error_oom(e, "encrypting or decrypting a message");
        goto done;
    }
    rc = 0;
done:
    if (rc != 0) {
        body->len = start;
        if (body->data)
            body->data[start] = '\0';
    }
    wsman_buf_free(&hdr);
    wsman_buf_free(&data);
    return rc;
}

/* ---- Content-Type ------------------------------------------------------------------------------ */

typedef struct ctype {
    const char *type;
    size_t type_len;
    const char *protocol, *boundary; /* NULL: absent */
    size_t protocol_len, boundary_len;
} ctype_t;

/* type/subtype *( ";" name "=" (token | quoted-string) ). Quoted values may not contain
 * backslash escapes (none of ours do); -1 on a malformed parameter list. */
static int parse_ctype(const char *s, ctype_t *ct)
{
    size_t n = strlen(s), i = 0, a, b;

    memset(ct, 0, sizeof *ct);
    while (i < n && s[i] != ';')
        i++;
    a = 0;
    b = i;
    trim(s, &a, &b);
    ct->type = s + a;
    ct->type_len = b - a;
    while (i < n) {
        size_t na, nb, va, vb;
        i++; /* ';' */
        while (i < n && is_ws(s[i]))
            i++;
        if (i == n)
            break; /* trailing ';' */
        na = i;
        while (i < n && s[i] != '=' && s[i] != ';')
            i++;
        if (i == n || s[i] != '=')
            return -1;
        nb = i;
        trim(s, &na, &nb);
        i++; /* '=' */
        while (i < n && is_ws(s[i]))
            i++;
        if (i < n && s[i] == '"') {
            va = ++i;
            while (i < n && s[i] != '"')
                i++;
            if (i == n)
                return -1;
            vb = i++;
            while (i < n && is_ws(s[i]))
                i++;
            if (i < n && s[i] != ';')
                return -1;
        } else {
            va = i;
            while (i < n && s[i] != ';')
                i++;
            vb = i;
            trim(s, &va, &vb);
        }
        if (ieq(s + na, nb - na, "protocol")) {
            ct->protocol = s + va;
            ct->protocol_len = vb - va;
        } else if (ieq(s + na, nb - na, "boundary")) {
            ct->boundary = s + va;
            ct->boundary_len = vb - va;
        }
    }
    return 0;
}

int wsman_is_encrypted_content_type(const char *content_type)
{
    ctype_t ct;

    if (!content_type || parse_ctype(content_type, &ct) != 0)
        return 0;
    return ieq(ct.type, ct.type_len, "multipart/encrypted") ||
           ieq(ct.type, ct.type_len, "multipart/x-multi-encrypted");
}

/* ---- parsing ------------------------------------------------------------------------------------ */

typedef struct body {
    const char *p;
    size_t len;
    const char *bd; /* boundary */
    size_t bdlen;
} body_t;

/* A delimiter at pos: "--" [spaces/tabs] boundary, then "--" (closing) or [spaces/tabs] CRLF|LF.
 * Returns 1 and sets *after (past the line end; for the closing one past "--" and an optional
 * line end) and *closing; 0 when there is none. */
static int delim_at(const body_t *b, size_t pos, size_t *after, int *closing)
{
    size_t i = pos;

    if (pos > b->len || b->len - pos < 2 || b->p[i] != '-' || b->p[i + 1] != '-')
        return 0;
    i += 2;
    while (i < b->len && is_ws(b->p[i]))
        i++;
    if (b->len - i < b->bdlen || memcmp(b->p + i, b->bd, b->bdlen) != 0)
        return 0;
    i += b->bdlen;
    if (b->len - i >= 2 && b->p[i] == '-' && b->p[i + 1] == '-') {
        i += 2;
        if (i < b->len && b->p[i] == '\r')
            i++;
        if (i < b->len && b->p[i] == '\n')
            i++;
        *after = i;
        *closing = 1;
        return 1;
    }
    while (i < b->len && is_ws(b->p[i]))
        i++;
    if (i < b->len && b->p[i] == '\r')
        i++;
    if (i >= b->len || b->p[i] != '\n')
        return 0;
    *after = i + 1;
    *closing = 0;
    return 1;
}

/* First delimiter at or after from: its start in *at. */
static int find_delim(const body_t *b, size_t from, size_t *at, size_t *after, int *closing)
{
    size_t i = from;

    while (i < b->len) {
        const char *d = memchr(b->p + i, '-', b->len - i);
        if (!d)
            return 0;
        i = (size_t)(d - b->p);
        if (delim_at(b, i, after, closing)) {
            *at = i;
            return 1;
        }
        i++;
    }
    return 0;
}

/* Decimal without sign, overflow-checked. */
static int parse_size(const char *s, size_t n, size_t *out)
{
    size_t v = 0, i;

    if (n == 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (SIZE_MAX - (size_t)(s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The metadata part [a, z): Content-Type (must be the protocol) and OriginalContent's Length=. */
static int parse_meta(const wsman_encryptor_t *enc, const char *s, size_t a, size_t z, size_t *length,
                      wsman_error_t *e)
{
    int have_type = 0, have_length = 0;
    size_t i = a;

    while (i < z) {
        size_t ls = i, le, colon, va, vb;
        const char *nl = memchr(s + i, '\n', z - i);
        le = nl ? (size_t)(nl - s) : z;
        i = nl ? le + 1 : z;
        trim(s, &ls, &le);
        if (ls == le)
            continue;
        for (colon = ls; colon < le && s[colon] != ':'; colon++)
            ;
        if (colon == le)
            return bad(e, "a line of the metadata part is not a header (\"%.*s\")",
                       (int)(le - ls > 60 ? 60 : le - ls), s + ls);
        va = colon + 1;
        vb = le;
        trim(s, &va, &vb);
        if (ieq(s + ls, colon - ls, "Content-Type")) {
            if (!ieq(s + va, vb - va, enc->protocol)) {
                char got[128];
                snprintf(got, sizeof got, "%.*s", (int)(vb - va > 100 ? 100 : vb - va), s + va);
                wsman_error_set(e, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE,
                                "The server's encrypted reply uses protocol \"%s\", expected \"%s\".", got,
                                enc->protocol);
                return -1;
            }
            have_type = 1;
        } else if (ieq(s + ls, colon - ls, "OriginalContent")) {
            size_t j = va;
            while (j < vb) { /* ';'-separated name=value */
                size_t pa = j, pb, eq, nb;
                while (j < vb && s[j] != ';')
                    j++;
                pb = j++;
                trim(s, &pa, &pb);
                for (eq = pa; eq < pb && s[eq] != '='; eq++)
                    ;
                nb = eq;
                trim(s, &pa, &nb);
                if (eq < pb && ieq(s + pa, nb - pa, "Length")) {
                    size_t da = eq + 1, db = pb;
                    trim(s, &da, &db);
                    if (parse_size(s + da, db - da, length) != 0)
                        return bad(e, "the OriginalContent Length \"%.*s\" is not a number",
                                   (int)(db - da > 30 ? 30 : db - da), s + da);
                    have_length = 1;
                }
            }
        }
    }
    if (!have_type)
        return bad(e, "a metadata part has no Content-Type (expected %s)", enc->protocol);
    if (!have_length)
        return bad(e, "a metadata part has no OriginalContent Length");
    return 0;
}

/* The reply's Content-Type: multipart/encrypted with the protocol of this mechanism. */
static int check_ctype(const wsman_encryptor_t *enc, const char *content_type, ctype_t *ct, wsman_error_t *e)
{
    char got[128];

    if (!content_type)
        return bad(e, "it has no Content-Type");
    if (parse_ctype(content_type, ct) != 0)
        return bad(e, "its Content-Type \"%.100s\" cannot be parsed", content_type);
    if (!ieq(ct->type, ct->type_len, "multipart/encrypted") &&
        !ieq(ct->type, ct->type_len, "multipart/x-multi-encrypted"))
        return bad(e, "its Content-Type \"%.100s\" is not multipart/encrypted", content_type);
    if (ct->protocol && !ieq(ct->protocol, ct->protocol_len, enc->protocol)) {
        snprintf(got, sizeof got, "%.*s", (int)(ct->protocol_len > 100 ? 100 : ct->protocol_len),
                 ct->protocol);
        wsman_error_set(e, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE,
                        "The server's encrypted reply uses protocol \"%s\", expected \"%s\".", got,
                        enc->protocol);
        return -1;
    }
    return 0;
}

/* The first delimiter (leading blank lines allowed): *after is where the first part starts. */
static int open_body(const body_t *b, size_t *after, wsman_error_t *e)
{
    size_t pos = 0;
    int closing = 0;

    while (pos < b->len && (is_ws(b->p[pos]) || b->p[pos] == '\r' || b->p[pos] == '\n'))
        pos++;
    if (!delim_at(b, pos, after, &closing)) {
        if (b->len)
            return bad(e, "the body does not start with the boundary \"--%.*s\"",
                       (int)(b->bdlen > 100 ? 100 : b->bdlen), b->bd);
        return bad(e, "the body is empty");
    }
    if (closing)
        return bad(e, "it has no encrypted part");
    return 0;
}

/* The data part's header line (Content-Type: application/octet-stream) from *pos; *pos moves past
 * it. */
static int data_part_header(const body_t *b, size_t *pos, size_t part, wsman_error_t *e)
{
    const char *nl = memchr(b->p + *pos, '\n', b->len - *pos);
    size_t ls = *pos, le;

    if (!nl)
        return bad(e, "part %zu is truncated (no line end after the data part's Content-Type)", part);
    le = (size_t)(nl - b->p);
    trim(b->p, &ls, &le);
    if (le - ls < 13 || !ieq(b->p + ls, 13, "Content-Type:"))
        return bad(e, "the data part %zu does not start with a Content-Type header", part);
    ls += 13;
    trim(b->p, &ls, &le);
    if (!ieq(b->p + ls, le - ls, "application/octet-stream"))
        return bad(e, "the data part %zu is not application/octet-stream", part);
    *pos = (size_t)(nl - b->p) + 1;
    return 0;
}

/* One metadata/data pair from *after: decrypted into plain (checked against Length=); *after and
 * *closing tell where the next pair starts and whether this was the last. */
static int read_pair(const wsman_encryptor_t *enc, const body_t *b, size_t part, size_t *after, int *closing,
                     wsman_buf_t *plain, wsman_error_t *e)
{
    size_t length = 0, pos, at, hlen, hstart, cstart, cend, before;

    if (!find_delim(b, *after, &at, &pos, closing))
        return bad(e, "part %zu is truncated (its metadata has no closing boundary)", part);
    if (parse_meta(enc, b->p, *after, at, &length, e) != 0)
        return -1;
    if (*closing)
        return bad(e, "part %zu is truncated (the encrypted data part is missing)", part);
    if (data_part_header(b, &pos, part, e) != 0)
        return -1;
    if (b->len - pos < 4)
        return bad(e, "the data part %zu is truncated (no length field)", part);
    hlen =
        (size_t)((unsigned char)b->p[pos] | (unsigned char)b->p[pos + 1] << 8 |
                 (uint32_t)(unsigned char)b->p[pos + 2] << 16 | (uint32_t)(unsigned char)b->p[pos + 3] << 24);
    hstart = pos + 4;
    if (hlen > b->len - hstart)
        return bad(e,
                   "the length field of data part %zu (%zu) is larger than the data that follows (%zu bytes)",
                   part, hlen, b->len - hstart);
    cstart = hstart + hlen;
    /* The ciphertext ends at a delimiter: where Length= says (NTLM, Kerberos) if there is one
     * there, else at the first one after the header (the data may itself contain one by chance;
     * the exact position is tried first). */
    if (length <= b->len - cstart && delim_at(b, cstart + length, after, closing))
        cend = cstart + length;
    else if (find_delim(b, cstart, &at, after, closing))
        cend = at;
    else
        return bad(e, "part %zu is truncated (no boundary after its encrypted data)", part);
    before = plain->len;
    if (enc->unwrap(enc->state, (const unsigned char *)b->p + hstart, hlen,
                    (const unsigned char *)b->p + cstart, cend - cstart, plain, e) != 0)
        return -1;
    if (plain->len - before != length)
        return bad(e, "the decrypted length of part %zu (%zu) differs from its OriginalContent Length (%zu)",
                   part, plain->len - before, length);
    return 0;
}

int wsman_decrypt_message(const wsman_encryptor_t *enc, const char *content_type, const char *body,
                          size_t len, wsman_buf_t *plain, wsman_error_t *e)
{
    const size_t start = plain->len;
    ctype_t ct;
    body_t b;
    size_t after = 0, pairs = 0;
    int closing = 0;

    if (check_ctype(enc, content_type, &ct, e) != 0)
        return -1;
    b.p = body ? body : "";
    b.len = body ? len : 0;
    b.bd = ct.boundary && ct.boundary_len ? ct.boundary : WSMAN_ENCRYPTED_BOUNDARY;
    b.bdlen = ct.boundary && ct.boundary_len ? ct.boundary_len : strlen(WSMAN_ENCRYPTED_BOUNDARY);
    if (open_body(&b, &after, e) != 0)
        return -1;
    while (!closing) {
        if (read_pair(enc, &b, ++pairs, &after, &closing, plain, e) != 0) {
            plain->len = start;
            if (plain->data)
                plain->data[start] = '\0';
            return -1;
        }
    }
    return 0;
}

/* ---- channel binding (RFC 5929 4.1) ---------------------------------------------------------------- */

int wsman_tls_channel_binding_appdata(const unsigned char *der, size_t len, wsman_buf_t *out,
                                      wsman_error_t *e)
{
    static const char prefix[] = "tls-server-end-point:";
    const unsigned char *p = der;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    int md_nid = NID_undef;
    EVP_MD *md = NULL;
    X509 *x;
    int ok;

    if (!der || len == 0 || len > (size_t)LONG_MAX || !(x = d2i_X509(NULL, &p, (long)len))) {
        wsman_error_set(e, WSMAN_E_WINHTTP_SECURE_FAILURE,
                        "Channel binding: the server certificate could not be parsed.");
        return -1;
    }
    if (X509_get_signature_info(x, &md_nid, NULL, NULL, NULL) != 1)
        md_nid = NID_undef;
    X509_free(x);
    if (md_nid != NID_undef && md_nid != NID_md5 && md_nid != NID_sha1)
        md = EVP_MD_fetch(NULL, OBJ_nid2sn(md_nid), NULL);
    if (!md) /* MD5, SHA-1, none (Ed25519...) or unknown: SHA-256 */
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
    ok = md && EVP_Digest(der, len, h, &hl, md, NULL) == 1;
    EVP_MD_free(md);
    if (!ok) {
        wsman_error_set(e, WSMAN_E_WINHTTP_SECURE_FAILURE,
                        "Channel binding: hashing the server certificate failed in OpenSSL.");
        return -1;
    }
    if (wsman_buf_append(out, prefix, sizeof prefix - 1) != 0 || wsman_buf_append(out, h, hl) != 0)
        return wsman_error_oom(e, "encrypting or decrypting a message");
    return 0;
}

/* ---- the session's interface: seal / unseal with the established context ---------------------- */

int wsman_auth_seal(wsman_auth_t *a, const char *plain, size_t len, int utf16, wsman_buf_t *body,
                    wsman_buf_t *content_type, wsman_error_t *e)
{
    wsman_encryptor_t enc;

    if (wsman_encryptor_from_mech(&enc, a->mech, a->state, e) != 0)
        return -1;
    return wsman_encrypt_message(&enc, plain ? plain : "", len, utf16 ? "UTF-16" : "UTF-8", body,
                                 content_type, e);
}

int wsman_auth_unseal(wsman_auth_t *a, const char *content_type, const char *body, size_t len,
                      wsman_buf_t *plain, wsman_error_t *e)
{
    wsman_encryptor_t enc;

    if (wsman_encryptor_from_mech(&enc, a->mech, a->state, e) != 0 ||
        wsman_decrypt_message(&enc, content_type, body ? body : "", len, plain, e) != 0) {
        wsman_auth_invalidate(a); /* out of step: the next request authenticates again */
        return -1;
    }
    /* RFC 4757 (RC4) wrap tokens from non-Windows servers carry one byte of padding (0x01) that
     * the IOV unwrap Windows' unpadded tokens need leaves in the data; 0x01 is never XML */
    if (plain->len && plain->data[plain->len - 1] == 0x01)
        plain->data[--plain->len] = '\0';
    return 0;
}
