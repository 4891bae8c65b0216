/* fscan_yara: YARA compile with per-rule recovery, the stream-head set (the
 * same sources, includes expanded, imports left out), per-thread scanners
 * and rule accessors for EVE (see fscan_yara.h). The only file that
 * includes <yara.h>, so a libyara change stays here.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yara.h>

#include "filescan/fscan_yara.h"
#include "filescan/fscan_ytext.h"
#include "log.h"

/* errors kept per compile attempt; more take more rounds (the head set of
 * the corpus rules drops 26 rules that need a module; +0.12 s at start) */
#define FSCAN_YARA_MAX_ERRS 256

struct fscan_yara {
    YR_RULES *rules;
    size_t nrules;
    YR_RULES *heads;           /* stream-head set, NULL when not built */
    size_t nheads;
    _Atomic int refs;
};

struct fscan_yara_scanner {
    struct fscan_yara *y;
    YR_SCANNER *sc;
    YR_SCANNER *hsc;           /* on the head set; NULL when it is empty */
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

/* ---- compile ---- */

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

/* Find what of one source compiles, skipping broken rules. text: the
 * source (owned; NULL: the file at path). quiet (the head set): nothing is
 * logged or counted, and a broken global rule drops the whole source, as
 * the rules of its namespace would otherwise match more widely than in the
 * file set. 0 (out filled), or -1 when nothing of it can be loaded. */
static int fscan_yara_prepare(const char *path, char *text, const char *ns, bool quiet,
                              struct fscan_yara_ctx *ctx, struct fscan_yara_load_stats *st,
                              struct fscan_yara_src *out)
{
    struct fscan_ytext_block *blocks = NULL;
    size_t len = text != NULL ? strlen(text) : 0;
    int nb = 0, rounds = 0;

    ctx->path = path;
    if (fscan_yara_try(path, text, ns, ctx) == 0)
        goto add;
    if (text == NULL)
        text = fscan_ytext_read(path, &len);
    if (text == NULL || ctx->nerr == 0 || ctx->err_line[0] == 0) {
        if (!quiet) {
            log_error("yara", "%s: %s; file skipped", path,
                      ctx->nerr ? ctx->err_msg[0] : "cannot read");
            st->files_failed++;
        }
        goto out;
    }
    nb = fscan_ytext_blocks(text, len, NULL, 0);
    if ((blocks = calloc((size_t)nb + 1, sizeof(*blocks))) == NULL) {
        if (!quiet)
            st->files_failed++;
        goto out;
    }
    nb = fscan_ytext_blocks(text, len, blocks, nb);
    while (rounds++ < 1024) {
        int blanked = 0;
        for (int e = 0; e < ctx->nerr; e++) {
            int b;
            for (b = 0; b < nb; b++)
                if (ctx->err_line[e] >= blocks[b].line0 && ctx->err_line[e] <= blocks[b].line1)
                    break;
            if (b == nb || (quiet && blocks[b].global)) {
                if (!quiet) {
                    log_error("yara", "%s:%d: %s (outside any rule); file skipped", path,
                              ctx->err_line[e], ctx->err_msg[e]);
                    st->files_failed++;
                }
                goto out;
            }
            if (!quiet) {
                log_error("yara", "%s:%d: rule %s: %s; rule skipped, the others load", path,
                          ctx->err_line[e], blocks[b].name, ctx->err_msg[e]);
                st->rules_failed++;
            }
            for (size_t i = blocks[b].start; i <= blocks[b].end; i++)
                if (text[i] != '\n')
                    text[i] = ' ';
            blocks[b].line0 = blocks[b].line1 = -1;
            blanked++;
        }
        if (blanked == 0)
            break;
        if (fscan_yara_try(path, text, ns, ctx) == 0)
            goto add;
        if (ctx->nerr == 0 || ctx->err_line[0] == 0) {
            if (!quiet) {
                log_error("yara", "%s: %s; file skipped", path, ctx->nerr ? ctx->err_msg[0] : "?");
                st->files_failed++;
            }
            goto out;
        }
    }
    if (rounds >= 1024 && !quiet)
        st->files_failed++;
    goto out;
add:
    out->path = path;
    out->text = text;
    snprintf(out->ns, sizeof(out->ns), "%s", ns);
    free(blocks);
    return 0;
out:
    free(blocks);
    free(text);
    return -1;
}

/* Add a prepared source to the real compiler; the number of errors.
 * quiet: the head set (its warnings repeat the file set's). */
static int fscan_yara_real_add(YR_COMPILER *real, const struct fscan_yara_src *s, bool quiet,
                               struct fscan_yara_ctx *ctx)
{
    int errs = 1;

    ctx->path = s->path;
    ctx->quiet = quiet;
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

/* After a source did not compile with the ones before it, which leaves
 * YARA's compiler unusable: a new one with the sources accepted so far.
 * 0, or -1 (*realp NULL) when no compiler can be made. */
static int fscan_yara_rebuild(YR_COMPILER **realp, const struct fscan_yara_src *ok, size_t nok,
                              bool quiet, struct fscan_yara_ctx *ctx)
{
    yr_compiler_destroy(*realp);
    *realp = NULL;
    if (yr_compiler_create(realp) != ERROR_SUCCESS) {
        *realp = NULL;
        return -1;
    }
    yr_compiler_set_callback(*realp, fscan_yara_compiler_cb, ctx);
    for (size_t k = 0; k < nok; k++)
        fscan_yara_real_add(*realp, &ok[k], quiet, ctx);
    return 0;
}

/* Compile the files into *realp. A file that compiles alone but not with
 * the ones before it (a rule or namespace clash, a global rule) is
 * reported and skipped. The sources that made it are left in *okp (*nokp
 * of them; the caller frees their text and the array). */
static int fscan_yara_build(YR_COMPILER **realp, char **files, size_t nfiles,
                            struct fscan_yara_ctx *ctx, struct fscan_yara_load_stats *st,
                            struct fscan_yara_src **okp, size_t *nokp)
{
    struct fscan_yara_src *ok = calloc(nfiles + 1, sizeof(*ok));
    size_t nok = 0;
    int rc = 0;

    *okp = ok;
    *nokp = 0;
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
        if (fscan_yara_prepare(files[i], NULL, ns, false, ctx, st, &s) != 0)
            continue;
        if (fscan_yara_real_add(*realp, &s, false, ctx) == 0) {
            ok[nok++] = s;
            continue;
        }
        for (int e = 0; e < ctx->nerr; e++)
            log_error("yara", "%s:%d: %s (with the files loaded before it); file skipped", s.path,
                      ctx->err_line[e], ctx->err_msg[e]);
        st->files_failed++;
        free(s.text);
        if ((rc = fscan_yara_rebuild(realp, ok, nok, false, ctx)) != 0)
            break;
    }
    *nokp = nok;
    return rc;
}

/* ---- compact ---- */

/* A rule set straight from the compiler keeps the compiler's arena: ~12 MB
 * of buffers even for our 8 rules. Saved and loaded back (as yarac and
 * `yara -C` do) it takes what it needs (~0.2 MB for the same rules). On any
 * failure the set is kept as it is. */
struct fscan_yara_mstream {
    uint8_t *p;
    size_t len, cap, off;
    bool nomem;
};

static size_t fscan_yara_mwrite(const void *ptr, size_t size, size_t count, void *arg)
{
    struct fscan_yara_mstream *m = arg;
    size_t n = size * count;

    if (m->nomem)
        return 0;
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + n)
            cap *= 2;
        uint8_t *p = realloc(m->p, cap);
        if (p == NULL) {
            m->nomem = true;
            return 0;
        }
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, ptr, n);
    m->len += n;
    return count;
}

static size_t fscan_yara_mread(void *ptr, size_t size, size_t count, void *arg)
{
    struct fscan_yara_mstream *m = arg;
    size_t n = size * count;

    if (n > m->len - m->off)
        return 0;
    memcpy(ptr, m->p + m->off, n);
    m->off += n;
    return count;
}

static YR_RULES *fscan_yara_compact(YR_RULES *rules)
{
    struct fscan_yara_mstream m = { 0 };
    YR_STREAM st = { &m, fscan_yara_mread, fscan_yara_mwrite };
    YR_RULES *out = NULL;

    if (yr_rules_save_stream(rules, &st) == ERROR_SUCCESS && !m.nomem &&
        yr_rules_load_stream(&st, &out) == ERROR_SUCCESS) {
        yr_rules_destroy(rules);
        rules = out;
    }
    free(m.p);
    return rules;
}

/* ---- the stream-head set ---- */

/* Compile the head set from the sources of the file set: each flattened
 * without imports, its rules that need a module (or a rule dropped before)
 * left out, quietly. NULL on no memory. */
static YR_RULES *fscan_yara_build_heads(const struct fscan_yara_src *src, size_t nsrc,
                                        struct fscan_yara_ctx *ctx,
                                        struct fscan_yara_load_stats *st)
{
    struct fscan_yara_load_stats sink;
    struct fscan_yara_src *ok = calloc(nsrc + 1, sizeof(*ok));
    YR_COMPILER *c = NULL;
    YR_RULES *rules = NULL;
    size_t nok = 0;

    if (ok == NULL || yr_compiler_create(&c) != ERROR_SUCCESS) {
        c = NULL;
        goto out;
    }
    yr_compiler_set_callback(c, fscan_yara_compiler_cb, ctx);
    for (size_t i = 0; i < nsrc; i++) {
                struct fscan_yara_src s;
        char *flat = fscan_ytext_flatten(src[i].path, src[i].text, st->modules,
                                         sizeof(st->modules));
        if (flat == NULL)
            continue;
        if (fscan_yara_prepare(src[i].path, flat, src[i].ns, true, ctx, &sink, &s) != 0)
            continue;
        if (fscan_yara_real_add(c, &s, true, ctx) == 0) {
            ok[nok++] = s;
            continue;
        }
        free(s.text);
        if (fscan_yara_rebuild(&c, ok, nok, true, ctx) != 0)
            goto out;
    }
    if (yr_compiler_get_rules(c, &rules) != ERROR_SUCCESS)
        rules = NULL;
    else
        rules = fscan_yara_compact(rules);
out:
    if (c != NULL)
        yr_compiler_destroy(c);
    for (size_t k = 0; k < nok; k++)
        free(ok[k].text);
    free(ok);
    return rules;
}

struct fscan_yara *fscan_yara_load(const char *const *paths, size_t n,
                                   struct fscan_yara_load_stats *st)
{
    return fscan_yara_load_sets(paths, n, false, st);
}

struct fscan_yara *fscan_yara_load_sets(const char *const *paths, size_t n, bool heads,
                                        struct fscan_yara_load_stats *st)
{
    struct fscan_yara_load_stats dummy;
    struct fscan_yara_ctx *ctx = NULL;
    struct fscan_yara *y = NULL;
    struct fscan_yara_src *ok = NULL;
    YR_COMPILER *real = NULL;
    char **files = NULL;
    size_t nfiles = 0, nok = 0;
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
    files = calloc(FSCAN_YTEXT_MAX_FILES, sizeof(char *));
    if (y == NULL || ctx == NULL || files == NULL || yr_compiler_create(&real) != ERROR_SUCCESS)
        goto fail;
    atomic_init(&y->refs, 1);
    yr_compiler_set_callback(real, fscan_yara_compiler_cb, ctx);
    for (size_t i = 0; i < n; i++)
        fscan_ytext_expand(paths[i], files, &nfiles, 0);
    st->files = nfiles;
    if (fscan_yara_build(&real, files, nfiles, ctx, st, &ok, &nok) != 0)
        goto fail;
    st->warnings = ctx->warnings;
    if (yr_compiler_get_rules(real, &y->rules) != ERROR_SUCCESS)
        goto fail;
    y->rules = fscan_yara_compact(y->rules);
    yr_rules_foreach(y->rules, rule)
        y->nrules++;
    st->rules = y->nrules;
    if (heads) {
        /* a head set that cannot be built costs the heads, not the files */
        if ((y->heads = fscan_yara_build_heads(ok, nok, ctx, st)) == NULL)
            log_error("yara", "cannot build the stream-head rule set (no memory); heads not scanned");
        else
            yr_rules_foreach(y->heads, rule)
                y->nheads++;
        st->heads = true;
        st->head_rules = y->nheads;
    }
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
    for (size_t k = 0; k < nok; k++)
        free(ok[k].text);
    free(ok);
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
    if (y->heads != NULL)
        yr_rules_destroy(y->heads);
    free(y);
    yr_finalize();
}

size_t fscan_yara_rule_count(const struct fscan_yara *y)
{
    return y->nrules;
}

size_t fscan_yara_head_rule_count(const struct fscan_yara *y)
{
    return y->nheads;
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

static YR_SCANNER *fscan_yara_yr_scanner(YR_RULES *rules, struct fscan_yara_scanner *s,
                                         int timeout_s)
{
    YR_SCANNER *sc = NULL;

    if (yr_scanner_create(rules, &sc) != ERROR_SUCCESS) {
        log_error("yara", "cannot create a scanner");
        return NULL;
    }
    yr_scanner_set_callback(sc, fscan_yara_scan_cb, s);
    yr_scanner_set_flags(sc, SCAN_FLAGS_FAST_MODE);
    if (timeout_s > 0)
        yr_scanner_set_timeout(sc, timeout_s);
    return sc;
}

struct fscan_yara_scanner *fscan_yara_scanner_new(struct fscan_yara *y, int timeout_s)
{
    struct fscan_yara_scanner *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    if ((s->sc = fscan_yara_yr_scanner(y->rules, s, timeout_s)) == NULL ||
        (y->nheads > 0 && (s->hsc = fscan_yara_yr_scanner(y->heads, s, timeout_s)) == NULL)) {
        if (s->sc != NULL)
            yr_scanner_destroy(s->sc);
        free(s);
        return NULL;
    }
    fscan_yara_ref(y);
    s->y = y;
    return s;
}

void fscan_yara_scanner_free(struct fscan_yara_scanner *s)
{
    if (s == NULL)
        return;
    yr_scanner_destroy(s->sc);
    if (s->hsc != NULL)
        yr_scanner_destroy(s->hsc);
    fscan_yara_unref(s->y);
    free(s);
}

struct fscan_yara *fscan_yara_scanner_rules(const struct fscan_yara_scanner *s)
{
    return s->y;
}

static int fscan_yara_scan_with(struct fscan_yara_scanner *s, YR_SCANNER *sc,
                                const uint8_t *data, size_t len, struct fscan_yara_result *out)
{
    static const uint8_t empty[1];
    int rc;

    memset(out, 0, sizeof(*out));
    if (sc == NULL)
        return 0;
    s->cur = out;
    rc = yr_scanner_scan_mem(sc, data != NULL ? data : empty, len);
    s->cur = NULL;
    if (rc == ERROR_SUCCESS)
        return 0;
    if (rc == ERROR_SCAN_TIMEOUT)
        out->timeout = true;
    else
        out->error = true;
    return -1;
}

int fscan_yara_scan(struct fscan_yara_scanner *s, const uint8_t *data, size_t len,
                    struct fscan_yara_result *out)
{
    return fscan_yara_scan_with(s, s->sc, data, len, out);
}

int fscan_yara_scan_head(struct fscan_yara_scanner *s, const uint8_t *data, size_t len,
                         struct fscan_yara_result *out)
{
    return fscan_yara_scan_with(s, s->hsc, data, len, out);
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

uint64_t fscan_yara_rule_key(const void *rule)
{
    uint64_t h = 14695981039346656037ull;
    const char *p;

    for (p = fscan_yara_rule_ns(rule); *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    h = (h ^ ':') * 1099511628211ull;
    for (p = fscan_yara_rule_name(rule); *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return h != 0 ? h : 1;
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
