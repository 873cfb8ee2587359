/* SPDX-License-Identifier: MIT */
/*
 * test_wire.c - C unit tests of errors.c, uri.c, transport.c and src/auth (TAP via check.h).
 *
 * The transport tests run against a tiny HTTP/1.1 server in this file (POSIX sockets, one
 * thread, 127.0.0.1 on an ephemeral port) whose answer to each request is scripted: a reply,
 * a 401 challenge, closing without a reply, a truncated reply, a reply in two parts that waits
 * for the client's sink, or no reply at all. Nothing sleeps to synchronise: the server blocks
 * on the socket or on a pipe, and every wait is bounded.
 */
#include "check.h"
#include "auth.h"
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- connection strings ------------------------------------------------------------------ */

static void check_endpoint(const char *conn, uint32_t flags, const char *url, const char *host, int port)
{
    wsman_endpoint_t ep;
    wsman_error_t e;
    wsman_error_init(&e);
    if (wsman_endpoint_parse(conn, flags, &ep, &e) != 0) {
        printf("# %s: unexpected error %s\n", conn ? conn : "(null)", e.message ? e.message : "?");
        check_cur_failed = 1;
    } else {
        CHECK_STR(ep.url, url);
        CHECK_STR(ep.host, host);
        CHECK_INT(ep.port, port);
        CHECK_INT(e.code, 0);
    }
    wsman_endpoint_clear(&ep);
    wsman_error_clear(&e);
}

/* Returns the error message (static copy) for further checks. */
static char last_message[2048];

static void check_endpoint_error(const char *conn, uint32_t flags, uint32_t code)
{
    wsman_endpoint_t ep;
    wsman_error_t e;
    wsman_error_init(&e);
    last_message[0] = '\0';
    if (wsman_endpoint_parse(conn, flags, &ep, &e) == 0) {
        printf("# %s: accepted as %s, expected error 0x%08X\n", conn, ep.url, (unsigned)code);
        check_cur_failed = 1;
        wsman_endpoint_clear(&ep);
    } else {
        CHECK_INT(e.code, code);
        CHECK(e.message != NULL);
        CHECK(e.name != NULL);
        CHECK(e.fault_xml != NULL);
        /* the message quotes the bad string (credentials excepted) */
        if (e.message && conn && !strchr(conn, '@') && !strstr(e.message, conn)) {
            printf("# message for %s does not quote it: %s\n", conn, e.message);
            check_cur_failed = 1;
        }
        if (e.message)
            snprintf(last_message, sizeof last_message, "%s", e.message);
        CHECK(ep.url == NULL && ep.host == NULL);
    }
    wsman_error_clear(&e);
}

TEST(connection_strings_default_forms)
{
    check_endpoint("server1", 0, "http://server1:5985/wsman", "server1", 5985);
    check_endpoint("server1", WSMAN_FLAG_USE_SSL, "https://server1:5986/wsman", "server1", 5986);
    check_endpoint("server1:8080", 0, "http://server1:8080/wsman", "server1", 8080);
    check_endpoint("server1:8443", WSMAN_FLAG_USE_SSL, "https://server1:8443/wsman", "server1", 8443);
    check_endpoint("http://server1", 0, "http://server1:80/wsman", "server1", 80);
    check_endpoint("https://server1", 0, "https://server1:443/wsman", "server1", 443);
    check_endpoint("https://server1", WSMAN_FLAG_USE_SSL, "https://server1:443/wsman", "server1", 443);
    check_endpoint("HTTPS://Server1.Corp.Example", 0, "https://Server1.Corp.Example:443/wsman",
                   "Server1.Corp.Example", 443);
    check_endpoint("https://service.corp.com/websvcs/wsman", 0, "https://service.corp.com:443/websvcs/wsman",
                   "service.corp.com", 443);
    check_endpoint("server1/custom", 0, "http://server1:5985/custom", "server1", 5985);
    check_endpoint("server1/", 0, "http://server1:5985/wsman", "server1", 5985);
    check_endpoint("http://server1:5985/wsman/", 0, "http://server1:5985/wsman", "server1", 5985);
    check_endpoint("127.0.51.1", 0, "http://127.0.51.1:5985/wsman", "127.0.51.1", 5985);
    check_endpoint("my_host-1", 0, "http://my_host-1:5985/wsman", "my_host-1", 5985);
    check_endpoint("http://host:65535", 0, "http://host:65535/wsman", "host", 65535);
    check_endpoint("http://host:1", 0, "http://host:1/wsman", "host", 1);
}

TEST(connection_strings_localhost_and_ipv6)
{
    check_endpoint("", 0, "http://localhost:5985/wsman", "localhost", 5985);
    check_endpoint(NULL, 0, "http://localhost:5985/wsman", "localhost", 5985);
    check_endpoint(NULL, WSMAN_FLAG_USE_SSL, "https://localhost:5986/wsman", "localhost", 5986);
    check_endpoint("[1:2:3::8]", 0, "http://[1:2:3::8]:5985/wsman", "1:2:3::8", 5985);
    check_endpoint("[::1]:9999", 0, "http://[::1]:9999/wsman", "::1", 9999);
    check_endpoint("https://[1:2:3::8]:444/path", 0, "https://[1:2:3::8]:444/path", "1:2:3::8", 444);
    check_endpoint("https://[E3D7:0000:0000:0000:51F4:9BC8:C0A8:6420]:9999/wsman", 0,
                   "https://[E3D7:0000:0000:0000:51F4:9BC8:C0A8:6420]:9999/wsman",
                   "E3D7:0000:0000:0000:51F4:9BC8:C0A8:6420", 9999);
    check_endpoint("[::ffff:127.0.0.1]", WSMAN_FLAG_USE_SSL, "https://[::ffff:127.0.0.1]:5986/wsman",
                   "::ffff:127.0.0.1", 5986);
    {
        wsman_endpoint_t ep;
        CHECK_INT(wsman_endpoint_parse("[::1]", 0, &ep, NULL), 0);
        CHECK_INT(ep.ipv6, 1);
        CHECK_STR(ep.scheme, "http");
        CHECK_STR(ep.prefix, "wsman");
        wsman_endpoint_clear(&ep);
        CHECK_INT(wsman_endpoint_parse("host", 0, &ep, NULL), 0);
        CHECK_INT(ep.ipv6, 0);
        wsman_endpoint_clear(&ep);
    }
}

TEST(connection_strings_bad)
{
    check_endpoint_error("http://", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error(":5985", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("http://:80", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("/wsman", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("host:0", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("host:65536", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("host:99999999999999999999", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("host:", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("host:80a", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("host:-1", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("https://host:+443", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("ftp://host", 0, WSMAN_E_TRANSPORT_NOT_SUPPORTED);
    check_endpoint_error("httpx://host", 0, WSMAN_E_TRANSPORT_NOT_SUPPORTED);
    check_endpoint_error("://host", 0, WSMAN_E_TRANSPORT_NOT_SUPPORTED);
    check_endpoint_error("http://host", WSMAN_FLAG_USE_SSL, 0x803381BEu);
    check_endpoint_error("my host", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error(" host", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("host\t", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    /* invalid UTF-8 would go into every request's wsa:To (found by spec/fuzz/fuzz_request) */
    check_endpoint_error("http://h\xdf\xdfost:5985/wsman", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    CHECK(strstr(last_message, "UTF-8 at byte offset 8") != NULL);
    check_endpoint_error("[::1", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("::1]", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("host]", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("[]", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("[host]", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("[::1]x", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("[::1]:0", 0, WSMAN_E_PORT_INVALID);
    check_endpoint_error("1:2:3::8", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    CHECK(strstr(last_message, "brackets") != NULL);
    check_endpoint_error("ho!st", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("host/wsman?x=1", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    check_endpoint_error("host/ws man", 0, WSMAN_E_CONNECTIONSTR_INVALID);
}

TEST(connection_strings_reject_credentials_without_revealing_them)
{
    check_endpoint_error("http://admin:S3cret!@host", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    CHECK(strstr(last_message, "S3cret") == NULL);
    CHECK(strstr(last_message, "admin") == NULL);
    CHECK(strstr(last_message, "ConnectionOptions") != NULL);
    CHECK(strstr(last_message, "UserName") != NULL);
    CHECK(strstr(last_message, "http://***@host") != NULL);
    check_endpoint_error("http://u:pass word@host", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    CHECK(strstr(last_message, "pass") == NULL);
    check_endpoint_error("gopher://u:S3cret@host", 0, WSMAN_E_TRANSPORT_NOT_SUPPORTED);
    CHECK(strstr(last_message, "S3cret") == NULL);
    check_endpoint_error("user@host:5985", 0, WSMAN_E_CONNECTIONSTR_INVALID);
    CHECK(strstr(last_message, "user") == NULL || strstr(last_message, "user@ or") != NULL);
    {
        wsman_endpoint_t ep;
        wsman_error_t e;
        wsman_error_init(&e);
        CHECK_INT(wsman_endpoint_parse("https://bob:hunter2@h", 0, &ep, &e), -1);
        CHECK(e.fault_xml && !strstr(e.fault_xml, "hunter2"));
        char *s = wsman_error_to_string(&e);
        CHECK(s && !strstr(s, "hunter2"));
        wsman_free(s);
        wsman_error_clear(&e);
    }
}

/* ---- aliases ---------------------------------------------------------------------------------- */

static void check_alias(const char *in, const char *out)
{
    char *x = wsman_expand_alias(in);
    CHECK_STR(x, out);
    free(x);
}

TEST(aliases)
{
    check_alias("wmi/root/cimv2/Win32_Service",
                "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service");
    check_alias("wmicimv2/Win32_Service?Name=WinRM",
                "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service?Name=WinRM");
    check_alias("cimv2/CIM_Processor", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Processor");
    check_alias("winrm/config", "http://schemas.microsoft.com/wbem/wsman/1/config");
    check_alias("wsman/config/Listener?Address=*+Transport=HTTP",
                "http://schemas.microsoft.com/wbem/wsman/1/config/Listener?Address=*+Transport=HTTP");
    check_alias("shell/cmd", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd");
    check_alias("WinRM/Config", "http://schemas.microsoft.com/wbem/wsman/1/Config");
    check_alias("WMICIMV2/*", "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*");
    check_alias("wmi", "http://schemas.microsoft.com/wbem/wsman/1/wmi");
    check_alias("winrm?x=1", "http://schemas.microsoft.com/wbem/wsman/1?x=1");
    /* only the first segment; full URIs and unknown names untouched */
    check_alias("foo/wmi/x", "foo/wmi/x");
    check_alias("wmix/y", "wmix/y");
    check_alias("http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service",
                "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service");
    check_alias("https://example/wmi", "https://example/wmi");
    check_alias("", "");
    CHECK(wsman_expand_alias(NULL) == NULL);
}

/* ---- locator ------------------------------------------------------------------------------------ */

static void check_sel(const wsman_locator_t *l, size_t i, const char *name, const char *value)
{
    const char *n = NULL, *v = NULL;
    CHECK_INT(wsman_locator_selector(l, i, &n, &v), 0);
    CHECK_STR(n, name);
    CHECK_STR(v, value);
}

TEST(locator_parse_selectors)
{
    wsman_locator_t *l = wsman_locator_new();
    wsman_error_t e;
    wsman_error_init(&e);
    CHECK(l != NULL);
    CHECK_STR(wsman_locator_uri(l), "");

    CHECK_INT(wsman_locator_parse(l, "wmicimv2/Win32_Service?Name=Spooler", &e), 0);
    CHECK_STR(wsman_locator_uri(l), "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service");
    CHECK_INT(wsman_locator_selector_count(l), 1);
    check_sel(l, 0, "Name", "Spooler");

    CHECK_INT(wsman_locator_parse(l, "winrm/config/Listener?Address=*+Transport=HTTP", &e), 0);
    CHECK_STR(wsman_locator_uri(l), "http://schemas.microsoft.com/wbem/wsman/1/config/Listener");
    CHECK_INT(wsman_locator_selector_count(l), 2);
    check_sel(l, 0, "Address", "*");
    check_sel(l, 1, "Transport", "HTTP");

    CHECK_INT(wsman_locator_parse(
                  l, "winrm/config/Listener?Address=IP:3ffe:8311:ffff:f2c1::5e61+Transport=HTTP", &e),
              0);
    check_sel(l, 0, "Address", "IP:3ffe:8311:ffff:f2c1::5e61");

    CHECK_INT(
        wsman_locator_parse(l,
                            "winrm/config/service/certmapping?Issuer=1212131238d84023b3c2b5a33b2ad76abd27ee5b"
                            "+Subject=*.example.com+URI=wmicimv2/*",
                            &e),
        0);
    CHECK_INT(wsman_locator_selector_count(l), 3);
    check_sel(l, 1, "Subject", "*.example.com");
    check_sel(l, 2, "URI", "wmicimv2/*");

    /* '=' inside a value, empty value, %XX not decoded, spaces in a value */
    CHECK_INT(wsman_locator_parse(l, "wmi/root/x/C?Expr=a=b==c+Empty=+Pct=%41%20+Disp=Windows Update", &e),
              0);
    CHECK_INT(wsman_locator_selector_count(l), 4);
    check_sel(l, 0, "Expr", "a=b==c");
    check_sel(l, 1, "Empty", "");
    check_sel(l, 2, "Pct", "%41%20");
    check_sel(l, 3, "Disp", "Windows Update");

    /* parse replaces URI and selectors */
    CHECK_INT(wsman_locator_parse(l, "http://schemas.example/x", &e), 0);
    CHECK_STR(wsman_locator_uri(l), "http://schemas.example/x");
    CHECK_INT(wsman_locator_selector_count(l), 0);
    CHECK_INT(wsman_locator_selector(l, 0, NULL, NULL), -1);
    CHECK_INT(e.code, 0);
    wsman_error_clear(&e);
    wsman_locator_free(l);
}

static void check_locator_error(const char *resource, uint32_t code)
{
    wsman_locator_t *l = wsman_locator_new();
    wsman_error_t e;
    wsman_error_init(&e);
    CHECK_INT(wsman_locator_parse(l, "winrm/config?A=1", &e), 0);
    if (wsman_locator_parse(l, resource, &e) == 0) {
        printf("# %s accepted\n", resource);
        check_cur_failed = 1;
    } else {
        CHECK_INT(e.code, code);
        CHECK(e.message && strstr(e.message, resource));
        /* a failed parse leaves the locator as it was */
        CHECK_STR(wsman_locator_uri(l), "http://schemas.microsoft.com/wbem/wsman/1/config");
        CHECK_INT(wsman_locator_selector_count(l), 1);
    }
    wsman_error_clear(&e);
    wsman_locator_free(l);
}

TEST(locator_parse_errors)
{
    check_locator_error("wmicimv2/Win32_Service?=x", WSMAN_E_URI_QUERY_STRING_SYNTAX_ERROR);
    check_locator_error("wmicimv2/Win32_Service?Name=a++Other=b", WSMAN_E_URI_QUERY_STRING_SYNTAX_ERROR);
    check_locator_error("wmicimv2/Win32_Service?", WSMAN_E_URI_QUERY_STRING_SYNTAX_ERROR);
    check_locator_error("wmicimv2/Win32_Service?Name", WSMAN_E_URI_QUERY_STRING_SYNTAX_ERROR);
    check_locator_error("wmicimv2/Win32_Service?Name=a+", WSMAN_E_URI_QUERY_STRING_SYNTAX_ERROR);
    check_locator_error("wmicimv2/Win32_Service?Na me=a", WSMAN_E_INVALID_SELECTOR_NAME);
    check_locator_error("?Name=a", WSMAN_E_INVALID_RESOURCE_URI);
    check_locator_error("wmicimv2/Win32 Service", WSMAN_E_INVALID_RESOURCE_URI);
}

TEST(locator_epr_strings)
{
    wsman_locator_t *l = wsman_locator_new();
    wsman_error_t e;
    const char *epr =
        "<wxf:ResourceCreated xmlns:wxf=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "
        "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
        "<a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>"
        "<a:ReferenceParameters><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/config/listener"
        "</w:ResourceURI><w:SelectorSet><w:Selector Name=\"Address\">*</w:Selector>"
        "<w:Selector Name=\"Transport\">HTTP</w:Selector></w:SelectorSet></a:ReferenceParameters>"
        "</wxf:ResourceCreated>";
    wsman_error_init(&e);
    CHECK_INT(wsman_locator_parse(l, epr, &e), 0);
    if (e.code)
        printf("# %s\n", e.message ? e.message : "?");
    CHECK_STR(wsman_locator_uri(l), "http://schemas.microsoft.com/wbem/wsman/1/config/listener");
    CHECK_INT(wsman_locator_selector_count(l), 2);
    if (wsman_locator_selector_count(l) == 2) {
        check_sel(l, 0, "Address", "*");
        check_sel(l, 1, "Transport", "HTTP");
    }
    wsman_error_clear(&e);
    CHECK_INT(wsman_locator_parse(l, "<not-closed", &e), -1);
    CHECK(e.code != 0);
    CHECK_STR(wsman_locator_uri(l), "http://schemas.microsoft.com/wbem/wsman/1/config/listener");
    wsman_error_clear(&e);
    wsman_locator_free(l);
}

TEST(locator_properties)
{
    wsman_locator_t *l = wsman_locator_new(), *d;
    wsman_error_t e;
    const char *n, *v;
    int mc = -1;
    wsman_error_init(&e);

    CHECK_INT(wsman_locator_set_uri(l, "wmicimv2/Win32_Service", &e), 0);
    CHECK_STR(wsman_locator_uri(l), "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service");
    CHECK_INT(wsman_locator_set_uri(l, "wmicimv2/Win32_Service?Name=winmgmt", &e), -1);
    CHECK_INT(e.code, WSMAN_E_INVALID_RESOURCE_URI);
    CHECK(e.message && strstr(e.message, "AddSelector"));
    CHECK_STR(wsman_locator_uri(l), "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service");
    wsman_error_clear(&e);

    CHECK_INT(wsman_locator_add_selector(l, "Name", "winmgmt", &e), 0);
    CHECK_INT(wsman_locator_add_selector(l, "", "x", &e), -1);
    CHECK_INT(e.code, WSMAN_E_INVALID_SELECTOR_NAME);
    wsman_error_clear(&e);
    CHECK_INT(wsman_locator_add_selector(l, NULL, "x", &e), -1);
    wsman_error_clear(&e);
    CHECK_INT(wsman_locator_selector_count(l), 1);

    CHECK_INT(wsman_locator_add_option(l, "wmi:Opt", "1", 1, &e), 0);
    CHECK_INT(wsman_locator_add_option(l, "NilOpt", NULL, 0, &e), 0);
    CHECK_INT(wsman_locator_add_option(l, "", "x", 0, &e), -1);
    wsman_error_clear(&e);
    CHECK_INT(wsman_locator_option_count(l), 2);
    CHECK_INT(wsman_locator_option(l, 0, &n, &v, &mc), 0);
    CHECK_STR(n, "wmi:Opt");
    CHECK_STR(v, "1");
    CHECK_INT(mc, 1);
    CHECK_INT(wsman_locator_option(l, 1, &n, &v, &mc), 0);
    CHECK_STR(n, "NilOpt");
    CHECK(v == NULL);
    CHECK_INT(mc, 0);
    CHECK_INT(wsman_locator_option(l, 2, &n, &v, &mc), -1);

    CHECK_STR(wsman_locator_fragment_path(l), "");
    CHECK_STR(wsman_locator_fragment_dialect(l), WSMAN_DIALECT_XPATH);
    CHECK_INT(wsman_locator_set_fragment_path(l, "DNSServerSearchOrder[1]", &e), 0);
    CHECK_INT(wsman_locator_set_fragment_dialect(l, "http://example/dialect", &e), 0);
    CHECK_STR(wsman_locator_fragment_path(l), "DNSServerSearchOrder[1]");
    CHECK_STR(wsman_locator_fragment_dialect(l), "http://example/dialect");
    CHECK_INT(wsman_locator_set_fragment_dialect(l, "bad dialect", &e), -1);
    CHECK_INT(e.code, WSMAN_E_INVALID_FRAGMENT_DIALECT);
    wsman_error_clear(&e);
    CHECK_INT(wsman_locator_must_understand_options(l), 0);
    wsman_locator_set_must_understand_options(l, 5);
    CHECK_INT(wsman_locator_must_understand_options(l), 1);

    d = wsman_locator_dup(l);
    CHECK(d != NULL);
    wsman_locator_clear_selectors(l);
    wsman_locator_clear_options(l);
    CHECK_INT(wsman_locator_set_fragment_path(l, NULL, &e), 0);
    CHECK_INT(wsman_locator_set_fragment_dialect(l, "", &e), 0);
    CHECK_STR(wsman_locator_fragment_path(l), "");
    CHECK_STR(wsman_locator_fragment_dialect(l), WSMAN_DIALECT_XPATH);
    CHECK_INT(wsman_locator_selector_count(l), 0);
    CHECK_INT(wsman_locator_option_count(l), 0);
    /* the copy is deep */
    CHECK_INT(wsman_locator_selector_count(d), 1);
    check_sel(d, 0, "Name", "winmgmt");
    CHECK_INT(wsman_locator_option_count(d), 2);
    CHECK_INT(wsman_locator_option(d, 1, &n, &v, &mc), 0);
    CHECK(v == NULL);
    CHECK_STR(wsman_locator_fragment_path(d), "DNSServerSearchOrder[1]");
    CHECK_STR(wsman_locator_fragment_dialect(d), "http://example/dialect");
    CHECK_INT(wsman_locator_must_understand_options(d), 1);
    wsman_locator_free(d);
    wsman_locator_free(l);
    wsman_locator_free(NULL);
    CHECK(wsman_locator_dup(NULL) == NULL);
    CHECK_INT(e.code, 0);
}

/* ---- error table -------------------------------------------------------------------------------- */

TEST(error_table_lookups)
{
    CHECK_STR(wsman_error_name(0x80338000u), "ERROR_WSMAN_RESOURCE_NOT_FOUND");
    CHECK_STR(wsman_error_text(0x80338000u),
              "The WS-Management service cannot process the request. The service "
              "cannot find the resource identified by the resource URI and "
              "selectors.");
    CHECK_STR(wsman_error_name(0x803380FAu), "ERROR_WSMAN_INVALID_URI_WMI_SINGLETON");
    CHECK_STR(wsman_error_name(0x8033803Du), "ERROR_WSMAN_INVALID_SELECTORS");
    CHECK_STR(wsman_error_name(0x80338029u), "ERROR_WSMAN_OPERATION_TIMEDOUT");
    CHECK_STR(wsman_error_name(0x803381A5u), "ERROR_WSMAN_QUOTA_MAX_SHELLS");
    CHECK_STR(wsman_error_name(0x803381FFu), "ERROR_WSMAN_EVENTING_PUSH_SUBSCRIPTION_NOACTIVATE_EVENTSOURCE");
    CHECK_STR(wsman_error_name(0x80338169u), "ERROR_WSMAN_PUBLIC_FIREWALL_PROFILE_ACTIVE");
    CHECK_STR(wsman_error_name(0x80338137u), "ERROR_WSMAN_POLYMORPHISM_MODE_UNSUPPORTED");
    CHECK_STR(wsman_error_name(WSMAN_E_CLIENT_UNENCRYPTED_DISABLED),
              "ERROR_WSMAN_CLIENT_UNENCRYPTED_DISABLED");
    CHECK(strstr(wsman_error_text(WSMAN_E_CLIENT_UNENCRYPTED_DISABLED),
                 "Unencrypted traffic is currently disabled"));
    CHECK(strstr(wsman_error_text(0x80338005u), "defaults:\n\nwinrm invoke Restore") != NULL);
    /* every FACILITY_WINRM code from 0x80338000 to 0x803381FF is known */
    for (uint32_t c = 0x80338000u; c <= 0x803381FFu; c++) {
        if (!wsman_error_name(c) || !wsman_error_text(c) || strncmp(wsman_error_name(c), "ERROR_", 6) != 0) {
            printf("# 0x%08X missing\n", (unsigned)c);
            check_cur_failed = 1;
            break;
        }
    }
    CHECK(wsman_error_name(0x80338200u) == NULL);
    CHECK(wsman_error_text(0x80331234u) == NULL);
    CHECK(wsman_error_name(0) == NULL);
    CHECK(wsman_error_name(0xFFFFFFFFu) == NULL);
}

TEST(error_table_win32_and_hresult_forms)
{
    CHECK_STR(wsman_error_name(5), "ERROR_ACCESS_DENIED");
    CHECK_STR(wsman_error_name(0x80070005u), "E_ACCESSDENIED");
    CHECK_STR(wsman_error_text(5), "Access is denied.");
    CHECK_STR(wsman_error_text(0x80070005u), "Access is denied.");
    CHECK_STR(wsman_error_name(87), "ERROR_INVALID_PARAMETER");
    CHECK_STR(wsman_error_name(0x80070057u), "E_INVALIDARG");
    CHECK_STR(wsman_error_text(0x80070057u), "The parameter is incorrect.");
    CHECK_STR(wsman_error_name(995), "ERROR_OPERATION_ABORTED");
    CHECK_STR(wsman_error_name(0x800703E3u), "ERROR_OPERATION_ABORTED");
    CHECK_STR(wsman_error_name(1460), "ERROR_TIMEOUT");
    CHECK_STR(wsman_error_name(WSMAN_E_TIMEOUT), "ERROR_TIMEOUT");
    CHECK_STR(wsman_error_text(0x800705B4u), "This operation returned because the timeout period expired.");
    CHECK_STR(wsman_error_name(0x80072EE2u), "ERROR_WINHTTP_TIMEOUT");
    CHECK_STR(wsman_error_name(12002), "ERROR_WINHTTP_TIMEOUT");
    CHECK_STR(wsman_error_name(0x80072EE7u), "ERROR_WINHTTP_NAME_NOT_RESOLVED");
    CHECK_STR(wsman_error_name(0x80072EFDu), "ERROR_WINHTTP_CANNOT_CONNECT");
    CHECK_STR(wsman_error_name(0x80072EFEu), "ERROR_WINHTTP_CONNECTION_ERROR");
    CHECK_STR(wsman_error_name(0x80072F78u), "ERROR_WINHTTP_INVALID_SERVER_RESPONSE");
    CHECK_STR(wsman_error_name(0x80072F8Fu), "ERROR_WINHTTP_SECURE_FAILURE");
    CHECK_STR(wsman_error_name(0x80072F06u), "ERROR_WINHTTP_SECURE_CERT_CN_INVALID");
    CHECK_STR(wsman_error_name(0x80072F0Du), "ERROR_WINHTTP_SECURE_INVALID_CA");
    CHECK_STR(wsman_error_name(0x80072F05u), "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID");
    CHECK_STR(wsman_error_text(0x80072EFDu), "A connection with the server could not be established");
    CHECK_STR(wsman_error_name(0x8007000Eu), "E_OUTOFMEMORY");
    CHECK_STR(wsman_error_name(0x80070002u), "ERROR_FILE_NOT_FOUND");
    CHECK_STR(wsman_error_name(0x8009030Cu), "SEC_E_LOGON_DENIED");
    CHECK(wsman_error_name(0x80071234u) == NULL);
}

TEST(error_retry_classes)
{
    CHECK_INT(wsman_error_retry_class(0x803381A5u), WSMAN_RETRY_QUOTA);
    CHECK_INT(wsman_error_retry_class(0x803381A6u), WSMAN_RETRY_QUOTA);
    CHECK_INT(wsman_error_retry_class(0x803381A7u), WSMAN_RETRY_QUOTA);
    CHECK_INT(wsman_error_retry_class(0x803381E4u), WSMAN_RETRY_QUOTA);
    CHECK_INT(wsman_error_retry_class(0x8033805Bu), WSMAN_RETRY_QUOTA);
    CHECK_INT(wsman_error_retry_class(5), WSMAN_RETRY_AUTH);
    CHECK_INT(wsman_error_retry_class(0x80070005u), WSMAN_RETRY_AUTH);
    CHECK_INT(wsman_error_retry_class(1326), WSMAN_RETRY_AUTH);
    CHECK_INT(wsman_error_retry_class(0x8007052Eu), WSMAN_RETRY_AUTH);
    CHECK_INT(wsman_error_retry_class(0x8009030Cu), WSMAN_RETRY_AUTH);
    CHECK_INT(wsman_error_retry_class(0x80072EE2u), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(0x800705B4u), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(1460), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(0x80072EFDu), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(0x80072EFEu), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(0x80338029u), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(0x8033801Cu), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(0x80338126u), WSMAN_RETRY_TRANSIENT);
    CHECK_INT(wsman_error_retry_class(0x8033803Du), WSMAN_RETRY_FATAL);
    CHECK_INT(wsman_error_retry_class(0x80338000u), WSMAN_RETRY_FATAL);
    CHECK_INT(wsman_error_retry_class(0x80072F0Du), WSMAN_RETRY_FATAL);
    CHECK_INT(wsman_error_retry_class(87), WSMAN_RETRY_FATAL);
    CHECK_INT(wsman_error_retry_class(0x12345678u), WSMAN_RETRY_FATAL);
    CHECK_STR(wsman_retry_name(WSMAN_RETRY_FATAL), "fatal");
    CHECK_STR(wsman_retry_name(WSMAN_RETRY_TRANSIENT), "transient");
    CHECK_STR(wsman_retry_name(WSMAN_RETRY_QUOTA), "quota");
    CHECK_STR(wsman_retry_name(WSMAN_RETRY_AUTH), "auth");
}

TEST(error_set_to_string_and_fault)
{
    wsman_error_t e, f;
    char *s;
    wsman_error_init(&e);
    wsman_error_set(&e, 0x80338012u, "cannot reach <%s> & \"%s\"", "h", "q");
    CHECK_INT(e.code, 0x80338012u);
    CHECK_STR(e.name, "ERROR_WSMAN_DESTINATION_UNREACHABLE");
    CHECK_STR(e.message, "cannot reach <h> & \"q\"");
    CHECK_INT(e.retry, WSMAN_RETRY_TRANSIENT);
    CHECK_STR(e.fault_xml, "<f:WSManFault xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" "
                           "Code=\"2150858770\" Machine=\"\"><f:Message>cannot reach &lt;h&gt; &amp; \"q\""
                           "</f:Message></f:WSManFault>");
    wsman_error_context(&e, "Get", "http://srv:5985/wsman");
    wsman_error_context(&e, "Put", "http://other:1/wsman"); /* only fills what is empty */
    CHECK_STR(e.operation, "Get");
    CHECK_STR(e.endpoint, "http://srv:5985/wsman");
    CHECK_STR(e.machine, "srv");
    CHECK(e.fault_xml && strstr(e.fault_xml, "Machine=\"srv\""));
    s = wsman_error_to_string(&e);
    CHECK_STR(s, "Get http://srv:5985/wsman: cannot reach <h> & \"q\" (0x80338012 "
                 "ERROR_WSMAN_DESTINATION_UNREACHABLE)");
    wsman_free(s);

    /* default message from the table; unknown code; move */
    wsman_error_set(&e, 0x80338000u, NULL);
    CHECK_STR(e.message, wsman_error_text(0x80338000u));
    CHECK_STR(e.operation, "Get"); /* context kept */
    CHECK(e.fault_xml && strstr(e.fault_xml, "Code=\"2150858752\" Machine=\"srv\""));
    wsman_error_init(&f);
    wsman_error_move(&f, &e);
    CHECK(e.message == NULL && e.code == 0);
    CHECK_INT(f.code, 0x80338000u);
    wsman_error_clear(&f);

    wsman_error_set(&e, 0x12345678u, NULL);
    CHECK(e.name == NULL);
    CHECK(e.message && strstr(e.message, "0x12345678"));
    s = wsman_error_to_string(&e);
    CHECK_STR(s, "Unknown error 0x12345678. (0x12345678)");
    wsman_free(s);
    wsman_error_clear(&e);

    /* multi-line texts become one line; IPv6 machine; quoting in attributes */
    wsman_error_set(&e, 0x80338005u, NULL);
    wsman_error_context(&e, "Identify", "https://[::1]:5986/wsman");
    CHECK_STR(e.machine, "::1");
    s = wsman_error_to_string(&e);
    CHECK(s && !strchr(s, '\n'));
    CHECK(s && strncmp(s, "Identify https://[::1]:5986/wsman: The WS-Management configuration", 66) == 0);
    wsman_free(s);
    wsman_error_clear(&e);
    free(e.machine);
    e.machine = wsman_strdup("a\"b<c");
    wsman_error_set(&e, 5, NULL);
    CHECK(e.fault_xml &&
          strstr(e.fault_xml, "Code=\"5\" Machine=\"a&quot;b&lt;c\"><f:Message>Access is denied."));
    CHECK_INT(e.retry, WSMAN_RETRY_AUTH);
    wsman_error_clear(&e);
    wsman_error_clear(NULL);
    CHECK(wsman_error_to_string(NULL) == NULL);
}

/* ---- authentication ------------------------------------------------------------------------------ */

static void parse_ep(const char *conn, uint32_t flags, wsman_endpoint_t *ep)
{
    CHECK_INT(wsman_endpoint_parse(conn, flags, ep, NULL), 0);
}

/* The session's way to pick a mechanism: wsman_auth_new_ex with flags, credentials and endpoint. */
static wsman_auth_t *new_auth(uint32_t flags, const wsman_credentials_t *c, const wsman_endpoint_t *ep,
                              wsman_error_t *e)
{
    wsman_auth_params_t p;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    p.username = c ? c->username : NULL;
    p.password = c ? c->password : NULL;
    p.ep = ep;
    return wsman_auth_new_ex(&p, e);
}

static void check_auth_error(uint32_t flags, const wsman_credentials_t *c, const char *conn, uint32_t code,
                             const char *needle)
{
    wsman_endpoint_t ep;
    wsman_error_t e;
    wsman_auth_t *a;
    wsman_error_init(&e);
    parse_ep(conn, flags, &ep);
    a = new_auth(flags, c, &ep, &e);
    CHECK(a == NULL);
    CHECK_INT(e.code, code);
    if (needle && (!e.message || !strstr(e.message, needle))) {
        printf("# message lacks \"%s\": %s\n", needle, e.message ? e.message : "(null)");
        check_cur_failed = 1;
    }
    if (c && c->password && *c->password && e.message && strstr(e.message, c->password)) {
        printf("# message reveals the password\n");
        check_cur_failed = 1;
    }
    wsman_auth_free(a);
    wsman_endpoint_clear(&ep);
    wsman_error_clear(&e);
}

TEST(auth_selection)
{
    wsman_credentials_t creds = {"Administrator", "Pa55:w0rd"};
    wsman_credentials_t none = {NULL, NULL};
    wsman_endpoint_t ep;
    wsman_error_t e;
    wsman_auth_t *a;

    /* no authentication */
    wsman_error_init(&e);
    parse_ep("host", 0, &ep);
    a = new_auth(WSMAN_FLAG_USE_NO_AUTHENTICATION, &none, &ep, &e);
    CHECK(a == NULL);
    CHECK_INT(e.code, 0);
    wsman_endpoint_clear(&ep);
    check_auth_error(WSMAN_FLAG_USE_NO_AUTHENTICATION, &creds, "host", 0x803380ABu, "UseNoAuthentication");

    /* Basic over http:// without NoEncryption: refused before anything is sent */
    check_auth_error(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_CRED_USERNAME_PASSWORD, &creds, "host",
                     WSMAN_E_CLIENT_UNENCRYPTED_DISABLED, "Unencrypted traffic is currently disabled");
    check_auth_error(WSMAN_FLAG_USE_BASIC, &creds, "http://host:5986", WSMAN_E_CLIENT_UNENCRYPTED_DISABLED,
                     "SessionFlagNoEncryption");
    check_auth_error(WSMAN_FLAG_USE_BASIC, &creds, "host", WSMAN_E_CLIENT_UNENCRYPTED_DISABLED,
                     "SessionFlagUseSsl");
    /* Basic without a user name */
    check_auth_error(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_USE_SSL, &none, "host",
                     WSMAN_E_CLIENT_USERNAME_PASSWORD_NEEDED, "options.UserName");
    /* CredSSP is not built: said so, never a fallback (the other mechanisms: test_auth.c) */
    check_auth_error(WSMAN_FLAG_USE_CREDSSP, &creds, "host", 0x80004001u, "CredSSP");
    check_auth_error(WSMAN_FLAG_USE_DIGEST, &creds, "host", WSMAN_E_CLIENT_UNENCRYPTED_DISABLED, "Digest");
    check_auth_error(WSMAN_FLAG_USE_CLIENT_CERTIFICATE, &none, "https://host", 0x803380B4u, "certificate");
    check_auth_error(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_USE_NEGOTIATE, &creds, "host",
                     WSMAN_E_CLIENT_MULTIPLE_AUTH_FLAGS, "More than one");

    /* Basic over HTTPS, and over HTTP with NoEncryption */
    parse_ep("host", WSMAN_FLAG_USE_SSL, &ep);
    a = new_auth(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_USE_SSL, &creds, &ep, &e);
    CHECK(a != NULL);
    CHECK_INT(e.code, 0);
    if (a) {
        wsman_buf_t h;
        int done = 0;
        wsman_buf_init(&h);
        CHECK_STR(a->mech->name, "Basic");
        CHECK_INT(a->done, 1);
        CHECK_INT(a->mech->header(a->state, &h, &e), 0);
        /* base64("Administrator:Pa55:w0rd") */
        CHECK_STR(h.data, "Basic QWRtaW5pc3RyYXRvcjpQYTU1OncwcmQ=");
        CHECK_INT(a->mech->step(a->state, NULL, &h, &done, &e), 0);
        CHECK_INT(done, 1);
        CHECK_STR(h.data, "Basic QWRtaW5pc3RyYXRvcjpQYTU1OncwcmQ=");
        a->mech->reset(a->state);
        wsman_buf_free_secure(&h);
    }
    wsman_auth_free(a);
    wsman_endpoint_clear(&ep);

    parse_ep("http://host:5985", 0, &ep);
    {
        wsman_credentials_t u8 = {"DOMAIN\\j\xc3\xbcrgen", ""};
        a = new_auth(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_NO_ENCRYPTION, &u8, &ep, &e);
        CHECK(a != NULL);
        if (a) {
            wsman_buf_t h;
            wsman_buf_init(&h);
            CHECK_INT(a->mech->header(a->state, &h, &e), 0);
            CHECK_STR(h.data, "Basic RE9NQUlOXGrDvHJnZW46"); /* "DOMAIN\jürgen:" in UTF-8 */
            wsman_buf_free_secure(&h);
        }
        wsman_auth_free(a);
        wsman_credentials_t colon = {"a:b", "x"};
        CHECK(new_auth(WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_NO_ENCRYPTION, &colon, &ep, &e) == NULL);
        CHECK_INT(e.code, WSMAN_E_INVALIDARG);
        wsman_error_clear(&e);
    }
    wsman_endpoint_clear(&ep);
    wsman_auth_free(NULL);
    wsman_error_clear(&e);
}

/* ---- loopback HTTP server ------------------------------------------------------------------------ */

enum action {
    ACT_OK,        /* 200 with the configured body, keep the connection */
    ACT_401,       /* 401 with two WWW-Authenticate headers and Connection: close, then close */
    ACT_CLOSE,     /* read the request, close without a reply */
    ACT_PARTIAL,   /* headers announcing 1000 bytes, 10 bytes, close */
    ACT_TWO_PARTS, /* first half of the body, wait until the client's sink saw it, second half */
    ACT_NEVER,     /* read the request, never answer (until the client goes away) */
    ACT_GARBAGE    /* not HTTP at all */
};

typedef struct server {
    int lfd, port;
    int stop_pipe[2];   /* main -> server: stop */
    int stream_pipe[2]; /* sink -> server: first part arrived */
    pthread_t th;
    enum action script[8];
    int nscript;
    const char *body;
    pthread_mutex_t mu;
    int accepted, requests;
    char last_request[8192];
} server_t;

/* case-insensitive strstr (strcasestr is a GNU extension) */
static const char *ci_find(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

static long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable or the stop pipe fires; 1 readable, 0 stop/timeout. */
static int wait_readable(server_t *s, int fd, int timeout_ms)
{
    struct pollfd p[2] = {{fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    int r = poll(p, 2, timeout_ms);
    if (r <= 0 || (p[1].revents & POLLIN))
        return 0;
    return 1;
}

static int send_all(int fd, const char *d, size_t n)
{
    while (n) {
        ssize_t k = send(fd, d, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        d += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads one request (headers + Content-Length body) into s->last_request; -1 when the client
 * closed or on error. Leftover bytes are not expected (no pipelining). */
static int read_request(server_t *s, int fd)
{
    char buf[8192];
    size_t have = 0;
    long clen = -1;
    char *hend = NULL;
    for (;;) {
        ssize_t k;
        if (!wait_readable(s, fd, 10000))
            return -1;
        k = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (k <= 0)
            return -1;
        have += (size_t)k;
        buf[have] = '\0';
        if (!hend && (hend = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = ci_find(buf, "\r\nContent-Length:");
            clen = cl ? strtol(cl + 17, NULL, 10) : 0;
        }
        if (hend && (long)(have - (size_t)(hend + 4 - buf)) >= clen)
            break;
        if (have >= sizeof buf - 1)
            return -1;
    }
    pthread_mutex_lock(&s->mu);
    memcpy(s->last_request, buf, have + 1);
    s->requests++;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void serve_connection(server_t *s, int fd)
{
    char hdr[512];
    for (;;) {
        enum action act;
        int idx;
        if (read_request(s, fd) != 0)
            return;
        pthread_mutex_lock(&s->mu);
        idx = s->requests - 1;
        act = s->script[idx < s->nscript ? idx : s->nscript - 1];
        pthread_mutex_unlock(&s->mu);
        switch (act) {
        case ACT_OK:
            snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Type: application/soap+xml;"
                     "charset=UTF-8\r\nContent-Length: %zu\r\n\r\n",
                     strlen(s->body));
            if (send_all(fd, hdr, strlen(hdr)) || send_all(fd, s->body, strlen(s->body)))
                return;
            break;
        case ACT_401: {
            const char *r =
                "HTTP/1.1 401 \r\nServer: Microsoft-HTTPAPI/2.0\r\nWWW-Authenticate: Negotiate\r\n"
                "WWW-Authenticate: Basic realm=\"WSMAN\"\r\nConnection: close\r\n"
                "Content-Length: 0\r\n\r\n";
            send_all(fd, r, strlen(r));
            return;
        }
        case ACT_CLOSE:
            return;
        case ACT_PARTIAL: {
            const char *r =
                "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: 1000\r\n\r\n"
                "<s:Envelop";
            send_all(fd, r, strlen(r));
            return;
        }
        case ACT_TWO_PARTS: {
            size_t n = strlen(s->body), half = n / 2;
            char c;
            snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: %zu\r\n\r\n",
                     n);
            if (send_all(fd, hdr, strlen(hdr)) || send_all(fd, s->body, half))
                return;
            if (!wait_readable(s, s->stream_pipe[0], 10000) || read(s->stream_pipe[0], &c, 1) != 1)
                return;
            if (send_all(fd, s->body + half, n - half))
                return;
            break;
        }
        case ACT_NEVER:
            /* until the client gives up and closes (or the test stops the server) */
            while (wait_readable(s, fd, 10000)) {
                char b[256];
                if (recv(fd, b, sizeof b, 0) <= 0)
                    break;
            }
            return;
        case ACT_GARBAGE: {
            const char *r = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
            send_all(fd, r, strlen(r));
            return;
        }
        }
    }
}

static void *server_main(void *ud)
{
    server_t *s = ud;
    for (;;) {
        int fd;
        if (!wait_readable(s, s->lfd, 20000))
            break;
        fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        s->accepted++;
        pthread_mutex_unlock(&s->mu);
        serve_connection(s, fd);
        close(fd);
    }
    return NULL;
}

static int server_start(server_t *s, const enum action *script, int n, const char *body)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    memcpy(s->script, script, (size_t)n * sizeof *script);
    s->nscript = n;
    s->body = body ? body : "<s:Envelope/>";
    if (pipe(s->stop_pipe) || pipe(s->stream_pipe))
        return -1;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 8) ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al))
        return -1;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->th, NULL, server_main, s) == 0 ? 0 : -1;
}

static void server_stop(server_t *s)
{
    char c = 'x';
    if (write(s->stop_pipe[1], &c, 1) != 1)
        perror("write");
    pthread_join(s->th, NULL);
    close(s->lfd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    close(s->stream_pipe[0]);
    close(s->stream_pipe[1]);
    pthread_mutex_destroy(&s->mu);
}

static wsman_transport_t *transport_for(int port, long connect_timeout_ms)
{
    char url[64];
    wsman_transport_config_t cfg;
    wsman_error_t e;
    wsman_transport_t *t;
    memset(&cfg, 0, sizeof cfg);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/wsman", port);
    cfg.url = url;
    cfg.proxy_access_type = WSMAN_PROXY_NO_PROXY_SERVER; /* never a proxy from the environment */
    cfg.connect_timeout_ms = connect_timeout_ms;
    wsman_error_init(&e);
    t = wsman_transport_new(&cfg, &e);
    if (!t)
        printf("# transport_new: %s\n", e.message ? e.message : "?");
    wsman_error_clear(&e);
    return t;
}

typedef struct sink_state {
    wsman_buf_t got;
    int calls;
    int notify_fd;   /* write a byte here on the first call (-1: none) */
    int abort_after; /* return -1 on this call number (0: never) */
} sink_state_t;

static int test_sink(void *ud, const char *data, size_t len)
{
    sink_state_t *s = ud;
    s->calls++;
    if (wsman_buf_append(&s->got, data, len) != 0)
        return -1;
    if (s->calls == 1 && s->notify_fd >= 0) {
        char c = '1';
        if (write(s->notify_fd, &c, 1) != 1)
            return -1;
    }
    if (s->abort_after && s->calls >= s->abort_after)
        return -1;
    return 0;
}

static const char *req_body =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>";

static int do_post(wsman_transport_t *t, long timeout_ms, sink_state_t *sk, wsman_http_response_t *resp,
                   wsman_send_state_t *st, wsman_error_t *e, const char *const *headers)
{
    wsman_http_request_t rq;
    memset(&rq, 0, sizeof rq);
    rq.body = req_body;
    rq.len = strlen(req_body);
    rq.content_type = "application/soap+xml;charset=UTF-8";
    rq.headers = headers;
    rq.timeout_ms = timeout_ms;
    return wsman_transport_post(t, &rq, test_sink, sk, resp, st, e);
}

static void sink_init(sink_state_t *s)
{
    memset(s, 0, sizeof *s);
    wsman_buf_init(&s->got);
    s->notify_fd = -1;
}

TEST(transport_keep_alive_reuse)
{
    static const enum action script[] = {ACT_OK};
    const char *body =
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>ok</s:Body></s:Envelope>";
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;
    const char *hdrs[] = {"Authorization: Basic dTpw", NULL};

    CHECK_INT(server_start(&srv, script, 1, body), 0);
    t = transport_for(srv.port, 0);
    CHECK(t != NULL);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    for (int i = 0; t && i < 3; i++) {
        sink_init(&sk);
        CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, hdrs), 0);
        CHECK_INT(resp.status, 200);
        CHECK_STR(resp.content_type, "application/soap+xml;charset=UTF-8");
        CHECK_INT(resp.connection_close, 0);
        CHECK_INT(resp.n_www_authenticate, 0);
        CHECK_STR(sk.got.data, body);
        CHECK_INT(e.code, 0);
        wsman_buf_free(&sk.got);
    }
    CHECK_INT(wsman_transport_connections(t), 1);
    pthread_mutex_lock(&srv.mu);
    CHECK_INT(srv.accepted, 1);
    CHECK_INT(srv.requests, 3);
    /* what went on the wire */
    CHECK(strncmp(srv.last_request, "POST /wsman HTTP/1.1\r\n", 22) == 0);
    CHECK(ci_find(srv.last_request, "\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n") != NULL);
    CHECK(ci_find(srv.last_request, "\r\nAuthorization: Basic dTpw\r\n") != NULL);
    CHECK(ci_find(srv.last_request, "\r\nContent-Length: 84\r\n") != NULL);
    CHECK(ci_find(srv.last_request, "Transfer-Encoding") == NULL);
    CHECK(ci_find(srv.last_request, "Expect:") == NULL);
    CHECK(strstr(srv.last_request, req_body) != NULL);
    pthread_mutex_unlock(&srv.mu);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_www_authenticate_and_connection_close)
{
    static const enum action script[] = {ACT_401, ACT_OK};
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;

    CHECK_INT(server_start(&srv, script, 2, NULL), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), 0);
    CHECK_INT(resp.status, 401);
    CHECK_INT(resp.n_www_authenticate, 2);
    if (resp.n_www_authenticate == 2) {
        CHECK_STR(resp.www_authenticate[0], "Negotiate");
        CHECK_STR(resp.www_authenticate[1], "Basic realm=\"WSMAN\"");
    }
    CHECK_INT(resp.connection_close, 1);
    CHECK_INT(sk.got.len, 0);
    wsman_buf_free(&sk.got);
    /* the server closed: the next request opens a new connection and gets a fresh response */
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), 0);
    CHECK_INT(resp.status, 200);
    CHECK_INT(resp.n_www_authenticate, 0);
    CHECK_INT(resp.connection_close, 0);
    CHECK_INT(wsman_transport_connections(t), 2);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_streaming_sink)
{
    static const enum action script[] = {ACT_TWO_PARTS};
    char big[20000];
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;

    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    CHECK_INT(server_start(&srv, script, 1, big), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    sk.notify_fd = srv.stream_pipe[1]; /* the server sends the second half only after this */
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), 0);
    CHECK_INT(resp.status, 200);
    CHECK(sk.calls >= 2);
    CHECK_INT(sk.got.len, sizeof big - 1);
    CHECK(sk.got.data && memcmp(sk.got.data, big, sizeof big - 1) == 0);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_sink_abort)
{
    static const enum action script[] = {ACT_OK};
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;

    CHECK_INT(server_start(&srv, script, 1, "<x>some reply</x>"), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    sk.abort_after = 1;
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(st, WSMAN_SENT_PARTIAL_REPLY);
    CHECK_INT(e.code, 0x80004004u);
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    /* a sink that filled the caller's error keeps it */
    sink_init(&sk);
    sk.abort_after = 1;
    wsman_error_set(&e, WSMAN_E_INVALID_XML, "bad xml at line 1");
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(e.code, WSMAN_E_INVALID_XML);
    CHECK_STR(e.message, "bad xml at line 1");
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_refused)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st = WSMAN_SENT_PARTIAL_REPLY;
    wsman_error_t e;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &al) == 0);
    port = ntohs(a.sin_port);
    close(fd); /* nobody listens there now */

    t = transport_for(port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_CANNOT_CONNECT);
    CHECK_INT(st, WSMAN_SENT_NOTHING);
    CHECK_INT(e.retry, WSMAN_RETRY_TRANSIENT);
    {
        char hp[64];
        snprintf(hp, sizeof hp, "127.0.0.1:%d", port);
        CHECK(e.message && strstr(e.message, hp));
        CHECK(e.message && strstr(e.message, "winrm quickconfig"));
    }
    CHECK_INT(resp.status, 0);
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
}

typedef struct pause_op {
    wsman_transport_t *t;
    long ms;
    int rc, finished;
    wsman_error_t e;
} pause_op_t;

static void pause_run(void *ud)
{
    pause_op_t *p = ud;
    p->rc = wsman_transport_pause(p->t, p->ms, &p->e);
}

static void pause_done(void *ud)
{
    ((pause_op_t *)ud)->finished = 1;
}

/* A retry's backoff waits on the shared loop: a resumable operation is suspended (the caller gets
 * control back at once, other operations go on) and can be cancelled during it. */
TEST(transport_pause_suspends_and_cancels)
{
    pause_op_t p;
    long id;
    int steps = 0;

    memset(&p, 0, sizeof p);
    wsman_error_init(&p.e);
    p.t = transport_for(1, 0);
    p.ms = 1;
    CHECK_INT(wsman_transport_pause(p.t, p.ms, &p.e), 0); /* blocking form: the time passes */

    p.ms = 3600 * 1000; /* an hour: only a suspension lets wsman_async return now */
    id = wsman_async(pause_run, pause_done, &p, &p.e);
    CHECK(id > 0);
    CHECK_INT(p.finished, 0);
    CHECK_INT(wsman_async_pending(), 1);
    CHECK(wsman_loop_timeout() > 0);
    CHECK_INT(wsman_async_cancel(id), 0);
    while (!p.finished && steps++ < 100)
        wsman_loop_step(0);
    CHECK_INT(p.finished, 1);
    CHECK_INT(p.rc, -1);
    CHECK_INT(p.e.code, WSMAN_E_OPERATION_ABORTED);
    CHECK(p.e.message && strstr(p.e.message, "127.0.0.1:1") && strstr(p.e.message, "cancelled"));
    CHECK_INT(wsman_async_pending(), 0);
    wsman_error_clear(&p.e);
    wsman_transport_free(p.t);
}

TEST(transport_closed_without_reply)
{
    static const enum action script[] = {ACT_CLOSE};
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;

    CHECK_INT(server_start(&srv, script, 1, NULL), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(st, WSMAN_SENT_NO_REPLY);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_CONNECTION_ERROR);
    CHECK_INT(resp.status, 0);
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_dead_reused_connection_is_not_resent)
{
    /* 1st request answered on a kept-alive connection; the 2nd is read by the server, which then
     * closes without a reply. libcurl would silently resend it on a new connection; we report
     * SENT_NO_REPLY instead and the server sees the request once. */
    static const enum action script[] = {ACT_OK, ACT_CLOSE, ACT_OK};
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;

    CHECK_INT(server_start(&srv, script, 3, NULL), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), 0);
    wsman_buf_free(&sk.got);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(st, WSMAN_SENT_NO_REPLY);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_CONNECTION_ERROR);
    /* libcurl may already have opened the fresh connection for its retry, but the request was
     * not sent on it: the server received it exactly once */
    pthread_mutex_lock(&srv.mu);
    CHECK_INT(srv.requests, 2);
    pthread_mutex_unlock(&srv.mu);
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    /* the caller may retry: a new connection */
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), 0);
    CHECK_INT(resp.status, 200);
    CHECK(wsman_transport_connections(t) >= 2);
    pthread_mutex_lock(&srv.mu);
    CHECK_INT(srv.requests, 3);
    pthread_mutex_unlock(&srv.mu);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_partial_reply)
{
    static const enum action script[] = {ACT_PARTIAL};
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;

    CHECK_INT(server_start(&srv, script, 1, NULL), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(st, WSMAN_SENT_PARTIAL_REPLY);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_CONNECTION_ERROR);
    CHECK_INT(resp.status, 200);
    CHECK_STR(sk.got.data, "<s:Envelop");
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_timeout)
{
    static const enum action script[] = {ACT_NEVER};
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;
    long t0, dt;

    CHECK_INT(server_start(&srv, script, 1, NULL), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    t0 = mono_ms();
    CHECK_INT(do_post(t, 300, &sk, &resp, &st, &e, NULL), -1);
    dt = mono_ms() - t0;
    CHECK(dt >= 250 && dt < 3000);
    CHECK_INT(st, WSMAN_SENT_NO_REPLY);
    CHECK_INT(e.code, WSMAN_E_TIMEOUT);
    CHECK_INT(e.retry, WSMAN_RETRY_TRANSIENT);
    CHECK(e.message && strstr(e.message, "300 ms"));
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

TEST(transport_not_http)
{
    static const enum action script[] = {ACT_GARBAGE};
    server_t srv;
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;
    wsman_error_t e;

    CHECK_INT(server_start(&srv, script, 1, NULL), 0);
    t = transport_for(srv.port, 0);
    memset(&resp, 0, sizeof resp);
    wsman_error_init(&e);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_INVALID_SERVER_RESPONSE);
    CHECK(st != WSMAN_SENT_NOTHING);
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    server_stop(&srv);
}

/* ---- TLS: a self-signed certificate made here, a one-thread TLS server ---------------------------- */

typedef struct tls_server {
    server_t base; /* lfd, port, stop pipe, counters */
    SSL_CTX *ctx;
    X509 *cert;
    EVP_PKEY *key;
    char ca_path[64];
} tls_server_t;

/* Self-signed certificate for CN=localhost, SAN DNS:localhost (so 127.0.0.1 does not match). */
static int make_cert(tls_server_t *ts, int expired)
{
    X509_NAME *name;
    X509_EXTENSION *ext;
    X509V3_CTX v3;
    ts->key = EVP_EC_gen("P-256");
    ts->cert = X509_new();
    if (!ts->key || !ts->cert)
        return -1;
    X509_set_version(ts->cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(ts->cert), 4242);
    if (expired) {
        X509_gmtime_adj(X509_getm_notBefore(ts->cert), -86400L * 10);
        X509_gmtime_adj(X509_getm_notAfter(ts->cert), -86400L);
    } else {
        X509_gmtime_adj(X509_getm_notBefore(ts->cert), -3600L);
        X509_gmtime_adj(X509_getm_notAfter(ts->cert), 86400L);
    }
    X509_set_pubkey(ts->cert, ts->key);
    name = X509_get_subject_name(ts->cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(ts->cert, name);
    X509V3_set_ctx(&v3, ts->cert, ts->cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost");
    if (!ext || !X509_add_ext(ts->cert, ext, -1)) {
        X509_EXTENSION_free(ext);
        return -1;
    }
    X509_EXTENSION_free(ext);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
    if (!ext || !X509_add_ext(ts->cert, ext, -1)) {
        X509_EXTENSION_free(ext);
        return -1;
    }
    X509_EXTENSION_free(ext);
    return X509_sign(ts->cert, ts->key, EVP_sha256()) > 0 ? 0 : -1;
}

static void *tls_server_main(void *ud)
{
    tls_server_t *ts = ud;
    server_t *s = &ts->base;
    const char *reply = "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
                        "Content-Length: 13\r\n\r\n<s:Envelope/>";
    for (;;) {
        int fd;
        SSL *ssl;
        if (!wait_readable(s, s->lfd, 20000))
            break;
        fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        s->accepted++;
        pthread_mutex_unlock(&s->mu);
        ssl = SSL_new(ts->ctx);
        if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
            char buf[8192];
            size_t have = 0;
            for (;;) {
                int k;
                char *hend;
                if (SSL_pending(ssl) == 0 && !wait_readable(s, fd, 10000))
                    break;
                k = SSL_read(ssl, buf + have, (int)(sizeof buf - 1 - have));
                if (k <= 0)
                    break;
                have += (size_t)k;
                buf[have] = '\0';
                hend = strstr(buf, "\r\n\r\n");
                if (hend) {
                    const char *cl = ci_find(buf, "\r\nContent-Length:");
                    long clen = cl ? strtol(cl + 17, NULL, 10) : 0;
                    if ((long)(have - (size_t)(hend + 4 - buf)) >= clen) {
                        pthread_mutex_lock(&s->mu);
                        s->requests++;
                        pthread_mutex_unlock(&s->mu);
                        have = 0;
                        if (SSL_write(ssl, reply, (int)strlen(reply)) <= 0)
                            break;
                    }
                }
                if (have >= sizeof buf - 1)
                    break;
            }
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        close(fd);
    }
    return NULL;
}

static int tls_server_start(tls_server_t *ts, int expired)
{
    static const enum action script[] = {ACT_OK};
    server_t *s = &ts->base;
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    FILE *f;
    int tmp;

    memset(ts, 0, sizeof *ts);
    pthread_mutex_init(&s->mu, NULL);
    memcpy(s->script, script, sizeof script);
    s->nscript = 1;
    if (make_cert(ts, expired) != 0)
        return -1;
    ts->ctx = SSL_CTX_new(TLS_server_method());
    if (!ts->ctx || SSL_CTX_use_certificate(ts->ctx, ts->cert) != 1 ||
        SSL_CTX_use_PrivateKey(ts->ctx, ts->key) != 1)
        return -1;
    strcpy(ts->ca_path, "/tmp/wsman-test-ca-XXXXXX");
    tmp = mkstemp(ts->ca_path);
    if (tmp < 0 || !(f = fdopen(tmp, "w")))
        return -1;
    PEM_write_X509(f, ts->cert);
    fclose(f);
    if (pipe(s->stop_pipe) || pipe(s->stream_pipe))
        return -1;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 8) ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al))
        return -1;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->th, NULL, tls_server_main, ts) == 0 ? 0 : -1;
}

static void tls_server_stop(tls_server_t *ts)
{
    server_stop(&ts->base);
    unlink(ts->ca_path);
    SSL_CTX_free(ts->ctx);
    X509_free(ts->cert);
    EVP_PKEY_free(ts->key);
}

/* One POST over https to host:port with the given flags/ca_file. Returns the post's result. */
static long tls_timeout_ms = 5000;

/* An authorize callback that copies the server certificate (ud: a wsman_buf_t) and adds no header:
 * channel binding reads it there, while the connection is in use. */
static int grab_peer_cert(void *ud, wsman_transport_t *t, int new_connection, wsman_buf_t *value)
{
    (void)new_connection;
    (void)value;
    wsman_buf_reset(ud);
    return wsman_transport_peer_cert(t, ud) == 0 ? 0 : -1;
}

/* A transport to https://host:port (no proxy), NULL with e set. */
static wsman_transport_t *tls_transport(const char *host, int port, uint32_t flags, const char *ca_file,
                                        wsman_error_t *e)
{
    char url[128];
    wsman_transport_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(url, sizeof url, "https://%s:%d/wsman", host, port);
    cfg.url = url;
    cfg.flags = flags;
    cfg.ca_file = ca_file;
    cfg.proxy_access_type = WSMAN_PROXY_NO_PROXY_SERVER;
    return wsman_transport_new(&cfg, e);
}

/* One POST to https://host:port whose authorize callback copies the server certificate. */
static int tls_post_grab_cert(const char *host, int port, uint32_t flags, const char *ca_file,
                              wsman_buf_t *der, wsman_error_t *e)
{
    wsman_transport_t *t;
    wsman_http_request_t rq;
    sink_state_t sk;
    wsman_http_response_t resp;
    int rc;
    if (!(t = tls_transport(host, port, flags, ca_file, e)))
        return -2;
    memset(&rq, 0, sizeof rq);
    rq.body = req_body;
    rq.len = strlen(req_body);
    rq.timeout_ms = tls_timeout_ms;
    rq.authorize = grab_peer_cert;
    rq.authorize_ud = der;
    memset(&resp, 0, sizeof resp);
    sink_init(&sk);
    rc = wsman_transport_post(t, &rq, test_sink, &sk, &resp, NULL, e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    if (rc == 0 && wsman_transport_peer_cert(t, der) != -1)
        rc = -4; /* outside a request there is no connection in use to ask */
    wsman_transport_free(t);
    return rc;
}

static int tls_post(const char *host, int port, uint32_t flags, const char *ca_file, wsman_transport_t **tout,
                    wsman_send_state_t *st, wsman_error_t *e)
{
    wsman_transport_t *t;
    sink_state_t sk;
    wsman_http_response_t resp;
    int rc;
    if (!(t = tls_transport(host, port, flags, ca_file, e)))
        return -2;
    memset(&resp, 0, sizeof resp);
    sink_init(&sk);
    rc = do_post(t, tls_timeout_ms, &sk, &resp, st, e, NULL);
    if (rc == 0 && resp.status != 200)
        rc = -3;
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    if (tout)
        *tout = t;
    else
        wsman_transport_free(t);
    return rc;
}

TEST(transport_tls_verification)
{
    tls_server_t ts;
    wsman_error_t e;
    wsman_send_state_t st;
    char hp[64];

    CHECK_INT(tls_server_start(&ts, 0), 0);
    snprintf(hp, sizeof hp, "127.0.0.1:%d", ts.base.port);
    wsman_error_init(&e);

    /* verification is on by default: a self-signed certificate is refused */
    CHECK_INT(tls_post("127.0.0.1", ts.base.port, 0, NULL, NULL, &st, &e), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_SECURE_INVALID_CA);
    CHECK_INT(st, WSMAN_SENT_NOTHING);
    CHECK(e.message && strstr(e.message, hp) && strstr(e.message, "options.ca_file") &&
          strstr(e.message, "SessionFlagSkipCACheck"));
    wsman_error_clear(&e);

    /* trusted through options.ca_file, but issued to "localhost", not 127.0.0.1 */
    CHECK_INT(tls_post("127.0.0.1", ts.base.port, 0, ts.ca_path, NULL, &st, &e), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_SECURE_CERT_CN_INVALID);
    CHECK_INT(st, WSMAN_SENT_NOTHING);
    CHECK(e.message && strstr(e.message, "SessionFlagSkipCNCheck"));
    wsman_error_clear(&e);

    /* the right name and the CA file: accepted */
    CHECK_INT(tls_post("localhost", ts.base.port, 0, ts.ca_path, NULL, &st, &e), 0);
    if (e.code)
        printf("# %s\n", e.message ? e.message : "?");
    wsman_error_clear(&e);

    /* SkipCNCheck with the CA file; during the request the peer certificate is the server's (DER) */
    {
        wsman_buf_t der;
        unsigned char *mine = NULL;
        int n = i2d_X509(ts.cert, &mine);
        wsman_buf_init(&der);
        CHECK_INT(
            tls_post_grab_cert("127.0.0.1", ts.base.port, WSMAN_FLAG_SKIP_CN_CHECK, ts.ca_path, &der, &e), 0);
        CHECK_INT(der.len, n);
        CHECK(n > 0 && der.len == (size_t)n && memcmp(der.data, mine, (size_t)n) == 0);
        OPENSSL_free(mine);
        wsman_buf_free(&der);
    }
    wsman_error_clear(&e);

    /* SkipCACheck + SkipCNCheck: anything goes */
    CHECK_INT(tls_post("127.0.0.1", ts.base.port, WSMAN_FLAG_SKIP_CA_CHECK | WSMAN_FLAG_SKIP_CN_CHECK, NULL,
                       NULL, &st, &e),
              0);
    wsman_error_clear(&e);

    /* an unreadable CA file */
    CHECK_INT(tls_post("localhost", ts.base.port, 0, "/nonexistent/ca.pem", NULL, &st, &e), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_SECURE_FAILURE);
    CHECK(e.message && strstr(e.message, "options.ca_file"));
    wsman_error_clear(&e);

    /* https:// against a plain-HTTP port is a TLS failure, not a hang */
    tls_server_stop(&ts);
}

TEST(transport_tls_expired_and_plain_port)
{
    tls_server_t ts;
    wsman_error_t e;
    wsman_send_state_t st;
    static const enum action script[] = {ACT_NEVER};
    server_t plain;

    CHECK_INT(tls_server_start(&ts, 1), 0);
    wsman_error_init(&e);
    CHECK_INT(tls_post("localhost", ts.base.port, 0, ts.ca_path, NULL, &st, &e), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_SECURE_CERT_DATE_INVALID);
    CHECK_INT(st, WSMAN_SENT_NOTHING);
    wsman_error_clear(&e);
    tls_server_stop(&ts);

    /* https:// to a server that speaks no TLS and never answers: bounded by the deadline */
    CHECK_INT(server_start(&plain, script, 1, NULL), 0);
    tls_timeout_ms = 400;
    CHECK_INT(tls_post("127.0.0.1", plain.port, 0, NULL, NULL, &st, &e), -1);
    tls_timeout_ms = 5000;
    CHECK_INT(e.code, WSMAN_E_TIMEOUT);
    CHECK_INT(st, WSMAN_SENT_NOTHING);
    CHECK(e.message && strstr(e.message, "TLS handshake"));
    wsman_error_clear(&e);
    server_stop(&plain);
}

TEST(transport_dns_and_config)
{
    wsman_transport_config_t cfg;
    wsman_transport_t *t;
    wsman_error_t e;
    sink_state_t sk;
    wsman_http_response_t resp;
    wsman_send_state_t st;

    memset(&cfg, 0, sizeof cfg);
    wsman_error_init(&e);
    CHECK(wsman_transport_new(&cfg, &e) == NULL);
    CHECK_INT(e.code, WSMAN_E_INVALIDARG);
    wsman_error_clear(&e);

    /* ".invalid" never resolves (RFC 6761) */
    cfg.url = "http://no-such-host.invalid:5985/wsman";
    cfg.proxy_access_type = WSMAN_PROXY_NO_PROXY_SERVER;
    t = wsman_transport_new(&cfg, &e);
    CHECK(t != NULL);
    memset(&resp, 0, sizeof resp);
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_NAME_NOT_RESOLVED);
    CHECK_INT(st, WSMAN_SENT_NOTHING);
    CHECK(e.message && strstr(e.message, "no-such-host.invalid:5985"));
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);

    /* TLS options pass through (a https transport with every option is created) */
    cfg.url = "https://[::1]:5986/wsman";
    cfg.flags = WSMAN_FLAG_SKIP_CA_CHECK | WSMAN_FLAG_SKIP_CN_CHECK | WSMAN_FLAG_SKIP_REVOCATION_CHECK;
    cfg.ca_file = "/nonexistent/ca.pem";
    cfg.client_cert = "/nonexistent/client.pem";
    cfg.client_key = "/nonexistent/client.key";
    cfg.client_key_password = "k";
    cfg.proxy_access_type = 0;
    cfg.proxy = "http://proxy.invalid:3128";
    cfg.proxy_auth_mechanism = WSMAN_PROXY_AUTH_BASIC;
    cfg.proxy_username = "pu";
    cfg.proxy_password = "pp";
    cfg.connect_timeout_ms = 2000;
    t = wsman_transport_new(&cfg, &e);
    CHECK(t != NULL);
    CHECK_INT(e.code, 0);
    CHECK_INT(wsman_transport_connections(t), 0);
    {
        wsman_buf_t der;
        wsman_buf_init(&der);
        CHECK_INT(wsman_transport_peer_cert(t, &der), -1); /* no connection yet */
        wsman_buf_free(&der);
    }
    sink_init(&sk);
    CHECK_INT(do_post(t, 5000, &sk, &resp, &st, &e, NULL), -1);
    CHECK_INT(e.code, WSMAN_E_WINHTTP_NAME_NOT_RESOLVED); /* the proxy does not resolve */
    CHECK(e.message && !strstr(e.message, "pp") && !strstr(e.message, "pu"));
    wsman_error_clear(&e);
    wsman_buf_free(&sk.got);
    wsman_http_response_clear(&resp);
    wsman_transport_free(t);
    wsman_transport_free(NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN); /* the TLS test server writes with SSL_write */
    RUN(connection_strings_default_forms);
    RUN(connection_strings_localhost_and_ipv6);
    RUN(connection_strings_bad);
    RUN(connection_strings_reject_credentials_without_revealing_them);
    RUN(aliases);
    RUN(locator_parse_selectors);
    RUN(locator_parse_errors);
    RUN(locator_epr_strings);
    RUN(locator_properties);
    RUN(error_table_lookups);
    RUN(error_table_win32_and_hresult_forms);
    RUN(error_retry_classes);
    RUN(error_set_to_string_and_fault);
    RUN(auth_selection);
    RUN(transport_keep_alive_reuse);
    RUN(transport_www_authenticate_and_connection_close);
    RUN(transport_streaming_sink);
    RUN(transport_sink_abort);
    RUN(transport_refused);
    RUN(transport_pause_suspends_and_cancels);
    RUN(transport_closed_without_reply);
    RUN(transport_dead_reused_connection_is_not_resent);
    RUN(transport_partial_reply);
    RUN(transport_timeout);
    RUN(transport_not_http);
    RUN(transport_tls_verification);
    RUN(transport_tls_expired_and_plain_port);
    RUN(transport_dns_and_config);
    wsman_global_cleanup();
    return check_done();
}
