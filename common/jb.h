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
 */
#ifndef CANH_JB_H
#define CANH_JB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

static inline bool jb_ok(const struct jb *j)
{
    return !j->overflow && j->depth == 0;
}

/* NUL-terminated text (valid while the buffer lives). */
const char *jb_text(struct jb *j);

#endif
