/* SPDX-License-Identifier: MIT */
/*
 * fuzz_request.c - what a caller's strings become on the wire: a connection string (endpoint
 * parse), a resource string (alias, "?N=V+N=V" selectors or an EPR), a selector, an option, a
 * FragmentPath, a filter and its dialect, written into an Enumerate request as the session does.
 * Oracle: whatever the builders accept must give a well-formed request (Expat with namespaces);
 * a string XML cannot carry must be refused at the call, not sent.
 *
 * Input: byte 0 = flags (bit 0: WSMAN_FLAG_USE_SSL), then NUL-separated fields: connection,
 * resource, selector name, selector value, option name, option value, FragmentPath, filter,
 * dialect (missing fields are absent).
 */
#include "fuzz.h"
#include "protocol.h"

enum { FIELDS = 9, F_CONN = 0, F_RES, F_SELN, F_SELV, F_OPTN, F_OPTV, F_FRAG, F_FILTER, F_DIALECT };

#define DEFAULT_URL "http://localhost:5985/wsman"
#define DEFAULT_RESOURCE "wmicimv2/Win32_Service"
#define ACTION_ENUMERATE "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"

static void locate(wsman_locator_t *l, char **f)
{
    wsman_error_t e;

    wsman_error_init(&e);
    if (!f[F_RES] || wsman_locator_parse(l, f[F_RES], &e) != 0) {
        wsman_error_clear(&e);
        if (wsman_locator_parse(l, DEFAULT_RESOURCE, &e) != 0)
            abort();
    }
    wsman_error_clear(&e);
    if (f[F_SELN])
        wsman_locator_add_selector(l, f[F_SELN], f[F_SELV], &e);
    wsman_error_clear(&e);
    if (f[F_OPTN])
        wsman_locator_add_option(l, f[F_OPTN], f[F_OPTV], 0, &e);
    wsman_error_clear(&e);
    if (f[F_FRAG])
        wsman_locator_set_fragment_path(l, f[F_FRAG], &e);
    wsman_error_clear(&e);
}

static void request(const char *url, const wsman_locator_t *l, char **f)
{
    wsman_request_header_t h = {url,
                                wsman_locator_uri(l),
                                ACTION_ENUMERATE,
                                "uuid:00000000-0000-4000-8000-000000000000",
                                153600,
                                60000,
                                l,
                                "en-US"};
    wsman_buf_t req, filter;
    wsman_error_t e;

    wsman_buf_init(&req);
    wsman_buf_init(&filter);
    wsman_error_init(&e);
    /* as wsman_enumerate does: the texts are checked, then the filter is built */
    if (wsman_xml_check_str("filter", f[F_FILTER], &e) == 0 &&
        wsman_xml_check_str("dialect", f[F_DIALECT], &e) == 0 &&
        wsman_build_filter(&filter, f[F_FILTER], f[F_DIALECT], 0, wsman_locator_uri(l), &e) == 0 &&
        wsman_envelope_begin(&req, &h) == 0 &&
        wsman_body_enumerate(&req, 0, 0, filter.len ? filter.data : NULL) == 0 &&
        wsman_envelope_end(&req) == 0)
        fz_expect_xml(req.data, req.len, 0, "the request");
    wsman_error_clear(&e);
    wsman_buf_free(&req);
    wsman_buf_free(&filter);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[FIELDS] = {0};
    wsman_endpoint_t ep;
    wsman_error_t e;

    if (size < 1)
        return 0;
    uint32_t flags = (data[0] & 1) ? WSMAN_FLAG_USE_SSL : 0;
    data++;
    size--;
    for (int i = 0; i < FIELDS; i++)
        f[i] = fz_field(&data, &size, '\0');
    memset(&ep, 0, sizeof ep);
    wsman_error_init(&e);
    int have_ep = wsman_endpoint_parse(f[F_CONN], flags, &ep, &e) == 0;
    wsman_error_clear(&e);
    wsman_locator_t *l = wsman_locator_new();
    if (l) {
        locate(l, f);
        request(have_ep ? ep.url : DEFAULT_URL, l, f);
        wsman_locator_free(l);
    }
    if (have_ep)
        wsman_endpoint_clear(&ep);
    for (int i = 0; i < FIELDS; i++)
        free(f[i]);
    return 0;
}
