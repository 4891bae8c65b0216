/* portal_static: the portal's files at / (index.html, app.js, app.css,
 * i18n/ JSON, fonts). A request path is percent-decoded once and must be
 * components of [A-Za-z0-9._-] that are neither "." nor ".." nor hidden;
 * the opened file must resolve (realpath) inside the static root and be a
 * regular file, so no spelling of "..", no symlink and no NUL escapes it.
 * Paths without an extension that name no file get index.html (the page's
 * own routes). ETag (mtime-size) revalidation; every answer carries the
 * security headers (ing_http_secure_headers).
 */
#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "portal/portal_private.h"

#define PORTAL_STATIC_PATH_MAX 256

static const struct {
    const char *ext, *type, *cache;
} portal_static_types[] = {
    { ".html", "text/html; charset=utf-8", "no-cache" },
    { ".js", "text/javascript; charset=utf-8", "no-cache" },
    { ".mjs", "text/javascript; charset=utf-8", "no-cache" },
    { ".css", "text/css; charset=utf-8", "no-cache" },
    { ".json", "application/json; charset=utf-8", "no-cache" },
    { ".svg", "image/svg+xml", "public, max-age=86400" },
    { ".png", "image/png", "public, max-age=86400" },
    { ".ico", "image/x-icon", "public, max-age=86400" },
    { ".woff2", "font/woff2", "public, max-age=604800" },
    { ".woff", "font/woff", "public, max-age=604800" },
    { ".ttf", "font/ttf", "public, max-age=604800" },
    { ".txt", "text/plain; charset=utf-8", "no-cache" },
};

int portal_static_init(struct portal *p)
{
    if (!realpath(p->cfg.static_dir, p->root)) {
        log_warning("portal", "%s: portal files not found (%s); / answers 404 (set "
                    "portal.static-dir)", p->cfg.static_dir, strerror(errno));
        p->root[0] = '\0';
        return -1;
    }
    log_info("portal", "serving portal files from %s", p->root);
    return 0;
}

/* 0 when every component of rel is a safe name. */
static int portal_static_safe(const char *rel)
{
    const char *c = rel;
    while (*c) {
        size_t n = strcspn(c, "/");
        if (n == 0 || c[0] == '.')
            return -1; /* empty component, ".", "..", hidden files */
        for (size_t i = 0; i < n; i++) {
            char ch = c[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
                return -1;
        }
        c += n;
        if (*c == '/')
            c++;
    }
    return 0;
}

/* Open root/rel as a regular file inside root; fd or -1. */
static int portal_static_open(const struct portal *p, const char *rel, struct stat *st)
{
    char full[PATH_MAX], real[PATH_MAX];
    if ((size_t)snprintf(full, sizeof full, "%s/%s", p->root, rel) >= sizeof full)
        return -1;
    if (!realpath(full, real))
        return -1;
    size_t rl = strlen(p->root);
    if (strncmp(real, p->root, rl) != 0 || real[rl] != '/')
        return -1;
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

void portal_static_serve(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    char *dec = NULL;
    int fd = -1;
    if (!p->root[0]) {
        ing_http_error(r, 404, "the portal is not installed here (portal.static-dir)", 0);
        goto out;
    }
    size_t len = 0;
    dec = evhttp_uridecode(r->path, 0, &len);
    if (!dec || len != strlen(dec) || len > PORTAL_STATIC_PATH_MAX || dec[0] != '/') {
        ing_http_error(r, 404, "no such file", 0);
        goto out;
    }
    const char *rel = dec[1] ? dec + 1 : "index.html";
    if (portal_static_safe(rel) != 0) {
        log_notice("portal", "req %llu %s: refused path %s", (unsigned long long)r->req_id,
                   r->peer, r->path);
        ing_http_error(r, 404, "no such file", 0);
        goto out;
    }
    struct stat st;
    fd = portal_static_open(p, rel, &st);
    const char *last = strrchr(rel, '/');
    if (fd < 0 && !strchr(last ? last : rel, '.')) {
        rel = "index.html";
        fd = portal_static_open(p, rel, &st);
    }
    if (fd < 0) {
        ing_http_error(r, 404, "no such file", 0);
        goto out;
    }
    const char *type = "application/octet-stream", *cache = "no-cache";
    const char *dot = strrchr(rel, '.');
    for (size_t i = 0; dot && i < sizeof portal_static_types / sizeof *portal_static_types; i++)
        if (strcmp(dot, portal_static_types[i].ext) == 0) {
            type = portal_static_types[i].type;
            cache = portal_static_types[i].cache;
        }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_mtime,
             (unsigned long long)st.st_size);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(r->req);
    ing_http_secure_headers(r);
    evhttp_add_header(hdr, "Cache-Control", cache);
    evhttp_add_header(hdr, "ETag", etag);
    const char *inm = ing_http_header(r, "If-None-Match");
    if (inm && strcmp(inm, etag) == 0) {
        evhttp_send_reply(r->req, 304, "Not Modified", NULL);
        goto out;
    }
    evhttp_add_header(hdr, "Content-Type", type);
    struct evbuffer *buf = evbuffer_new();
    if (!buf) {
        ing_http_error(r, 500, "out of memory", 0);
        goto out;
    }
    /* The buffer owns fd from here, also when adding fails. */
    int added = evbuffer_add_file(buf, fd, 0, st.st_size);
    fd = -1;
    if (added != 0) {
        evbuffer_free(buf);
        ing_http_error(r, 500, "cannot read the file", 0);
        goto out;
    }
    evhttp_send_reply(r->req, 200, "OK", buf);
    evbuffer_free(buf);
out:
    if (fd >= 0)
        close(fd);
    free(dec);
}
