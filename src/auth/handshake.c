/* SPDX-License-Identifier: MIT */
/*
 * handshake.c - the handshake of the connection mechanisms (Negotiate, Kerberos) and the errors
 * of failed authentication.
 *
 * Handshake, once per TCP connection, shaped like Windows' client's: the first request of the
 * connection carries the first token, made once the connection is up (over HTTPS the server
 * certificate gives the channel binding the token must carry; see the transport's authorize
 * callback). With message encryption (HTTP) the legs have empty bodies, so that no message is sent
 * before the context exists (and so never twice):
 *   C: POST, Content-Length: 0, Authorization: <Scheme> <token 1>   S: 401 + <Scheme> <token> (NTLM:
 * CHALLENGE) C: POST, Content-Length: 0, Authorization: <Scheme> <token 2>   S: 200 [+ <Scheme> <token>]
 * Kerberos' first token normally completes it (200 + AP-REP): no 401 at all; NTLM has one (the
 * CHALLENGE). Without message encryption (HTTPS, or SessionFlagNoEncryption) the token that may
 * complete the handshake goes with the message itself: Kerberos' first, NTLM's AUTHENTICATE.
 * A host that never answers a request without credentials (Microsoft's OMI) is thus never asked
 * one; the offered schemes, for the messages of failures, come from the 401 that answers the first
 * leg. The context then belongs to that connection (a->conn = the transport's connection number):
 * a new connection (the server or libcurl closed the old one, an idle timeout) starts over. If
 * the server closes the connection in the middle (Connection: close after a 401), the handshake
 * starts over on the next one, twice at most.
 *
 * Errors tell the cases apart: the scheme is not offered (and what is), the credentials were
 * rejected at the last leg, the host wants encrypted messages, with what was tried (Negotiate's
 * Kerberos or NTLM and why), whether messages were encrypted, the SPN, whether channel binding was
 * sent, and the likely fix. No error ever contains a password or a token.
 */
#include "auth.h"
#include "encrypt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LEGS 6
#define MAX_RESTARTS 2
#define EXCERPT_MAX 512
#define LEG_LABEL_MAX 64 /* "<mechanism> leg <n>", the trace label of a handshake leg */

void wsman_auth_offered(const wsman_http_response_t *r, wsman_buf_t *out)
{
    size_t i;
    for (i = 0; r && i < r->n_www_authenticate; i++) {
        const char *v = r->www_authenticate[i];
        size_t n = strcspn(v, " \t,");
        if (!n)
            continue;
        if (out->len)
            wsman_buf_puts(out, ", ");
        wsman_buf_append(out, v, n);
    }
}

/* The token of the reply's WWW-Authenticate for scheme: 1 with *token (NULL when bare), 0 when the
 * scheme is not offered. */
static int offers(const wsman_http_response_t *r, const char *scheme, const char **token)
{
    size_t i, n = strlen(scheme);
    for (i = 0; r && i < r->n_www_authenticate; i++) {
        const char *v = r->www_authenticate[i];
        if (strncasecmp(v, scheme, n) == 0 && (v[n] == '\0' || v[n] == ' ' || v[n] == '\t' || v[n] == ',')) {
            if (token) {
                const char *t = v + n;
                while (*t == ' ' || *t == '\t')
                    t++;
                *token = *t && *t != ',' ? t : NULL;
            }
            return 1;
        }
    }
    return 0;
}

int wsman_auth_ready(const wsman_auth_t *a, wsman_transport_t *t)
{
    if (!a || !(a->mech->flags & WSMAN_MECH_CONNECTION))
        return 1;
    return (a->established || a->final_pending) && a->conn == wsman_transport_connections(t) &&
           wsman_transport_reusable(t);
}

void wsman_auth_invalidate(wsman_auth_t *a)
{
    if (!a || !(a->mech->flags & WSMAN_MECH_CONNECTION))
        return;
    a->established = 0;
    a->done = 0;
    a->legs = 0;
    a->final_pending = 0;
    a->token_sent = 0;
    wsman_buf_free_secure(&a->next);
    if (a->mech->reset)
        a->mech->reset(a->state);
}

/* ---- error texts ------------------------------------------------------------------------------ */

static const char *scheme_fix(const char *scheme, const char *offered)
{
    int neg = offered && strstr(offered, "Negotiate") != NULL;
    int krb = offered && strstr(offered, "Kerberos") != NULL;
    int basic = offered && strstr(offered, "Basic") != NULL;

    if (!strcmp(scheme, "Basic") && (neg || krb))
        return "The host accepts only the schemes above; Basic is disabled on it (winrm/config/service/auth "
               "Basic=false). Use SessionFlagUseNegotiate (the default: Kerberos or NTLM, messages encrypted "
               "over HTTP), or enable Basic on the host (winrm set winrm/config/service/auth "
               "@{Basic=\"true\"}) "
               "and use HTTPS.";
    if (!strcmp(scheme, "Kerberos") && neg)
        return "Use SessionFlagUseNegotiate (Negotiate carries Kerberos too), or enable Kerberos on the host "
               "(winrm set winrm/config/service/auth @{Kerberos=\"true\"}).";
    if (!strcmp(scheme, "Negotiate") && krb)
        return "Use SessionFlagUseKerberos, or enable Negotiate on the host (winrm set "
               "winrm/config/service/auth @{Negotiate=\"true\"}).";
    if (basic)
        return "Enable it on the host (winrm/config/service/auth), or use SessionFlagUseBasic over HTTPS.";
    return "Enable it on the host (winrm/config/service/auth), or use a scheme it offers.";
}

static void append_context(wsman_auth_t *a, const wsman_auth_site_t *site, wsman_buf_t *m)
{
    const char *note = wsman_auth_note(a);
    int conn = a && (a->mech->flags & WSMAN_MECH_CONNECTION);

    wsman_buf_printf(m, " [offered: %s; tried: %s", a && a->offered && *a->offered ? a->offered : "none",
                     wsman_auth_describe(a));
    if (note)
        wsman_buf_printf(m, " (%s)", note);
    if (conn) {
        if (site->https)
            wsman_buf_puts(m, "; message encryption: none (HTTPS)");
        else if (a->encrypt)
            wsman_buf_puts(m, "; message encryption: on");
        else
            wsman_buf_puts(m, "; message encryption: off (SessionFlagNoEncryption)");
        wsman_buf_printf(m, "; SPN: %s", a->spn ? a->spn : "none");
        if (!site->https)
            wsman_buf_puts(m, "; channel binding: not sent (HTTP)");
        else if (a->cbt_sent)
            wsman_buf_puts(m, "; channel binding: sent (tls-server-end-point)");
        else
            wsman_buf_printf(m, "; channel binding: not sent (%s)", a->cbt_note ? a->cbt_note : "unknown");
    }
    wsman_buf_puts(m, "]");
}

void wsman_auth_denied(wsman_auth_t *a, const wsman_auth_site_t *site, const wsman_http_response_t *r,
                       wsman_auth_stage_t stage, wsman_error_t *e)
{
    wsman_buf_t m, off;
    const char *scheme = a ? a->mech->name : NULL;
    const char *user = site->username && *site->username ? site->username : NULL;
    int status = r ? r->status : 401;

    wsman_buf_init(&m);
    wsman_buf_init(&off);
    wsman_auth_offered(r, &off);
    if (a && off.len) {
        free(a->offered);
        a->offered = wsman_strdup(off.data);
    }
    if (!a) {
        wsman_buf_printf(
            &m,
            "Access is denied: %s answered HTTP %d to a request sent without credentials (it "
            "offers: %s). Create the session with an authentication flag (SessionFlagUseNegotiate, "
            "the default, or SessionFlagUseKerberos, SessionFlagUseBasic...) and a user name and "
            "password.",
            site->url, status, off.len ? off.data : "no scheme");
    } else if (a->mech == &wsman_auth_certificate) {
        wsman_buf_printf(
            &m,
            "Access is denied: %s did not accept the client certificate%s%s (HTTP %d%s%s). The host "
            "maps a certificate to a local account: create the mapping (winrm create "
            "winrm/config/service/certmapping?Issuer=<CA thumbprint>+Subject=<user UPN>+URI=*) and "
            "enable Certificate authentication (winrm set winrm/config/service/auth "
            "@{Certificate=\"true\"}); the certificate needs the Client Authentication usage and a "
            "UPN in its subject alternative name.",
            site->url, site->client_cert ? " " : "", site->client_cert ? site->client_cert : "", status,
            off.len ? "; it offers: " : "", off.len ? off.data : "");
    } else if (stage == WSMAN_AUTH_STAGE_UNENCRYPTED_REFUSED) {
        wsman_buf_printf(
            &m,
            "Access is denied: %s refused an unencrypted message after the %s handshake succeeded: "
            "the host requires message encryption over HTTP (AllowUnencrypted=false). Remove "
            "SessionFlagNoEncryption (messages are then encrypted), or use HTTPS.",
            site->url, wsman_auth_describe(a));
        append_context(a, site, &m);
    } else if (stage == WSMAN_AUTH_STAGE_MESSAGE_REFUSED) {
        wsman_buf_printf(
            &m,
            "Access is denied: %s completed the %s handshake but then answered HTTP 401 to the "
            "message itself, on two fresh authentications: the host could not use the %s message.",
            site->url, wsman_auth_describe(a), a->encrypt ? "encrypted" : "unencrypted");
        append_context(a, site, &m);
    } else if (off.len && !offers(r, scheme, NULL) && stage == WSMAN_AUTH_STAGE_REQUEST) {
        wsman_buf_printf(&m, "Access is denied: %s does not accept %s authentication (it offers: %s). %s",
                         site->url, scheme, off.data, scheme_fix(scheme, off.data));
        append_context(a, site, &m);
    } else if (a->mech->flags & WSMAN_MECH_CONNECTION) {
        int kerberos = strstr(wsman_auth_describe(a), "Kerberos") != NULL;
        wsman_buf_printf(
            &m,
            "Access is denied: %s rejected the %s credentials of %s%s%s (HTTP %d at the last leg of "
            "the handshake).",
            site->url, wsman_auth_describe(a), user ? "user '" : "", user ? user : "the default principal",
            user ? "'" : "", status);
        append_context(a, site, &m);
        if (kerberos)
            wsman_buf_printf(&m,
                             " Likely causes: the host's key for the SPN %s differs from the KDC's (the SPN "
                             "names another computer or account: set options.spn, or connect with the name "
                             "the host is registered under), the clocks differ, or the account may not use "
                             "WinRM (Administrators or Remote Management Users).",
                             a->spn ? a->spn : "");
        else
            wsman_buf_puts(
                &m, " Likely causes: a wrong user name (DOMAIN\\user, user@domain, or user for a local "
                    "account) or password, or an account that may not use WinRM (Administrators or "
                    "Remote Management Users; for a local administrator over the network, "
                    "LocalAccountTokenFilterPolicy=1).");
        if (site->https && a->cbt_sent)
            wsman_buf_puts(&m, " Over HTTPS a TLS-intercepting proxy would also break the channel binding.");
        else if (site->https)
            wsman_buf_puts(&m, " The host may also require channel binding (CbtHardeningLevel=Strict), which "
                               "was not sent.");
    } else {
        wsman_buf_printf(
            &m,
            "Access is denied: %s rejected the %s credentials of %s%s%s (HTTP %d; it offers: %s). "
            "Check the user name and password, and that the account may use WinRM "
            "(Administrators or Remote Management Users).",
            site->url, scheme, user ? "user '" : "", user ? user : "(none)", user ? "'" : "", status,
            off.len ? off.data : "no scheme");
    }
    wsman_error_set(e, WSMAN_E_ACCESS_DENIED, "%s", m.data ? m.data : "Access is denied.");
    e->retry = WSMAN_RETRY_AUTH;
    e->http_status = status;
    wsman_buf_free(&m);
    wsman_buf_free(&off);
}

/* ---- the handshake ------------------------------------------------------------------------------ */

/* What one leg's reply means for the handshake. */
typedef enum leg_result {
    LEG_CONTINUE,      /* a->next holds the next leg's token */
    LEG_ESTABLISHED,   /* 200: the connection is authenticated */
    LEG_FINAL_PENDING, /* the final token waits for the message (no message encryption) */
    LEG_RESTART,       /* the connection changed or closes: start over on the next one */
    LEG_FAILED         /* e set */
} leg_result_t;

typedef struct drain {
    wsman_buf_t excerpt;
} drain_t;

static int drain_sink(void *ud, const char *data, size_t len)
{
    drain_t *d = ud;
    if (d->excerpt.len < EXCERPT_MAX) {
        size_t n = EXCERPT_MAX - d->excerpt.len;
        wsman_buf_append(&d->excerpt, data, len < n ? len : n);
    }
    return 0;
}

static void unexpected_status(const wsman_transport_t *t, const wsman_auth_site_t *site,
                              const wsman_http_response_t *r, const char *when, wsman_error_t *e)
{
    if (r->status == WSMAN_HTTP_PROXY_AUTH_REQUIRED) {
        wsman_transport_proxy_refused(t, e);
        return;
    }
    uint32_t code = r->status == 404   ? WSMAN_E_HTTP_NOT_FOUND_STATUS
                    : r->status == 503 ? WSMAN_E_HTTP_SERVICE_UNAVAILABLE_STATUS
                    : r->status >= 500 ? WSMAN_E_HTTP_STATUS_SERVER_ERROR
                                       : WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE;
    wsman_error_set(
        e, code,
        "%s answered HTTP %d (content type '%s') %s, where a WinRM listener answers 401 or 200. Check "
        "that the URL is a WinRM listener.",
        site->url, r->status, r->content_type ? r->content_type : "none", when);
    e->http_status = r->status;
}

/* Channel binding for the connection t is on (HTTPS: its certificate), before the first token. */
static int set_cbt(wsman_auth_t *a, wsman_transport_t *t, wsman_error_t *e)
{
    wsman_buf_t der, app;
    wsman_error_t err;
    int rc;

    free(a->cbt_note);
    a->cbt_note = NULL;
    a->cbt_sent = 0;
    if (!a->mech->set_channel_bindings)
        return 0;
    if (!a->channel_bind)
        return a->mech->set_channel_bindings(a->state, NULL, 0, e);
    wsman_buf_init(&der);
    wsman_buf_init(&app);
    wsman_error_init(&err);
    if (wsman_transport_peer_cert(t, &der) != 0 || !der.len) {
        a->cbt_note = wsman_strdup("the server certificate was not available");
        rc = a->mech->set_channel_bindings(a->state, NULL, 0, e);
    } else if (wsman_tls_channel_binding_appdata((const unsigned char *)der.data, der.len, &app, &err) != 0) {
        a->cbt_note = wsman_strdup(err.message ? err.message : "the certificate could not be hashed");
        rc = a->mech->set_channel_bindings(a->state, NULL, 0, e);
    } else {
        rc = a->mech->set_channel_bindings(a->state, (const unsigned char *)app.data, app.len, e);
        a->cbt_sent = rc == 0;
    }
    wsman_error_clear(&err);
    wsman_buf_free(&der);
    wsman_buf_free(&app);
    return rc;
}

/* Starts a handshake on the connection the request is about to use: channel binding, first token
 * (appended to value). */
static int begin(wsman_auth_t *a, wsman_transport_t *t, wsman_buf_t *value, wsman_error_t *e)
{
    wsman_buf_t tok;
    int done = 0, rc;

    wsman_auth_invalidate(a);
    if (set_cbt(a, t, e) != 0)
        return -1;
    wsman_buf_init(&tok);
    rc = a->mech->step(a->state, NULL, &tok, &done, e);
    if (rc == 0 && !tok.len) {
        wsman_error_set(e, WSMAN_E_ACCESS_DENIED, "%s produced no first token.", wsman_auth_describe(a));
        rc = -1;
    }
    if (rc == 0 && wsman_buf_append(value, tok.data, tok.len) != 0) {
        wsman_error_oom(e, NULL);
        rc = -1;
    }
    a->done = done;
    wsman_buf_free_secure(&tok);
    return rc;
}

/* An authorize callback's failure: kept for wsman_auth_aborted. */
static int hook_failed(wsman_auth_t *a, wsman_error_t *err)
{
    wsman_error_clear(&a->hook_err);
    wsman_error_move(&a->hook_err, err);
    a->hook_failed = 1;
    return -1;
}

/* The authorize callback of a handshake leg: the first starts the handshake on whatever connection
 * it goes out on; a later one must find the same connection. */
static int leg_authorize(void *ud, wsman_transport_t *t, int new_connection, wsman_buf_t *value)
{
    wsman_auth_t *a = ud;
    wsman_error_t err;

    if (a->legs == 0) {
        wsman_error_init(&err);
        return begin(a, t, value, &err) == 0 ? 0 : hook_failed(a, &err);
    }
    if (new_connection) {
        a->reconnected = 1;
        return -1;
    }
    if (wsman_buf_append(value, a->next.data, a->next.len) != 0) {
        wsman_error_init(&err);
        wsman_error_oom(&err, NULL);
        return hook_failed(a, &err);
    }
    return 0;
}

int wsman_auth_authorize_message(void *ud, wsman_transport_t *t, int new_connection, wsman_buf_t *value)
{
    wsman_auth_t *a = ud;
    wsman_error_t err;

    a->token_sent = 0;
    if (!(a->mech->flags & WSMAN_MECH_CONNECTION))
        return 0;
    if (new_connection) {
        a->established = 0;
        a->final_pending = 0;
    }
    if (a->established)
        return 0;
    if (a->final_pending) {
        a->final_pending = 0;
        a->token_sent = 1;
        if (wsman_buf_append(value, a->next.data, a->next.len) == 0)
            return 0;
        wsman_error_init(&err);
        wsman_error_oom(&err, NULL);
        return hook_failed(a, &err);
    }
    if (!a->encrypt && wsman_auth_first_leg_final(a)) {
        wsman_error_init(&err);
        if (begin(a, t, value, &err) != 0)
            return hook_failed(a, &err);
        if (wsman_auth_first_leg_final(a)) { /* still Kerberos (Negotiate may have fallen back to NTLM) */
            a->legs = 1;
            a->token_sent = 1;
            return 0;
        }
    }
    a->reconnected = 1; /* authenticate this connection first */
    return -1;
}

wsman_auth_abort_t wsman_auth_aborted(wsman_auth_t *a, wsman_error_t *e)
{
    if (!a)
        return WSMAN_AUTH_NOT_ABORTED;
    if (a->hook_failed) {
        a->hook_failed = 0;
        a->reconnected = 0;
        wsman_error_clear(e);
        wsman_error_move(e, &a->hook_err);
        wsman_auth_invalidate(a);
        return WSMAN_AUTH_ABORT_FAILED;
    }
    if (a->reconnected) {
        a->reconnected = 0;
        wsman_auth_invalidate(a);
        return WSMAN_AUTH_ABORT_RECONNECTED;
    }
    return WSMAN_AUTH_NOT_ABORTED;
}

static void remember_offered(wsman_auth_t *a, const wsman_http_response_t *r)
{
    wsman_buf_t off;
    wsman_buf_init(&off);
    wsman_auth_offered(r, &off);
    if (off.len) {
        free(a->offered);
        a->offered = wsman_buf_steal(&off);
    }
    wsman_buf_free(&off);
}

/* A reply that ends the handshake (200, or any answer to a message that carried the final token):
 * its token, if any, completes mutual authentication. */
static int finish(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                  const wsman_http_response_t *r, wsman_error_t *e)
{
    const char *tok = NULL;
    wsman_buf_t hv;
    int done = 0, rc = 0;

    if (offers(r, a->mech->name, &tok) && tok && !a->done) {
        wsman_buf_init(&hv);
        rc = a->mech->step(a->state, tok, &hv, &done, e);
        wsman_buf_free_secure(&hv);
        if (rc != 0)
            return -1;
        a->done = done;
    }
    if (!a->done) {
        wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                        "%s ended the %s handshake (HTTP %d) before it was complete: no "
                        "mutual-authentication token came back, so messages cannot be encrypted or the "
                        "server trusted.",
                        site->url, wsman_auth_describe(a), r->status);
        return -1;
    }
    a->established = 1;
    a->legs = 0;
    a->conn = wsman_transport_connections(t);
    a->handshakes++;
    return 0;
}

int wsman_auth_message_reply(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                             const wsman_http_response_t *r, wsman_error_t *e)
{
    if (a && r->status == 401)
        remember_offered(a, r); /* for the messages of whatever failure follows */
    if (!a || !a->token_sent)
        return 0;
    a->token_sent = 0;
    if (r->status == 401) {
        wsman_auth_denied(a, site, r,
                          offers(r, a->mech->name, NULL) || a->legs > 1 ? WSMAN_AUTH_STAGE_LAST_LEG
                                                                        : WSMAN_AUTH_STAGE_REQUEST,
                          e);
        wsman_auth_invalidate(a);
        return -1;
    }
    if (finish(a, t, site, r, e) != 0) {
        wsman_auth_invalidate(a);
        return -1;
    }
    return 0;
}

/* One empty-body leg, its token set by leg_authorize once the connection is up. -1 with e set
 * (*transport_failed = 1 when the transport failed, a->reconnected when the connection changed). */
static int post_leg(wsman_auth_t *a, wsman_transport_t *t, long long end, wsman_http_response_t *resp,
                    int *transport_failed, wsman_error_t *e)
{
    wsman_http_request_t req;
    const char *headers[] = {"User-Agent: lua-wsman/" WSMAN_VERSION, NULL};
    drain_t d;
    wsman_send_state_t state;
    long long remaining = end - wsman_now_ms();
    char label[LEG_LABEL_MAX];
    int rc;

    wsman_buf_init(&d.excerpt);
    memset(&req, 0, sizeof req);
    req.body = "";
    req.len = 0;
    req.content_type = "application/soap+xml;charset=UTF-8";
    req.headers = headers;
    req.timeout_ms = remaining > 1 ? (long)remaining : 1;
    req.authorize = leg_authorize;
    req.authorize_ud = a;
    snprintf(label, sizeof label, "%s leg %d", a->mech->name, a->legs + 1);
    req.trace_label = label;
    a->reconnected = 0;
    rc = wsman_transport_post(t, &req, drain_sink, &d, resp, &state, e);
    wsman_buf_free(&d.excerpt);
    if (rc == 0)
        return 0;
    if (a->hook_failed) {
        a->hook_failed = 0;
        wsman_error_clear(e);
        wsman_error_move(e, &a->hook_err);
    } else if (!a->reconnected) {
        *transport_failed = 1;
    }
    return -1;
}

/* A 401 that carries the server's token: the next leg's token, or the final one kept for the
 * message when messages are not encrypted. */
static leg_result_t next_leg(wsman_auth_t *a, wsman_transport_t *t, const char *tok,
                             const wsman_http_response_t *r, wsman_error_t *e)
{
    int done = 0;

    wsman_buf_reset(&a->next);
    if (a->mech->step(a->state, tok, &a->next, &done, e) != 0)
        return LEG_FAILED;
    a->done = done;
    if (!a->next.len) {
        wsman_error_set(e, WSMAN_E_ACCESS_DENIED, "%s produced no token for the next leg.",
                        wsman_auth_describe(a));
        return LEG_FAILED;
    }
    if (r->connection_close)
        return LEG_RESTART; /* the next leg could only go on a new connection */
    if (!a->encrypt && done) {
        a->final_pending = 1;
        a->conn = wsman_transport_connections(t);
        return LEG_FINAL_PENDING;
    }
    return LEG_CONTINUE;
}

static leg_result_t leg_reply(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                              const wsman_http_response_t *r, wsman_error_t *e)
{
    const char *scheme = a->mech->name, *tok = NULL;

    if (a->legs == 1 && r->status == 401)
        remember_offered(a, r); /* the schemes the host offers, for messages */
    if (r->status == 401) {
        if (offers(r, scheme, &tok) && tok && !a->done)
            return next_leg(a, t, tok, r, e);
        wsman_auth_denied(a, site, r,
                          a->legs == 1 && !offers(r, scheme, NULL) ? WSMAN_AUTH_STAGE_REQUEST
                                                                   : WSMAN_AUTH_STAGE_LAST_LEG,
                          e);
        return LEG_FAILED;
    }
    if (r->status == 200) {
        if (finish(a, t, site, r, e) != 0)
            return LEG_FAILED;
        if (r->connection_close)
            return LEG_RESTART; /* authenticated, but the connection goes away with it */
        return LEG_ESTABLISHED;
    }
    unexpected_status(t, site, r,
                      a->legs == 1 ? "to the first leg of the handshake" : "to an authentication leg", e);
    return LEG_FAILED;
}

/* The legs on one connection, from the first token. */
static leg_result_t run_legs(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                             long long end, int *transport_failed, wsman_error_t *e)
{
    wsman_http_response_t resp;
    leg_result_t lr = LEG_CONTINUE;

    memset(&resp, 0, sizeof resp);
    wsman_auth_invalidate(a);
    while (lr == LEG_CONTINUE) {
        if (a->legs >= MAX_LEGS) {
            wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                            "The %s handshake with %s did not finish within %d legs.", wsman_auth_describe(a),
                            site->url, MAX_LEGS);
            lr = LEG_FAILED;
            break;
        }
        if (post_leg(a, t, end, &resp, transport_failed, e) != 0) {
            lr = a->reconnected ? LEG_RESTART : LEG_FAILED;
            break;
        }
        a->legs++;
        lr = leg_reply(a, t, site, &resp, e);
    }
    wsman_http_response_clear(&resp);
    return lr;
}

int wsman_auth_handshake(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                         long timeout_ms, int *transport_failed, wsman_error_t *e)
{
    long long end = wsman_now_ms() + (timeout_ms > 0 ? timeout_ms : 60000);
    int restarts = 0;
    leg_result_t lr;

    *transport_failed = 0;
    if (!a->encrypt && wsman_auth_first_leg_final(a)) {
        wsman_auth_invalidate(a); /* the first token goes with the message itself */
        return 0;
    }
    while ((lr = run_legs(a, t, site, end, transport_failed, e)) == LEG_RESTART) {
        if (++restarts > MAX_RESTARTS) {
            wsman_error_set(e, WSMAN_E_WINHTTP_CONNECTION_ERROR,
                            "%s closed the connection during or right after the %s handshake %d times; a "
                            "connection-bound authentication cannot complete. Check for a proxy or load "
                            "balancer that does not keep connections.",
                            site->url, wsman_auth_describe(a), restarts);
            lr = LEG_FAILED;
            break;
        }
    }
    if (lr == LEG_FAILED) {
        wsman_auth_invalidate(a);
        return -1;
    }
    return 0;
}
