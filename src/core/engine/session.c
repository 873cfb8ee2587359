/* SPDX-License-Identifier: MIT */
/*
 * session.c - the Session: endpoint, flags, options, Timeout, BatchItems; one exchange =
 * envelope -> transport -> streaming reader -> result or error, with the retry policy; the
 * transfer operations (Get, Put, Create, Delete), Invoke and Identify.
 *
 * The transport and the authentication mechanism are created lazily, at the first request
 * that needs them: a session whose authentication is not supported can still do an
 * unauthenticated Identify, and errors from either become the error of that operation.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 60000L
#define DEFAULT_BATCH_ITEMS 20L
#define DEFAULT_MAX_ENVELOPE 153600L
#define NETWORK_DELAY_MS 5000L /* what Windows adds to OperationTimeout (NetworkDelayms) */
#define MAX_RETRIES 3
#define EXCERPT_MAX 4096
#define ENVELOPE_FIRST_ROOM 2047u /* with its NUL 2 KiB: most requests are built in one allocation */
#define FIRST_BACKOFF_MS 50L      /* the first wait before a retry; doubled each time */
#define BACKOFF_MARGIN_MS 50L     /* a retry needs this much time left after its wait */
#define SEALED_OVERHEAD 65536     /* an encrypted reply may exceed the reader's limit by the framing */

/* A cleanup request queued without network I/O (an Enumerator's Release, a shell's Delete, a command's
 * Signal terminate), sent before the session's next request. */
typedef struct pending_release {
    const char *operation, *action; /* static strings */
    wsman_locator_t *loc;
    char *body; /* inside s:Body, may be NULL */
    struct pending_release *next;
} pending_release_t;

struct wsman_session {
    int refs;
    wsman_endpoint_t ep;
    uint32_t flags;
    /* copied options (secrets zeroed on free) */
    char *username, *password, *certificate_thumbprint, *proxy_username, *proxy_password;
    char *ca_file, *client_cert, *client_key, *client_key_password, *cert_dir, *proxy, *spn;
    int proxy_access_type, proxy_auth_mechanism, delegate;
    long connect_timeout_ms, max_envelope_size;
    long timeout_ms, batch_items;
    wsman_transport_t *transport;
    wsman_trace_fn trace_fn; /* wsman_session_set_trace, given to the transport when it is made */
    void *trace_ud;
    wsman_auth_t *auth;
    char *cert_file, *key_file; /* CertificateThumbprint found in cert_dir */
    pending_release_t *releases, **releases_tail;
    wsman_reaper_t *reaper; /* takes the session over when it is dropped with requests queued */
};

/* ---- session object ------------------------------------------------------------------------ */

/* Longest credentials accepted, in bytes: Windows takes user names of up to 513 characters
 * (CREDUI_MAX_USERNAME_LENGTH) and passwords of up to 256 (CREDUI_MAX_PASSWORD_LENGTH); a
 * character is at most 4 bytes of UTF-8, and no real one comes near these limits. */
enum { MAX_USERNAME_BYTES = 2052, MAX_PASSWORD_BYTES = 1024 };

/* A credential over its limit is refused by name before anything is copied (libcurl and the
 * authentication code would otherwise fail later with a misleading out-of-memory). */
static int check_credential_lengths(const wsman_options_t *o, wsman_error_t *e)
{
    const struct {
        const char *value, *name;
        size_t limit;
    } fields[] = {
        {o->username, "the user name (ConnectionOptions.UserName)", MAX_USERNAME_BYTES},
        {o->password, "the password (ConnectionOptions.Password)", MAX_PASSWORD_BYTES},
        {o->proxy_username, "the proxy user name (SetProxy)", MAX_USERNAME_BYTES},
        {o->proxy_password, "the proxy password (SetProxy)", MAX_PASSWORD_BYTES},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t n = fields[i].value ? strlen(fields[i].value) : 0;
        if (n > fields[i].limit) {
            wsman_error_set(e, WSMAN_E_INVALIDARG, "%s is too long: %zu bytes, where the limit is %zu bytes",
                            fields[i].name, n, fields[i].limit);
            return -1;
        }
    }
    return 0;
}

static int copy_opt(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = wsman_strdup(src);
    return *dst ? 0 : -1;
}

wsman_session_t *wsman_session_new(const char *connection, uint32_t flags, const wsman_options_t *opts,
                                   wsman_error_t *e)
{
    wsman_session_t *s = calloc(1, sizeof *s);
    wsman_options_t none;
    int rc = 0;

    if (!s) {
        if (e)
            wsman_error_oom(e, NULL);
        return NULL;
    }
    s->refs = 1;
    s->flags = flags;
    s->timeout_ms = DEFAULT_TIMEOUT_MS;
    s->batch_items = DEFAULT_BATCH_ITEMS;
    s->releases_tail = &s->releases;
    if (wsman_endpoint_parse(connection, flags, &s->ep, e) != 0) {
        if (e)
            wsman_error_context(e, "CreateSession", NULL);
        wsman_session_free(s);
        return NULL;
    }
    if (!opts) {
        memset(&none, 0, sizeof none);
        opts = &none;
    }
    if (check_credential_lengths(opts, e) != 0) {
        wsman_error_context(e, "CreateSession", s->ep.url);
        wsman_session_free(s);
        return NULL;
    }
    rc |= copy_opt(&s->username, opts->username);
    rc |= copy_opt(&s->password, opts->password);
    rc |= copy_opt(&s->certificate_thumbprint, opts->certificate_thumbprint);
    rc |= copy_opt(&s->proxy_username, opts->proxy_username);
    rc |= copy_opt(&s->proxy_password, opts->proxy_password);
    rc |= copy_opt(&s->ca_file, opts->ca_file);
    rc |= copy_opt(&s->client_cert, opts->client_cert);
    rc |= copy_opt(&s->client_key, opts->client_key);
    rc |= copy_opt(&s->client_key_password, opts->client_key_password);
    rc |= copy_opt(&s->cert_dir, opts->cert_dir);
    rc |= copy_opt(&s->proxy, opts->proxy);
    rc |= copy_opt(&s->spn, opts->spn);
    s->proxy_access_type = opts->proxy_access_type;
    s->proxy_auth_mechanism = opts->proxy_auth_mechanism;
    s->delegate = opts->delegate;
    s->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 0;
    s->max_envelope_size = opts->max_envelope_size > 0 ? opts->max_envelope_size : DEFAULT_MAX_ENVELOPE;
    if (rc) {
        if (e) {
            wsman_error_oom(e, NULL);
            wsman_error_context(e, "CreateSession", s->ep.url);
        }
        wsman_session_free(s);
        return NULL;
    }
    return s;
}

static void free_releases(wsman_session_t *s)
{
    while (s->releases) {
        pending_release_t *p = s->releases;
        s->releases = p->next;
        wsman_locator_free(p->loc);
        free(p->body);
        free(p);
    }
    s->releases_tail = &s->releases;
}

void wsman_session_free(wsman_session_t *s)
{
    if (!s || --s->refs > 0)
        return;
    /* never any network I/O here: queued cleanup requests go to the reaper, if any */
    if (s->releases && s->reaper && wsman_reaper_adopt(s->reaper, s) == 0)
        return;
    wsman_session_destroy(s);
}

void wsman_session_destroy(wsman_session_t *s)
{
    free_releases(s); /* the server expires idle contexts and shells */
    wsman_reaper_release(s->reaper);
    wsman_auth_free(s->auth);
    wsman_transport_free(s->transport);
    wsman_endpoint_clear(&s->ep);
    free(s->username);
    wsman_secure_free(s->password);
    free(s->certificate_thumbprint);
    free(s->proxy_username);
    wsman_secure_free(s->proxy_password);
    free(s->ca_file);
    free(s->client_cert);
    free(s->client_key);
    wsman_secure_free(s->client_key_password);
    free(s->cert_dir);
    free(s->proxy);
    free(s->spn);
    free(s->cert_file);
    free(s->key_file);
    free(s);
}

void wsman_session_set_reaper(wsman_session_t *s, wsman_reaper_t *r)
{
    if (!s || s->reaper == r)
        return;
    wsman_reaper_release(s->reaper);
    s->reaper = r;
    wsman_reaper_ref(r);
}

void wsman_session_ref(wsman_session_t *s)
{
    if (s)
        s->refs++;
}

const char *wsman_session_endpoint(const wsman_session_t *s)
{
    return s->ep.url;
}

uint32_t wsman_session_flags(const wsman_session_t *s)
{
    return s->flags;
}

void wsman_session_set_timeout(wsman_session_t *s, long ms)
{
    /* COM's Timeout is a 32-bit long; keep room for the network delay added to it */
    if (ms > 0x7FFFFFFFL - NETWORK_DELAY_MS)
        ms = 0x7FFFFFFFL - NETWORK_DELAY_MS;
    s->timeout_ms = ms > 0 ? ms : DEFAULT_TIMEOUT_MS;
}

long wsman_session_timeout(const wsman_session_t *s)
{
    return s->timeout_ms;
}

void wsman_session_set_trace(wsman_session_t *s, wsman_trace_fn fn, void *ud)
{
    if (!s)
        return;
    s->trace_fn = fn;
    s->trace_ud = ud;
    wsman_transport_set_trace(s->transport, fn, ud);
}

void wsman_session_set_batch_items(wsman_session_t *s, long n)
{
    s->batch_items = n > 0 ? n : DEFAULT_BATCH_ITEMS;
}

long wsman_session_batch_items(const wsman_session_t *s)
{
    return s->batch_items;
}

long wsman_session_connections(const wsman_session_t *s)
{
    return s->transport ? wsman_transport_connections(s->transport) : 0;
}

long wsman_session_max_envelope_size(const wsman_session_t *s)
{
    return s->max_envelope_size;
}

void wsman_session_queue_request(wsman_session_t *s, const char *operation, const char *action,
                                 wsman_locator_t *loc, char *body)
{
    pending_release_t *p = calloc(1, sizeof *p);

    if (!p || !loc) {
        free(p);
        wsman_locator_free(loc);
        free(body);
        return;
    }
    p->operation = operation;
    p->action = action;
    p->loc = loc;
    p->body = body;
    *s->releases_tail = p;
    s->releases_tail = &p->next;
}

void wsman_session_queue_release(wsman_session_t *s, wsman_locator_t *loc, char *context)
{
    wsman_buf_t body;

    wsman_buf_init(&body);
    if (!context || wsman_body_release(&body, context) != 0) {
        wsman_buf_free(&body);
        wsman_locator_free(loc);
        free(context);
        return;
    }
    free(context);
    wsman_session_queue_request(s, "Release", WSMAN_ACTION_RELEASE, loc, wsman_buf_steal(&body));
}

/* ---- time ---------------------------------------------------------------------------------- */

/* ---- one exchange -------------------------------------------------------------------------- */

typedef struct sink_ctx {
    wsman_http_response_t *resp;
    /* the reader of the SOAP reply, created when its first byte arrives (sink_reader): a
     * thousand requests waiting for their replies hold no parser */
    wsman_reader_t *reader;
    const wsman_exchange_t *x;
    wsman_xml_limits_t lim;
    int decided, soap;
    wsman_buf_t excerpt;
    size_t received;
    int failed;
    wsman_error_t err;
    /* message encryption: an encrypted reply is collected whole, then decrypted and read;
     * a plain SOAP reply where an encrypted one was due is refused (never read) */
    int expect_encrypted, encrypted, plain_refused;
    wsman_buf_t sealed;
    size_t sealed_max;
} sink_ctx_t;

static int is_soap(const char *ct)
{
    static const char soap[] = "application/soap+xml";
    while (ct && (*ct == ' ' || *ct == '\t'))
        ct++;
    return ct && strncasecmp(ct, soap, sizeof soap - 1) == 0 &&
           (ct[sizeof soap - 1] == '\0' || ct[sizeof soap - 1] == ';' || ct[sizeof soap - 1] == ' ');
}

/* Once the status and headers are known: SOAP, encrypted, or something else (read for an excerpt). */
static void decide_reply_kind(sink_ctx_t *c)
{
    if (c->decided)
        return;
    c->decided = 1;
    c->soap = is_soap(c->resp->content_type) && c->resp->status != 401;
    c->encrypted = c->resp->status != 401 && wsman_is_encrypted_content_type(c->resp->content_type);
    if (c->soap && c->expect_encrypted) {
        c->soap = 0;
        c->plain_refused = 1;
    }
}

/* The reader of the reply, created on first use; NULL (with err set) when out of memory. */
static wsman_reader_t *sink_reader(sink_ctx_t *c, wsman_error_t *err)
{
    if (!c->reader) {
        c->reader = wsman_reader_new(c->x->kind, &c->lim, c->x->cb, c->x->ud);
        if (!c->reader)
            wsman_error_oom(err, NULL);
    }
    return c->reader;
}

static int sink(void *ud, const char *data, size_t len)
{
    sink_ctx_t *c = ud;

    decide_reply_kind(c);
    c->received += len;
    if (c->encrypted) {
        if (c->sealed.len + len > c->sealed_max) {
            wsman_error_set(
                &c->err, WSMAN_E_ENCODING_LIMIT,
                "The encrypted reply is larger than the limit (%zu bytes, from MaxEnvelopeSize); it was "
                "refused before it was decrypted.",
                c->sealed_max);
            c->failed = 1;
            return -1;
        }
        if (wsman_buf_append(&c->sealed, data, len) != 0) {
            wsman_error_oom(&c->err, NULL);
            c->failed = 1;
            return -1;
        }
    } else if (c->soap) {
        if (!sink_reader(c, &c->err) || wsman_reader_feed(c->reader, data, len, 0, &c->err) != 0) {
            c->failed = 1;
            return -1;
        }
    } else if (c->excerpt.len < EXCERPT_MAX) {
        size_t n = EXCERPT_MAX - c->excerpt.len;
        if (wsman_buf_append(&c->excerpt, data, len < n ? len : n) != 0) {
            wsman_error_oom(&c->err, NULL);
            c->failed = 1;
            return -1;
        }
    }
    return 0;
}

/* A short, one-line description of a non-SOAP body: an HTML page's <title>, else the text. */
static void body_excerpt(const wsman_buf_t *b, wsman_buf_t *out)
{
    const char *s = b->data ? b->data : "", *t, *te;
    size_t i, n;

    t = strstr(s, "<title>");
    if (!t)
        t = strstr(s, "<TITLE>");
    if (t && (te = strstr(t, "</")) != NULL) {
        s = t + 7;
        n = (size_t)(te - s);
    } else {
        n = strnlen(s, b->len);
        if (n > 200)
            n = 200;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char ch = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
        if (ch == ' ' && out->len && out->data[out->len - 1] == ' ')
            continue;
        if (wsman_buf_append(out, &ch, 1) != 0)
            return;
    }
    while (out->len && out->data[out->len - 1] == ' ')
        out->data[--out->len] = '\0';
}

static uint32_t status_code(int status, int soap)
{
    switch (status) {
    case 400:
        return WSMAN_E_HTTP_STATUS_BAD_REQUEST;
    case 404:
        return WSMAN_E_HTTP_NOT_FOUND_STATUS;
    case 413:
        return WSMAN_E_HTTP_REQUEST_TOO_LARGE_STATUS;
    case 503:
        return WSMAN_E_HTTP_SERVICE_UNAVAILABLE_STATUS;
    case 200:
        return soap ? WSMAN_E_RESPONSE_INVALID_SOAP_FAULT
                    : WSMAN_E_HTTP_INVALID_CONTENT_TYPE_IN_RESPONSE_DATA;
    default:
        if (status >= 500)
            return soap ? WSMAN_E_RESPONSE_INVALID_SOAP_FAULT : WSMAN_E_HTTP_STATUS_SERVER_ERROR;
        return WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE;
    }
}

static void auth_site(wsman_session_t *s, wsman_auth_site_t *site);

/* 401 (403 for certificates) to a request: handshake.c tells which case it is. */
static void access_denied(wsman_session_t *s, const wsman_exchange_t *x, const wsman_http_response_t *r,
                          int sent_auth, wsman_error_t *e)
{
    wsman_auth_site_t site;
    auth_site(s, &site);
    wsman_auth_denied(sent_auth ? s->auth : NULL, &site, r, WSMAN_AUTH_STAGE_REQUEST, e);
    (void)x;
}

static int ensure_transport(wsman_session_t *s, wsman_error_t *e)
{
    wsman_transport_config_t cfg;

    if (s->transport)
        return 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.url = s->ep.url;
    cfg.flags = s->flags;
    cfg.ca_file = s->ca_file;
    /* CertificateThumbprint: the certificate and key files found in cert_dir */
    if ((s->flags & WSMAN_FLAG_USE_CLIENT_CERTIFICATE) && (!s->client_cert || !*s->client_cert) &&
        s->certificate_thumbprint && *s->certificate_thumbprint && !s->cert_file &&
        wsman_cert_lookup(s->cert_dir, s->certificate_thumbprint, &s->cert_file, &s->key_file, e) != 0)
        return -1;
    cfg.client_cert = s->cert_file ? s->cert_file : s->client_cert;
    cfg.client_key = s->cert_file ? s->key_file : s->client_key;
    cfg.client_key_password = s->client_key_password;
    if (s->flags & WSMAN_FLAG_USE_DIGEST) { /* libcurl answers the Digest challenge */
        cfg.digest = 1;
        cfg.username = s->username;
        cfg.password = s->password;
    }
    cfg.proxy = s->proxy;
    cfg.proxy_access_type = s->proxy_access_type;
    cfg.proxy_auth_mechanism = s->proxy_auth_mechanism;
    cfg.proxy_username = s->proxy_username;
    cfg.proxy_password = s->proxy_password;
    cfg.connect_timeout_ms = s->connect_timeout_ms;
    s->transport = wsman_transport_new(&cfg, e);
    if (s->transport && s->trace_fn)
        wsman_transport_set_trace(s->transport, s->trace_fn, s->trace_ud);
    return s->transport ? 0 : -1;
}

/* 1 when an auth mechanism is in place, 0 when none is used, -1 on error. */
static int ensure_auth(wsman_session_t *s, wsman_error_t *e)
{
    wsman_auth_params_t p;
    wsman_error_t err;

    if (s->auth)
        return 1;
    memset(&p, 0, sizeof p);
    p.flags = s->flags;
    p.username = s->username;
    p.password = s->password;
    p.ep = &s->ep;
    p.spn = s->spn;
    p.delegate = s->delegate;
    p.client_cert = s->client_cert;
    p.certificate_thumbprint = s->certificate_thumbprint;
    wsman_error_init(&err);
    s->auth = wsman_auth_new_ex(&p, &err);
    if (!s->auth && err.code) {
        wsman_error_move(e, &err);
        return -1;
    }
    wsman_error_clear(&err);
    return s->auth ? 1 : 0;
}

/* Next Authorization value (challenge: the server's token for a further leg, or NULL). */
static int auth_value(wsman_auth_t *a, const char *challenge, wsman_buf_t *v, wsman_error_t *e)
{
    wsman_buf_reset(v);
    if (!a->done) {
        int done = 0;
        if (a->mech->step(a->state, challenge, v, &done, e) != 0)
            return -1;
        a->done = done;
        return 0;
    }
    return a->mech->header(a->state, v, e);
}

/* The client's own deadline expired (not a connect timeout, not the server's w:TimedOut fault). */
static int is_deadline(const wsman_error_t *e)
{
    return (e->code == WSMAN_E_TIMEOUT || e->code == WSMAN_E_WINHTTP_TIMEOUT) && !e->fault_code && !e->reason;
}

static void explain_timeout(wsman_session_t *s, const wsman_exchange_t *x, long deadline, wsman_error_t *e)
{
    wsman_error_set(
        e, e->code,
        "%s on %s:%d got no complete reply within %ld ms (Session.Timeout %ld ms plus the network "
        "delay). The host is slow or unreachable, or the operation is still running there: raise "
        "Session.Timeout if it needs longer, or retry later.",
        x->operation, s->ep.host, s->ep.port, deadline, s->timeout_ms);
}

static void auth_restart(wsman_auth_t *a)
{
    if (a->mech->reset)
        a->mech->reset(a->state);
    a->done = 0;
}

/* Puts p back at the head of the queue (its send was interrupted: it goes first next time). */
static void requeue_first(wsman_session_t *s, pending_release_t *p)
{
    p->next = s->releases;
    s->releases = p;
    if (!p->next)
        s->releases_tail = &p->next;
}

static void pending_free(pending_release_t *p)
{
    wsman_locator_free(p->loc);
    free(p->body);
    free(p);
}

/* Sends the queue; with a deadline (> 0) each request gets at most the time left. When the
 * deadline passes first, or a cancelled operation (a task's) stops the flush, the request it was
 * sending goes back to the head of the queue, which stays for a later flush (a Release, Delete
 * or Signal sent twice is answered with a fault, which is ignored). A host that cannot be reached
 * within the session's own timeout gets nothing more: its queue is dropped. */
static wsman_flush_result_t flush_releases(wsman_session_t *s, long long deadline)
{
    while (s->releases) {
        pending_release_t *p = s->releases;
        wsman_exchange_t x;
        wsman_response_t res;
        wsman_error_t err;
        wsman_locator_t lite = *p->loc;
        int is_release = strcmp(p->action, WSMAN_ACTION_RELEASE) == 0, rc, unreachable, cut_short;
        long long left = deadline > 0 ? deadline - wsman_now_ms() : 0;

        if (wsman_fiber_cancelled())
            return WSMAN_FLUSH_INTERRUPTED;
        if (deadline > 0 && left < 1)
            return WSMAN_FLUSH_OUT_OF_TIME;
        s->releases = p->next;
        if (!s->releases)
            s->releases_tail = &s->releases;
        if (is_release) {
            lite.noptions = 0;
            lite.options = NULL;
            lite.fragment_path = NULL;
            lite.fragment_dialect = NULL;
            lite.must_understand_options = 0;
        }
        memset(&x, 0, sizeof x);
        x.operation = p->operation;
        x.action = p->action;
        x.locator = &lite;
        x.body = p->body;
        x.kind = WSMAN_RESP_EMPTY;
        x.idempotent = 1;
        x.no_flush = 1;
        if (deadline > 0 && left < s->timeout_ms)
            x.timeout_ms = (long)left;
        wsman_response_init(&res);
        wsman_error_init(&err);
        rc = wsman_session_exchange(s, &x, &res, &err);
        unreachable = rc != 0 && !err.fault_code && !err.http_status;
        cut_short = rc != 0 && x.timeout_ms > 0 && err.code == WSMAN_E_TIMEOUT; /* by the deadline */
        wsman_response_clear(&res);
        wsman_error_clear(&err);
        if (rc != 0 && (wsman_fiber_cancelled() || cut_short)) {
            requeue_first(s, p);
            return cut_short ? WSMAN_FLUSH_OUT_OF_TIME : WSMAN_FLUSH_INTERRUPTED;
        }
        /* other errors ignored: the server expires idle contexts (and idle shells). But when the
         * host cannot be reached at all, do not make the caller's request wait for every queued one. */
        if (unreachable)
            free_releases(s);
        pending_free(p);
    }
    return WSMAN_FLUSH_DONE;
}

int wsman_session_flush(wsman_session_t *s)
{
    if (s && s->releases)
        flush_releases(s, 0);
    return 0;
}

wsman_flush_result_t wsman_session_flush_until(wsman_session_t *s, long long deadline)
{
    if (s && s->releases)
        return flush_releases(s, deadline > 0 ? deadline : 1);
    return WSMAN_FLUSH_DONE;
}

/* Builds the request bytes (UTF-8, or UTF-16LE with BOM when the session asks for it). */
/* A request stays in memory until its reply is in (a retry sends it again): at a thousand
 * requests in flight, the spare room of their buffers (up to half of each) adds up. */
static void fit_request(wsman_buf_t *b)
{
    char *p;
    if (b->data && b->cap > b->len + 1 && (p = realloc(b->data, b->len + 1)) != NULL) {
        b->data = p;
        b->cap = b->len + 1;
    }
}

static int build_request(wsman_session_t *s, const wsman_exchange_t *x, wsman_buf_t *req, wsman_error_t *e)
{
    wsman_buf_t env;
    char mid[42];
    int rc;

    wsman_buf_init(&env);
    if (wsman_buf_reserve(&env, ENVELOPE_FIRST_ROOM) != 0) /* most requests fit: one allocation */
        return wsman_error_oom(e, NULL);
    if (!x->action) {
        rc = wsman_envelope_identify(&env);
    } else {
        wsman_request_header_t h;
        memset(&h, 0, sizeof h);
        wsman_uuid(mid);
        h.to = s->ep.url;
        h.resource_uri = x->locator ? x->locator->uri : NULL;
        h.action = x->action;
        h.message_id = mid;
        h.max_envelope_size = s->max_envelope_size;
        h.timeout_ms = x->timeout_ms > 0 ? x->timeout_ms : s->timeout_ms;
        h.locator = x->locator;
        h.locale = "en-US";
        rc = wsman_envelope_begin(&env, &h);
        if (rc == 0 && x->body)
            rc = wsman_buf_puts(&env, x->body);
        if (rc == 0)
            rc = wsman_envelope_end(&env);
    }
    if (rc != 0) {
        wsman_buf_free(&env);
        return wsman_error_oom(e, NULL);
    }
    if (x->bounded && env.len > (size_t)s->max_envelope_size) {
        wsman_error_set(e, WSMAN_E_MAX_ENVELOPE_SIZE,
                        "The %s request would be %zu bytes, more than the MaxEnvelopeSize of %ld bytes this "
                        "session asks of the host (the data the host sent back to be repeated has grown "
                        "that large). It was not sent: the operation cannot continue. Raise "
                        "ConnectionOptions.max_envelope_size, or report the host's behaviour.",
                        x->operation, env.len, s->max_envelope_size);
        wsman_buf_free(&env);
        return -1;
    }
    if (s->flags & WSMAN_FLAG_UTF16) {
        rc = wsman_utf8_to_utf16le(req, env.data, env.len);
        wsman_buf_free(&env);
        if (rc != 0) {
            wsman_error_set(e, WSMAN_E_INVALID_XML, "the request is not valid UTF-8");
            return -1;
        }
        fit_request(req);
        return 0;
    }
    fit_request(&env);
    *req = env;
    return 0;
}

static void auth_site(wsman_session_t *s, wsman_auth_site_t *site)
{
    memset(site, 0, sizeof *site);
    site->url = s->ep.url;
    site->username = s->username;
    site->https = s->ep.scheme && strcasecmp(s->ep.scheme, "https") == 0;
    site->flags = s->flags;
    site->client_cert = s->cert_file ? s->cert_file : s->client_cert;
}

/* What one HTTP attempt came to. */
typedef enum attempt_result {
    ATTEMPT_OK,        /* out holds the reply */
    ATTEMPT_FAILED,    /* e says why; do not resend */
    ATTEMPT_RETRYABLE, /* a transport failure before any byte of reply (e set): may be resent */
    ATTEMPT_REAUTH     /* HTTP 401 on an authenticated connection: the request was not processed;
                          authenticate again and resend */
} attempt_result_t;

/* One HTTP attempt: the request's headers and the reply as it is received and read. */
typedef struct attempt {
    wsman_session_t *s;
    const wsman_exchange_t *x;
    int use_auth, conn_auth, seal;
    sink_ctx_t c;
    wsman_http_response_t resp;
    wsman_buf_t sealed, ctype, plain;
    char *authline; /* "Authorization: ..." (preemptive mechanisms), zeroed when freed */
    const char *headers[4];
} attempt_t;

static void attempt_begin(attempt_t *a, wsman_session_t *s, const wsman_exchange_t *x, int use_auth)
{
    memset(a, 0, sizeof *a);
    a->s = s;
    a->x = x;
    a->use_auth = use_auth;
    a->conn_auth = use_auth && (s->auth->mech->flags & WSMAN_MECH_CONNECTION);
    a->seal = a->conn_auth && s->auth->encrypt;
    wsman_buf_init(&a->c.excerpt);
    wsman_buf_init(&a->c.sealed);
    wsman_buf_init(&a->sealed);
    wsman_buf_init(&a->ctype);
    wsman_buf_init(&a->plain);
    wsman_error_init(&a->c.err);
    a->c.resp = &a->resp;
    a->c.x = x;
    wsman_xml_limits_for(&a->c.lim, s->max_envelope_size);
    a->c.expect_encrypted = a->seal;
    a->c.sealed_max = a->c.lim.max_bytes + SEALED_OVERHEAD;
}

static void attempt_end(attempt_t *a)
{
    wsman_transport_trace_flush(a->s->transport); /* a reply that was not encrypted after all */
    wsman_reader_free(a->c.reader);
    wsman_buf_free(&a->c.excerpt);
    wsman_buf_free_secure(&a->c.sealed);
    wsman_buf_free_secure(&a->plain);
    wsman_buf_free_secure(&a->sealed);
    wsman_buf_free(&a->ctype);
    wsman_error_clear(&a->c.err);
    wsman_http_response_clear(&a->resp);
    wsman_secure_free(a->authline);
}

/* User-Agent, the unauthenticated Identify marker, and a preemptive mechanism's Authorization. */
static int attempt_headers(attempt_t *a, wsman_error_t *e)
{
    wsman_buf_t authv, line;
    size_t nh = 0;
    int rc = 0;

    a->headers[nh++] = "User-Agent: lua-wsman/" WSMAN_VERSION; /* the transport adds "Expect:" (empty) */
    if (a->x->unauthenticated)
        a->headers[nh++] = "WSMANIDENTIFY: unauthenticated";
    if (a->use_auth && (a->s->auth->mech->flags & WSMAN_MECH_PREEMPTIVE)) {
        wsman_buf_init(&authv);
        wsman_buf_init(&line);
        rc = auth_value(a->s->auth, NULL, &authv, e);
        if (rc == 0 && authv.len) {
            if (wsman_buf_puts(&line, "Authorization: ") != 0 ||
                wsman_buf_append(&line, authv.data, authv.len) != 0)
                rc = wsman_error_oom(e, NULL);
            else
                a->headers[nh++] = a->authline = wsman_buf_steal(&line);
        }
        wsman_buf_free_secure(&line);
        wsman_buf_free_secure(&authv);
    }
    a->headers[nh] = NULL;
    return rc;
}

/* Sends the request (sealed when the session encrypts) and receives the reply through the sink.
 * 0 when a whole HTTP reply arrived (any status); -1 with e and *failure set otherwise. */
static int attempt_post(attempt_t *a, const wsman_buf_t *reqbody, long timeout, wsman_send_state_t *state,
                        attempt_result_t *failure, wsman_error_t *e)
{
    wsman_session_t *s = a->s;
    wsman_http_request_t req;

    *failure = ATTEMPT_FAILED;
    memset(&req, 0, sizeof req);
    req.body = reqbody->data;
    req.len = reqbody->len;
    req.content_type = (s->flags & WSMAN_FLAG_UTF16) ? "application/soap+xml;charset=UTF-16"
                                                     : "application/soap+xml;charset=UTF-8";
    if (a->seal) {
        if (wsman_auth_seal(s->auth, reqbody->data, reqbody->len, (s->flags & WSMAN_FLAG_UTF16) != 0,
                            &a->sealed, &a->ctype, e) != 0) {
            wsman_auth_invalidate(s->auth);
            return -1;
        }
        req.body = a->sealed.data;
        req.len = a->sealed.len;
        req.content_type = a->ctype.data;
        req.trace_body = reqbody->data; /* the trace shows the SOAP, not its encryption */
        req.trace_body_len = reqbody->len;
        req.trace_later = 1; /* reported with the decrypted reply (decrypt_reply, attempt_end) */
    }
    req.trace_label = a->x->operation;
    req.headers = a->headers;
    req.timeout_ms = timeout;
    req.complete_on_cancel = a->x->complete_on_cancel;
    if (a->conn_auth) { /* the connection's token, if any, is set once the connection is up */
        req.authorize = wsman_auth_authorize_message;
        req.authorize_ud = s->auth;
    }
    *state = WSMAN_SENT_NOTHING;
    if (wsman_transport_post(s->transport, &req, sink, &a->c, &a->resp, state, e) == 0) {
        decide_reply_kind(&a->c);
        return 0;
    }
    if (a->conn_auth) {
        wsman_auth_abort_t why = wsman_auth_aborted(s->auth, e);
        if (why != WSMAN_AUTH_NOT_ABORTED) { /* nothing was sent */
            *failure = why == WSMAN_AUTH_ABORT_RECONNECTED ? ATTEMPT_REAUTH : ATTEMPT_FAILED;
            return -1;
        }
    }
    if (a->c.failed)
        wsman_error_move(e, &a->c.err); /* our sink stopped it: bad XML, limit, OOM */
    else if (*state != WSMAN_SENT_PARTIAL_REPLY && a->c.received == 0)
        *failure = ATTEMPT_RETRYABLE;
    if (a->resp.status > 0)
        e->http_status = a->resp.status;
    if (a->seal)
        wsman_auth_invalidate(s->auth); /* the security context may be out of step */
    return -1;
}

/* HTTP 401. Connection mechanisms: the connection lost its authentication (a new connection, an
 * expired context) or the host refuses this message; either way it was not processed. */
static attempt_result_t reply_unauthorized(attempt_t *a, wsman_error_t *e)
{
    if (a->conn_auth) {
        wsman_auth_invalidate(a->s->auth);
        return ATTEMPT_REAUTH;
    }
    access_denied(a->s, a->x, &a->resp, a->use_auth, e);
    if (a->s->auth)
        auth_restart(a->s->auth);
    return ATTEMPT_FAILED;
}

/* An encrypted reply: decrypts it and feeds the SOAP inside to the reader. */
static int decrypt_reply(attempt_t *a, wsman_error_t *e)
{
    wsman_session_t *s = a->s;

    if (!a->seal) {
        wsman_error_set(e, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE,
                        "%s sent an encrypted reply (HTTP %d, %s) to a request that was not encrypted: the "
                        "session has no security context to decrypt it with.",
                        s->ep.url, a->resp.status, a->resp.content_type ? a->resp.content_type : "");
        return -1;
    }
    if (wsman_auth_unseal(s->auth, a->resp.content_type, a->c.sealed.data, a->c.sealed.len, &a->plain, e) !=
        0) {
        wsman_transport_trace_reply(s->transport, NULL, 0);
        wsman_error_context(e, a->x->operation, s->ep.url); /* the next request authenticates again */
        return -1;
    }
    wsman_transport_trace_reply(s->transport, a->plain.data, a->plain.len);
    a->c.soap = 1;
    a->c.received = a->plain.len;
    if (!sink_reader(&a->c, e))
        return -1;
    if (a->plain.len && wsman_reader_feed(a->c.reader, a->plain.data, a->plain.len, 0, e) != 0)
        return -1;
    return 0;
}

/* A plain SOAP reply where an encrypted one was due is never read. */
static attempt_result_t refuse_plain_reply(attempt_t *a, wsman_error_t *e)
{
    wsman_error_set(e, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE,
                    "%s answered an encrypted %s request with an unencrypted SOAP reply (HTTP %d); it was "
                    "refused, since anyone on the network path could have written it. A WinRM host "
                    "encrypts every reply once messages are encrypted: check for a proxy in between.",
                    a->s->ep.url, a->x->operation, a->resp.status);
    wsman_auth_invalidate(a->s->auth);
    return ATTEMPT_FAILED;
}

/* A SOAP reply: the result, or the fault as the error. */
static attempt_result_t soap_reply(attempt_t *a, wsman_response_t *out, wsman_error_t *e)
{
    wsman_response_t res;

    if (!sink_reader(&a->c, e))
        return ATTEMPT_FAILED;
    if (wsman_reader_feed(a->c.reader, NULL, 0, 1, e) != 0) {
        if (a->c.received == 0 && a->resp.status == 200)
            wsman_error_set(e, WSMAN_E_HTTP_NO_RESPONSE_DATA, "%s returned HTTP 200 with an empty body to %s",
                            a->s->ep.url, a->x->operation);
        return ATTEMPT_FAILED;
    }
    wsman_response_init(&res);
    wsman_reader_result(a->c.reader, &res);
    if (res.is_fault) {
        wsman_error_move(e, &res.fault);
        wsman_response_clear(&res);
        return ATTEMPT_FAILED;
    }
    if (a->resp.status != 200) {
        wsman_error_set(e, status_code(a->resp.status, 1),
                        "%s answered HTTP %d to %s with a SOAP reply that is not a fault (action %s)",
                        a->s->ep.url, a->resp.status, a->x->operation, res.action ? res.action : "none");
        wsman_response_clear(&res);
        return ATTEMPT_FAILED;
    }
    wsman_response_clear(out);
    *out = res;
    return ATTEMPT_OK;
}

/* A reply that is not SOAP: what it most likely means. */
static void non_soap_reply(attempt_t *a, wsman_error_t *e)
{
    wsman_session_t *s = a->s;
    const wsman_http_response_t *r = &a->resp;
    wsman_buf_t ex;

    wsman_buf_init(&ex);
    body_excerpt(&a->c.excerpt, &ex);
    if (a->conn_auth && !a->seal && !a->x->unauthenticated && strcasecmp(s->ep.scheme, "https") != 0 &&
        (r->status == 400 || r->status == 500) && a->c.received == 0) {
        /* an unencrypted message refused after the handshake: the host wants encryption */
        wsman_auth_site_t site;
        auth_site(s, &site);
        wsman_auth_denied(s->auth, &site, r, WSMAN_AUTH_STAGE_UNENCRYPTED_REFUSED, e);
    } else if (r->status == 200 && a->c.received == 0 && (!r->content_type || !*r->content_type))
        wsman_error_set(e, WSMAN_E_HTTP_NO_RESPONSE_DATA, "%s returned HTTP 200 with an empty body to %s",
                        s->ep.url, a->x->operation);
    else if (r->status == 403 && a->use_auth && s->auth->mech == &wsman_auth_certificate)
        access_denied(s, a->x, r, 1, e);
    else if (r->status == WSMAN_HTTP_PROXY_AUTH_REQUIRED)
        wsman_transport_proxy_refused(s->transport, e);
    else
        wsman_error_set(e, status_code(r->status, 0),
                        "%s answered HTTP %d with content type '%s' instead of a SOAP reply%s%s%s. Check "
                        "that the URL (prefix '/%s', port %d) is a WinRM listener.",
                        s->ep.url, r->status, r->content_type ? r->content_type : "none",
                        ex.len ? ": \"" : "", ex.len ? ex.data : "", ex.len ? "\"" : "", s->ep.prefix,
                        s->ep.port);
    wsman_buf_free(&ex);
}

static attempt_result_t read_reply(attempt_t *a, wsman_response_t *out, wsman_error_t *e)
{
    if (a->conn_auth) {
        /* a message that carried the final token: its reply completes the handshake or refuses it */
        wsman_auth_site_t site;
        auth_site(a->s, &site);
        if (wsman_auth_message_reply(a->s->auth, a->s->transport, &site, &a->resp, e) != 0) {
            wsman_error_context(e, a->x->operation, a->s->ep.url);
            return ATTEMPT_FAILED;
        }
    }
    if (a->resp.status == 401)
        return reply_unauthorized(a, e);
    if (a->c.encrypted) {
        if (decrypt_reply(a, e) != 0)
            return ATTEMPT_FAILED;
    } else if (a->c.plain_refused) {
        return refuse_plain_reply(a, e);
    }
    if (a->c.soap)
        return soap_reply(a, out, e);
    non_soap_reply(a, e);
    return ATTEMPT_FAILED;
}

/* One HTTP attempt: request out, reply read. */
static attempt_result_t attempt(wsman_session_t *s, const wsman_exchange_t *x, const wsman_buf_t *reqbody,
                                int use_auth, long timeout, wsman_response_t *out, wsman_send_state_t *state,
                                wsman_error_t *e)
{
    attempt_t a;
    attempt_result_t r = ATTEMPT_FAILED;

    attempt_begin(&a, s, x, use_auth);
    if (attempt_headers(&a, e) == 0 && attempt_post(&a, reqbody, timeout, state, &r, e) == 0) {
        r = read_reply(&a, out, e);
        if (r != ATTEMPT_OK)
            e->http_status = a.resp.status;
    }
    attempt_end(&a);
    return r;
}

/* ---- the exchange: attempts, retries, re-authentication, within one deadline ---------------- */

/* The deadline and the retry budget of one exchange. */
typedef struct exchange_clock {
    long deadline; /* OperationTimeout plus the network delay, ms (messages) */
    long long end; /* when it expires, on the monotonic clock */
    long backoff;  /* the next wait before a retry, ms */
    int retries;   /* transport retries so far */
    int reauths;   /* re-authentications after a 401 so far */
} exchange_clock_t;

typedef enum exchange_step {
    STEP_GO_ON, /* proceed with the attempt */
    STEP_RETRY, /* start over (a retry or a re-authentication) */
    STEP_STOP   /* failed, e says why */
} exchange_step_t;

static void clock_start(exchange_clock_t *k, long optimeout)
{
    memset(k, 0, sizeof *k);
    k->deadline = optimeout + (optimeout < NETWORK_DELAY_MS ? optimeout : NETWORK_DELAY_MS);
    k->end = wsman_now_ms() + k->deadline;
    k->backoff = FIRST_BACKOFF_MS;
}

static long remaining_ms(const exchange_clock_t *k)
{
    long long r = k->end - wsman_now_ms();
    return r < 1 ? 1 : (long)r;
}

/* Waits before a retry when one is left and the deadline leaves room for it: 1, else 0 (e then
 * says why when the wait was cancelled). The wait runs on the shared loop: other operations go on. */
static int backoff_for_retry(const wsman_session_t *s, exchange_clock_t *k, wsman_error_t *e)
{
    if (k->retries >= MAX_RETRIES || k->end - wsman_now_ms() <= k->backoff + BACKOFF_MARGIN_MS)
        return 0;
    if (wsman_transport_pause(s->transport, k->backoff, e) != 0)
        return 0;
    k->backoff *= 2;
    k->retries++;
    return 1;
}

/* Connection mechanisms (Negotiate, Kerberos): the legs a (new) connection needs before the message. */
static exchange_step_t authenticate_connection(wsman_session_t *s, const wsman_exchange_t *x,
                                               exchange_clock_t *k, wsman_error_t *e)
{
    wsman_auth_site_t site;
    int transport_failed = 0;

    if (wsman_auth_ready(s->auth, s->transport))
        return STEP_GO_ON;
    auth_site(s, &site);
    if (wsman_auth_handshake(s->auth, s->transport, &site, remaining_ms(k), &transport_failed, e) == 0)
        return STEP_GO_ON;
    /* the handshake carries no message, so trying it again is always safe */
    if (transport_failed && e->retry == WSMAN_RETRY_TRANSIENT && backoff_for_retry(s, k, e))
        return STEP_RETRY;
    if (is_deadline(e))
        explain_timeout(s, x, k->deadline, e);
    return STEP_STOP;
}

/* After a failed attempt: resend, or stop with e saying why. */
static exchange_step_t after_failure(wsman_session_t *s, const wsman_exchange_t *x, attempt_result_t r,
                                     wsman_send_state_t state, exchange_clock_t *k, wsman_error_t *e)
{
    if (r == ATTEMPT_REAUTH) {
        wsman_auth_site_t site;
        if (++k->reauths <= 1)
            return STEP_RETRY;
        auth_site(s, &site);
        wsman_auth_denied(s->auth, &site, NULL,
                          !site.https && !s->auth->encrypt ? WSMAN_AUTH_STAGE_UNENCRYPTED_REFUSED
                                                           : WSMAN_AUTH_STAGE_MESSAGE_REFUSED,
                          e);
        return STEP_STOP;
    }
    if (r == ATTEMPT_RETRYABLE && e->retry == WSMAN_RETRY_TRANSIENT &&
        (state == WSMAN_SENT_NOTHING || (x->idempotent && state == WSMAN_SENT_NO_REPLY)) &&
        backoff_for_retry(s, k, e)) {
        if (s->auth && state != WSMAN_SENT_NOTHING)
            wsman_auth_invalidate(s->auth); /* a new connection: authenticate it again */
        return STEP_RETRY;
    }
    if (is_deadline(e))
        explain_timeout(s, x, k->deadline, e);
    return STEP_STOP;
}

static int exchange_attempts(wsman_session_t *s, const wsman_exchange_t *x, const wsman_buf_t *reqbody,
                             int use_auth, exchange_clock_t *k, wsman_response_t *out, wsman_error_t *e)
{
    for (;;) {
        wsman_send_state_t state = WSMAN_SENT_NOTHING;
        exchange_step_t step = STEP_GO_ON;
        attempt_result_t r;

        wsman_error_clear(e);
        if (use_auth)
            step = authenticate_connection(s, x, k, e);
        if (step == STEP_RETRY)
            continue;
        if (step == STEP_STOP)
            return -1;
        r = attempt(s, x, reqbody, use_auth, remaining_ms(k), out, &state, e);
        if (r == ATTEMPT_OK)
            return 0;
        if (after_failure(s, x, r, state, k, e) == STEP_STOP)
            return -1;
    }
}

int wsman_session_exchange(wsman_session_t *s, const wsman_exchange_t *x, wsman_response_t *out,
                           wsman_error_t *e)
{
    wsman_error_t local;
    wsman_buf_t reqbody;
    exchange_clock_t k;
    int use_auth = 0, rc = -1;

    if (!e) {
        wsman_error_init(&local);
        e = &local;
    }
    if (!x->no_flush && s->reaper)
        wsman_reaper_run(s->reaper, WSMAN_REAPER_OPERATION_BUDGET_MS); /* dropped sessions' cleanup */
    if (!x->no_flush && s->releases)
        flush_releases(s, 0);
    wsman_buf_init(&reqbody);
    if (build_request(s, x, &reqbody, e) == 0 && ensure_transport(s, e) == 0) {
        use_auth = x->unauthenticated ? 0 : ensure_auth(s, e);
        if (use_auth >= 0) {
            clock_start(&k, x->timeout_ms > 0 ? x->timeout_ms : s->timeout_ms);
            rc = exchange_attempts(s, x, &reqbody, use_auth, &k, out, e);
        }
    }
    wsman_buf_free_secure(&reqbody);
    if (rc != 0) {
        if (!e->code)
            wsman_error_set(e, WSMAN_E_FAIL, "%s failed", x->operation);
        wsman_error_context(e, x->operation, s->ep.url);
        if (!e->fault_xml)
            wsman_error_synthesize_fault(e);
    }
    if (e == &local)
        wsman_error_clear(&local);
    return rc;
}

/* ---- operations ---------------------------------------------------------------------------- */

static int check_args(wsman_session_t *s, const wsman_locator_t *l, uint32_t flags, const char *op,
                      wsman_error_t *e)
{
    if (!s || !l || !l->uri || !*l->uri) {
        if (e) {
            wsman_error_set(e, WSMAN_E_INVALIDARG, "%s needs a resource URI", op);
            wsman_error_context(e, op, s ? s->ep.url : NULL);
        }
        return -1;
    }
    if (flags != 0) {
        if (e) {
            wsman_error_set(e, WSMAN_E_INVALIDARG, "%s: flags are reserved and must be 0 (got 0x%X)", op,
                            (unsigned)flags);
            wsman_error_context(e, op, s->ep.url);
        }
        return -1;
    }
    return 0;
}

/* Checks caller XML (a resource or parameters) before sending it. */
static int check_xml(wsman_session_t *s, const char *xml, const char *what, const char *op, char **root_ns,
                     char **root_local, wsman_error_t *e)
{
    if (wsman_xml_check_fragment(xml, strlen(xml), what, root_ns, root_local, e) != 0) {
        if (e)
            wsman_error_context(e, op, s->ep.url);
        return -1;
    }
    return 0;
}

int wsman_winrs_exchange(wsman_session_t *s, const char *op, const char *action, const wsman_locator_t *l,
                         const char *body, wsman_resp_kind_t kind, void *ud, long timeout_ms, int idempotent,
                         wsman_response_t *res, wsman_error_t *e)
{
    wsman_exchange_t x;

    memset(&x, 0, sizeof x);
    x.operation = op;
    x.action = action;
    x.locator = l;
    x.body = body;
    x.kind = kind;
    x.ud = ud;
    x.timeout_ms = timeout_ms;
    x.idempotent = idempotent;
    /* a Create the host may have carried out must be answered even when its operation is
     * cancelled: its reply names the new shell, which is then deleted rather than left open */
    x.complete_on_cancel = action && strcmp(action, WSMAN_ACTION_CREATE) == 0;
    return wsman_session_exchange(s, &x, res, e);
}

static int simple_op(wsman_session_t *s, const char *op, const char *action, const wsman_locator_t *l,
                     const char *body, wsman_resp_kind_t kind, int idempotent, wsman_buf_t *out,
                     wsman_error_t *e)
{
    wsman_response_t res;
    int rc;

    wsman_response_init(&res);
    rc = wsman_winrs_exchange(s, op, action, l, body, kind, NULL, 0, idempotent, &res, e);
    if (rc == 0 && out && kind == WSMAN_RESP_BODY && res.body.len &&
        wsman_buf_append(out, res.body.data, res.body.len) != 0) {
        if (e) {
            wsman_error_oom(e, NULL);
            wsman_error_context(e, op, s->ep.url);
        }
        rc = -1;
    }
    if (rc == 0 && out && !out->data)
        wsman_buf_reserve(out, 0);
    wsman_response_clear(&res);
    return rc;
}

int wsman_get(wsman_session_t *s, const wsman_locator_t *l, uint32_t flags, wsman_buf_t *out,
              wsman_error_t *e)
{
    if (check_args(s, l, flags, "Get", e) != 0)
        return -1;
    return simple_op(s, "Get", WSMAN_ACTION_GET, l, NULL, WSMAN_RESP_BODY, 1, out, e);
}

int wsman_put(wsman_session_t *s, const wsman_locator_t *l, const char *resource, uint32_t flags,
              wsman_buf_t *out, wsman_error_t *e)
{
    const char *body;
    wsman_buf_t wrapped;
    char *rns = NULL, *rlocal = NULL;
    int rc;

    if (check_args(s, l, flags, "Put", e) != 0)
        return -1;
    body = wsman_xml_skip_decl(resource ? resource : "");
    wsman_buf_init(&wrapped);
    if (l->fragment_path && *l->fragment_path) {
        /* a fragment value goes inside wsman:XmlFragment unless the caller wrapped it already */
        int already = 0;
        if (*body == '<' &&
            wsman_xml_check_fragment(body, strlen(body), "resource", &rns, &rlocal, NULL) == 0)
            already = rns && strcmp(rns, WSMAN_NS_WSMAN) == 0 && strcmp(rlocal, "XmlFragment") == 0;
        free(rns);
        free(rlocal);
        if (!already) {
            if (wsman_buf_puts(&wrapped, "<wsman:XmlFragment>") != 0 || wsman_buf_puts(&wrapped, body) != 0 ||
                wsman_buf_puts(&wrapped, "</wsman:XmlFragment>") != 0) {
                wsman_buf_free(&wrapped);
                if (e) {
                    wsman_error_oom(e, NULL);
                    wsman_error_context(e, "Put", s->ep.url);
                }
                return -1;
            }
            body = wrapped.data;
        }
    } else if (!*body) {
        if (e) {
            wsman_error_set(e, WSMAN_E_INVALIDARG, "Put needs the resource XML");
            wsman_error_context(e, "Put", s->ep.url);
        }
        return -1;
    }
    if (check_xml(s, body, "resource XML", "Put", NULL, NULL, e) != 0) {
        wsman_buf_free(&wrapped);
        return -1;
    }
    rc = simple_op(s, "Put", WSMAN_ACTION_PUT, l, body, WSMAN_RESP_BODY, 0, out, e);
    wsman_buf_free(&wrapped);
    return rc;
}

int wsman_create(wsman_session_t *s, const wsman_locator_t *l, const char *resource, uint32_t flags,
                 wsman_buf_t *out, wsman_error_t *e)
{
    const char *body;

    if (check_args(s, l, flags, "Create", e) != 0)
        return -1;
    body = wsman_xml_skip_decl(resource ? resource : "");
    if (*body && check_xml(s, body, "resource XML", "Create", NULL, NULL, e) != 0)
        return -1;
    return simple_op(s, "Create", WSMAN_ACTION_CREATE, l, body, WSMAN_RESP_BODY, 0, out, e);
}

int wsman_delete(wsman_session_t *s, const wsman_locator_t *l, uint32_t flags, wsman_error_t *e)
{
    if (check_args(s, l, flags, "Delete", e) != 0)
        return -1;
    return simple_op(s, "Delete", WSMAN_ACTION_DELETE, l, NULL, WSMAN_RESP_EMPTY, 0, NULL, e);
}

int wsman_invoke(wsman_session_t *s, const char *action, const wsman_locator_t *l, const char *parameters,
                 uint32_t flags, wsman_buf_t *out, wsman_error_t *e)
{
    wsman_buf_t act;
    const char *body;
    int rc;

    if (check_args(s, l, flags, "Invoke", e) != 0)
        return -1;
    if (!action || !*action) {
        if (e) {
            wsman_error_set(e, WSMAN_E_INVALIDARG, "Invoke needs an action: a method name or an action URI");
            wsman_error_context(e, "Invoke", s->ep.url);
        }
        return -1;
    }
    if (wsman_xml_check_str("Invoke: the action", action, e) != 0) {
        wsman_error_context(e, "Invoke", s->ep.url);
        return -1;
    }
    wsman_buf_init(&act);
    if (strchr(action, '/'))
        rc = wsman_buf_puts(&act, action);
    else
        rc = wsman_buf_printf(&act, "%s/%s", l->uri, action);
    if (rc != 0) {
        if (e) {
            wsman_error_oom(e, NULL);
            wsman_error_context(e, "Invoke", s->ep.url);
        }
        return -1;
    }
    body = wsman_xml_skip_decl(parameters ? parameters : "");
    if (*body && check_xml(s, body, "parameters XML", "Invoke", NULL, NULL, e) != 0) {
        wsman_buf_free(&act);
        return -1;
    }
    rc = simple_op(s, "Invoke", act.data, l, body, WSMAN_RESP_BODY, 0, out, e);
    wsman_buf_free(&act);
    return rc;
}

int wsman_identify(wsman_session_t *s, uint32_t flags, wsman_buf_t *out, wsman_error_t *e)
{
    wsman_exchange_t x;
    wsman_response_t res;
    int rc;

    if (!s) {
        if (e)
            wsman_error_set(e, WSMAN_E_INVALIDARG, "Identify needs a session");
        return -1;
    }
    memset(&x, 0, sizeof x);
    x.operation = "Identify";
    x.kind = WSMAN_RESP_BODY;
    x.idempotent = 1;
    /* unauthenticated when asked for, or when the session itself uses no authentication */
    x.unauthenticated = ((flags | s->flags) & WSMAN_FLAG_USE_NO_AUTHENTICATION) != 0;
    wsman_response_init(&res);
    rc = wsman_session_exchange(s, &x, &res, e);
    if (rc == 0 && out && wsman_buf_append(out, res.body.data ? res.body.data : "", res.body.len) != 0) {
        if (e) {
            wsman_error_oom(e, NULL);
            wsman_error_context(e, "Identify", s->ep.url);
        }
        rc = -1;
    }
    wsman_response_clear(&res);
    return rc;
}
