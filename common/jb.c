/* jb: see jb.h. The only state is a comma flag per nesting level.
 * On the EVE path every event goes through here, so the common cases are
 * written by hand: strings are scanned 8 bytes at a time for bytes that
 * need escaping and copied in runs, integers and RFC 3339 times are
 * formatted without stdio (snprintf costs ~300 instructions a call).
 */
#include "jb.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void jb_init(struct jb *j, char *buf, size_t cap)
{
    j->buf = buf;
    j->cap = cap;
    jb_reset(j);
}

void jb_reset(struct jb *j)
{
    j->len = 0;
    j->depth = 0;
    j->overflow = false;
    j->need_comma[0] = false;
    if (j->cap > 0)
        j->buf[0] = '\0';
}

/* The text stays NUL-terminated after every write. */
static inline void jb_put(struct jb *j, const char *s, size_t n)
{
    if (j->overflow)
        return;
    if (j->len + n + 1 > j->cap) {
        j->overflow = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static inline void jb_putc(struct jb *j, char c)
{
    if (j->overflow)
        return;
    if (j->len + 2 > j->cap) {
        j->overflow = true;
        return;
    }
    j->buf[j->len++] = c;
    j->buf[j->len] = '\0';
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t jb_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

#define JB_ONES 0x0101010101010101ull
#define JB_HIGH 0x8080808080808080ull

/* Nonzero when one of the 8 bytes in w is not plain printable ASCII or is
 * '"' or '\\' (exact: no false negatives, and no false positives either,
 * as each test below is exact for bytes below 0x80). */
static inline uint64_t jb_special8(uint64_t w)
{
    uint64_t q = w ^ (JB_ONES * '"'), b = w ^ (JB_ONES * '\\');
    uint64_t ctl = (w - JB_ONES * 0x20) & ~w;
    uint64_t quo = (q - JB_ONES) & ~q;
    uint64_t bsl = (b - JB_ONES) & ~b;
    return (w | ctl | quo | bsl) & JB_HIGH;
}

/* Index of the first byte of s[i..n) that needs a look (escape or UTF-8). */
static inline size_t jb_plain_run(const unsigned char *s, size_t i, size_t n)
{
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (jb_special8(w) != 0)
            break;
        i += 8;
    }
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            break;
        i++;
    }
    return i;
}

static void jb_escaped(struct jb *j, const char *val, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)val;
    size_t run = 0; /* start of a run of bytes that need no escape */
    size_t i = jb_plain_run(s, 0, n);

    if (i == n && !j->overflow && j->len + n + 3 <= j->cap) {
        /* the common case: one copy */
        char *o = j->buf + j->len;
        o[0] = '"';
        memcpy(o + 1, val, n);
        o[n + 1] = '"';
        o[n + 2] = '\0';
        j->len += n + 2;
        return;
    }
    jb_putc(j, '"');
    while (i < n) {
        unsigned char c = s[i];
        size_t ulen = c >= 0x80 ? jb_utf8_len(s + i, n - i) : 0;
        if (ulen > 0) {
            i = jb_plain_run(s, i + ulen, n);
            continue;
        }
        jb_put(j, val + run, i - run);
        switch (c) {
        case '"': jb_put(j, "\\\"", 2); break;
        case '\\': jb_put(j, "\\\\", 2); break;
        case '\n': jb_put(j, "\\n", 2); break;
        case '\r': jb_put(j, "\\r", 2); break;
        case '\t': jb_put(j, "\\t", 2); break;
        default: {
            char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            jb_put(j, e, 6);
            break;
        }
        }
        run = i + 1;
        i = jb_plain_run(s, i + 1, n);
    }
    jb_put(j, val + run, n - run);
    jb_putc(j, '"');
}

/* Comma and key before a value. Keys are almost always short plain ASCII
 * literals: then `,"key":` goes out with one bound check and one copy (this
 * runs for every field of every event: ~7% of the no-rule bench went into
 * the general escaping path before). */
static inline void jb_key(struct jb *j, const char *key)
{
    bool comma = j->need_comma[j->depth];

    j->need_comma[j->depth] = true;
    if (key != NULL) {
        const unsigned char *k = (const unsigned char *)key;
        size_t n = strlen(key);
        if (!j->overflow && j->len + n + 5 <= j->cap && jb_plain_run(k, 0, n) == n) {
            char *o = j->buf + j->len;
            o[0] = ',';
            o += comma;
            o[0] = '"';
            memcpy(o + 1, key, n);
            o[n + 1] = '"';
            o[n + 2] = ':';
            o[n + 3] = '\0';
            j->len = (size_t)(o + n + 3 - j->buf);
            return;
        }
    }
    if (comma)
        jb_putc(j, ',');
    if (key != NULL) {
        jb_escaped(j, key, strlen(key));
        jb_putc(j, ':');
    }
}

static void jb_open(struct jb *j, const char *key, char c)
{
    if (j->depth > 0 || j->len > 0)
        jb_key(j, key);
    jb_putc(j, c);
    if (j->depth + 1 >= JB_MAX_DEPTH) {
        j->overflow = true;
        return;
    }
    j->depth++;
    j->need_comma[j->depth] = false;
}

static void jb_close(struct jb *j, char c)
{
    jb_putc(j, c);
    if (j->depth > 0)
        j->depth--;
}

void jb_open_object(struct jb *j, const char *key) { jb_open(j, key, '{'); }
void jb_close_object(struct jb *j) { jb_close(j, '}'); }
void jb_open_array(struct jb *j, const char *key) { jb_open(j, key, '['); }
void jb_close_array(struct jb *j) { jb_close(j, ']'); }

void jb_strn(struct jb *j, const char *key, const char *val, size_t n)
{
    jb_key(j, key);
    jb_escaped(j, val, n);
}

void jb_str(struct jb *j, const char *key, const char *val)
{
    if (val == NULL) {
        jb_null(j, key);
        return;
    }
    jb_strn(j, key, val, strlen(val));
}

static void jb_fmt(struct jb *j, const char *key, const char *text, int n)
{
    jb_key(j, key);
    if (n < 0)
        n = 0;
    jb_put(j, text, (size_t)n);
}

/* Decimal digits of v, right-aligned in t[0..24); returns the first. */
static inline char *jb_u64_digits(uint64_t v, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return p;
}

void jb_int(struct jb *j, const char *key, int64_t v)
{
    char t[24];
    /* the magnitude of INT64_MIN does not fit an int64_t: go through uint64_t */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = jb_u64_digits(m, t + sizeof(t));
    if (v < 0)
        *--p = '-';
    jb_fmt(j, key, p, (int)(t + sizeof(t) - p));
}

void jb_uint(struct jb *j, const char *key, uint64_t v)
{
    char t[24];
    char *p = jb_u64_digits(v, t + sizeof(t));
    jb_fmt(j, key, p, (int)(t + sizeof(t) - p));
}

void jb_double(struct jb *j, const char *key, double v)
{
    char t[40];
    if (v != v || v > 1e300 || v < -1e300) /* NaN and infinities are not JSON */
        v = 0;
    jb_fmt(j, key, t, snprintf(t, sizeof(t), "%.6g", v));
}

void jb_bool(struct jb *j, const char *key, bool v)
{
    jb_fmt(j, key, v ? "true" : "false", v ? 4 : 5);
}

void jb_null(struct jb *j, const char *key)
{
    jb_fmt(j, key, "null", 4);
}

void jb_raw(struct jb *j, const char *key, const char *json, size_t n)
{
    jb_key(j, key);
    jb_put(j, json, n);
}

static inline void jb_2d(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), H. Hinnant's
 * days_from_civil inverse: exact for every day, no tables, no locale. */
static void jb_civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00" (32 bytes, no NUL) into o; false when
 * tv is outside years 0000..9999 or tv_usec is not a microsecond count
 * (the caller then falls back to gmtime_r + snprintf). */
static bool jb_time32(struct timeval tv, char *o)
{
    int64_t s = (int64_t)tv.tv_sec, days = s / 86400, rem = s % 86400, y;
    unsigned m, d, us;

    if (tv.tv_usec < 0 || tv.tv_usec > 999999)
        return false;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    jb_civil(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return false;
    jb_2d(o, (unsigned)(y / 100));
    jb_2d(o + 2, (unsigned)(y % 100));
    o[4] = '-';
    jb_2d(o + 5, m);
    o[7] = '-';
    jb_2d(o + 8, d);
    o[10] = 'T';
    jb_2d(o + 11, (unsigned)(rem / 3600));
    o[13] = ':';
    jb_2d(o + 14, (unsigned)(rem / 60 % 60));
    o[16] = ':';
    jb_2d(o + 17, (unsigned)(rem % 60));
    o[19] = '.';
    us = (unsigned)tv.tv_usec;
    for (int i = 25; i >= 20; i--) {
        o[i] = (char)('0' + us % 10);
        us /= 10;
    }
    memcpy(o + 26, "+00:00", 6);
    return true;
}

void jb_format_time(struct timeval tv, char *out, size_t cap)
{
    struct tm tm;
    time_t t = tv.tv_sec;

    if (cap >= 33 && jb_time32(tv, out)) {
        out[32] = '\0';
        return;
    }
    if (gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

void jb_time(struct jb *j, const char *key, struct timeval tv)
{
    char t[48];

    if (jb_time32(tv, t + 1)) {
        t[0] = '"';
        t[33] = '"';
        jb_fmt(j, key, t, 34);
        return;
    }
    jb_format_time(tv, t, sizeof(t));
    jb_str(j, key, t);
}

const char *jb_text(struct jb *j)
{
    return j->cap > 0 ? j->buf : "";
}
