/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the shared event loop of the transport layer (not installed): one curl multi handle
 * per thread that every transport's transfers run on, and the resumable operations (fibers) that
 * wait on it. The public side (wsman_loop_*, wsman_async) is declared in wsman.h.
 */
#ifndef WSMAN_LOOP_H
#define WSMAN_LOOP_H

#include "protocol.h"

#include <curl/curl.h>

/* One transfer in flight on the shared multi handle (its easy handle's CURLOPT_PRIVATE). */
typedef struct wsman_waiter {
    int done; /* libcurl finished the transfer: rc is its result */
    CURLcode rc;
    long long deadline;        /* ms (wsman_now_ms), 0: none */
    int cancelled;             /* the operation waiting on it was cancelled */
    int complete_on_cancel;    /* ... and still waits for the reply (up to its deadline) */
    struct wsman_fiber *fiber; /* the suspended operation waiting for it, NULL when none */
    /* called when libcurl changes what it watches the transfer's socket for (the request may
     * have gone out whole: what only sending needed can be released); NULL: nothing to do */
    void (*on_socket_change)(struct wsman_waiter *w);
} wsman_waiter_t;

/* How a wait ended. */
typedef enum wsman_wait_end {
    WSMAN_WAIT_DONE,      /* the transfer finished */
    WSMAN_WAIT_TIMED_OUT, /* the deadline passed first */
    WSMAN_WAIT_CANCELLED  /* the operation was cancelled */
} wsman_wait_end_t;

/* The calling thread's shared multi handle (created on first use); each transport holds one
 * reference. NULL when out of memory. */
CURLM *wsman_loop_acquire(void);
void wsman_loop_release(void);
/* Adds easy (its CURLOPT_PRIVATE set to w) to the shared multi handle. */
int wsman_loop_add(CURL *easy, wsman_waiter_t *w);
void wsman_loop_remove(CURL *easy);
/* Waits until w's transfer is done, its deadline passes or its operation is cancelled: inside a
 * resumable operation the operation is suspended meanwhile (other operations run), elsewhere
 * the loop is driven here. */
wsman_wait_end_t wsman_loop_wait(wsman_waiter_t *w);
/* Waits ms milliseconds the same way (no transfer: only the deadline or a cancellation ends the
 * wait). WSMAN_WAIT_TIMED_OUT once the time has passed, WSMAN_WAIT_CANCELLED. */
wsman_wait_end_t wsman_loop_sleep(long ms);

#endif
