/* ing_eve: gunzip (bounded), split NDJSON lines, parse each onto a token
 * tape (ing_json) and check the canh identity fields; a jansson tree is
 * built only for the events the caller wants. A batch is all or nothing: the first
 * bad line rejects it, so the store never sees half a batch.
 */
#include "ingest/ing_eve.h"

#include "ingest/ing_json.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct ing_batch {
    char *decoded;         /* owned text: gunzip output, or a copy of a plain body */
    char *strings;         /* decoded JSON strings of every line (ing_json) */
    struct ing_event *ev;
    size_t n, cap;
    /* ing_batch_tree: the want, a parser and strings of the longest line */
    struct ing_want want;
    bool has_want;
    struct ing_json *j;
    char *scratch;
    size_t max_line;
};

static void ing_err(struct ing_error *err, int status, int line, const char *fmt, const char *a)
{
    err->status = status;
    err->line = line;
    snprintf(err->msg, sizeof err->msg, fmt, a ? a : "");
}

/* Inflate a gzip stream (several members allowed) into a new buffer of at
 * most max bytes. 0, or fills err (400 corrupt/truncated, 413 too big). */
static int ing_gunzip(const char *in, size_t len, size_t max, char **out, size_t *outlen,
                      struct ing_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        ing_err(err, 500, 0, "gzip: cannot initialise zlib%s", NULL);
        return -1;
    }
    size_t cap = len * 4 + 4096;
    if (cap > max + 1)
        cap = max + 1;
    char *buf = malloc(cap);
    int ret = -1, zr = Z_OK;
    size_t used = 0;
    if (!buf) {
        ing_err(err, 500, 0, "out of memory%s", NULL);
        goto out;
    }
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    for (;;) {
        if (used == cap) {
            if (cap > max) {
                err->status = 413;
                snprintf(err->msg, sizeof err->msg,
                         "batch larger than %zu bytes after gunzip", max);
                goto out;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                ing_err(err, 500, 0, "out of memory%s", NULL);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        z.next_out = (unsigned char *)buf + used;
        z.avail_out = (uInt)(cap - used);
        zr = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            /* Another gzip member follows (concatenated streams). */
            if (inflateReset(&z) != Z_OK) {
                ing_err(err, 400, 0, "gzip: corrupt stream%s", NULL);
                goto out;
            }
            continue;
        }
        if (zr == Z_OK)
            continue;
        if (zr == Z_BUF_ERROR && z.avail_in == 0) {
            ing_err(err, 400, 0, "gzip: truncated stream%s", NULL);
            goto out;
        }
        if (zr == Z_BUF_ERROR && z.avail_out == 0)
            continue;
        ing_err(err, 400, 0, "gzip: corrupt stream: %s", z.msg ? z.msg : "inflate failed");
        goto out;
    }
    if (used > max) {
        snprintf(err->msg, sizeof err->msg, "batch larger than %zu bytes after gunzip", max);
        err->status = 413;
        err->line = 0;
        goto out;
    }
    *out = buf;
    *outlen = used;
    buf = NULL;
    ret = 0;
out:
    inflateEnd(&z);
    free(buf);
    return ret;
}

/* n decimal digits at s into *out; 0 or -1. */
static int ing_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). Hand-written instead of sscanf + timegm: this runs
 * for every event ingested. */
static int64_t ing_days(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t ing_eve_time(const char *s)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 19 || ing_digits(s, 4, &y) || s[4] != '-' ||
        ing_digits(s + 5, 2, &mo) || s[7] != '-' || ing_digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || ing_digits(s + 11, 2, &h) ||
        s[13] != ':' || ing_digits(s + 14, 2, &mi) || s[16] != ':' ||
        ing_digits(s + 17, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return 0;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 6)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return 0;
        for (; digits < 6; digits++)
            frac *= 10;
    }
    int off = 0;
    if (*p == '+' || *p == '-') {
        int hh, mm, sign = *p == '-' ? -1 : 1;
        if (ing_digits(p + 1, 2, &hh))
            return 0;
        const char *q = p + 3 + (p[3] == ':');
        if (ing_digits(q, 2, &mm) || q[2] != '\0' || hh > 23 || mm > 59)
            return 0;
        off = sign * (hh * 3600 + mm * 60);
    } else if (!((*p == 'Z' || *p == 'z') && p[1] == '\0') && *p != '\0') {
        return 0;
    }
    int64_t secs = ing_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return secs * 1000000 + frac;
}

static const char *ing_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

void ing_eve_columns(json_t *ev, struct db_event_in *in)
{
    in->ts_us = ing_eve_time(ing_str(ev, "timestamp"));
    in->event_type = ing_str(ev, "event_type");
    in->src_ip = ing_str(ev, "src_ip");
    in->dest_ip = ing_str(ev, "dest_ip");
    json_t *flow = json_object_get(ev, "flow_id");
    in->flow_id = json_is_integer(flow) ? json_integer_value(flow) : 0;
    in->sig_id = -1;
    in->severity = -1;
    json_t *alert = json_object_get(ev, "alert");
    if (json_is_object(alert)) {
        json_t *v = json_object_get(alert, "signature_id");
        if (json_is_integer(v))
            in->sig_id = json_integer_value(v);
        v = json_object_get(alert, "severity");
        if (json_is_integer(v))
            in->severity = (int)json_integer_value(v);
    }
}

static const char *ing_tstr(const struct ing_json_tok *t, size_t i)
{
    return i && t[i].type == ING_JSON_STR ? t[i].v.s : NULL;
}

static bool ing_tint(const struct ing_json_tok *t, size_t i, int64_t *v)
{
    if (!i || t[i].type != ING_JSON_INT)
        return false;
    *v = t[i].v.i;
    return true;
}

/* The indexed columns from a parsed line (as ing_eve_columns does on a tree). */
static void ing_tape_columns(const struct ing_json *j, struct db_event_in *in)
{
    size_t n;
    const struct ing_json_tok *t = ing_json_tape(j, &n);
    in->ts_us = ing_eve_time(ing_tstr(t, ing_json_get(j, 0, "timestamp")));
    in->event_type = ing_tstr(t, ing_json_get(j, 0, "event_type"));
    in->src_ip = ing_tstr(t, ing_json_get(j, 0, "src_ip"));
    in->dest_ip = ing_tstr(t, ing_json_get(j, 0, "dest_ip"));
    if (!ing_tint(t, ing_json_get(j, 0, "flow_id"), &in->flow_id))
        in->flow_id = 0;
    in->sig_id = -1;
    in->severity = -1;
    size_t alert = ing_json_get(j, 0, "alert");
    if (alert && t[alert].type == ING_JSON_OBJ) {
        int64_t v;
        if (ing_tint(t, ing_json_get(j, alert, "signature_id"), &v))
            in->sig_id = v;
        if (ing_tint(t, ing_json_get(j, alert, "severity"), &v))
            in->severity = (int)v;
    }
}

/* Check one parsed line and fill ev (but ev->json). 0 or fills err. */
static int ing_check(const struct ing_json *j, int line, const char *sensor,
                     struct ing_event *ev, struct ing_error *err)
{
    size_t ntok;
    const struct ing_json_tok *t = ing_json_tape(j, &ntok);
    if (t[0].type != ING_JSON_OBJ) {
        ing_err(err, 400, line, "not a JSON object%s", NULL);
        return -1;
    }
    size_t canh = ing_json_get(j, 0, "canh");
    int64_t sq = 0;
    const char *id = NULL, *snd = NULL;
    bool has_seq = false;
    if (canh && t[canh].type == ING_JSON_OBJ) {
        id = ing_tstr(t, ing_json_get(j, canh, "id"));
        snd = ing_tstr(t, ing_json_get(j, canh, "sensor"));
        has_seq = ing_tint(t, ing_json_get(j, canh, "seq"), &sq);
    }
    if (!id || !snd || !has_seq) {
        ing_err(err, 400, line, "missing canh.id, canh.sensor or canh.seq%s", NULL);
        return -1;
    }
    if (sensor && strcmp(snd, sensor) != 0) {
        ing_err(err, 403, line, "canh.sensor \"%s\" is not the sensor of this token", snd);
        return -1;
    }
    char want[160];
    int wn = snprintf(want, sizeof want, "%s:%" PRId64, snd, sq);
    if (sq < 0 || wn <= 0 || (size_t)wn >= sizeof want || strcmp(want, id) != 0) {
        ing_err(err, 400, line, "canh.id \"%s\" is not \"<canh.sensor>:<canh.seq>\"", id);
        return -1;
    }
    memset(ev, 0, sizeof *ev);
    ev->in.canh_id = id;
    ev->in.sensor = snd;
    ev->in.seq = sq;
    ing_tape_columns(j, &ev->in);
    return 0;
}

/* The tree the caller wants for this event (NULL: none); 0, or -1 on ENOMEM. */
static int ing_tree(const struct ing_json *j, const struct ing_want *w, struct ing_event *ev)
{
    enum ing_want_kind k = ING_WANT_ALL;
    if (w) {
        size_t et = ing_json_get(j, 0, "event_type");
        k = w->type(ev->in.event_type, et != 0, w->arg);
    }
    ev->want = k;
    if (k == ING_WANT_NONE || (k == ING_WANT_KEYS && w->later))
        return 0;
    ev->json = ing_json_build(j, 0, k == ING_WANT_KEYS ? w->key : NULL, w ? w->arg : NULL);
    return ev->json ? 0 : -1;
}

static int ing_push(struct ing_batch *b, const struct ing_event *ev)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 64;
        struct ing_event *nv = realloc(b->ev, ncap * sizeof *nv);
        if (!nv)
            return -1;
        b->ev = nv;
        b->cap = ncap;
    }
    b->ev[b->n++] = *ev;
    return 0;
}

struct ing_batch *ing_eve_parse(const char *body, size_t len, bool gzip, const char *sensor,
                                const struct ing_limits *lim, struct ing_error *err)
{
    return ing_eve_parse_want(body, len, gzip, sensor, lim, NULL, err);
}

struct ing_batch *ing_eve_parse_want(const char *body, size_t len, bool gzip,
                                     const char *sensor, const struct ing_limits *lim,
                                     const struct ing_want *want, struct ing_error *err)
{
    struct ing_batch *b = calloc(1, sizeof *b);
    struct ing_json *j = ing_json_new();
    memset(err, 0, sizeof *err);
    if (!b || !j) {
        ing_err(err, 500, 0, "out of memory%s", NULL);
        goto fail;
    }
    if (want) {
        b->want = *want;
        b->has_want = true;
    }
    size_t tlen = len;
    if (gzip) {
        if (ing_gunzip(body, len, lim->max_decoded, &b->decoded, &tlen, err) != 0)
            goto fail;
    } else if (len > lim->max_decoded) {
        snprintf(err->msg, sizeof err->msg, "batch larger than %zu bytes", lim->max_decoded);
        err->status = 413;
        goto fail;
    } else {
        /* The batch owns its text: events (and ing_batch_tree) outlive the
         * request whose buffer the body is in. */
        b->decoded = malloc(len + 1);
        if (!b->decoded) {
            ing_err(err, 500, 0, "out of memory%s", NULL);
            goto fail;
        }
        memcpy(b->decoded, body, len);
    }
    const char *text = b->decoded;
    /* Decoded strings of every line: never longer than the text itself. */
    b->strings = malloc(tlen + 1);
    if (!b->strings) {
        ing_err(err, 500, 0, "out of memory%s", NULL);
        goto fail;
    }
    size_t sused = 0;
    int line = 0;
    for (size_t pos = 0; pos < tlen;) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', tlen - pos);
        size_t n = nl ? (size_t)(nl - start) : tlen - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n > lim->max_line) {
            snprintf(err->msg, sizeof err->msg, "line longer than %zu bytes", lim->max_line);
            err->status = 413;
            err->line = line;
            goto fail;
        }
        while (n > 0 && isspace((unsigned char)start[n - 1]))
            n--;
        size_t lead = 0;
        while (lead < n && isspace((unsigned char)start[lead]))
            lead++;
        if (lead == n)
            continue; /* blank line */
        if (b->n >= lim->max_events) {
            snprintf(err->msg, sizeof err->msg, "more than %zu events in one batch",
                     lim->max_events);
            err->status = 413;
            err->line = line;
            goto fail;
        }
        long used = ing_json_parse(j, start + lead, n - lead, b->strings + sused);
        if (used < 0) {
            ing_err(err, 400, line, "invalid JSON: %s", ing_json_error(j));
            goto fail;
        }
        sused += (size_t)used;
        if (n - lead > b->max_line)
            b->max_line = n - lead;
        struct ing_event ev;
        if (ing_check(j, line, sensor, &ev, err) != 0)
            goto fail;
        ev.in.raw = start + lead;
        ev.in.raw_len = n - lead;
        if (ing_tree(j, want, &ev) != 0 || ing_push(b, &ev) != 0) {
            json_decref(ev.json);
            ing_err(err, 500, line, "out of memory%s", NULL);
            goto fail;
        }
    }
    if (b->n == 0) {
        ing_err(err, 400, 0, "empty batch: no events%s", NULL);
        goto fail;
    }
    b->j = j;
    return b;
fail:
    ing_json_free(j);
    ing_batch_free(b);
    return NULL;
}

size_t ing_batch_count(const struct ing_batch *b)
{
    return b ? b->n : 0;
}

const struct ing_event *ing_batch_get(const struct ing_batch *b, size_t i)
{
    return i < b->n ? &b->ev[i] : NULL;
}

json_t *ing_batch_tree(struct ing_batch *b, size_t i)
{
    if (i >= b->n || b->ev[i].want == ING_WANT_NONE)
        return NULL;
    struct ing_event *ev = &b->ev[i];
    if (ev->json)
        return json_incref(ev->json);
    if (!b->scratch && !(b->scratch = malloc(b->max_line + 1)))
        return NULL;
    /* Valid when the batch was parsed, so only memory can fail here. */
    if (ing_json_parse(b->j, ev->in.raw, ev->in.raw_len, b->scratch) < 0)
        return NULL;
    bool keys = ev->want == ING_WANT_KEYS && b->has_want;
    return ing_json_build(b->j, 0, keys ? b->want.key : NULL, keys ? b->want.arg : NULL);
}

void ing_batch_free(struct ing_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->ev[i].json);
    free(b->ev);
    free(b->decoded);
    free(b->strings);
    free(b->scratch);
    ing_json_free(b->j);
    free(b);
}
