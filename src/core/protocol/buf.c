/* SPDX-License-Identifier: MIT */
/*
 * buf.c - growable buffers, string helpers, XML escaping, base64, uuid, UTF-16.
 *
 * Every growth is overflow-checked; on failure the buffer is left unchanged and -1 returned.
 * A buffer's data is always NUL-terminated after len bytes once anything was appended.
 */
#include "protocol.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

void wsman_free(void *p)
{
    free(p);
}

void wsman_buf_init(wsman_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void wsman_buf_free(wsman_buf_t *b)
{
    if (!b)
        return;
    free(b->data);
    wsman_buf_init(b);
}

void wsman_buf_free_secure(wsman_buf_t *b)
{
    if (!b)
        return;
    if (b->data && b->cap)
        OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
    wsman_buf_init(b);
}

void wsman_buf_reset(wsman_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int wsman_buf_reserve(wsman_buf_t *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    /* room for len + extra + NUL */
    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    p = realloc(b->data, ncap);
    if (!p)
        return -1;
    if (!b->data)
        p[0] = '\0';
    b->data = p;
    b->cap = ncap;
    return 0;
}

int wsman_buf_append(wsman_buf_t *b, const void *data, size_t len)
{
    if (wsman_buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int wsman_buf_puts(wsman_buf_t *b, const char *s)
{
    return wsman_buf_append(b, s ? s : "", s ? strlen(s) : 0);
}

int wsman_buf_vprintf(wsman_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || wsman_buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int wsman_buf_printf(wsman_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = wsman_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* What xml_escape writes for a byte: ESC_NONE copies it, the others index escapes[]. */
enum { ESC_NONE, ESC_AMP, ESC_LT, ESC_GT, ESC_QUOT, ESC_APOS, ESC_CR, ESC_TAB, ESC_LF };
static const char *const escapes[] = {"",       "&amp;", "&lt;", "&gt;", "&quot;",
                                      "&apos;", "&#13;", "&#9;", "&#10;"};
static const unsigned char escapes_len[] = {0, 5, 4, 4, 6, 6, 5, 4, 5};
/* Text: markup characters, and CR (kept from being normalised away by the receiving parser). */
static const unsigned char escape_text[256] = {
    ['&'] = ESC_AMP, ['<'] = ESC_LT, ['>'] = ESC_GT, ['\r'] = ESC_CR};
/* Attribute values: also quotes, and the whitespace attribute normalisation would turn into spaces. */
static const unsigned char escape_attr[256] = {
    ['&'] = ESC_AMP,   ['<'] = ESC_LT,  ['>'] = ESC_GT,   ['"'] = ESC_QUOT,
    ['\''] = ESC_APOS, ['\r'] = ESC_CR, ['\t'] = ESC_TAB, ['\n'] = ESC_LF};

static int xml_escape(wsman_buf_t *b, const char *s, size_t len, int attr)
{
    const unsigned char *esc = attr ? escape_attr : escape_text;
    size_t start = b->len, i = 0;

    if (!s || wsman_buf_reserve(b, len) != 0) /* room for the common case: nothing to replace */
        return s ? -1 : wsman_buf_reserve(b, 0);
    while (i < len) {
        size_t run = i;
        unsigned char kind;
        while (run < len && !esc[(unsigned char)s[run]])
            run++;
        if (wsman_buf_append(b, s + i, run - i) != 0)
            goto oom;
        if (run == len)
            break;
        kind = esc[(unsigned char)s[run]];
        if (wsman_buf_append(b, escapes[kind], escapes_len[kind]) != 0)
            goto oom;
        i = run + 1;
    }
    return 0;
oom:
    b->len = start;
    if (b->data)
        b->data[start] = '\0';
    return -1;
}

int wsman_buf_xml_text(wsman_buf_t *b, const char *s, size_t len)
{
    return xml_escape(b, s, len, 0);
}

int wsman_buf_xml_attr(wsman_buf_t *b, const char *s, size_t len)
{
    return xml_escape(b, s, len, 1);
}

char *wsman_buf_steal(wsman_buf_t *b)
{
    char *p;

    if (!b->data && wsman_buf_reserve(b, 0) != 0)
        return NULL;
    p = b->data;
    wsman_buf_init(b);
    return p;
}

char *wsman_strdup(const char *s)
{
    return s ? wsman_strndup(s, strlen(s)) : NULL;
}

void *wsman_array_grow(void *items, size_t *cap, size_t count, size_t elem, size_t first)
{
    size_t ncap;
    void *n;

    if (count < *cap)
        return items;
    ncap = *cap ? *cap * 2 : first;
    if (ncap < *cap || ncap > SIZE_MAX / elem)
        return NULL;
    n = realloc(items, ncap * elem);
    if (n)
        *cap = ncap;
    return n;
}

char *wsman_strndup(const char *s, size_t n)
{
    char *p;

    if (!s)
        return NULL;
    if (n == SIZE_MAX)
        return NULL;
    p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void wsman_secure_free(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void wsman_secure_free_n(void *p, size_t n)
{
    if (!p)
        return;
    OPENSSL_cleanse(p, n);
    free(p);
}

unsigned char *wsman_memdup(const void *p, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    if (c && n)
        memcpy(c, p, n);
    return c;
}

int wsman_strcaseeq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    while (*a && *b) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        a++;
        b++;
    }
    return *a == *b;
}

void wsman_uuid(char out[42])
{
    unsigned char r[16];
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 5;

    if (RAND_bytes(r, sizeof r) != 1) {
        /* RAND_bytes failing means no entropy source; fall back to a weak but unique-ish id */
        static unsigned long counter;
        unsigned long v = (unsigned long)(uintptr_t)&counter ^ (unsigned long)++counter * 2654435761u;
        for (i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)((v >> ((i % 4) * 8)) ^ (i * 37u) ^ counter);
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* variant 10 */
    memcpy(out, "uuid:", 5);
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0'; /* o == 41 */
}

/* ---- base64 ------------------------------------------------------------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int wsman_base64_encode(wsman_buf_t *out, const unsigned char *data, size_t len)
{
    size_t olen, i, o;
    char *p;

    if (len > (SIZE_MAX / 4) * 3 - 3)
        return -1;
    olen = (len + 2) / 3 * 4;
    if (wsman_buf_reserve(out, olen) != 0)
        return -1;
    p = out->data + out->len;
    for (i = 0, o = 0; i + 2 < len; i += 3) {
        uint32_t v = ((uint32_t)data[i] << 16) | ((uint32_t)data[i + 1] << 8) | data[i + 2];
        p[o++] = b64chars[(v >> 18) & 63];
        p[o++] = b64chars[(v >> 12) & 63];
        p[o++] = b64chars[(v >> 6) & 63];
        p[o++] = b64chars[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        p[o++] = b64chars[(v >> 18) & 63];
        p[o++] = b64chars[(v >> 12) & 63];
        p[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
        p[o++] = '=';
    }
    out->len += o;
    out->data[out->len] = '\0';
    return 0;
}

long long wsman_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wsman_le32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

uint32_t wsman_le32_get(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int wsman_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict: only the standard alphabet, whitespace anywhere, '=' padding only at the end and only
 * to complete a quantum (unpadded final quantum accepted), unused trailing bits must be zero. */
int wsman_base64_decode(wsman_buf_t *out, const char *s, size_t len)
{
    size_t start = out->len, i;
    uint32_t acc = 0;
    int n = 0, pad = 0;

    if (wsman_buf_reserve(out, len / 4 * 3 + 3) != 0)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            goto bad; /* data after padding */
        v = b64val(c);
        if (v < 0)
            goto bad;
        acc = (acc << 6) | (uint32_t)v;
        if (++n == 4) {
            out->data[out->len++] = (char)(acc >> 16);
            out->data[out->len++] = (char)(acc >> 8);
            out->data[out->len++] = (char)acc;
            acc = 0;
            n = 0;
        }
    }
    if (n == 1)
        goto bad;
    if (pad && (pad != 4 - n || n == 0))
        goto bad;
    if (n == 2) {
        if (acc & 0xf)
            goto bad;
        out->data[out->len++] = (char)(acc >> 4);
    } else if (n == 3) {
        if (acc & 0x3)
            goto bad;
        out->data[out->len++] = (char)(acc >> 10);
        out->data[out->len++] = (char)(acc >> 2);
    }
    out->data[out->len] = '\0';
    return 0;
bad:
    out->len = start;
    out->data[start] = '\0';
    return -1;
}

/* ---- UTF-8 -> UTF-16LE ------------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[*i] (strict: no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
    unsigned char c = s[*i];
    uint32_t v, min;
    size_t n, k;

    if (c < 0x80) {
        *cp = c;
        (*i)++;
        return 0;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        v = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        v = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return -1;
    }
    if (len - *i <= n)
        return -1;
    for (k = 1; k <= n; k++) {
        unsigned char d = s[*i + k];
        if ((d & 0xc0) != 0x80)
            return -1;
        v = (v << 6) | (d & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return -1;
    *cp = v;
    *i += n + 1;
    return 0;
}

/* XML 1.0's Char production: tab, LF, CR, and U+0020 up, except surrogates, U+FFFE and U+FFFF. */
static int is_xml_char(uint32_t cp)
{
    if (cp < 0x20)
        return cp == 0x9 || cp == 0xa || cp == 0xd;
    return cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

int wsman_xml_check_chars(const char *what, const char *s, size_t len, wsman_error_t *e)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t at = i;
        uint32_t cp;
        if (utf8_next(u, len, &i, &cp) != 0) {
            wsman_error_set(e, WSMAN_E_INVALIDARG,
                            "%s is not valid UTF-8 at byte offset %zu (byte 0x%02X): a request carries UTF-8 "
                            "text only; convert the value to UTF-8",
                            what, at, u[at]);
            return -1;
        }
        if (!is_xml_char(cp)) {
            wsman_error_set(e, WSMAN_E_INVALIDARG,
                            "%s has the character U+%04X at byte offset %zu, which XML 1.0 does not allow "
                            "in a request (below U+0020 only tab, line feed and carriage return are); "
                            "remove it",
                            what, (unsigned)cp, at);
            return -1;
        }
    }
    return 0;
}

int wsman_xml_check_str(const char *what, const char *s, wsman_error_t *e)
{
    return s ? wsman_xml_check_chars(what, s, strlen(s), e) : 0;
}

int wsman_buf_put_utf8(wsman_buf_t *b, uint32_t cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return wsman_buf_append(b, u, n);
}

int wsman_utf8_to_utf16le(wsman_buf_t *out, const char *s, size_t len)
{
    size_t start = out->len, i = 0;
    const unsigned char *u = (const unsigned char *)s;

    /* worst case: 2 bytes per input byte (ASCII), 4 bytes per 4-byte sequence; + BOM */
    if (len > (SIZE_MAX - 2) / 2 || wsman_buf_reserve(out, len * 2 + 2) != 0)
        return -1;
    out->data[out->len++] = (char)0xff;
    out->data[out->len++] = (char)0xfe;
    while (i < len) {
        uint32_t cp;
        if (utf8_next(u, len, &i, &cp) != 0) {
            out->len = start;
            out->data[start] = '\0';
            return -1;
        }
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            uint16_t hi = (uint16_t)(0xd800 | (v >> 10)), lo = (uint16_t)(0xdc00 | (v & 0x3ff));
            out->data[out->len++] = (char)(hi & 0xff);
            out->data[out->len++] = (char)(hi >> 8);
            out->data[out->len++] = (char)(lo & 0xff);
            out->data[out->len++] = (char)(lo >> 8);
        } else {
            out->data[out->len++] = (char)(cp & 0xff);
            out->data[out->len++] = (char)(cp >> 8);
        }
    }
    out->data[out->len] = '\0';
    return 0;
}
