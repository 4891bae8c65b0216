/* ship_es_tmpl: installs the composable index templates (deploy/elasticsearch)
 * before the first bulk request, one step at a time on the loop:
 * GET _index_template/<name>; a PUT when it is missing (404) or its
 * "version" is lower than the file's. A failed step is retried after the
 * shipper's back-off, so a cluster that is down at start only delays it.
 * Bulk requests wait until every template is in place: an index created
 * before its template would get dynamic mappings (src_ip as text).
 */
#include "ship/ship_es_private.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void ship_es_tmpl_free_all(struct ship_es *s)
{
    for (size_t i = 0; i < s->ntmpls; i++) {
        free(s->tmpls[i].name);
        free(s->tmpls[i].body);
    }
    free(s->tmpls);
    s->tmpls = NULL;
    s->ntmpls = s->tmpl_next = 0;
}

static int es_tmpl_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ship_es_tmpl *)a)->name, ((const struct ship_es_tmpl *)b)->name);
}

/* Loads one template file; the name must be usable in a URL path as is. */
static int es_tmpl_load(struct ship_es *s, const char *dir, const char *file)
{
    char path[1024];
    json_error_t jerr;
    size_t n = strlen(file) - 5; /* without ".json" */
    json_t *root = NULL;
    int rc = SHIP_ES_ERR_PARSE;

    for (size_t i = 0; i < n; i++) {
        char c = file[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
            log_error("ship_es", "%s/%s: a template name may use only a-z 0-9 - _ .", dir, file);
            return SHIP_ES_ERR_INVAL;
        }
    }
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    root = json_load_file(path, 0, &jerr);
    if (!json_is_object(root)) {
        log_error("ship_es", "%s:%d:%d: %s", path, jerr.line, jerr.column,
                  root ? "an index template must be a JSON object" : jerr.text);
        goto out;
    }
    if (!json_is_array(json_object_get(root, "index_patterns"))) {
        log_error("ship_es", "%s: no \"index_patterns\" array: not a composable index template", path);
        goto out;
    }
    struct ship_es_tmpl *nt = realloc(s->tmpls, (s->ntmpls + 1) * sizeof(*nt));
    if (!nt) {
        rc = SHIP_ES_ERR_NOMEM;
        goto out;
    }
    s->tmpls = nt;
    struct ship_es_tmpl *t = &s->tmpls[s->ntmpls];
    t->name = strndup(file, n);
    t->body = json_dumps(root, JSON_COMPACT);
    json_t *v = json_object_get(root, "version");
    t->version = json_is_integer(v) ? (long)json_integer_value(v) : -1;
    if (!t->name || !t->body) {
        free(t->name);
        free(t->body);
        rc = SHIP_ES_ERR_NOMEM;
        goto out;
    }
    s->ntmpls++;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int ship_es_install_templates(struct ship_es *s, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (!d) {
        log_error("ship_es", "elasticsearch.templates-dir: %s: %m", dir);
        return SHIP_ES_ERR_NOENT;
    }
    size_t before = s->ntmpls;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        rc = es_tmpl_load(s, dir, de->d_name);
        if (rc != 0)
            break;
    }
    closedir(d);
    if (rc == 0 && s->ntmpls == before) {
        log_error("ship_es", "elasticsearch.templates-dir: %s has no *.json template", dir);
        rc = SHIP_ES_ERR_NOENT;
    }
    if (rc == 0) {
        /* Directory order is arbitrary; install in name order. */
        qsort(s->tmpls + s->tmpl_next, s->ntmpls - s->tmpl_next, sizeof(*s->tmpls), es_tmpl_cmp);
        ship_es_kick(s);
    }
    return rc;
}

static void es_tmpl_start(struct ship_es *s, enum ship_es_req_kind kind)
{
    struct ship_es_tmpl *t = &s->tmpls[s->tmpl_next];
    struct ship_es_req *r = calloc(1, sizeof(*r));
    char path[512];
    int rc = SHIP_ES_ERR_NOMEM;

    if (!r)
        goto out;
    r->kind = kind;
    r->tmpl = s->tmpl_next;
    snprintf(path, sizeof(path), "/_index_template/%s", t->name);
    if (kind == SHIP_ES_REQ_TMPL_PUT) {
        r->body_len = strlen(t->body);
        r->body = malloc(r->body_len + 1);
        if (!r->body)
            goto out;
        memcpy(r->body, t->body, r->body_len + 1);
    }
    rc = ship_es_curl_start(s, r, kind == SHIP_ES_REQ_TMPL_PUT ? "PUT" : "GET", path,
                            kind == SHIP_ES_REQ_TMPL_PUT ? "application/json" : NULL, false);
out:
    if (rc != 0) {
        ship_es_req_free(r);
        ship_es_note_error(s, "cannot start an index template request");
        ship_es_backoff(s);
        return;
    }
    s->tmpl_busy = true;
}

void ship_es_tmpl_step(struct ship_es *s)
{
    if (s->tmpl_busy || s->backoff_active || s->tmpl_next >= s->ntmpls)
        return;
    es_tmpl_start(s, SHIP_ES_REQ_TMPL_GET);
}

/* The installed version of the template in a GET answer; -1 when none. */
static long es_tmpl_installed_version(const char *resp, size_t len)
{
    json_t *root = json_loadb(resp ? resp : "", len, 0, NULL);
    json_t *list = json_object_get(root, "index_templates");
    json_t *v = json_object_get(json_object_get(json_array_get(list, 0), "index_template"),
                                "version");
    long ver = json_is_integer(v) ? (long)json_integer_value(v) : -1;
    json_decref(root);
    return ver;
}

void ship_es_tmpl_done(struct ship_es *s, struct ship_es_req *r, CURLcode rc, long status)
{
    struct ship_es_tmpl *t = &s->tmpls[r->tmpl];
    char what[512];

    s->tmpl_busy = false;
    if (rc != CURLE_OK) {
        snprintf(what, sizeof(what), "index template %s: %s", t->name,
                 r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
        goto fail;
    }
    if (r->kind == SHIP_ES_REQ_TMPL_GET) {
        if (status == 404) {
            es_tmpl_start(s, SHIP_ES_REQ_TMPL_PUT);
            return;
        }
        if (status == 200) {
            long have = es_tmpl_installed_version(r->resp, r->resp_len);
            if (t->version >= 0 && have < t->version) {
                log_notice("ship_es", "index template %s: version %ld installed, upgrading to %ld",
                           t->name, have, t->version);
                es_tmpl_start(s, SHIP_ES_REQ_TMPL_PUT);
                return;
            }
            log_info("ship_es", "index template %s: present (version %ld)", t->name, have);
            s->tmpl_next++;
            ship_es_backoff_reset(s);
            return;
        }
    } else if (status == 200) {
        log_notice("ship_es", "index template %s: installed (version %ld)", t->name, t->version);
        s->st.templates_put++;
        s->tmpl_next++;
        ship_es_backoff_reset(s);
        return;
    }
    snprintf(what, sizeof(what), "index template %s: HTTP %ld on %s: %.300s", t->name, status,
             r->kind == SHIP_ES_REQ_TMPL_PUT ? "PUT" : "GET", r->resp ? r->resp : "");
    /* A 400 on PUT is the template's own fault: say so loudly, every time. */
    if (r->kind == SHIP_ES_REQ_TMPL_PUT && status == 400)
        log_error("ship_es", "%s", what);
fail:
    s->st.request_failures++;
    ship_es_note_error(s, what);
    ship_es_backoff(s);
}
