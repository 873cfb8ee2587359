/* SPDX-License-Identifier: MIT */
/*
 * lbundle.h - the Lua modules embedded in the binding at build time (tools/embed_lua.py
 * writes lw_embedded_modules from the lua/wsman files; lbundle.c loads them).
 */
#ifndef LWSMAN_BUNDLE_H
#define LWSMAN_BUNDLE_H

#include "lwsman.h"

#include <stddef.h>

typedef struct lw_embedded {
    const char *name;          /* "wsman.results"; "wsman" is the facade */
    const char *chunkname;     /* "@lua/wsman/results.lua", as error messages show it */
    const unsigned char *text; /* the Lua source */
    size_t len;
    lua_CFunction open; /* luaopen_wsman_results; NULL for the facade (luaopen_wsman) */
} lw_embedded;

/* Terminated by an entry whose name is NULL. */
extern const lw_embedded lw_embedded_modules[];

/* Runs the module's chunk with its name as argument (as require does); pushes its value. */
int lw_embedded_open(lua_State *L, const lw_embedded *m);

#endif
