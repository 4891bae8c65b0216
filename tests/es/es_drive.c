/* es_drive: test and bench driver for correlator/ship (ship_es) against a
 * real Elasticsearch/OpenSearch. Reads NDJSON EVE events, takes each one's
 * canh.id as _id and its timestamp (UTC) for the index name (with
 * --incidents: incident documents, _id "<id>:<version>", the incidents
 * index pattern on their "updated" time), installs the
 * index templates, ships everything on a libevent loop and exits when every
 * document has a final outcome. Prints one JSON summary line on stdout and
 * writes each rejection as "<canh.id>\t<reason>" to --rejects.
 *   es_drive --url URL --input FILE [--templates DIR] [--index PATTERN]
 *            [--batch-docs N] [--inflight N] [--no-gzip] [--retry-max MS]
 *            [--timeout S] [--rejects FILE] [--incidents]
 * Exit 0 when all are final, 2 on timeout, 1 on a usage or start-up error.
 */
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ship/ship_es.h"

struct doc {
    char *line;
    size_t len;
    char id[128];
    char index[256];
};

struct drive {
    struct event_base *base;
    struct ship_es *es;
    struct doc *docs;
    size_t ndocs, next;
    size_t final_done, final_rejected, notes_retry;
    FILE *rejects;
    struct event *tick;
    struct timespec t0;
    double deadline_s;
    int timed_out;
    int incidents;
};

static double drive_now(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void drive_result(void *arg, uint64_t cookie, int outcome, const char *reason)
{
    struct drive *d = arg;
    if (outcome == SHIP_ES_DONE) {
        d->final_done++;
    } else if (outcome == SHIP_ES_REJECTED) {
        d->final_rejected++;
        if (d->rejects)
            fprintf(d->rejects, "%s\t%s\n", d->docs[cookie].id, reason ? reason : "");
    } else {
        d->notes_retry++;
    }
}

/* Feeds what the queue bound allows, flushes once all is fed, and stops the
 * loop when everything is final. Runs every 2 ms. */
static void drive_tick(evutil_socket_t fd, short kind, void *arg)
{
    struct drive *d = arg;
    (void)fd;
    (void)kind;

    while (d->next < d->ndocs) {
        struct doc *x = &d->docs[d->next];
        int rc = ship_es_add(d->es, x->index, x->id, x->line, x->len, d->next);
        if (rc == SHIP_ES_ERR_LIMIT)
            break;
        if (rc != 0) {
            fprintf(stderr, "es_drive: document %zu (%s) refused by ship_es_add: %d\n", d->next,
                    x->id, rc);
            d->final_rejected++;
        }
        d->next++;
    }
    if (d->next == d->ndocs) {
        ship_es_flush(d->es);
        if (ship_es_pending(d->es) == 0 && d->final_done + d->final_rejected >= d->ndocs) {
            event_base_loopbreak(d->base);
            return;
        }
    }
    if (drive_now(&d->t0) > d->deadline_s) {
        d->timed_out = 1;
        event_base_loopbreak(d->base);
    }
}

/* "2026-11-27T02:56:47.123456+00:00" → seconds since the epoch (UTC; the
 * offset is honoured). 0 when unreadable. */
static time_t drive_ts(const char *ts)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *p = ts ? strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!p)
        return 0;
    time_t t = timegm(&tm);
    while (*p == '.' || (*p >= '0' && *p <= '9'))
        p++;
    if ((*p == '+' || *p == '-') && strlen(p) >= 6) {
        int off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
        t += *p == '+' ? -off : off;
    }
    return t;
}

static int drive_load(struct drive *d, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, n = 0, alloc = 0;
    ssize_t len;
    int rc = -1;

    if (!f) {
        perror(path);
        return -1;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            struct doc *nd = realloc(d->docs, alloc * sizeof(*nd));
            if (!nd)
                goto out;
            d->docs = nd;
        }
        struct doc *x = &d->docs[n];
        memset(x, 0, sizeof(*x));
        json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, NULL);
        const char *id = json_string_value(json_object_get(json_object_get(o, "canh"), "id"));
        const char *ts = json_string_value(json_object_get(o, d->incidents ? "updated" : "timestamp"));
        if (d->incidents && json_is_integer(json_object_get(o, "id")) &&
            json_is_integer(json_object_get(o, "version"))) {
            snprintf(x->id, sizeof(x->id), "%lld:%lld",
                     (long long)json_integer_value(json_object_get(o, "id")),
                     (long long)json_integer_value(json_object_get(o, "version")));
        } else if (!d->incidents && id) {
            snprintf(x->id, sizeof(x->id), "%s", id);
        } else {
            fprintf(stderr, "es_drive: %s: line %zu has no %s\n", path, n + 1,
                    d->incidents ? "integer id and version" : "canh.id");
            json_decref(o);
            goto out;
        }
        if (ship_es_index_name(d->es, d->incidents, drive_ts(ts), x->index, sizeof(x->index)) != 0) {
            fprintf(stderr, "es_drive: line %zu: no index name\n", n + 1);
            json_decref(o);
            goto out;
        }
        json_decref(o);
        x->line = strndup(line, (size_t)len);
        x->len = (size_t)len;
        if (!x->line)
            goto out;
        n++;
    }
    rc = 0;
out:
    d->ndocs = n;
    free(line);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    struct ship_es_cfg cfg;
    struct drive d;
    const char *input = NULL, *rejects = NULL;
    double timeout = 300;
    int rc = 1;

    memset(&d, 0, sizeof(d));
    log_init("es_drive");
    ship_es_cfg_defaults(&cfg);
    cfg.retry_max_ms = 2000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-gzip") == 0) {
            cfg.gzip = false;
            continue;
        }
        if (strcmp(a, "--incidents") == 0) {
            d.incidents = 1;
            continue;
        }
        if (!v)
            goto usage;
        i++;
        if (strcmp(a, "--url") == 0)
            cfg.url = v;
        else if (strcmp(a, "--input") == 0)
            input = v;
        else if (strcmp(a, "--templates") == 0)
            cfg.templates_dir = v;
        else if (strcmp(a, "--index") == 0)
            cfg.index_events = v;
        else if (strcmp(a, "--batch-docs") == 0)
            cfg.batch_docs = (uint32_t)atoi(v);
        else if (strcmp(a, "--inflight") == 0)
            cfg.max_inflight = (uint32_t)atoi(v);
        else if (strcmp(a, "--retry-max") == 0)
            cfg.retry_max_ms = (uint32_t)atoi(v);
        else if (strcmp(a, "--timeout") == 0)
            timeout = atof(v);
        else if (strcmp(a, "--rejects") == 0)
            rejects = v;
        else
            goto usage;
    }
    if (!cfg.url || !input)
        goto usage;
    cfg.on_result = drive_result;
    cfg.on_result_arg = &d;
    cfg.flush_ms = 50;
    d.base = event_base_new();
    d.es = d.base ? ship_es_new(d.base, &cfg) : NULL;
    if (!d.es || drive_load(&d, input) != 0)
        goto out;
    if (rejects && !(d.rejects = fopen(rejects, "w"))) {
        perror(rejects);
        goto out;
    }
    d.deadline_s = timeout;
    d.tick = event_new(d.base, -1, EV_PERSIST, drive_tick, &d);
    struct timeval tv = { 0, 2000 };
    event_add(d.tick, &tv);
    clock_gettime(CLOCK_MONOTONIC, &d.t0);
    event_base_dispatch(d.base);
    double el = drive_now(&d.t0);

    struct ship_es_stats st;
    ship_es_stats_get(d.es, &st);
    printf("{\"docs\":%zu,\"done\":%zu,\"rejected\":%zu,\"duplicates\":%llu,\"retried\":%llu,"
           "\"requests\":%llu,\"request_failures\":%llu,\"templates_put\":%llu,"
           "\"bytes_raw\":%llu,\"bytes_sent\":%llu,\"elapsed\":%.3f,\"docs_per_s\":%.0f,"
           "\"timed_out\":%s}\n",
           d.ndocs, d.final_done, d.final_rejected, (unsigned long long)st.duplicates,
           (unsigned long long)st.retried, (unsigned long long)st.requests,
           (unsigned long long)st.request_failures, (unsigned long long)st.templates_put,
           (unsigned long long)st.bytes_raw, (unsigned long long)st.bytes_sent, el,
           el > 0 ? (double)d.ndocs / el : 0.0, d.timed_out ? "true" : "false");
    if (d.timed_out)
        fprintf(stderr, "es_drive: timed out with %zu pending; last error: %s\n",
                ship_es_pending(d.es), st.last_error);
    rc = d.timed_out ? 2 : 0;
    goto out;
usage:
    fprintf(stderr, "usage: es_drive --url URL --input FILE [--templates DIR] [--index PATTERN]\n"
                    "       [--batch-docs N] [--inflight N] [--no-gzip] [--retry-max MS]\n"
                    "       [--timeout S] [--rejects FILE] [--incidents]\n");
out:
    if (d.rejects)
        fclose(d.rejects);
    if (d.tick)
        event_free(d.tick);
    ship_es_free(d.es);
    for (size_t i = 0; i < d.ndocs; i++)
        free(d.docs[i].line);
    free(d.docs);
    if (d.base)
        event_base_free(d.base);
    return rc;
}
