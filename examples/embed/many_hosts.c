/* SPDX-License-Identifier: MIT */
/*
 * many_hosts.c - a C host that drives many WinRM sessions from its own poll() loop.
 *
 *   wsman-many-hosts [-n SESSIONS] [-u USER] [-p PASSWORD] URL...
 *
 * Each session (spread over the URLs in turn) runs Identify then a Get of Win32_Service Spooler as
 * a resumable operation (wsman_async). The program's loop polls the loop's sockets
 * (wsman_loop_fds, wsman_loop_timeout) together with its own work, a timer that ticks every
 * 10 ms, and hands the results to wsman_loop_process. It prints one line per session and a
 * summary; it exits 0 when every session succeeded.
 */
#include "wsman.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FDS 4096
#define TICK_MS 10
#define DEFAULT_SESSIONS 100
#define SPOOLER "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service?Name=Spooler"

typedef struct job {
    int index;
    const char *url;
    wsman_session_t *s;
    wsman_error_t err;
    int ok, finished;
    size_t bytes;
} job_t;

static long done_count;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The operation: plain blocking calls; each wait suspends it while the host's loop runs. */
static void run_job(void *ud)
{
    job_t *j = ud;
    wsman_buf_t out;
    wsman_locator_t *l = wsman_locator_new();

    wsman_buf_init(&out);
    j->ok = l && wsman_identify(j->s, 0, &out, &j->err) == 0 &&
            wsman_locator_parse(l, SPOOLER, &j->err) == 0 && wsman_get(j->s, l, 0, &out, &j->err) == 0;
    j->bytes = out.len;
    wsman_buf_free(&out);
    wsman_locator_free(l);
}

static void job_done(void *ud)
{
    job_t *j = ud;
    j->finished = 1;
    done_count++;
}

static int start_jobs(job_t *jobs, int n, const char *user, const char *password)
{
    wsman_options_t o;
    memset(&o, 0, sizeof o);
    o.username = user;
    o.password = password;
    for (int i = 0; i < n; i++) {
        uint32_t flags = WSMAN_FLAG_USE_BASIC | WSMAN_FLAG_CRED_USERNAME_PASSWORD | WSMAN_FLAG_NO_ENCRYPTION;
        wsman_error_init(&jobs[i].err);
        jobs[i].index = i;
        jobs[i].s = wsman_session_new(jobs[i].url, flags, &o, &jobs[i].err);
        if (!jobs[i].s) {
            fprintf(stderr, "session %d: %s\n", i, jobs[i].err.message ? jobs[i].err.message : "failed");
            return -1;
        }
        if (wsman_async(run_job, job_done, &jobs[i], &jobs[i].err) < 0) {
            fprintf(stderr, "session %d: %s\n", i, jobs[i].err.message ? jobs[i].err.message : "failed");
            return -1;
        }
    }
    return 0;
}

/* The host's loop: its own timer work plus the sessions' sockets in one poll(). */
static long run_loop(int n)
{
    static struct pollfd fds[MAX_FDS];
    long ticks = 0;
    long long next_tick = now_ms() + TICK_MS;

    while (done_count < n) {
        int nfds = wsman_loop_fds(fds, MAX_FDS);
        long timeout = wsman_loop_timeout();
        long long now = now_ms();
        long until_tick = next_tick > now ? (long)(next_tick - now) : 0;

        if (nfds > MAX_FDS)
            nfds = MAX_FDS;
        if (timeout < 0 || timeout > until_tick)
            timeout = until_tick;
        poll(fds, (nfds_t)nfds, (int)timeout);
        if (now_ms() >= next_tick) { /* the host's other work */
            ticks++;
            next_tick += TICK_MS;
        }
        wsman_loop_process(fds, nfds);
    }
    return ticks;
}

int main(int argc, char **argv)
{
    const char *user = "testuser", *password = "Passw0rd!";
    int n = DEFAULT_SESSIONS, first = 1, failed = 0;
    job_t *jobs;
    long ticks;

    while (first + 1 < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "-n"))
            n = atoi(argv[first + 1]);
        else if (!strcmp(argv[first], "-u"))
            user = argv[first + 1];
        else if (!strcmp(argv[first], "-p"))
            password = argv[first + 1];
        first += 2;
    }
    if (first >= argc || n <= 0) {
        fprintf(stderr, "usage: %s [-n SESSIONS] [-u USER] [-p PASSWORD] URL...\n", argv[0]);
        return 2;
    }
    jobs = calloc((size_t)n, sizeof *jobs);
    if (!jobs || wsman_global_init() != 0)
        return 1;
    for (int i = 0; i < n; i++)
        jobs[i].url = argv[first + i % (argc - first)];
    if (start_jobs(jobs, n, user, password) != 0)
        return 1;
    ticks = run_loop(n);
    for (int i = 0; i < n; i++) {
        if (!jobs[i].ok) {
            failed++;
            printf("session %d %s: %s\n", i, jobs[i].url,
                   jobs[i].err.message ? jobs[i].err.message : "failed");
        }
        wsman_error_clear(&jobs[i].err);
        wsman_session_free(jobs[i].s);
    }
    printf("sessions=%d ok=%d failed=%d ticks=%ld\n", n, n - failed, failed, ticks);
    free(jobs);
    wsman_global_cleanup();
    return failed ? 1 : 0;
}
