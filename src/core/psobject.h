/* SPDX-License-Identifier: MIT */
/*
 * psobject.h - PowerShell objects in CLIXML (MS-PSRP 2.2.5), both ways.
 *
 * A decoded document is a tree of wsman_psvalue_t owned by one wsman_psdoc_t (one arena: freeing
 * the document frees every value). <Ref RefId> and <TNRef RefId> are resolved to the value or
 * type-name list they name, so a value may be reached twice, and an object that refers to one of
 * its ancestors makes a cycle: walk with a visited set.
 *
 * Primitives keep their text exactly as serialized (so Int64, UInt64, Double and Decimal lose
 * nothing), except that String, Char-free text fields and property names have PowerShell's
 * _xHHHH_ escapes decoded, and ByteArray holds the decoded bytes. Objects carry their type names
 * (most derived first), ToString, the value they wrap (an enum's Int32, a string, ...), a
 * collection (list, stack, queue, enumeration or dictionary) and their adapted (<Props>) and
 * extended (<MS>) properties, in document order.
 *
 * The encoder writes the same shapes, with RefId/TNRef for values and type-name lists reached
 * more than once (so cycles are written as references too).
 */
#ifndef WSMAN_PSOBJECT_H
#define WSMAN_PSOBJECT_H

#include "wsman.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wsman_pskind {
    WSMAN_PS_NIL,          /* <Nil/> */
    WSMAN_PS_STRING,       /* <S> */
    WSMAN_PS_CHAR,         /* <C> (the UTF-16 code unit as a number) */
    WSMAN_PS_BOOL,         /* <B> ("true" / "false") */
    WSMAN_PS_DATETIME,     /* <DT> */
    WSMAN_PS_TIMESPAN,     /* <TS> (xs:duration) */
    WSMAN_PS_UINT8,        /* <By> */
    WSMAN_PS_INT8,         /* <SB> */
    WSMAN_PS_UINT16,       /* <U16> */
    WSMAN_PS_INT16,        /* <I16> */
    WSMAN_PS_UINT32,       /* <U32> */
    WSMAN_PS_INT32,        /* <I32> */
    WSMAN_PS_UINT64,       /* <U64> */
    WSMAN_PS_INT64,        /* <I64> */
    WSMAN_PS_SINGLE,       /* <Sg> */
    WSMAN_PS_DOUBLE,       /* <Db> */
    WSMAN_PS_DECIMAL,      /* <D> */
    WSMAN_PS_BYTES,        /* <BA> (base64 on the wire, bytes here) */
    WSMAN_PS_GUID,         /* <G> */
    WSMAN_PS_URI,          /* <URI> */
    WSMAN_PS_VERSION,      /* <Version> */
    WSMAN_PS_XML,          /* <XD> */
    WSMAN_PS_SCRIPTBLOCK,  /* <SBK> */
    WSMAN_PS_SECURESTRING, /* <SS> (base64 of the session-key-encrypted text) */
    WSMAN_PS_OBJECT,       /* <Obj> */
    WSMAN_PS_KIND_COUNT
} wsman_pskind_t;

typedef enum wsman_pscoll {
    WSMAN_PS_COLL_NONE,
    WSMAN_PS_COLL_LIST,  /* <LST> */
    WSMAN_PS_COLL_ENUM,  /* <IE> */
    WSMAN_PS_COLL_STACK, /* <STK> */
    WSMAN_PS_COLL_QUEUE, /* <QUE> */
    WSMAN_PS_COLL_DICT,  /* <DCT> */
} wsman_pscoll_t;

typedef struct wsman_psvalue wsman_psvalue_t;

typedef struct wsman_psprop {
    const char *name;
    wsman_psvalue_t *value;
} wsman_psprop_t;

typedef struct wsman_pstypes {
    const char *const *names; /* most derived first */
    size_t count;
} wsman_pstypes_t;

struct wsman_psvalue {
    wsman_pskind_t kind;
    const char *text; /* primitives: the value (NUL-terminated; BYTES may contain NULs) */
    size_t len;
    /* the S attribute: the stream a value of PowerShell's stderr CLIXML belongs to ("Error",
     * "warning", "progress", ...), as written; NULL when absent */
    const char *stream;
    /* objects */
    const wsman_pstypes_t *types; /* NULL when the object has no <TN> */
    const char *to_string;        /* NULL when absent */
    wsman_psvalue_t *base;        /* the primitive the object wraps, or NULL */
    wsman_pscoll_t coll;
    wsman_psvalue_t **items; /* collection items; for a dictionary key, value, key, value, ... */
    size_t nitems;           /* number of item pointers (twice the entries of a dictionary) */
    wsman_psprop_t *adapted; /* <Props> */
    size_t nadapted;
    wsman_psprop_t *extended; /* <MS> */
    size_t nextended;
};

typedef struct wsman_psdoc wsman_psdoc_t;

/* An empty document (for building values to encode). NULL when out of memory. */
wsman_psdoc_t *wsman_psdoc_new(void);
void wsman_psdoc_free(wsman_psdoc_t *d);
/* The top-level values: the children of <Objs>, or the root element itself when the document is
 * one value (as PSRP message data is). */
size_t wsman_psdoc_count(const wsman_psdoc_t *d);
wsman_psvalue_t *wsman_psdoc_value(const wsman_psdoc_t *d, size_t i);

/* Parses CLIXML (UTF-8, BOM allowed). Returns the document, or NULL with e set (WSMAN_E_INVALID_XML
 * naming the element and line; WSMAN_E_OUTOFMEMORY). max_depth bounds element nesting (0: 512). */
wsman_psdoc_t *wsman_psdoc_parse(const char *xml, size_t len, int max_depth, wsman_error_t *e);

/* Building values in d (all return NULL when out of memory). Strings are copied. */
wsman_psvalue_t *wsman_psvalue_new(wsman_psdoc_t *d, wsman_pskind_t kind, const char *text, size_t len);
/* Object fields: the arrays are copied into d. */
int wsman_psvalue_set_types(wsman_psdoc_t *d, wsman_psvalue_t *obj, const char *const *names, size_t n);
/* Shares one type-name list between objects (encoded once, then as <TNRef>). */
void wsman_psvalue_share_types(wsman_psvalue_t *obj, const wsman_psvalue_t *from);
int wsman_psvalue_set_to_string(wsman_psdoc_t *d, wsman_psvalue_t *obj, const char *s, size_t len);
/* The S attribute (a stderr stream name); NULL clears it. */
int wsman_psvalue_set_stream(wsman_psdoc_t *d, wsman_psvalue_t *v, const char *stream);
int wsman_psvalue_set_items(wsman_psdoc_t *d, wsman_psvalue_t *obj, wsman_pscoll_t coll,
                            wsman_psvalue_t *const *items, size_t n);
/* extended: 0 for adapted (<Props>), 1 for extended (<MS>). Names are copied. */
int wsman_psvalue_set_props(wsman_psdoc_t *d, wsman_psvalue_t *obj, int extended, const wsman_psprop_t *props,
                            size_t n);
/* Appends v to the document's top-level values. */
int wsman_psdoc_add(wsman_psdoc_t *d, wsman_psvalue_t *v);

/* Appends v as CLIXML to out; name: its N attribute (NULL for none); v->stream, when set, its S
 * attribute. Values reached again (and
 * cycles) are written as <Ref>, type-name lists as <TNRef>, counted from 0 within this call.
 * Returns 0, or -1 when out of memory or v nests deeper than 512. */
int wsman_psvalue_write(wsman_buf_t *out, const wsman_psvalue_t *v, const char *name);
/* Appends <Objs Version="1.1.0.1" xmlns="...">values</Objs> (references counted across them). */
int wsman_psdoc_write_objs(wsman_buf_t *out, const wsman_psdoc_t *d);

/* Element name ("I32") and .NET type name ("Int32") of a kind; NULL when out of range. Kind of a
 * .NET type name or element name (exact case), or -1. */
const char *wsman_pskind_element(wsman_pskind_t k);
const char *wsman_pskind_name(wsman_pskind_t k);
int wsman_pskind_lookup(const char *name);

/* A property of an object by name, in any case as PowerShell's are (adapted first, then
 * extended), or NULL. */
wsman_psvalue_t *wsman_psvalue_prop(const wsman_psvalue_t *obj, const char *name);

#ifdef __cplusplus
}
#endif
#endif
