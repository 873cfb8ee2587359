/* SPDX-License-Identifier: MIT */
/*
 * test_shell.c - unit tests of the remote-command parts of the core without network: the Receive
 * reply parser (rsp:Stream base64 decoded as it arrives, End flags, CommandState, ExitCode) on real
 * Windows replies split at every byte, the PowerShell bootstrap and -EncodedCommand, and the CLIXML
 * decoder on the real stderr samples (shared/captures/windows-pypsrp/test_sanitise_clixml_*.xml).
 */
#include "check.h"
#include "testutil.h"
#include "engine.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURES WSMAN_SOURCE_ROOT "/../shared/captures/windows-pypsrp"
#define SAMPLES WSMAN_SOURCE_ROOT "/spec/sim/data/clixml"

#define ENV_RSP                                                                                              \
    "<s:Envelope xml:lang=\"en-US\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "                    \
    "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                                          \
    "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "                                            \
    "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "                                 \
    "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header><a:Action>"                   \
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse</a:Action><a:MessageID>"        \
    "uuid:A3B7C8D7-2F47-454F-8B99-D795C8570B26</a:MessageID><a:To>"                                          \
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>"                    \
    "uuid:AC9A2078-650B-4F5A-8023-6A37A2F06331</a:RelatesTo></s:Header><s:Body>"
#define ENV_END "</s:Body></s:Envelope>"
#define CMD "CommandId=\"D644AE56-61E5-4C1A-A135-E599B76B3035\""
#define DONE_STATE "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"

/* test_winrs_operation_timeout.yml, message 3: output while the command still runs */
static const char running_reply[] =
    ENV_RSP "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" " CMD ">aGk=</rsp:Stream><rsp:Stream "
            "Name=\"stdout\" " CMD ">Cg==</rsp:Stream><rsp:CommandState " CMD " State=\"http://schemas."
            "microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running\"></rsp:CommandState>"
            "</rsp:ReceiveResponse>" ENV_END;

/* test_winrs_stderr_rc.yml, message 3: both streams, End, Done with exit code 1 */
static const char done_reply[] = ENV_RSP
    "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" " CMD ">b3V0IA0K</rsp:Stream><rsp:Stream "
    "Name=\"stderr\" " CMD ">ZXJyIA0K</rsp:Stream><rsp:Stream Name=\"stdout\" " CMD
    " End=\"true\"></rsp:Stream><rsp:Stream Name=\"stderr\" " CMD " End=\"true\"></rsp:Stream>"
    "<rsp:CommandState " CMD " State=\"" DONE_STATE "\"><rsp:ExitCode>1</rsp:ExitCode></rsp:CommandState>"
    "</rsp:ReceiveResponse>" ENV_END;

/* test_winrs_operation_timeout.yml, message 4 (HTTP 500) */
static const char timeout_fault[] =
    "<s:Envelope xml:lang=\"en-US\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
    "xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" xmlns:e=\"http://schemas.xmlsoap.org/ws/2004/"
    "08/eventing\" xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" xmlns:w=\"http://schemas."
    "dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\">"
    "<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</"
    "a:Action><a:MessageID>uuid:0D4B0250-"
    "D011-45CB-B33F-612745F6BEC5</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/"
    "anonymous</a:To><a:RelatesTo>uuid:9BE5F54A-6B47-487D-9ACD-65201E650446</a:RelatesTo></s:Header><s:Body>"
    "<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode>"
    "</s:Code><s:Reason><s:Text xml:lang=\"en-US\">The WS-Management service cannot complete the operation "
    "within the time specified in OperationTimeout.  </s:Text></s:Reason><s:Detail><f:WSManFault "
    "xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" Code=\"2150858793\" "
    "Machine=\"192.168.56.11\"><f:Message>The WS-Management service cannot complete the operation within the "
    "time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body>"
    "</s:Envelope>";

typedef struct streams {
    wsman_buf_t out, err, log; /* log: "o<len>|e<len>|O|E" per call */
    size_t calls;
    int fail_at;
} streams_t;

static int on_chunk(void *ud, const char *stream, const char *data, size_t len, int end)
{
    streams_t *s = ud;
    int is_out = strcmp(stream, "stdout") == 0;
    char note[32];

    s->calls++;
    if (s->fail_at && (int)s->calls == s->fail_at)
        return -1;
    if (end)
        snprintf(note, sizeof note, "%s|", is_out ? "O" : "E");
    else
        snprintf(note, sizeof note, "%c%zu|", is_out ? 'o' : 'e', len);
    wsman_buf_puts(&s->log, note);
    return wsman_buf_append(is_out ? &s->out : &s->err, data, len);
}

static void streams_init(streams_t *s)
{
    memset(s, 0, sizeof *s);
    wsman_buf_init(&s->out);
    wsman_buf_init(&s->err);
    wsman_buf_init(&s->log);
}

static void streams_free(streams_t *s)
{
    wsman_buf_free(&s->out);
    wsman_buf_free(&s->err);
    wsman_buf_free(&s->log);
}

/* Parses a Receive reply fed in pieces of chunk bytes (0: at once). */
static int parse_receive(const char *doc, size_t len, size_t chunk, streams_t *s, wsman_response_t *res,
                         wsman_error_t *e)
{
    wsman_stream_sink_t sink = {on_chunk, s};
    wsman_reader_t *r = wsman_reader_new(WSMAN_RESP_RECEIVE, NULL, NULL, &sink);
    size_t off = 0;
    int rc = 0;

    wsman_response_init(res);
    if (!chunk)
        chunk = len;
    while (rc == 0 && off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = wsman_reader_feed(r, doc + off, n, 0, e);
        off += n;
    }
    if (rc == 0)
        rc = wsman_reader_feed(r, NULL, 0, 1, e);
    if (rc == 0)
        wsman_reader_result(r, res);
    wsman_reader_free(r);
    return rc;
}

/* ---- Receive ------------------------------------------------------------------------------- */

TEST(receive_running_reply)
{
    streams_t s;
    wsman_response_t res;
    wsman_error_t e;

    streams_init(&s);
    wsman_error_init(&e);
    CHECK_INT(parse_receive(running_reply, sizeof running_reply - 1, 0, &s, &res, &e), 0);
    CHECK_STR(s.out.data, "hi\n");
    CHECK_STR(s.log.data, "o2|o1|"); /* one call per rsp:Stream element, as the host sent them */
    CHECK(!s.err.len);
    CHECK(!res.is_fault);
    CHECK(res.command_state && strstr(res.command_state, "/CommandState/Running"));
    CHECK(!res.have_exit_code);
    wsman_response_clear(&res);
    streams_free(&s);
}

TEST(receive_done_reply_split_at_every_byte)
{
    size_t chunk;

    for (chunk = 1; chunk <= sizeof done_reply; chunk++) {
        streams_t s;
        wsman_response_t res;
        wsman_error_t e;
        streams_init(&s);
        wsman_error_init(&e);
        CHECK_INT(parse_receive(done_reply, sizeof done_reply - 1, chunk, &s, &res, &e), 0);
        CHECK_STR(s.out.data, "out \r\n");
        CHECK_STR(s.err.data, "err \r\n");
        CHECK_STR(s.log.data, "o6|e6|O|E|");
        CHECK_STR(res.command_state, DONE_STATE);
        CHECK_INT(res.have_exit_code, 1);
        CHECK_INT(res.exit_code, 1);
        wsman_response_clear(&res);
        streams_free(&s);
        if (check_cur_failed) {
            printf("# chunk size %zu\n", chunk);
            break;
        }
    }
}

TEST(receive_large_stream_is_handed_over_in_pieces)
{
    /* one rsp:Stream of 300000 bytes: the reader keeps at most 64 KiB before calling back */
    size_t n = 300000, i;
    unsigned char *data = malloc(n);
    wsman_buf_t doc, b64;
    streams_t s;
    wsman_response_t res;
    wsman_error_t e;

    for (i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    wsman_buf_init(&doc);
    wsman_buf_init(&b64);
    wsman_base64_encode(&b64, data, n);
    wsman_buf_puts(&doc, ENV_RSP "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" " CMD ">");
    /* base64 text may come with line breaks */
    for (i = 0; i < b64.len; i += 76) {
        wsman_buf_append(&doc, b64.data + i, b64.len - i < 76 ? b64.len - i : 76);
        wsman_buf_puts(&doc, "\r\n");
    }
    wsman_buf_puts(
        &doc, "</rsp:Stream><rsp:CommandState " CMD " State=\"" DONE_STATE
              "\"><rsp:ExitCode>-1073741510</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>" ENV_END);
    streams_init(&s);
    wsman_error_init(&e);
    CHECK_INT(parse_receive(doc.data, doc.len, 4093, &s, &res, &e), 0);
    CHECK_INT(s.out.len, n);
    CHECK(memcmp(s.out.data, data, n) == 0);
    CHECK(s.calls >= 5);
    CHECK_INT(res.exit_code, -1073741510);
    wsman_response_clear(&res);
    streams_free(&s);
    wsman_buf_free(&doc);
    wsman_buf_free(&b64);
    free(data);
}

TEST(receive_operation_timeout_is_a_fault_with_its_code)
{
    streams_t s;
    wsman_response_t res;
    wsman_error_t e;

    streams_init(&s);
    wsman_error_init(&e);
    CHECK_INT(parse_receive(timeout_fault, sizeof timeout_fault - 1, 100, &s, &res, &e), 0);
    CHECK(res.is_fault);
    CHECK_INT(res.fault.code, 2150858793u);
    CHECK_STR(res.fault.subcode, "w:TimedOut");
    CHECK_INT(s.calls, 0);
    wsman_response_clear(&res);
    streams_free(&s);
}

TEST(receive_refuses_bad_base64_and_stops_when_the_sink_fails)
{
    static const char bad[] = ENV_RSP "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" " CMD
                                      ">aG!k</rsp:Stream></rsp:ReceiveResponse>" ENV_END;
    streams_t s;
    wsman_response_t res;
    wsman_error_t e;

    streams_init(&s);
    wsman_error_init(&e);
    CHECK_INT(parse_receive(bad, sizeof bad - 1, 0, &s, &res, &e), -1);
    CHECK(e.message && strstr(e.message, "base64"));
    wsman_error_clear(&e);
    streams_free(&s);

    streams_init(&s);
    s.fail_at = 2;
    CHECK_INT(parse_receive(done_reply, sizeof done_reply - 1, 0, &s, &res, &e), -1);
    CHECK_INT(s.calls, 2);
    wsman_error_clear(&e);
    streams_free(&s);
}

/* ---- argument quoting ------------------------------------------------------------------------ */

/* Each argument as the Windows command-line rules need it (the expected forms are what Python's
 * subprocess.list2cmdline gives, plus quotes around cmd.exe's operators). */
TEST(quote_arg_follows_the_windows_command_line_rules)
{
    static const char *const cases[][2] = {
        {"plain", "plain"},
        {"", "\"\""},
        {"a b", "\"a b\""},
        {"tab\there", "\"tab\there\""},
        {"C:\\Program Files\\", "\"C:\\Program Files\\\\\""},
        {"C:\\Temp\\", "C:\\Temp\\"},
        {"a\"b", "a\\\"b"},
        {"a\\\"b", "a\\\\\\\"b"},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"a&b", "\"a&b\""},
        {"x|y", "\"x|y\""},
        {"^", "\"^\""},
        {"100%", "100%"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wsman_buf_t b;
        wsman_buf_init(&b);
        CHECK_INT(wsman_quote_arg(&b, cases[i][0]), 0);
        CHECK_STR(b.data ? b.data : "", cases[i][1]);
        wsman_buf_free(&b);
    }
}

/* ---- PowerShell ---------------------------------------------------------------------------- */

TEST(ps_encode_command_is_utf16le_base64)
{
    char *enc = wsman_ps_encode_command("Write-Host caf\xc3\xa9", 16);
    wsman_buf_t raw;

    CHECK_STR(enc, "VwByAGkAdABlAC0ASABvAHMAdAAgAGMAYQBmAOkA");
    wsman_buf_init(&raw);
    CHECK_INT(wsman_base64_decode(&raw, enc, strlen(enc)), 0);
    CHECK_INT(raw.len, 30);
    wsman_buf_free(&raw);
    wsman_free(enc);
    CHECK(wsman_ps_encode_command("\xff", 1) == NULL); /* not UTF-8 */
}

TEST(ps_bootstrap_is_short_and_reads_stdin)
{
    const char *args[8];
    char *enc = NULL;
    size_t total = strlen(WSMAN_PS_EXE);
    int n = wsman_ps_bootstrap_args(args, &enc), i;

    CHECK_INT(n, 7);
    CHECK_STR(args[5], "-EncodedCommand");
    CHECK(args[6] == enc);
    for (i = 0; i < n; i++)
        total += 1 + strlen(args[i]);
    CHECK(total < 2048); /* far from cmd.exe's 8191 characters, whatever the script */
    CHECK(strstr(wsman_ps_bootstrap(), "OpenStandardInput") != NULL);
    CHECK(strstr(wsman_ps_bootstrap(), "UTF8") != NULL);
    wsman_free(enc);
}

/* ---- CLIXML -------------------------------------------------------------------------------- */

typedef struct recs {
    wsman_buf_t log;
    size_t n;
} recs_t;

static int on_record(void *ud, const wsman_ps_record_t *r)
{
    recs_t *c = ud;
    c->n++;
    wsman_buf_printf(&c->log, "[%s|%s|%s|%lld|%lld|%s]", r->type, r->message ? r->message : "-",
                     r->activity ? r->activity : "-",
                     r->percent_complete == LLONG_MIN ? -99 : r->percent_complete,
                     r->source_id == LLONG_MIN ? -99 : r->source_id, r->record_type ? r->record_type : "-");
    return 0;
}

static char *decode(const char *data, size_t len, recs_t *c)
{
    wsman_buf_t text;
    wsman_error_t e;

    wsman_buf_init(&text);
    wsman_error_init(&e);
    wsman_buf_init(&c->log);
    c->n = 0;
    CHECK_INT(wsman_ps_clixml_decode(data, len, &text, on_record, c, &e), 0);
    return wsman_buf_steal(&text);
}

/* Decodes doc and checks the text, the number of records and their log. */
static void check_decode(const char *doc, size_t len, const char *want_text, size_t want_n,
                         const char *want_log)
{
    recs_t c;
    char *text = decode(doc, len, &c);

    CHECK_STR(text, want_text);
    CHECK_INT(c.n, want_n);
    CHECK_STR(c.log.data ? c.log.data : "", want_log);
    wsman_free(text);
    wsman_buf_free(&c.log);
}

TEST(clixml_real_sample_with_error)
{
    size_t len;
    char *data = read_file(CAPTURES "/test_sanitise_clixml_with_error.xml", &len), *text;
    recs_t c;

    if (!data)
        data = read_file(SAMPLES "/with_error.xml", &len);
    CHECK(data != NULL);
    if (!data)
        return;
    text = decode(data, len, &c);
    CHECK_INT(c.n, 3);
    CHECK(strncmp(text, "fake : The term 'fake' is not recognized", 40) == 0);
    CHECK(strstr(text, "Check \r\nthe spelling") != NULL);
    CHECK(strstr(text, "CLIXML") == NULL && strchr(text, '<') == NULL);
    CHECK(strstr(c.log.data, "[progress|-|Preparing modules for first use.|-1|1|Completed]") == c.log.data);
    CHECK(strstr(c.log.data,
                 "[error|fake : The term 'fake' is not recognized as the name of a cmdlet, function, "
                 "script file, or operable program. Check \nthe spelling") != NULL);
    CHECK(strstr(c.log.data, "CommandNotFoundException|-|-99|-99|-]") != NULL);
    wsman_free(text);
    wsman_buf_free(&c.log);
    free(data);
}

TEST(clixml_escapes_streams_and_unparsable_documents)
{
    static const char doc[] =
        "before\r\n#< CLIXML\r\n<Objs Version=\"1.1.0.1\" "
        "xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">"
        "<S S=\"warning\">w_x00E9__xD83D__xDE00__x005F_x000A__x000D__x000A_</S><S "
        "S=\"Error\">e1_x000D__x000A_</S>"
        "<S S=\"Error\">e2 &lt;&amp;&gt;_x000D__x000A_</S><S S=\"Error\"> _x000D__x000A_</S>"
        "<S S=\"verbose\">lone _xDC00_ high _xD800_x</S></Objs>\r\nafter #< CLIXML <Objs><S>x</Objs>";

    check_decode(doc, sizeof doc - 1, "before\r\ne1\r\ne2 <&>\r\n \r\nafter #< CLIXML <Objs><S>x</Objs>", 3,
                 "[warning|w\xc3\xa9\xf0\x9f\x98\x80_x000A_|-|-99|-99|-][error|e1\ne2 <&>|-|-99|-99|-]"
                 "[verbose|lone \xef\xbf\xbd high \xef\xbf\xbdx|-|-99|-99|-]");
}

TEST(clixml_objects_become_records)
{
    static const char doc[] =
        "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">"
        "<Obj S=\"Information\" RefId=\"0\"><MS><Obj N=\"MessageData\" RefId=\"1\"><ToString>hi "
        "_x0041_</ToString>"
        "</Obj><I64 N=\"sourceId\">7</I64></MS></Obj>"
        "<Obj S=\"progress\" RefId=\"2\"><MS><S N=\"Activity\">A</S><I32 N=\"ActivityId\">3</I32>"
        "<Nil N=\"CurrentOperation\" /><I32 N=\"ParentActivityId\">-1</I32><I32 "
        "N=\"PercentComplete\">40</I32>"
        "<Obj N=\"Type\" RefId=\"3\"><ToString>Processing</ToString><I32>0</I32></Obj>"
        "<I32 N=\"SecondsRemaining\">-1</I32><S N=\"StatusDescription\">s</S></MS></Obj>"
        "<Obj RefId=\"4\"><ToString>out</ToString></Obj><I32 S=\"Error\">5</I32></Objs>";

    check_decode(doc, sizeof doc - 1, "", 3,
                 "[information|hi A|-|-99|7|-][progress|-|A|40|-99|Processing][output|out|-|-99|-99|-]");
}

int main(void)
{
    RUN(receive_running_reply);
    RUN(receive_done_reply_split_at_every_byte);
    RUN(receive_large_stream_is_handed_over_in_pieces);
    RUN(receive_operation_timeout_is_a_fault_with_its_code);
    RUN(receive_refuses_bad_base64_and_stops_when_the_sink_fails);
    RUN(quote_arg_follows_the_windows_command_line_rules);
    RUN(ps_encode_command_is_utf16le_base64);
    RUN(ps_bootstrap_is_short_and_reads_stdin);
    RUN(clixml_real_sample_with_error);
    RUN(clixml_escapes_streams_and_unparsable_documents);
    RUN(clixml_objects_become_records);
    return check_done();
}
