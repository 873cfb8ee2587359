/* SPDX-License-Identifier: MIT */
/*
 * fuzz_clixml.c - PowerShell's stderr as the shell hands it back: "#< CLIXML" documents (and
 * anything around them) through wsman_ps_clixml_decode, and the same bytes as PSRP fragments
 * through the defragmenter and the message decoder. Oracle: every record has a type, and every
 * string it carries is readable to its end.
 */
#include "fuzz.h"
#include "protocol.h"
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

    wsman_psrp_defrag_t *d = wsman_psrp_defrag_new(MAX_MESSAGE);
    if (d) {
        wsman_psrp_defrag_feed(d, data, size, on_message, &n, &e);
        wsman_error_clear(&e);
        wsman_psrp_defrag_free(d);
    }
    return n == SIZE_MAX;
}
