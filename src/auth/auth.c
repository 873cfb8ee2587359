/*
 * auth.c - picks the HTTP authentication mechanism for a session's flags.
 *
 * Built now: Basic (basic.c) and no authentication. Every other mechanism (Digest, Negotiate,
 * Kerberos, CredSSP, client certificates, and COM's default when no mechanism flag is given,
 * Negotiate/Kerberos) fails with an error saying it is not available in this build yet; there
 * is never a silent fallback to another mechanism.
 *
 * As on Windows, Basic over plain http:// is refused unless WSMAN_FLAG_NO_ENCRYPTION is set
 * (ERROR_WSMAN_CLIENT_UNENCRYPTED_DISABLED, 0x803380DE): the check happens here, before any
 * request, so the credential is never sent in clear by accident.
 */
#include "auth.h"

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

static const char *mech_flag_name(uint32_t flag)
{
    switch (flag) {
    case WSMAN_FLAG_USE_DIGEST:
        return "Digest authentication (SessionFlagUseDigest)";
    case WSMAN_FLAG_USE_NEGOTIATE:
        return "Negotiate authentication (SessionFlagUseNegotiate)";
    case WSMAN_FLAG_USE_KERBEROS:
        return "Kerberos authentication (SessionFlagUseKerberos)";
    case WSMAN_FLAG_USE_CREDSSP:
        return "CredSSP authentication (SessionFlagUseCredSsp)";
    case WSMAN_FLAG_USE_CLIENT_CERTIFICATE:
        return "Client certificate authentication (SessionFlagUseClientCertificate)";
    default:
        return "Negotiate/Kerberos authentication (the default when no SessionFlagUse... authentication flag "
               "is given)";
    }
}

wsman_auth_t *wsman_auth_new(uint32_t flags, const wsman_credentials_t *creds, const wsman_endpoint_t *ep,
                             wsman_error_t *e)
{
    uint32_t mech = flags & AUTH_MECH_FLAGS;
    int has_user = creds && creds->username && *creds->username;
    int has_password = creds && creds->password && *creds->password;
    wsman_auth_t *a;
    void *st;

    if (popcount32(mech) > 1) {
        wsman_error_set(e, WSMAN_E_CLIENT_MULTIPLE_AUTH_FLAGS,
                        "More than one authentication flag is set (flags 0x%X). Choose one of "
                        "SessionFlagUseBasic, SessionFlagUseNoAuthentication, SessionFlagUseNegotiate, "
                        "SessionFlagUseKerberos, SessionFlagUseDigest, SessionFlagUseCredSsp, "
                        "SessionFlagUseClientCertificate.",
                        (unsigned)mech);
        return NULL;
    }

    if (mech == WSMAN_FLAG_USE_NO_AUTHENTICATION) {
        if (has_user || has_password) {
            wsman_error_set(
                e, 0x803380ABu, /* ERROR_WSMAN_CREDS_PASSED_WITH_NO_AUTH_FLAG */
                "SessionFlagUseNoAuthentication was given together with options.UserName or "
                "options.Password. Remove the credentials, or choose an authentication flag such as "
                "SessionFlagUseBasic.");
            return NULL;
        }
        return NULL; /* no authentication; e untouched (code 0) */
    }

    if (mech != WSMAN_FLAG_USE_BASIC) {
        wsman_error_set(e, 0x80004001u, /* E_NOTIMPL */
                        "%s is not available in this build of lua-wsman yet. Use SessionFlagUseBasic with "
                        "options.UserName and options.Password (over HTTPS, or over HTTP with "
                        "SessionFlagNoEncryption where the host allows unencrypted traffic).",
                        mech_flag_name(mech));
        return NULL;
    }

    /* Basic */
    if (!has_user) {
        wsman_error_set(e, WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED,
                        "Basic authentication needs a user name and password: set options.UserName and "
                        "options.Password on the ConnectionOptions passed to CreateSession (with "
                        "SessionFlagCredUsernamePassword).");
        return NULL;
    }
    if (ep && ep->scheme && strcasecmp(ep->scheme, "https") != 0 && !(flags & WSMAN_FLAG_NO_ENCRYPTION)) {
        wsman_error_set(
            e, WSMAN_E_UNENCRYPTED_DISABLED,
            "The WinRM client cannot process the request. Unencrypted traffic is currently disabled "
            "in the client configuration: Basic authentication over %s would send the password "
            "unencrypted. Connect with HTTPS (https:// or SessionFlagUseSsl), or, if the host allows "
            "unencrypted traffic (winrm/config/service AllowUnencrypted=true), set "
            "SessionFlagNoEncryption.",
            ep->url ? ep->url : "http://");
        return NULL;
    }

    st = wsman_auth_basic.create(creds, ep ? ep->host : NULL, e);
    if (!st)
        return NULL;
    a = calloc(1, sizeof *a);
    if (!a) {
        wsman_auth_basic.destroy(st);
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY, NULL);
        return NULL;
    }
    a->mech = &wsman_auth_basic;
    a->state = st;
    a->done = 1; /* Basic is preemptive: no handshake */
    return a;
}

void wsman_auth_free(wsman_auth_t *a)
{
    if (!a)
        return;
    if (a->mech && a->mech->destroy)
        a->mech->destroy(a->state);
    free(a);
}
