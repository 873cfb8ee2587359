/* SPDX-License-Identifier: MIT */
/*
 * psrp.h - PowerShell Remoting Protocol framing (MS-PSRP 2.2.1 messages, 2.2.4 fragments).
 *
 * A PSRP message is a 40-byte header (destination, message type, RunspacePool id, pipeline id)
 * followed by UTF-8 CLIXML data. Messages travel as fragments inside the base64 payloads of the
 * WinRS-shaped WS-Man operations (creationXml, Send's stdin/pr streams, Command's Arguments,
 * Receive's stdout stream): each fragment is a 21-byte big-endian header (object id, fragment id,
 * start/end flags, blob length) and a piece of one message.
 *
 *   wsman_psrp_message_encode/decode   one message <-> bytes
 *   wsman_psrp_fragment_message        one message -> fragments no larger than a given size
 *   wsman_psrp_defrag_*                a stream of fragments (any split) -> whole messages
 *   wsman_psrp_max_fragment            fragment size that fits MaxEnvelopeSize after base64
 */
#ifndef WSMAN_PSRP_H
#define WSMAN_PSRP_H

#include "wsman.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ERROR_INVALID_DATA as an HRESULT: malformed PSRP framing from the peer. */
#define WSMAN_E_PSRP_INVALID_DATA WSMAN_E_INVALID_DATA

enum {
    WSMAN_PSRP_HEADER_SIZE = 40,     /* message header: destination, type, RPID, PID */
    WSMAN_PSRP_FRAGMENT_HEADER = 21, /* object id, fragment id, flags, blob length */
    WSMAN_PSRP_GUID_SIZE = 16,
    WSMAN_PSRP_GUID_STRLEN = 36, /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
};

/* Fragment flags (MS-PSRP 2.2.4). */
enum { WSMAN_PSRP_FRAG_START = 0x1, WSMAN_PSRP_FRAG_END = 0x2 };

typedef enum wsman_psrp_destination {
    WSMAN_PSRP_TO_CLIENT = 0x1,
    WSMAN_PSRP_TO_SERVER = 0x2,
} wsman_psrp_destination_t;

typedef enum wsman_psrp_type {
    WSMAN_PSRP_SESSION_CAPABILITY = 0x00010002,
    WSMAN_PSRP_INIT_RUNSPACEPOOL = 0x00010004,
    WSMAN_PSRP_PUBLIC_KEY = 0x00010005,
    WSMAN_PSRP_ENCRYPTED_SESSION_KEY = 0x00010006,
    WSMAN_PSRP_PUBLIC_KEY_REQUEST = 0x00010007,
    WSMAN_PSRP_CONNECT_RUNSPACEPOOL = 0x00010008,
    WSMAN_PSRP_SET_MAX_RUNSPACES = 0x00021002,
    WSMAN_PSRP_SET_MIN_RUNSPACES = 0x00021003,
    WSMAN_PSRP_RUNSPACE_AVAILABILITY = 0x00021004,
    WSMAN_PSRP_RUNSPACEPOOL_STATE = 0x00021005,
    WSMAN_PSRP_CREATE_PIPELINE = 0x00021006,
    WSMAN_PSRP_GET_AVAILABLE_RUNSPACES = 0x00021007,
    WSMAN_PSRP_USER_EVENT = 0x00021008,
    WSMAN_PSRP_APPLICATION_PRIVATE_DATA = 0x00021009,
    WSMAN_PSRP_GET_COMMAND_METADATA = 0x0002100A,
    WSMAN_PSRP_RUNSPACEPOOL_INIT_DATA = 0x0002100B,
    WSMAN_PSRP_RESET_RUNSPACE_STATE = 0x0002100C,
    WSMAN_PSRP_RUNSPACEPOOL_HOST_CALL = 0x00021100,
    WSMAN_PSRP_RUNSPACEPOOL_HOST_RESPONSE = 0x00021101,
    WSMAN_PSRP_PIPELINE_INPUT = 0x00041002,
    WSMAN_PSRP_END_OF_PIPELINE_INPUT = 0x00041003,
    WSMAN_PSRP_PIPELINE_OUTPUT = 0x00041004,
    WSMAN_PSRP_ERROR_RECORD = 0x00041005,
    WSMAN_PSRP_PIPELINE_STATE = 0x00041006,
    WSMAN_PSRP_DEBUG_RECORD = 0x00041007,
    WSMAN_PSRP_VERBOSE_RECORD = 0x00041008,
    WSMAN_PSRP_WARNING_RECORD = 0x00041009,
    WSMAN_PSRP_PROGRESS_RECORD = 0x00041010,
    WSMAN_PSRP_INFORMATION_RECORD = 0x00041011,
    WSMAN_PSRP_PIPELINE_HOST_CALL = 0x00041100,
    WSMAN_PSRP_PIPELINE_HOST_RESPONSE = 0x00041101,
} wsman_psrp_type_t;

/* One message. Decoding points data into the decoded bytes (no copy). bom: the data was (or is to
 * be) preceded by the UTF-8 byte order mark, which data itself never includes. Ids are the 16
 * bytes as sent on the wire. */
typedef struct wsman_psrp_message {
    uint32_t destination; /* wsman_psrp_destination_t */
    uint32_t type;        /* wsman_psrp_type_t */
    unsigned char rpid[WSMAN_PSRP_GUID_SIZE];
    unsigned char pid[WSMAN_PSRP_GUID_SIZE];
    int bom;
    const char *data;
    size_t len;
} wsman_psrp_message_t;

/* Name of a message type ("PIPELINE_OUTPUT"), or NULL for an unknown one. */
const char *wsman_psrp_type_name(uint32_t type);

/* Appends the message's bytes to out. Returns 0, or -1 when out of memory. */
int wsman_psrp_message_encode(wsman_buf_t *out, const wsman_psrp_message_t *m);
/* Parses len bytes as one message into m (m->data points into bytes). Returns 0, or -1 with e set
 * (shorter than the header, unknown destination). */
int wsman_psrp_message_decode(const void *bytes, size_t len, wsman_psrp_message_t *m, wsman_error_t *e);

/* GUID bytes <-> text in the GUID packet representation [MS-DTYP] 2.3.4.2 that .NET's
 * Guid.ToByteArray uses (first three fields little-endian). out gets 36 characters, upper case,
 * and a NUL. Parsing accepts either case, with or without braces; returns 0, or -1. */
void wsman_psrp_guid_format(const unsigned char g[WSMAN_PSRP_GUID_SIZE],
                            char out[WSMAN_PSRP_GUID_STRLEN + 1]);
int wsman_psrp_guid_parse(const char *s, unsigned char g[WSMAN_PSRP_GUID_SIZE]);

/* One fragment; blob points into the bytes it was decoded from. */
typedef struct wsman_psrp_fragment {
    uint64_t object_id;
    uint64_t fragment_id;
    unsigned flags; /* WSMAN_PSRP_FRAG_START | WSMAN_PSRP_FRAG_END */
    const unsigned char *blob;
    size_t len;
} wsman_psrp_fragment_t;

/* Appends the fragment (header and blob) to out. Returns 0, or -1 when out of memory. */
int wsman_psrp_fragment_encode(wsman_buf_t *out, const wsman_psrp_fragment_t *f);
/* Parses the fragment at the start of bytes; *used gets its total size. Returns 0, or -1 with e
 * set when the bytes are shorter than the header or than the blob length says. */
int wsman_psrp_fragment_decode(const void *bytes, size_t len, wsman_psrp_fragment_t *f, size_t *used,
                               wsman_error_t *e);

/* Called with each fragment's bytes (header and blob). Return 0 to go on, non-zero to stop. */
typedef int (*wsman_psrp_bytes_cb)(void *ud, const unsigned char *data, size_t len);

/* Cuts the message bytes msg[0..len) into fragments of object_id, each (header included) at most
 * max_fragment bytes, and hands each to cb in order. Returns 0, or -1 with e set (max_fragment
 * leaves no room for data, out of memory, cb stopped). */
int wsman_psrp_fragment_message(uint64_t object_id, const void *msg, size_t len, size_t max_fragment,
                                wsman_psrp_bytes_cb cb, void *ud, wsman_error_t *e);

/* The largest fragment whose base64 fits in a Send envelope of max_envelope_size bytes of which
 * envelope_overhead are taken by the envelope without its payload; 0 when nothing fits. */
size_t wsman_psrp_max_fragment(long max_envelope_size, size_t envelope_overhead);

/* Called with each whole message as the defragmenter completes it; m->data is valid only during
 * the call. Return 0 to go on, non-zero to stop. */
typedef int (*wsman_psrp_message_cb)(void *ud, const wsman_psrp_message_t *m);

typedef struct wsman_psrp_defrag wsman_psrp_defrag_t;

/* A defragmenter that refuses messages over max_message bytes (0: 64 MiB). NULL when out of
 * memory. */
wsman_psrp_defrag_t *wsman_psrp_defrag_new(size_t max_message);
void wsman_psrp_defrag_free(wsman_psrp_defrag_t *d);
/* Feeds the decoded payload of one stream element: whole fragments, any number. Fragments of one
 * object must come in order (ids 0, 1, ...); objects may interleave. Returns 0, or -1 with e set
 * (truncated or out-of-order fragment, message too large or malformed, cb stopped). */
int wsman_psrp_defrag_feed(wsman_psrp_defrag_t *d, const void *data, size_t len, wsman_psrp_message_cb cb,
                           void *ud, wsman_error_t *e);
/* Number of messages begun and not yet complete. */
size_t wsman_psrp_defrag_pending(const wsman_psrp_defrag_t *d);

/* ---- The WinRS-shaped operations PSRP runs on (MS-PSRP 3.1.5.3) ------------------------------
 *
 * A RunspacePool is a shell on a PowerShell resource URI (Create with creationXml), a pipeline a
 * command in it (Command with the first fragment of CREATE_PIPELINE as its Arguments); messages go
 * in with Send (stream "stdin", or "pr" for host responses) and come out with Receive (stream
 * "stdout"), as base64 fragments. These calls move fragment bytes only: building and reading the
 * messages is the caller's (wsman_psrp_fragment_message, wsman_psrp_defrag_feed). Free without
 * network I/O: a pool still open gets a queued Delete sent before the session's next request.
 */
#define WSMAN_PSRP_DEFAULT_URI "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
#define WSMAN_PSRP_URI_PREFIX "http://schemas.microsoft.com/powershell/"

typedef struct wsman_psrp_shell wsman_psrp_shell_t;

/* Zero-initialise, then set what you need. */
typedef struct wsman_psrp_shell_options {
    const char *resource_uri;     /* NULL: WSMAN_PSRP_DEFAULT_URI; a bare configuration name (JEA) is
                                     prefixed with WSMAN_PSRP_URI_PREFIX */
    const char *shell_id;         /* the RunspacePool id (GUID text); required */
    const char *protocol_version; /* NULL: "2.3" */
    const void *creation;         /* creationXml: the fragments of SESSION_CAPABILITY + INIT_RUNSPACEPOOL */
    size_t creation_len;
    long idle_timeout_ms; /* rsp:IdleTimeOut; 0: host default */
} wsman_psrp_shell_options_t;

/* Create. Holds a session reference. */
wsman_psrp_shell_t *wsman_psrp_shell_open(wsman_session_t *s, const wsman_psrp_shell_options_t *o,
                                          wsman_error_t *e);
/* A handle on a pool that exists on the host (another client's, listed by an Enumerate of the
 * shell resource): no request is sent; connect with wsman_psrp_shell_connect. */
wsman_psrp_shell_t *wsman_psrp_shell_attach(wsman_session_t *s, const char *resource_uri,
                                            const char *shell_id, wsman_error_t *e);
/* The ShellId the host uses (its own on protocol 2.1 hosts). */
const char *wsman_psrp_shell_id(const wsman_psrp_shell_t *sh);
const char *wsman_psrp_shell_resource_uri(const wsman_psrp_shell_t *sh);
int wsman_psrp_shell_is_open(const wsman_psrp_shell_t *sh);
/* Largest run of fragment bytes one Send or Command carries. */
size_t wsman_psrp_shell_max_payload(const wsman_psrp_shell_t *sh);
/* Command: starts a pipeline. args: fragment bytes (at most wsman_psrp_shell_max_payload). Returns
 * the CommandId the host uses (caller frees), or NULL with e set. */
char *wsman_psrp_shell_command(wsman_psrp_shell_t *sh, const char *command_id, const void *args, size_t len,
                               wsman_error_t *e);
/* Send: fragment bytes (at most wsman_psrp_shell_max_payload) to the pool (command_id NULL) or a
 * pipeline, on stream "stdin" (NULL) or "pr". */
int wsman_psrp_shell_send(wsman_psrp_shell_t *sh, const char *command_id, const char *stream,
                          const void *data, size_t len, wsman_error_t *e);
/* One Receive of the pool's (command_id NULL) or a pipeline's stdout: every fragment byte of the
 * reply goes to cb in one call after the reply is read (len 0 calls none). Returns 1 when the host
 * said the command is done, 0 otherwise (also when OperationTimeout passed without output), -1 with
 * e set. wait_ms <= 0: Session.Timeout, at most 60 s. */
int wsman_psrp_shell_receive(wsman_psrp_shell_t *sh, const char *command_id, long wait_ms,
                             wsman_psrp_bytes_cb cb, void *ud, wsman_error_t *e);
/* Signal a pipeline: "terminate", "ctrl_c" (PowerShell's stop), or a full signal URI. */
int wsman_psrp_shell_signal(wsman_psrp_shell_t *sh, const char *command_id, const char *code,
                            wsman_error_t *e);
/* Disconnect: the pool and its pipelines keep running on the host, unreachable until Reconnect
 * (MS-PSRP 3.1.4.9; Receive and Send fault meanwhile). */
int wsman_psrp_shell_disconnect(wsman_psrp_shell_t *sh, wsman_error_t *e);
int wsman_psrp_shell_reconnect(wsman_psrp_shell_t *sh, wsman_error_t *e);
/* Connect (MS-PSRP 3.1.4.10, 3.1.4.11): to a pool another client disconnected, with connectXml = data
 * (the fragments of SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL); the bytes of the host's
 * connectResponseXml go to cb in one call. With command_id: to that disconnected pipeline of the pool
 * (data unused), whose output Receive reads again. */
int wsman_psrp_shell_connect(wsman_psrp_shell_t *sh, const char *command_id, const char *protocol_version,
                             const void *data, size_t len, wsman_psrp_bytes_cb cb, void *ud,
                             wsman_error_t *e);
/* Delete (closes the RunspacePool). A pool the host no longer knows counts as closed (0). */
int wsman_psrp_shell_close(wsman_psrp_shell_t *sh, wsman_error_t *e);
void wsman_psrp_shell_free(wsman_psrp_shell_t *sh);

#ifdef __cplusplus
}
#endif
#endif
