/* SPDX-License-Identifier: MIT */
/*
 * clixml.c - PowerShell over a cmd shell: the stdin-reading -EncodedCommand bootstrap, and the
 * decoder of the CLIXML PowerShell writes to stderr ("#< CLIXML" + <Objs>...</Objs>) when its
 * output is redirected: the error stream becomes readable text again, and the error, warning,
 * verbose, debug, information and progress records are handed to a callback.
 *
 * Samples: shared/captures/windows-pypsrp/test_sanitise_clixml_*.xml (real stderr of powershell.exe).
 */
#include "protocol.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NS_PS "http://schemas.microsoft.com/powershell/2004/04"
#define MARKER "#< CLIXML"

/* Reads all of stdin as bytes (exact, whatever the console codepage), decodes it as UTF-8 and runs
 * it as a script block. Written for PowerShell 2.0 and later (no Stream.CopyTo). Should the host
 * have consumed stdin itself, the script is taken from $input as Ansible's bootstrap does. */
static const char bootstrap[] =
    "$ErrorActionPreference='Stop';$wsi=[Console]::OpenStandardInput();$wsm=New-Object IO.MemoryStream;"
    "$wsb=New-Object byte[] 65536;while(($wsn=$wsi.Read($wsb,0,65536)) -gt 0){$wsm.Write($wsb,0,$wsn)};"
    "if($wsm.Length -gt 0){$wss=[Text.Encoding]::UTF8.GetString($wsm.ToArray()).TrimStart([char]0xFEFF)}"
    "else{$wss=$input|Out-String};"
    "Remove-Variable wsi,wsm,wsb,wsn;$ErrorActionPreference='Continue';& ([ScriptBlock]::Create($wss))";

const char *wsman_ps_bootstrap(void)
{
    return bootstrap;
}

char *wsman_ps_encode_command(const char *script, size_t len)
{
    wsman_buf_t u16, b64;
    char *out;

    wsman_buf_init(&u16);
    wsman_buf_init(&b64);
    if (wsman_utf8_to_utf16le(&u16, script ? script : "", script ? len : 0) != 0) {
        wsman_buf_free(&u16);
        return NULL;
    }
    /* without the byte order mark */
    if (wsman_base64_encode(&b64, (const unsigned char *)u16.data + 2, u16.len - 2) != 0) {
        wsman_buf_free(&u16);
        wsman_buf_free(&b64);
        return NULL;
    }
    wsman_buf_free(&u16);
    out = wsman_buf_steal(&b64);
    return out;
}

int wsman_ps_bootstrap_args(const char *args[8], char **encoded)
{
    int n = 0;

    *encoded = wsman_ps_encode_command(bootstrap, sizeof bootstrap - 1);
    if (!*encoded)
        return -1;
    args[n++] = "-NoLogo";
    args[n++] = "-NoProfile";
    args[n++] = "-NonInteractive";
    args[n++] = "-ExecutionPolicy";
    args[n++] = "Bypass";
    args[n++] = "-EncodedCommand";
    args[n++] = *encoded;
    return n;
}

/* ---- _xHHHH_ escapes -------------------------------------------------------------------- */

/* "_xHHHH_" at s (n bytes available) -> the code unit, or -1. */
static long escape_at(const char *s, size_t n)
{
    long v = 0;
    int i;

    if (n < 7 || s[0] != '_' || (s[1] != 'x' && s[1] != 'X') || s[6] != '_')
        return -1;
    for (i = 2; i < 6; i++) {
        int h = wsman_hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Appends s with the _xHHHH_ escapes of PowerShell's serializer decoded. */
int wsman_ps_unescape(wsman_buf_t *out, const char *s, size_t n)
{
    size_t i = 0, start = 0;

    while (i < n) {
        long v = s[i] == '_' ? escape_at(s + i, n - i) : -1;
        if (v < 0) {
            i++;
            continue;
        }
        if (wsman_buf_append(out, s + start, i - start) != 0)
            return -1;
        i += 7;
        if (v >= 0xD800 && v <= 0xDBFF) {
            long lo = escape_at(s + i, n - i);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                i += 7;
            } else {
                v = 0xFFFD;
            }
        } else if (v >= 0xDC00 && v <= 0xDFFF) {
            v = 0xFFFD;
        }
        if (wsman_buf_put_utf8(out, (uint32_t)v) != 0)
            return -1;
        start = i;
    }
    return wsman_buf_append(out, s + start, n - start);
}

/* ---- records ---------------------------------------------------------------------------- */

enum { F_TYPE, F_MESSAGE, F_ACTIVITY, F_CURRENT_OPERATION, F_STATUS, F_RECORD_TYPE, F_NSTR };
enum { N_ACTIVITY_ID, N_PARENT_ID, N_PERCENT, N_SECONDS, N_SOURCE_ID, F_NNUM };

typedef struct rec {
    char *s[F_NSTR];
    long long n[F_NNUM];
} rec_t;

typedef struct cx_ctx {
    wsman_xml_t *x;
    wsman_buf_t *text; /* stderr text (error stream) of this document */
    rec_t *recs;
    size_t nrecs, cap;
    rec_t *cur; /* record being built from an <Obj> */
    int obj_depth;
    int in_pr;          /* inside <PR N="Record"> */
    int leaf_depth;     /* depth of the element whose text is collected */
    const char *leaf;   /* its local name */
    char leaf_n[32];    /* its N attribute */
    char stream[32];    /* S attribute of a depth-2 <S> */
    wsman_buf_t t;      /* text of the leaf */
    wsman_buf_t errmsg; /* the error record being joined from consecutive lines */
    int err_open;
} cx_ctx_t;

#define RECS_FIRST 8 /* records room made the first time */

static rec_t *rec_add(cx_ctx_t *c, const char *type)
{
    rec_t *r;
    int i;

    rec_t *grown = wsman_array_grow(c->recs, &c->cap, c->nrecs, sizeof *c->recs, RECS_FIRST);
    if (!grown)
        return NULL;
    c->recs = grown;
    r = &c->recs[c->nrecs];
    memset(r, 0, sizeof *r);
    for (i = 0; i < F_NNUM; i++)
        r->n[i] = LLONG_MIN;
    if (!(r->s[F_TYPE] = wsman_strdup(type)))
        return NULL;
    c->nrecs++;
    return r;
}

static void recs_free(cx_ctx_t *c)
{
    size_t i;
    int k;
    for (i = 0; i < c->nrecs; i++)
        for (k = 0; k < F_NSTR; k++)
            free(c->recs[i].s[k]);
    free(c->recs);
    c->recs = NULL;
    c->nrecs = c->cap = 0;
}

/* A copy of b without trailing blanks and with CRLF as LF. */
static char *message_of(const wsman_buf_t *b)
{
    size_t n = b->len, i, o = 0;
    char *m;

    while (n && strchr(" \t\r\n", b->data[n - 1]))
        n--;
    if (!(m = malloc(n + 1)))
        return NULL;
    for (i = 0; i < n; i++)
        if (!(b->data[i] == '\r' && i + 1 < n && b->data[i + 1] == '\n'))
            m[o++] = b->data[i];
    m[o] = '\0';
    return m;
}

static int blank(const wsman_buf_t *b)
{
    size_t i;
    for (i = 0; i < b->len; i++)
        if (!strchr(" \t\r\n", b->data[i]))
            return 0;
    return 1;
}

static int flush_error(cx_ctx_t *c)
{
    rec_t *r;

    if (!c->err_open)
        return 0;
    c->err_open = 0;
    if (blank(&c->errmsg)) {
        wsman_buf_reset(&c->errmsg);
        return 0;
    }
    if (!(r = rec_add(c, "error")) || !(r->s[F_MESSAGE] = message_of(&c->errmsg)))
        return -1;
    wsman_buf_reset(&c->errmsg);
    return 0;
}

static void lower_copy(char *dst, size_t cap, const char *src)
{
    size_t i;
    for (i = 0; src && src[i] && i + 1 < cap; i++)
        dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
    dst[i] = '\0';
}

static int cx_start(void *ud, const char *ns, const char *local, const char **atts)
{
    cx_ctx_t *c = ud;
    int d = wsman_xml_depth(c->x);
    const char *sattr, *nattr;

    if (d == 1) {
        if (strcmp(local, "Objs") != 0)
            return wsman_xml_fail(c->x, "CLIXML: the root element is %s, not Objs", local);
        return 0;
    }
    sattr = wsman_xml_attr(c->x, atts, NULL, "S");
    nattr = wsman_xml_attr(c->x, atts, NULL, "N");
    if (d == 2) {
        if (strcmp(local, "S") == 0) {
            lower_copy(c->stream, sizeof c->stream, sattr ? sattr : "output");
            if (strcmp(c->stream, "error") != 0 && flush_error(c) != 0)
                return -1;
        } else {
            if (flush_error(c) != 0)
                return -1;
            if (strcmp(local, "Obj") == 0) {
                char type[32];
                lower_copy(type, sizeof type, sattr ? sattr : "output");
                if (!(c->cur = rec_add(c, type)))
                    return -1;
                c->obj_depth = d;
            }
        }
        c->leaf_depth = d;
        c->leaf = strcmp(local, "S") == 0 ? "S" : NULL;
        wsman_buf_reset(&c->t);
        return 0;
    }
    if (!c->cur)
        return 0;
    if (strcmp(local, "PR") == 0)
        c->in_pr = d;
    /* collect the text of every element inside the Obj; the end handler picks what it knows */
    c->leaf_depth = d;
    c->leaf = local;
    lower_copy(c->leaf_n, sizeof c->leaf_n, nattr ? nattr : "");
    wsman_buf_reset(&c->t);
    (void)ns;
    return 0;
}

static int cx_text(void *ud, const char *s, size_t len)
{
    cx_ctx_t *c = ud;
    if (c->leaf && wsman_xml_depth(c->x) == c->leaf_depth)
        return wsman_buf_append(&c->t, s, len);
    return 0;
}

static int set_str(rec_t *r, int f, const wsman_buf_t *t)
{
    wsman_buf_t v;
    wsman_buf_init(&v);
    if (wsman_ps_unescape(&v, t->data ? t->data : "", t->len) != 0 || wsman_buf_reserve(&v, 0) != 0) {
        wsman_buf_free(&v);
        return -1;
    }
    free(r->s[f]);
    r->s[f] = wsman_buf_steal(&v);
    return 0;
}

static void set_num(rec_t *r, int f, const wsman_buf_t *t)
{
    char *end = NULL;
    long long v;
    if (!t->len)
        return;
    errno = 0;
    v = strtoll(t->data, &end, 10);
    if (!errno && end && !*end)
        r->n[f] = v;
}

static int cx_end(void *ud, const char *ns, const char *local)
{
    cx_ctx_t *c = ud;
    int d = wsman_xml_depth(c->x);
    int rc = 0;

    (void)ns;
    if (d == 2 && strcmp(local, "S") == 0 && c->leaf) {
        wsman_buf_t line;
        wsman_buf_init(&line);
        if (wsman_ps_unescape(&line, c->t.data ? c->t.data : "", c->t.len) != 0) {
            wsman_buf_free(&line);
            return -1;
        }
        if (strcmp(c->stream, "error") == 0) {
            rc = wsman_buf_append(c->text, line.data ? line.data : "", line.len);
            if (rc == 0 && blank(&line)) {
                rc = flush_error(c);
            } else if (rc == 0) {
                c->err_open = 1;
                rc = wsman_buf_append(&c->errmsg, line.data ? line.data : "", line.len);
            }
        } else {
            rec_t *r = rec_add(c, c->stream);
            rc = (!r || !(r->s[F_MESSAGE] = message_of(&line))) ? -1 : 0;
        }
        wsman_buf_free(&line);
    } else if (c->cur && d > c->obj_depth && c->leaf && d == c->leaf_depth) {
        rec_t *r = c->cur;
        if (c->in_pr && d == c->in_pr + 1) {
            if (strcmp(local, "AV") == 0)
                rc = set_str(r, F_ACTIVITY, &c->t);
            else if (strcmp(local, "AI") == 0)
                set_num(r, N_ACTIVITY_ID, &c->t);
            else if (strcmp(local, "CO") == 0)
                rc = set_str(r, F_CURRENT_OPERATION, &c->t);
            else if (strcmp(local, "PI") == 0)
                set_num(r, N_PARENT_ID, &c->t);
            else if (strcmp(local, "PC") == 0)
                set_num(r, N_PERCENT, &c->t);
            else if (strcmp(local, "T") == 0)
                rc = set_str(r, F_RECORD_TYPE, &c->t);
            else if (strcmp(local, "SR") == 0)
                set_num(r, N_SECONDS, &c->t);
            else if (strcmp(local, "SD") == 0)
                rc = set_str(r, F_STATUS, &c->t);
        } else if (strcmp(c->leaf_n, "sourceid") == 0) {
            set_num(r, N_SOURCE_ID, &c->t);
        } else if (strcmp(local, "ToString") == 0 ||
                   (!r->s[F_MESSAGE] && strcmp(local, "S") == 0 &&
                    (strcmp(c->leaf_n, "message") == 0 || strcmp(c->leaf_n, "messagedata") == 0))) {
            rc = set_str(r, F_MESSAGE, &c->t);
        }
        c->leaf = NULL;
    }
    if (c->in_pr && d == c->in_pr)
        c->in_pr = 0;
    if (c->cur && d == c->obj_depth) {
        c->cur = NULL;
        c->obj_depth = 0;
    }
    if (d == c->leaf_depth)
        c->leaf = NULL;
    return rc;
}

/* Parses one <Objs> document: 0 with records and error text collected, -1 when it does not parse
 * (or out of memory: *oom set). */
static int parse_doc(const char *doc, size_t len, wsman_buf_t *errtext, cx_ctx_t *c, int *oomed)
{
    static const wsman_xml_handler_t h = {cx_start, cx_end, cx_text, NULL};
    wsman_xml_limits_t lim;
    wsman_error_t err;
    int rc;

    memset(&lim, 0, sizeof lim);
    lim.max_bytes = len + 16;
    lim.max_depth = 64;
    wsman_xml_limits_fill(&lim);
    c->text = errtext;
    c->x = wsman_xml_new(&lim, "CLIXML", &h, c);
    if (!c->x) {
        *oomed = 1;
        return -1;
    }
    wsman_error_init(&err);
    rc = wsman_xml_feed(c->x, doc, len, 1, &err);
    if (rc == 0)
        rc = flush_error(c);
    if (rc != 0 && err.code == WSMAN_E_OUTOFMEMORY)
        *oomed = 1;
    wsman_error_clear(&err);
    wsman_xml_free(c->x);
    c->x = NULL;
    return rc;
}

static const char *find(const char *s, size_t n, const char *what)
{
    size_t w = strlen(what), i;
    for (i = 0; i + w <= n; i++)
        if (s[i] == what[0] && memcmp(s + i, what, w) == 0)
            return s + i;
    return NULL;
}

int wsman_ps_clixml_decode(const char *data, size_t len, wsman_buf_t *text, wsman_ps_record_cb cb, void *ud,
                           wsman_error_t *e)
{
    const char *p = data ? data : "", *end = p + (data ? len : 0);
    int rc = 0;

    while (p < end && rc == 0) {
        const char *m = find(p, (size_t)(end - p), MARKER), *q, *close;
        cx_ctx_t c;
        wsman_buf_t errtext;
        int oomed = 0, parsed = 0;

        if (!m) {
            rc = wsman_buf_append(text, p, (size_t)(end - p));
            break;
        }
        if ((rc = wsman_buf_append(text, p, (size_t)(m - p))) != 0)
            break;
        q = m + sizeof MARKER - 1;
        while (q < end && strchr(" \t\r\n", *q))
            q++;
        close = (end - q >= 5 && memcmp(q, "<Objs", 5) == 0) ? find(q, (size_t)(end - q), "</Objs>") : NULL;
        if (!close) { /* not a CLIXML document after all: keep the marker as text */
            rc = wsman_buf_append(text, m, (size_t)(q - m));
            p = q;
            continue;
        }
        close += 7;
        memset(&c, 0, sizeof c);
        wsman_buf_init(&c.t);
        wsman_buf_init(&c.errmsg);
        wsman_buf_init(&errtext);
        if (parse_doc(q, (size_t)(close - q), &errtext, &c, &oomed) == 0) {
            size_t i;
            parsed = 1;
            rc = wsman_buf_append(text, errtext.data ? errtext.data : "", errtext.len);
            for (i = 0; rc == 0 && cb && i < c.nrecs; i++) {
                const rec_t *r = &c.recs[i];
                wsman_ps_record_t out;
                out.type = r->s[F_TYPE];
                out.message = r->s[F_MESSAGE];
                out.activity = r->s[F_ACTIVITY];
                out.current_operation = r->s[F_CURRENT_OPERATION];
                out.status_description = r->s[F_STATUS];
                out.record_type = r->s[F_RECORD_TYPE];
                out.activity_id = r->n[N_ACTIVITY_ID];
                out.parent_activity_id = r->n[N_PARENT_ID];
                out.percent_complete = r->n[N_PERCENT];
                out.seconds_remaining = r->n[N_SECONDS];
                out.source_id = r->n[N_SOURCE_ID];
                rc = cb(ud, &out);
            }
        } else if (oomed) {
            rc = -1;
        } else {
            rc = wsman_buf_append(text, m, (size_t)(close - m)); /* unparsable: leave it as it was */
        }
        recs_free(&c);
        wsman_buf_free(&c.t);
        wsman_buf_free(&c.errmsg);
        wsman_buf_free(&errtext);
        p = close;
        if (parsed && p < end && *p == '\r') /* the line end PowerShell writes after the document */
            p++;
        if (parsed && p < end && *p == '\n')
            p++;
    }
    if (rc == 0 && wsman_buf_reserve(text, 0) != 0)
        rc = -1;
    if (rc != 0 && e) {
        wsman_error_oom(e, "decoding CLIXML");
        wsman_error_context(e, "RunPowerShell", NULL);
    }
    return rc;
}
