/* SPDX-License-Identifier: MIT */
/*
 * gss.h - Kerberos for WinRM through GSSAPI (MIT krb5): the "Kerberos" HTTP scheme (raw Kerberos
 * GSS tokens, MS-WSMV 2.2.9.1.2) and Kerberos inside "Negotiate" (SPNEGO limited to Kerberos, so a
 * system-wide NTLM GSSAPI plug-in such as gss-ntlmssp is never picked: NTLM is ntlm.c's).
 *
 *   g = wsman_gss_new(&cfg, &unavailable, &e)     acquires the credentials (password: an AS
 *                                                  exchange into a private in-memory cache; else
 *                                                  the user's credential cache / client keytab)
 *   the auth.h mechanism (wsman_auth_gss_kerberos / _negotiate) then drives the context:
 *   step -> "Kerberos <b64 AP-REQ>" / "Negotiate <b64 NegTokenInit>", the server's final token
 *   (AP-REP) completes mutual authentication, wrap/unwrap seal messages with gss_wrap_iov /
 *   gss_unwrap_iov (HEADER | DATA | PADDING, MS-WSMV 2.2.9.1.2), set_channel_bindings adds the
 *   RFC 5929 tls-server-end-point data over HTTPS.
 *
 * Built only with the meson feature "gssapi" (WSMAN_HAVE_GSSAPI). Without it wsman_gss_new fails
 * with an error saying this build has no Kerberos, and *unavailable is set so Negotiate uses NTLM.
 * Secrets: the password is used for the AS exchange and not kept; the in-memory credential cache
 * is destroyed with the state.
 */
#ifndef WSMAN_GSS_H
#define WSMAN_GSS_H

#include "auth.h"

typedef struct wsman_gss_config {
    const char *username; /* "DOMAIN\\user", "user@domain", "user"; NULL/"": the cache's principal */
    const char *password; /* NULL: the default credential cache or client keytab (no AS exchange) */
    const char *target;   /* "service@host[:port]" (host-based), or a principal when target_is_principal */
    int target_is_principal;
    int spnego;   /* 1: Negotiate scheme (SPNEGO with Kerberos only); 0: Kerberos scheme (raw tokens) */
    int delegate; /* forwardable TGT and GSS_C_DELEG_FLAG: the server gets a delegated credential */
} wsman_gss_config_t;

/* 1 when this build has GSSAPI. */
int wsman_gss_built(void);

/* Acquires credentials. NULL with e set on failure; *unavailable = 1 when the failure only means
 * Kerberos cannot be used from here (no KDC known for the realm, KDC unreachable, the client
 * principal unknown, no ticket in the cache, no GSSAPI in this build), so that Negotiate may use
 * NTLM instead; 0 for real failures (wrong password, expired password, locked account). */
void *wsman_gss_new(const wsman_gss_config_t *cfg, int *unavailable, wsman_error_t *e);

/* After a failed step: 1 when the failure means Kerberos cannot be used for this target (SPN
 * unknown to the KDC, KDC unreachable), so Negotiate may fall back to NTLM before sending anything. */
int wsman_gss_step_unavailable(void *st);

/* The client principal (for messages), or "". */
const char *wsman_gss_principal(void *st);

/* 1 when the established context carries a delegated credential (options.delegate). */
int wsman_gss_delegated(void *st);

/* The mechanisms (state from wsman_gss_new; their create member is NULL). */
extern const wsman_auth_mech_t wsman_auth_gss_kerberos;  /* scheme "Kerberos", Kerberos protocol */
extern const wsman_auth_mech_t wsman_auth_gss_negotiate; /* scheme "Negotiate", SPNEGO protocol */

#endif
