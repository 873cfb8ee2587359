/* SPDX-License-Identifier: MIT */
/*
 * lutil.c - member dispatch for the COM-like classes, suggestions for misspelt members,
 * argument conversion.
 */
#include "lutil.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const lw_member *find_member(const lw_member *m, const char *key)
{
    for (; m->name; m++)
        if (strcmp(m->name, key) == 0)
            return m;
    return NULL;
}

static int ci_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* Levenshtein distance, case-insensitive, bounded to short names. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            cur[j] = best;
        }
        memcpy(prev, cur, sizeof(size_t) * (lb + 1));
    }
    return prev[lb];
}

static void consider(const char *key, const char *name, const char **best, size_t *best_d)
{
    size_t d = ci_equal(key, name) ? 0 : edit_distance(key, name);
    if (d < *best_d) {
        *best_d = d;
        *best = name;
    }
}

const char *lw_suggest(const char *key, const lw_member *members, const char *extra_names[])
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (const lw_member *m = members; m && m->name; m++)
        consider(key, m->name, &best, &best_d);
    for (size_t i = 0; extra_names && extra_names[i]; i++)
        consider(key, extra_names[i], &best, &best_d);
    size_t len = strlen(key);
    size_t limit = len < 6 ? 2 : len / 3 + 1;
    return best && best_d <= limit ? best : NULL;
}

int lw_unknown_member(lua_State *L, const char *display, const lw_member *members, const char *key,
                      const char *extra_names[])
{
    const char *s = lw_suggest(key, members, extra_names);
    if (s)
        return luaL_error(
            L, "%s has no member '%s'; did you mean '%s'? (member names are case-sensitive in Lua)", display,
            key, s);
    return luaL_error(L, "%s has no member '%s'", display, key);
}

size_t lw_string_keys(lua_State *L, int idx, const char **names, size_t max)
{
    size_t n = 0;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING && n < max)
            names[n++] = lua_tostring(L, -1); /* anchored by the table */
    }
    names[n] = NULL;
    return n;
}

/* Unknown member: the suggestion also considers the methods added to the class's method table
 * from Lua (the wsman facade's session:get, sh:run_cmd, ...). */
static int unknown_member(lua_State *L, const lw_class *cls, const char *key, int methods)
{
    const char *names[LW_MAX_NAMES + 1];
    lw_string_keys(L, methods, names, LW_MAX_NAMES);
    return lw_unknown_member(L, cls->display, cls->members, key, names);
}

static int class_index(lua_State *L)
{
    const lw_class *cls = lua_touserdata(L, lua_upvalueindex(1));
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "%s members are named by strings, got %s", cls->display, luaL_typename(L, 2));
    const char *key = lua_tostring(L, 2);
    /* methods are cached in upvalue 2 */
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    const lw_member *m = find_member(cls->members, key);
    if (m && m->get) {
        lua_settop(L, 2);
        return lw_task_call(L, m->get);
    }
    if (m && m->set)
        return luaL_error(L, "%s.%s is write-only: it can be set but not read", cls->display, key);
    return unknown_member(L, cls, key, lua_upvalueindex(2));
}

static int class_newindex(lua_State *L)
{
    const lw_class *cls = lua_touserdata(L, lua_upvalueindex(1));
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "%s members are named by strings, got %s", cls->display, luaL_typename(L, 2));
    const char *key = lua_tostring(L, 2);
    const lw_member *m = find_member(cls->members, key);
    if (m && m->set) {
        lua_settop(L, 3);
        return m->set(L), 0;
    }
    if (m && m->method)
        return luaL_error(L, "%s.%s is a method and cannot be assigned", cls->display, key);
    if (m)
        return luaL_error(L, "%s.%s is read-only", cls->display, key);
    return lw_unknown_member(L, cls->display, cls->members, key, NULL);
}

void lw_handle_register(lua_State *L, const char *tname, lua_CFunction gc, const luaL_Reg *methods)
{
    luaL_newmetatable(L, tname);
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

void *lw_handle_new(lua_State *L, size_t size, int nuv, const char *tname)
{
    void *p = lua_newuserdatauv(L, size, nuv);
    memset(p, 0, size);
    luaL_setmetatable(L, tname);
    return p;
}

void lw_class_register(lua_State *L, const lw_class *cls, const luaL_Reg *meta)
{
    luaL_newmetatable(L, cls->tname);
    if (meta)
        luaL_setfuncs(L, meta, 0);
    lua_pushstring(L, cls->display);
    lua_setfield(L, -2, "__name");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    /* method cache */
    lua_newtable(L);
    for (const lw_member *m = cls->members; m->name; m++) {
        if (m->method) {
            lw_push_task_method(L, m->method);
            lua_setfield(L, -2, m->name);
        }
    }
    int methods = lua_gettop(L);
    lua_pushvalue(L, methods);
    lua_setfield(L, -3, LW_METHODS_FIELD);
    lua_pushlightuserdata(L, (void *)cls);
    lua_pushvalue(L, methods);
    lua_pushcclosure(L, class_index, 2);
    lua_setfield(L, -3, "__index");
    lua_pop(L, 1); /* methods */
    lua_pushlightuserdata(L, (void *)cls);
    lua_pushcclosure(L, class_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pop(L, 1);
}

const char *lw_nonul(lua_State *L, int idx, const char *s, size_t len, const char *what)
{
    const char *nul = memchr(s, '\0', len);
    if (!nul)
        return s;
    const char *msg = lua_pushfstring(L,
                                      "contains a NUL byte at offset %I; the value would be cut short there "
                                      "(remove the byte)",
                                      (LUAI_UACINT)(nul - s));
    if (what)
        luaL_error(L, "%s %s", what, msg);
    else
        luaL_argerror(L, idx, msg);
    return NULL;
}

const char *lw_checkcstring(lua_State *L, int idx, const char *what)
{
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (!s) {
        if (what)
            luaL_error(L, "%s must be a string, got %s", what, luaL_typename(L, idx));
        luaL_typeerror(L, idx, "string");
    }
    return lw_nonul(L, idx, s, len, what);
}

const char *lw_optcstring(lua_State *L, int idx, const char *def, const char *what)
{
    return lua_isnoneornil(L, idx) ? def : lw_checkcstring(L, idx, what);
}

void lw_push_methods(lua_State *L, const char *tname)
{
    luaL_getmetatable(L, tname);
    lua_getfield(L, -1, LW_METHODS_FIELD);
    lua_remove(L, -2);
}

const char *lw_optstring(lua_State *L, int idx, const char *def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_typeerror(L, idx, "string");
    return lw_checkcstring(L, idx, NULL);
}

uint32_t lw_optflags(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return 0;
    int ok = 0;
    lua_Integer v = lua_tointegerx(L, idx, &ok);
    if (!ok) {
        if (lua_type(L, idx) == LUA_TNUMBER)
            luaL_argerror(L, idx, "flags must be an integer");
        luaL_typeerror(L, idx, "integer flags");
    }
    if (v < INT32_MIN || v > (lua_Integer)UINT32_MAX)
        luaL_argerror(L, idx, "flags out of the 32-bit range");
    return (uint32_t)v;
}

const char *lw_tovariant(lua_State *L, int idx, const char *what)
{
    switch (lua_type(L, idx)) {
    case LUA_TNONE:
    case LUA_TNIL:
        return NULL;
    case LUA_TSTRING:
        return lw_checkcstring(L, idx, what);
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, idx));
        else {
            lua_Number n = lua_tonumber(L, idx);
            if (n == floor(n) && fabs(n) < 1e15)
                lua_pushfstring(L, "%I", (LUAI_UACINT)(lua_Integer)n);
            else
                lua_pushfstring(L, "%f", n);
        }
        lua_replace(L, idx);
        return lua_tostring(L, idx);
    case LUA_TBOOLEAN:
        lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
        lua_replace(L, idx);
        return lua_tostring(L, idx);
    default:
        luaL_argerror(L, idx,
                      lua_pushfstring(L, "%s must be a string, number or boolean, got %s", what,
                                      luaL_typename(L, idx)));
        return NULL;
    }
}

void lw_secure_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}
