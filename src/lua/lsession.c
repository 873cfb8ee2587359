/* SPDX-License-Identifier: MIT */
/*
 * lsession.c - Session (IWSManSession).
 *
 * Methods (COM signatures, optional arguments as in COM):
 *   Get(resource [, flags])                        -> XML of the instance
 *   Put(resource, xml [, flags])                   -> XML of the updated instance
 *   Create(resource, xml [, flags])                -> XML of the new resource's EPR
 *   Delete(resource [, flags])                     -> nothing
 *   Invoke(action, resource, parameters [, flags]) -> XML of the method output
 *   Enumerate(resource [, filter [, dialect [, flags]]]) -> Enumerator
 *   Identify([flags])                              -> XML of the IdentifyResponse
 * resource: URI string (aliases, ?selectors, EPR XML) or ResourceLocator.
 * Properties: Error (r), Timeout (rw, ms, 60000 until set), BatchItems (rw, 20 until set).
 * Remote commands (lower case, next to the COM mirror): shell([opts]) -> Shell (lshell.c),
 * run_cmd(command [, args [, opts]]), run_ps(script [, opts]) (lua/wsman/ps.lua).
 * A failed call raises an error object (lerror.c) and leaves the WSManFault XML in Error.
 * The session closes its connection when collected, or at once with `local s <close>`.
 */
#include "lutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct lw_session {
    wsman_session_t *s;
    char *error;
    lua_State *trace_thread; /* where the trace hook runs (anchored by trace_thread_ref) */
    int trace_thread_ref, trace_fn_ref;
} lw_session;

static lw_session *check(lua_State *L)
{
    lw_session *s = luaL_checkudata(L, 1, LW_SESSION);
    if (!s->s)
        luaL_error(L, "Session is closed");
    return s;
}

wsman_session_t *lw_session_check(lua_State *L, int idx)
{
    lw_session *s = luaL_checkudata(L, idx, LW_SESSION);
    if (!s->s)
        luaL_error(L, "Session is closed");
    return s->s;
}

static int fail(lua_State *L, lw_session *s, wsman_error_t *e)
{
    free(s->error);
    s->error = e->fault_xml ? strdup(e->fault_xml) : NULL;
    return lw_raise(L, e);
}

static void succeeded(lw_session *s)
{
    free(s->error);
    s->error = NULL;
}

/* One call on a resource: its locator (a string argument gives a new one in tmp), the reply
 * and the error. */
typedef struct call {
    wsman_locator_t *tmp;
    wsman_locator_t *loc;
    wsman_buf_t out;
    wsman_error_t e;
} call_t;

/* Starts a call with the resource at argument idx (0: none). The locator allocates, so every
 * method checks its other arguments first: a later argument error would leak tmp. */
static void begin(lua_State *L, lw_session *s, int idx, call_t *c)
{
    c->tmp = NULL;
    c->loc = NULL;
    wsman_buf_init(&c->out);
    wsman_error_init(&c->e);
    if (idx == 0)
        return;
    c->loc = lw_checkresource(L, idx, &c->tmp, &c->e);
    if (!c->loc) {
        wsman_error_context(&c->e, NULL, wsman_session_endpoint(s->s));
        fail(L, s, &c->e);
    }
}

/* Ends a call: frees the locator, then raises the error when rc failed, or returns the reply as a
 * string (with_reply) or nothing. Frees the reply either way. */
static int finish(lua_State *L, lw_session *s, int rc, call_t *c, int with_reply)
{
    wsman_locator_free(c->tmp);
    if (rc != 0) {
        wsman_buf_free(&c->out);
        return fail(L, s, &c->e);
    }
    succeeded(s);
    if (!with_reply) {
        wsman_buf_free(&c->out);
        return 0;
    }
    lua_pushlstring(L, c->out.data ? c->out.data : "", c->out.len);
    wsman_buf_free(&c->out);
    return 1;
}

static int m_get(lua_State *L)
{
    lw_session *s = check(L);
    uint32_t flags = lw_optflags(L, 3);
    call_t c;
    begin(L, s, 2, &c);
    return finish(L, s, wsman_get(s->s, c.loc, flags, &c.out, &c.e), &c, 1);
}

typedef int (*body_op)(wsman_session_t *, const wsman_locator_t *, const char *, uint32_t, wsman_buf_t *,
                       wsman_error_t *);

static int with_body(lua_State *L, body_op op)
{
    lw_session *s = check(L);
    if (lua_type(L, 3) != LUA_TSTRING)
        return luaL_typeerror(L, 3, "string (XML)");
    const char *xml = lw_checkcstring(L, 3, NULL);
    uint32_t flags = lw_optflags(L, 4);
    call_t c;
    begin(L, s, 2, &c);
    return finish(L, s, op(s->s, c.loc, xml, flags, &c.out, &c.e), &c, 1);
}

static int m_put(lua_State *L)
{
    return with_body(L, wsman_put);
}

static int m_create(lua_State *L)
{
    return with_body(L, wsman_create);
}

static int m_delete(lua_State *L)
{
    lw_session *s = check(L);
    uint32_t flags = lw_optflags(L, 3);
    call_t c;
    begin(L, s, 2, &c);
    return finish(L, s, wsman_delete(s->s, c.loc, flags, &c.e), &c, 0);
}

static int m_invoke(lua_State *L)
{
    lw_session *s = check(L);
    const char *action = lw_checkcstring(L, 2, NULL);
    if (lua_type(L, 4) != LUA_TSTRING)
        return luaL_argerror(L, 4,
                             "parameters XML string expected (COM requires it even for methods without "
                             "inputs, e.g. '<p:StopService_INPUT xmlns:p=\"...\"/>')");
    const char *params = lw_checkcstring(L, 4, NULL);
    uint32_t flags = lw_optflags(L, 5);
    call_t c;
    begin(L, s, 3, &c);
    return finish(L, s, wsman_invoke(s->s, action, c.loc, params, flags, &c.out, &c.e), &c, 1);
}

static int m_identify(lua_State *L)
{
    lw_session *s = check(L);
    uint32_t flags = lw_optflags(L, 2);
    call_t c;
    begin(L, s, 0, &c);
    return finish(L, s, wsman_identify(s->s, flags, &c.out, &c.e), &c, 1);
}

static int m_enumerate(lua_State *L)
{
    lw_session *s = check(L);
    const char *filter = lw_optstring(L, 3, NULL);
    const char *dialect = lw_optstring(L, 4, NULL);
    uint32_t flags = lw_optflags(L, 5);
    call_t c;
    begin(L, s, 2, &c);
    wsman_enum_t *en = wsman_enumerate(s->s, c.loc, filter, dialect, flags, &c.e);
    finish(L, s, en ? 0 : -1, &c, 0);
    return lw_enumerator_push(L, en, 1);
}

static int get_error(lua_State *L)
{
    lw_session *s = check(L);
    lua_pushstring(L, s->error ? s->error : "");
    return 1;
}

static int get_timeout(lua_State *L)
{
    lua_pushinteger(L, wsman_session_timeout(check(L)->s));
    return 1;
}

/* The assigned value (argument 3 of __newindex) as a positive 32-bit integer; raises
 * "<expected>, got <value>" otherwise. */
static long check_positive(lua_State *L, const char *expected)
{
    int ok = 0;
    lua_Integer v = lua_tointegerx(L, 3, &ok);
    if (!ok || v <= 0 || v > INT32_MAX)
        return luaL_error(L, "%s, got %s", expected, luaL_tolstring(L, 3, NULL));
    return (long)v;
}

static int set_timeout(lua_State *L)
{
    lw_session *s = check(L);
    wsman_session_set_timeout(
        s->s, check_positive(L, "Session.Timeout must be a positive integer number of milliseconds"));
    return 0;
}

static int get_batch(lua_State *L)
{
    lua_pushinteger(L, wsman_session_batch_items(check(L)->s));
    return 1;
}

static int set_batch(lua_State *L)
{
    lw_session *s = check(L);
    wsman_session_set_batch_items(s->s, check_positive(L, "Session.BatchItems must be a positive integer"));
    return 0;
}

/***
A session with one WinRM host (`IWSManSession`), from `WSMan:CreateSession` or `WSMan.connect`.

The COM methods take and return XML strings as in VBScript; the lower-case methods written in
Lua (`session:get`, `:put`, `:create`, `:delete`, `:invoke`, `:enumerate`: see `wsman.tables`;
`session:run_cmd`, `:run_ps`: see `wsman.ps`) take and return tables. A `resource` argument
is a URI string (full, or an alias such as `wmicimv2/Win32_Service`, with optional
`?Name=Value+Name=Value` selectors, or an EPR XML string) or a `ResourceLocator`. A failed
call raises an error object (see `Error`) and leaves the WSManFault XML in `session.Error`.
The session keeps one connection alive between calls and closes it when collected, or at once
with `local session <close> = ...`.

    local xml = session:Get("wmicimv2/Win32_Service?Name=Spooler")
    local out = session:Invoke("StopService", "wmicimv2/Win32_Service?Name=Spooler", input_xml)
    local e = session:Enumerate("wmicimv2/Win32_Process")
    while not e.AtEndOfStream do print(e:ReadItem()) end

@classmod Session
*/

/***
Gets an instance (WS-Transfer Get).
@function Session:Get
@tparam string|ResourceLocator resource the instance (selectors, fragment, options)
@tparam[opt=0] integer flags reserved, 0 as in COM
@treturn string the instance XML (the fragment's with `FragmentPath`)
@raise an error object
*/

/***
Updates an instance (WS-Transfer Put).
@function Session:Put
@tparam string|ResourceLocator resource the instance
@tparam string xml the new instance XML (or the fragment's)
@tparam[opt=0] integer flags reserved, 0 as in COM
@treturn string the updated instance XML as the host returns it
@raise an error object
*/

/***
Creates a resource (WS-Transfer Create).
@function Session:Create
@tparam string|ResourceLocator resource the resource URI (with selectors where the class needs them)
@tparam string xml the new instance XML
@tparam[opt=0] integer flags reserved, 0 as in COM
@treturn string the EPR XML of the new resource (`ResourceCreated`)
@raise an error object
*/

/***
Deletes a resource (WS-Transfer Delete).
@function Session:Delete
@tparam string|ResourceLocator resource the instance
@tparam[opt=0] integer flags reserved, 0 as in COM
@raise an error object
*/

/***
Invokes a method of a resource (a custom action).
@function Session:Invoke
@tparam string action the method name (`"StopService"`, sent as `<resource URI>/StopService`)
 or a full action URI
@tparam string|ResourceLocator resource the instance or class
@tparam string parameters the input XML (`<p:StopService_INPUT xmlns:p="..."/>`; COM requires
 it even for a method without parameters)
@tparam[opt=0] integer flags reserved, 0 as in COM
@treturn string the output XML (`<p:StopService_OUTPUT>`)
@raise an error object
*/

/***
Starts an enumeration (WS-Enumeration); items are pulled as they are read.
@function Session:Enumerate
@tparam string|ResourceLocator resource the class (the wildcard wmicimv2/\* with a WQL filter)
@tparam[opt] string filter a WQL query, selector XML or `{Name="Value";...}` hash, or an
 association filter (XML or winrm's `{Object=...;AssociationClassName=...}` hash)
@tparam[opt] string dialect the filter's dialect URI (WQL when the filter is text, else XML)
@tparam[opt=0] integer flags `EnumerationFlag*` values combined with `|`
@treturn Enumerator the enumerator (`BatchItems` items per Pull)
@raise an error object
*/

/***
Identifies the host (WS-Management Identify).
@function Session:Identify
@tparam[opt=0] integer flags `SessionFlagUseNoAuthentication` for an unauthenticated Identify
@treturn string the `IdentifyResponse` XML (protocol version, vendor, product version)
@raise an error object
*/

/***
Creates a remote cmd shell (WinRS), or attaches to one.
@function Session:shell
@tparam[opt] table opts every key optional: `working_directory`, `environment`
 (`{NAME = "value"}`), `codepage` (65001, UTF-8, unless set), `noprofile` (boolean),
 `idle_timeout` and `lifetime` (seconds), `name`; or `id` (a ShellId) alone to attach to an
 existing shell
@treturn Shell the shell (deleted by `sh:close()`, `<close>` or collection)
@raise an error object (quota faults have `retry = "quota"`)
*/

/***
Gets an instance as a table (written in Lua: `session:get(uri [, selectors [, opts]])`).
@function Session:get
@see wsman.tables.get
*/

/***
Updates properties of an instance from a table of changes.
@function Session:put
@see wsman.tables.put
*/

/***
Creates a resource from a table of properties.
@function Session:create
@see wsman.tables.create
*/

/***
Deletes a resource named by a URI, locator or EPR table and selectors.
@function Session:delete
@see wsman.tables.delete
*/

/***
Invokes a method with a table of parameters; returns the output as a table.
@function Session:invoke
@see wsman.tables.invoke
*/

/***
Iterates over the instances of a resource as tables: `for obj in session:enumerate(uri [, opts]) do`.
@function Session:enumerate
@see wsman.tables.enumerate
*/

/***
Runs a command in a new shell and returns its stdout, stderr and exit code.
@function Session:run_cmd
@see wsman.ps.run_cmd
*/

/***
Runs a PowerShell script of any length and returns its stdout, stderr, exit code and records.
@function Session:run_ps
@see wsman.ps.run_ps
*/

/***
The fault XML of the last failed call, `""` after a success (read-only).
@field Session.Error
*/

/***
Milliseconds an operation may take (default 60000): the OperationTimeout sent and the
client's own deadline. A positive integer.
@field Session.Timeout
*/

/***
Items asked for per Pull of an enumeration (default 20). A positive integer.
@field Session.BatchItems
*/

/* ---- session.trace ------------------------------------------------------------------------------ */

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v, size_t len)
{
    if (!v)
        return;
    lua_pushlstring(L, v, len);
    lua_setfield(L, -2, k);
}

/* Runs protected: (event pointer, hook) -> calls hook(event table). */
static int call_hook(lua_State *L)
{
    const wsman_trace_event_t *ev = lua_touserdata(L, 1);
    lua_createtable(L, 0, 14);
    set_str(L, "label", ev->label, ev->label ? strlen(ev->label) : 0);
    set_str(L, "method", ev->method, ev->method ? strlen(ev->method) : 0);
    set_str(L, "url", ev->url, ev->url ? strlen(ev->url) : 0);
    set_int(L, "status", ev->status);
    set_str(L, "request_headers", ev->request_headers, ev->request_headers ? strlen(ev->request_headers) : 0);
    set_str(L, "response_headers", ev->response_headers,
            ev->response_headers ? strlen(ev->response_headers) : 0);
    set_str(L, "request_body", ev->request_body, ev->request_len);
    set_str(L, "response_body", ev->response_body, ev->response_len);
    set_int(L, "bytes_sent", (lua_Integer)ev->bytes_sent);
    set_int(L, "bytes_received", (lua_Integer)ev->bytes_received);
    set_int(L, "ms", ev->ms);
    set_str(L, "error", ev->error, ev->error ? strlen(ev->error) : 0);
    lua_call(L, 1, 0); /* the hook is at index 2, the table on top */
    return 0;
}

/* The engine's trace callback: the Lua hook on the session's own thread; its errors are dropped
 * (an exchange cannot fail because of its trace). */
static void on_trace(void *ud, const wsman_trace_event_t *ev)
{
    lw_session *s = ud;
    lua_State *T = s->trace_thread;
    if (!T || !lua_checkstack(T, 4))
        return;
    lua_settop(T, 0);
    lua_pushcfunction(T, call_hook);
    lua_pushlightuserdata(T, (void *)ev);
    lua_rawgeti(T, LUA_REGISTRYINDEX, s->trace_fn_ref);
    if (lua_pcall(T, 2, 0, 0) != LUA_OK)
        lua_settop(T, 0);
}

static void trace_release(lua_State *L, lw_session *s)
{
    if (s->s)
        wsman_session_set_trace(s->s, NULL, NULL);
    luaL_unref(L, LUA_REGISTRYINDEX, s->trace_fn_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, s->trace_thread_ref);
    s->trace_fn_ref = s->trace_thread_ref = LUA_NOREF;
    s->trace_thread = NULL;
}

static int get_trace(lua_State *L)
{
    lw_session *s = check(L);
    if (s->trace_fn_ref == LUA_NOREF || s->trace_fn_ref == LUA_REFNIL)
        lua_pushnil(L);
    else
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->trace_fn_ref);
    return 1;
}

static int set_trace(lua_State *L)
{
    lw_session *s = check(L);
    if (!lua_isnil(L, 3) && !lua_isfunction(L, 3))
        return luaL_error(L, "Session.trace must be a function(event) or nil, got %s", luaL_typename(L, 3));
    trace_release(L, s);
    if (lua_isnil(L, 3) || !s->s)
        return 0;
    s->trace_thread = lua_newthread(L);
    s->trace_thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 3);
    s->trace_fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    wsman_session_set_trace(s->s, on_trace, s);
    return 0;
}

static const lw_member members[] = {
    {"Get", m_get, NULL, NULL},
    {"Put", m_put, NULL, NULL},
    {"Create", m_create, NULL, NULL},
    {"Delete", m_delete, NULL, NULL},
    {"Invoke", m_invoke, NULL, NULL},
    {"Enumerate", m_enumerate, NULL, NULL},
    {"Identify", m_identify, NULL, NULL},
    {"Error", NULL, get_error, NULL},
    {"Timeout", NULL, get_timeout, set_timeout},
    {"BatchItems", NULL, get_batch, set_batch},
    {"trace", NULL, get_trace, set_trace},
    {"shell", lw_session_shell, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

static const lw_class cls = {LW_SESSION, "Session", members};

static int s_gc(lua_State *L)
{
    lw_session *s = luaL_checkudata(L, 1, LW_SESSION);
    trace_release(L, s);
    wsman_session_free(s->s);
    s->s = NULL;
    free(s->error);
    s->error = NULL;
    return 0;
}

/* <close>: sends the queued cleanup requests (Releases, shell Deletes, Signals), then closes. */
static int s_close(lua_State *L)
{
    lw_session *s = luaL_checkudata(L, 1, LW_SESSION);
    wsman_session_flush(s->s);
    return s_gc(L);
}

static int s_tostring(lua_State *L)
{
    lw_session *s = luaL_checkudata(L, 1, LW_SESSION);
    lua_pushfstring(L, "Session (%s)", s->s ? wsman_session_endpoint(s->s) : "closed");
    return 1;
}

/* wsman:CreateSession([connection [, flags [, options]]]) */
int lw_session_new(lua_State *L)
{
    const char *conn = lw_optstring(L, 2, "");
    uint32_t flags = lw_optflags(L, 3);
    const wsman_options_t *opts = NULL;
    if (!lua_isnoneornil(L, 4))
        opts = lw_options_view(L, 4);
    lw_session *s = lua_newuserdatauv(L, sizeof *s, 0);
    s->s = NULL;
    s->error = NULL;
    s->trace_thread = NULL;
    s->trace_thread_ref = s->trace_fn_ref = LUA_NOREF;
    luaL_setmetatable(L, LW_SESSION);
    wsman_error_t e;
    wsman_error_init(&e);
    s->s = wsman_session_new(conn, flags, opts, &e);
    if (!s->s)
        return lw_raise(L, &e);
    wsman_session_set_reaper(s->s, lw_reaper(L));
    return 1;
}

/* ---- dropped sessions' cleanup ---------------------------------------------------------------- */

/* The Lua state's reaper lives in a registry userdata created when the module loads, before any
 * session: when the state closes, finalizers run newest first, so every session and enumerator
 * has handed over its queue by the time the reaper's own __gc makes the last run. */
#define LW_REAPER "wsman.Reaper"              /* its metatable */
#define LW_REAPER_KEY "wsman.reaper instance" /* the registry field that holds it */
#define LW_REAPER_EXIT_BUDGET_MS 10000L       /* when the Lua state closes */
#define LW_REAPER_FLUSH_BUDGET_MS 30000L      /* WSMan.flush() without an argument */

typedef struct lw_reaper_ud {
    wsman_reaper_t *r;
} lw_reaper_ud;

static int reaper_gc(lua_State *L)
{
    lw_reaper_ud *u = luaL_checkudata(L, 1, LW_REAPER);
    wsman_reaper_close(u->r, LW_REAPER_EXIT_BUDGET_MS); /* the state is closing: no request under way */
    u->r = NULL;
    return 0;
}

wsman_reaper_t *lw_reaper(lua_State *L)
{
    lw_reaper_ud *u;
    lua_getfield(L, LUA_REGISTRYINDEX, LW_REAPER_KEY);
    u = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return u ? u->r : NULL;
}

/***
Sends what dropped (garbage-collected) sessions left queued: enumeration Releases, shell Deletes,
command Signals. The same happens before the next operation of any session and when the Lua
state closes; this makes it happen now.
@function WSMan.flush
@static
@tparam[opt=30000] integer budget_ms stop starting requests after this many milliseconds
@treturn integer how many dropped sessions still wait (0: nothing left)
*/
static int m_flush(lua_State *L)
{
    lua_Integer budget = luaL_optinteger(L, 1, LW_REAPER_FLUSH_BUDGET_MS);
    luaL_argcheck(L, budget >= 0 && budget <= 0x7fffffff, 1, "a time budget in milliseconds expected");
    lua_pushinteger(L, (lua_Integer)wsman_reaper_run(lw_reaper(L), (long)budget));
    return 1;
}

void lw_reaper_fields(lua_State *L)
{
    lua_pushcfunction(L, m_flush);
    lua_setfield(L, -2, "flush");
}

void lw_session_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", s_gc}, {"__close", s_close}, {"__tostring", s_tostring}, {NULL, NULL}};
    lw_class_register(L, &cls, meta);
    lua_getfield(L, LUA_REGISTRYINDEX, LW_REAPER_KEY);
    if (lua_isnil(L, -1)) {
        lw_reaper_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
        u->r = NULL;
        luaL_newmetatable(L, LW_REAPER);
        lua_pushcfunction(L, reaper_gc);
        lua_setfield(L, -2, "__gc");
        lua_setmetatable(L, -2);
        u->r = wsman_reaper_new(); /* NULL when out of memory: dropped sessions are then freed at once */
        lua_setfield(L, LUA_REGISTRYINDEX, LW_REAPER_KEY);
    }
    lua_pop(L, 1);
}
