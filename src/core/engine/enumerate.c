/* SPDX-License-Identifier: MIT */
/*
 * enumerate.c - the Enumerator: optimized Enumerate, then Pull only when the local batch is
 * used up; always the latest context; EndOfSequence in either namespace ends it; replies that
 * would exceed MaxEnvelopeSize are retried with half the elements, down to 1.
 *
 * Only the current batch is held (a queue of item strings); items arrive from the streaming
 * reader one by one. Freeing an open enumerator queues its Release on the session (no I/O).
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#define MAX_EMPTY_PULLS 100

struct wsman_enum {
    wsman_session_t *s;
    wsman_locator_t *loc;
    char *context; /* latest EnumerationContext; NULL when there is none to Pull or Release */
    char **items;  /* ring of the current batch */
    size_t head, count, cap;
    int eos;      /* EndOfSequence received */
    int finished; /* fatal error or released */
    long max_elements;
};

static int is_envelope_size_fault(uint32_t code)
{
    return code == WSMAN_E_MAX_ENVELOPE_SIZE_EXCEEDED || code == WSMAN_E_ENCODING_LIMIT ||
           code == WSMAN_E_ENVELOPE_TOO_LARGE;
}

static int push_item(void *ud, const char *xml, size_t len)
{
    wsman_enum_t *en = ud;
    char *copy;

    if (en->count == en->cap) {
        size_t ncap = en->cap ? en->cap * 2 : 32, i;
        char **n = malloc(ncap * sizeof *n);
        if (!n)
            return -1;
        for (i = 0; i < en->count; i++)
            n[i] = en->items[(en->head + i) % en->cap];
        free(en->items);
        en->items = n;
        en->cap = ncap;
        en->head = 0;
    }
    copy = wsman_strndup(xml, len);
    if (!copy)
        return -1;
    en->items[(en->head + en->count) % en->cap] = copy;
    en->count++;
    return 0;
}

static char *pop_item(wsman_enum_t *en)
{
    char *it;
    if (!en->count)
        return NULL;
    it = en->items[en->head];
    en->head = (en->head + 1) % en->cap;
    en->count--;
    return it;
}

/* Drops items queued after 'keep' (a failed exchange's partial batch). */
static void truncate_items(wsman_enum_t *en, size_t keep)
{
    while (en->count > keep) {
        en->count--;
        free(en->items[(en->head + en->count) % en->cap]);
    }
}

/* Locator for Pull/Release: resource URI and selectors (no options, no fragment). */
static wsman_locator_t lite_locator(const wsman_locator_t *l)
{
    wsman_locator_t lite = *l;
    lite.options = NULL;
    lite.noptions = 0;
    lite.fragment_path = NULL;
    lite.fragment_dialect = NULL;
    lite.must_understand_options = 0;
    return lite;
}

/* Runs Enumerate (filter_xml != NULL or pull == 0) or Pull, halving MaxElements on the
 * envelope-size faults. */
static int run(wsman_enum_t *en, int pull, const char *filter_xml, uint32_t flags, wsman_error_t *e)
{
    wsman_locator_t lite = lite_locator(en->loc);
    long n = en->max_elements;

    for (;;) {
        wsman_exchange_t x;
        wsman_response_t res;
        wsman_buf_t body;
        size_t keep = en->count;
        int rc;

        wsman_buf_init(&body);
        rc =
            pull ? wsman_body_pull(&body, en->context, n) : wsman_body_enumerate(&body, n, flags, filter_xml);
        if (rc != 0) {
            wsman_buf_free(&body);
            wsman_error_oom(e, NULL);
            wsman_error_context(e, pull ? "Pull" : "Enumerate", wsman_session_endpoint(en->s));
            return -1;
        }
        memset(&x, 0, sizeof x);
        x.operation = pull ? "Pull" : "Enumerate";
        x.action = pull ? WSMAN_ACTION_PULL : WSMAN_ACTION_ENUMERATE;
        x.locator = pull ? &lite : en->loc;
        x.body = body.data;
        x.kind = WSMAN_RESP_ENUM;
        x.cb = push_item;
        x.ud = en;
        x.idempotent = 1;
        x.bounded = pull;
        x.complete_on_cancel = 1; /* the reply names the context the host opened (or moved on): to Release */
        wsman_response_init(&res);
        rc = wsman_session_exchange(en->s, &x, &res, e);
        wsman_buf_free(&body);
        if (rc == 0) {
            if (res.enum_context && *res.enum_context) {
                free(en->context);
                en->context = res.enum_context; /* always the latest */
                res.enum_context = NULL;
            } else if (res.enum_context || !pull) {
                /* empty context (finished), or an Enumerate without one: nothing to Pull */
                free(en->context);
                en->context = NULL;
            } /* a PullResponse without a context keeps the previous one */
            if (res.end_of_sequence)
                en->eos = 1;
            if (!en->context)
                en->eos = 1;
            en->max_elements = n;
            wsman_response_clear(&res);
            return 0;
        }
        wsman_response_clear(&res);
        truncate_items(en, keep);
        if (is_envelope_size_fault(e->code) && n > 1) {
            n /= 2;
            continue;
        }
        return -1;
    }
}

wsman_enum_t *wsman_enumerate(wsman_session_t *s, const wsman_locator_t *l, const char *filter,
                              const char *dialect, uint32_t flags, wsman_error_t *e)
{
    wsman_error_t local;
    wsman_buf_t fx;
    wsman_enum_t *en;
    int rc;

    if (!e) {
        wsman_error_init(&local);
        e = &local;
    }
    if (!s || !l || !l->uri || !*l->uri) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "Enumerate needs a resource URI");
        wsman_error_context(e, "Enumerate", s ? wsman_session_endpoint(s) : NULL);
        goto fail_early;
    }
    if (wsman_xml_check_str("Enumerate: the filter", filter, e) != 0 ||
        wsman_xml_check_str("Enumerate: the dialect", dialect, e) != 0) {
        wsman_error_context(e, "Enumerate", wsman_session_endpoint(s));
        goto fail_early;
    }
    wsman_buf_init(&fx);
    if (wsman_build_filter(&fx, filter, dialect, flags, l->uri, e) != 0) {
        wsman_buf_free(&fx);
        wsman_error_context(e, "Enumerate", wsman_session_endpoint(s));
        goto fail_early;
    }
    en = calloc(1, sizeof *en);
    if (!en || !(en->loc = wsman_locator_dup(l))) {
        free(en);
        wsman_buf_free(&fx);
        wsman_error_oom(e, NULL);
        wsman_error_context(e, "Enumerate", wsman_session_endpoint(s));
        goto fail_early;
    }
    en->s = s;
    wsman_session_ref(s);
    en->max_elements = wsman_session_batch_items(s); /* fixed for the enumeration, as in COM */
    rc = run(en, 0, fx.len ? fx.data : NULL, flags, e);
    wsman_buf_free(&fx);
    if (rc != 0) {
        en->finished = 1;
        wsman_enum_free(en);
        goto fail_early;
    }
    if (e == &local)
        wsman_error_clear(&local);
    return en;
fail_early:
    if (e == &local)
        wsman_error_clear(&local);
    return NULL;
}

int wsman_enum_fetch(wsman_enum_t *en, wsman_error_t *e)
{
    wsman_error_t local;
    int empty = 0, rc;

    if (!e) {
        wsman_error_init(&local);
        e = &local;
    }
    for (;;) {
        if (en->count) {
            rc = 1;
            break;
        }
        if (en->eos || en->finished || !en->context) {
            rc = 0;
            break;
        }
        if (run(en, 1, NULL, 0, e) != 0) {
            if (e->code == WSMAN_E_ENUMERATE_TIMED_OUT && ++empty < MAX_EMPTY_PULLS)
                continue; /* "the enumeration is still valid": pull again */
            en->finished = 1;
            if (e->code == WSMAN_E_ENUMERATE_INVALID_ENUMERATION_CONTEXT) {
                free(en->context); /* nothing left to release */
                en->context = NULL;
            }
            rc = -1;
            break;
        }
        if (!en->count && !en->eos && ++empty >= MAX_EMPTY_PULLS) {
            en->finished = 1;
            wsman_error_set(e, WSMAN_E_ENUMERATE_TIMED_OUT, "the server returned %d empty batches in a row",
                            MAX_EMPTY_PULLS);
            wsman_error_context(e, "Pull", wsman_session_endpoint(en->s));
            rc = -1;
            break;
        }
    }
    if (e == &local)
        wsman_error_clear(&local);
    return rc;
}

int wsman_enum_next(wsman_enum_t *en, wsman_buf_t *out, wsman_error_t *e)
{
    int rc = wsman_enum_fetch(en, e);
    char *it;

    if (rc <= 0) {
        if (rc == 0)
            wsman_buf_reset(out);
        return rc;
    }
    it = pop_item(en);
    wsman_buf_reset(out);
    rc = wsman_buf_puts(out, it);
    free(it);
    if (rc != 0) {
        if (e) {
            wsman_error_oom(e, NULL);
            wsman_error_context(e, "ReadItem", wsman_session_endpoint(en->s));
        }
        return -1;
    }
    return 1;
}

int wsman_enum_at_end(const wsman_enum_t *en)
{
    return en->count == 0 && (en->eos || en->finished || !en->context);
}

int wsman_enum_ready(const wsman_enum_t *en)
{
    return en && (en->count > 0 || en->eos || en->finished || !en->context);
}

int wsman_enum_release(wsman_enum_t *en, wsman_error_t *e)
{
    wsman_exchange_t x;
    wsman_response_t res;
    wsman_locator_t lite;
    wsman_buf_t body;
    int rc;

    if (!en->context || en->eos) {
        free(en->context);
        en->context = NULL;
        en->finished = 1;
        return 0;
    }
    lite = lite_locator(en->loc);
    wsman_buf_init(&body);
    if (wsman_body_release(&body, en->context) != 0) {
        if (e) {
            wsman_error_oom(e, NULL);
            wsman_error_context(e, "Release", wsman_session_endpoint(en->s));
        }
        return -1;
    }
    memset(&x, 0, sizeof x);
    x.operation = "Release";
    x.action = WSMAN_ACTION_RELEASE;
    x.locator = &lite;
    x.body = body.data;
    x.kind = WSMAN_RESP_EMPTY;
    x.idempotent = 1;
    wsman_response_init(&res);
    rc = wsman_session_exchange(en->s, &x, &res, e);
    wsman_response_clear(&res);
    wsman_buf_free(&body);
    /* released, or the server no longer knows it: either way nothing is left to release */
    free(en->context);
    en->context = NULL;
    en->finished = 1;
    return rc;
}

void wsman_enum_free(wsman_enum_t *en)
{
    if (!en)
        return;
    truncate_items(en, 0);
    free(en->items);
    if (en->context && !en->eos && en->s) {
        wsman_session_queue_release(en->s, en->loc, en->context); /* takes both */
        en->loc = NULL;
        en->context = NULL;
    }
    free(en->context);
    wsman_locator_free(en->loc);
    wsman_session_free(en->s);
    free(en);
}
