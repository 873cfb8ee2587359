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
    int idempotent;      /* may resend after a failure where no reply byte arrived */
    int unauthenticated; /* Identify with WSMANIDENTIFY: unauthenticated */
    int no_flush;        /* do not send queued Releases first (used by the flush) */
    int bounded;         /* the request must fit the session's MaxEnvelopeSize: its body carries what the
                            host sent (a Pull's EnumerationContext), which may grow without end */
    long timeout_ms;     /* (shell) > 0: OperationTimeout of this exchange (and the client's deadline,
                            plus the network delay) instead of Session.Timeout */
} wsman_exchange_t;

/* Sends one request and reads the reply: 0 with out filled (not a fault), or -1 with e set
 * (server fault, HTTP/transport failure, bad reply), operation and endpoint always set. */
int wsman_session_exchange(wsman_session_t *s, const wsman_exchange_t *x, wsman_response_t *out,
                           wsman_error_t *e);
/* Queues a Release of an enumeration context, sent before the session's next request. Takes
 * ownership of loc and context (freed even on failure). No network I/O. */
void wsman_session_queue_release(wsman_session_t *s, wsman_locator_t *loc, char *context);
/* (shell) Queues any cleanup request the same way (a shell's Delete, a command's Signal terminate):
 * operation and action are static strings, loc and body (may be NULL) are taken over. No network I/O. */
void wsman_session_queue_request(wsman_session_t *s, const char *operation, const char *action,
                                 wsman_locator_t *loc, char *body);
long wsman_session_max_envelope_size(const wsman_session_t *s);

#endif
