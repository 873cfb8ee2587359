/* SPDX-License-Identifier: MIT */
/*
 * auth.c - picks the HTTP authentication mechanism for a session's flags, as COM does:
 *
 *   flags                         mechanism (scheme)              message encryption over HTTP
 *   UseBasic                      Basic (basic.c)                 none: needs NoEncryption on http://
 *   UseDigest                     Digest (libcurl)                none: needs NoEncryption on http://
 *   UseNegotiate, or no flag      Negotiate: Kerberos through     SPNEGO protocol, unless NoEncryption
 *                                 SPNEGO when a ticket, keytab or
 *                                 KDC for the user's domain makes
 *                                 it possible, else NTLMv2
 *                                 (ntlm.c, raw NTLMSSP tokens)
 *   UseKerberos                   Kerberos (gss.c, raw tokens)    Kerberos protocol, unless NoEncryption
 *   UseClientCertificate          TLS client certificate          HTTPS only
 *   UseCredSsp                    not available (said so)
 *   UseNoAuthentication           none
 * Over HTTPS: no message encryption; Negotiate and Kerberos send TLS channel binding.
 *
 * As on Windows, Basic and Digest over plain http:// are refused unless WSMAN_FLAG_NO_ENCRYPTION is
 * set (ERROR_WSMAN_CLIENT_UNENCRYPTED_DISABLED, 0x803380DE), before anything is sent; there is never
 * a silent fallback from the mechanism asked for to another (Negotiate's choice between Kerberos
 * and NTLM is Negotiate's own, and the reason is kept for messages).
 */
#include "auth.h"
#include "gss.h"
#include "ntlm.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_MECH_FLAGS                                                                                      \
    (WSMAN_FLAG_USE_NO_AUTHENTICATION | WSMAN_FLAG_USE_DIGEST | WSMAN_FLAG_USE_NEGOTIATE |                   \
     WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_USE_KERBEROS | WSMAN_FLAG_USE_CLIENT_CERTIFICATE |                    \
     WSMAN_FLAG_USE_CREDSSP)

static int popcount32(uint32_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* ---- SPN ----------------------------------------------------------------------------------- */

char *wsman_auth_spn(const char *opt, const wsman_endpoint_t *ep, uint32_t flags)
{
    wsman_buf_t b;
    const char *host = ep && ep->host ? ep->host : "localhost";
    int port = ep ? ep->port : 0;
    int with_port = (flags & WSMAN_FLAG_ENABLE_SPN_SERVER_PORT) != 0 && port > 0;
    int rc;

    wsman_buf_init(&b);
    if (opt && *opt && strchr(opt, '/'))
        rc = wsman_buf_puts(&b, opt); /* service/host[:port][@REALM]: as given */
    else if (opt && *opt)
        rc = with_port ? wsman_buf_printf(&b, "%s/%s:%d", opt, host, port)
                       : wsman_buf_printf(&b, "%s/%s", opt, host);
    else
        rc = with_port ? wsman_buf_printf(&b, "HTTP/%s:%d", host, port)
                       : wsman_buf_printf(&b, "HTTP/%s", host);
    if (rc != 0) {
        wsman_buf_free(&b);
        return NULL;
    }
    return wsman_buf_steal(&b);
}

/* "svc/host[:port]" -> "svc@host[:port]" (GSSAPI host-based service name); with "@REALM": a
 * principal name, kept as it is (*is_principal = 1). */
static char *gss_target(const char *spn, int *is_principal)
{
    const char *slash = strchr(spn, '/');
    wsman_buf_t b;

    *is_principal = strchr(spn, '@') != NULL;
    if (*is_principal || !slash)
        return wsman_strdup(spn);
    wsman_buf_init(&b);
    if (wsman_buf_append(&b, spn, (size_t)(slash - spn)) != 0 || wsman_buf_puts(&b, "@") != 0 ||
        wsman_buf_puts(&b, slash + 1) != 0) {
        wsman_buf_free(&b);
        return NULL;
    }
    return wsman_buf_steal(&b);
}

/* ---- Negotiate: Kerberos (SPNEGO) or NTLM --------------------------------------------------- */

typedef struct nego_state {
    void *gss;  /* Kerberos through SPNEGO, or NULL */
    void *ntlm; /* NTLM, or NULL (no password) */
    int use_gss;
    int delegate;
    char *note; /* why Kerberos is not used, or NULL */
} nego_state_t;

static void nego_destroy(void *p)
{
    nego_state_t *st = p;
    if (!st)
        return;
    if (st->gss)
        wsman_auth_gss_negotiate.destroy(st->gss);
    if (st->ntlm)
        wsman_auth_ntlm.destroy(st->ntlm);
    free(st->note);
    free(st);
}

static const wsman_auth_mech_t *nego_active(const nego_state_t *st, void **state)
{
    if (st->use_gss) {
        *state = st->gss;
        return &wsman_auth_gss_negotiate;
    }
    *state = st->ntlm;
    return &wsman_auth_ntlm;
}

static int nego_step(void *p, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e)
{
    nego_state_t *st = p;
    void *s;
    const wsman_auth_mech_t *m = nego_active(st, &s);
    wsman_error_t err;
    int rc;

    wsman_error_init(&err);
    rc = m->step(s, challenge, header_value, done, &err);
    if (rc != 0 && st->use_gss && !challenge && st->ntlm && wsman_gss_step_unavailable(st->gss)) {
        /* Kerberos cannot reach this target (SPN unknown, no KDC): NTLM, as Windows' Negotiate does */
        wsman_buf_t n;
        wsman_buf_init(&n);
        if (st->delegate) {
            wsman_error_move(e, &err);
            wsman_buf_printf(&n,
                             " Negotiate would have to use NTLM, which cannot delegate credentials "
                             "(options.delegate): fix Kerberos for this host, or unset options.delegate.");
            if (n.data) {
                wsman_buf_t msg;
                wsman_buf_init(&msg);
                if (wsman_buf_puts(&msg, e->message ? e->message : "") == 0 &&
                    wsman_buf_puts(&msg, n.data) == 0) {
                    free(e->message);
                    e->message = wsman_buf_steal(&msg);
                }
                wsman_buf_free(&msg);
            }
            wsman_buf_free(&n);
            return -1;
        }
        if (wsman_buf_printf(&n, "Kerberos was not used: %s", err.message ? err.message : "unavailable") ==
            0) {
            free(st->note);
            st->note = wsman_buf_steal(&n);
        }
        wsman_buf_free(&n);
        wsman_error_clear(&err);
        st->use_gss = 0;
        return wsman_auth_ntlm.step(st->ntlm, challenge, header_value, done, e);
    }
    if (rc != 0)
        wsman_error_move(e, &err);
    wsman_error_clear(&err);
    return rc;
}

static int nego_header(void *p, wsman_buf_t *header_value, wsman_error_t *e)
{
    nego_state_t *st = p;
    void *s;
    const wsman_auth_mech_t *m = nego_active(st, &s);
    return m->header(s, header_value, e);
}

static void nego_reset(void *p)
{
    nego_state_t *st = p;
    if (st->gss)
        wsman_auth_gss_negotiate.reset(st->gss);
    if (st->ntlm)
        wsman_auth_ntlm.reset(st->ntlm);
}

static int nego_wrap(void *p, const unsigned char *plain, size_t len, wsman_buf_t *header, wsman_buf_t *data,
                     size_t *length_field, wsman_error_t *e)
{
    nego_state_t *st = p;
    void *s;
    const wsman_auth_mech_t *m = nego_active(st, &s);
    return m->wrap(s, plain, len, header, data, length_field, e);
}

static int nego_unwrap(void *p, const unsigned char *header, size_t header_len, const unsigned char *data,
                       size_t data_len, wsman_buf_t *plain, wsman_error_t *e)
{
    nego_state_t *st = p;
    void *s;
    const wsman_auth_mech_t *m = nego_active(st, &s);
    return m->unwrap(s, header, header_len, data, data_len, plain, e);
}

static int nego_set_cbt(void *p, const unsigned char *appdata, size_t len, wsman_error_t *e)
{
    nego_state_t *st = p;
    if (st->gss && wsman_auth_gss_negotiate.set_channel_bindings &&
        wsman_auth_gss_negotiate.set_channel_bindings(st->gss, appdata, len, e) != 0)
        return -1;
    if (st->ntlm && wsman_auth_ntlm.set_channel_bindings(st->ntlm, appdata, len, e) != 0)
        return -1;
    return 0;
}

static const char *nego_describe(void *p)
{
    nego_state_t *st = p;
    return st->use_gss ? "Negotiate (Kerberos)" : "Negotiate (NTLM)";
}

const wsman_auth_mech_t wsman_auth_negotiate = {
    .name = "Negotiate",
    .create = NULL,
    .step = nego_step,
    .header = nego_header,
    .reset = nego_reset,
    .destroy = nego_destroy,
    .encrypt_protocol = "application/HTTP-SPNEGO-session-encrypted",
    .wrap = nego_wrap,
    .unwrap = nego_unwrap,
    .set_channel_bindings = nego_set_cbt,
    .flags = WSMAN_MECH_CONNECTION,
    .describe = nego_describe,
};

/* ---- Digest and client certificates: done by the transport ---------------------------------- */

static int none_step(void *st, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e)
{
    (void)st;
    (void)challenge;
    (void)e;
    wsman_buf_reset(header_value);
    *done = 1;
    return 0;
}

static int none_header(void *st, wsman_buf_t *header_value, wsman_error_t *e)
{
    (void)st;
    (void)e;
    wsman_buf_reset(header_value);
    return 0;
}

static void none_void(void *st)
{
    (void)st;
}

const wsman_auth_mech_t wsman_auth_digest = {
    .name = "Digest",
    .step = none_step,
    .header = none_header,
    .reset = none_void,
    .destroy = none_void,
    .flags = WSMAN_MECH_TRANSPORT,
};

/* The certificate itself goes in the TLS handshake; every request also names the security
 * profile in Authorization, as Windows' client does (the host then maps the certificate). */
#define SECPROFILE_HTTPS_MUTUAL "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

static int cert_header(void *st, wsman_buf_t *header_value, wsman_error_t *e)
{
    (void)st;
    wsman_buf_reset(header_value);
    return wsman_buf_puts(header_value, SECPROFILE_HTTPS_MUTUAL) == 0 ? 0 : wsman_error_oom(e, NULL);
}

static int cert_step(void *st, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e)
{
    (void)challenge;
    *done = 1;
    return cert_header(st, header_value, e);
}

const wsman_auth_mech_t wsman_auth_certificate = {
    .name = "Certificate",
    .step = cert_step,
    .header = cert_header,
    .reset = none_void,
    .destroy = none_void,
    .flags = WSMAN_MECH_PREEMPTIVE | WSMAN_MECH_TRANSPORT,
};

/* ---- selection -------------------------------------------------------------------------------- */

static wsman_auth_t *wrap_state(const wsman_auth_mech_t *m, void *st, wsman_error_t *e)
{
    wsman_auth_t *a = calloc(1, sizeof *a);
    if (!a) {
        if (m->destroy)
            m->destroy(st);
        wsman_error_oom(e, NULL);
        return NULL;
    }
    a->mech = m;
    a->state = st;
    return a;
}

static int is_https(const wsman_endpoint_t *ep)
{
    return ep && ep->scheme && strcasecmp(ep->scheme, "https") == 0;
}

static int unencrypted_refused(uint32_t flags, const wsman_endpoint_t *ep, const char *what, wsman_error_t *e)
{
    if (is_https(ep) || (flags & WSMAN_FLAG_NO_ENCRYPTION))
        return 0;
    wsman_error_set(e, WSMAN_E_CLIENT_UNENCRYPTED_DISABLED,
                    "The WinRM client cannot process the request. Unencrypted traffic is currently disabled "
                    "in the client configuration: %s authentication over %s sends its messages unencrypted. "
                    "Connect with HTTPS (https:// or SessionFlagUseSsl), or, if the host allows unencrypted "
                    "traffic (winrm/config/service AllowUnencrypted=true), set SessionFlagNoEncryption. "
                    "Negotiate and Kerberos encrypt messages over HTTP.",
                    what, ep && ep->url ? ep->url : "http://");
    return -1;
}

/* Negotiate's Kerberos attempt at creation. */
typedef enum kerberos_try {
    KERBEROS_USED,    /* ns->gss holds the credentials */
    KERBEROS_SKIPPED, /* not possible here: *note says why (NTLM instead) */
    KERBEROS_FAILED   /* a real failure (or no password for NTLM): e set */
} kerberos_try_t;

/* Kerberos first, when it can work: a password for a domain account (DOMAIN\user or user@domain:
 * the AS exchange says whether the KDC is there), or, without a password, a ticket in the
 * credential cache or a client keytab. A local account ("user") is NTLM's. */
static kerberos_try_t nego_try_kerberos(nego_state_t *ns, const wsman_auth_params_t *p,
                                        const wsman_gss_config_t *cfg, char **note, wsman_error_t *e)
{
    int has_user = p->username && *p->username;
    int has_password = p->password && *p->password;
    int unavailable = 0;
    wsman_error_t err;
    wsman_buf_t m;

    if (has_password && !(has_user && (strchr(p->username, '\\') || strchr(p->username, '@')))) {
        *note = wsman_strdup("Kerberos was not tried: the user name has no domain (DOMAIN\\user or "
                             "user@domain), so it names a local account, which uses NTLM");
        return KERBEROS_SKIPPED;
    }
    wsman_error_init(&err);
    ns->gss = wsman_gss_new(cfg, &unavailable, &err);
    if (ns->gss)
        return KERBEROS_USED;
    wsman_buf_init(&m);
    if (!has_password) {
        /* no password: NTLM is impossible, so say what Kerberos lacked */
        wsman_buf_printf(&m,
                         "Negotiate has no credentials to use: no password was given (NTLM needs "
                         "options.UserName and options.Password), and %s",
                         err.message ? err.message : "Kerberos is not available.");
        wsman_error_set(e, err.code ? err.code : WSMAN_E_SEC_NO_CREDENTIALS, "%s", m.data ? m.data : "");
    } else if (!unavailable) {
        wsman_error_move(e, &err);
    } else if (wsman_buf_printf(&m, "Kerberos was not used: %s", err.message ? err.message : "unavailable") ==
               0) {
        *note = wsman_buf_steal(&m);
    }
    wsman_buf_free(&m);
    wsman_error_clear(&err);
    return !has_password || !unavailable ? KERBEROS_FAILED : KERBEROS_SKIPPED;
}

/* Negotiate: Kerberos through SPNEGO when it can work, else (or as a fallback) NTLM. */
static wsman_auth_t *new_negotiate(const wsman_auth_params_t *p, const wsman_gss_config_t *cfg,
                                   const char *spn, wsman_error_t *e)
{
    nego_state_t *ns = calloc(1, sizeof *ns);
    char *note = NULL;

    if (!ns) {
        wsman_error_oom(e, NULL);
        return NULL;
    }
    ns->delegate = p->delegate;
    if (nego_try_kerberos(ns, p, cfg, &note, e) == KERBEROS_FAILED)
        goto fail;
    if (p->password && *p->password) {
        ns->ntlm = wsman_ntlm_new(p->username, p->password, p->ep ? p->ep->host : NULL, NULL, e);
        if (!ns->ntlm || wsman_ntlm_set_spn(ns->ntlm, spn, e) != 0)
            goto fail;
    }
    if (!ns->gss && p->delegate) {
        wsman_error_set(e, WSMAN_E_SEC_NO_CREDENTIALS,
                        "options.delegate needs Kerberos, and Negotiate would use NTLM here (%s). Use a "
                        "domain account (user@REALM) with a reachable KDC, or unset options.delegate.",
                        note ? note : "Kerberos is not available");
        goto fail;
    }
    ns->use_gss = ns->gss != NULL;
    ns->note = note;
    return wrap_state(&wsman_auth_negotiate, ns, e);
fail:
    free(note);
    nego_destroy(ns);
    return NULL;
}

/* The Kerberos scheme (raw Kerberos tokens). */
static wsman_auth_t *new_kerberos(const wsman_gss_config_t *cfg, wsman_error_t *e)
{
    int unavailable = 0;
    void *gss = wsman_gss_new(cfg, &unavailable, e);
    return gss ? wrap_state(&wsman_auth_gss_kerberos, gss, e) : NULL;
}

static wsman_auth_t *new_gss_or_negotiate(const wsman_auth_params_t *p, int kerberos, wsman_error_t *e)
{
    wsman_gss_config_t cfg;
    char *spn = wsman_auth_spn(p->spn, p->ep, p->flags), *target = NULL;
    int is_principal = 0;
    wsman_auth_t *a = NULL;

    target = spn ? gss_target(spn, &is_principal) : NULL;
    if (!spn || !target) {
        wsman_error_oom(e, NULL);
        goto out;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.username = p->username;
    cfg.password = p->password && *p->password ? p->password : NULL;
    cfg.target = target;
    cfg.target_is_principal = is_principal;
    cfg.spnego = !kerberos;
    cfg.delegate = p->delegate;
    a = kerberos ? new_kerberos(&cfg, e) : new_negotiate(p, &cfg, spn, e);
    if (a) {
        a->spn = spn;
        spn = NULL;
        a->encrypt = !is_https(p->ep) && !(p->flags & WSMAN_FLAG_NO_ENCRYPTION);
        a->channel_bind = is_https(p->ep);
    }
out:
    free(spn);
    free(target);
    return a;
}

/* Flag combinations COM refuses before looking at the mechanism. */
static int check_flags(uint32_t flags, uint32_t mech, int has_credentials, wsman_error_t *e)
{
    if (popcount32(mech) > 1) {
        wsman_error_set(e, WSMAN_E_CLIENT_MULTIPLE_AUTH_FLAGS,
                        "More than one authentication flag is set (flags 0x%X). Choose one of "
                        "SessionFlagUseBasic, SessionFlagUseNoAuthentication, SessionFlagUseNegotiate, "
                        "SessionFlagUseKerberos, SessionFlagUseDigest, SessionFlagUseCredSsp, "
                        "SessionFlagUseClientCertificate.",
                        (unsigned)mech);
        return -1;
    }
    if ((flags & WSMAN_FLAG_ENABLE_SPN_SERVER_PORT) && mech && mech != WSMAN_FLAG_USE_NEGOTIATE &&
        mech != WSMAN_FLAG_USE_KERBEROS) {
        wsman_error_set(e, WSMAN_E_CLIENT_SPN_WRONG_AUTH,
                        "SessionFlagEnableSPNServerPort can only be used with Negotiate or Kerberos "
                        "authentication (the SPN is theirs). Remove the flag or change the authentication "
                        "flag.");
        return -1;
    }
    if (mech == WSMAN_FLAG_USE_NO_AUTHENTICATION && has_credentials) {
        wsman_error_set(e, WSMAN_E_CREDS_PASSED_WITH_NO_AUTH_FLAG,
                        "SessionFlagUseNoAuthentication was given together with options.UserName or "
                        "options.Password. Remove the credentials, or choose an authentication flag such as "
                        "SessionFlagUseBasic.");
        return -1;
    }
    return 0;
}

/* TLS client certificate: HTTPS, a certificate, no user name. */
static wsman_auth_t *new_certificate(const wsman_auth_params_t *p, int has_credentials, wsman_error_t *e)
{
    wsman_auth_t *a;

    if (!is_https(p->ep)) {
        wsman_error_set(e, WSMAN_E_CANNOT_USE_CERTIFICATES_FOR_HTTP,
                        "Client certificate authentication (SessionFlagUseClientCertificate) needs HTTPS: "
                        "connect with https:// or SessionFlagUseSsl (the certificate is presented in the "
                        "TLS handshake).");
        return NULL;
    }
    if (has_credentials) {
        wsman_error_set(e, WSMAN_E_CLIENT_CERT_UNNEEDED_USERNAME,
                        "Client certificate authentication takes no user name or password: the host maps "
                        "the certificate to an account. Remove options.UserName and options.Password.");
        return NULL;
    }
    if ((!p->client_cert || !*p->client_cert) &&
        (!p->certificate_thumbprint || !*p->certificate_thumbprint)) {
        wsman_error_set(e, WSMAN_E_CLIENT_CERT_NEEDED,
                        "Client certificate authentication needs a certificate: set "
                        "options.CertificateThumbprint (looked up in options.cert_dir) or "
                        "options.client_cert and options.client_key (PEM files).");
        return NULL;
    }
    a = wrap_state(&wsman_auth_certificate, NULL, e);
    if (a)
        a->done = 1;
    return a;
}

/* Basic, Digest: user name and password, never in clear over http:// by accident. */
static wsman_auth_t *new_password_scheme(const wsman_auth_params_t *p, uint32_t mech, wsman_error_t *e)
{
    const char *what = mech == WSMAN_FLAG_USE_DIGEST ? "Digest" : "Basic";
    wsman_credentials_t creds;
    wsman_auth_t *a;
    void *st;

    if (!p->username || !*p->username) {
        wsman_error_set(e, WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED,
                        "%s authentication needs a user name and password: set options.UserName and "
                        "options.Password on the ConnectionOptions passed to CreateSession (with "
                        "SessionFlagCredUsernamePassword).",
                        what);
        return NULL;
    }
    if (unencrypted_refused(p->flags, p->ep, what, e) != 0)
        return NULL;
    if (mech == WSMAN_FLAG_USE_DIGEST)
        return wrap_state(&wsman_auth_digest, NULL, e); /* the session gives libcurl the credentials */
    creds.username = p->username;
    creds.password = p->password;
    st = wsman_auth_basic.create(&creds, p->ep ? p->ep->host : NULL, e);
    if (!st)
        return NULL;
    a = wrap_state(&wsman_auth_basic, st, e);
    if (a)
        a->done = 1; /* Basic is preemptive: no handshake */
    return a;
}

wsman_auth_t *wsman_auth_new_ex(const wsman_auth_params_t *p, wsman_error_t *e)
{
    uint32_t mech = p->flags & AUTH_MECH_FLAGS;
    int has_credentials = (p->username && *p->username) || (p->password && *p->password);

    if (check_flags(p->flags, mech, has_credentials, e) != 0)
        return NULL;
    switch (mech) {
    case WSMAN_FLAG_USE_NO_AUTHENTICATION:
        return NULL; /* no authentication; e untouched (code 0) */
    case WSMAN_FLAG_USE_CREDSSP:
        wsman_error_set(e, WSMAN_E_NOTIMPL,
                        "CredSSP authentication (SessionFlagUseCredSsp) is not available in this build of "
                        "lua-wsman. For a second hop use Kerberos delegation (SessionFlagUseKerberos or "
                        "SessionFlagUseNegotiate with options.delegate = true).");
        return NULL;
    case WSMAN_FLAG_USE_KERBEROS:
        if (!wsman_gss_built()) {
            wsman_error_set(
                e, WSMAN_E_AUTHENTICATION_INVALID_FLAG,
                "Kerberos authentication (SessionFlagUseKerberos) is not available: this build of "
                "lua-wsman was made without GSSAPI (rebuild with MIT Kerberos' development files, "
                "e.g. libkrb5-dev, and meson -Dgssapi=enabled), or use SessionFlagUseNegotiate "
                "(NTLM).");
            return NULL;
        }
        return new_gss_or_negotiate(p, 1, e);
    case 0:
    case WSMAN_FLAG_USE_NEGOTIATE:
        return new_gss_or_negotiate(p, 0, e);
    case WSMAN_FLAG_USE_CLIENT_CERTIFICATE:
        return new_certificate(p, has_credentials, e);
    case WSMAN_FLAG_USE_DIGEST:
    case WSMAN_FLAG_USE_BASIC:
        return new_password_scheme(p, mech, e);
    default:
        wsman_error_set(e, WSMAN_E_AUTHENTICATION_INVALID_FLAG, "Unknown authentication flag 0x%X.",
                        (unsigned)mech);
        return NULL;
    }
}

int wsman_auth_first_leg_final(const wsman_auth_t *a)
{
    if (!a || !a->mech)
        return 0;
    if (a->mech == &wsman_auth_gss_kerberos)
        return 1;
    return a->mech == &wsman_auth_negotiate && a->state && ((const nego_state_t *)a->state)->use_gss;
}

const char *wsman_auth_describe(const wsman_auth_t *a)
{
    if (!a || !a->mech)
        return "none";
    if (a->mech->describe)
        return a->mech->describe(a->state);
    return a->mech->name;
}

const char *wsman_auth_note(const wsman_auth_t *a)
{
    if (a && a->mech == &wsman_auth_negotiate && a->state)
        return ((const nego_state_t *)a->state)->note;
    return NULL;
}

void wsman_auth_free(wsman_auth_t *a)
{
    if (!a)
        return;
    if (a->mech && a->mech->destroy && a->state)
        a->mech->destroy(a->state);
    free(a->spn);
    free(a->cbt_note);
    free(a->offered);
    wsman_buf_free_secure(&a->next);
    wsman_error_clear(&a->hook_err);
    OPENSSL_cleanse(a, sizeof *a);
    free(a);
}
