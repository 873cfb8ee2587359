/* SPDX-License-Identifier: MIT */
/*
 * lpsrp.c - PowerShell Remoting's wire for lua/wsman/psrp.lua: PSRP messages and fragments
 * (src/core/psrp.h) and the WinRS-shaped operations of a RunspacePool (src/core/engine/psrpshell.c).
 * The protocol itself (which message when, pool and pipeline states) is psrp.lua's.
 *
 *   core._psrp_message{destination=, type=, rpid=, pid=, data=, bom=} -> bytes (ids as GUID text)
 *   core._psrp_fragment(object_id, bytes, max) -> {fragment bytes, ...}
 *   core._psrp_defrag() -> d; d:feed(bytes) -> {{type=, type_name=, destination=, rpid=, pid=, data=}, ...}
 *   core._psrp_open(session, {uri=, shell_id=, protocol_version=, creation=, idle_timeout=}) -> sh
 *   sh.id, sh.resource_uri, sh.open, sh:max_payload(), sh:command(id, bytes) -> host's id,
 *   sh:send(command_id|nil, bytes [, stream]), sh:receive(command_id|nil [, seconds]) -> bytes, done,
 *   sh:signal(id, code), sh:disconnect([reconnect]), sh:close(); collection queues the Delete of an open pool
 *   core._psrp_attach(session, {uri=, shell_id=}) -> sh of an existing pool (no request);
 *   sh:connect(command_id|nil [, bytes, protocol_version]) -> the connectResponseXml bytes ("" for a
 * pipeline) (no I/O in __gc). core._base64_encode(bytes), core._base64_decode(text) -> string (file
 * transfer's chunks) core._sha1() -> h; h:update(bytes); h:hex() -> lower-case hex digest (file transfer's
 * check)
 */
#include "lutil.h"
#include "protocol.h"
#include "psrp.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define LW_PSRP_SHELL "wsman.PSRPShell"
#define LW_PSRP_DEFRAG "wsman.PSRPDefrag"
#define LW_SHA1 "wsman.SHA1"

enum { MS_PER_SECOND = 1000 };

/* ---- messages and fragments ---------------------------------------------------------------- */

static void guid_field(lua_State *L, int idx, const char *key, unsigned char g[WSMAN_PSRP_GUID_SIZE])
{
    const char *s;

    lua_getfield(L, idx, key);
    s = lua_isnil(L, -1) ? NULL : lw_checkcstring(L, -1, key);
    if (!s)
        memset(g, 0, WSMAN_PSRP_GUID_SIZE);
    else if (wsman_psrp_guid_parse(s, g) != 0)
        luaL_error(L, "PSRP message: %s '%s' is not a GUID", key, s);
    lua_pop(L, 1);
}

static int l_message(lua_State *L)
{
    wsman_psrp_message_t m;
    wsman_buf_t out;

    luaL_checktype(L, 1, LUA_TTABLE);
    memset(&m, 0, sizeof m);
    lua_getfield(L, 1, "destination");
    m.destination = (uint32_t)luaL_optinteger(L, -1, WSMAN_PSRP_TO_SERVER);
    lua_getfield(L, 1, "type");
    m.type = (uint32_t)luaL_checkinteger(L, -1);
    lua_getfield(L, 1, "bom");
    m.bom = lua_toboolean(L, -1);
    lua_getfield(L, 1, "data");
    m.data = luaL_optlstring(L, -1, "", &m.len);
    guid_field(L, 1, "rpid", m.rpid);
    guid_field(L, 1, "pid", m.pid);
    wsman_buf_init(&out);
    if (wsman_psrp_message_encode(&out, &m) != 0) {
        wsman_buf_free(&out);
        return luaL_error(L, "out of memory");
    }
    lua_pushlstring(L, out.data, out.len);
    wsman_buf_free(&out);
    return 1;
}

static int add_fragment(void *ud, const unsigned char *data, size_t len)
{
    lua_State *L = ud;

    lua_pushlstring(L, (const char *)data, len);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static int l_fragment(lua_State *L)
{
    lua_Integer oid = luaL_checkinteger(L, 1);
    size_t len;
    const char *msg = luaL_checklstring(L, 2, &len);
    lua_Integer max = luaL_checkinteger(L, 3);
    wsman_error_t e;

    lua_newtable(L);
    wsman_error_init(&e);
    if (max <= 0 ||
        wsman_psrp_fragment_message((uint64_t)oid, msg, len, (size_t)max, add_fragment, L, &e) != 0) {
        if (!e.code)
            wsman_error_set(&e, WSMAN_E_INVALIDARG, "PSRP fragment size %lld is too small", (long long)max);
        return lw_raise(L, &e);
    }
    return 1;
}

typedef struct lw_defrag {
    wsman_psrp_defrag_t *d;
} lw_defrag;

static int l_defrag(lua_State *L)
{
    lw_defrag *d = lw_handle_new(L, sizeof *d, 0, LW_PSRP_DEFRAG);

    if (!(d->d = wsman_psrp_defrag_new(0)))
        return luaL_error(L, "out of memory");
    return 1;
}

static int push_message(void *ud, const wsman_psrp_message_t *m)
{
    lua_State *L = ud;
    char id[WSMAN_PSRP_GUID_STRLEN + 1];
    const char *name = wsman_psrp_type_name(m->type);

    lua_createtable(L, 0, 6);
    lua_pushinteger(L, m->type);
    lua_setfield(L, -2, "type");
    lua_pushstring(L, name ? name : "UNKNOWN");
    lua_setfield(L, -2, "type_name");
    lua_pushinteger(L, m->destination);
    lua_setfield(L, -2, "destination");
    wsman_psrp_guid_format(m->rpid, id);
    lua_pushstring(L, id);
    lua_setfield(L, -2, "rpid");
    wsman_psrp_guid_format(m->pid, id);
    lua_pushstring(L, id);
    lua_setfield(L, -2, "pid");
    lua_pushlstring(L, m->data, m->len);
    lua_setfield(L, -2, "data");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static int defrag_feed(lua_State *L)
{
    lw_defrag *d = luaL_checkudata(L, 1, LW_PSRP_DEFRAG);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    wsman_error_t e;

    lua_newtable(L);
    wsman_error_init(&e);
    if (wsman_psrp_defrag_feed(d->d, data, len, push_message, L, &e) != 0)
        return lw_raise(L, &e);
    return 1;
}

static int defrag_gc(lua_State *L)
{
    lw_defrag *d = luaL_checkudata(L, 1, LW_PSRP_DEFRAG);
    wsman_psrp_defrag_free(d->d);
    d->d = NULL;
    return 0;
}

/* ---- the RunspacePool's shell ---------------------------------------------------------------- */

typedef struct lw_psrp_shell {
    wsman_psrp_shell_t *sh;
} lw_psrp_shell;

static wsman_psrp_shell_t *check_shell(lua_State *L)
{
    lw_psrp_shell *p = luaL_checkudata(L, 1, LW_PSRP_SHELL);
    if (!p->sh)
        luaL_error(L, "the RunspacePool's shell is freed");
    return p->sh;
}

static const char *opt_field(lua_State *L, int idx, const char *key, size_t *len)
{
    const char *s = NULL;
    int at;

    lua_getfield(L, idx, key);
    at = lua_gettop(L);
    if (!lua_isnil(L, at))
        s = len ? luaL_checklstring(L, at, len)
                : lw_checkcstring(L, at, lua_pushfstring(L, "option %s", key));
    lua_settop(L, at - 1); /* the string stays referenced by the table */
    return s;
}

/* The pool's userdata on the stack, holding the session (argument 1) alive. */
static lw_psrp_shell *new_shell(lua_State *L)
{
    lw_psrp_shell *p = lua_newuserdatauv(L, sizeof *p, 1);

    p->sh = NULL;
    luaL_setmetatable(L, LW_PSRP_SHELL);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return p;
}

static int l_open(lua_State *L)
{
    wsman_session_t *s = lw_session_check(L, 1);
    wsman_psrp_shell_options_t o;
    wsman_error_t e;
    lw_psrp_shell *p;

    luaL_checktype(L, 2, LUA_TTABLE);
    memset(&o, 0, sizeof o);
    o.resource_uri = opt_field(L, 2, "uri", NULL);
    o.shell_id = opt_field(L, 2, "shell_id", NULL);
    o.protocol_version = opt_field(L, 2, "protocol_version", NULL);
    o.creation = opt_field(L, 2, "creation", &o.creation_len);
    lua_getfield(L, 2, "idle_timeout");
    o.idle_timeout_ms = (long)(luaL_optnumber(L, -1, 0) * MS_PER_SECOND);
    lua_pop(L, 1);
    p = new_shell(L);
    wsman_error_init(&e);
    if (!(p->sh = wsman_psrp_shell_open(s, &o, &e)))
        return lw_raise(L, &e);
    return 1;
}

static int l_attach(lua_State *L)
{
    wsman_session_t *s = lw_session_check(L, 1);
    const char *uri, *id;
    wsman_error_t e;
    lw_psrp_shell *p;

    luaL_checktype(L, 2, LUA_TTABLE);
    uri = opt_field(L, 2, "uri", NULL);
    id = opt_field(L, 2, "shell_id", NULL);
    p = new_shell(L);
    wsman_error_init(&e);
    if (!(p->sh = wsman_psrp_shell_attach(s, uri, id, &e)))
        return lw_raise(L, &e);
    return 1;
}

static int sh_command(lua_State *L)
{
    wsman_psrp_shell_t *sh = check_shell(L);
    const char *id = lw_checkcstring(L, 2, NULL);
    size_t len;
    const char *args = luaL_checklstring(L, 3, &len);
    wsman_error_t e;
    char *host_id;

    wsman_error_init(&e);
    if (!(host_id = wsman_psrp_shell_command(sh, id, args, len, &e)))
        return lw_raise(L, &e);
    lua_pushstring(L, host_id);
    free(host_id);
    return 1;
}

static int sh_send(lua_State *L)
{
    wsman_psrp_shell_t *sh = check_shell(L);
    const char *id = lw_optcstring(L, 2, NULL, NULL);
    size_t len;
    const char *data = luaL_checklstring(L, 3, &len);
    const char *stream = lw_optcstring(L, 4, NULL, NULL);
    wsman_error_t e;

    wsman_error_init(&e);
    if (wsman_psrp_shell_send(sh, id, stream, data, len, &e) != 0)
        return lw_raise(L, &e);
    return 0;
}

typedef struct received {
    lua_State *L;
    int pushed;
} received_t;

/* The reply's fragment bytes, pushed as one string (called once per Receive at most). */
static int collect(void *ud, const unsigned char *data, size_t len)
{
    received_t *r = ud;

    lua_pushlstring(r->L, (const char *)data, len);
    r->pushed = 1;
    return 0;
}

static int sh_receive(lua_State *L)
{
    wsman_psrp_shell_t *sh = check_shell(L);
    const char *id = lw_optcstring(L, 2, NULL, NULL);
    long wait_ms = (long)(luaL_optnumber(L, 3, 0) * MS_PER_SECOND);
    received_t r = {L, 0};
    wsman_error_t e;
    int rc;

    lua_settop(L, 3);
    wsman_error_init(&e);
    rc = wsman_psrp_shell_receive(sh, id, wait_ms, collect, &r, &e);
    if (rc < 0)
        return lw_raise(L, &e);
    if (!r.pushed)
        lua_pushliteral(L, "");
    lua_pushboolean(L, rc == 1);
    return 2;
}

static int sh_connect(lua_State *L)
{
    wsman_psrp_shell_t *sh = check_shell(L);
    const char *id = lw_optcstring(L, 2, NULL, NULL);
    size_t len = 0;
    const char *data = luaL_optlstring(L, 3, "", &len);
    const char *version = lw_optcstring(L, 4, NULL, NULL);
    received_t r = {L, 0};
    wsman_error_t e;

    lua_settop(L, 4);
    wsman_error_init(&e);
    if (wsman_psrp_shell_connect(sh, id, version, data, len, collect, &r, &e) != 0)
        return lw_raise(L, &e);
    if (!r.pushed)
        lua_pushliteral(L, "");
    return 1;
}

static int sh_signal(lua_State *L)
{
    wsman_psrp_shell_t *sh = check_shell(L);
    const char *id = lw_checkcstring(L, 2, NULL), *code = lw_checkcstring(L, 3, NULL);
    wsman_error_t e;

    wsman_error_init(&e);
    if (wsman_psrp_shell_signal(sh, id, code, &e) != 0)
        return lw_raise(L, &e);
    return 0;
}

static int sh_close(lua_State *L)
{
    lw_psrp_shell *p = luaL_checkudata(L, 1, LW_PSRP_SHELL);
    wsman_error_t e;

    wsman_error_init(&e);
    if (p->sh && wsman_psrp_shell_close(p->sh, &e) != 0)
        return lw_raise(L, &e);
    return 0;
}

static int sh_disconnect(lua_State *L)
{
    wsman_psrp_shell_t *sh = check_shell(L);
    int reconnect = lua_toboolean(L, 2);
    wsman_error_t e;

    wsman_error_init(&e);
    if ((reconnect ? wsman_psrp_shell_reconnect(sh, &e) : wsman_psrp_shell_disconnect(sh, &e)) != 0)
        return lw_raise(L, &e);
    return 0;
}

static int sh_max_payload(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)wsman_psrp_shell_max_payload(check_shell(L)));
    return 1;
}

static int sh_index(lua_State *L)
{
    wsman_psrp_shell_t *sh = check_shell(L);
    const char *k = luaL_checkstring(L, 2);

    if (strcmp(k, "id") == 0)
        lua_pushstring(L, wsman_psrp_shell_id(sh));
    else if (strcmp(k, "resource_uri") == 0)
        lua_pushstring(L, wsman_psrp_shell_resource_uri(sh));
    else if (strcmp(k, "open") == 0)
        lua_pushboolean(L, wsman_psrp_shell_is_open(sh));
    else if (luaL_getmetafield(L, 1, "methods") == LUA_TTABLE)
        lua_getfield(L, -1, k);
    else
        lua_pushnil(L);
    return 1;
}

static int sh_gc(lua_State *L)
{
    lw_psrp_shell *p = luaL_checkudata(L, 1, LW_PSRP_SHELL);
    wsman_psrp_shell_free(p->sh); /* queues the Delete of an open pool: no I/O here */
    p->sh = NULL;
    return 0;
}

/* ---- base64 and SHA-1 for file transfer ---------------------------------------------------- */

static int push_buf(lua_State *L, wsman_buf_t *b, int rc, const char *what)
{
    if (rc != 0) {
        wsman_buf_free(b);
        return luaL_error(L, "%s", what);
    }
    lua_pushlstring(L, b->data ? b->data : "", b->len);
    wsman_buf_free(b);
    return 1;
}

static int l_base64_encode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    wsman_buf_t b;

    wsman_buf_init(&b);
    return push_buf(L, &b, wsman_base64_encode(&b, (const unsigned char *)s, len), "out of memory");
}

static int l_base64_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    wsman_buf_t b;

    wsman_buf_init(&b);
    return push_buf(L, &b, wsman_base64_decode(&b, s, len), "base64: the text is not base64");
}

typedef struct lw_sha1 {
    EVP_MD_CTX *ctx;
} lw_sha1;

static int l_sha1(lua_State *L)
{
    lw_sha1 *h = lw_handle_new(L, sizeof *h, 0, LW_SHA1);

    if (!(h->ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(h->ctx, EVP_sha1(), NULL) != 1)
        return luaL_error(L, "SHA-1 is not available from OpenSSL");
    return 1;
}

static int sha1_update(lua_State *L)
{
    lw_sha1 *h = luaL_checkudata(L, 1, LW_SHA1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);

    if (!h->ctx || EVP_DigestUpdate(h->ctx, s, len) != 1)
        return luaL_error(L, "SHA-1: the digest is finished");
    lua_settop(L, 1);
    return 1;
}

static int sha1_hex(lua_State *L)
{
    static const char hex[] = "0123456789abcdef";
    lw_sha1 *h = luaL_checkudata(L, 1, LW_SHA1);
    unsigned char md[EVP_MAX_MD_SIZE];
    char out[2 * EVP_MAX_MD_SIZE];
    unsigned n = 0, i;

    if (!h->ctx || EVP_DigestFinal_ex(h->ctx, md, &n) != 1)
        return luaL_error(L, "SHA-1: the digest is finished");
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xF];
    }
    lua_pushlstring(L, out, 2 * (size_t)n);
    return 1;
}

static int sha1_gc(lua_State *L)
{
    lw_sha1 *h = luaL_checkudata(L, 1, LW_SHA1);
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    return 0;
}

void lw_psrp_register(lua_State *L)
{
    static const luaL_Reg defrag_methods[] = {{"feed", defrag_feed}, {NULL, NULL}};
    static const luaL_Reg sha1_methods[] = {{"update", sha1_update}, {"hex", sha1_hex}, {NULL, NULL}};
    static const luaL_Reg shell_methods[] = {
        {"command", sh_command},         {"send", sh_send},       {"receive", sh_receive},
        {"signal", sh_signal},           {"close", sh_close},     {"disconnect", sh_disconnect},
        {"max_payload", sh_max_payload}, {"connect", sh_connect}, {NULL, NULL}};
    static const luaL_Reg shell_meta[] = {
        {"__gc", sh_gc}, {"__close", sh_close}, {"__index", sh_index}, {NULL, NULL}};

    lw_pskey_register(L);
    lw_handle_register(L, LW_PSRP_DEFRAG, defrag_gc, defrag_methods);
    lw_handle_register(L, LW_SHA1, sha1_gc, sha1_methods);
    luaL_newmetatable(L, LW_PSRP_SHELL);
    luaL_setfuncs(L, shell_meta, 0);
    luaL_newlib(L, shell_methods);
    lua_setfield(L, -2, "methods");
    lua_pop(L, 1);
}

void lw_psrp_fields(lua_State *L)
{
    static const luaL_Reg fns[] = {{"_psrp_message", l_message},
                                   {"_psrp_fragment", l_fragment},
                                   {"_psrp_defrag", l_defrag},
                                   {"_psrp_open", l_open},
                                   {"_psrp_attach", l_attach},
                                   {"_base64_encode", l_base64_encode},
                                   {"_base64_decode", l_base64_decode},
                                   {"_sha1", l_sha1},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
    lw_pskey_fields(L);
}
