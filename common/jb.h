/* jb: JSON builder writing into a caller-owned buffer, with no allocation.
 *
 * Used on the sensor's EVE path, so the struct is public to live on the
 * stack or inside a worker. Every string is escaped to valid JSON: control
 * bytes become \u00XX, valid UTF-8 passes through, and a byte that is not
 * valid UTF-8 becomes \u00XX (read as Latin-1), so wire data never breaks
 * a line. When the buffer is too small the builder sets `overflow` and
 * ignores further writes; check jb_ok() before using the text.
 *
 * A key is NULL inside an array or for the top-level object.
 *
 * The jb_*_k variants take a compile-time key, JB_K("name"), and are
 * inline: the key's text and length are constants, so a field costs one
 * bound check and a few moves instead of a strlen and a scan per key. They
 * write exactly what the plain calls with the same key write.
 */
#ifndef CANH_JB_H
#define CANH_JB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#define JB_MAX_DEPTH 16

struct jb {
    char *buf;
    size_t cap;
    size_t len;
    int depth;
    bool overflow;
    bool need_comma[JB_MAX_DEPTH];
};

void jb_init(struct jb *j, char *buf, size_t cap);
/* Start again on the same buffer. */
void jb_reset(struct jb *j);

void jb_open_object(struct jb *j, const char *key);
void jb_close_object(struct jb *j);
void jb_open_array(struct jb *j, const char *key);
void jb_close_array(struct jb *j);

void jb_str(struct jb *j, const char *key, const char *val);
/* n bytes of arbitrary data, escaped. */
void jb_strn(struct jb *j, const char *key, const char *val, size_t n);
void jb_int(struct jb *j, const char *key, int64_t v);
void jb_uint(struct jb *j, const char *key, uint64_t v);
void jb_double(struct jb *j, const char *key, double v);
void jb_bool(struct jb *j, const char *key, bool v);
void jb_null(struct jb *j, const char *key);
/* Already-valid JSON text inserted as the value. */
void jb_raw(struct jb *j, const char *key, const char *json, size_t n);
/* UTC RFC 3339 with microseconds: 2026-11-27T02:56:47.123456+00:00 */
void jb_time(struct jb *j, const char *key, struct timeval tv);
/* Format a timeval the same way into out (at least 33 bytes). */
void jb_format_time(struct timeval tv, char *out, size_t cap);

/* IPv6 text (ver 6) or an IPv4 dotted quad (any other ver), as inet_ntop
 * writes them (RFC 5952: lower-case hex, the first longest run of two or
 * more zero groups as "::", ::a.b.c.d and ::ffff:a.b.c.d for IPv4-
 * compatible and -mapped addresses). out needs JB_IP_MAX bytes; returns
 * the length (without the NUL). jb_ip writes it as a string value. */
#define JB_IP_MAX 46
size_t jb_format_ip(const uint8_t *ip, int ver, char *out);
void jb_ip(struct jb *j, const char *key, const uint8_t *ip, int ver);

/* ---- compile-time keys ---- */

/* A key's JSON text and its length, as two arguments. Only a string literal
 * compiles here; it must need no escaping (plain ASCII, no '"' or '\\'). */
#define JB_K(name) ("\"" name "\":"), (sizeof("\"" name "\":") - 1)

/* Internals of the inline variants: the value writers return the end of
 * what they wrote (jb_fmt_ip writes the address quoted; jb_fmt_time
 * returns NULL when the time needs the slow form). Near the end of the
 * buffer, where the worst case of a value may not fit, the *_slow calls
 * write the same bytes with a bound check per piece, so a field is
 * dropped (overflow) exactly when the plain call would drop it. */
char *jb_fmt_u64(char *o, uint64_t v);
char *jb_fmt_i64(char *o, int64_t v);
char *jb_fmt_time(char *o, struct timeval tv);
char *jb_fmt_ip(char *o, const uint8_t *ip, int ver);
void jb_escaped(struct jb *j, const char *val, size_t n);
/* A NUL-terminated string value, measured as it is copied. */
void jb_str_val(struct jb *j, const char *val);
void jb_key_slow(struct jb *j, const char *k, size_t kn);
void jb_kv_slow(struct jb *j, const char *k, size_t kn, const char *val, size_t n);
void jb_time_k_slow(struct jb *j, const char *k, size_t kn, struct timeval tv);
void jb_time_slow(struct jb *j, struct timeval tv);

/* Comma and key; returns where the value goes, with room for `room` bytes
 * and the NUL, or NULL (nothing written) when that may not fit. */
static inline char *jb_key_k(struct jb *j, const char *k, size_t kn, size_t room)
{
    bool comma;
    char *o;

    if (j->overflow || j->len + kn + room + 2 > j->cap)
        return NULL;
    comma = j->need_comma[j->depth];
    j->need_comma[j->depth] = true;
    o = j->buf + j->len;
    o[0] = ',';
    o += comma;
    memcpy(o, k, kn);
    return o + kn;
}

static inline void jb_end_k(struct jb *j, char *end)
{
    *end = '\0';
    j->len = (size_t)(end - j->buf);
}

static inline void jb_uint_k(struct jb *j, const char *k, size_t kn, uint64_t v)
{
    char *o = jb_key_k(j, k, kn, 20);
    if (o != NULL) {
        jb_end_k(j, jb_fmt_u64(o, v));
    } else {
        char t[24];
        jb_kv_slow(j, k, kn, t, (size_t)(jb_fmt_u64(t, v) - t));
    }
}

static inline void jb_int_k(struct jb *j, const char *k, size_t kn, int64_t v)
{
    char *o = jb_key_k(j, k, kn, 20);
    if (o != NULL) {
        jb_end_k(j, jb_fmt_i64(o, v));
    } else {
        char t[24];
        jb_kv_slow(j, k, kn, t, (size_t)(jb_fmt_i64(t, v) - t));
    }
}

static inline void jb_bool_k(struct jb *j, const char *k, size_t kn, bool v)
{
    char *o = jb_key_k(j, k, kn, 5);
    if (o != NULL) {
        memcpy(o, v ? "true" : "false", 5);
        jb_end_k(j, o + (v ? 4 : 5));
    } else {
        jb_kv_slow(j, k, kn, v ? "true" : "false", v ? 4 : 5);
    }
}

static inline void jb_raw_k(struct jb *j, const char *k, size_t kn, const char *json, size_t n)
{
    char *o = jb_key_k(j, k, kn, n);
    if (o != NULL) {
        memcpy(o, json, n);
        jb_end_k(j, o + n);
    } else {
        jb_kv_slow(j, k, kn, json, n);
    }
}

static inline void jb_strn_k(struct jb *j, const char *k, size_t kn, const char *val, size_t n)
{
    char *o = jb_key_k(j, k, kn, 0);
    if (o != NULL)
        jb_end_k(j, o);
    else
        jb_key_slow(j, k, kn);
    jb_escaped(j, val, n);
}

/* NULL writes null, as jb_str does. */
static inline void jb_str_k(struct jb *j, const char *k, size_t kn, const char *val)
{
    char *o;

    if (val == NULL) {
        jb_raw_k(j, k, kn, "null", 4);
        return;
    }
    o = jb_key_k(j, k, kn, 0);
    if (o != NULL)
        jb_end_k(j, o);
    else
        jb_key_slow(j, k, kn);
    jb_str_val(j, val);
}

static inline void jb_time_k(struct jb *j, const char *k, size_t kn, struct timeval tv)
{
    char *o = jb_key_k(j, k, kn, 34);
    char *end;

    if (o == NULL) {
        jb_time_k_slow(j, k, kn, tv);
        return;
    }
    end = jb_fmt_time(o + 1, tv);
    if (end == NULL) {
        jb_end_k(j, o);
        jb_time_slow(j, tv);
        return;
    }
    o[0] = '"';
    end[0] = '"';
    jb_end_k(j, end + 1);
}

static inline void jb_ip_k(struct jb *j, const char *k, size_t kn, const uint8_t *ip, int ver)
{
    char *o = jb_key_k(j, k, kn, JB_IP_MAX + 2);
    if (o != NULL) {
        jb_end_k(j, jb_fmt_ip(o, ip, ver));
    } else {
        char t[JB_IP_MAX + 2];
        jb_kv_slow(j, k, kn, t, (size_t)(jb_fmt_ip(t, ip, ver) - t));
    }
}

static inline void jb_open_k(struct jb *j, const char *k, size_t kn, char c)
{
    char *o = jb_key_k(j, k, kn, 1);
    if (o != NULL) {
        o[0] = c;
        jb_end_k(j, o + 1);
    } else {
        jb_kv_slow(j, k, kn, &c, 1);
    }
    if (j->depth + 1 >= JB_MAX_DEPTH) {
        j->overflow = true;
        return;
    }
    j->depth++;
    j->need_comma[j->depth] = false;
}

static inline void jb_open_object_k(struct jb *j, const char *k, size_t kn)
{
    jb_open_k(j, k, kn, '{');
}

static inline void jb_open_array_k(struct jb *j, const char *k, size_t kn)
{
    jb_open_k(j, k, kn, '[');
}

static inline bool jb_ok(const struct jb *j)
{
    return !j->overflow && j->depth == 0;
}

/* NUL-terminated text (valid while the buffer lives). */
const char *jb_text(struct jb *j);

#endif
