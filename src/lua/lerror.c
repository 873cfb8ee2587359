/* SPDX-License-Identifier: MIT */
/*
 * lerror.c - error objects: a failed operation raises a table with metatable wsman.Error.
 *
 * Fields (nil when unknown):
 *   code          unsigned integer: WSManFault Code, else MSFT_WmiError error_Code, else the
 *                 code Windows' client reports for the same failure
 *   name          symbolic name, e.g. "ERROR_WSMAN_INVALID_SELECTORS"
 *   message       the most specific text (provider message, fault message, or what to do)
 *   reason        SOAP Reason text
 *   machine       WSManFault Machine
 *   fault_code    SOAP Code ("s:Sender"), subcode (SOAP Subcode), fault_detail (FaultDetail URI)
 *   provider      { name = ..., path = ... } from f:ProviderFault
 *   wmi           { error_Code = ..., Message = ..., ... } from p:MSFT_WmiError
 *   fault         the WSManFault XML (also left in the object's Error property)
 *   http_status, operation, endpoint
 *   retry         "transient", "quota", "auth" or "fatal"
 * tostring(err) gives one line with the hex code.
 */
#include "lutil.h"

#include <string.h>

static void setstr(lua_State *L, const char *k, const char *v)
{
    if (v) {
        lua_pushstring(L, v);
        lua_setfield(L, -2, k);
    }
}

void lw_push_error(lua_State *L, wsman_error_t *e)
{
    lua_createtable(L, 0, 16);
    lua_pushinteger(L, (lua_Integer)e->code);
    lua_setfield(L, -2, "code");
    setstr(L, "name", e->name ? e->name : wsman_error_name(e->code));
    setstr(L, "message", e->message ? e->message : wsman_error_text(e->code));
    setstr(L, "reason", e->reason);
    setstr(L, "machine", e->machine);
    setstr(L, "fault_code", e->fault_code);
    setstr(L, "subcode", e->subcode);
    setstr(L, "fault_detail", e->fault_detail);
    if (e->provider || e->provider_path) {
        lua_createtable(L, 0, 2);
        setstr(L, "name", e->provider);
        setstr(L, "path", e->provider_path);
        lua_setfield(L, -2, "provider");
    }
    if (e->wmi_count) {
        lua_createtable(L, 0, (int)e->wmi_count);
        for (size_t i = 0; i < e->wmi_count; i++)
            setstr(L, e->wmi[i].name, e->wmi[i].value ? e->wmi[i].value : "");
        lua_setfield(L, -2, "wmi");
    }
    setstr(L, "fault", e->fault_xml);
    if (e->http_status) {
        lua_pushinteger(L, e->http_status);
        lua_setfield(L, -2, "http_status");
    }
    setstr(L, "operation", e->operation);
    setstr(L, "endpoint", e->endpoint);
    lua_pushstring(L, wsman_retry_name(e->retry));
    lua_setfield(L, -2, "retry");
    luaL_setmetatable(L, LW_ERROR);
    wsman_error_clear(e);
}

int lw_raise(lua_State *L, wsman_error_t *e)
{
    lw_push_error(L, e);
    return lua_error(L);
}

/***
The error object: what a failed call raises (a table with these fields; nil when unknown).

`pcall` returns it as the error value; `tostring(err)` gives one line: the operation, the
endpoint, the message, the code in hex and its name:

    Get http://srv01:5985/wsman: The WS-Management service cannot ... (0x803380FA ERROR_...)


    local ok, err = pcall(session.Get, session, uri)
    if not ok then print(("0x%X %s"):format(err.code, err.message)) end

@classmod Error
*/

/***
The error number (an unsigned integer): the WSManFault `Code`, else the `MSFT_WmiError`
`error_Code`, else the number Windows' client reports for the same failure (`0x80070005`
access denied, `0x80072EFD` nothing listening at the endpoint, ...).
@field Error.code
*/
/***
Its symbolic name (`"ERROR_WSMAN_INVALID_SELECTORS"`).
@field Error.name
*/
/***
The most specific text: the provider's message, the fault's, or what to do.
@field Error.message
*/
/***
The SOAP `Reason` text.
@field Error.reason
*/
/***
The WSManFault `Machine`: the host that reported the fault.
@field Error.machine
*/
/***
The SOAP `Code` value (`"s:Sender"`, `"s:Receiver"`).
@field Error.fault_code
*/
/***
The SOAP `Subcode` value (`"w:InvalidSelectors"`).
@field Error.subcode
*/
/***
The WS-Management `FaultDetail` URI.
@field Error.fault_detail
*/
/***
The provider that failed: `{name = ..., path = ...}` from `f:ProviderFault`.
@field Error.provider
*/
/***
The WMI error: `{error_Code = ..., Message = ..., ...}`, every property of `p:MSFT_WmiError`.
@field Error.wmi
*/
/***
The WSManFault XML (also in the `Error` property of the object that failed).
@field Error.fault
*/
/***
The HTTP status of the reply (401, 500, ...), when there was one.
@field Error.http_status
*/
/***
The operation that failed (`"Get"`, `"Enumerate"`, `"Pull"`, `"Create shell"`, ...).
@field Error.operation
*/
/***
The endpoint URL of the session.
@field Error.endpoint
*/
/***
Whether trying again can work: `"transient"` (a timeout, a dropped connection: the same
call may succeed), `"quota"` (a host quota or a shell it no longer knows: retry later or on a
new shell), `"auth"` (the credentials or the mechanism: fix them first) or `"fatal"`.
@field Error.retry
*/

static int error_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    /* every field is read onto the stack first: a luaL_Buffer owns the top of the stack */
    lua_getfield(L, 1, "operation"); /* 2 */
    lua_getfield(L, 1, "endpoint");  /* 3 */
    lua_getfield(L, 1, "message");   /* 4 */
    lua_getfield(L, 1, "name");      /* 5 */
    lua_getfield(L, 1, "code");      /* 6 */
    lua_Integer code = lua_tointeger(L, 6);
    const char *name = lua_tostring(L, 5);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (lua_isstring(L, 2)) {
        luaL_addstring(&b, lua_tostring(L, 2));
        luaL_addchar(&b, ' ');
    }
    if (lua_isstring(L, 3)) {
        luaL_addstring(&b, lua_tostring(L, 3));
        luaL_addstring(&b, ": ");
    }
    if (lua_isstring(L, 4)) {
        /* one line: fold line breaks and trailing blanks */
        size_t n;
        const char *m = lua_tolstring(L, 4, &n);
        while (n && (m[n - 1] == ' ' || m[n - 1] == '\n' || m[n - 1] == '\r'))
            n--;
        for (size_t i = 0; i < n; i++)
            luaL_addchar(&b, (m[i] == '\n' || m[i] == '\r') ? ' ' : m[i]);
    } else
        luaL_addstring(&b, "error");
    char tail[160];
    snprintf(tail, sizeof tail, " (0x%08X%s%s)", (unsigned)code, name ? " " : "", name ? name : "");
    luaL_addstring(&b, tail);
    luaL_pushresult(&b);
    return 1;
}

void lw_error_register(lua_State *L)
{
    luaL_newmetatable(L, LW_ERROR);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "wsman.Error");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}
