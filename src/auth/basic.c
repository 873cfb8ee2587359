/* SPDX-License-Identifier: MIT */
/*
 * basic.c - HTTP Basic authentication (RFC 7617): "Authorization: Basic base64(user:password)"
 * sent preemptively on every request. The credentials are copied at creation and overwritten
 * (OPENSSL_cleanse) when the mechanism is destroyed; they are never logged or put in errors.
 * The header value is secret too: callers should release it with wsman_buf_free_secure().
 */
#include "auth.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

typedef struct basic_state {
    char *user;
    size_t user_len;
    char *password;
    size_t password_len;
} basic_state_t;

static void cleanse_free(char *s, size_t n)
{
    if (s) {
        OPENSSL_cleanse(s, n);
        free(s);
    }
}

static void basic_destroy(void *p)
{
    basic_state_t *st = p;
    if (!st)
        return;
    cleanse_free(st->user, st->user_len);
    cleanse_free(st->password, st->password_len);
    OPENSSL_cleanse(st, sizeof *st);
    free(st);
}

static void *basic_create(const wsman_credentials_t *creds, const char *host, wsman_error_t *e)
{
    basic_state_t *st;
    const char *user = creds && creds->username ? creds->username : "";
    const char *pass = creds && creds->password ? creds->password : "";
    (void)host;

    if (strchr(user, ':')) {
        wsman_error_set(e, WSMAN_E_INVALIDARG,
                        "The user name for Basic authentication must not contain ':' (RFC 7617). Use "
                        "\"DOMAIN\\\\user\", \"user@domain\" or \"user\" in options.UserName.");
        return NULL;
    }
    st = calloc(1, sizeof *st);
    if (!st)
        goto oom;
    st->user_len = strlen(user);
    st->password_len = strlen(pass);
    st->user = malloc(st->user_len + 1);
    st->password = malloc(st->password_len + 1);
    if (!st->user || !st->password)
        goto oom;
    memcpy(st->user, user, st->user_len + 1);
    memcpy(st->password, pass, st->password_len + 1);
    return st;
oom:
    basic_destroy(st);
    wsman_error_oom(e, NULL);
    return NULL;
}

static int basic_header(void *p, wsman_buf_t *header_value, wsman_error_t *e)
{
    basic_state_t *st = p;
    size_t n;
    unsigned char *plain;
    int rc = -1;

    if (!st || !header_value) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "Basic authentication: no state or output buffer");
        return -1;
    }
    n = st->user_len + 1 + st->password_len;
    plain = malloc(n);
    if (!plain) {
        wsman_error_oom(e, NULL);
        return -1;
    }
    memcpy(plain, st->user, st->user_len);
    plain[st->user_len] = ':';
    memcpy(plain + st->user_len + 1, st->password, st->password_len);

    /* the buffer may hold an older header value: overwrite it, then write the new one */
    if (header_value->data && header_value->cap)
        OPENSSL_cleanse(header_value->data, header_value->cap);
    wsman_buf_reset(header_value);
    if (wsman_buf_puts(header_value, "Basic ") == 0 && wsman_base64_encode(header_value, plain, n) == 0)
        rc = 0;
    else
        wsman_error_oom(e, NULL);
    OPENSSL_cleanse(plain, n);
    free(plain);
    return rc;
}

static int basic_step(void *p, const char *challenge, wsman_buf_t *header_value, int *done, wsman_error_t *e)
{
    (void)challenge;
    if (done)
        *done = 1;
    return basic_header(p, header_value, e);
}

static void basic_reset(void *p)
{
    (void)p; /* stateless */
}

const wsman_auth_mech_t wsman_auth_basic = {
    .name = "Basic",
    .create = basic_create,
    .step = basic_step,
    .header = basic_header,
    .reset = basic_reset,
    .destroy = basic_destroy,
    .flags = WSMAN_MECH_PREEMPTIVE,
};
