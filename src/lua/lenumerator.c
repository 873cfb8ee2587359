/* SPDX-License-Identifier: MIT */
/*
 * lenumerator.c - Enumerator (IWSManEnumerator).
 *
 *   ReadItem()      -> XML of the next item; Pulls the next batch only when needed
 *   AtEndOfStream   -> true when no items are left (field)
 *   Error           -> XML of the last failure (field)
 * Dropping an Enumerator before its end releases the server's enumeration context: at once
 * with `local e <close> = ...`, else after garbage collection (queued, sent before the
 * session's next request, never from inside the collector).
 */
#include "lutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct lw_enum {
    wsman_enum_t *en;
    char *error;
} lw_enum;

static lw_enum *check(lua_State *L)
{
    return luaL_checkudata(L, 1, LW_ENUMERATOR);
}

static int m_readitem(lua_State *L)
{
    lw_enum *x = check(L);
    if (!x->en)
        return luaL_error(L, "Enumerator is closed");
    wsman_buf_t out;
    wsman_buf_init(&out);
    wsman_error_t e;
    wsman_error_init(&e);
    int rc = wsman_enum_next(x->en, &out, &e);
    if (rc < 0) {
        wsman_buf_free(&out);
        free(x->error);
        x->error = e.fault_xml ? strdup(e.fault_xml) : NULL;
        return lw_raise(L, &e);
    }
    if (rc == 0) {
        wsman_buf_free(&out);
        wsman_error_set(&e, WSMAN_E_NO_MORE_ITEMS,
                        "ReadItem was called after the end of the enumeration; check AtEndOfStream first");
        wsman_error_context(&e, "ReadItem", NULL);
        free(x->error);
        x->error = e.fault_xml ? strdup(e.fault_xml) : NULL;
        return lw_raise(L, &e);
    }
    lua_pushlstring(L, out.data, out.len);
    wsman_buf_free(&out);
    return 1;
}

/* AtEndOfStream: true when no item is left. When the local batch is used up but the server has
 * not said EndOfSequence, this Pulls (a server may end a batch early), so that
 * `while not e.AtEndOfStream do e:ReadItem() end` never reads past the end. */
static int get_eos(lua_State *L)
{
    lw_enum *x = check(L);
    if (!x->en) {
        lua_pushboolean(L, 1);
        return 1;
    }
    wsman_error_t e;
    wsman_error_init(&e);
    int rc = wsman_enum_fetch(x->en, &e);
    if (rc < 0) {
        free(x->error);
        x->error = e.fault_xml ? strdup(e.fault_xml) : NULL;
        return lw_raise(L, &e);
    }
    lua_pushboolean(L, rc == 0);
    return 1;
}

static int get_error(lua_State *L)
{
    lw_enum *x = check(L);
    lua_pushstring(L, x->error ? x->error : "");
    return 1;
}

/***
The items of an enumeration (`IWSManEnumerator`), from `Session:Enumerate`.

Items come in batches of `session.BatchItems`; the next batch is pulled only when the current
one is used up. Dropping an enumerator before its end releases the host's enumeration: at
once with `local e <close> = ...`, else after collection (queued and sent before the
session's next request, never from inside the collector).

    local e <close> = session:Enumerate("wmicimv2/Win32_Service")
    while not e.AtEndOfStream do print(e:ReadItem()) end

@classmod Enumerator
*/

/***
The next item.
@function Enumerator:ReadItem
@treturn string the item's XML (an instance, an EPR, or both as the flags asked)
@raise an error object when the Pull fails, or when no item is left
*/

/***
True when no item is left (read-only; it may pull to know).
@field Enumerator.AtEndOfStream
*/

/***
The fault XML of the last failure, `""` otherwise (read-only).
@field Enumerator.Error
*/

/* ReadItem and AtEndOfStream send a Pull only when the local batch is used up. */
static int no_pull_needed(lua_State *L)
{
    lw_enum *x = luaL_testudata(L, 1, LW_ENUMERATOR);
    return x && x->en && wsman_enum_ready(x->en);
}

static const lw_member members[] = {
    {"ReadItem", m_readitem, NULL, NULL},
    {"AtEndOfStream", NULL, get_eos, NULL},
    {"Error", NULL, get_error, NULL},
    {NULL, NULL, NULL, NULL},
};

static const lw_class cls = {LW_ENUMERATOR, "Enumerator", members};

static int e_gc(lua_State *L)
{
    lw_enum *x = check(L);
    wsman_enum_free(x->en); /* queues a Release when still open */
    x->en = NULL;
    free(x->error);
    x->error = NULL;
    return 0;
}

static int e_close(lua_State *L)
{
    lw_enum *x = check(L);
    if (x->en) {
        wsman_error_t e;
        wsman_error_init(&e);
        /* A failed Release is not worth an error at scope exit: the server expires the
         * context by itself; remember it in Error. */
        if (wsman_enum_release(x->en, &e) != 0) {
            free(x->error);
            x->error = e.fault_xml ? strdup(e.fault_xml) : NULL;
        }
        wsman_error_clear(&e);
        wsman_enum_free(x->en);
        x->en = NULL;
    }
    return 0;
}

static int e_tostring(lua_State *L)
{
    lw_enum *x = check(L);
    lua_pushstring(L, x->en ? (wsman_enum_at_end(x->en) ? "Enumerator (at end)" : "Enumerator (open)")
                            : "Enumerator (closed)");
    return 1;
}

int lw_enumerator_push(lua_State *L, wsman_enum_t *en, int session_idx)
{
    session_idx = lua_absindex(L, session_idx);
    lw_enum *x = lua_newuserdatauv(L, sizeof *x, 1);
    x->en = en;
    x->error = NULL;
    luaL_setmetatable(L, LW_ENUMERATOR);
    /* keep the Session userdata alive as long as the enumerator */
    lua_pushvalue(L, session_idx);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

void lw_enumerator_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", e_gc}, {"__close", e_close}, {"__tostring", e_tostring}, {NULL, NULL}};
    lw_class_register(L, &cls, meta);
    lw_task_no_wait(L, m_readitem, no_pull_needed);
    lw_task_no_wait(L, get_eos, no_pull_needed);
}
