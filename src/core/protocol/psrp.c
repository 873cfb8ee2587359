/* SPDX-License-Identifier: MIT */
/*
 * psrp.c - PSRP message headers and fragments (MS-PSRP 2.2.1, 2.2.4); see psrp.h.
 *
 * Byte order: the message header's destination and type are little-endian, the fragment header's
 * fields big-endian (as the specification and every recording have them).
 */
#include "psrp.h"
#include "protocol.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

enum {
    DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024, /* refuse larger messages unless configured */
    MAX_PENDING_OBJECTS = 64,               /* messages being reassembled at once */
    BASE64_GROUP_IN = 3,
    BASE64_GROUP_OUT = 4,
};

static const struct {
    uint32_t type;
    const char *name;
} type_names[] = {
    {WSMAN_PSRP_SESSION_CAPABILITY, "SESSION_CAPABILITY"},
    {WSMAN_PSRP_INIT_RUNSPACEPOOL, "INIT_RUNSPACEPOOL"},
    {WSMAN_PSRP_PUBLIC_KEY, "PUBLIC_KEY"},
    {WSMAN_PSRP_ENCRYPTED_SESSION_KEY, "ENCRYPTED_SESSION_KEY"},
    {WSMAN_PSRP_PUBLIC_KEY_REQUEST, "PUBLIC_KEY_REQUEST"},
    {WSMAN_PSRP_CONNECT_RUNSPACEPOOL, "CONNECT_RUNSPACEPOOL"},
    {WSMAN_PSRP_SET_MAX_RUNSPACES, "SET_MAX_RUNSPACES"},
    {WSMAN_PSRP_SET_MIN_RUNSPACES, "SET_MIN_RUNSPACES"},
    {WSMAN_PSRP_RUNSPACE_AVAILABILITY, "RUNSPACE_AVAILABILITY"},
    {WSMAN_PSRP_RUNSPACEPOOL_STATE, "RUNSPACEPOOL_STATE"},
    {WSMAN_PSRP_CREATE_PIPELINE, "CREATE_PIPELINE"},
    {WSMAN_PSRP_GET_AVAILABLE_RUNSPACES, "GET_AVAILABLE_RUNSPACES"},
    {WSMAN_PSRP_USER_EVENT, "USER_EVENT"},
    {WSMAN_PSRP_APPLICATION_PRIVATE_DATA, "APPLICATION_PRIVATE_DATA"},
    {WSMAN_PSRP_GET_COMMAND_METADATA, "GET_COMMAND_METADATA"},
    {WSMAN_PSRP_RUNSPACEPOOL_INIT_DATA, "RUNSPACEPOOL_INIT_DATA"},
    {WSMAN_PSRP_RESET_RUNSPACE_STATE, "RESET_RUNSPACE_STATE"},
    {WSMAN_PSRP_RUNSPACEPOOL_HOST_CALL, "RUNSPACEPOOL_HOST_CALL"},
    {WSMAN_PSRP_RUNSPACEPOOL_HOST_RESPONSE, "RUNSPACEPOOL_HOST_RESPONSE"},
    {WSMAN_PSRP_PIPELINE_INPUT, "PIPELINE_INPUT"},
    {WSMAN_PSRP_END_OF_PIPELINE_INPUT, "END_OF_PIPELINE_INPUT"},
    {WSMAN_PSRP_PIPELINE_OUTPUT, "PIPELINE_OUTPUT"},
    {WSMAN_PSRP_ERROR_RECORD, "ERROR_RECORD"},
    {WSMAN_PSRP_PIPELINE_STATE, "PIPELINE_STATE"},
    {WSMAN_PSRP_DEBUG_RECORD, "DEBUG_RECORD"},
    {WSMAN_PSRP_VERBOSE_RECORD, "VERBOSE_RECORD"},
    {WSMAN_PSRP_WARNING_RECORD, "WARNING_RECORD"},
    {WSMAN_PSRP_PROGRESS_RECORD, "PROGRESS_RECORD"},
    {WSMAN_PSRP_INFORMATION_RECORD, "INFORMATION_RECORD"},
    {WSMAN_PSRP_PIPELINE_HOST_CALL, "PIPELINE_HOST_CALL"},
    {WSMAN_PSRP_PIPELINE_HOST_RESPONSE, "PIPELINE_HOST_RESPONSE"},
};

const char *wsman_psrp_type_name(uint32_t type)
{
    size_t i;

    for (i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return NULL;
}

/* ---- integers ------------------------------------------------------------------------- */

static void put_be(unsigned char *p, uint64_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* ---- messages ------------------------------------------------------------------------- */

int wsman_psrp_message_encode(wsman_buf_t *out, const wsman_psrp_message_t *m)
{
    unsigned char h[WSMAN_PSRP_HEADER_SIZE];

    wsman_le32_put(h, m->destination);
    wsman_le32_put(h + 4, m->type);
    memcpy(h + 8, m->rpid, WSMAN_PSRP_GUID_SIZE);
    memcpy(h + 8 + WSMAN_PSRP_GUID_SIZE, m->pid, WSMAN_PSRP_GUID_SIZE);
    if (wsman_buf_reserve(out, sizeof h + sizeof utf8_bom + m->len) != 0)
        return -1;
    wsman_buf_append(out, h, sizeof h);
    if (m->bom)
        wsman_buf_append(out, utf8_bom, sizeof utf8_bom);
    if (m->len)
        wsman_buf_append(out, m->data, m->len);
    return 0;
}

int wsman_psrp_message_decode(const void *bytes, size_t len, wsman_psrp_message_t *m, wsman_error_t *e)
{
    const unsigned char *p = bytes;

    memset(m, 0, sizeof *m);
    if (len < WSMAN_PSRP_HEADER_SIZE) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "PSRP message of %zu bytes is shorter than its %d-byte header; the peer sent a "
                        "malformed message",
                        len, WSMAN_PSRP_HEADER_SIZE);
        return -1;
    }
    m->destination = wsman_le32_get(p);
    m->type = wsman_le32_get(p + 4);
    if (m->destination != WSMAN_PSRP_TO_CLIENT && m->destination != WSMAN_PSRP_TO_SERVER) {
        wsman_error_set(
            e, WSMAN_E_PSRP_INVALID_DATA,
            "PSRP message has destination 0x%08X (neither client 1 nor server 2); the peer sent a "
            "malformed message",
            (unsigned)m->destination);
        return -1;
    }
    memcpy(m->rpid, p + 8, WSMAN_PSRP_GUID_SIZE);
    memcpy(m->pid, p + 8 + WSMAN_PSRP_GUID_SIZE, WSMAN_PSRP_GUID_SIZE);
    p += WSMAN_PSRP_HEADER_SIZE;
    len -= WSMAN_PSRP_HEADER_SIZE;
    if (len >= sizeof utf8_bom && memcmp(p, utf8_bom, sizeof utf8_bom) == 0) {
        m->bom = 1;
        p += sizeof utf8_bom;
        len -= sizeof utf8_bom;
    }
    m->data = (const char *)p;
    m->len = len;
    return 0;
}

/* ---- GUIDs ---------------------------------------------------------------------------- */

/* Wire position of the i-th byte of the textual form (packet representation). */
static const unsigned char guid_order[WSMAN_PSRP_GUID_SIZE] = {3, 2, 1,  0,  5,  4,  7,  6,
                                                               8, 9, 10, 11, 12, 13, 14, 15};

void wsman_psrp_guid_format(const unsigned char g[WSMAN_PSRP_GUID_SIZE], char out[WSMAN_PSRP_GUID_STRLEN + 1])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 0;

    for (i = 0; i < WSMAN_PSRP_GUID_SIZE; i++) {
        unsigned char b = g[guid_order[i]];
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b >> 4];
        out[o++] = hex[b & 0xF];
    }
    out[o] = '\0';
}

int wsman_psrp_guid_parse(const char *s, unsigned char g[WSMAN_PSRP_GUID_SIZE])
{
    size_t i, pos = 0, braced;

    if (!s)
        return -1;
    braced = s[0] == '{';
    s += braced;
    for (i = 0; i < WSMAN_PSRP_GUID_SIZE; i++) {
        int hi, lo;
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (s[pos++] != '-')
                return -1;
        }
        hi = wsman_hexval(s[pos]);
        lo = hi < 0 ? -1 : wsman_hexval(s[pos + 1]);
        if (lo < 0)
            return -1;
        pos += 2;
        g[guid_order[i]] = (unsigned char)(hi << 4 | lo);
    }
    if (braced && s[pos++] != '}')
        return -1;
    return s[pos] == '\0' ? 0 : -1;
}

/* ---- fragments ------------------------------------------------------------------------ */

int wsman_psrp_fragment_encode(wsman_buf_t *out, const wsman_psrp_fragment_t *f)
{
    unsigned char h[WSMAN_PSRP_FRAGMENT_HEADER];

    if (f->len > UINT32_MAX)
        return -1;
    put_be(h, f->object_id, 8);
    put_be(h + 8, f->fragment_id, 8);
    h[16] = (unsigned char)f->flags;
    put_be(h + 17, f->len, 4);
    if (wsman_buf_reserve(out, sizeof h + f->len) != 0)
        return -1;
    wsman_buf_append(out, h, sizeof h);
    if (f->len)
        wsman_buf_append(out, f->blob, f->len);
    return 0;
}

int wsman_psrp_fragment_decode(const void *bytes, size_t len, wsman_psrp_fragment_t *f, size_t *used,
                               wsman_error_t *e)
{
    const unsigned char *p = bytes;

    memset(f, 0, sizeof *f);
    if (len < WSMAN_PSRP_FRAGMENT_HEADER) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "PSRP fragment truncated: %zu bytes left, a fragment header needs %d; the stream "
                        "payload was cut short",
                        len, WSMAN_PSRP_FRAGMENT_HEADER);
        return -1;
    }
    f->object_id = get_be(p, 8);
    f->fragment_id = get_be(p + 8, 8);
    f->flags = p[16];
    f->len = (size_t)get_be(p + 17, 4);
    if (f->len > len - WSMAN_PSRP_FRAGMENT_HEADER) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "PSRP fragment %llu of object %llu says %zu bytes of data but only %zu follow; the "
                        "stream payload was cut short",
                        (unsigned long long)f->fragment_id, (unsigned long long)f->object_id, f->len,
                        len - WSMAN_PSRP_FRAGMENT_HEADER);
        return -1;
    }
    f->blob = p + WSMAN_PSRP_FRAGMENT_HEADER;
    if (used)
        *used = WSMAN_PSRP_FRAGMENT_HEADER + f->len;
    return 0;
}

int wsman_psrp_fragment_message(uint64_t object_id, const void *msg, size_t len, size_t max_fragment,
                                wsman_psrp_bytes_cb cb, void *ud, wsman_error_t *e)
{
    const unsigned char *p = msg;
    wsman_buf_t b;
    wsman_psrp_fragment_t f;
    size_t room, off = 0;
    int rc = 0;

    if (max_fragment <= WSMAN_PSRP_FRAGMENT_HEADER) {
        wsman_error_set(e, WSMAN_E_MAX_ENVELOPE_SIZE_EXCEEDED,
                        "a PSRP fragment of at most %zu bytes leaves no room for data after its %d-byte "
                        "header; raise MaxEnvelopeSize",
                        max_fragment, WSMAN_PSRP_FRAGMENT_HEADER);
        return -1;
    }
    room = max_fragment - WSMAN_PSRP_FRAGMENT_HEADER;
    wsman_buf_init(&b);
    f.object_id = object_id;
    f.fragment_id = 0;
    do {
        f.len = len - off < room ? len - off : room;
        f.blob = p + off;
        f.flags = (off == 0 ? WSMAN_PSRP_FRAG_START : 0u) | (off + f.len == len ? WSMAN_PSRP_FRAG_END : 0u);
        wsman_buf_reset(&b);
        if (wsman_psrp_fragment_encode(&b, &f) != 0) {
            wsman_error_oom(e, "fragmenting a PSRP message");
            rc = -1;
            break;
        }
        if (cb(ud, (const unsigned char *)b.data, b.len) != 0) {
            wsman_error_set(e, WSMAN_E_OUTOFMEMORY, "PSRP fragment %llu of object %llu could not be queued",
                            (unsigned long long)f.fragment_id, (unsigned long long)object_id);
            rc = -1;
            break;
        }
        off += f.len;
        f.fragment_id++;
    } while (off < len);
    wsman_buf_free(&b);
    return rc;
}

size_t wsman_psrp_max_fragment(long max_envelope_size, size_t envelope_overhead)
{
    size_t room;

    if (max_envelope_size <= 0 || (size_t)max_envelope_size <= envelope_overhead)
        return 0;
    room = (size_t)max_envelope_size - envelope_overhead;
    return room / BASE64_GROUP_OUT * BASE64_GROUP_IN;
}

/* ---- defragmenter --------------------------------------------------------------------- */

typedef struct pending {
    uint64_t object_id;
    uint64_t next_fragment;
    wsman_buf_t data;
} pending_t;

struct wsman_psrp_defrag {
    size_t max_message;
    pending_t slots[MAX_PENDING_OBJECTS];
    size_t count;
};

wsman_psrp_defrag_t *wsman_psrp_defrag_new(size_t max_message)
{
    wsman_psrp_defrag_t *d = calloc(1, sizeof *d);

    if (d)
        d->max_message = max_message ? max_message : (size_t)DEFAULT_MAX_MESSAGE;
    return d;
}

void wsman_psrp_defrag_free(wsman_psrp_defrag_t *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->count; i++)
        wsman_buf_free(&d->slots[i].data);
    free(d);
}

size_t wsman_psrp_defrag_pending(const wsman_psrp_defrag_t *d)
{
    return d ? d->count : 0;
}

static pending_t *find_pending(wsman_psrp_defrag_t *d, uint64_t object_id)
{
    size_t i;

    for (i = 0; i < d->count; i++)
        if (d->slots[i].object_id == object_id)
            return &d->slots[i];
    return NULL;
}

static void drop_pending(wsman_psrp_defrag_t *d, pending_t *p)
{
    size_t i = (size_t)(p - d->slots);

    wsman_buf_free(&p->data);
    d->slots[i] = d->slots[d->count - 1];
    d->count--;
}

static int deliver(const void *bytes, size_t len, wsman_psrp_message_cb cb, void *ud, wsman_error_t *e)
{
    wsman_psrp_message_t m;

    if (wsman_psrp_message_decode(bytes, len, &m, e) != 0)
        return -1;
    if (cb(ud, &m) != 0) {
        if (e && e->code == 0)
            wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA, "PSRP %s message was refused by its handler",
                            wsman_psrp_type_name(m.type) ? wsman_psrp_type_name(m.type) : "(unknown)");
        return -1;
    }
    return 0;
}

/* A start fragment: a whole message, or the first piece of one. */
static int defrag_start(wsman_psrp_defrag_t *d, const wsman_psrp_fragment_t *f, wsman_psrp_message_cb cb,
                        void *ud, wsman_error_t *e)
{
    pending_t *p;

    if (f->fragment_id != 0 || find_pending(d, f->object_id)) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "PSRP fragment %llu of object %llu starts a message %s; the stream is out of order",
                        (unsigned long long)f->fragment_id, (unsigned long long)f->object_id,
                        f->fragment_id != 0 ? "with a non-zero fragment id" : "that is already open");
        return -1;
    }
    if (f->flags & WSMAN_PSRP_FRAG_END)
        return deliver(f->blob, f->len, cb, ud, e);
    if (d->count == MAX_PENDING_OBJECTS) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "more than %d PSRP messages are open at once; the peer interleaves too many objects",
                        MAX_PENDING_OBJECTS);
        return -1;
    }
    p = &d->slots[d->count++];
    p->object_id = f->object_id;
    p->next_fragment = 1;
    wsman_buf_init(&p->data);
    if (wsman_buf_append(&p->data, f->blob, f->len) != 0) {
        drop_pending(d, p);
        wsman_error_oom(e, "reassembling a PSRP message");
        return -1;
    }
    return 0;
}

/* A middle or end fragment of an open message. */
static int defrag_continue(wsman_psrp_defrag_t *d, const wsman_psrp_fragment_t *f, wsman_psrp_message_cb cb,
                           void *ud, wsman_error_t *e)
{
    pending_t *p = find_pending(d, f->object_id);
    int rc;

    if (!p || p->next_fragment != f->fragment_id) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "PSRP fragment %llu of object %llu arrived %s; the stream is out of order",
                        (unsigned long long)f->fragment_id, (unsigned long long)f->object_id,
                        p ? "out of sequence" : "without its start fragment");
        return -1;
    }
    if (f->len > d->max_message || p->data.len > d->max_message - f->len) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "PSRP message of object %llu grows beyond %zu bytes; refusing it",
                        (unsigned long long)f->object_id, d->max_message);
        drop_pending(d, p);
        return -1;
    }
    if (wsman_buf_append(&p->data, f->blob, f->len) != 0) {
        wsman_error_oom(e, "reassembling a PSRP message");
        drop_pending(d, p);
        return -1;
    }
    p->next_fragment++;
    if (!(f->flags & WSMAN_PSRP_FRAG_END))
        return 0;
    rc = deliver(p->data.data, p->data.len, cb, ud, e);
    drop_pending(d, p);
    return rc;
}

int wsman_psrp_defrag_feed(wsman_psrp_defrag_t *d, const void *data, size_t len, wsman_psrp_message_cb cb,
                           void *ud, wsman_error_t *e)
{
    const unsigned char *p = data;
    size_t off = 0;

    while (off < len) {
        wsman_psrp_fragment_t f;
        size_t used;
        int rc;

        if (wsman_psrp_fragment_decode(p + off, len - off, &f, &used, e) != 0)
            return -1;
        if (f.len > d->max_message) {
            wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                            "PSRP fragment of %zu bytes exceeds the %zu-byte limit", f.len, d->max_message);
            return -1;
        }
        rc = (f.flags & WSMAN_PSRP_FRAG_START) ? defrag_start(d, &f, cb, ud, e)
                                               : defrag_continue(d, &f, cb, ud, e);
        if (rc != 0)
            return -1;
        off += used;
    }
    return 0;
}
