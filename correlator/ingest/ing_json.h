/* ing_json: a strict one-pass JSON parser for ingest lines, writing a flat
 * token tape instead of a tree (no allocation per value).
 *
 * Accepts exactly what jansson's json_loadb(..., JSON_ALLOW_NUL) accepts for an
 * EVE line (RFC 8259, valid UTF-8, \u0000 in string values but not in keys,
 * integers within json_int_t,
 * finite reals, depth <= JSON_PARSER_MAX_DEPTH, nothing after the value), so
 * a batch is rejected for the same lines as before. Strings are decoded and
 * NUL-terminated into a caller-owned buffer. One owner per parser.
 */
#ifndef CANH_ING_JSON_H
#define CANH_ING_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ing_json_type {
    ING_JSON_NULL,
    ING_JSON_FALSE,
    ING_JSON_TRUE,
    ING_JSON_INT,
    ING_JSON_REAL,
    ING_JSON_STR,
    ING_JSON_ARR,
    ING_JSON_OBJ,
};

/* One value (or object key) on the tape. A container is followed by its
 * members in order (an object's as key, value, key, value ...); span counts
 * the tokens of the whole subtree, itself included, so the next sibling of
 * token i is i + span. */
struct ing_json_tok {
    uint8_t type;
    uint32_t span;
    uint32_t len; /* STR: bytes (without the NUL); ARR/OBJ: members */
    union {
        const char *s; /* STR: decoded, NUL-terminated, in the caller's buffer */
        json_int_t i;
        double d;
    } v;
};

struct ing_json;

struct ing_json *ing_json_new(void);
void ing_json_free(struct ing_json *j);

/* Parse text[0..len). Decoded strings go to strbuf, which must have len
 * free bytes (a string never decodes longer than its quoted source).
 * Returns the bytes of strbuf used, or -1 with a reason (ing_json_error).
 * The tape is valid until the next call. */
long ing_json_parse(struct ing_json *j, const char *text, size_t len, char *strbuf);
const char *ing_json_error(const struct ing_json *j);
const struct ing_json_tok *ing_json_tape(const struct ing_json *j, size_t *ntok);

/* The last member named key (jansson keeps the last of duplicate keys) of
 * the object at token obj, as a token index, or 0 when absent (token 0 is
 * the root and never a member). */
size_t ing_json_get(const struct ing_json *j, size_t obj, const char *key);

/* A jansson value for the subtree at token i (new reference, NULL on
 * ENOMEM). For the root object, keep (when not NULL) chooses the top-level
 * members to copy; duplicate keys resolve as in jansson (the last wins). */
typedef bool (*ing_json_keep_fn)(const char *key, size_t len, void *arg);
json_t *ing_json_build(const struct ing_json *j, size_t i, ing_json_keep_fn keep, void *arg);

#endif
