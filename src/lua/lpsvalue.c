/* SPDX-License-Identifier: MIT */
/*
 * lpsvalue.c - the fields of CLIXML values that decode to text (lpsobject.c keeps DateTime,
 * TimeSpan and Char exactly as serialized): WSMan.ps_datetime, WSMan.ps_timespan, WSMan.ps_char.
 *
 * DateTime is written by .NET's serializer as yyyy-MM-ddTHH:mm:ss[.fffffff] followed by "Z" for a
 * UTC time, by the offset for a local one, and by nothing for an unspecified kind. TimeSpan is an
 * xs:duration ([-]P[nD][T[nH][nM][n[.fffffff]S]]; years and months count 365 and 30 days, as
 * XmlConvert reads them). Char is one UTF-16 code unit as a decimal number. Documented with
 * the rest of the module in lpsobject.c.
 */
#include "lutil.h"

#include <limits.h>
#include <string.h>

enum {
    TICKS_PER_SECOND = 10000000,
    FRACTION_DIGITS = 7, /* of a second: 100 ns ticks */
    SECONDS_PER_MINUTE = 60,
    MINUTES_PER_HOUR = 60,
    HOURS_PER_DAY = 24,
    DAYS_PER_YEAR = 365, /* an xs:duration year, as XmlConvert counts it */
    DAYS_PER_MONTH = 30, /* an xs:duration month */
    MAX_OFFSET_MINUTES = 14 * 60,
    UTF16_UNIT_MAX = 0xFFFF,
    SURROGATE_FIRST = 0xD800,
    SURROGATE_LAST = 0xDFFF,
    REPLACEMENT_CHARACTER = 0xFFFD,
};

/* The text of a PSValue of the given type, or of a string, at idx. */
static const char *value_text(lua_State *L, int idx, const char *type)
{
    if (lua_type(L, idx) == LUA_TTABLE) {
        const char *t;
        lua_getfield(L, idx, "type");
        t = lua_tostring(L, -1);
        if (!t || strcmp(t, type) != 0)
            luaL_argerror(
                L, idx,
                lua_pushfstring(L, "a %s PSValue or its text expected, got type %s", type, t ? t : "(none)"));
        lua_pop(L, 1);
        lua_getfield(L, idx, "value");
        lua_replace(L, idx);
    }
    return luaL_checkstring(L, idx);
}

/* n decimal digits at *s into *v (advancing *s); 0, or -1 when they are not there. */
static int fixed_digits(const char **s, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return -1;
        *v = *v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    return 0;
}

/* The character c at *s (advancing it); 0, or -1 when it is another one. */
static int expect(const char **s, char c)
{
    if (**s != c)
        return -1;
    (*s)++;
    return 0;
}

/* 1 to 7 digits of a fraction of a second at *s as 100 ns ticks (advancing *s). */
static int fraction_ticks(const char **s, long long *ticks)
{
    int n = 0;

    *ticks = 0;
    while (**s >= '0' && **s <= '9' && n < FRACTION_DIGITS) {
        *ticks = *ticks * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    if (n == 0 || (**s >= '0' && **s <= '9'))
        return -1;
    for (; n < FRACTION_DIGITS; n++)
        *ticks *= 10;
    return 0;
}

/* ---- DateTime --------------------------------------------------------------------------- */

typedef enum dt_kind { DT_UNSPECIFIED, DT_UTC, DT_LOCAL } dt_kind_t;

typedef struct datetime {
    int year, month, day, hour, minute, second;
    long long ticks; /* the fraction of the second, in 100 ns */
    dt_kind_t kind;
    int offset; /* minutes east of UTC (DT_LOCAL) */
} datetime_t;

static int leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static long long days_from_epoch(int y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The zone: "Z", "+hh:mm", "-hh:mm" or nothing. */
static int parse_zone(const char *s, datetime_t *t)
{
    int h, m, sign;

    if (*s == '\0') {
        t->kind = DT_UNSPECIFIED;
        return 0;
    }
    if (s[0] == 'Z' && s[1] == '\0') {
        t->kind = DT_UTC;
        return 0;
    }
    if (*s != '+' && *s != '-')
        return -1;
    sign = *s++ == '-' ? -1 : 1;
    if (fixed_digits(&s, 2, &h) != 0 || expect(&s, ':') != 0 || fixed_digits(&s, 2, &m) != 0 || *s ||
        m >= MINUTES_PER_HOUR || h * MINUTES_PER_HOUR + m > MAX_OFFSET_MINUTES)
        return -1;
    t->kind = DT_LOCAL;
    t->offset = sign * (h * MINUTES_PER_HOUR + m);
    return 0;
}

static int parse_datetime(const char *s, datetime_t *t)
{
    memset(t, 0, sizeof *t);
    if (fixed_digits(&s, 4, &t->year) != 0 || expect(&s, '-') != 0 || fixed_digits(&s, 2, &t->month) != 0 ||
        expect(&s, '-') != 0 || fixed_digits(&s, 2, &t->day) != 0 || expect(&s, 'T') != 0 ||
        fixed_digits(&s, 2, &t->hour) != 0 || expect(&s, ':') != 0 || fixed_digits(&s, 2, &t->minute) != 0 ||
        expect(&s, ':') != 0 || fixed_digits(&s, 2, &t->second) != 0)
        return -1;
    if (*s == '.' && (s++, fraction_ticks(&s, &t->ticks) != 0))
        return -1;
    if (t->year < 1 || t->month < 1 || t->month > 12 || t->day < 1 ||
        t->day > days_in_month(t->year, t->month) || t->hour >= HOURS_PER_DAY ||
        t->minute >= MINUTES_PER_HOUR || t->second >= SECONDS_PER_MINUTE)
        return -1;
    return parse_zone(s, t);
}

static void set_int(lua_State *L, const char *k, long long v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

/* WSMan.ps_datetime(value) -> {year, month, day, hour, minute, second, ticks, kind, offset, time} */
static int l_ps_datetime(lua_State *L)
{
    static const char *const kinds[] = {
        [DT_UNSPECIFIED] = "Unspecified", [DT_UTC] = "Utc", [DT_LOCAL] = "Local"};
    const char *text = value_text(L, 1, "DateTime");
    datetime_t t;

    if (parse_datetime(text, &t) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "CLIXML: \"%s\" is not a DateTime (yyyy-MM-ddTHH:mm:ss[.fffffff][Z|+hh:mm])",
                        text);
        return 2;
    }
    lua_createtable(L, 0, 10);
    set_int(L, "year", t.year);
    set_int(L, "month", t.month);
    set_int(L, "day", t.day);
    set_int(L, "hour", t.hour);
    set_int(L, "minute", t.minute);
    set_int(L, "second", t.second);
    set_int(L, "ticks", t.ticks);
    lua_pushstring(L, kinds[t.kind]);
    lua_setfield(L, -2, "kind");
    if (t.kind != DT_UNSPECIFIED) {
        long long secs =
            ((days_from_epoch(t.year, t.month, t.day) * HOURS_PER_DAY + t.hour) * MINUTES_PER_HOUR +
             t.minute - t.offset) *
                SECONDS_PER_MINUTE +
            t.second;
        set_int(L, "offset", t.offset);
        set_int(L, "time", secs);
    }
    return 1;
}

/* ---- TimeSpan --------------------------------------------------------------------------- */

/* A number of digits at *s (advancing it) into *v; -1 when there is none or it is too large. */
static int number(const char **s, long long *v)
{
    const char *start = *s;

    *v = 0;
    while (**s >= '0' && **s <= '9') {
        if (*v > (LLONG_MAX - 9) / 10)
            return -1;
        *v = *v * 10 + (**s - '0');
        (*s)++;
    }
    return *s == start ? -1 : 0;
}

/* *total += n * unit ticks; -1 on overflow. */
static int add_ticks(long long *total, long long n, long long unit)
{
    if (n > (LLONG_MAX - *total) / unit)
        return -1;
    *total += n * unit;
    return 0;
}

/* The part after "T": [nH][nM][n[.f]S], each at most once and in that order. */
static int parse_time_part(const char *s, long long *ticks)
{
    static const struct {
        char designator;
        long long unit;
    } parts[] = {{'H', (long long)TICKS_PER_SECOND * SECONDS_PER_MINUTE * MINUTES_PER_HOUR},
                 {'M', (long long)TICKS_PER_SECOND * SECONDS_PER_MINUTE},
                 {'S', TICKS_PER_SECOND}};
    size_t next = 0, i;
    long long n, frac;

    if (!*s)
        return -1;
    while (*s) {
        if (number(&s, &n) != 0)
            return -1;
        frac = 0;
        if (*s == '.' && (s++, fraction_ticks(&s, &frac) != 0 || *s != 'S'))
            return -1;
        for (i = next; i < sizeof parts / sizeof parts[0] && parts[i].designator != *s; i++)
            ;
        if (i == sizeof parts / sizeof parts[0] || add_ticks(ticks, n, parts[i].unit) != 0 ||
            add_ticks(ticks, frac, 1) != 0)
            return -1;
        next = i + 1;
        s++;
    }
    return 0;
}

/* [-]P[nY][nM][nD][T...] as 100 ns ticks. */
static int parse_duration(const char *s, long long *ticks)
{
    static const struct {
        char designator;
        long long days;
    } parts[] = {{'Y', DAYS_PER_YEAR}, {'M', DAYS_PER_MONTH}, {'D', 1}};
    const long long day = (long long)TICKS_PER_SECOND * SECONDS_PER_MINUTE * MINUTES_PER_HOUR * HOURS_PER_DAY;
    int negative = *s == '-';
    size_t next = 0, i;
    long long n;

    *ticks = 0;
    s += negative;
    if (expect(&s, 'P') != 0 || !*s)
        return -1;
    while (*s && *s != 'T') {
        if (number(&s, &n) != 0)
            return -1;
        for (i = next; i < sizeof parts / sizeof parts[0] && parts[i].designator != *s; i++)
            ;
        if (i == sizeof parts / sizeof parts[0] || add_ticks(ticks, n, parts[i].days * day) != 0)
            return -1;
        next = i + 1;
        s++;
    }
    if (*s == 'T' && parse_time_part(s + 1, ticks) != 0)
        return -1;
    if (negative)
        *ticks = -*ticks;
    return 0;
}

/* WSMan.ps_timespan(value) -> {ticks, total_seconds, days, hours, minutes, seconds, fraction} */
static int l_ps_timespan(lua_State *L)
{
    const long long per_minute = (long long)TICKS_PER_SECOND * SECONDS_PER_MINUTE;
    const char *text = value_text(L, 1, "TimeSpan");
    long long ticks;

    if (parse_duration(text, &ticks) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "CLIXML: \"%s\" is not a TimeSpan ([-]P[nD][T[nH][nM][n[.fffffff]S]])", text);
        return 2;
    }
    lua_createtable(L, 0, 7);
    set_int(L, "ticks", ticks);
    lua_pushnumber(L, (lua_Number)ticks / TICKS_PER_SECOND);
    lua_setfield(L, -2, "total_seconds");
    /* the components as .NET's TimeSpan has them: each carries the sign */
    set_int(L, "days", ticks / (per_minute * MINUTES_PER_HOUR * HOURS_PER_DAY));
    set_int(L, "hours", ticks / (per_minute * MINUTES_PER_HOUR) % HOURS_PER_DAY);
    set_int(L, "minutes", ticks / per_minute % MINUTES_PER_HOUR);
    set_int(L, "seconds", ticks / TICKS_PER_SECOND % SECONDS_PER_MINUTE);
    set_int(L, "fraction", ticks % TICKS_PER_SECOND);
    return 1;
}

/* ---- Char ------------------------------------------------------------------------------- */

/* WSMan.ps_char(value) -> the character as UTF-8 (a lone surrogate half as U+FFFD) */
static int l_ps_char(lua_State *L)
{
    const char *text = value_text(L, 1, "Char");
    int isnum = 0;
    lua_Integer unit = lua_stringtonumber(L, text) ? (lua_Integer)lua_tointegerx(L, -1, &isnum) : -1;

    if (!isnum || unit < 0 || unit > UTF16_UNIT_MAX) {
        lua_pushnil(L);
        lua_pushfstring(L, "CLIXML: \"%s\" is not a Char (a UTF-16 code unit, 0 to 65535)", text);
        return 2;
    }
    if (unit >= SURROGATE_FIRST && unit <= SURROGATE_LAST)
        unit = REPLACEMENT_CHARACTER;
    lua_pushfstring(L, "%U", (long)unit);
    return 1;
}

void lw_psvalue_fields(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"ps_datetime", l_ps_datetime}, {"ps_timespan", l_ps_timespan}, {"ps_char", l_ps_char}, {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
