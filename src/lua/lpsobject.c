/* SPDX-License-Identifier: MIT */
/*
 * lpsobject.c - PowerShell objects (CLIXML, MS-PSRP 2.2.5) as Lua values, both ways, over the
 * core's decoder and encoder (src/core/psobject.h).
 *
 * Decoded values:
 *   Nil -> nil; String and ByteArray -> string; Boolean -> boolean;
 *   Byte, SByte, (U)Int16, (U)Int32, Int64 -> integer; UInt64 -> integer when it fits;
 *   Single, Double -> float;
 *   anything else (Decimal, DateTime, TimeSpan, Guid, Char, Uri, Version, XmlDocument, ScriptBlock,
 *   SecureString, a UInt64 above math.maxinteger, a number that does not parse) -> a PSValue:
 *   {type = "Decimal", value = "1.5"} (value as serialized; tostring gives it).
 *   With {typed = true} every primitive is a PSValue (Nil: type "Null"), so nothing is lost.
 *   <Obj> -> a PSObject: {type_names = {...}, to_string = "...", value = <the wrapped primitive>,
 *   collection = "List"|"Enumeration"|"Stack"|"Queue" with items = {n = N, ...} or "Dictionary"
 *   with items = {key = value}, adapted = {name = value} (<Props>), extended = {name = value}
 *   (<MS>)}; indexing a PSObject with another key reads its properties (adapted first).
 *   A value with an S attribute (PowerShell's stderr stream: "Error", "progress", ...) that
 *   decodes to a table has it as its stream field.
 *   A <Ref> is the same Lua table as the object it names (cycles included); objects whose type
 *   names are one <TN> (through <TNRef>) share one type_names table.
 *
 * Encoding takes the same shapes back, plus plain Lua values: string -> String, boolean ->
 * Boolean, integer -> Int32 (Int64 outside its range), float -> Double, a table with n or a
 * sequence -> Object[] (LST), any other table -> Hashtable (DCT). A table reached twice is
 * written once and then as <Ref>, a type_names table once and then as <TNRef>.
 */
#include "lutil.h"
#include "psobject.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LW_PSVALUE "wsman.PSValue"
#define LW_PSOBJECT "wsman.PSObject"
#define LW_PSDOC "wsman.PSDoc"

enum {
    MAX_ENCODE_DEPTH = 500,
    NUMBER_TEXT = 64,
    FLOAT_DIGITS_MIN = 15,
    FLOAT_DIGITS_MAX = 17,
};

static const char *const coll_names[] = {
    [WSMAN_PS_COLL_NONE] = NULL,     [WSMAN_PS_COLL_LIST] = "List",   [WSMAN_PS_COLL_ENUM] = "Enumeration",
    [WSMAN_PS_COLL_STACK] = "Stack", [WSMAN_PS_COLL_QUEUE] = "Queue", [WSMAN_PS_COLL_DICT] = "Dictionary",
};

/* The document userdata: freed by __gc (or at once when the conversion is done). */
typedef struct lw_psdoc {
    wsman_psdoc_t *doc;
} lw_psdoc;

static int psdoc_gc(lua_State *L)
{
    lw_psdoc *d = luaL_checkudata(L, 1, LW_PSDOC);
    wsman_psdoc_free(d->doc);
    d->doc = NULL;
    return 0;
}

static lw_psdoc *push_doc(lua_State *L)
{
    lw_psdoc *d = lua_newuserdatauv(L, sizeof *d, 0);
    d->doc = NULL;
    luaL_setmetatable(L, LW_PSDOC);
    return d;
}

/* ---- decoding ------------------------------------------------------------------------- */

typedef struct dec {
    lua_State *L;
    int memo; /* stack index: lightuserdata -> table */
    int typed;
} dec_t;

static void push_value(dec_t *d, const wsman_psvalue_t *v);

static void push_psvalue(lua_State *L, const char *type, const char *text, size_t len)
{
    lua_createtable(L, 0, 2);
    lua_pushstring(L, type);
    lua_setfield(L, -2, "type");
    lua_pushlstring(L, text ? text : "", len);
    lua_setfield(L, -2, "value");
    luaL_setmetatable(L, LW_PSVALUE);
}

/* Integer kinds as integers, floats as floats; 0 when the text does not convert. */
static int push_number(lua_State *L, const wsman_psvalue_t *v)
{
    const char *t = v->text;

    if (v->kind == WSMAN_PS_SINGLE || v->kind == WSMAN_PS_DOUBLE) {
        if (strcmp(t, "NaN") == 0)
            lua_pushnumber(L, (lua_Number)NAN);
        else if (strcmp(t, "INF") == 0 || strcmp(t, "Infinity") == 0)
            lua_pushnumber(L, (lua_Number)HUGE_VAL);
        else if (strcmp(t, "-INF") == 0 || strcmp(t, "-Infinity") == 0)
            lua_pushnumber(L, (lua_Number)-HUGE_VAL);
        else if (!lua_stringtonumber(L, t))
            return 0;
        else if (lua_isinteger(L, -1))
            lua_pushnumber(L, (lua_Number)lua_tointeger(L, -1)), lua_remove(L, -2);
        return 1;
    }
    if (!lua_stringtonumber(L, t))
        return 0;
    if (!lua_isinteger(L, -1)) { /* too large for an integer (a UInt64), or not an integer */
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

static void push_prim(dec_t *d, const wsman_psvalue_t *v)
{
    lua_State *L = d->L;

    if (d->typed) {
        if (v->kind == WSMAN_PS_NIL) {
            lua_createtable(L, 0, 1);
            lua_pushliteral(L, "type");
            lua_pushliteral(L, "Null");
            lua_rawset(L, -3);
            luaL_setmetatable(L, LW_PSVALUE);
        } else
            push_psvalue(L, wsman_pskind_name(v->kind), v->text, v->len);
        return;
    }
    switch (v->kind) {
    case WSMAN_PS_NIL:
        lua_pushnil(L);
        return;
    case WSMAN_PS_STRING:
    case WSMAN_PS_BYTES:
        lua_pushlstring(L, v->text, v->len);
        return;
    case WSMAN_PS_BOOL:
        lua_pushboolean(L, strcmp(v->text, "true") == 0);
        return;
    case WSMAN_PS_UINT8:
    case WSMAN_PS_INT8:
    case WSMAN_PS_UINT16:
    case WSMAN_PS_INT16:
    case WSMAN_PS_UINT32:
    case WSMAN_PS_INT32:
    case WSMAN_PS_UINT64:
    case WSMAN_PS_INT64:
    case WSMAN_PS_SINGLE:
    case WSMAN_PS_DOUBLE:
        if (push_number(L, v))
            return;
        break;
    default:
        break;
    }
    push_psvalue(L, wsman_pskind_name(v->kind), v->text, v->len);
}

static void push_props(dec_t *d, const wsman_psprop_t *p, size_t n, const char *field)
{
    size_t i;

    if (!n)
        return;
    lua_createtable(d->L, 0, (int)n);
    for (i = 0; i < n; i++) {
        push_value(d, p[i].value);
        lua_setfield(d->L, -2, p[i].name);
    }
    lua_setfield(d->L, -2, field);
}

static void push_items(dec_t *d, const wsman_psvalue_t *v)
{
    lua_State *L = d->L;
    size_t i;

    if (v->coll == WSMAN_PS_COLL_NONE)
        return;
    lua_pushstring(L, coll_names[v->coll]);
    lua_setfield(L, -2, "collection");
    if (v->coll == WSMAN_PS_COLL_DICT) {
        lua_createtable(L, 0, (int)(v->nitems / 2));
        for (i = 0; i + 1 < v->nitems; i += 2) {
            push_value(d, v->items[i]);
            if (lua_isnil(L, -1)) { /* a Nil key cannot be a Lua key */
                lua_pop(L, 1);
                continue;
            }
            push_value(d, v->items[i + 1]);
            lua_rawset(L, -3);
        }
    } else {
        lua_createtable(L, (int)v->nitems, 1);
        for (i = 0; i < v->nitems; i++) {
            push_value(d, v->items[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_pushinteger(L, (lua_Integer)v->nitems);
        lua_setfield(L, -2, "n");
    }
    lua_setfield(L, -2, "items");
}

static void push_object(dec_t *d, const wsman_psvalue_t *v)
{
    lua_State *L = d->L;
    size_t i;

    lua_pushlightuserdata(L, (void *)v);
    if (lua_rawget(L, d->memo) != LUA_TNIL)
        return;
    lua_pop(L, 1);
    luaL_checkstack(L, 8, "CLIXML nests too deeply");
    lua_createtable(L, 0, 6);
    lua_pushlightuserdata(L, (void *)v);
    lua_pushvalue(L, -2);
    lua_rawset(L, d->memo);
    if (v->types) { /* one table per <TN>: objects written with <TNRef> share it */
        lua_pushlightuserdata(L, (void *)v->types);
        if (lua_rawget(L, d->memo) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_createtable(L, (int)v->types->count, 0);
            for (i = 0; i < v->types->count; i++) {
                lua_pushstring(L, v->types->names[i]);
                lua_rawseti(L, -2, (lua_Integer)i + 1);
            }
            lua_pushlightuserdata(L, (void *)v->types);
            lua_pushvalue(L, -2);
            lua_rawset(L, d->memo);
        }
        lua_setfield(L, -2, "type_names");
    }
    if (v->to_string) {
        lua_pushstring(L, v->to_string);
        lua_setfield(L, -2, "to_string");
    }
    if (v->base) {
        push_value(d, v->base);
        lua_setfield(L, -2, "value");
    }
    push_items(d, v);
    push_props(d, v->adapted, v->nadapted, "adapted");
    push_props(d, v->extended, v->nextended, "extended");
    luaL_setmetatable(L, LW_PSOBJECT);
}

static void push_value(dec_t *d, const wsman_psvalue_t *v)
{
    if (v->kind == WSMAN_PS_OBJECT)
        push_object(d, v);
    else
        push_prim(d, v);
    if (v->stream && lua_type(d->L, -1) == LUA_TTABLE) { /* stderr CLIXML's S attribute */
        lua_pushstring(d->L, v->stream);
        lua_setfield(d->L, -2, "stream");
    }
}

static int typed_option(lua_State *L, int idx)
{
    int typed = 0;

    if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "typed");
        typed = lua_toboolean(L, -1);
        lua_pop(L, 1);
    } else if (!lua_isnoneornil(L, idx)) {
        luaL_typeerror(L, idx, "table of options");
    }
    return typed;
}

/* WSMan.clixml_decode(xml [, {typed = bool}]) -> {n = N, values...} */
static int l_decode(lua_State *L)
{
    size_t len, i, n;
    const char *xml = luaL_checklstring(L, 1, &len);
    int typed = typed_option(L, 2);
    wsman_error_t e;
    lw_psdoc *doc;
    dec_t d;

    doc = push_doc(L);
    wsman_error_init(&e);
    if (!(doc->doc = wsman_psdoc_parse(xml, len, 0, &e))) {
        wsman_error_context(&e, "DecodeCLIXML", NULL);
        return lw_raise(L, &e);
    }
    lua_newtable(L);
    d.L = L;
    d.memo = lua_gettop(L);
    d.typed = typed;
    n = wsman_psdoc_count(doc->doc);
    lua_createtable(L, (int)n, 1);
    for (i = 0; i < n; i++) {
        push_value(&d, wsman_psdoc_value(doc->doc, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "n");
    wsman_psdoc_free(doc->doc);
    doc->doc = NULL;
    return 1;
}

/* ---- encoding ------------------------------------------------------------------------- */

typedef struct enc {
    lua_State *L;
    wsman_psdoc_t *doc;
    int memo;       /* stack index: table -> lightuserdata */
    int types_memo; /* stack index: type_names table -> lightuserdata of the first object with it */
    int depth;
    const wsman_psvalue_t *array_types, *hashtable_types; /* shared type-name lists */
} enc_t;

static wsman_psvalue_t *to_value(enc_t *c, int idx);

/* t[name] without metamethods (a PSObject's __index reads its properties); pushes it. */
static int rawfield(lua_State *L, int idx, const char *name)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, name);
    return lua_rawget(L, idx);
}

static int oom(lua_State *L)
{
    return luaL_error(L, "out of memory while encoding CLIXML");
}

static wsman_psvalue_t *new_value(enc_t *c, wsman_pskind_t k, const char *text, size_t len)
{
    wsman_psvalue_t *v = wsman_psvalue_new(c->doc, k, text, len);
    if (!v)
        oom(c->L);
    return v;
}

/* The shortest text that reads back as the same double. */
static void format_double(char *out, size_t cap, double x)
{
    int digits;

    if (isnan(x)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(x)) {
        snprintf(out, cap, x > 0 ? "INF" : "-INF");
        return;
    }
    for (digits = FLOAT_DIGITS_MIN; digits <= FLOAT_DIGITS_MAX; digits++) {
        snprintf(out, cap, "%.*g", digits, x);
        if (strtod(out, NULL) == x)
            return;
    }
}

static wsman_psvalue_t *number_value(enc_t *c, int idx)
{
    char t[NUMBER_TEXT];

    if (lua_isinteger(c->L, idx)) {
        lua_Integer i = lua_tointeger(c->L, idx);
        snprintf(t, sizeof t, "%lld", (long long)i);
        return new_value(c, (i >= INT32_MIN && i <= INT32_MAX) ? WSMAN_PS_INT32 : WSMAN_PS_INT64, t,
                         strlen(t));
    }
    format_double(t, sizeof t, (double)lua_tonumber(c->L, idx));
    return new_value(c, WSMAN_PS_DOUBLE, t, strlen(t));
}

/* The stream field of the table at idx as the value's S attribute. */
static void set_stream(enc_t *c, int idx, wsman_psvalue_t *v)
{
    if (rawfield(c->L, idx, "stream") == LUA_TSTRING &&
        wsman_psvalue_set_stream(c->doc, v, lw_checkcstring(c->L, lua_gettop(c->L), "a stream name")) != 0)
        oom(c->L);
    lua_pop(c->L, 1);
}

/* A PSValue table at idx: {type = ..., value = ...}. */
static wsman_psvalue_t *psvalue_value(enc_t *c, int idx)
{
    lua_State *L = c->L;
    const char *type, *text;
    char t[NUMBER_TEXT];
    size_t len = 0;
    int k;

    rawfield(L, idx, "type");
    type = lua_tostring(L, -1);
    k = type && strcmp(type, "Null") == 0 ? WSMAN_PS_NIL : wsman_pskind_lookup(type);
    if (k < 0 || k == WSMAN_PS_OBJECT)
        luaL_error(L, "CLIXML: PSValue type '%s' is not a primitive type name", type ? type : "(none)");
    rawfield(L, idx, "value");
    if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1)) {
        format_double(t, sizeof t, (double)lua_tonumber(L, -1));
        text = t;
        len = strlen(t);
    } else if (lua_type(L, -1) == LUA_TBOOLEAN) {
        text = lua_toboolean(L, -1) ? "true" : "false";
        len = strlen(text);
    } else {
        text = lua_tolstring(L, -1, &len);
    }
    if (!text && k != WSMAN_PS_NIL)
        luaL_error(L, "CLIXML: PSValue of type '%s' has no value", type);
    wsman_psvalue_t *v = new_value(c, (wsman_pskind_t)k, text, len);
    lua_pop(L, 2);
    set_stream(c, idx, v);
    return v;
}

/* Reads the type_names array of the table at idx into obj's type names; a type_names table met
 * before is shared with the first object that had it (written once, then as <TNRef>). */
static void set_type_names(enc_t *c, int idx, wsman_psvalue_t *obj)
{
    lua_State *L = c->L;
    const char *names[64];
    size_t n = 0;

    if (rawfield(L, idx, "type_names") == LUA_TTABLE) {
        lua_pushvalue(L, -1);
        if (lua_rawget(L, c->types_memo) == LUA_TLIGHTUSERDATA) { /* written once, then <TNRef> */
            wsman_psvalue_share_types(obj, lua_touserdata(L, -1));
            lua_pop(L, 2);
            return;
        }
        lua_pop(L, 1);
        for (n = 0; n < sizeof names / sizeof names[0]; n++) {
            lua_rawgeti(L, -1, (lua_Integer)n + 1);
            if (!(names[n] = lua_isstring(L, -1) ? lw_checkcstring(L, lua_gettop(L), "a type name") : NULL)) {
                lua_pop(L, 1);
                break;
            }
            lua_pop(L, 1); /* the string stays alive in the type_names table */
        }
        if (wsman_psvalue_set_types(c->doc, obj, names, n) != 0)
            oom(L);
        lua_pushvalue(L, -1);
        lua_pushlightuserdata(L, obj);
        lua_rawset(L, c->types_memo);
    }
    lua_pop(L, 1);
}

/* Number of pairs of the table at idx (string keys only when strings_only). */
static size_t count_pairs(lua_State *L, int idx, int strings_only)
{
    size_t n = 0;

    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n += !strings_only || lua_type(L, -2) == LUA_TSTRING;
        lua_pop(L, 1);
    }
    return n;
}

/* Scratch memory that the garbage collector frees (a Lua error may leave at any point). */
static void *scratch(lua_State *L, size_t n, size_t size)
{
    return lua_newuserdatauv(L, n ? n * size : 1, 0);
}

static int prop_cmp(const void *a, const void *b)
{
    return strcmp(((const wsman_psprop_t *)a)->name, ((const wsman_psprop_t *)b)->name);
}

/* Properties from the table at field of the table at idx, sorted by name. */
static void set_props(enc_t *c, int idx, const char *field, wsman_psvalue_t *obj, int extended)
{
    lua_State *L = c->L;
    wsman_psprop_t *props;
    size_t n, k = 0;
    int t;

    if (rawfield(L, idx, field) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    t = lua_gettop(L);
    n = count_pairs(L, t, 1);
    props = scratch(L, n, sizeof *props);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) == LUA_TSTRING && k < n) {
            props[k].name = lw_checkcstring(L, lua_gettop(L) - 1, "a property name");
            props[k].value = to_value(c, lua_gettop(L));
            k++;
        }
        lua_pop(L, 1);
    }
    qsort(props, k, sizeof *props, prop_cmp); /* a stable text whatever the table's order */
    if (wsman_psvalue_set_props(c->doc, obj, extended, props, k) != 0)
        oom(L);
    lua_pop(L, 2);
}

static int entry_cmp(const void *a, const void *b)
{
    const wsman_psvalue_t *const *x = a, *const *y = b;
    return strcmp(x[0]->text, y[0]->text);
}

/* Dictionary entries in key order when every key is a string (a stable text whatever the table's
 * order). */
static void sort_entries(wsman_psvalue_t **items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (items[2 * i]->kind != WSMAN_PS_STRING)
            return;
    qsort(items, n, 2 * sizeof *items, entry_cmp);
}

/* Items of a list (1..n, nil as Nil) or a dictionary (every pair) at idx into obj. */
static void set_items(enc_t *c, int idx, wsman_psvalue_t *obj, wsman_pscoll_t coll)
{
    lua_State *L = c->L;
    wsman_psvalue_t **items;
    lua_Integer n, i;
    size_t k = 0;

    if (coll == WSMAN_PS_COLL_DICT) {
        n = (lua_Integer)count_pairs(L, idx, 0);
        items = scratch(L, (size_t)n * 2, sizeof *items);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            if (k + 1 < (size_t)n * 2) {
                items[k++] = to_value(c, lua_gettop(L) - 1);
                items[k++] = to_value(c, lua_gettop(L));
            }
            lua_pop(L, 1);
        }
        sort_entries(items, k / 2);
    } else {
        rawfield(L, idx, "n");
        n = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : (lua_Integer)lua_rawlen(L, idx);
        lua_pop(L, 1);
        if (n < 0)
            n = 0;
        items = scratch(L, (size_t)n, sizeof *items);
        for (i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            items[k++] = to_value(c, lua_gettop(L));
            lua_pop(L, 1);
        }
    }
    if (wsman_psvalue_set_items(c->doc, obj, coll, items, k) != 0)
        oom(L);
    lua_pop(L, 1);
}

static wsman_pscoll_t coll_of(const char *name)
{
    int k;

    for (k = WSMAN_PS_COLL_LIST; name && k <= WSMAN_PS_COLL_DICT; k++)
        if (strcmp(name, coll_names[k]) == 0)
            return (wsman_pscoll_t)k;
    return WSMAN_PS_COLL_NONE;
}

/* A PSObject table at idx. */
static void fill_psobject(enc_t *c, int idx, wsman_psvalue_t *obj)
{
    lua_State *L = c->L;
    const char *s;
    size_t len;

    set_type_names(c, idx, obj);
    rawfield(L, idx, "to_string");
    if ((s = lua_tolstring(L, -1, &len)) && wsman_psvalue_set_to_string(c->doc, obj, s, len) != 0)
        oom(L);
    lua_pop(L, 1);
    if (rawfield(L, idx, "value") != LUA_TNIL)
        obj->base = to_value(c, lua_gettop(L));
    lua_pop(L, 1);
    rawfield(L, idx, "collection");
    s = lua_tostring(L, -1);
    if (s && coll_of(s) == WSMAN_PS_COLL_NONE)
        luaL_error(L, "CLIXML: collection '%s' is not List, Enumeration, Stack, Queue or Dictionary", s);
    if (s) {
        if (rawfield(L, idx, "items") == LUA_TTABLE)
            set_items(c, lua_gettop(L), obj, coll_of(s));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    set_props(c, idx, "adapted", obj, 0);
    set_props(c, idx, "extended", obj, 1);
    set_stream(c, idx, obj);
}

/* A plain table: an Object[] when it is a sequence (or has n), else a Hashtable. */
static void fill_plain(enc_t *c, int idx, wsman_psvalue_t *obj)
{
    static const char *const array_names[] = {"System.Object[]", "System.Array", "System.Object"};
    static const char *const hash_names[] = {"System.Collections.Hashtable", "System.Object"};
    lua_State *L = c->L;
    int list;

    rawfield(L, idx, "n");
    list = lua_isinteger(L, -1) || lua_rawlen(L, idx) > 0;
    lua_pop(L, 1);
    if (!list) {
        lua_pushnil(L);
        list = !lua_next(L, idx); /* an empty table is an empty array */
        if (!list)
            lua_pop(L, 2);
    }
    const wsman_psvalue_t **shared = list ? &c->array_types : &c->hashtable_types;
    if (*shared)
        wsman_psvalue_share_types(obj, *shared);
    else if (wsman_psvalue_set_types(c->doc, obj, list ? array_names : hash_names, list ? 3 : 2) != 0)
        oom(L);
    *shared = obj;
    set_items(c, idx, obj, list ? WSMAN_PS_COLL_LIST : WSMAN_PS_COLL_DICT);
}

static wsman_psvalue_t *table_value(enc_t *c, int idx)
{
    lua_State *L = c->L;
    wsman_psvalue_t *obj;
    int is_psvalue, is_psobject;

    lua_pushvalue(L, idx);
    if (lua_rawget(L, c->memo) == LUA_TLIGHTUSERDATA) {
        obj = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return obj;
    }
    lua_pop(L, 1);
    is_psvalue = is_psobject = 0;
    if (lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, LW_PSVALUE);
        is_psvalue = lua_rawequal(L, -1, -2);
        luaL_getmetatable(L, LW_PSOBJECT);
        is_psobject = lua_rawequal(L, -1, -3);
        lua_pop(L, 3);
    }
    if (is_psvalue)
        return psvalue_value(c, idx);
    if (++c->depth > MAX_ENCODE_DEPTH)
        luaL_error(L, "CLIXML: values nest deeper than %d tables", MAX_ENCODE_DEPTH);
    luaL_checkstack(L, 8, "CLIXML: values nest too deeply");
    obj = new_value(c, WSMAN_PS_OBJECT, NULL, 0);
    lua_pushvalue(L, idx);
    lua_pushlightuserdata(L, obj);
    lua_rawset(L, c->memo);
    if (is_psobject)
        fill_psobject(c, idx, obj);
    else
        fill_plain(c, idx, obj);
    c->depth--;
    return obj;
}

static wsman_psvalue_t *to_value(enc_t *c, int idx)
{
    lua_State *L = c->L;
    const char *s;
    size_t len;

    switch (lua_type(L, idx)) {
    case LUA_TNIL:
    case LUA_TNONE:
        return new_value(c, WSMAN_PS_NIL, NULL, 0);
    case LUA_TBOOLEAN:
        return new_value(c, WSMAN_PS_BOOL, lua_toboolean(L, idx) ? "true" : "false",
                         lua_toboolean(L, idx) ? 4 : 5);
    case LUA_TNUMBER:
        return number_value(c, idx);
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        return new_value(c, WSMAN_PS_STRING, s, len);
    case LUA_TTABLE:
        return table_value(c, idx);
    default:
        luaL_error(L, "CLIXML: a %s cannot be serialized", luaL_typename(L, idx));
        return NULL;
    }
}

/* WSMan.clixml_encode(value [, {objs = bool, name = string}]) -> xml */
static int l_encode(lua_State *L)
{
    lw_psdoc *doc;
    enc_t c;
    wsman_buf_t out;
    wsman_psvalue_t *v;
    const char *name = NULL;
    int objs = 0, rc;

    luaL_checkany(L, 1);
    lua_settop(L, 2);
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "objs");
        objs = lua_toboolean(L, -1);
        lua_getfield(L, 2, "name");
        name = lua_isstring(L, -1) ? lw_checkcstring(L, lua_gettop(L), "option name") : NULL;
        lua_pop(L, 1); /* name stays referenced by the options table */
        lua_pop(L, 1);
    } else if (!lua_isnil(L, 2)) {
        return luaL_typeerror(L, 2, "table of options");
    }
    doc = push_doc(L);
    if (!(doc->doc = wsman_psdoc_new()))
        return oom(L);
    lua_newtable(L);
    lua_newtable(L);
    memset(&c, 0, sizeof c);
    c.L = L;
    c.doc = doc->doc;
    c.memo = lua_gettop(L) - 1;
    c.types_memo = lua_gettop(L);
    if (objs) {
        lua_Integer n, i;
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_getfield(L, 1, "n");
        n = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : (lua_Integer)lua_rawlen(L, 1);
        lua_pop(L, 1);
        for (i = 1; i <= n; i++) {
            lua_rawgeti(L, 1, i);
            if (wsman_psdoc_add(c.doc, to_value(&c, lua_gettop(L))) != 0)
                return oom(L);
            lua_pop(L, 1);
        }
    } else {
        v = to_value(&c, 1);
        if (wsman_psdoc_add(c.doc, v) != 0)
            return oom(L);
    }
    wsman_buf_init(&out);
    rc = objs ? wsman_psdoc_write_objs(&out, c.doc)
              : wsman_psvalue_write(&out, wsman_psdoc_value(c.doc, 0), name);
    if (rc != 0) {
        wsman_buf_free(&out);
        return luaL_error(L, "CLIXML: out of memory or values nest too deeply");
    }
    lua_pushlstring(L, out.data ? out.data : "", out.len);
    wsman_buf_free(&out);
    wsman_psdoc_free(doc->doc);
    doc->doc = NULL;
    return 1;
}

/***
PowerShell objects as Lua values (CLIXML, MS-PSRP 2.2.5), both ways, on the core's decoder and
encoder. The mapping is in this file's header comment and in README.md ("PowerShell objects").
@module wsman.clixml
*/

/***
Decodes CLIXML: the children of `<Objs>`, or the one root value of a PSRP message.
@function WSMan.clixml_decode
@tparam string xml the document (UTF-8, BOM allowed)
@tparam[opt] table opts `typed = true`: every primitive as a PSValue, so nothing is lost
@treturn table `{n = N, ...}` the values
@raise an error object (code 0x80338043 and the line) when the document is not CLIXML
*/

/***
Encodes a Lua value as CLIXML.
@function WSMan.clixml_encode
@param value a string, boolean, number, PSValue, PSObject, plain table (sequence: Object[],
 else Hashtable) or nil
@tparam[opt] table opts `objs = true`: value is a list written as an `<Objs>` document;
 `name`: the N attribute of the root element
@treturn string the XML
*/

/***
A typed primitive.
@function WSMan.ps_value
@tparam string type a .NET name ("Int64", "Decimal", "Guid", "ByteArray", "SecureString", ...), an
 element name ("I64") or "Null"
@param value its text (numbers and booleans are formatted)
@treturn table a PSValue `{type =, value =}`
*/

/***
Makes t a PSObject (type_names, to_string, value, collection + items, adapted, extended).
@function WSMan.ps_object
@tparam[opt] table t the fields
@treturn table t
*/

/***
The fields of a DateTime.
@function WSMan.ps_datetime
@param value a DateTime PSValue, or its text
@treturn table `{year, month, day, hour, minute, second, ticks (the fraction of the second in
 100 ns), kind = "Utc" | "Local" | "Unspecified", offset (minutes east of UTC) and time (seconds
 since 1970-01-01 UTC) when the kind is not Unspecified}`, or nil and a message
*/

/***
The length of a TimeSpan.
@function WSMan.ps_timespan
@param value a TimeSpan PSValue, or its text (an xs:duration)
@treturn table `{ticks (100 ns, exact), total_seconds, days, hours, minutes, seconds, fraction
 (ticks)}` (each component carries the sign, as .NET's TimeSpan), or nil and a message
*/

/***
The character of a Char.
@function WSMan.ps_char
@param value a Char PSValue, or its text (the UTF-16 code unit)
@treturn string the character in UTF-8 (a lone surrogate half as U+FFFD), or nil and a message
*/

/* ---- constructors and metatables ------------------------------------------------------ */

/* WSMan.ps_value(type, value) -> PSValue */
static int l_ps_value(lua_State *L)
{
    const char *type = lw_checkcstring(L, 1, NULL);
    int k = strcmp(type, "Null") == 0 ? WSMAN_PS_NIL : wsman_pskind_lookup(type);

    if (k < 0 || k == WSMAN_PS_OBJECT)
        return luaL_argerror(L, 1, "not a CLIXML primitive type (String, Int32, Int64, Decimal, Guid, ...)");
    lua_createtable(L, 0, 2);
    lua_pushstring(L, k == WSMAN_PS_NIL ? "Null" : wsman_pskind_name((wsman_pskind_t)k));
    lua_setfield(L, -2, "type");
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "value");
    luaL_setmetatable(L, LW_PSVALUE);
    return 1;
}

/* WSMan.ps_object(t) -> t as a PSObject */
static int l_ps_object(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setmetatable(L, LW_PSOBJECT);
    return 1;
}

static int psvalue_tostring(lua_State *L)
{
    lua_getfield(L, 1, "value");
    if (lua_isnil(L, -1))
        lua_pushliteral(L, "");
    luaL_tolstring(L, -1, NULL);
    return 1;
}

static int psvalue_eq(lua_State *L)
{
    int eq;

    lua_getfield(L, 1, "type");
    lua_getfield(L, 2, "type");
    eq = lua_rawequal(L, -1, -2);
    lua_getfield(L, 1, "value");
    lua_getfield(L, 2, "value");
    lua_pushboolean(L, eq && lua_compare(L, -1, -2, LUA_OPEQ));
    return 1;
}

/* obj.Name: its adapted property, else its extended one. */
static int psobject_index(lua_State *L)
{
    static const char *const sets[] = {"adapted", "extended"};
    size_t i;

    for (i = 0; i < 2; i++) {
        if (rawfield(L, 1, sets[i]) == LUA_TTABLE) {
            lua_pushvalue(L, 2);
            if (lua_rawget(L, -2) != LUA_TNIL)
                return 1;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int psobject_tostring(lua_State *L)
{
    if (rawfield(L, 1, "to_string") == LUA_TSTRING)
        return 1;
    if (rawfield(L, 1, "type_names") == LUA_TTABLE && lua_rawgeti(L, -1, 1) == LUA_TSTRING)
        return 1;
    lua_pushliteral(L, "PSObject");
    return 1;
}

void lw_psobject_register(lua_State *L)
{
    static const luaL_Reg docmeta[] = {{"__gc", psdoc_gc}, {"__close", psdoc_gc}, {NULL, NULL}};
    static const luaL_Reg valmeta[] = {{"__tostring", psvalue_tostring}, {"__eq", psvalue_eq}, {NULL, NULL}};
    static const luaL_Reg objmeta[] = {
        {"__index", psobject_index}, {"__tostring", psobject_tostring}, {NULL, NULL}};

    luaL_newmetatable(L, LW_PSDOC);
    luaL_setfuncs(L, docmeta, 0);
    lua_pop(L, 1);
    luaL_newmetatable(L, LW_PSVALUE);
    luaL_setfuncs(L, valmeta, 0);
    lua_pop(L, 1);
    luaL_newmetatable(L, LW_PSOBJECT);
    luaL_setfuncs(L, objmeta, 0);
    lua_pop(L, 1);
}

void lw_psobject_fields(lua_State *L)
{
    static const luaL_Reg fns[] = {{"clixml_decode", l_decode},
                                   {"clixml_encode", l_encode},
                                   {"ps_value", l_ps_value},
                                   {"ps_object", l_ps_object},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
