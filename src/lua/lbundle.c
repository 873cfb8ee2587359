/* SPDX-License-Identifier: MIT */
/*
 * lbundle.c - luaopen_wsman: the whole module from one shared object.
 *
 * The Lua layers (the lua/wsman files) are compiled into the binding (see lbundle.h). Opening
 * `wsman` registers package.preload entries for wsman.core and each layer, then runs the
 * facade (lua/wsman/init.lua), so `build/wsman.so` alone, or a host program that links the
 * binding statically, gives the whole API with no Lua file on disk. When lua/ is on
 * package.path (the source tree, an installed rock), Lua's own searcher finds the facade there
 * first and the facade finds wsman.core in wsman.so through the all-in-one loader.
 */
#include "lbundle.h"

#include <lauxlib.h>
#include <string.h>

#define FACADE_NAME "wsman"
#define CORE_NAME "wsman.core"

int lw_embedded_open(lua_State *L, const lw_embedded *m)
{
    if (luaL_loadbufferx(L, (const char *)m->text, m->len, m->chunkname, "t") != LUA_OK)
        return luaL_error(L, "cannot load the embedded module %s: %s", m->name, lua_tostring(L, -1));
    lua_pushstring(L, m->name);
    lua_call(L, 1, 1);
    return 1;
}

/* package.preload[name] = f, unless the host program set one already. */
static void preload(lua_State *L, const char *name, lua_CFunction f)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    if (lua_getfield(L, -1, name) == LUA_TNIL) {
        lua_pushcfunction(L, f);
        lua_setfield(L, -3, name);
    }
    lua_pop(L, 2);
}

/* Registers wsman.core and the layers; returns the facade's entry (NULL when not embedded). */
static const lw_embedded *preload_parts(lua_State *L)
{
    const lw_embedded *facade = NULL;
    preload(L, CORE_NAME, luaopen_wsman_core);
    for (const lw_embedded *m = lw_embedded_modules; m->name; m++) {
        if (m->open)
            preload(L, m->name, m->open);
        else if (strcmp(m->name, FACADE_NAME) == 0)
            facade = m;
    }
    return facade;
}

void lwsman_preload(lua_State *L)
{
    preload(L, FACADE_NAME, luaopen_wsman);
    preload_parts(L);
}

int luaopen_wsman(lua_State *L)
{
    const lw_embedded *facade = preload_parts(L);
    if (!facade)
        return luaL_error(L, "wsman: the facade module was not embedded at build time");
    return lw_embedded_open(L, facade);
}
