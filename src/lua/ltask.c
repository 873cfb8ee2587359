/* SPDX-License-Identifier: MIT */
/*
 * ltask.c - blocking methods that yield inside a task.
 *
 * Every method of the COM-like classes goes through lw_task_call. Outside a task (a coroutine
 * the task scheduler of lua/wsman/tasks.lua marked with _task_mark) it calls the method
 * directly: it blocks exactly as before. Inside a task the method runs as a resumable operation
 * of the core (wsman_fiber_start) on a thread of its own (errors are caught there, on the
 * operation's stack); each time a request of that operation is in flight the task yields the
 * operation's token to the scheduler, which resumes the task once the core reports the token
 * ready (_loop_step), and the continuation resumes the operation. When the operation ends its
 * results (or its error) move back to the task.
 */
#include "lutil.h"

#include <string.h>

#define LW_TASKS_KEY "wsman.tasks.threads" /* weak table: task coroutine -> true */
#define LW_JOB "wsman.TaskCall"
#define LW_SPARE_THREADS_KEY "wsman.tasks.spare_threads" /* registry array of idle threads */
#define SPARE_THREADS_MAX 64

typedef struct lw_job {
    lua_State *T;         /* the thread the method runs on (the userdata's user value) */
    int status;           /* lua_pcall's result */
    int nres;             /* values left on T */
    wsman_fiber_t *fiber; /* the operation while it waits, NULL once it has ended */
} lw_job;

/* What a coroutine is for lw_task_call. */
typedef enum lw_task_state {
    LW_NOT_A_TASK = 0,
    LW_TASK,          /* a task: methods yield */
    LW_TASK_CANCELLED /* a cancelled task: methods fail at once */
} lw_task_state_t;

static lw_task_state_t in_task(lua_State *L)
{
    lw_task_state_t marked;
    if (!lua_isyieldable(L) || wsman_fiber_current())
        return LW_NOT_A_TASK;
    if (lua_getfield(L, LUA_REGISTRYINDEX, LW_TASKS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        return LW_NOT_A_TASK;
    }
    lua_pushthread(L);
    switch (lua_rawget(L, -2)) {
    case LUA_TNIL:
        marked = LW_NOT_A_TASK;
        break;
    case LUA_TSTRING:
        marked = LW_TASK_CANCELLED;
        break;
    default:
        marked = LW_TASK;
        break;
    }
    lua_pop(L, 2);
    return marked;
}

static void job_run(void *ud)
{
    lw_job *j = ud;
    j->status = lua_pcall(j->T, lua_gettop(j->T) - 1, LUA_MULTRET, 0);
    j->nres = lua_gettop(j->T);
}

/* The thread of a method that returned, kept for the next one: a thousand tasks each calling
 * a few methods would otherwise leave a thread (about 1 KB) of garbage per call. */
static void spare_thread(lua_State *L, lua_State *T)
{
    lua_Integer n;
    if (lua_gettop(T) != 0 || lua_status(T) != LUA_OK)
        return;
    if (lua_getfield(L, LUA_REGISTRYINDEX, LW_SPARE_THREADS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, SPARE_THREADS_MAX, 0);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, LW_SPARE_THREADS_KEY);
    }
    n = (lua_Integer)lua_rawlen(L, -1);
    if (n < SPARE_THREADS_MAX) {
        lua_pushthread(T);
        lua_xmove(T, L, 1);
        lua_rawseti(L, -2, n + 1);
    }
    lua_pop(L, 1);
}

/* Pushes a thread for a method to run on: a spare one, else a new one. */
static lua_State *push_thread(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, LW_SPARE_THREADS_KEY) == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        if (n > 0 && lua_rawgeti(L, -1, n) == LUA_TTHREAD) {
            lua_State *T = lua_tothread(L, -1);
            lua_pushnil(L);
            lua_rawseti(L, -3, n);
            lua_remove(L, -2);
            return T;
        }
        if (n > 0)
            lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return lua_newthread(L);
}

static int job_finish(lua_State *L, lw_job *j)
{
    int n = j->nres;
    luaL_checkstack(L, n, "too many results from a method run in a task");
    lua_xmove(j->T, L, n);
    spare_thread(L, j->T);
    if (j->status != LUA_OK)
        return lua_error(L);
    return n;
}

static int job_cont(lua_State *L, int status, lua_KContext ctx);

/* r: what wsman_fiber_start/resume said (1: ended, 0: waits). */
static int job_step(lua_State *L, lw_job *j, int r)
{
    if (r == 1) {
        j->fiber = NULL;
        return job_finish(L, j);
    }
    lua_pushlightuserdata(L, j->fiber);
    return lua_yieldk(L, 1, (lua_KContext)j, job_cont);
}

static int job_cont(lua_State *L, int status, lua_KContext ctx)
{
    lw_job *j = (lw_job *)ctx;
    (void)status;
    return job_step(L, j, wsman_fiber_resume(j->fiber));
}

/* A task dropped while its method waited (its group was collected): the operation is abandoned
 * where it stood. */
static int job_gc(lua_State *L)
{
    lw_job *j = luaL_checkudata(L, 1, LW_JOB);
    if (j->fiber) {
        wsman_fiber_discard(j->fiber);
        j->fiber = NULL;
    }
    return 0;
}

/* The members that declared when they send no request (lw_task_no_wait): a registry table
 * f -> no_wait, both light C functions, per Lua state. */
#define LW_NO_WAITS_KEY "wsman.tasks.no_wait"

void lw_task_no_wait(lua_State *L, lua_CFunction f, lw_no_wait no_wait)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, LW_NO_WAITS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, LW_NO_WAITS_KEY);
    }
    lua_pushcfunction(L, f);
    lua_pushcfunction(L, no_wait);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static int sends_nothing(lua_State *L, lua_CFunction f)
{
    lw_no_wait no_wait = NULL;
    int top = lua_gettop(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, LW_NO_WAITS_KEY) == LUA_TTABLE) {
        lua_pushcfunction(L, f);
        if (lua_rawget(L, -2) == LUA_TFUNCTION)
            no_wait = lua_tocfunction(L, -1);
    }
    lua_settop(L, top);
    return no_wait && no_wait(L);
}

int lw_task_call(lua_State *L, lua_CFunction f)
{
    int nargs = lua_gettop(L), r;
    wsman_error_t err;
    lw_job *j;

    switch (in_task(L)) {
    case LW_NOT_A_TASK:
        return f(L);
    case LW_TASK_CANCELLED:
        return luaL_error(L, "The task was cancelled (group:cancel): it can start no more operations. "
                             "(0x800703E3 ERROR_OPERATION_ABORTED)");
    case LW_TASK:
        break;
    }
    if (sends_nothing(L, f))
        return f(L);
    luaL_checkstack(L, 6, NULL);
    j = lua_newuserdatauv(L, sizeof *j, 1);
    memset(j, 0, sizeof *j);
    luaL_setmetatable(L, LW_JOB);
    j->T = push_thread(L);
    lua_setiuservalue(L, -2, 1);
    lua_rotate(L, 1, 1); /* job, args... */
    luaL_checkstack(j->T, nargs + 1, NULL);
    lua_pushcfunction(j->T, f);
    lua_xmove(L, j->T, nargs);
    wsman_error_init(&err);
    r = wsman_fiber_start(job_run, j, &j->fiber, &err);
    if (r < 0) {
        lua_pushstring(L, err.message ? err.message : "the operation could not be started");
        wsman_error_clear(&err);
        return lua_error(L);
    }
    return job_step(L, j, r);
}

/* The method registered in the class tables: upvalue 1 is the method itself. */
static int task_method(lua_State *L)
{
    return lw_task_call(L, lua_tocfunction(L, lua_upvalueindex(1)));
}

void lw_push_task_method(lua_State *L, lua_CFunction f)
{
    lua_pushcfunction(L, f);
    lua_pushcclosure(L, task_method, 1);
}

/***
Marks a coroutine as a task (its blocking calls yield), as a cancelled task (the string
"cancelled": its calls fail at once) or unmarks it (false).
@function WSMan._task_mark
@tparam thread co
@tparam boolean|string state
*/
static int t_mark(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTHREAD);
    lua_getfield(L, LUA_REGISTRYINDEX, LW_TASKS_KEY);
    lua_pushvalue(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING)
        lua_pushliteral(L, "cancelled");
    else if (lua_toboolean(L, 2))
        lua_pushboolean(L, 1);
    else
        lua_pushnil(L);
    lua_rawset(L, -3);
    return 0;
}

/***
Drives the core's loop once (waits at most wait_ms for sockets, timers, deadlines) and returns
the tokens of the operations whose wait ended, in order.
@function WSMan._loop_step
@tparam integer wait_ms
@treturn table tokens
*/
static int t_step(lua_State *L)
{
    lua_Integer wait = luaL_optinteger(L, 1, -1);
    wsman_fiber_t *f;
    lua_Integer n = 0;
    wsman_loop_step(wait < 0 ? -1 : (long)wait);
    lua_newtable(L);
    while ((f = wsman_loop_ready()) != NULL) {
        lua_pushlightuserdata(L, f);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

/***
Cancels the operation of a token: its waits fail at once (ERROR_OPERATION_ABORTED).
@function WSMan._task_cancel
@tparam lightuserdata token
*/
static int t_cancel(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
    wsman_fiber_cancel(lua_touserdata(L, 1));
    return 0;
}

/***
Milliseconds until the loop needs a step (-1: nothing waits).
@function WSMan._loop_timeout
@treturn integer
*/
static int t_timeout(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)wsman_loop_timeout());
    return 1;
}

/***
A monotonic clock in milliseconds (for the tasks' deadlines).
@function WSMan._now_ms
@treturn integer
*/
static int t_now(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)wsman_now_ms());
    return 1;
}

/***
One descriptor readable when any socket of the loop is ready (an epoll set), for event loops.
@function WSMan._loop_pollfd
@treturn integer fd
*/
static int t_pollfd(lua_State *L)
{
    int fd = wsman_loop_pollfd();
    if (fd < 0)
        return luaL_error(L, "the loop's descriptor could not be created (epoll_create1 failed)");
    lua_pushinteger(L, fd);
    return 1;
}

void lw_task_fields(lua_State *L)
{
    static const luaL_Reg fns[] = {{"_task_mark", t_mark},
                                   {"_loop_step", t_step},
                                   {"_task_cancel", t_cancel},
                                   {"_loop_timeout", t_timeout},
                                   {"_now_ms", t_now},
                                   {"_loop_pollfd", t_pollfd},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}

void lw_task_register(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", job_gc}, {NULL, NULL}};
    if (luaL_newmetatable(L, LW_JOB))
        luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
    if (lua_getfield(L, LUA_REGISTRYINDEX, LW_TASKS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_newtable(L);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, LW_TASKS_KEY);
    } else {
        lua_pop(L, 1);
    }
}
