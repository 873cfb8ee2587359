/*
 * lwsman.c - the module and the WSMan object (IWSMan/IWSManEx/Ex2/Ex3).
 *
 *   local WSMan = require "wsman"
 *   local wsman = WSMan.new()                 -- CreateObject("WSMan.Automation")
 *   WSMan.SessionFlagUseBasic == 0x40000      -- every flag as an integer field
 *   wsman:SessionFlagUseBasic()               -- and as a COM-style method
 *   wsman:CreateSession([connection [, flags [, options]]])
 *   wsman:CreateConnectionOptions()
 *   wsman:CreateResourceLocator([uri])
 *   wsman:GetErrorMessage(code)
 *   wsman.Error, wsman.CommandLine            -- read-only properties
 * Reading a member that does not exist (WSMan.SessionFlagCredUserNamePassword) raises an
 * error that names the member meant.
 */
#include "lutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLAG_LIST(X)                                                                                         \
    X(SessionFlagUTF8, WSMAN_FLAG_UTF8)                                                                      \
    X(SessionFlagCredUsernamePassword, WSMAN_FLAG_CRED_USERNAME_PASSWORD)                                    \
    X(SessionFlagSkipCACheck, WSMAN_FLAG_SKIP_CA_CHECK)                                                      \
    X(SessionFlagSkipCNCheck, WSMAN_FLAG_SKIP_CN_CHECK)                                                      \
    X(SessionFlagUseDigest, WSMAN_FLAG_USE_DIGEST)                                                           \
    X(SessionFlagUseNegotiate, WSMAN_FLAG_USE_NEGOTIATE)                                                     \
    X(SessionFlagUseBasic, WSMAN_FLAG_USE_BASIC)                                                             \
    X(SessionFlagUseKerberos, WSMAN_FLAG_USE_KERBEROS)                                                       \
    X(SessionFlagNoEncryption, WSMAN_FLAG_NO_ENCRYPTION)                                                     \
    X(SessionFlagEnableSPNServerPort, WSMAN_FLAG_ENABLE_SPN_SERVER_PORT)                                     \
    X(SessionFlagUseNoAuthentication, WSMAN_FLAG_USE_NO_AUTHENTICATION)                                      \
    X(SessionFlagUseClientCertificate, WSMAN_FLAG_USE_CLIENT_CERTIFICATE)                                    \
    X(SessionFlagUTF16, WSMAN_FLAG_UTF16)                                                                    \
    X(SessionFlagUseCredSsp, WSMAN_FLAG_USE_CREDSSP)                                                         \
    X(SessionFlagSkipRevocationCheck, WSMAN_FLAG_SKIP_REVOCATION_CHECK)                                      \
    X(SessionFlagAllowNegotiateImplicitCredentials, WSMAN_FLAG_ALLOW_NEGOTIATE_IMPLICIT_CREDENTIALS)         \
    X(SessionFlagUseSsl, WSMAN_FLAG_USE_SSL)                                                                 \
    X(EnumerationFlagNonXmlText, WSMAN_ENUM_NON_XML_TEXT)                                                    \
    X(EnumerationFlagReturnEPR, WSMAN_ENUM_RETURN_EPR)                                                       \
    X(EnumerationFlagReturnObjectAndEPR, WSMAN_ENUM_RETURN_OBJECT_AND_EPR)                                   \
    X(EnumerationFlagHierarchyDeep, WSMAN_ENUM_HIERARCHY_DEEP)                                               \
    X(EnumerationFlagHierarchyShallow, WSMAN_ENUM_HIERARCHY_SHALLOW)                                         \
    X(EnumerationFlagHierarchyDeepBasePropsOnly, WSMAN_ENUM_HIERARCHY_DEEP_BASE_PROPS_ONLY)                  \
    X(EnumerationFlagReturnObject, WSMAN_ENUM_RETURN_OBJECT)                                                 \
    X(EnumerationFlagAssociationInstance, WSMAN_ENUM_ASSOCIATION_INSTANCE)                                   \
    X(EnumerationFlagAssociatedInstance, WSMAN_ENUM_ASSOCIATED_INSTANCE)

#define PROXY_LIST(X)                                                                                        \
    X(ProxyIEConfig, WSMAN_PROXY_IE_CONFIG)                                                                  \
    X(ProxyWinHttpConfig, WSMAN_PROXY_WINHTTP_CONFIG)                                                        \
    X(ProxyAutoDetect, WSMAN_PROXY_AUTO_DETECT)                                                              \
    X(ProxyNoProxyServer, WSMAN_PROXY_NO_PROXY_SERVER)                                                       \
    X(ProxyAuthenticationUseNegotiate, WSMAN_PROXY_AUTH_NEGOTIATE)                                           \
    X(ProxyAuthenticationUseBasic, WSMAN_PROXY_AUTH_BASIC)                                                   \
    X(ProxyAuthenticationUseDigest, WSMAN_PROXY_AUTH_DIGEST)

typedef struct lw_wsman {
    char *error; /* XML of the last failed Create* call */
} lw_wsman;

static lw_wsman *check(lua_State *L)
{
    return luaL_checkudata(L, 1, LW_WSMAN);
}

#define FLAG_METHOD(name, value)                                                                             \
    static int m_##name(lua_State *L)                                                                        \
    {                                                                                                        \
        check(L);                                                                                            \
        lua_pushinteger(L, (lua_Integer)(value));                                                            \
        return 1;                                                                                            \
    }
FLAG_LIST(FLAG_METHOD)

/* Runs f in protected mode so a failure can be remembered in wsman.Error, then re-raises. */
static int remember_failure(lua_State *L, lw_wsman *w, int status)
{
    free(w->error);
    w->error = NULL;
    if (status == LUA_OK)
        return 0;
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "fault");
        if (lua_isstring(L, -1))
            w->error = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return lua_error(L);
}

static int call_create(lua_State *L, lua_CFunction f)
{
    lw_wsman *w = check(L);
    int n = lua_gettop(L);
    lua_pushcfunction(L, f);
    lua_insert(L, 1);
    int status = lua_pcall(L, n, 1, 0);
    remember_failure(L, w, status);
    return 1;
}

static int create_session(lua_State *L)
{
    return lw_session_new(L);
}

static int m_createsession(lua_State *L)
{
    return call_create(L, create_session);
}

static int create_options(lua_State *L)
{
    return lw_options_new(L);
}

static int m_createoptions(lua_State *L)
{
    return call_create(L, create_options);
}

static int create_locator(lua_State *L)
{
    const char *uri = lw_optstring(L, 2, "");
    return lw_locator_new(L, uri);
}

static int m_createlocator(lua_State *L)
{
    return call_create(L, create_locator);
}

/* Accepts 2150859002, -2144108294 (VBScript's signed long), "0x803380FA" or "2150859002". */
static uint32_t check_code(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        char *end = NULL;
        long long v = strtoll(s, &end, 0);
        if (end == s || *end != '\0' || v < INT32_MIN || v > (long long)UINT32_MAX)
            luaL_argerror(L, idx, "error number expected (decimal or 0x hexadecimal)");
        return (uint32_t)v;
    }
    int ok = 0;
    lua_Integer v = lua_tointegerx(L, idx, &ok);
    if (!ok)
        luaL_typeerror(L, idx, "error number");
    if (v < INT32_MIN || v > (lua_Integer)UINT32_MAX)
        luaL_argerror(L, idx, "error number out of the 32-bit range");
    return (uint32_t)v;
}

static int m_geterrormessage(lua_State *L)
{
    check(L);
    uint32_t code = check_code(L, 2);
    const char *text = wsman_error_text(code);
    if (!text && (code & 0xFFFF0000u) == 0x80070000u)
        text = wsman_error_text(code & 0xFFFFu); /* HRESULT_FROM_WIN32 */
    if (!text && code < 0x10000u)
        text = wsman_error_text(0x80070000u | code);
    if (!text) {
        char num[32];
        snprintf(num, sizeof num, "0x%08X (%u)", (unsigned)code, (unsigned)code);
        return luaL_error(L, "GetErrorMessage: no message text is known for error %s", num);
    }
    lua_pushstring(L, text);
    return 1;
}

static int get_error(lua_State *L)
{
    lw_wsman *w = check(L);
    lua_pushstring(L, w->error ? w->error : "");
    return 1;
}

/* Reads a whole small file (at most 1 MiB); caller frees. */
static char *read_small_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    while (data) {
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0 || n >= (1u << 20))
            break;
        if (n == cap) {
            char *p = realloc(data, cap * 2);
            if (!p) {
                free(data);
                data = NULL;
                break;
            }
            data = p;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return data;
}

/* The unprocessed command line of the hosting process (winrm.vbs parses its own):
 * /proc/self/cmdline with arguments joined by spaces, quoted where they need it. */
static int get_commandline(lua_State *L)
{
    check(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t len = 0;
    char *all = read_small_file("/proc/self/cmdline", &len);
    for (size_t i = 0; all && i < len;) {
        const char *a = all + i;
        size_t n = strnlen(a, len - i);
        if (i > 0)
            luaL_addchar(&b, ' ');
        int quote = n == 0 || memchr(a, ' ', n) || memchr(a, '\t', n) || memchr(a, '"', n);
        if (quote)
            luaL_addchar(&b, '"');
        luaL_addlstring(&b, a, n);
        if (quote)
            luaL_addchar(&b, '"');
        i += n + 1;
    }
    free(all);
    luaL_pushresult(&b);
    return 1;
}

#define FLAG_MEMBER(name, value) {#name, m_##name, NULL, NULL},
static const lw_member members[] = {
    {"CreateSession", m_createsession, NULL, NULL},
    {"CreateConnectionOptions", m_createoptions, NULL, NULL},
    {"CreateResourceLocator", m_createlocator, NULL, NULL},
    {"GetErrorMessage", m_geterrormessage, NULL, NULL},
    {"Error", NULL, get_error, NULL},
    {"CommandLine", NULL, get_commandline, NULL},
    FLAG_LIST(FLAG_MEMBER){NULL, NULL, NULL, NULL},
};

static const lw_class cls = {LW_WSMAN, "WSMan", members};

static int w_gc(lua_State *L)
{
    lw_wsman *w = check(L);
    free(w->error);
    w->error = NULL;
    return 0;
}

static int w_tostring(lua_State *L)
{
    check(L);
    lua_pushliteral(L, "WSMan.Automation");
    return 1;
}

static int mod_new(lua_State *L)
{
    lw_wsman *w = lua_newuserdatauv(L, sizeof *w, 0);
    w->error = NULL;
    luaL_setmetatable(L, LW_WSMAN);
    return 1;
}

/* Module members that are not flags (for suggestions). */
static const char *module_names[] = {"new", "_VERSION", "clixml",
#define FLAG_NAME(name, value) #name,
                                     FLAG_LIST(FLAG_NAME) PROXY_LIST(FLAG_NAME) NULL};

/* Members written in Lua (lua/wsman/results.lua), loaded on first use and then kept in the
 * module table: WSMan.decode, WSMan.encode, WSMan.null, WSMan.class, WSMan.epr. */
static const char *lua_members[] = {"decode", "encode", "null", "class", "epr", NULL};

static int module_index(lua_State *L)
{
    const char *key = luaL_checkstring(L, 2);
    for (size_t i = 0; lua_members[i]; i++) {
        if (strcmp(key, lua_members[i]) == 0) {
            lua_getglobal(L, "require");
            lua_pushliteral(L, "wsman.results");
            lua_call(L, 1, 1);
            lua_getfield(L, -1, key);
            lua_pushvalue(L, 2);
            lua_pushvalue(L, -2);
            lua_rawset(L, 1);
            return 1;
        }
    }
    const char *s = lw_suggest(key, NULL, lua_members);
    if (!s)
        s = lw_suggest(key, NULL, module_names);
    if (s)
        return luaL_error(
            L, "wsman has no member '%s'; did you mean '%s'? (member names are case-sensitive in Lua)", key,
            s);
    return luaL_error(L, "wsman has no member '%s'", key);
}

#ifdef WSMAN_STATIC_MODULE
#define WSMAN_EXPORT
#else
#define WSMAN_EXPORT __attribute__((visibility("default")))
#endif

WSMAN_EXPORT int luaopen_wsman(lua_State *L);

int luaopen_wsman(lua_State *L)
{
    static const luaL_Reg wmeta[] = {{"__gc", w_gc}, {"__tostring", w_tostring}, {NULL, NULL}};
    lw_class_register(L, &cls, wmeta);
    lw_error_register(L);
    lw_options_register(L);
    lw_session_register(L);
    lw_locator_register(L);
    lw_enumerator_register(L);
    lw_shell_register(L);
    lw_xml_register(L);

    lua_newtable(L);
    lua_pushcfunction(L, mod_new);
    lua_setfield(L, -2, "new");
    lua_pushliteral(L, WSMAN_VERSION);
    lua_setfield(L, -2, "_VERSION");
    lua_pushcfunction(L, lw_clixml); /* WSMan.clixml(stderr) -> text, records (lshell.c) */
    lua_setfield(L, -2, "clixml");
    lua_pushcfunction(L, lw_xml_parse); /* used by wsman.xml's parse when present (lxml.c) */
    lua_setfield(L, -2, "_xml_parse");
    lw_term_push(L); /* for the wsman command (lterm.c) */
    lua_setfield(L, -2, "_term");
#define FLAG_FIELD(name, value)                                                                              \
    lua_pushinteger(L, (lua_Integer)(value));                                                                \
    lua_setfield(L, -2, #name);
    FLAG_LIST(FLAG_FIELD)
    PROXY_LIST(FLAG_FIELD)
    lua_newtable(L);
    lua_pushcfunction(L, module_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    return 1;
}
