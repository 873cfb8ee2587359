/* SPDX-License-Identifier: MIT */
/*
 * transport.c - HTTP(S) transport on libcurl's multi interface.
 *
 * One easy handle per transport, kept in a private multi handle and reused for every request so
 * libcurl keeps the TCP (and TLS) connection alive: a whole enumeration goes over one
 * connection. The easy handles of every transport of a thread run on one shared multi handle
 * (loop.c); each transport's connection cache (a CURLSH sharing CURL_LOCK_DATA_CONNECT) is shared
 * only with transports to other origins, or with nobody (see "connection caches" below), so a
 * session's authenticated connection is never used by another. The same share holds the DNS
 * cache (CURL_LOCK_DATA_DNS): libcurl goes through the whole DNS cache of a handle after every
 * transfer to expire entries, and the multi handle's one cache would hold an entry per host of
 * the fleet (a cost per request that grows with the number of hosts).
 * wsman_transport_post waits on the loop (wsman_loop_wait): inside a resumable operation it
 * suspends, elsewhere it drives the loop until the reply is in or the deadline passes.
 *
 * Request bodies: POST with a known size (Content-Length, never chunked, no "Expect:
 * 100-continue") supplied through a read callback rather than CURLOPT_POSTFIELDS. The reason is
 * libcurl's own retry: when a request on a *reused* connection gets no byte of reply (the
 * server closed the idle keep-alive connection, or died after reading the request), libcurl
 * silently opens a new connection and sends the request again (Curl_retry_request, "Connection
 * died, retrying a fresh connect"; up to 5 times; see curl/curl PR #18417, which proposes an
 * option to forbid it). That can deliver a request the server already received a second time,
 * which must never happen for Put/Create/Delete/Invoke. libcurl only has to rewind the body
 * when body bytes were already sent; with POSTFIELDS it rewinds silently, with a read callback
 * it asks our seek callback. Our policy, explicit here:
 *   - no body byte was handed to libcurl yet: the retry cannot duplicate a request the server
 *     could act on (it never got the body announced by Content-Length), libcurl retries;
 *   - body bytes were sent: the seek callback refuses (CURL_SEEKFUNC_CANTSEEK), the transfer
 *     fails with CURLE_SEND_FAIL_REWIND and we report WSMAN_SENT_NO_REPLY, so the session's
 *     retry policy (retry Get/Enumerate/Pull/Identify/Release, never Put/Create/Delete/Invoke)
 *     decides, not libcurl;
 *   - except after a 401/407 status line in the same transfer (libcurl re-sending for proxy
 *     authentication): the server answered, nothing was processed, rewinding is allowed.
 * Connections idle longer than libcurl's CURLOPT_MAXAGE_CONN (118 s by default, below HTTP.sys'
 * 120 s idle timeout) are not reused at all.
 *
 * Error codes (what Windows' WinRM client / WinHTTP report, see errors.c for texts):
 *   refused / unreachable           0x80072EFD ERROR_WINHTTP_CANNOT_CONNECT       SENT_NOTHING
 *   DNS failure                     0x80072EE7 ERROR_WINHTTP_NAME_NOT_RESOLVED    SENT_NOTHING
 *   TCP connect timed out           0x80338126 ERROR_WSMAN_NETWORK_TIMEDOUT       SENT_NOTHING
 *     ("returned by client when get timeout from network layer", wsmerror.h)
 *   request deadline (Session.Timeout) expired after connecting
 *                                   0x800705B4 HRESULT_FROM_WIN32(ERROR_TIMEOUT)  NO_REPLY/PARTIAL
 *     (the code the COM client raises for an expired Timeout: winrm.vbs retries Enumerate and
 *     ReadItem on exactly &h800705B4; 0x80338029 is the *server's* OperationTimeout fault)
 *   TLS: unknown CA / self-signed   0x80072F0D ERROR_WINHTTP_SECURE_INVALID_CA    SENT_NOTHING
 *        host name mismatch         0x80072F06 ERROR_WINHTTP_SECURE_CERT_CN_INVALID
 *        expired / not yet valid    0x80072F05 ERROR_WINHTTP_SECURE_CERT_DATE_INVALID
 *        any other TLS failure      0x80072F8F ERROR_WINHTTP_SECURE_FAILURE
 *   closed / reset before or during the reply, no reply at all
 *                                   0x80072EFE ERROR_WINHTTP_CONNECTION_ERROR     NO_REPLY/PARTIAL
 *   malformed HTTP                  0x80072F78 ERROR_WINHTTP_INVALID_SERVER_RESPONSE
 * Messages name host:port and say what to do; they never contain credentials (connection
 * strings cannot carry any; proxy credentials are never printed).
 *
 * libcurl's global state: initialised lazily under a mutex on the first wsman_transport_new
 * (or explicitly with wsman_global_init); wsman_global_cleanup releases it.
 */
#include "transport.h"
#include "loop.h"
#include "trace.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- global init ------------------------------------------------------------------------------ */

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_state; /* 0 = not initialised, 1 = initialised, -1 = failed */

int wsman_global_init(void)
{
    int rc;
    pthread_mutex_lock(&global_lock);
    if (global_state == 0)
        global_state = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 1 : -1;
    rc = global_state == 1 ? 0 : -1;
    if (global_state == -1)
        global_state = 0; /* let a later call try again */
    pthread_mutex_unlock(&global_lock);
    return rc;
}

void wsman_global_cleanup(void)
{
    pthread_mutex_lock(&global_lock);
    if (global_state == 1)
        curl_global_cleanup();
    global_state = 0;
    pthread_mutex_unlock(&global_lock);
}

/* ---- the transport ------------------------------------------------------------------------------ */

struct wsman_transport {
    CURLM *multi;              /* the thread's shared multi handle (loop.c), one reference */
    CURLSH *share;             /* a connection cache of its own (NULL when it is in a group) */
    struct share_group *group; /* the connection cache it shares with other origins, or NULL */
    int group_slot;            /* its place in the group's origins */
    char *origin;              /* "host:port" as libcurl matches connections; NULL: never grouped */
    curl_socket_t *socks;      /* the sockets libcurl opened for it and has not closed */
    int nsocks, socks_cap;
    CURL *easy;
    wsman_waiter_t w; /* the request in flight on the shared multi handle */
    char *hostport;   /* "host:port" for messages */
    char *proxy;      /* the proxy's "host:port" for messages, NULL when the connection is direct */
    long port;
    int https;
    long connections;
    char errbuf[CURL_ERROR_SIZE];
    curl_socket_t last_sock; /* the socket libcurl opened last (CURL_SOCKET_BAD once closed) */
    int socket_errno;        /* why the last socket could not be opened (0: it could) */
    long long last_done_ms;  /* when the last request ended: idle connections expire */
    char *url;               /* the endpoint, for traces */
    wsman_trace_rec_t trace; /* the exchange being traced (wsman_transport_set_trace) */

    /* per request */
    const wsman_http_request_t *req;
    size_t body_off;     /* next body byte to hand to libcurl */
    size_t body_handed;  /* body bytes handed to libcurl in this transfer (any attempt) */
    int saw_auth_status; /* a 401/407 status line arrived in this transfer */
    size_t header_bytes; /* response header bytes received (reply started) */
    wsman_sink_fn sink;
    void *sink_ud;
    int sink_aborted;
    wsman_http_response_t *resp;
    int oom;
    struct curl_slist *hdrs;       /* the header list, kept for the next request with the same lines */
    struct curl_slist *hdrs_authz; /* hdrs' placeholder "Authorization:" node, NULL without one */
    struct curl_slist *authz_node; /* the request's "Authorization:" line, filled at connect time */
    char *authz_orig;              /* that node's own string, put back before the list is freed */
    wsman_buf_t authz;             /* the line the authorize callback produced */
    int authorize_aborted;
};

static void drop_headers(wsman_transport_t *t);

#define MAXAGE_CONN_S 118L
/* libcurl's per-handle buffers, sized for WinRM's messages rather than bulk downloads: every
 * session holds one easy handle, so at a thousand sessions the defaults (16 KiB to receive,
 * 64 KiB to send) cost 80 MB. A reply streams through the receive buffer into the XML reader
 * whatever its size; 16 KiB is the smallest send buffer libcurl accepts. */
#define RECV_BUFFER_SIZE 2048L
#define SEND_BUFFER_SIZE 16384L

/* Whether the transfer in progress opened a connection. */
static int new_connection(wsman_transport_t *t)
{
    long conns = 0;
    return curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK && conns > 0;
}

/* libcurl calls this once the connection is up and before the request is sent; the header list
 * is read after it, so the Authorization line set here goes out with this request. */
static int prereq_cb(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    static char no_header[] = "Authorization:"; /* libcurl: send no such header */
    wsman_transport_t *t = ud;
    int fresh;
    size_t prefix;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (!t->req || !t->req->authorize || !t->authz_node)
        return CURL_PREREQFUNC_OK;
    fresh = new_connection(t);
    wsman_buf_reset(&t->authz);
    if (wsman_buf_puts(&t->authz, "Authorization: ") != 0) {
        t->oom = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    prefix = t->authz.len;
    if (t->req->authorize(t->req->authorize_ud, t, fresh, &t->authz) != 0) {
        t->authorize_aborted = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    t->authz_node->data = t->authz.len > prefix ? t->authz.data : no_header;
    return CURL_PREREQFUNC_OK;
}

void wsman_http_response_clear(wsman_http_response_t *r)
{
    if (!r)
        return;
    free(r->content_type);
    for (size_t i = 0; i < r->n_www_authenticate; i++)
        free(r->www_authenticate[i]);
    free(r->www_authenticate);
    memset(r, 0, sizeof *r);
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    wsman_transport_t *t = ud;
    size_t room = size * nitems, left = t->req->len - t->body_off;
    size_t n = left < room ? left : room;
    if (n) {
        memcpy(buf, t->req->body + t->body_off, n);
        t->body_off += n;
        t->body_handed += n;
    }
    return n;
}

/* ---- connection caches ------------------------------------------------------------------------
 *
 * libcurl reuses a connection for any transfer whose host, port and TLS settings match, among
 * the connections of the cache its easy handle uses. A session's connection carries its
 * authentication (NTLM, Kerberos), so no session may ever find another's connection. A cache of
 * its own per session (a CURLSH: an internal easy handle and a hash table, about 10 KB) ensures
 * that, but costs 10 MB at a thousand sessions. Sessions to different origins never match each
 * other's connections, so they share a cache: a group of up to SHARE_GROUP_MAX sessions whose
 * origins are all different (a session joins one of the newest groups with room that has no
 * session to its origin, or a new group). A session whose connections libcurl could match by
 * something else than the host (through a proxy it compares the proxy; names it converts: IDN,
 * IPv6 literals) keeps a cache of its own.
 *
 * When a session of a group ends, its connections are shut down (shutdown(2)): they can carry
 * nothing any more, libcurl finds them dead and never hands them to anyone, and closes them the
 * next time it looks at the group's cache or when the group ends. libcurl closes a socket long
 * after the transport that opened it may be gone, so the close callback finds its transport in
 * a table by descriptor rather than through a pointer libcurl keeps. */

#define SHARE_GROUP_MAX 32
#define GROUP_TRIES 8 /* groups with room looked at for one without the origin, newest first */

typedef struct share_group {
    CURLSH *share;
    int joined;                                /* slots used in origins */
    int members;                               /* transports using it now */
    const char *origins[SHARE_GROUP_MAX];      /* the members' origins (NULL once a member left) */
    struct share_group *prev_open, *next_open; /* in open_groups while it has room */
    int open;
} share_group_t;

static _Thread_local share_group_t *open_groups;     /* the groups with room, newest first */
static _Thread_local wsman_transport_t **sock_owner; /* descriptor -> its transport, NULL: none */
static _Thread_local int sock_owner_len;
static _Thread_local long live_transports; /* with none, every socket is closed: the table goes */

/* A cache of connections and of host names, with nobody yet. */
static CURLSH *new_share(void)
{
    CURLSH *sh = curl_share_init();
    if (sh && (curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
               curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)) {
        curl_share_cleanup(sh);
        sh = NULL;
    }
    return sh;
}

static int has_origin(const share_group_t *gr, const char *origin)
{
    for (int i = 0; i < gr->joined; i++)
        if (gr->origins[i] && strcmp(gr->origins[i], origin) == 0)
            return 1;
    return 0;
}

static void close_group_list(share_group_t *gr)
{
    if (!gr->open)
        return;
    if (gr->prev_open)
        gr->prev_open->next_open = gr->next_open;
    else
        open_groups = gr->next_open;
    if (gr->next_open)
        gr->next_open->prev_open = gr->prev_open;
    gr->prev_open = gr->next_open = NULL;
    gr->open = 0;
}

/* A group with room and without origin (one of the newest few), else a new one; NULL when none
 * could be made. Many sessions to a few hosts fill groups with one session per host each. */
static share_group_t *group_without(const char *origin)
{
    share_group_t *gr = open_groups;
    for (int tries = 0; gr && tries < GROUP_TRIES; gr = gr->next_open, tries++)
        if (!has_origin(gr, origin))
            return gr;
    gr = calloc(1, sizeof *gr);
    if (!gr || !(gr->share = new_share())) {
        free(gr);
        return NULL;
    }
    gr->next_open = open_groups;
    if (open_groups)
        open_groups->prev_open = gr;
    open_groups = gr;
    gr->open = 1;
    return gr;
}

/* The group t joins; NULL when t needs a cache of its own (or no group could be made). */
static share_group_t *join_group(wsman_transport_t *t)
{
    share_group_t *gr;
    if (!t->origin || !(gr = group_without(t->origin)))
        return NULL;
    t->group_slot = gr->joined;
    gr->origins[gr->joined++] = t->origin;
    gr->members++;
    t->group = gr;
    if (gr->joined == SHARE_GROUP_MAX)
        close_group_list(gr);
    return gr;
}

/* t's connections can carry nothing any more; the group ends with its last member. */
static void leave_group(wsman_transport_t *t)
{
    share_group_t *gr = t->group;
    for (int i = 0; i < t->nsocks; i++) {
        shutdown(t->socks[i], SHUT_RDWR);
        sock_owner[t->socks[i]] = NULL;
    }
    t->nsocks = 0;
    gr->origins[t->group_slot] = NULL;
    t->group = NULL;
    if (--gr->members > 0)
        return;
    close_group_list(gr);
    curl_share_cleanup(gr->share);
    free(gr);
}

/* Records that fd is t's; -1 when out of memory. */
static int own_socket(wsman_transport_t *t, curl_socket_t fd)
{
    if (fd >= sock_owner_len) {
        int n = sock_owner_len ? sock_owner_len : 64;
        wsman_transport_t **grown;
        while (n <= fd)
            n *= 2;
        grown = realloc(sock_owner, (size_t)n * sizeof *grown);
        if (!grown)
            return -1;
        memset(grown + sock_owner_len, 0, (size_t)(n - sock_owner_len) * sizeof *grown);
        sock_owner = grown;
        sock_owner_len = n;
    }
    if (t->nsocks == t->socks_cap) {
        int cap = t->socks_cap ? t->socks_cap * 2 : 2;
        curl_socket_t *grown = realloc(t->socks, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        t->socks = grown;
        t->socks_cap = cap;
    }
    t->socks[t->nsocks++] = fd;
    sock_owner[fd] = t;
    return 0;
}

/* Opens the connection's socket (close-on-exec: a program started meanwhile inherits none of a
 * thousand connections) and remembers why it could not, for descriptor_error. */
static curl_socket_t opensocket_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    wsman_transport_t *t = ud;
    curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    (void)purpose;
    t->socket_errno = fd == CURL_SOCKET_BAD ? errno : 0;
    if (fd != CURL_SOCKET_BAD && own_socket(t, fd) != 0) {
        close(fd);
        t->socket_errno = ENOMEM;
        return CURL_SOCKET_BAD;
    }
    return fd;
}

static int sockopt_cb(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    wsman_transport_t *t = ud;
    (void)purpose;
    t->last_sock = fd;
    return CURL_SOCKOPT_OK;
}

/* libcurl closes a socket, perhaps of a transport that is gone (its user data is not used). */
static int closesocket_cb(void *ud, curl_socket_t fd)
{
    wsman_transport_t *t = fd >= 0 && fd < sock_owner_len ? sock_owner[fd] : NULL;
    (void)ud;
    if (t) {
        sock_owner[fd] = NULL;
        for (int i = 0; i < t->nsocks; i++) {
            if (t->socks[i] == fd) {
                t->socks[i] = t->socks[--t->nsocks];
                break;
            }
        }
        if (t->last_sock == fd)
            t->last_sock = CURL_SOCKET_BAD;
    }
    return close(fd);
}

static int seek_cb(void *ud, curl_off_t offset, int origin)
{
    wsman_transport_t *t = ud;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > t->req->len)
        return CURL_SEEKFUNC_CANTSEEK;
    /* See the top of this file: only an authentication round trip may resend the body. */
    if (!t->saw_auth_status)
        return CURL_SEEKFUNC_CANTSEEK;
    t->body_off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static char *trimmed_dup(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return wsman_strndup(s, n);
}

static int header_is(const char *line, size_t n, const char *name, const char **value, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
        return 0;
    *value = line + k + 1;
    *vlen = n - k - 1;
    return 1;
}

/* Once every body byte has gone out, libcurl's send buffer (16 KiB, see SEND_BUFFER_SIZE) has
 * nothing more to do for this request: setting the size again frees it now rather than when
 * the reply is complete, so that a thousand sessions waiting for their replies do not hold
 * 16 MB of buffers. libcurl only reads that buffer while request bytes are left to send, and
 * allocates it again for the next request (or an authentication round trip). Checked when
 * libcurl stops watching the socket for writing, and when a reply starts. */
static void release_send_buffer(wsman_transport_t *t)
{
    curl_off_t sent = 0;
    if (!t->req || t->req->len == 0 || t->body_off != t->req->len)
        return;
    if (curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &sent) != CURLE_OK ||
        sent != (curl_off_t)t->req->len)
        return;
    curl_easy_setopt(t->easy, CURLOPT_UPLOAD_BUFFERSIZE, SEND_BUFFER_SIZE);
}

static void on_socket_change(wsman_waiter_t *w)
{
    release_send_buffer((wsman_transport_t *)((char *)w - offsetof(wsman_transport_t, w)));
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *ud)
{
    wsman_transport_t *t = ud;
    size_t n = size * nitems;
    wsman_http_response_t *r = t->resp;
    const char *v;
    size_t vl;

    t->header_bytes += n;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue or an authentication round trip): keep the last */
        const char *sp = memchr(data, ' ', n);
        int status = 0;
        wsman_http_response_clear(r);
        if (sp) {
            for (const char *p = sp + 1; p < data + n && *p >= '0' && *p <= '9'; p++)
                status = status * 10 + (*p - '0');
        }
        r->status = status;
        if (status == 401 || status == 407)
            t->saw_auth_status = 1;
        release_send_buffer(t);
        return n;
    }
    if (header_is(data, n, "Content-Type", &v, &vl)) {
        free(r->content_type);
        r->content_type = trimmed_dup(v, vl);
        if (!r->content_type)
            t->oom = 1;
    } else if (header_is(data, n, "WWW-Authenticate", &v, &vl)) {
        char **grown = realloc(r->www_authenticate, (r->n_www_authenticate + 1) * sizeof *grown);
        char *val = trimmed_dup(v, vl);
        if (!grown || !val) {
            free(val);
            if (grown)
                r->www_authenticate = grown;
            t->oom = 1;
            return 0;
        }
        r->www_authenticate = grown;
        r->www_authenticate[r->n_www_authenticate++] = val;
    } else if (header_is(data, n, "Connection", &v, &vl)) {
        char *val = trimmed_dup(v, vl);
        if (val && strcasecmp(val, "close") == 0)
            r->connection_close = 1;
        free(val);
    }
    return t->oom ? 0 : n;
}

static size_t write_cb(char *data, size_t size, size_t nitems, void *ud)
{
    wsman_transport_t *t = ud;
    size_t n = size * nitems;
    if (t->sink && n && t->sink(t->sink_ud, data, n) != 0) {
        t->sink_aborted = 1;
        return 0; /* libcurl aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

/* no_proxy as libcurl reads it: "*", or names that match the host or a domain it is in. */
static int host_in_no_proxy(const char *host, const char *list)
{
    size_t hlen = strlen(host);
    while (list && *list) {
        size_t n;
        list += strspn(list, ", ");
        n = strcspn(list, ", ");
        if (n == 1 && *list == '*')
            return 1;
        if (n > 0 && *list == '.') {
            list++;
            n--;
        }
        if (n > 0 && n <= hlen && strncasecmp(host + hlen - n, list, n) == 0 &&
            (n == hlen || host[hlen - n - 1] == '.'))
            return 1;
        list += n;
    }
    return 0;
}

/* The proxy libcurl will use for host (options first, then the environment as libcurl reads
 * it), as "host:port" without any user information, for error messages; NULL when direct. */
static char *proxy_for_messages(const wsman_transport_config_t *cfg, const char *scheme, const char *host)
{
    const char *p = cfg->proxy && *cfg->proxy ? cfg->proxy : NULL;
    char *phost = NULL, *pport = NULL, *out = NULL;
    CURLU *u;

    if (cfg->proxy_access_type & WSMAN_PROXY_NO_PROXY_SERVER)
        return NULL;
    if (!p) {
        const char *no_proxy = getenv("no_proxy") ? getenv("no_proxy") : getenv("NO_PROXY");
        if (no_proxy && host_in_no_proxy(host, no_proxy))
            return NULL;
        p = strcasecmp(scheme, "https") == 0
                ? (getenv("https_proxy") ? getenv("https_proxy") : getenv("HTTPS_PROXY"))
                : getenv("http_proxy");
        if (!p || !*p)
            p = getenv("all_proxy") ? getenv("all_proxy") : getenv("ALL_PROXY");
        if (!p || !*p)
            return NULL;
    }
    u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, p, CURLU_DEFAULT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &phost, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &pport, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        wsman_buf_t b;
        wsman_buf_init(&b);
        if (wsman_buf_printf(&b, "%s:%s", phost, pport) == 0)
            out = wsman_buf_steal(&b);
        wsman_buf_free(&b);
    }
    curl_free(phost);
    curl_free(pport);
    curl_url_cleanup(u);
    return out;
}

/* Whether libcurl may send the requests through a proxy (options, or the environment whatever
 * no_proxy says): it matches connections to a proxy by the proxy, not by the host. */
static int may_use_proxy(const wsman_transport_config_t *cfg)
{
    static const char *const vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                       "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    if (cfg->proxy_access_type & WSMAN_PROXY_NO_PROXY_SERVER)
        return 0;
    if (cfg->proxy && *cfg->proxy)
        return 1;
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return 1;
    }
    return 0;
}

/* "host:port" as libcurl tells connections apart (host names compared without case and without
 * a trailing dot), or NULL for a name libcurl could see otherwise than written (IDN, IPv6
 * literals, escapes) or when out of memory: such a transport keeps a cache of its own. */
static char *origin_key(const char *host, long port)
{
    size_t n = strlen(host);
    wsman_buf_t b;

    while (n > 0 && host[n - 1] == '.')
        n--;
    if (n == 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-'))
            return NULL;
    }
    wsman_buf_init(&b);
    if (wsman_buf_append(&b, host, n) != 0 || wsman_buf_printf(&b, ":%ld", port) != 0) {
        wsman_buf_free(&b);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (b.data[i] >= 'A' && b.data[i] <= 'Z')
            b.data[i] = (char)(b.data[i] - 'A' + 'a');
    }
    return wsman_buf_steal(&b);
}

/* Sets one libcurl option; on failure names the option group for the message and fails the step. */
#define SETOPT(what, opt, val)                                                                               \
    do {                                                                                                     \
        if (curl_easy_setopt(t->easy, opt, val) != CURLE_OK) {                                               \
            *failed = (what);                                                                                \
            return -1;                                                                                       \
        }                                                                                                    \
    } while (0)

/* host:port (for messages), the port and whether it is HTTPS, from the endpoint URL; the proxy on
 * the way, for messages. */
static int parse_endpoint_url(wsman_transport_t *t, const wsman_transport_config_t *cfg, wsman_error_t *e)
{
    const char *url = cfg->url;
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *scheme = NULL;
    int rc = -1;

    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        wsman_error_set(e, WSMAN_E_CONNECTIONSTR_INVALID, "The endpoint URL \"%s\" cannot be parsed.", url);
    } else {
        wsman_buf_t b;
        t->port = strtol(port, NULL, 10);
        t->https = strcasecmp(scheme, "https") == 0;
        wsman_buf_init(&b);
        if (wsman_buf_printf(&b, "%s:%ld", host, t->port) != 0) {
            wsman_buf_free(&b);
            wsman_error_oom(e, NULL);
        } else {
            t->hostport = wsman_buf_steal(&b);
            t->proxy = proxy_for_messages(cfg, scheme, host); /* NULL also when out of memory: less said */
            t->origin = may_use_proxy(cfg) ? NULL : origin_key(host, t->port);
            rc = 0;
        }
    }
    curl_free(host);
    curl_free(port);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

/* Sets a libcurl callback and its user data (the transport). */
#define SETCALLBACK(what, name, fn)                                                                          \
    do {                                                                                                     \
        SETOPT(what, CURLOPT_##name##FUNCTION, fn);                                                          \
        SETOPT(what, CURLOPT_##name##DATA, t);                                                               \
    } while (0)

/* The URL, HTTP/1.1 POST with our callbacks, keep-alive and the connect timeout. */
static int set_basic_options(wsman_transport_t *t, const wsman_transport_config_t *cfg, const char **failed)
{
    static const char basic[] = "basic options";

    SETOPT("URL", CURLOPT_URL, cfg->url);
    SETOPT(basic, CURLOPT_ERRORBUFFER, t->errbuf);
    SETOPT(basic, CURLOPT_NOSIGNAL, 1L);
    SETOPT(basic, CURLOPT_TCP_NODELAY, 1L);
    SETOPT(basic, CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(basic, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(basic, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SETOPT(basic, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(basic, CURLOPT_USERAGENT, "lua-wsman/" WSMAN_VERSION);
    SETOPT(basic, CURLOPT_POST, 1L);
    SETOPT(basic, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    SETCALLBACK(basic, READ, read_cb);
    SETCALLBACK(basic, SEEK, seek_cb);
    SETCALLBACK(basic, HEADER, header_cb);
    SETCALLBACK(basic, WRITE, write_cb);
    SETCALLBACK(basic, OPENSOCKET, opensocket_cb);
    SETCALLBACK(basic, SOCKOPT, sockopt_cb);
    SETOPT(basic, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb);
    SETCALLBACK(basic, PREREQ, prereq_cb);
    if (cfg->connect_timeout_ms > 0)
        SETOPT(basic, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    /* idle connections older than this are not reused (below HTTP.sys' 120 s); see
     * wsman_transport_reusable */
    SETOPT(basic, CURLOPT_MAXAGE_CONN, (long)MAXAGE_CONN_S);
    SETOPT(basic, CURLOPT_BUFFERSIZE, RECV_BUFFER_SIZE);
    SETOPT(basic, CURLOPT_UPLOAD_BUFFERSIZE, SEND_BUFFER_SIZE);
    return 0;
}

/* Digest (SessionFlagUseDigest): libcurl answers the challenge. It first POSTs an empty body (no
 * request sent twice), then reuses the nonce on later requests. */
static int set_digest_options(wsman_transport_t *t, const wsman_transport_config_t *cfg, const char **failed)
{
    if (!cfg->digest)
        return 0;
    SETOPT("Digest authentication", CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
    SETOPT("Digest authentication", CURLOPT_USERNAME, cfg->username ? cfg->username : "");
    SETOPT("Digest authentication", CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    return 0;
}

/* libcurl hands over each new TLS connection's context: OpenSSL keeps a read and a write buffer
 * of about 17 KiB each per connection; with this mode it frees them while the connection is
 * idle, which is most of the time for a session among thousands. */
static CURLcode ssl_ctx_cb(CURL *easy, void *ssl_ctx, void *ud)
{
    (void)easy;
    (void)ud;
    SSL_CTX_set_mode((SSL_CTX *)ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
    return CURLE_OK;
}

/* TLS: verification on unless the session flags say otherwise; CA file and client certificate. */
static int set_tls_options(wsman_transport_t *t, const wsman_transport_config_t *cfg, const char **failed)
{
    SETOPT("TLS options", CURLOPT_SSL_VERIFYPEER, (cfg->flags & WSMAN_FLAG_SKIP_CA_CHECK) ? 0L : 1L);
    SETOPT("TLS options", CURLOPT_SSL_VERIFYHOST, (cfg->flags & WSMAN_FLAG_SKIP_CN_CHECK) ? 0L : 2L);
    /* OpenSSL builds do no revocation checking unless asked to (CRL file / OCSP stapling); the
     * option matters for Schannel builds of libcurl. */
    if (cfg->flags & WSMAN_FLAG_SKIP_REVOCATION_CHECK)
        (void)curl_easy_setopt(t->easy, CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NO_REVOKE);
    if (t->https)
        (void)curl_easy_setopt(t->easy, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    if (cfg->ca_file && *cfg->ca_file)
        SETOPT("options.ca_file", CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->client_cert && *cfg->client_cert)
        SETOPT("options.client_cert", CURLOPT_SSLCERT, cfg->client_cert);
    if (cfg->client_key && *cfg->client_key)
        SETOPT("options.client_key", CURLOPT_SSLKEY, cfg->client_key);
    if (cfg->client_key_password && *cfg->client_key_password)
        SETOPT("options.client_key_password", CURLOPT_KEYPASSWD, cfg->client_key_password);
    return 0;
}

/* Proxies: libcurl's environment handling (http_proxy, https_proxy, no_proxy) is the default, our
 * equivalent of the WinHTTP / IE settings. */
static int set_proxy_options(wsman_transport_t *t, const wsman_transport_config_t *cfg, const char **failed)
{
    unsigned long auth = 0;

    if (cfg->proxy_access_type & WSMAN_PROXY_NO_PROXY_SERVER) {
        SETOPT("proxy options", CURLOPT_PROXY, "");
        SETOPT("proxy options", CURLOPT_NOPROXY, "*");
        return 0;
    }
    if (cfg->proxy && *cfg->proxy)
        SETOPT("proxy options", CURLOPT_PROXY, cfg->proxy);
    if (cfg->proxy_auth_mechanism & WSMAN_PROXY_AUTH_NEGOTIATE)
        auth |= CURLAUTH_NEGOTIATE | CURLAUTH_NTLM;
    if (cfg->proxy_auth_mechanism & WSMAN_PROXY_AUTH_BASIC)
        auth |= CURLAUTH_BASIC;
    if (cfg->proxy_auth_mechanism & WSMAN_PROXY_AUTH_DIGEST)
        auth |= CURLAUTH_DIGEST;
    if (!auth && cfg->proxy_username && *cfg->proxy_username)
        auth = CURLAUTH_ANY;
    if (auth)
        SETOPT("proxy options", CURLOPT_PROXYAUTH, auth);
    if (cfg->proxy_username && *cfg->proxy_username)
        SETOPT("proxy options", CURLOPT_PROXYUSERNAME, cfg->proxy_username);
    if (cfg->proxy_password && *cfg->proxy_password)
        SETOPT("proxy options", CURLOPT_PROXYPASSWORD, cfg->proxy_password);
    return 0;
}

wsman_transport_t *wsman_transport_new(const wsman_transport_config_t *cfg, wsman_error_t *e)
{
    wsman_transport_t *t;
    const char *failed = "";

    if (!cfg || !cfg->url || !*cfg->url) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_transport_new: no endpoint URL");
        return NULL;
    }
    if (wsman_global_init() != 0) {
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY,
                        "libcurl could not be initialised (curl_global_init failed).");
        return NULL;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        wsman_error_oom(e, NULL);
        return NULL;
    }
    live_transports++;
    t->last_sock = CURL_SOCKET_BAD;
    t->w.on_socket_change = on_socket_change;
    wsman_trace_rec_init(&t->trace);
    t->url = wsman_strdup(cfg->url);
    if (!t->url) {
        wsman_error_oom(e, NULL);
        goto fail;
    }
    if (parse_endpoint_url(t, cfg, e) != 0)
        goto fail;
    t->multi = wsman_loop_acquire();
    if (!join_group(t))
        t->share = new_share();
    t->easy = curl_easy_init();
    if (!t->multi || (!t->share && !t->group) || !t->easy ||
        curl_easy_setopt(t->easy, CURLOPT_SHARE, t->group ? t->group->share : t->share) != CURLE_OK) {
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY, "libcurl could not create a handle.");
        goto fail;
    }
    if (set_basic_options(t, cfg, &failed) != 0 || set_digest_options(t, cfg, &failed) != 0 ||
        set_tls_options(t, cfg, &failed) != 0 || set_proxy_options(t, cfg, &failed) != 0) {
        wsman_error_set(e, WSMAN_E_INVALIDARG,
                        "libcurl refused the %s for %s (this libcurl build may lack the feature).", failed,
                        t->hostport);
        goto fail;
    }
    return t;

fail:
    wsman_transport_free(t);
    return NULL;
}

void wsman_transport_free(wsman_transport_t *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup(t->easy);
    if (t->share)
        curl_share_cleanup(t->share);
    if (t->group)
        leave_group(t);
    for (int i = 0; i < t->nsocks; i++) /* none left: its own cache closed them */
        sock_owner[t->socks[i]] = NULL;
    free(t->socks);
    if (--live_transports == 0) {
        free(sock_owner);
        sock_owner = NULL;
        sock_owner_len = 0;
    }
    if (t->multi)
        wsman_loop_release();
    drop_headers(t);
    free(t->origin);
    free(t->hostport);
    free(t->proxy);
    free(t->url);
    wsman_trace_rec_free(&t->trace);
    free(t);
}

void wsman_transport_set_trace(wsman_transport_t *t, wsman_trace_fn fn, void *ud)
{
    if (!t)
        return;
    t->trace.fn = fn;
    t->trace.ud = ud;
    curl_easy_setopt(t->easy, CURLOPT_DEBUGFUNCTION, fn ? wsman_trace_curl_debug : NULL);
    curl_easy_setopt(t->easy, CURLOPT_DEBUGDATA, fn ? &t->trace : NULL);
    curl_easy_setopt(t->easy, CURLOPT_VERBOSE, fn ? 1L : 0L);
}

void wsman_transport_trace_reply(wsman_transport_t *t, const char *body, size_t len)
{
    if (t)
        wsman_trace_rec_report(&t->trace, body, len);
}

void wsman_transport_trace_flush(wsman_transport_t *t)
{
    if (t)
        wsman_trace_rec_flush(&t->trace);
}

void wsman_transport_proxy_refused(const wsman_transport_t *t, wsman_error_t *e)
{
    wsman_error_set(
        e, WSMAN_E_ACCESS_DENIED,
        "The proxy %s refused the credentials for the request to %s (HTTP 407 Proxy Authentication "
        "Required). Give the proxy's user name and password with ConnectionOptions:SetProxy("
        "accessType, authMechanism, user, password), or use ProxyNoProxyServer if no proxy "
        "should be used.",
        t && t->proxy ? t->proxy : "(from the environment)", t ? t->hostport : "the host");
    if (e)
        e->http_status = WSMAN_HTTP_PROXY_AUTH_REQUIRED;
}

long wsman_transport_connections(const wsman_transport_t *t)
{
    return t ? t->connections : 0;
}

int wsman_transport_pause(const wsman_transport_t *t, long ms, wsman_error_t *e)
{
    if (wsman_loop_sleep(ms) != WSMAN_WAIT_CANCELLED)
        return 0;
    wsman_error_set(e, WSMAN_E_OPERATION_ABORTED,
                    "The retry of the request to %s was cancelled before it was sent (the operation "
                    "was cancelled).",
                    t->hostport);
    return -1;
}

/* ---- error mapping ------------------------------------------------------------------------------ */

/* What a failed certificate verification means, from OpenSSL's verify result. libcurl checks the
 * host name itself once OpenSSL accepted the chain, before it reads the verify result: a mismatch
 * leaves the value libcurl starts a connection with (X509_V_ERR_UNSPECIFIED, its "!X509_V_OK"), or
 * X509_V_OK. */
static uint32_t peer_verification_code(long verify_result)
{
    switch (verify_result) {
    case X509_V_OK:
    case X509_V_ERR_UNSPECIFIED:
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return WSMAN_E_WINHTTP_SECURE_CERT_CN_INVALID;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return WSMAN_E_WINHTTP_SECURE_CERT_DATE_INVALID;
    default:
        return WSMAN_E_WINHTTP_SECURE_INVALID_CA;
    }
}

static void set_peer_verification_error(wsman_transport_t *t, const char *detail, wsman_error_t *e)
{
    long vr = X509_V_OK;
    uint32_t code;

    (void)curl_easy_getinfo(t->easy, CURLINFO_SSL_VERIFYRESULT, &vr);
    code = peer_verification_code(vr);
    if (code == WSMAN_E_WINHTTP_SECURE_CERT_CN_INVALID)
        wsman_error_set(e, code,
                        "The server certificate of %s does not match the host name in the connection string "
                        "(%s). Connect with the name the certificate was issued to, or set "
                        "SessionFlagSkipCNCheck if you trust this host.",
                        t->hostport, detail);
    else if (code == WSMAN_E_WINHTTP_SECURE_CERT_DATE_INVALID)
        wsman_error_set(e, code,
                        "The server certificate of %s is expired or not yet valid (%s). Renew the HTTPS "
                        "listener's certificate, or set SessionFlagSkipCACheck if you trust this host.",
                        t->hostport, detail);
    else
        wsman_error_set(e, code,
                        "The server certificate of %s is not trusted: it was not issued by a known "
                        "certificate authority (%s). Set options.ca_file to the CA certificate (PEM) that "
                        "issued it, or set SessionFlagSkipCACheck if you trust this host.",
                        t->hostport, detail);
}

static void set_tls_error(wsman_transport_t *t, CURLcode rc, wsman_error_t *e)
{
    const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
        set_peer_verification_error(t, detail, e);
        return;
    }
    if (rc == CURLE_SSL_CACERT_BADFILE) {
        wsman_error_set(e, WSMAN_E_WINHTTP_SECURE_FAILURE,
                        "The CA file set in options.ca_file cannot be read or holds no PEM certificate (%s); "
                        "connection to %s not attempted.",
                        detail, t->hostport);
        return;
    }
    if (rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CLIENTCERT) {
        wsman_error_set(
            e, WSMAN_E_WINHTTP_SECURE_FAILURE,
            "The client certificate or key (options.client_cert / options.client_key) could not be "
            "used for %s (%s). Check the files and options.client_key_password.",
            t->hostport, detail);
        return;
    }
    wsman_error_set(e, WSMAN_E_WINHTTP_SECURE_FAILURE,
                    "The TLS (HTTPS) connection to %s could not be established (%s). Check that an HTTPS "
                    "listener is configured on that port (\"winrm quickconfig -transport:https\") and that "
                    "the connection string uses https:// or SessionFlagUseSsl only for HTTPS ports.",
                    t->hostport, detail);
}

static int is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return 1;
    default:
        return 0;
    }
}

/* How far did the exchange get? */
static wsman_send_state_t progress(const wsman_transport_t *t)
{
    long request_size = 0;
    if (t->header_bytes > 0)
        return WSMAN_SENT_PARTIAL_REPLY;
    (void)curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
    if (request_size > 0 || t->body_handed > 0)
        return WSMAN_SENT_NO_REPLY;
    return WSMAN_SENT_NOTHING;
}

/* Failures to reach the host: name resolution, refused connections, timeouts. 1 when rc is one. */
static int connect_error(wsman_transport_t *t, CURLcode rc, const char *detail, long timeout_ms,
                         wsman_send_state_t *state, wsman_error_t *e)
{
    curl_off_t connect_time = 0;

    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        *state = WSMAN_SENT_NOTHING;
        wsman_error_set(e, WSMAN_E_WINHTTP_NAME_NOT_RESOLVED,
                        "The host name of %s could not be resolved (%s). Check the computer name in the "
                        "connection string and the DNS configuration.",
                        t->hostport, detail);
        return 1;
    case CURLE_COULDNT_RESOLVE_PROXY:
        *state = WSMAN_SENT_NOTHING;
        wsman_error_set(e, WSMAN_E_WINHTTP_NAME_NOT_RESOLVED,
                        "The name of the proxy %s could not be resolved while connecting to %s (%s). Check "
                        "options.proxy or the http_proxy/https_proxy environment variables.",
                        t->proxy ? t->proxy : "", t->hostport, detail);
        return 1;
    case CURLE_COULDNT_CONNECT:
        *state = WSMAN_SENT_NOTHING;
        if (t->proxy) {
            wsman_error_set(
                e, WSMAN_E_WINHTTP_CANNOT_CONNECT,
                "Cannot connect to the proxy %s on the way to %s: the connection was refused or the "
                "proxy is unreachable (%s). Check options.proxy (or SetProxy) and the "
                "http_proxy/https_proxy/no_proxy environment variables, or use "
                "ProxyNoProxyServer for a direct connection.",
                t->proxy, t->hostport, detail);
            return 1;
        }
        wsman_error_set(
            e, WSMAN_E_WINHTTP_CANNOT_CONNECT,
            "Cannot connect to %s: the connection was refused or the host is unreachable (%s). Is "
            "the WinRM service running and listening on port %ld? On the host, \"winrm quickconfig\" "
            "(HTTPS: \"winrm quickconfig -transport:https\") creates the listener and the firewall "
            "exception.",
            t->hostport, detail, t->port);
        return 1;
    case CURLE_OPERATION_TIMEDOUT:
        (void)curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connect_time);
        if (connect_time == 0 && *state == WSMAN_SENT_NOTHING)
            wsman_error_set(
                e, WSMAN_E_NETWORK_TIMEDOUT,
                "Connecting to %s timed out (%s). Verify that the computer name is valid, that the "
                "computer is reachable over the network and that a firewall exception for the WinRM "
                "service on port %ld allows access from this computer.",
                t->hostport, detail, t->port);
        else
            wsman_error_set(e, WSMAN_E_TIMEOUT,
                            "No complete reply from %s within the time allowed (%ld ms). The operation may "
                            "still be running on the host: raise session.Timeout, or retry later.",
                            t->hostport, timeout_ms);
        return 1;
    default:
        return 0;
    }
}

/* Failures of a connection in use: closed, reset, or not speaking HTTP. 1 when rc is one. */
static int exchange_error(wsman_transport_t *t, CURLcode rc, const char *detail, wsman_send_state_t *state,
                          wsman_error_t *e)
{
    switch (rc) {
    case CURLE_GOT_NOTHING:
        *state = WSMAN_SENT_NO_REPLY;
        wsman_error_set(e, WSMAN_E_WINHTTP_CONNECTION_ERROR,
                        "%s closed the connection without sending a reply. The request may or may not have "
                        "been processed; if the WinRM service was restarting, retry.",
                        t->hostport);
        return 1;
    case CURLE_SEND_FAIL_REWIND:
        *state = WSMAN_SENT_NO_REPLY;
        wsman_error_set(
            e, WSMAN_E_WINHTTP_CONNECTION_ERROR,
            "The kept-alive connection to %s failed after the request was sent and before any reply "
            "arrived. The request may have been processed, so it was not sent again automatically.",
            t->hostport);
        return 1;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        wsman_error_set(
            e, WSMAN_E_WINHTTP_CONNECTION_ERROR,
            *state == WSMAN_SENT_PARTIAL_REPLY
                ? "The connection to %s was closed or reset in the middle of the reply (%s). Retry the "
                  "operation if it is safe to repeat."
                : "The connection to %s was closed or reset before a reply arrived (%s). The request "
                  "may or may not have been processed.",
            t->hostport, detail);
        return 1;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_HTTP2:
    case CURLE_BAD_CONTENT_ENCODING:
        wsman_error_set(e, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE,
                        "%s sent a reply that is not valid HTTP (%s). Check that the port belongs to a WinRM "
                        "listener and that http/https matches the listener.",
                        t->hostport, detail);
        if (*state == WSMAN_SENT_NO_REPLY)
            *state = WSMAN_SENT_PARTIAL_REPLY;
        return 1;
    default:
        return 0;
    }
}

/* Out of memory, or the sink refused the reply. 1 when it is one of those. */
static int local_error(wsman_transport_t *t, CURLcode rc, wsman_send_state_t *state, wsman_error_t *e)
{
    if (rc == CURLE_OUT_OF_MEMORY || t->oom) {
        wsman_error_oom(e, NULL);
        return 1;
    }
    if (!t->sink_aborted)
        return 0;
    /* the reader refused the data: keep its more specific error if it filled ours */
    *state = WSMAN_SENT_PARTIAL_REPLY;
    if (e && e->code == 0)
        wsman_error_set(e, WSMAN_E_ABORT,
                        "The reply from %s was abandoned by the reader while it was being received.",
                        t->hostport);
    return 1;
}

/* The proxy refused to open the tunnel. 1 when it did. */
static int proxy_error(wsman_transport_t *t, CURLcode rc, wsman_send_state_t *state, wsman_error_t *e)
{
    long connect_code = 0;

    (void)curl_easy_getinfo(t->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
    /* 407, or any other refusal of the CONNECT (libcurl: CURLE_RECV_ERROR with the proxy's code) */
    if (connect_code != 407 && !(rc == CURLE_RECV_ERROR && connect_code >= 300))
        return 0;
    *state = WSMAN_SENT_NOTHING;
    wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                    "The proxy refused to open a tunnel to %s (HTTP %ld from the proxy). Give the proxy "
                    "credentials with options:SetProxy(accessType, authMechanism, user, password), or use "
                    "WSManProxyNoProxyServer if no proxy should be used.",
                    t->hostport, connect_code);
    return 1;
}

/* The process ran out of descriptors (one socket per session): libcurl reports a failed connect,
 * the system's errno says why. 1 when that is the case. */
static int descriptor_error(wsman_transport_t *t, wsman_send_state_t *state, wsman_error_t *e)
{
    int os_errno = t->socket_errno;
    struct rlimit lim;

    if (os_errno != EMFILE && os_errno != ENFILE)
        return 0;
    *state = WSMAN_SENT_NOTHING;
    if (os_errno == ENFILE) {
        wsman_error_set(e, WSMAN_E_WINHTTP_OUT_OF_HANDLES,
                        "Cannot open a connection to %s: too many open files in the system (ENFILE, the "
                        "system-wide limit fs.file-max is reached). Lower the number of concurrent sessions "
                        "(tasks limit, -throttle) or raise fs.file-max.",
                        t->hostport);
        return 1;
    }
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        lim.rlim_cur = lim.rlim_max = 0;
    wsman_error_set(e, WSMAN_E_WINHTTP_OUT_OF_HANDLES,
                    "Cannot open a connection to %s: too many open files (EMFILE: this process reached its "
                    "limit of %llu descriptors; each concurrent session holds one). Raise the limit with "
                    "\"ulimit -n\" (its hard limit is %llu) or lower the number of concurrent sessions "
                    "(tasks limit, -throttle).",
                    t->hostport, (unsigned long long)lim.rlim_cur, (unsigned long long)lim.rlim_max);
    return 1;
}

static void map_error(wsman_transport_t *t, CURLcode rc, long timeout_ms, wsman_send_state_t *state,
                      wsman_error_t *e)
{
    const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

    *state = progress(t);
    if (local_error(t, rc, state, e) || descriptor_error(t, state, e) || proxy_error(t, rc, state, e) ||
        connect_error(t, rc, detail, timeout_ms, state, e) || exchange_error(t, rc, detail, state, e))
        return;
    if (is_tls_error(rc)) {
        *state = WSMAN_SENT_NOTHING;
        set_tls_error(t, rc, e);
        return;
    }
    wsman_error_set(e, WSMAN_E_WINHTTP_CONNECTION_ERROR, "The exchange with %s failed (%s).", t->hostport,
                    detail);
}

/* The request's deadline passed: which stage was reached decides the code and the advice. */
static void set_deadline_error(wsman_transport_t *t, long timeout_ms, wsman_send_state_t *state,
                               wsman_error_t *e)
{
    curl_off_t connect_time = 0, appconnect_time = 0;
    curl_socket_t sock = CURL_SOCKET_BAD;
    *state = progress(t);
    (void)curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connect_time);
    (void)curl_easy_getinfo(t->easy, CURLINFO_APPCONNECT_TIME_T, &appconnect_time);
    /* libcurl sets the connect time only once TLS is up too: ask the last socket it opened */
    sock = t->last_sock;
    if (connect_time == 0 && sock != CURL_SOCKET_BAD) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        if (getpeername(sock, (struct sockaddr *)&peer, &len) == 0)
            connect_time = 1;
    }
    if (*state != WSMAN_SENT_NOTHING) {
        wsman_error_set(
            e, WSMAN_E_TIMEOUT,
            "No complete reply from %s within %ld ms (session.Timeout). The operation may still be "
            "running on the host: raise session.Timeout, or retry later.",
            t->hostport, timeout_ms);
    } else if (connect_time == 0) {
        wsman_error_set(
            e, WSMAN_E_NETWORK_TIMEDOUT,
            "Could not connect to %s within %ld ms. Verify that the computer name is valid, that the "
            "computer is reachable over the network and that a firewall exception for the WinRM "
            "service on port %ld allows access from this computer.",
            t->hostport, timeout_ms, t->port);
    } else if (t->https && appconnect_time == 0) {
        wsman_error_set(
            e, WSMAN_E_TIMEOUT,
            "The TLS handshake with %s did not complete within %ld ms. Check that port %ld is an HTTPS "
            "listener (for an HTTP listener use http:// and no SessionFlagUseSsl).",
            t->hostport, timeout_ms, t->port);
    } else {
        wsman_error_set(e, WSMAN_E_TIMEOUT, "The request to %s could not be sent within %ld ms.", t->hostport,
                        timeout_ms);
    }
}

/* ---- one request ------------------------------------------------------------------------------- */

static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (!grown)
        return -1;
    *list = grown;
    return 0;
}

/* The lines after the caller's: no "Expect: 100-continue" round trip; WinRM's own client says
 * Keep-Alive explicitly. */
static const char *const fixed_headers[] = {"Expect:", "Connection: Keep-Alive"};

static const char *content_type_of(const wsman_http_request_t *req)
{
    return req->content_type && *req->content_type ? req->content_type : "application/soap+xml;charset=UTF-8";
}

/* Frees the kept header list, its lines zeroed first (an Authorization line carries credentials). */
static void drop_headers(wsman_transport_t *t)
{
    for (struct curl_slist *n = t->hdrs; n; n = n->next)
        OPENSSL_cleanse(n->data, strlen(n->data));
    curl_slist_free_all(t->hdrs);
    t->hdrs = NULL;
    t->hdrs_authz = NULL;
}

/* The request's header list: Content-Type, the caller's lines, no Expect, Keep-Alive, and a
 * placeholder Authorization line the authorize callback fills at connect time. */
static int build_headers(wsman_transport_t *t, const wsman_http_request_t *req)
{
    struct curl_slist *hdrs = NULL;
    wsman_buf_t line;
    int rc;

    wsman_buf_init(&line);
    rc = wsman_buf_printf(&line, "Content-Type: %s", content_type_of(req)) == 0 ? add_header(&hdrs, line.data)
                                                                                : -1;
    wsman_buf_free(&line);
    for (const char *const *h = req->headers; rc == 0 && h && *h; h++)
        rc = add_header(&hdrs, *h);
    for (size_t i = 0; rc == 0 && i < sizeof fixed_headers / sizeof fixed_headers[0]; i++)
        rc = add_header(&hdrs, fixed_headers[i]);
    if (rc == 0 && req->authorize && (rc = add_header(&hdrs, "Authorization:")) == 0) {
        for (t->hdrs_authz = hdrs; t->hdrs_authz->next;)
            t->hdrs_authz = t->hdrs_authz->next;
    }
    t->hdrs = hdrs;
    if (rc != 0) {
        drop_headers(t);
        return -1;
    }
    return 0;
}

/* Whether the kept header list has the lines build_headers would make for req, in order. */
static int headers_match(const wsman_transport_t *t, const wsman_http_request_t *req)
{
    static const char ct[] = "Content-Type: ";
    const struct curl_slist *n = t->hdrs;

    if (!n || strncmp(n->data, ct, sizeof ct - 1) != 0 ||
        strcmp(n->data + sizeof ct - 1, content_type_of(req)) != 0)
        return 0;
    for (const char *const *h = req->headers; h && *h; h++)
        if (!(n = n->next) || strcmp(n->data, *h) != 0)
            return 0;
    for (size_t i = 0; i < sizeof fixed_headers / sizeof fixed_headers[0]; i++)
        if (!(n = n->next) || strcmp(n->data, fixed_headers[i]) != 0)
            return 0;
    n = n->next;
    return req->authorize ? n && n == t->hdrs_authz && !n->next : !n;
}

/* The header list for req: the last request's when its lines are the same (the usual case: a
 * session sends the same headers every time), else a new one. */
static int headers_for(wsman_transport_t *t, const wsman_http_request_t *req)
{
    t->authz_node = NULL;
    if (!headers_match(t, req)) {
        drop_headers(t);
        if (build_headers(t, req) != 0)
            return -1;
    }
    t->authz_node = t->hdrs_authz;
    if (t->authz_node)
        t->authz_orig = t->authz_node->data;
    return 0;
}

/* Resets the per-request state and hands the request to libcurl. */
static int start_request(wsman_transport_t *t, const wsman_http_request_t *req, wsman_sink_fn sink, void *ud,
                         wsman_http_response_t *resp, wsman_error_t *e)
{
    t->req = req;
    t->authorize_aborted = 0;
    t->body_off = 0;
    t->body_handed = 0;
    t->saw_auth_status = 0;
    t->header_bytes = 0;
    t->sink = sink;
    t->sink_ud = ud;
    t->sink_aborted = 0;
    t->resp = resp;
    t->oom = 0;
    t->socket_errno = 0;
    t->errbuf[0] = '\0';
    if (curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->hdrs) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len) != CURLE_OK) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "libcurl refused the request headers for %s.", t->hostport);
        return -1;
    }
    t->w.cancelled = 0;
    t->w.complete_on_cancel = req->complete_on_cancel;
    t->w.deadline = req->timeout_ms > 0 ? wsman_now_ms() + req->timeout_ms : 0;
    if (wsman_loop_add(t->easy, &t->w) != 0) {
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY, "libcurl could not start the transfer to %s.", t->hostport);
        return -1;
    }
    return 0;
}

/* How a transfer ended. */
typedef enum transfer_end {
    TRANSFER_DONE,      /* libcurl finished it: *rc is its result */
    TRANSFER_TIMED_OUT, /* the request's deadline passed first */
    TRANSFER_CANCELLED  /* the operation waiting for it was cancelled */
} transfer_end_t;

/* Waits on the shared loop until the transfer is done, its deadline passes or its operation is
 * cancelled (inside a resumable operation, other operations run meanwhile). */
static transfer_end_t run_transfer(wsman_transport_t *t, CURLcode *rc)
{
    switch (wsman_loop_wait(&t->w)) {
    case WSMAN_WAIT_DONE:
        *rc = t->w.rc;
        return TRANSFER_DONE;
    case WSMAN_WAIT_CANCELLED:
        return TRANSFER_CANCELLED;
    case WSMAN_WAIT_TIMED_OUT:
        break;
    }
    return TRANSFER_TIMED_OUT;
}

/* After the transfer: counts new connections, detaches the handle (mid-transfer: aborts it and
 * closes its connection) and forgets the request. */
static void end_request(wsman_transport_t *t)
{
    long conns = 0;

    if (curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK && conns > 0)
        t->connections += conns;
    t->last_done_ms = wsman_now_ms();
    wsman_loop_remove(t->easy);
    /* setting the size again frees libcurl's send buffer until the next request needs one */
    curl_easy_setopt(t->easy, CURLOPT_UPLOAD_BUFFERSIZE, SEND_BUFFER_SIZE);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, NULL);
    if (t->authz_node)
        t->authz_node->data = t->authz_orig;
    t->authz_node = NULL;
    wsman_buf_free_secure(&t->authz);
    t->req = NULL;
    t->resp = NULL;
    t->sink = NULL;
}

/* The outcome of a finished transfer: 0 for a whole HTTP reply, else -1 with e and *state set. */
static int transfer_result(wsman_transport_t *t, transfer_end_t end, CURLcode rc, long timeout_ms,
                           wsman_send_state_t *state, wsman_error_t *e)
{
    if (end == TRANSFER_TIMED_OUT) {
        set_deadline_error(t, timeout_ms, state, e);
        return -1;
    }
    if (end == TRANSFER_CANCELLED) {
        *state = progress(t);
        wsman_error_set(e, WSMAN_E_OPERATION_ABORTED,
                        "The request to %s was cancelled before its reply arrived (the operation was "
                        "cancelled; the connection is closed).",
                        t->hostport);
        return -1;
    }
    if (t->authorize_aborted) {
        *state = WSMAN_SENT_NOTHING;
        wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                        "The request to %s was not sent: its authentication could not be prepared.",
                        t->hostport);
        return -1;
    }
    if (rc != CURLE_OK || t->oom || t->sink_aborted) {
        map_error(t, rc, timeout_ms, state, e);
        return -1;
    }
    *state = WSMAN_SENT_PARTIAL_REPLY;
    return 0;
}

int wsman_transport_post(wsman_transport_t *t, const wsman_http_request_t *req, wsman_sink_fn sink, void *ud,
                         wsman_http_response_t *resp, wsman_send_state_t *state, wsman_error_t *e)
{
    wsman_send_state_t st_local;
    wsman_http_response_t resp_local;
    transfer_end_t end;
    CURLcode rc;
    int result;

    if (!state)
        state = &st_local;
    *state = WSMAN_SENT_NOTHING;
    if (!resp) {
        memset(&resp_local, 0, sizeof resp_local);
        resp = &resp_local;
    }
    wsman_http_response_clear(resp);
    if (!t || !req || (!req->body && req->len)) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_transport_post: missing transport or request");
        return -1;
    }
    if (headers_for(t, req) != 0) {
        wsman_error_oom(e, NULL);
        return -1;
    }
    if (start_request(t, req, sink, ud, resp, e) != 0) {
        curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, NULL);
        t->req = NULL;
        t->resp = NULL;
        t->sink = NULL;
        return -1;
    }
    if (t->trace.fn)
        wsman_trace_rec_start(&t->trace, req->trace_label, t->url,
                              req->trace_body ? req->trace_body : req->body,
                              req->trace_body ? req->trace_body_len : req->len);
    rc = CURLE_OK;
    end = run_transfer(t, &rc);
    result = transfer_result(t, end, rc, req->timeout_ms, state, e);
    end_request(t);
    if (t->trace.fn)
        wsman_trace_rec_end(&t->trace, resp->status,
                            result == 0 ? NULL : (e && e->message ? e->message : "failed"), req->trace_later);
    if (resp == &resp_local)
        wsman_http_response_clear(resp);
    return result;
}

/* ---- peer certificate (channel binding) ---------------------------------------------------------- */

/* The leaf certificate of the connection the handle's transfer uses, DER-encoded, straight from OpenSSL
 * (libcurl's CERTINFO would format the whole chain as text for every connection). */
static int peer_der(wsman_transport_t *t, wsman_buf_t *der)
{
    struct curl_tlssessioninfo *info = NULL;
    X509 *cert;
    unsigned char *out = NULL;
    int n, rc = -1;

    if (!t->https || curl_easy_getinfo(t->easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
        info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
        return -1;
    cert = SSL_get1_peer_certificate((SSL *)info->internals);
    if (!cert)
        return -1;
    n = i2d_X509(cert, &out);
    if (n > 0)
        rc = wsman_buf_append(der, out, (size_t)n);
    OPENSSL_free(out);
    X509_free(cert);
    return rc;
}

/* Read from the connection itself while a request is using it (authorize callbacks run then):
 * no copy is kept per session, which for a fleet whose certificates are large adds up. */
int wsman_transport_peer_cert(wsman_transport_t *t, wsman_buf_t *der)
{
    if (!t || !der || !t->https || !t->req)
        return -1;
    return peer_der(t, der);
}

/* ---- connection reuse (connection-bound authentication) -------------------------------------------- */

int wsman_transport_reusable(wsman_transport_t *t)
{
    struct pollfd p;
    int r;

    if (!t || t->last_sock == CURL_SOCKET_BAD)
        return 0;
    /* libcurl does not reuse a connection idle for CURLOPT_MAXAGE_CONN seconds (margin: 2 s) */
    if (wsman_now_ms() - t->last_done_ms > (MAXAGE_CONN_S - 2) * 1000L)
        return 0;
    p.fd = t->last_sock;
    p.events = POLLIN;
    p.revents = 0;
    r = poll(&p, 1, 0);
    if (r == 0)
        return 1; /* nothing to read: open and idle */
    if (r < 0 || (p.revents & (POLLERR | POLLNVAL)))
        return 0;
    if (p.revents & POLLIN) {
        char c;
        ssize_t n = recv(t->last_sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0)
            return 0; /* the server closed it */
        if (n < 0)
            return 0;
        /* bytes on an idle connection: TLS records (session tickets, alerts) libcurl will look at;
         * plain HTTP has nothing to say between replies, libcurl drops such a connection */
        return t->https;
    }
    return (p.revents & POLLHUP) ? 0 : 1;
}
