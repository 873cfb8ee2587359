/* SPDX-License-Identifier: MIT */
/*
 * xmltree.c - a whole document read into a list of events (wsman_xml_tree_*, see wsman.h), for
 * callers that build a tree of their own (the Lua binding builds tables from it).
 *
 * The reading is xmlread.c's (the one place Expat is driven), in its raw-names mode: this file
 * resolves prefixes with the strict rules of a namespace-aware tree (undeclared prefixes, misused
 * xml/xmlns, empty prefix declarations, names with two colons and attributes with the same local
 * name and namespace are refused) and keeps line ends as written: Expat folds CR LF into LF,
 * this reader does not (text and CDATA keep a CR; in an attribute value CR and LF each become a
 * space, as TAB, CR and LF written as character references do).
 *
 * Events are written into a log in C memory while Expat runs (sizes are 32 bits: documents are
 * at most 4 GiB), then handed out one by one:
 *   S  name, prefix length, namespace, number of declarations, number of attributes, then
 *      (prefix, namespace) per declaration and (name, prefix length, namespace, value) per
 *      attribute; a namespace is 0 for none, else its index in the namespace table
 *   E  (the end of the element)
 *   T  text
 * Input: UTF-8 (BOM optional) or UTF-16 with a BOM, turned into UTF-8 first (offsets in
 * messages then count in the UTF-8 text); an encoding declaration is not consulted.
 */
#include "protocol.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS_XML "http://www.w3.org/XML/1998/namespace"
#define NS_XMLNS "http://www.w3.org/2000/xmlns/"
#define DEFAULT_MAX_DEPTH 256
#define URI_WINDOW 32 /* how many recent namespace names a new declaration is matched against */
#define PAIRWISE 8    /* up to this many prefixed attributes: duplicates checked pair by pair */
#define FIRST_SLOTS 64
#define NO_TEXT ((size_t)-1)

enum { EV_START = 'S', EV_END = 'E', EV_TEXT = 'T' };
enum { URI_NS_XML = 1, URI_NS_XMLNS = 2 };

/* A prefix seen in the document (kept to the end) and its innermost binding, -1 for none. */
typedef struct prefix {
    size_t off, len; /* in keys */
    uint32_t hash;
    int head;
} prefix_t;

typedef struct bind {
    int prefix; /* prefix_t index */
    int uri;    /* index in the namespace table, 0: no namespace (xmlns="") */
    int prev;   /* the binding of the same prefix it hides, -1 for none */
} bind_t;

typedef struct str {
    size_t off, len; /* in uribuf */
} str_t;

/* One attribute of the start tag being read. */
typedef struct attr {
    const char *value, *lname;
    size_t vlen, voff, llen;
    int in_scratch; /* value at voff in scratch */
    int xmlns;      /* a namespace declaration */
    int uri;        /* declared (xmlns) or resolved namespace, 0 for none */
    const char *ns; /* the resolved namespace name (uri > 0) */
    size_t nslen, plen;
} attr_t;

struct wsman_xml_tree {
    wsman_xml_t *r;
    const char *doc; /* the UTF-8 text read */
    size_t len;
    wsman_buf_t u8; /* doc when transcoded from UTF-16 */
    int max_depth, depth;
    uint32_t seed;
    size_t *frames; /* per open element: the bindings before its own declarations */
    size_t text_at; /* the size field of the open text record in log, or NO_TEXT */
    prefix_t *prefixes;
    int nprefixes;
    size_t capprefixes;
    int *slots; /* open addressing over prefixes, -1 empty */
    size_t nslots;
    bind_t *binds;
    size_t nbinds, capbinds;
    str_t *uris; /* 1..nuris: the namespace names, in uribuf */
    int nuris;
    size_t capuris;
    attr_t *attrs;
    size_t capattrs;
    wsman_buf_t keys, uribuf, scratch, log;
    /* walking */
    size_t at;
    wsman_xml_decl_t *decls;
    wsman_xml_tree_attr_t *tattrs;
    size_t capdecls, captattrs;
};

/* ---- small helpers ------------------------------------------------------------------------ */

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

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_xmlns(const char *name)
{
    return strncmp(name, "xmlns", 5) == 0 && (name[5] == '\0' || name[5] == ':');
}

/* "p:l" with one colon, neither side empty and l an NCName, or a name without a colon. */
static int split_qname(const char *q, size_t *plen, const char **local)
{
    const char *c = strchr(q, ':');
    if (!c) {
        *plen = 0;
        *local = q;
        return 0;
    }
    if (c == q || !c[1] || !wsman_xml_ncname_start(c + 1) || strchr(c + 1, ':'))
        return -1;
    *plen = (size_t)(c - q);
    *local = c + 1;
    return 0;
}

static int clip(size_t n)
{
    return n > 100 ? 100 : (int)n;
}

/* ---- namespaces: prefixes in a hash table, each with its chain of bindings ----------------- */

static uint32_t hash_bytes(uint32_t h, const char *s, size_t n)
{
    while (n--)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static size_t free_slot(const int *slots, size_t mask, uint32_t h)
{
    size_t i = h & mask;
    while (slots[i] >= 0)
        i = (i + 1) & mask;
    return i;
}

/* Doubles the slot table (its load stays under 1/2); 0 or -1. */
static int rehash(wsman_xml_tree_t *t)
{
    size_t n = t->nslots * 2, j;
    int *s = malloc(n * sizeof *s);
    if (!s)
        return -1;
    for (j = 0; j < n; j++)
        s[j] = -1;
    for (int k = 0; k < t->nprefixes; k++)
        s[free_slot(s, n - 1, t->prefixes[k].hash)] = k;
    free(t->slots);
    t->slots = s;
    t->nslots = n;
    return 0;
}

/* The prefix's index (added when add is set and it is new), -1 when unknown or out of memory. */
static int prefix_find(wsman_xml_tree_t *t, const char *p, size_t plen, int add)
{
    uint32_t h = hash_bytes(t->seed, p, plen);
    size_t mask = t->nslots - 1, i = h & mask;

    for (; t->slots[i] >= 0; i = (i + 1) & mask) {
        const prefix_t *e = &t->prefixes[t->slots[i]];
        if (e->hash == h && e->len == plen && memcmp(t->keys.data + e->off, p, plen) == 0)
            return t->slots[i];
    }
    if (!add)
        return -1;
    if ((size_t)t->nprefixes + 1 > t->nslots / 2) {
        if (rehash(t) != 0)
            return -1;
        i = free_slot(t->slots, t->nslots - 1, h);
    }
    prefix_t *np = grow(t->prefixes, &t->capprefixes, (size_t)t->nprefixes + 1, sizeof *np);
    if (!np)
        return -1;
    t->prefixes = np;
    int k = t->nprefixes;
    t->prefixes[k].off = t->keys.len;
    t->prefixes[k].len = plen;
    t->prefixes[k].hash = h;
    t->prefixes[k].head = -1;
    if (wsman_buf_append(&t->keys, p, plen) != 0)
        return -1;
    t->nprefixes++;
    t->slots[i] = k;
    return k;
}

/* The namespace bound to the prefix: an index, 0 for none (xmlns=""), -1 when not bound. */
static int ns_lookup(wsman_xml_tree_t *t, const char *p, size_t plen)
{
    int k = prefix_find(t, p, plen, 0);
    if (k < 0 || t->prefixes[k].head < 0)
        return -1;
    return t->binds[t->prefixes[k].head].uri;
}

static int ns_bind(wsman_xml_tree_t *t, const char *p, size_t plen, int uri)
{
    int k = prefix_find(t, p, plen, 1);
    bind_t *nb = k < 0 ? NULL : grow(t->binds, &t->capbinds, t->nbinds + 1, sizeof *nb);
    if (!nb)
        return -1;
    t->binds = nb;
    t->binds[t->nbinds].prefix = k;
    t->binds[t->nbinds].uri = uri;
    t->binds[t->nbinds].prev = t->prefixes[k].head;
    t->prefixes[k].head = (int)t->nbinds++;
    return 0;
}

static void unbind_to(wsman_xml_tree_t *t, size_t keep)
{
    while (t->nbinds > keep) {
        const bind_t *b = &t->binds[--t->nbinds];
        t->prefixes[b->prefix].head = b->prev;
    }
}

/* The table index of a namespace name: the same string as a recent declaration's, or new. */
static int intern_uri(wsman_xml_tree_t *t, const char *s, size_t len)
{
    int i, stop = t->nuris > URI_WINDOW ? t->nuris - URI_WINDOW : 0;

    for (i = t->nuris; i > stop; i--)
        if (t->uris[i].len == len && memcmp(t->uribuf.data + t->uris[i].off, s, len) == 0)
            return i;
    str_t *nu = grow(t->uris, &t->capuris, (size_t)t->nuris + 2, sizeof *nu);
    if (!nu)
        return -1;
    t->uris = nu;
    t->uris[t->nuris + 1].off = t->uribuf.len;
    t->uris[t->nuris + 1].len = len;
    if (wsman_buf_append(&t->uribuf, s, len) != 0)
        return -1;
    return ++t->nuris;
}

/* ---- attribute values, line ends kept ------------------------------------------------------ */

/* Appends one character of an attribute value: TAB, LF and CR become a space. */
static int value_char(wsman_xml_tree_t *t, uint32_t c)
{
    if (c == '\t' || c == '\n' || c == '\r')
        c = ' ';
    return wsman_buf_put_utf8(&t->scratch, c);
}

/* The character a reference (the bytes between '&' and ';') stands for; Expat has checked it. */
static uint32_t reference(const char *r, size_t rl)
{
    static const char *const names[] = {"lt", "gt", "amp", "quot", "apos"};
    static const char chars[] = "<>&\"'";
    uint32_t c = 0;

    if (rl > 1 && r[0] == '#') {
        int hex = r[1] == 'x';
        for (size_t m = hex ? 2 : 1; m < rl && c < 0x110000; m++) {
            char d = r[m];
            c = c * (hex ? 16 : 10) + (uint32_t)(d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
        }
        return c;
    }
    for (int m = 0; m < 5; m++)
        if (strlen(names[m]) == rl && memcmp(names[m], r, rl) == 0)
            c = (unsigned char)chars[m];
    return c;
}

/* One quoted value starting at t[*i] (the quote) into scratch; 0 or -1. */
static int raw_value(wsman_xml_tree_t *t, const char *s, size_t n, size_t *i)
{
    char q = s[(*i)++];

    while (*i < n && s[*i] != q) {
        if (s[*i] != '&') {
            if (wsman_buf_append(&t->scratch, is_space(s[*i]) ? " " : s + *i, 1) != 0)
                return -1;
            (*i)++;
            continue;
        }
        size_t j = *i + 1;
        while (j < n && s[j] != ';')
            j++;
        if (value_char(t, reference(s + *i + 1, j - *i - 1)) != 0)
            return -1;
        *i = j + 1;
    }
    (*i)++;
    return 0;
}

/* The values from the start tag's own bytes (s, n), for a tag with a CR: Expat has folded
 * CR LF into one space, this reader makes it two. Expat has checked the tag already. */
static int raw_values(wsman_xml_tree_t *t, const char *s, size_t n, size_t natts)
{
    size_t i = 1, k = 0;

    while (i < n && !is_space(s[i]) && s[i] != '/' && s[i] != '>')
        i++;
    for (;;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n || s[i] == '/' || s[i] == '>')
            break;
        while (i < n && s[i] != '=')
            i++;
        for (i++; i < n && is_space(s[i]); i++)
            ;
        if (i >= n || k >= natts)
            return -1;
        t->attrs[k].voff = t->scratch.len;
        if (raw_value(t, s, n, &i) != 0)
            return -1;
        t->attrs[k].vlen = t->scratch.len - t->attrs[k].voff;
        t->attrs[k].in_scratch = 1;
        k++;
    }
    return k == natts ? 0 : -1;
}

/* The values as Expat gives them, with TAB, LF and CR (from character references) as spaces. */
static int expat_values(wsman_xml_tree_t *t, const char **atts, size_t natts)
{
    t->scratch.len = 0;
    for (size_t i = 0; i < natts; i++) {
        attr_t *a = &t->attrs[i];
        const char *v = atts[2 * i + 1];
        a->in_scratch = 0;
        a->value = v;
        a->vlen = strlen(v);
        if (!strpbrk(v, "\t\n\r"))
            continue;
        a->in_scratch = 1;
        a->voff = t->scratch.len;
        for (const char *c = v; *c; c++)
            if (wsman_buf_append(&t->scratch, (*c == '\t' || *c == '\n' || *c == '\r') ? " " : c, 1) != 0)
                return -1;
    }
    return 0;
}

/* Fills attrs[i].value/vlen for the start tag's attributes; 0 or -1 (out of memory). */
static int attr_values(wsman_xml_tree_t *t, const char **atts, size_t natts)
{
    size_t at, cnt, i;
    int raw = wsman_xml_span(t->r, &at, &cnt) == 0 && cnt > 0 && at + cnt <= t->len &&
              memchr(t->doc + at, '\r', cnt);

    t->scratch.len = 0;
    for (i = 0; i < natts; i++)
        t->attrs[i].in_scratch = 0;
    if (!raw || raw_values(t, t->doc + at, cnt, natts) != 0)
        if (expat_values(t, atts, natts) != 0)
            return -1;
    for (i = 0; i < natts; i++)
        if (t->attrs[i].in_scratch) /* (no data yet when every value is empty) */
            t->attrs[i].value = t->scratch.data ? t->scratch.data + t->attrs[i].voff : "";
    return 0;
}

/* ---- duplicate attributes by local name and namespace ---------------------------------------- */

static int attr_cmp(const attr_t *a, const attr_t *b)
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
    return attr_cmp(*(attr_t *const *)a, *(attr_t *const *)b);
}

static int prefixed(const attr_t *a)
{
    return !a->xmlns && a->uri > 0;
}

static const attr_t *duplicate_pairwise(const wsman_xml_tree_t *t, size_t natts)
{
    for (size_t i = 0; i < natts; i++) {
        if (!prefixed(&t->attrs[i]))
            continue;
        for (size_t j = i + 1; j < natts; j++)
            if (prefixed(&t->attrs[j]) && attr_cmp(&t->attrs[i], &t->attrs[j]) == 0)
                return &t->attrs[j];
    }
    return NULL;
}

/* The first of two prefixed attributes with the same expanded name, or NULL (*oom set when out
 * of memory). Unprefixed ones cannot clash without the same raw name, which Expat refuses. */
static const attr_t *duplicate_attr(wsman_xml_tree_t *t, size_t natts, int *oom)
{
    size_t i, j, k = 0;
    for (i = 0; i < natts; i++)
        k += (size_t)prefixed(&t->attrs[i]);
    if (k < 2)
        return NULL;
    if (k <= PAIRWISE)
        return duplicate_pairwise(t, natts);
    attr_t **s = malloc(k * sizeof *s);
    if (!s) {
        *oom = 1;
        return NULL;
    }
    for (i = 0, j = 0; i < natts; i++)
        if (prefixed(&t->attrs[i]))
            s[j++] = &t->attrs[i];
    qsort(s, k, sizeof *s, attr_qcmp);
    const attr_t *dup = NULL;
    for (i = 1; i < k && !dup; i++)
        if (attr_cmp(s[i - 1], s[i]) == 0)
            dup = s[i];
    free(s);
    return dup;
}

/* ---- the event log (written by the reader's callbacks) --------------------------------------- */

static int put_size(wsman_xml_tree_t *t, size_t n)
{
    uint32_t v = (uint32_t)n;
    return wsman_buf_append(&t->log, &v, sizeof v);
}

static int put_str(wsman_xml_tree_t *t, const char *s, size_t n)
{
    return put_size(t, n) != 0 || wsman_buf_append(&t->log, s, n) != 0 ? -1 : 0;
}

static int put_kind(wsman_xml_tree_t *t, char kind)
{
    return wsman_buf_append(&t->log, &kind, 1);
}

/* Opens a text record unless one is open. */
static int open_text(wsman_xml_tree_t *t)
{
    if (t->text_at != NO_TEXT)
        return 0;
    if (put_kind(t, EV_TEXT) != 0)
        return -1;
    t->text_at = t->log.len;
    return put_size(t, 0);
}

/* Closes the open text record: its size is what was appended since. */
static void close_text(wsman_xml_tree_t *t)
{
    if (t->text_at == NO_TEXT)
        return;
    uint32_t n = (uint32_t)(t->log.len - t->text_at - sizeof n);
    memcpy(t->log.data + t->text_at, &n, sizeof n);
    t->text_at = NO_TEXT;
}

static const char *decl_prefix(const char *xmlns_name)
{
    return xmlns_name[5] ? xmlns_name + 6 : ""; /* "xmlns" or "xmlns:p" */
}

/* The start tag's record; 0 or -1 (out of memory). The writes are sequenced with ||. */
static int log_start(wsman_xml_tree_t *t, const char *name, size_t plen, int uri, const char **atts,
                     size_t natts, size_t ndecl)
{
    size_t i;

    if (put_kind(t, EV_START) || put_str(t, name, strlen(name)) || put_size(t, plen) ||
        put_size(t, (size_t)uri) || put_size(t, ndecl) || put_size(t, natts - ndecl))
        return -1;
    for (i = 0; i < natts; i++) {
        const char *p;
        if (!t->attrs[i].xmlns)
            continue;
        p = decl_prefix(atts[2 * i]); /* (only a declaration's name has the 5 bytes of "xmlns") */
        if (put_str(t, p, strlen(p)) || put_size(t, (size_t)t->attrs[i].uri))
            return -1;
    }
    for (i = 0; i < natts; i++) {
        const attr_t *a = &t->attrs[i];
        if (!a->xmlns && (put_str(t, atts[2 * i], strlen(atts[2 * i])) || put_size(t, a->plen) ||
                          put_size(t, (size_t)a->uri) || put_str(t, a->value, a->vlen)))
            return -1;
    }
    return 0;
}

/* ---- reader callbacks -------------------------------------------------------------------------- */

/* Binds the start tag's declarations; the number of them, or -1. */
static int declare(wsman_xml_tree_t *t, const char **atts, size_t natts)
{
    int ndecl = 0;

    for (size_t i = 0; i < natts; i++) {
        attr_t *a = &t->attrs[i];
        a->xmlns = is_xmlns(atts[2 * i]);
        if (!a->xmlns)
            continue;
        const char *p = decl_prefix(atts[2 * i]);
        if (strcmp(p, "xmlns") == 0 || (strcmp(p, "xml") == 0 && !(a->vlen == sizeof NS_XML - 1 &&
                                                                   memcmp(a->value, NS_XML, a->vlen) == 0)))
            return wsman_xml_fail(t->r, "reserved prefix '%.100s'", p);
        if (*p && a->vlen == 0)
            return wsman_xml_fail(t->r, "prefix '%.100s' declared empty", p);
        a->uri = a->vlen ? intern_uri(t, a->value, a->vlen) : 0;
        if (a->uri < 0 || ns_bind(t, p, strlen(p), a->uri) != 0)
            return -1;
        ndecl++;
    }
    return ndecl;
}

/* Resolves the prefixes of the attributes that are not declarations; 0 or -1. */
static int resolve_attrs(wsman_xml_tree_t *t, const char **atts, size_t natts)
{
    for (size_t i = 0; i < natts; i++) {
        attr_t *a = &t->attrs[i];
        if (a->xmlns)
            continue;
        if (split_qname(atts[2 * i], &a->plen, &a->lname) != 0)
            return wsman_xml_fail(t->r, "bad qualified name '%.100s'", atts[2 * i]);
        a->llen = strlen(a->lname);
        a->uri = 0;
        if (!a->plen)
            continue;
        a->uri = ns_lookup(t, atts[2 * i], a->plen);
        if (a->uri <= 0)
            return wsman_xml_fail(t->r, "undeclared namespace prefix '%.*s'", clip(a->plen), atts[2 * i]);
        a->ns = t->uribuf.data + t->uris[a->uri].off;
        a->nslen = t->uris[a->uri].len;
    }
    return 0;
}

static int on_start(void *ud, const char *ns, const char *name, const char **atts)
{
    wsman_xml_tree_t *t = ud;
    size_t natts = 0, nbinds = t->nbinds, plen;
    const char *local;
    int oom = 0;

    if (t->depth >= t->max_depth)
        return wsman_xml_fail(t->r, "elements nested deeper than the limit of %d", t->max_depth);
    close_text(t);
    while (atts[2 * natts])
        natts++;
    attr_t *na = grow(t->attrs, &t->capattrs, natts + 1, sizeof *na);
    if (!na)
        return -1;
    t->attrs = na;
    if (natts && attr_values(t, atts, natts) != 0)
        return -1;
    int ndecl = declare(t, atts, natts);
    if (ndecl < 0)
        return -1;
    if (split_qname(name, &plen, &local) != 0)
        return wsman_xml_fail(t->r, "bad qualified name '%.100s'", name);
    int uri = ns_lookup(t, name, plen);
    if (plen && uri <= 0)
        return wsman_xml_fail(t->r, "undeclared namespace prefix '%.*s'", clip(plen), name);
    if (resolve_attrs(t, atts, natts) != 0)
        return -1;
    const attr_t *dup = duplicate_attr(t, natts, &oom);
    if (oom)
        return -1;
    if (dup)
        return wsman_xml_fail(t->r, "duplicate attribute '%.100s'", atts[2 * (size_t)(dup - t->attrs)]);
    if (log_start(t, name, plen, uri > 0 ? uri : 0, atts, natts, (size_t)ndecl) != 0)
        return -1;
    t->frames[t->depth++] = nbinds;
    return 0;
}

static int on_end(void *ud, const char *ns, const char *name)
{
    wsman_xml_tree_t *t = ud;

    close_text(t);
    if (put_kind(t, EV_END) != 0)
        return -1;
    unbind_to(t, t->frames[--t->depth]);
    return 0;
}

static int on_text(void *ud, const char *s, size_t len)
{
    wsman_xml_tree_t *t = ud;
    size_t at, cnt;

    if (len == 1 && *s == '\n' && wsman_xml_span(t->r, &at, &cnt) == 0 && at < t->len && t->doc[at] == '\r') {
        /* a line end: Expat reports CR LF and a lone CR as LF, this reader keeps them */
        s = "\r\n";
        len = cnt == 2 ? 2 : 1;
    }
    return open_text(t) != 0 || wsman_buf_append(&t->log, s, len) != 0 ? -1 : 0;
}

/* A CDATA section is a text of its own, "" when empty; comments and PIs cut the text. */
static int on_mark(void *ud, wsman_xml_mark_t mark, const char *target)
{
    wsman_xml_tree_t *t = ud;

    if (mark == WSMAN_XML_MARK_PI && (unsigned char)target[0] >= 0x80)
        return wsman_xml_fail(t->r, "bad processing instruction");
    close_text(t);
    if (mark == WSMAN_XML_MARK_CDATA_START && open_text(t) != 0)
        return -1;
    return 0;
}

/* ---- input ---------------------------------------------------------------------------------- */

static uint32_t utf16_unit(const unsigned char *s, int big)
{
    return big ? (uint32_t)(s[0] << 8 | s[1]) : (uint32_t)(s[1] << 8 | s[0]);
}

/* UTF-16 after a BOM (big: FE FF) as UTF-8 in t->u8; 0, or -1 with e set. */
static int from_utf16(wsman_xml_tree_t *t, const unsigned char *s, size_t len, int big, wsman_error_t *e)
{
    if (len % 2) {
        wsman_error_set(e, WSMAN_E_INVALID_XML, "the document is not valid UTF-16 (odd length)");
        return -1;
    }
    if (wsman_buf_reserve(&t->u8, len / 2 * 3 + 1) != 0) {
        wsman_error_oom(e, "reading the document");
        return -1;
    }
    for (size_t i = 2; i < len; i += 2) {
        uint32_t u = utf16_unit(s + i, big);
        if (u >= 0xD800 && u <= 0xDFFF) {
            uint32_t v = u <= 0xDBFF && i + 3 < len ? utf16_unit(s + i + 2, big) : 0;
            if (v < 0xDC00 || v > 0xDFFF) {
                wsman_error_set(e, WSMAN_E_INVALID_XML,
                                "the document is not valid UTF-16 (lone surrogate) at offset %zu", i);
                return -1;
            }
            u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
            i += 2;
        }
        wsman_buf_put_utf8(&t->u8, u); /* room reserved */
    }
    t->doc = t->u8.data;
    t->len = t->u8.len;
    return 0;
}

/* The text to read: doc, or doc from UTF-16 after a BOM; NULs at the start refused (Expat would
 * take "<\0" or "\0<" for UTF-16). 0, or -1 with e set. */
static int take_input(wsman_xml_tree_t *t, const char *doc, size_t len, wsman_error_t *e)
{
    const unsigned char *u = (const unsigned char *)doc;

    t->doc = doc;
    t->len = len;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)) &&
        from_utf16(t, u, len, u[0] == 0xFE, e) != 0)
        return -1;
    for (size_t i = 0; i < 2 && i < t->len; i++)
        if (!t->doc[i]) {
            wsman_error_set(e, WSMAN_E_INVALID_XML,
                            "control character 0x00 is not allowed in XML at offset %zu", i);
            return -1;
        }
    if (t->len > UINT32_MAX - 1) {
        wsman_error_set(e, WSMAN_E_INVALID_XML, "the document is larger than 4 GiB");
        return -1;
    }
    return 0;
}

/* The tables before the first element: xml: and xmlns: bound. 0 or -1 (out of memory). */
static int prepare(wsman_xml_tree_t *t)
{
    static const wsman_xml_handler_t h = {on_start, on_end, on_text, on_mark};
    wsman_xml_limits_t lim = {0};

    lim.max_bytes = t->len ? t->len : 1;
    lim.max_depth = t->max_depth + 1; /* this file says when it is too deep */
    t->text_at = NO_TEXT;
    t->seed = (uint32_t)(uintptr_t)t ^ 2166136261u;
    t->frames = malloc(((size_t)t->max_depth + 1) * sizeof *t->frames);
    t->nslots = FIRST_SLOTS;
    t->slots = malloc(t->nslots * sizeof *t->slots);
    t->r = wsman_xml_new_mode(&lim, "document", &h, t,
                              WSMAN_XML_RAW_NAMES | WSMAN_XML_AS_UTF8 | WSMAN_XML_AT_OFFSET);
    if (!t->frames || !t->slots || !t->r ||
        wsman_buf_reserve(&t->log, (t->len < (1u << 20) ? t->len : (1u << 20)) * 3 / 2 + 64) != 0)
        return -1;
    for (size_t i = 0; i < t->nslots; i++)
        t->slots[i] = -1;
    if (intern_uri(t, NS_XML, sizeof NS_XML - 1) != URI_NS_XML ||
        intern_uri(t, NS_XMLNS, sizeof NS_XMLNS - 1) != URI_NS_XMLNS ||
        ns_bind(t, "xml", 3, URI_NS_XML) != 0 || ns_bind(t, "xmlns", 5, URI_NS_XMLNS) != 0)
        return -1;
    return 0;
}

/* ---- public ------------------------------------------------------------------------------------ */

wsman_xml_tree_t *wsman_xml_tree_parse(const char *doc, size_t len, int max_depth, wsman_error_t *e)
{
    wsman_xml_tree_t *t = calloc(1, sizeof *t);

    if (!t) {
        wsman_error_oom(e, "reading the document");
        return NULL;
    }
    t->max_depth = max_depth > 0 ? max_depth : DEFAULT_MAX_DEPTH;
    if (take_input(t, doc, len, e) != 0) {
        wsman_xml_tree_free(t);
        return NULL;
    }
    if (prepare(t) != 0) {
        wsman_xml_tree_free(t);
        wsman_error_oom(e, "reading the document");
        return NULL;
    }
    if (wsman_xml_feed(t->r, t->doc, t->len, 1, e) != 0) {
        wsman_xml_tree_free(t);
        return NULL;
    }
    wsman_xml_free(t->r);
    t->r = NULL;
    t->at = 0;
    return t;
}

static size_t get_size(wsman_xml_tree_t *t)
{
    uint32_t n;
    memcpy(&n, t->log.data + t->at, sizeof n);
    t->at += sizeof n;
    return n;
}

static const char *get_str(wsman_xml_tree_t *t, size_t *n)
{
    const char *s;
    *n = get_size(t);
    s = t->log.data + t->at;
    t->at += *n;
    return s;
}

/* The declarations and attributes of a start record into the walking arrays; 0 or -1. */
static int read_start(wsman_xml_tree_t *t, wsman_xml_event_t *ev)
{
    wsman_xml_decl_t *d = grow(t->decls, &t->capdecls, ev->ndecl, sizeof *d);
    if (ev->ndecl && !d)
        return -1;
    t->decls = d;
    wsman_xml_tree_attr_t *a = grow(t->tattrs, &t->captattrs, ev->nattr, sizeof *a);
    if (ev->nattr && !a)
        return -1;
    t->tattrs = a;
    for (size_t i = 0; i < ev->ndecl; i++) {
        d[i].prefix = get_str(t, &d[i].plen);
        d[i].ns = get_size(t);
    }
    for (size_t i = 0; i < ev->nattr; i++) {
        a[i].name = get_str(t, &a[i].len);
        a[i].plen = get_size(t);
        a[i].ns = get_size(t);
        a[i].value = get_str(t, &a[i].vlen);
    }
    ev->decls = d;
    ev->attrs = a;
    return 0;
}

int wsman_xml_tree_next(wsman_xml_tree_t *t, wsman_xml_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    if (t->at >= t->log.len)
        return 0;
    char kind = t->log.data[t->at++];
    if (kind == EV_END) {
        ev->kind = WSMAN_XML_EV_END;
        return 0;
    }
    if (kind == EV_TEXT) {
        ev->kind = WSMAN_XML_EV_TEXT;
        ev->name = get_str(t, &ev->len);
        return 0;
    }
    ev->kind = WSMAN_XML_EV_START;
    ev->name = get_str(t, &ev->len);
    ev->plen = get_size(t);
    ev->ns = get_size(t);
    ev->ndecl = get_size(t);
    ev->nattr = get_size(t);
    if (read_start(t, ev) != 0) {
        memset(ev, 0, sizeof *ev);
        return -1;
    }
    return 0;
}

size_t wsman_xml_tree_namespaces(const wsman_xml_tree_t *t)
{
    return (size_t)t->nuris;
}

const char *wsman_xml_tree_namespace(const wsman_xml_tree_t *t, size_t i, size_t *len)
{
    if (i < 1 || i > (size_t)t->nuris) {
        *len = 0;
        return NULL;
    }
    *len = t->uris[i].len;
    return t->uribuf.data + t->uris[i].off;
}

void wsman_xml_tree_free(wsman_xml_tree_t *t)
{
    if (!t)
        return;
    wsman_xml_free(t->r);
    wsman_buf_free(&t->u8);
    free(t->frames);
    free(t->prefixes);
    free(t->slots);
    free(t->binds);
    free(t->uris);
    free(t->attrs);
    wsman_buf_free(&t->keys);
    wsman_buf_free(&t->uribuf);
    wsman_buf_free(&t->scratch);
    wsman_buf_free(&t->log);
    free(t->decls);
    free(t->tattrs);
    free(t);
}
