/* SPDX-License-Identifier: MIT */
/*
 * fuzz_lxml.c - the C XML-to-Lua reader: WSMan._xml_parse (src/lua/lxml.c over the core's
 * xmltree.c) in an embedded Lua state, with depth limits the input chooses. Oracle: a document
 * it accepts gives a root table with a name, and the error of one it refuses is an "XML: "
 * string.
 *
 * Input: byte 0 = max_depth - 1, then the document.
 */
#include "fuzz.h"
#include "lwsman.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static lua_State *state(void)
{
    static lua_State *L;
    if (!L) {
        L = luaL_newstate();
        if (!L)
            abort();
        luaL_openlibs(L);
        luaL_requiref(L, "wsman.core", luaopen_wsman_core, 0);
        lua_getfield(L, -1, "_xml_parse");
        lua_setglobal(L, "parse");
        lua_pop(L, 1);
    }
    return L;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = state();

    if (size < 1)
        return 0;
    lua_getglobal(L, "parse");
    lua_pushlstring(L, (const char *)data + 1, size - 1);
    lua_pushinteger(L, (lua_Integer)data[0] + 1);
    if (lua_pcall(L, 2, 1, 0) == LUA_OK) {
        if (!lua_istable(L, -1) || lua_getfield(L, -1, "name") != LUA_TSTRING)
            abort();
        lua_pop(L, 1);
    } else if (!lua_isstring(L, -1) || strncmp(lua_tostring(L, -1), "XML: ", 5) != 0) {
        fprintf(stderr, "unexpected error: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
