/* SPDX-License-Identifier: MIT */
/*
 * lterm.c - WSMan._term: the few POSIX calls the `wsman` command needs and Lua lacks, for
 * behaving like winrs (lua/wsman/cli.lua). Nothing here is installed unless the command asks.
 *
 *   _term.isatty(fd) -> boolean
 *   _term.read(fd, max, wait_ms) -> data | "" (nothing within wait_ms) | nil (end of input)
 *       one read(2) of what is available, without stdio buffering (so it mixes with read_line)
 *   _term.read_line(fd) -> line without its newline, or nil at end of input
 *   _term.catch_sigint()      SIGINT only sets a flag (no other work in the handler)
 *   _term.sigint() -> number  the SIGINTs caught since the last call (the count is reset)
 *   _term.release_sigint()    back to the default action
 *   _term.now_ms() -> integer a monotonic clock, milliseconds
 *   _term.guard_stdin() -> boolean  true when descriptor 0 was closed: /dev/null is opened on it,
 *       so that no socket or file opened later becomes "stdin"
 */
#include "lutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TERM_READ_MAX (1 << 20)

static volatile sig_atomic_t sigint_count;

static void on_sigint(int sig)
{
    (void)sig;
    if (sigint_count < 1000)
        sigint_count++;
}

static int check_fd(lua_State *L, int idx)
{
    lua_Integer fd = luaL_checkinteger(L, idx);
    luaL_argcheck(L, fd >= 0 && fd < 1024, idx, "a file descriptor expected");
    return (int)fd;
}

static int t_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty(check_fd(L, 1)));
    return 1;
}

/* poll(2) for input: 1 readable (or hung up, or invalid: a read tells which), 0 not yet. */
static int wait_input(lua_State *L, int fd, int wait_ms)
{
    struct pollfd p;
    int rc;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    do
        rc = poll(&p, 1, wait_ms);
    while (rc < 0 && errno == EINTR && sigint_count == 0);
    if (rc < 0 && errno != EINTR)
        return luaL_error(L, "waiting for input on descriptor %d failed: %s", fd, strerror(errno));
    return rc > 0;
}

static int t_read(lua_State *L)
{
    int fd = check_fd(L, 1);
    lua_Integer max = luaL_optinteger(L, 2, 65536);
    lua_Integer wait = luaL_optinteger(L, 3, 0);
    luaL_Buffer b;
    char *dst;
    ssize_t n;

    luaL_argcheck(L, max > 0 && max <= TERM_READ_MAX, 2, "1 to 1 MiB");
    if (!wait_input(L, fd, wait < 0 ? -1 : (int)(wait > 60000 ? 60000 : wait))) {
        lua_pushliteral(L, "");
        return 1;
    }
    dst = luaL_buffinitsize(L, &b, (size_t)max);
    do
        n = read(fd, dst, (size_t)max);
    while (n < 0 && errno == EINTR && sigint_count == 0);
    if (n < 0 && errno == EINTR) {
        lua_pushliteral(L, ""); /* interrupted by a SIGINT the caller handles first */
        return 1;
    }
    if (n < 0 && errno == EBADF) {
        lua_pushnil(L); /* no input at all (a closed descriptor): treated as its end */
        return 1;
    }
    if (n < 0)
        return luaL_error(L, "reading descriptor %d failed: %s", fd, strerror(errno));
    if (n == 0) {
        lua_pushnil(L);
        return 1;
    }
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

static int t_read_line(lua_State *L)
{
    int fd = check_fd(L, 1);
    luaL_Buffer b;
    char c;
    size_t got = 0;

    luaL_buffinit(L, &b);
    for (;;) {
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR && sigint_count == 0)
            continue;
        if (n <= 0)
            break;
        got++;
        if (c == '\n')
            break;
        luaL_addchar(&b, c);
    }
    if (got == 0) {
        lua_pushnil(L);
        return 1;
    }
    luaL_pushresult(&b);
    {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (len && s[len - 1] == '\r') {
            lua_pushlstring(L, s, len - 1);
            lua_remove(L, -2);
        }
    }
    return 1;
}

static int set_handler(lua_State *L, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read or poll returns, so the flag is seen soon */
    if (sigaction(SIGINT, &sa, NULL) != 0)
        return luaL_error(L, "installing the SIGINT handler failed: %s", strerror(errno));
    return 0;
}

static int t_catch_sigint(lua_State *L)
{
    sigint_count = 0;
    return set_handler(L, on_sigint);
}

static int t_sigint(lua_State *L)
{
    int n = sigint_count;
    sigint_count = 0;
    lua_pushinteger(L, n);
    return 1;
}

static int t_release_sigint(lua_State *L)
{
    return set_handler(L, SIG_DFL);
}

static int t_now_ms(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return 1;
}

static int t_guard_stdin(lua_State *L)
{
    int closed = fcntl(0, F_GETFD) < 0 && errno == EBADF;
    if (closed) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd > 0)
            close(fd); /* 0 was taken meanwhile: nothing to guard */
    }
    lua_pushboolean(L, closed);
    return 1;
}

void lw_term_push(lua_State *L)
{
    static const luaL_Reg fns[] = {{"isatty", t_isatty},
                                   {"read", t_read},
                                   {"read_line", t_read_line},
                                   {"catch_sigint", t_catch_sigint},
                                   {"sigint", t_sigint},
                                   {"release_sigint", t_release_sigint},
                                   {"now_ms", t_now_ms},
                                   {"guard_stdin", t_guard_stdin},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
}
