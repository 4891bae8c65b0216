/* fscan_yara: YARA compile with per-rule recovery, per-thread scanners and
 * rule accessors for EVE (see fscan_yara.h). The only file that includes
 * <yara.h>, so a libyara change stays here.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yara.h>

#include "filescan/fscan_yara.h"
#include "log.h"

#define FSCAN_YARA_MAX_FILES 4096
#define FSCAN_YARA_MAX_ERRS 64

struct fscan_yara {
    YR_RULES *rules;
    size_t nrules;
    _Atomic int refs;
};

struct fscan_yara_scanner {
    struct fscan_yara *y;
    YR_SCANNER *sc;
    struct fscan_yara_result *cur;
};

/* Errors of one compile attempt, collected by the compiler callback. */
struct fscan_yara_ctx {
    const char *path;      /* the file being compiled */
    bool quiet;            /* scratch attempt: collect errors, log nothing */
    int nerr;
    int err_line[FSCAN_YARA_MAX_ERRS];
    char err_msg[FSCAN_YARA_MAX_ERRS][256];
    size_t warnings;
};

static void fscan_yara_compiler_cb(int level, const char *file, int line, const YR_RULE *rule,
                                   const char *msg, void *arg)
{
    struct fscan_yara_ctx *c = arg;

    (void)rule;
    if (level == YARA_ERROR_LEVEL_WARNING) {
        if (!c->quiet) {
            c->warnings++;
            log_info("yara", "%s:%d: warning: %s", file ? file : c->path, line, msg);
        }
        return;
    }
    if (c->nerr < FSCAN_YARA_MAX_ERRS) {
        /* an error inside an included file is reported at its own path but
         * blanking can only act on the file given, so keep line 0 there */
        bool here = file == NULL || strcmp(file, c->path) == 0;
        c->err_line[c->nerr] = here ? line : 0;
        snprintf(c->err_msg[c->nerr], sizeof(c->err_msg[0]), "%s%s%s", here ? "" : file,
                 here ? "" : ": ", msg);
        c->nerr++;
    }
}

/* ---- rule blocks: where each rule starts and ends in the source text ---- */

struct fscan_yara_block {
    size_t start, end;        /* byte range [start, end] */
    int line0, line1;
    char name[128];
};

static bool fscan_yara_word_at(const char *s, size_t i, size_t n, const char *w)
{
    size_t l = strlen(w);

    if (i + l > n || strncmp(s + i, w, l) != 0)
        return false;
    if (i > 0 && (s[i - 1] == '_' || (s[i - 1] >= '0' && s[i - 1] <= '9') ||
                  ((s[i - 1] | 32) >= 'a' && (s[i - 1] | 32) <= 'z')))
        return false;
    return i + l == n || !(s[i + l] == '_' || (s[i + l] >= '0' && s[i + l] <= '9') ||
                           ((s[i + l] | 32) >= 'a' && (s[i + l] | 32) <= 'z'));
}

/* Skip a comment, string or regex at s[i]; returns the index after it (or i
 * when none starts there). Counts newlines into *line. */
static size_t fscan_yara_skip(const char *s, size_t i, size_t n, int *line, char prev)
{
    size_t j;

    if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') {
        for (j = i; j < n && s[j] != '\n'; j++)
            ;
        return j;
    }
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
        for (j = i + 2; j + 1 < n && !(s[j] == '*' && s[j + 1] == '/'); j++)
            if (s[j] == '\n')
                (*line)++;
        return j + 2 <= n ? j + 2 : n;
    }
    if (s[i] == '"' || (s[i] == '/' && (prev == '=' || prev == 's'))) {
        char q = s[i];
        for (j = i + 1; j < n && s[j] != q && s[j] != '\n'; j++)
            if (s[j] == '\\' && j + 1 < n && s[j + 1] != '\n')
                j++;
        return j < n && s[j] == q ? j + 1 : j;
    }
    return i;
}

/* Find the rule blocks of a source text; returns how many (at most max). */
static int fscan_yara_blocks(const char *s, size_t n, struct fscan_yara_block *b, int max)
{
    int nb = 0, line = 1, depth = 0, start_line = 0;
    size_t start = 0;
    bool pending = false, in_rule = false;
    char prev = 0;

    for (size_t i = 0; i < n;) {
        size_t k = fscan_yara_skip(s, i, n, &line, prev);
        if (k != i) {
            prev = '"';
            i = k;
            continue;
        }
        char ch = s[i];
        if (ch == '\n')
            line++;
        if (!in_rule && depth == 0 &&
            (fscan_yara_word_at(s, i, n, "private") || fscan_yara_word_at(s, i, n, "global") ||
             fscan_yara_word_at(s, i, n, "rule"))) {
            if (!pending) {
                pending = true;
                start = i;
                start_line = line;
            }
            if (fscan_yara_word_at(s, i, n, "rule")) {
                in_rule = true;
                if (nb < max) {
                    size_t p = i + 4, q;
                    while (p < n && (s[p] == ' ' || s[p] == '\t'))
                        p++;
                    for (q = p; q < n && q - p < sizeof(b[nb].name) - 1 &&
                                (s[q] == '_' || (s[q] >= '0' && s[q] <= '9') ||
                                 ((s[q] | 32) >= 'a' && (s[q] | 32) <= 'z'));
                         q++)
                        ;
                    memcpy(b[nb].name, s + p, q - p);
                    b[nb].name[q - p] = '\0';
                }
            }
        }
        if (ch == '{') {
            depth++;
        } else if (ch == '}' && depth > 0) {
            if (--depth == 0 && in_rule) {
                if (nb < max) {
                    b[nb].start = start;
                    b[nb].end = i;
                    b[nb].line0 = start_line;
                    b[nb].line1 = line;
                    nb++;
                }
                in_rule = pending = false;
            }
        }
        /* "matches /re/": remember the word's last letter as a regex cue */
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            prev = (ch == 's' && i >= 6 && fscan_yara_word_at(s, i - 6, n, "matches")) ? 's'
                   : ch == 's' ? 'x' : ch;
        i++;
    }
    return nb;
}

/* ---- compile ---- */

static char *fscan_yara_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long sz;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)sz + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)sz, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static void fscan_yara_ns(const char *path, char *ns, size_t cap)
{
    const char *b = strrchr(path, '/');
    char *dot;

    snprintf(ns, cap, "%s", b ? b + 1 : path);
    if ((dot = strrchr(ns, '.')) != NULL && dot != ns)
        *dot = '\0';
}

/* Try the file (or its text) in a scratch compiler. 0 when it compiles. */
static int fscan_yara_try(const char *path, const char *text, const char *ns,
                          struct fscan_yara_ctx *ctx)
{
    YR_COMPILER *c = NULL;
    int errs = 1;

    ctx->nerr = 0;
    ctx->quiet = true;
    if (yr_compiler_create(&c) != ERROR_SUCCESS)
        return -1;
    yr_compiler_set_callback(c, fscan_yara_compiler_cb, ctx);
    if (text == NULL) {
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            errs = yr_compiler_add_file(c, f, ns, path);
            fclose(f);
        } else {
            snprintf(ctx->err_msg[0], sizeof(ctx->err_msg[0]), "cannot open: %m");
            ctx->err_line[0] = 0;
            ctx->nerr = 1;
        }
    } else {
        errs = yr_compiler_add_string(c, text, ns);
    }
    yr_compiler_destroy(c);
    return errs == 0 && ctx->nerr == 0 ? 0 : -1;
}

/* A file that compiles alone: the file itself (text NULL) or its text with
 * the broken rules blanked, and its namespace. */
struct fscan_yara_src {
    const char *path;
    char *text;
    char ns[128];
};

/* Find what of one file compiles, skipping broken rules. 0, or -1 when
 * nothing of it can be loaded (reported). */
static int fscan_yara_prepare(const char *path, const char *ns, struct fscan_yara_ctx *ctx,
                              struct fscan_yara_load_stats *st, struct fscan_yara_src *out)
{
    struct fscan_yara_block blocks[1024];
    char *text = NULL;
    size_t len = 0;
    int nb = 0, rounds = 0;

    ctx->path = path;
    if (fscan_yara_try(path, NULL, ns, ctx) == 0)
        goto add;
    text = fscan_yara_read(path, &len);
    if (text == NULL || ctx->err_line[0] == 0 || ctx->nerr == 0) {
        log_error("yara", "%s: %s; file skipped", path, ctx->nerr ? ctx->err_msg[0] : "cannot read");
        st->files_failed++;
        goto out;
    }
    nb = fscan_yara_blocks(text, len, blocks, 1024);
    while (rounds++ < 1024) {
        int blanked = 0;
        for (int e = 0; e < ctx->nerr; e++) {
            int b;
            for (b = 0; b < nb; b++)
                if (ctx->err_line[e] >= blocks[b].line0 && ctx->err_line[e] <= blocks[b].line1)
                    break;
            if (b == nb) {
                log_error("yara", "%s:%d: %s (outside any rule); file skipped", path,
                          ctx->err_line[e], ctx->err_msg[e]);
                st->files_failed++;
                goto out;
            }
            log_error("yara", "%s:%d: rule %s: %s; rule skipped, the others load", path,
                      ctx->err_line[e], blocks[b].name, ctx->err_msg[e]);
            for (size_t i = blocks[b].start; i <= blocks[b].end; i++)
                if (text[i] != '\n')
                    text[i] = ' ';
            blocks[b].line0 = blocks[b].line1 = -1;
            st->rules_failed++;
            blanked++;
        }
        if (blanked == 0)
            break;
        if (fscan_yara_try(path, text, ns, ctx) == 0)
            goto add;
        if (ctx->nerr == 0 || ctx->err_line[0] == 0) {
            log_error("yara", "%s: %s; file skipped", path, ctx->nerr ? ctx->err_msg[0] : "?");
            st->files_failed++;
            goto out;
        }
    }
    if (rounds >= 1024)
        st->files_failed++;
    goto out;
add:
    out->path = path;
    out->text = text;
    snprintf(out->ns, sizeof(out->ns), "%s", ns);
    return 0;
out:
    free(text);
    return -1;
}

/* Add a prepared file to the real compiler; the number of errors. */
static int fscan_yara_real_add(YR_COMPILER *real, const struct fscan_yara_src *s,
                               struct fscan_yara_ctx *ctx)
{
    int errs = 1;

    ctx->path = s->path;
    ctx->quiet = false;
    ctx->nerr = 0;
    if (s->text == NULL) {
        FILE *f = fopen(s->path, "r");
        if (f != NULL) {
            errs = yr_compiler_add_file(real, f, s->ns, s->path);
            fclose(f);
        }
    } else {
        errs = yr_compiler_add_string(real, s->text, s->ns);
    }
    return errs > 0 || ctx->nerr > 0 ? (errs > 0 ? errs : ctx->nerr) : 0;
}

/* Compile the files into *realp. A file that compiles alone but not with
 * the ones before it (a rule or namespace clash, a global rule) leaves
 * YARA's compiler unusable: it is reported and skipped, and the compiler is
 * rebuilt from the files accepted so far. */
static int fscan_yara_build(YR_COMPILER **realp, char **files, size_t nfiles,
                            struct fscan_yara_ctx *ctx, struct fscan_yara_load_stats *st)
{
    struct fscan_yara_src *ok = calloc(nfiles + 1, sizeof(*ok));
    size_t nok = 0;
    int rc = 0;

    if (ok == NULL)
        return -1;
    for (size_t i = 0; i < nfiles; i++) {
        struct fscan_yara_src s;
        char ns[128], base[100];
        int dup = 1;
        if (files[i] == NULL)
            continue;
        /* one namespace per file, from its name, unique in the set */
        fscan_yara_ns(files[i], base, sizeof(base));
        snprintf(ns, sizeof(ns), "%s", base);
        for (size_t k = 0; k < nok; k++)
            if (strcmp(ok[k].ns, ns) == 0) {
                snprintf(ns, sizeof(ns), "%s_%d", base, ++dup);
                k = (size_t)-1;
            }
        if (fscan_yara_prepare(files[i], ns, ctx, st, &s) != 0)
            continue;
        if (fscan_yara_real_add(*realp, &s, ctx) == 0) {
            ok[nok++] = s;
            continue;
        }
        for (int e = 0; e < ctx->nerr; e++)
            log_error("yara", "%s:%d: %s (with the files loaded before it); file skipped", s.path,
                      ctx->err_line[e], ctx->err_msg[e]);
        st->files_failed++;
        free(s.text);
        yr_compiler_destroy(*realp);
        *realp = NULL;
        if (yr_compiler_create(realp) != ERROR_SUCCESS) {
            rc = -1;
            break;
        }
        yr_compiler_set_callback(*realp, fscan_yara_compiler_cb, ctx);
        for (size_t k = 0; k < nok; k++)
            fscan_yara_real_add(*realp, &ok[k], ctx);
    }
    for (size_t k = 0; k < nok; k++)
        free(ok[k].text);
    free(ok);
    return rc;
}

static int fscan_yara_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand a directory into its .yar and .yara files (recursively, sorted). */
static void fscan_yara_expand(const char *path, char **out, size_t *n, int depth)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;
    size_t first = *n;

    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) || depth > 8) {
        if (*n < FSCAN_YARA_MAX_FILES)
            out[(*n)++] = strdup(path);
        return;
    }
    if ((d = opendir(path)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        char p[4096];
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            fscan_yara_expand(p, out, n, depth + 1);
        else if (((l > 4 && strcasecmp(de->d_name + l - 4, ".yar") == 0) ||
                  (l > 5 && strcasecmp(de->d_name + l - 5, ".yara") == 0)) &&
                 *n < FSCAN_YARA_MAX_FILES)
            out[(*n)++] = strdup(p);
    }
    closedir(d);
    qsort(out + first, *n - first, sizeof(char *), fscan_yara_cmp);
}

struct fscan_yara *fscan_yara_load(const char *const *paths, size_t n,
                                   struct fscan_yara_load_stats *st)
{
    struct fscan_yara_load_stats dummy;
    struct fscan_yara_ctx *ctx = NULL;
    struct fscan_yara *y = NULL;
    YR_COMPILER *real = NULL;
    char **files = NULL;
    size_t nfiles = 0;
    const YR_RULE *rule;

    if (st == NULL)
        st = &dummy;
    memset(st, 0, sizeof(*st));
    if (yr_initialize() != ERROR_SUCCESS) {
        log_error("yara", "libyara cannot start");
        return NULL;
    }
    y = calloc(1, sizeof(*y));
    ctx = calloc(1, sizeof(*ctx));
    files = calloc(FSCAN_YARA_MAX_FILES, sizeof(char *));
    if (y == NULL || ctx == NULL || files == NULL || yr_compiler_create(&real) != ERROR_SUCCESS)
        goto fail;
    atomic_init(&y->refs, 1);
    yr_compiler_set_callback(real, fscan_yara_compiler_cb, ctx);
    for (size_t i = 0; i < n; i++)
        fscan_yara_expand(paths[i], files, &nfiles, 0);
    st->files = nfiles;
    if (fscan_yara_build(&real, files, nfiles, ctx, st) != 0)
        goto fail;
    st->warnings = ctx->warnings;
    if (yr_compiler_get_rules(real, &y->rules) != ERROR_SUCCESS)
        goto fail;
    yr_rules_foreach(y->rules, rule)
        y->nrules++;
    st->rules = y->nrules;
    goto out;
fail:
    log_error("yara", "cannot build the rule set (no memory)");
    if (y != NULL && y->rules == NULL) {
        free(y);
        y = NULL;
        yr_finalize();
    }
out:
    if (real != NULL)
        yr_compiler_destroy(real);
    for (size_t i = 0; files != NULL && i < nfiles; i++)
        free(files[i]);
    free(files);
    free(ctx);
    return y;
}

void fscan_yara_ref(struct fscan_yara *y)
{
    atomic_fetch_add(&y->refs, 1);
}

void fscan_yara_unref(struct fscan_yara *y)
{
    if (y == NULL || atomic_fetch_sub(&y->refs, 1) != 1)
        return;
    if (y->rules != NULL)
        yr_rules_destroy(y->rules);
    free(y);
    yr_finalize();
}

size_t fscan_yara_rule_count(const struct fscan_yara *y)
{
    return y->nrules;
}

/* ---- scanning ---- */

static int fscan_yara_scan_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *arg)
{
    struct fscan_yara_scanner *s = arg;

    (void)ctx;
    if (msg == CALLBACK_MSG_RULE_MATCHING) {
        if (s->cur->n < FSCAN_YARA_MAX_MATCHES)
            s->cur->rule[s->cur->n++] = data;
        else
            s->cur->more++;
    }
    return CALLBACK_CONTINUE;
}

struct fscan_yara_scanner *fscan_yara_scanner_new(struct fscan_yara *y, int timeout_s)
{
    struct fscan_yara_scanner *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    if (yr_scanner_create(y->rules, &s->sc) != ERROR_SUCCESS) {
        log_error("yara", "cannot create a scanner");
        free(s);
        return NULL;
    }
    fscan_yara_ref(y);
    s->y = y;
    yr_scanner_set_callback(s->sc, fscan_yara_scan_cb, s);
    yr_scanner_set_flags(s->sc, SCAN_FLAGS_FAST_MODE);
    if (timeout_s > 0)
        yr_scanner_set_timeout(s->sc, timeout_s);
    return s;
}

void fscan_yara_scanner_free(struct fscan_yara_scanner *s)
{
    if (s == NULL)
        return;
    yr_scanner_destroy(s->sc);
    fscan_yara_unref(s->y);
    free(s);
}

struct fscan_yara *fscan_yara_scanner_rules(const struct fscan_yara_scanner *s)
{
    return s->y;
}

int fscan_yara_scan(struct fscan_yara_scanner *s, const uint8_t *data, size_t len,
                    struct fscan_yara_result *out)
{
    static const uint8_t empty[1];
    int rc;

    memset(out, 0, sizeof(*out));
    s->cur = out;
    rc = yr_scanner_scan_mem(s->sc, data != NULL ? data : empty, len);
    s->cur = NULL;
    if (rc == ERROR_SUCCESS)
        return 0;
    if (rc == ERROR_SCAN_TIMEOUT)
        out->timeout = true;
    else
        out->error = true;
    return -1;
}

/* ---- rule accessors ---- */

const char *fscan_yara_rule_name(const void *rule)
{
    return ((const YR_RULE *)rule)->identifier;
}

const char *fscan_yara_rule_ns(const void *rule)
{
    return ((const YR_RULE *)rule)->ns->name;
}

static const YR_META *fscan_yara_meta(const void *rule, const char *key)
{
    const YR_RULE *r = rule;
    const YR_META *m;

    yr_rule_metas_foreach(r, m) {
        if (strcasecmp(m->identifier, key) == 0)
            return m;
    }
    return NULL;
}

uint32_t fscan_yara_rule_sid(const void *rule)
{
    const YR_META *m = fscan_yara_meta(rule, "sid");
    uint32_t h = 2166136261u;
    const char *p;

    if (m != NULL && m->type == META_TYPE_INTEGER && m->integer > 0 && m->integer < 0x7fffffff)
        return (uint32_t)m->integer;
    for (p = fscan_yara_rule_ns(rule); *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h = (h ^ ':') * 16777619u;
    for (p = fscan_yara_rule_name(rule); *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h % 2147483647u + 1;
}

int fscan_yara_rule_severity(const void *rule)
{
    const YR_META *m = fscan_yara_meta(rule, "severity");

    if (m != NULL && m->type == META_TYPE_INTEGER && m->integer >= 1 && m->integer <= 4)
        return (int)m->integer;
    if (m != NULL && m->type == META_TYPE_STRING) {
        static const char *const names[] = { "critical", "high", "medium", "low", "info" };
        static const int sev[] = { 1, 1, 2, 3, 4 };
        for (size_t i = 0; i < sizeof(sev) / sizeof(sev[0]); i++)
            if (strcasecmp(m->string, names[i]) == 0)
                return sev[i];
        if (m->string[0] >= '1' && m->string[0] <= '4' && m->string[1] == '\0')
            return m->string[0] - '0';
    }
    m = fscan_yara_meta(rule, "score");
    if (m != NULL && m->type == META_TYPE_INTEGER)
        return m->integer >= 75 ? 1 : m->integer >= 50 ? 2 : 3;
    return 2;
}

const char *fscan_yara_rule_description(const void *rule)
{
    const YR_META *m = fscan_yara_meta(rule, "description");

    if (m == NULL)
        m = fscan_yara_meta(rule, "desc");
    return m != NULL && m->type == META_TYPE_STRING ? m->string : NULL;
}

void fscan_yara_rule_json(const void *rule, struct jb *j)
{
    const YR_RULE *r = rule;
    const YR_META *m, *m2;
    const char *tag;

    jb_open_object(j, NULL);
    jb_str(j, "rule", r->identifier);
    jb_str(j, "namespace", r->ns->name);
    jb_open_array(j, "tags");
    yr_rule_tags_foreach(r, tag) {
        jb_str(j, NULL, tag);
    }
    jb_close_array(j);
    jb_open_object(j, "meta");
    yr_rule_metas_foreach(r, m) {
        bool dup = false;
        /* YARA allows a meta key more than once (several "hash" lines):
         * keep the first, so the JSON object has unique keys */
        yr_rule_metas_foreach(r, m2) {
            if (m2 == m)
                break;
            if (strcmp(m2->identifier, m->identifier) == 0)
                dup = true;
        }
        if (dup)
            continue;
        if (m->type == META_TYPE_INTEGER)
            jb_int(j, m->identifier, m->integer);
        else if (m->type == META_TYPE_BOOLEAN)
            jb_bool(j, m->identifier, m->integer != 0);
        else
            jb_str(j, m->identifier, m->string);
    }
    jb_close_object(j);
    jb_close_object(j);
}
