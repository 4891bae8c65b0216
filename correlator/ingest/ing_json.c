/* ing_json: recursive-descent JSON parser onto a flat tape (see ing_json.h).
 * It replaced json_loadb on the ingest path, where building a jansson tree
 * for every line (a hash table and a malloc per key and value) was a third
 * of the correlator's CPU; a tree is now built only for the events the rules
 * want, with only the keys they read (ing_json_build).
 */
#include "ingest/ing_json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ING_JSON_MAX_DEPTH JSON_PARSER_MAX_DEPTH

struct ing_json {
    struct ing_json_tok *tok;
    size_t ntok, cap;
    const char *p, *start, *end;
    char *out;   /* next free byte of the caller's string buffer */
    char *out0;
    char err[120];
};

struct ing_json *ing_json_new(void)
{
    return calloc(1, sizeof(struct ing_json));
}

void ing_json_free(struct ing_json *j)
{
    if (!j)
        return;
    free(j->tok);
    free(j);
}

const char *ing_json_error(const struct ing_json *j)
{
    return j->err;
}

const struct ing_json_tok *ing_json_tape(const struct ing_json *j, size_t *ntok)
{
    *ntok = j->ntok;
    return j->tok;
}

static int fail(struct ing_json *j, const char *what)
{
    if (j->err[0] == '\0')
        snprintf(j->err, sizeof j->err, "%s at byte %zu", what, (size_t)(j->p - j->start) + 1);
    return -1;
}

/* A new token; its index, or -1 when memory runs out. */
static long push(struct ing_json *j, uint8_t type)
{
    if (j->ntok == j->cap) {
        size_t ncap = j->cap ? j->cap * 2 : 256;
        struct ing_json_tok *t = realloc(j->tok, ncap * sizeof *t);
        if (!t)
            return fail(j, "out of memory");
        j->tok = t;
        j->cap = ncap;
    }
    struct ing_json_tok *t = &j->tok[j->ntok];
    t->type = type;
    t->span = 1;
    t->len = 0;
    t->v.i = 0;
    return (long)j->ntok++;
}

static void skip_ws(struct ing_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const char *s, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - s < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF (as jansson). */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* A string at j->p (on the opening quote) into a STR token. A value may hold
 * \u0000 (wire data such as a DNS rdata or a URI can: rejecting it would let
 * an attacker get an event refused); an object key may not. */
static int parse_string(struct ing_json *j, bool key)
{
    long t = push(j, ING_JSON_STR);
    if (t < 0)
        return -1;
    char *o = j->out, *o0 = o;
    const unsigned char *p = (const unsigned char *)j->p + 1;
    const unsigned char *end = (const unsigned char *)j->end;
    for (;;) {
        /* Plain ASCII runs are the common case: copy them in one go. */
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p == end) {
            j->p = (const char *)p;
            return fail(j, "unterminated string");
        }
        unsigned c = *p;
        if (c == '"') {
            p++;
            break;
        }
        if (c < 0x20) {
            j->p = (const char *)p;
            return fail(j, "control character in a string");
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(p, end);
            if (n == 0) {
                j->p = (const char *)p;
                return fail(j, "invalid UTF-8 in a string");
            }
            memcpy(o, p, n);
            o += n;
            p += n;
            continue;
        }
        /* backslash */
        if (p + 1 >= end) {
            j->p = (const char *)p;
            return fail(j, "unterminated string");
        }
        char e = (char)p[1];
        p += 2;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            j->p = (const char *)p;
            if (hex4((const char *)p, j->end, &cp) < 0)
                return fail(j, "invalid \\u escape");
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(j, "invalid Unicode escape (lone low surrogate)");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    hex4((const char *)p + 2, j->end, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(j, "invalid Unicode escape (lone high surrogate)");
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0 && key)
                return fail(j, "\\u0000 is not allowed in an object key");
            o = put_utf8(o, cp);
            break;
        }
        default:
            j->p = (const char *)p - 1;
            return fail(j, "invalid escape");
        }
    }
    *o = '\0';
    j->tok[t].len = (uint32_t)(o - o0);
    j->tok[t].v.s = o0;
    j->out = o + 1;
    j->p = (const char *)p;
    return 0;
}

static int parse_number(struct ing_json *j)
{
    const char *s = j->p, *p = s;
    bool real = false;
    if (p < j->end && *p == '-')
        p++;
    if (p < j->end && *p == '0') {
        p++;
    } else if (p < j->end && *p >= '1' && *p <= '9') {
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return fail(j, "invalid number");
    }
    if (p < j->end && *p == '.') {
        real = true;
        p++;
        if (p == j->end || *p < '0' || *p > '9') {
            j->p = p;
            return fail(j, "invalid number");
        }
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p == j->end || *p < '0' || *p > '9') {
            j->p = p;
            return fail(j, "invalid number");
        }
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    long t = push(j, real ? ING_JSON_REAL : ING_JSON_INT);
    if (t < 0)
        return -1;
    if (!real) {
        bool neg = *s == '-';
        unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
        for (const char *q = s + neg; q < p; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (v > (lim - d) / 10)
                return fail(j, neg ? "too big negative integer" : "too big integer");
            v = v * 10 + d;
        }
        j->tok[t].v.i = neg ? (json_int_t)(0 - v) : (json_int_t)v;
    } else {
        char buf[128], *big = NULL, *b = buf;
        size_t n = (size_t)(p - s);
        if (n >= sizeof buf && !(b = big = malloc(n + 1)))
            return fail(j, "out of memory");
        memcpy(b, s, n);
        b[n] = '\0';
        errno = 0;
        double d = strtod(b, NULL);
        free(big);
        if (errno == ERANGE && isinf(d))
            return fail(j, "real number overflow");
        j->tok[t].v.d = d;
    }
    j->p = p;
    return 0;
}

static int literal(struct ing_json *j, const char *word, size_t n, uint8_t type)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return fail(j, "invalid token");
    j->p += n;
    return push(j, type) < 0 ? -1 : 0;
}

static int parse_value(struct ing_json *j, int depth);

static int parse_container(struct ing_json *j, int depth, bool obj)
{
    if (depth > ING_JSON_MAX_DEPTH)
        return fail(j, "maximum parsing depth reached");
    long t = push(j, obj ? ING_JSON_OBJ : ING_JSON_ARR);
    if (t < 0)
        return -1;
    char close = obj ? '}' : ']';
    uint32_t n = 0;
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        if (obj) {
            if (j->p == j->end || *j->p != '"')
                return fail(j, "string or '}' expected");
            if (parse_string(j, true) < 0)
                return -1;
            skip_ws(j);
            if (j->p == j->end || *j->p != ':')
                return fail(j, "':' expected");
            j->p++;
            skip_ws(j);
        }
        if (parse_value(j, depth + 1) < 0)
            return -1;
        n++;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            skip_ws(j);
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            break;
        }
        return fail(j, obj ? "',' or '}' expected" : "',' or ']' expected");
    }
    j->tok[t].len = n;
    j->tok[t].span = (uint32_t)(j->ntok - (size_t)t);
    return 0;
}

static int parse_value(struct ing_json *j, int depth)
{
    if (j->p == j->end)
        return fail(j, "unexpected end of line");
    switch (*j->p) {
    case '{': return parse_container(j, depth, true);
    case '[': return parse_container(j, depth, false);
    case '"': return parse_string(j, false);
    case 't': return literal(j, "true", 4, ING_JSON_TRUE);
    case 'f': return literal(j, "false", 5, ING_JSON_FALSE);
    case 'n': return literal(j, "null", 4, ING_JSON_NULL);
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
            return parse_number(j);
        return fail(j, "invalid token");
    }
}

long ing_json_parse(struct ing_json *j, const char *text, size_t len, char *strbuf)
{
    j->ntok = 0;
    j->err[0] = '\0';
    j->start = j->p = text;
    j->end = text + len;
    j->out = j->out0 = strbuf;
    skip_ws(j);
    if (parse_value(j, 1) < 0)
        return -1;
    skip_ws(j);
    if (j->p != j->end)
        return fail(j, "end of line expected after the value");
    return (long)(j->out - j->out0);
}

size_t ing_json_get(const struct ing_json *j, size_t obj, const char *key)
{
    const struct ing_json_tok *t = j->tok;
    if (obj >= j->ntok || t[obj].type != ING_JSON_OBJ)
        return 0;
    size_t klen = strlen(key), found = 0;
    size_t i = obj + 1;
    for (uint32_t m = 0; m < t[obj].len; m++) {
        if (t[i].len == klen && memcmp(t[i].v.s, key, klen) == 0)
            found = i + 1;
        i += 1 + t[i + 1].span;
    }
    return found;
}

json_t *ing_json_build(const struct ing_json *j, size_t i, ing_json_keep_fn keep, void *arg)
{
    const struct ing_json_tok *t = &j->tok[i];
    switch (t->type) {
    case ING_JSON_NULL: return json_null();
    case ING_JSON_TRUE: return json_true();
    case ING_JSON_FALSE: return json_false();
    case ING_JSON_INT: return json_integer(t->v.i);
    case ING_JSON_REAL: return json_real(t->v.d);
    case ING_JSON_STR: return json_stringn_nocheck(t->v.s, t->len); /* UTF-8 checked */
    case ING_JSON_ARR: {
        json_t *a = json_array();
        size_t k = i + 1;
        for (uint32_t m = 0; a && m < t->len; m++) {
            json_t *v = ing_json_build(j, k, NULL, NULL);
            if (!v || json_array_append_new(a, v) != 0) {
                json_decref(a);
                return NULL;
            }
            k += j->tok[k].span;
        }
        return a;
    }
    case ING_JSON_OBJ: {
        json_t *o = json_object();
        size_t k = i + 1;
        for (uint32_t m = 0; o && m < t->len; m++) {
            const struct ing_json_tok *key = &j->tok[k];
            if (!keep || keep(key->v.s, key->len, arg)) {
                json_t *v = ing_json_build(j, k + 1, NULL, NULL);
                if (!v || json_object_setn_new_nocheck(o, key->v.s, key->len, v) != 0) {
                    json_decref(o);
                    return NULL;
                }
            }
            k += 1 + j->tok[k + 1].span;
        }
        return o;
    }
    }
    return NULL;
}
