/* SPDX-License-Identifier: MIT */
/*
 * loptions.c - ConnectionOptions (IWSManConnectionOptions/Ex/Ex2).
 *
 * COM surface: UserName (rw), Password (write-only), CertificateThumbprint (rw),
 * SetProxy(accessType [, authMechanism [, userName [, password]]]) and the Proxy* flag methods.
 * Extension fields (lower case: what COM takes from the certificate store, proxy settings and
 * SPN rules): ca_file, client_cert, client_key, client_key_password (write-only), cert_dir,
 * proxy, spn, delegate, connect_timeout (ms), max_envelope_size (bytes).
 * Secrets are kept in C memory and zeroed when replaced or collected.
 */
#include "lutil.h"

#include <stdlib.h>
#include <string.h>

enum {
    S_USERNAME,
    S_PASSWORD,
    S_THUMBPRINT,
    S_PROXY_USER,
    S_PROXY_PASSWORD,
    S_CA_FILE,
    S_CLIENT_CERT,
    S_CLIENT_KEY,
    S_CLIENT_KEY_PASSWORD,
    S_CERT_DIR,
    S_PROXY,
    S_SPN,
    S_COUNT
};

struct lw_options {
    char *str[S_COUNT];
    wsman_options_t view;
};

static lw_options *check(lua_State *L)
{
    return luaL_checkudata(L, 1, LW_OPTIONS);
}

static void set_slot(lw_options *o, int slot, const char *v)
{
    lw_secure_free(o->str[slot]);
    o->str[slot] = NULL;
    if (v) {
        size_t n = strlen(v);
        o->str[slot] = malloc(n + 1);
        if (o->str[slot])
            memcpy(o->str[slot], v, n + 1);
    }
}

static int store(lua_State *L, int slot, const char *display)
{
    lw_options *o = check(L);
    const char *v = NULL;
    if (!lua_isnil(L, 3)) {
        if (lua_type(L, 3) != LUA_TSTRING)
            return luaL_error(L, "ConnectionOptions.%s must be a string or nil, got %s", display,
                              luaL_typename(L, 3));
        v = lw_checkcstring(L, 3, lua_pushfstring(L, "ConnectionOptions.%s", display));
        lua_settop(L, 3); /* the name */
    }
    set_slot(o, slot, v);
    if (v && !o->str[slot])
        return luaL_error(L, "out of memory");
    return 0;
}

static int push_slot(lua_State *L, int slot)
{
    lw_options *o = check(L);
    if (o->str[slot])
        lua_pushstring(L, o->str[slot]);
    else if (slot == S_USERNAME || slot == S_THUMBPRINT)
        lua_pushliteral(L, ""); /* COM BSTR properties read as empty strings */
    else
        lua_pushnil(L);
    return 1;
}

#define STRPROP(fn, slot, display)                                                                           \
    static int get_##fn(lua_State *L)                                                                        \
    {                                                                                                        \
        return push_slot(L, slot);                                                                           \
    }                                                                                                        \
    static int set_##fn(lua_State *L)                                                                        \
    {                                                                                                        \
        return store(L, slot, display);                                                                      \
    }

STRPROP(username, S_USERNAME, "UserName")
STRPROP(thumbprint, S_THUMBPRINT, "CertificateThumbprint")
STRPROP(ca_file, S_CA_FILE, "ca_file")
STRPROP(client_cert, S_CLIENT_CERT, "client_cert")
STRPROP(client_key, S_CLIENT_KEY, "client_key")
STRPROP(cert_dir, S_CERT_DIR, "cert_dir")
STRPROP(proxy, S_PROXY, "proxy")
STRPROP(spn, S_SPN, "spn")

static int set_password(lua_State *L)
{
    return store(L, S_PASSWORD, "Password");
}
static int set_client_key_password(lua_State *L)
{
    return store(L, S_CLIENT_KEY_PASSWORD, "client_key_password");
}

static int get_delegate(lua_State *L)
{
    lua_pushboolean(L, check(L)->view.delegate);
    return 1;
}
static int set_delegate(lua_State *L)
{
    lw_options *o = check(L);
    if (!lua_isboolean(L, 3) && !lua_isnil(L, 3))
        return luaL_error(L, "ConnectionOptions.delegate must be a boolean, got %s", luaL_typename(L, 3));
    o->view.delegate = lua_toboolean(L, 3);
    return 0;
}

static long check_ms(lua_State *L, const char *display, long max)
{
    int ok = 0;
    lua_Integer v = lua_tointegerx(L, 3, &ok);
    if (!ok || v < 0 || v > max)
        return luaL_error(L, "ConnectionOptions.%s must be an integer from 0 to %d, got %s", display,
                          (int)max, luaL_tolstring(L, 3, NULL));
    return (long)v;
}

static int get_connect_timeout(lua_State *L)
{
    lua_pushinteger(L, check(L)->view.connect_timeout_ms);
    return 1;
}
static int set_connect_timeout(lua_State *L)
{
    lw_options *o = check(L);
    o->view.connect_timeout_ms = check_ms(L, "connect_timeout", 0x7fffffff);
    return 0;
}
static int get_max_envelope_size(lua_State *L)
{
    lw_options *o = check(L);
    lua_pushinteger(L, o->view.max_envelope_size ? o->view.max_envelope_size : 153600);
    return 1;
}
static int set_max_envelope_size(lua_State *L)
{
    lw_options *o = check(L);
    long v = check_ms(L, "max_envelope_size", 0x7fffffff);
    if (v != 0 && v < 8192)
        return luaL_error(L,
                          "ConnectionOptions.max_envelope_size must be at least 8192 bytes (WinRM refuses "
                          "smaller envelopes), got %d",
                          (int)v);
    o->view.max_envelope_size = v;
    return 0;
}

static int m_setproxy(lua_State *L)
{
    lw_options *o = check(L);
    lua_Integer access = luaL_optinteger(L, 2, WSMAN_PROXY_WINHTTP_CONFIG);
    lua_Integer mech = luaL_optinteger(L, 3, 0);
    const char *user = lw_optstring(L, 4, NULL);
    const char *pass = lw_optstring(L, 5, NULL);
    if (access != WSMAN_PROXY_IE_CONFIG && access != WSMAN_PROXY_WINHTTP_CONFIG &&
        access != WSMAN_PROXY_AUTO_DETECT && access != WSMAN_PROXY_NO_PROXY_SERVER)
        return luaL_argerror(L, 2,
                             "accessType must be ProxyIEConfig (1), ProxyWinHttpConfig (2), "
                             "ProxyAutoDetect (4) or ProxyNoProxyServer (8)");
    if (mech != 0 && mech != WSMAN_PROXY_AUTH_NEGOTIATE && mech != WSMAN_PROXY_AUTH_BASIC &&
        mech != WSMAN_PROXY_AUTH_DIGEST)
        return luaL_argerror(L, 3,
                             "authenticationMechanism must be 0, ProxyAuthenticationUseNegotiate (1), "
                             "ProxyAuthenticationUseBasic (2) or ProxyAuthenticationUseDigest (4)");
    if ((user || pass) && access == WSMAN_PROXY_NO_PROXY_SERVER)
        return luaL_argerror(L, 4, "proxy credentials make no sense with ProxyNoProxyServer");
    o->view.proxy_access_type = (int)access;
    o->view.proxy_auth_mechanism = (int)mech;
    set_slot(o, S_PROXY_USER, user);
    set_slot(o, S_PROXY_PASSWORD, pass);
    return 0;
}

#define CONSTMETHOD(fn, value)                                                                               \
    static int fn(lua_State *L)                                                                              \
    {                                                                                                        \
        check(L);                                                                                            \
        lua_pushinteger(L, value);                                                                           \
        return 1;                                                                                            \
    }
CONSTMETHOD(m_proxy_ie, WSMAN_PROXY_IE_CONFIG)
CONSTMETHOD(m_proxy_winhttp, WSMAN_PROXY_WINHTTP_CONFIG)
CONSTMETHOD(m_proxy_auto, WSMAN_PROXY_AUTO_DETECT)
CONSTMETHOD(m_proxy_none, WSMAN_PROXY_NO_PROXY_SERVER)
CONSTMETHOD(m_proxy_negotiate, WSMAN_PROXY_AUTH_NEGOTIATE)
CONSTMETHOD(m_proxy_basic, WSMAN_PROXY_AUTH_BASIC)
CONSTMETHOD(m_proxy_digest, WSMAN_PROXY_AUTH_DIGEST)

/***
The account and connection settings of a session (`IWSManConnectionOptions`, `...Ex`, `...Ex2`),
from `WSMan:CreateConnectionOptions`, passed to `WSMan:CreateSession`.

COM's members keep their names; the lower-case fields are extensions for what Windows takes
from its certificate store, its proxy settings and its SPN rules. Secrets (`Password`,
`client_key_password`, proxy passwords) are write-only, kept in C memory and zeroed when
replaced or collected; they never appear in errors or traces. String fields read as `""`
when unset (COM's empty BSTR) and take a string, or nil to unset.

    local o = wsman:CreateConnectionOptions()
    o.UserName, o.Password = "CONTOSO\\admin", password
    o.ca_file = "/etc/ssl/contoso-ca.pem"

@classmod ConnectionOptions
*/

/***
The account: `"user"`, `"DOMAIN\\user"` or `"user@REALM"`.
@field ConnectionOptions.UserName
*/

/***
The password (write-only).
@field ConnectionOptions.Password
*/

/***
SHA-1 thumbprint (hex, spaces allowed) of the client certificate, looked up in `cert_dir`.
@field ConnectionOptions.CertificateThumbprint
*/

/***
Sets the proxy (`IWSManConnectionOptionsEx2.SetProxy`).
@function ConnectionOptions:SetProxy
@tparam[opt=2] integer accessType `ProxyIEConfig`, `ProxyWinHttpConfig`, `ProxyAutoDetect`
 (all three: the proxy of the environment, `https_proxy`/`http_proxy`/`no_proxy`) or
 `ProxyNoProxyServer`
@tparam[opt=0] integer authenticationMechanism 0 (the default), `ProxyAuthenticationUseNegotiate`,
 `ProxyAuthenticationUseBasic` or `ProxyAuthenticationUseDigest`
@tparam[opt] string userName the proxy account
@tparam[opt] string password its password
@raise when a value is not one of those (credentials with `ProxyNoProxyServer` included)
*/

/***
The value of `ProxyIEConfig` (1).
@function ConnectionOptions:ProxyIEConfig
@treturn integer
*/
/***
The value of `ProxyWinHttpConfig` (2).
@function ConnectionOptions:ProxyWinHttpConfig
@treturn integer
*/
/***
The value of `ProxyAutoDetect` (4).
@function ConnectionOptions:ProxyAutoDetect
@treturn integer
*/
/***
The value of `ProxyNoProxyServer` (8).
@function ConnectionOptions:ProxyNoProxyServer
@treturn integer
*/
/***
The value of `ProxyAuthenticationUseNegotiate` (1).
@function ConnectionOptions:ProxyAuthenticationUseNegotiate
@treturn integer
*/
/***
The value of `ProxyAuthenticationUseBasic` (2).
@function ConnectionOptions:ProxyAuthenticationUseBasic
@treturn integer
*/
/***
The value of `ProxyAuthenticationUseDigest` (4).
@function ConnectionOptions:ProxyAuthenticationUseDigest
@treturn integer
*/

/***
PEM file of the CA certificates that verify the server's certificate (verification is on by
default; without it, the system's CAs).
@field ConnectionOptions.ca_file
*/

/***
PEM file of the TLS client certificate, for `SessionFlagUseClientCertificate`.
@field ConnectionOptions.client_cert
*/

/***
PEM file of the client certificate's private key (may be encrypted).
@field ConnectionOptions.client_key
*/

/***
The password of an encrypted `client_key` (write-only).
@field ConnectionOptions.client_key_password
*/

/***
Directory of PEM certificates with their keys where `CertificateThumbprint` is looked up, as
Windows looks in its certificate store.
@field ConnectionOptions.cert_dir
*/

/***
Proxy URL (`http://proxy:3128`), next to `SetProxy`.
@field ConnectionOptions.proxy
*/

/***
Kerberos service principal name: `svc`, `svc/host[:port]` or a full principal (default
`HTTP/host`).
@field ConnectionOptions.spn
*/

/***
Kerberos: ask for a forwardable ticket and delegate it (a double hop). A boolean, false by
default.
@field ConnectionOptions.delegate
*/

/***
Milliseconds a TCP/TLS connection may take to be set up (0: the default).
@field ConnectionOptions.connect_timeout
*/

/***
MaxEnvelopeSize asked of the server, in bytes (default 153600, at least 8192).
@field ConnectionOptions.max_envelope_size
*/

static const lw_member members[] = {
    {"UserName", NULL, get_username, set_username},
    {"Password", NULL, NULL, set_password},
    {"CertificateThumbprint", NULL, get_thumbprint, set_thumbprint},
    {"SetProxy", m_setproxy, NULL, NULL},
    {"ProxyIEConfig", m_proxy_ie, NULL, NULL},
    {"ProxyWinHttpConfig", m_proxy_winhttp, NULL, NULL},
    {"ProxyAutoDetect", m_proxy_auto, NULL, NULL},
    {"ProxyNoProxyServer", m_proxy_none, NULL, NULL},
    {"ProxyAuthenticationUseNegotiate", m_proxy_negotiate, NULL, NULL},
    {"ProxyAuthenticationUseBasic", m_proxy_basic, NULL, NULL},
    {"ProxyAuthenticationUseDigest", m_proxy_digest, NULL, NULL},
    {"ca_file", NULL, get_ca_file, set_ca_file},
    {"client_cert", NULL, get_client_cert, set_client_cert},
    {"client_key", NULL, get_client_key, set_client_key},
    {"client_key_password", NULL, NULL, set_client_key_password},
    {"cert_dir", NULL, get_cert_dir, set_cert_dir},
    {"proxy", NULL, get_proxy, set_proxy},
    {"spn", NULL, get_spn, set_spn},
    {"delegate", NULL, get_delegate, set_delegate},
    {"connect_timeout", NULL, get_connect_timeout, set_connect_timeout},
    {"max_envelope_size", NULL, get_max_envelope_size, set_max_envelope_size},
    {NULL, NULL, NULL, NULL},
};

static const lw_class cls = {LW_OPTIONS, "ConnectionOptions", members};

static int o_gc(lua_State *L)
{
    lw_options *o = check(L);
    for (int i = 0; i < S_COUNT; i++) {
        lw_secure_free(o->str[i]);
        o->str[i] = NULL;
    }
    return 0;
}

static int o_tostring(lua_State *L)
{
    lw_options *o = check(L);
    lua_pushfstring(L, "ConnectionOptions (UserName=%s)", o->str[S_USERNAME] ? o->str[S_USERNAME] : "");
    return 1;
}

int lw_options_new(lua_State *L)
{
    lw_handle_new(L, sizeof(lw_options), 0, LW_OPTIONS);
    return 1;
}

const wsman_options_t *lw_options_view(lua_State *L, int idx)
{
    lw_options *o = luaL_checkudata(L, idx, LW_OPTIONS);
    o->view.username = o->str[S_USERNAME];
    o->view.password = o->str[S_PASSWORD];
    o->view.certificate_thumbprint = o->str[S_THUMBPRINT];
    o->view.proxy_username = o->str[S_PROXY_USER];
    o->view.proxy_password = o->str[S_PROXY_PASSWORD];
    o->view.ca_file = o->str[S_CA_FILE];
    o->view.client_cert = o->str[S_CLIENT_CERT];
    o->view.client_key = o->str[S_CLIENT_KEY];
    o->view.client_key_password = o->str[S_CLIENT_KEY_PASSWORD];
    o->view.cert_dir = o->str[S_CERT_DIR];
    o->view.proxy = o->str[S_PROXY];
    o->view.spn = o->str[S_SPN];
    return &o->view;
}

void lw_options_register(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", o_gc}, {"__tostring", o_tostring}, {NULL, NULL}};
    lw_class_register(L, &cls, meta);
}
