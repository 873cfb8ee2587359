/* SPDX-License-Identifier: MIT */
/*
 * testenv.c - a Lua module for the specs only (not installed): setenv/unsetenv, which Lua lacks,
 * and the C heap in use (malloc's own count: the core's allocations are invisible to Lua's
 * collectgarbage("count")).
 * The Kerberos specs start a throwaway KDC (spec/kdc/start) and point this process at it
 * (KRB5_CONFIG, KRB5CCNAME, ...) before the first Kerberos call; the simulators they start
 * inherit the same environment.
 *
 *   local env = require "testenv"
 *   env.setenv("KRB5_CONFIG", path)    env.setenv("KRB5CCNAME", nil) -- unset
 *   env.heap_in_use()   -- bytes malloc (or ASan's allocator) has handed out and not got back;
 *                       -- nil when no count is kept
 */
#include <lauxlib.h>
#include <lua.h>
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

int luaopen_testenv(lua_State *L);

static int l_setenv(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    int rc = lua_isnoneornil(L, 2) ? unsetenv(name) : setenv(name, luaL_checkstring(L, 2), 1);
    lua_pushboolean(L, rc == 0);
    return 1;
}

static int l_heap_in_use(lua_State *L)
{
    /* under ASan, malloc is the sanitizer's: ask it (the symbol exists only there) */
    size_t (*sanitizer_bytes)(void) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "__sanitizer_get_current_allocated_bytes");
    struct mallinfo2 mi = mallinfo2();
    size_t used = mi.uordblks + mi.hblkhd;
    memcpy(&sanitizer_bytes, &sym, sizeof sym); /* object pointer to function pointer, as POSIX allows */
    if (sanitizer_bytes)
        used = sanitizer_bytes();
    if (used == 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)used);
    return 1;
}

int luaopen_testenv(lua_State *L)
{
    static const luaL_Reg fns[] = {{"setenv", l_setenv}, {"heap_in_use", l_heap_in_use}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
