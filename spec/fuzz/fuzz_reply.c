/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reply.c - the reply reader (response.c over xmlread.c) on any bytes: every reply kind, fed
 * in chunks of a size the input chooses, then the EPR parser on the same text. Oracle beyond
 * "no crash, no leak, no UB": everything the reader hands out as XML (the body of a reply, each
 * enumeration item, a fault's WSManFault) is well-formed XML on its own, as COM's results are.
 *
 * Input: byte 0 = reply kind (bits 0-1) and tight limits (bit 2: 4 KiB reply, depth 8, 1 KiB
 * items), byte 1 = chunk size (0: all at once), then the reply.
 */
#include "fuzz.h"
#include "protocol.h"

enum { HEADER_BYTES = 2, KIND_MASK = 3, TIGHT_LIMITS = 4 };
enum { TIGHT_BYTES = 4096, TIGHT_DEPTH = 8, TIGHT_ITEM = 1024 };

static int on_item(void *ud, const char *xml, size_t len)
{
    (void)ud;
    fz_expect_xml(xml, len, 0, "an enumeration item");
    return 0;
}

static int on_chunk(void *ud, const char *stream, const char *data, size_t len, int end)
{
    (void)ud;
    (void)stream;
    (void)data;
    (void)len;
    (void)end;
    return 0;
}

static void read_reply(wsman_resp_kind_t kind, int tight, size_t chunk, const char *text, size_t len)
{
    wsman_xml_limits_t lim;
    wsman_stream_sink_t sink = {on_chunk, NULL};
    wsman_error_t e;
    wsman_response_t resp;
    int rc = 0;

    wsman_xml_limits_for(&lim, 0);
    if (tight) {
        lim.max_bytes = TIGHT_BYTES;
        lim.max_depth = TIGHT_DEPTH;
        lim.max_item = TIGHT_ITEM;
    }
    wsman_error_init(&e);
    wsman_reader_t *r =
        wsman_reader_new(kind, &lim, on_item, kind == WSMAN_RESP_RECEIVE ? (void *)&sink : NULL);
    if (!r)
        return;
    size_t at = 0;
    do {
        size_t n = chunk && len - at > chunk ? chunk : len - at;
        rc = wsman_reader_feed(r, text + at, n, at + n == len, &e);
        at += n;
    } while (rc == 0 && at < len);
    if (rc == 0) {
        wsman_response_init(&resp);
        wsman_reader_result(r, &resp);
        if (resp.body.len)
            fz_expect_xml(resp.body.data, resp.body.len, 1, "a reply body");
        if (resp.is_fault && resp.fault.fault_xml)
            fz_expect_xml(resp.fault.fault_xml, strlen(resp.fault.fault_xml), 0, "a fault's WSManFault");
        wsman_response_clear(&resp);
    }
    wsman_error_clear(&e);
    wsman_reader_free(r);
}

static void read_epr(const char *text)
{
    char *uri = NULL;
    wsman_pair_t *sel = NULL;
    size_t n = 0;
    wsman_error_t e;

    wsman_error_init(&e);
    if (wsman_parse_epr(text, &uri, &sel, &n, &e) == 0) {
        free(uri);
        wsman_epr_pairs_free(sel, n);
    }
    wsman_error_clear(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_BYTES)
        return 0;
    wsman_resp_kind_t kind = (wsman_resp_kind_t)(data[0] & KIND_MASK);
    size_t chunk = data[1];
    char *text = malloc(size - HEADER_BYTES + 1);
    if (!text)
        return 0;
    memcpy(text, data + HEADER_BYTES, size - HEADER_BYTES);
    text[size - HEADER_BYTES] = '\0';
    read_reply(kind, (data[0] & TIGHT_LIMITS) != 0, chunk, text, size - HEADER_BYTES);
    read_epr(text);
    free(text);
    return 0;
}
