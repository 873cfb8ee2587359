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
 * dropped with what is left of its queue (the host expires idle contexts and shells itself). A run
 * whose budget ends part-way through a session, or inside an operation that gets cancelled (a
 * task's), stops there and leaves the session, with the request it was sending, at the head of
 * the list for the next run.
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
    size_t count;        /* in the list */
    orphan_t *in_flight; /* taken from the list by a run that is sending its requests now (the run
                            may be suspended in a task's operation meanwhile) */
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

static orphan_t *take_first(wsman_reaper_t *r)
{
    orphan_t *o = r->head;
    if (!o)
        return NULL;
    r->head = o->next;
    if (!r->head)
        r->tail = &r->head;
    r->count--;
    return o;
}

/* o goes back to the head of the list: a cancelled operation interrupted its flush. */
static void put_first(wsman_reaper_t *r, orphan_t *o)
{
    o->next = r->head;
    r->head = o;
    if (!o->next)
        r->tail = &o->next;
    r->count++;
}

size_t wsman_reaper_run(wsman_reaper_t *r, long budget_ms)
{
    long long end;
    if (!r)
        return 0;
    if (r->running)
        return wsman_reaper_count(r);
    r->running = 1;
    end = wsman_now_ms() + (budget_ms > 0 ? budget_ms : 0);
    /* A cancelled operation (a task's) starts nothing: the next run sends what is left. */
    while (r->head && wsman_now_ms() < end && !wsman_fiber_cancelled()) {
        orphan_t *o = take_first(r);
        r->in_flight = o;
        if (wsman_session_flush_until(o->s, end) != WSMAN_FLUSH_DONE) {
            r->in_flight = NULL;
            put_first(r, o);
            break;
        }
        r->in_flight = NULL;
        wsman_session_destroy(o->s);
        free(o);
    }
    r->running = 0;
    return r->count;
}

size_t wsman_reaper_count(const wsman_reaper_t *r)
{
    return r ? r->count + (r->in_flight ? 1 : 0) : 0;
}

void wsman_reaper_close(wsman_reaper_t *r, long budget_ms)
{
    orphan_t *o;
    if (!r)
        return;
    wsman_reaper_run(r, budget_ms);
    r->closed = 1;
    while ((o = take_first(r)) != NULL) {
        wsman_session_destroy(o->s); /* out of time: the host expires what is left */
        free(o);
    }
    reaper_unref(r);
}
