/* SPDX-License-Identifier: MIT */
/*
 * shell.c - WinRS shells (MS-WSMV 3.1.4.11-3.1.4.14): Create, Command, Send, Receive, Signal, Delete on
 * .../windows/shell/cmd, output streamed to a callback as each Receive reply is parsed, codepage
 * conversion to UTF-8, cleanup requests queued on the session when objects are freed.
 *
 * Nothing here accumulates output: a Receive reply is parsed as it arrives and every rsp:Stream
 * element goes to the caller's callback (converted) before the next one is read.
 */
#include "engine.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTION_COMMAND WSMAN_NS_RSP "/Command"
#define ACTION_SEND WSMAN_NS_RSP "/Send"
#define ACTION_RECEIVE WSMAN_NS_RSP "/Receive"
#define ACTION_SIGNAL WSMAN_NS_RSP "/Signal"
#define SIGNAL_URI WSMAN_NS_RSP "/signal/"
#define STATE_DONE WSMAN_NS_RSP "/CommandState/Done"
#define RSP_DECL " xmlns:rsp=\"" WSMAN_NS_RSP "\""
#define MAX_RECEIVE_WAIT_MS 60000L /* winrm/config MaxTimeoutms default */
#define SEND_OVERHEAD 3072         /* envelope around the base64 of one Send, with room to spare */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

struct wsman_shell {
    int refs;
    wsman_session_t *s;
    wsman_locator_t *loc; /* shell/cmd + ShellId selector */
    char *id;
    unsigned codepage;
    int closed;   /* deleted, or gone on the host */
    int detached; /* forgotten: never deleted by us */
};

typedef struct out_stream {
    iconv_t cd; /* (iconv_t)-1: UTF-8 already */
    char carry[8];
    size_t ncarry;
    int ended;
} out_stream_t;

struct wsman_command {
    wsman_shell_t *sh;
    char *id;
    int done;       /* Done received, or terminated, or gone */
    int terminated; /* Signal terminate sent (nothing left to free on the host) */
    int have_exit;
    long long exit_code;
    out_stream_t out[2];
    wsman_buf_t conv;
    /* during a Receive */
    wsman_output_cb cb;
    void *ud;
};

/* ---- helpers ------------------------------------------------------------------------------ */

int wsman_engine_oom(wsman_error_t *e, const char *op, const wsman_session_t *s)
{
    if (e) {
        wsman_error_oom(e, NULL);
        wsman_error_context(e, op, s ? wsman_session_endpoint(s) : NULL);
    }
    return -1;
}

int wsman_engine_invalid(wsman_error_t *e, const char *op, const wsman_session_t *s, const char *msg)
{
    if (e) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "%s", msg);
        wsman_error_context(e, op, s ? wsman_session_endpoint(s) : NULL);
    }
    return -1;
}

/* iconv name for a Windows codepage; (iconv_t)-1 when none converts. */
static iconv_t open_codepage(unsigned cp)
{
    static const struct {
        unsigned cp;
        const char *name;
    } alias[] = {{936, "GBK"},          {950, "BIG5"},      {949, "UHC"},      {20127, "ASCII"},
                 {28591, "ISO-8859-1"}, {20932, "EUC-JP"},  {51932, "EUC-JP"}, {54936, "GB18030"},
                 {1200, "UTF-16LE"},    {1201, "UTF-16BE"}, {65000, "UTF-7"}};
    char name[32];
    iconv_t cd;
    size_t i;

    snprintf(name, sizeof name, "CP%u", cp);
    if ((cd = iconv_open("UTF-8", name)) != (iconv_t)-1)
        return cd;
    snprintf(name, sizeof name, "WINDOWS-%u", cp);
    if ((cd = iconv_open("UTF-8", name)) != (iconv_t)-1)
        return cd;
    snprintf(name, sizeof name, "IBM%u", cp);
    if ((cd = iconv_open("UTF-8", name)) != (iconv_t)-1)
        return cd;
    if (cp >= 28592 && cp <= 28606) {
        snprintf(name, sizeof name, "ISO-8859-%u", cp - 28590);
        if ((cd = iconv_open("UTF-8", name)) != (iconv_t)-1)
            return cd;
    }
    for (i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (alias[i].cp == cp && (cd = iconv_open("UTF-8", alias[i].name)) != (iconv_t)-1)
            return cd;
    return (iconv_t)-1;
}

static int check_codepage(unsigned cp, wsman_error_t *e, const char *op, const wsman_session_t *s)
{
    iconv_t cd;

    if (cp == 65001)
        return 0;
    cd = open_codepage(cp);
    if (cd == (iconv_t)-1) {
        if (e) {
            wsman_error_set(e, WSMAN_E_INVALIDARG,
                            "codepage %u: this system's iconv cannot convert it to UTF-8; use codepage 65001 "
                            "(UTF-8) or one iconv knows (437, 850, 1252, 932, ...)",
                            cp);
            wsman_error_context(e, op, s ? wsman_session_endpoint(s) : NULL);
        }
        return -1;
    }
    iconv_close(cd);
    return 0;
}

/* Appends "PT<s>.<ms>S". */
static int duration(wsman_buf_t *b, long ms)
{
    return wsman_buf_printf(b, "PT%ld.%03ldS", ms / 1000, ms % 1000);
}

static int text_elem(wsman_buf_t *b, const char *tag, const char *text)
{
    return wsman_buf_printf(b, "<rsp:%s>", tag) | wsman_buf_xml_text(b, text, strlen(text)) |
           wsman_buf_printf(b, "</rsp:%s>", tag);
}

/* Characters that make an argument need double quotes: the separators of the Windows command-line
 * rules, and cmd.exe's operators (an unquoted & | < > ^ would be cmd.exe's, not the program's). */
static const char QUOTE_TRIGGERS[] = " \t\n\v&|<>^";

static int append_backslashes(wsman_buf_t *out, size_t n)
{
    int rc = 0;
    while (n--)
        rc |= wsman_buf_append(out, "\\", 1);
    return rc;
}

int wsman_quote_arg(wsman_buf_t *out, const char *arg)
{
    int wrap = *arg == '\0' || strpbrk(arg, QUOTE_TRIGGERS) != NULL;
    size_t slashes = 0;
    int rc = wrap ? wsman_buf_append(out, "\"", 1) : 0;
    const char *p;

    for (p = arg; *p; p++) {
        if (*p == '\\') {
            slashes++;
            continue;
        }
        if (*p == '"') /* each backslash before a quote doubled, the quote escaped */
            rc |= append_backslashes(out, 2 * slashes + 1);
        else
            rc |= append_backslashes(out, slashes);
        slashes = 0;
        rc |= wsman_buf_append(out, p, 1);
    }
    /* trailing backslashes are doubled only when a closing quote follows them */
    rc |= append_backslashes(out, wrap ? 2 * slashes : slashes);
    if (wrap)
        rc |= wsman_buf_append(out, "\"", 1);
    return rc ? -1 : 0;
}

/* An rsp:Arguments element: the argument quoted, or as given with WSMAN_COMMAND_VERBATIM_ARGS. */
static int argument_elem(wsman_buf_t *b, const char *arg, uint32_t flags)
{
    wsman_buf_t q;
    int rc;
    if (flags & WSMAN_COMMAND_VERBATIM_ARGS)
        return text_elem(b, "Arguments", arg);
    wsman_buf_init(&q);
    rc = wsman_quote_arg(&q, arg);
    if (rc == 0)
        rc = text_elem(b, "Arguments", q.data);
    wsman_buf_free(&q);
    return rc;
}

wsman_locator_t wsman_locator_with_options(const wsman_locator_t *loc, wsman_pair_t *opts, size_t n)
{
    wsman_locator_t l = *loc;
    l.options = opts;
    l.noptions = n;
    l.must_understand_options = n > 0;
    return l;
}

/* A copy of the shell's locator with these options (must understand), for one exchange. */
static wsman_locator_t with_options(const wsman_shell_t *sh, wsman_pair_t *opts, size_t n)
{
    return wsman_locator_with_options(sh->loc, opts, n);
}

static int exchange(wsman_shell_t *sh, const char *op, const char *action, const wsman_locator_t *l,
                    const char *body, wsman_resp_kind_t kind, void *ud, long timeout_ms, int idempotent,
                    wsman_response_t *res, wsman_error_t *e)
{
    return wsman_winrs_exchange(sh->s, op, action, l, body, kind, ud, timeout_ms, idempotent, res, e);
}

/* ---- finding one value in a reply body ----------------------------------------------------- */

typedef struct find_ctx {
    wsman_xml_t *x;
    const char *ns, *local;
    const char *alt_ns, *alt_local, *alt_attr, *alt_value; /* second form: element with an attribute */
    int depth;                                             /* depth of the element being read, 0 none */
    wsman_buf_t text;
    char *found;
} find_ctx_t;

static int find_start(void *ud, const char *ns, const char *local, const char **atts)
{
    find_ctx_t *c = ud;

    if (c->found || c->depth)
        return 0;
    if (strcmp(ns, c->ns) == 0 && strcmp(local, c->local) == 0) {
        c->depth = wsman_xml_depth(c->x);
    } else if (c->alt_ns && strcmp(ns, c->alt_ns) == 0 && strcmp(local, c->alt_local) == 0) {
        const char *v = wsman_xml_attr(c->x, atts, NULL, c->alt_attr);
        if (v && strcmp(v, c->alt_value) == 0)
            c->depth = wsman_xml_depth(c->x);
    }
    wsman_buf_reset(&c->text);
    return 0;
}

static int find_text(void *ud, const char *s, size_t len)
{
    find_ctx_t *c = ud;
    if (c->depth && wsman_xml_depth(c->x) == c->depth)
        return wsman_buf_append(&c->text, s, len);
    return 0;
}

static int find_end(void *ud, const char *ns, const char *local)
{
    find_ctx_t *c = ud;
    size_t a = 0, n;

    if (!c->depth || wsman_xml_depth(c->x) != c->depth)
        return 0;
    c->depth = 0;
    n = c->text.len;
    while (a < n && strchr(" \t\r\n", c->text.data[a]))
        a++;
    while (n > a && strchr(" \t\r\n", c->text.data[n - 1]))
        n--;
    if (n > a && !(c->found = wsman_strndup(c->text.data + a, n - a)))
        return -1;
    return 0;
}

char *wsman_reply_find_value(const wsman_buf_t *body, const char *ns, const char *local, const char *alt_ns,
                             const char *alt_local, const char *alt_attr, const char *alt_value)
{
    static const wsman_xml_handler_t h = {find_start, find_end, find_text, NULL};
    static const char open[] = "<r>", close[] = "</r>";
    wsman_xml_limits_t lim;
    find_ctx_t c = {.ns = ns,
                    .local = local,
                    .alt_ns = alt_ns,
                    .alt_local = alt_local,
                    .alt_attr = alt_attr,
                    .alt_value = alt_value};
    int rc;

    wsman_buf_init(&c.text);
    memset(&lim, 0, sizeof lim);
    lim.max_bytes = body->len + sizeof open + sizeof close;
    wsman_xml_limits_fill(&lim);
    c.x = wsman_xml_new(&lim, "reply", &h, &c);
    if (!c.x)
        return NULL;
    rc = wsman_xml_feed_wrapped(c.x, open, body->data, body->len, close, NULL);
    wsman_xml_free(c.x);
    wsman_buf_free(&c.text);
    if (rc != 0) {
        free(c.found);
        return NULL;
    }
    return c.found;
}

/* ---- shells ------------------------------------------------------------------------------- */

static wsman_shell_t *shell_new(wsman_session_t *s, unsigned codepage, wsman_error_t *e, const char *op)
{
    wsman_shell_t *sh = calloc(1, sizeof *sh);

    if (!sh || !(sh->loc = wsman_locator_new()) || wsman_locator_set_uri(sh->loc, WSMAN_SHELL_URI, e) != 0) {
        if (sh)
            wsman_locator_free(sh->loc);
        free(sh);
        wsman_engine_oom(e, op, s);
        return NULL;
    }
    sh->refs = 1;
    sh->s = s;
    sh->codepage = codepage ? codepage : 65001;
    wsman_session_ref(s);
    return sh;
}

static int shell_set_id(wsman_shell_t *sh, const char *id, wsman_error_t *e, const char *op)
{
    free(sh->id);
    sh->id = wsman_strdup(id);
    wsman_locator_clear_selectors(sh->loc);
    if (!sh->id || wsman_locator_add_selector(sh->loc, "ShellId", id, e) != 0)
        return wsman_engine_oom(e, op, sh->s);
    return 0;
}

static int create_body(wsman_buf_t *b, const wsman_shell_options_t *o)
{
    int rc = wsman_buf_puts(b, "<rsp:Shell" RSP_DECL ">");
    size_t i;

    if (o->name && *o->name)
        rc |= text_elem(b, "Name", o->name);
    if (o->environment && o->environment[0]) {
        rc |= wsman_buf_puts(b, "<rsp:Environment>");
        for (i = 0; o->environment[i] && o->environment[i + 1]; i += 2) {
            const char *n = o->environment[i], *v = o->environment[i + 1];
            rc |= wsman_buf_puts(b, "<rsp:Variable Name=\"") | wsman_buf_xml_attr(b, n, strlen(n)) |
                  wsman_buf_puts(b, "\">") | wsman_buf_xml_text(b, v, strlen(v)) |
                  wsman_buf_puts(b, "</rsp:Variable>");
        }
        rc |= wsman_buf_puts(b, "</rsp:Environment>");
    }
    if (o->working_directory && *o->working_directory)
        rc |= text_elem(b, "WorkingDirectory", o->working_directory);
    if (o->lifetime_ms > 0)
        rc |= wsman_buf_puts(b, "<rsp:Lifetime>") | duration(b, o->lifetime_ms) |
              wsman_buf_puts(b, "</rsp:Lifetime>");
    if (o->idle_timeout_ms > 0)
        rc |= wsman_buf_puts(b, "<rsp:IdleTimeOut>") | duration(b, o->idle_timeout_ms) |
              wsman_buf_puts(b, "</rsp:IdleTimeOut>");
    rc |= wsman_buf_puts(b, "<rsp:InputStreams>stdin</rsp:InputStreams>"
                            "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>");
    return rc ? -1 : 0;
}

/* The caller's texts of a shell Create, checked before anything is allocated or sent. */
static int check_shell_texts(const wsman_session_t *s, const wsman_shell_options_t *o, wsman_error_t *e)
{
    int rc = wsman_xml_check_str("CreateShell: the shell name", o->name, e);
    if (!rc)
        rc = wsman_xml_check_str("CreateShell: the working directory", o->working_directory, e);
    for (size_t i = 0; !rc && o->environment && o->environment[i] && o->environment[i + 1]; i += 2) {
        rc = wsman_xml_check_str("CreateShell: an environment variable name", o->environment[i], e);
        if (!rc)
            rc = wsman_xml_check_str("CreateShell: an environment variable value", o->environment[i + 1], e);
    }
    if (rc)
        wsman_error_context(e, "CreateShell", wsman_session_endpoint(s));
    return rc;
}

/* Command line texts of a Command, checked before anything is sent. */
static int check_command_texts(const wsman_session_t *s, const char *command, const char *const *args,
                               size_t nargs, wsman_error_t *e)
{
    int rc = wsman_xml_check_str("Command: the command", command, e);
    for (size_t i = 0; !rc && i < nargs; i++)
        rc = wsman_xml_check_str("Command: an argument", args[i], e);
    if (rc)
        wsman_error_context(e, "Command", wsman_session_endpoint(s));
    return rc;
}

wsman_shell_t *wsman_shell_open(wsman_session_t *s, const wsman_shell_options_t *o, wsman_error_t *e)
{
    static char n_noprofile[] = "WINRS_NOPROFILE", n_codepage[] = "WINRS_CODEPAGE";
    static char v_true[] = "TRUE", v_false[] = "FALSE";
    wsman_shell_options_t none;
    wsman_pair_t opts[2];
    wsman_locator_t l;
    wsman_response_t res;
    wsman_buf_t body;
    wsman_shell_t *sh;
    char cp[16], *id;
    size_t n = 0;
    int rc;

    if (!s) {
        wsman_engine_invalid(e, "CreateShell", NULL, "CreateShell needs a session");
        return NULL;
    }
    if (!o) {
        memset(&none, 0, sizeof none);
        o = &none;
    }
    if (check_codepage(o->codepage ? o->codepage : 65001, e, "CreateShell", s) != 0 ||
        check_shell_texts(s, o, e) != 0)
        return NULL;
    if (!(sh = shell_new(s, o->codepage, e, "CreateShell")))
        return NULL;
    if (o->noprofile) {
        opts[n].name = n_noprofile;
        opts[n].value = o->noprofile > 0 ? v_true : v_false;
        opts[n++].must_comply = 1;
    }
    snprintf(cp, sizeof cp, "%u", sh->codepage);
    opts[n].name = n_codepage;
    opts[n].value = cp;
    opts[n++].must_comply = 0;
    l = with_options(sh, opts, n);
    wsman_buf_init(&body);
    if (create_body(&body, o) != 0) {
        wsman_buf_free(&body);
        wsman_engine_oom(e, "CreateShell", s);
        wsman_shell_free(sh);
        return NULL;
    }
    wsman_response_init(&res);
    rc =
        exchange(sh, "CreateShell", WSMAN_ACTION_CREATE, &l, body.data, WSMAN_RESP_BODY, NULL, 0, 0, &res, e);
    wsman_buf_free(&body);
    if (rc != 0) {
        wsman_response_clear(&res);
        sh->closed = 1;
        wsman_shell_free(sh);
        return NULL;
    }
    id = wsman_reply_find_value(&res.body, WSMAN_NS_RSP, "ShellId", WSMAN_NS_WSMAN, "Selector", "Name",
                                "ShellId");
    wsman_response_clear(&res);
    if (!id) {
        if (e) {
            wsman_error_set(e, WSMAN_E_RESPONSE_INVALID_SOAP_FAULT, /* an answer we cannot use */
                            "%s answered the shell Create without a ShellId", wsman_session_endpoint(s));
            wsman_error_context(e, "CreateShell", wsman_session_endpoint(s));
        }
        sh->closed = 1;
        wsman_shell_free(sh);
        return NULL;
    }
    rc = shell_set_id(sh, id, e, "CreateShell");
    free(id);
    if (rc != 0) {
        sh->closed = 1; /* cannot even name it: the host expires it */
        wsman_shell_free(sh);
        return NULL;
    }
    return sh;
}

wsman_shell_t *wsman_shell_attach(wsman_session_t *s, const char *shell_id, unsigned codepage,
                                  wsman_error_t *e)
{
    wsman_shell_t *sh;

    if (!s || !shell_id || !*shell_id) {
        wsman_engine_invalid(e, "CreateShell", s, "attaching to a shell needs its ShellId");
        return NULL;
    }
    if (check_codepage(codepage ? codepage : 65001, e, "CreateShell", s) != 0)
        return NULL;
    if (wsman_xml_check_str("CreateShell: the ShellId", shell_id, e) != 0) {
        wsman_error_context(e, "CreateShell", wsman_session_endpoint(s));
        return NULL;
    }
    if (!(sh = shell_new(s, codepage, e, "CreateShell")))
        return NULL;
    if (shell_set_id(sh, shell_id, e, "CreateShell") != 0) {
        sh->closed = 1;
        wsman_shell_free(sh);
        return NULL;
    }
    return sh;
}

const char *wsman_shell_id(const wsman_shell_t *sh)
{
    return sh->id;
}

wsman_session_t *wsman_shell_session(const wsman_shell_t *sh)
{
    return sh->s;
}

unsigned wsman_shell_codepage(const wsman_shell_t *sh)
{
    return sh->codepage;
}

int wsman_shell_is_open(const wsman_shell_t *sh)
{
    return !sh->closed && !sh->detached;
}

int wsman_shell_gone(const wsman_error_t *e)
{
    return e && e->code == WSMAN_E_UNEXPECTED_SELECTORS && e->fault_code;
}

int wsman_shell_close(wsman_shell_t *sh, wsman_error_t *e)
{
    wsman_response_t res;
    wsman_error_t local;
    int rc;

    if (!wsman_shell_is_open(sh))
        return 0;
    if (!e) {
        wsman_error_init(&local);
        e = &local;
    }
    wsman_response_init(&res);
    rc = exchange(sh, "DeleteShell", WSMAN_ACTION_DELETE, sh->loc, NULL, WSMAN_RESP_EMPTY, NULL, 0, 1, &res,
                  e);
    wsman_response_clear(&res);
    sh->closed = 1;
    if (rc != 0 && wsman_shell_gone(e)) {
        wsman_error_clear(e);
        rc = 0;
    } else if (rc != 0 && !e->fault_code && !e->http_status) {
        /* never reached the host: try again before the session's next request */
        wsman_session_queue_request(sh->s, "DeleteShell", WSMAN_ACTION_DELETE, wsman_locator_dup(sh->loc),
                                    NULL);
    }
    if (e == &local)
        wsman_error_clear(&local);
    return rc;
}

void wsman_shell_detach(wsman_shell_t *sh)
{
    sh->detached = 1;
}

void wsman_shell_ref(wsman_shell_t *sh)
{
    if (sh)
        sh->refs++;
}

void wsman_shell_free(wsman_shell_t *sh)
{
    if (!sh || --sh->refs > 0)
        return;
    if (wsman_shell_is_open(sh) && sh->id)
        wsman_session_queue_request(sh->s, "DeleteShell", WSMAN_ACTION_DELETE, wsman_locator_dup(sh->loc),
                                    NULL);
    wsman_locator_free(sh->loc);
    free(sh->id);
    wsman_session_free(sh->s);
    free(sh);
}

/* ---- commands ----------------------------------------------------------------------------- */

static wsman_command_t *command_new(wsman_shell_t *sh, const char *id, wsman_error_t *e, const char *op)
{
    wsman_command_t *c = calloc(1, sizeof *c);
    int i;

    if (!c || !(c->id = wsman_strdup(id))) {
        free(c);
        wsman_engine_oom(e, op, sh->s);
        return NULL;
    }
    c->sh = sh;
    wsman_shell_ref(sh);
    wsman_buf_init(&c->conv);
    for (i = 0; i < 2; i++) {
        c->out[i].cd = (iconv_t)-1;
        if (sh->codepage != 65001 && (c->out[i].cd = open_codepage(sh->codepage)) == (iconv_t)-1) {
            check_codepage(sh->codepage, e, op, sh->s);
            wsman_command_free(c);
            return NULL;
        }
    }
    return c;
}

static int command_check(wsman_command_t *c, const char *op, wsman_error_t *e)
{
    if (!c->sh->closed && !c->sh->detached)
        return 0;
    if (e) {
        wsman_error_set(e, WSMAN_E_SHELL_ALREADY_CLOSED, "%s: the shell %s is closed", op,
                        c->sh->id ? c->sh->id : "");
        wsman_error_context(e, op, wsman_session_endpoint(c->sh->s));
    }
    return -1;
}

wsman_command_t *wsman_shell_run(wsman_shell_t *sh, const char *command, const char *const *args,
                                 size_t nargs, uint32_t flags, wsman_error_t *e)
{
    static char n_skip[] = "WINRS_SKIP_CMD_SHELL", v_true[] = "True", v_false[] = "False";
    wsman_pair_t opt;
    wsman_locator_t l;
    wsman_response_t res;
    wsman_command_t *c = NULL;
    wsman_buf_t body;
    char *id;
    size_t i;
    int rc;

    if (!sh || !command || !*command) {
        wsman_engine_invalid(e, "Command", sh ? sh->s : NULL,
                             "a command needs a program (or command line) to run");
        return NULL;
    }
    if (!wsman_shell_is_open(sh)) {
        if (e) {
            wsman_error_set(e, WSMAN_E_SHELL_ALREADY_CLOSED, "Command: the shell %s is closed",
                            sh->id ? sh->id : "");
            wsman_error_context(e, "Command", wsman_session_endpoint(sh->s));
        }
        return NULL;
    }
    if (check_command_texts(sh->s, command, args, nargs, e) != 0)
        return NULL;
    wsman_buf_init(&body);
    rc = wsman_buf_puts(&body, "<rsp:CommandLine" RSP_DECL ">") | text_elem(&body, "Command", command);
    for (i = 0; i < nargs; i++)
        rc |= argument_elem(&body, args[i] ? args[i] : "", flags);
    rc |= wsman_buf_puts(&body, "</rsp:CommandLine>");
    if (rc) {
        wsman_buf_free(&body);
        wsman_engine_oom(e, "Command", sh->s);
        return NULL;
    }
    opt.name = n_skip;
    opt.value = (flags & WSMAN_COMMAND_SKIP_CMD_SHELL) ? v_true : v_false;
    opt.must_comply = 0;
    l = with_options(sh, &opt, 1);
    wsman_response_init(&res);
    rc = exchange(sh, "Command", ACTION_COMMAND, &l, body.data, WSMAN_RESP_BODY, NULL, 0, 0, &res, e);
    wsman_buf_free(&body);
    if (rc != 0) {
        wsman_response_clear(&res);
        if (wsman_shell_gone(e))
            sh->closed = 1;
        return NULL;
    }
    id = wsman_reply_find_value(&res.body, WSMAN_NS_RSP, "CommandId", NULL, NULL, NULL, NULL);
    wsman_response_clear(&res);
    if (!id) {
        if (e) {
            wsman_error_set(e, WSMAN_E_RESPONSE_INVALID_SOAP_FAULT,
                            "%s answered the Command without a CommandId", wsman_session_endpoint(sh->s));
            wsman_error_context(e, "Command", wsman_session_endpoint(sh->s));
        }
        return NULL;
    }
    c = command_new(sh, id, e, "Command");
    free(id);
    return c;
}

wsman_command_t *wsman_command_attach(wsman_shell_t *sh, const char *command_id, wsman_error_t *e)
{
    if (!sh || !command_id || !*command_id) {
        wsman_engine_invalid(e, "Command", sh ? sh->s : NULL, "attaching to a command needs its CommandId");
        return NULL;
    }
    if (wsman_xml_check_str("Command: the CommandId", command_id, e) != 0) {
        wsman_error_context(e, "Command", wsman_session_endpoint(sh->s));
        return NULL;
    }
    return command_new(sh, command_id, e, "Command");
}

const char *wsman_command_id(const wsman_command_t *c)
{
    return c->id;
}

int wsman_command_done(const wsman_command_t *c)
{
    return c->done;
}

int wsman_command_exit_code(const wsman_command_t *c, long long *code)
{
    if (!c->have_exit)
        return 0;
    if (code)
        *code = c->exit_code;
    return 1;
}

/* ---- Receive ------------------------------------------------------------------------------ */

static int deliver(wsman_command_t *c, int stream, const char *data, size_t len)
{
    if (!len || !c->cb)
        return 0;
    return c->cb(c->ud, stream, data, len);
}

/* Converts data (codepage -> UTF-8) keeping an incomplete trailing sequence for the next chunk;
 * at the end of the stream a leftover becomes U+FFFD. */
static int convert(wsman_command_t *c, int stream, const char *data, size_t len, int end)
{
    out_stream_t *o = &c->out[stream];
    wsman_buf_t in;
    char *ip;
    size_t il;
    int rc = 0;

    if (o->cd == (iconv_t)-1)
        return deliver(c, stream, data, len);
    wsman_buf_init(&in);
    if (o->ncarry) {
        if (wsman_buf_append(&in, o->carry, o->ncarry) != 0 || wsman_buf_append(&in, data, len) != 0) {
            wsman_buf_free(&in);
            return -1;
        }
        ip = in.data;
        il = in.len;
        o->ncarry = 0;
    } else {
        ip = (char *)(uintptr_t)data;
        il = len;
    }
    wsman_buf_reset(&c->conv);
    while (il > 0) {
        char *op;
        size_t ol, before;
        if (wsman_buf_reserve(&c->conv, il * 4 + 16) != 0) {
            rc = -1;
            break;
        }
        op = c->conv.data + c->conv.len;
        ol = c->conv.cap - c->conv.len - 1;
        before = ol;
        if (iconv(o->cd, &ip, &il, &op, &ol) == (size_t)-1) {
            c->conv.len += before - ol;
            if (errno == E2BIG)
                continue;
            if (errno == EINVAL && il < sizeof o->carry && !end) {
                memcpy(o->carry, ip, il); /* an incomplete sequence: wait for the rest */
                o->ncarry = il;
                il = 0;
                break;
            }
            if (wsman_buf_append(&c->conv, UTF8_REPLACEMENT, 3) != 0) {
                rc = -1;
                break;
            }
            ip++;
            il--;
            iconv(o->cd, NULL, NULL, NULL, NULL);
            continue;
        }
        c->conv.len += before - ol;
    }
    if (rc == 0 && c->conv.len) {
        c->conv.data[c->conv.len] = '\0';
        rc = deliver(c, stream, c->conv.data, c->conv.len);
    }
    wsman_buf_free(&in);
    return rc;
}

static int on_chunk(void *ud, const char *stream, const char *data, size_t len, int end)
{
    wsman_command_t *c = ud;
    int i;

    if (strcmp(stream, "stdout") == 0)
        i = WSMAN_STREAM_STDOUT;
    else if (strcmp(stream, "stderr") == 0)
        i = WSMAN_STREAM_STDERR;
    else
        return 0; /* a stream we did not ask for */
    if (len && convert(c, i, data, len, 0) != 0)
        return -1;
    if (end) {
        if (c->out[i].ncarry) {
            c->out[i].ncarry = 0;
            if (deliver(c, i, UTF8_REPLACEMENT, 3) != 0)
                return -1;
        }
        c->out[i].ended = 1;
    }
    return 0;
}

static int signal_body(wsman_buf_t *b, const char *id, const char *code)
{
    int rc = wsman_buf_puts(b, "<rsp:Signal" RSP_DECL " CommandId=\"") |
             wsman_buf_xml_attr(b, id, strlen(id)) | wsman_buf_puts(b, "\"><rsp:Code>");
    if (strchr(code, '/'))
        rc |= wsman_buf_xml_text(b, code, strlen(code));
    else
        rc |= wsman_buf_puts(b, SIGNAL_URI) | wsman_buf_xml_text(b, code, strlen(code));
    return rc | wsman_buf_puts(b, "</rsp:Code></rsp:Signal>");
}

/* Signal terminate after Done (frees the host's operation quota). Failures are not the caller's
 * problem: a transport failure queues it for the session's next request. */
static void terminate_after_done(wsman_command_t *c)
{
    wsman_response_t res;
    wsman_error_t err;
    wsman_buf_t body;

    c->terminated = 1;
    wsman_buf_init(&body);
    if (signal_body(&body, c->id, "terminate") != 0) {
        wsman_buf_free(&body);
        return;
    }
    wsman_response_init(&res);
    wsman_error_init(&err);
    if (exchange(c->sh, "Signal", ACTION_SIGNAL, c->sh->loc, body.data, WSMAN_RESP_EMPTY, NULL, 0, 1, &res,
                 &err) != 0 &&
        !err.fault_code && !err.http_status)
        wsman_session_queue_request(c->sh->s, "Signal", ACTION_SIGNAL, wsman_locator_dup(c->sh->loc),
                                    wsman_buf_steal(&body));
    wsman_response_clear(&res);
    wsman_error_clear(&err);
    wsman_buf_free(&body);
}

int wsman_command_receive(wsman_command_t *c, long wait_ms, wsman_output_cb cb, void *ud, wsman_error_t *e)
{
    static char n_keepalive[] = "WSMAN_CMDSHELL_OPTION_KEEPALIVE", v_true[] = "True";
    wsman_stream_sink_t sink;
    wsman_pair_t opt;
    wsman_locator_t l;
    wsman_response_t res;
    wsman_buf_t body;
    int rc;

    if (c->done)
        return 1;
    if (command_check(c, "Receive", e) != 0)
        return -1;
    if (wait_ms <= 0)
        wait_ms = wsman_session_timeout(c->sh->s);
    if (wait_ms > MAX_RECEIVE_WAIT_MS)
        wait_ms = MAX_RECEIVE_WAIT_MS;
    wsman_buf_init(&body);
    if ((wsman_buf_puts(&body, "<rsp:Receive" RSP_DECL "><rsp:DesiredStream CommandId=\"") |
         wsman_buf_xml_attr(&body, c->id, strlen(c->id)) |
         wsman_buf_puts(&body, "\">stdout stderr</rsp:DesiredStream></rsp:Receive>")) != 0) {
        wsman_buf_free(&body);
        return wsman_engine_oom(e, "Receive", c->sh->s);
    }
    opt.name = n_keepalive;
    opt.value = v_true;
    opt.must_comply = 0;
    l = with_options(c->sh, &opt, 1);
    sink.chunk = on_chunk;
    sink.ud = c;
    c->cb = cb;
    c->ud = ud;
    wsman_response_init(&res);
    rc = exchange(c->sh, "Receive", ACTION_RECEIVE, &l, body.data, WSMAN_RESP_RECEIVE, &sink, wait_ms, 0,
                  &res, e);
    c->cb = NULL;
    c->ud = NULL;
    wsman_buf_free(&body);
    if (rc != 0) {
        wsman_response_clear(&res);
        if (e && e->code == WSMAN_E_OPERATION_TIMEDOUT && e->fault_code) {
            wsman_error_clear(e); /* no output within OperationTimeout: not an error, poll again */
            return 0;
        }
        if (e && wsman_shell_gone(e)) {
            c->done = 1; /* the host no longer knows the command (or the shell) */
            c->terminated = 1;
        }
        return -1;
    }
    if (res.command_state && strcmp(res.command_state, STATE_DONE) == 0) {
        c->done = 1;
        if (res.have_exit_code) {
            c->have_exit = 1;
            c->exit_code = res.exit_code;
        }
    }
    wsman_response_clear(&res);
    if (!c->done)
        return 0;
    terminate_after_done(c);
    return 1;
}

/* ---- Send, Signal ------------------------------------------------------------------------- */

size_t wsman_command_send_size(const wsman_command_t *c)
{
    long mes = wsman_session_max_envelope_size(c->sh->s);
    long room;

    if (wsman_session_flags(c->sh->s) & WSMAN_FLAG_UTF16)
        mes /= 2; /* every character of the envelope takes two bytes */
    room = mes - SEND_OVERHEAD - (long)strlen(c->id) - (long)strlen(c->sh->id);
    if (room < 1024)
        room = 1024;
    return (size_t)(room / 4) * 3;
}

static int send_one(wsman_command_t *c, const unsigned char *data, size_t len, int end, wsman_error_t *e)
{
    wsman_response_t res;
    wsman_buf_t body;
    int rc;

    wsman_buf_init(&body);
    rc = wsman_buf_puts(&body, "<rsp:Send" RSP_DECL "><rsp:Stream Name=\"stdin\" CommandId=\"") |
         wsman_buf_xml_attr(&body, c->id, strlen(c->id)) |
         wsman_buf_puts(&body, end ? "\" End=\"true\">" : "\">") | wsman_base64_encode(&body, data, len) |
         wsman_buf_puts(&body, "</rsp:Stream></rsp:Send>");
    if (rc) {
        wsman_buf_free(&body);
        return wsman_engine_oom(e, "Send", c->sh->s);
    }
    wsman_response_init(&res);
    rc = exchange(c->sh, "Send", ACTION_SEND, c->sh->loc, body.data, WSMAN_RESP_EMPTY, NULL, 0, 0, &res, e);
    wsman_response_clear(&res);
    wsman_buf_free(&body);
    if (rc != 0 && e && wsman_shell_gone(e)) {
        c->done = 1;
        c->terminated = 1;
    }
    return rc;
}

int wsman_command_send(wsman_command_t *c, const void *data, size_t len, int end, wsman_error_t *e)
{
    const unsigned char *p = data;
    size_t max;

    if (command_check(c, "Send", e) != 0)
        return -1;
    if (c->done)
        return wsman_engine_invalid(e, "Send", c->sh->s, "Send: the command has ended; its stdin is closed");
    max = wsman_command_send_size(c);
    do {
        size_t n = len < max ? len : max;
        if (send_one(c, p, n, end && n == len, e) != 0)
            return -1;
        p += n;
        len -= n;
    } while (len > 0);
    return 0;
}

int wsman_command_signal(wsman_command_t *c, const char *signal, wsman_error_t *e)
{
    wsman_response_t res;
    wsman_buf_t body;
    int rc, terminate;

    if (!signal || !*signal)
        return wsman_engine_invalid(e, "Signal", c->sh->s,
                                    "Signal needs a code: terminate, ctrl_c or ctrl_break");
    if (command_check(c, "Signal", e) != 0)
        return -1;
    if (wsman_xml_check_str("Signal: the code", signal, e) != 0) {
        wsman_error_context(e, "Signal", wsman_session_endpoint(c->sh->s));
        return -1;
    }
    terminate = wsman_strcaseeq(signal, "terminate") || wsman_strcaseeq(signal, SIGNAL_URI "terminate");
    if (c->terminated)
        return 0; /* nothing left to signal */
    wsman_buf_init(&body);
    if (signal_body(&body, c->id, signal) != 0) {
        wsman_buf_free(&body);
        return wsman_engine_oom(e, "Signal", c->sh->s);
    }
    wsman_response_init(&res);
    rc = exchange(c->sh, "Signal", ACTION_SIGNAL, c->sh->loc, body.data, WSMAN_RESP_EMPTY, NULL, 0, 1, &res,
                  e);
    wsman_response_clear(&res);
    wsman_buf_free(&body);
    if (rc != 0 && e && wsman_shell_gone(e)) {
        c->done = 1;
        c->terminated = 1;
    } else if (rc == 0 && terminate) {
        c->done = 1;
        c->terminated = 1;
    }
    return rc;
}

void wsman_command_free(wsman_command_t *c)
{
    int i;

    if (!c)
        return;
    if (!c->terminated && wsman_shell_is_open(c->sh)) {
        wsman_buf_t body;
        wsman_buf_init(&body);
        if (signal_body(&body, c->id, "terminate") == 0)
            wsman_session_queue_request(c->sh->s, "Signal", ACTION_SIGNAL, wsman_locator_dup(c->sh->loc),
                                        wsman_buf_steal(&body));
        wsman_buf_free(&body);
    }
    for (i = 0; i < 2; i++)
        if (c->out[i].cd != (iconv_t)-1)
            iconv_close(c->out[i].cd);
    wsman_buf_free(&c->conv);
    wsman_shell_free(c->sh);
    free(c->id);
    free(c);
}
