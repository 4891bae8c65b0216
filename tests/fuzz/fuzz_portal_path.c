/* fuzz_portal_path: the portal's static file server
 * (portal/portal_static.c) on arbitrary request paths, against a real root
 * directory made once in /tmp: a few files, a subdirectory, a symlink that
 * points outside, and a secret file next to the root. Checks, abort() on
 * failure: a path portal_static_safe() accepts has no "." or ".."
 * component, no NUL, no backslash, no empty component; every file the
 * server opens is a canonical path under the root and never the secret;
 * every request is answered exactly once. The module is #included so that
 * open() can be watched and the static checker called directly.
 */
#include <fcntl.h>
#include <stdarg.h>

static int fuzz_path_open(const char *path, int flags, ...);
#define open fuzz_path_open
#include "portal/portal_static.c"
#undef open

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* evhttp_send_reply is wrapped at link time (-Wl,--wrap) to count answers. */
void __real_evhttp_send_reply(struct evhttp_request *req, int code, const char *reason,
                              struct evbuffer *databuf);
void __wrap_evhttp_send_reply(struct evhttp_request *req, int code, const char *reason,
                              struct evbuffer *databuf);

static char fuzz_path_root[PATH_MAX];
static struct stat fuzz_path_secret;
static int fuzz_path_answers, fuzz_path_code;

void __wrap_evhttp_send_reply(struct evhttp_request *req, int code, const char *reason,
                              struct evbuffer *databuf)
{
    fuzz_path_answers++;
    fuzz_path_code = code;
    __real_evhttp_send_reply(req, code, reason, databuf);
}

static int fuzz_path_open(const char *path, int flags, ...)
{
    size_t rl = strlen(fuzz_path_root);
    if (strncmp(path, fuzz_path_root, rl) != 0 || path[rl] != '/' || strstr(path, "/../") ||
        strstr(path, "/./") || strstr(path, "//") || strchr(path, '\\'))
        abort();
    int fd = open(path, flags);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == fuzz_path_secret.st_dev &&
        st.st_ino == fuzz_path_secret.st_ino)
        abort();
    return fd;
}

/* dir/name into out (PATH_MAX); aborts when it does not fit. */
static void fuzz_path_join(char *out, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        abort();
}

static void fuzz_path_write(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX];
    fuzz_path_join(p, dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static char fuzz_path_top[PATH_MAX];

/* Remove what fuzz_path_setup made (at exit). */
static void fuzz_path_cleanup(void)
{
    static const char *const names[] = { "root/leak.txt", "root/i18n/vi.json", "root/i18n",
                                         "root/sub", "root/app.js", "root/index.html", "root",
                                         "secret.txt", "" };
    char p[PATH_MAX];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        fuzz_path_join(p, fuzz_path_top, names[i]);
        if (remove(p) != 0 && i + 1 == sizeof names / sizeof *names)
            rmdir(fuzz_path_top);
    }
}

/* /tmp/canh-fuzz-portal-XXXXXX/{secret.txt, root/{index.html, app.js,
 * i18n/vi.json, leak.txt -> ../secret.txt, sub/}} */
static void fuzz_path_setup(void)
{
    char top[] = "/tmp/canh-fuzz-portal-XXXXXX", p[PATH_MAX];
    if (!mkdtemp(top))
        abort();
    memcpy(fuzz_path_top, top, sizeof top);
    atexit(fuzz_path_cleanup);
    fuzz_path_write(top, "secret.txt", "password=hunter2\n");
    fuzz_path_join(p, top, "secret.txt");
    if (stat(p, &fuzz_path_secret) != 0)
        abort();
    fuzz_path_join(p, top, "root");
    if (mkdir(p, 0755) != 0 || !realpath(p, fuzz_path_root))
        abort();
    fuzz_path_write(fuzz_path_root, "index.html", "<!doctype html><title>Canh</title>\n");
    fuzz_path_write(fuzz_path_root, "app.js", "'use strict';\n");
    fuzz_path_join(p, fuzz_path_root, "i18n");
    if (mkdir(p, 0755) != 0)
        abort();
    fuzz_path_write(p, "vi.json", "{\"title\": \"Canh\"}\n");
    fuzz_path_join(p, fuzz_path_root, "sub");
    if (mkdir(p, 0755) != 0)
        abort();
    fuzz_path_join(p, fuzz_path_root, "leak.txt");
    if (symlink("../secret.txt", p) != 0)
        abort();
}

/* What portal_static_safe accepts must hold no way out of the root. */
static void fuzz_path_check_safe(const char *rel)
{
    if (portal_static_safe(rel) != 0)
        return;
    if (rel[0] == '/' || strchr(rel, '\\'))
        abort();
    const char *c = rel;
    while (*c) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            abort();
        c += n;
        if (*c == '/')
            c++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct portal p;
    if (!fuzz_path_root[0]) {
        log_set_level(LOG_LVL_NONE);
        fuzz_path_setup();
        memcpy(p.root, fuzz_path_root, sizeof p.root);
    }
    char path[1024];
    if (size >= sizeof path)
        return 0;
    memcpy(path, data, size);
    path[size] = '\0';

    /* the checker on the decoded path, as portal_static_serve calls it */
    size_t len = 0;
    char *dec = evhttp_uridecode(path, 0, &len);
    if (dec && len == strlen(dec) && dec[0] == '/')
        fuzz_path_check_safe(dec[1] ? dec + 1 : "index.html");
    free(dec);
    fuzz_path_check_safe(path);

    /* the whole request */
    struct ing_req r;
    memset(&r, 0, sizeof r);
    r.req = evhttp_request_new(NULL, NULL);
    if (!r.req)
        abort();
    r.method = EVHTTP_REQ_GET;
    r.path = path;
    r.peer = "192.0.2.1";
    fuzz_path_answers = 0;
    portal_static_serve(&r, &p);
    if (fuzz_path_answers != 1)
        abort();
    if (fuzz_path_code != 200 && fuzz_path_code != 304 && fuzz_path_code != 404)
        abort();
    return 0;
}
