/* SPDX-License-Identifier: MIT */
/*
 * response.c - reply parsers on top of the streaming reader (xmlread.c): SOAP header fields,
 * results (every child of s:Body serialized standalone), enumeration batches (each item handed
 * to a callback as soon as it is complete), SOAP faults (into wsman_error_t), and EPR strings.
 *
 * Everything is matched by namespace URI and local name, never by prefix.
 */
#include "protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS_WSA2005 "http://www.w3.org/2005/08/addressing"
#define STREAM_FLUSH 65536 /* hand decoded stream bytes over at least this often */

enum role {
    R_FAILED = -1, /* out of memory, or the reader failed (its error is set) */
    R_OTHER = 0,
    R_ENVELOPE,
    R_HEADER,
    R_BODY,
    R_ACTION,
    R_RELATES,
    R_BODYCHILD,
    R_FAULT,
    R_CODE,
    R_CODE_VALUE,
    R_SUBCODE,
    R_SUBCODE_VALUE,
    R_REASON,
    R_REASON_TEXT,
    R_DETAIL,
    R_FAULTDETAIL,
    R_WSMANFAULT,
    R_MESSAGE,
    R_PROVIDERFAULT,
    R_WMIERROR,
    R_WMIPROP,
    R_ENUMRESP,
    R_CONTEXT,
    R_ITEMS,
    R_ITEM,
    R_EOS,
    R_RECVRESP, /* WinRS rsp:ReceiveResponse */
    R_STREAM,   /* rsp:Stream: base64 text decoded as it arrives */
    R_CMDSTATE,
    R_EXITCODE
};

typedef struct frame {
    unsigned char role;
    unsigned char in_detail;
    int level; /* WSManFault nesting level (1 = outer) */
} frame_t;

struct wsman_reader {
    wsman_xml_t *x;
    wsman_resp_kind_t kind;
    wsman_xml_limits_t lim;
    wsman_item_cb cb;
    void *ud;
    frame_t *fr;       /* by depth */
    wsman_buf_t *text; /* by depth: text collected for the element at that depth */
    wsman_response_t res;
    wsman_buf_t item;
    wsman_buf_t fault_xml;
    int seen_envelope, seen_body, done;
    /* fault */
    int have_code, have_wmi_code, subcode_seen, reason_seen, have_outer;
    uint32_t code, inner_code, wmi_code;
    uint32_t subcode_hr, codeval_hr;
    char *message;
    int message_rank;
    char *wmi_message;
    /* WinRS rsp:Stream being read: name, End flag, base64 characters not yet decoded, decoded bytes */
    char *stream_name;
    int stream_end;
    char b64[4];
    int nb64;
    wsman_buf_t decoded;
};

/* ---- helpers --------------------------------------------------------------------------- */

void wsman_xml_limits_for(wsman_xml_limits_t *l, long max_envelope_size)
{
    size_t mes = max_envelope_size > 0 ? (size_t)max_envelope_size : 153600u;
    if (mes > (SIZE_MAX - 65536u) / 4)
        mes = (SIZE_MAX - 65536u) / 4;
    l->max_bytes = 4 * mes + 65536u;
    l->max_item = l->max_bytes;
    l->max_depth = 64;
}

/* Trimmed copy of b's text. */
static char *trimmed(const wsman_buf_t *b)
{
    const char *s = b->data ? b->data : "";
    size_t n = b->len;
    while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return wsman_strndup(s, n);
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long long v;

    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    if (!*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (errno || *end || v > 0xffffffffull)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int is(const char *ns, const char *local, const char *wns, const char *wlocal)
{
    return strcmp(local, wlocal) == 0 && strcmp(ns, wns) == 0;
}

static int is_wsa(const char *ns)
{
    return strcmp(ns, WSMAN_NS_WSA) == 0 || strcmp(ns, NS_WSA2005) == 0;
}

/* SOAP subcodes (and the two SOAP codes that say something) -> HRESULT (wsmerror.h comments),
 * for faults without a WSManFault Code. */
static uint32_t subcode_to_hresult(const char *ns, const char *local)
{
    static const struct {
        const char *ns, *local;
        uint32_t code;
    } map[] = {
        {WSMAN_NS_WSA, "DestinationUnreachable", WSMAN_E_DESTINATION_UNREACHABLE},
        {WSMAN_NS_WSA, "ActionNotSupported", WSMAN_E_ACTION_NOT_SUPPORTED},
        {WSMAN_NS_WSA, "EndpointUnavailable", WSMAN_E_ENDPOINT_UNAVAILABLE},
        {WSMAN_NS_WSA, "InvalidMessageInformationHeader", WSMAN_E_INVALID_MESSAGE_INFORMATION_HEADER},
        {WSMAN_NS_WSA, "MessageInformationHeaderRequired", WSMAN_E_MESSAGE_INFORMATION_HEADER_REQUIRED},
        {WSMAN_NS_WSEN, "FilteringNotSupported", WSMAN_E_ENUMERATE_FILTERING_NOT_SUPPORTED},
        {WSMAN_NS_WSEN, "FilterDialectRequestedUnavailable",
         WSMAN_E_ENUMERATE_FILTER_DIALECT_REQUESTED_UNAVAILABLE},
        {WSMAN_NS_WSEN, "CannotProcessFilter", WSMAN_E_ENUMERATE_CANNOT_PROCESS_FILTER},
        {WSMAN_NS_WSEN, "InvalidEnumerationContext", WSMAN_E_ENUMERATE_INVALID_ENUMERATION_CONTEXT},
        {WSMAN_NS_WSEN, "TimedOut", WSMAN_E_ENUMERATE_TIMED_OUT},
        {WSMAN_NS_WSEN, "UnableToRenew", WSMAN_E_ENUMERATE_UNABLE_TO_RENEW},
        {WSMAN_NS_WSEN, "InvalidExpirationTime", WSMAN_E_ENUMERATE_INVALID_EXPIRATION_TIME},
        {WSMAN_NS_WSEN, "UnsupportedExpirationType", WSMAN_E_ENUMERATE_UNSUPPORTED_EXPIRATION_TIME},
        {WSMAN_NS_WST, "InvalidRepresentation", WSMAN_E_INVALID_REPRESENTATION},
        {WSMAN_NS_WSMAN, "TimedOut", WSMAN_E_OPERATION_TIMEDOUT},
        {WSMAN_NS_WSMAN, "Concurrency", WSMAN_E_CONCURRENCY},
        {WSMAN_NS_WSMAN, "AlreadyExists", WSMAN_E_ALREADY_EXISTS},
        {WSMAN_NS_WSMAN, "DeliveryRefused", WSMAN_E_DELIVERY_REFUSED},
        {WSMAN_NS_WSMAN, "EncodingLimit", WSMAN_E_ENCODING_LIMIT},
        {WSMAN_NS_WSMAN, "InvalidBookmark", WSMAN_E_INVALID_BOOKMARK},
        {WSMAN_NS_WSMAN, "InvalidOptions", WSMAN_E_INVALID_OPTIONS},
        {WSMAN_NS_WSMAN, "InvalidParameter", WSMAN_E_INVALID_PARAMETER},
        {WSMAN_NS_WSMAN, "InvalidSelectors", WSMAN_E_INVALID_SELECTORS},
        {WSMAN_NS_WSMAN, "MetadataRedirect", WSMAN_E_METADATA_REDIRECT},
        {WSMAN_NS_WSMAN, "QuotaLimit", WSMAN_E_QUOTA_LIMIT},
        {WSMAN_NS_WSMAN, "SchemaValidationError", WSMAN_E_SCHEMA_VALIDATION_ERROR},
        {WSMAN_NS_WSMAN, "UnsupportedFeature", WSMAN_E_UNSUPPORTED_FEATURE},
        {WSMAN_NS_WSMAN, "CannotProcessFilter", WSMAN_E_CANNOT_PROCESS_FILTER},
        {WSMAN_NS_WSMAN, "AccessDenied", WSMAN_E_ACCESS_DENIED},
        {WSMAN_NS_SOAP, "MustUnderstand", WSMAN_E_SOAP_FAULT_MUST_UNDERSTAND},
        {WSMAN_NS_SOAP, "VersionMismatch", WSMAN_E_SOAP_VERSION_MISMATCH},
    };
    size_t i;

    if (!ns)
        return 0;
    for (i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].local, local) == 0 &&
            (strcmp(map[i].ns, ns) == 0 ||
             (strcmp(map[i].ns, WSMAN_NS_WSA) == 0 && strcmp(ns, NS_WSA2005) == 0)))
            return map[i].code;
    return 0;
}

static int collects(int role)
{
    switch (role) {
    case R_ACTION:
    case R_RELATES:
    case R_CODE_VALUE:
    case R_SUBCODE_VALUE:
    case R_REASON_TEXT:
    case R_FAULTDETAIL:
    case R_MESSAGE:
    case R_PROVIDERFAULT:
    case R_WMIPROP:
    case R_CONTEXT:
    case R_EXITCODE:
        return 1;
    default:
        return 0;
    }
}

/* ---- WinRS rsp:Stream: base64 decoded as the text arrives --------------------------------- */

static int is_true(const char *v)
{
    return v && (wsman_strcaseeq(v, "true") || strcmp(v, "1") == 0);
}

static int stream_flush(wsman_reader_t *r)
{
    const wsman_stream_sink_t *sink = r->ud;
    int rc = 0;

    if (r->decoded.len && sink && sink->chunk)
        rc = sink->chunk(sink->ud, r->stream_name, r->decoded.data, r->decoded.len, 0);
    wsman_buf_reset(&r->decoded);
    return rc;
}

/* Decodes every complete quantum of s (whitespace skipped); keeps the rest for the next call. */
static int stream_text(wsman_reader_t *r, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        r->b64[r->nb64++] = c;
        if (r->nb64 == 4) {
            if (wsman_base64_decode(&r->decoded, r->b64, 4) != 0)
                return wsman_xml_fail(r->x, "reply: an rsp:Stream element is not valid base64");
            r->nb64 = 0;
            if (r->decoded.len >= STREAM_FLUSH && stream_flush(r) != 0)
                return -1;
        }
    }
    return 0;
}

static int stream_finish(wsman_reader_t *r)
{
    const wsman_stream_sink_t *sink = r->ud;

    if (r->nb64 && wsman_base64_decode(&r->decoded, r->b64, (size_t)r->nb64) != 0)
        return wsman_xml_fail(r->x, "reply: an rsp:Stream element is not valid base64");
    r->nb64 = 0;
    if (stream_flush(r) != 0)
        return -1;
    if (r->stream_end && sink && sink->chunk && sink->chunk(sink->ud, r->stream_name, "", 0, 1) != 0)
        return -1;
    free(r->stream_name);
    r->stream_name = NULL;
    return 0;
}

static int offer_message(wsman_reader_t *r, const wsman_buf_t *b, int rank)
{
    char *m;

    if (rank < r->message_rank)
        return 0;
    m = trimmed(b);
    if (!m)
        return -1;
    if (!*m) {
        free(m);
        return 0;
    }
    free(r->message);
    r->message = m;
    r->message_rank = rank;
    return 0;
}

static int add_wmi(wsman_reader_t *r, const char *local, const wsman_buf_t *b)
{
    wsman_error_t *e = &r->res.fault;
    wsman_kv_t *kv;
    char *v;

    if (e->wmi_count >= 256)
        return 0;
    kv = realloc(e->wmi, (e->wmi_count + 1) * sizeof *kv);
    if (!kv)
        return -1;
    e->wmi = kv;
    v = trimmed(b);
    kv[e->wmi_count].name = wsman_strdup(local);
    kv[e->wmi_count].value = v;
    if (!v || !kv[e->wmi_count].name) {
        free(v);
        free(kv[e->wmi_count].name);
        return -1;
    }
    e->wmi_count++;
    if (strcmp(local, "error_Code") == 0 && !r->have_wmi_code && parse_u32(v, &r->wmi_code) == 0)
        r->have_wmi_code = 1;
    if (strcmp(local, "Message") == 0 && *v && !r->wmi_message && !(r->wmi_message = wsman_strdup(v)))
        return -1;
    return 0;
}

/* ---- handlers ------------------------------------------------------------------------------ */

/* Children of s:Envelope, s:Header and s:Body. */
static int envelope_part_role(wsman_reader_t *r, int prole, const char *ns, const char *local)
{
    if (prole == R_ENVELOPE) {
        if (is(ns, local, WSMAN_NS_SOAP, "Header"))
            return R_HEADER;
        if (is(ns, local, WSMAN_NS_SOAP, "Body")) {
            r->seen_body = 1;
            return R_BODY;
        }
        return R_OTHER;
    }
    if (prole == R_HEADER) {
        if (is_wsa(ns) && strcmp(local, "Action") == 0)
            return R_ACTION;
        if (is_wsa(ns) && strcmp(local, "RelatesTo") == 0)
            return R_RELATES;
        return R_OTHER;
    }
    if (is(ns, local, WSMAN_NS_SOAP, "Fault")) {
        r->res.is_fault = 1;
        return R_FAULT;
    }
    if (r->res.is_fault)
        return R_OTHER;
    if (r->kind == WSMAN_RESP_BODY)
        return wsman_xml_capture(r->x, &r->res.body) == 0 ? R_BODYCHILD : R_FAILED;
    if (r->kind == WSMAN_RESP_ENUM && strcmp(ns, WSMAN_NS_WSEN) == 0 &&
        (strcmp(local, "EnumerateResponse") == 0 || strcmp(local, "PullResponse") == 0))
        return R_ENUMRESP;
    if (r->kind == WSMAN_RESP_RECEIVE && is(ns, local, WSMAN_NS_RSP, "ReceiveResponse"))
        return R_RECVRESP;
    return R_OTHER;
}

/* WinRS: children of rsp:ReceiveResponse and rsp:CommandState. */
static int shell_role(wsman_reader_t *r, int prole, const char *ns, const char *local, const char **atts)
{
    wsman_xml_t *x = r->x;

    if (prole == R_CMDSTATE)
        return is(ns, local, WSMAN_NS_RSP, "ExitCode") ? R_EXITCODE : R_OTHER;
    if (is(ns, local, WSMAN_NS_RSP, "Stream")) {
        const char *n = wsman_xml_attr(x, atts, NULL, "Name");
        free(r->stream_name);
        if (!(r->stream_name = wsman_strdup(n ? n : "")))
            return R_FAILED;
        r->stream_end = is_true(wsman_xml_attr(x, atts, NULL, "End"));
        r->nb64 = 0;
        wsman_buf_reset(&r->decoded);
        return R_STREAM;
    }
    if (is(ns, local, WSMAN_NS_RSP, "CommandState")) {
        const char *st = wsman_xml_attr(x, atts, NULL, "State");
        free(r->res.command_state);
        r->res.command_state = NULL;
        if (st && !(r->res.command_state = wsman_strdup(st)))
            return R_FAILED;
        return R_CMDSTATE;
    }
    return R_OTHER;
}

/* Children of wsen:EnumerateResponse / PullResponse and of their Items. */
static int enum_role(wsman_reader_t *r, int prole, const char *ns, const char *local)
{
    int wsman_or_wsen = strcmp(ns, WSMAN_NS_WSMAN) == 0 || strcmp(ns, WSMAN_NS_WSEN) == 0;

    if (prole == R_ITEMS) {
        wsman_buf_reset(&r->item);
        return wsman_xml_capture(r->x, &r->item) == 0 ? R_ITEM : R_FAILED;
    }
    if (is(ns, local, WSMAN_NS_WSEN, "EnumerationContext"))
        return R_CONTEXT;
    if (wsman_or_wsen && strcmp(local, "Items") == 0)
        return R_ITEMS;
    if (wsman_or_wsen && strcmp(local, "EndOfSequence") == 0) {
        r->res.end_of_sequence = 1;
        return R_EOS;
    }
    return R_OTHER;
}

/* Children of s:Fault, s:Code, s:Subcode and s:Reason. */
static int soap_fault_role(wsman_reader_t *r, frame_t *f, int prole, const char *ns, const char *local)
{
    switch (prole) {
    case R_FAULT:
        if (is(ns, local, WSMAN_NS_SOAP, "Code"))
            return R_CODE;
        if (is(ns, local, WSMAN_NS_SOAP, "Reason"))
            return R_REASON;
        if (is(ns, local, WSMAN_NS_SOAP, "Detail")) {
            f->in_detail = 1;
            return R_DETAIL;
        }
        return R_OTHER;
    case R_CODE:
        if (is(ns, local, WSMAN_NS_SOAP, "Value"))
            return R_CODE_VALUE;
        return is(ns, local, WSMAN_NS_SOAP, "Subcode") ? R_SUBCODE : R_OTHER;
    case R_SUBCODE:
        return is(ns, local, WSMAN_NS_SOAP, "Value") && !r->subcode_seen ? R_SUBCODE_VALUE : R_OTHER;
    default: /* R_REASON */
        return is(ns, local, WSMAN_NS_SOAP, "Text") && !r->reason_seen ? R_REASON_TEXT : R_OTHER;
    }
}

/* The first f:ProviderFault that names a provider or a path supplies both. */
static int provider_fault_start(wsman_reader_t *r, const char **atts)
{
    const char *pv, *pa;

    if (r->res.fault.provider || r->res.fault.provider_path)
        return 0;
    pv = wsman_xml_attr(r->x, atts, NULL, "provider");
    pa = wsman_xml_attr(r->x, atts, NULL, "path");
    if (!pv)
        pv = wsman_xml_attr(r->x, atts, NULL, "providerId");
    if (pv && !(r->res.fault.provider = wsman_strdup(pv)))
        return -1;
    if (pa && !(r->res.fault.provider_path = wsman_strdup(pa)))
        return -1;
    return 0;
}

/* Children of f:WSManFault, f:Message and MSFT_WmiError. */
static int wsman_fault_role(wsman_reader_t *r, int prole, const char *ns, const char *local,
                            const char **atts)
{
    if (prole == R_WMIERROR)
        return R_WMIPROP;
    if (prole == R_WSMANFAULT)
        return is(ns, local, WSMAN_NS_FAULT, "Message") ? R_MESSAGE : R_OTHER;
    if (!is(ns, local, WSMAN_NS_FAULT, "ProviderFault")) /* R_MESSAGE */
        return R_OTHER;
    return provider_fault_start(r, atts) == 0 ? R_PROVIDERFAULT : R_FAILED;
}

/* An f:WSManFault: the outer one gives the code, the machine and the fault XML; a nested one (inside
 * a ProviderFault) the inner code. */
static int wsman_fault_start(wsman_reader_t *r, frame_t *f, const frame_t *parent, const char **atts)
{
    const char *c = wsman_xml_attr(r->x, atts, NULL, "Code");
    const char *m = wsman_xml_attr(r->x, atts, NULL, "Machine");
    uint32_t v;

    f->level = parent->level + 1;
    if (f->level != 1) {
        if (c && parse_u32(c, &v) == 0 && !r->inner_code)
            r->inner_code = v;
        return 0;
    }
    r->have_outer = 1;
    if (!r->fault_xml.len && wsman_xml_capture(r->x, &r->fault_xml) != 0)
        return -1;
    if (c && parse_u32(c, &v) == 0) {
        r->code = v;
        r->have_code = 1;
    }
    if (m && *m && !r->res.fault.machine && !(r->res.fault.machine = wsman_strdup(m)))
        return -1;
    return 0;
}

/* Inside s:Detail: WSManFault (outer at any depth, nested inside ProviderFault) and MSFT_WmiError
 * wherever they appear. role: what the element is otherwise. */
static int detail_role(wsman_reader_t *r, frame_t *f, const frame_t *parent, int role, const char *ns,
                       const char *local, const char **atts)
{
    int prole = parent->role;

    if (!f->in_detail || prole == R_WMIERROR || prole == R_WMIPROP)
        return role;
    if (prole == R_DETAIL && is(ns, local, WSMAN_NS_WSMAN, "FaultDetail"))
        return R_FAULTDETAIL;
    if (is(ns, local, WSMAN_NS_FAULT, "WSManFault") &&
        ((parent->level == 0 && !r->have_outer) || prole == R_PROVIDERFAULT))
        return wsman_fault_start(r, f, parent, atts) == 0 ? R_WSMANFAULT : R_FAILED;
    if (strcmp(local, "MSFT_WmiError") == 0)
        return R_WMIERROR;
    return role;
}

/* What an element below the root is, from its parent's role and its name. */
static int child_role(wsman_reader_t *r, frame_t *f, int prole, const char *ns, const char *local,
                      const char **atts)
{
    switch (prole) {
    case R_ENVELOPE:
    case R_HEADER:
    case R_BODY:
        return envelope_part_role(r, prole, ns, local);
    case R_RECVRESP:
    case R_CMDSTATE:
        return shell_role(r, prole, ns, local, atts);
    case R_ENUMRESP:
    case R_ITEMS:
        return enum_role(r, prole, ns, local);
    case R_FAULT:
    case R_CODE:
    case R_SUBCODE:
    case R_REASON:
        return soap_fault_role(r, f, prole, ns, local);
    case R_WSMANFAULT:
    case R_MESSAGE:
    case R_WMIERROR:
        return wsman_fault_role(r, prole, ns, local, atts);
    default:
        return R_OTHER;
    }
}

static int r_start(void *ud, const char *ns, const char *local, const char **atts)
{
    wsman_reader_t *r = ud;
    int d = wsman_xml_depth(r->x);
    frame_t *parent = &r->fr[d - 1], *f = &r->fr[d];
    int role;

    f->level = parent->level;
    f->in_detail = d > 1 ? parent->in_detail : 0;
    if (d == 1) {
        if (!is(ns, local, WSMAN_NS_SOAP, "Envelope"))
            return wsman_xml_fail(r->x, "reply is not a SOAP 1.2 envelope (root element {%s}%s)", ns, local);
        r->seen_envelope = 1;
        role = R_ENVELOPE;
    } else {
        role = child_role(r, f, parent->role, ns, local, atts);
        if (role == R_OTHER || role == R_DETAIL || role == R_FAULTDETAIL)
            role = detail_role(r, f, parent, role, ns, local, atts);
        if (role == R_FAILED)
            return -1;
    }
    f->role = (unsigned char)role;
    if (collects(role))
        wsman_buf_reset(&r->text[d]);
    return 0;
}

static int r_text(void *ud, const char *s, size_t len)
{
    wsman_reader_t *r = ud;
    int d = wsman_xml_depth(r->x);

    if (d >= 1 && r->fr[d].role == R_STREAM)
        return stream_text(r, s, len);
    if (d < 1 || !collects(r->fr[d].role))
        return 0;
    if (r->text[d].len + len > r->lim.max_item)
        return wsman_xml_fail(r->x, "reply: a text value is larger than the limit of %zu bytes",
                              r->lim.max_item);
    return wsman_buf_append(&r->text[d], s, len);
}

/* The field an element's trimmed text goes into, for the elements that are just a value. */
static char **text_slot(wsman_reader_t *r, int role)
{
    switch (role) {
    case R_ACTION:
        return &r->res.action;
    case R_RELATES:
        return &r->res.relates_to;
    case R_REASON_TEXT:
        return &r->res.fault.reason;
    case R_FAULTDETAIL:
        return &r->res.fault.fault_detail;
    case R_CONTEXT:
        return &r->res.enum_context;
    default:
        return NULL;
    }
}

static int store_text(char **slot, const wsman_buf_t *t)
{
    char *v = trimmed(t);
    if (!v)
        return -1;
    free(*slot);
    *slot = v;
    return 0;
}

/* s:Code/s:Value or s:Subcode/s:Value: the QName as sent, and the HRESULT it maps to. */
static int end_code_value(wsman_reader_t *r, const wsman_buf_t *t, uint32_t *hr, char **slot)
{
    const char *l, *qns;

    if (store_text(slot, t) != 0)
        return -1;
    qns = wsman_xml_resolve_qname(r->x, *slot, &l);
    *hr = subcode_to_hresult(qns, l);
    return 0;
}

/* WinRS rsp:ExitCode, when it is a number. */
static int end_exit_code(wsman_reader_t *r, const wsman_buf_t *t)
{
    char *v = trimmed(t), *end = NULL;
    long long code;

    if (!v)
        return -1;
    errno = 0;
    code = strtoll(v, &end, 10);
    if (*v && end && !*end && !errno) {
        r->res.exit_code = code;
        r->res.have_exit_code = 1;
    }
    free(v);
    return 0;
}

/* An enumeration item is complete: hand it over. */
static int end_item(wsman_reader_t *r)
{
    r->res.item_count++;
    if (r->cb && r->cb(r->ud, r->item.data ? r->item.data : "", r->item.len) != 0)
        return -1;
    wsman_buf_reset(&r->item);
    return 0;
}

/* The end of an element whose role needs more than storing its text. */
static int end_role(wsman_reader_t *r, const frame_t *f, const char *local, const wsman_buf_t *t)
{
    switch (f->role) {
    case R_ENVELOPE:
        r->done = 1;
        return 0;
    case R_CODE_VALUE:
        return end_code_value(r, t, &r->codeval_hr, &r->res.fault.fault_code);
    case R_SUBCODE_VALUE:
        r->subcode_seen = 1;
        return end_code_value(r, t, &r->subcode_hr, &r->res.fault.subcode);
    case R_MESSAGE:
        return offer_message(r, t, 2 * f->level);
    case R_PROVIDERFAULT:
        return offer_message(r, t, 2 * f->level + 1);
    case R_WMIPROP:
        return add_wmi(r, local, t);
    case R_STREAM:
        return stream_finish(r);
    case R_EXITCODE:
        return end_exit_code(r, t);
    case R_ITEM:
        return end_item(r);
    default:
        return 0;
    }
}

static int r_end(void *ud, const char *ns, const char *local)
{
    wsman_reader_t *r = ud;
    int d = wsman_xml_depth(r->x);
    frame_t *f = &r->fr[d];
    wsman_buf_t *t = &r->text[d];
    char **slot = text_slot(r, f->role);

    (void)ns;
    if (f->role == R_REASON_TEXT)
        r->reason_seen = 1; /* the first s:Text is the reason */
    if ((slot ? store_text(slot, t) : end_role(r, f, local, t)) != 0)
        return -1;
    if (collects(f->role))
        wsman_buf_free(t);
    f->role = R_OTHER;
    return 0;
}

static const wsman_xml_handler_t reader_handler = {r_start, r_end, r_text, NULL};

/* ---- public reader API ------------------------------------------------------------------- */

void wsman_response_init(wsman_response_t *r)
{
    memset(r, 0, sizeof *r);
    wsman_error_init(&r->fault);
    wsman_buf_init(&r->body);
}

void wsman_response_clear(wsman_response_t *r)
{
    free(r->action);
    free(r->relates_to);
    free(r->enum_context);
    free(r->command_state);
    wsman_error_clear(&r->fault);
    wsman_buf_free(&r->body);
    wsman_response_init(r);
}

wsman_reader_t *wsman_reader_new(wsman_resp_kind_t kind, const wsman_xml_limits_t *limits, wsman_item_cb cb,
                                 void *ud)
{
    wsman_reader_t *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    if (limits)
        r->lim = *limits;
    else
        wsman_xml_limits_for(&r->lim, 0);
    wsman_xml_limits_fill(&r->lim);
    r->kind = kind;
    r->cb = cb;
    r->ud = ud;
    wsman_response_init(&r->res);
    wsman_buf_init(&r->item);
    wsman_buf_init(&r->fault_xml);
    wsman_buf_init(&r->decoded);
    r->fr = calloc((size_t)r->lim.max_depth + 2, sizeof *r->fr);
    r->text = calloc((size_t)r->lim.max_depth + 2, sizeof *r->text);
    r->x = wsman_xml_new(&r->lim, "reply", &reader_handler, r);
    if (!r->fr || !r->text || !r->x) {
        wsman_reader_free(r);
        return NULL;
    }
    return r;
}

void wsman_reader_free(wsman_reader_t *r)
{
    int i;

    if (!r)
        return;
    wsman_xml_free(r->x);
    if (r->text)
        for (i = 0; i < r->lim.max_depth + 2; i++)
            wsman_buf_free(&r->text[i]);
    free(r->text);
    free(r->fr);
    wsman_response_clear(&r->res);
    wsman_buf_free(&r->item);
    wsman_buf_free(&r->fault_xml);
    free(r->message);
    free(r->wmi_message);
    free(r->stream_name);
    wsman_buf_free(&r->decoded);
    free(r);
}

/* Completes the fault error: code, name, message, retry class, fault XML. */
static int finish_fault(wsman_reader_t *r)
{
    wsman_error_t *e = &r->res.fault;
    const char *msg;

    if (r->have_code)
        e->code = r->code;
    else if (r->inner_code)
        e->code = r->inner_code;
    else if (r->have_wmi_code)
        e->code = r->wmi_code;
    else if (r->subcode_hr)
        e->code = r->subcode_hr;
    else if (r->codeval_hr)
        e->code = r->codeval_hr;
    else
        e->code = WSMAN_E_FAIL; /* E_FAIL: a fault that says nothing we can map */
    msg = r->message ? r->message : r->wmi_message ? r->wmi_message : e->reason;
    free(e->message);
    if (msg)
        e->message = wsman_strdup(msg);
    else
        e->message = wsman_strdup(e->subcode ? "the server returned a SOAP fault without a reason"
                                             : "the server returned a SOAP fault");
    if (!e->message)
        return -1;
    if (wsman_error_name(e->code) && !(e->name = wsman_strdup(wsman_error_name(e->code))))
        return -1;
    e->retry = wsman_error_retry_class(e->code);
    if (r->fault_xml.len) {
        e->fault_xml = wsman_buf_steal(&r->fault_xml);
        if (!e->fault_xml)
            return -1;
    } else {
        wsman_error_synthesize_fault(e);
    }
    return 0;
}

int wsman_reader_feed(wsman_reader_t *r, const char *data, size_t len, int final, wsman_error_t *e)
{
    if (wsman_xml_feed(r->x, data, len, final, e) != 0)
        return -1;
    if (final) {
        if (!r->seen_body) {
            if (e)
                wsman_error_set(e, WSMAN_E_INVALID_XML, "reply is a SOAP envelope without a Body");
            return -1;
        }
        if (r->res.is_fault && finish_fault(r) != 0) {
            if (e)
                wsman_error_oom(e, "reading the reply");
            return -1;
        }
    }
    return 0;
}

void wsman_reader_result(wsman_reader_t *r, wsman_response_t *out)
{
    *out = r->res;
    wsman_response_init(&r->res);
}

/* ---- EPR ------------------------------------------------------------------------------------ */

/* Per-element state while looking for an element whose children are wsa:Address and
 * wsa:ReferenceParameters. Every element that is not part of an EPR's structure is a candidate;
 * its findings live in its own frame. */
typedef struct epr_cand {
    char *uri;
    wsman_pair_t *sel;
    size_t nsel;
    unsigned long order; /* start order: an outer EPR (opened earlier) wins over a nested one */
} epr_cand_t;

enum { E_CAND = 1, E_ADDR, E_REFP, E_URI, E_SELSET, E_SEL };

typedef struct epr_frame {
    unsigned char kind;
    unsigned char has_addr, has_ref;
    epr_cand_t c;
    wsman_buf_t text; /* E_URI, E_SEL: their own text (a selector may hold a nested EPR) */
    char *sel_name;   /* E_SEL */
} epr_frame_t;

typedef struct epr_ctx {
    wsman_xml_t *x;
    epr_frame_t *fr;
    int maxd;
    unsigned long order;
    epr_cand_t best;
    int have_best;
} epr_ctx_t;

static void cand_clear(epr_cand_t *c)
{
    free(c->uri);
    wsman_epr_pairs_free(c->sel, c->nsel);
    memset(c, 0, sizeof *c);
}

void wsman_epr_pairs_free(wsman_pair_t *p, size_t n)
{
    size_t i;
    if (!p)
        return;
    for (i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

static int epr_start(void *ud, const char *ns, const char *local, const char **atts)
{
    epr_ctx_t *c = ud;
    int d = wsman_xml_depth(c->x);
    epr_frame_t *f = &c->fr[d], *p = &c->fr[d - 1];

    wsman_buf_reset(&f->text);
    f->kind = 0;
    f->has_addr = f->has_ref = 0;
    cand_clear(&f->c);
    free(f->sel_name);
    f->sel_name = NULL;
    if (p->kind == E_CAND && is_wsa(ns) && strcmp(local, "Address") == 0) {
        f->kind = E_ADDR;
        p->has_addr = 1;
    } else if (p->kind == E_CAND && is_wsa(ns) && strcmp(local, "ReferenceParameters") == 0) {
        f->kind = E_REFP;
        p->has_ref = 1;
    } else if (p->kind == E_REFP && is(ns, local, WSMAN_NS_WSMAN, "ResourceURI")) {
        f->kind = E_URI;
    } else if (p->kind == E_REFP && is(ns, local, WSMAN_NS_WSMAN, "SelectorSet")) {
        f->kind = E_SELSET;
    } else if (p->kind == E_SELSET && is(ns, local, WSMAN_NS_WSMAN, "Selector")) {
        const char *n = wsman_xml_attr(c->x, atts, NULL, "Name");
        f->kind = E_SEL;
        f->sel_name = wsman_strdup(n ? n : "");
        if (!f->sel_name)
            return -1;
    } else {
        f->kind = E_CAND;
        f->c.order = ++c->order;
    }
    return 0;
}

static int epr_text(void *ud, const char *s, size_t len)
{
    epr_ctx_t *c = ud;
    int d = wsman_xml_depth(c->x);
    if (c->fr[d].kind == E_URI || c->fr[d].kind == E_SEL)
        return wsman_buf_append(&c->fr[d].text, s, len);
    return 0;
}

static int epr_end(void *ud, const char *ns, const char *local)
{
    epr_ctx_t *c = ud;
    int d = wsman_xml_depth(c->x);
    epr_frame_t *f = &c->fr[d];

    if (f->kind == E_URI) {
        epr_cand_t *cand = &c->fr[d - 2].c;
        free(cand->uri);
        if (!(cand->uri = trimmed(&f->text)))
            return -1;
    } else if (f->kind == E_SEL) {
        epr_cand_t *cand = &c->fr[d - 3].c;
        wsman_pair_t *np = realloc(cand->sel, (cand->nsel + 1) * sizeof *np);
        if (!np)
            return -1;
        cand->sel = np;
        np[cand->nsel].name = f->sel_name;
        f->sel_name = NULL;
        np[cand->nsel].value = trimmed(&f->text);
        np[cand->nsel].must_comply = 0;
        cand->nsel++;
        if (!np[cand->nsel - 1].value)
            return -1;
    } else if (f->kind == E_CAND) {
        if (f->has_addr && f->has_ref && f->c.uri && (!c->have_best || f->c.order < c->best.order)) {
            cand_clear(&c->best);
            c->best = f->c;
            memset(&f->c, 0, sizeof f->c);
            c->have_best = 1;
        }
        cand_clear(&f->c);
    }
    f->kind = 0;
    return 0;
}

int wsman_parse_epr(const char *xml, char **uri, wsman_pair_t **sel, size_t *nsel, wsman_error_t *e)
{
    static const wsman_xml_handler_t h = {epr_start, epr_end, epr_text, NULL};
    static const char open[] = "<wsman-epr>\n", close[] = "</wsman-epr>";
    wsman_xml_limits_t lim;
    epr_ctx_t c;
    const char *body;
    size_t len;
    int rc, i;

    *uri = NULL;
    *sel = NULL;
    *nsel = 0;
    if (!xml) {
        if (e)
            wsman_error_set(e, WSMAN_E_INVALID_URI, "no EPR XML given");
        return -1;
    }
    body = wsman_xml_skip_decl(xml);
    len = strlen(body);
    memset(&c, 0, sizeof c);
    if (len > SIZE_MAX / 2 - 64) {
        if (e)
            wsman_error_set(e, WSMAN_E_INVALID_XML, "EPR too large");
        return -1;
    }
    lim.max_bytes = len + sizeof open + sizeof close;
    lim.max_item = lim.max_bytes;
    lim.max_depth = 64;
    c.maxd = lim.max_depth;
    c.fr = calloc((size_t)lim.max_depth + 2, sizeof *c.fr);
    c.x = c.fr ? wsman_xml_new(&lim, "EPR", &h, &c) : NULL;
    if (!c.x) {
        free(c.fr);
        if (e)
            wsman_error_oom(e, NULL);
        return -1;
    }
    {
        /* lines before the body (BOM/declaration) plus the wrapper's own line */
        long lines = 0;
        const char *q;
        for (q = xml; q < body; q++)
            lines += *q == '\n';
        wsman_xml_line_offset(c.x, lines - 1);
    }
    rc = wsman_xml_feed_wrapped(c.x, open, body, len, close, e);
    wsman_xml_free(c.x);
    for (i = 0; i <= c.maxd + 1; i++) {
        cand_clear(&c.fr[i].c);
        wsman_buf_free(&c.fr[i].text);
        free(c.fr[i].sel_name);
    }
    free(c.fr);
    if (rc != 0) {
        cand_clear(&c.best);
        return -1;
    }
    if (!c.have_best) {
        if (e)
            wsman_error_set(e, WSMAN_E_INVALID_URI,
                            "the XML is not an endpoint reference: no element with wsa:Address and "
                            "wsa:ReferenceParameters holding a wsman:ResourceURI");
        return -1;
    }
    *uri = c.best.uri;
    *sel = c.best.sel;
    *nsel = c.best.nsel;
    return 0;
}
