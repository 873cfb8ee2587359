/* SPDX-License-Identifier: MIT */
/*
 * transport.h - the transport layer of the engine (not installed, not public): one HTTP(S)
 * connection to one endpoint over libcurl (transport.c). Uses only the protocol layer.
 */
#ifndef WSMAN_TRANSPORT_H
#define WSMAN_TRANSPORT_H

#include "protocol.h"

typedef struct wsman_transport wsman_transport_t;

typedef struct wsman_transport_config {
    const char *url;
    uint32_t flags; /* session flags: TLS checks */
    const char *ca_file;
    const char *client_cert, *client_key, *client_key_password;
    const char *proxy;     /* explicit proxy URL or NULL */
    int proxy_access_type; /* WSMAN_PROXY_NO_PROXY_SERVER disables the environment's */
    int proxy_auth_mechanism;
    const char *proxy_username, *proxy_password;
    long connect_timeout_ms;
    /* Digest: libcurl answers the server's challenge (CURLAUTH_DIGEST) with these */
    int digest;
    const char *username, *password;
} wsman_transport_config_t;

/* Called once the request's connection is up (TLS done: its certificate is known), just before
 * the request goes out: appends the Authorization header value for this connection to value
 * (left empty: no header). new_connection is 1 when this request opened the connection. Returns
 * 0, or -1 to send nothing: the post then fails with WSMAN_SENT_NOTHING (the callback keeps its
 * own error). */
typedef int (*wsman_authorize_fn)(void *ud, wsman_transport_t *t, int new_connection, wsman_buf_t *value);

typedef struct wsman_http_request {
    const char *body;
    size_t len;
    const char *content_type;     /* e.g. "application/soap+xml;charset=UTF-8" */
    const char *const *headers;   /* extra "Name: value" lines, NULL-terminated (may be NULL) */
    long timeout_ms;              /* whole exchange deadline */
    int complete_on_cancel;       /* when its operation is cancelled, still wait for the reply */
    wsman_authorize_fn authorize; /* NULL: no Authorization header from a callback */
    void *authorize_ud;
    /* tracing (wsman_transport_set_trace): what the exchange is, the SOAP before encryption (NULL:
     * the body is the SOAP), and trace_later = 1 when the caller reports the decrypted reply with
     * wsman_transport_trace_reply */
    const char *trace_label;
    const char *trace_body;
    size_t trace_body_len;
    int trace_later;
} wsman_http_request_t;

/* Called with body bytes as they arrive; status/headers of 'resp' are already filled. Return 0
 * to continue, -1 to abort (sink_error then describes why). */
typedef int (*wsman_sink_fn)(void *ud, const char *data, size_t len);

typedef struct wsman_http_response {
    int status;
    char *content_type;
    char **www_authenticate; /* every WWW-Authenticate header value */
    size_t n_www_authenticate;
    int connection_close; /* server said Connection: close */
} wsman_http_response_t;

/* What happened to a failed exchange, for the retry policy. */
typedef enum wsman_send_state {
    WSMAN_SENT_NOTHING = 0,  /* connection failed before the request went out (refused, DNS, TLS) */
    WSMAN_SENT_NO_REPLY,     /* request may have been received, no byte of reply came */
    WSMAN_SENT_PARTIAL_REPLY /* reply started then failed */
} wsman_send_state_t;

wsman_transport_t *wsman_transport_new(const wsman_transport_config_t *cfg, wsman_error_t *e);
void wsman_transport_free(wsman_transport_t *t);
/* POSTs one request on the kept-alive connection. Returns 0 when a full HTTP reply was received
 * (any status), -1 on transport failure with e set (code as Windows' client: cannot connect,
 * name not resolved, timeout, secure failure, connection reset) and *state telling how far it
 * got. */
int wsman_transport_post(wsman_transport_t *t, const wsman_http_request_t *req, wsman_sink_fn sink, void *ud,
                         wsman_http_response_t *resp, wsman_send_state_t *state, wsman_error_t *e);
void wsman_http_response_clear(wsman_http_response_t *r);
/* Reports every exchange to fn (NULL: stops); see wsman_trace_event_t. */
void wsman_transport_set_trace(wsman_transport_t *t, wsman_trace_fn fn, void *ud);
/* The reply of the last exchange (posted with trace_later) after decryption (NULL: unreadable):
 * reports that exchange. */
void wsman_transport_trace_reply(wsman_transport_t *t, const char *body, size_t len);
/* Reports the last exchange, if not yet reported, with its reply as received. */
void wsman_transport_trace_flush(wsman_transport_t *t);
/* TCP connections opened so far. */
long wsman_transport_connections(const wsman_transport_t *t);
/* Waits ms milliseconds before the next request of t (a retry's backoff) on the shared loop, so
 * other operations keep running: inside a resumable operation it is suspended meanwhile. 0 once
 * the time has passed; -1 with e set (WSMAN_E_OPERATION_ABORTED) when the operation waiting was
 * cancelled. */
int wsman_transport_pause(const wsman_transport_t *t, long ms, wsman_error_t *e);

/* HTTP 407: a proxy on the way refused (or was not given) its credentials. */
#define WSMAN_HTTP_PROXY_AUTH_REQUIRED 407
/* Sets e for a reply with status WSMAN_HTTP_PROXY_AUTH_REQUIRED: the proxy (named when known)
 * refused the credentials, not the WinRM host. */
void wsman_transport_proxy_refused(const wsman_transport_t *t, wsman_error_t *e);
/* TLS: DER of the server certificate of the connection the request in progress uses (for
 * channel binding: call it from the request's authorize callback); -1 outside a request. */
int wsman_transport_peer_cert(wsman_transport_t *t, wsman_buf_t *der);
/* 1 when the connection the last request used is still open and libcurl will reuse it for
 * the next one (so a connection-bound authentication still holds), 0 when the next request will
 * open a new connection. */
int wsman_transport_reusable(wsman_transport_t *t);

#endif
