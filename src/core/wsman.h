/* SPDX-License-Identifier: MIT */
/*
 * wsman.h - lua-wsman protocol engine: a WS-Management (WinRM) client in plain C.
 *
 * This header is the public C API of the core library (libwsman-core). It has no Lua
 * dependency: a C program can link the core and talk to a WinRM host directly. The Lua
 * binding (src/lua/) is a thin layer over exactly these functions.
 *
 * Model (mirrors the WinRM Scripting API, WSMan.Automation):
 *   wsman_options_t   - ConnectionOptions (credentials, TLS files, proxy, limits)
 *   wsman_session_t   - Session (endpoint + flags + options, one keep-alive connection)
 *   wsman_locator_t   - ResourceLocator (resource URI, selectors, options, fragment)
 *   wsman_enum_t      - Enumerator (streaming WS-Enumeration)
 *   wsman_error_t     - the error of a failed call (WSManFault fields + client context)
 *
 * Conventions:
 *   - Functions returning int return 0 on success and -1 on failure; on failure the
 *     wsman_error_t passed in is filled (it may be NULL when the caller does not care).
 *   - Strings are UTF-8, NUL-terminated. Returned strings belong to the object or buffer
 *     they come from unless a function says "caller frees" (use wsman_free()).
 *   - Objects are not thread-safe; use one session per thread (as WinRM itself requires).
 */
#ifndef WSMAN_H
#define WSMAN_H

#include <stddef.h>
#include <stdint.h>

#include "wsman_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WSMAN_VERSION "0.1.0"

/* ---- Flags (values from WSManDisp.h; names as in the COM IDL) ----------------------- */

/* WSManSessionFlags: CreateSession flags */
#define WSMAN_FLAG_UTF8 0x1u
#define WSMAN_FLAG_CRED_USERNAME_PASSWORD 0x1000u
#define WSMAN_FLAG_SKIP_CA_CHECK 0x2000u
#define WSMAN_FLAG_SKIP_CN_CHECK 0x4000u
#define WSMAN_FLAG_USE_NO_AUTHENTICATION 0x8000u
#define WSMAN_FLAG_USE_DIGEST 0x10000u
#define WSMAN_FLAG_USE_NEGOTIATE 0x20000u
#define WSMAN_FLAG_USE_BASIC 0x40000u
#define WSMAN_FLAG_USE_KERBEROS 0x80000u
#define WSMAN_FLAG_NO_ENCRYPTION 0x100000u
#define WSMAN_FLAG_USE_CLIENT_CERTIFICATE 0x200000u
#define WSMAN_FLAG_ENABLE_SPN_SERVER_PORT 0x400000u
#define WSMAN_FLAG_UTF16 0x800000u
#define WSMAN_FLAG_USE_CREDSSP 0x1000000u
#define WSMAN_FLAG_SKIP_REVOCATION_CHECK 0x2000000u
#define WSMAN_FLAG_ALLOW_NEGOTIATE_IMPLICIT_CREDENTIALS 0x4000000u
#define WSMAN_FLAG_USE_SSL 0x8000000u

/* WSManEnumFlags: Enumerate flags */
#define WSMAN_ENUM_NON_XML_TEXT 0x1u
#define WSMAN_ENUM_RETURN_OBJECT 0x0u
#define WSMAN_ENUM_RETURN_EPR 0x2u
#define WSMAN_ENUM_RETURN_OBJECT_AND_EPR 0x4u
#define WSMAN_ENUM_HIERARCHY_DEEP 0x0u
#define WSMAN_ENUM_HIERARCHY_SHALLOW 0x20u
#define WSMAN_ENUM_HIERARCHY_DEEP_BASE_PROPS_ONLY 0x40u
#define WSMAN_ENUM_ASSOCIATED_INSTANCE 0x0u
#define WSMAN_ENUM_ASSOCIATION_INSTANCE 0x80u

/* WSManProxyAccessTypeFlags / WSManProxyAuthenticationFlags */
#define WSMAN_PROXY_IE_CONFIG 0x1
#define WSMAN_PROXY_WINHTTP_CONFIG 0x2
#define WSMAN_PROXY_AUTO_DETECT 0x4
#define WSMAN_PROXY_NO_PROXY_SERVER 0x8
#define WSMAN_PROXY_AUTH_NEGOTIATE 0x1
#define WSMAN_PROXY_AUTH_BASIC 0x2
#define WSMAN_PROXY_AUTH_DIGEST 0x4

/* Well-known URIs */
#define WSMAN_NS_SOAP "http://www.w3.org/2003/05/soap-envelope"
#define WSMAN_NS_WSA "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define WSMAN_NS_WSMAN "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define WSMAN_NS_WSMV "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
#define WSMAN_NS_WSEN "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define WSMAN_NS_WST "http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define WSMAN_NS_WSMID "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
#define WSMAN_NS_FAULT "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
#define WSMAN_NS_WSMB "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
#define WSMAN_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define WSMAN_NS_RSP "http://schemas.microsoft.com/wbem/wsman/1/windows/shell" /* WinRS shells */
#define WSMAN_ADDR_ANONYMOUS "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
#define WSMAN_DIALECT_WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
#define WSMAN_DIALECT_SELECTOR "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
#define WSMAN_DIALECT_ASSOCIATION "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"
#define WSMAN_DIALECT_XPATH "http://www.w3.org/TR/1999/REC-xpath-19991116"

/* ---- Library state --------------------------------------------------------------------- */

/* libcurl/OpenSSL global state. It is initialised lazily (under a mutex) when the first session
 * connects, so calling these is optional; a program that creates threads may call
 * wsman_global_init() once at start-up, and wsman_global_cleanup() at exit after every session
 * is freed (e.g. to keep leak checkers quiet). Returns 0, or -1 if libcurl failed to start. */
int wsman_global_init(void);
void wsman_global_cleanup(void);

/* Milliseconds on the monotonic clock, the one the library measures its deadlines with (for
 * callers that share a deadline with it). */
long long wsman_now_ms(void);

/* ---- Memory -------------------------------------------------------------------------- */

/* Frees a string the library allocated for the caller. */
void wsman_free(void *p);

/* Growable byte buffer used for results (always NUL-terminated after len bytes). */
typedef struct wsman_buf {
    char *data;
    size_t len;
    size_t cap;
} wsman_buf_t;

void wsman_buf_init(wsman_buf_t *b);
void wsman_buf_free(wsman_buf_t *b);
/* Like wsman_buf_free, but overwrites the contents first (for secrets). */
void wsman_buf_free_secure(wsman_buf_t *b);

/* ---- Errors ------------------------------------------------------------------------- */

typedef enum wsman_retry {
    WSMAN_RETRY_FATAL = 0, /* do not retry: fix the request, the data or the configuration */
    WSMAN_RETRY_TRANSIENT, /* network trouble or timeout: the same request may succeed later */
    WSMAN_RETRY_QUOTA,     /* a server quota was hit: close shells/operations, back off */
    WSMAN_RETRY_AUTH       /* authentication or authorisation failed: fix credentials/config */
} wsman_retry_t;

/* One MSFT_WmiError (or other provider detail) property. */
typedef struct wsman_kv {
    char *name;
    char *value;
} wsman_kv_t;

/*
 * The error of a failed operation. Every field may be NULL/0 when unknown.
 * Fill with the functions below; release with wsman_error_clear().
 */
typedef struct wsman_error {
    uint32_t code;       /* WSManFault Code, else MSFT_WmiError error_Code, else the code
                            Windows' client reports for the same failure (HRESULT/Win32) */
    char *name;          /* symbolic name from wsmerror.h/winerror.h, e.g. ERROR_WSMAN_INVALID_SELECTORS */
    char *message;       /* most specific text: provider message, WSManFault message, Reason, or a
                            client-side explanation that says what to do */
    char *reason;        /* SOAP Reason text, if a fault was received */
    char *machine;       /* WSManFault Machine attribute */
    char *fault_code;    /* SOAP Code value, e.g. "s:Sender" */
    char *subcode;       /* SOAP Subcode value as sent, e.g. "w:InvalidSelectors" */
    char *fault_detail;  /* wsman:FaultDetail URI */
    char *provider;      /* ProviderFault provider attribute */
    char *provider_path; /* ProviderFault path attribute */
    wsman_kv_t *wmi;     /* MSFT_WmiError properties (local name -> text) */
    size_t wmi_count;
    char *fault_xml; /* the WSManFault document (server's, or synthesised for client errors) */
    int http_status; /* HTTP status of the reply, 0 if none */
    char *operation; /* "Get", "Put", "Create", "Delete", "Invoke", "Enumerate", "Pull",
                        "Release", "Identify", "CreateSession", ... */
    char *endpoint;  /* endpoint URL of the session (never with credentials) */
    wsman_retry_t retry;
} wsman_error_t;

void wsman_error_init(wsman_error_t *e);
void wsman_error_clear(wsman_error_t *e);
/* Moves src into dst (dst cleared first); src is left initialised and empty. */
void wsman_error_move(wsman_error_t *dst, wsman_error_t *src);
/* One line: "<operation> <endpoint>: <message> (0x80338000 ERROR_WSMAN_...)". Caller frees. */
char *wsman_error_to_string(const wsman_error_t *e);
/* Sets a client-side error: code, message (printf-style). Fills name from the code table,
 * retry class from the code, and synthesises fault_xml (a WSManFault document) as COM does. */
void wsman_error_set(wsman_error_t *e, uint32_t code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Sets operation/endpoint if they are still empty (NULL arguments are ignored). */
void wsman_error_context(wsman_error_t *e, const char *operation, const char *endpoint);
/* Symbolic name and message text of a WinRM/WinHTTP/Win32 code (GetErrorMessage); NULL when
 * the code is unknown. Static strings. */
const char *wsman_error_name(uint32_t code);
const char *wsman_error_text(uint32_t code);
/* Retry class for a code (quota codes, auth codes, timeouts...). */
wsman_retry_t wsman_error_retry_class(uint32_t code);
const char *wsman_retry_name(wsman_retry_t r); /* "fatal", "transient", "quota", "auth" */

/* ---- Connection strings and resource URIs --------------------------------------------- */

typedef struct wsman_endpoint {
    char *scheme; /* "http" or "https" */
    char *host;   /* without brackets for IPv6 */
    int port;
    char *prefix; /* URL path without leading '/', default "wsman" */
    char *url;    /* scheme://host:port/prefix, IPv6 bracketed */
    int ipv6;
} wsman_endpoint_t;

/* Parses a CreateSession connection string as COM reads it:
 *   ""/NULL -> localhost; "host" -> http://host:5985/wsman (https/5986 with WSMAN_FLAG_USE_SSL);
 *   "host:port"; "http://host" -> port 80; "https://host" -> 443; "[v6]:port"; "/prefix".
 * Returns 0 or -1 with e set (ERROR_WSMAN_INVALID_URI-like code). */
int wsman_endpoint_parse(const char *connection, uint32_t flags, wsman_endpoint_t *ep, wsman_error_t *e);
void wsman_endpoint_clear(wsman_endpoint_t *ep);

/* Expands a resource URI alias (wmi, wmicimv2, cimv2, winrm, wsman, shell) of the first path
 * segment. Returns a new string (caller frees) or NULL when out of memory. Full URIs are returned
 * unchanged. */
char *wsman_expand_alias(const char *uri);

/* Appends the wsman:SelectorSet element of n selectors (names[i] = values[i]; a NULL value gives
 * an empty selector) as requests carry it; the wsman prefix is the caller's to declare. 0, or -1
 * when out of memory. */
int wsman_selector_set_xml(wsman_buf_t *b, const char *const *names, const char *const *values, size_t n);

/* ---- ResourceLocator ---------------------------------------------------------------- */

typedef struct wsman_locator wsman_locator_t;

wsman_locator_t *wsman_locator_new(void);
void wsman_locator_free(wsman_locator_t *l);
/* Deep copy. */
wsman_locator_t *wsman_locator_dup(const wsman_locator_t *l);
/* Initialises from a resource string: alias or full URI with optional "?N=V+N=V" selectors,
 * or a WS-Addressing EPR XML string (wst:ResourceCreated, a:EndpointReference, ...).
 * Replaces URI and selectors. */
int wsman_locator_parse(wsman_locator_t *l, const char *resource, wsman_error_t *e);
/* ResourceURI property: path only (no '?'), aliases expanded. Fails on '?' in the value. */
int wsman_locator_set_uri(wsman_locator_t *l, const char *uri, wsman_error_t *e);
const char *wsman_locator_uri(const wsman_locator_t *l);
int wsman_locator_add_selector(wsman_locator_t *l, const char *name, const char *value, wsman_error_t *e);
void wsman_locator_clear_selectors(wsman_locator_t *l);
size_t wsman_locator_selector_count(const wsman_locator_t *l);
/* i-th selector (0-based); returns 0 or -1 when out of range. */
int wsman_locator_selector(const wsman_locator_t *l, size_t i, const char **name, const char **value);
/* value NULL means xsi:nil. */
int wsman_locator_add_option(wsman_locator_t *l, const char *name, const char *value, int must_comply,
                             wsman_error_t *e);
void wsman_locator_clear_options(wsman_locator_t *l);
size_t wsman_locator_option_count(const wsman_locator_t *l);
int wsman_locator_option(const wsman_locator_t *l, size_t i, const char **name, const char **value,
                         int *must_comply);
int wsman_locator_set_fragment_path(wsman_locator_t *l, const char *path, wsman_error_t *e);
const char *wsman_locator_fragment_path(const wsman_locator_t *l); /* "" when unset */
int wsman_locator_set_fragment_dialect(wsman_locator_t *l, const char *d, wsman_error_t *e);
const char *wsman_locator_fragment_dialect(const wsman_locator_t *l); /* XPath 1.0 default */
void wsman_locator_set_must_understand_options(wsman_locator_t *l, int on);
int wsman_locator_must_understand_options(const wsman_locator_t *l);

/* ---- ConnectionOptions ---------------------------------------------------------------- */

/* Plain struct: the caller owns the strings; wsman_session_new copies what it needs (and the
 * session zeroes its copy of secrets when freed). Zero-initialise, then set fields. */
typedef struct wsman_options {
    const char *username;
    const char *password;
    const char *certificate_thumbprint;
    int proxy_access_type;    /* WSMAN_PROXY_*; 0 = not set (WinHTTP config: environment) */
    int proxy_auth_mechanism; /* WSMAN_PROXY_AUTH_*; 0 = default */
    const char *proxy_username;
    const char *proxy_password;
    /* extensions (what COM takes from the Windows certificate store, proxy settings, SPN rules) */
    const char *ca_file;
    const char *client_cert;
    const char *client_key;
    const char *client_key_password;
    const char *cert_dir;
    const char *proxy; /* proxy URL */
    const char *spn;
    int delegate;
    long connect_timeout_ms; /* 0 = default */
    long max_envelope_size;  /* bytes; 0 = default 153600 */
} wsman_options_t;

/* ---- Session --------------------------------------------------------------------------- */

typedef struct wsman_session wsman_session_t;

/* Gathers parameters and validates them; does not connect (like COM). connection as in
 * wsman_endpoint_parse. opts may be NULL. */
wsman_session_t *wsman_session_new(const char *connection, uint32_t flags, const wsman_options_t *opts,
                                   wsman_error_t *e);
/* Drops a reference; the session is freed (secrets zeroed, connection closed) when the last
 * reference (enumerators hold one) is gone. */
void wsman_session_free(wsman_session_t *s);
void wsman_session_ref(wsman_session_t *s);

const char *wsman_session_endpoint(const wsman_session_t *s);
uint32_t wsman_session_flags(const wsman_session_t *s);
/* Timeout in ms (default 60000): OperationTimeout sent and the client's own deadline. */
void wsman_session_set_timeout(wsman_session_t *s, long ms);
long wsman_session_timeout(const wsman_session_t *s);
/* BatchItems (default 20): Pull MaxElements. */
void wsman_session_set_batch_items(wsman_session_t *s, long n);
long wsman_session_batch_items(const wsman_session_t *s);
/* Number of TCP connections the session has opened so far (diagnostics, tests). */
long wsman_session_connections(const wsman_session_t *s);

/* Operations. 'out' receives the result XML (appended; NUL-terminated). flags are reserved
 * (must be 0) as in COM. */
int wsman_get(wsman_session_t *s, const wsman_locator_t *l, uint32_t flags, wsman_buf_t *out,
              wsman_error_t *e);
int wsman_put(wsman_session_t *s, const wsman_locator_t *l, const char *resource, uint32_t flags,
              wsman_buf_t *out, wsman_error_t *e);
int wsman_create(wsman_session_t *s, const wsman_locator_t *l, const char *resource, uint32_t flags,
                 wsman_buf_t *out, wsman_error_t *e);
int wsman_delete(wsman_session_t *s, const wsman_locator_t *l, uint32_t flags, wsman_error_t *e);
/* action: bare method name (-> "<resource URI>/<name>") or full action URI. */
int wsman_invoke(wsman_session_t *s, const char *action, const wsman_locator_t *l, const char *parameters,
                 uint32_t flags, wsman_buf_t *out, wsman_error_t *e);
/* flags: WSMAN_FLAG_USE_NO_AUTHENTICATION for an unauthenticated Identify, else 0. */
int wsman_identify(wsman_session_t *s, uint32_t flags, wsman_buf_t *out, wsman_error_t *e);

/* ---- Enumerator ------------------------------------------------------------------------ */

typedef struct wsman_enum wsman_enum_t;

/* Starts WS-Enumeration. filter/dialect may be NULL or "". Without a dialect: a filter that
 * starts with '<' (and no WSMAN_ENUM_NON_XML_TEXT) is XML, else WQL. The selector dialect takes
 * XML or the "{Name="Value";...}" hash; the association dialect takes XML or winrm.vbs's
 * "{Object=...;AssociationClassName=...}" hash. The enumerator holds a session reference. */
wsman_enum_t *wsman_enumerate(wsman_session_t *s, const wsman_locator_t *l, const char *filter,
                              const char *dialect, uint32_t flags, wsman_error_t *e);
/* Next item XML into out (replaced). Returns 1 with an item, 0 at end of stream, -1 on error.
 * Pulls the next batch only when the local one is used up. */
int wsman_enum_next(wsman_enum_t *en, wsman_buf_t *out, wsman_error_t *e);
int wsman_enum_at_end(const wsman_enum_t *en);
/* 1 when the next wsman_enum_next or wsman_enum_fetch sends no request (an item is queued, or
 * the enumeration is over): an event loop or a task scheduler can call them directly. */
int wsman_enum_ready(const wsman_enum_t *en);
/* Makes wsman_enum_at_end exact: while the local batch is empty and the enumeration is still
 * open, Pulls (a server may end a batch without EndOfSequence and answer the next Pull with no
 * item and EndOfSequence). Returns 1 when an item is ready, 0 at end of stream, -1 on error.
 * For an AtEndOfStream that must not say "more" when no item follows. */
int wsman_enum_fetch(wsman_enum_t *en, wsman_error_t *e);
/* Sends Release now if the enumeration is still open on the server. */
int wsman_enum_release(wsman_enum_t *en, wsman_error_t *e);
/* Frees without network I/O: an open context is queued on the session and released before the
 * session's next request. Safe to call from a garbage collector. */
void wsman_enum_free(wsman_enum_t *en);

/* ---- Shells (WinRS: remote commands) ---------------------------------------------------------
 *
 * A shell is a WinRS cmd shell on the host (resource .../windows/shell/cmd); it runs many commands,
 * one after the other or at the same time. A command streams stdout and stderr as the host produces
 * them, takes stdin, and ends with an exit code. Output is always handed over as UTF-8: with a shell
 * codepage other than 65001 it is converted with iconv (bytes that do not convert become U+FFFD).
 * Input is sent as given.
 *
 * Lifetime: wsman_shell_free and wsman_command_free never do network I/O. A shell still open when
 * its last reference goes is deleted by a Delete queued on the session (as an Enumerator's Release,
 * sent before the session's next request, or by wsman_session_flush); a command that has not ended
 * gets a queued Signal terminate likewise. Commands hold a reference to their shell, shells one to
 * their session.
 *
 * Errors: quota faults (ERROR_WSMAN_QUOTA_MAX_SHELLS 0x803381A5, ..._MAX_OPERATIONS 0x803381A6, ...)
 * and a shell or command the host no longer knows (0x8033805B) keep the server's code and have
 * retry WSMAN_RETRY_QUOTA: close shells, or open a new one, then retry.
 */

#define WSMAN_SHELL_URI "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"

typedef struct wsman_shell wsman_shell_t;
typedef struct wsman_command wsman_command_t;

/* Zero-initialise, then set what you need (every field optional). */
typedef struct wsman_shell_options {
    const char *working_directory;  /* rsp:WorkingDirectory */
    const char *const *environment; /* name, value, name, value, ..., NULL: rsp:Environment */
    unsigned codepage;              /* WINRS_CODEPAGE; 0 = 65001 (UTF-8) */
    int noprofile;                  /* WINRS_NOPROFILE: 1 TRUE, -1 FALSE, 0 not sent (host default) */
    long idle_timeout_ms;           /* rsp:IdleTimeOut; 0 = host default */
    long lifetime_ms;               /* rsp:Lifetime; 0 = host default */
    const char *name;               /* rsp:Name */
} wsman_shell_options_t;

/* Creates a shell (transfer Create). Holds a session reference. */
wsman_shell_t *wsman_shell_open(wsman_session_t *s, const wsman_shell_options_t *o, wsman_error_t *e);
/* A shell object for an existing ShellId (no network I/O); codepage 0 = 65001. */
wsman_shell_t *wsman_shell_attach(wsman_session_t *s, const char *shell_id, unsigned codepage,
                                  wsman_error_t *e);
const char *wsman_shell_id(const wsman_shell_t *sh);
wsman_session_t *wsman_shell_session(const wsman_shell_t *sh);
unsigned wsman_shell_codepage(const wsman_shell_t *sh);
/* 1 until closed, detached, or found gone on the host. */
int wsman_shell_is_open(const wsman_shell_t *sh);
/* Deletes the shell now (its running commands end). A shell the host no longer knows counts as
 * deleted (0). Afterwards the shell is closed whatever happened. */
int wsman_shell_close(wsman_shell_t *sh, wsman_error_t *e);
/* Forgets the shell without deleting it (it stays open on the host until its idle timeout). */
void wsman_shell_detach(wsman_shell_t *sh);
void wsman_shell_ref(wsman_shell_t *sh);
/* Drops a reference; the last one queues the Delete of a shell that is still open. */
void wsman_shell_free(wsman_shell_t *sh);

/* ---- Tracing ---------------------------------------------------------------------------------- */

/* One HTTP exchange, as wsman_session_set_trace reports it. Credentials never appear: the values of
 * Authorization, Proxy-Authorization, WWW-Authenticate and Proxy-Authenticate headers are reduced
 * to their scheme and a byte count, the URL loses any user information, and bodies are the SOAP
 * (authentication legs have none). Every pointer is valid during the callback only. */
typedef struct wsman_trace_event {
    const char *label;            /* the operation ("Get", "Receive", ...) or the authentication leg
                                   * ("Negotiate leg 1", "Kerberos leg 2") */
    const char *method;           /* "POST" */
    const char *url;              /* the endpoint */
    int status;                   /* HTTP status of the reply, 0 when none came */
    const char *request_headers;  /* header lines as sent ("Name: value\r\n" each), redacted */
    const char *response_headers; /* header lines as received, redacted */
    const char *request_body;     /* the SOAP sent, before message encryption (may be NULL) */
    size_t request_len;
    const char *response_body; /* the SOAP received, after decryption (NULL when none or unreadable) */
    size_t response_len;
    size_t bytes_sent, bytes_received; /* body bytes on the wire (encrypted when sealed) */
    long ms;                           /* from sending the request to the end of the reply */
    const char *error;                 /* why the exchange failed, NULL when a whole reply came */
} wsman_trace_event_t;
typedef void (*wsman_trace_fn)(void *ud, const wsman_trace_event_t *ev);

/* Calls fn for every HTTP exchange of the session from now on (authentication legs included);
 * fn NULL stops it. fn must not call back into the session. */
void wsman_session_set_trace(wsman_session_t *s, wsman_trace_fn fn, void *ud);

/* wsman_shell_run flags */
#define WSMAN_COMMAND_SKIP_CMD_SHELL 0x1u /* WINRS_SKIP_CMD_SHELL=TRUE: run without cmd.exe */
#define WSMAN_COMMAND_VERBATIM_ARGS 0x2u  /* send the arguments as given, without quoting them */

/* Appends arg to out quoted by the rules Windows programs use to split their command line (the
 * MSVCRT / CommandLineToArgvW rules, as Python's subprocess.list2cmdline), only where needed: in
 * double quotes when it is empty or holds white space or one of cmd.exe's operators & | < > ^;
 * a double quote becomes \" and the backslashes before it (or before the closing quote) are
 * doubled. Examples: `a b` -> `"a b"`, `C:\Program Files\` -> `"C:\Program Files\\"`,
 * `say "hi"` -> `"say \"hi\""`, `plain` -> `plain`. Returns 0, or -1 when out of memory. */
int wsman_quote_arg(wsman_buf_t *out, const char *arg);

/* Starts a command: rsp:Command = command as given (a program, or a whole command line), one
 * rsp:Arguments per argument, each quoted by wsman_quote_arg unless flags has
 * WSMAN_COMMAND_VERBATIM_ARGS (the host joins command and arguments with spaces, so the program
 * receives exactly these arguments). */
wsman_command_t *wsman_shell_run(wsman_shell_t *sh, const char *command, const char *const *args,
                                 size_t nargs, uint32_t flags, wsman_error_t *e);
/* A command object for a CommandId of this shell (no network I/O). */
wsman_command_t *wsman_command_attach(wsman_shell_t *sh, const char *command_id, wsman_error_t *e);
const char *wsman_command_id(const wsman_command_t *c);

#define WSMAN_STREAM_STDOUT 0
#define WSMAN_STREAM_STDERR 1
/* Output chunk (UTF-8) of stream WSMAN_STREAM_STDOUT or _STDERR. Return 0, or -1 to stop (the
 * Receive then fails with out of memory). */
typedef int (*wsman_output_cb)(void *ud, int stream, const char *data, size_t len);

/* One Receive: waits up to wait_ms (<= 0: Session.Timeout, at most 60 s) for output, handing every
 * chunk to cb as soon as it is parsed. Returns 1 when the command is done (the exit code is known
 * and every stream has ended; the Signal terminate that frees the host's operation is then sent),
 * 0 when it is still running (also when the host answered the OperationTimeout fault 2150858793:
 * no output yet, poll again), -1 on error. A command that is done returns 1 at once. */
int wsman_command_receive(wsman_command_t *c, long wait_ms, wsman_output_cb cb, void *ud, wsman_error_t *e);
int wsman_command_done(const wsman_command_t *c);
/* 1 with *code set when the host reported the exit code, else 0 (running, or terminated). */
int wsman_command_exit_code(const wsman_command_t *c, long long *code);
/* Largest stdin piece one Send carries (from MaxEnvelopeSize, after base64). */
size_t wsman_command_send_size(const wsman_command_t *c);
/* Sends stdin (any length: split into Sends of wsman_command_send_size bytes); end = 1 closes stdin
 * with the last piece (len may be 0). */
int wsman_command_send(wsman_command_t *c, const void *data, size_t len, int end, wsman_error_t *e);
/* Signal: "terminate", "ctrl_c", "ctrl_break", or a full signal URI. After terminate the command is
 * done without an exit code. */
int wsman_command_signal(wsman_command_t *c, const char *signal, wsman_error_t *e);
/* Frees without network I/O: a command that has not ended gets a queued Signal terminate. */
void wsman_command_free(wsman_command_t *c);

/* Sends the cleanup requests queued on the session (Releases, shell Deletes, Signals) now; errors
 * are ignored as in the queue. Safe to call at any time; never from a garbage collector. */
int wsman_session_flush(wsman_session_t *s);

/* ---- Dropped sessions' cleanup ----------------------------------------------------------------- */

/* A reaper owns sessions dropped (last reference freed) while cleanup requests were still queued:
 * wsman_session_free never does network I/O, so it hands such a session, connection and queue,
 * to the reaper it is attached to instead of freeing it. The reaper sends those requests before
 * every exchange of any session attached to it, from wsman_reaper_run and from wsman_reaper_close,
 * each bounded in time; a host that does not answer in time loses its requests (it expires idle
 * contexts and shells itself). One reaper per thread of sessions (a Lua state has one). */
typedef struct wsman_reaper wsman_reaper_t;
wsman_reaper_t *wsman_reaper_new(void);
/* s hands itself to r when dropped with requests queued (r NULL: detach). */
void wsman_session_set_reaper(wsman_session_t *s, wsman_reaper_t *r);
/* Sends the dropped sessions' requests for at most budget_ms and frees the sessions it finished;
 * returns how many are still held (a session whose requests a suspended run is sending counts: 0
 * means nothing is left to send). What a run could not send within its budget, or because its
 * operation was cancelled, stays for the next run; a session whose host cannot be reached within
 * its own timeout is freed with what it had queued. Inside a cancelled operation it sends nothing. */
size_t wsman_reaper_run(wsman_reaper_t *r, long budget_ms);
size_t wsman_reaper_count(const wsman_reaper_t *r);
/* A last run of budget_ms, then frees what is left; the reaper itself goes when no session is
 * attached to it any more. */
void wsman_reaper_close(wsman_reaper_t *r, long budget_ms);

/* ---- PowerShell over a cmd shell ------------------------------------------------------------ */

/* The arguments of powershell.exe that run a script of any length: a short -EncodedCommand
 * (UTF-16LE base64) bootstrap that reads the script from stdin as UTF-8 and runs it. Send the
 * script as the command's stdin. args receives pointers to static strings and to *encoded (caller
 * frees it with wsman_free); returns the number of arguments (<= 8), or -1 when out of memory. */
#define WSMAN_PS_EXE "powershell.exe"
int wsman_ps_bootstrap_args(const char *args[8], char **encoded);
/* The bootstrap script itself (what -EncodedCommand carries). */
const char *wsman_ps_bootstrap(void);
/* -EncodedCommand value of any script: base64 of its UTF-16LE text. Caller frees; NULL when out of
 * memory or the script is not UTF-8. */
char *wsman_ps_encode_command(const char *script, size_t len);

/* A record decoded from CLIXML on stderr (#< CLIXML). type: "error", "warning", "verbose", "debug",
 * "information", "progress", "output" (the S attribute in lower case). Strings are UTF-8 or NULL;
 * numbers LLONG_MIN when absent. A line of a stream gives its text as message; an object its
 * ToString (else its Message or MessageData property), its SourceId, and the progress fields of
 * stderr's <PR N="Record"> or of a serialized ProgressRecord. Valid during the callback only. */
typedef struct wsman_ps_record {
    const char *type;
    const char *message;            /* text (lines of one error joined), or an object's ToString */
    const char *activity;           /* progress: AV */
    const char *current_operation;  /* progress: CO */
    const char *status_description; /* progress: SD */
    const char *record_type;        /* progress: T ("Processing", "Completed") */
    long long activity_id, parent_activity_id, percent_complete, seconds_remaining, source_id;
} wsman_ps_record_t;
typedef int (*wsman_ps_record_cb)(void *ud, const wsman_ps_record_t *r);

/* Splits PowerShell's stderr: every "#< CLIXML" document is removed and decoded by the CLIXML
 * object reader of psobject.h (_xHHHH_ escapes included); the text of its error stream and
 * everything that is not CLIXML is appended to text, and each record goes to cb (may be NULL). A
 * document that does not parse is left in text as it was. Returns 0, or -1 when out of memory or
 * cb failed. */
int wsman_ps_clixml_decode(const char *data, size_t len, wsman_buf_t *text, wsman_ps_record_cb cb, void *ud,
                           wsman_error_t *e);

/* ---- XML documents as trees (xmltree.c) ------------------------------------------------ */

/* A whole document read and checked (well-formed, namespace-correct XML 1.0; no DTD; UTF-8, or
 * UTF-16 after a byte order mark), kept as a list of events to walk once, in document order.
 * Line ends are kept as written (CR is not folded into LF); in attribute values TAB, CR and LF
 * (written or as character references) become spaces. Text is cut at every tag, comment,
 * processing instruction and CDATA section; a CDATA section is a text event of its own (empty
 * when the section is). Whitespace outside the root is dropped. */
typedef struct wsman_xml_tree wsman_xml_tree_t;

typedef enum wsman_xml_event_kind {
    WSMAN_XML_EV_DONE,  /* no more events */
    WSMAN_XML_EV_START, /* an element starts: name, plen, ns, decls, attrs */
    WSMAN_XML_EV_END,   /* the element ends */
    WSMAN_XML_EV_TEXT,  /* text (entities replaced): name and len */
} wsman_xml_event_kind_t;

/* A namespace is an index into the document's namespace table (wsman_xml_tree_namespace), 0
 * for none. Strings are not NUL-terminated; they live as long as the tree. */
typedef struct wsman_xml_decl {
    const char *prefix; /* "" for the default namespace */
    size_t plen;
    size_t ns; /* 0: xmlns="" */
} wsman_xml_decl_t;

typedef struct wsman_xml_tree_attr {
    const char *name; /* as written, "p:x" or "x" */
    size_t len, plen; /* plen: prefix length, 0 without a prefix */
    size_t ns;
    const char *value;
    size_t vlen;
} wsman_xml_tree_attr_t;

typedef struct wsman_xml_event {
    wsman_xml_event_kind_t kind;
    const char *name; /* START: the qualified name as written; TEXT: the text */
    size_t len, plen, ns;
    size_t ndecl, nattr; /* START: the namespace declarations and the other attributes */
    const wsman_xml_decl_t *decls;
    const wsman_xml_tree_attr_t *attrs;
} wsman_xml_event_t;

/* Reads doc (len bytes) with elements nested at most max_depth deep (<= 0: 256). NULL with e set
 * (WSMAN_E_INVALID_XML: the message says what and at which byte offset; WSMAN_E_OUTOFMEMORY). */
wsman_xml_tree_t *wsman_xml_tree_parse(const char *doc, size_t len, int max_depth, wsman_error_t *e);
/* The next event (WSMAN_XML_EV_DONE at the end); the arrays of a START event are valid until the
 * next call. 0, or -1 when out of memory. */
int wsman_xml_tree_next(wsman_xml_tree_t *t, wsman_xml_event_t *ev);
/* The namespace table: names 1..n (1 is the xml: namespace, 2 the xmlns: one). */
size_t wsman_xml_tree_namespaces(const wsman_xml_tree_t *t);
const char *wsman_xml_tree_namespace(const wsman_xml_tree_t *t, size_t i, size_t *len);
void wsman_xml_tree_free(wsman_xml_tree_t *t);

/* ---- Many operations at once: resumable operations on one event loop -------------------------

 * Every transfer of every session of a thread runs on one shared libcurl multi handle (each
 * session keeps its own connection: connections are never shared between sessions). A blocking
 * call drives that loop until its own reply is in, so calls outside an operation behave exactly
 * as without this section.
 *
 * wsman_async runs fn(ud) (any sequence of blocking calls of this API: wsman_session_get,
 * an enumeration, a shell...) as a resumable operation: each time fn would wait for the network
 * the operation is suspended and wsman_async (or wsman_loop_process) returns to the caller; when
 * fn returns, done(ud) is called from wsman_loop_process. No threads: fn runs on its own stack
 * (a fiber) inside the caller's thread, only while the caller is in wsman_async or the loop
 * functions. The objects fn uses must not be used by anything else until done is called.
 *
 * A host with its own poll() loop:
 *     n = wsman_loop_fds(fds, max);            // the sockets libcurl wants watched
 *     timeout = wsman_loop_timeout();           // ms until the loop needs a call (-1: none)
 *     poll(fds + n + its own fds..., timeout);
 *     wsman_loop_process(fds, n);               // acts on revents, timers, resumes operations
 * or simply calls wsman_loop_step(max_wait_ms), which does the same with its own poll(). */

typedef void (*wsman_async_fn)(void *ud);

/* Starts fn(ud) as a resumable operation; runs it until its first wait. Returns an operation id
 * (> 0), or -1 with e set (out of memory). done(ud) is called once fn has returned (possibly
 * before wsman_async returns, when fn never waited). */
long wsman_async(wsman_async_fn fn, wsman_async_fn done, void *ud, wsman_error_t *e);
/* Cancels an operation in flight: its current and every later wait fail at once with
 * WSMAN_E_OPERATION_ABORTED; the operation then runs to its end (its done is called). */
int wsman_async_cancel(long id);
/* Operations started and not yet done. */
long wsman_async_pending(void);

/* The sockets the loop waits on: fills at most max entries (fd, events POLLIN/POLLOUT) and
 * returns how many there are in all (call again with more room when larger than max). pollfd is
 * struct pollfd of <poll.h>. */
struct pollfd;
int wsman_loop_fds(struct pollfd *fds, int max);
/* One file descriptor that is readable when any socket of the loop is ready (an epoll set, for
 * event loops that watch one descriptor per source: cqueues, libuv); -1 on failure. Created on
 * the first call, it stays open for the thread's lifetime. When it is readable (or the timeout
 * passed), call wsman_loop_step(0). */
int wsman_loop_pollfd(void);
/* Milliseconds until the loop must be called even without socket activity (libcurl's timers,
 * the deadlines of waiting operations); -1 when nothing waits. */
long wsman_loop_timeout(void);
/* Acts on the revents of fds (as filled by wsman_loop_fds and poll()), on expired timers and
 * deadlines, and resumes the operations whose wait ended. Returns the number of operations
 * still pending. */
long wsman_loop_process(const struct pollfd *fds, int n);
/* poll() on the loop's sockets for at most max_wait_ms (-1: until something happens), then
 * wsman_loop_process. Returns the number of operations still pending. */
long wsman_loop_step(long max_wait_ms);

/* Operations driven by another scheduler (the Lua binding's tasks): wsman_fiber_start runs
 * fn(ud) like wsman_async but never resumes it from the loop; wsman_loop_ready hands out the
 * fibers whose wait ended, and the owner resumes each with wsman_fiber_resume. Returns 1 when fn
 * has returned (the fiber is then freed), 0 when it waits again, -1 with e set on failure. */
typedef struct wsman_fiber wsman_fiber_t;
int wsman_fiber_start(wsman_async_fn fn, void *ud, wsman_fiber_t **out, wsman_error_t *e);
int wsman_fiber_resume(wsman_fiber_t *f);
/* Marks f cancelled (see wsman_async_cancel) and ready. */
void wsman_fiber_cancel(wsman_fiber_t *f);
/* The next fiber whose wait ended (NULL: none), in the order they became ready. */
wsman_fiber_t *wsman_loop_ready(void);
/* Frees a fiber that will never be resumed (its operation abandoned where it stood: only for a
 * fiber whose fn left by a non-local exit). */
void wsman_fiber_discard(wsman_fiber_t *f);
/* The fiber running now (NULL on the thread's own stack). */
wsman_fiber_t *wsman_fiber_current(void);
/* 1 when the operation running now was cancelled (its new requests fail at once with
 * WSMAN_E_OPERATION_ABORTED), 0 when it was not or when no operation runs (the thread's own stack).
 * Cleanup work done on behalf of others (dropped sessions' requests) stops there and stays queued. */
int wsman_fiber_cancelled(void);

#ifdef __cplusplus
}
#endif
#endif
