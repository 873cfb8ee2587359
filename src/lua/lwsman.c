/* SPDX-License-Identifier: MIT */
/*
 * lwsman.c - the C module wsman.core and the WSMan object (IWSMan/IWSManEx/Ex2/Ex3).
 *
 * Scripts use `require "wsman"`: the facade lua/wsman/init.lua loads this module and adds the
 * members written in Lua (WSMan.decode, session:get, run_cmd, ...). This module never loads
 * Lua modules itself.
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
#include "lwsman.h"

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
        const char *s = lw_checkcstring(L, idx, NULL);
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
    if (!text && (code & WSMAN_HRESULT_WIN32_MASK) == WSMAN_HRESULT_WIN32)
        text = wsman_error_text(code & 0xFFFFu); /* HRESULT_FROM_WIN32 */
    if (!text && code < 0x10000u)
        text = wsman_error_text(WSMAN_HRESULT_WIN32 | code);
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

/***
The WSMan object (`CreateObject("WSMan.Automation")`) and the module table.

`local WSMan = require "wsman"` gives the module table: `WSMan.new()` makes a WSMan object,
every flag is an integer field (`WSMan.SessionFlagUseBasic`), and the members written in Lua
are there too (`WSMan.decode`, `WSMan.encode`, `WSMan.connect`: see the `wsman` module). A
WSMan object has COM's methods (`wsman:CreateSession(...)`) and every flag as a COM-style
method (`wsman:SessionFlagUseBasic()`). Reading a member that does not exist raises an error
that names the member meant (`WSMan.SessionFlagUseBasics`: did you mean `SessionFlagUseBasic`?).

    local WSMan = require "wsman"
    local wsman = WSMan.new()
    local o = wsman:CreateConnectionOptions()
    o.UserName, o.Password = "CONTOSO\\admin", "..."
    local session = wsman:CreateSession("https://srv01:5986/wsman",
      WSMan.SessionFlagUseNegotiate | WSMan.SessionFlagCredUsernamePassword, o)

@classmod WSMan
*/

/***
Creates a WSMan object (`CreateObject("WSMan.Automation")`).
@function WSMan.new
@static
@treturn WSMan the object
*/

/***
The version of lua-wsman (`"0.1.0"`).
@field WSMan._VERSION
*/

/***
PowerShell's CLIXML error stream as text and records. The documents are decoded by the same
CLIXML reader as `WSMan.clixml_decode` (so the same types and escapes), then rendered.
@function WSMan.clixml
@static
@tparam string stderr the stderr of `powershell.exe` (`#< CLIXML` and `<Objs ...>` documents;
 other text is kept, and so is a document that does not decode)
@treturn string the readable text: the error stream as PowerShell shows it
@treturn table the records, each `{type = "error" | "warning" | "verbose" | "debug" |
 "information" | "progress" | "output" (the S attribute, lower case), message = ...}`: the
 line(s) of a stream, or an object's ToString (else its Message or MessageData property);
 progress records also have `activity`, `activity_id`, `parent_activity_id`,
 `status_description`, `current_operation`, `percent_complete`, `seconds_remaining`,
 `record_type` (from stderr's `<PR>` or a serialized ProgressRecord), and records from
 objects their `source_id`
@raise an error object when out of memory
*/

/***
The C XML reader behind `wsman.xml`'s `parse` (same arguments and tree).
@function WSMan._xml_parse
@static
@tparam string text the document
@tparam[opt] integer max_depth elements nested deeper are refused
@tparam[opt] integer max_bytes longer documents are refused
@treturn table the root element
*/

/***
The method tables of the classes, by class name (`WSMan`, `Session`, `ConnectionOptions`,
`ResourceLocator`, `Enumerator`, `Shell`, `Process`): a function stored there is a method of
every object of the class, found before the COM members. The `wsman` facade adds the methods
written in Lua this way (`WSMan._methods.Session.get = ...`).
@field WSMan._methods
*/

/***
Creates a session (`IWSMan.CreateSession`); nothing is sent until the first operation.
@function WSMan:CreateSession
@tparam[opt=""] string connection the endpoint as COM reads it: `""` (this computer),
 `host` (`http://host:5985/wsman`, or `https://host:5986/wsman` with `SessionFlagUseSsl`),
 `host:port`, `http://host[:port][/prefix]`, `https://...`, `[IPv6]:port`
@tparam[opt=0] integer flags `SessionFlag*` values combined with `|`
@tparam[opt] ConnectionOptions options the account and the connection settings
@treturn Session the session
@raise an error object when the connection string, the flags or the options are invalid (and
 `wsman.Error` holds the fault XML)
*/

/***
Creates a ConnectionOptions object (`IWSManEx.CreateConnectionOptions`).
@function WSMan:CreateConnectionOptions
@treturn ConnectionOptions the options
*/

/***
Creates a ResourceLocator (`IWSManEx.CreateResourceLocator`).
@function WSMan:CreateResourceLocator
@tparam[opt=""] string uri a resource URI, alias (`wmicimv2/Win32_Service`) with optional
 `?Name=Value+Name=Value` selectors, or an EPR XML string
@treturn ResourceLocator the locator
@raise an error object when the URI is invalid
*/

/***
The text Windows gives for an error number (`IWSManEx.GetErrorMessage`).
@function WSMan:GetErrorMessage
@tparam integer|string code the number: `2150859002`, VBScript's signed `-2144108294`,
 `"0x803380FA"`; Win32 codes and their HRESULT forms (`0x80070005`) both work
@treturn string the message
@raise when no text is known for the number
*/

/***
The fault XML of the last failed `Create*` call of this object, `""` after a success.
@field WSMan.Error
*/

/***
The command line of the hosting process (read-only), arguments quoted where they need it.
@field WSMan.CommandLine
*/

/***
Session flags, for CreateSession.
Integer fields of the module (`WSMan.X`) and methods of a WSMan object (`wsman:X()`), combined
with `|`.
@section flags
*/

/***
Requests and replies in UTF-8 (the default).
@field WSMan.SessionFlagUTF8
*/
/***
Requests in UTF-16.
@field WSMan.SessionFlagUTF16
*/
/***
Authenticate with the `UserName` and `Password` of the ConnectionOptions.
@field WSMan.SessionFlagCredUsernamePassword
*/
/***
HTTPS: do not verify that a trusted CA issued the server's certificate.
@field WSMan.SessionFlagSkipCACheck
*/
/***
HTTPS: do not verify that the certificate's name is the host's.
@field WSMan.SessionFlagSkipCNCheck
*/
/***
HTTPS: do not check the certificate's revocation.
@field WSMan.SessionFlagSkipRevocationCheck
*/
/***
Digest authentication.
@field WSMan.SessionFlagUseDigest
*/
/***
Negotiate: Kerberos when it can be used, else NTLM; messages encrypted over HTTP.
@field WSMan.SessionFlagUseNegotiate
*/
/***
Basic authentication (over HTTP only with `SessionFlagNoEncryption`).
@field WSMan.SessionFlagUseBasic
*/
/***
Kerberos (with the password, the credential cache or a keytab); messages encrypted over HTTP.
@field WSMan.SessionFlagUseKerberos
*/
/***
No message encryption over HTTP (what Basic over HTTP needs; the host must allow it).
@field WSMan.SessionFlagNoEncryption
*/
/***
Kerberos SPN `HTTP/host:port` instead of `HTTP/host`.
@field WSMan.SessionFlagEnableSPNServerPort
*/
/***
No authentication (an unauthenticated `Identify`).
@field WSMan.SessionFlagUseNoAuthentication
*/
/***
A TLS client certificate (`client_cert`/`client_key`, or `CertificateThumbprint` in `cert_dir`).
@field WSMan.SessionFlagUseClientCertificate
*/
/***
CredSSP: not available (the session raises an error saying so).
@field WSMan.SessionFlagUseCredSsp
*/
/***
Negotiate/Kerberos with the logged-on user's credentials (the Kerberos credential cache).
@field WSMan.SessionFlagAllowNegotiateImplicitCredentials
*/
/***
HTTPS with the default port 5986 for a bare host name.
@field WSMan.SessionFlagUseSsl
*/

/***
Enumeration flags, for Session:Enumerate.
Combined with `|`.
@section enumeration_flags
*/

/***
The filter is text, not XML.
@field WSMan.EnumerationFlagNonXmlText
*/
/***
Items are the objects (the default, 0).
@field WSMan.EnumerationFlagReturnObject
*/
/***
Items are EPRs (references) instead of objects.
@field WSMan.EnumerationFlagReturnEPR
*/
/***
Items are objects with their EPRs.
@field WSMan.EnumerationFlagReturnObjectAndEPR
*/
/***
The class and its subclasses with all their properties (the default, 0).
@field WSMan.EnumerationFlagHierarchyDeep
*/
/***
Instances of the class itself, no subclass.
@field WSMan.EnumerationFlagHierarchyShallow
*/
/***
The class and its subclasses, with the base class's properties only.
@field WSMan.EnumerationFlagHierarchyDeepBasePropsOnly
*/
/***
Association filter: the associated instances (the default, 0).
@field WSMan.EnumerationFlagAssociatedInstance
*/
/***
Association filter: the association instances.
@field WSMan.EnumerationFlagAssociationInstance
*/

/***
Proxy settings, for ConnectionOptions:SetProxy.
The `accessType` and `authenticationMechanism` values (module fields; a ConnectionOptions
object has them as methods).
@section proxy_flags
*/

/***
The proxy of Internet Explorer's settings: here the environment (`https_proxy`, `http_proxy`, `no_proxy`).
@field WSMan.ProxyIEConfig
*/
/***
WinHTTP's proxy configuration: here the environment, as for `ProxyIEConfig`.
@field WSMan.ProxyWinHttpConfig
*/
/***
Proxy auto-detection: here the environment, as for `ProxyIEConfig`.
@field WSMan.ProxyAutoDetect
*/
/***
No proxy, whatever the environment says.
@field WSMan.ProxyNoProxyServer
*/
/***
Authenticate to the proxy with Negotiate.
@field WSMan.ProxyAuthenticationUseNegotiate
*/
/***
Authenticate to the proxy with Basic.
@field WSMan.ProxyAuthenticationUseBasic
*/
/***
Authenticate to the proxy with Digest.
@field WSMan.ProxyAuthenticationUseDigest
*/

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

/* Unknown module member: suggests among the module table's own names (the flags, the C
 * functions, and what the wsman facade added: decode, encode, connect, ...). */
static int module_index(lua_State *L)
{
    const char *key = luaL_checkstring(L, 2);
    const char *names[LW_MAX_NAMES + 1];
    lw_string_keys(L, 1, names, LW_MAX_NAMES);
    return lw_unknown_member(L, "wsman", NULL, key, names);
}

/* WSMan._expand_alias(uri): the resource URI with the alias of its first segment expanded
 * (wsman_expand_alias: the core's one alias table), for the Lua layers. */
static int mod_expand_alias(lua_State *L)
{
    char *s = wsman_expand_alias(lw_checkcstring(L, 1, NULL));
    if (!s)
        return luaL_error(L, "out of memory while expanding a resource URI alias");
    lua_pushstring(L, s);
    wsman_free(s);
    return 1;
}

/* A string of list[i][k] (nil allowed when may_nil), without embedded NULs. */
static const char *pair_string(lua_State *L, int i, int k, int may_nil)
{
    size_t len;
    lua_rawgeti(L, -1, k);
    if (may_nil && lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "selector %d: a string is expected for its %s", i, k == 1 ? "name" : "value");
    const char *s = lua_tolstring(L, -1, &len);
    if (strlen(s) != len)
        luaL_error(L, "selector %d: its %s contains a NUL byte", i, k == 1 ? "name" : "value");
    lua_pop(L, 1); /* (the string stays referenced by the list) */
    return s;
}

/* WSMan._selector_set({{name, value}, ...}): the wsman:SelectorSet XML of the core's one writer
 * (wsman_selector_set_xml), for the filters the Lua layers build. */
static int mod_selector_set(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t n = (size_t)luaL_len(L, 1);
    if (n > SIZE_MAX / (2 * sizeof(char *)))
        return luaL_error(L, "too many selectors");
    const char **names = lua_newuserdatauv(L, 2 * n * sizeof *names + 1, 0), **values = names + n;
    for (size_t i = 0; i < n; i++) {
        if (lua_rawgeti(L, 1, (lua_Integer)i + 1) != LUA_TTABLE)
            return luaL_error(L, "selector %d: a {name, value} table is expected", (int)i + 1);
        names[i] = pair_string(L, (int)i + 1, 1, 0);
        values[i] = pair_string(L, (int)i + 1, 2, 1);
        lua_pop(L, 1);
    }
    wsman_buf_t b;
    wsman_buf_init(&b);
    if (wsman_selector_set_xml(&b, names, values, n) != 0) {
        wsman_buf_free(&b);
        return luaL_error(L, "out of memory while writing a selector set");
    }
    lua_pushlstring(L, b.data, b.len);
    wsman_buf_free(&b);
    return 1;
}

/* WSMan._dialects: the filter dialect URIs, by short name. */
static void push_dialects(lua_State *L)
{
    static const char *const dialects[][2] = {{"wql", WSMAN_DIALECT_WQL},
                                              {"selector", WSMAN_DIALECT_SELECTOR},
                                              {"association", WSMAN_DIALECT_ASSOCIATION},
                                              {"xpath", WSMAN_DIALECT_XPATH}};
    size_t n = sizeof dialects / sizeof dialects[0];

    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, dialects[i][1]);
        lua_setfield(L, -2, dialects[i][0]);
    }
}

/* WSMan._methods: the method tables of the classes, by class name. */
static void push_method_tables(lua_State *L)
{
    static const struct {
        const char *display;
        const char *tname;
    } classes[] = {
        {"WSMan", LW_WSMAN},
        {"Session", LW_SESSION},
        {"ConnectionOptions", LW_OPTIONS},
        {"ResourceLocator", LW_LOCATOR},
        {"Enumerator", LW_ENUMERATOR},
        {"Shell", LW_SHELL},
        {"Process", LW_PROCESS},
    };
    lua_createtable(L, 0, (int)(sizeof classes / sizeof classes[0]));
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        lw_push_methods(L, classes[i].tname);
        lua_setfield(L, -2, classes[i].display);
    }
}

int luaopen_wsman_core(lua_State *L)
{
    static const luaL_Reg wmeta[] = {{"__gc", w_gc}, {"__tostring", w_tostring}, {NULL, NULL}};
    lw_task_register(L);
    lw_class_register(L, &cls, wmeta);
    lw_error_register(L);
    lw_options_register(L);
    lw_session_register(L);
    lw_locator_register(L);
    lw_enumerator_register(L);
    lw_shell_register(L);
    lw_xml_register(L);
    lw_psobject_register(L);
    lw_psrp_register(L);

    lua_newtable(L);
    lua_pushcfunction(L, mod_new);
    lua_setfield(L, -2, "new");
    lua_pushliteral(L, WSMAN_VERSION);
    lua_setfield(L, -2, "_VERSION");
    lua_pushcfunction(L, lw_clixml); /* WSMan.clixml(stderr) -> text, records (lshell.c) */
    lua_setfield(L, -2, "clixml");
    lua_pushcfunction(L, lw_xml_parse); /* wsman.xml's parse (lxml.c) */
    lua_setfield(L, -2, "_xml_parse");
    lw_term_push(L); /* for the wsman command (lterm.c) */
    lua_setfield(L, -2, "_term");
    lw_psobject_fields(L); /* clixml_decode, clixml_encode, ps_value, ps_object (lpsobject.c) */
    lw_psvalue_fields(L);  /* ps_datetime, ps_timespan, ps_char (lpsvalue.c) */
    lw_psrp_fields(L);     /* _psrp_*: PowerShell Remoting's wire for wsman.psrp (lpsrp.c) */
    lw_reaper_fields(L);   /* WSMan.flush (lsession.c) */
    lw_task_fields(L);     /* _task_mark, _loop_step...: the hooks of wsman.tasks (ltask.c) */
    lua_pushcfunction(L, mod_expand_alias);
    lua_setfield(L, -2, "_expand_alias");
    lua_pushcfunction(L, mod_selector_set);
    lua_setfield(L, -2, "_selector_set");
    push_dialects(L);
    lua_setfield(L, -2, "_dialects");
    push_method_tables(L);
    lua_setfield(L, -2, "_methods");
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
