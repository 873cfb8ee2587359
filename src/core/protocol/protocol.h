/* SPDX-License-Identifier: MIT */
/*
 * protocol.h - the protocol layer of the engine (not installed, not public): what a WS-Management
 * message is, independent of how it travels.
 *
 *   buf.c        growable buffers, string helpers, base64, uuid
 *   errors.c     error objects, code table (names, texts, retry classes)
 *   uri.c        connection strings, aliases, selectors, locator
 *   envelope.c   SOAP envelope writer
 *   xmlread.c    bounded streaming Expat reader and subtree serializer
 *   response.c   response parsers (result body, faults, enumeration batches)
 *   clixml.c     PowerShell CLIXML serialization
 *   psrp.c       PSRP messages and fragments (declared in the public psrp.h)
 *
 * Layers, lowest first: protocol, transport (transport.h), auth (auth.h), engine (engine.h). A
 * header includes only its own and lower layers' headers (tools/check-layers).
 */
#ifndef WSMAN_PROTOCOL_H
#define WSMAN_PROTOCOL_H

#include "wsman.h"

#include <stdarg.h>
#include <stdbool.h>

/* ---- buf.c ------------------------------------------------------------------------------ */

/* All append functions return 0, or -1 when out of memory (buffer unchanged). */
int wsman_buf_reserve(wsman_buf_t *b, size_t extra);
int wsman_buf_append(wsman_buf_t *b, const void *data, size_t len);
int wsman_buf_puts(wsman_buf_t *b, const char *s);
int wsman_buf_printf(wsman_buf_t *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* va_list form of wsman_buf_printf. */
int wsman_buf_vprintf(wsman_buf_t *b, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;
/* Appends s with XML escaping (& < > " ' in attributes; & < > in text). */
int wsman_buf_xml_text(wsman_buf_t *b, const char *s, size_t len);
int wsman_buf_xml_attr(wsman_buf_t *b, const char *s, size_t len);
void wsman_buf_reset(wsman_buf_t *b); /* len = 0, keeps memory */
/* Hands the data over (NUL-terminated, caller frees) and reinitialises b. */
char *wsman_buf_steal(wsman_buf_t *b);

char *wsman_strdup(const char *s); /* NULL-safe */
/* A copy of the URL or connection string s for messages and traces: the user-information part of
 * an authority ("user:pass@") is replaced by "***@" so that a credential never shows. Caller frees;
 * NULL when out of memory. */
char *wsman_url_redact_userinfo(const char *s);
char *wsman_strndup(const char *s, size_t n);
/* Makes room for one more element of elem bytes in the array items holding count of *cap
 * (doubling it, or first elements the first time). Returns the array, perhaps moved; NULL out of
 * memory (items then unchanged and still owned by the caller). */
void *wsman_array_grow(void *items, size_t *cap, size_t count, size_t elem, size_t first);
void wsman_secure_free(char *s);             /* zero then free; NULL-safe */
void wsman_secure_free_n(void *p, size_t n); /* zero n bytes then free; NULL-safe */
/* A malloc'd copy of n bytes at p (at least one byte allocated); NULL out of memory. */
unsigned char *wsman_memdup(const void *p, size_t n);
int wsman_strcaseeq(const char *a, const char *b);
/* "uuid:XXXXXXXX-XXXX-4XXX-YXXX-XXXXXXXXXXXX" (upper case) into out[42]. */
void wsman_uuid(char out[42]);
int wsman_base64_encode(wsman_buf_t *out, const unsigned char *data, size_t len);
/* Value of a hexadecimal digit (either case), or -1. */
int wsman_hexval(int c);
/* A 32-bit little-endian integer written to / read from 4 bytes. */
void wsman_le32_put(unsigned char *p, uint32_t v);
uint32_t wsman_le32_get(const unsigned char *p);
/* Tolerates whitespace; returns -1 on invalid input. */
int wsman_base64_decode(wsman_buf_t *out, const char *s, size_t len);
/* The one check of caller text bound for a request's XML: valid UTF-8 holding only characters
 * XML 1.0 allows. Otherwise -1 with e set (WSMAN_E_INVALIDARG) naming `what` and the byte offset. */
int wsman_xml_check_chars(const char *what, const char *s, size_t len, wsman_error_t *e);
int wsman_xml_check_str(const char *what, const char *s, wsman_error_t *e); /* NUL-terminated; NULL passes */
/* Appends the code point cp (at most 0x10FFFF) in UTF-8. */
int wsman_buf_put_utf8(wsman_buf_t *b, uint32_t cp);
/* UTF-8 -> UTF-16LE with BOM; -1 on invalid UTF-8. */
int wsman_utf8_to_utf16le(wsman_buf_t *out, const char *s, size_t len);

/* ---- clixml.c --------------------------------------------------------------------------- */

/* Appends s with the _xHHHH_ escapes of PowerShell's serializer decoded (UTF-16 surrogate pairs
 * joined, lone surrogates as U+FFFD). Returns 0, or -1 when out of memory. */
int wsman_ps_unescape(wsman_buf_t *out, const char *s, size_t n);

/* ---- errors.c ------------------------------------------------------------------------- */

/* Builds fault_xml for a client-side error from code/message/machine. */
void wsman_error_synthesize_fault(wsman_error_t *e);
/* The one way an allocation failure is reported: e (may be NULL) says "Out of memory while
 * <during>." (Windows' text when during is NULL). Returns -1. */
int wsman_error_oom(wsman_error_t *e, const char *during);

/* Every code has a WSMAN_E_* name in wsman_errors.h (generated, included by wsman.h). The client's
 * own failures use Windows' codes (see transport.c for the transport's); WSMAN_E_TIMEOUT is
 * Session.Timeout expiring, the code winrm.vbs retries on. */

/* ---- uri.c ------------------------------------------------------------------------------ */

typedef struct wsman_pair {
    char *name;
    char *value; /* NULL = nil */
    int must_comply;
} wsman_pair_t;

struct wsman_locator {
    char *uri; /* expanded, no selectors */
    wsman_pair_t *selectors;
    size_t nselectors;
    wsman_pair_t *options;
    size_t noptions;
    char *fragment_path;    /* NULL = none */
    char *fragment_dialect; /* NULL = default XPath */
    int must_understand_options;
};

/* ---- actions (wsa:Action) ------------------------------------------------------------ */

#define WSMAN_ACTION_GET WSMAN_NS_WST "/Get"
#define WSMAN_ACTION_PUT WSMAN_NS_WST "/Put"
#define WSMAN_ACTION_CREATE WSMAN_NS_WST "/Create"
#define WSMAN_ACTION_DELETE WSMAN_NS_WST "/Delete"
#define WSMAN_ACTION_ENUMERATE WSMAN_NS_WSEN "/Enumerate"
#define WSMAN_ACTION_PULL WSMAN_NS_WSEN "/Pull"
#define WSMAN_ACTION_RELEASE WSMAN_NS_WSEN "/Release"

/* ---- envelope.c ----------------------------------------------------------------------- */

typedef struct wsman_request_header {
    const char *to;           /* endpoint URL */
    const char *resource_uri; /* NULL for Identify */
    const char *action;
    const char *message_id; /* "uuid:..." */
    long max_envelope_size;
    long timeout_ms;                /* OperationTimeout; <= 0 omits it */
    const wsman_locator_t *locator; /* selectors, options, fragment (may be NULL) */
    const char *locale;             /* "en-US" */
} wsman_request_header_t;

/* Writes '<s:Envelope ...><s:Header>...</s:Header><s:Body>' into b. */
int wsman_envelope_begin(wsman_buf_t *b, const wsman_request_header_t *h);
/* Writes '</s:Body></s:Envelope>'. */
int wsman_envelope_end(wsman_buf_t *b);
/* Identify request (no addressing headers). */
int wsman_envelope_identify(wsman_buf_t *b);
/* Enumerate body content: <wsen:Enumerate>...</wsen:Enumerate>. filter_xml is the already built
 * wsman:Filter element (or NULL). */
int wsman_body_enumerate(wsman_buf_t *b, long max_elements, uint32_t enum_flags, const char *filter_xml);
int wsman_body_pull(wsman_buf_t *b, const char *context, long max_elements);
int wsman_body_release(wsman_buf_t *b, const char *context);
/* Builds the wsman:Filter element for a filter/dialect pair (WQL, selector XML or hash,
 * association XML or hash, any other dialect verbatim). resource_uri: the enumeration's, against
 * which an association hash's scheme-less Object class is resolved (NULL: the root/cimv2 WMI
 * base). -1 with e set on bad input. */
int wsman_build_filter(wsman_buf_t *b, const char *filter, const char *dialect, uint32_t enum_flags,
                       const char *resource_uri, wsman_error_t *e);

/* ---- xmlread.c / response.c ---------------------------------------------------------- */

/* Reading modes of the low-level reader (wsman_xml_new_mode). */
enum {
    WSMAN_XML_RAW_NAMES = 1, /* no namespace processing: handlers get ns NULL and the names as written */
    WSMAN_XML_AS_UTF8 = 2,   /* the declared encoding is not consulted: the input is UTF-8 */
    WSMAN_XML_AT_OFFSET = 4, /* messages say " at offset N" (bytes) instead of line and column */
};

typedef struct wsman_xml_limits {
    size_t max_bytes; /* whole document */
    int max_depth;
    size_t max_item; /* one serialized item / result */
} wsman_xml_limits_t;

typedef enum wsman_resp_kind {
    WSMAN_RESP_BODY,   /* Get/Put/Create/Invoke/Identify: serialize Body children */
    WSMAN_RESP_EMPTY,  /* Delete, Release: body ignored */
    WSMAN_RESP_ENUM,   /* EnumerateResponse / PullResponse */
    WSMAN_RESP_RECEIVE /* WinRS rsp:ReceiveResponse: rsp:Stream chunks decoded to a wsman_stream_sink_t
                          passed as the exchange's ud, CommandState and ExitCode into the response */
} wsman_resp_kind_t;

/* Called for every enumeration item as soon as it is complete (streaming). Return 0 to go on,
 * -1 to abort (out of memory). */
typedef int (*wsman_item_cb)(void *ud, const char *xml, size_t len);

typedef struct wsman_response {
    char *action;
    char *relates_to;
    int is_fault;
    wsman_error_t fault; /* filled from the SOAP fault when is_fault */
    wsman_buf_t body;    /* WSMAN_RESP_BODY: serialized body children */
    char *enum_context;  /* WSMAN_RESP_ENUM: latest EnumerationContext (may be "") */
    int end_of_sequence;
    size_t item_count;
    /* WSMAN_RESP_RECEIVE (WinRS) */
    char *command_state; /* rsp:CommandState State URI (last one), NULL when absent */
    long long exit_code; /* rsp:ExitCode when have_exit_code */
    int have_exit_code;
} wsman_response_t;

/* WSMAN_RESP_RECEIVE: the reader hands the decoded bytes of every rsp:Stream element to chunk() as
 * soon as the element is complete (an element larger than 64 KiB in several calls), then, for an element
 * with End="true", one call with len 0 and end 1. stream is the Name attribute ("stdout", "stderr").
 * Return 0 to go on, -1 to abort the reply (out of memory). */
typedef struct wsman_stream_sink {
    int (*chunk)(void *ud, const char *stream, const char *data, size_t len, int end);
    void *ud;
} wsman_stream_sink_t;

typedef struct wsman_reader wsman_reader_t;

wsman_reader_t *wsman_reader_new(wsman_resp_kind_t kind, const wsman_xml_limits_t *limits, wsman_item_cb cb,
                                 void *ud);
/* Feeds bytes as they arrive; final=1 on the last call. -1 with e set on malformed XML, DTD or
 * entity use, limits exceeded, or a document that is not a SOAP envelope (code
 * WSMAN_E_INVALID_XML, message saying what was wrong and where). */
int wsman_reader_feed(wsman_reader_t *r, const char *data, size_t len, int final, wsman_error_t *e);
/* Moves the parsed result out (call after a successful final feed). */
void wsman_reader_result(wsman_reader_t *r, wsman_response_t *out);
void wsman_reader_free(wsman_reader_t *r);
void wsman_response_init(wsman_response_t *r);
void wsman_response_clear(wsman_response_t *r);

/* Parses a WS-Addressing EPR XML string into uri + selectors (for wsman_locator_parse). */
int wsman_parse_epr(const char *xml, char **uri, wsman_pair_t **sel, size_t *nsel, wsman_error_t *e);

/* response.c: frees what wsman_parse_epr returned (each name/value, then the array). */
void wsman_epr_pairs_free(wsman_pair_t *p, size_t n);

/* response.c: the reader limits for a MaxEnvelopeSize (bytes; <= 0 = 153600): whole reply
 * 4 x MaxEnvelopeSize + 64 KiB (so UTF-16 fits), one item/result the same, depth 64. */
void wsman_xml_limits_for(wsman_xml_limits_t *l, long max_envelope_size);

/* xmlread.c: the low-level bounded streaming reader (Expat without its namespace processing:
 * this reader keeps its own namespace-scope stack, so prefixes are resolved AND re-serialized
 * exactly as sent). DOCTYPE and entity declarations are refused; depth, total bytes and the
 * size of a captured subtree are bounded. Input UTF-8 or UTF-16 (BOM or '<' autodetected by
 * Expat); every string handed out is UTF-8. Names given to handlers: ns is the namespace URI
 * ("" when none), local the local name; atts the raw Expat name/value array. */
typedef struct wsman_xml wsman_xml_t;
/* What cuts text without being an element (wsman_xml_handler_t.mark). */
typedef enum wsman_xml_mark {
    WSMAN_XML_MARK_CDATA_START,
    WSMAN_XML_MARK_CDATA_END,
    WSMAN_XML_MARK_COMMENT,
    WSMAN_XML_MARK_PI, /* target: the processing instruction's target */
} wsman_xml_mark_t;
typedef struct wsman_xml_handler {
    int (*start)(void *ud, const char *ns, const char *local, const char **atts);
    int (*end)(void *ud, const char *ns, const char *local);
    int (*text)(void *ud, const char *s, size_t len);
    int (*mark)(void *ud, wsman_xml_mark_t mark, const char *target); /* optional */
} wsman_xml_handler_t; /* each returns 0, or -1 (after wsman_xml_fail, else "out of memory") */

/* Fills the zero fields of l with the defaults (153600-byte envelope: 4 x + 64 KiB, depth 64,
 * one item up to the whole document). */
void wsman_xml_limits_fill(wsman_xml_limits_t *l);
/* what: how messages name the document ("reply", "filter", "EPR", ...). */
wsman_xml_t *wsman_xml_new(const wsman_xml_limits_t *lim, const char *what, const wsman_xml_handler_t *h,
                           void *ud);
/* The same with WSMAN_XML_* modes (0: as wsman_xml_new). */
wsman_xml_t *wsman_xml_new_mode(const wsman_xml_limits_t *lim, const char *what, const wsman_xml_handler_t *h,
                                void *ud, unsigned modes);
void wsman_xml_free(wsman_xml_t *x);
/* Binds a prefix in an outermost scope (a fragment checked as if inside an envelope). */
int wsman_xml_bind(wsman_xml_t *x, const char *prefix, const char *uri);
/* Line numbers reported are shifted by this (for documents wrapped in a synthetic root). */
void wsman_xml_line_offset(wsman_xml_t *x, long delta);
/* -1 with e set (WSMAN_E_INVALID_XML, or WSMAN_E_OUTOFMEMORY) on any problem. */
int wsman_xml_feed(wsman_xml_t *x, const char *data, size_t len, int final, wsman_error_t *e);
/* Feeds open, then data (NULL reads as empty), then close as the final piece: a document
   wrapped in a synthetic root. -1 with e set as wsman_xml_feed. */
int wsman_xml_feed_wrapped(wsman_xml_t *x, const char *open, const char *data, size_t len, const char *close,
                           wsman_error_t *e);
/* From a handler: records the error (message gets " (line L, column C)") and returns -1. */
int wsman_xml_fail(wsman_xml_t *x, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int wsman_xml_depth(const wsman_xml_t *x); /* current element depth, root = 1 */
/* From a handler: the bytes of the input the current event was read from (offset from the
 * start of everything fed, and count); -1 when Expat does not know them. */
int wsman_xml_span(const wsman_xml_t *x, size_t *offset, size_t *count);
/* Namespace URI bound to prefix in the current scope ("" or NULL prefix: default); NULL if unbound. */
const char *wsman_xml_lookup(const wsman_xml_t *x, const char *prefix, size_t plen);
/* Resolves a QName value ("w:InvalidSelectors") in the current scope: its namespace URI (NULL if
 * the prefix is unbound) and *local. */
const char *wsman_xml_resolve_qname(const wsman_xml_t *x, const char *qname, const char **local);
/* Whether the UTF-8 character at p may start an NCName, given that it is part of an XML Name
 * (so the local part of "p:1x" is refused, which Expat alone accepts). */
int wsman_xml_ncname_start(const char *p);
/* Value of the attribute {ns}local in atts (ns "" or NULL: unprefixed), or NULL. */
const char *wsman_xml_attr(const wsman_xml_t *x, const char **atts, const char *ns, const char *local);
/* Called from a start handler: serializes the current element and its subtree into dst
 * (appended) as standalone XML: the element carries declarations for every in-scope prefix
 * the subtree uses but does not declare itself. Done before the element's end handler runs.
 * Bounded by lim->max_item. One capture at a time. */
int wsman_xml_capture(wsman_xml_t *x, wsman_buf_t *dst);
/* Checks that xml is a well-formed fragment (one or more elements and text) as it would be
 * inside an s:Body of our envelopes (s, wsa, wsman, wsmv, xsi prefixes in scope); what names it
 * in the error (code WSMAN_E_INVALID_XML). If root_ns/root_local are given they receive the
 * first element's name (caller frees). */
/* Skips a UTF-8 BOM, leading whitespace and an XML declaration (<?xml ...?>) at the start. */
const char *wsman_xml_skip_decl(const char *s);
int wsman_xml_check_fragment(const char *xml, size_t len, const char *what, char **root_ns, char **root_local,
                             wsman_error_t *e);

#endif
