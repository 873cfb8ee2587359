/* SPDX-License-Identifier: MIT */
/*
 * gss.c - Kerberos through GSSAPI (MIT krb5) for the "Kerberos" and "Negotiate" HTTP schemes;
 * see gss.h for the interface.
 *
 * Credentials:
 *   - with a password: krb5_get_init_creds_password for the user's principal ("DOMAIN\user" and
 *     "user@domain" become user@DOMAIN; a bare "user" takes the default realm), forwardable when
 *     delegation is asked for, stored in a new MEMORY credential cache that belongs to this state
 *     alone (the user's own cache is never touched) and is destroyed with it;
 *   - without: the default credential cache (KRB5CCNAME; a collection picks the username's
 *     principal when one is given) or the client keytab, through gss_acquire_cred.
 * Negotiate: the credential is a SPNEGO one restricted to Kerberos with gss_set_neg_mechs, so the
 * token is an RFC 4178 NegTokenInit carrying the AP-REQ; NTLM stays ntlm.c's (auth.c decides).
 * Kerberos: the token is the raw RFC 4121 initial context token (WinRM's "Kerberos" scheme).
 *
 * Flags: MUTUAL | SEQUENCE | CONF | INTEG (+ DELEG): the server's AP-REP (in the final 200's
 * WWW-Authenticate) completes the context before the first message is wrapped.
 *
 * Message encryption (MS-WSMV 2.2.9.1.2): gss_wrap_iov with HEADER | DATA |
 * PADDING (no TRAILER: MIT places the RFC 4121 trailer in the header, the "DCE style" layout
 * Windows uses), the header goes into the length-prefixed part, data + padding follow, and the
 * OriginalContent Length is the plaintext length plus the padding. Unwrap: gss_unwrap_iov with
 * HEADER = the server's header, DATA = the rest, and an empty DATA (what pyspnego does; it also
 * decodes RC4 tokens without padding, krb5 PR 1093).
 */
#include "gss.h"

#include <stdlib.h>
#include <string.h>

#ifdef WSMAN_HAVE_GSSAPI

#include <openssl/crypto.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

/* SEC_E codes (names and texts in errors.c's table) */

static gss_OID_desc spnego_oid_desc = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

typedef struct gss_state {
    krb5_context kctx;
    krb5_ccache mem_cc; /* password credentials (MEMORY:, ours) or NULL */
    gss_cred_id_t cred;
    gss_name_t target;
    gss_ctx_id_t ctx;
    int spnego, delegate;
    int complete;
    int step_unavailable; /* the last step failed because Kerberos cannot reach the target */
    int delegated;
    OM_uint32 ret_flags;
    unsigned char *cbt;
    size_t cbt_len;
    int have_cbt;
    char *principal; /* client principal, for messages */
    char *target_text;
} gss_state_t;

int wsman_gss_built(void)
{
    return 1;
}

/* The GSSAPI major and minor status texts: "<major>: <minor>" (minor first when it says more). */
static void status_text(OM_uint32 major, OM_uint32 minor, wsman_buf_t *out)
{
    OM_uint32 m, more = 0;
    gss_buffer_desc b;
    int first = 1;

    if (minor) {
        do {
            b.length = 0;
            b.value = NULL;
            if (GSS_ERROR(gss_display_status(&m, minor, GSS_C_MECH_CODE, (gss_OID)gss_mech_krb5, &more, &b)))
                break;
            if (b.length) {
                if (!first)
                    wsman_buf_puts(out, "; ");
                wsman_buf_append(out, b.value, b.length);
                first = 0;
            }
            gss_release_buffer(&m, &b);
        } while (more);
    }
    if (first || (major != GSS_S_FAILURE && GSS_ERROR(major))) {
        more = 0;
        do {
            b.length = 0;
            b.value = NULL;
            if (GSS_ERROR(gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &more, &b)))
                break;
            if (b.length) {
                wsman_buf_puts(out, first ? "" : " (");
                wsman_buf_append(out, b.value, b.length);
                if (!first)
                    wsman_buf_puts(out, ")");
                first = 0;
            }
            gss_release_buffer(&m, &b);
        } while (more);
    }
    if (!out->data)
        wsman_buf_puts(out, "unknown GSSAPI error");
}

static void gss_destroy(void *p)
{
    gss_state_t *st = p;
    OM_uint32 m;

    if (!st)
        return;
    if (st->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&m, &st->ctx, GSS_C_NO_BUFFER);
    if (st->cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&m, &st->cred);
    if (st->target != GSS_C_NO_NAME)
        gss_release_name(&m, &st->target);
    if (st->mem_cc)
        krb5_cc_destroy(st->kctx, st->mem_cc);
    if (st->kctx)
        krb5_free_context(st->kctx);
    wsman_secure_free_n(st->cbt, st->cbt_len);
    free(st->principal);
    free(st->target_text);
    free(st);
}

/* "DOMAIN\user" -> "user@DOMAIN"; "user@domain" -> "user@DOMAIN"; "user" -> "user". */
static char *principal_text(const char *username)
{
    const char *bs = strchr(username, '\\'), *at;
    wsman_buf_t b;
    size_t i, start;

    wsman_buf_init(&b);
    if (bs) {
        if (wsman_buf_puts(&b, bs + 1) != 0 || wsman_buf_puts(&b, "@") != 0 ||
            wsman_buf_append(&b, username, (size_t)(bs - username)) != 0)
            goto oom;
        start = strlen(bs + 1) + 1;
    } else {
        if (wsman_buf_puts(&b, username) != 0)
            goto oom;
        at = strrchr(username, '@');
        start = at ? (size_t)(at - username) + 1 : b.len;
    }
    for (i = start; i < b.len; i++)
        if (b.data[i] >= 'a' && b.data[i] <= 'z')
            b.data[i] = (char)(b.data[i] - 32);
    return wsman_buf_steal(&b);
oom:
    wsman_buf_free(&b);
    return NULL;
}

/* Is a krb5 error from the AS exchange one that only says "no Kerberos from here"? */
static int krb5_unavailable(krb5_error_code rc)
{
    switch (rc) {
    case KRB5_REALM_UNKNOWN:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_KDC_UNREACH:
    case KRB5_CONFIG_NODEFREALM:
    case KRB5_CONFIG_CANTOPEN:
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
    case KRB5KDC_ERR_WRONG_REALM:
    case KRB5KDC_ERR_ETYPE_NOSUPP:
    case KRB5_PROG_ETYPE_NOSUPP:
        return 1;
    default:
        return 0;
    }
}

/* The error for a failed AS exchange (krb5_get_init_creds_password). */
static void as_exchange_failed(gss_state_t *st, krb5_error_code rc, krb5_principal client,
                               const char *principal, wsman_error_t *e)
{
    const char *m = krb5_get_error_message(st->kctx, rc);
    char *realm = NULL;

    switch (rc) {
    case KRB5KDC_ERR_PREAUTH_FAILED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
        wsman_error_set(e, WSMAN_E_SEC_LOGON_DENIED,
                        "Kerberos: the KDC rejected the password of %s (%s). Check the password (the user "
                        "name is right: the KDC knows the principal).",
                        principal, m);
        break;
    case KRB5KDC_ERR_KEY_EXP:
        wsman_error_set(e, WSMAN_E_SEC_LOGON_DENIED,
                        "Kerberos: the password of %s has expired (%s). Change it, then retry.", principal,
                        m);
        break;
    case KRB5KDC_ERR_CLIENT_REVOKED:
        wsman_error_set(e, WSMAN_E_SEC_LOGON_DENIED,
                        "Kerberos: the account %s is disabled or locked out (%s).", principal, m);
        break;
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
        wsman_error_set(e, WSMAN_E_SEC_LOGON_DENIED,
                        "Kerberos: the KDC does not know the user %s (%s). Check the user name and its "
                        "realm (user@REALM, DOMAIN\\user).",
                        principal, m);
        break;
    case KRB5KRB_AP_ERR_SKEW:
        wsman_error_set(e, WSMAN_E_SEC_TIME_SKEW,
                        "Kerberos: this computer's clock differs too much from the KDC's (%s). Synchronise "
                        "the clocks.",
                        m);
        break;
    case KRB5_REALM_UNKNOWN:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_KDC_UNREACH:
    case KRB5_CONFIG_NODEFREALM:
        realm =
            client && client->realm.length ? wsman_strndup(client->realm.data, client->realm.length) : NULL;
        wsman_error_set(e, WSMAN_E_SEC_NO_AUTHENTICATING_AUTHORITY,
                        "Kerberos: no KDC could be reached for the realm %s of %s (%s). Add the realm "
                        "to krb5.conf (KRB5_CONFIG) with its kdc, or check the network path to the KDC.",
                        realm ? realm : "(none)", principal, m);
        free(realm);
        break;
    default:
        wsman_error_set(e, WSMAN_E_SEC_NO_CREDENTIALS,
                        "Kerberos: getting a ticket for %s with the password failed (%s).", principal, m);
        break;
    }
    krb5_free_error_message(st->kctx, m);
}

/* The TGT into a new MEMORY cache of the state. */
static int store_tgt(gss_state_t *st, krb5_principal client, krb5_creds *creds, wsman_error_t *e)
{
    krb5_error_code rc = krb5_cc_new_unique(st->kctx, "MEMORY", NULL, &st->mem_cc);
    const char *m;

    if (!rc)
        rc = krb5_cc_initialize(st->kctx, st->mem_cc, client);
    if (!rc)
        rc = krb5_cc_store_cred(st->kctx, st->mem_cc, creds);
    if (!rc)
        return 0;
    m = krb5_get_error_message(st->kctx, rc);
    wsman_error_set(e, WSMAN_E_SEC_NO_CREDENTIALS, "Kerberos: storing the ticket in memory failed (%s).", m);
    krb5_free_error_message(st->kctx, m);
    return -1;
}

/* An AS exchange with the password into a new MEMORY cache. */
static int get_tgt(gss_state_t *st, const char *principal, const char *password, int *unavailable,
                   wsman_error_t *e)
{
    krb5_principal client = NULL;
    krb5_get_init_creds_opt *opt = NULL;
    krb5_creds creds;
    krb5_error_code rc;
    int result = -1;

    memset(&creds, 0, sizeof creds);
    rc = krb5_parse_name(st->kctx, principal, &client);
    if (rc) {
        const char *m = krb5_get_error_message(st->kctx, rc);
        wsman_error_set(e, WSMAN_E_SEC_NO_CREDENTIALS,
                        "Kerberos: the user name \"%s\" is not a valid principal (%s). Use user@REALM or "
                        "DOMAIN\\user.",
                        principal, m);
        krb5_free_error_message(st->kctx, m);
        *unavailable = rc == KRB5_CONFIG_NODEFREALM;
        return -1;
    }
    if (krb5_get_init_creds_opt_alloc(st->kctx, &opt) != 0) {
        krb5_free_principal(st->kctx, client);
        return wsman_error_oom(e, "authenticating with Kerberos");
    }
    if (st->delegate)
        krb5_get_init_creds_opt_set_forwardable(opt, 1);
    rc = krb5_get_init_creds_password(st->kctx, &creds, client, password, NULL, NULL, 0, NULL, opt);
    if (rc) {
        *unavailable = krb5_unavailable(rc);
        as_exchange_failed(st, rc, client, principal, e);
    } else {
        result = store_tgt(st, client, &creds, e);
        krb5_free_cred_contents(st->kctx, &creds);
    }
    krb5_get_init_creds_opt_free(st->kctx, opt);
    krb5_free_principal(st->kctx, client);
    return result;
}

/* A GSSAPI failure as an error: "Kerberos: <what> (<GSS status text>)." */
/* Into t (initialised here): why wrapping or unwrapping failed: GSSAPI's status when maj is an
 * error, otherwise (no confidentiality) the text otherwise. */
static void protection_failure(OM_uint32 maj, OM_uint32 min, const char *otherwise, wsman_buf_t *t)
{
    wsman_buf_init(t);
    if (GSS_ERROR(maj))
        status_text(maj, min, t);
    else
        wsman_buf_puts(t, otherwise);
}

static int gss_failed(wsman_error_t *e, const char *what, OM_uint32 maj, OM_uint32 min)
{
    wsman_buf_t t;
    wsman_buf_init(&t);
    status_text(maj, min, &t);
    wsman_error_set(e, WSMAN_E_SEC_NO_CREDENTIALS, "Kerberos: %s (%s).", what, t.data ? t.data : "");
    wsman_buf_free(&t);
    return -1;
}

/* Credentials from the state's MEMORY cache (the TGT got with the password). */
static int acquire_from_memory(gss_state_t *st, gss_OID_set mechs, wsman_error_t *e)
{
    gss_key_value_element_desc el;
    gss_key_value_set_desc store;
    OM_uint32 maj, min, lifetime = 0;
    char *ccname = NULL;

    if (krb5_cc_get_full_name(st->kctx, st->mem_cc, &ccname))
        return wsman_error_oom(e, "authenticating with Kerberos");
    el.key = "ccache";
    el.value = ccname;
    store.count = 1;
    store.elements = &el;
    maj = gss_acquire_cred_from(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, mechs, GSS_C_INITIATE, &store,
                                &st->cred, NULL, &lifetime);
    krb5_free_string(st->kctx, ccname);
    return GSS_ERROR(maj) ? gss_failed(e, "the credentials could not be acquired", maj, min) : 0;
}

/* Credentials from the user's credential cache or client keytab (no password). */
static int acquire_default(gss_state_t *st, const char *username, gss_OID_set mechs, int *unavailable,
                           wsman_error_t *e)
{
    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 maj, min, m, lifetime = 0;
    int named = username && *username;
    const char *cc;
    wsman_buf_t t;

    if (named) {
        gss_buffer_desc nb;
        nb.value = st->principal;
        nb.length = strlen(st->principal);
        maj = gss_import_name(&min, &nb, GSS_KRB5_NT_PRINCIPAL_NAME, &name);
        if (GSS_ERROR(maj)) {
            wsman_buf_init(&t);
            wsman_buf_printf(&t, "the user name \"%s\" is not valid", username);
            gss_failed(e, t.data ? t.data : "the user name is not valid", maj, min);
            wsman_buf_free(&t);
            return -1;
        }
    }
    maj = gss_acquire_cred(&min, name, GSS_C_INDEFINITE, mechs, GSS_C_INITIATE, &st->cred, NULL, &lifetime);
    if (name != GSS_C_NO_NAME)
        gss_release_name(&m, &name);
    if (!GSS_ERROR(maj) && lifetime == 0) {
        gss_release_cred(&m, &st->cred);
        maj = GSS_S_CREDENTIALS_EXPIRED;
        min = 0;
    }
    if (!GSS_ERROR(maj))
        return 0;
    cc = getenv("KRB5CCNAME");
    wsman_buf_init(&t);
    status_text(maj, min, &t);
    *unavailable = 1;
    wsman_error_set(e, WSMAN_E_SEC_NO_CREDENTIALS,
                    "Kerberos: no usable ticket%s%s in the credential cache (%s%s) and no client keytab "
                    "(%s). Run kinit%s%s first, or give options.UserName and options.Password so "
                    "lua-wsman gets the ticket.",
                    named ? " for " : "", named ? st->principal : "",
                    cc ? "KRB5CCNAME=" : "the default cache", cc ? cc : "", t.data ? t.data : "",
                    named ? " " : "", named ? st->principal : "");
    wsman_buf_free(&t);
    return -1;
}

/* The credentials' principal, for messages, when the user named none. */
static void remember_principal(gss_state_t *st)
{
    gss_name_t who = GSS_C_NO_NAME;
    gss_buffer_desc dn = {0, NULL};
    OM_uint32 m;

    if (GSS_ERROR(gss_inquire_cred(&m, st->cred, &who, NULL, NULL, NULL)) || who == GSS_C_NO_NAME)
        return;
    if (!GSS_ERROR(gss_display_name(&m, who, &dn, NULL))) {
        free(st->principal);
        st->principal = wsman_strndup(dn.value, dn.length);
        gss_release_buffer(&m, &dn);
    }
    gss_release_name(&m, &who);
}

static int acquire(gss_state_t *st, const char *username, int *unavailable, wsman_error_t *e)
{
    gss_OID_set_desc krb5_set = {1, (gss_OID)gss_mech_krb5};
    gss_OID_set_desc spnego_set = {1, &spnego_oid_desc};
    gss_OID_set mechs = st->spnego ? &spnego_set : &krb5_set;
    OM_uint32 maj, min;

    if (st->mem_cc ? acquire_from_memory(st, mechs, e) != 0
                   : acquire_default(st, username, mechs, unavailable, e) != 0)
        return -1;
    if (st->spnego) {
        /* Kerberos only: NTLM under Negotiate is ntlm.c's, never a GSSAPI plug-in's */
        maj = gss_set_neg_mechs(&min, st->cred, &krb5_set);
        if (GSS_ERROR(maj))
            return gss_failed(e, "SPNEGO could not be limited to Kerberos", maj, min);
    }
    if (!st->principal || !*st->principal)
        remember_principal(st);
    return 0;
}

void *wsman_gss_new(const wsman_gss_config_t *cfg, int *unavailable, wsman_error_t *e)
{
    gss_state_t *st;
    krb5_error_code rc;
    gss_buffer_desc nb;
    OM_uint32 maj, min;
    int dummy = 0;

    if (!unavailable)
        unavailable = &dummy;
    *unavailable = 0;
    if (!cfg || !cfg->target || !*cfg->target) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "Kerberos: no target service name");
        return NULL;
    }
    st = calloc(1, sizeof *st);
    if (!st) {
        wsman_error_oom(e, "authenticating with Kerberos");
        return NULL;
    }
    st->ctx = GSS_C_NO_CONTEXT;
    st->cred = GSS_C_NO_CREDENTIAL;
    st->target = GSS_C_NO_NAME;
    st->spnego = cfg->spnego;
    st->delegate = cfg->delegate;
    rc = krb5_init_context(&st->kctx);
    if (rc) {
        st->kctx = NULL;
        *unavailable = 1;
        wsman_error_set(e, WSMAN_E_SEC_NO_CREDENTIALS,
                        "Kerberos: the Kerberos library could not start (error %ld): check krb5.conf "
                        "(KRB5_CONFIG).",
                        (long)rc);
        goto fail;
    }
    st->target_text = wsman_strdup(cfg->target);
    st->principal = cfg->username && *cfg->username ? principal_text(cfg->username) : wsman_strdup("");
    if (!st->target_text || !st->principal) {
        wsman_error_oom(e, "authenticating with Kerberos");
        goto fail;
    }
    if (cfg->password && get_tgt(st, st->principal, cfg->password, unavailable, e) != 0)
        goto fail;
    if (acquire(st, cfg->username, unavailable, e) != 0)
        goto fail;
    nb.value = (void *)cfg->target;
    nb.length = strlen(cfg->target);
    maj = gss_import_name(&min, &nb,
                          cfg->target_is_principal ? GSS_KRB5_NT_PRINCIPAL_NAME : GSS_C_NT_HOSTBASED_SERVICE,
                          &st->target);
    if (GSS_ERROR(maj)) {
        wsman_buf_t t;
        wsman_buf_init(&t);
        status_text(maj, min, &t);
        wsman_error_set(e, WSMAN_E_SEC_WRONG_PRINCIPAL,
                        "Kerberos: the SPN \"%s\" is not valid (%s). Check options.spn.", cfg->target,
                        t.data ? t.data : "");
        wsman_buf_free(&t);
        goto fail;
    }
    return st;
fail:
    gss_destroy(st);
    return NULL;
}

int wsman_gss_step_unavailable(void *p)
{
    gss_state_t *st = p;
    return st ? st->step_unavailable : 0;
}

const char *wsman_gss_principal(void *p)
{
    gss_state_t *st = p;
    return st && st->principal ? st->principal : "";
}

int wsman_gss_delegated(void *p)
{
    gss_state_t *st = p;
    return st ? st->delegated : 0;
}

/* "HTTP@host:5985" -> "HTTP/host:5985" for messages (the form SPNs are written in). */
static void spn_display(const gss_state_t *st, wsman_buf_t *out)
{
    const char *t = st->target_text, *at = strchr(t, '@');
    if (at && !strchr(t, '/')) {
        wsman_buf_append(out, t, (size_t)(at - t));
        wsman_buf_puts(out, "/");
        wsman_buf_puts(out, at + 1);
    } else {
        wsman_buf_puts(out, t);
    }
}

static void init_failed(gss_state_t *st, OM_uint32 maj, OM_uint32 min, wsman_error_t *e)
{
    wsman_buf_t t, spn;
    uint32_t code = WSMAN_E_SEC_NO_CREDENTIALS;
    const char *fix = "";

    wsman_buf_init(&t);
    wsman_buf_init(&spn);
    status_text(maj, min, &t);
    spn_display(st, &spn);
    switch ((krb5_error_code)min) {
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
        code = WSMAN_E_SEC_TARGET_UNKNOWN;
        st->step_unavailable = 1;
        fix = " The KDC has no service principal of that name: register it for the host (setspn -S), connect "
              "with the host name it is registered under, or set options.spn (and "
              "SessionFlagEnableSPNServerPort only if the SPN has the port).";
        break;
    case KRB5_KDC_UNREACH:
    case KRB5_REALM_UNKNOWN:
    case KRB5_REALM_CANT_RESOLVE:
        code = WSMAN_E_SEC_NO_AUTHENTICATING_AUTHORITY;
        st->step_unavailable = 1;
        fix =
            " No KDC could be reached for the service's realm: check krb5.conf ([domain_realm] maps the host "
            "to its realm) and the network path to the KDC.";
        break;
    case KRB5KRB_AP_ERR_SKEW:
        code = WSMAN_E_SEC_TIME_SKEW;
        fix = " Synchronise this computer's clock with the KDC's.";
        break;
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
    case KRB5KDC_ERR_TGT_REVOKED:
        fix = " The ticket has expired: run kinit again (or give the password).";
        break;
    case KRB5KDC_ERR_BADOPTION:
        fix = st->delegate ? " The KDC refused an option: for options.delegate the user's ticket must be "
                             "forwardable (kinit -f) and the account trusted for delegation."
                           : "";
        break;
    default:
        if (maj == GSS_S_NO_CRED || maj == GSS_S_CREDENTIALS_EXPIRED)
            fix = " Run kinit, or give options.UserName and options.Password.";
        break;
    }
    wsman_error_set(e, code, "Kerberos could not create a ticket for the SPN %s (user %s): %s.%s",
                    spn.data ? spn.data : "", st->principal && *st->principal ? st->principal : "(default)",
                    t.data ? t.data : "", fix);
    wsman_buf_free(&t);
    wsman_buf_free(&spn);
}

/* SPNEGO reports a failed Kerberos as "no mechanism to negotiate": ask Kerberos itself what went
 * wrong (a credential and a first token for the same target, thrown away), for the message and
 * for Negotiate's fallback to NTLM. Only on the failure path. */
static void diagnose_krb5(gss_state_t *st, OM_uint32 *maj, OM_uint32 *min)
{
    gss_OID_set_desc krb5_set = {1, (gss_OID)gss_mech_krb5};
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_buffer_desc out = {0, NULL};
    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 dmaj, dmin = 0, m;

    if (st->mem_cc) {
        char *ccname = NULL;
        gss_key_value_element_desc el;
        gss_key_value_set_desc store;
        if (krb5_cc_get_full_name(st->kctx, st->mem_cc, &ccname) != 0)
            return;
        el.key = "ccache";
        el.value = ccname;
        store.count = 1;
        store.elements = &el;
        dmaj = gss_acquire_cred_from(&dmin, GSS_C_NO_NAME, GSS_C_INDEFINITE, &krb5_set, GSS_C_INITIATE,
                                     &store, &cred, NULL, NULL);
        krb5_free_string(st->kctx, ccname);
    } else {
        if (st->principal && *st->principal) {
            gss_buffer_desc nb;
            nb.value = st->principal;
            nb.length = strlen(st->principal);
            if (GSS_ERROR(gss_import_name(&m, &nb, GSS_KRB5_NT_PRINCIPAL_NAME, &name)))
                name = GSS_C_NO_NAME;
        }
        dmaj = gss_acquire_cred(&dmin, name, GSS_C_INDEFINITE, &krb5_set, GSS_C_INITIATE, &cred, NULL, NULL);
        if (name != GSS_C_NO_NAME)
            gss_release_name(&m, &name);
    }
    if (!GSS_ERROR(dmaj))
        dmaj = gss_init_sec_context(&dmin, cred, &ctx, st->target, (gss_OID)gss_mech_krb5,
                                    GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 0,
                                    GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL, &out, NULL, NULL);
    if (GSS_ERROR(dmaj)) {
        *maj = dmaj;
        *min = dmin;
    }
    if (out.value)
        gss_release_buffer(&m, &out);
    if (ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&m, &ctx, GSS_C_NO_BUFFER);
    if (cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&m, &cred);
}

/* The server's token from a WWW-Authenticate value ("<scheme> <base64>" or the bare base64),
 * decoded into raw (empty: none). */
static int read_challenge(const gss_state_t *st, const char *challenge, const char *scheme, wsman_buf_t *raw,
                          wsman_error_t *e)
{
    const char *tok = challenge;
    size_t n = strlen(scheme);

    while (*tok == ' ' || *tok == '\t')
        tok++;
    if (strncasecmp(tok, scheme, n) == 0 && (tok[n] == ' ' || tok[n] == '\t' || tok[n] == '\0'))
        tok += n;
    while (*tok == ' ' || *tok == '\t')
        tok++;
    if (!*tok && st->ctx != GSS_C_NO_CONTEXT) {
        wsman_error_set(e, WSMAN_E_ACCESS_DENIED, "Kerberos: the server answered without a token.");
        return -1;
    }
    if (*tok && wsman_base64_decode(raw, tok, strlen(tok)) != 0) {
        wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN, "Kerberos: the server's %s token is not valid base64.",
                        scheme);
        return -1;
    }
    if (st->ctx == GSS_C_NO_CONTEXT && raw->len) {
        wsman_error_set(e, WSMAN_E_SEC_INVALID_TOKEN,
                        "Kerberos: the server sent a %s token before the client's first token.", scheme);
        return -1;
    }
    return 0;
}

/* The error of a failed gss_init_sec_context: the server's token refused (replied), or the
 * first token not made. */
static void step_failed(gss_state_t *st, OM_uint32 maj, OM_uint32 min, int replied, const char *scheme,
                        wsman_error_t *e)
{
    wsman_buf_t t;

    if (!replied) {
        if (st->spnego)
            diagnose_krb5(st, &maj, &min);
        init_failed(st, maj, min, e);
        return;
    }
    wsman_buf_init(&t);
    status_text(maj, min, &t);
    wsman_error_set(
        e, (maj & 0xffff0000u) == GSS_S_BAD_SIG ? WSMAN_E_SEC_MESSAGE_ALTERED : WSMAN_E_SEC_INVALID_TOKEN,
        "Kerberos: the server's %s token was refused (%s): mutual authentication failed, "
        "so the server is not the one the SPN names.",
        scheme, t.data ? t.data : "");
    wsman_buf_free(&t);
}

static int gss_step(void *p, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e)
{
    gss_state_t *st = p;
    gss_buffer_desc in = {0, NULL}, out = {0, NULL};
    struct gss_channel_bindings_struct cb;
    wsman_buf_t raw;
    OM_uint32 maj, min, m, req;
    const char *scheme = st->spnego ? "Negotiate" : "Kerberos";
    int rc = -1;

    *done = 0;
    st->step_unavailable = 0;
    if (st->complete) {
        wsman_error_set(e, WSMAN_E_ACCESS_DENIED,
                        "Kerberos: the server asked for another leg after the context "
                        "was complete.");
        return -1;
    }
    wsman_buf_init(&raw);
    if (challenge && read_challenge(st, challenge, scheme, &raw, e) != 0) {
        wsman_buf_free(&raw);
        return -1;
    }
    in.value = raw.data;
    in.length = raw.len;
    req = GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    if (st->delegate)
        req |= GSS_C_DELEG_FLAG;
    memset(&cb, 0, sizeof cb);
    if (st->have_cbt) {
        cb.initiator_addrtype = GSS_C_AF_UNSPEC;
        cb.acceptor_addrtype = GSS_C_AF_UNSPEC;
        cb.application_data.value = st->cbt;
        cb.application_data.length = st->cbt_len;
    }
    maj = gss_init_sec_context(&min, st->cred, &st->ctx, st->target,
                               st->spnego ? &spnego_oid_desc : (gss_OID)gss_mech_krb5, req, 0,
                               st->have_cbt ? &cb : GSS_C_NO_CHANNEL_BINDINGS,
                               in.length ? &in : GSS_C_NO_BUFFER, NULL, &out, &st->ret_flags, NULL);
    wsman_buf_free_secure(&raw);
    if (GSS_ERROR(maj)) {
        step_failed(st, maj, min, in.length != 0, scheme, e);
        goto out;
    }
    if (!in.length && st->delegate && !(st->ret_flags & GSS_C_DELEG_FLAG)) {
        wsman_error_set(
            e, WSMAN_E_SEC_NO_CREDENTIALS,
            "Kerberos: options.delegate is set but the ticket of %s cannot be delegated: the ticket "
            "granting ticket is not forwardable. Get a forwardable ticket (kinit -f, or "
            "\"forwardable = true\" in krb5.conf), or give the password so lua-wsman gets one.",
            st->principal && *st->principal ? st->principal : "the user");
        goto out;
    }
    if (maj == GSS_S_COMPLETE) {
        st->complete = 1;
        st->delegated = (st->ret_flags & GSS_C_DELEG_FLAG) != 0;
        *done = 1;
    }
    wsman_buf_reset(header_value);
    if (out.length && (wsman_buf_puts(header_value, scheme) != 0 || wsman_buf_puts(header_value, " ") != 0 ||
                       wsman_base64_encode(header_value, out.value, out.length) != 0)) {
        wsman_error_oom(e, "authenticating with Kerberos");
        goto out;
    }
    rc = 0;
out:
    if (out.value)
        gss_release_buffer(&m, &out);
    return rc;
}

static int gss_header(void *st, wsman_buf_t *header_value, wsman_error_t *e)
{
    (void)st;
    (void)header_value;
    (void)e;
    return 0; /* connection-authenticated */
}

static void gss_reset(void *p)
{
    gss_state_t *st = p;
    OM_uint32 m;
    if (st->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&m, &st->ctx, GSS_C_NO_BUFFER);
    st->ctx = GSS_C_NO_CONTEXT;
    st->complete = 0;
    st->delegated = 0;
    st->ret_flags = 0;
    st->step_unavailable = 0;
}

static int not_ready(wsman_error_t *e)
{
    wsman_error_set(e, WSMAN_E_ACCESS_DENIED, "Kerberos: message encryption before the context is complete.");
    return -1;
}

static int gss_wrap_msg(void *p, const unsigned char *plain, size_t len, wsman_buf_t *header,
                        wsman_buf_t *data, size_t *length_field, wsman_error_t *e)
{
    gss_state_t *st = p;
    gss_iov_buffer_desc iov[3];
    OM_uint32 maj, min, m;
    int conf = 0;
    size_t off;

    if (!st->complete)
        return not_ready(e);
    /* encrypted in place: the data goes straight into its place in data */
    off = data->len;
    if (wsman_buf_append(data, plain, len) != 0)
        return wsman_error_oom(e, "authenticating with Kerberos");
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER | GSS_IOV_BUFFER_FLAG_ALLOCATE;
    iov[0].buffer.length = 0;
    iov[0].buffer.value = NULL;
    iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[1].buffer.length = len;
    iov[1].buffer.value = data->data + off;
    iov[2].type = GSS_IOV_BUFFER_TYPE_PADDING | GSS_IOV_BUFFER_FLAG_ALLOCATE;
    iov[2].buffer.length = 0;
    iov[2].buffer.value = NULL;
    maj = gss_wrap_iov(&min, st->ctx, 1, GSS_C_QOP_DEFAULT, &conf, iov, 3);
    if (GSS_ERROR(maj) || !conf) {
        wsman_buf_t t;
        protection_failure(maj, min, "the context offers no confidentiality", &t);
        OPENSSL_cleanse(data->data + off, len);
        data->len = off;
        if (data->data)
            data->data[off] = '\0';
        wsman_error_set(e, WSMAN_E_SEC_MESSAGE_ALTERED, "Kerberos: encrypting the message failed (%s).",
                        t.data ? t.data : "");
        wsman_buf_free(&t);
        gss_release_iov_buffer(&m, iov, 3);
        return -1;
    }
    if (wsman_buf_append(header, iov[0].buffer.value, iov[0].buffer.length) != 0 ||
        (iov[2].buffer.length && wsman_buf_append(data, iov[2].buffer.value, iov[2].buffer.length) != 0)) {
        gss_release_iov_buffer(&m, iov, 3);
        return wsman_error_oom(e, "authenticating with Kerberos");
    }
    *length_field = len + iov[2].buffer.length;
    gss_release_iov_buffer(&m, iov, 3);
    return 0;
}

static int gss_unwrap_msg(void *p, const unsigned char *header, size_t header_len, const unsigned char *data,
                          size_t data_len, wsman_buf_t *plain, wsman_error_t *e)
{
    gss_state_t *st = p;
    gss_iov_buffer_desc iov[3];
    OM_uint32 maj, min;
    unsigned char *work;
    int conf = 0;
    gss_qop_t qop = 0;

    if (!st->complete)
        return not_ready(e);
    work = malloc(header_len + data_len + 1);
    if (!work)
        return wsman_error_oom(e, "authenticating with Kerberos");
    memcpy(work, header, header_len);
    if (data_len)
        memcpy(work + header_len, data, data_len);
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
    iov[0].buffer.length = header_len;
    iov[0].buffer.value = work;
    iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[1].buffer.length = data_len;
    iov[1].buffer.value = work + header_len;
    iov[2].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[2].buffer.length = 0;
    iov[2].buffer.value = NULL;
    maj = gss_unwrap_iov(&min, st->ctx, &conf, &qop, iov, 3);
    if (GSS_ERROR(maj) || !conf) {
        wsman_buf_t t;
        protection_failure(maj, min, "the reply was signed but not encrypted", &t);
        wsman_secure_free_n(work, header_len + data_len + 1);
        wsman_error_set(e, WSMAN_E_SEC_MESSAGE_ALTERED,
                        "Kerberos: the server's encrypted reply could not be decrypted or verified (%s).",
                        t.data ? t.data : "");
        wsman_buf_free(&t);
        st->complete = 0; /* unusable: re-authenticate */
        return -1;
    }
    if (wsman_buf_append(plain, iov[1].buffer.value, iov[1].buffer.length) != 0) {
        wsman_secure_free_n(work, header_len + data_len + 1);
        return wsman_error_oom(e, "authenticating with Kerberos");
    }
    wsman_secure_free_n(work, header_len + data_len + 1);
    return 0;
}

static int gss_set_cbt(void *p, const unsigned char *appdata, size_t len, wsman_error_t *e)
{
    gss_state_t *st = p;
    unsigned char *c = NULL;

    if (appdata && !(c = wsman_memdup(appdata, len)))
        return wsman_error_oom(e, "authenticating with Kerberos");
    wsman_secure_free_n(st->cbt, st->cbt_len);
    st->cbt = c;
    st->cbt_len = appdata ? len : 0;
    st->have_cbt = appdata != NULL;
    return 0;
}

static const char *describe_spnego(void *st)
{
    (void)st;
    return "Negotiate (Kerberos)";
}

/* The two GSSAPI mechanisms differ only in name, encryption protocol and description. */
#define GSS_MECH(mech_name, protocol, describer)                                                             \
    {                                                                                                        \
        .name = (mech_name), .create = NULL, .step = gss_step, .header = gss_header, .reset = gss_reset,     \
        .destroy = gss_destroy, .encrypt_protocol = (protocol), .wrap = gss_wrap_msg,                        \
        .unwrap = gss_unwrap_msg, .set_channel_bindings = gss_set_cbt, .flags = WSMAN_MECH_CONNECTION,       \
        .describe = (describer),                                                                             \
    }

const wsman_auth_mech_t wsman_auth_gss_kerberos =
    GSS_MECH("Kerberos", "application/HTTP-Kerberos-session-encrypted", NULL);

const wsman_auth_mech_t wsman_auth_gss_negotiate =
    GSS_MECH("Negotiate", "application/HTTP-SPNEGO-session-encrypted", describe_spnego);

#else /* !WSMAN_HAVE_GSSAPI */

int wsman_gss_built(void)
{
    return 0;
}

void *wsman_gss_new(const wsman_gss_config_t *cfg, int *unavailable, wsman_error_t *e)
{
    (void)cfg;
    if (unavailable)
        *unavailable = 1;
    wsman_error_set(
        e, WSMAN_E_AUTHENTICATION_INVALID_FLAG,
        "Kerberos is not available: this build of lua-wsman was made without GSSAPI (rebuild with "
        "MIT Kerberos' development files installed, e.g. libkrb5-dev, and meson -Dgssapi=enabled).");
    return NULL;
}

int wsman_gss_step_unavailable(void *st)
{
    (void)st;
    return 1;
}

const char *wsman_gss_principal(void *st)
{
    (void)st;
    return "";
}

int wsman_gss_delegated(void *st)
{
    (void)st;
    return 0;
}

static int nogss_step(void *st, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e)
{
    (void)st;
    (void)challenge;
    (void)header_value;
    (void)done;
    return wsman_gss_new(NULL, NULL, e) ? 0 : -1;
}

static int nogss_header(void *st, wsman_buf_t *header_value, wsman_error_t *e)
{
    (void)st;
    (void)header_value;
    (void)e;
    return 0;
}

static void nogss_void(void *st)
{
    (void)st;
}

/* Both mechanisms only explain that this build has no GSSAPI. */
#define NOGSS_MECH(mech_name)                                                                                \
    {                                                                                                        \
        .name = (mech_name), .step = nogss_step, .header = nogss_header, .reset = nogss_void,                \
        .destroy = nogss_void, .flags = WSMAN_MECH_CONNECTION,                                               \
    }

const wsman_auth_mech_t wsman_auth_gss_kerberos = NOGSS_MECH("Kerberos");

const wsman_auth_mech_t wsman_auth_gss_negotiate = NOGSS_MECH("Negotiate");

#endif
