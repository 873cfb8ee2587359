/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the top layer of the engine (not installed, not public): the exchange logic that
 * implements the public API of wsman.h on top of the protocol, transport and auth layers.
 *
 *   session.c    operations: envelope -> transport -> parser, retries, queued cleanup requests
 *   enumerate.c  Enumerate / Pull / Release
 *   shell.c      remote shells and commands (WinRS)
 */
#ifndef WSMAN_ENGINE_H
#define WSMAN_ENGINE_H

#include "auth.h"
#include "protocol.h"
#include "transport.h"

/* session.c: one request/reply exchange (used by enumerate.c). */
typedef struct wsman_exchange {
    const char *operation;          /* "Get", "Pull", ... (errors, retry policy) */
    const char *action;             /* wsa:Action; NULL = Identify envelope */
    const wsman_locator_t *locator; /* resource URI, selectors, options, fragment */
    const char *body;               /* inside s:Body (may be NULL) */
    wsman_resp_kind_t kind;
    wsman_item_cb cb; /* WSMAN_RESP_ENUM items */
    void *ud;
    int idempotent;         /* may resend after a failure where no reply byte arrived */
    int unauthenticated;    /* Identify with WSMANIDENTIFY: unauthenticated */
    int no_flush;           /* do not send queued Releases first (used by the flush) */
    int bounded;            /* the request must fit the session's MaxEnvelopeSize: its body carries what the
                               host sent (a Pull's EnumerationContext), which may grow without end */
    int complete_on_cancel; /* a cancelled operation still waits for this reply: it carries state
                               the host changed (an Enumerate's or a Pull's EnumerationContext, a
                               new shell's ShellId: what the client must Release or Delete) */
    long timeout_ms;        /* > 0: OperationTimeout of this exchange (and the client's deadline,
                               plus the network delay) instead of Session.Timeout */
} wsman_exchange_t;

/* Sends one request and reads the reply: 0 with out filled (not a fault), or -1 with e set
 * (server fault, HTTP/transport failure, bad reply), operation and endpoint always set. */
int wsman_session_exchange(wsman_session_t *s, const wsman_exchange_t *x, wsman_response_t *out,
                           wsman_error_t *e);
/* Queues a Release of an enumeration context, sent before the session's next request. Takes
 * ownership of loc and context (freed even on failure). No network I/O. */
void wsman_session_queue_release(wsman_session_t *s, wsman_locator_t *loc, char *context);
/* Queues any cleanup request the same way (a shell's Delete, a command's Signal terminate):
 * operation and action are static strings, loc and body (may be NULL) are taken over. No network I/O. */
void wsman_session_queue_request(wsman_session_t *s, const char *operation, const char *action,
                                 wsman_locator_t *loc, char *body);
/* The last reference is gone and the reaper (if any) did not take the session: free it now, queue
 * and all, without network I/O. */
void wsman_session_destroy(wsman_session_t *s);
/* How a flush of the queued cleanup requests ended. */
typedef enum wsman_flush_result {
    WSMAN_FLUSH_DONE,        /* every request was sent (or dropped: the host unreachable) */
    WSMAN_FLUSH_INTERRUPTED, /* the running operation was cancelled: what is left stays queued */
    WSMAN_FLUSH_OUT_OF_TIME  /* the deadline came first: what is left stays queued */
} wsman_flush_result_t;
/* Sends the queued cleanup requests until the deadline (wsman_now_ms); what is left then stays. */
wsman_flush_result_t wsman_session_flush_until(wsman_session_t *s, long long deadline);
/* reaper.c: takes over a dropped session (0), or -1 when the reaper is closed or out of memory
 * (the caller frees it). Attached sessions hold a reference on the reaper. */
int wsman_reaper_adopt(wsman_reaper_t *r, wsman_session_t *s);
void wsman_reaper_ref(wsman_reaper_t *r);
void wsman_reaper_release(wsman_reaper_t *r);
/* How long the exchange of an attached session spends on dropped sessions' cleanup first. */
#define WSMAN_REAPER_OPERATION_BUDGET_MS 5000L

/* shell.c, shared by the WinRS-shaped exchanges (shells, PSRP pools): */
/* "out of memory" / an invalid argument (msg) for op, with the session's endpoint; return -1. */
int wsman_engine_oom(wsman_error_t *e, const char *op, const wsman_session_t *s);
int wsman_engine_invalid(wsman_error_t *e, const char *op, const wsman_session_t *s, const char *msg);
/* A copy of loc with these options (must understand when any), for one exchange. */
wsman_locator_t wsman_locator_with_options(const wsman_locator_t *loc, wsman_pair_t *opts, size_t n);
/* session.c: one exchange with the WinRS knobs: a response kind, its ud, a Receive's timeout
   (0: the session's), idempotence. */
int wsman_winrs_exchange(wsman_session_t *s, const char *op, const char *action, const wsman_locator_t *l,
                         const char *body, wsman_resp_kind_t kind, void *ud, long timeout_ms, int idempotent,
                         wsman_response_t *res, wsman_error_t *e);
/* 1 when e is the fault of a shell or command the host no longer knows (0x8033805B). */
int wsman_shell_gone(const wsman_error_t *e);
/* shell.c: the text of the first {ns}local element of a serialized reply body (one or more
 * elements), or of the first {alt_ns}alt_local whose alt_attr is alt_value (alt_ns may be NULL).
 * Caller frees; NULL when absent or not parsable. */
char *wsman_reply_find_value(const wsman_buf_t *body, const char *ns, const char *local, const char *alt_ns,
                             const char *alt_local, const char *alt_attr, const char *alt_value);
long wsman_session_max_envelope_size(const wsman_session_t *s);

#endif
