/* SPDX-License-Identifier: MIT */
/*
 * lxml.c - WSMan._xml_parse(text [, max_depth [, max_bytes]]): the tree lua/wsman/xml.lua hands
 * out, built from the core's reader (wsman_xml_tree_parse, src/core/protocol/xmltree.c), which does all
 * the reading and checking; this file only turns its events into Lua tables.
 *
 * The tree: an element is a table with `name` (as written), `lname`, `ns` (nil without a
 * namespace), `attrs` (nil, or {name=, lname=, ns=, value=} per attribute, namespace
 * declarations left out), `nsdecl` (nil, or {prefix, uri} per declaration, prefix "" for the
 * default namespace) and its children at 1..n: strings for text, tables for elements.
 *
 * Limits: max_bytes of input (64 MiB) and max_depth levels of elements (256); xml.lua passes
 * its own M.max_bytes and M.max_depth. Errors are raised as "XML: ... at offset N" strings.
 */
#include "lutil.h"

#include <stdlib.h>
#include <string.h>

#define LX_STATE "wsman.xmltree"
#define LX_MAX_DEPTH 256
#define LX_MAX_BYTES ((lua_Integer)64 << 20)
#define LX_DEPTH_CAP 100000 /* largest max_depth accepted (the open elements live on the Lua stack) */
#define LX_STACK_SLACK 16

/* What a parse owns while it builds the tables (freed however the call ends). */
typedef struct lx_state {
    wsman_xml_tree_t *tree;
    lua_Integer *nkids; /* children so far per open element */
} lx_state;

static int state_close(lua_State *L)
{
    lx_state *x = luaL_checkudata(L, 1, LX_STATE);
    wsman_xml_tree_free(x->tree);
    free(x->nkids);
    x->tree = NULL;
    x->nkids = NULL;
    return 0;
}

/* t.name, t.lname and t.ns (ns > 0: from the namespace table at index uris) of the table on the
 * stack top; name and lname are one string when there is no prefix. */
static void set_names(lua_State *L, const char *name, size_t len, size_t plen, int uris, size_t ns)
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
    if (ns) {
        lua_rawgeti(L, uris, (lua_Integer)ns);
        lua_setfield(L, -2, "ns");
    }
}

static void push_decls(lua_State *L, const wsman_xml_event_t *ev, int uris)
{
    lua_createtable(L, (int)ev->ndecl, 0);
    for (size_t i = 0; i < ev->ndecl; i++) {
        const wsman_xml_decl_t *d = &ev->decls[i];
        lua_createtable(L, 2, 0);
        lua_pushlstring(L, d->prefix, d->plen);
        lua_rawseti(L, -2, 1);
        if (d->ns)
            lua_rawgeti(L, uris, (lua_Integer)d->ns);
        else
            lua_pushliteral(L, "");
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_attrs(lua_State *L, const wsman_xml_event_t *ev, int uris)
{
    lua_createtable(L, (int)ev->nattr, 0);
    for (size_t i = 0; i < ev->nattr; i++) {
        const wsman_xml_tree_attr_t *a = &ev->attrs[i];
        lua_createtable(L, 0, 3 + (a->ns != 0));
        set_names(L, a->name, a->len, a->plen, uris, a->ns);
        lua_pushlstring(L, a->value, a->vlen);
        lua_setfield(L, -2, "value");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_element(lua_State *L, const wsman_xml_event_t *ev, int uris)
{
    lua_createtable(L, 0, 2 + (ev->ns != 0) + (ev->ndecl != 0) + (ev->nattr != 0));
    set_names(L, ev->name, ev->len, ev->plen, uris, ev->ns);
    if (ev->ndecl) {
        push_decls(L, ev, uris);
        lua_setfield(L, -2, "nsdecl");
    }
    if (ev->nattr) {
        push_attrs(L, ev, uris);
        lua_setfield(L, -2, "attrs");
    }
}

/* Turns the events into the tree; leaves the root on the stack (the open elements are kept
 * there, the caller has made room for max_depth of them). */
static int build(lua_State *L, lx_state *x, int uris)
{
    wsman_xml_event_t ev;
    int depth = 0;

    for (;;) {
        if (wsman_xml_tree_next(x->tree, &ev) != 0)
            return luaL_error(L, "XML: out of memory");
        switch (ev.kind) {
        case WSMAN_XML_EV_DONE:
            return 1;
        case WSMAN_XML_EV_TEXT:
            if (depth > 0) { /* (there is no text outside the root) */
                lua_pushlstring(L, ev.name, ev.len);
                lua_rawseti(L, -2, ++x->nkids[depth - 1]);
            }
            break;
        case WSMAN_XML_EV_END:
            if (--depth > 0) /* the root stays */
                lua_pop(L, 1);
            break;
        case WSMAN_XML_EV_START:
            push_element(L, &ev, uris);
            if (depth > 0) {
                lua_pushvalue(L, -1);
                lua_rawseti(L, -3, ++x->nkids[depth - 1]);
            }
            x->nkids[depth++] = 0;
            break;
        }
    }
}

int lw_xml_parse(lua_State *L)
{
    size_t len;
    wsman_error_t e;
    lua_Integer max_depth = luaL_optinteger(L, 2, LX_MAX_DEPTH),
                max_bytes = luaL_optinteger(L, 3, LX_MAX_BYTES);

    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "XML: a string is expected, got %s", luaL_typename(L, 1));
    luaL_argcheck(L, max_depth >= 1 && max_depth <= LX_DEPTH_CAP, 2, "max_depth out of range");
    luaL_argcheck(L, max_bytes >= 0, 3, "max_bytes must not be negative");
    const char *s = lua_tolstring(L, 1, &len);
    if ((lua_Unsigned)len > (lua_Unsigned)max_bytes)
        return luaL_error(L, "XML: the document is larger than the limit of %I bytes", max_bytes);
    luaL_checkstack(L, (int)max_depth + LX_STACK_SLACK,
                    "XML: no room on the Lua stack for the element depth limit");
    lua_settop(L, 1);
    lx_state *x = lua_newuserdatauv(L, sizeof *x, 0); /* 2, closed however this function ends */
    memset(x, 0, sizeof *x);
    luaL_setmetatable(L, LX_STATE);
    lua_toclose(L, 2);
    x->nkids = malloc(((size_t)max_depth + 1) * sizeof *x->nkids);
    if (!x->nkids)
        return luaL_error(L, "XML: out of memory");
    wsman_error_init(&e);
    x->tree = wsman_xml_tree_parse(s, len, (int)max_depth, &e);
    if (!x->tree) {
        lua_pushfstring(L, "XML: %s", e.message ? e.message : "out of memory");
        wsman_error_clear(&e);
        return lua_error(L);
    }
    size_t n = wsman_xml_tree_namespaces(x->tree);
    lua_createtable(L, (int)n, 0); /* 3: the namespace names, each one string for the whole tree */
    for (size_t i = 1; i <= n; i++) {
        size_t nl;
        const char *ns = wsman_xml_tree_namespace(x->tree, i, &nl);
        lua_pushlstring(L, ns, nl);
        lua_rawseti(L, 3, (lua_Integer)i);
    }
    return build(L, x, 3);
}

void lw_xml_register(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__close", state_close}, {"__gc", state_close}, {NULL, NULL}};
    luaL_newmetatable(L, LX_STATE);
    luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
}
