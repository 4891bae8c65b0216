/* fscan_hashlist: file-hash rules and their lists (see fscan_hashlist.h).
 * A list is read once however many rules name it, sorted, and searched with
 * bsearch; digests are stored binary (16, 20 or 32 bytes).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filescan/fscan_hashlist.h"
#include "log.h"

enum fscan_hl_kind { FSCAN_HL_MD5 = 0, FSCAN_HL_SHA1, FSCAN_HL_SHA256 };
static const size_t fscan_hl_len[] = { 16, 20, 32 };
static const char *const fscan_hl_kw[] = { "filemd5", "filesha1", "filesha256" };

struct fscan_hl_list {
    char path[2048];
    enum fscan_hl_kind kind;
    uint8_t *hashes;       /* n * fscan_hl_len[kind] bytes, sorted */
    size_t n;
};

struct fscan_hl_rule {
    struct fscan_hashlist_rule info;
    int list[3];           /* per kind: index in lists, -1 when not used */
    bool negate[3];
};

struct fscan_hashlist {
    struct fscan_hl_list *lists;
    size_t nlists;
    struct fscan_hl_rule *rules;
    size_t nrules;
    char **strings;        /* owned copies of msg/classtype/metadata */
    size_t nstrings;
};

static size_t fscan_hl_cur_len;

static int fscan_hl_cmp(const void *a, const void *b)
{
    return memcmp(a, b, fscan_hl_cur_len);
}

static int fscan_hl_hex(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = isxdigit((unsigned char)s[2 * i]), lo = isxdigit((unsigned char)s[2 * i + 1]);
        if (!hi || !lo)
            return -1;
        char b[3] = { s[2 * i], s[2 * i + 1], 0 };
        out[i] = (uint8_t)strtoul(b, NULL, 16);
    }
    return 0;
}

/* Read a list file; returns its index or -1 (logged). */
static int fscan_hl_list(struct fscan_hashlist *h, const char *path, enum fscan_hl_kind kind,
                         struct fscan_hashlist_stats *st)
{
    size_t hl = fscan_hl_len[kind], cap = 0, lineno = 0;
    struct fscan_hl_list *l, *nl;
    char line[1024];
    FILE *f;

    for (size_t i = 0; i < h->nlists; i++)
        if (h->lists[i].kind == kind && strcmp(h->lists[i].path, path) == 0)
            return (int)i;
    if ((f = fopen(path, "r")) == NULL) {
        log_error("rules", "%s: cannot open the %s list: %m", path, fscan_hl_kw[kind]);
        return -1;
    }
    nl = realloc(h->lists, (h->nlists + 1) * sizeof(*h->lists));
    if (nl == NULL) {
        fclose(f);
        return -1;
    }
    h->lists = nl;
    l = &h->lists[h->nlists];
    memset(l, 0, sizeof(*l));
    snprintf(l->path, sizeof(l->path), "%s", path);
    l->kind = kind;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = line;
        size_t tl;
        lineno++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
            continue;
        tl = strcspn(p, " \t\r\n,;");
        if (tl != 2 * hl) {
            if (st->bad_lines++ < 10)
                log_warning("rules", "%s:%zu: not a %s digest (%zu hex digits expected); line skipped",
                            path, lineno, fscan_hl_kw[kind] + 4, 2 * hl);
            continue;
        }
        if (l->n == cap) {
            uint8_t *nh = realloc(l->hashes, (cap ? cap * 2 : 256) * hl);
            if (nh == NULL)
                break;
            l->hashes = nh;
            cap = cap ? cap * 2 : 256;
        }
        if (fscan_hl_hex(p, hl, l->hashes + l->n * hl) != 0) {
            if (st->bad_lines++ < 10)
                log_warning("rules", "%s:%zu: not hexadecimal; line skipped", path, lineno);
            continue;
        }
        l->n++;
    }
    fclose(f);
    fscan_hl_cur_len = hl;
    if (l->n > 1)
        qsort(l->hashes, l->n, hl, fscan_hl_cmp);
    st->lists++;
    st->hashes += l->n;
    log_info("rules", "%s: %zu %s digests", path, l->n, fscan_hl_kw[kind] + 4);
    return (int)h->nlists++;
}

bool fscan_hashlist_is_file_rule(const char *line)
{
    for (int k = 0; k < 3; k++) {
        const char *p = line;
        size_t kl = strlen(fscan_hl_kw[k]);
        while ((p = strstr(p, fscan_hl_kw[k])) != NULL) {
            const char *q = p + kl;
            bool start = p == line || p[-1] == ';' || p[-1] == ' ' || p[-1] == '(' || p[-1] == '\t';
            while (*q == ' ')
                q++;
            if (start && *q == ':')
                return true;
            p += kl;
        }
    }
    return false;
}

static const char *fscan_hl_keep(struct fscan_hashlist *h, const char *s)
{
    char **ns = realloc(h->strings, (h->nstrings + 1) * sizeof(char *));
    char *c;

    if (ns == NULL)
        return "";
    h->strings = ns;
    if ((c = strdup(s)) == NULL)
        return "";
    h->strings[h->nstrings++] = c;
    return c;
}

/* Unquote and unescape a value in place ("a \"b\"" -> a "b"). */
static char *fscan_hl_unquote(char *v)
{
    size_t n = strlen(v), o = 0;

    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        v[--n] = '\0';
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v[n - 1] = '\0';
        v++;
    }
    for (size_t i = 0; v[i]; i++) {
        if (v[i] == '\\' && v[i + 1] != '\0')
            i++;
        v[o++] = v[i];
    }
    v[o] = '\0';
    return v;
}

/* Parse one rule line (options between the parentheses). 0, or -1 with
 * *why set. */
static int fscan_hl_rule(struct fscan_hashlist *h, char *line, const char *base,
                         struct fscan_hl_rule *r, struct fscan_hashlist_stats *st,
                         const char **why, char *whybuf, size_t whycap)
{
    char *p = strchr(line, '('), *end = strrchr(line, ')');
    bool any = false;

    memset(r, 0, sizeof(*r));
    r->list[0] = r->list[1] = r->list[2] = -1;
    r->info.gid = 1;
    r->info.rev = 0;
    r->info.priority = 3;
    r->info.msg = r->info.classtype = "";
    if (p == NULL || end == NULL || end < p) {
        *why = "no option list ( ... )";
        return -1;
    }
    *end = '\0';
    p++;
    while (*p) {
        char *opt = p, *val = NULL, *colon;
        bool inq = false;
        for (; *p; p++) {
            if (*p == '\\' && p[1] != '\0') {
                p++;
                continue;
            }
            if (*p == '"')
                inq = !inq;
            else if (*p == ';' && !inq)
                break;
        }
        if (*p == ';')
            *p++ = '\0';
        while (*opt == ' ' || *opt == '\t')
            opt++;
        if (*opt == '\0')
            continue;
        if ((colon = strchr(opt, ':')) != NULL) {
            *colon = '\0';
            val = colon + 1;
            while (*val == ' ')
                val++;
        }
        for (size_t n = strlen(opt); n > 0 && opt[n - 1] == ' '; n--)
            opt[n - 1] = '\0';
        if (strcmp(opt, "msg") == 0 && val != NULL) {
            r->info.msg = fscan_hl_keep(h, fscan_hl_unquote(val));
        } else if (strcmp(opt, "sid") == 0 && val != NULL) {
            r->info.sid = (uint32_t)strtoul(val, NULL, 10);
        } else if (strcmp(opt, "rev") == 0 && val != NULL) {
            r->info.rev = (uint32_t)strtoul(val, NULL, 10);
        } else if (strcmp(opt, "gid") == 0 && val != NULL) {
            r->info.gid = (uint32_t)strtoul(val, NULL, 10);
        } else if (strcmp(opt, "priority") == 0 && val != NULL) {
            r->info.priority = atoi(val);
        } else if (strcmp(opt, "classtype") == 0 && val != NULL) {
            r->info.classtype = fscan_hl_keep(h, fscan_hl_unquote(val));
        } else if (strcmp(opt, "metadata") == 0 || strcmp(opt, "reference") == 0 ||
                   strcmp(opt, "flow") == 0) {
            /* accepted; not used for a file verdict */
        } else {
            int k;
            for (k = 0; k < 3 && strcmp(opt, fscan_hl_kw[k]) != 0; k++)
                ;
            if (k == 3) {
                snprintf(whybuf, whycap, "keyword \"%s\" is not supported in a file-hash rule",
                         opt);
                *why = whybuf;
                return -1;
            }
            if (val == NULL || *val == '\0') {
                *why = "the hash keyword needs a list file name";
                return -1;
            }
            char *name = fscan_hl_unquote(val), path[2048];
            if (*name == '!') {
                r->negate[k] = true;
                name++;
            }
            if (name[0] == '/' || base == NULL)
                snprintf(path, sizeof(path), "%s", name);
            else
                snprintf(path, sizeof(path), "%s/%s", base, name);
            if ((r->list[k] = fscan_hl_list(h, path, (enum fscan_hl_kind)k, st)) < 0) {
                *why = "the hash list cannot be read";
                return -1;
            }
            any = true;
        }
    }
    if (r->info.sid == 0) {
        *why = "no sid";
        return -1;
    }
    if (!any) {
        *why = "no file-hash keyword";
        return -1;
    }
    return 0;
}

static void fscan_hl_file(struct fscan_hashlist *h, const char *file, const char *rule_dir,
                          struct fscan_hashlist_stats *st)
{
    char base[1024], line[65536], whybuf[160];
    const char *slash;
    size_t lineno = 0;
    FILE *f = fopen(file, "r");

    if (f == NULL)
        return;  /* the packet engine reports missing rule files */
    if (rule_dir != NULL) {
        snprintf(base, sizeof(base), "%s", rule_dir);
    } else if ((slash = strrchr(file, '/')) != NULL) {
        snprintf(base, sizeof(base), "%.*s", (int)(slash - file), file);
    } else {
        snprintf(base, sizeof(base), ".");
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        struct fscan_hl_rule r;
        const char *why = NULL;
        char *p = line;
        lineno++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || !fscan_hashlist_is_file_rule(p))
            continue;
        if (fscan_hl_rule(h, p, base, &r, st, &why, whybuf, sizeof(whybuf)) != 0) {
            log_error("rules", "%s:%zu: %s; rule skipped", file, lineno, why);
            st->rules_failed++;
            continue;
        }
        struct fscan_hl_rule *nr = realloc(h->rules, (h->nrules + 1) * sizeof(*h->rules));
        if (nr == NULL)
            break;
        h->rules = nr;
        h->rules[h->nrules++] = r;
        st->rules++;
    }
    fclose(f);
}

struct fscan_hashlist *fscan_hashlist_load(const char *const *files, size_t n,
                                           const char *rule_dir,
                                           struct fscan_hashlist_stats *st)
{
    struct fscan_hashlist_stats dummy;
    struct fscan_hashlist *h = calloc(1, sizeof(*h));

    if (st == NULL)
        st = &dummy;
    memset(st, 0, sizeof(*st));
    if (h == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        if (files[i][0] != '/' && rule_dir != NULL)
            snprintf(path, sizeof(path), "%s/%s", rule_dir, files[i]);
        else
            snprintf(path, sizeof(path), "%s", files[i]);
        fscan_hl_file(h, path, rule_dir, st);
    }
    return h;
}

void fscan_hashlist_free(struct fscan_hashlist *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->nlists; i++)
        free(h->lists[i].hashes);
    for (size_t i = 0; i < h->nstrings; i++)
        free(h->strings[i]);
    free(h->strings);
    free(h->lists);
    free(h->rules);
    free(h);
}

size_t fscan_hashlist_rule_count(const struct fscan_hashlist *h)
{
    return h->nrules;
}

static bool fscan_hl_in(const struct fscan_hl_list *l, const uint8_t *digest)
{
    size_t lo = 0, hi = l->n, hl = fscan_hl_len[l->kind];

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(l->hashes + mid * hl, digest, hl);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

unsigned fscan_hashlist_digests(const struct fscan_hashlist *h)
{
    unsigned m = 0;

    for (size_t i = 0; h != NULL && i < h->nrules; i++)
        for (int k = 0; k < 3; k++)
            if (h->rules[i].list[k] >= 0)
                m |= 1u << k;   /* k: 0 md5, 1 sha1, 2 sha256 (FILE_HASH_* bits) */
    return m;
}

int fscan_hashlist_match(const struct fscan_hashlist *h, const struct file_info *fi,
                         fscan_hashlist_fn cb, void *arg)
{
    const uint8_t *dig[3];
    int hits = 0;

    if (h == NULL || !fi->hashed)
        return 0;
    dig[0] = fi->md5;
    dig[1] = fi->sha1;
    dig[2] = fi->sha256;
    for (size_t i = 0; i < h->nrules; i++) {
        const struct fscan_hl_rule *r = &h->rules[i];
        bool ok = true;
        for (int k = 0; k < 3 && ok; k++)
            if (r->list[k] >= 0)
                ok = (fi->hashes & (1u << k)) &&
                     fscan_hl_in(&h->lists[r->list[k]], dig[k]) != r->negate[k];
        if (ok) {
            hits++;
            cb(arg, &r->info);
        }
    }
    return hits;
}
