/* SPDX-License-Identifier: MIT */
/*
 * uri.c - CreateSession connection strings, resource URI aliases and the ResourceLocator.
 *
 * Connection strings (WSMan.CreateSession, "winrm help remote"): [TRANSPORT://]HOST[:PORT][/PREFIX]
 *   ""/NULL          -> http://localhost:5985/wsman (https://localhost:5986/wsman with UseSsl)
 *   host             -> http://host:5985/wsman, with WSMAN_FLAG_USE_SSL https://host:5986/wsman
 *   host:port        -> http (https with UseSsl) on that port
 *   http://host      -> port 80; https://host -> port 443 (WinRM 2.0 client rules)
 *   /prefix          -> URL path, default "wsman"
 *   [v6] / [v6]:port -> bracketed IPv6 (brackets are required, as on Windows)
 * Errors carry the codes Windows' client uses (wsmerror.h): ERROR_WSMAN_CONNECTIONSTR_INVALID,
 * ERROR_WSMAN_TRANSPORT_NOT_SUPPORTED, ERROR_WSMAN_PORT_INVALID, ERROR_WSMAN_INVALID_USESSL_PARAM.
 *
 * Resource strings ("winrm help uris" and "winrm help aliases"): alias or full URI, optional "?N=V+N=V"
 * selectors (pairs split on '+', name and value on the first '='; no %XX decoding, no escaping mechanism
 * exists), or a WS-Addressing EPR XML string (parsed by response.c's wsman_parse_epr).
 */
#include "protocol.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONNSTR_FORM                                                                                         \
    "Expected [http://|https://]host[:port][/prefix], for example \"server1\", \"server1:5985\", "           \
    "\"https://server1.corp.example/wsman\" or \"http://[1::2]:80/wsman\"."

/* ---- connection strings ----------------------------------------------------------------- */

void wsman_endpoint_clear(wsman_endpoint_t *ep)
{
    if (!ep)
        return;
    free(ep->scheme);
    free(ep->host);
    free(ep->prefix);
    free(ep->url);
    memset(ep, 0, sizeof *ep);
}

static int is_host_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

static int is_v6_char(unsigned char c)
{
    return isxdigit(c) || c == ':' || c == '.' || c == '%';
}

static int is_prefix_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '/' || c == '-' || c == '.' || c == '~';
}

char *wsman_url_redact_userinfo(const char *s)
{
    const char *auth = strstr(s, "://");
    const char *start = auth ? auth + 3 : s;
    const char *end = start + strcspn(start, "/");
    const char *at = NULL;
    wsman_buf_t b;

    for (const char *p = start; p < end; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return wsman_strdup(s);
    wsman_buf_init(&b);
    if (wsman_buf_append(&b, s, (size_t)(start - s)) || wsman_buf_puts(&b, "***") || wsman_buf_puts(&b, at)) {
        wsman_buf_free(&b);
        return NULL;
    }
    return wsman_buf_steal(&b);
}

/* The connection string being parsed: where we are, and what has been found so far. */
typedef struct endpoint_parse {
    const char *s; /* the connection string ("localhost" for an empty one) */
    const char *p; /* current position */
    uint32_t flags;
    char *scheme, *host, *prefix;
    int port, ipv6;
    wsman_error_t *e;
} endpoint_parse_t;

/* Sets the error for a connection string that is not valid; always -1. */
static int connstr_invalid(endpoint_parse_t *ps, uint32_t code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int connstr_invalid(endpoint_parse_t *ps, uint32_t code, const char *fmt, ...)
{
    wsman_buf_t msg;
    va_list ap;

    wsman_buf_init(&msg);
    va_start(ap, fmt);
    if (wsman_buf_vprintf(&msg, fmt, ap) || wsman_buf_puts(&msg, " " CONNSTR_FORM))
        wsman_error_oom(ps->e, NULL);
    else
        wsman_error_set(ps->e, code, "%s", msg.data);
    va_end(ap);
    wsman_buf_free(&msg);
    return -1;
}

static int endpoint_oom(endpoint_parse_t *ps)
{
    wsman_error_oom(ps->e, NULL);
    return -1;
}

/* Longest connection string accepted: a DNS name has at most 253 characters, and a URL of
 * 2,048 bytes leaves room for any port and prefix. Messages then never echo more than this. */
#define MAX_CONNECTION_BYTES 2048
#define ELIDE_HEAD 48
#define ELIDE_TAIL 16

/* Refuses a connection string over MAX_CONNECTION_BYTES, showing only its two ends. */
static int check_connection_length(endpoint_parse_t *ps)
{
    size_t n = strlen(ps->s);
    if (n <= MAX_CONNECTION_BYTES)
        return 0;
    return connstr_invalid(
        ps, WSMAN_E_CONNECTIONSTR_INVALID,
        "The connection string \"%.*s...%s\" is too long: %zu bytes, where the limit is %d (a "
        "host name has at most 253 characters).",
        ELIDE_HEAD, ps->s, ps->s + n - ELIDE_TAIL, n, MAX_CONNECTION_BYTES);
}

/* The text between the brackets must be an IPv6 address (with an optional %zone). */
static int is_ipv6_address(const char *host)
{
    struct in6_addr a;
    char plain[INET6_ADDRSTRLEN + 1];
    size_t n = strcspn(host, "%");
    if (n >= sizeof plain)
        return 0;
    memcpy(plain, host, n);
    plain[n] = '\0';
    return inet_pton(AF_INET6, plain, &a) == 1;
}

/* White space and control characters are refused anywhere (the message hides user information). */
static int check_connection_chars(endpoint_parse_t *ps)
{
    for (const char *p = ps->s; *p; p++) {
        if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20 || *p == 0x7f) {
            char *shown = wsman_url_redact_userinfo(ps->s);
            connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                            "The connection string \"%s\" is not valid: it contains white space or a control "
                            "character.",
                            shown ? shown : "");
            free(shown);
            return -1;
        }
    }
    wsman_error_t why;
    wsman_error_init(&why);
    if (wsman_xml_check_str("it", ps->s, &why) != 0) { /* it goes into every request's wsa:To */
        char *shown = wsman_url_redact_userinfo(ps->s);
        connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID, "The connection string \"%s\" is not valid: %s.",
                        shown ? shown : "", why.message ? why.message : "it is not valid UTF-8");
        free(shown);
        wsman_error_clear(&why);
        return -1;
    }
    return 0;
}

/* [http://|https://]: the scheme and its default port; without one, the session flags decide. */
static int parse_transport(endpoint_parse_t *ps)
{
    const int ssl_flag = (ps->flags & WSMAN_FLAG_USE_SSL) != 0;
    const char *sep = strstr(ps->s, "://");
    size_t n = sep ? (size_t)(sep - ps->s) : 0;

    if (!sep) {
        ps->scheme = wsman_strdup(ssl_flag ? "https" : "http");
        ps->port = ssl_flag ? 5986 : 5985;
        ps->p = ps->s;
    } else if (n == 4 && strncasecmp(ps->s, "http", 4) == 0) {
        if (ssl_flag) {
            wsman_error_set(ps->e, WSMAN_E_INVALID_USESSL_PARAM,
                            "The connection string \"%s\" specifies http:// but SessionFlagUseSsl is set. "
                            "Use https:// (or no transport) with SessionFlagUseSsl, or remove the flag.",
                            ps->s);
            return -1;
        }
        ps->scheme = wsman_strdup("http");
        ps->port = 80;
        ps->p = sep + 3;
    } else if (n == 5 && strncasecmp(ps->s, "https", 5) == 0) {
        ps->scheme = wsman_strdup("https");
        ps->port = 443;
        ps->p = sep + 3;
    } else {
        char *shown = wsman_url_redact_userinfo(ps->s);
        connstr_invalid(ps, WSMAN_E_TRANSPORT_NOT_SUPPORTED,
                        "The connection string \"%s\" uses the transport \"%.*s\"; the only valid "
                        "transports are \"http\" and \"https\".",
                        shown ? shown : "", (int)n, ps->s);
        free(shown);
        return -1;
    }
    return ps->scheme ? 0 : endpoint_oom(ps);
}

/* User information is not accepted: credentials belong in ConnectionOptions. */
static int refuse_userinfo(endpoint_parse_t *ps)
{
    const char *auth_end = ps->p + strcspn(ps->p, "/");
    char *shown;

    if (!memchr(ps->p, '@', (size_t)(auth_end - ps->p)))
        return 0;
    shown = wsman_url_redact_userinfo(ps->s);
    connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                    "The connection string \"%s\" contains user information (user@ or user:password@). "
                    "Credentials do not belong in the connection string: set options.UserName and "
                    "options.Password of the ConnectionOptions passed to CreateSession.",
                    shown ? shown : "");
    free(shown);
    return -1;
}

/* "[v6]": hex digits, ':', '.' and '%' between brackets, with at least one ':'. */
static int parse_ipv6_host(endpoint_parse_t *ps)
{
    const char *start = ps->p, *close = strchr(start, ']');
    int shown_len;

    if (!close)
        return connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                               "The connection string \"%s\" is not valid: '[' without a matching ']' around "
                               "the IPv6 address.",
                               ps->s);
    shown_len = (int)(close - start + 1);
    for (const char *p = start + 1; p < close; p++)
        if (!is_v6_char((unsigned char)*p))
            return connstr_invalid(
                ps, WSMAN_E_CONNECTIONSTR_INVALID,
                "The connection string \"%s\" is not valid: \"%.*s\" is not an IPv6 address.", ps->s,
                shown_len, start);
    if (close == start + 1 || !memchr(start + 1, ':', (size_t)(close - start - 1)))
        return connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                               "The connection string \"%s\" is not valid: \"%.*s\" is not an IPv6 address.",
                               ps->s, shown_len, start);
    if (close[1] != '\0' && close[1] != ':' && close[1] != '/')
        return connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                               "The connection string \"%s\" is not valid: unexpected \"%s\" after the IPv6 "
                               "address (expected :port or /prefix).",
                               ps->s, close + 1);
    ps->host = wsman_strndup(start + 1, (size_t)(close - start - 1));
    ps->ipv6 = 1;
    ps->p = close + 1;
    if (!ps->host)
        return endpoint_oom(ps);
    if (!is_ipv6_address(ps->host))
        return connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                               "The connection string \"%s\" is not valid: \"%.*s\" is not an IPv6 address.",
                               ps->s, shown_len, start);
    return 0;
}

/* A host name or IPv4 address up to ':' or '/'. */
static int parse_name_host(endpoint_parse_t *ps)
{
    const char *start = ps->p, *end = start + strcspn(start, ":/");

    for (const char *p = start; p < end; p++) {
        if (*p == ']' || *p == '[')
            return connstr_invalid(
                ps, WSMAN_E_CONNECTIONSTR_INVALID,
                "The connection string \"%s\" is not valid: unbalanced '%c' (an IPv6 address "
                "is written \"[address]\").",
                ps->s, *p);
        if (!is_host_char((unsigned char)*p))
            return connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                                   "The connection string \"%s\" is not valid: the host name contains '%c'.",
                                   ps->s, *p);
    }
    if (end == start)
        return connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                               "The connection string \"%s\" is not valid: the host name is empty.", ps->s);
    ps->host = wsman_strndup(start, (size_t)(end - start));
    ps->p = end;
    return ps->host ? 0 : endpoint_oom(ps);
}

/* ":port": 1 to 65535. */
static int parse_port(endpoint_parse_t *ps)
{
    const char *start, *end;
    long v = 0;

    if (*ps->p != ':')
        return 0;
    start = ps->p + 1;
    end = start + strcspn(start, "/");
    if (!ps->ipv6 && memchr(start, ':', (size_t)(end - start)))
        return connstr_invalid(
            ps, WSMAN_E_CONNECTIONSTR_INVALID,
            "The connection string \"%s\" is not valid: an IPv6 address must be enclosed in "
            "brackets, as in \"[1::2]\" or \"http://[1::2]:5985\".",
            ps->s);
    for (const char *q = start; q < end; q++) {
        if (!isdigit((unsigned char)*q) || v > 65535) {
            v = -1;
            break;
        }
        v = v * 10 + (*q - '0');
    }
    if (end == start || v < 1 || v > 65535)
        return connstr_invalid(ps, WSMAN_E_PORT_INVALID,
                               "The port \"%.*s\" in the connection string \"%s\" is not valid: a port is a "
                               "number between 1 and 65535.",
                               (int)(end - start), start, ps->s);
    ps->port = (int)v;
    ps->p = end;
    return 0;
}

/* "/prefix" (default "wsman"), without leading or trailing slashes. */
static int parse_prefix(endpoint_parse_t *ps)
{
    const char *path = ps->p;
    size_t n;

    if (*path == '\0') {
        ps->prefix = wsman_strdup("wsman");
        return ps->prefix ? 0 : endpoint_oom(ps);
    }
    if (*path != '/')
        return connstr_invalid(ps, WSMAN_E_CONNECTIONSTR_INVALID,
                               "The connection string \"%s\" is not valid at \"%s\".", ps->s, path);
    while (*path == '/')
        path++;
    for (const char *q = path; *q; q++)
        if (!is_prefix_char((unsigned char)*q))
            return connstr_invalid(
                ps, WSMAN_E_CONNECTIONSTR_INVALID,
                "The connection string \"%s\" is not valid: the URL prefix \"%s\" contains "
                "'%c' (letters, digits, '_', '-', '.' and '/' are allowed).",
                ps->s, path, *q);
    n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    ps->prefix = n ? wsman_strndup(path, n) : wsman_strdup("wsman");
    return ps->prefix ? 0 : endpoint_oom(ps);
}

/* Moves the parts into ep with the URL built from them. */
static int endpoint_finish(endpoint_parse_t *ps, wsman_endpoint_t *ep)
{
    wsman_buf_t url;

    wsman_buf_init(&url);
    if (wsman_buf_printf(&url, ps->ipv6 ? "%s://[%s]:%d/%s" : "%s://%s:%d/%s", ps->scheme, ps->host, ps->port,
                         ps->prefix)) {
        wsman_buf_free(&url);
        return endpoint_oom(ps);
    }
    ep->scheme = ps->scheme;
    ep->host = ps->host;
    ep->port = ps->port;
    ep->prefix = ps->prefix;
    ep->url = wsman_buf_steal(&url);
    ep->ipv6 = ps->ipv6;
    return 0;
}

int wsman_endpoint_parse(const char *connection, uint32_t flags, wsman_endpoint_t *ep, wsman_error_t *e)
{
    endpoint_parse_t ps = {.s = connection ? connection : "", .flags = flags, .e = e};

    if (!ep) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_endpoint_parse: no endpoint to fill");
        return -1;
    }
    memset(ep, 0, sizeof *ep);
    if (check_connection_length(&ps) || check_connection_chars(&ps))
        return -1;
    if (*ps.s == '\0')
        ps.s = "localhost";
    if (parse_transport(&ps) == 0 && refuse_userinfo(&ps) == 0 &&
        (*ps.p == '[' ? parse_ipv6_host(&ps) : parse_name_host(&ps)) == 0 && parse_port(&ps) == 0 &&
        parse_prefix(&ps) == 0 && endpoint_finish(&ps, ep) == 0)
        return 0;
    free(ps.scheme);
    free(ps.host);
    free(ps.prefix);
    return -1;
}

/* ---- aliases ------------------------------------------------------------------------------ */

static const struct {
    const char *alias;
    const char *prefix;
} aliases[] = {
    {"wmi", "http://schemas.microsoft.com/wbem/wsman/1/wmi"},
    {"wmicimv2", "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2"},
    {"cimv2", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2"},
    {"winrm", "http://schemas.microsoft.com/wbem/wsman/1"},
    {"wsman", "http://schemas.microsoft.com/wbem/wsman/1"},
    {"shell", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"},
};

char *wsman_expand_alias(const char *uri)
{
    size_t seg;
    if (!uri)
        return NULL;
    seg = strcspn(uri, "/?");
    if (memchr(uri, ':', seg)) /* "http:", "https:", "urn:..." - a full URI */
        return wsman_strdup(uri);
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strlen(aliases[i].alias) == seg && strncasecmp(uri, aliases[i].alias, seg) == 0) {
            wsman_buf_t b;
            wsman_buf_init(&b);
            if (wsman_buf_puts(&b, aliases[i].prefix) || wsman_buf_puts(&b, uri + seg)) {
                wsman_buf_free(&b);
                return NULL;
            }
            return wsman_buf_steal(&b);
        }
    }
    return wsman_strdup(uri);
}

/* ---- ResourceLocator ---------------------------------------------------------------------- */

static void pairs_free(wsman_pair_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

static int pairs_dup(wsman_pair_t **dst, const wsman_pair_t *src, size_t n)
{
    *dst = NULL;
    if (n == 0)
        return 0;
    *dst = calloc(n, sizeof **dst);
    if (!*dst)
        return -1;
    for (size_t i = 0; i < n; i++) {
        (*dst)[i].name = wsman_strdup(src[i].name);
        (*dst)[i].value = src[i].value ? wsman_strdup(src[i].value) : NULL;
        (*dst)[i].must_comply = src[i].must_comply;
        if (!(*dst)[i].name || (src[i].value && !(*dst)[i].value)) {
            pairs_free(*dst, i + 1);
            *dst = NULL;
            return -1;
        }
    }
    return 0;
}

static int pairs_add(wsman_pair_t **arr, size_t *n, const char *name, size_t nlen, const char *value,
                     size_t vlen, int has_value, int must_comply)
{
    wsman_pair_t *grown = realloc(*arr, (*n + 1) * sizeof **arr);
    char *nm, *val = NULL;
    if (!grown)
        return -1;
    *arr = grown;
    nm = wsman_strndup(name, nlen);
    if (has_value)
        val = wsman_strndup(value, vlen);
    if (!nm || (has_value && !val)) {
        free(nm);
        free(val);
        return -1;
    }
    (*arr)[*n].name = nm;
    (*arr)[*n].value = val;
    (*arr)[*n].must_comply = must_comply;
    (*n)++;
    return 0;
}

wsman_locator_t *wsman_locator_new(void)
{
    wsman_locator_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->uri = wsman_strdup("");
    if (!l->uri) {
        free(l);
        return NULL;
    }
    return l;
}

void wsman_locator_free(wsman_locator_t *l)
{
    if (!l)
        return;
    free(l->uri);
    pairs_free(l->selectors, l->nselectors);
    pairs_free(l->options, l->noptions);
    free(l->fragment_path);
    free(l->fragment_dialect);
    free(l);
}

wsman_locator_t *wsman_locator_dup(const wsman_locator_t *l)
{
    wsman_locator_t *d;
    if (!l)
        return NULL;
    d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->uri = wsman_strdup(l->uri ? l->uri : "");
    d->fragment_path = l->fragment_path ? wsman_strdup(l->fragment_path) : NULL;
    d->fragment_dialect = l->fragment_dialect ? wsman_strdup(l->fragment_dialect) : NULL;
    d->must_understand_options = l->must_understand_options;
    if (!d->uri || (l->fragment_path && !d->fragment_path) || (l->fragment_dialect && !d->fragment_dialect) ||
        pairs_dup(&d->selectors, l->selectors, l->nselectors) != 0) {
        wsman_locator_free(d);
        return NULL;
    }
    d->nselectors = l->nselectors;
    if (pairs_dup(&d->options, l->options, l->noptions) != 0) {
        wsman_locator_free(d);
        return NULL;
    }
    d->noptions = l->noptions;
    return d;
}

static int has_space_or_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)s[i]) || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

/* Parses "N=V+N=V" (q points after '?') into a new selector array. */
static int parse_selectors(const char *resource, const char *q, wsman_pair_t **out, size_t *nout,
                           wsman_error_t *e)
{
    wsman_pair_t *sel = NULL;
    size_t n = 0;
    const char *p = q;

    for (;;) {
        const char *end = p + strcspn(p, "+");
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (end == p || eq == p) {
            wsman_error_set(
                e, WSMAN_E_URI_QUERY_STRING_SYNTAX_ERROR,
                "The resource \"%s\" has a selector without a name at \"%.*s\": selectors are written "
                "URI?Name=Value+Name=Value (the value may be empty, the name may not).",
                resource, (int)(end - p), p);
            goto fail;
        }
        if (!eq) {
            wsman_error_set(e, WSMAN_E_URI_QUERY_STRING_SYNTAX_ERROR,
                            "The resource \"%s\" has a selector \"%.*s\" without '=': selectors are written "
                            "URI?Name=Value+Name=Value.",
                            resource, (int)(end - p), p);
            goto fail;
        }
        if (has_space_or_ctl(p, (size_t)(eq - p))) {
            wsman_error_set(e, WSMAN_E_INVALID_SELECTOR_NAME,
                            "The resource \"%s\" has a selector name \"%.*s\" containing white space.",
                            resource, (int)(eq - p), p);
            goto fail;
        }
        if (pairs_add(&sel, &n, p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1), 1, 0) != 0) {
            wsman_error_oom(e, NULL);
            goto fail;
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    *out = sel;
    *nout = n;
    return 0;
fail:
    pairs_free(sel, n);
    return -1;
}

int wsman_locator_parse(wsman_locator_t *l, const char *resource, wsman_error_t *e)
{
    const char *s = resource ? resource : "";
    const char *q;
    char *path = NULL, *uri = NULL;
    wsman_pair_t *sel = NULL;
    size_t nsel = 0;

    if (!l) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_locator_parse: no locator");
        return -1;
    }
    if (wsman_xml_check_str("The resource", s, e) != 0)
        return -1;
    while (isspace((unsigned char)*s))
        s++;

    if (*s == '<') {
        /* WS-Addressing EPR (wst:ResourceCreated, a:EndpointReference, ...): no alias expansion */
        if (wsman_parse_epr(s, &uri, &sel, &nsel, e) != 0)
            return -1;
        if (!uri) {
            pairs_free(sel, nsel);
            wsman_error_set(e, WSMAN_E_INVALID_RESOURCE_URI,
                            "The endpoint reference given as resource has no ResourceURI.");
            return -1;
        }
    } else {
        size_t plen;
        q = strchr(s, '?');
        plen = q ? (size_t)(q - s) : strlen(s);
        while (plen > 0 && isspace((unsigned char)s[plen - 1]) && !q)
            plen--;
        if (has_space_or_ctl(s, plen)) {
            wsman_error_set(
                e, WSMAN_E_INVALID_RESOURCE_URI,
                "The resource URI \"%.*s\" contains white space or a control character. Write a full "
                "URI or an alias form such as \"wmicimv2/Win32_Service?Name=Spooler\".",
                (int)plen, s);
            return -1;
        }
        if (q && plen == 0) {
            wsman_error_set(e, WSMAN_E_INVALID_RESOURCE_URI,
                            "The resource \"%s\" has selectors but no resource URI before '?'.", s);
            return -1;
        }
        path = wsman_strndup(s, plen);
        uri = path ? wsman_expand_alias(path) : NULL;
        free(path);
        if (!uri) {
            wsman_error_oom(e, NULL);
            return -1;
        }
        if (q && parse_selectors(s, q + 1, &sel, &nsel, e) != 0) {
            free(uri);
            return -1;
        }
    }
    free(l->uri);
    l->uri = uri;
    pairs_free(l->selectors, l->nselectors);
    l->selectors = sel;
    l->nselectors = nsel;
    return 0;
}

int wsman_locator_set_uri(wsman_locator_t *l, const char *uri, wsman_error_t *e)
{
    char *x;
    const char *s = uri ? uri : "";
    if (!l) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_locator_set_uri: no locator");
        return -1;
    }
    if (wsman_xml_check_str("ResourceURI", s, e) != 0)
        return -1;
    if (strchr(s, '?')) {
        wsman_error_set(
            e, WSMAN_E_INVALID_RESOURCE_URI,
            "ResourceURI \"%s\" contains '?': the property takes the path only. Add selectors with "
            "AddSelector, or pass the \"URI?Name=Value\" string to CreateResourceLocator.",
            s);
        return -1;
    }
    if (has_space_or_ctl(s, strlen(s))) {
        wsman_error_set(e, WSMAN_E_INVALID_RESOURCE_URI,
                        "ResourceURI \"%s\" contains white space or a control character.", s);
        return -1;
    }
    x = wsman_expand_alias(s);
    if (!x) {
        wsman_error_oom(e, NULL);
        return -1;
    }
    free(l->uri);
    l->uri = x;
    return 0;
}

const char *wsman_locator_uri(const wsman_locator_t *l)
{
    return l && l->uri ? l->uri : "";
}

int wsman_locator_add_selector(wsman_locator_t *l, const char *name, const char *value, wsman_error_t *e)
{
    if (!l) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_locator_add_selector: no locator");
        return -1;
    }
    if (!name || !*name || has_space_or_ctl(name, strlen(name))) {
        wsman_error_set(
            e, WSMAN_E_INVALID_SELECTOR_NAME,
            "AddSelector: the selector name \"%s\" is not valid (it must be a non-empty name without "
            "white space, e.g. \"Name\").",
            name ? name : "");
        return -1;
    }
    if (!value)
        value = "";
    if (wsman_xml_check_str("AddSelector: the selector name", name, e) != 0 ||
        wsman_xml_check_str("AddSelector: the selector value", value, e) != 0)
        return -1;
    if (pairs_add(&l->selectors, &l->nselectors, name, strlen(name), value, strlen(value), 1, 0) != 0) {
        wsman_error_oom(e, NULL);
        return -1;
    }
    return 0;
}

void wsman_locator_clear_selectors(wsman_locator_t *l)
{
    if (!l)
        return;
    pairs_free(l->selectors, l->nselectors);
    l->selectors = NULL;
    l->nselectors = 0;
}

size_t wsman_locator_selector_count(const wsman_locator_t *l)
{
    return l ? l->nselectors : 0;
}

int wsman_locator_selector(const wsman_locator_t *l, size_t i, const char **name, const char **value)
{
    if (!l || i >= l->nselectors)
        return -1;
    if (name)
        *name = l->selectors[i].name;
    if (value)
        *value = l->selectors[i].value ? l->selectors[i].value : "";
    return 0;
}

int wsman_locator_add_option(wsman_locator_t *l, const char *name, const char *value, int must_comply,
                             wsman_error_t *e)
{
    if (!l) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_locator_add_option: no locator");
        return -1;
    }
    if (!name || !*name || has_space_or_ctl(name, strlen(name))) {
        wsman_error_set(
            e, WSMAN_E_INVALID_OPTIONSET,
            "AddOption: the option name \"%s\" is not valid (it must be a non-empty name without white "
            "space).",
            name ? name : "");
        return -1;
    }
    if (wsman_xml_check_str("AddOption: the option name", name, e) != 0 ||
        wsman_xml_check_str("AddOption: the option value", value, e) != 0)
        return -1;
    if (pairs_add(&l->options, &l->noptions, name, strlen(name), value, value ? strlen(value) : 0,
                  value != NULL, must_comply ? 1 : 0) != 0) {
        wsman_error_oom(e, NULL);
        return -1;
    }
    return 0;
}

void wsman_locator_clear_options(wsman_locator_t *l)
{
    if (!l)
        return;
    pairs_free(l->options, l->noptions);
    l->options = NULL;
    l->noptions = 0;
}

size_t wsman_locator_option_count(const wsman_locator_t *l)
{
    return l ? l->noptions : 0;
}

int wsman_locator_option(const wsman_locator_t *l, size_t i, const char **name, const char **value,
                         int *must_comply)
{
    if (!l || i >= l->noptions)
        return -1;
    if (name)
        *name = l->options[i].name;
    if (value)
        *value = l->options[i].value;
    if (must_comply)
        *must_comply = l->options[i].must_comply;
    return 0;
}

int wsman_locator_set_fragment_path(wsman_locator_t *l, const char *path, wsman_error_t *e)
{
    char *x = NULL;
    if (!l) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_locator_set_fragment_path: no locator");
        return -1;
    }
    if (wsman_xml_check_str("FragmentPath", path, e) != 0)
        return -1;
    if (path && *path) {
        x = wsman_strdup(path);
        if (!x) {
            wsman_error_oom(e, NULL);
            return -1;
        }
    }
    free(l->fragment_path);
    l->fragment_path = x;
    return 0;
}

const char *wsman_locator_fragment_path(const wsman_locator_t *l)
{
    return l && l->fragment_path ? l->fragment_path : "";
}

int wsman_locator_set_fragment_dialect(wsman_locator_t *l, const char *d, wsman_error_t *e)
{
    char *x = NULL;
    if (!l) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_locator_set_fragment_dialect: no locator");
        return -1;
    }
    if (wsman_xml_check_str("FragmentDialect", d, e) != 0)
        return -1;
    if (d && *d) {
        if (has_space_or_ctl(d, strlen(d))) {
            wsman_error_set(e, WSMAN_E_INVALID_FRAGMENT_DIALECT,
                            "FragmentDialect \"%s\" is not a dialect URI (the default is XPath 1.0, "
                            "\"" WSMAN_DIALECT_XPATH "\").",
                            d);
            return -1;
        }
        x = wsman_strdup(d);
        if (!x) {
            wsman_error_oom(e, NULL);
            return -1;
        }
    }
    free(l->fragment_dialect);
    l->fragment_dialect = x;
    return 0;
}

const char *wsman_locator_fragment_dialect(const wsman_locator_t *l)
{
    return l && l->fragment_dialect ? l->fragment_dialect : WSMAN_DIALECT_XPATH;
}

void wsman_locator_set_must_understand_options(wsman_locator_t *l, int on)
{
    if (l)
        l->must_understand_options = on ? 1 : 0;
}

int wsman_locator_must_understand_options(const wsman_locator_t *l)
{
    return l ? l->must_understand_options : 0;
}
