/*
 * lxml.c - WSMan._xml_parse(text [, max_depth [, max_bytes]]): the parse of lua/wsman/xml.lua
 * in C, on Expat. xml.lua stays the reference (and the fallback without this module); its
 * `parse` calls this function when the module is there, and spec/xml_spec.lua checks that the
 * two build the same tree and refuse the same documents.
 *
 * The tree: an element is a table with `name` (as written), `lname`, `ns` (nil without a
 * namespace), `attrs` (nil, or {name=, lname=, ns=, value=} per attribute, namespace
 * declarations left out), `nsdecl` (nil, or {prefix, uri} per declaration, prefix "" for the
 * default namespace) and its children at 1..n: strings for text, tables for elements. Text is
 * cut where xml.lua cuts it: at every tag, comment, processing instruction and CDATA section;
 * a CDATA section is a child of its own (an empty one gives ""). Whitespace between elements
 * is kept, whitespace outside the root is not.
 *
 * Expat runs without its namespace processing (as in src/core/xmlread.c) and checks
 * well-formedness, characters and UTF-8. This file resolves prefixes with xml.lua's rules
 * (undeclared prefixes, misused xml/xmlns, empty prefix declarations and attributes with the
 * same local name and namespace are refused) and undoes where Expat's XML 1.0 reading differs
 * from xml.lua's: xml.lua does not fold CR LF into LF (text and CDATA keep a CR as written; in
 * an attribute value CR and LF each become a space), and in attribute values it turns TAB, LF
 * and CR written as character references into spaces too.
 *
 * No Lua function runs inside an Expat callback (a Lua error would longjmp out of Expat, and a
 * parser left that way is not freed by XML_ParserFree): the callbacks write the tree as a log
 * of events in C memory, Expat is freed, and then the log is turned into Lua tables.
 *
 * Input: UTF-8 (BOM optional) or UTF-16 with a BOM, which is turned into UTF-8 first as xml.lua
 * does (offsets in messages then count in the UTF-8 text); an encoding declaration is not
 * consulted. A DOCTYPE (so any entity declaration) is refused, nothing external is loaded.
 * Limits: max_bytes of input (64 MiB) and max_depth levels of elements (256); xml.lua passes
 * its own M.max_bytes and M.max_depth. Errors are raised as "XML: ... at offset N" strings.
 */
#include "lutil.h"

#include <expat.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LX_STATE "wsman.xmlparse"
#define LX_NS_XML "http://www.w3.org/XML/1998/namespace"
#define LX_NS_XMLNS "http://www.w3.org/2000/xmlns/"
#define LX_MAX_DEPTH 256
#define LX_MAX_BYTES ((lua_Integer)64 << 20)
#define LX_DEPTH_CAP 100000 /* largest max_depth accepted (the open elements live on the Lua stack) */
#define LX_URI_WINDOW 32    /* how many recent namespace URIs a new declaration is matched against */
#define LX_PAIRWISE 8       /* up to this many prefixed attributes: duplicates checked pair by pair */

typedef struct lx_buf {
    char *data;
    size_t len, cap;
} lx_buf;

/* A prefix seen in the document (kept to the end) and its innermost binding, -1 for none. */
typedef struct lx_prefix {
    size_t off, len; /* in keys */
    uint32_t hash;
    int head;
} lx_prefix;

typedef struct lx_bind {
    int prefix; /* lx_prefix index */
    int uri;    /* index in the URI table, 0: no namespace (xmlns="") */
    int prev;   /* the binding of the same prefix it hides, -1 for none */
} lx_bind;

typedef struct lx_str {
    size_t off, len; /* in uribuf */
} lx_str;

/* One attribute of the start tag being read. */
typedef struct lx_attr {
    const char *value, *lname;
    size_t vlen, voff, llen;
    int in_scratch; /* value at voff in scratch */
    int xmlns;      /* a namespace declaration */
    int uri;        /* declared (xmlns) or resolved namespace, 0 for none */
    const char *ns; /* the resolved namespace name (uri > 0) */
    size_t nslen, plen;
} lx_attr;

/* The event log: records of a kind byte, then 32-bit sizes and strings (size, bytes).
 *   S  name, prefix length, URI, number of declarations, number of attributes, then
 *      (prefix, URI) per declaration and (name, prefix length, URI, value) per attribute;
 *      a URI is 0 for none, else its index in uris
 *   E  (the end of the element)
 *   T  text */
#define EV_START 'S'
#define EV_END 'E'
#define EV_TEXT 'T'

typedef struct lx_state {
    XML_Parser p;
    const char *doc; /* the UTF-8 text Expat reads */
    size_t len;
    char *u8; /* doc when transcoded from UTF-16 */
    int max_depth, depth, failed;
    uint32_t seed;
    size_t *frames; /* per open element: the bindings before its own declarations */
    size_t text_at; /* the size field of the open text record in log, or NO_TEXT */
    lx_prefix *prefixes;
    int nprefixes;
    size_t capprefixes;
    int *slots; /* open addressing over prefixes, -1 empty */
    size_t nslots;
    lx_bind *binds;
    size_t nbinds, capbinds;
    lx_str *uris; /* 1..nuris: the namespace names, in uribuf */
    int nuris;
    size_t capuris;
    lx_attr *attrs;
    size_t capattrs;
    lx_buf keys, uribuf, scratch, log;
    lua_Integer *nkids; /* while building: children so far per open element */
    char msg[320];
} lx_state;

#define NO_TEXT ((size_t)-1)

/* ---- small helpers ------------------------------------------------------------------------ */

/* Appends len bytes, growing the buffer (doubling) when needed; 0 or -1. */
static int buf_grow(lx_buf *b, const void *data, size_t len)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < len) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d)
        return -1;
    b->data = d;
    b->cap = cap;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static inline int buf_add(lx_buf *b, const void *data, size_t len)
{
    if (len > b->cap - b->len || !b->data)
        return buf_grow(b, data, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

/* Room for need elements of size sz in the array a of capacity *cap: a itself, a larger copy
 * (*cap updated), or NULL when out of memory (a is then unchanged). */
static void *grow(void *a, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return a;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / sz)
        return NULL;
    void *b = realloc(a, n * sz);
    if (b)
        *cap = n;
    return b;
}
static size_t utf8_put(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_xmlns(const char *name)
{
    return strncmp(name, "xmlns", 5) == 0 && (name[5] == '\0' || name[5] == ':');
}

/* xml.lua's split: "p:l" with one colon and neither side empty, or a name without a colon. */
static int split_qname(const char *q, size_t *plen, const char **local)
{
    const char *c = strchr(q, ':');
    if (!c) {
        *plen = 0;
        *local = q;
        return 0;
    }
    if (c == q || !c[1] || strchr(c + 1, ':'))
        return -1;
    *plen = (size_t)(c - q);
    *local = c + 1;
    return 0;
}

/* ---- errors ------------------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static int fail(lx_state *x, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (x->failed)
        return -1;
    x->failed = 1;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
    n = strlen(x->msg);
    snprintf(x->msg + n, sizeof x->msg - n, " at offset %lld", (long long)XML_GetCurrentByteIndex(x->p));
    XML_StopParser(x->p, XML_FALSE);
    return -1;
}

static int oom(lx_state *x)
{
    if (!x->failed) {
        x->failed = 1;
        snprintf(x->msg, sizeof x->msg, "out of memory");
        XML_StopParser(x->p, XML_FALSE);
    }
    return -1;
}

/* ---- namespaces: prefixes in a hash table, each with its chain of bindings ----------------- */

static uint32_t hash_bytes(uint32_t h, const char *s, size_t n)
{
    while (n--)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* The prefix's index (added when add is set and it is new), -1 when unknown. */
static int prefix_find(lx_state *x, const char *p, size_t plen, int add)
{
    uint32_t h = hash_bytes(x->seed, p, plen);
    size_t mask = x->nslots - 1, i = h & mask;
    int k;

    for (; x->slots[i] >= 0; i = (i + 1) & mask) {
        const lx_prefix *e = &x->prefixes[x->slots[i]];
        if (e->hash == h && e->len == plen && memcmp(x->keys.data + e->off, p, plen) == 0)
            return x->slots[i];
    }
    if (!add)
        return -1;
    if ((size_t)x->nprefixes + 1 > x->nslots / 2) { /* keep the load under 1/2 */
        size_t n = x->nslots * 2, j;
        int *s = malloc(n * sizeof *s);
        if (!s)
            return -1;
        for (j = 0; j < n; j++)
            s[j] = -1;
        for (k = 0; k < x->nprefixes; k++) {
            for (j = x->prefixes[k].hash & (n - 1); s[j] >= 0; j = (j + 1) & (n - 1))
                ;
            s[j] = k;
        }
        free(x->slots);
        x->slots = s;
        x->nslots = n;
        mask = n - 1;
        for (i = h & mask; x->slots[i] >= 0; i = (i + 1) & mask)
            ;
    }
    lx_prefix *np = grow(x->prefixes, &x->capprefixes, (size_t)x->nprefixes + 1, sizeof *np);
    if (!np)
        return -1;
    x->prefixes = np;
    k = x->nprefixes++;
    x->prefixes[k].off = x->keys.len;
    x->prefixes[k].len = plen;
    x->prefixes[k].hash = h;
    x->prefixes[k].head = -1;
    if (buf_add(&x->keys, p, plen) != 0)
        return -1;
    x->slots[i] = k;
    return k;
}

/* The namespace bound to the prefix: a URI index, 0 for none (xmlns=""), -1 when not bound. */
static int ns_lookup(lx_state *x, const char *p, size_t plen)
{
    int k = prefix_find(x, p, plen, 0);
    if (k < 0 || x->prefixes[k].head < 0)
        return -1;
    return x->binds[x->prefixes[k].head].uri;
}

static int ns_bind(lx_state *x, const char *p, size_t plen, int uri)
{
    int k = prefix_find(x, p, plen, 1);
    lx_bind *nb = k < 0 ? NULL : grow(x->binds, &x->capbinds, x->nbinds + 1, sizeof *nb);
    if (!nb)
        return -1;
    x->binds = nb;
    x->binds[x->nbinds].prefix = k;
    x->binds[x->nbinds].uri = uri;
    x->binds[x->nbinds].prev = x->prefixes[k].head;
    x->prefixes[k].head = (int)x->nbinds++;
    return 0;
}

static void unbind_to(lx_state *x, size_t keep)
{
    while (x->nbinds > keep) {
        const lx_bind *b = &x->binds[--x->nbinds];
        x->prefixes[b->prefix].head = b->prev;
    }
}

/* The URI table index of a namespace name: the same string as a recent declaration's, or new. */
static int intern_uri(lx_state *x, const char *s, size_t len)
{
    int i, stop = x->nuris > LX_URI_WINDOW ? x->nuris - LX_URI_WINDOW : 0;

    for (i = x->nuris; i > stop; i--)
        if (x->uris[i].len == len && memcmp(x->uribuf.data + x->uris[i].off, s, len) == 0)
            return i;
    lx_str *nu = grow(x->uris, &x->capuris, (size_t)x->nuris + 2, sizeof *nu);
    if (!nu)
        return -1;
    x->uris = nu;
    x->uris[x->nuris + 1].off = x->uribuf.len;
    x->uris[x->nuris + 1].len = len;
    if (buf_add(&x->uribuf, s, len) != 0)
        return -1;
    return ++x->nuris;
}

/* ---- attribute values as xml.lua reads them ------------------------------------------------ */

/* Appends one character of an attribute value: TAB, LF and CR become a space. */
static int value_char(lx_state *x, uint32_t c)
{
    char o[4];
    if (c == '\t' || c == '\n' || c == '\r')
        c = ' ';
    return buf_add(&x->scratch, o, utf8_put(o, c));
}

/* The values from the start tag's own bytes (t, n), for a tag with a CR: Expat has folded
 * CR LF into one space, xml.lua makes it two. Expat has checked the tag already. */
static int raw_values(lx_state *x, const char *t, size_t n, size_t natts)
{
    size_t i = 1, k = 0;

    while (i < n && !is_space(t[i]) && t[i] != '/' && t[i] != '>')
        i++;
    for (;;) {
        while (i < n && is_space(t[i]))
            i++;
        if (i >= n || t[i] == '/' || t[i] == '>')
            break;
        while (i < n && t[i] != '=')
            i++;
        for (i++; i < n && is_space(t[i]); i++)
            ;
        if (i >= n || k >= natts)
            return -1;
        char q = t[i++];
        x->attrs[k].voff = x->scratch.len;
        while (i < n && t[i] != q) {
            if (t[i] != '&') {
                if (buf_add(&x->scratch, is_space(t[i]) ? " " : t + i, 1) != 0)
                    return -1;
                i++;
                continue;
            }
            size_t j = i + 1;
            while (j < n && t[j] != ';')
                j++;
            const char *r = t + i + 1;
            size_t rl = j - i - 1;
            uint32_t c = 0;
            if (rl > 1 && r[0] == '#') {
                int hex = r[1] == 'x';
                for (size_t m = hex ? 2 : 1; m < rl && c < 0x110000; m++) {
                    char d = r[m];
                    c = c * (hex ? 16 : 10) + (uint32_t)(d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
                }
            } else {
                static const char *const names[] = {"lt", "gt", "amp", "quot", "apos"};
                static const char chars[] = "<>&\"'";
                for (int m = 0; m < 5; m++)
                    if (strlen(names[m]) == rl && memcmp(names[m], r, rl) == 0)
                        c = (unsigned char)chars[m];
            }
            if (value_char(x, c) != 0)
                return -1;
            i = j + 1;
        }
        i++;
        x->attrs[k].vlen = x->scratch.len - x->attrs[k].voff;
        x->attrs[k].in_scratch = 1;
        k++;
    }
    return k == natts ? 0 : -1;
}

/* Fills attrs[i].value/vlen for the start tag's attributes. */
static int attr_values(lx_state *x, const XML_Char **atts, size_t natts)
{
    long long at = (long long)XML_GetCurrentByteIndex(x->p);
    int cnt = XML_GetCurrentByteCount(x->p);
    size_t i;
    int raw =
        at >= 0 && cnt > 0 && (size_t)at + (size_t)cnt <= x->len && memchr(x->doc + at, '\r', (size_t)cnt);

    x->scratch.len = 0;
    for (i = 0; i < natts; i++)
        x->attrs[i].in_scratch = 0;
    if (!raw || raw_values(x, x->doc + at, (size_t)cnt, natts) != 0) {
        x->scratch.len = 0;
        for (i = 0; i < natts; i++) {
            lx_attr *a = &x->attrs[i];
            const char *v = atts[2 * i + 1];
            a->in_scratch = 0;
            a->value = v;
            a->vlen = strlen(v);
            if (!strpbrk(v, "\t\n\r"))
                continue; /* from character references: xml.lua makes them spaces */
            a->in_scratch = 1;
            a->voff = x->scratch.len;
            for (const char *c = v; *c; c++)
                if (buf_add(&x->scratch, (*c == '\t' || *c == '\n' || *c == '\r') ? " " : c, 1) != 0)
                    return oom(x);
        }
    }
    for (i = 0; i < natts; i++)
        if (x->attrs[i].in_scratch)
            x->attrs[i].value = x->scratch.data + x->attrs[i].voff;
    return 0;
}

/* ---- duplicate attributes by local name and namespace ---------------------------------------- */

static int attr_cmp(const lx_attr *a, const lx_attr *b)
{
    if (a->llen != b->llen)
        return a->llen < b->llen ? -1 : 1;
    int c = memcmp(a->lname, b->lname, a->llen);
    if (c)
        return c;
    if (a->nslen != b->nslen)
        return a->nslen < b->nslen ? -1 : 1;
    return memcmp(a->ns, b->ns, a->nslen);
}

static int attr_qcmp(const void *a, const void *b)
{
    return attr_cmp(*(lx_attr *const *)a, *(lx_attr *const *)b);
}

/* The first of two prefixed attributes with the same expanded name, or NULL. Unprefixed ones
 * cannot clash without the same raw name, which Expat refuses. */
static const lx_attr *duplicate_attr(lx_state *x, size_t natts)
{
    size_t i, j, k = 0;
    for (i = 0; i < natts; i++)
        if (!x->attrs[i].xmlns && x->attrs[i].uri > 0)
            k++;
    if (k < 2)
        return NULL;
    if (k <= LX_PAIRWISE) {
        for (i = 0; i < natts; i++) {
            const lx_attr *a = &x->attrs[i];
            if (a->xmlns || a->uri <= 0)
                continue;
            for (j = i + 1; j < natts; j++) {
                const lx_attr *b = &x->attrs[j];
                if (!b->xmlns && b->uri > 0 && attr_cmp(a, b) == 0)
                    return b;
            }
        }
        return NULL;
    }
    lx_attr **s = malloc(k * sizeof *s);
    if (!s) {
        oom(x);
        return NULL;
    }
    for (i = 0, j = 0; i < natts; i++)
        if (!x->attrs[i].xmlns && x->attrs[i].uri > 0)
            s[j++] = &x->attrs[i];
    qsort(s, k, sizeof *s, attr_qcmp);
    const lx_attr *dup = NULL;
    for (i = 1; i < k && !dup; i++)
        if (attr_cmp(s[i - 1], s[i]) == 0)
            dup = s[i];
    free(s);
    return dup;
}

/* ---- the event log (written by the Expat callbacks) ------------------------------------------ */

/* Sizes are 32 bits: documents are at most 4 GiB (checked). */
static int put_size(lx_state *x, size_t n)
{
    uint32_t v = (uint32_t)n;
    return buf_add(&x->log, &v, sizeof v);
}

static int put_str(lx_state *x, const char *s, size_t n)
{
    return put_size(x, n) != 0 || buf_add(&x->log, s, n) != 0 ? -1 : 0;
}

static int put_kind(lx_state *x, char kind)
{
    return buf_add(&x->log, &kind, 1);
}

/* Opens a text record unless one is open. */
static int open_text(lx_state *x)
{
    if (x->text_at != NO_TEXT)
        return 0;
    if (put_kind(x, EV_TEXT) != 0)
        return -1;
    x->text_at = x->log.len;
    return put_size(x, 0);
}

/* Closes the open text record: its size is what was appended since. */
static void close_text(lx_state *x)
{
    if (x->text_at == NO_TEXT)
        return;
    uint32_t n = (uint32_t)(x->log.len - x->text_at - sizeof n);
    memcpy(x->log.data + x->text_at, &n, sizeof n);
    x->text_at = NO_TEXT;
}

/* The start tag's record; 0 or -1 (out of memory). The writes are sequenced with ||. */
static int log_start(lx_state *x, const XML_Char *name, size_t plen, int uri, const XML_Char **atts,
                     size_t natts, size_t ndecl)
{
    size_t i;

    if (put_kind(x, EV_START) || put_str(x, name, strlen(name)) || put_size(x, plen) ||
        put_size(x, (size_t)uri) || put_size(x, ndecl) || put_size(x, natts - ndecl))
        return -1;
    for (i = 0; i < natts; i++) {
        if (!x->attrs[i].xmlns)
            continue;
        const char *p = atts[2 * i][5] ? atts[2 * i] + 6 : ""; /* "xmlns" or "xmlns:p" */
        if (put_str(x, p, strlen(p)) || put_size(x, (size_t)x->attrs[i].uri))
            return -1;
    }
    for (i = 0; i < natts; i++) {
        const lx_attr *a = &x->attrs[i];
        if (!a->xmlns && (put_str(x, atts[2 * i], strlen(atts[2 * i])) || put_size(x, a->plen) ||
                          put_size(x, (size_t)a->uri) || put_str(x, a->value, a->vlen)))
            return -1;
    }
    return 0;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    lx_state *x = ud;
    size_t natts = 0, nbinds = x->nbinds, plen, ndecl = 0, i;
    int uri;
    const char *local;
    const lx_attr *dup;

    if (x->failed)
        return;
    if (x->depth >= x->max_depth) {
        fail(x, "elements nested deeper than the limit of %d", x->max_depth);
        return;
    }
    close_text(x);
    while (atts[2 * natts])
        natts++;
    lx_attr *na = grow(x->attrs, &x->capattrs, natts + 1, sizeof *na);
    if (!na) {
        oom(x);
        return;
    }
    x->attrs = na;
    if (natts && attr_values(x, atts, natts) != 0)
        return;
    /* the declarations first, then the names they resolve */
    for (i = 0; i < natts; i++) {
        lx_attr *a = &x->attrs[i];
        a->xmlns = is_xmlns(atts[2 * i]);
        if (!a->xmlns)
            continue;
        const char *p = atts[2 * i][5] ? atts[2 * i] + 6 : "";
        if (strcmp(p, "xmlns") == 0 ||
            (strcmp(p, "xml") == 0 &&
             !(a->vlen == sizeof LX_NS_XML - 1 && memcmp(a->value, LX_NS_XML, a->vlen) == 0))) {
            fail(x, "reserved prefix '%.100s'", p);
            return;
        }
        if (*p && a->vlen == 0) {
            fail(x, "prefix '%.100s' declared empty", p);
            return;
        }
        a->uri = a->vlen ? intern_uri(x, a->value, a->vlen) : 0;
        if (a->uri < 0 || ns_bind(x, p, strlen(p), a->uri) != 0) {
            oom(x);
            return;
        }
        ndecl++;
    }
    if (split_qname(name, &plen, &local) != 0) {
        fail(x, "bad qualified name '%.100s'", name);
        return;
    }
    uri = ns_lookup(x, name, plen);
    if (plen && uri <= 0) {
        fail(x, "undeclared namespace prefix '%.*s'", (int)(plen > 100 ? 100 : plen), name);
        return;
    }
    for (i = 0; i < natts; i++) {
        lx_attr *a = &x->attrs[i];
        if (a->xmlns)
            continue;
        if (split_qname(atts[2 * i], &a->plen, &a->lname) != 0) {
            fail(x, "bad qualified name '%.100s'", atts[2 * i]);
            return;
        }
        a->llen = strlen(a->lname);
        a->uri = 0;
        if (a->plen) {
            a->uri = ns_lookup(x, atts[2 * i], a->plen);
            if (a->uri <= 0) {
                fail(x, "undeclared namespace prefix '%.*s'", (int)(a->plen > 100 ? 100 : a->plen),
                     atts[2 * i]);
                return;
            }
            a->ns = x->uribuf.data + x->uris[a->uri].off;
            a->nslen = x->uris[a->uri].len;
        }
    }
    dup = duplicate_attr(x, natts);
    if (x->failed)
        return;
    if (dup) {
        fail(x, "duplicate attribute '%.100s'", atts[2 * (size_t)(dup - x->attrs)]);
        return;
    }
    if (log_start(x, name, plen, uri > 0 ? uri : 0, atts, natts, ndecl) != 0) {
        oom(x);
        return;
    }
    x->frames[x->depth++] = nbinds;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    lx_state *x = ud;

    if (x->failed)
        return;
    close_text(x);
    if (put_kind(x, EV_END) != 0) {
        oom(x);
        return;
    }
    unbind_to(x, x->frames[--x->depth]);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    lx_state *x = ud;

    if (x->failed)
        return;
    if (len == 1 && *s == '\n') {
        /* a line end: Expat reports CR LF and a lone CR as LF, xml.lua keeps them */
        long long at = (long long)XML_GetCurrentByteIndex(x->p);
        if (at >= 0 && (size_t)at < x->len && x->doc[at] == '\r') {
            s = "\r\n";
            len = XML_GetCurrentByteCount(x->p) == 2 ? 2 : 1;
        }
    }
    if (open_text(x) != 0 || buf_add(&x->log, s, (size_t)len) != 0)
        oom(x);
}

/* A CDATA section is a child of its own, "" when empty. */
static void XMLCALL on_cdata_start(void *ud)
{
    lx_state *x = ud;

    if (x->failed)
        return;
    close_text(x);
    if (open_text(x) != 0)
        oom(x);
}

static void XMLCALL on_cdata_end(void *ud)
{
    lx_state *x = ud;
    if (!x->failed)
        close_text(x);
}

static void XMLCALL on_comment(void *ud, const XML_Char *data)
{
    lx_state *x = ud;
    if (!x->failed)
        close_text(x);
}

static void XMLCALL on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
    lx_state *x = ud;
    if (x->failed)
        return;
    if ((unsigned char)target[0] >= 0x80) { /* xml.lua reads [%w_:.-] there */
        fail(x, "bad processing instruction");
        return;
    }
    close_text(x);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    fail(ud, "DTDs are refused (WinRM never sends one)");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                                   int vlen, const XML_Char *base, const XML_Char *sysid,
                                   const XML_Char *pubid, const XML_Char *notation)
{
    fail(ud, "entity declarations are refused");
}

static int XMLCALL on_external_entity(XML_Parser p, const XML_Char *context, const XML_Char *base,
                                      const XML_Char *sysid, const XML_Char *pubid)
{
    return XML_STATUS_ERROR; /* never load anything */
}

/* ---- input ---------------------------------------------------------------------------------- */

/* UTF-16 after a BOM (big: FE FF) as UTF-8 in x->u8; 0, or -1 with x->msg set. */
static int from_utf16(lx_state *x, const unsigned char *s, size_t len, int big)
{
    size_t i, o = 0;

    if (len % 2) {
        snprintf(x->msg, sizeof x->msg, "the document is not valid UTF-16 (odd length)");
        return -1;
    }
    x->u8 = malloc(len / 2 * 3 + 1);
    if (!x->u8) {
        snprintf(x->msg, sizeof x->msg, "out of memory");
        return -1;
    }
    for (i = 2; i < len; i += 2) {
        uint32_t u = big ? (uint32_t)(s[i] << 8 | s[i + 1]) : (uint32_t)(s[i + 1] << 8 | s[i]);
        if (u >= 0xD800 && u <= 0xDFFF) {
            uint32_t v = 0;
            if (u <= 0xDBFF && i + 3 < len)
                v = big ? (uint32_t)(s[i + 2] << 8 | s[i + 3]) : (uint32_t)(s[i + 3] << 8 | s[i + 2]);
            if (v < 0xDC00 || v > 0xDFFF) {
                snprintf(x->msg, sizeof x->msg,
                         "the document is not valid UTF-16 (lone surrogate) at offset %zu", i);
                return -1;
            }
            u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
            i += 2;
        }
        o += utf8_put(x->u8 + o, u);
    }
    x->doc = x->u8;
    x->len = o;
    return 0;
}

static int state_close(lua_State *L)
{
    lx_state *x = luaL_checkudata(L, 1, LX_STATE);
    if (x->p)
        XML_ParserFree(x->p);
    free(x->u8);
    free(x->frames);
    free(x->prefixes);
    free(x->slots);
    free(x->binds);
    free(x->uris);
    free(x->attrs);
    free(x->keys.data);
    free(x->uribuf.data);
    free(x->scratch.data);
    free(x->log.data);
    free(x->nkids);
    memset(x, 0, sizeof *x);
    return 0;
}

/* ---- the tree, from the log (after Expat) ------------------------------------------------------ */

static size_t get_size(const char **p)
{
    uint32_t n;
    memcpy(&n, *p, sizeof n);
    *p += sizeof n;
    return n;
}

static const char *get_str(const char **p, size_t *n)
{
    const char *s;
    *n = get_size(p);
    s = *p;
    *p += *n;
    return s;
}

/* t.name, t.lname and t.ns (uri > 0: from the URI table at index uris) of the table on the stack
 * top; name and lname are one string when there is no prefix. */
static void set_names(lua_State *L, const char *name, size_t len, size_t plen, int uris, size_t uri)
{
    lua_pushlstring(L, name, len);
    if (plen) {
        lua_setfield(L, -2, "name");
        lua_pushlstring(L, name + plen + 1, len - plen - 1);
    } else {
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "name");
    }
    lua_setfield(L, -2, "lname");
    if (uri) {
        lua_rawgeti(L, uris, (lua_Integer)uri);
        lua_setfield(L, -2, "ns");
    }
}

/* Turns the log into the tree; leaves the root on the stack (the open elements are kept there,
 * the caller has made room for max_depth of them). */
static void build(lua_State *L, lx_state *x, int uris)
{
    const char *p = x->log.data, *end = p + x->log.len, *s;
    size_t n, i;
    int depth = 0;

    while (p < end) {
        char kind = *p++;
        if (kind == EV_TEXT) {
            s = get_str(&p, &n);
            if (depth > 0) { /* (Expat reports no text outside the root) */
                lua_pushlstring(L, s, n);
                lua_rawseti(L, -2, ++x->nkids[depth - 1]);
            }
            continue;
        }
        if (kind == EV_END) {
            if (--depth > 0) /* the root stays */
                lua_pop(L, 1);
            continue;
        }
        s = get_str(&p, &n);
        size_t plen = get_size(&p), uri = get_size(&p), ndecl = get_size(&p), nattr = get_size(&p);
        lua_createtable(L, 0, 2 + (uri != 0) + (ndecl != 0) + (nattr != 0));
        set_names(L, s, n, plen, uris, uri);
        if (ndecl) {
            lua_createtable(L, (int)ndecl, 0);
            for (i = 1; i <= ndecl; i++) {
                s = get_str(&p, &n);
                uri = get_size(&p);
                lua_createtable(L, 2, 0);
                lua_pushlstring(L, s, n);
                lua_rawseti(L, -2, 1);
                if (uri)
                    lua_rawgeti(L, uris, (lua_Integer)uri);
                else
                    lua_pushliteral(L, "");
                lua_rawseti(L, -2, 2);
                lua_rawseti(L, -2, (lua_Integer)i);
            }
            lua_setfield(L, -2, "nsdecl");
        }
        if (nattr) {
            lua_createtable(L, (int)nattr, 0);
            for (i = 1; i <= nattr; i++) {
                s = get_str(&p, &n);
                plen = get_size(&p);
                uri = get_size(&p);
                lua_createtable(L, 0, 3 + (uri != 0));
                set_names(L, s, n, plen, uris, uri);
                s = get_str(&p, &n);
                lua_pushlstring(L, s, n);
                lua_setfield(L, -2, "value");
                lua_rawseti(L, -2, (lua_Integer)i);
            }
            lua_setfield(L, -2, "attrs");
        }
        if (depth > 0) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, -3, ++x->nkids[depth - 1]);
        }
        x->nkids[depth++] = 0;
    }
}

/* ---- WSMan._xml_parse -------------------------------------------------------------------------- */

static int raise_msg(lua_State *L, const char *msg)
{
    lua_pushfstring(L, "XML: %s", msg);
    return lua_error(L);
}

int lw_xml_parse(lua_State *L)
{
    size_t len, i;
    const char *s;
    lua_Integer max_depth = luaL_optinteger(L, 2, LX_MAX_DEPTH),
                max_bytes = luaL_optinteger(L, 3, LX_MAX_BYTES);

    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "XML: a string is expected, got %s", luaL_typename(L, 1));
    luaL_argcheck(L, max_depth >= 1 && max_depth <= LX_DEPTH_CAP, 2, "max_depth out of range");
    luaL_argcheck(L, max_bytes >= 0, 3, "max_bytes must not be negative");
    s = lua_tolstring(L, 1, &len);
    if ((lua_Unsigned)len > (lua_Unsigned)max_bytes) {
        lua_pushfstring(L, "XML: the document is larger than the limit of %I bytes", max_bytes);
        return lua_error(L);
    }
    luaL_checkstack(L, (int)max_depth + 16, "XML: no room on the Lua stack for the element depth limit");
    lua_settop(L, 1);
    lx_state *x = lua_newuserdatauv(L, sizeof *x, 0); /* 2, closed however this function ends */
    memset(x, 0, sizeof *x);
    luaL_setmetatable(L, LX_STATE);
    lua_toclose(L, 2);
    x->max_depth = (int)max_depth;
    x->doc = s;
    x->len = len;
    x->text_at = NO_TEXT;
    x->seed = (uint32_t)(uintptr_t)x ^ 2166136261u;
    if (len >= 2 && ((unsigned char)s[0] == 0xFF && (unsigned char)s[1] == 0xFE) &&
        from_utf16(x, (const unsigned char *)s, len, 0) != 0)
        return raise_msg(L, x->msg);
    if (len >= 2 && ((unsigned char)s[0] == 0xFE && (unsigned char)s[1] == 0xFF) &&
        from_utf16(x, (const unsigned char *)s, len, 1) != 0)
        return raise_msg(L, x->msg);
    /* xml.lua refuses every NUL; Expat would take "<\0" or "\0<" at the start for UTF-16 */
    for (i = 0; i < 2 && i < x->len; i++)
        if (!x->doc[i]) {
            lua_pushfstring(L, "XML: control character 0x00 is not allowed in XML at offset %d", (int)i);
            return lua_error(L);
        }
    if (x->len > UINT32_MAX - 1)
        return raise_msg(L, "the document is larger than 4 GiB");
    x->frames = malloc(((size_t)max_depth + 1) * sizeof *x->frames);
    x->nkids = malloc(((size_t)max_depth + 1) * sizeof *x->nkids);
    x->nslots = 64;
    x->slots = malloc(x->nslots * sizeof *x->slots);
    x->p = XML_ParserCreate("UTF-8"); /* the declared encoding is not consulted, as in xml.lua */
    x->log.cap = (x->len < (1u << 20) ? x->len : (1u << 20)) * 3 / 2 + 64; /* mostly enough */
    x->log.data = malloc(x->log.cap);
    if (!x->frames || !x->nkids || !x->slots || !x->p || !x->log.data)
        return raise_msg(L, "out of memory");
    for (i = 0; i < x->nslots; i++)
        x->slots[i] = -1;
    if (intern_uri(x, LX_NS_XML, sizeof LX_NS_XML - 1) != 1 ||
        intern_uri(x, LX_NS_XMLNS, sizeof LX_NS_XMLNS - 1) != 2 || ns_bind(x, "xml", 3, 1) != 0 ||
        ns_bind(x, "xmlns", 5, 2) != 0)
        return raise_msg(L, "out of memory");
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetCdataSectionHandler(x->p, on_cdata_start, on_cdata_end);
    XML_SetCommentHandler(x->p, on_comment);
    XML_SetProcessingInstructionHandler(x->p, on_pi);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity_decl);
    XML_SetExternalEntityRefHandler(x->p, on_external_entity);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);

    int ok = 1;
    for (const char *d = x->doc, *end = x->doc + x->len; ok;) {
        int n = (size_t)(end - d) > (size_t)INT32_MAX ? INT32_MAX : (int)(end - d);
        ok = XML_Parse(x->p, d, n, d + n == end) == XML_STATUS_OK && !x->failed;
        d += n;
        if (d == end)
            break;
    }
    if (!ok) {
        if (!x->failed)
            snprintf(x->msg, sizeof x->msg, "%s at offset %lld", XML_ErrorString(XML_GetErrorCode(x->p)),
                     (long long)XML_GetCurrentByteIndex(x->p));
        return raise_msg(L, x->msg);
    }
    XML_ParserFree(x->p);
    x->p = NULL;

    lua_createtable(L, x->nuris, 0); /* 3: the namespace names, each one string for the whole tree */
    for (int u = 1; u <= x->nuris; u++) {
        lua_pushlstring(L, x->uribuf.data + x->uris[u].off, x->uris[u].len);
        lua_rawseti(L, 3, u);
    }
    build(L, x, 3);
    return 1;
}

void lw_xml_register(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__close", state_close}, {"__gc", state_close}, {NULL, NULL}};
    luaL_newmetatable(L, LX_STATE);
    luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
}
