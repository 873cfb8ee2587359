/* SPDX-License-Identifier: MIT */
/*
 * xmlread.c - bounded streaming XML reader on Expat, with its own namespace-scope stack and a
 * subtree serializer.
 *
 * Why plain XML_ParserCreate and not XML_ParserCreateNS: items handed to callers must be
 * re-serialized with the prefixes the server used (COM returns the server's XML), and every
 * item must be standalone, i.e. carry declarations for the ancestor prefixes it uses. Both need
 * the raw QNames plus a view of which prefix was declared where, which this file keeps itself.
 *
 * Security: a DOCTYPE (and so any entity declaration) stops the parse with an error before
 * anything in it is processed; external entities are never loaded (no handler is installed and
 * parameter entity parsing stays off); references to undeclared entities are Expat errors.
 * Limits: total bytes fed, element depth, and the size of a captured subtree.
 */
#include "protocol.h"

#include <expat.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_NS_XML "http://www.w3.org/XML/1998/namespace"
#define SPARE_BINDS 8
#define CAPTURE_FIRST_ROOM 2048u

typedef struct ns_bind {
    char *prefix; /* "" = default namespace; one allocation with uri */
    char *uri;    /* "" = undeclared default */
    size_t plen;  /* strlen(prefix) */
    int depth;    /* element depth that declared it; 0 = pre-bound */
} ns_bind_t;

/* What the reader keeps of each open element. */
typedef struct frame {
    size_t nbinds;    /* nbinds before the element's declarations */
    const char *ns;   /* its namespace (NULL with WSMAN_XML_RAW_NAMES): valid until its end */
    size_t local_off; /* where its local name starts in its name */
    size_t name_len;  /* the length of its name */
} frame_t;

/* A name as written: prefix (plen bytes, 0 without one) and local part. */
typedef struct qname {
    const char *s, *local;
    size_t len, plen;
} qname_t;

typedef struct need_decl {
    const char *prefix; /* points into a binding outside the captured subtree */
    const char *uri;
} need_decl_t;

struct wsman_xml {
    XML_Parser p;
    wsman_xml_limits_t lim;
    unsigned modes; /* WSMAN_XML_* */
    const char *what;
    const wsman_xml_handler_t *h;
    void *ud;
    long line_delta;

    ns_bind_t *binds;
    size_t nbinds, capbinds;
    /* the storage of bindings that went out of scope, for the same declaration again (every
     * enumeration item declares the same namespaces) */
    char *spare[SPARE_BINDS];
    size_t nspare;
    frame_t *frames; /* per depth, the open elements */
    int depth;
    size_t total;

    /* capture */
    wsman_buf_t *cap;
    int cap_depth; /* 0 = none */
    int cap_request;
    size_t cap_start, cap_insert;
    int cap_open; /* start tag written without its closing '>' */
    need_decl_t *need;
    size_t nneed, capneed;

    int failed;
    uint32_t err_code;
    char *err_msg;
};

/* ---- errors ---------------------------------------------------------------------------- */

static void set_failure(wsman_xml_t *x, uint32_t code, char *msg)
{
    if (x->failed) {
        free(msg);
        return;
    }
    x->failed = 1;
    x->err_code = code;
    x->err_msg = msg;
    if (x->p)
        XML_StopParser(x->p, XML_FALSE);
}

static void position(wsman_xml_t *x, wsman_buf_t *b)
{
    if (x->modes & WSMAN_XML_AT_OFFSET) {
        wsman_buf_printf(b, " at offset %lld", (long long)XML_GetCurrentByteIndex(x->p));
        return;
    }
    long line = (long)XML_GetCurrentLineNumber(x->p) + x->line_delta;
    if (line < 1)
        line = 1;
    wsman_buf_printf(b, " (line %ld, column %lu)", line, (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1);
}

int wsman_xml_fail(wsman_xml_t *x, const char *fmt, ...)
{
    wsman_buf_t b;
    va_list ap;

    if (x->failed)
        return -1;
    wsman_buf_init(&b);
    va_start(ap, fmt);
    wsman_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    position(x, &b);
    set_failure(x, WSMAN_E_INVALID_XML, wsman_buf_steal(&b));
    return -1;
}

static int reader_oom(wsman_xml_t *x)
{
    set_failure(x, WSMAN_E_OUTOFMEMORY, NULL);
    return -1;
}

/* ---- namespaces ------------------------------------------------------------------------- */

/* A spare binding storage ("prefix\0uri\0") that holds this declaration already, taken out of
 * the spares; NULL when there is none. */
static char *spare_bind(wsman_xml_t *x, const char *prefix, size_t plen, const char *uri)
{
    for (size_t i = 0; i < x->nspare; i++) {
        char *p = x->spare[i];
        if (strncmp(p, prefix, plen) == 0 && p[plen] == '\0' && strcmp(p + plen + 1, uri) == 0) {
            x->spare[i] = x->spare[--x->nspare];
            return p;
        }
    }
    return NULL;
}

static int push_bind(wsman_xml_t *x, const char *prefix, size_t plen, const char *uri, int depth)
{
    ns_bind_t *b;
    size_t ulen;

    if (x->nbinds == x->capbinds) {
        size_t n = x->capbinds ? x->capbinds * 2 : 16;
        ns_bind_t *nb = realloc(x->binds, n * sizeof *nb);
        if (!nb)
            return -1;
        x->binds = nb;
        x->capbinds = n;
    }
    b = &x->binds[x->nbinds];
    b->prefix = spare_bind(x, prefix, plen, uri);
    if (!b->prefix) {
        ulen = strlen(uri);
        if (plen > SIZE_MAX / 2 || ulen > SIZE_MAX / 2 || !(b->prefix = malloc(plen + ulen + 2)))
            return -1;
        memcpy(b->prefix, prefix, plen);
        b->prefix[plen] = '\0';
        memcpy(b->prefix + plen + 1, uri, ulen + 1);
    }
    b->uri = b->prefix + plen + 1;
    b->plen = plen;
    b->depth = depth;
    x->nbinds++;
    return 0;
}

static void pop_binds(wsman_xml_t *x, size_t keep)
{
    while (x->nbinds > keep) {
        char *storage = x->binds[--x->nbinds].prefix; /* and its uri */
        if (x->nspare < SPARE_BINDS)
            x->spare[x->nspare++] = storage;
        else
            free(storage);
    }
}

static const ns_bind_t *find_bind(const wsman_xml_t *x, const char *prefix, size_t plen)
{
    size_t i = x->nbinds;
    while (i-- > 0) {
        const ns_bind_t *b = &x->binds[i];
        if (b->plen == plen && memcmp(b->prefix, prefix, plen) == 0)
            return b;
    }
    return NULL;
}

const char *wsman_xml_lookup(const wsman_xml_t *x, const char *prefix, size_t plen)
{
    const ns_bind_t *b;

    if (!prefix)
        plen = 0;
    if (plen == 3 && memcmp(prefix, "xml", 3) == 0)
        return XML_NS_XML;
    b = find_bind(x, prefix ? prefix : "", plen);
    if (!b)
        return plen ? NULL : "";
    return b->uri;
}

const char *wsman_xml_resolve_qname(const wsman_xml_t *x, const char *qname, const char **local)
{
    const char *c;

    while (*qname == ' ' || *qname == '\t' || *qname == '\r' || *qname == '\n')
        qname++;
    c = strchr(qname, ':');
    if (!c) {
        *local = qname;
        return wsman_xml_lookup(x, NULL, 0);
    }
    *local = c + 1;
    return wsman_xml_lookup(x, qname, (size_t)(c - qname));
}

static void split_qname(const char *q, const char **prefix, size_t *plen, const char **local)
{
    const char *c = strchr(q, ':');
    if (c) {
        *prefix = q;
        *plen = (size_t)(c - q);
        *local = c + 1;
    } else {
        *prefix = "";
        *plen = 0;
        *local = q;
    }
}

/* Whether the UTF-8 character at p may start an NCName. Expat has already checked that the whole
 * name is an XML Name, so only the characters a Name allows inside but not first remain: digits,
 * '-', '.', U+00B7, U+0300-U+036F and U+203F-U+2040. */
int wsman_xml_ncname_start(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if ((u[0] >= '0' && u[0] <= '9') || u[0] == '-' || u[0] == '.')
        return 0;
    if (u[0] == 0xC2 && u[1] == 0xB7)
        return 0;
    if ((u[0] == 0xCC && u[1] >= 0x80) || (u[0] == 0xCD && u[1] <= 0xAF))
        return 0;
    if (u[0] == 0xE2 && ((u[1] == 0x80 && u[2] == 0xBF) || (u[1] == 0x81 && u[2] == 0x80)))
        return 0;
    return 1;
}

/* Splits q; 1 when it is a QName (Namespaces in XML 1.0: at most one colon, with a non-empty
 * NCName on each side), else 0. */
static int parse_qname(const char *q, qname_t *out)
{
    size_t len = strlen(q);
    const char *c = memchr(q, ':', len);

    out->s = q;
    out->len = len;
    if (!c) {
        out->plen = 0;
        out->local = q;
        return 1;
    }
    out->plen = (size_t)(c - q);
    out->local = c + 1;
    return c != q && c[1] && wsman_xml_ncname_start(c + 1) && !memchr(c + 1, ':', len - out->plen - 1);
}

/* The element's name (name_ok: parse_qname's verdict) and every attribute name are QNames, or the
 * reader refuses the document. */
static int names_are_qnames(wsman_xml_t *x, int name_ok, const char *name, const char **atts)
{
    size_t i;
    qname_t q;

    if (!name_ok) {
        wsman_xml_fail(x, "%s: element name '%s' is not a qualified name", x->what, name);
        return 0;
    }
    for (i = 0; atts[i]; i += 2) {
        if (!parse_qname(atts[i], &q)) {
            wsman_xml_fail(x, "%s: attribute name '%s' of <%s> is not a qualified name", x->what, atts[i],
                           name);
            return 0;
        }
    }
    return 1;
}

static int is_xmlns(const char *name)
{
    return name[0] == 'x' && strncmp(name, "xmlns", 5) == 0 && (name[5] == '\0' || name[5] == ':');
}

const char *wsman_xml_attr(const wsman_xml_t *x, const char **atts, const char *ns, const char *local)
{
    size_t i;

    for (i = 0; atts[i]; i += 2) {
        const char *prefix, *l;
        size_t plen;
        if (is_xmlns(atts[i]))
            continue;
        split_qname(atts[i], &prefix, &plen, &l);
        if (strcmp(l, local) != 0)
            continue;
        if (plen == 0) {
            if (!ns || !*ns)
                return atts[i + 1];
        } else if (ns && *ns) {
            const char *u = wsman_xml_lookup(x, prefix, plen);
            if (u && strcmp(u, ns) == 0)
                return atts[i + 1];
        }
    }
    return NULL;
}

int wsman_xml_depth(const wsman_xml_t *x)
{
    return x->depth;
}

int wsman_xml_span(const wsman_xml_t *x, size_t *offset, size_t *count)
{
    XML_Index at = XML_GetCurrentByteIndex(x->p);
    int n = XML_GetCurrentByteCount(x->p);

    if (at < 0 || n < 0)
        return -1;
    *offset = (size_t)at;
    *count = (size_t)n;
    return 0;
}

int wsman_xml_bind(wsman_xml_t *x, const char *prefix, const char *uri)
{
    return push_bind(x, prefix ? prefix : "", prefix ? strlen(prefix) : 0, uri, 0);
}

void wsman_xml_line_offset(wsman_xml_t *x, long delta)
{
    x->line_delta = delta;
}

/* ---- capture (serializer) ----------------------------------------------------------------- */

static int cap_check(wsman_xml_t *x)
{
    if (x->cap->len - x->cap_start > x->lim.max_item)
        return wsman_xml_fail(x, "%s: an element is larger than the limit of %zu bytes", x->what,
                              x->lim.max_item);
    return 0;
}

/* A piece of a capture: n bytes at s. */
typedef struct piece {
    const char *s;
    size_t n;
} piece_t;

#define PIECE(literal) ((piece_t){(literal), sizeof(literal) - 1})

/* Appends a, then the n bytes of s, then z to the capture (one growth at most). */
static int cap_put3(wsman_xml_t *x, piece_t a, const char *s, size_t n, piece_t z)
{
    wsman_buf_t *b = x->cap;
    char *p;

    if (n > SIZE_MAX / 2 || (b->cap - b->len <= a.n + n + z.n && wsman_buf_reserve(b, a.n + n + z.n) != 0))
        return -1;
    p = b->data + b->len;
    memcpy(p, a.s, a.n);
    memcpy(p + a.n, s, n);
    memcpy(p + a.n + n, z.s, z.n);
    b->len += a.n + n + z.n;
    b->data[b->len] = '\0';
    return 0;
}

/* Appends the n bytes of s to the capture. */
static int cap_put(wsman_xml_t *x, const char *s, size_t n)
{
    return cap_put3(x, PIECE(""), s, n, PIECE(""));
}

/* Records that the subtree uses the binding b (NULL: none); declares it on the captured root when
 * it is bound outside. */
static int cap_use_bind(wsman_xml_t *x, const ns_bind_t *b)
{
    size_t i;

    if (!b || b->depth >= x->cap_depth)
        return 0; /* unbound default namespace, or declared inside the subtree */
    if (b->plen == 0 && !*b->uri)
        return 0; /* default undeclared outside: nothing to carry */
    for (i = 0; i < x->nneed; i++)
        if (x->need[i].prefix == b->prefix) /* bindings outside the subtree do not change meanwhile */
            return 0;
    if (x->nneed == x->capneed) {
        size_t n = x->capneed ? x->capneed * 2 : 8;
        need_decl_t *nn = realloc(x->need, n * sizeof *nn);
        if (!nn)
            return reader_oom(x);
        x->need = nn;
        x->capneed = n;
    }
    x->need[x->nneed].prefix = b->prefix;
    x->need[x->nneed].uri = b->uri;
    x->nneed++;
    return 0;
}

/* Records that the subtree uses prefix; declares it on the captured root if it is bound outside. */
static int cap_use(wsman_xml_t *x, const char *prefix, size_t plen)
{
    if (plen == 3 && memcmp(prefix, "xml", 3) == 0)
        return 0;
    return cap_use_bind(x, find_bind(x, prefix, plen));
}

static int cap_close_open(wsman_xml_t *x)
{
    if (x->cap_open) {
        x->cap_open = 0;
        if (cap_put(x, ">", 1) != 0)
            return reader_oom(x);
    }
    return 0;
}

/* One attribute of a captured start tag, and the prefixes it uses. */
static int cap_attribute(wsman_xml_t *x, const char *name, const char *value)
{
    wsman_buf_t *b = x->cap;
    const char *prefix, *local;
    size_t plen;

    if (cap_put3(x, PIECE(" "), name, strlen(name), PIECE("=\"")) != 0 ||
        wsman_buf_xml_attr(b, value, strlen(value)) != 0 || cap_put(x, "\"", 1) != 0)
        return reader_oom(x);
    if (is_xmlns(name))
        return 0;
    split_qname(name, &prefix, &plen, &local);
    if (plen && cap_use(x, prefix, plen) != 0)
        return -1;
    /* xsi:type="p:Class" names a prefix in a value */
    if (plen && strcmp(local, "type") == 0) {
        const char *u = wsman_xml_lookup(x, prefix, plen), *c = strchr(value, ':');
        if (u && strcmp(u, WSMAN_NS_XSI) == 0 && c && wsman_xml_lookup(x, value, (size_t)(c - value)) &&
            cap_use(x, value, (size_t)(c - value)) != 0)
            return -1;
    }
    return 0;
}

/* The start tag of an element inside the capture; bind: the binding of its prefix (NULL: none). */
static int cap_start_tag(wsman_xml_t *x, const qname_t *name, const ns_bind_t *bind, const char **atts)
{
    wsman_buf_t *b = x->cap;
    size_t i;

    if (cap_close_open(x) != 0)
        return -1;
    if (x->depth == x->cap_depth) {
        x->cap_start = b->len;
        x->nneed = 0;
    }
    if (cap_put3(x, PIECE("<"), name->s, name->len, PIECE("")) != 0)
        return reader_oom(x);
    if (x->depth == x->cap_depth)
        x->cap_insert = b->len;
    if (!(name->plen == 3 && memcmp(name->s, "xml", 3) == 0) && cap_use_bind(x, bind) != 0)
        return -1;
    for (i = 0; atts[i]; i += 2)
        if (cap_attribute(x, atts[i], atts[i + 1]) != 0)
            return -1;
    x->cap_open = 1;
    return cap_check(x);
}

static int cap_finish(wsman_xml_t *x)
{
    wsman_buf_t decl;
    size_t i;
    int rc = 0;

    wsman_buf_init(&decl);
    for (i = 0; i < x->nneed; i++) {
        if (*x->need[i].prefix)
            rc |= wsman_buf_printf(&decl, " xmlns:%s=\"", x->need[i].prefix);
        else
            rc |= wsman_buf_puts(&decl, " xmlns=\"");
        rc |= wsman_buf_xml_attr(&decl, x->need[i].uri, strlen(x->need[i].uri));
        rc |= wsman_buf_append(&decl, "\"", 1);
    }
    if (rc == 0 && decl.len) {
        wsman_buf_t *b = x->cap;
        if (wsman_buf_reserve(b, decl.len) != 0) {
            rc = -1;
        } else {
            memmove(b->data + x->cap_insert + decl.len, b->data + x->cap_insert, b->len - x->cap_insert + 1);
            memcpy(b->data + x->cap_insert, decl.data, decl.len);
            b->len += decl.len;
        }
    }
    wsman_buf_free(&decl);
    x->nneed = 0;
    x->cap_depth = 0;
    x->cap_open = 0;
    if (rc != 0)
        return reader_oom(x);
    return cap_check(x);
}

int wsman_xml_capture(wsman_xml_t *x, wsman_buf_t *dst)
{
    if (x->cap_depth || x->cap_request)
        return wsman_xml_fail(x, "%s: nested capture", x->what);
    /* room for a typical instance at once rather than a growth per doubling from 64 bytes */
    if (dst->cap < CAPTURE_FIRST_ROOM && wsman_buf_reserve(dst, CAPTURE_FIRST_ROOM - dst->len - 1) != 0)
        return reader_oom(x);
    x->cap = dst;
    x->cap_request = 1;
    return 0;
}

/* ---- Expat handlers ----------------------------------------------------------------------- */

/* The namespace declarations among atts, bound at the current depth. 0, or -1 (failed). */
static int declare_namespaces(wsman_xml_t *x, const char **atts)
{
    size_t i;

    for (i = 0; atts[i]; i += 2) {
        const char *an = atts[i];
        if (!is_xmlns(an))
            continue;
        if (an[5] == ':') {
            if (!atts[i + 1][0])
                return wsman_xml_fail(x, "%s: empty namespace name for prefix '%s'", x->what, an + 6);
            if (strcmp(an + 6, "xmlns") == 0 ||
                (strcmp(an + 6, "xml") == 0) != (strcmp(atts[i + 1], XML_NS_XML) == 0))
                return wsman_xml_fail(x, "%s: reserved prefix or namespace misused in '%s'", x->what, an);
            if (strcmp(an + 6, "xml") == 0)
                continue;
            if (push_bind(x, an + 6, strlen(an + 6), atts[i + 1], x->depth) != 0)
                return reader_oom(x);
        } else if (push_bind(x, "", 0, atts[i + 1], x->depth) != 0) {
            return reader_oom(x);
        }
    }
    return 0;
}

/* The namespace of the element named q: its binding in *bind (NULL when there is none, or for the
 * xml prefix); NULL when the prefix is undeclared. */
static const char *element_namespace(const wsman_xml_t *x, const qname_t *q, const ns_bind_t **bind)
{
    *bind = NULL;
    if (q->plen == 3 && memcmp(q->s, "xml", 3) == 0)
        return XML_NS_XML;
    *bind = find_bind(x, q->plen ? q->s : "", q->plen);
    if (!*bind)
        return q->plen ? NULL : "";
    return (*bind)->uri;
}

/* Every prefixed attribute name of <name> uses a declared prefix. */
static int attribute_prefixes_declared(wsman_xml_t *x, const char *name, const char **atts)
{
    size_t i;

    for (i = 0; atts[i]; i += 2) {
        const char *ap, *al;
        size_t apl;
        if (is_xmlns(atts[i]))
            continue;
        split_qname(atts[i], &ap, &apl, &al);
        if (apl && !wsman_xml_lookup(x, ap, apl)) {
            wsman_xml_fail(x, "%s: attribute %s of <%s> uses an undeclared namespace prefix", x->what,
                           atts[i], name);
            return 0;
        }
    }
    return 1;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    wsman_xml_t *x = ud;
    const ns_bind_t *bind;
    frame_t *f;
    qname_t qn;
    int name_ok;

    if (x->failed)
        return;
    if (x->depth >= x->lim.max_depth) {
        wsman_xml_fail(x, "%s: elements nested deeper than the limit of %d", x->what, x->lim.max_depth);
        return;
    }
    f = &x->frames[x->depth];
    f->nbinds = x->nbinds;
    x->depth++;
    name_ok = parse_qname(name, &qn);
    f->ns = NULL;
    f->local_off = 0;
    f->name_len = qn.len;
    if (x->modes & WSMAN_XML_RAW_NAMES) {
        if (x->h && x->h->start && x->h->start(x->ud, NULL, name, atts) != 0 && !x->failed)
            reader_oom(x);
        return;
    }
    if (!names_are_qnames(x, name_ok, name, atts) || declare_namespaces(x, atts) != 0)
        return;
    f->ns = element_namespace(x, &qn, &bind);
    f->local_off = (size_t)(qn.local - name);
    if (!f->ns || !*qn.local) {
        wsman_xml_fail(x, "%s: element <%s> uses an undeclared namespace prefix", x->what, name);
        return;
    }
    if (!attribute_prefixes_declared(x, name, atts))
        return;
    if (x->h && x->h->start && x->h->start(x->ud, f->ns, qn.local, atts) != 0) {
        if (!x->failed)
            reader_oom(x);
        return;
    }
    if (x->cap_request) {
        x->cap_request = 0;
        x->cap_depth = x->depth;
    }
    if (x->cap_depth)
        cap_start_tag(x, &qn, bind, atts);
}

/* The end tag of an element inside the capture. */
static int cap_end_tag(wsman_xml_t *x, const char *name, size_t len)
{
    int rc;

    if (x->cap_open) {
        x->cap_open = 0;
        rc = cap_put(x, "/>", 2);
    } else {
        rc = cap_put3(x, PIECE("</"), name, len, PIECE(">"));
    }
    if (rc != 0)
        return reader_oom(x);
    return x->depth == x->cap_depth ? cap_finish(x) : cap_check(x);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    wsman_xml_t *x = ud;
    const frame_t *f;

    if (x->failed)
        return;
    f = &x->frames[x->depth - 1];
    if (x->cap_depth && cap_end_tag(x, name, f->name_len) != 0)
        return;
    /* the name is the start tag's (maybe moved by Expat meanwhile): the frame knows its parts */
    if (x->h && x->h->end && x->h->end(x->ud, f->ns, name + f->local_off) != 0) {
        if (!x->failed)
            reader_oom(x);
        return;
    }
    x->depth--;
    pop_binds(x, f->nbinds);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    wsman_xml_t *x = ud;

    if (x->failed || len <= 0)
        return;
    if (x->cap_depth) {
        if (cap_close_open(x) != 0)
            return;
        if (wsman_buf_xml_text(x->cap, s, (size_t)len) != 0) {
            reader_oom(x);
            return;
        }
        if (cap_check(x) != 0)
            return;
    }
    if (x->h && x->h->text && x->h->text(x->ud, s, (size_t)len) != 0 && !x->failed)
        reader_oom(x);
}

static void mark(wsman_xml_t *x, wsman_xml_mark_t m, const char *target)
{
    if (!x->failed && x->h->mark(x->ud, m, target) != 0 && !x->failed)
        reader_oom(x);
}

static void XMLCALL on_cdata_start(void *ud)
{
    mark(ud, WSMAN_XML_MARK_CDATA_START, NULL);
}

static void XMLCALL on_cdata_end(void *ud)
{
    mark(ud, WSMAN_XML_MARK_CDATA_END, NULL);
}

static void XMLCALL on_comment(void *ud, const XML_Char *data)
{
    mark(ud, WSMAN_XML_MARK_COMMENT, NULL);
}

static void XMLCALL on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
    mark(ud, WSMAN_XML_MARK_PI, target);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    wsman_xml_t *x = ud;
    wsman_xml_fail(x, "%s contains a DTD, refused", x->what);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                                   int vlen, const XML_Char *base, const XML_Char *sysid,
                                   const XML_Char *pubid, const XML_Char *notation)
{
    wsman_xml_t *x = ud;
    wsman_xml_fail(x, "%s declares an entity, refused", x->what);
}

static int XMLCALL on_external_entity(XML_Parser p, const XML_Char *context, const XML_Char *base,
                                      const XML_Char *sysid, const XML_Char *pubid)
{
    return XML_STATUS_ERROR; /* never load anything */
}

/* ---- public ------------------------------------------------------------------------------- */

void wsman_xml_limits_fill(wsman_xml_limits_t *l)
{
    if (!l->max_bytes)
        l->max_bytes = 4u * 153600u + 65536u;
    if (l->max_depth <= 0)
        l->max_depth = 64;
    if (!l->max_item)
        l->max_item = l->max_bytes;
}

wsman_xml_t *wsman_xml_new(const wsman_xml_limits_t *lim, const char *what, const wsman_xml_handler_t *h,
                           void *ud)
{
    return wsman_xml_new_mode(lim, what, h, ud, 0);
}

wsman_xml_t *wsman_xml_new_mode(const wsman_xml_limits_t *lim, const char *what, const wsman_xml_handler_t *h,
                                void *ud, unsigned modes)
{
    wsman_xml_t *x = calloc(1, sizeof *x);

    if (!x)
        return NULL;
    x->modes = modes;
    if (lim)
        x->lim = *lim;
    wsman_xml_limits_fill(&x->lim);
    x->what = what ? what : "XML";
    x->h = h;
    x->ud = ud;
    x->frames = calloc((size_t)x->lim.max_depth + 1, sizeof *x->frames);
    x->p = XML_ParserCreate((x->modes & WSMAN_XML_AS_UTF8) ? "UTF-8" : NULL);
    if (!x->frames || !x->p) {
        wsman_xml_free(x);
        return NULL;
    }
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    if (h && h->mark) {
        XML_SetCdataSectionHandler(x->p, on_cdata_start, on_cdata_end);
        XML_SetCommentHandler(x->p, on_comment);
        XML_SetProcessingInstructionHandler(x->p, on_pi);
    }
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity_decl);
    XML_SetExternalEntityRefHandler(x->p, on_external_entity);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
    return x;
}

void wsman_xml_free(wsman_xml_t *x)
{
    if (!x)
        return;
    XML_ParserFree(x->p);
    pop_binds(x, 0);
    while (x->nspare > 0)
        free(x->spare[--x->nspare]);
    free(x->binds);
    free(x->frames);
    free(x->need);
    free(x->err_msg);
    free(x);
}

static int report(wsman_xml_t *x, wsman_error_t *e)
{
    if (!e)
        return -1;
    if (x->err_code == WSMAN_E_OUTOFMEMORY || !x->err_msg)
        wsman_error_set(e, x->err_code ? x->err_code : WSMAN_E_OUTOFMEMORY,
                        "out of memory while reading the %s", x->what);
    else
        wsman_error_set(e, x->err_code, "%s", x->err_msg);
    return -1;
}

int wsman_xml_feed(wsman_xml_t *x, const char *data, size_t len, int final, wsman_error_t *e)
{
    if (x->failed)
        return report(x, e);
    if (len > x->lim.max_bytes - x->total) {
        wsman_buf_t b;
        wsman_buf_init(&b);
        wsman_buf_printf(&b, "%s is larger than the limit of %zu bytes; refused while reading", x->what,
                         x->lim.max_bytes);
        set_failure(x, WSMAN_E_INVALID_XML, wsman_buf_steal(&b));
        return report(x, e);
    }
    x->total += len;
    do {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        int last = final && (size_t)n == len;
        if (XML_Parse(x->p, data, n, last) != XML_STATUS_OK) {
            if (!x->failed) {
                wsman_buf_t b;
                wsman_buf_init(&b);
                wsman_buf_printf(&b, "%s is not well-formed XML: %s", x->what,
                                 XML_ErrorString(XML_GetErrorCode(x->p)));
                position(x, &b);
                set_failure(x, WSMAN_E_INVALID_XML, wsman_buf_steal(&b));
            }
            return report(x, e);
        }
        if (x->failed)
            return report(x, e);
        len -= (size_t)n;
        if (len > 0) /* a final call may pass (NULL, 0): never offset a null pointer */
            data += n;
    } while (len > 0);
    return 0;
}

int wsman_xml_feed_wrapped(wsman_xml_t *x, const char *open, const char *data, size_t len, const char *close,
                           wsman_error_t *e)
{
    if (wsman_xml_feed(x, open, strlen(open), 0, e) != 0)
        return -1;
    if (wsman_xml_feed(x, data ? data : "", len, 0, e) != 0)
        return -1;
    return wsman_xml_feed(x, close, strlen(close), 1, e);
}

/* ---- fragment check -------------------------------------------------------------------- */

typedef struct frag_ctx {
    wsman_xml_t *x;
    char *ns, *local;
    int oom;
} frag_ctx_t;

static int frag_start(void *ud, const char *ns, const char *local, const char **atts)
{
    frag_ctx_t *c = ud;
    if (wsman_xml_depth(c->x) == 2 && !c->local) {
        c->ns = wsman_strdup(ns);
        c->local = wsman_strdup(local);
        if (!c->ns || !c->local)
            return -1;
    }
    return 0;
}

int wsman_xml_check_fragment(const char *xml, size_t len, const char *what, char **root_ns, char **root_local,
                             wsman_error_t *e)
{
    static const wsman_xml_handler_t h = {frag_start, NULL, NULL, NULL};
    static const char open[] = "<wsman-fragment>\n", close[] = "</wsman-fragment>";
    wsman_xml_limits_t lim;
    frag_ctx_t c;
    int rc;

    memset(&c, 0, sizeof c);
    lim.max_bytes = len + sizeof open + sizeof close;
    lim.max_depth = 256;
    lim.max_item = lim.max_bytes;
    c.x = wsman_xml_new(&lim, what, &h, &c);
    if (!c.x || wsman_xml_bind(c.x, "s", WSMAN_NS_SOAP) != 0 ||
        wsman_xml_bind(c.x, "wsa", WSMAN_NS_WSA) != 0 || wsman_xml_bind(c.x, "wsman", WSMAN_NS_WSMAN) != 0 ||
        wsman_xml_bind(c.x, "wsmv", WSMAN_NS_WSMV) != 0 || wsman_xml_bind(c.x, "xsi", WSMAN_NS_XSI) != 0) {
        wsman_xml_free(c.x);
        if (e)
            wsman_error_oom(e, NULL);
        return -1;
    }
    wsman_xml_line_offset(c.x, -1);
    rc = wsman_xml_feed_wrapped(c.x, open, xml, len, close, e);
    wsman_xml_free(c.x);
    if (rc == 0 && root_ns && root_local) {
        *root_ns = c.ns;
        *root_local = c.local;
    } else {
        free(c.ns);
        free(c.local);
    }
    return rc;
}

const char *wsman_xml_skip_decl(const char *s)
{
    const char *p = s, *q;

    if (!s)
        return s;
    if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf)
        p += 3;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (strncmp(p, "<?xml", 5) == 0 && (p[5] == ' ' || p[5] == '\t' || p[5] == '\r' || p[5] == '\n')) {
        q = strstr(p, "?>");
        if (q) {
            p = q + 2;
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
        }
    }
    return p;
}
