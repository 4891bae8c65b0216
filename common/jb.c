/* jb: see jb.h. The only state is a comma flag per nesting level. */
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

static void jb_put(struct jb *j, const char *s, size_t n)
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

static void jb_putc(struct jb *j, char c)
{
    jb_put(j, &c, 1);
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

static void jb_escaped(struct jb *j, const char *val, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)val;
    jb_putc(j, '"');
    size_t run = 0; /* start of a run of bytes that need no escape */
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t ulen = c >= 0x80 ? jb_utf8_len(s + i, n - i) : 0;
        if (ulen > 0) {
            i += ulen;
            continue;
        }
        jb_put(j, val + run, i - run);
        char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
        switch (c) {
        case '"': jb_put(j, "\\\"", 2); break;
        case '\\': jb_put(j, "\\\\", 2); break;
        case '\n': jb_put(j, "\\n", 2); break;
        case '\r': jb_put(j, "\\r", 2); break;
        case '\t': jb_put(j, "\\t", 2); break;
        default: jb_put(j, e, 6); break;
        }
        i++;
        run = i;
    }
    jb_put(j, val + run, n - run);
    jb_putc(j, '"');
}

/* Comma and key before a value. */
static void jb_key(struct jb *j, const char *key)
{
    if (j->need_comma[j->depth])
        jb_putc(j, ',');
    j->need_comma[j->depth] = true;
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

void jb_int(struct jb *j, const char *key, int64_t v)
{
    char t[24];
    jb_fmt(j, key, t, snprintf(t, sizeof(t), "%lld", (long long)v));
}

void jb_uint(struct jb *j, const char *key, uint64_t v)
{
    char t[24];
    jb_fmt(j, key, t, snprintf(t, sizeof(t), "%llu", (unsigned long long)v));
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

void jb_format_time(struct timeval tv, char *out, size_t cap)
{
    struct tm tm;
    time_t t = tv.tv_sec;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

void jb_time(struct jb *j, const char *key, struct timeval tv)
{
    char t[40];
    jb_format_time(tv, t, sizeof(t));
    jb_str(j, key, t);
}

const char *jb_text(struct jb *j)
{
    return j->cap > 0 ? j->buf : "";
}
