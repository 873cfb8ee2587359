/* SPDX-License-Identifier: MIT */
/*
 * lwsman.h - the entry points of the lua-wsman Lua binding, for C programs that embed Lua.
 *
 *   luaL_openlibs(L);
 *   lwsman_preload(L);        -- now `require "wsman"` (or "wsman.xml", ...) works
 *
 * Link with `pkg-config --libs lua-wsman` (the library lua-wsman-lua holds the binding, its Lua
 * layers embedded, and the C core).
 */
#ifndef LWSMAN_H
#define LWSMAN_H

#include <lua.h>

#if defined(__GNUC__)
#define WSMAN_LUA_API __attribute__((visibility("default")))
#else
#define WSMAN_LUA_API
#endif

/* The whole module (`require "wsman"`): registers package.preload entries for wsman.core and
 * the Lua layers (wsman.results, wsman.tables, ...) where none is set yet, then runs the facade
 * and returns its table. */
WSMAN_LUA_API int luaopen_wsman(lua_State *L);

/* Registers package.preload entries (where none is set yet) for wsman, wsman.core and every
 * Lua layer (wsman.results, wsman.xml, ...), so a script can require any of them first, with
 * no file on disk. Needs the package library (luaL_openlibs). */
WSMAN_LUA_API void lwsman_preload(lua_State *L);

/* The C part alone (`require "wsman.core"`): the COM-like objects, without the members written
 * in Lua. */
WSMAN_LUA_API int luaopen_wsman_core(lua_State *L);

#endif
