/* SPDX-License-Identifier: MIT */
/*
 * cert.c - CertificateThumbprint: finds a client certificate by its SHA-1 thumbprint in a
 * directory of certificate files (options.cert_dir), as Windows selects one from its certificate
 * store for SessionFlagUseClientCertificate.
 *
 * The thumbprint is written as Windows shows it: 40 hex digits, any case, with or without spaces
 * or colons (an invisible U+200E LEFT-TO-RIGHT MARK copied from the certificate dialog is ignored
 * too). Every regular file in the directory is read: PEM files (any number of certificates), else
 * one DER certificate. The private key is taken from the certificate's own file when it holds one
 * ("-----BEGIN ... PRIVATE KEY-----"), else from <name>.key, <name>.key.pem or <name>-key.pem
 * beside it, <name> being the file name without its extension. An encrypted key is opened with
 * options.client_key_password by the TLS layer.
 */
#include "auth.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define MAX_CERT_FILE (4u << 20) /* larger files are not certificate files */

/* 0 with the 20 bytes, -1 when the text is not a SHA-1 thumbprint. */
static int parse_thumbprint(const char *s, unsigned char out[20])
{
    size_t n = 0;
    int hi = -1;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int v;
        if (*p == ' ' || *p == '\t' || *p == ':' || *p == '-')
            continue;
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x8E || p[2] == 0x8F)) { /* LRM / RLM */
            p += 2;
            continue;
        }
        v = wsman_hexval(*p);
        if (v < 0 || n >= 20)
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    return n == 20 && hi < 0 ? 0 : -1;
}

static char *join(const char *dir, const char *name)
{
    wsman_buf_t b;
    size_t n = strlen(dir);
    wsman_buf_init(&b);
    if (wsman_buf_puts(&b, dir) != 0 || (n && dir[n - 1] != '/' && wsman_buf_puts(&b, "/") != 0) ||
        wsman_buf_puts(&b, name) != 0) {
        wsman_buf_free(&b);
        return NULL;
    }
    return wsman_buf_steal(&b);
}

static int read_file(const char *path, wsman_buf_t *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;

    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > MAX_CERT_FILE || wsman_buf_append(out, chunk, n) != 0) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static int is_regular(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int has_private_key(const wsman_buf_t *b)
{
    const char *p = b->data;
    while (p && (p = strstr(p, "-----BEGIN ")) != NULL) {
        const char *end = strstr(p + 11, "-----");
        if (!end)
            return 0;
        if ((size_t)(end - p) >= 11 + 11 && memcmp(end - 11, "PRIVATE KEY", 11) == 0)
            return 1;
        p = end;
    }
    return 0;
}

/* What a file or directory entry holds for the look-up. */
typedef enum match {
    MATCH_NONE,  /* no certificate with the thumbprint (or not a certificate file) */
    MATCH_FOUND, /* the certificate (and, for an entry, its key) */
    MATCH_FAILED /* out of memory, or the key is missing: e set */
} match_t;

/* Whether a certificate of the file has the thumbprint (MATCH_FAILED: out of memory). */
static match_t file_matches(const wsman_buf_t *b, const unsigned char want[20], int *count)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    BIO *bio;
    X509 *x;
    int found = 0, any = 0;

    bio = BIO_new_mem_buf(b->data, (int)b->len);
    if (!bio)
        return MATCH_FAILED;
    while (!found && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        any = 1;
        (*count)++;
        if (X509_digest(x, EVP_sha1(), md, &mdlen) == 1 && mdlen == 20 && memcmp(md, want, 20) == 0)
            found = 1;
        X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!any && !found) {
        const unsigned char *p = (const unsigned char *)b->data;
        x = d2i_X509(NULL, &p, (long)b->len);
        if (x) {
            (*count)++;
            if (X509_digest(x, EVP_sha1(), md, &mdlen) == 1 && mdlen == 20 && memcmp(md, want, 20) == 0)
                found = 1;
            X509_free(x);
        }
        ERR_clear_error();
    }
    return found ? MATCH_FOUND : MATCH_NONE;
}

static char *find_key(const char *dir, const char *name)
{
    static const char *const suffixes[] = {".key", ".key.pem", "-key.pem"};
    const char *dot = strrchr(name, '.');
    size_t base = dot && dot != name ? (size_t)(dot - name) : strlen(name);

    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        wsman_buf_t fn;
        char *path;
        wsman_buf_init(&fn);
        if (wsman_buf_append(&fn, name, base) != 0 || wsman_buf_puts(&fn, suffixes[i]) != 0) {
            wsman_buf_free(&fn);
            return NULL;
        }
        path = join(dir, fn.data);
        wsman_buf_free(&fn);
        if (path && is_regular(path))
            return path;
        free(path);
    }
    return NULL;
}

/* One directory entry: the certificate and its key paths when it has the thumbprint. */
static match_t check_entry(const char *dir, const char *name, const unsigned char want[20],
                           const char *thumbprint, int *count, char **cert_path, char **key_path,
                           wsman_error_t *e)
{
    wsman_buf_t b;
    char *path = join(dir, name);
    match_t m;

    if (!path) {
        wsman_error_oom(e, NULL);
        return MATCH_FAILED;
    }
    wsman_buf_init(&b);
    m = is_regular(path) && read_file(path, &b) == 0 && b.len ? file_matches(&b, want, count) : MATCH_NONE;
    if (m == MATCH_FOUND) {
        int in_file = has_private_key(&b);
        *key_path = in_file ? wsman_strdup(path) : find_key(dir, name);
        if (!*key_path && in_file) {
            wsman_error_oom(e, NULL);
            m = MATCH_FAILED;
        } else if (!*key_path) {
            wsman_error_set(
                e, WSMAN_E_CERT_NOT_FOUND,
                "The certificate with thumbprint %s is %s, but its private key was not found: put "
                "the key in the same PEM file, or beside it as <name>.key, <name>.key.pem or "
                "<name>-key.pem.",
                thumbprint, path);
            m = MATCH_FAILED;
        } else {
            *cert_path = path;
            path = NULL;
        }
    } else if (m == MATCH_FAILED) {
        wsman_error_oom(e, NULL);
    }
    wsman_buf_free_secure(&b);
    free(path);
    return m;
}

/* The look-up's arguments: a thumbprint, a readable directory (opened into *d). */
static int open_lookup(const char *dir, const char *thumbprint, unsigned char want[20], DIR **d,
                       wsman_error_t *e)
{
    if (!thumbprint || parse_thumbprint(thumbprint, want) != 0) {
        wsman_error_set(e, WSMAN_E_CERT_THUMBPRINT_BLANK,
                        "options.CertificateThumbprint \"%s\" is not a SHA-1 thumbprint: it must be 40 "
                        "hexadecimal digits (spaces and colons are allowed), as Windows shows a "
                        "certificate's thumbprint.",
                        thumbprint ? thumbprint : "");
        return -1;
    }
    if (!dir || !*dir) {
        wsman_error_set(
            e, WSMAN_E_CERT_NOT_FOUND,
            "options.CertificateThumbprint is set but options.cert_dir is not: set cert_dir to the "
            "directory holding the client certificate (PEM, with its key in the same file or in "
            "<name>.key), or give options.client_cert and options.client_key directly.");
        return -1;
    }
    *d = opendir(dir);
    if (!*d) {
        wsman_error_set(e, WSMAN_E_CERT_NOT_FOUND,
                        "The certificate directory options.cert_dir \"%s\" cannot be read (%s).", dir,
                        strerror(errno));
        return -1;
    }
    return 0;
}

int wsman_cert_lookup(const char *dir, const char *thumbprint, char **cert_path, char **key_path,
                      wsman_error_t *e)
{
    unsigned char want[20];
    DIR *d = NULL;
    struct dirent *de;
    int count = 0;
    match_t m = MATCH_NONE;

    *cert_path = NULL;
    *key_path = NULL;
    if (open_lookup(dir, thumbprint, want, &d, e) != 0)
        return -1;
    while (m == MATCH_NONE && (de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.')
            m = check_entry(dir, de->d_name, want, thumbprint, &count, cert_path, key_path, e);
    }
    closedir(d);
    if (m == MATCH_FOUND)
        return 0;
    if (m == MATCH_NONE)
        wsman_error_set(
            e, WSMAN_E_CERT_NOT_FOUND,
            "No certificate with thumbprint %s was found in options.cert_dir \"%s\" (%d certificate%s "
            "checked). Check the thumbprint (the SHA-1 fingerprint: openssl x509 -noout -fingerprint "
            "-sha1 -in cert.pem) and the directory.",
            thumbprint, dir, count, count == 1 ? "" : "s");
    free(*cert_path);
    free(*key_path);
    *cert_path = NULL;
    *key_path = NULL;
    return -1;
}
