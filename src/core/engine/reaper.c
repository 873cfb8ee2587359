/* SPDX-License-Identifier: MIT */
/*
 * reaper.c - the owner of dropped sessions that still have cleanup requests queued.
 *
 * wsman_session_free never does network I/O (it may run inside a garbage collector that
 * interrupted a request). A session attached to a reaper that is dropped with Releases, shell
 * Deletes or Signals queued is handed over instead of freed: the reaper keeps its connection and
 * queue and sends them from wsman_reaper_run, which the exchange of any attached session calls
 * first, an embedding application calls when it likes (WSMan.flush), and wsman_reaper_close calls
 * at the end. Every run is bounded by a time budget; a session whose host does not answer is
 * dropped with what is left of its queue (the host expires idle contexts and shells itself).
 *
 * A run takes one session at a time from the head of a list and finishes it: a future
 * non-blocking engine can drive the same list one request per turn of its loop.
 */
#include "engine.h"

#include <stdlib.h>

typedef struct orphan {
    wsman_session_t *s;
    struct orphan *next;
} orphan_t;

struct wsman_reaper {
    int refs;    /* the owner's, plus one per attached session */
    int closed;  /* the owner let go: adopted sessions are freed at once */
    int running; /* a run is in progress (the exchanges it makes must not start another) */
    orphan_t *head, **tail;
    size_t count;
};

wsman_reaper_t *wsman_reaper_new(void)
{
    wsman_reaper_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->refs = 1;
    r->tail = &r->head;
    return r;
}

static void reaper_unref(wsman_reaper_t *r)
{
    if (r && --r->refs == 0)
        free(r);
}

void wsman_reaper_ref(wsman_reaper_t *r)
{
    if (r)
        r->refs++;
}

void wsman_reaper_release(wsman_reaper_t *r)
{
    reaper_unref(r);
}

int wsman_reaper_adopt(wsman_reaper_t *r, wsman_session_t *s)
{
    orphan_t *o;
    if (!r || r->closed || !(o = malloc(sizeof *o)))
        return -1;
    o->s = s;
    o->next = NULL;
    *r->tail = o;
    r->tail = &o->next;
    r->count++;
    return 0;
}

static wsman_session_t *take_first(wsman_reaper_t *r)
{
    orphan_t *o = r->head;
    wsman_session_t *s;
    if (!o)
        return NULL;
    r->head = o->next;
    if (!r->head)
        r->tail = &r->head;
    r->count--;
    s = o->s;
    free(o);
    return s;
}

size_t wsman_reaper_run(wsman_reaper_t *r, long budget_ms)
{
    long long end;
    if (!r)
        return 0;
    if (r->running)
        return r->count;
    r->running = 1;
    end = wsman_now_ms() + (budget_ms > 0 ? budget_ms : 0);
    while (r->head && wsman_now_ms() < end) {
        wsman_session_t *s = take_first(r);
        wsman_session_flush_until(s, end);
        wsman_session_destroy(s);
    }
    r->running = 0;
    return r->count;
}

size_t wsman_reaper_count(const wsman_reaper_t *r)
{
    return r ? r->count : 0;
}

void wsman_reaper_close(wsman_reaper_t *r, long budget_ms)
{
    wsman_session_t *s;
    if (!r)
        return;
    wsman_reaper_run(r, budget_ms);
    r->closed = 1;
    while ((s = take_first(r)) != NULL)
        wsman_session_destroy(s); /* out of time: the host expires what is left */
    reaper_unref(r);
}
