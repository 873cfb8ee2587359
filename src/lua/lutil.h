/* SPDX-License-Identifier: MIT */
/*
 * lutil.h - shared machinery of the Lua binding: COM-like classes whose methods and
 * properties are looked up by name, with errors that name the member meant when a script
 * misspells one (Lua is case-sensitive, COM is not).
 */
#ifndef LWSMAN_UTIL_H
#define LWSMAN_UTIL_H

#include "wsman.h"

#include <lauxlib.h>
#include <lua.h>

/* Metatable names */
#define LW_WSMAN "wsman.WSMan"
#define LW_OPTIONS "wsman.ConnectionOptions"
#define LW_SESSION "wsman.Session"
#define LW_LOCATOR "wsman.ResourceLocator"
#define LW_ENUMERATOR "wsman.Enumerator"
#define LW_ERROR "wsman.Error"
#define LW_SHELL "wsman.Shell"
#define LW_PROCESS "wsman.Process"

/* A property reader pushes one value; a writer reads the value at stack index 3
 * (obj, key, value as in __newindex). Both get the userdata at index 1. */
typedef int (*lw_getter)(lua_State *L);
typedef int (*lw_setter)(lua_State *L);

typedef struct lw_member {
    const char *name;
    lua_CFunction method; /* a method (called with ':') ... */
    lw_getter get;        /* ... or a property: readable ... */
    lw_setter set;        /* ... and/or writable */
} lw_member;

typedef struct lw_class {
    const char *tname;   /* metatable name */
    const char *display; /* "Session" */
    const lw_member *members;
} lw_class;

/* Creates the metatable with __index/__newindex dispatching to members, plus the given
 * metamethods (NULL-terminated luaL_Reg, e.g. __gc, __close, __tostring). Leaves nothing on
 * the stack. */
void lw_class_register(lua_State *L, const lw_class *cls, const luaL_Reg *meta);

/* Creates the metatable tname of a plain handle: __gc is gc, __index the table of methods
 * (NULL-terminated). Leaves nothing on the stack. */
void lw_handle_register(lua_State *L, const char *tname, lua_CFunction gc, const luaL_Reg *methods);
/* Pushes a new zero-filled userdata of size bytes with nuv user values and the metatable tname;
 * returns it. */
void *lw_handle_new(lua_State *L, size_t size, int nuv, const char *tname);

/* Calls f (a method, upvalue-free) with the arguments on the stack: directly outside a task;
 * inside a task (a coroutine marked by wsman.tasks) as a resumable operation, the task yielding
 * while its requests are in flight (ltask.c). Returns f's results; use as `return
 * lw_task_call(L, f)`. */
int lw_task_call(lua_State *L, lua_CFunction f);
/* Pushes f wrapped by lw_task_call (the form every class method is registered in). */
void lw_push_task_method(lua_State *L, lua_CFunction f);
/* Declares when the method or property reader f sends no request: no_wait(L) (the call's
 * arguments on the stack) returns 1, and lw_task_call then calls f directly, even inside a
 * task, without a resumable operation of its own (e.g. ReadItem with items queued). no_wait
 * returns 0 when unsure, a wrong argument included (f reports it). */
typedef int (*lw_no_wait)(lua_State *L);
void lw_task_no_wait(lua_State *L, lua_CFunction f, lw_no_wait no_wait);
/* WSMan._task_mark, _loop_step, _task_cancel, _loop_timeout: the scheduler's hooks. */
void lw_task_fields(lua_State *L);
void lw_task_register(lua_State *L);

/* The method table of a registered class (kept in its metatable under LW_METHODS_FIELD): the
 * functions `obj:name(...)` finds before the COM members. The module exposes them as
 * WSMan._methods so the Lua facade can add methods written in Lua. Pushes it. */
#define LW_METHODS_FIELD "__methods"
void lw_push_methods(lua_State *L, const char *tname);

/* Stores the string keys of the table at idx in names (at most max, then a NULL; the strings are
 * anchored by the table) for lw_suggest; returns their number. */
#define LW_MAX_NAMES 128
size_t lw_string_keys(lua_State *L, int idx, const char **names, size_t max);

/* Raises "<Class> has no member 'x'; did you mean 'X'?" style errors. */
int lw_unknown_member(lua_State *L, const char *display, const lw_member *members, const char *key,
                      const char *extra_names[]);
/* Closest name by case-insensitive match or edit distance, or NULL. */
const char *lw_suggest(const char *key, const lw_member *members, const char *extra_names[]);

/* Strings handed to the core as C strings: a NUL byte inside would cut them short, so these
 * raise "<what> contains a NUL byte at offset N" instead (what NULL: the argument's number).
 * lw_nonul checks len bytes at s and returns s; lw_checkcstring wants a string (or a number,
 * as luaL_checkstring); lw_optcstring maps nil/none to def. */
const char *lw_nonul(lua_State *L, int idx, const char *s, size_t len, const char *what);
const char *lw_checkcstring(lua_State *L, int idx, const char *what);
const char *lw_optcstring(lua_State *L, int idx, const char *def, const char *what);
/* Argument helpers: optional string (nil/none -> def; no NUL inside), optional integer flags
 * (accepts integers and integral floats, also negative 32-bit values as COM's long). */
const char *lw_optstring(lua_State *L, int idx, const char *def);
uint32_t lw_optflags(lua_State *L, int idx);
/* Any COM VARIANT-ish scalar as a string (string, number, boolean; no NUL inside); NULL for nil. */
const char *lw_tovariant(lua_State *L, int idx, const char *what);

/* Raises the error object built from e (see lerror.c). Does not return. */
int lw_raise(lua_State *L, wsman_error_t *e);
/* Pushes an error object table for e (and clears e). */
void lw_push_error(lua_State *L, wsman_error_t *e);
void lw_error_register(lua_State *L);

/* Object constructors used across files. */
int lw_options_new(lua_State *L);
int lw_locator_new(lua_State *L, const char *resource); /* raises on error */
int lw_session_new(lua_State *L);                       /* CreateSession(self, conn, flags, opts) */
void lw_options_register(lua_State *L);
void lw_session_register(lua_State *L);
/* The Lua state's owner of dropped sessions' cleanup (lsession.c); WSMan.flush on the module table. */
wsman_reaper_t *lw_reaper(lua_State *L);
void lw_reaper_fields(lua_State *L);
void lw_locator_register(lua_State *L);
void lw_enumerator_register(lua_State *L);
int lw_enumerator_push(lua_State *L, wsman_enum_t *en, int session_idx);

/* Remote commands (lshell.c): Shell and Process classes, session:shell, WSMan.clixml. */
void lw_shell_register(lua_State *L);
int lw_session_shell(lua_State *L);
int lw_clixml(lua_State *L);
/* lua/wsman/xml.lua's parse in C (lxml.c): WSMan._xml_parse(text [, max_depth [, max_bytes]]) -> the
 * same tree; lw_xml_register creates the metatable of its parser state. */
int lw_xml_parse(lua_State *L);
/* PowerShell objects (lpsobject.c): metatables, and WSMan.clixml_decode/clixml_encode/ps_value/ps_object
 * set into the table on top of the stack. */
void lw_psobject_register(lua_State *L);
void lw_psobject_fields(lua_State *L);
/* WSMan.ps_datetime, ps_timespan, ps_char (lpsvalue.c). */
void lw_psvalue_fields(lua_State *L);
/* PowerShell Remoting's wire (lpsrp.c): metatables, and core._psrp_* set into the table on top. */
void lw_psrp_register(lua_State *L);
void lw_psrp_fields(lua_State *L);
/* Its session key exchange and SecureStrings (lpskey.c), registered by the two above. */
void lw_pskey_register(lua_State *L);
void lw_pskey_fields(lua_State *L);
void lw_xml_register(lua_State *L);
/* lterm.c: pushes the WSMan._term table (terminal, stdin and SIGINT helpers of the wsman command) */
void lw_term_push(lua_State *L);
/* The core session of a Session userdata (raises when it is not one, or closed). */
wsman_session_t *lw_session_check(lua_State *L, int idx);

/* ConnectionOptions as the core wants them (pointers valid while the userdata lives). */
typedef struct lw_options lw_options;
const wsman_options_t *lw_options_view(lua_State *L, int idx);

/* ResourceLocator userdata -> core locator (or NULL if idx is not a locator). */
wsman_locator_t *lw_tolocator(lua_State *L, int idx);
/* Resource argument (string or ResourceLocator) -> locator. When a string, *tmp receives a new
 * locator to free with wsman_locator_free. Raises on error (after storing the error). */
wsman_locator_t *lw_checkresource(lua_State *L, int idx, wsman_locator_t **tmp, wsman_error_t *e);

/* Zeroes a Lua-owned copy of a secret we made. */
void lw_secure_free(char *s);

#endif
