/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - small helpers the core's C tests share (they link the core, so buffers come from
 * protocol.h; engine.h brings every layer).
 */
#ifndef WSMAN_TESTUTIL_H
#define WSMAN_TESTUTIL_H

#include "engine.h"

#include <stdio.h>
#include <string.h>

/* 1 when needle occurs in hay (both may be NULL: then 0). */
static inline int contains(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}

/* A whole file as a NUL-terminated buffer (caller frees), or NULL; *len gets its size. */
static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    wsman_buf_t b;
    char tmp[65536];
    size_t n;

    if (!f)
        return NULL;
    wsman_buf_init(&b);
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        wsman_buf_append(&b, tmp, n);
    fclose(f);
    if (len)
        *len = b.len;
    return wsman_buf_steal(&b);
}

#endif
