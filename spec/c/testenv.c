/*
 * testenv.c - a Lua module for the specs only (not installed): setenv/unsetenv, which Lua lacks.
 * The Kerberos specs start a throwaway KDC (spec/kdc/start) and point this process at it
 * (KRB5_CONFIG, KRB5CCNAME, ...) before the first Kerberos call; the simulators they start
 * inherit the same environment.
 *
 *   local env = require "testenv"
 *   env.setenv("KRB5_CONFIG", path)    env.setenv("KRB5CCNAME", nil) -- unset
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>

int luaopen_testenv(lua_State *L);

static int l_setenv(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    int rc = lua_isnoneornil(L, 2) ? unsetenv(name) : setenv(name, luaL_checkstring(L, 2), 1);
    lua_pushboolean(L, rc == 0);
    return 1;
}

int luaopen_testenv(lua_State *L)
{
    static const luaL_Reg fns[] = {{"setenv", l_setenv}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
