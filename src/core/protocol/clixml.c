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
#include "psobject.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

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
        const char *u = memchr(s + i, '_', n - i);
        long v;
        if (!u)
            break;
        i = (size_t)(u - s);
        if ((v = escape_at(s + i, n - i)) < 0) {
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

/* The document is decoded by psobject.c (the one CLIXML reader); this part renders it: the error
 * stream's lines become text again (and, joined, error records), the other streams' lines and
 * objects become records. */

enum {
    STDERR_MAX_DEPTH = 64,    /* element nesting allowed in a stderr document */
    MESSAGE_SEARCH_DEPTH = 4, /* nesting searched for a Message / MessageData property */
    STREAM_NAME_MAX = 32,
};

/* A progress record's fields: the short element names of stderr's <PR>, then the property names
 * of a serialized ProgressRecord (MS-PSRP 2.2.2.25; .NET's name last). */
enum { PR_ACTIVITY, PR_CURRENT_OPERATION, PR_STATUS, PR_TYPE, PR_NSTR };
enum { PR_ACTIVITY_ID, PR_PARENT_ID, PR_PERCENT, PR_SECONDS, PR_NNUM };
enum { PR_NAMES = 3 };

static const char *const pr_strings[PR_NSTR][PR_NAMES] = {
    [PR_ACTIVITY] = {"AV", "Activity"},
    [PR_CURRENT_OPERATION] = {"CO", "CurrentOperation"},
    [PR_STATUS] = {"SD", "StatusDescription"},
    [PR_TYPE] = {"T", "Type", "RecordType"},
};
static const char *const pr_numbers[PR_NNUM][PR_NAMES] = {
    [PR_ACTIVITY_ID] = {"AI", "ActivityId"},
    [PR_PARENT_ID] = {"PI", "ParentActivityId"},
    [PR_PERCENT] = {"PC", "PercentComplete"},
    [PR_SECONDS] = {"SR", "SecondsRemaining"},
};

typedef struct render {
    wsman_buf_t *text;  /* stderr text (error stream) of this document */
    wsman_buf_t errmsg; /* the error record being joined from consecutive lines */
    int err_open;
    wsman_ps_record_cb cb;
    void *ud;
} render_t;

/* A copy of s without trailing blanks and with CRLF as LF. */
static char *message_of(const char *s, size_t n)
{
    size_t i, o = 0;
    char *m;

    while (n && strchr(" \t\r\n", s[n - 1]))
        n--;
    if (!(m = malloc(n + 1)))
        return NULL;
    for (i = 0; i < n; i++)
        if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
            m[o++] = s[i];
    m[o] = '\0';
    return m;
}

static int blank(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i]))
            return 0;
    return 1;
}

static void record_init(wsman_ps_record_t *r, const char *type)
{
    memset(r, 0, sizeof *r);
    r->type = type;
    r->activity_id = r->parent_activity_id = r->percent_complete = r->seconds_remaining = r->source_id =
        LLONG_MIN;
}

/* A record whose message is the text s (n bytes) made readable. */
static int emit_message(render_t *c, const char *type, const char *s, size_t n)
{
    wsman_ps_record_t r;
    char *m;
    int rc;

    if (!(m = message_of(s, n)))
        return -1;
    record_init(&r, type);
    r.message = m;
    rc = c->cb ? c->cb(c->ud, &r) : 0;
    free(m);
    return rc;
}

static int flush_error(render_t *c)
{
    int rc = 0;

    if (!c->err_open)
        return 0;
    c->err_open = 0;
    if (!blank(c->errmsg.data ? c->errmsg.data : "", c->errmsg.len))
        rc = emit_message(c, "error", c->errmsg.data, c->errmsg.len);
    wsman_buf_reset(&c->errmsg);
    return rc;
}

/* The stream name lowercased, "output" when there is none. */
static void stream_of(const wsman_psvalue_t *v, char out[STREAM_NAME_MAX])
{
    const char *s = v->stream ? v->stream : "output";
    size_t i;

    for (i = 0; s[i] && i + 1 < STREAM_NAME_MAX; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + ('a' - 'A') : s[i]);
    out[i] = '\0';
}

/* The text of a value: a primitive's, an object's ToString or the text it wraps; NULL for none. */
static const char *text_of(const wsman_psvalue_t *v)
{
    if (!v || v->kind == WSMAN_PS_NIL)
        return NULL;
    if (v->kind != WSMAN_PS_OBJECT)
        return v->text;
    if (v->to_string)
        return v->to_string;
    return v->base ? text_of(v->base) : NULL;
}

static long long number_of(const wsman_psvalue_t *v)
{
    const char *t = text_of(v);
    char *end = NULL;
    long long n;

    if (!t || !*t)
        return LLONG_MIN;
    errno = 0;
    n = strtoll(t, &end, 10);
    return (errno || !end || *end) ? LLONG_MIN : n;
}

/* An object's message: its ToString, else a Message or MessageData property found within it (the
 * ToString of a nested object, such as an enum's, is not a message). */
static const char *message_in(const wsman_psvalue_t *obj, int depth)
{
    static const char *const names[] = {"Message", "MessageData"};
    const wsman_psprop_t *sets[2];
    size_t counts[2], i, k;
    const char *m;

    if (!obj || obj->kind != WSMAN_PS_OBJECT || depth > MESSAGE_SEARCH_DEPTH)
        return NULL;
    if (depth == 0 && obj->to_string)
        return obj->to_string;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((m = text_of(wsman_psvalue_prop(obj, names[i]))))
            return m;
    sets[0] = obj->adapted, counts[0] = obj->nadapted;
    sets[1] = obj->extended, counts[1] = obj->nextended;
    for (k = 0; k < 2; k++)
        for (i = 0; i < counts[k]; i++)
            if ((m = message_in(sets[k][i].value, depth + 1)))
                return m;
    return NULL;
}

/* The first of names that obj has, or NULL. */
static const wsman_psvalue_t *prop_any(const wsman_psvalue_t *obj, const char *const names[PR_NAMES])
{
    const wsman_psvalue_t *v = NULL;
    int i;

    for (i = 0; !v && i < PR_NAMES && names[i]; i++)
        v = wsman_psvalue_prop(obj, names[i]);
    return v;
}

/* A progress record's fields: from stderr's <PR N="Record">, or from the object itself when it
 * is on the progress stream. */
static void progress_fields(const wsman_psvalue_t *obj, const char *stream, wsman_ps_record_t *r)
{
    const wsman_psvalue_t *pr = wsman_psvalue_prop(obj, "Record");
    const char **strs[PR_NSTR];
    long long *nums[PR_NNUM];
    int i;

    if (!pr || pr->kind != WSMAN_PS_OBJECT)
        pr = strcmp(stream, "progress") == 0 ? obj : NULL;
    if (!pr)
        return;
    strs[PR_ACTIVITY] = &r->activity;
    strs[PR_CURRENT_OPERATION] = &r->current_operation;
    strs[PR_STATUS] = &r->status_description;
    strs[PR_TYPE] = &r->record_type;
    nums[PR_ACTIVITY_ID] = &r->activity_id;
    nums[PR_PARENT_ID] = &r->parent_activity_id;
    nums[PR_PERCENT] = &r->percent_complete;
    nums[PR_SECONDS] = &r->seconds_remaining;
    for (i = 0; i < PR_NSTR; i++)
        *strs[i] = text_of(prop_any(pr, pr_strings[i]));
    for (i = 0; i < PR_NNUM; i++)
        *nums[i] = number_of(prop_any(pr, pr_numbers[i]));
}

static int emit_object(render_t *c, const wsman_psvalue_t *obj)
{
    char type[STREAM_NAME_MAX];
    wsman_ps_record_t r;

    stream_of(obj, type);
    record_init(&r, type);
    r.message = message_in(obj, 0);
    r.source_id = number_of(wsman_psvalue_prop(obj, "SourceId"));
    progress_fields(obj, type, &r);
    return c->cb ? c->cb(c->ud, &r) : 0;
}

/* One line of a stream (<S S="...">): the error stream's is text and part of an error record. */
static int render_line(render_t *c, const wsman_psvalue_t *v)
{
    char stream[STREAM_NAME_MAX];
    const char *s = v->text ? v->text : "";

    stream_of(v, stream);
    if (strcmp(stream, "error") != 0)
        return flush_error(c) != 0 ? -1 : emit_message(c, stream, s, v->len);
    if (wsman_buf_append(c->text, s, v->len) != 0)
        return -1;
    if (blank(s, v->len))
        return flush_error(c);
    c->err_open = 1;
    return wsman_buf_append(&c->errmsg, s, v->len);
}

static int render_doc(render_t *c, const wsman_psdoc_t *d)
{
    size_t i, n = wsman_psdoc_count(d);
    int rc = 0;

    for (i = 0; rc == 0 && i < n; i++) {
        const wsman_psvalue_t *v = wsman_psdoc_value(d, i);
        if (v->kind == WSMAN_PS_STRING)
            rc = render_line(c, v);
        else if ((rc = flush_error(c)) == 0 && v->kind == WSMAN_PS_OBJECT)
            rc = emit_object(c, v);
    }
    return rc == 0 ? flush_error(c) : rc;
}

/* Parses one <Objs> document and renders it: 0 when done; NOT_CLIXML when it does not parse (the
 * caller keeps it as text); -1 when out of memory or the callback failed. */
enum { NOT_CLIXML = 1 };

static int decode_doc(const char *doc, size_t len, wsman_buf_t *text, wsman_ps_record_cb cb, void *ud)
{
    wsman_error_t err;
    wsman_psdoc_t *d;
    render_t c;
    int rc;

    wsman_error_init(&err);
    d = wsman_psdoc_parse(doc, len, STDERR_MAX_DEPTH, &err);
    rc = d ? 0 : err.code == WSMAN_E_OUTOFMEMORY ? -1 : NOT_CLIXML;
    wsman_error_clear(&err);
    if (!d)
        return rc;
    memset(&c, 0, sizeof c);
    c.text = text;
    c.cb = cb;
    c.ud = ud;
    wsman_buf_init(&c.errmsg);
    rc = render_doc(&c, d);
    wsman_buf_free(&c.errmsg);
    wsman_psdoc_free(d);
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
        int drc, parsed = 0;

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
        drc = decode_doc(q, (size_t)(close - q), text, cb, ud);
        if (drc == NOT_CLIXML) { /* unparsable: leave it as it was */
            rc = wsman_buf_append(text, m, (size_t)(close - m));
        } else {
            rc = drc;
            parsed = 1;
        }
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
