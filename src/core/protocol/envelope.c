/* SPDX-License-Identifier: MIT */
/*
 * envelope.c - SOAP request envelopes (MS-WSMV 3.1.4, examples in section 4) and enumeration
 * filters (the dialects of winrm.vbs' "winrm help filters" and MS-WSMV 3.1.4.1.13). Every value is escaped;
 * XML supplied by the caller (filters) is checked for well-formedness before it is inserted verbatim.
 */
#include "protocol.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_WMI_CIMV2 "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"

/* Undoes a partly written piece (out of memory): -1. */
static int rollback(wsman_buf_t *b, size_t start)
{
    b->len = start;
    if (b->data)
        b->data[start] = '\0';
    return -1;
}

static int esc_text(wsman_buf_t *b, const char *s)
{
    return wsman_buf_xml_text(b, s ? s : "", s ? strlen(s) : 0);
}

static int esc_attr(wsman_buf_t *b, const char *s)
{
    return wsman_buf_xml_attr(b, s ? s : "", s ? strlen(s) : 0);
}

/* <tag>escaped text</tag> */
static int elem(wsman_buf_t *b, const char *open, const char *text, const char *close)
{
    return wsman_buf_puts(b, open) | esc_text(b, text) | wsman_buf_puts(b, close);
}

/* How a selector without a value is written. */
typedef enum selector_novalue {
    SELECTOR_EMPTY, /* <wsman:Selector Name="n"/> */
    SELECTOR_NIL,   /* <wsman:Selector Name="n" xsi:nil="true"/> (xsi declared by the caller) */
} selector_novalue_t;

/* One wsman:Selector: every selector of every request and filter is written here. */
static int selector_elem(wsman_buf_t *b, const char *name, size_t nlen, const char *value, size_t vlen,
                         selector_novalue_t novalue)
{
    int rc = wsman_buf_puts(b, "<wsman:Selector Name=\"") | wsman_buf_xml_attr(b, name, nlen);
    if (value)
        rc |= wsman_buf_puts(b, "\">") | wsman_buf_xml_text(b, value, vlen) |
              wsman_buf_puts(b, "</wsman:Selector>");
    else
        rc |= wsman_buf_puts(b, novalue == SELECTOR_NIL ? "\" xsi:nil=\"true\"/>" : "\"/>");
    return rc;
}

int wsman_selector_set_xml(wsman_buf_t *b, const char *const *names, const char *const *values, size_t n)
{
    int rc = wsman_buf_puts(b, "<wsman:SelectorSet>");
    for (size_t i = 0; i < n; i++)
        rc |= selector_elem(b, names[i], strlen(names[i]), values[i], values[i] ? strlen(values[i]) : 0,
                            SELECTOR_EMPTY);
    rc |= wsman_buf_puts(b, "</wsman:SelectorSet>");
    return rc ? -1 : 0;
}

static int selector_set(wsman_buf_t *b, const wsman_pair_t *sel, size_t n)
{
    int rc = 0;

    if (!n)
        return 0;
    rc |= wsman_buf_puts(b, "<wsman:SelectorSet>");
    for (size_t i = 0; i < n; i++)
        rc |= selector_elem(b, sel[i].name, strlen(sel[i].name), sel[i].value,
                            sel[i].value ? strlen(sel[i].value) : 0, SELECTOR_EMPTY);
    rc |= wsman_buf_puts(b, "</wsman:SelectorSet>");
    return rc ? -1 : 0;
}

int wsman_envelope_begin(wsman_buf_t *b, const wsman_request_header_t *h)
{
    const wsman_locator_t *l = h->locator;
    const char *locale = h->locale && *h->locale ? h->locale : "en-US";
    size_t start = b->len, i;
    int rc = 0;

    rc |= wsman_buf_puts(b,
                         "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP "\" xmlns:wsa=\"" WSMAN_NS_WSA
                         "\" xmlns:wsman=\"" WSMAN_NS_WSMAN "\" xmlns:wsmv=\"" WSMAN_NS_WSMV "\"><s:Header>");
    rc |= elem(b, "<wsa:To>", h->to, "</wsa:To>");
    if (h->resource_uri)
        rc |=
            elem(b, "<wsman:ResourceURI s:mustUnderstand=\"true\">", h->resource_uri, "</wsman:ResourceURI>");
    rc |= wsman_buf_puts(b, "<wsa:ReplyTo><wsa:Address s:mustUnderstand=\"true\">" WSMAN_ADDR_ANONYMOUS
                            "</wsa:Address></wsa:ReplyTo>");
    rc |= elem(b, "<wsa:Action s:mustUnderstand=\"true\">", h->action, "</wsa:Action>");
    rc |= wsman_buf_printf(b, "<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">%ld</wsman:MaxEnvelopeSize>",
                           h->max_envelope_size > 0 ? h->max_envelope_size : 153600L);
    rc |= elem(b, "<wsa:MessageID>", h->message_id, "</wsa:MessageID>");
    rc |= wsman_buf_puts(b, "<wsman:Locale xml:lang=\"") | esc_attr(b, locale) |
          wsman_buf_puts(b, "\" s:mustUnderstand=\"false\"/>");
    rc |= wsman_buf_puts(b, "<wsmv:DataLocale xml:lang=\"") | esc_attr(b, locale) |
          wsman_buf_puts(b, "\" s:mustUnderstand=\"false\"/>");
    if (l) {
        rc |= selector_set(b, l->selectors, l->nselectors);
        if (l->noptions) {
            rc |= wsman_buf_puts(b, "<wsman:OptionSet xmlns:xsi=\"" WSMAN_NS_XSI "\"");
            if (l->must_understand_options)
                rc |= wsman_buf_puts(b, " s:mustUnderstand=\"true\"");
            rc |= wsman_buf_puts(b, ">");
            for (i = 0; i < l->noptions; i++) {
                const wsman_pair_t *o = &l->options[i];
                rc |= wsman_buf_puts(b, "<wsman:Option Name=\"") | esc_attr(b, o->name) |
                      wsman_buf_puts(b, "\"");
                if (o->must_comply)
                    rc |= wsman_buf_puts(b, " MustComply=\"true\"");
                if (o->value)
                    rc |=
                        wsman_buf_puts(b, ">") | esc_text(b, o->value) | wsman_buf_puts(b, "</wsman:Option>");
                else
                    rc |= wsman_buf_puts(b, " xsi:nil=\"true\"/>");
            }
            rc |= wsman_buf_puts(b, "</wsman:OptionSet>");
        }
        if (l->fragment_path && *l->fragment_path) {
            rc |= wsman_buf_puts(b, "<wsman:FragmentTransfer s:mustUnderstand=\"true\"");
            if (l->fragment_dialect && *l->fragment_dialect &&
                strcmp(l->fragment_dialect, WSMAN_DIALECT_XPATH) != 0)
                rc |= wsman_buf_puts(b, " Dialect=\"") | esc_attr(b, l->fragment_dialect) |
                      wsman_buf_puts(b, "\"");
            rc |= elem(b, ">", l->fragment_path, "</wsman:FragmentTransfer>");
        }
    }
    if (h->timeout_ms > 0)
        rc |= wsman_buf_printf(b, "<wsman:OperationTimeout>PT%ld.%03ldS</wsman:OperationTimeout>",
                               h->timeout_ms / 1000, h->timeout_ms % 1000);
    rc |= wsman_buf_puts(b, "</s:Header><s:Body>");
    return rc ? rollback(b, start) : 0;
}

int wsman_envelope_end(wsman_buf_t *b)
{
    return wsman_buf_puts(b, "</s:Body></s:Envelope>");
}

int wsman_envelope_identify(wsman_buf_t *b)
{
    return wsman_buf_puts(b, "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP "\" xmlns:wsmid=\"" WSMAN_NS_WSMID
                             "\"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>");
}

int wsman_body_enumerate(wsman_buf_t *b, long max_elements, uint32_t enum_flags, const char *filter_xml)
{
    int rc = 0;

    rc |= wsman_buf_puts(b, "<wsen:Enumerate xmlns:wsen=\"" WSMAN_NS_WSEN "\">");
    if (max_elements > 0)
        rc |= wsman_buf_printf(b, "<wsman:OptimizeEnumeration/><wsman:MaxElements>%ld</wsman:MaxElements>",
                               max_elements);
    if (enum_flags & WSMAN_ENUM_RETURN_OBJECT_AND_EPR)
        rc |= wsman_buf_puts(b, "<wsman:EnumerationMode>EnumerateObjectAndEPR</wsman:EnumerationMode>");
    else if (enum_flags & WSMAN_ENUM_RETURN_EPR)
        rc |= wsman_buf_puts(b, "<wsman:EnumerationMode>EnumerateEPR</wsman:EnumerationMode>");
    if (filter_xml)
        rc |= wsman_buf_puts(b, filter_xml);
    /* Hierarchy flags: DSP0227 polymorphism mode; a server that lacks it answers with its fault
     * (Windows: ERROR_WSMAN_POLYMORPHISM_MODE_UNSUPPORTED). */
    if (enum_flags & WSMAN_ENUM_HIERARCHY_SHALLOW)
        rc |= wsman_buf_puts(b, "<wsmb:PolymorphismMode xmlns:wsmb=\"" WSMAN_NS_WSMB
                                "\">None</wsmb:PolymorphismMode>");
    else if (enum_flags & WSMAN_ENUM_HIERARCHY_DEEP_BASE_PROPS_ONLY)
        rc |= wsman_buf_puts(b, "<wsmb:PolymorphismMode xmlns:wsmb=\"" WSMAN_NS_WSMB
                                "\">ExcludeSubClassProperties</wsmb:PolymorphismMode>");
    rc |= wsman_buf_puts(b, "</wsen:Enumerate>");
    return rc ? -1 : 0;
}

int wsman_body_pull(wsman_buf_t *b, const char *context, long max_elements)
{
    int rc = wsman_buf_puts(b, "<wsen:Pull xmlns:wsen=\"" WSMAN_NS_WSEN "\">");
    rc |= elem(b, "<wsen:EnumerationContext>", context, "</wsen:EnumerationContext>");
    if (max_elements > 0)
        rc |= wsman_buf_printf(b, "<wsen:MaxElements>%ld</wsen:MaxElements>", max_elements);
    rc |= wsman_buf_puts(b, "</wsen:Pull>");
    return rc ? -1 : 0;
}

int wsman_body_release(wsman_buf_t *b, const char *context)
{
    int rc = wsman_buf_puts(b, "<wsen:Release xmlns:wsen=\"" WSMAN_NS_WSEN "\">");
    rc |= elem(b, "<wsen:EnumerationContext>", context, "</wsen:EnumerationContext>");
    rc |= wsman_buf_puts(b, "</wsen:Release>");
    return rc ? -1 : 0;
}

/* ---- filters -------------------------------------------------------------------------------- */

/* What parse_hash found. */
typedef enum hash_status {
    HASH_OK,
    HASH_SYNTAX,   /* not a hash of the expected grammar (*why says how) */
    HASH_NO_MEMORY /* out of memory */
} hash_status_t;

typedef struct hash_pair {
    char *key;
    char *value; /* NULL = $null */
} hash_pair_t;

static void hash_free(hash_pair_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

static int hash_add(hash_pair_t **pairs, size_t *n, const char *k, size_t klen, const char *v, size_t vlen,
                    int null)
{
    hash_pair_t *np = realloc(*pairs, (*n + 1) * sizeof *np);
    if (!np)
        return -1;
    *pairs = np;
    np[*n].key = wsman_strndup(k, klen);
    np[*n].value = null ? NULL : wsman_strndup(v, vlen);
    if (!np[*n].key || (!null && !np[*n].value)) {
        free(np[*n].key);
        free(np[*n].value);
        return -1;
    }
    (*n)++;
    return 0;
}

/* Parses "{k=v;k2=v2}". quoted: winrm.vbs selector grammar \s*([\w:]+)\s*=\s*($null|"([^"]*)")\s*
 * (values must be double-quoted); else association grammar: values run to the next ';' or the
 * closing '}' (optional double quotes stripped). */
static hash_status_t parse_hash(const char *s, int quoted, hash_pair_t **pairs, size_t *n, const char **why)
{
    const char *p = skip_ws(s), *end;

    *pairs = NULL;
    *n = 0;
    if (*p != '{') {
        *why = "it must start with '{'";
        return HASH_SYNTAX;
    }
    end = s + strlen(s);
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (end <= p + 1 || end[-1] != '}') {
        *why = "it must end with '}'";
        return HASH_SYNTAX;
    }
    p++;
    end--; /* at the closing '}' */
    if (skip_ws(p) == end)
        return HASH_OK; /* {} */
    for (;;) {
        const char *k, *v;
        size_t klen, vlen, i;
        int null = 0;

        p = skip_ws(p);
        k = p;
        while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == ':'))
            p++;
        klen = (size_t)(p - k);
        if (!klen) {
            *why = "a key (letters, digits, '_' or ':') is expected";
            goto syntax;
        }
        p = skip_ws(p);
        if (p >= end || *p != '=') {
            *why = "'=' is expected after a key";
            goto syntax;
        }
        p = skip_ws(p + 1);
        if (quoted) {
            if ((size_t)(end - p) >= 5 && strncmp(p, "$null", 5) == 0) {
                null = 1;
                v = p;
                vlen = 0;
                p += 5;
            } else if (p < end && *p == '"') {
                v = ++p;
                while (p < end && *p != '"')
                    p++;
                if (p >= end) {
                    *why = "a value has no closing '\"'";
                    goto syntax;
                }
                vlen = (size_t)(p - v);
                p++;
            } else {
                *why = "values must be written in double quotes (or $null)";
                goto syntax;
            }
            p = skip_ws(p);
        } else {
            v = p;
            while (p < end && *p != ';')
                p++;
            vlen = (size_t)(p - v);
            while (vlen && isspace((unsigned char)v[vlen - 1]))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
        }
        for (i = 0; i < *n; i++) {
            if (strlen((*pairs)[i].key) == klen && strncasecmp((*pairs)[i].key, k, klen) == 0) {
                *why = "a key is repeated";
                goto syntax;
            }
        }
        if (hash_add(pairs, n, k, klen, v, vlen, null) != 0) {
            hash_free(*pairs, *n);
            *pairs = NULL;
            *n = 0;
            return HASH_NO_MEMORY;
        }
        if (p >= end)
            return HASH_OK;
        if (*p != ';') {
            *why = "pairs must be separated by ';'";
            goto syntax;
        }
        p++;
    }
syntax:
    hash_free(*pairs, *n);
    *pairs = NULL;
    *n = 0;
    return HASH_SYNTAX;
}

static const char *const alias_names[] = {"wmi", "wmicimv2", "cimv2", "winrm", "wsman", "shell"};

/* Full resource URI for an association hash's Object class. */
static char *object_uri(const char *cls, size_t len, const char *resource_uri)
{
    const char *slash = memchr(cls, '/', len), *colon = memchr(cls, ':', len);
    size_t seg = slash ? (size_t)(slash - cls) : len, i;
    wsman_buf_t b;

    if (colon && (!slash || colon < slash))
        return wsman_strndup(cls, len); /* has a scheme */
    for (i = 0; i < sizeof alias_names / sizeof alias_names[0]; i++) {
        if (strlen(alias_names[i]) == seg && strncasecmp(cls, alias_names[i], seg) == 0) {
            char *tmp = wsman_strndup(cls, len), *r;
            if (!tmp)
                return NULL;
            r = wsman_expand_alias(tmp);
            free(tmp);
            return r;
        }
    }
    wsman_buf_init(&b);
    if (resource_uri && strstr(resource_uri, "://") &&
        strrchr(resource_uri, '/') > strstr(resource_uri, "://") + 2) {
        const char *last = strrchr(resource_uri, '/');
        if (wsman_buf_append(&b, resource_uri, (size_t)(last - resource_uri) + 1) != 0)
            return NULL;
    } else if (wsman_buf_puts(&b, NS_WMI_CIMV2) != 0) {
        return NULL;
    }
    if (wsman_buf_append(&b, cls, len) != 0) {
        wsman_buf_free(&b);
        return NULL;
    }
    return wsman_buf_steal(&b);
}

static int assoc_elem(wsman_buf_t *b, const char *name, const char *value)
{
    if (!value)
        return 0;
    return wsman_buf_printf(b, "<wsmb:%s>", name) | esc_text(b, value) |
           wsman_buf_printf(b, "</wsmb:%s>", name);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
bad_filter(wsman_error_t *e, const char *fmt, ...)
{
    va_list ap;
    wsman_buf_t m;

    if (!e)
        return -1;
    wsman_buf_init(&m);
    va_start(ap, fmt);
    wsman_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    wsman_error_set(e, WSMAN_E_INVALIDARG, "%s", m.data ? m.data : "bad filter");
    wsman_buf_free(&m);
    return -1;
}

/* The keys of a winrm.vbs association hash, in the order of assoc_value_t. */
static const char *const assoc_keys[] = {"Object", "AssociationClassName", "ResultClassName", "ResultRole",
                                         "Role",   "IncludeResultProperty"};
typedef enum assoc_key {
    ASSOC_OBJECT,
    ASSOC_ASSOCIATION_CLASS,
    ASSOC_RESULT_CLASS,
    ASSOC_RESULT_ROLE,
    ASSOC_ROLE,
    ASSOC_INCLUDE_PROPERTY,
    ASSOC_KEYS
} assoc_key_t;

/* Sorts the parsed pairs by key into val (NULL for absent keys); checks that Object is there and
 * that the keys fit the flags. */
static int assoc_values(const char *filter, const hash_pair_t *pairs, size_t n, int assoc_inst,
                        const char *val[ASSOC_KEYS], wsman_error_t *e)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < ASSOC_KEYS && !wsman_strcaseeq(pairs[i].key, assoc_keys[k]))
            k++;
        if (k == ASSOC_KEYS)
            return bad_filter(
                e,
                "Unknown key \"%s\" in the association filter %s: the keys are Object, "
                "AssociationClassName, ResultClassName, ResultRole, Role and IncludeResultProperty",
                pairs[i].key, filter);
        val[k] = pairs[i].value;
    }
    if (!val[ASSOC_OBJECT] || !*val[ASSOC_OBJECT])
        return bad_filter(e, "The association filter %s has no Object=Class?Key=Value%s", filter, "");
    if (assoc_inst && (val[ASSOC_ASSOCIATION_CLASS] || val[ASSOC_RESULT_ROLE]))
        return bad_filter(e,
                          "The association filter %s: %s cannot be used with the association-instance flag "
                          "(0x80); use ResultClassName for the association class and Role",
                          filter, val[ASSOC_ASSOCIATION_CLASS] ? "AssociationClassName" : "ResultRole");
    return 0;
}

/* Object's selectors "Name=Value[+Name=Value]" (as in a resource URI) as a wsman:SelectorSet. */
static int assoc_selectors(wsman_buf_t *b, const char *p, wsman_error_t *e)
{
    int rc = wsman_buf_puts(b, "<wsman:SelectorSet>");

    while (*p) {
        const char *end = strchr(p, '+'), *eq;
        size_t len = end ? (size_t)(end - p) : strlen(p);
        eq = memchr(p, '=', len);
        if (!eq || eq == p) {
            char *bad = wsman_strndup(p, len);
            bad_filter(e, "The Object of the association filter has a bad selector \"%s\" (%s)",
                       bad ? bad : "", "expected Name=Value, pairs separated by '+'");
            free(bad);
            return -1;
        }
        rc |= selector_elem(b, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1, SELECTOR_EMPTY);
        p += len;
        if (*p == '+')
            p++;
    }
    rc |= wsman_buf_puts(b, "</wsman:SelectorSet>");
    return rc ? wsman_error_oom(e, "building the filter") : 0;
}

/* wsmb:Object: the EPR of Object=Class?Key=Value (a scheme-less class resolved against
 * resource_uri). */
static int assoc_object(wsman_buf_t *b, const char *obj, const char *resource_uri, wsman_error_t *e)
{
    const char *q = strchr(obj, '?');
    char *uri = object_uri(obj, q ? (size_t)(q - obj) : strlen(obj), resource_uri);
    int rc;

    if (!uri)
        return wsman_error_oom(e, "building the filter");
    rc = wsman_buf_puts(b, "<wsmb:Object><wsa:Address>" WSMAN_ADDR_ANONYMOUS
                           "</wsa:Address><wsa:ReferenceParameters>") |
         elem(b, "<wsman:ResourceURI>", uri, "</wsman:ResourceURI>");
    free(uri);
    if (rc)
        return wsman_error_oom(e, "building the filter");
    if (q && q[1] && assoc_selectors(b, q + 1, e) != 0)
        return -1;
    return wsman_buf_puts(b, "</wsa:ReferenceParameters></wsmb:Object>")
               ? wsman_error_oom(e, "building the filter")
               : 0;
}

/* IncludeResultProperty: several names separated by ','. */
static int assoc_include_properties(wsman_buf_t *b, const char *p)
{
    int rc = 0;

    while (p && *p && rc == 0) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *one = wsman_strndup(p, len);
        rc = one ? assoc_elem(b, "IncludeResultProperty", one) : -1;
        free(one);
        p += len;
        if (*p == ',')
            p++;
    }
    return rc;
}

/* winrm.vbs association hash -> DSP0227 AssociatedInstances / AssociationInstances. */
static int association_hash(wsman_buf_t *b, const char *filter, uint32_t flags, const char *resource_uri,
                            wsman_error_t *e)
{
    const char *val[ASSOC_KEYS] = {NULL};
    const char *why;
    hash_pair_t *pairs;
    size_t n;
    int rc, assoc_inst = (flags & WSMAN_ENUM_ASSOCIATION_INSTANCE) != 0;
    const char *top = assoc_inst ? "AssociationInstances" : "AssociatedInstances";
    hash_status_t st = parse_hash(filter, 0, &pairs, &n, &why);

    if (st == HASH_NO_MEMORY)
        return wsman_error_oom(e, "building the filter");
    if (st != HASH_OK)
        return bad_filter(e,
                          "Syntax error in the association filter \"%s\": %s. It must be of the form "
                          "{Object=Class?Key=Value[+Key=Value];AssociationClassName=...;ResultClassName=...;"
                          "ResultRole=...;Role=...}",
                          filter, why);
    rc = assoc_values(filter, pairs, n, assoc_inst, val, e);
    if (rc == 0 && wsman_buf_printf(b, "<wsmb:%s xmlns:wsmb=\"" WSMAN_NS_WSMB "\">", top) != 0)
        rc = wsman_error_oom(e, "building the filter");
    if (rc == 0)
        rc = assoc_object(b, val[ASSOC_OBJECT], resource_uri, e);
    if (rc == 0) {
        int w = 0;
        if (!assoc_inst)
            w |= assoc_elem(b, "AssociationClassName", val[ASSOC_ASSOCIATION_CLASS]);
        if (assoc_inst)
            w |= assoc_elem(b, "ResultClassName", val[ASSOC_RESULT_CLASS]);
        w |= assoc_elem(b, "Role", val[ASSOC_ROLE]);
        if (!assoc_inst)
            w |= assoc_elem(b, "ResultClassName", val[ASSOC_RESULT_CLASS]) |
                 assoc_elem(b, "ResultRole", val[ASSOC_RESULT_ROLE]);
        w |= assoc_include_properties(b, val[ASSOC_INCLUDE_PROPERTY]);
        w |= wsman_buf_printf(b, "</wsmb:%s>", top);
        if (w)
            rc = wsman_error_oom(e, "building the filter");
    }
    hash_free(pairs, n);
    return rc;
}

static int selector_hash(wsman_buf_t *b, const char *filter, wsman_error_t *e)
{
    hash_pair_t *pairs;
    size_t n, i;
    const char *why;
    hash_status_t st = parse_hash(filter, 1, &pairs, &n, &why);
    int rc = 0, nil = 0;

    if (st == HASH_NO_MEMORY)
        return wsman_error_oom(e, "building the filter");
    if (st != HASH_OK)
        return bad_filter(e,
                          "Syntax error in the selector filter %s: %s. It must be of the form "
                          "{KEY=\"VALUE\"[;KEY=\"VALUE\"]}",
                          filter, why);
    for (i = 0; i < n; i++)
        nil |= pairs[i].value == NULL;
    rc |= wsman_buf_puts(b, "<wsman:SelectorSet");
    if (nil)
        rc |= wsman_buf_puts(b, " xmlns:xsi=\"" WSMAN_NS_XSI "\"");
    rc |= wsman_buf_puts(b, ">");
    for (i = 0; i < n; i++)
        rc |= selector_elem(b, pairs[i].key, strlen(pairs[i].key), pairs[i].value,
                            pairs[i].value ? strlen(pairs[i].value) : 0, SELECTOR_NIL);
    rc |= wsman_buf_puts(b, "</wsman:SelectorSet>");
    hash_free(pairs, n);
    return rc ? wsman_error_oom(e, "building the filter") : 0;
}

static int verbatim_xml(wsman_buf_t *b, const char *filter, const char *what, wsman_error_t *e)
{
    const char *p = wsman_xml_skip_decl(filter);
    if (wsman_xml_check_fragment(p, strlen(p), what, NULL, NULL, e) != 0) {
        if (e && e->code == WSMAN_E_INVALID_XML) {
            char *m = wsman_strdup(e->message);
            wsman_error_set(e, WSMAN_E_INVALID_FILTER_XML, "%s", m ? m : "the filter is not well-formed XML");
            free(m);
        }
        return -1;
    }
    return wsman_buf_puts(b, p) ? wsman_error_oom(e, "building the filter") : 0;
}

int wsman_build_filter(wsman_buf_t *b, const char *filter, const char *dialect, uint32_t enum_flags,
                       const char *resource_uri, wsman_error_t *e)
{
    size_t start = b->len;
    const char *d = dialect && *dialect ? dialect : NULL;
    const char *f = filter ? filter : "";
    int rc = 0, xml_first = *skip_ws(f) == '<';

    if (!*f && !d)
        return 0; /* no filter */
    if (d) {
        if (wsman_strcaseeq(d, "WQL"))
            d = WSMAN_DIALECT_WQL;
        else if (wsman_strcaseeq(d, "Selector"))
            d = WSMAN_DIALECT_SELECTOR;
        else if (wsman_strcaseeq(d, "Association") || wsman_strcaseeq(d, WSMAN_DIALECT_ASSOCIATION))
            d = WSMAN_DIALECT_ASSOCIATION; /* both spellings in, MS-WSMV's out */
        else if (wsman_strcaseeq(d, "XPath"))
            d = WSMAN_DIALECT_XPATH;
    }

    if (!d && xml_first && !(enum_flags & WSMAN_ENUM_NON_XML_TEXT)) {
        /* no dialect, XML: let the server determine it from the element */
        rc = wsman_buf_puts(b, "<wsman:Filter>");
        if (rc == 0)
            rc = verbatim_xml(b, f, "filter", e);
        if (rc == 0)
            rc = wsman_buf_puts(b, "</wsman:Filter>") ? wsman_error_oom(e, "building the filter") : 0;
        goto done;
    }
    if (!d)
        d = WSMAN_DIALECT_WQL; /* as winrm.vbs */
    if (wsman_buf_puts(b, "<wsman:Filter Dialect=\"") || esc_attr(b, d) || wsman_buf_puts(b, "\">")) {
        rc = wsman_error_oom(e, "building the filter");
        goto done;
    }
    if (strcmp(d, WSMAN_DIALECT_SELECTOR) == 0) {
        if (xml_first && !(enum_flags & WSMAN_ENUM_NON_XML_TEXT))
            rc = verbatim_xml(b, f, "selector filter", e);
        else
            rc = selector_hash(b, f, e);
    } else if (strcmp(d, WSMAN_DIALECT_ASSOCIATION) == 0) {
        if (xml_first && !(enum_flags & WSMAN_ENUM_NON_XML_TEXT))
            rc = verbatim_xml(b, f, "association filter", e);
        else
            rc = association_hash(b, f, enum_flags, resource_uri, e);
    } else {
        rc = esc_text(b, f) ? wsman_error_oom(e, "building the filter")
                            : 0; /* WQL and every other dialect: text */
    }
    if (rc == 0 && wsman_buf_puts(b, "</wsman:Filter>"))
        rc = wsman_error_oom(e, "building the filter");
done:
    return rc ? rollback(b, start) : 0;
}
