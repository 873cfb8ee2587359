/* SPDX-License-Identifier: MIT */
/*
 * trace.c - tracing of HTTP exchanges: what libcurl's debug callback shows of each one (the
 * header lines, the body bytes), with every credential removed before it is kept, reported to the
 * session's trace callback as a wsman_trace_event_t.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TRACE_BODY_MAX (8u << 20) /* reply bytes kept for the trace; the rest is counted only */

/* Header names whose values carry credentials or authentication tokens. */
static const char *const SECRET_HEADERS[] = {"Authorization", "Proxy-Authorization", "WWW-Authenticate",
                                             "Proxy-Authenticate", NULL};

void wsman_trace_rec_init(wsman_trace_rec_t *r)
{
    memset(r, 0, sizeof *r);
    wsman_buf_init(&r->req_headers);
    wsman_buf_init(&r->resp_headers);
    wsman_buf_init(&r->resp_body);
    wsman_buf_init(&r->req_body);
}

static void clear_exchange(wsman_trace_rec_t *r)
{
    wsman_buf_reset(&r->req_headers);
    wsman_buf_reset(&r->resp_headers);
    wsman_buf_reset(&r->resp_body);
    wsman_buf_reset(&r->req_body);
    free(r->label);
    free(r->url);
    free(r->error);
    r->label = r->url = r->error = NULL;
    r->bytes_sent = r->bytes_received = 0;
    r->status = 0;
    r->pending = 0;
}

void wsman_trace_rec_free(wsman_trace_rec_t *r)
{
    clear_exchange(r);
    wsman_buf_free(&r->req_headers);
    wsman_buf_free(&r->resp_headers);
    wsman_buf_free(&r->resp_body);
    wsman_buf_free(&r->req_body);
}

void wsman_trace_rec_start(wsman_trace_rec_t *r, const char *label, const char *url, const char *body,
                           size_t len)
{
    if (r->pending)
        wsman_trace_rec_report(r, NULL, 0);
    clear_exchange(r);
    r->label = wsman_strdup(label ? label : "request");
    r->url = url ? wsman_url_redact_userinfo(url) : NULL;
    if (body && len)
        wsman_buf_append(&r->req_body, body, len);
    r->start_ms = wsman_now_ms();
}

/* Appends one header line, the value of a credential header cut to its scheme and length. */
static void keep_header(wsman_buf_t *b, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    size_t name_len = colon ? (size_t)(colon - line) : 0;

    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        n--;
    for (size_t i = 0; colon && SECRET_HEADERS[i]; i++) {
        if (strlen(SECRET_HEADERS[i]) == name_len && strncasecmp(line, SECRET_HEADERS[i], name_len) == 0) {
            const char *v = colon + 1, *end = line + n;
            const char *scheme_end;
            while (v < end && *v == ' ')
                v++;
            scheme_end = v;
            while (scheme_end < end && *scheme_end != ' ')
                scheme_end++;
            wsman_buf_append(b, line, (size_t)(v - line));
            wsman_buf_append(b, v, (size_t)(scheme_end - v));
            if (scheme_end < end)
                wsman_buf_printf(b, " <redacted: %zu bytes>", (size_t)(end - scheme_end - 1));
            wsman_buf_puts(b, "\r\n");
            return;
        }
    }
    wsman_buf_append(b, line, n);
    wsman_buf_puts(b, "\r\n");
}

/* libcurl hands the request headers as one block: line by line. */
static void keep_header_block(wsman_buf_t *b, const char *data, size_t size)
{
    wsman_buf_reset(b);
    while (size) {
        const char *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) + 1 : size;
        if (n > 2 || (n && data[0] != '\r' && data[0] != '\n'))
            keep_header(b, data, n);
        data += n;
        size -= n;
    }
}

int wsman_trace_curl_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    wsman_trace_rec_t *r = ud;
    (void)h;
    switch (type) {
    case CURLINFO_HEADER_OUT:
        keep_header_block(&r->req_headers, data, size);
        break;
    case CURLINFO_HEADER_IN:
        if (size >= 5 && strncmp(data, "HTTP/", 5) == 0) {
            wsman_buf_reset(&r->resp_headers); /* a new response: keep the last one */
            wsman_buf_reset(&r->resp_body);
        }
        if (size > 2)
            keep_header(&r->resp_headers, data, size);
        break;
    case CURLINFO_DATA_OUT:
        r->bytes_sent += size;
        break;
    case CURLINFO_DATA_IN:
        r->bytes_received += size;
        if (r->resp_body.len + size <= TRACE_BODY_MAX)
            wsman_buf_append(&r->resp_body, data, size);
        break;
    default:
        break;
    }
    return 0;
}

void wsman_trace_rec_flush(wsman_trace_rec_t *r)
{
    wsman_trace_rec_report(r, r->resp_body.len ? r->resp_body.data : NULL, r->resp_body.len);
}

void wsman_trace_rec_end(wsman_trace_rec_t *r, int status, const char *error, int later)
{
    r->status = status;
    r->error = wsman_strdup(error);
    r->pending = 1;
    if (!later || error)
        wsman_trace_rec_flush(r);
}

void wsman_trace_rec_report(wsman_trace_rec_t *r, const char *body, size_t len)
{
    wsman_trace_event_t ev;

    if (!r->pending || !r->fn) {
        r->pending = 0;
        return;
    }
    memset(&ev, 0, sizeof ev);
    ev.label = r->label;
    ev.method = "POST";
    ev.url = r->url;
    ev.status = r->status;
    ev.request_headers = r->req_headers.data ? r->req_headers.data : "";
    ev.response_headers = r->resp_headers.data ? r->resp_headers.data : "";
    ev.request_body = r->req_body.len ? r->req_body.data : NULL;
    ev.request_len = r->req_body.len;
    ev.response_body = body;
    ev.response_len = body ? len : 0;
    ev.bytes_sent = r->bytes_sent;
    ev.bytes_received = r->bytes_received;
    ev.ms = (long)(wsman_now_ms() - r->start_ms);
    ev.error = r->error;
    r->pending = 0;
    r->fn(r->ud, &ev);
}
