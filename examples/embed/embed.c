/* SPDX-License-Identifier: MIT */
/*
 * embed.c - a C host program that embeds Lua 5.4 with lua-wsman built in.
 *
 *   wsman-embed script.lua [args...]
 *
 * The host creates a Lua state, opens the standard libraries, registers the linked-in wsman
 * modules in package.preload (so `require "wsman"`, or "wsman.xml", needs no shared object
 * and no Lua file on disk: the Lua layers are compiled into the binding),
 * passes the arguments as the global `arg` table, and runs the script. A host can do the same
 * with its own scripts and add its own functions next to wsman.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <lwsman.h>

#include <stdio.h>
#include <stdlib.h>

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        /* error objects (tables with __tostring) print through tostring */
        msg = luaL_tolstring(L, 1, NULL);
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s script.lua [args...]\n", argv[0]);
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "%s: cannot create a Lua state (out of memory)\n", argv[0]);
        return 1;
    }
    luaL_openlibs(L);

    /* package.preload.wsman = luaopen_wsman, and likewise wsman.core, wsman.xml, ... */
    lwsman_preload(L);

    lua_createtable(L, argc, 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");

    int status = luaL_loadfile(L, argv[1]);
    if (status == LUA_OK) {
        int base = lua_gettop(L);
        lua_pushcfunction(L, traceback);
        lua_insert(L, base);
        for (int i = 2; i < argc; i++)
            lua_pushstring(L, argv[i]);
        status = lua_pcall(L, argc - 2, 0, base);
        lua_remove(L, base);
    }
    if (status != LUA_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], luaL_tolstring(L, -1, NULL));
        lua_close(L);
        return 1;
    }
    lua_close(L);
    return 0;
}
