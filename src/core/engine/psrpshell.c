/* SPDX-License-Identifier: MIT */
/*
 * psrpshell.c - the WinRS-shaped operations PowerShell Remoting runs on (MS-PSRP 3.1.5.3): Create
 * with creationXml, Command with the pipeline's first fragment, Send, Receive of the stdout
 * stream, Signal and Delete on a PowerShell resource URI. Bytes in, bytes out: the messages are
 * the caller's (see psrp.h).
 */
#include "engine.h"
#include "psrp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTION_COMMAND WSMAN_NS_RSP "/Command"
#define ACTION_SEND WSMAN_NS_RSP "/Send"
#define ACTION_RECEIVE WSMAN_NS_RSP "/Receive"
#define ACTION_SIGNAL WSMAN_NS_RSP "/Signal"
#define ACTION_DISCONNECT WSMAN_NS_RSP "/Disconnect"
#define ACTION_RECONNECT WSMAN_NS_RSP "/Reconnect"
#define ACTION_CONNECT WSMAN_NS_RSP "/Connect"
#define STATE_DONE WSMAN_NS_RSP "/CommandState/Done"
#define RSP_DECL " xmlns:rsp=\"" WSMAN_NS_RSP "\""
#define NS_PS_CREATION "http://schemas.microsoft.com/powershell"
#define SIGNAL_TERMINATE WSMAN_NS_RSP "/signal/terminate"
/* PowerShell's stop signal (MS-PSRP), a relative URI; "crtl" (sic) is how Windows spells it */
#define SIGNAL_PS_STOP "powershell/signal/crtl_c"
#define DEFAULT_PROTOCOL_VERSION "2.3"

enum {
    MAX_RECEIVE_WAIT_MS = 60000, /* winrm/config MaxTimeoutms default */
    SEND_OVERHEAD = 3072,        /* envelope around one Send's base64, with room to spare */
    MIN_PAYLOAD = 1024,
    BASE64_IN = 3,
    BASE64_OUT = 4,
};

struct wsman_psrp_shell {
    wsman_session_t *s;
    wsman_locator_t *loc; /* the resource URI + ShellId selector */
    char *id;
    int closed;
};

static int exchange(wsman_psrp_shell_t *sh, const char *op, const char *action, const wsman_locator_t *l,
                    const char *body, wsman_resp_kind_t kind, void *ud, long timeout_ms,
                    wsman_response_t *res, wsman_error_t *e)
{
    return wsman_winrs_exchange(sh->s, op, action, l, body, kind, ud, timeout_ms, 0, res, e);
}

static wsman_locator_t with_options(const wsman_psrp_shell_t *sh, wsman_pair_t *opts, size_t n)
{
    return wsman_locator_with_options(sh->loc, opts, n);
}

static int check_open(wsman_psrp_shell_t *sh, const char *op, wsman_error_t *e)
{
    if (!sh->closed)
        return 0;
    if (e) {
        wsman_error_set(e, WSMAN_E_SHELL_ALREADY_CLOSED, "%s: the RunspacePool %s is closed", op,
                        sh->id ? sh->id : "");
        wsman_error_context(e, op, wsman_session_endpoint(sh->s));
    }
    return -1;
}

/* ---- Create, Delete ------------------------------------------------------------------------ */

static int set_id(wsman_psrp_shell_t *sh, const char *id, wsman_error_t *e)
{
    free(sh->id);
    sh->id = wsman_strdup(id);
    wsman_locator_clear_selectors(sh->loc);
    if (!sh->id || wsman_locator_add_selector(sh->loc, "ShellId", id, e) != 0)
        return wsman_engine_oom(e, "CreateRunspacePool", sh->s);
    return 0;
}

static wsman_psrp_shell_t *shell_new(wsman_session_t *s, const char *uri, wsman_error_t *e)
{
    wsman_psrp_shell_t *sh = calloc(1, sizeof *sh);
    wsman_buf_t full;

    wsman_buf_init(&full);
    if (uri && !strchr(uri, '/') && !strchr(uri, ':')) { /* a configuration name */
        if (wsman_buf_puts(&full, WSMAN_PSRP_URI_PREFIX) != 0 || wsman_buf_puts(&full, uri) != 0) {
            free(sh);
            sh = NULL;
        }
        uri = full.data;
    }
    if (!sh || !(sh->loc = wsman_locator_new()) ||
        wsman_locator_set_uri(sh->loc, uri ? uri : WSMAN_PSRP_DEFAULT_URI, e) != 0) {
        if (sh)
            wsman_locator_free(sh->loc);
        free(sh);
        wsman_buf_free(&full);
        if (!e || !e->code)
            wsman_engine_oom(e, "CreateRunspacePool", s);
        return NULL;
    }
    wsman_buf_free(&full);
    sh->s = s;
    wsman_session_ref(s);
    return sh;
}

static int create_body(wsman_buf_t *b, const wsman_psrp_shell_options_t *o)
{
    int rc = wsman_buf_puts(b, "<rsp:Shell" RSP_DECL " ShellId=\"") |
             wsman_buf_xml_attr(b, o->shell_id, strlen(o->shell_id)) | wsman_buf_puts(b, "\">");

    if (o->idle_timeout_ms > 0)
        rc |= wsman_buf_printf(b, "<rsp:IdleTimeOut>PT%ld.%03ldS</rsp:IdleTimeOut>",
                               o->idle_timeout_ms / 1000, o->idle_timeout_ms % 1000);
    rc |= wsman_buf_puts(b, "<rsp:InputStreams>stdin pr</rsp:InputStreams>"
                            "<rsp:OutputStreams>stdout</rsp:OutputStreams>"
                            "<creationXml xmlns=\"" NS_PS_CREATION "\">") |
          wsman_base64_encode(b, o->creation, o->creation_len) |
          wsman_buf_puts(b, "</creationXml></rsp:Shell>");
    return rc ? -1 : 0;
}

wsman_psrp_shell_t *wsman_psrp_shell_open(wsman_session_t *s, const wsman_psrp_shell_options_t *o,
                                          wsman_error_t *e)
{
    static char n_version[] = "protocolversion";
    wsman_pair_t opt;
    wsman_locator_t l;
    wsman_response_t res;
    wsman_buf_t body;
    wsman_psrp_shell_t *sh;
    char version[16], *id;
    int rc;

    if (!s || !o || !o->shell_id || !*o->shell_id) {
        wsman_engine_invalid(e, "CreateRunspacePool", s, "opening a RunspacePool needs a session and its id");
        return NULL;
    }
    if (!(sh = shell_new(s, o->resource_uri, e)))
        return NULL;
    snprintf(version, sizeof version, "%s",
             o->protocol_version ? o->protocol_version : DEFAULT_PROTOCOL_VERSION);
    opt.name = n_version;
    opt.value = version;
    opt.must_comply = 1;
    l = with_options(sh, &opt, 1);
    wsman_buf_init(&body);
    wsman_response_init(&res);
    rc = create_body(&body, o) != 0 ? wsman_engine_oom(e, "CreateRunspacePool", s)
                                    : exchange(sh, "CreateRunspacePool", WSMAN_ACTION_CREATE, &l, body.data,
                                               WSMAN_RESP_BODY, NULL, 0, &res, e);
    wsman_buf_free(&body);
    id = rc == 0 ? wsman_reply_find_value(&res.body, WSMAN_NS_WSMAN, "Selector", NULL, NULL, NULL, NULL)
                 : NULL;
    wsman_response_clear(&res);
    if (rc == 0 && set_id(sh, id ? id : o->shell_id, e) != 0)
        rc = -1;
    free(id);
    if (rc != 0) {
        sh->closed = 1;
        wsman_psrp_shell_free(sh);
        return NULL;
    }
    return sh;
}

wsman_psrp_shell_t *wsman_psrp_shell_attach(wsman_session_t *s, const char *resource_uri,
                                            const char *shell_id, wsman_error_t *e)
{
    wsman_psrp_shell_t *sh;

    if (!s || !shell_id || !*shell_id) {
        wsman_engine_invalid(e, "ConnectRunspacePool", s,
                             "connecting to a RunspacePool needs a session and its id");
        return NULL;
    }
    if (!(sh = shell_new(s, resource_uri, e)))
        return NULL;
    if (set_id(sh, shell_id, e) != 0) {
        sh->closed = 1;
        wsman_psrp_shell_free(sh);
        return NULL;
    }
    return sh;
}

const char *wsman_psrp_shell_id(const wsman_psrp_shell_t *sh)
{
    return sh->id;
}

const char *wsman_psrp_shell_resource_uri(const wsman_psrp_shell_t *sh)
{
    return wsman_locator_uri(sh->loc);
}

int wsman_psrp_shell_is_open(const wsman_psrp_shell_t *sh)
{
    return sh && !sh->closed;
}

int wsman_psrp_shell_close(wsman_psrp_shell_t *sh, wsman_error_t *e)
{
    wsman_response_t res;
    int rc;

    if (!wsman_psrp_shell_is_open(sh))
        return 0;
    wsman_response_init(&res);
    rc = exchange(sh, "CloseRunspacePool", WSMAN_ACTION_DELETE, sh->loc, NULL, WSMAN_RESP_EMPTY, NULL, 0,
                  &res, e);
    wsman_response_clear(&res);
    sh->closed = 1;
    if (rc != 0 && wsman_shell_gone(e)) {
        wsman_error_clear(e);
        return 0;
    }
    if (rc != 0 && e && !e->fault_code && !e->http_status) /* never reached the host: try again later */
        wsman_session_queue_request(sh->s, "CloseRunspacePool", WSMAN_ACTION_DELETE,
                                    wsman_locator_dup(sh->loc), NULL);
    return rc;
}

void wsman_psrp_shell_free(wsman_psrp_shell_t *sh)
{
    if (!sh)
        return;
    if (!sh->closed && sh->id)
        wsman_session_queue_request(sh->s, "CloseRunspacePool", WSMAN_ACTION_DELETE,
                                    wsman_locator_dup(sh->loc), NULL);
    wsman_locator_free(sh->loc);
    free(sh->id);
    wsman_session_free(sh->s);
    free(sh);
}

/* ---- Command, Send, Receive, Signal --------------------------------------------------------- */

size_t wsman_psrp_shell_max_payload(const wsman_psrp_shell_t *sh)
{
    long mes = wsman_session_max_envelope_size(sh->s);
    long room;

    if (wsman_session_flags(sh->s) & WSMAN_FLAG_UTF16)
        mes /= 2; /* every character of the envelope takes two bytes */
    room =
        mes - SEND_OVERHEAD - (long)strlen(sh->id ? sh->id : "") - (long)strlen(wsman_locator_uri(sh->loc));
    if (room < MIN_PAYLOAD)
        room = MIN_PAYLOAD;
    return (size_t)(room / BASE64_OUT) * BASE64_IN;
}

static int check_payload(wsman_psrp_shell_t *sh, const char *op, size_t len, wsman_error_t *e)
{
    if (check_open(sh, op, e) != 0)
        return -1;
    if (len > wsman_psrp_shell_max_payload(sh)) {
        if (e) {
            wsman_error_set(e, WSMAN_E_MAX_ENVELOPE_SIZE_EXCEEDED,
                            "%s: %zu bytes of PSRP fragments do not fit one envelope (at most %zu)", op, len,
                            wsman_psrp_shell_max_payload(sh));
            wsman_error_context(e, op, wsman_session_endpoint(sh->s));
        }
        return -1;
    }
    return 0;
}

char *wsman_psrp_shell_command(wsman_psrp_shell_t *sh, const char *command_id, const void *args, size_t len,
                               wsman_error_t *e)
{
    wsman_response_t res;
    wsman_buf_t body;
    char *id = NULL;
    int rc;

    if (!command_id || !*command_id) {
        wsman_engine_invalid(e, "CreatePipeline", sh->s, "a pipeline needs its id");
        return NULL;
    }
    if (check_payload(sh, "CreatePipeline", len, e) != 0)
        return NULL;
    wsman_buf_init(&body);
    wsman_response_init(&res);
    rc = wsman_buf_puts(&body, "<rsp:CommandLine" RSP_DECL " CommandId=\"") |
         wsman_buf_xml_attr(&body, command_id, strlen(command_id)) |
         wsman_buf_puts(&body, "\"><rsp:Command /><rsp:Arguments>") | wsman_base64_encode(&body, args, len) |
         wsman_buf_puts(&body, "</rsp:Arguments></rsp:CommandLine>");
    rc = rc ? wsman_engine_oom(e, "CreatePipeline", sh->s)
            : exchange(sh, "CreatePipeline", ACTION_COMMAND, sh->loc, body.data, WSMAN_RESP_BODY, NULL, 0,
                       &res, e);
    if (rc == 0) {
        id = wsman_reply_find_value(&res.body, WSMAN_NS_RSP, "CommandId", NULL, NULL, NULL, NULL);
        if (!id && !(id = wsman_strdup(command_id)))
            wsman_engine_oom(e, "CreatePipeline", sh->s);
    }
    wsman_response_clear(&res);
    wsman_buf_free(&body);
    return id;
}

int wsman_psrp_shell_send(wsman_psrp_shell_t *sh, const char *command_id, const char *stream,
                          const void *data, size_t len, wsman_error_t *e)
{
    wsman_response_t res;
    wsman_buf_t body;
    int rc;

    if (check_payload(sh, "Send", len, e) != 0)
        return -1;
    stream = stream ? stream : "stdin";
    wsman_buf_init(&body);
    rc = wsman_buf_puts(&body, "<rsp:Send" RSP_DECL "><rsp:Stream Name=\"") |
         wsman_buf_xml_attr(&body, stream, strlen(stream)) | wsman_buf_puts(&body, "\"");
    if (command_id)
        rc |= wsman_buf_puts(&body, " CommandId=\"") |
              wsman_buf_xml_attr(&body, command_id, strlen(command_id)) | wsman_buf_puts(&body, "\"");
    rc |= wsman_buf_puts(&body, ">") | wsman_base64_encode(&body, data, len) |
          wsman_buf_puts(&body, "</rsp:Stream></rsp:Send>");
    wsman_response_init(&res);
    rc = rc ? wsman_engine_oom(e, "Send", sh->s)
            : exchange(sh, "Send", ACTION_SEND, sh->loc, body.data, WSMAN_RESP_EMPTY, NULL, 0, &res, e);
    wsman_response_clear(&res);
    wsman_buf_free(&body);
    if (rc != 0 && !command_id && wsman_shell_gone(e)) /* (with a CommandId: the pipeline is gone) */
        sh->closed = 1;
    return rc;
}

static int collect_stdout(void *ud, const char *stream, const char *data, size_t len, int end)
{
    (void)end;
    if (strcmp(stream, "stdout") != 0 || !len)
        return 0;
    return wsman_buf_append(ud, data, len);
}

static int receive_body(wsman_buf_t *b, const char *command_id)
{
    int rc = wsman_buf_puts(b, "<rsp:Receive" RSP_DECL "><rsp:DesiredStream");

    if (command_id)
        rc |= wsman_buf_puts(b, " CommandId=\"") | wsman_buf_xml_attr(b, command_id, strlen(command_id)) |
              wsman_buf_puts(b, "\"");
    return rc | wsman_buf_puts(b, ">stdout</rsp:DesiredStream></rsp:Receive>");
}

int wsman_psrp_shell_receive(wsman_psrp_shell_t *sh, const char *command_id, long wait_ms,
                             wsman_psrp_bytes_cb cb, void *ud, wsman_error_t *e)
{
    static char n_keepalive[] = "WSMAN_CMDSHELL_OPTION_KEEPALIVE", v_true[] = "True";
    wsman_stream_sink_t sink;
    wsman_pair_t opt;
    wsman_locator_t l;
    wsman_response_t res;
    wsman_buf_t body, data;
    int rc, done = 0;

    if (check_open(sh, "Receive", e) != 0)
        return -1;
    if (wait_ms <= 0)
        wait_ms = wsman_session_timeout(sh->s);
    if (wait_ms > MAX_RECEIVE_WAIT_MS)
        wait_ms = MAX_RECEIVE_WAIT_MS;
    wsman_buf_init(&body);
    wsman_buf_init(&data);
    if (receive_body(&body, command_id) != 0) {
        wsman_buf_free(&body);
        return wsman_engine_oom(e, "Receive", sh->s);
    }
    opt.name = n_keepalive;
    opt.value = v_true;
    opt.must_comply = 0;
    l = with_options(sh, &opt, 1);
    sink.chunk = collect_stdout;
    sink.ud = &data;
    wsman_response_init(&res);
    rc = exchange(sh, "Receive", ACTION_RECEIVE, &l, body.data, WSMAN_RESP_RECEIVE, &sink, wait_ms, &res, e);
    wsman_buf_free(&body);
    if (rc != 0 && e && e->code == WSMAN_E_OPERATION_TIMEDOUT && e->fault_code) {
        wsman_error_clear(e); /* nothing within OperationTimeout: poll again */
        rc = 0;
    } else if (rc != 0 && !command_id && wsman_shell_gone(e)) { /* with a CommandId: the pipeline is gone */
        sh->closed = 1;
    }
    if (rc == 0) {
        done = res.command_state && strcmp(res.command_state, STATE_DONE) == 0;
        if (data.len && cb(ud, (const unsigned char *)data.data, data.len) != 0) {
            wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                            "Receive: the PSRP messages from %s could not be read",
                            wsman_session_endpoint(sh->s));
            rc = -1;
        }
    }
    wsman_response_clear(&res);
    wsman_buf_free(&data);
    return rc != 0 ? -1 : done;
}

int wsman_psrp_shell_signal(wsman_psrp_shell_t *sh, const char *command_id, const char *code,
                            wsman_error_t *e)
{
    wsman_response_t res;
    wsman_buf_t body;
    const char *uri;
    int rc;

    if (check_open(sh, "Signal", e) != 0)
        return -1;
    if (!command_id || !code)
        return wsman_engine_invalid(e, "Signal", sh->s,
                                    "Signal needs a pipeline id and a code (terminate or ctrl_c)");
    uri = strcmp(code, "terminate") == 0 ? SIGNAL_TERMINATE
          : strcmp(code, "ctrl_c") == 0  ? SIGNAL_PS_STOP
                                         : code;
    wsman_buf_init(&body);
    rc = wsman_buf_puts(&body, "<rsp:Signal" RSP_DECL " CommandId=\"") |
         wsman_buf_xml_attr(&body, command_id, strlen(command_id)) | wsman_buf_puts(&body, "\"><rsp:Code>") |
         wsman_buf_xml_text(&body, uri, strlen(uri)) | wsman_buf_puts(&body, "</rsp:Code></rsp:Signal>");
    wsman_response_init(&res);
    rc = rc ? wsman_engine_oom(e, "Signal", sh->s)
            : exchange(sh, "Signal", ACTION_SIGNAL, sh->loc, body.data, WSMAN_RESP_EMPTY, NULL, 0, &res, e);
    wsman_response_clear(&res);
    wsman_buf_free(&body);
    return rc;
}

/* ---- Disconnect, Reconnect ------------------------------------------------------------------ */

static int simple(wsman_psrp_shell_t *sh, const char *op, const char *action, const char *body,
                  wsman_error_t *e)
{
    wsman_response_t res;
    int rc;

    if (check_open(sh, op, e) != 0)
        return -1;
    wsman_response_init(&res);
    rc = exchange(sh, op, action, sh->loc, body, WSMAN_RESP_EMPTY, NULL, 0, &res, e);
    wsman_response_clear(&res);
    return rc;
}

int wsman_psrp_shell_disconnect(wsman_psrp_shell_t *sh, wsman_error_t *e)
{
    return simple(sh, "Disconnect", ACTION_DISCONNECT, "<rsp:Disconnect" RSP_DECL " />", e);
}

int wsman_psrp_shell_reconnect(wsman_psrp_shell_t *sh, wsman_error_t *e)
{
    return simple(sh, "Reconnect", ACTION_RECONNECT, NULL, e);
}

/* The bytes of connectResponseXml (base64 in the reply) to cb; none is fine (a pipeline's Connect). */
static int connect_reply(wsman_psrp_shell_t *sh, const wsman_response_t *res, wsman_psrp_bytes_cb cb,
                         void *ud, wsman_error_t *e)
{
    char *b64 =
        wsman_reply_find_value(&res->body, NS_PS_CREATION, "connectResponseXml", NULL, NULL, NULL, NULL);
    wsman_buf_t raw;
    int rc = 0;

    if (!b64)
        return 0;
    wsman_buf_init(&raw);
    if (wsman_base64_decode(&raw, b64, strlen(b64)) != 0 ||
        (raw.len && cb && cb(ud, (const unsigned char *)raw.data, raw.len) != 0)) {
        wsman_error_set(e, WSMAN_E_PSRP_INVALID_DATA,
                        "Connect: the connectResponseXml of RunspacePool %s from %s could not be read",
                        sh->id, wsman_session_endpoint(sh->s));
        rc = -1;
    }
    wsman_buf_free(&raw);
    free(b64);
    return rc;
}

static int connect_body(wsman_buf_t *b, const char *command_id, const void *data, size_t len)
{
    int rc = wsman_buf_puts(b, "<rsp:Connect" RSP_DECL);

    if (command_id)
        return rc | wsman_buf_puts(b, " CommandId=\"") |
               wsman_buf_xml_attr(b, command_id, strlen(command_id)) | wsman_buf_puts(b, "\" />");
    return rc | wsman_buf_puts(b, "><connectXml xmlns=\"" NS_PS_CREATION "\">") |
           wsman_base64_encode(b, data, len) | wsman_buf_puts(b, "</connectXml></rsp:Connect>");
}

int wsman_psrp_shell_connect(wsman_psrp_shell_t *sh, const char *command_id, const char *protocol_version,
                             const void *data, size_t len, wsman_psrp_bytes_cb cb, void *ud, wsman_error_t *e)
{
    static char n_version[] = "protocolversion";
    char version[16];
    wsman_pair_t opt;
    wsman_locator_t l;
    wsman_response_t res;
    wsman_buf_t body;
    int rc;

    if (check_open(sh, "Connect", e) != 0)
        return -1;
    snprintf(version, sizeof version, "%s", protocol_version ? protocol_version : DEFAULT_PROTOCOL_VERSION);
    opt.name = n_version;
    opt.value = version;
    opt.must_comply = 1;
    l = command_id ? *sh->loc : with_options(sh, &opt, 1);
    wsman_buf_init(&body);
    wsman_response_init(&res);
    rc = connect_body(&body, command_id, data, len) != 0
             ? wsman_engine_oom(e, "Connect", sh->s)
             : exchange(sh, "Connect", ACTION_CONNECT, &l, body.data, WSMAN_RESP_BODY, NULL, 0, &res, e);
    if (rc == 0)
        rc = connect_reply(sh, &res, cb, ud, e);
    else if (!command_id && wsman_shell_gone(e))
        sh->closed = 1;
    wsman_response_clear(&res);
    wsman_buf_free(&body);
    return rc;
}
