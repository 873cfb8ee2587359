/* SPDX-License-Identifier: MIT */
/*
 * psobject_write.c - CLIXML encoder (MS-PSRP 2.2.5) of the values of psobject.h.
 *
 * Every object gets a RefId in document order and is written once; reaching it again writes
 * <Ref RefId>. Type-name lists the same way with <TNRef>. Strings get PowerShell's _xHHHH_
 * escapes for control characters and for an underscore that would otherwise read as one.
 */
#include "psobject.h"
#include "protocol.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS_PS "http://schemas.microsoft.com/powershell/2004/04"

enum {
    MAX_WRITE_DEPTH = 512,
    SEEN_MIN_SLOTS = 64,
    CONTROL_LIMIT = 0x20,   /* characters below are written as _xHHHH_ */
    ASTRAL_FIRST = 0x10000, /* characters from here on are written as a surrogate pair */
    UNICODE_LAST = 0x10FFFF,
    HIGH_SURROGATE = 0xD800,
    LOW_SURROGATE = 0xDC00,
};

/* Pointer -> RefId, open addressing. */
typedef struct seen {
    const void **keys;
    unsigned long *ids;
    size_t slots, count;
} seen_t;

typedef struct writer {
    wsman_buf_t *out;
    wsman_buf_t tmp;
    seen_t objs, types;
    int depth;
} writer_t;

static size_t slot_of(const seen_t *s, const void *p)
{
    uintptr_t h = (uintptr_t)p;

    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 29)) & (s->slots - 1);
}

static long seen_get(const seen_t *s, const void *p)
{
    size_t i;

    if (!s->slots)
        return -1;
    for (i = slot_of(s, p); s->keys[i]; i = (i + 1) & (s->slots - 1))
        if (s->keys[i] == p)
            return (long)s->ids[i];
    return -1;
}

static int seen_grow(seen_t *s)
{
    seen_t n;
    size_t i;

    n.slots = s->slots ? s->slots * 2 : SEEN_MIN_SLOTS;
    n.count = s->count;
    n.keys = calloc(n.slots, sizeof *n.keys);
    n.ids = calloc(n.slots, sizeof *n.ids);
    if (!n.keys || !n.ids) {
        free(n.keys);
        free(n.ids);
        return -1;
    }
    for (i = 0; i < s->slots; i++) {
        if (s->keys[i]) {
            size_t j = slot_of(&n, s->keys[i]);
            while (n.keys[j])
                j = (j + 1) & (n.slots - 1);
            n.keys[j] = s->keys[i];
            n.ids[j] = s->ids[i];
        }
    }
    free(s->keys);
    free(s->ids);
    *s = n;
    return 0;
}

/* Records p with the next id; returns that id, or -1 when out of memory. */
static long seen_add(seen_t *s, const void *p)
{
    size_t i;

    if ((s->count + 1) * 2 > s->slots && seen_grow(s) != 0)
        return -1;
    i = slot_of(s, p);
    while (s->keys[i])
        i = (i + 1) & (s->slots - 1);
    s->keys[i] = p;
    s->ids[i] = s->count;
    return (long)s->count++;
}

static void seen_free(seen_t *s)
{
    free(s->keys);
    free(s->ids);
}

/* ---- text ----------------------------------------------------------------------------- */

/* Whether s starts with the UTF-8 of U+FFFE or U+FFFF. */
static int is_nonchar(const char *s, size_t n)
{
    return n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBF &&
           ((unsigned char)s[2] == 0xBE || (unsigned char)s[2] == 0xBF);
}

/* The code point of a 4-byte UTF-8 sequence at s (a character outside the BMP), or 0. */
static uint32_t astral_at(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp;

    if (n < 4 || (u[0] & 0xF8) != 0xF0 || (u[1] & 0xC0) != 0x80 || (u[2] & 0xC0) != 0x80 ||
        (u[3] & 0xC0) != 0x80)
        return 0;
    cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 | (uint32_t)(u[2] & 0x3F) << 6 |
         (uint32_t)(u[3] & 0x3F);
    return cp >= ASTRAL_FIRST && cp <= UNICODE_LAST ? cp : 0;
}

/* Whether the character at s is escaped: its width in bytes with its UTF-16 code units in
 * units[0..1] (units[1] 0 for one), or 0 when it is written as it is. PowerShell escapes control
 * characters, U+FFFE/U+FFFF, both halves of a surrogate pair, and an underscore that would read
 * as an escape. */
static size_t escaped_at(const char *s, size_t n, unsigned units[2])
{
    unsigned char c = (unsigned char)s[0];
    uint32_t cp = c >= 0xF0 ? astral_at(s, n) : 0;

    units[1] = 0;
    if (cp) {
        cp -= ASTRAL_FIRST;
        units[0] = HIGH_SURROGATE + (unsigned)(cp >> 10);
        units[1] = LOW_SURROGATE + (unsigned)(cp & 0x3FF);
        return 4;
    }
    if (is_nonchar(s, n)) { /* U+FFFE, U+FFFF: not XML characters either */
        units[0] = 0xFFFEu | ((unsigned char)s[2] & 1u);
        return 3;
    }
    if (c >= CONTROL_LIMIT && !(c == '_' && n > 1 && (s[1] == 'x' || s[1] == 'X')))
        return 0;
    units[0] = c;
    return 1;
}

/* s with PowerShell's escapes applied (into w->tmp), then XML-escaped into out. */
static int put_escaped(writer_t *w, const char *s, size_t len, int attr)
{
    size_t i = 0, start = 0, width;
    unsigned units[2];

    wsman_buf_reset(&w->tmp);
    while (i < len) {
        if (!(width = escaped_at(s + i, len - i, units))) {
            i++;
            continue;
        }
        if (wsman_buf_append(&w->tmp, s + start, i - start) != 0 ||
            wsman_buf_printf(&w->tmp, "_x%04X_", units[0]) != 0 ||
            (units[1] && wsman_buf_printf(&w->tmp, "_x%04X_", units[1]) != 0))
            return -1;
        i += width;
        start = i;
    }
    if (wsman_buf_append(&w->tmp, s + start, len - start) != 0)
        return -1;
    return attr ? wsman_buf_xml_attr(w->out, w->tmp.data ? w->tmp.data : "", w->tmp.len)
                : wsman_buf_xml_text(w->out, w->tmp.data ? w->tmp.data : "", w->tmp.len);
}

/* "<tag" and, when given, N="name" and S="stream". */
static int open_tag(writer_t *w, const char *tag, const char *name, const char *stream)
{
    if (wsman_buf_printf(w->out, "<%s", tag) != 0)
        return -1;
    if (name && (wsman_buf_puts(w->out, " N=\"") != 0 || put_escaped(w, name, strlen(name), 1) != 0 ||
                 wsman_buf_puts(w->out, "\"") != 0))
        return -1;
    if (stream &&
        (wsman_buf_puts(w->out, " S=\"") != 0 || wsman_buf_xml_attr(w->out, stream, strlen(stream)) != 0 ||
         wsman_buf_puts(w->out, "\"") != 0))
        return -1;
    return 0;
}

static int write_prim(writer_t *w, const wsman_psvalue_t *v, const char *name)
{
    const char *tag = wsman_pskind_element(v->kind);
    int rc;

    if (!tag || open_tag(w, tag, name, v->stream) != 0)
        return -1;
    if (v->kind == WSMAN_PS_NIL)
        return wsman_buf_puts(w->out, " />");
    if (wsman_buf_puts(w->out, ">") != 0)
        return -1;
    switch (v->kind) {
    case WSMAN_PS_BYTES:
        rc = wsman_base64_encode(w->out, (const unsigned char *)v->text, v->len);
        break;
    case WSMAN_PS_STRING:
    case WSMAN_PS_SCRIPTBLOCK:
    case WSMAN_PS_XML:
    case WSMAN_PS_URI:
        rc = put_escaped(w, v->text, v->len, 0);
        break;
    default:
        rc = wsman_buf_xml_text(w->out, v->text ? v->text : "", v->len);
        break;
    }
    return rc != 0 ? -1 : wsman_buf_printf(w->out, "</%s>", tag);
}

/* ---- objects -------------------------------------------------------------------------- */

static int write_value(writer_t *w, const wsman_psvalue_t *v, const char *name);

static int write_types(writer_t *w, const wsman_pstypes_t *t)
{
    long id = seen_get(&w->types, t);
    size_t i;

    if (id >= 0)
        return wsman_buf_printf(w->out, "<TNRef RefId=\"%ld\" />", id);
    if ((id = seen_add(&w->types, t)) < 0 || wsman_buf_printf(w->out, "<TN RefId=\"%ld\">", id) != 0)
        return -1;
    for (i = 0; i < t->count; i++)
        if (wsman_buf_puts(w->out, "<T>") != 0 ||
            wsman_buf_xml_text(w->out, t->names[i], strlen(t->names[i])) != 0 ||
            wsman_buf_puts(w->out, "</T>") != 0)
            return -1;
    return wsman_buf_puts(w->out, "</TN>");
}

static const char *coll_tag(wsman_pscoll_t c)
{
    switch (c) {
    case WSMAN_PS_COLL_LIST:
        return "LST";
    case WSMAN_PS_COLL_ENUM:
        return "IE";
    case WSMAN_PS_COLL_STACK:
        return "STK";
    case WSMAN_PS_COLL_QUEUE:
        return "QUE";
    case WSMAN_PS_COLL_DICT:
        return "DCT";
    default:
        return NULL;
    }
}

static int write_coll(writer_t *w, const wsman_psvalue_t *v)
{
    const char *tag = coll_tag(v->coll);
    size_t i;

    if (!tag)
        return 0;
    if (wsman_buf_printf(w->out, "<%s>", tag) != 0)
        return -1;
    if (v->coll == WSMAN_PS_COLL_DICT) {
        for (i = 0; i + 1 < v->nitems; i += 2)
            if (wsman_buf_puts(w->out, "<En>") != 0 || write_value(w, v->items[i], "Key") != 0 ||
                write_value(w, v->items[i + 1], "Value") != 0 || wsman_buf_puts(w->out, "</En>") != 0)
                return -1;
    } else {
        for (i = 0; i < v->nitems; i++)
            if (write_value(w, v->items[i], NULL) != 0)
                return -1;
    }
    return wsman_buf_printf(w->out, "</%s>", tag);
}

static int write_props(writer_t *w, const char *tag, const wsman_psprop_t *props, size_t n)
{
    size_t i;

    if (!n)
        return 0;
    if (wsman_buf_printf(w->out, "<%s>", tag) != 0)
        return -1;
    for (i = 0; i < n; i++)
        if (write_value(w, props[i].value, props[i].name) != 0)
            return -1;
    return wsman_buf_printf(w->out, "</%s>", tag);
}

static int write_obj(writer_t *w, const wsman_psvalue_t *v, const char *name)
{
    long id = seen_get(&w->objs, v);

    if (id >= 0)
        return open_tag(w, "Ref", name, NULL) != 0 ? -1 : wsman_buf_printf(w->out, " RefId=\"%ld\" />", id);
    if ((id = seen_add(&w->objs, v)) < 0 || open_tag(w, "Obj", name, v->stream) != 0 ||
        wsman_buf_printf(w->out, " RefId=\"%ld\">", id) != 0)
        return -1;
    if (v->types && write_types(w, v->types) != 0)
        return -1;
    if (v->to_string && (wsman_buf_puts(w->out, "<ToString>") != 0 ||
                         put_escaped(w, v->to_string, strlen(v->to_string), 0) != 0 ||
                         wsman_buf_puts(w->out, "</ToString>") != 0))
        return -1;
    if (v->base && write_value(w, v->base, NULL) != 0)
        return -1;
    if (write_coll(w, v) != 0 || write_props(w, "Props", v->adapted, v->nadapted) != 0 ||
        write_props(w, "MS", v->extended, v->nextended) != 0)
        return -1;
    return wsman_buf_puts(w->out, "</Obj>");
}

static int write_value(writer_t *w, const wsman_psvalue_t *v, const char *name)
{
    int rc;

    if (!v)
        return open_tag(w, "Nil", name, NULL) != 0 ? -1 : wsman_buf_puts(w->out, " />");
    if (v->kind != WSMAN_PS_OBJECT)
        return write_prim(w, v, name);
    if (++w->depth > MAX_WRITE_DEPTH)
        return -1;
    rc = write_obj(w, v, name);
    w->depth--;
    return rc;
}

static void writer_init(writer_t *w, wsman_buf_t *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    wsman_buf_init(&w->tmp);
}

static int writer_done(writer_t *w, int rc, size_t mark)
{
    wsman_buf_free(&w->tmp);
    seen_free(&w->objs);
    seen_free(&w->types);
    if (rc != 0 && w->out->data) { /* leave out as it was */
        w->out->len = mark;
        w->out->data[mark] = '\0';
    }
    return rc;
}

int wsman_psvalue_write(wsman_buf_t *out, const wsman_psvalue_t *v, const char *name)
{
    writer_t w;
    size_t mark = out->len;

    writer_init(&w, out);
    return writer_done(&w, write_value(&w, v, name), mark);
}

int wsman_psdoc_write_objs(wsman_buf_t *out, const wsman_psdoc_t *d)
{
    writer_t w;
    size_t mark = out->len, i, n = wsman_psdoc_count(d);
    int rc;

    writer_init(&w, out);
    rc = wsman_buf_puts(out, "<Objs Version=\"1.1.0.1\" xmlns=\"" NS_PS "\">");
    for (i = 0; rc == 0 && i < n; i++)
        rc = write_value(&w, wsman_psdoc_value(d, i), NULL);
    if (rc == 0)
        rc = wsman_buf_puts(out, "</Objs>");
    return writer_done(&w, rc, mark);
}
