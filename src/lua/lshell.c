/* SPDX-License-Identifier: MIT */
/*
 * lshell.c - remote commands: Shell and Process objects (WinRS, src/core/engine/shell.c).
 *
 *   local sh <close> = session:shell{working_directory=, environment={NAME=value}, codepage=65001,
 *                                    noprofile=true, idle_timeout=seconds, lifetime=seconds, name=}
 *   local sh = session:shell{id = ShellId}          -- re-attach to an existing shell
 *   sh.id, sh.codepage, sh.open
 *   local p <close> = sh:run(command [, args [, opts]])  -- opts: on_output(stream, chunk), skip_cmd_shell
 *       args: a table (each argument quoted by the Windows command-line rules where needed, so the
 *       program receives exactly these strings) or a string (the rest of the command line, as given)
 *   local p = sh:powershell([opts])                  -- powershell.exe reading its script from stdin
 *   local p = sh:attach(CommandId)                   -- a command already running in the shell
 *   sh:close()   sh:detach() -> id                   -- delete now / leave it open on the host
 *   sh:run_cmd(...), sh:run_ps(...)                  -- as the session's, on this shell (written in
 *                                                    -- Lua, wsman.ps; the wsman facade adds them)
 *
 *   for stream, chunk in p:output([seconds]) do ... end   -- "stdout"/"stderr", as produced
 *   p:read([seconds]) -> stream, chunk | nil               -- one chunk; at most one Receive
 *   p:write(data)   p:close_stdin([data])                   -- stdin, any length
 *   p:signal("ctrl_c" | "ctrl_break" | "terminate")
 *   p:wait([seconds]) -> exit code                          -- output goes to on_output, else dropped
 *   p.id, p.done, p.exit_code
 *   p:close()                                               -- terminate if still running
 *
 * A deadline that passes terminates the command and raises an error whose retry is "transient".
 * Garbage collection never does network I/O: a shell still open gets a Delete queued on the
 * session, a running command a Signal terminate (sent before the session's next request).
 */
#include "lutil.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MIN_RECEIVE_WAIT_MS 200 /* the shortest OperationTimeout a Receive asks the host for */

typedef struct lw_shell {
    wsman_shell_t *sh;
} lw_shell; /* uservalue 1: the Session userdata */

typedef struct chunk {
    struct chunk *next;
    int stream;
    size_t len;
    char data[];
} chunk_t;

typedef struct lw_proc {
    wsman_command_t *c;
    chunk_t *head, *tail; /* output of the last Receive not yet handed out */
    int stdin_closed;
    int closed;
} lw_proc; /* uservalue 1: the Shell userdata; 2: on_output or nil */

static const char *stream_names[] = {"stdout", "stderr"};

/* ---- Shell ---------------------------------------------------------------------------------- */

static lw_shell *check_shell(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LW_SHELL);
}

static wsman_shell_t *open_shell(lua_State *L, int idx)
{
    lw_shell *s = check_shell(L, idx);
    if (!s->sh)
        luaL_error(L, "Shell is closed");
    return s->sh;
}

static const char *shell_keys[] = {"id",        "working_directory", "environment", "codepage",
                                   "noprofile", "idle_timeout",      "lifetime",    "name",
                                   NULL};

static void check_keys(lua_State *L, int idx, const char *what, const char *keys[])
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        size_t i;
        int ok = 0;
        for (i = 0; k && keys[i]; i++)
            ok |= strcmp(k, keys[i]) == 0;
        if (!ok) {
            const char *s = k ? lw_suggest(k, NULL, keys) : NULL;
            for (i = 0; k && !s && *k && keys[i]; i++) /* a shortened name: working_dir */
                if (strncmp(keys[i], k, strlen(k)) == 0)
                    s = keys[i];
            if (s)
                luaL_error(L, "%s has no option '%s'; did you mean '%s'?", what, k, s);
            luaL_error(L, "%s has no option '%s'", what, k ? k : luaL_typename(L, -2));
        }
        lua_pop(L, 1);
    }
}

static const char *opt_string(lua_State *L, int idx, const char *key)
{
    const char *v = NULL;
    lua_getfield(L, idx, key);
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "option %s must be a string, got %s", key, luaL_typename(L, -1));
        int at = lua_gettop(L);
        v = lw_checkcstring(L, at, lua_pushfstring(L, "option %s", key));
        lua_pop(L, 1); /* the name */
    }
    lua_pop(L, 1); /* the string stays referenced by the options table */
    return v;
}

/* seconds (number) -> ms; 0 when absent. */
static long opt_seconds(lua_State *L, int idx, const char *key)
{
    long ms = 0;
    lua_getfield(L, idx, key);
    if (!lua_isnil(L, -1)) {
        int ok = 0;
        lua_Number n = lua_tonumberx(L, -1, &ok);
        if (!ok || !(n > 0) || n > 2147483.0)
            luaL_error(L, "option %s must be a positive number of seconds, got %s", key,
                       luaL_tolstring(L, -1, NULL));
        ms = (long)(n * 1000.0 + 0.5);
        if (ms < 1)
            ms = 1;
    }
    lua_pop(L, 1);
    return ms;
}

static int opt_bool(lua_State *L, int idx, const char *key, int absent)
{
    int v = absent;
    lua_getfield(L, idx, key);
    if (!lua_isnil(L, -1)) {
        if (!lua_isboolean(L, -1))
            luaL_error(L, "option %s must be a boolean, got %s", key, luaL_typename(L, -1));
        v = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

static unsigned opt_codepage(lua_State *L, int idx)
{
    unsigned cp = 65001;
    lua_getfield(L, idx, "codepage");
    if (!lua_isnil(L, -1)) {
        int ok = 0;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v <= 0 || v > 65535)
            luaL_error(L, "option codepage must be a Windows codepage number (e.g. 65001, 437), got %s",
                       luaL_tolstring(L, -1, NULL));
        cp = (unsigned)v;
    }
    lua_pop(L, 1);
    return cp;
}

static int cmp_pairs(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* environment table -> name, value, ..., NULL (sorted by name) in a scratch userdata; leaves the
 * table, an anchor for converted values and the scratch userdata on the stack. */
static const char **environment(lua_State *L, int idx)
{
    size_t n = 0, i = 0;
    const char **pairs;
    int env, keep;

    lua_getfield(L, idx, "environment");
    if (lua_isnil(L, -1))
        return NULL;
    if (!lua_istable(L, -1))
        luaL_error(L, "option environment must be a table {NAME = value}, got %s", luaL_typename(L, -1));
    env = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, env)) {
        int t = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "environment variable names must be strings, got %s", luaL_typename(L, -2));
        if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)
            luaL_error(L, "environment variable %s: the value must be a string, number or boolean, got %s",
                       lua_tostring(L, -2), luaL_typename(L, -1));
        lw_checkcstring(L, env + 1, "an environment variable name");
        if (t == LUA_TSTRING)
            lw_checkcstring(L, env + 2, lua_pushfstring(L, "environment variable %s", lua_tostring(L, -2)));
        lua_settop(L, env + 2);
        n++;
        lua_pop(L, 1);
    }
    lua_createtable(L, (int)n, 0);
    keep = lua_gettop(L);
    pairs = lua_newuserdatauv(L, (2 * n + 1) * sizeof *pairs, 0);
    lua_pushnil(L);
    while (lua_next(L, env)) {
        pairs[2 * i] = lua_tostring(L, -2);
        if (lua_type(L, -1) == LUA_TSTRING) {
            pairs[2 * i + 1] = lua_tostring(L, -1);
        } else {
            if (lua_type(L, -1) == LUA_TBOOLEAN)
                lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
            else
                luaL_tolstring(L, -1, NULL);
            pairs[2 * i + 1] = lua_tostring(L, -1);
            lua_rawseti(L, keep, (lua_Integer)i + 1);
        }
        lua_pop(L, 1);
        i++;
    }
    pairs[2 * n] = NULL;
    qsort(pairs, n, 2 * sizeof *pairs, cmp_pairs);
    return pairs;
}

static int push_shell(lua_State *L, wsman_shell_t *sh, int session_idx)
{
    lw_shell *s;
    session_idx = lua_absindex(L, session_idx);
    s = lua_newuserdatauv(L, sizeof *s, 1);
    s->sh = sh;
    luaL_setmetatable(L, LW_SHELL);
    lua_pushvalue(L, session_idx);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

/* session:shell([opts]) */
int lw_session_shell(lua_State *L)
{
    wsman_session_t *s = lw_session_check(L, 1);
    wsman_shell_options_t o;
    wsman_shell_t *sh;
    wsman_error_t e;
    const char *id;

    memset(&o, 0, sizeof o);
    lua_settop(L, 2);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        check_keys(L, 2, "session:shell{}", shell_keys);
    } else {
        lua_settop(L, 1);
        lua_newtable(L);
    }
    id = opt_string(L, 2, "id");
    o.codepage = opt_codepage(L, 2);
    wsman_error_init(&e);
    if (id) {
        sh = wsman_shell_attach(s, id, o.codepage, &e);
    } else {
        o.working_directory = opt_string(L, 2, "working_directory");
        o.name = opt_string(L, 2, "name");
        o.idle_timeout_ms = opt_seconds(L, 2, "idle_timeout");
        o.lifetime_ms = opt_seconds(L, 2, "lifetime");
        lua_getfield(L, 2, "noprofile");
        if (!lua_isnil(L, -1)) {
            if (!lua_isboolean(L, -1))
                return luaL_error(L, "option noprofile must be a boolean, got %s", luaL_typename(L, -1));
            o.noprofile = lua_toboolean(L, -1) ? 1 : -1;
        }
        lua_pop(L, 1);
        o.environment = environment(L, 2);
        sh = wsman_shell_open(s, &o, &e);
    }
    if (!sh)
        return lw_raise(L, &e);
    return push_shell(L, sh, 1);
}

/* ---- Process -------------------------------------------------------------------------------- */

static lw_proc *check_proc(lua_State *L, int idx)
{
    lw_proc *p = luaL_checkudata(L, idx, LW_PROCESS);
    if (!p->c)
        luaL_error(L, "Process is closed");
    return p;
}

static void queue_free(lw_proc *p)
{
    while (p->head) {
        chunk_t *c = p->head;
        p->head = c->next;
        free(c);
    }
    p->tail = NULL;
}

static int on_output(void *ud, int stream, const char *data, size_t len)
{
    lw_proc *p = ud;
    chunk_t *c = malloc(sizeof *c + len);
    if (!c)
        return -1;
    c->next = NULL;
    c->stream = stream;
    c->len = len;
    memcpy(c->data, data, len);
    if (p->tail)
        p->tail->next = c;
    else
        p->head = c;
    p->tail = c;
    return 0;
}

/* Pushes the stream name and the data of the next queued chunk (2 values), or returns 0. */
static int pop_chunk(lua_State *L, lw_proc *p)
{
    chunk_t *c = p->head;
    if (!c)
        return 0;
    p->head = c->next;
    if (!p->head)
        p->tail = NULL;
    lua_pushstring(L, stream_names[c->stream]);
    lua_pushlstring(L, c->data, c->len);
    free(c);
    return 2;
}

static void expire(lua_State *L, lw_proc *p, double seconds)
{
    wsman_error_t e;
    wsman_error_init(&e);
    wsman_command_signal(p->c, "terminate", &e); /* best effort: a queued one follows if it failed */
    wsman_error_clear(&e);
    queue_free(p);
    wsman_error_set(&e, WSMAN_E_TIMEOUT,
                    "the command %s did not end within %g s; it was terminated. Retry with a longer "
                    "deadline if it needs more time",
                    wsman_command_id(p->c), seconds);
    e.retry = WSMAN_RETRY_TRANSIENT;
    lua_getiuservalue(L, 1, 1);
    {
        lw_shell *s = lua_touserdata(L, -1);
        wsman_error_context(&e, "Receive",
                            s && s->sh ? wsman_session_endpoint(wsman_shell_session(s->sh)) : NULL);
    }
    lw_raise(L, &e);
}

/* Reads more output into the queue, honouring an absolute deadline (ms; < 0: none). Raises. */
static void receive(lua_State *L, int pidx, lw_proc *p, long long deadline, double seconds)
{
    wsman_error_t e;
    long wait = 0;
    int rc;

    if (deadline >= 0) {
        long long left = deadline - wsman_now_ms();
        if (left <= 0)
            expire(L, p, seconds);
        wait = (long)(left < 60000 ? left : 60000);
        if (wait < MIN_RECEIVE_WAIT_MS)
            wait = MIN_RECEIVE_WAIT_MS; /* an OperationTimeout the host takes; the deadline may pass by that
                                           much */
    }
    wsman_error_init(&e);
    rc = wsman_command_receive(p->c, wait, on_output, p, &e);
    (void)pidx;
    if (rc < 0)
        lw_raise(L, &e);
}

static long long deadline_arg(lua_State *L, int idx, double *seconds)
{
    lua_Number n;
    *seconds = 0;
    if (lua_isnoneornil(L, idx))
        return -1;
    n = luaL_checknumber(L, idx);
    if (!(n >= 0))
        luaL_argerror(L, idx, "a number of seconds (>= 0) expected");
    *seconds = n;
    return wsman_now_ms() + (long long)(n * 1000.0);
}

/* The iterator's step: arguments (process, deadline, seconds). */
static int output_next(lua_State *L)
{
    lw_proc *p = lua_touserdata(L, 1);
    long long deadline = (long long)lua_tointeger(L, 2);
    double seconds = lua_tonumber(L, 3);

    if (!p->c)
        return luaL_error(L, "Process is closed");
    lua_settop(L, 1); /* index 1 = the process (for expire) */
    for (;;) {
        int n = pop_chunk(L, p);
        if (n)
            return n;
        if (wsman_command_done(p->c))
            return 0;
        receive(L, 1, p, deadline, seconds);
    }
}

/* The iterator p:output() returns (upvalues: process, deadline, seconds); inside a task it yields
 * while its Receive is in flight. */
static int output_iter(lua_State *L)
{
    lua_settop(L, 0);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, lua_upvalueindex(3));
    return lw_task_call(L, output_next);
}

/* p:read([seconds]) -> stream, chunk: the next chunk; when none is queued, one Receive waiting up to
 * seconds (default: Session.Timeout) unless seconds is 0. nil when no output came (the command
 * runs on) or the command is done (p.done tells which). */
static int m_read(lua_State *L)
{
    lw_proc *p = check_proc(L, 1);
    lua_Number seconds = luaL_optnumber(L, 2, -1);
    int n;

    lua_settop(L, 1);
    n = pop_chunk(L, p);
    if (n || wsman_command_done(p->c) || seconds == 0)
        return n ? n : (lua_pushnil(L), 1);
    {
        wsman_error_t e;
        long wait = seconds < 0 ? 0 : (long)(seconds * 1000.0);
        if (seconds > 0 && wait < MIN_RECEIVE_WAIT_MS)
            wait = MIN_RECEIVE_WAIT_MS;
        wsman_error_init(&e);
        if (wsman_command_receive(p->c, wait, on_output, p, &e) < 0)
            return lw_raise(L, &e);
    }
    n = pop_chunk(L, p);
    return n ? n : (lua_pushnil(L), 1);
}

/* p:output([seconds]) -> iterator */
static int m_output(lua_State *L)
{
    double seconds;
    long long deadline;
    check_proc(L, 1);
    deadline = deadline_arg(L, 2, &seconds);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, (lua_Integer)deadline);
    lua_pushnumber(L, seconds);
    lua_pushcclosure(L, output_iter, 3);
    return 1;
}

static int push_exit(lua_State *L, lw_proc *p)
{
    long long code;
    if (wsman_command_exit_code(p->c, &code))
        lua_pushinteger(L, (lua_Integer)code);
    else
        lua_pushnil(L);
    return 1;
}

/* p:wait([seconds]) -> exit code */
static int m_wait(lua_State *L)
{
    lw_proc *p = check_proc(L, 1);
    double seconds;
    long long deadline = deadline_arg(L, 2, &seconds);
    int cb;

    lua_settop(L, 1);
    lua_getiuservalue(L, 1, 2);
    cb = lua_gettop(L);
    for (;;) {
        if (!lua_isnil(L, cb)) {
            while (p->head) {
                lua_pushvalue(L, cb);
                pop_chunk(L, p);
                lua_call(L, 2, 0);
            }
        } else {
            queue_free(p);
        }
        if (wsman_command_done(p->c))
            return push_exit(L, p);
        receive(L, 1, p, deadline, seconds);
    }
}

static int m_write(lua_State *L)
{
    lw_proc *p = check_proc(L, 1);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    wsman_error_t e;

    if (p->stdin_closed)
        return luaL_error(L, "Process:write: stdin is closed (close_stdin was called)");
    wsman_error_init(&e);
    if (len && wsman_command_send(p->c, data, len, 0, &e) != 0)
        return lw_raise(L, &e);
    return 0;
}

static int m_close_stdin(lua_State *L)
{
    lw_proc *p = check_proc(L, 1);
    size_t len = 0;
    const char *data = lua_isnoneornil(L, 2) ? "" : luaL_checklstring(L, 2, &len);
    wsman_error_t e;

    if (p->stdin_closed)
        return 0;
    wsman_error_init(&e);
    if (wsman_command_send(p->c, data, len, 1, &e) != 0)
        return lw_raise(L, &e);
    p->stdin_closed = 1;
    return 0;
}

static int m_signal(lua_State *L)
{
    lw_proc *p = check_proc(L, 1);
    const char *sig = lw_checkcstring(L, 2, NULL);
    wsman_error_t e;

    if (strcmp(sig, "ctrl_c") != 0 && strcmp(sig, "ctrl_break") != 0 && strcmp(sig, "terminate") != 0 &&
        !strchr(sig, '/'))
        return luaL_argerror(L, 2, "\"ctrl_c\", \"ctrl_break\", \"terminate\" or a signal URI expected");
    wsman_error_init(&e);
    if (wsman_command_signal(p->c, sig, &e) != 0)
        return lw_raise(L, &e);
    if (wsman_command_done(p->c))
        queue_free(p);
    return 0;
}

/* p:close(): terminates a command still running (now); never raises for that. */
static int m_close(lua_State *L)
{
    lw_proc *p = luaL_checkudata(L, 1, LW_PROCESS);
    if (p->c && !wsman_command_done(p->c)) {
        wsman_error_t e;
        wsman_error_init(&e);
        wsman_command_signal(p->c, "terminate", &e);
        wsman_error_clear(&e);
    }
    queue_free(p);
    p->closed = 1;
    return 0;
}

static int get_pid(lua_State *L)
{
    lua_pushstring(L, wsman_command_id(check_proc(L, 1)->c));
    return 1;
}

static int get_done(lua_State *L)
{
    lua_pushboolean(L, wsman_command_done(check_proc(L, 1)->c));
    return 1;
}

static int get_exit(lua_State *L)
{
    return push_exit(L, check_proc(L, 1));
}

/***
Remote commands: a WinRS cmd shell (`Shell`, from `Session:shell`) and the commands running in
it (`Process`, from `Shell:run`).

Output streams as the host produces it; stdin is sent in pieces that fit MaxEnvelopeSize. A
deadline that passes terminates the command and raises an error object whose `retry` is
`"transient"`. Garbage collection never does network I/O: a shell still open gets its Delete
queued on the session, a running command its `Signal terminate` (sent before the session's
next request); `<close>` does it at once.

    local sh <close> = session:shell { working_directory = "C:\\Temp" }
    local p <close> = sh:run("ping", { "-n", "3", "example.org" })
    for stream, chunk in p:output() do io.write(stream, ": ", chunk) end
    print(p.exit_code)

@classmod Shell
*/

/***
Starts a command in the shell.
@function Shell:run
@tparam string command the program (through cmd.exe unless `opts.skip_cmd_shell`)
@tparam[opt] {string|number,...} args its arguments, one `rsp:Arguments` each
@tparam[opt] table opts `on_output` (a `function(stream, chunk)` called with every chunk as it
 arrives, `stream` being `"stdout"` or `"stderr"`), `skip_cmd_shell` (boolean)
@treturn Process the command
@raise an error object
*/

/***
Starts `powershell.exe` with a short `-EncodedCommand` bootstrap that runs the script written
to its stdin (`p:close_stdin(script)`), so no command-line limit applies.
@function Shell:powershell
@tparam[opt] table opts as for `run` (`on_output`, `skip_cmd_shell`)
@treturn Process the command
@raise an error object
*/

/***
A command already running in the shell (after a reconnection).
@function Shell:attach
@tparam string id the CommandId
@treturn Process the command
@raise an error object
*/

/***
Runs a command in this shell and collects its output (see `wsman.ps`; the shell stays open).
@function Shell:run_cmd
@tparam string command the program
@tparam[opt] {string,...} args its arguments
@tparam[opt] table opts `stdin`, `timeout` (seconds), `on_output`, `skip_cmd_shell`
@treturn string stdout
@treturn string stderr
@treturn integer the exit code
@raise an error object
@see wsman.ps.shell_run_cmd
*/

/***
Runs a PowerShell script in this shell (see `wsman.ps`; the shell stays open).
@function Shell:run_ps
@tparam string script the script, of any length
@tparam[opt] table opts `timeout` (seconds), `on_output`
@treturn string stdout
@treturn string stderr without CLIXML (the error stream as text)
@treturn integer the exit code
@treturn table the records (errors, warnings, progress...; see `WSMan.clixml`)
@raise an error object
@see wsman.ps.shell_run_ps
*/

/***
Deletes the shell on the host now (its running commands end).
@function Shell:close
@raise an error object when the Delete fails (it is then queued)
*/

/***
Leaves the shell open on the host and forgets it here (attach to it later with
`session:shell{id = id}`).
@function Shell:detach
@treturn string the ShellId
*/

/***
The ShellId (read-only).
@field Shell.id
*/

/***
The code page of the shell's output (read-only; converted to UTF-8).
@field Shell.codepage
*/

/***
True while the shell exists on the host (read-only).
@field Shell.open
*/

/***
A command running in a shell (`Process`), from `Shell:run`, `Shell:powershell` or `Shell:attach`.
@type Process
*/

/***
Iterates over the output as it arrives.
`for stream, chunk in p:output() do ... end`
@function Process:output
@tparam[opt] number seconds the deadline: the command is terminated after that and an error
 object with `retry = "transient"` is raised
@treturn function an iterator giving `stream` (`"stdout"` or `"stderr"`) and `chunk` (a
 string), until the command is done
*/

/***
Waits for the command to end; the output goes to `on_output`, else is dropped.
@function Process:wait
@tparam[opt] number seconds the deadline, as for `output`
@treturn integer the exit code
@raise an error object
*/

/***
Writes to the command's stdin (any length: sent in pieces that fit MaxEnvelopeSize).
@function Process:write
@tparam string data the bytes
@raise an error object; an error after `close_stdin`
*/

/***
Sends the last bytes of stdin and closes it (the command sees end of file).
@function Process:close_stdin
@tparam[opt] string data the last bytes
@raise an error object
*/

/***
Sends a signal.
@function Process:signal
@tparam string signal `"ctrl_c"`, `"ctrl_break"`, `"terminate"` or a signal URI
@raise an error object
*/

/***
Terminates the command if it is still running; never raises for that (`<close>` does the same).
@function Process:close
*/

/***
The CommandId (read-only).
@field Process.id
*/

/***
True once the command has ended and its output was read (read-only).
@field Process.done
*/

/***
The exit code once done, else nil (read-only).
@field Process.exit_code
*/

static const lw_member proc_members[] = {
    {"output", m_output, NULL, NULL},
    {"read", m_read, NULL, NULL},
    {"wait", m_wait, NULL, NULL},
    {"write", m_write, NULL, NULL},
    {"close_stdin", m_close_stdin, NULL, NULL},
    {"signal", m_signal, NULL, NULL},
    {"close", m_close, NULL, NULL},
    {"id", NULL, get_pid, NULL},
    {"done", NULL, get_done, NULL},
    {"exit_code", NULL, get_exit, NULL},
    {NULL, NULL, NULL, NULL},
};

static const lw_class proc_cls = {LW_PROCESS, "Process", proc_members};

static int p_gc(lua_State *L)
{
    lw_proc *p = luaL_checkudata(L, 1, LW_PROCESS);
    queue_free(p);
    wsman_command_free(p->c); /* queues a Signal terminate when still running */
    p->c = NULL;
    return 0;
}

static int p_tostring(lua_State *L)
{
    lw_proc *p = luaL_checkudata(L, 1, LW_PROCESS);
    if (!p->c)
        lua_pushliteral(L, "Process (freed)");
    else
        lua_pushfstring(L, "Process %s (%s)", wsman_command_id(p->c),
                        wsman_command_done(p->c) ? "done" : "running");
    return 1;
}

/* Pushes a Process for c; shell userdata at shell_idx; on_output function at cb_idx (0: none). */
static int push_proc(lua_State *L, wsman_command_t *c, int shell_idx, int cb_idx)
{
    lw_proc *p;
    shell_idx = lua_absindex(L, shell_idx);
    if (cb_idx)
        cb_idx = lua_absindex(L, cb_idx);
    p = lua_newuserdatauv(L, sizeof *p, 2);
    memset(p, 0, sizeof *p);
    p->c = c;
    luaL_setmetatable(L, LW_PROCESS);
    lua_pushvalue(L, shell_idx);
    lua_setiuservalue(L, -2, 1);
    if (cb_idx) {
        lua_pushvalue(L, cb_idx);
        lua_setiuservalue(L, -2, 2);
    }
    return 1;
}

static const char *run_keys[] = {"on_output", "skip_cmd_shell", NULL};

/* Reads run options at idx: flags, and leaves the on_output function (or nil) on the stack. */
static uint32_t run_opts(lua_State *L, int idx)
{
    uint32_t flags = 0;
    if (lua_isnoneornil(L, idx)) {
        lua_pushnil(L);
        return 0;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    check_keys(L, idx, "Shell:run options", run_keys);
    if (opt_bool(L, idx, "skip_cmd_shell", 0))
        flags |= WSMAN_COMMAND_SKIP_CMD_SHELL;
    lua_getfield(L, idx, "on_output");
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
        luaL_error(L, "option on_output must be a function(stream, chunk), got %s", luaL_typename(L, -1));
    return flags;
}

/* sh:run(command [, args [, opts]]) */
static int m_run(lua_State *L)
{
    wsman_shell_t *sh = open_shell(L, 1);
    const char *cmd = lw_checkcstring(L, 2, NULL);
    size_t nargs = 0, i;
    const char **args = NULL;
    wsman_command_t *c;
    wsman_error_t e;
    uint32_t flags;

    lua_settop(L, 4);
    flags = lua_type(L, 3) == LUA_TSTRING ? WSMAN_COMMAND_VERBATIM_ARGS : 0;
    if (flags) { /* the rest of the command line, sent as given */
        args = lua_newuserdatauv(L, sizeof *args, 0);
        args[0] = lua_tostring(L, 3);
        nargs = 1;
    } else if (!lua_isnoneornil(L, 3)) {
        int keep;
        luaL_checktype(L, 3, LUA_TTABLE);
        nargs = (size_t)luaL_len(L, 3);
        lua_createtable(L, (int)nargs, 0); /* anchors the argument strings */
        keep = lua_gettop(L);
        args = lua_newuserdatauv(L, (nargs ? nargs : 1) * sizeof *args, 0);
        for (i = 0; i < nargs; i++) {
            int t = lua_geti(L, 3, (lua_Integer)i + 1);
            if (t != LUA_TSTRING && t != LUA_TNUMBER)
                return luaL_error(L, "Shell:run: argument %d must be a string, got %s", (int)i + 1,
                                  lua_typename(L, t));
            if (t == LUA_TNUMBER) {
                luaL_tolstring(L, -1, NULL);
                lua_remove(L, -2);
            }
            int at = lua_gettop(L);
            args[i] = lw_checkcstring(L, at, lua_pushfstring(L, "Shell:run: argument %d", (int)i + 1));
            lua_pop(L, 1); /* the name */
            lua_rawseti(L, keep, (lua_Integer)i + 1);
        }
    }
    flags |= run_opts(L, 4);
    wsman_error_init(&e);
    c = wsman_shell_run(sh, cmd, args, nargs, flags, &e);
    if (!c)
        return lw_raise(L, &e);
    return push_proc(L, c, 1, lua_isnil(L, -1) ? 0 : -1);
}

/* sh:powershell([opts]): powershell.exe with the bootstrap that runs the script sent on stdin */
static int m_powershell(lua_State *L)
{
    wsman_shell_t *sh = open_shell(L, 1);
    const char *args[8];
    char *encoded = NULL;
    wsman_command_t *c;
    wsman_error_t e;
    uint32_t flags;
    int n;

    lua_settop(L, 2);
    flags = run_opts(L, 2);
    n = wsman_ps_bootstrap_args(args, &encoded);
    if (n < 0)
        return luaL_error(L, "out of memory");
    wsman_error_init(&e);
    c = wsman_shell_run(sh, WSMAN_PS_EXE, args, (size_t)n, flags, &e);
    wsman_free(encoded);
    if (!c)
        return lw_raise(L, &e);
    return push_proc(L, c, 1, lua_isnil(L, -1) ? 0 : -1);
}

static int m_attach(lua_State *L)
{
    wsman_shell_t *sh = open_shell(L, 1);
    const char *id = lw_checkcstring(L, 2, NULL);
    wsman_error_t e;
    wsman_command_t *c;

    wsman_error_init(&e);
    c = wsman_command_attach(sh, id, &e);
    if (!c)
        return lw_raise(L, &e);
    return push_proc(L, c, 1, 0);
}

static int m_shell_close(lua_State *L)
{
    lw_shell *s = check_shell(L, 1);
    wsman_error_t e;
    int rc;

    if (!s->sh)
        return 0;
    wsman_error_init(&e);
    rc = wsman_shell_close(s->sh, &e);
    if (rc != 0)
        return lw_raise(L, &e);
    return 0;
}

static int m_detach(lua_State *L)
{
    wsman_shell_t *sh = open_shell(L, 1);
    wsman_shell_detach(sh);
    lua_pushstring(L, wsman_shell_id(sh));
    return 1;
}

static int get_shell_id(lua_State *L)
{
    lua_pushstring(L, wsman_shell_id(open_shell(L, 1)));
    return 1;
}

static int get_codepage(lua_State *L)
{
    lua_pushinteger(L, wsman_shell_codepage(open_shell(L, 1)));
    return 1;
}

static int get_open(lua_State *L)
{
    lw_shell *s = check_shell(L, 1);
    lua_pushboolean(L, s->sh && wsman_shell_is_open(s->sh));
    return 1;
}

static const lw_member shell_members[] = {
    {"run", m_run, NULL, NULL},
    {"powershell", m_powershell, NULL, NULL},
    {"attach", m_attach, NULL, NULL},
    {"close", m_shell_close, NULL, NULL},
    {"detach", m_detach, NULL, NULL},
    {"id", NULL, get_shell_id, NULL},
    {"codepage", NULL, get_codepage, NULL},
    {"open", NULL, get_open, NULL},
    {NULL, NULL, NULL, NULL},
};

static const lw_class shell_cls = {LW_SHELL, "Shell", shell_members};

static int sh_gc(lua_State *L)
{
    lw_shell *s = luaL_checkudata(L, 1, LW_SHELL);
    wsman_shell_free(s->sh); /* queues the Delete when still open (and no Process holds it) */
    s->sh = NULL;
    return 0;
}

/* <close>: delete now; a failure is not worth an error at scope exit (queued when unreachable) */
static int sh_close(lua_State *L)
{
    lw_shell *s = luaL_checkudata(L, 1, LW_SHELL);
    if (s->sh) {
        wsman_error_t e;
        wsman_error_init(&e);
        wsman_shell_close(s->sh, &e);
        wsman_error_clear(&e);
    }
    return 0;
}

static int sh_tostring(lua_State *L)
{
    lw_shell *s = luaL_checkudata(L, 1, LW_SHELL);
    if (!s->sh)
        lua_pushliteral(L, "Shell (freed)");
    else
        lua_pushfstring(L, "Shell %s (%s)", wsman_shell_id(s->sh),
                        wsman_shell_is_open(s->sh) ? "open" : "closed");
    return 1;
}

/* ---- CLIXML --------------------------------------------------------------------------------- */

static void set_s(lua_State *L, const char *k, const char *v)
{
    if (v) {
        lua_pushstring(L, v);
        lua_setfield(L, -2, k);
    }
}

static void set_n(lua_State *L, const char *k, long long v)
{
    if (v != LLONG_MIN) {
        lua_pushinteger(L, (lua_Integer)v);
        lua_setfield(L, -2, k);
    }
}

typedef struct rec_ctx {
    lua_State *L;
    int t;
    lua_Integer n;
} rec_ctx;

static int push_record(void *ud, const wsman_ps_record_t *r)
{
    rec_ctx *c = ud;
    lua_State *L = c->L;
    if (!lua_checkstack(L, 4))
        return -1;
    lua_createtable(L, 0, 8);
    set_s(L, "type", r->type);
    set_s(L, "message", r->message);
    set_s(L, "activity", r->activity);
    set_s(L, "current_operation", r->current_operation);
    set_s(L, "status_description", r->status_description);
    set_s(L, "record_type", r->record_type);
    set_n(L, "activity_id", r->activity_id);
    set_n(L, "parent_activity_id", r->parent_activity_id);
    set_n(L, "percent_complete", r->percent_complete);
    set_n(L, "seconds_remaining", r->seconds_remaining);
    set_n(L, "source_id", r->source_id);
    lua_rawseti(L, c->t, ++c->n);
    return 0;
}

/* WSMan.clixml(stderr) -> text, records */
int lw_clixml(lua_State *L)
{
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    wsman_buf_t text;
    wsman_error_t e;
    rec_ctx c;

    lua_settop(L, 1);
    lua_newtable(L);
    c.L = L;
    c.t = 2;
    c.n = 0;
    wsman_buf_init(&text);
    wsman_error_init(&e);
    if (wsman_ps_clixml_decode(data, len, &text, push_record, &c, &e) != 0) {
        wsman_buf_free(&text);
        return lw_raise(L, &e);
    }
    lua_pushlstring(L, text.data ? text.data : "", text.len);
    wsman_buf_free(&text);
    lua_insert(L, 2);
    return 2;
}

void lw_shell_register(lua_State *L)
{
    static const luaL_Reg smeta[] = {
        {"__gc", sh_gc}, {"__close", sh_close}, {"__tostring", sh_tostring}, {NULL, NULL}};
    static const luaL_Reg pmeta[] = {
        {"__gc", p_gc}, {"__close", m_close}, {"__tostring", p_tostring}, {NULL, NULL}};
    lw_class_register(L, &shell_cls, smeta);
    lw_class_register(L, &proc_cls, pmeta);
}
