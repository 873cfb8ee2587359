/* SPDX-License-Identifier: MIT */
/*
 * errors.c - error objects and the code table (names, message texts, retry classes).
 *
 * The table holds every FACILITY_WINRM HRESULT of the Windows SDK header wsmerror.h
 * (0x80338000-0x803381FF: MessageId name and MessageText, transcribed as facts; the same texts
 * are in dahall/Vanara PInvoke/WsmSvc/wsmerror.cs) plus the Win32 / WinHTTP / COM / SSPI codes
 * the client reports or that servers put into WSManFault Code (winerror.h, winhttp.h names;
 * system message texts). Data: tools/errors/wsmerror.txt and winerror.txt; the table rows
 * (error_table.inc) and the WSMAN_E_* names (wsman_errors.h) are generated from them by
 * tools/gen_errors.py.
 *
 * wsman_error_text(code) is what WSMan.GetErrorMessage returns. A Win32 code is found both as
 * itself (5) and in its HRESULT_FROM_WIN32 form (0x80070005).
 */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct code_entry {
    uint32_t code;
    const char *name;
    const char *text;
} code_entry_t;

/* clang-format off */
static const code_entry_t code_table[] = {
#include "error_table.inc"
};
/* clang-format on */

#define CODE_TABLE_LEN (sizeof code_table / sizeof code_table[0])

static const code_entry_t *find_exact(uint32_t code)
{
    size_t lo = 0, hi = CODE_TABLE_LEN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (code_table[mid].code == code)
            return &code_table[mid];
        if (code_table[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* HRESULT_FROM_WIN32(x) = 0x80070000 | x for Win32 codes 1..0xFFFF. */
static int is_win32_hresult(uint32_t code)
{
    return (code & WSMAN_HRESULT_WIN32_MASK) == WSMAN_HRESULT_WIN32;
}

static const code_entry_t *find_code(uint32_t code)
{
    const code_entry_t *c = find_exact(code);
    if (!c && is_win32_hresult(code))
        c = find_exact(code & 0xFFFFu);
    return c;
}

const char *wsman_error_name(uint32_t code)
{
    const code_entry_t *c = find_code(code);
    return c ? c->name : NULL;
}

const char *wsman_error_text(uint32_t code)
{
    const code_entry_t *c = find_code(code);
    return c ? c->text : NULL;
}

/* ---- retry classes ---------------------------------------------------------------------- */

wsman_retry_t wsman_error_retry_class(uint32_t code)
{
    uint32_t w32 = is_win32_hresult(code) ? (code & 0xFFFFu) : code;

    switch (code) {
    /* quota: close shells/operations, back off */
    case WSMAN_E_QUOTA_LIMIT:
    case WSMAN_E_UNEXPECTED_SELECTORS: /* shell/command gone (expired or reaped) */
    case WSMAN_E_QUOTA_MAX_SHELLS:
    case WSMAN_E_QUOTA_MAX_OPERATIONS:
    case WSMAN_E_QUOTA_USER:
    case WSMAN_E_QUOTA_SYSTEM:
    case WSMAN_E_QUOTA_MAX_SHELLUSERS:
    case WSMAN_E_QUOTA_MAX_SHELLS_PPQ:
    case WSMAN_E_QUOTA_MAX_USERS_PPQ:
    case WSMAN_E_QUOTA_MAX_PLUGINSHELLS_PPQ:
    case WSMAN_E_QUOTA_MAX_PLUGINOPERATIONS_PPQ:
    case WSMAN_E_QUOTA_MAX_OPERATIONS_USER_PPQ:
    case WSMAN_E_QUOTA_MAX_COMMANDS_PER_SHELL_PPQ:
    case WSMAN_E_QUOTA_MIN_REQUIREMENT_NOT_AVAILABLE_PPQ:
        return WSMAN_RETRY_QUOTA;

    /* auth: wrong credentials, not authorised */
    case WSMAN_E_FAILED_AUTHENTICATION:
    case WSMAN_E_WMI_SVC_ACCESS_DENIED:
    case WSMAN_E_WMI_PROVIDER_ACCESS_DENIED:
    case WSMAN_E_WMI_CANNOT_CONNECT_ACCESS_DENIED:
    case WSMAN_E_MUTUAL_AUTH_FAILED:
    case WSMAN_E_SEC_TARGET_UNKNOWN:
    case WSMAN_E_SEC_LOGON_DENIED:
    case WSMAN_E_SEC_NO_CREDENTIALS:
    case WSMAN_E_SEC_NO_AUTHENTICATING_AUTHORITY:
    case WSMAN_E_SEC_WRONG_PRINCIPAL:
    case WSMAN_E_SEC_TIME_SKEW:
        return WSMAN_RETRY_AUTH;

    /* transient: timeouts, connection failures, service temporarily unavailable */
    case WSMAN_E_DESTINATION_UNREACHABLE:
    case WSMAN_E_ENDPOINT_UNAVAILABLE:
    case WSMAN_E_ENUMERATE_TIMED_OUT:
    case WSMAN_E_OPERATION_TIMEDOUT:
    case WSMAN_E_HTTP_SERVICE_UNAVAILABLE_STATUS:
    case WSMAN_E_NETWORK_TIMEDOUT:
    case WSMAN_E_NAME_NOT_RESOLVED:
    case WSMAN_E_SEMANTICCALLBACK_TIMEDOUT:
        return WSMAN_RETRY_TRANSIENT;
    default:
        break;
    }

    switch (w32) {
    case 5:      /* ERROR_ACCESS_DENIED (also E_ACCESSDENIED) */
    case 1244:   /* ERROR_NOT_AUTHENTICATED */
    case 1311:   /* ERROR_NO_LOGON_SERVERS */
    case 1326:   /* ERROR_LOGON_FAILURE */
    case 1330:   /* ERROR_PASSWORD_EXPIRED */
    case 1331:   /* ERROR_ACCOUNT_DISABLED */
    case 1909:   /* ERROR_ACCOUNT_LOCKED_OUT */
    case 0x2F0C: /* ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED */
        return WSMAN_RETRY_AUTH;
    case 1225:   /* ERROR_CONNECTION_REFUSED */
    case 1236:   /* ERROR_CONNECTION_ABORTED */
    case 1460:   /* ERROR_TIMEOUT */
    case 0x2EE2: /* ERROR_WINHTTP_TIMEOUT */
    case 0x2EE7: /* ERROR_WINHTTP_NAME_NOT_RESOLVED (DNS may come back) */
    case 0x2EFD: /* ERROR_WINHTTP_CANNOT_CONNECT */
    case 0x2EFE: /* ERROR_WINHTTP_CONNECTION_ERROR */
        return WSMAN_RETRY_TRANSIENT;
    default:
        return WSMAN_RETRY_FATAL;
    }
}

const char *wsman_retry_name(wsman_retry_t r)
{
    switch (r) {
    case WSMAN_RETRY_TRANSIENT:
        return "transient";
    case WSMAN_RETRY_QUOTA:
        return "quota";
    case WSMAN_RETRY_AUTH:
        return "auth";
    case WSMAN_RETRY_FATAL:
    default:
        return "fatal";
    }
}

/* ---- error objects ------------------------------------------------------------------------ */

void wsman_error_init(wsman_error_t *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

/* Frees what describes the fault itself; keeps the context (operation, endpoint, machine,
 * http_status). */
static void clear_fault(wsman_error_t *e)
{
    free(e->name);
    free(e->message);
    free(e->reason);
    free(e->fault_code);
    free(e->subcode);
    free(e->fault_detail);
    free(e->provider);
    free(e->provider_path);
    for (size_t i = 0; i < e->wmi_count; i++) {
        free(e->wmi[i].name);
        free(e->wmi[i].value);
    }
    free(e->wmi);
    free(e->fault_xml);
    e->name = e->message = e->reason = e->fault_code = e->subcode = e->fault_detail = NULL;
    e->provider = e->provider_path = e->fault_xml = NULL;
    e->wmi = NULL;
    e->wmi_count = 0;
    e->code = 0;
    e->retry = WSMAN_RETRY_FATAL;
}

void wsman_error_clear(wsman_error_t *e)
{
    if (!e)
        return;
    clear_fault(e);
    free(e->machine);
    free(e->operation);
    free(e->endpoint);
    memset(e, 0, sizeof *e);
}

void wsman_error_move(wsman_error_t *dst, wsman_error_t *src)
{
    if (!dst || !src || dst == src)
        return;
    wsman_error_clear(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

/* Host part of an endpoint URL "scheme://host:port/prefix" (IPv6 without brackets); caller frees. */
static char *endpoint_host(const char *url)
{
    const char *p, *end;
    if (!url)
        return NULL;
    p = strstr(url, "://");
    p = p ? p + 3 : url;
    if (*p == '[') {
        p++;
        end = strchr(p, ']');
    } else {
        end = p + strcspn(p, ":/");
    }
    if (!end)
        return NULL;
    return wsman_strndup(p, (size_t)(end - p));
}

/* A client-side error has no SOAP fault parts: its fault_xml is ours to (re)build. */
static int is_client_error(const wsman_error_t *e)
{
    return e->code != 0 && !e->fault_code && !e->subcode && !e->reason;
}

void wsman_error_synthesize_fault(wsman_error_t *e)
{
    wsman_buf_t b;
    const char *msg, *machine;
    char *host = NULL;

    if (!e)
        return;
    msg = e->message ? e->message : wsman_error_text(e->code);
    if (!msg)
        msg = "";
    machine = e->machine;
    if (!machine)
        machine = host = endpoint_host(e->endpoint);
    if (!machine)
        machine = "";

    wsman_buf_init(&b);
    if (wsman_buf_printf(&b, "<f:WSManFault xmlns:f=\"" WSMAN_NS_FAULT "\" Code=\"%lu\" Machine=\"",
                         (unsigned long)e->code) == 0 &&
        wsman_buf_xml_attr(&b, machine, strlen(machine)) == 0 && wsman_buf_puts(&b, "\"><f:Message>") == 0 &&
        wsman_buf_xml_text(&b, msg, strlen(msg)) == 0 &&
        wsman_buf_puts(&b, "</f:Message></f:WSManFault>") == 0) {
        free(e->fault_xml);
        e->fault_xml = wsman_buf_steal(&b);
    }
    wsman_buf_free(&b);
    free(host);
}

void wsman_error_context(wsman_error_t *e, const char *operation, const char *endpoint)
{
    int changed = 0;
    if (!e)
        return;
    if (!e->operation && operation && *operation)
        e->operation = wsman_strdup(operation);
    if (!e->endpoint && endpoint && *endpoint) {
        e->endpoint = wsman_strdup(endpoint);
        changed = 1;
    }
    if (changed && !e->machine && is_client_error(e)) {
        e->machine = endpoint_host(e->endpoint);
        wsman_error_synthesize_fault(e);
    }
}

int wsman_error_oom(wsman_error_t *e, const char *during)
{
    if (during)
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY, "Out of memory while %s.", during);
    else
        wsman_error_oom(e, NULL);
    return -1;
}

/* A message longer than this (a caller's megabyte-long value quoted in it) keeps its start and its
 * end, with the number of bytes left out between them. */
enum { MESSAGE_MAX = 4096, MESSAGE_HEAD = 3072, MESSAGE_TAIL = 768 };

/* Moves i back to the start of a UTF-8 sequence. */
static size_t utf8_boundary(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static char *elide_middle(char *msg)
{
    size_t n = strlen(msg), head, tail;
    wsman_buf_t b;

    if (n <= MESSAGE_MAX)
        return msg;
    head = utf8_boundary(msg, MESSAGE_HEAD);
    tail = utf8_boundary(msg, n - MESSAGE_TAIL);
    wsman_buf_init(&b);
    if (wsman_buf_append(&b, msg, head) ||
        wsman_buf_printf(&b, " [... %zu bytes left out ...] ", tail - head) ||
        wsman_buf_puts(&b, msg + tail)) {
        wsman_buf_free(&b);
        return msg; /* out of memory: the long message is still right */
    }
    free(msg);
    return wsman_buf_steal(&b);
}

void wsman_error_set(wsman_error_t *e, uint32_t code, const char *fmt, ...)
{
    const char *name, *text;
    char *msg = NULL;

    if (!e)
        return;
    clear_fault(e);
    e->code = code;
    name = wsman_error_name(code);
    text = wsman_error_text(code);
    if (name)
        e->name = wsman_strdup(name);
    e->retry = wsman_error_retry_class(code);

    if (fmt && *fmt) {
        va_list ap, ap2;
        int n;
        va_start(ap, fmt);
        va_copy(ap2, ap);
        n = vsnprintf(NULL, 0, fmt, ap);
        if (n >= 0) {
            msg = malloc((size_t)n + 1);
            if (msg)
                vsnprintf(msg, (size_t)n + 1, fmt, ap2);
        }
        va_end(ap2);
        va_end(ap);
    }
    if (!msg) {
        if (text) {
            msg = wsman_strdup(text);
        } else {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "Unknown error 0x%08X.", (unsigned)code);
            msg = wsman_strdup(tmp);
        }
    }
    e->message = msg ? elide_middle(msg) : NULL;
    if (!e->machine && e->endpoint)
        e->machine = endpoint_host(e->endpoint);
    wsman_error_synthesize_fault(e);
}

char *wsman_error_to_string(const wsman_error_t *e)
{
    wsman_buf_t b;
    const char *msg, *name;
    int rc = 0;

    if (!e)
        return NULL;
    msg = e->message ? e->message : wsman_error_text(e->code);
    if (!msg)
        msg = "unknown error";
    name = e->name ? e->name : wsman_error_name(e->code);

    wsman_buf_init(&b);
    if (e->operation && *e->operation)
        rc |= wsman_buf_printf(&b, "%s ", e->operation);
    if (e->endpoint && *e->endpoint)
        rc |= wsman_buf_printf(&b, "%s", e->endpoint);
    if (b.len > 0) {
        if (b.data[b.len - 1] == ' ')
            b.len--, b.data[b.len] = '\0';
        rc |= wsman_buf_puts(&b, ": ");
    }
    /* one line: newlines and tabs of multi-line texts become spaces */
    for (const char *p = msg; *p && rc == 0; p++) {
        char c = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
        rc |= wsman_buf_append(&b, &c, 1);
    }
    if (name)
        rc |= wsman_buf_printf(&b, " (0x%08X %s)", (unsigned)e->code, name);
    else
        rc |= wsman_buf_printf(&b, " (0x%08X)", (unsigned)e->code);
    if (rc != 0) {
        wsman_buf_free(&b);
        return NULL;
    }
    return wsman_buf_steal(&b);
}
