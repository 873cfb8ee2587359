/* SPDX-License-Identifier: MIT */
/*
 * test_auth.c - mechanism selection (the flags matrix, as COM picks), SPNs, the errors that come
 * before anything is sent, CertificateThumbprint look-up, and the messages of failed
 * authentication (handshake.c) - with no password in any of them. No network, no KDC: Kerberos
 * runs with an empty krb5.conf, so it is "unavailable" at once. (With a KDC: test_gss.c.)
 */
#include "check.h"
#include "testutil.h"

#include "auth.h"
#include "gss.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* LeakSanitizer: what MIT's GSSAPI mechanism glue and the gss-ntlmssp plug-in it loads allocate
 * once and never free is theirs (valgrind: spec/c/valgrind.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:gssntlmssp.so\nleak:krb5int_open_plugin\nleak:gss_indicate_mechs\n";
}

static const char *const PASSWORD = "S3cret-pa55!";

#define CHECK_HAS(s, needle)                                                                                 \
    do {                                                                                                     \
        if (!contains((s), (needle))) {                                                                      \
            printf("# %s:%d: \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, (s) ? (s) : "(null)", (needle));    \
            check_cur_failed = 1;                                                                            \
        }                                                                                                    \
    } while (0)

static void no_password(const wsman_error_t *e)
{
    if (contains(e->message, PASSWORD) || contains(e->fault_xml, PASSWORD)) {
        printf("# the password appears in: %s\n", e->message);
        check_cur_failed = 1;
    }
}

static wsman_auth_t *pick(uint32_t flags, const char *conn, const char *user, const char *password,
                          const char *spn, int delegate, wsman_error_t *e)
{
    wsman_endpoint_t ep;
    wsman_auth_params_t p;
    wsman_auth_t *a;

    if (wsman_endpoint_parse(conn, flags, &ep, NULL) != 0)
        return NULL;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    p.username = user;
    p.password = password;
    p.ep = &ep;
    p.spn = spn;
    p.delegate = delegate;
    a = wsman_auth_new_ex(&p, e);
    wsman_endpoint_clear(&ep);
    return a;
}

static void expect_error(uint32_t flags, const char *conn, const char *user, const char *password,
                         uint32_t code, const char *needle)
{
    wsman_error_t e;
    wsman_auth_t *a;
    wsman_error_init(&e);
    a = pick(flags, conn, user, password, NULL, 0, &e);
    CHECK(a == NULL);
    CHECK_INT(e.code, code);
    if (needle)
        CHECK_HAS(e.message, needle);
    no_password(&e);
    wsman_auth_free(a);
    wsman_error_clear(&e);
}

TEST(spn_rules)
{
    wsman_endpoint_t ep, v6;
    char *s;

    CHECK_INT(wsman_endpoint_parse("http://srv.example:5985", 0, &ep, NULL), 0);
    CHECK_INT(wsman_endpoint_parse("https://[::1]:5986", 0, &v6, NULL), 0);
    CHECK_STR(s = wsman_auth_spn(NULL, &ep, 0), "HTTP/srv.example");
    free(s);
    CHECK_STR(s = wsman_auth_spn(NULL, &ep, WSMAN_FLAG_ENABLE_SPN_SERVER_PORT), "HTTP/srv.example:5985");
    free(s);
    CHECK_STR(s = wsman_auth_spn("", &ep, 0), "HTTP/srv.example");
    free(s);
    CHECK_STR(s = wsman_auth_spn("WSMAN", &ep, 0), "WSMAN/srv.example");
    free(s);
    CHECK_STR(s = wsman_auth_spn("WSMAN", &ep, WSMAN_FLAG_ENABLE_SPN_SERVER_PORT), "WSMAN/srv.example:5985");
    free(s);
    CHECK_STR(s = wsman_auth_spn("HTTP/alias.example", &ep, WSMAN_FLAG_ENABLE_SPN_SERVER_PORT),
              "HTTP/alias.example");
    free(s);
    CHECK_STR(s = wsman_auth_spn("HTTP/h@REALM.TEST", &ep, 0), "HTTP/h@REALM.TEST");
    free(s);
    CHECK_STR(s = wsman_auth_spn(NULL, &v6, 0), "HTTP/::1");
    free(s);
    wsman_endpoint_clear(&ep);
    wsman_endpoint_clear(&v6);
}

TEST(selection_matrix)
{
    wsman_error_t e;
    wsman_auth_t *a;

    wsman_error_init(&e);
    /* Negotiate with a local account: NTLM, encrypted over HTTP, channel binding over HTTPS */
    a = pick(WSMAN_FLAG_USE_NEGOTIATE, "http://h:5985", "testuser", PASSWORD, NULL, 0, &e);
    CHECK(a != NULL);
    if (a) {
        CHECK_STR(a->mech->name, "Negotiate");
        CHECK_STR(wsman_auth_describe(a), "Negotiate (NTLM)");
        CHECK_HAS(wsman_auth_note(a), "local account");
        CHECK_INT(a->encrypt, 1);
        CHECK_INT(a->channel_bind, 0);
        CHECK_STR(a->spn, "HTTP/h");
        CHECK(a->mech->flags & WSMAN_MECH_CONNECTION);
        CHECK_STR(a->mech->encrypt_protocol, "application/HTTP-SPNEGO-session-encrypted");
    }
    wsman_auth_free(a);
    /* no mechanism flag: Negotiate, as COM */
    a = pick(WSMAN_FLAG_CRED_USERNAME_PASSWORD, "h", "DOM\\u", PASSWORD, NULL, 0, &e);
    CHECK(a != NULL);
    if (a) {
        CHECK_STR(wsman_auth_describe(a), "Negotiate (NTLM)");
        CHECK_HAS(wsman_auth_note(a), "Kerberos was not used"); /* no KDC for DOM */
    }
    wsman_auth_free(a);
    wsman_error_clear(&e);
    /* HTTPS: no message encryption, channel binding */
    a = pick(WSMAN_FLAG_USE_NEGOTIATE | WSMAN_FLAG_USE_SSL, "h", "testuser", PASSWORD, NULL, 0, &e);
    CHECK(a != NULL);
    if (a) {
        CHECK_INT(a->encrypt, 0);
        CHECK_INT(a->channel_bind, 1);
    }
    wsman_auth_free(a);
    /* NoEncryption over HTTP */
    a = pick(WSMAN_FLAG_USE_NEGOTIATE | WSMAN_FLAG_NO_ENCRYPTION, "h", "testuser", PASSWORD, NULL, 0, &e);
    CHECK(a != NULL);
    if (a)
        CHECK_INT(a->encrypt, 0);
    wsman_auth_free(a);
    /* SPN port and override */
    a = pick(WSMAN_FLAG_USE_NEGOTIATE | WSMAN_FLAG_ENABLE_SPN_SERVER_PORT, "h:5985", "testuser", PASSWORD,
             NULL, 0, &e);
    CHECK(a != NULL);
    if (a)
        CHECK_STR(a->spn, "HTTP/h:5985");
    wsman_auth_free(a);
    a = pick(WSMAN_FLAG_USE_NEGOTIATE, "h", "testuser", PASSWORD, "WSMAN", 0, &e);
    CHECK(a != NULL);
    if (a)
        CHECK_STR(a->spn, "WSMAN/h");
    wsman_auth_free(a);
    /* Digest over HTTPS or with NoEncryption; client certificates */
    a = pick(WSMAN_FLAG_USE_DIGEST | WSMAN_FLAG_NO_ENCRYPTION, "h", "u", PASSWORD, NULL, 0, &e);
    CHECK(a != NULL);
    if (a) {
        CHECK_STR(a->mech->name, "Digest");
        CHECK(a->mech->flags & WSMAN_MECH_TRANSPORT);
    }
    wsman_auth_free(a);
    {
        wsman_endpoint_t ep;
        wsman_auth_params_t p;
        wsman_buf_t h;
        wsman_buf_init(&h);
        CHECK_INT(wsman_endpoint_parse("https://h", 0, &ep, NULL), 0);
        memset(&p, 0, sizeof p);
        p.flags = WSMAN_FLAG_USE_CLIENT_CERTIFICATE;
        p.ep = &ep;
        p.certificate_thumbprint = "00";
        a = wsman_auth_new_ex(&p, &e);
        CHECK(a != NULL);
        if (a) {
            CHECK_STR(a->mech->name, "Certificate");
            CHECK_INT(a->done, 1);
            CHECK_INT(a->mech->header(a->state, &h, &e), 0);
            CHECK_STR(h.data, "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual");
        }
        wsman_auth_free(a);
        wsman_endpoint_clear(&ep);
        wsman_buf_free(&h);
    }
    wsman_error_clear(&e);
}

TEST(selection_errors)
{
    /* refused before anything is sent, each case with its own code and advice */
    expect_error(WSMAN_FLAG_USE_DIGEST, "h", "u", PASSWORD, WSMAN_E_CLIENT_UNENCRYPTED_DISABLED, "Digest");
    expect_error(WSMAN_FLAG_USE_DIGEST | WSMAN_FLAG_USE_SSL, "h", NULL, NULL,
                 WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED, "Digest");
    expect_error(WSMAN_FLAG_USE_CLIENT_CERTIFICATE, "http://h", NULL, NULL, 0x803380D8u, "needs HTTPS");
    expect_error(WSMAN_FLAG_USE_CLIENT_CERTIFICATE, "https://h", NULL, NULL, 0x803380B4u,
                 "CertificateThumbprint");
    expect_error(WSMAN_FLAG_USE_CLIENT_CERTIFICATE, "https://h", "u", PASSWORD, 0x803380B1u, "no user name");
    expect_error(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_USE_SSL | WSMAN_FLAG_ENABLE_SPN_SERVER_PORT, "h", "u",
                 PASSWORD, 0x803380AEu, "Negotiate or Kerberos");
    expect_error(WSMAN_FLAG_USE_CREDSSP, "h", "u", PASSWORD, 0x80004001u, "CredSSP");
    expect_error(WSMAN_FLAG_USE_KERBEROS | WSMAN_FLAG_USE_DIGEST, "h", "u", PASSWORD,
                 WSMAN_E_CLIENT_MULTIPLE_AUTH_FLAGS, "More than one");
    /* Negotiate without a password: no NTLM, and no ticket in this (empty) cache */
    expect_error(WSMAN_FLAG_USE_NEGOTIATE, "h", NULL, NULL, 0x8009030Eu, "no password was given");
    /* delegation needs Kerberos */
    {
        wsman_error_t e;
        wsman_error_init(&e);
        CHECK(pick(WSMAN_FLAG_USE_NEGOTIATE, "h", "testuser", PASSWORD, NULL, 1, &e) == NULL);
        CHECK_HAS(e.message, "options.delegate needs Kerberos");
        no_password(&e);
        wsman_error_clear(&e);
    }
    /* Kerberos: no KDC for the realm (empty krb5.conf) */
    if (wsman_gss_built()) {
        wsman_error_t e;
        wsman_error_init(&e);
        CHECK(pick(WSMAN_FLAG_USE_KERBEROS, "h", "u@NOWHERE.TEST", PASSWORD, NULL, 0, &e) == NULL);
        CHECK_INT(e.code, 0x80090311u); /* SEC_E_NO_AUTHENTICATING_AUTHORITY */
        CHECK_HAS(e.message, "NOWHERE.TEST");
        CHECK_HAS(e.message, "krb5.conf");
        no_password(&e);
        wsman_error_clear(&e);
        CHECK(pick(WSMAN_FLAG_USE_KERBEROS, "h", NULL, NULL, NULL, 0, &e) == NULL);
        CHECK_INT(e.code, 0x8009030Eu); /* SEC_E_NO_CREDENTIALS */
        CHECK_HAS(e.message, "kinit");
        wsman_error_clear(&e);
    } else {
        expect_error(WSMAN_FLAG_USE_KERBEROS, "h", "u", PASSWORD, WSMAN_E_AUTHENTICATION_INVALID_FLAG,
                     "without GSSAPI");
    }
}

static wsman_http_response_t *reply(int status, const char *const *schemes)
{
    static wsman_http_response_t r;
    static char *vals[8];
    size_t n = 0;
    memset(&r, 0, sizeof r);
    r.status = status;
    for (; schemes && schemes[n] && n < 8; n++)
        vals[n] = (char *)schemes[n];
    r.www_authenticate = vals;
    r.n_www_authenticate = n;
    return &r;
}

TEST(denied_messages)
{
    static const char *const windows[] = {"Negotiate", "Kerberos", NULL};
    static const char *const basic[] = {"Basic realm=\"WSMAN\"", NULL};
    wsman_auth_site_t site;
    wsman_error_t e;
    wsman_auth_t *a;

    memset(&site, 0, sizeof site);
    site.url = "http://h:5985/wsman";
    site.username = "testuser";
    wsman_error_init(&e);

    /* Basic against a host that has it disabled */
    a = pick(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_NO_ENCRYPTION, "h", "testuser", PASSWORD, NULL, 0, &e);
    CHECK(a != NULL);
    wsman_auth_denied(a, &site, reply(401, windows), WSMAN_AUTH_STAGE_REQUEST, &e);
    CHECK_INT(e.code, WSMAN_E_ACCESS_DENIED);
    CHECK_INT(e.retry, WSMAN_RETRY_AUTH);
    CHECK_HAS(e.message, "does not accept Basic authentication (it offers: Negotiate, Kerberos)");
    CHECK_HAS(e.message, "Basic is disabled");
    no_password(&e);
    /* Basic rejected */
    wsman_auth_denied(a, &site, reply(401, basic), WSMAN_AUTH_STAGE_REQUEST, &e);
    CHECK_HAS(e.message, "rejected the Basic credentials of user 'testuser'");
    no_password(&e);
    wsman_auth_free(a);

    /* NTLM rejected at the last leg: offered, tried, encryption, SPN, binding */
    a = pick(WSMAN_FLAG_USE_NEGOTIATE, "h", "testuser", PASSWORD, NULL, 0, &e);
    CHECK(a != NULL);
    if (a) {
        a->offered = wsman_strdup("Negotiate, Kerberos");
        wsman_auth_denied(a, &site, NULL, WSMAN_AUTH_STAGE_LAST_LEG, &e);
        CHECK_HAS(e.message, "rejected the Negotiate (NTLM) credentials of user 'testuser'");
        CHECK_HAS(e.message, "offered: Negotiate, Kerberos");
        CHECK_HAS(e.message, "Kerberos was not tried");
        CHECK_HAS(e.message, "message encryption: on");
        CHECK_HAS(e.message, "SPN: HTTP/h");
        CHECK_HAS(e.message, "channel binding: not sent (HTTP)");
        no_password(&e);
        /* the host wants encrypted messages */
        wsman_auth_denied(a, &site, NULL, WSMAN_AUTH_STAGE_UNENCRYPTED_REFUSED, &e);
        CHECK_HAS(e.message, "requires message encryption");
        /* Negotiate not offered */
        wsman_auth_denied(a, &site, reply(401, basic), WSMAN_AUTH_STAGE_REQUEST, &e);
        CHECK_HAS(e.message, "does not accept Negotiate authentication (it offers: Basic)");
        /* over HTTPS: binding sent or not */
        site.https = 1;
        a->cbt_sent = 1;
        wsman_auth_denied(a, &site, NULL, WSMAN_AUTH_STAGE_LAST_LEG, &e);
        CHECK_HAS(e.message, "channel binding: sent (tls-server-end-point)");
        CHECK_HAS(e.message, "TLS-intercepting proxy");
        a->cbt_sent = 0;
        wsman_auth_denied(a, &site, NULL, WSMAN_AUTH_STAGE_LAST_LEG, &e);
        CHECK_HAS(e.message, "CbtHardeningLevel=Strict");
        site.https = 0;
    }
    wsman_auth_free(a);
    /* no credentials at all */
    wsman_auth_denied(NULL, &site, reply(401, windows), WSMAN_AUTH_STAGE_REQUEST, &e);
    CHECK_HAS(e.message, "without credentials");
    wsman_error_clear(&e);
}

/* ---- CertificateThumbprint ------------------------------------------------------------------ */

static X509 *make_cert(EVP_PKEY **key, const char *cn)
{
    X509 *x = X509_new();
    X509_NAME *n;
    *key = EVP_EC_gen("P-256");
    if (!x || !*key)
        return NULL;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, *key);
    n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_sign(x, *key, EVP_sha256());
    return x;
}

static void thumb(X509 *x, char out[41], const char *sep, int upper)
{
    unsigned char md[20];
    unsigned int n = 0;
    char *p = out;
    X509_digest(x, EVP_sha1(), md, &n);
    for (unsigned i = 0; i < 20; i++)
        p += sprintf(p, upper ? "%02X" : "%02x", md[i]);
    (void)sep;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k, int der)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    if (der)
        i2d_X509_fp(f, x);
    else if (x)
        PEM_write_X509(f, x);
    if (k)
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

TEST(thumbprint_lookup)
{
    char dir[] = "/tmp/wsman-test-certs-XXXXXX";
    char path[256], tp1[41], tp2[41], tp3[41], spaced[80];
    EVP_PKEY *k1 = NULL, *k2 = NULL, *k3 = NULL;
    X509 *c1, *c2, *c3;
    char *cert = NULL, *key = NULL;
    wsman_error_t e;
    size_t i, j;

    wsman_error_init(&e);
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    c1 = make_cert(&k1, "one");
    c2 = make_cert(&k2, "two");
    c3 = make_cert(&k3, "three");
    CHECK(c1 && c2 && c3);
    thumb(c1, tp1, "", 0);
    thumb(c2, tp2, "", 1);
    thumb(c3, tp3, "", 0);
    snprintf(path, sizeof path, "%s/one.pem", dir); /* certificate and key in one file */
    write_pem(path, c1, k1, 0);
    snprintf(path, sizeof path, "%s/two.crt", dir); /* key beside it */
    write_pem(path, c2, NULL, 0);
    snprintf(path, sizeof path, "%s/two.key", dir);
    write_pem(path, NULL, k2, 0);
    snprintf(path, sizeof path, "%s/three.cer", dir); /* DER, and no key anywhere */
    write_pem(path, c3, NULL, 1);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_pem(path, NULL, NULL, 0);

    CHECK_INT(wsman_cert_lookup(dir, tp1, &cert, &key, &e), 0);
    CHECK_HAS(cert, "one.pem");
    CHECK_STR(key, cert);
    free(cert);
    free(key);
    /* spaces, colons, any case, and the invisible mark Windows' dialog copies along */
    for (i = 0, j = 0; tp2[i]; i++) {
        spaced[j++] = tp2[i];
        if (i % 2 == 1 && tp2[i + 1])
            spaced[j++] = i == 5 ? ':' : ' ';
    }
    spaced[j] = '\0';
    {
        char marked[96];
        snprintf(marked, sizeof marked, "\xe2\x80\x8e%s", spaced);
        CHECK_INT(wsman_cert_lookup(dir, marked, &cert, &key, &e), 0);
        CHECK_HAS(cert, "two.crt");
        CHECK_HAS(key, "two.key");
        free(cert);
        free(key);
    }
    CHECK_INT(wsman_cert_lookup(dir, tp3, &cert, &key, &e), -1);
    CHECK_INT(e.code, 0x80338082u);
    CHECK_HAS(e.message, "private key was not found");
    CHECK(cert == NULL && key == NULL);
    CHECK_INT(wsman_cert_lookup(dir, "0000000000000000000000000000000000000000", &cert, &key, &e), -1);
    CHECK_HAS(e.message, "No certificate with thumbprint");
    CHECK_HAS(e.message, "3 certificates checked");
    CHECK_INT(wsman_cert_lookup(dir, "12 34", &cert, &key, &e), -1);
    CHECK_HAS(e.message, "40 hexadecimal digits");
    CHECK_INT(wsman_cert_lookup(NULL, tp1, &cert, &key, &e), -1);
    CHECK_HAS(e.message, "cert_dir is not");
    CHECK_INT(wsman_cert_lookup("/nonexistent/dir", tp1, &cert, &key, &e), -1);
    CHECK_HAS(e.message, "cannot be read");
    wsman_error_clear(&e);

    for (const char *const *n =
             (const char *const[]){"one.pem", "two.crt", "two.key", "three.cer", "notes.txt", NULL};
         *n; n++) {
        snprintf(path, sizeof path, "%s/%s", dir, *n);
        unlink(path);
    }
    rmdir(dir);
    X509_free(c1);
    X509_free(c2);
    X509_free(c3);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k3);
}

int main(void)
{
    /* Kerberos with no realm configured, no DNS look-ups: no KDC, no ticket, found out at once */
    char conf[] = "/tmp/wsman-test-krb5-XXXXXX";
    int fd = mkstemp(conf);
    if (fd >= 0) {
        static const char text[] = "[libdefaults]\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n";
        if (write(fd, text, sizeof text - 1) < 0)
            perror("write");
        close(fd);
    }
    setenv("KRB5_CONFIG", conf, 1);
    setenv("KRB5CCNAME", "FILE:/nonexistent/lua-wsman-test-ccache", 1);
    setenv("KRB5_CLIENT_KTNAME", "FILE:/nonexistent/lua-wsman-test-keytab", 1);
    RUN(spn_rules);
    RUN(selection_matrix);
    RUN(selection_errors);
    RUN(denied_messages);
    RUN(thumbprint_lookup);
    unlink(conf);
    return check_done();
}
