/* SPDX-License-Identifier: MIT */
/*
 * llocator.c - ResourceLocator (IWSManResourceLocator).
 *
 * Properties: ResourceURI (rw, path only, aliases expanded), FragmentPath (rw),
 * FragmentDialect (rw, XPath 1.0 by default), MustUnderstandOptions (rw boolean), Error (r).
 * Methods: AddSelector(name, value), ClearSelectors(), AddOption(name, value [, mustComply]),
 * ClearOptions().
 */
#include "lutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct lw_locator {
    wsman_locator_t *loc;
    char *error; /* XML of the last failure */
} lw_locator;

static lw_locator *check(lua_State *L)
{
    lw_locator *l = luaL_checkudata(L, 1, LW_LOCATOR);
    if (!l->loc)
        luaL_error(L, "ResourceLocator has been released");
    return l;
}

static int fail(lua_State *L, lw_locator *l, wsman_error_t *e)
{
    free(l->error);
    l->error = e->fault_xml ? strdup(e->fault_xml) : NULL;
    return lw_raise(L, e);
}

static int get_uri(lua_State *L)
{
    lua_pushstring(L, wsman_locator_uri(check(L)->loc));
    return 1;
}
static int set_uri(lua_State *L)
{
    lw_locator *l = check(L);
    const char *v = lw_checkcstring(L, 3, "ResourceLocator.ResourceURI");
    wsman_error_t e;
    wsman_error_init(&e);
    if (wsman_locator_set_uri(l->loc, v, &e) != 0)
        return fail(L, l, &e);
    return 0;
}
static int get_fpath(lua_State *L)
{
    lua_pushstring(L, wsman_locator_fragment_path(check(L)->loc));
    return 1;
}
static int set_fpath(lua_State *L)
{
    lw_locator *l = check(L);
    const char *v = lua_isnil(L, 3) ? "" : lw_checkcstring(L, 3, "ResourceLocator.FragmentPath");
    wsman_error_t e;
    wsman_error_init(&e);
    if (wsman_locator_set_fragment_path(l->loc, v, &e) != 0)
        return fail(L, l, &e);
    return 0;
}
static int get_fdialect(lua_State *L)
{
    lua_pushstring(L, wsman_locator_fragment_dialect(check(L)->loc));
    return 1;
}
static int set_fdialect(lua_State *L)
{
    lw_locator *l = check(L);
    const char *v = lua_isnil(L, 3) ? "" : lw_checkcstring(L, 3, "ResourceLocator.FragmentDialect");
    wsman_error_t e;
    wsman_error_init(&e);
    if (wsman_locator_set_fragment_dialect(l->loc, v, &e) != 0)
        return fail(L, l, &e);
    return 0;
}
static int get_mu(lua_State *L)
{
    lua_pushboolean(L, wsman_locator_must_understand_options(check(L)->loc));
    return 1;
}
static int set_mu(lua_State *L)
{
    lw_locator *l = check(L);
    int on;
    if (lua_isboolean(L, 3))
        on = lua_toboolean(L, 3);
    else if (lua_isinteger(L, 3))
        on = lua_tointeger(L, 3) != 0; /* VBScript True is -1 */
    else
        return luaL_error(L, "ResourceLocator.MustUnderstandOptions must be a boolean, got %s",
                          luaL_typename(L, 3));
    wsman_locator_set_must_understand_options(l->loc, on);
    return 0;
}
static int get_error(lua_State *L)
{
    lw_locator *l = check(L);
    lua_pushstring(L, l->error ? l->error : "");
    return 1;
}

static int m_addselector(lua_State *L)
{
    lw_locator *l = check(L);
    const char *name = lw_checkcstring(L, 2, "AddSelector: the selector name");
    luaL_checkany(L, 3);
    const char *value = lw_tovariant(L, 3, "AddSelector: the selector value");
    wsman_error_t e;
    wsman_error_init(&e);
    if (wsman_locator_add_selector(l->loc, name, value ? value : "", &e) != 0)
        return fail(L, l, &e);
    return 0;
}
static int m_clearselectors(lua_State *L)
{
    wsman_locator_clear_selectors(check(L)->loc);
    return 0;
}
static int m_addoption(lua_State *L)
{
    lw_locator *l = check(L);
    const char *name = lw_checkcstring(L, 2, "AddOption: the option name");
    const char *value = lw_tovariant(L, 3, "AddOption: the option value");
    int must = 0;
    if (lua_isboolean(L, 4))
        must = lua_toboolean(L, 4);
    else if (!lua_isnoneornil(L, 4))
        must = luaL_checkinteger(L, 4) != 0;
    wsman_error_t e;
    wsman_error_init(&e);
    if (wsman_locator_add_option(l->loc, name, value, must, &e) != 0)
        return fail(L, l, &e);
    return 0;
}
static int m_clearoptions(lua_State *L)
{
    wsman_locator_clear_options(check(L)->loc);
    return 0;
}

/***
A resource with its selectors, options and fragment (`IWSManResourceLocator`), from
`WSMan:CreateResourceLocator`; any `resource` argument of a Session method takes one.

    local L = wsman:CreateResourceLocator("wmicimv2/Win32_Processor")
    L:AddSelector("DeviceID", "CPU0")
    L.FragmentPath = "NumberOfCores"
    print(session:Get(L))

@classmod ResourceLocator
*/

/***
The resource URI, without selectors; aliases are expanded on assignment (`wmicimv2/X` reads
back as `http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/X`). A `?` in the value
raises an error (use `AddSelector`).
@field ResourceLocator.ResourceURI
*/

/***
The fragment (a property, `NumberOfCores`, or an XPath) that Get and Put read or write
instead of the whole instance; `""` when unset.
@field ResourceLocator.FragmentPath
*/

/***
The dialect URI of `FragmentPath` (XPath 1.0 by default).
@field ResourceLocator.FragmentDialect
*/

/***
Whether the host must honour every option (`mustUnderstand` on the OptionSet). A boolean.
@field ResourceLocator.MustUnderstandOptions
*/

/***
The fault XML of the last failed call on this locator, `""` after a success (read-only).
@field ResourceLocator.Error
*/

/***
Adds a selector (a key of the instance).
@function ResourceLocator:AddSelector
@tparam string name the key property (`"Name"`)
@tparam string|number|boolean value its value
@raise an error object when the name or value is not allowed (control characters, NUL bytes)
*/

/***
Removes every selector.
@function ResourceLocator:ClearSelectors
*/

/***
Adds an option (a `wsman:Option` of the OptionSet).
@function ResourceLocator:AddOption
@tparam string name the option name
@tparam[opt] string|number|boolean value its value (nil: `xsi:nil`)
@tparam[opt=false] boolean|integer mustComply the host must honour it (`MustComply`)
@raise an error object when the name or value is not allowed
*/

/***
Removes every option.
@function ResourceLocator:ClearOptions
*/

static const lw_member members[] = {
    {"ResourceURI", NULL, get_uri, set_uri},
    {"FragmentPath", NULL, get_fpath, set_fpath},
    {"FragmentDialect", NULL, get_fdialect, set_fdialect},
    {"MustUnderstandOptions", NULL, get_mu, set_mu},
    {"Error", NULL, get_error, NULL},
    {"AddSelector", m_addselector, NULL, NULL},
    {"ClearSelectors", m_clearselectors, NULL, NULL},
    {"AddOption", m_addoption, NULL, NULL},
    {"ClearOptions", m_clearoptions, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

static const lw_class cls = {LW_LOCATOR, "ResourceLocator", members};

static int l_gc(lua_State *L)
{
    lw_locator *l = luaL_checkudata(L, 1, LW_LOCATOR);
    wsman_locator_free(l->loc);
    l->loc = NULL;
    free(l->error);
    l->error = NULL;
    return 0;
}

static int l_tostring(lua_State *L)
{
    lw_locator *l = luaL_checkudata(L, 1, LW_LOCATOR);
    lua_pushfstring(L, "ResourceLocator (%s)", l->loc ? wsman_locator_uri(l->loc) : "released");
    return 1;
}

int lw_locator_new(lua_State *L, const char *resource)
{
    lw_locator *l = lua_newuserdatauv(L, sizeof *l, 0);
    l->loc = NULL;
    l->error = NULL;
    luaL_setmetatable(L, LW_LOCATOR);
    l->loc = wsman_locator_new();
    if (!l->loc)
        return luaL_error(L, "out of memory");
    if (resource && *resource) {
        wsman_error_t e;
        wsman_error_init(&e);
        if (wsman_locator_parse(l->loc, resource, &e) != 0)
            return lw_raise(L, &e);
    }
    return 1;
}

wsman_locator_t *lw_tolocator(lua_State *L, int idx)
{
    lw_locator *l = luaL_testudata(L, idx, LW_LOCATOR);
    return l ? l->loc : NULL;
}

wsman_locator_t *lw_checkresource(lua_State *L, int idx, wsman_locator_t **tmp, wsman_error_t *e)
{
    *tmp = NULL;
    wsman_locator_t *loc = lw_tolocator(L, idx);
    if (loc)
        return loc;
    if (lua_type(L, idx) != LUA_TSTRING) {
        luaL_typeerror(L, idx, "resource URI string or ResourceLocator");
        return NULL;
    }
    const char *uri = lw_checkcstring(L, idx, "the resource URI"); /* before allocating */
    *tmp = wsman_locator_new();
    if (!*tmp) {
        luaL_error(L, "out of memory");
        return NULL;
    }
    if (wsman_locator_parse(*tmp, uri, e) != 0) {
        wsman_locator_free(*tmp);
        *tmp = NULL;
        return NULL;
    }
    return *tmp;
}

void lw_locator_register(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", l_gc}, {"__tostring", l_tostring}, {NULL, NULL}};
    lw_class_register(L, &cls, meta);
}
