/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the record of one HTTP exchange for wsman_session_set_trace (trace.c), filled by the
 * transport from libcurl's debug callback. Internal to the transport layer.
 */
#ifndef WSMAN_TRANSPORT_TRACE_H
#define WSMAN_TRANSPORT_TRACE_H
#include "protocol.h"

#include <curl/curl.h>

typedef struct wsman_trace_rec {
    wsman_trace_fn fn;
    void *ud;
    int pending; /* an exchange waits for its decrypted reply */
    long long start_ms;
    wsman_buf_t req_headers;  /* redacted */
    wsman_buf_t resp_headers; /* redacted; the last response's (after 401s / 100) */
    wsman_buf_t resp_body;    /* the reply as received (capped) */
    wsman_buf_t req_body;     /* the SOAP sent (a copy) */
    size_t bytes_sent, bytes_received;
    char *label, *url, *error;
    int status;
} wsman_trace_rec_t;

void wsman_trace_rec_init(wsman_trace_rec_t *r);
void wsman_trace_rec_free(wsman_trace_rec_t *r);
/* Starts recording an exchange: label, url (user information removed), the SOAP sent. */
void wsman_trace_rec_start(wsman_trace_rec_t *r, const char *label, const char *url, const char *body,
                           size_t len);
/* libcurl's CURLOPT_DEBUGFUNCTION, with the record as its data. */
int wsman_trace_curl_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud);
/* Ends the exchange: status, error (NULL: a whole reply), then reports it unless later is set. */
void wsman_trace_rec_end(wsman_trace_rec_t *r, int status, const char *error, int later);
/* Reports the pending exchange with the reply as received. */
void wsman_trace_rec_flush(wsman_trace_rec_t *r);
/* Reports the pending exchange with this reply body (NULL: none readable). */
void wsman_trace_rec_report(wsman_trace_rec_t *r, const char *body, size_t len);
#endif
