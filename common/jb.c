/* jb: see jb.h. The only state is a comma flag per nesting level.
 * On the EVE path every event goes through here, so the common cases are
 * written by hand: strings are scanned 8 bytes at a time for bytes that
 * need escaping and copied in runs (escaped straight into the buffer when
 * the worst case fits), integers go out two digits at a time from a table,
 * RFC 3339 times reuse the text of the last second formatted on this
 * thread, and IP addresses are formatted without inet_ntop (which goes
 * through sprintf: snprintf costs ~300 instructions a call).
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

/* 1 for a byte that goes out as it is: printable ASCII but '"' and '\\'
 * (control bytes, quotes, backslashes and bytes >= 0x80 need a look). */
static const unsigned char jb_plain_tab[256] = {
    [0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static inline bool jb_plain1(unsigned char c)
{
    return jb_plain_tab[c] != 0;
}

/* Index of the first byte of s[i..n) that needs a look (escape or UTF-8).
 * In a word, the lowest flagged byte is always a real one (a borrow can
 * only flag bytes above a real one), so on little-endian machines its
 * position is the count of trailing zero bits / 8. The last partial word
 * is the word ending at n shifted down past the bytes before i (shifted
 * out before the test: masked after it, a special byte below i could
 * flag a plain one above it); the zero bytes shifted in count as special
 * and lie at or beyond n. */
static inline size_t jb_plain_run(const unsigned char *s, size_t i, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w, m;

    while (i + 8 <= n) {
        memcpy(&w, s + i, 8);
        m = jb_special8(w);
        if (m != 0)
            return i + (size_t)__builtin_ctzll(m) / 8;
        i += 8;
    }
    if (i == n)
        return n;
    if (n >= 8) {
        size_t k;
        memcpy(&w, s + n - 8, 8);
        m = jb_special8(w >> (8 * (i - (n - 8))));
        k = i + (size_t)__builtin_ctzll(m) / 8; /* m != 0: the top byte is 0 */
        return k < n ? k : n;
    }
#endif
    while (i < n && jb_plain1(s[i]))
        i++;
    return i;
}

static const char jb_hex[] = "0123456789abcdef";

/* The escape of every byte, built by the preprocessor: 8 bytes each (a
 * one-move copy), the text ("\n" or "\u00XX") then its length in [7]. */
#define JB_HEXC(x) ((x) < 10 ? '0' + (x) : 'a' + (x) - 10)
#define JB_SHORTC(c)                                                                              \
    ((c) == '"' ? '"' : (c) == '\\' ? '\\' : (c) == '\n' ? 'n' : (c) == '\r' ? 'r'             \
     : (c) == '\t' ? 't' : 0)
#define JB_E(c)                                                                                   \
    { '\\', JB_SHORTC(c) ? JB_SHORTC(c) : 'u', '0', '0', JB_HEXC((c) >> 4), JB_HEXC((c) & 15), 0, \
      JB_SHORTC(c) ? 2 : 6 }
#define JB_E4(c) JB_E(c), JB_E((c) + 1), JB_E((c) + 2), JB_E((c) + 3)
#define JB_E16(c) JB_E4(c), JB_E4((c) + 4), JB_E4((c) + 8), JB_E4((c) + 12)
#define JB_E64(c) JB_E16(c), JB_E16((c) + 16), JB_E16((c) + 32), JB_E16((c) + 48)
static const char jb_esc_tab[256][8] = { JB_E64(0), JB_E64(64), JB_E64(128), JB_E64(192) };

/* One byte that needs an escape, at o (8 bytes of room); returns the end. */
static inline char *jb_esc1(char *o, unsigned char c)
{
    memcpy(o, jb_esc_tab[c], 8);
    return o + jb_esc_tab[c][7];
}

/* The rest of a string from s[i] (the first byte that needs a look), when
 * the worst case (6 bytes a byte, and the 8-byte store of the last escape)
 * fits: no bound check per piece. */
static void jb_escaped_direct(struct jb *j, const unsigned char *s, size_t i, size_t n)
{
    char *o = j->buf + j->len;

    *o++ = '"';
    memcpy(o, s, i);
    o += i;
    while (i < n) {
        unsigned char c = s[i];
        size_t r;
        if (jb_plain1(c)) {
            r = jb_plain_run(s, i + 1, n);
            memcpy(o, s + i, r - i);
            o += r - i;
            i = r;
            continue;
        }
        /* binary data: most high bytes cannot start a sequence, or are not
         * followed by a continuation byte; escape those without a look */
        r = c >= 0xc2 && c <= 0xf4 && i + 1 < n && (s[i + 1] & 0xc0) == 0x80
                ? jb_utf8_len(s + i, n - i) : 0;
        if (r == 0) {
            o = jb_esc1(o, c);
            i++;
            continue;
        }
        for (size_t k = 0; k < r; k++)
            o[k] = (char)s[i + k];
        o += r;
        i += r;
    }
    *o++ = '"';
    *o = '\0';
    j->len = (size_t)(o - j->buf);
}

/* Short strings (most EVE values: names, protocols, ids) are copied and
 * checked in one pass; the word-at-a-time scan pays off on longer ones. */
#define JB_SHORT 16

void jb_escaped(struct jb *j, const char *val, size_t n)
{
    const unsigned char *s = (const unsigned char *)val;
    size_t run = 0; /* start of a run of bytes that need no escape */
    size_t i;

    if (n < JB_SHORT && !j->overflow && j->len + n + 3 <= j->cap) {
        char *o = j->buf + j->len + 1;
        for (i = 0; i < n && jb_plain1(s[i]); i++)
            o[i] = (char)s[i];
        if (i == n) {
            o[-1] = '"';
            o[n] = '"';
            o[n + 1] = '\0';
            j->len += n + 2;
            return;
        }
    }
    i = jb_plain_run(s, 0, n);

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
    if (!j->overflow && n <= j->cap && j->len + 6 * n + 3 <= j->cap) {
        jb_escaped_direct(j, s, i, n);
        return;
    }
    /* near the end of the buffer: piece by piece, each bound-checked */
    jb_putc(j, '"');
    while (i < n) {
        unsigned char c = s[i];
        size_t ulen = c >= 0x80 ? jb_utf8_len(s + i, n - i) : 0;
        char e[8];
        if (ulen > 0) {
            i = jb_plain_run(s, i + ulen, n);
            continue;
        }
        jb_put(j, val + run, i - run);
        jb_put(j, e, (size_t)(jb_esc1(e, c) - e));
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

/* The JB_K variants' careful path: the same bytes as jb_key + jb_put. */
void jb_key_slow(struct jb *j, const char *k, size_t kn)
{
    if (j->need_comma[j->depth])
        jb_putc(j, ',');
    j->need_comma[j->depth] = true;
    jb_put(j, k, kn);
}

void jb_kv_slow(struct jb *j, const char *k, size_t kn, const char *val, size_t n)
{
    jb_key_slow(j, k, kn);
    jb_put(j, val, n);
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

void jb_str_val(struct jb *j, const char *val)
{
    const unsigned char *s = (const unsigned char *)val;
    size_t i = 0;

    if (!j->overflow && j->cap - j->len >= 3) {
        /* copy while plain, up to the room left for the quotes and NUL */
        size_t max = j->cap - j->len - 3;
        char *o = j->buf + j->len + 1;
        for (; i < max && jb_plain1(s[i]); i++)
            o[i] = (char)s[i];
        if (s[i] == '\0') {
            o[-1] = '"';
            o[i] = '"';
            o[i + 1] = '\0';
            j->len += i + 2;
            return;
        }
    }
    jb_escaped(j, val, i + strlen(val + i));
}

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
    jb_key(j, key);
    jb_str_val(j, val);
}

static void jb_fmt(struct jb *j, const char *key, const char *text, int n)
{
    jb_key(j, key);
    if (n < 0)
        n = 0;
    jb_put(j, text, (size_t)n);
}

/* "00".."99": integers go out two digits at a time. */
static const char jb_d2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Number of decimal digits of v (1..20). */
static inline unsigned jb_ndigits(uint64_t v)
{
    static const uint64_t pow10[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
    };
    /* v | 1 has as many digits as v and a bit length of at least 1;
     * bits * 1233 / 4096 is floor(bits * log10(2)): the count, or one short */
    uint64_t u = v | 1;
    unsigned bits = 64u - (unsigned)__builtin_clzll(u);
    unsigned n = (bits * 1233u) >> 12;
    return n + (u >= pow10[n]);
}

char *jb_fmt_u64(char *o, uint64_t v)
{
    char *end = o + jb_ndigits(v), *p = end;

    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, jb_d2 + 2 * r, 2);
    }
    if (v >= 10)
        memcpy(p - 2, jb_d2 + 2 * v, 2);
    else
        p[-1] = (char)('0' + v);
    return end;
}

char *jb_fmt_i64(char *o, int64_t v)
{
    if (v >= 0)
        return jb_fmt_u64(o, (uint64_t)v);
    *o = '-';
    /* the magnitude of INT64_MIN does not fit an int64_t: go through uint64_t */
    return jb_fmt_u64(o + 1, (uint64_t)0 - (uint64_t)v);
}

void jb_int(struct jb *j, const char *key, int64_t v)
{
    char t[24];
    jb_fmt(j, key, t, (int)(jb_fmt_i64(t, v) - t));
}

void jb_uint(struct jb *j, const char *key, uint64_t v)
{
    char t[24];
    jb_fmt(j, key, t, (int)(jb_fmt_u64(t, v) - t));
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
    memcpy(o, jb_d2 + 2 * v, 2);
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

/* "YYYY-MM-DDTHH:MM:SS" (19 bytes) of a second; false outside 0000..9999. */
static bool jb_second19(int64_t s, char *o)
{
    int64_t days = s / 86400, rem = s % 86400, y;
    unsigned m, d;

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
    return true;
}

/* The last second formatted on this thread: events come in packet-time
 * order, so most timestamps (and a flow's start/end) share it. Per thread,
 * so workers share nothing. */
static _Thread_local int64_t jb_tc_sec = INT64_MIN;
static _Thread_local char jb_tc_txt[19];

/* "YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00" (32 bytes, no NUL) at o; NULL when
 * tv is outside years 0000..9999 or tv_usec is not a microsecond count
 * (the caller then falls back to gmtime_r + snprintf). */
char *jb_fmt_time(char *o, struct timeval tv)
{
    int64_t s = (int64_t)tv.tv_sec;
    unsigned us;

    if (tv.tv_usec < 0 || tv.tv_usec > 999999)
        return NULL;
    if (s != jb_tc_sec) {
        if (!jb_second19(s, jb_tc_txt)) {
            jb_tc_sec = INT64_MIN;
            return NULL;
        }
        jb_tc_sec = s;
    }
    memcpy(o, jb_tc_txt, 19);
    o[19] = '.';
    us = (unsigned)tv.tv_usec;
    jb_2d(o + 20, us / 10000);
    jb_2d(o + 22, us / 100 % 100);
    jb_2d(o + 24, us % 100);
    memcpy(o + 26, "+00:00", 6);
    return o + 32;
}

void jb_format_time(struct timeval tv, char *out, size_t cap)
{
    struct tm tm;
    time_t t = tv.tv_sec;

    if (cap >= 33 && jb_fmt_time(out, tv) != NULL) {
        out[32] = '\0';
        return;
    }
    if (gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

/* The value of a time jb_fmt_time cannot write (a JSON string either way). */
void jb_time_slow(struct jb *j, struct timeval tv)
{
    char t[48];

    jb_format_time(tv, t, sizeof(t));
    jb_escaped(j, t, strlen(t));
}

void jb_time_k_slow(struct jb *j, const char *k, size_t kn, struct timeval tv)
{
    char t[48];

    jb_key_slow(j, k, kn);
    if (jb_fmt_time(t + 1, tv) != NULL) {
        t[0] = '"';
        t[33] = '"';
        jb_put(j, t, 34);
        return;
    }
    jb_time_slow(j, tv);
}

void jb_time(struct jb *j, const char *key, struct timeval tv)
{
    char t[48];

    if (jb_fmt_time(t + 1, tv) != NULL) {
        t[0] = '"';
        t[33] = '"';
        jb_fmt(j, key, t, 34);
        return;
    }
    jb_key(j, key);
    jb_time_slow(j, tv);
}

/* ---- IP addresses ---- */

/* "d.", "dd." or "ddd." of every octet (4-byte copies), by the
 * preprocessor; the length comes from the value. */
#define JB_D1(c) ((c) >= 100 ? '0' + (c) / 100 : (c) >= 10 ? '0' + (c) / 10 : '0' + (c))
#define JB_D2(c) ((c) >= 100 ? '0' + (c) / 10 % 10 : (c) >= 10 ? '0' + (c) % 10 : '.')
#define JB_D3(c) ((c) >= 100 ? '0' + (c) % 10 : (c) >= 10 ? '.' : 0)
#define JB_O(c) { JB_D1(c), JB_D2(c), JB_D3(c), (c) >= 100 ? '.' : 0 }
#define JB_O4(c) JB_O(c), JB_O((c) + 1), JB_O((c) + 2), JB_O((c) + 3)
#define JB_O16(c) JB_O4(c), JB_O4((c) + 4), JB_O4((c) + 8), JB_O4((c) + 12)
#define JB_O64(c) JB_O16(c), JB_O16((c) + 16), JB_O16((c) + 32), JB_O16((c) + 48)
static const char jb_oct_tab[256][4] = { JB_O64(0), JB_O64(64), JB_O64(128), JB_O64(192) };

/* Dotted quad at o (room for 16 bytes); returns the end. */
static char *jb_fmt_ipv4(char *o, const uint8_t *ip)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = ip[i];
        memcpy(o, jb_oct_tab[v], 4);
        o += 2 + (v >= 10) + (v >= 100);
    }
    return o - 1;
}

/* One group in lower-case hex without leading zeros. */
static char *jb_fmt_hex16(char *o, unsigned w)
{
    if (w >= 0x1000)
        *o++ = jb_hex[w >> 12];
    if (w >= 0x100)
        *o++ = jb_hex[(w >> 8) & 15];
    if (w >= 0x10)
        *o++ = jb_hex[(w >> 4) & 15];
    *o++ = jb_hex[w & 15];
    return o;
}

/* RFC 5952 text, the same as glibc's inet_ntop: the first longest run of
 * two or more zero groups becomes "::"; an address whose first 6 groups
 * are zero, or the first 5 zero and the 6th ffff, ends in a dotted quad. */
static char *jb_fmt_ipv6(char *o, const uint8_t *ip)
{
    unsigned w[8];
    int best = -1, best_len = 0, cur = -1;

    for (int i = 0; i < 8; i++) {
        w[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
        if (w[i] == 0) {
            if (cur < 0)
                cur = i;
            if (i - cur + 1 > best_len) {
                best = cur;
                best_len = i - cur + 1;
            }
        } else {
            cur = -1;
        }
    }
    if (best_len < 2)
        best = -1;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *o++ = ':';
            i += best_len - 1;
            if (i == 7)
                *o++ = ':';
            continue;
        }
        if (i != 0)
            *o++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
            return jb_fmt_ipv4(o, ip + 12);
        o = jb_fmt_hex16(o, w[i]);
    }
    return o;
}

char *jb_fmt_ip(char *o, const uint8_t *ip, int ver)
{
    *o++ = '"';
    o = ver == 6 ? jb_fmt_ipv6(o, ip) : jb_fmt_ipv4(o, ip);
    *o++ = '"';
    return o;
}

size_t jb_format_ip(const uint8_t *ip, int ver, char *out)
{
    char *end = ver == 6 ? jb_fmt_ipv6(out, ip) : jb_fmt_ipv4(out, ip);

    *end = '\0';
    return (size_t)(end - out);
}

void jb_ip(struct jb *j, const char *key, const uint8_t *ip, int ver)
{
    char t[JB_IP_MAX + 2];

    jb_fmt(j, key, t, (int)(jb_fmt_ip(t, ip, ver) - t));
}

const char *jb_text(struct jb *j)
{
    return j->cap > 0 ? j->buf : "";
}
