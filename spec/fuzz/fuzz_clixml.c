/* SPDX-License-Identifier: MIT */
/*
 * fuzz_clixml.c - CLIXML and PSRP from a host: PowerShell's stderr ("#< CLIXML" documents and
 * anything around them) through wsman_ps_clixml_decode, the same bytes as a serialized PSObject
 * document (psobject.c) and as PSRP fragments through the defragmenter and the message decoder.
 * Oracles: every stderr record has a type; a PSObject document that parses writes out as CLIXML
 * that parses again and writes out the same; the stderr decoder reads with the same parser, so an
 * <Objs> document the PSObject parser accepts is consumed from stderr (never left as text); a
 * decoded PSRP message encodes and decodes to itself.
 */
#include "fuzz.h"
#include "protocol.h"
#include "psobject.h"
#include "psrp.h"

enum { MAX_MESSAGE = 1 << 20 };

static size_t touch(const char *s)
{
    return s ? strlen(s) : 0;
}

static int on_record(void *ud, const wsman_ps_record_t *r)
{
    size_t *n = ud;
    if (!r->type)
        abort();
    *n += touch(r->type) + touch(r->message) + touch(r->activity) + touch(r->current_operation) +
          touch(r->status_description) + touch(r->record_type);
    return 0;
}

static int on_message(void *ud, const wsman_psrp_message_t *m)
{
    size_t *n = ud;
    wsman_buf_t again;
    wsman_psrp_message_t back;
    wsman_error_t e;

    /* a decoded message encodes to bytes that decode to the same message */
    wsman_buf_init(&again);
    wsman_error_init(&e);
    if (wsman_psrp_message_encode(&again, m) == 0) {
        if (wsman_psrp_message_decode(again.data, again.len, &back, &e) != 0 || back.type != m->type ||
            back.len != m->len || (m->len && memcmp(back.data, m->data, m->len) != 0)) {
            fprintf(stderr, "PSRP message of type 0x%08x does not survive encode/decode\n",
                    (unsigned)m->type);
            abort();
        }
    }
    wsman_error_clear(&e);
    wsman_buf_free(&again);
    *n += m->len;
    return 0;
}

/* CLIXML of a parsed document; aborts when out of memory. */
static void write_doc(const wsman_psdoc_t *d, wsman_buf_t *out)
{
    wsman_buf_init(out);
    if (wsman_psdoc_write_objs(out, d) != 0)
        abort();
}

static void psobjects(const char *xml, size_t len)
{
    wsman_error_t e;
    wsman_buf_t once, twice;

    wsman_error_init(&e);
    wsman_psdoc_t *d = wsman_psdoc_parse(xml, len, 0, &e);
    wsman_error_clear(&e);
    if (!d)
        return;
    write_doc(d, &once);
    wsman_psdoc_free(d);
    d = wsman_psdoc_parse(once.data, once.len, 0, &e);
    if (!d) {
        fprintf(stderr, "CLIXML written from a parsed document does not parse: %s\n%.*s\n",
                e.message ? e.message : "?", once.len > 4000 ? 4000 : (int)once.len, once.data);
        abort();
    }
    write_doc(d, &twice);
    if (twice.len != once.len || memcmp(twice.data, once.data, once.len) != 0) {
        fprintf(stderr, "CLIXML does not survive parse/write:\n%.*s\n%.*s\n",
                once.len > 2000 ? 2000 : (int)once.len, once.data, twice.len > 2000 ? 2000 : (int)twice.len,
                twice.data);
        abort();
    }
    wsman_psdoc_free(d);
    wsman_buf_free(&once);
    wsman_buf_free(&twice);
}

static const char *find_text(const char *s, size_t n, const char *what)
{
    size_t w = strlen(what), i;
    for (i = 0; i + w <= n; i++)
        if (memcmp(s + i, what, w) == 0)
            return s + i;
    return NULL;
}

/* An <Objs> document the PSObject parser accepts, written to stderr after the marker, is consumed
 * by the stderr decoder, not left in the text as it was. */
static void stderr_agrees(const char *xml, size_t len)
{
    static const char marker[] = "#< CLIXML\r\n";
    const char *close = find_text(xml, len, "</Objs>");
    wsman_buf_t in, text;
    wsman_error_t e;
    wsman_psdoc_t *d;
    size_t n = 0;

    if (len < 5 || memcmp(xml, "<Objs", 5) != 0 || !close || (size_t)(close - xml) + 7 != len)
        return;
    wsman_error_init(&e);
    d = wsman_psdoc_parse(xml, len, 64, &e);
    wsman_error_clear(&e);
    if (!d)
        return;
    wsman_psdoc_free(d);
    wsman_buf_init(&in);
    wsman_buf_init(&text);
    if (wsman_buf_append(&in, marker, sizeof marker - 1) != 0 || wsman_buf_append(&in, xml, len) != 0)
        abort();
    if (wsman_ps_clixml_decode(in.data, in.len, &text, on_record, &n, &e) == 0 && text.len == in.len &&
        memcmp(text.data, in.data, in.len) == 0) {
        fprintf(stderr, "a document the PSObject parser accepts stays in stderr text:\n%.*s\n",
                len > 2000 ? 2000 : (int)len, xml);
        abort();
    }
    wsman_error_clear(&e);
    wsman_buf_free(&in);
    wsman_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wsman_buf_t text;
    wsman_error_t e;
    size_t n = 0;

    wsman_buf_init(&text);
    wsman_error_init(&e);
    wsman_ps_clixml_decode((const char *)data, size, &text, on_record, &n, &e);
    wsman_error_clear(&e);
    wsman_buf_free(&text);

    psobjects((const char *)data, size);
    stderr_agrees((const char *)data, size);

    wsman_psrp_defrag_t *d = wsman_psrp_defrag_new(MAX_MESSAGE);
    if (d) {
        wsman_psrp_defrag_feed(d, data, size, on_message, &n, &e);
        wsman_error_clear(&e);
        wsman_psrp_defrag_free(d);
    }
    return n == SIZE_MAX;
}
