/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the shared event loop: one libcurl multi handle per thread driven by
 * curl_multi_socket_action (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION keep the table of
 * sockets and the timer), and resumable operations (fibers: ucontext stacks, no threads) that
 * suspend while their transfer is in flight.
 *
 * A wait (wsman_loop_wait, called by the transport for each request) inside a fiber records what
 * it waits for and switches back to whoever resumed the fiber; the loop marks the fiber ready
 * when libcurl reports its transfer done, when its deadline passes or when it is cancelled.
 * Outside a fiber the wait drives the loop itself (poll + socket actions) until its own transfer
 * is done: the blocking API is the same code run to completion. Transfers of suspended fibers
 * progress meanwhile; their fibers are resumed later by their owner (wsman_loop_process for
 * wsman_async operations, the Lua task scheduler for fibers it started).
 */
#include "loop.h"
#include "wsman.h"

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WSMAN_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WSMAN_ASAN 1
#endif
#ifdef WSMAN_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WSMAN_VALGRIND 1
#endif
#endif

#define FIBER_STACK_SIZE (512u * 1024u)
#define FIBER_POOL_MAX 64
#define DRIVE_WAIT_MAX_MS 1000 /* the longest single wait of a blocking wait */
#define DRIVE_EVENTS_MAX 256   /* socket events taken from the epoll set per wait */
#define NOT_IN_HEAP (-1L)
#define LOOP_MAX_IDLE_CONNECTIONS (1L << 30)
/* Room left below the waiting function's frame for the frames of the switch itself. */
#define SUSPEND_FRAMES_MARGIN 1024u

struct wsman_fiber {
    ucontext_t ctx, caller;
    unsigned char *stack; /* mapping: guard page + FIBER_STACK_SIZE */
    wsman_async_fn fn, done;
    void *ud;
    long id;
    int finished, cancelled, external, queued;
    wsman_waiter_t *waiting;
    struct wsman_fiber *next_ready, *prev, *next;
    long heap_at;          /* its place in the deadline heap, NOT_IN_HEAP when it is not there */
    long long deadline_at; /* the deadline of its wait while it is in the heap */
    unsigned vg_id;
    void *asan_fake;
    const void *asan_caller_bottom;
    size_t asan_caller_size;
};

typedef struct loop {
    CURLM *multi;
    long refs;
    struct pollfd *fds; /* the sockets libcurl wants watched (wsman_loop_fds) */
    int nfds, cap;
    int *slot_of; /* socket -> its index in fds + 1 (0: not watched), indexed by descriptor */
    int slots;
    wsman_fiber_t **heap; /* the suspended fibers whose waits have a deadline, soonest first */
    long heap_len, heap_cap;
    long long timer_at; /* when libcurl's timer expires (-1: not set) */
    wsman_fiber_t *all;
    wsman_fiber_t *ready_head[2], *ready_tail[2]; /* [0] resumed by the loop, [1] external */
    wsman_fiber_t *pool;                          /* finished fibers whose stacks are reused */
    int pooled;
    long pending, next_id;
    int epfd; /* the epoll set of the sockets: what drive() waits on, and wsman_loop_pollfd */
} loop_t;

static _Thread_local loop_t g = {.timer_at = -1, .epfd = -1};
static _Thread_local wsman_fiber_t *current;
static _Thread_local wsman_fiber_t *starting;

/* ---- the multi handle ---------------------------------------------------------------------- */

/* The index of socket s in the table, -1 when it is not watched: O(1) whatever the number of
 * sockets (10,000 hosts means 10,000 of them). */
static int find_fd(curl_socket_t s)
{
    if (s < 0 || s >= g.slots)
        return -1;
    return g.slot_of[s] - 1;
}

static int grow_slots(curl_socket_t s)
{
    int n = g.slots ? g.slots : 64;
    int *grown;
    while (n <= s)
        n *= 2;
    grown = realloc(g.slot_of, (size_t)n * sizeof *grown);
    if (!grown)
        return -1;
    memset(grown + g.slots, 0, (size_t)(n - g.slots) * sizeof *grown);
    g.slot_of = grown;
    g.slots = n;
    return 0;
}

static int grow_fds(void)
{
    int cap = g.cap ? g.cap * 2 : 16;
    struct pollfd *grown = realloc(g.fds, (size_t)cap * sizeof *grown);
    if (!grown)
        return -1;
    g.fds = grown;
    g.cap = cap;
    return 0;
}

/* The epoll set, created on first use; -1 when the system refuses one. */
static int epoll_set(void)
{
    if (g.epfd < 0) {
        g.epfd = epoll_create1(EPOLL_CLOEXEC);
        for (int i = 0; g.epfd >= 0 && i < g.nfds; i++) {
            struct epoll_event e;
            memset(&e, 0, sizeof e);
            e.events =
                ((g.fds[i].events & POLLIN) ? EPOLLIN : 0u) | ((g.fds[i].events & POLLOUT) ? EPOLLOUT : 0u);
            e.data.fd = g.fds[i].fd;
            epoll_ctl(g.epfd, EPOLL_CTL_ADD, g.fds[i].fd, &e);
        }
    }
    return g.epfd;
}

/* Keeps the epoll set in step with the table: op is EPOLL_CTL_ADD for a socket new to the table
 * (one system call; it may be in the set already when the set was just made from the table),
 * EPOLL_CTL_MOD for a change, EPOLL_CTL_DEL for a removal. */
static void epoll_sync(curl_socket_t s, short ev, int op)
{
    struct epoll_event e;
    if (epoll_set() < 0)
        return;
    memset(&e, 0, sizeof e);
    e.events = ((ev & POLLIN) ? EPOLLIN : 0u) | ((ev & POLLOUT) ? EPOLLOUT : 0u);
    e.data.fd = s;
    if (epoll_ctl(g.epfd, op, s, &e) == 0 || op == EPOLL_CTL_DEL)
        return;
    epoll_ctl(g.epfd, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &e);
}

static void forget_fd(curl_socket_t s, int i)
{
    epoll_sync(s, 0, EPOLL_CTL_DEL);
    g.slot_of[s] = 0;
    g.fds[i] = g.fds[--g.nfds];
    if (i < g.nfds)
        g.slot_of[g.fds[i].fd] = i + 1;
}

/* Tells the transfer's owner that libcurl changed what it watches the socket for. */
static void notify_socket_change(CURL *easy)
{
    wsman_waiter_t *w = NULL;
    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&w) == CURLE_OK && w && w->on_socket_change)
        w->on_socket_change(w);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *up, void *sp)
{
    int i = find_fd(s), op = EPOLL_CTL_MOD;
    short ev = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));

    notify_socket_change(easy);

    if (what == CURL_POLL_REMOVE) {
        if (i >= 0)
            forget_fd(s, i);
        return 0;
    }
    if (i < 0) {
        if ((s >= g.slots && grow_slots(s) != 0) || (g.nfds == g.cap && grow_fds() != 0))
            return -1;
        i = g.nfds++;
        g.fds[i].fd = s;
        g.slot_of[s] = i + 1;
        op = EPOLL_CTL_ADD;
    }
    g.fds[i].events = ev;
    g.fds[i].revents = 0;
    epoll_sync(s, ev, op);
    return 0;
}

int wsman_loop_pollfd(void)
{
    return epoll_set();
}

static int timer_cb(CURLM *multi, long timeout_ms, void *up)
{
    g.timer_at = timeout_ms < 0 ? -1 : wsman_now_ms() + timeout_ms;
    return 0;
}

CURLM *wsman_loop_acquire(void)
{
    if (!g.multi) {
        g.multi = curl_multi_init();
        if (!g.multi)
            return NULL;
        curl_multi_setopt(g.multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
        curl_multi_setopt(g.multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        /* idle connections are never closed for room: libcurl's default limit (four per transfer
         * in flight) would close the connections of idle sessions that share a cache */
        curl_multi_setopt(g.multi, CURLMOPT_MAXCONNECTS, LOOP_MAX_IDLE_CONNECTIONS);
        g.timer_at = -1;
    }
    g.refs++;
    return g.multi;
}

void wsman_loop_release(void)
{
    if (g.refs > 0 && --g.refs == 0) {
        curl_multi_cleanup(g.multi);
        g.multi = NULL;
        free(g.fds);
        g.fds = NULL; /* the epoll set stays: an event loop may still watch it */
        g.nfds = g.cap = 0;
        free(g.slot_of);
        g.slot_of = NULL;
        g.slots = 0;
        g.timer_at = -1;
    }
}

int wsman_loop_add(CURL *easy, wsman_waiter_t *w)
{
    w->done = 0;
    w->rc = CURLE_OK;
    w->fiber = NULL;
    if (!g.multi || curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)w) != CURLE_OK)
        return -1;
    return curl_multi_add_handle(g.multi, easy) == CURLM_OK ? 0 : -1;
}

void wsman_loop_remove(CURL *easy)
{
    if (g.multi)
        curl_multi_remove_handle(g.multi, easy);
}

/* ---- readiness --------------------------------------------------------------------------------- */

static void make_ready(wsman_fiber_t *f)
{
    int q = f->external ? 1 : 0;
    if (f->queued)
        return;
    f->queued = 1;
    f->next_ready = NULL;
    if (g.ready_tail[q])
        g.ready_tail[q]->next_ready = f;
    else
        g.ready_head[q] = f;
    g.ready_tail[q] = f;
}

static wsman_fiber_t *pop_ready(int q)
{
    wsman_fiber_t *f = g.ready_head[q];
    if (!f)
        return NULL;
    g.ready_head[q] = f->next_ready;
    if (!g.ready_head[q])
        g.ready_tail[q] = NULL;
    f->queued = 0;
    f->next_ready = NULL;
    return f;
}

static void unqueue(wsman_fiber_t *f)
{
    for (int q = 0; q < 2 && f->queued; q++) {
        wsman_fiber_t **pp = &g.ready_head[q], *prev = NULL;
        for (; *pp; prev = *pp, pp = &(*pp)->next_ready) {
            if (*pp == f) {
                *pp = f->next_ready;
                if (g.ready_tail[q] == f)
                    g.ready_tail[q] = prev;
                f->queued = 0;
                break;
            }
        }
    }
}

static void drain_messages(void)
{
    CURLMsg *msg;
    int left;
    while (g.multi && (msg = curl_multi_info_read(g.multi, &left)) != NULL) {
        wsman_waiter_t *w = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&w);
        if (!w)
            continue;
        w->done = 1;
        w->rc = msg->data.result;
        if (w->fiber)
            make_ready(w->fiber);
    }
}

/* ---- deadlines: a binary heap of the suspended fibers whose waits have one ------------------- */

static void heap_set(long i, wsman_fiber_t *f)
{
    g.heap[i] = f;
    f->heap_at = i;
}

static void heap_up(long i)
{
    wsman_fiber_t *f = g.heap[i];
    while (i > 0) {
        long parent = (i - 1) / 2;
        if (g.heap[parent]->deadline_at <= f->deadline_at)
            break;
        heap_set(i, g.heap[parent]);
        i = parent;
    }
    heap_set(i, f);
}

static void heap_down(long i)
{
    wsman_fiber_t *f = g.heap[i];
    for (;;) {
        long child = 2 * i + 1;
        if (child >= g.heap_len)
            break;
        if (child + 1 < g.heap_len && g.heap[child + 1]->deadline_at < g.heap[child]->deadline_at)
            child++;
        if (f->deadline_at <= g.heap[child]->deadline_at)
            break;
        heap_set(i, g.heap[child]);
        i = child;
    }
    heap_set(i, f);
}

/* Room for every fiber: reserved when a fiber is created, so that a wait never fails for want
 * of it. */
static int heap_reserve(long n)
{
    wsman_fiber_t **grown;
    long cap = g.heap_cap ? g.heap_cap : 64;
    if (n <= g.heap_cap)
        return 0;
    while (cap < n)
        cap *= 2;
    grown = realloc(g.heap, (size_t)cap * sizeof *grown);
    if (!grown)
        return -1;
    g.heap = grown;
    g.heap_cap = cap;
    return 0;
}

static void heap_push(wsman_fiber_t *f, long long deadline)
{
    f->deadline_at = deadline;
    g.heap[g.heap_len] = f;
    heap_up(g.heap_len++);
}

static void heap_remove(wsman_fiber_t *f)
{
    long i = f->heap_at;
    wsman_fiber_t *last;
    if (i == NOT_IN_HEAP)
        return;
    f->heap_at = NOT_IN_HEAP;
    last = g.heap[--g.heap_len];
    if (last == f)
        return;
    heap_set(i, last);
    heap_up(i);
    heap_down(last->heap_at);
}

/* Makes ready the fibers whose deadline passed: O(log n) each, nothing for the others. */
static void check_deadlines(long long now)
{
    while (g.heap_len > 0 && g.heap[0]->deadline_at <= now) {
        wsman_fiber_t *f = g.heap[0];
        heap_remove(f);
        make_ready(f);
    }
}

static void socket_action(curl_socket_t s, int mask)
{
    int running;
    if (g.multi)
        curl_multi_socket_action(g.multi, s, mask, &running);
}

static void run_timer(void)
{
    if (g.timer_at >= 0 && wsman_now_ms() >= g.timer_at) {
        g.timer_at = -1;
        socket_action(CURL_SOCKET_TIMEOUT, 0);
    }
}

/* Acts on the revents of fds, libcurl's timer and the deadlines; resumes nothing. */
static void dispatch(const struct pollfd *fds, int n)
{
    for (int i = 0; i < n; i++) {
        int mask = 0;
        if (!fds[i].revents)
            continue;
        if (fds[i].revents & (POLLIN | POLLHUP))
            mask |= CURL_CSELECT_IN;
        if (fds[i].revents & POLLOUT)
            mask |= CURL_CSELECT_OUT;
        if (fds[i].revents & (POLLERR | POLLNVAL))
            mask |= CURL_CSELECT_ERR;
        socket_action(fds[i].fd, mask);
    }
    run_timer();
    drain_messages();
    check_deadlines(wsman_now_ms());
}

long wsman_loop_timeout(void)
{
    long long now = wsman_now_ms(), at = g.timer_at;
    if (g.ready_head[0] || g.ready_head[1])
        return 0;
    if (g.heap_len > 0 && (at < 0 || g.heap[0]->deadline_at < at))
        at = g.heap[0]->deadline_at;
    if (at < 0)
        return -1;
    return at <= now ? 0 : (long)(at - now);
}

int wsman_loop_fds(struct pollfd *fds, int max)
{
    for (int i = 0; fds && i < g.nfds && i < max; i++) {
        fds[i] = g.fds[i];
        fds[i].revents = 0;
    }
    return g.nfds;
}

/* Without an epoll set: one poll() of every socket, at most wait_ms, then dispatch. */
static void drive_poll(long wait_ms)
{
    int n = g.nfds, r;
    struct pollfd *copy = NULL;

    if (n > 0 && (copy = malloc((size_t)n * sizeof *copy)) != NULL)
        wsman_loop_fds(copy, n);
    else
        n = 0;
    r = poll(copy, (nfds_t)n, (int)wait_ms);
    dispatch(copy, r > 0 ? n : 0);
    free(copy);
}

/* One wait of the loop, at most wait_ms (-1: up to DRIVE_WAIT_MAX_MS), then dispatch. The epoll
 * set reports only the sockets that are ready, so a step costs the same with 10 or 10,000
 * connections open. */
static void drive(long wait_ms)
{
    struct epoll_event ev[DRIVE_EVENTS_MAX];
    struct pollfd ready[DRIVE_EVENTS_MAX];
    long t = wsman_loop_timeout();
    int r;

    if (t >= 0 && (wait_ms < 0 || t < wait_ms))
        wait_ms = t;
    if (wait_ms < 0)
        wait_ms = DRIVE_WAIT_MAX_MS;
    if (epoll_set() < 0) {
        drive_poll(wait_ms);
        return;
    }
    r = epoll_wait(g.epfd, ev, DRIVE_EVENTS_MAX, (int)wait_ms);
    for (int i = 0; i < r; i++) {
        ready[i].fd = ev[i].data.fd;
        ready[i].events = 0;
        ready[i].revents =
            (short)(((ev[i].events & EPOLLIN) ? POLLIN : 0) | ((ev[i].events & EPOLLOUT) ? POLLOUT : 0) |
                    ((ev[i].events & EPOLLHUP) ? POLLHUP : 0) | ((ev[i].events & EPOLLERR) ? POLLERR : 0));
    }
    dispatch(ready, r > 0 ? r : 0);
}

/* ---- fibers ----------------------------------------------------------------------------------- */

static void switch_start(void **fake, const void *bottom, size_t size)
{
#ifdef WSMAN_ASAN
    __sanitizer_start_switch_fiber(fake, bottom, size);
#else
    (void)fake, (void)bottom, (void)size;
#endif
}

static void switch_finish(void *fake, const void **bottom, size_t *size)
{
#ifdef WSMAN_ASAN
    __sanitizer_finish_switch_fiber(fake, bottom, size);
#else
    (void)fake, (void)bottom, (void)size;
#endif
}

static void fiber_entry(void)
{
    wsman_fiber_t *f = starting;
    switch_finish(NULL, &f->asan_caller_bottom, &f->asan_caller_size);
    f->fn(f->ud);
    f->finished = 1;
    switch_start(NULL, f->asan_caller_bottom, f->asan_caller_size);
    swapcontext(&f->ctx, &f->caller);
}

static wsman_fiber_t *fiber_alloc(void)
{
    long page = sysconf(_SC_PAGESIZE);
    wsman_fiber_t *f = g.pool;
    if (f) {
        g.pool = f->next;
        g.pooled--;
        return f;
    }
    f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->stack = mmap(NULL, FIBER_STACK_SIZE + (size_t)page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (f->stack == MAP_FAILED) {
        free(f);
        return NULL;
    }
    mprotect(f->stack, (size_t)page, PROT_NONE); /* guard page: an overflow faults */
#ifdef WSMAN_VALGRIND
    f->vg_id = VALGRIND_STACK_REGISTER(f->stack + page, f->stack + page + FIBER_STACK_SIZE);
#endif
    return f;
}

/* Gives the pages of f's stack below 'in_use' back to the system (they read as zeros when
 * touched again). Frames come and go below the one that waits: a transport being created, a
 * printf, a handshake leg went deep once and left those pages behind, and at a thousand
 * operations waiting at once three pages each instead of one is 8 MB. */
static void trim_stack(wsman_fiber_t *f, uintptr_t in_use)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t low = (uintptr_t)f->stack + page, cut = in_use & ~(page - 1);
    if (cut > low)
        madvise((void *)low, cut - low, MADV_DONTNEED);
}

static void fiber_free(wsman_fiber_t *f)
{
    long page = sysconf(_SC_PAGESIZE);
    if (g.pooled < FIBER_POOL_MAX) {
        /* a reused stack starts with its top page only */
        trim_stack(f, (uintptr_t)f->stack + (uintptr_t)page + FIBER_STACK_SIZE - 1u);
        f->next = g.pool;
        g.pool = f;
        g.pooled++;
        return;
    }
#ifdef WSMAN_VALGRIND
    VALGRIND_STACK_DEREGISTER(f->vg_id);
#endif
    munmap(f->stack, FIBER_STACK_SIZE + (size_t)page);
    free(f);
}

static void fiber_unlink(wsman_fiber_t *f)
{
    unqueue(f);
    heap_remove(f);
    if (f->prev)
        f->prev->next = f->next;
    else
        g.all = f->next;
    if (f->next)
        f->next->prev = f->prev;
    g.pending--;
    f->prev = f->next = NULL;
}

/* The context that starts fiber_entry on f's stack. */
__attribute__((noinline)) static int prepare_context(wsman_fiber_t *f)
{
    long page = sysconf(_SC_PAGESIZE);
    if (getcontext(&f->ctx) != 0)
        return -1;
    f->ctx.uc_stack.ss_sp = f->stack + page;
    f->ctx.uc_stack.ss_size = FIBER_STACK_SIZE;
    f->ctx.uc_link = NULL;
    makecontext(&f->ctx, fiber_entry, 0);
    return 0;
}

static wsman_fiber_t *fiber_new(wsman_async_fn fn, wsman_async_fn done, void *ud, int external,
                                wsman_error_t *e)
{
    wsman_fiber_t *f = fiber_alloc();
    unsigned char *stack;
    unsigned vg_id;

    if (!f) {
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY, "No memory for the stack of a new operation.");
        return NULL;
    }
    stack = f->stack;
    vg_id = f->vg_id;
    memset(f, 0, sizeof *f);
    f->stack = stack;
    f->vg_id = vg_id;
    f->heap_at = NOT_IN_HEAP;
    if (heap_reserve(g.pending + 1) != 0) {
        fiber_free(f);
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY, "No memory to track the deadline of a new operation.");
        return NULL;
    }
    if (prepare_context(f) != 0) {
        fiber_free(f);
        wsman_error_set(e, WSMAN_E_OUTOFMEMORY, "The stack of a new operation could not be prepared.");
        return NULL;
    }
    f->fn = fn;
    f->done = done;
    f->ud = ud;
    f->external = external;
    f->id = ++g.next_id;
    f->next = g.all;
    if (g.all)
        g.all->prev = f;
    g.all = f;
    g.pending++;
    return f;
}

/* Runs f until it waits or returns; 1 when it has returned (and is freed), 0 when it waits. */
static int fiber_run(wsman_fiber_t *f)
{
    long page = sysconf(_SC_PAGESIZE);
    wsman_fiber_t *prev = current;
    void *fake = NULL;

    unqueue(f);
    current = f;
    starting = f;
    switch_start(&fake, f->stack + page, FIBER_STACK_SIZE);
    swapcontext(&f->caller, &f->ctx);
    switch_finish(fake, NULL, NULL);
    current = prev;
    if (!f->finished)
        return 0;
    fiber_unlink(f);
    if (f->done)
        f->done(f->ud);
    fiber_free(f);
    return 1;
}

/* Inside a fiber: back to whoever resumed it, until it is resumed. */
__attribute__((noinline)) static void fiber_suspend(wsman_fiber_t *f)
{
    switch_start(&f->asan_fake, f->asan_caller_bottom, f->asan_caller_size);
    swapcontext(&f->ctx, &f->caller);
    switch_finish(f->asan_fake, &f->asan_caller_bottom, &f->asan_caller_size);
}

wsman_wait_end_t wsman_loop_wait(wsman_waiter_t *w)
{
    if (current && current->cancelled)
        return WSMAN_WAIT_CANCELLED; /* a new request of a cancelled operation: not sent at all */
    for (;;) {
        wsman_fiber_t *f = current;
        if (w->done)
            return WSMAN_WAIT_DONE;
        if ((w->cancelled || (f && f->cancelled)) && !w->complete_on_cancel)
            return WSMAN_WAIT_CANCELLED;
        if (w->deadline && wsman_now_ms() >= w->deadline)
            return WSMAN_WAIT_TIMED_OUT;
        if (f) {
            volatile char here = 0;
            w->fiber = f;
            f->waiting = w;
            if (w->deadline)
                heap_push(f, w->deadline);
            trim_stack(f, (uintptr_t)&here - SUSPEND_FRAMES_MARGIN);
            fiber_suspend(f);
            heap_remove(f);
            f->waiting = NULL;
            w->fiber = NULL;
            continue;
        }
        if (g.timer_at >= 0 && g.timer_at <= wsman_now_ms()) {
            run_timer();
            drain_messages();
            continue;
        }
        long wait = DRIVE_WAIT_MAX_MS;
        if (w->deadline) {
            long long remain = w->deadline - wsman_now_ms();
            if (remain < wait)
                wait = remain < 0 ? 0 : (long)remain;
        }
        drive(wait);
    }
}

wsman_wait_end_t wsman_loop_sleep(long ms)
{
    wsman_waiter_t w;
    memset(&w, 0, sizeof w);
    w.deadline = wsman_now_ms() + (ms > 0 ? ms : 0);
    return wsman_loop_wait(&w);
}

/* ---- the public side ---------------------------------------------------------------------------- */

long wsman_async(wsman_async_fn fn, wsman_async_fn done, void *ud, wsman_error_t *e)
{
    wsman_fiber_t *f;
    long id;
    if (!fn) {
        wsman_error_set(e, WSMAN_E_INVALIDARG, "wsman_async: no function to run");
        return -1;
    }
    f = fiber_new(fn, done, ud, 0, e);
    if (!f)
        return -1;
    id = f->id;
    fiber_run(f);
    return id;
}

int wsman_async_cancel(long id)
{
    for (wsman_fiber_t *f = g.all; f; f = f->next) {
        if (f->id == id) {
            wsman_fiber_cancel(f);
            return 0;
        }
    }
    return -1;
}

long wsman_async_pending(void)
{
    return g.pending;
}

long wsman_loop_process(const struct pollfd *fds, int n)
{
    wsman_fiber_t *f;
    dispatch(fds, n);
    while ((f = pop_ready(0)) != NULL)
        fiber_run(f);
    return g.pending;
}

long wsman_loop_step(long max_wait_ms)
{
    wsman_fiber_t *f;
    drive(g.ready_head[0] || g.ready_head[1] ? 0 : max_wait_ms);
    while ((f = pop_ready(0)) != NULL)
        fiber_run(f);
    return g.pending;
}

int wsman_fiber_start(wsman_async_fn fn, void *ud, wsman_fiber_t **out, wsman_error_t *e)
{
    wsman_fiber_t *f = fiber_new(fn, NULL, ud, 1, e);
    *out = NULL;
    if (!f)
        return -1;
    if (fiber_run(f))
        return 1;
    *out = f;
    return 0;
}

int wsman_fiber_resume(wsman_fiber_t *f)
{
    return fiber_run(f);
}

void wsman_fiber_cancel(wsman_fiber_t *f)
{
    wsman_fiber_t *alive = g.all;
    while (alive && alive != f) /* a stale token (the operation ended) is ignored */
        alive = alive->next;
    if (!alive)
        return;
    f->cancelled = 1;
    if (f->waiting && !f->waiting->complete_on_cancel)
        make_ready(f);
}

wsman_fiber_t *wsman_loop_ready(void)
{
    return pop_ready(1);
}

void wsman_fiber_discard(wsman_fiber_t *f)
{
    if (!f)
        return;
    if (f->waiting)
        f->waiting->fiber = NULL;
    fiber_unlink(f);
    fiber_free(f);
}

wsman_fiber_t *wsman_fiber_current(void)
{
    return current;
}

int wsman_fiber_cancelled(void)
{
    return current && current->cancelled;
}
