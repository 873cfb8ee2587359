/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer harnesses of spec/fuzz share: cutting the input into fields and
 * the well-formedness oracle (Expat with namespace processing, independent of the reader under
 * test).
 */
#ifndef WSMAN_FUZZ_H
#define WSMAN_FUZZ_H

#include <expat.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next field of the input: the bytes up to the next separator byte (or the end) as a
 * NUL-terminated copy the caller frees; NULL when the input is used up. NULs inside a field stay
 * (C strings end there, as a caller's would). */
static inline char *fz_field(const uint8_t **data, size_t *size, uint8_t sep)
{
    if (*size == 0)
        return NULL;
    const uint8_t *end = memchr(*data, sep, *size);
    size_t n = end ? (size_t)(end - *data) : *size;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *data, n);
    s[n] = '\0';
    *data += end ? n + 1 : n;
    *size -= end ? n + 1 : n;
    return s;
}

/* Aborts (a finding) when xml (len bytes) is not well-formed, namespace-well-formed XML; wrap:
 * read it inside a synthetic root (a fragment of several elements). what names it in the report. */
static inline void fz_expect_xml(const char *xml, size_t len, int wrap, const char *what)
{
    XML_Parser p = XML_ParserCreateNS("UTF-8", '\x01');
    static const char open[] = "<fz-root>", close[] = "</fz-root>";
    int ok;

    if (!p)
        abort();
    ok = (!wrap || XML_Parse(p, open, (int)sizeof open - 1, 0) == XML_STATUS_OK) &&
         XML_Parse(p, xml, (int)len, !wrap) == XML_STATUS_OK &&
         (!wrap || XML_Parse(p, close, (int)sizeof close - 1, 1) == XML_STATUS_OK);
    if (!ok) {
        fprintf(stderr, "%s is not well-formed XML: %s at line %lu column %lu\n%.*s\n", what,
                XML_ErrorString(XML_GetErrorCode(p)), (unsigned long)XML_GetCurrentLineNumber(p),
                (unsigned long)XML_GetCurrentColumnNumber(p), len > 4000 ? 4000 : (int)len, xml);
        abort();
    }
    XML_ParserFree(p);
}

#endif
