/*
 * handshake.c - the handshake of the connection mechanisms (Negotiate, Kerberos) and the errors
 * of failed authentication.
 *
 * Handshake (protocol.md 2.3), once per TCP connection, with empty-body POSTs so that no
 * message is ever sent before the connection is authenticated (and so never twice):
 *   C: POST, Content-Length: 0, no Authorization      S: 401 + WWW-Authenticate list
 *      (the schemes offered, for checks and messages; over HTTPS the TLS connection is up, so
 *      its certificate gives the channel binding the first token must carry)
 *   C: POST, Authorization: <Scheme> <token 1>        S: 401 + <Scheme> <token>   (NTLM: CHALLENGE)
 *   C: POST, Authorization: <Scheme> <token 2>        S: 200 [+ <Scheme> <token>] (Kerberos: AP-REP)
 * The context then belongs to that connection (a->conn = the transport's connection number): a
 * new connection (the server or libcurl closed the old one, an idle timeout) starts over. If the
 * server closes the connection in the middle (Connection: close after a 401), the handshake starts
 * over on the next one, twice at most.
 *
 * Errors tell the cases apart: the scheme is not offered (and what is), the credentials were
 * rejected at the last leg, the host wants encrypted messages, with what was tried (Negotiate's
 * Kerberos or NTLM and why), whether messages were encrypted, the SPN, whether channel binding was
 * sent, and the likely fix. No error ever contains a password or a token.
 */
#include "auth.h"
#include "encrypt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_LEGS 6
#define MAX_RESTARTS 2
#define EXCERPT_MAX 512

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
    return a->established && a->conn == wsman_transport_connections(t) && wsman_transport_reusable(t);
}

void wsman_auth_invalidate(wsman_auth_t *a)
{
    if (!a || !(a->mech->flags & WSMAN_MECH_CONNECTION))
        return;
    a->established = 0;
    a->done = 0;
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
                       int stage, wsman_error_t *e)
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
    } else if (stage == 2) {
        wsman_buf_printf(
            &m,
            "Access is denied: %s refused an unencrypted message after the %s handshake succeeded: "
            "the host requires message encryption over HTTP (AllowUnencrypted=false). Remove "
            "SessionFlagNoEncryption (messages are then encrypted), or use HTTPS.",
            site->url, wsman_auth_describe(a));
        append_context(a, site, &m);
    } else if (stage == 3) {
        wsman_buf_printf(
            &m,
            "Access is denied: %s completed the %s handshake but then answered HTTP 401 to the "
            "message itself, on two fresh authentications: the host could not use the %s message.",
            site->url, wsman_auth_describe(a), a->encrypt ? "encrypted" : "unencrypted");
        append_context(a, site, &m);
    } else if (off.len && !offers(r, scheme, NULL) && stage == 0) {
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

/* One empty POST; -1 on transport failure (e set). */
static int post(wsman_transport_t *t, const char *authz, long long end, wsman_http_response_t *resp,
                wsman_error_t *e)
{
    wsman_http_request_t req;
    wsman_buf_t line;
    const char *headers[3];
    size_t nh = 0;
    drain_t d;
    wsman_send_state_t state;
    long long remaining = end - now_ms();
    int rc;

    wsman_buf_init(&line);
    wsman_buf_init(&d.excerpt);
    headers[nh++] = "User-Agent: lua-wsman/" WSMAN_VERSION;
    if (authz) {
        if (wsman_buf_puts(&line, "Authorization: ") != 0 || wsman_buf_puts(&line, authz) != 0) {
            wsman_buf_free_secure(&line);
            wsman_error_set(e, WSMAN_E_OUTOFMEMORY, NULL);
            return -1;
        }
        headers[nh++] = line.data;
    }
    headers[nh] = NULL;
    memset(&req, 0, sizeof req);
    req.body = "";
    req.len = 0;
    req.content_type = "application/soap+xml;charset=UTF-8";
    req.headers = headers;
    req.timeout_ms = remaining > 1 ? (long)remaining : 1;
    rc = wsman_transport_post(t, &req, drain_sink, &d, resp, &state, e);
    wsman_buf_free_secure(&line);
    wsman_buf_free(&d.excerpt);
    return rc;
}

static void unexpected_status(const wsman_transport_t *t, const wsman_auth_site_t *site,
                              const wsman_http_response_t *r, const char *when, wsman_error_t *e)
{
    if (r->status == WSMAN_HTTP_PROXY_AUTH_REQUIRED) {
        wsman_transport_proxy_refused(t, e);
        return;
    }
    uint32_t code = r->status == 404   ? 0x80338113u
                    : r->status == 503 ? 0x80338112u
                    : r->status >= 500 ? 0x80338170u
                                       : WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE;
    wsman_error_set(
        e, code,
        "%s answered HTTP %d (content type '%s') %s, where a WinRM listener answers 401 or 200. Check "
        "that the URL is a WinRM listener.",
        site->url, r->status, r->content_type ? r->content_type : "none", when);
    e->http_status = r->status;
}

static int set_cbt(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site, wsman_error_t *e)
{
    wsman_buf_t der, app;
    int rc = 0;

    free(a->cbt_note);
    a->cbt_note = NULL;
    a->cbt_sent = 0;
    if (!a->mech->set_channel_bindings)
        return 0;
    if (!site->https || !a->channel_bind)
        return a->mech->set_channel_bindings(a->state, NULL, 0, e);
    wsman_buf_init(&der);
    wsman_buf_init(&app);
    if (wsman_transport_peer_cert(t, &der) != 0 || !der.len) {
        a->cbt_note = wsman_strdup("the server certificate was not available");
        rc = a->mech->set_channel_bindings(a->state, NULL, 0, e);
    } else {
        wsman_error_t err;
        wsman_error_init(&err);
        if (wsman_tls_channel_binding_appdata((const unsigned char *)der.data, der.len, &app, &err) != 0) {
            a->cbt_note = wsman_strdup(err.message ? err.message : "the certificate could not be hashed");
            rc = a->mech->set_channel_bindings(a->state, NULL, 0, e);
        } else {
            rc = a->mech->set_channel_bindings(a->state, (const unsigned char *)app.data, app.len, e);
            a->cbt_sent = rc == 0;
        }
        wsman_error_clear(&err);
    }
    wsman_buf_free(&der);
    wsman_buf_free(&app);
    return rc;
}

int wsman_auth_handshake(wsman_auth_t *a, wsman_transport_t *t, const wsman_auth_site_t *site,
                         long timeout_ms, int *transport_failed, wsman_error_t *e)
{
    long long end = now_ms() + (timeout_ms > 0 ? timeout_ms : 60000);
    const char *scheme = a->mech->name;
    wsman_http_response_t resp;
    wsman_buf_t hv, off;
    char *challenge = NULL;
    int restarts = 0, legs, rc = -1;

    *transport_failed = 0;
    memset(&resp, 0, sizeof resp);
    wsman_buf_init(&hv);
    wsman_buf_init(&off);
restart:
    wsman_auth_invalidate(a);
    free(challenge);
    challenge = NULL;

    /* the probe: offered schemes, and the TLS connection (its certificate) */
    if (post(t, NULL, end, &resp, e) != 0) {
        *transport_failed = 1;
        goto out;
    }
    wsman_buf_reset(&off);
    wsman_auth_offered(&resp, &off);
    if (off.len) {
        free(a->offered);
        a->offered = wsman_strdup(off.data);
    }
    if (resp.status == 200) {
        wsman_error_set(
            e, WSMAN_E_ACCESS_DENIED,
            "%s accepted a request without authentication, so %s cannot be set up (message "
            "encryption needs it). This is not a WinRM listener that authenticates: check the URL, "
            "or create the session with SessionFlagUseNoAuthentication.",
            site->url, wsman_auth_describe(a));
        e->http_status = 200;
        goto out;
    }
    if (resp.status != 401) {
        unexpected_status(t, site, &resp, "to an empty POST without credentials", e);
        goto out;
    }
    if (!offers(&resp, scheme, NULL)) {
        wsman_auth_denied(a, site, &resp, 0, e);
        goto out;
    }
    if (set_cbt(a, t, site, e) != 0)
        goto out;

    for (legs = 0; legs < MAX_LEGS; legs++) {
        long conn_before = wsman_transport_connections(t);
        const char *tok = NULL;
        int done = 0;

        wsman_buf_reset(&hv);
        if (a->mech->step(a->state, challenge, &hv, &done, e) != 0)
            goto out;
        a->done = done;
        if (!hv.len) {
            wsman_error_set(e, WSMAN_E_ACCESS_DENIED, "%s produced no token for %s.", wsman_auth_describe(a),
                            site->url);
            goto out;
        }
        if (post(t, hv.data, end, &resp, e) != 0) {
            *transport_failed = 1;
            goto out;
        }
        if (legs > 0 && wsman_transport_connections(t) != conn_before) {
            /* the leg went out on a new connection, which knows nothing of the earlier ones */
            if (++restarts > MAX_RESTARTS) {
                wsman_error_set(e, WSMAN_E_WINHTTP_CONNECTION_ERROR,
                                "%s closed the connection in the middle of the %s handshake %d times; a "
                                "connection-bound authentication cannot complete. Check for a proxy or load "
                                "balancer that does not keep connections.",
                                site->url, wsman_auth_describe(a), restarts);
                goto out;
            }
            goto restart;
        }
        free(challenge);
        challenge = NULL;
        if (resp.status == 401) {
            if (offers(&resp, scheme, &tok) && tok && !a->done) {
                challenge = wsman_strdup(tok);
                if (!challenge) {
                    wsman_error_set(e, WSMAN_E_OUTOFMEMORY, NULL);
                    goto out;
                }
                if (resp.connection_close && ++restarts <= MAX_RESTARTS)
                    goto restart; /* the next leg could only go on a new connection */
                continue;
            }
            wsman_auth_denied(a, site, &resp, 1, e);
            goto out;
        }
        if (resp.status == 200) {
            if (offers(&resp, scheme, &tok) && tok && !a->done) {
                /* mutual authentication: the server's last token (Kerberos AP-REP) */
                wsman_buf_reset(&hv);
                if (a->mech->step(a->state, tok, &hv, &done, e) != 0)
                    goto out;
                a->done = done;
            }
            if (!a->done) {
                wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                                "%s ended the %s handshake (HTTP 200) before it was complete: no "
                                "mutual-authentication token came back, so messages cannot be encrypted or "
                                "the server trusted.",
                                site->url, wsman_auth_describe(a));
                goto out;
            }
            if (resp.connection_close) {
                /* authenticated, but the connection goes away with it */
                if (++restarts > MAX_RESTARTS) {
                    wsman_error_set(e, WSMAN_E_WINHTTP_CONNECTION_ERROR,
                                    "%s closes the connection after every %s handshake; the authentication "
                                    "cannot be kept for a request.",
                                    site->url, wsman_auth_describe(a));
                    goto out;
                }
                goto restart;
            }
            a->established = 1;
            a->conn = wsman_transport_connections(t);
            a->handshakes++;
            rc = 0;
            goto out;
        }
        unexpected_status(t, site, &resp, "to an authentication leg", e);
        goto out;
    }
    wsman_error_set(e, WSMAN_E_ACCESS_DENIED, "The %s handshake with %s did not finish within %d legs.",
                    wsman_auth_describe(a), site->url, MAX_LEGS);
out:
    if (rc != 0)
        wsman_auth_invalidate(a);
    free(challenge);
    wsman_buf_free_secure(&hv);
    wsman_buf_free(&off);
    wsman_http_response_clear(&resp);
    return rc;
}
