/* SPDX-License-Identifier: MIT */
/*
 * psobject.c - the CLIXML object model and decoder (see psobject.h); the encoder is in
 * psobject_write.c.
 *
 * Decoding runs on the bounded Expat reader (xmlread.c): every element pushes a frame, text
 * goes to one buffer (only leaf elements have text), and a finished value is handed to the
 * frame below it (the document's list, an object's base value, a property set, a collection or
 * a dictionary entry). Objects are allocated when their <Obj> starts so that a <Ref> inside
 * them can name an ancestor.
 */
#include "psobject.h"
#include "protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    ARENA_BLOCK = 64 * 1024,
    ARENA_ALIGN = 16,
    DEFAULT_MAX_DEPTH = 512,
    MAX_REFID_TEXT = 20,
};

static const struct {
    const char *element;
    const char *name;
} kinds[WSMAN_PS_KIND_COUNT] = {
    [WSMAN_PS_NIL] = {"Nil", "Null"},
    [WSMAN_PS_STRING] = {"S", "String"},
    [WSMAN_PS_CHAR] = {"C", "Char"},
    [WSMAN_PS_BOOL] = {"B", "Boolean"},
    [WSMAN_PS_DATETIME] = {"DT", "DateTime"},
    [WSMAN_PS_TIMESPAN] = {"TS", "TimeSpan"},
    [WSMAN_PS_UINT8] = {"By", "Byte"},
    [WSMAN_PS_INT8] = {"SB", "SByte"},
    [WSMAN_PS_UINT16] = {"U16", "UInt16"},
    [WSMAN_PS_INT16] = {"I16", "Int16"},
    [WSMAN_PS_UINT32] = {"U32", "UInt32"},
    [WSMAN_PS_INT32] = {"I32", "Int32"},
    [WSMAN_PS_UINT64] = {"U64", "UInt64"},
    [WSMAN_PS_INT64] = {"I64", "Int64"},
    [WSMAN_PS_SINGLE] = {"Sg", "Single"},
    [WSMAN_PS_DOUBLE] = {"Db", "Double"},
    [WSMAN_PS_DECIMAL] = {"D", "Decimal"},
    [WSMAN_PS_BYTES] = {"BA", "ByteArray"},
    [WSMAN_PS_GUID] = {"G", "Guid"},
    [WSMAN_PS_URI] = {"URI", "Uri"},
    [WSMAN_PS_VERSION] = {"Version", "Version"},
    [WSMAN_PS_XML] = {"XD", "XmlDocument"},
    [WSMAN_PS_SCRIPTBLOCK] = {"SBK", "ScriptBlock"},
    [WSMAN_PS_SECURESTRING] = {"SS", "SecureString"},
    [WSMAN_PS_OBJECT] = {"Obj", "Object"},
};

const char *wsman_pskind_element(wsman_pskind_t k)
{
    return (unsigned)k < WSMAN_PS_KIND_COUNT ? kinds[k].element : NULL;
}

const char *wsman_pskind_name(wsman_pskind_t k)
{
    return (unsigned)k < WSMAN_PS_KIND_COUNT ? kinds[k].name : NULL;
}

int wsman_pskind_lookup(const char *name)
{
    int k;

    for (k = 0; name && k < WSMAN_PS_KIND_COUNT; k++)
        if (strcmp(name, kinds[k].element) == 0 || strcmp(name, kinds[k].name) == 0)
            return k;
    return -1;
}

/* ---- the document arena --------------------------------------------------------------- */

typedef struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(ARENA_ALIGN) unsigned char data[];
} block_t;

struct wsman_psdoc {
    block_t *blocks;
    wsman_buf_t roots; /* wsman_psvalue_t * */
};

static void *arena_alloc(wsman_psdoc_t *d, size_t n)
{
    block_t *b = d->blocks;
    void *p;

    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        block_t *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->cap = cap;
        nb->used = 0;
        if (b && n > ARENA_BLOCK) { /* a large piece: keep filling the current block afterwards */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            d->blocks = nb;
        }
        b = nb;
    }
    p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

static char *arena_strndup(wsman_psdoc_t *d, const char *s, size_t len)
{
    char *p = arena_alloc(d, len + 1);

    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static void *arena_copy(wsman_psdoc_t *d, const void *src, size_t len)
{
    void *p = len ? arena_alloc(d, len) : NULL;

    if (p)
        memcpy(p, src, len);
    return p;
}

wsman_psdoc_t *wsman_psdoc_new(void)
{
    wsman_psdoc_t *d = calloc(1, sizeof *d);

    if (d)
        wsman_buf_init(&d->roots);
    return d;
}

void wsman_psdoc_free(wsman_psdoc_t *d)
{
    block_t *b, *n;

    if (!d)
        return;
    for (b = d->blocks; b; b = n) {
        n = b->next;
        free(b);
    }
    wsman_buf_free(&d->roots);
    free(d);
}

size_t wsman_psdoc_count(const wsman_psdoc_t *d)
{
    return d ? d->roots.len / sizeof(wsman_psvalue_t *) : 0;
}

wsman_psvalue_t *wsman_psdoc_value(const wsman_psdoc_t *d, size_t i)
{
    wsman_psvalue_t *v;

    if (i >= wsman_psdoc_count(d))
        return NULL;
    memcpy(&v, d->roots.data + i * sizeof v, sizeof v);
    return v;
}

int wsman_psdoc_add(wsman_psdoc_t *d, wsman_psvalue_t *v)
{
    return wsman_buf_append(&d->roots, &v, sizeof v);
}

/* ---- building ------------------------------------------------------------------------- */

wsman_psvalue_t *wsman_psvalue_new(wsman_psdoc_t *d, wsman_pskind_t kind, const char *text, size_t len)
{
    wsman_psvalue_t *v = arena_alloc(d, sizeof *v);

    if (!v)
        return NULL;
    v->kind = kind;
    if (kind != WSMAN_PS_OBJECT && kind != WSMAN_PS_NIL) {
        if (!(v->text = arena_strndup(d, text ? text : "", text ? len : 0)))
            return NULL;
        v->len = text ? len : 0;
    }
    return v;
}

int wsman_psvalue_set_types(wsman_psdoc_t *d, wsman_psvalue_t *obj, const char *const *names, size_t n)
{
    wsman_pstypes_t *t = arena_alloc(d, sizeof *t);
    const char **copy = arena_alloc(d, (n ? n : 1) * sizeof *copy);
    size_t i;

    if (!t || !copy)
        return -1;
    for (i = 0; i < n; i++)
        if (!(copy[i] = arena_strndup(d, names[i], strlen(names[i]))))
            return -1;
    t->names = copy;
    t->count = n;
    obj->types = t;
    return 0;
}

void wsman_psvalue_share_types(wsman_psvalue_t *obj, const wsman_psvalue_t *from)
{
    obj->types = from->types;
}

int wsman_psvalue_set_to_string(wsman_psdoc_t *d, wsman_psvalue_t *obj, const char *s, size_t len)
{
    obj->to_string = s ? arena_strndup(d, s, len) : NULL;
    return s && !obj->to_string ? -1 : 0;
}

int wsman_psvalue_set_stream(wsman_psdoc_t *d, wsman_psvalue_t *v, const char *stream)
{
    v->stream = stream ? arena_strndup(d, stream, strlen(stream)) : NULL;
    return stream && !v->stream ? -1 : 0;
}

int wsman_psvalue_set_items(wsman_psdoc_t *d, wsman_psvalue_t *obj, wsman_pscoll_t coll,
                            wsman_psvalue_t *const *items, size_t n)
{
    obj->coll = coll;
    obj->nitems = n;
    obj->items = arena_copy(d, items, n * sizeof *items);
    return n && !obj->items ? -1 : 0;
}

int wsman_psvalue_set_props(wsman_psdoc_t *d, wsman_psvalue_t *obj, int extended, const wsman_psprop_t *props,
                            size_t n)
{
    wsman_psprop_t *p = n ? arena_alloc(d, n * sizeof *p) : NULL;
    size_t i;

    if (n && !p)
        return -1;
    for (i = 0; i < n; i++) {
        p[i].value = props[i].value;
        if (!(p[i].name = arena_strndup(d, props[i].name, strlen(props[i].name))))
            return -1;
    }
    if (extended) {
        obj->extended = p;
        obj->nextended = n;
    } else {
        obj->adapted = p;
        obj->nadapted = n;
    }
    return 0;
}

wsman_psvalue_t *wsman_psvalue_prop(const wsman_psvalue_t *obj, const char *name)
{
    size_t i;

    if (!obj || obj->kind != WSMAN_PS_OBJECT)
        return NULL;
    for (i = 0; i < obj->nadapted; i++)
        if (strcasecmp(obj->adapted[i].name, name) == 0)
            return obj->adapted[i].value;
    for (i = 0; i < obj->nextended; i++)
        if (strcasecmp(obj->extended[i].name, name) == 0)
            return obj->extended[i].value;
    return NULL;
}

/* ---- decoding ------------------------------------------------------------------------- */

typedef enum frame_kind {
    FR_OBJS,     /* <Objs>: the document's list */
    FR_PRIM,     /* a primitive: text */
    FR_OBJ,      /* <Obj> */
    FR_REF,      /* <Ref>: its value is known at the start */
    FR_TN,       /* <TN>: <T> names */
    FR_T,        /* <T>: text */
    FR_TNREF,    /* <TNRef>: empty */
    FR_TOSTRING, /* <ToString>: text */
    FR_PROPS,    /* <Props> or <MS>: named values */
    FR_COLL,     /* <LST> <IE> <STK> <QUE>: values */
    FR_DCT,      /* <DCT>: <En> entries */
    FR_EN,       /* <En>: Key and Value */
    FR_PR,       /* <PR>: a progress record's fields (stderr CLIXML) */
    FR_PRFIELD,  /* one field of it: text */
} frame_kind_t;

typedef struct frame {
    frame_kind_t kind;
    wsman_pskind_t prim;    /* FR_PRIM, FR_PRFIELD */
    int extended;           /* FR_PROPS: <MS> */
    wsman_pscoll_t coll;    /* FR_COLL, FR_DCT */
    const char *name;       /* N attribute (decoded, in the document's arena), or NULL */
    char *stream;           /* S attribute, or NULL */
    char *refid;            /* FR_TN: RefId */
    wsman_psvalue_t *value; /* FR_OBJ, FR_REF, FR_PR: the value; FR_EN: the key */
    int have_key, have_value;
    wsman_buf_t vec; /* children: wsman_psvalue_t * or wsman_psprop_t or const char * */
} frame_t;

typedef struct ref {
    unsigned long id;
    void *ptr;
} ref_t;

typedef struct parser {
    wsman_xml_t *x;
    wsman_psdoc_t *doc;
    frame_t *frames;
    size_t nframes, cap;
    wsman_buf_t text;
    wsman_buf_t scratch; /* unescaping */
    wsman_buf_t objrefs; /* ref_t: RefId -> wsman_psvalue_t * */
    wsman_buf_t tnrefs;  /* ref_t: RefId -> wsman_pstypes_t * */
} parser_t;

static frame_t *top(parser_t *p)
{
    return p->nframes ? &p->frames[p->nframes - 1] : NULL;
}

#define FRAMES_FIRST 16 /* nesting room made the first time */

/* The text s with its _xHHHH_ escapes decoded, in the document's arena; NULL when out of memory. */
static char *arena_unescaped(parser_t *p, const char *s, size_t len)
{
    if (!memchr(s, '_', len))
        return arena_strndup(p->doc, s, len);
    wsman_buf_reset(&p->scratch);
    if (wsman_ps_unescape(&p->scratch, s, len) != 0)
        return NULL;
    return arena_strndup(p->doc, p->scratch.data ? p->scratch.data : "", p->scratch.len);
}

static frame_t *push(parser_t *p, frame_kind_t kind, const char *name)
{
    frame_t *f;

    frame_t *grown = wsman_array_grow(p->frames, &p->cap, p->nframes, sizeof *p->frames, FRAMES_FIRST);
    if (!grown)
        return NULL;
    p->frames = grown;
    f = &p->frames[p->nframes++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    wsman_buf_init(&f->vec);
    if (name && !(f->name = arena_unescaped(p, name, strlen(name)))) {
        p->nframes--;
        return NULL;
    }
    return f;
}

static void frame_clear(frame_t *f)
{
    free(f->stream);
    free(f->refid);
    wsman_buf_free(&f->vec);
}

static void pop(parser_t *p)
{
    frame_clear(&p->frames[--p->nframes]);
}

static int parse_refid(parser_t *p, const char *s, unsigned long *id)
{
    char *end = NULL;

    errno = 0;
    *id = s && *s && strlen(s) <= MAX_REFID_TEXT ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || errno || !end || *end || *s == '-' || *s == '+')
        return wsman_xml_fail(p->x, "CLIXML: RefId \"%s\" is not a number", s ? s : "");
    return 0;
}

/* Index of the id in a ref list: refs are numbered from 0 in order, so try that slot first. */
static void *ref_find(const wsman_buf_t *refs, unsigned long id)
{
    const ref_t *r = (const ref_t *)refs->data;
    size_t n = refs->len / sizeof *r, i;

    if (id < n && r[id].id == id)
        return r[id].ptr;
    for (i = 0; i < n; i++)
        if (r[i].id == id)
            return r[i].ptr;
    return NULL;
}

static int ref_add(parser_t *p, wsman_buf_t *refs, const char *refid, void *ptr)
{
    ref_t r;

    if (!refid)
        return 0;
    if (parse_refid(p, refid, &r.id) != 0)
        return -1;
    r.ptr = ptr;
    return wsman_buf_append(refs, &r, sizeof r);
}

/* Hands a finished value (named by its N attribute) to the frame below. */
static int give(parser_t *p, wsman_psvalue_t *v, const char *name)
{
    frame_t *f = top(p);

    if (!f || f->kind == FR_OBJS)
        return wsman_psdoc_add(p->doc, v);
    switch (f->kind) {
    case FR_OBJ:
        if (f->value->base)
            return wsman_xml_fail(p->x, "CLIXML: an object wraps more than one value");
        f->value->base = v;
        return 0;
    case FR_PROPS: {
        wsman_psprop_t prop;
        if (!name)
            return wsman_xml_fail(p->x, "CLIXML: a property has no N attribute");
        prop.name = name;
        prop.value = v;
        return wsman_buf_append(&f->vec, &prop, sizeof prop);
    }
    case FR_COLL:
        return wsman_buf_append(&f->vec, &v, sizeof v);
    case FR_EN:
        if (name && strcmp(name, "Key") == 0 && !f->have_key) {
            f->have_key = 1;
            f->value = v;
            return wsman_buf_append(&f->vec, &v, sizeof v);
        }
        if (name && strcmp(name, "Value") == 0 && !f->have_value) {
            f->have_value = 1;
            return wsman_buf_append(&f->vec, &v, sizeof v);
        }
        return wsman_xml_fail(
            p->x, "CLIXML: a dictionary entry holds a value named \"%s\", not one Key and one Value",
            name ? name : "");
    default:
        return wsman_xml_fail(p->x, "CLIXML: a value is not allowed here");
    }
}

/* The kind of a value's element name (exact case), or -1. */
static int element_kind(const char *local)
{
    int k;

    for (k = 0; k < WSMAN_PS_KIND_COUNT; k++)
        if (kinds[k].element[0] == local[0] && strcmp(local, kinds[k].element) == 0)
            return k;
    return -1;
}

/* Element names that are values anywhere a value may stand. */
static int start_value(parser_t *p, const char *local, const char **atts)
{
    const char *n = wsman_xml_attr(p->x, atts, NULL, "N");
    const char *refid = wsman_xml_attr(p->x, atts, NULL, "RefId");
    const char *stream = wsman_xml_attr(p->x, atts, NULL, "S");
    int k = element_kind(local);
    frame_t *f;

    if (strcmp(local, "Ref") == 0) {
        unsigned long id;
        void *v;
        if (parse_refid(p, refid, &id) != 0)
            return -1;
        if (!(v = ref_find(&p->objrefs, id)))
            return wsman_xml_fail(p->x, "CLIXML: <Ref RefId=\"%s\"> names no earlier object", refid);
        if (!(f = push(p, FR_REF, n)))
            return -1;
        f->value = v;
        return 0;
    }
    if (strcmp(local, "PR") == 0) {
        if (!(f = push(p, FR_PR, n)) || !(f->value = wsman_psvalue_new(p->doc, WSMAN_PS_OBJECT, NULL, 0)))
            return -1;
        return 0;
    }
    if (k < 0)
        return wsman_xml_fail(p->x, "CLIXML: unknown element <%s>", local);
    if (k == WSMAN_PS_OBJECT) {
        if (!(f = push(p, FR_OBJ, n)) || !(f->value = wsman_psvalue_new(p->doc, WSMAN_PS_OBJECT, NULL, 0)))
            return -1;
        if (wsman_psvalue_set_stream(p->doc, f->value, stream) != 0)
            return -1;
        return ref_add(p, &p->objrefs, refid, f->value);
    }
    if (!(f = push(p, FR_PRIM, n)))
        return -1;
    if (stream && !(f->stream = wsman_strdup(stream)))
        return -1;
    f->prim = (wsman_pskind_t)k;
    wsman_buf_reset(&p->text);
    return 0;
}

static const struct {
    const char *element;
    wsman_pscoll_t coll;
} colls[] = {
    {"LST", WSMAN_PS_COLL_LIST},  {"IE", WSMAN_PS_COLL_ENUM},  {"STK", WSMAN_PS_COLL_STACK},
    {"QUE", WSMAN_PS_COLL_QUEUE}, {"DCT", WSMAN_PS_COLL_DICT},
};

/* The parts of an <Obj>. */
static int start_obj_part(parser_t *p, frame_t *obj, const char *local, const char **atts)
{
    const char *refid = wsman_xml_attr(p->x, atts, NULL, "RefId");
    frame_t *f;
    size_t i;

    if (strcmp(local, "TN") == 0) {
        if (!(f = push(p, FR_TN, NULL)))
            return -1;
        return refid && !(f->refid = wsman_strdup(refid)) ? -1 : 0;
    }
    if (strcmp(local, "TNRef") == 0) {
        unsigned long id;
        const wsman_pstypes_t *t;
        if (parse_refid(p, refid, &id) != 0)
            return -1;
        if (!(t = ref_find(&p->tnrefs, id)))
            return wsman_xml_fail(p->x, "CLIXML: <TNRef RefId=\"%s\"> names no earlier <TN>", refid);
        obj->value->types = t;
        return push(p, FR_TNREF, NULL) ? 0 : -1;
    }
    if (strcmp(local, "ToString") == 0) {
        wsman_buf_reset(&p->text);
        return push(p, FR_TOSTRING, NULL) ? 0 : -1;
    }
    if (strcmp(local, "Props") == 0 || strcmp(local, "MS") == 0) {
        if (!(f = push(p, FR_PROPS, NULL)))
            return -1;
        f->extended = local[0] == 'M';
        return 0;
    }
    for (i = 0; i < sizeof colls / sizeof colls[0]; i++) {
        if (strcmp(local, colls[i].element) == 0) {
            if (obj->value->coll != WSMAN_PS_COLL_NONE)
                return wsman_xml_fail(p->x, "CLIXML: an object holds more than one collection");
            if (!(f = push(p, colls[i].coll == WSMAN_PS_COLL_DICT ? FR_DCT : FR_COLL, NULL)))
                return -1;
            f->coll = colls[i].coll;
            return 0;
        }
    }
    return start_value(p, local, atts);
}

static int on_start(void *ud, const char *ns, const char *local, const char **atts)
{
    parser_t *p = ud;
    frame_t *f = top(p);

    (void)ns;
    if (!f && strcmp(local, "Objs") == 0)
        return push(p, FR_OBJS, NULL) ? 0 : -1;
    if (!f || f->kind == FR_OBJS || f->kind == FR_PROPS || f->kind == FR_COLL || f->kind == FR_EN)
        return start_value(p, local, atts);
    switch (f->kind) {
    case FR_OBJ:
        return start_obj_part(p, f, local, atts);
    case FR_TN:
        if (strcmp(local, "T") != 0)
            break;
        wsman_buf_reset(&p->text);
        return push(p, FR_T, NULL) ? 0 : -1;
    case FR_DCT:
        if (strcmp(local, "En") != 0)
            break;
        return push(p, FR_EN, NULL) ? 0 : -1;
    case FR_PR: {
        frame_t *field;
        if (!(field = push(p, FR_PRFIELD, strcmp(local, "Nil") == 0 ? "CO" : local)))
            return -1;
        field->prim = strcmp(local, "Nil") == 0 ? WSMAN_PS_NIL
                      : (strcmp(local, "AI") == 0 || strcmp(local, "PI") == 0 || strcmp(local, "PC") == 0 ||
                         strcmp(local, "SR") == 0)
                          ? WSMAN_PS_INT32
                          : WSMAN_PS_STRING;
        wsman_buf_reset(&p->text);
        return 0;
    }
    default:
        break;
    }
    return wsman_xml_fail(p->x, "CLIXML: <%s> is not allowed here", local);
}

static int on_text(void *ud, const char *s, size_t len)
{
    parser_t *p = ud;
    frame_t *f = top(p);

    if (f && (f->kind == FR_PRIM || f->kind == FR_T || f->kind == FR_TOSTRING || f->kind == FR_PRFIELD))
        return wsman_buf_append(&p->text, s, len);
    return 0;
}

/* A primitive's value from its collected text. */
static wsman_psvalue_t *make_prim(parser_t *p, wsman_pskind_t k)
{
    wsman_buf_t b;
    wsman_psvalue_t *v;
    int rc = 0;

    if (k == WSMAN_PS_NIL || (k != WSMAN_PS_STRING && k != WSMAN_PS_BYTES && k != WSMAN_PS_SCRIPTBLOCK &&
                              k != WSMAN_PS_XML && k != WSMAN_PS_URI))
        return wsman_psvalue_new(p->doc, k, p->text.data, p->text.len);
    wsman_buf_init(&b);
    if (k == WSMAN_PS_BYTES)
        rc = wsman_base64_decode(&b, p->text.data ? p->text.data : "", p->text.len);
    else
        rc = wsman_ps_unescape(&b, p->text.data ? p->text.data : "", p->text.len);
    if (rc != 0) {
        wsman_buf_free(&b);
        if (k == WSMAN_PS_BYTES)
            wsman_xml_fail(p->x, "CLIXML: <BA> is not base64");
        return NULL;
    }
    v = wsman_psvalue_new(p->doc, k, b.data ? b.data : "", b.len);
    wsman_buf_free(&b);
    return v;
}

/* Copies a frame's collected children into its object. */
static int finish_part(parser_t *p, frame_t *f, wsman_psvalue_t *obj)
{
    switch (f->kind) {
    case FR_PROPS:
        return wsman_psvalue_set_props(p->doc, obj, f->extended, (const wsman_psprop_t *)f->vec.data,
                                       f->vec.len / sizeof(wsman_psprop_t));
    case FR_COLL:
    case FR_DCT:
        return wsman_psvalue_set_items(p->doc, obj, f->coll, (wsman_psvalue_t *const *)f->vec.data,
                                       f->vec.len / sizeof(wsman_psvalue_t *));
    case FR_TN: {
        wsman_pstypes_t *t;
        if (wsman_psvalue_set_types(p->doc, obj, (const char *const *)f->vec.data,
                                    f->vec.len / sizeof(char *)) != 0)
            return -1;
        t = (wsman_pstypes_t *)obj->types;
        return ref_add(p, &p->tnrefs, f->refid, t);
    }
    default:
        return 0;
    }
}

static int end_part(parser_t *p, frame_t *f, frame_t *below)
{
    switch (f->kind) {
    case FR_T: {
        char *s = arena_strndup(p->doc, p->text.data ? p->text.data : "", p->text.len);
        return s ? wsman_buf_append(&below->vec, &s, sizeof s) : -1;
    }
    case FR_TOSTRING: {
        wsman_buf_t b;
        int rc;
        wsman_buf_init(&b);
        rc = wsman_ps_unescape(&b, p->text.data ? p->text.data : "", p->text.len);
        if (rc == 0)
            rc = wsman_psvalue_set_to_string(p->doc, below->value, b.data ? b.data : "", b.len);
        wsman_buf_free(&b);
        return rc;
    }
    case FR_EN:
        if (!f->have_key || !f->have_value)
            return wsman_xml_fail(p->x, "CLIXML: a dictionary entry lacks its %s",
                                  f->have_key ? "Value" : "Key");
        return wsman_buf_append(&below->vec, f->vec.data, f->vec.len);
    case FR_PRFIELD: {
        wsman_psprop_t prop;
        if (!(prop.value = make_prim(p, f->prim)))
            return -1;
        prop.name = f->name;
        return wsman_buf_append(&below->vec, &prop, sizeof prop);
    }
    default:
        return finish_part(p, f, below->value);
    }
}

static int on_end(void *ud, const char *ns, const char *local)
{
    parser_t *p = ud;
    frame_t *f = top(p), *below = p->nframes > 1 ? &p->frames[p->nframes - 2] : NULL;
    wsman_psvalue_t *v = NULL;
    const char *name;
    int rc = 0;

    (void)ns;
    (void)local;
    switch (f->kind) {
    case FR_OBJS:
    case FR_TNREF:
        break;
    case FR_PRIM:
        rc = (v = make_prim(p, f->prim)) ? 0 : -1;
        if (v && wsman_psvalue_set_stream(p->doc, v, f->stream) != 0)
            rc = -1;
        break;
    case FR_OBJ:
    case FR_REF:
        v = f->value;
        break;
    case FR_PR: {
        static const char *const pr_type[] = {"System.Management.Automation.ProgressRecord"};
        v = f->value;
        rc = finish_part(p, &(frame_t){.kind = FR_PROPS, .extended = 1, .vec = f->vec}, v);
        if (rc == 0)
            rc = wsman_psvalue_set_types(p->doc, v, pr_type, 1);
        break;
    }
    default:
        rc = end_part(p, f, below);
        break;
    }
    if (rc != 0 || !v) {
        pop(p);
        return rc;
    }
    name = f->name;
    pop(p);
    return rc ? rc : give(p, v, name);
}

wsman_psdoc_t *wsman_psdoc_parse(const char *xml, size_t len, int max_depth, wsman_error_t *e)
{
    static const wsman_xml_handler_t h = {on_start, on_end, on_text, NULL};
    wsman_xml_limits_t lim;
    parser_t p;
    int rc;

    memset(&p, 0, sizeof p);
    memset(&lim, 0, sizeof lim);
    lim.max_bytes = len + 16;
    lim.max_depth = max_depth > 0 ? max_depth : DEFAULT_MAX_DEPTH;
    wsman_xml_limits_fill(&lim);
    wsman_buf_init(&p.text);
    wsman_buf_init(&p.scratch);
    wsman_buf_init(&p.objrefs);
    wsman_buf_init(&p.tnrefs);
    p.doc = wsman_psdoc_new();
    p.x = p.doc ? wsman_xml_new(&lim, "CLIXML", &h, &p) : NULL;
    if (!p.x) {
        wsman_error_oom(e, "decoding CLIXML");
        wsman_psdoc_free(p.doc);
        return NULL;
    }
    rc = wsman_xml_feed(p.x, xml ? xml : "", xml ? len : 0, 1, e);
    while (p.nframes)
        pop(&p);
    free(p.frames);
    wsman_xml_free(p.x);
    wsman_buf_free(&p.text);
    wsman_buf_free(&p.scratch);
    wsman_buf_free(&p.objrefs);
    wsman_buf_free(&p.tnrefs);
    if (rc != 0) {
        wsman_psdoc_free(p.doc);
        return NULL;
    }
    return p.doc;
}
