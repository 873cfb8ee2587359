/* SPDX-License-Identifier: MIT */
/*
 * test_psrp.c - PSRP framing (MS-PSRP 2.2.1 messages, 2.2.4 fragments): every fragment and message
 * of the real Windows recordings (../shared/captures/windows-pypsrp test_psrp_*, test_client_copy_*,
 * test_client_fetch_*) decodes and re-encodes to the recorded bytes, and multi-fragment messages
 * re-fragment to the recorded fragments; plus the defragmenter's refusals. No network.
 */
#include "check.h"
#include "psobject.h"
#include "psrp.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURES WSMAN_SOURCE_ROOT "/../shared/captures/windows-pypsrp"

enum { MAX_FILES = 256, MAX_OBJECTS = 64 };

/* ---- helpers -------------------------------------------------------------------------- */

static int collect(void *ud, const unsigned char *data, size_t len)
{
    return wsman_buf_append(ud, data, len);
}

typedef struct counted {
    size_t messages;
    uint32_t last_type;
    wsman_buf_t last_data;
} counted_t;

static int count_message(void *ud, const wsman_psrp_message_t *m)
{
    counted_t *c = ud;

    c->messages++;
    c->last_type = m->type;
    wsman_buf_reset(&c->last_data);
    return wsman_buf_append(&c->last_data, m->data, m->len);
}

static void make_message(wsman_buf_t *out, uint32_t type, const char *data)
{
    wsman_psrp_message_t m;

    memset(&m, 0, sizeof m);
    m.destination = WSMAN_PSRP_TO_SERVER;
    m.type = type;
    m.rpid[0] = 0xAB;
    m.pid[15] = 0xCD;
    m.bom = 1;
    m.data = data;
    m.len = strlen(data);
    wsman_buf_init(out);
    wsman_psrp_message_encode(out, &m);
}

/* ---- synthetic ------------------------------------------------------------------------ */

TEST(message_round_trip)
{
    wsman_buf_t b, again;
    wsman_psrp_message_t m;
    wsman_error_t e;

    wsman_error_init(&e);
    make_message(&b, WSMAN_PSRP_PIPELINE_INPUT, "<S>x</S>");
    CHECK_INT(b.len, WSMAN_PSRP_HEADER_SIZE + 3 + 8);
    CHECK_INT((unsigned char)b.data[0], 2);
    CHECK_INT((unsigned char)b.data[4], 0x02);
    CHECK_INT((unsigned char)b.data[5], 0x10);
    CHECK_INT((unsigned char)b.data[6], 0x04);
    CHECK_INT(wsman_psrp_message_decode(b.data, b.len, &m, &e), 0);
    CHECK_INT(m.type, WSMAN_PSRP_PIPELINE_INPUT);
    CHECK_INT(m.destination, WSMAN_PSRP_TO_SERVER);
    CHECK_INT(m.bom, 1);
    CHECK_INT(m.len, 8);
    CHECK(memcmp(m.data, "<S>x</S>", 8) == 0);
    CHECK_INT(m.rpid[0], 0xAB);
    CHECK_INT(m.pid[15], 0xCD);
    wsman_buf_init(&again);
    wsman_psrp_message_encode(&again, &m);
    CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
    CHECK_STR(wsman_psrp_type_name(m.type), "PIPELINE_INPUT");
    CHECK(wsman_psrp_type_name(0x12345678) == NULL);
    wsman_buf_free(&again);
    wsman_buf_free(&b);
    wsman_error_clear(&e);
}

TEST(message_refusals)
{
    unsigned char bytes[WSMAN_PSRP_HEADER_SIZE] = {0};
    wsman_psrp_message_t m;
    wsman_error_t e;

    wsman_error_init(&e);
    CHECK_INT(wsman_psrp_message_decode(bytes, sizeof bytes - 1, &m, &e), -1);
    CHECK_INT(e.code, WSMAN_E_PSRP_INVALID_DATA);
    CHECK(contains(e.message, "shorter than its 40-byte header"));
    wsman_error_clear(&e);
    bytes[0] = 7;
    CHECK_INT(wsman_psrp_message_decode(bytes, sizeof bytes, &m, &e), -1);
    CHECK(contains(e.message, "destination 0x00000007"));
    wsman_error_clear(&e);
    bytes[0] = 1; /* header only: no data, no BOM */
    CHECK_INT(wsman_psrp_message_decode(bytes, sizeof bytes, &m, &e), 0);
    CHECK_INT(m.len, 0);
    CHECK_INT(m.bom, 0);
    wsman_error_clear(&e);
}

TEST(guid_packet_representation)
{
    unsigned char g[WSMAN_PSRP_GUID_SIZE];
    char s[WSMAN_PSRP_GUID_STRLEN + 1];
    static const unsigned char want[WSMAN_PSRP_GUID_SIZE] = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
                                                             0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};

    CHECK_INT(wsman_psrp_guid_parse("00112233-4455-6677-8899-aabbccddeeff", g), 0);
    CHECK(memcmp(g, want, sizeof want) == 0);
    wsman_psrp_guid_format(g, s);
    CHECK_STR(s, "00112233-4455-6677-8899-AABBCCDDEEFF");
    CHECK_INT(wsman_psrp_guid_parse("{00112233-4455-6677-8899-AABBCCDDEEFF}", g), 0);
    CHECK(memcmp(g, want, sizeof want) == 0);
    CHECK_INT(wsman_psrp_guid_parse("00112233-4455-6677-8899-AABBCCDDEEF", g), -1);
    CHECK_INT(wsman_psrp_guid_parse("00112233-4455-6677-8899-AABBCCDDEEFF0", g), -1);
    CHECK_INT(wsman_psrp_guid_parse("0011223344-55-6677-8899-AABBCCDDEEFF", g), -1);
    CHECK_INT(wsman_psrp_guid_parse("{00112233-4455-6677-8899-AABBCCDDEEFF", g), -1);
    CHECK_INT(wsman_psrp_guid_parse("g0112233-4455-6677-8899-AABBCCDDEEFF", g), -1);
    CHECK_INT(wsman_psrp_guid_parse(NULL, g), -1);
}

TEST(fragment_sizes)
{
    wsman_buf_t msg, frags;
    wsman_psrp_fragment_t f;
    wsman_error_t e;
    size_t off = 0, used, n = 0;
    char data[1000];

    wsman_error_init(&e);
    memset(data, 'a', sizeof data - 1);
    data[sizeof data - 1] = '\0';
    make_message(&msg, WSMAN_PSRP_PIPELINE_INPUT, data);
    wsman_buf_init(&frags);
    CHECK_INT(wsman_psrp_fragment_message(9, msg.data, msg.len, 121, collect, &frags, &e), 0);
    while (off < frags.len) {
        CHECK_INT(wsman_psrp_fragment_decode(frags.data + off, frags.len - off, &f, &used, &e), 0);
        CHECK(used <= 121);
        CHECK_INT(f.object_id, 9);
        CHECK_INT(f.fragment_id, n);
        CHECK_INT(f.flags & WSMAN_PSRP_FRAG_START, n == 0 ? WSMAN_PSRP_FRAG_START : 0);
        off += used;
        n++;
        CHECK_INT(f.flags & WSMAN_PSRP_FRAG_END, off == frags.len ? WSMAN_PSRP_FRAG_END : 0);
    }
    CHECK_INT(n, (msg.len + 99) / 100);
    CHECK_INT(frags.len, msg.len + n * WSMAN_PSRP_FRAGMENT_HEADER);
    /* an empty message still makes one start+end fragment */
    wsman_buf_reset(&frags);
    CHECK_INT(wsman_psrp_fragment_message(1, "", 0, 100, collect, &frags, &e), 0);
    CHECK_INT(frags.len, WSMAN_PSRP_FRAGMENT_HEADER);
    CHECK_INT((unsigned char)frags.data[16], WSMAN_PSRP_FRAG_START | WSMAN_PSRP_FRAG_END);
    CHECK_INT(
        wsman_psrp_fragment_message(1, msg.data, msg.len, WSMAN_PSRP_FRAGMENT_HEADER, collect, &frags, &e),
        -1);
    CHECK(contains(e.message, "raise MaxEnvelopeSize"));
    wsman_error_clear(&e);
    /* 153600-byte envelopes, 1000 bytes of envelope: (152600 / 4) * 3 */
    CHECK_INT(wsman_psrp_max_fragment(153600, 1000), 114450);
    CHECK_INT(wsman_psrp_max_fragment(500, 1000), 0);
    CHECK_INT(wsman_psrp_max_fragment(0, 0), 0);
    wsman_buf_free(&frags);
    wsman_buf_free(&msg);
}

/* Feeds frags in pieces of `step` whole fragments at a time. */
static int feed_fragments(wsman_psrp_defrag_t *d, const wsman_buf_t *frags, size_t step, counted_t *c,
                          wsman_error_t *e)
{
    size_t off = 0;

    while (off < frags->len) {
        size_t end = off, used, k;
        wsman_psrp_fragment_t f;
        for (k = 0; k < step && end < frags->len; k++) {
            if (wsman_psrp_fragment_decode(frags->data + end, frags->len - end, &f, &used, e) != 0)
                return -1;
            end += used;
        }
        if (wsman_psrp_defrag_feed(d, frags->data + off, end - off, count_message, c, e) != 0)
            return -1;
        off = end;
    }
    return 0;
}

TEST(defragment_any_split)
{
    wsman_buf_t msg, frags;
    wsman_error_t e;
    counted_t c;
    size_t step;
    char data[5000];

    wsman_error_init(&e);
    memset(&c, 0, sizeof c);
    wsman_buf_init(&c.last_data);
    memset(data, 'z', sizeof data - 1);
    data[sizeof data - 1] = '\0';
    make_message(&msg, WSMAN_PSRP_PIPELINE_OUTPUT, data);
    wsman_buf_init(&frags);
    CHECK_INT(wsman_psrp_fragment_message(3, msg.data, msg.len, 300, collect, &frags, &e), 0);
    for (step = 1; step <= 20; step++) {
        wsman_psrp_defrag_t *d = wsman_psrp_defrag_new(0);
        c.messages = 0;
        CHECK_INT(feed_fragments(d, &frags, step, &c, &e), 0);
        CHECK_INT(c.messages, 1);
        CHECK_INT(c.last_type, WSMAN_PSRP_PIPELINE_OUTPUT);
        CHECK_INT(c.last_data.len, sizeof data - 1);
        CHECK_INT(wsman_psrp_defrag_pending(d), 0);
        wsman_psrp_defrag_free(d);
    }
    wsman_buf_free(&c.last_data);
    wsman_buf_free(&frags);
    wsman_buf_free(&msg);
}

TEST(defragment_interleaved_objects)
{
    wsman_buf_t m1, m2, f1, f2, mixed;
    wsman_psrp_defrag_t *d = wsman_psrp_defrag_new(0);
    wsman_error_t e;
    counted_t c;
    size_t o1 = 0, o2 = 0, used;
    wsman_psrp_fragment_t f;

    wsman_error_init(&e);
    memset(&c, 0, sizeof c);
    wsman_buf_init(&c.last_data);
    make_message(&m1, WSMAN_PSRP_PIPELINE_OUTPUT, "<S>one one one one one one one one</S>");
    make_message(&m2, WSMAN_PSRP_WARNING_RECORD, "<S>two two two two two two two two two</S>");
    wsman_buf_init(&f1);
    wsman_buf_init(&f2);
    wsman_buf_init(&mixed);
    wsman_psrp_fragment_message(1, m1.data, m1.len, 40, collect, &f1, &e);
    wsman_psrp_fragment_message(2, m2.data, m2.len, 40, collect, &f2, &e);
    while (o1 < f1.len || o2 < f2.len) {
        if (o1 < f1.len) {
            wsman_psrp_fragment_decode(f1.data + o1, f1.len - o1, &f, &used, &e);
            wsman_buf_append(&mixed, f1.data + o1, used);
            o1 += used;
        }
        if (o2 < f2.len) {
            wsman_psrp_fragment_decode(f2.data + o2, f2.len - o2, &f, &used, &e);
            wsman_buf_append(&mixed, f2.data + o2, used);
            o2 += used;
        }
    }
    CHECK_INT(wsman_psrp_defrag_feed(d, mixed.data, mixed.len, count_message, &c, &e), 0);
    CHECK_INT(c.messages, 2);
    CHECK_INT(wsman_psrp_defrag_pending(d), 0);
    wsman_psrp_defrag_free(d);
    wsman_buf_free(&c.last_data);
    wsman_buf_free(&mixed);
    wsman_buf_free(&f1);
    wsman_buf_free(&f2);
    wsman_buf_free(&m1);
    wsman_buf_free(&m2);
}

/* Feeds raw fragment bytes built from (object, id, flags, blob) to a fresh defragmenter. */
static int feed_one(wsman_psrp_defrag_t *d, uint64_t object, uint64_t id, unsigned flags, const char *blob,
                    counted_t *c, wsman_error_t *e)
{
    wsman_buf_t b;
    wsman_psrp_fragment_t f;
    int rc;

    f.object_id = object;
    f.fragment_id = id;
    f.flags = flags;
    f.blob = (const unsigned char *)blob;
    f.len = strlen(blob);
    wsman_buf_init(&b);
    wsman_psrp_fragment_encode(&b, &f);
    rc = wsman_psrp_defrag_feed(d, b.data, b.len, count_message, c, e);
    wsman_buf_free(&b);
    return rc;
}

TEST(defragment_refusals)
{
    wsman_psrp_defrag_t *d = wsman_psrp_defrag_new(100);
    wsman_error_t e;
    counted_t c;
    char big[120];
    unsigned char trunc[30] = {0};

    wsman_error_init(&e);
    memset(&c, 0, sizeof c);
    wsman_buf_init(&c.last_data);
    CHECK_INT(feed_one(d, 1, 1, 0, "x", &c, &e), -1);
    CHECK(contains(e.message, "without its start fragment"));
    wsman_error_clear(&e);
    CHECK_INT(feed_one(d, 1, 1, WSMAN_PSRP_FRAG_START, "x", &c, &e), -1);
    CHECK(contains(e.message, "non-zero fragment id"));
    wsman_error_clear(&e);
    CHECK_INT(feed_one(d, 1, 0, WSMAN_PSRP_FRAG_START, "x", &c, &e), 0);
    CHECK_INT(wsman_psrp_defrag_pending(d), 1);
    CHECK_INT(feed_one(d, 1, 0, WSMAN_PSRP_FRAG_START, "x", &c, &e), -1);
    CHECK(contains(e.message, "already open"));
    wsman_error_clear(&e);
    CHECK_INT(feed_one(d, 1, 2, 0, "x", &c, &e), -1);
    CHECK(contains(e.message, "out of sequence"));
    wsman_error_clear(&e);
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(feed_one(d, 1, 1, 0, big, &c, &e), -1);
    CHECK(contains(e.message, "100-byte limit"));
    wsman_error_clear(&e);
    big[100] = '\0';
    CHECK_INT(feed_one(d, 1, 1, 0, big, &c, &e), -1);
    CHECK(contains(e.message, "grows beyond 100 bytes"));
    CHECK_INT(wsman_psrp_defrag_pending(d), 0);
    wsman_error_clear(&e);
    /* a whole fragment whose message is too short for its header */
    CHECK_INT(feed_one(d, 2, 0, WSMAN_PSRP_FRAG_START | WSMAN_PSRP_FRAG_END, "short", &c, &e), -1);
    CHECK(contains(e.message, "shorter than its 40-byte header"));
    wsman_error_clear(&e);
    /* truncated header and truncated blob */
    CHECK_INT(wsman_psrp_defrag_feed(d, trunc, 20, count_message, &c, &e), -1);
    CHECK(contains(e.message, "fragment header needs 21"));
    wsman_error_clear(&e);
    trunc[20] = 10;
    CHECK_INT(wsman_psrp_defrag_feed(d, trunc, sizeof trunc, count_message, &c, &e), -1);
    CHECK(contains(e.message, "says 10 bytes of data but only 9 follow"));
    wsman_error_clear(&e);
    CHECK_INT(c.messages, 0);
    wsman_psrp_defrag_free(d);
    wsman_buf_free(&c.last_data);
}

/* ---- the recordings ------------------------------------------------------------------- */

/* Raw fragments of one object as recorded, to compare with a re-fragmentation. */
typedef struct recorded_object {
    uint64_t id;
    size_t first_size; /* size of its first fragment: the sender's fragment limit, when it has more */
    wsman_buf_t frags;
} recorded_object_t;

typedef struct replay {
    const char *file;
    wsman_psrp_defrag_t *defrag;
    recorded_object_t objects[MAX_OBJECTS];
    size_t nobjects;
    size_t fragments, messages, multi, refragmented, failures, values, rewritten;
    wsman_buf_t reencoded;
} replay_t;

static void fail(replay_t *r, const char *what)
{
    if (r->failures++ < 5)
        printf("# %s: %s\n", r->file, what);
}

static recorded_object_t *object_of(replay_t *r, uint64_t id)
{
    size_t i;

    for (i = 0; i < r->nobjects; i++)
        if (r->objects[i].id == id)
            return &r->objects[i];
    if (r->nobjects == MAX_OBJECTS)
        return NULL;
    r->objects[r->nobjects].id = id;
    r->objects[r->nobjects].first_size = 0;
    wsman_buf_init(&r->objects[r->nobjects].frags);
    return &r->objects[r->nobjects++];
}

static void forget_object(replay_t *r, recorded_object_t *o)
{
    wsman_buf_free(&o->frags);
    *o = r->objects[--r->nobjects];
}

/* The message's CLIXML decodes; written again and decoded again, it writes the same text. */
static void check_clixml(replay_t *r, const wsman_psrp_message_t *m)
{
    wsman_error_t e;
    wsman_psdoc_t *d, *again;
    wsman_buf_t w1, w2;

    wsman_error_init(&e);
    wsman_buf_init(&w1);
    wsman_buf_init(&w2);
    if (!(d = wsman_psdoc_parse(m->data, m->len, 0, &e))) {
        fail(r, e.message);
        wsman_error_clear(&e);
        return;
    }
    r->values += wsman_psdoc_count(d);
    if (wsman_psdoc_count(d) != 1 || wsman_psvalue_write(&w1, wsman_psdoc_value(d, 0), NULL) != 0)
        fail(r, "message data is not one value");
    else if (!(again = wsman_psdoc_parse(w1.data, w1.len, 0, &e)))
        fail(r, e.message);
    else {
        if (wsman_psvalue_write(&w2, wsman_psdoc_value(again, 0), NULL) == 0 && w1.len == w2.len &&
            memcmp(w1.data, w2.data, w1.len) == 0)
            r->rewritten++;
        else
            fail(r, "CLIXML written again differs");
        wsman_psdoc_free(again);
    }
    wsman_psdoc_free(d);
    wsman_buf_free(&w1);
    wsman_buf_free(&w2);
    wsman_error_clear(&e);
}

static int check_message(void *ud, const wsman_psrp_message_t *m)
{
    replay_t *r = ud;
    wsman_buf_t *b = &r->reencoded;

    r->messages++;
    if (!wsman_psrp_type_name(m->type))
        fail(r, "unknown message type");
    if (m->len && m->data[0] != '<')
        fail(r, "message data is not CLIXML");
    if (m->len)
        check_clixml(r, m);
    wsman_buf_reset(b);
    return wsman_psrp_message_encode(b, m);
}

/* Every recorded object made of several fragments is cut again with its first fragment's size. */
static void check_refragment(replay_t *r, recorded_object_t *o)
{
    wsman_buf_t again;
    wsman_error_t e;

    wsman_error_init(&e);
    wsman_buf_init(&again);
    r->multi++;
    if (wsman_psrp_fragment_message(o->id, r->reencoded.data, r->reencoded.len, o->first_size, collect,
                                    &again, &e) == 0 &&
        again.len == o->frags.len && memcmp(again.data, o->frags.data, again.len) == 0)
        r->refragmented++;
    else
        fail(r, "re-fragmentation differs from the recorded fragments");
    wsman_buf_free(&again);
    wsman_error_clear(&e);
}

static void replay_fragment(replay_t *r, const unsigned char *p, size_t used, const wsman_psrp_fragment_t *f)
{
    recorded_object_t *o = object_of(r, f->object_id);
    wsman_buf_t again;
    wsman_error_t e;

    wsman_error_init(&e);
    wsman_buf_init(&again);
    r->fragments++;
    if (wsman_psrp_fragment_encode(&again, f) != 0 || again.len != used || memcmp(again.data, p, used) != 0)
        fail(r, "fragment does not re-encode to its bytes");
    if (o) {
        if (f->flags & WSMAN_PSRP_FRAG_START) {
            wsman_buf_reset(&o->frags);
            o->first_size = used;
        }
        wsman_buf_append(&o->frags, p, used);
    }
    wsman_buf_reset(&r->reencoded);
    if (wsman_psrp_defrag_feed(r->defrag, p, used, check_message, r, &e) != 0)
        fail(r, e.message ? e.message : "defragmentation failed");
    if (o && (f->flags & WSMAN_PSRP_FRAG_END)) {
        if (!(f->flags & WSMAN_PSRP_FRAG_START))
            check_refragment(r, o);
        forget_object(r, o);
    }
    wsman_buf_free(&again);
    wsman_error_clear(&e);
}

static void replay_payload(replay_t *r, const char *b64, size_t len)
{
    wsman_buf_t raw;
    wsman_error_t e;
    size_t off = 0;

    wsman_error_init(&e);
    wsman_buf_init(&raw);
    if (wsman_base64_decode(&raw, b64, len) != 0)
        fail(r, "payload is not base64");
    while (off < raw.len) {
        wsman_psrp_fragment_t f;
        size_t used;
        if (wsman_psrp_fragment_decode(raw.data + off, raw.len - off, &f, &used, &e) != 0) {
            fail(r, e.message);
            break;
        }
        replay_fragment(r, (const unsigned char *)raw.data + off, used, &f);
        off += used;
    }
    wsman_buf_free(&raw);
    wsman_error_clear(&e);
}

/* The base64 payload of every <creationXml>, <connectXml>, <rsp:Stream> and <rsp:Arguments> in line. */
static void replay_line(replay_t *r, const char *line)
{
    static const char *const tags[] = {"<creationXml", "<connectXml", "<rsp:Stream ", "<rsp:Arguments"};
    size_t t;

    for (t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        const char *p = line;
        while ((p = strstr(p, tags[t])) != NULL) {
            const char *gt = strchr(p, '>'), *end;
            if (!gt)
                break;
            p = gt + 1;
            if (gt[-1] == '/')
                continue;
            end = strchr(p, '<');
            if (end && end > p)
                replay_payload(r, p, (size_t)(end - p));
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int wanted(const char *name)
{
    size_t l = strlen(name);

    if (l < 4 || strcmp(name + l - 4, ".yml") != 0)
        return 0;
    return strncmp(name, "test_psrp_", 10) == 0 || strncmp(name, "test_client_copy_", 17) == 0 ||
           strncmp(name, "test_client_fetch_", 18) == 0;
}

/* Joins YAML's folded continuation lines (indented deeper than the entry) into their entry, so each
 * "- request:" / "  response:" line holds a whole envelope. Works in place. */
static void unfold(char *text)
{
    char *r = text, *w = text;

    while (*r) {
        if (r[0] == '\n' && strncmp(r + 1, "    ", 4) == 0) {
            r++;
            while (*r == ' ')
                r++;
            *w++ = ' ';
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}

/* Both directions of one recording; each direction has its own defragmenter. Only exchanges on a
 * PowerShell resource URI carry PSRP (a recording may also run cmd.exe over WinRS). */
static void replay_file(const char *name, replay_t *totals)
{
    replay_t dir[2];
    char path[1024], *text, *line, *next;
    size_t i;
    int psrp = 0;

    snprintf(path, sizeof path, "%s/%s", CAPTURES, name);
    text = read_file(path, NULL);
    CHECK(text != NULL);
    if (!text)
        return;
    unfold(text);
    for (i = 0; i < 2; i++) {
        memset(&dir[i], 0, sizeof dir[i]);
        dir[i].file = name;
        dir[i].defrag = wsman_psrp_defrag_new(0);
        wsman_buf_init(&dir[i].reencoded);
    }
    for (line = text; line && *line; line = next) {
        int response = strncmp(line, "  response:", 11) == 0;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "- request:", 10) == 0)
            psrp = contains(line, "schemas.microsoft.com/powershell/");
        if (psrp)
            replay_line(&dir[response], line);
    }
    for (i = 0; i < 2; i++) {
        if (wsman_psrp_defrag_pending(dir[i].defrag) != 0)
            fail(&dir[i], "a message was left incomplete");
        totals->fragments += dir[i].fragments;
        totals->messages += dir[i].messages;
        totals->multi += dir[i].multi;
        totals->refragmented += dir[i].refragmented;
        totals->failures += dir[i].failures;
        totals->values += dir[i].values;
        totals->rewritten += dir[i].rewritten;
        while (dir[i].nobjects)
            forget_object(&dir[i], &dir[i].objects[0]);
        wsman_psrp_defrag_free(dir[i].defrag);
        wsman_buf_free(&dir[i].reencoded);
    }
    CHECK(dir[0].messages > 0 && dir[1].messages > 0);
    free(text);
}

TEST(captures_every_message)
{
    DIR *d = opendir(CAPTURES);
    struct dirent *de;
    char *names[MAX_FILES];
    size_t n = 0, i;
    replay_t totals;

    NEED_SHARED(d != NULL, CAPTURES);
    while ((de = readdir(d)) != NULL && n < MAX_FILES)
        if (wanted(de->d_name))
            names[n++] = wsman_strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    memset(&totals, 0, sizeof totals);
    for (i = 0; i < n; i++) {
        replay_file(names[i], &totals);
        free(names[i]);
    }
    printf("# %zu recordings: %zu fragments, %zu messages, %zu multi-fragment messages re-fragmented "
           "identically: %zu; CLIXML values decoded: %zu, stable when written again: %zu\n",
           n, totals.fragments, totals.messages, totals.multi, totals.refragmented, totals.values,
           totals.rewritten);
    CHECK(n >= 45);
    CHECK(totals.messages >= 500);
    CHECK(totals.multi > 0);
    CHECK_INT(totals.refragmented, totals.multi);
    CHECK_INT(totals.rewritten, totals.values);
    CHECK(totals.values >= 500);
    CHECK_INT(totals.failures, 0);
}

int main(void)
{
    RUN(message_round_trip);
    RUN(message_refusals);
    RUN(guid_packet_representation);
    RUN(fragment_sizes);
    RUN(defragment_any_split);
    RUN(defragment_interleaved_objects);
    RUN(defragment_refusals);
    RUN(captures_every_message);
    return check_done();
}
